//! Keeping the catalogue current (issue 14): importing a newer OZG catalogue, an operator's
//! correction of one OZG-Leistung, LeiKa link or Themenfeld, the federal dashboard's export of
//! what is online where, and the history of an OZG-Leistung.
//!
//! One code path for every rule: `efa catalogue import` and `efa availability import` (the
//! CLI), the API handlers and the shop call these functions.
//!
//! **Nothing linking to an OZG-Leistung is deleted or unlinked.** An OZG-Leistung the new
//! catalogue leaves out is *retired* (with its successor, when `ozg_nachfolger.csv` names one):
//! the public catalogue shows it as retired, listings, requests and agreements keep pointing at
//! it, each listing linking it is flagged for its provider, and no listing may newly link it.
//! A LeiKa-Leistung left out is retired too (it no longer counts for coverage). Every change is
//! one audit event on the OZG-Leistung it touches (resource type `ozg_leistung`), so an
//! OZG-Leistung's history is the audit trail of its resource; the import itself is a
//! `catalogue_version` with its source, date and counts.
//!
//! A correction through the API is the same plan as an import of the current catalogue with that
//! one change (kind `edit`): retirement flags listings the same way, whichever way it came.

use super::invalid;
use crate::error::ApiError;
use crate::events::Emit;
use crate::state::AppState;
use crate::write::{enforce, Ctx};
use chrono::{NaiveDate, NaiveDateTime};
use efa_domain::events::{EventType, EVERYONE};
use efa_domain::{decide, Action, Ars, LandCode, LeikaKey, OzgId, Principal};
use efa_store::audit::{self, AuditEventRow};
use efa_store::catalogue::{self as store, CatalogueFiles, CatalogueVersionRow, Current, Lined, ListingFlagRow, OzgRetirementRow};
use efa_store::models::{LebenslageRow, LeikaRow, OzgLeistungRow, ThemenfeldRow};
use efa_store::seed::SeedError;
use efa_store::DbConn;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use std::collections::{BTreeMap, HashMap, HashSet};
use utoipa::ToSchema;

/// Who writes: an operator through the API or the shop, or the CLI.
#[derive(Debug, Clone)]
pub struct Actor {
    pub subject: String,
    pub org_id: Option<String>,
    pub request_id: Option<String>,
    /// The instance the events name as their origin (others rebuild what they hold).
    pub origin: String,
}

impl Actor {
    fn of(state: &AppState, p: &Principal, ctx: &Ctx) -> Actor {
        Actor { subject: p.subject.clone(), org_id: Some(p.org_id.clone()), request_id: ctx.request_id.clone(), origin: state.instance.to_string() }
    }

    /// The command line: `cli:<user>`, with an origin of its own, so that every running
    /// `efa serve` on the same PostgreSQL rebuilds its catalogue.
    pub fn cli() -> Actor {
        let user = std::env::var("USER").or_else(|_| std::env::var("USERNAME")).unwrap_or_else(|_| "unknown".into());
        Actor { subject: format!("cli:{user}"), org_id: None, request_id: None, origin: format!("cli-{}", uuid::Uuid::new_v4()) }
    }
}

/// An OZG-Leistung as a change names it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OzgItem {
    pub ozg_id: i32,
    pub name: String,
    pub lebenslage_id: i32,
    pub themenfeld_id: i32,
}

