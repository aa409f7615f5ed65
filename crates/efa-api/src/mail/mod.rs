//! E-mail to the people something awaits or changed for: a request to approve, a request
//! approved, rejected, accepted or declined, an agreement to sign, a listing reviewed.
//!
//! The mail thread of every instance follows the outbox: it turns new events into mails
//! ([`compose`], one per event and recipient, in one transaction with the cursor it advances)
//! and sends the mails that are due ([`send`]), retrying with growing pauses. With several
//! instances on one PostgreSQL the cursor and each mail are claimed with `FOR UPDATE SKIP
//! LOCKED`, so each mail is made once and sent once (see `efa_store::mail`).

pub mod compose;
pub mod send;

use crate::state::{AppState, WriterTurns};
use chrono::{NaiveDateTime, Utc};
use efa_store::Pool;
use send::{SendError, Transport};
use std::time::Duration;

/// Events read per transaction.
const EVENTS_PER_BATCH: i64 = 200;
/// Mails claimed at a time.
const MAILS_PER_BATCH: i64 = 20;
/// How long a claimed mail is reserved for the instance sending it (longer than an SMTP
/// conversation may take: after it, another instance may try).
const LEASE: Duration = Duration::from_secs(300);
/// Attempts before a mail that keeps failing is given up (about a day of retries).
pub const MAX_ATTEMPTS: i32 = 12;
/// How often the thread looks when there was nothing to do.
const POLL: Duration = Duration::from_secs(1);

/// The pause after the `attempt`-th failed attempt: 30 s, doubling, at most 4 hours.
pub fn backoff(attempt: i32) -> Duration {
    let doublings = u32::try_from(attempt.saturating_sub(1)).unwrap_or(0).min(16);
    Duration::from_secs(30u64.saturating_mul(1 << doublings)).min(Duration::from_secs(4 * 3600))
}

/// Turns the outbox's events into mails and sends them.
pub struct Mailer {
    pool: Pool,
    /// SQLite's single writer: its turns, shared with the API's writes.
    writer: WriterTurns,
    /// The shop's public address, for the links in the mails.
    shop_url: String,
    transport: Box<dyn Transport>,
}

fn at(d: Duration) -> chrono::Duration {
    chrono::Duration::from_std(d).unwrap_or(chrono::Duration::MAX)
}

impl Mailer {
    pub fn new(state: &AppState, shop_url: &str, transport: Box<dyn Transport>) -> Mailer {
        Mailer { pool: state.pool.clone(), writer: state.writer.clone(), shop_url: shop_url.trim_end_matches('/').to_owned(), transport }
    }

    /// Turns the next batch of events into mails; the number of events read (0 when there was
    /// nothing new, or another instance is at it).
    pub fn compose(&self) -> anyhow::Result<usize> {
        let mut conn = self.pool.get()?;
        // Most rounds find nothing new: they take neither SQLite's write lock nor the cursor.
        if efa_store::events::head(&mut conn)? <= efa_store::mail::cursor(&mut conn)? {
            return Ok(0);
        }
        let _turn = self.writer.turn(&conn);
        let now = Utc::now().naive_utc();
        let read = efa_store::tx::write_transaction(&mut conn, |conn| -> anyhow::Result<usize> {
            let Some(from) = efa_store::mail::lock_cursor(conn)? else { return Ok(0) };
            let events = efa_store::events::feed(conn, None, from, EVENTS_PER_BATCH)?;
            let Some(last) = events.last() else { return Ok(0) };
            for e in &events {
                let mails = compose::mails_for(conn, e, &self.shop_url, now)?;
                efa_store::mail::enqueue(conn, &mails)?;
            }
            efa_store::mail::advance_cursor(conn, last.position)?;
            Ok(events.len())
        })?;
        Ok(read)
    }

    /// Sends the mails due now; the number tried.
    pub fn deliver(&self) -> anyhow::Result<usize> {
        let mut conn = self.pool.get()?;
        let now = Utc::now().naive_utc();
        if !efa_store::mail::any_due(&mut conn, now)? {
            return Ok(0);
        }
        let claimed = {
            let _turn = self.writer.turn(&conn);
            efa_store::mail::claim_due(&mut conn, now, now + at(LEASE), MAILS_PER_BATCH)?
        };
        for m in &claimed {
            let outcome = self.transport.send(m);
            let _turn = self.writer.turn(&conn);
            match outcome {
                Ok(()) => efa_store::mail::mark_sent(&mut conn, &m.id, Utc::now().naive_utc())?,
                Err(e) => {
                    let (error, retry_at) = match e {
                        SendError::Permanent(e) => (e, None),
                        SendError::Temporary(e) => {
                            let retry_at: Option<NaiveDateTime> = (m.attempts < MAX_ATTEMPTS).then(|| Utc::now().naive_utc() + at(backoff(m.attempts)));
                            (e, retry_at)
                        }
                    };
                    tracing::warn!(mail = %m.id, to = %m.to_address, attempt = m.attempts, error = %error, retry_at = ?retry_at, "e-mail not sent");
                    efa_store::mail::mark_failed(&mut conn, &m.id, &error, retry_at)?;
                }
            }
        }
        Ok(claimed.len())
    }

    /// Runs in a thread of its own for as long as the process lives.
    pub fn spawn(self) {
        std::thread::Builder::new()
            .name("efa-mail".into())
            .spawn(move || loop {
                // Both each round: a stream of events does not hold up the sending.
                let round = || -> anyhow::Result<bool> { Ok((self.compose()? + self.deliver()?) > 0) };
                match round() {
                    Ok(true) => {}
                    Ok(false) => std::thread::sleep(POLL),
                    Err(e) => {
                        tracing::warn!(error = %format!("{e:#}"), "e-mail: a round failed (database unreachable?); trying again");
                        std::thread::sleep(POLL * 5);
                    }
                }
            })
            .expect("start the mail thread");
    }
}
