//! E-mail: the people a login recorded (address, roles, Land, opt-out), how far the outbox's
//! events have been turned into mails, and the mails waiting to be sent.
//!
//! Several instances may share one PostgreSQL: the cursor row is taken with `FOR UPDATE SKIP
//! LOCKED` (one instance turns a batch of events into mails, the others skip it), mails are
//! unique per event and recipient, and a mail is claimed with `FOR UPDATE SKIP LOCKED` and
//! leased while it is being sent, so each goes out once.

use crate::schema::{mail_cursor as mc, mail_outbox as mo, users};
use crate::DbConn;
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// A person as the mail needs them.
#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRecord {
    pub id: String,
    pub org_id: String,
    pub role: String,
    pub roles: String,
    pub land_code: Option<String>,
    pub display_name: String,
    pub email: Option<String>,
    pub mail_opt_out: bool,
    /// The last login (`None` for people entered before logins were recorded).
    pub last_login_at: Option<NaiveDateTime>,
}

impl UserRecord {
    /// Whether the user acts in `role` (`role` names the first role; `roles` all of the last
    /// login's, and is empty for people entered before logins were recorded).
    pub fn has_role(&self, role: &str) -> bool {
        self.role == role || self.roles.split_whitespace().any(|r| r == role)
    }

    /// The address to write to: none when the user opted out or has no address.
    pub fn address(&self) -> Option<&str> {
        self.email.as_deref().map(str::trim).filter(|a| !a.is_empty() && !self.mail_opt_out)
    }
}

/// What a login says about a person.
#[derive(Debug, Clone)]
pub struct Login<'a> {
    /// The login's subject.
    pub id: &'a str,
    pub org_id: &'a str,
    /// At least one.
    pub roles: &'a [&'a str],
    pub land_code: Option<&'a str>,
    pub display_name: &'a str,
    /// `None` keeps an address known from before (a login without an `email` claim).
    pub email: Option<&'a str>,
    pub at: NaiveDateTime,
}

/// Records a login: the person is created on the first, updated on every later one; their
/// opt-out stays as they set it.
pub fn record_login(conn: &mut DbConn, l: &Login<'_>) -> QueryResult<()> {
    let first = l.roles.first().copied().unwrap_or_default();
    let roles = l.roles.join(" ");
    crate::tx::write_transaction(conn, |conn| {
        crate::per_backend!(conn, |c| diesel::insert_into(users::table)
            .values((
                users::id.eq(l.id),
                users::org_id.eq(l.org_id),
                users::role.eq(first),
                users::roles.eq(&roles),
                users::land_code.eq(l.land_code),
                users::display_name.eq(l.display_name),
                users::email.eq(l.email),
                users::created_at.eq(l.at),
                users::last_login_at.eq(l.at),
            ))
            .on_conflict(users::id)
            .do_nothing()
            .execute(c))?;
        let row = users::table.find(l.id);
        diesel::update(row)
            .set((users::org_id.eq(l.org_id), users::role.eq(first), users::roles.eq(&roles), users::land_code.eq(l.land_code), users::display_name.eq(l.display_name), users::last_login_at.eq(l.at)))
            .execute(conn)?;
        if let Some(email) = l.email {
            diesel::update(row).set(users::email.eq(email)).execute(conn)?;
        }
        Ok(())
    })
}

pub fn find_user(conn: &mut DbConn, id: &str) -> QueryResult<Option<UserRecord>> {
    users::table.find(id).select(UserRecord::as_select()).first(conn).optional()
}

/// Sets whether the user gets e-mail; false when there is no such user.
pub fn set_opt_out(conn: &mut DbConn, id: &str, opt_out: bool) -> QueryResult<bool> {
    Ok(diesel::update(users::table.find(id)).set(users::mail_opt_out.eq(opt_out)).execute(conn)? == 1)
}

/// The people of these organisations, in a stable order.
pub fn users_of(conn: &mut DbConn, orgs: &[&str]) -> QueryResult<Vec<UserRecord>> {
    users::table.filter(users::org_id.eq_any(orgs)).order(users::id).select(UserRecord::as_select()).load(conn)
}

/// The names of the people `ids` (subjects) as their last login gave them: (id, name).
pub fn display_names(conn: &mut DbConn, ids: &[String]) -> QueryResult<Vec<(String, String)>> {
    crate::db::rows_of!(conn, users::table, users::id, ids).select((users::id, users::display_name)).load(conn)
}

/// The people who act for `land` (its coordinators, by their role).
pub fn users_of_land(conn: &mut DbConn, land: &str) -> QueryResult<Vec<UserRecord>> {
    users::table.filter(users::land_code.eq(land)).order(users::id).select(UserRecord::as_select()).load(conn)
}

