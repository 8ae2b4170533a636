//! Schema constraints the type system does not enforce: string lengths, patterns, value
//! ranges and what each version's schema allows. An envelope for which [`check`] returns
//! nothing encodes to a document that validates against its BBF schema (proven in the test
//! suite by validating generated envelopes with an XSD validator).

use serde::{Deserialize, Serialize};

use super::codes::{EventCode, FaultCode, FileType};
use super::envelope::{Body, CwmpVersion, Envelope};
use super::fault::Fault;
use super::rpc::*;
use super::value::ParameterValueStruct;

/// One way an envelope would fail validation against its BBF schema.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SchemaViolation {
    /// Where: a dotted path of JSON field names, e.g. `body.parameter_list[3].name`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for SchemaViolation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.path, self.message)
    }
}

struct Checker {
    version: CwmpVersion,
    out: Vec<SchemaViolation>,
}

impl Checker {
    fn fail(&mut self, path: impl Into<String>, message: impl Into<String>) {
        self.out.push(SchemaViolation {
            path: path.into(),
            message: message.into(),
        });
    }

    /// Length (in characters, as XSD counts) and XML 1.0 character validity.
    fn string(&mut self, path: &str, s: &str, max: usize) {
        // bytes >= characters: count characters only when the bytes might be too many
        if s.len() > max && s.chars().count() > max {
            self.fail(path, format!("longer than {max} characters"));
        }
        self.chars(path, s);
    }

    fn chars(&mut self, path: &str, s: &str) {
        if !xml_chars_ok(s) {
            self.fail(path, "contains a character XML 1.0 cannot carry");
        }
    }

    fn range(&mut self, path: &str, n: i64, lo: i64, hi: i64) {
        if n < lo || n > hi {
            self.fail(path, format!("{n} is outside {lo}..={hi}"));
        }
    }

    fn count(&mut self, path: &str, n: usize, min: usize, max: usize) {
        if n < min {
            self.fail(path, format!("needs at least {min} item(s)"));
        } else if n > max {
            self.fail(path, format!("allows at most {max} items"));
        }
    }

    fn command_key(&mut self, path: &str, s: &str) {
        self.string(path, s, 32);
    }

    fn object_name(&mut self, path: &str, s: &str) {
        self.string(path, s, 256);
        if !s.ends_with('.') {
            self.fail(path, "an object name must end with '.'");
        }
    }

    fn params(&mut self, path: &str, list: &[ParameterValueStruct]) {
        for (i, p) in list.iter().enumerate() {
            // the hot path of big lists: build the paths only for what fails
            if p.name.len() > 256 || !xml_chars_ok(&p.name) {
                self.string(&format!("{path}[{i}].name"), &p.name, 256);
            }
            if !xml_chars_ok(p.value.as_str()) {
                self.chars(&format!("{path}[{i}].value"), p.value.as_str());
            }
        }
    }

    fn notification(&mut self, path: &str, n: i32) {
        let max = if self.version >= CwmpVersion::V1_4 {
            6
        } else {
            2
        };
        self.range(path, n as i64, 0, max);
    }

    fn access_list(&mut self, path: &str, list: &[String]) {
        for (i, a) in list.iter().enumerate() {
            if a != "Subscriber" {
                self.fail(
                    format!("{path}[{i}]"),
                    "the only access list value is \"Subscriber\"",
                );
            }
        }
    }

    fn status(&mut self, path: &str, n: i32) {
        self.range(path, n as i64, 0, 1);
    }

    fn event_code(&mut self, path: &str, code: &EventCode) {
        let s = code.as_str();
        self.string(path, s, 64);
        let ok = if self.version == CwmpVersion::V1_0 {
            matches!(
                code,
                EventCode::Bootstrap
                    | EventCode::Boot
                    | EventCode::Periodic
                    | EventCode::Scheduled
                    | EventCode::ValueChange
                    | EventCode::Kicked
                    | EventCode::ConnectionRequest
                    | EventCode::TransferComplete
                    | EventCode::DiagnosticsComplete
                    | EventCode::RequestDownload
                    | EventCode::MReboot
                    | EventCode::MScheduleInform
                    | EventCode::MDownload
                    | EventCode::MUpload
            ) || is_vendor_method(s)
                || is_oui_vendor(s, true)
        } else {
            is_numbered(s)
                || s.strip_prefix("M ")
                    .is_some_and(|m| !m.is_empty() && !m.contains(char::is_whitespace))
                || is_oui_vendor(s, self.version == CwmpVersion::V1_1)
                || (self.version >= CwmpVersion::V1_2 && is_token_vendor(s))
        };
        if !ok {
            self.fail(
                path,
                format!("{s:?} is not an event code of CWMP {}", self.version),
            );
        }
    }

