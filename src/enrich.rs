//! Enrichment of the event frame, offline: address classes and network prefixes (always),
//! GeoIP and ASN from MaxMind databases (with `--geoip DIR`), and the client fingerprint of
//! each user agent. Lookups run once per distinct value, not per event.

pub mod client;
pub mod geoip;
pub mod ipclass;

use polars::prelude::*;

use crate::config::Cidr;
use crate::frame::col;
pub use geoip::GeoDatabases;

/// `--real-ip-from`: when the peer is a trusted proxy, the client is the rightmost
/// address of the `X-Forwarded-For` chain that is not a trusted proxy, as nginx's real_ip
/// module with `real_ip_recursive on` decides. The peer is kept in `peer_ip`.
fn real_ip(df: &mut DataFrame, trusted: &[Cidr]) -> PolarsResult<()> {
    let n = df.height();
    if trusted.is_empty() {
        let peer = StringChunked::full_null(enriched::PEER_IP.into(), n).into_column();
        return set_columns(df, vec![peer]);
    }
    let mut peer = StringChunkedBuilder::new(enriched::PEER_IP.into(), n);
    let src = df.column(col::SRC_IP)?.str()?.clone();
    let chain = df.column(col::FORWARDED_FOR)?.str()?.clone();
    let mut client = StringChunkedBuilder::new(col::SRC_IP.into(), n);
    for (ip, xff) in src.iter().zip(chain.iter()) {
        match client_address(ip, xff, trusted) {
            Client::BehindProxy {
                client: real,
                peer: ip,
            } => {
                client.append_value(real);
                peer.append_value(ip);
            }
            Client::Direct(ip) => {
                client.append_option(ip);
                peer.append_null();
            }
        }
    }
    set_columns(
        df,
        vec![client.finish().into_column(), peer.finish().into_column()],
    )
}

/// Add columns, or replace those of the same name, at once: `with_column` makes the frame
/// build its schema again for each one (thirteen times a chunk: a fifth of `ingest` over
/// 50,000 CloudTrail files of a record or two).
fn set_columns(df: &mut DataFrame, columns: Vec<Column>) -> PolarsResult<()> {
    let (replaced, added): (Vec<Column>, Vec<Column>) = columns
        .into_iter()
        .partition(|c| df.columns().iter().any(|d| d.name() == c.name()));
    for c in replaced {
        df.with_column(c)?;
    }
    df.hstack_mut(&added)?;
    Ok(())
}

/// Who sent a request, as [`real_ip`] decides it for one event.
pub enum Client<'a> {
    /// The peer is the client (no trusted proxy in between).
    Direct(Option<&'a str>),
    /// A trusted proxy forwarded the request of `client`.
    BehindProxy { client: &'a str, peer: &'a str },
}

/// The client of one request: the peer, unless it is a trusted proxy with a forwarded
/// chain (see [`real_ip`]).
pub fn client_address<'a>(
    ip: Option<&'a str>,
    chain: Option<&'a str>,
    trusted: &[Cidr],
) -> Client<'a> {
    let is_trusted = |ip: &str| {
        ip.trim()
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| trusted.iter().any(|c| c.contains(ip)))
    };
    match (ip, chain) {
        (Some(ip), Some(xff)) if !trusted.is_empty() && is_trusted(ip) => {
            let entries: Vec<&str> = xff
                .split(',')
                .map(str::trim)
                .filter(|e| !e.is_empty())
                .collect();
            let real = entries
                .iter()
                .rev()
                .find(|e| !is_trusted(e))
                .or(entries.first())
                .copied()
                .unwrap_or(ip);
            Client::BehindProxy {
                client: real,
                peer: ip,
            }
        }
        _ => Client::Direct(ip),
    }
}

/// Columns added by [`enrich`]; documented in docs/schema.md.
pub mod enriched {
    pub const IP_CLASS: &str = "ip_class";
    pub const NETWORK: &str = "network";
    pub const GEO_COUNTRY: &str = "geo_country";
    pub const GEO_CITY: &str = "geo_city";
    pub const GEO_LAT: &str = "geo_lat";
    pub const GEO_LON: &str = "geo_lon";
    pub const ASN: &str = "asn";
    pub const AS_ORG: &str = "as_org";
    pub const ANONYMIZER: &str = "anonymizer";
    pub const CLIENT_FAMILY: &str = "client_family";
    pub const CLIENT_KIND: &str = "client_kind";
    /// HTTP actions with their ids replaced: `GET /api/v1/projects/{id}/builds`.
    pub const ROUTE: &str = "route";
    /// The peer address when `--real-ip-from` replaced `src_ip` with the client from the
    /// forwarded chain.
    pub const PEER_IP: &str = "peer_ip";

    pub const ALL: &[&str] = &[
        PEER_IP,
        IP_CLASS,
        NETWORK,
        GEO_COUNTRY,
        GEO_CITY,
        GEO_LAT,
        GEO_LON,
        ASN,
        AS_ORG,
        ANONYMIZER,
        CLIENT_FAMILY,
        CLIENT_KIND,
        ROUTE,
    ];

