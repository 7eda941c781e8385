//! Certificate path building and checking: leaf → intermediates → trusted root.

use chrono::{DateTime, Utc};

use super::Certificate;
use crate::error::{Error, Result};

/// Longest path tried (leaf and root included).
const MAX_PATH: usize = 10;

/// Builds and checks the path from `leaf` to one of `roots`, at time `at`.
///
/// Each certificate's issuer is looked up by name (issuer DN = subject DN, compared on the
/// DER encoding), first among `roots`, then among `intermediates`; when several carry the
/// name, the first whose key verifies the signature is taken. For every certificate of the
/// path: validity at `at`. For every link: the signature (SHA-1/256/384/512 with RSA ≥ 2048
/// bits, ECDSA P-256/P-384) verified with the issuer's key. For every issuer: CA
/// (basicConstraints `cA`), `keyCertSign` when keyUsage is present, and `pathLenConstraint`.
/// A root's own signature is not checked: it is trusted because it is in `roots`.
///
/// Returns the path, leaf first, root last. Revocation (CRL, OCSP) is not checked.
///
/// Errors (all [`Error::Crypto`] with `what` = `chain`) name the certificate: not valid at
/// `at` (with its dates), bad signature on link N (N = index of the certificate whose
/// signature fails, 0 = leaf), issuer not a CA, no issuer found (untrusted root).
pub fn verify_chain(
    leaf: &Certificate,
    intermediates: &[Certificate],
    roots: &[Certificate],
    at: DateTime<Utc>,
) -> Result<Vec<Certificate>> {
    check_validity(leaf, 0, at)?;
    let mut path = vec![leaf.clone()];
    loop {
        let n = path.len() - 1;
        let current = &path[n];
        if roots.contains(current) {
            return Ok(path);
        }
        if path.len() >= MAX_PATH {
            return Err(Error::crypto(
                "chain",
                format!("no trusted root within {MAX_PATH} certificates of the leaf"),
            ));
        }
        let mut refused: Option<Error> = None;
        let mut found: Option<(&Certificate, bool)> = None;
        let candidates = roots
            .iter()
            .map(|c| (c, true))
            .chain(intermediates.iter().map(|c| (c, false)));
        for (candidate, is_root) in candidates {
            if candidate.subject().der() != current.issuer().der() || path.contains(candidate) {
                continue;
            }
            match current.verify_issued_by(candidate) {
                Ok(()) => {
                    found = Some((candidate, is_root));
                    break;
                }
                Err(e) => refused = refused.or(Some(e)),
            }
        }
        let Some((issuer, is_root)) = found else {
            return Err(match refused {
                Some(Error::Crypto { message, .. }) => {
                    Error::crypto("chain", format!("bad signature on link {n}: {message}"))
                }
                Some(other) => other,
                None if current.subject().der() == current.issuer().der() => Error::crypto(
                    "chain",
                    format!(
                        "untrusted root: the chain ends at the self-signed '{}', which is not \
                         among the trusted roots",
                        current.subject_rfc2253()
                    ),
                ),
                None => Error::crypto(
                    "chain",
                    format!(
                        "untrusted root: no trusted root or intermediate named '{}' (the issuer \
                         of '{}')",
                        current.issuer_rfc2253(),
                        current.subject_rfc2253()
                    ),
                ),
            });
        };
        check_validity(issuer, n + 1, at)?;
        check_issuer(issuer, n, is_root)?;
        path.push(issuer.clone());
        if is_root {
            return Ok(path);
        }
    }
}

/// `cert` (at `index` in the chain, 0 = the leaf) is valid at `at`; else an error with its
/// dates.
pub(crate) fn check_validity(cert: &Certificate, index: usize, at: DateTime<Utc>) -> Result<()> {
    if cert.is_valid_at(at) {
        return Ok(());
    }
    let state = if at > cert.not_after() {
        format!("expired on {}", cert.not_after().to_rfc3339())
    } else {
        format!("is not valid before {}", cert.not_before().to_rfc3339())
    };
    Err(Error::crypto(
        "chain",
        format!(
            "certificate {index} of the chain ('{}') {state} (checked at {})",
            cert.subject_rfc2253(),
            at.to_rfc3339()
        ),
    ))
}

/// `intermediates_below`: number of CA certificates between `issuer` and the leaf.
fn check_issuer(issuer: &Certificate, intermediates_below: usize, is_root: bool) -> Result<()> {
    let subject = issuer.subject_rfc2253();
    let ku_ok = issuer.key_usage().is_none_or(|ku| ku.key_cert_sign);
    // A trust anchor without basicConstraints (an X.509 v1 root) is accepted; one that says
    // it is not a CA is not.
    let ca_ok = issuer.is_ca() || (is_root && !issuer.has_basic_constraints());
    if !ca_ok {
        return Err(Error::crypto(
            "chain",
            format!("'{subject}' issued a certificate but is not a CA (basicConstraints)"),
        ));
    }
    if !ku_ok {
        return Err(Error::crypto(
            "chain",
            format!("'{subject}' issued a certificate but its keyUsage lacks keyCertSign"),
        ));
    }
    if let Some(max) = issuer.path_len_constraint() {
        if intermediates_below > max as usize {
            return Err(Error::crypto(
                "chain",
                format!(
                    "'{subject}' allows {max} intermediate CA(s) below it (pathLenConstraint), \
                     the path has {intermediates_below}"
                ),
            ));
        }
    }
    Ok(())
}
