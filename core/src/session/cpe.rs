//! The HeNB (CPE) side of one session: an HTTP client that opens with the Inform.

use std::collections::{BTreeMap, HashSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::digest::{self, Challenge};
use super::http::{header, set_cookie_pairs, HttpRequest, CONTENT_TYPE};
use super::{
    EndReason, LocalProtocolError, Output, RemoteProtocolError, Reply, RequestId, Rng,
    SessionError, Timestamp,
};
use crate::codec::{
    check_body, decode, encode_parts_into, Body, CwmpVersion, DateTime, DeviceIdStruct, Direction,
    Envelope, EventStruct, Fault, Header, Inform, MessageKind, Namespace, ParameterValueStruct,
};

/// How a CPE session behaves. Shared (behind an `Arc` in most programs) by many sessions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CpeConfig {
    /// `ManagementServer.URL`.
    pub acs_url: String,
    /// `ManagementServer.Username`, for HTTP authentication of the CPE.
    pub username: String,
    /// `ManagementServer.Password`.
    pub password: String,
    /// Send Basic credentials with the first POST, unasked (TR-069 3.4.4 allows Basic only
    /// over TLS: set this for https URLs only).
    pub preemptive_basic: bool,
    /// Versions the CPE speaks; the highest opens the session (1.4 announces them all in
    /// SupportedCWMPVersions).
    pub supported_versions: Vec<CwmpVersion>,
    /// How long to wait for each ACS response before the session fails (TR-069: 30 s
    /// nominal; announced as SessionTimeout from 1.3 on).
    pub session_timeout_ms: u64,
    /// Redirects followed before giving up (TR-069 3.4.5: at most 5).
    pub max_redirects: u32,
    /// Seed of the cnonce and cwmp:ID generator (give each device its own).
    pub rng_seed: u64,
}

impl Default for CpeConfig {
    fn default() -> Self {
        CpeConfig {
            acs_url: String::new(),
            username: String::new(),
            password: String::new(),
            preemptive_basic: false,
            supported_versions: CwmpVersion::ALL.to_vec(),
            session_timeout_ms: 30_000,
            max_redirects: 5,
            rng_seed: 0,
        }
    }
}

impl CpeConfig {
    /// A configuration for `acs_url` with the defaults.
    pub fn new(acs_url: impl Into<String>) -> Self {
        CpeConfig {
            acs_url: acs_url.into(),
            ..CpeConfig::default()
        }
    }
}

/// What the Inform that opens the session says.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InformParams {
    /// Who the CPE is.
    pub device_id: DeviceIdStruct,
    /// Why the session opens.
    pub events: Vec<EventStruct>,
    /// Forced-inform and changed parameters.
    pub parameter_list: Vec<ParameterValueStruct>,
    /// The CPE's wall-clock time (an input: the session reads no clock).
    pub current_time: DateTime,
    /// Failed attempts so far.
    pub retry_count: u32,
}

/// What happens in a CPE session that the application must know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum CpeEvent {
    /// The ACS accepted the Inform: the events it carried are delivered.
    Informed {
        /// The version used for the rest of the session.
        version: CwmpVersion,
    },
    /// The ACS sent a request; answer it with [`CpeSession::respond`].
    Request {
        /// Use it to respond.
        id: RequestId,
        /// The request.
        body: Body,
    },
    /// The ACS answered one of our requests ([`CpeSession::request`]).
    Response {
        /// The request.
        id: RequestId,
        /// Its response or fault.
        result: Reply,
    },
    /// The session was redirected to another URL (and restarts with the Inform there).
    Redirected {
        /// Where to.
        url: String,
    },
    /// The session ended; the outcome says what was delivered.
    Ended(SessionOutcome),
}

