//! Authentication: JWT bearer tokens signed with RS256 or EdDSA, verified against a JWKS.
//!
//! Production configures the JWKS file of its identity provider. For trying things out
//! and for tests, a local Ed25519 development key (never committed) signs tokens minted by
//! `efa token`; its JWKS is derived from it.

use anyhow::Context;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64URL;
use base64::Engine;
use efa_domain::{LandCode, Principal, Role};
use jsonwebtoken::jwk::{AlgorithmParameters, JwkSet};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};
use std::path::Path;

pub const DEV_ISSUER: &str = "efa-dev";
/// The message of a 401 for a request that sent no token at all.
pub const NO_TOKEN: &str = "no bearer token";
pub const DEFAULT_AUDIENCE: &str = "efa-marktplatz";

/// Clock skew allowed between the identity provider and this server.
const LEEWAY_SECONDS: u64 = 30;

/// Claims every token must carry.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Claims {
    pub sub: String,
    /// Id of the caller's organisation.
    pub org: String,
    pub roles: Vec<String>,
    /// Two-digit Land code, required for land_coordinator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub land: Option<String>,
    pub iss: String,
    pub aud: String,
    pub exp: i64,
    pub nbf: i64,
    /// Optional (identity providers may leave it out); when present, not in the future.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<i64>,
}

#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("{}", NO_TOKEN)]
    Missing,
    #[error("invalid token: {0}")]
    Invalid(String),
}

struct Key {
    kid: Option<String>,
    alg: Algorithm,
    key: DecodingKey,
}

/// Tokens whose signature and claims were checked, kept per verifier (in two generations of
/// this many): a client sends the same token with every request until it expires, and an
/// Ed25519 or RSA verification costs more than the rest of a small request. A kept token is
/// the same string verified with the same keys, so only its times are checked again.
const CHECKED_HALF: usize = 512;

/// Verifies tokens: signature, algorithm, exp, nbf, iss, aud and the claims above.
pub struct Verifier {
    keys: Vec<Key>,
    issuer: String,
    audience: String,
    checked: std::sync::Mutex<crate::memo::Memo<std::sync::Arc<Claims>>>,
}

impl Verifier {
    /// Accepts RSA keys (RS256) and Ed25519 keys (EdDSA); symmetric keys are refused, so a
    /// token "signed" with a public key as HMAC secret can never verify.
    pub fn from_jwks(jwks: &str, issuer: &str, audience: &str) -> anyhow::Result<Verifier> {
        let set: JwkSet = serde_json::from_str(jwks).context("JWKS is not a JSON Web Key Set")?;
        let mut keys = Vec::new();
        for jwk in &set.keys {
            let alg = match &jwk.algorithm {
                AlgorithmParameters::RSA(_) => Algorithm::RS256,
                AlgorithmParameters::OctetKeyPair(_) => Algorithm::EdDSA,
                _ => anyhow::bail!("JWKS key {:?}: only RSA and Ed25519 keys are accepted", jwk.common.key_id),
            };
            keys.push(Key { kid: jwk.common.key_id.clone(), alg, key: DecodingKey::from_jwk(jwk).context("unusable JWKS key")? });
        }
        anyhow::ensure!(!keys.is_empty(), "JWKS holds no keys");
        Ok(Verifier { keys, issuer: issuer.to_owned(), audience: audience.to_owned(), checked: Default::default() })
    }

    pub fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let now = chrono::Utc::now().timestamp();
        let checked = || self.checked.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(claims) = checked().get(token, CHECKED_HALF) {
            in_time(&claims, now)?;
            return Ok(Claims::clone(&claims));
        }
        let claims = self.verify_signed(token)?;
        in_time(&claims, now)?;
        checked().put(token.into(), std::sync::Arc::new(claims.clone()), CHECKED_HALF);
        Ok(claims)
    }

    /// Signature, algorithm, issuer, audience and required claims (and exp and nbf as of now).
    fn verify_signed(&self, token: &str) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| AuthError::Invalid(e.to_string()))?;
        if !matches!(header.alg, Algorithm::RS256 | Algorithm::EdDSA) {
            return Err(AuthError::Invalid(format!("algorithm {:?} is not accepted", header.alg)));
        }
        let mut validation = Validation::new(header.alg);
        validation.algorithms = vec![header.alg];
        validation.set_issuer(&[&self.issuer]);
        validation.set_audience(&[&self.audience]);
        validation.set_required_spec_claims(&["exp", "nbf", "iss", "aud", "sub"]);
        validation.validate_nbf = true;
        validation.leeway = LEEWAY_SECONDS;
        let candidates = self.keys.iter().filter(|k| k.alg == header.alg && (header.kid.is_none() || k.kid == header.kid));
        let mut last = AuthError::Invalid("no key matches the token".into());
        for k in candidates {
            match jsonwebtoken::decode::<Claims>(token, &k.key, &validation) {
                Ok(data) => return Ok(data.claims),
                Err(e) => last = AuthError::Invalid(e.to_string()),
            }
        }
        Err(last)
    }
}

