//! The crypto module against the checked-in test PKI (`examples/pki/`, made by
//! `make-pki.sh` with openssl) and the certificates of the official DMP sample messages (their
//! `KeyInfo`, read from `../shared/reference/dmp-messages` at test time: not copied here, for
//! licensing reasons; those checks print a `skipped:` note without `../shared`). No openssl
//! needed.

mod common;

use base64::Engine as _;
use chrono::{DateTime, TimeZone, Utc};
use dmp_core::crypto::{
    check_signing_certificate, verify_chain, CallbackSigner, Certificate, DigestAlgorithm, DnStyle,
    KeyUsage, PublicKeyAlgorithm, SignatureAlgorithm, Signer, SigningIdentity, UsagePolicy,
};
use dmp_core::Error;

const PASSWORD_FILE: &str = include_str!("../examples/pki/PASSWORD");
const ORG_SIGN_P12: &[u8] = include_bytes!("../examples/pki/org-sign.p12");
const ORG_SIGN_LEGACY_P12: &[u8] = include_bytes!("../examples/pki/org-sign-legacy.p12");
const ORG_AUTH_CLI_P12: &[u8] = include_bytes!("../examples/pki/org-auth-cli.p12");
const CPS_SIGN_P12: &[u8] = include_bytes!("../examples/pki/cps-sign.p12");
const EXPIRED_P12: &[u8] = include_bytes!("../examples/pki/expired-org-sign.p12");
const CERTS_ONLY_P12: &[u8] = include_bytes!("../examples/pki/certs-only.p12");
const ROOT_PEM: &str = include_str!("../examples/pki/root.pem");
const ORG_CA_PEM: &str = include_str!("../examples/pki/org-ca.pem");
const PERSON_CA_PEM: &str = include_str!("../examples/pki/person-ca.pem");
const ORG_SIGN_PEM: &str = include_str!("../examples/pki/org-sign.pem");
const ORG_AUTH_CLI_PEM: &str = include_str!("../examples/pki/org-auth-cli.pem");
const CPS_SIGN_PEM: &str = include_str!("../examples/pki/cps-sign.pem");
const EXPIRED_PEM: &str = include_str!("../examples/pki/expired-org-sign.pem");
const EC_ORG_SIGN_PEM: &str = include_str!("../examples/pki/ec-org-sign.pem");
const ORG_SIGN_KEY_PEM: &str = include_str!("../examples/pki/org-sign-key.pem");
const ORG_SIGN_KEY_PKCS1_PEM: &str = include_str!("../examples/pki/org-sign-key-pkcs1.pem");
const ORG_SIGN_CHAIN_PEM: &str = include_str!("../examples/pki/org-sign-chain.pem");
const ORG_AUTH_CLI_KEY_PEM: &str = include_str!("../examples/pki/org-auth-cli-key.pem");
const EC_KEY_PEM: &str = include_str!("../examples/pki/ec-org-sign-key.pem");
const EC_CHAIN_PEM: &str = include_str!("../examples/pki/ec-org-sign-chain.pem");
const FINGERPRINTS: &str = include_str!("../examples/pki/fingerprints.txt");
const SIGNED_DATA: &[u8] = include_bytes!("../examples/pki/signed-data.txt");
const OPENSSL_SHA1_SIG: &[u8] = include_bytes!("../examples/pki/org-sign-sha1.sig");
const OPENSSL_SHA256_SIG: &[u8] = include_bytes!("../examples/pki/org-sign-sha256.sig");

/// Official samples whose signer certificate (first `X509Certificate`) the tests read.
const DMP_XADES_SAMPLE: &str = "TD2.1-SignatureXades.xml";
const DMP_VIHF_DIRECTE_SAMPLE: &str = "vihf/VIHF_DIRECTE_signed.xml";
const DMP_VIHF_INDIRECTE_SAMPLE: &str = "vihf/VIHF_INDIRECTE_signed.xml";
const DMP_VIHF_AIR_SAMPLE: &str = "vihf/VIHF_INDIRECTE_RENFORCEE_signed.xml";

const CA_O: &str = "O=DMP-RS TEST PKI - NE PAS UTILISER EN PRODUCTION,C=FR";
const ORG_TAIL: &str = "OU=1690800123,O=EHPAD Les Tilleuls,L=Lyon,ST=Rhône (69),C=FR";

fn password() -> &'static str {
    PASSWORD_FILE.trim()
}

fn at(y: i32, m: u32, d: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 0, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    at(2026, 6, 1)
}

fn cert(pem: &str) -> Certificate {
    Certificate::from_pem(pem).unwrap()
}

/// The signer certificate of an official sample, when `../shared` is there.
fn official_cert(sample: &str) -> Option<Certificate> {
    common::official_certificate(sample).map(|der| Certificate::from_der(&der).unwrap())
}

fn crypto_error(e: Error) -> (String, String) {
    match e {
        Error::Crypto { what, message } => (what, message),
        other => panic!("expected a crypto error, got {other:?}"),
    }
}

fn org_sign() -> SigningIdentity {
    SigningIdentity::from_pkcs12(ORG_SIGN_P12, password()).unwrap()
}

// ---------------------------------------------------------------- PKCS#12 and PEM loading

