//! The TS 32.593 procedure layer for C: the HeNB agent (what a C femtocell daemon embeds) and
//! the HeMS, as opaque handles driven like the sessions.

use femtocwmp::hems as h;
use femtocwmp::henb as a;
use femtocwmp::session::{
    CertificateIdentity, ConnectionInfo, CredentialSource, DeviceCredentials, DeviceTable,
    HttpResponse, Output, Timestamp,
};

use crate::codec::{input, write_out};
use crate::error::{boundary, fail, femtocwmp_result};
use crate::event::Ev;
use crate::message::{femtocwmp_device_id, femtocwmp_str, text, view};
use crate::session::{
    femtocwmp_header, femtocwmp_output, femtocwmp_output_kind, json, read_headers, Held,
};
use crate::{handle, out_ptr, try_ffi};

/// The HeNB agent. Corresponds to a `Box<Agent>`: one thread at a time.
pub struct femtocwmp_agent {
    inner: a::Agent,
    held: Held,
}

/// Starts a HeNB agent on its first boot ("0 BOOTSTRAP", "1 BOOT"). `config_json` is an
/// AgentConfig (`{"device_id": {...}}`); `femtocell_json` describes the device for the
/// default femtocell data model (`{"device_id": ..., "acs_url": ..., "connection_request_url":
/// ..., "software_version": ..., "ipsec_address": ...}`). On success `*out` is a new handle.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_agent_new(
    config_json: *const u8,
    config_len: usize,
    femtocell_json: *const u8,
    femtocell_len: usize,
    now_ms: u64,
    out: *mut *mut femtocwmp_agent,
) -> femtocwmp_result {
    boundary(|| {
        let config: a::AgentConfig = try_ffi!(json(config_json, config_len, "AgentConfig"));
        let info: a::FemtocellInfo =
            try_ffi!(json(femtocell_json, femtocell_len, "femtocell description"));
        let model = a::femtocell_model(&info);
        let agent = a::Agent::new(config, model, Timestamp(now_ms));
        out_ptr!(
            out,
            Box::into_raw(Box::new(femtocwmp_agent {
                inner: agent,
                held: Held::default()
            }))
        );
        femtocwmp_result::Ok
    })
}

/// What a femtocell is, for the default femtocell data model (TS 32.592 / TR-196 objects
/// the agent serves): identity, first HeMS, Connection Request URL, software version and the
/// inner IPsec address the SeGW gave it.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct femtocwmp_femtocell {
    /// Manufacturer, OUI, product class, serial number.
    pub device_id: femtocwmp_device_id,
    /// The initial HeMS (ManagementServer.URL).
    pub acs_url: femtocwmp_str,
    /// Where this HeNB listens for Connection Requests (ManagementServer.ConnectionRequestURL).
    pub connection_request_url: femtocwmp_str,
    /// DeviceInfo.SoftwareVersion.
    pub software_version: femtocwmp_str,
    /// The inner IPsec tunnel address (e.g. "172.16.0.10").
    pub ipsec_address: femtocwmp_str,
    /// ManagementServer.Username, for the HeMS's HTTP authentication; `{NULL, 0}`: the
    /// serial number.
    pub username: femtocwmp_str,
    /// ManagementServer.Password; `{NULL, 0}`: empty.
    pub password: femtocwmp_str,
    /// ManagementServer.ConnectionRequestUsername; `{NULL, 0}`: the serial number.
    pub connection_request_username: femtocwmp_str,
    /// ManagementServer.ConnectionRequestPassword; `{NULL, 0}`: derived from the rest of this
    /// description (it keeps the HeNB from answering anonymous Connection Requests, but is no
    /// secret: give a random one in production).
    pub connection_request_password: femtocwmp_str,
}

/// An optional string: `{NULL, 0}` is "not given".
fn optional(s: &femtocwmp_str, what: &str) -> Result<Option<String>, femtocwmp_result> {
    if s.data.is_null() {
        return Ok(None);
    }
    s.read(what).map(|t| Some(t.to_owned()))
}

