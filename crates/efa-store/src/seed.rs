//! `efa seed`: loads the real catalogue from `seed-data/` in one transaction.
//!
//! Every file is parsed and checked first; a malformed value stops the load with its
//! file, line and column, before anything is written. Rows are upserted on their natural
//! keys, so a second run leaves the same counts.

pub(crate) mod files;
mod services;

use crate::models::*;
use crate::DbConn;
use diesel::prelude::*;
use std::path::Path;
use std::time::Instant;

pub use files::SeedError;
pub use services::{seed_id, OrgKey};

/// Everything the seed writes, parsed and validated.
#[derive(Debug, Default)]
pub struct SeedData {
    pub laender: Vec<LandRow>,
    pub koenigsteiner: Vec<KoenigsteinerRow>,
    pub kreise: Vec<KreisRow>,
    pub gemeinden: Vec<GemeindeRow>,
    pub themenfelder: Vec<ThemenfeldRow>,
    pub lebenslagen: Vec<LebenslageRow>,
    pub ozg_leistungen: Vec<OzgLeistungRow>,
    pub leika: Vec<LeikaRow>,
    pub mindestanforderungen: Vec<MindestanforderungRow>,
    pub synonyms: Vec<SynonymRow>,
    pub organisations: Vec<OrganisationRow>,
    pub services: Vec<OnlineServiceRow>,
    pub service_ozg: Vec<ServiceOzgRow>,
    pub anbindungen: Vec<AnbindungRow>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SeedReport {
    pub laender: usize,
    pub kreise: usize,
    pub gemeinden: usize,
    pub themenfelder: usize,
    pub lebenslagen: usize,
    pub ozg_leistungen: usize,
    pub leika: usize,
    pub organisations: usize,
    pub online_services: usize,
    pub millis: u128,
}

impl std::fmt::Display for SeedReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "seeded {} Länder, {} Kreise, {} Gemeinden, {} Themenfelder, {} Lebenslagen, {} OZG-Leistungen, \
             {} LeiKa-Leistungen, {} organisations, {} online services in {} ms",
            self.laender,
            self.kreise,
            self.gemeinden,
            self.themenfelder,
            self.lebenslagen,
            self.ozg_leistungen,
            self.leika,
            self.organisations,
            self.online_services,
            self.millis
        )
    }
}

/// Reads and validates every seed file in `dir`.
pub fn read(dir: &Path) -> Result<SeedData, SeedError> {
    let mut data = SeedData::default();
    files::read_places(dir, &mut data)?;
    files::read_catalogue(dir, &mut data)?;
    services::read_organisations_and_services(dir, &mut data)?;
    Ok(data)
}

/// Reads `dir` and writes it in one transaction.
pub fn run(conn: &mut DbConn, dir: &Path) -> anyhow::Result<SeedReport> {
    let started = Instant::now();
    anyhow::ensure!(dir.join("SOURCES.md").is_file(), "{} is not the seed-data folder (it holds no SOURCES.md); pass --dir", dir.display());
    let data = read(dir)?;
    write(conn, &data)?;
    Ok(SeedReport {
        laender: data.laender.len(),
        kreise: data.kreise.len(),
        gemeinden: data.gemeinden.len(),
        themenfelder: data.themenfelder.len(),
        lebenslagen: data.lebenslagen.len(),
        ozg_leistungen: data.ozg_leistungen.len(),
        leika: data.leika.len(),
        organisations: data.organisations.len(),
        online_services: data.services.len(),
        millis: started.elapsed().as_millis(),
    })
}

/// Rows per INSERT: well under SQLite's and PostgreSQL's bind-parameter limits.
const CHUNK: usize = 400;

macro_rules! upsert {
    ($conn:expr, $rows:expr, $table:ident, ($($key:ident),+), [$($col:ident),+ $(,)?]) => {{
        use crate::schema::$table::dsl as t;
        use diesel::upsert::excluded;
        for chunk in $rows.chunks(CHUNK) {
            diesel::insert_into(t::$table)
                .values(chunk)
                .on_conflict(($(t::$key),+))
                .do_update()
                .set(($(t::$col.eq(excluded(t::$col)),)+))
                .execute($conn)?;
        }
    }};
}

/// Writes validated seed data in one transaction; on any error nothing is written.
pub fn write(conn: &mut DbConn, d: &SeedData) -> QueryResult<()> {
    // Upserts are one of the few places where the SQL differs by backend, so the body
    // is instantiated once per concrete connection type.
    crate::per_backend!(conn, |conn| conn.transaction(|conn| {
        upsert!(conn, d.laender, laender, (code), [name, population, population_2023, gemeinden_count]);
        upsert!(conn, d.koenigsteiner, koenigsteiner_shares, (year, land_code), [share_e5]);
        upsert!(conn, d.kreise, kreise, (code), [name, kind, land_code, population, gemeinden_count]);
        upsert!(conn, d.gemeinden, gemeinden, (ags), [
            ars, name, kind, gemeindefrei, land_code, kreis_code, gemeindeverband, population,
            area_km2, postcode, longitude, latitude, urbanisation,
        ]);
        upsert!(conn, d.themenfelder, themenfelder, (id), [name, lead_land_code, lead_bundesressort]);
        upsert!(conn, d.lebenslagen, lebenslagen, (id), [name, themenfeld_id]);
        upsert!(conn, d.ozg_leistungen, ozg_leistungen, (ozg_id), [name, lebenslage_id, themenfeld_id]);
        upsert!(conn, d.leika, leika_leistungen, (id), [
            leika_key, name, ozg_id, leika_typ, legal_basis, laws, law_abbreviations, sdg1_relevant, sdg2_relevant,
        ]);
        upsert!(conn, d.mindestanforderungen, efa_mindestanforderungen, (code), [
            version, criterion, description, category, mandatory, source,
        ]);
        upsert!(conn, d.synonyms, search_synonyms, (term, means), [reason]);
        upsert!(conn, d.organisations, organisations, (id), [name, kind, land_code, ags, ars]);
        upsert!(conn, d.services, online_services, (id), [
            name, description, provider_org_id, lead_land_code, efa, status, reifegrad, url, price_model,
            one_off_fee_cents, annual_fee_cents, per_inhabitant_cents, per_use_cents, source, listing_state,
            published_version, reach,
        ]);
        // The links of seeded services belong to the seed: replace them wholesale.
        let ids: Vec<&str> = d.services.iter().map(|s| s.id.as_str()).collect();
        for chunk in ids.chunks(CHUNK) {
            use crate::schema::{online_service_anbindungen as a, online_service_ozg_leistungen as o};
            diesel::delete(o::table.filter(o::online_service_id.eq_any(chunk))).execute(conn)?;
            diesel::delete(a::table.filter(a::online_service_id.eq_any(chunk))).execute(conn)?;
        }
        for chunk in d.service_ozg.chunks(CHUNK) {
            diesel::insert_into(crate::schema::online_service_ozg_leistungen::table).values(chunk).execute(conn)?;
        }
        for chunk in d.anbindungen.chunks(CHUNK) {
            diesel::insert_into(crate::schema::online_service_anbindungen::table).values(chunk).execute(conn)?;
        }
        Ok(())
    }))
}
