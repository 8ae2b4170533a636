//! `femtocwmp hems` over HTTPS (rustls) with certificates generated per run (rcgen): a HeNB
//! that trusts the HeMS's CA registers and is configured; one that trusts another CA is
//! refused with a message that says why; client certificates when the HeMS requires them.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

struct Pki {
    dir: PathBuf,
}

impl Pki {
    /// A CA, a server certificate for 127.0.0.1 and localhost, a client certificate, and
    /// a second, unrelated CA.
    fn new(name: &str) -> Pki {
        let dir = std::env::temp_dir().join(format!("femtocwmp-tls-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let ca = |dn: &str| {
            let mut p = CertificateParams::new(Vec::<String>::new()).unwrap();
            p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
            p.distinguished_name.push(rcgen::DnType::CommonName, dn);
            CertifiedIssuer::self_signed(p, KeyPair::generate().unwrap()).unwrap()
        };
        let hems_ca = ca("femtocwmp test CA");
        let other_ca = ca("some other CA");
        let leaf = |names: Vec<String>| {
            let key = KeyPair::generate().unwrap();
            let cert = CertificateParams::new(names)
                .unwrap()
                .signed_by(&key, &hems_ca)
                .unwrap();
            (cert.pem(), key.serialize_pem())
        };
        let (server, server_key) = leaf(vec!["127.0.0.1".into(), "localhost".into()]);
        // the HeNB's device certificate names its device (TS 33.320)
        let (client, client_key) = leaf(vec!["00A0C6-FAP-LTE-SIM1".into()]);
        for (file, text) in [
            ("ca.pem", hems_ca.pem()),
            ("other-ca.pem", other_ca.pem()),
            ("server.pem", server),
            ("server.key", server_key),
            ("client.pem", client),
            ("client.key", client_key),
        ] {
            std::fs::write(dir.join(file), text).unwrap();
        }
        Pki { dir }
    }

    fn path(&self, file: &str) -> String {
        self.dir.join(file).to_str().unwrap().to_owned()
    }
}

impl Drop for Pki {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

const SPV: &str = r#"[{"device": "00A0C6-FAP-LTE-SIM1", "procedure": {"ConfigureBySetParameterValues": {
    "params": [{"name": "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID",
                "type": "unsignedInt", "value": "222"}], "parameter_key": "tls"}}}]"#;

/// Starts an HTTPS HeMS with `extra` arguments; returns it, its URL and its events file.
fn start_hems(pki: &Pki, extra: &[&str]) -> (std::process::Child, String, PathBuf) {
    let script = pki.dir.join("script.json");
    std::fs::write(&script, SPV).unwrap();
    let events = pki.dir.join(format!("events-{}.jsonl", extra.len()));
    let mut hems = Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .args([
            "hems",
            "--auth",
            "none",
            "--listen",
            "127.0.0.1:0",
            "--duration",
            "7",
            "--quiet",
        ])
        .args(["--script", script.to_str().unwrap()])
        .args(["--events", events.to_str().unwrap()])
        .args([
            "--tls-cert",
            &pki.path("server.pem"),
            "--tls-key",
            &pki.path("server.key"),
        ])
        .args(extra)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // the first line that says where it listens (warnings may come before)
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
    // keep draining its stderr (TLS failures are reported there)
    std::thread::spawn(move || for _ in err.lines() {});
    (hems, url, events)
}

fn henb(url: &str, args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_femtocwmp"))
        .args(["henb", "--hems", url, "--duration", "2"])
        .args(args)
        .output()
        .unwrap()
}

fn procedure_succeeded(events: &Path) -> bool {
    std::fs::read_to_string(events)
        .unwrap_or_default()
        .lines()
        .any(|l| l.contains("\"ProcedureFinished\"") && l.contains("\"Success\""))
}

#[test]
fn a_henb_that_trusts_the_hems_ca_is_configured_over_https() {
    let pki = Pki::new("ok");
    let (mut hems, url, events) = start_hems(&pki, &[]);
    assert!(url.starts_with("https://127.0.0.1:"), "{url}");
    let out = henb(&url, &["--ca", &pki.path("ca.pem")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(hems.wait().unwrap().success());
    assert!(
        procedure_succeeded(&events),
        "{:?}",
        std::fs::read_to_string(&events)
    );
}

#[test]
fn a_henb_that_trusts_another_ca_is_refused_and_says_why() {
    let pki = Pki::new("wrong-ca");
    let (mut hems, url, events) = start_hems(&pki, &[]);
    let out = henb(&url, &["--ca", &pki.path("other-ca.pem")]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("TLS handshake with") && stderr.contains("certificate"),
        "{stderr}"
    );
    assert!(hems.wait().unwrap().success());
    let log = std::fs::read_to_string(&events).unwrap_or_default();
    assert!(!log.contains("\"Informed\""), "{log}");
}

#[test]
fn client_certificates_when_the_hems_requires_them() {
    let pki = Pki::new("client");
    let (mut hems, url, events) = start_hems(&pki, &["--client-ca", &pki.path("ca.pem")]);
    // without a client certificate: refused (TLS 1.3 tells the client on its first request)
    let out = henb(
        &url,
        &["--ca", &pki.path("ca.pem"), "--serial-prefix", "NOCERT"],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("CertificateRequired"), "{stderr}");
    // SIM1's device certificate presented by a HeNB claiming to be OTHER1: refused (TS 33.320)
    let _ = henb(
        &url,
        &[
            "--ca",
            &pki.path("ca.pem"),
            "--tls-cert",
            &pki.path("client.pem"),
            "--tls-key",
            &pki.path("client.key"),
            "--serial-prefix",
            "OTHER",
        ],
    );
    // with its own: configured
    let out = henb(
        &url,
        &[
            "--ca",
            &pki.path("ca.pem"),
            "--tls-cert",
            &pki.path("client.pem"),
            "--tls-key",
            &pki.path("client.key"),
        ],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(hems.wait().unwrap().success());
    let log = std::fs::read_to_string(&events).unwrap();
    assert!(!log.contains("NOCERT"), "{log}");
    assert!(
        log.lines().any(|l| l.contains("\"Refused\"")
            && l.contains("00A0C6-FAP-LTE-OTHER1")
            && l.contains("does not name")),
        "{log}"
    );
    assert!(
        !log.lines()
            .any(|l| l.contains("\"Informed\"") && l.contains("OTHER1")),
        "{log}"
    );
    assert!(procedure_succeeded(&events), "{log}");
}

#[test]
fn https_needs_a_ca_and_bad_pem_files_are_named() {
    let pki = Pki::new("args");
    let bin = env!("CARGO_BIN_EXE_femtocwmp");
    let out = Command::new(bin)
        .args([
            "henb",
            "--hems",
            "https://127.0.0.1:9/cwmp",
            "--duration",
            "1",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("https needs --ca FILE"));
    std::fs::write(pki.dir.join("junk.pem"), "not a certificate").unwrap();
    let out = Command::new(bin)
        .args([
            "hems",
            "--auth",
            "none",
            "--listen",
            "127.0.0.1:0",
            "--duration",
            "1",
        ])
        .args([
            "--tls-cert",
            &pki.path("junk.pem"),
            "--tls-key",
            &pki.path("server.key"),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("junk.pem"), "{stderr}");
    let out = Command::new(bin)
        .args([
            "hems",
            "--auth",
            "none",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            &pki.path("server.pem"),
        ])
        .output()
        .unwrap();
    assert!(!out.status.success(), "--tls-cert without --tls-key");
}
