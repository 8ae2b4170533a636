//! A HeNB data model to start from: TR-181 Device:2 basics (DeviceInfo, ManagementServer),
//! the TR-262 FAP.Tunnel IKE SA and a TR-196 issue 2 FAPService LTE subset.

use super::model::{ActiveNotify, DataModel, Param, Table};
use crate::codec::{DeviceIdStruct, XsdType};

/// `Device.FAP.Tunnel.IKESA.1.IPAddress`: the inner IPsec address (TR-262; active
/// notification forced on by default, TS 32.593 5.1.4).
pub const IPSEC_ADDRESS: &str = "Device.FAP.Tunnel.IKESA.1.IPAddress";
/// `Device.ManagementServer.ParameterKey`.
pub const PARAMETER_KEY: &str = "Device.ManagementServer.ParameterKey";
/// `Device.ManagementServer.URL`.
pub const ACS_URL: &str = "Device.ManagementServer.URL";

const FAP: &str = "Device.Services.FAPService.1.";

/// What the default model needs to know about the device (JSON form: these field names).
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct FemtocellInfo {
    /// Manufacturer, OUI, product class, serial number.
    pub device_id: DeviceIdStruct,
    /// Initial ManagementServer.URL (the initial HeMS).
    pub acs_url: String,
    /// ManagementServer.ConnectionRequestURL.
    pub connection_request_url: String,
    /// DeviceInfo.SoftwareVersion.
    pub software_version: String,
    /// The inner IPsec address assigned by the SeGW.
    pub ipsec_address: String,
    /// ManagementServer.Username, the HeNB's user name for the HeMS's HTTP authentication
    /// (default: the serial number).
    pub username: Option<String>,
    /// ManagementServer.Password, its password for the HeMS (default: empty).
    pub password: Option<String>,
    /// ManagementServer.ConnectionRequestUsername (default: the serial number).
    pub connection_request_username: Option<String>,
    /// ManagementServer.ConnectionRequestPassword. When not given, one is derived from this
    /// description (see [`derived_connection_request_password`]), so that the HeNB never
    /// answers a Connection Request nobody authenticated; give a random one, kept with the
    /// device's secrets, in production.
    pub connection_request_password: Option<String>,
}

