//! Nachnutzung storage: reuse requests, framework agreements, agreements and their folder,
//! onboarding, contract numbers. Every function runs inside the caller's transaction.

use crate::schema::{
    agreement_documents as docs, agreements as ag, contract_counters as cc, framework_agreements as fw, onboarding_steps as ob,
    request_messages as msg, reuse_request_municipalities as rm, reuse_requests as rr,
};
use crate::DbConn;
use chrono::{NaiveDate, NaiveDateTime};
use efa_domain::reuse::AgreementState;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = rr, treat_none_as_default_value = false)]
pub struct ReuseRequestRow {
    pub id: String,
    pub online_service_id: String,
    pub listing_version: i32,
    pub requester_org_id: String,
    pub land_code: String,
    pub state: String,
    pub revision: i32,
    pub note: Option<String>,
    pub decision_reason: Option<String>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = rm)]
pub struct RequestMunicipalityRow {
    pub request_id: String,
    pub municipality_org_id: String,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = msg)]
pub struct MessageRow {
    pub id: String,
    pub request_id: String,
    pub author: String,
    pub author_org_id: String,
    pub body: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = fw, treat_none_as_default_value = false)]
pub struct FrameworkRow {
    pub id: String,
    pub online_service_id: String,
    pub provider_org_id: String,
    pub land_code: String,
    pub state: String,
    pub version: i32,
    pub terms_text: String,
    pub terms_version: String,
    pub revision: i32,
    pub approved_by: Option<String>,
    pub approved_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = ag, treat_none_as_default_value = false)]
pub struct AgreementRow {
    pub id: String,
    pub number: String,
    pub request_id: Option<String>,
    pub framework_agreement_id: Option<String>,
    pub framework_version: Option<i32>,
    pub parent_agreement_id: Option<String>,
    pub online_service_id: String,
    pub listing_version: i32,
    pub listing_content: String,
    pub terms_text: String,
    pub terms_version: String,
    pub provider_org_id: String,
    pub customer_org_id: String,
    pub signatory_org_id: String,
    pub one_off_fee_cents: i64,
    pub annual_fee_cents: i64,
    pub first_year_fee_cents: i64,
    pub cost_key: String,
    pub start_date: NaiveDate,
    pub minimum_term_months: i32,
    pub notice_months: i32,
    pub end_date: Option<NaiveDate>,
    pub state: String,
    pub provider_signed_at: Option<NaiveDateTime>,
    pub provider_signed_by: Option<String>,
    pub customer_signed_at: Option<NaiveDateTime>,
    pub customer_signed_by: Option<String>,
    pub live_since: Option<NaiveDate>,
    pub revision: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = docs)]
pub struct DocumentRow {
    pub id: String,
    pub agreement_id: String,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub created_by: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = ob)]
pub struct OnboardingRow {
    pub agreement_id: String,
    pub step: String,
    pub done_by: String,
    pub done_at: NaiveDateTime,
}

// ---- reuse requests ----

pub fn insert_request(conn: &mut DbConn, r: &ReuseRequestRow, municipalities: &[String]) -> QueryResult<()> {
    diesel::insert_into(rr::table).values(r).execute(conn)?;
    for m in municipalities {
        diesel::insert_into(rm::table).values(&RequestMunicipalityRow { request_id: r.id.clone(), municipality_org_id: m.clone() }).execute(conn)?;
    }
    Ok(())
}

pub fn find_request(conn: &mut DbConn, id: &str) -> QueryResult<Option<ReuseRequestRow>> {
    rr::table.find(id).select(ReuseRequestRow::as_select()).first(conn).optional()
}

pub fn request_municipalities(conn: &mut DbConn, id: &str) -> QueryResult<Vec<String>> {
    rm::table.filter(rm::request_id.eq(id)).order(rm::municipality_org_id).select(rm::municipality_org_id).load(conn)
}

/// Moves a request from `from` to `to` if nobody else moved it first (state and revision
/// still as read). Returns false when another transition won.
pub fn move_request(conn: &mut DbConn, id: &str, from: &str, revision: i32, to: &str, reason: Option<&str>, now: NaiveDateTime) -> QueryResult<bool> {
    let mut q = diesel::update(rr::table.filter(rr::id.eq(id)).filter(rr::state.eq(from)).filter(rr::revision.eq(revision)))
        .set((rr::state.eq(to), rr::revision.eq(revision + 1), rr::updated_at.eq(now)))
        .execute(conn)?;
    if q == 1 && reason.is_some() {
        q = diesel::update(rr::table.find(id)).set(rr::decision_reason.eq(reason)).execute(conn)?;
    }
    Ok(q == 1)
}

