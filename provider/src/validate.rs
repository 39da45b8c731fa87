//! Plan-time rules from the Autopilot documentation, as pure functions
//! returning the reason a value is wrong.

/// A fully qualified DNS domain such as `contoso.com` (not a NetBIOS name).
pub fn fqdn(name: &str) -> Result<(), String> {
    if !name.contains('.') {
        return Err(format!(
            "{name:?} looks like a NetBIOS name; use the fully qualified domain name, e.g. \"{}.com\".",
            name.to_ascii_lowercase()
        ));
    }
    if name.len() > 253 {
        return Err(format!("{name:?} is longer than 253 characters."));
    }
    let labels: Vec<&str> = name.trim_end_matches('.').split('.').collect();
    for label in &labels {
        if label.is_empty() || label.len() > 63 {
            return Err(format!(
                "{name:?} has an empty or over-long label; each label is 1 to 63 characters."
            ));
        }
        if !label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
            || label.starts_with('-')
            || label.ends_with('-')
        {
            return Err(format!(
                "{name:?} has the label {label:?}; labels use letters, digits and inner hyphens only."
            ));
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.chars().all(|c| c.is_ascii_digit()))
    {
        return Err(format!(
            "{name:?} is not a domain name (its last label is numeric)."
        ));
    }
    Ok(())
}

/// The distinguished name of an organizational unit, never the default
/// `CN=Computers` container.
pub fn organizational_unit(dn: &str) -> Result<(), String> {
    let rdns: Vec<(String, &str)> = dn
        .split(',')
        .map(|part| match part.split_once('=') {
            Some((key, value)) => Ok((key.trim().to_ascii_uppercase(), value.trim())),
            None => Err(format!(
                "{dn:?} is not a distinguished name: {part:?} has no \"=\"."
            )),
        })
        .collect::<Result<_, _>>()?;
    if rdns
        .iter()
        .any(|(k, v)| k == "CN" && v.eq_ignore_ascii_case("Computers"))
    {
        return Err(
            "CN=Computers is a container, not an organizational unit, and domain joins into it fail. \
             Leave organizational_unit unset to use the default Computers container, or name an OU."
                .to_string(),
        );
    }
    if rdns
        .iter()
        .any(|(k, v)| !matches!(k.as_str(), "OU" | "DC" | "CN") || v.is_empty())
    {
        return Err(format!(
            "{dn:?} is not a distinguished name made of OU=, CN= and DC= parts with values."
        ));
    }
    if rdns.first().map(|(k, _)| k.as_str()) != Some("OU") {
        return Err(format!(
            "{dn:?} must start with the organizational unit, e.g. \"OU=Autopilot,DC=contoso,DC=com\"."
        ));
    }
    if !rdns.iter().any(|(k, _)| k == "DC") {
        return Err(format!("{dn:?} has no DC= components naming the domain."));
    }
    Ok(())
}

/// The domain an OU's DC components name (`DC=contoso,DC=com` -> `contoso.com`).
pub fn dn_domain(dn: &str) -> String {
    dn.split(',')
        .filter_map(|part| part.split_once('='))
        .filter(|(k, _)| k.trim().eq_ignore_ascii_case("DC"))
        .map(|(_, v)| v.trim().to_ascii_lowercase())
        .collect::<Vec<_>>()
        .join(".")
}

/// A computer name prefix: letters, digits and hyphens, no macros.
pub fn computer_name_prefix(prefix: &str) -> Result<(), String> {
    if prefix.contains('%') {
        return Err(format!(
            "{prefix:?} contains a macro; domain join names are the prefix plus random characters, \
             and %SERIAL% / %RAND:x% are not supported here."
        ));
    }
    if prefix.is_empty() {
        return Err("the prefix must not be empty.".into());
    }
    if let Some(bad) = prefix
        .chars()
        .find(|c| !(c.is_ascii_alphanumeric() || *c == '-'))
    {
        return Err(format!(
            "{prefix:?} contains {bad:?}; only letters, digits and hyphens are allowed."
        ));
    }
    Ok(())
}

/// A Microsoft Entra object id.
pub fn object_id(id: &str) -> Result<(), String> {
    uuid::Uuid::parse_str(id).map(drop).map_err(|_| {
        format!("{id:?} is not an object id (a GUID such as 00000000-0000-0000-0000-000000000000).")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fqdn_rules() {
        assert!(fqdn("contoso.com").is_ok());
        assert!(fqdn("corp.contoso.co.uk").is_ok());
        assert!(fqdn("CONTOSO").expect_err("rejected").contains("NetBIOS"));
        assert!(fqdn("contoso..com").is_err());
        assert!(fqdn("-bad.com").is_err());
        assert!(fqdn("con_toso.com").is_err());
        assert!(fqdn("10.0.0.1").is_err());
    }

    #[test]
    fn ou_rules() {
        assert!(organizational_unit("OU=Autopilot,DC=contoso,DC=com").is_ok());
        assert!(organizational_unit("OU=A,OU=Devices,DC=contoso,DC=com").is_ok());
        assert!(
            organizational_unit("CN=Computers,DC=contoso,DC=com")
                .expect_err("rejected")
                .contains("container")
        );
        assert!(organizational_unit("contoso.com").is_err());
        assert!(organizational_unit("DC=contoso,DC=com").is_err());
        assert!(organizational_unit("OU=Autopilot").is_err());
        assert_eq!(dn_domain("OU=A,DC=Contoso,DC=com"), "contoso.com");
    }

    #[test]
    fn prefix_rules() {
        assert!(computer_name_prefix("CTS-").is_ok());
        assert!(computer_name_prefix("CTS_").is_err());
        assert!(
            computer_name_prefix("%SERIAL%")
                .expect_err("rejected")
                .contains("macro")
        );
        assert!(computer_name_prefix("").is_err());
    }

    #[test]
    fn object_ids() {
        assert!(object_id("2d2b5f4e-8f0a-4f6b-9a53-0d2c1e0b7a11").is_ok());
        assert!(object_id("sales-team").is_err());
    }
}
