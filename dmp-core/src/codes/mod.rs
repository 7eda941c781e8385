//! ANS nomenclatures (JDV/TRE/ASS): generated tables and lookups.
//!
//! The tables live in [`generated`], written by `dmp-codegen` from the ANS files of
//! `../shared/data/nomenclatures/` (regenerate with `cargo run -p dmp-codegen -- --shared ../shared`,
//! check with `cargo run -p dmp-codegen -- --check`). Each [`ValueSet`] keeps its source order
//! and holds only active concepts: concepts retired in the source (SVS `dateFin` set, FHIR
//! `dateFin` property or status retired/deprecated) are left out, so a code found here is
//! usable today as far as the source file knows.
//!
//! Two value sets have no source file and are written by hand in this module:
//! [`access_modes`] (TRE_R248) and [`visibility`] (TRE_A07).
//!
//! Lookups give the code, the official display name and the code system OID; the code
//! system OIDs the rest of the library needs are the constants of [`system`].
//!
//! Integration tests: codes.

pub mod generated;

pub use generated::{FORMAT_CODES, TYPE_TO_CLASS};

/// One coded concept: code, official display name, code system OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Concept {
    /// The code (`60`, `74207-2`, `SA41`…).
    pub code: &'static str,
    /// The official display name (French), as in the source file.
    pub display: &'static str,
    /// OID of the code system the code belongs to (not the value set's OID).
    pub system: &'static str,
}

impl Concept {
    /// A concept from its parts.
    pub const fn new(code: &'static str, display: &'static str, system: &'static str) -> Self {
        Concept {
            code,
            display,
            system,
        }
    }
}

/// A value set (JDV) or terminology (TRE): concepts in source order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ValueSet {
    /// Short identifier: `JDV_J07`, `TRE_G15`…
    pub id: &'static str,
    /// Name in the source file (`JDV_J07_XdsTypeCode_CISIS`…).
    pub name: &'static str,
    /// OID of the value set (for a TRE, the OID of the code system).
    pub oid: &'static str,
    /// Version of the source: date of last update (`2024-09-27`) or the file's own label.
    pub version: &'static str,
    /// Active concepts, in source order; codes are unique within a value set.
    pub concepts: &'static [Concept],
}

impl ValueSet {
    /// The concept with this code, if any (exact, case-sensitive match).
    pub fn find(&self, code: &str) -> Option<&'static Concept> {
        self.concepts.iter().find(|c| c.code == code)
    }

    /// Whether the value set has this code.
    pub fn contains(&self, code: &str) -> bool {
        self.find(code).is_some()
    }

    /// Number of concepts.
    pub fn len(&self) -> usize {
        self.concepts.len()
    }

    /// Whether the value set has no concept.
    pub fn is_empty(&self) -> bool {
        self.concepts.is_empty()
    }

    /// The concepts, in source order.
    pub fn iter(&self) -> std::slice::Iter<'static, Concept> {
        self.concepts.iter()
    }
}

/// One row of ASS_A11: the XDS formatCode of a CDA model (templateId).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FormatCode {
    /// templateId of the CDA model (`1.2.250.1.213.1.1.1.22` DLU…; `1.3.6.1.4.1.19376.1.2.20` N1).
    pub template_id: &'static str,
    /// The XDS formatCode (`urn:asip:ci-sis:dlu:2015`, `urn:ihe:iti:xds-sd:pdf:2008`…).
    pub format_code: &'static str,
    /// Its code system: [`system::TRE_A06`] (`urn:asip:…`/`urn:ans:…`) or [`system::TRE_A11`] (`urn:ihe:…`).
    pub system: &'static str,
    /// For the N1 (non-structured) model, the media type of the embedded content
    /// (`application/pdf`, `text/plain`, `image/jpeg`, `text/rtf`, `image/tiff`); `None` for
    /// structured models.
    pub media_type: Option<&'static str>,
}

impl FormatCode {
    /// The formatCode as a [`Concept`] (the display is the code itself: A11 gives no label).
    pub const fn concept(&self) -> Concept {
        Concept::new(self.format_code, self.format_code, self.system)
    }
}

