//! The columns the signals read, borrowed from the event frame and indexed by event
//! (`t.network[i]`): signals run per event in tight loops, and indexing is cheaper and
//! clearer there than going through Polars for each value. See [`Column`] for how a
//! column is held.

use polars::prelude::*;
use rayon::prelude::*;

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
    pub source: Column<&'a str>,
    pub credential: Column<&'a str>,
    pub credential_kind: Column<&'a str>,
    pub principal: Column<&'a str>,
    pub session_id: Column<&'a str>,
    pub src_ip: Column<&'a str>,
    pub user_agent: Column<&'a str>,
    pub action: Column<&'a str>,
    pub target: Column<&'a str>,
    pub outcome: Column<&'a str>,
    pub status: Column<i32>,
    pub bytes: Column<u64>,
    pub error_code: Column<&'a str>,
    pub region: Column<&'a str>,
    pub child_credential: Column<&'a str>,
    pub risk: Column<&'a str>,
    pub provider_proxy: Column<bool>,
    pub ip_class: Column<&'a str>,
    pub network: Column<&'a str>,
    pub country: Column<&'a str>,
    pub lat: Column<f64>,
    pub lon: Column<f64>,
    pub asn: Column<u32>,
    pub anonymizer: Column<&'a str>,
    pub client_family: Column<&'a str>,
    pub client_kind: Column<&'a str>,
}

/// One column of the table, indexed by event as a slice is (`t.network[i]`). Most of a
/// source's optional columns are null in every row (an nginx log has no session, region or
/// risk): such a column holds no rows. A column of a few distinct values (sources, address
/// classes, networks, countries, clients) holds a 4-byte id per row instead of a 16-byte
/// slice. On 8 million nginx events the two save some 2 GB.
pub enum Column<T> {
    /// Null in every row.
    Null(Option<T>),
    Values(Vec<Option<T>>),
    Ids {
        ids: Vec<u32>,
        values: Vec<Option<T>>,
    },
}

impl<T> std::ops::Index<usize> for Column<T> {
    type Output = Option<T>;

    #[inline]
    fn index(&self, i: usize) -> &Option<T> {
        match self {
            Column::Null(none) => none,
            Column::Values(v) => &v[i],
            Column::Ids { ids, values } => &values[ids[i] as usize],
        }
    }
}

impl<T> Column<T> {
    /// The frame's column `c` row by row, as `values` reads it; not read when it is null
    /// in every row (`frame::valued`: the frame outlives the table).
    fn read<'c, I: Iterator<Item = Option<T>>>(
        c: &'c polars::prelude::Column,
        values: impl FnOnce(&'c polars::prelude::Column) -> PolarsResult<I>,
    ) -> PolarsResult<Column<T>> {
        match crate::frame::valued(c) {
            Some(c) => Ok(Column::Values(values(c)?.collect())),
            None => Ok(Column::Null(None)),
        }
    }
}

/// A text column: by id when the frame says it has few distinct values.
fn text<'a>(df: &'a DataFrame, name: &str, few_values: bool) -> PolarsResult<Column<&'a str>> {
    // Asked before it is read as texts (`frame::valued`).
    let Some(c) = crate::frame::valued(df.column(name)?) else {
        return Ok(Column::Null(None));
    };
    let ca = c.str()?;
    if !few_values {
        return Ok(Column::Values(ca.iter().collect()));
    }
    let mut index: crate::score::FastMap<&str, u32> = crate::score::FastMap::default();
    let mut values = vec![None];
    let ids = ca
        .iter()
        .map(|v| match v {
            None => 0,
            Some(v) => *index.entry(v).or_insert_with(|| {
                values.push(Some(v));
                (values.len() - 1) as u32
            }),
        })
        .collect();
    Ok(Column::Ids { ids, values })
}

