//! Lifecycle of a listing: draft → in_review → published → retired; a rejection sends it
//! back to draft with the reviewer's reason. Editing a published listing starts a new draft
//! while the public keeps seeing the last published version.

crate::enums::string_enum!(
    ListingState, "listing_state" {
        Draft = "draft",
        InReview = "in_review",
        Published = "published",
        Retired = "retired",
    }
);

crate::enums::string_enum!(
    ListingAction, "action" {
        Edit = "edit",
        Submit = "submit",
        Approve = "approve",
        Reject = "reject",
        Retire = "retire",
    }
);

impl ListingState {
    /// Published listings (and their history) are visible to everyone.
    pub fn is_public(self) -> bool {
        matches!(self, ListingState::Published)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a listing in state {from} cannot {action}")]
pub struct TransitionError {
    pub from: ListingState,
    pub action: ListingAction,
}

/// The state after `action`, or why it is not possible.
pub fn transition(from: ListingState, action: ListingAction) -> Result<ListingState, TransitionError> {
    use ListingAction as A;
    use ListingState as S;
    match (from, action) {
        (S::Draft, A::Edit) | (S::Published, A::Edit) => Ok(S::Draft),
        (S::Draft, A::Submit) => Ok(S::InReview),
        (S::InReview, A::Approve) => Ok(S::Published),
        (S::InReview, A::Reject) => Ok(S::Draft),
        (S::Draft | S::InReview | S::Published, A::Retire) => Ok(S::Retired),
        _ => Err(TransitionError { from, action }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ListingAction as A;
    use ListingState as S;

    /// Every state × every action.
    #[test]
    fn exhaustive_transition_table() {
        let expected = |s: S, a: A| -> Option<S> {
            match (s, a) {
                (S::Draft, A::Edit) => Some(S::Draft),
                (S::Draft, A::Submit) => Some(S::InReview),
                (S::Draft, A::Retire) => Some(S::Retired),
                (S::InReview, A::Approve) => Some(S::Published),
                (S::InReview, A::Reject) => Some(S::Draft),
                (S::InReview, A::Retire) => Some(S::Retired),
                (S::Published, A::Edit) => Some(S::Draft),
                (S::Published, A::Retire) => Some(S::Retired),
                _ => None,
            }
        };
        for &s in S::ALL {
            for &a in A::ALL {
                match (transition(s, a), expected(s, a)) {
                    (Ok(next), Some(want)) => assert_eq!(next, want, "{s} {a}"),
                    (Err(e), None) => assert_eq!((e.from, e.action), (s, a)),
                    (got, want) => panic!("{s} + {a}: got {got:?}, want {want:?}"),
                }
            }
        }
    }

    #[test]
    fn retired_is_final() {
        for &a in A::ALL {
            assert!(transition(S::Retired, a).is_err());
        }
    }
}
