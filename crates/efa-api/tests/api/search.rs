//! Free-text search over OZG-Leistungen: folding (case, umlauts, ß), LeiKa matches, ranking.

use crate::api_test;
use crate::helpers::*;
use serde_json::Value;

/// The (ozg_id, matched_on) pairs of a search, first page of 100.
async fn search<S, B>(app: &S, q: &str) -> (u64, Vec<(i64, String)>)
where
    S: actix_web::dev::Service<Request, Response = actix_web::dev::ServiceResponse<B>, Error = actix_web::Error>,
    B: actix_web::body::MessageBody,
{
    let body = ok_json(app, &format!("/api/v1/ozg-leistungen?q={q}&per_page=100")).await;
    let hits = items(&body)
        .iter()
        .map(|o| (o["ozg_id"].as_i64().unwrap(), o["matched_on"].as_str().unwrap_or_else(|| panic!("matched_on in {o}")).to_owned()))
        .collect();
    (total(&body), hits)
}

/// Name matches come before LeiKa matches.
fn assert_names_first(hits: &[(i64, String)]) {
    let first_leika = hits.iter().position(|(_, m)| m == "leika").unwrap_or(hits.len());
    assert!(hits[first_leika..].iter().all(|(_, m)| m == "leika"), "a name match after a LeiKa match: {hits:?}");
}

api_test!(q_wohngeld_finds_wohngeld_first, |app| {
    let (total, hits) = search(app, "wohngeld").await;
    assert_eq!(hits[0], (10092, "name".to_owned()));
    assert!(hits.contains(&(10224, "name".to_owned())), "Pflegewohngeld: {hits:?}");
    assert_eq!(total, hits.len() as u64);
    // Case does not matter.
    assert_eq!(search(app, "WOHNGELD").await.1, hits);
    assert_eq!(search(app, "%20Wohngeld%20").await.1, hits, "surrounding blanks are ignored");
});

api_test!(q_fuehrerschein_finds_fuehrerschein, |app| {
    let (_, hits) = search(app, "Fuehrerschein").await;
    assert_eq!(hits[0], (10169, "name".to_owned()));
    let body = ok_json(app, "/api/v1/ozg-leistungen?q=Fuehrerschein").await;
    assert_eq!(items(&body)[0]["name"], "Führerschein");
    // Written with the umlaut, upper case, or percent-encoded: the same answer.
    assert_eq!(search(app, "f%C3%BChrerschein").await.1, hits);
    assert_eq!(search(app, "F%C3%9CHRERSCHEIN").await.1, hits);
});

api_test!(q_meldebescheinigung_finds_10559, |app| {
    let (_, hits) = search(app, "Meldebescheinigung").await;
    assert_eq!(hits[0], (10559, "name".to_owned()));
    let body = ok_json(app, "/api/v1/ozg-leistungen?q=meldebescheinigung").await;
    assert_eq!(items(&body)[0]["name"], "Meldebescheinigung und -registerauskunft");
});

api_test!(q_strasse_equals_strasse_with_eszett, |app| {
    // 10348 "Sondernutzung von Straßen und Verkehrsraumeinschränkung" matches by name; other
    // OZG-Leistungen only through LeiKa names with "Straße".
    let (total, ss) = search(app, "strasse").await;
    let (_, eszett) = search(app, "stra%C3%9Fe").await;
    let (_, upper) = search(app, "STRASSE").await;
    assert!(total > 1, "{ss:?}");
    assert_eq!(ss, eszett, "ß and ss count as equal");
    assert_eq!(ss, upper);
    assert_eq!(ss[0], (10348, "name".to_owned()));
    assert!(ss.iter().any(|(_, m)| m == "leika"), "{ss:?}");
    assert_names_first(&ss);
    // Umlaut folding in the other direction: "Verkehrsraumeinschraenkung" finds the ä spelling.
    assert_eq!(search(app, "Verkehrsraumeinschraenkung").await.1[0], (10348, "name".to_owned()));
});