impl From<&OzgLeistungRow> for OzgItem {
    fn from(o: &OzgLeistungRow) -> OzgItem {
        OzgItem { ozg_id: o.ozg_id, name: o.name.clone(), lebenslage_id: o.lebenslage_id, themenfeld_id: o.themenfeld_id }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OzgRenamed {
    pub ozg_id: i32,
    pub from: String,
    pub to: String,
}

/// An OZG-Leistung moved to another Lebenslage or Themenfeld.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OzgMoved {
    pub ozg_id: i32,
    pub name: String,
    pub from: Placement,
    pub to: Placement,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Placement {
    pub lebenslage_id: i32,
    pub themenfeld_id: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct OzgRetired {
    pub ozg_id: i32,
    pub name: String,
    pub successor_ozg_id: Option<i32>,
}

/// A LeiKa-Leistung as a change names it (436 of the 2019 catalogue's have no key).
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LeikaItem {
    pub leika_key: Option<String>,
    pub name: String,
    pub ozg_id: Option<i32>,
}

impl From<&LeikaRow> for LeikaItem {
    fn from(l: &LeikaRow) -> LeikaItem {
        LeikaItem { leika_key: l.leika_key.clone(), name: l.name.clone(), ozg_id: l.ozg_id }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct LeikaMoved {
    pub leika_key: Option<String>,
    pub name: String,
    pub from_ozg_id: Option<i32>,
    pub to_ozg_id: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct NamedId {
    pub id: i32,
    pub name: String,
}

/// A listing linked to an OZG-Leistung that changes.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AffectedListing {
    pub online_service_id: String,
    pub name: String,
    pub provider_org_id: String,
    pub ozg_id: i32,
    /// `retired` (the listing is flagged for its provider), `renamed` or `moved`.
    pub change: String,
}

/// What an import changes, before or after it is applied.
#[derive(Debug, Clone, Default, PartialEq, Serialize, ToSchema)]
pub struct CatalogueDiff {
    pub ozg_added: Vec<OzgItem>,
    pub ozg_renamed: Vec<OzgRenamed>,
    pub ozg_moved: Vec<OzgMoved>,
    /// Left out of the new catalogue: retired, never deleted.
    pub ozg_retired: Vec<OzgRetired>,
    /// Retired before, in the new catalogue again.
    pub ozg_reinstated: Vec<OzgItem>,
    pub leika_added: Vec<LeikaItem>,
    /// Now under another OZG-Leistung.
    pub leika_moved: Vec<LeikaMoved>,
    /// Name, type or legal basis changed.
    pub leika_changed: Vec<LeikaItem>,
    /// Left out of the new catalogue: retired.
    pub leika_removed: Vec<LeikaItem>,
    pub themenfelder_added: Vec<NamedId>,
    pub themenfelder_renamed: Vec<OzgRenamed>,
    pub lebenslagen_added: Vec<NamedId>,
    /// Renamed or under another Themenfeld.
    pub lebenslagen_changed: Vec<NamedId>,
    pub listings_affected: Vec<AffectedListing>,
}

impl CatalogueDiff {
    pub fn is_empty(&self) -> bool {
        self.ozg_added.is_empty()
            && self.ozg_renamed.is_empty()
            && self.ozg_moved.is_empty()
            && self.ozg_retired.is_empty()
            && self.ozg_reinstated.is_empty()
            && self.leika_added.is_empty()
            && self.leika_moved.is_empty()
            && self.leika_changed.is_empty()
            && self.leika_removed.is_empty()
            && self.themenfelder_added.is_empty()
            && self.themenfelder_renamed.is_empty()
            && self.lebenslagen_added.is_empty()
            && self.lebenslagen_changed.is_empty()
    }

    fn summary(&self) -> Value {
        json!({
            "ozg_added": self.ozg_added.len(), "ozg_renamed": self.ozg_renamed.len(), "ozg_moved": self.ozg_moved.len(),
            "ozg_retired": self.ozg_retired.len(), "ozg_reinstated": self.ozg_reinstated.len(),
            "leika_added": self.leika_added.len(), "leika_moved": self.leika_moved.len(), "leika_changed": self.leika_changed.len(),
            "leika_removed": self.leika_removed.len(), "themenfelder_added": self.themenfelder_added.len(),
            "themenfelder_renamed": self.themenfelder_renamed.len(), "lebenslagen_added": self.lebenslagen_added.len(),
            "lebenslagen_changed": self.lebenslagen_changed.len(), "listings_affected": self.listings_affected.len(),
        })
    }
}

/// How many of each the catalogue holds (retired ones not counted).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, ToSchema)]
pub struct CatalogueCounts {
    pub ozg_leistungen: i32,
    pub leika_leistungen: i32,
    pub themenfelder: i32,
    pub lebenslagen: i32,
}

/// A catalogue version: an import, a correction, or a dashboard export.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct CatalogueVersion {
    pub id: String,
    /// `import`, `edit` or `availability`.
    pub kind: String,
    pub source: String,
    /// The date the source gives for its data.
    pub source_date: Option<NaiveDate>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub actor: String,
    /// The catalogue after this version (for `availability`: `ozg_leistungen` and
    /// `leika_leistungen` count the OZG- and LeiKa-Leistungen known online somewhere).
    pub counts: CatalogueCounts,
    /// Counts per kind of change.
    #[schema(value_type = Object)]
    pub summary: Value,
}

impl From<CatalogueVersionRow> for CatalogueVersion {
    fn from(r: CatalogueVersionRow) -> CatalogueVersion {
        CatalogueVersion {
            counts: CatalogueCounts { ozg_leistungen: r.ozg_leistungen, leika_leistungen: r.leika_leistungen, themenfelder: r.themenfelder, lebenslagen: r.lebenslagen },
            summary: serde_json::from_str(&r.summary).unwrap_or(Value::Null),
            created_at: super::utc(r.created_at),
            id: r.id,
            kind: r.kind,
            source: r.source,
            source_date: r.source_date,
            actor: r.actor,
        }
    }
}

/// The answer of an import: what changes (dry run) or changed, and the version it recorded.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ImportReport {
    pub dry_run: bool,
    /// The version recorded; absent for a dry run and when nothing changed.
    pub version: Option<CatalogueVersion>,
    /// The catalogue after the import.
    pub counts: CatalogueCounts,
    pub changes: CatalogueDiff,
}

impl std::fmt::Display for ImportReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let d = &self.changes;
        let head = if self.dry_run { "dry run, nothing written" } else if self.version.is_some() { "applied" } else { "nothing to apply" };
        writeln!(f, "catalogue import ({head})")?;
        for a in &d.themenfelder_added {
            writeln!(f, "  Themenfeld added: {} {}", a.id, a.name)?;
        }
        for r in &d.themenfelder_renamed {
            writeln!(f, "  Themenfeld renamed: {} {:?} -> {:?}", r.ozg_id, r.from, r.to)?;
        }
        for a in &d.lebenslagen_added {
            writeln!(f, "  Lebenslage added: {} {}", a.id, a.name)?;
        }
        for a in &d.lebenslagen_changed {
            writeln!(f, "  Lebenslage changed: {} {}", a.id, a.name)?;
        }
        for a in &d.ozg_added {
            writeln!(f, "  OZG-Leistung added: {} {}", a.ozg_id, a.name)?;
        }
        for r in &d.ozg_renamed {
            writeln!(f, "  OZG-Leistung renamed: {} {:?} -> {:?}", r.ozg_id, r.from, r.to)?;
        }
        for m in &d.ozg_moved {
            writeln!(
                f,
                "  OZG-Leistung moved: {} {} (Lebenslage {} -> {}, Themenfeld {} -> {})",
                m.ozg_id, m.name, m.from.lebenslage_id, m.to.lebenslage_id, m.from.themenfeld_id, m.to.themenfeld_id
            )?;
        }
        for r in &d.ozg_retired {
            match r.successor_ozg_id {
                Some(s) => writeln!(f, "  OZG-Leistung retired: {} {} (successor {s})", r.ozg_id, r.name)?,
                None => writeln!(f, "  OZG-Leistung retired: {} {}", r.ozg_id, r.name)?,
            }
        }
        for a in &d.ozg_reinstated {
            writeln!(f, "  OZG-Leistung reinstated: {} {}", a.ozg_id, a.name)?;
        }
        let key = |k: &Option<String>| k.clone().unwrap_or_else(|| "(no key)".into());
        let ozg = |o: Option<i32>| o.map_or_else(|| "none".to_owned(), |o| o.to_string());
        for l in &d.leika_added {
            writeln!(f, "  LeiKa added: {} {} (OZG {})", key(&l.leika_key), l.name, ozg(l.ozg_id))?;
        }
        for l in &d.leika_moved {
            writeln!(f, "  LeiKa moved: {} {} (OZG {} -> {})", key(&l.leika_key), l.name, ozg(l.from_ozg_id), ozg(l.to_ozg_id))?;
        }
        for l in &d.leika_changed {
            writeln!(f, "  LeiKa changed: {} {}", key(&l.leika_key), l.name)?;
        }
        for l in &d.leika_removed {
            writeln!(f, "  LeiKa removed: {} {} (was OZG {})", key(&l.leika_key), l.name, ozg(l.ozg_id))?;
        }
        for a in &d.listings_affected {
            writeln!(f, "  listing affected: {} {:?} (OZG {} {})", a.online_service_id, a.name, a.ozg_id, a.change)?;
        }
        let c = self.counts;
        write!(
            f,
            "{} OZG-Leistungen added, {} renamed, {} moved, {} retired, {} reinstated; {} LeiKa added, {} moved, {} changed, {} removed; \
             {} listings affected. Catalogue: {} OZG-Leistungen, {} LeiKa-Leistungen, {} Themenfelder, {} Lebenslagen",
            d.ozg_added.len(),
            d.ozg_renamed.len(),
            d.ozg_moved.len(),
            d.ozg_retired.len(),
            d.ozg_reinstated.len(),
            d.leika_added.len(),
            d.leika_moved.len(),
            d.leika_changed.len(),
            d.leika_removed.len(),
            d.listings_affected.len(),
            c.ozg_leistungen,
            c.leika_leistungen,
            c.themenfelder,
            c.lebenslagen
        )?;
        if let Some(v) = &self.version {
            write!(f, "\nrecorded as catalogue version {}", v.id)?;
        }
        Ok(())
    }
}

/// The writes a plan makes, beside the diff it reports.
#[derive(Debug, Default)]
struct Plan {
    diff: CatalogueDiff,
    counts: CatalogueCounts,
    themenfelder: Vec<ThemenfeldRow>,
    lebenslagen: Vec<LebenslageRow>,
    /// (before, after)
    ozg: Vec<(Option<OzgLeistungRow>, OzgLeistungRow)>,
    retire: Vec<(OzgLeistungRow, Option<i32>)>,
    reinstate: Vec<i32>,
    /// (before, after); `after.id` is the position (new rows after the last).
    leika: Vec<(Option<LeikaRow>, LeikaRow)>,
    leika_retire: Vec<LeikaRow>,
    leika_reinstate: Vec<i32>,
    /// Listings to flag: (service id, provider, OZG-ID, successor).
    flags: Vec<(String, String, i32, Option<i32>)>,
}

/// What identifies a LeiKa-Leistung between two catalogues: its key, or (436 rows have none)
/// its name and how many keyless rows of that name came before it.
fn identities(rows: &[&LeikaRow]) -> Vec<String> {
    let mut seen: HashMap<&str, usize> = HashMap::new();
    rows.iter()
        .map(|l| match &l.leika_key {
            Some(k) => format!("k:{k}"),
            None => {
                let n = seen.entry(l.name.as_str()).or_default();
                *n += 1;
                format!("n:{}#{n}", l.name)
            }
        })
        .collect()
}

fn same_leika_content(a: &LeikaRow, b: &LeikaRow) -> bool {
    a.name == b.name
        && a.leika_typ == b.leika_typ
        && a.legal_basis == b.legal_basis
        && a.laws == b.laws
        && a.law_abbreviations == b.law_abbreviations
        && a.sdg1_relevant == b.sdg1_relevant
        && a.sdg2_relevant == b.sdg2_relevant
}

/// Compares a new catalogue with the current one. A reference the new catalogue cannot hold
/// (an unknown Lebenslage, a successor not in it, a LeiKa-Leistung under an OZG-Leistung it
/// leaves out) is an error at its file, line and column.
fn plan(cur: &Current, new: &CatalogueFiles) -> Result<Plan, SeedError> {
    let mut p = Plan::default();
    // Themenfelder: added or renamed; none is removed (OZG-Leistungen and Lebenslagen point at them).
    let cur_tf: HashMap<i32, &ThemenfeldRow> = cur.themenfelder.iter().map(|t| (t.id, t)).collect();
    let mut tf_ids: HashSet<i32> = cur_tf.keys().copied().collect();
    if let Some(rows) = &new.themenfelder {
        let mut names: HashMap<&str, i32> = cur.themenfelder.iter().map(|t| (t.name.as_str(), t.id)).collect();
        for t in rows {
            if let Some(other) = names.get(t.row.name.as_str()).filter(|id| **id != t.row.id && !rows.iter().any(|r| r.row.id == **id && r.row.name != t.row.name)) {
                return Err(t.err("themenfeld", format!("the name {:?} belongs to Themenfeld {other}", t.row.name)));
            }
            names.insert(t.row.name.as_str(), t.row.id);
            match cur_tf.get(&t.row.id) {
                None => {
                    p.diff.themenfelder_added.push(NamedId { id: t.row.id, name: t.row.name.clone() });
                    p.themenfelder.push(t.row.clone());
                }
                Some(c) if c.name != t.row.name => {
                    p.diff.themenfelder_renamed.push(OzgRenamed { ozg_id: t.row.id, from: c.name.clone(), to: t.row.name.clone() });
                    p.themenfelder.push(ThemenfeldRow { name: t.row.name.clone(), ..(*c).clone() });
                }
                Some(_) => {}
            }
            tf_ids.insert(t.row.id);
        }
    }
    let cur_ll: HashMap<i32, &LebenslageRow> = cur.lebenslagen.iter().map(|l| (l.id, l)).collect();
    let mut ll_ids: HashSet<i32> = cur_ll.keys().copied().collect();
    if let Some(rows) = &new.lebenslagen {
        for l in rows {
            if !tf_ids.contains(&l.row.themenfeld_id) {
                return Err(l.err("themenfeld_id", format!("unknown Themenfeld {}", l.row.themenfeld_id)));
            }
            match cur_ll.get(&l.row.id) {
                None => {
                    p.diff.lebenslagen_added.push(NamedId { id: l.row.id, name: l.row.name.clone() });
                    p.lebenslagen.push(l.row.clone());
                }
                Some(c) if **c != l.row => {
                    p.diff.lebenslagen_changed.push(NamedId { id: l.row.id, name: l.row.name.clone() });
                    p.lebenslagen.push(l.row.clone());
                }
                Some(_) => {}
            }
            ll_ids.insert(l.row.id);
        }
    }

    // OZG-Leistungen.
    let cur_ozg: HashMap<i32, &OzgLeistungRow> = cur.ozg.iter().map(|o| (o.ozg_id, o)).collect();
    let new_ids: HashSet<i32> = new.ozg.iter().map(|o| o.row.ozg_id).collect();
    let (mut renamed, mut moved) = (HashSet::new(), HashSet::new());
    for o in &new.ozg {
        if !ll_ids.contains(&o.row.lebenslage_id) {
            return Err(o.err("lebenslage_id", format!("unknown Lebenslage {}", o.row.lebenslage_id)));
        }
        if !tf_ids.contains(&o.row.themenfeld_id) {
            return Err(o.err("themenfeld_id", format!("unknown Themenfeld {}", o.row.themenfeld_id)));
        }
        let Some(c) = cur_ozg.get(&o.row.ozg_id) else {
            p.diff.ozg_added.push(OzgItem::from(&o.row));
            p.ozg.push((None, o.row.clone()));
            continue;
        };
        if cur.retired_ozg.contains_key(&o.row.ozg_id) {
            p.diff.ozg_reinstated.push(OzgItem::from(&o.row));
            p.reinstate.push(o.row.ozg_id);
        }
        if c.name != o.row.name {
            p.diff.ozg_renamed.push(OzgRenamed { ozg_id: c.ozg_id, from: c.name.clone(), to: o.row.name.clone() });
            renamed.insert(c.ozg_id);
        }
        if (c.lebenslage_id, c.themenfeld_id) != (o.row.lebenslage_id, o.row.themenfeld_id) {
            p.diff.ozg_moved.push(OzgMoved {
                ozg_id: c.ozg_id,
                name: o.row.name.clone(),
                from: Placement { lebenslage_id: c.lebenslage_id, themenfeld_id: c.themenfeld_id },
                to: Placement { lebenslage_id: o.row.lebenslage_id, themenfeld_id: o.row.themenfeld_id },
            });
            moved.insert(c.ozg_id);
        }
        if **c != o.row {
            p.ozg.push((Some((*c).clone()), o.row.clone()));
        }
    }
    let successors: HashMap<i32, &Lined<(i32, i32)>> = new.successors.iter().map(|s| (s.row.0, s)).collect();
    for s in &new.successors {
        let (from, to) = s.row;
        if new_ids.contains(&from) {
            return Err(s.err("ozg_id", format!("OZG-Leistung {from} is in the new catalogue: only one it leaves out has a successor")));
        }
        if !cur_ozg.contains_key(&from) {
            return Err(s.err("ozg_id", format!("unknown OZG-Leistung {from}")));
        }
        if !new_ids.contains(&to) {
            return Err(s.err("nachfolger_ozg_id", format!("the successor {to} is not in the new catalogue")));
        }
    }
    let mut retired_now = HashSet::new();
    for c in &cur.ozg {
        if new_ids.contains(&c.ozg_id) {
            continue;
        }
        let successor = successors.get(&c.ozg_id).map(|s| s.row.1);
        match cur.retired_ozg.get(&c.ozg_id) {
            // Retired before: only a newly named successor is news.
            Some(before) if successor.is_none() || *before == successor => continue,
            _ => {}
        }
        p.diff.ozg_retired.push(OzgRetired { ozg_id: c.ozg_id, name: c.name.clone(), successor_ozg_id: successor });
        p.retire.push((c.clone(), successor));
        retired_now.insert(c.ozg_id);
    }
    for l in &cur.links {
        let change = if retired_now.contains(&l.ozg_id) {
            "retired"
        } else if renamed.contains(&l.ozg_id) {
            "renamed"
        } else if moved.contains(&l.ozg_id) {
            "moved"
        } else {
            continue;
        };
        p.diff.listings_affected.push(AffectedListing {
            online_service_id: l.online_service_id.clone(),
            name: l.name.clone(),
            provider_org_id: l.provider_org_id.clone(),
            ozg_id: l.ozg_id,
            change: change.into(),
        });
        if change == "retired" {
            let successor = p.retire.iter().find(|(o, _)| o.ozg_id == l.ozg_id).and_then(|(_, s)| *s);
            p.flags.push((l.online_service_id.clone(), l.provider_org_id.clone(), l.ozg_id, successor));
        }
    }

    // LeiKa-Leistungen, by identity.
    let mut leika_active = cur.leika.iter().filter(|l| !cur.retired_leika.contains(&l.id)).count();
    if let Some(rows) = &new.leika {
        let cur_rows: Vec<&LeikaRow> = cur.leika.iter().collect();
        let cur_by_identity: HashMap<String, &LeikaRow> = identities(&cur_rows).into_iter().zip(cur_rows.iter().copied()).collect();
        let new_rows: Vec<&LeikaRow> = rows.iter().map(|l| &l.row).collect();
        let new_identities = identities(&new_rows);
        let mut next_id = cur.leika.iter().map(|l| l.id).max().unwrap_or(0) + 1;
        let mut matched = HashSet::new();
        for (l, identity) in rows.iter().zip(&new_identities) {
            // A link to an OZG-Leistung retired before stays allowed (a correction keeps it).
            if let Some(id) = l.row.ozg_id.filter(|id| !new_ids.contains(id) && !cur.retired_ozg.contains_key(id)) {
                return Err(l.err("ozg_id", format!("OZG-Leistung {id} is not in the new catalogue")));
            }
            match cur_by_identity.get(identity) {
                None => {
                    let row = LeikaRow { id: next_id, ..l.row.clone() };
                    next_id += 1;
                    p.diff.leika_added.push(LeikaItem::from(&row));
                    p.leika.push((None, row));
                }
                Some(c) => {
                    matched.insert(c.id);
                    let row = LeikaRow { id: c.id, ..l.row.clone() };
                    if cur.retired_leika.contains(&c.id) {
                        p.leika_reinstate.push(c.id);
                        p.diff.leika_added.push(LeikaItem::from(&row));
                    } else if c.ozg_id != row.ozg_id {
                        p.diff.leika_moved.push(LeikaMoved { leika_key: row.leika_key.clone(), name: row.name.clone(), from_ozg_id: c.ozg_id, to_ozg_id: row.ozg_id });
                    } else if !same_leika_content(c, &row) {
                        p.diff.leika_changed.push(LeikaItem::from(&row));
                    }
                    if **c != row {
                        p.leika.push((Some((*c).clone()), row));
                    }
                }
            }
        }
        for c in &cur.leika {
            if !matched.contains(&c.id) && !cur.retired_leika.contains(&c.id) {
                p.diff.leika_removed.push(LeikaItem::from(c));
                p.leika_retire.push(c.clone());
            }
        }
        leika_active = rows.len();
    }
    let retired_after: HashSet<i32> = cur.retired_ozg.keys().copied().filter(|id| !new_ids.contains(id)).chain(retired_now.iter().copied()).collect();
    p.counts = CatalogueCounts {
        ozg_leistungen: (new_ids.len()) as i32,
        leika_leistungen: leika_active as i32,
        themenfelder: tf_ids.len() as i32,
        lebenslagen: ll_ids.len() as i32,
    };
    debug_assert!(retired_after.is_disjoint(&new_ids));
    Ok(p)
}

fn audit_row(a: &Actor, at: NaiveDateTime, action: &str, resource_type: &str, resource_id: String, owner: Option<String>, before: Option<Value>, after: Option<Value>) -> AuditEventRow {
    AuditEventRow {
        id: uuid::Uuid::new_v4().to_string(),
        occurred_at: at,
        actor: a.subject.clone(),
        actor_org_id: a.org_id.clone(),
        action: action.to_owned(),
        resource_type: resource_type.to_owned(),
        resource_id,
        owner_org_id: owner,
        before: before.map(|v| v.to_string()),
        after: after.map(|v| v.to_string()),
        request_id: a.request_id.clone(),
    }
}

fn ozg_json(o: &OzgLeistungRow) -> Value {
    json!({"ozg_id": o.ozg_id, "name": o.name, "lebenslage_id": o.lebenslage_id, "themenfeld_id": o.themenfeld_id})
}

fn leika_json(l: &LeikaRow) -> Value {
    json!({"leika_key": l.leika_key, "name": l.name, "ozg_id": l.ozg_id, "leika_typ": l.leika_typ})
}

/// Where a catalogue version came from and what kind it is.
#[derive(Debug, Clone)]
pub struct Source {
    pub kind: &'static str,
    pub name: String,
    pub date: Option<NaiveDate>,
}

/// Writes a plan in the caller's transaction: the version, every change with its audit event
/// (on the OZG-Leistung it touches), the flags, and the event other instances rebuild on.
fn apply(conn: &mut DbConn, p: &Plan, a: &Actor, source: &Source) -> Result<CatalogueVersion, ApiError> {
    let at = chrono::Utc::now().naive_utc();
    let version = CatalogueVersionRow {
        id: uuid::Uuid::new_v4().to_string(),
        kind: source.kind.to_owned(),
        source: source.name.clone(),
        source_date: source.date,
        created_at: at,
        actor: a.subject.clone(),
        ozg_leistungen: p.counts.ozg_leistungen,
        leika_leistungen: p.counts.leika_leistungen,
        themenfelder: p.counts.themenfelder,
        lebenslagen: p.counts.lebenslagen,
        summary: p.diff.summary().to_string(),
    };
    store::insert_version(conn, &version)?;
    let v = version.id.as_str();
    let mut events = Vec::new();
    let ozg_event = |action: &str, ozg_id: i32, before: Option<Value>, after: Value| {
        let mut after = after;
        after["catalogue_version"] = json!(v);
        after["source"] = json!(source.name);
        audit_row(a, at, action, "ozg_leistung", ozg_id.to_string(), None, before, Some(after))
    };
    for t in &p.themenfelder {
        store::upsert_themenfeld(conn, t)?;
        events.push(audit_row(a, at, "themenfeld.import", "themenfeld", t.id.to_string(), None, None, Some(json!({"name": t.name, "catalogue_version": v}))));
    }
    for l in &p.lebenslagen {
        store::upsert_lebenslage(conn, l)?;
    }
    for (before, after) in &p.ozg {
        store::upsert_ozg(conn, after)?;
        let action = if before.is_none() { "ozg.added" } else { "ozg.changed" };
        events.push(ozg_event(action, after.ozg_id, before.as_ref().map(ozg_json), ozg_json(after)));
    }
    for id in &p.reinstate {
        store::reinstate_ozg(conn, *id, at)?;
        events.push(ozg_event("ozg.reinstated", *id, None, json!({})));
    }
    for (before, after) in &p.leika {
        store::upsert_leika(conn, after)?;
        let (from, to) = (before.as_ref().and_then(|b| b.ozg_id), after.ozg_id);
        match (before, from == to) {
            (None, _) => {
                if let Some(o) = to {
                    events.push(ozg_event("ozg.leika_added", o, None, leika_json(after)));
                }
            }
            (Some(b), true) => {
                if let Some(o) = to {
                    events.push(ozg_event("ozg.leika_changed", o, Some(leika_json(b)), leika_json(after)));
                }
            }
            (Some(b), false) => {
                if let Some(o) = from {
                    events.push(ozg_event("ozg.leika_removed", o, Some(leika_json(b)), json!({"moved_to": to})));
                }
                if let Some(o) = to {
                    events.push(ozg_event("ozg.leika_added", o, Some(json!({"moved_from": from})), leika_json(after)));
                }
            }
        }
        if before.is_none() || to.is_none() {
            let id = after.leika_key.clone().unwrap_or_else(|| format!("pos:{}", after.id));
            events.push(audit_row(a, at, "leika.import", "leika_leistung", id, None, before.as_ref().map(leika_json), Some(leika_json(after))));
        }
    }
    for id in &p.leika_reinstate {
        store::reinstate_leika(conn, *id)?;
    }
    for l in &p.leika_retire {
        store::retire_leika(conn, l.id, at, v)?;
        if let Some(o) = l.ozg_id {
            events.push(ozg_event("ozg.leika_removed", o, Some(leika_json(l)), json!({"retired": true})));
        } else {
            let id = l.leika_key.clone().unwrap_or_else(|| format!("pos:{}", l.id));
            events.push(audit_row(a, at, "leika.retired", "leika_leistung", id, None, Some(leika_json(l)), None));
        }
    }
    for (o, successor) in &p.retire {
        store::retire_ozg(conn, &OzgRetirementRow { ozg_id: o.ozg_id, retired_at: at, successor_ozg_id: *successor, version_id: v.to_owned() })?;
        events.push(ozg_event("ozg.retired", o.ozg_id, Some(ozg_json(o)), json!({"successor_ozg_id": successor})));
    }
    for (service, provider, ozg_id, successor) in &p.flags {
        let flag = ListingFlagRow {
            id: uuid::Uuid::new_v4().to_string(),
            online_service_id: service.clone(),
            ozg_id: *ozg_id,
            reason: "ozg_retired".into(),
            successor_ozg_id: *successor,
            version_id: v.to_owned(),
            created_at: at,
            resolved_at: None,
        };
        if store::flag_listing(conn, &flag)? {
            events.push(audit_row(
                a,
                at,
                "listing.flagged",
                "online_service",
                service.clone(),
                Some(provider.clone()),
                None,
                Some(json!({"reason": "ozg_retired", "ozg_id": ozg_id, "successor_ozg_id": successor, "catalogue_version": v})),
            ));
        }
    }
    events.push(audit_row(a, at, &format!("catalogue.{}", source.kind), "catalogue_version", v.to_owned(), None, None, Some(json!({"source": source.name, "summary": p.diff.summary()}))));
    for e in &events {
        audit::append(conn, e)?;
    }
    emit(conn, a, at, v, json!({"kind": source.kind, "summary": p.diff.summary()}))?;
    Ok(version.into())
}

/// The outbox event of a catalogue change: every instance rebuilds its catalogue on it.
fn emit(conn: &mut DbConn, a: &Actor, at: NaiveDateTime, version: &str, data: Value) -> Result<(), ApiError> {
    let e = Emit::new(EventType::CatalogueChanged, "catalogue_version", version, vec![EVERYONE.to_owned()], data);
    let rows = vec![e.to_row(&a.subject, a.org_id.as_deref().unwrap_or(""), &a.origin, at)];
    let positions = efa_store::events::append(conn, &rows)?;
    crate::webhooks::fan_out(conn, &rows, &positions)?;
    Ok(())
}

fn seed_error(e: SeedError) -> ApiError {
    ApiError::Unprocessable(vec![efa_domain::listing::FieldError { field: format!("files.{}", e.file), message: e.to_string() }])
}

/// Plans (and unless `dry_run` applies) a catalogue import on `conn`: the one function behind
/// the CLI and the API. Applying is one write transaction; a dry run reads one snapshot.
pub fn import_on(conn: &mut DbConn, a: &Actor, files: &CatalogueFiles, source: &Source, dry_run: bool) -> Result<ImportReport, ApiError> {
    let run = |conn: &mut DbConn| -> Result<ImportReport, ApiError> {
        let cur = store::current(conn)?;
        let p = plan(&cur, files).map_err(seed_error)?;
        let version = if dry_run || p.diff.is_empty() { None } else { Some(apply(conn, &p, a, source)?) };
        Ok(ImportReport { dry_run, version, counts: p.counts, changes: p.diff })
    };
    if dry_run { efa_store::tx::read_snapshot(conn, run) } else { efa_store::tx::write_transaction(conn, run) }
}

/// The API's catalogue import: the files by name, as text.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueImportBody {
    /// Where the files come from (shown in the version and the history), e.g.
    /// "OZG-Umsetzungskatalog 2024, FITKO".
    #[schema(example = "OZG-Umsetzungskatalog 2024")]
    pub source: String,
    /// The date the source gives for its data.
    pub source_date: Option<NaiveDate>,
    /// File name → CSV text: `ozg_leistungen.csv` (required), `ozg_leika_leistungen.csv`,
    /// `ozg_themenfelder.csv`, `ozg_lebenslagen.csv`, `ozg_nachfolger.csv` (`ozg_id,nachfolger_ozg_id`:
    /// the successor of an OZG-Leistung the catalogue leaves out). A file left out leaves its part as it is.
    pub files: BTreeMap<String, String>,
}

