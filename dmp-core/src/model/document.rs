//! The kinds of documents an ESSMS sends to the DMP or reads from it, and their
//! confidentiality.
//!
//! Each kind maps to one type code of JDV_J07 (LOINC or TRE_A05); the class code is derived
//! from it through the ANS association table ASS_X04, never written by hand, so the two cannot
//! disagree.

use serde::{Deserialize, Serialize};

use crate::codes::{self, Concept};
use crate::error::{Error, Result};

/// A document kind, with its type code: those an ESSMS writes, then those it receives from
/// hospitals, laboratories and imaging centres (read on consultation, and what the
/// sandbox's seed holds as hospital documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DocumentKind {
    /// Dossier de liaison d'urgence (DLU), EHPAD: LOINC 74207-2.
    Dlu,
    /// Projet personnalisé (d'accompagnement): LOINC 80788-3.
    ProjetPersonnalise,
    /// Synthèse médicale (VSM): TRE_A05 `SYNTH`, the code of the VSM 2023 volet.
    SyntheseMedicale,
    /// Lettre de liaison à l'entrée en structure sociale ou médico-sociale: LOINC 88348-8.
    LettreLiaisonEntree,
    /// Lettre de liaison à la sortie d'une structure sociale ou médico-sociale: LOINC 83981-1.
    LettreLiaisonSortie,
    /// Grille d'évaluation médico-sociale (AGGIR…): LOINC 34842-5.
    GrilleEvaluation,
    /// CR de bilan d'évaluation de la perte d'autonomie: TRE_A05 `BIL_AUTO`.
    BilanPerteAutonomie,
    /// Directives anticipées: TRE_A05 `EXPPAT_3`.
    DirectivesAnticipees,
    /// CR ou fiche de consultation ou de visite: LOINC 11488-4.
    CrConsultation,
    /// CR de bilan fonctionnel (ergothérapie, kinésithérapie, psychomotricité): LOINC 47420-5.
    CrBilanFonctionnel,
    /// Bilan psychologique: LOINC 83901-9.
    BilanPsychologique,
    /// CR ou fiche de suivi de soins par auxiliaire médical: LOINC 11506-3.
    SuiviSoinsAuxiliaire,
    /// Plan personnalisé de soins: LOINC 18776-5.
    PlanDeSoins,
    /// Document administratif (attestation…): LOINC 51851-4.
    DocumentAdministratif,
    /// Attestation d'hébergement: TRE_A05 `ATTEST-HEBGT`.
    AttestationHebergement,
    /// Document du secteur social / médico-social (generic): LOINC 28653-4.
    DocumentSocialMedicoSocial,
    /// Export du Dossier Usager Informatisé: TRE_A05 `EXPORT_DUI`.
    ExportDui,
    /// CR hospitalier (séjour), written by a hospital and read by the ESSMS that takes the
    /// usager back: LOINC 34112-3.
    CrHospitalisation,
    /// Prescription de produits de santé (ordonnance), from a hospital or a doctor, read by
    /// the ESSMS that gives the treatment: LOINC 57833-6.
    Prescription,
    /// CR d'examens biologiques, from a laboratory, read by the ESSMS: LOINC 11502-2.
    CrBiologie,
    /// CR d'imagerie médicale, from an imaging centre, read by the ESSMS: LOINC 18748-4.
    CrImagerie,
    /// Note de vaccination, written by whoever vaccinated (the ESSMS nurse or doctor, a
    /// pharmacist) and shown to the usager in Mon espace santé: LOINC 87273-9.
    NoteVaccination,
}

impl DocumentKind {
    /// Every kind, in declaration order.
    pub const ALL: [DocumentKind; 22] = [
        DocumentKind::Dlu,
        DocumentKind::ProjetPersonnalise,
        DocumentKind::SyntheseMedicale,
        DocumentKind::LettreLiaisonEntree,
        DocumentKind::LettreLiaisonSortie,
        DocumentKind::GrilleEvaluation,
        DocumentKind::BilanPerteAutonomie,
        DocumentKind::DirectivesAnticipees,
        DocumentKind::CrConsultation,
        DocumentKind::CrBilanFonctionnel,
        DocumentKind::BilanPsychologique,
        DocumentKind::SuiviSoinsAuxiliaire,
        DocumentKind::PlanDeSoins,
        DocumentKind::DocumentAdministratif,
        DocumentKind::AttestationHebergement,
        DocumentKind::DocumentSocialMedicoSocial,
        DocumentKind::ExportDui,
        DocumentKind::CrHospitalisation,
        DocumentKind::Prescription,
        DocumentKind::CrBiologie,
        DocumentKind::CrImagerie,
        DocumentKind::NoteVaccination,
    ];

