//! OData query options and collection responses: `$top`, `$skiptoken`, `$filter`, `$select`,
//! `$expand`, `@odata.context` and `@odata.nextLink`.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Map, Value};

use super::ApiVersion;
use super::schema::{StructuredType, unknown_query_property_error};
use crate::errors::GraphError;

mod filter;

pub use filter::*;

/// Query options the lab knows but does not implement; they are refused rather than ignored, so
/// a client relying on them finds out.
const UNSUPPORTED_OPTIONS: &[&str] = &[
    "$count", "$orderby", "$search", "$skip", "$format", "$apply", "$compute", "$levels",
];

/// The system query options of one request.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueryOptions {
    pub top: Option<usize>,
    pub skiptoken: Option<String>,
    pub filter: Option<String>,
    pub select: Option<String>,
    pub expand: Option<String>,
}

impl QueryOptions {
    /// Parses the raw query string. Option names are case-insensitive; parameters without `$`
    /// are ignored.
    pub fn parse(raw: Option<&str>) -> Result<Self, GraphError> {
        let mut options = QueryOptions::default();
        let Some(raw) = raw else {
            return Ok(options);
        };
        for (key, value) in url::form_urlencoded::parse(raw.as_bytes()) {
            let name = key.to_ascii_lowercase();
            if !name.starts_with('$') {
                continue;
            }
            let slot = match name.as_str() {
                "$top" => {
                    let top = value.trim().parse::<usize>().map_err(|_| {
                        GraphError::bad_request(format!(
                            "Invalid value '{value}' for $top query option found. The $top query option requires a non-negative integer value."
                        ))
                    })?;
                    if options.top.replace(top).is_some() {
                        return Err(duplicate_option(&key));
                    }
                    continue;
                }
                "$skiptoken" => &mut options.skiptoken,
                "$filter" => &mut options.filter,
                "$select" => &mut options.select,
                "$expand" => &mut options.expand,
                other if UNSUPPORTED_OPTIONS.contains(&other) => {
                    return Err(GraphError::bad_request(format!(
                        "autopilot-lab does not support the query option '{key}'."
                    )));
                }
                _ => {
                    return Err(GraphError::bad_request(format!(
                        "The query parameter '{key}' is not supported."
                    )));
                }
            };
            if slot.replace(value.into_owned()).is_some() {
                return Err(duplicate_option(&key));
            }
        }
        Ok(options)
    }
}

fn duplicate_option(key: &str) -> GraphError {
    GraphError::bad_request(format!(
        "Query option '{key}' was specified more than once, but it must be specified at most once."
    ))
}

/// `<graph_url>/<version>/$metadata#<fragment>`.
pub fn context_url(graph_url: &str, version: ApiVersion, fragment: &str) -> String {
    format!("{graph_url}/{}/$metadata#{fragment}", version.as_str())
}

/// Encodes a paging cursor as an opaque `$skiptoken`.
pub fn encode_skiptoken(cursor: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("lab-cursor:{cursor}"))
}

/// Decodes a `$skiptoken` made by [`encode_skiptoken`].
pub fn decode_skiptoken(token: &str) -> Result<u64, GraphError> {
    URL_SAFE_NO_PAD
        .decode(token)
        .ok()
        .and_then(|bytes| String::from_utf8(bytes).ok())
        .and_then(|text| text.strip_prefix("lab-cursor:")?.parse().ok())
        .ok_or_else(|| GraphError::bad_request("The specified $skiptoken value is not valid."))
}

/// One page of a collection: the items and the cursor to continue after, if more remain.
#[derive(Debug)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<u64>,
}

/// Takes up to `size` items after `after` (exclusive). `items` must be in cursor order.
pub fn paginate<T>(
    items: impl Iterator<Item = (u64, T)>,
    after: Option<u64>,
    size: usize,
) -> Page<T> {
    let mut page = Vec::new();
    let mut last = None;
    let mut more = false;
    for (cursor, item) in items.filter(|(cursor, _)| after.is_none_or(|a| *cursor > a)) {
        if page.len() == size {
            more = true;
            break;
        }
        last = Some(cursor);
        page.push(item);
    }
    Page {
        items: page,
        next_cursor: if more && size > 0 { last } else { None },
    }
}

