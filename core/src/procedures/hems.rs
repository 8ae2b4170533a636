//! The HeMS side of the TS 32.593 procedures: a registry of devices, each with a queue of
//! procedures that run across sessions — configuration by file download (5.1.2),
//! configuration by SetParameterValues (5.1.3) and the IPsec inner address change notified
//! by Inform (5.1.4) — sans-IO. The transport hands it HTTP requests per connection and sends
//! what comes out; Connection Requests are outputs too.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::codec::*;
use crate::session::{
    header, Acceptor, AcsConfig, AcsEvent, AcsInput, AcsOutcome, AcsSession, AuthConfig,
    AuthRequest, Authenticator, ConnectionInfo, CredentialSource, HttpResponse, Identity, Output,
    Refusal, RefusalKind, RequestId, Timestamp,
};

/// The pseudo-header (HTTP/2's name, RFC 9113 8.3.1) in which the transport passes a
/// request's target (`/cwmp`) with its headers: Digest's `uri` must name it.
pub const PATH_HEADER: &str = ":path";

/// Identifies a procedure submitted to the [`Hems`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProcedureId(pub u64);

/// Identifies one transport connection (the transport's choice, e.g. a counter).
pub type ConnectionId = u64;

/// What the HeMS asks a device to do.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[non_exhaustive]
pub enum Procedure {
    /// TS 32.593 5.1.2: Download of a TS 32.594 configuration file ("3 Vendor Configuration
    /// File"); succeeds on DownloadResponse Status 0, or Status 1 then a TransferComplete with
    /// FaultCode 0 (same or later session); fails on a fault, a TransferComplete fault, or
    /// `timeout_ms` without a TransferComplete.
    ConfigureByFileDownload {
        /// Where the HeNB fetches the file.
        url: String,
        /// File server user name.
        username: String,
        /// File server password.
        password: String,
        /// Size in bytes (0 = unknown).
        file_size: u32,
        /// Target file name (empty = HeNB decides).
        target_file_name: String,
        /// Seconds to wait after the session (0 = none).
        delay_seconds: u32,
        /// How long to wait for the TransferComplete.
        timeout_ms: u64,
    },
    /// TS 32.593 5.1.3: SetParameterValues.
    ConfigureBySetParameterValues {
        /// What to set.
        params: Vec<ParameterValueStruct>,
        /// The new ParameterKey.
        parameter_key: String,
    },
    /// Firmware download ("1 Firmware Upgrade Image"), completed by TransferComplete after
    /// the HeNB's reboot.
    FirmwareUpgrade {
        /// Image URL.
        url: String,
        /// File server user name.
        username: String,
        /// File server password.
        password: String,
        /// Size in bytes.
        file_size: u32,
        /// How long to wait for the TransferComplete.
        timeout_ms: u64,
    },
    /// Any single request (GetParameterValues, GetParameterNames, Reboot, AddObject...): its
    /// response is the outcome.
    Rpc(Body),
}

impl Procedure {
    /// Whether the procedure can be sent as it is: its request must pass the schema checks
    /// of CWMP (in the version that allows the most), and a download URL must be http or
    /// https with a host, no credentials in it (they have their own fields), no spaces or
    /// control characters. For an API or a script to refuse a bad one up front, rather than
    /// the session failing on it later.
    pub fn check(&self) -> Result<(), String> {
        if let Procedure::ConfigureByFileDownload { url, .. }
        | Procedure::FirmwareUpgrade { url, .. } = self
        {
            check_download_url(url)?;
        }
        if let Procedure::Rpc(Body::Download(d)) = self {
            check_download_url(&d.url)?;
        }
        let mut entry = ProcedureEntry {
            id: ProcedureId(0),
            procedure: self.clone(),
            command_key: None,
            transfer_deadline: None,
            response: None,
            key: None,
            attempts: 0,
            deadline: None,
        };
        let body = request_for(&mut entry, &mut DeviceRecord::default());
        if body.kind() != MessageKind::Request || body.direction() == Direction::ToAcs {
            return Err(format!(
                "{} is not a request the HeMS sends",
                body.method_name()
            ));
        }
        match check_body(CwmpVersion::V1_4, &body).first() {
            None => Ok(()),
            Some(problem) => Err(problem.to_string()),
        }
    }
}

/// A DeviceId fit to be a device's key (TR-069 A.3.3.1: OUI six hexadecimal digits,
/// ProductClass and SerialNumber 64 characters at most; no control characters), so that a
/// made-up identity cannot bloat every record and event line it is written into.
fn check_device_id(d: &DeviceIdStruct) -> Result<(), String> {
    if d.oui.len() != 6 || !d.oui.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(format!(
            "malformed DeviceId: the OUI {:?} is not six hexadecimal digits",
            d.oui.chars().take(16).collect::<String>()
        ));
    }
    for (name, value) in [
        ("ProductClass", &d.product_class),
        ("SerialNumber", &d.serial_number),
    ] {
        if value.chars().count() > 64 || value.chars().any(char::is_control) {
            return Err(format!(
                "malformed DeviceId: its {name} is over 64 characters or holds control characters"
            ));
        }
    }
    if d.serial_number.is_empty() {
        return Err("malformed DeviceId: no SerialNumber".into());
    }
    Ok(())
}

/// A device key fit to submit procedures to (`OUI-[ProductClass-]Serial`, as
/// [`DeviceIdStruct::device_key`] makes it): the OUI six hexadecimal digits, then a serial
/// number; at most 140 characters, no spaces or control characters. For an API or a script to
/// refuse a key no device can ever have, rather than keep its procedures forever.
pub fn check_device_key(key: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "device key {:?}: {why}",
            key.chars().take(40).collect::<String>()
        ))
    };
    if key.chars().count() > 6 + 1 + 64 + 1 + 64 {
        return bad("longer than a DeviceId allows");
    }
    if key.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("spaces or control characters");
    }
    match key.split_once('-') {
        Some((oui, rest))
            if oui.len() == 6 && oui.bytes().all(|b| b.is_ascii_hexdigit()) && !rest.is_empty() =>
        {
            Ok(())
        }
        _ => bad("not OUI-[ProductClass-]SerialNumber (six hexadecimal digits first)"),
    }
}

/// A download URL a HeNB may be sent to (TR-069 A.3.2.8: HTTP and HTTPS are the transports
/// every CPE has).
fn check_download_url(url: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("url {url:?}: {why}"));
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("spaces or control characters");
    }
    let Some((scheme, rest)) = url.split_once("://") else {
        return bad("not an absolute URL");
    };
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return bad("only http:// and https://");
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.is_empty() {
        return bad("no host");
    }
    if authority.contains('@') {
        return bad("credentials in the URL (give username and password)");
    }
    let host = match authority.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((h, port)) if port.is_empty() || port.starts_with(':') => h,
            _ => return bad("an unclosed IPv6 address"),
        },
        None => authority.rsplit_once(':').map_or(authority, |(h, _)| h),
    };
    if host.is_empty() || host.contains(['[', ']']) {
        return bad("no host");
    }
    Ok(())
}

/// How a procedure ended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum ProcedureOutcome {
    /// Done: the response (and, for a download, the TransferComplete).
    Success {
        /// The response to the request.
        response: Body,
        /// The TransferComplete that completed a download.
        transfer: Option<TransferComplete>,
    },
    /// The HeNB refused the request with this fault (with every per-parameter fault for
    /// SetParameterValues).
    Fault(Fault),
    /// The HeNB reported the transfer failed.
    TransferFailed(TransferComplete),
    /// No TransferComplete came in time.
    TimedOut,
    /// The HeMS gave up: the procedure went out in as many sessions as
    /// [`HemsConfig::procedure_attempts`] allows and none answered it, or its device did not
    /// come within [`HemsConfig::procedure_deadline_ms`].
    Failed {
        /// Why, for a person.
        reason: String,
    },
}

impl ProcedureOutcome {
    /// Whether the procedure succeeded.
    pub fn is_success(&self) -> bool {
        matches!(self, ProcedureOutcome::Success { .. })
    }
}

