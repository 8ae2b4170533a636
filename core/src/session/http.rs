//! The HTTP messages a session produces, and the few header rules CWMP owns
//! (TR-069 3.4: Content-Type, SOAPAction, cookies, authentication, redirects).

use serde::{Deserialize, Serialize};

/// `Content-Type` of a CWMP envelope (TR-069 3.4.1).
pub const CONTENT_TYPE: &str = "text/xml; charset=\"utf-8\"";

/// An HTTP POST the CPE must send to `url`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpRequest {
    /// Where to POST (the ACS URL, or where a redirect pointed).
    pub url: String,
    /// The headers CWMP needs: Content-Type and SOAPAction (for a non-empty body), Cookie,
    /// Authorization. The transport adds Host, Content-Length and the like.
    pub headers: Vec<(String, String)>,
    /// The body (empty for the CPE's empty POST).
    pub body: Vec<u8>,
}

/// An HTTP response the ACS must send.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HttpResponse {
    /// The status: 200 with an envelope, 204 to end the session, 401 for a challenge.
    pub status: u16,
    /// The headers CWMP needs: Content-Type, Set-Cookie, WWW-Authenticate.
    pub headers: Vec<(String, String)>,
    /// The body (empty for 204 and 401).
    pub body: Vec<u8>,
}

/// The first value of header `name` (case-insensitive).
pub fn header<'h, S: AsRef<str>>(headers: &'h [(S, S)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .find(|(k, _)| k.as_ref().eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_ref())
}

/// The value of cookie `name` in a request's `Cookie` headers.
pub fn cookie_value<'h, S: AsRef<str>>(headers: &'h [(S, S)], name: &str) -> Option<&'h str> {
    headers
        .iter()
        .filter(|(k, _)| k.as_ref().eq_ignore_ascii_case("cookie"))
        .flat_map(|(_, v)| v.as_ref().split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| k.trim() == name)
        .map(|(_, v)| v.trim())
}

/// The cookies a `Set-Cookie` header sets, as `name=value` (attributes dropped). The CPE
/// returns them on every later POST of the session (TR-069 3.4.2).
pub(crate) fn set_cookie_pairs<S: AsRef<str>>(headers: &[(S, S)]) -> Vec<(String, String)> {
    headers
        .iter()
        .filter(|(k, _)| k.as_ref().eq_ignore_ascii_case("set-cookie"))
        .filter_map(|(_, v)| {
            let first = v.as_ref().split(';').next()?;
            let (k, v) = first.split_once('=')?;
            Some((k.trim().to_owned(), v.trim().to_owned()))
        })
        .collect()
}
