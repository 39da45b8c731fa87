//! The lock of the lab's shared state: it survives a panic in another request.

use std::sync::{Mutex, MutexGuard, PoisonError};

/// A [`Mutex`] whose [`lock`](Self::lock) takes the value even after a thread panicked while
/// holding it, so one failed request never locks the rest of the lab out.
#[derive(Debug, Default)]
pub struct Lock<T>(Mutex<T>);

impl<T> Lock<T> {
    pub fn new(value: T) -> Self {
        Lock(Mutex::new(value))
    }

    pub fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}
