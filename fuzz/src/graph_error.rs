//! Graph's error bodies (`graph::parse_error_body`).

use arbitrary::{Arbitrary, Unstructured};
use serde_json::json;
use terraform_provider_autopilot::graph::{GraphError, parse_error_body};

/// An error answer: arbitrary bytes, or Graph's shape with arbitrary parts.
#[derive(Debug, Arbitrary)]
enum Answer {
    Raw {
        status: u16,
        body: Vec<u8>,
    },
    Graph {
        status: u16,
        code: String,
        message: String,
        request_id: Option<String>,
        /// Intune's habit: the message is a JSON document with `Message`.
        intune: bool,
    },
}

/// How many characters of a message the parser keeps (`graph::error`).
const MAX_MESSAGE_CHARS: usize = 1_000;

/// Any answer: a non-empty code and message; Graph's shape gives back its
/// parts exactly; the error built from them displays the status.
pub fn check(data: &[u8]) {
    let Ok(answer) = Answer::arbitrary_take_rest(Unstructured::new(data)) else {
        return;
    };
    match answer {
        Answer::Raw { status, body } => {
            let (code, message, _) = parse_error_body(status, &body);
            assert!(!code.trim().is_empty(), "empty code for {body:?}");
            assert!(!message.trim().is_empty(), "empty message for {body:?}");
            assert!(
                message.chars().count() <= MAX_MESSAGE_CHARS,
                "message of {} characters",
                message.chars().count()
            );
            displays(status, code, message);
        }
        Answer::Graph {
            status,
            code,
            message,
            request_id,
            intune,
        } => {
            let sent_message = if intune {
                json!({"_version": 3, "Message": message, "CustomApiErrorPhrase": "", "RetryAfter": null})
                    .to_string()
            } else {
                message.clone()
            };
            let body = json!({"error": {
                "code": code,
                "message": sent_message,
                "innerError": {"date": "2025-02-13T10:21:18", "request-id": request_id},
            }});
            let (got_code, got_message, got_id) =
                parse_error_body(status, body.to_string().as_bytes());
            if !code.trim().is_empty() {
                assert_eq!(got_code, code);
            }
            let unwrapped_by_design =
                !intune && serde_json::from_str::<serde_json::Value>(&message).is_ok();
            if !message.trim().is_empty() && !unwrapped_by_design {
                if message.chars().count() <= MAX_MESSAGE_CHARS {
                    assert_eq!(got_message, message);
                } else {
                    // Long messages are clipped to their start and an ellipsis.
                    let kept = got_message.strip_suffix('…').unwrap_or_else(|| {
                        panic!(
                            "a message of {} characters was not clipped",
                            message.chars().count()
                        )
                    });
                    assert!(
                        message.starts_with(kept),
                        "the clipped message is not the start"
                    );
                    assert_eq!(got_message.chars().count(), MAX_MESSAGE_CHARS);
                }
            }
            assert_eq!(got_id, request_id);
            displays(status, got_code, got_message);
        }
    }
}

fn displays(status: u16, code: String, message: String) {
    let error = GraphError::Api {
        method: "GET".into(),
        path: "/beta/deviceManagement/windowsAutopilotDeviceIdentities".into(),
        status,
        code,
        message,
        request_id: None,
    };
    assert!(
        error.to_string().contains(&format!("HTTP {status}")),
        "{error}"
    );
}
