//! Events for C: what `poll_output` lends in `femtocwmp_output.event` — a kind to switch on and
//! typed accessors, with the JSON form rendered only when asked (`femtocwmp_event_json`).

use std::cell::OnceCell;

use femtocwmp::hems as h;
use femtocwmp::henb as a;
use femtocwmp::session as s;
use femtocwmp::{Body, EventStruct, Inform};

use crate::codec::write_out;
use crate::error::{boundary, fail, femtocwmp_result};
use crate::message::{femtocwmp_message, femtocwmp_str, view};
use crate::{out_ptr, try_ffi};

/// What an event is about. Each handle emits its own group: sessions 1–9, the agent 10–19,
/// the HeMS 20–29. `OTHER` is an event newer than this header (read its JSON).
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum femtocwmp_event_kind {
    /// Not an event (the output is not `EVENT`).
    None = 0,
    /// Session: the Inform exchange is done (CPE: InformResponse read; ACS: the message is
    /// the Inform).
    Informed = 1,
    /// Session: a request from the peer (CPE side: answer it with `_respond`; ACS side: a CPE
    /// request such as TransferComplete). The message is the request, `id` its request id.
    Request = 2,
    /// Session: the answer to one of our requests (`id`); the message is the response or the
    /// Fault.
    Response = 3,
    /// CPE session: redirected to `url` (TR-069 3.4.5).
    Redirected = 4,
    /// Session: ended; `succeeded` says whether it completed.
    Ended = 5,
    /// ACS session: the CPE has nothing more to send; queue requests or finish.
    AwaitingRequests = 6,
    /// Agent: a session started; the message is an Inform holding the events announced.
    SessionStarted = 10,
    /// Agent: a session ended (`succeeded`).
    SessionEnded = 11,
    /// Agent: a retry is scheduled (TR-069 3.2.1.1); the `TIMEOUT` output says when.
    RetryScheduled = 12,
    /// Agent: fetch a file (`femtocwmp_event_download`), then call
    /// `femtocwmp_agent_download_finished`.
    DownloadRequested = 13,
    /// Agent: the HeMS changed parameters (names via `femtocwmp_event_name`); apply them to
    /// the radio.
    ParametersChanged = 14,
    /// Agent: reboot now (`command_key` of the Reboot, if any), then `femtocwmp_agent_restore`
    /// with `rebooted`.
    RebootRequested = 15,
    /// Agent: factory reset now.
    FactoryResetRequested = 16,
    /// Agent: a firmware image is ready (`femtocwmp_event_data`): install it; a reboot follows.
    FirmwareReady = 17,
    /// HeMS: a device informed; the message is an Inform holding its events.
    DeviceInformed = 20,
    /// HeMS: a device's inner IPsec address changed (`address`, TS 32.593 5.1.4).
    IpsecAddressChanged = 21,
    /// HeMS: a procedure finished (`id`, `succeeded`, the message is the response, Fault or
    /// failed TransferComplete).
    ProcedureFinished = 22,
    /// HeMS: a device's session ended (`succeeded`).
    DeviceSessionEnded = 23,
    /// HeMS: send a Connection Request (HTTP GET with Digest) to `url` with `credentials`.
    ConnectionRequest = 24,
    /// HeMS with an external store: load the device's record from your store and hand it to
    /// `femtocwmp_hems_provide_device` for the connection `femtocwmp_event_conn` gives.
    LoadDevice = 25,
    /// HeMS with an external store: keep the device's record (`femtocwmp_event_record`).
    StoreDevice = 26,
    /// HeMS: a request was refused before anything of the device it claims was read or
    /// changed (`device` claimed, `femtocwmp_event_refusal`: HTTP status, reason, peer).
    Refused = 27,
    /// HeMS with `"persist_changes": true`: write this change of the device's record and its
    /// events (`femtocwmp_event_record`: `{"device", "change": {"record", "parameters"},
    /// "events": [...]}`) to your store in one transaction, and finish before acting on any
    /// output that follows; then publish the events. If the write fails, answer 503 and
    /// close the connection instead of sending what follows.
    Persist = 28,
    /// HeMS: the device will be asked for a session later, not now (its sessions failed: a
    /// backoff; or the Connection Request rate limit); the JSON form says in how long and why.
    ConnectionRequestScheduled = 29,
    /// HeMS: a TransferComplete came for a download already finished as timed out (`id`; the
    /// message is the TransferComplete).
    LateTransferComplete = 30,
    /// Agent with `"persist_state": true`: write this snapshot blob (`femtocwmp_event_record`:
    /// what `femtocwmp_agent_restore` reads) to flash, replacing the last, and finish before
    /// acting on any output that follows.
    PersistState = 31,
    /// An event this header does not know; its JSON form says what it is.
    Other = 99,
}

