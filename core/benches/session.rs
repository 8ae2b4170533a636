//! Complete CM sessions through both machines in memory (issue: >= 50,000 sessions/s on one
//! core; <= 2 KB per parked AcsSession). Each session: Inform with 40 parameters ->
//! InformResponse -> empty POST -> SetParameterValues of 10 parameters -> response -> 204,
//! every message encoded and decoded. The reference, measured in the same run, is the codec
//! alone encoding and decoding the same five messages: the ratio is what the session rules
//! cost on top of the bytes.

use std::hint::black_box;
use std::sync::Arc;
use std::time::{Duration, Instant};

mod reference;
use reference::tokenise;

use femtocwmp::session::*;
use femtocwmp::*;

fn inform() -> InformParams {
    InformParams {
        device_id: DeviceIdStruct {
            manufacturer: "Acme Small Cells".into(),
            oui: "00A0C6".into(),
            product_class: "FAP-LTE-B37".into(),
            serial_number: "ACME1B37000123456".into(),
        },
        events: vec![EventStruct::new(EventCode::Periodic)],
        parameter_list: (0..40)
            .map(|i| {
                ParameterValueStruct::new(
                    format!("Device.Services.FAPService.1.Param{i}"),
                    Value::unsigned_int(i),
                )
            })
            .collect(),
        current_time: DateTime::parse("2026-12-01T10:00:00Z").unwrap(),
        retry_count: 0,
    }
}

fn spv() -> Body {
    Body::SetParameterValues(SetParameterValues {
        parameter_list: (0..10)
            .map(|i| {
                ParameterValueStruct::new(
                    format!("Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.P{i}"),
                    Value::int(i),
                )
            })
            .collect(),
        parameter_key: "cfg-1".into(),
    })
}

/// One session; returns the size of the AcsSession parked while the SPV is outstanding. With
/// `auth`, the HeMS authenticates the session's first POST as `Hems` does (a 401 challenge,
/// then the Inform again with Digest).
fn session(
    cpe_config: &CpeConfig,
    acs_config: &Arc<AcsConfig>,
    inform: &InformParams,
    park: bool,
    mut auth: Option<&mut Authenticator>,
) -> usize {
    let mut now = Timestamp(0);
    let mut cpe = CpeSession::new(cpe_config.clone(), inform.clone(), now);
    let mut acs: Option<AcsSession> = None;
    let mut parked = 0;
    loop {
        let mut post = None;
        loop {
            match cpe.poll_output() {
                Output::Transmit(t) => post = Some(t),
                Output::Event(CpeEvent::Request { id, .. }) => {
                    let r =
                        Body::SetParameterValuesResponse(SetParameterValuesResponse { status: 0 });
                    cpe.respond(id, Ok(r), now).unwrap();
                }
                Output::Event(_) => {}
                Output::Timeout(_) | Output::Idle => break,
            }
        }
        let Some(post) = post else { return parked };
        now = now.plus_ms(1);
        let headers: Vec<(&str, &str)> = post
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if let (Some(a), None) = (auth.as_deref_mut(), acs.as_ref()) {
            let mut with_path = vec![(":path", "/")];
            with_path.extend_from_slice(&headers);
            let request = AuthRequest {
                method: "POST",
                target: Some("/"),
                headers: &with_path,
                connection: &ConnectionInfo::default(),
            };
            if let Err(refusal) = a.authenticate(&request, now) {
                let r = refusal.response;
                let h: Vec<(&str, &str)> = r
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                cpe.handle_http_response(r.status, &h, &r.body, now)
                    .unwrap();
                continue;
            }
        }
        let s = match acs.as_mut() {
            None => acs.insert(
                Acceptor::accept(&headers, &post.body, now)
                    .unwrap()
                    .into_session(acs_config.clone()),
            ),
            Some(s) => {
                s.handle_http_request(&headers, &post.body, now).unwrap();
                s
            }
        };
        let mut resp = None;
        loop {
            match s.poll_output() {
                Output::Transmit(t) => resp = Some(t),
                Output::Event(AcsEvent::Informed { .. }) => {
                    s.queue(spv(), now).unwrap();
                }
                Output::Event(_) => {}
                Output::Timeout(_) | Output::Idle => break,
            }
        }
        let resp = resp.expect("the ACS answers every POST");
        if park && resp.body.windows(18).any(|w| w == b"SetParameterValues") {
            let bytes = serde_json::to_vec(&*s).unwrap();
            parked = bytes.len();
            let back: AcsSession = serde_json::from_slice(&bytes).unwrap();
            acs = Some(back.with_config(acs_config.clone()));
        }
        now = now.plus_ms(1);
        let headers: Vec<(&str, &str)> = resp
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        cpe.handle_http_response(resp.status, &headers, &resp.body, now)
            .unwrap();
    }
}

