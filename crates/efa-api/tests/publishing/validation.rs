//! Validation: every invalid field in one 422, and the transport errors (413, 415, 400) as
//! problem+json. In every failing case nothing is written: no row, no event.

use crate::helpers::{assert_problem, send};
use crate::world_test;
use crate::support::*;
use actix_web::test::TestRequest;
use serde_json::{json, Value};

fn fields(p: &Value) -> Vec<String> {
    p["errors"].as_array().unwrap_or_else(|| panic!("no errors array: {p}")).iter().map(|e| e["field"].as_str().unwrap().to_owned()).collect()
}

/// The distinct fields named (a field may carry more than one message).
fn distinct_fields(p: &Value) -> Vec<String> {
    let mut f = fields(p);
    f.sort();
    f.dedup();
    f
}

world_test!(one_422_lists_every_invalid_field, |w, app| {
    let before = w.counts();
    let body = json!({
        "name": "",
        "provider_org_id": "00000000-0000-4000-8000-000000000000",
        "ozg_ids": [99999, "10092", 10092, 10092],
        "lead_land": "17",
        "efa": "yes",
        "status": "online",
        "reifegrad": 5,
        "anbindung": ["carrier_pigeon"],
        "url": "http://service.example.de/antrag",
        "price": {"model": "annual", "annual_fee_cents": -1, "one_off_anbindung_fee_cents": 12.5, "per_use_cents": -5, "discount": 3},
        "conformance": [
            {"criterion": "XX-99", "level": "fulfilled", "evidence_url": "http://example.de/nachweis"},
            {"criterion": "MA-01", "level": "mostly"},
            {"criterion": "MA-02", "level": "fulfilled", "note": "?"}
        ],
        "terms": {"text": "", "version": "1.0"},
        "contact": {"name": "Servicedesk", "email": "no-address"},
        "availability": {"nationwide": false, "laender": []},
        "anbindung_details": {"fachverfahren_interfaces": [""], "xoev_standard": 7},
        "colour": "blue"
    });
    let r = create(app, Some(&w.nrw_publisher()), &body).await;
    let p = assert_problem(&r, 422);
    assert_eq!(p["type"], "https://efa-marktplatz.de/problems/validation-failed");
    let got = fields(&p);
    let expected = [
        "name", "provider_org_id", "ozg_ids[0]", "ozg_ids[1]", "ozg_ids[3]", "lead_land", "efa", "status", "reifegrad", "anbindung[0]", "url",
        "price.annual_fee_cents", "price.one_off_anbindung_fee_cents", "price.per_use_cents", "price.discount", "conformance[0].criterion",
        "conformance[0].evidence_url", "conformance[1].level", "conformance[2].note", "terms.text", "contact.email", "availability.laender",
        "anbindung_details.fachverfahren_interfaces[0]", "anbindung_details.xoev_standard", "colour",
    ];
    for f in expected {
        assert!(got.iter().any(|g| g == f), "{f} missing from {got:?}");
    }
    assert!(p["detail"].as_str().unwrap().contains(&got.len().to_string()), "detail counts the errors: {p}");
    for e in p["errors"].as_array().unwrap() {
        assert!(e["message"].as_str().is_some_and(|m| !m.is_empty()), "{e}");
        assert_eq!(e.as_object().unwrap().len(), 2, "{{field, message}}: {e}");
    }
    assert_eq!(w.counts(), before);
});

