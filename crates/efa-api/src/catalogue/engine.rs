//! The search engine behind every `q` over the catalogue: OZG-Leistungen and online services.
//!
//! Texts and queries are cut into words in one *plain* form: folded (case, ß, accents,
//! umlauts spelled out, see [`fold`]) and then with the spelled-out umlauts taken back to
//! their vowel (ae → a, oe → o, ue → u), so that "Führerschein", "Fuehrerschein" and
//! "Fuhrerschein" are one word. Each index keeps its vocabulary sorted, with the German
//! Snowball stem of every word, a trigram index over the words (for words inside compounds)
//! and, per word, the documents and the best field it occurs in.
//!
//! A query word matches vocabulary words of five kinds, ranked in this order:
//!
//! 1. **exact**: the same plain word;
//! 2. **prefix**: a word that starts with it (query words of 3 letters or more);
//! 3. **stem**: a word of the same stem ("Hunde" → "Hund", "Anmeldung" → "anmelden");
//! 4. **part**: a compound holding it or its stem ("fällen" → "Baumfällgenehmigung",
//!    4 letters or more), or, for a query word that is itself an unknown compound, its parts
//!    ("Sperrmüllentsorgung" → "Sperrmüll" + "Entsorgung", both required);
//! 5. **corrected**: only when a word has none of kinds 1–3: words one edit away from 5
//!    letters, two from 9 (insertions, deletions, substitutions, swapped neighbours).
//!
//! Synonyms and abbreviations (seed-data `suchsynonyme.csv`) add what they stand for as
//! an alternative: "Hartz IV" matches where "Hartz IV" or "Arbeitslosengeld II" does.
//! Common function words ("und", "für", "von", …) are neither indexed nor searched.
//!
//! **Not every word must match.** Documents rank first by how many query terms they match.
//! A term found in more than a tenth of the documents (e.g. "beantragen") makes no result on
//! its own: a document must also match a rarer term (unless all terms are that common). So
//! "Parkausweis beantragen" lists the Parkausweise, and not everything one can apply for.
//!
//! **Ranking**, one criterion after the other (as Meilisearch orders its rules: words, typo,
//! attribute, exactness): fewer terms dropped; fewer corrected terms; better fields, summed
//! over the terms (name > linked names, i.e. LeiKa names or the OZG-Leistungen a service
//! implements > other text: Lebenslage, Themenfeld, description, provider); better kinds of
//! match, summed (exact > prefix > stem > part); then the caller's tie-breaks (name starting
//! with the first word, shorter name).
//! When nothing matches, [`TextIndex::suggest`] proposes the nearest words ("meinten Sie …?").

use super::grams::Grams;
use super::query::Words;
use efa_domain::fold;
use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

/// Fields of a document, best first.
pub const NAME: u8 = 0;
pub const LINKED: u8 = 1;
pub const OTHER: u8 = 2;

/// Kinds of match, best first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    Exact = 0,
    Prefix = 1,
    Stem = 2,
    Part = 3,
    Corrected = 4,
}

/// At most this many query terms are looked at (a query is at most 200 characters).
const MAX_TERMS: usize = 10;

/// Words too common to tell documents apart.
const STOP_WORDS: &[&str] = &[
    "am", "an", "auf", "aus", "bei", "beim", "das", "dem", "den", "der", "des", "die", "ein", "eine", "einem", "einen", "einer", "eines", "fur", "im", "in", "mit", "nach",
    "oder", "sowie", "uber", "und", "vom", "von", "zu", "zum", "zur",
];

fn is_stop(w: &str) -> bool {
    STOP_WORDS.binary_search(&w).is_ok()
}

/// The plain form of a text: folded, umlauts back to their vowel; words separated by one space.
pub fn plain(text: &str) -> String {
    let f = fold(text);
    let mut out = String::with_capacity(f.len());
    let mut chars = f.chars().peekable();
    while let Some(c) = chars.next() {
        out.push(c);
        if matches!(c, 'a' | 'o' | 'u') && chars.peek() == Some(&'e') {
            chars.next();
        }
    }
    out
}

