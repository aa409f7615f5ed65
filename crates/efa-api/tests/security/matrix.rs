//! The security matrix, generated from the route table (the OpenAPI document): every
//! operation × every role × own versus foreign organisation (and Land), against the
//! expectation table. Denied calls must answer the expected problem+json and write nothing;
//! allowed writes must write.

use crate::fixtures::{Fixtures, Requester};
use crate::helpers::assert_problem;
use crate::world_test;
use crate::table;
use crate::routes::{fill, operations, Op};
use crate::world::{call, TestApp, World, COLUMNS};
use actix_web::http::Method;
use std::collections::BTreeSet;

#[test]
fn every_operation_has_a_policy_decision() {
    let cases = table::cases();
    let known: BTreeSet<&str> = cases.iter().map(|c| c.op).collect();
    let ops = operations();
    let missing: Vec<String> = ops.iter().filter(|o| !known.contains(o.id.as_str())).map(|o| format!("{} {} ({})", o.method, o.path, o.id)).collect();
    assert!(missing.is_empty(), "new endpoint without a policy decision: add a row to tests/security/table.rs for {missing:#?}");
    let in_spec: BTreeSet<&str> = ops.iter().map(|o| o.id.as_str()).collect();
    let stale: Vec<&str> = known.difference(&in_spec).copied().collect();
    assert!(stale.is_empty(), "the expectation table names operations the API no longer has: {stale:?}");
    assert!(ops.len() >= 46, "the route table shrank to {} operations", ops.len());
}

/// What the document promises about tokens is what the table expects: a secured operation
/// answers 401 without a token, an unsecured one never does.
#[test]
fn the_table_agrees_with_the_documented_security() {
    let ops = operations();
    for c in table::cases() {
        let op = ops.iter().find(|o| o.id == c.op).unwrap_or_else(|| panic!("{} not in the spec", c.op));
        let anonymous = table::parse(c.expect)[0];
        if op.secured {
            assert_eq!(anonymous, "401", "{}: secured in the spec, so anonymous callers get 401", c.op);
        } else {
            assert_ne!(anonymous, "401", "{}: not secured in the spec, so no 401", c.op);
        }
        // The policy never lets an anonymous caller write.
        if op.method != Method::GET {
            assert_eq!(anonymous, "401", "{}: an anonymous write", c.op);
        }
    }
}

/// Runs every case of the operations `include` selects; returns how many calls were made.
async fn run<A: TestApp>(app: &A, w: &World, include: fn(&Op) -> bool, with_nachnutzung: bool) -> usize {
    let f = Fixtures::build(app, w, with_nachnutzung).await;
    let ops = operations();
    let cases = table::cases();
    let mut calls = 0;
    let mut failures = Vec::new();
    for op in ops.iter().filter(|o| include(o)) {
        for case in cases.iter().filter(|c| c.op == op.id) {
            for (col, class) in COLUMNS.iter().zip(table::parse(case.expect)) {
                let who = if col.is_bundler() { Requester::Bundler } else { Requester::Koeln };
                let allowed = class == "2xx";
                let id = if allowed && case.fresh { f.fresh(app, w, case.target, who).await } else { f.id(case.target, who) };
                let uri = fill(&op.path, case, id.as_deref());
                let body = case.body.map(|b| b(&f));
                let token = w.token(*col);
                let before = w.fingerprint();
                let r = call(app, &op.method, &uri, token.as_deref(), body.as_ref()).await;
                let after = w.fingerprint();
                calls += 1;
                let what = format!("{} {uri} ({}) as {}", op.method, op.id, col.label());
                // A dry run is a read: it must write nothing.
                let read = op.method == Method::GET || case.query.contains("dry_run=true");
                if allowed {
                    if !r.status.is_success() {
                        failures.push(format!("{what}: expected 2xx, got {} {}", r.status, r.text()));
                    } else if !read && after[0].1 <= before[0].1 {
                        failures.push(format!("{what}: an allowed write left no audit event"));
                    } else if read && before != after {
                        failures.push(format!("{what}: a read wrote {before:?} -> {after:?}"));
                    }
                } else {
                    let expected: u16 = class.parse().expect("status");
                    if r.status.as_u16() != expected {
                        failures.push(format!("{what}: expected {expected}, got {} {}", r.status, r.text()));
                    } else {
                        let p = assert_problem(&r, expected);
                        if expected == 401 {
                            assert!(r.header("www-authenticate").is_some_and(|c| c.starts_with("Bearer")), "{what}: 401 without a Bearer challenge");
                        }
                        assert!(p["type"].as_str().is_some(), "{what}");
                    }
                    if before != after {
                        failures.push(format!("{what}: a denied call wrote {before:?} -> {after:?}"));
                    }
                }
            }
        }
    }
    assert!(failures.is_empty(), "{} of {calls} matrix calls broke the policy:\n{}", failures.len(), failures.join("\n"));
    calls
}

fn public_side(o: &Op) -> bool {
    !matches!(o.tag.as_str(), "publishing" | "nachnutzung")
}

fn publishing(o: &Op) -> bool {
    o.tag == "publishing"
}

fn nachnutzung(o: &Op) -> bool {
    o.tag == "nachnutzung"
}

world_test!(matrix_catalogue_places_operations_audit, |w, app| {
    let calls = run(app, w, public_side, false).await;
    assert!(calls >= 18 * COLUMNS.len(), "{calls} calls");
});

world_test!(matrix_publishing, |w, app| {
    let calls = run(app, w, publishing, false).await;
    assert!(calls >= 8 * COLUMNS.len(), "{calls} calls");
});

world_test!(matrix_nachnutzung, |w, app| {
    let calls = run(app, w, nachnutzung, true).await;
    assert!(calls >= 20 * COLUMNS.len(), "{calls} calls");
});

/// Every operation lands in exactly one of the matrix tests above.
#[test]
fn the_matrix_tests_cover_every_tag() {
    for op in operations() {
        let n = [public_side(&op), publishing(&op), nachnutzung(&op)].iter().filter(|b| **b).count();
        assert_eq!(n, 1, "{} ({}) is in {n} matrix tests", op.id, op.tag);
    }
}
