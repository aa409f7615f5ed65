//! `efa seed --synthetic`: a deterministic national-scale data set for load tests, kept apart
//! from the real data (every row is marked synthetic). Needs the real seed first: it uses the
//! real Gemeinden, Länder and OZG-Leistungen.
//!
//! What it makes: a user per organisation, 2,000 published listings, bundlers for small
//! Gemeinden, and 200,000 reuse requests in all states with their agreements. Large cities
//! order more (weight ∝ √population); bundlers file for Gemeinden under 5,000 inhabitants.

use crate::models::*;
use crate::reuse::{AgreementRow, ReuseRequestRow, RequestMunicipalityRow};
use crate::schema::{audit_events, contract_counters, online_service_ozg_leistungen, online_services, org_memberships, organisations, reuse_request_municipalities, reuse_requests, users};
use crate::DbConn;
use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use std::time::Instant;

pub const LISTINGS: usize = 2_000;
pub const REQUESTS: usize = 200_000;
const CHUNK: usize = 500;
pub const SOURCE: &str = "synthetic";

/// xorshift64*: small, fast, and the same sequence for the same seed everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub org_id: String,
    pub role: String,
    pub display_name: String,
    pub created_at: NaiveDateTime,
    pub roles: String,
    pub land_code: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Insertable)]
#[diesel(table_name = org_memberships)]
struct MembershipRow {
    bundler_org_id: String,
    member_org_id: String,
}

#[derive(Debug, Clone)]
pub struct SyntheticReport {
    pub users: usize,
    pub listings: usize,
    pub bundlers: usize,
    pub requests: usize,
    pub agreements: usize,
    pub audit_events: usize,
    pub millis: u128,
}

impl std::fmt::Display for SyntheticReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "synthetic: {} users, {} listings, {} bundlers, {} reuse requests, {} agreements, {} audit events in {} ms",
            self.users, self.listings, self.bundlers, self.requests, self.agreements, self.audit_events, self.millis
        )
    }
}

fn id(rng: &mut Rng) -> String {
    uuid::Builder::from_random_bytes({
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&rng.next().to_le_bytes());
        b[8..].copy_from_slice(&rng.next().to_le_bytes());
        b
    })
    .into_uuid()
    .to_string()
}

macro_rules! insert_chunks {
    ($conn:expr, $table:expr, $rows:expr) => {
        for chunk in $rows.chunks(CHUNK) {
            crate::per_backend!($conn, |c| diesel::insert_into($table).values(chunk).execute(c))?;
        }
    };
}

/// The request states and their share in percent; agreements exist from agreement_pending on.
const STATES: &[(&str, u64)] = &[
    ("draft", 5),
    ("submitted", 10),
    ("land_approved", 5),
    ("land_rejected", 3),
    ("provider_declined", 2),
    ("agreement_pending", 8),
    ("active", 25),
    ("live", 37),
    ("terminated", 3),
    ("withdrawn", 2),
];

