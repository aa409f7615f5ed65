//! The coverage of a Kreis and of a Land: the spread over their Gemeinden (min, median, max,
//! population-weighted), a histogram of the shares with its table, who is furthest behind;
//! for a Land its Kreise ranked and its adoption over time (agreements signed and gone live
//! per month), each as a chart with a table of the same numbers; the CSV of every Gemeinde.

use super::charts::{self, Chart, Row};
use super::{csv_download, split_csv};
use crate::errors::WebError;
use crate::layout::Layout;
use crate::pages::{layout, number, render, Page};
use crate::session::Shop;
use actix_web::web;
use askama::Template;
use efa_api::coverage::reports::{self, AreaCoverage, GemeindeShare};
use efa_api::operations::adoption::AdoptionQuery;
use efa_domain::{KreisCode, LandCode};

/// A Gemeinde in an area's tables.
pub struct ShareRow {
    pub ags: String,
    pub name: String,
    pub population: String,
    pub covered: usize,
    pub share: String,
}

fn share_row(g: &GemeindeShare) -> ShareRow {
    ShareRow { ags: g.ags.clone(), name: g.name.clone(), population: number(g.population), covered: g.covered, share: charts::percent(g.share) }
}

/// A Kreis of a Land, in the Land's ranking.
pub struct KreisRow {
    pub rank: usize,
    pub code: String,
    pub name: String,
    pub gemeinden: usize,
    pub weighted: String,
    pub median: String,
}

/// A month of a Land's adoption.
pub struct AdoptionRow {
    /// "März 2026".
    pub month: String,
    pub signed: usize,
    pub live: usize,
}

/// `YYYY-MM` as people read it: "März 2026".
fn month_de(m: &str) -> String {
    const NAMES: [&str; 12] = ["Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober", "November", "Dezember"];
    match m.split_once('-').map(|(y, n)| (y, n.parse::<usize>().ok())) {
        Some((y, Some(n))) if (1..=12).contains(&n) => format!("{} {y}", NAMES[n - 1]),
        _ => m.to_owned(),
    }
}

/// The Kreise ranked, as bars of their population-weighted share (of 100 %).
fn kreise_chart(land: &str, kreise: &[std::sync::Arc<AreaCoverage>]) -> Chart {
    let rows: Vec<Row> = kreise
        .iter()
        .map(|k| {
            let permille = (k.population_weighted_share * 1000.0).round().clamp(0.0, 1000.0) as usize;
            Row { label: k.name.clone(), value: permille, of: Some(1000), text: charts::percent(k.population_weighted_share), share: charts::percent(k.population_weighted_share) }
        })
        .collect();
    Chart::bars(
        "diagramm-kreise",
        format!("Die Kreise von {land} nach Abdeckung"),
        format!("Je Kreis ein Balken mit dem einwohnergewichteten Anteil online möglicher OZG-Leistungen, der beste zuerst; {} Kreise.", kreise.len()),
        &rows,
    )
}

/// Adoption per month as bars: for each month one bar of the agreements signed and one of
/// the services gone live.
fn adoption_chart(land: &str, months: &[AdoptionRow]) -> Chart {
    let rows: Vec<Row> = months
        .iter()
        .flat_map(|m| {
            [("unterzeichnet", m.signed, "Vertrag unterzeichnet", "Verträge unterzeichnet"), ("live", m.live, "Dienst live", "Dienste live")].map(|(what, n, one, many)| Row {
                label: format!("{}: {what}", m.month),
                value: n,
                of: None,
                text: format!("{} {}", number(n as i64), if n == 1 { one } else { many }),
                share: String::new(),
            })
        })
        .collect();
    Chart::bars(
        "diagramm-nachnutzung",
        format!("Nachnutzung in {land} je Monat"),
        format!("Je Monat ein Balken der Verträge, die beide Seiten unterzeichnet haben, und einer der Dienste, die live gegangen sind (Kundinnen und Kunden in {land}); {} Monate.", months.len()),
        &rows,
    )
}

#[derive(Template)]
#[template(path = "pages/coverage/area.html")]
pub struct AreaPage {
    pub layout: Layout,
    /// "Kreis" or "Land".
    pub kind: &'static str,
    pub code: String,
    pub name: String,
    /// What the Kreis is (Landkreis, Kreisfreie Stadt …); empty for a Land.
    pub kind_detail: String,
    /// The Land of a Kreis (code, name).
    pub land: Option<(String, String)>,
    pub gemeinden: String,
    pub population: String,
    pub in_scope: usize,
    pub share_min: String,
    pub share_median: String,
    pub share_max: String,
    pub weighted: String,
    pub chart: Chart,
    pub histogram: Vec<Row>,
    pub behind: Vec<ShareRow>,
    /// Every Gemeinde (a Kreis's page); a Land's are in the CSV.
    pub members: Vec<ShareRow>,
    /// The Kreise of a Land, best population-weighted share first, as a table and a chart.
    pub kreise: Vec<KreisRow>,
    pub kreise_chart: Option<Chart>,
    /// A Land's adoption per month, as a table and a chart.
    pub adoption: Vec<AdoptionRow>,
    pub adoption_chart: Option<Chart>,
    pub csv_href: String,
}

