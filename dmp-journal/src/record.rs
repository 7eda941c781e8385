//! What the journal records: deposits (the outbox) and consultations, with who acted, for
//! which usager (pseudonym), what went out (MessageID, documents' uniqueId, type, version,
//! size, hash) and what became of it.

use chrono::{DateTime, FixedOffset, SecondsFormat, Utc};
use serde::{Deserialize, Serialize};

/// Who acted: the VIHF subject.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Who {
    /// The professional's national identifier (IdNat).
    pub idnat: String,
    /// Their role (JDV_J01 specialty code, or the DUI's label).
    pub role: String,
    /// The authentication mode (`indirecte`, `directe`, `air`).
    pub mode: String,
}

/// Where a deposit stands in the outbox.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    /// Journaled; not sent, or known not to have left (failed before sending). Sent by
    /// the next flush.
    Queued,
    /// The request was built and journaled and is being sent, or the process stopped while
    /// sending: it may have reached the DMP. Never resent before the registry is asked.
    Sending,
    /// The DMP accepted it (possibly established by the registry search).
    Accepted,
    /// The DMP refused it (`code`, `text` verbatim), or the library refused to build it
    /// (`code` `blocked`).
    Refused,
    /// Sent; the outcome could not be established (the registry could not tell): the next
    /// flush asks the registry again before anything else.
    Unknown,
    /// Replaced in the outbox by a newer content before it ever left.
    Superseded,
}

impl State {
    /// The state as stored and as JSON writes it.
    pub fn name(self) -> &'static str {
        match self {
            State::Queued => "queued",
            State::Sending => "sending",
            State::Accepted => "accepted",
            State::Refused => "refused",
            State::Unknown => "unknown",
            State::Superseded => "superseded",
        }
    }

    /// Reads a stored state.
    pub fn from_name(name: &str) -> Option<State> {
        [
            State::Queued,
            State::Sending,
            State::Accepted,
            State::Refused,
            State::Unknown,
            State::Superseded,
        ]
        .into_iter()
        .find(|s| s.name() == name)
    }

    /// Whether the deposit's fate is settled (nothing more will be sent).
    pub fn is_final(self) -> bool {
        matches!(self, State::Accepted | State::Refused | State::Superseded)
    }
}

/// One document in the outbox: one TD2.1 carrying it, in its latest state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Deposit {
    /// The journal's number for it.
    pub id: i64,
    /// The usager's pseudonym.
    pub usager: String,
    /// The CDA setId: the document across its versions.
    pub set_id: String,
    /// The uniqueId it goes (went) out as.
    pub unique_id: String,
    /// The document kind (`dlu`, `projet_personnalise`…).
    pub kind: String,
    /// The version number it goes out as.
    pub version: u32,
    /// The uniqueId of the version it replaces (RPLC), once decided.
    pub replaces: Option<String>,
    /// The deposit whose newer content this is (the DUI changed the document after that one
    /// was sent): it goes out as a replacement of what the DMP has.
    pub predecessor: Option<i64>,
    /// SHA-256 of what the DUI gave (header without its version fields, and the body):
    /// the same content deposited twice is queued once.
    pub content_hash: String,
    /// Size of the CDA sent (before it is built: of the body), bytes.
    pub size: u64,
    /// SHA-256 of the CDA sent, hexadecimal (once built).
    pub hash: Option<String>,
    /// The author's role as the DUI names it (for the indicators).
    pub author_role: String,
    /// Who deposits it.
    pub who: Who,
    /// Where it stands.
    pub state: State,
    /// The DMP's error code (refused), verbatim.
    pub code: Option<String>,
    /// The DMP's text (refused), verbatim; or why the outcome is unknown / why it failed
    /// before sending.
    pub text: Option<String>,
    /// How many times the request went out.
    pub attempts: u32,
    /// The WS-Addressing MessageID of the request (once built).
    pub message_id: Option<String>,
    /// When it was journaled.
    pub queued_at: DateTime<FixedOffset>,
    /// When the request was built and journaled for sending.
    pub sent_at: Option<DateTime<FixedOffset>>,
    /// When the outcome was established.
    pub settled_at: Option<DateTime<FixedOffset>>,
    /// Whether acceptance was established by the registry search (answer lost).
    pub confirmed_by_check: bool,
    /// Keep the bytes after acceptance (the DUI asked).
    pub keep_bytes: bool,
    /// The FeedRequest (JSON, the body inline) while it is needed.
    #[serde(skip)]
    pub request: Option<Vec<u8>>,
    /// The built HTTP message (the exact bytes sent) while it is needed.
    #[serde(skip)]
    pub message: Option<Vec<u8>>,
}

/// One consultation (TD3.1, TD3.2) by the establishment's professionals, sent or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ConsultationRecord {
    /// The journal's number for it.
    pub id: i64,
    /// The usager's pseudonym.
    pub usager: String,
    /// When.
    pub at: DateTime<FixedOffset>,
    /// `TD3.1` or `TD3.2` (or another code for management transactions).
    pub transaction: String,
    /// `normal`, `centre_15`, `bris_de_glace`.
    pub access_mode: String,
    /// Why the emergency access was needed (bris de glace), as the professional gave it.
    pub justification: Option<String>,
    /// Who.
    pub who: Who,
    /// The consent it was made under (`care_team`, `explicit`, `emergency`, `none`).
    pub consent: String,
    /// The consent as the register gave it (JSON), for the audit.
    pub consent_detail: Option<String>,
    /// `sending`, `accepted`, `refused`, `failed_before_sending`, `unknown`, `blocked`.
    pub outcome: String,
    /// The DMP's code (refused) or `blocked`.
    pub code: Option<String>,
    /// The DMP's text verbatim, or why it was blocked / failed.
    pub text: Option<String>,
    /// The request's MessageID (when built).
    pub message_id: Option<String>,
}

/// A time as the journal stores it: UTC, microseconds, `Z` (sorts as text).
pub(crate) fn stamp(t: DateTime<FixedOffset>) -> String {
    t.with_timezone(&Utc)
        .to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// Reads a stored time.
pub(crate) fn unstamp(s: &str) -> Result<DateTime<FixedOffset>, String> {
    DateTime::parse_from_rfc3339(s).map_err(|e| format!("a stored time '{s}' is unreadable: {e}"))
}
