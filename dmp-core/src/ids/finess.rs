//! FINESS numbers of structures (établissements and entités juridiques).

use std::fmt;
use std::str::FromStr;

use super::checksum::luhn_key;
use super::{hl7, oid};
use crate::error::{Error, Result};

const FIELD: &str = "finess";

/// Whether a FINESS number designates a legal entity or a geographic establishment.
///
/// A FINESS number does not tell which it is (both come from the same numbering), so
/// [`Finess`] does not carry it; the model records it beside the number.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum FinessKind {
    /// *Entité juridique* (EJ): the legal entity (the organisation managing establishments).
    #[serde(rename = "EJ")]
    Ej,
    /// *Établissement* (ET): a geographic establishment, where care or support is given.
    /// This is the FINESS that identifies an ESSMS in DMP documents.
    #[serde(rename = "ET")]
    Et,
}

impl FinessKind {
    /// `EJ` or `ET`.
    pub fn code(self) -> &'static str {
        match self {
            FinessKind::Ej => "EJ",
            FinessKind::Et => "ET",
        }
    }
}

impl fmt::Display for FinessKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A FINESS number: 9 characters.
///
/// - Characters 1–2: the département, two digits (`01`–`99`, not `00`; overseas
///   départements use `97…`/`98…` numbers), or `2A`/`2B` for Corsica (`2a`/`2b` are accepted
///   and upper-cased).
/// - Characters 3–8: digits.
/// - Character 9: the Luhn key computed over the 9 characters.
///
/// **Corsica.** How the letter of `2A`/`2B` enters the Luhn computation is not stated in the
/// sources we could check. We accept the key when it is right with either convention found
/// in practice: the letter counted as `0` (`2A`/`2B` → `20`), or as its rank in the alphabet
/// (`2A` → `21`, `2B` → `22`). This is deliberately lenient: refusing a real establishment's
/// number would block it, whereas a wrong key is refused by the DMP anyway.
///
/// The DMP test platform uses structure identifiers whose FINESS part is not key-valid
/// (`0B0041968`, `480787529`): build those with [`Finess::parse_unchecked_key`].
///
/// ```
/// use dmp_core::ids::Finess;
/// let f: Finess = "750803447".parse().unwrap();
/// assert_eq!(f.struct_idnat(), "1750803447");
/// assert!("750803448".parse::<Finess>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Finess(String);

/// Luhn keys acceptable for the 8 first characters of a canonical (upper-case) FINESS body
/// whose shape has been checked; one entry, or two for Corsica.
fn expected_keys(body: &str) -> Vec<u8> {
    let rest: Vec<u8> = body.bytes().skip(2).map(|b| b - b'0').collect();
    let with_dep = |d1: u8, d2: u8| {
        let mut v = vec![d1, d2];
        v.extend_from_slice(&rest);
        luhn_key(&v)
    };
    match body.get(..2) {
        Some("2A") => vec![with_dep(2, 0), with_dep(2, 1)],
        Some("2B") => vec![with_dep(2, 0), with_dep(2, 2)],
        _ => {
            let all: Vec<u8> = body.bytes().map(|b| b - b'0').collect();
            vec![luhn_key(&all)]
        }
    }
}

impl Finess {
    /// Validates `s` (shape and key); same as [`str::parse`].
    pub fn new(s: &str) -> Result<Self> {
        s.parse()
    }

