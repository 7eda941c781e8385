//! Who acts: one profile for every DMP transaction.
//!
//! An [`ActorProfile`] says who is acting, from which software, in which authentication
//! mode, for which structure, against which environment and in which access mode. Every
//! transaction (TD2.1 feeding, TD0.2 status, TD3.x consultation and management) is built from
//! one, so that a DUI keeps a handful of profiles (the establishment's identity, each doctor's
//! card) instead of repeating these fields in every request.
//!
//! JSON schema: `docs/schema/actor-profile.schema.json`; samples: `examples/data/actors/`.
//!
//! The profile is data: the keys that sign (the card's or the establishment's) are given to
//! the transaction builders separately, and [`ActorProfile::signed_vihf`] checks that they
//! fit the mode (the DMP refuses a direct-mode VIHF signed with the establishment seal, and an
//! indirect-mode VIHF whose structure is not the certificate's).
//!
//! Integration tests: actor.

use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};

use crate::cda::{CdaOrganization, CdaPerson};
use crate::crypto::{Certificate, Signer};
use crate::error::{Error, Result};
use crate::habilitation::{AccessMode, Actor, Authentication, Reader};
use crate::ids::{Ins, Oid};
use crate::vihf::{AuthnClass, LocalAuthentication, Lps, Vihf, VihfMode, VihfProfile, VihfUser};
use crate::xmldsig::{self, EnvelopedOptions};

/// Rule: bris de glace without a justification.
pub const RULE_JUSTIFICATION: &str =
    "a bris de glace access needs a justification (why the emergency access is needed): it is \
     shown to the usager and kept in the access log";
/// Rule: a card named outside direct mode, or the wrong card for the mode.
pub const RULE_CARD: &str = "card: cps, cpf or cpe in directe mode (the card signs); e_cps in air \
     mode (Pro Santé Connect); none in indirecte mode (the establishment certificate signs)";
/// Rule: the VIHF structure is not the structure of the profile.
pub const RULE_STRUCTURE_ID: &str =
    "in indirecte and air modes the VIHF Identifiant_Structure must be 1 + the FINESS of the \
     structure (what the establishment certificate names in its OU)";
/// Rule: the signing certificate does not fit the mode.
pub const RULE_SIGNER: &str =
    "the VIHF signer must fit the mode: in directe mode the professional's own card signature \
     certificate naming the VIHF subject; in indirecte and air modes the establishment's ORG_SIGN \
     certificate naming the VIHF structure";

/// How the user authenticates to the DMP (the VIHF `Authentification_mode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AuthMode {
    /// `INDIRECTE`: the structure's ORG_AUTH_CLI/ORG_SIGN certificates, the user authenticated
    /// locally (the ESSMS default: feeding).
    #[default]
    Indirecte,
    /// `DIRECTE`: the professional's card (CPS; CPE for a non-PS).
    Directe,
    /// `INDIRECTE_RENFORCEE` (AIR): the structure's certificates and a strong local
    /// authentication of the user (e-CPS through Pro Santé Connect); consultation only.
    Air,
}

impl AuthMode {
    /// The functional-rights authentication of this mode for `actor`.
    pub fn authentication(self, actor: Actor) -> Authentication {
        match self {
            AuthMode::Indirecte => Authentication::IndirecteCertificatEs,
            AuthMode::Directe if actor == Actor::NonPs => Authentication::DirecteCpe,
            AuthMode::Directe => Authentication::DirecteCps,
            AuthMode::Air => Authentication::Air,
        }
    }

    /// The mode as the JSON files write it.
    pub fn name(self) -> &'static str {
        match self {
            AuthMode::Indirecte => "indirecte",
            AuthMode::Directe => "directe",
            AuthMode::Air => "air",
        }
    }
}

/// The DMP platform the request is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Environment {
    /// A test platform: test INS only.
    Test,
    /// Production: real INS only.
    Production,
}

impl Environment {
    /// The default base URL: production `https://lps2.dmp.gouv.fr` (dmp-interface §5); test
    /// `https://lps.dev1.dmp.gouv.fr` (the test host seen in 2026; set `base_url` for yours).
    pub fn default_base_url(self) -> &'static str {
        match self {
            Environment::Test => "https://lps.dev1.dmp.gouv.fr",
            Environment::Production => "https://lps2.dmp.gouv.fr",
        }
    }

    /// The environment as the JSON files write it.
    pub fn name(self) -> &'static str {
        match self {
            Environment::Test => "test",
            Environment::Production => "production",
        }
    }
}

