//! Seeded generation of Terraform configurations for the conformance tests: values of every
//! shape (literals, nulls, empty collections, duplicates, numbers big, negative and fractional,
//! conversions Terraform makes, and references that stay unknown until apply) in every position,
//! inside sets and nested blocks included. The same seed gives the same configuration, so a
//! failure is reproduced from the seed it prints.

/// SplitMix64: small, fast and good enough to pick among cases; reproducible from its seed.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `percent` / 100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }

    /// One of `items` (not empty).
    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// String literals, as HCL: plain, empty, unicode, escapes, a literal `${`, look-alikes of
/// numbers and bools (they stay strings).
const TEXTS: &[&str] = &[
    r#""alpha""#,
    r#""beta""#,
    r#""""#,
    r#""été ✓ 東京""#,
    r#""quote \" and backslash \\""#,
    r#""line\nbreak""#,
    r#""$${not_interpolated}""#,
    r#""007""#,
    r#""true""#,
    r#""  padded  ""#,
];

/// Number literals: zero, negative, fractional, tiny, big beyond i64 and f64's exact range,
/// exponent notation, and a string Terraform converts.
const NUMBERS: &[&str] = &[
    "0",
    "-1",
    "42",
    "3.14159",
    "-0.000001",
    "0.1",
    "12345678901234567890123456789",
    "-98765432109876543210.5",
    "1e3",
    "2.5e-3",
    r#""17""#,
];

const BOOLS: &[&str] = &["true", "false", r#""true""#];

/// The element type of a generated attribute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scalar {
    Text,
    Number,
    Bool,
}

/// What a configuration can refer to: resources created in the same apply whose attributes
/// are unknown until then.
#[derive(Debug, Clone)]
pub struct Refs {
    /// Addresses of `conformance_source` resources (`conformance_source.s0`).
    pub sources: Vec<String>,
    /// Addresses of resources declared earlier whose `id` is computed.
    pub ids: Vec<String>,
}

impl Refs {
    /// A reference to a value of type `scalar` that is unknown until apply.
    pub fn scalar(&self, rng: &mut Rng, scalar: Scalar) -> String {
        match scalar {
            Scalar::Text => {
                if !self.ids.is_empty() && rng.chance(30) {
                    format!("{}.id", rng.pick(&self.ids))
                } else {
                    let source = rng.pick(&self.sources);
                    format!("{source}.{}", rng.pick(&["id", "text"]))
                }
            }
            Scalar::Number => format!("{}.number", rng.pick(&self.sources)),
            Scalar::Bool => format!("{}.flag", rng.pick(&self.sources)),
        }
    }

    /// A whole collection that is unknown until apply, when the sources have one of that
    /// kind: `texts` (list), `tags` (set) and `labels` (map) are strings.
    fn collection(&self, rng: &mut Rng, kind: Collection, scalar: Scalar) -> Option<String> {
        if scalar != Scalar::Text {
            return None;
        }
        let source = rng.pick(&self.sources);
        Some(match kind {
            Collection::List => format!("{source}.texts"),
            Collection::Set => format!("{source}.tags"),
            Collection::Map => format!("{source}.labels"),
        })
    }
}

/// A literal of type `scalar`.
pub fn literal(rng: &mut Rng, scalar: Scalar) -> String {
    match scalar {
        Scalar::Text => rng.pick(TEXTS).to_string(),
        Scalar::Number => rng.pick(NUMBERS).to_string(),
        Scalar::Bool => rng.pick(BOOLS).to_string(),
    }
}

