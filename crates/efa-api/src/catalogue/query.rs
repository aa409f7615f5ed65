//! Search, filters and facets over a catalogue snapshot. Pure functions: the handlers
//! parse parameters, these decide what matches.

use super::*;
use super::engine::{self, Found, Query};
use super::facets::{failed_dimensions, values_of, Bits, DIMENSIONS};
use efa_domain::{fold, Anbindung, PriceModel, ServiceStatus};
use crate::params::Page;
use serde::Serialize;
use std::borrow::Cow;
use std::io::Write;
use utoipa::ToSchema;

/// Search words, folded (case, umlauts, ß) so that "Fuehrerschein" meets "Führerschein".
#[derive(Debug, Clone, Default)]
pub struct Words(Vec<String>);

impl Words {
    pub fn parse(q: &str) -> Words {
        Words(fold(q).split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect())
    }

    /// One word, already folded.
    pub fn from_folded(word: &str) -> Words {
        Words(vec![word.to_owned()])
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
    /// The search text as typed (see [`engine`]); empty for none.
    pub q: String,
    pub themenfeld: Option<i32>,
    pub lebenslage: Option<i32>,
    pub has_online_service: Option<bool>,
}

/// True when `q` holds a word to search for.
pub fn is_search(q: &str) -> bool {
    !engine::plain(q).is_empty()
}

/// What a search found beside its hits: the words to mark, and a proposal when nothing matched.
#[derive(Debug, Default, Clone)]
pub struct Matched {
    /// Plain forms of the vocabulary words that matched, sorted (for [`engine::mark`]).
    pub marked: Vec<Box<str>>,
    /// "Meinten Sie …?": a query with the nearest known words, when nothing matched.
    pub suggestion: Option<String>,
}

impl Matched {
    /// From a search of `index` (none without a query): the proposal only when nothing matched.
    fn of(found: Option<Arc<Found>>, index: &engine::TextIndex, q: &Query) -> Matched {
        match found {
            None => Matched::default(),
            Some(fd) => Matched { suggestion: (fd.hits() == 0).then(|| index.suggest(q)).flatten(), marked: fd.marked.clone() },
        }
    }
}

fn matched_on(field: u8) -> MatchedOn {
    match field {
        engine::NAME => MatchedOn::Name,
        engine::LINKED => MatchedOn::Leika,
        _ => MatchedOn::Lebenslage,
    }
}

/// Whether the first search word begins `name`: a tie-break of the ranking.
fn starts_with_first_word(q: &Query, name: &str) -> bool {
    q.terms.first().and_then(|t| t.words.first()).is_some_and(|w| engine::plain(name).starts_with(w.as_str()))
}

/// OZG-Leistungen matching the filter, in the requested order, with why each matched.
pub fn ozg_leistungen(c: &Catalogue, f: &OzgFilter, sort: OzgSort, descending: bool) -> (Vec<(usize, Option<MatchedOn>)>, Matched) {
    let q = Query::parse(&f.q, &c.search.synonyms);
    let found = (!q.is_empty()).then(|| c.search.ozg.search(&q));
    let mut hits: Vec<(usize, Option<MatchedOn>, u32)> = c
        .ozg
        .iter()
        .enumerate()
        .filter(|(_, o)| f.themenfeld.is_none_or(|t| o.view.themenfeld.id == t))
        .filter(|(_, o)| f.lebenslage.is_none_or(|l| o.view.lebenslage.id == l))
        .filter(|(i, _)| f.has_online_service.is_none_or(|h| h != c.ozg_services[*i].is_empty()))
        .filter_map(|(i, _)| match &found {
            None => Some((i, None, 0)),
            Some(fd) => fd.is_hit(i).then(|| (i, Some(matched_on(fd.field(i))), fd.rank[i])),
        })
        .collect();
    match sort {
        OzgSort::Relevance => hits.sort_by_cached_key(|&(i, _, rank)| {
            let o = &c.ozg[i];
            (rank, !starts_with_first_word(&q, &o.view.name), o.folded_name.len(), o.view.ozg_id)
        }),
        OzgSort::OzgId => hits.sort_by_key(|&(i, _, _)| c.ozg[i].view.ozg_id),
        OzgSort::Name => hits.sort_by(|a, b| c.ozg[a.0].folded_name.cmp(&c.ozg[b.0].folded_name)),
    }
    if descending {
        hits.reverse();
    }
    let matched = Matched::of(found, &c.search.ozg, &q);
    (hits.into_iter().map(|(i, m, _)| (i, m)).collect(), matched)
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
    /// The search text as typed (see [`engine`]); empty for none.
    pub q: String,
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

// Value and label are borrowed from the snapshot (owned only for a value that a viewer's own
// working copy alone has), so a list costs no copies of the snapshot's strings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct FacetValue<'a> {
    /// The value to pass to the filter parameter of the same name.
    #[schema(value_type = String)]
    pub value: Cow<'a, str>,
    #[schema(value_type = String)]
    pub label: Cow<'a, str>,
    /// The snapshot's JSON of value and label ([`ValueSet::json`](super::facets::ValueSet)).
    #[serde(skip)]
    pub json: Option<&'a str>,
    /// Services that would match with this value, given all *other* active filters.
    pub count: usize,
}

/// Counts per filter dimension. Each dimension is counted over the services matching
/// every other active filter (but not its own), as a shop shows them.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Facets<'a> {
    pub themenfeld: Vec<FacetValue<'a>>,
    pub provider: Vec<FacetValue<'a>>,
    pub lead_land: Vec<FacetValue<'a>>,
    pub status: Vec<FacetValue<'a>>,
    pub reifegrad: Vec<FacetValue<'a>>,
    pub anbindung: Vec<FacetValue<'a>>,
    pub price_model: Vec<FacetValue<'a>>,
    pub efa: Vec<FacetValue<'a>>,
}

