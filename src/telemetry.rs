//! Logging: `tracing` to stderr, filtered by `RUST_LOG`, as text or JSON.

use tracing_subscriber::EnvFilter;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

static FORMAT: std::sync::OnceLock<LogFormat> = std::sync::OnceLock::new();

/// What is logged unless `RUST_LOG` says otherwise. actix-http logs a
/// client's malformed request (a URI too long, a bad header) at ERROR as
/// "stream error" after answering it 400/431: the client's mistake, not
/// the server's, and a way for anyone to fill the log: not logged.
const DEFAULT_FILTER: &str =
    "info,sqlx=warn,actix_server=warn,html5ever=error,actix_http::h1::dispatcher=off";

/// Installs the global subscriber; later calls are no-ops (tests call it often).
pub fn init(format: LogFormat) {
    let _ = FORMAT.set(format);
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().flatten_event(true).try_init(),
    };
}

/// Says `line` to the person at the terminal, on stderr; with JSON logs it
/// goes through the log instead, since every line must then be JSON.
pub fn announce(line: &str) {
    match FORMAT.get() {
        Some(LogFormat::Json) => tracing::info!("{line}"),
        _ => eprintln!("{line}"),
    }
}
