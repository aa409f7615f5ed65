//! Hostile input on every query filter and path parameter of the route table: SQL
//! metacharacters, Unicode edge cases, NUL, invalid UTF-8, very long strings and huge
//! numbers. Each answer is the right one (200 for harmless search text, else 400 naming the
//! parameter, or 404 for a well-formed id that does not exist), never a 5xx, and nothing is
//! written.

use crate::fixtures::{Fixtures, Target};
use crate::helpers::assert_problem;
use crate::routes::{fill, operations};
use crate::world_test;
use crate::table;
use crate::world::{call, World};
use actix_web::http::Method;
use efa_domain::Role;

/// Free-text parameters: any text up to 200 characters is a harmless search.
const TEXT: &[&str] = &["q", "resource", "actor"];

/// A hostile value, percent-encoded for a URL, and what it is.
pub struct Hostile {
    pub name: &'static str,
    pub encoded: String,
    /// Free-text parameters reject it (NUL, over 200 characters).
    pub bad_text: bool,
    /// Looks like a number: a numeric parameter may accept it.
    pub numeric: bool,
}

pub fn encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The hostile strings of the suite (also used on body fields).
pub fn strings() -> Vec<(&'static str, String)> {
    vec![
        ("sql-or", "' OR 1=1 --".into()),
        ("sql-drop", "\"; DROP TABLE online_services; --".into()),
        ("sql-union", "x' UNION SELECT id, name FROM organisations --".into()),
        ("combining-marks", "Ko\u{308}ln Mu\u{308}nchen".into()),
        ("zalgo", format!("W{}", "\u{301}\u{316}\u{334}\u{35c}".repeat(30))),
        ("rtl-override", "\u{202E}nlöK tdatS".into()),
        ("emoji", "🏛️ Bürgeramt 👩‍💻🇩🇪".into()),
        ("nul", "Köln\u{0}".into()),
        ("long-10k", "x".repeat(10_000)),
        ("long-100k", "y".repeat(100_000)),
    ]
}

pub fn values() -> Vec<Hostile> {
    let mut out: Vec<Hostile> = strings()
        .into_iter()
        .map(|(name, v)| Hostile { name, bad_text: v.contains('\0') || v.chars().count() > 200, encoded: encode(&v), numeric: false })
        .collect();
    // Bytes that are no UTF-8: a lone surrogate (CESU-8) and 0xFF.
    out.push(Hostile { name: "lone-surrogate-bytes", encoded: "%ED%A0%80".into(), bad_text: false, numeric: false });
    out.push(Hostile { name: "invalid-utf8", encoded: "%FF%FE".into(), bad_text: false, numeric: false });
    for (name, v) in [("2^40", "1099511627776"), ("i64-overflow", "99999999999999999999999999"), ("negative", "-1"), ("zero", "0"), ("float", "1e3")] {
        out.push(Hostile { name, encoded: v.into(), bad_text: false, numeric: true });
    }
    out
}

/// The http crate refuses URIs of 64 KiB and more (a server answers 414 or 431 before any
/// handler runs; e2e/tests/faults.rs checks that over the wire), so longer values are body-only.
fn fits_in_uri(h: &Hostile) -> bool {
    h.encoded.len() < 60_000
}

fn operator(w: &World) -> String {
    w.own(Role::Operator)
}

/// Sets `name=value` in a query string, replacing an earlier value.
fn with_param(uri: &str, name: &str, value: &str) -> String {
    let (path, query) = uri.split_once('?').unwrap_or((uri, ""));
    let mut pairs: Vec<String> = query.split('&').filter(|p| !p.is_empty() && p.split('=').next() != Some(name)).map(str::to_owned).collect();
    pairs.push(format!("{name}={value}"));
    format!("{path}?{}", pairs.join("&"))
}

