//! Eventual consistency of the directory and of Intune's view of it.
//!
//! An object Graph has just created is not visible everywhere at once: a
//! group created a moment ago can answer 404 to a read or to adding an
//! owner, and Intune may not find it yet (`securityGroupNotFound`). These
//! methods retry such answers for a bounded time, so that resources never
//! sleep or retry by hand. They are for objects known to have just been
//! created; elsewhere a 404 means "gone" and is not retried.

use std::future::Future;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;

use super::{ApiVersion, GraphClient, GraphError};

/// How long a just-created object may stay invisible before a 404 counts.
pub const REPLICATION_WINDOW: Duration = Duration::from_secs(60);

/// The wait before attempt `attempt + 1` while waiting for replication:
/// 0.5 s doubling up to 8 s.
pub fn replication_delay(attempt: u32) -> Duration {
    Duration::from_millis(500)
        .saturating_mul(2u32.saturating_pow(attempt.min(8)))
        .min(Duration::from_secs(8))
}

/// What one attempt of an operation on a just-created object saw.
pub enum Seen<T> {
    /// The object was visible: the operation's outcome.
    Done(Result<T, GraphError>),
    /// Not replicated yet: worth another attempt (the outcome so far).
    NotYet(Result<T, GraphError>),
}

/// Whether an error says the object exists but is already referenced
/// (adding an owner or member twice).
pub fn is_already_referenced(error: &GraphError) -> bool {
    match error {
        GraphError::Api {
            status: 400,
            message,
            ..
        } => message.contains("already exist"),
        _ => false,
    }
}

/// Whether an error says the object already exists (a create raced, or
/// the object was there before).
pub fn is_conflict(error: &GraphError) -> bool {
    error.status() == Some(409)
}

/// A reference to a directory object (`POST .../$ref`).
#[derive(Serialize, schemars::JsonSchema)]
pub(crate) struct Reference {
    #[serde(rename = "@odata.id")]
    #[schemars(extend("format" = "uri"))]
    odata_id: String,
}

impl GraphClient {
    /// A PUT replacing a whole object (settings catalog policies take no
    /// PATCH of their settings). The answer body is not needed.
    pub async fn put<B: Serialize>(
        &self,
        version: ApiVersion,
        path: &str,
        body: &B,
    ) -> Result<(), GraphError> {
        self.send_body(reqwest::Method::PUT, version, path, body)
            .await
    }

    /// Runs `attempt` until it sees the object, or the replication window
    /// has passed (then the last outcome counts).
    pub async fn until_replicated<T, F, Fut>(
        &self,
        what: &str,
        mut attempt: F,
    ) -> Result<T, GraphError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Seen<T>>,
    {
        let started = tokio::time::Instant::now();
        let mut n: u32 = 0;
        loop {
            let last = match attempt().await {
                Seen::Done(outcome) => return outcome,
                Seen::NotYet(last) => last,
            };
            let wait = replication_delay(n);
            if started.elapsed() + wait > REPLICATION_WINDOW {
                tracing::warn!(what, attempts = n + 1, "still not replicated; giving up");
                return last;
            }
            tracing::info!(
                what,
                attempt = n + 1,
                wait_ms = wait.as_millis() as u64,
                "not replicated yet; waiting"
            );
            self.pause(wait, "waiting for a new object to replicate")
                .await?;
            n += 1;
        }
    }

    /// A GET of an object just created: 404 is retried within the
    /// replication window.
    pub async fn get_replicated<T: DeserializeOwned>(
        &self,
        version: ApiVersion,
        path: &str,
    ) -> Result<T, GraphError> {
        self.until_replicated(path, || async {
            match self.get(version, path).await {
                Err(e) if e.is_not_found() => Seen::NotYet(Err(e)),
                other => Seen::Done(other),
            }
        })
        .await
    }

    /// A collection under an object just created (e.g. its owners): 404 is
    /// retried within the replication window.
    pub async fn list_replicated<T: DeserializeOwned>(
        &self,
        version: ApiVersion,
        path: &str,
    ) -> Result<Vec<T>, GraphError> {
        self.until_replicated(path, || async {
            match self.list(version, path).await {
                Err(e) if e.is_not_found() => Seen::NotYet(Err(e)),
                other => Seen::Done(other),
            }
        })
        .await
    }

