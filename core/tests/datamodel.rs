//! The HeNB data model applies the TR-069 RPC rules (TS 32.593 5.1.3: configuration by
//! SetParameterValues is atomic).

use femtocwmp::henb::*;
use femtocwmp::*;

const RF: &str = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.";

fn model() -> DataModel {
    femtocell_model(&FemtocellInfo {
        device_id: DeviceIdStruct {
            manufacturer: "Acme".into(),
            oui: "00A0C6".into(),
            product_class: "FAP-LTE".into(),
            serial_number: "S1".into(),
        },
        acs_url: "http://initial-hems/cwmp".into(),
        connection_request_url: "http://10.0.0.2:7547/cr".into(),
        software_version: "4.3.7".into(),
        ipsec_address: "172.16.0.10".into(),
        ..FemtocellInfo::default()
    })
}

fn pv(name: &str, v: Value) -> ParameterValueStruct {
    ParameterValueStruct::new(name, v)
}

#[test]
fn spv_applies_all_or_nothing() {
    let mut m = model();
    let before = m.clone();
    let list = vec![
        pv(&format!("{RF}EARFCNDL"), Value::unsigned_int(1350)), // fine
        pv(&format!("{RF}Nope"), Value::unsigned_int(1)),        // 9005
        pv(&format!("{RF}PhyCellID"), Value::string("x")),       // 9007 (not a number)
        pv("Device.DeviceInfo.SerialNumber", Value::string("S2")), // 9008
        pv(&format!("{RF}ReferenceSignalPower"), Value::boolean(true)), // 9006
        pv(&format!("{RF}DLBandwidth"), Value::string("7")),     // 9007 (not allowed)
        pv(&format!("{RF}EARFCNUL"), Value::unsigned_int(999_999)), // 9007 (range)
    ];
    let err = m.set_values(&list, "k1", PARAMETER_KEY).unwrap_err();
    assert_eq!(err.fault_code, FaultCode::InvalidArguments);
    let codes: Vec<(String, u32)> = err
        .set_parameter_values_fault
        .iter()
        .map(|f| {
            (
                f.parameter_name.rsplit('.').next().unwrap().to_owned(),
                f.fault_code.code(),
            )
        })
        .collect();
    assert_eq!(
        codes,
        [
            ("Nope", 9005),
            ("PhyCellID", 9007),
            ("SerialNumber", 9008),
            ("ReferenceSignalPower", 9006),
            ("DLBandwidth", 9007),
            ("EARFCNUL", 9007)
        ]
        .map(|(a, b)| (a.to_owned(), b))
    );
    assert_eq!(m, before, "nothing applied");
    // a duplicate name is 9003 on its own
    let dup = vec![
        pv(&format!("{RF}PhyCellID"), Value::unsigned_int(1)),
        pv(&format!("{RF}PhyCellID"), Value::unsigned_int(2)),
    ];
    assert!(m
        .set_values(&dup, "k", PARAMETER_KEY)
        .unwrap_err()
        .set_parameter_values_fault
        .is_empty());
    assert_eq!(m, before);
}

#[test]
fn spv_success_stores_the_parameter_key_and_reports_reboot() {
    let mut m = model();
    let ok = m
        .set_values(
            &[pv(&format!("{RF}PhyCellID"), Value::string("42"))],
            "k2",
            PARAMETER_KEY,
        )
        .unwrap();
    assert_eq!(
        (ok.status, m.value(&format!("{RF}PhyCellID"))),
        (0, Some("42")),
        "a string that fits the type is accepted"
    );
    assert_eq!(m.value(PARAMETER_KEY), Some("k2"));
    let ok = m
        .set_values(
            &[pv(&format!("{RF}EARFCNDL"), Value::unsigned_int(1350))],
            "k3",
            PARAMETER_KEY,
        )
        .unwrap();
    assert_eq!(ok.status, 1, "EARFCNDL needs a reboot");
    assert_eq!(ok.changed, vec![format!("{RF}EARFCNDL")]);
}

