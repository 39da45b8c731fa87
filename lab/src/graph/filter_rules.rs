//! The rule language of assignment filters, as Microsoft Learn documents it ("App and device
//! properties, operators, and rule editing when creating filters in Microsoft Intune"):
//! `(device.<property> <operator> <value>)` comparisons joined by `and` / `or` (with or without
//! a leading `-`), nested parentheses, string values in double quotes, `[..]` lists for `-in` /
//! `-notIn`, `null` / `$null` with `-eq` / `-ne`, and bare versions for
//! `operatingSystemVersion`'s `-gt` / `-ge` / `-lt` / `-le`. Properties, operators and values
//! are case-insensitive. The lab's own reading; the provider has another.

/// The managed-device properties Learn lists for Windows 10 and later.
const DEVICE_PROPERTIES: &[&str] = &[
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

/// The managed-app properties Learn lists.
const APP_PROPERTIES: &[&str] = &[
    "appVersion",
    "deviceManagementType",
    "deviceManufacturer",
    "deviceModel",
    "operatingSystemVersion",
    "osVersion",
];

/// String operators (Learn's list, plus the `endsWith` family the rule editor offers).
const STRING_OPERATORS: &[&str] = &[
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

/// Version comparisons, only on `operatingSystemVersion`.
const VERSION_OPERATORS: &[&str] = &["eq", "ne", "gt", "ge", "lt", "le"];

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenList,
    CloseList,
    Comma,
    Text(String),
    Word(String),
}

fn tokens(rule: &str) -> Result<Vec<Token>, String> {
    let mut out = Vec::new();
    let mut chars = rule.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            c if c.is_whitespace() => {}
            '(' => out.push(Token::Open),
            ')' => out.push(Token::Close),
            '[' => out.push(Token::OpenList),
            ']' => out.push(Token::CloseList),
            ',' => out.push(Token::Comma),
            '"' => {
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some(c) => text.push(c),
                        None => return Err("a string value is not closed".into()),
                    }
                }
                out.push(Token::Text(text));
            }
            c => {
                let mut word = String::from(c);
                while let Some(&next) = chars.peek() {
                    if next.is_whitespace() || "()[],\"".contains(next) {
                        break;
                    }
                    word.push(next);
                    chars.next();
                }
                out.push(Token::Word(word));
            }
        }
    }
    Ok(out)
}

/// The canonical name of `word` in `names`, compared without case and without a leading `-`.
fn named<'n>(word: &str, names: &[&'n str]) -> Option<&'n str> {
    let bare = word.strip_prefix('-').unwrap_or(word);
    names.iter().copied().find(|n| n.eq_ignore_ascii_case(bare))
}

struct Parser<'a> {
    tokens: Vec<Token>,
    at: usize,
    properties: &'a [&'static str],
    entity: &'a str,
}

