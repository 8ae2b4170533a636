//! The HeMS (ACS) side of one session: an HTTP server conversation that starts with the
//! CPE's Inform, read by an [`Acceptor`] before any per-device choice is made (rustls'
//! `Acceptor` idea).

use std::collections::{HashSet, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use super::http::{cookie_value, HttpResponse, CONTENT_TYPE};
use super::{
    EndReason, LocalProtocolError, Output, RemoteProtocolError, Reply, RequestId, Rng,
    SessionError, Timestamp,
};
use crate::codec::{
    check_body, decode, encode_parts_into, Body, CwmpVersion, DeviceIdStruct, Direction, Envelope,
    Fault, FaultCode, GetRPCMethodsResponse, Header, Inform, InformResponse, KickedResponse,
    MessageKind, Namespace,
};

/// How an ACS session behaves; chosen per device after the Inform is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AcsConfig {
    /// Versions the HeMS speaks.
    pub supported_versions: Vec<CwmpVersion>,
    /// How long to wait for the CPE's next POST.
    pub session_timeout_ms: u64,
    /// Answer TransferComplete, AutonomousTransferComplete, RequestDownload, Kicked,
    /// (Autonomous)DUStateChangeComplete and GetRPCMethods at once (they are still surfaced
    /// as [`AcsEvent::CpeRequest`]); if false the application answers with `respond`.
    pub auto_answer: bool,
    /// Send HoldRequests=true with every ACS request (the CPE then sends none of its own).
    pub hold_requests: bool,
    /// On the CPE's empty POST with nothing queued, end the session (204) at once; if false,
    /// wait for [`AcsSession::queue`] or [`AcsSession::finish`].
    pub end_on_empty_queue: bool,
    /// Name of the session cookie.
    pub cookie_name: String,
    /// Seed for cookies and cwmp:IDs.
    pub rng_seed: u64,
}

impl Default for AcsConfig {
    fn default() -> Self {
        AcsConfig {
            supported_versions: CwmpVersion::ALL.to_vec(),
            session_timeout_ms: 60_000,
            auto_answer: true,
            hold_requests: false,
            end_on_empty_queue: true,
            cookie_name: "femtocwmp-session".into(),
            rng_seed: 0,
        }
    }
}

/// What happens in an ACS session that the application must know.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AcsEvent {
    /// The Inform was accepted and answered.
    Informed {
        /// The Inform.
        inform: Inform,
        /// The version used for the session.
        version: CwmpVersion,
    },
    /// The CPE sent a request. When `answered` is false, answer it with `respond`.
    CpeRequest {
        /// Use it to respond.
        id: RequestId,
        /// The request.
        body: Body,
        /// Whether the session answered it already (`AcsConfig::auto_answer`).
        answered: bool,
    },
    /// The CPE answered one of our queued requests.
    Response {
        /// The request, as returned by `queue`.
        id: RequestId,
        /// Its response or fault.
        result: Reply,
    },
    /// The CPE has nothing more to send and nothing is queued: queue requests or `finish`.
    AwaitingRequests,
    /// The session ended.
    Ended(AcsOutcome),
}

/// How an ACS session ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AcsOutcome {
    /// Why.
    pub reason: EndReason,
    /// The device.
    pub device_id: DeviceIdStruct,
    /// Queued requests the CPE answered.
    pub answered: Vec<RequestId>,
    /// Queued requests not answered (not sent, or sent and lost): queue them again later.
    pub unanswered: Vec<(RequestId, Body)>,
    /// The version used.
    pub version: CwmpVersion,
}

impl AcsOutcome {
    /// Whether the session ended normally.
    pub fn is_success(&self) -> bool {
        self.reason == EndReason::Completed
    }
}

/// An input to an ACS session.
#[derive(Debug, Clone, Copy)]
pub enum AcsInput<'a> {
    /// The CPE's next HTTP POST.
    HttpRequest {
        /// Now.
        now: Timestamp,
        /// Request headers.
        headers: &'a [(&'a str, &'a str)],
        /// Request body (empty for the empty POST).
        body: &'a [u8],
    },
    /// The connection broke, or the response could not be sent.
    TransportFailed {
        /// Now.
        now: Timestamp,
        /// What failed.
        reason: &'a str,
    },
    /// The CPE closed the connection. After the HeMS's empty response this is the normal end
    /// of the session (TR-069 3.7.1.4); before it, a failure.
    ConnectionClosed(Timestamp),
    /// Time has passed.
    Timeout(Timestamp),
}