/// Builds the absolute `@odata.nextLink`: the collection URL with the caller's `$top`,
/// `$filter`, `$select` and `$expand` kept and a new `$skiptoken`.
pub fn next_link(
    graph_url: &str,
    version: ApiVersion,
    collection_path: &str,
    options: &QueryOptions,
    cursor: u64,
) -> String {
    let mut parts = Vec::new();
    if let Some(top) = options.top {
        parts.push(format!("$top={top}"));
    }
    for (name, value) in [
        ("$filter", &options.filter),
        ("$select", &options.select),
        ("$expand", &options.expand),
    ] {
        if let Some(value) = value {
            parts.push(format!("{name}={}", encode_query_value(value)));
        }
    }
    parts.push(format!("$skiptoken={}", encode_skiptoken(cursor)));
    format!(
        "{graph_url}/{}/{collection_path}?{}",
        version.as_str(),
        parts.join("&")
    )
}

/// Percent-encodes a query value, leaving the characters OData URLs usually show as is.
fn encode_query_value(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        match byte {
            b'A'..=b'Z'
            | b'a'..=b'z'
            | b'0'..=b'9'
            | b'-'
            | b'.'
            | b'_'
            | b'~'
            | b'\''
            | b'('
            | b')'
            | b'*'
            | b','
            | b':'
            | b'@'
            | b'/'
            | b'$' => out.push(char::from(byte)),
            other => out.push_str(&format!("%{other:02X}")),
        }
    }
    out
}

/// Parses `$select` into property names, checked against `ty` and `derived` (so a derived
/// type's properties can be selected from a base-typed collection).
pub fn parse_select(
    select: Option<&str>,
    ty: &'static StructuredType,
    derived: &[&'static StructuredType],
) -> Result<Option<Vec<&'static str>>, GraphError> {
    let Some(select) = select else {
        return Ok(None);
    };
    let mut names = Vec::new();
    for raw in select.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if raw == "*" {
            return Ok(None);
        }
        let property = std::iter::once(ty)
            .chain(derived.iter().copied())
            .find_map(|t| t.property_ignore_case(raw))
            .ok_or_else(|| unknown_query_property_error(raw, ty))?;
        names.push(property.name);
    }
    Ok(Some(names))
}

/// Keeps `@odata.type`, `id` and the selected properties of an object.
pub fn apply_select(object: &Value, select: Option<&[&str]>) -> Value {
    let (Some(select), Some(map)) = (select, object.as_object()) else {
        return object.clone();
    };
    let kept: Map<String, Value> = map
        .iter()
        .filter(|(key, _)| *key == "@odata.type" || *key == "id" || select.contains(&key.as_str()))
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    Value::Object(kept)
}

