//! `femtocwmp hems` and `femtocwmp henb` as two processes on loopback: the HeNBs register, the
//! scripted SetParameterValues runs, events arrive as JSON lines. Bounded in time.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};

#[test]
fn a_hems_process_and_a_henb_process_talk() {
    let dir = std::env::temp_dir().join(format!("femtocwmp-e2e-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("script.json");
    let events = dir.join("events.jsonl");
    std::fs::write(
        &script,
        r#"[{"device": "00A0C6-FAP-LTE-SIM1", "procedure": {"ConfigureBySetParameterValues": {
            "params": [{"name": "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID",
                        "type": "unsignedInt", "value": "321"}], "parameter_key": "e2e"}}}]"#,
    )
    .unwrap();
    let (mut hems, url) = start_hems(&[
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "6",
        "--quiet",
        "--script",
        script.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    let bin = env!("CARGO_BIN_EXE_femtocwmp");
    let henb = Command::new(bin)
        .args(["henb", "--hems", &url, "--count", "2", "--duration", "3"])
        .output()
        .unwrap();
    assert!(
        henb.status.success(),
        "{}",
        String::from_utf8_lossy(&henb.stderr)
    );
    assert!(hems.wait().unwrap().success());
    let log = std::fs::read_to_string(&events).unwrap();
    for device in ["00A0C6-FAP-LTE-SIM1", "00A0C6-FAP-LTE-SIM2"] {
        assert!(
            log.lines()
                .any(|l| l.contains("\"Informed\"") && l.contains(device)),
            "{log}"
        );
    }
    let done: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("\"ProcedureFinished\""))
        .collect();
    assert_eq!(done.len(), 1, "{log}");
    assert!(
        done[0].contains("\"Success\"") && done[0].contains("SIM1"),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// Starts `femtocwmp hems` with `args`; returns the process and its CWMP URL.
fn start_hems(args: &[&str]) -> (std::process::Child, String) {
    let mut hems = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .arg("hems")
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut line = String::new();
    BufReader::new(hems.stderr.take().unwrap())
        .read_line(&mut line)
        .unwrap();
    let url = line
        .trim()
        .strip_prefix("HeMS listening on ")
        .expect(&line)
        .to_owned();
    (hems, url)
}

#[test]
fn the_hems_requires_digest_when_given_credentials() {
    let dir = std::env::temp_dir().join(format!("femtocwmp-auth-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let events = dir.join("events.jsonl");
    let events_arg = events.to_str().unwrap();
    let (mut hems, url) = start_hems(&[
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "5",
        "--quiet",
        "--username",
        "henb",
        "--password",
        "s3cret",
        "--sha256",
        "--events",
        events_arg,
    ]);
    let bin = env!("CARGO_BIN_EXE_femtocwmp");
    let henb = |prefix: &str, password: &str| {
        Command::new(bin)
            .args(["henb", "--hems", &url, "--duration", "3"])
            .args(["--serial-prefix", prefix, "--username", "henb"])
            .args(["--password", password])
            .spawn()
            .unwrap()
    };
    let mut good = henb("GOOD", "s3cret");
    let mut bad = henb("BAD", "guess");
    assert!(good.wait().unwrap().success());
    assert!(bad.wait().unwrap().success());
    assert!(hems.wait().unwrap().success());
    let log = std::fs::read_to_string(&events).unwrap();
    let informed = |serial: &str| {
        log.lines()
            .any(|l| l.contains("\"Informed\"") && l.contains(serial))
    };
    assert!(informed("00A0C6-FAP-LTE-GOOD1"), "{log}");
    assert!(!informed("BAD1"), "{log}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn errors_a_person_understands() {
    let bin = env!("CARGO_BIN_EXE_femtocwmp");
    let out = Command::new(bin)
        .args(["henb", "--hems", "ftp://x/cwmp", "--duration", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("must start with http:// or https://"));
    let out = Command::new(bin)
        .args([
            "henb",
            "--hems",
            "http://no-such-host.invalid/cwmp",
            "--duration",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot resolve no-such-host.invalid"));
    let out = Command::new(bin)
        .args(["hems", "--listen", "not-an-address", "--duration", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on not-an-address"));
    let out = Command::new(bin)
        .args([
            "hems",
            "--listen",
            "127.0.0.1:0",
            "--script",
            "/nonexistent.json",
        ])
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read script /nonexistent.json"));
    // credentials come in pairs
    let out = Command::new(bin)
        .args(["hems", "--listen", "127.0.0.1:0", "--username", "u"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--password"));
}

#[test]
fn the_hems_serves_configuration_files_and_reaches_devices_later() {
    let dir = std::env::temp_dir().join(format!("femtocwmp-files-{}", std::process::id()));
    let files = dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(
        files.join("cfg.xml"),
        "<configDataFile><configData><Device><Services><FAPService index=\"1\"><CellConfig>\
         <LTE><RAN><RF><EARFCNDL>1400</EARFCNDL></RF></RAN></LTE></CellConfig></FAPService>\
         </Services></Device></configData></configDataFile>",
    )
    .unwrap();
    // SIM1 gets the right file server password, SIM2 a wrong one; both a second after they
    // register, so the HeMS has to send a Connection Request
    let download = |device: &str, password: &str| {
        format!(
            r#"{{"device": "{device}", "delay_ms": 800, "procedure": {{"ConfigureByFileDownload": {{
                "url": "/files/cfg.xml", "username": "fap", "password": "{password}",
                "file_size": 0, "target_file_name": "", "delay_seconds": 0, "timeout_ms": 10000}}}}}}"#
        )
    };
    let script = dir.join("script.json");
    std::fs::write(
        &script,
        format!(
            "[{}, {}]",
            download("00A0C6-FAP-LTE-SIM1", "right"),
            download("00A0C6-FAP-LTE-SIM2", "wrong")
        ),
    )
    .unwrap();
    let events = dir.join("events.jsonl");
    let (mut hems, url) = start_hems(&[
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "5",
        "--quiet",
        "--script",
        script.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
        "--files",
        files.to_str().unwrap(),
        "--file-username",
        "fap",
        "--file-password",
        "right",
    ]);
    let henb = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .args(["henb", "--hems", &url, "--count", "2", "--duration", "3"])
        .output()
        .unwrap();
    assert!(henb.status.success());
    assert!(hems.wait().unwrap().success());
    let log = std::fs::read_to_string(&events).unwrap();
    let finished = |serial: &str| {
        log.lines()
            .find(|l| l.contains("\"ProcedureFinished\"") && l.contains(serial))
            .unwrap_or_else(|| panic!("no outcome for {serial}: {log}"))
            .to_owned()
    };
    assert!(finished("SIM1").contains("\"Success\""), "{log}");
    let sim2 = finished("SIM2");
    assert!(
        sim2.contains("\"TransferFailed\"") && sim2.contains("9012"),
        "wrong credentials are 9012: {log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("6 CONNECTION REQUEST") && l.contains("SIM1")),
        "a delayed procedure reaches the device by a Connection Request: {log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn hems_refuses_a_missing_files_directory_and_half_file_credentials() {
    let bin = env!("CARGO_BIN_EXE_femtocwmp");
    let out = Command::new(bin)
        .args([
            "hems",
            "--listen",
            "127.0.0.1:0",
            "--files",
            "/nonexistent/dir",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read /nonexistent/dir"));
    let out = Command::new(bin)
        .args([
            "hems",
            "--listen",
            "127.0.0.1:0",
            "--files",
            ".",
            "--file-username",
            "u",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--file-password"));
}
