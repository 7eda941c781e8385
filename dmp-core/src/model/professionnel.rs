//! A professional of the structure: identified nationally (RPPS/ADELI) or locally
//! (`3`+FINESS+`/`+id), with a profession, maybe a specialty and a role, and the personal
//! card (if any) that decides whether they can *consult* the DMP.

use serde::{Deserialize, Serialize};

use super::profession::{FonctionEssms, Profession, ProfessionSystem};
use super::text;
use crate::codes::{self, Concept};
use crate::error::{Error, Result};
use crate::ids::IdNatPs;

const NAME_MAX: usize = 100;

/// The personal authentication means a professional holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Card {
    /// Carte de Professionnel de Santé.
    Cps,
    /// Carte de Professionnel en Formation (student; same rights table as the CPS).
    Cpf,
    /// Carte de Personnel d'Établissement (non-health staff).
    Cpe,
    /// e-CPS (Pro Santé Connect), the mobile counterpart of the CPS.
    ECps,
    /// No personal card: the person can only act through the establishment's certificates.
    None,
}

impl Card {
    /// Whether the card authenticates a health professional directly (CPS, CPF, e-CPS).
    pub fn is_ps_card(self) -> bool {
        matches!(self, Card::Cps | Card::Cpf | Card::ECps)
    }
}

/// The fields of a [`Professionnel`] before validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfessionnelData {
    /// National identifier (IdNat_PS): `8`+RPPS, `0`+ADELI, or `3`+FINESS+`/`+local id.
    pub idnat: IdNatPs,
    /// Family name (nom d'exercice).
    pub family_name: String,
    /// Given name (prénom d'exercice).
    pub given_name: String,
    /// Profession, in TRE_G15 (health), TRE_R94, TRE_R95, TRE_R291 or TRE_A00. Staff whose
    /// job has no profession code (secrétaire, directeur, animateur…) give a `role` instead.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profession: Option<Profession>,
    /// Specialty / savoir-faire code: for a médecin a TRE_R38 specialty (`SM26` médecine
    /// générale, formerly TRE_R01), for a pharmacien a TRE_G05 section (`A`, `D`…), for an
    /// infirmier a specialisation (`SI01`…). Must form, with the profession, a code of
    /// JDV_J01 (`G15_10/SM26`, `G15_21/A`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub specialty: Option<String>,
    /// Role in the care (TRE_R85, e.g. `330` coordonnateur de parcours), where relevant.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// Function row of the habilitation matrix for social and medico-social staff.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function: Option<FonctionEssms>,
    /// Personal card held.
    pub card: Card,
    /// Job title in the structure (free text, for reports), e.g. "IDEC".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub job_title: Option<String>,
}

/// A validated professional. Rules:
/// - names non-empty, at most 100 characters, no control characters;
/// - a profession or a role is given; the profession code exists in its terminology (TRE_R291 has no table in this release:
///   any code of 1–10 digits is accepted);
/// - a specialty forms, with a TRE_G15 profession, a code of JDV_J01 (`G15_10/SM26`);
/// - a role exists in TRE_R85;
/// - an RPPS or ADELI identifier goes with a person's profession (not a TRE_A00 device code);
///   a CPS/CPF/e-CPS card with an RPPS/ADELI identifier (a local identifier has no card in the
///   national directory); a CPE card with a non-health profession.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "ProfessionnelData", into = "ProfessionnelData")]
pub struct Professionnel(ProfessionnelData);

impl Professionnel {
    /// Validates `data` into a professional.
    pub fn new(data: ProfessionnelData) -> Result<Self> {
        let family_name = text::required("family_name", &data.family_name, NAME_MAX)?;
        let given_name = text::required("given_name", &data.given_name, NAME_MAX)?;
        let job_title = match &data.job_title {
            Some(t) => text::optional("job_title", t, NAME_MAX)?,
            None => None,
        };
        if let Some(p) = &data.profession {
            check_profession(p)?;
        } else if data.role.is_none() {
            return Err(Error::invalid(
                "profession",
                "a profession or a role (TRE_R85) is required: the CDA author needs a code",
                "",
            ));
        }
        let specialty = match (&data.specialty, &data.profession) {
            (Some(s), Some(p)) => Some(check_specialty(p, s)?),
            (Some(s), None) => {
                return Err(Error::invalid(
                    "specialty",
                    "a specialty needs a health profession (TRE_G15)",
                    s,
                ))
            }
            (None, _) => None,
        };
        if let Some(role) = &data.role {
            if codes::roles().find(role).is_none() {
                return Err(Error::invalid(
                    "role",
                    "must be a code of TRE_R85 RolePriseCharge",
                    role,
                ));
            }
        }
        let national = matches!(data.idnat, IdNatPs::Rpps(_) | IdNatPs::Adeli(_));
        let system = data.profession.as_ref().map(|p| p.system);
        if national && system == Some(ProfessionSystem::A00) {
            return Err(Error::invalid(
                "idnat",
                "an RPPS/ADELI identifier belongs to a person; TRE_A00 codes are for devices and software",
                data.idnat.to_string(),
            ));
        }
        if data.card.is_ps_card() && !national {
            return Err(Error::invalid(
                "card",
                "a CPS, CPF or e-CPS is issued to a professional registered in RPPS/ADELI; use the 8+RPPS or 0+ADELI identifier",
                data.idnat.to_string(),
            ));
        }
        if data.card == Card::Cpe && system == Some(ProfessionSystem::G15) {
            return Err(Error::invalid(
                "card",
                "a CPE is issued to non-health staff; a health professional holds a CPS or e-CPS",
                "cpe",
            ));
        }
        Ok(Professionnel(ProfessionnelData {
            family_name,
            given_name,
            specialty,
            job_title,
            ..data
        }))
    }