/// A value of type `scalar`: a literal, `null` or a reference.
pub fn scalar(rng: &mut Rng, refs: &Refs, scalar: Scalar) -> String {
    match rng.below(10) {
        0 => "null".to_string(),
        1..=4 => refs.scalar(rng, scalar),
        _ => literal(rng, scalar),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Collection {
    List,
    Set,
    Map,
}

/// A collection of `scalar`s: null, empty, a whole unknown collection, literals with
/// duplicates, several unknown elements (the same reference twice included), or a mix.
pub fn collection(rng: &mut Rng, refs: &Refs, kind: Collection, scalar: Scalar) -> String {
    let choice = rng.below(10);
    if choice == 0 {
        return "null".to_string();
    }
    if choice == 1 {
        return if kind == Collection::Map { "{}" } else { "[]" }.to_string();
    }
    if choice == 2
        && let Some(whole) = refs.collection(rng, kind, scalar)
    {
        return whole;
    }
    let len = 1 + rng.below(5);
    let mut items: Vec<String> = Vec::with_capacity(len);
    for _ in 0..len {
        let item = match rng.below(10) {
            0..=4 => refs.scalar(rng, scalar),
            5 if !items.is_empty() => rng.pick(&items).clone(),
            _ => literal(rng, scalar),
        };
        items.push(item);
    }
    match kind {
        Collection::List | Collection::Set => format!("[{}]", items.join(", ")),
        Collection::Map => {
            let entries: Vec<String> = items
                .iter()
                .enumerate()
                .map(|(i, item)| format!("k{} = {item}", i % 4))
                .collect();
            // Duplicate keys are a Terraform error, so keys repeat only as a later entry
            // for the same key would: keep the first of each.
            let mut seen = std::collections::BTreeSet::new();
            let unique: Vec<&String> = entries
                .iter()
                .filter(|e| seen.insert(e.split(" = ").next().unwrap_or_default().to_string()))
                .collect();
            format!(
                "{{ {} }}",
                unique
                    .iter()
                    .map(|e| e.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        }
    }
}

/// One attribute of a generated resource: `name = expression`, or left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Assignment {
    pub name: &'static str,
    pub expression: Option<String>,
}

impl Assignment {
    /// `name = value(rng)` in `percent` out of 100 cases, else left out.
    pub fn sometimes(
        rng: &mut Rng,
        percent: u64,
        name: &'static str,
        value: impl FnOnce(&mut Rng) -> String,
    ) -> Assignment {
        let expression = rng.chance(percent).then(|| value(rng));
        Assignment { name, expression }
    }
}

/// Renders `resource "<type>" "<name>" { ... }` with the given attributes and nested blocks.
pub fn resource_block(
    resource_type: &str,
    name: &str,
    attributes: &[Assignment],
    blocks: &[String],
) -> String {
    let mut out = format!("resource \"{resource_type}\" \"{name}\" {{\n");
    for attribute in attributes {
        if let Some(expression) = &attribute.expression {
            out.push_str(&format!("  {} = {expression}\n", attribute.name));
        }
    }
    for block in blocks {
        out.push_str(block);
    }
    out.push_str("}\n");
    out
}

/// Renders a nested block `name { ... }` (indented for a resource body).
pub fn nested_block(name: &str, attributes: &[Assignment]) -> String {
    let mut out = format!("  {name} {{\n");
    for attribute in attributes {
        if let Some(expression) = &attribute.expression {
            out.push_str(&format!("    {} = {expression}\n", attribute.name));
        }
    }
    out.push_str("  }\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn refs() -> Refs {
        Refs {
            sources: vec![
                "conformance_source.s0".into(),
                "conformance_source.s1".into(),
            ],
            ids: vec!["conformance_echo.e0".into()],
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_values() {
        let generate = |seed| {
            let mut rng = Rng::new(seed);
            (0..50)
                .map(|_| collection(&mut rng, &refs(), Collection::Set, Scalar::Text))
                .collect::<Vec<_>>()
        };
        assert_eq!(generate(7), generate(7));
        assert_ne!(generate(7), generate(8));
    }

    #[test]
    fn sets_get_several_unknown_members() {
        let mut rng = Rng::new(1);
        let several = (0..500)
            .map(|_| collection(&mut rng, &refs(), Collection::Set, Scalar::Text))
            .filter(|set| set.matches("conformance_").count() >= 2 && set.starts_with('['))
            .count();
        assert!(
            several > 50,
            "only {several} sets with two or more references"
        );
    }

    #[test]
    fn map_keys_are_unique() {
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let map = collection(&mut rng, &refs(), Collection::Map, Scalar::Number);
            let keys: Vec<&str> = map
                .split(", ")
                .filter_map(|e| e.trim_start_matches("{ ").split(" = ").next())
                .filter(|k| k.starts_with('k'))
                .collect();
            let unique: std::collections::BTreeSet<&&str> = keys.iter().collect();
            assert_eq!(keys.len(), unique.len(), "{map}");
        }
    }

    #[test]
    fn blocks_render_only_present_attributes() {
        let block = resource_block(
            "t",
            "n",
            &[
                Assignment {
                    name: "a",
                    expression: Some("1".into()),
                },
                Assignment {
                    name: "b",
                    expression: None,
                },
            ],
            &[nested_block(
                "inner",
                &[Assignment {
                    name: "c",
                    expression: Some("true".into()),
                }],
            )],
        );
        assert_eq!(
            block,
            "resource \"t\" \"n\" {\n  a = 1\n  inner {\n    c = true\n  }\n}\n"
        );
    }
}
