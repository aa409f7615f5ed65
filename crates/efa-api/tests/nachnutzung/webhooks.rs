//! Webhooks: an organisation registers an endpoint; each event it may see reaches the endpoint
//! once, signed as Standard Webhooks says (checked with the reference implementation, npm
//! `standardwebhooks`); a failing receiver gets retries on the schedule, and after the last one
//! the endpoint is disabled with an event saying so. Production refuses private addresses.

use crate::helpers::{self, send};
use crate::support::*;
use crate::world_test;
use actix_web::test::TestRequest;
use efa_store::Backend;
use serde_json::{json, Value};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    headers: Vec<(String, String)>,
    body: String,
}

impl Received {
    fn header(&self, name: &str) -> &str {
        self.headers.iter().find(|(n, _)| n == name).map_or("", |(_, v)| v.as_str())
    }
}

/// A webhook receiver on a loopback port: records every request, answers with the statuses in
/// `answers` in turn (the last one from then on).
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(answers: Vec<u16>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind receiver");
        let url = format!("http://{}/hooks/efa", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let log = got.clone();
        std::thread::spawn(move || {
            for (n, stream) in listener.incoming().enumerate() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let mut headers = Vec::new();
                loop {
                    let mut h = String::new();
                    reader.read_line(&mut h).unwrap();
                    let h = h.trim_end();
                    if h.is_empty() {
                        break;
                    }
                    let (k, v) = h.split_once(':').unwrap();
                    headers.push((k.trim().to_lowercase(), v.trim().to_owned()));
                }
                let len: usize = headers.iter().find(|(k, _)| k == "content-length").map_or(0, |(_, v)| v.parse().unwrap());
                let mut body = vec![0; len];
                reader.read_exact(&mut body).unwrap();
                log.lock().unwrap().push(Received { headers, body: String::from_utf8(body).unwrap() });
                let status = *answers.get(n).or(answers.last()).unwrap();
                let _ = write!(stream, "HTTP/1.1 {status} X\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok");
            }
        });
        Receiver { url, got }
    }

    fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }
}

/// Verifies a delivery with the reference implementation (npm `standardwebhooks`, installed
/// from the repository's lock file by `make assets`).
fn verified_by_reference(secret: &str, r: &Received) -> Result<Value, String> {
    let script = "const {Webhook} = require('standardwebhooks'); \
        const [secret, id, ts, sig, body] = process.argv.slice(1); \
        const payload = new Webhook(secret).verify(body, {'webhook-id': id, 'webhook-timestamp': ts, 'webhook-signature': sig}); \
        process.stdout.write(JSON.stringify(payload));";
    let out = std::process::Command::new("node")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/../.."))
        .args(["-e", script, secret, r.header("webhook-id"), r.header("webhook-timestamp"), r.header("webhook-signature"), &r.body])
        .output()
        .map_err(|e| format!("node is needed for the reference verifier: {e}"))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    serde_json::from_slice(&out.stdout).map_err(|e| e.to_string())
}

/// A world whose deliveries may go to loopback (the receiver) and retry quickly.
async fn start_delivering(backend: Backend) -> (World, efa_api::AppState, impl crate::helpers::TestApp) {
    let db = efa_store::test_util::TestDb::seeded(backend);
    helpers::insert_bundler(&db, &bundler_org(), "Zweckverband Nachnutzungstest Rheinland", "05", &[org(KOELN), org(BONN)]);
    let key = efa_api::auth::DevKey::generate().expect("dev key");
    let verifier = efa_api::auth::Verifier::from_jwks(&key.jwks(), efa_api::auth::DEV_ISSUER, efa_api::auth::DEFAULT_AUDIENCE).unwrap();
    let mut state = efa_api::AppState::with_verifier(efa_store::pool(db.url(), 4), verifier);
    state.webhooks = Arc::new(efa_api::webhooks::Settings { allow_private: true, retry_scale: 0.00001, lease: std::time::Duration::from_secs(30), ..Default::default() });
    state.reload_catalogue().await.expect("catalogue");
    let app = helpers::init_with(state.clone()).await;
    (World { db, key }, state, app)
}