    /// `which`: the XSD type of the field (download, upload or transfer file type).
    fn file_type(&mut self, path: &str, ft: &FileType, which: FileTypeUse) {
        let s = ft.as_str();
        self.string(path, s, 64);
        let ok = if self.version <= CwmpVersion::V1_1 {
            let named: &[&str] = match which {
                FileTypeUse::Download => &[
                    "1 Firmware Upgrade Image",
                    "2 Web Content",
                    "3 Vendor Configuration File",
                ],
                FileTypeUse::Upload => &["1 Vendor Configuration File", "2 Vendor Log File"],
                FileTypeUse::Transfer => &[
                    "1 Firmware Upgrade Image",
                    "2 Web Content",
                    "3 Vendor Configuration File",
                    "4 Vendor Log File",
                ],
            };
            named.contains(&s) || is_oui_vendor(s, true)
        } else {
            is_numbered(s) || is_oui_vendor(s, false) || is_token_vendor(s)
        };
        if !ok {
            self.fail(
                path,
                format!("{s:?} is not a file type of CWMP {}", self.version),
            );
        }
    }

    fn fault_code(&mut self, path: &str, code: FaultCode) {
        let n = code.code();
        let ok = if self.version == CwmpVersion::V1_0 {
            matches!(n, 8000..=8005 | 8800..=8899 | 9000..=9013 | 9800..=9899)
        } else {
            matches!(n, 8000..=8899 | 9000..=9899)
        };
        if !ok {
            self.fail(
                path,
                format!("{n} is not a fault code of CWMP {}", self.version),
            );
        }
    }

    fn transfer_fault(&mut self, path: &str, f: &FaultStruct) {
        let n = f.fault_code.code();
        let ok = match self.version {
            CwmpVersion::V1_0 => matches!(n, 0 | 9001 | 9002 | 9010 | 9011 | 9012 | 9800..=9899),
            CwmpVersion::V1_1 => {
                matches!(n, 0 | 9001 | 9002 | 9010 | 9011 | 9012 | 9014..=9019 | 9020..=9899)
            }
            _ => f.fault_code.is_valid_transfer_fault(),
        };
        if !ok {
            self.fail(
                format!("{path}.fault_code"),
                format!(
                    "{n} is not allowed in a TransferComplete of CWMP {}",
                    self.version
                ),
            );
        }
        self.string(&format!("{path}.fault_string"), &f.fault_string, 256);
    }

    fn uuid(&mut self, path: &str, s: &str) {
        let groups: Vec<&str> = s.split('-').collect();
        let ok = groups.len() == 5
            && groups
                .iter()
                .zip([8, 4, 4, 4, 12])
                .all(|(g, n)| g.len() == n && g.bytes().all(|b| b.is_ascii_hexdigit()));
        if !ok {
            self.fail(path, "not a UUID (8-4-4-4-12 hex digits)");
        }
    }

    fn fault(&mut self, f: &Fault) {
        self.fault_code("body.fault_code", f.fault_code);
        self.chars("body.fault_string", &f.fault_string);
        self.chars("body.faultstring", &f.faultstring);
        for (i, p) in f.set_parameter_values_fault.iter().enumerate() {
            let path = format!("body.set_parameter_values_fault[{i}]");
            self.chars(&format!("{path}.parameter_name"), &p.parameter_name);
            self.chars(&format!("{path}.fault_string"), &p.fault_string);
            let n = p.fault_code.code();
            if !matches!(n, 9000..=9899) {
                self.fail(
                    format!("{path}.fault_code"),
                    format!("{n} is not a CPE fault code"),
                );
            }
            if self.version == CwmpVersion::V1_0 {
                self.fault_code(&format!("{path}.fault_code"), p.fault_code);
            }
        }
    }

