//! Plan-time rules from the Autopilot documentation, as pure functions
//! returning the reason a value is wrong, and [`check_known`], which
//! applies one to an attribute and reports the reason at its path.

pub mod filter_rule;
pub mod profile_text;

use tfplugin::{Attr, AttrPath, Diagnostics};

/// Applies `rule` to `value` when it is known; a refusal is an error at
/// `path` with `summary`, the rule's reason as its detail.
pub fn check_known<T>(
    value: &Attr<String>,
    rule: impl FnOnce(&str) -> Result<T, String>,
    path: AttrPath,
    summary: impl Into<String>,
    diags: &mut Diagnostics,
) {
    if let Attr::Known(text) = value
        && let Err(reason) = rule(text)
    {
        diags.error_at(path, summary, reason);
    }
}

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

/// An Intune scope tag id: a number as text (`"0"` is the built-in
/// `Default` tag), not a tag's name or a GUID.
pub fn scope_tag_id(id: &str) -> Result<(), String> {
    if !id.is_empty() && id.len() <= 10 && id.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(());
    }
    Err(format!(
        "{id:?} is not a scope tag id: Intune's scope tag ids are numbers such as \"0\" (Default) \
         or \"3\". Use autopilot_scope_tag.<name>.id, or the data source autopilot_scope_tag to \
         find a tag by its name."
    ))
}

/// What a device name template (`deviceNameTemplate`) produces: its
/// literal characters, the digits its `%RAND:x%` macros add, and whether it
/// uses `%SERIAL%`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NameTemplate {
    /// Literal characters (everything outside macros).
    pub literal: usize,
    /// Random digits from `%RAND:x%` macros.
    pub random: usize,
    /// Whether `%SERIAL%` appears.
    pub serial: bool,
    /// Whether a literal character is a letter or a hyphen.
    pub literal_non_digit: bool,
}

impl NameTemplate {
    /// Characters that are fixed in length (literal plus random digits).
    pub fn fixed_len(&self) -> usize {
        self.literal + self.random
    }
}

/// Parses an Autopilot device name template: letters, digits and hyphens,
/// plus the macros `%SERIAL%` and `%RAND:x%` (x = 1 to 15 random digits).
pub fn device_name_template(template: &str) -> Result<NameTemplate, String> {
    if template.is_empty() {
        return Err(
            "the template must not be empty; leave the attribute unset for no template.".into(),
        );
    }
    let mut info = NameTemplate::default();
    let mut rest = template;
    while let Some(c) = rest.chars().next() {
        if c == '%' {
            let Some(end) = rest[1..].find('%') else {
                return Err(format!(
                    "{template:?} has a \"%\" that does not close a macro; the macros are %SERIAL% and %RAND:x%."
                ));
            };
            let name = &rest[1..=end];
            if name == "SERIAL" {
                info.serial = true;
            } else if let Some(count) = name.strip_prefix("RAND:") {
                match count.parse::<usize>() {
                    Ok(n) if (1..=15).contains(&n) && count.chars().all(|c| c.is_ascii_digit()) => {
                        info.random += n;
                    }
                    _ => {
                        return Err(format!(
                            "{template:?} has the macro %{name}%; %RAND:x% takes a number of digits x from 1 to 15, e.g. %RAND:4%."
                        ));
                    }
                }
            } else if name.eq_ignore_ascii_case("SERIAL")
                || name.to_ascii_uppercase().starts_with("RAND:")
            {
                return Err(format!(
                    "{template:?} has the macro %{name}%; macros are upper case: %SERIAL% and %RAND:x%."
                ));
            } else {
                return Err(format!(
                    "{template:?} has the unknown macro %{name}%; the macros are %SERIAL% and %RAND:x%."
                ));
            }
            rest = &rest[end + 2..];
            continue;
        }
        if !(c.is_ascii_alphanumeric() || c == '-') {
            return Err(format!(
                "{template:?} contains {c:?}; device names use letters, digits and hyphens only."
            ));
        }
        info.literal += 1;
        if !c.is_ascii_digit() {
            info.literal_non_digit = true;
        }
        rest = &rest[c.len_utf8()..];
    }
    Ok(info)
}

