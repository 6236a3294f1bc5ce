//! Rate limits kept in memory, per process.
//!
//! A sliding window of attempts per key (a client address). It answers how
//! long to wait when the window is full. Account lock-out after repeated
//! failures is separate and lives in the database, so it holds across every
//! server process; this limiter only slows down a single noisy client.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// At most `max` attempts per key in any `window_us`.
#[derive(Debug)]
pub struct RateLimiter {
    max: usize,
    window_us: i64,
    hits: Mutex<HashMap<String, VecDeque<i64>>>,
}

impl RateLimiter {
    pub fn new(max: u32, window_us: i64) -> RateLimiter {
        RateLimiter {
            max: max.max(1) as usize,
            window_us,
            hits: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt at `now`; `Err(seconds to wait)` when over the limit
    /// (the refused attempt is not counted).
    pub fn check(&self, key: &str, now: i64) -> Result<(), u64> {
        let mut hits = self.hits.lock().unwrap_or_else(|e| e.into_inner());
        if hits.len() > 100_000 {
            // Bound memory under a flood of distinct keys: drop stale entries.
            let window = self.window_us;
            hits.retain(|_, q| q.back().is_some_and(|&t| now - t < window));
        }
        let q = hits.entry(key.to_owned()).or_default();
        while q.front().is_some_and(|&t| now - t >= self.window_us) {
            q.pop_front();
        }
        if q.len() >= self.max {
            let oldest = *q.front().expect("non-empty when full");
            let wait_us = (oldest + self.window_us - now).max(0);
            return Err(((wait_us + 999_999) / 1_000_000) as u64);
        }
        q.push_back(now);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_per_key_within_window() {
        let l = RateLimiter::new(3, 60_000_000);
        for i in 0..3 {
            assert!(l.check("a", i).is_ok());
        }
        assert_eq!(l.check("a", 10_000_000), Err(50));
        assert!(l.check("b", 10_000_000).is_ok());
        // The first attempt (t=0) leaves the window at exactly t=60s.
        assert!(l.check("a", 59_999_999).is_err());
        assert!(l.check("a", 60_000_000).is_ok());
    }
}
