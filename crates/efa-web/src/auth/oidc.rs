//! OpenID Connect: authorization code flow with PKCE (S256) and nonce against one configured
//! issuer; the ID token is verified (signature, issuer, audience, expiry, nonce) by the
//! `openidconnect` crate, then its claims are mapped to the organisation and roles the API
//! knows. Logout ends the session at the provider too (RP-initiated logout).

use crate::config::OidcConfig;
use openidconnect::core::{
    CoreAuthDisplay, CoreAuthenticationFlow, CoreClaimName, CoreClaimType, CoreClient, CoreClientAuthMethod, CoreGrantType, CoreJsonWebKey,
    CoreJweContentEncryptionAlgorithm, CoreJweKeyManagementAlgorithm, CoreResponseMode, CoreResponseType, CoreSubjectIdentifierType,
};
use openidconnect::{AdditionalProviderMetadata, AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, Scope, TokenResponse};
use serde::{Deserialize, Serialize};
use std::sync::RwLock;

/// Discovery metadata we read beyond the core: where logout goes.
#[derive(Clone, Debug, Deserialize, Serialize)]
pub struct LogoutMetadata {
    pub end_session_endpoint: Option<String>,
}
impl AdditionalProviderMetadata for LogoutMetadata {}

type Metadata = openidconnect::ProviderMetadata<
    LogoutMetadata,
    CoreAuthDisplay,
    CoreClientAuthMethod,
    CoreClaimName,
    CoreClaimType,
    CoreGrantType,
    CoreJweContentEncryptionAlgorithm,
    CoreJweKeyManagementAlgorithm,
    CoreJsonWebKey,
    CoreResponseMode,
    CoreResponseType,
    CoreSubjectIdentifierType,
>;

/// What the login keeps in the session between leaving for the provider and coming back.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    pub state: String,
    pub nonce: String,
    pub verifier: String,
    pub return_to: String,
}

/// The verified identity from the ID token.
#[derive(Debug, Clone)]
pub struct Identity {
    pub subject: String,
    pub name: Option<String>,
    pub email: Option<String>,
    pub org: Option<String>,
    pub roles: Vec<String>,
    pub land: Option<String>,
    pub id_token: String,
}

/// The configured provider; its discovery document is fetched on first use and kept (every
/// process fetches the same document: no state that differs between instances).
pub struct Provider {
    pub config: Option<OidcConfig>,
    metadata: RwLock<Option<Metadata>>,
}

fn http() -> ureq::Agent {
    ureq::AgentBuilder::new().redirects(0).timeout(std::time::Duration::from_secs(10)).build()
}

impl Provider {
    pub fn new(config: Option<OidcConfig>) -> Provider {
        Provider { config, metadata: RwLock::new(None) }
    }

    fn metadata(&self) -> anyhow::Result<Metadata> {
        let cfg = self.config.as_ref().ok_or_else(|| anyhow::anyhow!("no identity provider configured"))?;
        if let Some(m) = self.metadata.read().unwrap_or_else(|p| p.into_inner()).clone() {
            return Ok(m);
        }
        let m = Metadata::discover(&IssuerUrl::new(cfg.issuer.clone())?, &http()).map_err(|e| anyhow::anyhow!("discovery at {}: {e}", cfg.issuer))?;
        *self.metadata.write().unwrap_or_else(|p| p.into_inner()) = Some(m.clone());
        Ok(m)
    }

    fn client(&self, public_url: &str) -> anyhow::Result<(CoreClient<openidconnect::EndpointSet, openidconnect::EndpointNotSet, openidconnect::EndpointNotSet, openidconnect::EndpointNotSet, openidconnect::EndpointMaybeSet, openidconnect::EndpointMaybeSet>, Metadata)> {
        let cfg = self.config.as_ref().ok_or_else(|| anyhow::anyhow!("no identity provider configured"))?;
        let m = self.metadata()?;
        let client = CoreClient::from_provider_metadata(m.clone(), ClientId::new(cfg.client_id.clone()), cfg.client_secret.clone().map(ClientSecret::new))
            .set_redirect_uri(RedirectUrl::new(format!("{public_url}/anmelden/callback"))?);
        Ok((client, m))
    }

