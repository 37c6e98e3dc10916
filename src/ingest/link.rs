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

pub(super) fn link_token_prefixes(mut frame: DataFrame) -> PolarsResult<DataFrame> {
    let kind = frame.column(col::CREDENTIAL_KIND)?.str()?.clone();
    if !kind.iter().any(|k| k == Some("token_prefix")) {
        return Ok(frame);
    }
    let cred = frame.column(col::CREDENTIAL_ID)?.str()?.clone();
    // Full tokens by the characters their fingerprint shows.
    let mut full: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
    for (c, k) in cred.iter().zip(kind.iter()) {
        if let (Some(c), Some(k)) = (c, k)
            && SECRET_KINDS.contains(&k)
            && let Some((shown, _)) = c.split_once('…')
            && !shown.is_empty()
        {
            full.insert(c, (shown, k));
        }
    }
    let resolve = |prefix: &str| -> Option<(&str, &str)> {
        if prefix.chars().count() < MIN_PREFIX {
            return None;
        }
        let mut hits = full
            .iter()
            .filter(|(_, (shown, _))| shown.starts_with(prefix) || prefix.starts_with(*shown))
            .map(|(id, (_, k))| (*id, *k));
        let first = hits.next()?;
        hits.next().is_none().then_some(first)
    };
    let notes = frame.column(col::PARSE_NOTES)?.str()?.clone();
    let mut new_cred = Vec::with_capacity(frame.height());
    let mut new_kind = Vec::with_capacity(frame.height());
    let mut new_notes = Vec::with_capacity(frame.height());
    for ((c, k), n) in cred.iter().zip(kind.iter()).zip(notes.iter()) {
        match (k, c.and_then(resolve)) {
            (Some("token_prefix"), Some((id, full_kind))) => {
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
