//! `yiwang`: the one command that runs and operates Yiwang.
//!
//! Each subcommand lives in its own module; this file only parses the
//! command line and reads the configuration. Errors end the process with a
//! one-line message in Chinese and a non-zero status.

mod audit;
mod bench;
mod demo;
mod demo_contracts;
mod demo_duties;
mod demo_events;
mod demo_exchange;
mod demo_grid;
mod demo_lectures;
mod demo_mediation;
mod demo_problems;
mod demo_requests;
mod demo_subsidies;
mod demo_visits;
mod exchange;
mod serve;
mod store;

/// mimalloc, not the system allocator: the trading desk's commit path
/// allocates and frees many short-lived buffers across threads, which
/// glibc's allocator handles with costly consolidation (see
/// docs/PERFORMANCE.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use clap::{Parser, Subcommand};
use std::process::ExitCode;
use yiwang_web::Config;

#[derive(Debug, Parser)]
#[command(name = "yiwang", version, about = "一网：城市公共服务平台")]
struct Cli {
    /// Configuration file (TOML). Defaults to ./yiwang.toml when present.
    #[arg(long, global = true, env = "YIWANG_CONFIG")]
    config: Option<String>,
    #[command(subcommand)]
    command: Command,
}

/// Where the database is, for commands that use one.
#[derive(Debug, clap::Args)]
struct DbArgs {
    /// `sqlite://PATH` or `postgres://…` (overrides the configuration).
    #[arg(long)]
    database_url: Option<String>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Runs the web server.
    Serve {
        /// Load demo data (accounts for every role) before serving.
        #[arg(long)]
        demo: bool,
        #[command(flatten)]
        db: DbArgs,
        /// Address to listen on, e.g. 127.0.0.1:8080.
        #[arg(long)]
        listen: Option<String>,
    },
    /// Runs the database migrations and exits.
    Migrate {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Loads demo data into the database and prints the demo logins.
    Demo {
        #[command(flatten)]
        db: DbArgs,
    },
    /// Shows the configuration.
    Config {
        #[command(subcommand)]
        action: ConfigAction,
    },
    /// Audit log tools.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Land exchange tools.
    Exchange {
        #[command(subcommand)]
        action: exchange::ExchangeAction,
    },
    /// Grid governance tools.
    Grid {
        #[command(subcommand)]
        action: GridAction,
    },
    /// Performance measurements on this machine.
    Bench {
        #[command(subcommand)]
        action: bench::BenchAction,
    },
}

#[derive(Debug, Subcommand)]
enum ConfigAction {
    /// Prints the effective configuration (file plus YIWANG_… variables), secrets masked.
    Print,
}

#[derive(Debug, Subcommand)]
enum GridAction {
    /// Generates the demo district (unless grids exist) and its residents,
    /// buildings and households, in batches (e.g. --residents 1260000 for
    /// the benchmark scale).
    Generate {
        /// How many residents to generate.
        #[arg(long, default_value_t = demo_grid::DEMO_RESIDENTS)]
        residents: u64,
        /// The seed number; the same seed gives the same people.
        #[arg(long, default_value_t = demo_grid::DEMO_GRID_SEED)]
        seed: u64,
        #[command(flatten)]
        db: DbArgs,
    },
}

#[derive(Debug, Subcommand)]
enum AuditAction {
    /// Checks the audit log's hash chain and reports the first broken link.
    Verify {
        #[command(flatten)]
        db: DbArgs,
    },
}

fn load_config(file: Option<&str>, db: Option<&DbArgs>) -> anyhow::Result<Config> {
    let default_file = std::path::Path::new("yiwang.toml");
    let file = file.map(str::to_owned).or_else(|| {
        default_file
            .exists()
            .then(|| default_file.display().to_string())
    });
    let mut config = Config::load(file.as_deref(), std::env::vars())?;
    if let Some(url) = db.and_then(|d| d.database_url.clone()) {
        config.database_url = url;
    }
    Ok(config)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("错误：{e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let runtime = || {
        tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
    };
    match cli.command {
        Command::Exchange { action } => exchange::run(action, cli.config.as_deref()),
        Command::Bench { action } => bench::run(action),
        Command::Config {
            action: ConfigAction::Print,
        } => {
            let config = load_config(cli.config.as_deref(), None)?;
            print!("{}", config.to_masked_toml());
            Ok(ExitCode::SUCCESS)
        }
        Command::Serve { demo, db, listen } => {
            let mut config = load_config(cli.config.as_deref(), Some(&db))?;
            if let Some(listen) = listen {
                config.listen = listen.parse().map_err(|_| {
                    anyhow::anyhow!(
                        "--listen 的地址无效：{listen}（应为 IP:端口，例如 127.0.0.1:8080）"
                    )
                })?;
            }
            runtime()?.block_on(serve::run(config, demo))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Migrate { db } => {
            let config = load_config(cli.config.as_deref(), Some(&db))?;
            runtime()?.block_on(async {
                let store = store::open(&config.database_url).await?;
                store.migrate().await?;
                println!("数据库迁移完成（{}）", store.backend());
                anyhow::Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Demo { db } => {
            let config = load_config(cli.config.as_deref(), Some(&db))?;
            runtime()?.block_on(async {
                let store = store::open(&config.database_url).await?;
                store.migrate().await?;
                let state = yiwang_web::AppState::new(
                    store,
                    config,
                    std::sync::Arc::new(yiwang_core::SystemClock),
                )?;
                let logins = demo::load(&state).await?;
                demo::print_logins(&logins);
                anyhow::Ok(())
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Grid {
            action:
                GridAction::Generate {
                    residents,
                    seed,
                    db,
                },
        } => {
            let config = load_config(cli.config.as_deref(), Some(&db))?;
            runtime()?.block_on(async {
                let store = store::open(&config.database_url).await?;
                store.migrate().await?;
                let state = yiwang_web::AppState::new(
                    store,
                    config,
                    std::sync::Arc::new(yiwang_core::SystemClock),
                )?;
                demo_grid::generate_population(&state, seed, residents).await
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Audit {
            action: AuditAction::Verify { db },
        } => {
            let config = load_config(cli.config.as_deref(), Some(&db))?;
            runtime()?.block_on(audit::verify(&config))
        }
    }
}
