//! The facts a journal hands to pilotage: deposits, consultations and the accompaniment's
//! events, per usager.
//!
//! Usagers appear only under a pseudonym (the journal's keyed hash of the INS): indicators and
//! deposit plans never need the identity, and a report can leave the establishment.

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};

use crate::habilitation::AccessMode;
use crate::model::DocumentKind;

/// Everything pilotage reads, as the journal exported it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Facts {
    /// The usagers the establishment accompanies or accompanied.
    #[serde(default)]
    pub usagers: Vec<Usager>,
    /// Every document the establishment queued for the DMP, in its latest state.
    #[serde(default)]
    pub deposits: Vec<DepositFact>,
    /// Every consultation (TD3.1, TD3.2) made by the establishment's professionals.
    #[serde(default)]
    pub consultations: Vec<ConsultationFact>,
    /// The events of the accompaniment (admission, annual review…), which trigger deposits.
    #[serde(default)]
    pub events: Vec<UsagerEvent>,
}

/// A usager, under the journal's pseudonym.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Usager {
    /// The pseudonym: the keyed hash of the INS, hexadecimal (same usager, same key).
    pub key: String,
    /// A label the DUI chose to show in its own reports (e.g. its local file number); never
    /// the INS. May be empty.
    #[serde(default)]
    pub label: String,
    /// The structure's activity (EHPAD, IME, SSIAD…), as the DUI names it: plans are chosen by it.
    #[serde(default)]
    pub setting: String,
}

/// Where a queued document stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", tag = "status")]
pub enum DepositStatus {
    /// Journaled, not yet sent (or failed before sending: it will be sent again).
    Queued,
    /// The DMP accepted it (possibly established by the landing check).
    Accepted,
    /// The DMP refused it: its code and text, verbatim.
    Refused {
        /// The DMP's error code.
        code: String,
        /// The DMP's text.
        text: String,
    },
    /// Sent, outcome not established yet: the journal asks the registry before any resend.
    Unknown,
}

/// One document queued for the DMP, in its latest state.
///
/// JSON: the fields below with the status flattened in (`"status": "refused", "code": …,
/// "text": …`). Read through a private record with every member named: serde cannot refuse
/// unknown fields of a struct with a flattened member, and a typo must not pass silently.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "DepositRecord")]
pub struct DepositFact {
    /// The usager's pseudonym ([`Usager::key`]).
    pub usager: String,
    /// The document's uniqueId (the OID of the CDA's id).
    pub unique_id: String,
    /// The document's kind.
    pub kind: DocumentKind,
    /// The author's role as the DUI names it (profession label or code), for "by author role".
    pub author_role: String,
    /// The uniqueId of the version it replaces (RPLC), if it is a replacement.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<String>,
    /// Size of the document in bytes.
    pub size: u64,
    /// When it was journaled.
    pub queued_at: DateTime<FixedOffset>,
    /// When the outcome was established (accepted or refused).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settled_at: Option<DateTime<FixedOffset>>,
    /// Where it stands.
    #[serde(flatten)]
    pub status: DepositStatus,
    /// How many times it was sent.
    #[serde(default)]
    pub attempts: u32,
}

/// The JSON form of a [`DepositFact`] as read: every member named, unknown ones refused.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DepositRecord {
    usager: String,
    unique_id: String,
    kind: DocumentKind,
    author_role: String,
    #[serde(default)]
    replaces: Option<String>,
    size: u64,
    queued_at: DateTime<FixedOffset>,
    #[serde(default)]
    settled_at: Option<DateTime<FixedOffset>>,
    status: StatusName,
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    text: Option<String>,
    #[serde(default)]
    attempts: u32,
}

/// The `status` member's values.
#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum StatusName {
    Queued,
    Accepted,
    Refused,
    Unknown,
}

impl TryFrom<DepositRecord> for DepositFact {
    type Error = String;

    fn try_from(r: DepositRecord) -> Result<DepositFact, String> {
        let status = match (r.status, r.code, r.text) {
            (StatusName::Refused, Some(code), text) => DepositStatus::Refused {
                code,
                text: text.unwrap_or_default(),
            },
            (StatusName::Refused, None, _) => {
                return Err("a refused deposit needs the DMP's `code` (and its `text`)".into())
            }
            (_, Some(_), _) | (_, _, Some(_)) => {
                return Err(
                    "`code` and `text` belong to a deposit whose status is `refused`".into(),
                )
            }
            (StatusName::Queued, ..) => DepositStatus::Queued,
            (StatusName::Accepted, ..) => DepositStatus::Accepted,
            (StatusName::Unknown, ..) => DepositStatus::Unknown,
        };
        Ok(DepositFact {
            usager: r.usager,
            unique_id: r.unique_id,
            kind: r.kind,
            author_role: r.author_role,
            replaces: r.replaces,
            size: r.size,
            queued_at: r.queued_at,
            settled_at: r.settled_at,
            status,
            attempts: r.attempts,
        })
    }
}

/// One consultation of a usager's DMP.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultationFact {
    /// The usager's pseudonym.
    pub usager: String,
    /// When.
    pub at: DateTime<FixedOffset>,
    /// The transaction (`TD3.1`, `TD3.2`).
    pub transaction: String,
    /// The access mode (normal, centre 15, bris de glace).
    pub access_mode: AccessMode,
    /// The professional's role as the DUI names it.
    pub role: String,
    /// The consent it was made under (`care_team`, `explicit`, `emergency`, `testing_override`).
    pub consent: String,
    /// The outcome (`accepted`, `refused`, `failed_before_sending`, `unknown`, or `blocked`
    /// when the library refused it before sending, e.g. no consent).
    pub outcome: String,
}

/// An event of the accompaniment, recorded by the DUI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UsagerEventKind {
    /// Admission in the structure (the accompaniment starts).
    Admission,
    /// Annual review of the projet personnalisé.
    AnnualReview,
    /// Change of condition (état de santé, autonomie).
    ChangeOfCondition,
    /// Transfer to a hospital.
    HospitalTransfer,
    /// Return from a hospital stay.
    HospitalReturn,
    /// Discharge: the accompaniment ends.
    Discharge,
}

/// One event of a usager's accompaniment.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UsagerEvent {
    /// The usager's pseudonym.
    pub usager: String,
    /// What happened.
    pub kind: UsagerEventKind,
    /// When.
    pub at: DateTime<FixedOffset>,
}
