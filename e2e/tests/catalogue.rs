//! Keeping the catalogue current (issue 14), with the real `efa` binary:
//!
//! * `efa catalogue import <dir> --dry-run` prints the difference and writes nothing; without
//!   it the import is applied, and two `efa serve` on the same PostgreSQL both show the renamed
//!   and the retired OZG-Leistung within [`BOUND`] (the import's outbox event makes every
//!   instance rebuild its whole catalogue and coverage: heavier than a listing write's rebuild,
//!   whose bound is 1 s; a debug build on a loaded machine took 1.4 s). `efa availability import` likewise reaches both
//!   instances' coverage.
//! * A malformed file stops the CLI with `path:line: column …` and a non-zero exit, writing
//!   nothing; a file of another shape is refused; on SQLite, an import while `efa serve` runs
//!   on the file is refused (that server would never see it).
//!
//! Needs the binary (`cargo build -p efa`) and, for PostgreSQL, `createdb`/`dropdb` and a
//! server at 127.0.0.1:5432.

#[allow(dead_code)]
#[path = "faults/harness.rs"]
mod harness;

use harness::*;
use serde_json::Value;
use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

fn efa(db: &Db, args: &[&str]) -> Output {
    Command::new(e2e::efa_bin()).args(args).current_dir(&db.dir).env("DATABASE_URL", &db.url).env("EFA_LOG", "warn").stdin(Stdio::null()).output().expect("run efa")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn seed_file(name: &str) -> String {
    std::fs::read_to_string(e2e::workspace_dir().join("seed-data").join(name)).expect("seed file")
}

/// A folder with a newer catalogue: Wohngeld renamed, Elterngeld (10000) left out with
/// successor 10001. Returns its path.
fn newer_catalogue(db: &Db) -> String {
    let dir = db.dir.join("katalog-neu");
    std::fs::create_dir_all(&dir).expect("dir");
    let ozg: String = seed_file("ozg_leistungen.csv")
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("10000,"))
        .map(|l| l.replacen("10092,Wohngeld,", "10092,Wohngeld (neu),", 1))
        .collect();
    std::fs::write(dir.join("ozg_leistungen.csv"), ozg).expect("write");
    std::fs::write(dir.join("ozg_nachfolger.csv"), "ozg_id,nachfolger_ozg_id\n10000,10001\n").expect("write");
    dir.display().to_string()
}

/// How soon every instance shows a catalogue change: a full rebuild of its read model.
const BOUND: Duration = Duration::from_secs(5);

fn until(what: &str, mut probe: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    while !probe() {
        assert!(start.elapsed() < Duration::from_secs(20), "{what}: not seen within 20 s");
        std::thread::sleep(Duration::from_millis(20));
    }
    let lag = start.elapsed();
    println!("lag: {what}: {:.1} ms", lag.as_secs_f64() * 1000.0);
    assert!(lag <= BOUND, "{what}: seen only after {lag:?}, more than {BOUND:?}");
    lag
}

fn get(s: &Server, path: &str, token: &str) -> Value {
    s.expect("GET", path, token, None, 200)
}

