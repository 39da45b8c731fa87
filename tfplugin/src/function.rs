//! Provider-defined functions (protocol 6.5, Terraform 1.8 and later):
//! pure computations over values, called in configuration as
//! `provider::<provider>::<name>(...)`. A [`Function`] declares its
//! [`Signature`]; the server decodes each argument with its parameter's
//! type, calls it, and encodes the result with the return type. Terraform
//! older than 1.8 never asks for functions.

use crate::value::{Type, Value};

/// One positional parameter.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameter {
    /// The name shown in documentation and in Terraform's errors.
    pub name: &'static str,
    /// The type Terraform converts the argument to before the call.
    pub ty: Type,
    /// Markdown.
    pub description: &'static str,
    /// Whether `null` may be passed; when not, Terraform refuses a null
    /// argument before calling.
    pub allow_null: bool,
}

impl Parameter {
    /// A parameter that refuses `null`.
    pub fn new(name: &'static str, ty: Type, description: &'static str) -> Self {
        Parameter {
            name,
            ty,
            description,
            allow_null: false,
        }
    }
}

/// What a function takes and returns, and its documentation.
#[derive(Debug, Clone, PartialEq)]
pub struct Signature {
    /// One line, shown by editors.
    pub summary: &'static str,
    /// Markdown.
    pub description: &'static str,
    pub parameters: Vec<Parameter>,
    /// A last parameter taking any number of arguments of its type.
    pub variadic: Option<Parameter>,
    pub returns: Type,
}

/// Why a call failed: Terraform shows `text`, pointing at the argument
/// when `argument` (0-based) is set.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{text}")]
pub struct FunctionError {
    pub text: String,
    pub argument: Option<usize>,
}

impl FunctionError {
    /// An error in the argument at `index` (0-based).
    pub fn in_argument(index: usize, text: impl Into<String>) -> Self {
        FunctionError {
            text: text.into(),
            argument: Some(index),
        }
    }

    /// An error not tied to one argument.
    pub fn new(text: impl Into<String>) -> Self {
        FunctionError {
            text: text.into(),
            argument: None,
        }
    }
}

/// A provider-defined function. Functions are pure: the same arguments
/// always give the same result, and no call reaches a remote API (Terraform
/// calls them during validation, before the provider is configured).
pub trait Function: Send + Sync + 'static {
    /// The name after `provider::<provider>::`.
    fn name(&self) -> &'static str;

    fn signature(&self) -> Signature;

    /// Called with one value per argument, each conformed to its parameter's
    /// type (never unknown: unknown arguments make Terraform skip the call).
    fn call(&self, arguments: Vec<Value>) -> Result<Value, FunctionError>;
}

impl Signature {
    /// The parameter the argument at `index` (0-based) is for, or `None`
    /// past the last parameter of a function without a variadic one.
    pub fn argument_type(&self, index: usize) -> Option<&Parameter> {
        self.parameters.get(index).or(self.variadic.as_ref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn signature(variadic: bool) -> Signature {
        Signature {
            summary: "s",
            description: "d",
            parameters: vec![Parameter::new("first", Type::String, "")],
            variadic: variadic.then(|| Parameter::new("rest", Type::Number, "")),
            returns: Type::String,
        }
    }

    #[test]
    fn arguments_past_the_parameters_take_the_variadic_type_or_none() {
        let fixed = signature(false);
        assert_eq!(fixed.argument_type(0).map(|p| p.name), Some("first"));
        assert_eq!(fixed.argument_type(1), None);
        let variadic = signature(true);
        assert_eq!(variadic.argument_type(0).map(|p| p.name), Some("first"));
        assert_eq!(
            variadic.argument_type(1).map(|p| &p.ty),
            Some(&Type::Number)
        );
        assert_eq!(variadic.argument_type(7).map(|p| p.name), Some("rest"));
    }
}
