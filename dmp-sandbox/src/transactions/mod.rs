//! The DMP transactions the sandbox serves, one module each, chosen by `wsa:Action`.

mod authorization;
mod feed;
pub(crate) use feed::add_repository_slots;
mod retrieve;
mod search;
mod status;
mod update;
mod visibility;

use dmp_core::soap::action;
use dmp_core::xds::vocabulary::SEVERITY_ERROR;
use dmp_core::xds::RegistryError;

use crate::dispatch::{Context, Outcome};
use crate::soap_answer::{self, SoapFault};

/// Runs the transaction of `act` (already known to be served at this path).
pub(crate) fn run(act: &str, ctx: &Context<'_>) -> Outcome {
    match act {
        action::PRPA_IN201307UV02 => status::run(ctx),
        action::PROVIDE_AND_REGISTER => feed::run(ctx),
        action::REGISTRY_STORED_QUERY => search::run(ctx),
        action::RETRIEVE_DOCUMENT_SET => retrieve::run(ctx),
        action::UPDATE_DOCUMENT_SET => update::run(ctx),
        action::SET_AUTHORIZATION
        | action::PATIENT_LIST
        | action::LIST_AUTHORIZATION_BY_PATIENT => authorization::run(act, ctx),
        other => Outcome::refused(
            soap_answer::fault(
                &SoapFault::sender(format!(
                    "Action non prise en charge par le bac à sable : {other}"
                )),
                ctx.message_id,
            ),
            "SOAP Fault",
            "",
        ),
    }
}

/// The transaction code of an action, for the access log.
pub(crate) fn code(act: &str) -> &'static str {
    match act {
        action::PRPA_IN201307UV02 => "TD0.2",
        action::PROVIDE_AND_REGISTER => "TD2.1",
        action::REGISTRY_STORED_QUERY => "TD3.1",
        action::RETRIEVE_DOCUMENT_SET => "TD3.2",
        action::UPDATE_DOCUMENT_SET => "TD3.3",
        action::SET_AUTHORIZATION => "TD0.3",
        action::PATIENT_LIST => "TD0.4",
        action::LIST_AUTHORIZATION_BY_PATIENT => "TD1.6",
        _ => "?",
    }
}

/// An `rs:RegistryError` of severity Error.
pub(crate) fn registry_error(code: &str, context: impl Into<String>) -> RegistryError {
    RegistryError {
        error_code: code.to_owned(),
        code_context: context.into(),
        severity: SEVERITY_ERROR.to_owned(),
        location: None,
        text: None,
    }
}

/// A SOAP fault answer and its outcome.
pub(crate) fn fault(ctx: &Context<'_>, f: SoapFault, ins: &str) -> Outcome {
    Outcome::refused(soap_answer::fault(&f, ctx.message_id), "SOAP Fault", ins)
}

/// The values of an ebRS query slot value: `'a'`, `('a','b')`, `('a')`.
pub(crate) fn slot_values(value: &str) -> Vec<String> {
    let v = value.trim();
    let v = v
        .strip_prefix('(')
        .and_then(|v| v.strip_suffix(')'))
        .unwrap_or(v);
    v.split(',')
        .map(|s| s.trim().trim_matches('\'').to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::slot_values;

    #[test]
    fn query_slot_values() {
        assert_eq!(slot_values("('a', 'b')"), ["a", "b"]);
        assert_eq!(slot_values("'x^^^&1.2&ISO'"), ["x^^^&1.2&ISO"]);
        assert!(slot_values("()").is_empty());
    }
}
