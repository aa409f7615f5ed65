//! The operators' review: the queue of listings in review (oldest first), one listing's
//! working copy as a diff against its published version with the possible duplicates beside
//! it, and approving or rejecting it with a reason. The rules are the API's
//! ([`efa_api::operations::listings`]).

use super::listing_form::{diff, lines, DiffLine};
use super::listings::{cursor_param, decisions, listing_state_de, next_href, revision_of, Decision, CHANGED_MEANWHILE, PER_PAGE};
use super::order::org_name;
use super::{datetime, layout, render, render_status, Page};
use crate::errors::WebError;
use crate::forms::{self, Errors};
use crate::layout::Layout;
use crate::see_other;
use crate::session::Shop;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use efa_api::error::ApiError;
use efa_api::operations::listings::{self as op, DuplicateReason, ListingFilter};
use efa_domain::listing::{ListingAction, ListingState};
use efa_domain::Role;
use serde::Deserialize;

/// The review pages are the operators': anyone else is refused, as the API refuses them.
fn operator(shop: &Shop) -> Result<efa_domain::Principal, WebError> {
    let u = shop.require_user()?;
    if !u.has(Role::Operator) {
        return Err(WebError::Forbidden("review listings".into()));
    }
    Ok(u.principal.clone())
}

#[derive(Deserialize)]
pub struct QueueQuery {
    pub nach: Option<String>,
}

pub struct QueueRow {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub version: String,
    pub submitted: String,
}

#[derive(Template)]
#[template(path = "pages/review/queue.html")]
pub struct QueuePage {
    pub layout: Layout,
    pub rows: Vec<QueueRow>,
    pub total: usize,
    pub next: Option<String>,
}

/// `GET /pruefung`: the listings in review, the longest waiting first.
pub async fn queue(shop: Shop, q: web::Query<QueueQuery>) -> Page {
    let p = operator(&shop)?;
    let c = shop.app.catalogue()?;
    let page = op::list(&shop.app, &p, ListingFilter { state: Some(ListingState::InReview) }, cursor_param(q.nach.as_deref())?, PER_PAGE).await?;
    let rows = page
        .items
        .iter()
        .map(|l| QueueRow {
            id: l.id.clone(),
            name: l.name.clone(),
            provider: org_name(&c, &l.provider_org_id),
            version: match l.published_version {
                Some(v) => format!("Änderung von Version {v}"),
                None => "Neu".into(),
            },
            submitted: datetime(l.updated_at),
        })
        .collect();
    let p = QueuePage { layout: layout(&shop, "Prüfung").await, rows, total: page.total, next: next_href("/pruefung", "", page.next_cursor) };
    render(&p)
}

pub struct DuplicateRow {
    pub id: String,
    pub name: String,
    pub provider: String,
    pub reasons: String,
    pub similarity: String,
}

#[derive(Template)]
#[template(path = "pages/review/review.html")]
pub struct ReviewPage {
    pub layout: Layout,
    pub errors: Errors,
    pub problem: Option<String>,
    pub id: String,
    pub name: String,
    pub provider: String,
    pub state: &'static str,
    pub in_review: bool,
    pub revision: i32,
    /// The published version compared against (`None`: a new listing).
    pub published: Option<i32>,
    pub diff: Vec<DiffLine>,
    pub changed: usize,
    pub duplicates: Vec<DuplicateRow>,
    pub decisions: Vec<Decision>,
    pub grund: String,
}

