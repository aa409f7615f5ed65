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
use diesel::sql_types::BigInt;
use crate::union::{count_over, count_text, part_of, sum_n, Db, Tag, UnionAll};
use diesel::query_builder::{Query, QueryFragment};

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
    /// The provider of the online service (it never changes): the provider's lists walk
    /// their own index and the writes keep the provider's counts.
    pub provider_org_id: String,
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

/// The order of a workspace list: newest first (the default) or oldest first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Order {
    #[default]
    NewestFirst,
    OldestFirst,
}

/// Narrowing a list: any of `states`; one online service; one Kreis; in `order`, after a
/// cursor (keyset paging).
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub states: Vec<String>,
    pub online_service: Option<String>,
    /// A five-digit Kreis code: requests covering a Gemeinde of the Kreis or the Kreis itself;
    /// agreements whose customer is one of them.
    pub kreis: Option<String>,
    pub order: Order,
    /// Only rows after this one in `order`: the cursor of a page's last row
    /// ([`request_cursor`] for requests, the contract number for agreements).
    pub after: Option<String>,
}

/// One page of a list and how many rows match in all.
pub struct ListPage<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

/// The keyset cursor of a request in a list: its creation time (microseconds since the
/// epoch) and id, `<micros>.<id>`.
pub fn request_cursor(created_at: NaiveDateTime, id: &str) -> String {
    format!("{}.{id}", created_at.and_utc().timestamp_micros())
}

/// A cursor of [`request_cursor`] read back; `None` when it is not one.
pub fn parse_request_cursor(s: &str) -> Option<(NaiveDateTime, String)> {
    let (micros, id) = s.split_once('.')?;
    let at = chrono::DateTime::from_timestamp_micros(micros.parse().ok()?)?.naive_utc();
    let id = uuid::Uuid::parse_str(id).ok()?;
    Some((at, id.to_string()))
}

/// Whether `s` is a contract number, the cursor of the agreements list.
pub fn is_agreement_cursor(s: &str) -> bool {
    !s.is_empty() && s.len() <= 40 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// `$q` narrowed to the rows whose `$column` is one of `$states` (all rows with an empty list).
/// One state is an equality: PostgreSQL then walks the (…, state, …) indexes in order instead of
/// sorting what `= ANY($1)` matches.
macro_rules! in_states {
    ($q:expr, $column:expr, $states:expr) => {
        match $states {
            [] => $q,
            [one] => $q.filter($column.eq(one.clone())),
            many => $q.filter($column.eq_any(many.to_vec())),
        }
    };
}

/// `$q` narrowed to the requests with a municipality row matching `$which` in any of `$states`
/// (all with an empty list): the municipality rows carry their request's state (kept by
/// triggers), so the organisation's index gives just the requests in the states asked for.
macro_rules! covering {
    ($q:expr, $which:expr, $states:expr) => {
        match $states {
            [] => $q.filter(rr::id.eq_any(rm::table.filter($which).select(rm::request_id))),
            [one] => $q.filter(rr::id.eq_any(rm::table.filter($which).filter(rm::state.eq(one.clone())).select(rm::request_id))),
            many => $q.filter(rr::id.eq_any(rm::table.filter($which).filter(rm::state.eq_any(many.to_vec())).select(rm::request_id))),
        }
    };
}

/// The organisations of a Kreis (a five-digit code): its Gemeinden (by AGS) and the Kreis
/// itself (by ARS), as a subquery of their ids.
macro_rules! kreis_orgs {
    ($kreis:expr) => {{
        use crate::schema::organisations as o;
        let k: &str = $kreis;
        o::table.filter(o::ags.ge(format!("{k}000")).and(o::ags.le(format!("{k}999"))).or(o::ars.eq(format!("{k}0000000")))).select(o::id)
    }};
}

/// A part's count when its page query already read all of it: without a cursor, a part that
/// returned fewer than the `offset + limit` rows asked for has no more, so it is not counted
/// again (most parts of most viewers are small: a Land government requests nothing itself).
fn fewer_than_asked(read: usize, after_cursor: bool, offset: i64, limit: i64) -> Option<i64> {
    let read = i64::try_from(read).ok()?;
    (!after_cursor && limit > 0 && read < offset.saturating_add(limit)).then_some(read)
}

/// The page of the rows of disjoint parts, each read in `order` up to `offset + limit`.
fn merged<T, K: Ord>(mut rows: Vec<T>, key: impl Fn(&T) -> K, order: Order, offset: i64, limit: i64) -> Vec<T> {
    rows.sort_by_cached_key(|r| key(r));
    if order == Order::NewestFirst {
        rows.reverse();
    }
    rows.into_iter().skip(usize::try_from(offset).unwrap_or(usize::MAX)).take(usize::try_from(limit).unwrap_or(0)).collect()
}

/// The parts of what a viewer sees, disjoint so that their counts add up: the Land's
/// submitted-or-later requests (coordinators), then its own, then those for its services, then
/// those covering it, each without the rows of the parts before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Part {
    /// All the viewer sees, as one part: everything for operators; for the others, what a
    /// narrow filter (a service, a Kreis) leaves, read from the filter's index.
    All,
    Land,
    Requested,
    Provided,
    Covered,
}