async fn register<A: TestApp>(app: &A, token: &str, body: Value) -> Value {
    expect(&post(app, "/api/v1/webhooks", Some(token), Some(&body)).await, 201)
}

/// Runs the dispatcher's rounds until no delivery is pending (the retries' waits are
/// milliseconds here).
fn deliver_all(w: &World, state: &efa_api::AppState) {
    use diesel::prelude::*;
    use efa_store::schema::webhook_deliveries as wd;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        efa_api::webhooks::deliver_due(state).expect("deliver");
        let pending: i64 = wd::table.filter(wd::state.eq("pending")).count().get_result(&mut w.conn()).unwrap();
        if pending == 0 {
            return;
        }
        assert!(std::time::Instant::now() < deadline, "{pending} deliveries still pending");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
}

/// The caller's feed once it shows an event matching `pred` (on PostgreSQL an event becomes
/// readable once older transactions, of any test's database, have ended).
async fn feed_with<A: TestApp>(app: &A, token: &str, pred: impl Fn(&Value) -> bool) -> Value {
    for _ in 0..200 {
        let feed = ok(app, "/api/v1/events?limit=1000", token).await;
        if feed["events"].as_array().unwrap().iter().any(&pred) {
            return feed;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no such event in the feed");
}

macro_rules! delivering_test {
    ($name:ident, |$w:ident, $state:ident, $app:ident| $body:block) => {
        mod $name {
            use super::*;
            async fn run(backend: Backend) {
                let (world, state, app) = start_delivering(backend).await;
                #[allow(unused_variables)]
                let ($w, $state, $app) = (&world, &state, &app);
                $body
            }
            #[actix_web::test]
            async fn sqlite() {
                run(Backend::Sqlite).await
            }
            #[actix_web::test]
            async fn postgres() {
                run(Backend::Postgres).await
            }
        }
    };
}

delivering_test!(every_event_arrives_once_signed_and_only_where_it_may_be_seen, |w, state, app| {
    let service = published_service(app, w).await;
    let koeln_hook = Receiver::start(vec![200]);
    let bonn_hook = Receiver::start(vec![200]);
    let koeln = register(app, &w.kommune(KOELN), json!({"url": koeln_hook.url, "event_types": ["request.created", "request.submitted", "request.approved", "request.accepted", "agreement.created"]})).await;
    let secret = koeln["secret"].as_str().unwrap().to_owned();
    assert!(secret.starts_with("whsec_"), "{koeln}");
    assert_eq!(koeln["event_types"].as_array().unwrap().len(), 5);
    register(app, &w.kommune(BONN), json!({"url": bonn_hook.url})).await;

    let id = approved(app, w, &service).await;
    let accepted = act_ok(app, &id, "accept", &w.provider(), Some(json!({"start_date": "2027-01-01"}))).await;
    let number = accepted["agreements"][0].as_str().unwrap().to_owned();
    deliver_all(w, state);

    let got = koeln_hook.got();
    let kinds: Vec<String> = got.iter().map(|r| serde_json::from_str::<Value>(&r.body).unwrap()["type"].as_str().unwrap().to_owned()).collect();
    assert_eq!(kinds, ["request.created", "request.submitted", "request.approved", "request.accepted", "agreement.created"], "in order, only the chosen types");
    let mut ids: Vec<&str> = got.iter().map(|r| r.header("webhook-id")).collect();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), got.len(), "each event once");
    for r in &got {
        let payload = verified_by_reference(&secret, r).unwrap_or_else(|e| panic!("the reference verifier refused {}: {e}", r.body));
        assert_eq!(payload["id"], r.header("webhook-id"), "webhook-id is the event id");
        assert_eq!(r.header("content-type"), "application/json");
    }
    // A tampered body fails the reference verifier.
    let mut forged = got[0].clone();
    forged.body = forged.body.replace("request.created", "request.approved");
    assert!(verified_by_reference(&secret, &forged).is_err(), "a tampered body must not verify");
    // The same event in the feed carries the same id.
    let feed = feed_with(app, &w.kommune(KOELN), |e| e["type"] == "agreement.created" && e["resource"]["id"] == number.as_str()).await;
    let agreement_event = feed["events"].as_array().unwrap().iter().find(|e| e["type"] == "agreement.created" && e["resource"]["id"] == number.as_str()).unwrap();
    assert!(got.iter().any(|r| r.header("webhook-id") == agreement_event["id"].as_str().unwrap()));
    // Bonn sees none of Köln's request (only the public publication of the listing came before).
    assert!(bonn_hook.got().iter().all(|r| !r.body.contains(&id) && !r.body.contains(&number)), "{:?}", bonn_hook.got());

    // The delivery log: every delivery delivered at the first attempt, with its status.
    let list = ok(app, "/api/v1/webhooks", &w.kommune(KOELN)).await;
    let hook_id = list["items"][0]["id"].as_str().unwrap().to_owned();
    assert!(list["items"][0].get("secret").is_none(), "the secret is shown only once");
    let log = ok(app, &format!("/api/v1/webhooks/{hook_id}/deliveries"), &w.kommune(KOELN)).await;
    assert_eq!(log["total"], 5);
    for d in log["items"].as_array().unwrap() {
        assert_eq!((d["state"].as_str(), d["attempts"].as_array().unwrap().len(), d["attempts"][0]["status"].as_i64()), (Some("delivered"), 1, Some(200)), "{d}");
    }
    // Another organisation's endpoint does not exist for Bonn.
    expect(&get_as(app, &format!("/api/v1/webhooks/{hook_id}"), Some(&w.kommune(BONN))).await, 404);
    expect(&get_as(app, &format!("/api/v1/webhooks/{hook_id}/deliveries"), Some(&w.kommune(BONN))).await, 404);
    expect(&send(app, bearer(TestRequest::delete().uri(&format!("/api/v1/webhooks/{hook_id}")), Some(&w.kommune(BONN)))).await, 404);
    // Köln removes it: gone, with its log.
    let r = send(app, bearer(TestRequest::delete().uri(&format!("/api/v1/webhooks/{hook_id}")), Some(&w.kommune(KOELN)))).await;
    assert_eq!(r.status.as_u16(), 204);
    expect(&get_as(app, &format!("/api/v1/webhooks/{hook_id}"), Some(&w.kommune(KOELN))).await, 404);
    assert_eq!(w.actions_of(&hook_id), ["webhook.create", "webhook.delete"]);
});

