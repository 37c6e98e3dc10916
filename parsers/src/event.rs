//! The common event every parser produces, borrowed from the record's bytes.

use std::borrow::Cow;

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
    /// An AWS long-term access key id (`AKIA…`). Public identifier.
    AwsLongTermKey,
    /// An AWS temporary access key id (`ASIA…`, from STS). Public identifier.
    AwsTemporaryKey,
    /// An AWS access key id of another or anonymised shape. Public identifier.
    AwsAccessKey,
    /// An Okta browser session (`authenticationContext.externalSessionId`). Identifier.
    OktaSession,
    /// An Okta API token (`00T…` id, not the SSWS secret). Identifier.
    OktaApiToken,
    /// An Auth0 application using its client credentials (`client_id`). Identifier.
    Auth0Client,
    /// An Auth0 refresh-token family: one user's refresh tokens of one client. Identifier.
    Auth0RefreshToken,
    /// An Auth0 Management API token (its `jti`). Identifier.
    Auth0ManagementToken,
    /// An Entra ID session (`sessionId`). Identifier.
    EntraSession,
    /// An Entra ID token (`uniqueTokenIdentifier`). Identifier.
    EntraToken,
    /// The leading characters of a token, as a gateway logs them (`--token-prefix-field`):
    /// too few to use, linked after ingest to the full token that starts with them.
    TokenPrefix,
    /// A token in a request header whose name says it holds one (`X-API-Key`,
    /// `X-Auth-Token`), logged by the user's `log_format`. Secret.
    HeaderToken,
    /// A secret `name=value` pair in logged free text: a form body in `$request_body`
    /// (`refresh_token=…`, `client_secret=…`). Secret.
    FormToken,
    /// A token recognised by its shape anywhere in a URL: GitHub (`ghp_…`,
    /// `github_pat_…`), Slack (`xox…`), Stripe (`sk_live_…`), a JWT. Secret.
    ShapedToken,
}

impl CredentialKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CredentialKind::UrlToken => "url_token",
            CredentialKind::BearerToken => "bearer_token",
            CredentialKind::Cookie => "cookie",
            CredentialKind::AwsLongTermKey => "aws_long_term_key",
            CredentialKind::AwsTemporaryKey => "aws_temporary_key",
            CredentialKind::AwsAccessKey => "aws_access_key",
            CredentialKind::OktaSession => "okta_session",
            CredentialKind::OktaApiToken => "okta_api_token",
            CredentialKind::Auth0Client => "auth0_client",
            CredentialKind::Auth0RefreshToken => "auth0_refresh_token",
            CredentialKind::Auth0ManagementToken => "auth0_management_token",
            CredentialKind::EntraSession => "entra_session",
            CredentialKind::EntraToken => "entra_token",
            CredentialKind::ShapedToken => "shaped_token",
            CredentialKind::HeaderToken => "header_token",
            CredentialKind::FormToken => "form_token",
            CredentialKind::TokenPrefix => "token_prefix",
        }
    }

    /// The kind of an AWS access key id, from its prefix.
    pub fn of_aws_key(id: &str) -> CredentialKind {
        if id.starts_with("AKIA") {
            CredentialKind::AwsLongTermKey
        } else if id.starts_with("ASIA") {
            CredentialKind::AwsTemporaryKey
        } else {
            CredentialKind::AwsAccessKey
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

    pub fn into_owned(self) -> Credential<'static> {
        match self {
            Credential::Public { kind, id } => Credential::Public {
                kind,
                id: Cow::Owned(id.into_owned()),
            },
            Credential::Secret { kind, value } => Credential::Secret {
                kind,
                value: value.into_owned(),
            },
        }
    }
}

/// How the caller of a cloud API reached it: `src_ip` keeps the raw text either way, and
/// signals about networks only apply to `Ip`.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum CallerKind {
    /// An IP address (possibly invalid, see the `invalid_ip` note).
    Ip,
    /// An AWS service calling on the principal's behalf (`s3.amazonaws.com`).
    AwsService,
    /// `AWS Internal`.
    AwsInternal,
}

impl CallerKind {
    pub fn as_str(self) -> &'static str {
        match self {
            CallerKind::Ip => "ip",
            CallerKind::AwsService => "aws_service",
            CallerKind::AwsInternal => "aws_internal",
        }
    }
}

