//! A newcomer's journeys through the EfA Marktplatz: the real `efa` binary, a fresh SQLite
//! file, the real seed data, and nothing but plain HTTP/1.1. Each test starts its own server.
//!
//! Needs the binary: `cargo build -p efa` (or `EFA_BIN=/path/to/efa`).

use e2e::{encode, Efa};
use serde_json::Value;
use std::collections::BTreeSet;
use std::time::Duration;

fn items(body: &Value) -> &Vec<Value> {
    body["items"].as_array().unwrap_or_else(|| panic!("a list response has an `items` array: {body}"))
}

fn total(body: &Value) -> u64 {
    body["total"].as_u64().unwrap_or_else(|| panic!("a list response has a numeric `total`: {body}"))
}

fn str_of<'a>(v: &'a Value, field: &str) -> &'a str {
    v[field].as_str().unwrap_or_else(|| panic!("`{field}` is a string in {v}"))
}

fn is_digits(s: &str, n: usize) -> bool {
    s.len() == n && s.bytes().all(|b| b.is_ascii_digit())
}

const STATUSES: [&str; 5] = ["planned", "in_development", "pilot", "live", "retired"];

/// Checks the parts of an online service a municipality needs first: who built it,
/// which Land leads it, and how far it is.
fn check_service_detail(efa: &Efa, id: &str, implements: i64) -> Value {
    let s = efa.json(&format!("/api/v1/online-services/{id}"));
    assert_eq!(str_of(&s, "id"), id);
    assert!(!str_of(&s, "name").is_empty(), "a service has a name: {s}");

    let provider = &s["provider"];
    assert!(!str_of(provider, "name").is_empty(), "a service names its provider: {s}");
    assert!(!str_of(provider, "kind").is_empty(), "the provider has a kind: {s}");
    // The provider is an organisation one can open.
    let org = efa.json(&format!("/api/v1/organisations/{}", str_of(provider, "id")));
    assert_eq!(org["name"], provider["name"], "provider reference and organisation agree");

    let lead = &s["lead_land"];
    assert!(lead.is_object(), "this service has a lead Land: {s}");
    assert!(is_digits(str_of(lead, "code"), 2), "lead_land.code is a two-digit Land code: {lead}");
    assert!(!str_of(lead, "name").is_empty());

    let status = str_of(&s, "status");
    assert!(STATUSES.contains(&status), "status {status:?} is one of {STATUSES:?}");

    let ozg_ids: Vec<i64> = s["ozg_leistungen"].as_array().expect("ozg_leistungen array").iter().map(|o| o["ozg_id"].as_i64().unwrap()).collect();
    assert!(ozg_ids.contains(&implements), "service {id} lists OZG-Leistung {implements} among {ozg_ids:?}");
    assert!(s["prices"].is_object(), "a detail carries its prices object: {s}");
    s
}

