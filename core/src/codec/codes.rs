//! The enumerated codes of CWMP: fault codes, event codes and file types, each with an open
//! arm for the vendor and future values real devices send.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Declares a string-coded enum with a catch-all `Other(String)` arm, its wire strings, and a
/// serde form that is the wire string itself.
macro_rules! string_code {
    (
        $(#[$meta:meta])*
        pub enum $name:ident { $( $(#[$vmeta:meta])* $variant:ident = $wire:literal, )* }
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash)]
        pub enum $name {
            $( $(#[$vmeta])* $variant, )*
            /// A value not listed here (vendor `X ...` values, later amendments, typos):
            /// kept verbatim.
            Other(String),
        }

        impl $name {
            /// Every named value, in wire order (for tables and drift tests).
            pub const KNOWN: &'static [$name] = &[ $( $name::$variant, )* ];

            /// The wire string.
            pub fn as_str(&self) -> &str {
                match self {
                    $( $name::$variant => $wire, )*
                    $name::Other(s) => s,
                }
            }

            /// Reads a wire string (exact match; anything else becomes `Other`).
            pub fn from_wire(s: &str) -> $name {
                match s {
                    $( $wire => $name::$variant, )*
                    other => $name::Other(other.to_owned()),
                }
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl From<&str> for $name {
            fn from(s: &str) -> $name {
                $name::from_wire(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                Ok($name::from_wire(&String::deserialize(d)?))
            }
        }
    };
}

string_code! {
    /// An Inform `EventCode` (TR-069 3.7.1.5, Table 7; cwmp-1-x.xsd `EventCodeType`).
    pub enum EventCode {
        /// First contact, factory reset, or ACS URL change.
        Bootstrap = "0 BOOTSTRAP",
        /// Power-up or reboot.
        Boot = "1 BOOT",
        /// Periodic Inform interval elapsed.
        Periodic = "2 PERIODIC",
        /// ScheduleInform fired (with `M ScheduleInform`).
        Scheduled = "3 SCHEDULED",
        /// A parameter with notification on changed.
        ValueChange = "4 VALUE CHANGE",
        /// Kicked flow (deprecated).
        Kicked = "5 KICKED",
        /// The session answers a Connection Request.
        ConnectionRequest = "6 CONNECTION REQUEST",
        /// A transfer the ACS asked for finished (with `M Download`/`M Upload`...).
        TransferComplete = "7 TRANSFER COMPLETE",
        /// A diagnostic finished.
        DiagnosticsComplete = "8 DIAGNOSTICS COMPLETE",
        /// The CPE will call RequestDownload.
        RequestDownload = "9 REQUEST DOWNLOAD",
        /// The CPE will call AutonomousTransferComplete (1.1).
        AutonomousTransferComplete = "10 AUTONOMOUS TRANSFER COMPLETE",
        /// The CPE will call DUStateChangeComplete (1.2).
        DuStateChangeComplete = "11 DU STATE CHANGE COMPLETE",
        /// The CPE will call AutonomousDUStateChangeComplete (1.2).
        AutonomousDuStateChangeComplete = "12 AUTONOMOUS DU STATE CHANGE COMPLETE",
        /// The CPE woke from standby (1.4).
        Wakeup = "13 WAKEUP",
        /// Reboot RPC caused this session; CommandKey of the Reboot.
        MReboot = "M Reboot",
        /// ScheduleInform RPC; its CommandKey.
        MScheduleInform = "M ScheduleInform",
        /// Download RPC completion; its CommandKey.
        MDownload = "M Download",
        /// ScheduleDownload RPC completion (1.2); its CommandKey.
        MScheduleDownload = "M ScheduleDownload",
        /// Upload RPC completion; its CommandKey.
        MUpload = "M Upload",
        /// ChangeDUState RPC completion (1.2); its CommandKey.
        MChangeDuState = "M ChangeDUState",
    }
}

impl EventCode {
    /// "Multiple" events (TR-069 3.7.1.5): one instance per originating request, each
    /// carrying that request's CommandKey. The others are "single": at most one per Inform.
    pub fn is_multiple(&self) -> bool {
        self.as_str().starts_with("M ")
    }
}

string_code! {
    /// A transfer `FileType` (TR-069 A.3.2.8; cwmp-1-2.xsd `DownloadFileType`,
    /// `UploadFileType`, `TransferFileType`). Download and Upload number their types
    /// separately, so both lists are here.
    pub enum FileType {
        /// Download: firmware image.
        FirmwareUpgradeImage = "1 Firmware Upgrade Image",
        /// Download: web content.
        WebContent = "2 Web Content",
        /// Download: vendor configuration file (TS 32.593 configuration by file download).
        VendorConfigurationFile = "3 Vendor Configuration File",
        /// Download: tone file (1.2).
        ToneFile = "4 Tone File",
        /// Download: ringer file (1.2).
        RingerFile = "5 Ringer File",
        /// Upload: vendor configuration file.
        UploadVendorConfigurationFile = "1 Vendor Configuration File",
        /// Upload: vendor log file.
        UploadVendorLogFile = "2 Vendor Log File",
    }
}

/// Whether a fault code blames the request (`Client`) or the receiver (`Server`), which
/// decides the SOAP `faultcode` (TR-069 A.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FaultKind {
    /// The request was at fault.
    Client,
    /// The receiver failed.
    Server,
}

/// Declares the fault code enum: named variants with their number, meaning and kind.
macro_rules! fault_codes {
    ( $( $(#[$vmeta:meta])* $variant:ident = $num:literal, $kind:ident, $text:literal; )* ) => {
        /// A CWMP fault code (TR-069 A.5.1; cwmp-1-x.xsd `CPEFaultCodeType`,
        /// `ACSFaultCodeType`). Serialized as its number.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum FaultCode {
            $( $(#[$vmeta])* $variant, )*
            /// Any other number: vendor (8800-8899, 9800-9899), reserved or future codes.
            Other(u32),
        }

        impl FaultCode {
            /// Every named code (for tables and drift tests).
            pub const KNOWN: &'static [FaultCode] = &[ $( FaultCode::$variant, )* ];

            /// The code's number.
            pub fn code(self) -> u32 {
                match self { $( FaultCode::$variant => $num, )* FaultCode::Other(n) => n }
            }

            /// The named code for a number, or `Other`.
            pub fn from_code(n: u32) -> FaultCode {
                match n { $( $num => FaultCode::$variant, )* other => FaultCode::Other(other) }
            }

            /// The standard meaning (the cwmp-1-4.xsd enumeration documentation), or a
            /// range description for `Other`.
            pub fn description(self) -> &'static str {
                match self {
                    $( FaultCode::$variant => $text, )*
                    FaultCode::Other(n) => match n {
                        0 => "No fault",
                        8800..=8899 => "ACS vendor-specific fault",
                        9800..=9899 => "CPE vendor-specific fault",
                        _ => "Reserved or unknown fault",
                    },
                }
            }

            /// Client or Server (TR-069 A.5.1 Table A.5 / A.6); vendor codes are Server.
            pub fn kind(self) -> FaultKind {
                match self { $( FaultCode::$variant => FaultKind::$kind, )* FaultCode::Other(_) => FaultKind::Server }
            }
        }
    };
}

fault_codes! {
    /// ACS: method not supported.
    AcsMethodNotSupported = 8000, Server, "Method not supported";
    /// ACS: request denied.
    AcsRequestDenied = 8001, Server, "Request denied (no reason specified)";
    /// ACS: internal error.
    AcsInternalError = 8002, Server, "Internal error";
    /// ACS: invalid arguments.
    AcsInvalidArguments = 8003, Client, "Invalid arguments";
    /// ACS: resources exceeded.
    AcsResourcesExceeded = 8004, Server, "Resources exceeded";
    /// ACS: retry request (the CPE retries with the TR-069 backoff).
    AcsRetryRequest = 8005, Server, "Retry request";
    /// ACS: version incompatible with the CPE (1.4).
    AcsVersionIncompatible = 8006, Server, "ACS version incompatible with CPE";
    /// CPE: method not supported.
    MethodNotSupported = 9000, Server, "Method not supported";
    /// CPE: request denied.
    RequestDenied = 9001, Server, "Request denied (no reason specified)";
    /// CPE: internal error.
    InternalError = 9002, Server, "Internal error";
    /// CPE: invalid arguments (with SetParameterValuesFault entries for SPV).
    InvalidArguments = 9003, Client, "Invalid arguments";
    /// CPE: resources exceeded.
    ResourcesExceeded = 9004, Server, "Resources exceeded";
    /// CPE: invalid parameter name.
    InvalidParameterName = 9005, Client, "Invalid parameter name";
    /// CPE: invalid parameter type.
    InvalidParameterType = 9006, Client, "Invalid parameter type";
    /// CPE: invalid parameter value.
    InvalidParameterValue = 9007, Client, "Invalid parameter value";
    /// CPE: attempt to set a non-writable parameter.
    NonWritableParameter = 9008, Client, "Attempt to set a non-writable parameter";
    /// CPE: notification request rejected.
    NotificationRequestRejected = 9009, Server, "Notification request rejected";
    /// CPE: file transfer failure.
    FileTransferFailure = 9010, Server, "File transfer failure";
    /// CPE: upload failure.
    UploadFailure = 9011, Server, "Upload failure";
    /// CPE: file transfer server authentication failure.
    FileTransferAuthenticationFailure = 9012, Server, "File transfer server authentication failure";
    /// CPE: unsupported protocol for file transfer.
    UnsupportedTransferProtocol = 9013, Server, "Unsupported protocol for file transfer";
    /// CPE: unable to join multicast group.
    MulticastJoinFailure = 9014, Server, "File transfer failure: unable to join multicast group";
    /// CPE: unable to contact file server.
    FileServerUnreachable = 9015, Server, "File transfer failure: unable to contact file server";
    /// CPE: unable to access file.
    FileAccessFailure = 9016, Server, "File transfer failure: unable to access file";
    /// CPE: unable to complete download.
    DownloadIncomplete = 9017, Server, "File transfer failure: unable to complete download";
    /// CPE: file corrupted.
    FileCorrupted = 9018, Server, "File transfer failure: file corrupted";
    /// CPE: file authentication failure.
    FileAuthenticationFailure = 9019, Server, "File transfer failure: file authentication failure";
    /// CPE: unable to complete download within the time windows.
    DownloadWindowMissed = 9020, Server, "File transfer failure: unable to complete download within specified time windows";
    /// CPE: cancelation of file transfer not permitted.
    CancelNotPermitted = 9021, Client, "Cancelation of file transfer not permitted in current transfer state";
    /// CPE: invalid UUID format.
    InvalidUuidFormat = 9022, Client, "Invalid UUID Format";
    /// CPE: unknown execution environment.
    UnknownExecutionEnvironment = 9023, Client, "Unknown Execution Environment";
    /// CPE: disabled execution environment.
    DisabledExecutionEnvironment = 9024, Client, "Disabled Execution Environment";
    /// CPE: deployment unit to execution environment mismatch.
    DeploymentUnitMismatch = 9025, Client, "Deployment Unit to Execution Environment Mismatch";
    /// CPE: duplicate deployment unit.
    DuplicateDeploymentUnit = 9026, Client, "Duplicate Deployment Unit";
    /// CPE: system resources exceeded.
    SystemResourcesExceeded = 9027, Client, "System Resources Exceeded";
    /// CPE: unknown deployment unit.
    UnknownDeploymentUnit = 9028, Client, "Unknown Deployment Unit";
    /// CPE: invalid deployment unit state.
    InvalidDeploymentUnitState = 9029, Client, "Invalid Deployment Unit State";
    /// CPE: downgrade not permitted.
    DowngradeNotPermitted = 9030, Client, "Invalid Deployment Unit Update - Downgrade not permitted";
    /// CPE: version not specified.
    VersionNotSpecified = 9031, Client, "Invalid Deployment Unit Update - Version not specified";
    /// CPE: version already exists.
    VersionAlreadyExists = 9032, Client, "Invalid Deployment Unit Update - Version already exists";
}

impl FaultCode {
    /// Whether the number is allowed in a cwmp:Fault of the schema (8000-8899, 9000-9899).
    pub fn is_valid_fault(self) -> bool {
        matches!(self.code(), 8000..=8899 | 9000..=9899)
    }

    /// Whether the number is allowed in a TransferComplete FaultStruct (0 = success;
    /// cwmp-1-2.xsd `TransferCompleteCPEFaultCodeType`: 9013 and the DU codes are not).
    pub fn is_valid_transfer_fault(self) -> bool {
        matches!(
            self.code(),
            0 | 9001 | 9002 | 9010 | 9011 | 9012 | 9014..=9020 | 9033..=9899
        )
    }
}

impl fmt::Display for FaultCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.code())
    }
}

impl From<u32> for FaultCode {
    fn from(n: u32) -> FaultCode {
        FaultCode::from_code(n)
    }
}

impl Serialize for FaultCode {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u32(self.code())
    }
}

impl<'de> Deserialize<'de> for FaultCode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(FaultCode::from_code(u32::deserialize(d)?))
    }
}

impl Default for EventCode {
    /// An empty code (`Other("")`), for struct defaults.
    fn default() -> Self {
        EventCode::Other(String::new())
    }
}

impl Default for FileType {
    /// An empty type (`Other("")`), for struct defaults.
    fn default() -> Self {
        FileType::Other(String::new())
    }
}

impl Default for FaultCode {
    /// Zero: "no fault" in a TransferComplete FaultStruct.
    fn default() -> Self {
        FaultCode::Other(0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_through_their_wire_form() {
        for e in EventCode::KNOWN {
            assert_eq!(&EventCode::from_wire(e.as_str()), e);
        }
        for f in FileType::KNOWN {
            assert_eq!(&FileType::from_wire(f.as_str()), f);
        }
        for c in FaultCode::KNOWN {
            assert_eq!(FaultCode::from_code(c.code()), *c);
        }
        assert_eq!(
            EventCode::from_wire("X 00A0C6 Alarm"),
            EventCode::Other("X 00A0C6 Alarm".into())
        );
        assert_eq!(FaultCode::from_code(9850), FaultCode::Other(9850));
    }

    #[test]
    fn fault_kinds_follow_tr069() {
        assert_eq!(FaultCode::InvalidArguments.kind(), FaultKind::Client);
        assert_eq!(FaultCode::InternalError.kind(), FaultKind::Server);
        assert!(!FaultCode::UnsupportedTransferProtocol.is_valid_transfer_fault());
        assert!(FaultCode::Other(0).is_valid_transfer_fault());
    }
}
