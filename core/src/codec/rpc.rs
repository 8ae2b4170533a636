//! The arguments of every CWMP 1.0-1.4 method and response (TR-069 Annex A; cwmp-1-2.xsd,
//! cwmp-1-4.xsd). Field names are the XSD element names in snake_case; fields are in XSD
//! sequence order, which is the order they are written in.

use serde::{Deserialize, Serialize};

use super::codes::{EventCode, FaultCode, FileType};
use super::datetime::DateTime;
use super::dom::NodeId;
use super::error::DecodeError;
use super::value::{ParameterValueStruct, Value, XsdType};
use super::write::Writer;
use super::xml::{array, field, missing, optional, repeated, required, write_array, Ctx, Xml};

/// Reads one field according to its kind (see [`cwmp_struct!`]).
macro_rules! read_kind {
    ($cx:ident, $node:ident, $n:literal) => {
        field($cx, $node, $n)
    };
    ($cx:ident, $node:ident, [req $n:literal]) => {
        required($cx, $node, $n)
    };
    ($cx:ident, $node:ident, [opt $n:literal]) => {
        optional($cx, $node, $n)
    };
    ($cx:ident, $node:ident, [rep $n:literal]) => {
        repeated($cx, $node, $n)
    };
    ($cx:ident, $node:ident, [array $n:literal $item:literal $at:literal]) => {
        array($cx, $node, $n, $item)
    };
}

/// Writes one field according to its kind.
macro_rules! write_kind {
    ($w:ident, $v:expr, $n:literal) => {
        Xml::write(&$v, $w, $n)
    };
    ($w:ident, $v:expr, [req $n:literal]) => {
        Xml::write(&$v, $w, $n)
    };
    ($w:ident, $v:expr, [opt $n:literal]) => {
        if let Some(x) = &$v {
            Xml::write(x, $w, $n)
        }
    };
    ($w:ident, $v:expr, [rep $n:literal]) => {
        for x in &$v {
            Xml::write(x, $w, $n)
        }
    };
    ($w:ident, $v:expr, [array $n:literal $item:literal $at:literal]) => {
        write_array($w, $n, $item, $at, &$v)
    };
}

