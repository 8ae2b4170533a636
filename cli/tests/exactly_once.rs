//! Exactly once, against the real binaries on loopback: a HeMS restarted with the same
//! command line, or killed with SIGKILL at arbitrary moments, finishes every procedure once,
//! sends nothing twice, reuses no id and loses no event. Every process stops by itself
//! (`--duration`), every loop is bounded in count and time.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_femtocwmp");
const PHY: &str = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID";

/// A fresh directory for one test.
fn workdir(tag: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("femtocwmp-{tag}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("files")).unwrap();
    std::fs::write(
        dir.join("files/cfg.xml"),
        "<configDataFile><configData><Device><Services><FAPService index=\"1\"><CellConfig>\
         <LTE><RAN><RF><EARFCNDL>1350</EARFCNDL></RF></RAN></LTE></CellConfig>\
         </FAPService></Services></Device></configData></configDataFile>",
    )
    .unwrap();
    // HeNBs that retry a failed session within 1-2 s (TR-069 3.2.1.1, from their model)
    std::fs::write(
        dir.join("model.json"),
        r#"{"Device.ManagementServer.CWMPRetryMinimumWaitInterval": "1",
            "Device.ManagementServer.CWMPRetryIntervalMultiplier": "1000"}"#,
    )
    .unwrap();
    dir
}

/// A file server of its own (killing the HeMS does not take the files away): Python's
/// `http.server` on `dir/files`; returns it and its base URL.
fn file_server(dir: &Path) -> (Child, String) {
    let addr = free_addr();
    let port = addr.rsplit(':').next().unwrap().to_owned();
    let server = Command::new("python3")
        .args(["-m", "http.server", &port, "--bind", "127.0.0.1"])
        .current_dir(dir.join("files"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "the file server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    (server, format!("http://{addr}"))
}

/// A script of a file download (from `files`, a base URL; "" for the HeMS's own file
/// server) and a SetParameterValues for each of `count` HeNBs.
fn script(dir: &Path, files: &str, prefix: &str, count: usize) -> PathBuf {
    let entries: Vec<String> = (1..=count)
        .flat_map(|i| {
            let device = format!("00A0C6-FAP-LTE-{prefix}{i}");
            [
                format!(
                    r#"{{"device": "{device}", "procedure": {{"ConfigureByFileDownload": {{
                        "url": "{files}/cfg.xml", "username": "", "password": "",
                        "file_size": 0, "target_file_name": "", "delay_seconds": 0,
                        "timeout_ms": 600000}}}}}}"#
                ),
                format!(
                    r#"{{"device": "{device}", "procedure": {{"ConfigureBySetParameterValues": {{
                        "params": [{{"name": "{PHY}", "type": "unsignedInt", "value": "{i}"}}],
                        "parameter_key": "once"}}}}}}"#
                ),
            ]
        })
        .collect();
    let path = dir.join("script.json");
    std::fs::write(&path, format!("[{}]", entries.join(","))).unwrap();
    path
}

/// The HeMS's command line: the same on every (re)start.
fn hems_args(dir: &Path, listen: &str, script: &Path, seconds: &str) -> Vec<String> {
    let p = |name: &str| dir.join(name).to_str().unwrap().to_owned();
    [
        "hems",
        "--auth",
        "none",
        "--quiet",
        "--listen",
        listen,
        "--store",
        &p("hems.sqlite"),
        "--events",
        &p("events.jsonl"),
        "--files",
        &p("files"),
        "--script",
        script.to_str().unwrap(),
        "--duration",
        seconds,
    ]
    .map(str::to_owned)
    .to_vec()
}

/// Starts the HeMS and waits until it listens.
fn start_hems(args: &[String]) -> Child {
    let mut hems = Command::new(BIN)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(hems.stderr.take().unwrap());
    let mut said = String::new();
    loop {
        let mut line = String::new();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "the HeMS ended early: {said}"
        );
        said.push_str(&line);
        // the API, if any, comes up after the CWMP listener
        let waiting_for = if args.iter().any(|a| a == "--api-listen") {
            "API listening on "
        } else {
            "HeMS listening on "
        };
        if line.starts_with(waiting_for) {
            break;
        }
    }
    std::thread::spawn(move || for _ in err.lines() {});
    hems
}

/// A loopback address free a moment ago.
fn free_addr() -> String {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().to_string()
}