/// What the HeMS reports.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub enum HemsEvent {
    /// A device opened a session (its Inform's events).
    Informed {
        /// Device key (`OUI-[ProductClass-]Serial`).
        device: String,
        /// The events.
        events: Vec<EventStruct>,
        /// Whether this is the device's first contact with this HeMS (BOOTSTRAP).
        bootstrap: bool,
    },
    /// TS 32.593 5.1.4: the device's inner IPsec address changed.
    IpsecAddressChanged {
        /// Device key.
        device: String,
        /// The address known before (None on first sight).
        old: Option<String>,
        /// The new address.
        new: String,
    },
    /// The HeMS will ask the device for a session later rather than now: its last sessions
    /// failed (a backoff), or Connection Requests are sent too fast (the global rate limit).
    ConnectionRequestScheduled {
        /// Device key.
        device: String,
        /// In how many milliseconds.
        in_ms: u64,
        /// Why not now.
        reason: String,
    },
    /// A TransferComplete arrived for a download the HeMS had already given up on (timed
    /// out): the HeNB did apply it, or says why not.
    LateTransferComplete {
        /// The procedure, finished before as `TimedOut`.
        id: ProcedureId,
        /// Device key.
        device: String,
        /// What the HeNB reported.
        transfer: TransferComplete,
    },
    /// A procedure finished.
    ProcedureFinished {
        /// The procedure.
        id: ProcedureId,
        /// Device key.
        device: String,
        /// How.
        outcome: ProcedureOutcome,
    },
    /// A session ended.
    SessionEnded {
        /// Device key.
        device: String,
        /// How.
        outcome: AcsOutcome,
    },
    /// A request was refused before anything of the device it claims was read or changed:
    /// bad or replayed credentials, another device's identity, a certificate naming another
    /// device, an unlisted device, throttling, the device limit. (Ordinary 401 challenges
    /// are not reported.)
    Refused {
        /// The device the Inform claimed (empty when refused before the Inform was read).
        device: String,
        /// The peer's address, as the transport gave it.
        peer: Option<String>,
        /// The HTTP status sent: 401, 403, 429 or 503.
        status: u16,
        /// Why.
        reason: String,
    },
}

impl HemsEvent {
    /// The device (`OUI-ProductClass-Serial`) the event is about.
    pub fn device(&self) -> &str {
        match self {
            HemsEvent::Informed { device, .. }
            | HemsEvent::ConnectionRequestScheduled { device, .. }
            | HemsEvent::LateTransferComplete { device, .. }
            | HemsEvent::IpsecAddressChanged { device, .. }
            | HemsEvent::ProcedureFinished { device, .. }
            | HemsEvent::SessionEnded { device, .. }
            | HemsEvent::Refused { device, .. } => device,
        }
    }
}

/// What the transport must do.
#[derive(Debug, Clone, PartialEq)]
#[must_use]
#[allow(clippy::large_enum_variant)] // produced and consumed once each; boxing buys nothing
#[non_exhaustive]
pub enum HemsOutput {
    /// Send this HTTP response on connection `conn`.
    Respond {
        /// The connection.
        conn: ConnectionId,
        /// The response.
        response: Box<HttpResponse>,
    },
    /// Ask the device for a session (TR-069 3.2.2): HTTP GET to `url` with Digest.
    ConnectionRequest {
        /// Device key.
        device: String,
        /// Its ConnectionRequestURL.
        url: String,
        /// Its ConnectionRequestUsername.
        username: String,
        /// Its ConnectionRequestPassword.
        password: String,
    },
    /// An event.
    Event(HemsEvent),
    /// (`external_store`) The record of `device` is needed: load it from your store and call
    /// [`Hems::provide_device`].
    LoadDevice {
        /// The connection whose Inform waits.
        conn: ConnectionId,
        /// Device key.
        device: String,
    },
    /// (`external_store`) A session ended: store this record; the HeMS keeps no copy.
    StoreDevice {
        /// Device key.
        device: String,
        /// The record.
        record: Box<DeviceRecord>,
    },
    /// (`persist_changes`) Write this change of a device's record, and its events, to your
    /// store in one transaction, and finish the write before acting on any output that
    /// follows: the response that follows may acknowledge what it holds (a DownloadResponse
    /// received, a TransferComplete answered, a procedure sent with its CommandKey). Then
    /// publish the events (from the store, so that a crash between the write and the
    /// publication loses none and repeats none). If the write fails, do not send what
    /// follows: answer 503 and close the connection (the device comes back later).
    Persist {
        /// Device key.
        device: String,
        /// What changed ([`Hems::take_device_change`]).
        change: Box<DeviceChange>,
        /// The device's events since its previous `Persist`: with `persist_changes`, a
        /// device's events come here, not as [`HemsOutput::Event`] (a refusal, which
        /// changes no record, still comes as one).
        events: Vec<HemsEvent>,
    },
    /// Call `handle_timeout` at this time.
    Timeout(Timestamp),
    /// Nothing to do.
    Idle,
}

/// How the HeMS behaves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HemsConfig {
    /// Each session's configuration.
    pub session: AcsConfig,
    /// How devices authenticate, and whom each may speak for.
    pub auth: AuthConfig,
    /// Which devices may register.
    pub registration: Registration,
    /// The most device records the HeMS holds in memory: an Inform from an unknown device
    /// beyond it is refused with 503 (and an event), so that made-up DeviceIds cannot grow
    /// the store without bound.
    pub max_devices: usize,
    /// Parameter names that carry the HeNB's inner IPsec address; `{i}` matches an instance
    /// number (TR-262 FAP.Tunnel.IKESA.{i}.IPAddress under Device. and
    /// InternetGatewayDevice.).
    pub ipsec_address_params: Vec<String>,
    /// Also treat the host of `ManagementServer.ConnectionRequestURL` as the inner address
    /// (Device:2 HeNBs without FAP.Tunnel, where CWMP runs over the tunnel).
    pub connection_request_url_host: bool,
    /// Connection Request credentials for devices that have none set.
    pub default_cr_password: String,
    /// How long to wait for the session a Connection Request asked for before asking again.
    pub connection_request_retry_ms: u64,
    /// How many times to ask before waiting for the device's own next session.
    pub connection_request_attempts: u32,
    /// Device records live in the caller's store: a new session asks for its record
    /// ([`HemsOutput::LoadDevice`]) and a finished one hands it back
    /// ([`HemsOutput::StoreDevice`]), so that several HeMS processes can share devices.
    /// Import a record before `submit`ting to a device that is not in memory.
    pub external_store: bool,
    /// The transport keeps device records in a store and follows the durability rule: each
    /// change of a record comes out as [`HemsOutput::Persist`] before any output that
    /// acknowledges it on the wire, so that what a response acknowledges is stored before the
    /// response leaves ("write before send").
    pub persist_changes: bool,
    /// In how many sessions a procedure may go out and fail to be answered before it ends
    /// `Failed`.
    pub procedure_attempts: u32,
    /// How long a procedure may wait for its device, from its submission, before it ends
    /// `Failed`.
    pub procedure_deadline_ms: u64,
    /// After a failed session, the wait before the HeMS asks the device again; doubled after
    /// each further failure (the TR-069 3.2.1.1 schedule's shape, seen from the ACS).
    pub session_retry_base_ms: u64,
    /// The longest such wait.
    pub session_retry_max_ms: u64,
    /// Connection Requests per second, for all devices together (on average, with bursts
    /// of one second's worth at most); beyond, they wait their turn.
    pub connection_requests_per_second: u32,
}

impl Default for HemsConfig {
    fn default() -> Self {
        HemsConfig {
            session: AcsConfig::default(),
            auth: AuthConfig::default(),
            registration: Registration::Open,
            max_devices: 100_000,
            ipsec_address_params: vec![
                "Device.FAP.Tunnel.IKESA.{i}.IPAddress".into(),
                "InternetGatewayDevice.FAP.Tunnel.IKESA.{i}.IPAddress".into(),
            ],
            connection_request_url_host: false,
            default_cr_password: String::new(),
            connection_request_retry_ms: 30_000,
            connection_request_attempts: 5,
            external_store: false,
            persist_changes: false,
            procedure_attempts: 3,
            procedure_deadline_ms: 24 * 3_600_000,
            session_retry_base_ms: 5_000,
            session_retry_max_ms: 600_000,
            connection_requests_per_second: 100,
        }
    }
}

/// Which devices may register with the HeMS.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Registration {
    /// Any device that authenticates (a lab's default).
    #[default]
    Open,
    /// Only devices the credential source lists (and devices the HeMS already holds).
    ListedOnly,
}