fn check_source(source: &str) -> Result<String, ApiError> {
    let s = source.trim();
    if s.is_empty() || s.chars().count() > 300 {
        return Err(invalid("source", "must name where the data comes from (1 to 300 characters)"));
    }
    Ok(s.to_owned())
}

/// Imports a catalogue (operators): the diff for a dry run, else applied and recorded.
pub async fn import(state: &AppState, p: &Principal, ctx: &Ctx, body: CatalogueImportBody, dry_run: bool) -> Result<ImportReport, ApiError> {
    enforce(decide(Some(p), &Action::ManageCatalogue), "change the catalogue")?;
    let source = Source { kind: "import", name: check_source(&body.source)?, date: body.source_date };
    let files: Vec<(String, Vec<u8>)> = body.files.into_iter().map(|(k, v)| (k, v.into_bytes())).collect();
    let parsed = store::parse_catalogue(&files).map_err(seed_error)?;
    let report = run_write(state, Actor::of(state, p, ctx), move |conn, a| import_on(conn, a, &parsed, &source, dry_run)).await?;
    if report.version.is_some() {
        rebuilt(state).await;
    }
    Ok(report)
}

/// Runs `f` on a connection with this process's writer turn (SQLite's single writer).
async fn run_write<T: Send + 'static>(state: &AppState, a: Actor, f: impl FnOnce(&mut DbConn, &Actor) -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    let writer = state.writer.clone();
    state
        .db(move |conn| {
            let _turn = writer.turn(conn);
            f(conn, &a)
        })
        .await
}

