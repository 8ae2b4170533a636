//! HTTP Digest (RFC 7616, MD5 and SHA-256, qop "auth") and Basic (RFC 7617) authentication,
//! both sides, without I/O. TR-069 3.4.4: the CPE authenticates to the ACS with Basic (over
//! TLS only) or Digest; the ACS authenticates Connection Requests with Digest.

use md5::Md5;
use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

/// The digest hash function.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum DigestAlgorithm {
    /// `MD5` (the RFC 2617 default, what most CPEs speak).
    #[default]
    Md5,
    /// `SHA-256` (RFC 7616).
    Sha256,
}

impl DigestAlgorithm {
    pub(crate) fn name(self) -> &'static str {
        match self {
            DigestAlgorithm::Md5 => "MD5",
            DigestAlgorithm::Sha256 => "SHA-256",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<DigestAlgorithm> {
        let s = s.trim();
        if s.is_empty() || s.eq_ignore_ascii_case("MD5") {
            Some(DigestAlgorithm::Md5)
        } else if s.eq_ignore_ascii_case("SHA-256") {
            Some(DigestAlgorithm::Sha256)
        } else {
            None
        }
    }

    /// Hex digits of a hash: 32 for MD5, 64 for SHA-256.
    pub(crate) fn hex_len(self) -> usize {
        match self {
            DigestAlgorithm::Md5 => 32,
            DigestAlgorithm::Sha256 => 64,
        }
    }

    pub(crate) fn hash(self, data: &str) -> String {
        self.hash_parts(&[data.as_bytes()])
    }

    /// The hash of the concatenated parts, in lower-case hex.
    pub(crate) fn hash_parts(self, parts: &[&[u8]]) -> String {
        self.hex_digest(parts).as_str().to_owned()
    }

    /// The hash of the concatenated parts, in lower-case hex on the stack (no intermediate
    /// string, no allocation: the server's verification runs on every session).
    pub(crate) fn hex_digest(self, parts: &[&[u8]]) -> HexDigest {
        match self {
            DigestAlgorithm::Md5 => {
                let mut h = Md5::new();
                parts.iter().for_each(|p| h.update(p));
                HexDigest::of(&h.finalize())
            }
            DigestAlgorithm::Sha256 => {
                let mut h = Sha256::new();
                parts.iter().for_each(|p| h.update(p));
                HexDigest::of(&h.finalize())
            }
        }
    }
}

/// Up to 32 bytes in lower-case hex, on the stack.
#[derive(Clone, Copy)]
pub(crate) struct HexDigest {
    buf: [u8; 64],
    len: usize,
}

impl HexDigest {
    /// `bytes` (the first 32 at most) in lower-case hex.
    pub(crate) fn of(bytes: &[u8]) -> HexDigest {
        const DIGITS: &[u8; 16] = b"0123456789abcdef";
        let mut d = HexDigest {
            buf: [0; 64],
            len: 0,
        };
        for b in bytes.iter().take(32) {
            d.buf[d.len] = DIGITS[usize::from(b >> 4)];
            d.buf[d.len + 1] = DIGITS[usize::from(b & 15)];
            d.len += 2;
        }
        d
    }

    /// Hex text given as such (lower-cased); None if longer than 64 characters.
    pub(crate) fn from_hex(text: &str) -> Option<HexDigest> {
        let mut d = HexDigest {
            buf: [0; 64],
            len: text.len(),
        };
        d.buf
            .get_mut(..text.len())?
            .copy_from_slice(text.as_bytes());
        d.buf[..d.len].make_ascii_lowercase();
        Some(d)
    }

    /// The digits.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// The digits as text (they are ASCII).
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
    }
}

/// One `Digest` challenge of a `WWW-Authenticate` header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Challenge {
    pub realm: String,
    pub nonce: String,
    pub opaque: Option<String>,
    pub algorithm: DigestAlgorithm,
    pub qop_auth: bool,
    pub stale: bool,
}

/// Splits `k=v, k2="v 2"` into pairs (quoted values unquoted).
/// Splits `k=v, k2="v 2"` into pairs (quoted values unquoted), borrowing from `s`: one pass
/// over the bytes (every delimiter is ASCII, so each cut is on a character boundary).
fn params(s: &str) -> Vec<(&str, &str)> {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(12);
    let mut i = 0;
    let skip = |i: &mut usize| {
        while *i < b.len() && (b[*i] == b',' || b[*i].is_ascii_whitespace()) {
            *i += 1;
        }
    };
    loop {
        skip(&mut i);
        let key_start = i;
        while i < b.len() && b[i] != b'=' {
            i += 1;
        }
        if i >= b.len() {
            break;
        }
        let key = s[key_start..i].trim();
        i += 1;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        let value;
        if i < b.len() && b[i] == b'"' {
            let start = i + 1;
            i = memchr::memchr(b'"', &b[start..]).map_or(b.len(), |n| start + n);
            value = &s[start..i];
            i = (i + 1).min(b.len());
        } else {
            let start = i;
            while i < b.len() && b[i] != b',' {
                i += 1;
            }
            value = s[start..i].trim();
        }
        out.push((key, value));
    }
    out
}

