//! Codec behaviour users rely on: canonical round trips, lenient reading of what real HeNBs
//! send, refusal of hostile input, and the JSON form the bindings expose.

use femtocwmp::samples::{all_bodies, all_envelopes};
use femtocwmp::*;

fn wrap(version_ns: &str, header: &str, body: &str) -> Vec<u8> {
    format!(
        r#"<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:soapenc="http://schemas.xmlsoap.org/soap/encoding/" xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:cwmp="urn:dslforum-org:cwmp-{version_ns}"><soap:Header>{header}</soap:Header><soap:Body>{body}</soap:Body></soap:Envelope>"#
    )
    .into_bytes()
}

// ------------------------------------------------------------------ round trips

#[test]
fn every_message_type_round_trips_in_every_version() {
    let envs = all_envelopes();
    assert!(envs.len() > 200);
    for env in &envs {
        let bytes = encode(env);
        let back = decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", env.body.method_name()));
        let what = format!("{} {}", env.version, env.body.method_name());
        assert_eq!(
            (&back.namespace, &back.header, &back.body),
            (&env.namespace, &env.header, &env.body),
            "{what}"
        );
        assert!(back.warnings.is_empty(), "{what}: {:?}", back.warnings);
        // 1.3 and 1.4 share a namespace: one message tells them apart only by its headers
        assert_eq!(back.version.namespace(), env.version.namespace(), "{what}");
        assert_eq!(encode(&back), bytes, "one canonical encoding");
        assert!(check(env).is_empty(), "{:?}", check(env));
    }
    // every method name appears once among the samples
    let names: Vec<&str> = all_bodies().iter().map(Body::method_name).collect();
    for m in Body::METHOD_NAMES {
        assert!(names.contains(m), "no sample of {m}");
    }
}

#[test]
fn every_method_has_a_default_message_that_round_trips() {
    for m in Body::METHOD_NAMES {
        let body = Body::with_defaults(m).unwrap_or_else(|| panic!("no default {m}"));
        assert_eq!(body.method_name(), *m);
        let env = Envelope::new(CwmpVersion::V1_0, body);
        assert_eq!(decode(&encode(&env)).unwrap().body, env.body, "{m}");
    }
    assert_eq!(Body::with_defaults("Empty"), Some(Body::Empty));
    assert_eq!(Body::with_defaults("Fault"), None, "a fault needs its code");
    assert_eq!(Body::with_defaults("NoSuchMethod"), None);
}

#[test]
fn empty_body_is_zero_bytes_both_ways() {
    assert!(encode(&Envelope::empty()).is_empty());
    assert_eq!(decode(b"").unwrap().body, Body::Empty);
    assert_eq!(decode(b"  \r\n").unwrap().body, Body::Empty);
    let mut buf = b"keep".to_vec();
    encode_into(&Envelope::empty(), &mut buf);
    assert_eq!(buf, b"keep");
}

#[test]
fn encode_into_appends_to_the_callers_buffer() {
    let env = &all_envelopes()[3];
    let mut buf = b"prefix".to_vec();
    encode_into(env, &mut buf);
    assert!(buf.starts_with(b"prefix<?xml"));
    assert_eq!(&buf[6..], &encode(env)[..]);
}

#[test]
fn text_is_escaped_and_unescaped() {
    let body = Body::SetParameterValues(SetParameterValues {
        parameter_list: vec![ParameterValueStruct::new("Device.X", "a<b>&\"c\"\r\n'd'")],
        parameter_key: "&".into(),
    });
    let env = Envelope::new(CwmpVersion::V1_2, body.clone());
    let bytes = encode(&env);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(
        text.contains("a&lt;b&gt;&amp;&quot;c&quot;&#13;\n'd'"),
        "{text}"
    );
    assert_eq!(decode(&bytes).unwrap().body, body);
}