/// The rows of one part of what `viewer` sees, narrowed by `filter` (without its cursor).
fn request_part<'a>(part: Part, viewer: Viewer<'_>, filter: &ListFilter) -> rr::BoxedQuery<'a, Backend> {
    let mut q = rr::table.into_boxed();
    let org = viewer.org.unwrap_or_default().to_owned();
    if part != Part::All && part != Part::Land {
        if let Some(l) = viewer.land {
            // Not in the Land part. The provided part lists no drafts: for it that is another
            // Land's, without an OR (whose estimate keeps PostgreSQL from a generic plan).
            q = match part {
                Part::Provided => q.filter(rr::land_code.ne(l.to_owned())),
                _ => q.filter(rr::land_code.ne(l.to_owned()).or(rr::state.eq("draft"))),
            };
        }
    }
    // A draft is the requester's business: providers and coordinators see requests once submitted.
    q = match part {
        Part::All => match viewer.org {
            None => q,
            Some(_) => {
                let mine = rr::requester_org_id
                    .eq(org.clone())
                    .or(rr::provider_org_id.eq(org.clone()).and(rr::state.ne("draft")))
                    .or(rr::id.eq_any(rm::table.filter(rm::municipality_org_id.eq(org.clone())).select(rm::request_id)));
                match viewer.land {
                    Some(l) => q.filter(rr::land_code.eq(l.to_owned()).and(rr::state.ne("draft")).or(mine)),
                    None => q.filter(mine),
                }
            }
        },
        Part::Land => q.filter(rr::land_code.eq(viewer.land.unwrap_or_default().to_owned())).filter(rr::state.ne("draft")),
        Part::Requested => q.filter(rr::requester_org_id.eq(org.clone())),
        Part::Provided => q.filter(rr::provider_org_id.eq(org.clone())).filter(rr::state.ne("draft")).filter(rr::requester_org_id.ne(org.clone())),
        Part::Covered => covering!(q, rm::municipality_org_id.eq(org.clone()), filter.states.as_slice())
            .filter(rr::requester_org_id.ne(org.clone()))
            .filter(rr::provider_org_id.ne(org.clone()).or(rr::state.eq("draft"))),
    };
    q = in_states!(q, rr::state, filter.states.as_slice());
    if let Some(s) = &filter.online_service {
        q = q.filter(rr::online_service_id.eq(s.clone()));
    }
    if let Some(k) = filter.kreis.as_deref() {
        q = covering!(q, rm::municipality_org_id.eq_any(kreis_orgs!(k)), filter.states.as_slice());
    }
    q
}

/// Whether `filter` narrows a list to few rows (a service's, a Kreis's): then all the viewer
/// sees is one part, read from the filter's index with its count in the same statement. Four
/// parts each walking its own index would plan the filter's subquery four times (on
/// PostgreSQL 3.3 ms at every bind, for a Kreis) and count it again.
fn narrow(filter: &ListFilter) -> bool {
    filter.online_service.is_some() || filter.kreis.is_some()
}

/// The parts of what `viewer` sees, without a narrow filter: one for operators.
fn parts(viewer: Viewer<'_>) -> Vec<Part> {
    match (viewer.org, viewer.land) {
        (None, _) => vec![Part::All],
        (Some(_), Some(_)) => vec![Part::Land, Part::Requested, Part::Provided, Part::Covered],
        (Some(_), None) => vec![Part::Requested, Part::Provided, Part::Covered],
    }
}