/// Takes the cursor inside the caller's write transaction: the position up to which events
/// have been turned into mails, or `None` while another instance holds it (PostgreSQL).
pub fn lock_cursor(conn: &mut DbConn) -> QueryResult<Option<i64>> {
    let q = mc::table.find(1).select(mc::position);
    match conn {
        DbConn::Pg(c) => q.for_update().skip_locked().first(c).optional(),
        DbConn::Sqlite(c) => q.first(c).optional(),
    }
}

/// The cursor as it stands, without taking it: a cheap look whether there is anything new.
pub fn cursor(conn: &mut DbConn) -> QueryResult<i64> {
    mc::table.find(1).select(mc::position).first(conn)
}

pub fn advance_cursor(conn: &mut DbConn, to: i64) -> QueryResult<()> {
    diesel::update(mc::table.find(1)).set(mc::position.eq(to)).execute(conn).map(|_| ())
}

/// Not yet sent; will be tried (again) at `next_attempt_at`.
pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
/// Given up: refused for good, or too many failed attempts.
pub const FAILED: &str = "failed";

#[derive(Debug, Clone, PartialEq, Eq, Queryable, Selectable, Insertable)]
#[diesel(table_name = mo)]
pub struct MailRow {
    pub id: String,
    pub event_id: String,
    pub user_id: String,
    pub to_address: String,
    pub subject: String,
    pub body_text: String,
    pub state: String,
    /// Attempts begun so far (counted when a mail is claimed).
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub lease_until: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

/// Adds mails; one already made for the same event and recipient is kept. The number added.
pub fn enqueue(conn: &mut DbConn, mails: &[MailRow]) -> QueryResult<usize> {
    let mut added = 0;
    for m in mails {
        added += crate::per_backend!(conn, |c| diesel::insert_into(mo::table).values(m).on_conflict((mo::event_id, mo::user_id)).do_nothing().execute(c))?;
    }
    Ok(added)
}

/// Whether a mail is due at `now` (a plain read, before a claim takes the write lock).
pub fn any_due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(mo::table.filter(mo::state.eq(PENDING)).filter(mo::next_attempt_at.le(now)).filter(mo::lease_until.is_null().or(mo::lease_until.lt(now))))).get_result(conn)
}

/// Claims up to `limit` mails due at `now` for sending until `lease_until`, counting the
/// attempt. Mails another instance is claiming at the same moment are skipped, and a claimed
/// mail is not due again before its lease ends (an instance that died while sending).
pub fn claim_due(conn: &mut DbConn, now: NaiveDateTime, lease_until: NaiveDateTime, limit: i64) -> QueryResult<Vec<MailRow>> {
    crate::tx::write_transaction(conn, |conn| {
        let due = mo::table
            .filter(mo::state.eq(PENDING))
            .filter(mo::next_attempt_at.le(now))
            .filter(mo::lease_until.is_null().or(mo::lease_until.lt(now)))
            .order((mo::next_attempt_at, mo::id))
            .limit(limit)
            .select(mo::id);
        let ids: Vec<String> = match conn {
            DbConn::Pg(c) => due.for_update().skip_locked().load(c)?,
            DbConn::Sqlite(c) => due.load(c)?,
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        diesel::update(mo::table.filter(mo::id.eq_any(&ids))).set((mo::lease_until.eq(lease_until), mo::attempts.eq(mo::attempts + 1))).execute(conn)?;
        mo::table.filter(mo::id.eq_any(&ids)).order((mo::next_attempt_at, mo::id)).select(MailRow::as_select()).load(conn)
    })
}

pub fn mark_sent(conn: &mut DbConn, id: &str, at: NaiveDateTime) -> QueryResult<()> {
    diesel::update(mo::table.find(id)).set((mo::state.eq(SENT), mo::sent_at.eq(at), mo::lease_until.eq(None::<NaiveDateTime>), mo::last_error.eq(None::<String>))).execute(conn).map(|_| ())
}

/// A failed attempt: tried again at `retry_at`, or given up (`None`).
pub fn mark_failed(conn: &mut DbConn, id: &str, error: &str, retry_at: Option<NaiveDateTime>) -> QueryResult<()> {
    let q = diesel::update(mo::table.find(id));
    match retry_at {
        Some(at) => q.set((mo::next_attempt_at.eq(at), mo::lease_until.eq(None::<NaiveDateTime>), mo::last_error.eq(error))).execute(conn),
        None => q.set((mo::state.eq(FAILED), mo::lease_until.eq(None::<NaiveDateTime>), mo::last_error.eq(error))).execute(conn),
    }
    .map(|_| ())
}

/// Every mail made, oldest first (for operators and tests).
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<MailRow>> {
    mo::table.order((mo::created_at, mo::id)).select(MailRow::as_select()).load(conn)
}