/// After a committed catalogue change: the whole read model is rebuilt here (the other instances
/// hear of it through the outbox).
async fn rebuilt(state: &AppState) {
    if let Err(e) = state.reload_catalogue().await {
        tracing::error!(error = %e, "catalogue rebuild after a catalogue change failed");
        state.rebuild_after_write(true).await;
    }
}

/// The current catalogue as the files of an import would give it: a correction is an import of
/// this with one change.
fn as_files(cur: &Current) -> CatalogueFiles {
    let line = |row| Lined { file: "request body", line: 0, row };
    CatalogueFiles {
        ozg: cur.ozg.iter().filter(|o| !cur.retired_ozg.contains_key(&o.ozg_id)).cloned().map(line).collect(),
        leika: None,
        themenfelder: None,
        lebenslagen: None,
        successors: Vec::new(),
    }
}

/// An operator's new OZG-Leistung, or the fields of one to correct.
#[derive(Debug, Clone, Default, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OzgLeistungChange {
    /// Required when creating.
    pub name: Option<String>,
    pub lebenslage_id: Option<i32>,
    pub themenfeld_id: Option<i32>,
    /// `true` retires it (its listings are flagged), `false` takes a retired one back.
    pub retired: Option<bool>,
    /// The successor of a retired OZG-Leistung.
    pub successor_ozg_id: Option<i32>,
    /// Why (recorded as the version's source), e.g. "Korrektur nach FITKO-Mitteilung".
    pub reason: Option<String>,
}

