//! Every object the lab stores and returns conforms to `graph-entities.json` (the CSDL extract
//! in `../shared/reference`): property names exist on its `@odata.type` (or the collection's
//! type), values have the declared types, non-nullable properties are not null, and v1.0
//! responses only show what the v1.0 schema declares.

use std::path::PathBuf;
use std::time::Duration;

use crate::common::{Lab, dynamic_device_group, values_of};
use autopilot_lab::LabConfig;
use base64::Engine as _;
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Types the lab returns that the reference file does not extract (checked elsewhere).
const NOT_IN_REFERENCE: &[&str] = &[
    "user",
    "mobileApp",
    "win32LobApp",
    "windowsMobileMSI",
    "winGetApp",
    "officeSuiteApp",
    "deviceManagementScript",
    // Entra device objects, which registering a device makes (the reference holds no `device`).
    "device",
    // Scope tags: the shape is Microsoft Learn's "roleScopeTag resource type" (checked in
    // `role_scope_tags.rs`); the reference file does not extract it.
    "roleScopeTag",
    // Assignment filters: the reference does not extract them; their shape is the Graph beta
    // reference page "deviceAndAppManagementAssignmentFilter resource type".
    "deviceAndAppManagementAssignmentFilter",
    // Corporate device identifiers (beta): the reference does not extract them; their shape is
    // the Graph beta reference pages "importedDeviceIdentity resource type" and
    // "importedDeviceIdentityResult resource type".
    "importedDeviceIdentity",
    "importedDeviceIdentityResult",
];

struct Schema {
    doc: Value,
}

fn load_schema() -> Schema {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../shared/reference/graph-entities.json");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "the conformance test needs the Graph reference file at {} ({e}); it lives outside this repository in ../shared/reference",
            path.display()
        )
    });
    Schema {
        doc: serde_json::from_str(&text).expect("graph-entities.json is JSON"),
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Version {
    Beta,
    V1,
}

impl Schema {
    fn entity(&self, name: &str) -> Option<&Value> {
        self.doc["entityTypes"].get(name)
    }

    fn complex(&self, name: &str) -> Option<&Value> {
        self.doc["complexTypes"].get(name)
    }

    fn structured(&self, name: &str) -> Option<&Value> {
        self.entity(name).or_else(|| self.complex(name))
    }

    fn enum_members(&self, name: &str) -> Option<Vec<String>> {
        self.doc["enumTypes"].get(name).map(|members| {
            members
                .as_array()
                .unwrap()
                .iter()
                .map(|m| m.as_str().unwrap().to_owned())
                .collect()
        })
    }

    fn is_flags(&self, name: &str) -> bool {
        self.doc["enumTypesDetail"][name]["isFlags"] == true
    }

    /// The type and its ancestors.
    fn lineage(&self, name: &str) -> Vec<(String, &Value)> {
        let mut out = Vec::new();
        let mut current = Some(name.to_owned());
        while let Some(ty) = current {
            let Some(def) = self.structured(&ty) else {
                break;
            };
            current = def["baseType"].as_str().map(str::to_owned);
            out.push((ty, def));
        }
        out
    }

    fn derives_from(&self, ty: &str, base: &str) -> bool {
        self.lineage(ty).iter().any(|(name, _)| name == base)
    }

    /// Whether `ty` is listed in the v1.0 comparison (null means: absent from v1.0).
    fn v1_properties(&self, ty: &str) -> Option<Vec<String>> {
        let section = if self.entity(ty).is_some() {
            "entityTypes"
        } else {
            "complexTypes"
        };
        let entry = self.doc["v1_0"][section].get(ty)?;
        if entry.is_null() {
            return Some(Vec::new());
        }
        let mut names = Vec::new();
        for key in ["properties", "navigationProperties"] {
            for name in entry[key].as_array().into_iter().flatten() {
                names.push(name.as_str().unwrap().to_owned());
            }
        }
        Some(names)
    }
}

struct Checker<'s> {
    schema: &'s Schema,
    problems: Vec<String>,
    checked: usize,
}

fn strip(ty: &str) -> &str {
    let ty = ty.trim_start_matches('#');
    ty.strip_prefix("microsoft.graph.").unwrap_or(ty)
}

