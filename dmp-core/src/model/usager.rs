//! The usager (the person cared for), identified by the INS and the identity traits of the
//! national identity referential (RNIV).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use super::text;
use crate::error::{Error, Result};
use crate::ids::{Ins, Oid};

const NAME_MAX: usize = 100;

/// Identity status (RNIV). Only a *qualified* identity may carry the INS to the DMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InsStatus {
    /// Identité provisoire: neither checked against a document nor retrieved from INSi.
    Provisoire,
    /// Identité récupérée: INS retrieved from INSi, identity not checked against a document.
    Recuperee,
    /// Identité validée: checked against an identity document, INS not retrieved.
    Validee,
    /// Identité qualifiée: checked and INS retrieved; the only status usable for the DMP.
    Qualifiee,
}

impl InsStatus {
    /// The status as the JSON files write it (`provisoire`, `recuperee`, `validee`,
    /// `qualifiee`).
    pub fn code(self) -> &'static str {
        match self {
            InsStatus::Provisoire => "provisoire",
            InsStatus::Recuperee => "recuperee",
            InsStatus::Validee => "validee",
            InsStatus::Qualifiee => "qualifiee",
        }
    }

    /// Whether the status implies that the INS was retrieved from INSi.
    pub fn has_ins(self) -> bool {
        matches!(self, InsStatus::Recuperee | InsStatus::Qualifiee)
    }
}

/// Administrative sex as the INSi returns it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Sex {
    /// Masculin.
    M,
    /// Féminin.
    F,
    /// Unknown / undetermined.
    U,
}

impl Sex {
    /// The CDA `administrativeGenderCode` (JDV_J143: M, F, UN).
    pub fn hl7_code(self) -> &'static str {
        match self {
            Sex::M => "M",
            Sex::F => "F",
            Sex::U => "UN",
        }
    }
}

/// A birth date as the INSi returns it: full, partial (unknown day or month written `00`)
/// or "lunar" (a day that does not exist in the calendar, such as 31 February), which the
/// RNIV requires to be kept as is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BirthDate {
    year: u16,
    month: u8,
    day: u8,
}

impl BirthDate {
    /// Builds a date; `month` and `day` may be 0 (unknown). Days up to 31 are accepted in any
    /// month (lunar dates).
    pub fn new(year: u16, month: u8, day: u8) -> Result<Self> {
        let shown = format!("{year:04}-{month:02}-{day:02}");
        if !(1800..=9999).contains(&year) {
            return Err(Error::invalid(
                "birth_date",
                "year must be between 1800 and 9999",
                shown,
            ));
        }
        if month > 12 {
            return Err(Error::invalid(
                "birth_date",
                "month must be 00 (unknown) to 12",
                shown,
            ));
        }
        if day > 31 {
            return Err(Error::invalid(
                "birth_date",
                "day must be 00 (unknown) to 31",
                shown,
            ));
        }
        if month == 0 && day != 0 {
            return Err(Error::invalid(
                "birth_date",
                "a known day needs a known month",
                shown,
            ));
        }
        Ok(BirthDate { year, month, day })
    }

    /// Year.
    pub fn year(&self) -> u16 {
        self.year
    }
    /// Month, 0 when unknown.
    pub fn month(&self) -> u8 {
        self.month
    }
    /// Day, 0 when unknown.
    pub fn day(&self) -> u8 {
        self.day
    }

    /// Whether day or month is unknown.
    pub fn is_partial(&self) -> bool {
        self.month == 0 || self.day == 0
    }

    /// Whether the date does not exist in the Gregorian calendar (e.g. 1950-02-30).
    pub fn is_lunar(&self) -> bool {
        !self.is_partial()
            && chrono::NaiveDate::from_ymd_opt(
                i32::from(self.year),
                u32::from(self.month),
                u32::from(self.day),
            )
            .is_none()
    }

    /// HL7 TS form for the CDA `birthTime`: `YYYY`, `YYYYMM` or `YYYYMMDD` (lunar dates as is).
    pub fn to_hl7(&self) -> String {
        match (self.month, self.day) {
            (0, _) => format!("{:04}", self.year),
            (m, 0) => format!("{:04}{m:02}", self.year),
            (m, d) => format!("{:04}{m:02}{d:02}", self.year),
        }
    }
}

impl fmt::Display for BirthDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

impl FromStr for BirthDate {
    type Err = Error;

