//! Keeping the catalogue current (issue 14): the files of a newer OZG catalogue and of the
//! federal dashboard's per-ARS export, read and checked with `file:line: column` errors before
//! anything is written, and the writes an import or an operator's correction makes: catalogue
//! versions, retirements (never deletions), flags on the listings of a retired OZG-Leistung,
//! and what the dashboard knows to be online.
//!
//! What changes is decided in `efa_api::operations::catalogue`; this module only reads and writes.

use crate::models::{LebenslageRow, LeikaRow, OzgLeistungRow, ThemenfeldRow};
use crate::schema::{
    catalogue_versions as cv, known_online as ko, leika_leistungen as ll, leika_retirements as lr, lebenslagen as leb, listing_flags as lf,
    online_service_ozg_leistungen as so, online_services as os, ozg_leistungen as oz, ozg_retirements as orr, themenfelder as tf,
};
use crate::seed::files::{code, each_record, leika_row, Row};
use crate::seed::SeedError;
use crate::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use efa_domain::{Ars, LeikaKey, OzgId};
use std::collections::{HashMap, HashSet};
use std::path::Path;

pub const OZG_FILE: &str = "ozg_leistungen.csv";
pub const LEIKA_FILE: &str = "ozg_leika_leistungen.csv";
pub const THEMENFELDER_FILE: &str = "ozg_themenfelder.csv";
pub const LEBENSLAGEN_FILE: &str = "ozg_lebenslagen.csv";
/// Successors of OZG-Leistungen the new catalogue drops: `ozg_id,nachfolger_ozg_id`.
pub const SUCCESSORS_FILE: &str = "ozg_nachfolger.csv";
/// The files a catalogue import reads; only `ozg_leistungen.csv` is required.
pub const CATALOGUE_FILES: [&str; 5] = [OZG_FILE, LEIKA_FILE, THEMENFELDER_FILE, LEBENSLAGEN_FILE, SUCCESSORS_FILE];

/// A parsed row and the line it came from (for errors found when it is compared).
#[derive(Debug, Clone)]
pub struct Lined<T> {
    pub file: &'static str,
    pub line: u64,
    pub row: T,
}

impl<T> Lined<T> {
    pub fn err(&self, column: &str, message: impl Into<String>) -> SeedError {
        SeedError { file: self.file.to_owned(), line: self.line, column: column.to_owned(), message: message.into() }
    }
}

/// A newer catalogue as read from its files. A file left out leaves its part as it is.
#[derive(Debug, Clone, Default)]
pub struct CatalogueFiles {
    pub ozg: Vec<Lined<OzgLeistungRow>>,
    /// `id` is 0: positions are given when the rows are compared with the current ones.
    pub leika: Option<Vec<Lined<LeikaRow>>>,
    pub themenfelder: Option<Vec<Lined<ThemenfeldRow>>>,
    pub lebenslagen: Option<Vec<Lined<LebenslageRow>>>,
    /// (removed OZG-ID, its successor)
    pub successors: Vec<Lined<(i32, i32)>>,
}

fn name_of(file: &str) -> &'static str {
    CATALOGUE_FILES.iter().copied().find(|f| *f == file).unwrap_or("?")
}

/// Strips a UTF-8 byte-order mark.
fn content(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf".as_slice()).unwrap_or(bytes)
}

fn whole(r: &Row, column: &str) -> Result<i32, SeedError> {
    let n = r.int(column)?;
    i32::try_from(n).ok().filter(|n| *n > 0).ok_or_else(|| r.err(column, format!("{n} is not a positive id")))
}

/// Reads the catalogue files present in `dir` (see [`CATALOGUE_FILES`]); `ozg_leistungen.csv`
/// must be there. Other files in the folder are not read.
pub fn read_dir(dir: &Path) -> Result<Vec<(String, Vec<u8>)>, SeedError> {
    let fail = |file: &str, message: String| SeedError { file: file.to_owned(), line: 0, column: String::new(), message };
    if !dir.is_dir() {
        return Err(fail(&dir.display().to_string(), "is not a folder".into()));
    }
    let mut out = Vec::new();
    for file in CATALOGUE_FILES {
        let path = dir.join(file);
        if path.is_file() {
            out.push((file.to_owned(), std::fs::read(&path).map_err(|e| fail(file, format!("cannot read: {e}")))?));
        }
    }
    Ok(out)
}

