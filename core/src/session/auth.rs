//! Who is this CPE: authentication of a HeNB by the HeMS, bound to one device.
//!
//! TR-069 3.4.4 has the ACS authenticate the CPE, by HTTP Digest (RFC 7616), HTTP Basic
//! (RFC 7617, only over TLS) or a TLS client certificate; TS 33.320 binds a HeNB's identity
//! to its device certificate. An [`Authenticator`] decides in two steps, sans-IO:
//!
//! 1. [`Authenticator::authenticate`], on the first HTTP request of every session (before its
//!    body is read): who is talking? A device's own credentials (from a
//!    [`CredentialSource`]), a shared secret, or nobody. Digest nonces expire, each nonce's
//!    `nc` only grows (a replayed or reused one is refused), `qop=auth` is required and `uri`
//!    must name the request target; failed attempts are throttled per address and per device.
//! 2. [`Authenticator::authorize`], once the Inform is read: may that identity speak for the
//!    device the Inform names? A device's credentials speak for that device only, and a
//!    client certificate must name the device it is presented for.
//!
//! Nothing of the device (its queue, records, Connection Request URL) may be read or changed
//! before both steps said yes; [`crate::hems::Hems`] does it in that order.

use std::collections::{BTreeMap, HashMap, VecDeque};

use serde::{Deserialize, Serialize};
use sha2::{Digest as _, Sha256};

use super::digest::{self, DigestAlgorithm};
use super::http::{header, HttpResponse};
use super::Timestamp;
use crate::codec::DeviceIdStruct;

/// How the HeMS authenticates a CPE's HTTP requests (TR-069 3.4.4).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[non_exhaustive]
pub enum AuthPolicy {
    /// No HTTP authentication: anyone may speak for any device (a lab, or a network where
    /// something else authenticates). A client certificate, when the transport hands one in,
    /// is still checked against the device.
    #[default]
    None,
    /// One shared Basic secret for every device (only over TLS): whoever knows it may speak
    /// for any device.
    Basic {
        /// Expected user name.
        username: String,
        /// Expected password.
        password: String,
    },
    /// One shared Digest secret for every device: whoever knows it may speak for any device.
    Digest {
        /// Expected user name.
        username: String,
        /// Expected password.
        password: String,
        /// Hash offered in the challenge.
        algorithm: DigestAlgorithm,
    },
    /// Each device proves itself with its own credentials, looked up in the
    /// [`CredentialSource`] given to the [`Authenticator`]; they speak for that device only.
    Devices {
        /// How the devices prove themselves.
        scheme: AuthScheme,
    },
}

/// How a device proves itself under [`AuthPolicy::Devices`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub enum AuthScheme {
    /// HTTP Digest (RFC 7616) with the device's user name and password (or HA1).
    #[default]
    Digest,
    /// HTTP Basic (RFC 7617) with the device's user name and password, over TLS only.
    Basic,
    /// A TLS client certificate naming the device (TS 33.320); no HTTP authentication.
    Certificate,
}

/// Bounds on the state the [`Authenticator`] keeps, and how failed attempts are throttled.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthLimits {
    /// Failed attempts from one source address within `failure_window_ms` before that
    /// address is refused (HTTP 429) for `block_ms`.
    pub max_failures_per_address: u32,
    /// Failed attempts for one device (user name) within `failure_window_ms` before that
    /// device is blocked for `block_ms` — for addresses that failed before only, so that an
    /// attacker cannot lock the real device out.
    pub max_failures_per_device: u32,
    /// The window failures are counted in.
    pub failure_window_ms: u64,
    /// How long a throttled address or device is refused.
    pub block_ms: u64,
    /// How many Digest nonces in use are remembered (with their highest `nc`); when full,
    /// the oldest is forgotten and nonces issued up to it are answered `stale=true`.
    pub max_nonces: usize,
    /// How many addresses and devices with recent failures are remembered.
    pub max_tracked: usize,
}

impl Default for AuthLimits {
    fn default() -> Self {
        AuthLimits {
            max_failures_per_address: 10,
            max_failures_per_device: 5,
            failure_window_ms: 60_000,
            block_ms: 60_000,
            max_nonces: 100_000,
            max_tracked: 100_000,
        }
    }
}

/// How the HeMS authenticates CPEs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// Who may speak for which device.
    pub policy: AuthPolicy,
    /// Digest and Basic realm.
    pub realm: String,
    /// Key of the Digest nonces (keep it secret; share it between HeMS nodes).
    pub nonce_secret: String,
    /// Age after which a nonce is stale (the CPE is challenged again with `stale=true`).
    pub nonce_lifetime_ms: u64,
    /// Digest algorithms offered under [`AuthPolicy::Devices`], one challenge each, in this
    /// order (RFC 7616 3.7: the strongest first).
    pub digest_algorithms: Vec<DigestAlgorithm>,
    /// Accept Basic over plain HTTP (the password then crosses the network in clear; for a
    /// lab only).
    pub allow_basic_without_tls: bool,
    /// Refuse a client certificate that does not name the device it is presented for.
    pub check_client_certificate: bool,
    /// State bounds and throttling.
    pub limits: AuthLimits,
}

