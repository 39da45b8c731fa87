//! The provider-defined functions the server offers: their signatures in
//! the protocol's shape (GetProviderSchema, GetFunctions, GetMetadata) and
//! the CallFunction step (decode each argument with its parameter's type,
//! call, encode the result with the return type).

use std::collections::HashMap;
use std::sync::Arc;

use crate::function::{Function, FunctionError, Parameter, Signature};
use crate::proto::tfplugin6 as pb;
use crate::value;

/// The functions by name, each with the signature it declared.
pub(crate) struct Functions(HashMap<&'static str, (Arc<dyn Function>, Signature)>);

impl Functions {
    pub(crate) fn new(functions: Vec<Arc<dyn Function>>) -> Self {
        Functions(
            functions
                .into_iter()
                .map(|f| (f.name(), (f.clone(), f.signature())))
                .collect(),
        )
    }

    /// The names, sorted.
    pub(crate) fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.0.keys().copied().collect();
        names.sort_unstable();
        names
    }

    pub(crate) fn to_proto(&self) -> HashMap<String, pb::Function> {
        self.0
            .iter()
            .map(|(name, (_, signature))| (name.to_string(), signature_to_proto(signature)))
            .collect()
    }

    /// Runs one CallFunction request.
    pub(crate) fn call(
        &self,
        name: &str,
        arguments: Vec<pb::DynamicValue>,
    ) -> Result<pb::DynamicValue, FunctionError> {
        let (function, signature) = self.0.get(name).ok_or_else(|| {
            FunctionError::new(format!("This provider has no function {name:?}."))
        })?;
        if arguments.len() < signature.parameters.len() {
            return Err(FunctionError::new(format!(
                "{name} takes {} argument(s); {} given.",
                signature.parameters.len(),
                arguments.len()
            )));
        }
        let values = arguments
            .into_iter()
            .enumerate()
            .map(|(index, argument)| decode_argument(name, signature, index, &argument))
            .collect::<Result<Vec<_>, _>>()?;
        let result = function.call(values)?;
        let msgpack = value::to_msgpack(&result, &signature.returns).map_err(|e| {
            FunctionError::new(format!(
                "{name} produced a result that does not fit its return type: {e}"
            ))
        })?;
        Ok(pb::DynamicValue {
            msgpack,
            json: Vec::new(),
        })
    }
}

fn decode_argument(
    name: &str,
    signature: &Signature,
    index: usize,
    argument: &pb::DynamicValue,
) -> Result<value::Value, FunctionError> {
    let parameter = signature.argument_type(index).ok_or_else(|| {
        FunctionError::in_argument(
            index,
            format!(
                "{name} takes {} argument(s); this one is too many.",
                signature.parameters.len()
            ),
        )
    })?;
    let decoded = if argument.msgpack.is_empty() {
        value::from_json(&argument.json, &parameter.ty)
    } else {
        value::from_msgpack(&argument.msgpack, &parameter.ty)
    };
    let decoded = decoded.map_err(|e| {
        FunctionError::in_argument(index, format!("Cannot read `{}`: {e}", parameter.name))
    })?;
    if decoded.is_null() && !parameter.allow_null {
        return Err(FunctionError::in_argument(
            index,
            format!("`{}` must not be null.", parameter.name),
        ));
    }
    Ok(decoded)
}

pub(crate) fn error_to_proto(error: FunctionError) -> pb::FunctionError {
    pb::FunctionError {
        text: error.text,
        function_argument: error.argument.and_then(|i| i64::try_from(i).ok()),
    }
}

fn signature_to_proto(signature: &Signature) -> pb::Function {
    pb::Function {
        parameters: signature
            .parameters
            .iter()
            .map(parameter_to_proto)
            .collect(),
        variadic_parameter: signature.variadic.as_ref().map(parameter_to_proto),
        r#return: Some(pb::function::Return {
            r#type: signature.returns.to_json().to_string().into_bytes(),
        }),
        summary: signature.summary.to_string(),
        description: signature.description.to_string(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecation_message: String::new(),
    }
}

fn parameter_to_proto(parameter: &Parameter) -> pb::function::Parameter {
    pb::function::Parameter {
        name: parameter.name.to_string(),
        r#type: parameter.ty.to_json().to_string().into_bytes(),
        allow_null_value: parameter.allow_null,
        allow_unknown_values: false,
        description: parameter.description.to_string(),
        description_kind: pb::StringKind::Markdown as i32,
    }
}
