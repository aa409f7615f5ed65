//! Licence agreements (Nachnutzungsverträge): their state machine, numbers, terms in time.
//!
//! ```text
//! pending ──sign (one side)──▶ pending ──activate (both signed)──▶ active
//! active ──onboard (a step)──▶ active ──go_live (all steps)──▶ live
//! active | live ──terminate──▶ terminated
//! ```
//! An accession to a framework agreement starts active (signed by the accession itself).
//! A terminated agreement keeps running until its end date (see [`termination_end`]).

use chrono::{Datelike, Months, NaiveDate};

crate::enums::string_enum!(
    /// Where a licence agreement stands.
    AgreementState, "state" {
        /// Made; awaiting both signatures.
        Pending = "pending",
        /// Signed by both sides; onboarding runs.
        Active = "active",
        /// Onboarding done: the service runs for the customer.
        Live = "live",
        /// Notice given: the agreement ends on its end date.
        Terminated = "terminated",
    }
);

crate::enums::string_enum!(
    AgreementAction, "action" {
        Sign = "sign",
        Activate = "activate",
        Onboard = "onboard",
        GoLive = "go_live",
        Terminate = "terminate",
    }
);

impl AgreementState {
    /// Pending, active or live: at most one such agreement per customer and service.
    pub fn is_open(self) -> bool {
        !matches!(self, AgreementState::Terminated)
    }

    /// The states counted as open, as stored.
    pub const OPEN: [AgreementState; 3] = [AgreementState::Pending, AgreementState::Active, AgreementState::Live];
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct AgreementTransitionError {
    pub from: AgreementState,
    pub action: AgreementAction,
}

impl std::fmt::Display for AgreementTransitionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        use AgreementAction as A;
        let from = self.from;
        match self.action {
            A::Sign | A::Activate => write!(f, "the agreement is {from}, not awaiting signatures"),
            A::Onboard | A::GoLive => write!(f, "the agreement is {from}; onboarding runs while it is active"),
            A::Terminate => write!(f, "the agreement is {from}; only active or live agreements can be terminated"),
        }
    }
}

/// The state after `action`, or why it is not allowed in `from`.
pub fn next_agreement_state(from: AgreementState, action: AgreementAction) -> Result<AgreementState, AgreementTransitionError> {
    use AgreementAction as A;
    use AgreementState as S;
    let to = match (from, action) {
        (S::Pending, A::Sign) => S::Pending,
        (S::Pending, A::Activate) => S::Active,
        (S::Active, A::Onboard) => S::Active,
        (S::Active, A::GoLive) => S::Live,
        (S::Active | S::Live, A::Terminate) => S::Terminated,
        _ => return Err(AgreementTransitionError { from, action }),
    };
    Ok(to)
}

/// `EFA-2026-000123`: year and a gapless sequence per year.
pub fn contract_number(year: i32, seq: i64) -> String {
    format!("EFA-{year}-{seq:06}")
}

/// The (year, sequence) of a contract number, or None when it is not one.
pub fn parse_contract_number(s: &str) -> Option<(i32, i64)> {
    let rest = s.strip_prefix("EFA-")?;
    let (year, seq) = rest.split_once('-')?;
    if year.len() != 4 || seq.len() < 6 || !year.bytes().chain(seq.bytes()).all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some((year.parse().ok()?, seq.parse().ok()?))
}

/// When an agreement terminated with notice on `notice_date` ends: notice must run a full
/// `notice_months`, and the agreement cannot end before `start + minimum_term_months`.
/// Agreements end on the last day of a month (the usual rule in German IT contracts, EVB-IT).
pub fn termination_end(start: NaiveDate, minimum_term_months: u32, notice_date: NaiveDate, notice_months: u32) -> NaiveDate {
    let earliest_by_notice = notice_date.checked_add_months(Months::new(notice_months)).unwrap_or(notice_date);
    let earliest_by_term = start.checked_add_months(Months::new(minimum_term_months)).and_then(|d| d.pred_opt()).unwrap_or(start);
    month_end(earliest_by_notice.max(earliest_by_term))
}

fn month_end(d: NaiveDate) -> NaiveDate {
    let first_of_next = if d.month() == 12 {
        NaiveDate::from_ymd_opt(d.year() + 1, 1, 1)
    } else {
        NaiveDate::from_ymd_opt(d.year(), d.month() + 1, 1)
    };
    first_of_next.and_then(|f| f.pred_opt()).unwrap_or(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    /// The whole table, written out: every state × every action.
    #[test]
    fn exhaustive_agreement_table() {
        use AgreementAction as A;
        use AgreementState as S;
        let allowed: &[(S, A, S)] = &[
            (S::Pending, A::Sign, S::Pending),
            (S::Pending, A::Activate, S::Active),
            (S::Active, A::Onboard, S::Active),
            (S::Active, A::GoLive, S::Live),
            (S::Active, A::Terminate, S::Terminated),
            (S::Live, A::Terminate, S::Terminated),
        ];
        for &s in S::ALL {
            for &a in A::ALL {
                let want = allowed.iter().find(|(f, x, _)| *f == s && *x == a).map(|t| t.2);
                match (next_agreement_state(s, a), want) {
                    (Ok(got), Some(w)) => assert_eq!(got, w, "{s} {a}"),
                    (Err(e), None) => {
                        assert_eq!((e.from, e.action), (s, a));
                        assert!(e.to_string().contains(s.as_str()), "{e}");
                    }
                    (got, want) => panic!("{s} + {a}: got {got:?}, want {want:?}"),
                }
            }
        }
        // Terminated is final; open means not terminated.
        assert!(A::ALL.iter().all(|&a| next_agreement_state(S::Terminated, a).is_err()));
        assert_eq!(S::ALL.iter().copied().filter(|s| s.is_open()).collect::<Vec<_>>(), S::OPEN);
    }

    #[test]
    fn numbers_round_trip() {
        assert_eq!(contract_number(2026, 123), "EFA-2026-000123");
        assert_eq!(parse_contract_number("EFA-2026-000123"), Some((2026, 123)));
        for bad in ["EFA-26-000123", "EFA-2026-12", "XYZ-2026-000123", "EFA-2026-00012a"] {
            assert_eq!(parse_contract_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn termination_respects_notice_and_minimum_term() {
        // Started 1 Jan 2026, 12 months minimum, 3 months notice.
        // Notice on 10 Feb 2026: the minimum term wins → 31 Dec 2026.
        assert_eq!(termination_end(d(2026, 1, 1), 12, d(2026, 2, 10), 3), d(2026, 12, 31));
        // Notice on 10 Nov 2026: three months later is 10 Feb 2027 → end of February.
        assert_eq!(termination_end(d(2026, 1, 1), 12, d(2026, 11, 10), 3), d(2027, 2, 28));
        // Leap year.
        assert_eq!(termination_end(d(2027, 1, 1), 0, d(2027, 11, 15), 3), d(2028, 2, 29));
    }
}
