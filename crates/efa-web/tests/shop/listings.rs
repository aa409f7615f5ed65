//! The provider publisher's listings and the operators' review in the shop: the list, creating
//! with every field, every error of the form at its field (nothing written), the stale edit
//! with both versions, submitting and retiring, another organisation's listing as the 404
//! page; the review queue, the diff against the published version, approving and rejecting
//! with a reason, and non-operators refused as the API refuses them.

use crate::support::{self, location, Browser};
use actix_web::http::StatusCode;
use diesel::prelude::*;
use efa_api::operations::listings as op;
use efa_api::write::Ctx;
use efa_domain::listing::ListingAction;
use efa_domain::{Principal, Role};
use efa_store::seed::seed_id;
use efa_store::test_util::TestDb;
use serde_json::json;

const OPERATOR_ORG: &str = "FITKO (Föderale IT-Kooperation)";

fn nrw_publisher() -> Principal {
    Principal { subject: "nrw-publisher".into(), org_id: seed_id("land", "05"), roles: vec![Role::ProviderPublisher], land: None }
}

fn by_publisher() -> Principal {
    Principal { subject: "by-publisher".into(), org_id: seed_id("land", "09"), roles: vec![Role::ProviderPublisher], land: None }
}

fn criteria(db: &TestDb) -> Vec<String> {
    efa_store::models::MindestanforderungRow::all(&mut db.conn()).expect("criteria").into_iter().map(|c| c.code).collect()
}

fn services(db: &TestDb) -> i64 {
    efa_store::schema::online_services::table.count().get_result(&mut db.conn()).expect("count")
}

/// `(name, revision, state)` of a listing's working copy, read from the database.
fn stored(db: &TestDb, id: &str) -> (String, i32, String) {
    use efa_store::schema::online_services as s;
    let (content, revision, state): (Option<String>, i32, String) = s::table.find(id).select((s::content, s::revision, s::listing_state)).first(&mut db.conn()).expect("row");
    let v: serde_json::Value = serde_json::from_str(&content.unwrap_or_default()).unwrap_or_default();
    (v["name"].as_str().unwrap_or_default().to_owned(), revision, state)
}

/// A minimal valid listing of `org`.
fn body(org: &str, name: &str) -> serde_json::Value {
    json!({"name": name, "provider_org_id": org, "ozg_ids": [10092], "status": "live", "efa": true, "anbindung": [], "conformance": [],
           "availability": {"nationwide": true, "laender": []}, "anbindung_details": {"fit_connect_destination_required": false, "fachverfahren_interfaces": []}})
}

async fn create(state: &efa_api::AppState, p: &Principal, name: &str) -> String {
    let created = op::create_listing(state, p, &Ctx::default(), &body(&p.org_id, name)).await.expect("create");
    created.body().expect("body")["id"].as_str().expect("id").to_owned()
}

/// `shop_test!` with the app on a state the test also writes through: `|s, st| { … }`.
#[macro_export]
macro_rules! listing_test {
    ($name:ident, |$s:ident, $st:ident| $body:block) => {
        $crate::shop_test!($name, |first| {
            let $st = $crate::support::state(first.db).await;
            let app = $crate::support::app_of($st.clone(), first.db).await;
            let $s = $crate::support::Browser::new(&app, first.db);
            $body
        });
    };
}

/// Every field of the form, valid (amounts typed German style).
fn every_field(codes: &[String]) -> Vec<(String, String)> {
    let mut f: Vec<(String, String)> = [
        ("name", "Bauantrag digital Shoptest"),
        ("beschreibung", "Bauantrag vollständig online, mit Planunterlagen."),
        ("ozg", "10092, 10000"),
        ("lead_land", "05"),
        ("efa", "ja"),
        ("status", "pilot"),
        ("reifegrad", "3"),
        ("anbindung", "fit_connect"),
        ("anbindung", "xoev_standard"),
        ("url", "https://bau.example.nrw.de/antrag"),
        ("preis_modell", "annual"),
        ("preis_anbindung", "2.500,00"),
        ("preis_jahr", "1.234,56"),
        ("preis_anteilig", "ja"),
        ("preis_einwohner", "0,02"),
        ("preis_koenigstein", "500.000"),
        ("preis_nutzung", "1,5"),
        ("bedingungen", "Nutzungsbedingungen für die Nachnutzung."),
        ("bedingungen_version", "2.1"),
        ("kontakt_name", "EfA-Servicedesk Bau"),
        ("kontakt_email", "bau@example.nrw.de"),
        ("kontakt_telefon", "+49 211 123456"),
        ("verfuegbarkeit", "nein"),
        ("laender", "05"),
        ("laender", "09"),
        ("fit_connect_ziel", "ja"),
        ("xoev_standard", "XBau"),
        ("xoev_version", "2.3"),
        ("fachverfahren", "ProBauG\nBauantrag-Fachverfahren NRW"),
        ("reichweite", "land_wide"),
    ]
    .iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    f.push((format!("ma-{}", codes[0]), "fulfilled".into()));
    f.push((format!("nachweis-{}", codes[0]), "https://bau.example.nrw.de/nachweis".into()));
    f.push((format!("ma-{}", codes[1]), "partly".into()));
    f
}

