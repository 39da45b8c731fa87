//! The per-process listing of the tenant's device identities.
//!
//! A refresh of N devices would cost N GETs if every resource read itself.
//! Instead, the first read in a provider process lists the whole
//! collection, page by page; reads that arrive meanwhile wait for that same
//! listing (they are coalesced), and later reads find their device in it.
//! A device missing from the listing is read by id (it may be newer than
//! the listing). Any write to a device identity invalidates the listing, so
//! the next read lists again.
//!
//! One cache serves the whole process (Terraform runs one provider process
//! per provider configuration and command), keyed by the client it was
//! filled with, so a reconfigured provider never sees another tenant's
//! devices.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use tokio::sync::OnceCell;

use super::graph::{self, DeviceIdentity};
use super::per_client::{self, PerClient};
use crate::graph::{GraphClient, GraphError};

/// One listing of the tenant's device identities.
#[derive(Debug, Default)]
pub struct Listing {
    by_id: HashMap<String, DeviceIdentity>,
    /// Lower-case serial number -> ids (serial numbers are not unique keys).
    by_serial: HashMap<String, Vec<String>>,
}

impl Listing {
    pub fn new(devices: Vec<DeviceIdentity>) -> Self {
        let mut listing = Listing::default();
        for device in devices {
            if let Some(serial) = &device.serial_number {
                listing
                    .by_serial
                    .entry(serial.to_lowercase())
                    .or_default()
                    .push(device.id.clone());
            }
            listing.by_id.insert(device.id.clone(), device);
        }
        listing
    }

    pub fn get(&self, id: &str) -> Option<&DeviceIdentity> {
        self.by_id.get(id)
    }

    /// The devices with this serial number (compared without case).
    pub fn by_serial(&self, serial: &str) -> Vec<&DeviceIdentity> {
        self.by_serial
            .get(&serial.to_lowercase())
            .map(|ids| ids.iter().filter_map(|id| self.by_id.get(id)).collect())
            .unwrap_or_default()
    }

    pub fn devices(&self) -> impl Iterator<Item = &DeviceIdentity> {
        self.by_id.values()
    }

    pub fn len(&self) -> usize {
        self.by_id.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_id.is_empty()
    }
}

type Shared = Arc<OnceCell<Result<Arc<Listing>, ListingError>>>;

/// Why the listing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ListingError {
    /// The timeout of the operation that was listing ran out
    /// ([`GraphError::TimedOut`]): that operation's own limit, so it is
    /// not remembered for the others.
    #[error("{0}")]
    RanOut(String),
    /// Graph refused or failed the listing.
    #[error("{0}")]
    Failed(String),
}

impl From<&GraphError> for ListingError {
    fn from(error: &GraphError) -> Self {
        match error {
            GraphError::TimedOut { .. } => ListingError::RanOut(error.to_string()),
            _ => ListingError::Failed(error.to_string()),
        }
    }
}

/// The cache. Use [`DeviceCache::shared`] for the process-wide one.
#[derive(Default)]
pub struct DeviceCache {
    current: PerClient<Shared>,
}

static SHARED: OnceLock<DeviceCache> = OnceLock::new();