/// The events of every handle, as they came.
#[derive(Debug)]
pub(crate) enum Ev {
    Cpe(s::CpeEvent),
    Acs(s::AcsEvent),
    Agent(a::AgentEvent),
    Hems(h::HemsEvent),
    ConnectionRequest {
        device: String,
        url: String,
        username: String,
        password: String,
    },
    LoadDevice {
        conn: u64,
        device: String,
    },
    StoreDevice {
        device: String,
        record: Box<h::DeviceRecord>,
    },
    Persist {
        device: String,
        change: Box<h::DeviceChange>,
        events: Vec<h::HemsEvent>,
    },
}

impl From<s::CpeEvent> for Ev {
    fn from(e: s::CpeEvent) -> Self {
        Ev::Cpe(e)
    }
}
impl From<s::AcsEvent> for Ev {
    fn from(e: s::AcsEvent) -> Self {
        Ev::Acs(e)
    }
}
impl From<a::AgentEvent> for Ev {
    fn from(e: a::AgentEvent) -> Self {
        Ev::Agent(e)
    }
}
impl From<h::HemsEvent> for Ev {
    fn from(e: h::HemsEvent) -> Self {
        Ev::Hems(e)
    }
}

impl serde::Serialize for Ev {
    fn serialize<S: serde::Serializer>(&self, ser: S) -> Result<S::Ok, S::Error> {
        // the HeMS outputs that are not HemsEvents keep the form they always had
        #[derive(serde::Serialize)]
        enum Extra<'a> {
            ConnectionRequest {
                device: &'a str,
                url: &'a str,
                username: &'a str,
                password: &'a str,
            },
            LoadDevice {
                conn: u64,
                device: &'a str,
            },
            StoreDevice {
                device: &'a str,
                record: &'a h::DeviceRecord,
            },
            Persist {
                device: &'a str,
                change: &'a h::DeviceChange,
                events: &'a [h::HemsEvent],
            },
        }
        match self {
            Ev::Cpe(e) => e.serialize(ser),
            Ev::Acs(e) => e.serialize(ser),
            Ev::Agent(e) => e.serialize(ser),
            Ev::Hems(e) => e.serialize(ser),
            Ev::ConnectionRequest {
                device,
                url,
                username,
                password,
            } => Extra::ConnectionRequest {
                device,
                url,
                username,
                password,
            }
            .serialize(ser),
            Ev::LoadDevice { conn, device } => Extra::LoadDevice {
                conn: *conn,
                device,
            }
            .serialize(ser),
            Ev::StoreDevice { device, record } => {
                Extra::StoreDevice { device, record }.serialize(ser)
            }
            Ev::Persist {
                device,
                change,
                events,
            } => Extra::Persist {
                device,
                change,
                events,
            }
            .serialize(ser),
        }
    }
}

/// One event, lent by `poll_output` (`femtocwmp_output.event`): valid until the next call on
/// the handle that produced it; never free it. Read it with the `femtocwmp_event_*`
/// functions; each says which kinds it applies to and gives
/// `FEMTOCWMP_RESULT_INVALID_PARAMETER` for the others.
pub struct femtocwmp_event {
    ev: Ev,
    /// A message made from the event on first request (an agent's Download, a fault reply).
    derived: OnceCell<Body>,
}

impl femtocwmp_event {
    pub(crate) fn new(ev: Ev) -> Self {
        femtocwmp_event {
            ev,
            derived: OnceCell::new(),
        }
    }

