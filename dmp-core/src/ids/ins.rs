//! The INS (Identifiant National de Santé): matricule (NIR or NIA + key) and its OID.

use std::fmt;
use std::str::FromStr;

use super::checksum::nir_key;
use super::oid;
use crate::error::{Error, Result};

const FIELD: &str = "ins";

/// Which register the INS matricule comes from, told by the OID of the INS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum InsSystem {
    /// INS-NIR, production ([`oid::INS_NIR`]).
    Nir,
    /// INS-NIA, production ([`oid::INS_NIA`]): a waiting number given by INSEE.
    Nia,
    /// INS-NIR *de test* ([`oid::INS_NIR_TEST`]), used by the DMP test platform.
    NirTest,
    /// INS-NIR *de démonstration* ([`oid::INS_NIR_DEMO`]).
    NirDemo,
}

impl InsSystem {
    /// All systems, production first.
    pub const ALL: [InsSystem; 4] = [
        InsSystem::Nir,
        InsSystem::Nia,
        InsSystem::NirTest,
        InsSystem::NirDemo,
    ];

    /// The OID of this system.
    pub fn oid(self) -> &'static str {
        match self {
            InsSystem::Nir => oid::INS_NIR,
            InsSystem::Nia => oid::INS_NIA,
            InsSystem::NirTest => oid::INS_NIR_TEST,
            InsSystem::NirDemo => oid::INS_NIR_DEMO,
        }
    }

    /// The system whose OID is `oid` exactly, if any. The legacy INS-C
    /// ([`oid::INS_C_LEGACY`]) is not an INS system here and gives `None`.
    pub fn from_oid(oid: &str) -> Option<InsSystem> {
        InsSystem::ALL.into_iter().find(|s| s.oid() == oid)
    }

    /// True for the test and demonstration systems (no real person behind the INS).
    pub fn is_test(self) -> bool {
        matches!(self, InsSystem::NirTest | InsSystem::NirDemo)
    }

    /// Short French label, as in the CI-SIS style sheets (`INS-NIR`, `INS-NIR de test`…).
    pub fn label(self) -> &'static str {
        match self {
            InsSystem::Nir => "INS-NIR",
            InsSystem::Nia => "INS-NIA",
            InsSystem::NirTest => "INS-NIR de test",
            InsSystem::NirDemo => "INS-NIR de démonstration",
        }
    }
}

impl fmt::Display for InsSystem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// The error for an OID that is not one of the four INS systems.
fn unknown_oid(field: &str, value: &str) -> Error {
    let rule = if value == oid::INS_C_LEGACY {
        "the legacy INS-C (1.2.250.1.213.1.4.2) is not accepted; use the INS-NIR or INS-NIA \
         returned by the INSi service"
            .to_owned()
    } else {
        format!(
            "must be an INS OID: {} (NIR), {} (NIA), {} (test NIR) or {} (demo NIR)",
            oid::INS_NIR,
            oid::INS_NIA,
            oid::INS_NIR_TEST,
            oid::INS_NIR_DEMO
        )
    };
    Error::invalid(field, rule, value)
}

/// An INS matricule: the 13-character NIR or NIA followed by its 2-digit key (15 characters).
///
/// Shape: the 1st character (sex) is a digit `1`–`8`; characters 6–7 (département of birth)
/// are two digits or `2A`/`2B` (Corsica; `2a`/`2b` are accepted and upper-cased); all other
/// characters are digits. Key = 97 − (number mod 97), where for Corsica `2A` counts as `19`
/// and `2B` as `18` in the number.
///
/// ```
/// use dmp_core::ids::Matricule;
/// let m: Matricule = "279035121518989".parse().unwrap();
/// assert_eq!(m.key(), 89);
/// assert!("279035121518988".parse::<Matricule>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Matricule(String);

impl Matricule {
    /// Validates `s`; same as [`str::parse`].
    pub fn new(s: &str) -> Result<Self> {
        s.parse()
    }

