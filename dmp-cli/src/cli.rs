// The `dmp` command line as clap reads it: every subcommand and option, with its help. No
// logic here and nothing but clap and std: `build.rs` includes this file to write the man page.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// DMP connector for ESSMS software: build, check and send the DMP's requests, read its answers.
#[derive(Parser)]
#[command(
    name = "dmp",
    version,
    propagate_version = true,
    after_help = "Exit status: 0 success, 1 invalid input, refused check or DMP refusal, 2 usage \
                  error, 3 not sent (send), 4 outcome unknown (send).\n\
                  Outputs of --json: docs/cli-json.md."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands of `dmp`.
// Parsed once at start-up and matched once: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum Command {
    /// Who may feed and consult the DMP, and which document types each person may read.
    StaffReport(StaffReportArgs),
    /// Validate an identifier (INS, RPPS, ADELI, IdNat_PS, FINESS, OID).
    Check(CheckArgs),
    /// The habilitation matrix: which reader may consult which document type.
    #[command(subcommand)]
    Matrix(MatrixCommand),
    /// Functional rights of an authentication mode and actor, per transaction.
    Rights(RightsArgs),
    /// Build or read a CDA R2 document (N1 body).
    #[command(subcommand)]
    Cda(CdaCommand),
    /// Verify every XML signature of a file (VIHF, XAdES, SOAP envelope or whole MTOM message).
    #[command(
        long_about = "Verify every XML signature of FILE (a VIHF/SAML assertion, a XAdES \
        signature, a SOAP envelope or a whole MTOM message): VALID or INVALID with the reason, \
        the signer, the signing time, each signed element and manifest reference. For a whole \
        message: each manifest reference must name one of its documents, each xop:Include one \
        of its parts, and a request's VIHF must be the single signed assertion of wsse:Security. \
        Exit 0 only if every signature found is valid and the message has no problem."
    )]
    Verify(VerifyArgs),
    /// Build (and optionally send) or re-check a TD2.1 feeding request.
    #[command(subcommand)]
    Feed(FeedCommand),
    /// Build a consultation or management request as an actor (TD0.2, TD0.3, TD0.4, TD3.1,
    /// TD3.2, TD3.3).
    #[command(
        subcommand,
        long_about = "Build a consultation or management request as the actor \
            (docs/schema/actor-profile.schema.json, samples in examples/data/actors/): functional \
            rights, consent and signer checked first. Writes the HTTP headers and the MIME body to \
            -o REQUEST.mime; --send also sends it."
    )]
    Request(RequestCommand),
    /// Read any answer of the DMP (a SOAP envelope, or an HTTP message; MTOM for TD3.2).
    Response(ResponseArgs),
    /// Send a request built by `dmp feed build` or `dmp request` to the DMP of an actor profile.
    Send(SendArgs),
    /// The local DMP (sandbox) for testers and QA.
    #[command(subcommand)]
    Sandbox(SandboxCommand),
    /// Which deposits of a deposit plan are due or overdue, for which usagers.
    #[command(
        long_about = "Which deposits of a deposit plan (JSON dmp-deposit-plan/1, samples in \
        examples/data/plans/) are due or overdue at --at, for which usagers, from the facts a \
        journal exported (usagers under pseudonyms, deposits, events of the accompaniment): per \
        usager of a current stay, the document kind, why (the event and its delay, or the \
        maximum age), since when, the deadline; then the plan's coverage. Sorted by deadline."
    )]
    Due(DueArgs),
    /// The pilotage indicators: DMPs fed, documents by type and month, refusals, DLU, consultations.
    #[command(
        long_about = "The pilotage indicators of a period, from the facts a journal exported: \
        DMPs fed (distinct usagers with an accepted document), documents deposited by type, by \
        month and by author role, replacements, refusals by DMP error code, the share of \
        current usagers with an up-to-date DLU, consultations by access mode and outcome, and \
        with --plan the deposit plan's coverage. Text by default; --json, --csv (one table), or \
        --html OUT.html (one self-contained page with SVG charts, readable offline)."
    )]
    Indicators(IndicatorsArgs),
    /// The establishment's journal: deposits queued and sent without loss or double, the
    /// consent register, consultations through it, the facts of the indicators.
    #[command(
        subcommand,
        long_about = "The establishment's journal (SQLite file, or postgres://… with \
            --establishment): `deposit` journals documents without sending them, `flush` sends \
            what is queued (and settles what is uncertain by asking the registry first), \
            `status` lists the deposits, `consent` records what the usager said, `consult` \
            consults the DMP under the consent register, `event` and `register-usager` feed the \
            indicators, `export` gives a usager everything the journal holds on them, `facts` \
            writes the Facts JSON that `dmp indicators --facts` reads.\n\n\
            The INS is stored only as a keyed hash under the establishment key: a file of at \
            least 32 random bytes given with --key-file, made once with\n  \
            head -c 32 /dev/urandom > establishment.key\n\
            and kept as any other secret (lose it and past records no longer link to their \
            usager). examples/data/journal/TEST-ONLY-establishment.key is for the samples only."
    )]
    Journal(JournalCommand),
    /// Print a shell completion script (bash, zsh, fish, powershell) on stdout.
    #[command(
        long_about = "Print a shell completion script on stdout. For example:\n  \
        dmp completions bash > ~/.local/share/bash-completion/completions/dmp\n  \
        dmp completions zsh > ~/.zfunc/_dmp\n  \
        dmp completions fish > ~/.config/fish/completions/dmp.fish\n  \
        dmp completions powershell >> $PROFILE"
    )]
    Completions(CompletionsArgs),
    /// Print the manual page (roff) on stdout: `dmp man | man -l -`.
    Man,
    /// Print the version.
    Version,
}