/// Starts a HeNB agent on its first boot ("0 BOOTSTRAP", "1 BOOT") with the default
/// femtocell data model filled from `femtocell` and every agent setting at its default: the
/// typed twin of `femtocwmp_agent_new`. On success `*out` is a new handle.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_agent_new_femtocell(
    femtocell: *const femtocwmp_femtocell,
    now_ms: u64,
    out: *mut *mut femtocwmp_agent,
) -> femtocwmp_result {
    boundary(|| {
        let f = try_ffi!(view(femtocell, "femtocell"));
        let info = a::FemtocellInfo {
            device_id: try_ffi!(f.device_id.read()),
            acs_url: try_ffi!(f.acs_url.read("acs_url")).to_owned(),
            connection_request_url: try_ffi!(f
                .connection_request_url
                .read("connection_request_url"))
            .to_owned(),
            software_version: try_ffi!(f.software_version.read("software_version")).to_owned(),
            ipsec_address: try_ffi!(f.ipsec_address.read("ipsec_address")).to_owned(),
            username: try_ffi!(optional(&f.username, "username")),
            password: try_ffi!(optional(&f.password, "password")),
            connection_request_username: try_ffi!(optional(
                &f.connection_request_username,
                "connection_request_username"
            )),
            connection_request_password: try_ffi!(optional(
                &f.connection_request_password,
                "connection_request_password"
            )),
        };
        if info.acs_url.is_empty() {
            return fail(
                femtocwmp_result::InvalidParameter,
                "the femtocell has no acs_url",
            );
        }
        let config = a::AgentConfig {
            device_id: info.device_id.clone(),
            ..a::AgentConfig::default()
        };
        let agent = a::Agent::new(config, a::femtocell_model(&info), Timestamp(now_ms));
        out_ptr!(
            out,
            Box::into_raw(Box::new(femtocwmp_agent {
                inner: agent,
                held: Held::default()
            }))
        );
        femtocwmp_result::Ok
    })
}

/// Resumes an agent from a `femtocwmp_agent_snapshot` blob (read back from flash).
/// `rebooted` (0/1): the device has just booted ("1 BOOT" is announced).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_agent_restore(
    snapshot: *const u8,
    snapshot_len: usize,
    rebooted: bool,
    now_ms: u64,
    out: *mut *mut femtocwmp_agent,
) -> femtocwmp_result {
    boundary(|| {
        let state: a::AgentSnapshot = try_ffi!(json(snapshot, snapshot_len, "agent snapshot"));
        let agent = a::Agent::restore(state, rebooted, Timestamp(now_ms));
        out_ptr!(
            out,
            Box::into_raw(Box::new(femtocwmp_agent {
                inner: agent,
                held: Held::default()
            }))
        );
        femtocwmp_result::Ok
    })
}

/// Frees an agent. NULL is a no-op.
#[no_mangle]
pub extern "C" fn femtocwmp_agent_free(agent: *mut femtocwmp_agent) {
    let _ = boundary(|| {
        if !agent.is_null() {
            // SAFETY: a handle from femtocwmp_agent_new/_restore, not yet freed (API contract).
            drop(unsafe { Box::from_raw(agent) });
        }
        femtocwmp_result::Ok
    });
}

/// Everything to store so that nothing is lost across a restart (an opaque blob, JSON
/// today), into `buf` (size query as for `femtocwmp_decode_json`).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_agent_snapshot(
    agent: *const femtocwmp_agent,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        if agent.is_null() {
            return fail(femtocwmp_result::NullParameter, "agent is NULL");
        }
        // SAFETY: non-NULL live handle (API contract); only read.
        let a = unsafe { &*agent };
        let blob = serde_json::to_vec(&a.inner.snapshot()).expect("snapshots serialize");
        write_out(&blob, buf, buf_len, out_len)
    })
}

/// The value text of a parameter of the data model, NUL-terminated, into `buf`;
/// `FEMTOCWMP_RESULT_INVALID_PARAMETER` for an unknown name.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_agent_parameter_value(
    agent: *const femtocwmp_agent,
    name: *const u8,
    name_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        if agent.is_null() {
            return fail(femtocwmp_result::NullParameter, "agent is NULL");
        }
        // SAFETY: non-NULL live handle (API contract); only read.
        let a = unsafe { &*agent };
        let n = try_ffi!(text(name, name_len, "name"));
        match a.inner.model().value(n) {
            Some(v) => write_out(v.as_bytes(), buf, buf_len, out_len),
            None => fail(
                femtocwmp_result::InvalidParameter,
                format!("no parameter {n}"),
            ),
        }
    })
}

