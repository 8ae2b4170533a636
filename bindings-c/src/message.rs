//! Typed messages for C: build a CWMP message field by field, read one through accessors, with
//! no JSON library on the C side. `femtocwmp_message` is one message body (a request, a
//! response, a fault, an Inform); the session verbs take it, events lend it.

use femtocwmp::{
    Body, DateTime, DeviceIdStruct, EventCode, EventStruct, Fault, FaultCode, FileType,
    ParameterValueStruct, Value, XsdType,
};

use crate::codec::{input, write_out};
use crate::error::{boundary, fail, femtocwmp_result};
use crate::session::json;
use crate::{out_ptr, try_ffi};

/// A borrowed UTF-8 string as pointer and length (not NUL-terminated). As an input it is read
/// during the call only; as an output it borrows from the object it was read from (see each
/// function). An empty string may have a NULL `data`.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct femtocwmp_str {
    /// The bytes.
    pub data: *const u8,
    /// Their number.
    pub len: usize,
}

impl femtocwmp_str {
    pub(crate) fn of(s: &str) -> Self {
        femtocwmp_str {
            data: s.as_ptr(),
            len: s.len(),
        }
    }

    /// The text of an input string (during the call).
    pub(crate) fn read<'a>(&self, what: &str) -> Result<&'a str, femtocwmp_result> {
        text(self.data, self.len, what)
    }
}

/// UTF-8 text at `ptr` (NULL allowed when `len` is 0), borrowed for the call.
pub(crate) fn text<'a>(
    ptr: *const u8,
    len: usize,
    what: &str,
) -> Result<&'a str, femtocwmp_result> {
    let b = input(ptr, len)?;
    std::str::from_utf8(b).map_err(|_| {
        fail(
            femtocwmp_result::InvalidUtf8,
            format!("{what} is not UTF-8"),
        )
    })
}

/// Borrows a caller's struct or handle for reading.
pub(crate) fn view<'a, T>(ptr: *const T, what: &str) -> Result<&'a T, femtocwmp_result> {
    if ptr.is_null() {
        return Err(fail(
            femtocwmp_result::NullParameter,
            format!("{what} is NULL"),
        ));
    }
    // SAFETY: non-NULL and, by the API contract, a valid, initialised object of its type that
    // no one writes during the call.
    Ok(unsafe { &*ptr })
}

/// One parameter: name, XSD type (`"unsignedInt"`, `"xsd:string"`...; empty means string on
/// input) and value text.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct femtocwmp_param {
    /// Full parameter name, e.g. `Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID`.
    pub name: femtocwmp_str,
    /// XSD type name, without prefix on output (`"unsignedInt"`).
    pub xsd_type: femtocwmp_str,
    /// The value in its text form (`"77"`, `"true"`, `"2026-12-01T10:00:00Z"`).
    pub value: femtocwmp_str,
}

/// A device identity (TR-069 A.3.3.1 DeviceIdStruct).
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct femtocwmp_device_id {
    /// Manufacturer.
    pub manufacturer: femtocwmp_str,
    /// OUI (six hex digits).
    pub oui: femtocwmp_str,
    /// Product class (may be empty).
    pub product_class: femtocwmp_str,
    /// Serial number.
    pub serial_number: femtocwmp_str,
}

impl femtocwmp_device_id {
    pub(crate) fn of(d: &DeviceIdStruct) -> Self {
        femtocwmp_device_id {
            manufacturer: femtocwmp_str::of(&d.manufacturer),
            oui: femtocwmp_str::of(&d.oui),
            product_class: femtocwmp_str::of(&d.product_class),
            serial_number: femtocwmp_str::of(&d.serial_number),
        }
    }