    /// Accepts `YYYY-MM-DD`, `YYYYMMDD`, `YYYY-MM`, `YYYYMM` and `YYYY`; `00` for unknown parts.
    fn from_str(s: &str) -> Result<Self> {
        let digits: String = s.chars().filter(|c| *c != '-').collect();
        let dashes_ok = match s.len() {
            10 => s.as_bytes().get(4) == Some(&b'-') && s.as_bytes().get(7) == Some(&b'-'),
            7 => s.as_bytes().get(4) == Some(&b'-'),
            _ => !s.contains('-'),
        };
        if !dashes_ok
            || !digits.bytes().all(|b| b.is_ascii_digit())
            || ![4, 6, 8].contains(&digits.len())
        {
            return Err(Error::invalid(
                "birth_date",
                "must be YYYY-MM-DD, YYYYMMDD, YYYY-MM or YYYY (00 for an unknown part)",
                s,
            ));
        }
        let num = |r: std::ops::Range<usize>| digits.get(r).and_then(|p| p.parse::<u16>().ok());
        let year = num(0..4).unwrap_or(0);
        let month = if digits.len() >= 6 {
            num(4..6).unwrap_or(0)
        } else {
            0
        };
        let day = if digits.len() == 8 {
            num(6..8).unwrap_or(0)
        } else {
            0
        };
        BirthDate::new(year, month as u8, day as u8).map_err(|e| match e {
            Error::Invalid(mut inv) => {
                inv.value = s.to_owned();
                Error::Invalid(inv)
            }
            other => other,
        })
    }
}

crate::ids::string_serde!(
    BirthDate,
    "a birth date YYYY-MM-DD (00 for an unknown part)"
);

/// INSEE (COG) code of the birth commune, or of the country (99xxx) for people born abroad.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CodeInsee(String);

impl CodeInsee {
    /// The 5-character code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for CodeInsee {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self> {
        let b = s.as_bytes();
        let dept_ok = b.len() == 5
            && (b[..2].iter().all(u8::is_ascii_digit) || b[..2] == *b"2A" || b[..2] == *b"2B");
        if !dept_ok || !b[2..].iter().all(u8::is_ascii_digit) {
            return Err(Error::invalid(
                "birthplace_insee",
                "must be a 5-character INSEE (COG) code: 2 digits or 2A/2B, then 3 digits",
                s,
            ));
        }
        Ok(CodeInsee(s.to_owned()))
    }
}

impl fmt::Display for CodeInsee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

crate::ids::string_serde!(CodeInsee, "a 5-character INSEE code");

/// A local patient identifier (IPP) and the OID of the system that assigns it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Ipp {
    /// The identifier.
    pub id: String,
    /// OID of the assigning authority (the DUI instance).
    pub authority: Oid,
}

/// The identity traits (traits stricts and complémentaires of the RNIV).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Traits {
    /// Nom de naissance.
    pub birth_family_name: String,
    /// Liste des prénoms de naissance, in order.
    pub birth_given_names: Vec<String>,
    /// Premier prénom de naissance; must be the first of `birth_given_names`.
    pub first_given_name: String,
    /// Nom utilisé, when different from the birth name (an equal one is dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_family_name: Option<String>,
    /// Prénom utilisé, when different from the first birth first name (an equal one is dropped).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub used_given_name: Option<String>,
    /// Sexe.
    pub sex: Sex,
    /// Date de naissance, as the INSi returns it.
    pub birth_date: BirthDate,
    /// Code INSEE du lieu de naissance; required with an INS.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthplace_insee: Option<CodeInsee>,
}

impl Traits {
    fn validated(self) -> Result<Traits> {
        let birth_family_name =
            text::required("birth_family_name", &self.birth_family_name, NAME_MAX)?;
        if self.birth_given_names.is_empty() {
            return Err(Error::invalid(
                "birth_given_names",
                "must list at least one birth first name",
                "[]",
            ));
        }
        let birth_given_names = self
            .birth_given_names
            .iter()
            .enumerate()
            .map(|(i, n)| text::required(&format!("birth_given_names[{i}]"), n, NAME_MAX))
            .collect::<Result<Vec<_>>>()?;
        let first_given_name =
            text::required("first_given_name", &self.first_given_name, NAME_MAX)?;
        if birth_given_names.first() != Some(&first_given_name) {
            return Err(Error::invalid(
                "first_given_name",
                format!(
                    "must be the first of birth_given_names ({:?})",
                    birth_given_names.first().map(String::as_str).unwrap_or("")
                ),
                &first_given_name,
            ));
        }
        // A used name equal to the birth name says nothing more: drop it, as the CDA does.
        let used_family_name = optional_name("used_family_name", &self.used_family_name)?
            .filter(|n| *n != birth_family_name);
        let used_given_name = optional_name("used_given_name", &self.used_given_name)?
            .filter(|n| *n != first_given_name);
        Ok(Traits {
            birth_family_name,
            birth_given_names,
            first_given_name,
            used_family_name,
            used_given_name,
            sex: self.sex,
            birth_date: self.birth_date,
            birthplace_insee: self.birthplace_insee,
        })
    }
}

