//! What became of a request: every send ends in one of four typed outcomes.

use dmp_core::consult::Response;
use dmp_core::DmpError;

use crate::client::HttpResponse;

/// The outcome of [`crate::Client::send`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The DMP answered and did not refuse. With `confirmed_by_check`, the answer of the
    /// request was lost and `response`/`http` are those of the TD3.1 landing search that
    /// showed it had been applied.
    Accepted {
        /// The typed answer.
        response: Response,
        /// The HTTP response it came in.
        http: HttpResponse,
        /// How many times the request was sent.
        attempts: u32,
        /// Whether success was established by the landing check.
        confirmed_by_check: bool,
    },
    /// The DMP answered with a refusal (SOAP fault, Failure status, AE/AR…): its code and
    /// text, verbatim, to show to the user.
    Refused {
        /// The refusal.
        error: DmpError,
        /// The typed answer.
        response: Response,
        /// The HTTP response it came in.
        http: HttpResponse,
        /// How many times the request was sent.
        attempts: u32,
    },
    /// No byte of the request reached the server (DNS, connection, proxy, TLS handshake),
    /// after every allowed attempt: nothing changed in the DMP, the request may be sent later.
    FailedBeforeSending {
        /// Why, for people.
        reason: String,
        /// How many attempts were made.
        attempts: u32,
    },
    /// The request may have reached the DMP but its outcome could not be established (no
    /// answer, and no landing check or an inconclusive one). Do NOT resend a TD2.1/TD3.3
    /// blindly: search the DMP first.
    Unknown {
        /// Why, for people.
        reason: String,
        /// How many attempts were made.
        attempts: u32,
    },
}

impl Outcome {
    /// The kind as JSON and the CLI name it: `accepted`, `refused`,
    /// `failed_before_sending`, `unknown`.
    pub fn kind(&self) -> &'static str {
        match self {
            Outcome::Accepted { .. } => "accepted",
            Outcome::Refused { .. } => "refused",
            Outcome::FailedBeforeSending { .. } => "failed_before_sending",
            Outcome::Unknown { .. } => "unknown",
        }
    }

    /// How many times the request was sent (or tried).
    pub fn attempts(&self) -> u32 {
        match self {
            Outcome::Accepted { attempts, .. }
            | Outcome::Refused { attempts, .. }
            | Outcome::FailedBeforeSending { attempts, .. }
            | Outcome::Unknown { attempts, .. } => *attempts,
        }
    }

    /// A process exit code for the CLI: 0 accepted, 1 refused by the DMP (as any refused
    /// check of `dmp`; 2 stays the usage error), 3 failed before sending, 4 unknown.
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Accepted { .. } => 0,
            Outcome::Refused { .. } => 1,
            Outcome::FailedBeforeSending { .. } => 3,
            Outcome::Unknown { .. } => 4,
        }
    }

    /// The outcome as JSON (for the CLI and the C ABI): `outcome`, `attempts`, and the
    /// answer (`http_status`, `response`) or the `error`/`reason`.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::json;
        match self {
            Outcome::Accepted {
                response,
                http,
                attempts,
                confirmed_by_check,
            } => json!({
                "outcome": self.kind(),
                "attempts": attempts,
                "confirmed_by_check": confirmed_by_check,
                "http_status": http.status,
                "response": response.to_json(),
            }),
            Outcome::Refused {
                error,
                response,
                http,
                attempts,
            } => json!({
                "outcome": self.kind(),
                "attempts": attempts,
                "http_status": http.status,
                "error": error,
                "message": error.to_string(),
                "response": response.to_json(),
            }),
            Outcome::FailedBeforeSending { reason, attempts }
            | Outcome::Unknown { reason, attempts } => json!({
                "outcome": self.kind(),
                "attempts": attempts,
                "reason": reason,
            }),
        }
    }
}
