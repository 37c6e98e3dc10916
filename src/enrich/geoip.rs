//! MaxMind databases (GeoLite2/GeoIP2 City or Country, ASN, Anonymous-IP), found in a
//! folder by their own metadata, never by file name.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use maxminddb::{Reader, geoip2};

use super::AddressFacts;

pub const GEOIP_ENV: &str = "TOKENTRAIL_GEOIP";

/// The databases found in a folder.
#[derive(Default)]
pub struct GeoDatabases {
    city: Option<Reader<Vec<u8>>>,
    country: Option<Reader<Vec<u8>>>,
    asn: Option<Reader<Vec<u8>>>,
    anonymous: Option<Reader<Vec<u8>>>,
    /// `file: type (build date)` of each database used, for reports' method section.
    pub loaded: Vec<String>,
}

impl GeoDatabases {
    /// Open every `.mmdb` file in `dir`; each is used for what its metadata says it is.
    pub fn open_dir(dir: &Path) -> Result<GeoDatabases, String> {
        let mut dbs = GeoDatabases::default();
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let mut paths: Vec<PathBuf> = entries
            .filter_map(|e| e.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "mmdb"))
            .collect();
        paths.sort();
        for path in paths {
            let reader =
                Reader::open_readfile(&path).map_err(|e| format!("{}: {e}", path.display()))?;
            let kind = reader.metadata().database_type.clone();
            let built = chrono::DateTime::from_timestamp(reader.metadata().build_epoch as i64, 0)
                .map(|d| d.format("%Y-%m-%d").to_string())
                .unwrap_or_default();
            let slot = if kind.contains("Anonymous-IP") {
                &mut dbs.anonymous
            } else if kind.contains("ASN") {
                &mut dbs.asn
            } else if kind.contains("City") {
                &mut dbs.city
            } else if kind.contains("Country") {
                &mut dbs.country
            } else {
                continue;
            };
            if slot.is_none() {
                dbs.loaded
                    .push(format!("{}: {kind} ({built})", path.display()));
                *slot = Some(reader);
            }
        }
        if dbs.loaded.is_empty() {
            return Err(format!(
                "{}: no MaxMind database (.mmdb) found",
                dir.display()
            ));
        }
        Ok(dbs)
    }

    /// Fill the geography, ASN and anonymizer facts of a public address.
    pub fn fill(&self, ip: IpAddr, facts: &mut AddressFacts) {
        if let Some(city) = self
            .city
            .as_ref()
            .and_then(|r| r.lookup(ip).ok()?.decode::<geoip2::City>().ok()?)
        {
            facts.country = city.country.iso_code.map(str::to_string);
            facts.city = city.city.names.english.map(str::to_string);
            if let (Some(lat), Some(lon)) = (city.location.latitude, city.location.longitude) {
                facts.location = Some((lat, lon));
            }
        } else if let Some(country) = self
            .country
            .as_ref()
            .and_then(|r| r.lookup(ip).ok()?.decode::<geoip2::Country>().ok()?)
        {
            facts.country = country.country.iso_code.map(str::to_string);
        }
        if let Some(asn) = self
            .asn
            .as_ref()
            .and_then(|r| r.lookup(ip).ok()?.decode::<geoip2::Asn>().ok()?)
        {
            facts.asn = asn.autonomous_system_number;
            facts.as_org = asn.autonomous_system_organization.map(str::to_string);
        }
        if let Some(anon) = self
            .anonymous
            .as_ref()
            .and_then(|r| r.lookup(ip).ok()?.decode::<geoip2::AnonymousIp>().ok()?)
        {
            let yes = |b: Option<bool>| b == Some(true);
            // The most specific flag wins: Tor, then a public proxy, a VPN, a hosting network.
            facts.anonymizer = if yes(anon.is_tor_exit_node) {
                Some("tor")
            } else if yes(anon.is_public_proxy) {
                Some("public_proxy")
            } else if yes(anon.is_residential_proxy) {
                Some("residential_proxy")
            } else if yes(anon.is_anonymous_vpn) {
                Some("vpn")
            } else if yes(anon.is_hosting_provider) {
                Some("hosting")
            } else if yes(anon.is_anonymous) {
                Some("anonymous")
            } else {
                None
            };
        }
    }
}
