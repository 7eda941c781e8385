//! ISO object identifiers ([`Oid`]) and the OIDs of the specifications.
//!
//! The constants are plain `&'static str` so that they can be compared and matched without
//! allocation; [`Oid::from_str`](std::str::FromStr) turns any of them into an [`Oid`].

use std::fmt;
use std::str::FromStr;

use crate::error::{Error, Result};

/// INS-NIR, production: the INS is the person's NIR (`1.2.250.1.213.1.4.8`).
pub const INS_NIR: &str = "1.2.250.1.213.1.4.8";
/// INS-NIA, production: the INS is a NIA, a waiting number given by INSEE (`1.2.250.1.213.1.4.9`).
pub const INS_NIA: &str = "1.2.250.1.213.1.4.9";
/// INS-NIR *de test*: used in every example of the DMP test platform (`1.2.250.1.213.1.4.10`).
pub const INS_NIR_TEST: &str = "1.2.250.1.213.1.4.10";
/// INS-NIR *de démonstration* (`1.2.250.1.213.1.4.11`).
pub const INS_NIR_DEMO: &str = "1.2.250.1.213.1.4.11";
/// Legacy INS-C (computed INS), still found in some DMP responses; not accepted as an INS
/// by this library (`1.2.250.1.213.1.4.2`).
pub const INS_C_LEGACY: &str = "1.2.250.1.213.1.4.2";
/// Assigning authority of the national identifiers of persons and systems, PS_IdNat
/// (`1.2.250.1.71.4.2.1`).
pub const PS_IDNAT: &str = "1.2.250.1.71.4.2.1";
/// Assigning authority of the national identifiers of structures, Struct_IdNat
/// (`1.2.250.1.71.4.2.2`).
pub const STRUCT_IDNAT: &str = "1.2.250.1.71.4.2.2";

/// Maximum length of an OID in characters: the HL7 France limit.
pub const MAX_LEN: usize = 64;

const FIELD: &str = "oid";

/// A syntactically valid OID: arcs of decimal digits without leading zeros, separated by
/// dots, at least two arcs, first arc `0`, `1` or `2`, second arc below 40 when the first is
/// `0` or `1`, at most [`MAX_LEN`] characters.
///
/// ```
/// use dmp_core::ids::{oid, Oid};
/// let o: Oid = oid::INS_NIR.parse().unwrap();
/// assert_eq!(o.child(7).unwrap().as_str(), "1.2.250.1.213.1.4.8.7");
/// assert!("1.2.250.01".parse::<Oid>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Oid(String);

impl Oid {
    /// Validates `s` as an OID; same as [`str::parse`].
    pub fn new(s: &str) -> Result<Self> {
        s.parse()
    }

    /// The OID `2.25.<uuid as a 128-bit decimal integer>` (ITU-T X.667), a convenient way to
    /// mint a unique document or submission-set id. At most 44 characters.
    pub fn from_uuid(uuid: uuid::Uuid) -> Oid {
        Oid(format!("2.25.{}", uuid.as_u128()))
    }

    /// The child arc `<self>.<n>`; fails when the result would exceed [`MAX_LEN`] characters.
    pub fn child(&self, n: u64) -> Result<Oid> {
        let s = format!("{}.{n}", self.0);
        if s.len() > MAX_LEN {
            return Err(Error::invalid(
                FIELD,
                format!("must be at most {MAX_LEN} characters (the HL7 France limit)"),
                s,
            ));
        }
        Ok(Oid(s))
    }

    /// The OID as text.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The arcs, as their decimal text (`"1"`, `"2"`, `"250"`…).
    pub fn arcs(&self) -> impl Iterator<Item = &str> {
        self.0.split('.')
    }

    /// True when `self` equals `root` or lies under it (`1.2.250.1` is under `1.2.250`).
    pub fn is_under(&self, root: &str) -> bool {
        match self.0.strip_prefix(root) {
            Some("") => true,
            Some(rest) => rest.starts_with('.'),
            None => false,
        }
    }
}

impl FromStr for Oid {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        super::check_not_blank(FIELD, s)?;
        if s.chars().count() > MAX_LEN {
            return Err(Error::invalid(
                FIELD,
                format!("must be at most {MAX_LEN} characters (the HL7 France limit)"),
                s,
            ));
        }
        if let Some(c) = s.chars().find(|c| !(c.is_ascii_digit() || *c == '.')) {
            return Err(Error::invalid(
                FIELD,
                format!("must contain only digits and dots (found {c:?})"),
                s,
            ));
        }
        let arcs: Vec<&str> = s.split('.').collect();
        if arcs.len() < 2 {
            return Err(Error::invalid(
                FIELD,
                "must have at least two arcs separated by '.'",
                s,
            ));
        }
        for arc in &arcs {
            if arc.is_empty() {
                return Err(Error::invalid(
                    FIELD,
                    "arcs must not be empty (no leading, trailing or double dot)",
                    s,
                ));
            }
            if arc.len() > 1 && arc.starts_with('0') {
                return Err(Error::invalid(
                    FIELD,
                    format!("arcs must not have leading zeros (arc {arc:?})"),
                    s,
                ));
            }
        }
        let first = arcs.first().copied().unwrap_or_default();
        let second = arcs.get(1).copied().unwrap_or_default();
        match first {
            "0" | "1" => {
                // Already checked: digits only, no leading zero, non-empty.
                let small = second.len() == 1 || (second.len() == 2 && second < "40");
                if !small {
                    return Err(Error::invalid(
                        FIELD,
                        "second arc must be below 40 when the first arc is 0 or 1",
                        s,
                    ));
                }
            }
            "2" => {}
            _ => {
                return Err(Error::invalid(FIELD, "first arc must be 0, 1 or 2", s));
            }
        }
        Ok(Oid(s.to_owned()))
    }
}

impl fmt::Display for Oid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Oid {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

super::string_serde!(Oid, "an OID such as \"1.2.250.1.213.1.4.8\"");

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spec_constants_are_valid_oids() {
        for c in [
            INS_NIR,
            INS_NIA,
            INS_NIR_TEST,
            INS_NIR_DEMO,
            INS_C_LEGACY,
            PS_IDNAT,
            STRUCT_IDNAT,
        ] {
            assert_eq!(c.parse::<Oid>().unwrap().as_str(), c);
        }
    }

    #[test]
    fn second_arc_limit() {
        assert!("1.39".parse::<Oid>().is_ok());
        assert!("0.9".parse::<Oid>().is_ok());
        assert!("1.40".parse::<Oid>().is_err());
        assert!("0.100".parse::<Oid>().is_err());
        assert!("2.999".parse::<Oid>().is_ok());
    }

    #[test]
    fn is_under() {
        let o: Oid = "1.2.250.1".parse().unwrap();
        assert!(o.is_under("1.2.250"));
        assert!(o.is_under("1.2.250.1"));
        assert!(!o.is_under("1.2.25"));
        assert_eq!(o.arcs().collect::<Vec<_>>(), ["1", "2", "250", "1"]);
    }
}
