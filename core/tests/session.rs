//! Session scripts that read like the TR-069 flows, both machines driven together in memory.

mod pair;

use std::sync::Arc;

use femtocwmp::session::*;
use femtocwmp::*;
use pair::{Dir, Link, Pair};

const RF: &str = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.EARFCNDL";

fn cpe_config() -> CpeConfig {
    CpeConfig::new("http://hems.example.net:7547/cwmp")
}

/// A CPE that answers GPV with values, SPV with status 0, anything else with 9000.
fn answer(body: &Body) -> Reply {
    match body {
        Body::GetParameterValues(g) => Ok(Body::GetParameterValuesResponse(
            GetParameterValuesResponse {
                parameter_list: g
                    .parameter_names
                    .iter()
                    .map(|n| ParameterValueStruct::new(n.clone(), Value::unsigned_int(1300)))
                    .collect(),
            },
        )),
        Body::SetParameterValues(_) => Ok(Body::SetParameterValuesResponse(
            SetParameterValuesResponse { status: 0 },
        )),
        _ => Err(Fault::new(FaultCode::MethodNotSupported, "")),
    }
}

fn answering_cpe(pair: &mut Pair) {
    pair.on_cpe_event = Box::new(|cpe, e, now| {
        if let CpeEvent::Request { id, body } = e {
            cpe.respond(*id, answer(body), now).unwrap();
        }
    });
}

fn spv() -> Body {
    Body::SetParameterValues(SetParameterValues {
        parameter_list: vec![ParameterValueStruct::new(RF, Value::unsigned_int(1350))],
        parameter_key: "cfg-1".into(),
    })
}

fn gpv() -> Body {
    Body::GetParameterValues(GetParameterValues {
        parameter_names: vec![RF.into()],
    })
}

fn transfer_complete() -> Body {
    Body::TransferComplete(TransferComplete {
        command_key: "vcfg-1".into(),
        fault_struct: FaultStruct::success(),
        start_time: DateTime::parse("2026-12-01T10:00:01Z").unwrap(),
        complete_time: DateTime::parse("2026-12-01T10:00:02Z").unwrap(),
    })
}

fn queue_on_inform(pair: &mut Pair, bodies: Vec<Body>) {
    pair.on_acs_event = Box::new(move |acs, e, now| {
        if let AcsEvent::Informed { .. } = e {
            for b in &bodies {
                acs.queue(b.clone(), now).unwrap();
            }
        }
    });
}

#[test]
fn inform_then_empty_post_then_204() {
    let mut p = Pair::new(cpe_config(), AcsConfig::default());
    p.drive();
    assert_eq!(
        p.log,
        ["CPE Inform", "ACS InformResponse", "CPE (empty)", "ACS 204"]
    );
    let out = p.cpe_outcome().unwrap();
    assert!(out.is_success() && out.inform_acknowledged);
    assert!(p.acs_outcome().unwrap().is_success());
    assert!(p.cpe.is_ended() && p.acs.as_ref().unwrap().is_ended());
    assert!(matches!(p.cpe.poll_output(), Output::Idle));
    assert!(matches!(p.acs_events[0], AcsEvent::Informed { .. }));
}

#[test]
fn hems_sets_then_gets_parameters() {
    let mut p = Pair::new(cpe_config(), AcsConfig::default());
    answering_cpe(&mut p);
    queue_on_inform(&mut p, vec![spv(), gpv()]);
    p.drive();
    assert_eq!(
        p.log,
        [
            "CPE Inform",
            "ACS InformResponse",
            "CPE (empty)",
            "ACS SetParameterValues",
            "CPE SetParameterValuesResponse",
            "ACS GetParameterValues",
            "CPE GetParameterValuesResponse",
            "ACS 204"
        ]
    );
    let responses: Vec<&Reply> = p
        .acs_events
        .iter()
        .filter_map(|e| match e {
            AcsEvent::Response { result, .. } => Some(result),
            _ => None,
        })
        .collect();
    assert_eq!(responses.len(), 2);
    let Ok(Body::GetParameterValuesResponse(r)) = responses[1] else {
        panic!()
    };
    assert_eq!(r.parameter_list[0].value.as_str(), "1300");
    let out = p.acs_outcome().unwrap();
    assert!(out.is_success() && out.answered.len() == 2 && out.unanswered.is_empty());
    assert_eq!(p.cpe_outcome().unwrap().acs_requests_answered, 2);
}