/// A new OZG-Leistung (operators).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewOzgLeistung {
    #[schema(example = 10600)]
    pub ozg_id: i32,
    pub name: String,
    pub lebenslage_id: i32,
    pub themenfeld_id: i32,
    pub reason: Option<String>,
}

fn check_name(name: &str) -> Result<String, ApiError> {
    let n = name.trim();
    if n.is_empty() || n.chars().count() > 300 {
        return Err(invalid("name", "must be 1 to 300 characters"));
    }
    Ok(n.to_owned())
}

fn reason_or(reason: &Option<String>, default: &str) -> Result<String, ApiError> {
    match reason {
        Some(r) => check_source(r).map_err(|_| invalid("reason", "must be 1 to 300 characters")),
        None => Ok(default.to_owned()),
    }
}

fn check_refs(cur: &Current, lebenslage: i32, themenfeld: i32) -> Result<(), ApiError> {
    if !cur.lebenslagen.iter().any(|l| l.id == lebenslage) {
        return Err(invalid("lebenslage_id", format!("unknown Lebenslage {lebenslage}")));
    }
    if !cur.themenfelder.iter().any(|t| t.id == themenfeld) {
        return Err(invalid("themenfeld_id", format!("unknown Themenfeld {themenfeld}")));
    }
    Ok(())
}

/// The answer of a correction: the version it recorded and what it changed.
pub type EditReport = ImportReport;

async fn edit(state: &AppState, p: &Principal, ctx: &Ctx, f: impl FnOnce(&Current, &mut CatalogueFiles) -> Result<String, ApiError> + Send + 'static) -> Result<EditReport, ApiError> {
    enforce(decide(Some(p), &Action::ManageCatalogue), "change the catalogue")?;
    let report = run_write(state, Actor::of(state, p, ctx), move |conn, a| {
        efa_store::tx::write_transaction(conn, |conn| {
            let cur = store::current(conn)?;
            let mut files = as_files(&cur);
            let reason = f(&cur, &mut files)?;
            let p = plan(&cur, &files).map_err(|e| ApiError::Unprocessable(vec![efa_domain::listing::FieldError { field: if e.column.is_empty() { "body".into() } else { e.column.clone() }, message: e.message }]))?;
            let version = if p.diff.is_empty() { None } else { Some(apply(conn, &p, a, &Source { kind: "edit", name: reason, date: None })?) };
            Ok(ImportReport { dry_run: false, version, counts: p.counts, changes: p.diff })
        })
    })
    .await?;
    if report.version.is_some() {
        rebuilt(state).await;
    }
    Ok(report)
}