/// A locale for the Autopilot profile: `os-default` or a language tag such
/// as `en-US`. Not empty: Intune stores an empty locale as `os-default`
/// (field reports #4: deploymenttheory's `construct.go`, KelvinTegelaar/CIPP
/// #5761), so `""` could never read back as written.
pub fn locale(locale: &str) -> Result<(), String> {
    if locale.is_empty() {
        return Err(
            "Intune stores an empty locale as \"os-default\" (the operating system's language), so \"\" \
             cannot be kept; Graph offers no \"user selects\" value. Use locale = \"os-default\" (or leave \
             locale unset)."
                .into(),
        );
    }
    if locale == "os-default" {
        return Ok(());
    }
    let mut parts = locale.split('-');
    let language_ok = parts
        .next()
        .is_some_and(|l| (2..=3).contains(&l.len()) && l.chars().all(|c| c.is_ascii_alphabetic()));
    let rest_ok =
        parts.all(|p| (2..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()));
    if language_ok && rest_ok {
        Ok(())
    } else {
        Err(format!(
            "{locale:?} is not a language tag; use one such as \"en-US\", or \"os-default\" (the default)."
        ))
    }
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

    #[test]
    fn name_templates() {
        let t = device_name_template("CORP-%SERIAL%").expect("valid");
        assert_eq!((t.literal, t.random, t.serial), (5, 0, true));
        let t = device_name_template("AP-%RAND:5%").expect("valid");
        assert_eq!(
            (t.literal, t.random, t.serial, t.fixed_len()),
            (3, 5, false, 8)
        );
        assert!(
            !device_name_template("123%RAND:2%")
                .expect("valid")
                .literal_non_digit
        );
        assert!(
            device_name_template("CORP_%SERIAL%")
                .expect_err("bad char")
                .contains("'_'")
        );
        assert!(
            device_name_template("CORP-%SERIAL")
                .expect_err("open")
                .contains("close")
        );
        assert!(
            device_name_template("CORP-%RAND%")
                .expect_err("no count")
                .contains("RAND:x")
        );
        assert!(device_name_template("CORP-%RAND:0%").is_err());
        assert!(device_name_template("CORP-%RAND:x%").is_err());
        assert!(
            device_name_template("CORP-%serial%")
                .expect_err("case")
                .contains("upper case")
        );
        assert!(
            device_name_template("CORP-%NAME%")
                .expect_err("unknown")
                .contains("unknown macro")
        );
        assert!(device_name_template("").is_err());
    }

    #[test]
    fn locales() {
        assert!(locale("os-default").is_ok());
        assert!(locale("").expect_err("empty").contains("os-default"));
        assert!(locale("en-US").is_ok());
        assert!(locale("zh-Hans-CN").is_ok());
        assert!(locale("english").is_err());
        assert!(locale("en_US").is_err());
    }
}

/// Characters Entra refuses in a group's `mailNickname` besides non-ASCII
/// and control characters.
const MAIL_NICKNAME_FORBIDDEN: &[char] = &[
    '@', '(', ')', '\\', '[', ']', '"', ';', ':', '.', '<', '>', ',', ' ',
];

/// A group's mail nickname: 1 to 64 printable ASCII characters, none of
/// `@ ( ) \ [ ] " ; : . < > ,` or space.
pub fn mail_nickname(nickname: &str) -> Result<(), String> {
    if nickname.is_empty() {
        return Err("the mail nickname must not be empty.".into());
    }
    if nickname.chars().count() > 64 {
        return Err(format!(
            "{nickname:?} has {} characters; a mail nickname has at most 64.",
            nickname.chars().count()
        ));
    }
    if let Some(bad) = nickname
        .chars()
        .find(|c| !c.is_ascii() || c.is_ascii_control() || MAIL_NICKNAME_FORBIDDEN.contains(c))
    {
        return Err(format!(
            "{nickname:?} contains {bad:?}; a mail nickname uses ASCII characters other than \
             @ ( ) \\ [ ] \" ; : . < > , and space."
        ));
    }
    Ok(())
}

/// The mail nickname derived from a display name: its valid characters,
/// spaces and other invalid characters turned into single hyphens, at most
/// 64 characters; `group` when nothing is left.
pub fn mail_nickname_from(display_name: &str) -> String {
    let mut out = String::new();
    for c in display_name.chars() {
        let valid = c.is_ascii() && !c.is_ascii_control() && !MAIL_NICKNAME_FORBIDDEN.contains(&c);
        if valid {
            out.push(c);
        } else if !out.is_empty() && !out.ends_with('-') {
            out.push('-');
        }
    }
    let mut out: String = out.trim_matches('-').chars().take(64).collect();
    while out.ends_with('-') {
        out.pop();
    }
    if out.is_empty() { "group".into() } else { out }
}

