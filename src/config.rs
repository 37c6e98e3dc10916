//! `tokentrail.toml`: what the responder knows about their own estate. Trusted networks
//! and ASNs (offices, VPN egress, CI runners), known automation user agents and credentials
//! to ignore, applied to baselines and signals alike. Documented in docs/detections.md.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};

/// The file read when `--config` is not given, if it exists in the working directory.
pub const DEFAULT_CONFIG: &str = "tokentrail.toml";

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ConfigFile {
    #[serde(default)]
    trusted: TrustedFile,
    #[serde(default)]
    ignore: IgnoreFile,
    #[serde(default)]
    input: InputSettings,
}

/// `[input]`: how a case's logs are read, kept with the case instead of retyped on every
/// command. Each has a command-line option of the same name; lists add to the options,
/// single values are overridden by them.
#[derive(Debug, Default, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputSettings {
    /// `--nginx-log-format`.
    pub nginx_log_format: Option<String>,
    /// `--nginx-conf` (relative to the config file's folder).
    pub nginx_conf: Option<PathBuf>,
    /// `--log-format-name`.
    pub log_format_name: Option<String>,
    /// `--token-prefix-field`.
    #[serde(default)]
    pub token_prefix_fields: Vec<String>,
    /// `--secret-param`.
    #[serde(default)]
    pub secret_params: Vec<String>,
    /// `--real-ip-from`.
    #[serde(default)]
    pub real_ip_from: Vec<String>,
    /// `--tz`.
    pub tz: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct TrustedFile {
    #[serde(default)]
    networks: Vec<String>,
    #[serde(default)]
    asns: Vec<u32>,
    #[serde(default)]
    user_agents: Vec<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct IgnoreFile {
    #[serde(default)]
    credentials: Vec<String>,
}

/// The allowlists, ready to match.
#[derive(Debug, Default, Clone)]
pub struct Config {
    pub trusted_networks: Vec<Cidr>,
    pub trusted_asns: Vec<u32>,
    /// Lower-cased substrings of user agents that are known automation.
    pub trusted_user_agents: Vec<String>,
    /// Credential ids (as shown: access key ids, fingerprints, session ids) never scored.
    pub ignored_credentials: Vec<String>,
    /// Where it was read from, for the report's method section.
    pub path: Option<PathBuf>,
    /// `[input]`: reading options kept with the case.
    pub input: InputSettings,
}

impl Config {
    /// Read `path`, or `tokentrail.toml` in the working directory when it exists, or
    /// nothing.
    pub fn load(path: Option<&Path>) -> Result<Config> {
        match path {
            Some(p) => Config::read(p),
            None if Path::new(DEFAULT_CONFIG).is_file() => Config::read(Path::new(DEFAULT_CONFIG)),
            None => Ok(Config::default()),
        }
    }

    fn read(path: &Path) -> Result<Config> {
        let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
            path: path.to_path_buf(),
            source,
        })?;
        let mut config = Config::parse(&text).map_err(|message| Error::Config {
            path: path.to_path_buf(),
            message,
        })?;
        if let Some(conf) = &mut config.input.nginx_conf
            && conf.is_relative()
            && let Some(dir) = path.parent()
        {
            *conf = dir.join(&*conf);
        }
        config.path = Some(path.to_path_buf());
        Ok(config)
    }

    pub fn parse(text: &str) -> std::result::Result<Config, String> {
        let file: ConfigFile = toml::from_str(text).map_err(|e| e.to_string())?;
        let trusted_networks = file
            .trusted
            .networks
            .iter()
            .map(|n| Cidr::parse(n).ok_or_else(|| format!("trusted.networks: `{n}` is not a CIDR")))
            .collect::<std::result::Result<_, _>>()?;
        Ok(Config {
            trusted_networks,
            trusted_asns: file.trusted.asns,
            trusted_user_agents: file
                .trusted
                .user_agents
                .iter()
                .map(|u| u.to_ascii_lowercase())
                .collect(),
            ignored_credentials: file.ignore.credentials,
            path: None,
            input: file.input,
        })
    }

    /// Whether an address or ASN is the estate's own: never a new network, never a pivot.
    pub fn trusts_address(&self, ip: Option<&str>, asn: Option<u32>) -> bool {
        if asn.is_some_and(|a| self.trusted_asns.contains(&a)) {
            return true;
        }
        if self.trusted_networks.is_empty() {
            return false; // asked for every event: no address to parse
        }
        match ip.and_then(|i| i.parse::<IpAddr>().ok()) {
            Some(ip) => self.trusted_networks.iter().any(|c| c.contains(ip)),
            None => false,
        }
    }

    pub fn trusts_user_agent(&self, ua: Option<&str>) -> bool {
        match ua {
            Some(ua) if !self.trusted_user_agents.is_empty() => {
                let lower = ua.to_ascii_lowercase();
                self.trusted_user_agents.iter().any(|t| lower.contains(t))
            }
            _ => false,
        }
    }

    pub fn ignores(&self, credential: &str) -> bool {
        self.ignored_credentials.iter().any(|c| c == credential)
    }
}

