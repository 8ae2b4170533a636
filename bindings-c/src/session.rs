//! The session machines for C: opaque handles, `handle_*` inputs, `poll_output` into a
//! caller-provided `femtocwmp_output` whose pointers borrow from the handle.

use std::sync::Arc;

use femtocwmp::session as s;

use crate::codec::{input, write_out};
use crate::error::{boundary, fail, femtocwmp_result};
use crate::event::{femtocwmp_event, femtocwmp_event_kind, Ev};
use crate::message::{femtocwmp_message, take, text, view};

/// One HTTP header as pointer/length pairs (not NUL-terminated).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct femtocwmp_header {
    /// Header name.
    pub name: *const u8,
    /// Length of `name` in bytes.
    pub name_len: usize,
    /// Header value.
    pub value: *const u8,
    /// Length of `value` in bytes.
    pub value_len: usize,
}

/// What `poll_output` returned.
#[repr(u32)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum femtocwmp_output_kind {
    /// An HTTP message to send now (`url`/`http_status`, `headers`, `body`).
    Transmit = 1,
    /// An event: `event_kind` says which, `event` lends it (read it with the
    /// `femtocwmp_event_*` functions; `femtocwmp_event_json` gives its JSON form).
    Event = 2,
    /// Nothing more now; call `handle_timeout` at `timeout_ms`.
    Timeout = 3,
    /// Nothing more: the session has ended.
    Idle = 4,
}

/// One output. Every pointer borrows from the session handle and stays valid until the next
/// call on that handle (or its `_free`); copy what you keep. Unused fields are NULL/0.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct femtocwmp_output {
    /// Which kind of output this is.
    pub kind: femtocwmp_output_kind,
    /// ACS side, `TRANSMIT`: the HTTP status to send (200, 204, 401, 400).
    pub http_status: u16,
    /// CPE side, `TRANSMIT`: the URL to POST to (NUL-terminated as well).
    pub url: *const u8,
    /// Length of `url`.
    pub url_len: usize,
    /// `TRANSMIT`: the headers CWMP needs.
    pub headers: *const femtocwmp_header,
    /// Number of `headers`.
    pub header_count: usize,
    /// `TRANSMIT`: the body (may be empty: the empty POST, the 204).
    pub body: *const u8,
    /// Length of `body`.
    pub body_len: usize,
    /// `EVENT`: what the event is about.
    pub event_kind: femtocwmp_event_kind,
    /// `EVENT`: the event, borrowed like every pointer here.
    pub event: *const femtocwmp_event,
    /// `TIMEOUT`: the deadline, in the caller's milliseconds.
    pub timeout_ms: u64,
}

impl femtocwmp_output {
    fn empty(kind: femtocwmp_output_kind) -> Self {
        femtocwmp_output {
            kind,
            http_status: 0,
            url: std::ptr::null(),
            url_len: 0,
            headers: std::ptr::null(),
            header_count: 0,
            body: std::ptr::null(),
            body_len: 0,
            event_kind: femtocwmp_event_kind::None,
            event: std::ptr::null(),
            timeout_ms: 0,
        }
    }
}

/// The storage the borrowed pointers of the last output point into.
#[derive(Default)]
pub(crate) struct Held {
    url: Vec<u8>,
    names_values: Vec<(Vec<u8>, Vec<u8>)>,
    headers: Vec<femtocwmp_header>,
    body: Vec<u8>,
    event: Option<femtocwmp_event>,
}