#[test]
fn modern_and_legacy_pkcs12_load_the_same_identity() {
    let modern = org_sign();
    let legacy = SigningIdentity::from_pkcs12(ORG_SIGN_LEGACY_P12, password()).unwrap();
    assert_eq!(modern.certificate(), legacy.certificate());
    assert_eq!(modern.certificate(), &cert(ORG_SIGN_PEM));
    assert_eq!(modern.alias(), Some("org-sign"));
    let chain: Vec<String> = modern
        .certificate_chain()
        .iter()
        .map(Certificate::subject_rfc2253)
        .collect();
    assert_eq!(
        chain,
        [
            format!("CN=EHPAD Les Tilleuls - cachet,{ORG_TAIL}"),
            format!("CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS,OU=IGC-SANTE TEST,{CA_O}"),
            format!("CN=TEST AC RACINE IGC-SANTE,OU=IGC-SANTE TEST,{CA_O}"),
        ]
    );
    assert_eq!(legacy.certificate_chain(), modern.certificate_chain());
    assert_eq!(modern.algorithm(), SignatureAlgorithm::RsaSha256);
    for p12 in [ORG_AUTH_CLI_P12, CPS_SIGN_P12, EXPIRED_P12] {
        let id = SigningIdentity::from_pkcs12(p12, password()).unwrap();
        assert_eq!(id.certificate_chain().len(), 3);
    }
}

#[test]
fn wrong_password_says_so() {
    for p12 in [ORG_SIGN_P12, ORG_SIGN_LEGACY_P12] {
        let (what, message) =
            crypto_error(SigningIdentity::from_pkcs12(p12, "not-the-password").unwrap_err());
        assert_eq!(what, "password");
        assert!(message.contains("wrong password"), "{message}");
    }
    let (what, _) = crypto_error(SigningIdentity::from_pkcs12(ORG_SIGN_P12, "").unwrap_err());
    assert_eq!(what, "password");
}

#[test]
fn pkcs12_without_key_or_not_pkcs12_is_refused() {
    let (what, message) =
        crypto_error(SigningIdentity::from_pkcs12(CERTS_ONLY_P12, password()).unwrap_err());
    assert_eq!(what, "p12");
    assert_eq!(
        message,
        "no private key in the PKCS#12 file (it holds 2 certificate(s) only)"
    );
    for garbage in [&b""[..], b"\x30\x03\x02\x01\x03", ORG_SIGN_PEM.as_bytes()] {
        let (what, _) =
            crypto_error(SigningIdentity::from_pkcs12(garbage, password()).unwrap_err());
        assert_eq!(what, "p12");
    }
    // Truncations of a real file never panic.
    for len in (0..ORG_SIGN_P12.len()).step_by(97) {
        assert!(SigningIdentity::from_pkcs12(&ORG_SIGN_P12[..len], password()).is_err());
    }
}

fn pem_der(pem: &str) -> Vec<u8> {
    let body: String = pem.lines().filter(|l| !l.starts_with("-----")).collect();
    base64::engine::general_purpose::STANDARD
        .decode(body)
        .unwrap()
}

#[test]
fn pkcs12_with_several_keys_needs_an_alias() {
    use p12_keystore::{KeyStore, KeyStoreEntry, PrivateKey, PrivateKeyChain};
    let mut store = KeyStore::new();
    for (alias, key, leaf, id) in [
        ("sign", ORG_SIGN_KEY_PEM, ORG_SIGN_PEM, [1u8]),
        ("auth", ORG_AUTH_CLI_KEY_PEM, ORG_AUTH_CLI_PEM, [2u8]),
    ] {
        let key = PrivateKey::from_der(&pem_der(key)).unwrap();
        let certs =
            [leaf, ORG_CA_PEM].map(|p| p12_keystore::Certificate::from_der(&pem_der(p)).unwrap());
        store.add_entry(
            alias,
            KeyStoreEntry::PrivateKeyChain(PrivateKeyChain::new(id.to_vec(), key, certs)),
        );
    }
    let p12 = store.writer("pw").write().unwrap();
    let (what, message) = crypto_error(SigningIdentity::from_pkcs12(&p12, "pw").unwrap_err());
    assert_eq!(what, "p12");
    assert!(message.contains("2 private keys"), "{message}");
    let auth = SigningIdentity::from_pkcs12_alias(&p12, "pw", "auth").unwrap();
    assert_eq!(auth.certificate(), &cert(ORG_AUTH_CLI_PEM));
    let sign = SigningIdentity::from_pkcs12_alias(&p12, "pw", "sign").unwrap();
    assert_eq!(sign.certificate(), &cert(ORG_SIGN_PEM));
    let (_, message) =
        crypto_error(SigningIdentity::from_pkcs12_alias(&p12, "pw", "other").unwrap_err());
    assert!(
        message.contains("no private key named \"other\""),
        "{message}"
    );
}

#[test]
fn pem_identity_and_mismatched_keys() {
    let id = SigningIdentity::from_pem(ORG_SIGN_KEY_PEM, ORG_SIGN_CHAIN_PEM).unwrap();
    assert_eq!(id.certificate(), org_sign().certificate());
    assert_eq!(id.certificate_chain().len(), 3);
    assert_eq!(id.alias(), None);
    let pkcs1 = SigningIdentity::from_pem(ORG_SIGN_KEY_PKCS1_PEM, ORG_SIGN_CHAIN_PEM).unwrap();
    assert_eq!(pkcs1.certificate(), id.certificate());

    let (what, message) = crypto_error(
        SigningIdentity::from_pem(ORG_AUTH_CLI_KEY_PEM, ORG_SIGN_CHAIN_PEM).unwrap_err(),
    );
    assert_eq!(what, "key");
    assert_eq!(
        message,
        format!(
            "the private key does not match the certificate 'CN=EHPAD Les Tilleuls - cachet,\
             {ORG_TAIL}' (different public keys)"
        )
    );
    let (what, _) =
        crypto_error(SigningIdentity::from_pem(EC_KEY_PEM, ORG_SIGN_CHAIN_PEM).unwrap_err());
    assert_eq!(what, "key");
    let (what, _) =
        crypto_error(SigningIdentity::from_pem(ORG_SIGN_KEY_PEM, EC_CHAIN_PEM).unwrap_err());
    assert_eq!(what, "key");
    let (what, _) = crypto_error(SigningIdentity::from_pem("", ORG_SIGN_CHAIN_PEM).unwrap_err());
    assert_eq!(what, "pem");
    let (what, _) = crypto_error(SigningIdentity::from_pem(ORG_SIGN_KEY_PEM, "").unwrap_err());
    assert_eq!(what, "certificate");
    let encrypted =
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n";
    let (what, message) =
        crypto_error(SigningIdentity::from_pem(encrypted, ORG_SIGN_CHAIN_PEM).unwrap_err());
    assert_eq!(what, "pem");
    assert!(message.contains("encrypted PKCS#8"), "{message}");
}