/// Feeds the HeMS's HTTP response to the agent's last POST.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_agent_handle_http_response(
    agent: *mut femtocwmp_agent,
    status: u16,
    headers: *const femtocwmp_header,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let a = handle!(agent);
        let hs = try_ffi!(read_headers(headers, header_count));
        let hs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body = try_ffi!(input(body, body_len));
        a.inner
            .handle_http_response(status, &hs, body, Timestamp(now_ms));
        femtocwmp_result::Ok
    })
}

/// The last POST could not be delivered or answered.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_agent_handle_transport_failed(
    agent: *mut femtocwmp_agent,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        handle!(agent)
            .inner
            .handle_transport_failed("transport failed", Timestamp(now_ms));
        femtocwmp_result::Ok
    })
}

/// Time has passed (call at or after `timeout_ms`).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_agent_handle_timeout(
    agent: *mut femtocwmp_agent,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        handle!(agent).inner.handle_timeout(Timestamp(now_ms));
        femtocwmp_result::Ok
    })
}

/// The file of a Download (the `DownloadRequested` event's `command_key`) was fetched:
/// `fault_code` 0 and the bytes, or a transfer fault code (e.g. 9015) with `data` NULL.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_agent_download_finished(
    agent: *mut femtocwmp_agent,
    command_key: *const u8,
    command_key_len: usize,
    data: *const u8,
    data_len: usize,
    fault_code: u32,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let a = handle!(agent);
        let key = try_ffi!(text(command_key, command_key_len, "command_key"));
        let result = if fault_code == 0 {
            Ok(try_ffi!(input(data, data_len)).to_vec())
        } else {
            let code = femtocwmp::FaultCode::from_code(fault_code);
            Err((code, code.description().to_owned()))
        };
        a.inner.download_finished(key, result, Timestamp(now_ms));
        femtocwmp_result::Ok
    })
}

/// TS 32.593 5.1.4: the inner IPsec tunnel address changed (text form, e.g. "172.16.0.11").
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_agent_set_ipsec_address(
    agent: *mut femtocwmp_agent,
    address: *const u8,
    address_len: usize,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let a = handle!(agent);
        let addr = try_ffi!(text(address, address_len, "address"));
        a.inner.set_ipsec_address(addr, Timestamp(now_ms));
        femtocwmp_result::Ok
    })
}

/// A Connection Request arrived as an HTTP request with these method and headers: the agent
/// checks it (Digest) and `*status_out` is the status to answer (200, 401, 405). For a 401,
/// the `WWW-Authenticate` value is written NUL-terminated to `challenge` (size query as for
/// `femtocwmp_decode_json`; pass NULL/0 to skip it).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_agent_handle_connection_request(
    agent: *mut femtocwmp_agent,
    method: *const u8,
    method_len: usize,
    headers: *const femtocwmp_header,
    header_count: usize,
    now_ms: u64,
    status_out: *mut u16,
    challenge: *mut u8,
    challenge_len: usize,
    challenge_out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let a = handle!(agent);
        let m = try_ffi!(text(method, method_len, "method"));
        let hs = try_ffi!(read_headers(headers, header_count));
        let hs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        if status_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "status_out is NULL");
        }
        let r: HttpResponse = a.inner.handle_connection_request(m, &hs, Timestamp(now_ms));
        out_ptr!(status_out, r.status);
        match r
            .headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
        {
            Some((_, v)) if !challenge_out_len.is_null() => {
                write_out(v.as_bytes(), challenge, challenge_len, challenge_out_len)
            }
            _ => femtocwmp_result::Ok,
        }
    })
}

/// The next output (drain until `TIMEOUT`/`IDLE`); events are agent events (kinds 10–19,
/// e.g. `DOWNLOAD_REQUESTED`: its message is the Download to fetch), JSON form
/// `{"DownloadRequested":{"command_key":...,"url":...,...}}`. Pointers borrow from the agent
/// until the next call on it.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_agent_poll_output(
    agent: *mut femtocwmp_agent,
    out: *mut femtocwmp_output,
) -> femtocwmp_result {
    boundary(|| {
        let a = handle!(agent);
        if out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out is NULL");
        }
        let o = a.held.output(a.inner.poll_output());
        out_ptr!(out, o);
        femtocwmp_result::Ok
    })
}

/// The HeMS procedure layer. Corresponds to a `Box<Hems>`: one thread at a time.
pub struct femtocwmp_hems {
    inner: h::Hems,
    held: Held,
    /// The connection of the last `TRANSMIT` output (a response to send).
    conn: u64,
}