async fn review_page(shop: &Shop, raw_id: &str, errors: Errors, problem: Option<String>, grund: String, status: StatusCode) -> Page {
    let p = shop.require_user()?.principal.clone();
    let id = efa_api::operations::parse_uuid("id", raw_id).map_err(|_| WebError::NotFound)?;
    // Another organisation's listing does not exist for a non-operator (404); the own one is
    // not theirs to review (403): as the API answers.
    let l = op::get_listing(&shop.app, &p, &id).await?;
    let duplicates = op::possible_duplicates(&shop.app, &p, &id)?;
    let c = shop.app.catalogue()?;
    let criteria = shop.web.criteria(&shop.app).await?;
    let versions = op::published_versions(&shop.app, Some(p.clone()), &id).await?;
    let before = versions.first().map(|v| lines(&v.content, &c, &criteria)).unwrap_or_default();
    let diff = diff(&before, &lines(&l.content, &c, &criteria));
    let name = l.content.get("name").and_then(|n| n.as_str()).unwrap_or("Onlinedienst").to_owned();
    let provider = l.content.get("provider_org_id").and_then(|o| o.as_str()).map(|o| org_name(&c, o)).unwrap_or_default();
    let page = ReviewPage {
        layout: layout(shop, format!("Prüfung: {name}")).await.with_errors(!errors.is_empty() || problem.is_some()),
        errors,
        problem,
        name,
        provider,
        state: listing_state_de(l.listing_state),
        in_review: l.listing_state == ListingState::InReview,
        revision: l.revision,
        published: versions.first().map(|v| v.version),
        changed: diff.iter().filter(|d| d.changed).count(),
        diff,
        duplicates: duplicates
            .into_iter()
            .map(|d| DuplicateRow {
                id: d.service.id.clone(),
                name: d.service.name.clone(),
                provider: d.service.provider.name.clone(),
                reasons: d
                    .reasons
                    .iter()
                    .map(|r| match r {
                        DuplicateReason::SameProviderSameOzgLeistung => "gleicher Anbieter, gleiche OZG-Leistung",
                        DuplicateReason::SimilarName => "ähnlicher Name",
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                similarity: format!("{} %", (d.name_similarity * 100.0).round()),
            })
            .collect(),
        decisions: decisions(shop, &c, &id).await?,
        grund,
        id,
    };
    render_status(&page, status)
}

/// `GET /pruefung/{id}`: the working copy against the published version, duplicates, decisions.
pub async fn show(shop: Shop, path: web::Path<String>) -> Page {
    review_page(&shop, &path, Errors::default(), None, String::new(), StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    pub revision: String,
    #[serde(default)]
    pub grund: String,
}

async fn decide(shop: Shop, raw_id: &str, body: &[u8], action: ListingAction) -> Page {
    let p = shop.require_user()?.principal.clone();
    let f = forms::parse::<DecisionForm>(&shop, body)?.value;
    let id = efa_api::operations::parse_uuid("id", raw_id).map_err(|_| WebError::NotFound)?;
    let expected = revision_of(&f.revision)?;
    let ctx = shop.ctx(None);
    let outcome = match action {
        ListingAction::Reject => op::reject(&shop.app, &p, &ctx, &id, expected, &f.grund).await,
        _ => op::change_state(&shop.app, &p, &ctx, &id, action, expected, None).await,
    };
    match outcome {
        Ok(_) => {
            shop.flash("success", if action == ListingAction::Approve { "Der Onlinedienst ist freigegeben und veröffentlicht." } else { "Der Onlinedienst ist mit Ihrer Begründung an den Anbieter zurückgegeben." });
            Ok(see_other("/pruefung"))
        }
        Err(ApiError::Unprocessable(list)) => {
            let mut errors = Errors::default();
            if let Some(e) = list.first() {
                let message = if f.grund.trim().is_empty() { "Geben Sie eine Begründung ein: Der Anbieter liest sie.".to_owned() } else { forms::german(&e.message) };
                errors.add("grund", message);
            }
            review_page(&shop, &id, errors, None, f.grund, StatusCode::BAD_REQUEST).await
        }
        Err(ApiError::PreconditionFailed | ApiError::Conflict(_)) => review_page(&shop, &id, Errors::default(), Some(CHANGED_MEANWHILE.into()), f.grund, StatusCode::CONFLICT).await,
        Err(e) => Err(e.into()),
    }
}

/// `POST /pruefung/{id}/freigeben`: publishes the working copy as the next version.
pub async fn approve(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    decide(shop, &path, &body, ListingAction::Approve).await
}

/// `POST /pruefung/{id}/ablehnen`: sends the listing back to its provider with a reason.
pub async fn reject(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    decide(shop, &path, &body, ListingAction::Reject).await
}
