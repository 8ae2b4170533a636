//! Trust, against the real binaries over real sockets: each HeNB authenticates with its own
//! credentials (`hems --devices`) and speaks for its own device only; `curl --digest`
//! completes a session; the file server serves nothing outside its directory. Every process
//! stops by itself (`--duration`), every client has a timeout.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const BIN: &str = env!("CARGO_BIN_EXE_femtocwmp");

/// A fresh scratch directory, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(tag: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("femtocwmp-trust-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }

    fn file(&self, name: &str, text: &str) -> String {
        let p = self.0.join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_owned()
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).to_str().unwrap().to_owned()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const DEVICES: &str = r#"{
  "00A0C6-FAP-LTE-A1": {"username": "a", "password": "pass-a"},
  "00A0C6-FAP-LTE-VICTIM1": {"username": "victim", "password": "pass-victim",
                             "connection_request_username": "cr-victim",
                             "connection_request_password": "cr-secret"}
}"#;

/// Starts `femtocwmp hems` with `args`; returns it, its CWMP URL and its stderr lines so far.
fn start_hems(args: &[&str]) -> (Child, String, Vec<String>) {
    let mut hems = Command::new(BIN)
        .arg("hems")
        .args(args)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err = BufReader::new(hems.stderr.take().unwrap());
    let mut seen = Vec::new();
    let url = loop {
        let mut line = String::new();
        assert!(
            err.read_line(&mut line).unwrap() > 0,
            "the HeMS ended early: {seen:?}"
        );
        if let Some(url) = line.trim().strip_prefix("HeMS listening on ") {
            break url.to_owned();
        }
        seen.push(line);
    };
    std::thread::spawn(move || for _ in err.lines() {});
    (hems, url, seen)
}

/// `host:port` of a CWMP URL `http://host:port/cwmp`.
fn host_port(url: &str) -> String {
    url.trim_start_matches("http://")
        .trim_end_matches("/cwmp")
        .to_owned()
}

fn events(path: &str) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn informed(log: &[serde_json::Value], device: &str) -> bool {
    log.iter()
        .any(|e| e["Informed"]["device"].as_str() == Some(device))
}