/// Reads the first POST of a session, which must be an Inform, before any per-device
/// configuration is chosen. Authenticate the request first (an
/// [`Authenticator`](super::Authenticator): its `authenticate` before the body is read, its
/// `authorize` on the Inform read here): the session itself does not.
pub struct Acceptor;

/// An Inform read by the [`Acceptor`]: look at it, then choose the session's configuration.
#[derive(Debug, Clone)]
pub struct Accepted {
    envelope: Envelope,
    now: Timestamp,
}

impl Acceptor {
    /// Reads the first POST of a session. Anything but an Inform is a
    /// [`RemoteProtocolError`] (answer it with HTTP 400 and close).
    pub fn accept(
        headers: &[(&str, &str)],
        body: &[u8],
        now: Timestamp,
    ) -> Result<Accepted, SessionError> {
        let envelope = decode(body)?;
        if !matches!(envelope.body, Body::Inform(_)) {
            return Err(RemoteProtocolError::Unexpected {
                got: envelope.body.method_name().into(),
                when: "as the first message of a session (an Inform must open it)".into(),
            }
            .into());
        }
        let _ = headers; // read by the Authenticator, before
        Ok(Accepted { envelope, now })
    }
}

impl Accepted {
    /// The Inform.
    pub fn inform(&self) -> &Inform {
        match &self.envelope.body {
            Body::Inform(i) => i,
            _ => unreachable!("the Acceptor keeps only Informs"),
        }
    }

    /// The device.
    pub fn device_id(&self) -> &DeviceIdStruct {
        &self.inform().device_id
    }

    /// The whole decoded envelope (headers, warnings).
    pub fn envelope(&self) -> &Envelope {
        &self.envelope
    }

