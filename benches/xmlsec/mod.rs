//! The libxmlsec1 in-process signing harness (`sign.c` next to this file): built with `cc`
//! against libxmlsec1-openssl into the bench's target folder when the compiler and the
//! development files are there, then run on files the bench writes. A bench that cannot
//! build it prints why and goes on.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

/// What to install when the harness cannot be built (Debian/Ubuntu names).
const INSTALL: &str = "apt-get install -y gcc pkg-config libxmlsec1-dev";

/// The built harness.
pub struct Harness {
    exe: PathBuf,
    /// The libxmlsec1 version built against (`pkg-config --modversion`).
    pub version: String,
}

/// Mean times per signature printed by the harness.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// One whole round: parse the template + sign + serialise.
    pub total: Duration,
    /// `xmlReadMemory` of the template and `xmlSecAddIDs`.
    pub parse: Duration,
    /// `xmlSecDSigCtxSign` (the parts read and digested, the references, RSA, the certificate).
    pub sign: Duration,
    /// `xmlDocDumpMemory`.
    pub serialize: Duration,
    /// One RSA-SHA1 signature of a SignedInfo-sized input (OpenSSL), timed alone.
    pub rsa: Duration,
    /// The XML part parsed, canonicalised with comments and digested (libxml2), timed alone.
    pub xml_part: Duration,
}

/// The files of one signing run.
pub struct Job<'a> {
    /// The private key (PEM).
    pub key: &'a Path,
    /// Its certificate (PEM).
    pub cert: &'a Path,
    /// The template: the signature with the values xmlsec computes emptied.
    pub template: &'a Path,
    /// Where the last signed document goes.
    pub out: &'a Path,
    /// The manifest parts, URI and file, the XML part first.
    pub parts: &'a [(&'a str, &'a Path)],
}

impl Harness {
    /// Builds the harness next to the bench executable (the cargo target folder) unless an
    /// up-to-date one is there; `Err` says why it cannot and what to install.
    pub fn build() -> Result<Harness, String> {
        let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/xmlsec/sign.c");
        let exe = std::env::current_exe()
            .ok()
            .and_then(|e| Some(e.parent()?.parent()?.join("xmlsec-sign")))
            .ok_or("the bench's own folder is unknown")?;
        let version = Command::new("pkg-config")
            .args(["--modversion", "xmlsec1-openssl"])
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .unwrap_or_default();
        let modified = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
        if let (Some(built), Some(src)) = (modified(&exe), modified(&source)) {
            if built >= src {
                return Ok(Harness { exe, version });
            }
        }
        let flags = Command::new("pkg-config")
            .args(["--cflags", "--libs", "xmlsec1-openssl"])
            .output()
            .map_err(|_| format!("pkg-config is not installed ({INSTALL})"))?;
        if !flags.status.success() {
            return Err(format!(
                "pkg-config does not know xmlsec1-openssl: the libxmlsec1 development files \
                 are missing ({INSTALL})"
            ));
        }
        let flags = String::from_utf8_lossy(&flags.stdout).into_owned();
        let out = Command::new("cc")
            .args(["-O2", "-o"])
            .arg(&exe)
            .arg(&source)
            .args(flags.split_whitespace())
            .output()
            .map_err(|_| format!("no C compiler `cc` ({INSTALL})"))?;
        if !out.status.success() {
            return Err(format!(
                "cc could not build {}: {}",
                source.display(),
                String::from_utf8_lossy(&out.stderr).trim()
            ));
        }
        Ok(Harness { exe, version })
    }

    /// Signs `rounds` times in one process and returns the harness's mean times.
    pub fn sign(&self, job: &Job<'_>, rounds: u32) -> Result<Timing, String> {
        let mut cmd = Command::new(&self.exe);
        cmd.arg(job.key)
            .arg(job.cert)
            .arg(job.template)
            .arg(rounds.to_string())
            .arg(job.out);
        for (uri, file) in job.parts {
            cmd.arg(format!("{uri}={}", file.display()));
        }
        let out = cmd
            .output()
            .map_err(|e| format!("{} did not start: {e}", self.exe.display()))?;
        if !out.status.success() {
            return Err(String::from_utf8_lossy(&out.stderr).trim().to_owned());
        }
        let line = String::from_utf8_lossy(&out.stdout).into_owned();
        let field = |name: &str| -> Result<Duration, String> {
            line.split_whitespace()
                .find_map(|kv| kv.strip_prefix(name)?.strip_prefix('='))
                .and_then(|v| v.parse::<f64>().ok())
                .map(|ms| Duration::from_secs_f64(ms / 1e3))
                .ok_or_else(|| format!("no {name} in the harness's output {line:?}"))
        };
        Ok(Timing {
            total: field("total_ms")?,
            parse: field("parse_ms")?,
            sign: field("sign_ms")?,
            serialize: field("serialize_ms")?,
            rsa: field("rsa_ms")?,
            xml_part: field("xml_part_ms")?,
        })
    }
}