/// `--matrix FILE` and `--social-rows-in-force`: which habilitation matrix, with which settings.
#[derive(Args)]
pub struct MatrixOpts {
    /// A replacement habilitation matrix: JSON (dmp-habilitation-matrix/1) if the name ends in
    /// .json, else the long CSV form.
    #[arg(long, value_name = "FILE")]
    pub matrix: Option<PathBuf>,
    /// Apply the matrix's social rows (not yet in force).
    #[arg(long)]
    pub social_rows_in_force: bool,
}

/// Arguments of `dmp staff-report`.
#[derive(Args)]
pub struct StaffReportArgs {
    /// The staff list (JSON).
    #[arg(value_name = "STAFF.json")]
    pub staff: PathBuf,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub matrix: MatrixOpts,
}

/// The identifiers `dmp check` validates.
#[derive(Clone, Copy, ValueEnum)]
pub enum IdKind {
    /// An INS matricule (--oid defaults to the production NIR).
    Ins,
    /// An INS in its HL7 CX form (MATRICULE^^^&OID&ISO^NH).
    InsCx,
    /// An RPPS number.
    Rpps,
    /// An ADELI number.
    Adeli,
    /// An IdNat_PS (national identifier of a professional).
    Idnat,
    /// A FINESS number.
    Finess,
    /// An OID.
    Oid,
}

/// Arguments of `dmp check`.
#[derive(Args)]
pub struct CheckArgs {
    /// What the value is.
    pub kind: IdKind,
    /// The identifier to validate.
    pub value: String,
    /// The INS's OID (for `ins`; default: the production NIR).
    #[arg(long)]
    pub oid: Option<String>,
    /// Print the result as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `dmp matrix …`.
#[derive(Subcommand)]
pub enum MatrixCommand {
    /// Whether a reader may consult a document type, with the reason and the provenance.
    Decide(DecideArgs),
}

/// The reader of `dmp matrix decide`: a profession, a function, or both.
#[derive(Args)]
#[group(required = true, multiple = true)]
pub struct ReaderOpts {
    /// The reader's profession, SYSTEM:CODE (e.g. TRE_G15:60).
    #[arg(long, value_name = "SYSTEM:CODE")]
    pub profession: Vec<String>,
    /// The reader's function in the establishment (e.g. administratif).
    #[arg(long, value_name = "FUNCTION")]
    pub function: Vec<String>,
}

/// Arguments of `dmp matrix decide`.
#[derive(Args)]
pub struct DecideArgs {
    #[command(flatten)]
    pub reader: ReaderOpts,
    /// The document type code (e.g. ATTEST-RESID, 60591-5).
    #[arg(long = "type", value_name = "TYPE_CODE")]
    pub type_code: String,
    /// Print the decision as JSON.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub matrix: MatrixOpts,
}

/// Arguments of `dmp rights`.
#[derive(Args)]
pub struct RightsArgs {
    /// How the user logs in.
    #[arg(long, value_parser = ["indirecte_certificat_es", "directe_cps", "directe_cpe", "air"])]
    pub auth: String,
    /// Who the user is.
    #[arg(long, value_parser = ["ps_non_medecin", "medecin", "medecin_traitant",
        "medecin_du_travail", "non_ps"])]
    pub actor: String,
    /// The access mode.
    #[arg(long, default_value = "normal", value_parser = ["normal", "centre_15", "bris_de_glace"])]
    pub mode: String,
    /// One transaction (e.g. TD3.2); default: every transaction of the login's table.
    #[arg(long, value_name = "TD")]
    pub transaction: Option<String>,
    /// Print the decisions as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `dmp cda …`.