impl Default for AuthConfig {
    fn default() -> Self {
        AuthConfig {
            policy: AuthPolicy::None,
            realm: "femtocwmp".into(),
            nonce_secret: String::new(),
            nonce_lifetime_ms: 300_000,
            digest_algorithms: vec![DigestAlgorithm::Sha256, DigestAlgorithm::Md5],
            allow_basic_without_tls: false,
            check_client_certificate: true,
            limits: AuthLimits::default(),
        }
    }
}

/// One device's credentials, as a [`CredentialSource`] gives them (and as the entries of a
/// `--devices` file read).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DeviceCredentials {
    /// The HTTP user name the device authenticates with (`ManagementServer.Username`).
    pub username: String,
    /// Its password (`ManagementServer.Password`); or give `ha1`.
    pub password: Option<String>,
    /// Instead of the password: `H(username:realm:password)` in hex, 32 digits for MD5 or 64
    /// for SHA-256 (Digest only, with that algorithm).
    pub ha1: Option<String>,
    /// A name its client certificate carries (CN or a SAN), besides the device key and the
    /// `OUI-SerialNumber` form.
    pub certificate_identity: Option<String>,
    /// User name the HeMS sends Connection Requests with (default: the serial number).
    pub connection_request_username: Option<String>,
    /// Password the HeMS sends Connection Requests with.
    pub connection_request_password: Option<String>,
}

/// Where the HeMS finds each device's credentials: a file, a database, a vendor's
/// provisioning system. Asked on every authentication, so keep it quick.
pub trait CredentialSource {
    /// The device (its key, `OUI-ProductClass-SerialNumber` or `OUI-SerialNumber`) whose HTTP
    /// user name is `username`, with its credentials.
    fn by_username(&self, username: &str) -> Option<(String, DeviceCredentials)>;
    /// The credentials of the device with this key (either form).
    fn by_device(&self, device: &str) -> Option<DeviceCredentials>;
}

/// The default [`CredentialSource`]: a table keyed by device key, read from JSON (or any
/// serde format) such as `{"00A0C6-FAP-S1": {"username": "s1", "password": "..."}}`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DeviceTable {
    devices: BTreeMap<String, DeviceCredentials>,
    by_username: HashMap<String, String>,
}

impl DeviceTable {
    /// A table of these entries (device key -> credentials), checked: every device has a
    /// password, an HA1 or a certificate identity (not both a password and an HA1), an HA1
    /// is 32 or 64 hex digits, and no two devices share a user name.
    pub fn new(devices: BTreeMap<String, DeviceCredentials>) -> Result<DeviceTable, String> {
        let mut by_username = HashMap::new();
        for (key, c) in &devices {
            if key.trim().is_empty() {
                return Err("a device key is empty".into());
            }
            match (&c.password, &c.ha1) {
                (Some(_), Some(_)) => {
                    return Err(format!("{key}: give either password or ha1, not both"))
                }
                (None, None) if c.certificate_identity.is_none() => {
                    return Err(format!(
                        "{key}: needs a password, an ha1 or a certificate_identity"
                    ))
                }
                _ => {}
            }
            if let Some(h) = &c.ha1 {
                if !(h.len() == 32 || h.len() == 64) || !h.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return Err(format!(
                        "{key}: ha1 must be 32 (MD5) or 64 (SHA-256) hex digits"
                    ));
                }
            }
            if c.password.is_some() || c.ha1.is_some() {
                if c.username.is_empty() {
                    return Err(format!("{key}: a password or ha1 needs a username"));
                }
                if let Some(other) = by_username.insert(c.username.clone(), key.clone()) {
                    return Err(format!(
                        "{key}: user name {:?} is also {other}'s",
                        c.username
                    ));
                }
            }
        }
        Ok(DeviceTable {
            devices,
            by_username,
        })
    }

    /// Reads a table from JSON: an object keyed by device key.
    pub fn from_json(text: &str) -> Result<DeviceTable, String> {
        let devices: BTreeMap<String, DeviceCredentials> =
            serde_json::from_str(text).map_err(|e| e.to_string())?;
        DeviceTable::new(devices)
    }

    /// How many devices it lists.
    pub fn len(&self) -> usize {
        self.devices.len()
    }

    /// Whether it lists no device.
    pub fn is_empty(&self) -> bool {
        self.devices.is_empty()
    }
}

impl CredentialSource for DeviceTable {
    fn by_username(&self, username: &str) -> Option<(String, DeviceCredentials)> {
        let key = self.by_username.get(username)?;
        Some((key.clone(), self.devices.get(key)?.clone()))
    }

    fn by_device(&self, device: &str) -> Option<DeviceCredentials> {
        self.devices.get(device).cloned()
    }
}

/// The names a TLS client certificate carries, as the transport read them from the
/// verified certificate.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CertificateIdentity {
    /// The subject's common name (CN), if any.
    pub common_name: Option<String>,
    /// The subject alternative names (DNS names, URIs, e-mail addresses; IP addresses as
    /// text).
    pub subject_alt_names: Vec<String>,
}

impl CertificateIdentity {
    fn names(&self) -> impl Iterator<Item = &str> {
        self.common_name
            .iter()
            .chain(&self.subject_alt_names)
            .map(String::as_str)
    }
}

