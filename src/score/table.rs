//! The columns the signals read, borrowed from the event frame as plain slices: signals run
//! per event in tight loops, and indexing a `Vec<Option<&str>>` is cheaper and clearer there
//! than going through Polars for each value.

use polars::prelude::*;

use crate::enrich::enriched;
use crate::frame::col;

/// Sources whose events are HTTP requests (actions are `METHOD /path`): the one list the
/// route templates, action classes and token inference go by.
pub fn is_http_source(source: Option<&str>) -> bool {
    matches!(source, Some("nginx" | "nginx_json" | "nginx_error"))
}

/// Identity providers: their sign-ins are people's (Okta, Auth0, Entra ID).
pub fn is_identity_provider(source: Option<&str>) -> bool {
    matches!(source, Some("okta_system_log" | "auth0" | "entra_signin"))
}

pub struct EventTable<'a> {
    pub ts: Vec<i64>,
    pub source: Vec<Option<&'a str>>,
    pub credential: Vec<Option<&'a str>>,
    pub credential_kind: Vec<Option<&'a str>>,
    pub principal: Vec<Option<&'a str>>,
    pub session_id: Vec<Option<&'a str>>,
    pub src_ip: Vec<Option<&'a str>>,
    pub user_agent: Vec<Option<&'a str>>,
    pub action: Vec<Option<&'a str>>,
    pub target: Vec<Option<&'a str>>,
    pub outcome: Vec<Option<&'a str>>,
    pub status: Vec<Option<i32>>,
    pub bytes: Vec<Option<u64>>,
    pub error_code: Vec<Option<&'a str>>,
    pub region: Vec<Option<&'a str>>,
    pub child_credential: Vec<Option<&'a str>>,
    pub risk: Vec<Option<&'a str>>,
    pub provider_proxy: Vec<Option<bool>>,
    pub ip_class: Vec<Option<&'a str>>,
    pub network: Vec<Option<&'a str>>,
    pub country: Vec<Option<&'a str>>,
    pub lat: Vec<Option<f64>>,
    pub lon: Vec<Option<f64>>,
    pub asn: Vec<Option<u32>>,
    pub anonymizer: Vec<Option<&'a str>>,
    pub client_family: Vec<Option<&'a str>>,
    pub client_kind: Vec<Option<&'a str>>,
}

/// The text columns the scorer and the reports read: `hunt`, `timeline` and `score` keep
/// only these (and those the ingest reads itself) from raw logs. The enrichment columns
/// are listed too: a command that lists none of them gets them null
/// (`enrich::enrich_keeping`).
pub const COLUMNS: &[&str] = &[
    col::CREDENTIAL_ID,
    col::CREDENTIAL_KIND,
    col::PRINCIPAL,
    col::SESSION_ID,
    col::SRC_IP,
    col::USER_AGENT,
    col::ACTION,
    col::TARGET,
    col::OUTCOME,
    col::ERROR_CODE,
    col::REGION,
    col::CHILD_CREDENTIAL_ID,
    col::RISK,
    enriched::IP_CLASS,
    enriched::NETWORK,
    enriched::GEO_COUNTRY,
    enriched::GEO_LAT,
    enriched::GEO_LON,
    enriched::ASN,
    enriched::ANONYMIZER,
    enriched::CLIENT_FAMILY,
    enriched::CLIENT_KIND,
];

fn strs<'a>(df: &'a DataFrame, name: &str) -> PolarsResult<Vec<Option<&'a str>>> {
    Ok(df.column(name)?.str()?.iter().collect())
}

impl<'a> EventTable<'a> {
    /// Borrow the columns of an enriched frame.
    pub fn new(df: &'a DataFrame) -> PolarsResult<EventTable<'a>> {
        let ts = df
            .column(col::TS)?
            .datetime()?
            .physical()
            .iter()
            .map(|t| t.unwrap_or(i64::MIN))
            .collect();
        Ok(EventTable {
            ts,
            source: strs(df, col::SOURCE)?,
            credential: strs(df, col::CREDENTIAL_ID)?,
            credential_kind: strs(df, col::CREDENTIAL_KIND)?,
            principal: strs(df, col::PRINCIPAL)?,
            session_id: strs(df, col::SESSION_ID)?,
            src_ip: strs(df, col::SRC_IP)?,
            user_agent: strs(df, col::USER_AGENT)?,
            action: strs(df, col::ACTION)?,
            target: strs(df, col::TARGET)?,
            outcome: strs(df, col::OUTCOME)?,
            status: df.column(col::STATUS)?.i32()?.iter().collect(),
            bytes: df.column(col::BYTES)?.u64()?.iter().collect(),
            error_code: strs(df, col::ERROR_CODE)?,
            region: strs(df, col::REGION)?,
            child_credential: strs(df, col::CHILD_CREDENTIAL_ID)?,
            risk: strs(df, col::RISK)?,
            provider_proxy: df.column(col::PROVIDER_PROXY)?.bool()?.iter().collect(),
            ip_class: strs(df, enriched::IP_CLASS)?,
            network: strs(df, enriched::NETWORK)?,
            country: strs(df, enriched::GEO_COUNTRY)?,
            lat: df.column(enriched::GEO_LAT)?.f64()?.iter().collect(),
            lon: df.column(enriched::GEO_LON)?.f64()?.iter().collect(),
            asn: df.column(enriched::ASN)?.u32()?.iter().collect(),
            anonymizer: strs(df, enriched::ANONYMIZER)?,
            client_family: strs(df, enriched::CLIENT_FAMILY)?,
            client_kind: strs(df, enriched::CLIENT_KIND)?,
        })
    }

    pub fn len(&self) -> usize {
        self.ts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ts.is_empty()
    }

    /// What an event is attributed to: its credential, else its principal (failed logins
    /// carry a user but no session).
    pub fn subject(&self, i: usize) -> Option<&'a str> {
        self.credential[i].or(self.principal[i])
    }

    /// Whether the caller is AWS acting on the account's behalf (a service name or `AWS
    /// Internal` as the source address): never an attacker, never a pivot.
    pub fn is_service_caller(&self, i: usize) -> bool {
        matches!(
            self.ip_class[i],
            Some(crate::enrich::ipclass::AWS_SERVICE | crate::enrich::ipclass::AWS_INTERNAL)
        )
    }

    /// Whether the call failed for lack of permission or credentials (the attacker probing
    /// what a stolen key may do).
    pub fn is_denied(&self, i: usize) -> bool {
        if let Some(code) = self.error_code[i] {
            let c = code.to_ascii_lowercase();
            if c.contains("accessdenied")
                || c.contains("unauthorized")
                || c.contains("forbidden")
                || c.contains("notauthorized")
            {
                return true;
            }
        }
        matches!(self.status[i], Some(401 | 403))
    }

    /// Whether the event is a sign-in or token use that failed.
    pub fn is_failure(&self, i: usize) -> bool {
        matches!(self.outcome[i], Some("failure" | "denied"))
    }

    /// Whether the source address is a public one (not private, CGNAT, an AWS service…).
    pub fn public_address(&self, i: usize) -> bool {
        self.ip_class[i] == Some(crate::enrich::ipclass::PUBLIC)
    }
}