/// Adds one OZG-Leistung (operators); 409 when the OZG-ID is taken.
pub async fn create_ozg(state: &AppState, p: &Principal, ctx: &Ctx, body: NewOzgLeistung) -> Result<EditReport, ApiError> {
    OzgId::try_from(i64::from(body.ozg_id)).map_err(|e| invalid("ozg_id", e.to_string()))?;
    let name = check_name(&body.name)?;
    let reason = reason_or(&body.reason, "OZG-Leistung added by an operator")?;
    edit(state, p, ctx, move |cur, files| {
        if cur.ozg.iter().any(|o| o.ozg_id == body.ozg_id) {
            return Err(ApiError::Conflict(format!("OZG-Leistung {} exists already; correct it with PATCH", body.ozg_id)));
        }
        check_refs(cur, body.lebenslage_id, body.themenfeld_id)?;
        files.ozg.push(Lined { file: "request body", line: 0, row: OzgLeistungRow { ozg_id: body.ozg_id, name, lebenslage_id: body.lebenslage_id, themenfeld_id: body.themenfeld_id } });
        Ok(reason)
    })
    .await
}

/// Corrects one OZG-Leistung (operators): name, place, retirement and successor.
pub async fn update_ozg(state: &AppState, p: &Principal, ctx: &Ctx, raw_id: &str, body: OzgLeistungChange) -> Result<EditReport, ApiError> {
    let id = OzgId::parse(raw_id).map_err(|e| ApiError::bad_param("id", e.to_string()))?.get();
    let name = body.name.as_deref().map(check_name).transpose()?;
    let reason = reason_or(&body.reason, "OZG-Leistung corrected by an operator")?;
    if body.successor_ozg_id.is_some() && body.retired == Some(false) {
        return Err(invalid("successor_ozg_id", "only a retired OZG-Leistung has a successor"));
    }
    edit(state, p, ctx, move |cur, files| {
        let Some(current) = cur.ozg.iter().find(|o| o.ozg_id == id) else { return Err(ApiError::not_found("no such OZG-Leistung")) };
        let was_retired = cur.retired_ozg.contains_key(&id);
        let retire = body.retired.unwrap_or(was_retired);
        let row = OzgLeistungRow {
            ozg_id: id,
            name: name.unwrap_or_else(|| current.name.clone()),
            lebenslage_id: body.lebenslage_id.unwrap_or(current.lebenslage_id),
            themenfeld_id: body.themenfeld_id.unwrap_or(current.themenfeld_id),
        };
        check_refs(cur, row.lebenslage_id, row.themenfeld_id)?;
        if retire && row != *current {
            return Err(invalid("retired", "a retired OZG-Leistung is not renamed or moved; take it back first (retired: false)"));
        }
        if let Some(s) = body.successor_ozg_id {
            if !retire {
                return Err(invalid("successor_ozg_id", "only a retired OZG-Leistung has a successor"));
            }
            if s == id || !files.ozg.iter().any(|o| o.row.ozg_id == s) {
                return Err(invalid("successor_ozg_id", format!("OZG-Leistung {s} is not a current OZG-Leistung")));
            }
            files.successors.push(Lined { file: "request body", line: 0, row: (id, s) });
        }
        if retire {
            // Its LeiKa-Leistungen keep their link (to a retired OZG-Leistung).
            files.ozg.retain(|o| o.row.ozg_id != id);
        } else {
            files.ozg.retain(|o| o.row.ozg_id != id);
            files.ozg.push(Lined { file: "request body", line: 0, row });
        }
        Ok(reason)
    })
    .await
}

/// A LeiKa-Leistung's link to its OZG-Leistung, or a new LeiKa key (operators).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeikaLink {
    /// The OZG-Leistung it belongs to; `null` unlinks it.
    pub ozg_id: Option<i32>,
    /// Required for a new key; else a new name.
    pub name: Option<String>,
    /// LeiKa-Typ, e.g. `2/3`, `4`.
    pub leika_typ: Option<String>,
    pub reason: Option<String>,
}

/// Links a LeiKa key to an OZG-Leistung (or adds the key) (operators).
pub async fn put_leika(state: &AppState, p: &Principal, ctx: &Ctx, raw_key: &str, body: LeikaLink) -> Result<EditReport, ApiError> {
    let key = LeikaKey::parse(raw_key).map_err(|e| ApiError::bad_param("key", e.to_string()))?.as_ref().to_owned();
    let name = body.name.as_deref().map(check_name).transpose()?;
    if let Some(t) = &body.leika_typ {
        if t.trim().is_empty() || t.len() > 20 {
            return Err(invalid("leika_typ", "must be 1 to 20 characters, e.g. 2/3 or 4"));
        }
    }
    let reason = reason_or(&body.reason, "LeiKa link corrected by an operator")?;
    edit(state, p, ctx, move |cur, files| {
        if let Some(o) = body.ozg_id {
            if !files.ozg.iter().any(|x| x.row.ozg_id == o) {
                let why = if cur.retired_ozg.contains_key(&o) { "is retired" } else { "does not exist" };
                return Err(invalid("ozg_id", format!("OZG-Leistung {o} {why}")));
            }
        }
        let leika = files.leika.get_or_insert_with(|| {
            cur.leika.iter().filter(|l| !cur.retired_leika.contains(&l.id)).cloned().map(|row| Lined { file: "request body", line: 0, row }).collect()
        });
        match leika.iter_mut().find(|l| l.row.leika_key.as_deref() == Some(key.as_str())) {
            Some(l) => {
                l.row.ozg_id = body.ozg_id;
                if let Some(n) = name {
                    l.row.name = n;
                }
                if let Some(t) = body.leika_typ {
                    l.row.leika_typ = Some(t.trim().to_owned());
                }
            }
            None => {
                // A retired key comes back with the same position.
                let old = cur.leika.iter().find(|l| l.leika_key.as_deref() == Some(key.as_str()));
                let Some(name) = name.or_else(|| old.map(|o| o.name.clone())) else { return Err(invalid("name", "a new LeiKa key needs its name")) };
                leika.push(Lined {
                    file: "request body",
                    line: 0,
                    row: LeikaRow {
                        id: 0,
                        leika_key: Some(key.clone()),
                        name,
                        ozg_id: body.ozg_id,
                        leika_typ: body.leika_typ.map(|t| t.trim().to_owned()).or_else(|| old.and_then(|o| o.leika_typ.clone())),
                        legal_basis: old.and_then(|o| o.legal_basis.clone()),
                        laws: old.and_then(|o| o.laws.clone()),
                        law_abbreviations: old.and_then(|o| o.law_abbreviations.clone()),
                        sdg1_relevant: old.is_some_and(|o| o.sdg1_relevant),
                        sdg2_relevant: old.is_some_and(|o| o.sdg2_relevant),
                    },
                });
            }
        }
        Ok(reason)
    })
    .await
}

/// A Themenfeld's lead Land and Bundesressort (operators).
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThemenfeldLead {
    /// Two-digit Land code; `null`: no Land leads.
    #[schema(example = "05")]
    pub lead_land_code: Option<String>,
    /// Absent: kept as it is; `null` clears it.
    #[serde(default, deserialize_with = "some")]
    #[schema(value_type = Option<String>)]
    pub lead_bundesressort: Option<Option<String>>,
    pub reason: Option<String>,
}

fn some<'de, D: serde::Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<T>, D::Error> {
    T::deserialize(d).map(Some)
}

/// The Themenfeld after a correction.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ThemenfeldLeadReport {
    pub id: i32,
    pub name: String,
    pub lead_land_code: Option<String>,
    pub lead_bundesressort: Option<String>,
    pub version: Option<CatalogueVersion>,
}

