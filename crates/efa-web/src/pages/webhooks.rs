//! "Webhooks": an organisation's endpoints for its systems (Fachverfahren, portals), their
//! registration with the events to send, and the delivery log. The rules are the API's
//! (`efa_api::webhooks`); the signing secret is shown once, after registering.

use super::order::MemberChoice;
use super::requests::{page_number, NoFields};
use super::{datetime, layout, render, render_status, Page};
use crate::errors::WebError;
use crate::forms::{self, Errors};
use crate::layout::Layout;
use crate::see_other;
use crate::session::Shop;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use efa_api::error::ApiError;
use efa_api::webhooks::{self as op, Delivery, Endpoint, NewEndpoint};
use efa_domain::events::EventType;

/// What an event type means, in German.
pub fn event_type_de(t: EventType) -> &'static str {
    use EventType as E;
    match t {
        E::ListingCreated => "Eintrag angelegt",
        E::ListingUpdated => "Eintrag geändert",
        E::ListingSubmitted => "Eintrag zur Prüfung eingereicht",
        E::ListingPublished => "Eintrag veröffentlicht",
        E::ListingRejected => "Eintrag zurückgewiesen",
        E::ListingRetired => "Eintrag zurückgezogen",
        E::RequestCreated => "Anfrage angelegt",
        E::RequestSubmitted => "Anfrage eingereicht",
        E::RequestApproved => "Anfrage vom Land genehmigt",
        E::RequestRejected => "Anfrage vom Land abgelehnt",
        E::RequestAccepted => "Anfrage vom Anbieter angenommen",
        E::RequestDeclined => "Anfrage vom Anbieter abgelehnt",
        E::RequestWithdrawn => "Anfrage zurückgezogen",
        E::RequestActive => "Anfrage aktiv",
        E::RequestLive => "Anfrage live",
        E::RequestTerminated => "Anfrage beendet",
        E::MessageWritten => "Nachricht in der Abstimmung",
        E::AgreementCreated => "Vertrag zur Unterschrift",
        E::AgreementSigned => "Vertrag unterschrieben",
        E::AgreementActive => "Vertrag aktiv",
        E::AgreementOnboardingStep => "Onboarding-Schritt erledigt",
        E::AgreementLive => "Onlinedienst live",
        E::AgreementTerminated => "Vertrag gekündigt",
        E::FrameworkOffered => "Rahmenvertrag angeboten",
        E::FrameworkApproved => "Rahmenvertrag genehmigt",
        E::FrameworkAccession => "Beitritt zum Rahmenvertrag",
        E::WebhookDisabled => "Webhook abgeschaltet",
        E::CatalogueChanged => "Katalog geändert",
    }
}

fn type_label(raw: &str) -> String {
    EventType::parse(raw).map(event_type_de).unwrap_or("Unbekannt").to_owned()
}

pub struct EndpointRow {
    pub id: String,
    pub url: String,
    pub events: String,
    pub enabled: bool,
    pub reason: String,
}

impl From<Endpoint> for EndpointRow {
    fn from(e: Endpoint) -> EndpointRow {
        EndpointRow {
            events: if e.event_types.is_empty() { "Alle".to_owned() } else { e.event_types.iter().map(|t| type_label(t)).collect::<Vec<_>>().join(", ") },
            reason: e.disabled_reason.unwrap_or_default(),
            enabled: e.enabled,
            url: e.url,
            id: e.id,
        }
    }
}

#[derive(Template)]
#[template(path = "pages/webhooks/list.html")]
pub struct WebhooksPage {
    pub layout: Layout,
    pub errors: Errors,
    pub key: String,
    pub rows: Vec<EndpointRow>,
    pub url: String,
    pub types: Vec<MemberChoice>,
}

async fn list_page(shop: &Shop, url: String, chosen: &[String], errors: Errors, key: String) -> Page {
    let u = shop.require_user()?;
    let rows = op::list(&shop.app, &u.principal).await?.into_iter().map(EndpointRow::from).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::BAD_REQUEST };
    let page = WebhooksPage {
        layout: layout(shop, "Webhooks").await.with_errors(!errors.is_empty()),
        errors,
        key,
        rows,
        url,
        types: EventType::ALL.iter().map(|&t| MemberChoice { value: t.as_str().to_owned(), label: event_type_de(t).to_owned(), checked: chosen.iter().any(|c| c == t.as_str()) }).collect(),
    };
    render_status(&page, status)
}

/// `GET /webhooks`: the organisation's endpoints and the form to register one.
pub async fn list(shop: Shop) -> Page {
    list_page(&shop, String::new(), &[], Errors::default(), uuid::Uuid::new_v4().to_string()).await
}