impl Held {
    pub(crate) fn output<T: Transmit, E: Into<Ev>>(
        &mut self,
        out: s::Output<T, E>,
    ) -> femtocwmp_output {
        *self = Held::default();
        match out {
            s::Output::Transmit(t) => {
                let mut o = femtocwmp_output::empty(femtocwmp_output_kind::Transmit);
                let (status, url, headers, body) = t.parts();
                o.http_status = status;
                if let Some(url) = url {
                    self.url = url.into_bytes();
                    self.url.push(0);
                    o.url = self.url.as_ptr();
                    o.url_len = self.url.len() - 1;
                }
                self.names_values = headers
                    .into_iter()
                    .map(|(k, v)| (k.into_bytes(), v.into_bytes()))
                    .collect();
                self.headers = self
                    .names_values
                    .iter()
                    .map(|(k, v)| femtocwmp_header {
                        name: k.as_ptr(),
                        name_len: k.len(),
                        value: v.as_ptr(),
                        value_len: v.len(),
                    })
                    .collect();
                o.headers = self.headers.as_ptr();
                o.header_count = self.headers.len();
                self.body = body;
                o.body = self.body.as_ptr();
                o.body_len = self.body.len();
                o
            }
            s::Output::Event(e) => {
                let mut o = femtocwmp_output::empty(femtocwmp_output_kind::Event);
                let event = self.event.insert(femtocwmp_event::new(e.into()));
                o.event_kind = event.kind();
                o.event = event;
                o
            }
            s::Output::Timeout(t) => {
                let mut o = femtocwmp_output::empty(femtocwmp_output_kind::Timeout);
                o.timeout_ms = t.0;
                o
            }
            s::Output::Idle => femtocwmp_output::empty(femtocwmp_output_kind::Idle),
        }
    }
}

/// An HTTP message taken apart: status (0 for a request), URL (requests), headers, body.
type Parts = (u16, Option<String>, Vec<(String, String)>, Vec<u8>);

pub(crate) trait Transmit {
    fn parts(self) -> Parts;
}

impl Transmit for s::HttpRequest {
    fn parts(self) -> Parts {
        (0, Some(self.url), self.headers, self.body)
    }
}

impl Transmit for s::HttpResponse {
    fn parts(self) -> Parts {
        (self.status, None, self.headers, self.body)
    }
}

/// Reads a caller's header array into owned pairs.
pub(crate) fn read_headers(
    headers: *const femtocwmp_header,
    count: usize,
) -> Result<Vec<(String, String)>, femtocwmp_result> {
    if count == 0 {
        return Ok(Vec::new());
    }
    if headers.is_null() {
        return Err(fail(
            femtocwmp_result::NullParameter,
            "headers is NULL but header_count > 0",
        ));
    }
    // SAFETY: headers is non-NULL and the caller guarantees `count` readable elements.
    let hs = unsafe { std::slice::from_raw_parts(headers, count) };
    let text = |p: *const u8, n: usize, what: &str| -> Result<String, femtocwmp_result> {
        let b = input(p, n)?;
        String::from_utf8(b.to_vec()).map_err(|_| {
            fail(
                femtocwmp_result::InvalidUtf8,
                format!("header {what} is not UTF-8"),
            )
        })
    };
    hs.iter()
        .map(|h| {
            Ok((
                text(h.name, h.name_len, "name")?,
                text(h.value, h.value_len, "value")?,
            ))
        })
        .collect()
}

pub(crate) fn json<T: serde::de::DeserializeOwned>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<T, femtocwmp_result> {
    let bytes = input(ptr, len)?;
    let text = std::str::from_utf8(bytes)
        .map_err(|e| fail(femtocwmp_result::InvalidUtf8, e.to_string()))?;
    serde_json::from_str(text)
        .map_err(|e| fail(femtocwmp_result::InvalidJson, format!("{what}: {e}")))
}

fn session_fail(e: s::SessionError) -> femtocwmp_result {
    let code = match &e {
        s::SessionError::Local(_) => femtocwmp_result::LocalProtocolError,
        s::SessionError::Remote(_) => femtocwmp_result::RemoteProtocolError,
        s::SessionError::Decode(d) => femtocwmp_result::from(d),
        _ => femtocwmp_result::RemoteProtocolError,
    };
    fail(code, e.to_string())
}

fn reply(ptr: *const u8, len: usize) -> Result<s::Reply, femtocwmp_result> {
    let body: femtocwmp::Body = json(ptr, len, "reply")?;
    Ok(match body {
        femtocwmp::Body::Fault(f) => Err(f),
        b => Ok(b),
    })
}

#[macro_export]
#[doc(hidden)]
macro_rules! try_ffi {
    ($e:expr) => {
        match $e {
            Ok(v) => v,
            Err(code) => return code,
        }
    };
}

