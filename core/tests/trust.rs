//! Trust: every HeNB proves who it is, and nobody else can act for it. The HeMS is driven by
//! a scripted peer: HTTP requests built here byte by byte, Digest computed here from the RFC
//! 7616 formulas (md-5 and sha2 directly, not the library's client), so that the server is
//! not only checked against its own client.

use std::collections::BTreeMap;

use femtocwmp::hems::*;
use femtocwmp::session::*;
use femtocwmp::*;
use md5::Md5;
use sha2::{Digest as _, Sha256};

const A: &str = "00A0C6-FAP-LTE-A1";
const VICTIM: &str = "00A0C6-FAP-LTE-VICTIM";
const CR_URL: &str = "http://192.0.2.50:7547/cr";

fn device_id(serial: &str) -> DeviceIdStruct {
    DeviceIdStruct {
        manufacturer: "femtocwmp".into(),
        oui: "00A0C6".into(),
        product_class: "FAP-LTE".into(),
        serial_number: serial.into(),
    }
}

/// An Inform of device `serial` carrying `cr_url` as its Connection Request URL.
fn inform(serial: &str, cr_url: &str) -> Vec<u8> {
    let body = Body::Inform(Inform {
        device_id: device_id(serial),
        event: vec![EventStruct::new(EventCode::Boot)],
        max_envelopes: 1,
        parameter_list: vec![ParameterValueStruct::new(
            "Device.ManagementServer.ConnectionRequestURL",
            Value::string(cr_url),
        )],
        ..Inform::default()
    });
    encode(&Envelope::with_id(CwmpVersion::V1_2, "1", body))
}

fn transfer_complete(key: &str) -> Vec<u8> {
    let body = Body::TransferComplete(TransferComplete {
        command_key: key.into(),
        fault_struct: FaultStruct::success(),
        ..TransferComplete::default()
    });
    encode(&Envelope::with_id(CwmpVersion::V1_2, "2", body))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn h(sha256: bool, s: &str) -> String {
    if sha256 {
        hex(&Sha256::digest(s.as_bytes()))
    } else {
        hex(&Md5::digest(s.as_bytes()))
    }
}

/// A Digest client written from RFC 7616 3.4.1, for the scripted peer.
struct DigestClient {
    username: String,
    password: String,
    realm: String,
    nonce: String,
    sha256: bool,
    nc: u32,
}

impl DigestClient {
    /// Reads the challenge of a 401 (the first one of the wanted algorithm).
    fn from_challenge(r: &HttpResponse, username: &str, password: &str, sha256: bool) -> Self {
        let want = if sha256 {
            "algorithm=SHA-256"
        } else {
            "algorithm=MD5"
        };
        let c = r
            .headers
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case("www-authenticate"))
            .map(|(_, v)| v)
            .find(|v| v.contains(want))
            .unwrap_or_else(|| panic!("no {want} challenge in {r:?}"));
        let field = |name: &str| {
            let start = c.find(&format!("{name}=\"")).unwrap() + name.len() + 2;
            c[start..start + c[start..].find('"').unwrap()].to_owned()
        };
        DigestClient {
            username: username.into(),
            password: password.into(),
            realm: field("realm"),
            nonce: field("nonce"),
            sha256,
            nc: 0,
        }
    }

    /// The next `Authorization` for `POST uri` (nc counts up), with optional omissions.
    fn header_with(&mut self, uri: &str, qop: bool) -> String {
        self.nc += 1;
        let s = self.sha256;
        let ha1 = h(
            s,
            &format!("{}:{}:{}", self.username, self.realm, self.password),
        );
        let ha2 = h(s, &format!("POST:{uri}"));
        let nc = format!("{:08x}", self.nc);
        let cnonce = format!("cn{}", self.nc);
        let alg = if s { "SHA-256" } else { "MD5" };
        if qop {
            let resp = h(s, &format!("{ha1}:{}:{nc}:{cnonce}:auth:{ha2}", self.nonce));
            format!(
                "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", \
                 algorithm={alg}, qop=auth, nc={nc}, cnonce=\"{cnonce}\", response=\"{resp}\"",
                self.username, self.realm, self.nonce
            )
        } else {
            let resp = h(s, &format!("{ha1}:{}:{ha2}", self.nonce));
            format!(
                "Digest username=\"{}\", realm=\"{}\", nonce=\"{}\", uri=\"{uri}\", \
                 algorithm={alg}, response=\"{resp}\"",
                self.username, self.realm, self.nonce
            )
        }
    }

    fn header(&mut self) -> String {
        self.header_with("/cwmp", true)
    }
}

