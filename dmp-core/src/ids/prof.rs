//! Identifiers of professionals: RPPS and ADELI numbers.

use std::fmt;
use std::str::FromStr;

use super::checksum::{luhn_key, luhn_valid};
use crate::error::{Error, Result};

/// Checks that `s` has `len` characters, all ASCII digits, and returns their values.
pub(crate) fn digits_exact(field: &str, s: &str, len: usize, what: &str) -> Result<Vec<u8>> {
    super::check_not_blank(field, s)?;
    let n = s.chars().count();
    if n != len {
        return Err(Error::invalid(
            field,
            format!("must be {len} digits ({what}); found {n} characters"),
            s,
        ));
    }
    if let Some(c) = s.chars().find(|c| !c.is_ascii_digit()) {
        return Err(Error::invalid(
            field,
            format!("must be {len} digits ({what}); found {c:?}"),
            s,
        ));
    }
    Ok(s.bytes().map(|b| b - b'0').collect())
}

/// An RPPS number: 11 digits, the last one a Luhn key over the 11 digits.
///
/// ```
/// use dmp_core::ids::Rpps;
/// assert!("10002422979".parse::<Rpps>().is_ok());
/// assert!("10002422978".parse::<Rpps>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Rpps(String);

impl Rpps {
    /// Validates `s`; same as [`str::parse`].
    pub fn new(s: &str) -> Result<Self> {
        s.parse()
    }

    /// The 11 digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for Rpps {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        const FIELD: &str = "rpps";
        let digits = digits_exact(FIELD, s, 11, "RPPS number")?;
        if !luhn_valid(&digits) {
            let expected = luhn_key(digits.get(..10).unwrap_or_default());
            return Err(Error::invalid(
                FIELD,
                format!("Luhn key (11th digit) is wrong; expected {expected}"),
                s,
            ));
        }
        Ok(Rpps(s.to_owned()))
    }
}

impl fmt::Display for Rpps {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Rpps {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

super::string_serde!(Rpps, "an 11-digit RPPS number");

/// An ADELI number: 9 characters, the first two a département (two digits, or `2A`/`2B` for
/// Corsica; `2a`/`2b` are accepted and upper-cased), the other seven digits.
///
/// **Only the shape is checked**: no check key is verified (the ADELI key algorithm is not
/// published in the specifications the DMP relies on).
///
/// ```
/// use dmp_core::ids::Adeli;
/// assert_eq!("2b1234567".parse::<Adeli>().unwrap().as_str(), "2B1234567");
/// assert!("751234567".parse::<Adeli>().is_ok());
/// assert!("7512345678".parse::<Adeli>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Adeli(String);

impl Adeli {
    /// Validates `s`; same as [`str::parse`].
    pub fn new(s: &str) -> Result<Self> {
        s.parse()
    }

    /// The 9 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Checks a 9-character number whose first two characters are a département (digits, `2A`,
/// `2B`) and the rest digits; returns the canonical (upper-case) text. Used for ADELI.
fn departement_number(field: &str, s: &str, what: &str) -> Result<String> {
    super::check_not_blank(field, s)?;
    let n = s.chars().count();
    if n != 9 {
        return Err(Error::invalid(
            field,
            format!("must be 9 characters ({what}); found {n}"),
            s,
        ));
    }
    let upper: String = s.chars().map(|c| c.to_ascii_uppercase()).collect();
    let mut chars = upper.chars();
    let dep: String = chars.by_ref().take(2).collect();
    let dep_ok = dep == "2A" || dep == "2B" || dep.chars().all(|c| c.is_ascii_digit());
    if !dep_ok {
        return Err(Error::invalid(
            field,
            "first two characters (département) must be two digits, 2A or 2B",
            s,
        ));
    }
    if let Some(c) = chars.find(|c| !c.is_ascii_digit()) {
        return Err(Error::invalid(
            field,
            format!("characters 3 to 9 must be digits; found {c:?}"),
            s,
        ));
    }
    Ok(upper)
}

impl FromStr for Adeli {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        departement_number("adeli", s, "ADELI number").map(Adeli)
    }
}

impl fmt::Display for Adeli {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Adeli {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

super::string_serde!(Adeli, "a 9-character ADELI number");