#[derive(Subcommand)]
pub enum CdaCommand {
    /// Build a CDA R2 document (N1 body) from a case (docs/schema/cda-case.schema.json).
    Build(CdaBuildArgs),
    /// Read a CDA: its header as written, whether it passes the model's rules, its N1 body.
    Show(CdaShowArgs),
}

/// Arguments of `dmp cda build`.
#[derive(Args)]
pub struct CdaBuildArgs {
    /// The case: header and content.
    #[arg(value_name = "CASE.json")]
    pub case: PathBuf,
    /// Where to write the CDA.
    #[arg(short, long, value_name = "OUT.xml")]
    pub output: PathBuf,
}

/// Arguments of `dmp cda show`.
#[derive(Args)]
pub struct CdaShowArgs {
    /// The CDA document.
    #[arg(value_name = "DOC.xml")]
    pub doc: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Also write the N1 body (PDF, text…) to OUT.
    #[arg(long, value_name = "OUT")]
    pub content: Option<PathBuf>,
}

/// `--trust` and `--at`: how certificates are checked.
#[derive(Args)]
pub struct TrustOpts {
    /// PEM certificates (repeatable): self-signed ones are the trusted roots, the others serve
    /// as intermediates. Without --trust the chain is not checked, the validity dates are.
    #[arg(long, value_name = "CERTS.pem")]
    pub trust: Vec<PathBuf>,
    /// When to check the certificates (RFC 3339; default: now).
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
}

/// Arguments of `dmp verify`.
#[derive(Args)]
pub struct VerifyArgs {
    /// The signed file.
    pub file: PathBuf,
    #[command(flatten)]
    pub trust: TrustOpts,
    /// The bytes of a manifest reference (repeatable): URN=FILE.
    #[arg(long, value_name = "URN=FILE")]
    pub part: Vec<String>,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `dmp feed …`.
#[derive(Subcommand)]
pub enum FeedCommand {
    /// Build the signed TD2.1 (feeding) request of a feed case.
    #[command(
        long_about = "Build the signed TD2.1 (feeding) request of a feed case \
        (docs/schema/feed-case.schema.json, samples in examples/data/feed/): pre-send checks, CDA \
        documents, XDS metadata, XAdES signature, signed VIHF, SOAP 1.2 + MTOM. Writes the HTTP \
        headers and the MIME body to -o REQUEST.mime. --at and --seed fix the clock and the ids \
        (same bytes); without them: now and a random seed (printed)."
    )]
    Build(FeedBuildArgs),
    /// Re-read a built request: every signature and each document's metadata against its CDA.
    Check(FeedCheckArgs),
}

/// `--p12 FILE --password-env VAR`: the signing identity.
#[derive(Args)]
pub struct SignerOpts {
    /// The signing certificate and key (PKCS#12).
    #[arg(long, value_name = "FILE")]
    pub p12: Option<PathBuf>,
    /// The environment variable holding the PKCS#12 password.
    #[arg(long, value_name = "VAR", requires = "p12")]
    pub password_env: Option<String>,
}

/// `--at` and `--seed`: the clock and the ids of a built request.
#[derive(Args)]
pub struct ClockOpts {
    /// The request's time (RFC 3339; default: now).
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// The seed of the generated ids (default: random, printed).
    #[arg(long, value_name = "N")]
    pub seed: Option<u64>,
}

/// What to do with the DMP's answer: `--json`, `--extract DIR`.
#[derive(Args)]
pub struct AnswerOpts {
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    /// Write the documents of a TD3.2 answer to DIR.
    #[arg(long, value_name = "DIR")]
    pub extract: Option<PathBuf>,
}

/// `--send` and its options, on the commands that build a request.
#[derive(Args)]
pub struct SendOpts {
    /// Send the built request to the DMP of the actor profile.
    #[arg(long)]
    pub send: bool,
    /// With --send: the endpoint URL instead of the profile's.
    #[arg(long, value_name = "URL", requires = "send")]
    pub endpoint: Option<String>,
    /// With --send: write the documents of a TD3.2 answer to DIR.
    #[arg(long, value_name = "DIR", requires = "send")]
    pub extract: Option<PathBuf>,
}

