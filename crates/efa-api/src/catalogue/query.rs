//! Search, filters and facets over a catalogue snapshot. Pure functions: the handlers
//! parse parameters, these decide what matches.

use super::*;
use super::grams::Candidates;
use efa_domain::{fold, Anbindung, PriceModel, ServiceStatus};
use serde::Serialize;
use utoipa::ToSchema;

/// Search words, folded (case, umlauts, ß) so that "Fuehrerschein" meets "Führerschein".
#[derive(Debug, Clone, Default)]
pub struct Words(Vec<String>);

impl Words {
    pub fn parse(q: &str) -> Words {
        Words(fold(q).split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &str> {
        self.0.iter().map(String::as_str)
    }

    /// Every word occurs in `text` (already folded).
    pub fn all_in(&self, text: &str) -> bool {
        self.0.iter().all(|w| text.contains(w.as_str()))
    }

    fn first_is_prefix_of(&self, text: &str) -> bool {
        self.0.first().is_some_and(|w| text.starts_with(w.as_str()))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OzgSort {
    Relevance,
    OzgId,
    Name,
}

#[derive(Debug, Default)]
pub struct OzgFilter {
    pub words: Words,
    pub themenfeld: Option<i32>,
    pub lebenslage: Option<i32>,
    pub has_online_service: Option<bool>,
}

/// OZG-Leistungen matching the filter, in the requested order, with why each matched.
pub fn ozg_leistungen(c: &Catalogue, f: &OzgFilter, sort: OzgSort, descending: bool) -> Vec<(usize, Option<MatchedOn>)> {
    let may = c.grams.ozg_name.candidates(&f.words).or(c.grams.ozg_leika.candidates(&f.words));
    let mut hits: Vec<(usize, Option<MatchedOn>)> = c
        .ozg
        .iter()
        .enumerate()
        .filter(|(i, _)| may.may(*i))
        .filter(|(_, o)| f.themenfeld.is_none_or(|t| o.view.themenfeld.id == t))
        .filter(|(_, o)| f.lebenslage.is_none_or(|l| o.view.lebenslage.id == l))
        .filter(|(i, _)| f.has_online_service.is_none_or(|h| h != c.ozg_services[*i].is_empty()))
        .filter_map(|(i, o)| {
            if f.words.is_empty() {
                Some((i, None))
            } else if f.words.all_in(&o.folded_name) {
                Some((i, Some(MatchedOn::Name)))
            } else if f.words.all_in(&o.folded_leika) && o.leika.iter().any(|&l| f.words.all_in(&c.leika[l].folded_name)) {
                Some((i, Some(MatchedOn::Leika)))
            } else {
                None
            }
        })
        .collect();
    let key = |&(i, m): &(usize, Option<MatchedOn>)| {
        let o = &c.ozg[i];
        (m, !f.words.first_is_prefix_of(&o.folded_name), o.folded_name.len(), o.view.ozg_id)
    };
    match sort {
        OzgSort::Relevance => hits.sort_by_cached_key(key),
        OzgSort::OzgId => hits.sort_by_key(|&(i, _)| c.ozg[i].view.ozg_id),
        OzgSort::Name => hits.sort_by(|a, b| c.ozg[a.0].folded_name.cmp(&c.ozg[b.0].folded_name)),
    }
    if descending {
        hits.reverse();
    }
    hits
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceSort {
    Relevance,
    Name,
    Reifegrad,
    UpdatedAt,
}

#[derive(Debug, Default)]
pub struct ServiceFilter {
    pub words: Words,
    pub ozg_id: Option<i32>,
    pub themenfeld: Vec<i32>,
    pub provider: Vec<String>,
    pub lead_land: Vec<String>,
    pub status: Vec<ServiceStatus>,
    pub reifegrad_min: Option<u8>,
    pub anbindung: Vec<Anbindung>,
    pub price_model: Vec<PriceModel>,
    pub efa: Option<bool>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetValue {
    /// The value to pass to the filter parameter of the same name.
    pub value: String,
    pub label: String,
    /// Services that would match with this value, given all *other* active filters.
    pub count: usize,
}

/// Counts per filter dimension. Each dimension is counted over the services matching
/// every other active filter (but not its own), as a shop shows them.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Facets {
    pub themenfeld: Vec<FacetValue>,
    pub provider: Vec<FacetValue>,
    pub lead_land: Vec<FacetValue>,
    pub status: Vec<FacetValue>,
    pub reifegrad: Vec<FacetValue>,
    pub anbindung: Vec<FacetValue>,
    pub price_model: Vec<FacetValue>,
    pub efa: Vec<FacetValue>,
}

const DIMENSIONS: usize = 8;
const THEMENFELD: usize = 0;
const PROVIDER: usize = 1;
const LEAD_LAND: usize = 2;
const STATUS: usize = 3;
const REIFEGRAD: usize = 4;
const ANBINDUNG: usize = 5;
const PRICE_MODEL: usize = 6;
const EFA: usize = 7;

fn any_or_empty<T: PartialEq>(wanted: &[T], has: impl Fn(&T) -> bool) -> bool {
    wanted.is_empty() || wanted.iter().any(has)
}

/// Bit d set ⇔ the service fails the filter of dimension d.
fn failed_dimensions(c: &Catalogue, s: &ServiceEntry, f: &ServiceFilter) -> u32 {
    let v = &s.detail.service;
    let passes: [bool; DIMENSIONS] = [
        any_or_empty(&f.themenfeld, |t| s.themenfelder.contains(t)),
        any_or_empty(&f.provider, |p| c.orgs[s.provider].view.id == *p),
        any_or_empty(&f.lead_land, |l| v.lead_land.as_ref().is_some_and(|x| x.code == *l)),
        any_or_empty(&f.status, |st| v.status == Some(*st)),
        f.reifegrad_min.is_none_or(|min| v.reifegrad.is_some_and(|r| r >= min)),
        any_or_empty(&f.anbindung, |a| v.anbindung.contains(a)),
        any_or_empty(&f.price_model, |p| v.price_model == Some(*p)),
        f.efa.is_none_or(|e| v.efa == e),
    ];
    passes.iter().enumerate().filter(|(_, ok)| !**ok).fold(0, |m, (d, _)| m | (1 << d))
}

#[derive(Default)]
struct Counter(Vec<(String, String, usize)>);

impl Counter {
    fn seeded(values: impl IntoIterator<Item = (String, String)>) -> Counter {
        Counter(values.into_iter().map(|(v, l)| (v, l, 0)).collect())
    }

    fn add(&mut self, value: &str, label: &str) {
        match self.0.iter_mut().find(|(v, _, _)| v == value) {
            Some(e) => e.2 += 1,
            None => self.0.push((value.to_owned(), label.to_owned(), 1)),
        }
    }

    fn finish(mut self, by_count: bool) -> Vec<FacetValue> {
        if by_count {
            self.0.sort_by(|a, b| b.2.cmp(&a.2).then_with(|| a.1.cmp(&b.1)));
        }
        self.0.into_iter().map(|(value, label, count)| FacetValue { value, label, count }).collect()
    }
}

fn enum_counter<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> Counter {
    Counter::seeded(all.iter().map(|&v| (name(v).to_owned(), name(v).to_owned())))
}

/// The entries a viewer browses: the published services, with the viewer's own working
/// copies in place of (or beside) their published versions.
/// Published entries the trigram index rules out are skipped; working copies are not indexed.
fn visible<'a: 'm, 'm>(c: &'a Catalogue, viewer_org: Option<&'a str>, may: &'m Candidates) -> impl Iterator<Item = &'a ServiceEntry> + 'm {
    let own = move |e: &ServiceEntry| viewer_org.is_some_and(|o| e.detail.service.provider.id == o);
    let published = c.services.iter().map(|e| &**e).enumerate().filter_map(move |(i, e)| match viewer_org {
        // The public has no working copies: no lookup per entry.
        None => may.may(i).then_some(e),
        Some(_) => match c.draft(&e.detail.service.id).filter(|d| own(d)) {
            Some(d) => Some(d),
            None => may.may(i).then_some(e),
        },
    });
    let unpublished = c.drafts.iter().map(|d| &**d).filter(move |d| own(d) && c.service(&d.detail.service.id).is_none());
    published.chain(unpublished)
}

/// Services matching the filter (ordered), and the facet counts.
pub fn online_services<'a>(c: &'a Catalogue, f: &ServiceFilter, sort: ServiceSort, descending: bool, viewer_org: Option<&'a str>) -> (Vec<&'a ServiceEntry>, Facets) {
    let mut themenfeld = Counter::default();
    let mut provider = Counter::default();
    let mut lead_land = Counter::default();
    let mut status = enum_counter(ServiceStatus::ALL, ServiceStatus::as_str);
    let mut reifegrad = Counter::seeded((0..=4).map(|n: u8| (n.to_string(), n.to_string())));
    let mut anbindung = enum_counter(Anbindung::ALL, Anbindung::as_str);
    let mut price_model = enum_counter(PriceModel::ALL, PriceModel::as_str);
    let mut efa = Counter::seeded([("true".into(), "true".into()), ("false".into(), "false".into())]);
    let mut hits: Vec<(&ServiceEntry, u8)> = Vec::new();

    let ozg_index = f.ozg_id.map(|id| c.ozg_by_id.get(&id).copied());
    let may = c.grams.services.candidates(&f.words);
    for s in visible(c, viewer_org, &may) {
        if let Some(wanted) = ozg_index {
            if !wanted.is_some_and(|o| s.ozg.contains(&o)) {
                continue;
            }
        }
        let rank = if f.words.is_empty() || f.words.all_in(&s.folded_name) {
            0
        } else if f.words.all_in(&s.folded_text) {
            1
        } else {
            continue;
        };
        let failed = failed_dimensions(c, s, f);
        if failed & (failed.wrapping_sub(1)) != 0 {
            continue; // fails two or more dimensions: counts nowhere
        }
        let counts_for = |d: usize| failed == 0 || failed == 1 << d;
        let v = &s.detail.service;
        if counts_for(THEMENFELD) {
            for t in &s.detail.themenfelder {
                themenfeld.add(&t.id.to_string(), &t.name);
            }
        }
        if counts_for(PROVIDER) {
            provider.add(&v.provider.id, &v.provider.name);
        }
        if counts_for(LEAD_LAND) {
            if let Some(l) = &v.lead_land {
                lead_land.add(&l.code, &l.name);
            }
        }
        if counts_for(STATUS) {
            if let Some(st) = v.status {
                status.add(st.as_str(), st.as_str());
            }
        }
        if counts_for(REIFEGRAD) {
            if let Some(r) = v.reifegrad {
                reifegrad.add(&r.to_string(), &r.to_string());
            }
        }
        if counts_for(ANBINDUNG) {
            for a in &v.anbindung {
                anbindung.add(a.as_str(), a.as_str());
            }
        }
        if counts_for(PRICE_MODEL) {
            if let Some(p) = v.price_model {
                price_model.add(p.as_str(), p.as_str());
            }
        }
        if counts_for(EFA) {
            let e = if v.efa { "true" } else { "false" };
            efa.add(e, e);
        }
        if failed == 0 {
            hits.push((s, rank));
        }
    }

    match sort {
        ServiceSort::Relevance => hits.sort_by(|a, b| a.1.cmp(&b.1).then_with(|| a.0.folded_name.cmp(&b.0.folded_name))),
        ServiceSort::Name => hits.sort_by(|a, b| a.0.folded_name.cmp(&b.0.folded_name)),
        ServiceSort::Reifegrad => hits.sort_by(|a, b| a.0.detail.service.reifegrad.cmp(&b.0.detail.service.reifegrad).then_with(|| b.0.folded_name.cmp(&a.0.folded_name))),
        ServiceSort::UpdatedAt => hits.sort_by(|a, b| (a.0.detail.updated_at, &a.0.detail.service.id).cmp(&(b.0.detail.updated_at, &b.0.detail.service.id))),
    }
    if descending {
        hits.reverse();
    }
    let facets = Facets {
        themenfeld: themenfeld.finish(true),
        provider: provider.finish(true),
        lead_land: lead_land.finish(true),
        status: status.finish(false),
        reifegrad: reifegrad.finish(false),
        anbindung: anbindung.finish(false),
        price_model: price_model.finish(false),
        efa: efa.finish(false),
    };
    (hits.into_iter().map(|(s, _)| s).collect(), facets)
}

/// Gemeinden by name (name matches starting with the first word first, then larger ones first).
pub fn gemeinden(c: &Catalogue, words: &Words, land: Option<&str>, kreis: Option<&str>) -> Vec<usize> {
    let may = c.grams.gemeinden.candidates(words);
    let mut hits: Vec<usize> = c
        .gemeinden
        .iter()
        .enumerate()
        .filter(|(i, _)| may.may(*i))
        .filter(|(_, g)| land.is_none_or(|l| g.view.land.code == l))
        .filter(|(_, g)| kreis.is_none_or(|k| g.view.kreis.as_ref().is_some_and(|x| x.code == k)))
        .filter(|(_, g)| words.all_in(&g.folded_name))
        .map(|(i, _)| i)
        .collect();
    if !words.is_empty() {
        hits.sort_by_cached_key(|&i| {
            let g = &c.gemeinden[i];
            (!words.first_is_prefix_of(&g.folded_name), std::cmp::Reverse(g.view.population), g.view.ags.clone())
        });
    }
    hits
}

pub fn organisations(c: &Catalogue, words: &Words, kind: Option<efa_domain::OrgKind>, land: Option<&str>) -> Vec<usize> {
    let may = c.grams.orgs.candidates(words);
    c.orgs
        .iter()
        .enumerate()
        .filter(|(i, _)| may.may(*i))
        .filter(|(_, o)| kind.is_none_or(|k| o.view.kind == k))
        .filter(|(_, o)| land.is_none_or(|l| o.view.land.as_ref().is_some_and(|x| x.code == l)))
        .filter(|(_, o)| words.all_in(&o.folded_name))
        .map(|(i, _)| i)
        .collect()
}