/// Fields of service logs: cloud control planes (CloudTrail) and identity providers (Okta,
/// Auth0, Entra ID). Boxed in [`Event`] so that line sources, which never set them, do not
/// pay for them per event.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceFields<'a> {
    pub region: Option<Text<'a>>,
    /// The account of the principal (`userIdentity.accountId`).
    pub account_id: Option<Text<'a>>,
    /// The account whose trail recorded the event.
    pub recipient_account_id: Option<Text<'a>>,
    pub read_only: Option<bool>,
    pub event_type: Option<Text<'a>>,
    pub error_code: Option<Text<'a>>,
    pub caller_kind: Option<CallerKind>,
    /// The credential this event created or obtained (AssumeRole, GetSessionToken,
    /// CreateAccessKey) or changed (UpdateAccessKey, DeleteAccessKey): see `lineage`.
    pub child_credential: Option<Credential<'a>>,
    /// The identity this event created, assumed or changed (a role session ARN, a user).
    pub child_principal: Option<Text<'a>>,
    /// Why the event matters for credential lineage (`assume_role`, `create_access_key`, …).
    pub lineage: Option<&'static str>,
    /// The application or client the event went through (Auth0 client, Entra app, Okta app).
    pub app: Option<Text<'a>>,
    /// The provider's own location of the client, kept apart from tokentrail's lookup.
    pub provider_country: Option<Text<'a>>,
    pub provider_city: Option<Text<'a>>,
    /// The provider's own autonomous system of the client.
    pub provider_asn: Option<u32>,
    pub provider_as_org: Option<Text<'a>>,
    /// Whether the provider saw the client behind a proxy or anonymiser.
    pub provider_proxy: Option<bool>,
    /// The provider's risk or threat assessment, as it wrote it.
    pub risk: Option<Text<'a>>,
}

impl ServiceFields<'_> {
    pub fn into_owned(self) -> ServiceFields<'static> {
        ServiceFields {
            region: owned(self.region),
            account_id: owned(self.account_id),
            recipient_account_id: owned(self.recipient_account_id),
            read_only: self.read_only,
            event_type: owned(self.event_type),
            error_code: owned(self.error_code),
            caller_kind: self.caller_kind,
            child_credential: self.child_credential.map(Credential::into_owned),
            child_principal: owned(self.child_principal),
            lineage: self.lineage,
            app: owned(self.app),
            provider_country: owned(self.provider_country),
            provider_city: owned(self.provider_city),
            provider_asn: self.provider_asn,
            provider_as_org: owned(self.provider_as_org),
            provider_proxy: self.provider_proxy,
            risk: owned(self.risk),
        }
    }
}

