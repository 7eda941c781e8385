//! The usager's consent to a consultation of their DMP, as the law sets it.
//!
//! Consulting a DMP (TD3.1 metadata search, TD3.2 retrieval) needs the usager's agreement in
//! one of the forms of the Code de la santé publique (`habilitation.md` §4 in the reference
//! material):
//!
//! - a member of the usager's **care team** (équipe de soins, L.1110-12) may consult once the
//!   usager gave the initial consent to the team (Conseil d'État, 15 October 2025, n° 490409),
//!   was informed, and has not objected (R.1111-46 al. 2);
//! - a professional **outside the care team** needs the usager's explicit consent at each
//!   consultation (R.1111-46 al. 3), which another professional may collect on their behalf
//!   (L.1111-17 II);
//! - **centre 15** and **bris de glace** are separate access modes, allowed unless the usager
//!   objected to emergency access in advance; bris de glace needs a justification (carried by
//!   the actor profile).
//!
//! The DMP itself does not check consent: the software must. So the consent is an explicit,
//! typed input of every consultation: a DUI cannot forget it, and [`Consent::check`] refuses
//! the request and says which consent is missing. [`Consent::TestingOverride`] exists for test
//! platforms only and is refused in production.
//!
//! What the usager said, and when, is kept in the consent register ([`register`]): its
//! records are the establishment's proof, and [`register::applicable`] picks from them the
//! consent that covers a consultation (then checked here).
//!
//! Integration tests: consult, consent_register.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::Environment;
use crate::error::{Error, Result};
use crate::habilitation::AccessMode;

pub mod register;

pub use register::{applicable, ConsentRecord, ConsultationAsked, Scope};

/// Rule: no consent for a consultation.
pub const RULE_MISSING: &str =
    "a consultation (TD3.1 metadata search, TD3.2) needs the usager's consent: give \
     consent.care_team (member of the care team: initial consent given, usager informed, no \
     objection), consent.explicit (outside the care team: explicit consent for this \
     consultation) or, in centre_15 / bris_de_glace access mode, consent.emergency";
/// Rule: the care-team consent is incomplete.
pub const RULE_CARE_TEAM: &str =
    "a member of the care team may consult only once the usager gave the initial consent to \
     the team, was informed, and has not objected (R.1111-46, CE 15 Oct 2025)";
/// Rule: the explicit consent is not for this consultation.
pub const RULE_EXPLICIT: &str =
    "outside the care team the usager's explicit consent is needed at each consultation \
     (R.1111-46 al. 3): it must have been given at most 24 hours before the consultation, not \
     after it, and not withdrawn";
/// Rule: emergency consent outside an emergency access mode, or an objection.
pub const RULE_EMERGENCY: &str =
    "emergency access (centre_15, bris_de_glace) is allowed unless the usager objected to it in \
     advance; it is not a consent for a normal access";
/// Rule: the consent is not an emergency one in an emergency access mode.
pub const RULE_EMERGENCY_MODE: &str =
    "in centre_15 and bris_de_glace access modes give consent.emergency (and say whether the \
     usager objected to emergency access)";
/// Rule: the testing override outside a test platform.
pub const RULE_OVERRIDE: &str =
    "the consent override is for test platforms only (environment test), with a reason";

/// How long an explicit consent covers "this consultation".
pub const EXPLICIT_WINDOW_HOURS: i64 = 24;

/// The consent under which a consultation is made (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Consent {
    /// The acting professional is a member of the usager's care team.
    CareTeam {
        /// When the usager gave the initial consent to the care team (none: not given).
        #[serde(default)]
        initial_consent_at: Option<DateTime<FixedOffset>>,
        /// The usager was informed of the team's access.
        #[serde(default)]
        informed: bool,
        /// The usager objected (to this professional or to the team).
        #[serde(default)]
        objected: bool,
    },
    /// Outside the care team: the usager's explicit consent for this consultation.
    Explicit {
        /// When it was given.
        given_at: DateTime<FixedOffset>,
        /// Who collected it, when not the acting professional (L.1111-17 II): name or IdNat.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        collected_by: Option<String>,
        /// The usager withdrew it.
        #[serde(default)]
        withdrawn: bool,
    },
    /// Centre 15 or bris de glace access.
    Emergency {
        /// The usager objected to emergency access in advance (TD1.3a
        /// `OPPOSITION_BRIS_DE_GLACE` / `OPPOSITION_ACCES_URGENCE`).
        #[serde(default)]
        usager_objected: bool,
    },
    /// Testing only: skips the check on a test platform (never in production).
    TestingOverride {
        /// Why (kept in the logs).
        reason: String,
    },
}

