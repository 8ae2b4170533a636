//! The HeNB agent: runs CWMP sessions on the data model across time — retained events,
//! pending transfers, the IPsec address change of TS 32.593 5.1.4, periodic Informs,
//! Connection Requests and the retry backoff — sans-IO.

use std::collections::{BTreeSet, VecDeque};

use serde::{Deserialize, Serialize};

use super::femtocell::{ACS_URL, IPSEC_ADDRESS, PARAMETER_KEY};
use super::model::DataModel;
use crate::codec::*;
use crate::configfile::ConfigFile;
use crate::session::auth::{AuthConfig, AuthLimits, AuthPolicy, AuthRequest, Authenticator};
use crate::session::digest::{request_uri, DigestAlgorithm};
use crate::session::{
    retry_wait_ms, CpeConfig, CpeEvent, CpeInput, CpeSession, EndReason, HttpRequest, HttpResponse,
    InformParams, Output, Reply, RequestId, RetryPolicy, SessionOutcome, Timestamp,
};

/// How the agent behaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AgentConfig {
    /// Who the HeNB is.
    pub device_id: DeviceIdStruct,
    /// Versions, timeouts and seed of each session (the ACS URL and credentials come from
    /// the data model's ManagementServer object).
    pub session: CpeConfig,
    /// The parameter holding the inner IPsec address (TR-262 FAP.Tunnel.IKESA.{i}.IPAddress).
    pub ipsec_address_param: String,
    /// Seed of the retry jitter.
    pub rng_seed: u64,
    /// The device keeps the agent's state in storage of its own and follows the durability
    /// rule: whenever the state changed, [`AgentEvent::PersistState`] comes before the next
    /// POST and before the next event the device acts on (a fetch, changes to apply, a
    /// reboot), so that what the POST acknowledges (a Download accepted, a TransferComplete,
    /// a configuration applied) survives a crash right after it, and a fetch lost in a
    /// crash is reported failed rather than made twice.
    pub persist_state: bool,
}

impl Default for AgentConfig {
    fn default() -> Self {
        AgentConfig {
            device_id: DeviceIdStruct::default(),
            session: CpeConfig::default(),
            ipsec_address_param: IPSEC_ADDRESS.into(),
            rng_seed: 0,
            persist_state: false,
        }
    }
}

/// News from the agent for the device's own code.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum AgentEvent {
    /// A session started, with these events in its Inform.
    SessionStarted {
        /// The Inform's events.
        events: Vec<EventStruct>,
    },
    /// A session ended.
    SessionEnded(SessionOutcome),
    /// A retry is scheduled (TR-069 3.2.1.1).
    RetryScheduled {
        /// Retry number (1 = first retry).
        attempt: u32,
        /// When.
        at: Timestamp,
    },
    /// The HeMS asked for a file: fetch it, then call [`Agent::download_finished`].
    DownloadRequested {
        /// Give it back to `download_finished`.
        command_key: String,
        /// What the file is.
        file_type: FileType,
        /// Where to fetch it.
        url: String,
        /// File server user name (empty = none).
        username: String,
        /// File server password.
        password: String,
        /// Announced size in bytes (0 = unknown).
        file_size: u32,
        /// Target file name.
        target_file_name: String,
    },
    /// Parameters changed by the HeMS (SetParameterValues, a configuration file): apply them
    /// to the radio.
    ParametersChanged {
        /// Their names.
        names: Vec<String>,
        /// Whether they take effect only after a reboot.
        reboot_required: bool,
    },
    /// Reboot now (the HeMS asked, or a firmware image is ready); then [`Agent::restore`]
    /// with `rebooted = true`.
    RebootRequested {
        /// The Reboot's CommandKey, if it came from a Reboot RPC.
        command_key: Option<String>,
    },
    /// Factory reset now (data model back to defaults, then a BOOTSTRAP session).
    FactoryResetRequested,
    /// (`persist_state`) Write this snapshot to storage, replacing the last, and finish
    /// before acting on any output that follows; after a crash, [`Agent::restore`] it.
    PersistState {
        /// What the agent must not lose.
        snapshot: Box<AgentSnapshot>,
    },
    /// A firmware image was downloaded: install it, then reboot ([`AgentEvent::RebootRequested`]
    /// follows).
    FirmwareReady {
        /// The Download's CommandKey.
        command_key: String,
        /// The image.
        image: Vec<u8>,
    },
}

/// A download the HeMS asked for and the agent has not reported yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    /// The Download's CommandKey.
    pub command_key: String,
    /// Its file type.
    pub file_type: FileType,
    /// When it was asked for (wall clock, for TransferComplete's StartTime).
    pub start_time: DateTime,
    /// Waiting for the reboot that installs it (firmware).
    pub awaiting_reboot: bool,
}

