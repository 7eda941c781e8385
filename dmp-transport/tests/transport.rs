//! The transport over real sockets on 127.0.0.1 with real TLS: mutual authentication, suites,
//! refusals, timeouts, retries without duplicates, landing checks, proxies, connection reuse.

mod support;

use std::path::Path;
use std::sync::atomic::Ordering;

use chrono::{DateTime, FixedOffset, Utc};
use dmp_core::actor::ActorProfile;
use dmp_core::crypto::{SignatureAlgorithm, SigningIdentity, UsagePolicy};
use dmp_core::feed::{self, FeedContext, FeedRequest, IdGenerator};
use dmp_core::landing::Probe;
use dmp_core::soap::{self, action, endpoint, mtom::HttpRequest};
use dmp_transport::{Client, LandingCheck, Outcome, RegistryLanding, TransportSettings};
use serde_json::json;
use support::{pki, server_config, Proxy, Reply, Server};

const SOAP: &str = "application/soap+xml; charset=UTF-8";
const TLS12: &[&rustls::SupportedProtocolVersion] = &[&rustls::version::TLS12];

fn settings(p12: &str, extra: serde_json::Value) -> TransportSettings {
    let mut v = json!({
        "client_certificate": { "p12": p12, "password_env": "DMP_TRANSPORT_TEST_UNSET", "password_file": "PASSWORD" },
        "server_roots": ["sandbox-root.pem"],
        "timeouts_ms": { "connect": 3000, "read": 3000, "total": 8000 },
        "retries": { "attempts": 3, "backoff_ms": 50 }
    });
    if let (Some(o), Some(e)) = (v.as_object_mut(), extra.as_object()) {
        for (k, x) in e {
            o.insert(k.clone(), x.clone());
        }
    }
    TransportSettings::from_json(&v, &pki()).unwrap()
}

fn client(server: &Server, p12: &str) -> Client {
    Client::new(settings(p12, json!({})), &server.url()).unwrap()
}

fn envelope(act: &str, body: &str) -> String {
    format!(
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\" \
         xmlns:a=\"http://www.w3.org/2005/08/addressing\"><s:Header><a:Action>{act}</a:Action>\
         </s:Header><s:Body>{body}</s:Body></s:Envelope>"
    )
}

/// A TD3.1 query (the transport only reads its action).
fn query() -> HttpRequest {
    let env = envelope(
        action::REGISTRY_STORED_QUERY,
        "<q:AdhocQueryRequest xmlns:q=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\"/>",
    );
    soap::plain_request(
        endpoint::REGISTRY,
        env.as_bytes(),
        action::REGISTRY_STORED_QUERY,
    )
    .unwrap()
}

fn search_answer(objects: &str) -> Vec<u8> {
    envelope(
        "urn:ihe:iti:2007:RegistryStoredQueryResponse",
        &format!(
            "<query:AdhocQueryResponse xmlns:query=\"urn:oasis:names:tc:ebxml-regrep:xsd:query:3.0\" \
             status=\"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success\">\
             <rim:RegistryObjectList xmlns:rim=\"urn:oasis:names:tc:ebxml-regrep:xsd:rim:3.0\">\
             {objects}</rim:RegistryObjectList></query:AdhocQueryResponse>"
        ),
    )
    .into_bytes()
}

fn entry(unique_id: &str, patient_cx: &str) -> String {
    format!(
        "<rim:ExtrinsicObject id=\"urn:uuid:6a1f4f2e-0c39-4c8e-9d7b-2f6c1e0a9b11\" \
         status=\"urn:oasis:names:tc:ebxml-regrep:StatusType:Approved\" \
         objectType=\"urn:uuid:7edca82f-054d-47f2-a032-9b2a5b5186c1\" mimeType=\"text/xml\">\
         <rim:ExternalIdentifier id=\"ei1\" registryObject=\"urn:uuid:6a1f4f2e-0c39-4c8e-9d7b-2f6c1e0a9b11\" \
         identificationScheme=\"urn:uuid:58a6f841-87b3-4a3e-92fd-a8ffeff98427\" value=\"{patient_cx}\"/>\
         <rim:ExternalIdentifier id=\"ei2\" registryObject=\"urn:uuid:6a1f4f2e-0c39-4c8e-9d7b-2f6c1e0a9b11\" \
         identificationScheme=\"urn:uuid:2e82c1f6-a085-4c72-9da3-8640a32e42ab\" value=\"{unique_id}\"/>\
         </rim:ExtrinsicObject>"
    )
}

