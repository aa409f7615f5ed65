//! Login and logout: OpenID Connect against the configured issuer, or — with no issuer and
//! bound to loopback only — the local development login (choose organisation and role),
//! marked as such on every page. The API's bearer tokens are untouched by any of this.

pub mod oidc;

use crate::errors::WebError;
use crate::forms::{self, Errors};
use crate::layout::Layout;
use crate::pages::{layout, render, render_status, Page};
use crate::session::{SessionUser, Shop};
use crate::see_other;
use actix_web::http::StatusCode;
use actix_web::web;
use askama::Template;
use efa_api::catalogue::{Catalogue, OrgEntry};
use efa_domain::{Principal, Role};
use efa_store::seed::OrgKey;
use serde::Deserialize;

const PENDING: &str = "anmeldung";

/// Where to go after logging in: a path on this site only (no open redirect).
fn safe_return(back: Option<&str>) -> String {
    match back {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !p.starts_with("/\\") && !p.starts_with("/anmelden") => p.to_owned(),
        _ => "/".to_owned(),
    }
}

/// The organisation a login names (`ags:05315000`, `kreis:05154`, `land:05`, `name:…`, an id).
pub fn resolve_org<'c>(c: &'c Catalogue, key: &str) -> Option<&'c OrgEntry> {
    match OrgKey::parse(key).ok()? {
        OrgKey::Id(id) => c.org(&id),
        OrgKey::Name(name) => c.orgs.iter().find(|o| o.view.name == name),
    }
}

#[derive(Deserialize)]
pub struct LoginQuery {
    zurueck: Option<String>,
}

#[derive(Template)]
#[template(path = "pages/login.html")]
pub struct DevLoginPage {
    pub layout: Layout,
    pub errors: Errors,
    pub organisation: String,
    pub role: String,
    pub roles: Vec<(String, String)>,
    /// Optional: where the e-mail notifications go.
    pub email: String,
    pub zurueck: String,
}

fn role_options() -> Vec<(String, String)> {
    Role::ALL.iter().map(|r| (r.as_str().to_owned(), crate::layout::role_de(*r).to_owned())).collect()
}

/// `GET /anmelden`: off to the identity provider, or the development login's form.
pub async fn login_page(shop: Shop, q: web::Query<LoginQuery>) -> Page {
    let back = safe_return(q.zurueck.as_deref());
    if shop.web.config.oidc.is_some() {
        let ws = shop.web.clone();
        let (url, pending) = web::block(move || ws.oidc.begin(&ws.config.public_url, back))
            .await
            .map_err(|e| WebError::Internal(anyhow::anyhow!("{e}")))?
            .map_err(|e| {
                tracing::error!(error = %format!("{e:#}"), "cannot start the login at the identity provider");
                WebError::Unavailable
            })?;
        shop.session.insert(PENDING, pending).map_err(|e| WebError::Internal(anyhow::anyhow!("session: {e}")))?;
        return Ok(see_other(&url));
    }
    if !shop.web.config.dev_login {
        return Err(WebError::Unavailable);
    }
    let page = DevLoginPage { layout: layout(&shop, "Anmelden (Entwicklung)").await, errors: Errors::default(), organisation: String::new(), role: "municipality_user".into(), roles: role_options(), email: String::new(), zurueck: back };
    render(&page)
}

#[derive(Deserialize)]
pub struct DevLoginForm {
    #[serde(default)]
    organisation: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    email: String,
    zurueck: Option<String>,
}

/// Reads what a person types: an AGS (8 digits), a Kreis (5), a Land (2), or a name.
fn typed_org<'c>(c: &'c Catalogue, typed: &str) -> Option<&'c OrgEntry> {
    let t = typed.trim();
    let digits = t.chars().all(|ch| ch.is_ascii_digit());
    let key = match t.len() {
        8 if digits => format!("ags:{t}"),
        5 if digits => format!("kreis:{t}"),
        2 if digits => format!("land:{t}"),
        _ if t.contains(':') => t.to_owned(),
        _ => format!("name:{t}"),
    };
    resolve_org(c, &key)
}

