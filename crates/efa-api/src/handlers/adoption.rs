//! Adoption per month over HTTP: agreements signed (by both sides) and services gone live;
//! the counting lives in [`crate::operations::adoption`].

use super::coverage::{respond, Table};
use super::{BadRequest, Unavailable};
use crate::error::ApiError;
use crate::params;
use crate::state::AppState;
use actix_web::{get, web, HttpRequest, HttpResponse};
use crate::operations::adoption::{per_month, AdoptionMonth, AdoptionQuery};
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
    let items = per_month(&state, AdoptionQuery { land, online_service: service, from, to }).await?;
    let body = AdoptionResponse { items };
    respond(&req, &body, || Table {
        header: vec!["month", "agreements_signed", "went_live"],
        rows: body.items.iter().map(|m| vec![m.month.clone(), m.agreements_signed.to_string(), m.went_live.to_string()]).collect(),
    })
}