    /// The type code (CDA `ClinicalDocument/code`, XDS typeCode).
    pub fn type_code(self) -> &'static str {
        match self {
            DocumentKind::Dlu => "74207-2",
            DocumentKind::ProjetPersonnalise => "80788-3",
            DocumentKind::SyntheseMedicale => "SYNTH",
            DocumentKind::LettreLiaisonEntree => "88348-8",
            DocumentKind::LettreLiaisonSortie => "83981-1",
            DocumentKind::GrilleEvaluation => "34842-5",
            DocumentKind::BilanPerteAutonomie => "BIL_AUTO",
            DocumentKind::DirectivesAnticipees => "EXPPAT_3",
            DocumentKind::CrConsultation => "11488-4",
            DocumentKind::CrBilanFonctionnel => "47420-5",
            DocumentKind::BilanPsychologique => "83901-9",
            DocumentKind::SuiviSoinsAuxiliaire => "11506-3",
            DocumentKind::PlanDeSoins => "18776-5",
            DocumentKind::DocumentAdministratif => "51851-4",
            DocumentKind::AttestationHebergement => "ATTEST-HEBGT",
            DocumentKind::DocumentSocialMedicoSocial => "28653-4",
            DocumentKind::ExportDui => "EXPORT_DUI",
            DocumentKind::CrHospitalisation => "34112-3",
            DocumentKind::Prescription => "57833-6",
            DocumentKind::CrBiologie => "11502-2",
            DocumentKind::CrImagerie => "18748-4",
            DocumentKind::NoteVaccination => "87273-9",
        }
    }

    /// The type code with its official display name and code system (JDV_J07).
    pub fn type_concept(self) -> Result<&'static Concept> {
        codes::type_codes()
            .find(self.type_code())
            .ok_or_else(|| missing("type_code", "is not in JDV_J07 XdsTypeCode", self))
    }

    /// The class code (XDS classCode, TRE_A03) that ASS_X04 associates with the type code.
    pub fn class_concept(self) -> Result<&'static Concept> {
        codes::class_of_type(self.type_code())
            .ok_or_else(|| missing("class_code", "has no class in ASS_X04", self))
    }

    /// Finds the kind whose type code is `code`.
    pub fn from_type_code(code: &str) -> Option<DocumentKind> {
        DocumentKind::ALL
            .into_iter()
            .find(|k| k.type_code() == code)
    }
}

fn missing(field: &str, rule: &str, kind: DocumentKind) -> Error {
    Error::invalid(field, format!("type code {rule}"), kind.type_code())
}

/// HL7 confidentiality level of the CDA (`confidentialityCode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum ConfidentialityLevel {
    /// Normal.
    #[default]
    N,
    /// Restreint.
    R,
    /// Très restreint.
    V,
}

/// Confidentiality of a document: the CDA level plus the DMP visibility flags, which live in
/// the XDS metadata only (JDV_J08, code system 1.2.250.1.213.1.1.4.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Confidentiality {
    /// CDA level.
    #[serde(default)]
    pub level: ConfidentialityLevel,
    /// Masked from professionals (MASQUE_PS): only the author and the patient see it.
    #[serde(default)]
    pub masque_ps: bool,
    /// Not visible to the patient until a professional has informed them (INVISIBLE_PATIENT).
    #[serde(default)]
    pub invisible_patient: bool,
    /// Not visible to the legal representatives of a minor (INVISIBLE_REPRESENTANTS_LEGAUX).
    #[serde(default)]
    pub invisible_representants_legaux: bool,
}

impl ConfidentialityLevel {
    /// The HL7 Confidentiality code (`N`, `R`, `V`; code system 2.16.840.1.113883.5.25).
    pub fn code(self) -> &'static str {
        match self {
            ConfidentialityLevel::N => "N",
            ConfidentialityLevel::R => "R",
            ConfidentialityLevel::V => "V",
        }
    }

    /// The level of an HL7 Confidentiality code.
    pub fn from_code(code: &str) -> Option<ConfidentialityLevel> {
        match code {
            "N" => Some(ConfidentialityLevel::N),
            "R" => Some(ConfidentialityLevel::R),
            "V" => Some(ConfidentialityLevel::V),
            _ => None,
        }
    }
}

impl Confidentiality {
    /// TRE_A07 code of [`Confidentiality::masque_ps`] (code system 1.2.250.1.213.1.1.4.13).
    pub const MASQUE_PS: &'static str = "MASQUE_PS";
    /// TRE_A07 code of [`Confidentiality::invisible_patient`].
    pub const INVISIBLE_PATIENT: &'static str = "INVISIBLE_PATIENT";
    /// TRE_A07 code of [`Confidentiality::invisible_representants_legaux`].
    pub const INVISIBLE_REPRESENTANTS_LEGAUX: &'static str = "INVISIBLE_REPRESENTANTS_LEGAUX";

    /// The XDS confidentialityCode values: the level, then each flag set, as JDV_J08 concepts.
    pub fn xds_codes(&self) -> Result<Vec<&'static Concept>> {
        let mut wanted = vec![self.level.code()];
        if self.masque_ps {
            wanted.push(Self::MASQUE_PS);
        }
        if self.invisible_patient {
            wanted.push(Self::INVISIBLE_PATIENT);
        }
        if self.invisible_representants_legaux {
            wanted.push(Self::INVISIBLE_REPRESENTANTS_LEGAUX);
        }
        wanted
            .into_iter()
            .map(|code| {
                codes::confidentiality().find(code).ok_or_else(|| {
                    Error::invalid(
                        "confidentiality",
                        "is not in JDV_J08 XdsConfidentialityCode",
                        code,
                    )
                })
            })
            .collect()
    }
}
