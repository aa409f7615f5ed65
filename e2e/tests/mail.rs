//! E-mail against the real `efa` binary and a real SMTP server (aiosmtpd from the repository's
//! .venv, which `make smtp` installs; `make test` does so first): the coordinator of NRW logs in
//! once through the shop's development login with an address; a Gemeinde (Köln) submits a
//! request; the coordinator receives one mail, in German, naming the service, with the link to
//! the request in the shop and the way to stop these mails. On SQLite with one instance; on
//! PostgreSQL with two instances sharing the database, which send it once between them. Without
//! an SMTP server the mail is written to the log instead.

#[allow(dead_code)]
#[path = "faults/harness.rs"]
mod harness;

use e2e::{efa_bin, encode, http_request, workspace_dir};
use harness::*;
use serde_json::{json, Value};
use std::fs;
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

const SENDER: &str = "marktplatz@efa.example";
const COORDINATOR: &str = "koordination@nrw.example";
const SERVICE: &str = "Wohngeld Postweg NRW";

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").and_then(|l| l.local_addr()).expect("free port").port()
}

/// aiosmtpd on a free loopback port, writing each message it receives to `inbox/<n>.json`
/// (see e2e/smtp/capture.py).
struct Smtp {
    child: Child,
    port: u16,
    inbox: PathBuf,
    log: PathBuf,
}

impl Smtp {
    fn start(dir: &Path) -> Smtp {
        let python = workspace_dir().join(".venv/bin/python");
        let present = Command::new(&python).args(["-c", "import aiosmtpd.smtp"]).stderr(Stdio::null()).status().is_ok_and(|s| s.success());
        assert!(present, "aiosmtpd is missing from {}: run `make smtp` (make test does), which installs it from PyPI", python.display());
        let inbox = dir.join("inbox");
        fs::create_dir_all(&inbox).expect("inbox");
        let log = dir.join("smtp.stderr");
        let port = free_port();
        let child = Command::new(&python)
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}"), "-c", "capture.Capture", inbox.to_str().expect("UTF-8 path")])
            .env("PYTHONPATH", workspace_dir().join("e2e/smtp"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(fs::File::create(&log).expect("smtp log"))
            .spawn()
            .expect("start aiosmtpd");
        let mut smtp = Smtp { child, port, inbox, log };
        let started = Instant::now();
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Some(exit) = smtp.child.try_wait().ok().flatten() {
                panic!("aiosmtpd exited with {exit}:\n{}", fs::read_to_string(&smtp.log).unwrap_or_default());
            }
            assert!(started.elapsed() < Duration::from_secs(15), "aiosmtpd did not listen on {port} within 15 s");
            thread::sleep(Duration::from_millis(50));
        }
        smtp
    }

    /// The messages received so far, in order.
    fn received(&self) -> Vec<Value> {
        let mut files: Vec<(u32, PathBuf)> = fs::read_dir(&self.inbox)
            .expect("read inbox")
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter_map(|p| p.file_stem()?.to_str()?.parse().ok().map(|n| (n, p.clone())))
            .filter(|(_, p)| p.extension().is_some_and(|x| x == "json"))
            .collect();
        files.sort();
        files.iter().map(|(_, p)| serde_json::from_str(&fs::read_to_string(p).expect("read mail")).expect("mail JSON")).collect()
    }