#[test]
fn version_follows_namespace_and_headers() {
    let inform = "<cwmp:Inform><DeviceId><OUI>00A0C6</OUI><SerialNumber>1</SerialNumber></DeviceId></cwmp:Inform>";
    let cases = [
        ("1-0", "", CwmpVersion::V1_0, Namespace::Cwmp10),
        ("1-1", "", CwmpVersion::V1_1, Namespace::Cwmp11),
        ("1-2", "", CwmpVersion::V1_2, Namespace::Cwmp12),
        (
            "1-2",
            "<cwmp:SessionTimeout>30</cwmp:SessionTimeout>",
            CwmpVersion::V1_3,
            Namespace::Cwmp12,
        ),
        (
            "1-2",
            "<cwmp:SupportedCWMPVersions>1.0,1.4</cwmp:SupportedCWMPVersions>",
            CwmpVersion::V1_4,
            Namespace::Cwmp12,
        ),
        ("1-3", "", CwmpVersion::V1_3, Namespace::Cwmp13),
        ("1-4", "", CwmpVersion::V1_4, Namespace::Cwmp14),
    ];
    for (ns, header, version, namespace) in cases {
        let env = decode(&wrap(ns, header, inform)).unwrap();
        assert_eq!(
            (env.version, env.namespace),
            (version, namespace),
            "{ns} {header}"
        );
        // a reply keeps the peer's namespace
        let reply = Envelope {
            namespace: env.namespace,
            ..Envelope::new(
                env.version,
                Body::InformResponse(InformResponse { max_envelopes: 1 }),
            )
        };
        assert!(String::from_utf8(encode(&reply))
            .unwrap()
            .contains(&format!("cwmp-{ns}")));
    }
}

// ------------------------------------------------------------------ lenient in

#[test]
fn namespace_qualified_arguments_and_any_order() {
    let body = r#"<cwmp:Download><cwmp:URL>http://f/c.xml</cwmp:URL><cwmp:CommandKey>k</cwmp:CommandKey><cwmp:FileType>3 Vendor Configuration File</cwmp:FileType><cwmp:FileSize> 42 </cwmp:FileSize></cwmp:Download>"#;
    let env = decode(&wrap("1-2", "", body)).unwrap();
    let Body::Download(d) = env.body else {
        panic!()
    };
    assert_eq!(
        (d.url.as_str(), d.command_key.as_str(), d.file_size),
        ("http://f/c.xml", "k", 42)
    );
    assert_eq!(d.file_type, FileType::VendorConfigurationFile);
}

#[test]
fn several_event_codes_in_one_event_struct_are_split() {
    let body = r#"<cwmp:Inform><DeviceId><OUI>00A0C6</OUI><SerialNumber>1</SerialNumber></DeviceId><Event soapenc:arrayType="cwmp:EventStruct[1]"><EventStruct><EventCode>1 BOOT</EventCode><EventCode>M Download</EventCode><CommandKey></CommandKey><CommandKey>k7</CommandKey></EventStruct></Event></cwmp:Inform>"#;
    let env = decode(&wrap("1-2", "", body)).unwrap();
    let Body::Inform(i) = &env.body else { panic!() };
    assert_eq!(
        i.event,
        vec![
            EventStruct::new(EventCode::Boot),
            EventStruct::with_command_key(EventCode::MDownload, "k7")
        ]
    );
    assert!(env.warnings.iter().any(|w| w.message.contains("split")));
}

#[test]
fn values_without_or_with_odd_xsi_type() {
    let body = r#"<cwmp:GetParameterValuesResponse><ParameterList><ParameterValueStruct><Name>A</Name><Value>plain</Value></ParameterValueStruct><ParameterValueStruct><Name>B</Name><Value xsi:type="xsd:boolean">TRUE</Value></ParameterValueStruct><ParameterValueStruct><Name>C</Name><Value xsi:type="xsd:int">twelve</Value></ParameterValueStruct><ParameterValueStruct><Name>D</Name><Value xsi:type="soapenc:unsignedInt">7</Value></ParameterValueStruct><ParameterValueStruct><Name>E</Name><Value xsi:type="xsd:decimalish">1.5</Value></ParameterValueStruct><ParameterValueStruct><Name>F</Name><Value/></ParameterValueStruct></ParameterList></cwmp:GetParameterValuesResponse>"#;
    let env = decode(&wrap("1-0", "", body)).unwrap();
    let Body::GetParameterValuesResponse(r) = &env.body else {
        panic!()
    };
    let got: Vec<(XsdType, &str)> = r
        .parameter_list
        .iter()
        .map(|p| (p.value.xsd_type(), p.value.as_str()))
        .collect();
    assert_eq!(
        got,
        vec![
            (XsdType::String, "plain"),
            (XsdType::Boolean, "true"),
            (XsdType::String, "twelve"),
            (XsdType::UnsignedInt, "7"),
            (XsdType::String, "1.5"),
            (XsdType::String, ""),
        ]
    );
    assert_eq!(env.warnings.len(), 6, "{:#?}", env.warnings);
    assert!(
        check(&env).is_empty(),
        "what lenient decoding produces encodes validly"
    );
}

