//! Listing writes: the working copy, approval into a published version, the version history.
//! Every function runs inside the caller's transaction.

use crate::models::{AnbindungRow, OnlineServiceRow, ServiceOzgRow};
use crate::schema::{listing_versions, online_service_anbindungen as anb, online_service_ozg_leistungen as links, online_services as s};
use crate::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use efa_domain::listing::{ListingContent, ListingState};

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = listing_versions, treat_none_as_default_value = false)]
pub struct ListingVersionRow {
    pub online_service_id: String,
    pub version: i32,
    pub content: String,
    pub published_at: NaiveDateTime,
    pub approved_by: String,
}

pub fn find(conn: &mut DbConn, id: &str) -> QueryResult<Option<OnlineServiceRow>> {
    s::table.find(id).select(OnlineServiceRow::as_select()).first(conn).optional()
}

/// The public columns set from listing content.
fn public_columns(row: &mut OnlineServiceRow, c: &ListingContent) {
    row.name = c.name.clone();
    row.description = c.description.clone();
    row.provider_org_id = c.provider_org_id.clone();
    row.lead_land_code = c.lead_land.as_ref().map(|l| l.to_string());
    row.efa = c.efa;
    row.status = Some(c.status.as_str().to_owned());
    row.reifegrad = c.reifegrad.map(|r| i32::from(r.get()));
    row.url = c.url.clone();
    row.price_model = c.price.as_ref().map(|p| p.model.as_str().to_owned());
    row.one_off_fee_cents = c.price.as_ref().and_then(|p| p.one_off_anbindung_fee_cents).map(|x| x.get());
    row.annual_fee_cents = c.price.as_ref().and_then(|p| p.annual_fee_cents).map(|x| x.get());
    row.per_inhabitant_cents = c.price.as_ref().and_then(|p| p.per_inhabitant_cents).map(|x| x.get());
    row.per_use_cents = c.price.as_ref().and_then(|p| p.per_use_cents).map(|x| x.get());
    row.reach = c.reach.as_str().to_owned();
}

fn to_json(c: &ListingContent) -> QueryResult<String> {
    serde_json::to_string(c).map_err(|e| diesel::result::Error::SerializationError(Box::new(e)))
}

/// A new draft. Its public columns are filled too (they are NOT NULL) but nothing is public
/// until `published_version` is set by an approval.
pub fn create(conn: &mut DbConn, id: &str, content: &ListingContent, now: NaiveDateTime) -> QueryResult<OnlineServiceRow> {
    let mut row = OnlineServiceRow {
        id: id.to_owned(),
        name: String::new(),
        description: None,
        provider_org_id: String::new(),
        lead_land_code: None,
        efa: false,
        status: None,
        reifegrad: None,
        url: None,
        price_model: None,
        one_off_fee_cents: None,
        annual_fee_cents: None,
        per_inhabitant_cents: None,
        per_use_cents: None,
        source: "marketplace".into(),
        created_at: now,
        updated_at: now,
        listing_state: ListingState::Draft.as_str().into(),
        revision: 1,
        content: Some(to_json(content)?),
        review_note: None,
        published_content: None,
        published_version: None,
        reach: content.reach.as_str().to_owned(),
    };
    public_columns(&mut row, content);
    diesel::insert_into(s::table).values(&row).execute(conn)?;
    Ok(row)
}

/// Outcome of a write guarded by the revision the caller saw.
#[derive(Debug, PartialEq, Eq)]
pub enum Guarded {
    Done,
    /// Someone else wrote first: the revision no longer matches.
    Stale,
}

