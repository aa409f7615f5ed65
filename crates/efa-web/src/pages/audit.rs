//! "Protokoll": the audit log, filtered by organisation, action, resource and time. What the
//! user reads is what `GET /api/v1/audit-events` answers: operators every event, anyone else
//! the events their organisation acted in or that are about its resources
//! ([`efa_api::operations::audit::events`] decides). Each row says when (Berlin time), who,
//! what, about which thing (linked to its page) and the recorded before/after.

use super::order::{org_name, service_name, People};
use super::pager::{filter_query, Pager};
use super::requests::{page_number, REQUEST_ACTIONS};
use super::{datetime, layout, parse_date, render_status, Page};
use crate::forms::{options, Errors};
use crate::layout::Layout;
use crate::session::Shop;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use efa_api::catalogue::Catalogue;
use efa_domain::Role;
use efa_store::audit::{AuditEventRow, AuditQuery};
use serde::Deserialize;

/// Events per page.
const PER_PAGE: u32 = 50;

/// The kinds of resources the log speaks of: (stored name, German).
pub const RESOURCE_TYPES: &[(&str, &str)] = &[
    ("online_service", "Eintrag"),
    ("reuse_request", "Anfrage"),
    ("agreement", "Vertrag"),
    ("framework_agreement", "Rahmenvertrag"),
    ("webhook", "Webhook"),
];

/// Every action the operations record, beside the request's steps: (action, kind, German).
const OTHER_ACTIONS: &[(&str, &str, &str)] = &[
    ("reuse_request.message", "Anfrage", "Nachricht geschrieben"),
    ("listing.create", "Eintrag", "Angelegt"),
    ("listing.update", "Eintrag", "Geändert"),
    ("listing.submit", "Eintrag", "Zur Prüfung eingereicht"),
    ("listing.approve", "Eintrag", "Freigegeben und veröffentlicht"),
    ("listing.reject", "Eintrag", "Zurückgewiesen"),
    ("listing.retire", "Eintrag", "Zurückgezogen"),
    ("agreement.sign", "Vertrag", "Unterschrieben"),
    ("agreement.onboarding", "Vertrag", "Onboarding-Schritt erledigt"),
    ("agreement.terminate", "Vertrag", "Gekündigt"),
    ("framework.offer", "Rahmenvertrag", "Angeboten"),
    ("framework.approve", "Rahmenvertrag", "Vom Land genehmigt"),
    ("framework.accede", "Rahmenvertrag", "Beitritt erklärt"),
    ("webhook.create", "Webhook", "Angelegt"),
    ("webhook.delete", "Webhook", "Gelöscht"),
    ("webhook.disable", "Webhook", "Nach Fehlschlägen abgeschaltet"),
    ("webhook.enable", "Webhook", "Wieder eingeschaltet"),
];

/// Every known action with its German label, "Kind: what" (the request's steps first).
pub fn known_actions() -> impl Iterator<Item = (&'static str, String)> {
    REQUEST_ACTIONS.iter().map(|(a, de)| (*a, format!("Anfrage: {de}"))).chain(OTHER_ACTIONS.iter().map(|(a, kind, de)| (*a, format!("{kind}: {de}"))))
}

/// An action in German; an unknown one as it is stored.
pub fn action_de(action: &str) -> String {
    known_actions().find(|(a, _)| *a == action).map(|(_, de)| de).unwrap_or_else(|| action.to_owned())
}

fn resource_type_de(t: &str) -> &str {
    RESOURCE_TYPES.iter().find(|(k, _)| *k == t).map(|(_, de)| *de).unwrap_or(t)
}

/// The shop page of a resource, where it has one.
fn resource_href(t: &str, id: &str) -> Option<String> {
    match t {
        "online_service" => Some(format!("/onlinedienste/{id}")),
        "reuse_request" => Some(format!("/anfragen/{id}")),
        "agreement" => Some(format!("/vertraege/{id}")),
        "webhook" => Some(format!("/webhooks/{id}")),
        _ => None,
    }
}

