//! `dmp`: the command line over `dmp-core`. Argument parsing and printing only; every rule
//! lives in the core.

use std::process::ExitCode;

mod consult;
mod sandbox;
mod send;

use std::path::Path;

use dmp_core::actor::ActorProfile;
use dmp_core::cda::{self, Case};
use dmp_core::crypto::{Certificate, SignatureAlgorithm, SigningIdentity, UsagePolicy};
use dmp_core::feed::{self, FeedContext, FeedMode, FeedRequest, IdGenerator};
use dmp_core::habilitation::{
    AccessMode, Actor, Authentication, Matrix, MatrixInfo, Reader, Rights, Settings, StaffList,
    StaffReport,
};
use dmp_core::ids::{Adeli, Finess, IdNatPs, Ins, Oid, Rpps};
use dmp_core::model::{FonctionEssms, Profession, ProfessionSystem};
use dmp_core::xmldsig::{self, ChainStatus, ManifestStatus, VerifyOptions};

const USAGE: &str = "\
dmp — DMP connector for ESSMS software (version VERSION)

USAGE:
  dmp staff-report STAFF.json [--json] [--social-rows-in-force] [--matrix FILE]
      Who may feed and consult the DMP, and which document types each person may read.
  dmp check KIND VALUE [--oid OID]
      Validate an identifier. KIND: ins (matricule; --oid defaults to the production NIR),
      ins-cx, rpps, adeli, idnat, finess, oid.
  dmp matrix decide (--profession SYSTEM:CODE | --function FUNCTION)... --type TYPE_CODE
                    [--json] [--social-rows-in-force] [--matrix FILE]
      Whether a reader may consult a document type, with the reason and the provenance.
  dmp rights --auth AUTH --actor ACTOR [--mode MODE] [--transaction TD] [--json]
      Functional rights. AUTH: indirecte_certificat_es, directe_cps, directe_cpe, air.
      ACTOR: ps_non_medecin, medecin, medecin_traitant, medecin_du_travail, non_ps.
      MODE: normal (default), centre_15, bris_de_glace.
  dmp cda build CASE.json -o OUT.xml
      Build a CDA R2 document (N1 body) from a case: header + content (docs/schema/cda-case.schema.json).
  dmp cda show DOC.xml [--json] [--content OUT]
      Read a CDA: its header as written, whether it passes the model's rules, and (with
      --content) the N1 body extracted to OUT.
  dmp verify FILE [--trust CERTS.pem]... [--part URN=FILE]... [--at RFC3339]
      Verify every XML signature of FILE (a VIHF/SAML assertion, a XAdES signature, a SOAP
      envelope or a whole MTOM message): VALID or INVALID with the reason, the signer, the
      signing time, each signed element and manifest reference. --trust: PEM certificates;
      self-signed ones are the trusted roots, the others serve as intermediates (without
      --trust the chain is not checked, the validity dates are). --part: the bytes of a
      manifest reference. --at: when to check the certificates (default: now). For a whole
      message: each manifest reference must name one of its documents, each xop:Include
      one of its parts, and a request's VIHF must be the single signed assertion of
      wsse:Security. Exit 0 only if every signature found is valid and the message has no
      problem.
  dmp feed build CASE.json --p12 FILE --password-env VAR [--mode indirecte|directe|air]
                 -o REQUEST.mime [--dump DIR] [--at RFC3339] [--seed N]
      Build the signed TD2.1 (feeding) request of a feed case (docs/schema/feed-case.schema.json,
      samples in examples/data/feed/): pre-send checks, CDA documents, XDS metadata, XAdES
      signature, signed VIHF, SOAP 1.2 + MTOM. Writes the HTTP headers and the MIME body to
      REQUEST.mime; --dump DIR also writes envelope.xml, document-N.xml, signature.xml,
      vihf.xml and metadata.txt. --at and --seed fix the clock and the ids (same bytes);
      without them: now and a random seed (printed).
  dmp feed check REQUEST.mime [--trust CERTS.pem]... [--at RFC3339]
      Re-read a built request: every signature (VIHF, XAdES with each manifest digest
      recomputed from the MIME parts) and each document's metadata against its CDA. Exit 0
      only if all is well.
  dmp request KIND --actor ACTOR.json [--ins INS] [KIND's arguments] -o REQUEST.mime
              --p12 FILE --password-env VAR [--consent C] [--dump DIR] [--at RFC3339] [--seed N]
      Build a consultation or management request as the actor (docs/schema/actor-profile.schema.json,
      samples in examples/data/actors/): functional rights, consent and signer checked first.
      KIND: status (TD0.2); search (TD3.1: --type/--class/--format/--practice/--facility/
      --confidentiality CODE^SCHEME, --status, --created-from/--created-to, --service-from/
      --service-to, --author, --submitted-from/--submitted-to; --unique-id/--entry-uuid for the
      reference search, --submission-set UID); get or retrieve (TD3.2: --unique-id UID…,
      --repository OID); mask, unmask, visibility (--patient and/or --legal-representatives
      visible|invisible), archive, unarchive, delete (TD3.3: --unique-id UID --search-response
      FILE, a TD3.1 answer holding the document); authorize (TD0.3: --action add|remove|
      remove_as_medecin_traitant); authorized-list (TD0.4: --since RFC3339 [--date-type
      last_doc|last_authorization]). --consent (search, get): care-team, explicit, emergency,
      testing-override or a JSON file.
  dmp response FILE [--json] [--extract DIR] [--actor ACTOR.json]
      Read any answer of the DMP (a SOAP envelope, or an HTTP message; MTOM for TD3.2): the
      typed result, the documents of a TD3.2 answer written to DIR, with --actor whether that
      reader may open each TD3.1 document's type. Exit 1 on a DMP error or fault.
  dmp version

--matrix FILE loads a replacement habilitation matrix: JSON (dmp-habilitation-matrix/1) if the
name ends in .json, else the long CSV form.
Exit status: 0 success, 1 invalid input or refused check, 2 usage error.";

/// A failure: the message and the exit status.
pub(crate) struct Fail(pub(crate) String, pub(crate) u8);

impl From<dmp_core::Error> for Fail {
    fn from(e: dmp_core::Error) -> Self {
        Fail(e.to_string(), 1)
    }
}

pub(crate) fn usage(msg: impl Into<String>) -> Fail {
    Fail(format!("{}\n\nRun `dmp help` for usage.", msg.into()), 2)
}

fn main() -> ExitCode {
    // A file name that is not UTF-8 (Latin-1 names on ESSMS file shares) is named, not a panic.
    let mut args = Vec::new();
    for a in std::env::args_os().skip(1) {
        match a.into_string() {
            Ok(s) => args.push(s),
            Err(raw) => {
                eprintln!(
                    "dmp: the argument {} is not valid UTF-8: rename the file (or pass it through a \
                     UTF-8 path)",
                    raw.to_string_lossy()
                );
                return ExitCode::from(2);
            }
        }
    }
    match run(&args) {
        Ok(out) => {
            out_text(&out);
            ExitCode::SUCCESS
        }
        Err(Fail(msg, code)) => {
            eprintln!("dmp: {msg}");
            ExitCode::from(code)
        }
    }
}

/// Writes to stdout; a reader that went away (`dmp … | head -1`) is a normal end, not a panic.
pub(crate) fn out_text(text: &str) {
    use std::io::Write as _;
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

fn run(args: &[String]) -> Result<String, Fail> {
    let (cmd, rest) = args
        .split_first()
        .ok_or_else(|| usage("no command given"))?;
    match cmd.as_str() {
        "staff-report" => staff_report(rest),
        "check" => check(rest),
        "matrix" => matrix(rest),
        "rights" => rights(rest),
        "cda" => cda(rest),
        "verify" => verify(rest),
        "feed" => feed(rest),
        "request" => consult::request(rest),
        "response" => consult::response(rest),
        "send" => send::send(rest),
        "sandbox" => sandbox::sandbox(rest),
        "version" | "--version" => Ok(format!("dmp {}\n", dmp_core::VERSION)),
        "help" | "--help" | "-h" => {
            Ok(format!("{}\n", USAGE.replace("VERSION", dmp_core::VERSION)))
        }
        other => Err(usage(format!("unknown command `{other}`"))),
    }
}

/// Parsed options: positional arguments, flags, and `--name value` pairs (repeatable).
pub(crate) struct Opts {
    pub(crate) positional: Vec<String>,
    flags: Vec<String>,
    values: Vec<(String, String)>,
}

impl Opts {
    pub(crate) fn parse(args: &[String], flags: &[&str], valued: &[&str]) -> Result<Opts, Fail> {
        let mut o = Opts {
            positional: vec![],
            flags: vec![],
            values: vec![],
        };
        let mut it = args.iter();
        while let Some(a) = it.next() {
            if flags.contains(&a.as_str()) {
                o.flags.push(a.clone());
            } else if valued.contains(&a.as_str()) {
                let v = it
                    .next()
                    .ok_or_else(|| usage(format!("{a} needs a value")))?;
                o.values.push((a.clone(), v.clone()));
            } else if a.starts_with("--") {
                return Err(usage(format!("unknown option {a}")));
            } else {
                o.positional.push(a.clone());
            }
        }
        Ok(o)
    }
    pub(crate) fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|f| f == name)
    }
    pub(crate) fn value(&self, name: &str) -> Option<&str> {
        self.values
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
    pub(crate) fn all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.values
            .iter()
            .filter(move |(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

pub(crate) fn read_file(path: &str) -> Result<String, Fail> {
    std::fs::read_to_string(path).map_err(|e| Fail(format!("cannot read {path}: {e}"), 1))
}

/// The embedded matrix or the one in `--matrix`, with the settings of the flags.
fn load_matrix(o: &Opts) -> Result<Matrix, Fail> {
    let matrix = match o.value("--matrix") {
        None => Matrix::embedded()?,
        Some(path) if path.ends_with(".json") => Matrix::from_json(&read_file(path)?)?,
        Some(path) => {
            let info = MatrixInfo {
                id: path.to_owned(),
                title: format!("Habilitation matrix loaded from {path}"),
                date: String::new(),
                legal_basis: String::new(),
                note: String::new(),
            };
            Matrix::from_csv(info, &read_file(path)?)?
        }
    };
    Ok(matrix.with_settings(Settings {
        social_rows_in_force: o.flag("--social-rows-in-force"),
    }))
}

pub(crate) fn to_json<T: serde::Serialize>(v: &T) -> Result<String, Fail> {
    serde_json::to_string_pretty(v)
        .map(|s| s + "\n")
        .map_err(|e| Fail(e.to_string(), 1))
}

/// Reads a snake_case enum value the way the JSON formats spell it.
pub(crate) fn enum_arg<T: serde::de::DeserializeOwned>(name: &str, value: &str) -> Result<T, Fail> {
    serde_json::from_value(serde_json::Value::String(value.to_owned()))
        .map_err(|_| usage(format!("{name}: unknown value `{value}`")))
}

fn staff_report(args: &[String]) -> Result<String, Fail> {
    let o = Opts::parse(args, &["--json", "--social-rows-in-force"], &["--matrix"])?;
    let [path] = o.positional.as_slice() else {
        return Err(usage("staff-report takes one STAFF.json file"));
    };
    let list: StaffList = dmp_core::json::from_str(&read_file(path)?)?;
    let report = StaffReport::build(&list, &load_matrix(&o)?, &Rights::embedded()?);
    if o.flag("--json") {
        to_json(&report)
    } else {
        Ok(report.to_string())
    }
}

fn check(args: &[String]) -> Result<String, Fail> {
    let o = Opts::parse(args, &[], &["--oid"])?;
    let [kind, value] = o.positional.as_slice() else {
        return Err(usage("check takes KIND VALUE"));
    };
    let line = match kind.as_str() {
        "ins" => {
            let oid = o.value("--oid").unwrap_or(dmp_core::ids::oid::INS_NIR);
            let ins = Ins::parse(value, oid)?;
            format!("valid INS ({}): {}", ins.system().label(), ins.to_cx())
        }
        "ins-cx" => {
            let ins = Ins::from_cx(value)?;
            format!("valid INS ({}): {}", ins.system().label(), ins.matricule())
        }
        "rpps" => format!(
            "valid RPPS: IdNat_PS {}",
            IdNatPs::Rpps(value.parse::<Rpps>()?)
        ),
        "adeli" => format!(
            "valid ADELI: IdNat_PS {}",
            IdNatPs::Adeli(value.parse::<Adeli>()?)
        ),
        "idnat" => format!("valid IdNat_PS: {}", value.parse::<IdNatPs>()?),
        "finess" => {
            let f: Finess = value.parse()?;
            format!("valid FINESS: structure IdNat {}", f.struct_idnat())
        }
        "oid" => format!("valid OID: {}", value.parse::<Oid>()?),
        other => return Err(usage(format!("unknown identifier kind `{other}`"))),
    };
    Ok(line + "\n")
}

fn matrix(args: &[String]) -> Result<String, Fail> {
    let (sub, rest) = args
        .split_first()
        .ok_or_else(|| usage("matrix needs a subcommand: decide"))?;
    if sub != "decide" {
        return Err(usage(format!("unknown matrix subcommand `{sub}`")));
    }
    let o = Opts::parse(
        rest,
        &["--json", "--social-rows-in-force"],
        &["--profession", "--function", "--type", "--matrix"],
    )?;
    let type_code = o
        .value("--type")
        .ok_or_else(|| usage("matrix decide needs --type TYPE_CODE"))?;
    let mut reader = Reader::default();
    for p in o.all("--profession") {
        let (system, code) = p
            .split_once(':')
            .ok_or_else(|| usage("--profession takes SYSTEM:CODE, e.g. TRE_G15:60"))?;
        let system = ProfessionSystem::from_name(system)
            .ok_or_else(|| usage(format!("unknown profession system `{system}`")))?;
        reader.profession = Some(Profession {
            system,
            code: code.to_owned(),
        });
    }
    for f in o.all("--function") {
        reader.function = Some(enum_arg::<FonctionEssms>("--function", f)?);
    }
    if reader.profession.is_none() && reader.function.is_none() {
        return Err(usage(
            "matrix decide needs the reader: --profession SYSTEM:CODE (e.g. TRE_G15:60) and/or \
             --function FUNCTION",
        ));
    }
    let decision = load_matrix(&o)?.decide(&reader, type_code);
    if o.flag("--json") {
        return to_json(&decision);
    }
    let verdict = match decision.outcome {
        dmp_core::habilitation::Outcome::Allowed => "allowed",
        dmp_core::habilitation::Outcome::Denied => "denied",
        dmp_core::habilitation::Outcome::Unknown => "unknown (no cell in the matrix)",
    };
    let mut out = format!("{verdict}: {}\n", decision.reason);
    if let Some(p) = &decision.provenance {
        out += &format!(
            "cell status {} (matrix {}), source: {}\n",
            p.status.code(),
            p.matrix_id,
            p.source
        );
    }
    Ok(out)
}

fn rights(args: &[String]) -> Result<String, Fail> {
    let o = Opts::parse(
        args,
        &["--json"],
        &["--auth", "--actor", "--mode", "--transaction"],
    )?;
    let auth: Authentication = enum_arg(
        "--auth",
        o.value("--auth")
            .ok_or_else(|| usage("rights needs --auth"))?,
    )?;
    let actor: Actor = enum_arg(
        "--actor",
        o.value("--actor")
            .ok_or_else(|| usage("rights needs --actor"))?,
    )?;
    let mode: AccessMode = enum_arg("--mode", o.value("--mode").unwrap_or("normal"))?;
    let table = Rights::embedded()?;
    let decisions: Vec<_> = match o.value("--transaction") {
        Some(td) => table.decide(auth, actor, mode, td),
        None => {
            // Each printed row of the login's document, in table order.
            let doc = table.document_for(auth);
            let mut seen = std::collections::HashSet::new();
            table
                .rows()
                .iter()
                .filter(|r| r.document == doc && seen.insert(r.transaction.as_str()))
                .flat_map(|r| table.decide(auth, actor, mode, &r.transaction))
                .collect()
        }
    };
    if decisions.is_empty() {
        return Err(Fail("no such transaction in the rights tables".into(), 1));
    }
    if o.flag("--json") {
        return to_json(&decisions);
    }
    let mut out = String::new();
    for d in &decisions {
        let notes: Vec<String> = d
            .footnotes
            .iter()
            .map(|f| {
                format!(
                    "({}) {}",
                    f.number,
                    f.text.as_deref().unwrap_or("[no legend printed]")
                )
            })
            .collect();
        out += &format!(
            "{:<7} {:<60} {}{}{}\n",
            d.transaction,
            d.label,
            match d.permission {
                dmp_core::habilitation::Permission::Allowed => "allowed",
                dmp_core::habilitation::Permission::Denied => "denied",
                dmp_core::habilitation::Permission::NotApplicable => "not applicable",
            },
            if d.withdrawn { " [withdrawn]" } else { "" },
            if notes.is_empty() {
                String::new()
            } else {
                format!(" — {}", notes.join("; "))
            }
        );
    }
    Ok(out)
}

/// Writes `bytes` to `path` through a temporary file, so that a failure leaves no partial file.
/// `--dump DIR`: writes each named piece of a built request into `DIR` (created).
pub(crate) fn dump(dir: &str, files: &[(String, &[u8])]) -> Result<(), Fail> {
    std::fs::create_dir_all(dir).map_err(|e| Fail(format!("cannot create {dir}: {e}"), 1))?;
    for (name, bytes) in files {
        write_file(&Path::new(dir).join(name).to_string_lossy(), bytes)?;
    }
    Ok(())
}

pub(crate) fn write_file(path: &str, bytes: &[u8]) -> Result<(), Fail> {
    let tmp = format!("{path}.tmp-{}", std::process::id());
    std::fs::write(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path))
        .map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Fail(format!("cannot write {path}: {e}"), 1)
        })
}

fn cda(args: &[String]) -> Result<String, Fail> {
    let (sub, rest) = args
        .split_first()
        .ok_or_else(|| usage("cda needs a subcommand: build or show"))?;
    match sub.as_str() {
        "build" => cda_build(rest),
        "show" => cda_show(rest),
        other => Err(usage(format!("unknown cda subcommand `{other}`"))),
    }
}

fn cda_build(args: &[String]) -> Result<String, Fail> {
    let o = Opts::parse(args, &[], &["-o", "--output"])?;
    let [case_path] = o.positional.as_slice() else {
        return Err(usage("cda build takes one CASE.json file"));
    };
    let out = o
        .value("-o")
        .or_else(|| o.value("--output"))
        .ok_or_else(|| usage("cda build needs -o OUT.xml"))?;
    let case: Case = dmp_core::json::from_str(&read_file(case_path)?)?;
    let base = Path::new(case_path).parent().unwrap_or(Path::new("."));
    let (header, content) =
        case.into_parts(|p| std::fs::read(base.join(p)).map_err(|e| e.to_string()))?;
    let bytes = cda::build(&header, &content)?;
    write_file(out, &bytes)?;
    Ok(format!(
        "{out}: {} ({} bytes, {} body of {} bytes)\n",
        header.kind.type_concept()?.display,
        bytes.len(),
        content.media_type.mime(),
        content.data.len()
    ))
}

fn cda_show(args: &[String]) -> Result<String, Fail> {
    let o = Opts::parse(args, &["--json"], &["--content"])?;
    let [path] = o.positional.as_slice() else {
        return Err(usage("cda show takes one DOC.xml file"));
    };
    let bytes = std::fs::read(path).map_err(|e| Fail(format!("cannot read {path}: {e}"), 1))?;
    let doc = cda::read(&bytes)?;
    if let Some(out) = o.value("--content") {
        let content = doc
            .content
            .as_ref()
            .ok_or_else(|| Fail(format!("{path} has no N1 (nonXMLBody) content"), 1))?;
        write_file(out, &content.data)?;
    }
    let check = doc.to_header();
    if o.flag("--json") {
        let v = serde_json::json!({
            "header": doc.header,
            "content": doc.content.as_ref().map(|c| serde_json::json!({
                "media_type": c.media_type,
                "bytes": c.data.len(),
            })),
            "model_check": match &check {
                Ok(_) => serde_json::Value::String("ok".into()),
                Err(e) => serde_json::Value::String(e.to_string()),
            },
        });
        return to_json(&v);
    }
    let mut out = to_json(&doc.header)?;
    if let Some(c) = &doc.content {
        out += &format!(
            "content: {} ({} bytes)\n",
            c.media_type.mime(),
            c.data.len()
        );
    }
    out += &match check {
        Ok(h) => format!(
            "model check: ok ({} version {}, INS {})\n",
            h.kind.type_code(),
            h.version_number,
            h.patient.ins.to_cx()
        ),
        Err(e) => format!("model check: {e}\n"),
    };
    Ok(out)
}

fn verify(args: &[String]) -> Result<String, Fail> {
    let o = Opts::parse(args, &[], &["--trust", "--part", "--at"])?;
    let [path] = o.positional.as_slice() else {
        return Err(usage("verify takes one FILE"));
    };
    let mut options = verify_options(&o)?;
    for p in o.all("--part") {
        let (urn, file) = p
            .split_once('=')
            .ok_or_else(|| usage("--part takes URN=FILE"))?;
        let bytes = std::fs::read(file).map_err(|e| Fail(format!("cannot read {file}: {e}"), 1))?;
        options.parts.insert(urn.to_owned(), bytes);
    }
    let bytes = std::fs::read(path).map_err(|e| Fail(format!("cannot read {path}: {e}"), 1))?;
    let verified = xmldsig::verify_message(&bytes, &options)?;
    let reports = &verified.signatures;
    if reports.is_empty() {
        return Err(Fail(format!("{path}: no XML signature found"), 1));
    }
    let mut out = String::new();
    for (i, r) in reports.iter().enumerate() {
        let place = match &r.part {
            Some(part) => format!("part <{part}>, line {}", r.line),
            None => format!("line {}", r.line),
        };
        out += &format!("signature {} ({place}): ", i + 1);
        out += &match &r.failure {
            None => "VALID\n".to_owned(),
            Some(f) => format!("INVALID: {f}\n"),
        };
        if let Some(alg) = r.algorithm {
            out += &format!("  algorithm: {alg}\n");
        }
        out += &format!(
            "  signer: {}\n",
            r.signer_subject().as_deref().unwrap_or("(unknown)")
        );
        out += &format!(
            "  signing time: {}\n",
            r.signing_time.as_deref().unwrap_or("(none)")
        );
        out += &match &r.chain {
            ChainStatus::NotChecked => "  chain: not checked (no --trust)\n".to_owned(),
            other => format!("  chain: {other}\n"),
        };
        for rr in &r.references {
            let target = rr.element.as_ref().map_or("(unresolved)".to_owned(), |e| {
                format!(
                    "<{}> at line {}, bytes {}..{}",
                    e.qname, e.line, e.span.start, e.span.end
                )
            });
            let uri = if rr.uri.is_empty() { "\"\"" } else { &rr.uri };
            out += &format!(
                "  reference {uri} -> {target}: {}\n",
                if rr.digest_ok {
                    "digest ok"
                } else {
                    "not verified"
                }
            );
        }
        for m in &r.manifest {
            let status = match &m.status {
                ManifestStatus::PartMissing => "not checked (no --part)".to_owned(),
                other => other.to_string(),
            };
            out += &format!("  manifest {}: {status}\n", m.uri);
        }
    }
    for p in &verified.problems {
        out += &format!("problem: {p}\n");
    }
    let valid = reports.iter().filter(|r| r.is_valid()).count();
    out += &format!("{valid} of {} signature(s) valid\n", reports.len());
    if verified.is_valid() {
        Ok(out)
    } else {
        out_text(&out);
        Err(Fail(
            if valid == reports.len() {
                format!("{path}: the message does not verify")
            } else {
                format!("{path}: invalid signature")
            },
            1,
        ))
    }
}

/// `--at` (default: now) and `--trust` as verification options.
fn verify_options(o: &Opts) -> Result<VerifyOptions, Fail> {
    let at = match o.value("--at") {
        Some(t) => parse_time(t)?.with_timezone(&chrono::Utc),
        None => chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()),
    };
    let mut options = VerifyOptions::new(at);
    let mut roots = Vec::new();
    for file in o.all("--trust") {
        for cert in Certificate::chain_from_pem(&read_file(file)?)? {
            if cert.subject().der() == cert.issuer().der() {
                roots.push(cert);
            } else {
                options.intermediates.push(cert);
            }
        }
    }
    if o.value("--trust").is_some() {
        if roots.is_empty() {
            return Err(Fail(
                "--trust: no self-signed (root) certificate in the given files".into(),
                1,
            ));
        }
        options.trust = Some(roots);
    }
    Ok(options)
}

