//! Function pages (`docs/functions/<name>.md`, the Registry's layout for provider-defined
//! functions): summary, description, example (`examples/functions/<name>/function.tf`), the
//! signature, each argument, and the return type written as a Terraform type constraint.

use std::fmt::Write as _;

use tfplugin::{Signature, Type};

use super::pages::{front_matter, normalize};
use super::schema_doc::one_line;
use super::templates::fenced;

/// One function page.
pub(super) fn render(
    provider_name: &str,
    name: &str,
    signature: &Signature,
    example: &str,
) -> String {
    let mut out = front_matter(
        &format!("{name} function - {provider_name}"),
        "",
        signature.summary,
    );
    let _ = write!(out, "# function: {name}\n\n");
    out.push_str(&one_line(signature.description));
    out.push_str("\n\n## Example Usage\n\n");
    out.push_str(&fenced("terraform", example));
    out.push_str("\n## Signature\n\n");
    let parameters: Vec<String> = signature
        .parameters
        .iter()
        .map(|p| format!("{} {}", p.name, constraint(&p.ty)))
        .chain(
            signature
                .variadic
                .iter()
                .map(|p| format!("{}... {}", p.name, constraint(&p.ty))),
        )
        .collect();
    out.push_str(&fenced(
        "text",
        &format!(
            "provider::{provider_name}::{name}({}) {}\n",
            parameters.join(", "),
            constraint(&signature.returns)
        ),
    ));
    out.push_str("\n## Arguments\n\n");
    for (index, parameter) in signature.parameters.iter().enumerate() {
        let nullable = if parameter.allow_null {
            ", nullable"
        } else {
            ""
        };
        let _ = writeln!(
            out,
            "{}. `{}` ({}{nullable}) {}",
            index + 1,
            parameter.name,
            constraint(&parameter.ty),
            one_line(parameter.description)
        );
    }
    if let Some(variadic) = &signature.variadic {
        let _ = writeln!(
            out,
            "{}. `{}` (Variadic, {}) {}",
            signature.parameters.len() + 1,
            variadic.name,
            constraint(&variadic.ty),
            one_line(variadic.description)
        );
    }
    out.push_str("\n## Return Type\n\n");
    out.push_str(&fenced(
        "text",
        &format!("{}\n", constraint(&signature.returns)),
    ));
    normalize(&out)
}

/// A type as a Terraform type constraint: `string`, `set(string)`, `map(object({ a = string }))`.
pub(super) fn constraint(ty: &Type) -> String {
    match ty {
        Type::Bool => "bool".into(),
        Type::Number => "number".into(),
        Type::String => "string".into(),
        Type::Dynamic => "any".into(),
        Type::List(e) => format!("list({})", constraint(e)),
        Type::Set(e) => format!("set({})", constraint(e)),
        Type::Map(e) => format!("map({})", constraint(e)),
        Type::Tuple(elems) => format!(
            "tuple([{}])",
            elems.iter().map(constraint).collect::<Vec<_>>().join(", ")
        ),
        Type::Object(attrs) => format!(
            "object({{ {} }})",
            attrs
                .iter()
                .map(|(name, ty)| format!("{name} = {}", constraint(ty)))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tfplugin::Parameter;

    #[test]
    fn a_page_has_the_signature_arguments_and_return_type() {
        let signature = Signature {
            summary: "Does a thing",
            description: "Does a thing\nwell.",
            parameters: vec![Parameter::new(
                "items",
                Type::set(Type::String),
                "The items.",
            )],
            variadic: None,
            returns: Type::map(Type::Object(
                [
                    ("a".to_string(), Type::String),
                    ("n".to_string(), Type::Number),
                ]
                .into(),
            )),
        };
        let page = render("autopilot", "thing", &signature, "output \"x\" {}\n");
        for expected in [
            "page_title: \"thing function - autopilot\"",
            "# function: thing\n\nDoes a thing well.",
            "provider::autopilot::thing(items set(string)) map(object({ a = string, n = number }))",
            "1. `items` (set(string)) The items.",
            "## Return Type",
        ] {
            assert!(page.contains(expected), "{expected:?} missing from\n{page}");
        }
    }
}
