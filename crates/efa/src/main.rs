//! `efa`: the EfA Marktplatz server and its tools.

mod config;

use anyhow::Context;
use clap::{Parser, Subcommand};
use config::Config;
use std::path::PathBuf;

#[derive(Parser, Debug)]
#[command(name = "efa", version, about = "EfA Marktplatz: catalogue and reuse marketplace for EfA online services")]
struct Cli {
    #[command(flatten)]
    config: Config,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Serve the HTTP API (the database must be migrated; see `efa migrate`).
    Serve {
        /// Address to listen on.
        #[arg(long, env = "EFA_BIND", default_value = "127.0.0.1:8080")]
        bind: String,
        /// HTTP worker threads (default: one per CPU).
        #[arg(long, env = "EFA_WORKERS")]
        workers: Option<usize>,
        /// Searches each catalogue search index keeps with their results, for as long as the
        /// index lives (a snapshot); 0 keeps none.
        #[arg(long, env = "EFA_SEARCH_MEMO", default_value_t = 512)]
        search_memo: usize,
        #[command(flatten)]
        shop: config::ShopArgs,
        #[command(flatten)]
        webhooks: config::WebhookArgs,
        #[command(flatten)]
        mail: config::MailArgs,
    },
    /// Apply pending database migrations.
    Migrate,
    /// Load the real catalogue from the seed-data folder, in one transaction (idempotent).
    Seed {
        /// Folder holding the seed CSV files.
        #[arg(long, env = "EFA_SEED_DIR", default_value = "seed-data")]
        dir: PathBuf,
        /// Instead of the real data: add the deterministic synthetic national data set for load
        /// tests (2,000 listings, 200,000 reuse requests, users, bundlers). Needs the real seed first.
        #[arg(long)]
        synthetic: bool,
        /// Random seed of the synthetic data set.
        #[arg(long, default_value_t = 1, requires = "synthetic")]
        seed: u64,
    },
    /// Keep the OZG catalogue current: compare a newer catalogue with the current one and apply it.
    Catalogue {
        #[command(subcommand)]
        command: CatalogueCommand,
    },
    /// Real availability: the federal dashboard's export of what is online where.
    Availability {
        #[command(subcommand)]
        command: AvailabilityCommand,
    },
    /// Mint a bearer token with the local development key (created next to the database).
    Token {
        /// Organisation the token acts for: its id (see GET /api/v1/organisations), or
        /// `land:<code>` (Land government), `kreis:<code>` (a Kreis), `ags:<AGS>` (a Gemeinde),
        /// `name:<exact name>`.
        #[arg(long)]
        org: String,
        /// Role: municipality_user, provider_publisher, land_coordinator, bundler, operator.
        #[arg(long, required = true)]
        role: Vec<String>,
        /// Land code, required for land_coordinator.
        #[arg(long)]
        land: Option<String>,
        /// Subject (the user).
        #[arg(long, default_value = "dev-user")]
        sub: String,
        /// Lifetime, e.g. 30m, 1h, 7d.
        #[arg(long, default_value = "1h")]
        ttl: String,
    },
    /// Relevance of the catalogue search over a query set: recall@1, recall@3 and MRR per
    /// category, as Markdown (what `make bench` prints), from the catalogue in the database.
    SearchEval {
        /// The query set (`kategorie,anfrage,ozg_id,anmerkung`).
        #[arg(long, default_value = "crates/efa-api/tests/relevance/queries.csv")]
        queries: PathBuf,
    },
    /// Print the OpenAPI 3.1 document (or write it to a file).
    Openapi {
        /// Write to this file instead of standard output.
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

#[derive(Subcommand, Debug)]
enum CatalogueCommand {
    /// Import a newer OZG catalogue from a folder of CSV files in the shape of `seed-data/`:
    /// `ozg_leistungen.csv` (required), `ozg_leika_leistungen.csv`, `ozg_themenfelder.csv`,
    /// `ozg_lebenslagen.csv` and `ozg_nachfolger.csv` (`ozg_id,nachfolger_ozg_id`: successors of
    /// OZG-Leistungen the catalogue leaves out); a file left out leaves its part unchanged.
    /// Prints the difference; OZG-Leistungen left out are retired (never deleted) and their
    /// listings flagged for their providers. Applied in one transaction as a catalogue version.
    Import {
        /// The folder holding the files.
        dir: PathBuf,
        /// Print the difference and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Where the files come from (recorded in the version and the history); default: the folder.
        #[arg(long)]
        source: Option<String>,
        /// The date the source gives for its data (YYYY-MM-DD).
        #[arg(long)]
        source_date: Option<chrono::NaiveDate>,
    },
}

#[derive(Subcommand, Debug)]
enum AvailabilityCommand {
    /// Import the Dashboard Digitale Verwaltung's per-ARS export (the open-pvog CSV: `leika_key`,
    /// `ars`, `ozgid`, `url`, `online_status`, `aktiv`, `art_flaechendeckung`, …). Its online
    /// records replace the last export's as "known online elsewhere", shown in coverage beside
    /// what the marketplace provides.
    Import {
        /// The CSV file.
        file: PathBuf,
        #[arg(long)]
        dry_run: bool,
        /// Where the export comes from; default: the file name.
        #[arg(long)]
        source: Option<String>,
        /// The date of the export's data (YYYY-MM-DD); default: its `datenstand_pvog_import`.
        #[arg(long)]
        source_date: Option<chrono::NaiveDate>,
    },
}

/// A catalogue change from the command line: the database must be migrated; on SQLite no
/// `efa serve` may be running on the file (it would never see the change; use the API then).
fn catalogue_conn(config: &Config, dry_run: bool) -> anyhow::Result<(efa_store::DbConn, Option<std::fs::File>)> {
    let lock = match (efa_store::Backend::from_url(&config.database_url), dry_run) {
        (efa_store::Backend::Sqlite, false) => Some(lock_sqlite(&config.database_url).map_err(|e| {
            e.context("an efa serve runs on this SQLite database and would not see the change: import through the API (POST /api/v1/catalogue/imports, /api/v1/availability/imports) instead")
        })?),
        _ => None,
    };
    let mut conn = config.connect()?;
    if !efa_store::migrations::is_current(&mut conn)? {
        anyhow::bail!("the database is not migrated; run `efa migrate` first");
    }
    Ok((conn, lock))
}

/// An operation's refusal as the command line says it.
fn cli_error(e: efa_api::error::ApiError) -> anyhow::Error {
    match e {
        efa_api::error::ApiError::Unprocessable(fields) => anyhow::anyhow!("{}", fields.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("\n")),
        other => anyhow::anyhow!("{other}"),
    }
}

/// A file error naming the file by its path.
fn in_dir(dir: &std::path::Path, mut e: efa_store::seed::SeedError) -> anyhow::Error {
    if !e.file.contains('/') {
        e.file = dir.join(&e.file).display().to_string();
    }
    anyhow::anyhow!("{e}")
}

fn catalogue_command(config: &Config, command: CatalogueCommand) -> anyhow::Result<()> {
    let CatalogueCommand::Import { dir, dry_run, source, source_date } = command;
    let files = efa_store::catalogue::read_dir(&dir).map_err(|e| in_dir(&dir, e))?;
    let parsed = efa_store::catalogue::parse_catalogue(&files).map_err(|e| in_dir(&dir, e))?;
    let (mut conn, _lock) = catalogue_conn(config, dry_run)?;
    let source = efa_api::operations::catalogue::Source { kind: "import", name: source.unwrap_or_else(|| dir.display().to_string()), date: source_date };
    let report = efa_api::operations::catalogue::import_on(&mut conn, &efa_api::operations::catalogue::Actor::cli(), &parsed, &source, dry_run)
        .map_err(|e| match e {
            efa_api::error::ApiError::Unprocessable(fields) => anyhow::anyhow!(
                "{}",
                fields.iter().map(|f| f.message.split_once(':').map_or_else(|| f.message.clone(), |(file, rest)| format!("{}:{rest}", dir.join(file).display()))).collect::<Vec<_>>().join("\n")
            ),
            other => cli_error(other),
        })?;
    println!("{report}");
    Ok(())
}

fn availability_command(config: &Config, command: AvailabilityCommand) -> anyhow::Result<()> {
    let AvailabilityCommand::Import { file, dry_run, source, source_date } = command;
    let bytes = std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?;
    let name: &'static str = Box::leak(file.display().to_string().into_boxed_str());
    let export = efa_store::catalogue::parse_dashboard(name, &bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    let (mut conn, _lock) = catalogue_conn(config, dry_run)?;
    let source = efa_api::operations::catalogue::Source { kind: "availability", name: source.unwrap_or_else(|| file.display().to_string()), date: source_date };
    let r = efa_api::operations::catalogue::availability_on(&mut conn, &efa_api::operations::catalogue::Actor::cli(), &export, &source, dry_run).map_err(cli_error)?;
    println!(
        "availability import ({}): {} records, {} online ({} mapped to an OZG-Leistung) in {} areas; replaces {} online records{}",
        if dry_run { "dry run, nothing written" } else { "applied" },
        r.records,
        r.online,
        r.mapped_to_ozg,
        r.areas,
        r.replaced,
        r.version.as_ref().map(|v| format!("; recorded as catalogue version {}", v.id)).unwrap_or_default()
    );
    Ok(())
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    cli.config.init_tracing();
    match cli.command {
        Command::Serve { bind, workers, search_memo, shop, webhooks, mail } => {
            efa_api::catalogue::engine::set_memo_entries(search_memo);
            serve(&cli.config, &bind, workers, &shop, &webhooks, &mail)
        }
        Command::Migrate => {
            let mut conn = cli.config.connect()?;
            let applied = efa_store::migrations::run(&mut conn)?;
            println!("applied {} migration(s){}", applied.len(), if applied.is_empty() { String::new() } else { format!(": {}", applied.join(", ")) });
            Ok(())
        }
        Command::Seed { dir, synthetic, seed } => {
            let mut conn = cli.config.connect()?;
            if !efa_store::migrations::is_current(&mut conn)? {
                anyhow::bail!("the database is not migrated; run `efa migrate` first");
            }
            if synthetic {
                println!("{}", efa_store::synthetic::run(&mut conn, seed)?);
                return Ok(());
            }
            let report = efa_store::seed::run(&mut conn, &dir).with_context(|| format!("seeding from {}", dir.display()))?;
            println!("{report}");
            Ok(())
        }
        Command::Catalogue { command } => catalogue_command(&cli.config, command),
        Command::Availability { command } => availability_command(&cli.config, command),
        Command::Token { org, role, land, sub, ttl } => {
            let roles = role.iter().map(|r| efa_domain::Role::parse(r)).collect::<Result<Vec<_>, _>>()?;
            let org = resolve_org(&cli.config, &org)?;
            let key = efa_api::auth::DevKey::load_or_create(&cli.config.dev_key_path())?;
            let claims = efa_api::auth::claims_for(&sub, &org, &roles, land.as_deref(), &cli.config.jwt_issuer, &cli.config.jwt_audience, config::parse_ttl(&ttl)?);
            println!("{}", key.mint(&claims)?);
            Ok(())
        }
        Command::SearchEval { queries } => {
            let text = std::fs::read_to_string(&queries).with_context(|| format!("reading {}", queries.display()))?;
            let cases = efa_api::catalogue::relevance::read_cases(&text)?;
            let mut conn = cli.config.connect()?;
            let catalogue = efa_api::catalogue::build(&efa_api::catalogue::load_rows(&mut conn)?)?;
            print!("{}", efa_api::catalogue::relevance::evaluate(&catalogue, &cases));
            Ok(())
        }
        Command::Openapi { out } => {
            let json = efa_api::openapi::spec_json();
            match out {
                Some(path) => std::fs::write(&path, json).with_context(|| format!("writing {}", path.display())),
                None => {
                    print!("{json}");
                    Ok(())
                }
            }
        }
    }
}

/// An organisation id from a UUID or a readable key.
fn resolve_org(config: &Config, key: &str) -> anyhow::Result<String> {
    match efa_store::seed::OrgKey::parse(key).map_err(|e| anyhow::anyhow!("--org: {e}"))? {
        efa_store::seed::OrgKey::Id(id) => Ok(id),
        efa_store::seed::OrgKey::Name(name) => {
            let mut conn = config.connect()?;
            Ok(efa_store::models::OrganisationRow::find_by_name(&mut conn, &name)?.with_context(|| format!("no organisation is named {name:?}"))?.id)
        }
    }
}

/// Holds an exclusive lock on `<file>.serve-lock` while the server runs; a second server on
/// the same SQLite file is refused.
fn lock_sqlite(url: &str) -> anyhow::Result<std::fs::File> {
    // The file itself, however it is named (a symlink or another relative path to it).
    let file = url.strip_prefix("sqlite://").unwrap_or(url);
    let file = std::fs::canonicalize(file).map_or_else(|_| file.to_owned(), |p| p.display().to_string());
    let path = format!("{file}.serve-lock");
    let file = std::fs::OpenOptions::new().create(true).truncate(false).write(true).open(&path).with_context(|| format!("cannot open {path}"))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => anyhow::bail!(
            "another efa serve is already running on the SQLite database {url} (it holds {path}). SQLite serves one process; \
             run several instances on PostgreSQL (DATABASE_URL=postgres://…) instead"
        ),
        Err(std::fs::TryLockError::Error(e)) => Err(anyhow::Error::from(e).context(format!("cannot lock {path}"))),
    }
}

fn serve(config: &Config, bind: &str, workers: Option<usize>, shop: &config::ShopArgs, webhooks: &config::WebhookArgs, mail: &config::MailArgs) -> anyhow::Result<()> {
    let web_config = shop.web_config(bind)?;
    let mail_transport = mail.transport()?;
    if mail.smtp_url.is_none() {
        tracing::warn!("no SMTP server configured (EFA_SMTP_URL): e-mails are written to the log");
    }
    if web_config.dev_login {
        tracing::warn!("no identity provider configured (EFA_OIDC_ISSUER): the shop offers the local development login");
    }
    // SQLite is one process's database: a second server on the same file would serve from a
    // read model that never hears of the first one's writes.
    let _single = match efa_store::Backend::from_url(&config.database_url) {
        efa_store::Backend::Sqlite => Some(lock_sqlite(&config.database_url)?),
        efa_store::Backend::Postgres => None,
    };
    let pool = efa_store::pool(&config.database_url, config.pool_size);
    let mut state = efa_api::AppState::with_verifier(pool.clone(), config.verifier()?);
    state.webhooks = std::sync::Arc::new(webhooks.settings(bind));
    if state.webhooks.allow_private {
        tracing::warn!("webhook endpoints may be on loopback and private addresses (development; EFA_WEBHOOK_PRIVATE_TARGETS)");
    }
    // Where the outbox stands before the read model is read: what other instances write from
    // here on, the follower applies (PostgreSQL).
    let outbox_head = pool.get().ok().and_then(|mut c| efa_store::events::head(&mut c).ok()).unwrap_or(0);
    // Load the catalogue before accepting traffic; if the database is down, start anyway:
    // /readyz answers 503 and loads the catalogue once the database is back.
    let t = std::time::Instant::now();
    let ms = |t: std::time::Instant| t.elapsed().as_secs_f64() * 1000.0;
    // The live agreements (for coverage) load on a second connection while the catalogue
    // rows are read and built: start-up takes the longer of the two, not their sum.
    let today = efa_domain::calendar::today();
    let loaded = std::thread::scope(|scope| {
        let live = scope.spawn(|| -> anyhow::Result<_> {
            let live = efa_store::reuse::live_agreements(&mut *pool.get()?, today)?;
            tracing::info!(live_ms = ms(t), "live agreements loaded");
            Ok(live)
        });
        let catalogue = pool.get().map_err(anyhow::Error::from).and_then(|mut conn| {
            let rows = efa_api::catalogue::load_rows(&mut conn)?;
            let rows_ms = ms(t);
            let catalogue = efa_api::catalogue::build(&rows)?;
            tracing::info!(rows_ms, built_ms = ms(t), "catalogue loaded");
            Ok((rows, catalogue))
        });
        let live = live.join().map_err(|_| anyhow::anyhow!("loading the live agreements panicked"))?;
        Ok::<_, anyhow::Error>((catalogue?, live?))
    });
    match loaded {
        Ok(((rows, catalogue), live)) => {
            let n = live.len();
            state.install(rows, catalogue, today, live);
            tracing::info!(total_ms = ms(t), live_agreements = n, "coverage built");
        }
        Err(e) => tracing::warn!(error = %e, "catalogue not loaded at start; /readyz stays 503 until the database is reachable"),
    }
    // The session key is shared through the database by every instance.
    let session_key = match pool.get() {
        Ok(mut conn) => efa_web::session_key(&mut conn)?,
        Err(e) => anyhow::bail!("the database is needed at start for the shop's session key: {e}"),
    };
    // Every instance sends mail; the database makes sure each mail goes out once.
    efa_api::mail::Mailer::new(&state, &web_config.public_url, mail_transport).spawn();
    let frontend = efa_web::frontend(web_config, session_key);
    let workers = workers.unwrap_or_else(|| std::thread::available_parallelism().map(|n| n.get()).unwrap_or(2));
    actix_web::rt::System::new().block_on(async move {
        // Every instance delivers webhooks; they share the work through the database.
        efa_api::webhooks::spawn(state.clone());
        if efa_store::Backend::from_url(&config.database_url) == efa_store::Backend::Postgres {
            efa_api::follow::spawn(state.clone(), config.database_url.clone(), outbox_head);
        }
        // Terminated agreements count until their end date: coverage is rebuilt when the day
        // changes in Berlin.
        let daily = state.clone();
        actix_web::rt::spawn(async move {
            loop {
                actix_web::rt::time::sleep(std::time::Duration::from_secs(60)).await;
                if let Err(e) = daily.refresh_if_day_changed().await {
                    tracing::warn!(error = %e, "coverage refresh for the new day failed; retrying in a minute");
                }
            }
        });
        let server = actix_web::HttpServer::new(move || efa_api::app_with(state.clone(), Some(frontend.clone())))
            .workers(workers)
            .shutdown_timeout(10)
            .bind(bind)
            .with_context(|| format!("cannot listen on {bind}"))?;
        for addr in server.addrs() {
            tracing::info!(%addr, docs = %format!("http://{addr}/docs/"), "listening");
            println!("efa listening on http://{addr} (shop: http://{addr}/, API docs: http://{addr}/docs/)");
        }
        // actix-web stops gracefully on SIGTERM and SIGINT: in-flight requests finish first.
        server.run().await.context("server stopped with an error")
    })
}
