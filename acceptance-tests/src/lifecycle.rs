//! Lifecycle steps the resource tests share, each a check of what Terraform plans and applies:
//! the empty plan after an apply, an in-place update, the re-create of an object deleted outside
//! Terraform, an import and the plan after it, the import of an id that does not exist, and the
//! plan of a valid configuration that creates without writing.

use serde_json::Value;

use crate::checks::state_values;
use crate::{Lab, Terraform, TfOutput, assert_no_writes, provider_warnings, string_attr};

/// A plan right after an apply: empty, and it writes nothing.
#[track_caller]
pub fn assert_plan_after_apply_writes_nothing(tf: &Terraform, lab: &Lab) {
    lab.clear_requests();
    tf.assert_no_changes();
    assert_no_writes(lab, "a plan with no changes");
}

/// Writes `hcl` and plans it: one resource updated in place, nothing replaced. Returns the plan's
/// output for further checks; nothing is applied.
#[track_caller]
pub fn plan_update_in_place(tf: &Terraform, hcl: &str) -> TfOutput {
    tf.write_config(hcl);
    let plan = tf.plan_detailed().expect_code(2);
    plan.assert_contains("will be updated in-place")
        .assert_contains("Plan: 0 to add, 1 to change, 0 to destroy")
        .assert_not_contains("forces replacement");
    plan
}

/// Applies a configuration that changes one resource in place.
#[track_caller]
pub fn apply_update(tf: &Terraform) -> TfOutput {
    let out = tf.apply();
    out.assert_contains("0 added, 1 changed, 0 destroyed");
    out
}

/// After the object at `addr` was deleted outside Terraform: the plan creates it again rather
/// than failing, and the apply does. Returns the new object's id, which is not `old_id`.
#[track_caller]
pub fn recreate_after_outside_delete(tf: &Terraform, addr: &str, old_id: &str) -> String {
    tf.plan_detailed()
        .expect_code(2)
        .assert_contains("will be created")
        .assert_contains("Plan: 1 to add, 0 to change, 0 to destroy");
    tf.apply()
        .assert_contains("1 added, 0 changed, 0 destroyed");
    let new_id = string_attr(&state_values(tf, addr), "id");
    assert_ne!(new_id, old_id, "the recreated object has a new id");
    new_id
}

/// Imports the object `id` at `addr` (after clearing the lab's request log, so that
/// [`assert_import_plans_nothing`] sees the import's requests too). Returns its values in the
/// state.
#[track_caller]
pub fn import_into_state(tf: &Terraform, lab: &Lab, addr: &str, id: &str) -> Value {
    lab.clear_requests();
    tf.import(addr, id)
        .success()
        .assert_contains("Import successful");
    state_values(tf, addr)
}

/// After [`import_into_state`]: the plan is empty, and neither the import nor the plan wrote.
#[track_caller]
pub fn assert_import_plans_nothing(tf: &Terraform, lab: &Lab) {
    tf.assert_no_changes();
    assert_no_writes(lab, "import followed by a plan");
}

/// `hcl` configures the resource at `addr`; importing an id that does not exist fails with an
/// error that says so in one of `words` (compared without case), without a panic, without state
/// and without a write.
#[track_caller]
pub fn assert_import_of_missing_id_fails(hcl: &str, addr: &str, words: &[&str]) {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    tf.write_config(hcl);
    let out = tf
        .import(addr, "00000000-0000-4000-8000-000000000000")
        .expect_failure();
    out.assert_contains("Error").assert_not_contains("panic");
    let said = out.diagnostics().to_lowercase();
    assert!(
        words.iter().any(|w| said.contains(w)),
        "the error should say the object does not exist (one of {words:?})\n{out}"
    );
    assert!(
        tf.state_addresses().is_empty(),
        "a failed import left state behind"
    );
    assert_no_writes(&lab, "a failed import");
}

/// The control for a module's plan-time refusals: the valid configuration `hcl` plans the
/// creation of one resource, with no warning of the provider and without writing.
#[track_caller]
pub fn assert_valid_config_plans_a_create(hcl: &str) {
    let lab = Lab::start();
    let tf = Terraform::new(&lab);
    tf.write_config(hcl);
    let out = tf.plan_detailed().expect_code(2);
    out.assert_contains("will be created")
        .assert_contains("Plan: 1 to add, 0 to change, 0 to destroy");
    assert_eq!(provider_warnings(&out), Vec::<String>::new(), "{out}");
    assert_no_writes(&lab, "a plan");
}

/// After a change made outside Terraform: the plan shows an in-place update naming each of
/// `shown`, without writing, and the apply repairs it. Returns the apply's output.
#[track_caller]
pub fn repair_drift(tf: &Terraform, lab: &Lab, shown: &[&str]) -> TfOutput {
    lab.clear_requests();
    let plan = tf.plan_detailed().expect_code(2);
    plan.assert_contains("will be updated in-place");
    for needle in shown {
        plan.assert_contains(needle);
    }
    assert_no_writes(lab, "a plan showing drift");
    tf.apply()
}