/// How a CPE session ended and what it delivered, so that undelivered events and requests are
/// kept for the next session (TR-069 3.7.1.5, A.7 of the digest).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionOutcome {
    /// Why it ended.
    pub reason: EndReason,
    /// Whether the InformResponse arrived (the Inform's events are delivered).
    pub inform_acknowledged: bool,
    /// Our requests the ACS answered (response or fault).
    pub answered: Vec<RequestId>,
    /// Our requests not answered: retry them in the next session.
    pub unanswered: Vec<(RequestId, Body)>,
    /// ACS requests we answered.
    pub acs_requests_answered: u32,
    /// The version used.
    pub version: CwmpVersion,
}

impl SessionOutcome {
    /// Whether the session ended normally.
    pub fn is_success(&self) -> bool {
        self.reason == EndReason::Completed
    }
}

/// An input to a CPE session.
#[derive(Debug, Clone, Copy)]
pub enum CpeInput<'a> {
    /// The ACS's HTTP response to our last POST.
    HttpResponse {
        /// Now.
        now: Timestamp,
        /// HTTP status.
        status: u16,
        /// Response headers.
        headers: &'a [(&'a str, &'a str)],
        /// Response body.
        body: &'a [u8],
    },
    /// The POST could not be delivered or answered (connect, TLS, reset).
    TransportFailed {
        /// Now.
        now: Timestamp,
        /// What failed, for the outcome.
        reason: &'a str,
    },
    /// Time has passed (call at or after the deadline of `Output::Timeout`).
    Timeout(Timestamp),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum State {
    AwaitInformResponse,
    AwaitResponse(RequestId),
    AwaitApp(RequestId),
    AwaitAcs,
    Ended,
}

/// The HeNB side of one CWMP session: an HTTP client that opens with the Inform, sends its
/// own requests one per POST, answers the ACS's requests and ends on an empty response.
///
/// Not safe for concurrent use; move it between threads freely.
#[doc(alias = "HeNB")]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CpeSession {
    config: CpeConfig,
    state: State,
    url: String,
    version: CwmpVersion,
    namespace: Namespace,
    /// The Inform, built once (resent after a redirect).
    inform: Body,
    inform_acknowledged: bool,
    hold: bool,
    redirects: u32,
    cookies: BTreeMap<String, String>,
    challenge: Option<ChallengeState>,
    stale_retries: u32,
    /// The body of the last POST, resent after a 401.
    last_post: Vec<u8>,
    next_id: u64,
    id_prefix: String,
    /// Our requests not yet sent, in order.
    queue: VecDeque<(RequestId, Body)>,
    /// Our request in flight, with its cwmp:ID.
    in_flight: Option<(RequestId, String, Body)>,
    answered: Vec<RequestId>,
    /// ACS requests waiting for `respond`, with their cwmp:ID and method.
    acs_request: Option<(RequestId, Option<String>, String)>,
    seen_ids: HashSet<String>,
    acs_requests_answered: u32,
    deadline: Option<Timestamp>,
    outputs: VecDeque<Output<HttpRequest, CpeEvent>>,
    #[serde(skip)]
    error: Option<SessionError>,
    rng: Rng,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct ChallengeState {
    realm: String,
    nonce: String,
    opaque: Option<String>,
    sha256: bool,
    qop_auth: bool,
    nc: u32,
    basic: bool,
}

impl CpeSession {
    /// Starts a session: the first output is the POST of the Inform.
    pub fn new(config: CpeConfig, inform: InformParams, now: Timestamp) -> CpeSession {
        let version = config
            .supported_versions
            .iter()
            .copied()
            .max()
            .unwrap_or(CwmpVersion::V1_2);
        let mut rng = Rng::new(config.rng_seed);
        let id_prefix = format!("cpe-{:06x}-", rng.next_u64() & 0xff_ffff);
        let mut s = CpeSession {
            url: config.acs_url.clone(),
            config,
            state: State::AwaitInformResponse,
            version,
            namespace: version.namespace(),
            inform: Body::Inform(Inform {
                device_id: inform.device_id,
                event: inform.events,
                max_envelopes: 1,
                current_time: inform.current_time,
                retry_count: inform.retry_count,
                parameter_list: inform.parameter_list,
            }),
            inform_acknowledged: false,
            hold: false,
            redirects: 0,
            cookies: BTreeMap::new(),
            challenge: None,
            stale_retries: 0,
            last_post: Vec::new(),
            next_id: 1,
            id_prefix,
            queue: VecDeque::new(),
            in_flight: None,
            answered: Vec::new(),
            acs_request: None,
            seen_ids: HashSet::new(),
            acs_requests_answered: 0,
            deadline: None,
            outputs: VecDeque::new(),
            error: None,
            rng,
        };
        s.send_inform(now);
        s
    }