    pub(crate) fn read(&self) -> Result<DeviceIdStruct, femtocwmp_result> {
        let d = DeviceIdStruct {
            manufacturer: self.manufacturer.read("manufacturer")?.to_owned(),
            oui: self.oui.read("oui")?.to_owned(),
            product_class: self.product_class.read("product_class")?.to_owned(),
            serial_number: self.serial_number.read("serial_number")?.to_owned(),
        };
        if d.oui.is_empty() || d.serial_number.is_empty() {
            return Err(fail(
                femtocwmp_result::InvalidParameter,
                "a device id needs an OUI and a serial number",
            ));
        }
        Ok(d)
    }
}

/// The arguments of a Download (TR-069 A.4.1.5) that a HeNB needs to fetch the file.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct femtocwmp_download {
    /// CommandKey, to hand back in the TransferComplete (`femtocwmp_agent_download_finished`).
    pub command_key: femtocwmp_str,
    /// FileType, e.g. `"3 Vendor Configuration File"`, `"1 Firmware Upgrade Image"`.
    pub file_type: femtocwmp_str,
    /// Where to fetch the file.
    pub url: femtocwmp_str,
    /// File server user name (empty: none).
    pub username: femtocwmp_str,
    /// File server password.
    pub password: femtocwmp_str,
    /// Announced size in bytes (0: unknown).
    pub file_size: u32,
    /// Target file name (may be empty).
    pub target_file_name: femtocwmp_str,
    /// Seconds to wait before fetching.
    pub delay_seconds: u32,
}

/// One CWMP message body, owned by the caller (from `femtocwmp_message_new`,
/// `_new_fault` or `_from_json`) or borrowed from an event (`femtocwmp_event_message`; then
/// never free it). One thread at a time.
#[repr(transparent)]
pub struct femtocwmp_message(pub(crate) Body);

impl femtocwmp_message {
    pub(crate) fn borrow(body: &Body) -> *const femtocwmp_message {
        // repr(transparent): a `femtocwmp_message` is laid out exactly as its `Body`.
        (body as *const Body).cast()
    }
}

fn new_handle(body: Body, out: *mut *mut femtocwmp_message) -> femtocwmp_result {
    out_ptr!(out, Box::into_raw(Box::new(femtocwmp_message(body))));
    femtocwmp_result::Ok
}

/// Takes back a message handed to a consuming function; `None` for NULL.
pub(crate) fn take(msg: *mut femtocwmp_message) -> Option<Body> {
    if msg.is_null() {
        return None;
    }
    // SAFETY: non-NULL and, by the API contract, a handle from `femtocwmp_message_new*` that
    // the caller gives up here; it is freed exactly once, by this Box.
    Some(unsafe { Box::from_raw(msg) }.0)
}

fn msg_mut<'a>(msg: *mut femtocwmp_message) -> Result<&'a mut Body, femtocwmp_result> {
    if msg.is_null() {
        return Err(fail(femtocwmp_result::NullParameter, "message is NULL"));
    }
    // SAFETY: non-NULL and, by the API contract, a live caller-owned handle used by one
    // thread at a time, so this is the only reference during the call.
    Ok(unsafe { &mut (*msg).0 })
}

fn no_field(body: &Body, field: &str) -> femtocwmp_result {
    fail(
        femtocwmp_result::InvalidParameter,
        format!("a {} message has no {field}", body.method_name()),
    )
}

/// A new message of `method` (e.g. `"SetParameterValues"`, `"Inform"`, `"Reboot"`) with every
/// argument at its default; fill it with the `femtocwmp_message_add_*`/`_set_*` functions.
/// An unknown method (or `"Fault"`: use `femtocwmp_message_new_fault`) gives
/// `FEMTOCWMP_RESULT_INVALID_PARAMETER`. Free with `femtocwmp_message_free` unless a consuming
/// function takes it.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_new(
    method: *const u8,
    method_len: usize,
    out: *mut *mut femtocwmp_message,
) -> femtocwmp_result {
    boundary(|| {
        let name = try_ffi!(text(method, method_len, "method"));
        match Body::with_defaults(name) {
            Some(body) => new_handle(body, out),
            None => fail(
                femtocwmp_result::InvalidParameter,
                format!("no CWMP method named {name:?}"),
            ),
        }
    })
}

