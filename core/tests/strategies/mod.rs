//! proptest strategies for schema-valid envelopes: shared by the property tests and by the
//! `emit_samples` example (whose output `make test` validates against the XSDs).
#![allow(dead_code)]

use femtocwmp::*;
use proptest::collection::vec;
use proptest::prelude::*;
use proptest::sample::select;

/// Free text: any XML 1.0 characters except C0 controls other than tab/newline/CR, with
/// markup-significant characters well represented.
pub fn text(max: usize) -> impl Strategy<Value = String> {
    vec(
        prop_oneof![
            4 => proptest::char::range('a', 'z'),
            1 => select(vec!['<', '>', '&', '"', '\'', ' ', '\t', '\n', '\r', 'é', '€', '日', '😀']),
            1 => proptest::char::range('\u{20}', '\u{d7ff}'),
        ],
        0..=max,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

/// A token without surrounding whitespace (parameter names, codes).
pub fn token(max: usize) -> impl Strategy<Value = String> {
    proptest::string::string_regex(&format!("[A-Za-z0-9_.]{{1,{max}}}")).expect("regex")
}

pub fn param_name() -> impl Strategy<Value = String> {
    (vec(token(12), 1..5), any::<bool>()).prop_map(|(parts, object)| {
        let mut n = format!("Device.{}", parts.join("."));
        if object {
            n.push('.');
        }
        n
    })
}

pub fn date_time() -> impl Strategy<Value = DateTime> {
    prop_oneof![
        1 => Just(DateTime::unknown()),
        4 => (-62_135_596_800_000i64..253_402_300_799_000).prop_map(DateTime::from_unix_millis),
    ]
}

pub fn value() -> impl Strategy<Value = Value> {
    prop_oneof![
        text(40).prop_map(Value::string),
        any::<i32>().prop_map(Value::int),
        any::<u32>().prop_map(Value::unsigned_int),
        any::<i64>().prop_map(Value::long),
        any::<u64>().prop_map(Value::unsigned_long),
        any::<bool>().prop_map(Value::boolean),
        date_time().prop_map(|t| Value::date_time(&t)),
        vec(any::<u8>(), 0..12).prop_map(|b| {
            let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
            Value::new(XsdType::HexBinary, hex).expect("hex")
        }),
        proptest::string::string_regex("([A-Za-z0-9+/]{4}){0,4}")
            .expect("regex")
            .prop_map(|t| Value::new(XsdType::Base64, t).expect("base64")),
    ]
}

pub fn params() -> impl Strategy<Value = Vec<ParameterValueStruct>> {
    vec(
        (param_name(), value()).prop_map(|(n, v)| ParameterValueStruct::new(n, v)),
        0..8,
    )
}

pub fn names() -> impl Strategy<Value = Vec<String>> {
    vec(param_name(), 1..5)
}

pub fn key() -> impl Strategy<Value = String> {
    text(32)
}

pub fn event_code(version: CwmpVersion) -> impl Strategy<Value = EventCode> {
    let mut codes: Vec<EventCode> = EventCode::KNOWN
        .iter()
        .filter(|c| {
            version > CwmpVersion::V1_0
                || !matches!(
                    c,
                    EventCode::AutonomousTransferComplete
                        | EventCode::DuStateChangeComplete
                        | EventCode::AutonomousDuStateChangeComplete
                        | EventCode::Wakeup
                        | EventCode::MScheduleDownload
                        | EventCode::MChangeDuState
                )
        })
        .cloned()
        .collect();
    codes.push(EventCode::Other("X 00A0C6 FAP-Alarm".into()));
    codes.push(EventCode::Other("M X_ACME_Reset".into()));
    select(codes)
}

pub fn fault_code() -> impl Strategy<Value = FaultCode> {
    prop_oneof![
        (9000u32..=9013).prop_map(FaultCode::from_code),
        (8000u32..=8005).prop_map(FaultCode::from_code)
    ]
}

pub fn transfer_fault() -> impl Strategy<Value = FaultStruct> {
    (select(vec![0u32, 9001, 9002, 9010, 9011, 9012]), text(40)).prop_map(|(c, s)| FaultStruct {
        fault_code: FaultCode::from_code(c),
        fault_string: if c == 0 { String::new() } else { s },
    })
}

fn download_type() -> impl Strategy<Value = FileType> {
    select(vec![
        FileType::FirmwareUpgradeImage,
        FileType::WebContent,
        FileType::VendorConfigurationFile,
    ])
}

fn device_id() -> impl Strategy<Value = DeviceIdStruct> {
    (text(20), "[0-9A-F]{6}", text(20), token(20)).prop_map(|(m, o, p, s)| DeviceIdStruct {
        manufacturer: m,
        oui: o,
        product_class: p,
        serial_number: s,
    })
}

pub fn body(version: CwmpVersion) -> impl Strategy<Value = Body> {
    prop_oneof![
        Just(Body::GetRPCMethods),
        vec(token(20), 1..6)
            .prop_map(|m| Body::GetRPCMethodsResponse(GetRPCMethodsResponse { method_list: m })),
        (params(), key()).prop_map(|(p, k)| Body::SetParameterValues(SetParameterValues {
            parameter_list: p,
            parameter_key: k
        })),
        (0..=1i32).prop_map(
            |s| Body::SetParameterValuesResponse(SetParameterValuesResponse { status: s })
        ),
        names().prop_map(|n| Body::GetParameterValues(GetParameterValues { parameter_names: n })),
        params().prop_map(
            |p| Body::GetParameterValuesResponse(GetParameterValuesResponse { parameter_list: p })
        ),
        (param_name(), any::<bool>()).prop_map(|(p, n)| Body::GetParameterNames(
            GetParameterNames {
                parameter_path: p,
                next_level: n
            }
        )),
        vec(
            (param_name(), any::<bool>())
                .prop_map(|(name, writable)| ParameterInfoStruct { name, writable }),
            0..5
        )
        .prop_map(
            |l| Body::GetParameterNamesResponse(GetParameterNamesResponse { parameter_list: l })
        ),
        vec(
            (
                param_name(),
                any::<bool>(),
                0..=2i32,
                any::<bool>(),
                any::<bool>()
            )
                .prop_map(|(name, nc, n, ac, sub)| SetParameterAttributesStruct {
                    name,
                    notification_change: nc,
                    notification: n,
                    access_list_change: ac,
                    access_list: if sub {
                        vec!["Subscriber".into()]
                    } else {
                        vec![]
                    },
                }),
            1..4
        )
        .prop_map(|l| Body::SetParameterAttributes(SetParameterAttributes { parameter_list: l })),
        Just(Body::SetParameterAttributesResponse),
        names().prop_map(|n| Body::GetParameterAttributes(GetParameterAttributes {
            parameter_names: n
        })),
        vec(
            (param_name(), 0..=2i32).prop_map(|(name, notification)| ParameterAttributeStruct {
                name,
                notification,
                access_list: vec![]
            }),
            0..4
        )
        .prop_map(|l| Body::GetParameterAttributesResponse(
            GetParameterAttributesResponse { parameter_list: l }
        )),
        (vec(token(10), 1..4), key()).prop_map(|(p, k)| Body::AddObject(AddObject {
            object_name: format!("Device.{}.", p.join(".")),
            parameter_key: k
        })),
        (1..=u32::MAX, 0..=1i32).prop_map(|(i, s)| Body::AddObjectResponse(AddObjectResponse {
            instance_number: i,
            status: s
        })),
        (vec(token(10), 1..4), key()).prop_map(|(p, k)| Body::DeleteObject(DeleteObject {
            object_name: format!("Device.{}.", p.join(".")),
            parameter_key: k
        })),
        (0..=1i32).prop_map(|s| Body::DeleteObjectResponse(DeleteObjectResponse { status: s })),
        key().prop_map(|k| Body::Reboot(Reboot { command_key: k })),
        Just(Body::RebootResponse),
        (
            key(),
            download_type(),
            text(60),
            text(30),
            text(30),
            any::<u32>(),
            text(30),
            any::<u32>()
        )
            .prop_map(|(k, ft, url, u, p, size, t, d)| Body::Download(Download {
                command_key: k,
                file_type: ft,
                url,
                username: u,
                password: p,
                file_size: size,
                target_file_name: t,
                delay_seconds: d,
                success_url: String::new(),
                failure_url: String::new(),
            })),
        (0..=1i32, date_time(), date_time()).prop_map(|(s, a, b)| Body::DownloadResponse(
            DownloadResponse {
                status: s,
                start_time: a,
                complete_time: b
            }
        )),
        (
            key(),
            select(vec![
                FileType::UploadVendorConfigurationFile,
                FileType::UploadVendorLogFile
            ]),
            text(60),
            any::<u32>()
        )
            .prop_map(|(k, ft, url, d)| Body::Upload(Upload {
                command_key: k,
                file_type: ft,
                url,
                delay_seconds: d,
                ..Upload::default()
            })),
        Just(Body::FactoryReset),
        (1..=u32::MAX, key()).prop_map(|(d, k)| Body::ScheduleInform(ScheduleInform {
            delay_seconds: d,
            command_key: k
        })),
        (
            device_id(),
            vec(
                (event_code(version), key()).prop_map(|(c, k)| EventStruct::with_command_key(c, k)),
                0..6
            ),
            any::<u32>(),
            date_time(),
            any::<u32>(),
            params()
        )
            .prop_map(|(d, e, m, t, r, p)| Body::Inform(Inform {
                device_id: d,
                event: e,
                max_envelopes: m,
                current_time: t,
                retry_count: r,
                parameter_list: p
            })),
        any::<u32>().prop_map(|m| Body::InformResponse(InformResponse { max_envelopes: m })),
        (key(), transfer_fault(), date_time(), date_time()).prop_map(|(k, f, a, b)| {
            Body::TransferComplete(TransferComplete {
                command_key: k,
                fault_struct: f,
                start_time: a,
                complete_time: b,
            })
        }),
        Just(Body::TransferCompleteResponse),
        (
            download_type(),
            vec(
                (token(20), text(40)).prop_map(|(name, value)| ArgStruct { name, value }),
                0..4
            )
        )
            .prop_map(|(ft, a)| Body::RequestDownload(RequestDownload {
                file_type: ft,
                file_type_arg: a
            })),
        (text(32), text(40), text(60), text(60)).prop_map(|(c, r, a, n)| Body::Kicked(Kicked {
            command: c,
            referer: r,
            arg: a,
            next: n
        })),
        (
            fault_code(),
            text(60),
            vec(
                (
                    param_name(),
                    (9005u32..=9008).prop_map(FaultCode::from_code),
                    text(30)
                )
                    .prop_map(|(p, c, s)| SetParameterValuesFault {
                        parameter_name: p,
                        fault_code: c,
                        fault_string: s,
                    }),
                0..4
            )
        )
            .prop_map(|(c, s, l)| Body::Fault(Fault {
                set_parameter_values_fault: l,
                ..Fault::new(c, s)
            })),
    ]
}

pub fn envelope() -> impl Strategy<Value = Envelope> {
    select(CwmpVersion::ALL.to_vec()).prop_flat_map(|version| {
        (
            body(version),
            proptest::option::of(text(20)),
            proptest::option::of(any::<bool>()),
        )
            .prop_map(move |(body, id, hold)| {
                let mut env = Envelope::new(version, body);
                env.header.id = id;
                env.header.hold_requests = hold;
                if version == CwmpVersion::V1_3 && matches!(env.body, Body::Inform(_)) {
                    env.header.session_timeout = Some(30);
                }
                env
            })
    })
}