    /// **For DMP test-platform identifiers only.** Accepts any 9 ASCII letters or digits,
    /// without checking the département or the key, and keeps them as given. Production
    /// code must use [`FromStr`] (or [`Finess::new`]); JSON deserialisation always checks the
    /// key, so a value built here does not survive a JSON round trip.
    ///
    /// ```
    /// use dmp_core::ids::Finess;
    /// let f = Finess::parse_unchecked_key("0B0041968").unwrap();
    /// assert!(!f.has_valid_key());
    /// assert_eq!(f.struct_idnat(), "10B0041968");
    /// ```
    pub fn parse_unchecked_key(s: &str) -> Result<Self> {
        super::check_not_blank(FIELD, s)?;
        let n = s.chars().count();
        if n != 9 || !s.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(Error::invalid(
                FIELD,
                "must be 9 ASCII letters or digits (test-platform FINESS)",
                s,
            ));
        }
        Ok(Finess(s.to_owned()))
    }

    /// The 9 characters.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The département part (the first two characters).
    pub fn departement(&self) -> &str {
        // Nine ASCII characters (checked at construction).
        self.0.get(..2).unwrap_or_default()
    }

    /// True when the number passes the full check (shape and key); false only for values
    /// built with [`Finess::parse_unchecked_key`] that would not pass it.
    pub fn has_valid_key(&self) -> bool {
        self.0.parse::<Finess>().is_ok()
    }

    /// The national structure identifier, Struct_IdNat: `1` + FINESS.
    pub fn struct_idnat(&self) -> String {
        format!("1{}", self.0)
    }

    /// The HL7 v2 XON of the XDS `authorInstitution`:
    /// `<name>^^^^^&1.2.250.1.71.4.2.2&ISO^IDNST^^^1<FINESS>`.
    ///
    /// `name` is trimmed; it must not be empty and must not contain an HL7 delimiter
    /// (`^ & ~ \ |`) or a control character (error on field `name`; nothing is escaped).
    pub fn to_xon(&self, name: &str) -> Result<String> {
        let name = hl7::check_text("name", name)?;
        Ok(format!(
            "{name}^^^^^&{}&ISO^IDNST^^^1{}",
            oid::STRUCT_IDNAT,
            self.0
        ))
    }
}

impl FromStr for Finess {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        super::check_not_blank(FIELD, s)?;
        let n = s.chars().count();
        if n != 9 {
            return Err(Error::invalid(
                FIELD,
                format!("must be 9 characters; found {n}"),
                s,
            ));
        }
        let upper: String = s.chars().map(|c| c.to_ascii_uppercase()).collect();
        let dep: String = upper.chars().take(2).collect();
        let dep_ok =
            dep == "2A" || dep == "2B" || (dep.chars().all(|c| c.is_ascii_digit()) && dep != "00");
        if !dep_ok {
            return Err(Error::invalid(
                FIELD,
                "first two characters (département) must be 01 to 99, 2A or 2B",
                s,
            ));
        }
        if let Some(c) = upper.chars().skip(2).find(|c| !c.is_ascii_digit()) {
            return Err(Error::invalid(
                FIELD,
                format!("characters 3 to 9 must be digits; found {c:?}"),
                s,
            ));
        }
        // Now 9 ASCII characters: byte slicing is safe.
        let body = upper.get(..8).unwrap_or_default();
        let key = upper.as_bytes().get(8).map_or(0, |b| b - b'0');
        let expected = expected_keys(body);
        if !expected.contains(&key) {
            let rule = match expected.as_slice() {
                [k] => format!("Luhn key (9th character) is wrong; expected {k}"),
                [k0, k1] => format!(
                    "Luhn key (9th character) is wrong; expected {k0} (Corsican letter counted \
                     as 0) or {k1} (letter counted as its rank, A=1, B=2)"
                ),
                _ => "Luhn key (9th character) is wrong".to_owned(),
            };
            return Err(Error::invalid(FIELD, rule, s));
        }
        Ok(Finess(upper))
    }
}

impl fmt::Display for Finess {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Finess {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

super::string_serde!(Finess, "a 9-character FINESS number");

#[cfg(test)]
mod tests {
    use super::super::checksum::luhn_valid;
    use super::*;

    #[test]
    fn corsica_keys_both_conventions() {
        // 2A000001?: as 20000001 → key k0, as 21000001 → key k1.
        let k0 = luhn_key(&[2, 0, 0, 0, 0, 0, 0, 1]);
        let k1 = luhn_key(&[2, 1, 0, 0, 0, 0, 0, 1]);
        assert_ne!(k0, k1);
        assert!(format!("2A000001{k0}").parse::<Finess>().is_ok());
        assert!(format!("2a000001{k1}").parse::<Finess>().is_ok());
        let bad = (0..10u8).find(|k| *k != k0 && *k != k1).unwrap();
        let e = format!("2A000001{bad}").parse::<Finess>().unwrap_err();
        assert!(e.to_string().contains(&format!("expected {k0}")), "{e}");
        assert!(luhn_valid(&[7, 5, 0, 8, 0, 3, 4, 4, 7]));
    }
}
