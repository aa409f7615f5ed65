//! The database goes away and comes back.
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
    let list = server.expect("GET", "/api/v1/reuse-requests?per_page=100", &koeln, None, 200);
    assert_eq!((list["items"].as_array().unwrap().len(), list["total"].as_u64()), (31, Some(31)), "the order before, none during, 30 after the outage");
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

