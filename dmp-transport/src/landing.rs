//! The landing check of a TD2.1 or TD3.3: a TD3.1 reference search (GetDocuments by uniqueId
//! or entryUUID, the right the establishment has in indirect mode) built now and signed by
//! the actor's signing identity, read with [`dmp_core::landing::Probe`].

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dmp_core::actor::ActorProfile;
use dmp_core::consult::{self, ConsultRequest, Response, Transaction};
use dmp_core::crypto::{Signer, SigningIdentity, UsagePolicy};
use dmp_core::feed::{FeedContext, IdGenerator};
use dmp_core::landing::Probe;
use dmp_core::soap::mtom::HttpRequest;

use crate::send::LandingCheck;

/// [`LandingCheck`] by a registry search.
pub struct RegistryLanding {
    probe: Probe,
    profile: ActorProfile,
    signer: Arc<dyn SignerSource>,
    ids: IdGenerator,
}

/// What signs the landing search: a signer checked for the DMP at the time of each search.
/// A [`SigningIdentity`] is one; a card or HSM behind a callback (the C ABI's identities)
/// implements it too.
pub trait SignerSource: Send + Sync {
    /// A signer for a request built at `at` (certificate valid then, non-repudiation).
    fn signer_at(&self, at: DateTime<Utc>) -> dmp_core::Result<Box<dyn Signer>>;
}

impl SignerSource for SigningIdentity {
    fn signer_at(&self, at: DateTime<Utc>) -> dmp_core::Result<Box<dyn Signer>> {
        Ok(Box::new(SigningIdentity::signer_at(
            self,
            at,
            UsagePolicy::DmpSignature,
        )?))
    }
}

impl RegistryLanding {
    /// The check of `probe`, searched as `profile` with `identity` (the VIHF signer:
    /// ORG_SIGN in indirect mode); `seed` seeds the search's ids (random in production).
    pub fn new(
        probe: Probe,
        profile: &ActorProfile,
        signer: Arc<dyn SignerSource>,
        seed: u64,
    ) -> RegistryLanding {
        RegistryLanding {
            probe,
            profile: profile.clone(),
            signer,
            ids: IdGenerator::from_seed(seed),
        }
    }

    /// The probe.
    pub fn probe(&self) -> &Probe {
        &self.probe
    }
}

impl LandingCheck for RegistryLanding {
    fn request(&mut self) -> Result<HttpRequest, String> {
        let now = Utc::now();
        let signer = self
            .signer
            .signer_at(now)
            .map_err(|e| format!("the landing search cannot be signed: {e}"))?;
        let request = ConsultRequest {
            actor: self.profile.clone(),
            consent: None,
            transaction: Transaction::Reference {
                ins: self.probe.patient.clone(),
                query: self.probe.query(),
            },
        };
        let mut ctx = FeedContext {
            now: now.fixed_offset(),
            ids: self.ids.clone(),
            signer: signer.as_ref(),
            rights: None,
        };
        let built = consult::build(&request, &mut ctx)
            .map_err(|e| format!("the landing search cannot be built: {e}"))?;
        self.ids = ctx.ids;
        Ok(built.http)
    }

    fn landed(&mut self, answer: &Response) -> Result<bool, String> {
        self.probe.landed(answer).map_err(|e| e.to_string())
    }
}