/// An IPv4 or IPv6 network.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cidr {
    addr: IpAddr,
    bits: u8,
}

impl Cidr {
    pub fn parse(text: &str) -> Option<Cidr> {
        let (addr, bits) = match text.split_once('/') {
            Some((a, b)) => (a.parse::<IpAddr>().ok()?, b.parse::<u8>().ok()?),
            None => {
                let a = text.parse::<IpAddr>().ok()?;
                (a, if a.is_ipv4() { 32 } else { 128 })
            }
        };
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (bits <= max).then_some(Cidr { addr, bits })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let prefix = |a: u128, width: u32| {
            let keep = u32::from(self.bits);
            if keep == 0 { 0 } else { a >> (width - keep) }
        };
        match (self.addr, ip) {
            (IpAddr::V4(n), IpAddr::V4(i)) => {
                prefix(u32::from(n).into(), 32) == prefix(u32::from(i).into(), 32)
            }
            (IpAddr::V6(n), IpAddr::V6(i)) => {
                prefix(u128::from(n), 128) == prefix(u128::from(i), 128)
            }
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_allowlists_and_matches_networks() {
        let c = Config::parse(
            r#"
            [trusted]
            networks = ["89.160.20.128/25", "2001:db8::/32", "216.160.83.58"]
            asns = [29518]
            user_agents = ["Nightly-Backup/"]
            [ignore]
            credentials = ["AKIAQ3EGCIDEPLOY0001"]
            "#,
        )
        .unwrap();
        assert!(c.trusts_address(Some("89.160.20.131"), None));
        assert!(!c.trusts_address(Some("89.160.20.127"), None));
        assert!(c.trusts_address(Some("2001:db8:1::5"), None));
        assert!(c.trusts_address(Some("216.160.83.58"), None));
        assert!(!c.trusts_address(Some("216.160.83.59"), None));
        assert!(c.trusts_address(Some("1.2.3.4"), Some(29518)));
        assert!(!c.trusts_address(Some("not an ip"), None));
        assert!(c.trusts_user_agent(Some("nightly-backup/1.2 (linux)")));
        assert!(!c.trusts_user_agent(Some("curl/8")));
        assert!(c.ignores("AKIAQ3EGCIDEPLOY0001"));
    }

    /// The example of docs/detections.md is a file this code reads.
    #[test]
    fn the_documented_example_parses() {
        let doc = include_str!("../docs/detections.md");
        let (_, block) = doc.split_once("```toml\n").expect("a toml block");
        let (block, _) = block.split_once("```").expect("its end");
        let c = Config::parse(block).unwrap();
        assert_eq!(c.trusted_asns, vec![29518]);
        assert_eq!(c.input.token_prefix_fields, vec!["http_x_token_id"]);
        assert_eq!(c.input.tz.as_deref(), Some("Europe/Berlin"));
        assert!(
            c.input
                .nginx_log_format
                .unwrap()
                .ends_with("rid=$request_id")
        );
    }

    #[test]
    fn rejects_bad_networks_and_unknown_keys() {
        assert!(Config::parse("[trusted]\nnetworks = [\"10.0.0.0/33\"]").is_err());
        assert!(Config::parse("[trusted]\nnetwork = []").is_err());
        assert!(Config::parse("").is_ok());
    }
}
