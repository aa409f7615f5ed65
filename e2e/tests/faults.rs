//! Faults, against the real `efa` binary (issue 7):
//!
//! * `kill -9` in the middle of a burst of orders (reuse requests, some carried through
//!   submission, approval and acceptance into agreements), then a restart on the same
//!   database: every request that was answered 2xx is there, nothing is half-written, agreement
//!   numbers have no gaps, and a retry with the same `Idempotency-Key` never orders twice.
//!   On SQLite (WAL, synchronous=FULL) and on PostgreSQL.
//! * The database becomes unreachable (a TCP proxy in front of PostgreSQL is cut): `/readyz`
//!   and writes answer 503 problem+json; once it is back the same process recovers.
//!
//! Needs the binary (`cargo build -p efa`) and, for PostgreSQL, `createdb`/`dropdb` and a
//! server at 127.0.0.1:5432 (trust auth, user postgres; `EFA_TEST_PG_HOST`/`_PORT` override).

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
// Databases, the binary, the server
// ---------------------------------------------------------------------------------------

fn pg_host() -> String {
    std::env::var("EFA_TEST_PG_HOST").unwrap_or_else(|_| "127.0.0.1".into())
}

fn pg_port() -> u16 {
    std::env::var("EFA_TEST_PG_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5432)
}

fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{nanos}", std::process::id())
}

/// A temp dir and a database in it (SQLite) or beside it (PostgreSQL); both go on drop.
struct Db {
    dir: PathBuf,
    url: String,
    pg: Option<String>,
}

impl Db {
    fn new(postgres: bool) -> Db {
        let dir = std::env::temp_dir().join(unique("efa-faults"));
        fs::create_dir_all(&dir).expect("temp dir");
        if !postgres {
            let url = dir.join("efa.db").display().to_string();
            return Db { dir, url, pg: None };
        }
        let name = unique("efa_faults");
        let out = Command::new("createdb").args(["-h", &pg_host(), "-p", &pg_port().to_string(), "-U", "postgres", &name]).output().expect("run createdb");
        assert!(out.status.success(), "createdb {name}: {}", String::from_utf8_lossy(&out.stderr));
        Db { dir, url: format!("postgres://postgres@{}:{}/{name}", pg_host(), pg_port()), pg: Some(name) }
    }

    /// The URL of this database reached through another port (the proxy).
    fn via_port(&self, port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{}", self.pg.as_ref().expect("a PostgreSQL database"))
    }

