//! Sending with retries, without duplicates: queries are retried on any transport error;
//! writes (TD2.1, TD3.3, TD0.3) only when nothing left, and after an uncertain attempt only
//! once the registry said they did not land.

use std::time::{Duration, Instant};

use dmp_core::consult::{self, Response};
use dmp_core::soap::{self, action, mtom, mtom::HttpRequest};

use crate::client::{Client, ExchangeError, HttpResponse};
use crate::outcome::Outcome;

/// Resends of a write after the landing check said it did not land.
const MAX_RESENDS: u32 = 1;

/// Asks the registry whether a write whose answer was lost was applied
/// ([`crate::RegistryLanding`] for TD2.1 and TD3.3).
pub trait LandingCheck {
    /// The query to send (a TD3.1 reference search), built now.
    fn request(&mut self) -> Result<HttpRequest, String>;
    /// Whether its answer shows the write applied; an error when it cannot be told.
    fn landed(&mut self, answer: &Response) -> Result<bool, String>;
}

/// Whether a request changes the DMP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    /// TD0.2, TD1.3a, TD0.4, TD1.6, TD3.1, TD3.2: safe to repeat.
    Query,
    /// TD2.1, TD3.3, TD0.3: never resent when it may have arrived.
    Write,
}

impl RequestKind {
    /// The kind of a built request, from its SOAP action (the envelope's `wsa:Action`).
    pub fn of(request: &HttpRequest) -> Result<RequestKind, String> {
        let message = request.to_message();
        let envelope: Vec<u8> = match mtom::read_message(&message) {
            Ok(mtom::Message::Multipart(m)) => m.root.bytes.into_owned(),
            Ok(mtom::Message::Xml(x)) => x.to_vec(),
            Err(e) => return Err(format!("the request is not a SOAP message: {e}")),
        };
        let info = soap::parse_envelope(&envelope)
            .map_err(|e| format!("the request is not a SOAP envelope: {e}"))?;
        Ok(match info.action.as_deref() {
            Some(action::PROVIDE_AND_REGISTER | action::UPDATE_DOCUMENT_SET)
            | Some(action::SET_AUTHORIZATION) => RequestKind::Write,
            Some(_) => RequestKind::Query,
            None => return Err("the request's envelope has no wsa:Action".to_owned()),
        })
    }
}

enum Attempt {
    Answer(Box<Outcome>),
    Lost(ExchangeError),
}

impl Client {
    /// Sends `request` and says what became of it (see [`Outcome`]). Queries are retried on
    /// transport errors (exponential backoff, `retries.attempts`, within the total timeout).
    /// Writes are retried only when the failure came before sending; after an uncertain
    /// attempt, `landing` is asked: landed → Accepted (`confirmed_by_check`), not landed →
    /// sent again (once), cannot tell → Unknown. Without `landing` such a write is Unknown.
    pub fn send(&self, request: &HttpRequest, landing: Option<&mut dyn LandingCheck>) -> Outcome {
        self.send_within_total(request, landing, None)
    }

    /// [`Client::send`] bounded by `total` for this call (landing check included) instead of
    /// the settings' total timeout: a blocking caller's own deadline (the C ABI's
    /// `timeout_ms`).
    pub fn send_within_total(
        &self,
        request: &HttpRequest,
        landing: Option<&mut dyn LandingCheck>,
        total: Option<Duration>,
    ) -> Outcome {
        let start = Instant::now();
        let kind = match RequestKind::of(request) {
            Ok(k) => k,
            Err(reason) => {
                return Outcome::FailedBeforeSending {
                    reason,
                    attempts: 0,
                }
            }
        };
        let total = total.unwrap_or_else(|| self.settings().timeouts_ms.total());
        self.send_within(request, kind, landing, start, total)
    }

