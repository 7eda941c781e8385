//! Actor profiles (the samples, validation, feed requests that name a profile), the rule that
//! the VIHF signer fits the mode (feed build and feed check), and the consent check.

mod common;

use std::path::{Path, PathBuf};

use chrono::{DateTime, Duration, FixedOffset, Utc};
use dmp_core::actor::{check_vihf_signer, ActorProfile, AuthMode, Card, Environment};
use dmp_core::consent::{self, Consent};
use dmp_core::crypto::CheckedSigner;
use dmp_core::feed::{self, FeedContext, FeedMode, FeedRequest, IdGenerator};
use dmp_core::habilitation::{AccessMode, Actor};
use dmp_core::ids::Finess;
use dmp_core::soap::{self, mtom};
use dmp_core::vihf::{VihfMode, VihfProfile};
use dmp_core::xmldsig::{self, EnvelopedOptions, VerifyOptions};
use dmp_core::Error;

const ORG_SIGN: &[u8] = include_bytes!("../examples/pki/org-sign.p12");
const CPS_SIGN: &[u8] = include_bytes!("../examples/pki/cps-sign.p12");
const AT: &str = common::TEST_AT;

fn now() -> DateTime<FixedOffset> {
    AT.parse().unwrap()
}

fn data(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../examples/data")
        .join(rel)
}

fn signer(p12: &[u8]) -> CheckedSigner {
    common::test_signer(p12)
}