/// Everything the agent must not lose across a restart: the data model, the events and
/// requests not yet delivered, the transfers under way. Store it (JSON via serde) and hand it
/// to [`Agent::restore`].
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct AgentSnapshot {
    /// The configuration.
    pub config: AgentConfig,
    /// The data model.
    pub model: DataModel,
    /// Events not yet delivered (BOOTSTRAP, BOOT, M Reboot, PERIODIC...).
    pub events: Vec<EventStruct>,
    /// Parameters changed with notification on, not yet reported.
    pub value_changes: BTreeSet<String>,
    /// CPE requests not yet acknowledged (TransferComplete...), retried until they are.
    pub requests: Vec<Body>,
    /// Downloads under way.
    pub transfers: Vec<Transfer>,
    /// Failed session attempts since the last success.
    pub retry_count: u32,
    /// A reboot the HeMS asked for, to announce with "M Reboot" after it.
    pub reboot_command_key: Option<String>,
}

/// Actions deferred to the end of the session (TR-069 A.8 step 8).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
enum Deferred {
    Reboot(Option<String>),
    FactoryReset,
    NewAcs,
}

/// The HeNB agent. Drive it like a session: `handle_*` inputs and commands, then drain
/// [`Agent::poll_output`] until `Timeout`/`Idle`. Each `Transmit` is an HTTP POST to send;
/// `Timeout(t)` is the next thing to do (retry, periodic Inform, session timeout).
#[derive(Debug)]
pub struct Agent {
    state: AgentSnapshot,
    session: Option<CpeSession>,
    /// Session request id -> index of the request in `state.requests` at session start.
    in_session: Vec<(RequestId, Body)>,
    /// What the running session's Inform carried.
    announced_changes: BTreeSet<String>,
    /// Events given to the running session.
    announced_events: Vec<EventStruct>,
    deferred: Vec<Deferred>,
    /// Downloads whose DelaySeconds (TR-069 A.4.1.5) has not passed: when to ask for them.
    delayed_downloads: Vec<(Timestamp, AgentEvent)>,
    next_session_at: Option<Timestamp>,
    periodic_at: Option<Timestamp>,
    wall_clock_ms: Option<(Timestamp, i64)>,
    /// Checks Connection Requests (RFC 7616 Digest: its nonces and their counts).
    cr_auth: Authenticator,
    outputs: VecDeque<Output<HttpRequest, AgentEvent>>,
    /// (`persist_state`) A digest of the state last handed out to persist.
    persisted: Option<u64>,
}

impl Agent {
    /// A HeNB on its first boot: its first session carries "0 BOOTSTRAP" and "1 BOOT".
    pub fn new(config: AgentConfig, model: DataModel, now: Timestamp) -> Agent {
        let state = AgentSnapshot {
            config,
            model,
            events: vec![
                EventStruct::new(EventCode::Bootstrap),
                EventStruct::new(EventCode::Boot),
            ],
            ..AgentSnapshot::default()
        };
        Agent::start(state, now)
    }

    /// An agent resumed from a snapshot. With `rebooted`, the device has just booted: "1 BOOT"
    /// (and "M Reboot" if the HeMS asked for the reboot) is announced, and a firmware image
    /// that was waiting for the reboot is reported installed.
    pub fn restore(mut state: AgentSnapshot, rebooted: bool, now: Timestamp) -> Agent {
        if rebooted {
            // TR-069 3.7.1.5: a BOOT is new; events that do not survive a reboot go
            state.events.retain(|e| {
                !matches!(
                    e.event_code,
                    EventCode::Boot
                        | EventCode::ValueChange
                        | EventCode::ConnectionRequest
                        | EventCode::Periodic
                )
            });
            state.events.push(EventStruct::new(EventCode::Boot));
            if let Some(k) = state.reboot_command_key.take() {
                state
                    .events
                    .push(EventStruct::with_command_key(EventCode::MReboot, k));
            }
            let installed: Vec<Transfer> = state
                .transfers
                .iter()
                .filter(|t| t.awaiting_reboot)
                .cloned()
                .collect();
            state.transfers.retain(|t| !t.awaiting_reboot);
            for t in installed {
                state.requests.push(transfer_complete(
                    &t,
                    FaultStruct::success(),
                    DateTime::unknown(),
                ));
            }
        }
        // a fetch under way did not survive the restart: report it failed (TR-069 A.3.3.1),
        // so that the HeMS knows and may ask again
        let interrupted: Vec<Transfer> = state
            .transfers
            .iter()
            .filter(|t| !t.awaiting_reboot)
            .cloned()
            .collect();
        state.transfers.retain(|t| t.awaiting_reboot);
        for t in interrupted {
            state.requests.push(transfer_complete(
                &t,
                FaultStruct {
                    fault_code: FaultCode::FileTransferFailure,
                    fault_string: "the transfer was interrupted by a restart".into(),
                },
                DateTime::unknown(),
            ));
        }
        Agent::start(state, now)
    }