/// How many requests of `land` (every Land with `None`) are in any of `states` (all with an
/// empty list), drafts left out with `without_drafts`: from the counts the writes keep
/// (`reuse_request_counts`, kept by triggers in the writing transaction).
pub fn kept_count(conn: &mut DbConn, land: Option<&str>, states: &[String], without_drafts: bool) -> QueryResult<i64> {
    kept_sum(land, states, without_drafts).first(conn)
}

/// The statement of [`kept_count`], for use as a subquery too.
fn kept_sum<'a>(land: Option<&str>, states: &[String], without_drafts: bool) -> crate::schema::reuse_request_counts::BoxedQuery<'a, Backend, diesel::sql_types::BigInt> {
    kept_rows(land, states, without_drafts).select(sum_n())
}

/// The kept count rows [`kept_count`] sums.
fn kept_rows<'a>(land: Option<&str>, states: &[String], without_drafts: bool) -> crate::schema::reuse_request_counts::BoxedQuery<'a, Backend> {
    use crate::schema::reuse_request_counts as c;
    let mut q = c::table.into_boxed();
    if let Some(l) = land {
        q = q.filter(c::land_code.eq(l.to_owned()));
    }
    q = in_states!(q, c::state, states);
    if without_drafts {
        q = q.filter(c::state.ne("draft"));
    }
    q
}

/// The kept rows counting the requests for `provider`'s services, filed by others and
/// submitted (not drafts), in any of `states` (all with an empty list), leaving out those of
/// `land` (a coordinator's own Land, which its Land part lists): from the kept
/// `reuse_request_provider_counts`, as [`Part::Provided`] lists them.
fn provided_rows<'a>(provider: &str, land: Option<&str>, states: &[String]) -> crate::schema::reuse_request_provider_counts::BoxedQuery<'a, Backend> {
    use crate::schema::reuse_request_provider_counts as c;
    let mut q = c::table.filter(c::provider_org_id.eq(provider.to_owned())).filter(c::own.eq(0)).filter(c::state.ne("draft")).into_boxed();
    if let Some(l) = land {
        q = q.filter(c::land_code.ne(l.to_owned()));
    }
    in_states!(q, c::state, states)
}

/// The statement counting a part of a list without a narrow filter (narrowed by state only,
/// see [`narrow`]): from the kept counts where they answer it exactly (all requests, a Land's,
/// a provider's from other Länder), else counted from the rows (the viewer's own requests and
/// those covering it, which are few).
fn push_part_count(counts: &mut UnionAll<'_, BigInt>, part: Part, viewer: Viewer<'_>, filter: &ListFilter) {
    debug_assert!(!narrow(filter), "a narrow list is read as one counted part");
    match part {
        Part::All => counts.push(kept_rows(None, &filter.states, false).select(sum_n())),
        Part::Land => counts.push(kept_rows(viewer.land, &filter.states, true).select(sum_n())),
        Part::Provided => counts.push(provided_rows(viewer.org.unwrap_or_default(), viewer.land, &filter.states).select(sum_n())),
        Part::Requested | Part::Covered => counts.push(request_part(part, viewer, filter).select(diesel::dsl::count_star())),
    }
}

/// The rows of `pages` (each part's page tagged with its index, see [`Tag`]) and the total of
/// all `parts`: a part that read fewer rows than asked (without a cursor) has no more; the
/// others are counted by `count(part, counts)`, all in one more statement.
fn parts_read<'a, ST, T>(
    conn: &mut DbConn,
    pages: UnionAll<'a, ST>,
    parts: usize,
    after_cursor: bool,
    offset: i64,
    limit: i64,
    mut count: impl FnMut(usize, &mut UnionAll<'a, BigInt>),
) -> QueryResult<(Vec<T>, i64)>
where
    UnionAll<'a, ST>: for<'c> diesel::query_dsl::LoadQuery<'c, DbConn, (T, i32)>,
{
    let tagged: Vec<(T, i32)> = pages.load(conn)?;
    let mut read = vec![0usize; parts];
    let mut rows = Vec::with_capacity(tagged.len());
    for (row, tag) in tagged {
        read[part_of(tag, parts)?] += 1;
        rows.push(row);
    }
    let mut total = 0;
    let mut counts = UnionAll::new(conn);
    for (i, n) in read.into_iter().enumerate() {
        match fewer_than_asked(n, after_cursor, offset, limit) {
            Some(all) => total += all,
            None => count(i, &mut counts),
        }
    }
    if !counts.is_empty() {
        // One row per counted part; only their sum is wanted.
        total += counts.load::<i64>(conn)?.into_iter().sum::<i64>();
    }
    Ok((rows, total))
}

