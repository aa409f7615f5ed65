//! Online services: the catalogue of what has been built, with shop-style facets.

use super::{BadRequest, NotFound, Unavailable};
use crate::catalogue::query::{self, Facets, ServiceFilter, ServiceSort};
use crate::catalogue::{Catalogue, ServiceEntry};
use crate::error::ApiError;
use crate::extract::Viewer;
use crate::http::{json_list, json_with_etag, LIST_BODY_BYTES};
use crate::params::{self, Page, PageMeta};
use crate::state::AppState;
use crate::views::{OnlineService, OnlineServiceDetail};
use actix_web::{get, web, HttpRequest, HttpResponse};
use efa_domain::{Anbindung, LandCode, OzgId, PriceModel, Principal, Reifegrad, Role, ServiceStatus};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

/// Filters take one value or a comma-separated list (`status=live,pilot`: live or pilot).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ServiceListParams {
    /// Search words in the service's name (ranked first), description, OZG-Leistungen and provider.
    #[param(value_type = Option<String>, example = "gewerbe", max_length = 200)]
    pub q: Option<String>,
    /// Only services implementing this OZG-Leistung.
    #[param(value_type = Option<i32>, example = 10092)]
    pub ozg_id: Option<String>,
    /// Themenfeld id(s).
    #[param(value_type = Option<String>, example = "2")]
    pub themenfeld: Option<String>,
    /// Provider organisation id(s).
    #[param(value_type = Option<String>)]
    pub provider: Option<String>,
    /// Lead Land code(s).
    #[param(value_type = Option<String>, example = "05")]
    pub lead_land: Option<String>,
    /// planned, in_development, pilot, live, retired.
    #[param(value_type = Option<String>, example = "live")]
    pub status: Option<String>,
    /// Minimum Reifegrad, 0–4.
    #[param(value_type = Option<u8>, minimum = 0, maximum = 4)]
    pub reifegrad_min: Option<String>,
    /// fit_connect, xoev_standard, link_out, api.
    #[param(value_type = Option<String>, example = "link_out")]
    pub anbindung: Option<String>,
    /// free, one_off_anbindung_fee, annual, per_inhabitant, koenigsteiner_share, per_use.
    #[param(value_type = Option<String>)]
    pub price_model: Option<String>,
    /// Only EfA services (true) or only others (false).
    #[param(value_type = Option<bool>)]
    pub efa: Option<String>,
    /// `relevance` (default with q), `name` (default without), `reifegrad`, `updated_at`; prefix `-` for descending.
    #[param(value_type = Option<String>)]
    pub sort: Option<String>,
    /// Page number, from 1 (a page past the end is empty).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 4294967295.0)]
    pub page: Option<String>,
    #[param(value_type = Option<u32>, minimum = 1, maximum = 100)]
    pub per_page: Option<String>,
}

#[derive(Serialize, ToSchema)]
pub struct OnlineServicesResponse {
    pub items: Vec<OnlineService>,
    #[serde(flatten)]
    pub meta: PageMeta,
    pub facets: Facets<'static>,
    /// "Did you mean": the query with the nearest known words, only when nothing matched.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "wohngeld")]
    pub suggestion: Option<String>,
}

/// The JSON that [`OnlineServicesResponse`] documents, written from the snapshot's pre-rendered
/// items and facet values.
fn page_json(items: &[&ServiceEntry], meta: &PageMeta, facets: &Facets, suggestion: Option<&str>) -> Vec<u8> {
    use std::io::Write;
    let mut out = Vec::with_capacity(LIST_BODY_BYTES);
    out.extend_from_slice(b"{\"items\":[");
    for (i, s) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(s.item_json.get().as_bytes());
    }
    // Writing into a Vec cannot fail.
    let _ = write!(out, "],\"total\":{},\"page\":{},\"per_page\":{},\"facets\":", meta.total, meta.page, meta.per_page);
    facets.write_json(&mut out);
    if let Some(s) = suggestion {
        out.extend_from_slice(b",\"suggestion\":");
        let _ = serde_json::to_writer(&mut out, s);
    }
    out.push(b'}');
    out
}

/// A parsed search of online services: what matches, in which order, which page.
#[derive(Debug)]
pub struct ServiceQuery {
    pub filter: ServiceFilter,
    pub sort: ServiceSort,
    pub descending: bool,
    pub page: Page,
}