fn entry(username: &str, password: &str) -> DeviceCredentials {
    DeviceCredentials {
        username: username.into(),
        password: Some(password.into()),
        connection_request_username: Some(format!("cr-{username}")),
        connection_request_password: Some(format!("cr-secret-{username}")),
        ..DeviceCredentials::default()
    }
}

fn table() -> DeviceTable {
    DeviceTable::new(BTreeMap::from([
        (A.to_owned(), entry("a", "pass-a")),
        (VICTIM.to_owned(), entry("victim", "pass-victim")),
    ]))
    .unwrap()
}

/// A HeMS with per-device Digest credentials for A and VICTIM.
fn hems_with(policy: AuthPolicy, registration: Registration) -> Hems {
    let mut hems = Hems::new(HemsConfig {
        auth: AuthConfig {
            policy,
            nonce_secret: "test-secret".into(),
            ..AuthConfig::default()
        },
        registration,
        ..HemsConfig::default()
    });
    hems.set_credential_source(Box::new(table()));
    hems
}

fn digest_hems() -> Hems {
    hems_with(
        AuthPolicy::Devices {
            scheme: AuthScheme::Digest,
        },
        Registration::Open,
    )
}

/// Drives the HeMS: collects every output of the last call.
struct Peer {
    now: Timestamp,
    events: Vec<HemsEvent>,
    connection_requests: Vec<(String, String, String)>,
}

impl Peer {
    fn new() -> Peer {
        Peer {
            now: Timestamp(1_000),
            events: Vec::new(),
            connection_requests: Vec::new(),
        }
    }

    /// One POST on `conn` from `peer` (plain HTTP); the response the HeMS gives.
    fn post(
        &mut self,
        hems: &mut Hems,
        conn: u64,
        authorization: Option<&str>,
        body: &[u8],
    ) -> HttpResponse {
        self.now = self.now.plus_ms(10);
        let mut headers = vec![(":path", "/cwmp")];
        if let Some(a) = authorization {
            headers.push(("Authorization", a));
        }
        hems.handle_http_request(conn, &headers, body, self.now);
        let mut response = None;
        loop {
            match hems.poll_output() {
                HemsOutput::Respond {
                    conn: c,
                    response: r,
                } => {
                    assert_eq!(c, conn);
                    assert!(response.is_none(), "two responses to one request");
                    response = Some(*r);
                }
                HemsOutput::Event(e) => self.events.push(e),
                HemsOutput::ConnectionRequest {
                    device,
                    username,
                    password,
                    ..
                } => self.connection_requests.push((device, username, password)),
                HemsOutput::Timeout(_) | HemsOutput::Idle => break,
                _ => {}
            }
        }
        response.expect("the HeMS answers every request")
    }

    fn open(&mut self, hems: &mut Hems, conn: u64, peer: &str) {
        hems.connection_opened(
            conn,
            ConnectionInfo {
                peer: Some(peer.into()),
                ..ConnectionInfo::default()
            },
        );
    }

    /// A whole authenticated registration of `serial` on `conn`: challenge, Inform, empty
    /// POST; returns the client (its nonce may be reused).
    fn register(
        &mut self,
        hems: &mut Hems,
        conn: u64,
        serial: &str,
        user: &str,
        password: &str,
    ) -> DigestClient {
        self.open(hems, conn, "198.51.100.1");
        let challenge = self.post(hems, conn, None, &inform(serial, CR_URL));
        assert_eq!(challenge.status, 401);
        let mut client = DigestClient::from_challenge(&challenge, user, password, true);
        let r = self.post(hems, conn, Some(&client.header()), &inform(serial, CR_URL));
        assert_eq!(r.status, 200, "{r:?}");
        let r = self.post(hems, conn, None, b"");
        assert!(r.status == 204 || r.status == 200, "{r:?}");
        client
    }