#[test]
fn gpv_gpn_and_partial_paths() {
    let m = model();
    let all_rf = m.get_values(&[RF.to_owned()]).unwrap();
    assert!(all_rf.len() == 7 && all_rf.iter().all(|p| p.name.starts_with(RF)));
    let one = m.get_values(&[format!("{RF}EARFCNDL")]).unwrap();
    assert_eq!(one[0].value, Value::unsigned_int(1300));
    assert_eq!(
        m.get_values(&["Device.Nope.".into()])
            .unwrap_err()
            .fault_code,
        FaultCode::InvalidParameterName
    );
    let level = m.get_names("Device.Services.FAPService.1.", true).unwrap();
    let names: Vec<&str> = level.iter().map(|p| p.name.as_str()).collect();
    assert!(
        names.contains(&"Device.Services.FAPService.1.CellConfig.")
            && names.contains(&"Device.Services.FAPService.1.DNPrefix")
    );
    assert!(
        names.iter().all(|n| n.matches('.').count() <= 5),
        "{names:?}"
    );
    let deep = m.get_names("Device.Services.FAPService.1.", false).unwrap();
    assert!(deep.len() > level.len());
    assert_eq!(
        m.get_names(&format!("{RF}EARFCNDL"), true)
            .unwrap_err()
            .fault_code,
        FaultCode::InvalidArguments
    );
    assert!(!m.get_names("", true).unwrap().is_empty());
}

#[test]
fn attributes_and_forced_notification() {
    let mut m = model();
    let a = m.get_attributes(&[IPSEC_ADDRESS.to_owned()]).unwrap();
    assert_eq!(
        a[0].notification, 2,
        "the inner IPsec address is active by default"
    );
    let off = SetParameterAttributesStruct {
        name: IPSEC_ADDRESS.into(),
        notification_change: true,
        notification: 0,
        ..Default::default()
    };
    m.set_attributes(&[off]).unwrap();
    assert_eq!(m.get(IPSEC_ADDRESS).unwrap().notification, 0);
    let sw_off = SetParameterAttributesStruct {
        name: "Device.DeviceInfo.SoftwareVersion".into(),
        notification_change: true,
        notification: 0,
        ..Default::default()
    };
    assert_eq!(
        m.set_attributes(&[sw_off]).unwrap_err().fault_code,
        FaultCode::NotificationRequestRejected
    );
}

#[test]
fn add_and_delete_objects() {
    let mut m = model();
    let table = "Device.Services.FAPService.1.CellConfig.LTE.RAN.NeighborList.LTECell.";
    let i = m.add_object(table, "a1", PARAMETER_KEY).unwrap();
    let j = m.add_object(table, "a2", PARAMETER_KEY).unwrap();
    assert_eq!((i, j), (1, 2));
    assert_eq!(m.value(&format!("{table}2.PhyCellID")), Some("0"));
    assert_eq!(m.value(PARAMETER_KEY), Some("a2"));
    m.delete_object(&format!("{table}1."), "d1", PARAMETER_KEY)
        .unwrap();
    assert!(m.get(&format!("{table}1.PhyCellID")).is_none());
    assert!(
        m.delete_object(&format!("{table}1."), "d2", PARAMETER_KEY)
            .is_err(),
        "gone already"
    );
    assert_eq!(m.value(PARAMETER_KEY), Some("d1"), "unchanged on failure");
    assert!(m
        .add_object("Device.DeviceInfo.", "x", PARAMETER_KEY)
        .is_err());
}

#[test]
fn saves_and_loads() {
    let mut m = model();
    m.set_internal(IPSEC_ADDRESS, "172.16.0.11");
    let back = DataModel::from_json(&m.to_json()).unwrap();
    assert_eq!(back, m);
    assert!(DataModel::from_json("{\"params\": 3}").is_err());
    let forced: Vec<String> = m.forced_inform().into_iter().map(|p| p.name).collect();
    assert!(forced.contains(&"Device.ManagementServer.ConnectionRequestURL".to_owned()));
    assert!(forced.contains(&PARAMETER_KEY.to_owned()));
}
