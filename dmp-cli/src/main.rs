//! `dmp`: the command line over `dmp-core`. Argument parsing (clap, in `cli.rs`) and printing
//! only; every rule lives in the core.

use std::path::Path;
use std::process::ExitCode;

use clap::{CommandFactory as _, Parser as _};

mod cli;
mod consult;
mod journal;
mod pilotage;
mod sandbox;
mod send;

use cli::{
    CdaBuildArgs, CdaCommand, CdaShowArgs, CheckArgs, Cli, ClockOpts, Command, DecideArgs,
    FeedBuildArgs, FeedCheckArgs, FeedCommand, IdKind, MatrixCommand, MatrixOpts, RightsArgs,
    SignerOpts, StaffReportArgs, TrustOpts, VerifyArgs,
};
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
use dmp_core::xmldsig::{self, ChainStatus, ManifestStatus, SignatureReport, VerifyOptions};
use serde_json::json;

/// The manual page, written by `build.rs` from the same definitions as the parser.
const MAN_PAGE: &str = include_str!(concat!(env!("OUT_DIR"), "/dmp.1"));

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
    // `args_os`: a file name that is not UTF-8 (Latin-1 names on ESSMS file shares) reaches a
    // `PathBuf` as it is, never a panic.
    let cli = match Cli::try_parse_from(std::env::args_os()) {
        Ok(cli) => cli,
        Err(e) => {
            // Help and version (exit 0) go to stdout, usage errors (exit 2) to stderr; a
            // closed pipe is a normal end.
            let _ = e.print();
            return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(2));
        }
    };
    match run(cli.command) {
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

fn run(command: Command) -> Result<String, Fail> {
    match command {
        Command::StaffReport(a) => staff_report(&a),
        Command::Check(a) => check(&a),
        Command::Matrix(MatrixCommand::Decide(a)) => matrix_decide(&a),
        Command::Rights(a) => rights(&a),
        Command::Cda(CdaCommand::Build(a)) => cda_build(&a),
        Command::Cda(CdaCommand::Show(a)) => cda_show(&a),
        Command::Verify(a) => verify(&a),
        Command::Feed(FeedCommand::Build(a)) => feed_build(&a),
        Command::Feed(FeedCommand::Check(a)) => feed_check(&a),
        Command::Request(r) => consult::request(&r),
        Command::Response(a) => consult::response(&a),
        Command::Send(a) => send::send(&a),
        Command::Sandbox(cli::SandboxCommand::Serve(a)) => sandbox::serve(&a),
        Command::Due(a) => pilotage::due(&a),
        Command::Indicators(a) => pilotage::indicators(&a),
        Command::Journal(c) => journal::run(&c),
        Command::Completions(a) => Ok(completions(a.shell)),
        Command::Man => Ok(MAN_PAGE.to_owned()),
        Command::Version => Ok(format!("dmp {}\n", dmp_core::VERSION)),
    }
}

/// The completion script of `shell` for every subcommand and option.
fn completions(shell: cli::Shell) -> String {
    use clap_complete::Shell as S;
    let shell = match shell {
        cli::Shell::Bash => S::Bash,
        cli::Shell::Zsh => S::Zsh,
        cli::Shell::Fish => S::Fish,
        cli::Shell::Powershell => S::PowerShell,
    };
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), "dmp", &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

/// Reads a text file the user named; an empty one is said so, in those words.
pub(crate) fn read_file(path: &Path) -> Result<String, Fail> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| Fail(format!("cannot read {}: {e}", path.display()), 1))?;
    if text.trim().is_empty() {
        return Err(Fail(format!("{}: empty file", path.display()), 1));
    }
    Ok(text)
}

/// Reads a file the user named, as bytes; an empty one is said so.
pub(crate) fn read_bytes(path: &Path) -> Result<Vec<u8>, Fail> {
    let bytes =
        std::fs::read(path).map_err(|e| Fail(format!("cannot read {}: {e}", path.display()), 1))?;
    if bytes.is_empty() {
        return Err(Fail(format!("{}: empty file", path.display()), 1));
    }
    Ok(bytes)
}

