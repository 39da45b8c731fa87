//! The provider keeps under Graph's per-app limits by itself: a plan with more Intune writes than
//! Graph allows in 20 seconds, applied and destroyed against the lab with its throttling on,
//! draws no 429 at all. (The budget is per provider process: two terraform commands run within
//! 20 seconds of each other share Graph's window without knowing it, and the second one may then
//! be told to wait; it obeys Retry-After.)

use acceptance_tests::{Lab, Terraform, show_requests};

/// Profiles in one Intune family (`deviceConfiguration`); each create is a POST and an `assign`,
/// each destroy a DELETE: 2 x 70 writes on apply, 70 on destroy, against 100 per 20 s.
const PROFILES: usize = 70;

#[test]
fn a_plan_larger_than_the_write_budget_draws_no_429() {
    let lab = Lab::start();
    let tf = Terraform::configured(
        &lab,
        &format!(
            r#"
resource "autopilot_domain_join_profile" "wave" {{
  count                        = {PROFILES}
  display_name                 = "DJ-wave-${{count.index}}"
  active_directory_domain_name = "contoso.com"
  organizational_unit          = "OU=Autopilot,DC=contoso,DC=com"
  computer_name_static_prefix  = "W${{count.index}}-"
  include_group_ids            = ["11111111-1111-4111-8111-111111111111"]
}}
"#
        ),
    );
    tf.apply();
    tf.assert_no_changes();
    // The budget lives in the provider process and each terraform command starts its own; the
    // lab, like Graph, counts per app over a sliding 20 s window. Let the apply's writes leave
    // the window before the destroy's process starts spending.
    std::thread::sleep(std::time::Duration::from_secs(21));
    tf.destroy();

    let requests = lab.requests();
    let writes = requests
        .iter()
        .filter(|r| r.is_graph_write() && r.path.contains("/deviceConfigurations"))
        .count();
    assert!(
        writes > 100 + 100,
        "only {writes} deviceConfiguration writes: the plan does not exceed the budget, so it proves nothing"
    );
    let throttled: Vec<_> = requests
        .iter()
        .filter(|r| r.status == 429)
        .cloned()
        .collect();
    assert!(
        throttled.is_empty(),
        "the provider drew {} 429s from the lab:\n{}",
        throttled.len(),
        show_requests(&throttled)
    );
    assert!(lab.objects("deviceConfigurations").is_empty());
}
