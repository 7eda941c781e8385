//! What the five use-case scenarios share: the local DMP they run against, the story's
//! usager, the actors with their sessions, the printing of the story, and the ONE place where
//! a DMP call is made.
//!
//! Every deposit goes through [`Scenario::deposit`], every consultation or management request
//! (TD0.2, TD3.1, TD3.2, TD3.3) through [`Scenario::consult`]. When the actor belongs to the
//! story's establishment (its `home` in `examples/data/usecases/usagers.json`), both go
//! through that establishment's journal (`target/usecases/<story>.sqlite`): deposits are
//! journaled then sent by the outbox, consultations take their consent from the register and
//! are logged. Other actors (the hospital, the SAMU, a liberal professional) have their own
//! software: they send directly. The story ends with the indicators over the journal
//! ([`Scenario::finish`]).
//!
//! A scenario is also a test: each step asserts what it expects and panics with a message
//! that says which step deviated and how.

#![allow(dead_code)] // each scenario uses a part of it

use std::cell::Cell;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::actor::ActorProfile;
use dmp_core::cda::{CdaHeader, CdaOrganization, CdaPatient, CdaPerson, Content, MediaType};
use dmp_core::consent::register::{ConsentRecord, Scope};
use dmp_core::consent::Consent;
use dmp_core::consult::{ConsultRequest, Response, Transaction};
use dmp_core::crypto::{SignatureAlgorithm, SigningIdentity};
use dmp_core::feed::{FeedDocument, FeedRequest};
use dmp_core::habilitation::{Matrix, Outcome as MatrixOutcome, Permission, Rights};
use dmp_core::ids::Finess;
use dmp_core::model::DocumentKind;
use dmp_core::pilotage::{Indicators, Plan, UsagerEventKind};
use dmp_core::xds::{DocumentRef, DocumentRequest, FindDocuments, RegistryDocument, StoredQuery};
use dmp_core::DmpError;
use dmp_journal::{DepositOptions, EstablishmentKey, Journal, JournalError, SqliteStore, State};
use dmp_sandbox::{Sandbox, SandboxConfig, Store};
use dmp_transport::{Outcome, Session};
use serde::Deserialize;

/// The error of a scenario's setup (a file that cannot be read, a sandbox that cannot start).
pub type Error = Box<dyn std::error::Error>;

/// What the library answers before anything is sent: an `Outcome` once sent, or the rule the
/// request broke (rights, consent, identity…), in which case nothing left the machine.
pub type Sent = Result<Outcome, dmp_core::Error>;

/// The key of the stories' journals. TEST ONLY: a real establishment keeps its own secret
/// key (32 bytes or more) outside the journal.
const JOURNAL_KEY: &[u8] = b"dmp use cases: TEST-ONLY establishment key, never in production";

/// A path of the repository (the scenarios are declared by `dmp-journal/Cargo.toml`).
pub fn repo(rel: &str) -> PathBuf {
    let crate_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    crate_dir.parent().unwrap_or(crate_dir).join(rel)
}

/// The usager of a story (`examples/data/usecases/usagers.json`).
#[derive(Debug, Clone, Deserialize)]
pub struct StoryUsager {
    /// The story's name (`david`…).
    pub story: String,
    /// The actor profile of the establishment whose journal the story keeps (the ESSMS).
    pub home: String,
    /// Its activity (EHPAD, FAM, SSIAD, IME): the deposit plan of `examples/data/plans/`.
    pub setting: String,
    /// Who they are, for people.
    pub label: String,
    /// A minor, represented by their parents.
    #[serde(default)]
    pub minor: bool,
    /// The usager as the CDA carries them (qualified INS, traits, IPP).
    pub patient: CdaPatient,
}

impl StoryUsager {
    /// "DAVID MOREAU (INS 136046912304524)".
    pub fn name(&self) -> String {
        let t = &self.patient.traits;
        let family = t
            .used_family_name
            .as_deref()
            .unwrap_or(&t.birth_family_name);
        format!(
            "{} {family} (INS {})",
            t.first_given_name,
            self.patient.ins.matricule()
        )
    }
}