/// Parses the files of a catalogue import (name → content). Every cell is checked; an unknown
/// file name, a missing `ozg_leistungen.csv` or a header of another shape refuses the lot.
pub fn parse_catalogue(files: &[(String, Vec<u8>)]) -> Result<CatalogueFiles, SeedError> {
    let top = |file: &str, message: String| SeedError { file: file.to_owned(), line: 0, column: String::new(), message };
    let mut seen = HashSet::new();
    for (name, _) in files {
        if !CATALOGUE_FILES.contains(&name.as_str()) {
            return Err(top(name, format!("is not a file of the catalogue; expected {}", CATALOGUE_FILES.join(", "))));
        }
        if !seen.insert(name.as_str()) {
            return Err(top(name, "is given twice".into()));
        }
    }
    let get = |name: &str| files.iter().find(|(n, _)| n == name).map(|(_, b)| content(b));
    let mut out = CatalogueFiles::default();

    if let Some(bytes) = get(THEMENFELDER_FILE) {
        let mut rows: Vec<Lined<ThemenfeldRow>> = Vec::new();
        each_record(THEMENFELDER_FILE, bytes, b',', Some(("a list of OZG-Themenfelder", &["themenfeld_id", "themenfeld"])), |r| {
            let id = whole(r, "themenfeld_id")?;
            let name = r.required("themenfeld")?;
            if rows.iter().any(|t| t.row.id == id) {
                return Err(r.err("themenfeld_id", format!("Themenfeld {id} is listed twice")));
            }
            if rows.iter().any(|t| t.row.name == name) {
                return Err(r.err("themenfeld", format!("the name {name:?} is given to two Themenfelder")));
            }
            rows.push(Lined { file: THEMENFELDER_FILE, line: r.line(), row: ThemenfeldRow { id, name, lead_land_code: None, lead_bundesressort: None } });
            Ok(())
        })?;
        out.themenfelder = Some(rows);
    }
    if let Some(bytes) = get(LEBENSLAGEN_FILE) {
        let mut rows: Vec<Lined<LebenslageRow>> = Vec::new();
        each_record(LEBENSLAGEN_FILE, bytes, b',', Some(("a list of OZG-Lebenslagen", &["lebenslage_id", "lebenslage", "themenfeld_id"])), |r| {
            let id = whole(r, "lebenslage_id")?;
            if rows.iter().any(|l| l.row.id == id) {
                return Err(r.err("lebenslage_id", format!("Lebenslage {id} is listed twice")));
            }
            rows.push(Lined { file: LEBENSLAGEN_FILE, line: r.line(), row: LebenslageRow { id, name: r.required("lebenslage")?, themenfeld_id: whole(r, "themenfeld_id")? } });
            Ok(())
        })?;
        out.lebenslagen = Some(rows);
    }
    let Some(bytes) = get(OZG_FILE) else {
        return Err(top(OZG_FILE, "is missing: a catalogue import needs at least the OZG-Leistungen".into()));
    };
    let mut ids = HashSet::new();
    each_record(OZG_FILE, bytes, b',', Some(("a list of OZG-Leistungen", &["ozg_id", "name", "lebenslage_id", "themenfeld_id"])), |r| {
        let ozg_id = r.parse("ozg_id", OzgId::parse)?.get();
        if !ids.insert(ozg_id) {
            return Err(r.err("ozg_id", format!("OZG-ID {ozg_id} is listed twice")));
        }
        out.ozg.push(Lined {
            file: OZG_FILE,
            line: r.line(),
            row: OzgLeistungRow { ozg_id, name: r.required("name")?, lebenslage_id: whole(r, "lebenslage_id")?, themenfeld_id: whole(r, "themenfeld_id")? },
        });
        Ok(())
    })?;
    if let Some(bytes) = get(LEIKA_FILE) {
        let mut rows = Vec::new();
        let mut keys = HashSet::new();
        let columns = ["leika_schluessel", "name", "ozg_id", "leika_typ", "rechtsgrundlage", "gesetze", "gesetzeskuerzel", "sdg1_relevant", "sdg2_relevant"];
        each_record(LEIKA_FILE, bytes, b',', Some(("a list of LeiKa-Leistungen", &columns)), |r| {
            let leika_key = r.parse_opt("leika_schluessel", code(LeikaKey::parse))?;
            if let Some(k) = leika_key.as_ref().filter(|k| !keys.insert((*k).clone())) {
                return Err(r.err("leika_schluessel", format!("LeiKa key {k} is listed twice")));
            }
            let ozg_id = r.parse_opt("ozg_id", OzgId::parse)?.map(OzgId::get);
            rows.push(Lined {
                file: LEIKA_FILE,
                line: r.line(),
                row: leika_row(r, 0, leika_key, ozg_id)?,
            });
            Ok(())
        })?;
        out.leika = Some(rows);
    }
    if let Some(bytes) = get(SUCCESSORS_FILE) {
        let mut seen = HashSet::new();
        each_record(SUCCESSORS_FILE, bytes, b',', Some(("a list of successors", &["ozg_id", "nachfolger_ozg_id"])), |r| {
            let from = r.parse("ozg_id", OzgId::parse)?.get();
            let to = r.parse("nachfolger_ozg_id", OzgId::parse)?.get();
            if from == to {
                return Err(r.err("nachfolger_ozg_id", format!("OZG-Leistung {from} cannot succeed itself")));
            }
            if !seen.insert(from) {
                return Err(r.err("ozg_id", format!("OZG-Leistung {from} is given two successors")));
            }
            out.successors.push(Lined { file: name_of(SUCCESSORS_FILE), line: r.line(), row: (from, to) });
            Ok(())
        })?;
    }
    Ok(out)
}