#[test]
fn cpe_sends_transfer_complete_before_its_empty_post() {
    let mut p = Pair::new(cpe_config(), AcsConfig::default());
    let tc = p.cpe.request(transfer_complete()).unwrap();
    p.drive();
    assert_eq!(
        p.log,
        [
            "CPE Inform",
            "ACS InformResponse",
            "CPE TransferComplete",
            "ACS TransferCompleteResponse",
            "CPE (empty)",
            "ACS 204"
        ]
    );
    assert!(p.cpe_events.iter().any(|e| matches!(e, CpeEvent::Response { id, result: Ok(Body::TransferCompleteResponse) } if *id == tc)));
    assert_eq!(p.cpe_outcome().unwrap().answered, vec![tc]);
    assert!(matches!(
        p.acs_events[1],
        AcsEvent::CpeRequest { answered: true, .. }
    ));
}

#[test]
fn hold_requests_keeps_cpe_requests_until_the_acs_is_done() {
    let mut p = Pair::new(
        cpe_config(),
        AcsConfig {
            hold_requests: true,
            ..AcsConfig::default()
        },
    );
    queue_on_inform(&mut p, vec![spv()]);
    p.on_cpe_event = Box::new(|cpe, e, now| {
        if let CpeEvent::Request { id, body } = e {
            // a transfer finishes while the ACS holds our requests
            cpe.request(transfer_complete()).unwrap();
            cpe.respond(*id, answer(body), now).unwrap();
        }
    });
    p.drive();
    assert_eq!(
        p.log,
        [
            "CPE Inform",
            "ACS InformResponse",
            "CPE (empty)",
            "ACS SetParameterValues",
            "CPE SetParameterValuesResponse",
            "ACS 204",
            "CPE TransferComplete",
            "ACS TransferCompleteResponse",
            "CPE (empty)",
            "ACS 204"
        ]
    );
    assert!(p.cpe_outcome().unwrap().is_success() && p.acs_outcome().unwrap().is_success());
}

/// A pair whose ACS authenticates the first POST of each session, as a HeMS does.
fn authenticated_pair(cpe: CpeConfig, auth: AuthConfig, tls: bool) -> Pair {
    let mut p = Pair::new(cpe, AcsConfig::default());
    let info = ConnectionInfo {
        tls,
        peer: Some("192.0.2.1".into()),
        ..ConnectionInfo::default()
    };
    p.auth = Some((Authenticator::new(auth), info));
    p
}

fn shared_digest(username: &str, password: &str, algorithm: DigestAlgorithm) -> AuthConfig {
    AuthConfig {
        policy: AuthPolicy::Digest {
            username: username.into(),
            password: password.into(),
            algorithm,
        },
        nonce_secret: "k".into(),
        ..AuthConfig::default()
    }
}

#[test]
fn digest_challenge_then_success() {
    for algorithm in [DigestAlgorithm::Md5, DigestAlgorithm::Sha256] {
        let cpe = CpeConfig {
            username: "henb".into(),
            password: "s3cret".into(),
            ..cpe_config()
        };
        let mut p = authenticated_pair(cpe, shared_digest("henb", "s3cret", algorithm), false);
        p.drive();
        assert_eq!(
            p.log,
            [
                "CPE Inform",
                "ACS 401",
                "CPE Inform",
                "ACS InformResponse",
                "CPE (empty)",
                "ACS 204"
            ],
            "{algorithm:?}"
        );
        assert!(p.cpe_outcome().unwrap().is_success());
    }
}

#[test]
fn wrong_digest_password_fails_cleanly() {
    let cpe = CpeConfig {
        username: "henb".into(),
        password: "wrong".into(),
        ..cpe_config()
    };
    let mut p = authenticated_pair(
        cpe,
        shared_digest("henb", "s3cret", DigestAlgorithm::Md5),
        false,
    );
    p.drive();
    assert_eq!(p.log, ["CPE Inform", "ACS 401", "CPE Inform", "ACS 401"]);
    let out = p.cpe_outcome().unwrap();
    assert!(matches!(out.reason, EndReason::Refused(_)) && !out.inform_acknowledged);
    assert!(matches!(
        p.cpe.error(),
        Some(SessionError::Remote(RemoteProtocolError::Authentication(_)))
    ));
}

