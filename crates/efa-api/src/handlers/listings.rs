//! Publishing: providers create and maintain listings, operators review them.
//!
//! The working copy of a listing has a `revision`; its ETag is `"r<revision>"`. An update
//! needs `If-Match` with it (428 without, 412 when stale), so two editors never overwrite
//! each other unnoticed.

use super::{BadRequest, NotFound, PayloadTooLarge, Unavailable, UnsupportedMediaType};
use crate::catalogue::Catalogue;
use crate::error::{ApiError, ProblemDetails};
use crate::extract::{Authenticated, Viewer};
use crate::state::AppState;
use crate::events::Emit;
use crate::write::{create, enforce, write, AuditNote, Created, Ctx};
use efa_domain::events::{self, EventType};
use actix_web::http::header;
use actix_web::{get, patch, post, web, HttpRequest, HttpResponse};
use efa_domain::listing::{self, ListingAction, ListingContent, ListingRefs, ListingState};
use efa_domain::{decide, Action, OzgId, Principal};
use efa_store::listings::{self as store, Guarded};
use efa_store::models::OnlineServiceRow;
use efa_store::DbConn;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

/// The working copy of a listing, as its provider and the operators see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct Listing {
    pub id: String,
    pub listing_state: ListingState,
    /// Bumped by every write; the ETag is `"r<revision>"`.
    pub revision: i32,
    /// The published version the public sees, if any.
    pub published_version: Option<i32>,
    /// The reviewer's reason when the last review sent the listing back.
    pub review_note: Option<String>,
    #[schema(schema_with = working_copy_schema)]
    pub content: Value,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// The schema of `Listing.content`: `ListingContent` with fewer fields required. Written through
/// this API the working copy is a complete `ListingContent`; an entry that predates the
/// marketplace (seeded) shows only what its published columns hold
/// (`efa_store::listings::working_copy`) until its provider completes it with a PATCH.
fn working_copy_schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
    use utoipa::openapi::schema::{Object, OneOfBuilder, Schema, Type};
    use utoipa::openapi::RefOr;
    use utoipa::PartialSchema;
    const SEEDED_MAY_LACK: [&str; 4] = ["status", "conformance", "availability", "anbindung_details"];
    let mut content = ListingContent::schema();
    let mut price = listing::Prices::schema();
    if let RefOr::T(Schema::Object(p)) = &mut price {
        p.required.retain(|f| f != "pro_rata_first_year");
    }
    if let RefOr::T(Schema::Object(o)) = &mut content {
        o.required.retain(|f| !SEEDED_MAY_LACK.contains(&f.as_str()));
        o.properties.insert("price".into(), OneOfBuilder::new().item(Object::with_type(Type::Null)).item(price).into());
        o.description = Some(
            "The listing's content: a complete `ListingContent` once written through this API. An entry that predates \
             the marketplace (seeded) shows only its published columns until its provider completes it, so `status`, \
             `conformance`, `availability`, `anbindung_details` and `price.pro_rata_first_year` may be absent."
                .into(),
        );
    }
    content
}

fn etag(revision: i32) -> String {
    format!("\"r{revision}\"")
}

fn listing_response(status: actix_web::http::StatusCode, row: &OnlineServiceRow, content: Value) -> HttpResponse {
    HttpResponse::build(status).insert_header((header::ETAG, etag(row.revision))).json(listing_view(row, content))
}

fn listing_view(row: &OnlineServiceRow, content: Value) -> Listing {
    let utc = |t| chrono::DateTime::from_naive_utc_and_offset(t, chrono::Utc);
    Listing {
        id: row.id.clone(),
        listing_state: ListingState::parse(&row.listing_state).unwrap_or(ListingState::Draft),
        revision: row.revision,
        published_version: row.published_version,
        review_note: row.review_note.clone(),
        content,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    }
}

struct Refs(std::sync::Arc<Catalogue>, Vec<String>);

impl ListingRefs for Refs {
    fn ozg_exists(&self, id: OzgId) -> bool {
        self.0.ozg(id.get()).is_some()
    }
    fn org_exists(&self, id: &str) -> bool {
        self.0.org(id).is_some()
    }
    fn criterion_exists(&self, code: &str) -> bool {
        self.1.iter().any(|c| c == code)
    }
}