/// One record of the federal dashboard's per-ARS export that says a LeiKa-Leistung is online.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = ko, treat_none_as_default_value = false)]
pub struct KnownOnlineRow {
    pub ars: String,
    pub leika_key: String,
    pub ozg_id: Option<i32>,
    pub url: Option<String>,
    pub online_status: String,
    pub art_flaechendeckung: Option<String>,
    pub version_id: String,
}

/// A dashboard export as read: the records saying "online" (status `ok`, `aktiv`), and how
/// many records it held in all.
#[derive(Debug, Clone, Default)]
pub struct DashboardExport {
    pub online: Vec<Lined<KnownOnlineRow>>,
    pub records: usize,
    /// `datenstand_pvog_import` of the first record, when the export carries it.
    pub as_of: Option<NaiveDate>,
}

pub const DASHBOARD_FILE: &str = "dashboard export";

/// Parses the federal dashboard's per-ARS export (the open-pvog CSV of
/// bundesAPI/digitale-verwaltung-api: `leika_key`, `ars`, `ozgid`, `url`, `online_status`,
/// `aktiv`, `art_flaechendeckung`, …; comma- or semicolon-separated). `file` names it in errors.
pub fn parse_dashboard(file: &'static str, bytes: &[u8]) -> Result<DashboardExport, SeedError> {
    let bytes = content(bytes);
    let first_line = bytes.split(|b| *b == b'\n').next().unwrap_or_default();
    let delimiter = if first_line.iter().filter(|b| **b == b';').count() > first_line.iter().filter(|b| **b == b',').count() { b';' } else { b',' };
    let mut out = DashboardExport::default();
    let mut seen = HashSet::new();
    let required = ["leika_key", "ars", "online_status", "aktiv"];
    each_record(file, bytes, delimiter, Some(("an export of the Dashboard Digitale Verwaltung (open-pvog)", &required)), |r| {
        out.records += 1;
        let ars = r.parse("ars", Ars::parse)?.to_string();
        let leika_key = r.parse("leika_key", code(LeikaKey::parse))?;
        if !seen.insert((ars.clone(), leika_key.clone())) {
            return Err(r.err("leika_key", format!("LeiKa key {leika_key} is listed twice for ARS {ars}")));
        }
        let status = r.required("online_status")?;
        let online = match status.to_lowercase().as_str() {
            "ok" => true,
            "nicht ok" | "nicht_ok" | "not ok" => false,
            other => return Err(r.err("online_status", format!("{other:?} is not ok or nicht ok"))),
        };
        let aktiv = r.parse("aktiv", |s| match s.to_lowercase().as_str() {
            "1" | "true" | "ja" | "wahr" => Ok(true),
            "0" | "false" | "nein" | "falsch" => Ok(false),
            other => Err(format!("{other:?} is not true/false, 1/0 or ja/nein")),
        })?;
        let ozg_id = match r.str("ozgid") {
            Ok("") | Err(_) => None,
            Ok(_) => Some(r.parse("ozgid", OzgId::parse)?.get()),
        };
        let optional = |c: &str| r.str(c).ok().filter(|s| !s.is_empty()).map(str::to_owned);
        if out.as_of.is_none() {
            out.as_of = optional("datenstand_pvog_import").and_then(|s| NaiveDate::parse_from_str(s.get(..10).unwrap_or(&s), "%Y-%m-%d").ok());
        }
        if online && aktiv {
            out.online.push(Lined {
                file,
                line: r.line(),
                row: KnownOnlineRow {
                    ars,
                    leika_key,
                    ozg_id,
                    // Only a web address becomes a link in the shop.
                    url: optional("url").filter(|u| u.starts_with("https://") || u.starts_with("http://")),
                    online_status: status,
                    art_flaechendeckung: optional("art_flaechendeckung"),
                    version_id: String::new(),
                },
            });
        }
        Ok(())
    })?;
    Ok(out)
}