/// `POST /webhooks`: registers an endpoint; the next page shows its secret once.
pub async fn register(shop: Shop, body: web::Bytes) -> Page {
    let u = shop.require_user()?.clone();
    let submitted = forms::parse::<Vec<(String, String)>>(&shop, &body)?;
    let key = submitted.key.clone().unwrap_or_default();
    let url = submitted.value.iter().find(|(k, _)| k == "url").map(|(_, v)| v.trim().to_owned()).unwrap_or_default();
    let chosen: Vec<String> = submitted.value.iter().filter(|(k, _)| k == "ereignisse").map(|(_, v)| v.clone()).collect();
    if url.is_empty() {
        let mut errors = Errors::default();
        errors.add("url", "Geben Sie die Adresse ein, an die gesendet wird.");
        return list_page(&shop, url, &chosen, errors, key).await;
    }
    match op::register(&shop.app, &u.principal, &shop.ctx(Some(&key)), NewEndpoint { url: url.clone(), event_types: chosen.clone() }).await {
        Ok(created) => {
            let body = created.body()?;
            let (id, secret) = (body["id"].as_str().unwrap_or_default().to_owned(), body["secret"].as_str().unwrap_or_default().to_owned());
            if created.is_replay() {
                shop.flash("success", "Der Webhook ist gespeichert.");
            } else {
                shop.flash("success", format!("Der Webhook ist gespeichert. Sein Signaturschlüssel wird nur jetzt angezeigt: {secret}"));
            }
            Ok(see_other(&format!("/webhooks/{id}")))
        }
        Err(e @ ApiError::Unprocessable(_)) => {
            let errors = Errors::from_api(e, &[("url", "url"), ("event_types", "ereignisse")], "url")?;
            list_page(&shop, url, &chosen, errors, key).await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct DeliveryRow {
    pub event: String,
    pub kind: String,
    pub state: &'static str,
    pub attempts: usize,
    pub last: String,
    pub when: String,
}

impl From<Delivery> for DeliveryRow {
    fn from(d: Delivery) -> DeliveryRow {
        let last = d.attempts.last().map(|a| match (a.status, &a.error) {
            (Some(s), _) if (200..300).contains(&s) => format!("HTTP {s}"),
            (Some(s), _) => format!("HTTP {s} (Fehler)"),
            (None, Some(e)) => format!("Keine Antwort: {e}"),
            (None, None) => "Keine Antwort".to_owned(),
        });
        DeliveryRow {
            kind: type_label(&d.event_type),
            state: match d.state.as_str() {
                "delivered" => "Zugestellt",
                "failed" => "Aufgegeben",
                _ => "Wird wiederholt",
            },
            attempts: d.attempts.len(),
            last: last.unwrap_or_else(|| "Noch nicht versucht".to_owned()),
            when: datetime(d.created_at),
            event: d.event_id,
        }
    }
}

#[derive(Template)]
#[template(path = "pages/webhooks/show.html")]
pub struct WebhookPage {
    pub layout: Layout,
    pub endpoint: EndpointRow,
    pub enable_action: String,
    pub delete_action: String,
    pub deliveries: Vec<DeliveryRow>,
    pub total: usize,
    pub pager: super::pager::Pager,
}

#[derive(serde::Deserialize)]
pub struct LogQuery {
    pub seite: Option<String>,
}

/// The endpoint id of a path: anything but a UUID is no page here.
fn endpoint_id(raw: &str) -> Result<String, WebError> {
    uuid::Uuid::parse_str(raw).map(|u| u.to_string()).map_err(|_| WebError::NotFound)
}

/// `GET /webhooks/{id}`: one endpoint and its delivery log.
pub async fn show(shop: Shop, path: web::Path<String>, q: web::Query<LogQuery>) -> Page {
    let u = shop.require_user()?;
    let path = endpoint_id(&path)?;
    let endpoint = op::get(&shop.app, &u.principal, &path).await?;
    let page = efa_api::params::Page { page: page_number(q.seite.as_deref())?, per_page: 20 };
    let (deliveries, total) = op::deliveries(&shop.app, &u.principal, &path, page).await?;
    let p = WebhookPage {
        layout: layout(&shop, "Webhook").await,
        pager: super::pager::Pager::new(&format!("/webhooks/{}", endpoint.id), "", "seite", page.page, page.last(total)),
        enable_action: format!("/webhooks/{}/aktivieren", endpoint.id),
        delete_action: format!("/webhooks/{}/loeschen", endpoint.id),
        endpoint: endpoint.into(),
        deliveries: deliveries.into_iter().map(DeliveryRow::from).collect(),
        total,
    };
    render(&p)
}

/// `POST /webhooks/{id}/loeschen`.
pub async fn remove(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    let u = shop.require_user()?.clone();
    let path = endpoint_id(&path)?;
    forms::parse::<NoFields>(&shop, &body)?;
    op::remove(&shop.app, &u.principal, &shop.ctx(None), &path).await?;
    shop.flash("success", "Der Webhook ist gelöscht.");
    Ok(see_other("/webhooks"))
}

/// `POST /webhooks/{id}/aktivieren`: after persistent failure, once the receiver works again.
pub async fn enable(shop: Shop, path: web::Path<String>, body: web::Bytes) -> Page {
    let u = shop.require_user()?.clone();
    let path = endpoint_id(&path)?;
    forms::parse::<NoFields>(&shop, &body)?;
    op::enable(&shop.app, &u.principal, &shop.ctx(None), &path).await?;
    shop.flash("success", "Der Webhook ist wieder eingeschaltet.");
    Ok(see_other(&format!("/webhooks/{path}")))
}
