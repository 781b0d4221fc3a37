//! The node's Prometheus metrics, through the prometheus org's client library
//! (`prometheus-client`): typed label sets, counters, histograms and gauges in one registry,
//! encoded as OpenMetrics text by `GET /metrics`.
//!
//! Code that counts something calls a typed method ([`Metrics::message_in`],
//! [`Metrics::rejected`], …); no call site formats a label string or names a metric.
//!
//! The three timings are histograms (`_bucket`, `_sum`, `_count`), in seconds, per message:
//! verification and the inbox commit are measured per batch, and each message of a batch is
//! recorded at the batch's mean (`secs / count`, `count` times), so `_sum` is still the total
//! time and `_count` the number of messages, as with the summaries they replace.

use std::borrow::Cow;
use std::sync::Mutex;

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::{Registry, Unit};
use tongxin_schema::OrgId;
use tongxin_schema::v1::Kind;

/// The `Content-Type` of what [`Metrics::scrape`] returns.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// `kind="…"`: a message kind.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: Cow<'static, str>,
}

/// `reason="…"`: a rejection's reason code.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabels {
    pub reason: &'static str,
}

/// `peer="…"`: another organisation.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct PeerLabels {
    pub peer: String,
}

/// `peer="…",stream="…"`: one of another organisation's streams.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StreamLabels {
    pub peer: String,
    pub stream: String,
}

/// What the node's state shows at scrape time (read from the database by the handler).
#[derive(Debug, Default)]
pub struct Snapshot {
    pub outbox_depth: i64,
    pub held: i64,
    pub received: i64,
    pub broker_ready: bool,
    /// (peer, stream, messages known to exist but not yet applied), for each open gap.
    pub missing: Vec<(String, String, i64)>,
}

/// Buckets for the time from a message's `iat` (whole seconds) to its commit: from well under
/// a second on a live exchange to a day for a node catching up after downtime.
const APPLY_LATENCY_BUCKETS: [f64; 14] = [
    0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0, 21600.0, 86400.0,
];
/// Buckets for verifying one message (Ed25519, certificate chain, claims): tens of µs to ms.
const VERIFY_BUCKETS: [f64; 11] = [
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.1,
];
/// Buckets for one message's share of an inbox transaction: µs in a large batch, up to an
/// fsync or a PostgreSQL round trip (ms) for a batch of one, more under contention.
const COMMIT_BUCKETS: [f64; 15] = [
    0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
    0.1, 0.25, 1.0,
];

pub struct Metrics {
    registry: Registry,
    messages_in: Family<KindLabels, Counter>,
    messages_deferred: Family<KindLabels, Counter>,
    messages_out: Family<KindLabels, Counter>,
    rejected: Family<ReasonLabels, Counter>,
    duplicate: Counter,
    held: Counter,
    sync_requests_sent: Family<PeerLabels, Counter>,
    resent: Family<PeerLabels, Counter>,
    recovered: Counter,
    compacted_skipped: Counter,
    broker_reconnects: Counter,
    apply_latency: Histogram,
    verify: Histogram,
    inbox_commit: Histogram,
    outbox_depth: Gauge,
    held_messages: Gauge,
    received_messages: Gauge,
    broker_ready: Gauge,
    stream_missing: Family<StreamLabels, Gauge>,
    /// One scrape at a time: the gauges are set, then encoded, as one step.
    scrape: Mutex<()>,
}

impl Default for Metrics {
    fn default() -> Self {
        Metrics::new()
    }
}