/// A new SOAP Fault with a CWMP fault code (TR-069 A.5.1, e.g. 9005 "Invalid parameter
/// name") and fault string: the answer that refuses a request.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_new_fault(
    fault_code: u32,
    fault_string: *const u8,
    fault_string_len: usize,
    out: *mut *mut femtocwmp_message,
) -> femtocwmp_result {
    boundary(|| {
        let s = try_ffi!(text(fault_string, fault_string_len, "fault string"));
        new_handle(Body::Fault(Fault::new(FaultCode::from(fault_code), s)), out)
    })
}

/// A new message from its JSON form (`{"method":"Reboot","command_key":"k"}`), for the
/// methods the typed setters do not cover.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_from_json(
    json_body: *const u8,
    json_len: usize,
    out: *mut *mut femtocwmp_message,
) -> femtocwmp_result {
    boundary(|| {
        let body: Body = try_ffi!(json(json_body, json_len, "message"));
        new_handle(body, out)
    })
}

/// Frees a caller-owned message. NULL is a no-op; never free a borrowed one.
#[no_mangle]
pub extern "C" fn femtocwmp_message_free(msg: *mut femtocwmp_message) {
    let _ = boundary(|| {
        drop(take(msg));
        femtocwmp_result::Ok
    });
}

/// The message in its JSON form, NUL-terminated, into `buf` (size query as for
/// `femtocwmp_decode_json`).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_json(
    msg: *const femtocwmp_message,
    buf: *mut u8,
    buf_len: usize,
    out_len: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let m = try_ffi!(view(msg, "message"));
        let bytes = serde_json::to_vec(&m.0).expect("messages serialize");
        write_out(&bytes, buf, buf_len, out_len)
    })
}

/// The method name (`"SetParameterValues"`, `"Fault"`, `"Empty"`...), a static string.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_method(
    msg: *const femtocwmp_message,
    out: *mut femtocwmp_str,
) -> femtocwmp_result {
    boundary(|| {
        let m = try_ffi!(view(msg, "message"));
        out_ptr!(out, femtocwmp_str::of(m.0.method_name()));
        femtocwmp_result::Ok
    })
}

// ------------------------------------------------------------------ fields by method

fn params(b: &Body) -> Option<&Vec<ParameterValueStruct>> {
    match b {
        Body::SetParameterValues(m) => Some(&m.parameter_list),
        Body::GetParameterValuesResponse(m) => Some(&m.parameter_list),
        Body::Inform(m) => Some(&m.parameter_list),
        _ => None,
    }
}

fn params_mut(b: &mut Body) -> Option<&mut Vec<ParameterValueStruct>> {
    match b {
        Body::SetParameterValues(m) => Some(&mut m.parameter_list),
        Body::GetParameterValuesResponse(m) => Some(&mut m.parameter_list),
        Body::Inform(m) => Some(&mut m.parameter_list),
        _ => None,
    }
}

fn names(b: &Body) -> Option<&Vec<String>> {
    match b {
        Body::GetParameterValues(m) => Some(&m.parameter_names),
        Body::GetParameterAttributes(m) => Some(&m.parameter_names),
        _ => None,
    }
}

fn names_mut(b: &mut Body) -> Option<&mut Vec<String>> {
    match b {
        Body::GetParameterValues(m) => Some(&mut m.parameter_names),
        Body::GetParameterAttributes(m) => Some(&mut m.parameter_names),
        _ => None,
    }
}

fn command_key_mut(b: &mut Body) -> Option<&mut String> {
    match b {
        Body::Reboot(m) => Some(&mut m.command_key),
        Body::Download(m) => Some(&mut m.command_key),
        Body::Upload(m) => Some(&mut m.command_key),
        Body::ScheduleInform(m) => Some(&mut m.command_key),
        Body::ScheduleDownload(m) => Some(&mut m.command_key),
        Body::TransferComplete(m) => Some(&mut m.command_key),
        _ => None,
    }
}

