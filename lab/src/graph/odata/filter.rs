//! `$filter`: the subset of OData's filter language the lab understands (eq, ne, and, or,
//! parentheses, contains(), startswith(), endswith() and isof()), parsed against an entity type
//! and evaluated on stored objects.

use serde_json::Value;

use crate::errors::GraphError;
use crate::graph::schema::{StructuredType, unknown_query_property_error};

/// A parsed `$filter`.
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    /// `property eq literal` (`ne` when `negated`)
    Eq {
        property: String,
        literal: Value,
        negated: bool,
    },
    /// `contains(property,'x')`, `startswith(...)`, `endswith(...)`
    Text {
        function: TextFunction,
        property: String,
        literal: String,
    },
    /// `isof('microsoft.graph.type')`
    IsOf(String),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextFunction {
    Contains,
    StartsWith,
    EndsWith,
}

#[derive(Debug, Clone, PartialEq)]
pub(super) enum Token {
    Word(String),
    Str(String),
    Open,
    Close,
    Comma,
}

pub(super) fn invalid_filter(detail: &str) -> GraphError {
    GraphError::bad_request(format!("Invalid filter clause: {detail}"))
}

pub(super) fn tokenize(text: &str) -> Result<Vec<Token>, GraphError> {
    let mut tokens = Vec::new();
    let mut chars = text.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            ',' => {
                chars.next();
                tokens.push(Token::Comma);
            }
            '\'' => {
                chars.next();
                let mut literal = String::new();
                loop {
                    match chars.next() {
                        None => return Err(invalid_filter("unterminated string literal.")),
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            literal.push('\'');
                        }
                        Some('\'') => break,
                        Some(other) => literal.push(other),
                    }
                }
                tokens.push(Token::Str(literal));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | ',' | '\'') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

pub(super) struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

pub(super) const SUPPORTED: &str = "autopilot-lab supports eq, ne, and, or, parentheses, contains(), startswith(), endswith() and isof()";

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn expect(&mut self, expected: &Token) -> Result<(), GraphError> {
        match self.next() {
            Some(token) if &token == expected => Ok(()),
            _ => Err(invalid_filter(&format!("expected {expected:?}."))),
        }
    }

    fn keyword(&self, word: &str) -> bool {
        matches!(self.peek(), Some(Token::Word(w)) if w.eq_ignore_ascii_case(word))
    }

    /// expr := conjunction ("or" conjunction)*
    fn expr(&mut self) -> Result<Expr, GraphError> {
        let mut parts = vec![self.conjunction()?];
        while self.keyword("or") {
            self.next();
            parts.push(self.conjunction()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::Or(parts)
        })
    }

    /// conjunction := term ("and" term)*
    fn conjunction(&mut self) -> Result<Expr, GraphError> {
        let mut parts = vec![self.term()?];
        while self.keyword("and") {
            self.next();
            parts.push(self.term()?);
        }
        Ok(if parts.len() == 1 {
            parts.remove(0)
        } else {
            Expr::And(parts)
        })
    }

    /// term := "(" expr ")" | "isof" "(" string ")" | function "(" property "," string ")"
    ///       | property ("eq" | "ne") literal
    fn term(&mut self) -> Result<Expr, GraphError> {
        match self.next() {
            Some(Token::Open) => {
                let inner = self.expr()?;
                self.expect(&Token::Close)?;
                Ok(inner)
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("isof") => {
                self.expect(&Token::Open)?;
                let Some(Token::Str(type_name)) = self.next() else {
                    return Err(invalid_filter("isof() takes a quoted type name."));
                };
                self.expect(&Token::Close)?;
                Ok(Expr::IsOf(type_name))
            }
            Some(Token::Word(word)) if self.peek() == Some(&Token::Open) => {
                let function = match word.to_ascii_lowercase().as_str() {
                    "contains" => TextFunction::Contains,
                    "startswith" => TextFunction::StartsWith,
                    "endswith" => TextFunction::EndsWith,
                    _ => {
                        return Err(invalid_filter(&format!(
                            "unsupported function '{word}'; {SUPPORTED}."
                        )));
                    }
                };
                self.expect(&Token::Open)?;
                let Some(Token::Word(property)) = self.next() else {
                    return Err(invalid_filter(&format!("{word}() takes a property first.")));
                };
                self.expect(&Token::Comma)?;
                let Some(Token::Str(literal)) = self.next() else {
                    return Err(invalid_filter(&format!(
                        "{word}() takes a quoted string second."
                    )));
                };
                self.expect(&Token::Close)?;
                Ok(Expr::Text {
                    function,
                    property,
                    literal,
                })
            }
            Some(Token::Word(property)) => {
                let negated = match self.next() {
                    Some(Token::Word(op)) if op.eq_ignore_ascii_case("eq") => false,
                    Some(Token::Word(op)) if op.eq_ignore_ascii_case("ne") => true,
                    Some(Token::Word(op)) => {
                        return Err(invalid_filter(&format!(
                            "unsupported operator '{op}'; {SUPPORTED}."
                        )));
                    }
                    _ => return Err(invalid_filter("expected an operator.")),
                };
                let literal = match self.next() {
                    Some(Token::Str(text)) => Value::String(text),
                    Some(Token::Word(word)) => literal_word(&word)?,
                    _ => return Err(invalid_filter("expected a literal.")),
                };
                Ok(Expr::Eq {
                    property,
                    literal,
                    negated,
                })
            }
            _ => Err(invalid_filter("expected a condition.")),
        }
    }
}

