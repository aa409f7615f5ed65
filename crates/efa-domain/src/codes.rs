//! Official keys: AGS/ARS (Destatis), Land and Kreis codes, LeiKa keys, OZG-IDs.

use serde::{Deserialize, Serialize};
use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CodeError {
    #[error("{kind} must be exactly {len} digits, got {got:?}")]
    WrongShape { kind: &'static str, len: usize, got: String },
    #[error("{kind} {got:?} names no German Land (01–16)")]
    UnknownLand { kind: &'static str, got: String },
    #[error("OZG-ID must be a number between 1 and 99999, got {0:?}")]
    OzgId(String),
}

fn digits(kind: &'static str, len: usize, s: &str) -> Result<String, CodeError> {
    let s = s.trim();
    if s.len() == len && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(s.to_owned())
    } else {
        Err(CodeError::WrongShape { kind, len, got: s.chars().take(40).collect() })
    }
}

fn check_land(kind: &'static str, s: &str) -> Result<(), CodeError> {
    match s.get(..2).and_then(|p| p.parse::<u8>().ok()) {
        Some(1..=16) => Ok(()),
        _ => Err(CodeError::UnknownLand { kind, got: s.to_owned() }),
    }
}

macro_rules! digit_code {
    ($(#[$m:meta])* $name:ident, $kind:literal, $len:literal, land_prefixed = $land:literal) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(s: &str) -> Result<Self, CodeError> {
                let d = digits($kind, $len, s)?;
                if $land {
                    check_land($kind, &d)?;
                }
                Ok(Self(d))
            }
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }
        impl AsRef<str> for $name {
            fn as_ref(&self) -> &str {
                &self.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
        impl TryFrom<String> for $name {
            type Error = CodeError;
            fn try_from(s: String) -> Result<Self, CodeError> {
                Self::parse(&s)
            }
        }
        impl From<$name> for String {
            fn from(v: $name) -> String {
                v.0
            }
        }
        impl std::str::FromStr for $name {
            type Err = CodeError;
            fn from_str(s: &str) -> Result<Self, CodeError> {
                Self::parse(s)
            }
        }
    };
}

digit_code!(
    /// Two-digit Land code, the first two digits of every AGS (01 Schleswig-Holstein … 16 Thüringen).
    LandCode, "Land code", 2, land_prefixed = true
);
digit_code!(
    /// Five-digit Kreis code: Land (2) + Regierungsbezirk (1) + Kreis (2).
    KreisCode, "Kreis code", 5, land_prefixed = true
);
digit_code!(
    /// Amtlicher Gemeindeschlüssel: Land 2 + Regierungsbezirk 1 + Kreis 2 + Gemeinde 3.
    Ags, "AGS", 8, land_prefixed = true
);
digit_code!(
    /// Amtlicher Regionalschlüssel: the AGS with the 4-digit Gemeindeverband inserted after the Kreis.
    Ars, "ARS", 12, land_prefixed = true
);
digit_code!(
    /// 14-digit key of the Leistungskatalog (LeiKa), e.g. 99012001000000 Abbruchgenehmigung.
    LeikaKey, "LeiKa key", 14, land_prefixed = false
);

impl Ags {
    pub fn land(&self) -> LandCode {
        LandCode(self.0[..2].to_owned())
    }
    pub fn kreis(&self) -> KreisCode {
        KreisCode(self.0[..5].to_owned())
    }
}

impl Ars {
    /// The AGS inside an ARS: the Gemeindeverband digits (positions 6–9) are not part of it.
    pub fn ags(&self) -> Ags {
        Ags(format!("{}{}", &self.0[..5], &self.0[9..]))
    }
}

impl KreisCode {
    pub fn land(&self) -> LandCode {
        LandCode(self.0[..2].to_owned())
    }
}

/// Number of an OZG-Leistung in the OZG-Umsetzungskatalog (e.g. 10092 Wohngeld).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct OzgId(i32);

impl OzgId {
    pub fn parse(s: &str) -> Result<Self, CodeError> {
        let n: i64 = s.trim().parse().map_err(|_| CodeError::OzgId(s.chars().take(40).collect()))?;
        Self::try_from(n)
    }
    pub fn get(self) -> i32 {
        self.0
    }
}
impl TryFrom<i64> for OzgId {
    type Error = CodeError;
    fn try_from(n: i64) -> Result<Self, CodeError> {
        if (1..=99_999).contains(&n) {
            Ok(Self(n as i32))
        } else {
            Err(CodeError::OzgId(n.to_string()))
        }
    }
}
impl From<OzgId> for i64 {
    fn from(v: OzgId) -> i64 {
        i64::from(v.0)
    }
}
impl fmt::Display for OzgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}
impl std::str::FromStr for OzgId {
    type Err = CodeError;
    fn from_str(s: &str) -> Result<Self, CodeError> {
        Self::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ags_accepts_eight_digits_of_a_real_land() {
        let ags = Ags::parse("05315000").unwrap();
        assert_eq!(ags.land().as_str(), "05");
        assert_eq!(ags.kreis().as_str(), "05315");
    }

    #[test]
    fn ags_rejects_wrong_length_letters_and_unknown_land() {
        for bad in ["0531500", "053150000", "05a15000", "", "17000000", "00000000", " 0531 5000"] {
            assert!(Ags::parse(bad).is_err(), "{bad:?} must be rejected");
        }
    }

    #[test]
    fn ars_contains_its_ags() {
        let ars = Ars::parse("010590045045").unwrap();
        assert_eq!(ars.ags().as_str(), "01059045");
    }

    #[test]
    fn leika_key_is_fourteen_digits() {
        assert!(LeikaKey::parse("99012001000000").is_ok());
        assert!(LeikaKey::parse("9901200100000").is_err());
        assert!(LeikaKey::parse("9901200100000x").is_err());
    }

    #[test]
    fn ozg_id_range() {
        assert_eq!(OzgId::parse("10092").unwrap().get(), 10092);
        for bad in ["0", "-1", "100000", "abc", "10092.5"] {
            assert!(OzgId::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn serde_goes_through_parse() {
        assert!(serde_json::from_str::<Ags>("\"99999999\"").is_err());
        assert_eq!(serde_json::from_str::<LandCode>("\"09\"").unwrap().as_str(), "09");
    }
}