/// Parses `$expand` into navigation property names of `ty`.
pub fn parse_expand(
    expand: Option<&str>,
    ty: &'static StructuredType,
    supported: &[&str],
) -> Result<Vec<&'static str>, GraphError> {
    let Some(expand) = expand else {
        return Ok(Vec::new());
    };
    let mut names = Vec::new();
    for raw in expand.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        if raw.contains('(') {
            return Err(GraphError::bad_request(format!(
                "autopilot-lab does not support nested query options in $expand ('{raw}')."
            )));
        }
        let navigation = ty
            .navigation(raw)
            .ok_or_else(|| unknown_query_property_error(raw, ty))?;
        if !supported.contains(&navigation) {
            return Err(GraphError::bad_request(format!(
                "autopilot-lab does not support $expand={navigation} here."
            )));
        }
        if !names.contains(&navigation) {
            names.push(navigation);
        }
    }
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::schema::{ENTITY, Kind, Property};
    use serde_json::json;

    static THING: StructuredType = StructuredType::derived(
        "thing",
        &ENTITY,
        &[
            Property::new("displayName", Kind::String, false),
            Property::new("count", Kind::Int32, true),
        ],
    )
    .with_navigations(&["assignments"]);

    #[test]
    fn parses_options() {
        let o = QueryOptions::parse(Some("$top=5&$filter=displayName%20eq%20'a'&foo=1")).unwrap();
        assert_eq!(o.top, Some(5));
        assert_eq!(o.filter.as_deref(), Some("displayName eq 'a'"));
        assert!(QueryOptions::parse(Some("$top=-1")).is_err());
        assert!(QueryOptions::parse(Some("$top=1&$TOP=2")).is_err());
        assert!(QueryOptions::parse(Some("$orderby=x")).is_err());
        assert!(QueryOptions::parse(Some("$bogus=x")).is_err());
    }

    #[test]
    fn filter_eq_and_isof() {
        let f = Filter::parse(
            "DisplayName eq 'O''Brien' and count eq 3 and isof('microsoft.graph.thing')",
            &THING,
            &[],
        )
        .unwrap();
        assert!(f.matches(
            &json!({"@odata.type": "#microsoft.graph.thing", "displayName": "o'brien", "count": 3})
        ));
        assert!(!f.matches(
            &json!({"@odata.type": "#microsoft.graph.thing", "displayName": "o'brien", "count": 4})
        ));
        assert!(Filter::parse("nope eq 'x'", &THING, &[]).is_err());
        assert!(Filter::parse("displayName gt 'x'", &THING, &[]).is_err());
        assert!(Filter::parse("substringof('x',displayName)", &THING, &[]).is_err());
        assert!(Filter::parse("displayName eq 'x' or", &THING, &[]).is_err());
    }

    #[test]
    fn filter_functions_or_and_paths() {
        let f = Filter::parse(
            "(startswith(displayName,'PF') or contains(displayName, 'xyz')) and count ne 3",
            &THING,
            &[],
        )
        .unwrap();
        assert!(f.matches(&json!({"displayName": "pf123", "count": 4})));
        assert!(f.matches(&json!({"displayName": "aXYZb", "count": null})));
        assert!(!f.matches(&json!({"displayName": "pf123", "count": 3})));
        assert!(!f.matches(&json!({"displayName": "nope", "count": 1})));
        let f = Filter::parse("endswith(displayName,'Z') or count eq 1", &THING, &[]).unwrap();
        assert!(f.matches(&json!({"displayName": "abz"})));
        let f = Filter::parse("displayName/inner eq 'x'", &THING, &[]).unwrap();
        assert!(f.matches(&json!({"displayName": {"Inner": "X"}})));
    }

    #[test]
    fn pages_by_cursor() {
        let items = [(0u64, "a"), (1, "b"), (3, "c"), (7, "d")];
        let page = paginate(items.iter().copied(), None, 2);
        assert_eq!(page.items, vec!["a", "b"]);
        assert_eq!(page.next_cursor, Some(1));
        let page = paginate(items.iter().copied(), Some(1), 2);
        assert_eq!(page.items, vec!["c", "d"]);
        assert_eq!(page.next_cursor, None);
        let token = encode_skiptoken(42);
        assert_eq!(decode_skiptoken(&token).unwrap(), 42);
        assert!(decode_skiptoken("garbage!").is_err());
    }

    #[test]
    fn next_link_keeps_options() {
        let o = QueryOptions {
            top: Some(2),
            filter: Some("displayName eq 'a b'".into()),
            ..Default::default()
        };
        let link = next_link("http://h:1", ApiVersion::Beta, "x/y", &o, 9);
        assert!(link.starts_with(
            "http://h:1/beta/x/y?$top=2&$filter=displayName%20eq%20'a%20b'&$skiptoken="
        ));
        let parsed = QueryOptions::parse(link.split_once('?').map(|(_, q)| q)).unwrap();
        assert_eq!(parsed.filter, o.filter);
        assert_eq!(
            decode_skiptoken(parsed.skiptoken.as_deref().unwrap()).unwrap(),
            9
        );
    }
}
