//! Closed vocabularies of the catalogue. Each parses from its snake_case wire name
//! and rejects anything else with the list of allowed values.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{kind} must be one of {allowed}, got {got:?}")]
pub struct EnumError {
    pub kind: &'static str,
    pub allowed: String,
    pub got: String,
}

// `$wire` is a `tt`, not a `literal`: utoipa reads `#[serde(rename = …)]` only from a bare
// literal token, and a `literal` fragment reaches it wrapped in an invisible group, which made
// the OpenAPI enums list the Rust variant names ("InDevelopment") instead of the wire names.
macro_rules! string_enum {
    ($(#[$m:meta])* $name:ident, $kind:literal { $($(#[$vm:meta])* $variant:ident = $wire:tt),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        pub enum $name {
            $($(#[$vm])* #[serde(rename = $wire)] $variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub const fn as_str(self) -> &'static str {
                match self { $($name::$variant => $wire),+ }
            }

            pub fn parse(s: &str) -> Result<Self, $crate::enums::EnumError> {
                match s.trim() {
                    $($wire => Ok($name::$variant),)+
                    other => Err($crate::enums::EnumError {
                        kind: $kind,
                        allowed: [$($wire),+].join(", "),
                        got: other.chars().take(40).collect(),
                    }),
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl std::str::FromStr for $name {
            type Err = $crate::enums::EnumError;
            fn from_str(s: &str) -> Result<Self, $crate::enums::EnumError> {
                Self::parse(s)
            }
        }
    };
}
pub(crate) use string_enum;

string_enum!(
    /// Lifecycle of an online service itself (not of its marketplace listing).
    ServiceStatus, "status" {
        Planned = "planned",
        InDevelopment = "in_development",
        Pilot = "pilot",
        Live = "live",
        Retired = "retired",
    }
);

string_enum!(
    /// How a municipality connects to a service.
    Anbindung, "anbindung" {
        /// Submissions are routed to the municipality's FIT-Connect destination.
        FitConnect = "fit_connect",
        /// Data reaches the Fachverfahren in an XÖV standard (XBau, XMeld …).
        XoevStandard = "xoev_standard",
        /// The portal links out to the provider's online service.
        LinkOut = "link_out",
        /// A documented API the municipality's systems call.
        Api = "api",
    }
);

string_enum!(
    /// What a reusing municipality pays.
    PriceModel, "price_model" {
        Free = "free",
        OneOffAnbindungFee = "one_off_anbindung_fee",
        Annual = "annual",
        PerInhabitant = "per_inhabitant",
        KoenigsteinerShare = "koenigsteiner_share",
        PerUse = "per_use",
    }
);

string_enum!(
    /// Kind of organisation taking part in the marketplace.
    OrgKind, "kind" {
        Bund = "bund",
        Land = "land",
        Kommune = "kommune",
        ItDienstleister = "it_dienstleister",
        Zweckverband = "zweckverband",
        Bundler = "bundler",
    }
);

/// Reifegrad (maturity) of an online service, 0–4:
/// 0 none, 1 information online, 2 form online, 3 fully online with electronic proof/ID, 4 once-only.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Reifegrad(u8);

impl Reifegrad {
    pub fn get(self) -> u8 {
        self.0
    }
    pub fn parse(s: &str) -> Result<Self, EnumError> {
        s.trim().parse::<i64>().ok().and_then(|n| Self::try_from(n).ok()).ok_or_else(|| EnumError {
            kind: "reifegrad",
            allowed: "0, 1, 2, 3, 4".into(),
            got: s.chars().take(40).collect(),
        })
    }
}

impl TryFrom<i64> for Reifegrad {
    type Error = EnumError;
    fn try_from(n: i64) -> Result<Self, EnumError> {
        if (0..=4).contains(&n) {
            Ok(Reifegrad(n as u8))
        } else {
            Err(EnumError { kind: "reifegrad", allowed: "0, 1, 2, 3, 4".into(), got: n.to_string() })
        }
    }
}

impl From<Reifegrad> for i64 {
    fn from(r: Reifegrad) -> i64 {
        i64::from(r.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_variant_round_trips_through_its_wire_name() {
        for s in ServiceStatus::ALL {
            assert_eq!(ServiceStatus::parse(s.as_str()).unwrap(), *s);
        }
        for a in Anbindung::ALL {
            assert_eq!(Anbindung::parse(a.as_str()).unwrap(), *a);
        }
        for p in PriceModel::ALL {
            assert_eq!(serde_json::to_string(p).unwrap(), format!("\"{}\"", p.as_str()));
        }
        for k in OrgKind::ALL {
            assert_eq!(OrgKind::parse(k.as_str()).unwrap(), *k);
        }
    }

    #[test]
    fn unknown_value_names_the_allowed_ones() {
        let e = ServiceStatus::parse("online").unwrap_err();
        assert!(e.to_string().contains("planned, in_development, pilot, live, retired"), "{e}");
    }

    #[test]
    fn reifegrad_is_zero_to_four() {
        assert_eq!(Reifegrad::parse("3").unwrap().get(), 3);
        for bad in ["5", "-1", "x", ""] {
            assert!(Reifegrad::parse(bad).is_err());
        }
    }
}