/// Replaces the working copy and its state, if the revision still matches.
pub fn update_working_copy(
    conn: &mut DbConn,
    id: &str,
    expected_revision: i32,
    content: &ListingContent,
    state: ListingState,
    review_note: Option<&str>,
    now: NaiveDateTime,
) -> QueryResult<Guarded> {
    let n = diesel::update(s::table.filter(s::id.eq(id)).filter(s::revision.eq(expected_revision)))
        .set((
            s::content.eq(Some(to_json(content)?)),
            s::listing_state.eq(state.as_str()),
            s::review_note.eq(review_note),
            s::revision.eq(expected_revision + 1),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
    Ok(if n == 1 { Guarded::Done } else { Guarded::Stale })
}

/// Changes only the state (submit, reject, retire), if the revision still matches.
pub fn set_state(conn: &mut DbConn, id: &str, expected_revision: i32, state: ListingState, review_note: Option<&str>, now: NaiveDateTime) -> QueryResult<Guarded> {
    let n = diesel::update(s::table.filter(s::id.eq(id)).filter(s::revision.eq(expected_revision)))
        .set((s::listing_state.eq(state.as_str()), s::review_note.eq(review_note), s::revision.eq(expected_revision + 1), s::updated_at.eq(now)))
        .execute(conn)?;
    Ok(if n == 1 { Guarded::Done } else { Guarded::Stale })
}

/// Publishes the working copy as the next version: public columns, links and history.
pub fn publish(conn: &mut DbConn, row: &OnlineServiceRow, content: &ListingContent, approved_by: &str, now: NaiveDateTime) -> QueryResult<(Guarded, i32)> {
    let version = row.published_version.unwrap_or(0) + 1;
    let mut next = row.clone();
    public_columns(&mut next, content);
    let json = to_json(content)?;
    let n = diesel::update(s::table.filter(s::id.eq(&row.id)).filter(s::revision.eq(row.revision)))
        .set((
            s::name.eq(&next.name),
            s::description.eq(&next.description),
            s::lead_land_code.eq(&next.lead_land_code),
            s::efa.eq(next.efa),
            s::status.eq(&next.status),
            s::reifegrad.eq(next.reifegrad),
            s::url.eq(&next.url),
            s::price_model.eq(&next.price_model),
            s::one_off_fee_cents.eq(next.one_off_fee_cents),
            s::annual_fee_cents.eq(next.annual_fee_cents),
            s::per_inhabitant_cents.eq(next.per_inhabitant_cents),
            s::per_use_cents.eq(next.per_use_cents),
            s::reach.eq(&next.reach),
            s::listing_state.eq(ListingState::Published.as_str()),
            s::published_content.eq(Some(&json)),
            s::published_version.eq(Some(version)),
            s::review_note.eq(None::<String>),
            s::revision.eq(row.revision + 1),
            s::updated_at.eq(now),
        ))
        .execute(conn)?;
    if n != 1 {
        return Ok((Guarded::Stale, version));
    }
    diesel::delete(links::table.filter(links::online_service_id.eq(&row.id))).execute(conn)?;
    diesel::delete(anb::table.filter(anb::online_service_id.eq(&row.id))).execute(conn)?;
    for o in &content.ozg_ids {
        diesel::insert_into(links::table).values(&ServiceOzgRow { online_service_id: row.id.clone(), ozg_id: o.get() }).execute(conn)?;
    }
    for a in &content.anbindung {
        diesel::insert_into(anb::table).values(&AnbindungRow { online_service_id: row.id.clone(), kind: a.as_str().to_owned() }).execute(conn)?;
    }
    // A published version that no longer links a retired OZG-Leistung settles its flag.
    crate::catalogue::resolve_unlinked_flags(conn, &row.id, now)?;
    diesel::insert_into(listing_versions::table)
        .values(&ListingVersionRow { online_service_id: row.id.clone(), version, content: json, published_at: now, approved_by: approved_by.to_owned() })
        .execute(conn)?;
    Ok((Guarded::Done, version))
}

pub fn versions(conn: &mut DbConn, id: &str) -> QueryResult<Vec<ListingVersionRow>> {
    listing_versions::table
        .filter(listing_versions::online_service_id.eq(id))
        .order(listing_versions::version.desc())
        .select(ListingVersionRow::as_select())
        .load(conn)
}

/// The OZG-IDs and Anbindung kinds linked to a published service.
pub fn links_of(conn: &mut DbConn, id: &str) -> QueryResult<(Vec<i32>, Vec<String>)> {
    let ozg = links::table.filter(links::online_service_id.eq(id)).select(links::ozg_id).order(links::ozg_id).load(conn)?;
    let kinds = anb::table.filter(anb::online_service_id.eq(id)).select(anb::kind).order(anb::kind).load(conn)?;
    Ok((ozg, kinds))
}

/// The working copy as listing JSON: the stored content, or for an entry that predates the
/// marketplace (seeded), its published columns in the same shape.
pub fn working_copy(conn: &mut DbConn, row: &OnlineServiceRow) -> QueryResult<serde_json::Value> {
    if let Some(json) = &row.content {
        return serde_json::from_str(json).map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)));
    }
    let (ozg_ids, anbindung) = links_of(conn, &row.id)?;
    let mut v = serde_json::json!({
        "name": row.name,
        "description": row.description,
        "provider_org_id": row.provider_org_id,
        "ozg_ids": ozg_ids,
        "lead_land": row.lead_land_code,
        "efa": row.efa,
        "status": row.status,
        "reifegrad": row.reifegrad,
        "anbindung": anbindung,
        "url": row.url,
        "reach": row.reach,
    });
    if let Some(model) = &row.price_model {
        v["price"] = serde_json::json!({
            "model": model,
            "one_off_anbindung_fee_cents": row.one_off_fee_cents,
            "annual_fee_cents": row.annual_fee_cents,
            "per_inhabitant_cents": row.per_inhabitant_cents,
            "per_use_cents": row.per_use_cents,
        });
    }
    // Absent values are left out rather than sent as null.
    if let Some(m) = v.as_object_mut() {
        m.retain(|_, x| !x.is_null());
    }
    Ok(v)
}