fn refs(fields: &[(String, String)]) -> Vec<(&str, &str)> {
    fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect()
}

crate::listing_test!(the_providers_list_and_a_listing_with_every_field, |s, st| {
    s.login("05", "provider_publisher").await;
    let list = s.page("/angebote").await;
    assert!(list.has("#angebote-link"), "the nav links to my listings");
    assert_eq!(list.attr("#neu", "href"), "/angebote/neu");
    let before = services(s.db);

    let form = s.page("/angebote/neu").await;
    let codes = criteria(s.db);
    assert_eq!(form.select("[data-testid=kriterium]").len(), codes.len(), "one line per EfA-Mindestanforderung");
    let mut fields = every_field(&codes);
    fields.push(("_key".into(), form.attr("input[name=_key]", "value")));
    let to = location(&s.post("/angebote/neu", &form, &refs(&fields)).await);
    assert_eq!(services(s.db), before + 1);
    let id = to.trim_start_matches("/angebote/").to_owned();

    // Everything entered arrived in the operation's listing.
    let l = op::get_listing(&st, &nrw_publisher(), &id).await.expect("the listing");
    let c = &l.content;
    assert_eq!(c["name"], "Bauantrag digital Shoptest");
    assert_eq!(c["ozg_ids"], json!([10092, 10000]));
    assert_eq!((c["lead_land"].as_str(), c["efa"].as_bool(), c["status"].as_str(), c["reifegrad"].as_i64()), (Some("05"), Some(true), Some("pilot"), Some(3)));
    assert_eq!(c["anbindung"], json!(["fit_connect", "xoev_standard"]));
    assert_eq!(c["price"], json!({"model": "annual", "one_off_anbindung_fee_cents": 250000, "annual_fee_cents": 123456, "pro_rata_first_year": true, "per_inhabitant_cents": 2, "koenigsteiner_total_cents": 50000000, "per_use_cents": 150}));
    assert_eq!(c["conformance"][0], json!({"criterion": codes[0], "level": "fulfilled", "evidence_url": "https://bau.example.nrw.de/nachweis"}));
    assert_eq!(c["conformance"][1]["level"], "partly");
    assert_eq!(c["terms"], json!({"text": "Nutzungsbedingungen für die Nachnutzung.", "version": "2.1"}));
    assert_eq!(c["contact"], json!({"name": "EfA-Servicedesk Bau", "email": "bau@example.nrw.de", "phone": "+49 211 123456"}));
    assert_eq!(c["availability"], json!({"nationwide": false, "laender": ["05", "09"]}));
    assert_eq!(c["anbindung_details"], json!({"fit_connect_destination_required": true, "xoev_standard": "XBau", "xoev_version": "2.3", "fachverfahren_interfaces": ["ProBauG", "Bauantrag-Fachverfahren NRW"]}));
    assert_eq!(c["reach"], "land_wide");

    // The page shows it.
    let page = s.page(&to).await;
    assert_eq!(page.text("h1"), "Bauantrag digital Shoptest");
    assert_eq!(page.text("#stand"), "Entwurf");
    assert_eq!(page.text("dd[data-key=preis_jahr]"), "1.234,56 €");
    assert_eq!(page.text("dd[data-key=preis_einwohner]"), "0,02 €");
    assert!(page.text("dd[data-key=ozg]").starts_with("10092 "));
    assert!(page.text(&format!("dd[data-key='ma-{}']", codes[0])).contains("Nachweis: https://bau.example.nrw.de/nachweis"));
    assert_eq!(page.text("dd[data-key=verfuegbarkeit]"), "In: Nordrhein-Westfalen, Bayern");
    assert!(page.has("#keine-versionen"));
    assert!(page.text("[data-testid=verlauf-eintrag]").starts_with("Als Entwurf angelegt – "), "who made it, when");
    // The edit form holds every value again, amounts German style.
    let edit = s.page(&format!("{to}/bearbeiten")).await;
    assert_eq!(edit.attr("#f-preis_jahr", "value"), "1.234,56");
    assert_eq!(edit.attr("#f-ozg", "value"), "10092, 10000");
    assert_eq!(edit.attr("input[name=revision]", "value"), "1");
    assert_eq!(edit.select("input[name=laender][checked]").len(), 2);

    // The list: first, a draft, not yet published, nothing going on.
    let list = s.page("/angebote").await;
    let row = &list.select("[data-testid=angebot]")[0];
    assert_eq!(row.value().attr("data-id"), Some(id.as_str()));
    assert_eq!(list.text("[data-testid=angebot] [data-testid=stand]"), "Entwurf");
    assert_eq!(list.text("[data-testid=angebot] [data-testid=version]"), "Noch nicht veröffentlicht");
    assert_eq!(list.text("[data-testid=angebot] [data-testid=anfragen]"), "0");
    assert!(list.text("#anzahl").ends_with("Onlinedienste"));
    assert!(s.page("/angebote?status=draft").await.text("#anzahl").starts_with('1'));
    assert_eq!(s.get("/angebote?status=kaputt").await.status, StatusCode::BAD_REQUEST);
});