fn parameter_key_mut(b: &mut Body) -> Option<&mut String> {
    match b {
        Body::SetParameterValues(m) => Some(&mut m.parameter_key),
        Body::AddObject(m) => Some(&mut m.parameter_key),
        Body::DeleteObject(m) => Some(&mut m.parameter_key),
        _ => None,
    }
}

fn status_mut(b: &mut Body) -> Option<&mut i32> {
    match b {
        Body::SetParameterValuesResponse(m) => Some(&mut m.status),
        Body::AddObjectResponse(m) => Some(&mut m.status),
        Body::DeleteObjectResponse(m) => Some(&mut m.status),
        _ => None,
    }
}

fn index<T>(list: &[T], i: usize) -> Result<&T, femtocwmp_result> {
    list.get(i).ok_or_else(|| {
        fail(
            femtocwmp_result::InvalidParameter,
            format!("index {i} is out of range (there are {})", list.len()),
        )
    })
}

// ------------------------------------------------------------------ setters

/// Appends a parameter to a SetParameterValues, GetParameterValuesResponse or Inform. The
/// value must fit its type (`FEMTOCWMP_RESULT_INVALID_PARAMETER` otherwise).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_add_param(
    msg: *mut femtocwmp_message,
    param: *const femtocwmp_param,
) -> femtocwmp_result {
    boundary(|| {
        let b = try_ffi!(msg_mut(msg));
        let p = try_ffi!(view(param, "param"));
        let name = try_ffi!(p.name.read("parameter name"));
        let type_name = try_ffi!(p.xsd_type.read("parameter type"));
        let value = try_ffi!(p.value.read("parameter value"));
        let Some(xsd_type) = (if type_name.is_empty() {
            Some(XsdType::String)
        } else {
            XsdType::from_type_name(type_name)
        }) else {
            return fail(
                femtocwmp_result::InvalidParameter,
                format!("unknown XSD type {type_name:?}"),
            );
        };
        let value = match Value::new(xsd_type, value) {
            Ok(v) => v,
            Err(e) => return fail(femtocwmp_result::InvalidParameter, format!("{name}: {e}")),
        };
        match params_mut(b) {
            Some(list) => {
                list.push(ParameterValueStruct::new(name, value));
                femtocwmp_result::Ok
            }
            None => no_field(b, "parameter list"),
        }
    })
}

/// Appends a parameter name (or partial path ending in `.`) to a GetParameterValues or
/// GetParameterAttributes.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_add_name(
    msg: *mut femtocwmp_message,
    name: *const u8,
    name_len: usize,
) -> femtocwmp_result {
    boundary(|| {
        let b = try_ffi!(msg_mut(msg));
        let name = try_ffi!(text(name, name_len, "name"));
        match names_mut(b) {
            Some(list) => {
                list.push(name.to_owned());
                femtocwmp_result::Ok
            }
            None => no_field(b, "parameter names"),
        }
    })
}

/// Appends an event (`"1 BOOT"`, `"M Download"`...) with its CommandKey to an Inform.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_add_event(
    msg: *mut femtocwmp_message,
    event_code: *const u8,
    event_code_len: usize,
    command_key: *const u8,
    command_key_len: usize,
) -> femtocwmp_result {
    boundary(|| {
        let b = try_ffi!(msg_mut(msg));
        let code = try_ffi!(text(event_code, event_code_len, "event code"));
        let key = try_ffi!(text(command_key, command_key_len, "command key"));
        match b {
            Body::Inform(m) => {
                m.event
                    .push(EventStruct::with_command_key(EventCode::from(code), key));
                femtocwmp_result::Ok
            }
            _ => no_field(b, "events"),
        }
    })
}