/// Where the facts of `dmp due` and `dmp indicators` come from.
#[derive(Args)]
pub struct FactsOpts {
    /// The establishment's journal to read the facts from: a SQLite file, or a PostgreSQL URL
    /// (postgres://user@host/db, with --establishment). No key needed: it holds pseudonyms.
    #[arg(long, value_name = "FILE|URL", conflicts_with = "facts")]
    pub journal: Option<String>,
    /// With a PostgreSQL journal: the establishment whose rows to read (e.g. its FINESS).
    #[arg(long, value_name = "ID", requires = "journal")]
    pub establishment: Option<String>,
    /// Or the facts a journal exported (`dmp journal facts`; JSON: usagers, deposits,
    /// consultations, events; sample in examples/data/facts/).
    #[arg(long, value_name = "FILE.json")]
    pub facts: Option<PathBuf>,
}

/// Arguments of `dmp due`.
#[derive(Args)]
pub struct DueArgs {
    /// The deposit plan (JSON dmp-deposit-plan/1).
    #[arg(long, value_name = "PLAN.json")]
    pub plan: PathBuf,
    #[command(flatten)]
    pub facts: FactsOpts,
    /// The time to answer for (RFC 3339; default: now).
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `dmp indicators`.
#[derive(Args)]
pub struct IndicatorsArgs {
    #[command(flatten)]
    pub facts: FactsOpts,
    /// First day of the period (YYYY-MM-DD, inclusive; default: the first fact).
    #[arg(long, value_name = "DATE")]
    pub from: Option<String>,
    /// Last day of the period (YYYY-MM-DD, inclusive; default: the last fact).
    #[arg(long, value_name = "DATE")]
    pub to: Option<String>,
    /// A deposit plan: also report its coverage.
    #[arg(long, value_name = "PLAN.json")]
    pub plan: Option<PathBuf>,
    /// The time the DLU and plan figures hold at (RFC 3339; default: now).
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
    /// How recent a DLU must be to be up to date ("3 months", "90 days"…).
    #[arg(long, value_name = "SPAN", default_value = "3 months")]
    pub dlu_window: String,
    /// Print JSON (dmp-indicators/1) instead of text.
    #[arg(long, group = "indicators_output")]
    pub json: bool,
    /// Print one CSV table (columns indicator,key,detail,value).
    #[arg(long, group = "indicators_output")]
    pub csv: bool,
    /// Write one self-contained HTML page with SVG charts to OUT.html.
    #[arg(long, value_name = "OUT.html", group = "indicators_output")]
    pub html: Option<PathBuf>,
}

/// Arguments of `dmp feed build`.
#[derive(Args)]
pub struct FeedBuildArgs {
    /// The feed case (docs/schema/feed-case.schema.json).
    #[arg(value_name = "CASE.json")]
    pub case: PathBuf,
    #[command(flatten)]
    pub signer: SignerOpts,
    /// Override the case's authentication mode.
    #[arg(long, value_parser = ["indirecte", "directe", "air"])]
    pub mode: Option<String>,
    /// Where to write the request (HTTP headers and MIME body).
    #[arg(short, long, value_name = "REQUEST.mime")]
    pub output: PathBuf,
    /// Also write envelope.xml, document-N.xml, signature.xml, vihf.xml and metadata.txt to DIR.
    #[arg(long, value_name = "DIR")]
    pub dump: Option<PathBuf>,
    #[command(flatten)]
    pub clock: ClockOpts,
    /// With --send: the actor profile (default: the case's "profile").
    #[arg(long, value_name = "ACTOR.json")]
    pub actor: Option<PathBuf>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub send: SendOpts,
}

/// Arguments of `dmp feed check`.
#[derive(Args)]
pub struct FeedCheckArgs {
    /// The request written by `dmp feed build`.
    #[arg(value_name = "REQUEST.mime")]
    pub request: PathBuf,
    #[command(flatten)]
    pub trust: TrustOpts,
    /// Print the report as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `dmp request KIND`: one subcommand per kind of request.
// Parsed once at start-up and matched once: the size of a variant does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Subcommand)]
pub enum RequestCommand {
    /// TD0.2: the patient's DMP status.
    Status(RequestCommon),
    /// TD3.1: search the patient's documents (or, with --unique-id/--entry-uuid/--submission-set,
    /// a reference search).
    Search(SearchArgs),
    /// TD3.2: retrieve documents.
    #[command(visible_alias = "retrieve")]
    Get(GetArgs),
    /// TD3.3: mask a document from the patient.
    Mask(EntryRequest),
    /// TD3.3: unmask a document.
    Unmask(EntryRequest),
    /// TD3.3: a document's visibility to the patient and/or the legal representatives.
    Visibility(VisibilityArgs),
    /// TD3.3: archive a document.
    Archive(EntryRequest),
    /// TD3.3: unarchive a document.
    Unarchive(EntryRequest),
    /// TD3.3: delete a document.
    Delete(EntryRequest),
    /// TD0.3: add or remove the actor's authorisation on the patient's DMP.
    Authorize(AuthorizeArgs),
    /// TD0.4: the DMPs the actor is authorised on.
    AuthorizedList(AuthorizedListArgs),
}

/// What every `dmp request` kind takes.
#[derive(Args)]
pub struct RequestCommon {
    /// The actor profile (docs/schema/actor-profile.schema.json).
    #[arg(long, value_name = "ACTOR.json")]
    pub actor: PathBuf,
    /// The patient's INS: matricule (the test NIR on a test platform) or its CX form.
    #[arg(long, value_name = "INS")]
    pub ins: String,
    /// Where to write the request (HTTP headers and MIME body).
    #[arg(short, long, value_name = "REQUEST.mime")]
    pub output: PathBuf,
    #[command(flatten)]
    pub signer: SignerOpts,
    /// The patient's consent: care-team, explicit, emergency, testing-override or a JSON file.
    #[arg(long, value_name = "C")]
    pub consent: Option<String>,
    /// Also write envelope.xml, body.xml and vihf.xml to DIR.
    #[arg(long, value_name = "DIR")]
    pub dump: Option<PathBuf>,
    #[command(flatten)]
    pub clock: ClockOpts,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
    #[command(flatten)]
    pub send: SendOpts,
}

/// Arguments of `dmp request search`.
#[derive(Args)]
pub struct SearchArgs {
    #[command(flatten)]
    pub common: RequestCommon,
    /// Type code filter, CODE^SCHEME (repeatable).
    #[arg(long = "type", value_name = "CODE^SCHEME")]
    pub type_code: Vec<String>,
    /// Class code filter, CODE^SCHEME (repeatable).
    #[arg(long, value_name = "CODE^SCHEME")]
    pub class: Vec<String>,
    /// Format code filter, CODE^SCHEME (repeatable).
    #[arg(long, value_name = "CODE^SCHEME")]
    pub format: Vec<String>,
    /// Practice setting filter, CODE^SCHEME (repeatable).
    #[arg(long, value_name = "CODE^SCHEME")]
    pub practice: Vec<String>,
    /// Healthcare facility type filter, CODE^SCHEME (repeatable).
    #[arg(long, value_name = "CODE^SCHEME")]
    pub facility: Vec<String>,
    /// Confidentiality filter, CODE^SCHEME (repeatable).
    #[arg(long, value_name = "CODE^SCHEME")]
    pub confidentiality: Vec<String>,
    /// Status: approved, deprecated, archived or deleted (repeatable).
    #[arg(long)]
    pub status: Vec<String>,
    /// Created from (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub created_from: Option<String>,
    /// Created until (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub created_to: Option<String>,
    /// Care started from (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub service_from: Option<String>,
    /// Care ended until (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub service_to: Option<String>,
    /// Submission sets submitted from (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub submitted_from: Option<String>,
    /// Submission sets submitted until (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub submitted_to: Option<String>,
    /// Author person filter (repeatable).
    #[arg(long)]
    pub author: Vec<String>,
    /// Reference search by document uniqueId (repeatable).
    #[arg(long, value_name = "UID")]
    pub unique_id: Vec<String>,
    /// Reference search by entryUUID (repeatable).
    #[arg(long, value_name = "urn:uuid:…")]
    pub entry_uuid: Vec<String>,
    /// A submission set and its contents, by uniqueId or entryUUID.
    #[arg(long, value_name = "UID")]
    pub submission_set: Option<String>,
}

/// Arguments of `dmp request get`.
#[derive(Args)]
pub struct GetArgs {
    #[command(flatten)]
    pub common: RequestCommon,
    /// The documents' uniqueId (repeatable).
    #[arg(long, value_name = "UID", required = true)]
    pub unique_id: Vec<String>,
    /// The repository's OID (default: the DMP's).
    #[arg(long, value_name = "OID")]
    pub repository: Option<String>,
}

/// The document a TD3.3 request acts on.
#[derive(Args)]
pub struct EntryOpts {
    /// The document's uniqueId.
    #[arg(long, value_name = "UID")]
    pub unique_id: String,
    /// A TD3.1 answer holding the document's current metadata.
    #[arg(long, value_name = "FILE")]
    pub search_response: PathBuf,
}

/// Arguments of the TD3.3 kinds (mask, unmask, archive, unarchive, delete).
#[derive(Args)]
pub struct EntryRequest {
    #[command(flatten)]
    pub common: RequestCommon,
    #[command(flatten)]
    pub entry: EntryOpts,
}

/// Arguments of `dmp request visibility`.
#[derive(Args)]
pub struct VisibilityArgs {
    #[command(flatten)]
    pub common: RequestCommon,
    #[command(flatten)]
    pub entry: EntryOpts,
    #[command(flatten)]
    pub to: VisibleTo,
}

/// To whom a document is visible (one or both).
#[derive(Args)]
#[group(required = true, multiple = true)]
pub struct VisibleTo {
    /// Visibility to the patient.
    #[arg(long, value_parser = ["visible", "invisible"])]
    pub patient: Option<String>,
    /// Visibility to the legal representatives.
    #[arg(long, value_parser = ["visible", "invisible"])]
    pub legal_representatives: Option<String>,
}

/// Arguments of `dmp request authorize`.
#[derive(Args)]
pub struct AuthorizeArgs {
    #[command(flatten)]
    pub common: RequestCommon,
    /// What to do.
    #[arg(long, default_value = "add",
        value_parser = ["add", "remove", "remove_as_medecin_traitant"])]
    pub action: String,
}

