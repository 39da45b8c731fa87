//! Lifecycle steps the resource tests share, each a check of what Terraform plans and applies:
//! the empty plan after an apply, an in-place update, the re-create of an object deleted outside
//! Terraform, an import and the plan after it, the import of an id that does not exist, and the
//! plan of a valid configuration that creates without writing; and [`Subject`], the object a
//! resource test manages, with those steps checked against Graph.

use std::collections::BTreeSet;

use serde_json::{Value, json};

use crate::checks::{assert_props, assignment_targets, graph_list, state_values, the_only};
use crate::{Lab, Terraform, TfOutput, assert_no_writes, provider_warnings, string_attr};

/// Applies the configuration, which adds `added` resources and changes and destroys none.
/// Returns the values of the resource at `addr` in the state.
#[track_caller]
pub fn apply_adding(tf: &Terraform, added: usize, addr: &str) -> Value {
    tf.apply()
        .assert_contains(&format!("{added} added, 0 changed, 0 destroyed"));
    state_values(tf, addr)
}

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
    let plan = tf.plan_detailed().expect_code(2);
    plan.assert_contains("will be created");
    apply_new_object(tf, &plan, addr, old_id, 0)
}

/// Writes `hcl`, which changes an attribute that forces the replacement of the resource at
/// `addr`: the plan says so, and the apply replaces it. Returns the new object's id, which is not
/// `old_id`.
#[track_caller]
pub fn apply_replacement(tf: &Terraform, hcl: &str, addr: &str, old_id: &str) -> String {
    tf.write_config(hcl);
    let plan = tf.plan_detailed().expect_code(2);
    plan.assert_contains("must be replaced")
        .assert_contains("forces replacement");
    apply_new_object(tf, &plan, addr, old_id, 1)
}

/// `plan` adds one object at `addr` (and destroys `destroyed`); the apply does, and the new
/// object's id, which it returns, is not `old_id`.
#[track_caller]
fn apply_new_object(
    tf: &Terraform,
    plan: &TfOutput,
    addr: &str,
    old_id: &str,
    destroyed: u8,
) -> String {
    plan.assert_contains(&format!(
        "Plan: 1 to add, 0 to change, {destroyed} to destroy"
    ));
    tf.apply()
        .assert_contains(&format!("1 added, 0 changed, {destroyed} destroyed"));
    let new_id = string_attr(&state_values(tf, addr), "id");
    assert_ne!(new_id, old_id, "the new object at {addr} has a new id");
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
    plan_shows_update(tf, shown);
    assert_no_writes(lab, "a plan showing drift");
    tf.apply()
}

/// Plans the configuration as it stands: an in-place update that shows each of `shown`.
/// Returns the plan's output.
#[track_caller]
pub fn plan_shows_update(tf: &Terraform, shown: &[&str]) -> TfOutput {
    let plan = tf.plan_detailed().expect_code(2);
    plan.assert_contains("will be updated in-place");
    for needle in shown {
        plan.assert_contains(needle);
    }
    plan
}

/// The object a resource test manages: the resource at `addr` in `tf`'s state and the one object
/// Graph lists at `collection` for it (of `odata_type` when given), its assignments at
/// `<collection>/<id>/assignments`. Its methods are the lifecycle steps every such test takes.
#[derive(Clone, Copy)]
pub struct Subject<'a> {
    pub tf: &'a Terraform,
    pub lab: &'a Lab,
    pub addr: &'a str,
    pub collection: &'a str,
    pub odata_type: Option<&'a str>,
}

/// What the object should be after a step: these properties, and (when given) these assignment
/// targets, as [`crate::checks::targets`] writes them.
#[derive(Clone, Copy)]
pub struct Expected<'a> {
    pub props: &'a [(&'a str, Value)],
    pub targets: Option<&'a BTreeSet<String>>,
}

/// What [`Subject::create`] made: the new object's id, its values in the state, and the object
/// as Graph lists it.
pub struct Created {
    pub id: String,
    pub state: Value,
    pub object: Value,
}

impl<'a> Subject<'a> {
    /// The resource at `addr` in `tf`'s state, kept in `lab` at `collection` (of `odata_type`).
    pub fn new(
        tf: &'a Terraform,
        lab: &'a Lab,
        addr: &'a str,
        collection: &'a str,
        odata_type: Option<&'a str>,
    ) -> Self {
        Subject {
            tf,
            lab,
            addr,
            collection,
            odata_type,
        }
    }

