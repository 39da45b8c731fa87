//! The hardware hash CSV that `Get-WindowsAutopilotInfo` writes and Intune
//! imports, checked the way Intune checks it, with line numbers.
//!
//! Rules ("Manually register devices with Windows Autopilot"): the header is
//! exactly `Device Serial Number,Windows Product ID,Hardware Hash`, optionally
//! followed by `,Group Tag` and then `,Assigned User` (case-sensitive); no
//! quotation marks; no extra columns (so no commas inside values). Beyond
//! Intune's rules this parser refuses what would fail later, device by
//! device: empty serial numbers, hashes that are not Base64, duplicate serial
//! numbers or hashes, assigned users that are not UPNs. Hashes are padded as
//! [`super::hash`] describes. Intune's 500-row limit per import is not a
//! limit here: imports are sent in chunks.

use std::collections::HashMap;
use std::fmt;

use super::hash;
use super::validate_upn;

const SERIAL: &str = "Device Serial Number";
const PRODUCT_ID: &str = "Windows Product ID";
const HASH: &str = "Hardware Hash";
const GROUP_TAG: &str = "Group Tag";
const ASSIGNED_USER: &str = "Assigned User";
const COLUMNS: [&str; 5] = [SERIAL, PRODUCT_ID, HASH, GROUP_TAG, ASSIGNED_USER];

/// How many problems are reported before the rest are only counted.
pub const MAX_REPORTED: usize = 25;

/// Reports a CSV's problems at `content`, each titled `<title>: line N`, at most
/// [`MAX_REPORTED`] of them, then how many more there are.
pub fn report_problems(problems: &[Problem], title: &str, diags: &mut tfplugin::Diagnostics) {
    let at = || tfplugin::AttrPath::root("content");
    for problem in problems.iter().take(MAX_REPORTED) {
        diags.error_at(
            at(),
            format!("{title}: line {}", problem.line),
            problem.to_string(),
        );
    }
    if problems.len() > MAX_REPORTED {
        let more = problems.len() - MAX_REPORTED;
        diags.error_at(
            at(),
            title,
            format!("... and {more} more problems on other lines."),
        );
    }
}

/// One device of the CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line in the text (the header is line 1).
    pub line: usize,
    pub serial_number: String,
    pub product_key: Option<String>,
    /// The hash as Graph wants it (padded).
    pub hardware_hash: String,
    pub group_tag: Option<String>,
    pub assigned_user: Option<String>,
}

/// Something wrong with the CSV, on a line (1-based; the header is line 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub line: usize,
    pub message: String,
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

/// Reads the CSV. Every problem is reported, not only the first.
pub fn parse(content: &str) -> Result<Vec<Row>, Vec<Problem>> {
    let content = content.strip_prefix('\u{feff}').unwrap_or(content);
    let mut lines = content
        .split('\n')
        .map(|l| l.strip_suffix('\r').unwrap_or(l))
        .enumerate()
        .map(|(i, l)| (i + 1, l))
        .filter(|(_, l)| !l.trim().is_empty());
    let Some((header_line, header)) = lines.next() else {
        return Err(vec![Problem {
            line: 1,
            message: format!(
                "the CSV is empty; it needs the header `{SERIAL},{PRODUCT_ID},{HASH}` \
                 (optionally followed by `,{GROUP_TAG}` and `,{ASSIGNED_USER}`)"
            ),
        }]);
    };
    let columns = check_header(header).map_err(|message| {
        vec![Problem {
            line: header_line,
            message,
        }]
    })?;
    let mut rows = Vec::new();
    let mut problems = Vec::new();
    let mut seen = Seen::default();
    for (line, text) in lines {
        match read_row(line, text, columns).and_then(|row| seen.admit(row)) {
            Ok(row) => rows.push(row),
            Err(message) => problems.push(Problem { line, message }),
        }
    }
    if problems.is_empty() {
        Ok(rows)
    } else {
        Err(problems)
    }
}