/// Declares a CWMP struct: the Rust struct (serde, defaults for absent JSON fields, unknown
/// JSON fields refused) and its XML reading and writing. Field kinds:
/// `"Name"` an element (absent: default + warning), `[req "Name"]` a mandatory element,
/// `[opt "Name"]` an optional one, `[rep "Name"]` a repeated one, and
/// `[array "Name" "Item" "cwmp:Item"]` a SOAP-encoded array.
macro_rules! cwmp_struct {
    (
        $(#[$m:meta])*
        pub struct $name:ident {
            $( $(#[$fm:meta])* pub $f:ident : $t:ty = $kind:tt, )*
        }
    ) => {
        $(#[$m])*
        #[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
        #[serde(default, deny_unknown_fields)]
        pub struct $name {
            $( $(#[$fm])* pub $f: $t, )*
        }

        impl Xml for $name {
            #[allow(unused_variables)]
            fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
                Ok($name { $( $f: read_kind!(cx, node, $kind)?, )* })
            }
            fn write(&self, w: &mut Writer<'_>, tag: &str) {
                w.open(tag);
                self.write_fields(w);
                w.close(tag);
            }
        }

        impl $name {
            #[allow(unused_variables)]
            pub(crate) fn write_fields(&self, w: &mut Writer<'_>) {
                $( write_kind!(w, self.$f, $kind); )*
            }
        }
    };
}

// ---------------------------------------------------------------- shared structs

impl Xml for ParameterValueStruct {
    /// The hot path of every Inform and GetParameterValuesResponse: one pass over the two
    /// children. A missing or unknown `xsi:type` is read as `xsd:string`; a text that does not
    /// match its declared type is kept as a string. Both with a warning.
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        let dom = cx.dom;
        let (mut name, mut value) = (None, None);
        for c in dom.children(node) {
            if dom.is_named(c, b"Name") {
                name = Some(c);
            } else if dom.is_named(c, b"Value") {
                value = Some(c);
            }
        }
        let Some(name_node) = name else {
            return Err(missing(dom, node, "Name"));
        };
        let name = cx.trimmed(name_node).into_owned();
        let Some(value_node) = value else {
            cx.warn(node, "missing <Value>; taken as an empty string");
            return Ok(ParameterValueStruct {
                name,
                value: Value::string(""),
            });
        };
        let text = cx.text(value_node);
        let declared = match dom.attr_spelled(value_node, b"xsi:type", b"type") {
            // the common spellings, straight from the bytes
            Some(b"xsd:string") => XsdType::String,
            Some(b"xsd:unsignedInt") => XsdType::UnsignedInt,
            Some(b"xsd:int") => XsdType::Int,
            Some(b"xsd:boolean") => XsdType::Boolean,
            Some(b"xsd:dateTime") => XsdType::DateTime,
            Some(t) => {
                let t = String::from_utf8_lossy(t);
                match XsdType::from_type_name(&t) {
                    Some(x) => x,
                    None => {
                        cx.warn(
                            value_node,
                            format!("unknown xsi:type {t:?}; taken as xsd:string"),
                        );
                        XsdType::String
                    }
                }
            }
            None => {
                cx.warn(value_node, "no xsi:type; taken as xsd:string");
                XsdType::String
            }
        };
        let value = match declared.validate(&text) {
            Ok(()) => Value::new_unchecked(declared, text),
            Err(_) => {
                if declared == XsdType::Boolean
                    && matches!(text.trim().to_ascii_lowercase().as_str(), "true" | "false")
                {
                    cx.warn(
                        value_node,
                        format!("boolean written {:?}; normalised", text.trim()),
                    );
                    Value::boolean(text.trim().eq_ignore_ascii_case("true"))
                } else {
                    let msg = format!(
                        "{:?} is not a valid xsd:{declared}; kept as xsd:string",
                        super::value::truncate(&text, 64)
                    );
                    cx.warn(value_node, msg);
                    Value::string(text)
                }
            }
        };
        Ok(ParameterValueStruct { name, value })
    }

    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        w.open(tag);
        w.element("Name", &self.name);
        w.raw("<Value xsi:type=\"");
        w.raw(self.value.xsd_type().wire_qname());
        w.raw("\">");
        w.text(self.value.as_str());
        w.raw("</Value>");
        w.close(tag);
    }
}

cwmp_struct! {
    /// `DeviceIdStruct`: who the CPE is (TR-069 A.3.3.1).
    pub struct DeviceIdStruct {
        /// Manufacturer name (≤64).
        pub manufacturer: String = "Manufacturer",
        /// Organizationally unique identifier: 6 upper-case hex digits.
        pub oui: String = [req "OUI"],
        /// Product class (≤64), may be empty.
        pub product_class: String = "ProductClass",
        /// Serial number (≤64).
        pub serial_number: String = [req "SerialNumber"],
    }
}

impl DeviceIdStruct {
    /// The `OUI-[ProductClass-]SerialNumber` form used to name a device (TR-069 3.4.4).
    pub fn device_key(&self) -> String {
        if self.product_class.is_empty() {
            format!("{}-{}", self.oui, self.serial_number)
        } else {
            format!("{}-{}-{}", self.oui, self.product_class, self.serial_number)
        }
    }
}

impl Xml for EventStruct {
    /// Besides the standard form, some devices put several `EventCode`/`CommandKey` pairs in
    /// one `EventStruct`; only the first is read here, and [`read_events`] splits the rest.
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        Ok(EventStruct {
            event_code: field(cx, node, "EventCode")?,
            command_key: field(cx, node, "CommandKey")?,
        })
    }
    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        w.open(tag);
        self.event_code.write(w, "EventCode");
        self.command_key.write(w, "CommandKey");
        w.close(tag);
    }
}

/// One `EventStruct` of an Inform.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct EventStruct {
    /// The event.
    pub event_code: EventCode,
    /// The CommandKey of the request behind an `M ...` event; empty otherwise.
    pub command_key: String,
}

impl EventStruct {
    /// An event with an empty CommandKey.
    pub fn new(event_code: EventCode) -> Self {
        EventStruct {
            event_code,
            command_key: String::new(),
        }
    }
    /// An `M ...` event with its CommandKey.
    pub fn with_command_key(event_code: EventCode, command_key: impl Into<String>) -> Self {
        EventStruct {
            event_code,
            command_key: command_key.into(),
        }
    }
}

/// Reads the Inform `Event` array, splitting EventStructs that carry several EventCodes.
fn read_events(cx: &mut Ctx<'_, '_>, inform: NodeId) -> Result<Vec<EventStruct>, DecodeError> {
    let dom = cx.dom;
    let Some(arr) = dom.child(inform, b"Event") else {
        cx.warn(inform, "missing <Event>; taken as no events");
        return Ok(Vec::new());
    };
    let mut events = Vec::new();
    for s in dom.children(arr) {
        let codes: Vec<NodeId> = dom
            .children(s)
            .filter(|&c| dom.is_named(c, b"EventCode"))
            .collect();
        if codes.len() <= 1 {
            events.push(EventStruct::read(cx, s)?);
            continue;
        }
        cx.warn(
            s,
            format!(
                "one EventStruct holds {} EventCodes; split into as many events",
                codes.len()
            ),
        );
        let keys: Vec<NodeId> = dom
            .children(s)
            .filter(|&c| dom.is_named(c, b"CommandKey"))
            .collect();
        for (i, code) in codes.iter().enumerate() {
            let event_code = EventCode::read(cx, *code)?;
            let command_key = match keys.get(i) {
                Some(&k) => cx.text(k),
                None => String::new(),
            };
            events.push(EventStruct {
                event_code,
                command_key,
            });
        }
    }
    match dom.attr(arr, b"arrayType") {
        Some(at) => {
            let at = String::from_utf8_lossy(at).into_owned();
            if !at.contains(&format!("[{}]", events.len())) {
                let msg = format!(
                    "arrayType {at:?} does not match the {} events found",
                    events.len()
                );
                cx.warn(arr, msg);
            }
        }
        None if !events.is_empty() => cx.warn(arr, "array without soapenc:arrayType"),
        None => {}
    }
    Ok(events)
}