impl Checker<'_> {
    fn problem(&mut self, at: &str, text: impl std::fmt::Display) {
        self.problems.push(format!("{at}: {text}"));
    }

    /// Checks an object of (declared) type `ty`.
    fn object(&mut self, at: &str, declared: &str, value: &Value, version: Version) {
        let Some(map) = value.as_object() else {
            self.problem(
                at,
                format!("expected an object of type {declared}, got {value}"),
            );
            return;
        };
        let ty = match map.get("@odata.type").and_then(Value::as_str) {
            Some(annotated) => {
                let annotated = strip(annotated).to_owned();
                if self.schema.structured(&annotated).is_some()
                    && self.schema.structured(declared).is_some()
                    && !self.schema.derives_from(&annotated, declared)
                {
                    self.problem(at, format!("{annotated} does not derive from {declared}"));
                }
                annotated
            }
            None => declared.to_owned(),
        };
        if NOT_IN_REFERENCE.contains(&ty.as_str()) {
            return;
        }
        let lineage = self.schema.lineage(&ty);
        if lineage.is_empty() {
            self.problem(at, format!("type {ty} is not in graph-entities.json"));
            return;
        }
        if lineage[0].1["abstract"] == true {
            self.problem(
                at,
                format!("{ty} is abstract; the object needs a derived @odata.type"),
            );
        }
        self.checked += 1;
        // The v1.0 comparison lists some types as null: absent from v1.0 (the domain join
        // type, served as stored on v1.0 by choice) or not compared (group, servicePrincipal).
        // Only types it lists are checked against v1.0.
        let listed = |section: &str| {
            self.schema.doc["v1_0"][section]
                .get(&ty)
                .is_some_and(|entry| !entry.is_null())
        };
        let compared = listed("entityTypes") || listed("complexTypes");
        let v1_names: Option<Vec<String>> = if version == Version::V1 && compared {
            let mut all = Vec::new();
            let mut listed = false;
            for (name, _) in &lineage {
                if let Some(names) = self.schema.v1_properties(name) {
                    listed = true;
                    all.extend(names);
                }
            }
            listed.then_some(all)
        } else {
            None
        };
        for (name, member) in map {
            if name.contains('@') {
                continue;
            }
            let here = format!("{at}.{name}");
            let property = lineage
                .iter()
                .find_map(|(_, def)| def["properties"].get(name));
            let navigation = lineage
                .iter()
                .find_map(|(_, def)| def["navigationProperties"].get(name));
            if let Some(v1) = &v1_names
                && !v1.contains(name)
            {
                self.problem(&here, format!("not declared on {ty} in v1.0"));
            }
            match (property, navigation) {
                (Some(property), _) => {
                    let declared_type = property["type"].as_str().unwrap();
                    let nullable = property["nullable"] != false;
                    self.value(&here, declared_type, nullable, member, version);
                }
                (None, Some(navigation)) => {
                    let nav_type = navigation["type"].as_str().unwrap();
                    self.value(&here, nav_type, true, member, version);
                }
                (None, None) => self.problem(&here, format!("no such property on {ty}")),
            }
        }
    }

    fn value(&mut self, at: &str, ty: &str, nullable: bool, value: &Value, version: Version) {
        if value.is_null() {
            if !nullable {
                self.problem(at, format!("null for non-nullable {ty}"));
            }
            return;
        }
        if let Some(inner) = ty
            .strip_prefix("Collection(")
            .and_then(|t| t.strip_suffix(')'))
        {
            let Some(items) = value.as_array() else {
                self.problem(at, format!("expected {ty}, got {value}"));
                return;
            };
            for (i, item) in items.iter().enumerate() {
                self.value(&format!("{at}[{i}]"), inner, false, item, version);
            }
            return;
        }
        let ok = match ty {
            "Edm.String" => value.is_string(),
            "Edm.Boolean" => value.is_boolean(),
            "Edm.Int32" => value.as_i64().is_some_and(|n| i32::try_from(n).is_ok()),
            "Edm.Int64" => value.is_i64(),
            "Edm.DateTimeOffset" => value
                .as_str()
                .is_some_and(|s| chrono::DateTime::parse_from_rfc3339(s).is_ok()),
            "Edm.Guid" => value
                .as_str()
                .is_some_and(|s| uuid::Uuid::parse_str(s).is_ok()),
            "Edm.Binary" => value.as_str().is_some_and(|s| {
                s.len() % 4 == 0 && base64::engine::general_purpose::STANDARD.decode(s).is_ok()
            }),
            other => {
                let name = strip(other);
                if let Some(members) = self.schema.enum_members(name) {
                    match value.as_str() {
                        Some(text) => {
                            let parts: Vec<&str> = if self.schema.is_flags(name) {
                                text.split(',').map(str::trim).collect()
                            } else {
                                vec![text]
                            };
                            parts.iter().all(|p| members.iter().any(|m| m == p))
                        }
                        None => false,
                    }
                } else if self.schema.structured(name).is_some() {
                    self.object(at, name, value, version);
                    true
                } else {
                    // A type the reference does not extract: only its JSON shape is known.
                    value.is_object() || value.is_string()
                }
            }
        };
        if !ok {
            self.problem(at, format!("{value} is not a valid {ty}"));
        }
    }
}