world_test!(each_rule_alone_is_a_422_naming_its_field, |w, app| {
    let token = w.nrw_publisher();
    let before = w.counts();
    type Change = fn(&mut Value);
    let cases: Vec<(&str, Change, &str)> = vec![
        ("negative amount", |b| b["price"]["annual_fee_cents"] = json!(-100), "price.annual_fee_cents"),
        ("negative per-inhabitant", |b| b["price"]["per_inhabitant_cents"] = json!(-1), "price.per_inhabitant_cents"),
        ("negative Königsteiner total", |b| b["price"]["koenigsteiner_total_cents"] = json!(-1), "price.koenigsteiner_total_cents"),
        ("amount not whole", |b| b["price"]["per_use_cents"] = json!(0.5), "price.per_use_cents"),
        ("http URL", |b| b["url"] = json!("http://service.example.nrw.de/antrag"), "url"),
        ("javascript URL", |b| b["url"] = json!("javascript:alert(1)"), "url"),
        ("http evidence URL", |b| b["conformance"][0]["evidence_url"] = json!("http://example.de/x"), "conformance[0].evidence_url"),
        ("unknown OZG-ID", |b| b["ozg_ids"] = json!([99999]), "ozg_ids[0]"),
        ("no OZG-ID", |b| b["ozg_ids"] = json!([]), "ozg_ids"),
        ("unknown organisation", |b| b["provider_org_id"] = json!("11111111-1111-4111-8111-111111111111"), "provider_org_id"),
        ("unknown criterion", |b| b["conformance"][2]["criterion"] = json!("MA-99"), "conformance[2].criterion"),
        ("criterion twice", |b| b["conformance"][1]["criterion"] = json!("MA-01"), "conformance[1].criterion"),
        ("unknown conformance level", |b| b["conformance"][0]["level"] = json!("yes"), "conformance[0].level"),
        ("unknown top-level field", |b| b["rating"] = json!(5), "rating"),
        ("unknown nested field", |b| b["contact"]["fax"] = json!("0211"), "contact.fax"),
        ("name too long", |b| b["name"] = json!("N".repeat(201)), "name"),
        ("control character", |b| b["name"] = json!("Wohn\u{0007}geld"), "name"),
        ("missing name", |b| b["name"] = Value::Null, "name"),
        ("missing status", |b| b["status"] = Value::Null, "status"),
        ("price model without its amount", |b| b["price"] = json!({"model": "per_use"}), "price.per_use_cents"),
        ("free with a fee", |b| b["price"] = json!({"model": "free", "annual_fee_cents": 100}), "price.model"),
        ("nationwide with Länder", |b| b["availability"] = json!({"nationwide": true, "laender": ["05"]}), "availability.laender"),
        ("terms without version", |b| b["terms"] = json!({"text": "Bedingungen"}), "terms.version"),
        ("phone too long", |b| b["contact"]["phone"] = json!("1".repeat(51)), "contact.phone"),
    ];
    for (what, change, field) in cases {
        let mut body = listing(&nrw(), "Prüftest Einzelregel", 10092);
        change(&mut body);
        let r = create(app, Some(&token), &body).await;
        let p = assert_problem(&r, 422);
        assert_eq!(distinct_fields(&p), vec![field.to_owned()], "{what}: {p}");
    }
    // Not an object at all.
    for body in [json!([]), json!("listing"), json!(null)] {
        let p = assert_problem(&create(app, Some(&token), &body).await, 422);
        assert_eq!(fields(&p), vec!["body".to_owned()], "{body}");
    }
    assert_eq!(w.counts(), before);
});

world_test!(an_invalid_merge_patch_is_422_and_changes_nothing, |w, app| {
    let token = w.nrw_publisher();
    let id = created(app, &token, &listing(&nrw(), "Patchprüfung Anwohnerparken", 10092)).await;
    let before = w.counts();
    let cases = [
        (json!({"price": {"annual_fee_cents": -5}, "url": "http://x.example.de"}), vec!["price.annual_fee_cents", "url"]),
        (json!({"name": null}), vec!["name"]),
        (json!({"ozg_ids": [99999]}), vec!["ozg_ids[0]"]),
        (json!({"hobby": "x"}), vec!["hobby"]),
        (json!({"provider_org_id": bayern()}), vec!["provider_org_id"]),
    ];
    for (patch_body, expected) in cases {
        let r = patch(app, &id, Some(&token), Some(&etag(1)), &patch_body).await;
        let p = assert_problem(&r, 422);
        assert_eq!(distinct_fields(&p), expected, "{patch_body}");
    }
    assert_eq!(w.counts(), before);
    assert_eq!(w.row_state(&id).1, 1, "revision unchanged");
    assert_eq!(working_copy(app, &id, &token).await["content"]["name"], "Patchprüfung Anwohnerparken");
});