/// The Connection Request password [`femtocell_model`] gives a HeNB whose description names
/// none: 16 hex digits of SHA-256 over the description. Anyone who knows the description can
/// compute it, so it only keeps an unconfigured HeNB from answering anonymous Connection
/// Requests; a HeMS that describes its HeNBs the same way can reach them.
pub fn derived_connection_request_password(info: &FemtocellInfo) -> String {
    use sha2::{Digest as _, Sha256};
    let d = &info.device_id;
    let text = format!(
        "femtocwmp connection request\n{}\n{}\n{}\n{}\n{}\n{}",
        d.oui,
        d.product_class,
        d.serial_number,
        info.acs_url,
        info.connection_request_url,
        info.software_version
    );
    Sha256::digest(text.as_bytes())[..8]
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn ro(t: XsdType, v: &str) -> Param {
    Param::read_only(t, v)
}

fn rw(t: XsdType, v: &str) -> Param {
    Param::writable(t, v)
}

fn forced(mut p: Param) -> Param {
    p.forced_inform = true;
    p
}

fn notify(mut p: Param, how: ActiveNotify) -> Param {
    p.active_notify = how;
    p.notification = 2;
    p
}

fn reboot(mut p: Param) -> Param {
    p.reboot_required = true;
    p
}

fn range(mut p: Param, lo: i64, hi: i64) -> Param {
    p.range = Some((lo, hi));
    p
}

fn one_of(mut p: Param, values: &[&str]) -> Param {
    p.allowed = Some(values.iter().map(|v| (*v).to_owned()).collect());
    p
}

fn max_len(mut p: Param, n: usize) -> Param {
    p.max_len = Some(n);
    p
}

/// The default femtocell model.
pub fn femtocell_model(info: &FemtocellInfo) -> DataModel {
    use XsdType::*;
    let d = &info.device_id;
    let mut m = DataModel::new();
    let p = |m: &mut DataModel, n: &str, param: Param| {
        m.insert(n.to_owned(), param);
    };
    p(
        &mut m,
        "Device.RootDataModelVersion",
        forced(ro(String, "2.11")),
    );
    p(
        &mut m,
        "Device.DeviceInfo.Manufacturer",
        ro(String, &d.manufacturer),
    );
    p(
        &mut m,
        "Device.DeviceInfo.ManufacturerOUI",
        ro(String, &d.oui),
    );
    p(
        &mut m,
        "Device.DeviceInfo.ProductClass",
        ro(String, &d.product_class),
    );
    p(
        &mut m,
        "Device.DeviceInfo.SerialNumber",
        ro(String, &d.serial_number),
    );
    p(
        &mut m,
        "Device.DeviceInfo.HardwareVersion",
        forced(ro(String, "HW-1")),
    );
    p(
        &mut m,
        "Device.DeviceInfo.SoftwareVersion",
        forced(notify(
            ro(String, &info.software_version),
            ActiveNotify::ForceEnabled,
        )),
    );
    p(
        &mut m,
        "Device.DeviceInfo.ProvisioningCode",
        forced(max_len(rw(String, ""), 64)),
    );
    p(&mut m, "Device.DeviceInfo.UpTime", ro(UnsignedInt, "0"));
    p(&mut m, ACS_URL, max_len(rw(String, &info.acs_url), 256));
    p(
        &mut m,
        "Device.ManagementServer.Username",
        max_len(
            rw(String, info.username.as_deref().unwrap_or(&d.serial_number)),
            256,
        ),
    );
    p(
        &mut m,
        "Device.ManagementServer.Password",
        max_len(rw(String, info.password.as_deref().unwrap_or("")), 256),
    );
    p(
        &mut m,
        "Device.ManagementServer.PeriodicInformEnable",
        rw(Boolean, "1"),
    );
    p(
        &mut m,
        "Device.ManagementServer.PeriodicInformInterval",
        range(rw(UnsignedInt, "3600"), 1, u32::MAX as i64),
    );
    p(&mut m, PARAMETER_KEY, forced(ro(String, "")));
    p(
        &mut m,
        "Device.ManagementServer.ConnectionRequestURL",
        forced(notify(
            ro(String, &info.connection_request_url),
            ActiveNotify::ForceDefaultEnabled,
        )),
    );
    p(
        &mut m,
        "Device.ManagementServer.ConnectionRequestUsername",
        rw(
            String,
            info.connection_request_username
                .as_deref()
                .unwrap_or(&d.serial_number),
        ),
    );
    let cr_password = info
        .connection_request_password
        .clone()
        .unwrap_or_else(|| derived_connection_request_password(info));
    p(
        &mut m,
        "Device.ManagementServer.ConnectionRequestPassword",
        rw(String, &cr_password),
    );
    p(
        &mut m,
        "Device.ManagementServer.CWMPRetryMinimumWaitInterval",
        range(rw(UnsignedInt, "5"), 1, 65535),
    );
    p(
        &mut m,
        "Device.ManagementServer.CWMPRetryIntervalMultiplier",
        range(rw(UnsignedInt, "2000"), 1000, 65535),
    );
    p(
        &mut m,
        "Device.ManagementServer.AliasBasedAddressing",
        forced(ro(Boolean, "0")),
    );
    p(
        &mut m,
        IPSEC_ADDRESS,
        notify(
            ro(String, &info.ipsec_address),
            ActiveNotify::ForceDefaultEnabled,
        ),
    );
    p(
        &mut m,
        "Device.FAP.Tunnel.IKESA.1.SubnetMask",
        ro(String, "255.255.255.255"),
    );
    p(
        &mut m,
        "Device.FAP.Tunnel.IKESA.1.PeerAddress",
        ro(String, "192.0.2.1"),
    );
    // TR-196 FAPService (LTE)
    let f = |leaf: &str| format!("{FAP}{leaf}");
    p(&mut m, &f("DNPrefix"), rw(String, ""));
    p(&mut m, &f("FAPControl.LTE.AdminState"), rw(Boolean, "0"));
    p(&mut m, &f("FAPControl.LTE.OpState"), ro(Boolean, "0"));
    p(&mut m, &f("FAPControl.LTE.RFTxStatus"), ro(Boolean, "0"));
    for i in 1..=3 {
        p(
            &mut m,
            &f(&format!("FAPControl.LTE.Gateway.SecGWServer{i}")),
            max_len(rw(String, ""), 64),
        );
    }
    p(
        &mut m,
        &f("FAPControl.LTE.Gateway.S1SigLinkServerList"),
        max_len(rw(String, ""), 256),
    );
    p(
        &mut m,
        &f("FAPControl.LTE.Gateway.S1ConnectionMode"),
        one_of(rw(String, "One"), &["One", "All"]),
    );
    p(
        &mut m,
        &f("FAPControl.LTE.Gateway.S1SigLinkPort"),
        range(rw(UnsignedInt, "36412"), 1, 65535),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.EPC.TAC"),
        range(rw(UnsignedInt, "1"), 0, 65535),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.EPC.PLMNList.1.Enable"),
        rw(Boolean, "1"),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.EPC.PLMNList.1.IsPrimary"),
        rw(Boolean, "1"),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.EPC.PLMNList.1.PLMNID"),
        max_len(rw(String, "00101"), 6),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.RAN.Common.CellIdentity"),
        range(rw(UnsignedInt, "1"), 0, 268_435_455),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.RAN.RF.EARFCNDL"),
        reboot(range(rw(UnsignedInt, "1300"), 0, 262_143)),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.RAN.RF.EARFCNUL"),
        reboot(range(rw(UnsignedInt, "19300"), 0, 262_143)),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.RAN.RF.FreqBandIndicator"),
        reboot(range(rw(UnsignedInt, "3"), 1, 256)),
    );
    let bw = ["6", "15", "25", "50", "75", "100"];
    p(
        &mut m,
        &f("CellConfig.LTE.RAN.RF.DLBandwidth"),
        reboot(one_of(rw(String, "100"), &bw)),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.RAN.RF.ULBandwidth"),
        reboot(one_of(rw(String, "100"), &bw)),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.RAN.RF.ReferenceSignalPower"),
        range(rw(Int, "-20"), -60, 50),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.RAN.RF.PhyCellID"),
        range(rw(UnsignedInt, "137"), 0, 503),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.Tunnel.1.Enable"),
        rw(Boolean, "1"),
    );
    p(
        &mut m,
        &f("CellConfig.LTE.Tunnel.1.TunnelRef"),
        rw(String, "Device.FAP.Tunnel.IKESA.1."),
    );
    // the neighbour list is a table the HeMS adds to and deletes from
    let mut template = std::collections::BTreeMap::new();
    template.insert("Enable".to_owned(), rw(Boolean, "1"));
    template.insert("PLMNID".to_owned(), max_len(rw(String, "00101"), 6));
    template.insert(
        "CID".to_owned(),
        range(rw(UnsignedInt, "0"), 0, 268_435_455),
    );
    template.insert(
        "EUTRACarrierARFCN".to_owned(),
        range(rw(UnsignedInt, "1300"), 0, 262_143),
    );
    template.insert("PhyCellID".to_owned(), range(rw(UnsignedInt, "0"), 0, 503));
    m.tables.insert(
        f("CellConfig.LTE.RAN.NeighborList.LTECell.{i}."),
        Table {
            template,
            next_instance: 1,
            writable: true,
        },
    );
    m
}