/// The German name of a field of the recorded before/after.
fn key_de(k: &str) -> &str {
    match k {
        "reason" => "Begründung",
        "state" => "Stand",
        "revision" => "Revision",
        "version" => "Version",
        "url" => "Adresse",
        "enabled" => "Eingeschaltet",
        "end_date" => "Ende",
        "live_since" => "Live seit",
        "framework" => "Rahmenvertrag",
        "body" => "Text",
        other => other,
    }
}

pub struct Detail {
    pub side: &'static str,
    pub entries: Vec<(String, String)>,
}

/// A recorded before or after: the fields of an object, else the value as it is.
fn detail(side: &'static str, raw: Option<&str>) -> Option<Detail> {
    let raw = raw?;
    let text = |v: &serde_json::Value| match v {
        serde_json::Value::String(s) => s.clone(),
        serde_json::Value::Null => "–".to_owned(),
        other => other.to_string(),
    };
    let entries = match serde_json::from_str::<serde_json::Value>(raw) {
        Ok(serde_json::Value::Object(m)) => m.iter().map(|(k, v)| (key_de(k).to_owned(), text(v))).collect(),
        Ok(v) => vec![(String::new(), text(&v))],
        Err(_) => vec![(String::new(), raw.to_owned())],
    };
    Some(Detail { side, entries })
}

pub struct AuditRow {
    pub id: String,
    pub when: String,
    pub who: String,
    pub action: String,
    pub action_key: String,
    pub kind: String,
    pub resource: String,
    pub href: Option<String>,
    pub details: Vec<Detail>,
}

impl AuditRow {
    /// `names`: the people's names by subject, as their logins recorded them.
    fn of(c: &Catalogue, people: &People, e: AuditEventRow) -> AuditRow {
        let resource = match e.resource_type.as_str() {
            "online_service" => service_name(c, &e.resource_id),
            _ => e.resource_id.clone(),
        };
        AuditRow {
            when: datetime(chrono::DateTime::from_naive_utc_and_offset(e.occurred_at, chrono::Utc)),
            who: people.actor(c, &e.actor, e.actor_org_id.as_deref()),
            action: action_de(&e.action),
            kind: resource_type_de(&e.resource_type).to_owned(),
            href: resource_href(&e.resource_type, &e.resource_id),
            details: [detail("Vorher", e.before.as_deref()), detail("Nachher", e.after.as_deref())].into_iter().flatten().collect(),
            resource,
            action_key: e.action,
            id: e.id,
        }
    }
}

/// The filter as typed (every field kept as it was for the form).
#[derive(Deserialize, Default, Clone)]
pub struct AuditFilter {
    #[serde(default)]
    pub organisation: String,
    #[serde(default)]
    pub aktion: String,
    #[serde(default)]
    pub typ: String,
    #[serde(default)]
    pub ressource: String,
    #[serde(default)]
    pub von: String,
    #[serde(default)]
    pub bis: String,
    pub seite: Option<String>,
}

impl AuditFilter {
    /// The filter as a query string, without the page (for the pager).
    fn query(&self) -> String {
        filter_query(&[("organisation", self.organisation.as_str()), ("aktion", self.aktion.as_str()), ("typ", self.typ.as_str()), ("ressource", self.ressource.as_str()), ("von", self.von.as_str()), ("bis", self.bis.as_str())])
    }

