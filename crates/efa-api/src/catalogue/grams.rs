//! A trigram index over folded texts. A word can only occur in a text that holds every
//! three-byte window of the word, so intersecting the windows' bitsets leaves the few texts
//! worth checking with `contains`. The index narrows, it never decides: results stay exact,
//! because every candidate is still checked against the text itself.

use super::query::Words;
use std::collections::HashMap;

/// Up to this many texts a window's entries are a bitset (intersections are a few word-wise
/// ANDs); beyond, a sorted list (a bitset per window over 22,000 organisation names would
/// cost megabytes, while most windows occur in few names).
const DENSE_UP_TO: usize = 4096;

#[derive(Debug, Default, Clone)]
pub struct Grams {
    /// How many texts are indexed.
    len: usize,
    dense: HashMap<[u8; 3], Box<[u64]>>,
    sparse: HashMap<[u8; 3], Box<[u32]>>,
}

/// Entries that may match a query. `None` stands for every entry: no word was long
/// enough to look up.
#[derive(Debug, Clone)]
pub struct Candidates(Option<Vec<u64>>);

impl Candidates {
    pub fn all() -> Candidates {
        Candidates(None)
    }

    pub fn may(&self, i: usize) -> bool {
        match &self.0 {
            None => true,
            Some(bits) => bits.get(i / 64).is_some_and(|b| b & (1 << (i % 64)) != 0),
        }
    }

    /// Entries that may match here or there.
    pub fn or(self, other: Candidates) -> Candidates {
        match (self.0, other.0) {
            (Some(mut a), Some(b)) => {
                for (x, y) in a.iter_mut().zip(b) {
                    *x |= y;
                }
                Candidates(Some(a))
            }
            _ => Candidates(None),
        }
    }

    /// The candidate indices in ascending order, or `None` for all.
    pub fn indices(&self) -> Option<Vec<usize>> {
        let bits = self.0.as_ref()?;
        let mut out = Vec::new();
        for (b, &word) in bits.iter().enumerate() {
            let mut w = word;
            while w != 0 {
                out.push(b * 64 + w.trailing_zeros() as usize);
                w &= w - 1;
            }
        }
        Some(out)
    }
}

fn windows(text: &str) -> impl Iterator<Item = [u8; 3]> + '_ {
    text.as_bytes().windows(3).map(|w| [w[0], w[1], w[2]])
}

impl Grams {
    pub fn build<'a>(texts: impl IntoIterator<Item = &'a str>) -> Grams {
        let texts: Vec<&str> = texts.into_iter().collect();
        let len = texts.len();
        if len <= DENSE_UP_TO {
            let blocks = len.div_ceil(64).max(1);
            let mut dense: HashMap<[u8; 3], Box<[u64]>> = HashMap::new();
            for (i, t) in texts.iter().enumerate() {
                for g in windows(t) {
                    dense.entry(g).or_insert_with(|| vec![0; blocks].into_boxed_slice())[i / 64] |= 1 << (i % 64);
                }
            }
            return Grams { len, dense, sparse: HashMap::new() };
        }
        let mut sparse: HashMap<[u8; 3], Vec<u32>> = HashMap::new();
        for (i, t) in texts.iter().enumerate() {
            let i = u32::try_from(i).expect("fewer than 2^32 texts");
            for g in windows(t) {
                let list = sparse.entry(g).or_default();
                // Texts come in order: a repeated window of the same text is the last entry.
                if list.last() != Some(&i) {
                    list.push(i);
                }
            }
        }
        Grams { len, dense: HashMap::new(), sparse: sparse.into_iter().map(|(g, l)| (g, l.into_boxed_slice())).collect() }
    }

    /// The entries whose text may contain every word.
    pub fn candidates(&self, words: &Words) -> Candidates {
        let blocks = self.len.div_ceil(64).max(1);
        let grams: Vec<[u8; 3]> = words.iter().flat_map(windows).collect();
        if grams.is_empty() {
            return Candidates(None);
        }
        if self.len <= DENSE_UP_TO {
            let mut acc = vec![u64::MAX; blocks];
            for g in &grams {
                let Some(set) = self.dense.get(g) else { return Candidates(Some(vec![0; blocks])) };
                acc.iter_mut().zip(set.iter()).for_each(|(x, y)| *x &= y);
            }
            return Candidates(Some(acc));
        }
        let mut lists: Vec<&[u32]> = Vec::with_capacity(grams.len());
        for g in &grams {
            match self.sparse.get(g) {
                Some(l) => lists.push(l),
                None => return Candidates(Some(vec![0; blocks])),
            }
        }
        // Intersect, shortest list first.
        lists.sort_by_key(|l| l.len());
        let mut acc: Vec<u32> = lists[0].to_vec();
        for l in &lists[1..] {
            acc.retain(|i| l.binary_search(i).is_ok());
        }
        let mut bits = vec![0u64; blocks];
        for i in acc {
            bits[i as usize / 64] |= 1 << (i % 64);
        }
        Candidates(Some(bits))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exact(texts: &[&str], q: &str) -> Vec<usize> {
        let w = Words::parse(q);
        texts.iter().enumerate().filter(|(_, t)| w.all_in(t)).map(|(i, _)| i).collect()
    }

    #[test]
    fn candidates_hold_every_match_and_prune_the_rest() {
        let texts: Vec<String> = (0..200).map(|i| format!("leistung {i} wohngeld{}", if i % 7 == 0 { " antrag" } else { "" })).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let g = Grams::build(refs.iter().copied());
        for q in ["antrag", "wohngeld antrag", "ng 1", "zzz", "a", "leistung 13"] {
            let want = exact(&refs, q);
            let c = g.candidates(&Words::parse(q));
            for &i in &want {
                assert!(c.may(i), "{q}: match {i} was pruned");
            }
            if q == "antrag" {
                assert_eq!(c.indices().unwrap(), want, "every window present only in the matches");
            }
            if q == "zzz" {
                assert_eq!(c.indices().unwrap(), Vec::<usize>::new());
            }
            if q == "a" {
                assert!(c.indices().is_none(), "a one-letter word cannot be looked up");
            }
        }
    }

    #[test]
    fn many_texts_use_lists_with_the_same_answers() {
        let texts: Vec<String> = (0..5000).map(|i| format!("gemeinde {i} {}", if i % 97 == 0 { "wohngeld" } else { "bauantrag" })).collect();
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        let g = Grams::build(refs.iter().copied());
        assert!(g.dense.is_empty() && !g.sparse.is_empty(), "5,000 texts are indexed with lists");
        for q in ["wohngeld", "bauantrag 12", "gemeinde 4999", "zzz", "97"] {
            let want = exact(&refs, q);
            let c = g.candidates(&Words::parse(q));
            assert!(want.iter().all(|&i| c.may(i)), "{q}: a match was pruned");
            if q == "wohngeld" {
                assert_eq!(c.indices().unwrap(), want);
            }
        }
    }

    #[test]
    fn union_keeps_both_sides() {
        let g = Grams::build(["alpha", "beta", "gamma"]);
        let c = g.candidates(&Words::parse("alp")).or(g.candidates(&Words::parse("gam")));
        assert_eq!(c.indices().unwrap(), vec![0, 2]);
    }
}