#[test]
fn newcomer_finds_wohngeld_its_leika_keys_and_online_services() {
    let efa = Efa::start();

    // 1. Search the catalogue the way one types it.
    let found = efa.json("/api/v1/ozg-leistungen?q=wohngeld");
    assert!(total(&found) >= 1);
    let first = &items(&found)[0];
    assert_eq!(first["ozg_id"], 10092, "Wohngeld ranks first for q=wohngeld: {found}");
    assert_eq!(first["name"], "Wohngeld");
    assert_eq!(first["matched_on"], "name", "a name match says so");

    // 2. Open it: its LeiKa-Leistungen are listed with 14-digit keys.
    let detail_resp = efa.get("/api/v1/ozg-leistungen/10092");
    detail_resp.expect_status(200);
    assert!(detail_resp.header("etag").is_some(), "a detail response carries an ETag: {detail_resp:?}");
    let detail = detail_resp.json();
    assert_eq!(detail["ozg_id"], 10092);
    assert_eq!(detail["name"], "Wohngeld");
    let leika = detail["leika_leistungen"].as_array().expect("leika_leistungen array");
    assert!(!leika.is_empty(), "Wohngeld has LeiKa-Leistungen: {detail}");
    assert_eq!(leika.len() as u64, detail["leika_count"].as_u64().unwrap(), "leika_count matches the list");
    for l in leika {
        let key = str_of(l, "key");
        assert!(is_digits(key, 14), "LeiKa key {key:?} has 14 digits");
    }
    let services = detail["online_services"].as_array().expect("the detail has an online_services array");
    assert_eq!(services.len() as u64, detail["online_services_count"].as_u64().unwrap(), "online_services_count matches the list");

    // 3. A LeiKa key leads back to its OZG-Leistung.
    let key = str_of(&leika[0], "key");
    let l = efa.json(&format!("/api/v1/leika/{key}"));
    assert_eq!(l["key"], key);
    assert_eq!(l["ozg_leistung"]["ozg_id"], 10092, "LeiKa {key} points back to Wohngeld: {l}");

    // The service list filtered by OZG-ID agrees with the detail.
    let by_ozg = efa.json("/api/v1/online-services?ozg_id=10092");
    assert_eq!(total(&by_ozg), services.len() as u64, "online-services?ozg_id=10092 agrees with the detail");

    // 4. Which OZG-Leistungen do have an online service? Follow the first one to a service.
    let with = efa.json("/api/v1/ozg-leistungen?has_online_service=true");
    assert!(total(&with) > 0, "some OZG-Leistungen have online services");
    for o in items(&with) {
        assert!(o["online_services_count"].as_u64().unwrap() > 0, "has_online_service=true only lists ones with services: {o}");
    }
    let ozg_id = items(&with)[0]["ozg_id"].as_i64().unwrap();
    let o = efa.json(&format!("/api/v1/ozg-leistungen/{ozg_id}"));
    let svc = &o["online_services"].as_array().expect("online_services array")[0];
    let svc_id = str_of(svc, "id");
    let s = efa.json(&format!("/api/v1/online-services/{svc_id}"));
    assert!(s["provider"]["name"].is_string(), "the service names its provider: {s}");
    assert!(s["ozg_leistungen"].as_array().unwrap().iter().any(|x| x["ozg_id"] == ozg_id), "service {svc_id} implements {ozg_id}: {s}");

    // 5. Or search the services directly: Elterngeld (OZG 10000) has one.
    let search = efa.json(&format!("/api/v1/online-services?q={}", encode("Elterngeld")));
    let hit = items(&search)
        .iter()
        .find(|s| s["ozg_leistungen"].as_array().unwrap().iter().any(|o| o["ozg_id"] == 10000))
        .unwrap_or_else(|| panic!("q=Elterngeld finds a service implementing OZG 10000: {search}"));
    assert!(search["facets"].is_object(), "service search carries facets");
    let s = check_service_detail(&efa, str_of(hit, "id"), 10000);
    assert_eq!(s["efa"], true, "the Elterngeld service is an EfA service: {s}");
}

#[test]
fn newcomer_finds_a_gemeinde_by_name() {
    let efa = Efa::start();

    // Typed without umlaut, with umlaut (UTF-8, percent-encoded) and in lower case.
    for q in ["Koeln", "Köln", "köln"] {
        let found = efa.json(&format!("/api/v1/gemeinden?q={}", encode(q)));
        let first = &items(&found)[0];
        assert_eq!(first["ags"], "05315000", "q={q}: Köln comes first: {found}");
        assert!(str_of(first, "name").starts_with("Köln"), "q={q}: {first}");
    }

    let r = efa.get("/api/v1/gemeinden/05315000");
    r.expect_status(200);
    let g = r.json();
    assert_eq!(g["ags"], "05315000");
    assert!(is_digits(str_of(&g, "ars"), 12), "ARS has 12 digits: {g}");
    assert!(str_of(&g, "ars").starts_with("05315"));
    assert_eq!(g["land"]["code"], "05");
    assert_eq!(g["land"]["name"], "Nordrhein-Westfalen");
    assert_eq!(g["kreis"]["code"], "05315");
    assert!(g["population"].as_i64().unwrap() > 1_000_000, "Köln has over a million inhabitants: {g}");

    // Conditional GET: the same ETag answers 304 with no body; another one gets the body.
    let etag = r.header("etag").expect("Gemeinde detail carries an ETag").to_string();
    let again = efa.get_with("/api/v1/gemeinden/05315000", &[("If-None-Match", &etag)]);
    again.expect_status(304);
    assert!(again.body.is_empty(), "304 has no body: {again:?}");
    assert_eq!(again.header("etag"), Some(etag.as_str()), "304 repeats the ETag");
    let other = efa.get_with("/api/v1/gemeinden/05315000", &[("If-None-Match", "\"not-the-etag\"")]);
    other.expect_status(200);
    assert_eq!(other.json(), g);

    // The Land and the Kreis lists know it too.
    let kreise = efa.json("/api/v1/kreise?land=05&per_page=100");
    assert!(items(&kreise).iter().any(|k| k["code"] == "05315"), "Kreis 05315 is listed under Land 05");
    let laender = efa.json("/api/v1/laender");
    assert_eq!(total(&laender), 16);
}