/// What the transport knows about a connection, given once when it opens.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ConnectionInfo {
    /// The peer's address (e.g. `192.0.2.7`; the port is better left out, so that failures
    /// from one host are counted together).
    pub peer: Option<String>,
    /// Whether the connection is TLS.
    pub tls: bool,
    /// The verified client certificate's names, if the peer presented one.
    pub client_certificate: Option<CertificateIdentity>,
}

/// The first HTTP request of a session, as [`Authenticator::authenticate`] reads it.
#[derive(Debug, Clone, Copy)]
pub struct AuthRequest<'a> {
    /// The HTTP method (`POST`).
    pub method: &'a str,
    /// The request target as the request line gave it (`/cwmp`, or an absolute URL); Digest
    /// is refused without it (RFC 7616 3.4: `uri` must name it).
    pub target: Option<&'a str>,
    /// The request headers (`Authorization` is read).
    pub headers: &'a [(&'a str, &'a str)],
    /// The connection it came on.
    pub connection: &'a ConnectionInfo,
}

/// Who a request was authenticated as.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum Identity {
    /// Nobody: the policy asks for no authentication.
    Unauthenticated,
    /// Someone who knows the shared secret: may speak for any device.
    SharedSecret,
    /// A device's own credentials: may speak for that device only.
    Device {
        /// Its key, as the credential source names it.
        device: String,
    },
    /// A client certificate (the binding to the device is checked by `authorize`).
    Certificate,
}

/// Why a request was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum RefusalKind {
    /// No credentials, or a stale nonce: the normal challenge, answered by every CPE.
    Challenge,
    /// Credentials that do not verify (wrong password, unknown user, replayed or reused
    /// nonce count, wrong `uri`, missing `qop`).
    BadCredentials,
    /// Too many failures lately: try later.
    Throttled,
    /// Authenticated, but not allowed: another device's identity, a certificate naming
    /// another device, Basic over plain HTTP, an unlisted device.
    Forbidden,
}

/// A refused request: the HTTP response to send, and why (for the logs and events).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// What kind of refusal.
    pub kind: RefusalKind,
    /// Why, in words.
    pub reason: String,
    /// The response: 401 with challenges, 403, or 429 with Retry-After.
    pub response: HttpResponse,
}

impl Refusal {
    fn new(kind: RefusalKind, reason: impl Into<String>, response: HttpResponse) -> Refusal {
        Refusal {
            kind,
            reason: reason.into(),
            response,
        }
    }

    /// Whether this is an ordinary challenge (no credentials yet, or a stale nonce) rather
    /// than a failure worth reporting.
    pub fn is_challenge(&self) -> bool {
        self.kind == RefusalKind::Challenge
    }
}

/// Recent failures of one address or device.
#[derive(Debug, Clone, Copy)]
struct Failures {
    window_start: u64,
    count: u32,
    blocked_until: u64,
}

/// Decides who a CPE is and whom it may speak for. One per HeMS (its nonce and failure
/// records span sessions). Not safe for concurrent use.
pub struct Authenticator {
    config: AuthConfig,
    source: Option<Box<dyn CredentialSource + Send + Sync>>,
    /// Nonces in use, by (issue time, counter): the highest `nc` seen.
    nonces: HashMap<(u64, u64), u32, NonceHasher>,
    /// Nonces in the order first used, for eviction.
    nonce_order: VecDeque<(u64, u64)>,
    /// Nonces issued at or before this instant are stale (their `nc` was forgotten).
    nonce_floor: Option<u64>,
    issued: u64,
    by_address: HashMap<String, Failures>,
    by_device: HashMap<String, Failures>,
}

impl std::fmt::Debug for Authenticator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Authenticator")
            .field("policy", &self.config.policy)
            .field("credential_source", &self.source.is_some())
            .field("nonces", &self.nonces.len())
            .finish_non_exhaustive()
    }
}

impl Authenticator {
    /// An authenticator with `config` and no credential source (enough for
    /// [`AuthPolicy::None`] and the shared-secret policies).
    pub fn new(config: AuthConfig) -> Authenticator {
        Authenticator {
            config,
            source: None,
            nonces: HashMap::default(),
            nonce_order: VecDeque::new(),
            nonce_floor: None,
            issued: 0,
            by_address: HashMap::new(),
            by_device: HashMap::new(),
        }
    }

    /// Where each device's credentials come from ([`AuthPolicy::Devices`], registration of
    /// listed devices only, Connection Request credentials, certificate identities).
    pub fn set_credential_source(&mut self, source: Box<dyn CredentialSource + Send + Sync>) {
        self.source = Some(source);
    }

    /// Changes who may authenticate (e.g. after the Connection Request password changed);
    /// nonces and failure records are kept.
    pub fn set_policy(&mut self, policy: AuthPolicy) {
        self.config.policy = policy;
    }

    /// The configuration.
    pub fn config(&self) -> &AuthConfig {
        &self.config
    }

