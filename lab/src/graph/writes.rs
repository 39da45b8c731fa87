//! The writes every Intune collection does the same way, on the collection's [`IntuneBackend`]:
//! storing a new object, merging a PATCH into a stored one and deleting one (Intune's 404 when
//! the object does not exist). What differs between collections (checks, defaults, what hangs
//! off an object) comes in as closures.

use serde_json::{Map, Value};

use super::collection::IntuneBackend;
use super::no_content;
use crate::app::App;
use crate::errors::GraphError;
use crate::graph::GraphResult;
use crate::store::{Collection, Tenant};

/// Where a collection's objects live in the tenant.
pub type Objects = fn(&mut Tenant) -> &mut Collection;

impl IntuneBackend {
    /// Stores the new object `id` in `objects` and returns it. `build` makes it in the same
    /// write, from the tenant when it needs it (a priority, a limit, references to check), or
    /// refuses. `noun` names the object in the log.
    pub fn insert_new(
        &self,
        app: &App,
        noun: &str,
        objects: Objects,
        id: &str,
        build: impl FnOnce(&Tenant) -> Result<Value, GraphError>,
    ) -> Result<Value, GraphError> {
        let object = store_one(app, objects, id, |tenant| build(tenant))?;
        tracing::info!(%id, "{noun} created");
        Ok(object)
    }

    /// Merges a PATCH into object `id` of `objects`: `merge` gets the tenant and the stored
    /// object, and answers the new object (or refuses); it is stored and returned.
    pub fn merge_stored(
        &self,
        app: &App,
        noun: &str,
        objects: Objects,
        id: &str,
        merge: impl FnOnce(&Tenant, &Value) -> Result<Map<String, Value>, GraphError>,
    ) -> Result<Value, GraphError> {
        let merged = store_one(app, objects, id, |tenant| {
            let stored = objects(tenant)
                .get(id)
                .cloned()
                .ok_or_else(|| self.not_found(id))?;
            Ok(Value::Object(merge(tenant, &stored)?))
        })?;
        tracing::info!(%id, "{noun} updated");
        Ok(merged)
    }

    /// Deletes object `id` of `objects` and answers 204. `dependents` runs once the object is
    /// known to exist and before it goes: it refuses the deletion (an object still in use) or
    /// removes what depends on the object (its assignments).
    pub fn delete_stored(
        &self,
        app: &App,
        noun: &str,
        objects: Objects,
        id: &str,
        dependents: impl FnOnce(&mut Tenant) -> Result<(), GraphError>,
    ) -> GraphResult {
        app.store.write(|tenant| {
            if !objects(tenant).contains(id) {
                return Err(self.not_found(id));
            }
            dependents(tenant)?;
            objects(tenant).remove(id);
            Ok(())
        })?;
        tracing::info!(%id, "{noun} deleted");
        Ok(no_content())
    }
}

/// Stores what `make` answers (in the same write) as object `id` of `objects`, and returns it.
fn store_one(
    app: &App,
    objects: Objects,
    id: &str,
    make: impl FnOnce(&mut Tenant) -> Result<Value, GraphError>,
) -> Result<Value, GraphError> {
    app.store.write(|tenant| {
        let object = make(tenant)?;
        objects(tenant).insert(id.to_owned(), object.clone());
        Ok(object)
    })
}
