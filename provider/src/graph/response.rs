//! Graph's successful answers read into the provider's types. A body that is
//! not what the type expects (empty, cut off, an HTML page, a wrong type, a
//! list without `value`) becomes a [`GraphError::Decode`] saying what was
//! wrong and where, never a panic. Bodies are not quoted: a device answer
//! may carry a hardware hash.

use serde::de::DeserializeOwned;
use serde_json::error::Category;
use url::Url;

use super::GraphError;

/// Reads a JSON answer as `T`.
pub(crate) fn decode<T: DeserializeOwned>(path: &str, bytes: &[u8]) -> Result<T, GraphError> {
    let fail = |reason: String| GraphError::Decode {
        path: path.to_string(),
        reason,
    };
    match describe_non_json(bytes) {
        Some(NotJson::CutOff) => {
            return Err(fail(
                "the JSON answer is cut off before its end".to_string(),
            ));
        }
        Some(kind) => return Err(fail(format!("Graph answered with {kind}, not JSON"))),
        None => {}
    }
    let mut reader = serde_json::Deserializer::from_slice(bytes);
    let value: T = serde_path_to_error::deserialize(&mut reader).map_err(|e| fail(reason(&e)))?;
    reader
        .end()
        .map_err(|e| fail(format!("the answer has more after its JSON document ({e})")))?;
    Ok(value)
}

/// The next page of a list (`@odata.nextLink`), followed only on Graph's
/// own origin: the request carries the access token.
pub(crate) fn next_link(graph_url: &Url, path: &str, next: &str) -> Result<Url, GraphError> {
    let fail = |reason: String| GraphError::Decode {
        path: path.to_string(),
        reason,
    };
    let url = Url::parse(next)
        .map_err(|e| fail(format!("the answer's `@odata.nextLink` is not a URL ({e})")))?;
    if url.origin() != graph_url.origin() {
        return Err(fail(format!(
            "the answer's `@odata.nextLink` leads to {}, not to {}; it is not followed, since the request would carry the access token",
            url.origin().ascii_serialization(),
            graph_url.origin().ascii_serialization()
        )));
    }
    Ok(url)
}

fn reason(error: &serde_path_to_error::Error<serde_json::Error>) -> String {
    let inner = error.inner();
    let at = error.path().to_string();
    let detail = without_string_values(&inner.to_string());
    match inner.classify() {
        Category::Eof => format!(
            "the JSON answer is cut off (it ends at line {}, column {})",
            inner.line(),
            inner.column()
        ),
        Category::Syntax | Category::Io => format!("the answer is not valid JSON ({inner})"),
        Category::Data if at == "." && detail.starts_with("missing field `value`") => {
            "the answer has no `value` list, which every collection answer has".to_string()
        }
        Category::Data if at == "." => {
            format!("the answer does not have the expected shape: {detail}")
        }
        Category::Data => format!("`{at}` in the answer: {detail}"),
    }
}

/// serde's messages quote a mistyped string (`invalid type: string "..."`);
/// the string may be a hardware hash, so only its kind is kept.
fn without_string_values(message: &str) -> String {
    const QUOTED: &str = "string \"";
    let mut out = String::with_capacity(message.len());
    let mut rest = message;
    while let Some(at) = rest.find(QUOTED) {
        out.push_str(&rest[..at]);
        out.push_str("a string");
        let quoted = &rest[at + QUOTED.len()..];
        let mut escaped = false;
        let end = quoted.char_indices().find_map(|(i, c)| {
            let closes = c == '"' && !escaped;
            escaped = c == '\\' && !escaped;
            closes.then_some(i + 1)
        });
        rest = &quoted[end.unwrap_or(quoted.len())..];
    }
    out.push_str(rest);
    out
}

/// A body that is plainly not a JSON document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum NotJson {
    Empty,
    /// An HTML page, with its title when it has one.
    Html(Option<String>),
    Xml,
    /// JSON that stops before its end.
    CutOff,
    Binary,
}

impl std::fmt::Display for NotJson {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NotJson::Empty => f.write_str("an empty body"),
            NotJson::Html(Some(title)) => write!(f, "an HTML page ({title:?})"),
            NotJson::Html(None) => f.write_str("an HTML page"),
            NotJson::Xml => f.write_str("an XML document"),
            NotJson::CutOff => f.write_str("a cut-off JSON body"),
            NotJson::Binary => f.write_str("a binary (non-UTF-8) body"),
        }
    }
}

/// What a body is when it is plainly not JSON; `None` when it may be JSON
/// or is plain text.
pub(crate) fn describe_non_json(body: &[u8]) -> Option<NotJson> {
    let Ok(text) = std::str::from_utf8(body) else {
        return Some(NotJson::Binary);
    };
    let text = text.trim_start_matches('\u{feff}').trim();
    if text.is_empty() {
        return Some(NotJson::Empty);
    }
    let lower = text.to_ascii_lowercase();
    if lower.starts_with("<!doctype html") || lower.starts_with("<html") {
        return Some(NotJson::Html(html_title(text)));
    }
    if text.starts_with('<') {
        return Some(NotJson::Xml);
    }
    if text.starts_with(['{', '['])
        && serde_json::from_str::<serde::de::IgnoredAny>(text)
            .is_err_and(|e| e.classify() == Category::Eof)
    {
        return Some(NotJson::CutOff);
    }
    None
}