    fn refusals(&self) -> Vec<(String, u16, String)> {
        self.events
            .iter()
            .filter_map(|e| match e {
                HemsEvent::Refused {
                    device,
                    status,
                    reason,
                    ..
                } => Some((device.clone(), *status, reason.clone())),
                _ => None,
            })
            .collect()
    }
}

fn spv() -> Procedure {
    Procedure::ConfigureBySetParameterValues {
        params: vec![ParameterValueStruct::new(
            "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.PhyCellID",
            Value::unsigned_int(7),
        )],
        parameter_key: "k".into(),
    }
}

fn download() -> Procedure {
    Procedure::ConfigureByFileDownload {
        url: "http://files.example.net/victim.xml".into(),
        username: "file-user".into(),
        password: "file-password".into(),
        file_size: 0,
        target_file_name: String::new(),
        delay_seconds: 0,
        timeout_ms: 600_000,
    }
}

#[test]
fn another_devices_password_cannot_claim_the_victim() {
    let mut hems = digest_hems();
    let mut peer = Peer::new();
    peer.register(&mut hems, 1, "VICTIM", "victim", "pass-victim");
    hems.submit(VICTIM, download(), peer.now);
    let before = hems.export_device(VICTIM).unwrap();
    assert_eq!(before.queue.len(), 1);
    // the attacker knows A's password and claims VICTIM
    peer.open(&mut hems, 2, "203.0.113.9");
    let challenge = peer.post(&mut hems, 2, None, &inform("VICTIM", "http://evil/cr"));
    assert_eq!(challenge.status, 401);
    let mut client = DigestClient::from_challenge(&challenge, "a", "pass-a", false);
    let r = peer.post(
        &mut hems,
        2,
        Some(&client.header()),
        &inform("VICTIM", "http://evil/cr"),
    );
    assert_eq!(r.status, 403);
    assert!(r.body.is_empty(), "no Download, no InformResponse");
    let refusals = peer.refusals();
    assert_eq!(refusals.len(), 1, "{refusals:?}");
    assert_eq!(refusals[0].0, VICTIM);
    assert!(refusals[0].2.contains("authenticated as 00A0C6-FAP-LTE-A1"));
    // nothing of VICTIM was read into a session or changed
    assert_eq!(hems.export_device(VICTIM).unwrap(), before);
    // the attacker's connection is still not a session: its empty POST opens nothing
    let r = peer.post(&mut hems, 2, None, b"");
    assert_eq!(r.status, 401);
}

#[test]
fn an_inform_as_a_then_as_victim_on_one_connection_is_refused() {
    let mut hems = digest_hems();
    let mut peer = Peer::new();
    peer.register(&mut hems, 1, "VICTIM", "victim", "pass-victim");
    hems.submit(VICTIM, download(), peer.now);
    let before = hems.export_device(VICTIM).unwrap();
    // A's own session on connection 2
    let mut a = peer.register(&mut hems, 2, "A1", "a", "pass-a");
    // a second Inform, claiming VICTIM, on A's kept-alive connection with A's credentials
    let r = peer.post(
        &mut hems,
        2,
        Some(&a.header()),
        &inform("VICTIM", "http://evil/cr"),
    );
    assert_eq!(r.status, 403, "{r:?}");
    // without credentials it is challenged, not served
    let r = peer.post(&mut hems, 2, None, &inform("VICTIM", "http://evil/cr"));
    assert_eq!(r.status, 401);
    assert_eq!(hems.export_device(VICTIM).unwrap(), before);
    // and within A's open session a second Inform ends that session, nothing else
    let mut hems = digest_hems();
    let mut peer = Peer::new();
    peer.register(&mut hems, 1, "VICTIM", "victim", "pass-victim");
    hems.submit(VICTIM, download(), peer.now);
    let before = hems.export_device(VICTIM).unwrap();
    peer.open(&mut hems, 3, "203.0.113.9");
    let c = peer.post(&mut hems, 3, None, &inform("A1", CR_URL));
    let mut a = DigestClient::from_challenge(&c, "a", "pass-a", true);
    let r = peer.post(&mut hems, 3, Some(&a.header()), &inform("A1", CR_URL));
    assert_eq!(r.status, 200);
    let r = peer.post(&mut hems, 3, None, &inform("VICTIM", "http://evil/cr"));
    let fault = decode(&r.body).unwrap();
    assert!(
        matches!(&fault.body, Body::Fault(f) if f.fault_code == FaultCode::AcsInvalidArguments),
        "one Inform per session: {:?}",
        fault.body
    );
    assert_eq!(hems.export_device(VICTIM).unwrap(), before);
}