    /// `efa <args>` with this database (and the dev key in the temp dir).
    fn efa(&self, args: &[&str]) -> Output {
        let out = Command::new(efa_bin()).args(args).current_dir(&self.dir).env("DATABASE_URL", &self.url).env("EFA_LOG", "warn").stdin(Stdio::null()).output().expect("run efa");
        assert!(out.status.success(), "efa {args:?}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        out
    }

    fn migrate_and_seed(&self) {
        self.efa(&["migrate"]);
        self.efa(&["seed", "--dir", workspace_dir().join("seed-data").to_str().expect("UTF-8 path")]);
    }

    /// A bearer token from `efa token`.
    fn token(&self, org: &str, role: &str, land: Option<&str>) -> String {
        let mut args = vec!["token", "--org", org, "--role", role, "--ttl", "2h"];
        if let Some(l) = land {
            args.extend(["--land", l]);
        }
        String::from_utf8(self.efa(&args).stdout).expect("UTF-8 token").trim().to_owned()
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Some(name) = &self.pg {
            let _ = Command::new("dropdb").args(["-h", &pg_host(), "-p", &pg_port().to_string(), "-U", "postgres", "--force", name]).output();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// A running `efa serve`.
struct Server {
    child: Option<Child>,
    addr: SocketAddr,
    log: PathBuf,
}

impl Server {
    /// Starts `efa serve` on `url` (by default the database's own) and waits for `/readyz` 200.
    fn start(db: &Db, url: Option<&str>) -> Server {
        let port = TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port();
        let addr: SocketAddr = ([127, 0, 0, 1], port).into();
        let log = db.dir.join(format!("serve-{port}.stderr"));
        let child = Command::new(efa_bin())
            .arg("serve")
            .current_dir(&db.dir)
            .env("DATABASE_URL", url.unwrap_or(&db.url))
            .env("EFA_BIND", addr.to_string())
            .env("EFA_LOG", "warn")
            .env("EFA_WORKERS", "4")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn efa serve");
        let mut s = Server { child: Some(child), addr, log };
        s.wait_for(200, Duration::from_secs(30));
        s
    }

    fn stderr(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Polls `/readyz` until it answers `status`.
    fn wait_for(&mut self, status: u16, timeout: Duration) -> Response {
        let started = Instant::now();
        loop {
            if let Some(exit) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                panic!("efa serve exited with {exit}:\n{}", self.stderr());
            }
            match http_request(self.addr, "GET", "/readyz", &[], None) {
                Ok(r) if r.status == status => return r,
                Ok(r) if started.elapsed() > timeout => panic!("/readyz still {} after {timeout:?}: {r:?}", r.status),
                Err(e) if started.elapsed() > timeout => panic!("/readyz unreachable after {timeout:?}: {e}\n{}", self.stderr()),
                _ => thread::sleep(Duration::from_millis(50)),
            }
        }
    }

    /// SIGKILL: no shutdown, no flush, no goodbye.
    fn kill9(&mut self) {
        let mut child = self.child.take().expect("running");
        let out = Command::new("kill").args(["-KILL", &child.id().to_string()]).output().expect("kill -KILL");
        assert!(out.status.success(), "kill -KILL: {}", String::from_utf8_lossy(&out.stderr));
        child.wait().expect("reap the killed server");
    }

    fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>, key: Option<&str>) -> io::Result<Response> {
        let auth = format!("Bearer {token}");
        let mut headers = vec![("Authorization", auth.as_str())];
        if body.is_some() {
            headers.push(("Content-Type", "application/json"));
        }
        if let Some(k) = key {
            headers.push(("Idempotency-Key", k));
        }
        let bytes = body.map(|b| b.to_string().into_bytes());
        http_request(self.addr, method, path, &headers, bytes.as_deref())
    }

    /// A call that must answer `status`; its JSON body.
    #[track_caller]
    fn expect(&self, method: &str, path: &str, token: &str, body: Option<&Value>, status: u16) -> Value {
        let r = self.call(method, path, token, body, None).unwrap_or_else(|e| panic!("{method} {path}: {e}\n{}", self.stderr()));
        assert_eq!(r.status, status, "{method} {path}: {r:?}");
        r.json()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

/// Asserts an RFC 9457 problem document with `status`.
#[track_caller]
fn assert_problem(r: &Response, status: u16) {
    assert_eq!(r.status, status, "{r:?}");
    assert_eq!(r.media_type(), "application/problem+json", "{r:?}");
    assert_eq!(r.json()["status"], status, "{r:?}");
}

fn listing(name: &str) -> Value {
    json!({
        "name": name,
        "description": "Antrag vollständig online.",
        "provider_org_id": "PROVIDER",
        "ozg_ids": [10092],
        "lead_land": "05",
        "efa": true,
        "status": "live",
        "reifegrad": 3,
        "url": "https://service.example.nrw.de/antrag",
        "price": {"model": "annual", "annual_fee_cents": 120000, "one_off_anbindung_fee_cents": 50000, "pro_rata_first_year": true},
        "terms": {"text": "Nutzungsbedingungen 1.0", "version": "1.0"},
        "contact": {"name": "EfA-Servicedesk NRW", "email": "efa@example.nrw.de"},
        "availability": {"nationwide": true}
    })
}

struct Tokens {
    provider: String,
    operator: String,
    coordinator: String,
}

impl Tokens {
    fn mint(db: &Db) -> Tokens {
        Tokens {
            provider: db.token("land:05", "provider_publisher", None),
            operator: db.token("name:FITKO (Föderale IT-Kooperation)", "operator", None),
            coordinator: db.token("land:05", "land_coordinator", Some("05")),
        }
    }
}

/// A claim of a JWT (its payload is base64url JSON).
fn claim(token: &str, name: &str) -> String {
    let payload = token.split('.').nth(1).expect("a JWT");
    let mut bits = 0u32;
    let mut n = 0;
    let mut bytes = Vec::new();
    for c in payload.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            b'_' => 63,
            _ => continue,
        };
        bits = (bits << 6) | u32::from(v);
        n += 6;
        if n >= 8 {
            n -= 8;
            bytes.push((bits >> n) as u8);
        }
    }
    let v: Value = serde_json::from_slice(&bytes).expect("JWT payload");
    v[name].as_str().expect("claim").to_owned()
}

/// Publishes a listing of Land NRW (the provider token's organisation); its id.
fn publish(s: &Server, t: &Tokens, name: &str) -> String {
    let body = listing(name).to_string().replace("PROVIDER", &claim(&t.provider, "org"));
    let id = s.expect("POST", "/api/v1/online-services", &t.provider, Some(&serde_json::from_str(&body).unwrap()), 201)["id"].as_str().expect("id").to_owned();
    s.expect("POST", &format!("/api/v1/online-services/{id}/submit"), &t.provider, None, 200);
    s.expect("POST", &format!("/api/v1/online-services/{id}/approve"), &t.operator, None, 200);
    id
}

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
    let all = s.expect("GET", "/api/v1/reuse-requests", &t.operator, None, 200);
    let ours: Vec<&Value> = all["items"].as_array().expect("items").iter().filter(|r| r["online_service_id"] == service).collect();
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
    let listed = s.expect("GET", "/api/v1/agreements", &t.operator, None, 200);
    let all_numbers: Vec<String> = listed["items"].as_array().unwrap().iter().map(|a| a["number"].as_str().unwrap().to_owned()).collect();
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
    let all = s.expect("GET", "/api/v1/reuse-requests", &t.operator, None, 200);
    let count = all["items"].as_array().unwrap().iter().filter(|r| r["online_service_id"] == service).count();
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

// ---------------------------------------------------------------------------------------
// The database goes away and comes back
// ---------------------------------------------------------------------------------------

/// A TCP proxy to PostgreSQL that can be cut (open connections reset, new ones closed at once).
struct Proxy {
    port: u16,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = from.shutdown(Shutdown::Both);
    let _ = to.shutdown(Shutdown::Both);
}

impl Proxy {
    fn start(upstream: SocketAddr) -> Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
        let port = listener.local_addr().unwrap().port();
        let up = Arc::new(AtomicBool::new(true));
        let open: Arc<Mutex<Vec<TcpStream>>> = Arc::default();
        let (up2, open2) = (up.clone(), open.clone());
        thread::spawn(move || {
            for client in listener.incoming() {
                let Ok(client) = client else { continue };
                if !up2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(upstream) else { continue };
                let mut open = open2.lock().unwrap();
                open.push(client.try_clone().unwrap());
                open.push(server.try_clone().unwrap());
                let (c2, s2) = (client.try_clone().unwrap(), server.try_clone().unwrap());
                thread::spawn(move || pipe(client, server));
                thread::spawn(move || pipe(s2, c2));
            }
        });
        Proxy { port, up, open }
    }

    fn cut(&self) {
        self.up.store(false, Ordering::SeqCst);
        for s in self.open.lock().unwrap().drain(..) {
            let _ = s.shutdown(Shutdown::Both);
        }
    }

    fn restore(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

#[test]
fn database_outage_answers_503_and_the_server_recovers_without_a_restart() {
    let db = Db::new(true);
    db.migrate_and_seed();
    let t = Tokens::mint(&db);
    let koeln = db.token("ags:05315000", "municipality_user", None);
    let upstream: SocketAddr = format!("{}:{}", pg_host(), pg_port()).parse().expect("PostgreSQL address");
    let proxy = Proxy::start(upstream);
    let mut server = Server::start(&db, Some(&db.via_port(proxy.port)));
    let service = publish(&server, &t, "Wohngeld digital (Ausfalltest)");
    let order = |n: usize| json!({"online_service_id": service, "note": format!("Ausfalltest {n}")});
    server.expect("POST", "/api/v1/reuse-requests", &koeln, Some(&order(0)), 201);
    // Fill the pool: parallel reads leave several idle connections behind.
    thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| server.expect("GET", "/api/v1/reuse-requests", &koeln, None, 200));
        }
    });

