//! Response shapes shared by several endpoints. Field names are the wire names.

use chrono::{DateTime, Utc};
use efa_domain::{Anbindung, OrgKind, PriceModel, ServiceStatus};
use serde::Serialize;
use utoipa::ToSchema;

/// A reference to a Land by its two-digit code.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LandRef {
    #[schema(example = "05")]
    pub code: String,
    #[schema(example = "Nordrhein-Westfalen")]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct KreisRef {
    #[schema(example = "05315")]
    pub code: String,
    #[schema(example = "Köln, Stadt")]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct IdRef {
    pub id: i32,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrganisationRef {
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OzgRef {
    #[schema(example = 10092)]
    pub ozg_id: i32,
    #[schema(example = "Wohngeld")]
    pub name: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Land {
    #[schema(example = "05")]
    pub code: String,
    #[schema(example = "Nordrhein-Westfalen")]
    pub name: String,
    /// Inhabitants on 31.12.2019 (Destatis Gemeindeverzeichnis).
    pub population: i64,
    /// Inhabitants on 31.12.2023 (Destatis table 12411-0013).
    pub population_2023: Option<i64>,
    pub gemeinden_count: i32,
    pub kreise_count: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Kreis {
    #[schema(example = "05315")]
    pub code: String,
    pub name: String,
    /// Kreisfreie Stadt, Landkreis, Kreis, Stadtkreis or Regionalverband.
    pub kind: String,
    pub land: LandRef,
    pub population: i64,
    pub gemeinden_count: i32,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Coordinates {
    pub latitude: f64,
    pub longitude: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Gemeinde {
    /// Amtlicher Gemeindeschlüssel (8 digits).
    #[schema(example = "05315000")]
    pub ags: String,
    /// Amtlicher Regionalschlüssel (12 digits).
    #[schema(example = "053150000000")]
    pub ars: String,
    #[schema(example = "Köln, Stadt")]
    pub name: String,
    /// Type after GV100: Kreisfreie Stadt, Stadt, Markt, kreisangehörige Gemeinde …
    pub kind: String,
    /// True for the 210 areas that belong to no municipality.
    pub gemeindefrei: bool,
    pub land: LandRef,
    pub kreis: Option<KreisRef>,
    pub gemeindeverband: Option<String>,
    pub population: i64,
    pub area_km2: Option<f64>,
    pub postcode: Option<String>,
    pub coordinates: Option<Coordinates>,
    pub urbanisation: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Themenfeld {
    pub id: i32,
    #[schema(example = "Familie & Kind")]
    pub name: String,
    /// The federführendes Land of the Themenfeld, where known.
    pub lead_land: Option<LandRef>,
    pub lead_bundesressort: Option<String>,
    pub ozg_leistungen_count: usize,
    pub online_services_count: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Lebenslage {
    pub id: i32,
    pub name: String,
    pub themenfeld: IdRef,
    pub ozg_leistungen_count: usize,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Leika {
    /// 14-digit LeiKa key; absent for entries marked "nicht im LeiKa".
    #[schema(example = "99107023000000")]
    pub key: Option<String>,
    pub name: String,
    /// LeiKa-Typ as in the source ("1", "2/3", "4" …): which level regulates and which executes.
    pub leika_typ: Option<String>,
    pub legal_basis: Option<String>,
    pub laws: Option<String>,
    pub law_abbreviations: Option<String>,
    pub sdg1_relevant: bool,
    pub sdg2_relevant: bool,
}

/// Why an OZG-Leistung matched a search.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum MatchedOn {
    /// The search words are in the OZG-Leistung's own name.
    Name,
    /// The search words are in the name of one of its LeiKa-Leistungen.
    Leika,
    /// Some search words are only in its Lebenslage or Themenfeld.
    Lebenslage,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OzgLeistung {
    #[schema(example = 10092)]
    pub ozg_id: i32,
    #[schema(example = "Wohngeld")]
    pub name: String,
    pub themenfeld: IdRef,
    pub lebenslage: IdRef,
    pub leika_count: usize,
    pub online_services_count: usize,
    /// Present when the OZG-Leistung is retired from the catalogue (a newer catalogue left it
    /// out): listings, requests and agreements still point at it, no new listing may.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retired: Option<Retired>,
    /// Present on search results only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matched_on: Option<MatchedOn>,
}

/// When an OZG-Leistung was retired, and which one succeeds it where known.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Retired {
    pub retired_at: chrono::DateTime<chrono::Utc>,
    pub successor: Option<IdRef>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OzgLeistungDetail {
    #[serde(flatten)]
    pub leistung: OzgLeistung,
    pub leika_leistungen: Vec<Leika>,
    pub online_services: Vec<OnlineService>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LeikaDetail {
    #[serde(flatten)]
    pub leika: Leika,
    pub ozg_leistung: Option<OzgLeistung>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Organisation {
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
    pub land: Option<LandRef>,
    pub ags: Option<String>,
    pub ars: Option<String>,
    pub online_services_count: usize,
}

/// Amounts in integer euro cents; absent where the listing states none.
// Its own schema name: the listing's `Prices` (efa_domain) is another type, and two schemas of
// one name made the OpenAPI document describe this one with the other's required fields.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
#[schema(as = ServicePrices)]
pub struct Prices {
    pub one_off_anbindung_fee_cents: Option<i64>,
    pub annual_fee_cents: Option<i64>,
    /// Whether the first year's annual fee is charged pro rata (by days).
    pub pro_rata_first_year: Option<bool>,
    pub per_inhabitant_cents: Option<i64>,
    /// Total shared cost split among participating Länder by the Königsteiner Schlüssel.
    pub koenigsteiner_total_cents: Option<i64>,
    pub per_use_cents: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnlineService {
    pub id: String,
    pub name: String,
    pub provider: OrganisationRef,
    pub lead_land: Option<LandRef>,
    /// Built under the "Einer für Alle" principle for reuse by others.
    pub efa: bool,
    /// Absent where the source does not say.
    pub status: Option<ServiceStatus>,
    /// 0–4; absent where the source does not say.
    pub reifegrad: Option<u8>,
    pub anbindung: Vec<Anbindung>,
    pub price_model: Option<PriceModel>,
    pub url: Option<String>,
    pub ozg_leistungen: Vec<OzgRef>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OnlineServiceDetail {
    #[serde(flatten)]
    pub service: OnlineService,
    pub description: Option<String>,
    pub prices: Prices,
    /// Lifecycle of the marketplace listing; drafts are shown to their provider only.
    pub listing_state: efa_domain::listing::ListingState,
    /// Where the service is live without an agreement of its own.
    pub reach: efa_domain::listing::Reach,
    /// Number of the published version shown; absent for a never-published draft.
    pub published_version: Option<i32>,
    /// Conformance with the EfA-Mindestanforderungen, per criterion.
    pub conformance: Vec<efa_domain::listing::Conformance>,
    pub terms: Option<efa_domain::listing::Terms>,
    pub contact: Option<efa_domain::listing::Contact>,
    pub availability: Option<efa_domain::listing::Availability>,
    pub anbindung_details: Option<efa_domain::listing::AnbindungDetails>,
    pub themenfelder: Vec<IdRef>,
    /// The seed file the entry came from, or `marketplace` for listings made through the API.
    pub source: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}