/// A HeMS with `config_json` (a HemsConfig; `{}` for the defaults).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_new(
    config_json: *const u8,
    config_len: usize,
    out: *mut *mut femtocwmp_hems,
) -> femtocwmp_result {
    boundary(|| {
        let config: h::HemsConfig = try_ffi!(json(config_json, config_len, "HemsConfig"));
        out_ptr!(
            out,
            Box::into_raw(Box::new(femtocwmp_hems {
                inner: h::Hems::new(config),
                held: Held::default(),
                conn: 0
            }))
        );
        femtocwmp_result::Ok
    })
}

/// Frees a HeMS. NULL is a no-op.
#[no_mangle]
pub extern "C" fn femtocwmp_hems_free(hems: *mut femtocwmp_hems) {
    let _ = boundary(|| {
        if !hems.is_null() {
            // SAFETY: a handle from femtocwmp_hems_new, not yet freed (API contract).
            drop(unsafe { Box::from_raw(hems) });
        }
        femtocwmp_result::Ok
    });
}

/// A device record blob, which must at least say whose record it is.
fn read_record(ptr: *const u8, len: usize) -> Result<h::DeviceRecord, femtocwmp_result> {
    let r: h::DeviceRecord = json(ptr, len, "device record")?;
    check_record(&r)?;
    Ok(r)
}

fn check_record(r: &h::DeviceRecord) -> Result<(), femtocwmp_result> {
    if r.device_id.oui.is_empty() || r.device_id.serial_number.is_empty() {
        return Err(fail(
            femtocwmp_result::InvalidJson,
            "a device record needs its device_id (OUI and serial number)",
        ));
    }
    Ok(())
}

/// Everything the HeMS must not lose across a restart — every device record: identity,
/// Connection Request details, queued procedures, downloads awaiting their TransferComplete —
/// as an opaque blob (JSON today) into `buf` (size query as for `femtocwmp_decode_json`).
/// Sessions in progress are not in it: their connections do not survive a restart either.
/// Its deadlines are instants of your `now_ms` clock: restore it with a clock that goes on
/// across the restart (CLOCK_MONOTONIC does, until a reboot), or they move.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_snapshot(
    hems: *const femtocwmp_hems,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let hm = try_ffi!(view(hems, "hems"));
        let mut keys: Vec<&str> = hm.inner.device_keys().collect();
        keys.sort_unstable();
        let records: Vec<h::DeviceRecord> = keys
            .into_iter()
            .filter_map(|k| hm.inner.export_device(k))
            .collect();
        let bytes = serde_json::to_vec(&records).expect("records serialize");
        write_out(&bytes, buf, buf_len, out_len)
    })
}

/// A HeMS with `config_json` (as for `femtocwmp_hems_new`) that takes over the records of a
/// `femtocwmp_hems_snapshot` blob: a download whose TransferComplete arrives after the
/// restart still completes its procedure.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_restore(
    snapshot: *const u8,
    snapshot_len: usize,
    config_json: *const u8,
    config_len: usize,
    out: *mut *mut femtocwmp_hems,
) -> femtocwmp_result {
    boundary(|| {
        let records: Vec<h::DeviceRecord> = try_ffi!(json(snapshot, snapshot_len, "HeMS snapshot"));
        let config: h::HemsConfig = try_ffi!(json(config_json, config_len, "HemsConfig"));
        for r in &records {
            try_ffi!(check_record(r));
        }
        let mut inner = h::Hems::new(config);
        for r in records {
            inner.import_device(r);
        }
        out_ptr!(
            out,
            Box::into_raw(Box::new(femtocwmp_hems {
                inner,
                held: Held::default(),
                conn: 0
            }))
        );
        femtocwmp_result::Ok
    })
}

/// One device's record as a blob (the format of `femtocwmp_hems_import_device` and of the
/// `STORE_DEVICE` event's `femtocwmp_event_record`), into `buf`;
/// `FEMTOCWMP_RESULT_INVALID_PARAMETER` for a device the HeMS has no record of.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_export_device(
    hems: *const femtocwmp_hems,
    device: *const u8,
    device_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let hm = try_ffi!(view(hems, "hems"));
        let d = try_ffi!(text(device, device_len, "device"));
        match hm.inner.export_device(d) {
            Some(r) => {
                let bytes = serde_json::to_vec(&r).expect("records serialize");
                write_out(&bytes, buf, buf_len, out_len)
            }
            None => fail(
                femtocwmp_result::InvalidParameter,
                format!("no record of device {d:?}"),
            ),
        }
    })
}