#[test]
fn shop_style_search_with_facets_and_pagination() {
    let efa = Efa::start();

    let path = "/api/v1/online-services?lead_land=05&status=live";
    let r = efa.get(path);
    r.expect_status(200);
    let page1 = r.json();
    let n = total(&page1);
    let per_page = page1["per_page"].as_u64().expect("per_page in the body");
    assert_eq!(page1["page"], 1);
    assert!(n > per_page, "enough live NRW-led services for a second page ({n} > {per_page})");
    assert_eq!(items(&page1).len() as u64, per_page);
    for s in items(&page1) {
        assert_eq!(s["lead_land"]["code"], "05", "filter lead_land=05 holds: {s}");
        assert_eq!(s["status"], "live", "filter status=live holds: {s}");
    }

    // Facets: one list per filter dimension; each counts over the *other* active filters,
    // so the value we filter on counts exactly the total.
    let facets = &page1["facets"];
    for dim in ["themenfeld", "provider", "lead_land", "status", "anbindung", "price_model", "efa"] {
        assert!(facets[dim].is_array(), "facets.{dim} is present: {facets}");
    }
    let count = |dim: &str, value: &str| -> u64 {
        facets[dim].as_array().unwrap().iter().find(|f| f["value"] == value).and_then(|f| f["count"].as_u64()).unwrap_or(0)
    };
    assert_eq!(count("status", "live"), n, "status facet for live counts the total: {facets}");
    assert_eq!(count("lead_land", "05"), n, "lead_land facet for 05 counts the total: {facets}");
    for f in facets["status"].as_array().unwrap() {
        assert!(f["label"].is_string() && f["count"].is_u64(), "a facet entry has value, label and count: {f}");
    }

    // RFC 8288 Link header: follow rel="next" to page 2.
    assert!(r.link("first").is_some(), "Link has rel=first: {r:?}");
    assert!(r.link("last").is_some(), "Link has rel=last: {r:?}");
    assert!(r.link("prev").is_none(), "page 1 has no rel=prev: {r:?}");
    let next = r.link("next").unwrap_or_else(|| panic!("page 1 has a rel=next link: {r:?}"));
    let r2 = efa.get(&next);
    r2.expect_status(200);
    let page2 = r2.json();
    assert_eq!(page2["page"], 2, "rel=next leads to page 2 ({next})");
    assert_eq!(total(&page2), n, "the total does not change between pages");
    assert!(!items(&page2).is_empty());
    let ids = |p: &Value| items(p).iter().map(|s| str_of(s, "id").to_string()).collect::<BTreeSet<_>>();
    let (ids1, ids2) = (ids(&page1), ids(&page2));
    assert!(ids1.is_disjoint(&ids2), "page 2 shows other services than page 1");
    for s in items(&page2) {
        assert_eq!(s["lead_land"]["code"], "05", "the next link keeps the filters: {s}");
        assert_eq!(s["status"], "live", "the next link keeps the filters: {s}");
    }
    assert!(r2.link("prev").is_some(), "page 2 links back: {r2:?}");

    // Walking every page visits every service exactly once.
    let mut seen = BTreeSet::new();
    let mut link = Some(path.to_string());
    let mut pages = 0;
    while let Some(target) = link {
        let r = efa.get(&target);
        r.expect_status(200);
        for id in ids(&r.json()) {
            assert!(seen.insert(id), "a service appears on two pages");
        }
        link = r.link("next");
        pages += 1;
        assert!(pages < 100, "pagination ends");
    }
    assert_eq!(seen.len() as u64, n, "all {n} services reached by following rel=next");
}

