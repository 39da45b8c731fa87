//! `parse_hardware_csv(content)`: the rows of a `Get-WindowsAutopilotInfo`
//! CSV as a map keyed by serial number, ready for `for_each` over
//! `autopilot_device`, checked by the rules `autopilot_device_csv` applies.

use std::collections::BTreeMap;

use tfplugin::{Function, FunctionError, Parameter, Signature, Type, Value};

use crate::devices::csv::{self, MAX_REPORTED, Problem, Row};

/// The function.
pub struct ParseHardwareCsv;

/// The attributes of each row, named as `autopilot_device` names them.
const FIELDS: [&str; 6] = [
    "serial_number",
    "hardware_hash",
    "product_key",
    "group_tag",
    "assigned_user_principal_name",
    "line",
];

fn row_type() -> Type {
    Type::Object(
        FIELDS
            .iter()
            .map(|&name| {
                let ty = if name == "line" {
                    Type::Number
                } else {
                    Type::String
                };
                (name.to_string(), ty)
            })
            .collect(),
    )
}

fn text(value: Option<&String>) -> Value {
    value.map_or(Value::Null, |v| Value::String(v.clone()))
}

fn row_value(row: &Row) -> Value {
    let line = i64::try_from(row.line).unwrap_or(i64::MAX);
    Value::Object(BTreeMap::from([
        (
            "serial_number".into(),
            Value::String(row.serial_number.clone()),
        ),
        (
            "hardware_hash".into(),
            Value::String(row.hardware_hash.clone()),
        ),
        ("product_key".into(), text(row.product_key.as_ref())),
        ("group_tag".into(), text(row.group_tag.as_ref())),
        (
            "assigned_user_principal_name".into(),
            text(row.assigned_user.as_ref()),
        ),
        ("line".into(), Value::Number(line.into())),
    ]))
}

/// Every problem on its own line, at most [`MAX_REPORTED`].
fn problems_text(problems: &[Problem]) -> String {
    let mut lines: Vec<String> = problems
        .iter()
        .take(MAX_REPORTED)
        .map(|p| format!("  {p}"))
        .collect();
    if problems.len() > MAX_REPORTED {
        lines.push(format!(
            "  ... and {} more problems on other lines",
            problems.len() - MAX_REPORTED
        ));
    }
    format!(
        "Invalid hardware hash CSV ({} problem(s)):\n{}",
        problems.len(),
        lines.join("\n")
    )
}

impl Function for ParseHardwareCsv {
    fn name(&self) -> &'static str {
        "parse_hardware_csv"
    }

    fn signature(&self) -> Signature {
        Signature {
            summary: "The devices of a hardware hash CSV, keyed by serial number",
            description: "Reads the CSV that `Get-WindowsAutopilotInfo` writes (header `Device Serial Number,Windows Product ID,Hardware Hash`, optionally followed by `,Group Tag` and `,Assigned User`) and returns one object per device, keyed by serial number: `serial_number`, `hardware_hash` (padded as Graph wants it), `product_key`, `group_tag` and `assigned_user_principal_name` (null when the CSV leaves them empty) and `line` (the row's line in the file). The rules are those of `autopilot_device_csv`: no quotation marks or extra columns, Base64 hashes, every serial number and hash once, assigned users as UPNs. Every problem is reported with its line. Use it with `for_each` on `autopilot_device` to manage each device as its own resource.",
            parameters: vec![Parameter::new(
                "content",
                Type::String,
                "The CSV's text, e.g. `file(\"devices.csv\")`.",
            )],
            variadic: None,
            returns: Type::map(row_type()),
        }
    }

    fn call(&self, arguments: Vec<Value>) -> Result<Value, FunctionError> {
        let Some(Value::String(content)) = arguments.first() else {
            return Err(FunctionError::in_argument(0, "`content` must be a string."));
        };
        let rows = csv::parse(content)
            .map_err(|problems| FunctionError::in_argument(0, problems_text(&problems)))?;
        Ok(Value::Map(
            rows.iter()
                .map(|row| (row.serial_number.clone(), row_value(row)))
                .collect(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const HASH_A: &str = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    const HASH_B: &str = "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";

    fn call(content: &str) -> Result<Value, FunctionError> {
        ParseHardwareCsv.call(vec![Value::String(content.into())])
    }

    fn attr<'a>(value: &'a Value, key: &str, name: &str) -> &'a Value {
        let Value::Map(rows) = value else {
            panic!("a map: {value:?}")
        };
        rows[key].attr(name).expect("the attribute")
    }

    #[test]
    fn rows_are_keyed_by_serial_number_with_empty_columns_null() {
        let csv = format!(
            "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag\nSN-1,,{HASH_A},SITE-A\nSN-2,PK,{HASH_B},\n"
        );
        let rows = call(&csv).expect("a valid CSV");
        assert_eq!(
            attr(&rows, "SN-1", "group_tag"),
            &Value::String("SITE-A".into())
        );
        assert_eq!(attr(&rows, "SN-1", "product_key"), &Value::Null);
        assert_eq!(
            attr(&rows, "SN-2", "product_key"),
            &Value::String("PK".into())
        );
        assert_eq!(attr(&rows, "SN-2", "group_tag"), &Value::Null);
        assert_eq!(attr(&rows, "SN-2", "line"), &Value::Number(3_i64.into()));
        assert_eq!(
            attr(&rows, "SN-1", "assigned_user_principal_name"),
            &Value::Null
        );
        // The result fits the declared return type.
        let returns = ParseHardwareCsv.signature().returns;
        assert!(tfplugin::value::to_msgpack(&rows, &returns).is_ok());
    }

    #[test]
    fn every_problem_is_reported_with_its_line_against_the_argument() {
        let csv = format!(
            "Device Serial Number,Windows Product ID,Hardware Hash\nSN-1,,{HASH_A}\nSN-1,,{HASH_B}\nSN-3,,not base64!\n"
        );
        let error = call(&csv).expect_err("duplicates and a bad hash");
        assert_eq!(error.argument, Some(0));
        assert!(error.text.contains("2 problem(s)"), "{}", error.text);
        assert!(
            error
                .text
                .contains("line 3: the serial number \"SN-1\" already appears on line 2"),
            "{}",
            error.text
        );
        assert!(
            error.text.contains("line 4: device \"SN-3\""),
            "{}",
            error.text
        );
    }

    #[test]
    fn a_wrong_header_is_refused() {
        let error = call("Serial,Hash\nSN-1,AAAA\n").expect_err("a wrong header");
        assert!(error.text.contains("line 1"), "{}", error.text);
    }
}