world_test!(hostile_query_parameters_get_200_or_400_and_write_nothing, |w, app| {
    let f = Fixtures::build(app, w, false).await;
    let token = operator(w);
    let cases = table::cases();
    let before = w.fingerprint();
    let mut wrong = Vec::new();
    let mut calls = 0;
    for op in operations().into_iter().filter(|o| o.method == Method::GET && !o.query.is_empty()) {
        let case = cases.iter().find(|c| c.op == op.id).expect("a table row");
        let base = fill(&op.path, case, f.id(case.target, crate::fixtures::Requester::Koeln).as_deref());
        let plain = call(app, &op.method, &base, Some(&token), None).await;
        assert_eq!(plain.status.as_u16(), 200, "{base}: {}", plain.text());
        let unfiltered = plain.json()["total"].as_u64();
        // An unknown parameter is named, not ignored.
        let r = call(app, &op.method, &with_param(&base, "evil", "1"), Some(&token), None).await;
        assert_eq!(assert_problem(&r, 400)["parameter"], "evil", "{} ?evil=1", op.id);
        for param in &op.query {
            for h in values().iter().chain([Hostile { name: "u32-max", encoded: "4294967295".into(), bad_text: false, numeric: true }].iter()).filter(|h| fits_in_uri(h)) {
                let uri = with_param(&base, param, &h.encoded);
                let r = call(app, &op.method, &uri, Some(&token), None).await;
                calls += 1;
                let status = r.status.as_u16();
                let expected: &[u16] = if TEXT.contains(&param.as_str()) {
                    if h.bad_text { &[400] } else { &[200] }
                } else if param == "page" {
                    if h.name == "u32-max" { &[200] } else { &[400] }
                } else if param == "per_page" || !h.numeric {
                    &[400]
                } else {
                    &[200, 400]
                };
                let shown: String = uri.chars().take(160).collect();
                if !expected.contains(&status) {
                    wrong.push(format!("{} {param}={} ({shown}): expected {expected:?}, got {status} {}", op.id, h.name, r.text().chars().take(300).collect::<String>()));
                    continue;
                }
                if status == 400 {
                    let p = assert_problem(&r, 400);
                    assert_eq!(p["parameter"], param.as_str(), "{shown}: the problem names the parameter: {p}");
                } else if h.name.starts_with("sql") {
                    // An injected condition matching everything would return every row.
                    let total = r.json()["total"].as_u64();
                    if let (Some(t), Some(all)) = (total, unfiltered) {
                        assert!(all <= 1 || t < all, "{shown}: {param}={} finds {t} of {all}", h.name);
                    }
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {calls} hostile query calls answered wrongly:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(w.fingerprint(), before, "hostile queries wrote something");
    assert!(calls > 500, "{calls} calls");
});

world_test!(hostile_path_parameters_get_400_or_404_and_write_nothing, |w, app| {
    let f = Fixtures::build(app, w, false).await;
    let token = operator(w);
    let cases = table::cases();
    let mut wrong = Vec::new();
    let mut calls = 0;
    let start = w.fingerprint();
    for op in operations().into_iter().filter(|o| o.path.contains('{')) {
        let case = cases.iter().find(|c| c.op == op.id).expect("a table row");
        // The other parameters of the path: well-formed; whether they exist does not matter.
        let placeholder = match case.target {
            Target::Agreement(_) => "EFA-2026-999999",
            _ => "00000000-0000-4000-8000-000000000000",
        };
        let id = f.id(case.target, crate::fixtures::Requester::Koeln).unwrap_or_else(|| placeholder.to_owned());
        let good = fill(&op.path, case, Some(&id));
        let body = case.body.map(|b| b(&f));
        let (template, good) = (op.path.split('/').collect::<Vec<_>>(), good.split('?').next().unwrap_or("").to_owned());
        let good_segments: Vec<&str> = good.split('/').collect();
        for (i, seg) in template.iter().enumerate().filter(|(_, s)| s.starts_with('{')) {
            for h in values().into_iter().filter(fits_in_uri) {
                let mut segments: Vec<String> = good_segments.iter().map(|s| s.to_string()).collect();
                segments[i] = h.encoded.clone();
                let uri = segments.join("/");
                let before = (op.method != Method::GET).then(|| w.fingerprint());
                let r = call(app, &op.method, &uri, Some(&token), body.as_ref()).await;
                calls += 1;
                let status = r.status.as_u16();
                let allowed: &[u16] = &[400, 404];
                if !allowed.contains(&status) {
                    wrong.push(format!("{} {seg}={}: got {status} {}", op.id, h.name, r.text().chars().take(300).collect::<String>()));
                } else {
                    assert_problem(&r, status);
                }
                if before.is_some_and(|b| b != w.fingerprint()) {
                    wrong.push(format!("{} {seg}={}: wrote something", op.id, h.name));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{} of {calls} hostile path calls answered wrongly:\n{}", wrong.len(), wrong.join("\n"));
    assert_eq!(w.fingerprint(), start, "hostile path parameters wrote something");
    assert!(calls > 300, "{calls} calls");
});
