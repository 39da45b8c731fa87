//! The rule syntax of Intune assignment filters, checked offline so a plan refuses a rule Intune
//! would refuse. Microsoft Learn, "App and device properties, operators, and rule editing when
//! creating filters in Microsoft Intune": `(device.<property> <operator> <value>)` expressions
//! joined by `and` / `or` (each with or without a leading `-`), nested parentheses, properties,
//! operators and values case-insensitive, `-in` / `-notIn` over `["a", "b"]` lists,
//! `null` / `$null` with `-eq` / `-ne`, and `operatingSystemVersion` compared with
//! `-eq -ne -gt -ge -lt -le` to a version. A refusal names the 1-based character position.

/// Properties of managed-device filters on Windows 10 and later.
pub const DEVICE_PROPERTIES: &[&str] = &[
    "cpuArchitecture",
    "deviceCategory",
    "deviceName",
    "deviceOwnership",
    "deviceTrustType",
    "enrollmentProfileName",
    "manufacturer",
    "model",
    "operatingSystemSKU",
    "operatingSystemVersion",
    "osVersion",
];

/// Properties of managed-app filters.
pub const APP_PROPERTIES: &[&str] = &[
    "appVersion",
    "deviceManagementType",
    "deviceManufacturer",
    "deviceModel",
    "operatingSystemVersion",
    "osVersion",
];

/// Operators on text properties.
const TEXT_OPERATORS: &[&str] = &[
    "eq",
    "ne",
    "startsWith",
    "notStartsWith",
    "endsWith",
    "notEndsWith",
    "contains",
    "notContains",
    "in",
    "notIn",
];

/// Operators on `operatingSystemVersion`.
const VERSION_OPERATORS: &[&str] = &["eq", "ne", "gt", "ge", "lt", "le"];

/// The property prefix and the properties of a management type (`devices` or `apps`).
fn vocabulary(management_type: &str) -> (&'static str, &'static [&'static str]) {
    if management_type == "apps" {
        ("app", APP_PROPERTIES)
    } else {
        ("device", DEVICE_PROPERTIES)
    }
}

/// One lexical piece of a rule and where it starts (0-based, in characters).
#[derive(Debug, Clone, PartialEq)]
enum Piece {
    Open,
    Close,
    ListOpen,
    ListClose,
    Comma,
    Quoted(String),
    Bare(String),
}

fn lex(rule: &str) -> Result<Vec<(usize, Piece)>, String> {
    let chars: Vec<char> = rule.chars().collect();
    let mut pieces = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let start = i;
        let single = match chars[i] {
            '(' => Some(Piece::Open),
            ')' => Some(Piece::Close),
            '[' => Some(Piece::ListOpen),
            ']' => Some(Piece::ListClose),
            ',' => Some(Piece::Comma),
            _ => None,
        };
        if let Some(piece) = single {
            pieces.push((start, piece));
            i += 1;
        } else if chars[i].is_whitespace() {
            i += 1;
        } else if chars[i] == '"' {
            let end = chars[i + 1..]
                .iter()
                .position(|c| *c == '"')
                .ok_or_else(|| format!("at {}: the quoted value is never closed", start + 1))?;
            pieces.push((
                start,
                Piece::Quoted(chars[i + 1..i + 1 + end].iter().collect()),
            ));
            i += end + 2;
        } else {
            while i < chars.len() && !chars[i].is_whitespace() && !"()[],\"".contains(chars[i]) {
                i += 1;
            }
            pieces.push((start, Piece::Bare(chars[start..i].iter().collect())));
        }
    }
    Ok(pieces)
}

/// `word` as one of `names` (case-insensitive, an optional leading `-`).
fn one_of(word: &str, names: &[&'static str]) -> Option<&'static str> {
    let word = word.strip_prefix('-').unwrap_or(word);
    names.iter().copied().find(|n| n.eq_ignore_ascii_case(word))
}

struct Rule<'v> {
    pieces: Vec<(usize, Piece)>,
    next: usize,
    /// Where the rule ends (for "at the end" messages).
    length: usize,
    entity: &'v str,
    properties: &'v [&'static str],
}