fn refused(log: &[serde_json::Value], device: &str) -> Vec<(u64, String)> {
    log.iter()
        .filter(|e| e["Refused"]["device"].as_str() == Some(device))
        .map(|e| {
            (
                e["Refused"]["status"].as_u64().unwrap(),
                e["Refused"]["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

/// An Inform of device `serial` as a HeNB would send it.
fn inform_xml(serial: &str) -> String {
    format!(
        r#"<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" xmlns:cwmp="urn:dslforum-org:cwmp-1-2"><soapenv:Header><cwmp:ID soapenv:mustUnderstand="1">1</cwmp:ID></soapenv:Header><soapenv:Body><cwmp:Inform><DeviceId><Manufacturer>x</Manufacturer><OUI>00A0C6</OUI><ProductClass>FAP-LTE</ProductClass><SerialNumber>{serial}</SerialNumber></DeviceId><Event><EventStruct><EventCode>1 BOOT</EventCode><CommandKey></CommandKey></EventStruct></Event><MaxEnvelopes>1</MaxEnvelopes><CurrentTime>2026-12-04T10:00:00Z</CurrentTime><RetryCount>0</RetryCount><ParameterList><ParameterValueStruct><Name>Device.ManagementServer.ConnectionRequestURL</Name><Value>http://127.0.0.1:9/cr</Value></ParameterValueStruct></ParameterList></cwmp:Inform></soapenv:Body></soapenv:Envelope>"#
    )
}

/// `curl --digest`: the Inform, then the empty POST on the same connection (the session is
/// bound to it, so the empty POST needs no credentials of its own); the HTTP statuses curl
/// reports.
fn curl_session(url: &str, user: &str, inform: &str) -> Vec<String> {
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "--digest", "-u", user])
        .args(["-H", "Content-Type: text/xml", "--data-binary"])
        .arg(format!("@{inform}"))
        .args(["-o", "/dev/null", "-w", "%{http_code}\\n", url])
        .args(["--next", "-s", "--max-time", "10"])
        .args([
            "--data-binary",
            "",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}\\n",
            url,
        ])
        .output()
        .expect("curl runs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

#[test]
fn curl_digest_completes_a_session_and_cannot_speak_for_another_device() {
    if Command::new("curl").arg("--version").output().is_err() {
        panic!("curl is needed for this test (Debian package curl)");
    }
    let dir = Scratch::new("curl");
    let devices = dir.file("devices.json", DEVICES);
    let log = dir.path("events.jsonl");
    let (mut hems, url, _) = start_hems(&[
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "4",
        "--quiet",
        "--devices",
        &devices,
        "--events",
        &log,
    ]);
    let own = dir.file("a1.xml", &inform_xml("A1"));
    assert_eq!(curl_session(&url, "a:pass-a", &own), ["200", "204"]);
    // A's password claiming VICTIM1: refused before anything of VICTIM1 is read
    let victim = dir.file("victim.xml", &inform_xml("VICTIM1"));
    assert_eq!(curl_session(&url, "a:pass-a", &victim)[0], "403");
    // a wrong password: challenged again, never served
    assert_eq!(curl_session(&url, "victim:guess", &victim)[0], "401");
    assert!(hems.wait().unwrap().success());
    let log = events(&log);
    assert!(informed(&log, "00A0C6-FAP-LTE-A1"), "{log:?}");
    assert!(!informed(&log, "00A0C6-FAP-LTE-VICTIM1"), "{log:?}");
    let why = refused(&log, "00A0C6-FAP-LTE-VICTIM1");
    assert!(
        why.iter()
            .any(|(s, r)| *s == 403 && r.contains("authenticated as 00A0C6-FAP-LTE-A1")),
        "{why:?}"
    );
    assert!(
        log.iter().any(|e| e["Refused"]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("wrong Digest response"))),
        "{log:?}"
    );
}

#[test]
fn simulated_henbs_with_their_own_and_with_borrowed_credentials() {
    let dir = Scratch::new("henbs");
    let devices = dir.file("devices.json", DEVICES);
    let script = dir.file(
        "script.json",
        r#"[{"device": "00A0C6-FAP-LTE-VICTIM1", "procedure": {"ConfigureBySetParameterValues": {
            "params": [{"name": "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID",
                        "type": "unsignedInt", "value": "77"}], "parameter_key": "victim-only"}}}]"#,
    );
    let log = dir.path("events.jsonl");
    let (mut hems, url, _) = start_hems(&[
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "6",
        "--quiet",
        "--devices",
        &devices,
        "--listed-only",
        "--script",
        &script,
        "--events",
        &log,
    ]);
    let henb = |prefix: &str, user: &str, password: &str| {
        Command::new(BIN)
            .args(["henb", "--hems", &url, "--duration", "2"])
            .args(["--serial-prefix", prefix, "--username", user])
            .args(["--password", password])
            .stderr(Stdio::null())
            .spawn()
            .unwrap()
    };
    // the impostor first: VICTIM1's identity with A's credentials, then an unlisted device
    let mut impostor = henb("VICTIM", "a", "pass-a");
    let mut unlisted = henb("NOBODY", "nobody", "x");
    assert!(impostor.wait().unwrap().success());
    assert!(unlisted.wait().unwrap().success());
    let mut real = henb("VICTIM", "victim", "pass-victim");
    assert!(real.wait().unwrap().success());
    assert!(hems.wait().unwrap().success());
    let log = events(&log);
    assert!(
        !refused(&log, "00A0C6-FAP-LTE-VICTIM1").is_empty(),
        "{log:?}"
    );
    assert!(informed(&log, "00A0C6-FAP-LTE-VICTIM1"), "{log:?}");
    assert!(!informed(&log, "00A0C6-FAP-LTE-NOBODY1"), "{log:?}");
    // the procedure went to the real VICTIM1 only, once
    let finished: Vec<_> = log
        .iter()
        .filter(|e| e["ProcedureFinished"]["device"].as_str() == Some("00A0C6-FAP-LTE-VICTIM1"))
        .collect();
    assert_eq!(finished.len(), 1, "{log:?}");
    assert!(finished[0]["ProcedureFinished"]["outcome"]["Success"].is_object());
}