type Backend = <DbConn as Connection>::Backend;

/// Who is asking for a list: an organisation (all when `None`: operators) and, for a
/// coordinator, the Land whose submitted requests it decides.
#[derive(Debug, Clone, Copy, Default)]
pub struct Viewer<'a> {
    pub org: Option<&'a str>,
    pub land: Option<&'a str>,
}

/// Narrowing a list: any of `states`; one online service.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub states: Vec<String>,
    pub online_service: Option<String>,
}

/// One page of a list and how many rows match in all.
pub struct ListPage<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

/// Requests visible to an organisation: it requested them, they are for its services, or it is
/// one of the municipalities covered; with `land`, also all of that Land (coordinators).
fn visible_requests<'a>(viewer: Viewer<'_>, filter: &ListFilter) -> rr::BoxedQuery<'a, Backend> {
    let mut q = rr::table.into_boxed();
    if let Some(o) = viewer.org {
        let own_services = crate::schema::online_services::table
            .filter(crate::schema::online_services::provider_org_id.eq(o.to_owned()))
            .select(crate::schema::online_services::id);
        let covered = rm::table.filter(rm::municipality_org_id.eq(o.to_owned())).select(rm::request_id);
        // A draft is the requester's business: providers see requests for their services once submitted.
        let provided = rr::online_service_id.eq_any(own_services).and(rr::state.ne("draft"));
        let base = rr::requester_org_id.eq(o.to_owned()).or(provided).or(rr::id.eq_any(covered));
        q = match viewer.land {
            Some(l) => q.filter(base.or(rr::land_code.eq(l.to_owned()).and(rr::state.ne("draft")))),
            None => q.filter(base),
        };
    }
    if !filter.states.is_empty() {
        q = q.filter(rr::state.eq_any(filter.states.clone()));
    }
    if let Some(s) = &filter.online_service {
        q = q.filter(rr::online_service_id.eq(s.clone()));
    }
    q
}

/// A page of the requests `viewer` may see, newest first.
pub fn list_requests(conn: &mut DbConn, viewer: Viewer<'_>, filter: &ListFilter, offset: i64, limit: i64) -> QueryResult<ListPage<ReuseRequestRow>> {
    let total = visible_requests(viewer, filter).count().get_result(conn)?;
    let rows = visible_requests(viewer, filter)
        .order((rr::created_at.desc(), rr::id.desc()))
        .offset(offset)
        .limit(limit)
        .select(ReuseRequestRow::as_select())
        .load(conn)?;
    Ok(ListPage { rows, total })
}

/// The municipalities of each of the requests `ids`: (request id, organisation id), in order.
pub fn municipalities_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    rm::table.filter(rm::request_id.eq_any(ids)).order((rm::request_id, rm::municipality_org_id)).select((rm::request_id, rm::municipality_org_id)).load(conn)
}

/// The agreement numbers of each of the requests `ids`: (request id, number), in order.
pub fn agreement_numbers_of(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    let rows: Vec<(Option<String>, String)> = ag::table.filter(ag::request_id.eq_any(ids)).order((ag::request_id, ag::number)).select((ag::request_id, ag::number)).load(conn)?;
    Ok(rows.into_iter().filter_map(|(r, n)| r.map(|r| (r, n))).collect())
}

pub fn add_message(conn: &mut DbConn, m: &MessageRow) -> QueryResult<()> {
    diesel::insert_into(msg::table).values(m).execute(conn).map(|_| ())
}

pub fn messages(conn: &mut DbConn, request_id: &str) -> QueryResult<Vec<MessageRow>> {
    msg::table.filter(msg::request_id.eq(request_id)).order((msg::created_at, msg::id)).select(MessageRow::as_select()).load(conn)
}

// ---- framework agreements ----

pub fn insert_framework(conn: &mut DbConn, f: &FrameworkRow) -> QueryResult<()> {
    diesel::insert_into(fw::table).values(f).execute(conn).map(|_| ())
}

pub fn find_framework(conn: &mut DbConn, id: &str) -> QueryResult<Option<FrameworkRow>> {
    fw::table.find(id).select(FrameworkRow::as_select()).first(conn).optional()
}

