//! The event feed: every state change writes its events in its transaction; each organisation
//! reads the events it may see, in order, by cursor, or waits for the next by long polling.

use crate::helpers::{send, Resp};
use crate::support::*;
use crate::world_test;
use actix_web::test::TestRequest;
use serde_json::{json, Value};

async fn feed<A: TestApp>(app: &A, token: &str, query: &str) -> Value {
    ok(app, &format!("/api/v1/events?{query}"), token).await
}

/// The feed once at least `n` events are readable after `after`. On PostgreSQL an event is
/// readable once every transaction older than its own has ended, in any database of the
/// server (other tests run beside this one): usually at once, sometimes a moment later.
async fn settled<A: TestApp>(app: &A, token: &str, after: i64, n: usize) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let v = feed(app, token, &format!("after={after}&wait=2")).await;
        if v["events"].as_array().unwrap().len() >= n || std::time::Instant::now() > deadline {
            return v;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

fn types(v: &Value) -> Vec<String> {
    v["events"].as_array().unwrap().iter().map(|e| e["type"].as_str().unwrap().to_owned()).collect()
}

fn about<'a>(v: &'a Value, resource: &str) -> Vec<&'a Value> {
    v["events"].as_array().unwrap().iter().filter(|e| e["resource"]["id"] == resource).collect()
}

world_test!(each_organisation_follows_its_own_requests_and_agreements, |w, app| {
    let service = published_service(app, w).await;
    let koeln = w.kommune(KOELN);
    let provider = w.provider();
    let nrw = w.coordinator("05");
    // Everyone sees that the listing was published.
    let all = settled(app, &w.kommune(BONN), 0, 1).await;
    assert!(types(&all).contains(&"listing.published".to_owned()), "{all}");
    let start = |v: &Value| v["next_cursor"].as_i64().unwrap();
    let (k0, p0, c0, b0, by0) = (start(&feed(app, &koeln, "").await), start(&feed(app, &provider, "").await), start(&feed(app, &nrw, "").await), start(&feed(app, &w.kommune(BONN), "").await), start(&feed(app, &w.coordinator("09"), "").await));

    // A draft is Köln's own business.
    let id = filed(app, &koeln, &service, &[]).await;
    assert_eq!(types(&settled(app, &koeln, k0, 1).await), ["request.created"]);
    assert!(about(&feed(app, &provider, &format!("after={p0}")).await, &id).is_empty());
    assert!(about(&feed(app, &nrw, &format!("after={c0}")).await, &id).is_empty());

    // Submitted, approved, accepted, signed: each party reads the same events, in order.
    act_ok(app, &id, "submit", &koeln, None).await;
    act_ok(app, &id, "approve", &nrw, None).await;
    let accepted = act_ok(app, &id, "accept", &provider, Some(json!({"start_date": "2027-01-01"}))).await;
    let n = accepted["agreements"][0].as_str().unwrap().to_owned();
    expect(&agreement_step(app, &n, "sign", &provider, None).await, 200);
    expect(&agreement_step(app, &n, "sign", &koeln, None).await, 200);
    let expected = ["request.submitted", "request.approved", "request.accepted", "agreement.created", "agreement.signed", "agreement.signed", "agreement.active", "request.active"];
    for (who, token, from) in [("Köln", &koeln, k0), ("provider", &provider, p0), ("NRW coordinator", &nrw, c0)] {
        let v = settled(app, token, from, expected.len() + usize::from(token == &koeln)).await;
        let mine: Vec<String> = types(&v).into_iter().filter(|t| t != "request.created").collect();
        assert_eq!(mine, expected, "{who}: {v}");
        // Cursors increase; ids are unique; the resource and actor are named.
        let cursors: Vec<i64> = v["events"].as_array().unwrap().iter().map(|e| e["cursor"].as_i64().unwrap()).collect();
        assert!(cursors.windows(2).all(|p| p[0] < p[1]), "{cursors:?}");
        let accepted_event = v["events"].as_array().unwrap().iter().find(|e| e["type"] == "request.accepted").unwrap();
        assert_eq!((accepted_event["resource"]["type"].as_str(), accepted_event["resource"]["id"].as_str()), (Some("reuse_request"), Some(id.as_str())));
        assert_eq!(accepted_event["actor"], PROVIDER);
        assert_eq!(accepted_event["data"]["state"], "agreement_pending");
        // Paging by cursor: the rest after the third event.
        let third = cursors[2];
        let rest = feed(app, token, &format!("after={third}&limit=2")).await;
        assert_eq!(rest["events"].as_array().unwrap().len(), 2);
        assert_eq!(rest["events"][0]["cursor"].as_i64(), Some(cursors[3]));
        assert_eq!(rest["next_cursor"].as_i64(), Some(cursors[4]));
    }
    // Bonn and Bayern's coordinator: nothing of it.
    assert!(feed(app, &w.kommune(BONN), &format!("after={b0}")).await["events"].as_array().unwrap().iter().all(|e| e["resource"]["id"] != id && e["resource"]["id"] != n));
    assert!(feed(app, &w.coordinator("09"), &format!("after={by0}")).await["events"].as_array().unwrap().is_empty());
    // The operator sees everything.
    let op = feed(app, &w.operator(), "limit=1000").await;
    assert!(about(&op, &id).len() >= 5 && !about(&op, &n).is_empty());
    // Each event was written with its change: as many request events as audit events.
    assert_eq!(about(&op, &id).len(), w.actions_of(&id).len() + 1, "one event per audited step, plus the request following its agreement");

    // Bad parameters: 400 naming them; no token: 401.
    for (q, param) in [("after=-1", "after"), ("after=x", "after"), ("limit=0", "limit"), ("limit=1001", "limit"), ("wait=31", "wait"), ("since=1", "since")] {
        let r = get_as(app, &format!("/api/v1/events?{q}"), Some(&koeln)).await;
        let p = expect(&r, 400);
        assert!(p["detail"].as_str().unwrap().contains(param), "{q}: {p}");
    }
    expect(&get_as(app, "/api/v1/events", None).await, 401);
});

