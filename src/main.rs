//! The `tributary` command line.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use tributary::commands;
use tributary::config::{Config, EnvOverrides};
use tributary::startup::Role;
use tributary::telemetry::{self, LogFormat};

#[derive(Parser)]
#[command(
    name = "tributary",
    version,
    about = "A feed aggregator server: many feeds in, deduplicated merged feeds out"
)]
struct Cli {
    /// Config file.
    #[arg(
        long,
        global = true,
        env = "TRIBUTARY_CONFIG",
        default_value = "config/tributary.toml"
    )]
    config: PathBuf,
    /// Log format on stderr.
    #[arg(
        long,
        global = true,
        env = "TRIBUTARY_LOG_FORMAT",
        value_enum,
        default_value_t = LogFormat::Text
    )]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the HTTP server and the poller.
    Serve {
        #[arg(long, value_enum, default_value_t = Role::All)]
        role: Role,
    },
    /// Poll sources once and exit.
    Poll {
        /// Poll once and exit. Required, so that `poll` is never mistaken
        /// for a daemon: `serve --role poller` polls continuously.
        #[arg(long, required = true)]
        once: bool,
        /// Every enabled source, due or not.
        #[arg(long)]
        all: bool,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Administer sources.
    Sources {
        #[command(subcommand)]
        action: SourcesAction,
    },
    /// Validate the config file and print what was understood.
    CheckConfig,
    /// Exit 0 when the local server answers `/healthz` (for container HEALTHCHECKs).
    Healthcheck,
}

#[derive(Subcommand)]
enum SourcesAction {
    List,
    /// Adds a feed, or the first feed a web page links to.
    Add {
        url: String,
        #[arg(long)]
        title: Option<String>,
        #[arg(long = "tag")]
        tags: Vec<String>,
        /// Fetch each new entry's article page for its full text.
        #[arg(long)]
        full_text: bool,
    },
    Remove {
        id: i64,
    },
    Import {
        file: PathBuf,
    },
    Export,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init(cli.log_format);
    let config = match Config::load(&cli.config, &EnvOverrides::from_process_env()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    if let Command::CheckConfig = cli.command {
        print!("{}", commands::describe_config(&config));
        println!("config OK");
        return ExitCode::SUCCESS;
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve { role } => commands::serve(config, role).await,
            Command::Poll { once: _, all } => commands::poll(config, all).await,
            Command::Migrate => commands::migrate(config).await,
            Command::Sources { action } => match action {
                SourcesAction::List => commands::sources_list(config).await,
                SourcesAction::Add {
                    url,
                    title,
                    tags,
                    full_text,
                } => commands::sources_add(config, url, title, tags, full_text).await,
                SourcesAction::Remove { id } => commands::sources_remove(config, id).await,
                SourcesAction::Import { file } => commands::sources_import(config, &file).await,
                SourcesAction::Export => commands::sources_export(config).await,
            },
            Command::CheckConfig => Ok(()),
            Command::Healthcheck => commands::healthcheck(config).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