    /// Whether enrichment made or remade column `c`: its columns, and the client's
    /// address behind trusted proxies.
    pub fn made(c: &str) -> bool {
        ALL.contains(&c) || c == crate::frame::col::SRC_IP
    }
}

/// What is known of one client address.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AddressFacts {
    pub class: &'static str,
    pub network: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    /// Approximate location (degrees) from the City database, for impossible travel.
    pub location: Option<(f64, f64)>,
    pub asn: Option<u32>,
    pub as_org: Option<String>,
    pub anonymizer: Option<&'static str>,
}

/// The facts of one address: its class and prefix from the text alone, and what the
/// databases say when the address is public.
pub fn address_facts(
    src_ip: &str,
    caller_kind: Option<&str>,
    geo: Option<&GeoDatabases>,
) -> AddressFacts {
    let (class, ip) = ipclass::classify(src_ip, caller_kind);
    let mut facts = AddressFacts {
        class,
        network: ip.map(ipclass::network_prefix),
        ..AddressFacts::default()
    };
    if let (Some(ip), Some(geo)) = (ip, geo)
        && class == ipclass::PUBLIC
    {
        geo.fill(ip, &mut facts);
    }
    facts
}

/// Add the enrichment columns to the frame.
pub fn enrich(
    df: &mut DataFrame,
    geo: Option<&GeoDatabases>,
    real_ip_from: &[Cidr],
) -> PolarsResult<()> {
    enrich_keeping(df, geo, real_ip_from, None)
}

