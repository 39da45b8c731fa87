//! Creates that never duplicate an object.
//!
//! Two ways a create can leave an object Terraform does not know about:
//!
//! - Its answer is lost (the connection dropped after Graph committed, or a
//!   gateway timeout). Posting again could make a second object. Instead
//!   the client notes which objects carried the new object's name before
//!   it posted, and after an unknown outcome it looks for a new object with
//!   that name: found, it is the one the lost create made; not found within
//!   the replication window, the create did not happen and is posted again.
//!   A 500 carrying Graph's error body is not a lost answer but the
//!   service's own, which it gives again to the same request (Intune's
//!   answer to a profile name it refuses): the create fails at once.
//! - The process died (killed, crashed, the machine went away) after the
//!   POST and before Terraform saved the id. The next apply creates the
//!   same resource again. Before posting, the client therefore looks for an
//!   object with the same name whose every property the provider sends
//!   already has the value it would send, and that no create of this
//!   process made: that object is the orphan of the interrupted apply, and
//!   it is taken over instead of duplicated. The provider's marker is the
//!   payload itself: a different object with the same name differs in some
//!   property the provider sets, and is left alone.

use std::collections::BTreeSet;
use std::time::Duration;

use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::budget::Bucket;
use super::consistency::replication_delay;
use super::{ApiVersion, GraphClient, GraphError, Resend, SendError, to_json};

/// How to recognise the object a create makes: its collection and the
/// property carrying the name the provider gives it.
#[derive(Debug, Clone, Copy)]
pub struct NameLookup<'a> {
    pub version: ApiVersion,
    /// The collection posted to, relative to the version (`groups`).
    pub collection: &'a str,
    /// The name property: `displayName`, or `name` for settings catalog
    /// policies.
    pub property: &'static str,
    /// The name of the object being created.
    pub name: &'a str,
}

/// How many times a create whose outcome stays unknown is posted.
const MAX_POSTS: u32 = 4;

/// How long a new directory object may stay invisible to a listing before
/// its absence means the create did not happen. Intune's collections are
/// consistent at once, so one short second look is enough there.
const DIRECTORY_LOOKUP_WINDOW: Duration = Duration::from_secs(20);
const INTUNE_LOOKUP_WINDOW: Duration = Duration::from_secs(1);

impl NameLookup<'_> {
    fn is_directory(&self) -> bool {
        Bucket::of(self.collection) == Bucket::Directory
    }

    fn window(&self) -> Duration {
        if self.is_directory() {
            DIRECTORY_LOOKUP_WINDOW
        } else {
            INTUNE_LOOKUP_WINDOW
        }
    }

    /// The listing that finds objects with this name: filtered by the
    /// directory, filtered here for Intune collections (whose `$filter`
    /// support differs from one collection to the next).
    fn listing_path(&self) -> String {
        if self.is_directory() {
            format!(
                "{}?$filter={}",
                self.collection,
                percent_encode(&format!(
                    "{} eq '{}'",
                    self.property,
                    self.name.replace('\'', "''")
                ))
            )
        } else {
            self.collection.to_string()
        }
    }
}

/// What [`GraphClient::create`] gives: the object, and whether it was
/// taken over rather than made (the caller tells the user).
#[derive(Debug)]
pub struct Created<T> {
    pub object: T,
    /// The id of the object an interrupted apply left, when it was taken
    /// over instead of posting a duplicate.
    pub taken_over: Option<String>,
}

impl<T> Created<T> {
    fn made(object: T) -> Self {
        Created {
            object,
            taken_over: None,
        }
    }
}

impl GraphClient {
    /// The objects of a collection whose name property is `lookup.name`:
    /// filtered by the directory (which compares without case), matched
    /// here, exactly, for Intune collections. What a lookup by name reads.
    pub async fn named(
        &self,
        lookup: &NameLookup<'_>,
    ) -> Result<Vec<serde_json::Value>, GraphError> {
        let listed: Vec<serde_json::Value> =
            self.list(lookup.version, &lookup.listing_path()).await?;
        Ok(listed
            .into_iter()
            .filter(|o| {
                o.get(lookup.property)
                    .and_then(serde_json::Value::as_str)
                    .is_some_and(|n| {
                        if lookup.is_directory() {
                            n.eq_ignore_ascii_case(lookup.name)
                        } else {
                            n == lookup.name
                        }
                    })
            })
            .collect())
    }