/// A catalogue version: an import, an operator's correction, or a dashboard export.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = cv, treat_none_as_default_value = false)]
pub struct CatalogueVersionRow {
    pub id: String,
    pub kind: String,
    pub source: String,
    pub source_date: Option<NaiveDate>,
    pub created_at: NaiveDateTime,
    pub actor: String,
    pub ozg_leistungen: i32,
    pub leika_leistungen: i32,
    pub themenfelder: i32,
    pub lebenslagen: i32,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = orr, treat_none_as_default_value = false)]
pub struct OzgRetirementRow {
    pub ozg_id: i32,
    pub retired_at: NaiveDateTime,
    pub successor_ozg_id: Option<i32>,
    pub version_id: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = lf, treat_none_as_default_value = false)]
pub struct ListingFlagRow {
    pub id: String,
    pub online_service_id: String,
    pub ozg_id: i32,
    pub reason: String,
    pub successor_ozg_id: Option<i32>,
    pub version_id: String,
    pub created_at: NaiveDateTime,
    pub resolved_at: Option<NaiveDateTime>,
}

/// A listing linked to an OZG-Leistung: (service id, name, provider, OZG-ID).
#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct LinkedListing {
    pub online_service_id: String,
    pub name: String,
    pub provider_org_id: String,
    pub ozg_id: i32,
}

/// The catalogue as it stands, for an import to compare with.
#[derive(Debug, Clone, Default)]
pub struct Current {
    pub themenfelder: Vec<ThemenfeldRow>,
    pub lebenslagen: Vec<LebenslageRow>,
    pub ozg: Vec<OzgLeistungRow>,
    pub leika: Vec<LeikaRow>,
    pub retired_ozg: HashMap<i32, Option<i32>>,
    pub retired_leika: HashSet<i32>,
    pub links: Vec<LinkedListing>,
}

pub fn current(conn: &mut DbConn) -> QueryResult<Current> {
    Ok(Current {
        themenfelder: ThemenfeldRow::all(conn)?,
        lebenslagen: LebenslageRow::all(conn)?,
        ozg: OzgLeistungRow::all(conn)?,
        leika: LeikaRow::all(conn)?,
        retired_ozg: retirements(conn)?.into_iter().map(|r| (r.ozg_id, r.successor_ozg_id)).collect(),
        retired_leika: retired_leika(conn)?.into_iter().collect(),
        links: so::table
            .inner_join(os::table)
            .select((so::online_service_id, os::name, os::provider_org_id, so::ozg_id))
            .order((so::ozg_id, so::online_service_id))
            .load(conn)?,
    })
}