#[macro_export]
#[doc(hidden)]
macro_rules! handle {
    ($ptr:expr) => {{
        if $ptr.is_null() {
            return fail(femtocwmp_result::NullParameter, "session handle is NULL");
        }
        // SAFETY: non-NULL, and by the API contract a live handle from `_new` used by one
        // thread at a time, so no other reference to it exists during this call.
        unsafe { &mut *$ptr }
    }};
}

#[macro_export]
#[doc(hidden)]
macro_rules! out_ptr {
    ($ptr:expr, $value:expr) => {{
        if $ptr.is_null() {
            return fail(femtocwmp_result::NullParameter, "out pointer is NULL");
        }
        // SAFETY: non-NULL and, by the API contract, points to writable memory of its type.
        unsafe { *$ptr = $value };
    }};
}

/// The HeNB side of one session. Corresponds to a `Box<CpeSession>`: not safe for
/// concurrent use; one thread at a time (it may move between threads).
pub struct femtocwmp_cpe_session {
    inner: s::CpeSession,
    held: Held,
}

/// Starts a CPE session. `config_json` is a CpeConfig (`{"acs_url": ...}`), `inform_json`
/// the Inform to open with (`{"device_id": {...}, "events": [...], ...}`). On success `*out`
/// is a new handle to free with `femtocwmp_cpe_session_free`; the first output is the
/// Inform's POST.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_session_new(
    config_json: *const u8,
    config_len: usize,
    inform_json: *const u8,
    inform_len: usize,
    now_ms: u64,
    out: *mut *mut femtocwmp_cpe_session,
) -> femtocwmp_result {
    boundary(|| {
        let config: s::CpeConfig = try_ffi!(json(config_json, config_len, "CpeConfig"));
        let inform: s::InformParams = try_ffi!(json(inform_json, inform_len, "Inform"));
        let session = Box::new(femtocwmp_cpe_session {
            inner: s::CpeSession::new(config, inform, s::Timestamp(now_ms)),
            held: Held::default(),
        });
        out_ptr!(out, Box::into_raw(session));
        femtocwmp_result::Ok
    })
}

/// Frees a CPE session. NULL is a no-op; never free a handle twice.
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_session_free(session: *mut femtocwmp_cpe_session) {
    let _ = boundary(|| {
        if !session.is_null() {
            // SAFETY: a handle from femtocwmp_cpe_session_new, not yet freed (API contract).
            drop(unsafe { Box::from_raw(session) });
        }
        femtocwmp_result::Ok
    });
}

/// Feeds the ACS's HTTP response to the last POST.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_session_handle_http_response(
    session: *mut femtocwmp_cpe_session,
    status: u16,
    headers: *const femtocwmp_header,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        let hs = try_ffi!(read_headers(headers, header_count));
        let hs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body = try_ffi!(input(body, body_len));
        match s
            .inner
            .handle_http_response(status, &hs, body, s::Timestamp(now_ms))
        {
            Ok(()) => femtocwmp_result::Ok,
            Err(e) => session_fail(e),
        }
    })
}

/// Tells the session its POST could not be delivered or answered.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_session_handle_transport_failed(
    session: *mut femtocwmp_cpe_session,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        let input = s::CpeInput::TransportFailed {
            now: s::Timestamp(now_ms),
            reason: "transport failed",
        };
        s.inner
            .handle_input(input)
            .map_or_else(session_fail, |()| femtocwmp_result::Ok)
    })
}

/// Tells the session time has passed (call at or after `timeout_ms`).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_session_handle_timeout(
    session: *mut femtocwmp_cpe_session,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        s.inner
            .handle_input(s::CpeInput::Timeout(s::Timestamp(now_ms)))
            .map_or_else(session_fail, |()| femtocwmp_result::Ok)
    })
}