// ---------------------------------------------------------------- certificate fields

#[test]
fn dn_rendering_of_the_test_pki() {
    let cases = [
        (
            ROOT_PEM,
            format!("CN=TEST AC RACINE IGC-SANTE,OU=IGC-SANTE TEST,{CA_O}"),
        ),
        (
            ORG_CA_PEM,
            format!("CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS,OU=IGC-SANTE TEST,{CA_O}"),
        ),
        (
            ORG_SIGN_PEM,
            format!("CN=EHPAD Les Tilleuls - cachet,{ORG_TAIL}"),
        ),
        (
            ORG_AUTH_CLI_PEM,
            format!("CN=EHPAD Les Tilleuls - authentification,{ORG_TAIL}"),
        ),
        (
            EXPIRED_PEM,
            format!("CN=EHPAD Les Tilleuls - cachet,{ORG_TAIL}"),
        ),
        (
            CPS_SIGN_PEM,
            "SN=MARTIN+GN=Claire+CN=899900100019,T=Médecin,C=FR".to_owned(),
        ),
    ];
    for (pem, subject) in &cases {
        let c = cert(pem);
        let s = c.subject_rfc2253();
        assert_eq!(&s, subject);
        assert!(
            !s.starts_with("S=") && !s.contains(",S=") && !s.contains("+S="),
            "{s}"
        );
        assert!(!s.contains("G=") || s.contains("GN="), "{s}");
        assert!(!s.contains(", "), "no blank after commas: {s}");
    }
    assert!(cert(ORG_SIGN_PEM)
        .subject_rfc2253()
        .contains(",ST=Rhône (69),"));
    assert_eq!(
        cert(ORG_SIGN_PEM).issuer_rfc2253(),
        format!("CN=TEST AC IGC-SANTE ELEMENTAIRE ORGANISATIONS,OU=IGC-SANTE TEST,{CA_O}")
    );
    assert_eq!(
        cert(CPS_SIGN_PEM).issuer_rfc2253(),
        format!("CN=TEST AC IGC-SANTE ELEMENTAIRE PERSONNES,OU=IGC-SANTE TEST,{CA_O}")
    );
    assert_eq!(
        cert(CPS_SIGN_PEM).subject_rfc2253_with(DnStyle::Java),
        "2.5.4.4=#0c064d415254494e+2.5.4.42=#0c06436c61697265+CN=899900100019,\
         2.5.4.12=#0c084dc3a9646563696e,C=FR"
    );
    let cps = cert(CPS_SIGN_PEM);
    assert_eq!(
        cps.subject().first(dmp_core::crypto::OID_SN),
        Some("MARTIN")
    );
    assert_eq!(
        cps.subject().first(dmp_core::crypto::OID_GN),
        Some("Claire")
    );
    assert_eq!(cps.subject().common_name(), Some("899900100019"));
}

#[test]
fn serials_fingerprints_and_dates_match_openssl() {
    let pems = [
        ("root", ROOT_PEM),
        ("org-ca", ORG_CA_PEM),
        ("person-ca", PERSON_CA_PEM),
        ("org-sign", ORG_SIGN_PEM),
        ("org-auth-cli", ORG_AUTH_CLI_PEM),
        ("cps-sign", CPS_SIGN_PEM),
        ("expired-org-sign", EXPIRED_PEM),
        ("ec-org-sign", EC_ORG_SIGN_PEM),
    ];
    let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    let mut checked = 0;
    for line in FINGERPRINTS.lines() {
        let [name, kind, value] = line.split(' ').collect::<Vec<_>>()[..] else {
            panic!("bad line {line:?}");
        };
        let c = cert(pems.iter().find(|(n, _)| *n == name).unwrap().1);
        match kind {
            "sha1" => assert_eq!(hex(&c.sha1()), value, "{name}"),
            "sha256" => assert_eq!(hex(&c.sha256()), value, "{name}"),
            "serial" => {
                let serial = hex(c.serial_bytes());
                assert_eq!(
                    serial.trim_start_matches('0'),
                    value.to_lowercase().trim_start_matches('0')
                );
            }
            other => panic!("{other}"),
        }
        checked += 1;
    }
    assert_eq!(checked, pems.len() * 3);
    assert_eq!(
        cert(ORG_SIGN_PEM).serial_decimal(),
        "319162455597687606412484473307662005239"
    );
    assert_eq!(
        cert(CPS_SIGN_PEM).serial_decimal(),
        "16724388181340679791496728676417929247"
    );
    assert_eq!(cert(ROOT_PEM).serial_decimal(), 0x5E1E_0001u64.to_string());
    assert_eq!(
        cert(ORG_SIGN_PEM).digest(DigestAlgorithm::Sha1),
        cert(ORG_SIGN_PEM).sha1()
    );

    let org = cert(ORG_SIGN_PEM);
    assert_eq!(org.not_before(), at(2025, 1, 1));
    assert_eq!(org.not_after(), at(2045, 1, 1));
    assert!(org.is_valid_at(now()));
    assert!(org.is_valid_at(at(2045, 1, 1)));
    assert!(!org.is_valid_at(at(2024, 12, 31)));
    let expired = cert(EXPIRED_PEM);
    assert_eq!(expired.not_before(), at(2020, 1, 1));
    assert_eq!(
        expired.not_after(),
        Utc.with_ymd_and_hms(2021, 12, 31, 23, 59, 59).unwrap()
    );
    assert!(!expired.is_valid_at(now()));
    assert!(expired.is_valid_at(at(2020, 6, 1)));
}

