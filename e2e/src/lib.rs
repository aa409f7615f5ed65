//! End-to-end helpers: start the real `efa` binary on a fresh SQLite file and talk
//! plain HTTP/1.1 to it, the way a newcomer with `curl` would.
//!
//! * [`Efa::start`] makes a temp dir, runs `efa migrate` and `efa seed`, spawns
//!   `efa serve` on a free loopback port and waits for `GET /readyz` to answer 200.
//!   Dropping the handle kills the server and removes the temp dir.
//! * [`Efa::serve_again`] spawns another `efa serve` on the same database ([`Serve::spawn`] on
//!   any `DATABASE_URL`, SQLite or PostgreSQL), to see it refused or to run two instances.
//! * [`http_get`] is a tiny std-only HTTP/1.1 client (`Connection: close`, body by
//!   `Content-Length`, chunked encoding or end of stream).
//!
//! The binary is `$EFA_BIN` if set, else `debug/efa` in `$CARGO_TARGET_DIR` or `<workspace>/target`; build it with
//! `cargo build -p efa` (the Makefile does so before running the tests).

use std::fs;
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// How long `efa serve` may take until `/readyz` answers 200.
pub const READY_TIMEOUT: Duration = Duration::from_secs(20);

pub mod http;
pub use http::*;

// ---------------------------------------------------------------------------------------
// The server under test
// ---------------------------------------------------------------------------------------

/// The workspace root (the parent of this crate).
pub fn workspace_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("e2e lives inside the workspace").to_path_buf()
}

/// Where cargo puts build output: `$CARGO_TARGET_DIR` (relative to the workspace) or `<workspace>/target`.
pub fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(p) if !p.is_empty() => workspace_dir().join(p),
        _ => workspace_dir().join("target"),
    }
}

/// The `efa` binary under test: `$EFA_BIN`, else `debug/efa` in the target directory.
pub fn efa_bin() -> PathBuf {
    let bin = match std::env::var_os("EFA_BIN") {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => target_dir().join("debug").join(format!("efa{}", std::env::consts::EXE_SUFFIX)),
    };
    assert!(
        bin.is_file(),
        "the efa binary was not found at {}.\nBuild it first: `cargo build -p efa` (in {}), or point EFA_BIN at a built binary. `make test` builds it for you.",
        bin.display(),
        workspace_dir().display()
    );
    bin
}

/// A running `efa serve` on a fresh, migrated and seeded SQLite database.
pub struct Efa {
    child: Option<Child>,
    dir: PathBuf,
    addr: SocketAddr,
    /// What `efa seed` printed.
    pub seed_report: String,
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

fn fresh_dir() -> PathBuf {
    let nanos = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    let dir = std::env::temp_dir().join(format!("efa-e2e-{}-{}-{nanos}", std::process::id(), COUNTER.fetch_add(1, Ordering::SeqCst)));
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
    dir
}

/// A port that was free a moment ago (bind :0, read it, let it go).
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
    listener.local_addr().expect("local_addr").port()
}