/// Code system OIDs used across the library, defined once.
pub mod system {
    /// LOINC (document types).
    pub const LOINC: &str = "2.16.840.1.113883.6.1";
    /// TRE_A05 TypeDocComplementaire: French document types (SYNTH, EXPORT_DUI…).
    pub const TRE_A05: &str = "1.2.250.1.213.1.1.4.12";
    /// TRE_A03 ClasseDocument: XDS classCode.
    pub const TRE_A03: &str = "1.2.250.1.213.1.1.4.1";
    /// HL7 Confidentiality (N, R, V…).
    pub const HL7_CONFIDENTIALITY: &str = "2.16.840.1.113883.5.25";
    /// TRE_A07 StatutVisibiliteDocument: French confidentiality / visibility codes
    /// (MASQUE_PS, INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX).
    pub const TRE_A07: &str = "1.2.250.1.213.1.1.4.13";
    /// Same as [`TRE_A07`]: the French confidentiality codes of JDV_J08.
    pub const FR_CONFIDENTIALITY: &str = TRE_A07;
    /// TRE_A02 ProfessionSavFaire-CISIS: combined profession/specialty codes `G15_10/SM26`.
    pub const TRE_A02: &str = "1.2.250.1.213.1.1.4.5";
    /// TRE_A00 ProducteurDocNonPS: non-professional document producers.
    pub const TRE_A00: &str = "1.2.250.1.213.1.1.4.6";
    /// TRE_A01 CadreExercice: XDS practiceSettingCode.
    pub const TRE_A01: &str = "1.2.250.1.213.1.1.4.9";
    /// Same as [`TRE_A01`]: the practice setting code system.
    pub const PRACTICE_SETTING: &str = TRE_A01;
    /// TRE_R02 SecteurActivite: XDS healthcareFacilityTypeCode, VIHF `Secteur_Activite`.
    pub const TRE_R02: &str = "1.2.250.1.71.4.2.4";
    /// TRE_G15 ProfessionSante: health professions.
    pub const TRE_G15: &str = "1.2.250.1.71.1.2.7";
    /// TRE_R01 SpecialiteRPPS: savoir-faire in the VIHF role (e.g. `SM26`).
    pub const TRE_R01: &str = "1.2.250.1.71.4.2.5";
    /// TRE_R38 SpecialiteOrdinale.
    pub const TRE_R38: &str = "1.2.250.1.213.2.28";
    /// TRE_R94 ProfessionSocial: social-sector professions.
    pub const TRE_R94: &str = "1.2.250.1.213.1.6.1.4";
    /// TRE_R95 UsagerTitre: protected titles.
    pub const TRE_R95: &str = "1.2.250.1.213.1.6.1.109";
    /// TRE_R291 AutreProfession (no table in this release; docs/dmp-interface.md, S10).
    pub const TRE_R291: &str = "1.2.250.1.213.1.6.1.140";
    /// TRE_R85 RolePriseCharge: roles in care.
    pub const TRE_R85: &str = "1.2.250.1.213.1.6.1.107";
    /// TRE_R66 CategorieEtablissement: ESSMS categories (JDV_J254).
    pub const TRE_R66: &str = "1.2.250.1.213.1.6.1.8";
    /// TRE_R248 ModeAcces: VIHF PurposeOfUse (access mode).
    pub const TRE_R248: &str = "1.2.250.1.213.1.1.4.248";
    /// TRE_A06 FormatCodeComplementaire: French formatCodes (`urn:asip:ci-sis:…`, `urn:ans:ci-sis:…`).
    pub const TRE_A06: &str = "1.2.250.1.213.1.1.4.2.282";
    /// TRE_A11 IheFormatCode: IHE formatCodes (`urn:ihe:…`).
    pub const TRE_A11: &str = "1.3.6.1.4.1.19376.1.2.3";
    /// HL7 AdministrativeGender (JDV_J143).
    pub const HL7_ADMINISTRATIVE_GENDER: &str = "2.16.840.1.113883.5.1";
}

// ---------------------------------------------------------------------------------------------
// Hand-written value sets: the shared reference folder has no file for them, so they are NOT
// generated. Keep them in sync with the ANS terminology server by hand.
// ---------------------------------------------------------------------------------------------

/// TRE_R248 ModeAcces: the access mode sent as VIHF `PurposeOfUse`.
///
/// Hand-written (no source file in the shared folder). Codes, displays, OID and version from
/// the ANS CodeSystem `TRE_R248_ModeAcces` (FSH source of the ANS terminology IG, version
/// 20241122120000, identifier `urn:oid:1.2.250.1.213.1.1.4.248`), matching the VIHF samples of
/// the DMP integration kits (`docs/dmp-interface.md`). Caveat: an open ANS change request
/// reports that JDV_J38-ModeAcces-CISIS and TRE_R248 share the OID 1.2.250.1.213.1.1.4.336 on
/// the terminology server; the DMP VIHF uses 1.2.250.1.213.1.1.4.248.
pub static TRE_R248: ValueSet = ValueSet {
    id: "TRE_R248",
    name: "TRE_R248-ModeAcces",
    oid: system::TRE_R248,
    version: "2024-11-22 (hand-written)",
    concepts: &[
        Concept::new("normal", "Accès normal", system::TRE_R248),
        Concept::new("bris_de_glace", "Accès en bris de glace", system::TRE_R248),
        Concept::new(
            "centre_15",
            "Accès par un centre de régulation médicale",
            system::TRE_R248,
        ),
    ],
};