    /// Waits until `n` messages arrived (at most `timeout`).
    fn wait_for(&self, n: usize, timeout: Duration, servers: &[&Server]) -> Vec<Value> {
        let started = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= n {
                return got;
            }
            assert!(
                started.elapsed() < timeout,
                "{} of {n} mails arrived within {timeout:?}: {got:#?}\n--- smtp ---\n{}\n--- efa ---\n{}",
                got.len(),
                fs::read_to_string(&self.log).unwrap_or_default(),
                servers.iter().map(|s| s.stderr()).collect::<Vec<_>>().join("\n---\n")
            );
            thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Smtp {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `efa serve` on `db` with extra environment (the SMTP server, the public URL), logging at `log`.
fn serve(db: &Db, port: u16, env: &[(&str, String)], log: &str) -> Server {
    let addr: SocketAddr = ([127, 0, 0, 1], port).into();
    let log_file = db.dir.join(format!("serve-{port}.stderr"));
    let mut cmd = Command::new(efa_bin());
    cmd.arg("serve")
        .current_dir(&db.dir)
        .env("DATABASE_URL", &db.url)
        .env("EFA_BIND", addr.to_string())
        .env("EFA_LOG", log)
        .env("EFA_WORKERS", "2")
        .env_remove("EFA_SMTP_URL")
        .env_remove("EFA_MAIL_FROM")
        .env_remove("EFA_PUBLIC_URL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(fs::File::create(&log_file).expect("log file"));
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut s = Server { child: Some(cmd.spawn().expect("spawn efa serve")), addr, log: log_file };
    s.wait_for(200, Duration::from_secs(30));
    s
}

fn smtp_env(smtp: &Smtp, public_url: &str) -> Vec<(&'static str, String)> {
    vec![("EFA_SMTP_URL", format!("smtp://127.0.0.1:{}", smtp.port)), ("EFA_MAIL_FROM", format!("EfA-Marktplatz <{SENDER}>")), ("EFA_PUBLIC_URL", public_url.to_owned())]
}

/// Logs in through the shop's development login, as a browser would: the form's session cookie
/// and CSRF token, our Origin.
fn dev_login(s: &Server, public_url: &str, organisation: &str, role: &str, email: &str) {
    let form = http_request(s.addr, "GET", "/anmelden", &[], None).expect("GET /anmelden");
    assert_eq!(form.status, 200, "{form:?}");
    let cookie = form.header("set-cookie").and_then(|c| c.split(';').next()).expect("a session cookie").to_owned();
    let html = form.text();
    let csrf = html.split("name=\"_csrf\" value=\"").nth(1).and_then(|rest| rest.split('"').next()).expect("the form's CSRF token").to_owned();
    let body = format!("_csrf={}&organisation={}&role={}&email={}&zurueck=%2F", encode(&csrf), encode(organisation), encode(role), encode(email));
    let headers = [("Cookie", cookie.as_str()), ("Origin", public_url), ("Content-Type", "application/x-www-form-urlencoded")];
    let r = http_request(s.addr, "POST", "/anmelden", &headers, Some(body.as_bytes())).expect("POST /anmelden");
    assert_eq!(r.status, 303, "the development login: {r:?}");
}

/// Köln files a request for `service` and submits it; its id.
fn koeln_asks(s: &Server, db: &Db, service: &str) -> String {
    let koeln = db.token("ags:05315000", "municipality_user", None);
    let id = s.expect("POST", "/api/v1/reuse-requests", &koeln, Some(&json!({"online_service_id": service, "note": "Bitte um Nachnutzung."})), 201)["id"].as_str().expect("id").to_owned();
    s.expect("POST", &format!("/api/v1/reuse-requests/{id}/submit"), &koeln, None, 200);
    id
}

/// The one mail the coordinator gets: to the right address, from the configured sender, in
/// German, with the link to the request and to the account page.
fn assert_coordinators_mail(mail: &Value, public_url: &str, request: &str) {
    assert_eq!(mail["rcpt_tos"], json!([COORDINATOR]), "{mail:#}");
    assert_eq!(mail["to"], COORDINATOR, "{mail:#}");
    assert_eq!(mail["mail_from"], SENDER, "{mail:#}");
    assert_eq!(mail["from"], format!("EfA-Marktplatz <{SENDER}>"), "{mail:#}");
    assert_eq!(mail["subject"], format!("Anfrage zur Freigabe: {SERVICE}"), "{mail:#}");
    assert_eq!((mail["content_type"].as_str(), mail["charset"].as_str()), (Some("text/plain"), Some("utf-8")), "{mail:#}");
    // SMTP carries lines ending in CRLF.
    let body = mail["body"].as_str().expect("body").replace("\r\n", "\n");
    for expected in [
        "Köln, Stadt bittet um die Nachnutzung des Onlinedienstes „Wohngeld Postweg NRW“. Die Anfrage wartet auf Ihre Freigabe als Landeskoordination.".to_owned(),
        format!("Zur Anfrage: {public_url}/anfragen/{request}\n"),
        format!("E-Mail-Benachrichtigungen abbestellen: {public_url}/konto\n"),
    ] {
        assert!(body.contains(&expected), "{expected:?} in:\n{body}");
    }
}

#[test]
fn the_coordinator_gets_the_request_to_approve_by_smtp_on_sqlite() {
    let db = Db::new(false);
    db.migrate_and_seed();
    let smtp = Smtp::start(&db.dir);
    let port = free_port();
    let public_url = format!("http://127.0.0.1:{port}");
    let s = serve(&db, port, &smtp_env(&smtp, &public_url), "warn");
    let t = Tokens::mint(&db);
    let service = publish(&s, &t, SERVICE);
    dev_login(&s, &public_url, "05", "land_coordinator", COORDINATOR);
    let id = koeln_asks(&s, &db, &service);
    let mails = smtp.wait_for(1, Duration::from_secs(30), &[&s]);
    assert_coordinators_mail(&mails[0], &public_url, &id);
    // Nobody else has an address; nothing comes twice.
    thread::sleep(Duration::from_secs(2));
    assert_eq!(smtp.received().len(), 1, "{:#?}", smtp.received());
}

#[test]
fn two_instances_on_postgresql_send_the_mail_once() {
    let db = Db::new(true);
    db.migrate_and_seed();
    let smtp = Smtp::start(&db.dir);
    let (port_a, port_b) = (free_port(), free_port());
    let public_url = format!("http://127.0.0.1:{port_a}");
    let a = serve(&db, port_a, &smtp_env(&smtp, &public_url), "warn");
    let b = serve(&db, port_b, &smtp_env(&smtp, &public_url), "warn");
    let t = Tokens::mint(&db);
    let service = publish(&a, &t, SERVICE);
    // The login on one instance, the request on the other.
    dev_login(&a, &public_url, "05", "land_coordinator", COORDINATOR);
    let id = koeln_asks(&b, &db, &service);
    let mails = smtp.wait_for(1, Duration::from_secs(30), &[&a, &b]);
    assert_coordinators_mail(&mails[0], &public_url, &id);
    // Both instances looked again several times since: still one mail.
    thread::sleep(Duration::from_secs(3));
    assert_eq!(smtp.received().len(), 1, "{:#?}", smtp.received());
}

#[test]
fn without_smtp_the_mail_is_written_to_the_log() {
    let db = Db::new(false);
    db.migrate_and_seed();
    let port = free_port();
    let public_url = format!("http://127.0.0.1:{port}");
    let s = serve(&db, port, &[], "info");
    let t = Tokens::mint(&db);
    let service = publish(&s, &t, SERVICE);
    dev_login(&s, &public_url, "05", "land_coordinator", COORDINATOR);
    let id = koeln_asks(&s, &db, &service);
    let started = Instant::now();
    while !s.stderr().contains(&format!("{public_url}/anfragen/{id}")) {
        assert!(started.elapsed() < Duration::from_secs(30), "no mail in the log:\n{}", s.stderr());
        thread::sleep(Duration::from_millis(100));
    }
    let log = s.stderr();
    assert!(log.contains("no SMTP server configured (EFA_SMTP_URL): e-mails are written to the log"), "{log}");
    let line = log.lines().find(|l| l.contains(&format!("/anfragen/{id}"))).expect("the mail's line");
    assert!(line.contains(COORDINATOR) && line.contains(&format!("Anfrage zur Freigabe: {SERVICE}")), "{line}");
}
