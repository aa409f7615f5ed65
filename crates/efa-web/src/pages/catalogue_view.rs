//! What the catalogue pages share: German names of the API's values, a service as one row of
//! a list, the price in one line, and the cost estimate for a Gemeinde or Kreis in words.

use super::euro;
use crate::errors::WebError;
use crate::forms::Errors;
use crate::session::Shop;
use efa_api::catalogue::{Catalogue, ServiceEntry};
use efa_api::costs::CostEstimate;
use efa_api::error::ApiError;
use efa_api::views::Prices;
use efa_domain::{Ags, Anbindung, KreisCode, PriceModel, ServiceStatus};

pub fn status_de(s: ServiceStatus) -> &'static str {
    match s {
        ServiceStatus::Planned => "Geplant",
        ServiceStatus::InDevelopment => "In Entwicklung",
        ServiceStatus::Pilot => "Pilotbetrieb",
        ServiceStatus::Live => "In Betrieb",
        ServiceStatus::Retired => "Eingestellt",
    }
}

pub fn anbindung_de(a: Anbindung) -> &'static str {
    match a {
        Anbindung::FitConnect => "FIT-Connect",
        Anbindung::XoevStandard => "XÖV-Standard",
        Anbindung::LinkOut => "Verlinkung (Absprung zum Dienst)",
        Anbindung::Api => "Programmierschnittstelle (API)",
    }
}

pub fn price_model_de(p: PriceModel) -> &'static str {
    match p {
        PriceModel::Free => "Kostenfrei",
        PriceModel::OneOffAnbindungFee => "Einmalige Anbindungsgebühr",
        PriceModel::Annual => "Jahresgebühr",
        PriceModel::PerInhabitant => "Preis je Einwohnerin und Einwohner",
        PriceModel::KoenigsteinerShare => "Anteil nach Königsteiner Schlüssel (zahlt das Land)",
        PriceModel::PerUse => "Preis je Nutzung",
    }
}

/// The Reifegrad with its meaning (0–4).
pub fn reifegrad_de(r: u8) -> String {
    let meaning = match r {
        0 => "nicht online",
        1 => "Informationen online",
        2 => "Formular online",
        3 => "vollständig online mit elektronischem Nachweis und Identifizierung",
        _ => "Once-Only: Nachweise werden automatisch abgerufen",
    };
    format!("{r} – {meaning}")
}

/// The Reifegrad or "keine Angabe".
pub fn reifegrad_opt(r: Option<u8>) -> String {
    r.map(reifegrad_de).unwrap_or_else(|| "Keine Angabe".into())
}

pub fn status_opt(s: Option<ServiceStatus>) -> &'static str {
    s.map(status_de).unwrap_or("Keine Angabe")
}

/// The listing's prices in one line.
pub fn price_summary(model: Option<PriceModel>, p: &Prices) -> String {
    let mut parts: Vec<String> = Vec::new();
    if let Some(m) = model {
        parts.push(price_model_de(m).to_owned());
    }
    if let Some(c) = p.annual_fee_cents {
        parts.push(format!("{} jährlich", euro(c)));
    }
    if let Some(c) = p.one_off_anbindung_fee_cents {
        parts.push(format!("{} einmalig", euro(c)));
    }
    if let Some(c) = p.per_inhabitant_cents {
        parts.push(format!("{} je Einwohner/-in und Jahr", euro(c)));
    }
    if let Some(c) = p.per_use_cents {
        parts.push(format!("{} je Nutzung", euro(c)));
    }
    if parts.is_empty() {
        "Keine Preisangabe".into()
    } else {
        parts.join(" · ")
    }
}

/// One service as a line of a list or a column of the comparison.
pub struct ServiceRow {
    pub id: String,
    pub name: String,
    /// The name in parts, the search's matched words flagged (for `<mark>`).
    pub name_parts: Vec<(String, bool)>,
    pub provider: String,
    pub lead_land: String,
    pub status: &'static str,
    pub reifegrad: String,
    pub efa: bool,
    pub ozg: Vec<(i32, String)>,
    pub price: String,
}