/// The user's local authentication (the VIHF `AuthnStatement`).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalLogin {
    /// How (default: `password` in indirect mode, `smartcard_pki` in direct mode,
    /// `mobile_two_factor_contract` in AIR mode).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub class: Option<AuthnClass>,
    /// When (default: the build time).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub instant: Option<DateTime<FixedOffset>>,
    /// `AuthnContextDecl` (AIR only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub decl: Option<String>,
}

/// The means by which a professional authenticates personally.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Card {
    /// Carte de Professionnel de Santé (direct mode).
    Cps,
    /// Carte de Professionnel en Formation (direct mode, read as a CPS).
    Cpf,
    /// Carte de Personnel d'Établissement (direct mode, non-PS staff).
    Cpe,
    /// e-CPS through Pro Santé Connect (AIR mode: the establishment certificates sign).
    ECps,
}

/// Who acts, from which software, against which environment (see the module documentation).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ActorProfile {
    /// A label for people ("EHPAD Les Tilleuls — établissement").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Authentication mode (default `indirecte`).
    #[serde(default)]
    pub mode: AuthMode,
    /// The card in direct mode (default `cps`), `e_cps` in AIR mode; none in indirect mode.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub card: Option<Card>,
    /// The user acting (VIHF subject and roles): IdNat, names, JDV_J01 specialty.
    pub user: CdaPerson,
    /// The functional-rights actor; default from the user's specialty (`G15_10…` médecin,
    /// another `G15_…` ps_non_medecin, else non_ps).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<Actor>,
    /// The habilitation-matrix reader (profession and ESSMS function); default the TRE_G15
    /// profession of the user's specialty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reader: Option<Reader>,
    /// The structure the user acts for (its FINESS is the VIHF structure in indirect mode and
    /// the author institution of the submission sets).
    pub structure: CdaOrganization,
    /// The VIHF `Identifiant_Structure`; default `1` + the structure's FINESS. In direct mode,
    /// the structure of the card's activity.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub structure_id: Option<String>,
    /// How the user was authenticated locally.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub local_authentication: Option<LocalLogin>,
    /// The software (VIHF LPS attributes).
    pub lps: Lps,
    /// The OID of the sending software instance (SubmissionSet sourceId, HL7v3 sender).
    pub source_id: Oid,
    /// Test or production platform.
    pub environment: Environment,
    /// Base URL of the DMP services (default [`Environment::default_base_url`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub base_url: Option<String>,
    /// Access mode (VIHF purposeofuse, default `normal`).
    #[serde(default = "normal")]
    pub access_mode: AccessMode,
    /// Why the emergency access is needed: mandatory for `bris_de_glace`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// VIHF choices where the sources disagree (default: as the official samples).
    #[serde(default, skip_serializing_if = "is_default_profile")]
    pub vihf_profile: VihfProfile,
    /// Transport settings (TLS identity, server roots, proxy), read by the transport layer;
    /// the core keeps them as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transport: Option<serde_json::Value>,
}

fn normal() -> AccessMode {
    AccessMode::Normal
}

fn is_default_profile(p: &VihfProfile) -> bool {
    *p == VihfProfile::default()
}

impl ActorProfile {
    /// Reads a profile from JSON (errors carry the JSON path) and checks it
    /// ([`validate`](Self::validate)).
    pub fn from_json(text: &str) -> Result<ActorProfile> {
        let p: ActorProfile = crate::json::from_str(text)?;
        p.validate()?;
        Ok(p)
    }

    /// The functional-rights actor ([`ActorProfile::actor`] or from the user's specialty).
    pub fn actor(&self) -> Actor {
        self.actor
            .unwrap_or_else(|| actor_of_specialty(&self.user.specialty))
    }

    /// The functional-rights authentication of the profile.
    pub fn authentication(&self) -> Authentication {
        self.mode.authentication(self.actor())
    }

    /// The VIHF mode.
    pub fn vihf_mode(&self) -> VihfMode {
        VihfMode::for_authentication(self.authentication())
    }

