//! The structure (ESSMS or health establishment) that feeds the DMP.

use serde::{Deserialize, Serialize};

use super::text;
use crate::codes;
use crate::error::{Error, Result};
use crate::ids::Finess;

/// The fields of a [`Structure`] before validation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StructureData {
    /// Name (raison sociale of the establishment).
    pub name: String,
    /// FINESS of the entité juridique (the legal entity), when known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub finess_ej: Option<Finess>,
    /// FINESS of the établissement géographique (ET): the identifier the DMP metadata carry.
    pub finess_et: Finess,
    /// Activity sector (TRE_R02 / JDV_J02 healthcareFacilityTypeCode), e.g. `SA41`.
    pub sector: String,
    /// ESSMS category (JDV_J254, TRE_R66), e.g. `500` EHPAD; optional.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub category: Option<String>,
    /// Practice setting (JDV_J04 practiceSettingCode), e.g. `ESSMS`.
    pub practice_setting: String,
}

/// A validated structure: name non-empty (≤ 200 characters); sector in JDV_J02; category in
/// JDV_J254; practice setting in JDV_J04; FINESS numbers with a valid key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "StructureData", into = "StructureData")]
pub struct Structure(StructureData);

impl Structure {
    /// Validates `data` into a structure.
    pub fn new(data: StructureData) -> Result<Self> {
        let name = text::required("name", &data.name, 200)?;
        if codes::facility_types().find(&data.sector).is_none() {
            return Err(Error::invalid(
                "sector",
                "must be a code of JDV_J02 XdsHealthcareFacilityTypeCode (TRE_R02 SAxx)",
                &data.sector,
            ));
        }
        if let Some(c) = &data.category {
            if codes::essms_categories().find(c).is_none() {
                return Err(Error::invalid(
                    "category",
                    "must be a code of JDV_J254 CategorieEtablissementESSMSPH",
                    c,
                ));
            }
        }
        if codes::practice_settings()
            .find(&data.practice_setting)
            .is_none()
        {
            return Err(Error::invalid(
                "practice_setting",
                "must be a code of JDV_J04 XdsPracticeSettingCode (ESSMS, ETABLISSEMENT…)",
                &data.practice_setting,
            ));
        }
        Ok(Structure(StructureData { name, ..data }))
    }

    /// Name.
    pub fn name(&self) -> &str {
        &self.0.name
    }
    /// FINESS of the legal entity.
    pub fn finess_ej(&self) -> Option<&Finess> {
        self.0.finess_ej.as_ref()
    }
    /// FINESS of the geographic establishment.
    pub fn finess_et(&self) -> &Finess {
        &self.0.finess_et
    }
    /// Activity sector code.
    pub fn sector(&self) -> &str {
        &self.0.sector
    }
    /// ESSMS category code.
    pub fn category(&self) -> Option<&str> {
        self.0.category.as_deref()
    }
    /// Practice setting code.
    pub fn practice_setting(&self) -> &str {
        &self.0.practice_setting
    }

    /// The structure's national identifier: `1` + FINESS ET.
    pub fn idnat(&self) -> String {
        self.0.finess_et.struct_idnat()
    }

    /// The HL7 XON rendering used for authorInstitution.
    pub fn to_xon(&self) -> Result<String> {
        self.0.finess_et.to_xon(&self.0.name)
    }
}

super::validated_via!(Structure, StructureData);
