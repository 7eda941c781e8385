//! TD0.3, TD0.4, TD1.6 (proprietary habilitation services): not served by this version of
//! the sandbox; answered with a SOAP fault that says so (never a made-up success).

use crate::dispatch::{Context, Outcome};
use crate::soap_answer::SoapFault;

pub(crate) fn run(act: &str, ctx: &Context<'_>) -> Outcome {
    super::fault(
        ctx,
        SoapFault::receiver(format!(
            "Service {act} non encore pris en charge par le bac à sable"
        )),
        "",
    )
}