cwmp_struct! {
    /// `ParameterInfoStruct`: one entry of a GetParameterNamesResponse.
    pub struct ParameterInfoStruct {
        /// Parameter or object name (objects end in `.`).
        pub name: String = [req "Name"],
        /// Whether the ACS may set it (or, for an object, add/delete instances).
        pub writable: bool = "Writable",
    }
}

cwmp_struct! {
    /// `SetParameterAttributesStruct`: one change of notification and access attributes.
    pub struct SetParameterAttributesStruct {
        /// Parameter name or partial path.
        pub name: String = [req "Name"],
        /// Whether `notification` is to be applied.
        pub notification_change: bool = "NotificationChange",
        /// 0 off, 1 passive, 2 active; 3-6 lightweight (CWMP 1.4).
        pub notification: i32 = "Notification",
        /// Whether `access_list` is to be applied.
        pub access_list_change: bool = "AccessListChange",
        /// Entities allowed to write besides the ACS (only "Subscriber" is defined).
        pub access_list: Vec<String> = [array "AccessList" "string" "xsd:string"],
    }
}

cwmp_struct! {
    /// `ParameterAttributeStruct`: one entry of a GetParameterAttributesResponse.
    pub struct ParameterAttributeStruct {
        /// Parameter name.
        pub name: String = [req "Name"],
        /// 0 off, 1 passive, 2 active; 3-6 lightweight (CWMP 1.4).
        pub notification: i32 = "Notification",
        /// Entities allowed to write besides the ACS.
        pub access_list: Vec<String> = [array "AccessList" "string" "xsd:string"],
    }
}

cwmp_struct! {
    /// `TimeWindowStruct` of a ScheduleDownload.
    pub struct TimeWindowStruct {
        /// Window start, seconds after the request.
        pub window_start: u32 = "WindowStart",
        /// Window end, seconds after the request.
        pub window_end: u32 = "WindowEnd",
        /// "1 At Any Time", "2 Immediately", "3 When Idle", "4 Confirmation Needed" or vendor.
        pub window_mode: String = "WindowMode",
        /// Message for the user (≤256).
        pub user_message: String = "UserMessage",
        /// Retries allowed (-1 = CPE decides).
        pub max_retries: i32 = "MaxRetries",
    }
}

cwmp_struct! {
    /// `QueuedTransferStruct` of a GetQueuedTransfersResponse.
    pub struct QueuedTransferStruct {
        /// The transfer's CommandKey.
        pub command_key: String = "CommandKey",
        /// 1 not started, 2 in progress, 3 completed.
        pub state: i32 = "State",
    }
}

cwmp_struct! {
    /// `AllQueuedTransferStruct` of a GetAllQueuedTransfersResponse.
    pub struct AllQueuedTransferStruct {
        /// The transfer's CommandKey.
        pub command_key: String = "CommandKey",
        /// 1 not started, 2 in progress, 3 completed.
        pub state: i32 = "State",
        /// Download (true) or upload.
        pub is_download: bool = "IsDownload",
        /// File type.
        pub file_type: FileType = "FileType",
        /// Size in bytes (0 = unknown).
        pub file_size: u32 = "FileSize",
        /// Target file name.
        pub target_file_name: String = "TargetFileName",
    }
}

cwmp_struct! {
    /// `OptionStruct` of a GetOptionsResponse (deprecated in TR-069 Amendment 6).
    pub struct OptionStruct {
        /// Option name (≤64).
        pub option_name: String = "OptionName",
        /// Voucher serial number.
        pub voucher_sn: u32 = "VoucherSN",
        /// 0..3.
        pub state: u32 = "State",
        /// 0..2.
        pub mode: i32 = "Mode",
        /// Start date.
        pub start_date: DateTime = "StartDate",
        /// Expiration date, if any.
        pub expiration_date: Option<DateTime> = [opt "ExpirationDate"],
        /// 0 or 1.
        pub is_transferable: i32 = "IsTransferable",
    }
}