#[test]
fn mistakes_get_problem_json_and_the_docs_are_served() {
    let efa = Efa::start();

    for (path, status, parameter) in [
        ("/api/v1/ozg-leistungen/99999", 404, None),
        ("/api/v1/ozg-leistungen?per_page=1000", 400, Some("per_page")),
        ("/api/v1/ozg-leistungen?per_page=0", 400, Some("per_page")),
        ("/api/v1/ozg-leistungen/abc", 400, Some("ozg_id")),
        ("/api/v1/gemeinden/123", 400, Some("ags")),
        ("/api/v1/nowhere", 404, None),
        ("/api/nowhere", 404, None),
    ] {
        let r = efa.get(path);
        r.expect_status(status);
        assert_eq!(r.media_type(), "application/problem+json", "GET {path}: {r:?}");
        let p = r.json();
        assert_eq!(p["status"], status, "the problem repeats the status: {p}");
        assert!(p["title"].is_string() && p["type"].is_string(), "RFC 9457 title and type: {p}");
        if let Some(name) = parameter {
            assert_eq!(p["parameter"], name, "the problem names the parameter: {p}");
        }
    }

    // Outside the API, the shop answers: its 404 page, in German.
    let page = efa.get("/nowhere");
    page.expect_status(404);
    assert_eq!(page.media_type(), "text/html", "{page:?}");
    assert!(page.text().contains("Seite nicht gefunden") && page.text().contains("lang=\"de\""), "the shop's 404 page: {page:?}");

    let docs = efa.get("/docs/");
    docs.expect_status(200);
    assert_eq!(docs.media_type(), "text/html", "{docs:?}");
    assert!(docs.text().to_lowercase().contains("swagger"), "Swagger UI at /docs/: {docs:?}");

    let spec = efa.json("/openapi.json");
    let version = str_of(&spec, "openapi");
    assert!(version.starts_with("3.1."), "OpenAPI 3.1.x, got {version}");
    for path in ["/api/v1/ozg-leistungen", "/api/v1/online-services", "/api/v1/gemeinden/{ags}"] {
        assert!(spec["paths"][path].is_object(), "the spec documents {path}");
    }

    let health = efa.json("/healthz");
    assert_eq!(health["status"], "ok");

    // HEAD: the headers of the GET, no body on the wire.
    let get = efa.get("/api/v1/laender");
    let mut conn = std::net::TcpStream::connect(efa.addr()).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    std::io::Write::write_all(&mut conn, b"HEAD /api/v1/laender HTTP/1.1\r\nHost: efa\r\nConnection: close\r\n\r\n").unwrap();
    let mut raw = Vec::new();
    std::io::Read::read_to_end(&mut conn, &mut raw).expect("read the HEAD answer");
    let raw = String::from_utf8(raw).expect("UTF-8 head");
    let (head, body) = raw.split_once("\r\n\r\n").expect("a header block");
    assert!(head.starts_with("HTTP/1.1 200"), "{head}");
    assert!(body.is_empty(), "HEAD carries no body, got {} bytes", body.len());
    let length = head.lines().find_map(|l| l.to_ascii_lowercase().strip_prefix("content-length: ").map(str::to_owned));
    assert_eq!(length, Some(get.body.len().to_string()), "Content-Length as for GET: {head}");
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let mut efa = Efa::start();
    efa.get("/healthz").expect_status(200);
    let (status, took) = efa.terminate(Duration::from_secs(15));
    assert!(status.success(), "efa serve exits with status 0 on SIGTERM, got {status}\n--- stderr ---\n{}", efa.stderr());
    eprintln!("efa serve stopped {took:?} after SIGTERM");
    // Nobody listens any more.
    assert!(std::net::TcpStream::connect(efa.addr()).is_err(), "the port is closed after shutdown");
}