pub fn retirements(conn: &mut DbConn) -> QueryResult<Vec<OzgRetirementRow>> {
    orr::table.order(orr::ozg_id).select(OzgRetirementRow::as_select()).load(conn)
}

/// The ids (positions) of the retired LeiKa-Leistungen.
pub fn retired_leika(conn: &mut DbConn) -> QueryResult<Vec<i32>> {
    lr::table.order(lr::leika_id).select(lr::leika_id).load(conn)
}

pub fn insert_version(conn: &mut DbConn, v: &CatalogueVersionRow) -> QueryResult<()> {
    diesel::insert_into(cv::table).values(v).execute(conn).map(|_| ())
}

/// Catalogue versions, newest first, of one kind or all.
pub fn versions(conn: &mut DbConn, kind: Option<&str>, offset: i64, limit: i64) -> QueryResult<(Vec<CatalogueVersionRow>, i64)> {
    let q = || {
        let mut q = cv::table.into_boxed();
        if let Some(k) = kind {
            q = q.filter(cv::kind.eq(k.to_owned()));
        }
        q
    };
    let total = q().count().get_result(conn)?;
    let rows = q().order((cv::created_at.desc(), cv::id.desc())).offset(offset).limit(limit).select(CatalogueVersionRow::as_select()).load(conn)?;
    Ok((rows, total))
}

pub fn find_version(conn: &mut DbConn, id: &str) -> QueryResult<Option<CatalogueVersionRow>> {
    cv::table.find(id).select(CatalogueVersionRow::as_select()).first(conn).optional()
}

pub fn upsert_themenfeld(conn: &mut DbConn, t: &ThemenfeldRow) -> QueryResult<()> {
    let updated = diesel::update(tf::table.find(t.id))
        .set((tf::name.eq(&t.name), tf::lead_land_code.eq(&t.lead_land_code), tf::lead_bundesressort.eq(&t.lead_bundesressort)))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(tf::table).values(t).execute(conn)?;
    }
    Ok(())
}

pub fn upsert_lebenslage(conn: &mut DbConn, l: &LebenslageRow) -> QueryResult<()> {
    let updated = diesel::update(leb::table.find(l.id)).set((leb::name.eq(&l.name), leb::themenfeld_id.eq(l.themenfeld_id))).execute(conn)?;
    if updated == 0 {
        diesel::insert_into(leb::table).values(l).execute(conn)?;
    }
    Ok(())
}

pub fn upsert_ozg(conn: &mut DbConn, o: &OzgLeistungRow) -> QueryResult<()> {
    let updated = diesel::update(oz::table.find(o.ozg_id))
        .set((oz::name.eq(&o.name), oz::lebenslage_id.eq(o.lebenslage_id), oz::themenfeld_id.eq(o.themenfeld_id)))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(oz::table).values(o).execute(conn)?;
    }
    Ok(())
}

pub fn find_ozg(conn: &mut DbConn, ozg_id: i32) -> QueryResult<Option<OzgLeistungRow>> {
    oz::table.find(ozg_id).select(OzgLeistungRow::as_select()).first(conn).optional()
}

pub fn retire_ozg(conn: &mut DbConn, r: &OzgRetirementRow) -> QueryResult<()> {
    diesel::delete(orr::table.find(r.ozg_id)).execute(conn)?;
    diesel::insert_into(orr::table).values(r).execute(conn).map(|_| ())
}

/// Takes an OZG-Leistung back into the catalogue; the open flags of its listings are resolved.
pub fn reinstate_ozg(conn: &mut DbConn, ozg_id: i32, at: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(orr::table.find(ozg_id)).execute(conn)?;
    diesel::update(lf::table.filter(lf::ozg_id.eq(ozg_id)).filter(lf::resolved_at.is_null())).set(lf::resolved_at.eq(Some(at))).execute(conn)?;
    Ok(())
}

pub fn find_leika_by_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<LeikaRow>> {
    ll::table.filter(ll::leika_key.eq(key)).select(LeikaRow::as_select()).first(conn).optional()
}