#[test]
fn a_cli_import_on_postgres_reaches_every_running_instance() {
    let db = Db::new(true);
    db.migrate_and_seed();
    let a = Server::start(&db, None);
    let b = Server::start(&db, None);
    let koeln = db.token("ags:05315000", "municipality_user", None);
    let dir = newer_catalogue(&db);

    let dry = efa(&db, &["catalogue", "import", &dir, "--dry-run"]);
    assert!(dry.status.success(), "{}", text(&dry));
    let out = text(&dry);
    assert!(out.contains("dry run, nothing written"), "{out}");
    assert!(out.contains("OZG-Leistung renamed: 10092 \"Wohngeld\" -> \"Wohngeld (neu)\""), "{out}");
    assert!(out.contains("OZG-Leistung retired: 10000 Elterngeld (successor 10001)"), "{out}");
    assert_eq!(get(&a, "/api/v1/ozg-leistungen/10092", &koeln)["name"], "Wohngeld");

    let applied = efa(&db, &["catalogue", "import", &dir, "--source", "OZG-Katalog (e2e)", "--source-date", "2024-06-30"]);
    assert!(applied.status.success(), "{}", text(&applied));
    assert!(text(&applied).contains("recorded as catalogue version"), "{}", text(&applied));
    for (name, s) in [("A", &a), ("B", &b)] {
        until(&format!("the CLI's import in instance {name}'s catalogue"), || {
            let w = get(s, "/api/v1/ozg-leistungen/10092", &koeln);
            let e = get(s, "/api/v1/ozg-leistungen/10000", &koeln);
            w["name"] == "Wohngeld (neu)" && e["retired"]["successor"]["id"] == 10001
        });
    }
    let h = get(&b, "/api/v1/ozg-leistungen/10000/history", &koeln);
    assert_eq!(h["items"][0]["action"], "ozg.retired");
    assert_eq!(h["items"][0]["source"], "OZG-Katalog (e2e)");

    let fixture = e2e::workspace_dir().join("crates/efa-api/tests/fixtures/dashboard_open_pvog.csv");
    let r = efa(&db, &["availability", "import", fixture.to_str().expect("path")]);
    assert!(r.status.success(), "{}", text(&r));
    assert!(text(&r).contains("6 records, 4 online"), "{}", text(&r));
    for (name, s) in [("A", &a), ("B", &b)] {
        until(&format!("the dashboard export in instance {name}'s coverage"), || {
            get(s, "/api/v1/coverage/gemeinden/05315000", &koeln)["known_online_elsewhere"].as_array().is_some_and(|k| k.len() == 2)
        });
    }
}

#[test]
fn malformed_files_stop_the_cli_and_write_nothing() {
    let db = Db::new(false);
    db.migrate_and_seed();
    let dir = Path::new(&newer_catalogue(&db)).to_path_buf();
    let file = dir.join("ozg_leistungen.csv");
    let good = std::fs::read_to_string(&file).expect("read");
    let bad = good.replacen("\n10001,", "\n10001x,", 1);
    let line = bad.lines().position(|l| l.starts_with("10001x,")).expect("the bad line") + 1;
    std::fs::write(&file, &bad).expect("write");
    let r = efa(&db, &["catalogue", "import", dir.to_str().expect("path")]);
    assert!(!r.status.success());
    assert!(text(&r).contains(&format!("{}:{line}: column \"ozg_id\"", file.display())), "{}", text(&r));

    // Another shape: the Lebenslagen as OZG-Leistungen.
    std::fs::write(&file, seed_file("ozg_lebenslagen.csv")).expect("write");
    let r = efa(&db, &["catalogue", "import", dir.to_str().expect("path")]);
    assert!(!r.status.success());
    assert!(text(&r).contains("this is not a list of OZG-Leistungen: the header lacks ozg_id, name"), "{}", text(&r));
    let export = db.dir.join("export.csv");
    std::fs::write(&export, "foo;bar\n1;2\n").expect("write");
    let r = efa(&db, &["availability", "import", export.to_str().expect("path")]);
    assert!(!r.status.success());
    assert!(text(&r).contains("is not an export of the Dashboard Digitale Verwaltung"), "{}", text(&r));

    // Nothing was written: the newer catalogue still has everything to change.
    std::fs::write(&file, &good).expect("write");
    let dry = efa(&db, &["catalogue", "import", dir.to_str().expect("path"), "--dry-run"]);
    assert!(text(&dry).contains("1 renamed, 0 moved, 1 retired"), "{}", text(&dry));

    // While efa serve runs on the SQLite file, an import is refused (a dry run is not).
    let s = Server::start(&db, None);
    let r = efa(&db, &["catalogue", "import", dir.to_str().expect("path")]);
    assert!(!r.status.success());
    assert!(text(&r).contains("import through the API"), "{}", text(&r));
    drop(s);
}