    /// The version in use (the highest supported until the InformResponse fixes it).
    pub fn version(&self) -> CwmpVersion {
        self.version
    }

    /// Whether the session has ended.
    pub fn is_ended(&self) -> bool {
        self.state == State::Ended
    }

    /// The URL the next POST goes to (changes on redirect).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The sticky error, if the session failed on one.
    pub fn error(&self) -> Option<&SessionError> {
        self.error.as_ref()
    }

    /// Queues a CPE request (TransferComplete, AutonomousTransferComplete, GetRPCMethods,
    /// RequestDownload, Kicked, DUStateChangeComplete...). It goes out in its own POST after
    /// the InformResponse, unless the ACS said HoldRequests; the ACS's answer comes back as
    /// [`CpeEvent::Response`]. Requests still unsent when the session ends are listed in
    /// [`SessionOutcome::unanswered`].
    pub fn request(&mut self, body: Body) -> Result<RequestId, SessionError> {
        self.check_sticky()?;
        let acs_method = body.kind() == MessageKind::Request
            && body.direction() != Direction::ToCpe
            && !matches!(body, Body::Inform(_));
        if !acs_method {
            return Err(LocalProtocolError::WrongMessage {
                method: body.method_name().into(),
                side: "CPE as a request".into(),
            }
            .into());
        }
        if self.state == State::Ended {
            return Err(wrong_state("request", "the session has ended"));
        }
        self.validate(&body)?;
        let id = RequestId(self.next_id);
        self.next_id += 1;
        self.queue.push_back((id, body));
        Ok(id)
    }

    /// Answers the ACS request `id` with its response body or a fault.
    pub fn respond(
        &mut self,
        id: RequestId,
        reply: Reply,
        now: Timestamp,
    ) -> Result<(), SessionError> {
        self.check_sticky()?;
        let Some((pending, wire_id, method)) = self.acs_request.clone() else {
            return Err(LocalProtocolError::UnknownRequest(id).into());
        };
        if pending != id || self.state != State::AwaitApp(id) {
            return Err(LocalProtocolError::UnknownRequest(id).into());
        }
        let body = match reply {
            Ok(body) => {
                let expected = format!("{method}Response");
                if body.method_name() != expected {
                    return Err(LocalProtocolError::WrongMessage {
                        method: body.method_name().into(),
                        side: format!("CPE in answer to {method} (expected {expected})"),
                    }
                    .into());
                }
                body
            }
            Err(fault) => Body::Fault(fault),
        };
        self.validate(&body)?;
        self.acs_request = None;
        self.acs_requests_answered += 1;
        let header = Header {
            id: wire_id,
            ..Header::default()
        };
        self.post_message(&header, &body, now);
        self.state = State::AwaitAcs;
        Ok(())
    }

    /// Feeds an input; then drain [`CpeSession::poll_output`].
    pub fn handle_input(&mut self, input: CpeInput<'_>) -> Result<(), SessionError> {
        self.check_sticky()?;
        match input {
            CpeInput::HttpResponse {
                now,
                status,
                headers,
                body,
            } => self.on_response(now, status, headers, body),
            CpeInput::TransportFailed { reason, .. } => {
                self.end(EndReason::TransportFailed(reason.to_owned()));
                Ok(())
            }
            CpeInput::Timeout(now) => {
                if self.deadline.is_some_and(|d| now >= d) && self.state != State::Ended {
                    self.end(EndReason::Timeout);
                }
                Ok(())
            }
        }
    }