/// A page of a narrow list read with its total (`page` selects each row with [`count_over`]),
/// in one statement. After a cursor, or past the last row, the window counts less than all:
/// then `count` counts them in a second.
fn counted_page<'a, ST, T, C>(conn: &mut DbConn, page: impl Query<SqlType = ST> + QueryFragment<Db> + Send + 'a, count: impl FnOnce() -> C, after_cursor: bool, offset: i64, limit: i64) -> QueryResult<ListPage<T>>
where
    UnionAll<'a, ST>: for<'c> diesel::query_dsl::LoadQuery<'c, DbConn, (T, i64)>,
    C: Query<SqlType = BigInt> + QueryFragment<Db> + Send + 'a,
{
    let mut one = UnionAll::new(conn);
    one.push_offset(page, offset, limit);
    let read: Vec<(T, i64)> = one.load(conn)?;
    let total = match read.first() {
        Some((_, n)) if !after_cursor => *n,
        None if !after_cursor && offset == 0 => 0,
        _ => {
            let mut counts = UnionAll::new(conn);
            counts.push(count());
            counts.load::<i64>(conn)?.into_iter().sum()
        }
    };
    Ok(ListPage { rows: read.into_iter().map(|(row, _)| row).collect(), total })
}

/// Requests visible to an organisation: it requested them, they are for its services, or it is
/// one of the municipalities covered; with `land`, also all of that Land (coordinators).
/// A page of them in `filter.order`, after `filter.after` (a [`request_cursor`]; an
/// unreadable one matches nothing), skipping `offset`.
///
/// Two statements: the parts' pages as one, then, for the parts that filled their page, their
/// counts as one. A service or Kreis filter narrows the list to one part with the visibility
/// OR-ed ([`narrow`]), read with its total in one statement ([`counted_page`]).
pub fn list_requests(conn: &mut DbConn, viewer: Viewer<'_>, filter: &ListFilter, offset: i64, limit: i64) -> QueryResult<ListPage<ReuseRequestRow>> {
    let after = match filter.after.as_deref().map(parse_request_cursor) {
        Some(None) => return Ok(ListPage { rows: Vec::new(), total: 0 }),
        Some(Some(c)) => Some(c),
        None => None,
    };
    let ordered = |part: Part| {
        let mut q = request_part(part, viewer, filter);
        q = match (filter.order, &after) {
            (Order::NewestFirst, Some((at, id))) => q.filter(rr::created_at.le(*at)).filter(rr::created_at.lt(*at).or(rr::id.lt(id.clone()))),
            (Order::OldestFirst, Some((at, id))) => q.filter(rr::created_at.ge(*at)).filter(rr::created_at.gt(*at).or(rr::id.gt(id.clone()))),
            (_, None) => q,
        };
        match filter.order {
            Order::NewestFirst => q.order((rr::created_at.desc(), rr::id.desc())),
            Order::OldestFirst => q.order((rr::created_at.asc(), rr::id.asc())),
        }
    };
    if narrow(filter) {
        let page = |q: rr::BoxedQuery<'static, Backend>| q.select((ReuseRequestRow::as_select(), count_over()));
        let count = || request_part(Part::All, viewer, filter).select(diesel::dsl::count_star());
        return counted_page(conn, page(ordered(Part::All)), count, after.is_some(), offset, limit);
    }
    let parts = parts(viewer);
    // Each part walks its index in the list's order and reads at most a page; the merge of
    // the parts is the page.
    let mut pages = UnionAll::new(conn);
    for (i, part) in parts.iter().enumerate() {
        pages.push_limited(ordered(*part).select((ReuseRequestRow::as_select(), Tag(i as u8))), offset.saturating_add(limit));
    }
    let (rows, total) = parts_read(conn, pages, parts.len(), after.is_some(), offset, limit, |i, counts| push_part_count(counts, parts[i], viewer, filter))?;
    Ok(ListPage { rows: merged(rows, |r| (r.created_at, r.id.clone()), filter.order, offset, limit), total })
}

