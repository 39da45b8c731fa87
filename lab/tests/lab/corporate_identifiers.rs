//! `/deviceManagement/importedDeviceIdentities`: corporate device identifiers, created one by one
//! or by `importDeviceIdentityList` (results with `status`), read, paged, deleted; bad types,
//! malformed Windows triples and duplicates refused; beta only.

use crate::common::{Lab, assert_bad_request, assert_wrapped_contains, expect, values_of};
use reqwest::StatusCode;
use serde_json::{Value, json};

const IDS: &str = "/beta/deviceManagement/importedDeviceIdentities";

fn import_path() -> String {
    format!("{IDS}/importDeviceIdentityList")
}

fn windows(identifier: &str) -> Value {
    json!({"importedDeviceIdentifier": identifier, "importedDeviceIdentityType": "manufacturerModelSerial"})
}

#[tokio::test]
async fn an_identity_is_created_read_listed_and_deleted() {
    let lab = Lab::start().await;
    let created = lab
        .create(
            IDS,
            windows("Microsoft Corporation,Surface Laptop 5,0123456789"),
        )
        .await;
    assert_eq!(
        created["@odata.type"],
        "#microsoft.graph.importedDeviceIdentity"
    );
    assert_eq!(created["enrollmentState"], "notContacted");
    assert_eq!(created["platform"], "windows");
    assert_eq!(created["description"], Value::Null);
    let id = created["id"].as_str().unwrap().to_owned();
    let read = lab.get_ok(&format!("{IDS}/{id}")).await;
    assert_eq!(
        read["importedDeviceIdentifier"],
        "Microsoft Corporation,Surface Laptop 5,0123456789"
    );
    let listed = lab.get_ok(IDS).await;
    assert_eq!(values_of(&listed).len(), 1);
    lab.delete_and_gone(&format!("{IDS}/{id}")).await;
    let (status, _) = lab.delete(&format!("{IDS}/{id}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn bad_identities_are_refused() {
    let lab = Lab::start().await;
    let mut bad_type = windows("A,B,C");
    bad_type["importedDeviceIdentityType"] = json!("macAddress");
    let (status, body) = lab.post(IDS, bad_type.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let answer = lab.post(IDS, windows("Lenovo,ThinkPad T14")).await;
    assert_bad_request(&answer, "");
    assert_wrapped_contains(&answer.1, "separated by commas");
    let answer = lab.post(IDS, windows("Lenovo, ,123")).await;
    assert_bad_request(&answer, "");
    let answer = lab
        .post(
            IDS,
            json!({"importedDeviceIdentityType": "manufacturerModelSerial"}),
        )
        .await;
    assert_bad_request(&answer, "");
    lab.create(IDS, windows("Lenovo,T14,123")).await;
    // The same identifier, in another case, is a duplicate.
    let answer = lab.post(IDS, windows("LENOVO,t14,123")).await;
    assert_bad_request(&answer, "");
    assert_wrapped_contains(&answer.1, "already exists");
    // A bad type anywhere in a list refuses the whole call.
    let (status, body) = lab
        .post(
            &import_path(),
            json!({"importedDeviceIdentities": [windows("A,B,1"), bad_type]}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let listed = lab.get_ok(IDS).await;
    assert_eq!(values_of(&listed).len(), 1, "{listed}");
    // Only on beta.
    lab.assert_beta_only("deviceManagement/importedDeviceIdentities")
        .await;
}

#[tokio::test]
async fn a_list_import_answers_a_status_per_identity() {
    let lab = Lab::start().await;
    lab.create(IDS, windows("Dell Inc,Latitude 5440,AAA")).await;
    let mut described = windows("dell inc,latitude 5440,aaa");
    described["description"] = json!("spare");
    let body = json!({
        "importedDeviceIdentities": [windows("HP,EliteBook 840,BBB"), described.clone(), windows("HP,EliteBook")],
        "overwriteImportedDeviceIdentities": false,
    });
    let answer = expect(lab.post(&import_path(), body).await, StatusCode::OK);
    let results = values_of(&answer);
    assert_eq!(results.len(), 3, "{answer}");
    assert_eq!(
        results[0]["@odata.type"],
        "#microsoft.graph.importedDeviceIdentityResult"
    );
    assert_eq!(results[0]["status"], true);
    assert!(!results[0]["id"].as_str().unwrap().is_empty());
    // Already there: not added again, left as it was.
    assert_eq!(results[1]["status"], false);
    assert_eq!(
        results[1]["importedDeviceIdentifier"],
        "Dell Inc,Latitude 5440,AAA"
    );
    assert_eq!(results[1]["description"], Value::Null);
    // Malformed: not added.
    assert_eq!(results[2]["status"], false);
    let listed = lab.get_ok(IDS).await;
    assert_eq!(values_of(&listed).len(), 2, "{listed}");

    // With overwrite, the existing one takes the new description.
    let body =
        json!({"importedDeviceIdentities": [described], "overwriteImportedDeviceIdentities": true});
    let answer = expect(lab.post(&import_path(), body).await, StatusCode::OK);
    assert_eq!(answer["value"][0]["status"], true, "{answer}");
    assert_eq!(answer["value"][0]["description"], "spare");
    let listed = lab.get_ok(IDS).await;
    assert_eq!(values_of(&listed).len(), 2, "{listed}");

    // Unknown parameters are refused.
    let (status, body) = lab
        .post(
            &import_path(),
            json!({"importedDeviceIdentities": [], "force": true}),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
}

#[tokio::test]
async fn the_listing_pages() {
    let lab = Lab::start().await;
    let many: Vec<Value> = (0..5)
        .map(|i| windows(&format!("HP,ProBook,S{i}")))
        .collect();
    expect(
        lab.post(&import_path(), json!({"importedDeviceIdentities": many}))
            .await,
        StatusCode::OK,
    );
    lab.settings(json!({"page_sizes": {"importedDeviceIdentities": 2}}))
        .await;
    let mut seen = 0;
    let mut path = IDS.to_owned();
    loop {
        let page = lab.get_ok(&path).await;
        let count = values_of(&page).len();
        assert!(count <= 2, "{page}");
        seen += count;
        match page["@odata.nextLink"].as_str() {
            Some(next) => path = format!("/beta/{}", next.split("/beta/").nth(1).unwrap()),
            None => break,
        }
    }
    assert_eq!(seen, 5);
}
