//! kill -9 in the middle of a burst of order placements.
#![allow(unused_imports)]

use super::harness::*;
use e2e::{efa_bin, http_request, workspace_dir, Response};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

// ---------------------------------------------------------------------------------------
// kill -9 during a burst of orders
// ---------------------------------------------------------------------------------------

/// How far a request got, as its requester was told.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Step {
    Created,
    Submitted,
    Approved,
    Accepted,
}

#[derive(Debug, Clone)]
struct Order {
    key: String,
    org: String,
    token: usize,
    /// Set once the create was answered 201.
    id: Option<String>,
    step: Option<Step>,
    agreements: Vec<String>,
}

const WORKERS: usize = 6;
const KILL_AFTER: usize = 120;

fn burst_then_kill(postgres: bool) {
    let db = Db::new(postgres);
    db.migrate_and_seed();
    let mut server = Server::start(&db, None);
    let t = Tokens::mint(&db);
    let service = publish(&server, &t, "Wohngeld digital (Fehlertest)");
    let orgs: Vec<String> = server.expect("GET", "/api/v1/organisations?kind=kommune&land=05&per_page=48", &t.operator, None, 200)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|o| o["id"].as_str().expect("id").to_owned())
        .collect();
    assert!(orgs.len() >= 24, "Kommunen of NRW: {}", orgs.len());
    let tokens: Vec<String> = orgs.iter().map(|o| db.token(o, "municipality_user", None)).collect();

    // The burst: each worker orders for its own Gemeinden; the first order of each Gemeinde
    // goes on through submission, approval and acceptance (one open agreement per Gemeinde).
    let orders: Arc<Mutex<Vec<Order>>> = Arc::default();
    let acked = Arc::new(AtomicUsize::new(0));
    let server_dead = Arc::new(AtomicBool::new(false));
    let addr = server.addr;
    let handles: Vec<_> = (0..WORKERS)
        .map(|w| {
            let (orders, acked, dead, tokens, orgs, service, t) =
                (orders.clone(), acked.clone(), server_dead.clone(), tokens.clone(), orgs.clone(), service.clone(), Tokens { provider: t.provider.clone(), operator: t.operator.clone(), coordinator: t.coordinator.clone() });
            thread::spawn(move || {
                let s = Server { child: None, addr, log: PathBuf::new() };
                let mine: Vec<usize> = (0..orgs.len()).filter(|i| i % WORKERS == w).collect();
                let mut chained = BTreeSet::new();
                for n in 0.. {
                    let i = mine[n % mine.len()];
                    let key = format!("burst-{w}-{n}");
                    let idx = { let mut o = orders.lock().unwrap(); o.push(Order { key: key.clone(), org: orgs[i].clone(), token: i, id: None, step: None, agreements: vec![] }); o.len() - 1 };
                    let body = json!({"online_service_id": service, "note": key});
                    let Ok(r) = s.call("POST", "/api/v1/reuse-requests", &tokens[i], Some(&body), Some(&key)) else { break };
                    if r.status != 201 {
                        assert!(dead.load(Ordering::SeqCst) || r.status < 500, "create: {r:?}");
                        continue;
                    }
                    let id = r.json()["id"].as_str().expect("id").to_owned();
                    let set = |step: Step, agreements: Vec<String>| {
                        let mut o = orders.lock().unwrap();
                        o[idx].id = Some(id.clone());
                        o[idx].step = Some(step);
                        if !agreements.is_empty() {
                            o[idx].agreements = agreements;
                        }
                    };
                    set(Step::Created, vec![]);
                    acked.fetch_add(1, Ordering::SeqCst);
                    if !chained.insert(i) {
                        continue;
                    }
                    let steps = [(&tokens[i], "submit", Step::Submitted), (&t.coordinator, "approve", Step::Approved), (&t.provider, "accept", Step::Accepted)];
                    for (token, action, step) in steps {
                        let body = (action == "accept").then(|| json!({}));
                        match s.call("POST", &format!("/api/v1/reuse-requests/{id}/{action}"), token, body.as_ref(), None) {
                            Ok(r) if r.status == 200 => {
                                let agreements = r.json()["agreements"].as_array().map(|a| a.iter().map(|n| n.as_str().unwrap().to_owned()).collect()).unwrap_or_default();
                                set(step, agreements);
                            }
                            _ => break,
                        }
                    }
                }
            })
        })
        .collect();
    let started = Instant::now();
    while acked.load(Ordering::SeqCst) < KILL_AFTER && started.elapsed() < Duration::from_secs(60) {
        thread::sleep(Duration::from_millis(5));
    }
    server.kill9();
    server_dead.store(true, Ordering::SeqCst);
    for h in handles {
        h.join().expect("worker");
    }
    let orders = orders.lock().unwrap().clone();
    let acked: Vec<&Order> = orders.iter().filter(|o| o.id.is_some()).collect();
    assert!(acked.len() >= KILL_AFTER, "only {} orders were answered before the kill", acked.len());
    assert!(orders.len() > acked.len(), "the kill came after the burst ({} sent, {} answered)", orders.len(), acked.len());

    let server = Server::start(&db, None);
    verify_after_crash(&server, &t, &tokens, &service, &orders);
    eprintln!("kill -9 ({}): {} orders sent, {} answered 2xx before the kill; all there after the restart", if postgres { "PostgreSQL" } else { "SQLite" }, orders.len(), acked.len());
}