#[test]
fn key_usage_ca_flags_structure_ids_and_key_algorithms() {
    let ku = |pem| cert(pem).key_usage().unwrap();
    assert_eq!(
        ku(ORG_SIGN_PEM).names(),
        ["digitalSignature", "nonRepudiation"]
    );
    assert_eq!(
        ku(ORG_AUTH_CLI_PEM).names(),
        ["digitalSignature", "keyEncipherment"]
    );
    assert_eq!(ku(CPS_SIGN_PEM).names(), ["nonRepudiation"]);
    assert_eq!(
        ku(ROOT_PEM),
        KeyUsage {
            key_cert_sign: true,
            crl_sign: true,
            ..KeyUsage::default()
        }
    );
    assert!(cert(ROOT_PEM).is_ca());
    assert!(cert(ORG_CA_PEM).is_ca());
    assert_eq!(cert(ORG_CA_PEM).path_len_constraint(), Some(0));
    assert!(!cert(ORG_SIGN_PEM).is_ca());

    assert_eq!(cert(ORG_SIGN_PEM).structure_id(), Some("1690800123"));
    assert_eq!(cert(ORG_AUTH_CLI_PEM).structure_id(), Some("1690800123"));
    assert_eq!(cert(ORG_SIGN_PEM).organizational_units(), ["1690800123"]);
    assert_eq!(cert(CPS_SIGN_PEM).structure_id(), None);
    assert_eq!(cert(ORG_CA_PEM).structure_id(), None);

    assert_eq!(
        cert(ORG_SIGN_PEM).public_key_algorithm(),
        &PublicKeyAlgorithm::Rsa { bits: 2048 }
    );
    assert_eq!(
        cert(EC_ORG_SIGN_PEM).public_key_algorithm(),
        &PublicKeyAlgorithm::EcP256
    );
}

#[test]
fn pem_parsing_rules() {
    assert_eq!(
        Certificate::chain_from_pem(ORG_SIGN_CHAIN_PEM)
            .unwrap()
            .len(),
        3
    );
    let (what, message) = crypto_error(Certificate::from_pem(ORG_SIGN_CHAIN_PEM).unwrap_err());
    assert_eq!(what, "certificate");
    assert!(message.contains("found 3"), "{message}");
    // A key block next to a certificate is ignored by the certificate readers.
    let mixed = format!("{ORG_SIGN_KEY_PEM}{ORG_SIGN_PEM}");
    assert_eq!(Certificate::from_pem(&mixed).unwrap(), cert(ORG_SIGN_PEM));
    let der = cert(ORG_SIGN_PEM).der().to_vec();
    assert_eq!(Certificate::from_der(&der).unwrap(), cert(ORG_SIGN_PEM));
    let mut trailing = der.clone();
    trailing.push(0);
    assert!(Certificate::from_der(&trailing).is_err());
    for len in (0..der.len()).step_by(13) {
        assert!(Certificate::from_der(&der[..len]).is_err());
    }
}

// ---------------------------------------------------------------- signing

/// ring's verifier directly on the certificate's SubjectPublicKeyInfo (independent of our
/// `verify_signature`).
fn ring_verify(
    cert: &Certificate,
    alg: &'static dyn ring::signature::VerificationAlgorithm,
    data: &[u8],
    sig: &[u8],
) -> bool {
    use x509_parser::prelude::FromDer;
    let (_, x509) = x509_parser::certificate::X509Certificate::from_der(cert.der()).unwrap();
    let spki = x509.public_key();
    ring::signature::UnparsedPublicKey::new(alg, &spki.subject_public_key.data)
        .verify(data, sig)
        .is_ok()
}

#[test]
fn rsa_sha1_signature_matches_openssl_and_ring_legacy_verifier() {
    let signer = org_sign()
        .with_algorithm(SignatureAlgorithm::RsaSha1)
        .unwrap()
        .signer_at(now(), UsagePolicy::DmpSignature)
        .unwrap();
    assert_eq!(signer.algorithm(), SignatureAlgorithm::RsaSha1);
    let sig = signer.sign(SIGNED_DATA).unwrap();
    assert_eq!(
        sig, OPENSSL_SHA1_SIG,
        "byte-identical to `openssl dgst -sha1 -sign`"
    );
    let leaf = signer.signing_certificate().unwrap();
    assert!(ring_verify(
        leaf,
        &ring::signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
        SIGNED_DATA,
        &sig
    ));
    leaf.verify_signature(SignatureAlgorithm::RsaSha1, SIGNED_DATA, &sig)
        .unwrap();
    assert!(leaf
        .verify_signature(SignatureAlgorithm::RsaSha1, b"other data", &sig)
        .is_err());
    assert!(leaf
        .verify_signature(SignatureAlgorithm::RsaSha256, SIGNED_DATA, &sig)
        .is_err());
    // The legacy PKCS#12 and PEM identities give the same bytes.
    let legacy = SigningIdentity::from_pkcs12(ORG_SIGN_LEGACY_P12, password())
        .unwrap()
        .with_algorithm(SignatureAlgorithm::RsaSha1)
        .unwrap()
        .signer_at(now(), UsagePolicy::DmpSignature)
        .unwrap();
    assert_eq!(legacy.sign(SIGNED_DATA).unwrap(), sig);
}