cwmp_struct! {
    /// `ArgStruct` of a RequestDownload.
    pub struct ArgStruct {
        /// Argument name (≤64).
        pub name: String = "Name",
        /// Argument value (≤256).
        pub value: String = "Value",
    }
}

/// `TransferCompleteFaultStruct` / `FaultStruct`: the outcome of a transfer (0 = success).
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FaultStruct {
    /// 0 on success, else a transfer fault code.
    pub fault_code: FaultCode,
    /// Human-readable reason (≤256), empty on success.
    pub fault_string: String,
}

impl FaultStruct {
    /// Success (code 0, empty string).
    pub fn success() -> Self {
        FaultStruct::default()
    }
    /// True when the code is 0.
    pub fn is_success(&self) -> bool {
        self.fault_code.code() == 0
    }
}

impl Xml for FaultStruct {
    /// Also reads the malformed form `<FaultStruct>0</FaultStruct>` (code as text, no
    /// children), with a warning.
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        if cx.dom.child_count(node) == 0 {
            let t = cx.trimmed(node);
            if let Ok(n) = t.parse::<u32>() {
                cx.warn(
                    node,
                    format!("FaultStruct holds the bare text {n:?}; read as its FaultCode"),
                );
                return Ok(FaultStruct {
                    fault_code: FaultCode::from_code(n),
                    fault_string: String::new(),
                });
            }
        }
        Ok(FaultStruct {
            fault_code: required(cx, node, "FaultCode")?,
            fault_string: field(cx, node, "FaultString")?,
        })
    }
    fn absent(
        cx: &mut Ctx<'_, '_>,
        parent: NodeId,
        name: &'static str,
    ) -> Result<Self, DecodeError> {
        Err(missing(cx.dom, parent, name))
    }
    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        w.open(tag);
        self.fault_code.write(w, "FaultCode");
        w.element("FaultString", &self.fault_string);
        w.close(tag);
    }
}

cwmp_struct! {
    /// `DeploymentUnitFaultStruct` of a DU operation result.
    pub struct DeploymentUnitFaultStruct {
        /// 0 on success, else a DU fault code.
        pub fault_code: FaultCode = [req "FaultCode"],
        /// Reason, if any.
        pub fault_string: Option<String> = [opt "FaultString"],
    }
}

cwmp_struct! {
    /// `InstallOpStruct` of a ChangeDUState.
    pub struct InstallOpStruct {
        /// Where to fetch the DU (≤1024).
        pub url: String = "URL",
        /// DU UUID.
        pub uuid: Option<String> = [opt "UUID"],
        /// File server user name.
        pub username: Option<String> = [opt "Username"],
        /// File server password.
        pub password: Option<String> = [opt "Password"],
        /// Execution environment path.
        pub execution_env_ref: Option<String> = [opt "ExecutionEnvRef"],
    }
}

cwmp_struct! {
    /// `UpdateOpStruct` of a ChangeDUState.
    pub struct UpdateOpStruct {
        /// DU UUID.
        pub uuid: Option<String> = [opt "UUID"],
        /// Version to update.
        pub version: Option<String> = [opt "Version"],
        /// Where to fetch the update.
        pub url: Option<String> = [opt "URL"],
        /// File server user name.
        pub username: Option<String> = [opt "Username"],
        /// File server password.
        pub password: Option<String> = [opt "Password"],
    }
}

cwmp_struct! {
    /// `UninstallOpStruct` of a ChangeDUState.
    pub struct UninstallOpStruct {
        /// DU UUID.
        pub uuid: String = "UUID",
        /// Version to uninstall.
        pub version: Option<String> = [opt "Version"],
        /// Execution environment path.
        pub execution_env_ref: Option<String> = [opt "ExecutionEnvRef"],
    }
}

/// One operation of a ChangeDUState, told apart on the wire by `xsi:type`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "operation", deny_unknown_fields)]
pub enum OperationStruct {
    /// Install a deployment unit.
    Install(InstallOpStruct),
    /// Update one.
    Update(UpdateOpStruct),
    /// Uninstall one.
    Uninstall(UninstallOpStruct),
}

impl Default for OperationStruct {
    fn default() -> Self {
        OperationStruct::Install(InstallOpStruct::default())
    }
}