/// An error of the core on the content of `path`: named by the file the user gave, not by
/// the core's internal name for the input ("c14n line 1", "mime line 0").
pub(crate) fn in_file(path: &Path) -> impl Fn(dmp_core::Error) -> Fail + '_ {
    move |e| {
        let msg = match e {
            dmp_core::Error::Data {
                line: 0, message, ..
            } => message,
            dmp_core::Error::Data { line, message, .. } => format!("line {line}: {message}"),
            other => other.to_string(),
        };
        Fail(format!("{}: {msg}", path.display()), 1)
    }
}

/// The embedded matrix or the one in `--matrix`, with the settings of the flags.
fn load_matrix(o: &MatrixOpts) -> Result<Matrix, Fail> {
    let matrix = match &o.matrix {
        None => Matrix::embedded()?,
        Some(path) if path.extension().is_some_and(|e| e == "json") => {
            Matrix::from_json(&read_file(path)?).map_err(in_file(path))?
        }
        Some(path) => {
            let name = path.display().to_string();
            let info = MatrixInfo {
                id: name.clone(),
                title: format!("Habilitation matrix loaded from {name}"),
                date: String::new(),
                legal_basis: String::new(),
                note: String::new(),
            };
            Matrix::from_csv(info, &read_file(path)?).map_err(in_file(path))?
        }
    };
    Ok(matrix.with_settings(Settings {
        social_rows_in_force: o.social_rows_in_force,
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

fn staff_report(a: &StaffReportArgs) -> Result<String, Fail> {
    let list: StaffList =
        dmp_core::json::from_str(&read_file(&a.staff)?).map_err(in_file(&a.staff))?;
    let report = StaffReport::build(&list, &load_matrix(&a.matrix)?, &Rights::embedded()?);
    if a.json {
        to_json(&report)
    } else {
        Ok(report.to_string())
    }
}

fn check(a: &CheckArgs) -> Result<String, Fail> {
    let value = a.value.as_str();
    // (kind as the command line names it, what it is, its normalised form, the sentence)
    let (kind, normalized, line) = match a.kind {
        IdKind::Ins => {
            let oid = a.oid.as_deref().unwrap_or(dmp_core::ids::oid::INS_NIR);
            let ins = Ins::parse(value, oid)?;
            let label = ins.system().label();
            let cx = ins.to_cx();
            ("ins", cx.clone(), format!("valid INS ({label}): {cx}"))
        }
        IdKind::InsCx => {
            let ins = Ins::from_cx(value)?;
            let m = ins.matricule().to_string();
            let line = format!("valid INS ({}): {m}", ins.system().label());
            ("ins-cx", m, line)
        }
        IdKind::Rpps => {
            let id = IdNatPs::Rpps(value.parse::<Rpps>()?).to_string();
            ("rpps", id.clone(), format!("valid RPPS: IdNat_PS {id}"))
        }
        IdKind::Adeli => {
            let id = IdNatPs::Adeli(value.parse::<Adeli>()?).to_string();
            ("adeli", id.clone(), format!("valid ADELI: IdNat_PS {id}"))
        }
        IdKind::Idnat => {
            let id = value.parse::<IdNatPs>()?.to_string();
            ("idnat", id.clone(), format!("valid IdNat_PS: {id}"))
        }
        IdKind::Finess => {
            let id = value.parse::<Finess>()?.struct_idnat().to_string();
            let line = format!("valid FINESS: structure IdNat {id}");
            ("finess", id, line)
        }
        IdKind::Oid => {
            let id = value.parse::<Oid>()?.to_string();
            ("oid", id.clone(), format!("valid OID: {id}"))
        }
    };
    if a.json {
        return to_json(&json!({
            "kind": kind,
            "value": value,
            "valid": true,
            "normalized": normalized,
            "message": line,
        }));
    }
    Ok(line + "\n")
}

fn matrix_decide(a: &DecideArgs) -> Result<String, Fail> {
    let mut reader = Reader::default();
    for p in &a.reader.profession {
        let (system, code) = p
            .split_once(':')
            .ok_or_else(|| usage("--profession takes SYSTEM:CODE, e.g. TRE_G15:60"))?;
        let system = ProfessionSystem::from_name(system).ok_or_else(|| {
            usage(format!(
                "--profession: unknown profession system `{system}`"
            ))
        })?;
        reader.profession = Some(Profession {
            system,
            code: code.to_owned(),
        });
    }
    for f in &a.reader.function {
        reader.function = Some(enum_arg::<FonctionEssms>("--function", f)?);
    }
    let decision = load_matrix(&a.matrix)?.decide(&reader, &a.type_code);
    if a.json {
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

fn rights(a: &RightsArgs) -> Result<String, Fail> {
    let auth: Authentication = enum_arg("--auth", &a.auth)?;
    let actor: Actor = enum_arg("--actor", &a.actor)?;
    let mode: AccessMode = enum_arg("--mode", &a.mode)?;
    let table = Rights::embedded()?;
    let decisions: Vec<_> = match &a.transaction {
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
        return Err(Fail(
            format!(
                "--transaction {}: no such transaction in the rights tables (e.g. TD2.1, TD3.2)",
                a.transaction.as_deref().unwrap_or("")
            ),
            1,
        ));
    }
    if a.json {
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

/// `--dump DIR`: writes each named piece of a built request into `DIR` (created).
pub(crate) fn dump(dir: &Path, files: &[(String, &[u8])]) -> Result<(), Fail> {
    std::fs::create_dir_all(dir)
        .map_err(|e| Fail(format!("cannot create {}: {e}", dir.display()), 1))?;
    for (name, bytes) in files {
        write_file(&dir.join(name), bytes)?;
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file, so that a failure leaves no partial file.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Fail> {
    write_file_with(path, |w| {
        w.write_all(bytes)
            .map_err(|e| Fail(format!("cannot write {}: {e}", path.display()), 1))
    })
}

/// Writes `path` through a temporary file with what `write` writes (buffered), so that a
/// failure, of the writing or of `write`, leaves no partial file.
pub(crate) fn write_file_with<T>(
    path: &Path,
    write: impl FnOnce(&mut dyn std::io::Write) -> Result<T, Fail>,
) -> Result<T, Fail> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(format!(".tmp-{}", std::process::id()));
    let tmp = std::path::PathBuf::from(tmp);
    let cannot = |e: std::io::Error| Fail(format!("cannot write {}: {e}", path.display()), 1);
    let written = std::fs::File::create(&tmp)
        .map_err(cannot)
        .and_then(|file| {
            let mut out = std::io::BufWriter::with_capacity(64 << 10, file);
            let t = write(&mut out)?;
            let file = out.into_inner().map_err(|e| cannot(e.into_error()))?;
            file.sync_all().map_err(cannot)?;
            drop(file);
            std::fs::rename(&tmp, path).map_err(cannot)?;
            Ok(t)
        });
    if written.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    written
}

/// A core error while writing `path`: the writer's own words are about the file.
fn writing(path: &Path) -> impl Fn(dmp_core::Error) -> Fail + '_ {
    move |e| match e {
        dmp_core::Error::Write { message } => {
            Fail(format!("cannot write {}: {message}", path.display()), 1)
        }
        other => in_file(path)(other),
    }
}

/// The folder of a file the user gave: relative paths inside it are from there.
pub(crate) fn base_of(path: &Path) -> &Path {
    path.parent().unwrap_or(Path::new("."))
}

fn cda_build(a: &CdaBuildArgs) -> Result<String, Fail> {
    let case: Case = dmp_core::json::from_str(&read_file(&a.case)?).map_err(in_file(&a.case))?;
    let base = base_of(&a.case);
    let (header, content) = case
        .into_parts(|p| std::fs::read(base.join(p)).map_err(|e| e.to_string()))
        .map_err(in_file(&a.case))?;
    let bytes = cda::build(&header, &content).map_err(in_file(&a.case))?;
    write_file(&a.output, &bytes)?;
    Ok(format!(
        "{}: {} ({} bytes, {} body of {} bytes)\n",
        a.output.display(),
        header.kind.type_concept()?.display,
        bytes.len(),
        content.media_type.mime(),
        content.data.len()
    ))
}

fn cda_show(a: &CdaShowArgs) -> Result<String, Fail> {
    let path = &a.doc;
    let doc = cda::read(&read_bytes(path)?).map_err(in_file(path))?;
    if let Some(out) = &a.content {
        let content = doc.content.as_ref().ok_or_else(|| {
            Fail(
                format!(
                    "{}: no N1 (nonXMLBody) content to write: leave out --content",
                    path.display()
                ),
                1,
            )
        })?;
        write_file(out, &content.data)?;
    }
    let check = doc.to_header();
    if a.json {
        let v = json!({
            "header": doc.header,
            "content": doc.content.as_ref().map(|c| json!({
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
    // Text only: the header as lines of `field: value`, not a JSON document.
    let mut out = String::new();
    if let Ok(serde_json::Value::Object(fields)) = serde_json::to_value(&doc.header) {
        for (name, value) in &fields {
            flatten_json(name, value, &mut out);
        }
    }
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

/// `a.b[0].c: value` lines for a JSON value (absent values left out).
fn flatten_json(prefix: &str, v: &serde_json::Value, out: &mut String) {
    match v {
        serde_json::Value::Null => {}
        serde_json::Value::Object(m) => {
            for (k, v) in m {
                flatten_json(&format!("{prefix}.{k}"), v, out);
            }
        }
        serde_json::Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                flatten_json(&format!("{prefix}[{i}]"), v, out);
            }
        }
        serde_json::Value::String(s) => *out += &format!("{prefix}: {s}\n"),
        other => *out += &format!("{prefix}: {other}\n"),
    }
}

fn verify(a: &VerifyArgs) -> Result<String, Fail> {
    let path = &a.file;
    let mut options = verify_options(&a.trust)?;
    for p in &a.part {
        let (urn, file) = p
            .split_once('=')
            .ok_or_else(|| usage(format!("--part {p}: give URN=FILE")))?;
        options
            .parts
            .insert(urn.to_owned(), read_bytes(Path::new(file))?);
    }
    let bytes = read_bytes(path)?;
    let verified = xmldsig::verify_message(&bytes, &options).map_err(in_file(path))?;
    let reports = &verified.signatures;
    if reports.is_empty() {
        return Err(Fail(
            format!("{}: no XML signature found", path.display()),
            1,
        ));
    }
    let valid = reports.iter().filter(|r| r.is_valid()).count();
    let out = if a.json {
        let signatures: Vec<_> = reports.iter().map(signature_json).collect();
        to_json(&json!({
            "file": path.display().to_string(),
            "valid": verified.is_valid(),
            "signatures": signatures,
            "valid_signatures": valid,
            "problems": verified.problems.iter().map(|p| p.to_string()).collect::<Vec<_>>(),
        }))?
    } else {
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
            out += &format!("  chain: {}\n", chain_text(&r.chain));
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
                out += &format!("  manifest {}: {}\n", m.uri, manifest_text(&m.status));
            }
        }
        for p in &verified.problems {
            out += &format!("problem: {p}\n");
        }
        out += &format!("{valid} of {} signature(s) valid\n", reports.len());
        out
    };
    if verified.is_valid() {
        Ok(out)
    } else {
        out_text(&out);
        Err(Fail(
            if valid == reports.len() {
                format!("{}: the message does not verify", path.display())
            } else {
                format!("{}: invalid signature", path.display())
            },
            1,
        ))
    }
}

/// How `--trust` left the chain, in words.
fn chain_text(c: &ChainStatus) -> String {
    match c {
        ChainStatus::NotChecked => "not checked (no --trust)".to_owned(),
        other => other.to_string(),
    }
}

/// A manifest reference's outcome, in words.
fn manifest_text(s: &ManifestStatus) -> String {
    match s {
        ManifestStatus::PartMissing => "not checked (no --part)".to_owned(),
        other => other.to_string(),
    }
}

/// One signature of `dmp verify --json` / `dmp feed check --json` (docs/cli-json.md).
fn signature_json(r: &SignatureReport) -> serde_json::Value {
    json!({
        "part": r.part,
        "line": r.line,
        "valid": r.is_valid(),
        "failure": r.failure.as_ref().map(|f| f.to_string()),
        "algorithm": r.algorithm.map(|a| a.to_string()),
        "signer": r.signer_subject(),
        "signing_time": r.signing_time,
        "chain": {
            "status": match &r.chain {
                ChainStatus::NotChecked => "not_checked",
                ChainStatus::Trusted(_) => "trusted",
                ChainStatus::Failed(_) => "failed",
                ChainStatus::Skipped(_) => "skipped",
            },
            "path": match &r.chain {
                ChainStatus::Trusted(p) => p.clone(),
                _ => vec![],
            },
            "text": chain_text(&r.chain),
        },
        "references": r.references.iter().map(|rr| json!({
            "uri": rr.uri,
            "element": rr.element.as_ref().map(|e| e.qname.to_string()),
            "line": rr.element.as_ref().map(|e| e.line),
            "digest_ok": rr.digest_ok,
        })).collect::<Vec<_>>(),
        "manifest": r.manifest.iter().map(|m| json!({
            "uri": m.uri,
            "ok": m.status == ManifestStatus::Ok,
            "status": manifest_text(&m.status),
        })).collect::<Vec<_>>(),
    })
}

/// `--at` (default: now) and `--trust` as verification options.
fn verify_options(o: &TrustOpts) -> Result<VerifyOptions, Fail> {
    let at = match &o.at {
        Some(t) => parse_time("--at", t)?.with_timezone(&chrono::Utc),
        None => now_seconds(),
    };
    let mut options = VerifyOptions::new(at);
    let mut roots = Vec::new();
    for file in &o.trust {
        for cert in Certificate::chain_from_pem(&read_file(file)?).map_err(in_file(file))? {
            if cert.subject().der() == cert.issuer().der() {
                roots.push(cert);
            } else {
                options.intermediates.push(cert);
            }
        }
    }
    if !o.trust.is_empty() {
        if roots.is_empty() {
            return Err(Fail(
                "--trust: no self-signed (root) certificate in the given files: add the root \
                 CA's PEM file"
                    .into(),
                1,
            ));
        }
        options.trust = Some(roots);
    }
    Ok(options)
}

/// An RFC 3339 time given to option `name`.
pub(crate) fn parse_time(
    name: &str,
    t: &str,
) -> Result<chrono::DateTime<chrono::FixedOffset>, Fail> {
    chrono::DateTime::parse_from_rfc3339(t).map_err(|e| {
        usage(format!(
            "{name} {t}: not an RFC 3339 time ({e}); e.g. 2026-01-15T10:00:00+01:00"
        ))
    })
}

fn feed_build(a: &FeedBuildArgs) -> Result<String, Fail> {
    let case_path = &a.case;
    let mut request = feed_case(case_path)?;
    if let Some(m) = &a.mode {
        request.mode = enum_arg::<FeedMode>("--mode", m)?;
    }
    let (now, seed, random) = clock_and_seed(&a.clock)?;
    let (identity, signer) = signer_from(&a.signer, "feed build", now)?;
    let mut ctx = FeedContext {
        now,
        ids: IdGenerator::from_seed(seed),
        signer: &signer,
        rights: None,
    };
    // Written, not held: checked, digested and signed first, then streamed into the file
    // (a 15 MiB PDF costs the PDF, not its 20 MiB of base64 besides). With --send, read
    // back from the file and sent, as `dmp send` does.
    let streamed = feed::prepare_stream(&request, &mut ctx).map_err(in_file(case_path))?;
    let bytes = write_file_with(&a.output, |out| {
        streamed.write_message(out).map_err(writing(&a.output))
    })?;
    if let Some(dir) = &a.dump {
        dump(
            dir,
            &[
                ("envelope.xml".to_owned(), streamed.envelope()),
                ("signature.xml".to_owned(), streamed.signature()),
                ("vihf.xml".to_owned(), streamed.vihf()),
                ("metadata.txt".to_owned(), streamed.metadata().as_bytes()),
            ],
        )?;
        for i in 0..streamed.documents().len() {
            let path = dir.join(format!("document-{}.xml", i + 1));
            write_file_with(&path, |out| {
                streamed.write_document(i, out).map_err(writing(&path))
            })?;
        }
    }
    let (s, info) = feed_built_report(a, now, (seed, random), &streamed, bytes);
    if a.send.send {
        // Sent as `dmp send` sends a request file: read back from the file just written.
        let http = dmp_core::soap::mtom::HttpRequest::from_message(&read_bytes(&a.output)?)
            .map_err(in_file(&a.output))?;
        let actor_path = match &a.actor {
            Some(p) => p.clone(),
            None => feed_profile_path(case_path)?,
        };
        let actor =
            ActorProfile::from_json(&read_file(&actor_path)?).map_err(in_file(&actor_path))?;
        let built_info = if a.json {
            Some(info)
        } else {
            out_text(&s);
            None
        };
        let how = send::How {
            json: a.json,
            extract: a.send.extract.as_deref(),
            endpoint: a.send.endpoint.as_deref(),
            reader: Some(&actor_path),
            built: built_info,
        };
        return send::deliver(&how, &http, actor, &actor_path, Some(identity));
    }
    if a.json {
        return to_json(&info);
    }
    Ok(s)
}

/// What `dmp feed build` says of the request it wrote (`bytes` of body): its text and its
/// JSON. `seed` is the ids' seed and whether it was drawn at random.
fn feed_built_report(
    a: &FeedBuildArgs,
    now: chrono::DateTime<chrono::FixedOffset>,
    (seed, random): (u64, bool),
    request: &feed::StreamingRequest<'_>,
    bytes: u64,
) -> (String, serde_json::Value) {
    let (path, message_id) = (request.path(), request.message_id());
    let documents = request.documents();
    let out = a.output.display();
    let info = json!({
        "output": out.to_string(),
        "transaction": "TD2.1",
        "path": path,
        "bytes": bytes,
        "message_id": message_id,
        "documents": documents.iter().map(|(uri, bytes)| json!({
            "uri": uri,
            "bytes": bytes,
        })).collect::<Vec<_>>(),
        "at": now.to_rfc3339(),
        "seed": seed,
        "random_seed": random,
    });
    let mut s = format!(
        "{out}: TD2.1 request to {path} ({bytes} bytes), {} document(s), MessageID {message_id}\n",
        documents.len(),
    );
    for (uri, bytes) in documents {
        s += &format!("  {uri}: {bytes} bytes\n");
    }
    s += &format!("at {}, seed {seed}", now.to_rfc3339());
    s += if random { " (random)\n" } else { "\n" };
    (s, info)
}

/// A feed case (docs/schema/feed-case.schema.json) with its profile and files read, paths
/// relative to the case.
pub(crate) fn feed_case(case_path: &Path) -> Result<FeedRequest, Fail> {
    let base = base_of(case_path);
    let read = |p: &str| std::fs::read(base.join(p)).map_err(|e| e.to_string());
    let mut request = FeedRequest::from_json_with_profile(&read_file(case_path)?, read)
        .map_err(in_file(case_path))?;
    request.resolve(read).map_err(in_file(case_path))?;
    Ok(request)
}

/// The actor profile a feed file names (`"profile"`, relative to the file), for `--send`
/// without `--actor`.
fn feed_profile_path(case_path: &Path) -> Result<std::path::PathBuf, Fail> {
    let value: serde_json::Value =
        dmp_core::json::from_str(&read_file(case_path)?).map_err(in_file(case_path))?;
    let name = value
        .get("profile")
        .and_then(|p| p.as_str())
        .ok_or_else(|| {
            usage(format!(
                "feed build --send: {} names no \"profile\": give --actor ACTOR.json, whose \
                 `transport` says how to reach the DMP",
                case_path.display()
            ))
        })?;
    Ok(base_of(case_path).join(name))
}

/// The current time, to the second.
pub(crate) fn now_seconds() -> chrono::DateTime<chrono::Utc> {
    use chrono::SubsecRound as _;
    chrono::DateTime::<chrono::Utc>::from(std::time::SystemTime::now()).trunc_subsecs(0)
}

/// `--at` (default now) and `--seed` (default random, said so).
pub(crate) fn clock_and_seed(
    o: &ClockOpts,
) -> Result<(chrono::DateTime<chrono::FixedOffset>, u64, bool), Fail> {
    let now = match &o.at {
        Some(t) => parse_time("--at", t)?,
        // Whole seconds: the time is printed, and the DMP's times have no fraction.
        None => now_seconds().fixed_offset(),
    };
    let (seed, random) = match o.seed {
        Some(s) => (s, false),
        None => (uuid::Uuid::new_v4().as_u64_pair().0, true),
    };
    Ok((now, seed, random))
}

/// The signer of `--p12 FILE --password-env VAR`, checked for a DMP signature at `now`
/// (RSA-SHA1, as every DMP sample).
/// Also returns the identity, which signs the landing check of `--send`.
pub(crate) fn signer_from(
    o: &SignerOpts,
    command: &str,
    now: chrono::DateTime<chrono::FixedOffset>,
) -> Result<(SigningIdentity, dmp_core::crypto::CheckedSigner), Fail> {
    let identity = identity_from(o, command)?
        .ok_or_else(|| usage(format!("{command} needs --p12 FILE --password-env VAR")))?;
    let signer = identity
        .signer_at(now.with_timezone(&chrono::Utc), UsagePolicy::DmpSignature)
        .map_err(|e| {
            let p12 = o.p12.as_deref().unwrap_or(Path::new("--p12"));
            Fail(format!("{}: {e}", p12.display()), 1)
        })?;
    Ok((identity, signer))
}

/// The signing identity of `--p12 FILE --password-env VAR` (RSA-SHA1, as every DMP sample),
/// or none without `--p12`.
pub(crate) fn identity_from(
    o: &SignerOpts,
    command: &str,
) -> Result<Option<SigningIdentity>, Fail> {
    let Some(p12_path) = &o.p12 else {
        return Ok(None);
    };
    let var = o
        .password_env
        .as_deref()
        .ok_or_else(|| usage(format!("{command} needs --password-env VAR with --p12")))?;
    let password = std::env::var(var).map_err(|_| {
        usage(format!(
            "--password-env: the variable {var} is not set: export it with the PKCS#12 password"
        ))
    })?;
    let p12 = read_bytes(p12_path)?;
    let identity = SigningIdentity::from_pkcs12(&p12, password.trim())
        .and_then(|i| i.with_algorithm(SignatureAlgorithm::RsaSha1))
        .map_err(|e| Fail(format!("{}: {e}", p12_path.display()), 1))?;
    Ok(Some(identity))
}

fn feed_check(a: &FeedCheckArgs) -> Result<String, Fail> {
    let path = &a.request;
    let options = verify_options(&a.trust)?;
    let report = feed::check(&read_bytes(path)?, &options).map_err(in_file(path))?;
    let text = report.render();
    let out = if a.json {
        to_json(&json!({
            "file": path.display().to_string(),
            "ok": report.is_ok(),
            "signatures": report.signatures.iter().map(signature_json).collect::<Vec<_>>(),
            "documents": report.documents.iter().map(|d| json!({
                "entry_id": d.entry_id,
                "content_id": d.content_id,
                "uri": d.uri,
                "digest_ok": d.digest_ok,
                "differences": d.differences,
            })).collect::<Vec<_>>(),
            "problems": report.problems,
        }))?
    } else {
        text
    };
    if report.is_ok() {
        Ok(out)
    } else {
        out_text(&out);
        Err(Fail(
            format!("{}: the request does not check", path.display()),
            1,
        ))
    }
}
