//! Which events mail whom, and what the mail says: German text with a link into the shop and
//! the way to stop these mails.
//!
//! | event | who |
//! | --- | --- |
//! | `request.submitted` | the coordinators of the request's Land (it awaits their approval) |
//! | `request.approved` | the requester; the provider's publishers (it awaits their acceptance) |
//! | `request.rejected`, `request.accepted`, `request.declined` | the requester |
//! | `agreement.created` | both parties: the signatory's orderers and the provider's publishers |
//! | `listing.published`, `listing.rejected` | the provider's publishers (the review's outcome) |
//!
//! "The requester" is the requesting organisation's municipality users and bundlers. People
//! without an address or who opted out get nothing; a person gets at most one mail per event.

use crate::events::EventBody;
use chrono::NaiveDateTime;
use diesel::prelude::*;
use efa_domain::events::EventType;
use efa_domain::Role;
use efa_store::events::EventRow;
use efa_store::mail::{self as store, MailRow, UserRecord};
use efa_store::DbConn;

/// What one group of people is told about an event.
struct Letter {
    to: Vec<UserRecord>,
    subject: String,
    /// The paragraph saying what happened and what is next.
    text: String,
    link_label: &'static str,
    /// Path of the shop page it is about.
    path: String,
}

/// The mails an event makes, addressed, ready to send at `now`. An event about a resource that
/// no longer exists, or whose payload cannot be read, makes none.
pub fn mails_for(conn: &mut DbConn, e: &EventRow, shop_url: &str, now: NaiveDateTime) -> QueryResult<Vec<MailRow>> {
    let Ok(kind) = EventType::parse(&e.kind) else { return Ok(Vec::new()) };
    let reason = match serde_json::from_str::<EventBody>(&e.payload) {
        Ok(b) => b.data.get("reason").and_then(|r| r.as_str()).map(str::to_owned),
        Err(err) => {
            tracing::warn!(event = %e.id, error = %err, "event payload unreadable; no e-mail for it");
            return Ok(Vec::new());
        }
    };
    let letters = match kind {
        EventType::RequestSubmitted | EventType::RequestApproved | EventType::RequestRejected | EventType::RequestAccepted | EventType::RequestDeclined => request(conn, kind, &e.resource_id, reason.as_deref())?,
        EventType::AgreementCreated => agreement(conn, &e.resource_id)?,
        EventType::ListingPublished | EventType::ListingRejected => listing(conn, kind, &e.resource_id, reason.as_deref())?,
        _ => Vec::new(),
    };
    let mut out: Vec<MailRow> = Vec::new();
    for l in letters {
        for u in &l.to {
            let Some(address) = u.address() else { continue };
            if out.iter().any(|m| m.user_id == u.id) {
                continue;
            }
            out.push(MailRow {
                id: uuid::Uuid::new_v4().to_string(),
                event_id: e.id.clone(),
                user_id: u.id.clone(),
                to_address: address.to_owned(),
                subject: one_line(&l.subject),
                body_text: body(u, &l, shop_url),
                state: store::PENDING.to_owned(),
                attempts: 0,
                next_attempt_at: now,
                lease_until: None,
                created_at: now,
                sent_at: None,
                last_error: None,
            });
        }
    }
    Ok(out)
}

fn body(u: &UserRecord, l: &Letter, shop_url: &str) -> String {
    format!(
        "Guten Tag {name},\n\n{text}\n\n{label}: {shop_url}{path}\n\nMit freundlichen Grüßen\nIhr EfA-Marktplatz\n\n-- \n\
         Sie erhalten diese Nachricht, weil Sie sich im EfA-Marktplatz angemeldet haben.\n\
         E-Mail-Benachrichtigungen abbestellen: {shop_url}/konto\n",
        name = one_line(&u.display_name),
        text = l.text,
        label = l.link_label,
        path = l.path,
    )
}

/// Names end up in the subject line: no line breaks or other control characters.
fn one_line(s: &str) -> String {
    s.chars().map(|c| if c.is_control() { ' ' } else { c }).collect::<String>().split_whitespace().collect::<Vec<_>>().join(" ")
}

fn with_role(people: Vec<UserRecord>, roles: &[Role]) -> Vec<UserRecord> {
    people.into_iter().filter(|u| roles.iter().any(|r| u.has_role(r.as_str()))).collect()
}

fn org_name(conn: &mut DbConn, id: &str) -> QueryResult<String> {
    use efa_store::schema::organisations as o;
    Ok(o::table.find(id).select(o::name).first::<String>(conn).optional()?.unwrap_or_else(|| id.to_owned()))
}

fn service_name(conn: &mut DbConn, id: &str) -> QueryResult<String> {
    Ok(efa_store::listings::find(conn, id)?.map_or_else(|| id.to_owned(), |s| s.name))
}

/// `Begründung: …` after the text, when one was given.
fn with_reason(text: String, reason: Option<&str>) -> String {
    match reason.map(str::trim).filter(|r| !r.is_empty()) {
        Some(r) => format!("{text}\n\nBegründung: {r}"),
        None => text,
    }
}