    /// Where to send the browser, and what to remember until it comes back. Blocking (discovery).
    pub fn begin(&self, public_url: &str, return_to: String) -> anyhow::Result<(String, PendingLogin)> {
        let (client, _) = self.client(public_url)?;
        let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
        let (url, state, nonce) = client
            .authorize_url(CoreAuthenticationFlow::AuthorizationCode, CsrfToken::new_random, Nonce::new_random)
            .add_scope(Scope::new("email".into()))
            .add_scope(Scope::new("profile".into()))
            .set_pkce_challenge(challenge)
            .url();
        Ok((url.to_string(), PendingLogin { state: state.secret().clone(), nonce: nonce.secret().clone(), verifier: verifier.secret().clone(), return_to }))
    }

    /// Exchanges the code and verifies the ID token. Blocking (token endpoint, keys).
    pub fn finish(&self, public_url: &str, pending: &PendingLogin, code: &str) -> anyhow::Result<Identity> {
        let cfg = self.config.as_ref().ok_or_else(|| anyhow::anyhow!("no identity provider configured"))?;
        let (client, _) = self.client(public_url)?;
        let tokens = client
            .exchange_code(AuthorizationCode::new(code.to_owned()))?
            .set_pkce_verifier(PkceCodeVerifier::new(pending.verifier.clone()))
            .request(&http())
            .map_err(|e| anyhow::anyhow!("token request: {e}"))?;
        let id_token = tokens.id_token().ok_or_else(|| anyhow::anyhow!("the provider sent no ID token"))?;
        let claims = id_token.claims(&client.id_token_verifier(), &Nonce::new(pending.nonce.clone())).map_err(|e| anyhow::anyhow!("ID token: {e}"))?;
        let raw = id_token.to_string();
        // The signature is verified above; our own claims are read from the same payload.
        let payload = raw.split('.').nth(1).ok_or_else(|| anyhow::anyhow!("ID token is not a JWS"))?;
        use base64::Engine;
        let json: serde_json::Value = serde_json::from_slice(&base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload.trim_end_matches('='))?)?;
        let text = |name: &str| json.get(name).and_then(|v| v.as_str()).map(str::to_owned);
        let roles = match json.get(&cfg.roles_claim) {
            Some(serde_json::Value::Array(items)) => items.iter().filter_map(|v| v.as_str().map(str::to_owned)).collect(),
            Some(serde_json::Value::String(s)) => s.split([' ', ',']).filter(|r| !r.is_empty()).map(str::to_owned).collect(),
            _ => Vec::new(),
        };
        Ok(Identity {
            subject: claims.subject().as_str().to_owned(),
            name: text("name").or_else(|| text("preferred_username")),
            email: claims.email().map(|e| e.as_str().to_owned()),
            org: text(&cfg.org_claim),
            roles,
            land: text(&cfg.land_claim),
            id_token: raw,
        })
    }

    /// The provider's logout URL for this session, if it has one.
    pub fn logout_url(&self, public_url: &str, id_token: Option<&str>) -> Option<String> {
        let cfg = self.config.as_ref()?;
        let m = self.metadata().ok()?;
        let end = m.additional_metadata().end_session_endpoint.clone()?;
        let mut url = format!("{end}{}post_logout_redirect_uri={}&client_id={}", if end.contains('?') { "&" } else { "?" }, crate::pages::urlencode(&format!("{public_url}/")), crate::pages::urlencode(&cfg.client_id));
        if let Some(t) = id_token {
            url.push_str(&format!("&id_token_hint={t}"));
        }
        Some(url)
    }
}