/// What changed in one device's record since its change was last taken, as a blob
/// `{"record": {...}, "parameters": [[name, value], ...]}`: the record whole but for its
/// parameters, and only the parameters that got a new value. For a store that writes
/// changes, not whole records. The change is taken (its parameters are no longer "changed")
/// only when it fits in `buf`: a size query (NULL/0, `FEMTOCWMP_RESULT_INSUFFICIENT_SIZE`)
/// loses nothing. `FEMTOCWMP_RESULT_INVALID_PARAMETER` for a device the HeMS has no record of.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_take_device_change(
    hems: *mut femtocwmp_hems,
    device: *const u8,
    device_len: usize,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        let d = try_ffi!(text(device, device_len, "device"));
        let Some(change) = hm.inner.device_change(d) else {
            return fail(
                femtocwmp_result::InvalidParameter,
                format!("no record of device {d:?}"),
            );
        };
        let bytes = serde_json::to_vec(&change).expect("changes serialize");
        let written = write_out(&bytes, buf, buf_len, out_len);
        if written == femtocwmp_result::Ok {
            let _ = hm.inner.take_device_change(d);
        }
        written
    })
}

/// Loads a record blob your store keeps under `key` (the record of a device not seen yet —
/// procedures submitted before its first Inform — has no DeviceId yet).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_import_device_as(
    hems: *mut femtocwmp_hems,
    key: *const u8,
    key_len: usize,
    record: *const u8,
    record_len: usize,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        let k = try_ffi!(text(key, key_len, "key"));
        if k.is_empty() {
            return fail(femtocwmp_result::InvalidParameter, "the key is empty");
        }
        let r: h::DeviceRecord = try_ffi!(json(record, record_len, "device record"));
        hm.inner.import_device_as(k, r);
        femtocwmp_result::Ok
    })
}

/// Loads one device's record blob (from your store) into the HeMS.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_import_device(
    hems: *mut femtocwmp_hems,
    record: *const u8,
    record_len: usize,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        let r = try_ffi!(read_record(record, record_len));
        hm.inner.import_device(r);
        femtocwmp_result::Ok
    })
}

/// With `"external_store": true`: the answer to a `LOAD_DEVICE` event for connection `conn` —
/// the record blob from your store, or NULL/0 for a device the store does not know yet. The
/// parked Inform is answered and the session goes on.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_provide_device(
    hems: *mut femtocwmp_hems,
    conn: u64,
    record: *const u8,
    record_len: usize,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        let r: Option<h::DeviceRecord> = if record.is_null() && record_len == 0 {
            None
        } else {
            Some(try_ffi!(read_record(record, record_len)))
        };
        hm.inner.provide_device(conn, r, Timestamp(now_ms));
        femtocwmp_result::Ok
    })
}

/// Submits a procedure in JSON form for a device (`OUI-ProductClass-Serial`), e.g.
/// `{"ConfigureBySetParameterValues":{"params":[...],"parameter_key":"k"}}`; `*id_out`
/// receives its id.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_submit_json(
    hems: *mut femtocwmp_hems,
    device: *const u8,
    device_len: usize,
    procedure_json: *const u8,
    procedure_len: usize,
    now_ms: u64,
    id_out: *mut u64,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        let d = try_ffi!(text(device, device_len, "device"));
        let p: h::Procedure = try_ffi!(json(procedure_json, procedure_len, "Procedure"));
        if id_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "id_out is NULL");
        }
        let id = hm.inner.submit(d, p, Timestamp(now_ms));
        out_ptr!(id_out, id.0);
        femtocwmp_result::Ok
    })
}