fn profile(name: &str) -> ActorProfile {
    let text = std::fs::read_to_string(data(&format!("actors/{name}.json"))).unwrap();
    ActorProfile::from_json(&text).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn value(e: &Error) -> &str {
    e.as_invalid()
        .map(|i| i.value.as_str())
        .unwrap_or_else(|| panic!("not a validation error: {e}"))
}

fn rule(e: &Error) -> (&str, &str) {
    let inv = e
        .as_invalid()
        .unwrap_or_else(|| panic!("not a validation error: {e}"));
    (inv.field.as_str(), inv.rule.as_str())
}

fn feed_sample(name: &str) -> FeedRequest {
    let dir = data("feed");
    let text = std::fs::read_to_string(dir.join(format!("{name}.json"))).unwrap();
    let mut r = FeedRequest::from_json_with_profile(&text, |p| {
        std::fs::read(dir.join(p)).map_err(|e| e.to_string())
    })
    .unwrap();
    r.resolve(|p| std::fs::read(dir.join(p)).map_err(|e| e.to_string()))
        .unwrap();
    r
}

fn build(
    request: &FeedRequest,
    signer: &dyn dmp_core::crypto::Signer,
) -> dmp_core::Result<feed::BuiltRequest> {
    let mut ctx = FeedContext {
        now: now(),
        ids: IdGenerator::from_seed(7),
        signer,
        rights: None,
    };
    feed::build(request, &mut ctx)
}

#[test]
fn sample_profiles_load_with_their_modes_actors_and_readers() {
    let ehpad = profile("ehpad-etablissement");
    assert_eq!(ehpad.mode, AuthMode::Indirecte);
    assert_eq!(ehpad.vihf_mode(), VihfMode::Indirecte);
    assert_eq!(ehpad.structure_id(), "1690800123");
    assert_eq!(ehpad.actor(), Actor::PsNonMedecin);

    let mc = profile("medecin-coordonnateur-cps");
    assert_eq!((mc.mode, mc.card), (AuthMode::Directe, Some(Card::Cps)));
    assert_eq!(mc.actor(), Actor::Medecin);
    assert_eq!(mc.reader().profession.unwrap().code, "10");

    let ide = profile("ide-ecps");
    assert_eq!((ide.mode, ide.card), (AuthMode::Air, Some(Card::ECps)));
    assert_eq!(ide.vihf_mode(), VihfMode::IndirecteRenforcee);
    assert_eq!(ide.reader().profession.unwrap().code, "60");

    let kine = profile("kine-liberal-cps");
    assert_eq!(kine.structure_id(), "499900100068001");
    assert_eq!(kine.reader().profession.unwrap().code, "70");
    assert_eq!(kine.actor(), Actor::PsNonMedecin);
    for p in [&ehpad, &mc, &ide, &kine] {
        assert_eq!(p.environment, Environment::Test);
    }
    // The profiles with a TLS identity target the sandbox; the kiné has none.
    for p in [&ehpad, &mc, &ide] {
        assert_eq!(p.base_url(), "https://localhost:8443");
        assert!(p.transport.is_some());
    }
    assert_eq!(kine.base_url(), "https://lps.dev1.dmp.gouv.fr");
    assert!(kine.transport.is_none());
}

#[test]
fn profile_errors_name_the_field_and_the_rule() {
    let mut p = profile("medecin-coordonnateur-cps");
    p.access_mode = AccessMode::BrisDeGlace;
    let e = p.validate().unwrap_err();
    assert_eq!(
        rule(&e),
        ("justification", dmp_core::actor::RULE_JUSTIFICATION)
    );
    p.justification = Some("Chute, patient inconscient".into());
    p.validate().unwrap();

    let mut p = profile("ehpad-etablissement");
    p.card = Some(Card::Cps);
    let e = p.validate().unwrap_err();
    assert_eq!(rule(&e).0, "card");
    assert!(e.to_string().contains("cps in indirecte mode"), "{e}");

    let mut p = profile("ehpad-etablissement");
    p.structure_id = Some("1750000000".into());
    assert_eq!(rule(&p.validate().unwrap_err()).0, "structure_id");

    let text = std::fs::read_to_string(data("actors/ide-ecps.json"))
        .unwrap()
        .replace("\"air\"", "\"aire\"");
    let e = ActorProfile::from_json(&text).unwrap_err();
    assert!(e.to_string().contains("mode"), "{e}");
}

#[test]
fn the_vihf_signer_must_fit_the_mode() {
    let org = signer(ORG_SIGN);
    let cps = signer(CPS_SIGN);
    let org_cert = dmp_core::crypto::Signer::signing_certificate(&org).unwrap();
    let cps_cert = dmp_core::crypto::Signer::signing_certificate(&cps).unwrap();
    // Indirect: the establishment's seal naming the VIHF structure.
    check_vihf_signer(VihfMode::Indirecte, "899900100027", "1690800123", org_cert).unwrap();
    let e =
        check_vihf_signer(VihfMode::Indirecte, "899900100027", "1690800131", org_cert).unwrap_err();
    assert!(value(&e).contains("is for structure 1690800123"), "{e}");
    let e =
        check_vihf_signer(VihfMode::Indirecte, "899900100019", "1690800123", cps_cert).unwrap_err();
    assert!(value(&e).contains("personal certificate"), "{e}");
    // Direct: the card naming the VIHF subject.
    check_vihf_signer(VihfMode::Directe, "899900100019", "1690800123", cps_cert).unwrap();
    let e =
        check_vihf_signer(VihfMode::Directe, "899900100027", "1690800123", cps_cert).unwrap_err();
    assert!(
        value(&e).contains("does not name the VIHF subject 899900100027"),
        "{e}"
    );
    let e =
        check_vihf_signer(VihfMode::Directe, "899900100019", "1690800123", org_cert).unwrap_err();
    assert!(value(&e).contains("structure certificate"), "{e}");
}

#[test]
fn feed_build_refuses_a_direct_vihf_signed_with_the_establishment_seal() {
    let mut r = feed_sample("dlu");
    r.mode = FeedMode::Directe;
    r.local_authentication = None;
    let e = build(&r, &signer(ORG_SIGN)).unwrap_err();
    assert_eq!(rule(&e), ("signer", dmp_core::actor::RULE_SIGNER));
    // The same request signed with the card of the user it names is built.
    build(&r, &signer(CPS_SIGN)).unwrap();
}

#[test]
fn feed_build_refuses_a_structure_other_than_the_certificates() {
    let other = (0..10)
        .map(|k| format!("69080013{k}"))
        .find(|f| f != "690800123" && Finess::new(f).is_ok())
        .unwrap();
    let mut r = feed_sample("dlu");
    for d in &mut r.documents {
        d.header.as_mut().unwrap().structure.finess = Finess::new(&other).unwrap();
    }
    let e = build(&r, &signer(ORG_SIGN)).unwrap_err();
    assert_eq!(rule(&e).0, "signer");
    assert!(value(&e).contains(&format!("names 1{other}")), "{e}");
}

/// A request built in indirect mode whose VIHF is then replaced by a direct-mode one signed
/// with the establishment seal: `feed check` must say so even though every signature verifies.
#[test]
fn feed_check_refuses_a_vihf_whose_signer_does_not_fit_its_mode() {
    let org = signer(ORG_SIGN);
    let r = feed_sample("dlu");
    let built = build(&r, &org).unwrap();
    let first = r.documents[0].header.as_ref().unwrap();
    let mut profile = r.actor_profile(&first.structure);
    profile.mode = AuthMode::Directe;
    profile.local_authentication = None;
    let cert = dmp_core::crypto::Signer::signing_certificate(&org).unwrap();
    let vihf = profile
        .vihf(
            &first.patient.ins,
            now().with_timezone(&Utc),
            "_forged".into(),
            cert.subject_rfc2253(),
        )
        .unwrap();
    let forged = xmldsig::sign_enveloped(
        &vihf.to_xml().unwrap(),
        "_forged",
        &EnvelopedOptions::vihf(),
        &org,
    )
    .unwrap();
    let envelope = replace(&built.envelope, &built.vihf, &forged);
    let m = mtom::parse_message(&built.http.to_message())
        .unwrap()
        .into_owned();
    let parts: Vec<mtom::Part<'_>> = m
        .parts
        .iter()
        .map(|p| {
            mtom::Part::new(
                p.content_id.clone().unwrap(),
                p.content_type.as_deref().unwrap_or("text/xml"),
                &p.bytes[..],
            )
        })
        .collect();
    let http = mtom::build(
        &envelope,
        &parts,
        "MIMEBoundary_forged",
        soap::action::PROVIDE_AND_REGISTER,
    )
    .unwrap();
    let options = VerifyOptions::new(now().with_timezone(&Utc));
    let report = feed::check(&http.to_message(), &options).unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.contains("structure certificate (OU 1690800123) in directe mode")),
        "{:?}",
        report.problems
    );
    // The genuine request has no VIHF problem.
    let report = feed::check(&built.http.to_message(), &options).unwrap();
    assert!(
        !report.problems.iter().any(|p| p.starts_with("VIHF")),
        "{:?}",
        report.problems
    );
}

