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
    /// Import a newer OZG catalogue or dashboard export, or correct one OZG-Leistung, LeiKa
    /// link or Themenfeld (operators only).
    ManageCatalogue,
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
    /// See who of an organisation logged in (addresses, roles) and all it takes part in:
    /// operators only; the organisation itself is public.
    ViewOrganisationStaff { org: &'a str },
    /// Register, read or remove a webhook endpoint of `org`: that organisation's members, and
    /// operators; for anyone else it does not exist.
    ManageWebhook { org: &'a str },
    /// File a reuse request for `municipalities` (one for a Kommune, many for a bundler).
    /// `members_ok`: every municipality is a member of the caller's bundler organisation.
    CreateRequest { municipalities: &'a [String], members_ok: bool },
    /// See a request (and its messages): its parties, the coordinator of its Land, operators.
    ViewRequest { facts: &'a RequestFacts },
    /// Submit or withdraw: the requester.
    ActAsRequester { facts: &'a RequestFacts },
    /// Approve or reject: the coordinator of the request's Land.
    DecideAsLand { facts: &'a RequestFacts },
    /// Accept or decline: a publisher of the providing organisation.
    DecideAsProvider { facts: &'a RequestFacts },
    /// Offer a framework agreement for a listing of `provider_org`.
    OfferFramework { provider_org: &'a str },
    /// Approve a framework agreement offered in `land`.
    ApproveFramework { land: &'a str },
    /// Accede to a framework agreement of `framework_land` for `municipality` (of `municipality_land`).
    Accede { municipality: &'a str, municipality_land: &'a str, framework_land: &'a str, members_ok: bool },
    /// Read an agreement and its contract folder.
    ViewAgreement { facts: &'a AgreementFacts },
    /// Sign, terminate or do onboarding steps on the provider's side.
    ActAsProviderParty { facts: &'a AgreementFacts },
    /// Sign, terminate or do onboarding steps on the customer's side.
    ActAsCustomerParty { facts: &'a AgreementFacts },
}

/// What decisions about a reuse request depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RequestFacts {
    pub requester_org: String,
    pub provider_org: String,
    pub land: String,
    pub municipalities: Vec<String>,
    /// Drafts are not yet visible to the coordinator and the provider.
    pub is_draft: bool,
}

/// What decisions about an agreement depend on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgreementFacts {
    pub provider_org: String,
    pub customer_org: String,
    pub signatory_org: String,
    pub customer_land: String,
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
            ReadAudit { .. } | ViewOrganisationStaff { .. } | ManageCatalogue | CreateListing { .. } | CreateRequest { .. } | OfferFramework { .. } | ApproveFramework { .. } | Accede { .. } => Forbidden,
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
        ViewOrganisationStaff { .. } | ManageCatalogue => {
            if operator { Allow } else { Forbidden }
        }
        ManageWebhook { org } => {
            if own(p, org) || operator { Allow } else { NotFound }
        }
        CreateRequest { municipalities, members_ok } => {
            let kommune = p.has(Role::MunicipalityUser) && municipalities.len() == 1 && own(p, &municipalities[0]);
            let bundler = p.has(Role::Bundler) && !municipalities.is_empty() && members_ok;
            if kommune || bundler { Allow } else { Forbidden }
        }
        ViewRequest { facts } => {
            if can_see_request(p, facts) { Allow } else { NotFound }
        }
        ActAsRequester { facts } => {
            let requester = own(p, &facts.requester_org) && (p.has(Role::MunicipalityUser) || p.has(Role::Bundler));
            if requester {
                Allow
            } else if can_see_request(p, facts) {
                Forbidden
            } else {
                NotFound
            }
        }
        DecideAsLand { facts } => {
            let coordinator = p.has(Role::LandCoordinator) && p.land.as_ref().is_some_and(|l| l.as_str() == facts.land);
            if coordinator && !facts.is_draft {
                Allow
            } else if can_see_request(p, facts) {
                Forbidden
            } else {
                NotFound
            }
        }
        DecideAsProvider { facts } => {
            if publisher_of(&facts.provider_org) && !facts.is_draft {
                Allow
            } else if can_see_request(p, facts) {
                Forbidden
            } else {
                NotFound
            }
        }
        OfferFramework { provider_org } => {
            if publisher_of(provider_org) { Allow } else { Forbidden }
        }
        ApproveFramework { land } => {
            if p.has(Role::LandCoordinator) && p.land.as_ref().is_some_and(|l| l.as_str() == land) { Allow } else { Forbidden }
        }
        Accede { municipality, municipality_land, framework_land, members_ok } => {
            let acting = (p.has(Role::MunicipalityUser) && own(p, municipality)) || (p.has(Role::Bundler) && members_ok);
            if acting && municipality_land == framework_land { Allow } else { Forbidden }
        }
        ViewAgreement { facts } => {
            let party = own(p, &facts.provider_org) || own(p, &facts.customer_org) || own(p, &facts.signatory_org);
            let coordinator = p.has(Role::LandCoordinator) && p.land.as_ref().is_some_and(|l| l.as_str() == facts.customer_land);
            if party || coordinator || operator { Allow } else { NotFound }
        }
        ActAsProviderParty { facts } => {
            if publisher_of(&facts.provider_org) {
                Allow
            } else if decide(Some(p), &ViewAgreement { facts }) == Allow {
                Forbidden
            } else {
                NotFound
            }
        }
        ActAsCustomerParty { facts } => {
            let customer = (own(p, &facts.customer_org) && p.has(Role::MunicipalityUser)) || (own(p, &facts.signatory_org) && p.has(Role::Bundler));
            if customer {
                Allow
            } else if decide(Some(p), &ViewAgreement { facts }) == Allow {
                Forbidden
            } else {
                NotFound
            }
        }
    }
}

/// Parties of a request, the coordinator of its Land (once submitted) and operators see it;
/// a coordinator of another Land does not.
fn can_see_request(p: &Principal, f: &RequestFacts) -> bool {
    let party = own(p, &f.requester_org) || f.municipalities.iter().any(|m| own(p, m));
    let provider = own(p, &f.provider_org) && !f.is_draft;
    let coordinator = p.has(Role::LandCoordinator) && p.land.as_ref().is_some_and(|l| l.as_str() == f.land) && !f.is_draft;
    party || provider || coordinator || p.has(Role::Operator)
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
                    (Action::ManageWebhook { org }, if mine || op { Allow } else { NotFound }),
                    (Action::ViewOrganisationStaff { org }, if op { Allow } else { Forbidden }),
                ];
                for (action, expected) in cases {
                    assert_eq!(decide(Some(&p), &action), expected, "{role:?} {org} {action:?}");
                }
            }
        }
    }

    fn coordinator(land: &str) -> Principal {
        Principal { subject: "c".into(), org_id: format!("land-{land}"), roles: vec![Role::LandCoordinator], land: Some(LandCode::parse(land).unwrap()) }
    }

    fn request(is_draft: bool) -> RequestFacts {
        RequestFacts { requester_org: "koeln".into(), provider_org: "nrw".into(), land: "05".into(), municipalities: vec!["koeln".into()], is_draft }
    }

    #[test]
    fn only_the_coordinator_of_the_requests_land_decides_and_others_do_not_see_it() {
        let f = request(false);
        assert_eq!(decide(Some(&coordinator("05")), &Action::DecideAsLand { facts: &f }), Allow);
        assert_eq!(decide(Some(&coordinator("09")), &Action::DecideAsLand { facts: &f }), NotFound);
        assert_eq!(decide(Some(&coordinator("09")), &Action::ViewRequest { facts: &f }), NotFound);
        // A draft is the requester's own business.
        assert_eq!(decide(Some(&coordinator("05")), &Action::DecideAsLand { facts: &request(true) }), NotFound);
    }

    #[test]
    fn requests_are_filed_by_the_municipality_or_its_bundler() {
        let kommune = Principal { subject: "k".into(), org_id: "koeln".into(), roles: vec![Role::MunicipalityUser], land: None };
        let ms = vec!["koeln".to_string()];
        assert_eq!(decide(Some(&kommune), &Action::CreateRequest { municipalities: &ms, members_ok: false }), Allow);
        let other = vec!["bonn".to_string()];
        assert_eq!(decide(Some(&kommune), &Action::CreateRequest { municipalities: &other, members_ok: false }), Forbidden);
        let bundler = Principal { subject: "b".into(), org_id: "zv".into(), roles: vec![Role::Bundler], land: None };
        let many = vec!["a".to_string(), "b".to_string()];
        assert_eq!(decide(Some(&bundler), &Action::CreateRequest { municipalities: &many, members_ok: true }), Allow);
        assert_eq!(decide(Some(&bundler), &Action::CreateRequest { municipalities: &many, members_ok: false }), Forbidden);
    }

    #[test]
    fn agreement_sides_sign_for_themselves() {
        let facts = AgreementFacts { provider_org: "nrw".into(), customer_org: "koeln".into(), signatory_org: "koeln".into(), customer_land: "05".into() };
        let provider = Principal { subject: "p".into(), org_id: "nrw".into(), roles: vec![Role::ProviderPublisher], land: None };
        let kommune = Principal { subject: "k".into(), org_id: "koeln".into(), roles: vec![Role::MunicipalityUser], land: None };
        let stranger = Principal { subject: "s".into(), org_id: "bonn".into(), roles: vec![Role::MunicipalityUser], land: None };
        assert_eq!(decide(Some(&provider), &Action::ActAsProviderParty { facts: &facts }), Allow);
        assert_eq!(decide(Some(&provider), &Action::ActAsCustomerParty { facts: &facts }), Forbidden);
        assert_eq!(decide(Some(&kommune), &Action::ActAsCustomerParty { facts: &facts }), Allow);
        assert_eq!(decide(Some(&stranger), &Action::ViewAgreement { facts: &facts }), NotFound);
        assert_eq!(decide(Some(&coordinator("05")), &Action::ViewAgreement { facts: &facts }), Allow);
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
