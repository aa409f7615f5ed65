//! Cross-instance visibility lag for `make bench` (bench/instances.sh): two `efa serve`, A and
//! B, on one PostgreSQL database; changes are made through A and B is watched until it shows
//! them.
//!
//!   lag setup   --a URL --b URL --state FILE
//!   lag measure --a URL --b URL --state FILE --phase NAME --seconds N [--gemeinden FILE] [--out FILE]
//!
//! Tokens come from the environment: LAG_PROVIDER (provider_publisher of Land NRW, `land:05`),
//! LAG_OPERATOR (operator), LAG_COORDINATOR (land_coordinator of 05), LAG_WATCHER (a
//! municipality_user of a Gemeinde in NRW).
//!
//! `setup` publishes a listing of NRW through A (Wohngeld, OZG 10092), offers and approves a
//! framework agreement for it in NRW, and has the watcher order it; the ids go to the state
//! file. `measure` repeats, until N seconds are up, one round of (three feed samples, one of
//! each other kind):
//!
//! * feed: a long poll on B's `GET /api/v1/events?wait=10` (watcher) is waiting; the watcher
//!   writes a message on its request through A; the lag is from A's answer to the long poll's
//!   return with the event;
//! * listing: the provider edits the listing through A (PATCH with If-Match, submit; the
//!   operator approves); the lag is from the approval's answer until B's
//!   `GET /api/v1/online-services/{id}` shows the new description (polled every 5 ms);
//! * coverage (with --gemeinden, lines "AGS<TAB>TOKEN" of NRW Gemeinden, each used once): the
//!   Gemeinde accedes to the framework through A and the four onboarding steps run through A;
//!   the lag is from the last step's answer (live) until B's coverage of the Gemeinde names the
//!   agreement (polled every 5 ms).
//!
//! Each lag is also measured from when the write was sent (the instance that took the write
//! refreshes itself before it answers, while the others hear of the commit). Printed: one line
//! per kind, `RESULT kind=K phase=P n=N p50=MS p99=MS max=MS p50_sent=MS p99_sent=MS
//! failed=N`; with --out every sample is appended as "phase<TAB>kind<TAB>ms<TAB>ms_sent".
//! A sample not seen within 30 s counts as failed (and as 30 s). Exits non-zero when a
//! write is refused (a server bug, not a slow result).

use e2e::{http_request, Response};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::fs;
use std::io::Write as _;
use std::net::SocketAddr;
use std::thread;
use std::time::{Duration, Instant};

const GIVE_UP: Duration = Duration::from_secs(30);
const PROBE_EVERY: Duration = Duration::from_millis(5);

fn die(msg: impl AsRef<str>) -> ! {
    eprintln!("lag: ERROR: {}", msg.as_ref());
    std::process::exit(1)
}

fn env(name: &str) -> String {
    std::env::var(name).unwrap_or_else(|_| die(format!("{name} is not set")))
}

fn addr_of(url: &str) -> SocketAddr {
    let hostport = url.trim_start_matches("http://").trim_end_matches('/');
    hostport.parse().unwrap_or_else(|_| die(format!("not an http://IP:PORT URL: {url}")))
}

struct Api {
    addr: SocketAddr,
    name: &'static str,
}

impl Api {
    fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>, extra: &[(&str, &str)]) -> Response {
        let auth = format!("Bearer {token}");
        let mut headers = vec![("Authorization", auth.as_str())];
        let content_type = if method == "PATCH" { "application/merge-patch+json" } else { "application/json" };
        if body.is_some() {
            headers.push(("Content-Type", content_type));
        }
        headers.extend_from_slice(extra);
        let bytes = body.map(|b| b.to_string().into_bytes());
        http_request(self.addr, method, path, &headers, bytes.as_deref()).unwrap_or_else(|e| die(format!("{method} {path} on {}: {e}", self.name)))
    }

    /// A write that must answer `status`: its body.
    fn expect(&self, method: &str, path: &str, token: &str, body: Option<&Value>, status: u16) -> Value {
        let r = self.call(method, path, token, body, &[]);
        if r.status != status {
            die(format!("{method} {path} on {} answered {} (expected {status}): {}", self.name, r.status, r.text().chars().take(500).collect::<String>()));
        }
        if r.body.is_empty() { Value::Null } else { r.json() }
    }
}

struct Args {
    a: Api,
    b: Api,
    state: String,
    phase: String,
    seconds: u64,
    gemeinden: Option<String>,
    out: Option<String>,
}

