//! The `Get-WindowsAutopilotInfo` CSV parser (`devices::csv`).

use std::collections::HashSet;

use terraform_provider_autopilot::devices::{csv, hash, validate_upn};

/// Any text: rows that keep every promise of the parser, or problems that
/// each name a line of the text.
pub fn check(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let line_count = text.split('\n').count();
    match csv::parse(text) {
        Ok(rows) => check_rows(text, line_count, &rows),
        Err(problems) => {
            assert!(!problems.is_empty(), "an error without a problem");
            let mut previous = 0;
            for problem in &problems {
                assert!(
                    (1..=line_count.max(1)).contains(&problem.line),
                    "{problem} names a line outside the text ({line_count} lines)"
                );
                assert!(
                    problem.line >= previous,
                    "problems out of line order: {problems:?}"
                );
                previous = problem.line;
                assert!(
                    !problem.message.trim().is_empty(),
                    "an empty problem on line {}",
                    problem.line
                );
            }
        }
    }
}

fn check_rows(text: &str, line_count: usize, rows: &[csv::Row]) {
    let data_lines = text
        .split('\n')
        .filter(|line| !line.trim().is_empty())
        .count()
        .saturating_sub(1);
    assert_eq!(
        rows.len(),
        data_lines,
        "every non-blank line after the header is a row"
    );
    let mut serials = HashSet::new();
    let mut hashes = HashSet::new();
    let mut previous_line = 1;
    for row in rows {
        assert!(
            row.line > previous_line && row.line <= line_count,
            "row line {} out of order or range",
            row.line
        );
        previous_line = row.line;
        let serial = &row.serial_number;
        assert!(
            !serial.is_empty() && serial.trim() == serial,
            "serial {serial:?}"
        );
        assert!(!serial.contains([',', '"']), "serial {serial:?}");
        assert!(
            serials.insert(serial.to_lowercase()),
            "serial {serial:?} twice"
        );
        assert!(hashes.insert(row.hardware_hash.clone()), "a hash twice");
        assert_eq!(
            hash::normalize(&row.hardware_hash).as_ref(),
            Ok(&row.hardware_hash),
            "row {} keeps a hash that is not normalised",
            row.line
        );
        for value in [&row.product_key, &row.group_tag, &row.assigned_user]
            .into_iter()
            .flatten()
        {
            assert!(
                !value.is_empty() && value.trim() == value,
                "field {value:?}"
            );
        }
        if let Some(user) = &row.assigned_user {
            assert!(
                validate_upn(user).is_ok(),
                "assigned user {user:?} is no UPN"
            );
        }
    }
}