fn describe(what: &str, out: &Output) -> String {
    format!(
        "`efa {what}` exited with {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn read_stderr(dir: &Path) -> String {
    fs::read_to_string(dir.join("serve.stderr")).unwrap_or_default()
}

/// Polls `GET /readyz` until it answers 200; fails early when the server exits.
fn wait_ready(child: &mut Child, addr: SocketAddr, dir: &Path) -> Result<(), String> {
    let started = Instant::now();
    let mut last = String::from("no answer yet");
    while started.elapsed() < READY_TIMEOUT {
        if let Some(status) = child.try_wait().ok().flatten() {
            return Err(format!("`efa serve` on {addr} exited with {status} before it was ready\n--- stderr ---\n{}", read_stderr(dir)));
        }
        match http_get(addr, "/readyz", &[]) {
            Ok(r) if r.status == 200 => return Ok(()),
            Ok(r) => last = format!("{r:?}"),
            Err(e) => last = e.to_string(),
        }
        thread::sleep(Duration::from_millis(50));
    }
    Err(format!("`efa serve` on {addr} did not answer 200 on /readyz within {READY_TIMEOUT:?}; last: {last}\n--- stderr ---\n{}", read_stderr(dir)))
}

impl Efa {
    /// Fresh temp dir and SQLite file, `efa migrate`, `efa seed`, `efa serve` on a free port,
    /// then waits until `GET /readyz` answers 200.
    pub fn start() -> Efa {
        let bin = efa_bin();
        let dir = fresh_dir();
        let db = dir.join("efa.db");
        let db_url = db.to_str().expect("temp path is UTF-8").to_string();
        let tool = |args: &[&str]| -> Output {
            Command::new(&bin)
                .args(args)
                .current_dir(&dir)
                .env("DATABASE_URL", &db_url)
                .env("EFA_LOG", "warn")
                .env_remove("EFA_SEED_DIR")
                .stdin(Stdio::null())
                .output()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()))
        };

        let out = tool(&["migrate"]);
        assert!(out.status.success(), "{}", describe("migrate", &out));

        let seed_dir = workspace_dir().join("seed-data");
        let out = tool(&["seed", "--dir", seed_dir.to_str().expect("seed path is UTF-8")]);
        assert!(out.status.success(), "{}", describe("seed", &out));
        let seed_report = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(seed_report.contains("11004 Gemeinden"), "`efa seed` should report 11004 Gemeinden:\n{}", describe("seed", &out));

        // The free port can be taken by someone else between our probe and the server's bind;
        // then the server exits at once and we try another port.
        let mut last_error = String::new();
        for _attempt in 0..3 {
            let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
            let stdout = fs::File::create(dir.join("serve.stdout")).expect("create serve.stdout");
            let stderr = fs::File::create(dir.join("serve.stderr")).expect("create serve.stderr");
            let mut child = Command::new(&bin)
                .arg("serve")
                .current_dir(&dir)
                .env("DATABASE_URL", &db_url)
                .env("EFA_BIND", addr.to_string())
                .env("EFA_LOG", "warn")
                .env("EFA_WORKERS", "2")
                .stdin(Stdio::null())
                .stdout(stdout)
                .stderr(stderr)
                .spawn()
                .unwrap_or_else(|e| panic!("cannot spawn {} serve: {e}", bin.display()));
            match wait_ready(&mut child, addr, &dir) {
                Ok(()) => return Efa { child: Some(child), dir, addr, seed_report },
                Err(e) => {
                    let exited = child.try_wait().ok().flatten().is_some();
                    let _ = child.kill();
                    let _ = child.wait();
                    let bind_failed = exited && read_stderr(&dir).contains("cannot listen");
                    last_error = e;
                    if !bind_failed {
                        break;
                    }
                }
            }
        }
        let _ = fs::remove_dir_all(&dir);
        panic!("{last_error}");
    }

    /// Where the server listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The server's process id.
    pub fn pid(&self) -> u32 {
        self.child.as_ref().expect("server running").id()
    }

    /// Everything the server wrote to stderr so far.
    pub fn stderr(&self) -> String {
        read_stderr(&self.dir)
    }

    /// `GET path` (a path like `/api/v1/...` or an absolute `http://host/...` URL of this server).
    pub fn get(&self, path: &str) -> Response {
        self.get_with(path, &[])
    }

    /// `GET path` with extra request headers.
    pub fn get_with(&self, path: &str, headers: &[(&str, &str)]) -> Response {
        let path = self.path_of(path);
        http_get(self.addr, &path, headers).unwrap_or_else(|e| panic!("GET {path} failed: {e}\n--- server stderr ---\n{}", self.stderr()))
    }

    /// `GET path`, asserting 200 and a JSON body.
    #[track_caller]
    pub fn json(&self, path: &str) -> serde_json::Value {
        let r = self.get(path);
        r.expect_status(200);
        assert_eq!(r.media_type(), "application/json", "GET {path}: {r:?}");
        r.json()
    }

    /// Link targets may be relative (`/api/...`) or absolute (`http://host:port/api/...`).
    fn path_of(&self, target: &str) -> String {
        for scheme in ["http://", "https://"] {
            if let Some(rest) = target.strip_prefix(scheme) {
                return rest.find('/').map(|i| rest[i..].to_string()).unwrap_or_else(|| "/".into());
            }
        }
        target.to_string()
    }

    /// The `DATABASE_URL` this server runs on (the SQLite file in its temp dir).
    pub fn database_url(&self) -> String {
        self.dir.join("efa.db").to_str().expect("temp path is UTF-8").to_string()
    }

    /// Spawns another `efa serve` on this server's database, in its working directory (so with
    /// the same development key), on a free port. It is not waited for: see [`Serve::wait_exit`]
    /// and [`Serve::wait_ready`]. Drop it before this handle (it writes into its temp dir).
    pub fn serve_again(&self) -> Serve {
        Serve::spawn(&self.dir, &self.database_url())
    }

    /// Sends SIGTERM and waits up to `timeout` for the process to exit.
    /// Returns the exit status and how long it took; panics on timeout (after killing it).
    pub fn terminate(&mut self, timeout: Duration) -> (ExitStatus, Duration) {
        let pid = self.pid();
        let sent = Instant::now();
        let out = Command::new("kill").args(["-TERM", &pid.to_string()]).output().expect("run kill -TERM");
        assert!(out.status.success(), "kill -TERM {pid} failed: {}", String::from_utf8_lossy(&out.stderr));
        let child = self.child.as_mut().expect("server running");
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                return (status, sent.elapsed());
            }
            if sent.elapsed() > timeout {
                let _ = child.kill();
                let _ = child.wait();
                self.child = None;
                panic!("`efa serve` did not exit within {timeout:?} of SIGTERM\n--- stderr ---\n{}", self.stderr());
            }
            thread::sleep(Duration::from_millis(25));
        }
    }
}