fn owned(t: Option<Text<'_>>) -> Option<Text<'static>> {
    t.map(|t| Cow::Owned(t.into_owned()))
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
    /// The timestamp had no zone and was read as UTC.
    pub const ASSUMED_UTC: u8 = 1 << 5;
    /// The client address is not a valid IP address (kept as logged).
    pub const INVALID_IP: u8 = 1 << 6;
    /// The JSON line was invalid as written (`\xHH`, a bare `-`) and was repaired.
    pub const REPAIRED_JSON: u8 = 1 << 7;

    pub const ALL: &[(u8, &str)] = &[
        (TRUNCATED_FIELD, "truncated_field"),
        (EXTRA_FIELDS, "extra_fields"),
        (NON_HTTP_REQUEST, "non_http_request"),
        (ADDRESS_LIST, "address_list"),
        (INVALID_UTF8, "invalid_utf8"),
        (ASSUMED_UTC, "assumed_utc"),
        (INVALID_IP, "invalid_ip"),
        (REPAIRED_JSON, "repaired_json"),
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
    /// Cloud control-plane fields; `None` for sources that have none.
    pub service: Option<Box<ServiceFields<'a>>>,
    /// Values of the parser's extra columns ([`crate::LogParser::extra_columns`]), by
    /// slot: the variables of a user's `log_format` that have no column of their own.
    pub extra: Vec<(u16, Text<'a>)>,
}

impl<'a> Event<'a> {
    /// A default event at the end of `out`, to be filled where it lies: an event is a few
    /// hundred bytes, and `out.push(Event::default())` made it aside and copied it in (a
    /// `memcpy` call a record), where moving a filled one through a `Result` cost more
    /// than any single field.
    #[inline]
    pub(crate) fn push_default<'o>(out: &'o mut Vec<Event<'a>>) -> &'o mut Event<'a> {
        out.resize_with(out.len() + 1, Event::default);
        let last = out.len() - 1;
        &mut out[last]
    }

    /// The fields (as [`Event::field`] names them) that a parse with
    /// [`Detail::Identity`](crate::Detail::Identity) fills as a full parse does; the others
    /// may be left empty.
    pub const IDENTITY_FIELDS: &'static [&'static str] = &[
        "ts",
        "ts_raw",
        "event_id",
        "credential",
        "principal",
        "session_id",
        "src_ip",
        "action",
        "outcome",
        "status",
        "forwarded_for",
        "parse_notes",
        "region",
        "account_id",
        "recipient_account_id",
        "caller_kind",
    ];

    /// The same event with every field owned, for records parsed from a buffer that does
    /// not outlive the call (CloudTrail lookup-events wrap each record in a JSON string).
    pub fn into_owned(self) -> Event<'static> {
        Event {
            ts: self.ts,
            ts_raw: Cow::Owned(self.ts_raw.into_owned()),
            event_id: owned(self.event_id),
            credential: self.credential.map(Credential::into_owned),
            principal: owned(self.principal),
            session_id: owned(self.session_id),
            src_ip: owned(self.src_ip),
            user_agent: owned(self.user_agent),
            action: owned(self.action),
            target: owned(self.target),
            outcome: self.outcome,
            status: self.status,
            bytes: self.bytes,
            http_method: owned(self.http_method),
            http_version: owned(self.http_version),
            referer: owned(self.referer),
            forwarded_for: owned(self.forwarded_for),
            host: owned(self.host),
            request_raw: owned(self.request_raw),
            notes: self.notes,
            service: self.service.map(|c| Box::new(c.into_owned())),
            extra: self
                .extra
                .into_iter()
                .map(|(slot, v)| (slot, Cow::Owned(v.into_owned())))
                .collect(),
        }
    }

    /// A field rendered as text, by column name, for examples and tests. Secrets render as
    /// `<secret KIND>`, never their value.
    pub fn field(&self, name: &str) -> Option<String> {
        let t = |v: &Option<Text<'_>>| v.as_ref().map(|s| s.to_string());
        match name {
            "ts" => Some(self.ts.to_string()),
            "ts_raw" => Some(self.ts_raw.to_string()),
            "event_id" => t(&self.event_id),
            "credential" => self.credential.as_ref().map(render_credential),
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
            _ => self.service.as_deref().and_then(|c| service_field(c, name)),
        }
    }
}

fn render_credential(c: &Credential<'_>) -> String {
    match c {
        Credential::Public { kind, id } => format!("{}:{id}", kind.as_str()),
        Credential::Secret { kind, .. } => format!("<secret {}>", kind.as_str()),
    }
}

fn service_field(c: &ServiceFields<'_>, name: &str) -> Option<String> {
    let t = |v: &Option<Text<'_>>| v.as_ref().map(|s| s.to_string());
    match name {
        "region" => t(&c.region),
        "account_id" => t(&c.account_id),
        "recipient_account_id" => t(&c.recipient_account_id),
        "read_only" => c.read_only.map(|b| b.to_string()),
        "event_type" => t(&c.event_type),
        "error_code" => t(&c.error_code),
        "caller_kind" => c.caller_kind.map(|k| k.as_str().to_string()),
        "child_credential" => c.child_credential.as_ref().map(render_credential),
        "child_principal" => t(&c.child_principal),
        "lineage" => c.lineage.map(str::to_string),
        "app" => t(&c.app),
        "provider_country" => t(&c.provider_country),
        "provider_city" => t(&c.provider_city),
        "provider_asn" => c.provider_asn.map(|a| a.to_string()),
        "provider_as_org" => t(&c.provider_as_org),
        "provider_proxy" => c.provider_proxy.map(|b| b.to_string()),
        "risk" => t(&c.risk),
        _ => None,
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
