//! The coverage charts: horizontal bars as inline SVG, computed here and drawn by
//! `templates/pages/coverage/chart.html`. Each chart names itself (title and description
//! for `aria-labelledby`), labels every bar in text and comes with a table of the same numbers.

use efa_api::catalogue::Catalogue;
use efa_api::coverage::reports::{AreaCoverage, GemeindeCoverage};

/// Width of the drawing, of the label column and of the longest bar (SVG user units).
const WIDTH: u32 = 720;
const LABEL_W: u32 = 260;
const BAR_MAX: u32 = 300;
const ROW_H: u32 = 30;
const BAR_H: u32 = 18;

/// One row of numbers: shown as a bar and as a table row.
pub struct Row {
    pub label: String,
    /// The counted value (covered Leistungen, Gemeinden in the bucket).
    pub value: usize,
    /// The whole it is part of (in-scope Leistungen), where the chart shows one.
    pub of: Option<usize>,
    /// The row's figures in words, e.g. "12 von 40 (30,0 %)".
    pub text: String,
    /// The value's share of its whole (or of all counted), e.g. "30,0 %".
    pub share: String,
}

/// A drawn bar: its row and its geometry.
pub struct Bar {
    pub label: String,
    pub text: String,
    pub y_text: u32,
    pub y_bar: u32,
    pub width: u32,
    /// The outline of the whole, where there is one.
    pub of_width: Option<u32>,
}

pub struct Chart {
    /// The prefix of the ids (`<id>-titel`, `<id>-beschreibung`).
    pub id: &'static str,
    pub title: String,
    pub desc: String,
    pub width: u32,
    pub height: u32,
    pub label_w: u32,
    pub value_x: u32,
    pub bar_h: u32,
    pub bars: Vec<Bar>,
}

impl Chart {
    /// Bars of `rows`, scaled so the largest value (or whole) fills the bar area.
    pub fn bars(id: &'static str, title: impl Into<String>, desc: impl Into<String>, rows: &[Row]) -> Chart {
        let max = rows.iter().map(|r| r.of.unwrap_or(r.value).max(r.value)).max().unwrap_or(0).max(1);
        let scale = |n: usize| u32::try_from(n * BAR_MAX as usize / max).unwrap_or(BAR_MAX);
        let bars = rows
            .iter()
            .zip(0u32..)
            .map(|(r, i)| Bar {
                label: r.label.clone(),
                text: r.text.clone(),
                y_text: i * ROW_H + ROW_H / 2 + 5,
                y_bar: i * ROW_H + (ROW_H - BAR_H) / 2,
                // A value above zero stays visible.
                width: if r.value > 0 { scale(r.value).max(2) } else { 0 },
                of_width: r.of.map(scale),
            })
            .collect::<Vec<_>>();
        let height = u32::try_from(bars.len()).unwrap_or(0) * ROW_H + 4;
        Chart { id, title: title.into(), desc: desc.into(), width: WIDTH, height, label_w: LABEL_W, value_x: LABEL_W + BAR_MAX + 10, bar_h: BAR_H, bars }
    }
}

/// A share (0–1) as a German percentage with one decimal: 0.3051 → "30,5 %".
pub fn percent(share: f64) -> String {
    format!("{:.1}\u{a0}%", share * 100.0).replace('.', ",")
}

fn share(n: usize, of: usize) -> f64 {
    if of == 0 { 0.0 } else { n as f64 / of as f64 }
}

/// "12 von 40 (30,0 %)".
pub fn part_of(n: usize, of: usize) -> String {
    format!("{} von {} ({})", crate::pages::number(n as i64), crate::pages::number(of as i64), percent(share(n, of)))
}

