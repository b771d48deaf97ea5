//! `dosvid`: runs the server and does the operator's work from the command line — import and
//! export, the demo company, migrations, API keys. Glue only: the work is in the library crates.

mod bench;
mod db;
mod demo;
mod export;
mod import;
mod text;

/// mimalloc instead of the system allocator: the import's reader thread allocates what the
/// writer thread frees, and glibc's arenas spent a fifth of the import in malloc and free.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::net::SocketAddr;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use dosvid_domain::RecordKind;

#[derive(Parser)]
#[command(
    name = "dosvid",
    version,
    about = "Dosvid customer experience management"
)]
struct Cli {
    /// How log lines are written to standard error: `text` for people, `json` (one object per
    /// line) for a log collector.
    #[arg(long, global = true, env = "DOSVID_LOG_FORMAT", default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum LogFormat {
    Text,
    Json,
}

/// Where the data lives: `sqlite://PATH` (the default) or `postgres://USER@HOST/DB`.
#[derive(clap::Args, Clone)]
struct DbArg {
    #[arg(long, env = "DOSVID_DB", default_value = "sqlite://dosvid.db")]
    db: String,
}

/// How the server meets the network around it.
#[derive(clap::Args, Default)]
struct Exposure {
    /// The address customers reach this server at (e.g. https://cx.example.com), used in
    /// the survey links it hands out and accepted as the origin of forms; default: the address
    /// each request was made to.
    #[arg(long, env = "DOSVID_PUBLIC_URL")]
    public_url: Option<String>,
    /// Proxies (address or CIDR, repeatable) whose X-Forwarded-For names the client for the
    /// rate limit; without one, the header is ignored.
    #[arg(long, env = "DOSVID_TRUSTED_PROXY", value_delimiter = ',')]
    trusted_proxy: Vec<dosvid_server::Network>,
    /// Private networks (CIDR, repeatable) webhooks may be sent to; any other private,
    /// loopback or link-local address is refused.
    #[arg(long, env = "DOSVID_WEBHOOK_ALLOW_NETWORK", value_delimiter = ',')]
    webhook_allow_network: Vec<dosvid_server::Network>,
    /// The bearer token `GET /metrics` asks for; without one, the metrics (counts and times,
    /// no customer data) are open to whoever reaches the port.
    #[arg(long, env = "DOSVID_METRICS_TOKEN")]
    metrics_token: Option<String>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve the API.
    Serve {
        #[command(flatten)]
        db: DbArg,
        #[arg(long, env = "DOSVID_LISTEN", default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[command(flatten)]
        exposure: Exposure,
    },
    /// Build the demo company into a database (if it is empty) and serve it.
    Demo {
        /// Multiplies the demo's size (1 = 20,000 customers, ~100,000 feedback records).
        #[arg(long, default_value_t = 1)]
        scale: u32,
        #[arg(long, default_value = "127.0.0.1:8080")]
        listen: SocketAddr,
        #[arg(long, default_value = "sqlite://demo.db")]
        db: String,
        /// Build the data and exit without serving.
        #[arg(long)]
        no_serve: bool,
        #[command(flatten)]
        exposure: Exposure,
    },
    /// Import customers or signals from CSV or JSONL (chosen by extension, or --format).
    Import {
        kind: Kind,
        file: PathBuf,
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        format: Option<Format>,
        /// Rename input columns: `--map ts=occurred_at,response_id=external_id`.
        #[arg(long, value_delimiter = ',')]
        map: Vec<String>,
        /// Where to write rejected rows with reasons (default: FILE.rejected.FORMAT).
        #[arg(long)]
        rejects: Option<PathBuf>,
        /// Records per transaction.
        #[arg(long, default_value_t = 10_000)]
        batch: usize,
        /// No progress bar.
        #[arg(long)]
        quiet: bool,
        /// Rebuild secondary indexes after the load instead of maintaining them row by row
        /// (the default for files of 16 MiB or more).
        #[arg(long, conflicts_with = "no_bulk")]
        bulk: bool,
        /// Maintain indexes row by row even for a large file.
        #[arg(long)]
        no_bulk: bool,
        /// The file's encoding when it is not UTF-8: cp1251, koi8-r, koi8-u, utf-16 (little
        /// endian unless a byte-order mark says otherwise) or utf-16be.
        #[arg(long, value_parser = import::parse_encoding)]
        encoding: Option<&'static encoding_rs::Encoding>,
    },
    /// Export records as CSV or JSONL.
    Export {
        kind: Kind,
        #[command(flatten)]
        db: DbArg,
        #[arg(long, default_value = "csv")]
        format: Format,
        /// File to write; standard output when absent.
        #[arg(long, short)]
        output: Option<PathBuf>,
    },
    /// Copy a SQLite database while servers use it (SQLite's online backup) into a new file.
    /// For PostgreSQL, use pg_dump.
    Backup {
        #[command(flatten)]
        db: DbArg,
        /// The file to write; it must not exist.
        #[arg(long)]
        to: PathBuf,
    },
    /// Create or upgrade the database schema.
    Migrate {
        #[command(flatten)]
        db: DbArg,
    },
    /// Measure a capability against a peer run side by side.
    Bench {
        #[command(subcommand)]
        command: BenchCommand,
    },
    /// Manage the organisations one installation serves.
    Orgs {
        #[command(subcommand)]
        command: OrgsCommand,
    },
    /// Manage API keys.
    Keys {
        #[command(subcommand)]
        command: KeysCommand,
    },
    /// Manage organisation units: who sees which records.
    Units {
        #[command(subcommand)]
        command: UnitsCommand,
    },
    /// Manage the people who sign in to the web application.
    Users {
        #[command(subcommand)]
        command: UsersCommand,
    },
    /// Measure what Dosvid reads in comments on labelled data, next to VADER.
    Eval {
        #[command(subcommand)]
        command: EvalCommand,
    },
    /// Read texts as Dosvid reads comments.
    Text {
        #[command(subcommand)]
        command: TextCommand,
    },
}

