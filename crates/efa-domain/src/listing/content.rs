//! What a listing says: the validated content a provider publishes.
//! Serialises to exactly the JSON a client sends, so a merge patch can be applied to it.

use crate::{Anbindung, Cents, LandCode, OzgId, PriceModel, Reifegrad, ServiceStatus};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

crate::enums::string_enum!(
    /// How far a listing meets one EfA-Mindestanforderung.
    ConformanceLevel, "level" {
        Fulfilled = "fulfilled",
        Partly = "partly",
        Not = "not",
        Unknown = "unknown",
    }
);

crate::enums::string_enum!(
    /// Where the service is live without an agreement of its own.
    Reach, "reach" {
        /// Only where an agreement makes it live.
        Agreements = "agreements",
        /// In every Gemeinde of its lead Land (a Land-run service).
        LandWide = "land_wide",
        /// In every Gemeinde.
        Nationwide = "nationwide",
    }
);

impl Default for Reach {
    fn default() -> Reach {
        Reach::Agreements
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Conformance {
    /// Code of the EfA-Mindestanforderung (e.g. `MA-01`).
    pub criterion: String,
    pub level: ConformanceLevel,
    /// Where the claim can be checked (https).
    pub evidence_url: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Prices {
    pub model: PriceModel,
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10000000000.0)]
    pub one_off_anbindung_fee_cents: Option<Cents>,
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10000000000.0)]
    pub annual_fee_cents: Option<Cents>,
    /// Whether the annual fee of the first year is charged pro rata (by days).
    pub pro_rata_first_year: bool,
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10000000000.0)]
    pub per_inhabitant_cents: Option<Cents>,
    /// Shared cost split among participating Länder by the Königsteiner Schlüssel.
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10000000000.0)]
    pub koenigsteiner_total_cents: Option<Cents>,
    #[schema(value_type = Option<i64>, minimum = 0, maximum = 10000000000.0)]
    pub per_use_cents: Option<Cents>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Terms {
    pub text: String,
    pub version: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Contact {
    pub name: String,
    pub email: String,
    pub phone: Option<String>,
}

/// Where the service may be used: everywhere, or in the named Länder.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct Availability {
    pub nationwide: bool,
    #[schema(value_type = Vec<String>)]
    pub laender: Vec<LandCode>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
pub struct AnbindungDetails {
    pub fit_connect_destination_required: bool,
    pub xoev_standard: Option<String>,
    pub xoev_version: Option<String>,
    pub fachverfahren_interfaces: Vec<String>,
}

/// A complete, valid listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ListingContent {
    pub name: String,
    pub description: Option<String>,
    pub provider_org_id: String,
    #[schema(value_type = Vec<i32>)]
    pub ozg_ids: Vec<OzgId>,
    #[schema(value_type = Option<String>)]
    pub lead_land: Option<LandCode>,
    pub efa: bool,
    pub status: ServiceStatus,
    #[schema(value_type = Option<u8>, minimum = 0, maximum = 4)]
    pub reifegrad: Option<Reifegrad>,
    pub anbindung: Vec<Anbindung>,
    pub url: Option<String>,
    pub price: Option<Prices>,
    pub conformance: Vec<Conformance>,
    pub terms: Option<Terms>,
    pub contact: Option<Contact>,
    pub availability: Availability,
    pub anbindung_details: AnbindungDetails,
    /// Where it is live without agreements; Land-wide needs a lead Land.
    #[serde(default)]
    pub reach: Reach,
}
