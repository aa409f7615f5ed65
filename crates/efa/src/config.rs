//! Configuration from flags and environment variables (flags win).

use anyhow::Context;
use clap::Args;

#[derive(Args, Debug, Clone)]
pub struct Config {
    /// Database: a SQLite file path, or a postgres:// URL for PostgreSQL.
    #[arg(long, global = true, env = "DATABASE_URL", default_value = "efa.db")]
    pub database_url: String,
    /// Log filter (tracing EnvFilter syntax): error, warn, info, debug, or per target.
    #[arg(long, global = true, env = "EFA_LOG", default_value = "info")]
    pub log: String,
    /// JWKS file with the public keys that sign tokens (production). Without it the local
    /// development key next to the database is used, and created on first use.
    #[arg(long, global = true, env = "EFA_JWKS")]
    pub jwks: Option<std::path::PathBuf>,
    /// Expected `iss` claim.
    #[arg(long, global = true, env = "EFA_JWT_ISSUER", default_value = efa_api::auth::DEV_ISSUER)]
    pub jwt_issuer: String,
    /// Expected `aud` claim.
    #[arg(long, global = true, env = "EFA_JWT_AUDIENCE", default_value = efa_api::auth::DEFAULT_AUDIENCE)]
    pub jwt_audience: String,
    /// Maximum database connections in the pool.
    #[arg(long, global = true, env = "EFA_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,
}

impl Config {
    pub fn init_tracing(&self) {
        let filter = tracing_subscriber::EnvFilter::try_new(&self.log).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).with_writer(std::io::stderr).init();
    }

    /// `efa-dev-key.json` beside a SQLite file, else in the working directory.
    pub fn dev_key_path(&self) -> std::path::PathBuf {
        let db = std::path::Path::new(self.database_url.strip_prefix("sqlite://").unwrap_or(&self.database_url));
        match db.parent() {
            Some(dir) if efa_store::Backend::from_url(&self.database_url) == efa_store::Backend::Sqlite => dir.join("efa-dev-key.json"),
            _ => std::path::PathBuf::from("efa-dev-key.json"),
        }
    }

    pub fn verifier(&self) -> anyhow::Result<efa_api::auth::Verifier> {
        let jwks = match &self.jwks {
            Some(path) => std::fs::read_to_string(path).with_context(|| format!("reading JWKS {}", path.display()))?,
            None => {
                let path = self.dev_key_path();
                tracing::warn!(key = %path.display(), "no EFA_JWKS configured: trusting the local development key");
                efa_api::auth::DevKey::load_or_create(&path)?.jwks()
            }
        };
        efa_api::auth::Verifier::from_jwks(&jwks, &self.jwt_issuer, &self.jwt_audience)
    }

    pub fn connect(&self) -> anyhow::Result<efa_store::DbConn> {
        efa_store::DbConn::open(&self.database_url).with_context(|| format!("cannot open database {}", redact(&self.database_url)))
    }
}

