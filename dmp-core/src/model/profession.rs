//! A professional's profession (as coded in the ANS nomenclatures) and, for social and
//! medico-social staff, the *function* row of the 2023 habilitation matrix.

use serde::{Deserialize, Serialize};

use crate::codes::system;

/// The terminology a profession code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum ProfessionSystem {
    /// TRE_G15 ProfessionSante: health professions (10 médecin, 60 infirmier…).
    #[serde(rename = "TRE_G15")]
    G15,
    /// TRE_R94 ProfessionSocial: social professions (41 assistant de service social…).
    #[serde(rename = "TRE_R94")]
    R94,
    /// TRE_R95 UsagerTitre: protected titles (93 psychologue, 71 ostéopathe…).
    #[serde(rename = "TRE_R95")]
    R95,
    /// TRE_R291 AutreProfession: other professions (OID per docs/dmp-interface.md, S10).
    #[serde(rename = "TRE_R291")]
    R291,
    /// TRE_A00 ProducteurDocNonPS: non-person producers (LOGICIEL_DUI, DISPOSITIF…).
    #[serde(rename = "TRE_A00")]
    A00,
}

impl ProfessionSystem {
    /// The name used in data files and JSON (`TRE_G15`…).
    pub fn name(self) -> &'static str {
        match self {
            ProfessionSystem::G15 => "TRE_G15",
            ProfessionSystem::R94 => "TRE_R94",
            ProfessionSystem::R95 => "TRE_R95",
            ProfessionSystem::R291 => "TRE_R291",
            ProfessionSystem::A00 => "TRE_A00",
        }
    }

    /// OID of the code system.
    pub fn oid(self) -> &'static str {
        match self {
            ProfessionSystem::G15 => system::TRE_G15,
            ProfessionSystem::R94 => system::TRE_R94,
            ProfessionSystem::R95 => system::TRE_R95,
            ProfessionSystem::R291 => system::TRE_R291,
            ProfessionSystem::A00 => system::TRE_A00,
        }
    }

    /// Parses a system name (`TRE_G15`…).
    pub fn from_name(name: &str) -> Option<Self> {
        [
            ProfessionSystem::G15,
            ProfessionSystem::R94,
            ProfessionSystem::R95,
            ProfessionSystem::R291,
            ProfessionSystem::A00,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }
}

/// A profession: a code in one of the profession terminologies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Profession {
    /// Terminology of the code.
    pub system: ProfessionSystem,
    /// The code, e.g. `60` (infirmier) in TRE_G15.
    pub code: String,
}

/// The five "function" rows that the 2023 habilitation matrix gives to social and
/// medico-social staff (besides the assistant de service social, who has a profession row).
///
/// No official code exists for them (see `docs/habilitation.md`); these names are ours.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FonctionEssms {
    /// Fonctions de coordination et d'orientation.
    Coordination,
    /// Fonctions administratives ou d'appui à l'organisation de l'accompagnement.
    Administratif,
    /// Fonctions d'accompagnement à la vie sociale, professionnelle ou éducative.
    AccompagnementVieSociale,
    /// Fonctions d'accompagnement au soin.
    AccompagnementSoin,
    /// Fonctions d'encadrement et d'organisation de l'accompagnement.
    Encadrement,
}

impl FonctionEssms {
    /// Every function, in the matrix's order.
    pub const ALL: [FonctionEssms; 5] = [
        FonctionEssms::Coordination,
        FonctionEssms::Administratif,
        FonctionEssms::AccompagnementVieSociale,
        FonctionEssms::AccompagnementSoin,
        FonctionEssms::Encadrement,
    ];

    /// The row id used in the habilitation data (`FCT_COORD`…).
    pub fn row_id(self) -> &'static str {
        match self {
            FonctionEssms::Coordination => "FCT_COORD",
            FonctionEssms::Administratif => "FCT_ADMIN",
            FonctionEssms::AccompagnementVieSociale => "FCT_VIE",
            FonctionEssms::AccompagnementSoin => "FCT_SOIN",
            FonctionEssms::Encadrement => "FCT_ENCADR",
        }
    }

    /// French label, as in the arrêté.
    pub fn label_fr(self) -> &'static str {
        match self {
            FonctionEssms::Coordination => "Fonctions de coordination et d'orientation",
            FonctionEssms::Administratif => {
                "Fonctions administratives ou d'appui à l'organisation de l'accompagnement"
            }
            FonctionEssms::AccompagnementVieSociale => {
                "Fonctions d'accompagnement à la vie sociale, professionnelle ou éducative"
            }
            FonctionEssms::AccompagnementSoin => "Fonctions d'accompagnement au soin",
            FonctionEssms::Encadrement => {
                "Fonctions d'encadrement et d'organisation de l'accompagnement"
            }
        }
    }
}