/// Covered and in-scope OZG-Leistungen of a Gemeinde per Themenfeld (in the catalogue's
/// order of Themenfelder; those without an in-scope Leistung left out). `report` must hold
/// every in-scope item (not filtered).
pub fn by_themenfeld(c: &Catalogue, report: &GemeindeCoverage) -> Vec<Row> {
    let mut counts: Vec<(usize, usize)> = vec![(0, 0); c.themenfelder.len()];
    for item in &report.items {
        let Some(o) = c.ozg(item.ozg_id) else { continue };
        if let Some(t) = c.themenfelder.iter().position(|t| t.id == o.view.themenfeld.id) {
            counts[t].1 += 1;
            if item.covered {
                counts[t].0 += 1;
            }
        }
    }
    c.themenfelder
        .iter()
        .zip(counts)
        .filter(|(_, (_, scope))| *scope > 0)
        .map(|(t, (covered, scope))| Row { label: t.name.clone(), value: covered, of: Some(scope), text: part_of(covered, scope), share: percent(share(covered, scope)) })
        .collect()
}

/// How many Gemeinden of an area have a share in each tenth: 0 to under 10 %, …, 90 to 100 %
/// (a share of 100 % counts in the last).
pub fn histogram(a: &AreaCoverage) -> Vec<Row> {
    let mut buckets = [0usize; 10];
    for g in &a.per_gemeinde {
        let b = (g.covered * 10).checked_div(a.in_scope).unwrap_or(0).min(9);
        buckets[b] += 1;
    }
    let total = a.per_gemeinde.len();
    buckets
        .iter()
        .zip(0usize..)
        .map(|(&n, i)| Row {
            label: if i == 9 { "90 bis 100 %".to_owned() } else { format!("{} bis unter {} %", i * 10, i * 10 + 10) },
            value: n,
            of: None,
            text: format!("{} {} ({})", crate::pages::number(n as i64), if n == 1 { "Gemeinde" } else { "Gemeinden" }, percent(share(n, total))),
            share: percent(share(n, total)),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn german_percentages_and_parts() {
        assert_eq!(percent(0.3051), "30,5\u{a0}%");
        assert_eq!(percent(1.0), "100,0\u{a0}%");
        assert_eq!(part_of(12, 40), "12 von 40 (30,0\u{a0}%)");
        assert_eq!(part_of(0, 0), "0 von 0 (0,0\u{a0}%)");
    }

    #[test]
    fn bars_scale_to_the_largest_whole() {
        let rows = [
            Row { label: "A".into(), value: 5, of: Some(10), text: String::new(), share: String::new() },
            Row { label: "B".into(), value: 0, of: Some(5), text: String::new(), share: String::new() },
        ];
        let c = Chart::bars("x", "t", "d", &rows);
        assert_eq!(c.bars[0].of_width, Some(BAR_MAX));
        assert_eq!(c.bars[0].width, BAR_MAX / 2);
        assert_eq!(c.bars[1].width, 0);
        assert_eq!(c.bars[1].of_width, Some(BAR_MAX / 2));
        assert_eq!(c.height, 2 * ROW_H + 4);
    }

    #[test]
    fn histogram_buckets_by_tenths_with_100_percent_in_the_last() {
        let g = |covered: usize| efa_api::coverage::reports::GemeindeShare { ags: String::new(), name: String::new(), population: 1, covered, share: 0.0 };
        let a = AreaCoverage {
            code: "05154".into(),
            name: "Kleve".into(),
            gemeinden: 5,
            population: 5,
            in_scope: 10,
            share_min: 0.0,
            share_median: 0.0,
            share_max: 1.0,
            population_weighted_share: 0.0,
            furthest_behind: Vec::new(),
            per_gemeinde: vec![g(0), g(0), g(1), g(9), g(10)],
        };
        let h = histogram(&a);
        let counts: Vec<usize> = h.iter().map(|r| r.value).collect();
        assert_eq!(counts, [2, 1, 0, 0, 0, 0, 0, 0, 0, 2]);
        assert_eq!(h[0].label, "0 bis unter 10 %");
        assert_eq!(h[9].label, "90 bis 100 %");
        assert_eq!(h[0].text, "2 Gemeinden (40,0\u{a0}%)");
        assert_eq!(h[1].text, "1 Gemeinde (20,0\u{a0}%)");
    }
}