    pub(crate) fn kind(&self) -> femtocwmp_event_kind {
        use femtocwmp_event_kind as K;
        match &self.ev {
            Ev::Cpe(e) => match e {
                s::CpeEvent::Informed { .. } => K::Informed,
                s::CpeEvent::Request { .. } => K::Request,
                s::CpeEvent::Response { .. } => K::Response,
                s::CpeEvent::Redirected { .. } => K::Redirected,
                s::CpeEvent::Ended(_) => K::Ended,
                _ => K::Other,
            },
            Ev::Acs(e) => match e {
                s::AcsEvent::Informed { .. } => K::Informed,
                s::AcsEvent::CpeRequest { .. } => K::Request,
                s::AcsEvent::Response { .. } => K::Response,
                s::AcsEvent::AwaitingRequests => K::AwaitingRequests,
                s::AcsEvent::Ended(_) => K::Ended,
                _ => K::Other,
            },
            Ev::Agent(e) => match e {
                a::AgentEvent::SessionStarted { .. } => K::SessionStarted,
                a::AgentEvent::SessionEnded(_) => K::SessionEnded,
                a::AgentEvent::RetryScheduled { .. } => K::RetryScheduled,
                a::AgentEvent::DownloadRequested { .. } => K::DownloadRequested,
                a::AgentEvent::ParametersChanged { .. } => K::ParametersChanged,
                a::AgentEvent::RebootRequested { .. } => K::RebootRequested,
                a::AgentEvent::FactoryResetRequested => K::FactoryResetRequested,
                a::AgentEvent::FirmwareReady { .. } => K::FirmwareReady,
                a::AgentEvent::PersistState { .. } => K::PersistState,
                _ => K::Other,
            },
            Ev::Hems(e) => match e {
                h::HemsEvent::Informed { .. } => K::DeviceInformed,
                h::HemsEvent::IpsecAddressChanged { .. } => K::IpsecAddressChanged,
                h::HemsEvent::ProcedureFinished { .. } => K::ProcedureFinished,
                h::HemsEvent::SessionEnded { .. } => K::DeviceSessionEnded,
                h::HemsEvent::Refused { .. } => K::Refused,
                h::HemsEvent::ConnectionRequestScheduled { .. } => K::ConnectionRequestScheduled,
                h::HemsEvent::LateTransferComplete { .. } => K::LateTransferComplete,
                _ => K::Other,
            },
            Ev::ConnectionRequest { .. } => K::ConnectionRequest,
            Ev::LoadDevice { .. } => K::LoadDevice,
            Ev::StoreDevice { .. } => K::StoreDevice,
            Ev::Persist { .. } => K::Persist,
        }
    }

    fn message(&self) -> Option<&Body> {
        let events_only = |events: &[EventStruct]| {
            Body::Inform(Inform {
                event: events.to_vec(),
                ..Inform::default()
            })
        };
        let derived = |make: &dyn Fn() -> Body| Some(self.derived.get_or_init(make));
        match &self.ev {
            Ev::Cpe(s::CpeEvent::Request { body, .. }) => Some(body),
            Ev::Acs(s::AcsEvent::CpeRequest { body, .. }) => Some(body),
            Ev::Cpe(s::CpeEvent::Response { result, .. })
            | Ev::Acs(s::AcsEvent::Response { result, .. }) => match result {
                Ok(body) => Some(body),
                Err(f) => derived(&|| Body::Fault(f.clone())),
            },
            Ev::Acs(s::AcsEvent::Informed { inform, .. }) => {
                derived(&|| Body::Inform(inform.clone()))
            }
            Ev::Agent(a::AgentEvent::SessionStarted { events }) => derived(&|| events_only(events)),
            Ev::Hems(h::HemsEvent::Informed { events, .. }) => derived(&|| events_only(events)),
            Ev::Agent(a::AgentEvent::DownloadRequested {
                command_key,
                file_type,
                url,
                username,
                password,
                file_size,
                target_file_name,
            }) => derived(&|| {
                Body::Download(femtocwmp::Download {
                    command_key: command_key.clone(),
                    file_type: file_type.clone(),
                    url: url.clone(),
                    username: username.clone(),
                    password: password.clone(),
                    file_size: *file_size,
                    target_file_name: target_file_name.clone(),
                    ..Default::default()
                })
            }),
            Ev::Hems(h::HemsEvent::ProcedureFinished { outcome, .. }) => match outcome {
                h::ProcedureOutcome::Success { response, .. } => Some(response),
                h::ProcedureOutcome::Fault(f) => derived(&|| Body::Fault(f.clone())),
                h::ProcedureOutcome::TransferFailed(t) => {
                    derived(&|| Body::TransferComplete(t.clone()))
                }
                _ => None,
            },
            Ev::Hems(h::HemsEvent::LateTransferComplete { transfer, .. }) => {
                derived(&|| Body::TransferComplete(transfer.clone()))
            }
            _ => None,
        }
    }
}

fn event<'a>(ev: *const femtocwmp_event) -> Result<&'a femtocwmp_event, femtocwmp_result> {
    view(ev, "event")
}

