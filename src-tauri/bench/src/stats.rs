//! Percentiles and rounding for the figures.

use std::time::Duration;

use serde_json::{json, Value};

pub fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// The `p` quantile (0.0-1.0) of `sorted`, nearest rank.
pub fn percentile(sorted: &[Duration], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    ms(sorted[i])
}

/// Two decimals.
pub fn round(v: f64) -> Value {
    json!((v * 100.0).round() / 100.0)
}