fn verify_after_crash(s: &Server, t: &Tokens, tokens: &[String], service: &str, orders: &[Order]) {
    let state_rank = |st: &str| match st {
        "draft" => Step::Created,
        "submitted" => Step::Submitted,
        "land_approved" => Step::Approved,
        _ => Step::Accepted,
    };
    // 1. Every answered order is there, whole, at least as far as its requester was told.
    for o in orders.iter().filter(|o| o.id.is_some()) {
        let id = o.id.as_deref().unwrap();
        let r = s.expect("GET", &format!("/api/v1/reuse-requests/{id}"), &t.operator, None, 200);
        assert_eq!(r["requester_org_id"], o.org.as_str(), "{id}");
        assert_eq!(r["municipalities"], json!([o.org]), "{id}: its municipality row");
        assert_eq!(r["note"], o.key.as_str(), "{id}");
        let st = r["state"].as_str().expect("state");
        assert!(state_rank(st) >= o.step.unwrap(), "{id}: told {:?}, found {st}", o.step);
        if o.step == Some(Step::Accepted) {
            assert_eq!(r["agreements"], json!(o.agreements), "{id}: the agreements it was told of");
        }
    }
    // 2. Nothing half-written: every request of the service has its municipality, its audit
    //    event, and (once accepted) an agreement per municipality with its contract folder.
    let ours = every_page(s, &format!("/api/v1/reuse-requests?online_service={service}"), &t.operator);
    assert!(ours.iter().all(|r| r["online_service_id"] == service));
    let mut numbers = BTreeSet::new();
    for r in &ours {
        let id = r["id"].as_str().unwrap();
        assert_eq!(r["municipalities"].as_array().map(Vec::len), Some(1), "{id}: {r}");
        let events = s.expect("GET", &format!("/api/v1/audit-events?resource={id}&per_page=100"), &t.operator, None, 200);
        let actions: Vec<&str> = events["items"].as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
        assert!(actions.contains(&"reuse_request.create"), "{id}: no audit event of its creation: {actions:?}");
        let st = r["state"].as_str().unwrap();
        let expected_events = match state_rank(st) {
            Step::Created => 1,
            Step::Submitted => 2,
            Step::Approved => 3,
            Step::Accepted => 4,
        };
        assert_eq!(actions.len(), expected_events, "{id} is {st}: one audit event per step: {actions:?}");
        let agreements = r["agreements"].as_array().unwrap();
        assert_eq!(agreements.len(), usize::from(st == "agreement_pending"), "{id} is {st}: {r}");
        for n in agreements {
            let a = s.expect("GET", &format!("/api/v1/agreements/{}", n.as_str().unwrap()), &t.operator, None, 200);
            assert_eq!(a["customer_org_id"], r["municipalities"][0], "{n}");
            let kinds: Vec<&str> = a["folder"].as_array().unwrap().iter().map(|d| d["kind"].as_str().unwrap()).collect();
            assert!(kinds.contains(&"agreement"), "{n}: contract folder {kinds:?}");
            numbers.insert(n.as_str().unwrap().to_owned());
        }
    }
    // 3. Contract numbers have no gaps: the counter and the agreements commit together.
    let all_numbers: Vec<String> = every_page(s, "/api/v1/agreements", &t.operator).iter().map(|a| a["number"].as_str().unwrap().to_owned()).collect();
    assert_eq!(all_numbers.iter().cloned().collect::<BTreeSet<_>>(), numbers, "agreements without their request");
    let seqs: BTreeSet<u64> = numbers.iter().map(|n| n.rsplit('-').next().unwrap().parse().unwrap()).collect();
    assert_eq!(seqs, (1..=seqs.len() as u64).collect(), "contract numbers {numbers:?}");
    // 4. Exactly once: retrying every order with its key creates what was lost and replays the rest.
    let mut ids_by_key = BTreeMap::new();
    for o in orders {
        let body = json!({"online_service_id": service, "note": o.key});
        let r = s.call("POST", "/api/v1/reuse-requests", &tokens[o.token], Some(&body), Some(&o.key)).expect("retry");
        assert_eq!(r.status, 201, "retry of {}: {r:?}", o.key);
        let id = r.json()["id"].as_str().unwrap().to_owned();
        if let Some(first) = &o.id {
            assert_eq!(&id, first, "{}: a retry of an answered order replays it", o.key);
            assert_eq!(r.header("idempotency-replayed"), Some("true"), "{}", o.key);
        }
        ids_by_key.insert(o.key.clone(), id);
    }
    let count = every_page(s, &format!("/api/v1/reuse-requests?online_service={service}"), &t.operator).len();
    assert_eq!(count, orders.len(), "one request per Idempotency-Key, no more");
    assert_eq!(ids_by_key.values().collect::<BTreeSet<_>>().len(), orders.len());
}

#[test]
fn kill_9_mid_burst_loses_nothing_answered_sqlite() {
    burst_then_kill(false);
}

#[test]
fn kill_9_mid_burst_loses_nothing_answered_postgres() {
    burst_then_kill(true);
}

/// Every item of a paged list, 100 a page, until `total` are read.
fn every_page(s: &Server, path: &str, token: &str) -> Vec<Value> {
    let sep = if path.contains('?') { '&' } else { '?' };
    let mut items = Vec::new();
    for page in 1.. {
        let body = s.expect("GET", &format!("{path}{sep}per_page=100&page={page}"), token, None, 200);
        let got = body["items"].as_array().expect("items").clone();
        let total = body["total"].as_u64().expect("total") as usize;
        let done = got.is_empty();
        items.extend(got);
        if done || items.len() >= total {
            assert_eq!(items.len(), total, "{path}: every page read");
            break;
        }
    }
    items
}
