//! Byte-level parsers for the log sources tokentrail reads.
//!
//! This crate knows nothing about files, threads or Polars: it turns the bytes of one
//! record into zero or more [`Event`]s that borrow from those bytes. The main crate
//! attaches the evidence locator (file, line, record index, byte offset) and builds the
//! event frame.
//!
//! # Adding a parser
//! 1. Add a variant to [`SourceId`] (a stable, lowercase snake_case noun).
//! 2. Write `src/<source>.rs` with a unit struct implementing [`LogParser`]: `sniff` must be
//!    cheap, `parse` must never panic and should borrow from the record, `examples` holds
//!    real records with the fields they must produce (they run as tests).
//! 3. Add one line to [`registry::PARSERS`].
//! 4. If the source is also exported as CSV, list its forms in
//!    [`LogParser::csv_forms`] (header labels and the field each stands for).
//! 5. Document it in `docs/formats.md`, add a fixture under `tests/fixtures/` and a bench group.
//! 6. Optionally, read the bulky fields outside [`Event::IDENTITY_FIELDS`] with the `detail*`
//!    deserializers of `json.rs`: a command that keeps only the identity of events
//!    ([`Detail::Identity`]) then skips them unread. A registry test checks that such a
//!    parse still fills every identity field as a full one does.

// Bytes from hostile logs: no `unsafe` here, ever (the workspace allows it in one
// module of the main crate, its file map).
#![forbid(unsafe_code)]

pub mod auth0;
pub mod cloudtrail;
pub mod csv_export;
pub mod entra;
pub mod error;
pub mod event;
pub mod framing;
mod json;
pub mod nginx;
pub mod nginx_error;
pub mod nginx_format;
pub mod nginx_json;
pub mod okta;
pub mod parser;
pub mod registry;
pub mod secret;
pub mod source;
pub mod text;
pub mod time;

pub use auth0::Auth0Parser;
pub use cloudtrail::CloudTrailParser;
pub use entra::EntraSignInParser;
pub use error::{ParseError, ParseErrorKind};
pub use event::{CallerKind, Credential, CredentialKind, Event, Outcome, ServiceFields};
pub use framing::Framing;
pub use nginx::NginxParser;
pub use nginx_error::NginxErrorParser;
pub use nginx_json::NginxJsonParser;
pub use okta::OktaSystemLogParser;
pub use parser::{
    Confidence, Detail, Example, LogParser, line_front_agrees, parse_front_keeping, parse_keeping,
    parse_line_front_keeping,
};
pub use registry::{Detection, PARSERS};
pub use secret::Secret;
pub use source::SourceId;
