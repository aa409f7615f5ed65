//! The reuse request (Nachnutzungsanfrage) and its state machine:
//!
//! ```text
//! draft → submitted → land_approved | land_rejected
//!   land_approved → provider_accepted | provider_declined
//!   provider_accepted → agreement_pending → active → live → terminated
//! ```
//! The requester may withdraw until the agreement is active.

crate::enums::string_enum!(
    RequestState, "state" {
        Draft = "draft",
        Submitted = "submitted",
        LandApproved = "land_approved",
        LandRejected = "land_rejected",
        ProviderAccepted = "provider_accepted",
        ProviderDeclined = "provider_declined",
        AgreementPending = "agreement_pending",
        Active = "active",
        Live = "live",
        Terminated = "terminated",
        Withdrawn = "withdrawn",
    }
);

crate::enums::string_enum!(
    RequestAction, "action" {
        Submit = "submit",
        LandApprove = "land_approve",
        LandReject = "land_reject",
        ProviderAccept = "provider_accept",
        ProviderDecline = "provider_decline",
        PrepareAgreement = "prepare_agreement",
        Activate = "activate",
        GoLive = "go_live",
        Terminate = "terminate",
        Withdraw = "withdraw",
    }
);

impl RequestState {
    /// No action leads anywhere from here.
    pub fn is_final(self) -> bool {
        matches!(self, RequestState::LandRejected | RequestState::ProviderDeclined | RequestState::Terminated | RequestState::Withdrawn)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a reuse request in state {from} cannot {action}")]
pub struct RequestTransitionError {
    pub from: RequestState,
    pub action: RequestAction,
}

pub fn next_state(from: RequestState, action: RequestAction) -> Result<RequestState, RequestTransitionError> {
    use RequestAction as A;
    use RequestState as S;
    let to = match (from, action) {
        (S::Draft, A::Submit) => S::Submitted,
        (S::Submitted, A::LandApprove) => S::LandApproved,
        (S::Submitted, A::LandReject) => S::LandRejected,
        (S::LandApproved, A::ProviderAccept) => S::ProviderAccepted,
        (S::LandApproved, A::ProviderDecline) => S::ProviderDeclined,
        (S::ProviderAccepted, A::PrepareAgreement) => S::AgreementPending,
        (S::AgreementPending, A::Activate) => S::Active,
        (S::Active, A::GoLive) => S::Live,
        (S::Active | S::Live, A::Terminate) => S::Terminated,
        (S::Draft | S::Submitted | S::LandApproved | S::ProviderAccepted | S::AgreementPending, A::Withdraw) => S::Withdrawn,
        _ => return Err(RequestTransitionError { from, action }),
    };
    Ok(to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use RequestAction as A;
    use RequestState as S;

    /// The whole table, written out: every state × every action.
    #[test]
    fn exhaustive_table() {
        let allowed: &[(S, A, S)] = &[
            (S::Draft, A::Submit, S::Submitted),
            (S::Draft, A::Withdraw, S::Withdrawn),
            (S::Submitted, A::LandApprove, S::LandApproved),
            (S::Submitted, A::LandReject, S::LandRejected),
            (S::Submitted, A::Withdraw, S::Withdrawn),
            (S::LandApproved, A::ProviderAccept, S::ProviderAccepted),
            (S::LandApproved, A::ProviderDecline, S::ProviderDeclined),
            (S::LandApproved, A::Withdraw, S::Withdrawn),
            (S::ProviderAccepted, A::PrepareAgreement, S::AgreementPending),
            (S::ProviderAccepted, A::Withdraw, S::Withdrawn),
            (S::AgreementPending, A::Activate, S::Active),
            (S::AgreementPending, A::Withdraw, S::Withdrawn),
            (S::Active, A::GoLive, S::Live),
            (S::Active, A::Terminate, S::Terminated),
            (S::Live, A::Terminate, S::Terminated),
        ];
        for &s in S::ALL {
            for &a in A::ALL {
                let want = allowed.iter().find(|(f, x, _)| *f == s && *x == a).map(|t| t.2);
                match (next_state(s, a), want) {
                    (Ok(got), Some(w)) => assert_eq!(got, w, "{s} {a}"),
                    (Err(e), None) => assert_eq!((e.from, e.action), (s, a)),
                    (got, want) => panic!("{s} + {a}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn final_states_accept_nothing() {
        for &s in S::ALL.iter().filter(|s| s.is_final()) {
            for &a in A::ALL {
                assert!(next_state(s, a).is_err(), "{s} {a}");
            }
        }
    }

    #[test]
    fn withdrawal_only_until_active() {
        for &s in &[S::Active, S::Live] {
            assert!(next_state(s, A::Withdraw).is_err());
        }
    }
}