    fn body(&mut self, body: &Body) {
        if body.since_version() > self.version {
            self.fail(
                "body",
                format!(
                    "{} needs CWMP {} or later",
                    body.method_name(),
                    body.since_version()
                ),
            );
        }
        match body {
            Body::GetRPCMethodsResponse(r) => {
                self.count("body.method_list", r.method_list.len(), 0, usize::MAX);
                for (i, m) in r.method_list.iter().enumerate() {
                    self.string(&format!("body.method_list[{i}]"), m, 64);
                }
            }
            Body::SetParameterValues(r) => {
                self.params("body.parameter_list", &r.parameter_list);
                self.string("body.parameter_key", &r.parameter_key, 32);
            }
            Body::SetParameterValuesResponse(r) => self.status("body.status", r.status),
            Body::GetParameterValues(GetParameterValues { parameter_names })
            | Body::GetParameterAttributes(GetParameterAttributes { parameter_names }) => {
                self.count("body.parameter_names", parameter_names.len(), 1, usize::MAX);
                for (i, n) in parameter_names.iter().enumerate() {
                    self.string(&format!("body.parameter_names[{i}]"), n, 256);
                }
            }
            Body::GetParameterValuesResponse(r) => {
                self.params("body.parameter_list", &r.parameter_list)
            }
            Body::GetParameterNames(r) => {
                self.string("body.parameter_path", &r.parameter_path, 256)
            }
            Body::GetParameterNamesResponse(r) => {
                for (i, p) in r.parameter_list.iter().enumerate() {
                    self.string(&format!("body.parameter_list[{i}].name"), &p.name, 256);
                }
            }
            Body::SetParameterAttributes(r) => {
                self.count("body.parameter_list", r.parameter_list.len(), 1, usize::MAX);
                for (i, p) in r.parameter_list.iter().enumerate() {
                    let path = format!("body.parameter_list[{i}]");
                    self.string(&format!("{path}.name"), &p.name, 256);
                    self.notification(&format!("{path}.notification"), p.notification);
                    self.access_list(&format!("{path}.access_list"), &p.access_list);
                }
            }
            Body::GetParameterAttributesResponse(r) => {
                for (i, p) in r.parameter_list.iter().enumerate() {
                    let path = format!("body.parameter_list[{i}]");
                    self.string(&format!("{path}.name"), &p.name, 256);
                    self.notification(&format!("{path}.notification"), p.notification);
                    self.access_list(&format!("{path}.access_list"), &p.access_list);
                }
            }
            Body::AddObject(AddObject {
                object_name,
                parameter_key,
            })
            | Body::DeleteObject(DeleteObject {
                object_name,
                parameter_key,
            }) => {
                self.object_name("body.object_name", object_name);
                self.string("body.parameter_key", parameter_key, 32);
            }
            Body::AddObjectResponse(r) => {
                if r.instance_number == 0 {
                    self.fail("body.instance_number", "instance numbers start at 1");
                }
                self.status("body.status", r.status);
            }
            Body::DeleteObjectResponse(r) => self.status("body.status", r.status),
            Body::Reboot(r) => self.command_key("body.command_key", &r.command_key),
            Body::Download(r) => {
                self.command_key("body.command_key", &r.command_key);
                self.file_type("body.file_type", &r.file_type, FileTypeUse::Download);
                for (p, s) in [
                    ("body.url", &r.url),
                    ("body.username", &r.username),
                    ("body.password", &r.password),
                    ("body.target_file_name", &r.target_file_name),
                    ("body.success_url", &r.success_url),
                    ("body.failure_url", &r.failure_url),
                ] {
                    self.string(p, s, 256);
                }
            }
            Body::DownloadResponse(DownloadResponse { status, .. })
            | Body::UploadResponse(UploadResponse { status, .. }) => {
                self.status("body.status", *status)
            }
            Body::Upload(r) => {
                self.command_key("body.command_key", &r.command_key);
                self.file_type("body.file_type", &r.file_type, FileTypeUse::Upload);
                for (p, s) in [
                    ("body.url", &r.url),
                    ("body.username", &r.username),
                    ("body.password", &r.password),
                ] {
                    self.string(p, s, 256);
                }
            }
            Body::GetQueuedTransfersResponse(r) => {
                self.count("body.transfer_list", r.transfer_list.len(), 0, 16);
                for (i, t) in r.transfer_list.iter().enumerate() {
                    self.command_key(
                        &format!("body.transfer_list[{i}].command_key"),
                        &t.command_key,
                    );
                    self.range(
                        &format!("body.transfer_list[{i}].state"),
                        t.state as i64,
                        1,
                        3,
                    );
                }
            }
            Body::GetAllQueuedTransfersResponse(r) => {
                self.count("body.transfer_list", r.transfer_list.len(), 0, 16);
                for (i, t) in r.transfer_list.iter().enumerate() {
                    let path = format!("body.transfer_list[{i}]");
                    self.command_key(&format!("{path}.command_key"), &t.command_key);
                    self.range(&format!("{path}.state"), t.state as i64, 1, 3);
                    self.file_type(
                        &format!("{path}.file_type"),
                        &t.file_type,
                        FileTypeUse::Transfer,
                    );
                    self.string(
                        &format!("{path}.target_file_name"),
                        &t.target_file_name,
                        256,
                    );
                }
            }
            Body::ScheduleInform(r) => {
                if r.delay_seconds == 0 {
                    self.fail("body.delay_seconds", "must be at least 1");
                }
                self.command_key("body.command_key", &r.command_key);
            }
            Body::SetVouchers(r) => {
                self.count("body.voucher_list", r.voucher_list.len(), 1, usize::MAX);
                for (i, v) in r.voucher_list.iter().enumerate() {
                    if super::value::XsdType::Base64.validate(v).is_err() {
                        self.fail(format!("body.voucher_list[{i}]"), "not base64");
                    }
                }
            }
            Body::GetOptions(r) => self.string("body.option_name", &r.option_name, 64),
            Body::GetOptionsResponse(r) => {
                for (i, o) in r.option_list.iter().enumerate() {
                    let path = format!("body.option_list[{i}]");
                    self.string(&format!("{path}.option_name"), &o.option_name, 64);
                    self.range(&format!("{path}.state"), o.state as i64, 0, 3);
                    self.range(&format!("{path}.mode"), o.mode as i64, 0, 2);
                    self.range(
                        &format!("{path}.is_transferable"),
                        o.is_transferable as i64,
                        0,
                        1,
                    );
                }
            }
            Body::ScheduleDownload(r) => {
                self.command_key("body.command_key", &r.command_key);
                self.file_type("body.file_type", &r.file_type, FileTypeUse::Download);
                for (p, s) in [
                    ("body.url", &r.url),
                    ("body.username", &r.username),
                    ("body.password", &r.password),
                    ("body.target_file_name", &r.target_file_name),
                ] {
                    self.string(p, s, 256);
                }
                self.count("body.time_window_list", r.time_window_list.len(), 1, 2);
                for (i, w) in r.time_window_list.iter().enumerate() {
                    let path = format!("body.time_window_list[{i}]");
                    let m = w.window_mode.as_str();
                    self.string(&format!("{path}.window_mode"), m, 64);
                    if !(is_numbered(m) || is_oui_vendor(m, false) || is_token_vendor(m))
                        || m.starts_with('0')
                    {
                        self.fail(
                            format!("{path}.window_mode"),
                            format!("{m:?} is not a window mode"),
                        );
                    }
                    self.string(&format!("{path}.user_message"), &w.user_message, 256);
                }
            }
            Body::CancelTransfer(r) => self.command_key("body.command_key", &r.command_key),
            Body::ChangeDUState(r) => {
                self.count("body.operations", r.operations.len(), 1, usize::MAX);
                for (i, op) in r.operations.iter().enumerate() {
                    let path = format!("body.operations[{i}]");
                    match op {
                        OperationStruct::Install(o) => {
                            self.string(&format!("{path}.url"), &o.url, 1024);
                            if let Some(u) = &o.uuid {
                                self.uuid(&format!("{path}.uuid"), u);
                            }
                            for (f, v) in [
                                ("username", &o.username),
                                ("password", &o.password),
                                ("execution_env_ref", &o.execution_env_ref),
                            ] {
                                if let Some(v) = v {
                                    self.string(&format!("{path}.{f}"), v, 256);
                                }
                            }
                        }
                        OperationStruct::Update(o) => {
                            if let Some(u) = &o.uuid {
                                self.uuid(&format!("{path}.uuid"), u);
                            }
                            if let Some(v) = &o.version {
                                self.string(&format!("{path}.version"), v, 32);
                            }
                            if let Some(v) = &o.url {
                                self.string(&format!("{path}.url"), v, 1024);
                            }
                            for (f, v) in [("username", &o.username), ("password", &o.password)] {
                                if let Some(v) = v {
                                    self.string(&format!("{path}.{f}"), v, 256);
                                }
                            }
                        }
                        OperationStruct::Uninstall(o) => {
                            self.uuid(&format!("{path}.uuid"), &o.uuid);
                            if let Some(v) = &o.version {
                                self.string(&format!("{path}.version"), v, 32);
                            }
                            if let Some(v) = &o.execution_env_ref {
                                self.string(&format!("{path}.execution_env_ref"), v, 256);
                            }
                        }
                    }
                }
                if let Some(k) = &r.command_key {
                    self.command_key("body.command_key", k);
                }
            }
            Body::Inform(r) => {
                let d = &r.device_id;
                self.string("body.device_id.manufacturer", &d.manufacturer, 64);
                if d.oui.len() != 6
                    || !d
                        .oui
                        .bytes()
                        .all(|b| b.is_ascii_digit() || (b'A'..=b'F').contains(&b))
                {
                    self.fail("body.device_id.oui", "an OUI is 6 upper-case hex digits");
                }
                self.string("body.device_id.product_class", &d.product_class, 64);
                self.string("body.device_id.serial_number", &d.serial_number, 64);
                self.count("body.event", r.event.len(), 0, 64);
                for (i, e) in r.event.iter().enumerate() {
                    self.event_code(&format!("body.event[{i}].event_code"), &e.event_code);
                    self.command_key(&format!("body.event[{i}].command_key"), &e.command_key);
                }
                self.params("body.parameter_list", &r.parameter_list);
            }
            Body::TransferComplete(r) => {
                self.command_key("body.command_key", &r.command_key);
                self.transfer_fault("body.fault_struct", &r.fault_struct);
            }
            Body::AutonomousTransferComplete(r) => {
                self.string("body.announce_url", &r.announce_url, 1024);
                self.string("body.transfer_url", &r.transfer_url, 1024);
                self.file_type("body.file_type", &r.file_type, FileTypeUse::Transfer);
                self.string("body.target_file_name", &r.target_file_name, 256);
                self.transfer_fault("body.fault_struct", &r.fault_struct);
            }
            Body::RequestDownload(r) => {
                self.file_type("body.file_type", &r.file_type, FileTypeUse::Download);
                self.count("body.file_type_arg", r.file_type_arg.len(), 0, 16);
                for (i, a) in r.file_type_arg.iter().enumerate() {
                    self.string(&format!("body.file_type_arg[{i}].name"), &a.name, 64);
                    self.string(&format!("body.file_type_arg[{i}].value"), &a.value, 256);
                }
            }
            Body::Kicked(r) => {
                self.string("body.command", &r.command, 32);
                self.string("body.referer", &r.referer, 64);
                self.string("body.arg", &r.arg, 256);
                self.string("body.next", &r.next, 1024);
            }
            Body::KickedResponse(r) => self.string("body.next_url", &r.next_url, 1024),
            Body::DUStateChangeComplete(r) => {
                self.count("body.results", r.results.len(), 1, usize::MAX);
                for (i, o) in r.results.iter().enumerate() {
                    self.op_result(
                        &format!("body.results[{i}]"),
                        &o.uuid,
                        &o.version,
                        &o.current_state,
                        &o.fault,
                    );
                }
                if let Some(k) = &r.command_key {
                    self.command_key("body.command_key", k);
                }
            }
            Body::AutonomousDUStateChangeComplete(r) => {
                self.count("body.results", r.results.len(), 1, usize::MAX);
                for (i, o) in r.results.iter().enumerate() {
                    self.op_result(
                        &format!("body.results[{i}]"),
                        &o.uuid,
                        &o.version,
                        &o.current_state,
                        &o.fault,
                    );
                }
            }
            Body::Fault(f) => self.fault(f),
            _ => {}
        }
    }