/// `POST /anmelden`: the development login. Exists only where the development login may.
pub async fn dev_login(shop: Shop, body: web::Bytes) -> Page {
    if !shop.web.config.dev_login {
        return Err(WebError::NotFound);
    }
    let form: DevLoginForm = forms::parse(&shop, &body)?.value;
    let c = shop.app.catalogue()?;
    let mut errors = Errors::default();
    let org = typed_org(&c, &form.organisation);
    if form.organisation.trim().is_empty() {
        errors.add("organisation", "Geben Sie eine Organisation an: Name, AGS (8 Ziffern), Kreis (5) oder Land (2).");
    } else if org.is_none() {
        errors.add("organisation", "Diese Organisation ist nicht bekannt. Geben Sie den genauen Namen, eine AGS, einen Kreis- oder Landesschlüssel an.");
    }
    let role = Role::parse(&form.role).ok();
    if role.is_none() {
        errors.add("role", "Wählen Sie eine Rolle.");
    }
    let email = form.email.trim();
    if !email.is_empty() && !efa_api::mail::send::valid_address(email) {
        errors.add("email", "Geben Sie eine E-Mail-Adresse wie name@beispiel.de an oder lassen Sie das Feld leer.");
    }
    let (Some(org), Some(role), true) = (org, role, errors.is_empty()) else {
        let page = DevLoginPage {
            layout: layout(&shop, "Anmelden (Entwicklung)").await.with_errors(true),
            errors,
            organisation: form.organisation,
            role: form.role,
            roles: role_options(),
            email: form.email,
            zurueck: safe_return(form.zurueck.as_deref()),
        };
        return render_status(&page, StatusCode::BAD_REQUEST);
    };
    let land = org.view.land.as_ref().and_then(|l| efa_domain::LandCode::parse(&l.code).ok());
    let user = SessionUser {
        principal: Principal { subject: format!("dev:{}:{}", role.as_str(), org.view.id), org_id: org.view.id.clone(), roles: vec![role], land: if role == Role::LandCoordinator { land } else { None } },
        name: format!("Entwicklung ({})", crate::layout::role_de(role)),
        email: (!email.is_empty()).then(|| email.to_owned()),
        org_name: org.view.name.clone(),
        dev: true,
        id_token: None,
    };
    crate::pages::account::remember(&shop, &user).await;
    shop.log_in(user)?;
    shop.flash("success", format!("Angemeldet für {}.", org.view.name));
    Ok(see_other(&safe_return(form.zurueck.as_deref())))
}

#[derive(Deserialize)]
pub struct Callback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
}

/// `GET /anmelden/callback`: back from the identity provider.
pub async fn callback(shop: Shop, q: web::Query<Callback>) -> Page {
    let pending: oidc::PendingLogin = shop.session.remove_as(PENDING).and_then(Result::ok).ok_or_else(|| WebError::BadRequest("no login in progress".into()))?;
    if let Some(e) = &q.error {
        tracing::warn!(error = %e, "the identity provider refused the login");
        return Err(WebError::Forbidden(format!("login refused: {e}")));
    }
    let (Some(code), Some(state)) = (q.code.clone(), q.state.as_deref()) else {
        return Err(WebError::BadRequest("callback without code".into()));
    };
    if !crate::session::same(state.as_bytes(), pending.state.as_bytes()) {
        return Err(WebError::BadRequest("login state does not match".into()));
    }
    let ws = shop.web.clone();
    let p = pending.clone();
    let id = web::block(move || ws.oidc.finish(&ws.config.public_url, &p, &code)).await.map_err(|e| WebError::Internal(anyhow::anyhow!("{e}")))?.map_err(|e| {
        tracing::warn!(error = %format!("{e:#}"), "login failed");
        WebError::Forbidden("login failed".into())
    })?;
    let c = shop.app.catalogue()?;
    let org = id.org.as_deref().and_then(|k| resolve_org(&c, k)).ok_or_else(|| WebError::Forbidden("the login names no registered organisation".into()))?;
    let roles: Vec<Role> = id.roles.iter().filter_map(|r| Role::parse(r).ok()).collect();
    if roles.is_empty() {
        return Err(WebError::Forbidden("the login names no role of the marketplace".into()));
    }
    let land = id.land.as_deref().and_then(|l| efa_domain::LandCode::parse(l).ok());
    if roles.contains(&Role::LandCoordinator) && land.is_none() {
        return Err(WebError::Forbidden("a Land coordinator's login must name the Land".into()));
    }
    let user = SessionUser {
        principal: Principal { subject: id.subject.clone(), org_id: org.view.id.clone(), roles, land },
        name: id.name.clone().unwrap_or_else(|| id.subject.clone()),
        email: id.email.clone(),
        org_name: org.view.name.clone(),
        dev: false,
        id_token: Some(id.id_token),
    };
    crate::pages::account::remember(&shop, &user).await;
    shop.log_in(user)?;
    shop.flash("success", format!("Angemeldet für {}.", org.view.name));
    Ok(see_other(&pending.return_to))
}

#[derive(Deserialize)]
pub struct LogoutForm {}

/// `POST /abmelden`: the session ends here and at the identity provider.
pub async fn logout(shop: Shop, body: web::Bytes) -> Page {
    let _: forms::Submitted<LogoutForm> = forms::parse(&shop, &body)?;
    let id_token = shop.user.as_ref().and_then(|u| u.id_token.clone());
    shop.log_out();
    if shop.web.config.oidc.is_some() {
        let ws = shop.web.clone();
        let url = web::block(move || ws.oidc.logout_url(&ws.config.public_url, id_token.as_deref())).await.ok().flatten();
        if let Some(url) = url {
            return Ok(see_other(&url));
        }
    }
    shop.flash("info", "Sie sind abgemeldet.");
    Ok(see_other("/"))
}