/// Reads one row of a CSV with `columns` columns, or says what is wrong
/// with it.
fn read_row(line: usize, text: &str, columns: usize) -> Result<Row, String> {
    if text.contains('"') {
        return Err(
            "quotation marks are not allowed (Intune rejects them); remove every `\"`".into(),
        );
    }
    let fields: Vec<&str> = text.split(',').map(str::trim).collect();
    if fields.len() > columns {
        return Err(format!(
            "{} values, but the header has {columns} columns; extra columns are not allowed \
             and values cannot contain commas",
            fields.len()
        ));
    }
    if fields.len() < 3 {
        return Err(format!(
            "{} value(s); every row needs at least `{SERIAL}`, `{PRODUCT_ID}` and `{HASH}`",
            fields.len()
        ));
    }
    let field = |i: usize| {
        fields
            .get(i)
            .copied()
            .filter(|f| !f.is_empty())
            .map(str::to_string)
    };
    let Some(serial_number) = field(0) else {
        return Err(format!("the `{SERIAL}` is empty"));
    };
    let hardware_hash =
        hash::normalize(fields[2]).map_err(|e| format!("device {serial_number:?}: {e}"))?;
    let assigned_user = field(4);
    if let Some(user) = &assigned_user
        && let Err(reason) = validate_upn(user)
    {
        return Err(format!(
            "device {serial_number:?}: `{ASSIGNED_USER}` {reason}"
        ));
    }
    Ok(Row {
        line,
        serial_number,
        product_key: field(1),
        hardware_hash,
        group_tag: field(3),
        assigned_user,
    })
}

/// The serial numbers (lower case) and hashes of the rows read so far,
/// with their lines: each device may appear once.
#[derive(Default)]
struct Seen {
    serials: HashMap<String, usize>,
    hashes: HashMap<String, usize>,
}

impl Seen {
    /// Takes `row` unless its serial number or hash appeared before.
    fn admit(&mut self, row: Row) -> Result<Row, String> {
        let serial_number = &row.serial_number;
        if let Some(first) = self.serials.get(&serial_number.to_lowercase()) {
            return Err(format!(
                "the serial number {serial_number:?} already appears on line {first}; \
                 each device may appear once"
            ));
        }
        if let Some(first) = self.hashes.get(&row.hardware_hash) {
            return Err(format!(
                "device {serial_number:?} has the same hardware hash as line {first}; \
                 Autopilot refuses duplicated hashes (ZtdDeviceDuplicated)"
            ));
        }
        self.serials.insert(serial_number.to_lowercase(), row.line);
        self.hashes.insert(row.hardware_hash.clone(), row.line);
        Ok(row)
    }
}