#[derive(Subcommand)]
enum EvalCommand {
    /// Language, garbage and sentiment on every labelled set; VADER on the English ones.
    Text {
        /// The folder of the labelled sets.
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
    },
}

#[derive(Subcommand)]
enum TextCommand {
    /// Print language, garbage and sentiment of each line (or CSV value) as JSON lines.
    Analyze {
        /// A file of texts, one per line, or `-` for standard input.
        #[arg(default_value = "-")]
        file: PathBuf,
        /// Read this column of a CSV file instead of lines.
        #[arg(long)]
        column: Option<String>,
    },
}

#[derive(Subcommand)]
enum UsersCommand {
    /// Create a user and print their password if none was given.
    Create {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// Make the user an administrator (same as --role admin).
        #[arg(long)]
        admin: bool,
        /// admin, cx_manager, analyst, team_lead, agent or viewer.
        #[arg(long, default_value = "analyst")]
        role: String,
        /// The interface language: uk, en or ru.
        #[arg(long, default_value = "uk")]
        language: String,
        /// The agent id interactions and feedback name this person by (their own view: /me).
        #[arg(long)]
        agent: Option<String>,
        /// The password (at least 10 characters); read from DOSVID_PASSWORD, else generated.
        #[arg(long, env = "DOSVID_PASSWORD", hide_env_values = true)]
        password: Option<String>,
        /// The organisation (its id; default: the first).
        #[arg(long)]
        org: Option<i64>,
        /// The organisation unit whose records they see (its id; default: the whole
        /// organisation). Units: `dosvid units list`.
        #[arg(long)]
        unit: Option<i64>,
    },
}

#[derive(Subcommand)]
enum KeysCommand {
    /// Create an API key and print it (it is shown only this once).
    Create {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        name: String,
        /// The organisation (its id; default: the first).
        #[arg(long)]
        org: Option<i64>,
        /// What it may do: read, write, manage, admin, comma-separated.
        #[arg(long, default_value = "read,write,manage,admin")]
        scopes: String,
        /// The day it stops working (YYYY-MM-DD).
        #[arg(long)]
        expires: Option<chrono::NaiveDate>,
        /// The organisation unit whose records it sees (its id; default: the whole
        /// organisation).
        #[arg(long)]
        unit: Option<i64>,
    },
}

#[derive(Subcommand)]
enum UnitsCommand {
    /// Create an organisation unit and print its id. A rule is the filters of `/query` as JSON
    /// without a period, e.g. '{"customer": {"region": "Lviv"}}' or '{"department": "Branches"}';
    /// the unit sees the records any of its rules (or its sub-units' rules) admits.
    Create {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        name: String,
        /// The unit above (its id; default: directly under the organisation).
        #[arg(long)]
        parent: Option<i64>,
        /// A rule as JSON; repeat for several.
        #[arg(long = "rule")]
        rules: Vec<String>,
        #[arg(long)]
        org: Option<i64>,
    },
    /// List the units: id, parent, name, rules.
    List {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        org: Option<i64>,
    },
}