pub(crate) fn parse_time(t: &str) -> Result<chrono::DateTime<chrono::FixedOffset>, Fail> {
    chrono::DateTime::parse_from_rfc3339(t)
        .map_err(|e| usage(format!("--at {t}: not an RFC 3339 time ({e})")))
}

fn feed(args: &[String]) -> Result<String, Fail> {
    let (sub, rest) = args
        .split_first()
        .ok_or_else(|| usage("feed needs a subcommand: build or check"))?;
    match sub.as_str() {
        "build" => feed_build(rest),
        "check" => feed_check(rest),
        other => Err(usage(format!("unknown feed subcommand `{other}`"))),
    }
}

fn feed_build(args: &[String]) -> Result<String, Fail> {
    let o = Opts::parse(
        args,
        &send::SEND_FLAGS,
        &[
            "--p12",
            "--password-env",
            "--mode",
            "-o",
            "--output",
            "--dump",
            "--at",
            "--seed",
            "--actor",
            "--endpoint",
            "--extract",
        ],
    )?;
    let [case_path] = o.positional.as_slice() else {
        return Err(usage("feed build takes one CASE.json file"));
    };
    let out = o
        .value("-o")
        .or_else(|| o.value("--output"))
        .ok_or_else(|| usage("feed build needs -o REQUEST.mime"))?;
    let base = Path::new(case_path).parent().unwrap_or(Path::new("."));
    let mut request = FeedRequest::from_json_with_profile(&read_file(case_path)?, |p| {
        std::fs::read(base.join(p)).map_err(|e| e.to_string())
    })?;
    if let Some(m) = o.value("--mode") {
        request.mode = enum_arg::<FeedMode>("--mode", m)?;
    }
    request.resolve(|p| std::fs::read(base.join(p)).map_err(|e| e.to_string()))?;
    let (now, seed, random) = clock_and_seed(&o)?;
    let (identity, signer) = signer_from(&o, "feed build", now)?;
    let mut ctx = FeedContext {
        now,
        ids: IdGenerator::from_seed(seed),
        signer: &signer,
    };
    let built = feed::build(&request, &mut ctx)?;
    write_file(out, &built.http.to_message())?;
    if let Some(dir) = o.value("--dump") {
        let mut files = vec![("envelope.xml".to_owned(), &built.envelope[..])];
        for (i, (_, bytes)) in built.cdas.iter().enumerate() {
            files.push((format!("document-{}.xml", i + 1), &bytes[..]));
        }
        files.push(("signature.xml".to_owned(), &built.signature[..]));
        files.push(("vihf.xml".to_owned(), &built.vihf[..]));
        files.push(("metadata.txt".to_owned(), built.metadata.as_bytes()));
        dump(dir, &files)?;
    }
    let mut s = format!(
        "{out}: TD2.1 request to {} ({} bytes), {} document(s), MessageID {}\n",
        built.http.path,
        built.http.body.len(),
        built.cdas.len(),
        built.message_id
    );
    for (uri, bytes) in &built.cdas {
        s += &format!("  {uri}: {} bytes\n", bytes.len());
    }
    s += &format!("at {}, seed {seed}", now.to_rfc3339());
    s += if random { " (random)\n" } else { "\n" };
    if o.flag("--send") {
        let actor_path = match o.value("--actor") {
            Some(p) => p.to_owned(),
            None => feed_profile_path(case_path, base)?,
        };
        let actor = ActorProfile::from_json(&read_file(&actor_path)?)?;
        crate::out_text(&s);
        return send::deliver(&o, &built.http, actor, &actor_path, Some(identity));
    }
    Ok(s)
}

