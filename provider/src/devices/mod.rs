//! Device registrations, shared by `autopilot_device`, `autopilot_device_csv`
//! and the device data sources: the CSV parser, the hardware hash
//! normaliser, the import state machine, the per-process listing cache,
//! Graph payloads and calls, the group tag membership rule, and the wait
//! for deployment profile assignment.

pub mod adoption;
pub mod assignment_wait;
pub mod cache;
pub mod csv;
pub mod deadline;
pub mod delete;
pub mod graph;
pub mod hash;
pub mod import;
pub mod leftovers;
pub mod ops;
pub mod per_client;
pub mod rule;
pub mod sync;
pub mod teardown;

use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

/// Checks a user principal name (`user@contoso.com`).
pub fn validate_upn(upn: &str) -> Result<(), String> {
    let valid = match upn.split_once('@') {
        Some((user, domain)) => {
            !user.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !upn
                    .chars()
                    .any(|c| c.is_whitespace() || c == '"' || c == ',')
        }
        None => false,
    };
    if valid {
        Ok(())
    } else {
        Err(format!(
            "{upn:?} is not a user principal name such as \"ana@contoso.com\""
        ))
    }
}

/// Checks a device name (an Autopilot device's display name): at most 15
/// letters, digits and hyphens, not only digits (Windows computer names).
pub fn validate_device_name(name: &str) -> Result<(), String> {
    let length = name.chars().count();
    if length == 0 || length > 15 {
        return Err(format!(
            "{name:?} has {length} characters; a device name has 1 to 15"
        ));
    }
    if let Some(bad) = name
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "{name:?} contains {bad:?}; a device name has letters, digits and hyphens only"
        ));
    }
    if name.chars().all(|c| c.is_ascii_digit()) {
        return Err(format!(
            "{name:?} is only digits; a device name needs a letter or hyphen"
        ));
    }
    Ok(())
}

/// Runs `work` on every item, at most `limit` at a time, and returns the
/// outputs in the order of the items.
pub async fn run_bounded<T, O, F, Fut>(items: Vec<T>, limit: usize, work: F) -> Vec<O>
where
    F: Fn(T) -> Fut,
    Fut: Future<Output = O>,
{
    let limit = limit.max(1);
    let mut outputs: Vec<Option<O>> = Vec::with_capacity(items.len());
    outputs.resize_with(items.len(), || None);
    let mut queue = items.into_iter().enumerate();
    let mut running: Vec<(usize, Pin<Box<Fut>>)> = Vec::with_capacity(limit);
    loop {
        while running.len() < limit {
            match queue.next() {
                Some((i, item)) => running.push((i, Box::pin(work(item)))),
                None => break,
            }
        }
        if running.is_empty() {
            break;
        }
        let (slot, index, output) = std::future::poll_fn(|cx| {
            for (slot, (index, future)) in running.iter_mut().enumerate() {
                if let Poll::Ready(output) = future.as_mut().poll(cx) {
                    return Poll::Ready((slot, *index, output));
                }
            }
            Poll::Pending
        })
        .await;
        running.swap_remove(slot);
        if let Some(out) = outputs.get_mut(index) {
            *out = Some(output);
        }
    }
    outputs.into_iter().flatten().collect()
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    #[test]
    fn upns() {
        assert!(validate_upn("ana@contoso.com").is_ok());
        assert!(validate_upn("ana.b@sub.contoso.onmicrosoft.com").is_ok());
        for bad in [
            "ana",
            "@contoso.com",
            "ana@contoso",
            "a@b@c.com",
            "ana @c.com",
            "ana@.com",
        ] {
            assert!(validate_upn(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn device_names() {
        assert!(validate_device_name("KIOSK-01").is_ok());
        for bad in ["", "ABCDEFGHIJKLMNOP", "12345", "KIOSK_01", "KIOSK 1"] {
            assert!(validate_device_name(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn bounded_runs_keep_order_and_limit() {
        let running = AtomicUsize::new(0);
        let peak = AtomicUsize::new(0);
        let out = run_bounded((0..20u64).collect(), 4, |i| {
            let running = &running;
            let peak = &peak;
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20 - i)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                i * 2
            }
        })
        .await;
        assert_eq!(out, (0..20u64).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 4);
    }
}
