//! The consent register: what the usager said about access to their DMP, who collected it,
//! for whom, and when, kept as an append-only list of records (a withdrawal is a record too,
//! so the register is also the proof of what held at any past moment).
//!
//! [`applicable`] reads the records of one usager and answers, for one consultation (who, in
//! or outside the care team, which access mode, when), the [`Consent`] that covers it, or
//! an error that names the consent that is missing. Pure: the journal stores the records,
//! this module only decides.

use chrono::{DateTime, Duration, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Consent, EXPLICIT_WINDOW_HOURS, RULE_CARE_TEAM, RULE_EMERGENCY, RULE_EXPLICIT, RULE_MISSING,
};
use crate::error::{Error, Result};
use crate::habilitation::AccessMode;

/// What a record says (`habilitation.md` §4).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Scope {
    /// The initial consent to the care team's access (CE 15 Oct 2025): for the whole team
    /// (`professional` absent).
    CareTeam,
    /// The usager was informed of the care team's access (R.1111-46 al. 2).
    Information,
    /// The usager objects to access by one professional (`professional`), or by the whole
    /// care team (`professional` absent).
    Objection,
    /// The usager objects in advance to emergency access (centre 15 and bris de glace,
    /// L.1111-17 I).
    EmergencyObjection,
    /// The explicit consent of a professional outside the care team (`professional`), for
    /// one consultation (R.1111-46 al. 3): covers [`EXPLICIT_WINDOW_HOURS`] hours.
    Explicit,
}

impl Scope {
    /// The scope as the JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            Scope::CareTeam => "care_team",
            Scope::Information => "information",
            Scope::Objection => "objection",
            Scope::EmergencyObjection => "emergency_objection",
            Scope::Explicit => "explicit",
        }
    }
}

/// One entry of the register.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsentRecord {
    /// The usager, as the register keys them (the journal's pseudonym of the INS; the
    /// journal fills it in).
    #[serde(default)]
    pub usager: String,
    /// What the usager said.
    pub scope: Scope,
    /// The professional it concerns (IdNat); absent: the care team as a whole.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub professional: Option<String>,
    /// Who collected it (IdNat or name).
    pub collected_by: String,
    /// On whose behalf it was collected, when not for the collector (L.1111-17 II: a
    /// professional collecting for another one to whom part of the care is delegated).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub on_behalf_of: Option<String>,
    /// When the usager said it.
    pub at: DateTime<FixedOffset>,
    /// The usager withdraws what an earlier record of the same scope and professional said
    /// (a consent withdrawn, an objection lifted).
    #[serde(default)]
    pub withdrawal: bool,
    /// A free note (how it was collected: paper form, orally before a witness…).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub note: String,
}

/// The consultation the register is asked about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConsultationAsked<'a> {
    /// The usager (as in [`ConsentRecord::usager`]).
    pub usager: &'a str,
    /// The acting professional (IdNat).
    pub professional: &'a str,
    /// Whether the professional is a member of the usager's care team (the DUI knows).
    pub care_team: bool,
    /// The access mode.
    pub access_mode: AccessMode,
    /// When.
    pub at: DateTime<Utc>,
}

/// The latest record in force at `now` for `scope` and `professional` (exact match), if it
/// is not a withdrawal.
fn in_force<'r>(
    records: &'r [ConsentRecord],
    usager: &str,
    scope: Scope,
    professional: Option<&str>,
    now: DateTime<Utc>,
) -> Option<&'r ConsentRecord> {
    records
        .iter()
        .filter(|r| {
            r.usager == usager
                && r.scope == scope
                && r.professional.as_deref() == professional
                && r.at.with_timezone(&Utc) <= now
        })
        .max_by_key(|r| r.at)
        .filter(|r| !r.withdrawal)
}

fn said(r: &ConsentRecord) -> String {
    let by = match &r.on_behalf_of {
        Some(b) => format!("{} on behalf of {b}", r.collected_by),
        None => r.collected_by.clone(),
    };
    format!("recorded {} by {by}", r.at.to_rfc3339())
}

/// The consent that covers `asked`, from the usager's `records` (other usagers' records are
/// ignored; records dated after the consultation too). Errors say which consent is missing
/// or which objection stands, with the rule; the consent returned passes
/// [`Consent::check`] for the same access mode and time.
pub fn applicable(records: &[ConsentRecord], asked: &ConsultationAsked<'_>) -> Result<Consent> {
    let now = asked.at;
    let usager = asked.usager;
    let find = |scope, professional| in_force(records, usager, scope, professional, now);
    if asked.access_mode != AccessMode::Normal {
        if let Some(r) = find(Scope::EmergencyObjection, None) {
            return Err(Error::invalid(
                "consent.emergency",
                format!(
                    "the usager objected to emergency access ({}): no {} access. \
                     {RULE_EMERGENCY}",
                    said(r),
                    asked.access_mode.code()
                ),
                asked.access_mode.code(),
            ));
        }
        return Ok(Consent::Emergency {
            usager_objected: false,
        });
    }
    let objection = find(Scope::Objection, Some(asked.professional)).or_else(|| {
        // An objection to the whole care team binds its members only.
        find(Scope::Objection, None).filter(|_| asked.care_team)
    });
    if let Some(r) = objection {
        let whom = r
            .professional
            .as_deref()
            .map_or("the care team".to_owned(), |p| format!("professional {p}"));
        return Err(Error::invalid(
            if asked.care_team {
                "consent.care_team.objected"
            } else {
                "consent.explicit"
            },
            format!(
                "the usager objected to access by {whom} ({}). {RULE_CARE_TEAM}",
                said(r)
            ),
            asked.professional,
        ));
    }
    if asked.care_team {
        let Some(initial) = find(Scope::CareTeam, None) else {
            return Err(Error::invalid(
                "consent.care_team.initial_consent_at",
                format!(
                    "no initial consent of the usager to the care team is recorded (or it \
                     was withdrawn): record it (scope care_team) before consulting. \
                     {RULE_CARE_TEAM}"
                ),
                asked.professional,
            ));
        };
        if find(Scope::Information, None).is_none() {
            return Err(Error::invalid(
                "consent.care_team.informed",
                format!(
                    "the register does not record that the usager was informed of the care \
                     team's access: record it (scope information) before consulting. \
                     {RULE_CARE_TEAM}"
                ),
                asked.professional,
            ));
        }
        return Ok(Consent::CareTeam {
            initial_consent_at: Some(initial.at),
            informed: true,
            objected: false,
        });
    }
    match find(Scope::Explicit, Some(asked.professional)) {
        Some(r) if now - r.at.with_timezone(&Utc) <= Duration::hours(EXPLICIT_WINDOW_HOURS) => {
            Ok(Consent::Explicit {
                given_at: r.at,
                collected_by: Some(match &r.on_behalf_of {
                    Some(b) => format!("{} for {b}", r.collected_by),
                    None => r.collected_by.clone(),
                }),
                withdrawn: false,
            })
        }
        Some(r) => Err(Error::invalid(
            "consent.explicit.given_at",
            format!(
                "the explicit consent for professional {} was {}, more than \
                 {EXPLICIT_WINDOW_HOURS} hours before this consultation: collect it again. \
                 {RULE_EXPLICIT}",
                asked.professional,
                said(r)
            ),
            r.at.to_rfc3339(),
        )),
        None => Err(Error::invalid(
            "consent.explicit",
            format!(
                "professional {} is outside the care team and no explicit consent of the \
                 usager for them is recorded (or it was withdrawn): collect it (scope \
                 explicit) before consulting. {RULE_MISSING}",
                asked.professional
            ),
            asked.professional,
        )),
    }
}
