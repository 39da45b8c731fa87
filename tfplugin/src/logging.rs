//! Logs as JSON lines on stderr, in the shape Terraform's plugin client
//! parses (`@level`, `@message`, `@module`, `@timestamp`), so TF_LOG and
//! TF_LOG_PROVIDER show them. stdout is reserved for the handshake line.

use std::io::Write;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::util::SubscriberInitExt;

/// The level asked for by TF_LOG_PROVIDER, else TF_LOG; off when neither is set.
pub fn level_from_env() -> LevelFilter {
    let raw = std::env::var("TF_LOG_PROVIDER")
        .or_else(|_| std::env::var("TF_LOG"))
        .unwrap_or_default();
    match raw.trim().to_ascii_uppercase().as_str() {
        "TRACE" | "JSON" => LevelFilter::TRACE,
        "DEBUG" => LevelFilter::DEBUG,
        "INFO" => LevelFilter::INFO,
        "WARN" => LevelFilter::WARN,
        "ERROR" => LevelFilter::ERROR,
        _ => LevelFilter::OFF,
    }
}

/// Installs the JSON-lines logger for a plugin process. `own_targets` (the
/// provider's crates) log at the requested level; libraries (HTTP, TLS,
/// gRPC) at most at WARN, so their traces can never carry request details.
pub fn init(module: &'static str, own_targets: &[&'static str]) {
    let level = level_from_env();
    let mut filter = Targets::new()
        .with_default(level.min(LevelFilter::WARN))
        .with_target("tfplugin", level);
    for target in own_targets {
        filter = filter.with_target(*target, level);
    }
    let layer = JsonLines { module }.with_filter(filter);
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

struct JsonLines {
    module: &'static str,
}

impl<S: Subscriber> Layer<S> for JsonLines {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        let mut fields = FieldCollector(Map::new());
        event.record(&mut fields);
        let mut line = Map::new();
        let level = match *event.metadata().level() {
            Level::TRACE => "trace",
            Level::DEBUG => "debug",
            Level::INFO => "info",
            Level::WARN => "warn",
            Level::ERROR => "error",
        };
        line.insert("@level".into(), Json::from(level));
        line.insert(
            "@message".into(),
            fields
                .0
                .remove("message")
                .unwrap_or_else(|| Json::from(event.metadata().name())),
        );
        line.insert("@module".into(), Json::from(self.module));
        line.insert(
            "@timestamp".into(),
            Json::from(
                chrono::Utc::now()
                    .format("%Y-%m-%dT%H:%M:%S%.6fZ")
                    .to_string(),
            ),
        );
        line.insert("target".into(), Json::from(event.metadata().target()));
        line.extend(fields.0);
        let mut stderr = std::io::stderr().lock();
        let _ = writeln!(stderr, "{}", Json::Object(line));
    }
}

struct FieldCollector(Map<String, Json>);

impl Visit for FieldCollector {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.0.insert(field.name().into(), Json::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().into(), Json::from(format!("{value:?}")));
    }
}