    fn op_result(
        &mut self,
        path: &str,
        uuid: &str,
        version: &str,
        state: &str,
        fault: &DeploymentUnitFaultStruct,
    ) {
        self.uuid(&format!("{path}.uuid"), uuid);
        self.string(&format!("{path}.version"), version, 32);
        if !matches!(state, "Installed" | "Uninstalled" | "Failed") {
            self.fail(
                format!("{path}.current_state"),
                "must be Installed, Uninstalled or Failed",
            );
        }
        let n = fault.fault_code.code();
        if !matches!(n, 0 | 9001 | 9003 | 9012 | 9013 | 9015..=9018 | 9022..=9032 | 9033..=9899) {
            self.fail(
                format!("{path}.fault.fault_code"),
                format!("{n} is not a deployment unit fault code"),
            );
        }
    }
}

#[derive(Clone, Copy)]
enum FileTypeUse {
    Download,
    Upload,
    Transfer,
}

/// `[1-9]\d*( \S+)+` (also the event form `\d+( \S+)+`, checked loosely on the first digit).
fn is_numbered(s: &str) -> bool {
    let mut parts = s.split(' ');
    let Some(num) = parts.next() else {
        return false;
    };
    if num.is_empty() || !num.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let rest: Vec<&str> = parts.collect();
    !rest.is_empty()
        && rest
            .iter()
            .all(|p| !p.is_empty() && !p.contains(char::is_whitespace))
}

