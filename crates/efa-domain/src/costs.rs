//! Cost allocation, in integer cents. Every split uses the largest-remainder method, so the
//! shares always add up to the total exactly.

use crate::Cents;
use chrono::{Datelike, NaiveDate};

/// Splits `total` in proportion to `weights` (Hamilton / largest remainder): each share is
/// first rounded down, then the cents left over go one each to the largest remainders
/// (ties to the earlier participant). With all weights zero, the split is equal.
pub fn largest_remainder(total: Cents, weights: &[u64]) -> Vec<Cents> {
    let n = weights.len();
    if n == 0 {
        return Vec::new();
    }
    let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
    let weights: Vec<u128> = if sum == 0 { vec![1; n] } else { weights.iter().map(|&w| u128::from(w)).collect() };
    let sum: u128 = weights.iter().sum();
    let t = u128::try_from(total.get()).unwrap_or(0);
    let mut shares: Vec<u128> = weights.iter().map(|w| t * w / sum).collect();
    let mut remainders: Vec<(u128, usize)> = weights.iter().enumerate().map(|(i, w)| ((t * w) % sum, i)).collect();
    remainders.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    let left = t - shares.iter().sum::<u128>();
    for &(_, i) in remainders.iter().take(usize::try_from(left).unwrap_or(0)) {
        shares[i] += 1;
    }
    shares.into_iter().map(|s| Cents::new(i64::try_from(s).unwrap_or(i64::MAX)).unwrap_or(Cents::ZERO)).collect()
}

/// Equal split among `n` participants.
pub fn split_equally(total: Cents, n: usize) -> Vec<Cents> {
    largest_remainder(total, &vec![1; n])
}

/// Days in the year of `d`.
fn days_in_year(year: i32) -> i64 {
    if NaiveDate::from_ymd_opt(year, 2, 29).is_some() { 366 } else { 365 }
}

/// The first year's fee when the annual fee (in cents) is charged pro rata: the days from
/// `start` to 31 December inclusive, over the days of that year, rounded half up to the cent.
/// A start on 1 January pays the full fee. Never more than `annual`, so it cannot overflow.
pub fn pro_rata_first_year(annual: i64, start: NaiveDate) -> i64 {
    let year_days = days_in_year(start.year());
    let remaining = year_days - i64::from(start.ordinal0());
    let numerator = i128::from(annual) * i128::from(remaining);
    let rounded = (numerator * 2 + i128::from(year_days)) / (2 * i128::from(year_days));
    i64::try_from(rounded).unwrap_or(annual)
}

/// A per-inhabitant price for a Gemeinde, in cents; `None` if it does not fit in i64.
/// (It may exceed [`Cents::MAX`]: the cap is on what a listing states, not on products.)
pub fn per_inhabitant(rate: Cents, population: u64) -> Option<i64> {
    rate.get().checked_mul(i64::try_from(population).ok()?)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn c(n: i64) -> Cents {
        Cents::new(n).unwrap()
    }

    #[test]
    fn worked_examples() {
        assert_eq!(largest_remainder(c(100), &[1, 1, 1]), vec![c(34), c(33), c(33)]);
        assert_eq!(largest_remainder(c(1000), &[2_107_592, 1_555_444]).iter().map(|x| x.get()).sum::<i64>(), 1000);
        assert_eq!(largest_remainder(c(10), &[0, 0]), vec![c(5), c(5)]);
        assert_eq!(split_equally(c(7), 3), vec![c(3), c(2), c(2)]);
        assert!(largest_remainder(c(5), &[]).is_empty());
    }

    /// Property: for many random totals and weights, the shares add up exactly, none is
    /// negative, and each is within one cent of its exact proportional value.
    #[test]
    fn shares_always_add_up_to_the_total() {
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..5_000 {
            let n = (next() % 20 + 1) as usize;
            let total = c((next() % 100_000_000) as i64);
            let weights: Vec<u64> = (0..n).map(|_| if next() % 5 == 0 { 0 } else { next() % 20_000_000 }).collect();
            let shares = largest_remainder(total, &weights);
            assert_eq!(shares.len(), n);
            assert_eq!(shares.iter().map(|s| s.get()).sum::<i64>(), total.get(), "{weights:?}");
            let sum: u128 = weights.iter().map(|&w| u128::from(w)).sum();
            if sum > 0 {
                for (s, w) in shares.iter().zip(&weights) {
                    let exact = total.get() as f64 * *w as f64 / sum as f64;
                    assert!((s.get() as f64 - exact).abs() < 1.0 + 1e-6, "share {s:?} vs exact {exact}");
                }
            }
        }
    }

    #[test]
    fn pro_rata_by_days() {
        let d = |y, m, day| NaiveDate::from_ymd_opt(y, m, day).unwrap();
        assert_eq!(pro_rata_first_year(365_00, d(2026, 1, 1)), 365_00);
        assert_eq!(pro_rata_first_year(365_00, d(2026, 12, 31)), 1_00);
        // 1 July 2026: 184 of 365 days; 120,000 ct × 184 / 365 = 60,493.15… → 60,493.
        assert_eq!(pro_rata_first_year(120_000, d(2026, 7, 1)), 60_493);
        // Leap year: 1 March 2028 leaves 306 of 366 days.
        assert_eq!(pro_rata_first_year(366_00, d(2028, 3, 1)), 306_00);
        // The largest sums do not overflow.
        assert_eq!(pro_rata_first_year(i64::MAX, d(2026, 1, 1)), i64::MAX);
    }

    #[test]
    fn per_inhabitant_multiplies() {
        assert_eq!(per_inhabitant(c(5), 1_084_831), Some(5_424_155));
        assert_eq!(per_inhabitant(Cents::MAX, 3_700_000), Some(37_000_000_000_000_000));
        assert_eq!(per_inhabitant(Cents::MAX, u64::MAX), None);
    }
}