crate::listing_test!(every_error_of_the_listing_form_is_at_its_field, |s, _st| {
    s.login("05", "provider_publisher").await;
    let before = services(s.db);
    let form = s.page("/angebote/neu").await;
    let key = form.attr("input[name=_key]", "value");

    // Empty: what is required.
    let empty = s.post("/angebote/neu", &form, &[("_key", &key), ("name", "  ")]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST, "{}", empty.body);
    let fields = empty.assert_error_summary();
    assert_eq!(fields, vec!["name", "ozg", "status"]);
    assert_eq!(empty.text("#f-name-fehler"), "Geben Sie den Namen des Onlinedienstes ein.");
    assert_eq!(empty.text("#f-status-fehler"), "Wählen Sie den Betriebsstand des Onlinedienstes.");

    // Invalid values, each at its field, every value kept.
    let codes = criteria(s.db);
    let mut bad = every_field(&codes);
    let set = |f: &mut Vec<(String, String)>, k: &str, v: &str| {
        f.retain(|(n, _)| n != k);
        f.push((k.into(), v.into()));
    };
    set(&mut bad, "ozg", "10092, abc");
    set(&mut bad, "url", "http://unsicher.example.de");
    set(&mut bad, "preis_jahr", "12,345");
    set(&mut bad, "kontakt_email", "keine-adresse");
    set(&mut bad, &format!("nachweis-{}", codes[2]), "https://nachweis.example.de");
    set(&mut bad, "bedingungen_version", "");
    bad.retain(|(n, _)| n != "laender");
    bad.push(("_key".into(), key.clone()));
    let page = s.post("/angebote/neu", &form, &refs(&bad)).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    let fields = page.assert_error_summary();
    let ma = format!("ma-{}", codes[2]);
    for f in ["ozg", "url", "preis_jahr", ma.as_str(), "bedingungen_version", "kontakt_email", "laender"] {
        assert!(fields.iter().any(|x| x == f), "{f} in error: {fields:?}");
    }
    assert_eq!(page.text("#f-preis_jahr-fehler"), "Geben Sie einen Betrag in Euro ein, z. B. 1.234,56.");
    assert!(page.text("#f-url-fehler").contains("https://"));
    assert_eq!(page.attr("#f-preis_jahr", "value"), "12,345", "the value is kept");
    assert_eq!(page.attr("#f-ozg", "value"), "10092, abc");
    assert_eq!(page.attr("#f-name", "value"), "Bauantrag digital Shoptest");
    assert_eq!(page.attr(&format!("[id='f-nachweis-{}']", codes[2]), "value"), "https://nachweis.example.de");
    assert_eq!(services(s.db), before, "nothing written");

    // An XSS attempt in the name is shown as text.
    let xss = "<script>alert(1)</script>";
    let page = s.post("/angebote/neu", &form, &[("_key", &key), ("name", xss)]).await;
    assert_eq!(page.attr("#f-name", "value"), xss);
    assert!(!page.body.contains("<script>alert(1)"));
});