fn optional_name(field: &str, v: &Option<String>) -> Result<Option<String>> {
    match v {
        Some(v) => text::optional(field, v, NAME_MAX),
        None => Ok(None),
    }
}

/// The fields of an [`Usager`], as given by the caller (JSON or code), before validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsagerData {
    /// The INS, when retrieved from INSi.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ins: Option<Ins>,
    /// Identity status.
    pub ins_status: InsStatus,
    /// Identity traits.
    pub traits: Traits,
    /// Local identifier (IPP), optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ipp: Option<Ipp>,
    /// Under 18: documents may need the INVISIBLE_REPRESENTANTS_LEGAUX flag.
    #[serde(default)]
    pub minor: bool,
    /// Has a legal representative (parent of a minor, tutelle…).
    #[serde(default)]
    pub legal_representative: bool,
}

/// A validated usager. Build it with [`Usager::new`] or from JSON; the rules are:
/// - an INS is present exactly when the status says it was retrieved (récupérée, qualifiée);
/// - with an INS, every strict trait is present (birth names, first given name, sex, birth
///   date, birthplace), as the CI-SIS INS rule requires in the CDA;
/// - the first given name is the first of the birth given names;
/// - names are non-empty, at most 100 characters, without control characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "UsagerData", into = "UsagerData")]
pub struct Usager(UsagerData);

impl Usager {
    /// Validates `data` into an usager.
    pub fn new(data: UsagerData) -> Result<Self> {
        let traits = data.traits.validated().map_err(|e| e.at("traits"))?;
        match (&data.ins, data.ins_status.has_ins()) {
            (None, true) => {
                return Err(Error::invalid(
                    "ins",
                    "an identity that is récupérée or qualifiée must carry its INS",
                    "",
                ))
            }
            (Some(ins), false) => {
                return Err(Error::invalid(
                    "ins",
                    "an identity that is provisoire or validée has no INS (it was not retrieved from INSi)",
                    ins.to_cx(),
                ))
            }
            _ => {}
        }
        if data.ins.is_some() && traits.birthplace_insee.is_none() {
            return Err(Error::invalid(
                "traits.birthplace_insee",
                "required with an INS (CI-SIS INS rule: birthplace/place/addr/county)",
                "",
            ));
        }
        if let Some(ipp) = &data.ipp {
            text::required("ipp.id", &ipp.id, 64)?;
            if ipp.id.contains(['^', '&', '~', '\\', '|']) {
                return Err(Error::invalid(
                    "ipp.id",
                    "must not contain HL7 delimiters ^ & ~ \\ |",
                    &ipp.id,
                ));
            }
        }
        Ok(Usager(UsagerData { traits, ..data }))
    }

    /// The INS, if retrieved.
    pub fn ins(&self) -> Option<&Ins> {
        self.0.ins.as_ref()
    }
    /// Identity status.
    pub fn ins_status(&self) -> InsStatus {
        self.0.ins_status
    }
    /// Identity traits.
    pub fn traits(&self) -> &Traits {
        &self.0.traits
    }
    /// Local identifier.
    pub fn ipp(&self) -> Option<&Ipp> {
        self.0.ipp.as_ref()
    }
    /// Whether the usager is a minor.
    pub fn is_minor(&self) -> bool {
        self.0.minor
    }
    /// Whether the usager has a legal representative.
    pub fn has_legal_representative(&self) -> bool {
        self.0.legal_representative
    }

    /// The INS to send to the DMP: present only for a *qualified* identity.
    pub fn qualified_ins(&self) -> Result<&Ins> {
        match (&self.0.ins, self.0.ins_status) {
            (Some(ins), InsStatus::Qualifiee) => Ok(ins),
            (_, status) => Err(Error::invalid(
                "ins_status",
                "the DMP only accepts a qualified identity (identité qualifiée)",
                format!("{status:?}").to_lowercase(),
            )),
        }
    }
}

super::validated_via!(Usager, UsagerData);
