//! Precomputed coverage: per Gemeinde the covering services, per OZG-Leistung the counts of
//! covered Gemeinden by Kreis and Land. Numbers are exact; nothing is sampled.

use crate::catalogue::Catalogue;
use efa_domain::coverage::{in_scope_for_gemeinde, Through};
use efa_domain::listing::Reach;
use efa_domain::ServiceStatus;
use std::collections::HashMap;
use std::sync::Arc;

/// One way a service is live for a Gemeinde.
#[derive(Debug, Clone, Copy)]
pub struct Cover {
    /// Index into `Catalogue::services`.
    pub service: usize,
    pub through: Through,
    /// Index into `CoverageIndex::numbers`: the agreement that makes it live, where one does.
    pub agreement: Option<u32>,
}

#[derive(Debug, Default, Clone)]
pub struct OzgCounts {
    pub gemeinden: usize,
    pub population: i64,
    pub by_land: HashMap<String, usize>,
    pub by_kreis: HashMap<String, usize>,
}

pub struct CoverageIndex {
    /// Which build of the index this is (unique in this process): responses derived from it
    /// are tagged with it.
    pub generation: u64,
    pub catalogue: Arc<Catalogue>,
    /// Indices into `Catalogue::ozg` of the OZG-Leistungen in scope for Gemeinden.
    pub in_scope: Vec<usize>,
    pub in_scope_set: Vec<bool>,
    /// Live agreements by the customer organisation.
    by_org: HashMap<String, Vec<Cover>>,
    /// Contract numbers of the live agreements (`Cover::agreement` points here).
    numbers: Vec<String>,
    /// Organisation id of each Gemeinde (by AGS) and of each Kreis (by code).
    pub gemeinde_org: HashMap<String, String>,
    kreis_org: HashMap<String, String>,
    land_wide: HashMap<String, Vec<usize>>,
    nationwide: Vec<usize>,
    /// Per OZG-Leistung index: where it is covered.
    pub counts: Vec<OzgCounts>,
    /// Per Gemeinde index: how many in-scope OZG-Leistungen are covered.
    pub covered_count: Vec<usize>,
    /// Per service index (into `Catalogue::services`): in how many Gemeinden it is live.
    pub service_gemeinden: Vec<usize>,
    /// Gemeinden (not gemeindefrei) in Germany: the whole of "bundesweit".
    pub gemeinden_total: usize,
    /// Gemeinden (indices into `Catalogue::gemeinden`) per Kreis and per Land.
    pub gemeinden_by_kreis: HashMap<String, Vec<usize>>,
    pub gemeinden_by_land: HashMap<String, Vec<usize>>,
    /// The reports of Länder and Kreise asked for lately ([`crate::coverage::reports::land`]):
    /// an index never changes, so a report stays right for as long as the index lives, and a
    /// rebuild starts with none — each instance keeps only what it can compute again.
    pub(crate) areas: std::sync::Mutex<crate::memo::Memo<Arc<crate::coverage::reports::AreaCoverage>>>,
}

/// The best cover of one OZG-Leistung for one Gemeinde.
#[derive(Debug, Clone)]
pub struct Best {
    pub cover: Cover,
    pub reifegrad: Option<u8>,
}