/// A procedure waiting, or under way.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ProcedureEntry {
    /// Its id.
    pub id: ProcedureId,
    /// What it is.
    pub procedure: Procedure,
    /// The CommandKey of its Download, once sent.
    pub command_key: Option<String>,
    /// Deadline of the TransferComplete, once the DownloadResponse said Status 1.
    pub transfer_deadline: Option<Timestamp>,
    /// The DownloadResponse, while the TransferComplete is awaited.
    pub response: Option<Body>,
    /// The submitter's key ([`Hems::submit_keyed`]): the same key again for this device is
    /// the same procedure.
    #[serde(default)]
    pub key: Option<String>,
    /// Sessions it went out in that failed before it was answered.
    #[serde(default)]
    pub attempts: u32,
    /// When it ends `Failed` if its device has not come by then.
    #[serde(default)]
    pub deadline: Option<Timestamp>,
}

/// What the HeMS keeps about one device: serializable, so that a deployment keeps it in any
/// store ([`Hems::export_device`], [`Hems::import_device`]) and runs several HeMS processes.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceRecord {
    /// Who.
    pub device_id: DeviceIdStruct,
    /// Last known ConnectionRequestURL.
    pub connection_request_url: Option<String>,
    /// Connection Request user name (default: the serial number).
    pub cr_username: Option<String>,
    /// Connection Request password.
    pub cr_password: Option<String>,
    /// The inner IPsec address (TS 32.593 5.1.4).
    pub ipsec_address: Option<String>,
    /// Last known values of the parameters its Informs carried.
    pub parameters: BTreeMap<String, String>,
    /// Procedures not yet sent.
    pub queue: VecDeque<ProcedureEntry>,
    /// Procedures waiting for a TransferComplete.
    pub awaiting_transfer: Vec<ProcedureEntry>,
    /// Counter for CommandKeys.
    pub next_command_key: u64,
    /// When to send the next Connection Request, and how many were sent.
    pub connection_request: Option<(Timestamp, u32)>,
    /// The keys of the device's last finished keyed procedures, newest last (at most
    /// [`DONE_KEYS_KEPT`]): a submission with one of them is not run again.
    pub done_keys: VecDeque<(String, ProcedureId)>,
    /// Sessions that failed one after another (0 after one that completed): the backoff
    /// before the HeMS asks again.
    pub failed_sessions: u32,
    /// CommandKeys of downloads that timed out, with their procedures (the last
    /// [`DONE_KEYS_KEPT`]): a TransferComplete that comes later is still reported.
    pub timed_out: VecDeque<(String, ProcedureId)>,
}

/// How many keys of finished procedures a device record keeps ([`DeviceRecord::done_keys`]).
pub const DONE_KEYS_KEPT: usize = 64;

/// What changed in a device's record since the last time it was taken
/// ([`Hems::take_device_change`]): the record whole except its parameters, and only the
/// parameters set to a new value since. A store that keeps parameters apart (a table of
/// their own) writes the record and these parameters, so that a device whose Inform carried
/// 100,000 parameters does not have them rewritten on each later event.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceChange {
    /// The record; its `parameters` are left empty (they are in `parameters` below).
    pub record: DeviceRecord,
    /// Parameters (name, value) that got a new value since the change last taken.
    pub parameters: Vec<(String, String)>,
}

impl DeviceRecord {
    /// A copy of the record without its parameters (cheap whatever their number).
    pub fn without_parameters(&self) -> DeviceRecord {
        DeviceRecord {
            device_id: self.device_id.clone(),
            connection_request_url: self.connection_request_url.clone(),
            cr_username: self.cr_username.clone(),
            cr_password: self.cr_password.clone(),
            ipsec_address: self.ipsec_address.clone(),
            parameters: BTreeMap::new(),
            queue: self.queue.clone(),
            awaiting_transfer: self.awaiting_transfer.clone(),
            next_command_key: self.next_command_key,
            connection_request: self.connection_request,
            done_keys: self.done_keys.clone(),
            failed_sessions: self.failed_sessions,
            timed_out: self.timed_out.clone(),
        }
    }

    /// Moves every deadline the record holds (TransferComplete deadlines, the next
    /// Connection Request) by `delta_ms`, not below 0: for a record written by a process
    /// whose clock (the [`Timestamp`] origin) started `delta_ms` later than the reader's
    /// (earlier when negative), so that its deadlines keep their wall-clock instant.
    pub fn shift_deadlines(&mut self, delta_ms: i64) {
        let shift = |t: &mut Timestamp| t.0 = t.0.saturating_add_signed(delta_ms);
        for e in self
            .queue
            .iter_mut()
            .chain(self.awaiting_transfer.iter_mut())
        {
            if let Some(t) = e.transfer_deadline.as_mut() {
                shift(t);
            }
            if let Some(t) = e.deadline.as_mut() {
                shift(t);
            }
        }
        if let Some((t, _)) = self.connection_request.as_mut() {
            shift(t);
        }
    }
}

/// The HeMS's outputs in order, and (`persist_changes`) each device's events held for the
/// `Persist` that stores them with the change they come from.
#[derive(Debug, Default)]
struct Outbox {
    queue: VecDeque<HemsOutput>,
    held: BTreeMap<String, Vec<HemsEvent>>,
    persist: bool,
}

impl Outbox {
    fn push(&mut self, output: HemsOutput) {
        self.queue.push_back(output);
    }

    /// An event: out at once, or (`persist_changes`) held for its device's next `Persist`.
    fn event(&mut self, event: HemsEvent) {
        if self.persist && !matches!(event, HemsEvent::Refused { .. }) {
            self.held
                .entry(event.device().to_owned())
                .or_default()
                .push(event);
        } else {
            self.queue.push_back(HemsOutput::Event(event));
        }
    }
}

struct Live {
    session: AcsSession,
    device: String,
    /// session request -> procedure
    sent: Vec<(RequestId, ProcedureEntry)>,
}

/// The HeMS procedure layer. Not safe for concurrent use.
#[doc(alias = "HeMS")]
pub struct Hems {
    config: Arc<HemsConfig>,
    session_config: Arc<AcsConfig>,
    devices: HashMap<String, DeviceRecord>,
    /// Per device, the parameters set to a new value since its change was last taken
    /// ([`Hems::take_device_change`]).
    changed_parameters: HashMap<String, HashSet<String>>,
    /// (`persist_changes`) Devices whose record changed since their last `Persist`.
    dirty: BTreeSet<String>,
    /// (`persist_changes`) A digest of each device's last persisted record, so that a
    /// session that changed nothing writes nothing.
    persisted: HashMap<String, u64>,
    live: HashMap<ConnectionId, Live>,
    /// The connections of each device's live sessions (usually one).
    live_by_device: HashMap<String, Vec<ConnectionId>>,
    /// Session deadlines, so that neither polling nor timeouts walk every session.
    session_deadlines: BTreeSet<(Timestamp, ConnectionId)>,
    /// Each session's entry in `session_deadlines`.
    session_deadline: HashMap<ConnectionId, Timestamp>,
    /// Device deadlines (Connection Request retries, TransferComplete deadlines), so that
    /// neither polling nor timeouts walk every device.
    timers: BTreeSet<(Timestamp, String)>,
    /// Informs waiting for their device's record from the store (`external_store`).
    waiting: HashMap<ConnectionId, crate::session::Accepted>,
    /// Who the devices are and whom each may speak for.
    auth: Authenticator,
    /// What the transport said of each open connection.
    connections: HashMap<ConnectionId, ConnectionInfo>,
    /// Who each connection's next request was authenticated as, from its head
    /// ([`Hems::handle_request_head`]), for the session it opens.
    authenticated: HashMap<ConnectionId, Identity>,
    next_id: u64,
    outputs: Outbox,
    /// The global Connection Request budget: when it was last counted, and what was left
    /// (thousandths of a request).
    cr_budget: (Timestamp, u64),
}