world_test!(a_long_poll_answers_when_the_next_event_comes, |w, app| {
    let service = published_service(app, w).await;
    let koeln = w.kommune(KOELN);
    let head = settled(app, &koeln, 0, 1).await["next_cursor"].as_i64().unwrap();
    // Nothing new: a short wait answers empty, with the same cursor.
    let t = std::time::Instant::now();
    let empty = feed(app, &koeln, &format!("after={head}&wait=1")).await;
    assert!(t.elapsed() >= std::time::Duration::from_millis(900), "waited {:?}", t.elapsed());
    assert_eq!((empty["events"].as_array().unwrap().len(), empty["next_cursor"].as_i64()), (0, Some(head)));
    // A poll waiting 20 s is answered as soon as Köln files a request.
    let poll = send(app, bearer(TestRequest::get().uri(&format!("/api/v1/events?after={head}&wait=20")), Some(&koeln)));
    let write = async {
        actix_web::rt::time::sleep(std::time::Duration::from_millis(300)).await;
        filed(app, &koeln, &service, &[]).await
    };
    let t = std::time::Instant::now();
    let (answer, id): (Resp, String) = futures_join(poll, write).await;
    assert!(t.elapsed() < std::time::Duration::from_secs(5), "the poll waited {:?}", t.elapsed());
    let v = expect(&answer, 200);
    assert_eq!(types(&v), ["request.created"], "{v}");
    assert_eq!(v["events"][0]["resource"]["id"], id);
});

/// Runs two futures to completion together on this task.
async fn futures_join<A: std::future::Future, B: std::future::Future>(a: A, b: B) -> (A::Output, B::Output) {
    let mut a = Box::pin(a);
    let mut b = Box::pin(b);
    let (mut ra, mut rb) = (None, None);
    std::future::poll_fn(|cx| {
        if ra.is_none() {
            if let std::task::Poll::Ready(v) = a.as_mut().poll(cx) {
                ra = Some(v);
            }
        }
        if rb.is_none() {
            if let std::task::Poll::Ready(v) = b.as_mut().poll(cx) {
                rb = Some(v);
            }
        }
        if ra.is_some() && rb.is_some() { std::task::Poll::Ready(()) } else { std::task::Poll::Pending }
    })
    .await;
    (ra.unwrap(), rb.unwrap())
}
