//! The template of an Intune-object resource. A resource implements
//! [`IntuneResource`]: its kind, model and rules, its finder, its
//! assignment and its writes, each a hook with one short signature.
//! [`intune_resource!`] turns that into the tfplugin `Resource` impl, with
//! the steps every one of them shares: the plan (government cloud refusal,
//! planned values, the tenant check), `read` and `import`.

use async_trait::async_trait;
use tfplugin::{Attr, Diagnostics, Moves, PlanRequest};

use super::{Kind, ReadError};
use crate::graph::{GraphClient, GraphError};

/// What a write hook gets: the client and the call's diagnostics.
pub(crate) struct Apply<'a> {
    pub(crate) client: &'a GraphClient,
    pub(crate) diags: &'a mut Diagnostics,
}

/// What an update changes: the state before it and the planned one.
pub(crate) struct Change<M> {
    pub(crate) prior: M,
    pub(crate) planned: M,
}

/// What the plan-time check of the tenant gets.
pub(crate) struct Check<'a, M> {
    pub(crate) client: &'a GraphClient,
    /// The state before the change; `None` on create.
    pub(crate) prior: Option<&'a M>,
    pub(crate) planned: &'a M,
    pub(crate) diags: &'a mut Diagnostics,
}

/// What the finder gets: the object's id, the model the state has (its
/// shape for what Graph does not say), and, on refreshes only, where the
/// warnings for the user go.
pub(crate) struct Lookup<'a, M> {
    pub(crate) client: &'a GraphClient,
    pub(crate) id: &'a str,
    pub(crate) prior: &'a M,
    pub(crate) warnings: Option<&'a mut Diagnostics>,
}

impl<'a, M> Lookup<'a, M> {
    /// A read after a write: no warnings.
    pub(crate) fn after_write(client: &'a GraphClient, id: &'a str, prior: &'a M) -> Self {
        Lookup {
            client,
            id,
            prior,
            warnings: None,
        }
    }
}

/// The fields every Intune-object model has (`id`, `display_name`), as the
/// template reads them: implemented by [`intune_resource!`].
pub(crate) trait IntuneModel {
    /// The object's id, when known.
    fn object_id(&self) -> Option<&String>;
    /// The name the object is created (and found again) by.
    fn object_name(&self) -> &Attr<String>;
}

