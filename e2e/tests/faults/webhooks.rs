//! Webhook deliveries survive a crash and are not doubled by a second instance.

use super::harness::*;
use e2e::workspace_dir;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

#[derive(Debug, Clone)]
struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

/// A receiver on loopback that records every request; while `hang` is set it reads a request
/// and never answers it (the sender is killed meanwhile).
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
    hang: Arc<AtomicBool>,
}

impl Receiver {
    fn start(hang_first: bool) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}/efa-hook", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let hang = Arc::new(AtomicBool::new(hang_first));
        let (log, hanging) = (got.clone(), hang.clone());
        thread::spawn(move || {
            let mut held = Vec::new();
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                if reader.read_line(&mut line).is_err() {
                    continue;
                }
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    if reader.read_line(&mut h).is_err() {
                        break;
                    }
                    let h = h.trim_end().to_owned();
                    if h.is_empty() {
                        break;
                    }
                    if let Some((k, v)) = h.split_once(':') {
                        headers.push((k.trim().to_lowercase(), v.trim().to_owned()));
                    }
                }
                let header = |n: &str| headers.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone()).unwrap_or_default();
                let len: usize = header("content-length").parse().unwrap_or(0);
                let mut body = vec![0; len];
                if reader.read_exact(&mut body).is_err() {
                    continue;
                }
                let r = Received { id: header("webhook-id"), timestamp: header("webhook-timestamp"), signature: header("webhook-signature"), body: String::from_utf8_lossy(&body).into_owned() };
                if hanging.swap(false, Ordering::SeqCst) {
                    // Keep the connection open, answer nothing.
                    log.lock().unwrap().push(Received { body: format!("HUNG {}", r.body), ..r });
                    held.push(stream);
                    continue;
                }
                log.lock().unwrap().push(r);
                let _ = write!(stream, "HTTP/1.1 204 No Content\r\nconnection: close\r\n\r\n");
            }
        });
        Receiver { url, got, hang }
    }

    fn answered(&self) -> Vec<Received> {
        self.got.lock().unwrap().iter().filter(|r| !r.body.starts_with("HUNG ")).cloned().collect()
    }

    fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let until = Instant::now() + within;
        while self.answered().len() < n && Instant::now() < until {
            thread::sleep(Duration::from_millis(50));
        }
        self.answered()
    }
}

/// The reference implementation (npm `standardwebhooks`) verifies a delivery; its payload.
fn verify(secret: &str, r: &Received) -> Value {
    let script = "const {Webhook} = require('standardwebhooks'); const [s, id, ts, sig, body] = process.argv.slice(1); \
        process.stdout.write(JSON.stringify(new Webhook(s).verify(body, {'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig})));";
    let out = std::process::Command::new("node").current_dir(workspace_dir()).args(["-e", script, secret, &r.id, &r.timestamp, &r.signature, &r.body]).output().expect("node");
    assert!(out.status.success(), "the reference verifier refused {r:?}: {}", String::from_utf8_lossy(&out.stderr));
    serde_json::from_slice(&out.stdout).expect("payload")
}

const FAST: [(&str, &str); 2] = [("EFA_WEBHOOK_RETRY_SCALE", "0.0002"), ("EFA_WEBHOOK_LEASE_SECONDS", "2")];