/// A URL fit for logs: any password replaced.
pub fn redact(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(s), Some(at)) if at > s => {
            let userinfo = &url[s + 3..at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!("{}{user}:***{}", &url[..s + 3], &url[at..]),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// "90s", "30m", "1h", "7d" → seconds.
pub fn parse_ttl(s: &str) -> anyhow::Result<i64> {
    let (num, unit) = s.split_at(s.find(|c: char| !c.is_ascii_digit()).unwrap_or(s.len()));
    let n: i64 = num.parse().with_context(|| format!("{s:?} is not a duration like 30m, 1h or 7d"))?;
    let factor = match unit {
        "" | "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => 86_400,
        other => anyhow::bail!("unknown duration unit {other:?} (use s, m, h or d)"),
    };
    Ok(n * factor)
}

#[cfg(test)]
mod tests {
    use super::{parse_ttl, redact};

    #[test]
    fn ttl_units() {
        assert_eq!(parse_ttl("90s").unwrap(), 90);
        assert_eq!(parse_ttl("1h").unwrap(), 3600);
        assert_eq!(parse_ttl("7d").unwrap(), 604_800);
        assert!(parse_ttl("1y").is_err());
        assert!(parse_ttl("h").is_err());
    }


    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(redact("postgres://efa:secret@db:5432/efa"), "postgres://efa:***@db:5432/efa");
        assert_eq!(redact("postgres://postgres@127.0.0.1/test"), "postgres://postgres@127.0.0.1/test");
        assert_eq!(redact("efa.db"), "efa.db");
    }
}

/// How webhook deliveries go out (`efa serve`).
#[derive(Args, Debug, Clone)]
pub struct WebhookArgs {
    /// Whether webhook endpoints may be on loopback, private or link-local addresses. Default:
    /// only when bound to loopback (development); in production never (SSRF).
    #[arg(long, env = "EFA_WEBHOOK_PRIVATE_TARGETS")]
    pub webhook_private_targets: Option<bool>,
    /// Multiplies the retry schedule (5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h); tests shorten it.
    #[arg(long, env = "EFA_WEBHOOK_RETRY_SCALE", default_value_t = 1.0)]
    pub webhook_retry_scale: f64,
    /// Seconds an instance holds a delivery it sends; after a crash another takes it up then.
    #[arg(long, env = "EFA_WEBHOOK_LEASE_SECONDS", default_value_t = 60)]
    pub webhook_lease_seconds: u64,
}

impl WebhookArgs {
    pub fn settings(&self, bind: &str) -> efa_api::webhooks::Settings {
        let loopback = bind.parse::<std::net::SocketAddr>().is_ok_and(|a| a.ip().is_loopback()) || bind.starts_with("localhost:");
        efa_api::webhooks::Settings {
            allow_private: self.webhook_private_targets.unwrap_or(loopback),
            retry_scale: self.webhook_retry_scale,
            lease: std::time::Duration::from_secs(self.webhook_lease_seconds.max(1)),
            ..efa_api::webhooks::Settings::default()
        }
    }
}

/// The shop's settings (`efa serve`).
#[derive(Args, Debug, Clone)]
pub struct ShopArgs {
    /// Where people reach the shop (default http://<bind>); https:// unless bound to loopback.
    #[arg(long, env = "EFA_PUBLIC_URL")]
    pub public_url: Option<String>,
    /// OpenID Connect issuer URL (e.g. a Land's Keycloak realm). Without it, and bound to
    /// loopback, the shop offers a local development login instead.
    #[arg(long, env = "EFA_OIDC_ISSUER")]
    pub oidc_issuer: Option<String>,
    #[arg(long, env = "EFA_OIDC_CLIENT_ID", default_value = "efa-shop")]
    pub oidc_client_id: String,
    #[arg(long, env = "EFA_OIDC_CLIENT_SECRET", hide_env_values = true)]
    pub oidc_client_secret: Option<String>,
    /// ID-token claim naming the organisation (its id, ags:<AGS>, kreis:<code>, land:<code>, name:<name>).
    #[arg(long, env = "EFA_OIDC_ORG_CLAIM", default_value = "efa_org")]
    pub oidc_org_claim: String,
    /// ID-token claim with the roles (array, or space/comma separated).
    #[arg(long, env = "EFA_OIDC_ROLES_CLAIM", default_value = "efa_roles")]
    pub oidc_roles_claim: String,
    /// ID-token claim with the Land code a land_coordinator acts for.
    #[arg(long, env = "EFA_OIDC_LAND_CLAIM", default_value = "efa_land")]
    pub oidc_land_claim: String,
    /// Operator shown in Impressum and Datenschutz.
    #[arg(long, env = "EFA_OPERATOR_NAME")]
    pub operator_name: Option<String>,
    #[arg(long, env = "EFA_OPERATOR_ADDRESS")]
    pub operator_address: Option<String>,
    #[arg(long, env = "EFA_OPERATOR_EMAIL")]
    pub operator_email: Option<String>,
    #[arg(long, env = "EFA_OPERATOR_PHONE")]
    pub operator_phone: Option<String>,
    /// Where accessibility feedback goes (every page's footer).
    #[arg(long, env = "EFA_FEEDBACK_EMAIL")]
    pub feedback_email: Option<String>,
}

impl ShopArgs {
    pub fn web_config(&self, bind: &str) -> anyhow::Result<efa_web::WebConfig> {
        let oidc = self.oidc_issuer.as_ref().map(|issuer| efa_web::config::OidcConfig {
            issuer: issuer.trim_end_matches('/').to_owned(),
            client_id: self.oidc_client_id.clone(),
            client_secret: self.oidc_client_secret.clone(),
            org_claim: self.oidc_org_claim.clone(),
            roles_claim: self.oidc_roles_claim.clone(),
            land_claim: self.oidc_land_claim.clone(),
        });
        let d = efa_web::config::Operator::default();
        let operator = efa_web::config::Operator {
            name: self.operator_name.clone().unwrap_or(d.name),
            address: self.operator_address.clone().unwrap_or(d.address),
            email: self.operator_email.clone().unwrap_or(d.email),
            phone: self.operator_phone.clone(),
            feedback_email: self.feedback_email.clone().or_else(|| self.operator_email.clone()).unwrap_or(d.feedback_email),
            ..d
        };
        efa_web::WebConfig::new(self.public_url.clone(), bind, oidc, operator)
    }
}

/// E-mail (`efa serve`): without an SMTP server the mails are written to the log.
#[derive(Args, Debug, Clone)]
pub struct MailArgs {
    /// SMTP server, in lettre's URL form: smtp://host:25 (plain), smtp://user:pass@host:587?tls=required
    /// (STARTTLS), smtps://user:pass@host:465 (TLS). Without it every mail goes to the log.
    #[arg(long, env = "EFA_SMTP_URL", hide_env_values = true)]
    pub smtp_url: Option<String>,
    /// The mails' sender, e.g. "EfA-Marktplatz <marktplatz@example.de>" (required with an SMTP server).
    #[arg(long, env = "EFA_MAIL_FROM")]
    pub mail_from: Option<String>,
}

impl MailArgs {
    pub fn transport(&self) -> anyhow::Result<Box<dyn efa_api::mail::send::Transport>> {
        match (&self.smtp_url, &self.mail_from) {
            (Some(url), Some(from)) => Ok(Box::new(efa_api::mail::send::Smtp::new(url, from)?)),
            (Some(_), None) => anyhow::bail!("EFA_SMTP_URL is set but EFA_MAIL_FROM is not: name the mails' sender, e.g. \"EfA-Marktplatz <marktplatz@example.de>\""),
            (None, _) => Ok(Box::new(efa_api::mail::send::Log)),
        }
    }
}