delivering_test!(a_failing_receiver_gets_retries_then_the_endpoint_is_disabled, |w, state, app| {
    let service = published_service(app, w).await;
    // Answers 500 twice, then 200.
    let flaky = Receiver::start(vec![500, 500, 200]);
    let hook = register(app, &w.kommune(KOELN), json!({"url": flaky.url, "event_types": ["request.created"]})).await;
    let hook_id = hook["id"].as_str().unwrap().to_owned();
    filed(app, &w.kommune(KOELN), &service, &[]).await;
    deliver_all(w, state);
    let got = flaky.got();
    assert_eq!(got.len(), 3, "two retries");
    assert!(got.iter().all(|r| r.header("webhook-id") == got[0].header("webhook-id")), "a retry carries the same event id");
    let log = ok(app, &format!("/api/v1/webhooks/{hook_id}/deliveries"), &w.kommune(KOELN)).await;
    let d = &log["items"][0];
    let statuses: Vec<i64> = d["attempts"].as_array().unwrap().iter().map(|a| a["status"].as_i64().unwrap()).collect();
    assert_eq!((d["state"].as_str(), statuses), (Some("delivered"), vec![500, 500, 200]), "{d}");

    // Every attempt of the schedule (1 + 7 retries) fails: given up, the endpoint disabled.
    // Always 500, until it is repaired after the endpoint was disabled (the ninth request).
    let broken = Receiver::start([vec![500; 8], vec![200]].concat());
    let hook = register(app, &w.kommune(BONN), json!({"url": broken.url, "event_types": ["request.created"]})).await;
    let broken_id = hook["id"].as_str().unwrap().to_owned();
    filed(app, &w.kommune(BONN), &service, &[]).await;
    deliver_all(w, state);
    assert_eq!(broken.got().len(), 1 + efa_api::webhooks::RETRY_SCHEDULE.len());
    let e = ok(app, &format!("/api/v1/webhooks/{broken_id}"), &w.kommune(BONN)).await;
    assert_eq!(e["enabled"], false, "{e}");
    assert!(e["disabled_reason"].as_str().unwrap().contains("24 hours"), "{e}");
    let log = ok(app, &format!("/api/v1/webhooks/{broken_id}/deliveries"), &w.kommune(BONN)).await;
    assert_eq!((log["items"][0]["state"].as_str(), log["items"][0]["attempts"].as_array().unwrap().len()), (Some("failed"), 8));
    feed_with(app, &w.kommune(BONN), |e| e["type"] == "webhook.disabled" && e["resource"]["id"] == broken_id.as_str()).await;
    // Disabled: a later event is not delivered; enabled again, it is.
    filed(app, &w.kommune(BONN), &service, &[]).await;
    deliver_all(w, state);
    assert_eq!(broken.got().len(), 8);
    let again = post(app, &format!("/api/v1/webhooks/{broken_id}/enable"), Some(&w.kommune(BONN)), None).await;
    assert_eq!(expect(&again, 200)["enabled"], true);
    filed(app, &w.kommune(BONN), &service, &[]).await;
    deliver_all(w, state);
    assert_eq!(broken.got().len(), 9);
});