impl Facets<'_> {
    /// The JSON that `Serialize` writes, from the snapshot's pre-rendered values where it has
    /// them: a list response does not escape the same labels on every request.
    pub fn write_json(&self, out: &mut Vec<u8>) {
        let lists = [
            ("themenfeld", &self.themenfeld),
            ("provider", &self.provider),
            ("lead_land", &self.lead_land),
            ("status", &self.status),
            ("reifegrad", &self.reifegrad),
            ("anbindung", &self.anbindung),
            ("price_model", &self.price_model),
            ("efa", &self.efa),
        ];
        out.push(b'{');
        for (n, (name, values)) in lists.into_iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            out.push(b'"');
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b"\":[");
            for (i, v) in values.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                // Writing into a Vec cannot fail.
                let _ = match v.json {
                    Some(start) => {
                        out.extend_from_slice(start.as_bytes());
                        write!(out, "{}}}", v.count)
                    }
                    None => serde_json::to_writer(&mut *out, v).map_err(std::io::Error::other),
                };
            }
            out.push(b']');
        }
        out.push(b'}');
    }
}

/// One page of the services a search found, with what the whole result needs beside it.
#[derive(Debug)]
pub struct ServiceHits<'a> {
    /// The requested page, in order.
    pub page: Vec<&'a ServiceEntry>,
    /// Services matching, on all pages.
    pub total: usize,
    pub facets: Facets<'a>,
    pub matched: Matched,
}

/// The viewer's own working copies: each with the index of the published version it stands
/// in for (if any). Empty for the public and for organisations without working copies.
fn own_drafts<'a>(c: &'a Catalogue, viewer_org: Option<&str>) -> Vec<(&'a ServiceEntry, Option<usize>)> {
    let Some(org) = viewer_org.filter(|o| c.facets.draft_orgs.contains(*o)) else { return Vec::new() };
    c.drafts.iter().filter(|d| d.detail.service.provider.id == org).map(|d| (&**d, c.service_by_id.get(&d.detail.service.id).copied())).collect()
}

