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
    ///
    /// Each token agrees with the prefix on as many characters as both show: a token
    /// longer than 30 characters shows its first 14, one of 16 to 30 only its first 4. The
    /// token that agrees on the most is the match when it is the only one. Otherwise the
    /// short tokens of a family (an attacker's guesses, `tt_live_guess…` of 18
    /// characters, agreeing on `tt_l`) would leave every prefix of every real token of
    /// that family unlinked, though none of them is known to share the 8 or more
    /// characters a real token shows.
    pub fn resolve(&self, prefix: &str) -> Option<(&'a str, &'a str)> {
        let length = prefix.chars().count();
        if length < MIN_PREFIX {
            return None;
        }
        let mut best: Option<(usize, (&'a str, &'a str))> = None;
        let mut tied = false;
        for (id, (shown, kind)) in &self.shown {
            if !(shown.starts_with(prefix) || prefix.starts_with(shown)) {
                continue;
            }
            let agreed = shown.chars().count().min(length);
            match best {
                Some((most, _)) if agreed < most => {}
                Some((most, _)) if agreed == most => tied = true,
                _ => {
                    best = Some((agreed, (*id, *kind)));
                    tied = false;
                }
            }
        }
        best.filter(|_| !tied).map(|(_, token)| token)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Credential ids as the fingerprinter writes them: the first 14 characters of a token
    /// longer than 30, the first 4 of one of 16 to 30, then the keyed hash.
    fn tokens<'a>(ids: &[&'a str]) -> FullTokens<'a> {
        FullTokens::new(ids.iter().map(|id| (*id, "url_token")))
    }

    #[test]
    fn a_prefix_is_the_one_token_that_shows_it_whole() {
        let long = "tt_live_DdKUWo…080e8c5d7b75";
        let other = "tt_live_oSw7Ae…6f442599a534";
        let guess = "tt_l…086df5bb18e4";
        let full = tokens(&[long, other, guess]);
        assert_eq!(full.resolve("tt_live_DdKU"), Some((long, "url_token")));
        assert_eq!(full.resolve("tt_live_oSw7Ae"), Some((other, "url_token")));
        // Too short to mean anything, or of no token shown.
        assert_eq!(full.resolve("tt_live"), None);
        // No long token shows it: the short token is the only one that may begin with it.
        assert_eq!(full.resolve("tt_live_gues"), Some((guess, "url_token")));
        // Two long tokens show it, or two short ones may begin with it: no one token.
        let twins = tokens(&[long, "tt_live_DdKUWo…111111111111"]);
        assert_eq!(twins.resolve("tt_live_DdKU"), None);
        let shorts = tokens(&[guess, "tt_l…222222222222"]);
        assert_eq!(shorts.resolve("tt_live_gues"), None);
        // A prefix longer than what a long token shows: it shows the first 14.
        assert_eq!(full.resolve("tt_live_DdKUWoc6j"), Some((long, "url_token")));
    }
}