/// Someone who acts on the DMP: their profile and the session that sends as them.
pub struct Actor {
    /// The profile (`examples/data/actors/<file>.json`).
    pub profile: ActorProfile,
    session: Session,
}

impl Actor {
    /// The profile's label.
    pub fn label(&self) -> &str {
        self.profile.label.as_deref().unwrap_or("(actor)")
    }

    /// The acting person, as a CDA author.
    pub fn person(&self) -> &CdaPerson {
        &self.profile.user
    }

    /// The structure the actor acts for.
    pub fn structure(&self) -> &CdaOrganization {
        &self.profile.structure
    }
}

/// A document the story writes: the CDA header's variable part (the rest comes from the
/// usager and the structure).
pub struct Doc<'a> {
    /// Its kind (type code).
    pub kind: DocumentKind,
    /// Its uniqueId (an OID of the producing structure).
    pub id: &'a str,
    /// Its title.
    pub title: &'a str,
    /// When it was written (RFC 3339).
    pub time: &'a str,
    /// Its text (the N1 body, text/plain).
    pub text: &'a str,
}

/// A running scenario: the sandbox, the story's usager, the step counter.
pub struct Scenario {
    sandbox: Sandbox,
    store: Store,
    dir: PathBuf,
    /// The story's usager.
    pub usager: StoryUsager,
    step: Cell<u32>,
    rights: Rights,
    /// The habilitation matrix the library explains with (the sandbox applies the same).
    pub matrix: Matrix,
    /// The establishment's journal (outbox, consent register, consultation log).
    journal: Journal<SqliteStore>,
    journal_path: PathBuf,
    /// The FINESS of the establishment that keeps the journal.
    home: Finess,
}