/// The page of services matching the filter (ordered), their number, the facet counts, and
/// what the search matched.
///
/// The published services are filtered and counted with the snapshot's bitsets
/// ([`facets`](super::facets)); the viewer's own working copies, which stand in for their
/// published versions, one by one with the same rules.
pub fn online_services<'a>(c: &'a Catalogue, f: &ServiceFilter, sort: ServiceSort, descending: bool, page: Page, viewer_org: Option<&'a str>) -> ServiceHits<'a> {
    let fx = &c.facets;
    let q = Query::parse(&f.q, &c.search.synonyms);
    let found = (!q.is_empty()).then(|| c.search.services.search(&q));
    let drafts = own_drafts(c, viewer_org);

    // The published services in play before the facet filters: matching the words and the
    // OZG-Leistung, and not replaced by one of the viewer's working copies.
    let mut base = match &found {
        None => Bits::full(fx.len),
        Some(fd) => {
            let mut b = Bits::empty(fx.len);
            (0..fx.len).filter(|&i| fd.is_hit(i)).for_each(|i| b.set(i));
            b
        }
    };
    if let Some(id) = f.ozg_id {
        let mut of_ozg = Bits::empty(fx.len);
        for &i in c.ozg_by_id.get(&id).map(|&o| c.ozg_services[o].as_slice()).unwrap_or_default() {
            of_ozg.set(i);
        }
        base.and(&of_ozg);
    }
    for (_, published) in &drafts {
        if let Some(i) = published {
            base.clear(*i);
        }
    }
    let masks = fx.masks(f);

    // Counts per dimension over the other dimensions' selections, in the order of `fx.dims[d]`;
    // values only a working copy has go to `unindexed`.
    let mut counts: Vec<Vec<usize>> = Vec::with_capacity(DIMENSIONS);
    for d in 0..DIMENSIONS {
        let mut others = base.clone();
        masks.iter().enumerate().filter(|&(e, _)| e != d).for_each(|(_, m)| others.and(m));
        counts.push(fx.dims[d].iter().map(|v| v.bits.count_and(&others)).collect());
    }
    let mut unindexed: Vec<Vec<(String, String, usize)>> = vec![Vec::new(); DIMENSIONS];
    let mut all = base;
    masks.iter().for_each(|m| all.and(m));

    // Working copies are not indexed: they match as before the engine, every word in their texts.
    let words = Words::parse(&f.q);
    let mut extra: Vec<(&ServiceEntry, u32)> = Vec::new();
    for &(s, _) in &drafts {
        if f.ozg_id.is_some_and(|id| !c.ozg_by_id.get(&id).is_some_and(|o| s.ozg.contains(o))) {
            continue;
        }
        let rank = match &found {
            None => 0,
            Some(_) if words.all_in(&s.folded_name) => 0,
            Some(_) if words.all_in(&s.folded_text) => u32::from(engine::OTHER),
            Some(_) => continue,
        };
        let values = values_of(s);
        let failed = failed_dimensions(f, &values);
        for (d, vals) in values.iter().enumerate() {
            if failed == 0 || failed == 1 << d {
                for (value, label) in vals {
                    if let Some(j) = fx.dims[d].iter().position(|v| v.value == *value) {
                        counts[d][j] += 1;
                    } else if let Some(e) = unindexed[d].iter_mut().find(|(v, _, _)| v == value) {
                        e.2 += 1;
                    } else {
                        unindexed[d].push((value.clone(), label.clone(), 1));
                    }
                }
            }
        }
        if failed == 0 {
            extra.push((s, rank));
        }
    }

    let name_order = matches!(sort, ServiceSort::Name) || (matches!(sort, ServiceSort::Relevance) && found.is_none());
    let (skip, take) = page.window();
    let (page_hits, total): (Vec<&ServiceEntry>, usize) = if name_order && extra.is_empty() {
        // Already in order: the snapshot keeps the services by name. Only the page is taken.
        let by_name: &mut dyn Iterator<Item = &u32> = if descending { &mut fx.by_name.iter().rev() } else { &mut fx.by_name.iter() };
        let hits = by_name.filter(|&&i| all.has(i as usize)).skip(skip).take(take).map(|&i| &*c.services[i as usize]).collect();
        (hits, all.count())
    } else {
        let rank = |i: usize| found.as_ref().map_or(0, |fd| fd.rank[i]);
        // Each order is made total by the place in this list (the published in catalogue
        // order, then the working copies): the page is that of a stable sort, and descending
        // its reverse.
        let mut placed: Vec<(usize, &ServiceEntry, u32)> = Vec::with_capacity(all.count() + extra.len());
        let published = (0..fx.len).filter(|&i| all.has(i)).map(|i| (&*c.services[i], rank(i)));
        placed.extend(published.chain(extra).enumerate().map(|(at, (s, r))| (at, s, r)));
        let order = |(ia, sa, ra): &(usize, &ServiceEntry, u32), (ib, sb, rb): &(usize, &ServiceEntry, u32)| {
            let by = match sort {
                ServiceSort::Relevance => ra.cmp(rb).then_with(|| sa.folded_name.cmp(&sb.folded_name)),
                ServiceSort::Name => sa.folded_name.cmp(&sb.folded_name),
                ServiceSort::Reifegrad => sa.detail.service.reifegrad.cmp(&sb.detail.service.reifegrad).then_with(|| sb.folded_name.cmp(&sa.folded_name)),
                ServiceSort::UpdatedAt => (sa.detail.updated_at, &sa.detail.service.id).cmp(&(sb.detail.updated_at, &sb.detail.service.id)),
            }
            .then(ia.cmp(ib));
            if descending { by.reverse() } else { by }
        };
        let total = placed.len();
        // Only the entries up to the end of the page are put in order.
        let end = skip.saturating_add(take).min(total);
        if end == 0 {
            placed.clear();
        } else if end < total {
            placed.select_nth_unstable_by(end - 1, order);
            placed.truncate(end);
        }
        placed.sort_unstable_by(order);
        let page_hits = placed.into_iter().skip(skip).map(|(_, s, _)| s).collect();
        (page_hits, total)
    };
    let matched = Matched::of(found, &c.search.services, &q);
    // Lists of seeded dimensions keep every value in their order; the others only the values
    // met, most first. Strings are copied for those alone.
    let mut lists = counts.into_iter().zip(unindexed).enumerate().map(|(d, (counted, more))| {
        let seeded = fx.seeded[d];
        let mut values: Vec<FacetValue> = fx.dims[d]
            .iter()
            .zip(counted)
            .filter(|&(_, n)| seeded || n > 0)
            .map(|(v, count)| FacetValue { value: Cow::Borrowed(&v.value), label: Cow::Borrowed(&v.label), count, json: Some(&v.json) })
            .chain(more.into_iter().map(|(value, label, count)| FacetValue { value: value.into(), label: label.into(), count, json: None }))
            .collect();
        if !seeded {
            values.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
        }
        values
    });
    let mut next = || lists.next().unwrap_or_default();
    let facets = Facets {
        themenfeld: next(),
        provider: next(),
        lead_land: next(),
        status: next(),
        reifegrad: next(),
        anbindung: next(),
        price_model: next(),
        efa: next(),
    };
    ServiceHits { page: page_hits, total, facets, matched }
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
