//! The consent register and the consultation log: the register is checked before every
//! TD3.1 metadata search and TD3.2, and every consultation is journaled — emergency ones
//! with their justification, and the ones refused before sending (`blocked`).

use chrono::Utc;
use dmp_core::consent::{applicable, ConsentRecord, ConsultationAsked};
use dmp_core::consult::{self, ConsultRequest};
use dmp_core::feed::{FeedContext, IdGenerator};
use dmp_core::habilitation::AccessMode;
use dmp_core::ids::Ins;
use dmp_transport::Outcome;

use crate::error::{JournalError, Result};
use crate::journal::Journal;
use crate::outbox::Courier;
use crate::record::{ConsultationRecord, Who};
use crate::store::Store;

/// Rule: the consent of a journaled consultation comes from the register.
pub const RULE_CONSENT_FROM_REGISTER: &str =
    "through the journal the consent comes from the consent register: leave consent out of \
     the request and record what the usager said with record_consent";

impl<S: Store> Journal<S> {
    /// Adds a record to the consent register for the usager `ins` (the record's `usager` is
    /// set to the pseudonym). Returns the record as stored.
    pub fn record_consent(&self, ins: &Ins, mut record: ConsentRecord) -> Result<ConsentRecord> {
        record.usager = self.pseudonym(ins);
        if record.collected_by.trim().is_empty() {
            return Err(dmp_core::Error::invalid(
                "collected_by",
                "say who collected what the usager said (IdNat or name)",
                "",
            )
            .into());
        }
        self.store.add_consent(&record)?;
        Ok(record)
    }

    /// The consent register of a usager, oldest first.
    pub fn consents(&self, ins: &Ins) -> Result<Vec<ConsentRecord>> {
        self.store.consents(&self.pseudonym(ins))
    }

    /// Sends a consultation (or any other [`ConsultRequest`]) under the consent the register
    /// gives, and journals it whatever happens. `care_team`: the acting professional is a
    /// member of the usager's care team (the DUI knows). For a TD3.1 metadata search or a
    /// TD3.2 the register must cover it ([`applicable`]), else the consultation is journaled
    /// `blocked` and [`JournalError::Blocked`] says which consent is missing; the same for a
    /// request the library refuses to build (rights, justification…). `request.consent` must
    /// be absent.
    pub fn consult(
        &self,
        dmp: &dyn Courier,
        request: &ConsultRequest,
        care_team: bool,
    ) -> Result<Outcome> {
        if request.consent.is_some() {
            return Err(dmp_core::Error::invalid(
                "consent",
                RULE_CONSENT_FROM_REGISTER,
                request.consent.as_ref().map_or("", |c| c.kind()),
            )
            .into());
        }
        let at = Utc::now();
        let actor = &request.actor;
        let kind = request.transaction.kind();
        let usager = self.pseudonym(request.transaction.patient());
        let mut record = ConsultationRecord {
            id: 0,
            usager: usager.clone(),
            at: at.fixed_offset(),
            transaction: kind.code().to_owned(),
            access_mode: actor.access_mode.code().to_owned(),
            justification: actor
                .justification
                .clone()
                .filter(|_| actor.access_mode != AccessMode::Normal),
            who: Who {
                idnat: actor.user.idnat.to_string(),
                role: actor.user.specialty.clone(),
                mode: actor.mode.name().to_owned(),
            },
            consent: "none".into(),
            consent_detail: None,
            outcome: "sending".into(),
            code: None,
            text: None,
            message_id: None,
        };
        let blocked = |mut record: ConsultationRecord, e: dmp_core::Error| {
            record.outcome = "blocked".into();
            record.code = Some("blocked".into());
            record.text = Some(e.to_string());
            self.store.add_consultation(&record)?;
            Err(JournalError::Blocked(e))
        };
        let mut request = request.clone();
        if kind.is_consultation() {
            let records = self.store.consents(&usager)?;
            let idnat = record.who.idnat.clone();
            let asked = ConsultationAsked {
                usager: &usager,
                professional: &idnat,
                care_team,
                access_mode: actor.access_mode,
                at,
            };
            match applicable(&records, &asked) {
                Ok(c) => {
                    record.consent = c.kind().to_owned();
                    record.consent_detail = serde_json::to_string(&c).ok();
                    request.consent = Some(c);
                }
                Err(e) => return blocked(record, e),
            }
        }
        let signer = match dmp.signer().signer_at(at) {
            Ok(s) => s,
            Err(e) => return blocked(record, e),
        };
        let mut ctx = FeedContext {
            now: at.fixed_offset(),
            ids: IdGenerator::from_seed(uuid::Uuid::new_v4().as_u64_pair().0),
            signer: &*signer,
            rights: self.rights.as_ref(),
        };
        let built = match consult::build(&request, &mut ctx) {
            Ok(b) => b,
            Err(e) => return blocked(record, e),
        };
        record.message_id = Some(built.message_id.clone());
        record.id = self.store.add_consultation(&record)?;
        let outcome = dmp.send(&built.http);
        record.outcome = outcome.kind().to_owned();
        match &outcome {
            Outcome::Accepted { .. } => {}
            Outcome::Refused { error, .. } => {
                record.code = Some(
                    error
                        .details
                        .iter()
                        .find_map(|d| d.code.clone())
                        .unwrap_or_else(|| error.code.clone()),
                );
                record.text = Some(error.to_string());
            }
            Outcome::FailedBeforeSending { reason, .. } | Outcome::Unknown { reason, .. } => {
                record.text = Some(reason.clone());
            }
        }
        self.store.settle_consultation(&record)?;
        Ok(outcome)
    }

    /// The consultations journaled for a usager, oldest first.
    pub fn consultations(&self, ins: &Ins) -> Result<Vec<ConsultationRecord>> {
        self.store.consultations(Some(&self.pseudonym(ins)))
    }

    /// Everything the journal holds about a usager, as JSON (the usager's right of access):
    /// `usager` (the pseudonym), `consents`, `consultations`, `deposits` (documents sent or
    /// queued: uniqueId, type, version, size, hash, state, dates; not their bytes), `events`.
    pub fn export_usager(&self, ins: &Ins) -> Result<serde_json::Value> {
        let key = self.pseudonym(ins);
        let deposits: Vec<_> = self
            .store
            .deposits()?
            .into_iter()
            .filter(|d| d.usager == key)
            .collect();
        let events: Vec<_> = self
            .store
            .events()?
            .into_iter()
            .filter(|e| e.usager == key)
            .collect();
        Ok(serde_json::json!({
            "usager": key,
            "consents": self.store.consents(&key)?,
            "consultations": self.store.consultations(Some(&key))?,
            "deposits": deposits,
            "events": events,
        }))
    }
}