/// `X [0-9A-F]{6} .+` (or `.*` when `empty_ok`).
fn is_oui_vendor(s: &str, empty_ok: bool) -> bool {
    let Some(rest) = s.strip_prefix("X ") else {
        return false;
    };
    let b = rest.as_bytes();
    b.len() >= 7
        && b[..6]
            .iter()
            .all(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(c))
        && b[6] == b' '
        && (empty_ok || b.len() > 7)
}

/// `X \S+ .+`
fn is_token_vendor(s: &str) -> bool {
    let Some(rest) = s.strip_prefix("X ") else {
        return false;
    };
    match rest.split_once(' ') {
        Some((tok, tail)) => !tok.is_empty() && !tail.is_empty(),
        None => false,
    }
}

/// Whether every character is allowed by XML 1.0 (no C0 controls but tab, LF, CR; no
/// U+FFFE or U+FFFF), checked on the bytes.
fn xml_chars_ok(s: &str) -> bool {
    let b = s.as_bytes();
    // every byte is looked at (no early exit), which lets the compiler test many at once;
    // U+FFFE and U+FFFF (EF BF BE, EF BF BF) are then looked for only past a 0xEF byte
    let controls = b.iter().fold(false, |bad, &c| {
        bad | (c < 0x20 && !matches!(c, 0x09 | 0x0a | 0x0d))
    });
    !controls
        && memchr::memchr_iter(0xef, b)
            .all(|i| !(b.get(i + 1) == Some(&0xbf) && matches!(b.get(i + 2), Some(0xbe | 0xbf))))
}

