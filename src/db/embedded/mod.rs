//! The embedded default: a PostgreSQL cluster of our own in
//! `<data_dir>/postgres`, made and run with the binaries already installed,
//! listening on a unix socket inside that directory only.
//!
//! PostgreSQL refuses to run as root, so when we are root the cluster's
//! processes run as the `postgres` system user (or `nobody`), with the
//! privileges dropped in the child before exec.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, SeekFrom};
use std::os::unix::fs::{PermissionsExt, chown};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use nix::errno::Errno;
use nix::sys::signal::{Signal, kill};
use nix::unistd::{Pid, SysconfVar, sysconf};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection};

mod discovery;
mod user;

pub use discovery::find_binaries;
use user::{RunAs, apply_run_as, check_reachable, run_as_user};

#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error(
        "no PostgreSQL server binaries (initdb, postgres) were found in `pg_config --bindir`, PATH, \
         /usr/lib/postgresql/*/bin or /usr/local/opt/postgresql*/bin. Install PostgreSQL \
         (Debian/Ubuntu: `apt-get install postgresql`; macOS: `brew install postgresql`), \
         or set DATABASE_URL to an existing server, or run `docker compose up`"
    )]
    BinariesNotFound,
    #[error("{0}")]
    Setup(String),
    #[error("initdb failed ({status}): {output}")]
    Initdb { status: String, output: String },
    #[error("PostgreSQL did not start within {seconds} s; its log ({log}) ends with:\n{tail}")]
    StartTimeout {
        seconds: u64,
        log: String,
        tail: String,
    },
    #[error("PostgreSQL exited while starting ({status}); its log ({log}) ends with:\n{tail}")]
    Exited {
        status: String,
        log: String,
        tail: String,
    },
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
}

fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> ClusterError {
    let context = context.into();
    move |source| ClusterError::Io { context, source }
}

const SUPERUSER: &str = "tributary";
pub const DATABASE: &str = "tributary";
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running cluster; stopped with [`EmbeddedCluster::stop`] (fast shutdown).
#[derive(Debug)]
pub struct EmbeddedCluster {
    dir: PathBuf,
    /// `None` when another process of ours already runs the cluster and we
    /// only connect to it (e.g. `tributary sources list` beside `serve`).
    postmaster: Option<Postmaster>,
}

/// The postmaster child, waited on by a thread of its own: that thread lives
/// exactly as long as PostgreSQL, which matters because the parent-death
/// signal we ask for fires when the *thread* that spawned the child ends.
#[derive(Debug)]
struct Postmaster {
    pid: Pid,
    keeper: JoinHandle<Option<ExitStatus>>,
}

impl EmbeddedCluster {
    /// Creates the cluster on first use, starts it (or joins the one already
    /// running on this directory) and makes sure the `tributary` database exists.
    pub async fn start(dir: &Path) -> Result<EmbeddedCluster, ClusterError> {
        let dir = absolute(dir)?;
        let cluster = {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || start_blocking(&dir))
                .await
                .map_err(|e| ClusterError::Setup(format!("cluster start task failed: {e}")))??
        };
        if let Err(e) = cluster.wait_ready().await {
            cluster.stop();
            return Err(e);
        }
        cluster.ensure_database().await?;
        Ok(cluster)
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The postmaster's pid when this process started it.
    pub fn postmaster_pid(&self) -> Option<i32> {
        self.postmaster.as_ref().map(|p| p.pid.as_raw())
    }

    /// Connection options for the `tributary` database over the socket.
    pub fn connect_options(&self) -> PgConnectOptions {
        self.connect_options_for(DATABASE)
    }

    pub fn connect_options_for(&self, database: &str) -> PgConnectOptions {
        PgConnectOptions::new()
            .socket(&self.dir)
            .username(SUPERUSER)
            .database(database)
            .log_statements(tracing::log::LevelFilter::Trace)
    }

