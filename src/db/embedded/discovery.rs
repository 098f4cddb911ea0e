//! Where the PostgreSQL server binaries are: `pg_config --bindir`, `PATH`,
//! then Debian's and Homebrew's versioned directories, newest first.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::ClusterError;

/// Finds a directory holding both `initdb` and `postgres`.
pub fn find_binaries() -> Result<PathBuf, ClusterError> {
    let has_both = |d: &Path| d.join("initdb").is_file() && d.join("postgres").is_file();
    let mut candidates: Vec<PathBuf> = Vec::new();
    if let Ok(out) = Command::new("pg_config")
        .arg("--bindir")
        .stderr(Stdio::null())
        .output()
    {
        if out.status.success() {
            candidates.push(PathBuf::from(String::from_utf8_lossy(&out.stdout).trim()));
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for d in std::env::split_paths(&path) {
            // Debian puts symlinks in /usr/local/bin or wrappers in /usr/bin;
            // resolve to the real directory so initdb finds its share files.
            let real = fs::canonicalize(d.join("initdb"))
                .ok()
                .and_then(|p| p.parent().map(Path::to_path_buf));
            candidates.extend(real);
            candidates.push(d);
        }
    }
    for pattern_dir in ["/usr/lib/postgresql", "/usr/local/opt"] {
        let mut versions: Vec<PathBuf> = fs::read_dir(pattern_dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| e.path())
                    .filter(|p| {
                        pattern_dir != "/usr/local/opt"
                            || p.file_name()
                                .and_then(|n| n.to_str())
                                .is_some_and(|n| n.starts_with("postgresql"))
                    })
                    .collect()
            })
            .unwrap_or_default();
        // Newest version first.
        versions.sort_by_key(|p| std::cmp::Reverse(version_key(p)));
        candidates.extend(versions.into_iter().map(|p| p.join("bin")));
    }
    candidates
        .into_iter()
        .find(|d| has_both(d))
        .ok_or(ClusterError::BinariesNotFound)
}

fn version_key(p: &Path) -> Vec<u32> {
    p.file_name()
        .and_then(|n| n.to_str())
        .map(|n| {
            n.split(|c: char| !c.is_ascii_digit())
                .filter_map(|s| s.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}
