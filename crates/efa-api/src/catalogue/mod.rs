//! The in-process read model of the catalogue.
//!
//! The catalogue is read-mostly: every read endpoint answers from this snapshot, built
//! from the database (the source of truth) at start and rebuilt after each write.
//! A snapshot is immutable; a rebuild swaps in a new `Arc`, so readers never block.

mod build;
pub mod engine;
pub mod facets;
pub mod relevance;
pub mod grams;
pub mod query;

use crate::views::*;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub use build::{build, load_rows, published_prices, rebuild, reload_listings, Rows};

/// One OZG-Leistung with what search needs beside its view.
#[derive(Debug, Clone)]
pub struct OzgEntry {
    /// Its `online_services_count` is always 0: the entry is shared between snapshots, and
    /// the count changes with the listings (`Catalogue::ozg_view` fills it in).
    pub view: OzgLeistung,
    pub folded_name: String,
    /// Indices into `Catalogue::leika`.
    pub leika: Vec<usize>,
}

#[derive(Debug, Clone)]
pub struct LeikaEntry {
    pub view: Leika,
    pub folded_name: String,
    pub ozg: Option<usize>,
}

#[derive(Debug, Clone)]
pub struct ServiceEntry {
    pub detail: OnlineServiceDetail,
    /// `detail.service` as JSON, rendered once per snapshot: lists copy it instead of
    /// serialising the same strings on every request.
    pub item_json: Box<serde_json::value::RawValue>,
    pub folded_name: String,
    pub folded_text: String,
    pub provider: usize,
    pub ozg: Vec<usize>,
    pub themenfelder: Vec<i32>,
    /// A hash of the row and links the entry was made from: a later snapshot takes this
    /// entry instead of making its own while they are the same.
    inputs: u64,
}

#[derive(Debug, Clone)]
pub struct GemeindeEntry {
    pub view: Gemeinde,
    pub folded_name: String,
}

#[derive(Debug, Clone)]
pub struct OrgEntry {
    /// Its `online_services_count` is always 0: the entry is shared between snapshots, and
    /// the count changes with the listings (`Catalogue::org_view` fills it in).
    pub view: Organisation,
    pub folded_name: String,
}

/// A snapshot. The parts in an `Arc` are made from places, catalogue and organisations only:
/// a rebuild after a listing write shares them with the previous snapshot (see
/// `build::rebuild`), so that the old and the new snapshot, both alive while readers finish,
/// hold them once. So are the entries of listings that did not change. What counts or lists
/// services is per snapshot.
#[derive(Debug, Default)]
pub struct Catalogue {
    pub laender: Arc<Vec<Land>>,
    pub kreise: Arc<Vec<Kreis>>,
    pub gemeinden: Arc<Vec<GemeindeEntry>>,
    pub themenfelder: Vec<Themenfeld>,
    pub lebenslagen: Arc<Vec<Lebenslage>>,
    pub ozg: Arc<Vec<OzgEntry>>,
    /// Per OZG-Leistung (index as in `ozg`): indices into `services` of those implementing it.
    pub ozg_services: Vec<Vec<usize>>,
    pub leika: Arc<Vec<LeikaEntry>>,
    pub orgs: Arc<Vec<OrgEntry>>,
    /// Per organisation (index as in `orgs`): how many published services it provides.
    pub org_services_count: Vec<usize>,
    /// Published services: what the public catalogue shows.
    pub services: Vec<Arc<ServiceEntry>>,
    /// Working copies in draft or review: shown to their provider and to operators only.
    pub drafts: Vec<Arc<ServiceEntry>>,
    pub ozg_by_id: Arc<HashMap<i32, usize>>,
    pub leika_by_key: Arc<HashMap<String, usize>>,
    pub gemeinde_by_ags: Arc<HashMap<String, usize>>,
    pub org_by_id: Arc<HashMap<String, usize>>,
    pub service_by_id: HashMap<String, usize>,
    pub draft_by_id: HashMap<String, usize>,
    /// Königsteiner Schlüssel of the latest year in the data: (Land code, share in 0.00001 %).
    pub koenigsteiner: Arc<Vec<(String, i64)>>,
    pub koenigsteiner_year: Option<i32>,
    /// The dashboard export's online records by ARS (`efa availability import`): read with the
    /// catalogue, so every instance rebuilds them on the import's event.
    pub known_online: Arc<HashMap<String, Vec<efa_store::catalogue::KnownOnlineRow>>>,
    /// False until the first successful load from the database.
    pub loaded: bool,
    pub grams: SearchGrams,
    pub search: SearchIndexes,
    /// Filter and facet bitsets over `services`.
    pub facets: facets::FacetIndex,
    /// A hash of everything coverage reads from the published services (their list JSON,
    /// reach and version): equal after a write that only touched working copies.
    pub published_fingerprint: u64,
    /// Which load of the rows other than listings the shared parts were built from
    /// (`Rows::load`; 0 before the first).
    fixed_load: u64,
}

