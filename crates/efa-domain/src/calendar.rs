//! Calendar dates as German administration counts them: in Europe/Berlin. Instants stay in
//! UTC; a date (today, a start or notice date, the year of a contract number, the day a
//! service went live) is the date on the wall in Berlin at that instant.

use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
use chrono_tz::Europe::Berlin;

/// The Berlin date at instant `t`.
pub fn date_at(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&Berlin).date_naive()
}

/// The Berlin date of a UTC timestamp as stored (naive UTC).
pub fn date_of_utc(t: NaiveDateTime) -> NaiveDate {
    date_at(DateTime::from_naive_utc_and_offset(t, Utc))
}

/// The time on the wall in Berlin at instant `t` (for people; store and compare UTC).
pub fn wall_time(t: DateTime<Utc>) -> NaiveDateTime {
    t.with_timezone(&Berlin).naive_local()
}

/// The instant day `d` begins in Berlin (midnight there; no clock change happens at midnight).
pub fn start_of_day(d: NaiveDate) -> DateTime<Utc> {
    use chrono::TimeZone;
    let midnight = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    Berlin.from_local_datetime(&midnight).earliest().map(|t| t.with_timezone(&Utc)).unwrap_or_else(|| DateTime::from_naive_utc_and_offset(midnight, Utc))
}

/// Today in Berlin.
pub fn today() -> NaiveDate {
    date_at(Utc::now())
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Datelike;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn dates_turn_at_midnight_in_berlin() {
        // Winter (CET, UTC+1): the day turns at 23:00 UTC.
        assert_eq!(date_at(at("2026-01-15T22:59:59Z")), d(2026, 1, 15));
        assert_eq!(date_at(at("2026-01-15T23:00:00Z")), d(2026, 1, 16));
        // Summer (CEST, UTC+2): at 22:00 UTC.
        assert_eq!(date_at(at("2026-06-30T21:59:59Z")), d(2026, 6, 30));
        assert_eq!(date_at(at("2026-06-30T22:00:00Z")), d(2026, 7, 1));
        // New Year: half an hour after midnight in Berlin it is still the old year in UTC.
        let new_year = at("2026-12-31T23:30:00Z");
        assert_eq!(new_year.year(), 2026);
        assert_eq!(date_at(new_year), d(2027, 1, 1));
        assert_eq!(date_of_utc(new_year.naive_utc()).year(), 2027);
        // The switch days themselves: 29 March and 25 October 2026.
        assert_eq!(date_at(at("2026-03-29T21:59:00Z")), d(2026, 3, 29));
        assert_eq!(date_at(at("2026-03-29T22:00:00Z")), d(2026, 3, 30));
        assert_eq!(date_at(at("2026-10-25T22:59:00Z")), d(2026, 10, 25));
        assert_eq!(date_at(at("2026-10-25T23:00:00Z")), d(2026, 10, 26));
        assert_eq!(wall_time(at("2026-07-01T10:15:00Z")).to_string(), "2026-07-01 12:15:00");
        // A day begins at 23:00 UTC the day before in winter, 22:00 in summer.
        assert_eq!(start_of_day(d(2026, 1, 16)), at("2026-01-15T23:00:00Z"));
        assert_eq!(start_of_day(d(2026, 7, 1)), at("2026-06-30T22:00:00Z"));
        assert_eq!(start_of_day(d(2026, 3, 30)), at("2026-03-29T22:00:00Z"));
    }
}