    /// Validates `s`, naming `field` in errors.
    pub(crate) fn parse_as(field: &str, s: &str) -> Result<Self> {
        super::check_not_blank(field, s)?;
        let n = s.chars().count();
        if n != 15 {
            return Err(Error::invalid(
                field,
                format!("must be 15 characters (13-character NIR/NIA and 2-digit key); found {n}"),
                s,
            ));
        }
        // 15 characters: now check they are ASCII, so that byte indices are char indices.
        let mut bytes: Vec<u8> = Vec::with_capacity(15);
        for (i, c) in s.chars().enumerate() {
            let corsica_letter = i == 6 && matches!(c, 'A' | 'B' | 'a' | 'b');
            if !(c.is_ascii_digit() || corsica_letter) {
                return Err(Error::invalid(
                    field,
                    format!(
                        "must be digits, except 2A/2B (Corsica) at positions 6-7; found {c:?} \
                         at position {}",
                        i + 1
                    ),
                    s,
                ));
            }
            bytes.push(c.to_ascii_uppercase() as u8);
        }
        let sex = bytes.first().copied().unwrap_or(b'0');
        if !(b'1'..=b'8').contains(&sex) {
            return Err(Error::invalid(
                field,
                "first character (sex) must be a digit from 1 to 8",
                s,
            ));
        }
        // Corsica: position 7 is a letter only after a '2' at position 6.
        let dep = (bytes.get(5).copied(), bytes.get(6).copied());
        let corsica = match dep {
            (Some(b'2'), Some(b'A')) => Some(19u64),
            (Some(b'2'), Some(b'B')) => Some(18u64),
            (_, Some(b'A' | b'B')) => {
                return Err(Error::invalid(
                    field,
                    "a letter at position 7 is only allowed in the Corsican départements 2A/2B",
                    s,
                ))
            }
            _ => None,
        };
        let mut number: u64 = 0;
        for (i, &b) in bytes.iter().take(13).enumerate() {
            let d = match (i, corsica) {
                (5, Some(v)) => v / 10,
                (6, Some(v)) => v % 10,
                _ => u64::from(b - b'0'),
            };
            number = number * 10 + d;
        }
        let key = bytes
            .iter()
            .skip(13)
            .fold(0u8, |acc, &b| acc * 10 + (b - b'0'));
        let expected = nir_key(number);
        if key != expected {
            return Err(Error::invalid(
                field,
                format!(
                    "NIR key must equal 97 - (first 13 digits mod 97, with 2A as 19 and 2B as \
                     18); expected {expected:02}"
                ),
                s,
            ));
        }
        // All bytes are ASCII digits or uppercase letters.
        let canonical: String = bytes.iter().map(|&b| char::from(b)).collect();
        Ok(Matricule(canonical))
    }

    /// The 15-character matricule.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The 13-character NIR or NIA, without the key.
    pub fn number(&self) -> &str {
        // The string is 15 ASCII characters (checked at construction).
        self.0.get(..13).unwrap_or_default()
    }

    /// The key, `1..=97`.
    pub fn key(&self) -> u8 {
        self.0
            .bytes()
            .skip(13)
            .fold(0u8, |acc, b| acc * 10 + (b - b'0'))
    }
}

impl FromStr for Matricule {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        Matricule::parse_as(FIELD, s)
    }
}

impl fmt::Display for Matricule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl AsRef<str> for Matricule {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

super::string_serde!(
    Matricule,
    "a 15-character INS matricule (NIR or NIA and key)"
);

/// An INS: the matricule and the system (OID) it belongs to.
///
/// Text form (`Display`/`FromStr`): the HL7 v2 CX of the XDS `patientId`,
/// `<matricule>^^^&<OID>&ISO^NH`. JSON form: `{"matricule": "…", "oid": "…"}`.
///
/// ```
/// use dmp_core::ids::{Ins, InsSystem};
/// let ins = Ins::from_cx("207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH").unwrap();
/// assert_eq!(ins.system(), InsSystem::NirTest);
/// assert_eq!(ins.to_cx(), "207058575627097^^^&1.2.250.1.213.1.4.10&ISO^NH");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Ins {
    matricule: Matricule,
    system: InsSystem,
}

impl Ins {
    /// An INS from its parts.
    pub fn new(matricule: Matricule, system: InsSystem) -> Ins {
        Ins { matricule, system }
    }

    /// Validates a matricule and an OID (which must be one of the four INS OIDs).
    pub fn parse(matricule: &str, oid: &str) -> Result<Ins> {
        let system = InsSystem::from_oid(oid).ok_or_else(|| unknown_oid(FIELD, oid))?;
        Ok(Ins {
            matricule: matricule.parse()?,
            system,
        })
    }

    /// The matricule.
    pub fn matricule(&self) -> &Matricule {
        &self.matricule
    }