impl Rule<'_> {
    fn take(&mut self) -> (usize, Option<Piece>) {
        match self.pieces.get(self.next) {
            Some((at, piece)) => {
                self.next += 1;
                (*at + 1, Some(piece.clone()))
            }
            None => (self.length + 1, None),
        }
    }

    fn connective(&mut self, name: &'static str) -> bool {
        let found = matches!(self.pieces.get(self.next), Some((_, Piece::Bare(w))) if one_of(w, &[name]).is_some());
        if found {
            self.next += 1;
        }
        found
    }

    fn any(&mut self) -> Result<(), String> {
        self.all()?;
        while self.connective("or") {
            self.all()?;
        }
        Ok(())
    }

    fn all(&mut self) -> Result<(), String> {
        self.term()?;
        while self.connective("and") {
            self.term()?;
        }
        Ok(())
    }

    fn term(&mut self) -> Result<(), String> {
        match self.take() {
            (_, Some(Piece::Open)) => {
                self.any()?;
                match self.take() {
                    (_, Some(Piece::Close)) => Ok(()),
                    (at, _) => Err(format!("at {at}: `)` expected")),
                }
            }
            (at, Some(Piece::Bare(subject))) => self.expression(at, &subject),
            (at, _) => Err(format!(
                "at {at}: an expression such as ({}.{} -eq \"value\") expected",
                self.entity, self.properties[0]
            )),
        }
    }

    fn expression(&mut self, at: usize, subject: &str) -> Result<(), String> {
        let property = subject
            .split_once('.')
            .filter(|(entity, _)| entity.eq_ignore_ascii_case(self.entity))
            .and_then(|(_, name)| one_of(name, self.properties))
            .ok_or_else(|| {
                format!(
                    "at {at}: `{subject}` is not a property filters support; use {}.<one of {}>",
                    self.entity,
                    self.properties.join(", ")
                )
            })?;
        let version = property == "operatingSystemVersion";
        let allowed = if version {
            VERSION_OPERATORS
        } else {
            TEXT_OPERATORS
        };
        let (op_at, operator) = match self.take() {
            (at, Some(Piece::Bare(op))) => (at, op),
            (at, _) => return Err(format!("at {at}: an operator expected after `{subject}`")),
        };
        let operator = one_of(&operator, allowed).ok_or_else(|| {
            format!(
                "at {op_at}: `{operator}` is not an operator of {property}; use one of -{}",
                allowed.join(", -")
            )
        })?;
        self.value(property, operator, version)
    }

    fn value(&mut self, property: &str, operator: &str, version: bool) -> Result<(), String> {
        let list = matches!(operator, "in" | "notIn");
        match self.take() {
            (_, Some(Piece::ListOpen)) if list => self.list(),
            (_, Some(Piece::Quoted(_))) if !list => Ok(()),
            (_, Some(Piece::Bare(w)))
                if matches!(operator, "eq" | "ne")
                    && (w.eq_ignore_ascii_case("null") || w.eq_ignore_ascii_case("$null")) =>
            {
                Ok(())
            }
            (_, Some(Piece::Bare(w))) if version && is_version(&w) => Ok(()),
            (at, _) if list => Err(format!(
                "at {at}: -{operator} takes a list such as [\"a\", \"b\"]"
            )),
            (at, _) => Err(format!(
                "at {at}: -{operator} on {property} takes a value in double quotes"
            )),
        }
    }

    fn list(&mut self) -> Result<(), String> {
        loop {
            match self.take() {
                (_, Some(Piece::Quoted(_))) => {}
                (at, _) => return Err(format!("at {at}: a value in double quotes expected")),
            }
            match self.take() {
                (_, Some(Piece::Comma)) => {}
                (_, Some(Piece::ListClose)) => return Ok(()),
                (at, _) => return Err(format!("at {at}: `,` or `]` expected")),
            }
        }
    }
}

fn is_version(word: &str) -> bool {
    word.split('.')
        .all(|part| !part.is_empty() && part.chars().all(|c| c.is_ascii_digit()))
}

/// Checks `rule` for a filter of `management_type` (`devices` or `apps`): the reason, with
/// the position, when Intune would refuse it.
pub fn check(rule: &str, management_type: &str) -> Result<(), String> {
    let (entity, properties) = vocabulary(management_type);
    let mut parsed = Rule {
        pieces: lex(rule)?,
        next: 0,
        length: rule.chars().count(),
        entity,
        properties,
    };
    if parsed.pieces.is_empty() {
        return Err("the rule is empty".to_string());
    }
    parsed.any()?;
    match parsed.take() {
        (_, None) => Ok(()),
        (at, Some(_)) => Err(format!(
            "at {at}: the rule goes on after a complete expression; join expressions with `and` or `or`"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn documented_examples_pass() {
        for rule in [
            r#"(device.model -eq "Surface Book 3")"#,
            r#"(device.deviceName -in ["Scott's device", "Sara's device"])"#,
            r#"(device.manufacturer -eq "Samsung") or (device.model -contains "Galaxy Note")"#,
            r#"(device.enrollmentProfileName -ne $null)"#,
            r#"(device.operatingSystemVersion -gt 10.0.22000.1000)"#,
            r#"((device.osVersion startsWith "10.0") -and (device.deviceOwnership -eq "Corporate"))"#,
            "(device.MODEL -EQ \"x\")\n and (device.operatingSystemSKU -in [\"Enterprise\"])",
        ] {
            assert_eq!(check(rule, "devices"), Ok(()), "{rule}");
        }
        assert_eq!(check(r#"(app.deviceModel -eq "Duo")"#, "apps"), Ok(()));
    }

    #[test]
    fn refusals_name_the_position() {
        let cases = [
            ("", "empty"),
            (r#"(device.colour -eq "red")"#, "at 2: `device.colour`"),
            (r#"(device.model -like "x")"#, "at 15: `-like`"),
            (r#"(device.model -eq "x""#, "at 22: `)` expected"),
            (r#"(device.model -eq "x)"#, "never closed"),
            (r#"(device.model -in "x")"#, "takes a list"),
            (r#"(device.model -eq x)"#, "double quotes"),
            (r#"(device.model -gt "x")"#, "not an operator of model"),
            (
                r#"(device.model -eq "a") (device.model -eq "b")"#,
                "at 24: the rule goes on",
            ),
            (r#"(app.appVersion -eq "1")"#, "`app.appVersion`"),
        ];
        for (rule, needle) in cases {
            let reason = check(rule, "devices").expect_err(rule);
            assert!(reason.contains(needle), "{rule}: {reason}");
        }
    }
}
