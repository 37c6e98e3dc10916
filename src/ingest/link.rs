//! Token prefixes linked to their tokens. Gateways often log only a token's first
//! characters (`--token-prefix-field`); the same token in full is fingerprinted elsewhere
//! (a query string, another log), and its fingerprint keeps its first 14 characters. A
//! prefix that exactly one full token starts with is that token: its calls take the
//! token's credential id, marked `prefix_linked` in `parse_notes`.

use std::collections::BTreeMap;

use polars::prelude::*;

use crate::frame::col;
use crate::secrets::SECRET_KINDS;

/// Shorter prefixes would match too many tokens to mean anything.
const MIN_PREFIX: usize = 8;

/// The kind of a credential that is only a token's leading characters.
pub const TOKEN_PREFIX_KIND: &str = "token_prefix";

/// Full tokens by the characters their fingerprint shows.
pub struct FullTokens<'a> {
    shown: BTreeMap<&'a str, (&'a str, &'a str)>,
}

impl<'a> FullTokens<'a> {
    /// From the credentials (id, kind) of a run; a token seen under several kinds keeps
    /// the last.
    pub fn new(credentials: impl Iterator<Item = (&'a str, &'a str)>) -> FullTokens<'a> {
        let mut shown = BTreeMap::new();
        for (c, k) in credentials {
            if SECRET_KINDS.contains(&k)
                && let Some((prefix, _)) = c.split_once('…')
                && !prefix.is_empty()
            {
                shown.insert(c, (prefix, k));
            }
        }
        FullTokens { shown }
    }

    /// The one full token (id, kind) that `prefix` is the start of, if there is one.
    pub fn resolve(&self, prefix: &str) -> Option<(&'a str, &'a str)> {
        if prefix.chars().count() < MIN_PREFIX {
            return None;
        }
        let mut hits = self
            .shown
            .iter()
            .filter(|(_, (shown, _))| shown.starts_with(prefix) || prefix.starts_with(*shown))
            .map(|(id, (_, k))| (*id, *k));
        let first = hits.next()?;
        hits.next().is_none().then_some(first)
    }
}

pub(super) fn link_token_prefixes(frame: DataFrame) -> PolarsResult<DataFrame> {
    let kind = frame.column(col::CREDENTIAL_KIND)?.str()?.clone();
    if !kind.iter().any(|k| k == Some(TOKEN_PREFIX_KIND)) {
        return Ok(frame);
    }
    let cred = frame.column(col::CREDENTIAL_ID)?.str()?.clone();
    let full = FullTokens::new(
        cred.iter()
            .zip(kind.iter())
            .filter_map(|(c, k)| Some((c?, k?))),
    );
    link_token_prefixes_with(frame, &full)
}

/// [`link_token_prefixes`] with the full tokens of the whole run given: a frame of one
/// hour of it (`ingest` writing hour by hour) links to tokens seen in any hour.
pub(super) fn link_token_prefixes_with(
    mut frame: DataFrame,
    full: &FullTokens<'_>,
) -> PolarsResult<DataFrame> {
    let kind = frame.column(col::CREDENTIAL_KIND)?.str()?.clone();
    if !kind.iter().any(|k| k == Some(TOKEN_PREFIX_KIND)) {
        return Ok(frame);
    }
    let cred = frame.column(col::CREDENTIAL_ID)?.str()?.clone();
    let resolve = |prefix: &str| full.resolve(prefix);
    let notes = frame.column(col::PARSE_NOTES)?.str()?.clone();
    let mut new_cred = Vec::with_capacity(frame.height());
    let mut new_kind = Vec::with_capacity(frame.height());
    let mut new_notes = Vec::with_capacity(frame.height());
    for ((c, k), n) in cred.iter().zip(kind.iter()).zip(notes.iter()) {
        match (k, c.and_then(resolve)) {
            (Some(TOKEN_PREFIX_KIND), Some((id, full_kind))) => {
                new_cred.push(Some(id.to_string()));
                new_kind.push(Some(full_kind.to_string()));
                new_notes.push(Some(match n {
                    Some(n) if !n.is_empty() => format!("{n},prefix_linked"),
                    _ => "prefix_linked".to_string(),
                }));
            }
            _ => {
                new_cred.push(c.map(str::to_string));
                new_kind.push(k.map(str::to_string));
                new_notes.push(n.map(str::to_string));
            }
        }
    }
    frame.with_column(
        StringChunked::from_iter_options(col::CREDENTIAL_ID.into(), new_cred.into_iter())
            .into_column(),
    )?;
    frame.with_column(
        StringChunked::from_iter_options(col::CREDENTIAL_KIND.into(), new_kind.into_iter())
            .into_column(),
    )?;
    frame.with_column(
        StringChunked::from_iter_options(col::PARSE_NOTES.into(), new_notes.into_iter())
            .into_column(),
    )?;
    Ok(frame)
}