/// Arguments of `dmp request authorized-list`.
#[derive(Args)]
pub struct AuthorizedListArgs {
    #[command(flatten)]
    pub common: RequestCommon,
    /// Since when (RFC 3339).
    #[arg(long, value_name = "RFC3339")]
    pub since: String,
    /// Which date --since applies to.
    #[arg(long, default_value = "last_doc", value_parser = ["last_doc", "last_authorization"])]
    pub date_type: String,
}

/// Arguments of `dmp response`.
#[derive(Args)]
pub struct ResponseArgs {
    /// The answer: a SOAP envelope, or an HTTP message (headers, blank line, body).
    pub file: PathBuf,
    #[command(flatten)]
    pub answer: AnswerOpts,
    /// Whether this reader (an actor profile) may open each TD3.1 document's type.
    #[arg(long, value_name = "ACTOR.json")]
    pub actor: Option<PathBuf>,
}

/// Arguments of `dmp send`.
#[derive(Args)]
pub struct SendArgs {
    /// The request, as written by `dmp feed build` / `dmp request -o`.
    #[arg(value_name = "REQUEST")]
    pub request: PathBuf,
    /// The actor profile, whose `transport` says how to reach the DMP.
    #[arg(long, value_name = "ACTOR.json")]
    pub actor: PathBuf,
    /// The endpoint URL instead of the profile's.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    #[command(flatten)]
    pub answer: AnswerOpts,
    #[command(flatten)]
    pub signer: SignerOpts,
}