    /// The credentials the source holds for `device` (its key, or the `OUI-SerialNumber`
    /// form when that is unambiguous), if any.
    pub fn credentials(&self, device: &DeviceIdStruct) -> Option<DeviceCredentials> {
        let source = self.source.as_ref()?;
        source.by_device(&device.device_key()).or_else(|| {
            (!device.serial_number.contains('-'))
                .then(|| source.by_device(&short_key(device)))
                .flatten()
        })
    }

    /// Whether a credential source is set.
    pub fn has_credential_source(&self) -> bool {
        self.source.is_some()
    }

    /// Step 1, on the first request of a session: who is this? `Err` carries the response
    /// to send instead of reading the request's body.
    pub fn authenticate(
        &mut self,
        request: &AuthRequest<'_>,
        now: Timestamp,
    ) -> Result<Identity, Refusal> {
        let now = now.0;
        let peer = request.connection.peer.clone();
        if let Some(until) = peer
            .as_deref()
            .and_then(|p| blocked(&self.by_address, p, now))
        {
            return Err(throttled(
                format!("too many failed attempts from {}", peer.unwrap_or_default()),
                until - now,
            ));
        }
        let authorization = header(request.headers, "authorization");
        match self.config.policy.clone() {
            AuthPolicy::None => Ok(Identity::Unauthenticated),
            AuthPolicy::Basic { username, password } => {
                self.basic_allowed(request.connection)?;
                match authorization.and_then(parse_basic) {
                    None => Err(self.basic_challenge("credentials required")),
                    Some((u, p)) if u == username && ct_eq(&p, &password) => {
                        Ok(Identity::SharedSecret)
                    }
                    Some((u, _)) => Err(self.failed(
                        peer.as_deref(),
                        None,
                        now,
                        format!("Basic credentials of {u:?} refused"),
                        |a| a.basic_challenge("").response,
                    )),
                }
            }
            AuthPolicy::Digest {
                username,
                password,
                algorithm,
            } => {
                let secret = Secret::Password(password);
                self.digest(request, authorization, &[algorithm], now, |u| {
                    (u == username).then(|| (None, secret.clone()))
                })
                .map(|_| Identity::SharedSecret)
            }
            AuthPolicy::Devices { scheme } => self.devices(request, authorization, scheme, now),
        }
    }

    /// Step 2, once the Inform is read: may `identity` speak for `device`? Checks the
    /// binding of per-device credentials and of a client certificate. `Err` carries a 403.
    pub fn authorize(
        &mut self,
        identity: &Identity,
        device: &DeviceIdStruct,
        connection: &ConnectionInfo,
        now: Timestamp,
    ) -> Result<(), Refusal> {
        let key = device.device_key();
        if let Identity::Device { device: own } = identity {
            if !names_device(own, device) {
                return Err(self.forbidden_failure(
                    connection.peer.as_deref(),
                    Some(own),
                    now.0,
                    format!("authenticated as {own}, but the Inform claims {key}"),
                ));
            }
        }
        let must_check =
            matches!(identity, Identity::Certificate) || self.config.check_client_certificate;
        if let (Some(cert), true) = (&connection.client_certificate, must_check) {
            let extra = self
                .credentials(device)
                .and_then(|c| c.certificate_identity);
            let ok = cert
                .names()
                .any(|n| names_device(n, device) || extra.as_deref() == Some(n));
            if !ok {
                let shown = cert.names().collect::<Vec<_>>().join(", ");
                return Err(self.forbidden_failure(
                    connection.peer.as_deref(),
                    None,
                    now.0,
                    format!("the client certificate ({shown}) does not name {key}"),
                ));
            }
        }
        Ok(())
    }

    // ------------------------------------------------------------ internals

    fn devices(
        &mut self,
        request: &AuthRequest<'_>,
        authorization: Option<&str>,
        scheme: AuthScheme,
        now: u64,
    ) -> Result<Identity, Refusal> {
        match scheme {
            AuthScheme::Certificate => match &request.connection.client_certificate {
                Some(_) => Ok(Identity::Certificate),
                None => Err(Refusal::new(
                    RefusalKind::Forbidden,
                    "a client certificate is required",
                    status_only(403),
                )),
            },
            AuthScheme::Basic => {
                self.basic_allowed(request.connection)?;
                let Some((u, p)) = authorization.and_then(parse_basic) else {
                    return Err(self.basic_challenge("credentials required"));
                };
                let peer = request.connection.peer.as_deref();
                if let Some(until) = self.device_blocked(&u, peer, now) {
                    return Err(throttled(
                        format!("too many failed attempts for {u:?}"),
                        until - now,
                    ));
                }
                let found = self.source.as_ref().and_then(|s| s.by_username(&u));
                match found {
                    Some((device, c)) if c.password.as_deref().is_some_and(|pw| ct_eq(&p, pw)) => {
                        if !self.by_device.is_empty() {
                            self.by_device.remove(&u);
                        }
                        Ok(Identity::Device { device })
                    }
                    _ => Err(self.failed(
                        peer,
                        Some(&u),
                        now,
                        format!("Basic credentials of {u:?} refused"),
                        |a| a.basic_challenge("").response,
                    )),
                }
            }
            AuthScheme::Digest => {
                // the offered algorithms, copied out (there are two: no allocation)
                let mut offered = [DigestAlgorithm::Md5; 2];
                let mut n = 0;
                for a in &self.config.digest_algorithms {
                    if n < 2 && !offered[..n].contains(a) {
                        offered[n] = *a;
                        n += 1;
                    }
                }
                let algorithms = &offered[..n];
                let source = self.source.take();
                let result = self.digest(request, authorization, algorithms, now, |u| {
                    let (device, c) = source.as_ref()?.by_username(u)?;
                    let secret = match (c.password, c.ha1) {
                        (Some(p), _) => Secret::Password(p),
                        (None, Some(h)) => Secret::Ha1(h.to_ascii_lowercase()),
                        (None, None) => return None,
                    };
                    Some((Some(device), secret))
                });
                self.source = source;
                result.map(|device| Identity::Device {
                    device: device.unwrap_or_default(),
                })
            }
        }
    }

