//! One request: read the message with the core's MIME and XML readers, check the VIHF as the
//! DMP does (signature, signer fits the mode, TLS certificate fits the VIHF), check the
//! functional rights, run the transaction in one SQLite transaction, log the access.

use chrono::Utc;
use dmp_core::crypto::Certificate;
use dmp_core::habilitation::{AccessMode, Actor, Authentication, Matrix, Reader, Rights};
use dmp_core::ids::Ins;
use dmp_core::soap::{self, endpoint, mtom};
use dmp_core::vihf::{self, SecurityToken, VihfMode};
use dmp_core::xml::reader::Limits;
use dmp_core::xml::tree::Tree;
use dmp_core::xmldsig::{self, SignatureReport, VerifyOptions};

use crate::soap_answer::{self, Answer, SoapFault};
use crate::store::{self, AccessRow, Store};
use crate::transactions;

/// What the connection does after the answer (the fault hooks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum After {
    /// Answer normally.
    Answer,
    /// Close without answering (the submission is committed).
    Drop,
    /// Abort the process (the submission is committed).
    Abort,
}

/// What the server needs to check requests: trust, tables, the store.
pub(crate) struct Checker {
    pub store: Store,
    /// Roots of the VIHF and XAdES signers (the client roots).
    pub trust: Vec<Certificate>,
    /// CAs that may complete a signer's chain.
    pub intermediates: Vec<Certificate>,
    pub rights: Rights,
    pub matrix: Matrix,
    /// The test fault hooks.
    pub faults: crate::faults::FaultState,
}

/// A received request, with the TLS client certificate of its connection.
pub(crate) struct Request<'a> {
    pub path: &'a str,
    pub content_type: &'a str,
    pub body: &'a [u8],
    pub peer: Option<&'a Certificate>,
}

/// Who asks, as the VIHF and the TLS certificate say.
pub(crate) struct Caller {
    pub token: SecurityToken,
    pub mode: VihfMode,
    pub authentication: Authentication,
    pub actor: Actor,
    pub access_mode: AccessMode,
    pub reader: Reader,
    /// The usager of the VIHF resource-id.
    pub patient: Option<Ins>,
}

impl Caller {
    /// The INS of the VIHF resource-id (empty when none).
    pub(crate) fn ins(&self) -> String {
        self.patient
            .as_ref()
            .map(|i| i.matricule().as_str().to_owned())
            .unwrap_or_default()
    }

    /// Bris de glace or centre 15 (logged as such).
    pub(crate) fn emergency(&self) -> bool {
        self.access_mode != AccessMode::Normal
    }
}

/// Everything a transaction gets.
pub(crate) struct Context<'a> {
    pub checker: &'a Checker,
    pub caller: &'a Caller,
    /// The request envelope (the root part for MTOM).
    pub envelope: &'a [u8],
    /// The whole message as the core's readers take it (headers + body).
    pub message: &'a [u8],
    /// The request's MessageID (the answer's RelatesTo).
    pub message_id: Option<&'a str>,
}

/// The outcome of a transaction: the answer, the error code to log (`OK` when none) and the
/// usager concerned.
pub(crate) struct Outcome {
    pub answer: Answer,
    pub logged: String,
    pub ins: String,
    pub after: After,
}

impl Outcome {
    pub(crate) fn ok(answer: Answer, ins: &str) -> Outcome {
        Outcome {
            answer,
            logged: "OK".into(),
            ins: ins.to_owned(),
            after: After::Answer,
        }
    }

    pub(crate) fn refused(answer: Answer, code: &str, ins: &str) -> Outcome {
        Outcome {
            answer,
            logged: code.to_owned(),
            ins: ins.to_owned(),
            after: After::Answer,
        }
    }
}

/// The code the access log shows for a SOAP fault.
const FAULT_LOGGED: &str = "SOAP Fault";

/// Handles one request (blocking: signatures and SQLite).
pub(crate) fn handle(checker: &Checker, request: &Request<'_>) -> Outcome {
    let mut message = Vec::with_capacity(request.body.len() + request.content_type.len() + 20);
    message.extend_from_slice(b"Content-Type: ");
    message.extend_from_slice(request.content_type.as_bytes());
    message.extend_from_slice(b"\r\n\r\n");
    message.extend_from_slice(request.body);
    let mtom_request = request.path == endpoint::REPOSITORY;
    let fault = |f: SoapFault, relates: Option<&str>| {
        let answer = if mtom_request {
            soap_answer::mtom_fault(&f, relates)
        } else {
            soap_answer::fault(&f, relates)
        };
        Outcome::refused(answer, FAULT_LOGGED, "")
    };
    let envelope: Vec<u8> = match mtom::read_message(&message) {
        Ok(mtom::Message::Multipart(m)) => m.root.bytes.to_vec(),
        Ok(mtom::Message::Xml(x)) => x.to_vec(),
        Err(e) => return fault(SoapFault::sender(format!("Message illisible : {e}")), None),
    };
    let info = match soap::parse_envelope(&envelope) {
        Ok(i) => i,
        Err(e) => {
            return fault(
                SoapFault::sender(format!("Enveloppe SOAP invalide : {e}")),
                None,
            )
        }
    };
    let relates = info.message_id.as_deref();
    let (Some(act), Some(_), Some(_)) = (&info.action, &info.message_id, &info.to) else {
        return fault(
            SoapFault::sender(
                "En-têtes WS-Addressing manquants : Action, MessageID et To sont obligatoires",
            ),
            relates,
        );
    };
    match endpoint::for_action(act) {
        Some(p) if p == request.path => {}
        Some(p) => {
            return fault(
                SoapFault::sender(format!(
                    "L'action {act} n'est pas servie par {} (service {p})",
                    request.path
                )),
                relates,
            )
        }
        None => {
            return fault(
                SoapFault::sender(format!("Action inconnue : {act}")),
                relates,
            )
        }
    }
    let now = Utc::now();
    let mut options = VerifyOptions::new(now).with_trust(checker.trust.clone());
    options.intermediates = checker.intermediates.clone();
    // TD2.1 is verified whole (signatures, digests, metadata vs CDA) by its transaction;
    // here only the signatures, to know who asks.
    let report = match xmldsig::verify_message(&message, &options) {
        Ok(r) => r,
        Err(e) => {
            return fault(
                SoapFault::sender(format!("Message illisible : {e}")),
                relates,
            )
        }
    };
    let root_part = match mtom::read_message(&message) {
        Ok(mtom::Message::Multipart(m)) => m.root.content_id.clone(),
        _ => None,
    };
    let caller = match identify(
        &envelope,
        root_part.as_deref(),
        &report.signatures,
        request.peer,
    ) {
        Ok(c) => c,
        Err(f) => return fault(f, relates),
    };
    let ctx = Context {
        checker,
        caller: &caller,
        envelope: &envelope,
        message: &message,
        message_id: relates,
    };
    let outcome = transactions::run(act, &ctx);
    let row = AccessRow {
        at: now.to_rfc3339(),
        who: caller.token.name_id.clone(),
        structure: caller.token.structure_id.clone(),
        mode: caller.token.mode_code.clone(),
        transaction: transactions::code(act).to_owned(),
        ins: outcome.ins.clone(),
        outcome: outcome.logged.clone(),
        bris_de_glace: caller.emergency(),
    };
    if let Err(e) = checker.store.transaction(|tx| store::log_access(tx, &row)) {
        return fault(
            SoapFault::receiver(format!("Erreur interne du bac à sable : {e}")),
            relates,
        );
    }
    outcome
}

