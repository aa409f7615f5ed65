//! Adoption per month: agreements signed (by both sides) and services gone live.

use super::coverage::{respond, Table};
use super::{BadRequest, Unavailable};
use crate::error::ApiError;
use crate::params;
use crate::state::AppState;
use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::Datelike;
use efa_domain::LandCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AdoptionParams {
    #[param(value_type = Option<String>, example = "05")]
    pub land: Option<String>,
    #[param(value_type = Option<String>)]
    pub online_service: Option<String>,
    /// First month, YYYY-MM.
    #[param(value_type = Option<String>, example = "2026-01")]
    pub from: Option<String>,
    /// Last month, YYYY-MM.
    #[param(value_type = Option<String>, example = "2026-12")]
    pub to: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdoptionMonth {
    /// YYYY-MM.
    pub month: String,
    pub agreements_signed: usize,
    pub went_live: usize,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AdoptionResponse {
    pub items: Vec<AdoptionMonth>,
}

/// A month `YYYY-MM` as (year, month).
fn month(s: &str, name: &str) -> Result<(i32, u32), ApiError> {
    let parsed = (s.len() == 7 && s.as_bytes()[4] == b'-').then(|| (s[..4].parse::<u16>().ok(), s[5..].parse::<u32>().ok()));
    match parsed {
        Some((Some(y), Some(m))) if (1..=12).contains(&m) && s[..4].bytes().all(|b| b.is_ascii_digit()) && s[5..].bytes().all(|b| b.is_ascii_digit()) => Ok((i32::from(y), m)),
        _ => Err(ApiError::bad_param(name, format!("{s:?} is not a month YYYY-MM"))),
    }
}

/// Agreements signed and services gone live per month.
#[utoipa::path(tag = "coverage", operation_id = "get_adoption", params(AdoptionParams),
    responses((status = 200, body = AdoptionResponse, content(("application/json"), ("text/csv"))), BadRequest, Unavailable))]
#[get("/coverage/adoption")]
pub async fn get_adoption(req: HttpRequest, state: web::Data<AppState>, q: web::Query<AdoptionParams>) -> Result<HttpResponse, ApiError> {
    let land = params::opt("land", &q.land, LandCode::parse)?.map(|l| l.to_string());
    let service = params::opt("online_service", &q.online_service, uuid::Uuid::parse_str)?.map(|u| u.to_string());
    let from = q.from.as_deref().map(|s| month(s, "from")).transpose()?;
    let to = q.to.as_deref().map(|s| month(s, "to")).transpose()?;
    let rows = state.db(move |conn| Ok(efa_store::reuse::adoption_rows(conn, service.as_deref(), land.as_deref())?)).await?;
    // Counted by (year, month); the strings are written once per month at the end.
    let mut months: std::collections::BTreeMap<(i32, u32), (usize, usize)> = Default::default();
    let in_range = |m: (i32, u32)| from.is_none_or(|f| m >= f) && to.is_none_or(|t| m <= t);
    for (signed, live) in rows {
        if let Some(m) = signed.map(|t| (t.year(), t.month())).filter(|&m| in_range(m)) {
            months.entry(m).or_default().0 += 1;
        }
        if let Some(m) = live.map(|d| (d.year(), d.month())).filter(|&m| in_range(m)) {
            months.entry(m).or_default().1 += 1;
        }
    }
    let items = months.into_iter().map(|((y, m), (s, l))| AdoptionMonth { month: format!("{y:04}-{m:02}"), agreements_signed: s, went_live: l }).collect();
    let body = AdoptionResponse { items };
    respond(&req, &body, || Table {
        header: vec!["month", "agreements_signed", "went_live"],
        rows: body.items.iter().map(|m| vec![m.month.clone(), m.agreements_signed.to_string(), m.went_live.to_string()]).collect(),
    })
}