    /// Creates an object (POST to its collection) so that it exists exactly
    /// once, however the request fares: see the module documentation.
    pub async fn create<B: Serialize, T: DeserializeOwned>(
        &self,
        lookup: &NameLookup<'_>,
        body: &B,
    ) -> Result<Created<T>, GraphError> {
        let body = to_json(lookup.collection, body)?;
        let url = self.url(lookup.version, lookup.collection)?;
        let named = self.objects_named(lookup).await?;
        if let Some(id) = self.orphan_matching(&named, &body) {
            tracing::warn!(
                collection = lookup.collection,
                id,
                "an object with this name and exactly these settings exists and no create of this run made it: \
                 taking it over (left by an interrupted apply) instead of creating a duplicate"
            );
            let path = format!("{}/{id}", lookup.collection);
            let object = self.get_replicated(lookup.version, &path).await?;
            return Ok(Created {
                object,
                taken_over: Some(id),
            });
        }
        let before: BTreeSet<String> = named.iter().filter_map(object_id).collect();
        let mut posts = 0;
        loop {
            posts += 1;
            let error = match self
                .send_with(
                    Method::POST,
                    url.clone(),
                    Some(body.clone()),
                    Resend::NotWhenUnknown,
                )
                .await
            {
                Ok(bytes) => {
                    let created: serde_json::Value = Self::decode(lookup.collection, &bytes)?;
                    if let Some(id) = object_id(&created) {
                        self.remember_created(id);
                    }
                    return serde_json::from_value(created)
                        .map(Created::made)
                        .map_err(|e| GraphError::Decode {
                            path: lookup.collection.to_string(),
                            reason: e.to_string(),
                        });
                }
                Err(SendError::Failed(error)) => return Err(error),
                Err(SendError::OutcomeUnknown(error)) => error,
            };
            tracing::warn!(
                collection = lookup.collection,
                reason = %error,
                "the answer to a create was lost; looking for the object before posting again"
            );
            if let Some(id) = self.find_created(lookup, &before).await? {
                tracing::info!(
                    collection = lookup.collection,
                    id,
                    "the lost create had made the object; not posting again"
                );
                self.remember_created(id.clone());
                let path = format!("{}/{id}", lookup.collection);
                return self
                    .get_replicated(lookup.version, &path)
                    .await
                    .map(Created::made);
            }
            if posts >= MAX_POSTS {
                return Err(error);
            }
            tracing::info!(
                collection = lookup.collection,
                "the lost create made nothing; posting again"
            );
        }
    }

    /// The objects carrying the lookup's name now.
    async fn objects_named(
        &self,
        lookup: &NameLookup<'_>,
    ) -> Result<Vec<serde_json::Value>, GraphError> {
        let items: Vec<serde_json::Value> =
            self.list(lookup.version, &lookup.listing_path()).await?;
        Ok(items
            .into_iter()
            .filter(|item| item.get(lookup.property).and_then(|v| v.as_str()) == Some(lookup.name))
            .collect())
    }

    /// The ids of the objects carrying the lookup's name now.
    async fn ids_named(&self, lookup: &NameLookup<'_>) -> Result<BTreeSet<String>, GraphError> {
        Ok(self
            .objects_named(lookup)
            .await?
            .iter()
            .filter_map(object_id)
            .collect())
    }

    /// Among objects with the new object's name, one that already holds
    /// every value of `payload` and was not created by this process.
    fn orphan_matching(
        &self,
        named: &[serde_json::Value],
        payload: &serde_json::Value,
    ) -> Option<String> {
        named
            .iter()
            .filter(|object| holds_payload(object, payload))
            .filter_map(object_id)
            .find(|id| !self.created_here(id))
    }