#[test]
fn stale_nonce_is_challenged_again() {
    let auth = AuthConfig {
        nonce_lifetime_ms: 0,
        ..shared_digest("u", "p", DigestAlgorithm::Md5)
    };
    let cpe = CpeConfig {
        username: "u".into(),
        password: "p".into(),
        ..cpe_config()
    };
    let mut p = authenticated_pair(cpe, auth, false);
    let stale: std::rc::Rc<std::cell::Cell<u32>> = Default::default();
    let s = stale.clone();
    p.filter = Box::new(move |_, dir, w| {
        if dir == Dir::ToCpe
            && header(&w.headers, "www-authenticate").is_some_and(|h| h.contains("stale=true"))
        {
            s.set(s.get() + 1);
        }
        Link::Deliver
    });
    p.drive();
    // every answer comes too late: challenged again with stale=true, answered once more,
    // then the CPE gives up instead of looping
    assert_eq!(
        p.log,
        [
            "CPE Inform",
            "ACS 401",
            "CPE Inform",
            "ACS 401",
            "CPE Inform",
            "ACS 401"
        ]
    );
    assert_eq!(stale.get(), 2);
    assert!(matches!(
        p.cpe.error(),
        Some(SessionError::Remote(RemoteProtocolError::Authentication(_)))
    ));
}

#[test]
fn basic_auth_up_front_over_tls() {
    let auth = AuthConfig {
        policy: AuthPolicy::Basic {
            username: "u".into(),
            password: "p".into(),
        },
        ..AuthConfig::default()
    };
    let cpe = CpeConfig {
        username: "u".into(),
        password: "p".into(),
        preemptive_basic: true,
        ..cpe_config()
    };
    let mut p = authenticated_pair(cpe.clone(), auth.clone(), true);
    p.drive();
    assert_eq!(
        p.log,
        ["CPE Inform", "ACS InformResponse", "CPE (empty)", "ACS 204"]
    );
    // TR-069 3.4.4: Basic only over TLS
    let mut p = authenticated_pair(cpe, auth, false);
    p.drive();
    assert_eq!(p.log, ["CPE Inform", "ACS 403"]);
}

#[test]
fn redirect_restarts_with_the_inform() {
    let mut p = Pair::new(cpe_config(), AcsConfig::default());
    p.filter = Box::new(|n, dir, w| {
        if n == 1 && dir == Dir::ToCpe {
            *w = pair::Wire {
                status: 302,
                headers: vec![(
                    "Location".into(),
                    "http://serving-hems.example.net/cwmp".into(),
                )],
                body: Vec::new(),
            };
        }
        Link::Deliver
    });
    p.drive();
    assert_eq!(
        p.log,
        [
            "CPE Inform",
            "ACS 302",
            "CPE Inform",
            "ACS InformResponse",
            "CPE (empty)",
            "ACS 204"
        ]
    );
    assert_eq!(p.cpe.url(), "http://serving-hems.example.net/cwmp");
    assert!(p
        .cpe_events
        .iter()
        .any(|e| matches!(e, CpeEvent::Redirected { .. })));
}

#[test]
fn too_many_redirects() {
    let mut p = Pair::new(
        CpeConfig {
            max_redirects: 2,
            ..cpe_config()
        },
        AcsConfig::default(),
    );
    p.filter = Box::new(|_, dir, w| {
        if dir == Dir::ToCpe {
            *w = pair::Wire {
                status: 307,
                headers: vec![("Location".into(), "http://loop/".into())],
                body: Vec::new(),
            };
        }
        Link::Deliver
    });
    p.drive();
    assert!(matches!(
        p.cpe.error(),
        Some(SessionError::Remote(RemoteProtocolError::TooManyRedirects(
            2
        )))
    ));
}

#[test]
fn cpe_faults_reach_the_hems_as_data() {
    let mut p = Pair::new(cpe_config(), AcsConfig::default());
    answering_cpe(&mut p);
    queue_on_inform(
        &mut p,
        vec![Body::Reboot(Reboot {
            command_key: "r".into(),
        })],
    );
    p.drive();
    let fault = p.acs_events.iter().find_map(|e| match e {
        AcsEvent::Response { result: Err(f), .. } => Some(f),
        _ => None,
    });
    assert_eq!(fault.unwrap().fault_code, FaultCode::MethodNotSupported);
    assert!(p.acs_outcome().unwrap().is_success());
}