#[test]
fn a_transfer_complete_for_the_victims_command_key_settles_nothing_of_the_victim() {
    let mut hems = digest_hems();
    let mut peer = Peer::new();
    // VICTIM takes its Download in a session and says Status 1: awaiting TransferComplete
    peer.register(&mut hems, 1, "VICTIM", "victim", "pass-victim");
    hems.submit(VICTIM, download(), peer.now);
    peer.open(&mut hems, 2, "198.51.100.1");
    let c = peer.post(&mut hems, 2, None, &inform("VICTIM", CR_URL));
    let mut v = DigestClient::from_challenge(&c, "victim", "pass-victim", true);
    let r = peer.post(&mut hems, 2, Some(&v.header()), &inform("VICTIM", CR_URL));
    assert_eq!(r.status, 200);
    let r = peer.post(&mut hems, 2, None, b"");
    let request = decode(&r.body).unwrap();
    let Body::Download(d) = &request.body else {
        panic!("{:?}", request.body)
    };
    let response = Envelope::with_id(
        CwmpVersion::V1_2,
        request.header.id.clone().unwrap(),
        Body::DownloadResponse(DownloadResponse {
            status: 1,
            ..DownloadResponse::default()
        }),
    );
    peer.post(&mut hems, 2, None, &encode(&response));
    let awaiting = hems.export_device(VICTIM).unwrap();
    assert_eq!(awaiting.awaiting_transfer.len(), 1);
    // A reports a TransferComplete with VICTIM's CommandKey in A's own session
    peer.open(&mut hems, 3, "203.0.113.9");
    let c = peer.post(&mut hems, 3, None, &inform("A1", CR_URL));
    let mut a = DigestClient::from_challenge(&c, "a", "pass-a", true);
    let r = peer.post(&mut hems, 3, Some(&a.header()), &inform("A1", CR_URL));
    assert_eq!(r.status, 200);
    let r = peer.post(&mut hems, 3, None, &transfer_complete(&d.command_key));
    assert_eq!(r.status, 200, "answered, as TR-069 wants");
    assert_eq!(
        hems.export_device(VICTIM).unwrap().awaiting_transfer,
        awaiting.awaiting_transfer,
        "still awaited"
    );
    assert!(
        !peer.events.iter().any(|e| matches!(
            e,
            HemsEvent::ProcedureFinished { device, .. } if device == VICTIM
        )),
        "{:?}",
        peer.events
    );
}

#[test]
fn digest_replays_and_sloppy_answers_are_refused() {
    let mut hems = digest_hems();
    let mut peer = Peer::new();
    peer.open(&mut hems, 1, "198.51.100.1");
    let c = peer.post(&mut hems, 1, None, &inform("A1", CR_URL));
    let mut a = DigestClient::from_challenge(&c, "a", "pass-a", true);
    let captured = a.header();
    let r = peer.post(&mut hems, 1, Some(&captured), &inform("A1", CR_URL));
    assert_eq!(r.status, 200);
    peer.post(&mut hems, 1, None, b"");
    // the captured header, replayed on new connections: refused every time
    for conn in 10..14 {
        peer.open(&mut hems, conn, "203.0.113.9");
        let r = peer.post(&mut hems, conn, Some(&captured), &inform("A1", CR_URL));
        assert_eq!(r.status, 401, "replay {conn}");
    }
    assert!(peer
        .refusals()
        .iter()
        .all(|(_, s, why)| *s == 401 && why.contains("replay")));
    // a lower nc on the same nonce, no qop, a uri that is not the request target (each
    // after the throttling window, which the failures above would otherwise trip)
    let fresh = |peer: &mut Peer, hems: &mut Hems, conn| {
        peer.now = peer.now.plus_ms(AuthLimits::default().block_ms + 1);
        peer.open(hems, conn, "198.51.100.2");
        let c = peer.post(hems, conn, None, &inform("A1", CR_URL));
        DigestClient::from_challenge(&c, "a", "pass-a", false)
    };
    let mut b = fresh(&mut peer, &mut hems, 20);
    b.nc = 5;
    let r = peer.post(&mut hems, 20, Some(&b.header()), &inform("A1", CR_URL));
    assert_eq!(r.status, 200, "nc 6 is new");
    peer.post(&mut hems, 20, None, b"");
    b.nc = 2;
    peer.open(&mut hems, 21, "198.51.100.2");
    let r = peer.post(&mut hems, 21, Some(&b.header()), &inform("A1", CR_URL));
    assert_eq!(r.status, 401, "nc 3 after 6 is reused");
    let mut c = fresh(&mut peer, &mut hems, 22);
    let r = peer.post(
        &mut hems,
        22,
        Some(&c.header_with("/cwmp", false)),
        &inform("A1", CR_URL),
    );
    assert_eq!(r.status, 401, "qop missing");
    let mut d = fresh(&mut peer, &mut hems, 23);
    let r = peer.post(
        &mut hems,
        23,
        Some(&d.header_with("/other", true)),
        &inform("A1", CR_URL),
    );
    assert_eq!(r.status, 401, "wrong uri");
    let why: Vec<String> = peer.refusals().into_iter().map(|r| r.2).collect();
    assert!(
        why.iter().any(|w| w.contains("qop=auth is required")),
        "{why:?}"
    );
    assert!(
        why.iter().any(|w| w.contains("is not the request target")),
        "{why:?}"
    );
}