#[test]
fn stray_non_utf8_bytes_are_replaced_with_a_warning() {
    let mut bytes = wrap(
        "1-0",
        "",
        "<cwmp:Reboot><CommandKey>k\u{1}</CommandKey></cwmp:Reboot>",
    );
    let at = bytes.windows(2).position(|w| w == b"k\x01").unwrap();
    bytes[at + 1] = 0xE9; // a Latin-1 'é' in a UTF-8 document
    let env = decode(&bytes).unwrap();
    let Body::Reboot(r) = &env.body else { panic!() };
    assert_eq!(r.command_key, "k\u{FFFD}");
    assert!(env.warnings.iter().any(|w| w.message.contains("UTF-8")));
}

#[test]
fn iso_8859_1_documents_are_transcoded() {
    let mut bytes = b"<?xml version=\"1.0\" encoding=\"ISO-8859-1\"?>\n".to_vec();
    bytes.extend(wrap(
        "1-0",
        "",
        "<cwmp:Reboot><CommandKey>caf\u{1}</CommandKey></cwmp:Reboot>",
    ));
    let at = bytes.windows(4).position(|w| w == b"caf\x01").unwrap();
    bytes[at + 3] = 0xE9;
    let env = decode(&bytes).unwrap();
    let Body::Reboot(r) = env.body else { panic!() };
    assert_eq!(r.command_key, "café");
    let bad = b"<?xml version=\"1.0\" encoding=\"EBCDIC-US\"?><a/>";
    assert!(matches!(
        decode(bad),
        Err(DecodeError::UnsupportedEncoding { .. })
    ));
}

#[test]
fn self_closing_elements_bom_and_leading_whitespace() {
    let mut bytes = b"\xEF\xBB\xBF \n".to_vec();
    bytes.extend(wrap(
        "1-2",
        "<cwmp:ID soap:mustUnderstand=\"1\">9</cwmp:ID>",
        "<cwmp:SetParameterAttributesResponse/>",
    ));
    let env = decode(&bytes).unwrap();
    assert_eq!(env.body, Body::SetParameterAttributesResponse);
    assert_eq!(env.header.id.as_deref(), Some("9"));
    let env = decode(&wrap(
        "1-2",
        "",
        "<cwmp:GetParameterValuesResponse><ParameterList/></cwmp:GetParameterValuesResponse>",
    ))
    .unwrap();
    assert_eq!(
        env.body,
        Body::GetParameterValuesResponse(GetParameterValuesResponse::default())
    );
    let env = decode(&wrap(
        "1-2",
        "",
        "<cwmp:RebootResponse></cwmp:RebootResponse>",
    ))
    .unwrap();
    assert_eq!(env.body, Body::RebootResponse);
}

#[test]
fn booleans_in_every_spelling() {
    for (text, want) in [
        ("0", false),
        ("1", true),
        ("true", true),
        ("false", false),
        ("True", true),
        ("FALSE", false),
    ] {
        let body = format!("<cwmp:GetParameterNamesResponse><ParameterList><ParameterInfoStruct><Name>A.</Name><Writable>{text}</Writable></ParameterInfoStruct></ParameterList></cwmp:GetParameterNamesResponse>");
        let Body::GetParameterNamesResponse(r) = decode(&wrap("1-0", "", &body)).unwrap().body
        else {
            panic!()
        };
        assert_eq!(r.parameter_list[0].writable, want, "{text}");
    }
}