impl Scenario {
    /// Starts a fresh local DMP under `target/usecases/<story>/` that knows the story's
    /// usager (and nobody else), and prints the title.
    pub fn start(story: &str, title: &str) -> Result<Scenario, Error> {
        let dir = repo(&format!("target/usecases/{story}"));
        let _ = std::fs::remove_dir_all(&dir);
        let text = std::fs::read_to_string(repo("examples/data/usecases/usagers.json"))?;
        let usagers: Vec<StoryUsager> = dmp_core::json::from_str(&text)?;
        let usager = usagers
            .into_iter()
            .find(|u| u.story == story)
            .ok_or_else(|| format!("examples/data/usecases/usagers.json has no story {story}"))?;
        let seed = dir.join("seed");
        std::fs::create_dir_all(&seed)?;
        std::fs::write(
            seed.join("patients.json"),
            serde_json::to_string_pretty(&[seed_patient(&usager)])?,
        )?;
        let journal_path = repo(&format!("target/usecases/{story}.sqlite"));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", journal_path.display()));
        }
        let journal = Journal::new(
            SqliteStore::open(&journal_path)?,
            EstablishmentKey::new(JOURNAL_KEY)?,
        );
        let home = load_profile(&usager.home)?.structure.finess;
        journal.register_usager(&usager.patient.ins, &usager.story, &usager.setting)?;
        journal.record_event(
            &usager.patient.ins,
            UsagerEventKind::Admission,
            Utc::now().fixed_offset(),
        )?;
        let mut config = SandboxConfig::embedded(dir.join("sandbox"));
        config.seed_dir = Some(seed);
        let sandbox = Sandbox::start(config)?;
        println!("══ {title} ══");
        println!(
            "Local DMP at {} (data in {}); the usager: {}, {}.",
            sandbox.base_url(),
            dir.display(),
            usager.name(),
            usager.label
        );
        println!(
            "The {} journals its deposits and consultations in {}.",
            usager.setting,
            journal_path.display()
        );
        Ok(Scenario {
            store: sandbox.store()?,
            sandbox,
            dir,
            usager,
            step: Cell::new(0),
            rights: Rights::embedded()?,
            matrix: Matrix::embedded()?,
            journal,
            journal_path,
            home,
        })
    }

    /// Where this run keeps its data (`target/usecases/<story>/`, emptied at each start).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The sandbox's store (what the DMP holds, its access log, the usager's side).
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// The usager's INS matricule.
    pub fn ins(&self) -> &str {
        self.usager.patient.ins.matricule().as_str()
    }

    /// An actor whose profile carries its TLS identity (an establishment certificate, in
    /// indirect or AIR mode), signing with `signing_p12` of `examples/pki/`.
    pub fn actor(&self, file: &str, signing_p12: &str) -> Result<Actor, Error> {
        let profile = load_profile(file)?;
        self.session_for(profile, signing_p12)
    }

    /// An actor with a CPS card: TLS with the card's authentication key `auth_p12`, signing
    /// with its signature key `sign_p12` (both in `examples/pki/`, test stand-ins for the
    /// card).
    pub fn card_actor(&self, file: &str, auth_p12: &str, sign_p12: &str) -> Result<Actor, Error> {
        let mut profile = load_profile(file)?;
        profile.transport = Some(serde_json::json!({
            "client_certificate": {
                "p12": format!("../../pki/{auth_p12}"),
                "password_file": "../../pki/PASSWORD"
            },
            "server_roots": ["../../pki/sandbox-root.pem"]
        }));
        self.session_for(profile, sign_p12)
    }

    fn session_for(&self, mut profile: ActorProfile, signing_p12: &str) -> Result<Actor, Error> {
        // A local DMP answers in milliseconds: short timeouts keep every run bounded.
        if let Some(serde_json::Value::Object(transport)) = &mut profile.transport {
            transport.insert(
                "timeouts_ms".into(),
                serde_json::json!({ "connect": 5_000, "read": 20_000, "total": 30_000 }),
            );
        }
        let p12 = std::fs::read(repo(&format!("examples/pki/{signing_p12}")))?;
        let password = std::fs::read_to_string(repo("examples/pki/PASSWORD"))?;
        let identity = SigningIdentity::from_pkcs12(&p12, password.trim())?
            .with_algorithm(SignatureAlgorithm::RsaSha1)?;
        let session = Session::new(
            profile.clone(),
            &repo("examples/data/actors"),
            identity,
            Some(&self.sandbox.base_url()),
        )?;
        Ok(Actor { profile, session })
    }

    // ── The story, printed ──────────────────────────────────────────────────────────────

    /// Starts the next step of the story.
    pub fn step(&self, text: &str) {
        let n = self.step.get() + 1;
        self.step.set(n);
        println!("\n{n}. {text}");
    }

    /// Prints what the library checked (rights, consent, matrix…).
    pub fn checked(&self, text: &str) {
        println!("   library: {text}");
    }

    /// Prints what the DMP answered.
    pub fn answered(&self, text: &str) {
        println!("   DMP: {text}");
    }

    /// Prints something the story shows besides the DMP (the usager's space, the log).
    pub fn shows(&self, text: &str) {
        println!("   {text}");
    }

    /// Panics, naming the current step, when `ok` is false.
    pub fn expect(&self, ok: bool, what: impl std::fmt::Display) {
        if !ok {
            panic!(
                "use case {}, step {}: expected {what}",
                self.usager.story,
                self.step.get()
            );
        }
    }

    /// Panics, naming the current step, when `got` is not `want`.
    pub fn expect_eq<T: PartialEq + std::fmt::Debug>(&self, what: &str, got: T, want: T) {
        if got != want {
            panic!(
                "use case {}, step {}: {what}: expected {want:?}, got {got:?}",
                self.usager.story,
                self.step.get()
            );
        }
    }

    // ── The one place where the DMP is called ───────────────────────────────────────────

    /// Deposits (TD2.1) as `actor` and expects the DMP to accept. The establishment journals
    /// each document, then its outbox sends it (a replacement goes out as RPLC of the version
    /// the DMP has); other actors send directly.
    pub fn deposit(&self, actor: &Actor, request: &FeedRequest) {
        for h in request.documents.iter().filter_map(|d| d.header.as_ref()) {
            self.shows(&format!(
                "sending {} {} v{} «{}»",
                h.id,
                h.kind.type_code(),
                h.version_number,
                h.title
            ));
        }
        if !self.is_home(actor) {
            self.accepted(actor.session.feed(request));
            return;
        }
        let queued = self
            .journal
            .deposit(request, &DepositOptions::default())
            .unwrap_or_else(|e| self.fail(&format!("the journal refused the deposit: {e}")));
        let report = self
            .journal
            .flush(&actor.session)
            .unwrap_or_else(|e| self.fail(&format!("the outbox failed: {e}")));
        for q in queued {
            let d = self
                .journal
                .deposit_state(q.id())
                .unwrap_or_else(|e| self.fail(&format!("journal: {e}")));
            let replaces = d
                .replaces
                .as_deref()
                .map_or(String::new(), |r| format!(", replacing {r}"));
            self.checked(&format!(
                "journal: deposit #{} ({} v{}{replaces}) {} after {} attempt(s)",
                d.id,
                d.unique_id,
                d.version,
                d.state.name(),
                d.attempts
            ));
            if d.state != State::Accepted {
                self.fail(&format!(
                    "the DMP to accept deposit #{}, got {} {} {}",
                    d.id,
                    d.state.name(),
                    d.code.unwrap_or_default(),
                    d.text.unwrap_or_default()
                ));
            }
        }
        self.expect(
            report.is_settled(),
            "the outbox to be empty after the flush",
        );
    }

    /// Sends a consultation or management request (TD0.2, TD3.1, TD3.2, TD3.3) as `actor`.
    /// For the establishment's professionals, the consent the story gives is written in the
    /// register (as the DUI's consent screen would), and the journal takes the consent from
    /// the register and logs the consultation; other actors send directly.
    pub fn consult(&self, actor: &Actor, request: &ConsultRequest) -> Sent {
        if !self.is_home(actor) || matches!(request.consent, Some(Consent::TestingOverride { .. }))
        {
            return actor.session.consult(request);
        }
        // Whether the professional belongs to the usager's care team is the DUI's knowledge:
        // here, the story says it by giving a care-team consent.
        let care_team = matches!(request.consent, Some(Consent::CareTeam { .. }));
        if let Some(consent) = &request.consent {
            self.register(actor, consent);
        }
        let mut bare = request.clone();
        bare.consent = None;
        match self.journal.consult(&actor.session, &bare, care_team) {
            Ok(outcome) => Ok(outcome),
            Err(JournalError::Blocked(e) | JournalError::Invalid(e)) => Err(e),
            Err(e) => self.fail(&format!("journal: {e}")),
        }
    }

    /// Whether `actor` acts for the establishment that keeps the journal.
    fn is_home(&self, actor: &Actor) -> bool {
        actor.structure().finess == self.home
    }

    /// Records in the register what `consent` says, unless it is already there.
    fn register(&self, actor: &Actor, consent: &Consent) {
        let idnat = actor.person().idnat.to_string();
        let now = Utc::now().fixed_offset();
        let record = |scope, professional: Option<&str>, at: DateTime<FixedOffset>| ConsentRecord {
            usager: String::new(),
            scope,
            professional: professional.map(str::to_owned),
            collected_by: idnat.clone(),
            on_behalf_of: None,
            at,
            withdrawal: false,
            note: String::new(),
        };
        let mut records = Vec::new();
        match consent {
            Consent::CareTeam {
                initial_consent_at,
                informed,
                objected,
            } => {
                if let Some(at) = initial_consent_at {
                    records.push(record(Scope::CareTeam, None, *at));
                    if *informed {
                        records.push(record(Scope::Information, None, *at));
                    }
                }
                if *objected {
                    records.push(record(Scope::Objection, Some(&idnat), now));
                }
            }
            Consent::Explicit {
                given_at,
                collected_by,
                withdrawn,
            } => {
                let mut r = record(Scope::Explicit, Some(&idnat), *given_at);
                if let Some(by) = collected_by {
                    r.collected_by = by.clone();
                    r.on_behalf_of = Some(idnat.clone());
                }
                r.withdrawal = *withdrawn;
                records.push(r);
            }
            Consent::Emergency { usager_objected } => {
                if *usager_objected {
                    records.push(record(Scope::EmergencyObjection, None, now));
                }
            }
            Consent::TestingOverride { .. } => {}
        }
        let ins = &self.usager.patient.ins;
        let held = self
            .journal
            .consents(ins)
            .unwrap_or_else(|e| self.fail(&format!("journal: {e}")));
        for r in records {
            let same = |h: &ConsentRecord| {
                h.scope == r.scope && h.professional == r.professional && h.at == r.at
            };
            if held.iter().any(same) {
                continue;
            }
            self.checked(&format!(
                "consent register: {} recorded ({}{})",
                r.scope.name(),
                r.professional.as_deref().unwrap_or("the care team"),
                if r.withdrawal { ", withdrawn" } else { "" }
            ));
            self.journal
                .record_consent(ins, r)
                .unwrap_or_else(|e| self.fail(&format!("journal: {e}")));
        }
    }

    // ── What each step expects ───────────────────────────────────────────────────────────

    /// Expects the DMP to have accepted: prints and returns its answer.
    pub fn accepted(&self, sent: Sent) -> Response {
        match sent {
            Ok(Outcome::Accepted {
                response, attempts, ..
            }) => {
                self.answered(&format!(
                    "accepted ({}, {attempts} attempt(s)){}",
                    response.transaction(),
                    summary(&response)
                ));
                response
            }
            Ok(Outcome::Refused { error, .. }) => self.fail(&format!("the DMP refused: {error}")),
            Ok(Outcome::FailedBeforeSending { reason, .. } | Outcome::Unknown { reason, .. }) => {
                self.fail(&format!("no answer from the DMP: {reason}"))
            }
            Err(e) => self.fail(&format!("the library refused before sending: {e}")),
        }
    }

    /// Expects the DMP to have refused: prints and returns its error.
    pub fn refused_by_dmp(&self, sent: Sent) -> DmpError {
        match sent {
            Ok(Outcome::Refused { error, .. }) => {
                self.answered(&format!("refused — {error}"));
                error
            }
            Ok(other) => self.fail(&format!(
                "a refusal from the DMP, got the outcome {}",
                other.kind()
            )),
            Err(e) => self.fail(&format!(
                "a refusal from the DMP, but the library refused before sending: {e}"
            )),
        }
    }

    /// Expects the library to have refused before sending: prints and returns why.
    pub fn refused_before_sending(&self, sent: Sent) -> dmp_core::Error {
        match sent {
            Err(e) => {
                self.checked(&format!(
                    "refused before sending (nothing left the machine): {e}"
                ));
                e
            }
            Ok(other) => self.fail(&format!(
                "the library to refuse before sending, but the request was sent ({})",
                other.kind()
            )),
        }
    }

    fn fail(&self, what: &str) -> ! {
        panic!(
            "use case {}, step {}: {what}",
            self.usager.story,
            self.step.get()
        )
    }

    // ── Building requests ────────────────────────────────────────────────────────────────

    /// A document about the usager, written by `author` at `by`'s structure.
    pub fn document(
        &self,
        by: &Actor,
        author: &CdaPerson,
        doc: &Doc,
    ) -> Result<FeedDocument, Error> {
        let header: CdaHeader = serde_json::from_value(serde_json::json!({
            "kind": doc.kind,
            "id": doc.id,
            "set_id": format!("{}.0", doc.id),
            "version_number": 1,
            "title": doc.title,
            "effective_time": doc.time,
            "patient": &self.usager.patient,
            "authors": [{ "kind": "person", "person": author, "time": doc.time }],
            "structure": by.structure(),
            "legal_authenticator": { "person": author, "time": doc.time },
            "service_event": { "start": doc.time },
        }))?;
        Ok(FeedDocument::new(
            header,
            Content {
                media_type: MediaType::Text,
                data: doc.text.as_bytes().to_vec(),
            },
        ))
    }

    /// The next version of `previous` (same set, version + 1, `replaces` it), which the
    /// registry knows under `previous_entry_uuid` (TD3.1).
    pub fn new_version(
        &self,
        previous: &FeedDocument,
        previous_entry_uuid: &str,
        doc: &Doc,
    ) -> Result<FeedDocument, Error> {
        let old = previous
            .header
            .as_ref()
            .ok_or("the previous version has no header")?;
        let mut header = old.clone();
        header.id = doc.id.parse()?;
        header.version_number = old.version_number + 1;
        header.replaces = Some(old.id.clone());
        header.title = doc.title.to_owned();
        header.effective_time = doc.time.parse()?;
        let mut next = FeedDocument::new(
            header,
            Content {
                media_type: MediaType::Text,
                data: doc.text.as_bytes().to_vec(),
            },
        );
        next.replaces_entry_uuid = Some(previous_entry_uuid.to_owned());
        Ok(next)
    }

    /// A TD2.1 submission of `documents` as `actor` (who acts: from the actor's profile).
    pub fn feed_request(
        &self,
        actor: &Actor,
        documents: Vec<FeedDocument>,
    ) -> Result<FeedRequest, Error> {
        let text = serde_json::json!({
            "profile": &actor.profile,
            "documents": [],
            "identity_status": "qualifiee",
        })
        .to_string();
        let mut request = FeedRequest::from_json_with_profile(&text, |p| {
            Err(format!("{p}: the profile is inline"))
        })?;
        request.documents = documents;
        Ok(request)
    }

    /// A request of `transaction` as `actor` under `consent`.
    pub fn request(
        &self,
        actor: &Actor,
        consent: Option<Consent>,
        transaction: Transaction,
    ) -> ConsultRequest {
        ConsultRequest {
            actor: actor.profile.clone(),
            consent,
            transaction,
        }
    }

    /// TD3.1 FindDocuments on the usager.
    pub fn find_documents(&self) -> Transaction {
        let ins = self.usager.patient.ins.clone();
        Transaction::Search {
            ins: ins.clone(),
            query: StoredQuery::FindDocuments(FindDocuments::new(ins)),
        }
    }

    /// TD3.2 of these uniqueIds.
    pub fn retrieve_documents(&self, unique_ids: &[&str]) -> Transaction {
        Transaction::Retrieve {
            ins: self.usager.patient.ins.clone(),
            documents: unique_ids
                .iter()
                .map(|u| DocumentRequest::dmp(*u))
                .collect(),
        }
    }

    /// The current registry entry of `unique_id` (TD3.1 GetDocuments, the reference search
    /// the establishment certificate may run), as `actor`: for a replacement or a TD3.3.
    pub fn reference(&self, actor: &Actor, unique_id: &str) -> RegistryDocument {
        let request = self.request(
            actor,
            None,
            Transaction::Reference {
                ins: self.usager.patient.ins.clone(),
                query: StoredQuery::GetDocuments {
                    by: DocumentRef::UniqueIds(vec![unique_id.to_owned()]),
                    home_community_id: None,
                },
            },
        );
        let answer = self.accepted(self.consult(actor, &request));
        let entries = found(&answer);
        self.expect_eq("entries found by the reference search", entries.len(), 1);
        entries
            .into_iter()
            .next()
            .unwrap_or_else(|| self.fail("no entry"))
    }

    /// TD3.2 of `unique_ids` as `actor` under `consent`: expects the DMP to return exactly
    /// these documents, each byte for byte as it stored them; returns them.
    pub fn read(
        &self,
        actor: &Actor,
        consent: Option<Consent>,
        unique_ids: &[&str],
    ) -> Result<Vec<(String, Vec<u8>)>, Error> {
        let request = self.request(actor, consent, self.retrieve_documents(unique_ids));
        let got = retrieved(&self.accepted(self.consult(actor, &request)));
        let mut returned: Vec<String> = got.iter().map(|(u, _)| u.clone()).collect();
        returned.sort();
        self.expect_eq("documents returned by TD3.2", returned, ids(unique_ids));
        for (uid, bytes) in &got {
            self.expect_eq(
                &format!("bytes of {uid} as the DMP stored them"),
                Some(bytes.clone()),
                self.store.cda(uid)?,
            );
        }
        self.shows(&format!(
            "the {} document(s) read are, byte for byte, those the DMP stored",
            got.len()
        ));
        Ok(got)
    }

    // ── What the library explains ────────────────────────────────────────────────────────

    /// Prints the functional-rights rows of `transaction` for `actor` (PDT-INF-526/606) on
    /// one line and returns whether at least one allows it.
    pub fn rights(&self, actor: &Actor, transaction: &str) -> bool {
        let p = &actor.profile;
        let decisions =
            self.rights
                .decide(p.authentication(), p.actor(), p.access_mode, transaction);
        let rows: Vec<_> = decisions.iter().filter(|d| !d.withdrawn).collect();
        let label = |ok: bool| {
            rows.iter()
                .filter(|d| (d.permission == Permission::Allowed) == ok)
                .map(|d| format!("«{}»", d.label))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let (yes, no) = (label(true), label(false));
        let document = rows.first().map_or("no table", |d| d.document.as_str());
        let mut line = format!(
            "rights {transaction} ({document}) for {} / {} / {}:",
            p.mode.name(),
            p.actor().code(),
            p.access_mode.code()
        );
        if !yes.is_empty() {
            line.push_str(&format!(" allowed {yes}"));
        }
        if !no.is_empty() {
            line.push_str(&format!(
                "{} not allowed {no}",
                if yes.is_empty() { "" } else { ";" }
            ));
        }
        self.checked(&line);
        !yes.is_empty()
    }

    /// Prints the habilitation matrix's verdict for `actor` on the type `type_code` of
    /// `what`, and returns whether the matrix lets them read it.
    pub fn matrix_verdict(&self, actor: &Actor, type_code: &str, what: &str) -> bool {
        let decision = self.matrix.decide(&actor.profile.reader(), type_code);
        let ok = decision.outcome == MatrixOutcome::Allowed;
        self.checked(&format!(
            "matrix — {what} ({type_code}): {} — {}",
            if ok { "may read" } else { "may not read" },
            decision.reason
        ));
        ok
    }

    /// [`Scenario::matrix_verdict`] on each entry; returns the uniqueIds the matrix lets
    /// `actor` read.
    pub fn matrix_verdicts(&self, actor: &Actor, documents: &[RegistryDocument]) -> Vec<String> {
        documents
            .iter()
            .filter(|d| {
                let code = d.type_code.as_ref().map_or("", |c| c.code.as_str());
                let what = format!("{} «{}»", d.unique_id, d.title.as_deref().unwrap_or(""));
                self.matrix_verdict(actor, code, &what)
            })
            .map(|d| d.unique_id.clone())
            .collect()
    }

    /// Stops the sandbox and says where the data is.
    pub fn finish(self) {
        self.step(&format!(
            "The establishment's indicators over its journal (as `dmp indicators --journal \
             target/usecases/{}.sqlite` reports them).",
            self.usager.story
        ));
        let facts = self
            .journal
            .all_facts()
            .unwrap_or_else(|e| self.fail(&format!("journal: {e}")));
        let plan_path = repo(&format!(
            "examples/data/plans/{}.json",
            self.usager.setting.to_lowercase()
        ));
        let plan = std::fs::read_to_string(&plan_path)
            .ok()
            .map(|text| Plan::from_json(&text))
            .transpose()
            .unwrap_or_else(|e| self.fail(&format!("{}: {e}", plan_path.display())));
        let now = Utc::now().fixed_offset();
        let ind = Indicators::compute(&facts, None, None, now, plan.as_ref());
        let by_kind: Vec<String> = ind
            .by_kind
            .iter()
            .map(|k| format!("{} {}", k.count, k.label))
            .collect();
        self.shows(&format!(
            "DMP alimentés: {}; documents déposés: {} ({}); remplacements: {}; refus: {}",
            ind.dmp_fed,
            ind.deposits.accepted,
            by_kind.join(", "),
            ind.replacements,
            ind.refusals.len()
        ));
        let modes: Vec<String> = ind
            .consultations
            .by_mode
            .iter()
            .map(|m| format!("{} {}", m.count, m.mode))
            .collect();
        self.shows(&format!(
            "consultations journaled: {} ({})",
            ind.consultations.total,
            modes.join(", ")
        ));
        self.expect(
            ind.deposits.accepted == facts.deposits.len() as u64,
            "every journaled deposit accepted",
        );
        let html = self.journal_path.with_extension("html");
        std::fs::write(&html, dmp_core::pilotage::report::html(&ind))
            .unwrap_or_else(|e| self.fail(&format!("{}: {e}", html.display())));
        self.shows(&format!("HTML report: {}", html.display()));
        println!(
            "\nDone: every step as expected. The DMP's data stays in {}, the journal in {}.",
            self.dir.display(),
            self.journal_path.display()
        );
        self.sandbox.stop();
    }
}

