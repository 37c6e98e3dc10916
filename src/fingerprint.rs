//! The only place a secret credential becomes text: a keyed fingerprint.
//!
//! `<first characters>…<12 hex digits of HMAC-SHA256(key, secret)>`, e.g.
//! `tt_live_4f9KQ2…3f9a1c2e7b4d`. The hash makes the same token recognisable across files,
//! sources and runs without ever storing it; the key stops anyone from confirming a
//! guessed token against a report. The leading characters tell a responder which token it
//! was: 14 for a token longer than 30 characters (enough to recognise it and to match a
//! gateway's logged prefix, too little to use it), 4 for one of 16 to 30, none for a
//! shorter secret (a password).
//!
//! The key comes from `TOKENTRAIL_FINGERPRINT_KEY`; without it a built-in key is used, so
//! fingerprints are stable across machines but can be confirmed by anyone who has this
//! source code. Set your own key for reports that leave the team.
#![allow(clippy::disallowed_methods)] // the one module allowed to call Secret::expose

use std::collections::HashMap;

use hmac::{Hmac, KeyInit, Mac};
use sha2::Sha256;
use tokentrail_parsers::Secret;
use tokentrail_parsers::event::Credential;

pub const KEY_ENV: &str = "TOKENTRAIL_FINGERPRINT_KEY";
const DEFAULT_KEY: &[u8] = b"tokentrail fingerprint key v1 (set TOKENTRAIL_FINGERPRINT_KEY)";
/// How many leading characters a fingerprint shows, by the secret's length.
fn prefix_chars(len: usize) -> usize {
    match len {
        31.. => 14,
        16..=30 => 4,
        _ => 0,
    }
}

/// Turns secrets into fingerprints, remembering the ones it has seen: in API logs the same
/// token repeats on every line, and a hash per line would cost more than the parse.
#[derive(Clone)]
pub struct Fingerprinter {
    key: Vec<u8>,
    cache: HashMap<Vec<u8>, String>,
}

impl Fingerprinter {
    pub fn new(key: &[u8]) -> Fingerprinter {
        Fingerprinter {
            key: key.to_vec(),
            cache: HashMap::new(),
        }
    }

    /// The key from the environment, else the built-in one.
    pub fn from_env() -> Fingerprinter {
        match std::env::var_os(KEY_ENV) {
            Some(k) if !k.is_empty() => Fingerprinter::new(k.as_encoded_bytes()),
            _ => Fingerprinter::new(DEFAULT_KEY),
        }
    }

    /// A credential as text: a public id as it is, a secret as its fingerprint (the only
    /// way a secret becomes text).
    #[inline]
    pub fn credential_id<'a>(&'a mut self, credential: &'a Credential<'_>) -> &'a str {
        match credential {
            Credential::Public { id, .. } => id,
            Credential::Secret { value, .. } => self.fingerprint(value),
        }
    }

    pub fn fingerprint(&mut self, secret: &Secret<'_>) -> &str {
        let clear = secret.expose();
        if !self.cache.contains_key(clear) {
            let fp = compute(&self.key, clear);
            self.cache.insert(clear.to_vec(), fp);
        }
        self.cache.get(clear).map_or("", String::as_str)
    }
}

fn compute(key: &[u8], clear: &[u8]) -> String {
    let mut mac =
        <Hmac<Sha256> as KeyInit>::new_from_slice(key).expect("HMAC takes any key length");
    mac.update(clear);
    let digest = mac.finalize().into_bytes();
    let shown = prefix_chars(clear.len());
    let mut out = String::with_capacity(shown + 3 + 12);
    let prefix: String = String::from_utf8_lossy(&clear[..shown])
        .chars()
        .map(|c| if c.is_ascii_graphic() { c } else { '?' })
        .collect();
    out.push_str(&prefix);
    out.push('…');
    for b in &digest[..6] {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fingerprint_is_stable_keyed_and_hides_the_token() {
        let token = Secret::new(&b"ghp_abcdefghijklmnopqrstuvwxyz0123456789"[..]);
        let mut a = Fingerprinter::new(b"k1");
        let fp = a.fingerprint(&token).to_string();
        assert!(fp.starts_with("ghp_abcdefghij…"), "{fp}");
        assert_eq!(fp.chars().count(), 14 + 1 + 12);
        assert!(!fp.contains("abcdefghijk"));
        let medium = Fingerprinter::new(b"k1")
            .fingerprint(&Secret::new(&b"xoxb-123456789012"[..]))
            .to_string();
        assert!(medium.starts_with("xoxb…"), "{medium}");
        assert_eq!(a.fingerprint(&token), fp, "cached value is the same");
        assert_eq!(Fingerprinter::new(b"k1").fingerprint(&token), fp, "stable");
        assert_ne!(Fingerprinter::new(b"k2").fingerprint(&token), fp, "keyed");
    }

    #[test]
    fn short_secrets_get_no_prefix() {
        let mut f = Fingerprinter::new(b"k");
        let fp = f.fingerprint(&Secret::new(&b"hunter2"[..])).to_string();
        assert!(fp.starts_with('…'));
        assert!(!fp.contains("hunt"));
    }
}