#[test]
fn cookies_go_back_on_every_post() {
    let mut p = Pair::new(cpe_config(), AcsConfig::default());
    answering_cpe(&mut p);
    queue_on_inform(&mut p, vec![gpv()]);
    let seen: std::rc::Rc<std::cell::RefCell<Vec<Option<String>>>> = Default::default();
    let s = seen.clone();
    p.filter = Box::new(move |_, dir, w| {
        if dir == Dir::ToAcs {
            s.borrow_mut()
                .push(header(&w.headers, "cookie").map(str::to_owned));
        }
        Link::Deliver
    });
    p.drive();
    let cookie = format!("femtocwmp-session={}", p.acs.as_ref().unwrap().cookie());
    assert_eq!(
        *seen.borrow(),
        vec![None, Some(cookie.clone()), Some(cookie)]
    );
}

#[test]
fn a_foreign_cookie_is_refused() {
    let mut p = Pair::new(cpe_config(), AcsConfig::default());
    p.filter = Box::new(|n, dir, w| {
        if n == 2 && dir == Dir::ToAcs {
            w.headers.retain(|(k, _)| k != "Cookie");
            w.headers
                .push(("Cookie".into(), "femtocwmp-session=forged".into()));
        }
        Link::Deliver
    });
    p.drive();
    assert_eq!(p.log.last().unwrap(), "ACS 400");
    assert!(matches!(
        p.acs_outcome().unwrap().reason,
        EndReason::ProtocolError(_)
    ));
}

/// A hand-written ACS message for the CPE.
fn acs_message(id: &str, body: Body) -> Vec<u8> {
    encode(&Envelope::with_id(CwmpVersion::V1_2, id, body))
}

#[test]
fn an_acs_request_before_the_inform_response_is_a_remote_error() {
    let mut cpe = CpeSession::new(cpe_config(), pair::inform_params(), Timestamp(0));
    assert!(matches!(cpe.poll_output(), Output::Transmit(_)));
    let err = cpe
        .handle_http_response(200, &[], &acs_message("1", gpv()), Timestamp(5))
        .unwrap_err();
    assert!(
        matches!(
            err,
            SessionError::Remote(RemoteProtocolError::Unexpected { .. })
        ),
        "{err}"
    );
    // sticky, and the outcome is reported
    assert_eq!(
        cpe.handle_http_response(204, &[], b"", Timestamp(6))
            .unwrap_err(),
        err
    );
    let ended = std::iter::from_fn(|| match cpe.poll_output() {
        Output::Event(CpeEvent::Ended(o)) => Some(Some(o)),
        Output::Idle | Output::Timeout(_) => None,
        _ => Some(None),
    })
    .flatten()
    .next()
    .unwrap();
    assert!(!ended.is_success() && !ended.inform_acknowledged);
}

fn informed_cpe() -> CpeSession {
    let mut cpe = CpeSession::new(cpe_config(), pair::inform_params(), Timestamp(0));
    while !matches!(cpe.poll_output(), Output::Timeout(_)) {}
    let ir = acs_message(
        "x",
        Body::InformResponse(InformResponse { max_envelopes: 1 }),
    );
    cpe.handle_http_response(200, &[], &ir, Timestamp(1))
        .unwrap();
    while !matches!(cpe.poll_output(), Output::Timeout(_)) {}
    cpe
}

#[test]
fn a_duplicate_cwmp_id_is_refused() {
    let mut cpe = informed_cpe();
    cpe.handle_http_response(200, &[], &acs_message("7", gpv()), Timestamp(2))
        .unwrap();
    let id = loop {
        if let Output::Event(CpeEvent::Request { id, .. }) = cpe.poll_output() {
            break id;
        }
    };
    cpe.respond(id, answer(&gpv()), Timestamp(3)).unwrap();
    let err = cpe
        .handle_http_response(200, &[], &acs_message("7", gpv()), Timestamp(4))
        .unwrap_err();
    assert_eq!(
        err,
        SessionError::Remote(RemoteProtocolError::DuplicateId("7".into()))
    );
}