async fn refs(state: &AppState) -> Result<Refs, ApiError> {
    let criteria = state
        .db(|conn| efa_store::models::MindestanforderungRow::all(conn).map_err(ApiError::from))
        .await?
        .into_iter()
        .map(|m| m.code)
        .collect();
    Ok(Refs(state.catalogue()?, criteria))
}

fn parse_id(raw: &str) -> Result<String, ApiError> {
    uuid::Uuid::parse_str(raw).map(|u| u.to_string()).map_err(|_| ApiError::bad_param("id", "is not a UUID"))
}

fn load(conn: &mut DbConn, id: &str) -> Result<OnlineServiceRow, ApiError> {
    store::find(conn, id)?.ok_or_else(|| ApiError::not_found("no such resource"))
}

fn state_of(row: &OnlineServiceRow) -> Result<ListingState, ApiError> {
    ListingState::parse(&row.listing_state).map_err(|e| ApiError::Internal(e.into()))
}

/// `If-Match` as a revision; `required` decides between 428 and "use the current one".
fn if_match(req: &HttpRequest, required: bool) -> Result<Option<i32>, ApiError> {
    let Some(v) = req.headers().get(header::IF_MATCH) else {
        return if required { Err(ApiError::PreconditionRequired) } else { Ok(None) };
    };
    let v = v.to_str().unwrap_or("").trim();
    if v == "*" {
        // RFC 9110: "*" matches any current representation.
        return Ok(None);
    }
    // Anything that is not one of our ETags cannot match the current revision.
    let rev = v.strip_prefix("\"r").and_then(|r| r.strip_suffix('"')).and_then(|r| r.parse::<i32>().ok());
    rev.map(Some).ok_or(ApiError::PreconditionFailed)
}

fn check_revision(row: &OnlineServiceRow, expected: Option<i32>) -> Result<i32, ApiError> {
    match expected {
        Some(r) if r != row.revision => Err(ApiError::PreconditionFailed),
        _ => Ok(row.revision),
    }
}

fn stale(g: Guarded) -> Result<(), ApiError> {
    match g {
        Guarded::Done => Ok(()),
        Guarded::Stale => Err(ApiError::PreconditionFailed),
    }
}

fn validate(body: &Value, refs: &Refs) -> Result<ListingContent, ApiError> {
    listing::validate_listing(body, refs).map_err(ApiError::Unprocessable)
}

fn to_value(c: &ListingContent) -> Result<Value, ApiError> {
    serde_json::to_value(c).map_err(|e| ApiError::Internal(e.into()))
}

fn owner(p: &Principal, row: &OnlineServiceRow) -> Result<(), ApiError> {
    enforce(decide(Some(p), &Action::ViewListingDraft { provider_org: &row.provider_org_id }), "see this listing")
}

