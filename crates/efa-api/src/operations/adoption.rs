//! Adoption per month: agreements signed (by both sides) and services gone live, optionally
//! of one service, of the customers in one Land and between two months. Public figures: the
//! API's `GET /coverage/adoption` and the shop's coverage pages both read them here.

use crate::error::ApiError;
use crate::state::AppState;
use chrono::Datelike;
use serde::Serialize;
use utoipa::ToSchema;

/// What to count: all unset counts every agreement of every month.
#[derive(Debug, Clone, Default)]
pub struct AdoptionQuery {
    pub land: Option<String>,
    pub online_service: Option<String>,
    /// First and last month counted, (year, month), inclusive.
    pub from: Option<(i32, u32)>,
    pub to: Option<(i32, u32)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct AdoptionMonth {
    /// YYYY-MM.
    pub month: String,
    pub agreements_signed: usize,
    pub went_live: usize,
}

/// The months with a signature or a go-live in them, oldest first.
pub async fn per_month(state: &AppState, q: AdoptionQuery) -> Result<Vec<AdoptionMonth>, ApiError> {
    let (service, land) = (q.online_service.clone(), q.land.clone());
    let rows = state.db(move |conn| Ok(efa_store::reuse::adoption_rows(conn, service.as_deref(), land.as_deref())?)).await?;
    // Counted by (year, month); the strings are written once per month at the end.
    let mut months: std::collections::BTreeMap<(i32, u32), (usize, usize)> = Default::default();
    let in_range = |m: (i32, u32)| q.from.is_none_or(|f| m >= f) && q.to.is_none_or(|t| m <= t);
    for (signed, live) in rows {
        if let Some(m) = signed.map(|t| (t.year(), t.month())).filter(|&m| in_range(m)) {
            months.entry(m).or_default().0 += 1;
        }
        if let Some(m) = live.map(|d| (d.year(), d.month())).filter(|&m| in_range(m)) {
            months.entry(m).or_default().1 += 1;
        }
    }
    Ok(months.into_iter().map(|((y, m), (s, l))| AdoptionMonth { month: format!("{y:04}-{m:02}"), agreements_signed: s, went_live: l }).collect())
}