/// The times of verified claims as of `now` (seconds), with the leeway: not expired, valid
/// already, not issued in the future. Checked on every use of a kept token as well.
fn in_time(claims: &Claims, now: i64) -> Result<(), AuthError> {
    let leeway = LEEWAY_SECONDS as i64;
    if claims.exp < now - leeway {
        return Err(AuthError::Invalid("ExpiredSignature".into()));
    }
    if claims.nbf > now + leeway {
        return Err(AuthError::Invalid("ImmatureSignature".into()));
    }
    if claims.iat.is_some_and(|iat| iat > now + leeway) {
        return Err(AuthError::Invalid("the token was issued in the future (iat)".into()));
    }
    Ok(())
}

/// The domain principal from verified claims; malformed role or Land claims are invalid tokens.
pub fn principal(claims: &Claims) -> Result<Principal, AuthError> {
    let roles = claims.roles.iter().map(|r| Role::parse(r).map_err(|e| AuthError::Invalid(e.to_string()))).collect::<Result<Vec<_>, _>>()?;
    if roles.is_empty() {
        return Err(AuthError::Invalid("the token names no role".into()));
    }
    let land = claims.land.as_deref().map(LandCode::parse).transpose().map_err(|e| AuthError::Invalid(e.to_string()))?;
    if roles.contains(&Role::LandCoordinator) && land.is_none() {
        return Err(AuthError::Invalid("a land_coordinator token must name its Land".into()));
    }
    Ok(Principal { subject: claims.sub.clone(), org_id: claims.org.clone(), roles, land })
}

/// The local Ed25519 development key.
pub struct DevKey {
    kid: String,
    pkcs8: Vec<u8>,
    public: Vec<u8>,
}

#[derive(Serialize, Deserialize)]
struct DevKeyFile {
    kid: String,
    pkcs8: String,
}

impl DevKey {
    pub fn generate() -> anyhow::Result<DevKey> {
        use ring::signature::{Ed25519KeyPair, KeyPair};
        let doc = Ed25519KeyPair::generate_pkcs8(&ring::rand::SystemRandom::new()).map_err(|_| anyhow::anyhow!("key generation failed"))?;
        let pair = Ed25519KeyPair::from_pkcs8(doc.as_ref()).map_err(|_| anyhow::anyhow!("generated key unusable"))?;
        let kid = format!("dev-{}", &B64URL.encode(pair.public_key().as_ref())[..12]);
        Ok(DevKey { kid, pkcs8: doc.as_ref().to_vec(), public: pair.public_key().as_ref().to_vec() })
    }

    /// Reads the key file, creating it (mode 0600) on first use.
    pub fn load_or_create(path: &Path) -> anyhow::Result<DevKey> {
        use ring::signature::{Ed25519KeyPair, KeyPair};
        if path.exists() {
            let file: DevKeyFile = serde_json::from_slice(&std::fs::read(path)?).with_context(|| format!("{} is not a dev key file", path.display()))?;
            let pkcs8 = B64URL.decode(&file.pkcs8).context("dev key is not base64url")?;
            let pair = Ed25519KeyPair::from_pkcs8(&pkcs8).map_err(|_| anyhow::anyhow!("{} holds no Ed25519 key", path.display()))?;
            return Ok(DevKey { kid: file.kid, public: pair.public_key().as_ref().to_vec(), pkcs8 });
        }
        let key = DevKey::generate()?;
        let json = serde_json::to_vec_pretty(&DevKeyFile { kid: key.kid.clone(), pkcs8: B64URL.encode(&key.pkcs8) })?;
        write_private(path, &json).with_context(|| format!("writing {}", path.display()))?;
        Ok(key)
    }

    pub fn jwks(&self) -> String {
        serde_json::json!({"keys": [{"kty": "OKP", "crv": "Ed25519", "use": "sig", "alg": "EdDSA", "kid": self.kid, "x": B64URL.encode(&self.public)}]}).to_string()
    }

    pub fn mint(&self, claims: &Claims) -> anyhow::Result<String> {
        let mut header = Header::new(Algorithm::EdDSA);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &EncodingKey::from_ed_der(&self.pkcs8)).context("signing failed")
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(path)?.write_all(bytes)
}