/// The type of the objects of a `/_lab/objects` collection that carry no `@odata.type`.
fn collection_type(collection: &str) -> &'static str {
    match collection {
        "deviceConfigurations" => "deviceConfiguration",
        "deviceConfigurationAssignments" => "deviceConfigurationAssignment",
        "windowsAutopilotDeploymentProfiles" => "windowsAutopilotDeploymentProfile",
        "windowsAutopilotDeploymentProfileAssignments" => {
            "windowsAutopilotDeploymentProfileAssignment"
        }
        "deviceEnrollmentConfigurations" => "deviceEnrollmentConfiguration",
        "enrollmentConfigurationAssignments" => "enrollmentConfigurationAssignment",
        "configurationPolicies" => "deviceManagementConfigurationPolicy",
        "configurationPolicyAssignments" => "deviceManagementConfigurationPolicyAssignment",
        "assignmentFilters" => "deviceAndAppManagementAssignmentFilter",
        "groups" => "group",
        "servicePrincipals" => "servicePrincipal",
        "users" => "user",
        "mobileApps" => "mobileApp",
        "deviceManagementScripts" => "deviceManagementScript",
        "importedWindowsAutopilotDeviceIdentities" => "importedWindowsAutopilotDeviceIdentity",
        "windowsAutopilotDeviceIdentities" => "windowsAutopilotDeviceIdentity",
        "windowsAutopilotSettings" => "windowsAutopilotSettings",
        // Not in the reference (it holds no managedDevice or device type); `populate` makes no
        // managed device, and the Entra devices its registrations make are skipped (`NOT_IN_REFERENCE`).
        "managedDevices" => "managedDevice",
        "devices" => "device",
        "roleScopeTags" => "roleScopeTag",
        "importedDeviceIdentities" => "importedDeviceIdentity",
        other => panic!("the conformance test does not know the collection '{other}'; add it"),
    }
}