#[test]
fn rsa_sha256_round_trip_matches_openssl() {
    let signer = org_sign()
        .signer_at(now(), UsagePolicy::DmpSignature)
        .unwrap();
    assert_eq!(signer.algorithm(), SignatureAlgorithm::RsaSha256);
    assert_eq!(signer.checked_at(), now());
    let sig = signer.sign(SIGNED_DATA).unwrap();
    assert_eq!(sig, OPENSSL_SHA256_SIG);
    let leaf = &signer.certificate_chain()[0];
    leaf.verify_signature(SignatureAlgorithm::RsaSha256, SIGNED_DATA, &sig)
        .unwrap();
    assert!(ring_verify(
        leaf,
        &ring::signature::RSA_PKCS1_2048_8192_SHA256,
        SIGNED_DATA,
        &sig
    ));
    let (what, _) = crypto_error(
        leaf.verify_signature(SignatureAlgorithm::RsaSha256, b"x", &sig)
            .unwrap_err(),
    );
    assert_eq!(what, "signature");
}

#[test]
fn ecdsa_p256_round_trip() {
    let id = SigningIdentity::from_pem(EC_KEY_PEM, EC_CHAIN_PEM).unwrap();
    assert_eq!(id.algorithm(), SignatureAlgorithm::EcdsaP256Sha256);
    let signer = id.signer_at(now(), UsagePolicy::DmpSignature).unwrap();
    let sig = signer.sign(SIGNED_DATA).unwrap();
    assert_eq!(sig.len(), 64, "raw r||s");
    let leaf = id.certificate();
    leaf.verify_signature(SignatureAlgorithm::EcdsaP256Sha256, SIGNED_DATA, &sig)
        .unwrap();
    assert!(leaf
        .verify_signature(SignatureAlgorithm::EcdsaP256Sha256, b"x", &sig)
        .is_err());
    let (what, _) = crypto_error(
        id.clone()
            .with_algorithm(SignatureAlgorithm::RsaSha1)
            .unwrap_err(),
    );
    assert_eq!(what, "algorithm");
    let (what, _) = crypto_error(
        org_sign()
            .with_algorithm(SignatureAlgorithm::EcdsaP256Sha256)
            .unwrap_err(),
    );
    assert_eq!(what, "algorithm");
    // The EC leaf is issued by the RSA organisations CA.
    let chain = verify_chain(leaf, &[cert(ORG_CA_PEM)], &[cert(ROOT_PEM)], now()).unwrap();
    assert_eq!(chain.len(), 3);
}

#[test]
fn signers_are_usable_across_threads() {
    let signer: std::sync::Arc<dyn Signer> = std::sync::Arc::new(
        org_sign()
            .signer_at(now(), UsagePolicy::DmpSignature)
            .unwrap(),
    );
    let handles: Vec<_> = (0..2)
        .map(|_| {
            let s = std::sync::Arc::clone(&signer);
            std::thread::spawn(move || s.sign(SIGNED_DATA).unwrap())
        })
        .collect();
    for h in handles {
        assert_eq!(h.join().unwrap(), OPENSSL_SHA256_SIG);
    }
}

// ---------------------------------------------------------------- chains