#[test]
fn an_unauthenticated_first_post_is_challenged_empty_or_not() {
    let mut hems = digest_hems();
    let mut peer = Peer::new();
    for body in [&b""[..], b"  \r\n", &inform("A1", CR_URL)] {
        let r = peer.post(&mut hems, 1, None, body);
        assert_eq!(r.status, 401);
        let offered: Vec<&str> = r
            .headers
            .iter()
            .filter(|(k, _)| k == "WWW-Authenticate")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(offered.len(), 2, "SHA-256 and MD5: {offered:?}");
        assert!(
            offered[0].contains("SHA-256") && offered.iter().all(|v| v.contains("qop=\"auth\""))
        );
    }
    assert!(peer.refusals().is_empty(), "a challenge is not a failure");
    assert_eq!(hems.device_keys().count(), 0);
}

#[test]
fn an_expired_nonce_is_answered_stale() {
    let mut hems = digest_hems();
    let mut peer = Peer::new();
    let c = peer.post(&mut hems, 1, None, &inform("A1", CR_URL));
    let mut a = DigestClient::from_challenge(&c, "a", "pass-a", true);
    peer.now = peer
        .now
        .plus_ms(AuthConfig::default().nonce_lifetime_ms + 1);
    let r = peer.post(&mut hems, 1, Some(&a.header()), &inform("A1", CR_URL));
    assert_eq!(r.status, 401);
    assert!(r.headers.iter().any(|(_, v)| v.contains("stale=true")));
    let mut a = DigestClient::from_challenge(&r, "a", "pass-a", true);
    let r = peer.post(&mut hems, 1, Some(&a.header()), &inform("A1", CR_URL));
    assert_eq!(r.status, 200);
}

#[test]
fn basic_only_over_tls() {
    let mut hems = hems_with(
        AuthPolicy::Devices {
            scheme: AuthScheme::Basic,
        },
        Registration::Open,
    );
    let mut peer = Peer::new();
    let basic = "Basic YTpwYXNzLWE="; // a:pass-a
    peer.open(&mut hems, 1, "198.51.100.1");
    let r = peer.post(&mut hems, 1, Some(basic), &inform("A1", CR_URL));
    assert_eq!(r.status, 403, "plain HTTP");
    assert!(peer.refusals()[0]
        .2
        .contains("Basic authentication over plain HTTP"));
    hems.connection_opened(
        2,
        ConnectionInfo {
            tls: true,
            ..ConnectionInfo::default()
        },
    );
    let r = peer.post(&mut hems, 2, Some(basic), &inform("A1", CR_URL));
    assert_eq!(r.status, 200);
    hems.connection_opened(
        3,
        ConnectionInfo {
            tls: true,
            ..ConnectionInfo::default()
        },
    );
    let r = peer.post(&mut hems, 3, Some(basic), &inform("VICTIM", CR_URL));
    assert_eq!(r.status, 403, "A's Basic credentials claiming VICTIM");
}

