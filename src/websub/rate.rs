//! Requests per key per minute: the built-in hub answers at most so many
//! subscription requests for callbacks on one address (the key, see
//! `hub::rate_key`), so that it cannot be made to send a flood of
//! verification requests to a third party, whatever names point there.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct HostRate {
    per_window: u32,
    window: Duration,
    seen: Mutex<HashMap<String, (Instant, u32)>>,
}

impl HostRate {
    pub fn new(per_window: u32, window: Duration) -> HostRate {
        HostRate {
            per_window,
            window,
            seen: Mutex::new(HashMap::new()),
        }
    }

    /// Counts a request for `host` (a key: an address) at `now`: `Err(wait)` when it is over
    /// the limit, with how long until the window turns.
    pub fn check(&self, host: &str, now: Instant) -> Result<(), Duration> {
        // A poisoned lock only means another request panicked mid-count.
        let mut seen = self.seen.lock().unwrap_or_else(|p| p.into_inner());
        if seen.len() > 10_000 {
            seen.retain(|_, (start, _)| now.duration_since(*start) < self.window);
        }
        let slot = seen.entry(host.to_ascii_lowercase()).or_insert((now, 0));
        if now.duration_since(slot.0) >= self.window {
            *slot = (now, 0);
        }
        if slot.1 >= self.per_window {
            return Err(self.window.saturating_sub(now.duration_since(slot.0)));
        }
        slot.1 += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_over_its_limit_waits_for_the_window_and_others_do_not() {
        let rate = HostRate::new(2, Duration::from_secs(60));
        let t = Instant::now();
        assert!(rate.check("a.example", t).is_ok());
        assert!(rate.check("A.example", t).is_ok());
        let wait = rate
            .check("a.example", t + Duration::from_secs(10))
            .unwrap_err();
        assert_eq!(wait, Duration::from_secs(50));
        assert!(rate.check("b.example", t).is_ok());
        assert!(rate.check("a.example", t + Duration::from_secs(60)).is_ok());
    }
}