impl Metrics {
    pub fn new() -> Metrics {
        let m = Metrics {
            registry: Registry::default(),
            messages_in: Family::default(),
            messages_deferred: Family::default(),
            messages_out: Family::default(),
            rejected: Family::default(),
            duplicate: Counter::default(),
            held: Counter::default(),
            sync_requests_sent: Family::default(),
            resent: Family::default(),
            recovered: Counter::default(),
            compacted_skipped: Counter::default(),
            broker_reconnects: Counter::default(),
            apply_latency: Histogram::new(APPLY_LATENCY_BUCKETS),
            verify: Histogram::new(VERIFY_BUCKETS),
            inbox_commit: Histogram::new(COMMIT_BUCKETS),
            outbox_depth: Gauge::default(),
            held_messages: Gauge::default(),
            received_messages: Gauge::default(),
            broker_ready: Gauge::default(),
            stream_missing: Family::default(),
            scrape: Mutex::new(()),
        };
        let mut r = Registry::default();
        // Counters are registered without `_total`: the encoder appends it.
        r.register(
            "tongxin_messages_in",
            "Messages applied, by kind",
            m.messages_in.clone(),
        );
        r.register(
            "tongxin_messages_deferred",
            "Messages kept for a kind this node does not act on yet, by kind",
            m.messages_deferred.clone(),
        );
        r.register(
            "tongxin_messages_out",
            "Messages confirmed by the broker, by kind",
            m.messages_out.clone(),
        );
        r.register(
            "tongxin_messages_rejected",
            "Messages rejected, by reason code",
            m.rejected.clone(),
        );
        r.register(
            "tongxin_messages_duplicate",
            "Deliveries dropped as already applied",
            m.duplicate.clone(),
        );
        r.register(
            "tongxin_recovered",
            "Own messages put back into the outbox from peers' answers after a restore (PROTOCOL.md 7.9)",
            m.recovered.clone(),
        );
        r.register(
            "tongxin_messages_held",
            "Messages held back behind a gap",
            m.held.clone(),
        );
        r.register(
            "tongxin_sync_requests_sent",
            "sync.requested sent, by sender asked",
            m.sync_requests_sent.clone(),
        );
        r.register(
            "tongxin_resent",
            "Messages re-sent in answer to sync.requested",
            m.resent.clone(),
        );
        r.register(
            "tongxin_compacted_skipped",
            "Sequence numbers of peers' streams passed over as compacted (sync.compacted)",
            m.compacted_skipped.clone(),
        );
        r.register(
            "tongxin_broker_reconnects",
            "Broker connections (re)established",
            m.broker_reconnects.clone(),
        );
        // Histograms in seconds: the unit is appended to the name.
        r.register_with_unit(
            "tongxin_apply_latency",
            "Time from a message's iat to its commit here",
            Unit::Seconds,
            m.apply_latency.clone(),
        );
        r.register_with_unit(
            "tongxin_verify",
            "CPU time verifying incoming messages (signature, certificate, claims), per message (a batch's mean)",
            Unit::Seconds,
            m.verify.clone(),
        );
        r.register_with_unit(
            "tongxin_inbox_commit",
            "Time applying and committing incoming batches, per message (a batch's mean)",
            Unit::Seconds,
            m.inbox_commit.clone(),
        );
        r.register(
            "tongxin_outbox_depth",
            "Messages written but not yet confirmed by the broker",
            m.outbox_depth.clone(),
        );
        r.register(
            "tongxin_held_messages",
            "Messages held behind a gap",
            m.held_messages.clone(),
        );
        r.register(
            "tongxin_received_messages",
            "Messages applied and kept",
            m.received_messages.clone(),
        );
        r.register(
            "tongxin_broker_ready",
            "1 when connected to the broker",
            m.broker_ready.clone(),
        );
        r.register(
            "tongxin_stream_missing_messages",
            "Messages known to exist but not yet applied, per peer stream",
            m.stream_missing.clone(),
        );
        Metrics { registry: r, ..m }
    }

    /// A message of `kind` was applied.
    pub fn message_in(&self, kind: Kind) {
        self.messages_in
            .get_or_create(&KindLabels {
                kind: Cow::Borrowed(kind.as_str()),
            })
            .inc();
    }

    /// A message of `kind` was kept for later (PROTOCOL.md §7.8).
    pub fn message_deferred(&self, kind: Kind) {
        self.messages_deferred
            .get_or_create(&KindLabels {
                kind: Cow::Borrowed(kind.as_str()),
            })
            .inc();
    }

    /// A message of `kind` (as the outbox stores it) was confirmed by the broker.
    pub fn message_out(&self, kind: &str) {
        self.messages_out
            .get_or_create(&KindLabels {
                kind: Cow::Owned(kind.to_owned()),
            })
            .inc();
    }

    /// A message was rejected with reason `code`.
    pub fn rejected(&self, code: &'static str) {
        self.rejected
            .get_or_create(&ReasonLabels { reason: code })
            .inc();
    }