pub(super) fn literal_word(word: &str) -> Result<Value, GraphError> {
    match word {
        "true" => Ok(Value::Bool(true)),
        "false" => Ok(Value::Bool(false)),
        "null" => Ok(Value::Null),
        _ => {
            if let Ok(n) = word.parse::<i64>() {
                return Ok(Value::from(n));
            }
            // A GUID literal (`id eq 6f1b...`) compares like a string.
            if uuid::Uuid::parse_str(word).is_ok() {
                return Ok(Value::String(word.to_owned()));
            }
            Err(invalid_filter(&format!("unsupported literal '{word}'.")))
        }
    }
}

/// Resolves `prop` or `prop/sub/...` against the types: the first segment must be a property;
/// the rest are looked up in the value as is.
pub(super) fn resolve_path(
    path: &mut String,
    ty: &'static StructuredType,
    derived: &[&'static StructuredType],
) -> Result<(), GraphError> {
    let (first, rest) = match path.split_once('/') {
        Some((first, rest)) => (first.to_owned(), Some(rest.to_owned())),
        None => (path.clone(), None),
    };
    let resolved = std::iter::once(ty)
        .chain(derived.iter().copied())
        .find_map(|t| t.property_ignore_case(&first))
        .ok_or_else(|| unknown_query_property_error(&first, ty))?;
    *path = match rest {
        Some(rest) => format!("{}/{rest}", resolved.name),
        None => resolved.name.to_owned(),
    };
    Ok(())
}

pub(super) fn resolve(
    expr: &mut Expr,
    ty: &'static StructuredType,
    derived: &[&'static StructuredType],
) -> Result<(), GraphError> {
    match expr {
        Expr::And(parts) | Expr::Or(parts) => parts
            .iter_mut()
            .try_for_each(|part| resolve(part, ty, derived)),
        Expr::Eq { property, .. } | Expr::Text { property, .. } => {
            resolve_path(property, ty, derived)
        }
        Expr::IsOf(_) => Ok(()),
    }
}

/// The value at `a/b/c` in `object` (member names compared ignoring case below the first).
pub(super) fn lookup<'v>(object: &'v Value, path: &str) -> &'v Value {
    let mut current = object;
    for (i, segment) in path.split('/').enumerate() {
        let next = if i == 0 {
            current.get(segment)
        } else {
            current.as_object().and_then(|map| {
                map.iter()
                    .find(|(k, _)| k.eq_ignore_ascii_case(segment))
                    .map(|(_, v)| v)
            })
        };
        match next {
            Some(value) => current = value,
            None => return &Value::Null,
        }
    }
    current
}

pub(super) fn evaluate(expr: &Expr, object: &Value) -> bool {
    match expr {
        Expr::And(parts) => parts.iter().all(|p| evaluate(p, object)),
        Expr::Or(parts) => parts.iter().any(|p| evaluate(p, object)),
        Expr::IsOf(type_name) => {
            let wanted = type_name.strip_prefix('#').unwrap_or(type_name);
            object
                .get("@odata.type")
                .and_then(Value::as_str)
                .is_some_and(|t| t.strip_prefix('#').unwrap_or(t) == wanted)
        }
        Expr::Eq {
            property,
            literal,
            negated,
        } => {
            let actual = lookup(object, property);
            let equal = match (actual, literal) {
                (Value::String(a), Value::String(b)) => a.to_lowercase() == b.to_lowercase(),
                (Value::Number(a), Value::Number(b)) => a.as_f64() == b.as_f64(),
                (a, b) => a == b,
            };
            equal != *negated
        }
        Expr::Text {
            function,
            property,
            literal,
        } => {
            let Some(actual) = lookup(object, property).as_str() else {
                return false;
            };
            let actual = actual.to_lowercase();
            let literal = literal.to_lowercase();
            match function {
                TextFunction::Contains => actual.contains(&literal),
                TextFunction::StartsWith => actual.starts_with(&literal),
                TextFunction::EndsWith => actual.ends_with(&literal),
            }
        }
    }
}

impl Filter {
    /// Parses a `$filter` and resolves its property names against `ty` and `derived`.
    pub fn parse(
        text: &str,
        ty: &'static StructuredType,
        derived: &[&'static StructuredType],
    ) -> Result<Self, GraphError> {
        let mut parser = Parser {
            tokens: tokenize(text)?,
            position: 0,
        };
        let mut expr = parser.expr()?;
        if parser.peek().is_some() {
            return Err(invalid_filter(&format!("{SUPPORTED}.")));
        }
        resolve(&mut expr, ty, derived)?;
        Ok(Filter { expr })
    }

    /// Whether `object` satisfies the filter. String comparison ignores case, as the Intune and
    /// directory stores do.
    pub fn matches(&self, object: &Value) -> bool {
        evaluate(&self.expr, object)
    }
}