/// Inserts or updates a LeiKa-Leistung by its id (position).
pub fn upsert_leika(conn: &mut DbConn, l: &LeikaRow) -> QueryResult<()> {
    let updated = diesel::update(ll::table.find(l.id))
        .set((
            ll::leika_key.eq(&l.leika_key),
            ll::name.eq(&l.name),
            ll::ozg_id.eq(l.ozg_id),
            ll::leika_typ.eq(&l.leika_typ),
            ll::legal_basis.eq(&l.legal_basis),
            ll::laws.eq(&l.laws),
            ll::law_abbreviations.eq(&l.law_abbreviations),
            ll::sdg1_relevant.eq(l.sdg1_relevant),
            ll::sdg2_relevant.eq(l.sdg2_relevant),
        ))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(ll::table).values(l).execute(conn)?;
    }
    Ok(())
}

pub fn retire_leika(conn: &mut DbConn, leika_id: i32, at: NaiveDateTime, version_id: &str) -> QueryResult<()> {
    diesel::delete(lr::table.find(leika_id)).execute(conn)?;
    diesel::insert_into(lr::table).values((lr::leika_id.eq(leika_id), lr::retired_at.eq(at), lr::version_id.eq(version_id))).execute(conn).map(|_| ())
}

pub fn reinstate_leika(conn: &mut DbConn, leika_id: i32) -> QueryResult<()> {
    diesel::delete(lr::table.find(leika_id)).execute(conn).map(|_| ())
}

/// Flags a listing of a retired OZG-Leistung for its provider (once while open).
pub fn flag_listing(conn: &mut DbConn, f: &ListingFlagRow) -> QueryResult<bool> {
    let open: i64 = lf::table
        .filter(lf::online_service_id.eq(&f.online_service_id))
        .filter(lf::ozg_id.eq(f.ozg_id))
        .filter(lf::resolved_at.is_null())
        .count()
        .get_result(conn)?;
    if open > 0 {
        return Ok(false);
    }
    diesel::insert_into(lf::table).values(f).execute(conn).map(|n| n > 0)
}

/// The open flags of one listing, or of every listing (oldest first).
pub fn open_flags(conn: &mut DbConn, online_service_id: Option<&str>) -> QueryResult<Vec<ListingFlagRow>> {
    let mut q = lf::table.filter(lf::resolved_at.is_null()).into_boxed();
    if let Some(id) = online_service_id {
        q = q.filter(lf::online_service_id.eq(id.to_owned()));
    }
    q.order((lf::created_at.asc(), lf::id.asc())).select(ListingFlagRow::as_select()).load(conn)
}

/// Resolves the open flags of a listing for OZG-Leistungen it no longer links.
pub fn resolve_unlinked_flags(conn: &mut DbConn, online_service_id: &str, at: NaiveDateTime) -> QueryResult<usize> {
    let linked: Vec<i32> = so::table.filter(so::online_service_id.eq(online_service_id)).select(so::ozg_id).load(conn)?;
    diesel::update(lf::table.filter(lf::online_service_id.eq(online_service_id)).filter(lf::resolved_at.is_null()).filter(lf::ozg_id.ne_all(linked)))
        .set(lf::resolved_at.eq(Some(at)))
        .execute(conn)
}

/// Replaces what the dashboard knows to be online with a new export's records.
pub fn replace_known_online(conn: &mut DbConn, rows: &[KnownOnlineRow]) -> QueryResult<()> {
    diesel::delete(ko::table).execute(conn)?;
    // A multi-row INSERT is spelled per backend.
    crate::per_backend!(conn, |c| {
        for chunk in rows.chunks(400) {
            diesel::insert_into(ko::table).values(chunk).execute(c)?;
        }
        Ok(())
    })
}

/// Every online record of the last dashboard export.
pub fn known_online_all(conn: &mut DbConn) -> QueryResult<Vec<KnownOnlineRow>> {
    ko::table.order((ko::ars, ko::leika_key)).select(KnownOnlineRow::as_select()).load(conn)
}

pub fn known_online_count(conn: &mut DbConn) -> QueryResult<i64> {
    ko::table.count().get_result(conn)
}