fn parse_args(cmd: &str, mut it: impl Iterator<Item = String>) -> Args {
    let mut m = BTreeMap::new();
    while let Some(k) = it.next() {
        let v = it.next().unwrap_or_else(|| die(format!("{k} needs a value")));
        m.insert(k, v);
    }
    let get = |k: &str| m.get(k).cloned();
    let need = |k: &str| get(k).unwrap_or_else(|| die(format!("{cmd}: {k} is required")));
    Args {
        a: Api { addr: addr_of(&need("--a")), name: "A" },
        b: Api { addr: addr_of(&need("--b")), name: "B" },
        state: need("--state"),
        phase: get("--phase").unwrap_or_else(|| "-".into()),
        seconds: get("--seconds").map(|s| s.parse().unwrap_or_else(|_| die("--seconds needs a whole number"))).unwrap_or(10),
        gemeinden: get("--gemeinden"),
        out: get("--out"),
    }
}

/// The `org` claim of a JWT.
fn org_of(token: &str) -> String {
    e2e::jwt_claim(token, "org").unwrap_or_else(|| die("a token has no org claim"))
}

fn setup(args: &Args) {
    let (provider, operator, coordinator, watcher) = (env("LAG_PROVIDER"), env("LAG_OPERATOR"), env("LAG_COORDINATOR"), env("LAG_WATCHER"));
    let body = json!({
        "name": "Wohngeld Instanzenmessung",
        "description": "Revision 0",
        "provider_org_id": org_of(&provider),
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
    });
    let a = &args.a;
    let service = a.expect("POST", "/api/v1/online-services", &provider, Some(&body), 201)["id"].as_str().unwrap_or_else(|| die("no listing id")).to_owned();
    a.expect("POST", &format!("/api/v1/online-services/{service}/submit"), &provider, None, 200);
    a.expect("POST", &format!("/api/v1/online-services/{service}/approve"), &operator, None, 200);
    let offer = json!({"online_service_id": service, "land": "05", "terms_text": "Rahmenvertrag für die Nachnutzung.", "terms_version": "RV-1"});
    let framework = a.expect("POST", "/api/v1/framework-agreements", &provider, Some(&offer), 201)["id"].as_str().unwrap_or_else(|| die("no framework id")).to_owned();
    a.expect("POST", &format!("/api/v1/framework-agreements/{framework}/approve"), &coordinator, None, 200);
    let request = a.expect("POST", "/api/v1/reuse-requests", &watcher, Some(&json!({"online_service_id": service})), 201)["id"].as_str().unwrap_or_else(|| die("no request id")).to_owned();
    // B must know the listing before anything is measured on it.
    let started = Instant::now();
    while args.b.call("GET", &format!("/api/v1/online-services/{service}"), &watcher, None, &[]).status != 200 {
        if started.elapsed() > GIVE_UP {
            die("B never showed the listing published through A");
        }
        thread::sleep(PROBE_EVERY);
    }
    fs::write(&args.state, format!("service={service}\nframework={framework}\nrequest={request}\nrevision=0\n")).unwrap_or_else(|e| die(format!("cannot write {}: {e}", args.state)));
    println!("setup: listing {service}, framework {framework}, request {request}");
}

fn read_state(path: &str) -> BTreeMap<String, String> {
    fs::read_to_string(path)
        .unwrap_or_else(|e| die(format!("cannot read {path}: {e}")))
        .lines()
        .filter_map(|l| l.split_once('=').map(|(k, v)| (k.to_owned(), v.to_owned())))
        .collect()
}

/// One sample: from the write's answer and from its sending; `None` when it never showed.
struct Sample {
    from_answer: Duration,
    from_sent: Duration,
    seen: bool,
}

/// Polls `probe` every 5 ms until it says yes (at most 30 s).
fn watch(sent: Instant, answered: Instant, mut probe: impl FnMut() -> bool) -> Sample {
    loop {
        if probe() {
            let now = Instant::now();
            return Sample { from_answer: now - answered, from_sent: now - sent, seen: true };
        }
        if answered.elapsed() > GIVE_UP {
            return Sample { from_answer: GIVE_UP, from_sent: GIVE_UP, seen: false };
        }
        thread::sleep(PROBE_EVERY);
    }
}

fn feed_head(b: &Api, token: &str) -> i64 {
    let mut cursor = 0;
    loop {
        let r = b.expect("GET", &format!("/api/v1/events?after={cursor}&limit=1000"), token, None, 200);
        let next = r["next_cursor"].as_i64().unwrap_or_else(|| die("no next_cursor"));
        if r["events"].as_array().is_none_or(|e| e.is_empty()) {
            return next;
        }
        cursor = next;
    }
}