/// The VIHF as the DMP checks it: the one signed assertion of `wsse:Security`, its signer
/// trusted and fitting the mode, and the TLS client certificate fitting it too (the
/// structure's `OU` in indirect and AIR modes, the card's `CN` in direct mode).
fn identify(
    envelope: &[u8],
    part: Option<&str>,
    signatures: &[SignatureReport],
    peer: Option<&Certificate>,
) -> Result<Caller, SoapFault> {
    let tree = Tree::parse(envelope, &Limits::default())
        .map_err(|e| SoapFault::sender(format!("Enveloppe SOAP invalide : {e}")))?;
    let token = vihf::check_security_token(&tree, part, signatures).map_err(|e| {
        let signer_problem = signatures.iter().any(|s| !s.is_valid());
        SoapFault::sender(if signer_problem {
            format!("Le certificat ayant signé le VIHF est invalide : {e}")
        } else {
            format!("VIHF invalide : {e}")
        })
    })?;
    let Some(mode) = token.mode else {
        return Err(SoapFault::sender(format!(
            "VIHF invalide : Authentification_mode {} inconnu",
            token.mode_code
        )));
    };
    let Some(peer) = peer else {
        return Err(SoapFault::sender(
            "Aucun certificat client TLS : l'authentification mutuelle est obligatoire",
        ));
    };
    dmp_core::actor::check_vihf_signer(mode, &token.name_id, &token.structure_id, peer).map_err(
        |e| {
            SoapFault::sender(format!(
                "Le certificat d'authentification TLS ne correspond pas au VIHF : {e}"
            ))
        },
    )?;
    let access_mode = match token.purpose_of_use.as_deref() {
        None => AccessMode::Normal,
        Some(code) => AccessMode::from_code(code).ok_or_else(|| {
            SoapFault::sender(format!(
                "VIHF invalide : PurposeOfUse {code} inconnu (normal, centre_15, bris_de_glace)"
            ))
        })?,
    };
    let profession = token.profession_g15().map(str::to_owned);
    let actor = match profession.as_deref() {
        Some("10") => Actor::Medecin,
        Some(_) => Actor::PsNonMedecin,
        None => Actor::NonPs,
    };
    let authentication = match mode {
        VihfMode::Indirecte => Authentication::IndirecteCertificatEs,
        VihfMode::IndirecteRenforcee => Authentication::Air,
        VihfMode::Directe if actor == Actor::NonPs => Authentication::DirecteCpe,
        VihfMode::Directe => Authentication::DirecteCps,
    };
    let patient =
        match &token.resource_id {
            Some(cx) => Some(Ins::from_cx(cx).map_err(|e| {
                SoapFault::sender(format!("VIHF invalide : resource-id {cx} : {e}"))
            })?),
            None => None,
        };
    Ok(Caller {
        reader: profession
            .as_deref()
            .map(Reader::health_professional)
            .unwrap_or_default(),
        token,
        mode,
        authentication,
        actor,
        access_mode,
        patient,
    })
}

/// Whether the functional rights let the caller run the row `(transaction, label)`.
pub(crate) fn allowed(ctx: &Context<'_>, transaction: &str, label: Option<&str>) -> bool {
    let c = ctx.caller;
    ctx.checker
        .rights
        .decide(c.authentication, c.actor, c.access_mode, transaction)
        .iter()
        .any(|d| {
            !d.withdrawn
                && d.permission == dmp_core::habilitation::Permission::Allowed
                && label.is_none_or(|l| d.label == l)
        })
}

/// The SOAP fault the sandbox answers when the functional rights refuse a transaction.
pub(crate) fn rights_fault(ctx: &Context<'_>, transaction: &str) -> SoapFault {
    let c = ctx.caller;
    SoapFault::sender(format!(
        "Accès refusé : la transaction {transaction} n'est pas permise à l'acteur {} en mode {} \
         (droits fonctionnels)",
        c.actor.code(),
        c.mode.code()
    ))
}
