//! Whom the cluster runs as: PostgreSQL refuses to run as root, so when
//! Tributary is started as root the cluster runs as `postgres` (or
//! `nobody`), and every directory above it must be reachable by that user.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

use super::ClusterError;

/// The user the cluster's processes run as, when not ourselves.
#[derive(Debug, Clone, Copy)]
pub(super) struct RunAs {
    pub(super) uid: u32,
    pub(super) gid: u32,
}

pub(super) fn apply_run_as(cmd: &mut Command, run_as: Option<RunAs>) {
    if let Some(ra) = run_as {
        // std calls setgroups(0) and setgid before setuid in the child.
        cmd.uid(ra.uid).gid(ra.gid);
        cmd.env("HOME", "/");
    }
}

/// Every directory above the cluster must be searchable by the user it runs as.
pub(super) fn check_reachable(dir: &Path, ra: RunAs) -> Result<(), ClusterError> {
    for ancestor in dir.ancestors().skip(1) {
        let Ok(meta) = fs::metadata(ancestor) else {
            continue;
        };
        let mode = meta.permissions().mode();
        let searchable = mode & 0o001 != 0
            || (meta.uid() == ra.uid && mode & 0o100 != 0)
            || (meta.gid() == ra.gid && mode & 0o010 != 0);
        if !searchable {
            return Err(ClusterError::Setup(format!(
                "the embedded PostgreSQL runs as uid {} (PostgreSQL refuses to run as root), and that user \
                 cannot reach {} because {} is not searchable by it. Set [database] data_dir to a place it \
                 can reach (e.g. /var/lib/tributary), `chmod o+x {}`, or set DATABASE_URL",
                ra.uid,
                dir.display(),
                ancestor.display(),
                ancestor.display()
            )));
        }
    }
    Ok(())
}

pub(super) fn run_as_user() -> Result<Option<RunAs>, ClusterError> {
    if !nix::unistd::geteuid().is_root() {
        return Ok(None);
    }
    for name in ["postgres", "nobody"] {
        if let Some(ra) = lookup_user(name) {
            if ra.uid != 0 {
                return Ok(Some(ra));
            }
        }
    }
    Err(ClusterError::Setup(
        "running as root, and there is neither a `postgres` nor a `nobody` user to run PostgreSQL as \
         (PostgreSQL refuses to run as root); create one (`useradd --system postgres`) or set DATABASE_URL"
            .into(),
    ))
}

fn lookup_user(name: &str) -> Option<RunAs> {
    let user = nix::unistd::User::from_name(name).ok().flatten()?;
    Some(RunAs {
        uid: user.uid.as_raw(),
        gid: user.gid.as_raw(),
    })
}