/// The plain words of a text, without function words.
pub fn words(text: &str) -> Vec<String> {
    plain(text).split(' ').filter(|w| !w.is_empty() && !is_stop(w)).map(str::to_owned).collect()
}

fn stemmer() -> &'static rust_stemmers::Stemmer {
    static S: OnceLock<rust_stemmers::Stemmer> = OnceLock::new();
    S.get_or_init(|| rust_stemmers::Stemmer::create(rust_stemmers::Algorithm::German))
}

pub fn stem(word: &str) -> String {
    stemmer().stem(word).into_owned()
}

/// Letters present in a word, one bit each: an edit changes at most two of them.
fn letter_mask(w: &str) -> u32 {
    w.bytes().fold(0, |m, b| {
        m | match b {
            b'a'..=b'z' => 1 << (b - b'a'),
            b'0'..=b'9' => 1 << 26,
            _ => 1 << 27,
        }
    })
}

/// Edits from `a` to `b` (optimal string alignment: a swap of neighbours is one edit), or
/// `None` when more than `max`.
fn distance(a: &[u8], b: &[u8], max: usize) -> Option<usize> {
    if a.len().abs_diff(b.len()) > max {
        return None;
    }
    let n = b.len();
    // Three rows of the table; on the stack for words of up to 63 letters (all but a few).
    let mut stack = [0usize; 3 * 64];
    let mut heap = Vec::new();
    let rows: &mut [usize] = if n < 64 {
        &mut stack[..3 * (n + 1)]
    } else {
        heap.resize(3 * (n + 1), 0);
        &mut heap
    };
    let (prev2, rest) = rows.split_at_mut(n + 1);
    let (prev, cur) = rest.split_at_mut(n + 1);
    let (mut prev2, mut prev, mut cur) = (prev2, prev, cur);
    prev.iter_mut().enumerate().for_each(|(j, v)| *v = j);
    for i in 1..=a.len() {
        cur[0] = i;
        let mut row_min = cur[0];
        for j in 1..=n {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut v = (prev[j] + 1).min(cur[j - 1] + 1).min(prev[j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                v = v.min(prev2[j - 2] + 1);
            }
            cur[j] = v;
            row_min = row_min.min(v);
        }
        if row_min > max {
            return None;
        }
        std::mem::swap(&mut prev2, &mut prev);
        std::mem::swap(&mut prev, &mut cur);
    }
    Some(prev[n]).filter(|&d| d <= max)
}

/// Edits a word of this many letters may be away from what it means.
fn typos_allowed(len: usize) -> usize {
    match len {
        0..=4 => 0,
        5..=8 => 1,
        _ => 2,
    }
}

/// A term's score in a document, lower is better: a corrected word below every other, then
/// the field, then the kind of match.
fn score(kind: Kind, field: u8) -> u8 {
    u8::from(kind == Kind::Corrected) * 16 + field * 5 + kind as u8
}

/// (corrected, field, kind) of a [`score`].
fn unscore(s: u8) -> (u32, u32, u32) {
    (u32::from(s / 16), u32::from(s % 16 / 5), u32::from(s % 5))
}

/// One document's occurrence of a word: in its best field.
#[derive(Debug, Clone, Copy)]
struct Posting {
    doc: u32,
    field: u8,
}

/// An index over documents of up to three fields.
#[derive(Debug, Default)]
pub struct TextIndex {
    docs: usize,
    /// Sorted; a word's id is its place here.
    words: Vec<Box<str>>,
    masks: Vec<u32>,
    postings: Vec<Box<[Posting]>>,
    by_stem: HashMap<Box<str>, Vec<u32>>,
    /// Word ids by length (bytes), for corrections.
    by_len: Vec<Vec<u32>>,
    /// Trigrams of the words, for words inside compounds.
    grams: Grams,
    /// Recent searches of this index and what they found ([`Memo`]).
    memo: Mutex<Memo>,
}

/// Searches kept per index, at most (in two generations of half as many): set by
/// `efa serve --search-memo` ([`set_memo_entries`]); 0 keeps none.
static MEMO_ENTRIES: AtomicUsize = AtomicUsize::new(512);

/// How many searches each index keeps ([`Memo`]); 0 turns keeping off.
pub fn set_memo_entries(n: usize) {
    MEMO_ENTRIES.store(n, Ordering::Relaxed);
}

/// Recent searches of one index with what they found, as Solr keeps its query results per
/// searcher: an index never changes, so an answer stays right for as long as the index
/// lives, and a new snapshot brings new indexes with empty memos — nothing is ever stale.
type Memo = crate::memo::Memo<Arc<Found>>;

/// The size of a generation of each index's [`Memo`].
fn memo_half() -> usize {
    MEMO_ENTRIES.load(Ordering::Relaxed) / 2
}

impl TextIndex {
    /// `docs[i]` holds document i's texts per field ([`NAME`], [`LINKED`], [`OTHER`]).
    pub fn build<'a, D, F>(docs: D) -> TextIndex
    where
        D: IntoIterator<Item = F>,
        F: IntoIterator<Item = (u8, &'a str)>,
    {
        let tokens: Vec<Vec<(u8, String)>> = docs.into_iter().map(|fields| fields.into_iter().flat_map(|(field, text)| words(text).into_iter().map(move |w| (field, w))).collect()).collect();
        TextIndex::from_words(tokens.iter().map(|doc| doc.iter().map(|(f, w)| (*f, w.as_str()))))
    }

    /// From documents already cut into plain words ([`words`]): texts many documents share
    /// (the names of an OZG-Leistung linked from every service implementing it) are cut once.
    pub fn from_words<'w, D, F>(docs: D) -> TextIndex
    where
        D: IntoIterator<Item = F>,
        F: IntoIterator<Item = (u8, &'w str)>,
    {
        let mut occ: HashMap<&'w str, Vec<Posting>> = HashMap::new();
        let mut n = 0usize;
        for (d, fields) in docs.into_iter().enumerate() {
            n = d + 1;
            let doc = u32::try_from(d).expect("fewer than 2^32 documents");
            for (field, w) in fields {
                let list = occ.entry(w).or_default();
                match list.last_mut() {
                    Some(p) if p.doc == doc => p.field = p.field.min(field),
                    _ => list.push(Posting { doc, field }),
                }
            }
        }
        let mut entries: Vec<(&str, Vec<Posting>)> = occ.into_iter().collect();
        entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
        let mut idx = TextIndex { docs: n, ..TextIndex::default() };
        for (id, (w, p)) in entries.into_iter().enumerate() {
            let id = id as u32;
            idx.by_stem.entry(stem(w).into_boxed_str()).or_default().push(id);
            if idx.by_len.len() <= w.len() {
                idx.by_len.resize(w.len() + 1, Vec::new());
            }
            idx.by_len[w.len()].push(id);
            idx.masks.push(letter_mask(w));
            idx.postings.push(p.into_boxed_slice());
            idx.words.push(w.into());
        }
        idx.grams = Grams::build(idx.words.iter().map(|w| &**w));
        idx
    }

    pub fn docs(&self) -> usize {
        self.docs
    }

    pub fn vocabulary(&self) -> usize {
        self.words.len()
    }

    fn id(&self, w: &str) -> Option<u32> {
        self.words.binary_search_by(|x| (**x).cmp(w)).ok().map(|i| i as u32)
    }

    fn known(&self, w: &str) -> bool {
        self.id(w).is_some() || self.by_stem.contains_key(stem(w).as_str())
    }

    /// The vocabulary words a query word matches, each with its kind.
    fn expand(&self, w: &str) -> Vec<(u32, Kind)> {
        let mut out: Vec<(u32, Kind)> = Vec::new();
        let mut seen: HashSet<u32> = HashSet::new();
        let mut add = |out: &mut Vec<(u32, Kind)>, id: u32, k: Kind| {
            if seen.insert(id) {
                out.push((id, k));
            }
        };
        if let Some(id) = self.id(w) {
            add(&mut out, id, Kind::Exact);
        }
        if w.len() >= 3 {
            let from = self.words.partition_point(|x| &**x < w);
            for (i, x) in self.words[from..].iter().enumerate() {
                if !x.starts_with(w) {
                    break;
                }
                add(&mut out, (from + i) as u32, Kind::Prefix);
            }
        }
        let s = stem(w);
        for &id in self.by_stem.get(s.as_str()).into_iter().flatten() {
            add(&mut out, id, Kind::Stem);
        }
        let direct = !out.is_empty();
        for part in [w, s.as_str()] {
            if part.len() >= 4 {
                let may = self.grams.candidates(&Words::from_folded(part));
                for id in may.indices().into_iter().flatten() {
                    if self.words[id].contains(part) {
                        add(&mut out, id as u32, Kind::Part);
                    }
                }
            }
        }
        if !direct {
            for (id, _) in self.corrections(w, typos_allowed(w.len())) {
                add(&mut out, id, Kind::Corrected);
            }
        }
        out
    }

    /// Words at most `max` edits from `w`, with their distance.
    fn corrections(&self, w: &str, max: usize) -> Vec<(u32, usize)> {
        let mut out = Vec::new();
        if max == 0 {
            return out;
        }
        let mask = letter_mask(w);
        let lo = w.len().saturating_sub(max);
        for len in lo..=(w.len() + max).min(self.by_len.len().saturating_sub(1)) {
            for &id in &self.by_len[len] {
                if (self.masks[id as usize] ^ mask).count_ones() as usize > 2 * max {
                    continue;
                }
                if let Some(d) = distance(w.as_bytes(), self.words[id as usize].as_bytes(), max) {
                    out.push((id, d));
                }
            }
        }
        out
    }

    /// Splits of an unknown compound into known words (two, or three through a split second
    /// part), best first: the fewer parts the better, then the longer the shortest part.
    /// Linking letters ("s", "es", "n", "en", "e") may end the first part.
    fn splits(&self, w: &str, depth: u8) -> Vec<Vec<String>> {
        if w.len() < 7 || !w.is_ascii() {
            return Vec::new();
        }
        let mut found: Vec<((usize, std::cmp::Reverse<usize>), Vec<String>)> = Vec::new();
        // The first part is a beginning of `w`, and a stem a beginning of its word (plain
        // words are ASCII: the stemmer only cuts endings): a first part can only have a known
        // stem if one of the known stems begins `w` and is no longer than the part. Bit `l`
        // set: `w[..l]` is a known stem. Most beginnings are then ruled out without stemming.
        let stems_of_w = (1..w.len().min(64)).filter(|&l| self.by_stem.contains_key(&w[..l])).fold(0u64, |m, l| m | 1 << l);
        let known_first = |x: &str| self.id(x).is_some() || (stems_of_w & (u64::MAX >> (63 - x.len().min(63))) != 0 && self.by_stem.contains_key(stem(x).as_str()));
        for i in 3..=w.len() - 3 {
            let (a, b) = w.split_at(i);
            let first = [a, a.strip_suffix("es").unwrap_or(""), a.strip_suffix('s').unwrap_or(""), a.strip_suffix("en").unwrap_or(""), a.strip_suffix('n').unwrap_or(""), a.strip_suffix('e').unwrap_or("")]
                .into_iter()
                .find(|x| x.len() >= 3 && known_first(x));
            let Some(first) = first else { continue };
            let rests = if self.known(b) {
                vec![vec![b.to_owned()]]
            } else if depth > 0 {
                self.splits(b, depth - 1)
            } else {
                Vec::new()
            };
            for rest in rests {
                let shortest = rest.iter().map(String::len).chain([first.len()]).min().unwrap_or(0);
                found.push(((rest.len(), std::cmp::Reverse(shortest)), std::iter::once(first.to_owned()).chain(rest).collect()));
            }
        }
        found.sort();
        found.into_iter().map(|(_, parts)| parts).collect()
    }

    /// Per document, its best score over the words of `matches` ([`score`]); 255 for
    /// documents without any.
    fn scores(&self, matches: &[(u32, Kind)], floor: Kind) -> Vec<u8> {
        let mut best = vec![u8::MAX; self.docs];
        for &(id, kind) in matches {
            let kind = kind.max(floor);
            for p in self.postings[id as usize].iter() {
                let s = score(kind, p.field);
                let b = &mut best[p.doc as usize];
                if s < *b {
                    *b = s;
                }
            }
        }
        best
    }

    /// Per document, the score of one alternative: every word must match; the worst counts.
    fn alternative_scores(&self, words: &[String], floor: Kind) -> (Vec<u8>, Vec<u32>) {
        let mut acc = vec![0u8; self.docs];
        let mut matched = Vec::new();
        for w in words {
            let m = self.expand(w);
            matched.extend(m.iter().map(|&(id, _)| id));
            let s = self.scores(&m, floor);
            acc.iter_mut().zip(s).for_each(|(a, b)| *a = (*a).max(b));
        }
        (acc, matched)
    }

    /// Searches the index, or answers from its memo when the same query was searched lately.
    pub fn search(&self, q: &Query) -> Arc<Found> {
        crate::memo::kept(&self.memo, &q.key(), memo_half(), || self.compute(q))
    }

    fn compute(&self, q: &Query) -> Found {
        let mut terms: Vec<(Vec<u8>, usize)> = Vec::with_capacity(q.terms.len());
        let mut marked: Vec<u32> = Vec::new();
        for t in &q.terms {
            let mut best = vec![u8::MAX; self.docs];
            let mut take = |s: Vec<u8>| best.iter_mut().zip(s).for_each(|(a, b)| *a = (*a).min(b));
            let (s, m) = self.alternative_scores(&t.words, Kind::Exact);
            take(s);
            marked.extend(m);
            if t.words.len() == 1 && self.id(&t.words[0]).is_none() {
                // The three best splits: "fahrzeug|registerauskunft" and "fahrzeugregister|auskunft"
                // are both made of known words; the catalogue decides which occur together.
                for parts in self.splits(&t.words[0], 1).into_iter().take(3) {
                    let (s, m) = self.alternative_scores(&parts, Kind::Part);
                    take(s);
                    marked.extend(m);
                }
            }
            for alt in &t.synonyms {
                let (s, m) = self.alternative_scores(alt, Kind::Exact);
                take(s);
                marked.extend(m);
            }
            let df = best.iter().filter(|&&s| s != u8::MAX).count();
            terms.push((best, df));
        }
        // A term found in more than a tenth of the documents ("beantragen") tells them apart too
        // little to make a result on its own: a document must match a rarer term, unless
        // every term is that common.
        let common = |df: usize| df * 10 > self.docs;
        let all_common = terms.iter().all(|(_, df)| common(*df));
        let mut rank = vec![u32::MAX; self.docs];
        for (d, r) in rank.iter_mut().enumerate() {
            let (mut kept, mut rare) = (0u32, false);
            let (mut corrected, mut fields, mut kinds, mut worst) = (0u32, 0u32, 0u32, 0u32);
            for (s, df) in &terms {
                if s[d] == u8::MAX {
                    continue;
                }
                kept += 1;
                rare |= !common(*df);
                let (c, f, k) = unscore(s[d]);
                corrected += c;
                fields += f;
                kinds += k;
                worst = worst.max(f);
            }
            if kept == 0 || !(all_common || rare) {
                continue;
            }
            let dropped = terms.len() as u32 - kept;
            *r = dropped << 24 | corrected << 20 | fields << 12 | kinds << 4 | worst;
        }
        marked.sort_unstable();
        marked.dedup();
        Found { rank, marked: marked.into_iter().map(|id| self.words[id as usize].clone()).collect() }
    }

    /// "Meinten Sie …?": each query word replaced by the nearest vocabulary word (up to three
    /// edits; among equals the one in most documents); `None` when no word has a neighbour.
    pub fn suggest(&self, q: &Query) -> Option<String> {
        let mut changed = false;
        let mut out = Vec::new();
        for t in &q.terms {
            for w in &t.words {
                let near = self
                    .corrections(w, 3.min(w.len().saturating_sub(2)))
                    .into_iter()
                    .filter(|(id, _)| *self.words[*id as usize] != **w)
                    .min_by_key(|&(id, d)| (d, std::cmp::Reverse(self.postings[id as usize].len()), id));
                match near {
                    Some((id, _)) if self.id(w).is_none() => {
                        changed = true;
                        out.push(self.words[id as usize].to_string());
                    }
                    _ => out.push(w.clone()),
                }
            }
        }
        changed.then(|| out.join(" "))
    }
}

/// What a search found.
#[derive(Debug, Default)]
pub struct Found {
    /// Per document: its rank key (lower is better), `u32::MAX` for no match. Bits from the
    /// top: terms dropped; corrected terms; summed fields; summed kinds; the worst field.
    pub rank: Vec<u32>,
    /// The vocabulary words that matched (plain forms), to mark in result lists.
    pub marked: Vec<Box<str>>,
}

impl Found {
    pub fn is_hit(&self, doc: usize) -> bool {
        self.rank.get(doc).is_some_and(|&r| r != u32::MAX)
    }

    /// The worst field the document needed to match its kept terms.
    pub fn field(&self, doc: usize) -> u8 {
        (self.rank[doc] & 0xf) as u8
    }

    pub fn hits(&self) -> usize {
        self.rank.iter().filter(|&&r| r != u32::MAX).count()
    }
}

/// One query term: a word, or a phrase that a synonym covers.
#[derive(Debug, Clone, Default)]
pub struct Term {
    /// Its words as typed (plain), all required.
    pub words: Vec<String>,
    /// What it stands for, per synonym entry: all words of one required.
    pub synonyms: Vec<Vec<String>>,
}

/// A parsed query.
#[derive(Debug, Clone, Default)]
pub struct Query {
    pub terms: Vec<Term>,
}

impl Query {
    pub fn parse(q: &str, synonyms: &Synonyms) -> Query {
        let mut ws = words(q);
        if ws.is_empty() {
            // A query of function words only is searched as it is.
            ws = plain(q).split(' ').filter(|w| !w.is_empty()).map(str::to_owned).collect();
        }
        let mut terms = Vec::new();
        let mut i = 0;
        while i < ws.len() && terms.len() < MAX_TERMS {
            // The longest phrase starting here that is a synonym entry.
            let found = (1..=synonyms.longest.min(ws.len() - i)).rev().find_map(|n| synonyms.by_phrase.get(&ws[i..i + n].join(" ")).map(|m| (n, m)));
            match found {
                Some((n, means)) => {
                    terms.push(Term { words: ws[i..i + n].to_vec(), synonyms: means.clone() });
                    i += n;
                }
                None => {
                    terms.push(Term { words: vec![ws[i].clone()], synonyms: Vec::new() });
                    i += 1;
                }
            }
        }
        Query { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    /// The query in one string, equal for equal queries (words and what synonyms add).
    fn key(&self) -> String {
        let mut k = String::new();
        for t in &self.terms {
            k.push_str(&t.words.join(" "));
            for alt in &t.synonyms {
                k.push('\u{1}');
                k.push_str(&alt.join(" "));
            }
            k.push('\u{2}');
        }
        k
    }
}

/// The synonym list: phrase (plain words joined by one space) → what it stands for.
#[derive(Debug, Default, Clone)]
pub struct Synonyms {
    by_phrase: HashMap<String, Vec<Vec<String>>>,
    longest: usize,
}

impl Synonyms {
    /// From (term, means) pairs as the seed file has them.
    pub fn new<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> Synonyms {
        let mut s = Synonyms::default();
        for (term, means) in pairs {
            let t = words(term);
            let m = words(means);
            if t.is_empty() || m.is_empty() || t == m {
                continue;
            }
            s.longest = s.longest.max(t.len());
            let e = s.by_phrase.entry(t.join(" ")).or_default();
            if !e.contains(&m) {
                e.push(m);
            }
        }
        s
    }

    pub fn len(&self) -> usize {
        self.by_phrase.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_phrase.is_empty()
    }
}

/// The parts of `text` with the words whose plain form is in `marked` (sorted) flagged, for
/// `<mark>`; neighbouring unmarked parts are one.
pub fn mark<'t>(text: &'t str, marked: &[Box<str>]) -> Vec<(&'t str, bool)> {
    let is_marked = |w: &str| marked.binary_search_by(|m| (**m).cmp(plain(w).as_str())).is_ok();
    // (start, end, marked) of each run.
    let mut runs: Vec<(usize, usize, bool)> = Vec::new();
    let mut word_start: Option<usize> = None;
    for (i, ch) in text.char_indices().chain([(text.len(), ' ')]) {
        if ch.is_alphanumeric() && i < text.len() {
            word_start.get_or_insert(i);
            continue;
        }
        if let Some(s) = word_start.take() {
            runs.push((s, i, is_marked(&text[s..i])));
        }
        if i < text.len() {
            runs.push((i, i + ch.len_utf8(), false));
        }
    }
    let mut out: Vec<(usize, usize, bool)> = Vec::new();
    for r in runs {
        match out.last_mut() {
            Some(last) if !last.2 && !r.2 => last.1 = r.1,
            _ => out.push(r),
        }
    }
    out.into_iter().map(|(s, e, m)| (&text[s..e], m)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An index of `names` (documents 0, 1, …) and 40 unrelated documents after them, so that
    /// a word in one of `names` is rare, as in the catalogue.
    fn index(names: &[&str]) -> TextIndex {
        let filler: Vec<String> = (0..40).map(|i| format!("Sonstiges{i}")).collect();
        TextIndex::build(names.iter().copied().chain(filler.iter().map(String::as_str)).map(|n| [(NAME, n)]))
    }

    fn ranked(idx: &TextIndex, q: &str, syn: &Synonyms) -> Vec<usize> {
        let f = idx.search(&Query::parse(q, syn));
        let mut hits: Vec<usize> = (0..idx.docs()).filter(|&d| f.is_hit(d)).collect();
        assert!(hits.iter().all(|&d| d < idx.docs() - 40), "{q}: a filler document matched");
        hits.sort_by_key(|&d| (f.rank[d], d));
        hits
    }

    #[test]
    fn stop_words_are_sorted_for_lookup() {
        assert!(STOP_WORDS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn plain_forms_meet_across_umlaut_spellings() {
        assert_eq!(plain("Führerschein"), "fuhrerschein");
        assert_eq!(plain("Fuehrerschein"), "fuhrerschein");
        assert_eq!(plain("Fuhrerschein"), "fuhrerschein");
        assert_eq!(plain("Straße"), "strasse");
        assert_eq!(words("Antrag auf Wohngeld für Mieter"), vec!["antrag", "wohngeld", "mieter"]);
    }

    #[test]
    fn distance_counts_swaps_as_one_edit() {
        assert_eq!(distance(b"sterbeurkunde", b"sterbeurkunfe", 2), Some(1));
        assert_eq!(distance(b"wohngeld", b"wohngled", 1), Some(1));
        assert_eq!(distance(b"personalausweis", b"persnalausweis", 2), Some(1));
        assert_eq!(distance(b"abc", b"xyz", 2), None);
        assert_eq!(distance(b"abc", b"abc", 0), Some(0));
        let long = "a".repeat(70);
        assert_eq!(distance(long.as_bytes(), format!("{}b", &long[1..]).as_bytes(), 1), Some(1), "past the stack rows");
    }

    #[test]
    fn stems_are_beginnings_of_plain_words() {
        // `splits` rules out first parts by this: the stemmer only cuts endings of plain words
        // (including u and y between vowels, which it marks while it works).
        for w in ["bauen", "frauen", "treue", "bayern", "mayer", "anmeldungen", "fahrzeugregister", "kinderbetreuung", "ehrlichkeiten", "neuerungen", "gebaeude", "zulassungsbehorde"] {
            let p = plain(w);
            assert!(p.starts_with(&stem(&p)), "{p} → {}", stem(&p));
        }
    }

    #[test]
    fn kinds_rank_exact_prefix_stem_part_corrected() {
        let idx = index(&["Hund", "Hundesteuer", "Hunde", "Kampfhund", "Hand"]);
        let syn = Synonyms::default();
        assert_eq!(ranked(&idx, "hund", &syn), vec![0, 1, 2, 3], "exact, prefix (two), part; no correction beside exact matches");
        // "Hunde" itself is exact; "Hund" has its stem; Hundesteuer is a prefix.
        assert_eq!(ranked(&idx, "hunde", &syn)[0], 2);
        // A typo finds the word one edit away, only when nothing matches directly.
        let idx = index(&["Sterbeurkunde", "Geburtsurkunde"]);
        assert_eq!(ranked(&idx, "sterbeurkunfe", &syn), vec![0]);
        assert!(ranked(&idx, "urkunfe", &syn).is_empty(), "7 letters: one edit would be 'urkunde', which is a part only");
    }

    #[test]
    fn compounds_split_and_join() {
        let idx = index(&["Sperrmüll Entsorgung", "Entsorgung von Altöl", "Baumfällgenehmigung", "Abfallkalender"]);
        let syn = Synonyms::default();
        assert_eq!(ranked(&idx, "Sperrmüllentsorgung", &syn), vec![0]);
        // Both parts in one compound first; "Abfall" holds only the stem of "fällen".
        assert_eq!(ranked(&idx, "Baum fällen", &syn), vec![2, 3]);
    }

    #[test]
    fn a_compound_of_a_compound_and_a_word() {
        let idx = index(&["Fahrzeugregistereintragung und -auskunft", "örtliches Fahrzeugregister", "Fahrzeug", "Register"]);
        let splits = idx.splits("fahrzeugregisterauskunft", 1);
        assert!(splits.contains(&vec!["fahrzeugregister".to_owned(), "auskunft".to_owned()]), "{splits:?}");
        assert!(splits[0].len() == 2, "two parts before three: {splits:?}");
        assert_eq!(ranked(&idx, "fahrzeugregisterauskunft", &Synonyms::default()), vec![0]);
    }

    #[test]
    fn not_every_word_must_match_but_a_telling_one() {
        let mut names = vec!["Parkausweis für Bewohner", "Wohngeld beantragen", "Elterngeld beantragen", "Kindergeld beantragen"];
        names.extend(["Baugenehmigung beantragen", "Hundesteuer beantragen"]);
        let idx = index(&names);
        let syn = Synonyms::default();
        // "beantragen" is in more than a tenth of the documents: alone it makes no result.
        assert_eq!(ranked(&idx, "Parkausweis beantragen", &syn), vec![0]);
        assert_eq!(ranked(&idx, "Wohngeld beantragen", &syn)[0], 1, "both words before one");
        assert_eq!(ranked(&idx, "beantragen", &syn).len(), 5, "a query of common words alone still finds them");
    }

    #[test]
    fn synonyms_stand_for_the_catalogue_wording() {
        let idx = index(&["Arbeitslosengeld II", "Elterngeld", "Hartz-Wasserwerk"]);
        let syn = Synonyms::new([("Hartz IV", "Arbeitslosengeld II")]);
        let hits = ranked(&idx, "hartz iv", &syn);
        assert_eq!(hits[0], 0, "{hits:?}");
        assert!(!hits.contains(&1));
    }

    #[test]
    fn suggestions_name_the_nearest_word() {
        let idx = index(&["Wohngeld", "Elterngeld"]);
        let syn = Synonyms::default();
        assert_eq!(idx.suggest(&Query::parse("wohnglt", &syn)).as_deref(), Some("wohngeld"));
        assert_eq!(idx.suggest(&Query::parse("wohngeld", &syn)), None);
    }

    #[test]
    fn marks_the_matched_words_of_a_name() {
        let marked: Vec<Box<str>> = vec!["fuhrerschein".into()];
        assert_eq!(mark("Führerschein (Umtausch)", &marked), vec![("Führerschein", true), (" (Umtausch)", false)]);
    }

    #[test]
    fn a_search_asked_again_comes_from_the_memo_with_the_same_answer() {
        let idx = index(&["Wohngeld", "Sperrmüll Entsorgung", "Personalausweis beantragen"]);
        let syn = Synonyms::default();
        let q = Query::parse("sperrmüllentsorgung", &syn);
        let first = idx.search(&q);
        let again = idx.search(&Query::parse("Sperrmuellentsorgung", &syn));
        assert!(Arc::ptr_eq(&first, &again), "the same plain query is looked up, not searched again");
        let computed = idx.compute(&q);
        assert_eq!((&first.rank, &first.marked), (&computed.rank, &computed.marked));
        assert!(first.is_hit(1) && !first.is_hit(0));
        let other = idx.search(&Query::parse("wohngeld", &syn));
        assert!(other.is_hit(0) && !other.is_hit(1), "another query has its own answer");
    }
}
