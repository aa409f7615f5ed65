//! Adoption per month: agreements signed (by both sides) and services gone live, optionally
//! of one service, of the customers in one Land and between two months. Public figures: the
//! API's `GET /coverage/adoption` and the shop's coverage pages both read them here.

use crate::error::ApiError;
use crate::state::AppState;
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

/// The months with a signature or a go-live in them, oldest first: from the counts the writes
/// keep (a few rows per month, whatever the number of agreements).
pub async fn per_month(state: &AppState, q: AdoptionQuery) -> Result<Vec<AdoptionMonth>, ApiError> {
    let month = |(y, m): (i32, u32)| format!("{y:04}-{m:02}");
    let (service, land, from, to) = (q.online_service.clone(), q.land.clone(), q.from.map(month), q.to.map(month));
    let rows = state.db(move |conn| Ok(efa_store::reuse::adoption_months(conn, service.as_deref(), land.as_deref(), from.as_deref(), to.as_deref())?)).await?;
    let count = |n: i64| usize::try_from(n).unwrap_or(0);
    Ok(rows.into_iter().map(|(month, s, l)| AdoptionMonth { month, agreements_signed: count(s), went_live: count(l) }).collect())
}