/// What a page of requests shows beside their rows, for each of the requests `ids`.
#[derive(Debug, Default)]
pub struct PageDetails {
    /// (request id, organisation id), in order.
    pub municipalities: Vec<(String, String)>,
    /// (request id, contract number), in order.
    pub numbers: Vec<(String, String)>,
    /// (request id, how many messages), for those with any.
    pub messages: Vec<(String, i64)>,
}

/// The municipalities, agreement numbers and message counts of each of the requests `ids`, in
/// one statement.
pub fn page_details(conn: &mut DbConn, ids: &[String]) -> QueryResult<PageDetails> {
    let mut all = UnionAll::new(conn);
    all.push(crate::db::rows_of!(conn, rm::table, rm::request_id, ids).order((rm::request_id, rm::municipality_org_id)).select((rm::request_id, rm::municipality_org_id, Tag(0))));
    all.push(crate::db::rows_of!(conn, ag::table, ag::request_id, ids).order((ag::request_id, ag::number)).select((ag::request_id.assume_not_null(), ag::number, Tag(1))));
    // The count as text, to share the parts' row type; read back as a number below.
    all.push(crate::db::rows_of!(conn, msg::table.group_by(msg::request_id).select((msg::request_id, count_text(), Tag(2))), msg::request_id, ids));
    let rows: Vec<(String, String, i32)> = all.load(conn)?;
    let mut d = PageDetails::default();
    for (request, value, tag) in rows {
        match part_of(tag, 3)? {
            0 => d.municipalities.push((request, value)),
            1 => d.numbers.push((request, value)),
            _ => {
                let n = value.parse().map_err(|e| diesel::result::Error::DeserializationError(Box::new(e)))?;
                d.messages.push((request, n));
            }
        }
    }
    // Each part is read in order, but a UNION ALL promises no order of its rows: sorted here.
    d.municipalities.sort_unstable();
    d.numbers.sort_unstable();
    Ok(d)
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

/// The parts of the agreements an organisation is party to, disjoint: as provider, as
/// customer (not also provider), as signatory only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Side {
    All,
    Provider,
    Customer,
    Signatory,
}

impl Side {
    /// The side's name in the kept `agreement_counts` (all agreements are not kept there).
    fn kept(self) -> Option<&'static str> {
        match self {
            Side::All => None,
            Side::Provider => Some("provider"),
            Side::Customer => Some("customer"),
            Side::Signatory => Some("signatory"),
        }
    }
}

/// The statement counting the agreements `org` is party to on one side, in any of `states`
/// (all with an empty list): from the kept `agreement_counts`.
fn side_counted<'a>(org: &str, side: &str, states: &[String]) -> crate::schema::agreement_counts::BoxedQuery<'a, Backend, BigInt> {
    use crate::schema::agreement_counts as c;
    let mut q = c::table.filter(c::org_id.eq(org.to_owned())).filter(c::side.eq(side.to_owned())).into_boxed();
    q = in_states!(q, c::state, states);
    q.select(sum_n())
}

/// The agreements of one side of `org`, narrowed by `filter` (without its cursor).
fn agreements_side<'a>(side: Side, org: Option<&str>, filter: &ListFilter) -> ag::BoxedQuery<'a, Backend> {
    let o = org.unwrap_or_default().to_owned();
    let mut q = ag::table.into_boxed();
    q = match side {
        Side::All if org.is_none() => q,
        // A narrow list's one part: every side at once.
        Side::All => q.filter(ag::provider_org_id.eq(o.clone()).or(ag::customer_org_id.eq(o.clone())).or(ag::signatory_org_id.eq(o))),
        Side::Provider => q.filter(ag::provider_org_id.eq(o)),
        Side::Customer => q.filter(ag::customer_org_id.eq(o.clone())).filter(ag::provider_org_id.ne(o)),
        Side::Signatory => q.filter(ag::signatory_org_id.eq(o.clone())).filter(ag::provider_org_id.ne(o.clone())).filter(ag::customer_org_id.ne(o)),
    };
    q = in_states!(q, ag::state, filter.states.as_slice());
    if let Some(s) = &filter.online_service {
        q = q.filter(ag::online_service_id.eq(s.clone()));
    }
    if let Some(k) = filter.kreis.as_deref() {
        q = q.filter(ag::customer_org_id.eq_any(kreis_orgs!(k)));
    }
    q
}