/// The actor profile a feed file names (`"profile"`, relative to the file), for `--send`
/// without `--actor`.
fn feed_profile_path(case_path: &str, base: &Path) -> Result<String, Fail> {
    let value: serde_json::Value = serde_json::from_str(&read_file(case_path)?)
        .map_err(|e| Fail(format!("{case_path}: {e}"), 1))?;
    let name = value
        .get("profile")
        .and_then(|p| p.as_str())
        .ok_or_else(|| {
            usage(format!(
            "feed build --send: {case_path} names no \"profile\": give --actor ACTOR.json, whose \
             `transport` says how to reach the DMP"
        ))
        })?;
    Ok(base.join(name).display().to_string())
}

/// `--at` (default now) and `--seed` (default random, said so).
pub(crate) fn clock_and_seed(
    o: &Opts,
) -> Result<(chrono::DateTime<chrono::FixedOffset>, u64, bool), Fail> {
    let now = match o.value("--at") {
        Some(t) => parse_time(t)?,
        None => chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).fixed_offset(),
    };
    let (seed, random) = match o.value("--seed") {
        Some(s) => (
            s.parse::<u64>()
                .map_err(|_| usage(format!("--seed {s}: not an unsigned integer")))?,
            false,
        ),
        None => (uuid::Uuid::new_v4().as_u64_pair().0, true),
    };
    Ok((now, seed, random))
}

