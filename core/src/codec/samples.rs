//! One filled-in, schema-valid example of every CWMP message, with HeNB-flavoured values.
//!
//! Used by the tests of all three languages (round trips, schema validation, the bindings)
//! and handy in docs and notebooks.

use super::codes::{EventCode, FaultCode, FileType};
use super::datetime::DateTime;
use super::envelope::{Body, CwmpVersion, Envelope, Header};
use super::fault::{Fault, SetParameterValuesFault};
use super::rpc::*;
use super::value::{ParameterValueStruct, Value, XsdType};

const RF: &str = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.";

fn t(s: &str) -> DateTime {
    DateTime::parse(s).expect("sample times are valid")
}

fn device_id() -> DeviceIdStruct {
    DeviceIdStruct {
        manufacturer: "Acme Small Cells & Co.".into(),
        oui: "00A0C6".into(),
        product_class: "FAP-LTE-B37".into(),
        serial_number: "ACME1B37000123456".into(),
    }
}

fn params() -> Vec<ParameterValueStruct> {
    vec![
        ParameterValueStruct::new(format!("{RF}EARFCNDL"), Value::unsigned_int(1300)),
        ParameterValueStruct::new(format!("{RF}ReferenceSignalPower"), Value::int(-20)),
        ParameterValueStruct::new(
            "Device.Services.FAPService.1.AccessMgmt.LTE.HNBName",
            Value::string("Cafe <Rue de Rivoli> & \"Terrasse\""),
        ),
        ParameterValueStruct::new(
            "Device.Services.FAPService.1.FAPControl.LTE.AdminState",
            Value::boolean(true),
        ),
        ParameterValueStruct::new("Device.DeviceInfo.UpTime", Value::unsigned_long(1 << 40)),
        ParameterValueStruct::new("Device.Stats.Delta", Value::long(-(1 << 40))),
        ParameterValueStruct::new(
            "Device.Time.CurrentLocalTime",
            Value::date_time(&t("2024-11-27T10:02:17+01:00")),
        ),
        ParameterValueStruct::new(
            "Device.Security.Certificate.1.Blob",
            Value::new(XsdType::Base64, "aGVOQiBjZXJ0").expect("valid base64"),
        ),
        ParameterValueStruct::new(
            "Device.IPsec.IKEv2SA.1.ReceivedCPAttr.1.Value",
            Value::new(XsdType::HexBinary, "0a140001").expect("valid hex"),
        ),
    ]
}

