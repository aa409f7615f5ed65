//! Filters and facet counts over the published services as bitsets, made once per snapshot.
//!
//! For each filter dimension and value the snapshot keeps the set of services having it. A
//! request ANDs, per dimension, the union of its selected values' sets; a dimension's counts
//! are each value's set intersected with every *other* dimension's selection (as a shop shows
//! them) — a few hundred word-wise ANDs and population counts instead of a pass over every
//! service with string comparisons.
//!
//! Which values a service has ([`values_of`]) and which values a filter selects ([`selects`])
//! are written once: the bitsets are made from the first, the masks from the second, and the
//! viewer's own working copies (not in the bitsets) are counted with the same two functions.

use super::query::ServiceFilter;
use super::{Catalogue, ServiceEntry};
use efa_domain::{Anbindung, PriceModel, ServiceStatus};
use std::collections::{HashMap, HashSet};

pub const DIMENSIONS: usize = 8;
pub const THEMENFELD: usize = 0;
pub const PROVIDER: usize = 1;
pub const LEAD_LAND: usize = 2;
pub const STATUS: usize = 3;
pub const REIFEGRAD: usize = 4;
pub const ANBINDUNG: usize = 5;
pub const PRICE_MODEL: usize = 6;
pub const EFA: usize = 7;

/// A set of service indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bits(Box<[u64]>);

impl Bits {
    pub fn empty(len: usize) -> Bits {
        Bits(vec![0; len.div_ceil(64)].into_boxed_slice())
    }

    pub fn full(len: usize) -> Bits {
        let mut b = Bits(vec![u64::MAX; len.div_ceil(64)].into_boxed_slice());
        if len % 64 != 0 {
            if let Some(last) = b.0.last_mut() {
                *last = (1u64 << (len % 64)) - 1;
            }
        }
        b
    }

    pub fn set(&mut self, i: usize) {
        self.0[i / 64] |= 1 << (i % 64);
    }

    pub fn clear(&mut self, i: usize) {
        self.0[i / 64] &= !(1 << (i % 64));
    }

    pub fn has(&self, i: usize) -> bool {
        self.0.get(i / 64).is_some_and(|w| w & (1 << (i % 64)) != 0)
    }

    pub fn and(&mut self, other: &Bits) {
        self.0.iter_mut().zip(other.0.iter()).for_each(|(a, b)| *a &= b);
    }

    pub fn or(&mut self, other: &Bits) {
        self.0.iter_mut().zip(other.0.iter()).for_each(|(a, b)| *a |= b);
    }

    pub fn count(&self) -> usize {
        self.0.iter().map(|w| w.count_ones() as usize).sum()
    }

    pub fn count_and(&self, other: &Bits) -> usize {
        self.0.iter().zip(other.0.iter()).map(|(a, b)| (a & b).count_ones() as usize).sum()
    }
}

/// One value of a dimension: what the filter parameter takes, its label, the services having it.
#[derive(Debug, Clone)]
pub struct ValueSet {
    pub value: String,
    pub label: String,
    pub bits: Bits,
    /// The start of its JSON in a facet list, up to the count: `{"value":…,"label":…,"count":`.
    pub json: Box<str>,
}

impl ValueSet {
    fn new(value: String, label: String, len: usize) -> ValueSet {
        let json = format!("{{\"value\":{},\"label\":{},\"count\":", serde_json::Value::from(value.as_str()), serde_json::Value::from(label.as_str())).into_boxed_str();
        ValueSet { value, label, bits: Bits::empty(len), json }
    }
}

/// Per dimension its values (those every list shows first, then the rest as met), and the
/// published services in name order.
#[derive(Debug, Default)]
pub struct FacetIndex {
    pub len: usize,
    pub dims: Vec<Vec<ValueSet>>,
    /// Per dimension: whether its list shows every value, 0 counts too ([`seeded`]).
    pub seeded: Vec<bool>,
    /// Indices into `Catalogue::services`, by folded name.
    pub by_name: Vec<u32>,
    /// Organisations with working copies: their own views need the per-entry path for those.
    pub draft_orgs: HashSet<String>,
}

