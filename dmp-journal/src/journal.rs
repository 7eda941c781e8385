//! The journal: a [`Store`], the establishment's key, and who this worker is.

use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::ids::Ins;
use dmp_core::pilotage::{
    ConsultationFact, DepositFact, DepositStatus, Facts, Usager, UsagerEvent, UsagerEventKind,
};

use crate::error::Result;
use crate::pseudonym::EstablishmentKey;
use crate::record::State;
use crate::store::Store;

/// The default lease of a claimed deposit: longer than any send (the transport's total
/// timeout is 3 minutes by default, landing check included).
pub const DEFAULT_LEASE: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The worker name of a journal not given one: a DUI with one process per establishment
/// needs no other (a restarted process takes back what it held).
pub const DEFAULT_WORKER: &str = "default";

/// The journal of one establishment (see the crate documentation).
pub struct Journal<S: Store> {
    pub(crate) store: S,
    pub(crate) key: EstablishmentKey,
    pub(crate) worker: String,
    pub(crate) lease: chrono::Duration,
    /// The functional rights, parsed once for every request this journal builds (`None` if
    /// they could not be: each build then parses them and reports why).
    pub(crate) rights: Option<dmp_core::habilitation::Rights>,
}

impl<S: Store> Journal<S> {
    /// The journal kept in `store`, pseudonymising under `key`.
    pub fn new(store: S, key: EstablishmentKey) -> Journal<S> {
        Journal {
            store,
            key,
            worker: DEFAULT_WORKER.to_owned(),
            lease: chrono::Duration::from_std(DEFAULT_LEASE).unwrap_or(chrono::Duration::MAX),
            rights: dmp_core::habilitation::Rights::embedded().ok(),
        }
    }

    /// Names this worker (the lease owner in the store; default [`DEFAULT_WORKER`]). Workers
    /// sharing one outbox (PostgreSQL) need distinct names, stable across restarts: a worker
    /// takes back at once what it held when it stopped; another waits for the lease to end.
    pub fn with_worker(mut self, name: &str) -> Journal<S> {
        self.worker = name.to_owned();
        self
    }

    /// How long a claimed deposit stays this worker's ([`DEFAULT_LEASE`]): after it, another
    /// worker takes it over (asking the registry first). Keep it longer than the transport's
    /// total timeout.
    pub fn with_lease(mut self, lease: std::time::Duration) -> Journal<S> {
        self.lease = chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::MAX);
        self
    }

    /// The store.
    pub fn store(&self) -> &S {
        &self.store
    }

    /// The usager's pseudonym under this establishment's key.
    pub fn pseudonym(&self, ins: &Ins) -> String {
        self.key.pseudonym(ins)
    }

    /// Registers a usager (or updates its label and setting): `label` is the DUI's own
    /// reference (a local file number, never the INS), `setting` the structure's activity
    /// (`EHPAD`, `IME`, `SSIAD`…). Returns the pseudonym.
    pub fn register_usager(&self, ins: &Ins, label: &str, setting: &str) -> Result<String> {
        let key = self.pseudonym(ins);
        self.store.put_usager(&Usager {
            key: key.clone(),
            label: label.to_owned(),
            setting: setting.to_owned(),
        })?;
        Ok(key)
    }

    /// Records an event of the usager's accompaniment (admission, annual review…).
    pub fn record_event(
        &self,
        ins: &Ins,
        kind: UsagerEventKind,
        at: DateTime<FixedOffset>,
    ) -> Result<()> {
        self.store.add_event(&UsagerEvent {
            usager: self.pseudonym(ins),
            kind,
            at,
        })
    }

    /// What pilotage reads, for the period `[from, to)` (see [`facts`]).
    pub fn facts(&self, from: DateTime<FixedOffset>, to: DateTime<FixedOffset>) -> Result<Facts> {
        facts(&self.store, from, to)
    }

    /// Every fact of all time (a convenience over [`Journal::facts`]).
    pub fn all_facts(&self) -> Result<Facts> {
        let start = DateTime::<Utc>::MIN_UTC.fixed_offset();
        let end = DateTime::<Utc>::MAX_UTC.fixed_offset();
        self.facts(start, end)
    }
}

/// What pilotage reads from `store`, for the period `[from, to)` (deposits by the time they
/// were journaled, consultations and events by their time); every usager registered or met.
/// Needs no key: the store holds pseudonyms only (a reporting tool reads the facts without
/// the establishment's secret).
pub fn facts<S: Store + ?Sized>(
    store: &S,
    from: DateTime<FixedOffset>,
    to: DateTime<FixedOffset>,
) -> Result<Facts> {
    let within = |t: DateTime<FixedOffset>| t >= from && t < to;
    let mut usagers = store.usagers()?;
    let deposits: Vec<DepositFact> = store
        .deposits()?
        .into_iter()
        .filter(|d| d.state != State::Superseded && within(d.queued_at))
        .filter_map(|d| {
            let kind = serde_json::from_value(serde_json::Value::String(d.kind)).ok()?;
            Some(DepositFact {
                usager: d.usager,
                unique_id: d.unique_id,
                kind,
                author_role: d.author_role,
                replaces: d.replaces,
                size: d.size,
                queued_at: d.queued_at,
                settled_at: d.settled_at,
                status: match d.state {
                    State::Accepted => DepositStatus::Accepted,
                    State::Refused => DepositStatus::Refused {
                        code: d.code.unwrap_or_default(),
                        text: d.text.unwrap_or_default(),
                    },
                    State::Sending | State::Unknown => DepositStatus::Unknown,
                    State::Queued | State::Superseded => DepositStatus::Queued,
                },
                attempts: d.attempts,
            })
        })
        .collect();
    let consultations: Vec<ConsultationFact> = store
        .consultations(None)?
        .into_iter()
        .filter(|c| within(c.at))
        .filter_map(|c| {
            Some(ConsultationFact {
                usager: c.usager,
                at: c.at,
                transaction: c.transaction,
                access_mode: dmp_core::habilitation::AccessMode::from_code(&c.access_mode)?,
                role: c.who.role,
                consent: c.consent,
                outcome: c.outcome,
            })
        })
        .collect();
    let events: Vec<UsagerEvent> = store
        .events()?
        .into_iter()
        .filter(|e| within(e.at))
        .collect();
    let met = deposits
        .iter()
        .map(|d| &d.usager)
        .chain(consultations.iter().map(|c| &c.usager))
        .chain(events.iter().map(|e| &e.usager));
    let mut unknown: Vec<String> = met
        .filter(|k| !usagers.iter().any(|u| &u.key == *k))
        .cloned()
        .collect();
    unknown.sort();
    unknown.dedup();
    usagers.extend(unknown.into_iter().map(|key| Usager {
        key,
        label: String::new(),
        setting: String::new(),
    }));
    Ok(Facts {
        usagers,
        deposits,
        consultations,
        events,
    })
}