/// Creates one object of every kind the lab serves.
async fn populate(lab: &Lab) {
    let dj = lab
        .post_ok(
            "/beta/deviceManagement/deviceConfigurations",
            crate::common::domain_join("DJ"),
        )
        .await;
    lab.post_ok(
        "/beta/deviceManagement/assignmentFilters",
        json!({"displayName": "F", "platform": "windows10AndLater", "rule": "(device.model -eq \"A\")"}),
    )
    .await;
    lab.post_ok(
        &format!("/beta/deviceManagement/deviceConfigurations/{}/assign", dj["id"].as_str().unwrap()),
        json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.allDevicesAssignmentTarget"}}]}),
    )
    .await;
    for (ty, extra) in [
        ("azureADWindowsAutopilotDeploymentProfile", json!({})),
        (
            "activeDirectoryWindowsAutopilotDeploymentProfile",
            json!({"hybridAzureADJoinSkipConnectivityCheck": true, "enrollmentStatusScreenSettings": {"hideInstallationProgress": true}}),
        ),
    ] {
        let mut body = json!({"@odata.type": format!("#microsoft.graph.{ty}"), "displayName": ty,
            "outOfBoxExperienceSetting": {"userType": "standard"}, "deviceNameTemplate": "AP-%RAND:4%"});
        for (k, v) in extra.as_object().unwrap() {
            body[k] = v.clone();
        }
        let profile = lab
            .post_ok(
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles",
                body,
            )
            .await;
        lab.post_ok(
            &format!(
                "/beta/deviceManagement/windowsAutopilotDeploymentProfiles/{}/assignments",
                profile["id"].as_str().unwrap()
            ),
            json!({"target": {"@odata.type": "#microsoft.graph.groupAssignmentTarget",
                                  "groupId": uuid::Uuid::new_v4().to_string()}}),
        )
        .await;
    }
    let esp = lab
        .post_ok(
            "/beta/deviceManagement/deviceEnrollmentConfigurations",
            json!({"@odata.type": "#microsoft.graph.windows10EnrollmentCompletionPageConfiguration",
                   "displayName": "ESP", "selectedMobileAppIds": ["7ab1ab00-0000-4000-8000-0000000a0001"]}),
        )
        .await;
    lab.post_ok(
        &format!("/beta/deviceManagement/deviceEnrollmentConfigurations/{}/assign", esp["id"].as_str().unwrap()),
        json!({"enrollmentConfigurationAssignments": [{"target": {"@odata.type": "#microsoft.graph.exclusionGroupAssignmentTarget", "groupId": uuid::Uuid::new_v4().to_string()}}]}),
    )
    .await;
    lab.post_ok(
        "/v1.0/groups",
        dynamic_device_group(
            "G",
            "(device.devicePhysicalIDs -any (_ -contains \"[ZTDID]\"))",
        ),
    )
    .await;
    let policy = lab
        .post_ok(
            "/beta/deviceManagement/configurationPolicies",
            json!({"name": "DP", "platforms": "windows10", "technologies": "enrollment",
                   "templateReference": {"templateId": "80d33118-b7b4-40d8-b15f-81be745e053f_1"},
                   "settings": [
                       {"settingInstance": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingInstance",
                        "settingDefinitionId": "enrollment_autopilot_dpp_jointype",
                        "choiceSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationChoiceSettingValue",
                                               "value": "enrollment_autopilot_dpp_jointype_0", "children": []}}},
                       {"settingInstance": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingInstance",
                        "settingDefinitionId": "enrollment_autopilot_dpp_timeout",
                        "simpleSettingValue": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationIntegerSettingValue", "value": 90}}},
                       {"settingInstance": {"@odata.type": "#microsoft.graph.deviceManagementConfigurationSimpleSettingCollectionInstance",
                        "settingDefinitionId": "enrollment_autopilot_dpp_allowedscriptids",
                        "simpleSettingCollectionValue": [{"@odata.type": "#microsoft.graph.deviceManagementConfigurationStringSettingValue",
                                                          "value": "7ab1ab00-0000-4000-8000-0000000c0001"}]}}
                   ]}),
        )
        .await;
    lab.post_ok(
        &format!("/beta/deviceManagement/configurationPolicies/{}/assign", policy["id"].as_str().unwrap()),
        json!({"assignments": [{"target": {"@odata.type": "#microsoft.graph.allLicensedUsersAssignmentTarget"}}]}),
    )
    .await;
    lab.post_ok(
        "/beta/deviceManagement/importedDeviceIdentities/importDeviceIdentityList",
        json!({"importedDeviceIdentities": [{"importedDeviceIdentifier": "Contoso,Book,CONF-1",
                                             "importedDeviceIdentityType": "manufacturerModelSerial"}]}),
    )
    .await;
    let hash = base64::engine::general_purpose::STANDARD.encode("a hardware hash");
    lab.post_ok(
        "/beta/deviceManagement/importedWindowsAutopilotDeviceIdentities/import",
        json!({"importedWindowsAutopilotDeviceIdentities": [
            {"serialNumber": "CONF-1", "hardwareIdentifier": hash, "groupTag": "T"},
            {"serialNumber": "CONF-1", "hardwareIdentifier": hash}
        ]}),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    lab.post_ok(
        "/beta/deviceManagement/windowsAutopilotSettings/sync",
        json!({}),
    )
    .await;
}