/// Create a listing (as a draft) for your provider organisation.
#[utoipa::path(tag = "publishing", operation_id = "create_online_service", request_body = ListingContent,
    security(("bearer" = [])),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe creation: a retry with the same key and body within 24 hours answers the first response")),
    responses((status = 201, body = Listing, headers(("ETag" = String), ("Location" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not a publisher of the provider organisation"),
        (status = 413, body = ProblemDetails, content_type = "application/problem+json", description = "Body too large"),
        (status = 415, body = ProblemDetails, content_type = "application/problem+json", description = "Body is not JSON"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields, all listed in `errors`, or Idempotency-Key reused with another request"),
        BadRequest, Unavailable))]
#[post("/online-services")]
pub async fn create_online_service(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let p = user.0;
    let refs = refs(&state).await?;
    let content = validate(&body, &refs)?;
    enforce(decide(Some(&p), &Action::CreateListing { provider_org: &content.provider_org_id }), "publish for this organisation")?;
    let id = uuid::Uuid::new_v4().to_string();
    let after = to_value(&content)?;
    let owner_org = content.provider_org_id.clone();
    let creation = create(&state, &p, &Ctx::of(&req), "POST /api/v1/online-services", &body, move |conn| {
        let row = store::create(conn, &id, &content, chrono::Utc::now().naive_utc())?;
        let body = serde_json::to_value(listing_view(&row, after.clone())).map_err(|e| ApiError::Internal(e.into()))?;
        let emit = Emit::new(EventType::ListingCreated, "online_service", &id, vec![events::org(&owner_org)], serde_json::json!({"listing_state": row.listing_state, "revision": row.revision}));
        let note = AuditNote { action: "listing.create", resource_type: "online_service", resource_id: id, owner_org_id: Some(owner_org), before: None, after: Some(after), events: vec![emit] };
        Ok((Created { body, location: format!("/api/v1/online-services/{}", row.id) }, note))
    })
    .await?;
    if !creation.is_replay() {
        state.rebuild_after_write(true).await;
    }
    // The ETag a later If-Match needs: of the revision the answer shows (1, or the first
    // answer's for a replay).
    let revision = creation.body()?["revision"].as_i64().and_then(|r| i32::try_from(r).ok()).unwrap_or(1);
    let mut res = creation.into_response();
    if let Ok(tag) = header::HeaderValue::from_str(&etag(revision)) {
        res.headers_mut().insert(header::ETAG, tag);
    }
    Ok(res)
}

/// The working copy of a listing (provider and operators); its ETag is what `If-Match` needs.
#[utoipa::path(tag = "publishing", operation_id = "get_listing", security(("bearer" = [])),
    params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid)),
    responses((status = 200, body = Listing, headers(("ETag" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        BadRequest, NotFound, Unavailable))]
#[get("/online-services/{id}/listing")]
pub async fn get_listing(state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let p = user.0;
    let (row, content) = state
        .db(move |conn| {
            let row = load(conn, &id)?;
            owner(&p, &row)?;
            let content = store::working_copy(conn, &row)?;
            Ok((row, content))
        })
        .await?;
    Ok(listing_response(actix_web::http::StatusCode::OK, &row, content))
}

/// Change the working copy with a JSON merge patch (RFC 7396). Needs `If-Match`.
/// Editing a published listing starts a new draft; the public keeps the published version.
#[utoipa::path(tag = "publishing", operation_id = "update_online_service", security(("bearer" = [])),
    params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid), ("If-Match" = String, Header, description = "ETag of the working copy, e.g. \"r3\"")),
    request_body(content = Value, content_type = "application/merge-patch+json", description = "Fields to change; null removes a field"),
    responses((status = 200, body = Listing, headers(("ETag" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not a publisher of the provider organisation"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "The listing's state does not allow edits"),
        (status = 412, body = ProblemDetails, content_type = "application/problem+json", description = "Stale If-Match"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Invalid fields, all listed in `errors`"),
        (status = 428, body = ProblemDetails, content_type = "application/problem+json", description = "If-Match missing"),
        BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[patch("/online-services/{id}")]
pub async fn update_online_service(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let id = parse_id(&path)?;
    let expected = if_match(&req, true)?;
    let p = user.0;
    let refs = refs(&state).await?;
    let patch = body.into_inner();
    let actor = p.clone();
    let (row, content) = write(&state, &p, &Ctx::of(&req), move |conn| {
        let row = load(conn, &id)?;
        let from = state_of(&row)?;
        enforce(decide(Some(&actor), &Action::EditListing { provider_org: &row.provider_org_id, state: from }), "edit this listing")?;
        let revision = check_revision(&row, expected)?;
        let next = listing::transition(from, ListingAction::Edit)?;
        let before = store::working_copy(conn, &row)?;
        let mut merged = before.clone();
        listing::merge_patch(&mut merged, &patch);
        let content = validate(&merged, &refs)?;
        if content.provider_org_id != row.provider_org_id {
            return Err(ApiError::Unprocessable(vec![listing::FieldError { field: "provider_org_id".into(), message: "the provider of a listing cannot change".into() }]));
        }
        stale(store::update_working_copy(conn, &id, revision, &content, next, None, chrono::Utc::now().naive_utc())?)?;
        let after = to_value(&content)?;
        let row = load(conn, &id)?;
        let emit = Emit::new(EventType::ListingUpdated, "online_service", &id, vec![events::org(&row.provider_org_id)], serde_json::json!({"listing_state": row.listing_state, "revision": row.revision}));
        let note = AuditNote { action: "listing.update", resource_type: "online_service", resource_id: id, owner_org_id: Some(row.provider_org_id.clone()), before: Some(before), after: Some(after.clone()), events: vec![emit] };
        Ok(((row, after), note))
    })
    .await?;
    Ok(listing_response(actix_web::http::StatusCode::OK, &row, content))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    /// Why the listing goes back to its provider; shown to the provider.
    pub reason: String,
}

/// A state change (submit, approve, reject, retire) with its policy and audit.
async fn change_state(req: HttpRequest, state: web::Data<AppState>, p: Principal, raw_id: &str, action: ListingAction, reason: Option<String>) -> Result<HttpResponse, ApiError> {
    let id = parse_id(raw_id)?;
    let expected = if_match(&req, false)?;
    let actor = p.clone();
    let (row, content) = write(&state, &p, &Ctx::of(&req), move |conn| {
        let row = load(conn, &id)?;
        let from = state_of(&row)?;
        let org = row.provider_org_id.as_str();
        let decision = match action {
            ListingAction::Submit => decide(Some(&actor), &Action::SubmitListing { provider_org: org, state: from }),
            ListingAction::Approve => decide(Some(&actor), &Action::ApproveListing { provider_org: org, state: from }),
            ListingAction::Reject => decide(Some(&actor), &Action::RejectListing { provider_org: org, state: from }),
            ListingAction::Retire => decide(Some(&actor), &Action::RetireListing { provider_org: org, state: from }),
            ListingAction::Edit => decide(Some(&actor), &Action::EditListing { provider_org: org, state: from }),
        };
        enforce(decision, &format!("{action} this listing"))?;
        let revision = check_revision(&row, expected)?;
        let next = listing::transition(from, action)?;
        let now = chrono::Utc::now().naive_utc();
        let working = store::working_copy(conn, &row)?;
        match action {
            ListingAction::Approve => {
                let content: ListingContent = serde_json::from_value(working.clone()).map_err(|e| ApiError::Internal(e.into()))?;
                let row = OnlineServiceRow { revision, ..row.clone() };
                let (g, _version) = store::publish(conn, &row, &content, &actor.subject, now)?;
                stale(g)?;
            }
            _ => stale(store::set_state(conn, &id, revision, next, reason.as_deref(), now)?)?,
        }
        let after_row = load(conn, &id)?;
        let provider = events::org(&after_row.provider_org_id);
        // Publishing and retiring change the public catalogue: everyone hears of them.
        let (kind, audience) = match action {
            ListingAction::Submit => (EventType::ListingSubmitted, vec![provider]),
            ListingAction::Approve => (EventType::ListingPublished, vec![events::EVERYONE.to_owned()]),
            ListingAction::Reject => (EventType::ListingRejected, vec![provider]),
            ListingAction::Retire => (EventType::ListingRetired, vec![events::EVERYONE.to_owned()]),
            ListingAction::Edit => (EventType::ListingUpdated, vec![provider]),
        };
        let data = serde_json::json!({"listing_state": next, "revision": after_row.revision, "published_version": after_row.published_version, "reason": reason});
        let emit = Emit::new(kind, "online_service", &id, audience, data);
        let note = AuditNote {
            events: vec![emit],
            action: match action {
                ListingAction::Submit => "listing.submit",
                ListingAction::Approve => "listing.approve",
                ListingAction::Reject => "listing.reject",
                ListingAction::Retire => "listing.retire",
                ListingAction::Edit => "listing.update",
            },
            resource_type: "online_service",
            resource_id: id,
            owner_org_id: Some(after_row.provider_org_id.clone()),
            before: Some(serde_json::json!({"listing_state": from, "revision": row.revision})),
            after: Some(serde_json::json!({"listing_state": next, "revision": after_row.revision, "published_version": after_row.published_version, "review_note": reason})),
        };
        Ok(((after_row, working), note))
    })
    .await?;
    Ok(listing_response(actix_web::http::StatusCode::OK, &row, content))
}

macro_rules! state_endpoint {
    ($name:ident, $path:literal, $action:expr, $op:literal, $doc:literal) => {
        #[doc = $doc]
        #[utoipa::path(tag = "publishing", operation_id = $op, security(("bearer" = [])),
            params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid), ("If-Match" = Option<String>, Header, description = "Optional: ETag of the working copy")),
            responses((status = 200, body = Listing, headers(("ETag" = String))),
                (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
                (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not allowed for your role"),
                (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Not possible in the listing's current state"),
                (status = 412, body = ProblemDetails, content_type = "application/problem+json", description = "Stale If-Match"),
                BadRequest, NotFound, Unavailable))]
        #[post($path)]
        pub async fn $name(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
            change_state(req, state, user.0, &path, $action, None).await
        }
    };
}

state_endpoint!(submit_online_service, "/online-services/{id}/submit", ListingAction::Submit, "submit_online_service", "Send a draft to review (provider).");
state_endpoint!(approve_online_service, "/online-services/{id}/approve", ListingAction::Approve, "approve_online_service", "Publish a listing in review as its next version (operator).");
state_endpoint!(retire_online_service, "/online-services/{id}/retire", ListingAction::Retire, "retire_online_service", "Withdraw a listing from the catalogue (provider or operator).");

/// Send a listing in review back to its provider with a reason (operator).
#[utoipa::path(tag = "publishing", operation_id = "reject_online_service", security(("bearer" = [])), request_body = RejectBody,
    params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid), ("If-Match" = Option<String>, Header, description = "Optional: ETag of the working copy")),
    responses((status = 200, body = Listing, headers(("ETag" = String))),
        (status = 401, body = ProblemDetails, content_type = "application/problem+json", description = "Missing or invalid token"),
        (status = 403, body = ProblemDetails, content_type = "application/problem+json", description = "Not an operator"),
        (status = 409, body = ProblemDetails, content_type = "application/problem+json", description = "Not in review"),
        (status = 412, body = ProblemDetails, content_type = "application/problem+json", description = "Stale If-Match"),
        (status = 422, body = ProblemDetails, content_type = "application/problem+json", description = "Reason missing or too long"),
        BadRequest, NotFound, PayloadTooLarge, UnsupportedMediaType, Unavailable))]