/// TRE_A07 StatutVisibiliteDocument: document visibility restrictions (the French
/// confidentiality codes).
///
/// Hand-written (no source file in the shared folder). Codes and displays from the ANS
/// CodeSystem `TRE_A07_StatutVisibiliteDocument` (version 20231215120000, identifier
/// `urn:oid:1.2.250.1.213.1.1.4.13`). Only INVISIBLE_PATIENT, INVISIBLE_REPRESENTANTS_LEGAUX and
/// MASQUE_PS are allowed in DMP metadata (JDV_J08 / JDV_J58, see [`confidentiality`]);
/// MASQUE_PSOCIAL and MASQUE_PT exist in the code system only.
pub static TRE_A07: ValueSet = ValueSet {
    id: "TRE_A07",
    name: "TRE_A07-StatutVisibiliteDocument",
    oid: system::TRE_A07,
    version: "2023-12-15 (hand-written)",
    concepts: &[
        Concept::new(
            "INVISIBLE_PATIENT",
            "Non visible par le patient",
            system::TRE_A07,
        ),
        Concept::new(
            "INVISIBLE_REPRESENTANTS_LEGAUX",
            "Non visible par représentants légaux du patient",
            system::TRE_A07,
        ),
        Concept::new(
            "MASQUE_PS",
            "Masqué aux professionnels de santé",
            system::TRE_A07,
        ),
        Concept::new(
            "MASQUE_PSOCIAL",
            "Masqué aux professionnels du dom social",
            system::TRE_A07,
        ),
        Concept::new("MASQUE_PT", "Masqué aux personnes tierces", system::TRE_A07),
    ],
};

// ---------------------------------------------------------------------------------------------
// Lookups.
// ---------------------------------------------------------------------------------------------

/// Every value set, generated and hand-written.
pub fn all() -> &'static [&'static ValueSet] {
    generated::ALL
}

/// The value set with this id (`"JDV_J07"`, `"TRE_G15"`…).
pub fn by_id(id: &str) -> Option<&'static ValueSet> {
    all().iter().copied().find(|v| v.id == id)
}

/// TRE_G15: health professions (`10` Médecin, `60` Infirmier…).
pub fn professions_sante() -> &'static ValueSet {
    &generated::TRE_G15
}

/// TRE_R94: social-sector professions (`41` Assistant de service social…).
pub fn professions_social() -> &'static ValueSet {
    &generated::TRE_R94
}

/// TRE_R95: protected titles (`71` Ostéopathe, `93` Psychologue…).
pub fn usager_titres() -> &'static ValueSet {
    &generated::TRE_R95
}

/// TRE_A00: non-professional document producers (2021 test copy; JDV_J01 is newer).
pub fn producteurs_non_ps() -> &'static ValueSet {
    &generated::TRE_A00
}

/// TRE_R85: roles in care (`300`…).
pub fn roles() -> &'static ValueSet {
    &generated::TRE_R85
}

/// JDV_J01: XDS authorSpecialty, the normative list for author/performer/legalAuthenticator codes.
pub fn author_specialties() -> &'static ValueSet {
    &generated::JDV_J01
}

/// The JDV_J01 authorSpecialty concept with this code (`G15_10/SM26`, `41`, `LOGICIEL_DUI`…).
pub fn author_specialty(code: &str) -> Option<&'static Concept> {
    author_specialties().find(code)
}

/// JDV_J107: every RASS savoir-faire (specialties), including all TRE_R38 codes.
pub fn specialties() -> &'static ValueSet {
    &generated::JDV_J107
}

/// JDV_J47: author / participant functionCode (XDS authorRole).
pub fn function_codes() -> &'static ValueSet {
    &generated::JDV_J47
}

/// TRE_R02: activity sectors (`SA41`…).
pub fn sectors() -> &'static ValueSet {
    &generated::TRE_R02
}

/// JDV_J02: XDS healthcareFacilityTypeCode (TRE_R02 codes plus EXP_PATIENT, SNR).
pub fn facility_types() -> &'static ValueSet {
    &generated::JDV_J02
}

/// JDV_J254: ESSMS categories (TRE_R66).
pub fn essms_categories() -> &'static ValueSet {
    &generated::JDV_J254
}

/// JDV_J04: XDS practiceSettingCode (`ESSMS`, `ETABLISSEMENT`…).
pub fn practice_settings() -> &'static ValueSet {
    &generated::JDV_J04
}

/// JDV_J07: XDS typeCode = CDA `ClinicalDocument/code` (LOINC and TRE_A05 codes).
pub fn type_codes() -> &'static ValueSet {
    &generated::JDV_J07
}