    /// The `@odata.id` of a directory object, in this client's cloud.
    pub fn directory_object_url(&self, version: ApiVersion, id: &str) -> String {
        format!(
            "{}/{}/directoryObjects/{id}",
            self.graph_url.as_str().trim_end_matches('/'),
            version.segment()
        )
    }

    /// The `$ref` body naming the directory object `id`.
    pub(crate) fn reference(&self, version: ApiVersion, id: &str) -> Reference {
        Reference {
            odata_id: self.directory_object_url(version, id),
        }
    }

    /// Adds a reference (`POST <path>/$ref`, e.g. `groups/{id}/owners`) to
    /// the directory object `object_id`. Either side may have just been
    /// created, so 404 is retried within the replication window; a reference
    /// that already exists counts as added.
    pub async fn add_reference(
        &self,
        version: ApiVersion,
        path: &str,
        object_id: &str,
    ) -> Result<(), GraphError> {
        let body = self.reference(version, object_id);
        let ref_path = format!("{}/$ref", path.trim_end_matches('/'));
        self.until_replicated(&ref_path, || async {
            match self.post_action(version, &ref_path, &body).await {
                Ok(()) => Seen::Done(Ok(())),
                Err(e) if is_already_referenced(&e) => Seen::Done(Ok(())),
                Err(e) if e.is_not_found() => Seen::NotYet(Err(e)),
                Err(e) => Seen::Done(Err(e)),
            }
        })
        .await
    }

    /// Removes a reference (`DELETE <path>/{object_id}/$ref`); one already
    /// gone counts as removed.
    pub async fn remove_reference(
        &self,
        version: ApiVersion,
        path: &str,
        object_id: &str,
    ) -> Result<(), GraphError> {
        self.delete(
            version,
            &format!("{}/{object_id}/$ref", path.trim_end_matches('/')),
        )
        .await
    }

    /// An idempotent action on an object that refers to one just created
    /// (e.g. a policy's device group): repeated while it answers 404 or its
    /// answer is `pending` (the service does not see the other object yet),
    /// within the replication window. Returns the last answer.
    pub async fn post_until_visible<B, T>(
        &self,
        version: ApiVersion,
        path: &str,
        body: &B,
        pending: impl Fn(&T) -> bool,
    ) -> Result<T, GraphError>
    where
        B: Serialize + Sync,
        T: DeserializeOwned,
    {
        self.until_replicated(path, || async {
            match self.post::<B, T>(version, path, body).await {
                Ok(answer) if pending(&answer) => Seen::NotYet(Ok(answer)),
                Err(e) if e.is_not_found() => Seen::NotYet(Err(e)),
                other => Seen::Done(other),
            }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_grow_and_are_capped() {
        let waits: Vec<u64> = (0..6)
            .map(|n| replication_delay(n).as_millis() as u64)
            .collect();
        assert_eq!(waits, [500, 1000, 2000, 4000, 8000, 8000]);
        assert_eq!(replication_delay(u32::MAX), Duration::from_secs(8));
        // Enough attempts fit in the window to ride out a long delay.
        let mut total = Duration::ZERO;
        let mut attempts = 0;
        while total + replication_delay(attempts) <= REPLICATION_WINDOW {
            total += replication_delay(attempts);
            attempts += 1;
        }
        assert!(attempts >= 8, "{attempts}");
    }

    fn api(status: u16, code: &str, message: &str) -> GraphError {
        GraphError::Api {
            method: "POST".into(),
            path: "groups/1/owners/$ref".into(),
            status,
            code: code.into(),
            message: message.into(),
            request_id: None,
        }
    }

    #[test]
    fn existing_reference_is_recognised() {
        assert!(is_already_referenced(&api(
            400,
            "Request_BadRequest",
            "One or more added object references already exist for the following modified properties: 'owners'."
        )));
        assert!(!is_already_referenced(&api(
            400,
            "Request_BadRequest",
            "Invalid object identifier"
        )));
        assert!(!is_already_referenced(&api(
            404,
            "Request_ResourceNotFound",
            "already exist"
        )));
        assert!(is_conflict(&api(
            409,
            "Request_MultipleObjectsWithSameKeyValue",
            "x"
        )));
    }
}