#[test]
fn chains_verify_for_org_sign_and_cps() {
    let intermediates = [cert(ORG_CA_PEM), cert(PERSON_CA_PEM)];
    let roots = [cert(ROOT_PEM)];
    let path = verify_chain(&cert(ORG_SIGN_PEM), &intermediates, &roots, now()).unwrap();
    assert_eq!(path, [cert(ORG_SIGN_PEM), cert(ORG_CA_PEM), cert(ROOT_PEM)]);
    let path = verify_chain(&cert(CPS_SIGN_PEM), &intermediates, &roots, now()).unwrap();
    assert_eq!(
        path,
        [cert(CPS_SIGN_PEM), cert(PERSON_CA_PEM), cert(ROOT_PEM)]
    );
    // The root itself, and a leaf whose intermediate is among the roots.
    assert_eq!(
        verify_chain(&cert(ROOT_PEM), &[], &roots, now()).unwrap(),
        [cert(ROOT_PEM)]
    );
    assert_eq!(
        verify_chain(&cert(ORG_SIGN_PEM), &[], &[cert(ORG_CA_PEM)], now())
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn expired_chain_fails_now_and_passes_in_2020() {
    let intermediates = [cert(ORG_CA_PEM)];
    let roots = [cert(ROOT_PEM)];
    let (what, message) =
        crypto_error(verify_chain(&cert(EXPIRED_PEM), &intermediates, &roots, now()).unwrap_err());
    assert_eq!(what, "chain");
    assert_eq!(
        message,
        format!(
            "certificate 0 of the chain ('CN=EHPAD Les Tilleuls - cachet,{ORG_TAIL}') expired \
             on 2021-12-31T23:59:59+00:00 (checked at 2026-06-01T00:00:00+00:00)"
        )
    );
    let path = verify_chain(&cert(EXPIRED_PEM), &intermediates, &roots, at(2020, 6, 1)).unwrap();
    assert_eq!(path.len(), 3);
    let (_, message) = crypto_error(
        verify_chain(&cert(ORG_SIGN_PEM), &intermediates, &roots, at(2018, 1, 1)).unwrap_err(),
    );
    assert!(
        message.contains("is not valid before 2025-01-01"),
        "{message}"
    );
}

#[test]
fn untrusted_roots_and_bad_signatures_are_named() {
    let leaf = cert(ORG_SIGN_PEM);
    let (what, message) =
        crypto_error(verify_chain(&leaf, &[cert(ORG_CA_PEM)], &[], now()).unwrap_err());
    assert_eq!(what, "chain");
    assert_eq!(
        message,
        format!(
            "untrusted root: no trusted root or intermediate named 'CN=TEST AC RACINE \
             IGC-SANTE,OU=IGC-SANTE TEST,{CA_O}' (the issuer of 'CN=TEST AC IGC-SANTE \
             ELEMENTAIRE ORGANISATIONS,OU=IGC-SANTE TEST,{CA_O}')"
        )
    );
    // The root given as an intermediate only: a self-signed end, not trusted.
    let (_, message) = crypto_error(
        verify_chain(
            &leaf,
            &[cert(ORG_CA_PEM), cert(ROOT_PEM)],
            &[cert(PERSON_CA_PEM)],
            now(),
        )
        .unwrap_err(),
    );
    assert!(
        message.starts_with("untrusted root: the chain ends at the self-signed 'CN=TEST AC RACINE"),
        "{message}"
    );
    // The official IGC-Santé test root is not ours.
    if let Some(official) = official_cert(DMP_VIHF_INDIRECTE_SAMPLE) {
        let (_, message) = crypto_error(
            verify_chain(
                &official,
                &[cert(ORG_CA_PEM)],
                &[cert(ROOT_PEM)],
                at(2019, 6, 1),
            )
            .unwrap_err(),
        );
        assert!(message.starts_with("untrusted root"), "{message}");
    }

    // A leaf whose signature was tampered with: bad signature on link 0.
    let mut der = leaf.der().to_vec();
    let last = der.len() - 1;
    der[last] ^= 0x01;
    let tampered = Certificate::from_der(&der).unwrap();
    let (what, message) = crypto_error(
        verify_chain(&tampered, &[cert(ORG_CA_PEM)], &[cert(ROOT_PEM)], now()).unwrap_err(),
    );
    assert_eq!(what, "chain");
    assert!(
        message.starts_with(
            "bad signature on link 0: the signature of 'CN=EHPAD Les Tilleuls - cachet"
        ),
        "{message}"
    );
    // A tampered intermediate: link 1.
    let mut der = cert(ORG_CA_PEM).der().to_vec();
    let last = der.len() - 1;
    der[last] ^= 0x80;
    let tampered_ca = Certificate::from_der(&der).unwrap();
    let (_, message) =
        crypto_error(verify_chain(&leaf, &[tampered_ca], &[cert(ROOT_PEM)], now()).unwrap_err());
    assert!(message.starts_with("bad signature on link 1:"), "{message}");
}

// ---------------------------------------------------------------- usage policy

#[test]
fn usage_policy_refuses_expired_and_authentication_certificates() {
    let expired = SigningIdentity::from_pkcs12(EXPIRED_P12, password()).unwrap();
    let (what, message) = crypto_error(
        expired
            .signer_at(now(), UsagePolicy::DmpSignature)
            .unwrap_err(),
    );
    assert_eq!(what, "usage");
    assert!(
        message.contains("expired on 2021-12-31T23:59:59+00:00"),
        "{message}"
    );
    assert!(expired
        .check_usable_at(now(), UsagePolicy::AnySignature)
        .is_err());
    assert!(expired
        .check_usable_at(at(2020, 6, 1), UsagePolicy::DmpSignature)
        .is_ok());
    // AllowInvalid lets a test sign with it anyway.
    let signer = expired.signer_at(now(), UsagePolicy::AllowInvalid).unwrap();
    let sig = signer.sign(b"data").unwrap();
    expired
        .certificate()
        .verify_signature(SignatureAlgorithm::RsaSha256, b"data", &sig)
        .unwrap();

    let auth = SigningIdentity::from_pkcs12(ORG_AUTH_CLI_P12, password()).unwrap();
    let (what, message) = crypto_error(
        auth.signer_at(now(), UsagePolicy::DmpSignature)
            .unwrap_err(),
    );
    assert_eq!(what, "usage");
    assert!(
        message.contains(
            "keyUsage is digitalSignature, keyEncipherment and the DMP requires nonRepudiation"
        ),
        "{message}"
    );
    assert!(auth.signer_at(now(), UsagePolicy::AnySignature).is_ok());
    assert!(auth.signer_at(now(), UsagePolicy::AllowInvalid).is_ok());

    let org = org_sign();
    let (_, message) = crypto_error(
        org.check_usable_at(at(2024, 12, 31), UsagePolicy::DmpSignature)
            .unwrap_err(),
    );
    assert!(
        message.contains("is not valid before 2025-01-01T00:00:00+00:00"),
        "{message}"
    );
    assert!(org.check_usable_at(now(), UsagePolicy::default()).is_ok());
    let cps = SigningIdentity::from_pkcs12(CPS_SIGN_P12, password()).unwrap();
    assert!(cps
        .check_usable_at(now(), UsagePolicy::DmpSignature)
        .is_ok());
    let (_, message) = crypto_error(
        check_signing_certificate(&cert(ORG_CA_PEM), now(), UsagePolicy::AnySignature).unwrap_err(),
    );
    assert!(message.contains("is a CA certificate"), "{message}");
}

#[test]
fn debug_output_shows_the_subject_and_no_key_material() {
    let id = org_sign();
    let signer = id.signer_at(now(), UsagePolicy::DmpSignature).unwrap();
    for text in [format!("{id:?}"), format!("{signer:?}"), format!("{id:#?}")] {
        assert!(
            text.contains("CN=EHPAD Les Tilleuls - cachet,OU=1690800123"),
            "{text}"
        );
        let longest_run = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '+' || c == '/' || c == '='))
            .map(str::len)
            .max()
            .unwrap_or(0);
        assert!(longest_run < 32, "suspiciously long token in {text}");
    }
}

