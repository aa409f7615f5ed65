//! Finding: the online services with the API's filters and facet counts, and the
//! OZG-Leistungen. The query is the API's (same names, same parser), so a search is a
//! shareable URL; checkboxes send a name once per value, which is the API's comma list.

use super::catalogue_view::{anbindung_de, marked, price_model_de, status_de, Choice, ServiceRow};
use super::pager::Pager;
use super::cache::{self, Snapshots};
use super::{finish, html, layout, number, render, urlencode, Page};
use crate::errors::WebError;
use crate::layout::Layout;
use crate::session::Shop;
use askama::Template;
use efa_api::catalogue::query::{self, FacetValue, Facets, Matched};
use efa_api::handlers::catalogue::OzgListParams;
use efa_api::handlers::services::{ServiceListParams, ServiceQuery};
use efa_domain::{Anbindung, PriceModel, ServiceStatus};

/// The query string as name/value pairs; a name given several times is one comma list.
fn pairs(shop: &Shop) -> Result<Vec<(String, String)>, WebError> {
    let raw: Vec<(String, String)> = serde_urlencoded::from_str(shop.req.query_string()).map_err(|e| WebError::BadRequest(format!("query: {e}")))?;
    let mut out: Vec<(String, String)> = Vec::new();
    for (k, v) in raw {
        match out.iter_mut().find(|(n, _)| *n == k) {
            Some((_, all)) if !v.trim().is_empty() => {
                if !all.is_empty() {
                    all.push(',');
                }
                all.push_str(&v);
            }
            Some(_) => {}
            None => out.push((k, v)),
        }
    }
    Ok(out)
}