/// Trigram indexes over the folded names that place and organisation lookups scan.
#[derive(Debug, Default)]
pub struct SearchGrams {
    pub gemeinden: Arc<grams::Grams>,
    pub orgs: Arc<grams::Grams>,
}

/// The search engine's indexes (see [`engine`]): documents in the order of `Catalogue::ozg`
/// and `Catalogue::services`.
#[derive(Debug, Default)]
pub struct SearchIndexes {
    pub ozg: Arc<engine::TextIndex>,
    pub services: Arc<engine::TextIndex>,
    pub synonyms: Arc<engine::Synonyms>,
}

/// FNV-1a over the published services' list JSON, reach and version, in catalogue order.
fn published_fingerprint(services: &[Arc<ServiceEntry>]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
    };
    for s in services {
        eat(s.item_json.get().as_bytes());
        eat(s.detail.reach.as_str().as_bytes());
        eat(&s.detail.published_version.unwrap_or(0).to_le_bytes());
    }
    h
}

impl Catalogue {
    pub fn ozg(&self, id: i32) -> Option<&OzgEntry> {
        self.ozg_by_id.get(&id).map(|&i| &self.ozg[i])
    }

    /// The view of the OZG-Leistung at index `i`, with its count of services.
    pub fn ozg_view(&self, i: usize) -> OzgLeistung {
        OzgLeistung { online_services_count: self.ozg_services[i].len(), ..self.ozg[i].view.clone() }
    }

    pub fn service(&self, id: &str) -> Option<&ServiceEntry> {
        self.service_by_id.get(id).map(|&i| &*self.services[i])
    }

    pub fn draft(&self, id: &str) -> Option<&ServiceEntry> {
        self.draft_by_id.get(id).map(|&i| &*self.drafts[i])
    }

    /// The entry `viewer_org` sees for a service id: its own working copy where there is one,
    /// else the published version.
    pub fn service_for(&self, id: &str, viewer_org: Option<&str>) -> Option<&ServiceEntry> {
        let own = |e: &&ServiceEntry| viewer_org.is_some_and(|o| e.detail.service.provider.id == o);
        self.draft(id).filter(own).or_else(|| self.service(id))
    }

    pub fn org(&self, id: &str) -> Option<&OrgEntry> {
        self.org_by_id.get(id).map(|&i| &self.orgs[i])
    }

    /// The view of the organisation at index `i`, with its count of services.
    pub fn org_view(&self, i: usize) -> Organisation {
        Organisation { online_services_count: self.org_services_count[i], ..self.orgs[i].view.clone() }
    }

    pub fn gemeinde(&self, ags: &str) -> Option<&GemeindeEntry> {
        self.gemeinde_by_ags.get(ags).map(|&i| &self.gemeinden[i])
    }

    pub fn leika(&self, key: &str) -> Option<&LeikaEntry> {
        self.leika_by_key.get(key).map(|&i| &self.leika[i])
    }

    pub fn land(&self, code: &str) -> Option<&Land> {
        self.laender.iter().find(|l| l.code == code)
    }

    pub fn kreis(&self, code: &str) -> Option<&Kreis> {
        self.kreise.iter().find(|k| k.code == code)
    }
}

/// Shared handle to the current snapshot.
#[derive(Clone, Default)]
pub struct CatalogueHandle(Arc<RwLock<Arc<Catalogue>>>);

impl CatalogueHandle {
    pub fn current(&self) -> Arc<Catalogue> {
        // A poisoned lock still holds a complete snapshot: the swap is a single assignment.
        self.0.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    pub fn replace(&self, next: Catalogue) {
        *self.0.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(next);
    }
}