/// Queues a CPE request given in JSON form (e.g. a TransferComplete); `*id_out` receives its
/// request id.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_session_request_json(
    session: *mut femtocwmp_cpe_session,
    json_body: *const u8,
    json_len: usize,
    id_out: *mut u64,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        let body: femtocwmp::Body = try_ffi!(json(json_body, json_len, "message body"));
        if id_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "id_out is NULL");
        }
        match s.inner.request(body) {
            Ok(id) => {
                out_ptr!(id_out, id.0);
                femtocwmp_result::Ok
            }
            Err(e) => session_fail(e),
        }
    })
}

/// Answers ACS request `id` with a response body in JSON form, or a fault
/// (`{"method":"Fault","fault_code":9005,...}`).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_session_respond_json(
    session: *mut femtocwmp_cpe_session,
    id: u64,
    json_body: *const u8,
    json_len: usize,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        let r = try_ffi!(reply(json_body, json_len));
        s.inner
            .respond(s::RequestId(id), r, s::Timestamp(now_ms))
            .map_or_else(session_fail, |()| femtocwmp_result::Ok)
    })
}

/// The next output, into `*out`. Drain until `TIMEOUT` or `IDLE` after every input and
/// command. The pointers in `*out` borrow from the session until the next call on it.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_session_poll_output(
    session: *mut femtocwmp_cpe_session,
    out: *mut femtocwmp_output,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        if out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out is NULL");
        }
        let o = s.held.output(s.inner.poll_output());
        out_ptr!(out, o);
        femtocwmp_result::Ok
    })
}

/// An Inform read by `femtocwmp_acceptor_accept`. Corresponds to a `Box<Accepted>`.
pub struct femtocwmp_accepted {
    inner: s::Accepted,
}

/// Reads the first POST of a HeMS session, which must be an Inform. On success `*out` is a
/// handle: look at it (`femtocwmp_accepted_inform_json`), then turn it into a session with
/// `femtocwmp_accepted_into_session`, or free it. Anything but an Inform gives
/// `FEMTOCWMP_RESULT_REMOTE_PROTOCOL_ERROR` (answer HTTP 400).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acceptor_accept(
    headers: *const femtocwmp_header,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    now_ms: u64,
    out: *mut *mut femtocwmp_accepted,
) -> femtocwmp_result {
    boundary(|| {
        let hs = try_ffi!(read_headers(headers, header_count));
        let hs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body = try_ffi!(input(body, body_len));
        if out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out is NULL");
        }
        match s::Acceptor::accept(&hs, body, s::Timestamp(now_ms)) {
            Ok(a) => {
                out_ptr!(
                    out,
                    Box::into_raw(Box::new(femtocwmp_accepted { inner: a }))
                );
                femtocwmp_result::Ok
            }
            Err(e) => session_fail(e),
        }
    })
}

/// The accepted Inform in JSON form, NUL-terminated, into `buf` (size query as for
/// `femtocwmp_decode_json`).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_accepted_inform_json(
    accepted: *const femtocwmp_accepted,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        if accepted.is_null() {
            return fail(femtocwmp_result::NullParameter, "accepted is NULL");
        }
        // SAFETY: non-NULL live handle (API contract); only read here.
        let a = unsafe { &*accepted };
        let json = serde_json::to_vec(a.inner.inform()).expect("Informs serialize");
        write_out(&json, buf, buf_len, out_len)
    })
}

/// Frees an accepted Inform that was not turned into a session. NULL is a no-op.
#[no_mangle]
pub extern "C" fn femtocwmp_accepted_free(accepted: *mut femtocwmp_accepted) {
    let _ = boundary(|| {
        if !accepted.is_null() {
            // SAFETY: a handle from femtocwmp_acceptor_accept, not yet freed or consumed.
            drop(unsafe { Box::from_raw(accepted) });
        }
        femtocwmp_result::Ok
    });
}

/// The HeMS side of one session. Corresponds to a `Box<AcsSession>`: one thread at a time.
pub struct femtocwmp_acs_session {
    inner: s::AcsSession,
    held: Held,
}