/// `femtocwmp_hems_submit_json` with the submitter's `key`: if a procedure with this key
/// for this device is waiting, under way, or among its last finished ones, nothing is queued
/// and its id is returned (a script or API client that retries runs each procedure once).
#[must_use]
#[no_mangle]
#[allow(clippy::too_many_arguments)] // the C convention: (pointer, length) pairs
pub extern "C" fn femtocwmp_hems_submit_keyed_json(
    hems: *mut femtocwmp_hems,
    device: *const u8,
    device_len: usize,
    key: *const u8,
    key_len: usize,
    procedure_json: *const u8,
    procedure_len: usize,
    now_ms: u64,
    id_out: *mut u64,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        let d = try_ffi!(text(device, device_len, "device"));
        let k = try_ffi!(text(key, key_len, "key"));
        let p: h::Procedure = try_ffi!(json(procedure_json, procedure_len, "Procedure"));
        if id_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "id_out is NULL");
        }
        let id = hm.inner.submit_keyed(d, p, k, Timestamp(now_ms));
        out_ptr!(id_out, id.0);
        femtocwmp_result::Ok
    })
}

/// The id the next procedure gets: keep it in your store, so that a restarted HeMS never
/// reuses one (`femtocwmp_hems_reserve_procedure_ids`).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_next_procedure_id(
    hems: *const femtocwmp_hems,
    id_out: *mut u64,
) -> femtocwmp_result {
    boundary(|| {
        let hm = try_ffi!(view(hems, "hems"));
        if id_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "id_out is NULL");
        }
        out_ptr!(id_out, hm.inner.next_procedure_id().0);
        femtocwmp_result::Ok
    })
}

/// Ids below `next` are taken (by an earlier process): the next procedure gets `next` or
/// above.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_reserve_procedure_ids(
    hems: *mut femtocwmp_hems,
    next: u64,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        hm.inner.reserve_procedure_ids(h::ProcedureId(next));
        femtocwmp_result::Ok
    })
}

/// An HTTP request on connection `conn` (a number the transport picks per TCP connection).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_handle_http_request(
    hems: *mut femtocwmp_hems,
    conn: u64,
    headers: *const femtocwmp_header,
    header_count: usize,
    body: *const u8,
    body_len: usize,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        let hs = try_ffi!(read_headers(headers, header_count));
        let hs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let body = try_ffi!(input(body, body_len));
        hm.inner
            .handle_http_request(conn, &hs, body, Timestamp(now_ms));
        femtocwmp_result::Ok
    })
}

/// The head of an HTTP request on `conn` (its headers, before its body is read): a request
/// that would open a session is authenticated here, so that an unauthenticated client never
/// makes you buffer a body. `*read_body` true: read the body and call
/// `femtocwmp_hems_handle_http_request`; false: the refusal is the next `TRANSMIT` output,
/// send it without reading the body. Optional: `_handle_http_request` authenticates alone.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_handle_request_head(
    hems: *mut femtocwmp_hems,
    conn: u64,
    headers: *const femtocwmp_header,
    header_count: usize,
    now_ms: u64,
    read_body: *mut bool,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        if read_body.is_null() {
            return fail(femtocwmp_result::NullParameter, "read_body is NULL");
        }
        let hs = try_ffi!(read_headers(headers, header_count));
        let hs: Vec<(&str, &str)> = hs.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let go = hm.inner.handle_request_head(conn, &hs, Timestamp(now_ms));
        out_ptr!(read_body, go);
        femtocwmp_result::Ok
    })
}

/// What the transport knows of a new connection, for `femtocwmp_hems_connection_opened`.
#[repr(C)]
pub struct femtocwmp_connection_info {
    /// The peer's address without the port (e.g. "192.0.2.7"); empty when unknown. Failed
    /// authentications are counted per address.
    pub peer: femtocwmp_str,
    /// Whether the connection is TLS (Basic authentication is refused otherwise).
    pub tls: bool,
    /// Whether the peer presented a client certificate that the TLS layer verified.
    pub has_client_certificate: bool,
    /// Its subject common name (empty if none).
    pub common_name: femtocwmp_str,
    /// Its subject alternative names (DNS names, URIs, IP addresses as text).
    pub subject_alt_names: *const femtocwmp_str,
    /// How many.
    pub subject_alt_name_count: usize,
}