#[test]
fn a_certificate_names_its_device_and_no_other() {
    let mut hems = hems_with(
        AuthPolicy::Devices {
            scheme: AuthScheme::Certificate,
        },
        Registration::Open,
    );
    let mut peer = Peer::new();
    let with_cert = |hems: &mut Hems, conn, cn: &str, sans: &[&str]| {
        hems.connection_opened(
            conn,
            ConnectionInfo {
                peer: Some("198.51.100.7".into()),
                tls: true,
                client_certificate: Some(CertificateIdentity {
                    common_name: Some(cn.into()),
                    subject_alt_names: sans.iter().map(|s| (*s).to_owned()).collect(),
                }),
            },
        )
    };
    with_cert(&mut hems, 1, "00A0C6-A1", &[]); // the OUI-SerialNumber form
    assert_eq!(
        peer.post(&mut hems, 1, None, &inform("A1", CR_URL)).status,
        200
    );
    with_cert(&mut hems, 2, "HeNB", &["other.example", A]); // the key as a SAN
    assert_eq!(
        peer.post(&mut hems, 2, None, &inform("A1", CR_URL)).status,
        200
    );
    with_cert(&mut hems, 3, A, &[]); // A's certificate claiming VICTIM
    assert_eq!(
        peer.post(&mut hems, 3, None, &inform("VICTIM", CR_URL))
            .status,
        403
    );
    assert!(peer.refusals()[0]
        .2
        .contains("does not name 00A0C6-FAP-LTE-VICTIM"));
    assert!(hems.device(VICTIM).is_none(), "nothing stored");
    peer.open(&mut hems, 4, "198.51.100.8"); // no certificate at all
    assert_eq!(
        peer.post(&mut hems, 4, None, &inform("A1", CR_URL)).status,
        403
    );
    // a certificate identity listed for the device
    let mut listed = table();
    listed = DeviceTable::new(BTreeMap::from([(
        VICTIM.to_owned(),
        DeviceCredentials {
            certificate_identity: Some("henb-7731.operator.example".into()),
            ..DeviceCredentials::default()
        },
    )]))
    .unwrap_or(listed);
    hems.set_credential_source(Box::new(listed));
    with_cert(&mut hems, 5, "x", &["henb-7731.operator.example"]);
    assert_eq!(
        peer.post(&mut hems, 5, None, &inform("VICTIM", CR_URL))
            .status,
        200
    );
    // under Digest too, a certificate must name the device it is presented for
    let mut hems = digest_hems();
    with_cert(&mut hems, 1, A, &[]);
    let c = peer.post(&mut hems, 1, None, &inform("VICTIM", CR_URL));
    let mut v = DigestClient::from_challenge(&c, "victim", "pass-victim", true);
    let r = peer.post(&mut hems, 1, Some(&v.header()), &inform("VICTIM", CR_URL));
    assert_eq!(r.status, 403);
}

#[test]
fn failed_attempts_are_throttled_without_locking_the_device_out() {
    let mut hems = digest_hems();
    let mut peer = Peer::new();
    let limits = AuthLimits::default();
    peer.open(&mut hems, 1, "203.0.113.66");
    let c = peer.post(&mut hems, 1, None, &inform("A1", CR_URL));
    let mut guess = DigestClient::from_challenge(&c, "a", "guess", true);
    let mut statuses = Vec::new();
    for _ in 0..limits.max_failures_per_address + 2 {
        let r = peer.post(&mut hems, 1, Some(&guess.header()), &inform("A1", CR_URL));
        statuses.push(r.status);
        if r.status == 429 {
            assert!(r.headers.iter().any(|(k, _)| k == "Retry-After"));
        }
    }
    assert!(statuses.ends_with(&[429, 429]), "{statuses:?}");
    // the real device, from its own address, still gets in
    peer.register(&mut hems, 2, "A1", "a", "pass-a");
    // and the attacker's address is let in again once the block is over
    peer.now = peer.now.plus_ms(limits.block_ms + 1);
    let r = peer.post(&mut hems, 1, None, &inform("A1", CR_URL));
    assert_eq!(r.status, 401);
}