/// The number of columns of a valid header, or why it is not one.
fn check_header(header: &str) -> Result<usize, String> {
    let expected = format!(
        "the header must be exactly `{SERIAL},{PRODUCT_ID},{HASH}`, optionally followed by \
         `,{GROUP_TAG}` and then `,{ASSIGNED_USER}` (case-sensitive)"
    );
    if header.contains('"') {
        return Err(format!(
            "quotation marks are not allowed (Intune rejects them); {expected}"
        ));
    }
    let names: Vec<&str> = header.split(',').collect();
    if names.len() > COLUMNS.len() {
        return Err(format!(
            "{} columns; extra columns are not allowed: {expected}",
            names.len()
        ));
    }
    if names.len() < 3 {
        return Err(expected);
    }
    for (i, name) in names.iter().enumerate() {
        let want = COLUMNS[i];
        if *name == want {
            continue;
        }
        let detail = if name.trim().eq_ignore_ascii_case(want) {
            format!(
                "column {} is `{name}`, not `{want}` (headers are case-sensitive and have no surrounding spaces)",
                i + 1
            )
        } else if i == 3 && *name == "Manufacturer name" {
            "this is the -Partner format (`Manufacturer name,Device model`), which Intune's import \
             does not take; generate the CSV without -Partner"
                .to_string()
        } else {
            format!("column {} is `{name}`, expected `{want}`", i + 1)
        };
        return Err(format!("{detail}; {expected}"));
    }
    Ok(names.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEADER: &str = "Device Serial Number,Windows Product ID,Hardware Hash";
    const FULL: &str =
        "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User";

    fn lines(problems: &[Problem]) -> Vec<usize> {
        problems.iter().map(|p| p.line).collect()
    }

    #[test]
    fn minimal_and_full_headers() {
        let rows = parse(&format!("{HEADER}\nSN1,,QUJD\n")).expect("valid");
        assert_eq!(
            rows,
            vec![Row {
                line: 2,
                serial_number: "SN1".into(),
                product_key: None,
                hardware_hash: "QUJD".into(),
                group_tag: None,
                assigned_user: None,
            }]
        );
        let rows = parse(&format!(
            "{FULL}\r\nSN1,PK-1,QUI,SITE-A,ana@contoso.com\r\nSN2,,QQ,,\r\n\r\n"
        ))
        .expect("valid");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].hardware_hash, "QUI=", "padding is added");
        assert_eq!(rows[0].product_key.as_deref(), Some("PK-1"));
        assert_eq!(rows[0].group_tag.as_deref(), Some("SITE-A"));
        assert_eq!(rows[0].assigned_user.as_deref(), Some("ana@contoso.com"));
        assert_eq!((rows[1].line, rows[1].group_tag.clone()), (3, None));
        let with_tag = parse(&format!("{HEADER},Group Tag\nSN1,,QUJD,T\n")).expect("valid");
        assert_eq!(with_tag[0].group_tag.as_deref(), Some("T"));
    }

    #[test]
    fn a_byte_order_mark_is_tolerated() {
        assert!(parse(&format!("\u{feff}{HEADER}\nSN1,,QUJD\n")).is_ok());
    }

    #[test]
    fn header_must_be_exact() {
        for bad in [
            "device serial number,Windows Product ID,Hardware Hash",
            "Device Serial Number, Windows Product ID,Hardware Hash",
            "\"Device Serial Number\",\"Windows Product ID\",\"Hardware Hash\"",
            "Device Serial Number,Windows Product ID,Hardware Hash,Assigned User",
            "Device Serial Number,Windows Product ID,Hardware Hash,Group Tag,Assigned User,Notes",
            "Device Serial Number,Windows Product ID,Hardware Hash,Manufacturer name,Device model",
            "Serial,Hash",
        ] {
            let problems = parse(&format!("{bad}\nSN1,,QUJD\n")).expect_err(bad);
            assert_eq!(lines(&problems), [1], "{bad}: {problems:?}");
        }
        let partner = parse(&format!(
            "{HEADER},Manufacturer name,Device model\nSN1,,QUJD,A,B\n"
        ))
        .expect_err("partner");
        assert!(partner[0].message.contains("-Partner"), "{partner:?}");
        let case = parse("Device serial number,Windows Product ID,Hardware Hash\n").expect_err("");
        assert!(case[0].message.contains("case-sensitive"), "{case:?}");
        assert_eq!(lines(&parse("").expect_err("empty")), [1]);
    }

    #[test]
    fn row_problems_name_their_lines() {
        let csv = format!(
            "{FULL}\n\
             SN1,,QUJD,,\n\
             SN2,,\"QUJD\",,\n\
             SN3,,QU!D,,\n\
             sn1,,QUJE,,\n\
             SN5,,QUJD,,\n\
             ,,QUJF,,\n\
             SN7,,QUJG,T,not-a-upn\n\
             SN8,,QUJH,T,ana@contoso.com,extra\n\
             SN9\n\
             SN10,,QUJI,,\n"
        );
        let problems = parse(&csv).expect_err("invalid");
        assert_eq!(lines(&problems), [3, 4, 5, 6, 7, 8, 9, 10], "{problems:#?}");
        let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert!(text[0].contains("quotation marks"), "{text:?}");
        assert!(
            text[1].starts_with("line 4:") && text[1].contains("not Base64"),
            "{text:?}"
        );
        assert!(text[2].contains("already appears on line 2"), "{text:?}");
        assert!(text[3].contains("same hardware hash as line 2"), "{text:?}");
        assert!(text[4].contains("is empty"), "{text:?}");
        assert!(text[5].contains("Assigned User"), "{text:?}");
        assert!(text[6].contains("extra columns"), "{text:?}");
        assert!(text[7].contains("at least"), "{text:?}");
    }

    #[test]
    fn many_rows_are_fine() {
        let mut csv = format!("{HEADER}\n");
        for i in 0..1_200 {
            csv.push_str(&format!("SN{i:05},,QUJD{i:04}\n"));
        }
        assert_eq!(parse(&csv).expect("valid").len(), 1_200);
    }
}