impl Xml for OperationStruct {
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        let t = cx
            .dom
            .attr(node, b"type")
            .map(|t| String::from_utf8_lossy(t).into_owned());
        let local = t.as_deref().map(|t| t.rsplit(':').next().unwrap_or(t));
        Ok(match local {
            Some("InstallOpStruct") => OperationStruct::Install(InstallOpStruct::read(cx, node)?),
            Some("UpdateOpStruct") => OperationStruct::Update(UpdateOpStruct::read(cx, node)?),
            Some("UninstallOpStruct") => {
                OperationStruct::Uninstall(UninstallOpStruct::read(cx, node)?)
            }
            other => {
                // No (or an unknown) xsi:type: tell the operation by its arguments.
                let dom = cx.dom;
                let has = |n: &[u8]| dom.child(node, n).is_some();
                let guess = if has(b"URL") && !has(b"Version") {
                    OperationStruct::Install(InstallOpStruct::read(cx, node)?)
                } else if has(b"UUID") && !has(b"URL") && !has(b"Username") {
                    OperationStruct::Uninstall(UninstallOpStruct::read(cx, node)?)
                } else {
                    OperationStruct::Update(UpdateOpStruct::read(cx, node)?)
                };
                let kind = match &guess {
                    OperationStruct::Install(_) => "InstallOpStruct",
                    OperationStruct::Update(_) => "UpdateOpStruct",
                    OperationStruct::Uninstall(_) => "UninstallOpStruct",
                };
                cx.warn(
                    node,
                    format!(
                        "operation xsi:type {:?}; read as {kind} from its arguments",
                        other.unwrap_or("")
                    ),
                );
                guess
            }
        })
    }
    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        let (ty, fields): (&str, &dyn Fn(&mut Writer<'_>)) = match self {
            OperationStruct::Install(o) => ("cwmp:InstallOpStruct", &|w| o.write_fields(w)),
            OperationStruct::Update(o) => ("cwmp:UpdateOpStruct", &|w| o.write_fields(w)),
            OperationStruct::Uninstall(o) => ("cwmp:UninstallOpStruct", &|w| o.write_fields(w)),
        };
        w.raw("<");
        w.raw(tag);
        w.raw(" xsi:type=\"");
        w.raw(ty);
        w.raw("\">");
        fields(w);
        w.close(tag);
    }
}

cwmp_struct! {
    /// `OpResultStruct`: the result of one DU operation.
    pub struct OpResultStruct {
        /// DU UUID.
        pub uuid: String = "UUID",
        /// Path of the DeploymentUnit row.
        pub deployment_unit_ref: String = "DeploymentUnitRef",
        /// DU version (≤32).
        pub version: String = "Version",
        /// "Installed", "Uninstalled" or "Failed".
        pub current_state: String = "CurrentState",
        /// Whether dependencies were resolved.
        pub resolved: bool = "Resolved",
        /// Comma-separated ExecutionUnit paths.
        pub execution_unit_ref_list: String = "ExecutionUnitRefList",
        /// Start of the operation.
        pub start_time: DateTime = "StartTime",
        /// End of the operation.
        pub complete_time: DateTime = "CompleteTime",
        /// Outcome.
        pub fault: DeploymentUnitFaultStruct = "Fault",
    }
}

cwmp_struct! {
    /// `AutonOpResultStruct`: an OpResultStruct plus the operation performed.
    pub struct AutonOpResultStruct {
        /// DU UUID.
        pub uuid: String = "UUID",
        /// Path of the DeploymentUnit row.
        pub deployment_unit_ref: String = "DeploymentUnitRef",
        /// DU version (≤32).
        pub version: String = "Version",
        /// "Installed", "Uninstalled" or "Failed".
        pub current_state: String = "CurrentState",
        /// Whether dependencies were resolved.
        pub resolved: bool = "Resolved",
        /// Comma-separated ExecutionUnit paths.
        pub execution_unit_ref_list: String = "ExecutionUnitRefList",
        /// Start of the operation.
        pub start_time: DateTime = "StartTime",
        /// End of the operation.
        pub complete_time: DateTime = "CompleteTime",
        /// Outcome.
        pub fault: DeploymentUnitFaultStruct = "Fault",
        /// "Install", "Update", "Uninstall" or vendor.
        pub operation_performed: String = "OperationPerformed",
    }
}

// ---------------------------------------------------------------- CPE methods (ACS -> CPE)

cwmp_struct! {
    /// GetRPCMethodsResponse: the methods the responder supports.
    pub struct GetRPCMethodsResponse {
        /// Method names.
        pub method_list: Vec<String> = [array "MethodList" "string" "xsd:string"],
    }
}

cwmp_struct! {
    /// SetParameterValues (TR-069 A.3.2.1): set parameters atomically.
    pub struct SetParameterValues {
        /// Names and values to set.
        pub parameter_list: Vec<ParameterValueStruct> = [array "ParameterList" "ParameterValueStruct" "cwmp:ParameterValueStruct"],
        /// New ManagementServer.ParameterKey, applied only on success (≤32).
        pub parameter_key: String = "ParameterKey",
    }
}

cwmp_struct! {
    /// SetParameterValuesResponse.
    pub struct SetParameterValuesResponse {
        /// 0 = applied; 1 = committed, applied later (e.g. after reboot).
        pub status: i32 = "Status",
    }
}