/// Sets the DeviceId of an Inform.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_set_device_id(
    msg: *mut femtocwmp_message,
    device_id: *const femtocwmp_device_id,
) -> femtocwmp_result {
    boundary(|| {
        let b = try_ffi!(msg_mut(msg));
        let d = try_ffi!(try_ffi!(view(device_id, "device_id")).read());
        match b {
            Body::Inform(m) => {
                m.device_id = d;
                femtocwmp_result::Ok
            }
            _ => no_field(b, "device id"),
        }
    })
}

/// Sets the CurrentTime of an Inform from its text (`"2026-12-01T10:00:00Z"`; TR-069's
/// Unknown Time `"0001-01-01T00:00:00Z"` is the default).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_set_current_time(
    msg: *mut femtocwmp_message,
    time: *const u8,
    time_len: usize,
) -> femtocwmp_result {
    boundary(|| {
        let b = try_ffi!(msg_mut(msg));
        let t = try_ffi!(text(time, time_len, "time"));
        let Body::Inform(i) = b else {
            return no_field(b, "current time");
        };
        match DateTime::parse(t) {
            Ok(t) => {
                i.current_time = t;
                femtocwmp_result::Ok
            }
            Err(e) => fail(femtocwmp_result::InvalidParameter, format!("{t:?}: {e}")),
        }
    })
}

/// Sets the CommandKey of a Reboot, Download, Upload, ScheduleInform, ScheduleDownload or
/// TransferComplete.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_set_command_key(
    msg: *mut femtocwmp_message,
    command_key: *const u8,
    command_key_len: usize,
) -> femtocwmp_result {
    boundary(|| {
        let b = try_ffi!(msg_mut(msg));
        let key = try_ffi!(text(command_key, command_key_len, "command key"));
        match command_key_mut(b) {
            Some(k) => {
                key.clone_into(k);
                femtocwmp_result::Ok
            }
            None => no_field(b, "command key"),
        }
    })
}

/// Sets the ParameterKey of a SetParameterValues, AddObject or DeleteObject.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_set_parameter_key(
    msg: *mut femtocwmp_message,
    parameter_key: *const u8,
    parameter_key_len: usize,
) -> femtocwmp_result {
    boundary(|| {
        let b = try_ffi!(msg_mut(msg));
        let key = try_ffi!(text(parameter_key, parameter_key_len, "parameter key"));
        match parameter_key_mut(b) {
            Some(k) => {
                key.clone_into(k);
                femtocwmp_result::Ok
            }
            None => no_field(b, "parameter key"),
        }
    })
}

/// Sets the Status (0: applied, 1: applied after a reboot) of a SetParameterValuesResponse,
/// AddObjectResponse or DeleteObjectResponse.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_set_status(
    msg: *mut femtocwmp_message,
    status: i32,
) -> femtocwmp_result {
    boundary(|| {
        let b = try_ffi!(msg_mut(msg));
        if !(0..=1).contains(&status) {
            return fail(
                femtocwmp_result::InvalidParameter,
                format!("status {status} is neither 0 nor 1"),
            );
        }
        match status_mut(b) {
            Some(s) => {
                *s = status;
                femtocwmp_result::Ok
            }
            None => no_field(b, "status"),
        }
    })
}

/// Sets every argument of a Download from `args` (SuccessURL/FailureURL stay empty).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_set_download(
    msg: *mut femtocwmp_message,
    args: *const femtocwmp_download,
) -> femtocwmp_result {
    boundary(|| {
        let b = try_ffi!(msg_mut(msg));
        let a = try_ffi!(view(args, "args"));
        let Body::Download(d) = b else {
            return no_field(b, "download arguments");
        };
        let file_type = try_ffi!(a.file_type.read("file type"));
        if file_type.is_empty() {
            return fail(
                femtocwmp_result::InvalidParameter,
                "a Download needs a file type",
            );
        }
        d.command_key = try_ffi!(a.command_key.read("command key")).to_owned();
        d.file_type = FileType::from(file_type);
        d.url = try_ffi!(a.url.read("url")).to_owned();
        d.username = try_ffi!(a.username.read("username")).to_owned();
        d.password = try_ffi!(a.password.read("password")).to_owned();
        d.file_size = a.file_size;
        d.target_file_name = try_ffi!(a.target_file_name.read("target file name")).to_owned();
        d.delay_seconds = a.delay_seconds;
        femtocwmp_result::Ok
    })
}