    /// Looks, for the lookup's window, for an object with the name that was
    /// not there before the create: its id, or `None` when none appeared.
    async fn find_created(
        &self,
        lookup: &NameLookup<'_>,
        before: &BTreeSet<String>,
    ) -> Result<Option<String>, GraphError> {
        let started = tokio::time::Instant::now();
        let mut attempt = 0;
        loop {
            let now: Vec<String> = self
                .ids_named(lookup)
                .await?
                .difference(before)
                .cloned()
                .collect();
            match now.as_slice() {
                [id] => return Ok(Some(id.clone())),
                [] => {}
                _ => {
                    return Err(GraphError::AmbiguousCreate {
                        collection: lookup.collection.to_string(),
                        name: lookup.name.to_string(),
                        ids: now,
                    });
                }
            }
            let wait = replication_delay(attempt);
            if started.elapsed() + wait > lookup.window() {
                return Ok(None);
            }
            self.pause(wait, "looking for the object a lost create made")
                .await?;
            attempt += 1;
        }
    }
}

fn object_id(object: &serde_json::Value) -> Option<String> {
    object
        .get("id")
        .and_then(|v| v.as_str())
        .map(str::to_string)
}

/// Whether `object` (as Graph returns it) holds every value the provider
/// would send in `payload`: each property of the payload that the object
/// has is equal, nested objects compared the same way. Properties Graph
/// does not return (write-only ones, `...@odata.bind`) are not compared.
fn holds_payload(object: &serde_json::Value, payload: &serde_json::Value) -> bool {
    use serde_json::Value;
    match (object, payload) {
        (Value::Object(have), Value::Object(want)) => want.iter().all(|(key, wanted)| {
            have.get(key)
                .is_none_or(|present| holds_payload(present, wanted))
        }),
        (Value::Number(a), Value::Number(b)) => {
            a == b || (a.as_f64().is_some() && a.as_f64() == b.as_f64())
        }
        (a, b) => a == b,
    }
}

/// Percent-encodes everything but RFC 3986's unreserved characters, for a
/// value inside a query string.
fn percent_encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for byte in value.bytes() {
        if byte.is_ascii_alphanumeric() || matches!(byte, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn directory_lookups_filter_by_name_with_quotes_doubled() {
        let lookup = NameLookup {
            version: ApiVersion::V1,
            collection: "groups",
            property: "displayName",
            name: "Bob's & co #1",
        };
        assert_eq!(
            lookup.listing_path(),
            "groups?$filter=displayName%20eq%20%27Bob%27%27s%20%26%20co%20%231%27"
        );
        assert_eq!(lookup.window(), DIRECTORY_LOOKUP_WINDOW);
    }

    #[test]
    fn intune_lookups_list_the_collection() {
        let lookup = NameLookup {
            version: ApiVersion::Beta,
            collection: "deviceManagement/configurationPolicies",
            property: "name",
            name: "x",
        };
        assert_eq!(
            lookup.listing_path(),
            "deviceManagement/configurationPolicies"
        );
        assert_eq!(lookup.window(), INTUNE_LOOKUP_WINDOW);
    }

    #[test]
    fn an_orphan_holds_every_value_sent() {
        let sent = serde_json::json!({
            "@odata.type": "#microsoft.graph.x",
            "displayName": "A",
            "oobe": {"hideEula": true, "language": "en-US"},
            "owners@odata.bind": ["https://graph/directoryObjects/1"],
            "count": 60
        });
        let same = serde_json::json!({
            "id": "1",
            "@odata.type": "#microsoft.graph.x",
            "displayName": "A",
            "oobe": {"hideEula": true, "language": "en-US", "extra": 1},
            "count": 60,
            "createdDateTime": "2026-01-01T00:00:00Z"
        });
        assert!(holds_payload(&same, &sent));
        let differs = serde_json::json!({
            "id": "2",
            "displayName": "A",
            "oobe": {"hideEula": false, "language": "en-US"},
            "count": 60
        });
        assert!(!holds_payload(&differs, &sent));
        let other_count = serde_json::json!({"displayName": "A", "count": 61});
        assert!(!holds_payload(&other_count, &sent));
    }

    #[test]
    fn unicode_is_percent_encoded_as_utf8() {
        assert_eq!(percent_encode("é"), "%C3%A9");
    }
}