#[post("/online-services/{id}/reject")]
pub async fn reject_online_service(req: HttpRequest, state: web::Data<AppState>, user: Authenticated, path: web::Path<String>, body: web::Json<Value>) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    // serde would also read the struct from an array, binding fields by position.
    if !body.is_object() {
        return Err(ApiError::Unprocessable(vec![listing::FieldError { field: "body".into(), message: "must be a JSON object".into() }]));
    }
    let parsed: RejectBody = serde_json::from_value(body)
        .map_err(|e| ApiError::Unprocessable(vec![listing::FieldError { field: "reason".into(), message: e.to_string() }]))?;
    let reason = parsed.reason.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > 2000 || reason.contains('\0') {
        return Err(ApiError::Unprocessable(vec![listing::FieldError { field: "reason".into(), message: "must be 1 to 2000 characters".into() }]));
    }
    change_state(req, state, user.0, &path, ListingAction::Reject, Some(reason)).await
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListingVersion {
    pub version: i32,
    pub published_at: chrono::DateTime<chrono::Utc>,
    pub approved_by: String,
    #[schema(value_type = ListingContent)]
    pub content: Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListingVersionsResponse {
    pub items: Vec<ListingVersion>,
    pub total: usize,
}

/// The published versions of a listing, newest first. Entries loaded from the seed data
/// predate the marketplace and have none.
#[utoipa::path(tag = "publishing", operation_id = "list_online_service_versions",
    params(("id" = String, Path, description = "Online service id (UUID)", format = Uuid)),
    responses((status = 200, body = ListingVersionsResponse), BadRequest, NotFound, Unavailable))]
#[get("/online-services/{id}/versions")]
pub async fn list_online_service_versions(state: web::Data<AppState>, viewer: Viewer, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let items = published_versions(&state, viewer.0, &path).await?;
    Ok(HttpResponse::Ok().json(ListingVersionsResponse { total: items.len(), items }))
}

/// The published versions of a listing, newest first (a never-published draft only for its
/// provider and the operators).
pub async fn published_versions(state: &AppState, viewer: Option<Principal>, raw_id: &str) -> Result<Vec<ListingVersion>, ApiError> {
    let id = parse_id(raw_id)?;
    let versions = state
        .db(move |conn| {
            let row = load(conn, &id)?;
            if row.published_version.is_none() {
                enforce(decide(viewer.as_ref(), &Action::ViewListingDraft { provider_org: &row.provider_org_id }), "see this listing")?;
            }
            Ok(store::versions(conn, &id)?)
        })
        .await?;
    Ok(versions
        .into_iter()
        .map(|v| ListingVersion {
            version: v.version,
            published_at: chrono::DateTime::from_naive_utc_and_offset(v.published_at, chrono::Utc),
            approved_by: v.approved_by,
            content: serde_json::from_str(&v.content).unwrap_or(Value::Null),
        })
        .collect())
}
