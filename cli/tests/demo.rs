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
    let out = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .args([
            "demo",
            "--henbs",
            "1",
            "--quiet",
            "--html",
            "/nonexistent/report.html",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot write /nonexistent/report.html"));
}

#[test]
fn the_html_report_has_a_sequence_diagram_per_flow() {
    let path = std::env::temp_dir().join(format!("femtocwmp-report-{}.html", std::process::id()));
    let out = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .args(["demo", "--henbs", "1", "--quiet", "--html"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("progress: 3/3 procedures, 0 failed"),
        "a quiet run shows its progress: {stderr}"
    );
    let html = std::fs::read_to_string(&path).unwrap();
    let _ = std::fs::remove_file(&path);
    // registration, file download, SetParameterValues, IPsec change
    assert_eq!(html.matches("<svg ").count(), 4, "{html}");
    for label in [
        "Inform [0 BOOTSTRAP, 1 BOOT]",
        "Download 3 Vendor Configuration File",
        "GET /files/henb-config.xml",
        "TransferComplete hems-1 FaultCode 0",
        "SetParameterValuesResponse Status 0",
        "Inform [4 VALUE CHANGE], IPsec 172.16.1.200",
        "Connection Request (HTTP GET)",
    ] {
        assert!(html.contains(label), "missing {label:?}");
    }
    assert_eq!(html.matches("class=\"ok\">success").count(), 3, "{html}");
    // well-formed XHTML: every element closed, every text escaped
    let mut reader = quick_xml::Reader::from_str(&html);
    loop {
        match reader.read_event() {
            Ok(quick_xml::events::Event::Eof) => break,
            Ok(_) => {}
            Err(e) => panic!("not well-formed at {}: {e}", reader.buffer_position()),
        }
    }
}

#[test]
fn every_subcommand_explains_itself() {
    let bin = env!("CARGO_BIN_EXE_femtocwmp");
    for (sub, options) in [
        ("demo", &["--henbs", "--html", "--quiet"][..]),
        (
            "hems",
            &[
                "--listen",
                "--script",
                "--events",
                "--store",
                "--files",
                "--tls-cert",
                "--client-ca",
                "--username",
                "--devices",
                "--auth",
                "--listed-only",
                "--api-listen",
                "--api-token-file",
                "--max-connections",
                "--idle-timeout",
                "--max-body-bytes",
            ][..],
        ),
        (
            "henb",
            &[
                "--hems",
                "--count",
                "--ca",
                "--data-model",
                "--ramp",
                "--stats",
                "--shared-cr-port",
            ][..],
        ),
        ("decode", &["--pretty"][..]),
        ("encode", &["<FILE>"][..]),
    ] {
        let out = Command::new(bin).args([sub, "--help"]).output().unwrap();
        assert!(out.status.success(), "{sub} --help");
        let help = String::from_utf8_lossy(&out.stdout);
        for o in options {
            assert!(
                help.contains(o),
                "{sub} --help does not mention {o}: {help}"
            );
        }
        assert!(help.contains("--log"), "{sub}: the global --log option");
    }
    let out = Command::new(bin).arg("--help").output().unwrap();
    let help = String::from_utf8_lossy(&out.stdout);
    for sub in ["demo", "hems", "henb", "decode", "encode"] {
        assert!(help.contains(sub), "{help}");
    }
}
