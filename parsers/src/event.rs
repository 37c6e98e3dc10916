//! The common event every parser produces, borrowed from the record's bytes.

use crate::secret::Secret;
use crate::text::Text;

/// What kind of credential an event was made with. Decides how `credential_id` is shown:
/// public identifiers as they are, secrets only as a keyed fingerprint.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum CredentialKind {
    /// A token in a URL query parameter (`?access_token=…`). Secret.
    UrlToken,
    /// An `Authorization: Bearer …` value. Secret.
    BearerToken,
    /// A session cookie value. Secret.
    Cookie,
    /// An AWS access key id (`AKIA…` long-term, `ASIA…` temporary). Public identifier.
    AwsAccessKeyId,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::UrlToken => "url_token",
            CredentialKind::BearerToken => "bearer_token",
            CredentialKind::Cookie => "cookie",
            CredentialKind::AwsAccessKeyId => "aws_access_key_id",
        }
    }
}

/// The credential an event was made with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Credential<'a> {
    /// An identifier that may be shown (an AWS access key id, an Okta token id).
    Public { kind: CredentialKind, id: Text<'a> },
    /// A secret value: the main crate turns it into a keyed fingerprint, never text.
    Secret {
        kind: CredentialKind,
        value: Secret<'a>,
    },
}

impl Credential<'_> {
    pub fn kind(&self) -> CredentialKind {
        match self {
            Credential::Public { kind, .. } | Credential::Secret { kind, .. } => *kind,
        }
    }
}

/// The normalised result of an event.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, Default)]
pub enum Outcome {
    Success,
    /// Refused for lack of authentication or permission (HTTP 401/403/407, AccessDenied).
    Denied,
    /// The caller's request failed for another reason (other HTTP 4xx).
    Failure,
    /// The server failed (HTTP 5xx).
    Error,
    #[default]
    Unknown,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Success => "success",
            Outcome::Denied => "denied",
            Outcome::Failure => "failure",
            Outcome::Error => "error",
            Outcome::Unknown => "unknown",
        }
    }

    /// The outcome of an HTTP status code.
    pub fn from_http_status(status: u16) -> Outcome {
        match status {
            100..=399 => Outcome::Success,
            401 | 403 | 407 => Outcome::Denied,
            400..=499 => Outcome::Failure,
            500..=599 => Outcome::Error,
            _ => Outcome::Unknown,
        }
    }
}

/// Quirks of a record that was read but not as written by the book. Kept as evidence in
/// the `parse_notes` column, never silently.
pub mod notes {
    /// The last quoted field had no closing quote (a truncated line); taken to line end.
    pub const TRUNCATED_FIELD: u8 = 1;
    /// Fields after the known layout were present and not interpreted.
    pub const EXTRA_FIELDS: u8 = 1 << 1;
    /// The request line is not an HTTP request (scanner garbage, TLS bytes).
    pub const NON_HTTP_REQUEST: u8 = 1 << 2;
    /// The client address is a list (a forwarded-for chain logged in its place).
    pub const ADDRESS_LIST: u8 = 1 << 3;
    /// The record has bytes that are not UTF-8; they were replaced with U+FFFD.
    pub const INVALID_UTF8: u8 = 1 << 4;

    pub const ALL: &[(u8, &str)] = &[
        (TRUNCATED_FIELD, "truncated_field"),
        (EXTRA_FIELDS, "extra_fields"),
        (NON_HTTP_REQUEST, "non_http_request"),
        (ADDRESS_LIST, "address_list"),
        (INVALID_UTF8, "invalid_utf8"),
    ];
}

/// One normalised event. Every text field borrows from the record unless it had to be
/// unescaped or redacted. Field meanings are documented in `docs/schema.md`; the main crate
/// maps each field to exactly one column.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Event<'a> {
    /// UTC nanoseconds since the Unix epoch.
    pub ts: i64,
    /// The timestamp exactly as logged (evidence).
    pub ts_raw: Text<'a>,
    /// The source's own event id; `None` for sources without one (the main crate derives a
    /// stable id from file and line).
    pub event_id: Option<Text<'a>>,
    pub credential: Option<Credential<'a>>,
    pub principal: Option<Text<'a>>,
    pub session_id: Option<Text<'a>>,
    pub src_ip: Option<Text<'a>>,
    pub user_agent: Option<Text<'a>>,
    pub action: Option<Text<'a>>,
    pub target: Option<Text<'a>>,
    pub outcome: Outcome,
    pub status: Option<i32>,
    pub bytes: Option<u64>,
    // HTTP sources.
    pub http_method: Option<Text<'a>>,
    pub http_version: Option<Text<'a>>,
    pub referer: Option<Text<'a>>,
    pub forwarded_for: Option<Text<'a>>,
    pub host: Option<Text<'a>>,
    /// The request line as logged when it is not an HTTP request (secrets redacted).
    pub request_raw: Option<Text<'a>>,
    /// Bit set of [`notes`].
    pub notes: u8,
}

impl Event<'_> {
    /// A field rendered as text, by column name, for examples and tests. Secrets render as
    /// `<secret KIND>`, never their value.
    pub fn field(&self, name: &str) -> Option<String> {
        let t = |v: &Option<Text<'_>>| v.as_ref().map(|s| s.to_string());
        match name {
            "ts" => Some(self.ts.to_string()),
            "ts_raw" => Some(self.ts_raw.to_string()),
            "event_id" => t(&self.event_id),
            "credential" => self.credential.as_ref().map(|c| match c {
                Credential::Public { kind, id } => format!("{}:{id}", kind.as_str()),
                Credential::Secret { kind, .. } => format!("<secret {}>", kind.as_str()),
            }),
            "principal" => t(&self.principal),
            "session_id" => t(&self.session_id),
            "src_ip" => t(&self.src_ip),
            "user_agent" => t(&self.user_agent),
            "action" => t(&self.action),
            "target" => t(&self.target),
            "outcome" => Some(self.outcome.as_str().to_string()),
            "status" => self.status.map(|s| s.to_string()),
            "bytes" => self.bytes.map(|b| b.to_string()),
            "http_method" => t(&self.http_method),
            "http_version" => t(&self.http_version),
            "referer" => t(&self.referer),
            "forwarded_for" => t(&self.forwarded_for),
            "host" => t(&self.host),
            "request_raw" => t(&self.request_raw),
            "parse_notes" => notes_text(self.notes),
            _ => None,
        }
    }
}

/// The names of the notes set in `bits`, comma separated; `None` when there are none.
pub fn notes_text(bits: u8) -> Option<String> {
    if bits == 0 {
        return None;
    }
    let names: Vec<&str> = notes::ALL
        .iter()
        .filter(|(b, _)| bits & b != 0)
        .map(|(_, n)| *n)
        .collect();
    Some(names.join(","))
}
