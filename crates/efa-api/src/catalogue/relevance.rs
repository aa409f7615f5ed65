//! Relevance of the catalogue search, measured on a set of queries as people type them, each
//! with the OZG-Leistung it means (`crates/efa-api/tests/relevance/queries.csv`). `make test`
//! asserts floors over it; `make bench` prints the table (`efa search-eval`). Both ask
//! [`query::ozg_leistungen`], the function behind `GET /api/v1/ozg-leistungen?q=` and the shop.

use super::query::{self, OzgFilter, OzgSort};
use super::Catalogue;
use std::collections::BTreeMap;

/// One query of the set.
#[derive(Debug, Clone)]
pub struct Case {
    pub category: String,
    pub query: String,
    /// The OZG-Leistungen it means (a hit on any counts); usually one.
    pub expected: Vec<i32>,
}

/// Reads the set (header `kategorie,anfrage,ozg_id,anmerkung`; `ozg_id` may list ids split by `|`).
pub fn read_cases(csv_text: &str) -> anyhow::Result<Vec<Case>> {
    let mut r = csv::Reader::from_reader(csv_text.as_bytes());
    let headers = r.headers()?.clone();
    let col = |name: &str| headers.iter().position(|h| h == name).ok_or_else(|| anyhow::anyhow!("queries: no column {name:?}"));
    let (k, a, o) = (col("kategorie")?, col("anfrage")?, col("ozg_id")?);
    let mut out = Vec::new();
    for (n, rec) in r.records().enumerate() {
        let rec = rec?;
        let line = n + 2;
        let expected = rec[o]
            .split('|')
            .map(|id| id.trim().parse::<i32>().map_err(|_| anyhow::anyhow!("queries:{line}: column \"ozg_id\": {id:?} is not an OZG-ID")))
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(!rec[a].trim().is_empty(), "queries:{line}: column \"anfrage\": must not be empty");
        out.push(Case { category: rec[k].trim().to_owned(), query: rec[a].to_owned(), expected });
    }
    Ok(out)
}

/// Scores over some queries.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Score {
    pub queries: usize,
    /// Share of queries whose OZG-Leistung is first.
    pub recall_at_1: f64,
    /// Share of queries whose OZG-Leistung is among the first three.
    pub recall_at_3: f64,
    /// Mean reciprocal rank (0 for a query whose OZG-Leistung is not found).
    pub mrr: f64,
}

/// The whole evaluation: per category, overall, and the queries not answered in the first three.
#[derive(Debug, Clone, Default)]
pub struct Report {
    pub categories: BTreeMap<String, Score>,
    pub overall: Score,
    /// (category, query, expected, the first three ids found).
    pub misses: Vec<(String, String, Vec<i32>, Vec<i32>)>,
}

/// The 1-based place of the first expected OZG-Leistung in the ranked result, if found.
pub fn rank_of(c: &Catalogue, case: &Case) -> (Option<usize>, Vec<i32>) {
    let filter = OzgFilter { q: case.query.clone(), ..OzgFilter::default() };
    let (hits, _) = query::ozg_leistungen(c, &filter, OzgSort::Relevance, false);
    let ids: Vec<i32> = hits.iter().map(|&(i, _)| c.ozg[i].view.ozg_id).collect();
    (ids.iter().position(|id| case.expected.contains(id)).map(|p| p + 1), ids.into_iter().take(3).collect())
}

pub fn evaluate(c: &Catalogue, cases: &[Case]) -> Report {
    #[derive(Default)]
    struct Sum {
        n: usize,
        at1: usize,
        at3: usize,
        rr: f64,
    }
    let finish = |s: &Sum| Score {
        queries: s.n,
        recall_at_1: s.at1 as f64 / s.n.max(1) as f64,
        recall_at_3: s.at3 as f64 / s.n.max(1) as f64,
        mrr: s.rr / s.n.max(1) as f64,
    };
    let mut per: BTreeMap<String, Sum> = BTreeMap::new();
    let mut all = Sum::default();
    let mut misses = Vec::new();
    for case in cases {
        let (rank, top) = rank_of(c, case);
        for s in [per.entry(case.category.clone()).or_default(), &mut all] {
            s.n += 1;
            s.at1 += usize::from(rank == Some(1));
            s.at3 += usize::from(rank.is_some_and(|r| r <= 3));
            s.rr += rank.map_or(0.0, |r| 1.0 / r as f64);
        }
        if rank.is_none_or(|r| r > 3) {
            misses.push((case.category.clone(), case.query.clone(), case.expected.clone(), top));
        }
    }
    Report { categories: per.iter().map(|(k, s)| (k.clone(), finish(s))).collect(), overall: finish(&all), misses }
}

impl std::fmt::Display for Report {
    /// A Markdown table, then the misses.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "| category | queries | recall@1 | recall@3 | MRR |")?;
        writeln!(f, "|---|---:|---:|---:|---:|")?;
        let row = |f: &mut std::fmt::Formatter<'_>, name: &str, s: &Score| writeln!(f, "| {name} | {} | {:.3} | {:.3} | {:.3} |", s.queries, s.recall_at_1, s.recall_at_3, s.mrr);
        for (k, s) in &self.categories {
            row(f, k, s)?;
        }
        row(f, "**all**", &self.overall)?;
        if !self.misses.is_empty() {
            writeln!(f, "\nnot in the first three:")?;
            for (k, q, want, top) in &self.misses {
                writeln!(f, "- [{k}] {q:?}: wanted {want:?}, got {top:?}")?;
            }
        }
        Ok(())
    }
}
