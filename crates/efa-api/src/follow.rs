//! Many instances on one PostgreSQL: each follows the outbox and refreshes what it holds in
//! memory (the catalogue snapshot, the coverage index) when another instance wrote. It is woken
//! by `LISTEN efa_events` (every event-writing transaction notifies on commit) and looks at least
//! every half second in case a notification was lost (a dropped connection).

use crate::state::AppState;
use std::time::{Duration, Instant};

/// What other instances changed since the last look.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Changes {
    pub listings: bool,
    pub agreements: bool,
    /// The catalogue itself (an import, a correction, a dashboard export): a full rebuild.
    pub catalogue: bool,
    pub any: bool,
}

/// What a batch of events asks of this instance: listings and frameworks change the catalogue
/// (and the shop's cached pages), agreements the coverage. Its own events it has applied already.
pub fn changes_of(rows: &[efa_store::events::EventRow], me: &str) -> Changes {
    let mut c = Changes { any: !rows.is_empty(), ..Changes::default() };
    for r in rows.iter().filter(|r| r.origin != me) {
        match r.resource_type.as_str() {
            "online_service" | "framework_agreement" => c.listings = true,
            "agreement" => c.agreements = true,
            "catalogue_version" => c.catalogue = true,
            _ => {}
        }
    }
    c
}

/// Starts following the outbox on PostgreSQL (SQLite is single-process: nothing to follow).
/// `from` is the head of the outbox read before the read model was loaded.
pub fn spawn(state: AppState, url: String, from: i64) {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<Changes>();
    let me = state.instance.to_string();
    std::thread::Builder::new()
        .name("efa-follow".into())
        .spawn(move || follow(&url, &me, from, &tx))
        .expect("start the outbox follower thread");
    actix_web::rt::spawn(async move {
        while let Some(mut c) = rx.recv().await {
            // Coalesce what queued up while the last rebuild ran.
            while let Ok(more) = rx.try_recv() {
                c.listings |= more.listings;
                c.agreements |= more.agreements;
                c.catalogue |= more.catalogue;
                c.any |= more.any;
            }
            if c.catalogue {
                if let Err(e) = state.reload_catalogue().await {
                    tracing::error!(error = %e, "catalogue rebuild after another instance's catalogue change failed");
                    state.rebuild_after_write(true).await;
                }
            } else if c.listings {
                state.rebuild_after_write(true).await;
            }
            if c.agreements {
                state.rebuild_after_write(false).await;
            }
            if c.any {
                state.events_wake.notify_waiters();
            }
        }
    });
}

fn follow(url: &str, me: &str, mut seen: i64, tx: &tokio::sync::mpsc::UnboundedSender<Changes>) {
    const POLL: Duration = Duration::from_millis(500);
    const TICK: Duration = Duration::from_millis(20);
    let mut conn: Option<efa_store::DbConn> = None;
    let mut last_look = Instant::now() - POLL;
    loop {
        let c = match conn.as_mut() {
            Some(c) => c,
            None => match listen(url) {
                Ok(c) => conn.insert(c),
                Err(e) => {
                    tracing::warn!(error = %e, "outbox follower cannot reach the database; retrying");
                    std::thread::sleep(Duration::from_secs(1));
                    continue;
                }
            },
        };
        let drained = match c {
            efa_store::DbConn::Pg(pg) => pg.notifications_iter().try_fold(false, |_, n| n.map(|_| true)),
            efa_store::DbConn::Sqlite(_) => return,
        };
        let notified = match drained {
            Ok(any) => any,
            Err(e) => {
                tracing::warn!(error = %e, "outbox follower lost its connection");
                conn = None;
                continue;
            }
        };
        if notified || last_look.elapsed() >= POLL {
            last_look = Instant::now();
            match efa_store::events::feed(c, None, seen, 1000) {
                Ok(rows) => {
                    if let Some(last) = rows.last() {
                        seen = last.position;
                        if tx.send(changes_of(&rows, me)).is_err() {
                            return;
                        }
                        // A full page: there may be more right away.
                        if rows.len() == 1000 {
                            last_look = Instant::now() - POLL;
                        }
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %e, "outbox follower could not read events");
                    conn = None;
                }
            }
        }
        std::thread::sleep(TICK);
    }
}

fn listen(url: &str) -> anyhow::Result<efa_store::DbConn> {
    use diesel::RunQueryDsl;
    let mut c = efa_store::DbConn::open(url)?;
    if let efa_store::DbConn::Pg(pg) = &mut c {
        diesel::sql_query("LISTEN efa_events").execute(pg)?;
    }
    Ok(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn event(resource_type: &str, origin: &str) -> efa_store::events::EventRow {
        efa_store::events::EventRow {
            position: 1,
            id: "e".into(),
            kind: "catalogue.changed".into(),
            resource_type: resource_type.into(),
            resource_id: "v".into(),
            occurred_at: chrono::Utc::now().naive_utc(),
            origin: origin.into(),
            payload: "{}".into(),
        }
    }

    #[test]
    fn a_catalogue_change_elsewhere_asks_for_a_full_rebuild() {
        let c = changes_of(&[event("catalogue_version", "cli-1")], "me");
        assert_eq!(c, Changes { listings: false, agreements: false, catalogue: true, any: true });
        // Its own change this instance has applied already.
        assert!(!changes_of(&[event("catalogue_version", "me")], "me").catalogue);
    }
}