crate::listing_test!(a_stale_edit_shows_both_versions_and_overwrites_nothing, |s, st| {
    let id = create(&st, &nrw_publisher(), "Parkausweis digital").await;
    s.login("05", "provider_publisher").await;
    let uri = format!("/angebote/{id}/bearbeiten");
    let first = s.page(&uri).await;
    let second = s.page(&uri).await;
    let fields = |page: &support::Page, name: &str| -> Vec<(String, String)> {
        let mut f = vec![("name".to_owned(), name.to_owned()), ("ozg".into(), page.attr("#f-ozg", "value")), ("status".into(), "live".into()), ("efa".into(), "ja".into())];
        f.push(("revision".into(), page.attr("input[name=revision]", "value")));
        f.push(("verfuegbarkeit".into(), "ja".into()));
        f.push(("reichweite".into(), "agreements".into()));
        f
    };
    assert_eq!(location(&s.post(&uri, &first, &refs(&fields(&first, "Parkausweis digital (erste)"))).await), format!("/angebote/{id}"));
    let stale = s.post(&uri, &second, &refs(&fields(&second, "Parkausweis digital (zweite)"))).await;
    assert_eq!(stale.status, StatusCode::CONFLICT, "{}", stale.body);
    assert!(stale.has("#konflikt"));
    assert!(stale.html.select(&scraper::Selector::parse("title").unwrap()).next().unwrap().text().collect::<String>().starts_with("Fehler: "));
    let name_row = "[data-testid=vergleich-zeile][data-key=name]";
    assert_eq!(stale.attr(name_row, "data-changed"), "ja");
    assert_eq!(stale.text(&format!("{name_row} [data-testid=aktuell]")), "Parkausweis digital (erste)");
    assert_eq!(stale.text(&format!("{name_row} [data-testid=eingabe]")), "Parkausweis digital (zweite)");
    assert!(!stale.has("[data-testid=vergleich-zeile][data-key=status][data-changed]"), "unchanged fields are not marked");
    assert_eq!(stale.attr("#f-name", "value"), "Parkausweis digital (zweite)", "the entries are kept");
    assert_eq!(stale.attr("input[name=revision]", "value"), "2", "now made from the current revision");
    assert_eq!(stored(s.db, &id), ("Parkausweis digital (erste)".to_owned(), 2, "draft".to_owned()), "the first edit stays");

    // Saving again from the conflict page applies the entries knowingly.
    assert_eq!(location(&s.post(&uri, &stale, &refs(&fields(&stale, "Parkausweis digital (zweite)"))).await), format!("/angebote/{id}"));
    assert_eq!(stored(s.db, &id).0, "Parkausweis digital (zweite)");
});