/// [`enrich`] for a command that reads only the columns `kept` (`None`: all): the
/// enrichment columns it does not read are null (the frame keeps its schema), and the
/// lookups behind them are not made (`credentials` and `stats` read none of them).
pub fn enrich_keeping(
    df: &mut DataFrame,
    geo: Option<&GeoDatabases>,
    real_ip_from: &[Cidr],
    kept: Option<&[&str]>,
) -> PolarsResult<()> {
    real_ip(df, real_ip_from)?;
    let n = df.height();
    // A group of columns is made only when the command reads one of them; every column
    // it does not read is made null below, so the frame keeps its schema.
    let read = |c: &str| kept.is_none_or(|k| k.contains(&c));
    use enriched::*;
    // The facts of addresses are every column but the peer, clients and routes.
    let others = [PEER_IP, CLIENT_FAMILY, CLIENT_KIND, ROUTE];
    let addresses_read = ALL.iter().any(|c| !others.contains(c) && read(c));
    let clients_read = read(CLIENT_FAMILY) || read(CLIENT_KIND);
    let rows = |made: bool| if made { n } else { 0 };
    let src = df.column(col::SRC_IP)?.str()?.clone();
    // Read row by row only when some event says who called (`frame::valued`: an nginx
    // chunk's is a column of one null).
    let caller = crate::frame::valued(df.column(col::CALLER_KIND)?)
        .map(|c| c.str().cloned())
        .transpose()?;
    let mut kinds = caller.as_ref().map(|c| c.iter());
    let mut cache: PlHashMap<(Option<&str>, Option<&str>), AddressFacts> = PlHashMap::default();
    let cap = rows(addresses_read);
    let mut class = StringChunkedBuilder::new(IP_CLASS.into(), cap);
    let mut network = StringChunkedBuilder::new(NETWORK.into(), cap);
    let mut country = StringChunkedBuilder::new(GEO_COUNTRY.into(), cap);
    let mut city = StringChunkedBuilder::new(GEO_CITY.into(), cap);
    let mut lat: Vec<Option<f64>> = Vec::with_capacity(cap);
    let mut lon: Vec<Option<f64>> = Vec::with_capacity(cap);
    let mut asn: Vec<Option<u32>> = Vec::with_capacity(cap);
    let mut as_org = StringChunkedBuilder::new(AS_ORG.into(), cap);
    let mut anonymizer = StringChunkedBuilder::new(ANONYMIZER.into(), cap);
    for ip in src.iter().take(cap) {
        let kind = kinds.as_mut().and_then(Iterator::next).flatten();
        let facts = cache.entry((ip, kind)).or_insert_with(|| match ip {
            Some(ip) => address_facts(ip, kind, geo),
            None => AddressFacts::default(),
        });
        if ip.is_some() {
            class.append_value(facts.class);
        } else {
            class.append_null();
        }
        network.append_option(facts.network.as_deref());
        country.append_option(facts.country.as_deref());
        city.append_option(facts.city.as_deref());
        lat.push(facts.location.map(|l| l.0));
        lon.push(facts.location.map(|l| l.1));
        asn.push(facts.asn);
        as_org.append_option(facts.as_org.as_deref());
        anonymizer.append_option(facts.anonymizer);
    }
    let agents = df.column(col::USER_AGENT)?.str()?.clone();
    let mut ua_cache: PlHashMap<&str, client::Client> = PlHashMap::default();
    let cap = rows(clients_read);
    let mut family = StringChunkedBuilder::new(CLIENT_FAMILY.into(), cap);
    let mut kind = StringChunkedBuilder::new(CLIENT_KIND.into(), cap);
    for ua in agents.iter().take(cap) {
        match ua {
            Some(ua) => {
                let c = ua_cache
                    .entry(ua)
                    .or_insert_with(|| client::fingerprint(ua));
                family.append_value(&c.family);
                kind.append_value(c.kind.as_str());
            }
            None => {
                family.append_null();
                kind.append_null();
            }
        }
    }
    // Route templates, once per distinct action: "a new endpoint for this token" must
    // mean a new route, not a new project id.
    let source = df.column(col::SOURCE)?.str()?.clone();
    let actions = df.column(col::ACTION)?.str()?.clone();
    let mut routes: PlHashMap<&str, String> = PlHashMap::default();
    let cap = rows(read(ROUTE));
    let mut route = StringChunkedBuilder::new(ROUTE.into(), cap);
    for (s, a) in source.iter().zip(actions.iter()).take(cap) {
        match (s, a) {
            (s, Some(a)) if crate::score::table::is_http_source(s) => {
                let r = routes
                    .entry(a)
                    .or_insert_with(|| crate::score::actions::route_template(a));
                route.append_value(r.as_str());
            }
            _ => route.append_null(),
        }
    }
    let made = [
        class.finish().into_column(),
        network.finish().into_column(),
        country.finish().into_column(),
        city.finish().into_column(),
        Float64Chunked::from_iter_options(GEO_LAT.into(), lat.into_iter()).into_column(),
        Float64Chunked::from_iter_options(GEO_LON.into(), lon.into_iter()).into_column(),
        UInt32Chunked::from_iter_options(ASN.into(), asn.into_iter()).into_column(),
        as_org.finish().into_column(),
        anonymizer.finish().into_column(),
        family.finish().into_column(),
        kind.finish().into_column(),
        route.finish().into_column(),
    ];
    // Made for the few rows of this chunk, then dropped: only what is read stays.
    let columns = made
        .into_iter()
        .map(|column| match read(column.name().as_str()) {
            // An array of nulls costs its rows (no GeoIP database: every geo column).
            true if column.null_count() < n => column,
            _ => Column::full_null(column.name().clone(), n, column.dtype()),
        })
        .collect();
    set_columns(df, columns)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A command that reads no enrichment column gets the same schema, with those columns
    /// null, and still the client behind a trusted proxy; one that reads some gets those.
    #[test]
    fn enrichment_not_read_is_null_with_the_same_schema() {
        let frame = || {
            df!(
                col::SRC_IP => [Some("10.0.0.1"), Some("8.8.8.8"), None],
                col::FORWARDED_FOR => [Some("203.0.113.9"), None, None],
                col::CALLER_KIND => [Some("ip"), Some("ip"), None],
                col::USER_AGENT => [Some("curl/8.5.0"), None, None],
                col::SOURCE => ["nginx", "nginx", "nginx"],
                col::ACTION => [Some("GET /users/12"), None, None],
            )
            .unwrap()
        };
        let trusted = [Cidr::parse("10.0.0.0/8").unwrap()];
        let (mut full, mut lean) = (frame(), frame());
        enrich(&mut full, None, &trusted).unwrap();
        enrich_keeping(&mut lean, None, &trusted, Some(&[col::SRC_IP])).unwrap();
        assert_eq!(full.schema(), lean.schema());
        for c in [col::SRC_IP, enriched::PEER_IP] {
            assert_eq!(full.column(c).unwrap(), lean.column(c).unwrap(), "{c}");
        }
        for c in enriched::ALL.iter().filter(|c| **c != enriched::PEER_IP) {
            assert_eq!(lean.column(c).unwrap().null_count(), 3, "{c}");
        }
        assert_eq!(full.column(enriched::IP_CLASS).unwrap().null_count(), 1);
        // Reading some enrichment columns: those, as a full enrichment gives them.
        let mut some = frame();
        enrich_keeping(&mut some, None, &trusted, Some(&[enriched::IP_CLASS])).unwrap();
        assert_eq!(full.schema(), some.schema());
        assert_eq!(
            full.column(enriched::IP_CLASS).unwrap(),
            some.column(enriched::IP_CLASS).unwrap()
        );
        assert_eq!(full.column(enriched::ROUTE).unwrap().null_count(), 2);
        for c in [enriched::ROUTE, enriched::NETWORK, enriched::CLIENT_FAMILY] {
            assert_eq!(some.column(c).unwrap().null_count(), 3, "{c}");
        }
        assert_eq!(
            lean.column(col::SRC_IP).unwrap().str().unwrap().get(0),
            Some("203.0.113.9")
        );
    }
}
