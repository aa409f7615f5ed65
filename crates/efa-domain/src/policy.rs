//! Who may do what: one place, pure functions, tested as a table.
//!
//! Handlers ask [`decide`] and never check roles themselves. A resource of another
//! organisation that the caller may not see answers `NotFound`, so existence does not leak.

use crate::listing::ListingState;
use crate::LandCode;
use serde::{Deserialize, Serialize};

crate::enums::string_enum!(
    /// A role carried in the token.
    Role, "role" {
        /// Staff of a Kommune: browses, orders reuse for its own Gemeinde.
        MunicipalityUser = "municipality_user",
        /// Publishes and maintains the listings of its provider organisation.
        ProviderPublisher = "provider_publisher",
        /// Approves reuse in one Land.
        LandCoordinator = "land_coordinator",
        /// Acts for its member municipalities.
        Bundler = "bundler",
        /// Runs the platform: reviews listings, reads every audit event.
        Operator = "operator",
    }
);

/// The authenticated caller, as far as decisions need it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Principal {
    pub subject: String,
    pub org_id: String,
    pub roles: Vec<Role>,
    /// The Land a land_coordinator acts for.
    pub land: Option<LandCode>,
}

impl Principal {
    pub fn has(&self, role: Role) -> bool {
        self.roles.contains(&role)
    }
}

/// What the caller wants to do, with the facts about the resource that matter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action<'a> {
    /// Create a listing for `provider_org`.
    CreateListing { provider_org: &'a str },
    /// Read the working copy (drafts included) of a listing.
    ViewListingDraft { provider_org: &'a str },
    EditListing { provider_org: &'a str, state: ListingState },
    SubmitListing { provider_org: &'a str, state: ListingState },
    RetireListing { provider_org: &'a str, state: ListingState },
    ApproveListing { provider_org: &'a str, state: ListingState },
    RejectListing { provider_org: &'a str, state: ListingState },
    /// Operators see possible duplicates of a listing they review.
    ViewDuplicates { provider_org: &'a str },
    /// Read audit events of one organisation (`None`: of all organisations).
    ReadAudit { org: Option<&'a str> },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Allow,
    /// The caller may know the resource exists but may not do this: 403.
    Forbidden,
    /// The caller may not even know the resource exists: 404.
    NotFound,
}

fn own(p: &Principal, org: &str) -> bool {
    p.org_id == org
}

/// The one policy. `p` is `None` for an anonymous caller.
pub fn decide(p: Option<&Principal>, action: &Action<'_>) -> Decision {
    use Action::*;
    use Decision::*;
    let Some(p) = p else {
        // Anonymous callers only read the public catalogue, which needs no decision here.
        return match action {
            ReadAudit { .. } | CreateListing { .. } => Forbidden,
            _ => NotFound,
        };
    };
    let publisher_of = |org: &str| p.has(Role::ProviderPublisher) && own(p, org);
    let operator = p.has(Role::Operator);
    match *action {
        CreateListing { provider_org } => {
            if publisher_of(provider_org) { Allow } else { Forbidden }
        }
        ViewListingDraft { provider_org } => {
            if own(p, provider_org) || operator { Allow } else { NotFound }
        }
        EditListing { provider_org, .. } | SubmitListing { provider_org, .. } => {
            if publisher_of(provider_org) {
                Allow
            } else if own(p, provider_org) || operator {
                Forbidden
            } else {
                NotFound
            }
        }
        RetireListing { provider_org, .. } => {
            if publisher_of(provider_org) || operator {
                Allow
            } else if own(p, provider_org) {
                Forbidden
            } else {
                NotFound
            }
        }
        ApproveListing { provider_org, state } | RejectListing { provider_org, state } => {
            if operator {
                Allow
            } else if own(p, provider_org) || state.is_public() {
                Forbidden
            } else {
                NotFound
            }
        }
        ViewDuplicates { provider_org } => {
            if operator {
                Allow
            } else if own(p, provider_org) {
                Forbidden
            } else {
                NotFound
            }
        }
        ReadAudit { org } => match org {
            _ if operator => Allow,
            Some(o) if own(p, o) => Allow,
            _ => Forbidden,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Decision::*;
    use ListingState::*;

    const MINE: &str = "org-a";
    const THEIRS: &str = "org-b";

    fn principal(role: Role) -> Principal {
        Principal { subject: "u".into(), org_id: MINE.into(), roles: vec![role], land: None }
    }

    /// Every role × own/foreign organisation × action, with the expected decision.
    #[test]
    fn decision_table() {
        use Role::*;
        let roles = [MunicipalityUser, ProviderPublisher, LandCoordinator, Bundler, Operator];
        for role in roles {
            let p = principal(role);
            for (org, mine) in [(MINE, true), (THEIRS, false)] {
                let publisher = role == ProviderPublisher && mine;
                let op = role == Operator;
                let cases: Vec<(Action, Decision)> = vec![
                    (Action::CreateListing { provider_org: org }, if publisher { Allow } else { Forbidden }),
                    (Action::ViewListingDraft { provider_org: org }, if mine || op { Allow } else { NotFound }),
                    (Action::EditListing { provider_org: org, state: Draft }, if publisher { Allow } else if mine || op { Forbidden } else { NotFound }),
                    (Action::SubmitListing { provider_org: org, state: Draft }, if publisher { Allow } else if mine || op { Forbidden } else { NotFound }),
                    (Action::RetireListing { provider_org: org, state: Published }, if publisher || op { Allow } else if mine { Forbidden } else { NotFound }),
                    (Action::ApproveListing { provider_org: org, state: InReview }, if op { Allow } else if mine { Forbidden } else { NotFound }),
                    (Action::ApproveListing { provider_org: org, state: Published }, if op { Allow } else { Forbidden }),
                    (Action::RejectListing { provider_org: org, state: InReview }, if op { Allow } else if mine { Forbidden } else { NotFound }),
                    (Action::ViewDuplicates { provider_org: org }, if op { Allow } else if mine { Forbidden } else { NotFound }),
                    (Action::ReadAudit { org: Some(org) }, if mine || op { Allow } else { Forbidden }),
                    (Action::ReadAudit { org: None }, if op { Allow } else { Forbidden }),
                ];
                for (action, expected) in cases {
                    assert_eq!(decide(Some(&p), &action), expected, "{role:?} {org} {action:?}");
                }
            }
        }
    }

    #[test]
    fn anonymous_callers_see_no_drafts_and_write_nothing() {
        assert_eq!(decide(None, &Action::ViewListingDraft { provider_org: MINE }), NotFound);
        assert_eq!(decide(None, &Action::CreateListing { provider_org: MINE }), Forbidden);
        assert_eq!(decide(None, &Action::ReadAudit { org: None }), Forbidden);
    }

    #[test]
    fn roles_parse_from_their_wire_names() {
        assert_eq!(Role::parse("land_coordinator").unwrap(), Role::LandCoordinator);
        assert!(Role::parse("admin").is_err());
    }
}