crate::listing_test!(the_edit_forms_errors_are_at_their_fields_and_write_nothing, |s, st| {
    let id = create(&st, &nrw_publisher(), "Meldebescheinigung digital").await;
    s.login("05", "provider_publisher").await;
    let uri = format!("/angebote/{id}/bearbeiten");
    let form = s.page(&uri).await;
    let revision = form.attr("input[name=revision]", "value");
    let page = s.post(&uri, &form, &[("revision", &revision), ("name", ""), ("ozg", "99999"), ("status", "live"), ("preis_modell", "free"), ("preis_jahr", "10,00"), ("reichweite", "land_wide")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST, "{}", page.body);
    let fields = page.assert_error_summary();
    assert_eq!(fields, vec!["name", "ozg", "preis_modell", "reichweite"]);
    assert_eq!(page.text("#f-ozg-fehler"), "Die OZG-Leistung 99999 gibt es nicht. Prüfen Sie die OZG-ID.");
    assert_eq!(page.attr("#f-ozg", "value"), "99999", "the value is kept");
    assert_eq!(page.attr("#f-preis_jahr", "value"), "10,00");
    assert_eq!(page.attr("input[name=revision]", "value"), revision, "still made from the same revision");
    assert_eq!(stored(s.db, &id), ("Meldebescheinigung digital".to_owned(), 1, "draft".to_owned()), "nothing written");
});

crate::listing_test!(submit_and_retire, |s, st| {
    let id = create(&st, &nrw_publisher(), "Hundesteuer digital Shoptest").await;
    s.login("05", "provider_publisher").await;
    let to = format!("/angebote/{id}");
    let page = s.page(&to).await;
    assert_eq!(location(&s.post(&format!("{to}/einreichen"), &page, &[("revision", &page.attr("input[name=revision]", "value"))]).await), to);
    let page = s.page(&to).await;
    assert_eq!(page.text("#stand"), "In Prüfung");
    assert!(!page.has("#einreichen") && !page.has("#bearbeiten"));
    assert!(page.text("#verlauf").contains("Zur Prüfung eingereicht"));
    // Submitting again: the page with the current state.
    let again = s.post(&format!("{to}/einreichen"), &page, &[]).await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.has("#problem"));

    // Retiring needs the confirmation.
    let refused = s.post(&format!("{to}/stilllegen"), &page, &[]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.assert_error_summary(), vec!["stilllegen"]);
    assert_eq!(stored(s.db, &id).2, "in_review");
    assert_eq!(location(&s.post(&format!("{to}/stilllegen"), &page, &[("stilllegen", "ja")]).await), to);
    let page = s.page(&to).await;
    assert_eq!(page.text("#stand"), "Stillgelegt");
    assert!(!page.has("#stilllegen-formular"));
    assert_eq!(stored(s.db, &id).2, "retired");
});