/// Says what the transport knows of connection `conn` (peer, TLS, client certificate): call
/// it before the connection's first request. The names of a client certificate must name the
/// device the connection's Inform claims (TS 33.320), or it is refused.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_connection_opened(
    hems: *mut femtocwmp_hems,
    conn: u64,
    info: *const femtocwmp_connection_info,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        if info.is_null() {
            return fail(femtocwmp_result::NullParameter, "info is NULL");
        }
        // SAFETY: info is non-NULL and points to a femtocwmp_connection_info (API contract).
        let info = unsafe { &*info };
        let peer = try_ffi!(info.peer.read("peer"));
        let client_certificate = if info.has_client_certificate {
            let cn = try_ffi!(info.common_name.read("common_name"));
            let sans = if info.subject_alt_name_count == 0 {
                &[][..]
            } else if info.subject_alt_names.is_null() {
                return fail(
                    femtocwmp_result::NullParameter,
                    "subject_alt_names is NULL but subject_alt_name_count > 0",
                );
            } else {
                // SAFETY: non-NULL, and the caller guarantees `subject_alt_name_count` elements.
                unsafe {
                    std::slice::from_raw_parts(info.subject_alt_names, info.subject_alt_name_count)
                }
            };
            let subject_alt_names = try_ffi!(sans
                .iter()
                .map(|s| s.read("subject alternative name").map(str::to_owned))
                .collect::<Result<Vec<_>, _>>());
            Some(CertificateIdentity {
                common_name: (!cn.is_empty()).then(|| cn.to_owned()),
                subject_alt_names,
            })
        } else {
            None
        };
        hm.inner.connection_opened(
            conn,
            ConnectionInfo {
                peer: (!peer.is_empty()).then(|| peer.to_owned()),
                tls: info.tls,
                client_certificate,
            },
        );
        femtocwmp_result::Ok
    })
}

/// Each device's credentials from a JSON table `{"OUI-ProductClass-Serial": {"username":
/// ..., "password": ... or "ha1": ..., "certificate_identity": ..., "connection_request_username":
/// ..., "connection_request_password": ...}}`, checked (a bad one is `INVALID_JSON` with why).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_set_device_table(
    hems: *mut femtocwmp_hems,
    table_json: *const u8,
    table_len: usize,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        let entries: std::collections::BTreeMap<String, DeviceCredentials> =
            try_ffi!(json(table_json, table_len, "device table"));
        let table = match DeviceTable::new(entries) {
            Ok(t) => t,
            Err(e) => return fail(femtocwmp_result::InvalidJson, format!("device table: {e}")),
        };
        hm.inner.set_credential_source(Box::new(table));
        femtocwmp_result::Ok
    })
}

/// What a credential callback is asked for.
#[repr(C)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum femtocwmp_credential_query {
    /// The device whose HTTP user name `key` is.
    ByUsername = 1,
    /// The device whose key (`OUI-ProductClass-Serial` or `OUI-Serial`) `key` is.
    ByDevice = 2,
}

/// A credential source: writes `{"device": "OUI-ProductClass-Serial", "credentials":
/// {"username": ..., "password": ...}}` (the credentials as in a device table) into `buf`
/// and returns its length; returns 0 when it knows no such device. A length above `buf_len`
/// asks for that much room: the callback is called once more with a buffer that big. It is
/// called from inside HeMS calls, on their thread, and must not call the HeMS.
pub type femtocwmp_credential_fn = Option<
    unsafe extern "C" fn(
        user_data: *mut std::ffi::c_void,
        query: femtocwmp_credential_query,
        key: femtocwmp_str,
        buf: *mut u8,
        buf_len: usize,
    ) -> usize,
>;

/// A C callback as a credential source.
struct CCredentialSource {
    callback: unsafe extern "C" fn(
        *mut std::ffi::c_void,
        femtocwmp_credential_query,
        femtocwmp_str,
        *mut u8,
        usize,
    ) -> usize,
    user_data: *mut std::ffi::c_void,
}

// SAFETY: the HeMS handle that owns the source is used from one thread at a time (API
// contract), and the callback is only called from calls on that handle.
unsafe impl Send for CCredentialSource {}
// SAFETY: as above: no two calls on the handle run at once.
unsafe impl Sync for CCredentialSource {}

/// The answer of a credential callback.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct CallbackAnswer {
    #[serde(default)]
    device: String,
    credentials: DeviceCredentials,
}

impl CCredentialSource {
    fn ask(&self, query: femtocwmp_credential_query, key: &str) -> Option<CallbackAnswer> {
        let mut buf = vec![0u8; 1024];
        for _ in 0..2 {
            // SAFETY: the callback was given with the user data it expects; buf is writable
            // for buf.len() bytes and key is readable for the duration of the call.
            let n = unsafe {
                (self.callback)(
                    self.user_data,
                    query,
                    femtocwmp_str::of(key),
                    buf.as_mut_ptr(),
                    buf.len(),
                )
            };
            if n == 0 {
                return None;
            }
            if n <= buf.len() {
                return serde_json::from_slice(&buf[..n]).ok();
            }
            if n > 1 << 20 {
                return None; // a bound: credentials are small
            }
            buf.resize(n, 0);
        }
        None
    }
}

