//! Checks shared by every free-text field of the model (names, labels).

use crate::error::{Error, Result};

/// Trims `value` and checks it is non-empty, at most `max` characters, without control
/// characters (they break XML 1.0 and HL7 v2 alike).
pub(crate) fn required(field: &str, value: &str, max: usize) -> Result<String> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(field, "must not be empty", value));
    }
    optional(field, trimmed, max).map(|v| v.unwrap_or_default())
}

/// Like [`required`], but an empty or blank value means "absent".
pub(crate) fn optional(field: &str, value: &str, max: usize) -> Result<Option<String>> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Ok(None);
    }
    if trimmed.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("must be at most {max} characters"),
            value,
        ));
    }
    if trimmed.chars().any(char::is_control) {
        return Err(Error::invalid(
            field,
            "must not contain control characters",
            value,
        ));
    }
    Ok(Some(trimmed.to_owned()))
}

/// Checks an already-clean value: what [`required`] accepts, and no surrounding whitespace
/// (values that are emitted as given, such as CDA names, must not be silently trimmed).
pub(crate) fn check(field: &str, value: &str, max: usize) -> Result<()> {
    let clean = required(field, value, max)?;
    if clean != value {
        return Err(Error::invalid(
            field,
            "must not start or end with whitespace",
            value,
        ));
    }
    Ok(())
}

/// [`check`] for a person's or a software's name (at most 100 characters).
pub(crate) fn check_name(field: &str, value: &str) -> Result<()> {
    check(field, value, 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rules() {
        assert_eq!(required("f", "  Dupont ", 10).unwrap(), "Dupont");
        assert!(required("f", "   ", 10).is_err());
        assert!(required("f", "a\u{7}b", 10).is_err());
        assert!(required("f", "abcdefghijk", 10).is_err());
        assert_eq!(optional("f", " ", 10).unwrap(), None);
        let e = required("family", "", 5).unwrap_err();
        assert_eq!(e.as_invalid().unwrap().field, "family");
    }
}