/// Sets the lead Land of a Themenfeld (operators), audited and recorded as a version.
pub async fn set_themenfeld_lead(state: &AppState, p: &Principal, ctx: &Ctx, raw_id: &str, body: ThemenfeldLead) -> Result<ThemenfeldLeadReport, ApiError> {
    enforce(decide(Some(p), &Action::ManageCatalogue), "change the catalogue")?;
    let id: i32 = raw_id.parse().ok().filter(|n| *n > 0).ok_or_else(|| ApiError::bad_param("id", "is not a Themenfeld id"))?;
    let land = body.lead_land_code.as_deref().map(|c| LandCode::parse(c).map(|l| l.as_str().to_owned()).map_err(|e| invalid("lead_land_code", e.to_string()))).transpose()?;
    let ressort = match &body.lead_bundesressort {
        Some(Some(r)) if r.trim().is_empty() || r.chars().count() > 200 => return Err(invalid("lead_bundesressort", "must be 1 to 200 characters, or null")),
        other => other.clone().map(|o| o.map(|r| r.trim().to_owned())),
    };
    let reason = reason_or(&body.reason, "lead Land corrected by an operator")?;
    let report = run_write(state, Actor::of(state, p, ctx), move |conn, a| {
        efa_store::tx::write_transaction(conn, |conn| {
            let cur = store::current(conn)?;
            let Some(before) = cur.themenfelder.iter().find(|t| t.id == id).cloned() else { return Err(ApiError::not_found("no such Themenfeld")) };
            let after = ThemenfeldRow { lead_land_code: land, lead_bundesressort: ressort.unwrap_or_else(|| before.lead_bundesressort.clone()), ..before.clone() };
            let version = if after == before {
                None
            } else {
                let at = chrono::Utc::now().naive_utc();
                let summary = json!({"themenfelder_changed": 1});
                let v = CatalogueVersionRow {
                    id: uuid::Uuid::new_v4().to_string(),
                    kind: "edit".into(),
                    source: reason.clone(),
                    source_date: None,
                    created_at: at,
                    actor: a.subject.clone(),
                    ozg_leistungen: cur.ozg.iter().filter(|o| !cur.retired_ozg.contains_key(&o.ozg_id)).count() as i32,
                    leika_leistungen: cur.leika.iter().filter(|l| !cur.retired_leika.contains(&l.id)).count() as i32,
                    themenfelder: cur.themenfelder.len() as i32,
                    lebenslagen: cur.lebenslagen.len() as i32,
                    summary: summary.to_string(),
                };
                store::insert_version(conn, &v)?;
                store::upsert_themenfeld(conn, &after)?;
                let j = |t: &ThemenfeldRow| json!({"name": t.name, "lead_land_code": t.lead_land_code, "lead_bundesressort": t.lead_bundesressort, "catalogue_version": v.id});
                audit::append(conn, &audit_row(a, at, "themenfeld.lead_changed", "themenfeld", id.to_string(), None, Some(j(&before)), Some(j(&after))))?;
                emit(conn, a, at, &v.id, json!({"kind": "edit", "summary": summary}))?;
                Some(CatalogueVersion::from(v))
            };
            Ok(ThemenfeldLeadReport { id, name: after.name, lead_land_code: after.lead_land_code, lead_bundesressort: after.lead_bundesressort, version })
        })
    })
    .await?;
    if report.version.is_some() {
        rebuilt(state).await;
    }
    Ok(report)
}

/// One entry of an OZG-Leistung's history.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub occurred_at: chrono::DateTime<chrono::Utc>,
    /// `ozg.added`, `ozg.changed`, `ozg.retired`, `ozg.reinstated`, `ozg.leika_added`,
    /// `ozg.leika_removed`, `ozg.leika_changed`.
    pub action: String,
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    /// The catalogue version the change came with.
    pub catalogue_version: Option<String>,
    /// Where it came from (the import's source or the operator's reason).
    pub source: Option<String>,
}

/// Every change to one OZG-Leistung, oldest first, from the audit log (public: the catalogue
/// is public; who made the change is in the operators' audit log).
pub async fn history(state: &AppState, raw_id: &str) -> Result<Vec<HistoryEntry>, ApiError> {
    let id = OzgId::parse(raw_id).map_err(|e| ApiError::bad_param("id", e.to_string()))?.get();
    state
        .db(move |conn| {
            if store::find_ozg(conn, id)?.is_none() {
                return Err(ApiError::not_found("no such OZG-Leistung"));
            }
            let rows = audit::history_of(conn, &id.to_string(), &[])?;
            Ok(rows
                .into_iter()
                .filter(|r| r.resource_type == "ozg_leistung")
                .map(|r| {
                    let parse = |s: Option<String>| s.and_then(|s| serde_json::from_str::<Value>(&s).ok());
                    let after = parse(r.after);
                    let field = |k: &str| after.as_ref().and_then(|a| a.get(k)).and_then(Value::as_str).map(str::to_owned);
                    HistoryEntry {
                        occurred_at: super::utc(r.occurred_at),
                        catalogue_version: field("catalogue_version"),
                        source: field("source"),
                        action: r.action,
                        before: parse(r.before),
                        after,
                    }
                })
                .collect())
        })
        .await
}

/// Catalogue versions, newest first.
pub async fn versions(state: &AppState, kind: Option<String>, offset: i64, limit: i64) -> Result<(Vec<CatalogueVersion>, i64), ApiError> {
    state
        .db(move |conn| {
            let (rows, total) = store::versions(conn, kind.as_deref(), offset, limit)?;
            Ok((rows.into_iter().map(CatalogueVersion::from).collect(), total))
        })
        .await
}

/// The open flags of a listing (its provider and operators see them with the listing).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListingFlag {
    /// `ozg_retired`: an OZG-Leistung the listing links is retired from the catalogue.
    pub reason: String,
    pub ozg_id: i32,
    pub successor_ozg_id: Option<i32>,
    pub catalogue_version: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
}

pub fn flags_on(conn: &mut DbConn, online_service_id: &str) -> Result<Vec<ListingFlag>, ApiError> {
    Ok(store::open_flags(conn, Some(online_service_id))?
        .into_iter()
        .map(|f| ListingFlag { reason: f.reason, ozg_id: f.ozg_id, successor_ozg_id: f.successor_ozg_id, catalogue_version: f.version_id, created_at: super::utc(f.created_at) })
        .collect())
}

// ---------------------------------------------------------------------------------------------
// Real availability: the federal dashboard's per-ARS export.

/// What an availability import read and keeps.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AvailabilityReport {
    pub dry_run: bool,
    pub version: Option<CatalogueVersion>,
    /// Records in the file.
    pub records: usize,
    /// Records saying a LeiKa-Leistung is online (`online_status` ok, `aktiv`): what is kept.
    pub online: usize,
    /// Of those, how many name a LeiKa key or OZG-ID the catalogue knows.
    pub mapped_to_ozg: usize,
    /// Areas (ARS) with at least one online record.
    pub areas: usize,
    /// Online records before this import (they are replaced).
    pub replaced: i64,
}

/// Which level an ARS names: `bund` (000000000000), `land`, `kreis` or `gemeinde`.
pub fn ars_level(ars: &str) -> &'static str {
    if ars.bytes().all(|b| b == b'0') {
        "bund"
    } else if ars[2..].bytes().all(|b| b == b'0') {
        "land"
    } else if ars[5..].bytes().all(|b| b == b'0') {
        "kreis"
    } else {
        "gemeinde"
    }
}