    fn start(state: AgentSnapshot, now: Timestamp) -> Agent {
        let state_seed = state.config.rng_seed;
        let mut a = Agent {
            state,
            session: None,
            in_session: Vec::new(),
            announced_changes: BTreeSet::new(),
            announced_events: Vec::new(),
            deferred: Vec::new(),
            delayed_downloads: Vec::new(),
            next_session_at: Some(now),
            periodic_at: None,
            wall_clock_ms: None,
            cr_auth: Authenticator::new(AuthConfig {
                realm: "femtocwmp-cr".into(),
                // nonces of an earlier run of this agent are not ours any more
                nonce_secret: format!("cr-{:x}-{:x}", state_seed, now.0),
                nonce_lifetime_ms: 60_000,
                digest_algorithms: vec![DigestAlgorithm::Md5],
                limits: AuthLimits {
                    max_failures_per_device: 10,
                    block_ms: 10_000,
                    max_nonces: 64,
                    max_tracked: 64,
                    ..AuthLimits::default()
                },
                ..AuthConfig::default()
            }),
            outputs: VecDeque::new(),
            persisted: None,
        };
        a.schedule_periodic(now);
        a.step(now);
        a
    }

    /// What to store so that nothing is lost across a restart.
    pub fn snapshot(&self) -> AgentSnapshot {
        self.state.clone()
    }

    /// The configuration (e.g. its session timeout, which a transport also applies to the
    /// wait for each HTTP response).
    pub fn config(&self) -> &AgentConfig {
        &self.state.config
    }

    /// The data model.
    pub fn model(&self) -> &DataModel {
        &self.state.model
    }

    /// Whether a session is running.
    pub fn in_session(&self) -> bool {
        self.session.is_some()
    }

    /// Sets the wall clock (for Inform CurrentTime and transfer times): `unix_ms` at `now`.
    pub fn set_wall_clock(&mut self, now: Timestamp, unix_ms: i64) {
        self.wall_clock_ms = Some((now, unix_ms));
    }

    fn wall(&self, now: Timestamp) -> DateTime {
        match self.wall_clock_ms {
            Some((at, ms)) => DateTime::from_unix_millis(ms + (now.0 as i64 - at.0 as i64)),
            None => DateTime::unknown(),
        }
    }

    /// TS 32.593 5.1.4: the inner IPsec tunnel address changed. The parameter is updated and,
    /// its notification being active (forced on by default), a session with "4 VALUE
    /// CHANGE" carrying the new address starts as soon as possible. Several changes before
    /// delivery send the latest value once.
    pub fn set_ipsec_address(&mut self, address: &str, now: Timestamp) {
        let name = self.state.config.ipsec_address_param.clone();
        self.parameter_changed_internally(&name, address, now);
    }

    /// A value changed inside the device (not by the HeMS): notification applies.
    pub fn parameter_changed_internally(&mut self, name: &str, value: &str, now: Timestamp) {
        if let Some(change) = self.state.model.set_internal(name, value) {
            self.state.value_changes.insert(change.name);
            if change.notification == 2 {
                self.want_session(now);
            }
        }
        self.step(now);
    }