world_test!(production_refuses_endpoints_that_are_not_public, |w, app| {
    let koeln = w.kommune(KOELN);
    let before = w.count_requests();
    for (url, why) in [
        ("http://127.0.0.1:9/hook", "https"),
        ("https://127.0.0.1/hook", "public"),
        ("https://10.1.2.3/hook", "public"),
        ("https://192.168.0.10/hook", "public"),
        ("https://172.16.5.4/hook", "public"),
        ("https://169.254.169.254/latest/meta-data", "public"),
        ("https://100.64.0.1/hook", "public"),
        ("https://[::1]/hook", "public"),
        ("https://[fd00::1]/hook", "public"),
        ("https://[fe80::1]/hook", "public"),
        ("https://[::ffff:10.0.0.1]/hook", "public"),
        ("https://0.0.0.0/hook", "public"),
        ("https://localhost/hook", "public"),
        ("ftp://example.org/hook", "https"),
        ("https://user:pw@203.0.113.9/hook", "credentials"),
        ("nicht eine URL", "URL"),
    ] {
        let p = expect(&post(app, "/api/v1/webhooks", Some(&koeln), Some(&json!({"url": url}))).await, 422);
        assert_eq!(p["errors"][0]["field"], "url", "{url}: {p}");
        assert!(p["errors"][0]["message"].as_str().unwrap().contains(why), "{url}: {p}");
    }
    let p = expect(&post(app, "/api/v1/webhooks", Some(&koeln), Some(&json!({"url": "https://8.8.8.8/hook", "event_types": ["request.exploded"]}))).await, 422);
    assert_eq!(p["errors"][0]["field"], "event_types[0]", "{p}");
    expect(&post(app, "/api/v1/webhooks", Some(&koeln), Some(&json!({"url": "https://8.8.8.8/hook", "secret": "mine"}))).await, 422);
    expect(&post(app, "/api/v1/webhooks", None, Some(&json!({"url": "https://8.8.8.8/hook"}))).await, 401);
    // A public address is taken (nothing is sent at registration).
    let ok_hook = expect(&post(app, "/api/v1/webhooks", Some(&koeln), Some(&json!({"url": "https://8.8.8.8/hook"}))).await, 201);
    assert_eq!(ok_hook["enabled"], true);
    assert_eq!(ok(app, "/api/v1/webhooks", &koeln).await["items"].as_array().unwrap().len(), 1);
    assert_eq!(w.count_requests(), before);
});
