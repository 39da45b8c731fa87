//! Unit tests of `autopilot_corporate_identifier_csv`: the CSV rules and planning.

use super::*;

fn problems(content: &str) -> Vec<String> {
    match csv::parse(content) {
        Ok(_) => Vec::new(),
        Err(problems) => problems.iter().map(ToString::to_string).collect(),
    }
}

fn known(id: &str) -> CorporateIdentity {
    CorporateIdentity {
        id: Attr::Known(id.into()),
        enrollment_state: Attr::Known("notContacted".into()),
        ..CorporateIdentity::default()
    }
}

#[test]
fn schema_derives() {
    let schema = tfplugin::Schema::of::<CorporateIdentifierCsvModel>(0).expect("schema");
    let content = schema.block.attribute("content").expect("content");
    assert!(content.required && !content.sensitive);
    let identifiers = schema.block.attribute("identifiers").expect("identifiers");
    assert!(identifiers.computed && !identifiers.optional);
}

#[test]
fn lines_are_trimmed_and_blank_lines_and_a_bom_skipped() {
    let rows =
        csv::parse("\u{feff}Microsoft Corporation , Surface Laptop 5,01\r\n\r\nLenovo,T14,02\n")
            .expect("valid");
    assert_eq!(
        rows,
        vec![
            csv::Row {
                line: 1,
                identifier: "Microsoft Corporation,Surface Laptop 5,01".into()
            },
            csv::Row {
                line: 3,
                identifier: "Lenovo,T14,02".into()
            },
        ]
    );
}

#[test]
fn each_bad_line_is_named_with_its_rule() {
    let found = problems(
        "Lenovo,T14\n\"Dell, Inc.\",Latitude,1\nHP,,3\nHP,ProBook,4.5\nLenovo,T14,9\nLENOVO,t14,9\n,A,B\nA,B,C,D\n",
    );
    assert_eq!(
        found,
        vec![
            "line 1: expected 3 fields (manufacturer,model,serial number), found 2",
            "line 2: quotation marks are not allowed (Intune's CSV has none, so a name cannot hold a comma)",
            "line 3: the model is empty",
            "line 4: the serial number has periods; Intune wants them removed",
            "line 6: repeats line 5 (Intune compares identifiers ignoring case)",
            "line 7: the manufacturer is empty",
            "line 8: expected 3 fields (manufacturer,model,serial number), found 4",
        ]
    );
    assert_eq!(
        problems("\n \n"),
        vec![
            "line 1: the CSV has no identifier; give one `manufacturer,model,serial number` line per device"
        ]
    );
}

#[test]
fn validation_attaches_problems_to_content() {
    let config = CorporateIdentifierCsvModel {
        content: Attr::Known("A,B\n".into()),
        ..CorporateIdentifierCsvModel::default()
    };
    let mut diags = Diagnostics::default();
    validate::config(&config, &mut diags);
    assert!(diags.has_errors());
    let config = CorporateIdentifierCsvModel {
        content: Attr::Unknown,
        ..CorporateIdentifierCsvModel::default()
    };
    let mut diags = Diagnostics::default();
    validate::config(&config, &mut diags);
    assert!(!diags.has_errors());
}

#[test]
fn planning_keeps_known_rows_and_leaves_new_ones_unknown() {
    let prior = BTreeMap::from([
        ("Lenovo,T14,1".to_string(), known("a")),
        ("HP,ProBook,2".to_string(), known("b")),
    ]);
    let rows = csv::parse("lenovo,t14,1\nDell,XPS,3\n").expect("valid");
    let planned = plan_identifiers(&rows, &prior);
    assert_eq!(planned.len(), 2);
    // Matched ignoring case, keyed as the CSV now writes it.
    assert_eq!(planned["lenovo,t14,1"], known("a"));
    assert_eq!(planned["Dell,XPS,3"], CorporateIdentity::to_import());
}

#[test]
fn an_import_writes_the_identifiers_sorted_one_per_line() {
    let identifiers = BTreeMap::from([
        ("Lenovo,T14,1".to_string(), known("a")),
        ("HP,ProBook,2".to_string(), known("b")),
    ]);
    assert_eq!(content_of(&identifiers), "HP,ProBook,2\nLenovo,T14,1\n");
    let rows = csv::parse(&content_of(&identifiers)).expect("valid");
    assert_eq!(plan_identifiers(&rows, &identifiers), identifiers);
}
