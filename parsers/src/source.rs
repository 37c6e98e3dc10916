use std::fmt;

/// Stable identity of a log source: the `--source` value, the `source` column, the docs
/// anchor. Never rename a released id.
#[derive(Copy, Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceId {
    /// nginx access log in a text format (`combined`, `common`, `main`).
    Nginx,
    /// AWS CloudTrail records (S3 files, arrays, JSON Lines, lookup-events output).
    CloudTrail,
    /// Okta System Log `LogEvent`s (API pages, NDJSON, EventBridge envelopes).
    OktaSystemLog,
    /// Auth0 tenant logs (Management API pages, log streams).
    Auth0,
    /// Microsoft Entra ID sign-in logs (Graph, Azure Monitor, Log Analytics shapes).
    EntraSignIn,
    /// nginx access logs written as JSON objects, one per line.
    NginxJson,
    /// nginx error.log.
    NginxError,
}

impl SourceId {
    pub const ALL: &'static [SourceId] = &[
        SourceId::Nginx,
        SourceId::CloudTrail,
        SourceId::OktaSystemLog,
        SourceId::Auth0,
        SourceId::EntraSignIn,
        SourceId::NginxJson,
        SourceId::NginxError,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            SourceId::Nginx => "nginx",
            SourceId::CloudTrail => "cloudtrail",
            SourceId::OktaSystemLog => "okta_system_log",
            SourceId::Auth0 => "auth0",
            SourceId::EntraSignIn => "entra_signin",
            SourceId::NginxJson => "nginx_json",
            SourceId::NginxError => "nginx_error",
        }
    }

    /// Whether the source gives every event its own id (so repeated deliveries of one
    /// event can be recognised and removed).
    pub fn has_event_ids(self) -> bool {
        match self {
            SourceId::Nginx | SourceId::NginxJson | SourceId::NginxError => false,
            SourceId::CloudTrail
            | SourceId::OktaSystemLog
            | SourceId::Auth0
            | SourceId::EntraSignIn => true,
        }
    }

    pub fn from_id(id: &str) -> Option<SourceId> {
        SourceId::ALL.iter().copied().find(|s| s.as_str() == id)
    }
}

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
