//! Consulting and managing a DMP: TD0.2 status, TD0.3/TD0.4 authorisations, TD3.1 search,
//! TD3.2 retrieval, TD3.3a–d mask / visibility / delete / archive, each as a pure function.
//!
//! [`build`] turns a [`ConsultRequest`] (who acts: an [`ActorProfile`]; under which
//! [`Consent`]; which [`Transaction`]) and a [`FeedContext`] (clock, ids, signer) into the
//! exact HTTP request of the DMP service, as [`crate::feed::build`] does for TD2.1. The steps,
//! the same for every transaction:
//!
//! 1. the actor profile is valid ([`ActorProfile::validate`]);
//! 2. the functional rights (PDT-INF-526/606) allow the transaction's row for the actor, the
//!    authentication mode and the access mode ([`RULE_RIGHTS`]); TD3.3c with the
//!    establishment certificate only for a document of the structure itself
//!    ([`RULE_OWN_DOCUMENT`]);
//! 3. a consultation (TD3.1 metadata search, TD3.2) has the applicable consent
//!    ([`crate::consent::require`]);
//! 4. the usager's INS matches the environment ([`crate::feed::RULE_INS_ENVIRONMENT`]);
//! 5. the signing certificate is valid, fit for a DMP signature, and fits the mode
//!    ([`crate::actor::check_vihf_signer`], in [`ActorProfile::signed_vihf`]);
//! 6. the body of the transaction, the VIHF of the actor about the usager (signed), the SOAP
//!    1.2 envelope (WS-Addressing action of the transaction, `wsa:To` the service URL), and the
//!    HTTP message: MTOM for TD3.2 (ITI-43), plain `application/soap+xml` otherwise.
//!
//! Same request, clock, key and seed: same bytes. [`parse_response`] reads any answer of
//! these services into a typed [`Response`] or a typed DMP error, codes and texts verbatim.
//!
//! Integration tests: consult.

mod response;
mod transaction;

pub use response::{parse_message, parse_response, Response};
pub use transaction::{EntryArgs, Transaction, TransactionKind};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::actor::{ActorProfile, Environment};
use crate::consent::{self, Consent};
use crate::crypto::{check_signing_certificate, UsagePolicy};
use crate::error::{Error, Result};
use crate::feed::{FeedContext, RULE_INS_ENVIRONMENT};
use crate::habilitation::{Permission, Rights};
use crate::ids::Ins;
use crate::soap::{self, endpoint, mtom};

/// Rule: the functional rights refuse the transaction.
pub const RULE_RIGHTS: &str =
    "the functional rights (PDT-INF-526/606) do not allow this transaction for this \
     authentication mode, actor and access mode";
/// Rule: deleting another structure's document with the establishment certificate.
pub const RULE_OWN_DOCUMENT: &str =
    "with the establishment certificate (indirecte mode) a structure may delete only the \
     documents it sent itself (PDT-INF-526 footnote *): the document's authorInstitution must be \
     the structure's FINESS";

/// One consultation or management request (the `dmp request` input, the FFI record).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsultRequest {
    /// Who acts.
    pub actor: ActorProfile,
    /// The usager's consent (mandatory for a consultation: TD3.1 metadata search, TD3.2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent: Option<Consent>,
    /// What to do.
    pub transaction: Transaction,
}

/// A built request: the HTTP message and its pieces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BuiltConsult {
    /// The transaction code (`TD3.1`…).
    pub transaction: &'static str,
    /// The HTTP request: path, headers, body.
    pub http: mtom::HttpRequest,
    /// The SOAP envelope.
    pub envelope: Vec<u8>,
    /// The body element, as inserted in the envelope.
    pub body: Vec<u8>,
    /// The signed VIHF assertion.
    pub vihf: Vec<u8>,
    /// The WS-Addressing MessageID.
    pub message_id: String,
}

/// Checks what needs no building (rights, consent, environment) for `request` at `now`;
/// [`build`] runs it first. Call it alone to grey out a button.
pub fn check_request(request: &ConsultRequest, now: DateTime<Utc>) -> Result<()> {
    check_request_with(request, now, &Rights::embedded()?)
}

/// [`check_request`] against `rights` held by the caller (parsed once).
pub fn check_request_with(
    request: &ConsultRequest,
    now: DateTime<Utc>,
    rights: &Rights,
) -> Result<()> {
    let actor = &request.actor;
    actor.validate().map_err(|e| e.at("actor"))?;
    let tx = &request.transaction;
    let kind = tx.kind();
    let (code, label) = kind.rights_row();
    let allowed = rights
        .decide(
            actor.authentication(),
            actor.actor(),
            actor.access_mode,
            code,
        )
        .iter()
        .any(|d| {
            !d.withdrawn
                && d.permission == Permission::Allowed
                && label.is_none_or(|l| d.label == l)
        });
    if !allowed {
        return Err(Error::invalid(
            "actor.mode",
            RULE_RIGHTS,
            format!(
                "{code} {} / {} / {} / {}",
                label.unwrap_or(kind.name()),
                actor.mode.name(),
                actor.actor().code(),
                actor.access_mode.code()
            ),
        ));
    }
    if kind.is_consultation() {
        consent::require(
            request.consent.as_ref(),
            actor.access_mode,
            actor.environment,
            now,
        )?;
    }
    check_environment(tx.patient(), actor.environment)?;
    tx.check_for(actor)?;
    Ok(())
}

fn check_environment(ins: &Ins, environment: Environment) -> Result<()> {
    if ins.is_test() != (environment == Environment::Test) {
        return Err(Error::invalid(
            "transaction.ins",
            RULE_INS_ENVIRONMENT,
            format!("{} in {}", ins.oid(), environment.name()),
        ));
    }
    Ok(())
}

/// Builds the request (see the module documentation for the steps and the checks). Every id
/// comes from `ctx.ids`, every time is `ctx.now`.
pub fn build(request: &ConsultRequest, ctx: &mut FeedContext<'_>) -> Result<BuiltConsult> {
    let now = ctx.now.with_timezone(&Utc);
    check_request_with(request, now, ctx.rights()?.as_ref())?;
    let actor = &request.actor;
    let cert = ctx
        .signer
        .signing_certificate()
        .ok_or_else(|| Error::crypto("signer", "the signer has no certificate"))?;
    check_signing_certificate(cert, now, UsagePolicy::DmpSignature)?;
    let tx = &request.transaction;
    let kind = tx.kind();
    let ids = &mut ctx.ids;

    let body = tx.body(actor, now, ids).map_err(|e| e.at("transaction"))?;
    // The VIHF names a patient in every official sample, TD0.4 included (its resource-id is
    // then the usager the list was asked from).
    let vihf = actor.signed_vihf(tx.patient(), now, ids.uuid(), ctx.signer)?;

    let message_id = ids.urn_uuid();
    let action = kind.action();
    let path = endpoint::for_action(action)
        .ok_or_else(|| Error::invalid("transaction", "no DMP service for this action", action))?;
    let to = format!("{}{}", actor.base_url(), path);
    let envelope = soap::assemble(
        &soap::Head {
            action,
            message_id: &message_id,
            to: &to,
        },
        &vihf,
        &body,
    )?;
    let http = if kind.is_mtom() {
        let boundary = format!("MIMEBoundary_{}", ids.hex());
        mtom::build(&envelope, &[], &boundary, action)?
    } else {
        soap::plain_request(path, &envelope, action)?
    };
    Ok(BuiltConsult {
        transaction: kind.code(),
        http,
        envelope,
        body,
        vihf,
        message_id,
    })
}
