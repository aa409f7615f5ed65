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
    /// Maximum database connections in the pool.
    #[arg(long, global = true, env = "EFA_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,
}

impl Config {
    pub fn init_tracing(&self) {
        let filter = tracing_subscriber::EnvFilter::try_new(&self.log).unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
        tracing_subscriber::fmt().with_env_filter(filter).with_target(false).with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr())).with_writer(std::io::stderr).init();
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

#[cfg(test)]
mod tests {
    use super::redact;

    #[test]
    fn passwords_never_reach_the_log() {
        assert_eq!(redact("postgres://efa:secret@db:5432/efa"), "postgres://efa:***@db:5432/efa");
        assert_eq!(redact("postgres://postgres@127.0.0.1/test"), "postgres://postgres@127.0.0.1/test");
        assert_eq!(redact("efa.db"), "efa.db");
    }
}
