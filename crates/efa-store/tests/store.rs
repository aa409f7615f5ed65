//! Store tests: migrations and the seed, each on a fresh SQLite file and a fresh PostgreSQL database.

use diesel::prelude::*;
use efa_store::models::*;
use efa_store::schema::*;
use efa_store::test_util::{seed_dir, TestDb};
use efa_store::{both_backends, migrations, seed, Backend, DbConn};
use std::path::Path;

macro_rules! count {
    ($conn:expr, $table:ident) => {
        $table::table.count().get_result::<i64>($conn).unwrap()
    };
}

fn counts(conn: &mut DbConn) -> [i64; 10] {
    [
        count!(conn, laender),
        count!(conn, kreise),
        count!(conn, gemeinden),
        count!(conn, themenfelder),
        count!(conn, lebenslagen),
        count!(conn, ozg_leistungen),
        count!(conn, leika_leistungen),
        count!(conn, organisations),
        count!(conn, online_services),
        count!(conn, online_service_ozg_leistungen),
    ]
}

/// A copy of seed-data with one cell of one file replaced.
fn broken_seed_dir(file: &str, from: &str, to: &str) -> tempdir::Dir {
    let dir = tempdir::Dir::new();
    for entry in std::fs::read_dir(seed_dir()).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.file_name().unwrap() == file {
            assert!(text.contains(from), "{file} must contain {from:?}");
            text = text.replacen(from, to, 1);
        }
        std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
    }
    dir
}