/// Turns an accepted Inform into a session with `config_json` (an AcsConfig; `{}` for the
/// defaults). Consumes `accepted` whatever the result (do not free it afterwards).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_accepted_into_session(
    accepted: *mut femtocwmp_accepted,
    config_json: *const u8,
    config_len: usize,
    out: *mut *mut femtocwmp_acs_session,
) -> femtocwmp_result {
    boundary(|| {
        if accepted.is_null() {
            return fail(femtocwmp_result::NullParameter, "accepted is NULL");
        }
        // SAFETY: a live handle from femtocwmp_acceptor_accept; ownership passes to us here.
        let a = unsafe { Box::from_raw(accepted) };
        let config: Arc<s::AcsConfig> =
            Arc::new(try_ffi!(json(config_json, config_len, "AcsConfig")));
        if out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out is NULL");
        }
        let session = femtocwmp_acs_session {
            inner: a.inner.into_session(config),
            held: Held::default(),
        };
        out_ptr!(out, Box::into_raw(Box::new(session)));
        femtocwmp_result::Ok
    })
}

/// Frees an ACS session. NULL is a no-op.
#[no_mangle]
pub extern "C" fn femtocwmp_acs_session_free(session: *mut femtocwmp_acs_session) {
    let _ = boundary(|| {
        if !session.is_null() {
            // SAFETY: a handle from this library, not yet freed (API contract).
            drop(unsafe { Box::from_raw(session) });
        }
        femtocwmp_result::Ok
    });
}

/// Feeds the CPE's next HTTP POST.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_session_handle_http_request(
    session: *mut femtocwmp_acs_session,
    headers: *const femtocwmp_header,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        let hs = try_ffi!(read_headers(headers, header_count));
        let hs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body = try_ffi!(input(body, body_len));
        s.inner
            .handle_http_request(&hs, body, s::Timestamp(now_ms))
            .map_or_else(session_fail, |()| femtocwmp_result::Ok)
    })
}

/// Tells the session the CPE closed the connection (the normal end after the HeMS's 204).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_session_handle_connection_closed(
    session: *mut femtocwmp_acs_session,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        s.inner
            .handle_input(s::AcsInput::ConnectionClosed(s::Timestamp(now_ms)))
            .map_or_else(session_fail, |()| femtocwmp_result::Ok)
    })
}

/// Tells the session time has passed.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_session_handle_timeout(
    session: *mut femtocwmp_acs_session,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        s.inner
            .handle_input(s::AcsInput::Timeout(s::Timestamp(now_ms)))
            .map_or_else(session_fail, |()| femtocwmp_result::Ok)
    })
}

/// Queues an ACS request given in JSON form; `*id_out` receives its id.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_session_queue_json(
    session: *mut femtocwmp_acs_session,
    json_body: *const u8,
    json_len: usize,
    now_ms: u64,
    id_out: *mut u64,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        let body: femtocwmp::Body = try_ffi!(json(json_body, json_len, "message body"));
        if id_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "id_out is NULL");
        }
        match s.inner.queue(body, s::Timestamp(now_ms)) {
            Ok(id) => {
                out_ptr!(id_out, id.0);
                femtocwmp_result::Ok
            }
            Err(e) => session_fail(e),
        }
    })
}

/// Answers CPE request `id` (when auto-answer is off) with a JSON body or fault.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_session_respond_json(
    session: *mut femtocwmp_acs_session,
    id: u64,
    json_body: *const u8,
    json_len: usize,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        let r = try_ffi!(reply(json_body, json_len));
        s.inner
            .respond(s::RequestId(id), r, s::Timestamp(now_ms))
            .map_or_else(session_fail, |()| femtocwmp_result::Ok)
    })
}

/// Ends the session once everything queued is answered.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_session_finish(
    session: *mut femtocwmp_acs_session,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        s.inner.finish(s::Timestamp(now_ms));
        femtocwmp_result::Ok
    })
}

/// The next output, into `*out` (pointers borrow from the session until the next call).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_session_poll_output(
    session: *mut femtocwmp_acs_session,
    out: *mut femtocwmp_output,
) -> femtocwmp_result {
    boundary(|| {
        let s = handle!(session);
        if out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out is NULL");
        }
        let o = s.held.output(s.inner.poll_output());
        out_ptr!(out, o);
        femtocwmp_result::Ok
    })
}