/// `dmp journal …`.
#[derive(Subcommand)]
pub enum JournalCommand {
    /// Journal the documents of a feed case (one deposit each), without sending them.
    Deposit(JournalDepositArgs),
    /// Send what is queued, settle what is uncertain (the registry is asked before any
    /// resend); print what became of each deposit.
    #[command(
        long_about = "Send what is queued and settle what is uncertain, oldest first: a deposit \
        that may have reached the DMP is looked up in the registry before anything is sent \
        again; a document changed after it was sent goes out as a replacement (RPLC). Run it \
        at start-up too: it resumes where a stopped process was.\n\n\
        Exit status: 0 all settled (accepted or refused: see `refused`), 3 some not sent \
        (DMP unreachable: sent at the next flush), 4 some outcome unknown (asked again at the \
        next flush)."
    )]
    Flush(JournalFlushArgs),
    /// The deposits and their states (queued, sending, accepted, refused, unknown,
    /// superseded).
    Status(JournalStatusArgs),
    /// Record in the consent register what the usager said (consent, information,
    /// objection, explicit consent of a professional outside the care team, withdrawal).
    Consent(JournalConsentArgs),
    /// Consult the usager's DMP under the consent register (TD3.1 search, or TD3.2 with
    /// --unique-id), journaled whatever happens.
    Consult(JournalConsultArgs),
    /// Record an event of the usager's accompaniment (admission, annual review…).
    Event(JournalEventArgs),
    /// Register a usager (or update its label and setting): the DUI's reference, never the
    /// INS, is stored beside the pseudonym.
    RegisterUsager(JournalRegisterArgs),
    /// Everything the journal holds about a usager, as JSON (right of access).
    Export(JournalUsagerArgs),
    /// The Facts JSON of a period (what `dmp indicators --facts` reads).
    Facts(JournalFactsArgs),
}