impl ServiceListParams {
    /// Every value checked: a bad one is a 400 naming its parameter (the API and the shop's search).
    pub fn parse(&self) -> Result<ServiceQuery, ApiError> {
        let filter = ServiceFilter {
            q: params::text("q", &self.q)?.unwrap_or_default(),
            ozg_id: params::opt("ozg_id", &self.ozg_id, OzgId::parse)?.map(OzgId::get),
            themenfeld: params::list("themenfeld", &self.themenfeld, |s| s.parse::<i32>().map_err(|_| format!("{s:?} is not a Themenfeld id")))?,
            provider: params::list("provider", &self.provider, |s| uuid::Uuid::parse_str(s).map(|u| u.to_string()).map_err(|_| format!("{s:?} is not a UUID")))?,
            lead_land: params::list("lead_land", &self.lead_land, |s| LandCode::parse(s).map(|l| l.to_string()))?,
            status: params::list("status", &self.status, ServiceStatus::parse)?,
            reifegrad_min: params::opt("reifegrad_min", &self.reifegrad_min, Reifegrad::parse)?.map(Reifegrad::get),
            anbindung: params::list("anbindung", &self.anbindung, Anbindung::parse)?,
            price_model: params::list("price_model", &self.price_model, PriceModel::parse)?,
            efa: params::boolean("efa", &self.efa)?,
        };
        let default_sort = if query::is_search(&filter.q) { ServiceSort::Relevance } else { ServiceSort::Name };
        let (sort, descending) = params::sort(&self.sort, SERVICE_SORTS, default_sort)?;
        let page = Page::parse(&self.page, &self.per_page)?;
        Ok(ServiceQuery { filter, sort, descending, page })
    }
}

/// The `sort` keys of the online services' search.
pub const SERVICE_SORTS: &[(&str, ServiceSort)] = &[("relevance", ServiceSort::Relevance), ("name", ServiceSort::Name), ("reifegrad", ServiceSort::Reifegrad), ("updated_at", ServiceSort::UpdatedAt)];

/// Search and filter the online services; `facets` counts each filter's values over the other active filters.
#[utoipa::path(tag = "online-services", operation_id = "list_online_services", params(ServiceListParams),
    responses((status = 200, body = OnlineServicesResponse, headers(("Link" = String, description = "RFC 8288 first/prev/next/last"))), BadRequest, Unavailable))]
#[get("/online-services")]
pub async fn list_online_services(req: HttpRequest, state: web::Data<AppState>, viewer: Viewer, q: web::Query<ServiceListParams>) -> Result<HttpResponse, ApiError> {
    let ServiceQuery { filter, sort, descending, page } = q.parse()?;
    let c = state.catalogue()?;
    let viewer_org = viewer.0.as_ref().map(|p| p.org_id.as_str());
    let hits = query::online_services(&c, &filter, sort, descending, page, viewer_org);
    let body = page_json(&hits.page, &PageMeta::new(page, hits.total), &hits.facets, hits.matched.suggestion.as_deref());
    Ok(json_list(body, page.link_header(&req, hits.total)))
}

/// One online service with its description, prices and Themenfelder.
#[utoipa::path(tag = "online-services", operation_id = "get_online_service",
    params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid)),
    responses((status = 200, body = OnlineServiceDetail, headers(("ETag" = String))), (status = 304, description = "Not modified"), BadRequest, NotFound, Unavailable))]
#[get("/online-services/{id}")]
pub async fn get_online_service(req: HttpRequest, state: web::Data<AppState>, viewer: Viewer, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let c = state.catalogue()?;
    json_with_etag(&req, &visible_service(&c, &path, viewer.0.as_ref())?.detail)
}

/// The entry of service `raw_id` that `viewer` may see: the published one, the provider's own
/// working copy, any working copy for an operator.
pub fn visible_service<'a>(c: &'a Catalogue, raw_id: &str, viewer: Option<&Principal>) -> Result<&'a ServiceEntry, ApiError> {
    let id = uuid::Uuid::parse_str(raw_id).map_err(|_| ApiError::bad_param("id", "is not a UUID"))?.to_string();
    let viewer_org = viewer.map(|p| p.org_id.as_str());
    let operator = viewer.is_some_and(|p| p.has(Role::Operator));
    c.service_for(&id, viewer_org)
        .or_else(|| if operator { c.draft(&id) } else { None })
        .ok_or_else(|| ApiError::not_found(format!("online service {id} does not exist")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalogue::query::FacetValue;
    use std::borrow::Cow;

    #[test]
    fn the_written_page_is_what_serde_writes() {
        let value = |v: &'static str, label: &'static str, count, json: Option<&'static str>| FacetValue { value: Cow::Borrowed(v), label: Cow::Borrowed(label), count, json };
        let facets = Facets {
            themenfeld: vec![value("2", "Familie & Kind \"Kita\"", 3, Some("{\"value\":\"2\",\"label\":\"Familie & Kind \\\"Kita\\\"\",\"count\":")), value("7", "Ökologie", 0, None)],
            efa: vec![value("true", "true", 12, None)],
            ..Facets::default()
        };
        let meta = PageMeta { total: 41, page: 3, per_page: 20 };
        let written = page_json(&[], &meta, &facets, Some("wohngeld"));
        let documented = OnlineServicesResponse { items: Vec::new(), meta: meta.clone(), facets: facets.clone(), suggestion: Some("wohngeld".into()) };
        let expected = serde_json::to_value(&documented).unwrap();
        assert_eq!(serde_json::from_slice::<serde_json::Value>(&written).unwrap(), expected);
        assert_eq!(String::from_utf8(written).unwrap(), serde_json::to_string(&documented).unwrap(), "the same bytes, keys in the documented order");
    }
}