    fn basic_allowed(&self, connection: &ConnectionInfo) -> Result<(), Refusal> {
        if connection.tls || self.config.allow_basic_without_tls {
            Ok(())
        } else {
            Err(Refusal::new(
                RefusalKind::Forbidden,
                "Basic authentication over plain HTTP is refused (TR-069 3.4.4: TLS only)",
                status_only(403),
            ))
        }
    }

    fn basic_challenge(&self, reason: &str) -> Refusal {
        let kind = if reason.is_empty() {
            RefusalKind::BadCredentials
        } else {
            RefusalKind::Challenge
        };
        let value = format!("Basic realm=\"{}\"", self.config.realm);
        Refusal::new(kind, reason, challenge_response(vec![value]))
    }

    /// A 401 with a fresh nonce for each offered algorithm.
    fn digest_challenge(
        &mut self,
        algorithms: &[DigestAlgorithm],
        stale: bool,
        now: u64,
    ) -> HttpResponse {
        self.issued += 1;
        let nonce = issue_nonce(&self.config.nonce_secret, now, self.issued);
        let values = algorithms
            .iter()
            .map(|a| digest::challenge_header(&self.config.realm, &nonce, *a, stale))
            .collect();
        challenge_response(values)
    }

    /// Verifies a Digest `Authorization` (RFC 7616): `lookup` gives the device and secret
    /// of a user name.
    fn digest(
        &mut self,
        request: &AuthRequest<'_>,
        authorization: Option<&str>,
        algorithms: &[DigestAlgorithm],
        now: u64,
        lookup: impl Fn(&str) -> Option<(Option<String>, Secret)>,
    ) -> Result<Option<String>, Refusal> {
        let peer = request.connection.peer.as_deref();
        let Some(value) = authorization else {
            let r = self.digest_challenge(algorithms, false, now);
            return Err(Refusal::new(
                RefusalKind::Challenge,
                "credentials required",
                r,
            ));
        };
        let Some(cred) = digest::parse_authorization(value) else {
            return Err(self.failed(
                peer,
                None,
                now,
                "an Authorization header that is not Digest",
                |a| a.digest_challenge(algorithms, false, now),
            ));
        };
        let user = cred.username;
        if let Some(until) = self.device_blocked(user, peer, now) {
            return Err(throttled(
                format!("too many failed attempts for {user:?}"),
                until - now,
            ));
        }
        let fail = |a: &mut Self, why: String| {
            a.failed(peer, Some(user), now, why, |a| {
                a.digest_challenge(algorithms, false, now)
            })
        };
        let field = |k: &str| cred.param(k);
        let Some(algorithm) = DigestAlgorithm::parse(field("algorithm").unwrap_or("")) else {
            return Err(fail(self, format!("{user:?}: unknown Digest algorithm")));
        };
        if !algorithms.contains(&algorithm) {
            return Err(fail(
                self,
                format!("{user:?}: algorithm {} was not offered", algorithm.name()),
            ));
        }
        if field("realm") != Some(self.config.realm.as_str()) {
            return Err(fail(self, format!("{user:?}: wrong realm")));
        }
        if field("qop") != Some("auth") {
            return Err(fail(
                self,
                format!("{user:?}: qop=auth is required (RFC 7616)"),
            ));
        }
        let (Some(uri), Some(response), Some(cnonce), Some(nc_text)) = (
            field("uri"),
            field("response"),
            field("cnonce"),
            field("nc"),
        ) else {
            return Err(fail(
                self,
                format!("{user:?}: uri, response, cnonce and nc are required"),
            ));
        };
        match request.target {
            Some(target) if same_target(uri, target) => {}
            Some(target) => {
                return Err(fail(
                    self,
                    format!("{user:?}: uri {uri:?} is not the request target {target:?}"),
                ))
            }
            None => {
                return Err(fail(
                    self,
                    format!("{user:?}: the transport did not give the request target"),
                ))
            }
        }
        let Some((device, secret)) = lookup(user) else {
            return Err(fail(self, format!("unknown user name {user:?}")));
        };
        let stored_ha1 = match &secret {
            Secret::Ha1(h) if h.len() == algorithm.hex_len() => digest::HexDigest::from_hex(h),
            _ => None,
        };
        let ha1 = match (secret, stored_ha1) {
            (Secret::Password(p), _) => algorithm.hex_digest(&[
                user.as_bytes(),
                b":",
                self.config.realm.as_bytes(),
                b":",
                p.as_bytes(),
            ]),
            (Secret::Ha1(_), Some(h)) => h,
            (Secret::Ha1(_), None) => {
                return Err(fail(
                    self,
                    format!(
                        "{user:?}: the stored HA1 is not {} (answer with another algorithm)",
                        algorithm.name()
                    ),
                ))
            }
        };
        let ha2 = algorithm.hex_digest(&[request.method.as_bytes(), b":", uri.as_bytes()]);
        let expected = algorithm.hex_digest(&[
            ha1.as_bytes(),
            b":",
            cred.nonce.as_bytes(),
            b":",
            nc_text.as_bytes(),
            b":",
            cnonce.as_bytes(),
            b":auth:",
            ha2.as_bytes(),
        ]);
        if !ct_eq_hex(expected.as_bytes(), response) {
            return Err(fail(self, format!("{user:?}: wrong Digest response")));
        }
        // the password is right: now the nonce must be ours, fresh, and its nc new
        let id = match nonce_issued(&self.config.nonce_secret, cred.nonce) {
            Some((t, n))
                if self.nonce_floor.is_none_or(|floor| t > floor)
                    && now.saturating_sub(t) <= self.config.nonce_lifetime_ms =>
            {
                (t, n)
            }
            _ => {
                let r = self.digest_challenge(algorithms, true, now);
                return Err(Refusal::new(
                    RefusalKind::Challenge,
                    format!("{user:?}: stale nonce"),
                    r,
                ));
            }
        };
        let last = self.nonces.get(&id).copied();
        if last.is_some_and(|last| cred.nc <= last) || cred.nc == 0 {
            return Err(fail(
                self,
                format!("{user:?}: nonce count {nc_text} was used before (a replay)"),
            ));
        }
        self.remember_nonce(id, cred.nc, now);
        if !self.by_device.is_empty() {
            self.by_device.remove(user); // a success clears the user name's failures
        }
        Ok(device)
    }