/// The values every facet list shows, with a count of 0 where no service has them.
pub fn seeded(d: usize) -> Vec<(String, String)> {
    let names = |all: &[&'static str]| all.iter().map(|s| ((*s).to_owned(), (*s).to_owned())).collect();
    match d {
        STATUS => names(&ServiceStatus::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        REIFEGRAD => (0..=4u8).map(|n| (n.to_string(), n.to_string())).collect(),
        ANBINDUNG => names(&Anbindung::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        PRICE_MODEL => names(&PriceModel::ALL.iter().map(|s| s.as_str()).collect::<Vec<_>>()),
        EFA => names(&["true", "false"]),
        _ => Vec::new(),
    }
}

/// The values a service has in each dimension, as (value, label).
pub fn values_of(s: &ServiceEntry) -> [Vec<(String, String)>; DIMENSIONS] {
    let v = &s.detail.service;
    let same = |x: &str| (x.to_owned(), x.to_owned());
    [
        s.detail.themenfelder.iter().map(|t| (t.id.to_string(), t.name.clone())).collect(),
        vec![(v.provider.id.clone(), v.provider.name.clone())],
        v.lead_land.iter().map(|l| (l.code.clone(), l.name.clone())).collect(),
        v.status.iter().map(|st| same(st.as_str())).collect(),
        v.reifegrad.iter().map(|r| same(&r.to_string())).collect(),
        v.anbindung.iter().map(|a| same(a.as_str())).collect(),
        v.price_model.iter().map(|p| same(p.as_str())).collect(),
        vec![same(if v.efa { "true" } else { "false" })],
    ]
}

/// Whether the filter restricts dimension `d`.
pub fn active(f: &ServiceFilter, d: usize) -> bool {
    match d {
        THEMENFELD => !f.themenfeld.is_empty(),
        PROVIDER => !f.provider.is_empty(),
        LEAD_LAND => !f.lead_land.is_empty(),
        STATUS => !f.status.is_empty(),
        REIFEGRAD => f.reifegrad_min.is_some(),
        ANBINDUNG => !f.anbindung.is_empty(),
        PRICE_MODEL => !f.price_model.is_empty(),
        _ => f.efa.is_some(),
    }
}

/// Whether the (active) filter of dimension `d` takes `value`.
pub fn selects(f: &ServiceFilter, d: usize, value: &str) -> bool {
    match d {
        THEMENFELD => f.themenfeld.iter().any(|t| t.to_string() == value),
        PROVIDER => f.provider.iter().any(|p| p == value),
        LEAD_LAND => f.lead_land.iter().any(|l| l == value),
        STATUS => f.status.iter().any(|s| s.as_str() == value),
        REIFEGRAD => f.reifegrad_min.is_some_and(|min| value.parse::<u8>().is_ok_and(|r| r >= min)),
        ANBINDUNG => f.anbindung.iter().any(|a| a.as_str() == value),
        PRICE_MODEL => f.price_model.iter().any(|p| p.as_str() == value),
        _ => f.efa.is_some_and(|e| (value == "true") == e),
    }
}

/// Bit d set ⇔ the entry fails the filter of dimension d.
pub fn failed_dimensions(f: &ServiceFilter, values: &[Vec<(String, String)>; DIMENSIONS]) -> u32 {
    (0..DIMENSIONS).filter(|&d| active(f, d) && !values[d].iter().any(|(v, _)| selects(f, d, v))).fold(0, |m, d| m | 1 << d)
}

impl FacetIndex {
    pub fn build(c: &Catalogue) -> FacetIndex {
        let len = c.services.len();
        let mut dims: Vec<Vec<ValueSet>> = (0..DIMENSIONS).map(|d| seeded(d).into_iter().map(|(value, label)| ValueSet::new(value, label, len)).collect()).collect();
        let mut place: Vec<HashMap<String, usize>> = dims.iter().map(|vs| vs.iter().enumerate().map(|(i, v)| (v.value.clone(), i)).collect()).collect();
        for (i, s) in c.services.iter().enumerate() {
            for (d, values) in values_of(s).into_iter().enumerate() {
                for (value, label) in values {
                    let j = *place[d].entry(value.clone()).or_insert_with(|| {
                        dims[d].push(ValueSet::new(value, label, len));
                        dims[d].len() - 1
                    });
                    dims[d][j].bits.set(i);
                }
            }
        }
        let mut by_name: Vec<u32> = (0..len as u32).collect();
        by_name.sort_by(|&a, &b| c.services[a as usize].folded_name.cmp(&c.services[b as usize].folded_name));
        let draft_orgs = c.drafts.iter().map(|d| d.detail.service.provider.id.clone()).collect();
        let seeded = (0..DIMENSIONS).map(|d| !seeded(d).is_empty()).collect();
        FacetIndex { len, dims, seeded, by_name, draft_orgs }
    }

    /// Per dimension, the services its filter lets through (all when inactive).
    pub fn masks(&self, f: &ServiceFilter) -> Vec<Bits> {
        (0..DIMENSIONS)
            .map(|d| {
                if !active(f, d) {
                    return Bits::full(self.len);
                }
                let mut m = Bits::empty(self.len);
                for v in self.dims[d].iter().filter(|v| selects(f, d, &v.value)) {
                    m.or(&v.bits);
                }
                m
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bitsets_count_and_intersect() {
        let mut a = Bits::empty(130);
        let b = Bits::full(130);
        assert_eq!(b.count(), 130, "the last word holds only the 2 bits past 128");
        for i in [0, 63, 64, 129] {
            a.set(i);
        }
        assert_eq!(a.count_and(&b), 4);
        a.clear(63);
        assert!(!a.has(63) && a.has(64));
        let mut c = b.clone();
        c.and(&a);
        assert_eq!(c, a);
    }
}