cwmp_struct! {
    /// GetParameterValues (TR-069 A.3.2.2): names or partial paths (ending in `.`).
    pub struct GetParameterValues {
        /// Names or partial paths.
        pub parameter_names: Vec<String> = [array "ParameterNames" "string" "xsd:string"],
    }
}

cwmp_struct! {
    /// GetParameterValuesResponse.
    pub struct GetParameterValuesResponse {
        /// The values.
        pub parameter_list: Vec<ParameterValueStruct> = [array "ParameterList" "ParameterValueStruct" "cwmp:ParameterValueStruct"],
    }
}

cwmp_struct! {
    /// GetParameterNames (TR-069 A.3.2.3).
    pub struct GetParameterNames {
        /// Path (empty = whole tree; a partial path ends in `.`).
        pub parameter_path: String = "ParameterPath",
        /// Only the level just below the path.
        pub next_level: bool = "NextLevel",
    }
}

cwmp_struct! {
    /// GetParameterNamesResponse.
    pub struct GetParameterNamesResponse {
        /// Names and writability.
        pub parameter_list: Vec<ParameterInfoStruct> = [array "ParameterList" "ParameterInfoStruct" "cwmp:ParameterInfoStruct"],
    }
}

cwmp_struct! {
    /// SetParameterAttributes (TR-069 A.3.2.4).
    pub struct SetParameterAttributes {
        /// The changes.
        pub parameter_list: Vec<SetParameterAttributesStruct> = [array "ParameterList" "SetParameterAttributesStruct" "cwmp:SetParameterAttributesStruct"],
    }
}

cwmp_struct! {
    /// GetParameterAttributes (TR-069 A.3.2.5).
    pub struct GetParameterAttributes {
        /// Names or partial paths.
        pub parameter_names: Vec<String> = [array "ParameterNames" "string" "xsd:string"],
    }
}

cwmp_struct! {
    /// GetParameterAttributesResponse.
    pub struct GetParameterAttributesResponse {
        /// The attributes.
        pub parameter_list: Vec<ParameterAttributeStruct> = [array "ParameterList" "ParameterAttributeStruct" "cwmp:ParameterAttributeStruct"],
    }
}

cwmp_struct! {
    /// AddObject (TR-069 A.3.2.6).
    pub struct AddObject {
        /// Multi-instance object path ending in `.`.
        pub object_name: String = "ObjectName",
        /// New ParameterKey on success.
        pub parameter_key: String = "ParameterKey",
    }
}

cwmp_struct! {
    /// AddObjectResponse.
    pub struct AddObjectResponse {
        /// The new instance number (≥1).
        pub instance_number: u32 = "InstanceNumber",
        /// 0 = created; 1 = committed, applied later.
        pub status: i32 = "Status",
    }
}

cwmp_struct! {
    /// DeleteObject (TR-069 A.3.2.7).
    pub struct DeleteObject {
        /// Instance path ending in `.`.
        pub object_name: String = "ObjectName",
        /// New ParameterKey on success.
        pub parameter_key: String = "ParameterKey",
    }
}

cwmp_struct! {
    /// DeleteObjectResponse.
    pub struct DeleteObjectResponse {
        /// 0 = deleted; 1 = committed, applied later.
        pub status: i32 = "Status",
    }
}

cwmp_struct! {
    /// Reboot (TR-069 A.3.2.8).
    pub struct Reboot {
        /// Echoed in the `M Reboot` event after the reboot.
        pub command_key: String = "CommandKey",
    }
}

cwmp_struct! {
    /// Download (TR-069 A.3.2.8; TS 32.593 5.1.2 step 2).
    pub struct Download {
        /// Echoed in TransferComplete and `M Download` (≤32).
        pub command_key: String = "CommandKey",
        /// What the file is.
        pub file_type: FileType = "FileType",
        /// Where to fetch it; the scheme selects the transport (≤256).
        pub url: String = "URL",
        /// File server user name (empty = none).
        pub username: String = "Username",
        /// File server password.
        pub password: String = "Password",
        /// Size in bytes (0 = unknown).
        pub file_size: u32 = "FileSize",
        /// Name to store it under (empty = CPE decides).
        pub target_file_name: String = "TargetFileName",
        /// Seconds to wait after the session before starting.
        pub delay_seconds: u32 = "DelaySeconds",
        /// LAN-side redirect on success (normally empty).
        pub success_url: String = "SuccessURL",
        /// LAN-side redirect on failure (normally empty).
        pub failure_url: String = "FailureURL",
    }
}

cwmp_struct! {
    /// DownloadResponse.
    pub struct DownloadResponse {
        /// 0 = downloaded and applied; 1 = not yet (a TransferComplete follows).
        pub status: i32 = "Status",
        /// Start of the transfer (Unknown Time when status is 1).
        pub start_time: DateTime = "StartTime",
        /// End of the transfer (Unknown Time when status is 1).
        pub complete_time: DateTime = "CompleteTime",
    }
}

