//! The provider's schemas, taken from the same objects the provider serves to Terraform
//! (`AutopilotProvider::resources()` / `data_sources()`, and the provider block's model).

use anyhow::{Context, Result};
use terraform_provider_autopilot::{AutopilotProvider, ProviderConfig};
use tfplugin::schema::SchemaError;
use tfplugin::{IdentityAttribute, Provider, Schema, Signature};

/// One resource or data source type and its schema.
pub(crate) struct Entry {
    pub type_name: String,
    pub schema: Schema,
    /// The resource identity's attributes (none for data sources).
    pub identity: &'static [IdentityAttribute],
}

impl Entry {
    /// The entry of `type_name`, from what its `schema()` returned.
    fn new(
        type_name: &str,
        schema: Result<Schema, SchemaError>,
        identity: &'static [IdentityAttribute],
    ) -> Result<Entry> {
        Ok(Entry {
            type_name: type_name.to_string(),
            schema: schema.with_context(|| type_name.to_string())?,
            identity,
        })
    }
}

pub(crate) struct Catalog {
    /// `autopilot`.
    pub provider_name: String,
    /// The provider block.
    pub provider: Schema,
    /// Sorted by type name.
    pub resources: Vec<Entry>,
    /// Sorted by type name.
    pub data_sources: Vec<Entry>,
    /// Provider-defined functions and their signatures, sorted by name.
    pub functions: Vec<(String, Signature)>,
    /// Actions (Terraform 1.14+), sorted by type name.
    pub actions: Vec<Entry>,
    /// List resources (Terraform 1.14+, `terraform query`), sorted by type name.
    pub list_resources: Vec<Entry>,
}

impl Catalog {
    pub(crate) fn load() -> Result<Catalog> {
        let provider = AutopilotProvider;
        let provider_schema =
            Schema::of::<ProviderConfig>(0).context("the provider block's schema")?;
        let mut resources = provider
            .resources()
            .iter()
            .map(|r| Entry::new(r.type_name(), r.schema(), r.identity()))
            .collect::<Result<Vec<_>>>()?;
        let mut data_sources = provider
            .data_sources()
            .iter()
            .map(|d| Entry::new(d.type_name(), d.schema(), &[]))
            .collect::<Result<Vec<_>>>()?;
        let mut functions: Vec<(String, Signature)> = provider
            .functions()
            .iter()
            .map(|f| (f.name().to_string(), f.signature()))
            .collect();
        functions.sort_by(|a, b| a.0.cmp(&b.0));
        let mut actions = provider
            .actions()
            .iter()
            .map(|a| Entry::new(a.type_name(), a.schema(), &[]))
            .collect::<Result<Vec<_>>>()?;
        actions.sort_by(|a, b| a.type_name.cmp(&b.type_name));
        let mut list_resources = provider
            .list_resources()
            .iter()
            .map(|l| Entry::new(l.type_name(), l.schema(), &[]))
            .collect::<Result<Vec<_>>>()?;
        list_resources.sort_by(|a, b| a.type_name.cmp(&b.type_name));
        resources.sort_by(|a, b| a.type_name.cmp(&b.type_name));
        data_sources.sort_by(|a, b| a.type_name.cmp(&b.type_name));
        Ok(Catalog {
            provider_name: provider.type_name().to_string(),
            provider: provider_schema,
            resources,
            data_sources,
            functions,
            actions,
            list_resources,
        })
    }

    /// The page name the Registry uses: the type name without `<provider>_`.
    pub(crate) fn short_name<'a>(&self, type_name: &'a str) -> &'a str {
        type_name
            .strip_prefix(&self.provider_name)
            .and_then(|rest| rest.strip_prefix('_'))
            .unwrap_or(type_name)
    }

    /// A Markdown list of every resource, data source and function, linking to its page.
    pub(crate) fn link_list(&self) -> String {
        let mut out = String::new();
        for (heading, folder, entries) in [
            ("Resources:", "resources", &self.resources),
            ("\nData sources:", "data-sources", &self.data_sources),
        ] {
            out.push_str(heading);
            out.push_str("\n\n");
            for entry in entries {
                out.push_str(&format!(
                    "- [`{}`]({folder}/{}.md)\n",
                    entry.type_name,
                    self.short_name(&entry.type_name)
                ));
            }
        }
        out.push_str("\nFunctions (Terraform 1.8 and later):\n\n");
        for (name, _) in &self.functions {
            out.push_str(&format!(
                "- [`provider::{}::{name}`](functions/{name}.md)\n",
                self.provider_name
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_what_the_provider_serves() -> Result<()> {
        let catalog = Catalog::load()?;
        assert_eq!(catalog.provider_name, "autopilot");
        let names: Vec<&str> = catalog
            .resources
            .iter()
            .map(|r| r.type_name.as_str())
            .collect();
        assert!(names.contains(&"autopilot_group"), "{names:?}");
        assert_eq!(names.len(), 10, "{names:?}");
        assert_eq!(catalog.short_name("autopilot_device_csv"), "device_csv");
        assert!(catalog.provider.block.attribute("tenant_id").is_some());
        assert!(
            catalog
                .link_list()
                .contains("- [`autopilot_devices`](data-sources/devices.md)")
        );
        Ok(())
    }
}