impl CoverageIndex {
    /// `live` = (agreement number, service id, customer org, signatory org) of live agreements.
    pub fn build(c: Arc<Catalogue>, live: &[(String, String, String, String)]) -> CoverageIndex {
        let in_scope_set: Vec<bool> = c
            .ozg
            .iter()
            // A retired OZG-Leistung is in no one's scope any more (its listings still link it).
            .map(|o| o.view.retired.is_none() && in_scope_for_gemeinde(o.leika.iter().filter_map(|&l| c.leika[l].view.leika_typ.as_deref())))
            .collect();
        let in_scope = in_scope_set.iter().enumerate().filter(|(_, s)| **s).map(|(i, _)| i).collect();
        let is_live = |i: usize| c.services[i].detail.service.status == Some(ServiceStatus::Live);
        let mut by_org: HashMap<String, Vec<Cover>> = HashMap::new();
        let mut numbers = Vec::new();
        for (number, service, customer, signatory) in live {
            let Some(&s) = c.service_by_id.get(service) else { continue };
            if !is_live(s) {
                continue;
            }
            let through = if customer == signatory { Through::OwnAgreement } else { Through::Bundler };
            let agreement = u32::try_from(numbers.len()).ok();
            numbers.push(number.clone());
            match by_org.get_mut(customer.as_str()) {
                Some(covers) => covers.push(Cover { service: s, through, agreement }),
                None => {
                    by_org.insert(customer.clone(), vec![Cover { service: s, through, agreement }]);
                }
            }
        }
        let mut land_wide: HashMap<String, Vec<usize>> = HashMap::new();
        let mut nationwide = Vec::new();
        for (i, s) in c.services.iter().enumerate().filter(|(i, _)| is_live(*i)) {
            match s.detail.reach {
                Reach::Nationwide => nationwide.push(i),
                Reach::LandWide => {
                    if let Some(l) = &s.detail.service.lead_land {
                        land_wide.entry(l.code.clone()).or_default().push(i);
                    }
                }
                Reach::Agreements => {}
            }
        }
        let mut gemeinde_org = HashMap::new();
        let mut kreis_org = HashMap::new();
        for o in c.orgs.iter() {
            if o.view.kind != efa_domain::OrgKind::Kommune {
                continue;
            }
            match (&o.view.ags, &o.view.ars) {
                (Some(ags), _) => {
                    gemeinde_org.insert(ags.clone(), o.view.id.clone());
                }
                (None, Some(ars)) if ars.len() == 12 && ars[5..].bytes().all(|b| b == b'0') => {
                    kreis_org.insert(ars[..5].to_owned(), o.view.id.clone());
                }
                _ => {}
            }
        }
        let mut gemeinden_by_kreis: HashMap<String, Vec<usize>> = HashMap::new();
        let mut gemeinden_by_land: HashMap<String, Vec<usize>> = HashMap::new();
        for (i, g) in c.gemeinden.iter().enumerate().filter(|(_, g)| !g.view.gemeindefrei) {
            gemeinden_by_land.entry(g.view.land.code.clone()).or_default().push(i);
            if let Some(k) = &g.view.kreis {
                gemeinden_by_kreis.entry(k.code.clone()).or_default().push(i);
            }
        }
        static GENERATION: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
        let mut index = CoverageIndex {
            generation: GENERATION.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1,
            in_scope,
            in_scope_set,
            by_org,
            numbers,
            gemeinde_org,
            kreis_org,
            land_wide,
            nationwide,
            counts: vec![OzgCounts::default(); c.ozg.len()],
            covered_count: vec![0; c.gemeinden.len()],
            service_gemeinden: vec![0; c.services.len()],
            gemeinden_total: gemeinden_by_land.values().map(Vec::len).sum(),
            gemeinden_by_kreis,
            gemeinden_by_land,
            catalogue: c,
            areas: Default::default(),
        };
        let c = index.catalogue.clone();
        let mut counts = vec![OzgCounts::default(); c.ozg.len()];
        let mut covered_count = vec![0; c.gemeinden.len()];
        let mut service_gemeinden = vec![0; c.services.len()];
        let mut seen = vec![usize::MAX; c.services.len()];
        // Gemeinden per OZG-Leistung and Land / Kreis, counted in dense tables (Länder and
        // Kreise numbered as they come) and put into the maps once at the end.
        let mut lands: Vec<&str> = Vec::new();
        let mut kreise: Vec<&str> = Vec::new();
        let mut land_no: HashMap<&str, usize> = HashMap::new();
        let mut kreis_no: HashMap<&str, usize> = HashMap::new();
        let mut per_land: Vec<Vec<u32>> = vec![Vec::new(); c.ozg.len()];
        let mut per_kreis: Vec<Vec<u32>> = vec![Vec::new(); c.ozg.len()];
        let mut best: Vec<Option<Best>> = vec![None; c.ozg.len()];
        let mut touched: Vec<usize> = Vec::new();
        for (gi, g) in c.gemeinden.iter().enumerate().filter(|(_, g)| !g.view.gemeindefrei) {
            for cover in index.covers(gi) {
                if seen[cover.service] != gi {
                    seen[cover.service] = gi;
                    service_gemeinden[cover.service] += 1;
                }
            }
            index.covered_into(gi, &mut best, &mut touched);
            covered_count[gi] = touched.len();
            let l = number(&mut lands, &mut land_no, &g.view.land.code);
            let k = g.view.kreis.as_ref().map(|k| number(&mut kreise, &mut kreis_no, &k.code));
            for &o in &touched {
                let e = &mut counts[o];
                e.gemeinden += 1;
                e.population += g.view.population;
                add_at(&mut per_land[o], l);
                if let Some(k) = k {
                    add_at(&mut per_kreis[o], k);
                }
            }
        }
        for (o, e) in counts.iter_mut().enumerate() {
            e.by_land = per_land[o].iter().enumerate().filter(|(_, n)| **n > 0).map(|(l, &n)| (lands[l].to_owned(), n as usize)).collect();
            e.by_kreis = per_kreis[o].iter().enumerate().filter(|(_, n)| **n > 0).map(|(k, &n)| (kreise[k].to_owned(), n as usize)).collect();
        }
        index.counts = counts;
        index.covered_count = covered_count;
        index.service_gemeinden = service_gemeinden;
        index
    }