/// `--journal` and `--establishment`: which journal.
#[derive(Args)]
pub struct JournalOpts {
    /// The journal: a SQLite file (created if needed), or a PostgreSQL URL
    /// (postgres://user@host/db, with --establishment).
    #[arg(long, value_name = "FILE|URL")]
    pub journal: String,
    /// With a PostgreSQL journal: the establishment whose rows to use (e.g. its FINESS).
    #[arg(long, value_name = "ID")]
    pub establishment: Option<String>,
}

/// `--key-file`: the establishment key.
#[derive(Args)]
pub struct KeyOpts {
    /// The establishment key: a file of at least 32 random bytes (`head -c 32 /dev/urandom >
    /// FILE`); the INS is stored only as a keyed hash under it.
    #[arg(long, value_name = "FILE")]
    pub key_file: PathBuf,
}

/// The usager of a journal command.
#[derive(Args)]
pub struct UsagerOpts {
    /// The usager's INS: its CX form, or a matricule (see --environment).
    #[arg(long, value_name = "INS")]
    pub ins: String,
    /// Whose NIR a bare matricule is: the production NIR, or the test NIR of the test
    /// platforms and the sandbox.
    #[arg(long, default_value = "production", value_parser = ["production", "test"])]
    pub environment: String,
}

/// Arguments of `dmp journal deposit`.
#[derive(Args)]
pub struct JournalDepositArgs {
    /// The feed case (docs/schema/feed-case.schema.json), as for `dmp feed build`.
    #[arg(value_name = "CASE.json")]
    pub case: PathBuf,
    #[command(flatten)]
    pub journal: JournalOpts,
    #[command(flatten)]
    pub key: KeyOpts,
    /// Keep the documents' bytes after the DMP accepted them (default: dropped).
    #[arg(long)]
    pub keep_bytes: bool,
    /// The author's role for the indicators (default: the first author's specialty).
    #[arg(long, value_name = "ROLE")]
    pub author_role: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `dmp journal flush`.
#[derive(Args)]
pub struct JournalFlushArgs {
    #[command(flatten)]
    pub journal: JournalOpts,
    #[command(flatten)]
    pub key: KeyOpts,
    /// The actor profile that sends (its `transport` says how to reach the DMP).
    #[arg(long, value_name = "ACTOR.json")]
    pub actor: PathBuf,
    #[command(flatten)]
    pub signer: SignerOpts,
    /// The endpoint URL instead of the profile's.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    /// This worker's name, stable across restarts (several workers on one PostgreSQL
    /// journal).
    #[arg(long, value_name = "NAME")]
    pub worker: Option<String>,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `dmp journal status`.
#[derive(Args)]
pub struct JournalStatusArgs {
    #[command(flatten)]
    pub journal: JournalOpts,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `dmp journal consent`.
#[derive(Args)]
pub struct JournalConsentArgs {
    #[command(flatten)]
    pub journal: JournalOpts,
    #[command(flatten)]
    pub key: KeyOpts,
    #[command(flatten)]
    pub usager: UsagerOpts,
    /// The record (JSON): scope (care_team, information, objection, emergency_objection,
    /// explicit), professional, collected_by, on_behalf_of, at, withdrawal, note.
    #[arg(long, value_name = "RECORD.json")]
    pub record: PathBuf,
    /// Print JSON instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `dmp journal consult`.
#[derive(Args)]
pub struct JournalConsultArgs {
    #[command(flatten)]
    pub journal: JournalOpts,
    #[command(flatten)]
    pub key: KeyOpts,
    /// The usager's INS: its CX form, or a matricule (the test NIR on a test platform).
    #[arg(long, value_name = "INS")]
    pub ins: String,
    /// The actor profile that consults.
    #[arg(long, value_name = "ACTOR.json")]
    pub actor: PathBuf,
    #[command(flatten)]
    pub signer: SignerOpts,
    /// TD3.2: retrieve these documents (repeatable); without it, a TD3.1 search of the
    /// usager's approved documents.
    #[arg(long, value_name = "UID")]
    pub unique_id: Vec<String>,
    /// The actor is a member of the usager's care team (the DUI knows).
    #[arg(long)]
    pub care_team: bool,
    /// The endpoint URL instead of the profile's.
    #[arg(long, value_name = "URL")]
    pub endpoint: Option<String>,
    #[command(flatten)]
    pub answer: AnswerOpts,
}

/// Arguments of `dmp journal event`.
#[derive(Args)]
pub struct JournalEventArgs {
    #[command(flatten)]
    pub journal: JournalOpts,
    #[command(flatten)]
    pub key: KeyOpts,
    #[command(flatten)]
    pub usager: UsagerOpts,
    /// What happened.
    #[arg(long, value_parser = ["admission", "annual_review", "change_of_condition",
        "hospital_transfer", "hospital_return", "discharge"])]
    pub kind: String,
    /// When (RFC 3339; default: now).
    #[arg(long, value_name = "RFC3339")]
    pub at: Option<String>,
}

/// Arguments of `dmp journal register-usager`.
#[derive(Args)]
pub struct JournalRegisterArgs {
    #[command(flatten)]
    pub journal: JournalOpts,
    #[command(flatten)]
    pub key: KeyOpts,
    #[command(flatten)]
    pub usager: UsagerOpts,
    /// The DUI's own reference of the usager (a local file number, never the INS).
    #[arg(long, value_name = "TEXT")]
    pub label: String,
    /// The structure's activity (EHPAD, IME, SSIAD…).
    #[arg(long, value_name = "TEXT")]
    pub setting: String,
}

/// Arguments of `dmp journal export`.
#[derive(Args)]
pub struct JournalUsagerArgs {
    #[command(flatten)]
    pub journal: JournalOpts,
    #[command(flatten)]
    pub key: KeyOpts,
    #[command(flatten)]
    pub usager: UsagerOpts,
}

/// Arguments of `dmp journal facts`.
#[derive(Args)]
pub struct JournalFactsArgs {
    #[command(flatten)]
    pub journal: JournalOpts,
    /// From (RFC 3339, included; default: the beginning).
    #[arg(long, value_name = "RFC3339")]
    pub from: Option<String>,
    /// To (RFC 3339, excluded; default: the end of time).
    #[arg(long, value_name = "RFC3339")]
    pub to: Option<String>,
    /// Where to write the Facts JSON (default: stdout).
    #[arg(short, long, value_name = "FACTS.json")]
    pub output: Option<PathBuf>,
}

/// `dmp sandbox …`.
#[derive(Subcommand)]
pub enum SandboxCommand {
    /// Run the local DMP until SIGTERM or Ctrl-C.
    Serve(ServeArgs),
}

/// Arguments of `dmp sandbox serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// The services' address, IP:PORT (port 0: any free port).
    #[arg(long, value_name = "IP:PORT", default_value = "127.0.0.1:8443")]
    pub listen: String,
    /// Also serve the web UI at IP:PORT.
    #[arg(long, value_name = "IP:PORT")]
    pub ui: Option<String>,
    /// Where the sandbox keeps its data.
    #[arg(long, value_name = "DIR", default_value = "dmp-sandbox-data")]
    pub data: PathBuf,
    /// Seed from this folder instead of the embedded seed.
    #[arg(long, value_name = "DIR")]
    pub seed_data: Option<PathBuf>,
    /// Start empty: no sample usagers, no documents.
    #[arg(long)]
    pub no_seed: bool,
    /// Seed the sample usagers but not their hospital documents (tests that count what they
    /// feed).
    #[arg(long)]
    pub no_seed_documents: bool,
    /// The server's certificate chain (PEM), with --key (default: the test PKI).
    #[arg(long, value_name = "PEM", requires = "key")]
    pub cert: Option<PathBuf>,
    /// The server's private key (PEM), with --cert.
    #[arg(long, value_name = "PEM", requires = "cert")]
    pub key: Option<PathBuf>,
    /// CAs of the client certificates to accept (repeatable; needed with --cert).
    #[arg(long, value_name = "ROOT.pem")]
    pub client_root: Vec<PathBuf>,
    /// Inject a fault: abort-after-store, drop-after-store[:N], drop-mid-response[:N].
    #[arg(long, value_name = "FAULT")]
    pub fault: Option<String>,
}

/// The shells `dmp completions` writes for.
#[derive(Clone, Copy, ValueEnum)]
pub enum Shell {
    /// Bash.
    Bash,
    /// Zsh.
    Zsh,
    /// Fish.
    Fish,
    /// PowerShell.
    Powershell,
}

/// Arguments of `dmp completions`.
#[derive(Args)]
pub struct CompletionsArgs {
    /// The shell.
    pub shell: Shell,
}
