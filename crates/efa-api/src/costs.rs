//! What a Gemeinde (or a Kreis) would pay for a service: the estimate shown before ordering,
//! and the fees frozen into an agreement. The arithmetic is efa_domain::costs; this picks its inputs.

use crate::catalogue::{Catalogue, GemeindeEntry, OrgEntry, ServiceEntry};
use crate::views::Prices;
use crate::error::ApiError;
use crate::views::Kreis;
use chrono::{Datelike, NaiveDate};
use efa_domain::costs::{largest_remainder, per_inhabitant, pro_rata_first_year};
use efa_domain::{Cents, PriceModel};
use serde::Serialize;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct YearCost {
    pub year: i32,
    pub one_off_anbindung_fee_cents: i64,
    pub annual_fee_cents: i64,
    pub total_cents: i64,
}

/// Who pays: a Gemeinde, or a Kreis that orders for all its Gemeinden (a Kreis agreement
/// makes the service live in each of them, so all their inhabitants count).
#[derive(Debug, Clone, Copy)]
pub struct Payer<'a> {
    /// AGS of the Gemeinde (8 digits) or code of the Kreis (5 digits).
    pub key: &'a str,
    pub population: i64,
    pub land: &'a str,
}

impl<'a> Payer<'a> {
    pub fn gemeinde(g: &'a GemeindeEntry) -> Payer<'a> {
        Payer { key: &g.view.ags, population: g.view.population, land: &g.view.land.code }
    }

    pub fn kreis(k: &'a Kreis) -> Payer<'a> {
        Payer { key: &k.code, population: k.population, land: &k.land.code }
    }

    /// The Gemeinde or Kreis an organisation stands for; `None` for any other organisation.
    pub fn of_org(c: &'a Catalogue, org: &OrgEntry) -> Option<Payer<'a>> {
        if org.view.kind != efa_domain::OrgKind::Kommune {
            return None;
        }
        if let Some(ags) = &org.view.ags {
            return c.gemeinde(ags).map(Payer::gemeinde);
        }
        let ars = org.view.ars.as_deref()?;
        let code = ars.strip_suffix("0000000").filter(|k| k.len() == 5)?;
        c.kreis(code).map(Payer::kreis)
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CostEstimate {
    pub online_service_id: String,
    /// AGS of the Gemeinde, or the five-digit code of a Kreis ordering for its Gemeinden.
    pub ags: String,
    pub population: i64,
    pub start: NaiveDate,
    pub price_model: Option<PriceModel>,
    /// The year of `start`: one-off fee plus the (pro rata, where the listing says so) annual fee.
    pub first_year: YearCost,
    /// A full following year.
    pub following_year: YearCost,
    /// Under a Königsteiner model the Land pays: its share of the shared total among the
    /// Länder where the service is available, by the latest Königsteiner Schlüssel.
    pub land_share_cents: Option<i64>,
    /// Per-use prices depend on volume and are not in the totals.
    pub per_use_cents: Option<i64>,
    /// How the figures were computed, in words.
    pub basis: String,
}

/// What the fees of a service are computed from: its prices, price model and availability,
/// from the read model's snapshot (estimates) or from the database row (agreements).
#[derive(Debug, Clone)]
pub struct PriceBasis<'a> {
    pub service_id: &'a str,
    pub model: Option<PriceModel>,
    pub prices: Prices,
    pub availability: Option<&'a efa_domain::listing::Availability>,
}

impl<'a> PriceBasis<'a> {
    pub fn of(s: &'a ServiceEntry) -> PriceBasis<'a> {
        PriceBasis { service_id: &s.detail.service.id, model: s.detail.service.price_model, prices: s.detail.prices.clone(), availability: s.detail.availability.as_ref() }
    }
}

/// The fees for one Gemeinde or Kreis starting on `start`. Every sum is checked: amounts are
/// capped where a listing states them, so an overflow would be a bug, answered as a 422 at
/// the price field it came from rather than as a wrapped (negative) total.
pub fn estimate(c: &Catalogue, s: &PriceBasis<'_>, payer: Payer<'_>, start: NaiveDate) -> Result<CostEstimate, ApiError> {
    let p = &s.prices;
    let model = s.model;
    let population = u64::try_from(payer.population).unwrap_or(0);
    let too_large = |field: &str| {
        ApiError::Unprocessable(vec![efa_domain::listing::FieldError { field: format!("price.{field}"), message: "the fees computed from this amount are too large".into() }])
    };
    let one_off = p.one_off_anbindung_fee_cents.unwrap_or(0);
    let cents = |n: i64| Cents::new(n).unwrap_or(Cents::ZERO);
    let per_head = match p.per_inhabitant_cents {
        Some(r) => per_inhabitant(cents(r), population).ok_or_else(|| too_large("per_inhabitant_cents"))?,
        None => 0,
    };
    let annual = p.annual_fee_cents.unwrap_or(0).checked_add(per_head).ok_or_else(|| too_large("per_inhabitant_cents"))?;
    let pro_rata = p.pro_rata_first_year.unwrap_or(false);
    let first_annual = if pro_rata { pro_rata_first_year(annual, start) } else { annual };
    let first_total = one_off.checked_add(first_annual).ok_or_else(|| too_large("one_off_anbindung_fee_cents"))?;
    let mut basis = vec![match model {
        None => "The listing states no price model; amounts shown are those it lists.".to_owned(),
        Some(m) => format!("Price model {m}."),
    }];
    if per_head > 0 {
        basis.push(format!("{} ct per inhabitant × {} inhabitants.", p.per_inhabitant_cents.unwrap_or(0), population));
    }
    if pro_rata {
        basis.push(format!("First year pro rata: days from {start} to 31 December over the days of {}.", start.year()));
    }
    let land_share = (model == Some(PriceModel::KoenigsteinerShare)).then(|| {
        let total = cents(p.koenigsteiner_total_cents.unwrap_or(0));
        let available: Vec<&(String, i64)> = c
            .koenigsteiner
            .iter()
            .filter(|(land, _)| s.availability.is_none_or(|a| a.nationwide || a.laender.iter().any(|l| l.as_str() == land)))
            .collect();
        let shares = largest_remainder(total, &available.iter().map(|(_, w)| u64::try_from(*w).unwrap_or(0)).collect::<Vec<_>>());
        basis.push(format!(
            "Königsteiner Schlüssel {}: the Land pays its share; the Gemeinde pays no annual fee itself.",
            c.koenigsteiner_year.map(|y| y.to_string()).unwrap_or_default()
        ));
        available.iter().zip(shares).find(|((land, _), _)| *land == payer.land).map(|(_, s)| s.get()).unwrap_or(0)
    });
    Ok(CostEstimate {
        online_service_id: s.service_id.to_owned(),
        ags: payer.key.to_owned(),
        population: payer.population,
        start,
        price_model: model,
        first_year: YearCost { year: start.year(), one_off_anbindung_fee_cents: one_off, annual_fee_cents: first_annual, total_cents: first_total },
        following_year: YearCost { year: start.year() + 1, one_off_anbindung_fee_cents: 0, annual_fee_cents: annual, total_cents: annual },
        land_share_cents: land_share,
        per_use_cents: p.per_use_cents,
        basis: basis.join(" "),
    })
}