    /// The contract number a cover names.
    pub fn agreement_number(&self, cover: &Cover) -> Option<&str> {
        cover.agreement.and_then(|i| self.numbers.get(i as usize)).map(String::as_str)
    }

    /// The service that makes OZG-Leistung `oi` live across a whole area: an agreement of the
    /// Kreis `kreis`, a Land-wide listing of `land` or a nationwide one (the best Reifegrad).
    /// `None` where only single Gemeinden have it.
    pub fn area_service(&self, oi: usize, land: &str, kreis: Option<&str>) -> Option<usize> {
        let c = &self.catalogue;
        let kreis_agreements = kreis.and_then(|k| self.kreis_org.get(k)).and_then(|org| self.by_org.get(org)).into_iter().flatten().map(|cover| cover.service);
        let land_wide = self.land_wide.get(land).into_iter().flatten().copied();
        kreis_agreements
            .chain(land_wide)
            .chain(self.nationwide.iter().copied())
            .filter(|&s| c.services[s].ozg.contains(&oi))
            .max_by_key(|&s| (c.services[s].detail.service.reifegrad, std::cmp::Reverse(s)))
    }

    /// Every way a service is live for Gemeinde `gi`: its own agreements, its Kreis's, the
    /// Land-wide and the nationwide services.
    pub fn covers(&self, gi: usize) -> impl Iterator<Item = Cover> + '_ {
        let g = &self.catalogue.gemeinden[gi].view;
        let own = self.gemeinde_org.get(&g.ags).and_then(|org| self.by_org.get(org)).into_iter().flatten().copied();
        let kreis = g.kreis.as_ref().and_then(|k| self.kreis_org.get(&k.code)).and_then(|org| self.by_org.get(org)).into_iter().flatten().map(|&cover| Cover { through: Through::Kreis, ..cover });
        let land_wide = self.land_wide.get(&g.land.code).into_iter().flatten().map(|&s| Cover { service: s, through: Through::LandWide, agreement: None });
        let nationwide = self.nationwide.iter().map(|&s| Cover { service: s, through: Through::Nationwide, agreement: None });
        own.chain(kreis).chain(land_wide).chain(nationwide)
    }

    /// Every covered in-scope OZG-Leistung of Gemeinde `gi` with its best cover:
    /// the highest Reifegrad, then the closest way (own agreement before Kreis before Land-wide).
    pub fn covered(&self, gi: usize) -> HashMap<usize, Best> {
        let mut best = vec![None; self.catalogue.ozg.len()];
        let mut touched = Vec::new();
        self.covered_into(gi, &mut best, &mut touched);
        touched.into_iter().filter_map(|o| best[o].take().map(|b| (o, b))).collect()
    }

    /// [`covered`](Self::covered) into tables the caller keeps for many Gemeinden: `best`
    /// (one place per OZG-Leistung, all `None` between calls: this call clears what the last
    /// one left) and `touched`, the OZG-Leistungen covered, in the order they were met.
    pub fn covered_into(&self, gi: usize, best: &mut [Option<Best>], touched: &mut Vec<usize>) {
        for &o in touched.iter() {
            best[o] = None;
        }
        touched.clear();
        let c = &self.catalogue;
        for cover in self.covers(gi) {
            let s = &c.services[cover.service];
            let reifegrad = s.detail.service.reifegrad;
            for &o in &s.ozg {
                if !self.in_scope_set[o] {
                    continue;
                }
                let better = match &best[o] {
                    None => {
                        touched.push(o);
                        true
                    }
                    Some(b) => (reifegrad, std::cmp::Reverse(cover.through)) > (b.reifegrad, std::cmp::Reverse(b.cover.through)),
                };
                if better {
                    best[o] = Some(Best { cover, reifegrad });
                }
            }
        }
    }
}

/// The number of `key` in a table numbering keys as they come.
fn number<'a>(names: &mut Vec<&'a str>, nos: &mut HashMap<&'a str, usize>, key: &'a str) -> usize {
    *nos.entry(key).or_insert_with(|| {
        names.push(key);
        names.len() - 1
    })
}

/// One more at place `i` of a count table that grows as needed.
fn add_at(counts: &mut Vec<u32>, i: usize) {
    if counts.len() <= i {
        counts.resize(i + 1, 0);
    }
    counts[i] += 1;
}