/// The value of parameter `k` (names are case-insensitive).
fn get<'a>(p: &[(&str, &'a str)], k: &str) -> Option<&'a str> {
    p.iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(k))
        .map(|(_, v)| *v)
}

/// The Digest challenges in `WWW-Authenticate` values, strongest first.
pub(crate) fn parse_challenges<'a>(values: impl Iterator<Item = &'a str>) -> Vec<Challenge> {
    let mut out = Vec::new();
    for v in values {
        // several challenges may share one header: split before each scheme name
        for part in v.split("Digest ").skip(1) {
            let p = params(part);
            let Some(algorithm) = DigestAlgorithm::parse(get(&p, "algorithm").unwrap_or("")) else {
                continue;
            };
            let (Some(realm), Some(nonce)) = (get(&p, "realm"), get(&p, "nonce")) else {
                continue;
            };
            out.push(Challenge {
                realm: realm.to_owned(),
                nonce: nonce.to_owned(),
                opaque: get(&p, "opaque").map(str::to_owned),
                algorithm,
                qop_auth: get(&p, "qop").is_some_and(|q| q.split(',').any(|x| x.trim() == "auth")),
                stale: get(&p, "stale").is_some_and(|s| s.eq_ignore_ascii_case("true")),
            });
        }
    }
    out.sort_by_key(|c| c.algorithm != DigestAlgorithm::Sha256);
    out
}

/// Whether a `WWW-Authenticate` value offers Basic.
pub(crate) fn offers_basic(value: &str) -> bool {
    value.trim_start().to_ascii_lowercase().starts_with("basic")
}

/// The `Authorization` value answering `c` for a request `method uri`.
pub(crate) fn authorization(
    c: &Challenge,
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
    nc: u32,
) -> String {
    let ha1 = c
        .algorithm
        .hash(&format!("{username}:{}:{password}", c.realm));
    let ha2 = c.algorithm.hash(&format!("{method}:{uri}"));
    let nc = format!("{nc:08x}");
    let mut h = format!(
        "Digest username=\"{username}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", algorithm={}",
        c.realm,
        c.nonce,
        c.algorithm.name()
    );
    let response = if c.qop_auth {
        h.push_str(&format!(", qop=auth, nc={nc}, cnonce=\"{cnonce}\""));
        c.algorithm
            .hash(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", c.nonce))
    } else {
        c.algorithm.hash(&format!("{ha1}:{}:{ha2}", c.nonce))
    };
    h.push_str(&format!(", response=\"{response}\""));
    if let Some(o) = &c.opaque {
        h.push_str(&format!(", opaque=\"{o}\""));
    }
    h
}

/// A `WWW-Authenticate` value challenging with `nonce`.
pub(crate) fn challenge_header(
    realm: &str,
    nonce: &str,
    algorithm: DigestAlgorithm,
    stale: bool,
) -> String {
    let mut h = format!(
        "Digest realm=\"{realm}\", qop=\"auth\", nonce=\"{nonce}\", algorithm={}",
        algorithm.name()
    );
    if stale {
        h.push_str(", stale=true");
    }
    h
}

/// The fields of a Digest `Authorization` header, as the server reads them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Credentials<'a> {
    pub username: &'a str,
    pub nonce: &'a str,
    pub nc: u32,
    /// The fields the server reads, by [`field_slot`] (the first of each name counts).
    fields: [Option<&'a str>; FIELDS],
}

/// How many Digest fields [`field_slot`] knows.
const FIELDS: usize = 10;

/// Where a Digest field is kept in [`Credentials`]; names are case-insensitive.
fn field_slot(name: &str) -> Option<usize> {
    let mut buf = [0u8; 9];
    let lower = buf.get_mut(..name.len())?;
    lower.copy_from_slice(name.as_bytes());
    lower.make_ascii_lowercase();
    Some(match &*lower {
        b"username" => 0,
        b"realm" => 1,
        b"nonce" => 2,
        b"uri" => 3,
        b"response" => 4,
        b"algorithm" => 5,
        b"qop" => 6,
        b"nc" => 7,
        b"cnonce" => 8,
        b"opaque" => 9,
        _ => return None,
    })
}

/// Reads a Digest `Authorization` value, borrowing from it.
pub(crate) fn parse_authorization(value: &str) -> Option<Credentials<'_>> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    let mut fields = [None; FIELDS];
    for (k, v) in params(rest) {
        if let Some(i) = field_slot(k) {
            fields[i].get_or_insert(v);
        }
    }
    Some(Credentials {
        username: fields[0]?,
        nonce: fields[2]?,
        nc: u32::from_str_radix(fields[7].unwrap_or("0"), 16).ok()?,
        fields,
    })
}