    fn remember_nonce(&mut self, id: (u64, u64), nc: u32, now: u64) {
        if let Some(entry) = self.nonces.get_mut(&id) {
            *entry = nc;
            return;
        }
        // forget nonces that have expired, then the oldest if still full
        while let Some(front) = self.nonce_order.front() {
            let expired = now.saturating_sub(front.0) > self.config.nonce_lifetime_ms;
            let full = self.nonces.len() >= self.config.limits.max_nonces.max(1);
            if !expired && !full {
                break;
            }
            let old = self.nonce_order.pop_front().expect("checked");
            if self.nonces.remove(&old).is_some() && !expired {
                self.nonce_floor = Some(self.nonce_floor.map_or(old.0, |f| f.max(old.0)));
            }
        }
        self.nonces.insert(id, nc);
        self.nonce_order.push_back(id);
    }

    /// When `device`'s block ends, if it is blocked for this peer: a blocked device is
    /// refused only to addresses that failed lately, so the real device keeps its way in.
    fn device_blocked(&self, device: &str, peer: Option<&str>, now: u64) -> Option<u64> {
        let until = blocked(&self.by_device, device, now)?;
        let suspect = match peer {
            Some(p) => self.by_address.get(p).is_some_and(|f| {
                f.count > 0 && now.saturating_sub(f.window_start) < self.config.limits.block_ms
            }),
            None => true,
        };
        suspect.then_some(until)
    }

    /// Counts a failure of `peer` (and `device`) and builds the refusal.
    fn failed(
        &mut self,
        peer: Option<&str>,
        device: Option<&str>,
        now: u64,
        reason: impl Into<String>,
        response: impl FnOnce(&mut Self) -> HttpResponse,
    ) -> Refusal {
        self.count_failure(peer, device, now);
        let r = response(self);
        Refusal::new(RefusalKind::BadCredentials, reason, r)
    }

    fn forbidden_failure(
        &mut self,
        peer: Option<&str>,
        device: Option<&str>,
        now: u64,
        reason: String,
    ) -> Refusal {
        self.count_failure(peer, device, now);
        Refusal::new(RefusalKind::Forbidden, reason, status_only(403))
    }

    fn count_failure(&mut self, peer: Option<&str>, device: Option<&str>, now: u64) {
        let l = self.config.limits.clone();
        if let Some(p) = peer {
            record(&mut self.by_address, p, now, &l, l.max_failures_per_address);
        }
        if let Some(d) = device {
            record(&mut self.by_device, d, now, &l, l.max_failures_per_device);
        }
    }
}

/// Hashes nonce ids: (issue time, counter) pairs that only enter the table after their MAC
/// was checked, so nobody but us chooses them, and a multiply-xor mix is enough (SipHash,
/// made for keys an attacker picks, was a tenth of a verification).
#[derive(Default, Clone, Copy)]
struct NonceHasher;

impl std::hash::BuildHasher for NonceHasher {
    type Hasher = NonceMix;
    fn build_hasher(&self) -> NonceMix {
        NonceMix(0)
    }
}

/// The hasher of [`NonceHasher`].
struct NonceMix(u64);