impl Drop for Efa {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = fs::remove_dir_all(&self.dir);
    }
}

/// One more `efa serve` process (see [`Efa::serve_again`]); killed on drop.
pub struct Serve {
    child: Option<Child>,
    addr: SocketAddr,
    stderr_path: PathBuf,
}

impl Serve {
    /// `efa serve` on `database_url` in `dir` on a free loopback port; stdout and stderr go
    /// to files in `dir`.
    pub fn spawn(dir: &Path, database_url: &str) -> Serve {
        let bin = efa_bin();
        let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
        let stderr_path = dir.join(format!("serve-{}.stderr", addr.port()));
        let stdout = fs::File::create(dir.join(format!("serve-{}.stdout", addr.port()))).expect("create the stdout file");
        let stderr = fs::File::create(&stderr_path).expect("create the stderr file");
        let child = Command::new(&bin)
            .arg("serve")
            .current_dir(dir)
            .env("DATABASE_URL", database_url)
            .env("EFA_BIND", addr.to_string())
            .env("EFA_LOG", "warn")
            .env("EFA_WORKERS", "2")
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot spawn {} serve: {e}", bin.display()));
        Serve { child: Some(child), addr, stderr_path }
    }

    /// Where it listens (once it is ready).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Everything it wrote to stderr so far.
    pub fn stderr(&self) -> String {
        fs::read_to_string(&self.stderr_path).unwrap_or_default()
    }

    /// Waits up to `timeout` for the process to exit: its status, or `None` while it still runs.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let started = Instant::now();
        let child = self.child.as_mut()?;
        loop {
            if let Some(status) = child.try_wait().expect("try_wait") {
                self.child = None;
                return Some(status);
            }
            if started.elapsed() > timeout {
                return None;
            }
            thread::sleep(Duration::from_millis(25));
        }
    }

    /// Waits until `GET /readyz` answers 200 (at most [`READY_TIMEOUT`]); the error says why not.
    pub fn wait_ready(&mut self) -> Result<(), String> {
        let child = self.child.as_mut().ok_or("the server has exited")?;
        let dir = self.stderr_path.parent().expect("in a directory").to_path_buf();
        let started = Instant::now();
        let mut last = String::from("no answer yet");
        while started.elapsed() < READY_TIMEOUT {
            if let Some(status) = child.try_wait().ok().flatten() {
                return Err(format!("`efa serve` on {} exited with {status} before it was ready\n--- stderr ---\n{}", self.addr, fs::read_to_string(&self.stderr_path).unwrap_or_default()));
            }
            match http_get(self.addr, "/readyz", &[]) {
                Ok(r) if r.status == 200 => return Ok(()),
                Ok(r) => last = format!("{r:?}"),
                Err(e) => last = e.to_string(),
            }
            thread::sleep(Duration::from_millis(50));
        }
        Err(format!("`efa serve` on {} (in {}) did not answer 200 on /readyz within {READY_TIMEOUT:?}; last: {last}", self.addr, dir.display()))
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_content_length_and_chunked_bodies() {
        let r = parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nX-A: b\r\n\r\n{}", "/").unwrap();
        assert_eq!((r.status, r.reason.as_str(), r.body.as_slice(), r.header("x-a")), (200, "OK", &b"{}"[..], Some("b")));
        let r = parse_response(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2;x=y\r\nde\r\n0\r\n\r\n", "/").unwrap();
        assert_eq!(r.text(), "abcde");
        let r = parse_response(b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n", "/").unwrap();
        assert!(r.body.is_empty());
        assert!(parse_response(b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab", "/").is_err());
    }

    #[test]
    fn parses_link_headers_with_commas_in_targets() {
        let links = parse_link_header(r#"</a?status=live,pilot&page=1>; rel="first", </a?status=live,pilot&page=2>; rel="next""#);
        assert_eq!(links, vec![("first".into(), "/a?status=live,pilot&page=1".into()), ("next".into(), "/a?status=live,pilot&page=2".into())]);
    }

    #[test]
    fn encodes_query_values() {
        assert_eq!(encode("Köln a&b"), "K%C3%B6ln%20a%26b");
    }
}

/// A string claim of a JWT, read from its payload (base64url JSON) without checking anything:
/// tests and probes read which organisation `efa token` put in a token.
pub fn jwt_claim(token: &str, name: &str) -> Option<String> {
    let payload = token.split('.').nth(1)?;
    let (mut bits, mut n, mut bytes) = (0u32, 0, Vec::new());
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
    let v: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    v[name].as_str().map(str::to_owned)
}