/// The HeMS's Authenticator for the bench's device (per-device credentials, MD5).
fn authenticator() -> Authenticator {
    let table = DeviceTable::from_json(
        r#"{"00A0C6-FAP-LTE-B37-ACME1B37000123456": {"username": "ACME1B37000123456", "password": "per-device secret"}}"#,
    )
    .unwrap();
    let mut auth = Authenticator::new(AuthConfig {
        policy: AuthPolicy::Devices {
            scheme: AuthScheme::Digest,
        },
        nonce_secret: "bench".into(),
        digest_algorithms: vec![DigestAlgorithm::Md5],
        ..AuthConfig::default()
    });
    auth.set_credential_source(Box::new(table));
    auth
}

/// What the HeMS pays to authenticate a session with Digest (RFC 7616 under a per-device
/// credential table): the 401 challenge, then the verification of the answer. Returns
/// (challenges/s, verifications/s). The answers (the CPE's work) are computed outside the
/// timed part, each with a fresh nonce count, as real sessions bring them.
fn digest_rates(budget: Duration) -> (f64, f64) {
    let mut auth = authenticator();
    let info = ConnectionInfo::default();
    fn post<'a>(headers: &'a [(&'a str, &'a str)], info: &'a ConnectionInfo) -> AuthRequest<'a> {
        AuthRequest {
            method: "POST",
            target: Some("/cwmp"),
            headers,
            connection: info,
        }
    }
    let challenges = per_second(
        || {
            black_box(
                auth.authenticate(&post(&[], &info), Timestamp(1))
                    .unwrap_err(),
            );
        },
        budget,
    );
    let (mut verified, mut spent, mut round) = (0u64, Duration::ZERO, 0u64);
    while spent < budget {
        round += 1;
        let now = Timestamp(round);
        // each answer is a new session's: a fresh challenge, nc 1 (the replay rule holds)
        let answers: Vec<String> = (0..1000)
            .map(|i| {
                let c = auth.authenticate(&post(&[], &info), now).unwrap_err();
                let www: Vec<&str> = c.response.headers.iter().map(|(_, v)| v.as_str()).collect();
                authorization_for(
                    &www,
                    "ACME1B37000123456",
                    "per-device secret",
                    "POST",
                    "/cwmp",
                    &format!("c{i}"),
                )
                .unwrap()
            })
            .collect();
        let start = Instant::now();
        for a in &answers {
            black_box(verify_one(&mut auth, a, &info, now));
        }
        spent += start.elapsed();
        verified += answers.len() as u64;
    }
    (challenges, verified as f64 / spent.as_secs_f64())
}

/// One verification, on its own so that a profiler can single it out.
#[inline(never)]
fn verify_one(
    auth: &mut Authenticator,
    answer: &str,
    info: &ConnectionInfo,
    now: Timestamp,
) -> Identity {
    let headers = [("Authorization", answer)];
    let request = AuthRequest {
        method: "POST",
        target: Some("/cwmp"),
        headers: &headers,
        connection: info,
    };
    auth.authenticate(&request, now).unwrap()
}

fn per_second<F: FnMut()>(mut f: F, budget: Duration) -> f64 {
    let mut best = 0.0f64;
    for _ in 0..5 {
        let start = Instant::now();
        let mut n = 0u64;
        while start.elapsed() < budget / 5 {
            f();
            n += 1;
        }
        best = best.max(n as f64 / start.elapsed().as_secs_f64());
    }
    best
}