world_test!(transport_errors_are_problems_and_write_nothing, |w, app| {
    let token = w.nrw_publisher();
    let id = created(app, &token, &listing(&nrw(), "Transporttest Sperrmüll", 10092)).await;
    let before = w.counts();
    let post = |ct: Option<&str>, body: Vec<u8>| {
        let mut req = TestRequest::post().uri("/api/v1/online-services").set_payload(body);
        if let Some(ct) = ct {
            req = req.insert_header(("content-type", ct));
        }
        bearer(req, Some(&token))
    };

    // Larger than 64 KiB: 413, with a valid JSON body and as a PATCH.
    let mut big = listing(&nrw(), "Transporttest groß", 10092);
    big["description"] = json!("x".repeat(70 * 1024));
    let p = assert_problem(&send(app, post(Some("application/json"), big.to_string().into_bytes())).await, 413);
    assert_eq!(p["type"], "https://efa-marktplatz.de/problems/payload-too-large");
    assert_problem(&patch(app, &id, Some(&token), Some(&etag(1)), &json!({"description": "y".repeat(70 * 1024)})).await, 413);

    // Wrong or missing content type: 415.
    let valid = listing(&nrw(), "Transporttest Typ", 10092).to_string().into_bytes();
    for ct in [Some("text/plain"), Some("application/x-www-form-urlencoded"), Some("application/xml"), None] {
        let p = assert_problem(&send(app, post(ct, valid.clone())).await, 415);
        assert_eq!(p["type"], "https://efa-marktplatz.de/problems/unsupported-media-type", "{ct:?}");
    }
    let req = bearer(
        TestRequest::patch().uri(&format!("/api/v1/online-services/{id}")).insert_header(("content-type", "text/plain")).insert_header(("if-match", etag(1))).set_payload("{}"),
        Some(&token),
    );
    assert_problem(&send(app, req).await, 415);

    // Malformed JSON: 400.
    for body in ["{", "{\"name\": }", "not json", "{\"name\": \"a\"} trailing", ""] {
        let p = assert_problem(&send(app, post(Some("application/json"), body.as_bytes().to_vec())).await, 400);
        assert_eq!(p["type"], "https://efa-marktplatz.de/problems/bad-request", "{body:?}");
    }
    // Deeply nested JSON: refused as 400 without exhausting the stack.
    for deep in ["[".repeat(10_000), "{\"a\":".repeat(10_000), format!("{}{}", "[".repeat(5_000), "]".repeat(5_000))] {
        assert_problem(&send(app, post(Some("application/json"), deep.into_bytes())).await, 400);
    }
    let nested = format!("{{\"description\": {}1{}}}", "[".repeat(10_000), "]".repeat(10_000));
    let req = bearer(
        TestRequest::patch()
            .uri(&format!("/api/v1/online-services/{id}"))
            .insert_header(("content-type", "application/merge-patch+json"))
            .insert_header(("if-match", etag(1)))
            .set_payload(nested),
        Some(&token),
    );
    assert_problem(&send(app, req).await, 400);
    // A broken reject body is a 400 too.
    let req = bearer(TestRequest::post().uri(&format!("/api/v1/online-services/{id}/reject")).insert_header(("content-type", "application/json")).set_payload("{"), Some(&w.operator()));
    assert_problem(&send(app, req).await, 400);

    assert_eq!(w.counts(), before);
    assert_eq!(w.row_state(&id).1, 1);
});
