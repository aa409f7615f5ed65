//! Several statements of one row type sent as one: `(a) UNION ALL (b) …`, each part keeping its
//! own `ORDER BY` and `LIMIT`; where the caller needs to know a row's part, it selects the
//! part's [`Tag`]. A workspace list reads the disjoint parts of what a viewer sees; on
//! PostgreSQL every statement is a round trip
//! (two context switches, a bind, an executor start), so the parts go in one statement and
//! their counts in a second. The multi-connection backend has no `UNION` of its own, so the
//! parts are written here: in parentheses on PostgreSQL, as `SELECT * FROM (…)` on SQLite (which
//! allows no parenthesised select in a compound).

use crate::db::Backend;
use crate::DbConn;
use diesel::expression::{is_aggregate, AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::{Connection, QueryResult, RunQueryDsl};
use std::marker::PhantomData;

pub(crate) type Db = <DbConn as Connection>::Backend;

/// The parts, in order, as one statement whose rows have the SQL type `ST`.
pub struct UnionAll<'a, ST> {
    /// Each part with its LIMIT and OFFSET, if any.
    parts: Vec<(Box<dyn QueryFragment<Db> + Send + 'a>, Option<(u64, u64)>)>,
    backend: Backend,
    row: PhantomData<ST>,
}

impl<'a, ST> UnionAll<'a, ST> {
    pub fn new(conn: &DbConn) -> Self {
        UnionAll { parts: Vec::new(), backend: conn.backend(), row: PhantomData }
    }

    /// Adds a part (a boxed select with the row type `ST`).
    pub fn push<Q>(&mut self, part: Q)
    where
        Q: Query<SqlType = ST> + QueryFragment<Db> + Send + 'a,
    {
        self.parts.push((Box::new(part), None));
    }

    /// Adds a part (ordered, without a limit of its own) that reads at most `limit` rows. The
    /// limit is written into the statement, not bound: with `LIMIT $1` PostgreSQL cannot tell
    /// how much of an index a generic plan reads and plans the statement again at every bind
    /// (measured: 0.4 ms of a coordinator's list); with the number it keeps one plan.
    pub fn push_limited<Q>(&mut self, part: Q, limit: i64)
    where
        Q: Query<SqlType = ST> + QueryFragment<Db> + Send + 'a,
    {
        self.parts.push((Box::new(part), Some((u64::try_from(limit).unwrap_or(0), 0))));
    }

    /// Adds a part (ordered) that skips `offset` rows and reads at most `limit` (written into
    /// the statement as with [`UnionAll::push_limited`]).
    pub fn push_offset<Q>(&mut self, part: Q, offset: i64, limit: i64)
    where
        Q: Query<SqlType = ST> + QueryFragment<Db> + Send + 'a,
    {
        self.parts.push((Box::new(part), Some((u64::try_from(limit).unwrap_or(0), u64::try_from(offset).unwrap_or(0)))));
    }

    pub fn is_empty(&self) -> bool {
        self.parts.is_empty()
    }
}

impl<ST> QueryFragment<Db> for UnionAll<'_, ST> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Db>) -> QueryResult<()> {
        for (i, part) in self.parts.iter().enumerate() {
            if i > 0 {
                out.push_sql(" UNION ALL ");
            }
            out.push_sql(match self.backend {
                Backend::Postgres => "(",
                Backend::Sqlite => "SELECT * FROM (",
            });
            part.0.walk_ast(out.reborrow())?;
            match part.1 {
                Some((n, 0)) => out.push_sql(&format!(" LIMIT {n}")),
                Some((n, skip)) => out.push_sql(&format!(" LIMIT {n} OFFSET {skip}")),
                None => {}
            }
            out.push_sql(")");
        }
        Ok(())
    }
}

impl<ST> QueryId for UnionAll<'_, ST> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST: 'static> Query for UnionAll<'_, ST> {
    type SqlType = ST;
}

impl<ST, Conn> RunQueryDsl<Conn> for UnionAll<'_, ST> {}

/// A part's number as a constant column (`… , 2 FROM …`): which part a row of a [`UnionAll`]
/// came from. A literal, not a bound value, so each part stays one prepared statement.
#[derive(Debug, Clone, Copy)]
pub struct Tag(pub u8);

impl Expression for Tag {
    type SqlType = diesel::sql_types::Integer;
}

impl QueryId for Tag {
    type QueryId = ();
    // The value is in the SQL text: no two tags may share a statement.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: diesel::backend::Backend> QueryFragment<DB> for Tag {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(&self.0.to_string());
        Ok(())
    }
}

impl<QS> SelectableExpression<QS> for Tag {}
impl<QS> AppearsOnTable<QS> for Tag {}
impl<GB> ValidGrouping<GB> for Tag {
    type IsAggregate = is_aggregate::Never;
}

/// A select expression whose SQL is a constant of this module, an aggregate or not (`A`, one of
/// diesel's `is_aggregate` kinds): unlike `diesel::dsl::sql`, which diesel never keeps
/// prepared, its statement stays one prepared statement. See [`count_over`], [`count_text`]
/// and [`sum_n`].
#[derive(Debug, Clone, Copy)]
pub struct Fixed<ST, A>(&'static str, PhantomData<(ST, A)>);

/// `COUNT(*) OVER ()`: in each row, how many rows the statement has before its LIMIT and
/// OFFSET (a page and its total in one statement, for the narrow lists whose rows are few).
pub fn count_over() -> Fixed<diesel::sql_types::BigInt, is_aggregate::Never> {
    Fixed("COUNT(*) OVER ()", PhantomData)
}

/// A group's `COUNT(*)` as text, for a part whose row type has a text column where a count goes.
pub fn count_text() -> Fixed<diesel::sql_types::Text, is_aggregate::Yes> {
    Fixed("CAST(COUNT(*) AS TEXT)", PhantomData)
}

/// The sum of the `n` slots of a kept count (0 when no row matches), as a BIGINT on both
/// databases (PostgreSQL's SUM of a BIGINT is a NUMERIC). These sums run on every workspace
/// page.
pub fn sum_n() -> Fixed<diesel::sql_types::BigInt, is_aggregate::Yes> {
    Fixed("CAST(COALESCE(SUM(n), 0) AS BIGINT)", PhantomData)
}

impl<ST: diesel::sql_types::SqlType + diesel::sql_types::SingleValue, A> Expression for Fixed<ST, A> {
    type SqlType = ST;
}

impl<ST, A> QueryId for Fixed<ST, A> {
    type QueryId = ();
    // The SQL differs between the constants: the statement is identified by its text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<ST, A, DB: diesel::backend::Backend> QueryFragment<DB> for Fixed<ST, A> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_sql(self.0);
        Ok(())
    }
}

impl<ST, A, QS> SelectableExpression<QS> for Fixed<ST, A> where Fixed<ST, A>: Expression {}
impl<ST, A, QS> AppearsOnTable<QS> for Fixed<ST, A> where Fixed<ST, A>: Expression {}
impl<ST, A, GB> ValidGrouping<GB> for Fixed<ST, A> {
    type IsAggregate = A;
}

/// What a tagged row's tag means: its part's index (a negative or unknown tag is a bug of the
/// statement, not of the data).
pub fn part_of(tag: i32, parts: usize) -> QueryResult<usize> {
    usize::try_from(tag).ok().filter(|i| *i < parts).ok_or_else(|| diesel::result::Error::DeserializationError(format!("unknown part tag {tag}").into()))
}