#[test]
fn caller_errors_are_local() {
    let mut cpe = informed_cpe();
    // an ACS method is not a CPE request; an unknown id cannot be answered
    assert!(matches!(cpe.request(gpv()), Err(SessionError::Local(_))));
    assert!(matches!(
        cpe.respond(RequestId(99), answer(&gpv()), Timestamp(2)),
        Err(SessionError::Local(_))
    ));
    // a response that does not fit the request
    cpe.handle_http_response(200, &[], &acs_message("9", gpv()), Timestamp(2))
        .unwrap();
    let id = loop {
        if let Output::Event(CpeEvent::Request { id, .. }) = cpe.poll_output() {
            break id;
        }
    };
    let wrong = Ok(Body::SetParameterValuesResponse(
        SetParameterValuesResponse { status: 0 },
    ));
    assert!(matches!(
        cpe.respond(id, wrong, Timestamp(3)),
        Err(SessionError::Local(LocalProtocolError::WrongMessage { .. }))
    ));
    // an invalid message is refused before it reaches the wire
    let bad = Body::TransferComplete(TransferComplete {
        command_key: "k".repeat(40),
        ..TransferComplete::default()
    });
    assert!(matches!(
        cpe.request(bad),
        Err(SessionError::Local(LocalProtocolError::Invalid(_)))
    ));
    // local errors are not sticky: the session goes on
    cpe.respond(id, answer(&gpv()), Timestamp(4)).unwrap();
}

#[test]
fn session_timeout_on_both_sides() {
    let mut cpe = CpeSession::new(
        CpeConfig {
            session_timeout_ms: 1000,
            ..cpe_config()
        },
        pair::inform_params(),
        Timestamp(0),
    );
    let Output::Transmit(post) = cpe.poll_output() else {
        panic!()
    };
    assert_eq!(cpe.poll_output(), Output::Timeout(Timestamp(1000)));
    cpe.handle_input(CpeInput::Timeout(Timestamp(999))).unwrap();
    assert!(!cpe.is_ended(), "spurious timeouts are no-ops");
    cpe.handle_input(CpeInput::Timeout(Timestamp(1000)))
        .unwrap();
    let Output::Event(CpeEvent::Ended(o)) = cpe.poll_output() else {
        panic!()
    };
    assert_eq!(o.reason, EndReason::Timeout);

    let accepted = Acceptor::accept(&[], &post.body, Timestamp(0)).unwrap();
    let mut acs = accepted.into_session(Arc::new(AcsConfig {
        session_timeout_ms: 500,
        ..AcsConfig::default()
    }));
    while !matches!(acs.poll_output(), Output::Timeout(_)) {}
    acs.handle_input(AcsInput::Timeout(Timestamp(600))).unwrap();
    assert!(acs.is_ended());
}

#[test]
fn versions_are_negotiated() {
    // a 1.4 CPE and a 1.4 HeMS: UseCWMPVersion 1.4
    let mut p = Pair::new(cpe_config(), AcsConfig::default());
    p.drive();
    assert_eq!(p.cpe.version(), CwmpVersion::V1_4);
    // a 1.4 CPE and a HeMS that stops at 1.2: the CPE follows down
    let acs = AcsConfig {
        supported_versions: vec![CwmpVersion::V1_0, CwmpVersion::V1_1, CwmpVersion::V1_2],
        ..AcsConfig::default()
    };
    let mut p = Pair::new(cpe_config(), acs);
    p.drive();
    assert_eq!(p.cpe.version(), CwmpVersion::V1_2);
    assert!(p.cpe_outcome().unwrap().is_success());
    // a 1.0 CPE: everything in cwmp-1-0
    let mut p = Pair::new(
        CpeConfig {
            supported_versions: vec![CwmpVersion::V1_0],
            ..cpe_config()
        },
        AcsConfig::default(),
    );
    p.drive();
    assert_eq!(p.cpe.version(), CwmpVersion::V1_0);
    // nothing in common: fault 8006 and a refusal
    let acs = AcsConfig {
        supported_versions: vec![CwmpVersion::V1_4],
        ..AcsConfig::default()
    };
    let mut p = Pair::new(
        CpeConfig {
            supported_versions: vec![CwmpVersion::V1_0, CwmpVersion::V1_1],
            ..cpe_config()
        },
        acs,
    );
    p.drive();
    assert_eq!(p.log, ["CPE Inform", "ACS Fault"]);
    assert!(matches!(
        p.cpe.error(),
        Some(SessionError::Remote(RemoteProtocolError::InformFault(8006)))
    ));
}