/// Every collection path to read, with the version and whether items are of a known type.
const READS: &[(&str, &str)] = &[
    (
        "beta",
        "deviceManagement/deviceConfigurations?$expand=assignments",
    ),
    ("v1.0", "deviceManagement/deviceConfigurations"),
    (
        "beta",
        "deviceManagement/windowsAutopilotDeploymentProfiles?$expand=assignments",
    ),
    (
        "beta",
        "deviceManagement/deviceEnrollmentConfigurations?$expand=assignments",
    ),
    (
        "v1.0",
        "deviceManagement/deviceEnrollmentConfigurations?$expand=assignments",
    ),
    (
        "beta",
        "deviceManagement/configurationPolicies?$expand=settings",
    ),
    ("beta", "deviceManagement/assignmentFilters"),
    ("beta", "deviceManagement/importedDeviceIdentities"),
    ("beta", "groups"),
    ("v1.0", "groups"),
    ("beta", "servicePrincipals"),
    ("v1.0", "servicePrincipals"),
    (
        "beta",
        "deviceManagement/importedWindowsAutopilotDeviceIdentities",
    ),
    (
        "v1.0",
        "deviceManagement/importedWindowsAutopilotDeviceIdentities",
    ),
    ("beta", "deviceManagement/windowsAutopilotDeviceIdentities"),
    ("v1.0", "deviceManagement/windowsAutopilotDeviceIdentities"),
    ("beta", "deviceAppManagement/mobileApps"),
];

fn item_type(path: &str) -> &'static str {
    let collection = path.split('?').next().unwrap().rsplit('/').next().unwrap();
    collection_type(collection)
}

#[tokio::test]
async fn every_stored_and_returned_object_conforms_to_the_reference() {
    let schema = load_schema();
    let lab = Lab::start_with(LabConfig {
        import_processing_ms: 10,
        ..LabConfig::default()
    })
    .await;
    populate(&lab).await;
    let mut checker = Checker {
        schema: &schema,
        problems: Vec::new(),
        checked: 0,
    };

    // Stored objects.
    let objects = lab.objects().await;
    for (collection, items) in objects.as_object().unwrap() {
        if collection.starts_with('_') {
            continue;
        }
        let ty = collection_type(collection);
        for (i, item) in items.as_array().unwrap().iter().enumerate() {
            checker.object(
                &format!("stored {collection}[{i}]"),
                ty,
                item,
                Version::Beta,
            );
        }
    }

    // Returned objects: every collection (both versions where Graph has it), every entity, and
    // the navigations.
    let mut entity_paths = Vec::new();
    for (version, path) in READS {
        let body = lab.get_ok(&format!("/{version}/{path}")).await;
        let v = if *version == "beta" {
            Version::Beta
        } else {
            Version::V1
        };
        let ty = item_type(path);
        for (i, item) in values_of(&body).iter().enumerate() {
            checker.object(&format!("GET /{version}/{path} value[{i}]"), ty, item, v);
            let base = path.split('?').next().unwrap();
            entity_paths.push((
                *version,
                format!("{base}/{}", item["id"].as_str().unwrap()),
                ty,
            ));
        }
    }
    for (version, path, ty) in &entity_paths {
        let (status, mut body) = lab.get(&format!("/{version}/{path}")).await;
        assert_eq!(status, StatusCode::OK, "{version}/{path}: {body}");
        body.as_object_mut().unwrap().remove("@odata.context");
        let v = if *version == "beta" {
            Version::Beta
        } else {
            Version::V1
        };
        checker.object(&format!("GET /{version}/{path}"), ty, &body, v);
    }
    for (path, ty) in [(
        "beta/deviceManagement/windowsAutopilotSettings",
        "windowsAutopilotSettings",
    )] {
        let body = lab.get_ok(&format!("/{path}")).await;
        checker.object(&format!("GET /{path}"), ty, &body, Version::Beta);
    }

    assert!(
        checker.checked > 40,
        "only {} objects checked",
        checker.checked
    );
    assert!(
        checker.problems.is_empty(),
        "{} objects checked, problems:\n{}",
        checker.checked,
        checker.problems.join("\n")
    );
}
