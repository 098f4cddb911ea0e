//! Concurrency limits: a global cap and a per-host cap, so 500 feeds on one
//! host are not fetched at once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

pub struct HostLimits {
    global: Arc<Semaphore>,
    per_host: usize,
    hosts: Mutex<HashMap<String, Arc<Semaphore>>>,
}

/// Held while a fetch runs.
pub struct Permit {
    _global: Option<OwnedSemaphorePermit>,
    _host: Option<OwnedSemaphorePermit>,
}

impl HostLimits {
    pub fn new(global: usize, per_host: usize) -> HostLimits {
        HostLimits {
            global: Arc::new(Semaphore::new(global.max(1))),
            per_host: per_host.max(1),
            hosts: Mutex::new(HashMap::new()),
        }
    }

    pub async fn acquire(&self, url: &str) -> Permit {
        let host = url::Url::parse(url)
            .ok()
            .and_then(|u| u.host_str().map(str::to_owned))
            .unwrap_or_default();
        let host_sem = {
            let mut hosts = self.hosts.lock().unwrap_or_else(|p| p.into_inner());
            // Forget idle hosts so the map does not grow with every host ever seen.
            if hosts.len() > 10_000 {
                hosts.retain(|_, s| s.available_permits() < self.per_host);
            }
            hosts
                .entry(host)
                .or_insert_with(|| Arc::new(Semaphore::new(self.per_host)))
                .clone()
        };
        // Host first: waiting for a busy host must not hold a global slot.
        let host = host_sem.acquire_owned().await.ok();
        let global = self.global.clone().acquire_owned().await.ok();
        Permit {
            _global: global,
            _host: host,
        }
    }
}