    /// The habilitation-matrix reader ([`ActorProfile::reader`] or the TRE_G15 profession of
    /// the specialty, e.g. `G15_60` → infirmier `60`).
    pub fn reader(&self) -> Reader {
        if let Some(r) = &self.reader {
            return r.clone();
        }
        match g15_of_specialty(&self.user.specialty) {
            Some(code) => Reader::health_professional(code),
            None => Reader::default(),
        }
    }

    /// The VIHF `Identifiant_Structure` (given, or `1` + FINESS).
    pub fn structure_id(&self) -> String {
        self.structure_id
            .clone()
            .unwrap_or_else(|| self.structure.finess.struct_idnat())
    }

    /// The base URL of the services.
    pub fn base_url(&self) -> &str {
        self.base_url
            .as_deref()
            .unwrap_or_else(|| self.environment.default_base_url())
            .trim_end_matches('/')
    }

    /// The local authentication class (given, or the mode's default).
    pub fn authn_class(&self) -> AuthnClass {
        self.local_authentication
            .as_ref()
            .and_then(|l| l.class.clone())
            .unwrap_or(match self.mode {
                AuthMode::Directe => AuthnClass::SmartcardPki,
                AuthMode::Air => AuthnClass::MobileTwoFactorContract,
                AuthMode::Indirecte => AuthnClass::Password,
            })
    }

    /// The `AuthnContextDecl`: given, or in AIR mode the class URI (as the official AIR VIHF
    /// sample writes it, class and declaration alike).
    pub fn authn_decl(&self) -> Option<String> {
        let given = self
            .local_authentication
            .as_ref()
            .and_then(|l| l.decl.clone());
        match (given, self.mode) {
            (Some(d), _) => Some(d),
            (None, AuthMode::Air) => Some(self.authn_class().uri()),
            (None, _) => None,
        }
    }

    /// The local authentication time (given, or `now`).
    pub fn authn_instant(&self, now: DateTime<Utc>) -> DateTime<Utc> {
        self.local_authentication
            .as_ref()
            .and_then(|l| l.instant)
            .map_or(now, |t| t.with_timezone(&Utc))
    }

    /// Checks what the JSON schema cannot: the card fits the mode, bris de glace carries a
    /// justification, the structure id is the structure's in indirect and AIR modes, the
    /// user and the structure are valid.
    pub fn validate(&self) -> Result<()> {
        VihfUser::from_cda_person(&self.user).map_err(|e| e.at("user"))?;
        self.structure.validate().map_err(|e| e.at("structure"))?;
        match (self.mode, self.card) {
            (AuthMode::Indirecte, None)
            | (AuthMode::Directe, None | Some(Card::Cps | Card::Cpf | Card::Cpe))
            | (AuthMode::Air, None | Some(Card::ECps)) => {}
            (mode, Some(card)) => {
                return Err(Error::invalid(
                    "card",
                    RULE_CARD,
                    format!("{} in {} mode", card_name(card), mode.name()),
                ))
            }
        }
        if self.access_mode == AccessMode::BrisDeGlace
            && self
                .justification
                .as_deref()
                .is_none_or(|j| j.trim().is_empty())
        {
            return Err(Error::invalid("justification", RULE_JUSTIFICATION, ""));
        }
        if self.mode != AuthMode::Directe {
            if let Some(sid) = &self.structure_id {
                if *sid != self.structure.finess.struct_idnat() {
                    return Err(Error::invalid("structure_id", RULE_STRUCTURE_ID, sid));
                }
            }
        }
        if let Some(base) = &self.base_url {
            if !(base.starts_with("https://") || base.starts_with("http://")) {
                return Err(Error::invalid(
                    "base_url",
                    "must be an http(s) URL such as https://lps2.dmp.gouv.fr",
                    base,
                ));
            }
        }
        Ok(())
    }

    /// The VIHF of a request made by this actor about `patient` (unsigned: sign it with
    /// [`crate::xmldsig::sign_enveloped`]). `issuer` is the signing certificate's subject
    /// (RFC 2253), `assertion_id` an NCName unique per request.
    pub fn vihf(
        &self,
        patient: &Ins,
        now: DateTime<Utc>,
        assertion_id: String,
        issuer: String,
    ) -> Result<Vihf> {
        Ok(Vihf {
            mode: self.vihf_mode(),
            assertion_id,
            issue_instant: now,
            validity: None,
            issuer,
            user: VihfUser::from_cda_person(&self.user).map_err(|e| e.at("user"))?,
            authentication: LocalAuthentication {
                instant: self.authn_instant(now),
                class: self.authn_class(),
                decl: self.authn_decl(),
            },
            structure_id: self.structure_id(),
            secteur_activite: self.structure.sector.clone(),
            patient: patient.clone(),
            purpose_of_use: self.access_mode,
            hide_from_legal_representatives: false,
            lps: self.lps.clone(),
            profile: self.vihf_profile.clone(),
        })
    }

