//! Publishing: providers create and maintain listings, operators review them. The JSON
//! handlers (`handlers::listings`, `handlers::review`) and the shop's pages both call these.
//!
//! The working copy of a listing has a `revision`; a write names the revision it was made
//! from (the API's `If-Match`), and a stale one is refused with
//! [`ApiError::PreconditionFailed`], so two editors never overwrite each other unnoticed.

use super::{parse_uuid, utc};
use crate::catalogue::{Catalogue, ServiceEntry};
use crate::error::ApiError;
use crate::events::Emit;
use crate::state::AppState;
use crate::views::OnlineService;
use crate::write::{create, enforce, write, AuditNote, Created, Creation, Ctx};
use efa_domain::events::{self, EventType};
use efa_domain::listing::{self, ListingAction, ListingContent, ListingRefs, ListingState};
use efa_domain::{decide, Action, OzgId, Principal, Role};
use efa_store::listings::{self as store, Guarded, ListingLine, ListingScope};
use efa_store::models::OnlineServiceRow;
use efa_store::DbConn;
use serde::Serialize;
use serde_json::Value;
use std::collections::BTreeSet;
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
    /// Open flags for its provider (on GET): an OZG-Leistung it links was retired from the
    /// catalogue; publishing a version without it (with its successor) settles the flag.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub flags: Vec<super::catalogue::ListingFlag>,
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

