//! What `stats` keeps of the events: each source's distinct credentials and addresses.

use polars::prelude::{PlHashMap, PlHashSet, PlSmallStr};
use tokentrail_parsers::SourceId;

use super::value_hash;

/// What `stats` keeps of a source's events: its distinct credentials and client
/// addresses, by hash. Token prefixes, and the tokens they may stand for, are kept as
/// text: they are linked at the end as `ingest` links them.
#[derive(Default)]
pub(super) struct Counts {
    addresses: PlHashSet<u64>,
    credentials: PlHashSet<u64>,
    prefixes: PlHashSet<PlSmallStr>,
    tokens: PlHashMap<PlSmallStr, &'static str>,
}

impl Counts {
    pub(super) fn count(&mut self, credential: Option<(&str, &'static str)>, src_ip: Option<&str>) {
        if let Some(ip) = src_ip {
            self.addresses.insert(value_hash(ip));
        }
        match credential {
            Some((id, crate::ingest::TOKEN_PREFIX_KIND)) if !self.prefixes.contains(id) => {
                self.prefixes.insert(id.into());
            }
            Some((_, crate::ingest::TOKEN_PREFIX_KIND)) => {}
            Some((id, kind)) => {
                self.credentials.insert(value_hash(id));
                if crate::secrets::SECRET_KINDS.contains(&kind)
                    && id.contains('…')
                    && !self.tokens.contains_key(id)
                {
                    self.tokens.insert(id.into(), kind);
                }
            }
            None => {}
        }
    }

    pub(super) fn merge(&mut self, other: Counts) {
        self.addresses.extend(other.addresses);
        self.credentials.extend(other.credentials);
        self.prefixes.extend(other.prefixes);
        self.tokens.extend(other.tokens);
    }
}

/// Distinct credentials and addresses of each source, prefixes linked to their tokens.
pub(super) fn distinct_counts(
    counts: PlHashMap<SourceId, Counts>,
) -> PlHashMap<SourceId, (u64, u64)> {
    let tokens = crate::ingest::FullTokens::new(
        counts
            .values()
            .flat_map(|c| c.tokens.iter().map(|(id, kind)| (id.as_str(), *kind))),
    );
    counts
        .iter()
        .map(|(source, c)| {
            // A prefix linked to a token is that token, counted once with it.
            let named: PlHashSet<u64> = c
                .prefixes
                .iter()
                .map(|p| value_hash(tokens.resolve(p).map_or(p.as_str(), |(id, _)| id)))
                .filter(|h| !c.credentials.contains(h))
                .collect();
            let credentials = c.credentials.len() + named.len();
            (*source, (credentials as u64, c.addresses.len() as u64))
        })
        .collect()
}
