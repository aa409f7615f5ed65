//! The shop's configuration: where it is reachable, the identity provider, the operator's
//! details for Impressum and Datenschutz.

use std::net::SocketAddr;

/// The OpenID Connect identity provider (e.g. a Land's Keycloak) and how its claims map to
/// the organisation and roles the API knows.
#[derive(Debug, Clone)]
pub struct OidcConfig {
    pub issuer: String,
    pub client_id: String,
    pub client_secret: Option<String>,
    /// Claim holding the organisation: its id, or `ags:<AGS>`, `kreis:<code>`, `land:<code>`, `name:<name>`.
    pub org_claim: String,
    /// Claim holding the roles: an array of strings (or one string, space- or comma-separated).
    pub roles_claim: String,
    /// Claim holding the Land a land_coordinator acts for.
    pub land_claim: String,
}

/// Who runs this instance (Impressum, Datenschutz, the feedback address).
#[derive(Debug, Clone)]
pub struct Operator {
    pub name: String,
    pub address: String,
    pub email: String,
    pub phone: Option<String>,
    pub representative: Option<String>,
    pub privacy_officer: Option<String>,
    /// Where feedback on accessibility goes (Erklärung zur Barrierefreiheit, every page's footer).
    pub feedback_email: String,
    /// The Land's enforcement body (Schlichtungsstelle / Durchsetzungsverfahren).
    pub enforcement_body: String,
}

impl Default for Operator {
    fn default() -> Self {
        Operator {
            name: "Betreiber nicht konfiguriert (EFA_OPERATOR_NAME)".into(),
            address: "Anschrift nicht konfiguriert (EFA_OPERATOR_ADDRESS)".into(),
            email: "betrieb@example.invalid".into(),
            phone: None,
            representative: None,
            privacy_officer: None,
            feedback_email: "barrierefreiheit@example.invalid".into(),
            enforcement_body: "Schlichtungsstelle nach dem Behindertengleichstellungsgesetz (www.schlichtungsstelle-bgg.de)".into(),
        }
    }
}

#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Where people reach the shop, e.g. `https://marktplatz.example.de` (no trailing slash).
    pub public_url: String,
    pub oidc: Option<OidcConfig>,
    /// The local development login (choose organisation and role): only without an identity
    /// provider and on a loopback address; see [`WebConfig::new`].
    pub dev_login: bool,
    pub operator: Operator,
}

impl WebConfig {
    /// Checks the combination: plain http only on loopback; the development login only when
    /// no identity provider is configured and the server listens on loopback only.
    pub fn new(public_url: Option<String>, bind: &str, oidc: Option<OidcConfig>, operator: Operator) -> anyhow::Result<WebConfig> {
        let loopback = bind.parse::<SocketAddr>().map(|a| a.ip().is_loopback()).unwrap_or_else(|_| bind.starts_with("localhost:"));
        let public_url = public_url.unwrap_or_else(|| format!("http://{bind}")).trim_end_matches('/').to_owned();
        let https = public_url.starts_with("https://");
        if !https && !public_url.starts_with("http://") {
            anyhow::bail!("EFA_PUBLIC_URL must start with https:// (or http:// on a loopback address): {public_url}");
        }
        if !https && !loopback {
            anyhow::bail!("the shop serves logins and must be reached over https when not bound to loopback; set EFA_PUBLIC_URL=https://…");
        }
        let dev_login = oidc.is_none() && loopback;
        Ok(WebConfig { public_url, oidc, dev_login, operator })
    }

    /// Session cookies carry `Secure` unless the shop is plain http on loopback.
    pub fn secure_cookies(&self) -> bool {
        self.public_url.starts_with("https://")
    }

    /// `__Host-` binds the cookie to this host and path `/`; browsers accept it only with
    /// `Secure`, so plain http on loopback uses an unprefixed name.
    pub fn session_cookie_name(&self) -> &'static str {
        if self.secure_cookies() { "__Host-efa-sitzung" } else { "efa-sitzung" }
    }

    /// The origin (scheme, host, port) forms must come from.
    pub fn origin(&self) -> &str {
        match self.public_url.find("://").and_then(|s| self.public_url[s + 3..].find('/').map(|i| s + 3 + i)) {
            Some(end) => &self.public_url[..end],
            None => &self.public_url,
        }
    }

    /// No inline script, nothing from another origin; forms may also go to the identity
    /// provider (logout redirects there after our form).
    pub fn content_security_policy(&self) -> String {
        let idp = self.oidc.as_ref().map(|o| format!(" {}", origin_of(&o.issuer))).unwrap_or_default();
        format!("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'self'; form-action 'self'{idp}; frame-ancestors 'none'; base-uri 'none'")
    }
}

fn origin_of(url: &str) -> &str {
    match url.find("://").and_then(|s| url[s + 3..].find('/').map(|i| s + 3 + i)) {
        Some(end) => &url[..end],
        None => url,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_and_the_dev_login_only_on_loopback() {
        let c = WebConfig::new(None, "127.0.0.1:8080", None, Operator::default()).unwrap();
        assert!(c.dev_login);
        assert!(!c.secure_cookies());
        assert_eq!(c.session_cookie_name(), "efa-sitzung");
        assert!(WebConfig::new(None, "0.0.0.0:8080", None, Operator::default()).is_err());
        let public = WebConfig::new(Some("https://shop.example.de/".into()), "0.0.0.0:8080", None, Operator::default()).unwrap();
        assert!(!public.dev_login, "never the development login off loopback");
        assert_eq!(public.session_cookie_name(), "__Host-efa-sitzung");
        assert_eq!(public.origin(), "https://shop.example.de");
        let oidc = OidcConfig { issuer: "https://id.example.de/realms/x".into(), client_id: "c".into(), client_secret: None, org_claim: "o".into(), roles_claim: "r".into(), land_claim: "l".into() };
        let with_idp = WebConfig::new(None, "127.0.0.1:8080", Some(oidc), Operator::default()).unwrap();
        assert!(!with_idp.dev_login, "no development login beside a real identity provider");
        assert!(with_idp.content_security_policy().contains("form-action 'self' https://id.example.de;"));
        assert!(c.content_security_policy().contains("frame-ancestors 'none'"));
        assert!(!c.content_security_policy().contains("unsafe-inline"));
    }
}