fn replace(haystack: &[u8], needle: &[u8], with: &[u8]) -> Vec<u8> {
    let at = haystack
        .windows(needle.len())
        .position(|w| w == needle)
        .expect("the VIHF is in the envelope verbatim");
    [&haystack[..at], with, &haystack[at + needle.len()..]].concat()
}

#[test]
fn feed_request_naming_a_profile_takes_its_who_acts_keys() {
    let r = feed_sample("dlu-profile");
    let p = profile("ehpad-etablissement");
    assert_eq!(r.user, p.user);
    assert_eq!(r.lps, p.lps);
    assert_eq!(r.source_id, p.source_id);
    assert_eq!(r.mode, FeedMode::Indirecte);
    assert_eq!(r.structure_id.as_deref(), Some("1690800123"));
    assert_eq!(r.vihf_profile, VihfProfile::default());
    let built = build(&r, &signer(ORG_SIGN)).unwrap();
    let vihf = String::from_utf8(built.vihf).unwrap();
    assert!(
        vihf.contains("899900100027"),
        "the profile's user is the VIHF subject"
    );

    // Keys written in the request win over the profile's.
    let dir = data("feed");
    let text = std::fs::read_to_string(dir.join("dlu-profile.json"))
        .unwrap()
        .replace(
            "\"identity_status\"",
            "\"access_mode\": \"centre_15\", \"identity_status\"",
        );
    let r = FeedRequest::from_json_with_profile(&text, |p| {
        std::fs::read(dir.join(p)).map_err(|e| e.to_string())
    })
    .unwrap();
    assert_eq!(r.access_mode, AccessMode::Regulation);

    // A missing profile file names the field.
    let text = text.replace("ehpad-etablissement", "absent");
    let e = FeedRequest::from_json_with_profile(&text, |p| {
        std::fs::read(dir.join(p)).map_err(|e| e.to_string())
    })
    .unwrap_err();
    assert_eq!(rule(&e).0, "profile");
}