#[derive(Subcommand)]
enum OrgsCommand {
    /// Create an organisation with the default channels and journey; print its id. Its users
    /// and keys are made with `--org ID`; it sees nothing of the others' data.
    Create {
        #[command(flatten)]
        db: DbArg,
        #[arg(long)]
        name: String,
        /// IANA time zone its days are counted in.
        #[arg(long, default_value = "Europe/Kyiv")]
        time_zone: String,
    },
    /// List the organisations: id, name, time zone.
    List {
        #[command(flatten)]
        db: DbArg,
    },
}

#[derive(Subcommand)]
enum BenchCommand {
    /// CSV import of feedback records into a fresh SQLite database.
    Import {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Keep the generated CSV in this folder (and reuse it next time).
        #[arg(long)]
        data: Option<PathBuf>,
    },
    /// What reading comments adds to the batch API: the same batches with and without comments.
    Ingest {
        /// The labelled sets whose texts become the comments.
        #[arg(long, default_value = "../shared/data")]
        data: PathBuf,
        /// Runs of both; the median counts.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// Key drivers of a million records with about 60 indicators, bootstrap included, against
    /// NumPy least squares on the same indicator matrix.
    Insights {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Runs; the median counts.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// What an initiative changed (difference in differences, bootstrap, revenue benefit) over a
    /// million feedback records and 400,000 transactions, against DuckDB and NumPy computing
    /// the same on the same data.
    Impact {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        #[arg(long, default_value_t = 400_000)]
        transactions: usize,
        /// Runs; the median counts.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// The journey funnel and the value chain over ten million interactions of a million
    /// customers, against DuckDB answering the same questions in SQL on the same data.
    Journey {
        #[arg(long, default_value_t = 1_000_000)]
        customers: usize,
        #[arg(long, default_value_t = 10_000_000)]
        interactions: usize,
        /// Runs of each; the median counts.
        #[arg(long, default_value_t = 3)]
        repeat: usize,
    },
    /// Time and weight of every web page on the demo company, against 150 ms and 300 KB.
    Pages {
        /// The demo's scale (9 ≈ 1,070,000 feedback records).
        #[arg(long, default_value_t = 9)]
        scale: u32,
        /// The demo database to use; built when it does not exist.
        #[arg(long)]
        db: Option<PathBuf>,
        /// Visits of each page; the median and the slowest are printed.
        #[arg(long, default_value_t = 7)]
        repeat: usize,
    },
    /// The canonical dashboard questions over HTTP, against DuckDB on the same data.
    Analytics {
        #[arg(long, default_value_t = 1_000_000)]
        rows: usize,
        /// Keep the generated data in this folder (and reuse it next time).
        #[arg(long)]
        data: Option<PathBuf>,
        /// The folder of gen_data.py and duckdb_peer.py.
        #[arg(long, default_value = "../shared/bench")]
        peers: PathBuf,
        /// Runs of each question; the median counts.
        #[arg(long, default_value_t = 7)]
        repeat: usize,
        /// Keep the SQLite database in this file; when it exists, the import is skipped.
        #[arg(long)]
        db: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    Customers,
    Interactions,
    Feedback,
    Transactions,
}

impl Kind {
    fn record_kind(self) -> RecordKind {
        match self {
            Kind::Customers => RecordKind::Customers,
            Kind::Interactions => RecordKind::Interactions,
            Kind::Feedback => RecordKind::Feedback,
            Kind::Transactions => RecordKind::Transactions,
        }
    }
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Csv,
    Jsonl,
}

fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let logs = tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,tower_http=warn".into()),
        )
        .with_writer(std::io::stderr);
    match cli.log_format {
        LogFormat::Text => logs.init(),
        LogFormat::Json => logs.json().init(),
    }
    match cli.command {
        Command::Serve {
            db,
            listen,
            exposure,
        } => {
            let store = db::open(&db.db)?;
            serve(store, listen, exposure, None)
        }
        Command::Demo {
            scale,
            listen,
            db,
            no_serve,
            exposure,
        } => demo::run(&db, scale, listen, no_serve, exposure),
        Command::Import {
            kind,
            file,
            db,
            format,
            map,
            rejects,
            batch,
            quiet,
            bulk,
            no_bulk,
            encoding,
        } => {
            let store = db::open(&db.db)?;
            let bulk = if bulk {
                Some(true)
            } else if no_bulk {
                Some(false)
            } else {
                None
            };
            let options = import::Options {
                format,
                map,
                rejects,
                batch: batch.max(1),
                progress: !quiet,
                bulk,
                encoding,
            };
            let summary = import::run(store.as_ref(), kind.record_kind(), &file, &options)?;
            println!("{summary}");
            Ok(())
        }
        Command::Export {
            kind,
            db,
            format,
            output,
        } => {
            let store = db::open(&db.db)?;
            export::run(
                store.as_ref(),
                kind.record_kind(),
                format,
                output.as_deref(),
            )
        }
        Command::Backup { db, to } => {
            anyhow::ensure!(
                !db::is_postgres(&db.db),
                "dosvid backup copies SQLite databases; for PostgreSQL, use pg_dump"
            );
            let from = std::path::Path::new(dosvid_store_sqlite::path_from_url(&db.db));
            let bar = indicatif::ProgressBar::new(0);
            dosvid_store_sqlite::backup(from, &to, |done, total| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
            })
            .with_context(|| format!("cannot back up {}", from.display()))?;
            bar.finish_and_clear();
            println!("{} copied to {}", from.display(), to.display());
            Ok(())
        }
        Command::Migrate { db } => {
            db::open(&db.db)?;
            println!("{}: schema is up to date", db::redact(&db.db));
            Ok(())
        }
        Command::Bench {
            command: BenchCommand::Import { rows, data },
        } => bench::import::run(rows, data),
        Command::Bench {
            command: BenchCommand::Ingest { data, repeat },
        } => bench::ingest::run(&data, repeat),
        Command::Bench {
            command: BenchCommand::Insights { rows, repeat },
        } => bench::insights::run(rows, repeat),
        Command::Bench {
            command:
                BenchCommand::Impact {
                    rows,
                    transactions,
                    repeat,
                },
        } => bench::impact::run(rows, transactions, repeat),
        Command::Bench {
            command:
                BenchCommand::Journey {
                    customers,
                    interactions,
                    repeat,
                },
        } => bench::journey::run(customers, interactions, repeat),
        Command::Bench {
            command: BenchCommand::Pages { scale, db, repeat },
        } => bench::pages::run(bench::pages::Options { scale, db, repeat }),
        Command::Bench {
            command:
                BenchCommand::Analytics {
                    rows,
                    data,
                    peers,
                    repeat,
                    db,
                },
        } => bench::analytics::run(bench::analytics::Options {
            rows,
            data,
            peers,
            repeat,
            db,
        }),
        Command::Eval {
            command: EvalCommand::Text { data },
        } => bench::text::run(&data),
        Command::Text {
            command: TextCommand::Analyze { file, column },
        } => text::analyze(&file, column.as_deref()),
        Command::Orgs {
            command:
                OrgsCommand::Create {
                    db,
                    name,
                    time_zone,
                },
        } => {
            let store = db::open(&db.db)?;
            let org = store.create_organisation(&name, &time_zone, chrono::Utc::now())?;
            eprintln!("organisation {} ({}) created", org.id, org.name);
            println!("{}", org.id);
            Ok(())
        }
        Command::Orgs {
            command: OrgsCommand::List { db },
        } => {
            let store = db::open(&db.db)?;
            for id in store.organisations()? {
                let org = store.organisation(id)?;
                println!("{}\t{}\t{}", org.id, org.name, org.time_zone);
            }
            Ok(())
        }
        Command::Keys {
            command:
                KeysCommand::Create {
                    db,
                    name,
                    org,
                    scopes,
                    expires,
                    unit,
                },
        } => {
            let scopes = dosvid_store::Scope::parse_list(&scopes)
                .context("--scopes: give read, write, manage or admin, comma-separated")?;
            let store = db::open(&db.db)?;
            let org = organisation(store.as_ref(), org)?;
            let expires = expires
                .and_then(|d| d.and_hms_opt(0, 0, 0))
                .map(|t| t.and_utc());
            let (key, secret) = store.create_scoped_api_key(
                org,
                &name,
                &scopes,
                expires,
                unit,
                chrono::Utc::now(),
            )?;
            eprintln!(
                "API key {} ({}) created; it is shown only now:",
                key.id, key.name
            );
            println!("{}", secret.expose());
            Ok(())
        }
        Command::Units {
            command:
                UnitsCommand::Create {
                    db,
                    name,
                    parent,
                    rules,
                    org,
                },
        } => {
            let rules = rules
                .iter()
                .enumerate()
                .map(|(i, rule)| {
                    serde_json::from_str(rule)
                        .with_context(|| format!("--rule {}: not a JSON object", i + 1))
                })
                .collect::<anyhow::Result<Vec<_>>>()?;
            let store = db::open(&db.db)?;
            let org = organisation(store.as_ref(), org)?;
            let input = dosvid_domain::unit::UnitInput {
                name: Some(name),
                parent_id: parent,
                rules,
            };
            let unit = store.create_unit(org, input, chrono::Utc::now())?;
            eprintln!("unit {} ({}) created", unit.id, unit.name);
            println!("{}", unit.id);
            Ok(())
        }
        Command::Units {
            command: UnitsCommand::List { db, org },
        } => {
            let store = db::open(&db.db)?;
            let org = organisation(store.as_ref(), org)?;
            for unit in store.list_units(org)? {
                let parent = unit.parent_id.map_or(String::new(), |p| p.to_string());
                let rules = serde_json::to_string(&unit.rules)?;
                println!("{}\t{parent}\t{}\t{rules}", unit.id, unit.name);
            }
            Ok(())
        }
        Command::Users {
            command:
                UsersCommand::Create {
                    db,
                    email,
                    name,
                    admin,
                    role,
                    language,
                    agent,
                    password,
                    org,
                    unit,
                },
        } => {
            let role = if admin { "admin" } else { role.as_str() };
            let role = dosvid_domain::user::Role::parse(role).with_context(|| {
                format!("unknown role {role}; use admin, cx_manager, analyst, team_lead, agent or viewer")
            })?;
            let store = db::open(&db.db)?;
            let org = organisation(store.as_ref(), org)?;
            let generated = password.is_none();
            let password = match password {
                Some(p) => p,
                None => dosvid_store::generate_password()?,
            };
            let user = dosvid_domain::user::NewUser {
                email,
                name,
                role,
                language,
                agent,
                unit_id: unit,
            };
            let user = store.create_user(org, user, &password, chrono::Utc::now())?;
            eprintln!(
                "user {} ({}, {}) created",
                user.id,
                user.email,
                user.role.as_str()
            );
            if generated {
                println!("{password}");
            }
            Ok(())
        }
    }
}

/// Serves until ctrl-c or SIGTERM. `banner` is printed once the port is bound.
fn serve(
    store: db::SharedStore,
    listen: SocketAddr,
    exposure: Exposure,
    banner: Option<String>,
) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    let mut state = dosvid_server::AppState::new(store.clone())
        .with_trusted_proxies(exposure.trusted_proxy)
        .with_webhook_networks(exposure.webhook_allow_network);
    if let Some(url) = &exposure.public_url {
        state = state.with_public_url(url);
    }
    if let Some(token) = exposure.metrics_token.as_deref().filter(|t| !t.is_empty()) {
        state = state.with_metrics_token(token);
    }
    let org = store.default_org()?;
    let built = state.analytics.load(store.as_ref(), org)?;
    println!(
        "analytics index: {} feedback records of {} customers in {:.1} s, {} MB",
        built.records,
        built.customers,
        built.elapsed.as_secs_f64(),
        built.bytes >> 20
    );
    runtime.block_on(async move {
        let listener = tokio::net::TcpListener::bind(listen)
            .await
            .with_context(|| format!("cannot listen on {listen}"))?;
        let address = listener.local_addr()?;
        tracing::info!(%address, backend = state.store.backend_name(), "serving");
        println!("listening on http://{address}");
        if let Some(banner) = banner {
            println!("{banner}");
        }
        dosvid_server::serve(listener, state)
            .await
            .context("server failed")
    })?;
    // The PostgreSQL driver's connections must be dropped outside the runtime.
    drop(runtime);
    drop(store);
    Ok(())
}

/// The organisation a command names, or the first; an unknown id is an error.
fn organisation(store: &dyn dosvid_store::Store, org: Option<i64>) -> anyhow::Result<i64> {
    match org {
        None => Ok(store.default_org()?),
        Some(id) => {
            store
                .organisation(id)
                .with_context(|| format!("no organisation {id}; see `dosvid orgs list`"))?;
            Ok(id)
        }
    }
}