impl std::hash::Hasher for NonceMix {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }
    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

/// A stored secret: the password, or `H(username:realm:password)`.
#[derive(Clone)]
enum Secret {
    Password(String),
    Ha1(String),
}

fn record(
    table: &mut HashMap<String, Failures>,
    key: &str,
    now: u64,
    limits: &AuthLimits,
    max: u32,
) {
    if !table.contains_key(key) && table.len() >= limits.max_tracked {
        let window = limits.failure_window_ms.max(limits.block_ms);
        table.retain(|_, f| now.saturating_sub(f.window_start) < window || f.blocked_until > now);
        if table.len() >= limits.max_tracked {
            return; // bounded: an address beyond the bound is not tracked
        }
    }
    let f = table.entry(key.to_owned()).or_insert(Failures {
        window_start: now,
        count: 0,
        blocked_until: 0,
    });
    if now.saturating_sub(f.window_start) >= limits.failure_window_ms {
        f.window_start = now;
        f.count = 0;
    }
    f.count += 1;
    if f.count >= max.max(1) {
        f.blocked_until = now.saturating_add(limits.block_ms);
    }
}

fn blocked(table: &HashMap<String, Failures>, key: &str, now: u64) -> Option<u64> {
    table
        .get(key)
        .filter(|f| f.blocked_until > now)
        .map(|f| f.blocked_until)
}

fn throttled(reason: String, wait_ms: u64) -> Refusal {
    let mut r = status_only(429);
    r.headers.push((
        "Retry-After".into(),
        wait_ms.div_ceil(1000).max(1).to_string(),
    ));
    Refusal::new(RefusalKind::Throttled, reason, r)
}

fn status_only(status: u16) -> HttpResponse {
    HttpResponse {
        status,
        headers: Vec::new(),
        body: Vec::new(),
    }
}

fn challenge_response(values: Vec<String>) -> HttpResponse {
    HttpResponse {
        status: 401,
        headers: values
            .into_iter()
            .map(|v| ("WWW-Authenticate".to_owned(), v))
            .collect(),
        body: Vec::new(),
    }
}

/// `OUI-SerialNumber`, the short form of a device key.
fn short_key(d: &DeviceIdStruct) -> String {
    format!("{}-{}", d.oui, d.serial_number)
}

/// Whether `name` names the device: its key, or the `OUI-SerialNumber` form — the latter only
/// when the serial number has no `-`. Keys are text joined by `-`: the short form of
/// (00A0C6, P, FAP-X1) is the key of (00A0C6, FAP, X1), and a name must not speak for two
/// devices. A deployment whose serial numbers contain `-` names its devices by their full keys
/// (or by `certificate_identity`).
fn names_device(name: &str, d: &DeviceIdStruct) -> bool {
    name == d.device_key() || (!d.serial_number.contains('-') && name == short_key(d))
}

/// Whether a Digest `uri` names the request target: equal, or the same path and query when
/// one of them is in absolute form (`http://host/cwmp` against `/cwmp`).
fn same_target(uri: &str, target: &str) -> bool {
    uri == target || digest::request_uri(uri) == digest::request_uri(target)
}

/// A nonce: issue time, a counter (so that two challenges in the same millisecond differ)
/// and a keyed hash of both, so that any node sharing the secret can check it.
fn issue_nonce(secret: &str, now: u64, n: u64) -> String {
    format!("{now:x}.{n:x}.{}", nonce_mac(secret, now, n).as_str())
}

fn nonce_mac(secret: &str, t: u64, n: u64) -> digest::HexDigest {
    let mut h = Sha256::new();
    h.update(secret.as_bytes());
    h.update(t.to_be_bytes());
    h.update(n.to_be_bytes());
    digest::HexDigest::of(&h.finalize()[..12])
}

/// When a nonce was issued and its counter, if we issued it.
fn nonce_issued(secret: &str, nonce: &str) -> Option<(u64, u64)> {
    let mut parts = nonce.split('.');
    let (t, n, mac) = (parts.next()?, parts.next()?, parts.next()?);
    if parts.next().is_some() {
        return None;
    }
    let t = u64::from_str_radix(t, 16).ok()?;
    let n = u64::from_str_radix(n, 16).ok()?;
    ct_eq(mac, nonce_mac(secret, t, n).as_str()).then_some((t, n))
}

/// Whether hex `b` (either case) equals lower-case hex `a`, in constant time.
fn ct_eq_hex(a: &[u8], b: &str) -> bool {
    let b = b.as_bytes();
    a.len() == b.len()
        && a.iter()
            .zip(b)
            .fold(0u8, |acc, (x, y)| acc | (x ^ y.to_ascii_lowercase()))
            == 0
}