    /// The query of the operation, or the errors at the fields.
    fn check(&self, c: &Catalogue) -> Result<AuditQuery, Errors> {
        let mut errors = Errors::default();
        let mut q = AuditQuery::default();
        match organisation_of(c, &self.organisation) {
            Ok(org) => q.actor_org = org,
            Err(m) => errors.add("organisation", m),
        }
        match self.aktion.trim() {
            "" => {}
            a if known_actions().any(|(k, _)| k == a) => q.action = Some(a.to_owned()),
            _ => errors.add("aktion", "Wählen Sie eine Aktion aus der Liste."),
        }
        match self.typ.trim() {
            "" => {}
            t if RESOURCE_TYPES.iter().any(|(k, _)| *k == t) => q.resource_type = Some(t.to_owned()),
            _ => errors.add("typ", "Wählen Sie eine Art aus der Liste."),
        }
        match efa_api::params::text("resource", &Some(self.ressource.clone())) {
            Ok(r) => q.resource_id = r,
            Err(_) => errors.add("ressource", format!("Geben Sie höchstens {} Zeichen ein.", efa_api::params::MAX_Q_CHARS)),
        }
        let day = |field: &str, raw: &str, errors: &mut Errors| match raw.trim() {
            "" => None,
            s => parse_date(s).or_else(|| {
                errors.add(field, "Geben Sie ein Datum als TT.MM.JJJJ ein, etwa 01.12.2026.");
                None
            }),
        };
        let (von, bis) = (day("von", &self.von, &mut errors), day("bis", &self.bis, &mut errors));
        if let (Some(v), Some(b)) = (von, bis) {
            if b < v {
                errors.add("bis", "Das Datum „bis“ darf nicht vor dem Datum „von“ liegen.");
            }
        }
        // Days in Berlin: from the start of „von“ up to the end of „bis“.
        q.since = von.map(|d| efa_domain::calendar::start_of_day(d).naive_utc());
        q.until = bis.and_then(|d| d.succ_opt()).map(|d| efa_domain::calendar::start_of_day(d).naive_utc());
        if errors.is_empty() { Ok(q) } else { Err(errors) }
    }
}

/// The organisation a typed name or id means: `Ok(None)` when nothing was typed.
fn organisation_of(c: &Catalogue, typed: &str) -> Result<Option<String>, &'static str> {
    let typed = typed.trim();
    if typed.is_empty() {
        return Ok(None);
    }
    if let Some(o) = c.org(typed) {
        return Ok(Some(o.view.id.clone()));
    }
    let hits = efa_api::catalogue::query::organisations(c, &efa_api::catalogue::query::Words::parse(typed), None, None);
    let exact = hits.iter().find(|&&i| c.orgs[i].view.name.to_lowercase() == typed.to_lowercase());
    match (exact, hits.as_slice()) {
        (Some(i), _) | (None, [i]) => Ok(Some(c.orgs[*i].view.id.clone())),
        (None, []) => Err("Zu diesem Namen gibt es keine Organisation. Prüfen Sie die Schreibweise."),
        (None, _) => Err("Mehrere Organisationen passen. Geben Sie den vollständigen Namen ein."),
    }
}

#[derive(Template)]
#[template(path = "pages/audit/list.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub errors: Errors,
    /// The whole log (an operator), else the organisation's.
    pub all: bool,
    pub filter: AuditFilter,
    pub actions: Vec<(String, String)>,
    pub types: Vec<(String, String)>,
    pub rows: Vec<AuditRow>,
    pub total: usize,
    pub pager: Pager,
}

/// `GET /protokoll`: the audit log the user may read, filtered, newest first.
pub async fn list(shop: Shop, q: web::Query<AuditFilter>) -> Page {
    let u = shop.require_user()?;
    let c = shop.app.catalogue()?;
    let filter = q.into_inner();
    let page = efa_api::params::Page { page: page_number(filter.seite.as_deref())?, per_page: PER_PAGE };
    let (errors, rows, total) = match filter.check(&c) {
        Ok(query) => {
            let query = AuditQuery { offset: page.offset(), limit: i64::from(page.per_page), ..query };
            let (events, total) = efa_api::operations::audit::events(&shop.app, &u.principal, query).await?;
            let people = People::of(&shop, events.iter().map(|e| e.actor.clone())).await?;
            (Errors::default(), events.into_iter().map(|e| AuditRow::of(&c, &people, e)).collect(), total)
        }
        Err(errors) => (errors, Vec::new(), 0),
    };
    let all = u.has(Role::Operator);
    let title = if all { "Protokoll".to_owned() } else { format!("Protokoll: {}", org_name(&c, &u.principal.org_id)) };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let p = AuditPage {
        layout: layout(&shop, title).await.with_errors(!errors.is_empty()),
        errors,
        all,
        pager: Pager::new("/protokoll", &filter.query(), "seite", page.page, page.last(total)),
        actions: options("Alle Aktionen", known_actions().map(|(a, de)| (a.to_owned(), de))),
        types: options("Alle Arten", RESOURCE_TYPES.iter().map(|(k, de)| ((*k).to_owned(), (*de).to_owned()))),
        filter,
        rows,
        total,
    };
    render_status(&p, status)
}
