//! `femtocwmp hems` and `femtocwmp henb` as two processes on loopback: the HeNBs register, the
//! scripted SetParameterValues runs, events arrive as JSON lines. Bounded in time.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
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
    // a test that says nothing of authentication runs without it, as a lab does
    let chosen = args
        .iter()
        .any(|a| ["--auth", "--devices", "--username"].contains(a));
    let mut hems = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .arg("hems")
        .args(if chosen {
            &[][..]
        } else {
            &["--auth", "none"][..]
        })
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // the first line that says where it listens (a store may report what it loaded first)
    let mut err = BufReader::new(hems.stderr.take().unwrap());
    let mut line = String::new();
    let url = loop {
        line.clear();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "the HeMS ended early"
        );
        if let Some(url) = line.trim().strip_prefix("HeMS listening on ") {
            break url.to_owned();
        }
    };
    std::thread::spawn(move || for _ in err.lines() {});
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
        .args(["--log", "femtocwmp=[[", "hems", "--auth", "none"])
        .args(["--listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--log femtocwmp=[["));
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
        .args(["hems", "--auth", "none", "--listen", "not-an-address"])
        .args(["--duration", "1"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot listen on not-an-address"));
    let out = Command::new(bin)
        .args([
            "hems",
            "--auth",
            "none",
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

/// A fresh temporary directory `femtocwmp-TAG-PID` with a `files/` subdirectory holding
/// `name`, a configuration file that sets EARFCNDL to `earfcn`: (the directory, files/).
fn config_files(tag: &str, name: &str, earfcn: u32) -> (PathBuf, PathBuf) {
    let dir = std::env::temp_dir().join(format!("femtocwmp-{tag}-{}", std::process::id()));
    let files = dir.join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(
        files.join(name),
        format!(
            "<configDataFile><configData><Device><Services><FAPService index=\"1\"><CellConfig>\
             <LTE><RAN><RF><EARFCNDL>{earfcn}</EARFCNDL></RF></RAN></LTE></CellConfig>\
             </FAPService></Services></Device></configData></configDataFile>"
        ),
    )
    .unwrap();
    (dir, files)
}

#[test]
fn the_hems_serves_configuration_files_and_reaches_devices_later() {
    let (dir, files) = config_files("files", "cfg.xml", 1400);
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
            "--auth",
            "none",
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
            "--auth",
            "none",
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

#[test]
fn a_hems_restart_in_the_middle_of_a_download_loses_nothing_with_a_store() {
    let (dir, files) = config_files("store", "cfg.xml", 1500);
    // the HeNB fetches 3 s after the Download (DelaySeconds); the first HeMS is gone by then
    let script = dir.join("script.json");
    std::fs::write(
        &script,
        r#"[{"device": "00A0C6-FAP-LTE-SIM1", "procedure": {"ConfigureByFileDownload": {
            "url": "/files/cfg.xml", "username": "", "password": "", "file_size": 0,
            "target_file_name": "", "delay_seconds": 3, "timeout_ms": 60000}}}]"#,
    )
    .unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let listen = format!("127.0.0.1:{port}");
    let store = dir.join("hems.sqlite");
    let (events1, events2) = (dir.join("events1.jsonl"), dir.join("events2.jsonl"));
    let hems = |events: &std::path::Path, duration: &str, extra: &[&str]| {
        let mut args = vec![
            "--listen",
            listen.as_str(),
            "--duration",
            duration,
            "--quiet",
            "--store",
            store.to_str().unwrap(),
            "--files",
            files.to_str().unwrap(),
            "--events",
            events.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        start_hems(&args)
    };
    let (mut first, url) = hems(&events1, "2", &["--script", script.to_str().unwrap()]);
    let mut henb = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .args(["henb", "--hems", &url, "--duration", "7"])
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(first.wait().unwrap().success());
    let log1 = std::fs::read_to_string(&events1).unwrap();
    assert!(!log1.contains("ProcedureFinished"), "{log1}");
    let (mut second, _) = hems(&events2, "6", &[]);
    assert!(henb.wait().unwrap().success());
    assert!(second.wait().unwrap().success());
    let log2 = std::fs::read_to_string(&events2).unwrap();
    let done: Vec<&str> = log2
        .lines()
        .filter(|l| l.contains("\"ProcedureFinished\""))
        .collect();
    assert_eq!(done.len(), 1, "{log1}\n---\n{log2}");
    assert!(
        done[0].contains("\"Success\"") && done[0].contains("SIM1"),
        "{log2}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A TCP proxy to `target` that cuts its first connection right after the first bytes of
/// the HeMS's first response; later connections pass untouched.
fn cutting_proxy(target: std::net::SocketAddr) -> std::net::SocketAddr {
    use std::io::{Read, Write};
    use std::net::{Shutdown, TcpListener, TcpStream};
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    std::thread::spawn(move || {
        for (i, client) in listener.incoming().enumerate() {
            let Ok(client) = client else { return };
            let Ok(server) = TcpStream::connect(target) else {
                return;
            };
            let (mut up_from, mut up_to) =
                (client.try_clone().unwrap(), server.try_clone().unwrap());
            std::thread::spawn(move || {
                let _ = std::io::copy(&mut up_from, &mut up_to);
                let _ = up_to.shutdown(Shutdown::Write);
            });
            std::thread::spawn(move || {
                let (mut from, mut to) = (server, client);
                if i == 0 {
                    let mut buf = [0u8; 65536];
                    if let Ok(n) = from.read(&mut buf) {
                        let _ = to.write_all(&buf[..n]);
                    }
                    let _ = to.shutdown(Shutdown::Both);
                    let _ = from.shutdown(Shutdown::Both);
                } else {
                    let _ = std::io::copy(&mut from, &mut to);
                    let _ = to.shutdown(Shutdown::Write);
                }
            });
        }
    });
    addr
}

#[test]
fn a_henb_whose_connection_is_cut_mid_session_retries_and_completes() {
    let dir = std::env::temp_dir().join(format!("femtocwmp-cut-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("script.json");
    std::fs::write(
        &script,
        r#"[{"device": "00A0C6-FAP-LTE-SIM1", "procedure": {"ConfigureBySetParameterValues": {
            "params": [{"name": "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID",
                        "type": "unsignedInt", "value": "99"}], "parameter_key": "cut"}}}]"#,
    )
    .unwrap();
    // retry after 1-2 s instead of TR-069's default 5-10 s
    let model = dir.join("model.json");
    std::fs::write(
        &model,
        r#"{"Device.ManagementServer.CWMPRetryMinimumWaitInterval": "1"}"#,
    )
    .unwrap();
    let events = dir.join("events.jsonl");
    let (mut hems, url) = start_hems(&[
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "8",
        "--quiet",
        "--script",
        script.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    let target: std::net::SocketAddr = url
        .trim_start_matches("http://")
        .trim_end_matches("/cwmp")
        .parse()
        .unwrap();
    let proxy = cutting_proxy(target);
    let out = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .args([
            "henb",
            "--hems",
            &format!("http://{proxy}/cwmp"),
            "--duration",
            "6",
        ])
        .args(["--data-model", model.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(hems.wait().unwrap().success());
    let log = std::fs::read_to_string(&events).unwrap();
    let ended: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("\"SessionEnded\""))
        .collect();
    assert!(
        ended.first().is_some_and(|l| !l.contains("\"Completed\"")),
        "the first session was cut: {log}"
    );
    assert!(
        log.lines()
            .any(|l| l.contains("\"ProcedureFinished\"") && l.contains("\"Success\"")),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn henb_refuses_a_bad_data_model_file() {
    let dir = std::env::temp_dir().join(format!("femtocwmp-model-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = env!("CARGO_BIN_EXE_femtocwmp");
    for (text, says) in [
        (
            r#"{"Device.Nope": "1"}"#,
            "Device.Nope is not in the femtocell model",
        ),
        (
            r#"{"Device.ManagementServer.PeriodicInformInterval": "soon"}"#,
            "PeriodicInformInterval",
        ),
        (
            r#"{"Device.X_A.B": {"type": "float", "value": "1"}}"#,
            "unknown type float",
        ),
        ("[1, 2]", "data model"),
    ] {
        let path = dir.join("model.json");
        std::fs::write(&path, text).unwrap();
        let out = Command::new(bin)
            .args([
                "henb",
                "--hems",
                "http://127.0.0.1:9/cwmp",
                "--duration",
                "1",
            ])
            .args(["--data-model", path.to_str().unwrap()])
            .output()
            .unwrap();
        assert!(!out.status.success(), "{text}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{text}: {stderr}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// POSTs `body` to `path` on `addr` with plain HTTP/1.1; returns status and body.
/// POSTs `body` to `path` with extra header lines (each ending in CRLF); (status, body).
fn http_post(addr: &str, path: &str, headers: &str, body: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    write!(
        s,
        "POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         {headers}Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    s.read_to_string(&mut reply).unwrap();
    let status = reply[9..12].parse().unwrap();
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn procedures_from_a_toml_script_and_submitted_while_running() {
    let dir = std::env::temp_dir().join(format!("femtocwmp-api-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let script = dir.join("script.toml");
    std::fs::write(
        &script,
        r#"
[[procedure]]
device = "00A0C6-FAP-LTE-SIM1"
[procedure.procedure.ConfigureBySetParameterValues]
parameter_key = "from-toml"
params = [{ name = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID", type = "unsignedInt", value = "11" }]
"#,
    )
    .unwrap();
    let events = dir.join("events.jsonl");
    let token = dir.join("api-token");
    std::fs::write(&token, "a-long-enough-api-token\n").unwrap();
    let api = free_port();
    let (mut hems, url) = start_hems(&[
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "5",
        "--quiet",
        "--api-listen",
        &api,
        "--api-token-file",
        token.to_str().unwrap(),
        "--script",
        script.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    let cwmp = url
        .trim_start_matches("http://")
        .trim_end_matches("/cwmp")
        .to_owned();
    // one Connection Request port for all simulated HeNBs: the API's procedure still
    // reaches SIM1 by its own path
    let mut henb = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .args([
            "henb",
            "--hems",
            &url,
            "--duration",
            "4",
            "--shared-cr-port",
        ])
        .args(["--count", "2"])
        .spawn()
        .unwrap();
    std::thread::sleep(std::time::Duration::from_millis(1500));
    let spv = r#"{"device": "00A0C6-FAP-LTE-SIM1", "procedure": {"ConfigureBySetParameterValues": {
            "params": [{"name": "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID",
                        "type": "unsignedInt", "value": "12"}], "parameter_key": "from-api"}}}"#;
    let bearer = "Authorization: Bearer a-long-enough-api-token\r\n";
    // the API is not on the CWMP port, and wants its token
    let (status, _) = http_post(&cwmp, "/api/procedures", bearer, spv);
    assert_ne!(status, 201, "the CWMP port takes no procedures");
    let (status, _) = http_post(&api, "/api/procedures", "", spv);
    assert_eq!(status, 401, "no token");
    let wrong = "Authorization: Bearer a-long-enough-api-tokeX\r\n";
    let (status, _) = http_post(&api, "/api/procedures", wrong, spv);
    assert_eq!(status, 401, "a wrong token");
    let (status, body) = http_post(&api, "/api/procedures", bearer, spv);
    assert_eq!(status, 201, "{body}");
    assert_eq!(body, r#"{"id":2}"#);
    // the scheme's name is case-insensitive (RFC 6750 2.1)
    let lower = "Authorization: bearer a-long-enough-api-token\r\n";
    let (status, _) = http_post(&api, "/api/procedures", lower, "{}");
    assert_eq!(status, 400, "authenticated, then refused as a bad body");
    for bad in [
        r#"{"device": "x", "procedure": {"Nope": {}}}"#,
        // unknown fields and URLs the HeNB must not be sent to are refused with why
        r#"{"device": "x", "procedure": {"FirmwareUpgrade": {"url": "file:///etc/passwd",
            "username": "", "password": "", "file_size": 0, "timeout_ms": 1000}}}"#,
        r#"{"device": "x", "procedure": {"FirmwareUpgrade": {"url": "http://f/x",
            "username": "", "password": "", "file_size": 0, "timeout_ms": 1000, "evil": 1}}}"#,
        r#"{"device": "x", "extra": 1, "procedure": {"Rpc": "GetRPCMethods"}}"#,
        r#"{"device": "x", "procedure": {"FirmwareUpgrade": {"url": "http://a b/",
            "username": "", "password": "", "file_size": 0, "timeout_ms": 1000}}}"#,
        r#"{"device": "x", "procedure": {"FirmwareUpgrade": {"url": "http://u:p@h/x",
            "username": "", "password": "", "file_size": 0, "timeout_ms": 1000}}}"#,
    ] {
        let (status, body) = http_post(&api, "/api/procedures", bearer, bad);
        assert_eq!(status, 400, "{bad}: {body}");
        assert!(body.contains("error"), "{body}");
    }
    assert!(henb.wait().unwrap().success());
    assert!(hems.wait().unwrap().success());
    let log = std::fs::read_to_string(&events).unwrap();
    for id in [1, 2] {
        assert!(
            log.lines().any(|l| l.contains("\"ProcedureFinished\"")
                && l.contains(&format!("\"id\":{id},"))
                && l.contains("\"Success\"")),
            "procedure {id}: {log}"
        );
    }
    assert!(
        log.contains("6 CONNECTION REQUEST"),
        "the API procedure came by Connection Request: {log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A loopback port free a moment ago.
fn free_port() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

#[test]
fn without_api_the_procedure_endpoint_does_not_exist() {
    let (mut hems, url) = start_hems(&["--listen", "127.0.0.1:0", "--duration", "1", "--quiet"]);
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches("/cwmp")
        .to_owned();
    let (status, _) = http_post(&addr, "/api/procedures", "", "{}");
    assert_ne!(status, 201);
    assert!(hems.wait().unwrap().success());
    // the API needs a token file, and a token worth the name
    let bin = env!("CARGO_BIN_EXE_femtocwmp");
    let out = Command::new(bin)
        .args(["hems", "--auth", "none", "--listen", "127.0.0.1:0"])
        .args(["--api-listen", "127.0.0.1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--api-token-file"));
    let dir = std::env::temp_dir().join(format!("femtocwmp-token-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("t"), "short\n").unwrap();
    let out = Command::new(bin)
        .args(["hems", "--auth", "none", "--listen", "127.0.0.1:0"])
        .args(["--api-listen", "127.0.0.1:0", "--api-token-file"])
        .arg(dir.join("t"))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("at least 16 characters"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_download_from_a_file_server_on_another_host_is_fetched_there() {
    let (dir, files) = config_files("files2", "other.xml", 1450);
    // a second process serves the files only; the HeMS has none
    let (mut file_server, file_url) = start_hems(&[
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "5",
        "--quiet",
        "--files",
        files.to_str().unwrap(),
    ]);
    let base = file_url.trim_end_matches("/cwmp");
    let script = dir.join("script.json");
    std::fs::write(
        &script,
        format!(
            r#"[{{"device": "00A0C6-FAP-LTE-SIM1", "procedure": {{"ConfigureByFileDownload": {{
                "url": "{base}/files/other.xml", "username": "", "password": "", "file_size": 0,
                "target_file_name": "", "delay_seconds": 0, "timeout_ms": 10000}}}}}}]"#
        ),
    )
    .unwrap();
    let events = dir.join("events.jsonl");
    let (mut hems, url) = start_hems(&[
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "4",
        "--quiet",
        "--script",
        script.to_str().unwrap(),
        "--events",
        events.to_str().unwrap(),
    ]);
    let henb = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .args(["henb", "--hems", &url, "--duration", "3"])
        .output()
        .unwrap();
    assert!(henb.status.success());
    assert!(hems.wait().unwrap().success());
    assert!(file_server.wait().unwrap().success());
    let log = std::fs::read_to_string(&events).unwrap();
    assert!(
        log.lines()
            .any(|l| l.contains("\"ProcedureFinished\"") && l.contains("\"Success\"")),
        "{log}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