pub fn approve_framework(conn: &mut DbConn, id: &str, revision: i32, by: &str, now: NaiveDateTime) -> QueryResult<bool> {
    let n = diesel::update(fw::table.filter(fw::id.eq(id)).filter(fw::state.eq("offered")).filter(fw::revision.eq(revision)))
        .set((fw::state.eq("approved"), fw::approved_by.eq(Some(by)), fw::approved_at.eq(Some(now)), fw::revision.eq(revision + 1), fw::updated_at.eq(now)))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn list_frameworks(conn: &mut DbConn, land: Option<&str>, service: Option<&str>) -> QueryResult<Vec<FrameworkRow>> {
    let mut q = fw::table.into_boxed();
    if let Some(l) = land {
        q = q.filter(fw::land_code.eq(l.to_owned()));
    }
    if let Some(s) = service {
        q = q.filter(fw::online_service_id.eq(s.to_owned()));
    }
    q.order((fw::created_at.desc(), fw::id)).select(FrameworkRow::as_select()).load(conn)
}

// ---- agreements ----

/// The next contract number of `year`: gapless, unique under concurrency. The counter row is
/// locked by the UPDATE until the transaction ends; a rolled-back transaction gives its
/// number back.
pub fn next_contract_seq(conn: &mut DbConn, year: i32) -> QueryResult<i64> {
    crate::per_backend!(conn, |c| diesel::insert_into(cc::table).values((cc::year.eq(year), cc::last_seq.eq(0i64))).on_conflict_do_nothing().execute(c))?;
    diesel::update(cc::table.find(year)).set(cc::last_seq.eq(cc::last_seq + 1)).execute(conn)?;
    cc::table.find(year).select(cc::last_seq).first(conn)
}

/// Inserts an agreement; `false` when the customer already has an open one for the service
/// (the unique index `agreements_one_open_idx`). On PostgreSQL the transaction is then
/// aborted: the caller must end it.
pub fn insert_agreement(conn: &mut DbConn, a: &AgreementRow) -> QueryResult<bool> {
    use diesel::result::{DatabaseErrorKind, Error};
    match diesel::insert_into(ag::table).values(a).execute(conn) {
        Ok(_) => Ok(true),
        // PostgreSQL names the index; SQLite names the columns.
        Err(Error::DatabaseError(DatabaseErrorKind::UniqueViolation, info))
            if info.constraint_name() == Some("agreements_one_open_idx") || info.message().contains("agreements.online_service_id") =>
        {
            Ok(false)
        }
        Err(e) => Err(e),
    }
}

pub fn find_agreement(conn: &mut DbConn, number: &str) -> QueryResult<Option<AgreementRow>> {
    ag::table.filter(ag::number.eq(number)).select(AgreementRow::as_select()).first(conn).optional()
}

pub fn agreements_of_request(conn: &mut DbConn, request_id: &str) -> QueryResult<Vec<AgreementRow>> {
    ag::table.filter(ag::request_id.eq(request_id)).order(ag::number).select(AgreementRow::as_select()).load(conn)
}

/// Agreements an organisation is party to (provider, customer or signatory); all with `None`.
fn visible_agreements<'a>(org: Option<&str>, filter: &ListFilter) -> ag::BoxedQuery<'a, Backend> {
    let mut q = ag::table.into_boxed();
    if let Some(o) = org {
        q = q.filter(ag::provider_org_id.eq(o.to_owned()).or(ag::customer_org_id.eq(o.to_owned())).or(ag::signatory_org_id.eq(o.to_owned())));
    }
    if !filter.states.is_empty() {
        q = q.filter(ag::state.eq_any(filter.states.clone()));
    }
    if let Some(s) = &filter.online_service {
        q = q.filter(ag::online_service_id.eq(s.clone()));
    }
    q
}

/// A page of the agreements `org` is party to, newest number first.
pub fn list_agreements(conn: &mut DbConn, org: Option<&str>, filter: &ListFilter, offset: i64, limit: i64) -> QueryResult<ListPage<AgreementRow>> {
    let total = visible_agreements(org, filter).count().get_result(conn)?;
    let rows = visible_agreements(org, filter).order(ag::number.desc()).offset(offset).limit(limit).select(AgreementRow::as_select()).load(conn)?;
    Ok(ListPage { rows, total })
}

/// Replaces an agreement row if its revision is still the one read.
pub fn update_agreement(conn: &mut DbConn, a: &AgreementRow, expected_revision: i32) -> QueryResult<bool> {
    let n = diesel::update(ag::table.filter(ag::id.eq(&a.id)).filter(ag::revision.eq(expected_revision)))
        .set((
            ag::state.eq(&a.state),
            ag::provider_signed_at.eq(a.provider_signed_at),
            ag::provider_signed_by.eq(&a.provider_signed_by),
            ag::customer_signed_at.eq(a.customer_signed_at),
            ag::customer_signed_by.eq(&a.customer_signed_by),
            ag::end_date.eq(a.end_date),
            ag::live_since.eq(a.live_since),
            ag::revision.eq(expected_revision + 1),
            ag::updated_at.eq(a.updated_at),
        ))
        .execute(conn)?;
    Ok(n == 1)
}

pub fn add_document(conn: &mut DbConn, d: &DocumentRow) -> QueryResult<()> {
    diesel::insert_into(docs::table).values(d).execute(conn).map(|_| ())
}

pub fn documents(conn: &mut DbConn, agreement_id: &str) -> QueryResult<Vec<DocumentRow>> {
    docs::table.filter(docs::agreement_id.eq(agreement_id)).order((docs::created_at, docs::id)).select(DocumentRow::as_select()).load(conn)
}

pub fn mark_step(conn: &mut DbConn, row: &OnboardingRow) -> QueryResult<bool> {
    let n = crate::per_backend!(conn, |c| diesel::insert_into(ob::table).values(row).on_conflict_do_nothing().execute(c))?;
    Ok(n == 1)
}

pub fn steps(conn: &mut DbConn, agreement_id: &str) -> QueryResult<Vec<OnboardingRow>> {
    ob::table.filter(ob::agreement_id.eq(agreement_id)).order(ob::done_at).select(OnboardingRow::as_select()).load(conn)
}

/// (number, online_service_id, customer_org_id, signatory_org_id) of every agreement under
/// which a service runs on `today`: live ones, and terminated ones until their end date.
pub fn live_agreements(conn: &mut DbConn, today: NaiveDate) -> QueryResult<Vec<(String, String, String, String)>> {
    // A terminated agreement that went live keeps the service running until its end date.
    let running = ag::state.eq(AgreementState::Live.as_str()).or(ag::state
        .eq(AgreementState::Terminated.as_str())
        .and(ag::live_since.is_not_null())
        .and(ag::end_date.ge(today)));
    ag::table
        .filter(running)
        .select((ag::number, ag::online_service_id, ag::customer_org_id, ag::signatory_org_id))
        .order(ag::number)
        .load(conn)
}

/// Signature and go-live dates for the adoption report, optionally of one service and of the
/// customers in one Land. An
/// agreement is signed when both sides have signed, at the later signature; one signature
/// alone is no signed agreement.
pub fn adoption_rows(conn: &mut DbConn, service: Option<&str>, land: Option<&str>) -> QueryResult<Vec<(Option<NaiveDateTime>, Option<NaiveDate>)>> {
    let mut q = ag::table.filter(ag::customer_signed_at.is_not_null().or(ag::live_since.is_not_null())).into_boxed();
    if let Some(s) = service {
        q = q.filter(ag::online_service_id.eq(s.to_owned()));
    }
    if let Some(l) = land {
        let customers = crate::schema::organisations::table.filter(crate::schema::organisations::land_code.eq(l.to_owned())).select(crate::schema::organisations::id);
        q = q.filter(ag::customer_org_id.eq_any(customers));
    }
    let rows = q.select((ag::customer_signed_at, ag::provider_signed_at, ag::live_since)).load::<(Option<NaiveDateTime>, Option<NaiveDateTime>, Option<NaiveDate>)>(conn)?;
    Ok(rows.into_iter().map(|(c, p, live)| (c.zip(p).map(|(c, p)| c.max(p)), live)).collect())
}

/// Whether `customer` already has a pending, active or live agreement for `service`.
pub fn open_agreement_exists(conn: &mut DbConn, service: &str, customer: &str) -> QueryResult<bool> {
    let n: i64 = ag::table
        .filter(ag::online_service_id.eq(service))
        .filter(ag::customer_org_id.eq(customer))
        .filter(ag::state.eq_any(AgreementState::OPEN.map(AgreementState::as_str)))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// The member organisations of a bundler, by id.
pub fn members_of(conn: &mut DbConn, bundler: &str) -> QueryResult<Vec<String>> {
    use crate::schema::org_memberships as m;
    m::table.filter(m::bundler_org_id.eq(bundler)).order(m::member_org_id).select(m::member_org_id).load(conn)
}

/// Whether every one of `members` is a member organisation of `bundler`.
pub fn all_members_of(conn: &mut DbConn, bundler: &str, members: &[String]) -> QueryResult<bool> {
    use crate::schema::org_memberships as m;
    let n: i64 = m::table.filter(m::bundler_org_id.eq(bundler)).filter(m::member_org_id.eq_any(members)).count().get_result(conn)?;
    Ok(usize::try_from(n).ok() == Some(members.len()))
}

/// What waits for an organisation's people, counted: agreements awaiting its signature (on
/// either side), its own draft requests not yet submitted, requests for its services approved
/// by the Land and awaiting its acceptance, and — with `land` (a coordinator) — the submitted
/// requests of that Land awaiting approval.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Awaiting {
    pub to_sign: i64,
    pub drafts: i64,
    pub to_accept: i64,
    pub to_approve: i64,
    /// Framework agreements offered for the coordinator's Land, awaiting approval.
    pub frameworks_to_approve: i64,
    /// Listings in review (operators'; filled by the caller, see `listings::in_review_count`).
    pub to_review: i64,
}

impl Awaiting {
    pub fn total(&self) -> i64 {
        self.to_sign + self.drafts + self.to_accept + self.to_approve + self.frameworks_to_approve + self.to_review
    }
}

pub fn awaiting(conn: &mut DbConn, org: &str, land: Option<&str>) -> QueryResult<Awaiting> {
    let to_sign = awaiting_signature(org).count().get_result(conn)?;
    let drafts = own_drafts(org).count().get_result(conn)?;
    let own_services = crate::schema::online_services::table.filter(crate::schema::online_services::provider_org_id.eq(org.to_owned())).select(crate::schema::online_services::id);
    let to_accept = rr::table.filter(rr::state.eq("land_approved")).filter(rr::online_service_id.eq_any(own_services)).count().get_result(conn)?;
    let (to_approve, frameworks_to_approve) = match land {
        Some(l) => (
            rr::table.filter(rr::state.eq("submitted")).filter(rr::land_code.eq(l)).count().get_result(conn)?,
            fw::table.filter(fw::state.eq("offered")).filter(fw::land_code.eq(l)).count().get_result(conn)?,
        ),
        None => (0, 0),
    };
    Ok(Awaiting { to_sign, drafts, to_accept, to_approve, frameworks_to_approve, to_review: 0 })
}

/// Pending agreements awaiting `org`'s signature, on the customer's side (as signatory) or the
/// provider's: the list behind [`Awaiting::to_sign`].
fn awaiting_signature<'a>(org: &str) -> ag::BoxedQuery<'a, Backend> {
    let customer_side = ag::signatory_org_id.eq(org.to_owned()).and(ag::customer_signed_at.is_null());
    let provider_side = ag::provider_org_id.eq(org.to_owned()).and(ag::provider_signed_at.is_null());
    ag::table.filter(ag::state.eq(AgreementState::Pending.as_str())).filter(customer_side.or(provider_side)).into_boxed()
}

/// `org`'s draft requests, not yet submitted: the list behind [`Awaiting::drafts`].
fn own_drafts<'a>(org: &str) -> rr::BoxedQuery<'a, Backend> {
    rr::table.filter(rr::requester_org_id.eq(org.to_owned())).filter(rr::state.eq("draft")).into_boxed()
}

/// The agreements [`Awaiting::to_sign`] counts, oldest number first.
pub fn agreements_to_sign(conn: &mut DbConn, org: &str) -> QueryResult<Vec<AgreementRow>> {
    awaiting_signature(org).order(ag::number).select(AgreementRow::as_select()).load(conn)
}

/// The drafts [`Awaiting::drafts`] counts, newest first.
pub fn drafts_of(conn: &mut DbConn, org: &str) -> QueryResult<Vec<ReuseRequestRow>> {
    own_drafts(org).order((rr::created_at.desc(), rr::id.desc())).select(ReuseRequestRow::as_select()).load(conn)
}