fn not_here(ev: &femtocwmp_event, what: &str) -> femtocwmp_result {
    fail(
        femtocwmp_result::InvalidParameter,
        format!("a {:?} event has no {what}", ev.kind()),
    )
}

/// The event's kind (also in `femtocwmp_output.event_kind`).
#[no_mangle]
pub extern "C" fn femtocwmp_event_get_kind(ev: *const femtocwmp_event) -> femtocwmp_event_kind {
    let mut kind = femtocwmp_event_kind::None;
    let _ = boundary(|| {
        if let Ok(e) = event(ev) {
            kind = e.kind();
        }
        femtocwmp_result::Ok
    });
    kind
}

/// The event in its JSON form (e.g. `{"DownloadRequested":{"command_key":...}}`),
/// NUL-terminated, into `buf` (size query as for `femtocwmp_decode_json`). Every event has one.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_json(
    ev: *const femtocwmp_event,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let e = try_ffi!(event(ev));
        let bytes = serde_json::to_vec(&e.ev).expect("events serialize");
        write_out(&bytes, buf, buf_len, out_len)
    })
}

/// The message the event carries, borrowed (never free it; valid as long as the event):
/// `INFORMED` (ACS side: the Inform), `REQUEST`, `RESPONSE` (the response or Fault),
/// `SESSION_STARTED` and `DEVICE_INFORMED` (an Inform holding the events), `DOWNLOAD_REQUESTED`
/// (the Download), `PROCEDURE_FINISHED` (the response, Fault or failed TransferComplete; none
/// for a timeout). Read it with the `femtocwmp_message_*` readers.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_message(
    ev: *const femtocwmp_event,
    out: *mut *const femtocwmp_message,
) -> femtocwmp_result {
    boundary(|| {
        let e = try_ffi!(event(ev));
        match e.message() {
            Some(body) => {
                out_ptr!(out, femtocwmp_message::borrow(body));
                femtocwmp_result::Ok
            }
            None => not_here(e, "message"),
        }
    })
}

/// The request id (`REQUEST`, `RESPONSE`: give it to `_respond`) or procedure id
/// (`PROCEDURE_FINISHED`, `LATE_TRANSFER_COMPLETE`: the one `femtocwmp_hems_submit_json`
/// returned).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_id(
    ev: *const femtocwmp_event,
    id_out: *mut u64,
) -> femtocwmp_result {
    boundary(|| {
        let e = try_ffi!(event(ev));
        let id = match &e.ev {
            Ev::Cpe(s::CpeEvent::Request { id, .. })
            | Ev::Cpe(s::CpeEvent::Response { id, .. })
            | Ev::Acs(s::AcsEvent::CpeRequest { id, .. })
            | Ev::Acs(s::AcsEvent::Response { id, .. }) => id.0,
            Ev::Hems(h::HemsEvent::ProcedureFinished { id, .. })
            | Ev::Hems(h::HemsEvent::LateTransferComplete { id, .. }) => id.0,
            _ => return not_here(e, "id"),
        };
        out_ptr!(id_out, id);
        femtocwmp_result::Ok
    })
}

/// Whether it went well: `ENDED`, `SESSION_ENDED`, `DEVICE_SESSION_ENDED` (the session
/// completed), `PROCEDURE_FINISHED` (the procedure succeeded), `RESPONSE` (not a Fault).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_succeeded(
    ev: *const femtocwmp_event,
    out: *mut bool,
) -> femtocwmp_result {
    boundary(|| {
        let e = try_ffi!(event(ev));
        let completed = |r: &s::EndReason| matches!(r, s::EndReason::Completed);
        let ok = match &e.ev {
            Ev::Cpe(s::CpeEvent::Ended(o)) | Ev::Agent(a::AgentEvent::SessionEnded(o)) => {
                completed(&o.reason)
            }
            Ev::Acs(s::AcsEvent::Ended(o)) => completed(&o.reason),
            Ev::Hems(h::HemsEvent::SessionEnded { outcome, .. }) => completed(&outcome.reason),
            Ev::Hems(h::HemsEvent::ProcedureFinished { outcome, .. }) => outcome.is_success(),
            Ev::Cpe(s::CpeEvent::Response { result, .. })
            | Ev::Acs(s::AcsEvent::Response { result, .. }) => result.is_ok(),
            _ => return not_here(e, "outcome"),
        };
        out_ptr!(out, ok);
        femtocwmp_result::Ok
    })
}

