//! The demo end to end: a HeMS, its file server and HeNBs on loopback HTTP run registration
//! and the three TS 32.593 flows; every procedure succeeds and the flows cross real sockets.

use std::process::Command;

#[test]
fn demo_runs_every_flow_over_loopback_http() {
    let out = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .args(["demo", "--henbs", "2"])
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("5 procedures, 0 failed."), "{stdout}");
    for line in [
        "Inform [0 BOOTSTRAP, 1 BOOT]",
        "Download 3 Vendor Configuration File",
        "file server: GET /files/henb-config.xml -> 200",
        "TransferComplete hems-1 FaultCode 0",
        "SetParameterValuesResponse Status 0",
        "Inform [4 VALUE CHANGE], IPsec 172.16.1.200",
        "Connection Request: GET http://127.0.0.1:",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in\n{stdout}");
    }
}

#[test]
fn bad_arguments_are_explained() {
    let out = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .args(["demo", "--henbs", "0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--henbs must be at least 1"));
    let out = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .args(["decode", "/nonexistent.xml"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent.xml"));
}