crate::listing_test!(another_organisations_listing_is_the_404_page, |s, st| {
    let id = create(&st, &by_publisher(), "Bayerischer Shoptest").await;
    s.login("05", "provider_publisher").await;
    let home = s.page("/angebote").await;
    assert!(!home.body.contains("Bayerischer Shoptest"));
    for uri in [format!("/angebote/{id}"), format!("/angebote/{id}/bearbeiten"), format!("/pruefung/{id}"), "/angebote/keine-uuid".to_owned()] {
        let p = s.get(&uri).await;
        assert_eq!(p.status, StatusCode::NOT_FOUND, "{uri}");
        assert_eq!(p.text("h1"), "Seite nicht gefunden");
    }
    assert_eq!(s.post(&format!("/angebote/{id}/einreichen"), &home, &[]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(s.post(&format!("/angebote/{id}/bearbeiten"), &home, &[("revision", "1"), ("name", "Übernahme")]).await.status, StatusCode::NOT_FOUND);
    assert_eq!(stored(s.db, &id).0, "Bayerischer Shoptest");
});

crate::listing_test!(the_operators_review_queue_diff_and_decisions, |s, st| {
    // A published listing, changed and submitted again; a new one submitted after it.
    let changed = create(&st, &nrw_publisher(), "Gewerbeanmeldung digital Shoptest").await;
    op::change_state(&st, &nrw_publisher(), &Ctx::default(), &changed, ListingAction::Submit, None, None).await.expect("submit");
    let operator = Principal { subject: "fitko".into(), org_id: seed_id("org", OPERATOR_ORG), roles: vec![Role::Operator], land: None };
    op::change_state(&st, &operator, &Ctx::default(), &changed, ListingAction::Approve, None, None).await.expect("approve");
    let patch = json!({"name": "Gewerbeanmeldung digital Shoptest", "description": "Jetzt mit Gewerbeummeldung."});
    op::update_listing(&st, &nrw_publisher(), &Ctx::default(), &changed, None, op::Change::Patch(patch)).await.expect("edit");
    op::change_state(&st, &nrw_publisher(), &Ctx::default(), &changed, ListingAction::Submit, None, None).await.expect("submit again");
    let fresh = create(&st, &by_publisher(), "Gewerbeanmeldung digital Shoptest Bayern").await;
    op::change_state(&st, &by_publisher(), &Ctx::default(), &fresh, ListingAction::Submit, None, None).await.expect("submit");

    s.login(OPERATOR_ORG, "operator").await;
    let queue = s.page("/pruefung").await;
    assert!(queue.has("#pruefung-link"));
    assert_eq!(queue.text("#anzahl"), "2 Onlinedienste warten auf die Prüfung");
    assert!(queue.text("#awaiting-count").starts_with('2'), "the header counts the queue");
    assert!(s.page("/aufgaben").await.text("#anzahl-pruefen").starts_with("2 eingereichte Onlinedienste warten"));
    let ids: Vec<&str> = queue.select("[data-testid=pruefung]").iter().filter_map(|r| r.value().attr("data-id")).collect();
    assert_eq!(ids, vec![changed.as_str(), fresh.as_str()], "oldest first");

    // The diff: the description changed, marked in words and with del/ins.
    let page = s.page(&format!("/pruefung/{changed}")).await;
    assert!(page.text("#aenderungen-titel").contains("Version 1"));
    assert_eq!(page.text("#anzahl-aenderungen"), "1 Angabe geändert");
    let row = "[data-testid=diff-zeile][data-key=beschreibung]";
    assert_eq!(page.attr(row, "data-changed"), "ja");
    assert!(page.text(row).contains("Geändert"));
    assert_eq!(page.text(&format!("{row} del")), "Keine Angabe");
    assert_eq!(page.text(&format!("{row} ins")), "Jetzt mit Gewerbeummeldung.");
    assert!(page.text(&format!("{row} [data-testid=nachher]")).starts_with("Nachher:"));
    assert!(!page.has("[data-testid=diff-zeile][data-key=name] del"));
    // The possible duplicates beside it: the similar Bavarian one.
    assert!(page.select("[data-testid=dublette]").iter().any(|d| d.text().collect::<String>().contains("Shoptest Bayern")), "{}", page.body);
    // Who decided what, when.
    assert!(page.text("#verlauf").contains("Freigegeben und veröffentlicht"));

    // Rejecting needs a reason, at its field.
    let refused = s.post(&format!("/pruefung/{changed}/ablehnen"), &page, &[("revision", &page.attr("#ablehnen-formular input[name=revision]", "value")), ("grund", "  ")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.assert_error_summary(), vec!["grund"]);
    assert_eq!(stored(s.db, &changed).2, "in_review");
    let reason = "Die Beschreibung nennt die Ummeldung, die OZG-Leistung fehlt.";
    assert_eq!(location(&s.post(&format!("/pruefung/{changed}/ablehnen"), &page, &[("grund", reason)]).await), "/pruefung");
    assert_eq!(stored(s.db, &changed).2, "draft");
    let decided = s.page(&format!("/pruefung/{changed}")).await;
    assert!(decided.text("#verlauf").contains(&format!("Begründung: {reason}")));
    assert!(decided.text("#verlauf").contains("Betrieb"), "who decided");

    // Approving the new one publishes it.
    let page = s.page(&format!("/pruefung/{fresh}")).await;
    assert!(page.text("#aenderungen-titel").starts_with("Neuer Onlinedienst"));
    assert_eq!(location(&s.post(&format!("/pruefung/{fresh}/freigeben"), &page, &[("revision", &page.attr("#freigeben-formular input[name=revision]", "value"))]).await), "/pruefung");
    assert_eq!(stored(s.db, &fresh).2, "published");
    let queue = s.page("/pruefung").await;
    assert!(queue.has("#keine-pruefungen"));

    // The provider reads the reason on its listing.
    let provider = Browser::new(s.app_ref(), s.db);
    provider.login("05", "provider_publisher").await;
    let mine = provider.page(&format!("/angebote/{changed}")).await;
    assert_eq!(mine.text("#pruefhinweis .kern-body"), reason);
});

crate::listing_test!(a_non_operator_is_refused_as_the_api_refuses, |s, st| {
    let own = create(&st, &nrw_publisher(), "Eigener Shoptest").await;
    op::change_state(&st, &nrw_publisher(), &Ctx::default(), &own, ListingAction::Submit, None, None).await.expect("submit");
    s.login("05", "provider_publisher").await;
    assert_eq!(s.get("/pruefung").await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.get(&format!("/pruefung/{own}")).await.status, StatusCode::FORBIDDEN, "its own listing: not its to review");
    let page = s.page(&format!("/angebote/{own}")).await;
    assert!(!page.has("#pruefung-link"));
    assert_eq!(s.post(&format!("/pruefung/{own}/freigeben"), &page, &[]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(s.post(&format!("/pruefung/{own}/ablehnen"), &page, &[("grund", "selbst")]).await.status, StatusCode::FORBIDDEN);
    assert_eq!(stored(s.db, &own).2, "in_review");
    assert_eq!(location(&Browser::new(s.app_ref(), s.db).get("/pruefung").await), "/anmelden?zurueck=/pruefung");
});