    /// Convenience for `handle_input(CpeInput::HttpResponse { .. })`.
    pub fn handle_http_response(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
        now: Timestamp,
    ) -> Result<(), SessionError> {
        self.handle_input(CpeInput::HttpResponse {
            now,
            status,
            headers,
            body,
        })
    }

    /// The next output. Drain until `Timeout` or `Idle` after every input and command.
    pub fn poll_output(&mut self) -> Output<HttpRequest, CpeEvent> {
        if let Some(o) = self.outputs.pop_front() {
            return o;
        }
        match (self.state == State::Ended, self.deadline) {
            (false, Some(d)) => Output::Timeout(d),
            _ => Output::Idle,
        }
    }

    /// The next deadline, if any.
    pub fn poll_timeout(&self) -> Option<Timestamp> {
        if self.state == State::Ended {
            None
        } else {
            self.deadline
        }
    }

    // ------------------------------------------------------------ internals

    fn check_sticky(&self) -> Result<(), SessionError> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn validate(&self, body: &Body) -> Result<(), SessionError> {
        let problems = check_body(self.version, body);
        match problems.first() {
            None => Ok(()),
            Some(p) => Err(LocalProtocolError::Invalid(p.to_string()).into()),
        }
    }

    fn wire_id(&mut self) -> String {
        let id = format!("{}{}", self.id_prefix, self.next_id);
        self.next_id += 1;
        id
    }

    fn send_inform(&mut self, now: Timestamp) {
        let mut header = Header::with_id(self.wire_id());
        if self.version >= CwmpVersion::V1_4 {
            let list: Vec<&str> = self
                .config
                .supported_versions
                .iter()
                .map(|v| v.as_str())
                .collect();
            header.supported_cwmp_versions = Some(list.join(","));
        }
        if self.version >= CwmpVersion::V1_3 {
            header.session_timeout = Some((self.config.session_timeout_ms / 1000) as u32);
        }
        let inform = std::mem::replace(&mut self.inform, Body::Empty);
        self.post_message(&header, &inform, now);
        self.inform = inform;
        self.state = State::AwaitInformResponse;
    }

    /// Encodes and POSTs one message.
    fn post_message(&mut self, header: &Header, body: &Body, now: Timestamp) {
        let mut bytes = Vec::with_capacity(1024);
        encode_parts_into(self.namespace, header, body, &mut bytes);
        self.post(bytes, now);
    }

    /// Sends a POST (an empty body is the empty POST) and arms the session timeout.
    fn post(&mut self, body: Vec<u8>, now: Timestamp) {
        let mut headers = Vec::with_capacity(4);
        if !body.is_empty() {
            headers.push(("Content-Type".to_owned(), CONTENT_TYPE.to_owned()));
            headers.push(("SOAPAction".to_owned(), String::new()));
        }
        if !self.cookies.is_empty() {
            let c: Vec<String> = self
                .cookies
                .iter()
                .map(|(k, v)| format!("{k}={v}"))
                .collect();
            headers.push(("Cookie".to_owned(), c.join("; ")));
        }
        if let Some(auth) = self.authorization() {
            headers.push(("Authorization".to_owned(), auth));
        }
        self.last_post.clone_from(&body);
        self.deadline = Some(now.plus_ms(self.config.session_timeout_ms));
        self.outputs.push_back(Output::Transmit(HttpRequest {
            url: self.url.clone(),
            headers,
            body,
        }));
    }