/// The session as a JSON blob, to park it between two HTTP requests (size query as for
/// `femtocwmp_decode_json`).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_session_park(
    session: *const femtocwmp_acs_session,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        if session.is_null() {
            return fail(femtocwmp_result::NullParameter, "session is NULL");
        }
        // SAFETY: non-NULL live handle (API contract); only read here.
        let s = unsafe { &*session };
        let json = serde_json::to_vec(&s.inner).expect("sessions serialize");
        write_out(&json, buf, buf_len, out_len)
    })
}

/// Resumes a parked session with its configuration. On success `*out` is a new handle.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_session_resume(
    parked: *const u8,
    parked_len: usize,
    config_json: *const u8,
    config_len: usize,
    out: *mut *mut femtocwmp_acs_session,
) -> femtocwmp_result {
    boundary(|| {
        let inner: s::AcsSession = try_ffi!(json(parked, parked_len, "parked session"));
        let config: Arc<s::AcsConfig> =
            Arc::new(try_ffi!(json(config_json, config_len, "AcsConfig")));
        let session = femtocwmp_acs_session {
            inner: inner.with_config(config),
            held: Held::default(),
        };
        out_ptr!(out, Box::into_raw(Box::new(session)));
        femtocwmp_result::Ok
    })
}

// ------------------------------------------------------------------ typed verbs (no JSON)

/// The message a consuming function was given, or its error; the handle is freed either way.
fn consume(msg: *mut femtocwmp_message) -> Result<femtocwmp::Body, femtocwmp_result> {
    take(msg).ok_or_else(|| fail(femtocwmp_result::NullParameter, "message is NULL"))
}

fn reply_of(body: femtocwmp::Body) -> s::Reply {
    match body {
        femtocwmp::Body::Fault(f) => Err(f),
        b => Ok(b),
    }
}

/// A CPE session configuration, built once and shared by many sessions. Read-only after it
/// is built: any number of threads may use it at once.
pub struct femtocwmp_cpe_config {
    inner: s::CpeConfig,
}

/// A CPE session configuration with `acs_url` and every other setting at its default
/// (CWMP 1.0–1.4, no credentials, the standard timeouts).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_config_new(
    acs_url: *const u8,
    acs_url_len: usize,
    out: *mut *mut femtocwmp_cpe_config,
) -> femtocwmp_result {
    boundary(|| {
        let url = try_ffi!(text(acs_url, acs_url_len, "acs_url"));
        let inner = s::CpeConfig {
            acs_url: url.to_owned(),
            ..s::CpeConfig::default()
        };
        out_ptr!(out, Box::into_raw(Box::new(femtocwmp_cpe_config { inner })));
        femtocwmp_result::Ok
    })
}

/// A CPE session configuration from its JSON form (a CpeConfig, `{"acs_url": ...}`).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_config_from_json(
    config_json: *const u8,
    config_len: usize,
    out: *mut *mut femtocwmp_cpe_config,
) -> femtocwmp_result {
    boundary(|| {
        let inner: s::CpeConfig = try_ffi!(json(config_json, config_len, "CpeConfig"));
        out_ptr!(out, Box::into_raw(Box::new(femtocwmp_cpe_config { inner })));
        femtocwmp_result::Ok
    })
}

/// Frees a CPE configuration (sessions made with it keep their own copy). NULL is a no-op.
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_config_free(config: *mut femtocwmp_cpe_config) {
    let _ = boundary(|| {
        if !config.is_null() {
            // SAFETY: a live handle from femtocwmp_cpe_config_new*, freed once, here.
            drop(unsafe { Box::from_raw(config) });
        }
        femtocwmp_result::Ok
    });
}