impl<'a> Credentials<'a> {
    /// A field of the header (names are case-insensitive); None for one not sent, or one the
    /// server does not read.
    pub(crate) fn param(&self, name: &str) -> Option<&'a str> {
        self.fields[field_slot(name)?]
    }
}

/// The `Authorization` value answering a `WWW-Authenticate` challenge (Digest, strongest
/// algorithm offered; or Basic when that is all it offers), for a request `method uri`. For
/// transports that authenticate themselves, e.g. a HeMS sending a Connection Request (TR-069
/// 3.2.2). `cnonce` should be fresh and random. None when nothing usable is offered.
pub fn authorization_for(
    www_authenticate: &[&str],
    username: &str,
    password: &str,
    method: &str,
    uri: &str,
    cnonce: &str,
) -> Option<String> {
    let challenges = parse_challenges(www_authenticate.iter().copied());
    match challenges.first() {
        Some(c) => Some(authorization(
            c,
            username,
            password,
            method,
            request_uri(uri),
            cnonce,
            1,
        )),
        None if www_authenticate.iter().any(|v| offers_basic(v)) => {
            Some(basic_authorization(username, password))
        }
        None => None,
    }
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// `Basic base64(user:password)`.
pub(crate) fn basic_authorization(username: &str, password: &str) -> String {
    let data = format!("{username}:{password}");
    let mut out = String::with_capacity(data.len() * 4 / 3 + 10);
    out.push_str("Basic ");
    for chunk in data.as_bytes().chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |acc, (i, &b)| acc | (b as u32) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(B64[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes standard base64 (padding optional); None on anything else.
pub(crate) fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let text = text.trim_end_matches('=');
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes() {
        let v = B64.iter().position(|&b| b == c)? as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The path and query of a URL, the Digest `uri` (`/` when there is none).
pub(crate) fn request_uri(url: &str) -> &str {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    match after_scheme.find('/') {
        Some(i) => &after_scheme[i..],
        None => "/",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc7616_example_sha256_and_md5() {
        // RFC 7616 section 3.9.1: Mufasa / Circle of Life
        let c = Challenge {
            realm: "http-auth@example.org".into(),
            nonce: "7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v".into(),
            opaque: Some("FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS".into()),
            algorithm: DigestAlgorithm::Sha256,
            qop_auth: true,
            stale: false,
        };
        let cnonce = "f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ";
        let h = authorization(
            &c,
            "Mufasa",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            cnonce,
            1,
        );
        assert!(
            h.contains(
                "response=\"753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1\""
            ),
            "{h}"
        );
        let md5 = Challenge {
            algorithm: DigestAlgorithm::Md5,
            ..c
        };
        let h = authorization(
            &md5,
            "Mufasa",
            "Circle of Life",
            "GET",
            "/dir/index.html",
            cnonce,
            1,
        );
        assert!(
            h.contains("response=\"8ca523f5e9506fed4657c9700eebdbec\""),
            "{h}"
        );
        let cred = parse_authorization(&h).unwrap();
        assert_eq!((cred.username, cred.nc), ("Mufasa", 1));
        assert_eq!(cred.param("cnonce"), Some(cnonce));
    }

    #[test]
    fn challenges_are_parsed_strongest_first() {
        let v = [
            r#"Digest realm="r", qop="auth,auth-int", nonce="n1", algorithm=MD5, opaque="o""#,
            r#"Digest realm="r", qop="auth", nonce="n2", algorithm=SHA-256, stale=true"#,
        ];
        let c = parse_challenges(v.into_iter());
        assert_eq!(c.len(), 2);
        assert_eq!(
            (c[0].algorithm, c[0].nonce.as_str(), c[0].stale),
            (DigestAlgorithm::Sha256, "n2", true)
        );
        assert_eq!(c[1].opaque.as_deref(), Some("o"));
    }

    #[test]
    fn basic_and_uri() {
        assert_eq!(
            basic_authorization("Aladdin", "open sesame"),
            "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
        assert_eq!(request_uri("http://acs:7547/cwmp?x=1"), "/cwmp?x=1");
        assert_eq!(request_uri("https://acs"), "/");
    }
}