fn registry_ok() -> Vec<u8> {
    envelope(
        "urn:ihe:iti:2007:ProvideAndRegisterDocumentSet-bResponse",
        "<rs:RegistryResponse xmlns:rs=\"urn:oasis:names:tc:ebxml-regrep:xsd:rs:3.0\" \
         status=\"urn:oasis:names:tc:ebxml-regrep:ResponseStatusType:Success\"/>",
    )
    .into_bytes()
}

fn fault() -> Vec<u8> {
    envelope(
        "http://www.w3.org/2005/08/addressing/soap/fault",
        "<s:Fault><s:Code><s:Value>s:Sender</s:Value></s:Code><s:Reason>\
         <s:Text xml:lang=\"fr\">VIHF invalide</s:Text></s:Reason></s:Fault>",
    )
    .into_bytes()
}

fn org_sign() -> SigningIdentity {
    let p12 = std::fs::read(pki().join("org-sign.p12")).unwrap();
    let pw = std::fs::read_to_string(pki().join("PASSWORD")).unwrap();
    SigningIdentity::from_pkcs12(&p12, pw.trim())
        .unwrap()
        .with_algorithm(SignatureAlgorithm::RsaSha1)
        .unwrap()
}

/// The TD2.1 of the DLU sample, built now.
fn td21() -> HttpRequest {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/feed");
    let mut request =
        FeedRequest::from_json(&std::fs::read_to_string(dir.join("dlu.json")).unwrap()).unwrap();
    request
        .resolve(|p| std::fs::read(dir.join(p)).map_err(|e| e.to_string()))
        .unwrap();
    let now: DateTime<FixedOffset> = Utc::now().fixed_offset();
    let signer = org_sign()
        .signer_at(now.with_timezone(&Utc), UsagePolicy::DmpSignature)
        .unwrap();
    let mut ctx = FeedContext {
        now,
        ids: IdGenerator::from_seed(7),
        signer: &signer,
        rights: None,
    };
    feed::build(&request, &mut ctx).unwrap().http
}

fn is_td21(seen: &support::Seen) -> bool {
    seen.body_text().contains(action::PROVIDE_AND_REGISTER)
}

fn actors_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples/data/actors")
}