/// An Autopilot group tag as a dynamic rule can match it: not empty, no
/// double quote, backslash or control character, no surrounding spaces.
pub fn group_tag(tag: &str) -> Result<(), String> {
    if tag.trim().is_empty() {
        return Err("a group tag must not be empty.".into());
    }
    if tag.trim() != tag {
        return Err(format!(
            "{tag:?} starts or ends with spaces; devices' group tags never do, so the rule would match nothing."
        ));
    }
    if let Some(bad) = tag
        .chars()
        .find(|c| *c == '"' || *c == '\\' || c.is_control())
    {
        return Err(format!(
            "{tag:?} contains {bad:?}, which a membership rule cannot quote."
        ));
    }
    Ok(())
}

#[cfg(test)]
mod group_tests {
    use super::*;

    #[test]
    fn mail_nicknames() {
        assert!(mail_nickname("ap-deviceprep-devices").is_ok());
        assert!(mail_nickname("").is_err());
        assert!(
            mail_nickname("ap devices")
                .expect_err("space")
                .contains("' '")
        );
        assert!(mail_nickname("a.b").is_err());
        assert!(mail_nickname("é").is_err());
        assert!(mail_nickname(&"a".repeat(65)).is_err());
    }

    #[test]
    fn derived_mail_nicknames_are_valid() {
        for name in [
            "Autopilot DevicePrep Devices",
            "  (Sales) - Paris; Lyon. ",
            "Ünïcödé gróup",
            "...",
            &"x".repeat(100),
            "a -- b",
        ] {
            let nick = mail_nickname_from(name);
            assert!(mail_nickname(&nick).is_ok(), "{name:?} -> {nick:?}");
        }
        assert_eq!(
            mail_nickname_from("Autopilot DevicePrep Devices"),
            "Autopilot-DevicePrep-Devices"
        );
        assert_eq!(mail_nickname_from("(Sales) Paris"), "Sales-Paris");
        assert_eq!(mail_nickname_from("..."), "group");
    }

    #[test]
    fn group_tags() {
        assert!(group_tag("Sales-EMEA").is_ok());
        assert!(group_tag("").is_err());
        assert!(group_tag(" x").is_err());
        assert!(group_tag("a\"b").is_err());
    }
}

/// The teardown opt-ins of the device resources: `destroy_entra_device`
/// only with `destroy_enrolled = true`, refused at `destroy_entra_device`.
pub fn teardown_opt_ins(
    destroy_enrolled: &Attr<bool>,
    destroy_entra_device: &Attr<bool>,
    diags: &mut Diagnostics,
) {
    if let Some(reason) = entra_teardown_needs_enrolled(destroy_enrolled, destroy_entra_device) {
        diags.error_at(
            AttrPath::root("destroy_entra_device"),
            "destroy_entra_device needs destroy_enrolled",
            reason,
        );
    }
}

/// Why `destroy_entra_device = true` is refused: only a teardown of the
/// enrolled device (`destroy_enrolled = true`) deletes the Entra device
/// object. `None` when the two agree or either is not known yet.
pub fn entra_teardown_needs_enrolled(
    destroy_enrolled: &Attr<bool>,
    destroy_entra_device: &Attr<bool>,
) -> Option<String> {
    let enrolled_off = matches!(destroy_enrolled, Attr::Null | Attr::Known(false));
    (destroy_entra_device.known() == Some(&true) && enrolled_off).then(|| {
        "`destroy_entra_device = true` deletes the Microsoft Entra device object after the Intune \
         managed device and the registration, which only `destroy_enrolled = true` removes; set \
         `destroy_enrolled = true` too, or remove `destroy_entra_device`."
            .to_owned()
    })
}

#[cfg(test)]
mod teardown_tests {
    use super::*;

    #[test]
    fn entra_teardown_only_with_enrolled_teardown() {
        let on = Attr::Known(true);
        let off = Attr::Known(false);
        assert!(entra_teardown_needs_enrolled(&off, &on).is_some());
        assert!(entra_teardown_needs_enrolled(&Attr::Null, &on).is_some());
        assert!(entra_teardown_needs_enrolled(&on, &on).is_none());
        assert!(entra_teardown_needs_enrolled(&Attr::Unknown, &on).is_none());
        assert!(entra_teardown_needs_enrolled(&off, &off).is_none());
    }
}
