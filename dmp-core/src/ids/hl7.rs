//! Checks on free text that goes into HL7 v2 strings (XCN, XON, CX components).
//!
//! HL7 v2 reserves `^` (component), `&` (sub-component), `~` (repetition), `\` (escape) and
//! `|` (field) as delimiters. We never escape silently: a value that contains one is refused,
//! so that the person who typed it can correct it.

use crate::error::{Error, Result};

/// The HL7 v2 delimiters that must not appear in a component.
pub(crate) const DELIMITERS: [char; 5] = ['^', '&', '~', '\\', '|'];

/// The first character of `s` that is an HL7 delimiter or a control character, if any.
pub(crate) fn forbidden_char(s: &str) -> Option<char> {
    s.chars().find(|c| DELIMITERS.contains(c) || c.is_control())
}

/// Rule text for a forbidden character, e.g. ``must not contain the HL7 delimiter '^'``.
pub(crate) fn forbidden_rule(c: char) -> String {
    if c.is_control() {
        format!(
            "must not contain control characters (found U+{:04X})",
            u32::from(c)
        )
    } else {
        format!("must not contain the HL7 delimiter {c:?} (one of ^ & ~ \\ |)")
    }
}

/// Checks a name (person family or given name, structure name) for an HL7 component:
/// not empty after trimming, no delimiter, no control character. Returns the trimmed text.
pub(crate) fn check_text<'a>(field: &str, value: &'a str) -> Result<&'a str> {
    let trimmed = value.trim();
    if trimmed.is_empty() {
        return Err(Error::invalid(
            field,
            "must not be empty or whitespace only",
            value,
        ));
    }
    if let Some(c) = forbidden_char(trimmed) {
        return Err(Error::invalid(field, forbidden_rule(c), value));
    }
    Ok(trimmed)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        assert_eq!(
            check_text("family", " Dupont-Durand ").unwrap(),
            "Dupont-Durand"
        );
        assert_eq!(check_text("given", "Éléonore").unwrap(), "Éléonore");
    }

    #[test]
    fn refuses_delimiters_control_and_blank() {
        for bad in ["A^B", "A&B", "A~B", "A\\B", "A|B", "A\nB", "A\u{7}B"] {
            let e = check_text("family", bad).unwrap_err();
            assert_eq!(e.as_invalid().unwrap().field, "family", "{bad:?}");
        }
        for blank in ["", "   ", "\t"] {
            let e = check_text("given", blank).unwrap_err();
            assert!(e.to_string().contains("empty"), "{e}");
        }
        assert!(forbidden_rule('\u{1}').contains("U+0001"));
        assert!(forbidden_rule('^').contains("'^'"));
    }
}