/// The usager's explicit consent to this one consultation, given now (outside the care team,
/// R.1111-46 al. 3).
pub fn explicit_consent_now() -> Option<Consent> {
    Some(Consent::Explicit {
        given_at: chrono::Utc::now().fixed_offset(),
        collected_by: None,
        withdrawn: false,
    })
}

/// The entries of a TD3.1 answer (panics on another answer: the caller asked a TD3.1).
pub fn found(response: &Response) -> Vec<RegistryDocument> {
    match response {
        Response::Search(r) => r.documents.clone(),
        other => panic!("expected a TD3.1 answer, got {}", other.transaction()),
    }
}

/// The documents of a TD3.2 answer: (uniqueId, bytes).
pub fn retrieved(response: &Response) -> Vec<(String, Vec<u8>)> {
    match response {
        Response::Retrieve(r) => r
            .documents
            .iter()
            .map(|d| (d.document_unique_id.clone(), d.bytes.to_vec()))
            .collect(),
        other => panic!("expected a TD3.2 answer, got {}", other.transaction()),
    }
}

/// The uniqueIds of some entries, sorted.
pub fn unique_ids(documents: &[RegistryDocument]) -> Vec<String> {
    let mut ids: Vec<String> = documents.iter().map(|d| d.unique_id.clone()).collect();
    ids.sort();
    ids
}