    proxy.cut();
    let r = server.wait_for(503, Duration::from_secs(15));
    assert_problem(&r, 503);
    for n in 1..=2 {
        let r = server.call("POST", "/api/v1/reuse-requests", &koeln, Some(&order(n)), None).expect("the server answers");
        assert_eq!(r.status, 503, "a write while the database is away: {r:?}\n{}", server.stderr());
        assert_problem(&r, 503);
        let r = server.call("GET", "/api/v1/reuse-requests", &koeln, None, None).expect("the server answers");
        assert_eq!(r.status, 503, "a read of the database while it is away: {r:?}\n{}", server.stderr());
        assert_problem(&r, 503);
    }
    // The catalogue is served from memory meanwhile.
    let r = server.call("GET", "/api/v1/online-services?per_page=1", &koeln, None, None).expect("the server answers");
    assert_eq!(r.status, 200, "{r:?}");
    assert!(!server.stderr().contains("panicked"), "{}", server.stderr());

    proxy.restore();
    server.wait_for(200, Duration::from_secs(30));
    // Every pooled connection works again: no call fails on a connection broken by the outage.
    for n in 10..40 {
        let r = server.call("POST", "/api/v1/reuse-requests", &koeln, Some(&order(n)), None).expect("the server answers");
        assert_eq!(r.status, 201, "write {n} after the database came back: {r:?}\n{}", server.stderr());
        let r = server.call("GET", "/api/v1/reuse-requests", &koeln, None, None).expect("the server answers");
        assert_eq!(r.status, 200, "read {n} after the database came back: {r:?}\n{}", server.stderr());
    }
    thread::scope(|scope| {
        for _ in 0..16 {
            scope.spawn(|| server.expect("GET", "/api/v1/reuse-requests", &koeln, None, 200));
        }
    });
    let list = server.expect("GET", "/api/v1/reuse-requests", &koeln, None, 200);
    assert_eq!(list["items"].as_array().unwrap().len(), 31, "the order before, none during, 30 after the outage");
    assert!(server.child.as_mut().unwrap().try_wait().unwrap().is_none(), "the same process served throughout");
}