fn actor(name: &str) -> ActorProfile {
    let path = actors_dir().join(format!("{name}.json"));
    ActorProfile::from_json(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn establishment() -> ActorProfile {
    actor("ehpad-etablissement")
}

#[test]
fn the_sample_profiles_name_their_tls_identity() {
    let server = Server::start(server_config(TLS12), |_, _| {
        Reply::Answer(200, SOAP, search_answer(""))
    });
    for name in [
        "ehpad-etablissement",
        "ide-ecps",
        "medecin-coordonnateur-cps",
    ] {
        let profile = actor(name);
        assert_eq!(profile.base_url(), "https://localhost:8443");
        let c = Client::from_profile(&profile, &actors_dir(), Some(&server.url())).unwrap();
        assert!(
            matches!(
                c.send(&query(), None),
                Outcome::Accepted { attempts: 1, .. }
            ),
            "{name}"
        );
    }
    assert_eq!(server.seen().len(), 3);
}

#[test]
fn mutual_tls_with_both_client_identities_and_a_dmp_suite() {
    let server = Server::start(server_config(TLS12), |_, _| {
        Reply::Answer(200, SOAP, search_answer(""))
    });
    for p12 in ["org-auth-cli.p12", "cps-auth.p12"] {
        let http = client(&server, p12).exchange(&query(), None).unwrap();
        assert_eq!(http.status, 200);
        assert!(http.content_type().starts_with("application/soap+xml"));
        assert_eq!(http.body, search_answer(""));
        let suite = dmp_transport::tls::last_negotiated_suite().unwrap();
        assert!(dmp_transport::tls::DMP_CIPHER_SUITES
            .iter()
            .any(|s| s.suite() == suite));
    }
    let suites = server.suites.lock().unwrap().clone();
    assert_eq!(suites.len(), 2);
    for (suite, version) in suites {
        assert_eq!(version, rustls::ProtocolVersion::TLSv1_2);
        assert_eq!(
            suite,
            rustls::CipherSuite::TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384
        );
    }
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(seen[0]
        .head
        .starts_with("POST /si-dmp-server/v2/services/registry HTTP/1.1"));
    assert_eq!(seen[0].body, query().body);
}

#[test]
fn send_types_accepted_and_refused_answers() {
    let server = Server::start(server_config(TLS12), |_, i| match i {
        0 => Reply::Answer(200, SOAP, search_answer("")),
        _ => Reply::Answer(500, SOAP, fault()),
    });
    let c = client(&server, "org-auth-cli.p12");
    let ok = c.send(&query(), None);
    assert!(
        matches!(
            ok,
            Outcome::Accepted {
                attempts: 1,
                confirmed_by_check: false,
                ..
            }
        ),
        "{ok:?}"
    );
    assert_eq!(ok.to_json()["outcome"], "accepted");
    let refused = c.send(&query(), None);
    let Outcome::Refused {
        error,
        http,
        attempts,
        ..
    } = &refused
    else {
        panic!("{refused:?}")
    };
    assert_eq!((http.status, *attempts), (500, 1));
    assert_eq!(error.code, "s:Sender");
    assert_eq!(error.details[0].text.as_deref(), Some("VIHF invalide"));
    assert_eq!(refused.exit_code(), 1);
}

#[test]
fn untrusted_expired_client_certificates_and_wrong_roots_fail_before_sending() {
    let server = Server::start(server_config(TLS12), |_, _| {
        Reply::Answer(200, SOAP, search_answer(""))
    });
    for p12 in ["rogue-org-auth-cli.p12", "expired-org-auth-cli.p12"] {
        let out = client(&server, p12).send(&td21(), None);
        let Outcome::FailedBeforeSending { reason, attempts } = &out else {
            panic!("{p12}: {out:?}")
        };
        assert_eq!(*attempts, 3, "{p12}: a failure before sending is retried");
        assert!(
            reason.contains("TLS handshake with 127.0.0.1 failed"),
            "{reason}"
        );
    }
    // The server root is not the sandbox's: our client refuses the server.
    let s = settings("org-auth-cli.p12", json!({ "server_roots": ["root.pem"] }));
    let out = Client::new(s, &server.url()).unwrap().send(&query(), None);
    let Outcome::FailedBeforeSending { reason, .. } = &out else {
        panic!("{out:?}")
    };
    assert!(reason.contains("certificate"), "{reason}");
    assert!(server.seen().is_empty());
}

#[test]
fn a_tls13_only_server_is_refused() {
    let server = Server::start(server_config(&[&rustls::version::TLS13]), |_, _| {
        Reply::Answer(200, SOAP, search_answer(""))
    });
    let err = client(&server, "org-auth-cli.p12")
        .exchange(&query(), None)
        .unwrap_err();
    assert!(err.before_sending);
    assert!(err.reason.contains("TLS handshake"), "{}", err.reason);
    assert!(server.seen().is_empty());
}

#[test]
fn a_write_without_answer_is_unknown_and_sent_once_a_query_is_retried() {
    let server = Server::start(server_config(TLS12), |_, _| Reply::Hang);
    let s = settings(
        "org-auth-cli.p12",
        json!({ "timeouts_ms": { "connect": 2000, "read": 300, "total": 5000 } }),
    );
    let c = Client::new(s, &server.url()).unwrap();
    let out = c.send(&td21(), None);
    let Outcome::Unknown { reason, attempts } = &out else {
        panic!("{out:?}")
    };
    assert_eq!(*attempts, 1);
    assert!(reason.contains("not sent again"), "{reason}");
    assert_eq!(server.seen().iter().filter(|s| is_td21(s)).count(), 1);
    let out = c.send(&query(), None);
    assert!(
        matches!(out, Outcome::Unknown { attempts: 3, .. }),
        "{out:?}"
    );
    assert_eq!(server.seen().len(), 4);
}

#[test]
fn a_connection_dropped_mid_response_is_an_error_after_sending() {
    let server = Server::start(server_config(TLS12), |_, _| {
        Reply::Partial(search_answer(""))
    });
    let err = client(&server, "org-auth-cli.p12")
        .exchange(&query(), None)
        .unwrap_err();
    assert!(!err.before_sending, "{}", err.reason);
    assert_eq!(server.seen().len(), 1);
}

/// The server loses the first TD2.1's answer; the landing search answers with the entries
/// of the request (`landed`) or none.
fn landing_server(landed: bool) -> Server {
    Server::start(server_config(TLS12), move |seen, _| {
        if is_td21(seen) {
            let first = COUNT.fetch_add(1, Ordering::SeqCst) == 0;
            return if first {
                Reply::Drop
            } else {
                Reply::Answer(200, SOAP, registry_ok())
            };
        }
        if landed {
            let probe = Probe::of_request(&LAST.lock().unwrap().clone()).unwrap();
            let dmp_core::landing::DocumentKey::UniqueId(uid) = &probe.targets[0].by else {
                panic!()
            };
            Reply::Answer(
                200,
                SOAP,
                search_answer(&entry(uid, &probe.patient.to_cx().replace('&', "&amp;"))),
            )
        } else {
            Reply::Answer(200, SOAP, search_answer(""))
        }
    })
}

static COUNT: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
static LAST: std::sync::Mutex<Vec<u8>> = std::sync::Mutex::new(Vec::new());
static LANDING_TESTS: std::sync::Mutex<()> = std::sync::Mutex::new(());

#[test]
fn a_lost_answer_then_landed_is_accepted_without_resending() {
    let _one = LANDING_TESTS.lock().unwrap_or_else(|e| e.into_inner());
    COUNT.store(0, Ordering::SeqCst);
    let request = td21();
    *LAST.lock().unwrap() = request.to_message();
    let server = landing_server(true);
    let c = client(&server, "org-auth-cli.p12");
    let probe = Probe::of_request(&request.to_message()).unwrap();
    let mut check =
        RegistryLanding::new(probe, &establishment(), std::sync::Arc::new(org_sign()), 1);
    let out = c.send(&request, Some(&mut check as &mut dyn LandingCheck));
    let Outcome::Accepted {
        confirmed_by_check,
        attempts,
        response,
        ..
    } = &out
    else {
        panic!("{out:?}")
    };
    assert!(*confirmed_by_check);
    assert_eq!(*attempts, 1);
    assert_eq!(response.transaction(), "TD3.1");
    let seen = server.seen();
    assert_eq!(
        seen.iter().filter(|s| is_td21(s)).count(),
        1,
        "exactly one TD2.1"
    );
    assert_eq!(seen.len(), 2);
    assert!(
        seen[1]
            .body_text()
            .contains("urn:uuid:5c4f972b-d56b-40ac-a5fc-c8ca9b40b9d4"),
        "GetDocuments"
    );
}

#[test]
fn a_lost_answer_not_landed_is_resent_once() {
    let _one = LANDING_TESTS.lock().unwrap_or_else(|e| e.into_inner());
    COUNT.store(0, Ordering::SeqCst);
    let request = td21();
    *LAST.lock().unwrap() = request.to_message();
    let server = landing_server(false);
    let c = client(&server, "org-auth-cli.p12");
    let probe = Probe::of_request(&request.to_message()).unwrap();
    let mut check =
        RegistryLanding::new(probe, &establishment(), std::sync::Arc::new(org_sign()), 1);
    let out = c.send(&request, Some(&mut check as &mut dyn LandingCheck));
    assert!(
        matches!(
            out,
            Outcome::Accepted {
                attempts: 2,
                confirmed_by_check: false,
                ..
            }
        ),
        "{out:?}"
    );
    let seen = server.seen();
    assert_eq!(seen.iter().filter(|s| is_td21(s)).count(), 2);
    assert_eq!(seen.len(), 3);
}

#[test]
fn a_connect_proxy_with_basic_authentication() {
    let server = Server::start(server_config(TLS12), |_, _| {
        Reply::Answer(200, SOAP, search_answer(""))
    });
    let proxy = Proxy::start("Basic dXNlcjpzZWNyZXQ=", false);
    std::env::set_var("DMP_TRANSPORT_TEST_PROXY_PW", "secret");
    let s = settings(
        "org-auth-cli.p12",
        json!({ "proxy": { "url": proxy.url(), "username": "user", "password_env": "DMP_TRANSPORT_TEST_PROXY_PW" } }),
    );
    let out = Client::new(s, &server.url()).unwrap().send(&query(), None);
    assert!(
        matches!(out, Outcome::Accepted { attempts: 1, .. }),
        "{out:?}"
    );
    assert_eq!(proxy.tunnels.load(Ordering::SeqCst), 1);
    assert_eq!(server.seen().len(), 1);

    let refusing = Proxy::start("Basic dXNlcjpzZWNyZXQ=", true);
    let s = settings(
        "org-auth-cli.p12",
        json!({ "proxy": { "url": refusing.url() } }),
    );
    let out = Client::new(s, &server.url()).unwrap().send(&td21(), None);
    let Outcome::FailedBeforeSending { reason, .. } = &out else {
        panic!("{out:?}")
    };
    assert!(reason.contains(&refusing.url()), "{reason}");
    assert!(reason.contains("407"), "{reason}");
    assert_eq!(server.seen().len(), 1);
}

#[test]
fn a_batch_reuses_one_connection() {
    let server = Server::start(server_config(TLS12), |_, _| {
        Reply::Answer(200, SOAP, search_answer(""))
    });
    let c = client(&server, "org-auth-cli.p12");
    for _ in 0..5 {
        assert!(matches!(c.send(&query(), None), Outcome::Accepted { .. }));
    }
    assert_eq!(server.seen().len(), 5);
    assert_eq!(server.connections.load(Ordering::SeqCst), 1);
}

#[test]
fn settings_errors_name_the_field_and_the_file() {
    let e = TransportSettings::from_json(
        &json!({ "client_certificate": { "p12": "x.p12" }, "server_roots": [] }),
        &pki(),
    )
    .unwrap_err();
    assert_eq!(e.to_string(), "transport.client_certificate.password_env: a .p12 needs its password: name the environment variable that holds it");
    let e = TransportSettings::from_json(
        &json!({ "client_certificate": {}, "server_roots": [], "retry": 1 }),
        &pki(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("transport.retry: unknown field `retry`"),
        "{e}"
    );
    let s = settings("missing.p12", json!({}));
    let e = Client::new(s, "https://127.0.0.1:1").unwrap_err();
    assert!(
        e.to_string()
            .starts_with("transport.client_certificate.p12: "),
        "{e}"
    );
    assert!(e.to_string().contains("missing.p12: cannot read it"), "{e}");
    let e = Client::from_profile(&actor("kine-liberal-cps"), &actors_dir(), None).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("transport: the actor profile has no transport settings"),
        "{e}"
    );
}