/// These uniqueIds, sorted (to compare with [`unique_ids`]).
pub fn ids(list: &[&str]) -> Vec<String> {
    let mut ids: Vec<String> = list.iter().map(|s| (*s).to_owned()).collect();
    ids.sort();
    ids
}

/// The DMP's answer in a few words: what a user would be shown.
fn summary(response: &Response) -> String {
    match response {
        Response::Status(s) => format!(
            ": DMP exists {}, status {}",
            s.exists,
            s.status_code.as_deref().unwrap_or("-")
        ),
        Response::Search(r) => {
            let mut out = format!(": {} document(s)", r.documents.len());
            for d in &r.documents {
                let flags: Vec<&str> = d.confidentiality.iter().map(|c| c.code.as_str()).collect();
                out.push_str(&format!(
                    "\n        {} {} v{} {} «{}» [{}]",
                    d.unique_id,
                    d.type_code.as_ref().map_or("-", |c| c.code.as_str()),
                    d.version.as_deref().unwrap_or("?"),
                    d.status.name(),
                    d.title.as_deref().unwrap_or(""),
                    flags.join(",")
                ));
            }
            out
        }
        Response::Retrieve(r) => {
            let mut out = format!(": {} document(s)", r.documents.len());
            for d in &r.documents {
                out.push_str(&format!(
                    "\n        {} ({}, {} bytes)",
                    d.document_unique_id,
                    d.mime_type,
                    d.bytes.len()
                ));
            }
            out
        }
        Response::Registry { response, .. } => format!(": {}", response_status(response)),
        other => format!(": {}", other.transaction()),
    }
}

fn response_status(r: &dmp_core::xds::RegistryResponse) -> String {
    let mut out = r.status_urn.rsplit(':').next().unwrap_or("").to_owned();
    for e in &r.errors {
        out.push_str(&format!("; {} {}", e.error_code, e.code_context));
    }
    out
}

fn load_profile(file: &str) -> Result<ActorProfile, Error> {
    let path = repo(&format!("examples/data/actors/{file}.json"));
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(ActorProfile::from_json(&text)?)
}

/// The sandbox's seed record of the story's usager (`patients.json` of a seed directory).
fn seed_patient(u: &StoryUsager) -> serde_json::Value {
    let t = &u.patient.traits;
    serde_json::json!({
        "ins": u.patient.ins.matricule().as_str(),
        "oid": u.patient.ins.oid().to_string(),
        "family": t.used_family_name.as_deref().unwrap_or(&t.birth_family_name),
        "given": t.first_given_name,
        "gender": t.sex,
        "birth_date": t.birth_date.to_string().replace('-', ""),
        "label": u.label,
    })
}