/// Starts a CPE session with `config` and `inform`, an Inform message built with
/// `femtocwmp_message_new("Inform")` (DeviceId, events, parameters; MaxEnvelopes is the
/// session's). Consumes `inform` whatever the result. On success `*out` is a new handle; the
/// first output is the Inform's POST.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_session_start(
    config: *const femtocwmp_cpe_config,
    inform: *mut femtocwmp_message,
    now_ms: u64,
    out: *mut *mut femtocwmp_cpe_session,
) -> femtocwmp_result {
    boundary(|| {
        let body = try_ffi!(consume(inform));
        let config = try_ffi!(view(config, "config"));
        let femtocwmp::Body::Inform(i) = body else {
            return fail(
                femtocwmp_result::InvalidParameter,
                format!(
                    "a session opens with an Inform, not a {}",
                    body.method_name()
                ),
            );
        };
        if i.device_id.oui.is_empty() || i.device_id.serial_number.is_empty() {
            return fail(
                femtocwmp_result::InvalidParameter,
                "the Inform has no DeviceId (femtocwmp_message_set_device_id)",
            );
        }
        let params = s::InformParams {
            device_id: i.device_id,
            events: i.event,
            parameter_list: i.parameter_list,
            current_time: i.current_time,
            retry_count: i.retry_count,
        };
        let session = Box::new(femtocwmp_cpe_session {
            inner: s::CpeSession::new(config.inner.clone(), params, s::Timestamp(now_ms)),
            held: Held::default(),
        });
        out_ptr!(out, Box::into_raw(session));
        femtocwmp_result::Ok
    })
}

/// Queues a CPE request (e.g. a TransferComplete, a GetRPCMethods); `*id_out` receives its
/// request id. Consumes `msg` whatever the result.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_session_request(
    session: *mut femtocwmp_cpe_session,
    msg: *mut femtocwmp_message,
    id_out: *mut u64,
) -> femtocwmp_result {
    boundary(|| {
        let body = try_ffi!(consume(msg));
        let s = handle!(session);
        if id_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "id_out is NULL");
        }
        match s.inner.request(body) {
            Ok(id) => {
                out_ptr!(id_out, id.0);
                femtocwmp_result::Ok
            }
            Err(e) => session_fail(e),
        }
    })
}

/// Answers ACS request `id` with a response message, or a Fault
/// (`femtocwmp_message_new_fault`). Consumes `msg` whatever the result.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_cpe_session_respond(
    session: *mut femtocwmp_cpe_session,
    id: u64,
    msg: *mut femtocwmp_message,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let body = try_ffi!(consume(msg));
        let s = handle!(session);
        s.inner
            .respond(s::RequestId(id), reply_of(body), s::Timestamp(now_ms))
            .map_or_else(session_fail, |()| femtocwmp_result::Ok)
    })
}

/// An ACS session configuration, built once and shared by many sessions (reference
/// counted). Read-only after it is built: any number of threads may use it at once.
pub struct femtocwmp_acs_config {
    inner: Arc<s::AcsConfig>,
}

/// An ACS session configuration with every setting at its default (no authentication,
/// session cookies on, MaxEnvelopes 1, the standard timeouts).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_config_new(
    out: *mut *mut femtocwmp_acs_config,
) -> femtocwmp_result {
    boundary(|| {
        let inner = Arc::new(s::AcsConfig::default());
        out_ptr!(out, Box::into_raw(Box::new(femtocwmp_acs_config { inner })));
        femtocwmp_result::Ok
    })
}

/// An ACS session configuration from its JSON form (an AcsConfig; `{}` for the defaults).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_config_from_json(
    config_json: *const u8,
    config_len: usize,
    out: *mut *mut femtocwmp_acs_config,
) -> femtocwmp_result {
    boundary(|| {
        let inner: s::AcsConfig = try_ffi!(json(config_json, config_len, "AcsConfig"));
        let inner = Arc::new(inner);
        out_ptr!(out, Box::into_raw(Box::new(femtocwmp_acs_config { inner })));
        femtocwmp_result::Ok
    })
}

/// Frees an ACS configuration (sessions made with it keep a reference). NULL is a no-op.
#[no_mangle]
pub extern "C" fn femtocwmp_acs_config_free(config: *mut femtocwmp_acs_config) {
    let _ = boundary(|| {
        if !config.is_null() {
            // SAFETY: a live handle from femtocwmp_acs_config_new*, freed once, here.
            drop(unsafe { Box::from_raw(config) });
        }
        femtocwmp_result::Ok
    });
}

