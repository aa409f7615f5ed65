//! The resources the matrix calls, made through the API itself: listings of Land NRW in each
//! state, reuse requests of Köln (and of Köln's bundler) in each stage, their agreements, and
//! framework agreements offered and approved in NRW.

use crate::world::{call, kommune, ok, TestApp, World, KOELN};
use actix_web::http::Method;
use efa_domain::Role;
use serde_json::{json, Value};

/// Which kind of resource a call targets (the path parameters come from it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// A collection, or a path whose parameters are fixed seed data.
    Static,
    Listing(ListingStage),
    Request(RequestStage),
    /// An agreement, and the onboarding step for `{step}` where the path has one.
    Agreement(AgreementStage),
    Framework(FrameworkStage),
    /// A webhook endpoint of Köln (registered by its municipality_user).
    Webhook,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingStage {
    Draft,
    InReview,
    Published,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestStage {
    Draft,
    Submitted,
    LandApproved,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AgreementStage {
    Pending,
    Active,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameworkStage {
    Offered,
    Approved,
}

/// Who filed a request: Köln itself, or Köln's bundler for Köln. Bundler columns act on the
/// bundler's variant (their own organisation's resources); every other column on Köln's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    Koeln,
    Bundler,
}

/// Requests and agreements of one requester.
pub struct Chain {
    pub draft: String,
    pub submitted: String,
    pub approved: String,
    pub pending: String,
    pub active: String,
}

/// The Nachnutzung side of the fixtures (made only where a test needs it).
pub struct Nachnutzung {
    pub koeln: Chain,
    pub bundler: Chain,
    pub offered: String,
    pub approved_framework: String,
}

pub struct Fixtures {
    pub webhook: String,
    pub published: String,
    pub draft: String,
    pub in_review: String,
    pub nn: Option<Nachnutzung>,
}

/// A complete listing of Land NRW: 1,200.00 € a year, 500.00 € Anbindung.
pub fn listing_body(name: &str) -> Value {
    crate::helpers::listing_body(name, crate::helpers::annual_price())
}

async fn post<A: TestApp>(app: &A, uri: &str, token: &str, body: Option<Value>) -> Value {
    ok(&call(app, &Method::POST, uri, Some(token), body.as_ref()).await, &format!("fixture POST {uri}"))
}

pub async fn listing<A: TestApp>(app: &A, w: &World, stage: ListingStage) -> String {
    let publisher = w.own(Role::ProviderPublisher);
    let name = format!("Sicherheitstest Wohngeld {}", uuid::Uuid::new_v4().simple());
    let id = post(app, "/api/v1/online-services", &publisher, Some(listing_body(&name))).await["id"].as_str().expect("id").to_owned();
    if stage != ListingStage::Draft {
        post(app, &format!("/api/v1/online-services/{id}/submit"), &publisher, None).await;
    }
    if stage == ListingStage::Published {
        post(app, &format!("/api/v1/online-services/{id}/approve"), &w.own(Role::Operator), None).await;
    }
    id
}

fn requester_token(w: &World, who: Requester) -> String {
    w.own(match who {
        Requester::Koeln => Role::MunicipalityUser,
        Requester::Bundler => Role::Bundler,
    })
}

pub async fn request<A: TestApp>(app: &A, w: &World, service: &str, who: Requester, stage: RequestStage) -> String {
    let token = requester_token(w, who);
    let mut body = json!({"online_service_id": service, "note": "Wir möchten den Dienst nachnutzen."});
    if who == Requester::Bundler {
        body["municipalities"] = json!([kommune(KOELN)]);
    }
    let id = post(app, "/api/v1/reuse-requests", &token, Some(body)).await["id"].as_str().expect("id").to_owned();
    if stage != RequestStage::Draft {
        post(app, &format!("/api/v1/reuse-requests/{id}/submit"), &token, None).await;
    }
    if stage == RequestStage::LandApproved {
        post(app, &format!("/api/v1/reuse-requests/{id}/approve"), &w.own(Role::LandCoordinator), None).await;
    }
    id
}

/// An agreement made from an accepted request: pending, or active once both sides signed.
/// A Gemeinde has one open agreement per service, so each agreement gets a listing of its own.
pub async fn agreement<A: TestApp>(app: &A, w: &World, who: Requester, stage: AgreementStage) -> String {
    let service = listing(app, w, ListingStage::Published).await;
    let id = request(app, w, &service, who, RequestStage::LandApproved).await;
    let provider = w.own(Role::ProviderPublisher);
    let accepted = post(app, &format!("/api/v1/reuse-requests/{id}/accept"), &provider, Some(json!({}))).await;
    let number = accepted["agreements"][0].as_str().expect("agreement number").to_owned();
    if stage == AgreementStage::Active {
        post(app, &format!("/api/v1/agreements/{number}/sign"), &provider, None).await;
        post(app, &format!("/api/v1/agreements/{number}/sign"), &requester_token(w, who), None).await;
    }
    number
}

/// A webhook endpoint of Köln on a public address (nothing is sent at registration).
pub async fn webhook<A: TestApp>(app: &A, w: &World) -> String {
    let body = json!({"url": "https://9.9.9.9/efa", "event_types": ["request.submitted"]});
    post(app, "/api/v1/webhooks", &w.own(Role::MunicipalityUser), Some(body)).await["id"].as_str().expect("id").to_owned()
}

pub async fn framework<A: TestApp>(app: &A, w: &World, service: &str, stage: FrameworkStage) -> String {
    let body = json!({"online_service_id": service, "land": "05", "terms_text": "Rahmenvertrag NRW für alle Kommunen.", "terms_version": "1.0"});
    let id = post(app, "/api/v1/framework-agreements", &w.own(Role::ProviderPublisher), Some(body)).await["id"].as_str().expect("id").to_owned();
    if stage == FrameworkStage::Approved {
        post(app, &format!("/api/v1/framework-agreements/{id}/approve"), &w.own(Role::LandCoordinator), None).await;
    }
    id
}

async fn chain<A: TestApp>(app: &A, w: &World, service: &str, who: Requester) -> Chain {
    Chain {
        draft: request(app, w, service, who, RequestStage::Draft).await,
        submitted: request(app, w, service, who, RequestStage::Submitted).await,
        approved: request(app, w, service, who, RequestStage::LandApproved).await,
        pending: agreement(app, w, who, AgreementStage::Pending).await,
        active: agreement(app, w, who, AgreementStage::Active).await,
    }
}

impl Fixtures {
    /// The listings; with `nachnutzung` also the requests, agreements and framework agreements.
    pub async fn build<A: TestApp>(app: &A, w: &World, nachnutzung: bool) -> Fixtures {
        let published = listing(app, w, ListingStage::Published).await;
        let nn = match nachnutzung {
            false => None,
            true => Some(Nachnutzung {
                koeln: chain(app, w, &published, Requester::Koeln).await,
                bundler: chain(app, w, &published, Requester::Bundler).await,
                offered: framework(app, w, &published, FrameworkStage::Offered).await,
                approved_framework: framework(app, w, &published, FrameworkStage::Approved).await,
            }),
        };
        Fixtures { webhook: webhook(app, w).await, draft: listing(app, w, ListingStage::Draft).await, in_review: listing(app, w, ListingStage::InReview).await, published, nn }
    }

    pub fn nn(&self) -> &Nachnutzung {
        self.nn.as_ref().expect("these fixtures were built without the Nachnutzung side")
    }

    /// The id of the shared resource of `target` for a requester.
    pub fn id(&self, target: Target, who: Requester) -> Option<String> {
        if target == Target::Webhook {
            return Some(self.webhook.clone());
        }
        if matches!(target, Target::Static | Target::Listing(_)) {
            return self.listing_id(target);
        }
        let nn = self.nn.as_ref()?;
        let c = match who {
            Requester::Koeln => &nn.koeln,
            Requester::Bundler => &nn.bundler,
        };
        Some(
            match target {
                Target::Static | Target::Listing(_) | Target::Webhook => unreachable!(),
                Target::Request(RequestStage::Draft) => &c.draft,
                Target::Request(RequestStage::Submitted) => &c.submitted,
                Target::Request(RequestStage::LandApproved) => &c.approved,
                Target::Agreement(AgreementStage::Pending) => &c.pending,
                Target::Agreement(AgreementStage::Active) => &c.active,
                Target::Framework(FrameworkStage::Offered) => &nn.offered,
                Target::Framework(FrameworkStage::Approved) => &nn.approved_framework,
            }
            .clone(),
        )
    }

    fn listing_id(&self, target: Target) -> Option<String> {
        match target {
            Target::Listing(ListingStage::Draft) => Some(self.draft.clone()),
            Target::Listing(ListingStage::InReview) => Some(self.in_review.clone()),
            Target::Listing(ListingStage::Published) => Some(self.published.clone()),
            _ => None,
        }
    }

    /// A new resource of `target`, for a call that will change it. Where the call may make an
    /// agreement (accepting a request, acceding to a framework), on a listing of its own.
    pub async fn fresh<A: TestApp>(&self, app: &A, w: &World, target: Target, who: Requester) -> Option<String> {
        let s = &self.published;
        Some(match target {
            Target::Static => return None,
            Target::Webhook => webhook(app, w).await,
            Target::Listing(stage) => listing(app, w, stage).await,
            Target::Request(RequestStage::LandApproved) => request(app, w, &listing(app, w, ListingStage::Published).await, who, RequestStage::LandApproved).await,
            Target::Request(stage) => request(app, w, s, who, stage).await,
            Target::Agreement(stage) => agreement(app, w, who, stage).await,
            Target::Framework(FrameworkStage::Approved) => framework(app, w, &listing(app, w, ListingStage::Published).await, FrameworkStage::Approved).await,
            Target::Framework(stage) => framework(app, w, s, stage).await,
        })
    }
}