fn listing_view(row: &OnlineServiceRow, content: Value) -> Listing {
    Listing {
        id: row.id.clone(),
        listing_state: ListingState::parse(&row.listing_state).unwrap_or(ListingState::Draft),
        revision: row.revision,
        published_version: row.published_version,
        review_note: row.review_note.clone(),
        content,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
        flags: Vec::new(),
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
    fn ozg_retired(&self, id: OzgId) -> Option<Option<i32>> {
        self.0.ozg(id.get()).and_then(|o| o.view.retired.as_ref()).map(|r| r.successor.as_ref().map(|s| s.id))
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

fn load(conn: &mut DbConn, id: &str) -> Result<OnlineServiceRow, ApiError> {
    store::find(conn, id)?.ok_or_else(|| ApiError::not_found("no such resource"))
}

fn state_of(row: &OnlineServiceRow) -> Result<ListingState, ApiError> {
    ListingState::parse(&row.listing_state).map_err(|e| ApiError::Internal(e.into()))
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

/// Checks a listing body without writing anything: every invalid field in one 422. A form
/// that found problems of its own asks this for the rest.
pub async fn check(state: &AppState, body: &Value) -> Result<ListingContent, ApiError> {
    validate(body, &refs(state).await?)
}

/// The route of listing creation: the scope of its idempotency keys.
const CREATE_SCOPE: &str = "POST /api/v1/online-services";

/// Creates a listing (as a draft) for the caller's provider organisation from a listing body
/// (`ListingContent` as JSON; every invalid field is named in the 422).
pub async fn create_listing(state: &AppState, p: &Principal, ctx: &Ctx, body: &Value) -> Result<Creation, ApiError> {
    let refs = refs(state).await?;
    let content = validate(body, &refs)?;
    enforce(decide(Some(p), &Action::CreateListing { provider_org: &content.provider_org_id }), "publish for this organisation")?;
    let id = uuid::Uuid::new_v4().to_string();
    let after = to_value(&content)?;
    let owner_org = content.provider_org_id.clone();
    let creation = create(state, p, ctx, CREATE_SCOPE, body, move |conn| {
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
    Ok(creation)
}

/// The working copy of a listing (its organisation and the operators; else 404).
pub async fn get_listing(state: &AppState, p: &Principal, raw_id: &str) -> Result<Listing, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let p = p.clone();
    state
        .db(move |conn| {
            let row = load(conn, &id)?;
            owner(&p, &row)?;
            let content = store::working_copy(conn, &row)?;
            Ok(Listing { flags: super::catalogue::flags_on(conn, &row.id)?, ..listing_view(&row, content) })
        })
        .await
}

/// How an edit changes the working copy.
#[derive(Debug, Clone)]
pub enum Change {
    /// A JSON merge patch (RFC 7396): the API's PATCH.
    Patch(Value),
    /// The whole listing as entered (the shop's edit form).
    Replace(Value),
}

/// Changes the working copy, made from revision `expected` (`None`: whatever is current).
/// Editing a published listing starts a new draft; the public keeps the published version.
pub async fn update_listing(state: &AppState, p: &Principal, ctx: &Ctx, raw_id: &str, expected: Option<i32>, change: Change) -> Result<Listing, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let refs = refs(state).await?;
    let actor = p.clone();
    write(state, p, ctx, move |conn| {
        let row = load(conn, &id)?;
        let from = state_of(&row)?;
        enforce(decide(Some(&actor), &Action::EditListing { provider_org: &row.provider_org_id, state: from }), "edit this listing")?;
        let revision = check_revision(&row, expected)?;
        let next = listing::transition(from, ListingAction::Edit)?;
        let before = store::working_copy(conn, &row)?;
        let merged = match change {
            Change::Patch(patch) => {
                let mut merged = before.clone();
                listing::merge_patch(&mut merged, &patch);
                merged
            }
            Change::Replace(whole) => whole,
        };
        let content = validate(&merged, &refs)?;
        if content.provider_org_id != row.provider_org_id {
            return Err(ApiError::Unprocessable(vec![listing::FieldError { field: "provider_org_id".into(), message: "the provider of a listing cannot change".into() }]));
        }
        stale(store::update_working_copy(conn, &id, revision, &content, next, None, chrono::Utc::now().naive_utc())?)?;
        let after = to_value(&content)?;
        let row = load(conn, &id)?;
        let emit = Emit::new(EventType::ListingUpdated, "online_service", &id, vec![events::org(&row.provider_org_id)], serde_json::json!({"listing_state": row.listing_state, "revision": row.revision}));
        let note = AuditNote { action: "listing.update", resource_type: "online_service", resource_id: id, owner_org_id: Some(row.provider_org_id.clone()), before: Some(before), after: Some(after.clone()), events: vec![emit] };
        Ok((listing_view(&row, after), note))
    })
    .await
}

/// Longest reason of a rejection, in characters.
pub const MAX_REASON: usize = 2000;

/// The reason of a rejection, trimmed: 1 to 2000 characters.
pub fn reason(raw: &str) -> Result<String, ApiError> {
    let reason = raw.trim().to_owned();
    if reason.is_empty() || reason.chars().count() > MAX_REASON || reason.contains('\0') {
        return Err(super::invalid("reason", "must be 1 to 2000 characters"));
    }
    Ok(reason)
}

/// Sends a listing in review back to its provider with a reason (operators).
pub async fn reject(state: &AppState, p: &Principal, ctx: &Ctx, raw_id: &str, expected: Option<i32>, raw_reason: &str) -> Result<Listing, ApiError> {
    let reason = reason(raw_reason)?;
    change_state(state, p, ctx, raw_id, ListingAction::Reject, expected, Some(reason)).await
}

/// A state change (submit, approve, reject, retire) with its policy and audit, made from
/// revision `expected` (`None`: whatever is current). A rejection's `reason` is checked by
/// [`reject`].
pub async fn change_state(state: &AppState, p: &Principal, ctx: &Ctx, raw_id: &str, action: ListingAction, expected: Option<i32>, reason: Option<String>) -> Result<Listing, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let actor = p.clone();
    write(state, p, ctx, move |conn| {
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
            action: audit_action(action),
            resource_type: "online_service",
            resource_id: id,
            owner_org_id: Some(after_row.provider_org_id.clone()),
            before: Some(serde_json::json!({"listing_state": from, "revision": row.revision})),
            after: Some(serde_json::json!({"listing_state": next, "revision": after_row.revision, "published_version": after_row.published_version, "review_note": reason})),
        };
        Ok((listing_view(&after_row, working), note))
    })
    .await
}

/// The audit log's name of a listing action.
pub fn audit_action(action: ListingAction) -> &'static str {
    match action {
        ListingAction::Submit => "listing.submit",
        ListingAction::Approve => "listing.approve",
        ListingAction::Reject => "listing.reject",
        ListingAction::Retire => "listing.retire",
        ListingAction::Edit => "listing.update",
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ListingVersion {
    pub version: i32,
    pub published_at: chrono::DateTime<chrono::Utc>,
    pub approved_by: String,
    #[schema(value_type = ListingContent)]
    pub content: Value,
}

/// The published versions of a listing, newest first (a never-published draft only for its
/// provider and the operators).
pub async fn published_versions(state: &AppState, viewer: Option<Principal>, raw_id: &str) -> Result<Vec<ListingVersion>, ApiError> {
    let id = parse_uuid("id", raw_id)?;
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
        .map(|v| ListingVersion { version: v.version, published_at: utc(v.published_at), approved_by: v.approved_by, content: serde_json::from_str(&v.content).unwrap_or(Value::Null) })
        .collect())
}

// ---- lists ----

/// One line of a list of listings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ListingSummary {
    pub id: String,
    /// The working copy's name.
    pub name: String,
    pub provider_org_id: String,
    pub listing_state: ListingState,
    pub revision: i32,
    pub published_version: Option<i32>,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

fn summary(l: ListingLine) -> Result<ListingSummary, ApiError> {
    // The working copy's name where one is stored (the name column shows the published one).
    let name = l
        .content
        .as_deref()
        .and_then(|c| serde_json::from_str::<Value>(c).ok())
        .and_then(|v| v.get("name").and_then(Value::as_str).map(str::to_owned))
        .unwrap_or(l.name);
    Ok(ListingSummary {
        listing_state: ListingState::parse(&l.listing_state).map_err(|e| ApiError::Internal(e.into()))?,
        id: l.id,
        name,
        provider_org_id: l.provider_org_id,
        revision: l.revision,
        published_version: l.published_version,
        created_at: utc(l.created_at),
        updated_at: utc(l.updated_at),
    })
}

/// Where a page of a list of listings starts: after the line with this `updated_at` and id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cursor {
    pub updated_at: chrono::NaiveDateTime,
    pub id: String,
}

impl Cursor {
    fn of(s: &ListingSummary) -> Cursor {
        Cursor { updated_at: s.updated_at.naive_utc(), id: s.id.clone() }
    }

    /// `<nanoseconds since 1970>.<id>`: exact on both databases (SQLite keeps nanoseconds).
    pub fn encode(&self) -> String {
        format!("{}.{}", self.updated_at.and_utc().timestamp_nanos_opt().unwrap_or(0), self.id)
    }

    pub fn parse(s: &str) -> Result<Cursor, ApiError> {
        let bad = || ApiError::bad_param("after", "is not a cursor of this list (use next_cursor of the previous page)");
        let (nanos, id) = s.split_once('.').ok_or_else(bad)?;
        let nanos: i64 = nanos.parse().map_err(|_| bad())?;
        if id.is_empty() || id.len() > 100 || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
            return Err(bad());
        }
        Ok(Cursor { updated_at: chrono::DateTime::from_timestamp_nanos(nanos).naive_utc(), id: id.to_owned() })
    }
}