    fn authorization(&mut self) -> Option<String> {
        if self.challenge.is_none()
            && self.config.preemptive_basic
            && !self.config.username.is_empty()
        {
            return Some(digest::basic_authorization(
                &self.config.username,
                &self.config.password,
            ));
        }
        let cnonce = self.rng.hex();
        let c = self.challenge.as_mut()?;
        if c.basic {
            return Some(digest::basic_authorization(
                &self.config.username,
                &self.config.password,
            ));
        }
        c.nc += 1;
        let ch = Challenge {
            realm: c.realm.clone(),
            nonce: c.nonce.clone(),
            opaque: c.opaque.clone(),
            algorithm: if c.sha256 {
                digest::DigestAlgorithm::Sha256
            } else {
                digest::DigestAlgorithm::Md5
            },
            qop_auth: c.qop_auth,
            stale: false,
        };
        Some(digest::authorization(
            &ch,
            &self.config.username,
            &self.config.password,
            "POST",
            digest::request_uri(&self.url),
            &cnonce,
            c.nc,
        ))
    }

    fn fail(&mut self, e: SessionError) -> Result<(), SessionError> {
        let reason = match &e {
            SessionError::Remote(
                r @ (RemoteProtocolError::InformFault(_)
                | RemoteProtocolError::Authentication(_)
                | RemoteProtocolError::VersionMismatch(_)),
            ) => EndReason::Refused(r.to_string()),
            other => EndReason::ProtocolError(other.to_string()),
        };
        self.end(reason);
        self.error = Some(e.clone());
        Err(e)
    }

    fn end(&mut self, reason: EndReason) {
        if self.state == State::Ended {
            return;
        }
        self.state = State::Ended;
        self.deadline = None;
        let mut unanswered: Vec<(RequestId, Body)> = Vec::new();
        if let Some((id, _, body)) = self.in_flight.take() {
            unanswered.push((id, body));
        }
        unanswered.extend(self.queue.drain(..));
        self.outputs
            .push_back(Output::Event(CpeEvent::Ended(SessionOutcome {
                reason,
                inform_acknowledged: self.inform_acknowledged,
                answered: std::mem::take(&mut self.answered),
                unanswered,
                acs_requests_answered: self.acs_requests_answered,
                version: self.version,
            })));
    }