/// The text of an HTML page's `<title>`, whitespace collapsed, at most 100
/// characters.
fn html_title(page: &str) -> Option<String> {
    let lower = page.to_ascii_lowercase();
    let open = lower.find("<title")?;
    let start = open + lower[open..].find('>')? + 1;
    let end = start + lower[start..].find("</title")?;
    let title = page
        .get(start..end)?
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    (!title.is_empty()).then(|| title.chars().take(100).collect())
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, Deserialize)]
    #[serde(rename_all = "camelCase")]
    struct Profile {
        #[allow(dead_code)]
        id: String,
        #[allow(dead_code)]
        display_name: String,
    }

    #[derive(Debug, Deserialize)]
    struct Page {
        #[allow(dead_code)]
        value: Vec<Profile>,
    }

    fn reason_of<T: DeserializeOwned + std::fmt::Debug>(body: &[u8]) -> String {
        match decode::<T>("deviceManagement/x", body) {
            Err(GraphError::Decode { path, reason }) => {
                assert_eq!(path, "deviceManagement/x");
                reason
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn a_good_answer_decodes() {
        let page: Page = decode(
            "p",
            br#"{"value":[{"id":"1","displayName":"A"}],"@odata.count":1}"#,
        )
        .expect("a page");
        assert_eq!(page.value.len(), 1);
    }

    #[test]
    fn empty_and_html_and_xml_bodies_are_named() {
        assert_eq!(
            reason_of::<Profile>(b""),
            "Graph answered with an empty body, not JSON"
        );
        assert_eq!(
            reason_of::<Profile>(b" \r\n"),
            "Graph answered with an empty body, not JSON"
        );
        let page = b"<!DOCTYPE html><html><head><title>\n  Sign in to your account\n</title></head></html>";
        assert_eq!(
            reason_of::<Profile>(page),
            "Graph answered with an HTML page (\"Sign in to your account\"), not JSON"
        );
        assert_eq!(
            reason_of::<Profile>(b"<html><body>oops</body></html>"),
            "Graph answered with an HTML page, not JSON"
        );
        assert!(reason_of::<Profile>(b"<?xml version=\"1.0\"?><a/>").contains("an XML document"));
        assert!(reason_of::<Profile>(&[0xff, 0xfe, 0x00]).contains("binary"));
    }

    #[test]
    fn truncated_json_is_named() {
        let reason = reason_of::<Page>(br#"{"value":[{"id":"1","displayName":"#);
        assert_eq!(reason, "the JSON answer is cut off before its end");
    }

    #[test]
    fn wrong_types_name_the_field() {
        let reason = reason_of::<Page>(
            br#"{"value":[{"id":"1","displayName":"A"},{"id":2,"displayName":"B"}]}"#,
        );
        assert!(
            reason.starts_with(
                "`value[1].id` in the answer: invalid type: integer `2`, expected a string"
            ),
            "{reason}"
        );
        let reason = reason_of::<Profile>(br#"{"id":"1"}"#);
        assert!(reason.contains("missing field `displayName`"), "{reason}");
        let reason = reason_of::<Profile>(b"42");
        assert!(
            reason.starts_with("the answer does not have the expected shape"),
            "{reason}"
        );
    }

    #[test]
    fn a_list_without_value_is_named() {
        assert_eq!(
            reason_of::<Page>(br#"{"@odata.context":"x"}"#),
            "the answer has no `value` list, which every collection answer has"
        );
    }

    #[test]
    fn next_links_stay_on_graphs_origin() {
        let graph = Url::parse("https://graph.microsoft.com").expect("url");
        let next = "https://graph.microsoft.com/beta/groups?$skiptoken=x";
        assert_eq!(
            next_link(&graph, "groups", next)
                .map(|u| u.to_string())
                .ok(),
            Some(next.to_string())
        );
        for bad in [
            "https://evil.example/beta/groups?$skiptoken=x",
            "http://graph.microsoft.com/beta/groups",
            "https://graph.microsoft.com:8443/beta/groups",
        ] {
            let error = next_link(&graph, "groups", bad).expect_err(bad).to_string();
            assert!(error.contains("is not followed"), "{error}");
        }
        let error = next_link(&graph, "groups", "/beta/groups?x").expect_err("relative");
        assert!(error.to_string().contains("not a URL"), "{error}");
    }

    #[test]
    fn junk_and_trailing_bytes_are_errors() {
        assert!(reason_of::<Profile>(b"not json").contains("not valid JSON"));
        let reason = reason_of::<Profile>(br#"{"id":"1","displayName":"A"} {"#);
        assert!(reason.contains("more after its JSON document"), "{reason}");
    }

    #[test]
    fn reasons_never_quote_string_values() {
        // A wrong-typed answer must not echo strings such as a hardware hash.
        let reason = reason_of::<Page>(br#"{"value":"QUJDREVGR0hJSktMTU5PUA=="}"#);
        assert!(!reason.contains("QUJDREVG"), "{reason}");
    }
}
