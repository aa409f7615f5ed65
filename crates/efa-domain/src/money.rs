//! Money is integer euro cents: no float ever touches an amount.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize)]
#[serde(try_from = "i64", into = "i64")]
pub struct Cents(i64);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CentsError {
    #[error("amount must be at least 0 cents, got {0}")]
    Negative(i64),
    #[error("amount must be at most {max} cents (100 million euros), got {0}", max = Cents::MAX.0)]
    TooLarge(i64),
    #[error("amount {0:?} is not a number of euros with at most two decimals")]
    Malformed(String),
}

impl Cents {
    pub const ZERO: Cents = Cents(0);
    /// The largest amount anything may state: 100 million euros. Far above any fee of an
    /// online service, and small enough that a per-inhabitant price times the largest
    /// population, plus the other fees, stays far inside i64.
    pub const MAX: Cents = Cents(10_000_000_000);

    pub fn new(n: i64) -> Result<Self, CentsError> {
        if n < 0 {
            Err(CentsError::Negative(n))
        } else if n > Cents::MAX.0 {
            Err(CentsError::TooLarge(n))
        } else {
            Ok(Cents(n))
        }
    }

    pub fn get(self) -> i64 {
        self.0
    }

    /// Parses a euro amount as written in German or English sources: "1.234,50", "1234.5", "0".
    pub fn parse_euros(s: &str) -> Result<Self, CentsError> {
        let bad = || CentsError::Malformed(s.chars().take(40).collect());
        let t = s.trim().trim_end_matches('€').trim();
        // Both separators present: the last one is the decimal separator.
        let normalized: String = match (t.rfind(','), t.rfind('.')) {
            (Some(c), Some(d)) if c > d => t.replace('.', "").replace(',', "."),
            (Some(_), Some(_)) => t.replace(',', ""),
            (Some(_), None) => t.replace(',', "."),
            _ => t.to_owned(),
        };
        let (euros, frac) = normalized.split_once('.').unwrap_or((&normalized, ""));
        if euros.is_empty() || !euros.bytes().all(|b| b.is_ascii_digit()) || frac.len() > 2 || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad());
        }
        let e: i64 = euros.parse().map_err(|_| bad())?;
        let f: i64 = if frac.is_empty() { 0 } else { format!("{frac:0<2}").parse().map_err(|_| bad())? };
        let cents = e.checked_mul(100).and_then(|c| c.checked_add(f)).ok_or_else(bad)?;
        Cents::new(cents)
    }
}

impl TryFrom<i64> for Cents {
    type Error = CentsError;
    fn try_from(n: i64) -> Result<Self, CentsError> {
        Cents::new(n)
    }
}

impl From<Cents> for i64 {
    fn from(c: Cents) -> i64 {
        c.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_german_and_english_amounts() {
        assert_eq!(Cents::parse_euros("1.234,50").unwrap().get(), 123_450);
        assert_eq!(Cents::parse_euros("1234.5").unwrap().get(), 123_450);
        assert_eq!(Cents::parse_euros("0").unwrap().get(), 0);
        assert_eq!(Cents::parse_euros("12 €").unwrap().get(), 1_200);
    }

    #[test]
    fn rejects_negative_malformed_and_too_large() {
        assert!(Cents::new(-1).is_err());
        assert_eq!(Cents::new(10_000_000_000).map(Cents::get), Ok(10_000_000_000));
        assert_eq!(Cents::new(10_000_000_001), Err(CentsError::TooLarge(10_000_000_001)));
        assert_eq!(Cents::new(i64::MAX), Err(CentsError::TooLarge(i64::MAX)));
        assert!(Cents::parse_euros("100.000.001,00").is_err());
        assert_eq!(Cents::parse_euros("100.000.000,00").map(Cents::get), Ok(10_000_000_000));
        for bad in ["-5", "1,234", "abc", "", "1.2.3,4,5"] {
            assert!(Cents::parse_euros(bad).is_err(), "{bad:?}");
        }
    }
}