    async fn wait_ready(&self) -> Result<(), ClusterError> {
        let deadline = Instant::now() + START_TIMEOUT;
        let opts = self.connect_options_for("postgres");
        loop {
            match sqlx::PgConnection::connect_with(&opts).await {
                Ok(conn) => {
                    let _ = conn.close().await;
                    return Ok(());
                }
                Err(e) => {
                    if let Some(status) = self.child_exit_status() {
                        return Err(ClusterError::Exited {
                            status,
                            log: self.log_path().display().to_string(),
                            tail: log_tail(&self.log_path()),
                        });
                    }
                    if Instant::now() > deadline {
                        tracing::debug!(error = %e, "last connection attempt");
                        return Err(ClusterError::StartTimeout {
                            seconds: START_TIMEOUT.as_secs(),
                            log: self.log_path().display().to_string(),
                            tail: log_tail(&self.log_path()),
                        });
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        }
    }

    fn child_exit_status(&self) -> Option<String> {
        let pm = self.postmaster.as_ref()?;
        pm.keeper.is_finished().then(|| "exited".to_owned())
    }

    async fn ensure_database(&self) -> Result<(), ClusterError> {
        let setup = |e: sqlx::Error| {
            ClusterError::Setup(format!("cannot create the tributary database: {e}"))
        };
        let mut conn = sqlx::PgConnection::connect_with(&self.connect_options_for("postgres"))
            .await
            .map_err(setup)?;
        let exists: Option<(i32,)> = sqlx::query_as("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(DATABASE)
            .fetch_optional(&mut conn)
            .await
            .map_err(setup)?;
        if exists.is_none() {
            sqlx::query(&format!("CREATE DATABASE {DATABASE}"))
                .execute(&mut conn)
                .await
                .map_err(setup)?;
        }
        let _ = conn.close().await;
        Ok(())
    }

    fn log_path(&self) -> PathBuf {
        log_path(&self.dir)
    }

    /// Fast shutdown (SIGINT): active sessions are ended, everything written is
    /// kept, no crash recovery at the next start.
    pub fn stop(mut self) {
        self.stop_inner();
    }

    fn stop_inner(&mut self) {
        let Some(pm) = self.postmaster.take() else {
            return;
        };
        // Smart shutdown: sessions end, the WAL is flushed.
        let _ = kill(pm.pid, Signal::SIGINT);
        let deadline = Instant::now() + Duration::from_secs(30);
        while !pm.keeper.is_finished() {
            if Instant::now() > deadline {
                // Immediate shutdown as a last resort.
                let _ = kill(pm.pid, Signal::SIGQUIT);
                break;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = pm.keeper.join();
        tracing::info!(dir = %self.dir.display(), "embedded PostgreSQL stopped");
    }
}

impl Drop for EmbeddedCluster {
    fn drop(&mut self) {
        self.stop_inner();
    }
}

fn log_path(cluster_dir: &Path) -> PathBuf {
    cluster_dir.with_extension("log")
}

fn absolute(dir: &Path) -> Result<PathBuf, ClusterError> {
    if dir.is_absolute() {
        Ok(dir.to_path_buf())
    } else {
        Ok(std::env::current_dir()
            .map_err(io("cannot read the current directory"))?
            .join(dir))
    }
}

fn start_blocking(dir: &Path) -> Result<EmbeddedCluster, ClusterError> {
    let bin = find_binaries()?;
    // The socket path must fit in sockaddr_un (108 bytes, PostgreSQL adds ".s.PGSQL.5432").
    if dir.as_os_str().len() > 90 {
        return Err(ClusterError::Setup(format!(
            "the data directory path {} is too long for a unix socket (at most 90 bytes); \
             set [database] data_dir to a shorter path",
            dir.display()
        )));
    }
    let run_as = run_as_user()?;
    let parent = dir.parent().unwrap_or(Path::new("/"));
    fs::create_dir_all(parent).map_err(io(format!("cannot create {}", parent.display())))?;

    if let Some(pid) = running_postmaster(dir) {
        tracing::info!(pid, dir = %dir.display(), "joining the embedded PostgreSQL already running");
        return Ok(EmbeddedCluster {
            dir: dir.to_path_buf(),
            postmaster: None,
        });
    }

    if !dir.join("PG_VERSION").exists() {
        initdb(&bin, dir, run_as)?;
    } else if let Some(ra) = run_as {
        check_reachable(dir, ra)?;
    }

    let log = OpenOptions::new()
        .create(true)
        .append(true)
        .open(log_path(dir))
        .map_err(io(format!("cannot open {}", log_path(dir).display())))?;
    let log_err = log
        .try_clone()
        .map_err(io("cannot duplicate the log handle"))?;
    let mut cmd = Command::new(bin.join("postgres"));
    cmd.arg("-D")
        .arg(dir)
        .args(["-c", "listen_addresses="])
        .arg("-c")
        .arg(format!("unix_socket_directories={}", dir.display()))
        .args(["-c", "unix_socket_permissions=0700"])
        .args(["-c", "max_connections=200"])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(log_err);
    // Terminal Ctrl-C goes to the whole process group; we stop PostgreSQL
    // ourselves, after the server has drained, so keep it out of our group.
    cmd.process_group(0);
    apply_run_as(&mut cmd, run_as);
    // SAFETY: prctl is async-signal-safe. If Tributary dies without stopping
    // the cluster (SIGKILL, panic abort), PostgreSQL gets a fast shutdown
    // instead of running on as an orphan. Linux only; elsewhere an orphaned
    // cluster is found by its postmaster.pid and joined at the next start.
    #[cfg(target_os = "linux")]
    unsafe {
        cmd.pre_exec(|| {
            nix::sys::prctl::set_pdeathsig(Signal::SIGINT)?;
            Ok(())
        });
    }
    let (tx, rx) = std::sync::mpsc::channel();
    let keeper = std::thread::Builder::new()
        .name("embedded-postgres".into())
        .spawn(move || match cmd.spawn() {
            Ok(mut child) => {
                let _ = tx.send(Ok(Pid::from_raw(child.id() as i32)));
                child.wait().ok()
            }
            Err(e) => {
                let _ = tx.send(Err(e));
                None
            }
        })
        .map_err(io("cannot start a thread"))?;
    let pid = rx
        .recv()
        .map_err(|_| ClusterError::Setup("the PostgreSQL keeper thread died".into()))?
        .map_err(io(format!("cannot run {}", bin.join("postgres").display())))?;
    tracing::info!(dir = %dir.display(), pid = pid.as_raw(), "embedded PostgreSQL starting");
    Ok(EmbeddedCluster {
        dir: dir.to_path_buf(),
        postmaster: Some(Postmaster { pid, keeper }),
    })
}

fn initdb(bin: &Path, dir: &Path, run_as: Option<RunAs>) -> Result<(), ClusterError> {
    fs::create_dir_all(dir).map_err(io(format!("cannot create {}", dir.display())))?;
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700))
        .map_err(io(format!("cannot set permissions on {}", dir.display())))?;
    if let Some(ra) = run_as {
        chown(dir, Some(ra.uid), Some(ra.gid)).map_err(io(format!(
            "cannot hand {} to uid {}",
            dir.display(),
            ra.uid
        )))?;
        check_reachable(dir, ra)?;
    }
    let mut cmd = Command::new(bin.join("initdb"));
    cmd.arg("-D")
        .arg(dir)
        .args([
            "-U",
            SUPERUSER,
            "--auth=trust",
            "--encoding=UTF8",
            "--no-locale",
            "--no-instructions",
        ])
        .current_dir(dir)
        .stdin(Stdio::null());
    apply_run_as(&mut cmd, run_as);
    let out = cmd
        .output()
        .map_err(io(format!("cannot run {}", bin.join("initdb").display())))?;
    if !out.status.success() {
        let mut output = String::from_utf8_lossy(&out.stderr).into_owned();
        output.push_str(&String::from_utf8_lossy(&out.stdout));
        // A half-made cluster would stop the next attempt; leave the dir empty.
        if let Ok(entries) = fs::read_dir(dir) {
            for e in entries.flatten() {
                let p = e.path();
                let _ = if p.is_dir() {
                    fs::remove_dir_all(&p)
                } else {
                    fs::remove_file(&p)
                };
            }
        }
        return Err(ClusterError::Initdb {
            status: out.status.to_string(),
            output: output.trim().to_owned(),
        });
    }
    // Written once, into the cluster's own file, so an operator can change
    // it there; an existing cluster keeps what it has.
    let tuning = format!(
        "\n# Written by Tributary when it created this cluster; edit freely.\n\
         # PostgreSQL's default (128MB) is sized for the smallest machines: with\n\
         # a million entries, ingest and listings read from the OS cache.\n\
         shared_buffers = {}MB\n",
        shared_buffers_mb(memory_limit_bytes())
    );
    OpenOptions::new()
        .append(true)
        .open(dir.join("postgresql.conf"))
        .and_then(|mut f| std::io::Write::write_all(&mut f, tuning.as_bytes()))
        .map_err(io(format!(
            "cannot write {}",
            dir.join("postgresql.conf").display()
        )))?;
    tracing::info!(dir = %dir.display(), "created the embedded PostgreSQL cluster");
    Ok(())
}

/// A quarter of the memory the machine (or container) has, within
/// PostgreSQL's default and 1 GB, as usually advised for a dedicated server.
fn shared_buffers_mb(memory: Option<u64>) -> u64 {
    memory.map_or(128, |bytes| (bytes / 4 / (1 << 20)).clamp(128, 1024))
}

/// Physical memory, or the cgroup's limit when a container has one lower.
fn memory_limit_bytes() -> Option<u64> {
    let conf = |var| sysconf(var).ok().flatten().filter(|v| *v > 0);
    let physical = conf(SysconfVar::_PHYS_PAGES)
        .zip(conf(SysconfVar::PAGE_SIZE))
        .map(|(pages, page)| pages as u64 * page as u64);
    let cgroup = [
        "/sys/fs/cgroup/memory.max",
        "/sys/fs/cgroup/memory/memory.limit_in_bytes",
    ]
    .iter()
    .filter_map(|p| fs::read_to_string(p).ok())
    .find_map(|v| v.trim().parse::<u64>().ok());
    match (physical, cgroup) {
        (Some(p), Some(c)) => Some(p.min(c)),
        (p, c) => p.or(c),
    }
}

/// The postmaster already running on `dir`, if any (postmaster.pid's first line).
fn running_postmaster(dir: &Path) -> Option<i32> {
    let text = fs::read_to_string(dir.join("postmaster.pid")).ok()?;
    let pid: i32 = text.lines().next()?.trim().parse().ok()?;
    // No signal: only whether the process exists (EPERM: it does, as
    // another user).
    let alive = matches!(kill(Pid::from_raw(pid), None), Ok(()) | Err(Errno::EPERM));
    // /proc is Linux's; where it is missing the pid file is trusted.
    let is_postgres = fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim().starts_with("postgres"))
        .unwrap_or(true);
    (alive && is_postgres).then_some(pid)
}

fn log_tail(path: &Path) -> String {
    let Ok(mut f) = File::open(path) else {
        return "(no log)".into();
    };
    let len = f.metadata().map(|m| m.len()).unwrap_or(0);
    let _ = f.seek(SeekFrom::Start(len.saturating_sub(2000)));
    let mut s = String::new();
    let _ = f.read_to_string(&mut s);
    s.trim().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shared_buffers_are_a_quarter_of_memory_within_bounds() {
        const GB: u64 = 1 << 30;
        assert_eq!(shared_buffers_mb(None), 128);
        assert_eq!(shared_buffers_mb(Some(GB / 4)), 128);
        assert_eq!(shared_buffers_mb(Some(2 * GB)), 512);
        assert_eq!(shared_buffers_mb(Some(24 * GB)), 1024);
    }
}
