//! Synthetic event histories for the signals' unit tests: a row builder with the fields the
//! signals read, and a runner that scores a history the way `score` does.

use super::table::{Column, EventTable};
use super::{ScoreOptions, Scored, baseline::NS_PER_DAY, baseline::NS_PER_HOUR, score_table};

/// 2026-03-02 00:00 UTC, a Monday.
pub const MONDAY: i64 = 1_772_409_600 * 1_000_000_000;

#[derive(Clone, Debug)]
pub struct Row {
    pub ts: i64,
    pub source: &'static str,
    pub credential: Option<&'static str>,
    pub principal: Option<&'static str>,
    pub ip: &'static str,
    pub ip_class: &'static str,
    pub network: &'static str,
    pub country: Option<&'static str>,
    pub location: Option<(f64, f64)>,
    pub asn: Option<u32>,
    pub anonymizer: Option<&'static str>,
    pub client_family: &'static str,
    pub client_kind: &'static str,
    pub user_agent: &'static str,
    pub action: &'static str,
    pub outcome: &'static str,
    pub status: Option<i32>,
    pub bytes: Option<u64>,
    pub error_code: Option<&'static str>,
    pub risk: Option<&'static str>,
    /// The credential the call created.
    pub child: Option<&'static str>,
}

/// Alice's normal: the office in Stockholm, Chrome, `GET /api/v1/projects`.
pub fn office(ts: i64) -> Row {
    Row {
        ts,
        source: "nginx",
        credential: Some("tt_l…alice"),
        principal: None,
        ip: "89.160.20.130",
        ip_class: "public",
        network: "89.160.20.0/24",
        country: Some("SE"),
        location: Some((59.33, 18.06)),
        asn: Some(29518),
        anonymizer: None,
        client_family: "chrome/122",
        client_kind: "browser",
        user_agent: "Mozilla/5.0 Chrome/122.0",
        action: "GET /api/v1/projects",
        outcome: "success",
        status: Some(200),
        bytes: Some(5000),
        error_code: None,
        risk: None,
        child: None,
    }
}

/// The attacker: a Tor exit in London with python-requests.
pub fn attacker(ts: i64) -> Row {
    Row {
        ip: "81.2.69.166",
        network: "81.2.69.0/24",
        country: Some("GB"),
        location: Some((51.5, -0.1)),
        asn: None,
        anonymizer: Some("tor"),
        client_family: "python-requests/2",
        client_kind: "library",
        user_agent: "python-requests/2.31.0",
        ..office(ts)
    }
}

/// An AWS call by an IAM user's key from the office.
pub fn aws(action: &'static str, ts: i64) -> Row {
    Row {
        source: "cloudtrail",
        credential: Some("AKIAQ3EGALICE0000001"),
        principal: Some("arn:aws:iam::111122223333:user/alice"),
        action,
        status: None,
        client_family: "aws-cli/2",
        client_kind: "sdk",
        ..office(ts)
    }
}

/// `days` days of one call per hour from 00:00 UTC, `per_day` calls a day.
pub fn aws_days(action: &'static str, days: i64, per_day: i64) -> Vec<Row> {
    (0..days)
        .flat_map(|d| {
            (0..per_day).map(move |k| aws(action, MONDAY + d * NS_PER_DAY + k * NS_PER_HOUR))
        })
        .collect()
}

/// `days` weekdays of office use, `per_day` calls between 08:00 and 16:00 UTC.
pub fn office_days(days: i64, per_day: i64) -> Vec<Row> {
    let mut rows = Vec::new();
    for d in 0..days {
        for k in 0..per_day {
            let ts = MONDAY + d * NS_PER_DAY + 8 * NS_PER_HOUR + k * (8 * NS_PER_HOUR / per_day);
            rows.push(office(ts));
        }
    }
    rows
}

/// An office network that three credentials use every day, new to two colleagues whose
/// first days were from home (AS 7018) and who each try a new tool (curl) there, a minute
/// apart, on the fourth morning. Returns the rows and the colleagues' calls from the office.
pub fn colleagues_new_to_the_office() -> (Vec<Row>, Vec<usize>) {
    let as_cred = |credential: &'static str| {
        move |r: Row| Row {
            credential: Some(credential),
            ..r
        }
    };
    let mut rows = office_days(3, 10);
    for c in ["tt_live_dave", "tt_live_erin"] {
        rows.extend(office_days(3, 10).into_iter().map(as_cred(c)));
    }
    let t = MONDAY + 3 * NS_PER_DAY + 10 * NS_PER_HOUR;
    let mut colleagues = Vec::new();
    for (c, home) in [
        ("tt_live_bob", "12.82.85.0/24"),
        ("tt_live_carol", "12.83.17.0/24"),
    ] {
        rows.extend(office_days(3, 10).into_iter().map(|r| Row {
            network: home,
            asn: Some(7018),
            ..as_cred(c)(r)
        }));
        colleagues.push(rows.len());
        rows.push(Row {
            client_family: "curl/8",
            client_kind: "cli",
            user_agent: "curl/8.4.0",
            ..as_cred(c)(office(t + colleagues.len() as i64 * 60_000_000_000))
        });
    }
    (rows, colleagues)
}