api_test!(q_matching_only_a_leika_name_says_so, |app| {
    // LeiKa 99050047000000 "Hufbeschlagschmied" belongs to 10069 "Zulassung für reglementierte
    // Berufe": the word is in no OZG-Leistung's name.
    let rows = seed_csv("ozg_leika_leistungen.csv");
    let leika = rows.iter().find(|r| r["leika_schluessel"] == "99050047000000").expect("seed row");
    assert_eq!(leika["name"], "Hufbeschlagschmied");
    let ozg = seed_csv("ozg_leistungen.csv");
    assert!(ozg.iter().all(|o| !efa_domain::fold(&o["name"]).contains("hufbeschlagschmied")));

    let (total, hits) = search(app, "Hufbeschlagschmied").await;
    assert_eq!(total, 1);
    assert_eq!(hits, vec![(10069, "leika".to_owned())]);
});

api_test!(q_name_matches_rank_above_leika_matches, |app| {
    // "hund": 10160 has it in its name; others only in LeiKa names (e.g. Hundesteuer).
    let (_, hits) = search(app, "hund").await;
    assert_eq!(hits[0].1, "name");
    assert!(hits.iter().any(|(_, m)| m == "leika"), "{hits:?}");
    assert_names_first(&hits);

    // Both words before one: "Wohngeld Änderung" is a LeiKa name of 10092 (first, through its
    // LeiKa name); Pflegewohngeld (10224) holds only "Wohngeld", in its own name, and follows.
    let (_, hits) = search(app, "wohngeld%20aenderung").await;
    assert_eq!(hits[0], (10092, "leika".to_owned()));
    assert!(hits.contains(&(10224, "name".to_owned())), "{hits:?}");

    // Explicit sort=relevance equals the default with q; sort=-relevance reverses it.
    let body = ok_json(app, "/api/v1/ozg-leistungen?q=hund&sort=relevance&per_page=100").await;
    let relevance: Vec<i64> = ids(&body, "ozg_id");
    assert_eq!(relevance, search(app, "hund").await.1.iter().map(|h| h.0).collect::<Vec<_>>());
    let body = ok_json(app, "/api/v1/ozg-leistungen?q=hund&sort=-relevance&per_page=100").await;
    let mut reversed = ids(&body, "ozg_id");
    reversed.reverse();
    assert_eq!(reversed, relevance);
});

api_test!(q_combines_with_filters_and_is_bounded, |app| {
    // Pflegewohngeld is in Gesundheit (8), Wohngeld in Arbeit & Ruhestand (1).
    let body = ok_json(app, "/api/v1/ozg-leistungen?q=wohngeld&themenfeld=8").await;
    assert_eq!(ids(&body, "ozg_id"), vec![10224]);
    let body = ok_json(app, "/api/v1/ozg-leistungen?q=wohngeld&has_online_service=true").await;
    assert!(items(&body).iter().all(|o: &Value| o["online_services_count"].as_u64().unwrap() > 0));

    let body = ok_json(app, "/api/v1/ozg-leistungen?q=xyzzyquux").await;
    assert_eq!(total(&body), 0);
    assert!(items(&body).is_empty());

    // An empty q is no search: everything, without matched_on.
    let body = ok_json(app, "/api/v1/ozg-leistungen?q=").await;
    assert_eq!(total(&body), 557);
    assert!(items(&body)[0].get("matched_on").is_none());

    assert_bad_param(app, &format!("/api/v1/ozg-leistungen?q={}", "a".repeat(201)), "q").await;
    assert_eq!(total(&ok_json(app, &format!("/api/v1/ozg-leistungen?q={}", "a".repeat(200))).await), 0);
});