    fn send_within(
        &self,
        request: &HttpRequest,
        kind: RequestKind,
        mut landing: Option<&mut dyn LandingCheck>,
        start: Instant,
        total: Duration,
    ) -> Outcome {
        let settings = self.settings();
        let max = settings.retries.attempts;
        let mut backoff = Duration::from_millis(settings.retries.backoff_ms);
        let mut attempts = 0;
        let mut tries = 0;
        let mut resends = 0;
        let mut maybe_reached = false;
        loop {
            let remaining = total.saturating_sub(start.elapsed());
            attempts += 1;
            tries += 1;
            let lost = match self.attempt(request, remaining, attempts) {
                Attempt::Answer(outcome) => return *outcome,
                Attempt::Lost(e) => e,
            };
            maybe_reached |= !lost.before_sending;
            let retry_allowed = kind == RequestKind::Query || lost.before_sending;
            if !retry_allowed {
                let Some(check) = landing.as_deref_mut() else {
                    return Outcome::Unknown {
                        reason: format!(
                            "{}; the request may have reached the DMP and was not sent again \
                             (no landing check): search the DMP before sending it again",
                            lost.reason
                        ),
                        attempts,
                    };
                };
                match self.check_landing(check, start, total) {
                    Ok((true, response, http)) => {
                        return Outcome::Accepted {
                            response,
                            http,
                            attempts,
                            confirmed_by_check: true,
                        }
                    }
                    Ok((false, _, _)) if resends < MAX_RESENDS => {
                        resends += 1;
                        tries = 0;
                        maybe_reached = false;
                        continue;
                    }
                    Ok((false, _, _)) => {
                        return Outcome::Unknown {
                            reason: format!(
                                "{}; the registry does not show the request after {attempts} \
                                 sends: it was not sent again",
                                lost.reason
                            ),
                            attempts,
                        }
                    }
                    Err(why) => {
                        return Outcome::Unknown {
                            reason: format!(
                                "{}; whether the request landed cannot be told: {why}",
                                lost.reason
                            ),
                            attempts,
                        }
                    }
                }
            }
            let wait = backoff.min(total.saturating_sub(start.elapsed()));
            if tries >= max || wait < backoff {
                return if maybe_reached {
                    Outcome::Unknown {
                        reason: lost.reason,
                        attempts,
                    }
                } else {
                    Outcome::FailedBeforeSending {
                        reason: lost.reason,
                        attempts,
                    }
                };
            }
            std::thread::sleep(wait);
            backoff = backoff.saturating_mul(2);
        }
    }

    /// One exchange: an answer (typed) or a loss. An answer that is not a readable DMP
    /// answer (a proxy's error page…) counts as lost after sending.
    fn attempt(&self, request: &HttpRequest, remaining: Duration, attempts: u32) -> Attempt {
        if remaining.is_zero() {
            return Attempt::Lost(ExchangeError {
                reason: format!(
                    "the total timeout ({} ms) is spent",
                    self.settings().timeouts_ms.total
                ),
                before_sending: true,
                timed_out: true,
            });
        }
        let http = match self.exchange(request, Some(remaining)) {
            Ok(h) => h,
            Err(e) => return Attempt::Lost(e),
        };
        match consult::parse_response(http.content_type(), &http.body) {
            Ok(response) => Attempt::Answer(Box::new(match response.error() {
                Some(error) => Outcome::Refused {
                    error,
                    response,
                    http,
                    attempts,
                },
                None => Outcome::Accepted {
                    response,
                    http,
                    attempts,
                    confirmed_by_check: false,
                },
            })),
            Err(e) => Attempt::Lost(ExchangeError {
                reason: format!(
                    "{}{}: HTTP {} with an answer that is not a DMP answer: {e}",
                    self.base_url(),
                    request.path,
                    http.status
                ),
                before_sending: false,
                timed_out: false,
            }),
        }
    }

    fn check_landing(
        &self,
        check: &mut dyn LandingCheck,
        start: Instant,
        total: Duration,
    ) -> Result<(bool, Response, HttpResponse), String> {
        let query = check.request()?;
        match self.send_within(&query, RequestKind::Query, None, start, total) {
            Outcome::Accepted { response, http, .. } => {
                let landed = check.landed(&response)?;
                Ok((landed, response, http))
            }
            Outcome::Refused { error, .. } => {
                Err(format!("the landing search was refused: {error}"))
            }
            Outcome::FailedBeforeSending { reason, .. } | Outcome::Unknown { reason, .. } => {
                Err(format!("the landing search failed: {reason}"))
            }
        }
    }
}