fn kill_mid_delivery(postgres: bool) {
    let db = Db::new(postgres);
    db.migrate_and_seed();
    let mut server = Server::start_with(&db, None, &FAST);
    let t = Tokens::mint(&db);
    let service = publish(&server, &t, "Wohngeld digital (Webhooktest)");
    let koeln = db.token("ags:05315000", "municipality_user", None);
    let receiver = Receiver::start(true);
    let hook = server.expect("POST", "/api/v1/webhooks", &koeln, Some(&json!({"url": receiver.url, "event_types": ["request.created"]})), 201);
    let secret = hook["secret"].as_str().expect("secret").to_owned();
    let first = server.expect("POST", "/api/v1/reuse-requests", &koeln, Some(&json!({"online_service_id": service})), 201)["id"].as_str().unwrap().to_owned();

    // The first delivery reaches the receiver, which holds it unanswered: kill -9 now.
    let until = Instant::now() + Duration::from_secs(20);
    while receiver.got.lock().unwrap().is_empty() {
        assert!(Instant::now() < until, "no delivery arrived:\n{}", server.stderr());
        thread::sleep(Duration::from_millis(20));
    }
    assert!(!receiver.hang.load(Ordering::SeqCst));
    server.kill9();

    // Restarted on the same database: the delivery is taken up again once its lease ran out,
    // and events written after the restart are delivered too.
    let server = Server::start_with(&db, None, &FAST);
    let second = server.expect("POST", "/api/v1/reuse-requests", &koeln, Some(&json!({"online_service_id": service})), 201)["id"].as_str().unwrap().to_owned();
    let got = receiver.wait_for(2, Duration::from_secs(30));
    let about: Vec<String> = got.iter().map(|r| verify(&secret, r)["resource"]["id"].as_str().unwrap().to_owned()).collect();
    assert!(about.contains(&first), "the delivery in flight at the kill was lost: {got:?}");
    assert!(about.contains(&second), "{got:?}");
    let hung = receiver.got.lock().unwrap()[0].clone();
    assert_eq!(got.iter().filter(|r| r.id == hung.id).count(), 1, "the retried delivery carries the first attempt's webhook-id");
    // The delivery log shows the lost attempt and the delivered one.
    let hook_id = hook["id"].as_str().unwrap();
    let log = server.expect("GET", &format!("/api/v1/webhooks/{hook_id}/deliveries"), &koeln, None, 200);
    let d = log["items"].as_array().unwrap().iter().find(|d| d["event_id"] == hung.id.as_str()).expect("the delivery");
    assert_eq!(d["state"], "delivered", "{d}");
    assert_eq!(d["attempts"].as_array().unwrap().last().unwrap()["status"], 204, "{d}");
}

#[test]
fn kill_mid_delivery_loses_nothing_sqlite() {
    kill_mid_delivery(false);
}

#[test]
fn kill_mid_delivery_loses_nothing_postgres() {
    kill_mid_delivery(true);
}

/// Two instances on one PostgreSQL share the deliveries: every event arrives once.
#[test]
fn two_instances_deliver_each_event_once() {
    let db = Db::new(true);
    db.migrate_and_seed();
    let a = Server::start_with(&db, None, &FAST);
    let b = Server::start_with(&db, None, &FAST);
    let t = Tokens::mint(&db);
    let service = publish(&a, &t, "Wohngeld digital (zwei Instanzen)");
    let koeln = db.token("ags:05315000", "municipality_user", None);
    let receiver = Receiver::start(false);
    let hook = a.expect("POST", "/api/v1/webhooks", &koeln, Some(&json!({"url": receiver.url, "event_types": ["request.created"]})), 201);
    let secret = hook["secret"].as_str().unwrap().to_owned();
    let mut ids = Vec::new();
    for i in 0..30 {
        let s = if i % 2 == 0 { &a } else { &b };
        ids.push(s.expect("POST", "/api/v1/reuse-requests", &koeln, Some(&json!({"online_service_id": service})), 201)["id"].as_str().unwrap().to_owned());
    }
    let got = receiver.wait_for(30, Duration::from_secs(30));
    thread::sleep(Duration::from_secs(3));
    let got_after = receiver.answered();
    assert_eq!(got_after.len(), 30, "each event once, none twice: {} deliveries", got_after.len());
    let mut about: Vec<String> = got.iter().map(|r| verify(&secret, r)["resource"]["id"].as_str().unwrap().to_owned()).collect();
    about.sort();
    ids.sort();
    assert_eq!(about, ids);
}