/// A page of the agreements `org` is party to (all with `None`), by contract number in
/// `filter.order` (newest first: highest number first), after `filter.after` (a number).
/// Each side (provider, customer, signatory) walks its own index; a narrow filter (a
/// service, a Kreis) reads all sides as one, with its count (see [`narrow`]).
pub fn list_agreements(conn: &mut DbConn, org: Option<&str>, filter: &ListFilter, offset: i64, limit: i64) -> QueryResult<ListPage<AgreementRow>> {
    let ordered = |side: Side| {
        let q = agreements_side(side, org, filter);
        match (filter.order, filter.after.clone()) {
            (Order::NewestFirst, Some(n)) => q.filter(ag::number.lt(n)).order(ag::number.desc()),
            (Order::NewestFirst, None) => q.order(ag::number.desc()),
            (Order::OldestFirst, Some(n)) => q.filter(ag::number.gt(n)).order(ag::number.asc()),
            (Order::OldestFirst, None) => q.order(ag::number.asc()),
        }
    };
    if narrow(filter) {
        let count = || agreements_side(Side::All, org, filter).select(diesel::dsl::count_star());
        return counted_page(conn, ordered(Side::All).select((AgreementRow::as_select(), count_over())), count, filter.after.is_some(), offset, limit);
    }
    let sides = match org {
        None => vec![Side::All],
        Some(_) => vec![Side::Provider, Side::Customer, Side::Signatory],
    };
    let mut pages = UnionAll::new(conn);
    for (i, side) in sides.iter().enumerate() {
        pages.push_limited(ordered(*side).select((AgreementRow::as_select(), Tag(i as u8))), offset.saturating_add(limit));
    }
    let who = org.unwrap_or_default();
    let (rows, total) = parts_read(conn, pages, sides.len(), filter.after.is_some(), offset, limit, |i, counts| match sides[i].kept() {
        Some(name) => counts.push(side_counted(who, name, &filter.states)),
        None => counts.push(agreements_side(sides[i], org, filter).select(diesel::dsl::count_star())),
    })?;
    Ok(ListPage { rows: merged(rows, |a| a.number.clone(), filter.order, offset, limit), total })
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

/// Adoption per month, optionally of one service and of the customers in one Land, between
/// two months (`YYYY-MM`, inclusive): (month, agreements signed, services gone live), oldest
/// first, months without either left out. From the kept `adoption_counts` (an agreement is
/// signed when both sides have signed, in the month of the later signature).
pub fn adoption_months(conn: &mut DbConn, service: Option<&str>, land: Option<&str>, from: Option<&str>, to: Option<&str>) -> QueryResult<Vec<(String, i64, i64)>> {
    use crate::schema::adoption_counts as c;
    let mut q = c::table.filter(c::land_code.eq(land.unwrap_or_default().to_owned())).filter(c::online_service_id.eq(service.unwrap_or_default().to_owned())).into_boxed();
    if let Some(f) = from {
        q = q.filter(c::month.ge(f.to_owned()));
    }
    if let Some(t) = to {
        q = q.filter(c::month.le(t.to_owned()));
    }
    let rows: Vec<(String, i64, i64)> = q.order(c::month).select((c::month, c::signed, c::went_live)).load(conn)?;
    let mut out: Vec<(String, i64, i64)> = Vec::new();
    for (m, s, l) in rows {
        match out.last_mut() {
            Some(last) if last.0 == m => {
                last.1 += s;
                last.2 += l;
            }
            _ => out.push((m, s, l)),
        }
    }
    out.retain(|r| r.1 != 0 || r.2 != 0);
    Ok(out)
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

/// Every count from what the writes keep (`agreement_counts`, `reuse_request_provider_counts`,
/// `reuse_request_counts`) or from an index of the organisation's own rows: the header shows
/// them on every page.
pub fn awaiting(conn: &mut DbConn, org: &str, land: Option<&str>) -> QueryResult<Awaiting> {
    use crate::schema::agreement_counts as ac;
    use crate::schema::reuse_request_provider_counts as pc;
    // One statement for all of them (on PostgreSQL one round trip instead of five per page).
    let to_sign = ac::table.filter(ac::org_id.eq(org.to_owned())).filter(ac::awaiting.eq(1)).select(sum_n()).single_value();
    let drafts = own_drafts(org).count().single_value();
    let to_accept = pc::table.filter(pc::provider_org_id.eq(org.to_owned())).filter(pc::state.eq("land_approved")).select(sum_n()).single_value();
    let counts: [Option<i64>; 5] = match land {
        Some(l) => {
            let to_approve = kept_sum(Some(l), &["submitted".to_owned()], false).single_value();
            let frameworks = fw::table.filter(fw::state.eq("offered")).filter(fw::land_code.eq(l.to_owned())).count().single_value();
            let (a, b, c, d, e) = diesel::select((to_sign, drafts, to_accept, to_approve, frameworks)).get_result(conn)?;
            [a, b, c, d, e]
        }
        None => {
            let (a, b, c) = diesel::select((to_sign, drafts, to_accept)).get_result(conn)?;
            [a, b, c, Some(0), Some(0)]
        }
    };
    let [to_sign, drafts, to_accept, to_approve, frameworks_to_approve] = counts.map(|n| n.unwrap_or(0));
    Ok(Awaiting { to_sign, drafts, to_accept, to_approve, frameworks_to_approve, to_review: 0 })
}

/// `org`'s draft requests, not yet submitted: the list behind [`Awaiting::drafts`].
fn own_drafts<'a>(org: &str) -> rr::BoxedQuery<'a, Backend> {
    rr::table.filter(rr::requester_org_id.eq(org.to_owned())).filter(rr::state.eq("draft")).into_boxed()
}

/// The first `limit` of the agreements [`Awaiting::to_sign`] counts, oldest number first:
/// pending agreements awaiting `org`'s signature on the customer's side (as signatory) or the
/// provider's. Each side walks its own (org, state, number) index in number order and stops
/// after `limit` (one query with both sides OR-ed read every pending agreement of a provider
/// and sorted them: 773 for the NRW government); the page is the merge of the two.
pub fn agreements_to_sign(conn: &mut DbConn, org: &str, limit: i64) -> QueryResult<Vec<AgreementRow>> {
    let pending = AgreementState::Pending.as_str();
    let mut rows: Vec<AgreementRow> = ag::table
        .filter(ag::signatory_org_id.eq(org))
        .filter(ag::state.eq(pending))
        .filter(ag::customer_signed_at.is_null())
        .order(ag::number)
        .limit(limit)
        .select(AgreementRow::as_select())
        .load(conn)?;
    rows.extend(
        ag::table
            .filter(ag::provider_org_id.eq(org))
            .filter(ag::state.eq(pending))
            .filter(ag::provider_signed_at.is_null())
            .order(ag::number)
            .limit(limit)
            .select(AgreementRow::as_select())
            .load::<AgreementRow>(conn)?,
    );
    rows.sort_by(|a, b| a.number.cmp(&b.number));
    // An organisation may be both sides of an agreement (a provider reusing its own service).
    rows.dedup_by(|a, b| a.number == b.number);
    rows.truncate(usize::try_from(limit).unwrap_or(0));
    Ok(rows)
}

/// The newest `limit` of the drafts [`Awaiting::drafts`] counts.
pub fn drafts_of(conn: &mut DbConn, org: &str, limit: i64) -> QueryResult<Vec<ReuseRequestRow>> {
    own_drafts(org).order((rr::created_at.desc(), rr::id.desc())).limit(limit).select(ReuseRequestRow::as_select()).load(conn)
}

#[cfg(test)]
mod tests {
    use super::fewer_than_asked;

    #[test]
    fn a_part_read_short_of_its_page_is_counted_by_what_was_read() {
        // Page 1 of 20: 7 rows read is all there is; 20 may be the first of more.
        assert_eq!(fewer_than_asked(7, false, 0, 20), Some(7));
        assert_eq!(fewer_than_asked(20, false, 0, 20), None);
        // Page 3 asks for 60 rows: 45 read is all there is.
        assert_eq!(fewer_than_asked(45, false, 40, 20), Some(45));
        // After a cursor the rows before it are not read: count them.
        assert_eq!(fewer_than_asked(3, true, 0, 20), None);
        assert_eq!(fewer_than_asked(0, false, 0, 0), None);
    }
}
