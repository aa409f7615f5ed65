//! The one base layout every page fills: title, header with login state and what awaits the
//! user, flash message, footer with the legal pages and the feedback address.

use crate::assets;
use crate::session::{Flash, SessionUser, Shop};
use efa_domain::Role;

pub struct UserBox {
    pub name: String,
    pub org_name: String,
    pub roles: String,
    pub orders: bool,
    /// Decides on others' requests: a provider or a Land's coordinator.
    pub decides: bool,
    pub bundler: bool,
    pub operator: bool,
    /// A provider publisher: "Meine Onlinedienste".
    pub publishes: bool,
}

pub struct Layout {
    pub title: String,
    pub user: Option<UserBox>,
    pub csrf: String,
    pub flash: Option<Flash>,
    pub dev_login: bool,
    /// Things awaiting the user (to sign, to submit, to decide).
    pub awaiting: i64,
    /// Services in the comparison tray.
    pub tray: usize,
    /// Only the main part (an htmx request).
    pub partial: bool,
    /// The page shows a failed form: its title starts with "Fehler: ".
    pub has_errors: bool,
    pub feedback_email: String,
    /// The login link, coming back to this page.
    pub login_href: String,
}

pub fn role_de(r: Role) -> &'static str {
    match r {
        Role::MunicipalityUser => "Kommune",
        Role::ProviderPublisher => "Anbieter",
        Role::LandCoordinator => "Landeskoordination",
        Role::Bundler => "Bündelnde Organisation",
        Role::Operator => "Betrieb",
    }
}

impl Layout {
    /// A layout without session (error pages answered outside a handler).
    pub fn bare(title: &str) -> Layout {
        Layout {
            title: title.to_owned(),
            user: None,
            csrf: String::new(),
            flash: None,
            dev_login: false,
            awaiting: 0,
            tray: 0,
            partial: false,
            has_errors: false,
            feedback_email: crate::config::Operator::default().feedback_email,
            login_href: "/anmelden".into(),
        }
    }

    pub async fn of(shop: &Shop, title: impl Into<String>) -> Layout {
        let awaiting = match &shop.user {
            Some(u) => awaiting(shop, u).await.map(|a| a.total()).unwrap_or(0),
            None => 0,
        };
        Layout::counted(shop, title, awaiting)
    }

    /// With the header's count already read: the tasks page shows the same figures.
    pub fn counted(shop: &Shop, title: impl Into<String>, awaiting: i64) -> Layout {
        let user = shop.user.as_ref().map(user_box);
        Layout {
            title: title.into(),
            user,
            csrf: shop.csrf(),
            flash: shop.take_flash(),
            dev_login: shop.web.config.dev_login,
            awaiting,
            tray: shop.tray().len(),
            partial: shop.is_htmx(),
            has_errors: false,
            feedback_email: shop.web.config.operator.feedback_email.clone(),
            login_href: match shop.return_path() {
                p if p == "/" || p.starts_with("/anmelden") => "/anmelden".into(),
                p => format!("/anmelden?zurueck={}", crate::pages::urlencode(&p)),
            },
        }
    }

    pub fn with_errors(mut self, errors: bool) -> Layout {
        self.has_errors = errors;
        self
    }

    pub fn asset(&self, name: &str) -> &'static str {
        assets::url(name)
    }
}

fn user_box(u: &SessionUser) -> UserBox {
    UserBox {
        name: u.name.clone(),
        org_name: u.org_name.clone(),
        roles: u.principal.roles.iter().map(|r| role_de(*r)).collect::<Vec<_>>().join(", "),
        orders: u.orders(),
        decides: u.has(Role::ProviderPublisher) || u.has(Role::LandCoordinator),
        bundler: u.has(Role::Bundler),
        operator: u.has(Role::Operator),
        publishes: u.has(Role::ProviderPublisher),
    }
}

/// What awaits the user's organisation (the header's count and the "Meine Aufgaben" page).
pub async fn awaiting(shop: &Shop, u: &SessionUser) -> Result<efa_store::reuse::Awaiting, efa_api::error::ApiError> {
    let org = u.principal.org_id.clone();
    let land = u.has(Role::LandCoordinator).then(|| u.principal.land.as_ref().map(|l| l.to_string())).flatten();
    let operator = u.has(Role::Operator);
    shop.app
        .db(move |conn| {
            let mut a = efa_store::reuse::awaiting(conn, &org, land.as_deref())?;
            if operator {
                a.to_review = efa_store::listings::in_review_count(conn)?;
            }
            Ok(a)
        })
        .await
}