/// Sets the FaultStruct of a TransferComplete (0: the transfer succeeded).
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_set_transfer_fault(
    msg: *mut femtocwmp_message,
    fault_code: u32,
    fault_string: *const u8,
    fault_string_len: usize,
) -> femtocwmp_result {
    boundary(|| {
        let b = try_ffi!(msg_mut(msg));
        let s = try_ffi!(text(fault_string, fault_string_len, "fault string"));
        match b {
            Body::TransferComplete(t) => {
                t.fault_struct.fault_code = FaultCode::from(fault_code);
                s.clone_into(&mut t.fault_struct.fault_string);
                femtocwmp_result::Ok
            }
            _ => no_field(b, "transfer fault"),
        }
    })
}

// ------------------------------------------------------------------ readers

/// The number of parameters of a SetParameterValues, GetParameterValuesResponse or Inform.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_param_count(
    msg: *const femtocwmp_message,
    count_out: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let m = try_ffi!(view(msg, "message"));
        match params(&m.0) {
            Some(list) => {
                out_ptr!(count_out, list.len());
                femtocwmp_result::Ok
            }
            None => no_field(&m.0, "parameter list"),
        }
    })
}

/// Parameter `i` (0-based); its strings borrow from the message.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_param(
    msg: *const femtocwmp_message,
    i: usize,
    out: *mut femtocwmp_param,
) -> femtocwmp_result {
    boundary(|| {
        let m = try_ffi!(view(msg, "message"));
        let Some(list) = params(&m.0) else {
            return no_field(&m.0, "parameter list");
        };
        let p = try_ffi!(index(list, i));
        out_ptr!(
            out,
            femtocwmp_param {
                name: femtocwmp_str::of(&p.name),
                xsd_type: femtocwmp_str::of(p.value.xsd_type().as_str()),
                value: femtocwmp_str::of(p.value.as_str()),
            }
        );
        femtocwmp_result::Ok
    })
}

/// The number of parameter names of a GetParameterValues or GetParameterAttributes.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_name_count(
    msg: *const femtocwmp_message,
    count_out: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let m = try_ffi!(view(msg, "message"));
        match names(&m.0) {
            Some(list) => {
                out_ptr!(count_out, list.len());
                femtocwmp_result::Ok
            }
            None => no_field(&m.0, "parameter names"),
        }
    })
}

/// Parameter name `i` (0-based), borrowed from the message.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_name(
    msg: *const femtocwmp_message,
    i: usize,
    out: *mut femtocwmp_str,
) -> femtocwmp_result {
    boundary(|| {
        let m = try_ffi!(view(msg, "message"));
        let Some(list) = names(&m.0) else {
            return no_field(&m.0, "parameter names");
        };
        let n = try_ffi!(index(list, i));
        out_ptr!(out, femtocwmp_str::of(n));
        femtocwmp_result::Ok
    })
}

/// The number of events of an Inform.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_event_count(
    msg: *const femtocwmp_message,
    count_out: *mut usize,
) -> femtocwmp_result {
    boundary(|| {
        let m = try_ffi!(view(msg, "message"));
        match &m.0 {
            Body::Inform(i) => {
                out_ptr!(count_out, i.event.len());
                femtocwmp_result::Ok
            }
            b => no_field(b, "events"),
        }
    })
}