    fn on_response(
        &mut self,
        now: Timestamp,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(), SessionError> {
        if matches!(self.state, State::Ended | State::AwaitApp(_)) {
            return self.fail(
                RemoteProtocolError::Unexpected {
                    got: format!("HTTP {status}"),
                    when: "with no POST outstanding".into(),
                }
                .into(),
            );
        }
        for (k, v) in set_cookie_pairs(headers) {
            self.cookies.insert(k, v);
        }
        match status {
            401 => return self.on_challenge(now, headers),
            301 | 302 | 303 | 307 | 308 => return self.on_redirect(now, headers),
            200..=299 => {}
            500 if !body.is_empty() => {} // a SOAP fault, in the SOAP 1.1 binding's way
            other => return self.fail(RemoteProtocolError::HttpStatus(other).into()),
        }
        let env = if body.iter().all(u8::is_ascii_whitespace) {
            None
        } else {
            match decode(body) {
                Ok(env) => Some(env),
                Err(e) => return self.fail(e.into()),
            }
        };
        self.hold = env
            .as_ref()
            .and_then(|e| e.header.hold_requests)
            .unwrap_or(false);
        match self.state.clone() {
            State::AwaitInformResponse => self.on_inform_response(now, env),
            State::AwaitResponse(id) => self.on_our_response(now, id, env),
            State::AwaitAcs => self.on_acs_message(now, env),
            State::AwaitApp(_) | State::Ended => unreachable!("checked above"),
        }
    }

    fn on_challenge(
        &mut self,
        now: Timestamp,
        headers: &[(&str, &str)],
    ) -> Result<(), SessionError> {
        let values = headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
            .map(|(_, v)| *v);
        let challenges = digest::parse_challenges(values.clone());
        let basic = values.clone().any(digest::offers_basic);
        if self.config.username.is_empty() {
            return self.fail(
                RemoteProtocolError::Authentication(
                    "the ACS asks for credentials, none configured".into(),
                )
                .into(),
            );
        }
        // Answer a challenge once, and a stale-nonce challenge once more (RFC 7616 3.3).
        let stale = challenges.first().is_some_and(|c| c.stale);
        let refused = match &self.challenge {
            None => false,
            Some(c) => c.basic || !stale || self.stale_retries >= 1,
        };
        if stale && self.challenge.is_some() {
            self.stale_retries += 1;
        }
        if refused {
            return self
                .fail(RemoteProtocolError::Authentication("credentials refused".into()).into());
        }
        self.challenge = Some(match challenges.into_iter().next() {
            Some(c) => ChallengeState {
                realm: c.realm,
                nonce: c.nonce,
                opaque: c.opaque,
                sha256: c.algorithm == digest::DigestAlgorithm::Sha256,
                qop_auth: c.qop_auth,
                nc: 0,
                basic: false,
            },
            None if basic => ChallengeState {
                realm: String::new(),
                nonce: String::new(),
                opaque: None,
                sha256: false,
                qop_auth: false,
                nc: 0,
                basic: true,
            },
            None => {
                return self.fail(
                    RemoteProtocolError::Authentication("401 without a usable challenge".into())
                        .into(),
                )
            }
        });
        let again = std::mem::take(&mut self.last_post);
        self.post(again, now);
        Ok(())
    }

    fn on_redirect(
        &mut self,
        now: Timestamp,
        headers: &[(&str, &str)],
    ) -> Result<(), SessionError> {
        if self.state != State::AwaitInformResponse {
            return self.fail(
                RemoteProtocolError::Unexpected {
                    got: "redirect".into(),
                    when: "after the InformResponse".into(),
                }
                .into(),
            );
        }
        let Some(location) = header(headers, "location") else {
            return self.fail(RemoteProtocolError::HttpStatus(302).into());
        };
        self.redirects += 1;
        if self.redirects > self.config.max_redirects {
            return self
                .fail(RemoteProtocolError::TooManyRedirects(self.config.max_redirects).into());
        }
        // TR-069 3.4.5: start over with the Inform at the new URL (ManagementServer.URL is
        // left as it is); cookies and credentials belonged to the old server.
        self.url = location.to_owned();
        self.cookies.clear();
        self.challenge = None;
        self.outputs.push_back(Output::Event(CpeEvent::Redirected {
            url: self.url.clone(),
        }));
        self.send_inform(now);
        Ok(())
    }

    fn on_inform_response(
        &mut self,
        now: Timestamp,
        env: Option<Envelope>,
    ) -> Result<(), SessionError> {
        let Some(env) = env else {
            return self.fail(
                RemoteProtocolError::Unexpected {
                    got: "an empty response".into(),
                    when: "instead of the InformResponse".into(),
                }
                .into(),
            );
        };
        match &env.body {
            Body::InformResponse(_) => {}
            Body::Fault(f) => {
                let code = f.fault_code.code();
                return self.fail(RemoteProtocolError::InformFault(code).into());
            }
            other => {
                return self.fail(
                    RemoteProtocolError::Unexpected {
                        got: other.method_name().into(),
                        when: "before the InformResponse".into(),
                    }
                    .into(),
                )
            }
        }
        // TR-069 3.7.4 (1.4): UseCWMPVersion fixes the version; otherwise the ACS's namespace
        // does, and the CPE follows a lower one.
        let version = match &env.header.use_cwmp_version {
            Some(v) => match CwmpVersion::parse(v) {
                Some(v) => v,
                None => {
                    let e = RemoteProtocolError::VersionMismatch(format!("UseCWMPVersion {v:?}"));
                    return self.fail(e.into());
                }
            },
            None => self.version.min(match env.namespace {
                Namespace::Cwmp10 => CwmpVersion::V1_0,
                Namespace::Cwmp11 => CwmpVersion::V1_1,
                // an ACS that ignored SupportedCWMPVersions: 1.2 and 1.3 share the namespace,
                // so assume the lower
                Namespace::Cwmp12 => CwmpVersion::V1_2,
                Namespace::Cwmp13 => CwmpVersion::V1_3,
                Namespace::Cwmp14 => CwmpVersion::V1_4,
            }),
        };
        if !self.config.supported_versions.contains(&version) {
            return self.fail(
                RemoteProtocolError::VersionMismatch(format!("the ACS chose {version}")).into(),
            );
        }
        self.version = version;
        self.namespace = env.namespace;
        self.inform_acknowledged = true;
        self.outputs
            .push_back(Output::Event(CpeEvent::Informed { version }));
        self.next_post(now);
        Ok(())
    }

    /// Our turn: the next queued request (unless HoldRequests), else the empty POST.
    fn next_post(&mut self, now: Timestamp) {
        if !self.hold {
            if let Some((id, body)) = self.queue.pop_front() {
                let wire = self.wire_id();
                self.post_message(&Header::with_id(wire.clone()), &body, now);
                self.in_flight = Some((id, wire, body));
                self.state = State::AwaitResponse(id);
                return;
            }
        }
        self.post(Vec::new(), now);
        self.state = State::AwaitAcs;
    }

    fn on_our_response(
        &mut self,
        now: Timestamp,
        id: RequestId,
        env: Option<Envelope>,
    ) -> Result<(), SessionError> {
        let Some(env) = env else {
            return self.fail(
                RemoteProtocolError::Unexpected {
                    got: "an empty response".into(),
                    when: "while our request is unanswered".into(),
                }
                .into(),
            );
        };
        let (_, wire, request) = self.in_flight.clone().expect("a request is in flight");
        if let Some(got) = &env.header.id {
            if *got != wire {
                return self.fail(RemoteProtocolError::UnmatchedId(got.clone()).into());
            }
        }
        let result = match env.body {
            Body::Fault(f) => Err(f),
            body if body.method_name() == format!("{}Response", request.method_name()) => Ok(body),
            other => {
                return self.fail(
                    RemoteProtocolError::Unexpected {
                        got: other.method_name().into(),
                        when: format!("in answer to {}", request.method_name()),
                    }
                    .into(),
                )
            }
        };
        self.in_flight = None;
        self.answered.push(id);
        self.outputs
            .push_back(Output::Event(CpeEvent::Response { id, result }));
        self.next_post(now);
        Ok(())
    }

    fn on_acs_message(
        &mut self,
        now: Timestamp,
        env: Option<Envelope>,
    ) -> Result<(), SessionError> {
        let Some(env) = env else {
            // the ACS has no more requests (TR-069 3.7.1.4): after our own empty POST that
            // ends the session — a request that became ready meanwhile goes in the next
            // session, never as a POST into this one; after our response to an ACS request,
            // our queued requests go now
            if !self.queue.is_empty() && !self.last_post.is_empty() {
                self.next_post(now);
            } else {
                self.end(EndReason::Completed);
            }
            return Ok(());
        };
        let is_acs_request =
            env.body.kind() == MessageKind::Request && env.body.direction() != Direction::ToAcs;
        if !is_acs_request {
            return self.fail(
                RemoteProtocolError::Unexpected {
                    got: env.body.method_name().into(),
                    when: "where an ACS request or an empty response belongs".into(),
                }
                .into(),
            );
        }
        if let Some(wire) = &env.header.id {
            if !self.seen_ids.insert(wire.clone()) {
                return self.fail(RemoteProtocolError::DuplicateId(wire.clone()).into());
            }
        }
        let id = RequestId(self.next_id);
        self.next_id += 1;
        self.acs_request = Some((id, env.header.id.clone(), env.body.method_name().to_owned()));
        self.state = State::AwaitApp(id);
        self.deadline = None;
        self.outputs
            .push_back(Output::Event(CpeEvent::Request { id, body: env.body }));
        Ok(())
    }
}

fn wrong_state(command: &str, why: &str) -> SessionError {
    LocalProtocolError::WrongState {
        command: command.into(),
        why: why.into(),
    }
    .into()
}

impl From<Fault> for Body {
    fn from(f: Fault) -> Body {
        Body::Fault(f)
    }
}