fn matches_pattern(pattern: &str, name: &str) -> bool {
    let mut p = pattern.split('.');
    let mut n = name.split('.');
    loop {
        match (p.next(), n.next()) {
            (None, None) => return true,
            (Some("{i}"), Some(x)) if !x.is_empty() && x.bytes().all(|b| b.is_ascii_digit()) => {}
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let authority = rest.split('/').next()?;
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next()?
    } else {
        authority.rsplit_once(':').map_or(authority, |(h, _)| h)
    };
    (!host.is_empty()).then(|| host.to_owned())
}

impl Hems {
    /// A HeMS with `config`.
    pub fn new(config: HemsConfig) -> Hems {
        let auth = Authenticator::new(config.auth.clone());
        let persist = config.persist_changes;
        Hems {
            // the Hems queues each device's procedures once the CPE's own requests are in
            // (its TransferComplete may settle a Download before it is resent), so it ends
            // sessions itself
            session_config: Arc::new(AcsConfig {
                end_on_empty_queue: false,
                ..config.session.clone()
            }),
            config: Arc::new(config),
            devices: HashMap::new(),
            changed_parameters: HashMap::new(),
            dirty: BTreeSet::new(),
            persisted: HashMap::new(),
            live: HashMap::new(),
            live_by_device: HashMap::new(),
            session_deadlines: BTreeSet::new(),
            session_deadline: HashMap::new(),
            timers: BTreeSet::new(),
            waiting: HashMap::new(),
            auth,
            connections: HashMap::new(),
            authenticated: HashMap::new(),
            next_id: 1,
            cr_budget: (Timestamp(0), u64::MAX / 4),
            outputs: Outbox {
                persist,
                ..Outbox::default()
            },
        }
    }

    /// Where each device's credentials come from: needed by
    /// [`AuthPolicy::Devices`](crate::session::AuthPolicy::Devices) and
    /// [`Registration::ListedOnly`]; also gives Connection Request credentials and
    /// certificate identities.
    pub fn set_credential_source(&mut self, source: Box<dyn CredentialSource + Send + Sync>) {
        self.auth.set_credential_source(source);
    }

    /// What the transport knows of a new connection (peer address, TLS, client
    /// certificate): call it before the connection's first request. Without it a
    /// connection counts as plain HTTP from an unknown peer without a certificate.
    pub fn connection_opened(&mut self, conn: ConnectionId, info: ConnectionInfo) {
        self.connections.insert(conn, info);
    }

    /// Whether connection `conn` carries a session that takes more requests (not ended, not
    /// past its final empty response): a transport that must turn new sessions away (e.g.
    /// 503 while its store is unavailable) lets these finish.
    pub fn has_session(&self, conn: ConnectionId) -> bool {
        self.live
            .get(&conn)
            .is_some_and(|l| !l.session.is_ended() && !l.session.is_closing())
    }

    /// A device's record.
    pub fn device(&self, key: &str) -> Option<&DeviceRecord> {
        self.devices.get(key)
    }

    /// How many device records the HeMS holds (against [`HemsConfig::max_devices`]).
    pub fn device_count(&self) -> usize {
        self.devices.len()
    }

    /// The keys of every device the HeMS holds a record of, in no particular order.
    pub fn device_keys(&self) -> impl Iterator<Item = &str> {
        self.devices.keys().map(String::as_str)
    }

    /// The record to store (and forget here, with `forget`), e.g. when its session ends.
    pub fn export_device(&self, key: &str) -> Option<DeviceRecord> {
        self.devices.get(key).cloned()
    }

    /// Loads a record from the store (before or when the device's session starts).
    pub fn import_device(&mut self, record: DeviceRecord) {
        let key = record.device_id.device_key();
        self.import_device_as(&key, record);
    }

    /// Loads a record the store keeps under `key`: also the record of a device not seen yet
    /// (procedures submitted before its first Inform), whose DeviceId is still empty.
    pub fn import_device_as(&mut self, key: &str, mut record: DeviceRecord) {
        let key = key.to_owned();
        // procedure ids stay unique across restarts
        let highest = record
            .queue
            .iter()
            .chain(&record.awaiting_transfer)
            .map(|e| e.id.0)
            .chain(record.done_keys.iter().map(|(_, id)| id.0))
            .max()
            .unwrap_or(0);
        self.next_id = self.next_id.max(highest + 1);
        for t in record
            .awaiting_transfer
            .iter()
            .filter_map(|e| e.transfer_deadline)
        {
            self.timers.insert((t, key.clone()));
        }
        if let Some((t, _)) = record.connection_request {
            self.timers.insert((t, key.clone()));
        }
        for t in record.queue.iter().filter_map(|e| e.deadline) {
            self.timers.insert((t, key.clone()));
        }
        if !record.queue.is_empty() && record.connection_request.is_none() {
            // procedures wait and nobody is asking the device (its session broke off with
            // an earlier process): ask it at the first timeout
            record.connection_request = Some((Timestamp(0), 0));
            self.timers.insert((Timestamp(0), key.clone()));
        }
        // what is imported is what the store holds
        self.changed_parameters.remove(&key);
        self.dirty.remove(&key);
        if self.config.persist_changes {
            self.persisted
                .insert(key.clone(), record_digest(&record.without_parameters()));
        }
        self.devices.insert(key, record);
    }

    /// Drops a device's record from memory (after exporting it).
    pub fn forget_device(&mut self, key: &str) -> Option<DeviceRecord> {
        self.changed_parameters.remove(key);
        self.dirty.remove(key);
        self.persisted.remove(key);
        self.devices.remove(key)
    }

    /// The id the next submitted procedure gets. A transport keeps it in its store (with
    /// [`Hems::reserve_procedure_ids`] after a restart), so that ids are never reused even
    /// once every procedure of a device has finished and left its record.
    pub fn next_procedure_id(&self) -> ProcedureId {
        ProcedureId(self.next_id)
    }

    /// Ids below `next` are taken (by an earlier process): the next procedure gets `next` or
    /// above.
    pub fn reserve_procedure_ids(&mut self, next: ProcedureId) {
        self.next_id = self.next_id.max(next.0);
    }

    /// What changed in the record of `key` since its change was last taken (since it was
    /// created or imported, the first time), without taking it: see
    /// [`Hems::take_device_change`].
    pub fn device_change(&self, key: &str) -> Option<DeviceChange> {
        let record = self.devices.get(key)?;
        let mut parameters: Vec<(String, String)> = self
            .changed_parameters
            .get(key)
            .into_iter()
            .flatten()
            .filter_map(|name| Some((name.clone(), record.parameters.get(name)?.clone())))
            .collect();
        parameters.sort_unstable();
        let mut record = record.without_parameters();
        // requests out in a live session count as queued, ahead of the rest, as they would
        // be if the process stopped now: sent again after a restart (a Download with its
        // CommandKey, which the HeNB recognises) or settled by their TransferComplete
        for conn in self.live_by_device.get(key).into_iter().flatten().rev() {
            if let Some(live) = self.live.get(conn) {
                for (_, entry) in live.sent.iter().rev() {
                    record.queue.push_front(entry.clone());
                }
            }
        }
        Some(DeviceChange { record, parameters })
    }

    /// What changed in the record of `key` since this was last called for it (since it was
    /// created or imported, the first time): for a store that writes changes, not whole
    /// records. The parameters it returns are no longer "changed" afterwards.
    pub fn take_device_change(&mut self, key: &str) -> Option<DeviceChange> {
        let change = self.device_change(key)?;
        self.changed_parameters.remove(key);
        Some(change)
    }

    /// Submits a procedure for a device (key `OUI-[ProductClass-]Serial`). It runs in the
    /// device's next session; if none is open, a Connection Request output asks for one.
    pub fn submit(&mut self, device: &str, procedure: Procedure, now: Timestamp) -> ProcedureId {
        self.submit_entry(device, procedure, None, now)
    }

    /// [`Hems::submit`] with the submitter's key: if a procedure with this key for this
    /// device is waiting, under way, or among its last [`DONE_KEYS_KEPT`] finished ones, it is
    /// not submitted again and its id is returned. A script or an API client that retries
    /// (after a timeout, a crash, a restart) thus runs each procedure once.
    pub fn submit_keyed(
        &mut self,
        device: &str,
        procedure: Procedure,
        key: &str,
        now: Timestamp,
    ) -> ProcedureId {
        if let Some(id) = self.keyed(device, key) {
            return id;
        }
        self.submit_entry(device, procedure, Some(key.to_owned()), now)
    }

    /// The procedure submitted for `device` with `key`, if any is known.
    fn keyed(&self, device: &str, key: &str) -> Option<ProcedureId> {
        let has = |e: &ProcedureEntry| e.key.as_deref() == Some(key);
        let rec = self.devices.get(device)?;
        let live = self
            .live_by_device
            .get(device)
            .into_iter()
            .flatten()
            .filter_map(|c| self.live.get(c))
            .flat_map(|l| l.sent.iter().map(|(_, e)| e));
        rec.queue
            .iter()
            .chain(&rec.awaiting_transfer)
            .chain(live)
            .find(|e| has(e))
            .map(|e| e.id)
            .or_else(|| {
                rec.done_keys
                    .iter()
                    .find(|(k, _)| k == key)
                    .map(|(_, id)| *id)
            })
    }

    fn submit_entry(
        &mut self,
        device: &str,
        procedure: Procedure,
        key: Option<String>,
        now: Timestamp,
    ) -> ProcedureId {
        let id = ProcedureId(self.next_id);
        self.next_id += 1;
        self.touch(device);
        let deadline = now.plus_ms(self.config.procedure_deadline_ms);
        self.timers.insert((deadline, device.to_owned()));
        let rec = self.devices.entry(device.to_owned()).or_default();
        rec.queue.push_back(ProcedureEntry {
            id,
            procedure,
            command_key: None,
            transfer_deadline: None,
            response: None,
            key,
            attempts: 0,
            deadline: Some(deadline),
        });
        // a session past its final empty response (3.7.1.4 Closing) takes no more requests
        let live = self
            .live
            .values()
            .any(|l| l.device == device && !l.session.is_ended() && !l.session.is_closing());
        let asked = self
            .devices
            .get(device)
            .is_some_and(|r| r.connection_request.is_some());
        if !live && !asked {
            self.connection_request(device, now);
        }
        // the id goes back to the submitter: what it acknowledges is stored first
        self.persist_dirty();
        id
    }

    /// (`persist_changes`) Notes that the record of `device` changed.
    fn touch(&mut self, device: &str) {
        if self.config.persist_changes && !self.dirty.contains(device) {
            self.dirty.insert(device.to_owned());
        }
    }

    /// (`persist_changes`) A `Persist` output for each record that changed since its last
    /// one; none for a record that is what the store holds already.
    fn persist_dirty(&mut self) {
        let mut devices = std::mem::take(&mut self.dirty);
        devices.extend(self.outputs.held.keys().cloned());
        for device in devices {
            let events = self.outputs.held.remove(&device).unwrap_or_default();
            let Some(change) = self.device_change(&device) else {
                // no record to keep (handed to an external store): the events go out as such
                for e in events {
                    self.outputs.push(HemsOutput::Event(e));
                }
                continue;
            };
            let digest = record_digest(&change.record);
            let same = change.parameters.is_empty() && self.persisted.get(&device) == Some(&digest);
            if same && events.is_empty() {
                continue;
            }
            self.changed_parameters.remove(&device);
            self.persisted.insert(device.clone(), digest);
            self.outputs.push(HemsOutput::Persist {
                device,
                change: Box::new(change),
                events,
            });
        }
    }

    /// The wait after `failures` failed sessions in a row: the base, doubled per further
    /// failure, up to the maximum.
    fn session_backoff_ms(&self, failures: u32) -> u64 {
        let doublings = failures.saturating_sub(1).min(32);
        self.config
            .session_retry_base_ms
            .saturating_mul(1u64 << doublings)
            .min(self.config.session_retry_max_ms)
    }

    /// Asks the device for a session `wait_ms` from now rather than at once (and says why).
    fn schedule_connection_request(
        &mut self,
        device: &str,
        now: Timestamp,
        wait_ms: u64,
        reason: String,
    ) {
        let Some(rec) = self.devices.get_mut(device) else {
            return;
        };
        let at = now.plus_ms(wait_ms);
        let sent = rec.connection_request.map_or(0, |(_, n)| n);
        rec.connection_request = Some((at, sent));
        self.timers.insert((at, device.to_owned()));
        self.touch(device);
        self.outputs.event(HemsEvent::ConnectionRequestScheduled {
            device: device.to_owned(),
            in_ms: wait_ms,
            reason,
        });
    }

    /// Takes one Connection Request from the global rate budget; if none is left, how long
    /// until one is.
    fn take_connection_request_token(&mut self, now: Timestamp) -> Result<(), u64> {
        let rate = u64::from(self.config.connection_requests_per_second.max(1));
        // the budget refills continuously: `rate` per 1000 ms, at most one second's worth
        let (last, tokens) = self.cr_budget;
        let elapsed = now.0.saturating_sub(last.0);
        let refilled = tokens
            .saturating_add(elapsed.saturating_mul(rate))
            .min(1000 * rate);
        if refilled >= 1000 {
            self.cr_budget = (now, refilled - 1000);
            Ok(())
        } else {
            self.cr_budget = (now, refilled);
            Err((1000 - refilled).div_ceil(rate).max(1))
        }
    }

    /// Asks the device for a session (TR-069 3.2.2) and arms the retry.
    fn connection_request(&mut self, device: &str, now: Timestamp) {
        self.touch(device);
        if !self.devices.contains_key(device) {
            return;
        }
        if let Err(wait) = self.take_connection_request_token(now) {
            let reason = format!(
                "Connection Requests are limited to {} per second",
                self.config.connection_requests_per_second
            );
            return self.schedule_connection_request(device, now, wait, reason);
        }
        let Some(rec) = self.devices.get_mut(device) else {
            return;
        };
        let Some(url) = rec.connection_request_url.clone() else {
            return;
        };
        let sent = rec.connection_request.map_or(0, |(_, n)| n) + 1;
        if sent < self.config.connection_request_attempts {
            self.timers.insert((
                now.plus_ms(self.config.connection_request_retry_ms),
                device.to_owned(),
            ));
        }
        rec.connection_request = (sent < self.config.connection_request_attempts)
            .then(|| (now.plus_ms(self.config.connection_request_retry_ms), sent));
        // the credential source's entry first, then the record's, then the defaults
        let listed = self.auth.credentials(&rec.device_id).unwrap_or_default();
        let username = listed
            .connection_request_username
            .or_else(|| rec.cr_username.clone())
            .unwrap_or_else(|| rec.device_id.serial_number.clone());
        let password = listed
            .connection_request_password
            .or_else(|| rec.cr_password.clone())
            .unwrap_or_else(|| self.config.default_cr_password.clone());
        self.outputs.push(HemsOutput::ConnectionRequest {
            device: device.to_owned(),
            url,
            username,
            password,
        });
    }

    /// The head of an HTTP request on `conn` — its headers, before its body is read. A request
    /// that would open a session is authenticated here, so that a transport reads the body of
    /// authenticated requests only (an unauthenticated client cannot make it buffer a body).
    /// Returns true when the body should be read and handed to
    /// [`Hems::handle_http_request`]; false when the request is refused: its response is
    /// among the outputs, to send without reading the body. Optional: without it,
    /// `handle_http_request` authenticates on its own.
    pub fn handle_request_head(
        &mut self,
        conn: ConnectionId,
        headers: &[(&str, &str)],
        now: Timestamp,
    ) -> bool {
        if self.live.get(&conn).is_some_and(|l| !l.session.is_ended()) {
            return true; // within a session: the connection is known
        }
        match self.authenticate(conn, headers, now) {
            Some(identity) => {
                self.authenticated.insert(conn, identity);
                true
            }
            None => false,
        }
    }

    /// Authenticates the first request of a session on `conn`; a refusal is answered and
    /// reported here.
    fn authenticate(
        &mut self,
        conn: ConnectionId,
        headers: &[(&str, &str)],
        now: Timestamp,
    ) -> Option<Identity> {
        let info = self.connections.get(&conn).cloned().unwrap_or_default();
        let request = AuthRequest {
            method: "POST",
            target: header(headers, PATH_HEADER),
            headers,
            connection: &info,
        };
        match self.auth.authenticate(&request, now) {
            Ok(identity) => Some(identity),
            Err(refusal) => {
                self.refuse(conn, "", &info, refusal);
                None
            }
        }
    }

    /// An HTTP request on connection `conn` (its first one must carry the Inform). Give the
    /// request target among the headers as [`PATH_HEADER`] (`(":path", "/cwmp")`): Digest
    /// authentication needs it. The first request of every session is authenticated (see
    /// [`Authenticator`]) before its body is read, and its Inform's device authorized before
    /// anything of that device is read or changed; a refusal is answered (401, 403, 429 or
    /// 503) and reported as [`HemsEvent::Refused`].
    pub fn handle_http_request(
        &mut self,
        conn: ConnectionId,
        headers: &[(&str, &str)],
        body: &[u8],
        now: Timestamp,
    ) {
        // an Inform read here (after a session's final response) is not read again below
        let mut accepted = None;
        if let Some(live) = self.live.get_mut(&conn) {
            if live.session.is_closing() {
                if let Ok(a) = Acceptor::accept(headers, body, now) {
                    // TR-069 3.7.1.4: an Inform after the final empty response opens a new
                    // session on the same (kept-alive) connection; the previous one completed.
                    let _ = live.session.handle_input(AcsInput::ConnectionClosed(now));
                    self.drain(conn, now);
                    accepted = Some(a);
                }
            }
        }
        if let Some(live) = self.live.get_mut(&conn) {
            if !live.session.is_ended() {
                let _ = live.session.handle_http_request(headers, body, now);
                self.drain(conn, now);
                return;
            }
            self.remove_live(conn);
        }
        // a new session: who is talking (from the head, if the transport gave it)
        let info = self.connections.get(&conn).cloned().unwrap_or_default();
        let identity = match self.authenticated.remove(&conn) {
            Some(identity) => identity,
            None => match self.authenticate(conn, headers, now) {
                Some(identity) => identity,
                None => return,
            },
        };
        let accepted = match accepted {
            Some(a) => Ok(a),
            None => Acceptor::accept(headers, body, now),
        };
        match accepted {
            Ok(accepted) => {
                let device = accepted.device_id().device_key();
                if let Err(refusal) = self.admit(&identity, &accepted, &info, now) {
                    return self.refuse(conn, &device, &info, refusal);
                }
                if self.config.external_store && !self.devices.contains_key(&device) {
                    // the record lives in the caller's store: ask for it, park the Inform
                    self.waiting.insert(conn, accepted);
                    self.outputs.push(HemsOutput::LoadDevice { conn, device });
                    return;
                }
                self.start_session(conn, accepted, now);
            }
            Err(_) => self.outputs.push(HemsOutput::Respond {
                conn,
                response: Box::new(HttpResponse {
                    status: 400,
                    headers: Vec::new(),
                    body: Vec::new(),
                }),
            }),
        }
    }

    /// May `identity` open a session for the Inform's device: the binding of its
    /// credentials and certificate, the registration policy, the device limit.
    fn admit(
        &mut self,
        identity: &Identity,
        accepted: &crate::session::Accepted,
        info: &ConnectionInfo,
        now: Timestamp,
    ) -> Result<(), Refusal> {
        let device_id = accepted.device_id();
        check_device_id(device_id).map_err(|why| Refusal {
            kind: RefusalKind::Forbidden,
            reason: why,
            response: HttpResponse {
                status: 400,
                headers: Vec::new(),
                body: Vec::new(),
            },
        })?;
        self.auth.authorize(identity, device_id, info, now)?;
        let key = device_id.device_key();
        let known = self.devices.contains_key(&key);
        let listed = || self.auth.credentials(device_id).is_some();
        let refusal = |status: u16, kind, reason: String| Refusal {
            kind,
            reason,
            response: HttpResponse {
                status,
                headers: if status == 503 {
                    vec![("Retry-After".into(), "3600".into())]
                } else {
                    Vec::new()
                },
                body: Vec::new(),
            },
        };
        if self.config.registration == Registration::ListedOnly && !known && !listed() {
            return Err(refusal(
                403,
                RefusalKind::Forbidden,
                format!("{key} is not a listed device (registration of listed devices only)"),
            ));
        }
        if !known && !self.config.external_store && self.devices.len() >= self.config.max_devices {
            return Err(refusal(
                503,
                RefusalKind::Throttled,
                format!(
                    "the device limit ({}) is reached: {key} is not registered",
                    self.config.max_devices
                ),
            ));
        }
        Ok(())
    }

    /// Answers a refused request and reports it (ordinary challenges are not reported).
    fn refuse(&mut self, conn: ConnectionId, device: &str, info: &ConnectionInfo, r: Refusal) {
        if !r.is_challenge() {
            self.outputs.event(HemsEvent::Refused {
                device: device.to_owned(),
                peer: info.peer.clone(),
                status: r.response.status,
                reason: r.reason,
            });
        }
        self.outputs.push(HemsOutput::Respond {
            conn,
            response: Box::new(r.response),
        });
    }

    /// The record asked for by [`HemsOutput::LoadDevice`] (None for a device the store does
    /// not know yet): the parked Inform is answered and the session goes on.
    pub fn provide_device(
        &mut self,
        conn: ConnectionId,
        record: Option<DeviceRecord>,
        now: Timestamp,
    ) {
        let Some(accepted) = self.waiting.remove(&conn) else {
            return;
        };
        if let Some(r) = record {
            self.import_device(r);
        }
        self.start_session(conn, accepted, now);
    }

    fn start_session(
        &mut self,
        conn: ConnectionId,
        accepted: crate::session::Accepted,
        now: Timestamp,
    ) {
        let device = accepted.device_id().device_key();
        self.touch(&device);
        self.devices.entry(device.clone()).or_default().device_id = accepted.device_id().clone();
        let session = accepted.into_session(self.session_config.clone());
        self.live_by_device
            .entry(device.clone())
            .or_default()
            .push(conn);
        self.live.insert(
            conn,
            Live {
                session,
                device,
                sent: Vec::new(),
            },
        );
        self.drain(conn, now);
    }

    /// The connection closed.
    pub fn handle_connection_closed(&mut self, conn: ConnectionId, now: Timestamp) {
        self.connections.remove(&conn);
        self.authenticated.remove(&conn);
        self.waiting.remove(&conn);
        if let Some(live) = self.live.get_mut(&conn) {
            let _ = live.session.handle_input(AcsInput::ConnectionClosed(now));
            self.drain(conn, now);
            self.remove_live(conn);
            self.persist_dirty();
        }
    }

    fn remove_live(&mut self, conn: ConnectionId) {
        if let Some(l) = self.live.remove(&conn) {
            if let Some(conns) = self.live_by_device.get_mut(&l.device) {
                conns.retain(|c| *c != conn);
                if conns.is_empty() {
                    self.live_by_device.remove(&l.device);
                }
            }
        }
        self.refresh_deadline(conn);
    }

    /// Re-files a session's deadline after anything that may have changed it.
    fn refresh_deadline(&mut self, conn: ConnectionId) {
        if let Some(t) = self.session_deadline.remove(&conn) {
            self.session_deadlines.remove(&(t, conn));
        }
        if let Some(t) = self.live.get(&conn).and_then(|l| l.session.poll_timeout()) {
            self.session_deadlines.insert((t, conn));
            self.session_deadline.insert(conn, t);
        }
    }

    /// Whether `device` has a session going on (other than on `except`); with
    /// `closing_counts` false, one past its final empty response (3.7.1.4) does not count.
    fn device_in_session(
        &self,
        device: &str,
        except: Option<ConnectionId>,
        closing_counts: bool,
    ) -> bool {
        self.live_by_device.get(device).is_some_and(|conns| {
            conns.iter().any(|c| {
                Some(*c) != except
                    && self.live.get(c).is_some_and(|l| {
                        !l.session.is_ended() && (closing_counts || !l.session.is_closing())
                    })
            })
        })
    }

    /// Time has passed: session timeouts and TransferComplete deadlines.
    pub fn handle_timeout(&mut self, now: Timestamp) {
        let due: Vec<ConnectionId> = self
            .session_deadlines
            .iter()
            .take_while(|(t, _)| *t <= now)
            .map(|(_, c)| *c)
            .collect();
        for c in due {
            if let Some(l) = self.live.get_mut(&c) {
                let _ = l.session.handle_input(AcsInput::Timeout(now));
            }
            self.drain(c, now);
            if self.live.get(&c).is_some_and(|l| l.session.is_ended()) {
                self.remove_live(c);
            }
        }
        let mut due = Vec::new();
        while let Some(first) = self.timers.first() {
            if first.0 > now {
                break;
            }
            let (_, device) = self.timers.pop_first().expect("checked");
            due.push(device);
        }
        due.dedup();
        for key in due {
            let live = self.device_in_session(&key, None, true);
            let Some(rec) = self.devices.get_mut(&key) else {
                continue;
            };
            let ask = rec.connection_request.is_some_and(|(t, _)| now >= t)
                && !rec.queue.is_empty()
                && !live;
            let (late, keep): (Vec<_>, Vec<_>) = rec
                .awaiting_transfer
                .drain(..)
                .partition(|e| e.transfer_deadline.is_some_and(|d| now >= d));
            rec.awaiting_transfer = keep;
            for e in &late {
                note_done(rec, e);
                if let Some(k) = &e.command_key {
                    // a TransferComplete that still comes is reported
                    rec.timed_out.push_back((k.clone(), e.id));
                    while rec.timed_out.len() > DONE_KEYS_KEPT {
                        rec.timed_out.pop_front();
                    }
                }
            }
            // procedures whose device did not come in time
            let (expired, waiting): (Vec<_>, Vec<_>) = rec
                .queue
                .drain(..)
                .partition(|e| e.deadline.is_some_and(|d| now >= d) && !live);
            rec.queue = waiting.into();
            for e in &expired {
                note_done(rec, e);
            }
            if (!late.is_empty() || !expired.is_empty()) && self.config.persist_changes {
                self.dirty.insert(key.clone());
            }
            let ask = ask && !rec.queue.is_empty();
            for e in expired {
                self.outputs.event(HemsEvent::ProcedureFinished {
                    id: e.id,
                    device: key.clone(),
                    outcome: ProcedureOutcome::Failed {
                        reason: format!(
                            "the device did not come within {} s of the submission",
                            self.config.procedure_deadline_ms / 1000
                        ),
                    },
                });
            }
            for e in late {
                self.outputs.event(HemsEvent::ProcedureFinished {
                    id: e.id,
                    device: key.clone(),
                    outcome: ProcedureOutcome::TimedOut,
                });
            }
            if ask {
                self.connection_request(&key, now);
            }
        }
        self.persist_dirty();
    }

    /// The next output; drain until `Timeout` or `Idle` after every input and command.
    pub fn poll_output(&mut self) -> HemsOutput {
        if let Some(o) = self.outputs.queue.pop_front() {
            return o;
        }
        let sessions = self.session_deadlines.first().map(|(t, _)| *t);
        let devices = self.timers.first().map(|(t, _)| *t);
        match sessions.into_iter().chain(devices).min() {
            Some(t) => HemsOutput::Timeout(t),
            None => HemsOutput::Idle,
        }
    }

    fn drain(&mut self, conn: ConnectionId, now: Timestamp) {
        self.drain_outputs(conn, now);
        self.refresh_deadline(conn);
        // what changed after the last response (a session's end) is stored too
        self.persist_dirty();
    }

    fn drain_outputs(&mut self, conn: ConnectionId, now: Timestamp) {
        loop {
            let Some(live) = self.live.get_mut(&conn) else {
                return;
            };
            match live.session.poll_output() {
                Output::Transmit(response) => {
                    // write before send: what this response acknowledges is stored first
                    self.persist_dirty();
                    self.outputs.push(HemsOutput::Respond {
                        conn,
                        response: Box::new(response),
                    });
                }
                Output::Event(e) => self.on_event(conn, e, now),
                Output::Timeout(_) | Output::Idle => return,
            }
        }
    }

    fn on_event(&mut self, conn: ConnectionId, e: AcsEvent, now: Timestamp) {
        let Some(device) = self.live.get(&conn).map(|l| l.device.clone()) else {
            return;
        };
        self.touch(&device);
        let live = self.live.get_mut(&conn).expect("checked");
        let rec = self.devices.entry(device.clone()).or_default();
        match e {
            AcsEvent::Informed { inform, .. } => {
                let bootstrap = inform.has_event(&EventCode::Bootstrap);
                let mut ipsec = None;
                for p in &inform.parameter_list {
                    let value = p.value.as_str();
                    if rec.parameters.get(&p.name).map(String::as_str) != Some(value) {
                        rec.parameters.insert(p.name.clone(), value.to_owned());
                        self.changed_parameters
                            .entry(device.clone())
                            .or_default()
                            .insert(p.name.clone());
                    }
                    if p.name.ends_with(".ManagementServer.ConnectionRequestURL") {
                        rec.connection_request_url = Some(p.value.as_str().to_owned());
                        if self.config.connection_request_url_host {
                            ipsec = ipsec.or_else(|| url_host(p.value.as_str()));
                        }
                    }
                    if self
                        .config
                        .ipsec_address_params
                        .iter()
                        .any(|pat| matches_pattern(pat, &p.name))
                    {
                        ipsec = Some(p.value.as_str().to_owned());
                    }
                }
                self.outputs.event(HemsEvent::Informed {
                    device: device.clone(),
                    events: inform.event.clone(),
                    bootstrap,
                });
                if let Some(new) = ipsec {
                    if rec.ipsec_address.as_deref() != Some(new.as_str()) {
                        let old = rec.ipsec_address.replace(new.clone());
                        self.outputs.event(HemsEvent::IpsecAddressChanged {
                            device: device.clone(),
                            old,
                            new,
                        });
                    }
                }
                rec.connection_request = None;
            }
            AcsEvent::AwaitingRequests => {
                // the CPE has sent its own requests: now the queued procedures
                loop {
                    let Some(mut entry) = rec.queue.pop_front() else {
                        live.session.finish(now);
                        return;
                    };
                    let body = request_for(&mut entry, rec);
                    match live.session.queue(body, now) {
                        Ok(id) => {
                            live.sent.push((id, entry));
                            return;
                        }
                        Err(err) => {
                            note_done(rec, &entry);
                            let fault = Fault::new(FaultCode::AcsInvalidArguments, err.to_string());
                            self.outputs.event(HemsEvent::ProcedureFinished {
                                id: entry.id,
                                device: device.clone(),
                                outcome: ProcedureOutcome::Fault(fault),
                            });
                        }
                    }
                }
            }
            AcsEvent::CpeRequest {
                body: Body::TransferComplete(tc),
                ..
            } => {
                let key = Some(tc.command_key.as_str());
                let waiting = rec
                    .awaiting_transfer
                    .iter()
                    .position(|e| e.command_key.as_deref() == key);
                // a Download whose response was lost is queued again: its TransferComplete
                // settles it, and it is not sent twice
                let queued = rec
                    .queue
                    .iter()
                    .position(|e| e.command_key.as_deref() == key);
                let sent = live
                    .sent
                    .iter()
                    .position(|(_, e)| e.command_key.as_deref() == key);
                let entry = match (waiting, queued, sent) {
                    (Some(p), _, _) => Some(rec.awaiting_transfer.remove(p)),
                    (None, Some(q), _) => rec.queue.remove(q),
                    (None, None, Some(s)) => Some(live.sent.remove(s).1),
                    // unknown or a duplicate: answered already, nothing to do
                    (None, None, None) => None,
                };
                if entry.is_none() {
                    // a download given up on: the HeNB applied it after all, or says why not
                    let late = rec
                        .timed_out
                        .iter()
                        .position(|(k, _)| Some(k.as_str()) == key);
                    if let Some(p) = late {
                        let (_, id) = rec.timed_out.remove(p).expect("found");
                        self.outputs.event(HemsEvent::LateTransferComplete {
                            id,
                            device: device.clone(),
                            transfer: tc.clone(),
                        });
                    }
                }
                if let Some(entry) = entry {
                    note_done(rec, &entry);
                    let outcome = if tc.fault_struct.is_success() {
                        ProcedureOutcome::Success {
                            response: entry.response.clone().unwrap_or(Body::DownloadResponse(
                                DownloadResponse {
                                    status: 1,
                                    ..DownloadResponse::default()
                                },
                            )),
                            transfer: Some(tc),
                        }
                    } else {
                        ProcedureOutcome::TransferFailed(tc)
                    };
                    self.outputs.event(HemsEvent::ProcedureFinished {
                        id: entry.id,
                        device,
                        outcome,
                    });
                }
            }
            AcsEvent::CpeRequest { .. } => {}
            AcsEvent::Response { id, result } => {
                let Some(pos) = live.sent.iter().position(|(i, _)| *i == id) else {
                    return;
                };
                let (_, mut entry) = live.sent.remove(pos);
                let outcome = match result {
                    Err(f) => ProcedureOutcome::Fault(f),
                    Ok(Body::DownloadResponse(r)) if r.status == 1 => {
                        let timeout = match &entry.procedure {
                            Procedure::ConfigureByFileDownload { timeout_ms, .. }
                            | Procedure::FirmwareUpgrade { timeout_ms, .. } => *timeout_ms,
                            _ => 3_600_000,
                        };
                        entry.transfer_deadline = Some(now.plus_ms(timeout));
                        self.timers.insert((now.plus_ms(timeout), device.clone()));
                        entry.response = Some(Body::DownloadResponse(r));
                        rec.awaiting_transfer.push(entry);
                        return;
                    }
                    Ok(response) => ProcedureOutcome::Success {
                        response,
                        transfer: None,
                    },
                };
                note_done(rec, &entry);
                self.outputs.event(HemsEvent::ProcedureFinished {
                    id: entry.id,
                    device,
                    outcome,
                });
            }
            AcsEvent::Ended(outcome) => {
                let failed = !outcome.is_success();
                let why = format!("{:?}", outcome.reason);
                // unanswered requests go back to the front of the queue, in order; one that
                // went out in too many failed sessions ends there
                let sent = std::mem::take(&mut live.sent);
                let mut given_up = Vec::new();
                for (_, mut entry) in sent.into_iter().rev() {
                    if failed {
                        entry.attempts += 1;
                        if entry.attempts >= self.config.procedure_attempts {
                            note_done(rec, &entry);
                            given_up.push(entry);
                            continue;
                        }
                    }
                    rec.queue.push_front(entry);
                }
                rec.failed_sessions = if failed {
                    rec.failed_sessions.saturating_add(1)
                } else {
                    0
                };
                let failures = rec.failed_sessions;
                let more = !rec.queue.is_empty();
                let asked = rec.connection_request.is_some();
                for entry in given_up {
                    self.outputs.event(HemsEvent::ProcedureFinished {
                        id: entry.id,
                        device: device.clone(),
                        outcome: ProcedureOutcome::Failed {
                            reason: format!(
                                "sent in {} sessions, none of which completed (last: {why})",
                                entry.attempts
                            ),
                        },
                    });
                }
                self.outputs.event(HemsEvent::SessionEnded {
                    device: device.clone(),
                    outcome,
                });
                // procedures submitted too late for this session, or whose session failed:
                // ask for another (after a failure, not at once), unless a Connection Request
                // is already out (its session may be starting right now)
                if more && !asked {
                    if failures > 0 {
                        let wait = self.session_backoff_ms(failures);
                        self.schedule_connection_request(&device, now, wait, why);
                    } else {
                        self.connection_request(&device, now);
                    }
                }
                let others = self.device_in_session(&device, Some(conn), true);
                if self.config.external_store && !others && !more {
                    if let Some(record) = self.devices.remove(&device) {
                        self.outputs.push(HemsOutput::StoreDevice {
                            device,
                            record: Box::new(record),
                        });
                    }
                }
            }
        }
    }
}

/// Notes a finished procedure's key (if it had one) among its device's done keys.
fn note_done(rec: &mut DeviceRecord, entry: &ProcedureEntry) {
    if let Some(key) = &entry.key {
        rec.done_keys.push_back((key.clone(), entry.id));
        while rec.done_keys.len() > DONE_KEYS_KEPT {
            rec.done_keys.pop_front();
        }
    }
}

/// A digest of a record, to tell whether it changed since it was last persisted.
fn record_digest(record: &DeviceRecord) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    serde_json::to_vec(record)
        .expect("records serialize")
        .hash(&mut h);
    h.finish()
}