fn str_out(
    ev: *const femtocwmp_event,
    out: *mut femtocwmp_str,
    what: &str,
    pick: impl FnOnce(&Ev) -> Option<&str>,
) -> femtocwmp_result {
    boundary(|| {
        let e = try_ffi!(event(ev));
        match pick(&e.ev) {
            Some(v) => {
                out_ptr!(out, femtocwmp_str::of(v));
                femtocwmp_result::Ok
            }
            None => not_here(e, what),
        }
    })
}

/// The device key (`OUI-ProductClass-Serial`) of a HeMS event (20–26), borrowed from the
/// event.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_device(
    ev: *const femtocwmp_event,
    out: *mut femtocwmp_str,
) -> femtocwmp_result {
    str_out(ev, out, "device", |ev| match ev {
        Ev::Hems(e) => Some(e.device()),
        Ev::ConnectionRequest { device, .. }
        | Ev::LoadDevice { device, .. }
        | Ev::StoreDevice { device, .. }
        | Ev::Persist { device, .. } => Some(device),
        _ => None,
    })
}

/// The URL of `REDIRECTED` (the new ACS), `CONNECTION_REQUEST` (the device's Connection
/// Request URL) and `DOWNLOAD_REQUESTED` (the file), borrowed from the event.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_url(
    ev: *const femtocwmp_event,
    out: *mut femtocwmp_str,
) -> femtocwmp_result {
    str_out(ev, out, "url", |ev| match ev {
        Ev::Cpe(s::CpeEvent::Redirected { url })
        | Ev::ConnectionRequest { url, .. }
        | Ev::Agent(a::AgentEvent::DownloadRequested { url, .. }) => Some(url),
        _ => None,
    })
}

/// `REFUSED`: the HTTP status sent (401, 403, 429 or 503), why, and the peer's address as the
/// transport gave it (empty when unknown); the strings are borrowed from the event.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_refusal(
    ev: *const femtocwmp_event,
    status_out: *mut u16,
    reason_out: *mut femtocwmp_str,
    peer_out: *mut femtocwmp_str,
) -> femtocwmp_result {
    boundary(|| {
        let e = try_ffi!(event(ev));
        let Ev::Hems(h::HemsEvent::Refused {
            status,
            reason,
            peer,
            ..
        }) = &e.ev
        else {
            return not_here(e, "refusal");
        };
        if status_out.is_null() || reason_out.is_null() || peer_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out pointer is NULL");
        }
        out_ptr!(status_out, *status);
        out_ptr!(reason_out, femtocwmp_str::of(reason));
        out_ptr!(peer_out, femtocwmp_str::of(peer.as_deref().unwrap_or("")));
        femtocwmp_result::Ok
    })
}

/// The new inner IPsec address of `IPSEC_ADDRESS_CHANGED`, borrowed from the event.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_address(
    ev: *const femtocwmp_event,
    out: *mut femtocwmp_str,
) -> femtocwmp_result {
    str_out(ev, out, "address", |ev| match ev {
        Ev::Hems(h::HemsEvent::IpsecAddressChanged { new, .. }) => Some(new),
        _ => None,
    })
}

/// The CommandKey of `REBOOT_REQUESTED` (empty when the reboot has no Reboot RPC behind it),
/// `FIRMWARE_READY` and `DOWNLOAD_REQUESTED`, borrowed from the event.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_command_key(
    ev: *const femtocwmp_event,
    out: *mut femtocwmp_str,
) -> femtocwmp_result {
    str_out(ev, out, "command key", |ev| match ev {
        Ev::Agent(a::AgentEvent::RebootRequested { command_key }) => {
            Some(command_key.as_deref().unwrap_or(""))
        }
        Ev::Agent(a::AgentEvent::FirmwareReady { command_key, .. })
        | Ev::Agent(a::AgentEvent::DownloadRequested { command_key, .. }) => Some(command_key),
        _ => None,
    })
}

/// The user name and password a `CONNECTION_REQUEST` authenticates with, borrowed from the
/// event.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_credentials(
    ev: *const femtocwmp_event,
    username_out: *mut femtocwmp_str,
    password_out: *mut femtocwmp_str,
) -> femtocwmp_result {
    boundary(|| {
        let e = try_ffi!(event(ev));
        let Ev::ConnectionRequest {
            username, password, ..
        } = &e.ev
        else {
            return not_here(e, "credentials");
        };
        if username_out.is_null() || password_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out pointer is NULL");
        }
        out_ptr!(username_out, femtocwmp_str::of(username));
        out_ptr!(password_out, femtocwmp_str::of(password));
        femtocwmp_result::Ok
    })
}