pub fn table(rows: &[Row]) -> EventTable<'static> {
    let v = |f: &dyn Fn(&Row) -> Option<&'static str>| Column::Values(rows.iter().map(f).collect());
    EventTable {
        ts: rows.iter().map(|r| r.ts).collect(),
        source: v(&|r| Some(r.source)),
        credential: v(&|r| r.credential),
        credential_kind: v(&|_| None),
        principal: v(&|r| r.principal),
        session_id: v(&|_| None),
        src_ip: v(&|r| Some(r.ip)),
        user_agent: v(&|r| Some(r.user_agent)),
        action: v(&|r| Some(r.action)),
        target: v(&|_| None),
        outcome: v(&|r| Some(r.outcome)),
        status: Column::Values(rows.iter().map(|r| r.status).collect()),
        bytes: Column::Values(rows.iter().map(|r| r.bytes).collect()),
        error_code: v(&|r| r.error_code),
        region: v(&|_| None),
        child_credential: v(&|r| r.child),
        risk: v(&|r| r.risk),
        provider_proxy: Column::Values(rows.iter().map(|_| None).collect()),
        ip_class: v(&|r| Some(r.ip_class)),
        network: v(&|r| Some(r.network)),
        country: v(&|r| r.country),
        lat: Column::Values(rows.iter().map(|r| r.location.map(|l| l.0)).collect()),
        lon: Column::Values(rows.iter().map(|r| r.location.map(|l| l.1)).collect()),
        asn: Column::Values(rows.iter().map(|r| r.asn).collect()),
        anonymizer: v(&|r| r.anonymizer),
        client_family: v(&|r| Some(r.client_family)),
        client_kind: v(&|r| Some(r.client_kind)),
    }
}

/// Score a history; rows need not be in time order.
pub fn run(rows: &[Row]) -> Scored {
    score_table(&table(rows), &ScoreOptions::default())
}

/// The signals that fired on row `i`.
pub fn signals_of(scored: &Scored, i: usize) -> Vec<&'static str> {
    scored.reasons_of(i).iter().map(|r| r.signal).collect()
}

/// The frame `table(rows)` borrows from: the columns the scorer reads, the others absent.
pub fn frame(rows: &[Row]) -> polars::prelude::DataFrame {
    use crate::enrich::enriched;
    use crate::frame::col;
    use polars::prelude::*;
    let text = |name: &str, f: &dyn Fn(&Row) -> Option<&'static str>| {
        StringChunked::from_iter_options(name.into(), rows.iter().map(f)).into_column()
    };
    let none = |_: &Row| None;
    let ts = Int64Chunked::from_vec(col::TS.into(), rows.iter().map(|r| r.ts).collect())
        .into_datetime(TimeUnit::Nanoseconds, Some(TimeZone::UTC))
        .into_column();
    let columns = vec![
        ts,
        text(col::SOURCE, &|r| Some(r.source)),
        text(col::CREDENTIAL_ID, &|r| r.credential),
        text(col::CREDENTIAL_KIND, &none),
        text(col::PRINCIPAL, &|r| r.principal),
        text(col::SESSION_ID, &none),
        text(col::SRC_IP, &|r| Some(r.ip)),
        text(col::USER_AGENT, &|r| Some(r.user_agent)),
        text(col::ACTION, &|r| Some(r.action)),
        text(col::TARGET, &none),
        text(col::OUTCOME, &|r| Some(r.outcome)),
        text(col::ERROR_CODE, &|r| r.error_code),
        text(col::REGION, &none),
        text(col::CHILD_CREDENTIAL_ID, &|r| r.child),
        text(col::RISK, &|r| r.risk),
        text(enriched::IP_CLASS, &|r| Some(r.ip_class)),
        text(enriched::NETWORK, &|r| Some(r.network)),
        text(enriched::GEO_COUNTRY, &|r| r.country),
        text(enriched::ANONYMIZER, &|r| r.anonymizer),
        text(enriched::CLIENT_FAMILY, &|r| Some(r.client_family)),
        text(enriched::CLIENT_KIND, &|r| Some(r.client_kind)),
        Int32Chunked::from_iter_options(col::STATUS.into(), rows.iter().map(|r| r.status))
            .into_column(),
        UInt64Chunked::from_iter_options(col::BYTES.into(), rows.iter().map(|r| r.bytes))
            .into_column(),
        Float64Chunked::from_iter_options(
            enriched::GEO_LAT.into(),
            rows.iter().map(|r| r.location.map(|l| l.0)),
        )
        .into_column(),
        Float64Chunked::from_iter_options(
            enriched::GEO_LON.into(),
            rows.iter().map(|r| r.location.map(|l| l.1)),
        )
        .into_column(),
        UInt32Chunked::from_iter_options(enriched::ASN.into(), rows.iter().map(|r| r.asn))
            .into_column(),
        BooleanChunked::full_null(col::PROVIDER_PROXY.into(), rows.len()).into_column(),
    ];
    DataFrame::new(rows.len(), columns).expect("columns of equal length")
}