    /// National identifier.
    pub fn idnat(&self) -> &IdNatPs {
        &self.0.idnat
    }
    /// Family name.
    pub fn family_name(&self) -> &str {
        &self.0.family_name
    }
    /// Given name.
    pub fn given_name(&self) -> &str {
        &self.0.given_name
    }
    /// Profession, if coded.
    pub fn profession(&self) -> Option<&Profession> {
        self.0.profession.as_ref()
    }
    /// Specialty code.
    pub fn specialty(&self) -> Option<&str> {
        self.0.specialty.as_deref()
    }
    /// Role code (TRE_R85).
    pub fn role(&self) -> Option<&str> {
        self.0.role.as_deref()
    }
    /// Function row for social and medico-social staff.
    pub fn function(&self) -> Option<FonctionEssms> {
        self.0.function
    }
    /// Personal card.
    pub fn card(&self) -> Card {
        self.0.card
    }
    /// Job title in the structure.
    pub fn job_title(&self) -> Option<&str> {
        self.0.job_title.as_deref()
    }

    /// Whether this is a health professional (profession in TRE_G15).
    pub fn is_health_professional(&self) -> bool {
        self.0.profession.as_ref().map(|p| p.system) == Some(ProfessionSystem::G15)
    }

    /// Whether this is a physician (TRE_G15 code 10).
    pub fn is_medecin(&self) -> bool {
        self.is_health_professional()
            && self.0.profession.as_ref().map(|p| p.code.as_str()) == Some("10")
    }

    /// The JDV_J01 author specialty the CDA and XDS metadata carry for this person (author
    /// `code`, XDS authorSpecialty): the first of `G15_<profession>/<specialty>`,
    /// `G15_<profession>`, the TRE_R85 role, or the non-health profession code that JDV_J01
    /// contains. `None` when none is in JDV_J01 (e.g. a deprecated TRE_G15 code without a
    /// role): such a person cannot be a document author until a role is given.
    pub fn author_specialty(&self) -> Option<&'static Concept> {
        let mut candidates: Vec<String> = Vec::new();
        if let Some(p) = &self.0.profession {
            if p.system == ProfessionSystem::G15 {
                if let Some(s) = &self.0.specialty {
                    candidates.push(format!("G15_{}/{}", p.code, s));
                }
                candidates.push(format!("G15_{}", p.code));
            }
        }
        candidates.extend(self.0.role.iter().cloned());
        if let Some(p) = &self.0.profession {
            if p.system != ProfessionSystem::G15 {
                candidates.push(p.code.clone());
            }
        }
        candidates.iter().find_map(|c| codes::author_specialty(c))
    }

    /// The HL7 XCN rendering used for authorPerson / legalAuthenticator.
    pub fn to_xcn(&self) -> Result<String> {
        self.0.idnat.to_xcn(&self.0.family_name, &self.0.given_name)
    }
}

super::validated_via!(Professionnel, ProfessionnelData);

fn check_profession(p: &Profession) -> Result<()> {
    let table = match p.system {
        ProfessionSystem::G15 => Some(codes::professions_sante()),
        ProfessionSystem::R94 => Some(codes::professions_social()),
        ProfessionSystem::R95 => Some(codes::usager_titres()),
        ProfessionSystem::A00 => Some(codes::producteurs_non_ps()),
        ProfessionSystem::R291 => None,
    };
    match table {
        Some(t) if t.find(&p.code).is_some() => Ok(()),
        Some(t) => Err(Error::invalid(
            "profession.code",
            format!("must be a code of {} ({})", p.system.name(), t.name),
            &p.code,
        )),
        None if (1..=10).contains(&p.code.len()) && p.code.bytes().all(|b| b.is_ascii_digit()) => {
            Ok(())
        }
        None => Err(Error::invalid(
            "profession.code",
            "a TRE_R291 code is 1 to 10 digits",
            &p.code,
        )),
    }
}

fn check_specialty(p: &Profession, specialty: &str) -> Result<String> {
    let specialty = specialty.trim().to_owned();
    if p.system != ProfessionSystem::G15 {
        return Err(Error::invalid(
            "specialty",
            "only health professions (TRE_G15) carry a specialty",
            &specialty,
        ));
    }
    let combined = format!("G15_{}/{}", p.code, specialty);
    if codes::author_specialty(&combined).is_none() {
        return Err(Error::invalid(
            "specialty",
            format!(
                "G15_{}/<specialty> must be a code of JDV_J01 XdsAuthorSpecialty",
                p.code
            ),
            &specialty,
        ));
    }
    Ok(specialty)
}