// ---------------------------------------------------------------- callback signer

#[test]
fn callback_signer_checks_what_the_callback_returns() {
    let chain = org_sign().certificate_chain().to_vec();
    let inner = org_sign()
        .signer_at(now(), UsagePolicy::DmpSignature)
        .unwrap();
    let good = CallbackSigner::new(
        SignatureAlgorithm::RsaSha256,
        chain.clone(),
        Box::new(move |data| inner.sign(data)),
        now(),
        UsagePolicy::DmpSignature,
    )
    .unwrap();
    assert_eq!(good.sign(SIGNED_DATA).unwrap(), OPENSSL_SHA256_SIG);
    assert_eq!(good.certificate_chain(), &chain[..]);
    assert!(format!("{good:?}").contains("CN=EHPAD Les Tilleuls - cachet"));

    // Signs with the ORG_AUTH_CLI key while claiming the ORG_SIGN certificate.
    let wrong_key = SigningIdentity::from_pkcs12(ORG_AUTH_CLI_P12, password())
        .unwrap()
        .signer_at(now(), UsagePolicy::AllowInvalid)
        .unwrap();
    let wrong = CallbackSigner::new(
        SignatureAlgorithm::RsaSha256,
        chain.clone(),
        Box::new(move |data| wrong_key.sign(data)),
        now(),
        UsagePolicy::DmpSignature,
    )
    .unwrap();
    let (what, message) = crypto_error(wrong.sign(SIGNED_DATA).unwrap_err());
    assert_eq!(what, "signer");
    assert!(message.starts_with("the signing callback returned a 256-byte value that is not a valid rsa-sha256 signature for the key of 'CN=EHPAD Les Tilleuls - cachet"), "{message}");

    // Right key, wrong algorithm (SHA-256 signature announced as SHA-1).
    let inner = org_sign()
        .signer_at(now(), UsagePolicy::DmpSignature)
        .unwrap();
    let mismatch = CallbackSigner::new(
        SignatureAlgorithm::RsaSha1,
        chain.clone(),
        Box::new(move |data| inner.sign(data)),
        now(),
        UsagePolicy::DmpSignature,
    )
    .unwrap();
    assert_eq!(crypto_error(mismatch.sign(b"x").unwrap_err()).0, "signer");

    // Garbage, and an error from the callback itself, passed through.
    let garbage = CallbackSigner::new(
        SignatureAlgorithm::RsaSha256,
        chain.clone(),
        Box::new(|_| Ok(vec![0; 3])),
        now(),
        UsagePolicy::DmpSignature,
    )
    .unwrap();
    assert!(garbage.sign(b"x").is_err());
    let failing = CallbackSigner::new(
        SignatureAlgorithm::RsaSha256,
        chain.clone(),
        Box::new(|_| Err(Error::crypto("signer", "PIN locked"))),
        now(),
        UsagePolicy::DmpSignature,
    )
    .unwrap();
    assert_eq!(
        failing.sign(b"x").unwrap_err(),
        Error::crypto("signer", "PIN locked")
    );

    // Construction checks: algorithm vs key, usage, empty chain.
    let bad_alg = CallbackSigner::new(
        SignatureAlgorithm::EcdsaP256Sha256,
        chain.clone(),
        Box::new(|_| Ok(vec![])),
        now(),
        UsagePolicy::DmpSignature,
    );
    assert_eq!(crypto_error(bad_alg.unwrap_err()).0, "algorithm");
    let expired = CallbackSigner::new(
        SignatureAlgorithm::RsaSha256,
        vec![cert(EXPIRED_PEM)],
        Box::new(|_| Ok(vec![])),
        now(),
        UsagePolicy::DmpSignature,
    );
    assert_eq!(crypto_error(expired.unwrap_err()).0, "usage");
    let empty = CallbackSigner::new(
        SignatureAlgorithm::RsaSha256,
        vec![],
        Box::new(|_| Ok(vec![])),
        now(),
        UsagePolicy::AllowInvalid,
    );
    assert_eq!(crypto_error(empty.unwrap_err()).0, "signer");
}

// ---------------------------------------------------------------- official DMP samples

/// The certificate of TD2.1-SignatureXades.xml: what its `SigningCertificate/Cert` prints.
#[test]
fn official_xades_sample_certificate() {
    let Some(c) = official_cert(DMP_XADES_SAMPLE) else {
        return;
    };
    assert_eq!(
        c.issuer_rfc2253(),
        "CN=TEST AC IGC-SANTE ELEMENTAIRE PERSONNES,OU=IGC-SANTE TEST,OU=0002 187512751,O=ASIP-SANTE,C=FR"
    );
    assert_eq!(
        c.issuer().to_rfc2253_with(DnStyle::Java),
        c.issuer_rfc2253()
    );
    assert_eq!(
        c.serial_decimal(),
        "159655096103497701664027626074020656119"
    );
    assert_eq!(
        base64::engine::general_purpose::STANDARD.encode(c.sha1()),
        "CLcb8PHSgDr5WgzTW+R/NZVkzhI="
    );
    assert_eq!(
        c.subject_rfc2253(),
        "GN=MAX+SN=LIBRE+CN=899900063480,T=Médecin,C=FR"
    );
    assert_eq!(c.key_usage().unwrap().names(), ["nonRepudiation"]);
    assert_eq!(c.structure_id(), None);
    assert_eq!(
        c.public_key_algorithm(),
        &PublicKeyAlgorithm::Rsa { bits: 2048 }
    );
    assert!(check_signing_certificate(&c, at(2019, 4, 4), UsagePolicy::DmpSignature).is_ok());
}