    /// A delivery was dropped as already applied.
    pub fn duplicate(&self) {
        self.duplicate.inc();
    }

    /// A message was held back behind a gap.
    pub fn held(&self) {
        self.held.inc();
    }

    /// Own messages a peer returned after a restore were put back into the outbox.
    pub fn recovered(&self, n: u64) {
        self.recovered.inc_by(n);
    }

    /// A peer said `n` sequence numbers of its stream are gone (compacted): passed over.
    pub fn compacted_skipped(&self, n: u64) {
        self.compacted_skipped.inc_by(n);
    }

    /// `sync.requested` was sent to `peer`.
    pub fn sync_request_sent(&self, peer: &OrgId) {
        self.sync_requests_sent
            .get_or_create(&PeerLabels {
                peer: peer.to_string(),
            })
            .inc();
    }

    /// `n` messages were re-sent to `peer`.
    pub fn resent(&self, peer: &OrgId, n: u64) {
        self.resent
            .get_or_create(&PeerLabels {
                peer: peer.to_string(),
            })
            .inc_by(n);
    }

    /// A broker connection was (re)established.
    pub fn broker_reconnect(&self) {
        self.broker_reconnects.inc();
    }

    /// One message's time from its `iat` to its commit here.
    pub fn apply_latency(&self, secs: f64) {
        self.apply_latency.observe(secs);
    }

    /// Verifying a batch of `count` messages took `secs`: each is recorded at the mean.
    pub fn verified(&self, secs: f64, count: u64) {
        observe_batch(&self.verify, secs, count);
    }

    /// Applying and committing a batch of `count` messages took `secs`: each is recorded at
    /// the mean.
    pub fn inbox_committed(&self, secs: f64, count: u64) {
        observe_batch(&self.inbox_commit, secs, count);
    }

    /// Sets the gauges from `now` and encodes everything (OpenMetrics text, [`CONTENT_TYPE`]).
    pub fn scrape(&self, now: &Snapshot) -> String {
        let _one = self.scrape.lock();
        self.outbox_depth.set(now.outbox_depth);
        self.held_messages.set(now.held);
        self.received_messages.set(now.received);
        self.broker_ready.set(i64::from(now.broker_ready));
        // Only the gaps open now: a closed one disappears rather than staying at its last value.
        self.stream_missing.clear();
        for (peer, stream, missing) in &now.missing {
            self.stream_missing
                .get_or_create(&StreamLabels {
                    peer: peer.clone(),
                    stream: stream.clone(),
                })
                .set(*missing);
        }
        self.encode()
    }

    /// Everything as OpenMetrics text, the gauges as last scraped.
    pub fn encode(&self) -> String {
        let mut out = String::new();
        if let Err(e) = encode(&mut out, &self.registry) {
            tracing::error!(error = %e, "cannot encode the metrics");
        }
        out
    }

    /// The value of sample `name` with label set `labels` (as written in the exposition, e.g.
    /// `kind="checkin.attested"`; `""` for none), 0 if absent. For tests and the bench.
    pub fn get(&self, name: &str, labels: &str) -> u64 {
        sample(&self.encode(), name, labels).map_or(0, |v| v as u64)
    }

    /// (sum of seconds, count) of histogram `name`, e.g. `tongxin_verify_seconds`. For tests
    /// and the bench.
    pub fn summary(&self, name: &str) -> (f64, u64) {
        let text = self.encode();
        (
            sample(&text, &format!("{name}_sum"), "").unwrap_or(0.0),
            sample(&text, &format!("{name}_count"), "").map_or(0, |v| v as u64),
        )
    }
}

fn observe_batch(h: &Histogram, secs: f64, count: u64) {
    if count == 0 {
        return;
    }
    let each = secs / count as f64;
    for _ in 0..count {
        h.observe(each);
    }
}

