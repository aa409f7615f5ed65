//! Hostile input in request bodies: every text field of a listing and of the Nachnutzung
//! bodies. Harmless text (SQL metacharacters, combining marks, emoji) is data: it is stored
//! and read back byte for byte. NUL and other control characters, bidi overrides in listings
//! and overlong text answer 422 naming the field; a body over 64 KiB 413. A rejected body
//! writes nothing, and nothing answers 5xx.

use crate::fixtures::{self, Fixtures, ListingStage, Requester, RequestStage};
use crate::helpers::assert_problem;
use crate::hostile::strings;
use crate::world_test;
use crate::world::{call, raw, World};
use actix_web::http::Method;
use efa_domain::Role;
use serde_json::{json, Value};

const LIMIT: usize = 64 * 1024;

/// Listing text fields: JSON pointer, longest accepted text, multi-line.
const LISTING_TEXT: &[(&str, usize)] = &[
    ("/name", 200),
    ("/description", 5_000),
    ("/terms/text", 20_000),
    ("/terms/version", 100),
    ("/contact/name", 200),
    ("/contact/phone", 50),
    ("/anbindung_details/xoev_standard", 100),
    ("/anbindung_details/xoev_version", 100),
    ("/anbindung_details/fachverfahren_interfaces/0", 200),
];

/// Listing fields with a format: no hostile string is one.
const LISTING_TYPED: &[&str] = &[
    "/provider_org_id", "/url", "/status", "/lead_land", "/price/model", "/anbindung/0", "/reach", "/contact/email", "/conformance/0/criterion",
];

/// A complete listing with every optional text field present.
fn full_listing() -> Value {
    let mut b = fixtures::listing_body(&format!("Eingabetest {}", uuid::Uuid::new_v4().simple()));
    b["contact"]["phone"] = json!("+49 211 000000");
    b["anbindung_details"] = json!({"xoev_standard": "XWohngeld", "xoev_version": "1.2", "fachverfahren_interfaces": ["DiWo"]});
    b["conformance"] = json!([{"criterion": "MA-01", "level": "fulfilled"}]);
    b["reach"] = json!("agreements");
    b
}

fn set(body: &mut Value, pointer: &str, v: Value) {
    let shown = body.to_string();
    *body.pointer_mut(pointer).unwrap_or_else(|| panic!("{pointer} in {shown}")) = v;
}