#[test]
fn the_hems_says_how_henbs_authenticate_before_it_starts() {
    let dir = Scratch::new("start");
    let run = |args: &[&str]| {
        let out = Command::new(BIN)
            .args(["hems", "--listen", "127.0.0.1:0", "--duration", "1"])
            .args(args)
            .output()
            .unwrap();
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let (ok, err) = run(&[]);
    assert!(
        !ok && err.contains("choose how HeNBs authenticate"),
        "{err}"
    );
    let (ok, err) = run(&["--auth", "none"]);
    assert!(ok && err.contains("warning: --auth none"), "{err}");
    let (ok, err) = run(&["--username", "u", "--password", "p"]);
    assert!(
        ok && err.contains("one secret shared by every HeNB"),
        "{err}"
    );
    let devices = dir.file("devices.json", DEVICES);
    let (ok, err) = run(&["--devices", &devices, "--auth", "basic"]);
    assert!(
        !ok && err.contains("Basic authentication sends passwords in clear"),
        "{err}"
    );
    let (ok, err) = run(&["--auth", "cert"]);
    assert!(!ok && err.contains("--client-ca"), "{err}");
    let bad = dir.file(
        "bad.json",
        r#"{"00A0C6-X": {"username": "u", "pasword": "p"}}"#,
    );
    let (ok, err) = run(&["--devices", &bad]);
    assert!(!ok && err.contains("pasword"), "{err}");
    let toml = dir.file(
        "devices.toml",
        "[\"00A0C6-FAP-LTE-A1\"]\nusername = \"a\"\nha1 = \"0123456789abcdef0123456789abcdef\"\n",
    );
    let (ok, err) = run(&["--devices", &toml]);
    assert!(ok, "{err}");
}

/// A GET of `path` on `addr`: the status.
fn http_get(addr: &str, path: &str) -> u16 {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    reply[9..12].parse().unwrap()
}

#[test]
fn the_file_server_serves_nothing_outside_its_directory() {
    let dir = Scratch::new("files");
    let files = dir.0.join("files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("cfg.xml"), "<x/>").unwrap();
    std::fs::write(dir.0.join("secret.txt"), "secret").unwrap();
    let link = |target: &Path, name: &str| {
        std::os::unix::fs::symlink(target, files.join(name)).unwrap();
    };
    link(Path::new("/etc/passwd"), "passwd");
    link(&dir.0.join("secret.txt"), "secret.txt");
    link(Path::new("cfg.xml"), "alias.xml"); // inside: fine
    let (mut hems, url, _) = start_hems(&[
        "--auth",
        "none",
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "2",
        "--quiet",
        "--files",
        files.to_str().unwrap(),
    ]);
    let addr = host_port(&url);
    assert_eq!(http_get(&addr, "/files/cfg.xml"), 200);
    assert_eq!(http_get(&addr, "/files/alias.xml"), 200);
    assert_eq!(http_get(&addr, "/files/passwd"), 404);
    assert_eq!(http_get(&addr, "/files/secret.txt"), 404);
    assert_eq!(http_get(&addr, "/files/../secret.txt"), 404);
    assert!(hems.wait().unwrap().success());
}

/// One POST of `body` to `/cwmp` on a new connection, with an optional Authorization: the
/// status and the raw response head.
fn post_cwmp(addr: &str, authorization: Option<&str>, body: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    let auth = authorization
        .map(|a| format!("Authorization: {a}\r\n"))
        .unwrap_or_default();
    write!(
        s,
        "POST /cwmp HTTP/1.1\r\nHost: {addr}\r\nContent-Type: text/xml\r\n{auth}\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    let status = reply.get(9..12).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, reply)
}

#[test]
fn made_up_device_ids_cannot_grow_the_hems_without_bound() {
    let dir = Scratch::new("cap");
    let log = dir.path("events.jsonl");
    let (mut hems, url, _) = start_hems(&[
        "--auth",
        "none",
        "--max-devices",
        "3",
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "2",
        "--quiet",
        "--events",
        &log,
    ]);
    let addr = host_port(&url);
    let statuses: Vec<u16> = (0..5)
        .map(|i| post_cwmp(&addr, None, &inform_xml(&format!("FAKE{i}"))).0)
        .collect();
    assert_eq!(statuses, [200, 200, 200, 503, 503]);
    assert!(hems.wait().unwrap().success());
    let log = events(&log);
    let why = refused(&log, "00A0C6-FAP-LTE-FAKE3");
    assert!(
        why.iter()
            .any(|(s, r)| *s == 503 && r.contains("device limit")),
        "{log:?}"
    );
}

#[test]
fn guessing_is_throttled_but_the_real_device_still_gets_in() {
    let dir = Scratch::new("throttle");
    let devices = dir.file("devices.json", DEVICES);
    let log = dir.path("events.jsonl");
    let (mut hems, url, _) = start_hems(&[
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "4",
        "--quiet",
        "--devices",
        &devices,
        "--events",
        &log,
    ]);
    let addr = host_port(&url);
    // a client from 127.0.0.1 guessing A1's password, a new connection each time
    let guess = r#"Digest username="a", realm="femtocwmp", nonce="1.1.00", uri="/cwmp", qop=auth, nc=00000001, cnonce="x", response="00000000000000000000000000000000""#;
    let mut last = (0, String::new());
    let statuses: Vec<u16> = (0..12)
        .map(|_| {
            last = post_cwmp(&addr, Some(guess), &inform_xml("A1"));
            last.0
        })
        .collect();
    // five failures for the user name "a" block it for the addresses that failed (the
    // per-address limit, ten, would come next)
    assert_eq!(statuses[..5], [401; 5], "{statuses:?}");
    assert_eq!(statuses[5..], [429; 7], "{statuses:?}");
    assert!(
        last.1.to_ascii_lowercase().contains("retry-after: "),
        "{}",
        last.1
    );
    // the real A1, from another address of this host: served
    let own = dir.file("a1.xml", &inform_xml("A1"));
    let out = Command::new("curl")
        .args(["-s", "--max-time", "10", "--interface", "127.0.0.2"])
        .args(["--digest", "-u", "a:pass-a", "-H", "Content-Type: text/xml"])
        .arg("--data-binary")
        .arg(format!("@{own}"))
        .args(["-o", "/dev/null", "-w", "%{http_code}", &url])
        .output()
        .expect("curl runs");
    assert_eq!(String::from_utf8_lossy(&out.stdout), "200");
    assert!(hems.wait().unwrap().success());
    assert!(informed(&events(&log), "00A0C6-FAP-LTE-A1"));
}

#[test]
fn a_captured_authorization_is_not_accepted_twice() {
    let dir = Scratch::new("replay");
    let devices = dir.file("devices.json", DEVICES);
    let (mut hems, url, _) = start_hems(&[
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "2",
        "--quiet",
        "--devices",
        &devices,
    ]);
    let addr = host_port(&url);
    let (status, head) = post_cwmp(&addr, None, &inform_xml("A1"));
    assert_eq!(status, 401);
    let challenges: Vec<&str> = head
        .lines()
        .filter_map(|l| {
            l.split_once(':')
                .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
                .map(|(_, v)| v.trim())
        })
        .collect();
    let captured = femtocwmp::session::authorization_for(
        &challenges,
        "a",
        "pass-a",
        "POST",
        "/cwmp",
        "cnonce-1",
    )
    .unwrap();
    assert_eq!(post_cwmp(&addr, Some(&captured), &inform_xml("A1")).0, 200);
    for _ in 0..3 {
        assert_eq!(post_cwmp(&addr, Some(&captured), &inform_xml("A1")).0, 401);
    }
    assert!(hems.wait().unwrap().success());
}

#[test]
fn an_unauthenticated_body_is_never_read() {
    let dir = Scratch::new("head");
    let devices = dir.file("devices.json", DEVICES);
    let (mut hems, url, _) = start_hems(&[
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "2",
        "--quiet",
        "--devices",
        &devices,
    ]);
    let addr = host_port(&url);
    // 10 MB announced, not a byte of it sent: the challenge comes on the head alone
    let mut s = TcpStream::connect(&addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
    write!(
        s,
        "POST /cwmp HTTP/1.1\r\nHost: {addr}\r\nContent-Length: 10000000\r\n\r\n"
    )
    .unwrap();
    let mut head = [0u8; 12];
    s.read_exact(&mut head).expect("answered before the body");
    assert_eq!(&head[9..12], b"401");
    assert!(hems.wait().unwrap().success());
}

#[test]
fn connection_requests_never_send_a_password_in_clear() {
    // the "HeNB" at the Connection Request URL asks for Basic and notes what it gets
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let cr = listener.local_addr().unwrap();
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let noted = seen.clone();
    std::thread::spawn(move || {
        listener.set_nonblocking(true).unwrap();
        let until = std::time::Instant::now() + Duration::from_secs(5);
        while std::time::Instant::now() < until {
            let Ok((mut s, _)) = listener.accept() else {
                std::thread::sleep(Duration::from_millis(20));
                continue;
            };
            s.set_nonblocking(false).unwrap();
            s.set_read_timeout(Some(Duration::from_secs(1))).unwrap();
            let mut buf = [0u8; 4096];
            let n = s.read(&mut buf).unwrap_or(0);
            noted
                .lock()
                .unwrap()
                .push(String::from_utf8_lossy(&buf[..n]).into_owned());
            let _ = s.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"cr\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    let dir = Scratch::new("crbasic");
    let devices = dir.file(
        "devices.json",
        r#"{"00A0C6-FAP-LTE-C1": {"certificate_identity": "unused",
             "connection_request_username": "cru", "connection_request_password": "crp-secret"}}"#,
    );
    let token = dir.file("token", "a-long-enough-api-token\n");
    let api = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().to_string()
    };
    let (mut hems, url, _) = start_hems(&[
        "--auth",
        "none",
        "--devices",
        &devices,
        "--listen",
        "127.0.0.1:0",
        "--duration",
        "3",
        "--quiet",
        "--api-listen",
        &api,
        "--api-token-file",
        &token,
    ]);
    let addr = host_port(&url);
    let inform = inform_xml("C1").replace("http://127.0.0.1:9/cr", &format!("http://{cr}/cr"));
    assert_eq!(post_cwmp(&addr, None, &inform).0, 200);
    std::thread::sleep(Duration::from_millis(200));
    let body =
        r#"{"device": "00A0C6-FAP-LTE-C1", "procedure": {"Rpc": {"method": "GetRPCMethods"}}}"#;
    let mut s = TcpStream::connect(&api).unwrap();
    write!(
        s,
        "POST /api/procedures HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer a-long-enough-api-token\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut reply = String::new();
    let _ = s.read_to_string(&mut reply);
    assert!(reply.starts_with("HTTP/1.1 201"), "{reply}");
    assert!(hems.wait().unwrap().success());
    let seen = seen.lock().unwrap();
    assert!(!seen.is_empty(), "the Connection Request was sent");
    assert!(
        seen.iter()
            .all(|r| !r.to_ascii_lowercase().contains("authorization:")),
        "no credentials to a Basic challenge: {seen:?}"
    );
}