    /// The system.
    pub fn system(&self) -> InsSystem {
        self.system
    }

    /// The OID of the system.
    pub fn oid(&self) -> &'static str {
        self.system.oid()
    }

    /// True for a test or demonstration INS.
    pub fn is_test(&self) -> bool {
        self.system.is_test()
    }

    /// The HL7 v2 CX form used for the XDS `patientId`/`sourcePatientId`:
    /// `<matricule>^^^&<OID>&ISO^NH` (without the optional CX.7 date).
    pub fn to_cx(&self) -> String {
        format!("{}^^^&{}&ISO^NH", self.matricule, self.system.oid())
    }

    /// Parses the CX form. Components after CX.5 (such as the CX.7 date
    /// `…^NH^^20100907` of the DMP examples) are tolerated and ignored; CX.2 and CX.3 must
    /// be empty, CX.4 must be `&<INS OID>&ISO` (its namespace id is ignored) and CX.5 `NH`.
    pub fn from_cx(cx: &str) -> Result<Ins> {
        super::check_not_blank(FIELD, cx)?;
        let comps: Vec<&str> = cx.split('^').collect();
        if comps.len() < 5 {
            return Err(Error::invalid(
                FIELD,
                "CX must have the form <matricule>^^^&<OID>&ISO^NH",
                cx,
            ));
        }
        let get = |i: usize| comps.get(i).copied().unwrap_or_default();
        let matricule = Matricule::parse_as(FIELD, get(0))?;
        if !get(1).is_empty() || !get(2).is_empty() {
            return Err(Error::invalid(
                FIELD,
                "CX.2 and CX.3 (check digit and scheme) must be empty",
                cx,
            ));
        }
        let hd: Vec<&str> = get(3).split('&').collect();
        let (oid, ty) = match hd.as_slice() {
            [_namespace, oid, ty] => (*oid, *ty),
            _ => {
                return Err(Error::invalid(
                    FIELD,
                    "CX.4 (assigning authority) must be &<OID>&ISO",
                    cx,
                ))
            }
        };
        if ty != "ISO" {
            return Err(Error::invalid(
                FIELD,
                "CX.4 (assigning authority) must be &<OID>&ISO (universal id type ISO)",
                cx,
            ));
        }
        let system = InsSystem::from_oid(oid).ok_or_else(|| unknown_oid(FIELD, oid))?;
        if get(4) != "NH" {
            return Err(Error::invalid(
                FIELD,
                "CX.5 (identifier type code) must be NH",
                cx,
            ));
        }
        Ok(Ins { matricule, system })
    }
}

impl FromStr for Ins {
    type Err = Error;

    /// Same as [`Ins::from_cx`].
    fn from_str(s: &str) -> Result<Self> {
        Ins::from_cx(s)
    }
}

impl fmt::Display for Ins {
    /// Same as [`Ins::to_cx`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}^^^&{}&ISO^NH", self.matricule, self.system.oid())
    }
}

impl serde::Serialize for Ins {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let mut st = s.serialize_struct("Ins", 2)?;
        st.serialize_field("matricule", self.matricule.as_str())?;
        st.serialize_field("oid", self.system.oid())?;
        st.end()
    }
}

impl<'de> serde::Deserialize<'de> for Ins {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct Raw {
            matricule: String,
            oid: String,
        }
        let raw = Raw::deserialize(d)?;
        let matricule = Matricule::parse_as("ins.matricule", &raw.matricule)
            .map_err(serde::de::Error::custom)?;
        let system = InsSystem::from_oid(&raw.oid)
            .ok_or_else(|| unknown_oid("ins.oid", &raw.oid))
            .map_err(serde::de::Error::custom)?;
        Ok(Ins { matricule, system })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn corsica_substitution() {
        // 1 85 05 2A 004 123 → number with 19 in place of 2A.
        let key = nir_key(1_850_519_004_123);
        let m: Matricule = format!("185052a004123{key:02}").parse().unwrap();
        assert_eq!(m.as_str(), format!("185052A004123{key:02}"));
        assert_eq!(m.number(), "185052A004123");
        assert_eq!(m.key(), key);
    }

    #[test]
    fn letter_outside_corsica() {
        let e = "185051A00412300".parse::<Matricule>().unwrap_err();
        assert!(e.to_string().contains("Corsican"), "{e}");
    }
}