/// TRE_A03: XDS classCode, including 95 "Document de gestion" and 99 "Document technique".
/// The signature class of JDV_J06 (a URN) is in [`xds_class_codes`].
pub fn class_codes() -> &'static ValueSet {
    &generated::TRE_A03
}

/// JDV_J06 as published (2020): TRE_A03 classes without 95/99, plus the signature class URN.
pub fn xds_class_codes() -> &'static ValueSet {
    &generated::JDV_J06
}

/// The class code of a document type per ASS_X04 (`"74207-2"` → `"11"`).
///
/// ASS_X04 also maps a few types that JDV_J07 no longer lists.
pub fn class_code_of_type(type_code: &str) -> Option<&'static str> {
    TYPE_TO_CLASS
        .iter()
        .find(|(t, _)| *t == type_code)
        .map(|(_, c)| *c)
}

/// The class of a document type: ASS_X04, then the class table ([`class_codes`], or
/// [`xds_class_codes`] for the signature class).
pub fn class_of_type(type_code: &str) -> Option<&'static Concept> {
    let class = class_code_of_type(type_code)?;
    class_codes()
        .find(class)
        .or_else(|| xds_class_codes().find(class))
}

/// The XDS formatCode of a CDA model per ASS_A11.
///
/// For a structured model the media type is ignored. For the N1 model
/// (`1.3.6.1.4.1.19376.1.2.20`) `media_type` picks the entry (`application/pdf`,
/// `text/plain`, `image/jpeg`, `text/rtf`, `image/tiff`; case-insensitive); `None` gives the
/// first entry, PDF (`urn:ihe:iti:xds-sd:pdf:2008`). An unknown template or media type gives `None`.
pub fn format_code_for_template(
    template_id: &str,
    media_type: Option<&str>,
) -> Option<&'static FormatCode> {
    let mut candidates = FORMAT_CODES.iter().filter(|f| f.template_id == template_id);
    match media_type {
        None => candidates.next(),
        Some(m) => candidates.find(|f| f.media_type.is_none_or(|fm| fm.eq_ignore_ascii_case(m))),
    }
}

/// JDV_J08: XDS confidentialityCode (HL7 N/R/V and the TRE_A07 masking codes).
pub fn confidentiality() -> &'static ValueSet {
    &generated::JDV_J08
}

/// JDV_HL7_Confidentiality: the CDA header `confidentialityCode` value set.
pub fn cda_confidentiality() -> &'static ValueSet {
    &generated::JDV_HL7_CONFIDENTIALITY
}

/// JDV_J143: administrative gender (F, M, UN).
pub fn genders() -> &'static ValueSet {
    &generated::JDV_J143
}

/// JDV_GIR: GIR 1 to 6.
pub fn gir() -> &'static ValueSet {
    &generated::JDV_GIR
}

/// TRE_R248: access modes (`normal`, `bris_de_glace`, `centre_15`). Hand-written.
pub fn access_modes() -> &'static ValueSet {
    &TRE_R248
}

/// TRE_A07: document visibility codes. Hand-written.
pub fn visibility() -> &'static ValueSet {
    &TRE_A07
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_table_is_reachable_by_id() {
        for vs in all() {
            assert_eq!(by_id(vs.id).map(|v| v.oid), Some(vs.oid), "{}", vs.id);
        }
        assert!(by_id("JDV_J99").is_none());
    }

    #[test]
    fn hand_written_tables() {
        assert_eq!(
            access_modes().find("normal").unwrap().display,
            "Accès normal"
        );
        assert!(access_modes().contains("bris_de_glace"));
        assert!(access_modes().contains("centre_15"));
        for code in [
            "MASQUE_PS",
            "INVISIBLE_PATIENT",
            "INVISIBLE_REPRESENTANTS_LEGAUX",
        ] {
            assert_eq!(visibility().find(code).unwrap().system, system::TRE_A07);
            // J08 allows exactly these three French codes.
            assert!(confidentiality().contains(code), "{code}");
        }
    }

    #[test]
    fn n1_media_types() {
        let n1 = "1.3.6.1.4.1.19376.1.2.20";
        let code = |m| format_code_for_template(n1, m).map(|f| f.format_code);
        assert_eq!(code(None), Some("urn:ihe:iti:xds-sd:pdf:2008"));
        assert_eq!(
            code(Some("text/plain")),
            Some("urn:ihe:iti:xds-sd:text:2008")
        );
        assert_eq!(
            code(Some("APPLICATION/PDF")),
            Some("urn:ihe:iti:xds-sd:pdf:2008")
        );
        assert_eq!(code(Some("video/mp4")), None);
        assert_eq!(format_code_for_template("1.2.3", None), None);
    }
}