    /// The signed VIHF of a request about `patient` at `now`: the assertion of
    /// [`vihf`](Self::vihf) (its ID from `assertion_uuid`), after checking that `signer`'s
    /// certificate fits the mode ([`check_vihf_signer`]), signed enveloped as the DMP expects.
    pub fn signed_vihf(
        &self,
        patient: &Ins,
        now: DateTime<Utc>,
        assertion_uuid: uuid::Uuid,
        signer: &dyn Signer,
    ) -> Result<Vec<u8>> {
        let cert = signer
            .signing_certificate()
            .ok_or_else(|| Error::crypto("signer", "the signer has no certificate"))?;
        let assertion_id = Vihf::assertion_id_for(assertion_uuid);
        let vihf = self.vihf(patient, now, assertion_id.clone(), cert.subject_rfc2253())?;
        check_vihf_signer(
            vihf.mode,
            &vihf.user.idnat.to_string(),
            &vihf.structure_id,
            cert,
        )?;
        xmldsig::sign_enveloped(
            &vihf.to_xml()?,
            &assertion_id,
            &EnvelopedOptions::vihf(),
            signer,
        )
    }
}

/// The signer of a VIHF must fit its mode: in `DIRECTE` mode a personal certificate (no
/// structure `OU`) whose common name is the VIHF subject's IdNat (the professional's own card
/// signs); in `INDIRECTE` and AIR modes a structure certificate whose `OU` is the VIHF
/// `Identifiant_Structure`. Used when building every request and when checking a received
/// one (feed check, the sandbox). Errors name the certificate and what it should have been.
pub fn check_vihf_signer(
    mode: VihfMode,
    subject_idnat: &str,
    structure_id: &str,
    cert: &Certificate,
) -> Result<()> {
    let cn = cert.subject().values(OID_CN).next().unwrap_or("");
    let fail = |value: String| Err(Error::invalid("signer", RULE_SIGNER, value));
    match (mode, cert.structure_id()) {
        (VihfMode::Directe, Some(ou)) => {
            fail(format!("structure certificate (OU {ou}) in directe mode"))
        }
        (VihfMode::Directe, None) => {
            if cert.subject().values(OID_CN).any(|c| c == subject_idnat) {
                Ok(())
            } else {
                fail(format!(
                    "certificate CN {cn} does not name the VIHF subject {subject_idnat}"
                ))
            }
        }
        (_, Some(ou)) if ou == structure_id => Ok(()),
        (_, Some(ou)) => fail(format!(
            "certificate is for structure {ou}, the VIHF names {structure_id}"
        )),
        (_, None) => fail(format!(
            "personal certificate CN {cn} in {} mode",
            mode.code()
        )),
    }
}

/// X.520 commonName.
const OID_CN: &str = "2.5.4.3";

fn card_name(card: Card) -> &'static str {
    match card {
        Card::Cps => "cps",
        Card::Cpf => "cpf",
        Card::Cpe => "cpe",
        Card::ECps => "e_cps",
    }
}

/// The functional-rights actor of a JDV_J01 specialty: `G15_10…` médecin, another `G15_…`
/// ps_non_medecin, anything else non_ps.
pub fn actor_of_specialty(specialty: &str) -> Actor {
    match g15_of_specialty(specialty) {
        Some("10") => Actor::Medecin,
        Some(_) => Actor::PsNonMedecin,
        None => Actor::NonPs,
    }
}

/// The TRE_G15 profession code of a JDV_J01 specialty (`G15_10/SM26` → `10`, `G15_60` →
/// `60`), if it is one.
fn g15_of_specialty(specialty: &str) -> Option<&str> {
    let rest = specialty.strip_prefix("G15_")?;
    let code = rest.split('/').next()?;
    (!code.is_empty() && code.bytes().all(|b| b.is_ascii_digit())).then_some(code)
}