impl Consent {
    /// A care-team consent given at `at`, the usager informed and not objecting.
    pub fn care_team(at: DateTime<FixedOffset>) -> Consent {
        Consent::CareTeam {
            initial_consent_at: Some(at),
            informed: true,
            objected: false,
        }
    }

    /// The kind as the JSON writes it (`care_team`, `explicit`, `emergency`,
    /// `testing_override`).
    pub fn kind(&self) -> &'static str {
        match self {
            Consent::CareTeam { .. } => "care_team",
            Consent::Explicit { .. } => "explicit",
            Consent::Emergency { .. } => "emergency",
            Consent::TestingOverride { .. } => "testing_override",
        }
    }

    /// Checks that this consent allows a consultation at `now` in `access_mode` on
    /// `environment`. Errors name the field under `consent` and the rule.
    pub fn check(
        &self,
        access_mode: AccessMode,
        environment: Environment,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let emergency = access_mode != AccessMode::Normal;
        match self {
            Consent::TestingOverride { reason } => {
                if environment != Environment::Test || reason.trim().is_empty() {
                    return Err(Error::invalid(
                        "consent.testing_override",
                        RULE_OVERRIDE,
                        format!("reason '{reason}' in {}", environment.name()),
                    ));
                }
            }
            Consent::Emergency { usager_objected } => {
                if !emergency || *usager_objected {
                    return Err(Error::invalid(
                        "consent.emergency",
                        RULE_EMERGENCY,
                        format!(
                            "access mode {}, usager objected: {usager_objected}",
                            access_mode.code()
                        ),
                    ));
                }
            }
            _ if emergency => {
                return Err(Error::invalid(
                    "consent",
                    RULE_EMERGENCY_MODE,
                    format!("{} in {}", self.kind(), access_mode.code()),
                ))
            }
            Consent::CareTeam {
                initial_consent_at,
                informed,
                objected,
            } => {
                let field = if initial_consent_at.is_none_or(|t| t.with_timezone(&Utc) > now) {
                    Some("consent.care_team.initial_consent_at")
                } else if !informed {
                    Some("consent.care_team.informed")
                } else if *objected {
                    Some("consent.care_team.objected")
                } else {
                    None
                };
                if let Some(field) = field {
                    return Err(Error::invalid(
                        field,
                        RULE_CARE_TEAM,
                        format!(
                            "initial consent {}, informed {informed}, objected {objected}",
                            initial_consent_at.map_or("not given".to_owned(), |t| t.to_rfc3339())
                        ),
                    ));
                }
            }
            Consent::Explicit {
                given_at,
                withdrawn,
                ..
            } => {
                let at = given_at.with_timezone(&Utc);
                let fresh = at <= now && now - at <= Duration::hours(EXPLICIT_WINDOW_HOURS);
                if !fresh || *withdrawn {
                    return Err(Error::invalid(
                        "consent.explicit.given_at",
                        RULE_EXPLICIT,
                        format!(
                            "given {}, consultation {}, withdrawn {withdrawn}",
                            given_at.to_rfc3339(),
                            now.to_rfc3339()
                        ),
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Checks that a consultation has a consent at all, then [`Consent::check`].
pub fn require(
    consent: Option<&Consent>,
    access_mode: AccessMode,
    environment: Environment,
    now: DateTime<Utc>,
) -> Result<()> {
    match consent {
        None => Err(Error::invalid("consent", RULE_MISSING, "none given")),
        Some(c) => c.check(access_mode, environment, now),
    }
}
