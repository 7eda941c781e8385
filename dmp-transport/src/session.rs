//! One actor, one client: build a request at the current time with fresh ids, send it with
//! the landing check it needs.

use std::path::Path;
use std::sync::Arc;

use chrono::Utc;
use dmp_core::actor::ActorProfile;
use dmp_core::consult::{self, ConsultRequest};
use dmp_core::crypto::{SigningIdentity, UsagePolicy};
use dmp_core::feed::{self, FeedContext, FeedRequest, IdGenerator};
use dmp_core::habilitation::Rights;
use dmp_core::landing::Probe;
use dmp_core::soap::mtom::HttpRequest;

use crate::client::Client;
use crate::error::TransportError;
use crate::landing::{RegistryLanding, SignerSource};
use crate::outcome::Outcome;
use crate::send::{LandingCheck, RequestKind};

/// A client, the actor it acts for, and the actor's signing identity (VIHF, XAdES).
pub struct Session {
    /// The HTTPS client.
    pub client: Client,
    /// The actor.
    pub profile: ActorProfile,
    /// The signing identity (ORG_SIGN in indirect mode, the card's signature key in direct
    /// mode), configured with the algorithm to use.
    pub identity: SigningIdentity,
    /// The functional-rights tables of the pre-send checks, parsed once for the session
    /// ([`Rights::embedded`]).
    pub rights: Rights,
}

fn random_seed() -> u64 {
    let (hi, _) = uuid::Uuid::new_v4().as_u64_pair();
    hi
}

impl Session {
    /// A session for `profile` (its transport settings, paths relative to `profile_dir`).
    pub fn new(
        profile: ActorProfile,
        profile_dir: &Path,
        identity: SigningIdentity,
        base_url_override: Option<&str>,
    ) -> Result<Session, TransportError> {
        let client = Client::from_profile(&profile, profile_dir, base_url_override)?;
        let rights =
            Rights::embedded().map_err(|e| TransportError::settings("rights", e.to_string()))?;
        Ok(Session {
            client,
            profile,
            identity,
            rights,
        })
    }

    /// Builds the TD2.1 of `request` now and sends it, with a landing check.
    pub fn feed(&self, request: &FeedRequest) -> dmp_core::Result<Outcome> {
        self.build_now(|ctx| Ok(feed::build(request, ctx)?.http))
    }

    /// Builds the request now and sends it (a TD3.3 with a landing check).
    pub fn consult(&self, request: &ConsultRequest) -> dmp_core::Result<Outcome> {
        self.build_now(|ctx| Ok(consult::build(request, ctx)?.http))
    }

    /// Builds with the current time, a checked signer and fresh ids, then sends.
    fn build_now(
        &self,
        build: impl FnOnce(&mut FeedContext<'_>) -> dmp_core::Result<HttpRequest>,
    ) -> dmp_core::Result<Outcome> {
        let now = Utc::now();
        let signer = self.identity.signer_at(now, UsagePolicy::DmpSignature)?;
        let mut ctx = FeedContext {
            now: now.fixed_offset(),
            ids: IdGenerator::from_seed(random_seed()),
            signer: &signer,
            rights: Some(&self.rights),
        };
        let http = build(&mut ctx)?;
        Ok(self.send_built(&http))
    }

    /// Sends a request built earlier (`dmp send REQUEST.mime`): a TD2.1 or TD3.3 gets the
    /// landing check its bytes describe; a TD0.3 none (it is not a registry write).
    pub fn send_built(&self, request: &HttpRequest) -> Outcome {
        send_checked(
            &self.client,
            &self.profile,
            Arc::new(self.identity.clone()),
            request,
            None,
        )
    }
}

/// Sends a built request as `profile`: a TD2.1 or TD3.3 with the landing check its bytes
/// describe, signed by `signer` (what [`Session::send_built`] does, for callers that sign
/// otherwise than with a [`SigningIdentity`], such as the C ABI's card callbacks).
pub fn send_checked(
    client: &Client,
    profile: &ActorProfile,
    signer: Arc<dyn SignerSource>,
    request: &HttpRequest,
    total: Option<std::time::Duration>,
) -> Outcome {
    let write = RequestKind::of(request) == Ok(RequestKind::Write);
    let probe = if write {
        Probe::of_request(&request.to_message()).ok()
    } else {
        None
    };
    match probe {
        Some(p) => {
            let mut check = RegistryLanding::new(p, profile, signer, random_seed());
            client.send_within_total(request, Some(&mut check as &mut dyn LandingCheck), total)
        }
        None => client.send_within_total(request, None, total),
    }
}