/// The field name a 422 reports for a JSON pointer (`/terms/text` → `terms.text`, `/anbindung/0` → `anbindung[0]`).
fn field_name(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.trim_start_matches('/').split('/') {
        if part.chars().all(|c| c.is_ascii_digit()) {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

/// 413 when the body is too large, else 422 naming `field`; nothing written either way.
fn expect_rejected(r: &crate::helpers::Resp, body_len: usize, field: &str, what: &str) {
    if body_len > LIMIT {
        assert_problem(r, 413);
        return;
    }
    let p = assert_problem(r, 422);
    let fields: Vec<&str> = p["errors"].as_array().map(|e| e.iter().filter_map(|e| e["field"].as_str()).collect()).unwrap_or_default();
    assert!(fields.contains(&field), "{what}: the 422 names {field}: {p}");
}

async fn create<A: crate::world::TestApp>(app: &A, w: &World, body: &Value) -> crate::helpers::Resp {
    call(app, &Method::POST, "/api/v1/online-services", Some(&w.own(Role::ProviderPublisher)), Some(body)).await
}

world_test!(hostile_listing_fields_are_stored_verbatim_or_rejected_with_their_name, |w, app| {
    // Rejected: NUL, bidi override, overlong text, any hostile string in a formatted field.
    let before = w.fingerprint();
    for (pointer, max) in LISTING_TEXT {
        for (name, v) in strings() {
            let rejected = v.contains('\0') || v.contains('\u{202E}') || v.trim().chars().count() > *max;
            if !rejected {
                continue;
            }
            let mut body = full_listing();
            set(&mut body, pointer, json!(v));
            let r = create(app, w, &body).await;
            expect_rejected(&r, body.to_string().len(), &field_name(pointer), &format!("{pointer}={name}"));
        }
    }
    for pointer in LISTING_TYPED {
        for (name, v) in strings() {
            let mut body = full_listing();
            set(&mut body, pointer, json!(v));
            let r = create(app, w, &body).await;
            expect_rejected(&r, body.to_string().len(), &field_name(pointer), &format!("{pointer}={name}"));
        }
    }
    assert_eq!(w.fingerprint(), before, "a rejected listing wrote something");

    // Accepted: each harmless hostile string in every text field at once, read back verbatim.
    for (name, v) in strings().into_iter().filter(|(_, v)| !v.contains('\0') && !v.contains('\u{202E}') && v.chars().count() <= 50) {
        let mut body = full_listing();
        for (pointer, _) in LISTING_TEXT {
            let value = if *pointer == "/name" { format!("{v} {}", uuid::Uuid::new_v4().simple()) } else { v.clone() };
            set(&mut body, pointer, json!(value));
        }
        let r = create(app, w, &body).await;
        assert_eq!(r.status.as_u16(), 201, "{name}: {}", r.text());
        let id = r.json()["id"].as_str().expect("id").to_owned();
        let stored = crate::world::ok(&call(app, &Method::GET, &format!("/api/v1/online-services/{id}/listing"), Some(&w.own(Role::ProviderPublisher)), None).await, "listing");
        for (pointer, _) in LISTING_TEXT {
            let sent = body.pointer(pointer).expect("sent");
            assert_eq!(stored["content"].pointer(pointer), Some(sent), "{name}: {pointer} round-trips");
        }
    }
});

/// Where a Nachnutzung text field goes: URI, token and body (a fresh target where the call changes it).
/// `shared`: a land-approved request and an approved framework agreement, for fields no hostile
/// string is valid in (the call fails and leaves them as they are).
async fn nachnutzung_call<A: crate::world::TestApp>(app: &A, w: &World, f: &Fixtures, shared: &(String, String), field: &str, v: &str) -> (String, String, Value) {
    let koeln = w.own(Role::MunicipalityUser);
    match field {
        "parent_agreement" => (format!("/api/v1/reuse-requests/{}/accept", shared.0), w.own(Role::ProviderPublisher), json!({"parent_agreement": v})),
        "municipality" => (format!("/api/v1/framework-agreements/{}/accessions", shared.1), koeln, json!({"municipality": v})),
        "municipalities" => ("/api/v1/reuse-requests".to_owned(), w.own(Role::Bundler), json!({"online_service_id": f.published, "municipalities": [v]})),
        "note" => ("/api/v1/reuse-requests".to_owned(), koeln, json!({"online_service_id": f.published, "note": v})),
        "body" => {
            let id = fixtures::request(app, w, &f.published, Requester::Koeln, RequestStage::Draft).await;
            (format!("/api/v1/reuse-requests/{id}/messages"), koeln, json!({"body": v}))
        }
        "reason" => {
            let id = fixtures::request(app, w, &f.published, Requester::Koeln, RequestStage::Submitted).await;
            (format!("/api/v1/reuse-requests/{id}/reject"), w.own(Role::LandCoordinator), json!({"reason": v}))
        }
        "listing-reason" => {
            let id = fixtures::listing(app, w, ListingStage::InReview).await;
            (format!("/api/v1/online-services/{id}/reject"), w.own(Role::Operator), json!({"reason": v}))
        }
        _ => {
            let mut b = json!({"online_service_id": f.published, "land": "05", "terms_text": "Rahmenvertrag", "terms_version": "1.0"});
            b[field] = json!(v);
            ("/api/v1/framework-agreements".to_owned(), w.own(Role::ProviderPublisher), b)
        }
    }
}

world_test!(hostile_nachnutzung_text_is_stored_verbatim_or_rejected, |w, app| {
    let f = Fixtures::build(app, w, false).await;
    let approved = fixtures::request(app, w, &fixtures::listing(app, w, ListingStage::Published).await, Requester::Koeln, RequestStage::LandApproved).await;
    let framework = fixtures::framework(app, w, &fixtures::listing(app, w, ListingStage::Published).await, fixtures::FrameworkStage::Approved).await;
    let shared = (approved, framework);
    // (field, the name a 422 gives it, the longest text accepted; 0: no hostile string is valid).
    let fields: &[(&str, &str, usize)] = &[
        ("note", "note", 5_000),
        ("body", "body", 10_000),
        ("reason", "reason", 2_000),
        ("listing-reason", "reason", 2_000),
        ("terms_text", "terms_text", 20_000),
        ("terms_version", "terms_version", 100),
        ("parent_agreement", "parent_agreement", 0),
        ("municipality", "municipality", 0),
        ("municipalities", "municipalities[0]", 0),
    ];
    let mut wrong = Vec::new();
    for (field, reported, max) in fields {
        for (name, v) in strings() {
            let (uri, token, body) = nachnutzung_call(app, w, &f, &shared, field, &v).await;
            let len = body.to_string().len();
            let before = w.fingerprint();
            let r = call(app, &Method::POST, &uri, Some(&token), Some(&body)).await;
            let what = format!("{field}={name}");
            if len > LIMIT || v.contains('\0') || v.trim().chars().count() > *max {
                if r.status.is_success() || r.status.is_server_error() {
                    wrong.push(format!("{what}: expected 413/422, got {} {}", r.status, r.text().chars().take(200).collect::<String>()));
                    continue;
                }
                expect_rejected(&r, len, reported, &what);
                assert_eq!(w.fingerprint(), before, "{what}: a rejected body wrote something");
                continue;
            }
            if !r.status.is_success() {
                wrong.push(format!("{what}: expected 2xx, got {} {}", r.status, r.text().chars().take(200).collect::<String>()));
                continue;
            }
            let back = r.json();
            let stored = match *field {
                "reason" => &back["decision_reason"],
                "listing-reason" => &back["review_note"],
                other => &back[other],
            };
            assert_eq!(stored, &json!(v.trim()), "{what}: stored verbatim");
        }
    }
    assert!(wrong.is_empty(), "{} hostile texts answered wrongly:\n{}", wrong.len(), wrong.join("\n"));
});

/// Every operation with a JSON body, with a caller that may call it and a target that exists.
fn json_endpoints(w: &World, f: &Fixtures) -> Vec<(String, String, String)> {
    let nn = f.nn();
    let pp = w.own(Role::ProviderPublisher);
    let koeln = w.own(Role::MunicipalityUser);
    let lc = w.own(Role::LandCoordinator);
    let op = w.own(Role::Operator);
    vec![
        ("create_online_service", "/api/v1/online-services".to_owned(), pp.clone()),
        ("update_online_service", format!("/api/v1/online-services/{}", f.draft), pp.clone()),
        ("reject_online_service", format!("/api/v1/online-services/{}/reject", f.in_review), op.clone()),
        ("create_reuse_request", "/api/v1/reuse-requests".to_owned(), koeln.clone()),
        ("create_request_message", format!("/api/v1/reuse-requests/{}/messages", nn.koeln.submitted), koeln.clone()),
        ("reject_reuse_request", format!("/api/v1/reuse-requests/{}/reject", nn.koeln.submitted), lc),
        ("accept_reuse_request", format!("/api/v1/reuse-requests/{}/accept", nn.koeln.approved), pp.clone()),
        ("decline_reuse_request", format!("/api/v1/reuse-requests/{}/decline", nn.koeln.approved), pp.clone()),
        ("terminate_agreement", format!("/api/v1/agreements/{}/terminate", nn.koeln.active), koeln.clone()),
        ("create_framework_agreement", "/api/v1/framework-agreements".to_owned(), pp),
        ("create_accession", format!("/api/v1/framework-agreements/{}/accessions", nn.approved_framework), koeln.clone()),
        ("create_webhook", "/api/v1/webhooks".to_owned(), koeln),
        ("import_catalogue", "/api/v1/catalogue/imports".to_owned(), op.clone()),
        ("import_availability", "/api/v1/availability/imports".to_owned(), op.clone()),
        ("create_ozg_leistung", "/api/v1/ozg-leistungen".to_owned(), op.clone()),
        ("update_ozg_leistung", "/api/v1/ozg-leistungen/10092".to_owned(), op.clone()),
        ("put_leika_leistung", "/api/v1/leika/99107023000000".to_owned(), op.clone()),
        ("update_themenfeld", "/api/v1/themenfelder/1".to_owned(), op.clone()),
    ]
    .into_iter()
    .map(|(a, b, c)| (a.to_owned(), b, c))
    .collect()
}

world_test!(malformed_bodies_get_400_413_415_or_422_and_write_nothing, |w, app| {
    let f = Fixtures::build(app, w, true).await;
    let endpoints = json_endpoints(w, &f);
    // Every operation of the route table that takes a body is tried here.
    let with_body: Vec<String> = crate::routes::operations().into_iter().filter(|o| !o.body_types.is_empty()).map(|o| o.id).collect();
    for id in &with_body {
        assert!(endpoints.iter().any(|(e, _, _)| e == id) || id == "sign_agreement", "{id} takes a body: add it to json_endpoints");
    }
    let deep = |n: usize| format!("{}{}", "[".repeat(n), "]".repeat(n));
    let bodies: Vec<(&str, Option<&str>, Vec<u8>, &[u16])> = vec![
        ("lone surrogate", Some("application/json"), br#"{"note": "\ud800", "reason": "\udfff x", "body": "\ud800"}"#.to_vec(), &[400]),
        ("nesting 10000 deep", Some("application/json"), deep(10_000).into_bytes(), &[400]),
        ("nesting 100 000 deep", Some("application/json"), deep(100_000).into_bytes(), &[413]),
        ("object nested 100 deep", Some("application/json"), format!("{{\"note\": {}}}", deep(100)).into_bytes(), &[422]),
        ("truncated JSON", Some("application/json"), b"{\"note\": ".to_vec(), &[400]),
        ("not an object", Some("application/json"), b"[\"' OR 1=1 --\"]".to_vec(), &[422]),
        ("oversized", Some("application/json"), format!("{{\"note\": \"{}\"}}", "z".repeat(LIMIT)).into_bytes(), &[413]),
        ("text/plain", Some("text/plain"), b"{}".to_vec(), &[415]),
        ("form", Some("application/x-www-form-urlencoded"), b"note=%27%20OR%201%3D1".to_vec(), &[415]),
        ("multipart", Some("multipart/form-data; boundary=x"), b"--x\r\n\r\n{}\r\n--x--".to_vec(), &[415]),
        ("xml", Some("application/xml"), b"<note>x</note>".to_vec(), &[415]),
        ("no content type", None, b"{}".to_vec(), &[415]),
    ];
    let mut wrong = Vec::new();
    for (id, uri, token) in &endpoints {
        let method = match id.as_str() {
            "update_online_service" | "update_ozg_leistung" | "update_themenfeld" => Method::PATCH,
            "put_leika_leistung" => Method::PUT,
            _ => Method::POST,
        };
        // The imports take bodies up to 32 MiB: a body over the others' 64 KiB is still read.
        let big = id.starts_with("import_");
        for (name, ct, payload, expected) in &bodies {
            let expected: &[u16] = if big && (*name == "oversized" || *name == "nesting 100 000 deep") { &[400, 422] } else { expected };
            // A merge patch is JSON too; an array is a valid merge patch that replaces everything.
            let ct = if method == Method::PATCH && *ct == Some("application/json") { Some("application/merge-patch+json") } else { *ct };
            let before = w.fingerprint();
            let r = raw(app, method.clone(), uri, Some(token), ct, payload.clone()).await;
            let status = r.status.as_u16();
            if !expected.contains(&status) {
                wrong.push(format!("{id} with {name}: expected {expected:?}, got {status} {}", r.text().chars().take(200).collect::<String>()));
            } else {
                assert_problem(&r, status);
            }
            if w.fingerprint() != before {
                wrong.push(format!("{id} with {name}: wrote something"));
            }
        }
    }
    // Signing takes no body, but one that is sent must still be readable JSON.
    let sign = format!("/api/v1/agreements/{}/sign", f.nn().koeln.pending);
    let koeln = w.own(Role::MunicipalityUser);
    for (name, ct, payload, expected) in bodies.iter().filter(|b| matches!(b.3, [400] | [413] | [415])) {
        let before = w.fingerprint();
        let r = raw(app, Method::POST, &sign, Some(&koeln), *ct, payload.clone()).await;
        if !expected.contains(&r.status.as_u16()) {
            wrong.push(format!("sign_agreement with {name}: expected {expected:?}, got {} {}", r.status, r.text().chars().take(200).collect::<String>()));
        }
        if w.fingerprint() != before {
            wrong.push(format!("sign_agreement with {name}: wrote something"));
        }
    }
    assert!(wrong.is_empty(), "{} malformed bodies answered wrongly:\n{}", wrong.len(), wrong.join("\n"));
});