    /// Checks and answers a Connection Request (TR-069 3.2.2: an HTTP GET to the
    /// ConnectionRequestURL, which the CPE MUST authenticate with Digest against
    /// ConnectionRequestUsername and ConnectionRequestPassword — also when the password is
    /// empty). RFC 7616 as the HeMS side checks it: `qop=auth`, the `uri` naming the request
    /// target (the path of the ConnectionRequestURL, or a `:path` pseudo-header among
    /// `headers`), nonces that expire and whose count only grows, so that a captured request
    /// cannot be replayed; repeated failures are throttled (429). A valid one is answered 200
    /// at once and starts a session with "6 CONNECTION REQUEST"; otherwise 401 with a
    /// challenge (or 405 for another method). Nothing is read from the network here: give it
    /// the request's method and headers.
    pub fn handle_connection_request(
        &mut self,
        method: &str,
        headers: &[(&str, &str)],
        now: Timestamp,
    ) -> HttpResponse {
        if !method.eq_ignore_ascii_case("GET") {
            return HttpResponse {
                status: 405,
                headers: vec![("Allow".into(), "GET".into())],
                body: Vec::new(),
            };
        }
        let m = &self.state.model;
        let value = |name: &str| m.value(name).unwrap_or("").to_owned();
        let username = value("Device.ManagementServer.ConnectionRequestUsername");
        let password = value("Device.ManagementServer.ConnectionRequestPassword");
        let url = value("Device.ManagementServer.ConnectionRequestURL");
        self.cr_auth.set_policy(AuthPolicy::Digest {
            username,
            password,
            algorithm: DigestAlgorithm::Md5,
        });
        let target = crate::session::header(headers, ":path").unwrap_or(request_uri(&url));
        let request = AuthRequest {
            method: "GET",
            target: Some(target),
            headers,
            connection: &Default::default(),
        };
        if let Err(refusal) = self.cr_auth.authenticate(&request, now) {
            return refusal.response;
        }
        self.connection_request(now);
        HttpResponse {
            status: 200,
            headers: Vec::new(),
            body: Vec::new(),
        }
    }

    /// A validated Connection Request arrived (TR-069 3.2.2): a session with "6 CONNECTION
    /// REQUEST" starts as soon as possible.
    pub fn connection_request(&mut self, now: Timestamp) {
        self.add_event(EventStruct::new(EventCode::ConnectionRequest));
        self.want_session(now);
        self.step(now);
    }

    /// The file of a Download was fetched (`Ok(bytes)`) or could not be (`Err((code,
    /// text))`, e.g. 9015 server unreachable). A configuration file (TS 32.594) is parsed,
    /// validated and applied atomically before success is reported (TS 32.593 5.1.2 step 5);
    /// a bad file is reported with its fault and changes nothing.
    pub fn download_finished(
        &mut self,
        command_key: &str,
        result: Result<Vec<u8>, (FaultCode, String)>,
        now: Timestamp,
    ) {
        let Some(pos) = self
            .state
            .transfers
            .iter()
            .position(|t| t.command_key == command_key && !t.awaiting_reboot)
        else {
            return;
        };
        let transfer = self.state.transfers[pos].clone();
        let outcome = match result {
            Err((code, text)) => Err((code, text)),
            Ok(bytes) => match transfer.file_type {
                FileType::VendorConfigurationFile => self.apply_config_file(&bytes),
                FileType::FirmwareUpgradeImage => {
                    self.state.transfers[pos].awaiting_reboot = true;
                    self.outputs
                        .push_back(Output::Event(AgentEvent::FirmwareReady {
                            command_key: command_key.to_owned(),
                            image: bytes,
                        }));
                    // reboot once the running session is over (TR-069 A.8 step 8), whatever
                    // its outcome: the image is installed either way
                    if self.session.is_none() {
                        self.outputs
                            .push_back(Output::Event(AgentEvent::RebootRequested {
                                command_key: None,
                            }));
                    }
                    return;
                }
                _ => Ok(()),
            },
        };
        self.state.transfers.remove(pos);
        let fault = match outcome {
            Ok(()) => FaultStruct::success(),
            Err((code, text)) => FaultStruct {
                fault_code: code,
                fault_string: text.chars().take(256).collect(),
            },
        };
        let tc = transfer_complete(&transfer, fault, self.wall(now));
        self.state.requests.push(tc.clone());
        if let Some(s) = self.session.as_mut() {
            // the session is still open: report in it (TS 32.593 5.1.2 "before or after")
            if let Ok(id) = s.request(tc.clone()) {
                self.in_session.push((id, tc));
            }
        } else {
            self.want_session(now);
        }
        self.step(now);
    }

    fn apply_config_file(&mut self, bytes: &[u8]) -> Result<(), (FaultCode, String)> {
        let file =
            ConfigFile::parse(bytes).map_err(|e| (FaultCode::FileCorrupted, e.to_string()))?;
        let mut list = Vec::with_capacity(file.parameters.len());
        for (name, text) in &file.parameters {
            let Some(p) = self.state.model.get(name) else {
                return Err((
                    FaultCode::InternalError,
                    format!("{name}: no such parameter (9005)"),
                ));
            };
            let text = match (p.xsd_type, text.as_str()) {
                (XsdType::Boolean, "1" | "true") => "1".to_owned(),
                (XsdType::Boolean, "0" | "false") => "0".to_owned(),
                _ => text.clone(),
            };
            let value = Value::new(p.xsd_type, text.clone()).map_err(|_| {
                (
                    FaultCode::InternalError,
                    format!("{name}: {text:?} is not a {} (9006)", p.xsd_type),
                )
            })?;
            list.push(ParameterValueStruct {
                name: name.clone(),
                value,
            });
        }
        let key = self
            .state
            .model
            .value(PARAMETER_KEY)
            .unwrap_or("")
            .to_owned();
        match self.state.model.set_values(&list, &key, PARAMETER_KEY) {
            Ok(applied) => {
                self.changed_by_hems(applied.changed, applied.status == 1);
                Ok(())
            }
            Err(f) => {
                let detail: Vec<String> = f
                    .set_parameter_values_fault
                    .iter()
                    .map(|p| format!("{} ({})", p.parameter_name, p.fault_code.code()))
                    .collect();
                Err((
                    FaultCode::InternalError,
                    format!("configuration refused: {}", detail.join(", ")),
                ))
            }
        }
    }