fn get(pairs: &[(String, String)], name: &str) -> Option<String> {
    pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

/// Refuses names the search does not know (as the API does).
fn only(pairs: &[(String, String)], known: &[&str]) -> Result<(), WebError> {
    match pairs.iter().find(|(k, _)| !known.contains(&k.as_str())) {
        Some((k, _)) => Err(WebError::BadRequest(format!("unknown parameter {k}"))),
        None => Ok(()),
    }
}

/// The query without `page`, for the pager's links.
fn without_page(pairs: &[(String, String)]) -> String {
    pairs.iter().filter(|(k, v)| k != "page" && !v.is_empty()).map(|(k, v)| format!("{}={}", urlencode(k), urlencode(v))).collect::<Vec<_>>().join("&")
}

pub struct FacetGroup {
    pub name: &'static str,
    pub legend: &'static str,
    pub kind: &'static str,
    pub choices: Vec<Choice>,
}

fn group(name: &'static str, legend: &'static str, values: &[FacetValue], selected: &str, label: impl Fn(&FacetValue) -> String) -> FacetGroup {
    let chosen: Vec<&str> = selected.split(',').map(str::trim).filter(|s| !s.is_empty()).collect();
    let choices = values
        .iter()
        .filter(|v| v.count > 0 || chosen.contains(&&*v.value))
        .map(|v| Choice { value: v.value.to_string(), label: format!("{} ({})", label(v), v.count), checked: chosen.contains(&&*v.value) })
        .collect();
    FacetGroup { name, legend, kind: "checkbox", choices }
}

/// Most values a facet offers (by count; chosen ones always stay): at national volume there
/// are hundreds of providers, and a page of checkboxes helps nobody.
const FACET_MAX: usize = 15;

impl FacetGroup {
    fn limited(mut self) -> FacetGroup {
        let mut kept = 0;
        self.choices.retain(|c| {
            kept += usize::from(!c.checked);
            c.checked || kept <= FACET_MAX
        });
        self
    }
}

fn enum_label<T: Copy>(parse: fn(&str) -> Result<T, efa_domain::EnumError>, de: fn(T) -> &'static str) -> impl Fn(&FacetValue) -> String {
    move |v: &FacetValue| parse(&v.value).map(de).map(str::to_owned).unwrap_or_else(|_| v.label.to_string())
}

fn facet_groups(f: &Facets, pairs: &[(String, String)]) -> Vec<FacetGroup> {
    let sel = |n: &str| get(pairs, n).unwrap_or_default();
    let plain = |v: &FacetValue| v.label.to_string();
    let min = sel("reifegrad_min");
    let reifegrad = std::iter::once(Choice { value: String::new(), label: "Beliebig".into(), checked: min.is_empty() })
        .chain((1..=4u8).map(|n| {
            let count: usize = f.reifegrad.iter().filter(|v| v.value.parse::<u8>().is_ok_and(|r| r >= n)).map(|v| v.count).sum();
            Choice { value: n.to_string(), label: format!("mindestens {n} ({count})"), checked: min == n.to_string() }
        }))
        .collect();
    let efa_sel = sel("efa");
    let efa_count = |v: &str| f.efa.iter().find(|x| x.value == v).map(|x| x.count).unwrap_or(0);
    let efa = vec![
        Choice { value: String::new(), label: "Alle".into(), checked: efa_sel.is_empty() },
        Choice { value: "true".into(), label: format!("Ja, nach „Einer für Alle“ ({})", efa_count("true")), checked: efa_sel == "true" },
        Choice { value: "false".into(), label: format!("Nein ({})", efa_count("false")), checked: efa_sel == "false" },
    ];
    vec![
        group("status", "Status", &f.status, &sel("status"), enum_label(ServiceStatus::parse, status_de)),
        group("lead_land", "Federführendes Land", &f.lead_land, &sel("lead_land"), plain),
        FacetGroup { name: "reifegrad_min", legend: "Reifegrad", kind: "radio", choices: reifegrad },
        FacetGroup { name: "efa", legend: "EfA-Dienst", kind: "radio", choices: efa },
        group("anbindung", "Anbindung", &f.anbindung, &sel("anbindung"), enum_label(Anbindung::parse, anbindung_de)),
        group("price_model", "Preismodell", &f.price_model, &sel("price_model"), enum_label(PriceModel::parse, price_model_de)),
        group("themenfeld", "Themenfeld", &f.themenfeld, &sel("themenfeld"), plain),
        group("provider", "Anbieter", &f.provider, &sel("provider"), plain).limited(),
    ]
}

#[derive(Template)]
#[template(path = "pages/catalogue/services.html")]
pub struct ServicesPage {
    pub layout: Layout,
    pub q: String,
    pub suggestion: Option<Suggestion>,
    pub sort: String,
    pub sorts: Vec<(String, String)>,
    pub facets: Vec<FacetGroup>,
    pub total: String,
    pub results: Vec<ServiceRow>,
    pub tray: Vec<String>,
    pub pager: Pager,
    /// This page's path and query, for the forms that come back here.
    pub here: String,
    pub errors: crate::forms::Errors,
}

/// "Meinten Sie …?": the proposed query and the link to this page with it (other parameters kept).
pub struct Suggestion {
    pub q: String,
    pub href: String,
}

fn suggestion(path: &str, pairs: &[(String, String)], matched: &Matched) -> Option<Suggestion> {
    let q = matched.suggestion.clone()?;
    let rest: String = pairs.iter().filter(|(k, _)| k != "q" && k != "page").map(|(k, v)| format!("&{}={}", urlencode(k), urlencode(v))).collect();
    Some(Suggestion { href: format!("{path}?q={}{rest}", urlencode(&q)), q })
}

const SERVICE_PARAMS: &[&str] = &["q", "ozg_id", "themenfeld", "provider", "lead_land", "status", "reifegrad_min", "anbindung", "price_model", "efa", "sort", "page"];

/// `GET /onlinedienste`: search with facets, sorting and pages.
pub async fn services(shop: Shop) -> Page {
    let snaps = Snapshots::of(&shop)?;
    if let Some(hit) = shop.web.pages.lookup(&shop, &snaps) {
        return Ok(hit);
    }
    let cacheable = cache::applies(&shop);
    let pairs = pairs(&shop)?;
    only(&pairs, SERVICE_PARAMS)?;
    let params = ServiceListParams {
        q: get(&pairs, "q"),
        ozg_id: get(&pairs, "ozg_id"),
        themenfeld: get(&pairs, "themenfeld"),
        provider: get(&pairs, "provider"),
        lead_land: get(&pairs, "lead_land"),
        status: get(&pairs, "status"),
        reifegrad_min: get(&pairs, "reifegrad_min"),
        anbindung: get(&pairs, "anbindung"),
        price_model: get(&pairs, "price_model"),
        efa: get(&pairs, "efa"),
        sort: get(&pairs, "sort"),
        page: get(&pairs, "page"),
        per_page: None,
    };
    let ServiceQuery { filter, sort, descending, page } = params.parse()?;
    let c = snaps.catalogue.clone();
    let viewer_org = shop.user.as_ref().map(|u| u.principal.org_id.as_str());
    let hits = query::online_services(&c, &filter, sort, descending, page, viewer_org);
    let matched = &hits.matched;
    let q = get(&pairs, "q").unwrap_or_default();
    let sorts = [("", "Relevanz (bei Suchbegriff), sonst Name"), ("name", "Name A–Z"), ("-name", "Name Z–A"), ("-reifegrad", "Höchster Reifegrad zuerst"), ("-updated_at", "Zuletzt geändert zuerst")];
    let title = if q.trim().is_empty() { "Onlinedienste".to_owned() } else { format!("Onlinedienste zu „{}“", q.trim()) };
    let mut page_layout = layout(&shop, title).await;
    if cacheable {
        page_layout.csrf = cache::CSRF_SLOT.into();
    }
    let page_view = ServicesPage {
        layout: page_layout,
        sort: get(&pairs, "sort").unwrap_or_default(),
        sorts: sorts.iter().map(|(v, l)| ((*v).to_owned(), (*l).to_owned())).collect(),
        facets: facet_groups(&hits.facets, &pairs),
        total: number(hits.total as i64),
        results: hits.page.iter().map(|s| ServiceRow { name_parts: marked(&s.detail.service.name, matched), ..ServiceRow::of(s) }).collect(),
        suggestion: suggestion("/onlinedienste", &pairs, matched),
        tray: shop.tray(),
        pager: Pager::new("/onlinedienste", &without_page(&pairs), "page", page.page, page.last(hits.total)),
        here: shop.req.uri().path_and_query().map(|p| p.as_str().to_owned()).unwrap_or_else(|| "/onlinedienste".into()),
        errors: crate::forms::Errors::default(),
        q,
    };
    finish(&shop, &snaps, cacheable, actix_web::http::StatusCode::OK, html(&page_view)?)
}

pub struct OzgRow {
    pub ozg_id: i32,
    pub name: String,
    pub name_parts: Vec<(String, bool)>,
    pub themenfeld: String,
    pub lebenslage: String,
    pub leika_count: usize,
    pub services: usize,
    pub via_leika: bool,
    /// Retired from the catalogue: its successor's OZG-ID, if known (0: none named).
    pub retired: Option<i32>,
}

#[derive(Template)]
#[template(path = "pages/catalogue/leistungen.html")]
pub struct LeistungenPage {
    pub layout: Layout,
    pub q: String,
    pub themenfeld: String,
    pub themenfelder: Vec<(String, String)>,
    pub with_service: String,
    pub total: String,
    pub results: Vec<OzgRow>,
    pub suggestion: Option<Suggestion>,
    pub pager: Pager,
    pub errors: crate::forms::Errors,
}

/// `GET /leistungen`: the OZG-Leistungen, searched and filtered as the API's list.
pub async fn leistungen(shop: Shop) -> Page {
    let pairs = pairs(&shop)?;
    only(&pairs, &["q", "themenfeld", "lebenslage", "has_online_service", "sort", "page"])?;
    let params = OzgListParams {
        q: get(&pairs, "q"),
        themenfeld: get(&pairs, "themenfeld"),
        lebenslage: get(&pairs, "lebenslage"),
        has_online_service: get(&pairs, "has_online_service"),
        sort: get(&pairs, "sort"),
        page: get(&pairs, "page"),
        per_page: None,
    };
    let (filter, sort, desc, page) = params.parse()?;
    let c = shop.app.catalogue()?;
    let (hits, matched) = query::ozg_leistungen(&c, &filter, sort, desc);
    let results = page
        .slice(&hits)
        .iter()
        .map(|&(i, matched_on)| {
            let o = &c.ozg[i].view;
            OzgRow {
                ozg_id: o.ozg_id,
                name: o.name.clone(),
                name_parts: marked(&o.name, &matched),
                themenfeld: o.themenfeld.name.clone(),
                lebenslage: o.lebenslage.name.clone(),
                leika_count: o.leika_count,
                services: c.ozg_services[i].len(),
                via_leika: matched_on == Some(efa_api::views::MatchedOn::Leika),
                retired: o.retired.as_ref().map(|r| r.successor.as_ref().map_or(0, |s| s.id)),
            }
        })
        .collect();
    let themenfeld = get(&pairs, "themenfeld").unwrap_or_default();
    let tf_name = filter.themenfeld.and_then(|t| c.themenfelder.iter().find(|x| x.id == t)).map(|t| t.name.clone());
    let title = match tf_name {
        Some(n) => format!("OZG-Leistungen im Themenfeld {n}"),
        None => "OZG-Leistungen".to_owned(),
    };
    let view = LeistungenPage {
        layout: layout(&shop, title).await,
        q: get(&pairs, "q").unwrap_or_default(),
        themenfelder: std::iter::once((String::new(), "Alle Themenfelder".to_owned())).chain(c.themenfelder.iter().map(|t| (t.id.to_string(), t.name.clone()))).collect(),
        themenfeld,
        with_service: get(&pairs, "has_online_service").unwrap_or_default(),
        total: number(hits.len() as i64),
        results,
        suggestion: suggestion("/leistungen", &pairs, &matched),
        pager: Pager::new("/leistungen", &without_page(&pairs), "page", page.page, page.last(hits.len())),
        errors: crate::forms::Errors::default(),
    };
    render(&view)
}