const ORDERERS: &[Role] = &[Role::MunicipalityUser, Role::Bundler];

fn request(conn: &mut DbConn, kind: EventType, id: &str, reason: Option<&str>) -> QueryResult<Vec<Letter>> {
    let Some(r) = efa_store::reuse::find_request(conn, id)? else { return Ok(Vec::new()) };
    let Some(service) = efa_store::listings::find(conn, &r.online_service_id)? else { return Ok(Vec::new()) };
    let requester = org_name(conn, &r.requester_org_id)?;
    let path = format!("/anfragen/{}", r.id);
    let name = &service.name;
    let letter = |to, subject: String, text: String| Letter { to, subject, text, link_label: "Zur Anfrage", path: path.clone() };
    let requesters = |conn: &mut DbConn| users_in(conn, &r.requester_org_id, ORDERERS);
    Ok(match kind {
        EventType::RequestSubmitted => {
            let coordinators = with_role(store::users_of_land(conn, &r.land_code)?, &[Role::LandCoordinator]);
            vec![letter(coordinators, format!("Anfrage zur Freigabe: {name}"), format!("{requester} bittet um die Nachnutzung des Onlinedienstes „{name}“. Die Anfrage wartet auf Ihre Freigabe als Landeskoordination."))]
        }
        EventType::RequestApproved => vec![
            letter(requesters(conn)?, format!("Anfrage freigegeben: {name}"), format!("Die Landeskoordination hat Ihre Anfrage zur Nachnutzung des Onlinedienstes „{name}“ freigegeben. Als Nächstes entscheidet der Anbieter.")),
            letter(
                users_in(conn, &service.provider_org_id, &[Role::ProviderPublisher])?,
                format!("Anfrage zur Annahme: {name}"),
                format!("{requester} bittet um die Nachnutzung Ihres Onlinedienstes „{name}“. Die Landeskoordination hat die Anfrage freigegeben; sie wartet auf Ihre Entscheidung als Anbieter."),
            ),
        ],
        EventType::RequestRejected => vec![letter(requesters(conn)?, format!("Anfrage abgelehnt: {name}"), with_reason(format!("Die Landeskoordination hat Ihre Anfrage zur Nachnutzung des Onlinedienstes „{name}“ abgelehnt."), reason))],
        EventType::RequestAccepted => vec![letter(requesters(conn)?, format!("Anfrage angenommen: {name}"), format!("Der Anbieter hat Ihre Anfrage zur Nachnutzung des Onlinedienstes „{name}“ angenommen. Der Nachnutzungsvertrag liegt zur Unterschrift bereit."))],
        EventType::RequestDeclined => vec![letter(requesters(conn)?, format!("Anfrage vom Anbieter abgelehnt: {name}"), with_reason(format!("Der Anbieter hat Ihre Anfrage zur Nachnutzung des Onlinedienstes „{name}“ abgelehnt."), reason))],
        _ => Vec::new(),
    })
}

fn users_in(conn: &mut DbConn, org: &str, roles: &[Role]) -> QueryResult<Vec<UserRecord>> {
    Ok(with_role(store::users_of(conn, &[org])?, roles))
}

fn agreement(conn: &mut DbConn, number: &str) -> QueryResult<Vec<Letter>> {
    let Some(a) = efa_store::reuse::find_agreement(conn, number)? else { return Ok(Vec::new()) };
    let service = service_name(conn, &a.online_service_id)?;
    let customer = org_name(conn, &a.customer_org_id)?;
    let mut to = users_in(conn, &a.signatory_org_id, ORDERERS)?;
    to.extend(users_in(conn, &a.provider_org_id, &[Role::ProviderPublisher])?);
    Ok(vec![Letter {
        to,
        subject: format!("Vertrag zur Unterschrift: {}", a.number),
        text: format!("Der Nachnutzungsvertrag {} über den Onlinedienst „{service}“ für {customer} wartet auf Ihre Unterschrift.", a.number),
        link_label: "Zum Vertrag",
        path: format!("/vertraege/{}", a.number),
    }])
}

fn listing(conn: &mut DbConn, kind: EventType, id: &str, reason: Option<&str>) -> QueryResult<Vec<Letter>> {
    let Some(s) = efa_store::listings::find(conn, id)? else { return Ok(Vec::new()) };
    let to = users_in(conn, &s.provider_org_id, &[Role::ProviderPublisher])?;
    let name = &s.name;
    let (subject, text) = match kind {
        EventType::ListingPublished => (format!("Onlinedienst veröffentlicht: {name}"), format!("Ihr Onlinedienst „{name}“ ist geprüft und im Katalog veröffentlicht.")),
        _ => (
            format!("Onlinedienst nicht freigegeben: {name}"),
            with_reason(format!("Ihr Onlinedienst „{name}“ ist geprüft und nicht freigegeben worden. Überarbeiten Sie den Eintrag und reichen Sie ihn erneut ein."), reason),
        ),
    };
    Ok(vec![Letter { to, subject, text, link_label: "Zum Onlinedienst", path: format!("/onlinedienste/{}", s.id) }])
}