/// The events file's lines, parsed.
fn events(dir: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(dir.join("events.jsonl"))
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// Per (device, procedure id): the outcomes of its ProcedureFinished events.
fn finished(events: &[serde_json::Value]) -> BTreeMap<(String, u64), Vec<String>> {
    let mut done: BTreeMap<(String, u64), Vec<String>> = BTreeMap::new();
    for e in events {
        if let Some(f) = e.get("ProcedureFinished") {
            let outcome = match &f["outcome"] {
                serde_json::Value::String(s) => s.clone(),
                o => o.as_object().unwrap().keys().next().unwrap().clone(),
            };
            done.entry((
                f["device"].as_str().unwrap().to_owned(),
                f["id"].as_u64().unwrap(),
            ))
            .or_default()
            .push(outcome);
        }
    }
    done
}

/// The numbered events' `seq`s are strictly increasing: none lost in order, none twice.
fn assert_numbered_once(events: &[serde_json::Value]) {
    let seqs: Vec<i64> = events.iter().filter_map(|e| e["seq"].as_i64()).collect();
    assert!(
        seqs.windows(2).all(|w| w[0] < w[1]),
        "event numbers out of order or repeated: {seqs:?}"
    );
}

fn henbs(url: &str, dir: &Path, prefix: &str, count: usize, seconds: &str) -> Child {
    Command::new(BIN)
        .args(["henb", "--hems", url, "--serial-prefix", prefix])
        // booting over 2 s: the work spans the kills
        .args(["--ramp", if count > 10 { "2" } else { "0" }])
        .args(["--count", &count.to_string(), "--shared-cr-port"])
        .args(["--data-model", dir.join("model.json").to_str().unwrap()])
        .args(["--duration", seconds])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_restart_with_the_same_command_line_runs_nothing_twice() {
    let dir = workdir("restart-same");
    let script = script(&dir, "/files", "R", 3);
    let addr = free_addr();
    let url = format!("http://{addr}/cwmp");
    let args = hems_args(&dir, &addr, &script, "8");
    for round in 0..2 {
        let mut hems = start_hems(&args);
        let mut henb = henbs(&url, &dir, "R", 3, "5");
        assert!(henb.wait().unwrap().success());
        assert!(hems.wait().unwrap().success(), "round {round}");
        let done = finished(&events(&dir));
        // the first run finished the six; the second submitted none of them again
        assert_eq!(done.len(), 6, "round {round}: {done:?}");
        assert!(
            done.values().all(|o| o == &["Success"]),
            "round {round}: {done:?}"
        );
    }
    let all = events(&dir);
    // the file was appended to: both runs' registrations are there
    let informed = all.iter().filter(|e| e.get("Informed").is_some()).count();
    assert!(informed >= 6, "{informed} Informs in the file");
    assert_numbered_once(&all);
    let ids: BTreeSet<u64> = finished(&all).keys().map(|(_, id)| *id).collect();
    assert_eq!(ids.len(), 6, "ids are not reused");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn sigkill_at_arbitrary_moments_loses_nothing_and_repeats_nothing() {
    let dir = workdir("sigkill");
    let count = 50;
    let (mut files, files_url) = file_server(&dir);
    let script = script(&dir, &files_url, "K", count);
    let addr = free_addr();
    let url = format!("http://{addr}/cwmp");
    let args = hems_args(&dir, &addr, &script, "40");
    let started = Instant::now();
    let mut henb = henbs(&url, &dir, "K", count, "30");
    // three kills, each a moment into the work, each followed by a restart with the same
    // command line (the moments vary with the run: the load decides what they cut)
    let mut hems = start_hems(&args);
    for pause_ms in [400, 700, 800] {
        std::thread::sleep(Duration::from_millis(pause_ms));
        hems.kill().unwrap();
        hems.wait().unwrap();
        hems = start_hems(&args);
    }
    // then until every procedure has finished (or the time is up)
    let deadline = Instant::now() + Duration::from_secs(25);
    while Instant::now() < deadline && finished(&events(&dir)).len() < 2 * count {
        std::thread::sleep(Duration::from_millis(200));
    }
    for child in [&mut henb, &mut hems, &mut files] {
        let _ = child.kill();
        let _ = child.wait();
    }
    let all = events(&dir);
    let done = finished(&all);
    eprintln!(
        "{} procedures finished in {:?} across 3 kills",
        done.len(),
        started.elapsed()
    );
    let missing: Vec<String> = (1..=count)
        .map(|i| format!("00A0C6-FAP-LTE-K{i}"))
        .filter(|d| done.keys().filter(|(k, _)| k == d).count() != 2)
        .collect();
    let about: Vec<&serde_json::Value> = all
        .iter()
        .filter(|e| {
            missing
                .iter()
                .any(|d| e.to_string().contains(&format!("\"{d}\"")))
        })
        .collect();
    assert!(
        missing.is_empty(),
        "unfinished: {missing:?}; their events: {about:#?}"
    );
    assert_eq!(done.len(), 2 * count, "every procedure finished: {done:?}");
    for (key, outcomes) in &done {
        assert_eq!(outcomes, &["Success"], "{key:?} finished once, well");
    }
    assert_numbered_once(&all);
    let _ = std::fs::remove_dir_all(&dir);
}

/// One HTTP request; the status and body of the answer.
fn http(addr: &str, request: &str) -> (u16, String) {
    let mut s = std::net::TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    s.write_all(request.as_bytes()).unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    let status = reply.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    let body = reply
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    (status, body)
}

#[test]
fn api_submissions_are_keyed_and_kept_for_devices_not_seen_yet() {
    let dir = workdir("api-keyed");
    std::fs::write(dir.join("token"), "t0ken-t0ken-t0ken-1\n").unwrap();
    let script = dir.join("empty.json");
    std::fs::write(&script, "[]").unwrap();
    let addr = free_addr();
    let api = free_addr();
    let mut args = hems_args(&dir, &addr, &script, "20");
    args.extend(
        [
            "--api-listen",
            &api,
            "--api-token-file",
            dir.join("token").to_str().unwrap(),
        ]
        .map(str::to_owned),
    );
    let body = format!(
        r#"{{"device": "00A0C6-FAP-LTE-LATE1", "key": "ticket-42", "procedure":
            {{"ConfigureBySetParameterValues": {{"params": [{{"name": "{PHY}",
            "type": "unsignedInt", "value": "77"}}], "parameter_key": "api"}}}}}}"#
    );
    let post = format!(
        "POST /api/procedures HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken-t0ken-t0ken-1\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    let mut hems = start_hems(&args);
    // keys no device can have are refused, not kept forever
    for bad in [
        "nodash",
        "00A0C6-FAP bad",
        &format!("00A0C6-{}", "x".repeat(200)),
    ] {
        let body = format!(
            r#"{{"device": "{bad}", "procedure": {{"Rpc": {{"method": "Reboot", "command_key": "r"}}}}}}"#
        );
        let request = format!(
            "POST /api/procedures HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken-t0ken-t0ken-1\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let (status, why) = http(&api, &request);
        assert_eq!(status, 400, "{bad}: {why}");
    }
    let (status, first) = http(&api, &post);
    assert_eq!(status, 201, "{first}");
    // the client retries (a timeout on its side): the same procedure
    let (status, again) = http(&api, &post);
    assert_eq!((status, &again), (201, &first));
    // the HeMS dies before the device is ever seen
    hems.kill().unwrap();
    hems.wait().unwrap();
    let mut hems = start_hems(&args);
    let (status, after) = http(&api, &post);
    assert_eq!(
        (status, &after),
        (201, &first),
        "the key survives the restart"
    );
    // the device comes: its procedure runs, once
    let url = format!("http://{addr}/cwmp");
    let mut henb = henbs(&url, &dir, "LATE", 1, "4");
    assert!(henb.wait().unwrap().success());
    let _ = hems.kill();
    let _ = hems.wait();
    let done = finished(&events(&dir));
    let id: serde_json::Value = serde_json::from_str(&first).unwrap();
    assert_eq!(
        done.get(&(
            "00A0C6-FAP-LTE-LATE1".to_owned(),
            id["id"].as_u64().unwrap()
        )),
        Some(&vec!["Success".to_owned()]),
        "{done:?}"
    );
    assert_eq!(done.len(), 1, "{done:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// One request on a kept-alive connection: the status and body of the answer (status 0 if
/// the connection broke).
fn exchange(s: &mut std::net::TcpStream, body: &str) -> (u16, String) {
    let request = format!(
        "POST /cwmp HTTP/1.1\r\nHost: h\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    );
    if s.write_all(request.as_bytes()).is_err() {
        return (0, String::new());
    }
    let mut reader = BufReader::new(s.try_clone().unwrap());
    let mut status = String::new();
    if reader.read_line(&mut status).unwrap_or(0) == 0 {
        return (0, String::new());
    }
    let mut length = 0;
    loop {
        let mut line = String::new();
        reader.read_line(&mut line).unwrap();
        if line.trim().is_empty() {
            break;
        }
        if let Some((k, v)) = line.split_once(':') {
            if k.eq_ignore_ascii_case("content-length") {
                length = v.trim().parse().unwrap();
            }
        }
    }
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).unwrap();
    (
        status.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0),
        String::from_utf8(body).unwrap(),
    )
}

#[test]
fn a_henb_whose_sessions_always_fail_is_asked_within_the_policy_then_given_up() {
    let dir = workdir("always-failing");
    std::fs::write(
        dir.join("script.json"),
        format!(
            r#"[{{"device": "00A0C6-FAP-LTE-F1", "procedure": {{"ConfigureBySetParameterValues": {{
                "params": [{{"name": "{PHY}", "type": "unsignedInt", "value": "9"}}],
                "parameter_key": "never"}}}}}}]"#
        ),
    )
    .unwrap();
    let addr = free_addr();
    let mut args = hems_args(&dir, &addr, &dir.join("script.json"), "30");
    args.extend(["--session-retry-base", "1"].map(str::to_owned));
    let mut hems = start_hems(&args);
    // a scripted HeNB: it informs, then drops the connection whenever the HeMS asks it
    // anything; it answers every Connection Request (200) with another such session
    let cr = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let cr_url = format!("http://{}/cr", cr.local_addr().unwrap());
    let inform = format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soapenv:Header><cwmp:ID soapenv:mustUnderstand="1">1</cwmp:ID></soapenv:Header><soapenv:Body><cwmp:Inform><DeviceId><Manufacturer>x</Manufacturer><OUI>00A0C6</OUI><ProductClass>FAP-LTE</ProductClass><SerialNumber>F1</SerialNumber></DeviceId><Event><EventStruct><EventCode>1 BOOT</EventCode><CommandKey></CommandKey></EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-12-05T10:00:00Z</CurrentTime><RetryCount>0</RetryCount><ParameterList><ParameterValueStruct><Name>Device.ManagementServer.ConnectionRequestURL</Name><Value>{cr_url}</Value></ParameterValueStruct></ParameterList></cwmp:Inform></soapenv:Body></soapenv:Envelope>"#
    );
    let failing_session = || {
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
        let (status, _) = exchange(&mut s, &inform);
        assert_eq!(status, 200);
        let (status, request) = exchange(&mut s, "");
        // asked something: the connection breaks right here
        assert!(
            status == 204 || request.contains("SetParameterValues"),
            "{request}"
        );
    };
    failing_session();
    cr.set_nonblocking(true).unwrap();
    let started = Instant::now();
    let mut asked = Vec::new();
    while started.elapsed() < Duration::from_secs(8) {
        match cr.accept() {
            Ok((mut s, _)) => {
                s.set_nonblocking(false).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(2))).unwrap();
                let mut buf = [0u8; 2048];
                let _ = s.read(&mut buf);
                let _ = s.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                );
                drop(s);
                asked.push(started.elapsed());
                failing_session();
            }
            Err(_) => std::thread::sleep(Duration::from_millis(20)),
        }
    }
    let _ = hems.kill();
    let _ = hems.wait();
    let all = events(&dir);
    eprintln!("Connection Requests to a HeNB whose sessions all fail, in 8 s: {asked:?}");
    // one failed session at boot, then asked after 1 s and after 2 s (the backoff): the third
    // failed session ends the procedure
    assert_eq!(asked.len(), 2, "{asked:?}");
    let failed: Vec<&serde_json::Value> = all
        .iter()
        .filter_map(|e| e.get("ProcedureFinished"))
        .collect();
    assert_eq!(failed.len(), 1, "{all:?}");
    let reason = failed[0]["outcome"]["Failed"]["reason"].as_str().unwrap();
    assert!(reason.contains("3 sessions"), "{reason}");
    let scheduled = all
        .iter()
        .filter(|e| e.get("ConnectionRequestScheduled").is_some())
        .count();
    assert_eq!(scheduled, 2, "the backoffs are in the events");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_scripted_procedure_goes_in_the_session_of_the_inform_that_sets_it_off() {
    let dir = workdir("first-session");
    let count = 20;
    let entries: Vec<String> = (1..=count)
        .map(|i| {
            format!(
                r#"{{"device": "00A0C6-FAP-LTE-S{i}", "procedure": {{"ConfigureBySetParameterValues": {{
                    "params": [{{"name": "{PHY}", "type": "unsignedInt", "value": "{i}"}}],
                    "parameter_key": "first"}}}}}}"#
            )
        })
        .collect();
    let script = dir.join("script.json");
    std::fs::write(&script, format!("[{}]", entries.join(","))).unwrap();
    let addr = free_addr();
    let mut hems = start_hems(&hems_args(&dir, &addr, &script, "20"));
    // scripted HeNBs that cannot be reached by Connection Request (behind a NAT): each gets
    // its procedure in the session it opens, or never
    for i in 1..=count {
        let inform = format!(
            r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soapenv:Header><cwmp:ID soapenv:mustUnderstand="1">1</cwmp:ID></soapenv:Header><soapenv:Body><cwmp:Inform><DeviceId><Manufacturer>x</Manufacturer><OUI>00A0C6</OUI><ProductClass>FAP-LTE</ProductClass><SerialNumber>S{i}</SerialNumber></DeviceId><Event><EventStruct><EventCode>1 BOOT</EventCode><CommandKey></CommandKey></EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-12-05T10:00:00Z</CurrentTime><RetryCount>0</RetryCount><ParameterList></ParameterList></cwmp:Inform></soapenv:Body></soapenv:Envelope>"#
        );
        let mut s = std::net::TcpStream::connect(&addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        assert_eq!(exchange(&mut s, &inform).0, 200);
        let (status, request) = exchange(&mut s, "");
        assert!(
            status == 200 && request.contains("SetParameterValues"),
            "S{i}: the empty POST got {status} {request}"
        );
    }
    let _ = hems.kill();
    let _ = hems.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn api_submissions_count_against_the_device_limit() {
    let dir = workdir("api-limit");
    std::fs::write(dir.join("token"), "t0ken-t0ken-t0ken-1\n").unwrap();
    let script = dir.join("empty.json");
    std::fs::write(&script, "[]").unwrap();
    let (addr, api) = (free_addr(), free_addr());
    let mut args = hems_args(&dir, &addr, &script, "10");
    args.extend(
        [
            "--api-listen",
            &api,
            "--api-token-file",
            dir.join("token").to_str().unwrap(),
            "--max-devices",
            "1",
        ]
        .map(str::to_owned),
    );
    let mut hems = start_hems(&args);
    let post = |device: &str| {
        let body = format!(
            r#"{{"device": "{device}", "procedure": {{"Rpc": {{"method": "Reboot", "command_key": "r"}}}}}}"#
        );
        http(
            &api,
            &format!(
                "POST /api/procedures HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer t0ken-t0ken-t0ken-1\r\n\
                 Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            ),
        )
    };
    assert_eq!(post("00A0C6-FAP-LTE-N1").0, 201);
    assert_eq!(
        post("00A0C6-FAP-LTE-N1").0,
        201,
        "a known device is no new one"
    );
    let (status, why) = post("00A0C6-FAP-LTE-N2");
    assert_eq!(status, 503, "{why}");
    assert!(why.contains("device limit"), "{why}");
    let _ = hems.kill();
    let _ = hems.wait();
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_henb_killed_with_transfer_completes_pending_delivers_each_once_after_a_restart() {
    let dir = workdir("henb-state");
    let count = 5;
    // a slow file server that counts what it serves: each fetch takes 2 s
    let addr = free_addr();
    let port = addr.rsplit(':').next().unwrap().to_owned();
    let served = dir.join("served.log");
    let mut files = Command::new("python3")
        .arg("-c")
        .arg(
            "import http.server, sys, time\n\
             class H(http.server.SimpleHTTPRequestHandler):\n\
             \x20   def do_GET(self):\n\
             \x20       time.sleep(2)\n\
             \x20       open(sys.argv[2], 'a').write(self.path + '\\n')\n\
             \x20       super().do_GET()\n\
             \x20   def log_message(self, *a): pass\n\
             http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n",
        )
        .args([&port, served.to_str().unwrap()])
        .current_dir(dir.join("files"))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(&addr).is_err() {
        assert!(Instant::now() < deadline, "the file server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    let script = script(&dir, &format!("http://{addr}"), "P", count);
    let hems_addr = free_addr();
    let url = format!("http://{hems_addr}/cwmp");
    let args = hems_args(&dir, &hems_addr, &script, "40");
    let henb_args = |seconds: &str| {
        let mut c = Command::new(BIN);
        c.args(["henb", "--hems", &url, "--serial-prefix", "P"])
            .args(["--count", &count.to_string(), "--shared-cr-port"])
            .args(["--data-model", dir.join("model.json").to_str().unwrap()])
            .args(["--state-dir", dir.join("henb-state").to_str().unwrap()])
            .args(["--duration", seconds])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    let mut hems = start_hems(&args);
    let mut henb = henb_args("30").spawn().unwrap();
    // the Downloads go out and are accepted; the HeMS dies before any TransferComplete (the
    // fetches take 2 s), then the HeNBs fetch, apply, and cannot report; then they die too
    std::thread::sleep(Duration::from_millis(1_200));
    hems.kill().unwrap();
    hems.wait().unwrap();
    std::thread::sleep(Duration::from_millis(2_800));
    henb.kill().unwrap();
    henb.wait().unwrap();
    let fetched_before = std::fs::read_to_string(&served)
        .unwrap_or_default()
        .lines()
        .count();
    // both come back with the same command lines
    let mut hems = start_hems(&args);
    let mut henb = henb_args("30").spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline && finished(&events(&dir)).len() < 2 * count {
        std::thread::sleep(Duration::from_millis(200));
    }
    for child in [&mut henb, &mut hems, &mut files] {
        let _ = child.kill();
        let _ = child.wait();
    }
    let done = finished(&events(&dir));
    let fetched = std::fs::read_to_string(&served)
        .unwrap_or_default()
        .lines()
        .count();
    eprintln!("fetched {fetched_before} before the kills, {fetched} in all; finished: {done:?}");
    assert_eq!(done.len(), 2 * count, "{done:?}");
    for (key, outcomes) in &done {
        assert_eq!(outcomes, &["Success"], "{key:?}: once, well");
    }
    assert_eq!(
        fetched_before, count,
        "each HeNB fetched its file before the kills"
    );
    assert_eq!(
        fetched, count,
        "and none fetched it again after the restart"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A small deterministic generator for the chaos schedule (seeded, so a failing run can be
/// replayed with FEMTOCWMP_CHAOS_SEED).
fn lcg(seed: &mut u64) -> u64 {
    *seed = seed
        .wrapping_mul(6_364_136_223_846_793_005)
        .wrapping_add(1_442_695_040_888_963_407);
    *seed >> 33
}

/// Run by `make test` through `make chaos`, which prints its counts.
#[test]
#[ignore = "run by `make chaos` (part of `make test`), which prints its counts"]
fn chaos_hems_killed_three_times_and_henb_twice_every_procedure_once() {
    let dir = workdir("chaos");
    let count = 50;
    let mut seed: u64 = std::env::var("FEMTOCWMP_CHAOS_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(20_261_205);
    let first_seed = seed;
    // a file server of its own that counts fetches (a HeNB applies a file only after
    // fetching it: twice applied would be twice fetched)
    let files_addr = free_addr();
    let port = files_addr.rsplit(':').next().unwrap().to_owned();
    let served = dir.join("served.log");
    let mut files = Command::new("python3")
        .arg("-c")
        .arg(
            "import http.server, sys, time\n\
             class H(http.server.SimpleHTTPRequestHandler):\n\
             \x20   def do_GET(self):\n\
             \x20       time.sleep(0.3)\n\
             \x20       open(sys.argv[2], 'a').write(self.path + '\\n')\n\
             \x20       super().do_GET()\n\
             \x20   def log_message(self, *a): pass\n\
             http.server.ThreadingHTTPServer(('127.0.0.1', int(sys.argv[1])), H).serve_forever()\n",
        )
        .args([&port, served.to_str().unwrap()])
        .current_dir(dir.join("files"))
        .spawn()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(5);
    while std::net::TcpStream::connect(&files_addr).is_err() {
        assert!(Instant::now() < deadline, "the file server did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    // each HeNB fetches its own file: cfg.xml under a name of its own
    let entries: Vec<String> = (1..=count)
        .flat_map(|i| {
            std::fs::copy(
                dir.join("files/cfg.xml"),
                dir.join(format!("files/c{i}.xml")),
            )
            .unwrap();
            let device = format!("00A0C6-FAP-LTE-C{i}");
            [
                format!(
                    r#"{{"device": "{device}", "procedure": {{"ConfigureByFileDownload": {{
                        "url": "http://{files_addr}/c{i}.xml", "username": "", "password": "",
                        "file_size": 0, "target_file_name": "", "delay_seconds": 0,
                        "timeout_ms": 600000}}}}}}"#
                ),
                format!(
                    r#"{{"device": "{device}", "procedure": {{"ConfigureBySetParameterValues": {{
                        "params": [{{"name": "{PHY}", "type": "unsignedInt", "value": "{i}"}}],
                        "parameter_key": "chaos"}}}}}}"#
                ),
            ]
        })
        .collect();
    let script = dir.join("script.json");
    std::fs::write(&script, format!("[{}]", entries.join(","))).unwrap();
    let hems_addr = free_addr();
    let url = format!("http://{hems_addr}/cwmp");
    let args = hems_args(&dir, &hems_addr, &script, "60");
    let henb_command = || {
        let mut c = Command::new(BIN);
        c.args(["henb", "--hems", &url, "--serial-prefix", "C"])
            .args([
                "--count",
                &count.to_string(),
                "--shared-cr-port",
                "--ramp",
                "2",
            ])
            .args(["--data-model", dir.join("model.json").to_str().unwrap()])
            .args(["--state-dir", dir.join("henb-state").to_str().unwrap()])
            .args(["--duration", "50"])
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    // the schedule: 3 HeMS kills and 2 henb kills at seeded moments within the first 4 s
    let mut kills: Vec<(u64, &str)> = (0..5)
        .map(|k| {
            (
                300 + lcg(&mut seed) % 3_700,
                if k < 3 { "hems" } else { "henb" },
            )
        })
        .collect();
    kills.sort();
    let started = Instant::now();
    let mut hems = start_hems(&args);
    let mut henb = henb_command().spawn().unwrap();
    for (at, which) in &kills {
        let wait = Duration::from_millis(*at).saturating_sub(started.elapsed());
        std::thread::sleep(wait);
        if *which == "hems" {
            hems.kill().unwrap();
            hems.wait().unwrap();
            hems = start_hems(&args);
        } else {
            henb.kill().unwrap();
            henb.wait().unwrap();
            henb = henb_command().spawn().unwrap();
        }
    }
    let deadline = Instant::now() + Duration::from_secs(40);
    while Instant::now() < deadline && finished(&events(&dir)).len() < 2 * count {
        std::thread::sleep(Duration::from_millis(200));
    }
    for child in [&mut henb, &mut hems, &mut files] {
        let _ = child.kill();
        let _ = child.wait();
    }
    let all = events(&dir);
    let done = finished(&all);
    let mut fetches: BTreeMap<String, usize> = BTreeMap::new();
    for line in std::fs::read_to_string(&served).unwrap_or_default().lines() {
        *fetches.entry(line.to_owned()).or_default() += 1;
    }
    let twice = fetches.values().filter(|n| **n > 1).count();
    let repeated = done.values().filter(|o| o.len() > 1).count();
    // a download whose TransferComplete was lost would never finish
    let unfinished = 2 * count - done.len().min(2 * count);
    println!(
        "chaos (seed {first_seed}, kills at {kills:?}): {} of {} procedures finished, {} more \
         than once; {} downloads fetched twice; {} procedures never finished (a lost \
         TransferComplete would be one); outcomes: {:?}",
        done.len(),
        2 * count,
        repeated,
        twice,
        unfinished,
        done.values()
            .fold(BTreeMap::<&str, usize>::new(), |mut m, o| {
                *m.entry(o[0].as_str()).or_default() += 1;
                m
            })
    );
    assert_eq!(
        done.len(),
        2 * count,
        "every procedure finished (seed {first_seed})"
    );
    assert_eq!(
        repeated, 0,
        "none finished twice (seed {first_seed}): {done:?}"
    );
    assert_eq!(
        twice, 0,
        "no download fetched twice (seed {first_seed}): {fetches:?}"
    );
    assert_numbered_once(&all);
    let _ = std::fs::remove_dir_all(&dir);
}