/// The value of one sample line of an exposition.
fn sample(text: &str, name: &str, labels: &str) -> Option<f64> {
    let prefix = if labels.is_empty() {
        format!("{name} ")
    } else {
        format!("{name}{{{labels}}} ")
    };
    text.lines()
        .find_map(|l| l.strip_prefix(&prefix))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn org(s: &str) -> OrgId {
        s.parse().unwrap()
    }

    #[test]
    fn typed_counters_keep_their_names_and_labels() {
        let m = Metrics::new();
        m.message_in(Kind::CheckinAttested);
        m.message_in(Kind::CheckinAttested);
        m.message_out("offer.published");
        m.rejected("seq_jump");
        m.duplicate();
        m.held();
        m.sync_request_sent(&org("dongcheng-street"));
        m.resent(&org("youyi-nanli"), 7);
        m.broker_reconnect();
        assert_eq!(
            m.get("tongxin_messages_in_total", "kind=\"checkin.attested\""),
            2
        );
        assert_eq!(
            m.get("tongxin_messages_out_total", "kind=\"offer.published\""),
            1
        );
        assert_eq!(
            m.get("tongxin_messages_rejected_total", "reason=\"seq_jump\""),
            1
        );
        assert_eq!(m.get("tongxin_messages_duplicate_total", ""), 1);
        assert_eq!(m.get("tongxin_messages_held_total", ""), 1);
        assert_eq!(
            m.get(
                "tongxin_sync_requests_sent_total",
                "peer=\"dongcheng-street\""
            ),
            1
        );
        assert_eq!(m.get("tongxin_resent_total", "peer=\"youyi-nanli\""), 7);
        assert_eq!(m.get("tongxin_broker_reconnects_total", ""), 1);
        assert_eq!(m.get("tongxin_messages_in_total", "kind=\"nope\""), 0);
    }

    #[test]
    fn timings_are_histograms_per_message() {
        let m = Metrics::new();
        m.verified(0.004, 4);
        m.verified(0.0, 0);
        m.inbox_committed(0.02, 2);
        m.apply_latency(1.5);
        let (secs, n) = m.summary("tongxin_verify_seconds");
        assert!((secs - 0.004).abs() < 1e-12, "{secs}");
        assert_eq!(n, 4);
        let (secs, n) = m.summary("tongxin_inbox_commit_seconds");
        assert!((secs - 0.02).abs() < 1e-12, "{secs}");
        assert_eq!(n, 2);
        assert_eq!(m.summary("tongxin_apply_latency_seconds"), (1.5, 1));
        let text = m.encode();
        assert!(
            text.contains("# TYPE tongxin_verify_seconds histogram"),
            "{text}"
        );
        // Each of the four at the mean, 1 ms: in the 1 ms bucket, not below.
        assert_eq!(
            sample(&text, "tongxin_verify_seconds_bucket", "le=\"0.001\""),
            Some(4.0)
        );
        assert_eq!(
            sample(&text, "tongxin_verify_seconds_bucket", "le=\"0.0005\""),
            Some(0.0)
        );
    }

    #[test]
    fn scrape_sets_the_state_gauges_and_drops_closed_gaps() {
        let m = Metrics::new();
        let text = m.scrape(&Snapshot {
            outbox_depth: 3,
            held: 2,
            received: 10,
            broker_ready: true,
            missing: vec![("dongcheng-street".into(), "all".into(), 5)],
        });
        assert!(text.ends_with("# EOF\n"), "{text}");
        assert_eq!(sample(&text, "tongxin_outbox_depth", ""), Some(3.0));
        assert_eq!(sample(&text, "tongxin_held_messages", ""), Some(2.0));
        assert!(text.contains("\ntongxin_received_messages 10\n"), "{text}");
        assert_eq!(sample(&text, "tongxin_broker_ready", ""), Some(1.0));
        assert_eq!(
            sample(
                &text,
                "tongxin_stream_missing_messages",
                "peer=\"dongcheng-street\",stream=\"all\""
            ),
            Some(5.0)
        );
        let text = m.scrape(&Snapshot::default());
        assert!(!text.contains("dongcheng-street"), "{text}");
        assert_eq!(sample(&text, "tongxin_broker_ready", ""), Some(0.0));
    }

    #[test]
    fn label_values_are_escaped() {
        let m = Metrics::new();
        m.message_out("a\"b\\c\nd");
        let text = m.encode();
        assert!(
            text.contains(r#"tongxin_messages_out_total{kind="a\"b\\c\nd"} 1"#),
            "{text}"
        );
    }
}