/// A resource whose object lives in an Intune collection: the hooks the
/// template ([`intune_resource!`]) builds its `Resource` impl from.
#[async_trait]
pub(crate) trait IntuneResource: Send + Sync + Sized + 'static {
    type Model: tfplugin::Model + Default + IntuneModel;
    /// What the object is assigned to, as its `reassign` takes it.
    type Targets: PartialEq + Default + Send + Sync;

    /// The Terraform type name.
    const TYPE_NAME: &'static str;
    /// The collection and the nouns of the diagnostics.
    const KIND: Kind;
    /// Refused at plan time in the US Government clouds, which lack it.
    const COMMERCIAL_ONLY: bool = false;

    /// What the model assigns the object to.
    fn targets(model: &Self::Model) -> Self::Targets;

    /// What `moved` blocks may move into the resource: nothing by default.
    fn moves() -> Moves<Self::Model> {
        Moves::NONE
    }

    /// Why the object `id` must not be imported (summary, detail): asked
    /// before it is read (`found` is `None`) and after.
    fn import_refusal(_id: &str, _found: Option<&Self::Model>) -> Option<(String, String)> {
        None
    }

    /// Fills the planned values the configuration leaves to the provider.
    fn complete_plan(_planned: &mut Self::Model, _config: &Self::Model, _diags: &mut Diagnostics) {}

    /// Plan-time checks against the live tenant (not run once the plan has
    /// errors, nor while the provider configuration is unknown).
    async fn check_plan(&self, _cx: Check<'_, Self::Model>) {}

    /// Reads the object into a model; `Ok(None)` when it is gone.
    async fn find(&self, at: Lookup<'_, Self::Model>) -> Result<Option<Self::Model>, ReadError>;

    /// Replaces the object's assignments with `targets`.
    async fn reassign(&self, client: &GraphClient, id: &str, to: &Self::Targets) -> GraphResult;

    /// `Resource::create`.
    async fn create_object(&self, cx: Apply<'_>, planned: Self::Model) -> Option<Self::Model>;

    /// `Resource::update`.
    async fn update_object(&self, cx: Apply<'_>, change: Change<Self::Model>) -> Done<Self>;

    /// `Resource::delete` of the object `id`: a plain DELETE by default.
    async fn delete_object(&self, cx: Apply<'_>, id: &str) {
        super::delete_by_id(cx.client, &Self::KIND, id, cx.diags).await;
    }
}

/// What a reassignment gives.
pub(crate) type GraphResult = Result<(), GraphError>;

/// The state a write gives (`None`: the object is not kept).
pub(crate) type Done<R> = Option<<R as IntuneResource>::Model>;

/// `Resource::modify_plan`: the planned values first, then (unless the
/// plan already has errors) the government cloud refusal and the tenant
/// check.
pub(crate) async fn plan<R: IntuneResource>(
    resource: &R,
    client: Option<&GraphClient>,
    request: PlanRequest<'_, R::Model>,
    diags: &mut Diagnostics,
) -> R::Model {
    let mut planned = request.planned;
    R::complete_plan(&mut planned, request.config, diags);
    if R::COMMERCIAL_ONLY {
        super::super::refuse_in_government_cloud(client, R::TYPE_NAME, diags);
    }
    if let Some(client) = client
        && !diags.has_errors()
    {
        let cx = Check {
            client,
            prior: request.prior,
            planned: &planned,
            diags,
        };
        resource.check_plan(cx).await;
    }
    planned
}

/// Reads the object after a write; a failure is reported ("Cannot read
/// the …") and gives `None`, as does an object that is gone.
pub(crate) async fn fetch<R: IntuneResource>(
    resource: &R,
    client: &GraphClient,
    id: &str,
    prior: &R::Model,
    diags: &mut Diagnostics,
) -> Option<R::Model> {
    match resource.find(Lookup::after_write(client, id, prior)).await {
        Ok(found) => found,
        Err(e) => {
            e.report(diags, &format!("read {}", R::KIND.the()));
            None
        }
    }
}

/// `Resource::read`: the object as Graph holds it, `None` when it is gone
/// (a failure is reported, and the erased layer keeps the state).
pub(crate) async fn read<R: IntuneResource>(
    resource: &R,
    client: &GraphClient,
    current: R::Model,
    diags: &mut Diagnostics,
) -> Option<R::Model> {
    let id = current.object_id()?.clone();
    let at = Lookup {
        client,
        id: &id,
        prior: &current,
        warnings: Some(&mut *diags),
    };
    match resource.find(at).await {
        Ok(found) => found,
        Err(e) => {
            e.report(diags, &format!("read {}", R::KIND.the()));
            None
        }
    }
}

/// `Resource::import` of an existing id, with one message for an id that
/// does not exist.
pub(crate) async fn import<R: IntuneResource>(
    resource: &R,
    client: &GraphClient,
    id: &str,
    diags: &mut Diagnostics,
) -> Option<R::Model> {
    let refused = |found: Option<&R::Model>, diags: &mut Diagnostics| {
        R::import_refusal(id, found)
            .map(|(summary, detail)| diags.error(summary, detail))
            .is_some()
    };
    if refused(None, diags) {
        return None;
    }
    let found = fetch(resource, client, id, &R::Model::default(), diags).await;
    if found
        .as_ref()
        .is_some_and(|found| refused(Some(found), diags))
    {
        return None;
    }
    if found.is_none() && !diags.has_errors() {
        diags.error(
            format!("Cannot import {} that does not exist", R::KIND.a()),
            format!(
                "No {} with id {id:?} exists in the tenant.",
                R::KIND.listed_as
            ),
        );
    }
    found
}

/// The id an update works on; without one the update is refused ("The
/// state has no id.") and the caller keeps the prior state.
pub(crate) fn state_id<R: IntuneResource>(
    prior: &R::Model,
    diags: &mut Diagnostics,
) -> Option<String> {
    let id = prior.object_id().cloned();
    if id.is_none() {
        diags.error(
            format!("Cannot update {}", R::KIND.the()),
            "The state has no id.",
        );
    }
    id
}

/// The `impl Resource<GraphClient>` of an Intune-object resource, every
/// method through the resource's hooks, and its model's [`IntuneModel`].
/// `$model` is its `IntuneResource::Model` (named again: the trait is
/// crate-private); `$rules` checks a configuration offline
/// (`Resource::validate`).
macro_rules! intune_resource {
    ($resource:ty, $model:ty, $rules:path) => {
        impl $crate::resources::intune::IntuneModel for $model {
            fn object_id(&self) -> Option<&String> {
                self.id.known()
            }

            fn object_name(&self) -> &tfplugin::Attr<String> {
                &self.display_name
            }
        }

        #[async_trait::async_trait]
        impl tfplugin::Resource<$crate::graph::GraphClient> for $resource {
            type Model = $model;
            const TYPE_NAME: &'static str =
                <$resource as $crate::resources::intune::IntuneResource>::TYPE_NAME;

            fn identity(&self) -> &'static [tfplugin::IdentityAttribute] {
                $crate::resources::OBJECT_ID_IDENTITY
            }

            fn validate(&self, config: &Self::Model, diags: &mut tfplugin::Diagnostics) {
                $rules(config, diags);
            }

            fn moves(&self) -> tfplugin::Moves<Self::Model> {
                <$resource as $crate::resources::intune::IntuneResource>::moves()
            }

            async fn modify_plan(
                &self,
                client: Option<&$crate::graph::GraphClient>,
                request: tfplugin::PlanRequest<'_, Self::Model>,
                diags: &mut tfplugin::Diagnostics,
            ) -> Self::Model {
                $crate::resources::intune::plan(self, client, request, diags).await
            }

            async fn create(
                &self,
                client: &$crate::graph::GraphClient,
                planned: Self::Model,
                diags: &mut tfplugin::Diagnostics,
            ) -> Option<Self::Model> {
                let cx = $crate::resources::intune::Apply { client, diags };
                $crate::resources::intune::IntuneResource::create_object(self, cx, planned).await
            }

            async fn read(
                &self,
                client: &$crate::graph::GraphClient,
                current: Self::Model,
                diags: &mut tfplugin::Diagnostics,
            ) -> Option<Self::Model> {
                $crate::resources::intune::read(self, client, current, diags).await
            }

            async fn update(
                &self,
                client: &$crate::graph::GraphClient,
                prior: Self::Model,
                planned: Self::Model,
                diags: &mut tfplugin::Diagnostics,
            ) -> Option<Self::Model> {
                let cx = $crate::resources::intune::Apply { client, diags };
                let change = $crate::resources::intune::Change { prior, planned };
                $crate::resources::intune::IntuneResource::update_object(self, cx, change).await
            }

            async fn delete(
                &self,
                client: &$crate::graph::GraphClient,
                prior: Self::Model,
                diags: &mut tfplugin::Diagnostics,
            ) {
                use $crate::resources::intune::IntuneModel;
                if let Some(id) = prior.object_id() {
                    let cx = $crate::resources::intune::Apply { client, diags };
                    $crate::resources::intune::IntuneResource::delete_object(self, cx, id).await;
                }
            }

            async fn import(
                &self,
                client: &$crate::graph::GraphClient,
                id: &str,
                diags: &mut tfplugin::Diagnostics,
            ) -> Option<Self::Model> {
                $crate::resources::intune::import(self, client, id, diags).await
            }
        }
    };
}
pub(crate) use intune_resource;