/// The certificates of the signed VIHF samples: our subject DN equals their `saml2:Issuer`.
#[test]
fn official_vihf_sample_issuers() {
    if common::official_dir().is_none() {
        common::skipped("official VIHF samples");
        return;
    }
    // Indirect mode, IGC-Santé ORG_SIGN-like (digitalSignature + nonRepudiation).
    let indirecte = official_cert(DMP_VIHF_INDIRECTE_SAMPLE).unwrap();
    let issuer =
        "CN=serviceps.sesam-vitale.fr,OU=339172288100052,O=GIE SESAM VITALE,ST=Sarthe (72),C=FR";
    assert_eq!(indirecte.subject_rfc2253(), issuer);
    assert_eq!(indirecte.subject_rfc2253_with(DnStyle::Java), issuer);
    assert_eq!(indirecte.structure_id(), Some("339172288100052"));
    assert!(
        check_signing_certificate(&indirecte, at(2019, 6, 26), UsagePolicy::DmpSignature).is_ok()
    );

    // AIR mode: the sample is signed with an authentication certificate (digitalSignature +
    // clientAuth), which the default policy refuses.
    let air = official_cert(DMP_VIHF_AIR_SAMPLE).unwrap();
    assert_eq!(
        air.subject_rfc2253(),
        "CN=Certificat Wizard DMP 2019-R2,OU=10B0127189,O=CENTRE DE SANTE RPPS12718,ST=Rhône (69),C=FR"
    );
    assert_eq!(air.structure_id(), Some("10B0127189"));
    let (what, _) = crypto_error(
        check_signing_certificate(&air, at(2020, 6, 1), UsagePolicy::DmpSignature).unwrap_err(),
    );
    assert_eq!(what, "usage");
    assert!(check_signing_certificate(&air, at(2020, 6, 1), UsagePolicy::AnySignature).is_ok());

    // Direct mode, old IGC-CPS card certificate: the sample's Issuer is Java's RFC 2253
    // (SN and GN as OID=#hex). The sample file shows `M?decin`: the é (a T61String, Latin-1)
    // was lost when the sample was saved.
    let directe = official_cert(DMP_VIHF_DIRECTE_SAMPLE).unwrap();
    let sample =
        "CN=899900038839+2.5.4.4=#14045452414c+2.5.4.42=#14064144454d4953,OU=M?decin,O=TEST,C=FR";
    assert_eq!(
        directe.subject_rfc2253_with(DnStyle::Java),
        sample.replace('?', "é")
    );
    assert_eq!(
        directe.subject_rfc2253(),
        "CN=899900038839+SN=TRAL+GN=ADEMIS,OU=Médecin,O=TEST,C=FR"
    );
    assert_eq!(directe.structure_id(), None);
    assert_eq!(directe.serial_decimal(), "6014514");
}

// ---------------------------------------------------------------- hostile input

#[test]
fn rsa_keys_below_2048_bits_are_refused() {
    const WEAK_PEM: &str = include_str!("../examples/pki/weak-rsa1024.pem");
    const WEAK_KEY_PEM: &str = include_str!("../examples/pki/weak-rsa1024-key.pem");
    let weak = cert(WEAK_PEM);
    assert_eq!(
        weak.public_key_algorithm(),
        &PublicKeyAlgorithm::Rsa { bits: 1024 }
    );
    let (what, message) =
        crypto_error(SigningIdentity::from_pem(WEAK_KEY_PEM, WEAK_PEM).unwrap_err());
    assert_eq!(what, "key");
    assert!(message.contains("2048"), "{message}");
    let (what, message) = crypto_error(
        weak.verify_signature(SignatureAlgorithm::RsaSha256, b"x", &[0; 128])
            .unwrap_err(),
    );
    assert_eq!(what, "key");
    assert!(message.contains("RSA key of 1024 bits"), "{message}");
    // Self-signed by a 1024-bit key: refused as a root link too.
    let (what, _) = crypto_error(verify_chain(&weak, &[], &[cert(ROOT_PEM)], now()).unwrap_err());
    assert_eq!(what, "chain");
    let callback = CallbackSigner::new(
        SignatureAlgorithm::RsaSha256,
        vec![weak],
        Box::new(|_| Ok(vec![])),
        now(),
        UsagePolicy::AllowInvalid,
    );
    assert_eq!(crypto_error(callback.unwrap_err()).0, "key");
}

/// Flipped bytes anywhere in a certificate, a PKCS#12 file or a PEM text give errors (or, for
/// bytes the parsers do not check, a value), never a panic.
#[test]
fn mutated_inputs_never_panic() {
    let der = cert(ORG_SIGN_PEM).der().to_vec();
    for i in 0..der.len() {
        for mask in [0x01u8, 0x80, 0xff] {
            let mut m = der.clone();
            m[i] ^= mask;
            if let Ok(c) = Certificate::from_der(&m) {
                let _ = (c.subject_rfc2253(), c.issuer_rfc2253(), c.serial_decimal());
                let _ = verify_chain(&c, &[cert(ORG_CA_PEM)], &[cert(ROOT_PEM)], now());
            }
        }
    }
    for i in (0..ORG_SIGN_LEGACY_P12.len()).step_by(131) {
        let mut m = ORG_SIGN_LEGACY_P12.to_vec();
        m[i] ^= 0x5a;
        let _ = SigningIdentity::from_pkcs12(&m, password());
    }
    let key = ORG_SIGN_KEY_PEM.as_bytes();
    for i in (0..key.len()).step_by(7) {
        let mut m = key.to_vec();
        m[i] = b"A-\n=:"[i % 5];
        if let Ok(text) = std::str::from_utf8(&m) {
            let _ = SigningIdentity::from_pem(text, ORG_SIGN_CHAIN_PEM);
        }
    }
}