/// `M X_\S+`
fn is_vendor_method(s: &str) -> bool {
    s.strip_prefix("M X_")
        .is_some_and(|m| !m.is_empty() && !m.contains(char::is_whitespace))
}

/// Lists what in a message body breaks the schema of `version` (the body part of
/// [`check`], without building an envelope).
pub fn check_body(version: CwmpVersion, body: &Body) -> Vec<SchemaViolation> {
    let mut c = Checker {
        version,
        out: Vec::new(),
    };
    c.body(body);
    c.out
}

/// Lists what in `env` breaks its schema (empty when it would validate).
pub fn check(env: &Envelope) -> Vec<SchemaViolation> {
    let mut c = Checker {
        version: env.version,
        out: Vec::new(),
    };
    if env.body == Body::Empty {
        return c.out;
    }
    if !env.namespace.is_standard() {
        c.fail(
            "namespace",
            format!(
                "{} has no BBF schema (CWMP 1.3 and 1.4 use cwmp-1-2)",
                env.namespace.uri()
            ),
        );
    } else if env.namespace != env.version.namespace() {
        c.fail(
            "namespace",
            format!(
                "CWMP {} is carried in {}",
                env.version,
                env.version.namespace().uri()
            ),
        );
    }
    if let Some(id) = &env.header.id {
        c.chars("header.id", id);
    }
    for (p, v) in [
        (
            "header.supported_cwmp_versions",
            &env.header.supported_cwmp_versions,
        ),
        ("header.use_cwmp_version", &env.header.use_cwmp_version),
    ] {
        if let Some(v) = v {
            c.chars(p, v);
        }
    }
    c.body(&env.body);
    c.out
}

#[cfg(test)]
mod tests {
    use super::xml_chars_ok;

    #[test]
    fn xml_characters_are_told_from_the_forbidden_ones() {
        for ok in [
            "",
            "plain",
            "tab\tLF\nCR\r",
            "é ü 中",
            "\u{fffd}",
            "\u{efff}",
            "\u{feff}",
        ] {
            assert!(xml_chars_ok(ok), "{ok:?}");
        }
        let long = "x".repeat(100);
        for bad in [
            "\u{1}".to_owned(),
            "\u{1f}".to_owned(),
            "\u{0}".to_owned(),
            format!("{long}\u{b}"),
            format!("{long}\u{fffe}{long}"),
            "\u{ffff}".to_owned(),
        ] {
            assert!(!xml_chars_ok(&bad), "{bad:?}");
        }
    }
}
