//! National identifier of a professional, PS_IdNat, and its HL7 XCN rendering.

use std::fmt;
use std::str::FromStr;

use super::{hl7, oid, Adeli, Finess, Rpps};
use crate::error::{Error, Result};

const FIELD: &str = "idnat_ps";

/// Maximum length of the local part of a [`LocalPsId`], in characters.
pub const MAX_LOCAL_ID_CHARS: usize = 64;

/// The structure that assigned a local identifier to a professional, with its PS_IdNat
/// prefix digit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LocalIdKind {
    /// `1` + ADELI number of the practice (cabinet). Shape checked: 1 to 20 ASCII letters or
    /// digits.
    AdeliCabinet,
    /// `3` + FINESS of the establishment: the usual case for ESSMS staff without RPPS.
    /// The structure must be a [`Finess`].
    Finess,
    /// `4` + SIREN (9 digits; shape only).
    Siren,
    /// `5` + SIRET (14 digits; shape only).
    Siret,
    /// `6` + RPPS identifier of the practice (cabinet). Shape checked: 1 to 20 ASCII letters
    /// or digits.
    RppsCabinet,
}

impl LocalIdKind {
    /// All kinds, in prefix order.
    pub const ALL: [LocalIdKind; 5] = [
        LocalIdKind::AdeliCabinet,
        LocalIdKind::Finess,
        LocalIdKind::Siren,
        LocalIdKind::Siret,
        LocalIdKind::RppsCabinet,
    ];

    /// The PS_IdNat prefix digit: `1`, `3`, `4`, `5` or `6`.
    pub fn prefix(self) -> char {
        match self {
            LocalIdKind::AdeliCabinet => '1',
            LocalIdKind::Finess => '3',
            LocalIdKind::Siren => '4',
            LocalIdKind::Siret => '5',
            LocalIdKind::RppsCabinet => '6',
        }
    }

    /// The kind for a prefix digit, if any.
    pub fn from_prefix(c: char) -> Option<LocalIdKind> {
        LocalIdKind::ALL.into_iter().find(|k| k.prefix() == c)
    }

    /// Checks `structure` for this kind; returns its canonical text.
    fn check_structure(self, structure: &str) -> Result<String> {
        match self {
            LocalIdKind::Finess => structure.parse::<Finess>().map(|f| f.as_str().to_owned()),
            LocalIdKind::Siren => super::prof::digits_exact("siren", structure, 9, "SIREN")
                .map(|_| structure.to_owned()),
            LocalIdKind::Siret => super::prof::digits_exact("siret", structure, 14, "SIRET")
                .map(|_| structure.to_owned()),
            LocalIdKind::AdeliCabinet | LocalIdKind::RppsCabinet => {
                let field = "structure";
                super::check_not_blank(field, structure)?;
                let n = structure.chars().count();
                if n > 20 || !structure.chars().all(|c| c.is_ascii_alphanumeric()) {
                    return Err(Error::invalid(
                        field,
                        "practice identifier must be 1 to 20 ASCII letters or digits",
                        structure,
                    ));
                }
                Ok(structure.to_owned())
            }
        }
    }
}

/// Checks the local part of a local PS_IdNat (`field` names it in errors).
fn check_local_id(field: &str, s: &str) -> Result<()> {
    let n = s.chars().count();
    if n == 0 || n > MAX_LOCAL_ID_CHARS {
        return Err(Error::invalid(
            field,
            format!("local identifier must be 1 to {MAX_LOCAL_ID_CHARS} characters; found {n}"),
            s,
        ));
    }
    if s.trim().is_empty() {
        return Err(Error::invalid(
            field,
            "local identifier must not be whitespace only",
            s,
        ));
    }
    if s.trim() != s {
        return Err(Error::invalid(
            field,
            "local identifier must not have leading or trailing whitespace",
            s,
        ));
    }
    if s.contains('/') {
        return Err(Error::invalid(
            field,
            "local identifier must not contain '/' (it separates structure and local id)",
            s,
        ));
    }
    if let Some(c) = hl7::forbidden_char(s) {
        return Err(Error::invalid(field, hl7::forbidden_rule(c), s));
    }
    Ok(())
}

/// A professional known by a structure under a local identifier: `<prefix><structure>/<local id>`.
///
/// The local id is 1 to 64 characters, without `/`, HL7 delimiters (`^ & ~ \ |`), control
/// characters, or leading/trailing whitespace.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LocalPsId {
    kind: LocalIdKind,
    structure: String,
    local_id: String,
}

impl LocalPsId {
    /// Which structure identifier the local id hangs off.
    pub fn kind(&self) -> LocalIdKind {
        self.kind
    }

    /// The structure identifier (FINESS, SIREN…), without the prefix digit.
    pub fn structure(&self) -> &str {
        &self.structure
    }

    /// The local identifier given by the structure.
    pub fn local_id(&self) -> &str {
        &self.local_id
    }
}