cwmp_struct! {
    /// Upload (TR-069 A.4.1.5).
    pub struct Upload {
        /// Echoed in TransferComplete and `M Upload`.
        pub command_key: String = "CommandKey",
        /// What to upload.
        pub file_type: FileType = "FileType",
        /// Destination.
        pub url: String = "URL",
        /// File server user name.
        pub username: String = "Username",
        /// File server password.
        pub password: String = "Password",
        /// Seconds to wait after the session.
        pub delay_seconds: u32 = "DelaySeconds",
    }
}

cwmp_struct! {
    /// UploadResponse.
    pub struct UploadResponse {
        /// 0 = completed; 1 = not yet.
        pub status: i32 = "Status",
        /// Start of the transfer.
        pub start_time: DateTime = "StartTime",
        /// End of the transfer.
        pub complete_time: DateTime = "CompleteTime",
    }
}

cwmp_struct! {
    /// GetQueuedTransfersResponse (deprecated).
    pub struct GetQueuedTransfersResponse {
        /// Up to 16 transfers.
        pub transfer_list: Vec<QueuedTransferStruct> = [array "TransferList" "QueuedTransferStruct" "cwmp:QueuedTransferStruct"],
    }
}

cwmp_struct! {
    /// GetAllQueuedTransfersResponse (1.1).
    pub struct GetAllQueuedTransfersResponse {
        /// Up to 16 transfers.
        pub transfer_list: Vec<AllQueuedTransferStruct> = [array "TransferList" "AllQueuedTransferStruct" "cwmp:AllQueuedTransferStruct"],
    }
}

cwmp_struct! {
    /// ScheduleInform (TR-069 A.4.1.1).
    pub struct ScheduleInform {
        /// Seconds until the Inform (must not be 0).
        pub delay_seconds: u32 = "DelaySeconds",
        /// Echoed in `M ScheduleInform`.
        pub command_key: String = "CommandKey",
    }
}

cwmp_struct! {
    /// SetVouchers (deprecated).
    pub struct SetVouchers {
        /// Base64 vouchers.
        pub voucher_list: Vec<String> = [array "VoucherList" "base64" "soapenc:base64"],
    }
}

cwmp_struct! {
    /// GetOptions (deprecated).
    pub struct GetOptions {
        /// Option name (empty = all).
        pub option_name: String = "OptionName",
    }
}

cwmp_struct! {
    /// GetOptionsResponse (deprecated).
    pub struct GetOptionsResponse {
        /// The options.
        pub option_list: Vec<OptionStruct> = [array "OptionList" "OptionStruct" "cwmp:OptionStruct"],
    }
}

cwmp_struct! {
    /// ScheduleDownload (1.2).
    pub struct ScheduleDownload {
        /// Echoed in TransferComplete and `M ScheduleDownload`.
        pub command_key: String = "CommandKey",
        /// What the file is.
        pub file_type: FileType = "FileType",
        /// Where to fetch it.
        pub url: String = "URL",
        /// File server user name.
        pub username: String = "Username",
        /// File server password.
        pub password: String = "Password",
        /// Size in bytes.
        pub file_size: u32 = "FileSize",
        /// Name to store it under.
        pub target_file_name: String = "TargetFileName",
        /// One or two windows.
        pub time_window_list: Vec<TimeWindowStruct> = [array "TimeWindowList" "TimeWindowStruct" "cwmp:TimeWindowStruct"],
    }
}

cwmp_struct! {
    /// CancelTransfer (1.2).
    pub struct CancelTransfer {
        /// The transfer to cancel.
        pub command_key: String = "CommandKey",
    }
}

cwmp_struct! {
    /// ChangeDUState (1.2).
    pub struct ChangeDUState {
        /// The operations, in order.
        pub operations: Vec<OperationStruct> = [rep "Operations"],
        /// Echoed in DUStateChangeComplete and `M ChangeDUState`.
        pub command_key: Option<String> = [opt "CommandKey"],
    }
}

// ---------------------------------------------------------------- ACS methods (CPE -> ACS)

/// Inform (TR-069 A.3.3.1): the first message of every session.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Inform {
    /// Who the CPE is.
    pub device_id: DeviceIdStruct,
    /// Why the session was opened (up to 64 events).
    pub event: Vec<EventStruct>,
    /// Always 1 (ignored by the receiver).
    pub max_envelopes: u32,
    /// The CPE's current wall-clock time.
    pub current_time: DateTime,
    /// Failed attempts to deliver this session so far.
    pub retry_count: u32,
    /// Forced-inform parameters and changed parameters with notification on.
    pub parameter_list: Vec<ParameterValueStruct>,
}