#[test]
fn stored_ha1_instead_of_a_password() {
    let realm = AuthConfig::default().realm;
    for sha256 in [false, true] {
        let ha1 = h(sha256, &format!("a:{realm}:pass-a"));
        let source = DeviceTable::new(BTreeMap::from([(
            A.to_owned(),
            DeviceCredentials {
                username: "a".into(),
                ha1: Some(ha1),
                ..DeviceCredentials::default()
            },
        )]))
        .unwrap();
        let mut hems = digest_hems();
        hems.set_credential_source(Box::new(source));
        let mut peer = Peer::new();
        let c = peer.post(&mut hems, 1, None, &inform("A1", CR_URL));
        let mut a = DigestClient::from_challenge(&c, "a", "pass-a", sha256);
        let r = peer.post(&mut hems, 1, Some(&a.header()), &inform("A1", CR_URL));
        assert_eq!(r.status, 200, "sha256 {sha256}");
    }
    assert!(DeviceTable::from_json(r#"{"k": {"username": "u", "ha1": "xyz"}}"#).is_err());
    assert!(DeviceTable::from_json(
        r#"{"k": {"username": "u", "password": "p"}, "j": {"username": "u", "password": "q"}}"#
    )
    .unwrap_err()
    .contains("also"));
    assert!(DeviceTable::from_json(r#"{"k": {"username": "u", "passwd": "p"}}"#).is_err());
}

#[test]
fn registration_of_listed_devices_only_and_a_device_cap() {
    let mut hems = hems_with(AuthPolicy::None, Registration::ListedOnly);
    let mut peer = Peer::new();
    assert_eq!(
        peer.post(&mut hems, 1, None, &inform("A1", CR_URL)).status,
        200
    );
    assert_eq!(
        peer.post(&mut hems, 2, None, &inform("NOBODY", CR_URL))
            .status,
        403
    );
    assert_eq!(hems.device_keys().count(), 1);
    // open registration, but made-up DeviceIds cannot grow the HeMS without bound
    let mut hems = Hems::new(HemsConfig {
        max_devices: 3,
        ..HemsConfig::default()
    });
    let mut statuses = Vec::new();
    for i in 0..5 {
        let r = peer.post(
            &mut hems,
            100 + i,
            None,
            &inform(&format!("FAKE{i}"), CR_URL),
        );
        statuses.push(r.status);
    }
    assert_eq!(statuses, [200, 200, 200, 503, 503]);
    assert_eq!(hems.device_keys().count(), 3);
    assert!(peer
        .refusals()
        .iter()
        .any(|(d, s, why)| d.ends_with("FAKE3") && *s == 503 && why.contains("device limit")));
    // a known device still comes in
    assert_eq!(
        peer.post(&mut hems, 200, None, &inform("FAKE0", CR_URL))
            .status,
        200
    );
}

#[test]
fn connection_requests_use_the_devices_own_credentials() {
    let mut hems = digest_hems();
    let mut peer = Peer::new();
    peer.register(&mut hems, 1, "VICTIM", "victim", "pass-victim");
    peer.post(&mut hems, 1, None, b"");
    hems.handle_connection_closed(1, peer.now);
    hems.submit(VICTIM, spv(), peer.now);
    let mut crs = Vec::new();
    loop {
        match hems.poll_output() {
            HemsOutput::ConnectionRequest {
                device,
                username,
                password,
                url,
            } => crs.push((device, username, password, url)),
            HemsOutput::Timeout(_) | HemsOutput::Idle => break,
            _ => {}
        }
    }
    assert_eq!(
        crs,
        [(
            VICTIM.to_owned(),
            "cr-victim".to_owned(),
            "cr-secret-victim".to_owned(),
            CR_URL.to_owned()
        )]
    );
}

#[test]
fn a_name_never_speaks_for_two_devices() {
    // (00A0C6, P, FAP-X1) in OUI-SerialNumber form is the key of (00A0C6, FAP, X1)
    let mut hems = hems_with(
        AuthPolicy::Devices {
            scheme: AuthScheme::Certificate,
        },
        Registration::Open,
    );
    let mut peer = Peer::new();
    let cert = |hems: &mut Hems, conn, cn: &str| {
        hems.connection_opened(
            conn,
            ConnectionInfo {
                tls: true,
                client_certificate: Some(CertificateIdentity {
                    common_name: Some(cn.into()),
                    subject_alt_names: Vec::new(),
                }),
                ..ConnectionInfo::default()
            },
        )
    };
    let inform_of = |oui: &str, class: &str, serial: &str| {
        let body = Body::Inform(Inform {
            device_id: DeviceIdStruct {
                manufacturer: "x".into(),
                oui: oui.into(),
                product_class: class.into(),
                serial_number: serial.into(),
            },
            event: vec![EventStruct::new(EventCode::Boot)],
            max_envelopes: 1,
            ..Inform::default()
        });
        encode(&Envelope::with_id(CwmpVersion::V1_2, "1", body))
    };
    cert(&mut hems, 1, "00A0C6-FAP-X1");
    let r = peer.post(&mut hems, 1, None, &inform_of("00A0C6", "FAP", "X1"));
    assert_eq!(r.status, 200, "the full key of (00A0C6, FAP, X1)");
    cert(&mut hems, 2, "00A0C6-FAP-X1");
    let r = peer.post(&mut hems, 2, None, &inform_of("00A0C6", "P", "FAP-X1"));
    assert_eq!(
        r.status, 403,
        "not also the short form of (00A0C6, P, FAP-X1)"
    );
    cert(&mut hems, 3, "00A0C6-X1");
    let r = peer.post(&mut hems, 3, None, &inform_of("00A0C6", "P", "X1"));
    assert_eq!(r.status, 200, "the short form, where it is unambiguous");
}

#[test]
fn the_head_of_a_request_is_authenticated_once() {
    let mut hems = digest_hems();
    let mut peer = Peer::new();
    peer.open(&mut hems, 1, "198.51.100.1");
    // no credentials: refused on the head, the body is never needed
    assert!(!hems.handle_request_head(1, &[(":path", "/cwmp")], peer.now));
    let challenge = loop {
        match hems.poll_output() {
            HemsOutput::Respond { response, .. } => break *response,
            HemsOutput::Timeout(_) | HemsOutput::Idle => panic!("no response"),
            _ => {}
        }
    };
    assert_eq!(challenge.status, 401);
    let mut a = DigestClient::from_challenge(&challenge, "a", "pass-a", true);
    let authorization = a.header();
    let headers = [
        (":path", "/cwmp"),
        ("Authorization", authorization.as_str()),
    ];
    assert!(hems.handle_request_head(1, &headers, peer.now));
    // the same header with the body: the session opens on the head's identity (checking it
    // again would see a replayed nonce count)
    let r = peer.post(&mut hems, 1, Some(&authorization), &inform("A1", CR_URL));
    assert_eq!(r.status, 200);
    // within the session, heads pass
    assert!(hems.handle_request_head(1, &[(":path", "/cwmp")], peer.now));
}

#[test]
fn made_up_identities_that_would_bloat_records_are_refused() {
    let mut hems = Hems::new(HemsConfig::default());
    let mut peer = Peer::new();
    for (conn, serial) in [
        (1, "S".repeat(65)),
        (2, "A\nB".to_owned()),
        (3, String::new()),
    ] {
        let r = peer.post(&mut hems, conn, None, &inform(&serial, CR_URL));
        assert_eq!(r.status, 400, "{serial:?}");
    }
    let body = Body::Inform(Inform {
        device_id: DeviceIdStruct {
            oui: "00A0C6-FAP".into(),
            ..device_id("S1")
        },
        ..Inform::default()
    });
    let r = peer.post(
        &mut hems,
        4,
        None,
        &encode(&Envelope::with_id(CwmpVersion::V1_2, "1", body)),
    );
    assert_eq!(r.status, 400, "an OUI is six hex digits");
    assert_eq!(hems.device_keys().count(), 0);
    assert_eq!(peer.refusals().len(), 4);
    assert!(peer.refusals()[0].2.contains("malformed DeviceId"));
    // a lower-case OUI, as some devices send it, is fine
    let r = peer.post(
        &mut hems,
        5,
        None,
        String::from_utf8(inform("S1", CR_URL))
            .unwrap()
            .replace("00A0C6", "00a0c6")
            .as_bytes(),
    );
    assert_eq!(r.status, 200);
}