/// Whose listings a list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListingFilter {
    /// Only listings in this state. Operators see one state across all organisations (default
    /// in review: the review queue, oldest first); everyone else its organisation's listings,
    /// newest change first.
    pub state: Option<ListingState>,
}

/// One page of listings.
#[derive(Debug, Serialize, ToSchema)]
pub struct ListingPage {
    pub items: Vec<ListingSummary>,
    /// Listings matching the filter, on all pages.
    pub total: usize,
    pub limit: u32,
    /// Pass as `after` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

/// A page of the listings the caller works on: an operator's review queue (or one state
/// across all organisations), oldest change first; anyone else's own organisation's listings,
/// newest change first. Keyset paging: `after` the previous page's `next_cursor`.
pub async fn list(state: &AppState, p: &Principal, filter: ListingFilter, after: Option<Cursor>, limit: u32) -> Result<ListingPage, ApiError> {
    let p = p.clone();
    let limit = limit.clamp(1, crate::params::MAX_PER_PAGE);
    state
        .db(move |conn| {
            let scope = if p.has(Role::Operator) {
                ListingScope::State(filter.state.unwrap_or(ListingState::InReview))
            } else {
                // Everyone sees its own organisation's drafts (efa_domain::policy ViewListingDraft).
                enforce(decide(Some(&p), &Action::ViewListingDraft { provider_org: &p.org_id }), "see these listings")?;
                ListingScope::Org { org: &p.org_id, state: filter.state }
            };
            let total = store::count_lines(conn, scope)?;
            // One more than asked: whether a next page exists, without a second query.
            let mut lines = store::list_lines(conn, scope, after.map(|c| (c.updated_at, c.id)), i64::from(limit) + 1)?;
            let more = lines.len() > limit as usize;
            lines.truncate(limit as usize);
            let items = lines.into_iter().map(summary).collect::<Result<Vec<_>, _>>()?;
            let next_cursor = if more { items.last().map(|s| Cursor::of(s).encode()) } else { None };
            Ok(ListingPage { items, total: usize::try_from(total).unwrap_or(0), limit, next_cursor })
        })
        .await
}

/// What goes on with each listing of `ids`: (id, open reuse requests, open agreements).
/// Only for listings the caller may see (its organisation's, or any for operators).
pub async fn usage(state: &AppState, p: &Principal, ids: Vec<String>) -> Result<Vec<(String, i64, i64)>, ApiError> {
    let p = p.clone();
    state
        .db(move |conn| {
            for id in &ids {
                owner(&p, &load(conn, id)?)?;
            }
            Ok(store::usage_of(conn, &ids)?)
        })
        .await
}

// ---- review: possible duplicates ----

/// Names at least this similar (Jaccard index of their words) count as near-identical.
pub const NAME_SIMILARITY: f64 = 0.6;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum DuplicateReason {
    /// The same provider lists another service for one of the same OZG-Leistungen.
    SameProviderSameOzgLeistung,
    /// Another listing (of any provider) has a near-identical name.
    SimilarName,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PossibleDuplicate {
    pub service: OnlineService,
    pub reasons: Vec<DuplicateReason>,
    /// Word overlap of the two names, 0–1.
    pub name_similarity: f64,
}

fn words(folded: &str) -> BTreeSet<&str> {
    folded.split(' ').filter(|w| w.len() >= 3).collect()
}

/// Jaccard index of the significant words of two folded names.
pub fn name_similarity(a: &str, b: &str) -> f64 {
    let (wa, wb) = (words(a), words(b));
    let union = wa.union(&wb).count();
    if union == 0 {
        return if a == b { 1.0 } else { 0.0 };
    }
    wa.intersection(&wb).count() as f64 / union as f64
}

fn duplicates_in<'a>(c: &'a Catalogue, subject: &ServiceEntry) -> Vec<(&'a ServiceEntry, Vec<DuplicateReason>, f64)> {
    let id = &subject.detail.service.id;
    let mut seen = BTreeSet::new();
    let mut out = Vec::new();
    for other in c.drafts.iter().chain(c.services.iter()).map(|e| &**e) {
        let oid = &other.detail.service.id;
        if oid == id || !seen.insert(oid.clone()) {
            continue;
        }
        let mut reasons = Vec::new();
        if other.provider == subject.provider && other.ozg.iter().any(|o| subject.ozg.contains(o)) {
            reasons.push(DuplicateReason::SameProviderSameOzgLeistung);
        }
        let sim = name_similarity(&subject.folded_name, &other.folded_name);
        if sim >= NAME_SIMILARITY {
            reasons.push(DuplicateReason::SimilarName);
        }
        if !reasons.is_empty() {
            out.push((other, reasons, sim));
        }
    }
    out.sort_by(|a, b| b.2.total_cmp(&a.2).then_with(|| a.0.folded_name.cmp(&b.0.folded_name)));
    out
}

/// Listings that may describe the same service as the listing `raw_id` (operators): same
/// provider and OZG-Leistung, or a near-identical name; most similar first.
pub fn possible_duplicates(state: &AppState, p: &Principal, raw_id: &str) -> Result<Vec<PossibleDuplicate>, ApiError> {
    let id = parse_uuid("id", raw_id)?;
    let c = state.catalogue()?;
    let subject = c.draft(&id).or_else(|| c.service(&id)).ok_or_else(|| ApiError::not_found("no such resource"))?;
    enforce(decide(Some(p), &Action::ViewDuplicates { provider_org: &subject.detail.service.provider.id }), "review listings")?;
    Ok(duplicates_in(&c, subject)
        .into_iter()
        .map(|(e, reasons, sim)| PossibleDuplicate { service: e.detail.service.clone(), reasons, name_similarity: (sim * 1000.0).round() / 1000.0 })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn similarity_of_names() {
        assert_eq!(name_similarity("wohngeld online antrag", "wohngeld online antrag"), 1.0);
        assert!(name_similarity("wohngeld online antrag", "antrag wohngeld online") >= 0.99);
        assert!(name_similarity("wohngeld online", "wohngeld digital online") >= 0.6);
        assert!(name_similarity("wohngeld", "hundesteuer") < 0.1);
    }

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let t = chrono::DateTime::from_timestamp_nanos(1_764_583_200_123_456_789).naive_utc();
        let c = Cursor { updated_at: t, id: "0b6d3c8e-1f6e-4f5a-9c1d-2a3b4c5d6e7f".into() };
        assert_eq!(Cursor::parse(&c.encode()).unwrap(), c);
        for bad in ["", "x", "12", "12.", "abc.def", "12.a'b", "1.a b"] {
            assert!(matches!(Cursor::parse(bad), Err(ApiError::BadParameter { ref parameter, .. }) if parameter == "after"), "{bad}");
        }
    }
}