fn numbers<T>(df: &DataFrame, name: &str) -> PolarsResult<Column<T::Native>>
where
    T: PolarsNumericType,
{
    Column::read(df.column(name)?, |c| {
        let ca: &ChunkedArray<T> = c.as_materialized_series().unpack()?;
        Ok(ca.iter())
    })
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
        // Columns are read side by side (a look-up table per column of few values).
        let texts: Vec<(&str, bool)> = vec![
            (col::SOURCE, true),
            (col::CREDENTIAL_ID, false),
            (col::CREDENTIAL_KIND, true),
            (col::PRINCIPAL, false),
            (col::SESSION_ID, false),
            (col::SRC_IP, false),
            (col::USER_AGENT, false),
            (col::ACTION, false),
            (col::TARGET, false),
            (col::OUTCOME, true),
            (col::ERROR_CODE, true),
            (col::REGION, true),
            (col::CHILD_CREDENTIAL_ID, false),
            (col::RISK, true),
            (enriched::IP_CLASS, true),
            (enriched::NETWORK, true),
            (enriched::GEO_COUNTRY, true),
            (enriched::ANONYMIZER, true),
            (enriched::CLIENT_FAMILY, true),
            (enriched::CLIENT_KIND, true),
        ];
        let mut texts: crate::score::FastMap<&str, Column<&str>> = texts
            .into_par_iter()
            .map(|(name, few)| Ok((name, text(df, name, few)?)))
            .collect::<PolarsResult<_>>()?;
        let mut take = |name: &str| texts.remove(name).unwrap_or(Column::Null(None));
        Ok(EventTable {
            ts,
            source: take(col::SOURCE),
            credential: take(col::CREDENTIAL_ID),
            credential_kind: take(col::CREDENTIAL_KIND),
            principal: take(col::PRINCIPAL),
            session_id: take(col::SESSION_ID),
            src_ip: take(col::SRC_IP),
            user_agent: take(col::USER_AGENT),
            action: take(col::ACTION),
            target: take(col::TARGET),
            outcome: take(col::OUTCOME),
            error_code: take(col::ERROR_CODE),
            region: take(col::REGION),
            child_credential: take(col::CHILD_CREDENTIAL_ID),
            risk: take(col::RISK),
            ip_class: take(enriched::IP_CLASS),
            network: take(enriched::NETWORK),
            country: take(enriched::GEO_COUNTRY),
            anonymizer: take(enriched::ANONYMIZER),
            client_family: take(enriched::CLIENT_FAMILY),
            client_kind: take(enriched::CLIENT_KIND),
            status: numbers::<Int32Type>(df, col::STATUS)?,
            bytes: numbers::<UInt64Type>(df, col::BYTES)?,
            lat: numbers::<Float64Type>(df, enriched::GEO_LAT)?,
            lon: numbers::<Float64Type>(df, enriched::GEO_LON)?,
            asn: numbers::<UInt32Type>(df, enriched::ASN)?,
            provider_proxy: Column::read(df.column(col::PROVIDER_PROXY)?, |c| {
                Ok(c.bool()?.iter())
            })?,
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
        crate::frame::is_refused(self.outcome[i])
    }

    /// Whether the source address is a public one (not private, CGNAT, an AWS service…).
    pub fn public_address(&self, i: usize) -> bool {
        self.ip_class[i] == Some(crate::enrich::ipclass::PUBLIC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A column of one null (`frame::nulls_as_scalars`) is read as null in every row
    /// without being made a null a row in the frame, which outlives the table.
    #[test]
    fn a_column_of_one_null_is_not_made_rows() {
        let rows = 1_000;
        let df = DataFrame::new(
            rows,
            vec![
                polars::prelude::Column::full_null("region".into(), rows, &DataType::String),
                polars::prelude::Column::full_null("asn".into(), rows, &DataType::UInt32),
            ],
        )
        .unwrap();
        assert!(matches!(
            text(&df, "region", true).unwrap(),
            Column::Null(_)
        ));
        assert!(matches!(
            numbers::<UInt32Type>(&df, "asn").unwrap(),
            Column::Null(_)
        ));
        for c in df.columns() {
            let one = c.as_scalar_column().expect("one value");
            assert!(one.lazy_as_materialized_series().is_none(), "{}", c.name());
        }
    }

    /// Every way of holding a column reads back the frame's values, row by row.
    #[test]
    fn columns_read_back_every_row() {
        let networks = [
            Some("10.0.0.0/24"),
            None,
            Some("10.0.0.0/24"),
            Some("1.2.3.0/24"),
        ];
        let df = df!(
            "few" => networks,
            "none" => [None::<&str>, None, None, None],
            "asn" => [Some(64500u32), None, Some(64500), None],
        )
        .unwrap();
        let by_id = text(&df, "few", true).unwrap();
        let by_value = text(&df, "few", false).unwrap();
        assert!(matches!(by_id, Column::Ids { ref values, .. } if values.len() == 3));
        assert!(matches!(by_value, Column::Values(_)));
        assert!(matches!(text(&df, "none", true).unwrap(), Column::Null(_)));
        let asn = numbers::<UInt32Type>(&df, "asn").unwrap();
        for (i, want) in networks.iter().enumerate() {
            assert_eq!(by_id[i], *want);
            assert_eq!(by_value[i], *want);
            assert_eq!(text(&df, "none", false).unwrap()[i], None);
        }
        assert_eq!((asn[0], asn[1], asn[2]), (Some(64500), None, Some(64500)));
    }
}
