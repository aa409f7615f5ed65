//! Honest coverage: which OZG-Leistungen a Gemeinde's people can really do online.
//!
//! **Scope.** Whether an OZG-Leistung concerns a Gemeinde follows from the LeiKa-Typ of its
//! LeiKa-Leistungen, which says who regulates and who executes (source: Digital-Direkt NRW,
//! "LeiKa-Typ", https://digital-direkt.nrw/faq-items/leika-typ/):
//!
//! | Typ | regulates | executes |
//! |---|---|---|
//! | 1 | Bund | Bund |
//! | 2, 3 (written "2/3") | Bund | Land (2) or Kommune (3) |
//! | 4 | Land | Land or Kommune |
//! | 5 | Kommune | Kommune |
//!
//! An OZG-Leistung is in scope for a Gemeinde when at least one of its LeiKa-Leistungen
//! may be executed at municipal level: Typ 2/3, 3, 4 or 5. Typ 1 and a plain Typ 2 are
//! executed by Bund or Land; Typ 6 is not among the five types the source names and is
//! left out rather than guessed.
//!
//! **Covered.** An in-scope OZG-Leistung is covered for a Gemeinde when an online service
//! implementing it is live for that Gemeinde: through a live agreement of the Gemeinde itself
//! (signed by it or by its bundler), of its Kreis, or because the listing declares it live
//! Land-wide (for its lead Land) or nationwide. A service that is not live, and an agreement
//! that is not live, do not count. The best Reifegrad among the covering services counts.

use serde::Serialize;
use utoipa::ToSchema;

/// LeiKa types under which a Kommune may execute the Leistung.
const MUNICIPAL: &[&str] = &["2/3", "3", "4", "5", "4/5"];

/// Is one LeiKa-Typ value (as written in the catalogue, e.g. "2/3" or "1, 2/3") municipal?
pub fn municipal_execution(leika_typ: &str) -> bool {
    leika_typ.split([',', ';']).map(str::trim).any(|t| MUNICIPAL.contains(&t))
}

/// The one scope rule: in scope when any LeiKa-Leistung of it may be executed by a Kommune.
pub fn in_scope_for_gemeinde<'a>(leika_types: impl IntoIterator<Item = &'a str>) -> bool {
    leika_types.into_iter().any(municipal_execution)
}

/// How a covered OZG-Leistung reaches the Gemeinde, in order of preference when several do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Through {
    /// A live agreement of the Gemeinde, signed by itself.
    OwnAgreement,
    /// A live agreement of the Gemeinde, signed by its bundler.
    Bundler,
    /// A live agreement of its Kreis.
    Kreis,
    /// The listing is live Land-wide in the Gemeinde's Land.
    LandWide,
    /// The listing is live nationwide.
    Nationwide,
}

impl Through {
    /// The wire name (as serialised).
    pub fn as_str(self) -> &'static str {
        match self {
            Through::OwnAgreement => "own_agreement",
            Through::Bundler => "bundler",
            Through::Kreis => "kreis",
            Through::LandWide => "land_wide",
            Through::Nationwide => "nationwide",
        }
    }
}

/// Population classes for comparing like with like.
pub fn population_class(population: i64) -> u8 {
    match population {
        p if p < 2_000 => 0,
        p if p < 5_000 => 1,
        p if p < 20_000 => 2,
        p if p < 100_000 => 3,
        p if p < 500_000 => 4,
        _ => 5,
    }
}

/// Min, median and max of shares (0–1); the median of an even count is the mean of the middle two.
pub fn distribution(shares: &[f64]) -> Option<(f64, f64, f64)> {
    if shares.is_empty() {
        return None;
    }
    let mut s = shares.to_vec();
    s.sort_by(f64::total_cmp);
    let n = s.len();
    let median = if n % 2 == 1 { s[n / 2] } else { (s[n / 2 - 1] + s[n / 2]) / 2.0 };
    Some((s[0], median, s[n - 1]))
}

/// Σ covered_i / Σ in_scope_i weighted by population: the share of (people × Leistungen)
/// that can be done online.
pub fn population_weighted_share(items: &[(i64, usize, usize)]) -> f64 {
    let (num, den) = items.iter().fold((0f64, 0f64), |(n, d), &(pop, covered, scope)| {
        (n + pop as f64 * covered as f64, d + pop as f64 * scope as f64)
    });
    if den == 0.0 { 0.0 } else { num / den }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scope_follows_the_leika_type() {
        assert!(in_scope_for_gemeinde(["2/3"]));
        assert!(in_scope_for_gemeinde(["1", "4"]));
        assert!(in_scope_for_gemeinde(["5"]));
        assert!(in_scope_for_gemeinde(["1, 2/3"]));
        assert!(!in_scope_for_gemeinde(["1"]));
        assert!(!in_scope_for_gemeinde(["1", "2"]));
        assert!(!in_scope_for_gemeinde(["6"]));
        assert!(!in_scope_for_gemeinde(Vec::<&str>::new()));
    }

    #[test]
    fn distribution_and_weighting() {
        assert_eq!(distribution(&[0.5, 0.1, 0.9]), Some((0.1, 0.5, 0.9)));
        assert_eq!(distribution(&[0.2, 0.4]), Some((0.2, 0.30000000000000004, 0.4)));
        assert_eq!(distribution(&[]), None);
        // A city of 900 with 1 of 2 covered and a village of 100 with 2 of 2:
        // (900·1 + 100·2) / (900·2 + 100·2) = 1100 / 2000.
        assert!((population_weighted_share(&[(900, 1, 2), (100, 2, 2)]) - 0.55).abs() < 1e-12);
        assert_eq!(population_weighted_share(&[]), 0.0);
    }

    #[test]
    fn population_classes() {
        assert_eq!(population_class(1_999), 0);
        assert_eq!(population_class(2_000), 1);
        assert_eq!(population_class(1_000_000), 5);
    }
}
