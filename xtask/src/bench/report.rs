//! The figures of a benchmark, the table `cargo xtask bench` prints and the JSON it writes.
//!
//! Figures are reported, never asserted: a figure beyond its target is shown as such, it does
//! not fail the run.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

/// One benchmark's samples, in `unit`.
pub(super) struct Measurement {
    pub name: String,
    pub unit: &'static str,
    pub samples: Vec<f64>,
    /// The figure the median should not exceed.
    pub target_max: Option<f64>,
    /// What was measured, how, and on which build.
    pub note: String,
}

/// Minimum, median and maximum of a non-empty sample.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(super) struct Stats {
    pub min: f64,
    pub median: f64,
    pub max: f64,
}

impl Measurement {
    pub(super) fn new(name: impl Into<String>, unit: &'static str, samples: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            unit,
            samples,
            target_max: None,
            note: String::new(),
        }
    }

    pub(super) fn target(mut self, max: f64) -> Self {
        self.target_max = Some(max);
        self
    }

    pub(super) fn note(mut self, note: impl Into<String>) -> Self {
        self.note = note.into();
        self
    }

    /// `None` when there are no samples.
    pub(super) fn stats(&self) -> Option<Stats> {
        let mut sorted = self.samples.clone();
        sorted.sort_by(f64::total_cmp);
        let n = sorted.len();
        let (first, last) = (sorted.first()?, sorted.last()?);
        let median = if n % 2 == 1 {
            sorted[n / 2]
        } else {
            (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0
        };
        Some(Stats {
            min: *first,
            median,
            max: *last,
        })
    }

    /// Whether the median is within the target; `None` without a target or samples.
    pub(super) fn meets_target(&self) -> Option<bool> {
        Some(self.stats()?.median <= self.target_max?)
    }

    pub(super) fn to_json(&self) -> Value {
        let stats = self.stats();
        json!({
            "name": self.name,
            "unit": self.unit,
            "min": stats.map(|s| round2(s.min)),
            "median": stats.map(|s| round2(s.median)),
            "max": stats.map(|s| round2(s.max)),
            "runs": self.samples.len(),
            "target": self.target_max.map(|t| format!("<= {}", trim_number(t))),
            "meets_target": self.meets_target(),
            "note": self.note,
        })
    }
}

/// The whole report: when, on which build and machine, and every measurement.
pub(super) fn report_json(results: &[Measurement], cores: usize) -> Value {
    json!({
        "generated_at": now_rfc3339(),
        "build": "debug",
        "command": "cargo xtask bench",
        "machine": {"cpus": cores, "os": std::env::consts::OS, "arch": std::env::consts::ARCH},
        "results": results.iter().map(Measurement::to_json).collect::<Vec<_>>(),
    })
}

pub(super) fn print_table(results: &[Measurement]) {
    println!();
    println!(
        "{:<52} {:>8} {:>10} {:>10} {:>10} {:>4} {:>12}",
        "benchmark", "unit", "min", "median", "max", "runs", "target"
    );
    for result in results {
        let Some(stats) = result.stats() else {
            continue;
        };
        let target = match (result.target_max, result.meets_target()) {
            (Some(t), Some(true)) => format!("<= {} ok", trim_number(t)),
            (Some(t), _) => format!("<= {} MISS", trim_number(t)),
            (None, _) => "-".to_string(),
        };
        println!(
            "{:<52} {:>8} {:>10.2} {:>10.2} {:>10.2} {:>4} {:>12}",
            result.name,
            result.unit,
            stats.min,
            stats.median,
            stats.max,
            result.samples.len(),
            target
        );
        println!("    {}", result.note);
    }
    println!();
}

pub(super) fn round2(value: f64) -> f64 {
    (value * 100.0).round() / 100.0
}

pub(super) fn millis(elapsed: Duration) -> f64 {
    elapsed.as_secs_f64() * 1000.0
}

/// `20` rather than `20.0`, `0.5` as is.
fn trim_number(value: f64) -> String {
    if value.fract() == 0.0 {
        format!("{value:.0}")
    } else {
        value.to_string()
    }
}

/// The current UTC time as `YYYY-MM-DDTHH:MM:SSZ`.
fn now_rfc3339() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    rfc3339(secs)
}

fn rfc3339(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Civil date from days since 1970-01-01 (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(samples: Vec<f64>) -> Measurement {
        Measurement::new("x", "ms", samples)
    }

    #[test]
    fn median_of_even_and_odd_samples() {
        let stats = |s| m(s).stats();
        assert_eq!(
            stats(vec![3.0, 1.0, 2.0]),
            Some(Stats {
                min: 1.0,
                median: 2.0,
                max: 3.0
            })
        );
        assert_eq!(stats(vec![4.0, 1.0, 2.0, 3.0]).map(|s| s.median), Some(2.5));
        assert_eq!(stats(vec![]), None);
    }

    #[test]
    fn target_is_judged_on_the_median() {
        assert_eq!(
            m(vec![10.0, 30.0, 12.0]).target(20.0).meets_target(),
            Some(true)
        );
        assert_eq!(
            m(vec![10.0, 30.0, 25.0]).target(20.0).meets_target(),
            Some(false)
        );
        assert_eq!(m(vec![10.0]).meets_target(), None);
        let json = m(vec![21.0, 19.0, 18.0])
            .target(20.0)
            .note("debug")
            .to_json();
        assert_eq!(json["target"], "<= 20");
        assert_eq!(json["meets_target"], true);
        assert_eq!(json["median"], 19.0);
        assert_eq!(json["runs"], 3);
    }

    #[test]
    fn dates_are_civil_utc() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