/// Every message of CWMP 1.0-1.4, once each, in [`Body::METHOD_NAMES`] order, then a
/// SetParameterValues fault.
pub fn all_bodies() -> Vec<Body> {
    let names = || vec!["Device.DeviceInfo.".to_owned(), format!("{RF}EARFCNDL")];
    let access = || vec!["Subscriber".to_owned()];
    let op_result = OpResultStruct {
        uuid: "5ba1c7d2-0f3e-4a51-9b3c-7d2e1f0a9b8c".into(),
        deployment_unit_ref: "Device.SoftwareModules.DeploymentUnit.1".into(),
        version: "1.2.0".into(),
        current_state: "Installed".into(),
        resolved: true,
        execution_unit_ref_list: "Device.SoftwareModules.ExecutionUnit.1".into(),
        start_time: t("2024-11-27T10:05:02Z"),
        complete_time: t("2024-11-27T10:05:09Z"),
        fault: DeploymentUnitFaultStruct {
            fault_code: FaultCode::Other(0),
            fault_string: None,
        },
    };
    vec![
        Body::GetRPCMethods,
        Body::GetRPCMethodsResponse(GetRPCMethodsResponse {
            method_list: vec![
                "GetRPCMethods".into(),
                "SetParameterValues".into(),
                "Download".into(),
            ],
        }),
        Body::SetParameterValues(SetParameterValues {
            parameter_list: params(),
            parameter_key: "cfg-2024-11-27-02".into(),
        }),
        Body::SetParameterValuesResponse(SetParameterValuesResponse { status: 1 }),
        Body::GetParameterValues(GetParameterValues {
            parameter_names: names(),
        }),
        Body::GetParameterValuesResponse(GetParameterValuesResponse {
            parameter_list: params(),
        }),
        Body::GetParameterNames(GetParameterNames {
            parameter_path: "Device.Services.FAPService.1.".into(),
            next_level: true,
        }),
        Body::GetParameterNamesResponse(GetParameterNamesResponse {
            parameter_list: vec![
                ParameterInfoStruct {
                    name: "Device.Services.FAPService.1.CellConfig.".into(),
                    writable: false,
                },
                ParameterInfoStruct {
                    name: "Device.Services.FAPService.1.DNPrefix".into(),
                    writable: true,
                },
            ],
        }),
        Body::SetParameterAttributes(SetParameterAttributes {
            parameter_list: vec![SetParameterAttributesStruct {
                name: "Device.FAP.Tunnel.IKESA.1.IPAddress".into(),
                notification_change: true,
                notification: 2,
                access_list_change: true,
                access_list: access(),
            }],
        }),
        Body::SetParameterAttributesResponse,
        Body::GetParameterAttributes(GetParameterAttributes {
            parameter_names: names(),
        }),
        Body::GetParameterAttributesResponse(GetParameterAttributesResponse {
            parameter_list: vec![ParameterAttributeStruct {
                name: "Device.FAP.Tunnel.IKESA.1.IPAddress".into(),
                notification: 2,
                access_list: vec![],
            }],
        }),
        Body::AddObject(AddObject {
            object_name: "Device.Services.FAPService.1.CellConfig.LTE.RAN.NeighborList.LTECell."
                .into(),
            parameter_key: "add-1".into(),
        }),
        Body::AddObjectResponse(AddObjectResponse {
            instance_number: 17,
            status: 0,
        }),
        Body::DeleteObject(DeleteObject {
            object_name: "Device.Services.FAPService.1.CellConfig.LTE.RAN.NeighborList.LTECell.17."
                .into(),
            parameter_key: "del-1".into(),
        }),
        Body::DeleteObjectResponse(DeleteObjectResponse { status: 0 }),
        Body::Reboot(Reboot {
            command_key: "reboot-7f3a".into(),
        }),
        Body::RebootResponse,
        Body::Download(Download {
            command_key: "vcfg-20241127-0001".into(),
            file_type: FileType::VendorConfigurationFile,
            url: "https://files.example.net/henb/ACME1B37000123456/config.xml?sig=ab12&exp=17"
                .into(),
            username: "fap-dl".into(),
            password: "s3cr&t<pw>".into(),
            file_size: 48213,
            target_file_name: "config.xml".into(),
            delay_seconds: 0,
            success_url: String::new(),
            failure_url: String::new(),
        }),
        Body::DownloadResponse(DownloadResponse {
            status: 1,
            start_time: DateTime::unknown(),
            complete_time: DateTime::unknown(),
        }),
        Body::Upload(Upload {
            command_key: "log-1".into(),
            file_type: FileType::UploadVendorLogFile,
            url: "https://files.example.net/upload/log".into(),
            username: "u".into(),
            password: "p".into(),
            delay_seconds: 30,
        }),
        Body::UploadResponse(UploadResponse {
            status: 0,
            start_time: t("2024-11-27T10:05:02Z"),
            complete_time: t("2024-11-27T10:05:04.250Z"),
        }),
        Body::FactoryReset,
        Body::FactoryResetResponse,
        Body::GetQueuedTransfers,
        Body::GetQueuedTransfersResponse(GetQueuedTransfersResponse {
            transfer_list: vec![QueuedTransferStruct {
                command_key: "fw-1".into(),
                state: 2,
            }],
        }),
        Body::GetAllQueuedTransfers,
        Body::GetAllQueuedTransfersResponse(GetAllQueuedTransfersResponse {
            transfer_list: vec![AllQueuedTransferStruct {
                command_key: "fw-1".into(),
                state: 1,
                is_download: true,
                file_type: FileType::FirmwareUpgradeImage,
                file_size: 0,
                target_file_name: String::new(),
            }],
        }),
        Body::ScheduleInform(ScheduleInform {
            delay_seconds: 60,
            command_key: "si-1".into(),
        }),
        Body::ScheduleInformResponse,
        Body::SetVouchers(SetVouchers {
            voucher_list: vec!["dm91Y2hlcg==".into()],
        }),
        Body::SetVouchersResponse,
        Body::GetOptions(GetOptions {
            option_name: "X_ACME_Feature".into(),
        }),
        Body::GetOptionsResponse(GetOptionsResponse {
            option_list: vec![OptionStruct {
                option_name: "X_ACME_Feature".into(),
                voucher_sn: 7,
                state: 1,
                mode: 2,
                start_date: t("2024-01-01T00:00:00Z"),
                expiration_date: Some(t("2025-01-01T00:00:00Z")),
                is_transferable: 0,
            }],
        }),
        Body::ScheduleDownload(ScheduleDownload {
            command_key: "sd-1".into(),
            file_type: FileType::FirmwareUpgradeImage,
            url: "https://files.example.net/fw.bin".into(),
            username: String::new(),
            password: String::new(),
            file_size: 1_048_576,
            target_file_name: String::new(),
            time_window_list: vec![TimeWindowStruct {
                window_start: 0,
                window_end: 3600,
                window_mode: "1 At Any Time".into(),
                user_message: String::new(),
                max_retries: -1,
            }],
        }),
        Body::ScheduleDownloadResponse,
        Body::CancelTransfer(CancelTransfer {
            command_key: "sd-1".into(),
        }),
        Body::CancelTransferResponse,
        Body::ChangeDUState(ChangeDUState {
            operations: vec![
                OperationStruct::Install(InstallOpStruct {
                    url: "https://files.example.net/du/son-agent.ipk".into(),
                    uuid: None,
                    username: Some("du".into()),
                    password: Some("pw".into()),
                    execution_env_ref: Some("Device.SoftwareModules.ExecEnv.1".into()),
                }),
                OperationStruct::Update(UpdateOpStruct {
                    uuid: Some("5ba1c7d2-0f3e-4a51-9b3c-7d2e1f0a9b8c".into()),
                    version: Some("1.2.0".into()),
                    ..UpdateOpStruct::default()
                }),
                OperationStruct::Uninstall(UninstallOpStruct {
                    uuid: "5ba1c7d2-0f3e-4a51-9b3c-7d2e1f0a9b8d".into(),
                    version: None,
                    execution_env_ref: None,
                }),
            ],
            command_key: Some("du-1".into()),
        }),
        Body::ChangeDUStateResponse,
        Body::Inform(Inform {
            device_id: device_id(),
            event: vec![
                EventStruct::new(EventCode::Boot),
                EventStruct::with_command_key(EventCode::MDownload, "vcfg-20241127-0001"),
                EventStruct::new(EventCode::TransferComplete),
            ],
            max_envelopes: 1,
            current_time: t("2024-11-27T10:02:17+01:00"),
            retry_count: 0,
            parameter_list: params(),
        }),
        Body::InformResponse(InformResponse { max_envelopes: 1 }),
        Body::TransferComplete(TransferComplete {
            command_key: "vcfg-20241127-0001".into(),
            fault_struct: FaultStruct::success(),
            start_time: t("2024-11-27T10:05:02Z"),
            complete_time: t("2024-11-27T10:05:04Z"),
        }),
        Body::TransferCompleteResponse,
        Body::AutonomousTransferComplete(AutonomousTransferComplete {
            announce_url: String::new(),
            transfer_url: "https://files.example.net/fw.bin".into(),
            is_download: true,
            file_type: FileType::FirmwareUpgradeImage,
            file_size: 1_048_576,
            target_file_name: String::new(),
            fault_struct: FaultStruct {
                fault_code: FaultCode::FileCorrupted,
                fault_string: "checksum mismatch".into(),
            },
            start_time: t("2024-11-27T10:05:02Z"),
            complete_time: t("2024-11-27T10:05:04Z"),
        }),
        Body::AutonomousTransferCompleteResponse,
        Body::RequestDownload(RequestDownload {
            file_type: FileType::VendorConfigurationFile,
            file_type_arg: vec![ArgStruct {
                name: "Version".into(),
                value: "14".into(),
            }],
        }),
        Body::RequestDownloadResponse,
        Body::Kicked(Kicked {
            command: "cmd".into(),
            referer: "portal".into(),
            arg: "x".into(),
            next: "http://portal.example.net/next".into(),
        }),
        Body::KickedResponse(KickedResponse {
            next_url: "http://portal.example.net/done".into(),
        }),
        Body::DUStateChangeComplete(DUStateChangeComplete {
            results: vec![op_result.clone()],
            command_key: Some("du-1".into()),
        }),
        Body::DUStateChangeCompleteResponse,
        Body::AutonomousDUStateChangeComplete(AutonomousDUStateChangeComplete {
            results: vec![AutonOpResultStruct {
                uuid: op_result.uuid.clone(),
                deployment_unit_ref: op_result.deployment_unit_ref.clone(),
                version: op_result.version.clone(),
                current_state: op_result.current_state.clone(),
                resolved: op_result.resolved,
                execution_unit_ref_list: op_result.execution_unit_ref_list.clone(),
                start_time: op_result.start_time.clone(),
                complete_time: op_result.complete_time.clone(),
                fault: op_result.fault.clone(),
                operation_performed: "Install".into(),
            }],
        }),
        Body::AutonomousDUStateChangeCompleteResponse,
        Body::Fault(Fault::set_parameter_values(vec![
            SetParameterValuesFault::new(format!("{RF}EARFCNDL"), FaultCode::InvalidParameterValue),
            SetParameterValuesFault::new(
                "Device.Services.FAPService.1.FAPControl.LTE.OpState",
                FaultCode::NonWritableParameter,
            ),
        ])),
    ]
}

/// Every sample body in every version that has it, with headers that version allows: an ID
/// always; HoldRequests on ACS messages; SessionTimeout on 1.3 Informs; the 1.4
/// negotiation headers on 1.4 Inform/InformResponse.
pub fn all_envelopes() -> Vec<Envelope> {
    let mut out = Vec::new();
    for version in CwmpVersion::ALL {
        for (i, body) in all_bodies().into_iter().enumerate() {
            if body.since_version() > version {
                continue;
            }
            let mut header = Header::with_id(format!("henb-{i:04}"));
            match (&body, version) {
                (Body::Inform(_), CwmpVersion::V1_3) => header.session_timeout = Some(30),
                (Body::Inform(_), CwmpVersion::V1_4) => {
                    header.supported_cwmp_versions = Some("1.0,1.1,1.2,1.3,1.4".into())
                }
                (Body::InformResponse(_), CwmpVersion::V1_4) => {
                    header.use_cwmp_version = Some("1.4".into())
                }
                (b, _) if b.direction() == super::envelope::Direction::ToCpe => {
                    header.hold_requests = Some(false)
                }
                _ => {}
            }
            out.push(Envelope {
                header,
                ..Envelope::new(version, body)
            });
        }
    }
    out
}