/// Message through A, long poll on B.
fn feed_sample(args: &Args, watcher: &str, request: &str, cursor: &mut i64, n: usize) -> Sample {
    let a = &args.a;
    // The poller long-polls B from `after` until the message is there (other events the
    // watcher may see, such as publications, wake it earlier: it polls again).
    let (tx, rx) = std::sync::mpsc::channel::<(Instant, i64)>();
    let (token, b_addr, after, request_owned) = (watcher.to_owned(), args.b.addr, *cursor, request.to_owned());
    thread::spawn(move || {
        let b = Api { addr: b_addr, name: "B" };
        let mut after = after;
        let started = Instant::now();
        while started.elapsed() < GIVE_UP {
            let r = b.expect("GET", &format!("/api/v1/events?after={after}&limit=1000&wait=10"), &token, None, 200);
            let now = Instant::now();
            after = r["next_cursor"].as_i64().unwrap_or(after);
            let events = r["events"].as_array().cloned().unwrap_or_default();
            if events.iter().any(|e| e["type"] == "request.message" && e["resource"]["id"] == request_owned.as_str()) {
                let _ = tx.send((now, after));
                return;
            }
        }
    });
    // Let the long poll reach B and wait there.
    thread::sleep(Duration::from_millis(50));
    let sent = Instant::now();
    let m = a.call("POST", &format!("/api/v1/reuse-requests/{request}/messages"), watcher, Some(&json!({"body": format!("Messung {n}")})), &[]);
    let answered = Instant::now();
    if m.status != 201 {
        die(format!("a message through A answered {}: {}", m.status, m.text()));
    }
    match rx.recv_timeout(GIVE_UP + Duration::from_secs(11)) {
        Ok((at, next)) => {
            *cursor = next;
            Sample { from_answer: at.saturating_duration_since(answered), from_sent: at.saturating_duration_since(sent), seen: true }
        }
        Err(_) => {
            *cursor = feed_head(&args.b, watcher);
            Sample { from_answer: GIVE_UP, from_sent: GIVE_UP, seen: false }
        }
    }
}

/// Edit, submit and approve through A; B's detail shows the new description.
fn listing_sample(args: &Args, service: &str, revision: &mut u64) -> Sample {
    let (provider, operator, watcher) = (env("LAG_PROVIDER"), env("LAG_OPERATOR"), env("LAG_WATCHER"));
    let (a, b) = (&args.a, &args.b);
    *revision += 1;
    let description = format!("Revision {revision}");
    let current = a.call("GET", &format!("/api/v1/online-services/{service}/listing"), &provider, None, &[]);
    let etag = current.header("etag").unwrap_or_else(|| die(format!("no ETag on the listing: {}", current.status))).to_owned();
    let r = a.call("PATCH", &format!("/api/v1/online-services/{service}"), &provider, Some(&json!({"description": description})), &[("If-Match", &etag)]);
    if r.status != 200 {
        die(format!("PATCH of the listing through A answered {}: {}", r.status, r.text()));
    }
    a.expect("POST", &format!("/api/v1/online-services/{service}/submit"), &provider, None, 200);
    let sent = Instant::now();
    a.expect("POST", &format!("/api/v1/online-services/{service}/approve"), &operator, None, 200);
    let answered = Instant::now();
    let path = format!("/api/v1/online-services/{service}");
    watch(sent, answered, || {
        let r = b.call("GET", &path, &watcher, None, &[]);
        r.status == 200 && r.json()["description"] == description.as_str()
    })
}