api_test!(q_forgives_typos_compounds_extra_words_and_says_what_it_meant, |app| {
    // A wrong letter: Sterbeurkunde (10237) first, and no "meinten Sie" while something matched.
    let body = ok_json(app, "/api/v1/ozg-leistungen?q=Sterbeurkunfe").await;
    assert_eq!(items(&body)[0]["ozg_id"], 10237);
    assert!(body.get("suggestion").is_none());
    // A compound the catalogue writes split (LeiKa "Sperrmüll Entsorgung" of 10110) …
    assert_eq!(search(app, "Sperrm%C3%BCllentsorgung").await.1[0].0, 10110);
    // … and parts of one the catalogue writes whole (Baumfällgenehmigung, 10112).
    assert_eq!(search(app, "baum%20f%C3%A4llen").await.1[0].0, 10112);
    // An extra verb does not empty the page: "beantragen" is in too many names to count alone.
    let (found, hits) = search(app, "Wohngeld%20beantragen").await;
    assert_eq!(hits[0].0, 10092);
    assert!(found < 60, "not everything one can apply for: {found}");
    // A synonym from seed-data/suchsynonyme.csv: Hartz IV is Arbeitslosengeld II (10082).
    assert_eq!(search(app, "Hartz%20IV").await.1[0].0, 10082);
    // Nothing found: the nearest known words are proposed, for the API and the shop alike.
    let body = ok_json(app, "/api/v1/ozg-leistungen?q=wohnglt%20xq").await;
    assert_eq!(total(&body), 0);
    assert_eq!(body["suggestion"], "wohngeld xq");
});

api_test!(services_search_uses_the_same_engine, |app| {
    // Online services are found through the OZG-Leistungen they implement, with typos too.
    let exact = ok_json(app, "/api/v1/online-services?q=versteigerergewerbe&per_page=100").await;
    let typo = ok_json(app, "/api/v1/online-services?q=versteigerergewerbr&per_page=100").await;
    assert!(total(&exact) > 0);
    assert_eq!(strs(&typo, "id"), strs(&exact, "id"), "one wrong letter, the same services");
    let none = ok_json(app, "/api/v1/online-services?q=versteigerergwrb").await;
    assert_eq!(total(&none), 0);
    assert_eq!(none["suggestion"], "versteigerergewerbe");
});

/// The relevance set (tests/relevance/queries.csv) on the seeded catalogue: every category
/// present with enough queries, every expected OZG-Leistung real, and the floors of issue 15.
fn relevance_floors(backend: efa_store::Backend) {
    use efa_api::catalogue::relevance;
    let db = crate::helpers::seeded(backend);
    let c = efa_api::catalogue::build(&efa_api::catalogue::load_rows(&mut db.conn()).unwrap()).unwrap();
    let cases = relevance::read_cases(include_str!("../relevance/queries.csv")).unwrap();
    assert!(cases.len() >= 150, "{} queries", cases.len());
    for case in &cases {
        assert!(case.expected.iter().all(|id| c.ozg(*id).is_some()), "{case:?}: no such OZG-Leistung");
    }
    let report = relevance::evaluate(&c, &cases);
    let categories = ["exakt", "wort_im_namen", "leika_name", "umlaut", "tippfehler", "kompositum", "getrenntes_kompositum", "zusatzverb", "synonym", "abkuerzung", "singular_plural"];
    assert_eq!(report.categories.keys().map(String::as_str).collect::<Vec<_>>(), { let mut c = categories.to_vec(); c.sort(); c });
    assert!(report.categories.values().all(|s| s.queries >= 12), "{report}");
    assert!(report.overall.recall_at_3 >= 0.95, "recall@3 over all below 0.95:\n{report}");
    for (k, s) in &report.categories {
        assert!(s.recall_at_3 >= 0.85, "recall@3 of {k} below 0.85:\n{report}");
    }
}

#[test]
fn relevance_set_meets_its_floors_sqlite() {
    relevance_floors(efa_store::Backend::Sqlite);
}

#[test]
fn relevance_set_meets_its_floors_postgres() {
    relevance_floors(efa_store::Backend::Postgres);
}