/// The bytes of `FIRMWARE_READY` (the image), borrowed from the event.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_data(
    ev: *const femtocwmp_event,
    data_out: *mut *const u8,
    len_out: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let e = try_ffi!(event(ev));
        let Ev::Agent(a::AgentEvent::FirmwareReady { image, .. }) = &e.ev else {
            return not_here(e, "data");
        };
        if data_out.is_null() || len_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out pointer is NULL");
        }
        out_ptr!(data_out, image.as_ptr());
        out_ptr!(len_out, image.len());
        femtocwmp_result::Ok
    })
}

fn changed(ev: &femtocwmp_event) -> Option<(&[String], bool)> {
    match &ev.ev {
        Ev::Agent(a::AgentEvent::ParametersChanged {
            names,
            reboot_required,
        }) => Some((names, *reboot_required)),
        _ => None,
    }
}

/// `PARAMETERS_CHANGED`: how many parameters changed, and whether they take effect only after
/// a reboot.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_changed_count(
    ev: *const femtocwmp_event,
    count_out: *mut usize,
    reboot_required_out: *mut bool,
) -> femtocwmp_result {
    boundary(|| {
        let e = try_ffi!(event(ev));
        let Some((names, reboot)) = changed(e) else {
            return not_here(e, "changed parameters");
        };
        if count_out.is_null() || reboot_required_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out pointer is NULL");
        }
        out_ptr!(count_out, names.len());
        out_ptr!(reboot_required_out, reboot);
        femtocwmp_result::Ok
    })
}

/// `PARAMETERS_CHANGED`: the name of changed parameter `i` (0-based), borrowed from the event
/// (read its new value with `femtocwmp_agent_parameter_value`).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_changed_name(
    ev: *const femtocwmp_event,
    i: usize,
    out: *mut femtocwmp_str,
) -> femtocwmp_result {
    boundary(|| {
        let e = try_ffi!(event(ev));
        let Some((names, _)) = changed(e) else {
            return not_here(e, "changed parameters");
        };
        match names.get(i) {
            Some(n) => {
                out_ptr!(out, femtocwmp_str::of(n));
                femtocwmp_result::Ok
            }
            None => fail(
                femtocwmp_result::InvalidParameter,
                format!("index {i} is out of range (there are {})", names.len()),
            ),
        }
    })
}

/// `STORE_DEVICE`: the device's record as a blob to keep in your store (the format
/// `femtocwmp_hems_provide_device` and `femtocwmp_hems_import_device` read back);
/// `PERSIST_STATE`: the agent's snapshot blob (what `femtocwmp_agent_restore` reads); `PERSIST`:
/// `{"device", "change": {"record", "parameters"}, "events": [...]}` — the record (without
/// its parameters) to keep, the parameters with a new value to merge into what you keep,
/// and the events to publish once written. Into `buf` (size query as for
/// `femtocwmp_decode_json`).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_record(
    ev: *const femtocwmp_event,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let e = try_ffi!(event(ev));
        let bytes = match &e.ev {
            Ev::StoreDevice { record, .. } => {
                serde_json::to_vec(record).expect("records serialize")
            }
            Ev::Agent(a::AgentEvent::PersistState { snapshot }) => {
                serde_json::to_vec(snapshot).expect("snapshots serialize")
            }
            Ev::Persist {
                device,
                change,
                events,
            } => serde_json::to_vec(&serde_json::json!({
                "device": device,
                "change": change,
                "events": events,
            }))
            .expect("changes serialize"),
            _ => return not_here(e, "record"),
        };
        write_out(&bytes, buf, buf_len, out_len)
    })
}

/// `LOAD_DEVICE`: the connection whose Inform waits for the record
/// (`femtocwmp_hems_provide_device`).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_event_conn(
    ev: *const femtocwmp_event,
    conn_out: *mut u64,
) -> femtocwmp_result {
    boundary(|| {
        let e = try_ffi!(event(ev));
        let Ev::LoadDevice { conn, .. } = &e.ev else {
            return not_here(e, "connection");
        };
        out_ptr!(conn_out, *conn);
        femtocwmp_result::Ok
    })
}