/// Claims for a token valid from now for `ttl_seconds`.
pub fn claims_for(sub: &str, org: &str, roles: &[Role], land: Option<&str>, issuer: &str, audience: &str, ttl_seconds: i64) -> Claims {
    let now = chrono::Utc::now().timestamp();
    Claims {
        sub: sub.to_owned(),
        org: org.to_owned(),
        roles: roles.iter().map(|r| r.as_str().to_owned()).collect(),
        land: land.map(str::to_owned),
        iss: issuer.to_owned(),
        aud: audience.to_owned(),
        exp: now + ttl_seconds,
        nbf: now,
        iat: Some(now),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn setup() -> (DevKey, Verifier) {
        let key = DevKey::generate().unwrap();
        let v = Verifier::from_jwks(&key.jwks(), DEV_ISSUER, DEFAULT_AUDIENCE).unwrap();
        (key, v)
    }

    fn claims(ttl: i64) -> Claims {
        claims_for("alice", "org-1", &[Role::ProviderPublisher], None, DEV_ISSUER, DEFAULT_AUDIENCE, ttl)
    }

    #[test]
    fn a_minted_token_verifies() {
        let (key, v) = setup();
        let c = v.verify(&key.mint(&claims(3600)).unwrap()).unwrap();
        assert_eq!((c.sub.as_str(), c.org.as_str()), ("alice", "org-1"));
        assert_eq!(principal(&c).unwrap().roles, vec![Role::ProviderPublisher]);
    }

    #[test]
    fn expired_wrong_issuer_wrong_audience_and_other_keys_fail() {
        let (key, v) = setup();
        assert!(v.verify(&key.mint(&claims(-3600)).unwrap()).is_err());
        let mut c = claims(3600);
        c.iss = "someone-else".into();
        assert!(v.verify(&key.mint(&c).unwrap()).is_err());
        let mut c = claims(3600);
        c.aud = "another-api".into();
        assert!(v.verify(&key.mint(&c).unwrap()).is_err());
        let other = DevKey::generate().unwrap();
        assert!(v.verify(&other.mint(&claims(3600)).unwrap()).is_err());
    }

    #[test]
    fn a_kept_token_is_checked_for_its_times_and_only_the_same_string_is_kept() {
        let (key, v) = setup();
        let token = key.mint(&claims(3600)).unwrap();
        assert_eq!(v.verify(&token).unwrap().sub, "alice");
        assert_eq!(v.verify(&token).unwrap().sub, "alice", "the kept token verifies again");
        assert!(v.checked.lock().unwrap().get(&token, CHECKED_HALF).is_some(), "it was kept");
        // Another signature on the same header and payload is not the kept token.
        let (head, sig) = token.rsplit_once('.').unwrap();
        let flipped = format!("{head}.{}{}", if sig.starts_with('A') { 'B' } else { 'A' }, &sig[1..]);
        assert!(v.verify(&flipped).is_err(), "a changed signature is verified, and fails");
        let c = v.checked.lock().unwrap().get(&token, CHECKED_HALF).unwrap();
        let now = chrono::Utc::now().timestamp();
        assert!(in_time(&c, now).is_ok());
        assert!(in_time(&c, now + 3600 + 31).is_err(), "a kept token expires as any other");
        assert!(in_time(&c, now - 31 - 1).is_err(), "and is not valid before its nbf");
    }

    #[test]
    fn alg_none_and_hmac_are_refused() {
        let (key, v) = setup();
        let token = key.mint(&claims(3600)).unwrap();
        let payload = token.split('.').nth(1).unwrap();
        let none_header = B64URL.encode(br#"{"alg":"none","typ":"JWT"}"#);
        assert!(v.verify(&format!("{none_header}.{payload}.")).is_err());
        let hs = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &claims(3600), &EncodingKey::from_secret(key.jwks().as_bytes())).unwrap();
        assert!(v.verify(&hs).is_err());
    }

    #[test]
    fn coordinator_needs_a_land_and_roles_must_be_known() {
        let mut c = claims(3600);
        c.roles = vec!["land_coordinator".into()];
        assert!(principal(&c).is_err());
        c.land = Some("05".into());
        assert!(principal(&c).is_ok());
        c.roles = vec!["superuser".into()];
        assert!(principal(&c).is_err());
    }

    #[test]
    fn symmetric_keys_in_a_jwks_are_refused() {
        let jwks = r#"{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"x"}]}"#;
        assert!(Verifier::from_jwks(jwks, DEV_ISSUER, DEFAULT_AUDIENCE).is_err());
    }
}