#[test]
fn parked_acs_sessions_resume_anywhere() {
    let mut p = Pair::new(cpe_config(), AcsConfig::default());
    p.park_acs = true;
    answering_cpe(&mut p);
    queue_on_inform(&mut p, vec![spv(), gpv()]);
    p.drive();
    assert_eq!(p.log.len(), 8);
    assert!(p.acs_outcome().unwrap().is_success());
    assert!(
        p.max_parked_bytes > 0 && p.max_parked_bytes < 4096,
        "{} bytes",
        p.max_parked_bytes
    );
}

#[test]
fn connection_lost_at_every_step() {
    for lose in 0..10 {
        let mut p = Pair::new(cpe_config(), AcsConfig::default());
        answering_cpe(&mut p);
        queue_on_inform(&mut p, vec![spv(), gpv()]);
        let tc = p.cpe.request(transfer_complete()).unwrap();
        p.filter = Box::new(move |n, _, _| if n == lose { Link::Drop } else { Link::Deliver });
        p.drive();
        let cpe = p.cpe_outcome().expect("the CPE reports an outcome");
        let complete = p.log.len() == 10 && !p.log.iter().any(|l| l.ends_with("(lost)"));
        assert_eq!(cpe.is_success(), complete, "lose {lose}: {:?}", p.log);
        // the CPE never believes TransferComplete acknowledged unless the ACS answered it
        let acs_saw_tc = p
            .acs_bodies()
            .iter()
            .any(|b| matches!(b, Body::TransferComplete(_)));
        if cpe.answered.contains(&tc) {
            assert!(acs_saw_tc, "lose {lose}");
        } else {
            assert!(
                cpe.unanswered.iter().any(|(id, _)| *id == tc),
                "lose {lose}: TC kept for the next session"
            );
        }
        // the HeMS counts a request answered only if the CPE's response arrived
        if let Some(acs) = p.acs_outcome() {
            let responses = p
                .acs_events
                .iter()
                .filter(|e| matches!(e, AcsEvent::Response { .. }))
                .count();
            assert_eq!(acs.answered.len(), responses, "lose {lose}");
            assert_eq!(
                acs.answered.len() + acs.unanswered.len(),
                2,
                "lose {lose}: nothing forgotten"
            );
        }
    }
}

#[test]
fn the_hems_accepts_real_informs() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus");
    let mut n = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        if !name.contains("inform-") || name.contains("bogus") || name.contains("informresponse") {
            continue;
        }
        let accepted = Acceptor::accept(&[], &std::fs::read(&path).unwrap(), Timestamp(0))
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        let mut acs = accepted.into_session(Arc::new(AcsConfig::default()));
        let Output::Transmit(resp) = acs.poll_output() else {
            panic!("{name}")
        };
        assert_eq!(resp.status, 200, "{name}");
        let env = decode(&resp.body).unwrap();
        assert!(matches!(env.body, Body::InformResponse(_)), "{name}");
        assert!(
            check(&env).is_empty() || !env.namespace.is_standard(),
            "{name}: {:?}",
            check(&env)
        );
        n += 1;
    }
    assert!(n >= 7, "{n} Informs");
    // anything else as the first message is refused
    let tc = encode(&Envelope::new(CwmpVersion::V1_0, transfer_complete()));
    assert!(matches!(
        Acceptor::accept(&[], &tc, Timestamp(0)),
        Err(SessionError::Remote(_))
    ));
}

#[test]
fn retry_waits_follow_tr069() {
    let p = RetryPolicy::default();
    assert!((5_000..=10_000).contains(&retry_wait_ms(&p, 1, 42)));
    assert!((2_560_000..=5_120_000).contains(&retry_wait_ms(&p, 12, 42)));
}

#[test]
fn a_request_ready_while_the_empty_post_is_out_waits_for_the_next_session() {
    // TR-069 3.7.1.4: an empty response to the CPE's empty POST ends the session
    let mut cpe = informed_cpe(); // its empty POST is out
    cpe.request(transfer_complete()).unwrap();
    cpe.handle_http_response(204, &[], b"", Timestamp(3))
        .unwrap();
    let mut posted = false;
    let mut ended = None;
    loop {
        match cpe.poll_output() {
            Output::Transmit(_) => posted = true,
            Output::Event(CpeEvent::Ended(o)) => ended = Some(o),
            Output::Idle | Output::Timeout(_) => break,
            _ => {}
        }
    }
    assert!(!posted, "never a POST into the ended session");
    let outcome = ended.expect("the session ended");
    assert!(outcome.is_success());
    assert!(matches!(
        outcome.unanswered[..],
        [(_, Body::TransferComplete(_))]
    ));
}