/// National identifier of a professional (PS_IdNat), the XDS `authorPerson` id and the
/// CDA `assignedAuthor/id@extension` under [`oid::PS_IDNAT`].
///
/// | variant | text |
/// |---|---|
/// | [`IdNatPs::Rpps`] | `8` + RPPS (`810002422979`) |
/// | [`IdNatPs::Adeli`] | `0` + ADELI |
/// | [`IdNatPs::Local`] | `<1/3/4/5/6><structure>/<local id>` (`3750803447/1453`) |
///
/// [`FromStr`] parses all forms (strictly: a `3…` structure must be a key-valid FINESS).
/// A test-platform FINESS can be used through [`IdNatPs::local_finess`] with
/// [`Finess::parse_unchecked_key`]; such a value prints fine but does not parse back.
///
/// ```
/// use dmp_core::ids::{Finess, IdNatPs};
/// let id: IdNatPs = "3750803447/1453".parse().unwrap();
/// assert_eq!(
///     id.to_xcn("DUPONT", "Marie").unwrap(),
///     "3750803447/1453^DUPONT^Marie^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS"
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum IdNatPs {
    /// A professional with an RPPS number: `8` + RPPS.
    Rpps(Rpps),
    /// A professional with an ADELI number: `0` + ADELI.
    Adeli(Adeli),
    /// A professional known only locally by a structure.
    Local(LocalPsId),
}

impl IdNatPs {
    /// Validates `s`; same as [`str::parse`].
    pub fn new(s: &str) -> Result<Self> {
        s.parse()
    }

    /// `3<FINESS>/<local id>`: staff of an establishment known by a local id.
    /// Errors name the field `local_id`.
    pub fn local_finess(finess: &Finess, local_id: &str) -> Result<IdNatPs> {
        check_local_id("local_id", local_id)?;
        Ok(IdNatPs::Local(LocalPsId {
            kind: LocalIdKind::Finess,
            structure: finess.as_str().to_owned(),
            local_id: local_id.to_owned(),
        }))
    }

    /// `<prefix><structure>/<local id>` for any kind; the structure is checked for its kind
    /// (a FINESS must be key-valid). Errors name `structure` (or `finess`, `siren`, `siret`)
    /// or `local_id`.
    pub fn local(kind: LocalIdKind, structure: &str, local_id: &str) -> Result<IdNatPs> {
        let structure = kind.check_structure(structure)?;
        check_local_id("local_id", local_id)?;
        Ok(IdNatPs::Local(LocalPsId {
            kind,
            structure,
            local_id: local_id.to_owned(),
        }))
    }

    /// The HL7 v2 XCN of the XDS `authorPerson`/`legalAuthenticator`:
    /// `<idnat>^<family>^<given>^^^^^^&1.2.250.1.71.4.2.1&ISO^D^^^IDNPS`.
    ///
    /// The names are kept as given (no upper-casing: the caller decides; the DMP examples
    /// upper-case the family name) except that surrounding whitespace is trimmed. Each must
    /// be non-empty and free of HL7 delimiters (`^ & ~ \ |`) and control characters; errors
    /// name the field `family` or `given`. Nothing is escaped.
    ///
    /// Identifier type code: `IDNPS`, as the CI-SIS requires. (One official DMP example uses
    /// `EI` there; we do not follow it.)
    pub fn to_xcn(&self, family: &str, given: &str) -> Result<String> {
        let family = hl7::check_text("family", family)?;
        let given = hl7::check_text("given", given)?;
        Ok(format!(
            "{self}^{family}^{given}^^^^^^&{}&ISO^D^^^IDNPS",
            oid::PS_IDNAT
        ))
    }
}

impl FromStr for IdNatPs {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        super::check_not_blank(FIELD, s)?;
        let Some(first) = s.chars().next() else {
            return Err(Error::invalid(FIELD, "must not be empty", s));
        };
        // `first` is a whole character, so this split is on a char boundary.
        let rest = s.get(first.len_utf8()..).unwrap_or_default();
        match first {
            '8' => rest.parse().map(IdNatPs::Rpps).map_err(|e| e.at(FIELD)),
            '0' => rest.parse().map(IdNatPs::Adeli).map_err(|e| e.at(FIELD)),
            c => {
                let Some(kind) = LocalIdKind::from_prefix(c) else {
                    return Err(Error::invalid(
                        FIELD,
                        "must start with 8 (RPPS), 0 (ADELI), or 1, 3, 4, 5, 6 (structure/local id)",
                        s,
                    ));
                };
                let Some((structure, local_id)) = rest.split_once('/') else {
                    return Err(Error::invalid(
                        FIELD,
                        format!(
                            "prefix {c} must be followed by <structure>/<local id> (e.g. \
                             3<FINESS>/<local id>)"
                        ),
                        s,
                    ));
                };
                let structure = kind.check_structure(structure).map_err(|e| e.at(FIELD))?;
                check_local_id("local_id", local_id).map_err(|e| e.at(FIELD))?;
                Ok(IdNatPs::Local(LocalPsId {
                    kind,
                    structure,
                    local_id: local_id.to_owned(),
                }))
            }
        }
    }
}

impl fmt::Display for IdNatPs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            IdNatPs::Rpps(r) => write!(f, "8{r}"),
            IdNatPs::Adeli(a) => write!(f, "0{a}"),
            IdNatPs::Local(l) => write!(f, "{}{}/{}", l.kind.prefix(), l.structure, l.local_id),
        }
    }
}

super::string_serde!(
    IdNatPs,
    "a PS_IdNat such as \"810002422979\" or \"3750803447/1453\""
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_round_trip() {
        for k in LocalIdKind::ALL {
            assert_eq!(LocalIdKind::from_prefix(k.prefix()), Some(k));
        }
        assert_eq!(LocalIdKind::from_prefix('2'), None);
        assert_eq!(LocalIdKind::from_prefix('8'), None);
    }

    #[test]
    fn multibyte_first_char_does_not_panic() {
        assert!("é/1".parse::<IdNatPs>().is_err());
        assert!("3é".parse::<IdNatPs>().is_err());
    }
}