#[test]
fn consent_rules() {
    let now = now().with_timezone(&Utc);
    let before = |h: i64| (now - Duration::hours(h)).fixed_offset();
    let test = Environment::Test;
    // A consultation without consent says which one is missing.
    let e = consent::require(None, AccessMode::Normal, test, now).unwrap_err();
    assert_eq!(rule(&e), ("consent", consent::RULE_MISSING));
    // Care team: initial consent, informed, no objection.
    Consent::care_team(before(24 * 300))
        .check(AccessMode::Normal, test, now)
        .unwrap();
    let not_informed = Consent::CareTeam {
        initial_consent_at: Some(before(1)),
        informed: false,
        objected: false,
    };
    let e = not_informed
        .check(AccessMode::Normal, test, now)
        .unwrap_err();
    assert_eq!(rule(&e).0, "consent.care_team.informed");
    let objected = Consent::CareTeam {
        initial_consent_at: Some(before(1)),
        informed: true,
        objected: true,
    };
    assert_eq!(
        rule(&objected.check(AccessMode::Normal, test, now).unwrap_err()).0,
        "consent.care_team.objected"
    );
    let never = Consent::CareTeam {
        initial_consent_at: None,
        informed: true,
        objected: false,
    };
    assert_eq!(
        rule(&never.check(AccessMode::Normal, test, now).unwrap_err()).0,
        "consent.care_team.initial_consent_at"
    );
    // Explicit: for this consultation (within 24 hours), not withdrawn.
    let explicit = |h: i64, withdrawn: bool| Consent::Explicit {
        given_at: before(h),
        collected_by: Some("IDE coordinatrice".into()),
        withdrawn,
    };
    explicit(1, false)
        .check(AccessMode::Normal, test, now)
        .unwrap();
    for c in [explicit(25, false), explicit(-1, false), explicit(1, true)] {
        let e = c.check(AccessMode::Normal, test, now).unwrap_err();
        assert_eq!(
            rule(&e),
            ("consent.explicit.given_at", consent::RULE_EXPLICIT)
        );
    }
    // Emergency access modes take an emergency consent, refused after an objection.
    let emergency = |objected| Consent::Emergency {
        usager_objected: objected,
    };
    emergency(false)
        .check(AccessMode::BrisDeGlace, test, now)
        .unwrap();
    emergency(false)
        .check(AccessMode::Regulation, test, now)
        .unwrap();
    assert_eq!(
        rule(
            &emergency(true)
                .check(AccessMode::Regulation, test, now)
                .unwrap_err()
        )
        .1,
        consent::RULE_EMERGENCY
    );
    assert_eq!(
        rule(
            &emergency(false)
                .check(AccessMode::Normal, test, now)
                .unwrap_err()
        )
        .1,
        consent::RULE_EMERGENCY
    );
    assert_eq!(
        rule(
            &explicit(1, false)
                .check(AccessMode::BrisDeGlace, test, now)
                .unwrap_err()
        )
        .1,
        consent::RULE_EMERGENCY_MODE
    );
    // The testing override: test platforms only.
    let o = Consent::TestingOverride {
        reason: "recette".into(),
    };
    o.check(AccessMode::Normal, test, now).unwrap();
    let e = o
        .check(AccessMode::Normal, Environment::Production, now)
        .unwrap_err();
    assert_eq!(rule(&e).1, consent::RULE_OVERRIDE);
    // JSON form.
    let c: Consent =
        serde_json::from_str(r#"{"explicit": {"given_at": "2026-11-20T14:30:00+01:00"}}"#).unwrap();
    c.check(AccessMode::Normal, test, now).unwrap();
}