/// The published versions of a listing, newest first: number and time only (no content).
pub fn version_dates(conn: &mut DbConn, id: &str) -> QueryResult<Vec<(i32, chrono::NaiveDateTime)>> {
    listing_versions::table
        .filter(listing_versions::online_service_id.eq(id))
        .order(listing_versions::version.desc())
        .select((listing_versions::version, listing_versions::published_at))
        .load(conn)
}

// ---- lists: a provider's listings, the operators' review queue ----

type Backend = <DbConn as Connection>::Backend;

/// One line of a list of listings: what it shows without the content's details.
#[derive(Debug, Clone, PartialEq, Queryable, Selectable)]
#[diesel(table_name = s)]
pub struct ListingLine {
    pub id: String,
    pub name: String,
    pub provider_org_id: String,
    pub listing_state: String,
    pub revision: i32,
    pub published_version: Option<i32>,
    pub content: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// Whose listings: one organisation's (newest change first), or those of one state across all
/// organisations (oldest change first: the review queue).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingScope<'a> {
    Org { org: &'a str, state: Option<ListingState> },
    State(ListingState),
}

impl ListingScope<'_> {
    /// Newest first for an organisation, oldest first for a queue.
    pub fn newest_first(&self) -> bool {
        matches!(self, ListingScope::Org { .. })
    }
}

fn scoped<'a>(scope: ListingScope<'_>) -> s::BoxedQuery<'a, Backend> {
    let q = s::table.into_boxed();
    match scope {
        ListingScope::Org { org, state } => {
            let q = q.filter(s::provider_org_id.eq(org.to_owned()));
            match state {
                Some(st) => q.filter(s::listing_state.eq(st.as_str())),
                None => q,
            }
        }
        ListingScope::State(st) => q.filter(s::listing_state.eq(st.as_str())),
    }
}

/// Up to `limit` listings of `scope` after the keyset position `after` (`updated_at`, `id` of
/// the last line of the previous page), in the scope's order. Served by the indexes
/// `online_services_org_updated_idx` and `online_services_state_updated_idx`.
pub fn list_lines(conn: &mut DbConn, scope: ListingScope<'_>, after: Option<(NaiveDateTime, String)>, limit: i64) -> QueryResult<Vec<ListingLine>> {
    let mut q = scoped(scope);
    let desc = scope.newest_first();
    if let Some((t, id)) = after {
        // The plain bound first: it gives the index scan its start, the OR only breaks ties.
        q = if desc {
            q.filter(s::updated_at.le(t)).filter(s::updated_at.lt(t).or(s::updated_at.eq(t).and(s::id.lt(id))))
        } else {
            q.filter(s::updated_at.ge(t)).filter(s::updated_at.gt(t).or(s::updated_at.eq(t).and(s::id.gt(id))))
        };
    }
    q = if desc { q.order((s::updated_at.desc(), s::id.desc())) } else { q.order((s::updated_at.asc(), s::id.asc())) };
    q.limit(limit).select(ListingLine::as_select()).load(conn)
}

/// How many listings `scope` holds.
pub fn count_lines(conn: &mut DbConn, scope: ListingScope<'_>) -> QueryResult<i64> {
    scoped(scope).count().get_result(conn)
}

/// Per listing of `ids`: (id, open reuse requests, open agreements). Open requests await
/// someone's decision or their agreements (submitted up to agreement pending); open
/// agreements are pending, active or live.
pub fn usage_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, i64, i64)>> {
    use crate::schema::{agreements as ag, reuse_requests as rr};
    const OPEN_REQUESTS: [&str; 4] = ["submitted", "land_approved", "provider_accepted", "agreement_pending"];
    let open_agreements: Vec<&str> = efa_domain::reuse::AgreementState::OPEN.iter().map(|a| a.as_str()).collect();
    let requests: Vec<(String, i64)> = rr::table
        .filter(rr::online_service_id.eq_any(ids))
        .filter(rr::state.eq_any(OPEN_REQUESTS))
        .group_by(rr::online_service_id)
        .select((rr::online_service_id, diesel::dsl::count_star()))
        .load(conn)?;
    let agreements: Vec<(String, i64)> = ag::table
        .filter(ag::online_service_id.eq_any(ids))
        .filter(ag::state.eq_any(open_agreements))
        .group_by(ag::online_service_id)
        .select((ag::online_service_id, diesel::dsl::count_star()))
        .load(conn)?;
    let of = |list: &[(String, i64)], id: &str| list.iter().find(|(i, _)| i == id).map_or(0, |(_, n)| *n);
    Ok(ids.iter().map(|id| (id.clone(), of(&requests, id), of(&agreements, id))).collect())
}

/// Listings in review: what awaits the operators.
pub fn in_review_count(conn: &mut DbConn) -> QueryResult<i64> {
    count_lines(conn, ListingScope::State(ListingState::InReview))
}