/// Event `i` of an Inform: its code (`"1 BOOT"`) and CommandKey, borrowed from the message.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_event(
    msg: *const femtocwmp_message,
    i: usize,
    code_out: *mut femtocwmp_str,
    command_key_out: *mut femtocwmp_str,
) -> femtocwmp_result {
    boundary(|| {
        let m = try_ffi!(view(msg, "message"));
        let Body::Inform(inform) = &m.0 else {
            return no_field(&m.0, "events");
        };
        let e = try_ffi!(index(&inform.event, i));
        if code_out.is_null() || command_key_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out pointer is NULL");
        }
        out_ptr!(code_out, femtocwmp_str::of(e.event_code.as_str()));
        out_ptr!(command_key_out, femtocwmp_str::of(&e.command_key));
        femtocwmp_result::Ok
    })
}

/// The DeviceId of an Inform, borrowed from the message.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_device_id(
    msg: *const femtocwmp_message,
    out: *mut femtocwmp_device_id,
) -> femtocwmp_result {
    boundary(|| {
        let m = try_ffi!(view(msg, "message"));
        match &m.0 {
            Body::Inform(i) => {
                out_ptr!(out, femtocwmp_device_id::of(&i.device_id));
                femtocwmp_result::Ok
            }
            b => no_field(b, "device id"),
        }
    })
}

/// The fault of a Fault message, or the FaultStruct of a TransferComplete or
/// AutonomousTransferComplete (code 0: the transfer succeeded); the string borrows from the
/// message.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_fault(
    msg: *const femtocwmp_message,
    code_out: *mut u32,
    string_out: *mut femtocwmp_str,
) -> femtocwmp_result {
    boundary(|| {
        let m = try_ffi!(view(msg, "message"));
        let (code, s) = match &m.0 {
            Body::Fault(f) => (f.fault_code.code(), &f.fault_string),
            Body::TransferComplete(t) => (
                t.fault_struct.fault_code.code(),
                &t.fault_struct.fault_string,
            ),
            Body::AutonomousTransferComplete(t) => (
                t.fault_struct.fault_code.code(),
                &t.fault_struct.fault_string,
            ),
            b => return no_field(b, "fault"),
        };
        if code_out.is_null() || string_out.is_null() {
            return fail(femtocwmp_result::NullParameter, "out pointer is NULL");
        }
        out_ptr!(code_out, code);
        out_ptr!(string_out, femtocwmp_str::of(s));
        femtocwmp_result::Ok
    })
}

/// The arguments of a Download, borrowed from the message.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_download(
    msg: *const femtocwmp_message,
    out: *mut femtocwmp_download,
) -> femtocwmp_result {
    boundary(|| {
        let m = try_ffi!(view(msg, "message"));
        match &m.0 {
            Body::Download(d) => {
                out_ptr!(
                    out,
                    femtocwmp_download {
                        command_key: femtocwmp_str::of(&d.command_key),
                        file_type: femtocwmp_str::of(d.file_type.as_str()),
                        url: femtocwmp_str::of(&d.url),
                        username: femtocwmp_str::of(&d.username),
                        password: femtocwmp_str::of(&d.password),
                        file_size: d.file_size,
                        target_file_name: femtocwmp_str::of(&d.target_file_name),
                        delay_seconds: d.delay_seconds,
                    }
                );
                femtocwmp_result::Ok
            }
            b => no_field(b, "download arguments"),
        }
    })
}

/// The Status of a SetParameterValuesResponse, AddObjectResponse or DeleteObjectResponse.
#[must_use]
#[no_mangle]
pub extern "C" fn femtocwmp_message_status(
    msg: *const femtocwmp_message,
    status_out: *mut i32,
) -> femtocwmp_result {
    boundary(|| {
        let m = try_ffi!(view(msg, "message"));
        let status = match &m.0 {
            Body::SetParameterValuesResponse(r) => Some(r.status),
            Body::AddObjectResponse(r) => Some(r.status),
            Body::DeleteObjectResponse(r) => Some(r.status),
            _ => None,
        };
        match status {
            Some(s) => {
                out_ptr!(status_out, s);
                femtocwmp_result::Ok
            }
            None => no_field(&m.0, "status"),
        }
    })
}
