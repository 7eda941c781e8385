//! CDA R2 documents for the DMP, as the CI-SIS "structuration minimale" defines them.
//!
//! - [`CdaHeader`] (+ [`Content`]) is what a document says, as data.
//! - [`build`] turns it into the exact bytes to send: UTF-8, no BOM, no `xsi:schemaLocation`,
//!   deterministic (same inputs, same bytes), N1 body (the file in base64).
//! - [`read`] parses a CDA (ours or anyone's) back, with a hardened XML reader.

mod b64;
#[cfg(target_arch = "x86_64")]
mod b64_vbmi;
mod builder;
mod case;
mod header;
mod reader;

pub use b64::{decode_base64, encode_base64_into};
pub use builder::{
    build, prepare, PreparedCda, DEVICE_AUTHOR_CODE, N1_TEMPLATE_IDS, TEMPLATE_CI_SIS,
    TEMPLATE_HL7_FRANCE, TEMPLATE_N1,
};
pub use case::{Case, CaseContent};
pub use header::{
    Author, CdaHeader, CdaOrganization, CdaPatient, CdaPerson, Content, Encounter,
    LegalAuthenticator, MediaType, ServiceEvent, TITLE_MAX,
};
/// The HL7 v3 data-type readers, shared with the HL7 v3 messages of [`crate::hl7v3`].
pub(crate) use reader::{raw_code, raw_id, raw_interval, raw_name};
pub use reader::{
    read, read_with_limits, RawAuthor, RawBody, RawCode, RawDevice, RawEncounter, RawEntity,
    RawHeader, RawId, RawInterval, RawLegalAuthenticator, RawName, RawNamePart, RawOrganization,
    RawPatient, RawRelatedDocument, RawServiceEvent, RawTime, ReadDocument, HL7_NS,
};
