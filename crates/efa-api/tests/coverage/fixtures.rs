//! Fixtures shared by several test modules, each with its expected numbers worked out by hand.

use crate::support::*;
use chrono::NaiveDate;

/// Landkreis Ammerland (03451, Niedersachsen), from seed-data/gemeinden.csv:
///
/// | AGS      | Gemeinde           | Einwohner |
/// |----------|--------------------|-----------|
/// | 03451001 | Apen               |    11,692 |
/// | 03451002 | Bad Zwischenahn    |    28,896 |
/// | 03451004 | Edewecht           |    22,453 |
/// | 03451005 | Rastede            |    22,704 |
/// | 03451007 | Westerstede, Stadt |    22,952 |
/// | 03451008 | Wiefelstede        |    16,162 |
/// |          | together           |   124,859 |
///
/// Niedersachsen has no Land-wide service in the seed, so before the fixture every
/// Gemeinde there covers 0 of the 460 in-scope OZG-Leistungen.
pub const AMMERLAND_GEMEINDEN: [(&str, &str, i64); 6] = [
    ("03451001", "Apen", 11_692),
    ("03451002", "Bad Zwischenahn", 28_896),
    ("03451004", "Edewecht", 22_453),
    ("03451005", "Rastede", 22_704),
    ("03451007", "Westerstede, Stadt", 22_952),
    ("03451008", "Wiefelstede", 16_162),
];
pub const AMMERLAND_POPULATION: i64 = 124_859;

/// The Kreis agreement: signed 10 February 2025, live since 3 March 2025.
pub fn kreis_signed() -> chrono::NaiveDateTime {
    at(2025, 2, 10)
}
pub fn kreis_live() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 3).unwrap()
}

pub struct Ammerland {
    /// "Familienleistungen Ammerland": OZG A and C, Reifegrad 3, live through the Kreis agreement.
    pub familie: Listing,
    /// "Hebammenhilfe digital": OZG B, Reifegrad 2, live for Edewecht through its own accession.
    pub hebamme: Listing,
    pub kreis_agreement: String,
    pub edewecht_agreement: String,
    /// Apen acceded to the Hebammenhilfe framework too, but its onboarding has not started.
    pub apen_agreement: String,
}

/// Builds the Ammerland fixture. Expected coverage (N = 460 in scope):
///
/// - every Gemeinde of Ammerland: A and C through the Kreis (2 covered);
/// - Edewecht also B through its own agreement (3 covered);
/// - Apen's agreement for B is only active, so Apen stays at 2.
pub async fn ammerland<A: TestApp>(app: &A, w: &World) -> Ammerland {
    let familie = published(app, w, "Familienleistungen Ammerland", "03", &[OZG_A, OZG_C], 3, "agreements").await;
    let hebamme = published(app, w, "Hebammenhilfe digital", "03", &[OZG_B], 2, "agreements").await;
    let kreis_agreement = kreis_agreement(w, &familie, AMMERLAND, kreis_signed(), kreis_live()).await;
    let fw = framework(app, w, &hebamme, "03").await;
    let edewecht_agreement = live_by_accession(app, w, &hebamme, &fw, EDEWECHT).await;
    let apen_agreement = accede(app, &fw, &w.kommune(APEN), None).await;
    Ammerland { familie, hebamme, kreis_agreement, edewecht_agreement, apen_agreement }
}
