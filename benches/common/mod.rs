//! Helpers shared by the benches that time by hand (`#[path = "common/mod.rs"] mod common;`).

use std::time::{Duration, Instant};

/// The best of `n` timed runs of `f`.
pub fn best_of(n: usize, mut f: impl FnMut()) -> Duration {
    (0..n)
        .map(|_| {
            let t = Instant::now();
            f();
            t.elapsed()
        })
        .min()
        .unwrap_or_default()
}