/// The request that runs a procedure (a Download gets its CommandKey once, so that a resend
/// after a lost response is recognised by the HeNB).
fn request_for(entry: &mut ProcedureEntry, rec: &mut DeviceRecord) -> Body {
    let mut key = || {
        rec.next_command_key += 1;
        format!("hems-{}", rec.next_command_key)
    };
    match &entry.procedure {
        Procedure::ConfigureByFileDownload {
            url,
            username,
            password,
            file_size,
            target_file_name,
            delay_seconds,
            ..
        } => {
            let command_key = entry.command_key.get_or_insert_with(&mut key).clone();
            Body::Download(Download {
                command_key,
                file_type: FileType::VendorConfigurationFile,
                url: url.clone(),
                username: username.clone(),
                password: password.clone(),
                file_size: *file_size,
                target_file_name: target_file_name.clone(),
                delay_seconds: *delay_seconds,
                success_url: String::new(),
                failure_url: String::new(),
            })
        }
        Procedure::FirmwareUpgrade {
            url,
            username,
            password,
            file_size,
            ..
        } => {
            let command_key = entry.command_key.get_or_insert_with(&mut key).clone();
            Body::Download(Download {
                command_key,
                file_type: FileType::FirmwareUpgradeImage,
                url: url.clone(),
                username: username.clone(),
                password: password.clone(),
                file_size: *file_size,
                ..Download::default()
            })
        }
        Procedure::ConfigureBySetParameterValues {
            params,
            parameter_key,
        } => Body::SetParameterValues(SetParameterValues {
            parameter_list: params.clone(),
            parameter_key: parameter_key.clone(),
        }),
        Procedure::Rpc(body) => body.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifted_records_keep_their_deadlines_wall_clock_instant() {
        let entry = |deadline| ProcedureEntry {
            id: ProcedureId(1),
            procedure: Procedure::Rpc(Body::Empty),
            command_key: None,
            transfer_deadline: deadline,
            response: None,
            key: None,
            attempts: 0,
            deadline: None,
        };
        let mut rec = DeviceRecord {
            queue: [entry(Some(Timestamp(9_000))), entry(None)].into(),
            awaiting_transfer: vec![entry(Some(Timestamp(50_000)))],
            connection_request: Some((Timestamp(60_000), 2)),
            ..DeviceRecord::default()
        };
        rec.shift_deadlines(-20_000);
        assert_eq!(
            rec.awaiting_transfer[0].transfer_deadline,
            Some(Timestamp(30_000))
        );
        assert_eq!(
            rec.queue[0].transfer_deadline,
            Some(Timestamp(0)),
            "not below 0"
        );
        assert_eq!(rec.queue[1].transfer_deadline, None);
        assert_eq!(rec.connection_request, Some((Timestamp(40_000), 2)));
        rec.shift_deadlines(5);
        assert_eq!(
            rec.awaiting_transfer[0].transfer_deadline,
            Some(Timestamp(30_005))
        );
    }

    #[test]
    fn procedures_are_checked_before_they_are_sent() {
        let download = |url: &str| Procedure::FirmwareUpgrade {
            url: url.into(),
            username: String::new(),
            password: String::new(),
            file_size: 0,
            timeout_ms: 1000,
        };
        for good in [
            "http://files/fw.bin",
            "HTTPS://[2001:db8::1]:443/x?y=1",
            "http://h:8080",
        ] {
            assert_eq!(download(good).check(), Ok(()), "{good}");
        }
        for bad in [
            "file:///etc/passwd",
            "ftp://h/x",
            "/files/x",
            "//evil.example/x",
            "http://a b/",
            "http://[::1/x",
            "http://user:pw@host/x",
            "http://h/x\u{0}",
            "http:///x",
        ] {
            assert!(download(bad).check().is_err(), "{bad:?}");
        }
        // the request itself must pass the schema checks
        let spv = |key: &str| Procedure::ConfigureBySetParameterValues {
            params: vec![ParameterValueStruct::new("Device.X", Value::string("x"))],
            parameter_key: key.into(),
        };
        assert_eq!(spv("k").check(), Ok(()));
        assert!(
            spv(&"k".repeat(33)).check().is_err(),
            "ParameterKey is 32 at most"
        );
        assert!(Procedure::Rpc(Body::GetRPCMethods).check().is_ok());
        assert!(
            Procedure::Rpc(Body::InformResponse(InformResponse { max_envelopes: 1 }))
                .check()
                .is_err()
        );
    }

    #[test]
    fn patterns_and_hosts() {
        assert!(matches_pattern(
            "Device.FAP.Tunnel.IKESA.{i}.IPAddress",
            "Device.FAP.Tunnel.IKESA.12.IPAddress"
        ));
        assert!(!matches_pattern(
            "Device.FAP.Tunnel.IKESA.{i}.IPAddress",
            "Device.FAP.Tunnel.IKESA.x.IPAddress"
        ));
        assert!(!matches_pattern(
            "Device.FAP.Tunnel.IKESA.{i}.IPAddress",
            "Device.FAP.Tunnel.IKESA.1.IPAddressX"
        ));
        assert_eq!(
            url_host("http://10.0.0.2:7547/cr").as_deref(),
            Some("10.0.0.2")
        );
        assert_eq!(
            url_host("http://[2001:db8::1]:7547/").as_deref(),
            Some("2001:db8::1")
        );
        assert_eq!(url_host("nonsense"), None);
    }
}