mod tempdir {
    pub struct Dir(std::path::PathBuf);
    impl Dir {
        pub fn new() -> Dir {
            let p = std::env::temp_dir().join(format!("efa-seed-{}", std::process::id() as u128 * 1000 + rand_suffix()));
            std::fs::create_dir_all(&p).unwrap();
            Dir(p)
        }
        pub fn path(&self) -> &std::path::Path {
            &self.0
        }
    }
    fn rand_suffix() -> u128 {
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos() as u128
    }
    impl Drop for Dir {
        fn drop(&mut self) {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

both_backends! {
    migrations_apply_and_revert => |backend| {
        let db = TestDb::new(backend);
        let mut conn = db.conn();
        assert!(migrations::is_current(&mut conn).unwrap());
        migrations::revert_all(&mut conn).unwrap();
        assert!(!migrations::is_current(&mut conn).unwrap());
        assert!(!migrations::run(&mut conn).unwrap().is_empty());
        assert!(migrations::is_current(&mut conn).unwrap());
    };

    seed_loads_the_real_catalogue => |backend| {
        let db = TestDb::new(backend);
        let mut conn = db.conn();
        let report = seed::run(&mut conn, &seed_dir()).unwrap();
        let [l, k, g, t, lb, o, lk, orgs, svc, links] = counts(&mut conn);
        assert_eq!((l, k, g, t, lb, o, lk), (16, 401, 11_004, 14, 55, 557, 5_249));
        assert_eq!(report.gemeinden, 11_004);
        let kommunen: i64 = organisations::table.filter(organisations::kind.eq("kommune")).count().get_result(&mut conn).unwrap();
        let landkreise = 401 - 107; // 107 kreisfreie Städte and Stadtkreise have their Gemeinde as organisation
        assert_eq!(kommunen, 10_794 + landkreise, "one per Gemeinde that is not gemeindefrei, one per Landkreis");
        assert!(orgs >= kommunen + 16 + 7, "plus 16 Land governments and the 7 federal ministries, got {orgs}");
        assert_eq!(svc, 36 + 84, "36 EfA projects and 84 NRW WSP services");
        assert!(links > 100, "services link to OZG-Leistungen, got {links}");
        // Wohngeld and its LeiKa keys are there, and Berlin has one Gemeinde.
        let wohngeld: OzgLeistungRow = ozg_leistungen::table.find(10092).select(OzgLeistungRow::as_select()).first(&mut conn).unwrap();
        assert_eq!(wohngeld.name, "Wohngeld");
        let berlin: i64 = gemeinden::table.filter(gemeinden::land_code.eq("11")).count().get_result(&mut conn).unwrap();
        assert_eq!(berlin, 1);
        let nrw_share: i64 = koenigsteiner_shares::table.find((2019, "05")).select(koenigsteiner_shares::share_e5).first(&mut conn).unwrap();
        assert_eq!(nrw_share, 2_107_592);
    };

    seed_twice_gives_the_same_counts => |backend| {
        let db = TestDb::new(backend);
        let mut conn = db.conn();
        seed::run(&mut conn, &seed_dir()).unwrap();
        let first = counts(&mut conn);
        seed::run(&mut conn, &seed_dir()).unwrap();
        assert_eq!(counts(&mut conn), first);
    };

    malformed_row_names_file_line_column_and_writes_nothing => |backend| {
        let db = TestDb::new(backend);
        let mut conn = db.conn();
        // The Kiel row gets a 7-digit AGS; the file is read after Länder and Kreise, so a
        // partial write would show up as Länder rows.
        let dir = broken_seed_dir("gemeinden.csv", "01002000,010020000000", "0100200,010020000000");
        let err = seed::run(&mut conn, dir.path()).unwrap_err().to_string();
        assert!(err.contains("gemeinden.csv:3:") && err.contains("\"ags\"") && err.contains("8 digits"), "{err}");
        assert_eq!(counts(&mut conn), [0; 10]);
    };

    seeded_clone_holds_the_catalogue_and_is_private => |backend| {
        let a = TestDb::seeded(backend);
        let b = TestDb::seeded(backend);
        let mut ca = a.conn();
        assert_eq!(count!(&mut ca, gemeinden), 11_004);
        diesel::delete(online_service_ozg_leistungen::table).execute(&mut ca).unwrap();
        // A change in one test's database does not reach another's.
        assert!(count!(&mut b.conn(), online_service_ozg_leistungen) > 0);
    };

    the_schema_allows_one_open_agreement_per_customer_and_service => |backend| {
        use efa_store::reuse::{insert_agreement, AgreementRow};
        let db = TestDb::seeded(backend);
        let mut conn = db.conn();
        let service: String = online_services::table.select(online_services::id).order(online_services::id).first(&mut conn).unwrap();
        let provider: String = online_services::table.find(&service).select(online_services::provider_org_id).first(&mut conn).unwrap();
        let customer = efa_store::seed::seed_id("kommune", "05315000");
        let t = chrono::Utc::now().naive_utc();
        let row = |n: i64, state: &str| AgreementRow {
            id: format!("00000000-0000-0000-0000-{n:012}"),
            number: efa_store::reuse_number(2026, n),
            request_id: None,
            framework_agreement_id: None,
            framework_version: None,
            parent_agreement_id: None,
            online_service_id: service.clone(),
            listing_version: 1,
            listing_content: "{}".into(),
            terms_text: "t".into(),
            terms_version: "1".into(),
            provider_org_id: provider.clone(),
            customer_org_id: customer.clone(),
            signatory_org_id: customer.clone(),
            one_off_fee_cents: 0,
            annual_fee_cents: 0,
            first_year_fee_cents: 0,
            cost_key: "test".into(),
            start_date: t.date(),
            minimum_term_months: 12,
            notice_months: 3,
            end_date: None,
            state: state.into(),
            provider_signed_at: None,
            provider_signed_by: None,
            customer_signed_at: None,
            customer_signed_by: None,
            live_since: None,
            revision: 1,
            created_at: t,
            updated_at: t,
        };
        let open = |conn: &mut DbConn| -> i64 {
            efa_store::schema::agreements::table.filter(efa_store::schema::agreements::state.ne("terminated")).count().get_result(conn).unwrap()
        };
        // Ended agreements do not count: any number of them beside one open agreement.
        assert!(insert_agreement(&mut conn, &row(1, "terminated")).unwrap());
        assert!(insert_agreement(&mut conn, &row(2, "terminated")).unwrap());
        assert!(insert_agreement(&mut conn, &row(3, "pending")).unwrap());
        // A second open one is refused by the database itself, whatever the code checked.
        for (n, state) in [(4, "pending"), (5, "active"), (6, "live")] {
            assert!(!insert_agreement(&mut conn, &row(n, state)).unwrap(), "{state}");
        }
        assert_eq!(open(&mut conn), 1);
        // Two transactions that both checked before either inserted (PostgreSQL, READ
        // COMMITTED): the second insert waits for the first commit, then is refused.
        if backend == Backend::Postgres {
            diesel::delete(efa_store::schema::agreements::table).execute(&mut conn).unwrap();
            let (tx, rx) = std::sync::mpsc::channel::<()>();
            let mut other = db.conn();
            let first = row(7, "pending");
            let second = row(8, "active");
            let handle = std::thread::spawn(move || {
                other.transaction::<_, diesel::result::Error, _>(|c| {
                    assert!(insert_agreement(c, &first)?);
                    tx.send(()).unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(300));
                    Ok(())
                })
            });
            rx.recv().unwrap();
            let inserted = insert_agreement(&mut conn, &second).unwrap();
            handle.join().unwrap().unwrap();
            assert!(!inserted, "the racing second insert was let through");
            assert_eq!(open(&mut conn), 1);
        }
    };

    constraint_failure_rolls_back_the_whole_seed => |backend| {
        let db = TestDb::new(backend);
        let mut conn = db.conn();
        // Parses fine, but breaks a database rule (an Anbindung kind the schema does not allow)
        // in the very last statement.
        let mut data = seed::read(&seed_dir()).unwrap();
        let service = data.services[0].id.clone();
        data.anbindungen.push(AnbindungRow { online_service_id: service, kind: "carrier_pigeon".into() });
        assert!(seed::write(&mut conn, &data).is_err());
        assert_eq!(counts(&mut conn), [0; 10]);
    };
}

#[test]
fn seed_dir_is_the_repository_folder() {
    assert!(Path::new(&seed_dir()).join("SOURCES.md").exists());
    let _ = Backend::Sqlite;
}
