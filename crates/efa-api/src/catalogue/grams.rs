//! A trigram index over folded texts. A word can only occur in a text that holds every
//! three-byte window of the word, so intersecting the windows' bitsets leaves the few texts
//! worth checking with `contains`. The index narrows, it never decides: results stay exact,
//! because every candidate is still checked against the text itself.

use super::query::Words;
use std::collections::HashMap;

#[derive(Debug, Default, Clone)]
pub struct Grams {
    /// u64 blocks per bitset.
    blocks: usize,
    sets: HashMap<[u8; 3], Box<[u64]>>,
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
        let blocks = texts.len().div_ceil(64).max(1);
        let mut sets: HashMap<[u8; 3], Box<[u64]>> = HashMap::new();
        for (i, t) in texts.iter().enumerate() {
            for g in windows(t) {
                sets.entry(g).or_insert_with(|| vec![0; blocks].into_boxed_slice())[i / 64] |= 1 << (i % 64);
            }
        }
        Grams { blocks, sets }
    }

    /// The entries whose text may contain every word.
    pub fn candidates(&self, words: &Words) -> Candidates {
        let mut acc: Option<Vec<u64>> = None;
        for w in words.iter() {
            for g in windows(w) {
                let Some(set) = self.sets.get(&g) else { return Candidates(Some(vec![0; self.blocks])) };
                match &mut acc {
                    None => acc = Some(set.to_vec()),
                    Some(a) => a.iter_mut().zip(set.iter()).for_each(|(x, y)| *x &= y),
                }
            }
        }
        Candidates(acc)
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
    fn union_keeps_both_sides() {
        let g = Grams::build(["alpha", "beta", "gamma"]);
        let c = g.candidates(&Words::parse("alp")).or(g.candidates(&Words::parse("gam")));
        assert_eq!(c.indices().unwrap(), vec![0, 2]);
    }
}