#[test]
fn a_fault_code_that_is_not_a_number_is_an_error_not_a_success() {
    let body = "<cwmp:TransferComplete><CommandKey>k</CommandKey><FaultStruct><FaultCode>oops</FaultCode><FaultString/></FaultStruct></cwmp:TransferComplete>";
    let err = decode(&wrap("1-0", "", body)).unwrap_err();
    assert!(matches!(err, DecodeError::InvalidValue { .. }), "{err}");
    assert!(
        err.to_string()
            .contains("TransferComplete/FaultStruct/FaultCode"),
        "{err}"
    );
}

#[test]
fn structural_errors_say_what_and_where() {
    let err = decode(b"<a><b></a>").unwrap_err();
    assert!(matches!(err, DecodeError::Xml { .. }), "{err}");
    let err = decode(b"<html/>").unwrap_err();
    assert!(matches!(err, DecodeError::NotSoap { .. }), "{err}");
    let err = decode(&wrap("1-0", "", "<cwmp:Frobnicate/>")).unwrap_err();
    assert_eq!(
        err,
        DecodeError::UnknownMethod {
            name: "Frobnicate".into()
        }
    );
    let err = decode(&wrap("1-0", "", "<cwmp:Inform><Event/></cwmp:Inform>")).unwrap_err();
    assert!(
        matches!(
            err,
            DecodeError::MissingElement {
                element: "DeviceId",
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("Envelope/Body/Inform"), "{err}");
}

// ------------------------------------------------------------------ hostile in

#[test]
fn dtds_and_entity_declarations_are_refused() {
    let billion = br#"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><soap:Envelope><soap:Body>&lol2;</soap:Body></soap:Envelope>"#;
    assert!(matches!(
        decode(billion),
        Err(DecodeError::Forbidden { .. })
    ));
    let xxe = br#"<!DOCTYPE x [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><x>&xxe;</x>"#;
    assert!(matches!(decode(xxe), Err(DecodeError::Forbidden { .. })));
    let undefined = wrap(
        "1-0",
        "",
        "<cwmp:Reboot><CommandKey>&xxe;</CommandKey></cwmp:Reboot>",
    );
    assert!(matches!(
        decode(&undefined),
        Err(DecodeError::UndefinedEntity { .. })
    ));
    let refs = wrap(
        "1-0",
        "",
        "<cwmp:Reboot><CommandKey>&#65;&#x42;&lt;&apos;</CommandKey></cwmp:Reboot>",
    );
    let Body::Reboot(r) = decode(&refs).unwrap().body else {
        panic!()
    };
    assert_eq!(r.command_key, "AB<'");
}

#[test]
fn limits_bound_everything() {
    let limited = |l: DecodeLimits, bytes: &[u8]| match decode_with(bytes, &l) {
        Err(DecodeError::LimitExceeded { limit, .. }) => limit,
        other => panic!("expected a limit error, got {other:?}"),
    };
    let deep = format!("{}{}", "<a>".repeat(100), "</a>".repeat(100));
    assert_eq!(
        limited(DecodeLimits::default(), deep.as_bytes()),
        "max_depth"
    );
    let big = wrap(
        "1-0",
        "",
        "<cwmp:Reboot><CommandKey>xxxxxxxxxxxxxxxx</CommandKey></cwmp:Reboot>",
    );
    assert_eq!(
        limited(DecodeLimits::new().with_max_total_bytes(100), &big),
        "max_total_bytes"
    );
    assert_eq!(
        limited(DecodeLimits::new().with_max_string_len(8), &big),
        "max_string_len"
    );
    assert_eq!(
        limited(DecodeLimits::new().with_max_elements(4), &big),
        "max_elements"
    );
    let items = "<string>a</string>".repeat(50);
    let gpv = wrap("1-0", "", &format!("<cwmp:GetParameterValues><ParameterNames>{items}</ParameterNames></cwmp:GetParameterValues>"));
    assert_eq!(
        limited(DecodeLimits::new().with_max_array_len(10), &gpv),
        "max_array_len"
    );
    assert!(decode_with(&gpv, &DecodeLimits::new().with_max_array_len(50)).is_ok());
}

#[test]
fn a_huge_claimed_array_size_allocates_nothing() {
    let gpv = wrap(
        "1-0",
        "",
        r#"<cwmp:GetParameterValues><ParameterNames soapenc:arrayType="xsd:string[18446744073709551615]"><string>A.</string></ParameterNames></cwmp:GetParameterValues>"#,
    );
    let env = decode(&gpv).unwrap();
    let Body::GetParameterValues(g) = &env.body else {
        panic!()
    };
    assert_eq!(g.parameter_names, vec!["A.".to_owned()]);
}

#[test]
fn truncated_input_at_every_length_is_an_error_never_a_panic() {
    let bytes = encode(
        &all_envelopes()
            .into_iter()
            .find(|e| matches!(e.body, Body::Inform(_)))
            .unwrap(),
    );
    for n in 1..bytes.len() {
        let cut = &bytes[..n];
        if cut.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        assert!(decode(cut).is_err(), "prefix of {n} bytes decoded");
    }
}

// ------------------------------------------------------------------ JSON form

#[test]
fn json_form_is_stable() {
    let env = Envelope::with_id(
        CwmpVersion::V1_2,
        "7",
        Body::Inform(Inform {
            device_id: DeviceIdStruct {
                manufacturer: "Acme".into(),
                oui: "00A0C6".into(),
                product_class: "FAP".into(),
                serial_number: "S1".into(),
            },
            event: vec![EventStruct::new(EventCode::Boot)],
            max_envelopes: 1,
            current_time: DateTime::parse("2024-11-27T10:02:17Z").unwrap(),
            retry_count: 0,
            parameter_list: vec![ParameterValueStruct::new(
                "Device.X",
                Value::unsigned_int(5),
            )],
        }),
    );
    let json = serde_json::to_string(&env).unwrap();
    assert_eq!(
        json,
        r#"{"version":"1.2","namespace":"urn:dslforum-org:cwmp-1-2","header":{"id":"7"},"body":{"method":"Inform","device_id":{"manufacturer":"Acme","oui":"00A0C6","product_class":"FAP","serial_number":"S1"},"event":[{"event_code":"1 BOOT","command_key":""}],"max_envelopes":1,"current_time":"2024-11-27T10:02:17Z","retry_count":0,"parameter_list":[{"name":"Device.X","type":"unsignedInt","value":"5"}]}}"#
    );
    assert_eq!(serde_json::from_str::<Envelope>(&json).unwrap(), env);
    // every sample survives JSON
    for env in all_envelopes() {
        let j = serde_json::to_string(&env).unwrap();
        assert_eq!(serde_json::from_str::<Envelope>(&j).unwrap(), env, "{j}");
    }
    // short forms: defaults for absent fields, unknown fields refused
    let short: Envelope =
        serde_json::from_str(r#"{"version":"1.0","body":{"method":"Reboot","command_key":"k"}}"#)
            .unwrap();
    assert_eq!(
        short.namespace,
        Namespace::Cwmp12,
        "namespace defaults to cwmp-1-2 (set it with the version)"
    );
    assert!(serde_json::from_str::<Envelope>(
        r#"{"version":"1.0","body":{"method":"Reboot","comand_key":"k"}}"#
    )
    .is_err());
}

// ------------------------------------------------------------------ check

#[test]
fn check_reports_schema_violations() {
    let mut env = Envelope::new(
        CwmpVersion::V1_0,
        Body::TransferComplete(TransferComplete {
            command_key: "k".repeat(33),
            fault_struct: FaultStruct {
                fault_code: FaultCode::UnsupportedTransferProtocol,
                fault_string: String::new(),
            },
            ..TransferComplete::default()
        }),
    );
    let v = check(&env);
    assert!(v.iter().any(|v| v.path == "body.command_key"), "{v:?}");
    assert!(
        v.iter().any(|v| v.path == "body.fault_struct.fault_code"),
        "{v:?}"
    );
    env.body = Body::ChangeDUState(ChangeDUState::default());
    let v = check(&env);
    assert!(
        v.iter().any(|v| v.message.contains("needs CWMP 1.2")),
        "{v:?}"
    );
    env.namespace = Namespace::Cwmp13;
    assert!(check(&env).iter().any(|v| v.path == "namespace"));
}