impl ServiceRow {
    pub fn of(s: &ServiceEntry) -> ServiceRow {
        let v = &s.detail.service;
        ServiceRow {
            id: v.id.clone(),
            name: v.name.clone(),
            name_parts: vec![(v.name.clone(), false)],
            provider: v.provider.name.clone(),
            lead_land: v.lead_land.as_ref().map(|l| l.name.clone()).unwrap_or_else(|| "Keine Angabe".into()),
            status: status_opt(v.status),
            reifegrad: reifegrad_opt(v.reifegrad),
            efa: v.efa,
            ozg: v.ozg_leistungen.iter().map(|o| (o.ozg_id, o.name.clone())).collect(),
            price: price_summary(v.price_model, &s.detail.prices),
        }
    }
}

/// `text` in parts, the words a search matched flagged (see `efa_api::catalogue::engine::mark`).
pub fn marked(text: &str, matched: &efa_api::catalogue::query::Matched) -> Vec<(String, bool)> {
    efa_api::catalogue::engine::mark(text, &matched.marked).into_iter().map(|(t, m)| (t.to_owned(), m)).collect()
}

/// A checkbox or radio of a fieldset (see the `choices` macro).
pub struct Choice {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The place a cost is computed for, as typed into the cost form.
#[derive(Debug, Clone, Default)]
pub struct CostInput {
    pub ags: String,
    pub kreis: String,
}

/// A cost estimate with what it is for and how it is computed, in German.
pub struct Cost {
    pub place: String,
    pub population: String,
    pub this_year: i32,
    pub next_year: i32,
    pub this_year_total: String,
    pub this_year_one_off: String,
    pub this_year_annual: String,
    pub next_year_one_off: String,
    pub next_year_annual: String,
    pub next_year_total: String,
    pub land_share: Option<String>,
    /// The figures in cents, for tests and comparisons.
    pub first_cents: i64,
    pub following_cents: i64,
    pub explanation: Vec<String>,
}

impl CostInput {
    /// The user's own Gemeinde or Kreis, when the user's organisation is one.
    pub fn own(shop: &Shop, c: &Catalogue) -> CostInput {
        let payer = shop.user.as_ref().and_then(|u| c.org(&u.principal.org_id)).and_then(|o| efa_api::costs::Payer::of_org(c, o));
        match payer {
            Some(p) if p.key.len() == 8 => CostInput { ags: p.key.to_owned(), kreis: String::new() },
            Some(p) => CostInput { ags: String::new(), kreis: p.key.to_owned() },
            None => CostInput::default(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.ags.trim().is_empty() && self.kreis.trim().is_empty()
    }

    /// The estimate for service `id` (the same as the API's cost estimate), or the errors at
    /// the form's fields (`kosten_ags`, `kosten_kreis`).
    pub fn estimate(&self, shop: &Shop, c: &Catalogue, id: &str) -> Result<Result<Cost, Errors>, WebError> {
        let mut errors = Errors::default();
        let ags = match self.ags.trim() {
            "" => None,
            s => Ags::parse(s).map_err(|_| errors.add("kosten_ags", "Geben Sie den Amtlichen Gemeindeschlüssel mit 8 Ziffern ein, zum Beispiel 05315000.")).ok(),
        };
        let kreis = match self.kreis.trim() {
            "" => None,
            s => KreisCode::parse(s).map_err(|_| errors.add("kosten_kreis", "Geben Sie den Kreisschlüssel mit 5 Ziffern ein, zum Beispiel 05334.")).ok(),
        };
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        if ags.is_some() && kreis.is_some() {
            errors.add("kosten_kreis", "Geben Sie entweder eine Gemeinde oder einen Kreis ein, nicht beides.");
            return Ok(Err(errors));
        }
        let field = if ags.is_some() { "kosten_ags" } else { "kosten_kreis" };
        let place = match (&ags, &kreis) {
            (Some(a), _) => c.gemeinde(a.as_str()).map(|g| g.view.name.clone()),
            (_, Some(k)) => c.kreis(k.as_str()).map(|k| k.name.clone()),
            _ => None,
        };
        match efa_api::operations::frameworks::estimate(&shop.app, id, ags, kreis, None) {
            Ok(e) => Ok(Ok(Cost::of(c, id, &e, place.unwrap_or_default()))),
            Err(ApiError::NotFound { .. }) if place.is_none() => {
                errors.add(field, if field == "kosten_ags" { "Zu diesem Gemeindeschlüssel gibt es keine Gemeinde. Prüfen Sie die 8 Ziffern." } else { "Zu diesem Kreisschlüssel gibt es keinen Kreis. Prüfen Sie die 5 Ziffern." });
                Ok(Err(errors))
            }
            Err(e) => Err(e.into()),
        }
    }
}

impl Cost {
    fn of(c: &Catalogue, id: &str, e: &CostEstimate, place: String) -> Cost {
        let prices = c.service(id).map(|s| s.detail.prices.clone()).unwrap_or_default();
        let mut explanation = Vec::new();
        explanation.push(match e.price_model {
            Some(m) => format!("Preismodell: {}.", price_model_de(m)),
            None => "Der Eintrag nennt kein Preismodell; gezeigt werden die Beträge, die er nennt.".to_owned(),
        });
        if e.first_year.one_off_anbindung_fee_cents > 0 {
            explanation.push(format!("Einmalige Anbindungsgebühr {} – nur im ersten Jahr.", euro(e.first_year.one_off_anbindung_fee_cents)));
        }
        if let Some(rate) = prices.per_inhabitant_cents.filter(|r| *r > 0) {
            explanation.push(format!(
                "Preis je Einwohnerin und Einwohner: {} × {} Einwohner{} = {} im Jahr.",
                euro(rate),
                super::number(e.population),
                prices.annual_fee_cents.filter(|a| *a > 0).map(|a| format!(" zuzüglich Jahresgebühr {}", euro(a))).unwrap_or_default(),
                euro(e.following_year.annual_fee_cents)
            ));
        } else if e.following_year.annual_fee_cents > 0 {
            explanation.push(format!("Jahresgebühr {}.", euro(e.following_year.annual_fee_cents)));
        }
        if prices.pro_rata_first_year == Some(true) && e.following_year.annual_fee_cents > 0 {
            explanation.push(format!(
                "Jahresgebühr im ersten Jahr anteilig nach Tagen ab {} bis 31.12.{}: {} statt {}.",
                super::date(e.start),
                e.first_year.year,
                euro(e.first_year.annual_fee_cents),
                euro(e.following_year.annual_fee_cents)
            ));
        }
        if let Some(share) = e.land_share_cents {
            explanation.push(format!(
                "Das Land zahlt seinen Anteil nach dem Königsteiner Schlüssel {}: {}; die Gemeinde zahlt selbst keine Jahresgebühr.",
                c.koenigsteiner_year.map(|y| y.to_string()).unwrap_or_default(),
                euro(share)
            ));
        }
        if let Some(per_use) = e.per_use_cents {
            explanation.push(format!("Zusätzlich {} je Nutzung; das hängt von der Menge ab und ist in den Summen nicht enthalten.", euro(per_use)));
        }
        explanation.push(format!("Summe {}: {} einmalig + {} Jahresgebühr = {}.", e.first_year.year, euro(e.first_year.one_off_anbindung_fee_cents), euro(e.first_year.annual_fee_cents), euro(e.first_year.total_cents)));
        Cost {
            place: if place.is_empty() { e.ags.clone() } else { format!("{place} ({})", e.ags) },
            population: super::number(e.population),
            this_year: e.first_year.year,
            next_year: e.following_year.year,
            this_year_total: euro(e.first_year.total_cents),
            this_year_one_off: euro(e.first_year.one_off_anbindung_fee_cents),
            this_year_annual: euro(e.first_year.annual_fee_cents),
            next_year_one_off: euro(e.following_year.one_off_anbindung_fee_cents),
            next_year_annual: euro(e.following_year.annual_fee_cents),
            next_year_total: euro(e.following_year.total_cents),
            land_share: e.land_share_cents.map(euro),
            first_cents: e.first_year.total_cents,
            following_cents: e.following_year.total_cents,
            explanation,
        }
    }
}
