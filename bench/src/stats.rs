//! Latency summaries.

use serde::{Deserialize, Serialize};

/// Percentiles of a set of durations, in microseconds.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Summary {
    pub n: usize,
    pub p50_us: f64,
    pub p90_us: f64,
    pub p99_us: f64,
    pub max_us: f64,
    pub mean_us: f64,
    /// Sequential calls per second: n / total time.
    pub calls_per_s: f64,
}

impl Summary {
    /// From durations in nanoseconds.
    pub fn of(ns: &[u64]) -> Summary {
        if ns.is_empty() {
            return Summary::default();
        }
        let mut v = ns.to_vec();
        v.sort_unstable();
        let total: u64 = v.iter().sum();
        let us = |x: u64| x as f64 / 1000.0;
        Summary {
            n: v.len(),
            p50_us: us(percentile(&v, 50.0)),
            p90_us: us(percentile(&v, 90.0)),
            p99_us: us(percentile(&v, 99.0)),
            max_us: us(*v.last().expect("not empty")),
            mean_us: us(total) / v.len() as f64,
            calls_per_s: v.len() as f64 / (total as f64 / 1e9),
        }
    }
}

/// Nearest-rank percentile of sorted values.
pub fn percentile(sorted: &[u64], p: f64) -> u64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The median of a few values (e.g. batch totals).
pub fn median(values: &[f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut v = values.to_vec();
    v.sort_by(|a, b| a.total_cmp(b));
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_by_nearest_rank() {
        let v: Vec<u64> = (1..=100).map(|x| x * 1000).collect();
        let s = Summary::of(&v);
        assert_eq!(s.n, 100);
        assert_eq!(s.p50_us, 50.0);
        assert_eq!(s.p90_us, 90.0);
        assert_eq!(s.p99_us, 99.0);
        assert_eq!(s.max_us, 100.0);
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
    }
}