fn ct_eq(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Reads `Basic base64(user:password)`.
fn parse_basic(value: &str) -> Option<(String, String)> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(digest::base64_decode(rest.trim())?).ok()?;
    let (u, p) = decoded.split_once(':')?;
    Some((u.to_owned(), p.to_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shared(limits: AuthLimits) -> Authenticator {
        Authenticator::new(AuthConfig {
            policy: AuthPolicy::Digest {
                username: "u".into(),
                password: "p".into(),
                algorithm: DigestAlgorithm::Md5,
            },
            nonce_secret: "s".into(),
            limits,
            ..AuthConfig::default()
        })
    }

    /// Asks for a challenge and answers it with nonce count `nc`.
    fn answer(a: &mut Authenticator, nonce: Option<&str>, nc: u32, now: u64) -> (String, String) {
        let info = ConnectionInfo::default();
        let nonce = match nonce {
            Some(n) => n.to_owned(),
            None => {
                let r = a
                    .authenticate(
                        &AuthRequest {
                            method: "POST",
                            target: Some("/cwmp"),
                            headers: &[],
                            connection: &info,
                        },
                        Timestamp(now),
                    )
                    .unwrap_err();
                let c =
                    digest::parse_challenges(r.response.headers.iter().map(|(_, v)| v.as_str()));
                c[0].nonce.clone()
            }
        };
        let challenge = digest::Challenge {
            realm: "femtocwmp".into(),
            nonce: nonce.clone(),
            opaque: None,
            algorithm: DigestAlgorithm::Md5,
            qop_auth: true,
            stale: false,
        };
        let h = digest::authorization(&challenge, "u", "p", "POST", "/cwmp", "cn", nc);
        (nonce, h)
    }

    fn check(a: &mut Authenticator, h: &str, now: u64) -> Result<Identity, Refusal> {
        let info = ConnectionInfo::default();
        let headers = [("Authorization", h)];
        a.authenticate(
            &AuthRequest {
                method: "POST",
                target: Some("/cwmp"),
                headers: &headers,
                connection: &info,
            },
            Timestamp(now),
        )
    }

    #[test]
    fn forgotten_nonces_are_stale_not_replayable() {
        let mut a = shared(AuthLimits {
            max_nonces: 2,
            ..AuthLimits::default()
        });
        let (first, h) = answer(&mut a, None, 1, 10);
        assert_eq!(check(&mut a, &h, 11), Ok(Identity::SharedSecret));
        for t in [20, 30] {
            let (_, h) = answer(&mut a, None, 1, t);
            assert!(check(&mut a, &h, t + 1).is_ok());
        }
        assert_eq!(a.nonces.len(), 2, "bounded");
        // the first nonce's nc was forgotten: any nc on it is answered stale, never accepted
        let (_, h) = answer(&mut a, Some(&first), 1, 40);
        let r = check(&mut a, &h, 40).unwrap_err();
        assert_eq!(r.kind, RefusalKind::Challenge);
        assert!(r.response.headers[0].1.contains("stale=true"));
        // a nonce issued at time 0 is as good as any
        let mut b = shared(AuthLimits::default());
        let (_, h) = answer(&mut b, None, 1, 0);
        assert!(check(&mut b, &h, 0).is_ok());
    }

    #[test]
    fn failure_records_are_bounded() {
        let mut a = shared(AuthLimits {
            max_tracked: 3,
            ..AuthLimits::default()
        });
        for i in 0..10 {
            let info = ConnectionInfo {
                peer: Some(format!("192.0.2.{i}")),
                ..ConnectionInfo::default()
            };
            let headers = [("Authorization", "Digest username=\"x\", nonce=\"n\"")];
            let r = a.authenticate(
                &AuthRequest {
                    method: "POST",
                    target: Some("/cwmp"),
                    headers: &headers,
                    connection: &info,
                },
                Timestamp(100),
            );
            assert_eq!(r.unwrap_err().kind, RefusalKind::BadCredentials);
        }
        assert!(a.by_address.len() <= 3 && a.by_device.len() <= 3);
    }

    proptest::proptest! {
        /// Whatever a client sends as Authorization (Digest-like fields, any bytes), the
        /// answer is a refusal with a response, never a panic or an acceptance.
        #[test]
        fn hostile_authorization_headers_are_refused(
            fields in proptest::collection::vec(
                ("[a-zA-Z]{0,10}", "[ -~]{0,40}", proptest::bool::ANY), 0..14),
            scheme in "(Digest|digest|Basic| Digest|)",
            raw in "\\PC{0,200}",
        ) {
            let mut a = shared(AuthLimits::default());
            let mut value = format!("{scheme} ");
            for (k, v, quoted) in &fields {
                if *quoted {
                    value.push_str(&format!("{k}=\"{v}\", "));
                } else {
                    value.push_str(&format!("{k}={v},"));
                }
            }
            for h in [value.as_str(), raw.as_str()] {
                let r = check(&mut a, h, 5);
                proptest::prop_assert!(r.is_err());
                let status = r.unwrap_err().response.status;
                proptest::prop_assert!([401, 403, 429].contains(&status));
            }
        }
    }

    #[test]
    fn basic_is_parsed_strictly() {
        assert_eq!(
            parse_basic("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="),
            Some(("Aladdin".into(), "open sesame".into()))
        );
        assert_eq!(
            parse_basic("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ"),
            Some(("Aladdin".into(), "open sesame".into()))
        );
        assert_eq!(parse_basic("Basic !!!"), None);
        assert_eq!(parse_basic("Digest QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), None);
        assert_eq!(parse_basic("Basic bm9jb2xvbg=="), None, "no colon");
    }
}