/// Plans (and unless `dry_run` applies) a dashboard export on `conn`: the one function behind
/// the CLI and the API. Every ARS must be one the places know (a Gemeinde, a Kreis, a Land or
/// the whole country); the export replaces the previous one as a whole.
pub fn availability_on(conn: &mut DbConn, a: &Actor, export: &store::DashboardExport, source: &Source, dry_run: bool) -> Result<AvailabilityReport, ApiError> {
    let run = |conn: &mut DbConn| -> Result<AvailabilityReport, ApiError> {
        let gemeinden: HashSet<String> = efa_store::models::GemeindeRow::all(conn)?.into_iter().map(|g| g.ars).collect();
        let kreise: HashSet<String> = efa_store::models::KreisRow::all(conn)?.into_iter().map(|k| k.code).collect();
        let laender: HashSet<String> = efa_store::models::LandRow::all(conn)?.into_iter().map(|l| l.code).collect();
        let cur = store::current(conn)?;
        let leika_ozg: HashMap<&str, Option<i32>> = cur.leika.iter().filter(|l| !cur.retired_leika.contains(&l.id)).filter_map(|l| l.leika_key.as_deref().map(|k| (k, l.ozg_id))).collect();
        let ozg_ids: HashSet<i32> = cur.ozg.iter().map(|o| o.ozg_id).collect();
        let mut rows = Vec::with_capacity(export.online.len());
        let mut mapped = 0;
        for r in &export.online {
            let ars = r.row.ars.as_str();
            let known = match ars_level(ars) {
                "bund" => true,
                "land" => laender.contains(&ars[..2]),
                "kreis" => kreise.contains(&ars[..5]) || gemeinden.contains(ars),
                _ => gemeinden.contains(ars),
            };
            if !known {
                return Err(seed_error(r.err("ars", format!("ARS {ars} is no Gemeinde, Kreis or Land of the Gemeindeverzeichnis"))));
            }
            let ozg_id = leika_ozg.get(r.row.leika_key.as_str()).copied().flatten().or(r.row.ozg_id.filter(|id| ozg_ids.contains(id)));
            if ozg_id.is_some() {
                mapped += 1;
            }
            rows.push(store::KnownOnlineRow { ozg_id, ..r.row.clone() });
        }
        let areas = rows.iter().map(|r| r.ars.as_str()).collect::<HashSet<_>>().len();
        let replaced = store::known_online_count(conn)?;
        let version = if dry_run {
            None
        } else {
            let at = chrono::Utc::now().naive_utc();
            let summary = json!({"records": export.records, "online": rows.len(), "mapped_to_ozg": mapped, "areas": areas, "replaced": replaced});
            let v = CatalogueVersionRow {
                id: uuid::Uuid::new_v4().to_string(),
                kind: "availability".into(),
                source: source.name.clone(),
                source_date: source.date.or(export.as_of),
                created_at: at,
                actor: a.subject.clone(),
                ozg_leistungen: rows.iter().filter_map(|r| r.ozg_id).collect::<HashSet<_>>().len() as i32,
                leika_leistungen: rows.iter().map(|r| r.leika_key.as_str()).collect::<HashSet<_>>().len() as i32,
                themenfelder: cur.themenfelder.len() as i32,
                lebenslagen: cur.lebenslagen.len() as i32,
                summary: summary.to_string(),
            };
            store::insert_version(conn, &v)?;
            for r in &mut rows {
                r.version_id = v.id.clone();
            }
            store::replace_known_online(conn, &rows)?;
            audit::append(conn, &audit_row(a, at, "catalogue.availability", "catalogue_version", v.id.clone(), None, None, Some(json!({"source": source.name, "summary": summary}))))?;
            emit(conn, a, at, &v.id, json!({"kind": "availability", "summary": summary}))?;
            Some(CatalogueVersion::from(v))
        };
        Ok(AvailabilityReport { dry_run, version, records: export.records, online: rows.len(), mapped_to_ozg: mapped, areas, replaced })
    };
    if dry_run { efa_store::tx::read_snapshot(conn, run) } else { efa_store::tx::write_transaction(conn, run) }
}

/// The API's availability import.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AvailabilityImportBody {
    #[schema(example = "Dashboard Digitale Verwaltung, open-pvog export")]
    pub source: String,
    pub source_date: Option<NaiveDate>,
    /// The export as CSV text (columns of bundesAPI/digitale-verwaltung-api's open-pvog export).
    pub csv: String,
}

/// Imports a dashboard export (operators).
pub async fn import_availability(state: &AppState, p: &Principal, ctx: &Ctx, body: AvailabilityImportBody, dry_run: bool) -> Result<AvailabilityReport, ApiError> {
    enforce(decide(Some(p), &Action::ManageCatalogue), "change the catalogue")?;
    let source = Source { kind: "availability", name: check_source(&body.source)?, date: body.source_date };
    let export = store::parse_dashboard("csv", body.csv.as_bytes()).map_err(|e| invalid("csv", e.to_string()))?;
    let report = run_write(state, Actor::of(state, p, ctx), move |conn, a| availability_on(conn, a, &export, &source, dry_run)).await?;
    if report.version.is_some() {
        // Coverage answers carry the snapshot in their ETag: a new one names the new export.
        rebuilt(state).await;
    }
    Ok(report)
}

/// The dashboard's online records for a Gemeinde, each marked whether the marketplace covers
/// it there too (the API's and the shop's coverage of a Gemeinde), from the snapshot.
pub fn known_online_for_gemeinde(ix: &crate::coverage::CoverageIndex, ags: &efa_domain::Ags) -> Vec<KnownOnline> {
    let Some(g) = ix.catalogue.gemeinde(ags.as_str()) else { return Vec::new() };
    let mut rows = known_online_in(&ix.catalogue, &g.view.ars);
    if let Ok(report) = crate::coverage::reports::gemeinde(ix, ags) {
        let covered: HashSet<i32> = report.items.iter().filter(|i| i.covered).map(|i| i.ozg_id).collect();
        for r in &mut rows {
            r.covered_by_marketplace = covered.contains(&r.ozg_id);
        }
    }
    rows
}

/// What the dashboard knows to be online for one OZG-Leistung in a Gemeinde.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KnownOnline {
    pub ozg_id: i32,
    pub name: String,
    /// The LeiKa keys the dashboard lists as online there.
    pub leika_keys: Vec<String>,
    /// The widest area of a record: `bund`, `land`, `kreis` or `gemeinde`.
    pub area: String,
    pub art_flaechendeckung: Option<String>,
    pub urls: Vec<String>,
    /// Whether the marketplace covers it here too (see `covered` of the coverage): the two are
    /// shown side by side, never added up.
    pub covered_by_marketplace: bool,
}

/// The dashboard's online records reaching the Gemeinde with `ars` (its own, its Kreis's, its
/// Land's, nationwide), per OZG-Leistung, from the catalogue snapshot (which every instance
/// rebuilds when an export is imported anywhere).
pub fn known_online_in(catalogue: &crate::catalogue::Catalogue, ars: &str) -> Vec<KnownOnline> {
    let Ok(parsed) = Ars::parse(ars) else { return Vec::new() };
    let ars = parsed.to_string();
    let mut areas = vec![ars.clone(), format!("{}0000000", &ars[..5]), format!("{}0000000000", &ars[..2]), "000000000000".to_owned()];
    areas.dedup();
    let mut rows: Vec<store::KnownOnlineRow> = areas.iter().filter_map(|a| catalogue.known_online.get(a)).flatten().cloned().collect();
    rows.sort_by(|a, b| (&a.leika_key, &a.ars).cmp(&(&b.leika_key, &b.ars)));
    let rank = |level: &str| match level {
        "bund" => 3,
        "land" => 2,
        "kreis" => 1,
        _ => 0,
    };
    let mut by_ozg: BTreeMap<i32, KnownOnline> = BTreeMap::new();
    for r in rows {
        let Some(ozg_id) = r.ozg_id else { continue };
        let Some(o) = catalogue.ozg(ozg_id) else { continue };
        let level = if r.ars == ars { "gemeinde" } else { ars_level(&r.ars) };
        let e = by_ozg.entry(ozg_id).or_insert_with(|| KnownOnline { ozg_id, name: o.view.name.clone(), leika_keys: Vec::new(), area: level.into(), art_flaechendeckung: None, urls: Vec::new(), covered_by_marketplace: false });
        if !e.leika_keys.contains(&r.leika_key) {
            e.leika_keys.push(r.leika_key);
        }
        if rank(level) > rank(&e.area) {
            e.area = level.into();
        }
        if e.art_flaechendeckung.is_none() {
            e.art_flaechendeckung = r.art_flaechendeckung;
        }
        if let Some(u) = r.url.filter(|u| !e.urls.contains(u)) {
            e.urls.push(u);
        }
    }
    by_ozg.into_values().collect()
}
