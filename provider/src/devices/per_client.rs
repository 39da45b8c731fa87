//! A value kept for one Graph client at a time: the process-wide device
//! caches belong to the client that filled them, so a reconfigured
//! provider (another tenant, other credentials) starts afresh.

use std::sync::{Mutex, PoisonError};

use crate::graph::GraphClient;

/// The key of a client: its address, stable for the client's life.
pub fn key(client: &GraphClient) -> usize {
    std::ptr::from_ref(client) as usize
}

/// A `T` for the client last asked about; asking for another client
/// replaces it with a fresh `T::default()`.
#[derive(Default)]
pub struct PerClient<T> {
    current: Mutex<Option<(usize, T)>>,
}

impl<T: Clone + Default> PerClient<T> {
    /// The value for `client` (see [`key`]), made fresh if it belonged to
    /// another client or was cleared.
    pub fn get(&self, client: usize) -> T {
        let mut current = self.current.lock().unwrap_or_else(PoisonError::into_inner);
        match &*current {
            Some((owner, value)) if *owner == client => value.clone(),
            _ => {
                let value = T::default();
                *current = Some((client, value.clone()));
                value
            }
        }
    }

    /// Forgets the value: the next [`PerClient::get`] makes a fresh one.
    pub fn clear(&self) {
        *self.current.lock().unwrap_or_else(PoisonError::into_inner) = None;
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicU32, Ordering};

    use super::*;

    #[test]
    fn one_value_per_client_until_cleared() {
        let slot: PerClient<Arc<AtomicU32>> = PerClient::default();
        slot.get(1).fetch_add(1, Ordering::SeqCst);
        assert_eq!(
            slot.get(1).load(Ordering::SeqCst),
            1,
            "same client, same value"
        );
        assert_eq!(
            slot.get(2).load(Ordering::SeqCst),
            0,
            "another client starts afresh"
        );
        assert_eq!(
            slot.get(1).load(Ordering::SeqCst),
            0,
            "and replaced the first one"
        );
        slot.get(1).fetch_add(1, Ordering::SeqCst);
        slot.clear();
        assert_eq!(slot.get(1).load(Ordering::SeqCst), 0, "cleared");
    }
}