impl CredentialSource for CCredentialSource {
    fn by_username(&self, username: &str) -> Option<(String, DeviceCredentials)> {
        let a = self.ask(femtocwmp_credential_query::ByUsername, username)?;
        (!a.device.is_empty()).then_some((a.device, a.credentials))
    }

    fn by_device(&self, device: &str) -> Option<DeviceCredentials> {
        self.ask(femtocwmp_credential_query::ByDevice, device)
            .map(|a| a.credentials)
    }
}

/// Each device's credentials from `callback` (see `femtocwmp_credential_fn`), given
/// `user_data` back on every call. NULL callback: `NULL_PARAMETER`.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_set_credential_callback(
    hems: *mut femtocwmp_hems,
    callback: femtocwmp_credential_fn,
    user_data: *mut std::ffi::c_void,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        let Some(callback) = callback else {
            return fail(femtocwmp_result::NullParameter, "callback is NULL");
        };
        hm.inner.set_credential_source(Box::new(CCredentialSource {
            callback,
            user_data,
        }));
        femtocwmp_result::Ok
    })
}

/// Connection `conn` closed.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_handle_connection_closed(
    hems: *mut femtocwmp_hems,
    conn: u64,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        handle!(hems)
            .inner
            .handle_connection_closed(conn, Timestamp(now_ms));
        femtocwmp_result::Ok
    })
}

/// Time has passed.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_handle_timeout(
    hems: *mut femtocwmp_hems,
    now_ms: u64,
) -> femtocwmp_result {
    boundary(|| {
        handle!(hems).inner.handle_timeout(Timestamp(now_ms));
        femtocwmp_result::Ok
    })
}

/// The next output. `TRANSMIT` is an HTTP response to send on the connection written to
/// `*conn_out`; `EVENT` is a HeMS event (kinds 20–26: `PROCEDURE_FINISHED`,
/// `CONNECTION_REQUEST`, the external-store requests `LOAD_DEVICE`/`STORE_DEVICE`...). Their
/// JSON forms are `{"ProcedureFinished":...}`,
/// `{"ConnectionRequest":{"device":...,"url":...,"username":...,"password":...}}`,
/// `{"LoadDevice":...}` / `{"StoreDevice":...}`.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_hems_poll_output(
    hems: *mut femtocwmp_hems,
    out: *mut femtocwmp_output,
    conn_out: *mut u64,
) -> femtocwmp_result {
    boundary(|| {
        let hm = handle!(hems);
        if out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out is NULL");
        }
        let event = |e: Ev| Output::<HttpResponse, Ev>::Event(e);
        let o = match hm.inner.poll_output() {
            h::HemsOutput::Respond { conn, response } => {
                hm.conn = conn;
                hm.held.output::<_, Ev>(Output::Transmit(*response))
            }
            h::HemsOutput::Event(e) => hm.held.output(event(e.into())),
            h::HemsOutput::ConnectionRequest {
                device,
                url,
                username,
                password,
            } => hm.held.output(event(Ev::ConnectionRequest {
                device,
                url,
                username,
                password,
            })),
            h::HemsOutput::LoadDevice { conn, device } => {
                hm.held.output(event(Ev::LoadDevice { conn, device }))
            }
            h::HemsOutput::StoreDevice { device, record } => {
                hm.held.output(event(Ev::StoreDevice { device, record }))
            }
            h::HemsOutput::Persist {
                device,
                change,
                events,
            } => hm.held.output(event(Ev::Persist {
                device,
                change,
                events,
            })),
            h::HemsOutput::Timeout(t) => hm.held.output::<HttpResponse, Ev>(Output::Timeout(t)),
            _ => femtocwmp_output_idle(),
        };
        if o.kind == femtocwmp_output_kind::Transmit && !conn_out.is_null() {
            out_ptr!(conn_out, hm.conn);
        }
        out_ptr!(out, o);
        femtocwmp_result::Ok
    })
}

fn femtocwmp_output_idle() -> femtocwmp_output {
    let mut held = Held::default();
    held.output::<HttpResponse, Ev>(Output::Idle)
}