pub fn run(conn: &mut DbConn, seed: u64) -> anyhow::Result<SyntheticReport> {
    let started = Instant::now();
    let orgs = OrganisationRow::all(conn)?;
    let gemeinden = GemeindeRow::all(conn)?;
    let ozg = OzgLeistungRow::all(conn)?;
    anyhow::ensure!(gemeinden.len() > 10_000 && !ozg.is_empty(), "load the real seed first (efa seed)");
    let exists: i64 = online_services::table.filter(online_services::source.eq(SOURCE)).count().get_result(conn)?;
    anyhow::ensure!(exists == 0, "the synthetic data set is already loaded");
    if let DbConn::Sqlite(c) = conn {
        // One big transaction: a page cache large enough to hold it avoids spilling pages to
        // the WAL again and again before the commit.
        diesel::connection::SimpleConnection::batch_execute(c, "PRAGMA cache_size = -400000")?;
    }
    let mut rng = Rng::new(seed);
    let base = NaiveDate::from_ymd_opt(2024, 1, 1).and_then(|d| d.and_hms_opt(8, 0, 0)).ok_or_else(|| anyhow::anyhow!("date"))?;
    let population: std::collections::HashMap<&str, (i64, &str, Option<&str>)> =
        gemeinden.iter().map(|g| (g.ags.as_str(), (g.population, g.land_code.as_str(), g.kreis_code.as_deref()))).collect();

    let mut report = crate::tx::write_transaction(conn, |conn| -> anyhow::Result<SyntheticReport> {
        // Users: one per organisation, in the role that organisation acts in.
        let mut user_rows = Vec::with_capacity(orgs.len() + 16);
        for o in &orgs {
            let role = match o.kind.as_str() {
                "kommune" => "municipality_user",
                "land" => "provider_publisher",
                "bundler" => "bundler",
                "it_dienstleister" | "zweckverband" => "provider_publisher",
                _ => "operator",
            };
            user_rows.push(UserRow { id: format!("synthetic-user-{}", o.id), org_id: o.id.clone(), role: role.into(), display_name: format!("Synthetic user of {}", o.name), created_at: base, roles: role.into(), land_code: None });
            if o.kind == "land" {
                user_rows.push(UserRow { id: format!("synthetic-coordinator-{}", o.id), org_id: o.id.clone(), role: "land_coordinator".into(), display_name: format!("Synthetic coordinator of {}", o.name), created_at: base, roles: "land_coordinator".into(), land_code: o.land_code.clone() });
            }
        }
        insert_chunks!(conn, users::table, user_rows);

        // Providers: the Land governments and the IT-Dienstleister of the real data.
        let providers: Vec<&OrganisationRow> = orgs.iter().filter(|o| matches!(o.kind.as_str(), "land" | "it_dienstleister" | "zweckverband")).collect();
        let mut listings = Vec::with_capacity(LISTINGS);
        let mut links = Vec::new();
        for n in 0..LISTINGS {
            let p = providers[rng.below(providers.len())];
            let o = &ozg[rng.below(ozg.len())];
            let sid = id(&mut rng);
            let mut ids = vec![o.ozg_id];
            if rng.chance(30) {
                let extra = ozg[rng.below(ozg.len())].ozg_id;
                if extra != o.ozg_id {
                    ids.push(extra);
                }
            }
            links.extend(ids.iter().map(|&i| ServiceOzgRow { online_service_id: sid.clone(), ozg_id: i }));
            let model = ["free", "annual", "one_off_anbindung_fee", "per_inhabitant", "koenigsteiner_share"][rng.below(5)];
            let t = base + Duration::minutes(n as i64);
            listings.push(OnlineServiceRow {
                id: sid,
                name: format!("Synthetischer Onlinedienst {n:04}: {}", o.name),
                description: Some("Synthetic listing for load tests; not a real service.".into()),
                provider_org_id: p.id.clone(),
                lead_land_code: p.land_code.clone(),
                efa: rng.chance(70),
                status: Some(if rng.chance(85) { "live" } else { "pilot" }.into()),
                reifegrad: Some(1 + rng.below(4) as i32),
                url: Some(format!("https://synthetic.example/{n}")),
                price_model: Some(model.into()),
                one_off_fee_cents: (model == "one_off_anbindung_fee").then(|| 100_000 + rng.below(900_000) as i64),
                annual_fee_cents: (model == "annual").then(|| 50_000 + rng.below(500_000) as i64),
                per_inhabitant_cents: (model == "per_inhabitant").then(|| 1 + rng.below(20) as i64),
                per_use_cents: None,
                source: SOURCE.into(),
                created_at: t,
                updated_at: t,
                listing_state: "published".into(),
                revision: 1,
                content: None,
                review_note: None,
                published_content: None,
                published_version: Some(1),
                reach: if rng.chance(3) { "land_wide" } else { "agreements" }.into(),
            });
        }
        insert_chunks!(conn, online_services::table, listings);
        insert_chunks!(conn, online_service_ozg_leistungen::table, links);

        // Bundlers: one per Kreis with small Gemeinden, acting for those under 5,000 inhabitants.
        let mut by_kreis: std::collections::BTreeMap<&str, Vec<&OrganisationRow>> = Default::default();
        for o in orgs.iter().filter(|o| o.kind == "kommune") {
            if let Some((pop, _, Some(kreis))) = o.ags.as_deref().and_then(|a| population.get(a)) {
                if *pop < 5_000 {
                    by_kreis.entry(kreis).or_default().push(o);
                }
            }
        }
        let mut bundler_orgs = Vec::new();
        let mut memberships = Vec::new();
        let mut member_of: std::collections::HashMap<String, String> = Default::default();
        for (kreis, members) in by_kreis.iter().filter(|(_, m)| m.len() >= 3) {
            let bid = crate::seed::seed_id("synthetic-bundler", kreis);
            bundler_orgs.push(OrganisationRow {
                id: bid.clone(),
                name: format!("Synthetischer Bündler Kreis {kreis}"),
                kind: "bundler".into(),
                land_code: Some(kreis[..2].to_owned()),
                ags: None,
                ars: None,
                created_at: base,
                updated_at: base,
            });
            for m in members {
                memberships.push(MembershipRow { bundler_org_id: bid.clone(), member_org_id: m.id.clone() });
                member_of.insert(m.id.clone(), bid.clone());
            }
        }
        insert_chunks!(conn, organisations::table, bundler_orgs);
        insert_chunks!(conn, org_memberships::table, memberships);

        // Requests: Gemeinde drawn with weight √population; small ones through their bundler.
        let kommunen: Vec<(&OrganisationRow, i64, &str)> = orgs
            .iter()
            .filter(|o| o.kind == "kommune")
            .filter_map(|o| o.ags.as_deref().and_then(|a| population.get(a)).map(|(p, l, _)| (o, *p, *l)))
            .collect();
        let mut cumulative = Vec::with_capacity(kommunen.len());
        let mut total = 0u64;
        for (_, p, _) in &kommunen {
            total += ((*p).max(1) as f64).sqrt() as u64 + 1;
            cumulative.push(total);
        }
        let mut requests = Vec::with_capacity(REQUESTS);
        let mut covered = Vec::with_capacity(REQUESTS);
        // The audit log as the requests' creation wrote it: the operator's and every
        // organisation's log then reads at national volume too.
        let mut audit = Vec::with_capacity(REQUESTS);
        let mut agreements = Vec::new();
        let mut seq: i64 = 0;
        let listing_ids: Vec<(String, String)> = {
            let rows: Vec<(String, String)> =
                online_services::table.filter(online_services::source.eq(SOURCE)).select((online_services::id, online_services::provider_org_id)).order(online_services::id).load(conn)?;
            rows
        };
        let mut open = std::collections::HashSet::new();
        for n in 0..REQUESTS {
            let pick = rng.next() % total;
            let k = cumulative.partition_point(|&c| c <= pick).min(kommunen.len() - 1);
            let (gemeinde, _, land) = kommunen[k];
            let (service_id, provider) = &listing_ids[rng.below(listing_ids.len())];
            let mut roll = rng.next() % 100;
            let mut state = STATES.iter().find(|(_, share)| if roll < *share { true } else { roll -= share; false }).map(|s| s.0).unwrap_or("live");
            // A Gemeinde has at most one open agreement per service (a unique index says so):
            // a second one drawn for the same pair has ended instead.
            if matches!(state, "agreement_pending" | "active" | "live") && !open.insert((gemeinde.id.as_str(), service_id.as_str())) {
                state = "terminated";
            }
            let requester = member_of.get(&gemeinde.id).cloned().unwrap_or_else(|| gemeinde.id.clone());
            let t = base + Duration::seconds(n as i64 * 137);
            let rid = id(&mut rng);
            requests.push(ReuseRequestRow {
                id: rid.clone(),
                online_service_id: service_id.clone(),
                listing_version: 1,
                requester_org_id: requester.clone(),
                land_code: land.to_owned(),
                state: state.into(),
                revision: 1,
                note: Some("synthetic".into()),
                decision_reason: None,
                created_by: format!("synthetic-user-{requester}"),
                created_at: t,
                updated_at: t,
                provider_org_id: provider.clone(),
            });
            covered.push(RequestMunicipalityRow { request_id: rid.clone(), municipality_org_id: gemeinde.id.clone() });
            audit.push(crate::audit::AuditEventRow {
                id: id(&mut rng),
                occurred_at: t,
                actor: format!("synthetic-user-{requester}"),
                actor_org_id: Some(requester.clone()),
                action: "reuse_request.create".into(),
                resource_type: "reuse_request".into(),
                resource_id: rid.clone(),
                owner_org_id: Some(requester.clone()),
                before: None,
                after: Some(format!(r#"{{"id":"{rid}","online_service_id":"{service_id}","state":"draft","note":"synthetic"}}"#)),
                request_id: None,
            });
            let agreement_state = match state {
                "agreement_pending" => "pending",
                "active" | "live" | "terminated" => state,
                _ => continue,
            };
            seq += 1;
            let start = t.date() + Duration::days(30);
            let signed = (agreement_state != "pending").then_some(t + Duration::days(20));
            agreements.push(AgreementRow {
                id: id(&mut rng),
                number: crate::reuse_number(2024, seq),
                request_id: Some(rid),
                framework_agreement_id: None,
                framework_version: None,
                parent_agreement_id: None,
                online_service_id: service_id.clone(),
                listing_version: 1,
                listing_content: "{}".into(),
                terms_text: "Synthetic terms.".into(),
                terms_version: "synthetic".into(),
                provider_org_id: provider.clone(),
                customer_org_id: gemeinde.id.clone(),
                signatory_org_id: requester,
                one_off_fee_cents: 0,
                annual_fee_cents: 0,
                first_year_fee_cents: 0,
                cost_key: "synthetic".into(),
                start_date: start,
                minimum_term_months: 12,
                notice_months: 3,
                end_date: (agreement_state == "terminated").then_some(start + Duration::days(400)),
                state: agreement_state.into(),
                provider_signed_at: signed,
                provider_signed_by: signed.map(|_| "synthetic".into()),
                customer_signed_at: signed,
                customer_signed_by: signed.map(|_| "synthetic".into()),
                live_since: (agreement_state == "live").then_some(start + Duration::days(60)),
                revision: 1,
                created_at: t,
                updated_at: t,
            });
        }
        insert_chunks!(conn, reuse_requests::table, requests);
        insert_chunks!(conn, reuse_request_municipalities::table, covered);
        insert_chunks!(conn, crate::schema::agreements::table, agreements);
        insert_chunks!(conn, audit_events::table, audit);
        // Contract numbers continue after the synthetic ones of 2024.
        crate::per_backend!(conn, |c| diesel::insert_into(contract_counters::table)
            .values((contract_counters::year.eq(2024), contract_counters::last_seq.eq(seq)))
            .on_conflict(contract_counters::year)
            .do_update()
            .set(contract_counters::last_seq.eq(seq))
            .execute(c))?;
        Ok(SyntheticReport {
            users: user_rows.len(),
            listings: listings.len(),
            bundlers: bundler_orgs.len(),
            requests: requests.len(),
            agreements: agreements.len(),
            audit_events: audit.len(),
            millis: 0,
        })
    })?;
    refresh_statistics(conn)?;
    report.millis = started.elapsed().as_millis();
    Ok(report)
}

/// After a bulk load: the planners' statistics of every table (without them PostgreSQL plans
/// the lists as if the tables were empty until autovacuum comes round, and SQLite guesses),
/// and on PostgreSQL the dead rows of the kept counts, which the load updated once per row.
pub fn refresh_statistics(conn: &mut DbConn) -> QueryResult<()> {
    use diesel::connection::SimpleConnection;
    match conn {
        DbConn::Pg(c) => c.batch_execute("VACUUM ANALYZE"),
        DbConn::Sqlite(c) => c.batch_execute("ANALYZE"),
    }
}
