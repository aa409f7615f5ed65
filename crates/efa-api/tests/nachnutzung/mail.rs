//! E-mail: the events of the outbox turned into German mails for the people they concern
//! (recipients by role, organisation and Land; opted-out people and people without an address
//! get none), with a link into the shop; sent once, retried with backoff, given up on a
//! permanent refusal — also with two instances sending from one database.

use crate::support::*;
use crate::world_test;
use chrono::Utc;
use diesel::prelude::*;
use efa_api::mail::send::{SendError, Transport};
use efa_api::mail::{Mailer, MAX_ATTEMPTS};
use efa_store::mail::{self as store, MailRow};
use efa_store::seed::seed_id;
use serde_json::json;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

const SHOP: &str = "https://marktplatz.example.de";

/// Records what it was given; answers as told (the next scripted outcome, else success).
#[derive(Default, Clone)]
struct Recorder {
    /// Which instance sent it (`name`), and the mail.
    sent: Arc<Mutex<Vec<(&'static str, String)>>>,
    name: &'static str,
    script: Arc<Mutex<Vec<Result<(), SendError>>>>,
    /// With two senders: each one's first mail waits (up to 10 s) until the other one holds a
    /// batch too, so that both have claimed mails at the same time however the threads are
    /// scheduled.
    meeting: Arc<(Mutex<BTreeSet<&'static str>>, Condvar)>,
    meet: bool,
}

impl Recorder {
    fn meet_the_other(&self) {
        let (arrived, turn) = &*self.meeting;
        let mut arrived = arrived.lock().unwrap();
        if !arrived.insert(self.name) {
            return;
        }
        turn.notify_all();
        let deadline = Instant::now() + Duration::from_secs(10);
        while arrived.len() < 2 && Instant::now() < deadline {
            arrived = turn.wait_timeout(arrived, Duration::from_millis(100)).unwrap().0;
        }
    }
}

impl Transport for Recorder {
    fn send(&self, m: &MailRow) -> Result<(), SendError> {
        if self.meet {
            self.meet_the_other();
        }
        let mut script = self.script.lock().unwrap();
        let outcome = if script.is_empty() { Ok(()) } else { script.remove(0) };
        if outcome.is_ok() {
            self.sent.lock().unwrap().push((self.name, m.id.clone()));
        }
        outcome
    }
}

fn mailer(w: &World, transport: Recorder) -> Mailer {
    Mailer::new(&efa_api::AppState::new(w.db.pool()), SHOP, Box::new(transport))
}

/// Someone who logged in to the shop.
fn person(w: &World, id: &str, org: &str, roles: &[&str], land: Option<&str>, email: Option<&str>) {
    let login = store::Login { id, org_id: org, roles, land_code: land, display_name: &format!("Person {id}"), email, at: Utc::now().naive_utc() };
    store::record_login(&mut w.conn(), &login).expect("record the login");
}

/// Composes until every event written so far is read (on PostgreSQL an event becomes readable
/// once every older transaction of the server has ended: other tests run beside this one);
/// then every mail made, oldest first.
fn drain(w: &World, m: &Mailer) -> Vec<MailRow> {
    use efa_store::schema::{events, mail_cursor};
    let mut conn = w.conn();
    let head: i64 = events::table.select(diesel::dsl::max(events::position)).first::<Option<i64>>(&mut conn).unwrap().unwrap_or(0);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        m.compose().expect("compose");
        let at: i64 = mail_cursor::table.select(mail_cursor::position).first(&mut conn).unwrap();
        if at >= head {
            return store::all(&mut conn).unwrap();
        }
        assert!(Instant::now() < deadline, "the cursor stays at {at}, the events reach {head}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// (recipient, subject) of each mail.
fn letters(mails: &[MailRow]) -> BTreeSet<(String, String)> {
    mails.iter().map(|m| (m.to_address.clone(), m.subject.clone())).collect()
}

fn set(items: &[(&str, &str)]) -> BTreeSet<(String, String)> {
    items.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect()
}

fn mail_to<'a>(mails: &'a [MailRow], to: &str, subject_starts: &str) -> &'a MailRow {
    mails.iter().find(|m| m.to_address == to && m.subject.starts_with(subject_starts)).unwrap_or_else(|| panic!("no mail to {to} about {subject_starts}: {:#?}", letters(mails)))
}

const SERVICE: &str = "Wohngeld digital (Nachnutzungstest)";

/// The people of the tests: NRW's coordinators (one with an address, one opted out, one without
/// an address), Bayern's, a Köln and a Bonn user, NRW's publisher.
fn people(w: &World) {
    let nrw = nrw();
    person(w, "nrw-koordination", &nrw, &["land_coordinator"], Some("05"), Some("koordination@nrw.example"));
    person(w, "nrw-leise", &nrw, &["land_coordinator"], Some("05"), Some("leise@nrw.example"));
    assert!(store::set_opt_out(&mut w.conn(), "nrw-leise", true).unwrap());
    person(w, "nrw-ohne-adresse", &nrw, &["land_coordinator"], Some("05"), None);
    person(w, "by-koordination", &seed_id("land", "09"), &["land_coordinator"], Some("09"), Some("koordination@bayern.example"));
    person(w, "koeln", &org(KOELN), &["municipality_user"], None, Some("nachnutzung@koeln.example"));
    person(w, "bonn", &org(BONN), &["municipality_user"], None, Some("nachnutzung@bonn.example"));
    person(w, "nrw-anbieter", &nrw, &["provider_publisher"], None, Some("anbieter@nrw.example"));
}

world_test!(each_step_mails_the_people_it_concerns_in_german, |w, app| {
    people(w);
    let m = mailer(w, Recorder::default());
    let service = published_service(app, w).await;
    let mails = drain(w, &m);
    assert_eq!(letters(&mails), set(&[("anbieter@nrw.example", &format!("Onlinedienst veröffentlicht: {SERVICE}"))]));
    let published = &mails[0];
    assert!(published.body_text.contains(&format!("Zum Onlinedienst: {SHOP}/onlinedienste/{service}\n")), "{}", published.body_text);

    // Köln asks: the coordinator with an address hears of it; the one who opted out, the one
    // without an address and Bayern's do not; nor does Köln itself (a draft is no news).
    let koeln = w.kommune(KOELN);
    let id = filed(app, &koeln, &service, &[]).await;
    act_ok(app, &id, "submit", &koeln, None).await;
    let mails = drain(w, &m);
    let ask = format!("Anfrage zur Freigabe: {SERVICE}");
    assert_eq!(letters(&mails[1..]), set(&[("koordination@nrw.example", &ask)]));
    let c = mail_to(&mails, "koordination@nrw.example", "Anfrage zur Freigabe");
    assert_eq!(c.user_id, "nrw-koordination");
    assert_eq!(c.state, "pending");
    for expected in [
        "Guten Tag Person nrw-koordination,\n\n",
        "Köln, Stadt bittet um die Nachnutzung des Onlinedienstes „Wohngeld digital (Nachnutzungstest)“. Die Anfrage wartet auf Ihre Freigabe als Landeskoordination.",
        &format!("Zur Anfrage: {SHOP}/anfragen/{id}\n"),
        &format!("E-Mail-Benachrichtigungen abbestellen: {SHOP}/konto\n"),
    ] {
        assert!(c.body_text.contains(expected), "{expected:?} in:\n{}", c.body_text);
    }

    // Approved: Köln hears of it, and the provider, whose acceptance it now awaits.
    act_ok(app, &id, "approve", &w.coordinator("05"), None).await;
    let before = mails.len();
    let mails = drain(w, &m);
    assert_eq!(letters(&mails[before..]), set(&[("nachnutzung@koeln.example", &format!("Anfrage freigegeben: {SERVICE}")), ("anbieter@nrw.example", &format!("Anfrage zur Annahme: {SERVICE}"))]));
    assert!(mail_to(&mails, "anbieter@nrw.example", "Anfrage zur Annahme").body_text.contains(&format!("{SHOP}/anfragen/{id}\n")));

    // Accepted: Köln hears of it, and both parties get the agreement to sign.
    let accepted = act_ok(app, &id, "accept", &w.provider(), Some(json!({"start_date": "2027-01-01"}))).await;
    let number = accepted["agreements"][0].as_str().unwrap().to_owned();
    let before = mails.len();
    let mails = drain(w, &m);
    let sign = format!("Vertrag zur Unterschrift: {number}");
    assert_eq!(letters(&mails[before..]), set(&[("nachnutzung@koeln.example", &format!("Anfrage angenommen: {SERVICE}")), ("nachnutzung@koeln.example", &sign), ("anbieter@nrw.example", &sign)]));
    let s = mail_to(&mails, "anbieter@nrw.example", "Vertrag zur Unterschrift");
    assert!(s.body_text.contains(&format!("Der Nachnutzungsvertrag {number} über den Onlinedienst „{SERVICE}“ für Köln, Stadt wartet auf Ihre Unterschrift.")), "{}", s.body_text);
    assert!(s.body_text.contains(&format!("Zum Vertrag: {SHOP}/vertraege/{number}\n")), "{}", s.body_text);

    // Signing is no news by mail; nobody got a mail twice for one event; Bonn got nothing.
    expect(&agreement_step(app, &number, "sign", &w.provider(), None).await, 200);
    let total = mails.len();
    let mails = drain(w, &m);
    assert_eq!(mails.len(), total);
    let pairs: BTreeSet<(String, String)> = mails.iter().map(|m| (m.event_id.clone(), m.user_id.clone())).collect();
    assert_eq!(pairs.len(), mails.len());
    assert!(mails.iter().all(|m| !["leise@nrw.example", "koordination@bayern.example", "nachnutzung@bonn.example"].contains(&m.to_address.as_str())));

    // Sent: each once, then marked.
    let recorder = Recorder::default();
    let sender = mailer(w, recorder.clone());
    assert_eq!(sender.deliver().unwrap(), mails.len());
    assert_eq!(sender.deliver().unwrap(), 0, "nothing is due twice");
    let sent = store::all(&mut w.conn()).unwrap();
    assert!(sent.iter().all(|m| m.state == "sent" && m.sent_at.is_some() && m.attempts == 1 && m.lease_until.is_none()), "{sent:#?}");
    assert_eq!(recorder.sent.lock().unwrap().len(), mails.len());
});

world_test!(rejections_and_reviews_carry_their_reason, |w, app| {
    people(w);
    let m = mailer(w, Recorder::default());
    let service = published_service(app, w).await;
    let koeln = w.kommune(KOELN);

    // The Land rejects one request, the provider declines another: Köln is told why.
    let first = filed(app, &koeln, &service, &[]).await;
    act_ok(app, &first, "submit", &koeln, None).await;
    act_ok(app, &first, "reject", &w.coordinator("05"), Some(json!({"reason": "Die Haushaltsmittel fehlen."}))).await;
    let second = approved(app, w, &service).await;
    act_ok(app, &second, "decline", &w.provider(), Some(json!({"reason": "Keine Kapazität bis 2028."}))).await;
    let mails = drain(w, &m);
    let rejected = mail_to(&mails, "nachnutzung@koeln.example", "Anfrage abgelehnt");
    assert_eq!(rejected.subject, format!("Anfrage abgelehnt: {SERVICE}"));
    assert!(rejected.body_text.contains(&format!("Die Landeskoordination hat Ihre Anfrage zur Nachnutzung des Onlinedienstes „{SERVICE}“ abgelehnt.\n\nBegründung: Die Haushaltsmittel fehlen.")), "{}", rejected.body_text);
    assert!(rejected.body_text.contains(&format!("{SHOP}/anfragen/{first}\n")));
    let declined = mail_to(&mails, "nachnutzung@koeln.example", "Anfrage vom Anbieter abgelehnt");
    assert!(declined.body_text.contains("Begründung: Keine Kapazität bis 2028."), "{}", declined.body_text);
    assert!(declined.body_text.contains(&format!("{SHOP}/anfragen/{second}\n")));

    // The review sends a listing back: its publisher is told why.
    let provider = w.provider();
    let created = expect(&post(app, "/api/v1/online-services", Some(&provider), Some(&listing_body("Elterngeld kompakt (Prüfung)", annual_price()))).await, 201);
    let listing = created["id"].as_str().unwrap().to_owned();
    expect(&post(app, &format!("/api/v1/online-services/{listing}/submit"), Some(&provider), None).await, 200);
    expect(&post(app, &format!("/api/v1/online-services/{listing}/reject"), Some(&w.operator()), Some(&json!({"reason": "Die Preisangabe fehlt."}))).await, 200);
    let mails = drain(w, &m);
    let review = mail_to(&mails, "anbieter@nrw.example", "Onlinedienst nicht freigegeben");
    assert_eq!(review.subject, "Onlinedienst nicht freigegeben: Elterngeld kompakt (Prüfung)");
    assert!(review.body_text.contains("Überarbeiten Sie den Eintrag und reichen Sie ihn erneut ein.\n\nBegründung: Die Preisangabe fehlt."), "{}", review.body_text);
    assert!(review.body_text.contains(&format!("Zum Onlinedienst: {SHOP}/onlinedienste/{listing}\n")));
});

/// A mail for Köln's user, due now.
fn pending(w: &World, id: &str) {
    let now = Utc::now().naive_utc();
    let row = MailRow {
        id: id.into(),
        event_id: format!("event-{id}"),
        user_id: "koeln".into(),
        to_address: "nachnutzung@koeln.example".into(),
        subject: "Betreff".into(),
        body_text: "Text".into(),
        state: "pending".into(),
        attempts: 0,
        next_attempt_at: now,
        lease_until: None,
        created_at: now,
        sent_at: None,
        last_error: None,
    };
    assert_eq!(store::enqueue(&mut w.conn(), &[row]).unwrap(), 1);
}

fn row(w: &World, id: &str) -> MailRow {
    store::all(&mut w.conn()).unwrap().into_iter().find(|m| m.id == id).unwrap()
}

/// Makes a mail due now again (as if its pause were over).
fn due_now(w: &World, id: &str) {
    use efa_store::schema::mail_outbox as mo;
    diesel::update(mo::table.find(id)).set(mo::next_attempt_at.eq(Utc::now().naive_utc() - chrono::Duration::seconds(1))).execute(&mut w.conn()).unwrap();
}

world_test!(a_failed_mail_is_retried_with_growing_pauses_and_given_up_when_refused, |w, _app| {
    people(w);
    let recorder = Recorder::default();
    let m = mailer(w, recorder.clone());
    pending(w, "a-retry");
    pending(w, "b-refused");
    *recorder.script.lock().unwrap() = vec![Err(SendError::Temporary("421 try later".into())), Err(SendError::Permanent("550 no such user".into()))];
    let t = Utc::now().naive_utc();
    assert_eq!(m.deliver().unwrap(), 2);
    let retry = row(w, "a-retry");
    assert_eq!((retry.state.as_str(), retry.attempts, retry.last_error.as_deref(), retry.lease_until), ("pending", 1, Some("421 try later"), None));
    let pause = (retry.next_attempt_at - t).num_seconds();
    assert!((29..=31).contains(&pause), "first pause {pause} s");
    let refused = row(w, "b-refused");
    assert_eq!((refused.state.as_str(), refused.last_error.as_deref()), ("failed", Some("550 no such user")));
    // Not due during its pause; the second failure waits twice as long; then it goes out.
    assert_eq!(m.deliver().unwrap(), 0);
    due_now(w, "a-retry");
    *recorder.script.lock().unwrap() = vec![Err(SendError::Temporary("connection refused".into()))];
    let t = Utc::now().naive_utc();
    m.deliver().unwrap();
    let pause = (row(w, "a-retry").next_attempt_at - t).num_seconds();
    assert!((59..=61).contains(&pause), "second pause {pause} s");
    due_now(w, "a-retry");
    m.deliver().unwrap();
    let sent = row(w, "a-retry");
    assert_eq!((sent.state.as_str(), sent.attempts, sent.last_error), ("sent", 3, None));
    assert_eq!(*recorder.sent.lock().unwrap(), [("", "a-retry".to_owned())]);

    // One that keeps failing is given up after the last attempt.
    pending(w, "hopeless");
    {
        use efa_store::schema::mail_outbox as mo;
        diesel::update(mo::table.find("hopeless")).set(mo::attempts.eq(MAX_ATTEMPTS - 1)).execute(&mut w.conn()).unwrap();
    }
    *recorder.script.lock().unwrap() = vec![Err(SendError::Temporary("421 try later".into()))];
    m.deliver().unwrap();
    let hopeless = row(w, "hopeless");
    assert_eq!((hopeless.state.as_str(), hopeless.attempts), ("failed", MAX_ATTEMPTS));
});

world_test!(two_instances_make_and_send_each_mail_once, |w, app| {
    people(w);
    // Events for both instances to turn into mails at the same time.
    let service = published_service(app, w).await;
    let koeln = w.kommune(KOELN);
    for _ in 0..3 {
        let id = filed(app, &koeln, &service, &[]).await;
        act_ok(app, &id, "submit", &koeln, None).await;
        act_ok(app, &id, "reject", &w.coordinator("05"), Some(json!({"reason": "Nein."}))).await;
    }
    // And mails waiting to be sent.
    for n in 0..40 {
        pending(w, &format!("waiting-{n:02}"));
    }
    let recorder = Recorder { meet: true, ..Recorder::default() };
    let (a, b) = (mailer(w, Recorder { name: "a", ..recorder.clone() }), mailer(w, Recorder { name: "b", ..recorder.clone() }));
    std::thread::scope(|s| {
        for m in [&a, &b] {
            s.spawn(move || {
                let deadline = Instant::now() + Duration::from_secs(30);
                loop {
                    let read = m.compose().expect("compose");
                    let sent = m.deliver().expect("deliver");
                    if read == 0 && sent == 0 {
                        if store::all(&mut w.conn()).unwrap().iter().all(|m| m.state == "sent") || Instant::now() > deadline {
                            break;
                        }
                        std::thread::sleep(Duration::from_millis(20));
                    }
                }
            });
        }
    });
    let mails = drain(w, &a);
    while a.deliver().unwrap() > 0 {}
    let mails_now = store::all(&mut w.conn()).unwrap();
    // 1 published + 3 × (to approve + rejected), and the 40 waiting.
    assert_eq!(mails.len(), 47, "{:#?}", letters(&mails));
    assert!(mails_now.iter().all(|m| m.state == "sent"), "{mails_now:#?}");
    let mut times: HashMap<String, usize> = HashMap::new();
    let sent = recorder.sent.lock().unwrap();
    for (_, id) in sent.iter() {
        *times.entry(id.clone()).or_default() += 1;
    }
    assert!(sent.iter().any(|(by, _)| *by == "a") && sent.iter().any(|(by, _)| *by == "b"), "both instances sent: {sent:?}");
    assert_eq!(times.len(), 47);
    assert!(times.values().all(|n| *n == 1), "sent more than once: {:?}", times.iter().filter(|(_, n)| **n > 1).collect::<Vec<_>>());
});
