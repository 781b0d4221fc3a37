//! Counters and gauges in Prometheus text format, kept in memory.

use std::collections::BTreeMap;
use std::fmt::Write;
use std::sync::Mutex;

#[derive(Default)]
pub struct Metrics {
    counters: Mutex<BTreeMap<(&'static str, String), u64>>,
    /// Summaries (sum of seconds, count) by name: see `SUMMARIES`.
    summaries: Mutex<BTreeMap<&'static str, (f64, u64)>>,
}

/// The summaries a node keeps: name and help text.
const SUMMARIES: &[(&str, &str)] = &[
    (
        "tongxin_apply_latency_seconds",
        "Time from a message's iat to its commit here.",
    ),
    (
        "tongxin_verify_seconds",
        "CPU time verifying incoming messages (signature, certificate, claims), per message.",
    ),
    (
        "tongxin_inbox_commit_seconds",
        "Time applying and committing incoming batches, per message.",
    ),
];

impl Metrics {
    /// Adds `n` to counter `name` with label set `labels` (already formatted: `kind="x"`).
    pub fn add(&self, name: &'static str, labels: String, n: u64) {
        if let Ok(mut c) = self.counters.lock() {
            *c.entry((name, labels)).or_default() += n;
        }
    }

    /// Adds `secs` spent on `count` events to summary `name` (one of `SUMMARIES`).
    pub fn observe(&self, name: &'static str, secs: f64, count: u64) {
        if let Ok(mut s) = self.summaries.lock() {
            let e = s.entry(name).or_default();
            e.0 += secs;
            e.1 += count;
        }
    }

    /// (sum of seconds, count) of summary `name`.
    pub fn summary(&self, name: &str) -> (f64, u64) {
        self.summaries
            .lock()
            .ok()
            .and_then(|s| s.get(name).copied())
            .unwrap_or_default()
    }

    pub fn get(&self, name: &'static str, labels: &str) -> u64 {
        self.counters
            .lock()
            .ok()
            .and_then(|c| c.get(&(name, labels.to_owned())).copied())
            .unwrap_or(0)
    }

    /// Renders everything, with `gauges` (name, help, value) added at the end.
    pub fn render(&self, gauges: &[(&str, &str, String, f64)]) -> String {
        let mut out = String::new();
        let help: &[(&str, &str)] = &[
            ("tongxin_messages_in_total", "Messages applied, by kind."),
            (
                "tongxin_messages_out_total",
                "Messages confirmed by the broker, by kind.",
            ),
            (
                "tongxin_messages_rejected_total",
                "Messages rejected, by reason code.",
            ),
            (
                "tongxin_messages_duplicate_total",
                "Deliveries dropped as already applied.",
            ),
            (
                "tongxin_messages_held_total",
                "Messages held back behind a gap.",
            ),
            (
                "tongxin_sync_requests_sent_total",
                "sync.requested sent, by sender asked.",
            ),
            (
                "tongxin_resent_total",
                "Messages re-sent in answer to sync.requested.",
            ),
            (
                "tongxin_broker_reconnects_total",
                "Broker connections (re)established.",
            ),
        ];
        if let Ok(c) = self.counters.lock() {
            for (name, text) in help {
                let _ = writeln!(out, "# HELP {name} {text}\n# TYPE {name} counter");
                for ((n, labels), v) in c.iter().filter(|((n, _), _)| n == name) {
                    if labels.is_empty() {
                        let _ = writeln!(out, "{n} {v}");
                    } else {
                        let _ = writeln!(out, "{n}{{{labels}}} {v}");
                    }
                }
            }
        }
        for (name, text) in SUMMARIES {
            let (sum, count) = self.summary(name);
            let _ = writeln!(
                out,
                "# HELP {name} {text}\n# TYPE {name} summary\n{name}_sum {sum}\n{name}_count {count}"
            );
        }
        for (name, text, labels, value) in gauges {
            let _ = writeln!(out, "# HELP {name} {text}\n# TYPE {name} gauge");
            if labels.is_empty() {
                let _ = writeln!(out, "{name} {value}");
            } else {
                let _ = writeln!(out, "{name}{{{labels}}} {value}");
            }
        }
        out
    }
}

/// Escapes a Prometheus label value.
pub fn label(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