impl Inform {
    /// Whether an event with this code is present.
    pub fn has_event(&self, code: &EventCode) -> bool {
        self.event.iter().any(|e| &e.event_code == code)
    }
    /// The value of a parameter in the ParameterList, if present.
    pub fn parameter(&self, name: &str) -> Option<&Value> {
        self.parameter_list
            .iter()
            .find(|p| p.name == name)
            .map(|p| &p.value)
    }
}

impl Xml for Inform {
    fn read(cx: &mut Ctx<'_, '_>, node: NodeId) -> Result<Self, DecodeError> {
        Ok(Inform {
            device_id: required(cx, node, "DeviceId")?,
            event: read_events(cx, node)?,
            max_envelopes: field(cx, node, "MaxEnvelopes")?,
            current_time: field(cx, node, "CurrentTime")?,
            retry_count: field(cx, node, "RetryCount")?,
            parameter_list: array(cx, node, "ParameterList", "ParameterValueStruct")?,
        })
    }
    fn write(&self, w: &mut Writer<'_>, tag: &str) {
        w.open(tag);
        self.write_fields(w);
        w.close(tag);
    }
}

impl Inform {
    pub(crate) fn write_fields(&self, w: &mut Writer<'_>) {
        self.device_id.write(w, "DeviceId");
        write_array(w, "Event", "EventStruct", "cwmp:EventStruct", &self.event);
        self.max_envelopes.write(w, "MaxEnvelopes");
        self.current_time.write(w, "CurrentTime");
        self.retry_count.write(w, "RetryCount");
        write_array(
            w,
            "ParameterList",
            "ParameterValueStruct",
            "cwmp:ParameterValueStruct",
            &self.parameter_list,
        );
    }
}

cwmp_struct! {
    /// InformResponse.
    pub struct InformResponse {
        /// Always 1 (ignored by the receiver).
        pub max_envelopes: u32 = "MaxEnvelopes",
    }
}

cwmp_struct! {
    /// TransferComplete (TR-069 A.3.3.2; TS 32.593 5.1.2 step 5).
    pub struct TransferComplete {
        /// The CommandKey of the Download/Upload/ScheduleDownload.
        pub command_key: String = "CommandKey",
        /// The outcome (code 0 = success).
        pub fault_struct: FaultStruct = [req "FaultStruct"],
        /// Start of the transfer.
        pub start_time: DateTime = "StartTime",
        /// End of the transfer.
        pub complete_time: DateTime = "CompleteTime",
    }
}

cwmp_struct! {
    /// AutonomousTransferComplete (1.1): a transfer the ACS did not ask for.
    pub struct AutonomousTransferComplete {
        /// URL the transfer was announced on.
        pub announce_url: String = "AnnounceURL",
        /// URL of the transfer.
        pub transfer_url: String = "TransferURL",
        /// Download (true) or upload.
        pub is_download: bool = "IsDownload",
        /// File type.
        pub file_type: FileType = "FileType",
        /// Size in bytes.
        pub file_size: u32 = "FileSize",
        /// Target file name.
        pub target_file_name: String = "TargetFileName",
        /// The outcome.
        pub fault_struct: FaultStruct = [req "FaultStruct"],
        /// Start of the transfer.
        pub start_time: DateTime = "StartTime",
        /// End of the transfer.
        pub complete_time: DateTime = "CompleteTime",
    }
}

cwmp_struct! {
    /// Kicked (deprecated).
    pub struct Kicked {
        /// Command (≤32).
        pub command: String = "Command",
        /// Referer (≤64).
        pub referer: String = "Referer",
        /// Argument (≤256).
        pub arg: String = "Arg",
        /// Next URL (≤1024).
        pub next: String = "Next",
    }
}

cwmp_struct! {
    /// KickedResponse (deprecated).
    pub struct KickedResponse {
        /// Where to send the browser.
        pub next_url: String = "NextURL",
    }
}

cwmp_struct! {
    /// RequestDownload: the CPE asks for a file.
    pub struct RequestDownload {
        /// What it wants.
        pub file_type: FileType = "FileType",
        /// Up to 16 arguments.
        pub file_type_arg: Vec<ArgStruct> = [array "FileTypeArg" "ArgStruct" "cwmp:ArgStruct"],
    }
}

cwmp_struct! {
    /// DUStateChangeComplete (1.2).
    pub struct DUStateChangeComplete {
        /// One result per operation.
        pub results: Vec<OpResultStruct> = [rep "Results"],
        /// The ChangeDUState CommandKey.
        pub command_key: Option<String> = [opt "CommandKey"],
    }
}

cwmp_struct! {
    /// AutonomousDUStateChangeComplete (1.2).
    pub struct AutonomousDUStateChangeComplete {
        /// One result per operation.
        pub results: Vec<AutonOpResultStruct> = [rep "Results"],
    }
}