    fn changed_by_hems(&mut self, names: Vec<String>, reboot_required: bool) {
        if names.is_empty() {
            return;
        }
        self.outputs
            .push_back(Output::Event(AgentEvent::ParametersChanged {
                names,
                reboot_required,
            }));
    }

    /// The HeMS's HTTP response to the last POST.
    pub fn handle_http_response(
        &mut self,
        status: u16,
        headers: &[(&str, &str)],
        body: &[u8],
        now: Timestamp,
    ) {
        if let Some(s) = self.session.as_mut() {
            // errors are reported in the session outcome (the session ends on them)
            let _ = s.handle_input(CpeInput::HttpResponse {
                now,
                status,
                headers,
                body,
            });
        }
        self.step(now);
    }

    /// The last POST could not be delivered or answered.
    pub fn handle_transport_failed(&mut self, reason: &str, now: Timestamp) {
        if let Some(s) = self.session.as_mut() {
            let _ = s.handle_input(CpeInput::TransportFailed { now, reason });
        }
        self.step(now);
    }

    /// Time has passed.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        if let Some(s) = self.session.as_mut() {
            let _ = s.handle_input(CpeInput::Timeout(now));
        }
        // downloads whose DelaySeconds has passed, in the order they were asked for
        let (due, later): (Vec<_>, Vec<_>) = std::mem::take(&mut self.delayed_downloads)
            .into_iter()
            .partition(|(t, _)| now >= *t);
        self.delayed_downloads = later;
        for (_, e) in due {
            self.outputs.push_back(Output::Event(e));
        }
        if self.periodic_at.is_some_and(|t| now >= t) {
            self.add_event(EventStruct::new(EventCode::Periodic));
            self.want_session(now);
            self.schedule_periodic(now);
        }
        self.step(now);
    }

    /// The next output; drain until `Timeout` or `Idle` after every input and command.
    pub fn poll_output(&mut self) -> Output<HttpRequest, AgentEvent> {
        let acts = matches!(
            self.outputs.front(),
            Some(Output::Transmit(_))
                | Some(Output::Event(
                    AgentEvent::DownloadRequested { .. }
                        | AgentEvent::ParametersChanged { .. }
                        | AgentEvent::FirmwareReady { .. }
                        | AgentEvent::RebootRequested { .. }
                        | AgentEvent::FactoryResetRequested
                ))
        );
        if self.state.config.persist_state && acts {
            // write before send (and before the device acts: fetches, applies, reboots): the
            // state this output acknowledges or acts on is stored first
            let digest = state_digest(&self.state);
            if self.persisted != Some(digest) {
                self.persisted = Some(digest);
                return Output::Event(AgentEvent::PersistState {
                    snapshot: Box::new(self.state.clone()),
                });
            }
        }
        if let Some(o) = self.outputs.pop_front() {
            return o;
        }
        let session_deadline = self.session.as_ref().and_then(|s| s.poll_timeout());
        // a session wanted while one runs starts when it ends, not on a timer
        let next_session = if self.session.is_some() {
            None
        } else {
            self.next_session_at
        };
        let next_download = self.delayed_downloads.iter().map(|(t, _)| *t).min();
        let next = [
            session_deadline,
            next_session,
            self.periodic_at,
            next_download,
        ]
        .into_iter()
        .flatten()
        .min();
        match next {
            Some(t) => Output::Timeout(t),
            None => Output::Idle,
        }
    }

    // ------------------------------------------------------------ internals

    fn add_event(&mut self, e: EventStruct) {
        // "single" events appear once (TR-069 3.7.1.5)
        if e.event_code.is_multiple()
            || !self
                .state
                .events
                .iter()
                .any(|x| x.event_code == e.event_code)
        {
            self.state.events.push(e);
        }
    }

    fn want_session(&mut self, now: Timestamp) {
        if self.session.is_none() {
            self.next_session_at = Some(self.next_session_at.map_or(now, |t| t.min(now)));
        } else {
            // right after the running one
            self.next_session_at = Some(now);
        }
    }

    fn schedule_periodic(&mut self, now: Timestamp) {
        let m = &self.state.model;
        let enabled = m
            .get("Device.ManagementServer.PeriodicInformEnable")
            .and_then(|p| p.as_value().as_bool())
            .unwrap_or(false);
        let interval = m
            .value("Device.ManagementServer.PeriodicInformInterval")
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0);
        self.periodic_at = (enabled && interval > 0).then(|| now.plus_ms(interval * 1000));
    }

    fn retry_policy(&self) -> RetryPolicy {
        let m = &self.state.model;
        let get = |n: &str, d: u32| m.value(n).and_then(|v| v.parse().ok()).unwrap_or(d);
        RetryPolicy {
            min_wait_s: get("Device.ManagementServer.CWMPRetryMinimumWaitInterval", 5),
            multiplier_permille: get("Device.ManagementServer.CWMPRetryIntervalMultiplier", 2000),
        }
    }

    /// Drains the session, acts on its events, starts the next session when due.
    fn step(&mut self, now: Timestamp) {
        while let Some(s) = self.session.as_mut() {
            match s.poll_output() {
                Output::Transmit(t) => self.outputs.push_back(Output::Transmit(t)),
                Output::Event(e) => self.on_session_event(e, now),
                Output::Timeout(_) | Output::Idle => break,
            }
        }
        if self.session.is_none() && self.next_session_at.is_some_and(|t| now >= t) {
            self.open_session(now);
            self.step(now);
        }
    }

    fn open_session(&mut self, now: Timestamp) {
        self.next_session_at = None;
        let m = &self.state.model;
        let mut config = self.state.config.session.clone();
        config.acs_url = m.value(ACS_URL).unwrap_or(&config.acs_url).to_owned();
        config.username = m
            .value("Device.ManagementServer.Username")
            .unwrap_or("")
            .to_owned();
        config.password = m
            .value("Device.ManagementServer.Password")
            .unwrap_or("")
            .to_owned();
        // events: retained ones, plus those announcing unacknowledged requests
        let mut events = self.state.events.clone();
        for r in &self.state.requests {
            if let Body::TransferComplete(tc) = r {
                if !events
                    .iter()
                    .any(|e| e.event_code == EventCode::TransferComplete)
                {
                    events.push(EventStruct::new(EventCode::TransferComplete));
                }
                events.push(EventStruct::with_command_key(
                    EventCode::MDownload,
                    tc.command_key.clone(),
                ));
            }
        }
        if !self.state.value_changes.is_empty()
            && !events
                .iter()
                .any(|e| e.event_code == EventCode::ValueChange)
        {
            events.push(EventStruct::new(EventCode::ValueChange));
        }
        events.truncate(64);
        let mut params = m.forced_inform();
        for name in &self.state.value_changes {
            if let (Some(p), false) = (m.get(name), params.iter().any(|x| &x.name == name)) {
                params.push(ParameterValueStruct {
                    name: name.clone(),
                    value: p.as_value(),
                });
            }
        }
        let inform = InformParams {
            device_id: self.state.config.device_id.clone(),
            events: events.clone(),
            parameter_list: params,
            current_time: self.wall(now),
            retry_count: self.state.retry_count,
        };
        let mut session = CpeSession::new(config, inform, now);
        self.in_session.clear();
        for r in self.state.requests.clone() {
            if let Ok(id) = session.request(r.clone()) {
                self.in_session.push((id, r));
            }
        }
        self.announced_changes = self.state.value_changes.clone();
        self.announced_events = events.clone();
        self.session = Some(session);
        self.outputs
            .push_back(Output::Event(AgentEvent::SessionStarted { events }));
    }

    fn on_session_event(&mut self, e: CpeEvent, now: Timestamp) {
        match e {
            CpeEvent::Informed { .. } => {
                // the Inform's events are delivered (TR-069 3.7.1.5)
                let delivered = std::mem::take(&mut self.announced_events);
                self.state.events.retain(|e| !delivered.contains(e));
                for n in std::mem::take(&mut self.announced_changes) {
                    self.state.value_changes.remove(&n);
                }
            }
            CpeEvent::Request { id, body } => {
                let reply = self.answer(body, now);
                if let Some(s) = self.session.as_mut() {
                    let _ = s.respond(id, reply, now);
                }
            }
            CpeEvent::Response { id, .. } => {
                // acknowledged (a fault too: the HeMS heard it); not retried
                if let Some(pos) = self.in_session.iter().position(|(i, _)| *i == id) {
                    let (_, body) = self.in_session.remove(pos);
                    if let Some(p) = self.state.requests.iter().position(|r| *r == body) {
                        self.state.requests.remove(p);
                    }
                }
            }
            CpeEvent::Redirected { .. } => {}
            CpeEvent::Ended(outcome) => self.on_session_end(outcome, now),
        }
    }

    fn on_session_end(&mut self, outcome: SessionOutcome, now: Timestamp) {
        self.session = None;
        self.in_session.clear();
        self.announced_changes.clear();
        self.announced_events.clear();
        let success = outcome.reason == EndReason::Completed;
        self.outputs
            .push_back(Output::Event(AgentEvent::SessionEnded(outcome)));
        if self.state.transfers.iter().any(|t| t.awaiting_reboot) {
            self.outputs
                .push_back(Output::Event(AgentEvent::RebootRequested {
                    command_key: None,
                }));
        }
        if success {
            self.state.retry_count = 0;
            for d in std::mem::take(&mut self.deferred) {
                match d {
                    Deferred::Reboot(k) => {
                        self.state.reboot_command_key = k.clone();
                        self.outputs
                            .push_back(Output::Event(AgentEvent::RebootRequested {
                                command_key: k,
                            }));
                    }
                    Deferred::FactoryReset => self
                        .outputs
                        .push_back(Output::Event(AgentEvent::FactoryResetRequested)),
                    Deferred::NewAcs => {
                        // TR-069 3.7.1.5: on an ACS URL change every queued event is
                        // discarded and the next session, to the new URL, is a BOOTSTRAP
                        self.state.events = vec![EventStruct::new(EventCode::Bootstrap)];
                        self.state.requests.clear();
                        self.state.value_changes.clear();
                        self.next_session_at = Some(now);
                    }
                }
            }
            let pending = !self.state.events.is_empty()
                || !self.state.requests.is_empty()
                || !self.state.value_changes.is_empty();
            if pending && self.next_session_at.is_none() {
                self.next_session_at = Some(now);
            }
        } else {
            self.deferred.clear();
            // a Connection Request is not retried (TR-069 3.7.1.5): the HeMS asks again
            self.state
                .events
                .retain(|e| e.event_code != EventCode::ConnectionRequest);
            let pending = !self.state.events.is_empty()
                || !self.state.requests.is_empty()
                || !self.state.value_changes.is_empty();
            if !pending {
                self.state.retry_count = 0;
                return;
            }
            self.state.retry_count += 1;
            let attempt = self.state.retry_count;
            let wait = retry_wait_ms(&self.retry_policy(), attempt, self.state.config.rng_seed);
            let at = now.plus_ms(wait);
            self.next_session_at = Some(at);
            self.outputs
                .push_back(Output::Event(AgentEvent::RetryScheduled { attempt, at }));
        }
    }

    /// Answers one HeMS request against the data model.
    fn answer(&mut self, body: Body, now: Timestamp) -> Reply {
        let m = &mut self.state.model;
        match body {
            Body::GetRPCMethods => Ok(Body::GetRPCMethodsResponse(GetRPCMethodsResponse {
                method_list: CPE_METHODS.iter().map(|s| (*s).to_owned()).collect(),
            })),
            Body::GetParameterValues(r) => m.get_values(&r.parameter_names).map(|l| {
                Body::GetParameterValuesResponse(GetParameterValuesResponse { parameter_list: l })
            }),
            Body::GetParameterNames(r) => m.get_names(&r.parameter_path, r.next_level).map(|l| {
                Body::GetParameterNamesResponse(GetParameterNamesResponse { parameter_list: l })
            }),
            Body::SetParameterValues(r) => {
                let applied = m.set_values(&r.parameter_list, &r.parameter_key, PARAMETER_KEY)?;
                if applied.changed.iter().any(|n| n == ACS_URL) {
                    // a new HeMS (initial -> serving): BOOTSTRAP there once this session ends
                    self.deferred.push(Deferred::NewAcs);
                }
                let status = applied.status;
                self.changed_by_hems(applied.changed, status == 1);
                Ok(Body::SetParameterValuesResponse(
                    SetParameterValuesResponse { status },
                ))
            }
            Body::SetParameterAttributes(r) => m
                .set_attributes(&r.parameter_list)
                .map(|()| Body::SetParameterAttributesResponse),
            Body::GetParameterAttributes(r) => m.get_attributes(&r.parameter_names).map(|l| {
                Body::GetParameterAttributesResponse(GetParameterAttributesResponse {
                    parameter_list: l,
                })
            }),
            Body::AddObject(r) => m
                .add_object(&r.object_name, &r.parameter_key, PARAMETER_KEY)
                .map(|n| {
                    Body::AddObjectResponse(AddObjectResponse {
                        instance_number: n,
                        status: 0,
                    })
                }),
            Body::DeleteObject(r) => m
                .delete_object(&r.object_name, &r.parameter_key, PARAMETER_KEY)
                .map(|()| Body::DeleteObjectResponse(DeleteObjectResponse { status: 0 })),
            Body::Reboot(r) => {
                self.deferred.push(Deferred::Reboot(Some(r.command_key)));
                Ok(Body::RebootResponse)
            }
            Body::FactoryReset => {
                self.deferred.push(Deferred::FactoryReset);
                Ok(Body::FactoryResetResponse)
            }
            Body::ScheduleInform(r) => {
                self.add_event(EventStruct::new(EventCode::Scheduled));
                self.add_event(EventStruct::with_command_key(
                    EventCode::MScheduleInform,
                    r.command_key,
                ));
                self.next_session_at = Some(now.plus_ms(r.delay_seconds as u64 * 1000));
                Ok(Body::ScheduleInformResponse)
            }
            Body::Download(d) => self.accept_download(d, now),
            _ => Err(Fault::new(FaultCode::MethodNotSupported, "")),
        }
    }

    fn accept_download(&mut self, d: Download, now: Timestamp) -> Reply {
        let scheme = d.url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        if !matches!(scheme.as_deref(), Some("http" | "https")) {
            return Err(Fault::new(
                FaultCode::UnsupportedTransferProtocol,
                format!("{} is not HTTP(S)", d.url),
            ));
        }
        if !matches!(
            d.file_type,
            FileType::VendorConfigurationFile | FileType::FirmwareUpgradeImage
        ) {
            return Err(Fault::new(
                FaultCode::RequestDenied,
                format!("file type {} is not supported", d.file_type),
            ));
        }
        let done = DownloadResponse {
            status: 1,
            start_time: DateTime::unknown(),
            complete_time: DateTime::unknown(),
        };
        // the same Download again (its response was lost): it is under way or reported
        // already; never fetch and apply it twice
        let known = self
            .state
            .transfers
            .iter()
            .any(|t| t.command_key == d.command_key)
            || self.state.requests.iter().any(
                |r| matches!(r, Body::TransferComplete(tc) if tc.command_key == d.command_key),
            );
        if known {
            return Ok(Body::DownloadResponse(done));
        }
        if self.state.transfers.len() >= 16 {
            return Err(Fault::new(
                FaultCode::ResourcesExceeded,
                "16 transfers queued already",
            ));
        }
        self.state.transfers.push(Transfer {
            command_key: d.command_key.clone(),
            file_type: d.file_type.clone(),
            start_time: self.wall(now),
            awaiting_reboot: false,
        });
        let requested = AgentEvent::DownloadRequested {
            command_key: d.command_key,
            file_type: d.file_type,
            url: d.url,
            username: d.username,
            password: d.password,
            file_size: d.file_size,
            target_file_name: d.target_file_name,
        };
        // TR-069 A.4.1.5 DelaySeconds: start the transfer no sooner than this
        if d.delay_seconds > 0 {
            let at = now.plus_ms(u64::from(d.delay_seconds) * 1000);
            self.delayed_downloads.push((at, requested));
        } else {
            self.outputs.push_back(Output::Event(requested));
        }
        // TR-069 A.3.2.8: not yet applied; a TransferComplete follows
        Ok(Body::DownloadResponse(done))
    }
}

fn transfer_complete(t: &Transfer, fault: FaultStruct, complete: DateTime) -> Body {
    Body::TransferComplete(TransferComplete {
        command_key: t.command_key.clone(),
        fault_struct: fault,
        start_time: t.start_time.clone(),
        complete_time: complete,
    })
}

/// The methods the agent answers (TR-069 A.4 Table 5, those the HeNB supports).
const CPE_METHODS: &[&str] = &[
    "GetRPCMethods",
    "SetParameterValues",
    "GetParameterValues",
    "GetParameterNames",
    "SetParameterAttributes",
    "GetParameterAttributes",
    "AddObject",
    "DeleteObject",
    "Reboot",
    "Download",
    "FactoryReset",
    "ScheduleInform",
];

/// A digest of the agent's state, to tell whether it changed since it was last persisted.
fn state_digest(state: &AgentSnapshot) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_vec(state)
        .expect("snapshots serialize")
        .hash(&mut h);
    h.finish()
}