impl DeviceCache {
    /// The process-wide cache every device resource and data source uses.
    pub fn shared() -> &'static DeviceCache {
        SHARED.get_or_init(DeviceCache::default)
    }

    /// The listing for `client`, made by `load` if there is none yet; a
    /// failed listing is remembered too (until invalidated), so that many
    /// waiting readers do not each list again. A listing cut short by the
    /// timeout of the operation that made it is not remembered: a reader
    /// whose own time has not run out lists again, once.
    pub async fn listing_with<F, Fut>(
        &self,
        client: usize,
        load: F,
    ) -> Result<Arc<Listing>, ListingError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Vec<DeviceIdentity>, ListingError>>,
    {
        let first = self.listing_once(client, &load).await;
        if !matches!(first, Err(ListingError::RanOut(_))) {
            return first;
        }
        self.invalidate();
        if crate::graph::deadline::has_run_out() {
            return first;
        }
        self.listing_once(client, &load).await
    }

    async fn listing_once<F, Fut>(
        &self,
        client: usize,
        load: &F,
    ) -> Result<Arc<Listing>, ListingError>
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Result<Vec<DeviceIdentity>, ListingError>>,
    {
        let cell = self.current.get(client);
        cell.get_or_init(|| async {
            let started = std::time::Instant::now();
            let loaded = load().await.map(|devices| Arc::new(Listing::new(devices)));
            match &loaded {
                Ok(listing) => tracing::debug!(
                    devices = listing.len(),
                    elapsed_ms = started.elapsed().as_millis() as u64,
                    "listed the tenant's Autopilot devices"
                ),
                Err(e) => tracing::warn!(error = %e, "listing the Autopilot devices failed"),
            }
            loaded
        })
        .await
        .clone()
    }

    /// The listing of the tenant's device identities.
    pub async fn listing(&self, client: &GraphClient) -> Result<Arc<Listing>, ListingError> {
        self.listing_with(per_client::key(client), || async {
            graph::list_identities(client)
                .await
                .map_err(|e| ListingError::from(&e))
        })
        .await
    }

    /// A fresh listing: what is cached is dropped first.
    pub async fn fresh_listing(&self, client: &GraphClient) -> Result<Arc<Listing>, ListingError> {
        self.invalidate();
        self.listing(client).await
    }

    /// One device: from the listing, else (absent, or the listing failed)
    /// by id. `Ok(None)` when it does not exist.
    pub async fn lookup(
        &self,
        client: &GraphClient,
        id: &str,
    ) -> Result<Option<DeviceIdentity>, GraphError> {
        if let Ok(listing) = self.listing(client).await
            && let Some(device) = listing.get(id)
        {
            return Ok(Some(device.clone()));
        }
        graph::get_identity(client, id).await
    }

    /// Forgets the listing; call after every write to a device identity.
    pub fn invalidate(&self) {
        self.current.clear();
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Duration;

    use super::*;

    fn device(id: &str, serial: &str) -> DeviceIdentity {
        DeviceIdentity {
            id: id.into(),
            serial_number: Some(serial.into()),
            ..Default::default()
        }
    }

    #[test]
    fn listing_indexes_serials_without_case() {
        let listing = Listing::new(vec![
            device("a", "SN1"),
            device("b", "sn1"),
            device("c", "SN2"),
        ]);
        assert_eq!(listing.len(), 3);
        let mut ids: Vec<&str> = listing
            .by_serial("Sn1")
            .iter()
            .map(|d| d.id.as_str())
            .collect();
        ids.sort_unstable();
        assert_eq!(ids, ["a", "b"]);
        assert!(listing.by_serial("SN3").is_empty());
        assert_eq!(listing.get("c").map(|d| d.id.as_str()), Some("c"));
    }

    #[tokio::test]
    async fn concurrent_reads_share_one_listing() {
        let cache = DeviceCache::default();
        let loads = AtomicUsize::new(0);
        let load = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_millis(20)).await;
            Ok(vec![device("a", "SN1")])
        };
        let (a, b, c) = tokio::join!(
            cache.listing_with(1, load),
            cache.listing_with(1, load),
            cache.listing_with(1, load)
        );
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        for listing in [a, b, c] {
            assert_eq!(listing.expect("listed").len(), 1);
        }
        // Cached: no further load.
        let _ = cache.listing_with(1, load).await;
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        // Invalidated by a write: listed again.
        cache.invalidate();
        let _ = cache.listing_with(1, load).await;
        assert_eq!(loads.load(Ordering::SeqCst), 2);
        // Another client: its own listing.
        let _ = cache.listing_with(2, load).await;
        assert_eq!(loads.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn a_failed_listing_is_shared_too() {
        let cache = DeviceCache::default();
        let loads = AtomicUsize::new(0);
        let load = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            Err::<Vec<DeviceIdentity>, _>(ListingError::Failed("throttled".into()))
        };
        let (a, b) = tokio::join!(cache.listing_with(1, load), cache.listing_with(1, load));
        assert!(a.is_err() && b.is_err());
        assert_eq!(loads.load(Ordering::SeqCst), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn a_listing_cut_short_by_a_timeout_is_not_remembered() {
        use crate::graph::deadline::{OperationDeadline, within};
        let cache = DeviceCache::default();
        let loads = AtomicUsize::new(0);
        let ran_out = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            Err::<Vec<DeviceIdentity>, _>(ListingError::RanOut("create timed out".into()))
        };
        // The reader whose time ran out gets its timeout, and lists once.
        let expired = OperationDeadline::after("create", Duration::ZERO);
        tokio::time::advance(Duration::from_millis(1)).await;
        let (first, _) = within(expired, cache.listing_with(1, ran_out)).await;
        assert_eq!(
            first.err(),
            Some(ListingError::RanOut("create timed out".into()))
        );
        assert_eq!(loads.load(Ordering::SeqCst), 1);
        // The next reader is not served that timeout: it lists itself.
        let lists = || async {
            loads.fetch_add(1, Ordering::SeqCst);
            Ok(vec![device("a", "SN1")])
        };
        let next = cache.listing_with(1, lists).await;
        assert_eq!(next.map(|l| l.len()), Ok(1));
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn a_reader_with_time_left_lists_again_after_anothers_timeout() {
        let cache = DeviceCache::default();
        let loads = AtomicUsize::new(0);
        let load = || async {
            let n = loads.fetch_add(1, Ordering::SeqCst);
            if n == 0 {
                Err(ListingError::RanOut("update timed out".into()))
            } else {
                Ok(vec![device("a", "SN1")])
            }
        };
        let listed = cache.listing_with(1, load).await;
        assert_eq!(listed.map(|l| l.len()), Ok(1));
        assert_eq!(loads.load(Ordering::SeqCst), 2);
    }
}
