//! Every message of the interop corpus (real CWMP traffic from seven other implementations,
//! tests/corpus/SOURCES.md) decodes, with its quirk read the way a HeMS needs it.

use std::path::PathBuf;

use femtocwmp::{decode, Body, CwmpVersion, DecodeError, EventCode, FaultCode, FaultKind, XsdType};

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

fn load(name: &str) -> femtocwmp::Envelope {
    let bytes = std::fs::read(corpus_dir().join(name)).expect("corpus file");
    decode(&bytes).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
fn every_corpus_file_decodes_except_the_truncated_one() {
    let mut n = 0;
    for entry in std::fs::read_dir(corpus_dir()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "xml") {
            continue;
        }
        n += 1;
        let bytes = std::fs::read(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        match decode(&bytes) {
            Ok(env) => {
                assert_ne!(
                    name, "rustcwmp-02-bogus-inform.xml",
                    "the truncated file must be refused"
                );
                assert_ne!(env.body, Body::Empty, "{name}");
                // what we decode, we can encode and decode again to the same message
                let again = decode(&femtocwmp::encode(&env)).unwrap();
                assert_eq!(again.body, env.body, "{name}");
            }
            Err(e) => {
                assert_eq!(name, "rustcwmp-02-bogus-inform.xml", "{name}: {e}");
                assert!(matches!(e, DecodeError::Xml { .. }), "{e:?}");
                assert!(e.to_string().contains("byte"), "{e}");
            }
        }
    }
    assert_eq!(n, 29, "corpus size");
}

#[test]
fn inform_fields_are_typed() {
    let env = load("freeacs-01-inform-cwmp12-3events.xml");
    assert_eq!(env.version, CwmpVersion::V1_2);
    let Body::Inform(inform) = env.body else {
        panic!()
    };
    let codes: Vec<_> = inform.event.iter().map(|e| e.event_code.clone()).collect();
    assert_eq!(
        codes,
        vec![
            EventCode::Bootstrap,
            EventCode::Boot,
            EventCode::ValueChange
        ]
    );
    assert_eq!(inform.device_id.oui, "000000");
    assert_eq!(inform.max_envelopes, 1);
}

#[test]
fn malformed_current_time_is_unknown_with_a_warning() {
    let env = load("cwmpex-02-inform-cytco.xml");
    let Body::Inform(inform) = &env.body else {
        panic!()
    };
    assert!(inform.current_time.is_unknown());
    assert_eq!(inform.retry_count, 942);
    assert_eq!(inform.device_id.oui, "00a859", "kept as sent");
    assert!(
        env.warnings.iter().any(|w| w.message.contains("11:54::14")),
        "{:?}",
        env.warnings
    );
}

#[test]
fn unzoned_current_time_is_kept() {
    let env = load("cwmpex-01-inform-zyxel-p2601hn.xml");
    let Body::Inform(inform) = &env.body else {
        panic!()
    };
    assert_eq!(inform.current_time.as_str(), "2015-01-19T23:08:24");
    assert!(matches!(
        inform.current_time.kind(),
        femtocwmp::DateTimeKind::Unzoned { .. }
    ));
}

#[test]
fn zero_padded_array_type_is_read() {
    let env = load("cwmpex-03-inform-zyxel-vmg8924.xml");
    let Body::Inform(inform) = &env.body else {
        panic!()
    };
    assert_eq!(inform.parameter_list.len(), 8);
    assert!(inform.has_event(&EventCode::ConnectionRequest));
    assert!(env.warnings.is_empty(), "{:?}", env.warnings);
}

#[test]
fn no_more_requests_and_misspelt_hold_request_are_visible() {
    let env = load("rustcwmp-01-inform-nomorerequests.xml");
    assert_eq!(env.header.no_more_requests, Some(true));
    let env = load("cljtr069-01-inform-cwmp11-holdrequest.xml");
    assert_eq!(env.version, CwmpVersion::V1_1);
    assert_eq!(env.header.hold_requests, Some(true));
    assert!(env
        .warnings
        .iter()
        .any(|w| w.message.contains("HoldRequest")));
}

#[test]
fn faults_with_prefixed_faultcode_and_parameter_lists() {
    let env = load("rustcwmp-03-fault-9005-prefixed-faultcode.xml");
    let Body::Fault(f) = env.body else { panic!() };
    assert_eq!(f.faultcode, FaultKind::Client);
    assert_eq!(f.fault_code, FaultCode::InvalidParameterName);
    let env = load("cljtr069-02-fault-spv-list.xml");
    let Body::Fault(f) = env.body else { panic!() };
    assert_eq!(f.set_parameter_values_fault.len(), 2);
    let env = load("simulatr69-04-fault-spv.xml");
    let Body::Fault(f) = env.body else { panic!() };
    assert_eq!(f.fault_code, FaultCode::InvalidArguments);
    assert_eq!(
        f.set_parameter_values_fault[0].fault_code,
        FaultCode::InvalidParameterValue
    );
}

#[test]
fn transfer_complete_variants() {
    let Body::TransferComplete(tc) = load("rustcwmp-04-transfercomplete.xml").body else {
        panic!()
    };
    assert!(tc.fault_struct.is_success());
    assert_eq!(tc.command_key, "AutoconfFirmwareUpgrade");
    let env = load("simulatr69-02-transfercomplete-faultstruct-0.xml");
    let Body::TransferComplete(tc) = &env.body else {
        panic!()
    };
    assert!(tc.fault_struct.is_success());
    assert!(env.warnings.iter().any(|w| w.path.ends_with("FaultStruct")));
    let Body::TransferComplete(tc) = load("simulatr69-03-transfercomplete-fault.xml").body else {
        panic!()
    };
    assert_eq!(tc.fault_struct.fault_code, FaultCode::FileServerUnreachable);
    let Body::TransferComplete(tc) = load("cljtr069-03-transfercomplete-9001.xml").body else {
        panic!()
    };
    assert_eq!(tc.fault_struct.fault_code, FaultCode::RequestDenied);
    assert_eq!(tc.start_time.as_str(), "2012-07-13T19:11:11+08:00");
}

#[test]
fn downloads_full_minimal_and_odd() {
    let Body::Download(d) = load("rustcwmp-05-download-full.xml").body else {
        panic!()
    };
    assert_eq!(d.file_type, femtocwmp::FileType::FirmwareUpgradeImage);
    assert_eq!(d.file_size, 123456);
    assert_eq!(d.delay_seconds, 5);
    let env = load("rustcwmp-06-download-minimal.xml");
    let Body::Download(d) = &env.body else {
        panic!()
    };
    assert_eq!(d.username, "");
    assert_eq!(d.url, "http://example.com/url");
    assert!(env.warnings.iter().any(|w| w.message.contains("Username")));
    let env = load("cljtr069-04-download.xml");
    let Body::Download(d) = &env.body else {
        panic!()
    };
    assert_eq!(d.file_type, femtocwmp::FileType::Other("filetype".into()));
    assert!(
        !femtocwmp::check(&env).is_empty(),
        "a non-standard FileType is flagged"
    );
}

#[test]
fn lying_array_count_is_a_warning_not_an_allocation() {
    let env = load("rustcwmp-07-gpv-response-count-mismatch.xml");
    let Body::GetParameterValuesResponse(r) = &env.body else {
        panic!()
    };
    assert_eq!(r.parameter_list.len(), 2);
    assert_eq!(r.parameter_list[0].value.xsd_type(), XsdType::UnsignedInt);
    assert!(env.warnings.iter().any(|w| w.message.contains("claims 64")));
}

#[test]
fn spv_with_typos_reads_its_values() {
    let Body::SetParameterValues(spv) = load("rustcwmp-09-spv-typos.xml").body else {
        panic!()
    };
    assert_eq!(spv.parameter_list.len(), 2);
    assert_eq!(spv.parameter_list[1].value.xsd_type(), XsdType::Int);
    assert_eq!(spv.parameter_key, "foo");
}

#[test]
fn rarer_messages() {
    let Body::AutonomousTransferComplete(a) =
        load("rustcwmp-10-autonomous-transfercomplete.xml").body
    else {
        panic!()
    };
    assert!(a.is_download);
    let Body::GetRPCMethodsResponse(m) = load("rustcwmp-11-getrpcmethods-response.xml").body else {
        panic!()
    };
    assert_eq!(m.method_list.len(), 14);
    let Body::Kicked(k) = load("rustcwmp-12-kicked.xml").body else {
        panic!()
    };
    assert_eq!(k.next, "http://example.com/next");
    assert_eq!(
        load("freeacs-02-getrpcmethods-from-cpe.xml").body,
        Body::GetRPCMethods
    );
    let Body::GetParameterNamesResponse(g) = load("freeacs-03-gpn-response.xml").body else {
        panic!()
    };
    assert!(!g.parameter_list.is_empty());
    let Body::GetParameterAttributesResponse(g) = load("rustcwmp-08-gpa-response.xml").body else {
        panic!()
    };
    assert_eq!(
        g.parameter_list[0].access_list,
        vec!["Subscriber".to_owned()]
    );
    let Body::InformResponse(r) = load("cljtr069-05-informresponse-maxenv3.xml").body else {
        panic!()
    };
    assert_eq!(r.max_envelopes, 3);
}

#[test]
fn bench_corpus_decodes_to_the_expected_pairs() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/bench-corpus");
    let env = decode(&std::fs::read(dir.join("b_gpv_response_2000.xml")).unwrap()).unwrap();
    let Body::GetParameterValuesResponse(r) = env.body else {
        panic!()
    };
    let expected = std::fs::read_to_string(dir.join("expected_gpv_pairs.tsv")).unwrap();
    let pairs: Vec<(&str, &str)> = expected
        .lines()
        .map(|l| l.split_once('\t').unwrap())
        .collect();
    assert_eq!(r.parameter_list.len(), pairs.len());
    for (p, (n, v)) in r.parameter_list.iter().zip(pairs) {
        assert_eq!((p.name.as_str(), p.value.as_str()), (n, v));
    }
    for f in [
        "a_inform_boot.xml",
        "c_spv_request_100.xml",
        "d_download.xml",
        "e_transfer_complete.xml",
        "f_fault_spv.xml",
    ] {
        let env = decode(&std::fs::read(dir.join(f)).unwrap()).unwrap();
        assert!(env.warnings.is_empty(), "{f}: {:?}", env.warnings);
    }
}