fn main() {
    let quick = std::env::args().any(|a| a == "--quick");
    let budget = Duration::from_millis(if quick { 500 } else { 3000 });
    let cpe_config = CpeConfig {
        supported_versions: vec![CwmpVersion::V1_0, CwmpVersion::V1_1, CwmpVersion::V1_2],
        ..CpeConfig::new("http://hems/")
    };
    let acs_config = Arc::new(AcsConfig::default());
    let inform = inform();
    // `--count N`: exactly N sessions and nothing else, for instruction counts under
    // `valgrind --tool=callgrind` (repeatable where wall-clock rates are not)
    let args: Vec<String> = std::env::args().collect();
    if let Some(n) = args
        .iter()
        .position(|a| a == "--count")
        .and_then(|i| args.get(i + 1))
    {
        let n: usize = n.parse().expect("--count N");
        for _ in 0..n {
            black_box(session(&cpe_config, &acs_config, &inform, false, None));
        }
        println!("{n} sessions");
        return;
    }

    // `--digest`: the Digest rates alone (for a profiler)
    if args.iter().any(|a| a == "--digest") {
        let (c, v) = digest_rates(budget);
        println!("Digest challenges {c:.0}/s, verifications {v:.0}/s");
        return;
    }

    // reference: the codec alone, same five messages
    let msgs: Vec<Envelope> = vec![
        Envelope::with_id(
            CwmpVersion::V1_2,
            "1",
            Body::Inform(Inform {
                device_id: inform.device_id.clone(),
                event: inform.events.clone(),
                max_envelopes: 1,
                current_time: inform.current_time.clone(),
                retry_count: 0,
                parameter_list: inform.parameter_list.clone(),
            }),
        ),
        Envelope::with_id(
            CwmpVersion::V1_2,
            "1",
            Body::InformResponse(InformResponse { max_envelopes: 1 }),
        ),
        Envelope::with_id(CwmpVersion::V1_2, "2", spv()),
        Envelope::with_id(
            CwmpVersion::V1_2,
            "2",
            Body::SetParameterValuesResponse(SetParameterValuesResponse { status: 0 }),
        ),
    ];
    let codec = per_second(
        || {
            for m in &msgs {
                black_box(decode(&encode(black_box(m))).unwrap());
            }
        },
        budget,
    );
    // floor under the codec: bare quick-xml tokenisation of the same messages' bytes (what
    // any quick-xml based decoder must pay before it reads a single value)
    let wire: Vec<Vec<u8>> = msgs.iter().map(encode).collect();
    let tokenise = per_second(
        || {
            for bytes in &wire {
                black_box(tokenise(black_box(bytes)));
            }
        },
        budget,
    );
    let sessions = per_second(
        || {
            black_box(session(&cpe_config, &acs_config, &inform, false, None));
        },
        budget,
    );
    let parked = session(&cpe_config, &acs_config, &inform, true, None);
    // the same sessions authenticated as a HeMS does: challenge, Inform again with Digest
    let henb = CpeConfig {
        username: "ACME1B37000123456".into(),
        password: "per-device secret".into(),
        ..cpe_config.clone()
    };
    let mut auth = authenticator();
    let digest_sessions = per_second(
        || {
            black_box(session(&henb, &acs_config, &inform, false, Some(&mut auth)));
        },
        budget,
    );
    let (challenges, verifications) = digest_rates(budget);
    // the HeMS's part: one challenge and one verification per authenticated session
    let digest_share = digest_sessions * (1.0 / challenges + 1.0 / verifications);
    println!("complete CM sessions (Inform 40 params, SPV 10 params), both machines, one core:");
    println!("  tokenise only (bare quick-xml, same bytes):      {tokenise:>10.0} /s");
    println!("  codec only (encode+decode of the same messages): {codec:>10.0} /s");
    println!("  full sessions:                                   {sessions:>10.0} /s  ({:.2}x the codec-only rate; target >= 50000/s)", sessions / codec);
    println!(
        "  parked AcsSession (JSON, SPV outstanding):       {parked:>10} bytes (target <= 2048)"
    );
    println!("  full sessions with Digest (401, Inform again):   {digest_sessions:>10.0} /s");
    println!("  Digest challenges (401, fresh nonce):            {challenges:>10.0} /s");
    println!("  Digest verifications (per-device table, nc):     {verifications:>10.0} /s");
    println!(
        "  HeMS Digest work's share of such a session:      {:>9.1} %  (goal <= 5%)",
        digest_share * 100.0
    );
}
