//! Shared pieces of the fault tests: databases, the server process, tokens, a listing.
#![allow(unused_imports)]

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

pub fn pg_host() -> String {
    std::env::var("EFA_TEST_PG_HOST").unwrap_or_else(|_| "127.0.0.1".into())
}

pub fn pg_port() -> u16 {
    std::env::var("EFA_TEST_PG_PORT").ok().and_then(|p| p.parse().ok()).unwrap_or(5432)
}

pub fn unique(prefix: &str) -> String {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{nanos}", std::process::id())
}

/// A temp dir and a database in it (SQLite) or beside it (PostgreSQL); both go on drop.
pub struct Db {
    pub dir: PathBuf,
    pub url: String,
    pub pg: Option<String>,
}

impl Db {
    pub fn new(postgres: bool) -> Db {
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
    pub fn via_port(&self, port: u16) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{}", self.pg.as_ref().expect("a PostgreSQL database"))
    }

    /// `efa <args>` with this database (and the dev key in the temp dir).
    pub fn efa(&self, args: &[&str]) -> Output {
        let out = Command::new(efa_bin()).args(args).current_dir(&self.dir).env("DATABASE_URL", &self.url).env("EFA_LOG", "warn").stdin(Stdio::null()).output().expect("run efa");
        assert!(out.status.success(), "efa {args:?}: {}\n{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
        out
    }

    pub fn migrate_and_seed(&self) {
        self.efa(&["migrate"]);
        self.efa(&["seed", "--dir", workspace_dir().join("seed-data").to_str().expect("UTF-8 path")]);
    }

    /// A bearer token from `efa token`.
    pub fn token(&self, org: &str, role: &str, land: Option<&str>) -> String {
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
pub struct Server {
    pub child: Option<Child>,
    pub addr: SocketAddr,
    pub log: PathBuf,
}

impl Server {
    /// Starts `efa serve` on `url` (by default the database's own) and waits for `/readyz` 200.
    pub fn start(db: &Db, url: Option<&str>) -> Server {
        Server::start_with(db, url, &[])
    }

    /// As [`Server::start`], with more environment for `efa serve`.
    pub fn start_with(db: &Db, url: Option<&str>, env: &[(&str, &str)]) -> Server {
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
            .envs(env.iter().copied())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("log file"))
            .spawn()
            .expect("spawn efa serve");
        let mut s = Server { child: Some(child), addr, log };
        s.wait_for(200, Duration::from_secs(30));
        s
    }

    pub fn stderr(&self) -> String {
        fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Polls `/readyz` until it answers `status`.
    pub fn wait_for(&mut self, status: u16, timeout: Duration) -> Response {
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
    pub fn kill9(&mut self) {
        let mut child = self.child.take().expect("running");
        let out = Command::new("kill").args(["-KILL", &child.id().to_string()]).output().expect("kill -KILL");
        assert!(out.status.success(), "kill -KILL: {}", String::from_utf8_lossy(&out.stderr));
        child.wait().expect("reap the killed server");
    }

    pub fn call(&self, method: &str, path: &str, token: &str, body: Option<&Value>, key: Option<&str>) -> io::Result<Response> {
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
    pub fn expect(&self, method: &str, path: &str, token: &str, body: Option<&Value>, status: u16) -> Value {
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
pub fn assert_problem(r: &Response, status: u16) {
    assert_eq!(r.status, status, "{r:?}");
    assert_eq!(r.media_type(), "application/problem+json", "{r:?}");
    assert_eq!(r.json()["status"], status, "{r:?}");
}

pub fn listing(name: &str) -> Value {
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

pub struct Tokens {
    pub provider: String,
    pub operator: String,
    pub coordinator: String,
}

impl Tokens {
    pub fn mint(db: &Db) -> Tokens {
        Tokens {
            provider: db.token("land:05", "provider_publisher", None),
            operator: db.token("name:FITKO (Föderale IT-Kooperation)", "operator", None),
            coordinator: db.token("land:05", "land_coordinator", Some("05")),
        }
    }
}

/// A claim of a JWT (its payload is base64url JSON).
pub fn claim(token: &str, name: &str) -> String {
    e2e::jwt_claim(token, name).unwrap_or_else(|| panic!("no {name} claim in the token"))
}

/// Publishes a listing of Land NRW (the provider token's organisation); its id.
pub fn publish(s: &Server, t: &Tokens, name: &str) -> String {
    let body = listing(name).to_string().replace("PROVIDER", &claim(&t.provider, "org"));
    let id = s.expect("POST", "/api/v1/online-services", &t.provider, Some(&serde_json::from_str(&body).unwrap()), 201)["id"].as_str().expect("id").to_owned();
    s.expect("POST", &format!("/api/v1/online-services/{id}/submit"), &t.provider, None, 200);
    s.expect("POST", &format!("/api/v1/online-services/{id}/approve"), &t.operator, None, 200);
    id
}

