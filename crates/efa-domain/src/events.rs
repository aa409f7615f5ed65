//! Events: what happened, for the feed, webhooks, e-mail and the other server instances. Every
//! state change writes its events in the same transaction as the change (the outbox).
//!
//! Who may see an event is decided by the policy's own rules: an event carries the audience
//! of the resource it is about ([`request_audience`], [`agreement_audience`], …) and a caller
//! sees it when one of its keys ([`keys_of`]) is in that audience.

use crate::policy::{AgreementFacts, Principal, RequestFacts, Role};

crate::enums::string_enum!(
    /// What happened. The types with a dot name the resource first.
    EventType, "type" {
        ListingCreated = "listing.created",
        ListingUpdated = "listing.updated",
        ListingSubmitted = "listing.submitted",
        ListingPublished = "listing.published",
        ListingRejected = "listing.rejected",
        ListingRetired = "listing.retired",
        RequestCreated = "request.created",
        RequestSubmitted = "request.submitted",
        RequestApproved = "request.approved",
        RequestRejected = "request.rejected",
        RequestAccepted = "request.accepted",
        RequestDeclined = "request.declined",
        RequestWithdrawn = "request.withdrawn",
        RequestActive = "request.active",
        RequestLive = "request.live",
        RequestTerminated = "request.terminated",
        MessageWritten = "request.message",
        AgreementCreated = "agreement.created",
        AgreementSigned = "agreement.signed",
        AgreementActive = "agreement.active",
        AgreementOnboardingStep = "agreement.onboarding_step",
        AgreementLive = "agreement.live",
        AgreementTerminated = "agreement.terminated",
        FrameworkOffered = "framework.offered",
        FrameworkApproved = "framework.approved",
        FrameworkAccession = "framework.accession",
        WebhookDisabled = "webhook.disabled",
        CatalogueChanged = "catalogue.changed",
    }
);

/// Every caller with a token.
pub const EVERYONE: &str = "all";

/// The audience key of an organisation.
pub fn org(id: &str) -> String {
    format!("org:{id}")
}

/// The audience key of a Land's coordinators.
pub fn land(code: &str) -> String {
    format!("land:{code}")
}

/// Who sees a request (`ViewRequest`): its parties, and once submitted the provider and the
/// coordinators of its Land.
pub fn request_audience(f: &RequestFacts) -> Vec<String> {
    let mut a = vec![org(&f.requester_org)];
    a.extend(f.municipalities.iter().map(|m| org(m)));
    if !f.is_draft {
        a.push(org(&f.provider_org));
        a.push(land(&f.land));
    }
    dedup(a)
}

/// Who sees an agreement (`ViewAgreement`): its parties and the coordinators of the customer's Land.
pub fn agreement_audience(f: &AgreementFacts) -> Vec<String> {
    dedup(vec![org(&f.provider_org), org(&f.customer_org), org(&f.signatory_org), land(&f.customer_land)])
}

/// The keys a caller sees events by; `None` for operators, who see every event.
pub fn keys_of(p: &Principal) -> Option<Vec<String>> {
    if p.has(Role::Operator) {
        return None;
    }
    let mut keys = vec![EVERYONE.to_owned(), org(&p.org_id)];
    if let (true, Some(l)) = (p.has(Role::LandCoordinator), &p.land) {
        keys.push(land(l.as_str()));
    }
    Some(keys)
}

/// Whether `p` sees an event for `audience`.
pub fn visible(p: &Principal, audience: &[String]) -> bool {
    keys_of(p).is_none_or(|keys| keys.iter().any(|k| audience.contains(k)))
}

fn dedup(mut a: Vec<String>) -> Vec<String> {
    a.sort();
    a.dedup();
    a
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::{decide, Action, Decision};
    use crate::LandCode;

    fn principals() -> Vec<Principal> {
        let mut out = Vec::new();
        for org in ["koeln", "bonn", "nrw", "bundler", "bayern"] {
            for role in Role::ALL {
                let land = (*role == Role::LandCoordinator).then(|| LandCode::parse(if org == "bayern" { "09" } else { "05" }).unwrap());
                out.push(Principal { subject: "u".into(), org_id: org.into(), roles: vec![*role], land });
            }
        }
        out
    }

    /// The audience of a request or agreement event admits exactly those the policy lets see
    /// the request or agreement itself.
    #[test]
    fn event_visibility_is_the_policys() {
        for is_draft in [true, false] {
            for municipalities in [vec!["koeln".to_owned()], vec!["koeln".to_owned(), "bonn".to_owned()]] {
                let requester = if municipalities.len() > 1 { "bundler" } else { "koeln" };
                let f = RequestFacts { requester_org: requester.into(), provider_org: "nrw".into(), land: "05".into(), municipalities, is_draft };
                for p in principals() {
                    let by_policy = decide(Some(&p), &Action::ViewRequest { facts: &f }) == Decision::Allow;
                    assert_eq!(visible(&p, &request_audience(&f)), by_policy, "{p:?} {f:?}");
                }
            }
        }
        for (customer, signatory) in [("koeln", "koeln"), ("bonn", "bundler")] {
            let f = AgreementFacts { provider_org: "nrw".into(), customer_org: customer.into(), signatory_org: signatory.into(), customer_land: "05".into() };
            for p in principals() {
                let by_policy = decide(Some(&p), &Action::ViewAgreement { facts: &f }) == Decision::Allow;
                assert_eq!(visible(&p, &agreement_audience(&f)), by_policy, "{p:?} {f:?}");
            }
        }
    }
}
