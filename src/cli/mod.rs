//! The command line: `odg serve`, `odg migrate`, `odg schema`, `odg seed-demo`.

use crate::app::{self, App};
use crate::config::Config;
use crate::domain::Catalog;
use crate::{demo, graphql, telemetry};
use clap::{Parser, Subcommand};
use std::process::ExitCode;

mod backup;
mod doctor;
mod export;
mod import;
mod user;

#[derive(Parser)]
#[command(name = "odg", version, about = "ODG: a GraphQL geospatial server for mining administrations")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (GraphQL at /graphql, GraphiQL at /graphiql).
    Serve {
        /// Load the Gabon demo data set first (idempotent).
        #[arg(long)]
        demo: bool,
    },
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Load the Gabon demo data set (idempotent), then exit.
    SeedDemo,
    /// Check configuration, database, PostGIS, migrations, disk and secrets; one line each.
    Doctor,
    /// Write a dated, compressed backup and prune old ones.
    Backup {
        /// Where backups go (default: ODG_BACKUP_DIR, else <ODG_DATA_DIR>/backups).
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
        /// Days for which the newest backup is kept.
        #[arg(long, default_value_t = 7)]
        keep_daily: usize,
        /// ISO weeks for which the newest backup is kept.
        #[arg(long, default_value_t = 4)]
        keep_weekly: usize,
    },
    /// Restore a backup into an empty database (--force replaces a non-empty one).
    Restore {
        file: std::path::PathBuf,
        #[arg(long)]
        force: bool,
    },
    /// Import a GIS file as a new layer (GeoJSON, zipped Shapefile, KML/KMZ, CSV/TXT, GPX).
    Import {
        file: std::path::PathBuf,
        /// The layer's name.
        #[arg(long)]
        name: String,
        /// DEPOSIT, INFRASTRUCTURE, ZONE or CUSTOM (default).
        #[arg(long)]
        kind: Option<String>,
        /// ACTIVE (default), DEVELOPMENT, EXPLORATION or CLOSED.
        #[arg(long)]
        status: Option<String>,
        /// The file's CRS when it does not say (e.g. EPSG:32632); wins over the file's.
        #[arg(long)]
        crs: Option<String>,
        #[arg(long)]
        description: Option<String>,
        /// Readable without signing in (with ODG_PUBLIC_READ).
        #[arg(long)]
        public: bool,
    },
    /// Export a layer to a file (geojson, csv, kml, shapefile: a ZIP, or gpkg).
    Export {
        /// The layer's id.
        layer: i64,
        #[arg(long, default_value = "geojson")]
        format: String,
        /// The file to write.
        #[arg(long, short)]
        output: std::path::PathBuf,
    },
    /// Manage accounts (passwords are read from the terminal or stdin, never argv).
    User {
        #[command(subcommand)]
        command: user::UserCommand,
    },
}

/// Parses the command line and runs the command; errors are printed as one line.
pub fn run() -> ExitCode {
    let cli = Cli::parse();
    if let Command::Schema = cli.command {
        print!("{}", graphql::sdl());
        return ExitCode::SUCCESS;
    }
    let config = match Config::load() {
        Ok(config) => config,
        Err(err) => {
            eprintln!("odg: {err}");
            return ExitCode::from(2);
        }
    };
    telemetry::init(config.log_format);
    for name in Config::unknown_variables() {
        tracing::warn!(variable = %name, "unknown ODG_ variable ignored (a typo?)");
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(err) => {
            eprintln!("odg: cannot start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async {
        match cli.command {
            Command::Serve { demo } => {
                if demo && config.production {
                    anyhow::bail!(
                        "--demo is refused when ODG_ENV=production: it creates accounts with published passwords"
                    );
                }
                let app = App::build(&config, demo).await?;
                let graphiql = if config.graphiql { ", GraphiQL /graphiql" } else { "" };
                tracing::info!(
                    "ODG listening on http://{}:{} (GraphQL /graphql{graphiql})",
                    config.bind.ip(),
                    app.port()
                );
                app.run_until_stopped(app::shutdown_signal()).await
            }
            Command::Migrate => {
                app::open_store(&config).await?.close().await?;
                println!("database schema is up to date");
                Ok(())
            }
            Command::SeedDemo => {
                if config.production {
                    anyhow::bail!(
                        "seed-demo is refused when ODG_ENV=production: it creates accounts with published passwords"
                    );
                }
                let catalog = Catalog::new(app::open_store(&config).await?);
                let seeded = demo::seed(&catalog).await.map_err(|e| e.into_anyhow())?;
                println!("{seeded}");
                Ok(())
            }
            Command::User { command } => user::run(&config, command).await,
            Command::Export { layer, format, output } => export::run(&config, layer, &format, &output).await,
            Command::Import { file, name, kind, status, crs, description, public } => {
                let draft = import::draft(name, kind, status, description, public)?;
                import::run(&config, &file, draft, crs).await
            }
            Command::Doctor => doctor::run(&config).await,
            Command::Backup { dir, keep_daily, keep_weekly } => {
                backup::backup(&config, dir, keep_daily, keep_weekly).await
            }
            Command::Restore { file, force } => backup::restore(&config, &file, force).await,
            Command::Schema => Ok(()),
        }
    });
    // Work on blocking threads (an import reading a file) cannot be
    // cancelled, and dropping the runtime would wait for it: SIGTERM must
    // end the process within the grace period. Its transaction, never
    // committed, is rolled back, and the next start marks the import FAILED.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            // One line: the cause chain, outermost first.
            eprintln!("odg: {err:#}");
            ExitCode::FAILURE
        }
    }
}