/// The signer of `--p12 FILE --password-env VAR`, checked for a DMP signature at `now`
/// (RSA-SHA1, as every DMP sample).
/// Also returns the identity, which signs the landing check of `--send`.
pub(crate) fn signer_from(
    o: &Opts,
    command: &str,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<(SigningIdentity, dmp_core::crypto::CheckedSigner), Fail> {
    let identity =
        identity_from(o, command)?.ok_or_else(|| usage(format!("{command} needs --p12 FILE")))?;
    let signer = identity.signer_at(now.with_timezone(&chrono::Utc), UsagePolicy::DmpSignature)?;
    Ok((identity, signer))
}

/// The signing identity of `--p12 FILE --password-env VAR` (RSA-SHA1, as every DMP sample),
/// or none without `--p12`.
pub(crate) fn identity_from(o: &Opts, command: &str) -> Result<Option<SigningIdentity>, Fail> {
    let Some(p12_path) = o.value("--p12") else {
        return Ok(None);
    };
    let var = o
        .value("--password-env")
        .ok_or_else(|| usage(format!("{command} needs --password-env VAR with --p12")))?;
    let password = std::env::var(var)
        .map_err(|_| usage(format!("--password-env: the variable {var} is not set")))?;
    let p12 =
        std::fs::read(p12_path).map_err(|e| Fail(format!("cannot read {p12_path}: {e}"), 1))?;
    Ok(Some(
        SigningIdentity::from_pkcs12(&p12, password.trim())?
            .with_algorithm(SignatureAlgorithm::RsaSha1)?,
    ))
}

fn feed_check(args: &[String]) -> Result<String, Fail> {
    let o = Opts::parse(args, &[], &["--trust", "--at"])?;
    let [path] = o.positional.as_slice() else {
        return Err(usage("feed check takes one REQUEST.mime file"));
    };
    let options = verify_options(&o)?;
    let bytes = std::fs::read(path).map_err(|e| Fail(format!("cannot read {path}: {e}"), 1))?;
    let report = feed::check(&bytes, &options)?;
    let out = report.render();
    if report.is_ok() {
        Ok(out)
    } else {
        out_text(&out);
        Err(Fail(format!("{path}: the request does not check"), 1))
    }
}
