//! "Mein Konto": who the shop knows the user as, and whether they get e-mail about what awaits
//! them (the opt-out every mail links to). The login records the user for the mails.

use super::{layout, render_status, Page};
use crate::forms::{self, Errors};
use crate::layout::Layout;
use crate::session::{SessionUser, Shop};
use crate::see_other;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "pages/account.html")]
pub struct AccountPage {
    pub layout: Layout,
    pub errors: Errors,
    pub name: String,
    pub org_name: String,
    pub roles: String,
    pub email: Option<String>,
    /// The checkbox: mails wanted.
    pub notify: bool,
}

/// Records the logged-in person in the users table, where the mails find them (organisation,
/// roles, Land, address). A failure costs mails, not the login: it is logged.
pub async fn remember(shop: &Shop, u: &SessionUser) {
    let p = u.principal.clone();
    let (name, email) = (u.name.clone(), u.email.clone());
    let done = shop
        .app
        .db(move |conn| {
            let roles: Vec<&str> = p.roles.iter().map(|r| r.as_str()).collect();
            let login = efa_store::mail::Login {
                id: &p.subject,
                org_id: &p.org_id,
                roles: &roles,
                land_code: p.land.as_ref().map(|l| l.as_str()),
                display_name: &name,
                email: email.as_deref(),
                at: chrono::Utc::now().naive_utc(),
            };
            Ok(efa_store::mail::record_login(conn, &login)?)
        })
        .await;
    if let Err(e) = done {
        tracing::warn!(user = %u.principal.subject, error = %e, "the login could not be recorded for e-mail");
    }
}

async fn account_page(shop: &Shop, u: &SessionUser, errors: Errors, notify: Option<bool>, status: StatusCode) -> Page {
    let id = u.principal.subject.clone();
    let row = shop.app.db(move |conn| Ok(efa_store::mail::find_user(conn, &id)?)).await?;
    let page = AccountPage {
        layout: layout(shop, "Mein Konto").await.with_errors(!errors.is_empty()),
        errors,
        name: u.name.clone(),
        org_name: u.org_name.clone(),
        roles: u.principal.roles.iter().map(|r| crate::layout::role_de(*r)).collect::<Vec<_>>().join(", "),
        email: row.as_ref().and_then(|r| r.email.clone()).or_else(|| u.email.clone()),
        notify: notify.unwrap_or_else(|| row.is_none_or(|r| !r.mail_opt_out)),
    };
    render_status(&page, status)
}

/// `GET /konto`.
pub async fn page(shop: Shop) -> Page {
    let u = shop.require_user()?.clone();
    account_page(&shop, &u, Errors::default(), None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AccountForm {
    benachrichtigungen: Option<String>,
}

/// `POST /konto`: mails wanted or not.
pub async fn save(shop: Shop, body: web::Bytes) -> Page {
    let u = shop.require_user()?.clone();
    let form: AccountForm = forms::parse(&shop, &body)?.value;
    let notify = match form.benachrichtigungen.as_deref() {
        None => false,
        Some("ja") => true,
        Some(_) => {
            let mut errors = Errors::default();
            errors.add("benachrichtigungen", "Kreuzen Sie an, ob Sie E-Mail-Benachrichtigungen erhalten möchten.");
            return account_page(&shop, &u, errors, Some(false), StatusCode::BAD_REQUEST).await;
        }
    };
    // A session begun before logins were recorded has no row yet.
    remember(&shop, &u).await;
    let id = u.principal.subject.clone();
    shop.app.db(move |conn| Ok(efa_store::mail::set_opt_out(conn, &id, !notify)?)).await?;
    shop.flash("success", if notify { "Gespeichert: Sie erhalten E-Mail-Benachrichtigungen." } else { "Gespeichert: Sie erhalten keine E-Mail-Benachrichtigungen mehr." });
    Ok(see_other("/konto"))
}