fn page(layout: Layout, kind: &'static str, a: &AreaCoverage, csv_href: String) -> AreaPage {
    let histogram = charts::histogram(a);
    let chart = Chart::bars(
        "diagramm-verteilung",
        format!("Verteilung der Gemeinden von {} nach Abdeckung", a.name),
        format!(
            "Je Zehntel des Anteils abgedeckter OZG-Leistungen ein Balken mit der Zahl der Gemeinden. {} Gemeinden, Median {}, Minimum {}, Maximum {}.",
            number(a.gemeinden as i64),
            charts::percent(a.share_median),
            charts::percent(a.share_min),
            charts::percent(a.share_max)
        ),
        &histogram,
    );
    AreaPage {
        layout,
        kind,
        code: a.code.clone(),
        name: a.name.clone(),
        kind_detail: String::new(),
        land: None,
        gemeinden: number(a.gemeinden as i64),
        population: number(a.population),
        in_scope: a.in_scope,
        share_min: charts::percent(a.share_min),
        share_median: charts::percent(a.share_median),
        share_max: charts::percent(a.share_max),
        weighted: charts::percent(a.population_weighted_share),
        chart,
        histogram,
        behind: a.furthest_behind.iter().map(share_row).collect(),
        members: Vec::new(),
        kreise: Vec::new(),
        kreise_chart: None,
        adoption: Vec::new(),
        adoption_chart: None,
        csv_href,
    }
}

/// `GET /abdeckung/kreise/{code}` (and `{code}.csv`, the API's CSV of the same report).
pub async fn kreis(shop: Shop, path: web::Path<String>) -> Page {
    let (raw, csv) = split_csv(&path);
    let code = KreisCode::parse(raw).map_err(|_| WebError::NotFound)?;
    let ix = shop.app.coverage()?;
    let a = reports::kreis(&ix, &code)?;
    if csv {
        return csv_download(&a.table(), &format!("abdeckung-kreis-{code}.csv"));
    }
    let k = ix.catalogue.kreis(code.as_str()).ok_or(WebError::NotFound)?;
    let mut p = page(layout(&shop, format!("Abdeckung: {}", a.name)).await, "Kreis", &a, format!("/abdeckung/kreise/{code}.csv"));
    p.kind_detail = k.kind.clone();
    p.land = Some((k.land.code.clone(), k.land.name.clone()));
    p.members = a.per_gemeinde.iter().map(share_row).collect();
    render(&p)
}

/// `GET /abdeckung/laender/{code}` (and `{code}.csv`).
pub async fn land(shop: Shop, path: web::Path<String>) -> Page {
    let (raw, csv) = split_csv(&path);
    let code = LandCode::parse(raw).map_err(|_| WebError::NotFound)?;
    let ix = shop.app.coverage()?;
    let a = reports::land(&ix, &code)?;
    if csv {
        return csv_download(&a.table(), &format!("abdeckung-land-{code}.csv"));
    }
    let mut kreise = Vec::new();
    for k in ix.catalogue.kreise.iter().filter(|k| k.land.code == a.code) {
        let kc = KreisCode::parse(&k.code).map_err(|e| WebError::Internal(anyhow::anyhow!("Kreis code {}: {e}", k.code)))?;
        kreise.push(reports::kreis(&ix, &kc)?);
    }
    kreise.sort_by(|x, y| y.population_weighted_share.total_cmp(&x.population_weighted_share).then_with(|| x.code.cmp(&y.code)));
    let mut p = page(layout(&shop, format!("Abdeckung: {}", a.name)).await, "Land", &a, format!("/abdeckung/laender/{code}.csv"));
    let months = efa_api::operations::adoption::per_month(&shop.app, AdoptionQuery { land: Some(code.to_string()), ..Default::default() }).await?;
    p.adoption = months.iter().map(|m| AdoptionRow { month: month_de(&m.month), signed: m.agreements_signed, live: m.went_live }).collect();
    p.adoption_chart = (!p.adoption.is_empty()).then(|| adoption_chart(&a.name, &p.adoption));
    p.kreise_chart = (!kreise.is_empty()).then(|| kreise_chart(&a.name, &kreise));
    p.kreise = kreise
        .iter()
        .zip(1..)
        .map(|(k, rank)| KreisRow { rank, code: k.code.clone(), name: k.name.clone(), gemeinden: k.gemeinden, weighted: charts::percent(k.population_weighted_share), median: charts::percent(k.share_median) })
        .collect();
    render(&p)
}

#[cfg(test)]
mod tests {
    use super::month_de;

    #[test]
    fn months_in_german() {
        assert_eq!(month_de("2026-03"), "März 2026");
        assert_eq!(month_de("2024-12"), "Dezember 2024");
        assert_eq!(month_de("2024-13"), "2024-13");
    }
}