    /// Starts the session with `config`: the first output is the InformResponse (or a fault
    /// refusing the Inform).
    pub fn into_session(self, config: Arc<AcsConfig>) -> AcsSession {
        AcsSession::start(self, config)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum State {
    AwaitPost,
    AwaitApp(RequestId),
    AwaitingRequests,
    /// The empty response went out after a non-empty POST: the CPE either closes or sends
    /// more requests.
    Closing,
    Ended,
}

/// The HeMS side of one CWMP session.
///
/// Serializable (without its configuration): a HeMS may park it in a shared store between
/// two HTTP requests and resume it anywhere with [`AcsSession::with_config`]. Not safe for
/// concurrent use.
#[doc(alias = "HeMS")]
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AcsSession {
    #[serde(skip)]
    config: Arc<AcsConfig>,
    state: State,
    device_id: DeviceIdStruct,
    version: CwmpVersion,
    namespace: Namespace,
    cookie: String,
    cookie_sent: bool,
    cpe_done: bool,
    last_post_empty: bool,
    finish_requested: bool,
    next_id: u64,
    id_prefix: String,
    queue: VecDeque<(RequestId, Body)>,
    /// Our request in flight: id, cwmp:ID, method.
    outstanding: Option<(RequestId, String, Body)>,
    /// A CPE request waiting for `respond`: id, cwmp:ID, method.
    cpe_request: Option<(RequestId, Option<String>, String)>,
    answered: Vec<RequestId>,
    seen_ids: HashSet<String>,
    deadline: Option<Timestamp>,
    outputs: VecDeque<Output<HttpResponse, AcsEvent>>,
    #[serde(skip)]
    error: Option<SessionError>,
}

impl AcsSession {
    fn start(accepted: Accepted, config: Arc<AcsConfig>) -> AcsSession {
        let mut rng = Rng::new(config.rng_seed ^ accepted.now.0);
        let Accepted { envelope: env, now } = accepted;
        let Body::Inform(inform) = env.body else {
            unreachable!("the Acceptor keeps only Informs")
        };
        let mut s = AcsSession {
            state: State::AwaitPost,
            device_id: inform.device_id.clone(),
            version: env.version,
            namespace: env.namespace,
            cookie: rng.hex(),
            cookie_sent: false,
            cpe_done: false,
            last_post_empty: false,
            finish_requested: false,
            next_id: 1,
            id_prefix: format!("acs-{:06x}-", rng.next_u64() & 0xff_ffff),
            queue: VecDeque::new(),
            outstanding: None,
            cpe_request: None,
            answered: Vec::new(),
            seen_ids: HashSet::new(),
            deadline: None,
            outputs: VecDeque::new(),
            error: None,
            config,
        };
        // Version (TR-069 3.7.4 for 1.4; otherwise the Inform's namespace).
        let mut use_version = None;
        let chosen = match &env.header.supported_cwmp_versions {
            Some(list) => {
                let theirs: Vec<CwmpVersion> =
                    list.split(',').filter_map(CwmpVersion::parse).collect();
                let best = theirs
                    .into_iter()
                    .filter(|v| s.config.supported_versions.contains(v))
                    .max();
                if best.is_some() && s.config.supported_versions.contains(&CwmpVersion::V1_4) {
                    use_version = best;
                }
                best
            }
            None => Some(env.version).filter(|v| s.config.supported_versions.contains(v)),
        };
        let Some(version) = chosen else {
            let fault = Fault::new(FaultCode::AcsVersionIncompatible, "");
            s.reply(Body::Fault(fault), env.header.id.clone(), now);
            s.end(EndReason::Refused(
                "no common CWMP version (fault 8006 sent)".into(),
            ));
            return s;
        };
        s.version = version;
        if version.namespace() != Namespace::Cwmp12
            || !matches!(
                s.namespace,
                Namespace::Cwmp12 | Namespace::Cwmp13 | Namespace::Cwmp14
            )
        {
            s.namespace = version.namespace();
        }
        let header = Header {
            id: env.header.id.clone(),
            use_cwmp_version: use_version.map(|v| v.as_str().to_owned()),
            ..Header::default()
        };
        s.transmit(
            &header,
            &Body::InformResponse(InformResponse { max_envelopes: 1 }),
            now,
        );
        s.outputs
            .push_back(Output::Event(AcsEvent::Informed { inform, version }));
        s
    }

    /// Re-attaches the configuration after the session was deserialized.
    pub fn with_config(mut self, config: Arc<AcsConfig>) -> AcsSession {
        self.config = config;
        self
    }

    /// The value of the session cookie; the transport can route later POSTs with it
    /// (see [`cookie_value`]).
    pub fn cookie(&self) -> &str {
        &self.cookie
    }

    /// The device.
    pub fn device_id(&self) -> &DeviceIdStruct {
        &self.device_id
    }

    /// The version of the session.
    pub fn version(&self) -> CwmpVersion {
        self.version
    }

    /// Whether the session has ended.
    pub fn is_ended(&self) -> bool {
        self.state == State::Ended
    }

    /// Whether the final empty response went out after a non-empty POST (TR-069 3.7.1.4):
    /// the CPE may still send requests or close the connection. A transport that keeps
    /// connections alive treats an Inform arriving now as the start of a new session.
    pub fn is_closing(&self) -> bool {
        self.state == State::Closing
    }

    /// Queues an ACS request (GetParameterValues, SetParameterValues, Download...). It goes
    /// out once the CPE has sent its own requests and its empty POST, one per HTTP
    /// response; the answer comes back as [`AcsEvent::Response`].
    pub fn queue(&mut self, body: Body, now: Timestamp) -> Result<RequestId, SessionError> {
        self.check_sticky()?;
        if body.kind() != MessageKind::Request || body.direction() == Direction::ToAcs {
            return Err(LocalProtocolError::WrongMessage {
                method: body.method_name().into(),
                side: "ACS as a request".into(),
            }
            .into());
        }
        if self.state == State::Ended {
            return Err(wrong_state("queue", "the session has ended"));
        }
        self.validate(&body)?;
        let id = RequestId(self.next_id);
        self.next_id += 1;
        self.queue.push_back((id, body));
        if self.state == State::AwaitingRequests {
            self.state = State::AwaitPost;
            self.send_next_or_end(now);
        }
        Ok(id)
    }

    /// No more requests for now: the empty response goes out at once if the session is
    /// waiting for requests ([`AcsEvent::AwaitingRequests`]), else the next time the queue
    /// runs dry. Requests queued later still go out if the CPE comes back with one of its own.
    pub fn finish(&mut self, now: Timestamp) {
        if self.state == State::AwaitingRequests {
            self.state = State::AwaitPost;
            self.send_empty(now);
        } else {
            self.finish_requested = true;
        }
    }

    /// Answers the CPE request `id` (when `auto_answer` is off, or to override it).
    pub fn respond(
        &mut self,
        id: RequestId,
        reply: Reply,
        now: Timestamp,
    ) -> Result<(), SessionError> {
        self.check_sticky()?;
        let Some((pending, wire, method)) = self.cpe_request.clone() else {
            return Err(LocalProtocolError::UnknownRequest(id).into());
        };
        if pending != id {
            return Err(LocalProtocolError::UnknownRequest(id).into());
        }
        let body = match reply {
            Ok(b) if b.method_name() == format!("{method}Response") => b,
            Ok(b) => {
                return Err(LocalProtocolError::WrongMessage {
                    method: b.method_name().into(),
                    side: format!("ACS in answer to {method}"),
                }
                .into())
            }
            Err(f) => Body::Fault(f),
        };
        self.validate(&body)?;
        self.cpe_request = None;
        self.state = State::AwaitPost;
        self.reply(body, wire, now);
        Ok(())
    }

    /// Feeds an input; then drain [`AcsSession::poll_output`].
    pub fn handle_input(&mut self, input: AcsInput<'_>) -> Result<(), SessionError> {
        self.check_sticky()?;
        match input {
            AcsInput::HttpRequest { now, headers, body } => self.on_post(now, headers, body),
            AcsInput::TransportFailed { reason, .. } => {
                self.end(EndReason::TransportFailed(reason.to_owned()));
                Ok(())
            }
            AcsInput::ConnectionClosed(_) => {
                match self.state {
                    State::Ended => {}
                    State::Closing => self.end(EndReason::Completed),
                    _ => self.end(EndReason::TransportFailed(
                        "the CPE closed the connection".into(),
                    )),
                }
                Ok(())
            }
            AcsInput::Timeout(now) => {
                if self.deadline.is_some_and(|d| now >= d) {
                    match self.state {
                        State::Ended => {}
                        State::Closing => self.end(EndReason::Completed),
                        _ => self.end(EndReason::Timeout),
                    }
                }
                Ok(())
            }
        }
    }

    /// Convenience for `handle_input(AcsInput::HttpRequest { .. })`.
    pub fn handle_http_request(
        &mut self,
        headers: &[(&str, &str)],
        body: &[u8],
        now: Timestamp,
    ) -> Result<(), SessionError> {
        self.handle_input(AcsInput::HttpRequest { now, headers, body })
    }

    /// The next output. Drain until `Timeout` or `Idle` after every input and command.
    pub fn poll_output(&mut self) -> Output<HttpResponse, AcsEvent> {
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

    /// The sticky error, if any.
    pub fn error(&self) -> Option<&SessionError> {
        self.error.as_ref()
    }

    // ------------------------------------------------------------ internals

    fn check_sticky(&self) -> Result<(), SessionError> {
        match &self.error {
            Some(e) => Err(e.clone()),
            None => Ok(()),
        }
    }

    fn validate(&self, body: &Body) -> Result<(), SessionError> {
        match check_body(self.version, body).first() {
            None => Ok(()),
            Some(p) => Err(LocalProtocolError::Invalid(p.to_string()).into()),
        }
    }

    fn transmit(&mut self, header: &Header, body: &Body, now: Timestamp) {
        let mut headers = vec![("Content-Type".to_owned(), CONTENT_TYPE.to_owned())];
        self.add_cookie(&mut headers);
        let mut bytes = Vec::with_capacity(1024);
        encode_parts_into(self.namespace, header, body, &mut bytes);
        self.outputs.push_back(Output::Transmit(HttpResponse {
            status: 200,
            headers,
            body: bytes,
        }));
        self.deadline = Some(now.plus_ms(self.config.session_timeout_ms));
    }

    fn add_cookie(&mut self, headers: &mut Vec<(String, String)>) {
        if !self.cookie_sent {
            headers.push((
                "Set-Cookie".into(),
                format!("{}={}; Path=/", self.config.cookie_name, self.cookie),
            ));
            self.cookie_sent = true;
        }
    }

    fn reply(&mut self, body: Body, wire_id: Option<String>, now: Timestamp) {
        let header = Header {
            id: wire_id,
            ..Header::default()
        };
        self.transmit(&header, &body, now);
    }

    fn end(&mut self, reason: EndReason) {
        if self.state == State::Ended {
            return;
        }
        self.state = State::Ended;
        self.deadline = None;
        let mut unanswered = Vec::new();
        if let Some((id, _, body)) = self.outstanding.take() {
            unanswered.push((id, body));
        }
        unanswered.extend(self.queue.drain(..));
        self.outputs
            .push_back(Output::Event(AcsEvent::Ended(AcsOutcome {
                reason,
                device_id: self.device_id.clone(),
                answered: std::mem::take(&mut self.answered),
                unanswered,
                version: self.version,
            })));
    }

    /// Ends on a peer's error: a 400 (or the given body) goes out, the error sticks.
    fn fail(
        &mut self,
        e: SessionError,
        reply: Option<(Body, Option<String>)>,
        now: Timestamp,
    ) -> Result<(), SessionError> {
        match reply {
            Some((body, id)) => self.reply(body, id, now),
            None => self.outputs.push_back(Output::Transmit(HttpResponse {
                status: 400,
                headers: Vec::new(),
                body: Vec::new(),
            })),
        }
        self.end(EndReason::ProtocolError(e.to_string()));
        self.error = Some(e.clone());
        Err(e)
    }

    /// The empty response: no more requests from the HeMS.
    fn send_empty(&mut self, now: Timestamp) {
        let mut headers = Vec::new();
        self.add_cookie(&mut headers);
        self.outputs.push_back(Output::Transmit(HttpResponse {
            status: 204,
            headers,
            body: Vec::new(),
        }));
        // TR-069 3.7.1.4: over once the CPE's latest POST was empty; otherwise the CPE may
        // still send requests, or close.
        if self.last_post_empty {
            self.end(EndReason::Completed);
        } else {
            self.state = State::Closing;
            self.deadline = Some(now.plus_ms(self.config.session_timeout_ms));
        }
    }

    fn send_next_or_end(&mut self, now: Timestamp) {
        if let Some((id, body)) = self.queue.pop_front() {
            let wire = format!("{}{}", self.id_prefix, id.0);
            let mut header = Header::with_id(wire.clone());
            if self.config.hold_requests {
                header.hold_requests = Some(true);
            }
            self.transmit(&header, &body, now);
            self.outstanding = Some((id, wire, body));
            return;
        }
        if self.config.end_on_empty_queue
            || !self.cpe_done
            || std::mem::take(&mut self.finish_requested)
        {
            self.send_empty(now);
        } else {
            self.state = State::AwaitingRequests;
            self.deadline = None;
            self.outputs
                .push_back(Output::Event(AcsEvent::AwaitingRequests));
        }
    }

    fn on_post(
        &mut self,
        now: Timestamp,
        headers: &[(&str, &str)],
        body: &[u8],
    ) -> Result<(), SessionError> {
        if self.state == State::Closing {
            self.state = State::AwaitPost;
        }
        if self.state != State::AwaitPost {
            let e = RemoteProtocolError::Unexpected {
                got: "a POST".into(),
                when: "while the previous one is unanswered or after the end".into(),
            };
            return self.fail(e.into(), None, now);
        }
        if let Some(c) = cookie_value(headers, &self.config.cookie_name) {
            if c != self.cookie {
                let e = RemoteProtocolError::Unexpected {
                    got: "another session's cookie".into(),
                    when: "in this session".into(),
                };
                return self.fail(e.into(), None, now);
            }
        }
        self.last_post_empty = body.iter().all(u8::is_ascii_whitespace);
        if self.last_post_empty {
            if self.outstanding.is_some() {
                let e = RemoteProtocolError::Unexpected {
                    got: "an empty POST".into(),
                    when: "while our request is unanswered".into(),
                };
                return self.fail(e.into(), None, now);
            }
            self.cpe_done = true;
            self.send_next_or_end(now);
            return Ok(());
        }
        let env = match decode(body) {
            Ok(env) => env,
            Err(e) => return self.fail(e.into(), None, now),
        };
        match env.body.kind() {
            MessageKind::Request if env.body.direction() != Direction::ToCpe => {
                self.on_cpe_request(now, env)
            }
            MessageKind::Response | MessageKind::Fault => self.on_cpe_response(now, env),
            _ => {
                let e = RemoteProtocolError::Unexpected {
                    got: env.body.method_name().into(),
                    when: "from the CPE".into(),
                };
                let fault = Fault::new(FaultCode::AcsMethodNotSupported, "");
                self.fail(e.into(), Some((Body::Fault(fault), env.header.id)), now)
            }
        }
    }

    fn on_cpe_request(&mut self, now: Timestamp, env: Envelope) -> Result<(), SessionError> {
        if matches!(env.body, Body::Inform(_)) || self.outstanding.is_some() {
            let e = RemoteProtocolError::Unexpected {
                got: env.body.method_name().into(),
                when: if self.outstanding.is_some() {
                    "where the response to our request belongs".into()
                } else {
                    "(one Inform per session)".into()
                },
            };
            let fault = Fault::new(FaultCode::AcsInvalidArguments, "");
            return self.fail(e.into(), Some((Body::Fault(fault), env.header.id)), now);
        }
        if let Some(wire) = &env.header.id {
            if !self.seen_ids.insert(wire.clone()) {
                let e = RemoteProtocolError::DuplicateId(wire.clone());
                return self.fail(e.into(), None, now);
            }
        }
        self.cpe_done = false;
        let id = RequestId(self.next_id);
        self.next_id += 1;
        let answer = if self.config.auto_answer {
            auto_answer(&env.body)
        } else {
            None
        };
        let answered = answer.is_some();
        self.outputs.push_back(Output::Event(AcsEvent::CpeRequest {
            id,
            body: env.body.clone(),
            answered,
        }));
        match answer {
            Some(body) => self.reply(body, env.header.id, now),
            None => {
                self.cpe_request = Some((id, env.header.id, env.body.method_name().to_owned()));
                self.state = State::AwaitApp(id);
                self.deadline = None;
            }
        }
        Ok(())
    }

    fn on_cpe_response(&mut self, now: Timestamp, env: Envelope) -> Result<(), SessionError> {
        let Some((id, wire, request)) = self.outstanding.clone() else {
            let e = RemoteProtocolError::Unexpected {
                got: env.body.method_name().into(),
                when: "with no request of ours outstanding".into(),
            };
            return self.fail(e.into(), None, now);
        };
        if let Some(got) = &env.header.id {
            if *got != wire {
                let e = RemoteProtocolError::UnmatchedId(got.clone());
                return self.fail(e.into(), None, now);
            }
        }
        let result = match env.body {
            Body::Fault(f) => Err(f),
            b if b.method_name() == format!("{}Response", request.method_name()) => Ok(b),
            other => {
                let e = RemoteProtocolError::Unexpected {
                    got: other.method_name().into(),
                    when: format!("in answer to {}", request.method_name()),
                };
                return self.fail(e.into(), None, now);
            }
        };
        self.outstanding = None;
        self.answered.push(id);
        self.outputs
            .push_back(Output::Event(AcsEvent::Response { id, result }));
        self.send_next_or_end(now);
        Ok(())
    }
}

/// The standard answer to a CPE request, for `auto_answer`.
fn auto_answer(request: &Body) -> Option<Body> {
    Some(match request {
        Body::TransferComplete(_) => Body::TransferCompleteResponse,
        Body::AutonomousTransferComplete(_) => Body::AutonomousTransferCompleteResponse,
        Body::DUStateChangeComplete(_) => Body::DUStateChangeCompleteResponse,
        Body::AutonomousDUStateChangeComplete(_) => Body::AutonomousDUStateChangeCompleteResponse,
        Body::RequestDownload(_) => Body::RequestDownloadResponse,
        Body::Kicked(k) => Body::KickedResponse(KickedResponse {
            next_url: k.next.clone(),
        }),
        Body::GetRPCMethods => Body::GetRPCMethodsResponse(GetRPCMethodsResponse {
            method_list: ACS_METHODS.iter().map(|m| (*m).to_owned()).collect(),
        }),
        _ => return None,
    })
}

/// The methods an ACS supports (TR-069 A.4, Table 5).
const ACS_METHODS: &[&str] = &[
    "GetRPCMethods",
    "Inform",
    "TransferComplete",
    "AutonomousTransferComplete",
    "RequestDownload",
    "Kicked",
    "DUStateChangeComplete",
    "AutonomousDUStateChangeComplete",
];

fn wrong_state(command: &str, why: &str) -> SessionError {
    LocalProtocolError::WrongState {
        command: command.into(),
        why: why.into(),
    }
    .into()
}
