//! Logs as JSON lines on stderr, in the shape Terraform's plugin client
//! parses (`@level`, `@message`, `@module`, `@timestamp`), so TF_LOG and
//! TF_LOG_PROVIDER show them. stdout is reserved for the handshake line.

use std::io::Write;

use serde_json::{Map, Value as Json};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::Layer;
use tracing_subscriber::filter::{LevelFilter, Targets};
use tracing_subscriber::layer::{Context, SubscriberExt};
use tracing_subscriber::registry::LookupSpan;
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
    let layer = JsonLines {
        module,
        sink: Sink::Stderr,
    }
    .with_filter(filter);
    let _ = tracing_subscriber::registry().with(layer).try_init();
}

struct JsonLines {
    module: &'static str,
    sink: Sink,
}

/// Where the lines go: stderr, or a buffer in tests.
enum Sink {
    Stderr,
    #[cfg(test)]
    Buffer(std::sync::Arc<std::sync::Mutex<Vec<u8>>>),
}

impl Sink {
    fn write_line(&self, line: &Json) {
        match self {
            Sink::Stderr => {
                let mut stderr = std::io::stderr().lock();
                let _ = writeln!(stderr, "{line}");
            }
            #[cfg(test)]
            Sink::Buffer(buffer) => {
                if let Ok(mut buffer) = buffer.lock() {
                    let _ = writeln!(buffer, "{line}");
                }
            }
        }
    }
}

/// A span's fields, kept in its extensions for the events inside it.
struct SpanFields(Map<String, Json>);

impl<S> Layer<S> for JsonLines
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let mut fields = FieldCollector(Map::new());
        attrs.record(&mut fields);
        if let Some(span) = ctx.span(id) {
            span.extensions_mut().insert(SpanFields(fields.0));
        }
    }

    fn on_event(&self, event: &Event<'_>, ctx: Context<'_, S>) {
        // The enclosing spans' fields (the RPC and the resource type it
        // serves), outermost first; the event's own fields win.
        let mut fields = FieldCollector(Map::new());
        for span in ctx
            .event_scope(event)
            .into_iter()
            .flat_map(|s| s.from_root())
        {
            if let Some(SpanFields(map)) = span.extensions().get::<SpanFields>() {
                fields.0.extend(map.clone());
            }
        }
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
        self.sink.write_line(&Json::Object(line));
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

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use super::*;

    #[test]
    fn lines_carry_the_fields_of_their_spans() {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let layer = JsonLines {
            module: "test",
            sink: Sink::Buffer(buffer.clone()),
        };
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let span =
                tracing::error_span!("rpc", tf_rpc = "ReadResource", tf_resource_type = "x_thing");
            let _entered = span.enter();
            tracing::info!(path = "things/1", "graph request");
        });
        let text = String::from_utf8(buffer.lock().map(|b| b.clone()).unwrap_or_default())
            .unwrap_or_default();
        let line: Json = serde_json::from_str(text.trim()).unwrap_or_default();
        assert_eq!(line["@message"], "graph request", "{text}");
        assert_eq!(line["tf_rpc"], "ReadResource", "{text}");
        assert_eq!(line["tf_resource_type"], "x_thing", "{text}");
        assert_eq!(line["path"], "things/1", "{text}");
    }
}