impl Parser<'_> {
    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn peek_word(&self, names: &[&str]) -> bool {
        matches!(self.tokens.get(self.at), Some(Token::Word(w)) if named(w, names).is_some())
    }

    fn or_expr(&mut self) -> Result<(), String> {
        self.and_expr()?;
        while self.peek_word(&["or"]) {
            self.at += 1;
            self.and_expr()?;
        }
        Ok(())
    }

    fn and_expr(&mut self) -> Result<(), String> {
        self.operand()?;
        while self.peek_word(&["and"]) {
            self.at += 1;
            self.operand()?;
        }
        Ok(())
    }

    fn operand(&mut self) -> Result<(), String> {
        match self.next() {
            Some(Token::Open) => {
                self.or_expr()?;
                match self.next() {
                    Some(Token::Close) => Ok(()),
                    _ => Err("a parenthesis is not closed".into()),
                }
            }
            Some(Token::Word(subject)) => self.comparison(&subject),
            Some(other) => Err(format!("expected a comparison, found {other:?}")),
            None => Err("the rule ends where a comparison is expected".into()),
        }
    }

    fn comparison(&mut self, subject: &str) -> Result<(), String> {
        let property = subject
            .split_once('.')
            .filter(|(entity, _)| entity.eq_ignore_ascii_case(self.entity))
            .and_then(|(_, property)| named(property, self.properties))
            .ok_or_else(|| format!("'{subject}' is not a supported property"))?;
        let operator = match self.next() {
            Some(Token::Word(op)) => op,
            _ => return Err(format!("'{subject}' is not followed by an operator")),
        };
        let version = property == "operatingSystemVersion";
        let known = if version {
            named(&operator, VERSION_OPERATORS)
        } else {
            named(&operator, STRING_OPERATORS)
        };
        let operator =
            known.ok_or_else(|| format!("'{operator}' is not an operator for {property}"))?;
        match (operator, self.next()) {
            ("in" | "notIn", Some(Token::OpenList)) => self.list(),
            ("in" | "notIn", _) => Err(format!("-{operator} needs a list [\"..\", \"..\"]")),
            (_, Some(Token::Text(_))) => Ok(()),
            ("eq" | "ne", Some(Token::Word(w)))
                if w.eq_ignore_ascii_case("null") || w.eq_ignore_ascii_case("$null") =>
            {
                Ok(())
            }
            (_, Some(Token::Word(w))) if version && is_version(&w) => Ok(()),
            _ => Err(format!("-{operator} on {property} needs a value")),
        }
    }

    fn list(&mut self) -> Result<(), String> {
        loop {
            match (self.next(), self.next()) {
                (Some(Token::Text(_)), Some(Token::Comma)) => {}
                (Some(Token::Text(_)), Some(Token::CloseList)) => return Ok(()),
                _ => return Err("a list holds quoted values separated by commas".into()),
            }
        }
    }
}

fn is_version(word: &str) -> bool {
    !word.is_empty()
        && word
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()))
}

/// Why `rule` is not a valid rule for filters of `management_type` (`devices` or `apps`).
pub fn check(rule: &str, management_type: &str) -> Result<(), String> {
    let (entity, properties) = if management_type == "apps" {
        ("app", APP_PROPERTIES)
    } else {
        ("device", DEVICE_PROPERTIES)
    };
    let mut parser = Parser {
        tokens: tokens(rule)?,
        at: 0,
        properties,
        entity,
    };
    if parser.tokens.is_empty() {
        return Err("the rule is empty".into());
    }
    parser.or_expr()?;
    match parser.tokens.get(parser.at) {
        None => Ok(()),
        Some(extra) => Err(format!("unexpected {extra:?} after a complete rule")),
    }
}

#[cfg(test)]
mod tests {
    use super::check;

    #[test]
    fn documented_rules_parse() {
        for rule in [
            r#"(device.model -eq "Surface Book 3")"#,
            r#"(device.manufacturer -eq "Samsung") and (device.model -contains "Galaxy Note")"#,
            r#"(device.deviceName -in ["Scott's device", "Sara's device"])"#,
            r#"(device.enrollmentProfileName -ne $null)"#,
            r#"(device.operatingSystemVersion -gt 10.0.22000.1000)"#,
            r#"((device.MODEL startsWith "A") or (device.model -eq "B")) -and (device.deviceOwnership -eq "Corporate")"#,
        ] {
            assert_eq!(check(rule, "devices"), Ok(()), "{rule}");
        }
        assert_eq!(check(r#"(app.appVersion -eq "1.0")"#, "apps"), Ok(()));
    }

    #[test]
    fn broken_rules_are_refused() {
        for rule in [
            "",
            r#"(device.model -eq "X""#,
            r#"(device.model -eq "X")) "#,
            r#"(device.colour -eq "X")"#,
            r#"(device.model -like "X")"#,
            r#"(device.model -in "X")"#,
            r#"(device.model -gt "X")"#,
            r#"(device.model -eq "X") xor (device.model -eq "Y")"#,
            r#"(app.appVersion -eq "1.0")"#,
        ] {
            assert!(check(rule, "devices").is_err(), "{rule}");
        }
    }
}
