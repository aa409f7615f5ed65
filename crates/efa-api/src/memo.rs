//! A bounded memo of answers that can always be recomputed: the search engine's kept searches
//! and the verifier's checked tokens. Two generations stand in for least-recently-used: when
//! the young one is full it becomes the old one (the previous old one is dropped), and an
//! answer found in the old one moves to the young one. Each process keeps its own, and nothing
//! in it is a fact only this process knows: a miss recomputes the same answer.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

#[derive(Debug)]
pub struct Memo<V> {
    young: HashMap<Box<str>, V>,
    old: HashMap<Box<str>, V>,
}

impl<V> Default for Memo<V> {
    fn default() -> Self {
        Memo { young: HashMap::new(), old: HashMap::new() }
    }
}

impl<V: Clone> Memo<V> {
    /// The kept answer for `key`; `half` is the size of a generation (as for [`Memo::put`]).
    pub fn get(&mut self, key: &str, half: usize) -> Option<V> {
        if let Some(v) = self.young.get(key) {
            return Some(v.clone());
        }
        let (k, v) = self.old.remove_entry(key)?;
        self.put(k, v.clone(), half);
        Some(v)
    }

    /// Keeps `value` for `key` in a memo of at most `2 * half` answers; `half == 0` keeps none.
    pub fn put(&mut self, key: Box<str>, value: V, half: usize) {
        if half == 0 {
            return;
        }
        if self.young.len() >= half {
            self.old = std::mem::take(&mut self.young);
        }
        self.young.insert(key, value);
    }
}

/// The answer kept in `memo` for `key`, or `compute`d (outside the lock, so that other
/// requests are not held up by it) and kept.
pub fn kept<V>(memo: &Mutex<Memo<Arc<V>>>, key: &str, half: usize, compute: impl FnOnce() -> V) -> Arc<V> {
    let lock = || memo.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(v) = lock().get(key, half) {
        return v;
    }
    let v = Arc::new(compute());
    lock().put(key.into(), v.clone(), half);
    v
}

#[cfg(test)]
mod tests {
    use super::Memo;

    #[test]
    fn the_memo_keeps_two_generations() {
        let half = 4;
        let mut memo = Memo::default();
        for i in 0..=half {
            memo.put(format!("q{i}").into(), i, half);
        }
        assert_eq!((memo.old.len(), memo.young.len()), (half, 1), "a full young generation became the old one");
        assert_eq!(memo.get("q0", half), Some(0), "the old generation still answers");
        assert!(memo.young.contains_key("q0") && !memo.old.contains_key("q0"), "and what it answered moves to the young one");
        for i in 0..2 * half {
            memo.put(format!("r{i}").into(), i, half);
        }
        assert_eq!(memo.get("q1", half), None, "two generations later an answer is gone");
        memo.put("kept".into(), 1, 0);
        assert_eq!(memo.get("kept", 0), None, "a memo of size 0 keeps nothing");
    }
}
