//! The in-process read model of the catalogue.
//!
//! The catalogue is read-mostly: every read endpoint answers from this snapshot, built
//! from the database (the source of truth) at start and rebuilt after each write.
//! A snapshot is immutable; a rebuild swaps in a new `Arc`, so readers never block.

mod build;
pub mod grams;
pub mod query;

use crate::views::*;
use std::collections::HashMap;
use std::sync::{Arc, RwLock};

pub use build::{build, load_rows, published_prices, reload_listings, Rows};

/// One OZG-Leistung with what search needs beside its view.
#[derive(Debug, Clone)]
pub struct OzgEntry {
    pub view: OzgLeistung,
    pub folded_name: String,
    /// The folded names of all its LeiKa-Leistungen, one per line: one scan rules out most
    /// OZG-Leistungen before their LeiKa names are looked at one by one.
    pub folded_leika: String,
    /// Indices into `Catalogue::leika`.
    pub leika: Vec<usize>,
    /// Indices into `Catalogue::services`.
    pub services: Vec<usize>,
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
}

#[derive(Debug, Clone)]
pub struct GemeindeEntry {
    pub view: Gemeinde,
    pub folded_name: String,
}

#[derive(Debug, Clone)]
pub struct OrgEntry {
    pub view: Organisation,
    pub folded_name: String,
}

#[derive(Debug, Default)]
pub struct Catalogue {
    pub laender: Vec<Land>,
    pub kreise: Vec<Kreis>,
    pub gemeinden: Vec<GemeindeEntry>,
    pub themenfelder: Vec<Themenfeld>,
    pub lebenslagen: Vec<Lebenslage>,
    pub ozg: Vec<OzgEntry>,
    pub leika: Vec<LeikaEntry>,
    pub orgs: Vec<OrgEntry>,
    /// Published services: what the public catalogue shows.
    pub services: Vec<ServiceEntry>,
    /// Working copies in draft or review: shown to their provider and to operators only.
    pub drafts: Vec<ServiceEntry>,
    pub ozg_by_id: HashMap<i32, usize>,
    pub leika_by_key: HashMap<String, usize>,
    pub gemeinde_by_ags: HashMap<String, usize>,
    pub org_by_id: HashMap<String, usize>,
    pub service_by_id: HashMap<String, usize>,
    pub draft_by_id: HashMap<String, usize>,
    /// Königsteiner Schlüssel of the latest year in the data: (Land code, share in 0.00001 %).
    pub koenigsteiner: Vec<(String, i64)>,
    pub koenigsteiner_year: Option<i32>,
    /// False until the first successful load from the database.
    pub loaded: bool,
    pub grams: SearchGrams,
    /// A hash of everything coverage reads from the published services (their list JSON,
    /// reach and version): equal after a write that only touched working copies.
    pub published_fingerprint: u64,
}

/// Trigram indexes over the folded texts that search scans.
#[derive(Debug, Default)]
pub struct SearchGrams {
    pub ozg_name: grams::Grams,
    pub ozg_leika: grams::Grams,
    /// Name and text of each published service.
    pub services: grams::Grams,
    pub gemeinden: grams::Grams,
    pub orgs: grams::Grams,
}

/// FNV-1a over the published services' list JSON, reach and version, in catalogue order.
fn published_fingerprint(services: &[ServiceEntry]) -> u64 {
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

impl SearchGrams {
    fn build(c: &Catalogue) -> SearchGrams {
        let service_texts: Vec<String> = c.services.iter().map(|s| format!("{}\n{}", s.folded_name, s.folded_text)).collect();
        SearchGrams {
            ozg_name: grams::Grams::build(c.ozg.iter().map(|o| o.folded_name.as_str())),
            ozg_leika: grams::Grams::build(c.ozg.iter().map(|o| o.folded_leika.as_str())),
            services: grams::Grams::build(service_texts.iter().map(String::as_str)),
            gemeinden: grams::Grams::build(c.gemeinden.iter().map(|g| g.folded_name.as_str())),
            orgs: grams::Grams::build(c.orgs.iter().map(|o| o.folded_name.as_str())),
        }
    }
}

impl Catalogue {
    pub fn ozg(&self, id: i32) -> Option<&OzgEntry> {
        self.ozg_by_id.get(&id).map(|&i| &self.ozg[i])
    }

    pub fn service(&self, id: &str) -> Option<&ServiceEntry> {
        self.service_by_id.get(id).map(|&i| &self.services[i])
    }

    pub fn draft(&self, id: &str) -> Option<&ServiceEntry> {
        self.draft_by_id.get(id).map(|&i| &self.drafts[i])
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