/// Accession and onboarding through A; B's coverage of the Gemeinde names the agreement.
fn coverage_sample(args: &Args, framework: &str, ags: &str, token: &str) -> Option<Sample> {
    let provider = env("LAG_PROVIDER");
    let (a, b) = (&args.a, &args.b);
    let coverage = format!("/api/v1/coverage/gemeinden/{ags}");
    let wohngeld = |v: &Value| v["items"].as_array().and_then(|i| i.iter().find(|i| i["ozg_id"] == 10092).cloned()).unwrap_or(Value::Null);
    // A Gemeinde already covered for Wohngeld would not show the new agreement: skip it.
    if wohngeld(&b.expect("GET", &coverage, token, None, 200))["covered"] != false {
        return None;
    }
    let r = a.call("POST", &format!("/api/v1/framework-agreements/{framework}/accessions"), token, None, &[]);
    if r.status != 201 {
        // e.g. an open agreement of the synthetic data for this Gemeinde and service
        eprintln!("lag: accession of {ags} answered {}; skipped", r.status);
        return None;
    }
    let number = r.json()["number"].as_str().unwrap_or_else(|| die("no agreement number")).to_owned();
    for step in ["fit_connect_destination", "pvog_responsibility", "fachverfahren_connected"] {
        a.expect("POST", &format!("/api/v1/agreements/{number}/onboarding/{step}"), token, None, 200);
    }
    let sent = Instant::now();
    let live = a.expect("POST", &format!("/api/v1/agreements/{number}/onboarding/test_case_passed"), &provider, None, 200);
    let answered = Instant::now();
    if live["state"] != "live" {
        die(format!("the agreement {number} is not live after onboarding: {live}"));
    }
    Some(watch(sent, answered, || {
        let r = b.call("GET", &coverage, token, None, &[]);
        r.status == 200 && wohngeld(&r.json())["agreement"] == number.as_str()
    }))
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn measure(args: &Args) {
    let state = read_state(&args.state);
    let get = |k: &str| state.get(k).cloned().unwrap_or_else(|| die(format!("{} has no {k}; run `lag setup` first", args.state)));
    let (service, framework, request) = (get("service"), get("framework"), get("request"));
    let mut revision: u64 = get("revision").parse().unwrap_or(0);
    let watcher = env("LAG_WATCHER");
    let mut gemeinden: Vec<(String, String)> = match &args.gemeinden {
        Some(f) => fs::read_to_string(f)
            .unwrap_or_else(|e| die(format!("cannot read {f}: {e}")))
            .lines()
            .filter_map(|l| l.split_once('\t').map(|(a, t)| (a.trim().to_owned(), t.trim().to_owned())))
            .collect(),
        None => Vec::new(),
    };
    let used_file = format!("{}.used", args.state);
    let used: Vec<String> = fs::read_to_string(&used_file).unwrap_or_default().lines().map(str::to_owned).collect();
    gemeinden.retain(|(ags, _)| !used.contains(ags));
    gemeinden.reverse();

    let mut cursor = feed_head(&args.b, &watcher);
    let mut samples: BTreeMap<&str, Vec<Sample>> = BTreeMap::new();
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut round = 0;
    while Instant::now() < deadline {
        // Three messages a round: they are cheap, and their tail is what the p99 is about.
        for _ in 0..3 {
            round += 1;
            samples.entry("feed").or_default().push(feed_sample(args, &watcher, &request, &mut cursor, round));
        }
        if Instant::now() >= deadline {
            break;
        }
        samples.entry("listing").or_default().push(listing_sample(args, &service, &mut revision));
        while let Some((ags, token)) = gemeinden.pop() {
            if Instant::now() >= deadline {
                gemeinden.push((ags, token));
                break;
            }
            let mut f = fs::OpenOptions::new().create(true).append(true).open(&used_file).unwrap_or_else(|e| die(format!("{used_file}: {e}")));
            let _ = writeln!(f, "{ags}");
            if let Some(s) = coverage_sample(args, &framework, &ags, &token) {
                samples.entry("coverage").or_default().push(s);
                break;
            }
        }
    }
    let mut state_text = fs::read_to_string(&args.state).unwrap_or_default();
    state_text = state_text.lines().filter(|l| !l.starts_with("revision=")).map(|l| format!("{l}\n")).collect::<String>() + &format!("revision={revision}\n");
    let _ = fs::write(&args.state, state_text);

    let mut out = args.out.as_ref().map(|f| fs::OpenOptions::new().create(true).append(true).open(f).unwrap_or_else(|e| die(format!("{f}: {e}"))));
    for kind in ["feed", "listing", "coverage"] {
        let Some(list) = samples.get(kind) else { continue };
        if let Some(o) = out.as_mut() {
            for s in list {
                let _ = writeln!(o, "{}\t{kind}\t{:.3}\t{:.3}", args.phase, ms(s.from_answer), ms(s.from_sent));
            }
        }
        let mut a: Vec<f64> = list.iter().map(|s| ms(s.from_answer)).collect();
        let mut s: Vec<f64> = list.iter().map(|s| ms(s.from_sent)).collect();
        a.sort_by(f64::total_cmp);
        s.sort_by(f64::total_cmp);
        let failed = list.iter().filter(|s| !s.seen).count();
        println!(
            "RESULT kind={kind} phase={} n={} p50={:.1} p99={:.1} max={:.1} p50_sent={:.1} p99_sent={:.1} failed={failed}",
            args.phase,
            a.len(),
            pct(&a, 0.5),
            pct(&a, 0.99),
            a.last().copied().unwrap_or(f64::NAN),
            pct(&s, 0.5),
            pct(&s, 0.99)
        );
    }
}

fn main() {
    let mut it = std::env::args().skip(1);
    let cmd = it.next().unwrap_or_else(|| die("usage: lag setup|measure --a URL --b URL --state FILE [...]"));
    let args = parse_args(&cmd, it);
    match cmd.as_str() {
        "setup" => setup(&args),
        "measure" => measure(&args),
        other => die(format!("unknown command {other:?} (setup, measure)")),
    }
}