    /// Applies `hcl`, which creates the resource: one added, a non-empty id in the state, that
    /// id the one object Graph lists, and a plan right after that is empty and writes nothing.
    #[track_caller]
    pub fn create(&self, hcl: &str) -> Created {
        self.tf.write_config(hcl);
        let state = apply_adding(self.tf, 1, self.addr);
        let id = string_attr(&state, "id");
        assert!(!id.is_empty(), "empty id in state: {state}");
        let object = self.object(&id);
        assert_plan_after_apply_writes_nothing(self.tf, self.lab);
        Created { id, state, object }
    }

    /// The one object Graph lists at the collection, which must be `id`.
    #[track_caller]
    pub fn object(&self, id: &str) -> Value {
        let object = the_only(self.lab, self.collection, self.odata_type);
        assert_eq!(
            object["id"],
            json!(id),
            "the object at {} should be {id}",
            self.collection
        );
        object
    }

    /// Asserts that the object `id` is as `expected` says. Returns it.
    #[track_caller]
    pub fn assert_object(&self, id: &str, expected: Expected<'_>) -> Value {
        let object = self.object(id);
        assert_props(&object, expected.props);
        if let Some(targets) = expected.targets {
            let path = format!("{}/{id}/assignments", self.collection);
            assert_eq!(
                &assignment_targets(self.lab, &path),
                targets,
                "the assignments at {path}"
            );
        }
        object
    }

    /// Writes `hcl` and plans it (an in-place update that shows each of `shown`, nothing
    /// replaced), applies it from a cleared request log, and asserts that the object `id` is
    /// kept and is as `expected` says, and that the next plan is empty. Returns the object.
    #[track_caller]
    pub fn update(&self, id: &str, hcl: &str, shown: &[&str], expected: Expected<'_>) -> Value {
        let plan = plan_update_in_place(self.tf, hcl);
        plan.assert_not_contains("must be replaced");
        for needle in shown {
            plan.assert_contains(needle);
        }
        self.lab.clear_requests();
        apply_update(self.tf);
        let object = self.assert_object(id, expected);
        self.tf.assert_no_changes();
        object
    }

    /// After a change made outside Terraform to the object `id`: the plan shows each of
    /// `shown` without writing, the apply repairs it, the object is as `expected` says and the
    /// next plan is empty.
    #[track_caller]
    pub fn repair(&self, id: &str, shown: &[&str], expected: Expected<'_>) {
        repair_drift(self.tf, self.lab, shown);
        self.assert_object(id, expected);
        self.tf.assert_no_changes();
    }

    /// A property edited in the portal (`patch`, PATCHed onto the object `id` through Graph) is
    /// repaired as [`Subject::repair`] says.
    #[track_caller]
    pub fn repair_patched(&self, id: &str, patch: &Value, shown: &[&str], expected: Expected<'_>) {
        self.lab
            .graph_patch(&format!("{}/{id}", self.collection), patch);
        self.repair(id, shown, expected);
    }

    /// An assignment made in the portal (`body`, POSTed through Graph to `action` of the object
    /// `id`: `assign`, `assignments`) is repaired as [`Subject::repair`] says.
    #[track_caller]
    pub fn repair_posted(
        &self,
        id: &str,
        action: &str,
        body: &Value,
        shown: &[&str],
        expected: Expected<'_>,
    ) {
        self.lab
            .graph_post(&format!("{}/{id}/{action}", self.collection), body);
        self.repair(id, shown, expected);
    }

    /// After the object `old_id` was deleted outside Terraform: the plan creates it again, the
    /// new object is as `expected` says and the next plan is empty. Returns the new id.
    #[track_caller]
    pub fn recreate(&self, old_id: &str, expected: Expected<'_>) -> String {
        let new_id = recreate_after_outside_delete(self.tf, self.addr, old_id);
        self.assert_object(&new_id, expected);
        self.tf.assert_no_changes();
        new_id
    }

    /// Destroys the resource: one destroyed, nothing left in the state nor at the collection.
    #[track_caller]
    pub fn destroy(&self) {
        self.tf.destroy().assert_contains("1 destroyed");
        let left = graph_list(self.lab, self.collection);
        assert!(
            left.is_empty(),
            "{} holds objects after destroy: {left:#?}",
            self.collection
        );
        assert!(
            self.tf.state_addresses().is_empty(),
            "resources left in state after destroy: {:?}",
            self.tf.state_addresses()
        );
    }
}