/// Turns an accepted Inform into a session with `config`. Consumes `accepted` whatever the
/// result (do not free it afterwards).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_accepted_start(
    accepted: *mut femtocwmp_accepted,
    config: *const femtocwmp_acs_config,
    out: *mut *mut femtocwmp_acs_session,
) -> femtocwmp_result {
    boundary(|| {
        if accepted.is_null() {
            return fail(femtocwmp_result::NullParameter, "accepted is NULL");
        }
        // SAFETY: a live handle from femtocwmp_acceptor_accept; ownership passes to us here.
        let a = unsafe { Box::from_raw(accepted) };
        let config = try_ffi!(view(config, "config"));
        if out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out is NULL");
        }
        let session = femtocwmp_acs_session {
            inner: a.inner.into_session(Arc::clone(&config.inner)),
            held: Held::default(),
        };
        out_ptr!(out, Box::into_raw(Box::new(session)));
        femtocwmp_result::Ok
    })
}

/// Queues an ACS request (a SetParameterValues, a Download...); `*id_out` receives its id.
/// Consumes `msg` whatever the result.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_session_queue(
    session: *mut femtocwmp_acs_session,
    msg: *mut femtocwmp_message,
    now_ms: u64,
    id_out: *mut u64,
) -> femtocwmp_result {
    boundary(|| {
        let body = try_ffi!(consume(msg));
        let s = handle!(session);
        if id_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "id_out is NULL");
        }
        match s.inner.queue(body, s::Timestamp(now_ms)) {
            Ok(id) => {
                out_ptr!(id_out, id.0);
                femtocwmp_result::Ok
            }
            Err(e) => session_fail(e),
        }
    })
}

/// Answers CPE request `id` (when auto-answer is off) with a response or a Fault. Consumes
/// `msg` whatever the result.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_acs_session_respond(
    session: *mut femtocwmp_acs_session,
    id: u64,
    msg: *mut femtocwmp_message,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let body = try_ffi!(consume(msg));
        let s = handle!(session);
        s.inner
            .respond(s::RequestId(id), reply_of(body), s::Timestamp(now_ms))
            .map_or_else(session_fail, |()| femtocwmp_result::Ok)
    })
}

/// The `Authorization` value answering an HTTP 401's `WWW-Authenticate` challenges (Digest,
/// the strongest algorithm offered; Basic when that is all that is offered) for a request
/// `method uri`, written NUL-terminated to `buf` (size query as for `femtocwmp_decode_json`):
/// what a HeMS sends with a Connection Request (TR-069 3.2.2) after the HeNB's challenge.
/// `cnonce` should be fresh and random. No usable challenge: `INVALID_PARAMETER`.
#[must_use]
#[no_mangle]
#[allow(clippy::too_many_arguments)] // each argument is one field of the request
pub extern "C" fn femtocwmp_authorization_for(
    challenges: *const crate::message::femtocwmp_str,
    challenge_count: usize,
    username: crate::message::femtocwmp_str,
    password: crate::message::femtocwmp_str,
    method: crate::message::femtocwmp_str,
    uri: crate::message::femtocwmp_str,
    cnonce: crate::message::femtocwmp_str,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let list = if challenge_count == 0 {
            &[][..]
        } else if challenges.is_null() {
            return fail(
                femtocwmp_result::NullParameter,
                "challenges is NULL but challenge_count > 0",
            );
        } else {
            // SAFETY: non-NULL, and the caller guarantees `challenge_count` elements.
            unsafe { std::slice::from_raw_parts(challenges, challenge_count) }
        };
        let values = try_ffi!(list
            .iter()
            .map(|c| c.read("challenge"))
            .collect::<Result<Vec<_>, _>>());
        let value = s::authorization_for(
            &values,
            try_ffi!(username.read("username")),
            try_ffi!(password.read("password")),
            try_ffi!(method.read("method")),
            try_ffi!(uri.read("uri")),
            try_ffi!(cnonce.read("cnonce")),
        );
        match value {
            Some(v) => write_out(v.as_bytes(), buf, buf_len, out_len),
            None => fail(
                femtocwmp_result::InvalidParameter,
                "no Digest or Basic challenge among the WWW-Authenticate values",
            ),
        }
    })
}