/// Over the wire, a request line far too long (100,000 characters of search text) is refused
/// by the HTTP layer before any handler (a bare 400), or gets a 400 naming the parameter;
/// a 100 KiB header is ignored. Never a 5xx, and the server carries on. (In-process tests
/// cannot build such a URI: the http crate refuses URIs of 64 KiB.)
#[test]
fn a_100k_request_line_or_header_never_gets_a_5xx() {
    let efa = e2e::Efa::start();
    let long = "x".repeat(100_000);
    match http_request(efa.addr(), "GET", &format!("/api/v1/online-services?q={long}"), &[], None) {
        Ok(r) => {
            // actix-http's own 400 for an oversized request head carries no body.
            assert!((400..500).contains(&r.status), "a 100k query: status {}", r.status);
            if r.media_type() == "application/problem+json" {
                assert_eq!(r.json()["parameter"], "q", "a 100k query: {}", r.text().chars().take(300).collect::<String>());
            }
        }
        Err(e) => eprintln!("a 100k query: the server closed the connection ({e})"),
    }
    match http_request(efa.addr(), "GET", "/api/v1/online-services?per_page=1", &[("X-Padding", &long)], None) {
        Ok(r) => assert!(r.status < 500, "a 100k header: status {}", r.status),
        Err(e) => eprintln!("a 100k header: the server closed the connection ({e})"),
    }
    assert_eq!(efa.get("/readyz").status, 200, "{}", efa.stderr());
}
