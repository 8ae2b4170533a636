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
        match s.trim().to_ascii_uppercase().as_str() {
            "MD5" | "" => Some(DigestAlgorithm::Md5),
            "SHA-256" => Some(DigestAlgorithm::Sha256),
            _ => None,
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
        let bytes: Vec<u8> = match self {
            DigestAlgorithm::Md5 => Md5::digest(data.as_bytes()).to_vec(),
            DigestAlgorithm::Sha256 => Sha256::digest(data.as_bytes()).to_vec(),
        };
        bytes.iter().map(|b| format!("{b:02x}")).collect()
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
fn params(s: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut rest = s.trim();
    while !rest.is_empty() {
        let Some(eq) = rest.find('=') else { break };
        let key = rest[..eq]
            .trim()
            .trim_start_matches(',')
            .trim()
            .to_ascii_lowercase();
        rest = rest[eq + 1..].trim_start();
        let value;
        if let Some(q) = rest.strip_prefix('"') {
            let end = q.find('"').unwrap_or(q.len());
            value = q[..end].to_owned();
            rest = q.get(end + 1..).unwrap_or("");
        } else {
            let end = rest.find(',').unwrap_or(rest.len());
            value = rest[..end].trim().to_owned();
            rest = &rest[end..];
        }
        rest = rest.trim_start().trim_start_matches(',').trim_start();
        out.push((key, value));
    }
    out
}

fn get<'a>(p: &'a [(String, String)], k: &str) -> Option<&'a str> {
    p.iter().find(|(key, _)| key == k).map(|(_, v)| v.as_str())
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
pub(crate) struct Credentials {
    pub username: String,
    pub nonce: String,
    pub nc: u32,
    params: Vec<(String, String)>,
}

/// Reads a Digest `Authorization` value.
pub(crate) fn parse_authorization(value: &str) -> Option<Credentials> {
    let value = value.trim();
    let (scheme, rest) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("digest") {
        return None;
    }
    let p = params(rest);
    Some(Credentials {
        username: get(&p, "username")?.to_owned(),
        nonce: get(&p, "nonce")?.to_owned(),
        nc: u32::from_str_radix(get(&p, "nc").unwrap_or("0"), 16).ok()?,
        params: p,
    })
}

impl Credentials {
    /// A parameter of the header (names in lower case).
    pub(crate) fn param(&self, name: &str) -> Option<&str> {
        get(&self.params, name)
    }
}

/// Whether `cred` proves knowledge of `password` for `method` (the uri is taken from the
/// credentials, as servers do).
pub(crate) fn verify(cred: &Credentials, realm: &str, password: &str, method: &str) -> bool {
    let p = &cred.params;
    let Some(algorithm) = DigestAlgorithm::parse(get(p, "algorithm").unwrap_or("")) else {
        return false;
    };
    let (Some(uri), Some(response)) = (get(p, "uri"), get(p, "response")) else {
        return false;
    };
    if get(p, "realm") != Some(realm) {
        return false;
    }
    let ha1 = algorithm.hash(&format!("{}:{realm}:{password}", cred.username));
    let ha2 = algorithm.hash(&format!("{method}:{uri}"));
    let expected = match get(p, "qop") {
        Some("auth") => {
            let (Some(nc), Some(cnonce)) = (get(p, "nc"), get(p, "cnonce")) else {
                return false;
            };
            algorithm.hash(&format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", cred.nonce))
        }
        None => algorithm.hash(&format!("{ha1}:{}:{ha2}", cred.nonce)),
        Some(_) => return false,
    };
    constant_time_eq(
        expected.as_bytes(),
        response.to_ascii_lowercase().as_bytes(),
    )
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

/// What a server needs to check Digest credentials statelessly.
pub(crate) struct DigestServer<'a> {
    pub realm: &'a str,
    pub username: &'a str,
    pub password: &'a str,
    pub algorithm: DigestAlgorithm,
    /// Key of the stateless nonces (share it between nodes that check the same clients).
    pub secret: &'a str,
    pub lifetime_ms: u64,
}

/// A stateless nonce: issue time and a keyed hash of it, so that any node sharing the secret
/// can check it without remembering it.
pub(crate) fn stateless_nonce(secret: &str, now_ms: u64) -> String {
    format!("{now_ms:x}.{}", nonce_mac(secret, now_ms))
}

fn nonce_mac(secret: &str, t: u64) -> String {
    let h = Sha256::digest(format!("{secret}:{t:x}").as_bytes());
    h[..12].iter().map(|b| format!("{b:02x}")).collect()
}

/// How old a nonce we issued is, or None if we did not issue it.
pub(crate) fn stateless_nonce_age(secret: &str, nonce: &str, now_ms: u64) -> Option<u64> {
    let (t, mac) = nonce.split_once('.')?;
    let t = u64::from_str_radix(t, 16).ok()?;
    constant_time_eq(mac.as_bytes(), nonce_mac(secret, t).as_bytes())
        .then(|| now_ms.saturating_sub(t))
}

/// Checks an `Authorization` header; `Err` carries the `WWW-Authenticate` challenge to send
/// (with `stale=true` when only the nonce is too old, RFC 7616 3.3).
pub(crate) fn check_digest(
    authorization: Option<&str>,
    server: &DigestServer<'_>,
    method: &str,
    now_ms: u64,
) -> Result<(), String> {
    let fresh = stateless_nonce(server.secret, now_ms);
    let challenge = |stale| challenge_header(server.realm, &fresh, server.algorithm, stale);
    let Some(cred) = authorization.and_then(parse_authorization) else {
        return Err(challenge(false));
    };
    if cred.username != server.username || !verify(&cred, server.realm, server.password, method) {
        return Err(challenge(false));
    }
    match stateless_nonce_age(server.secret, &cred.nonce, now_ms) {
        Some(age) if age <= server.lifetime_ms => Ok(()),
        Some(_) => Err(challenge(true)),
        None => Err(challenge(false)),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
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
        assert!(verify(
            &cred,
            "http-auth@example.org",
            "Circle of Life",
            "GET"
        ));
        assert!(!verify(&cred, "http-auth@example.org", "wrong", "GET"));
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
