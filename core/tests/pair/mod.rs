//! An in-memory pair of sessions (quinn's `tests/util.rs` idea): a CpeSession wired to an
//! AcsSession through a link filter that can drop, duplicate or rewrite messages, with a
//! readable log of what crossed the wire.
#![allow(dead_code)]

use std::sync::Arc;

use femtocwmp::session::*;
use femtocwmp::{decode, Body};

/// Which way a message travels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// CPE POST to the ACS.
    ToAcs,
    /// ACS response to the CPE.
    ToCpe,
}

/// What the link does with one message.
pub enum Link {
    /// Deliver it (possibly rewritten by the filter).
    Deliver,
    /// Lose it: the connection breaks, both sides see a transport failure.
    Drop,
}

/// One message on the wire, as the filter sees it.
pub struct Wire {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

pub type Filter = Box<dyn FnMut(usize, Dir, &mut Wire) -> Link>;
pub type CpeHandler = Box<dyn FnMut(&mut CpeSession, &CpeEvent, Timestamp)>;
pub type AcsHandler = Box<dyn FnMut(&mut AcsSession, &AcsEvent, Timestamp)>;

pub struct Pair {
    pub now: Timestamp,
    pub latency_ms: u64,
    pub cpe: CpeSession,
    pub acs: Option<AcsSession>,
    pub acs_config: Arc<AcsConfig>,
    pub cpe_events: Vec<CpeEvent>,
    pub acs_events: Vec<AcsEvent>,
    /// `"CPE Inform"`, `"ACS InformResponse"`, `"CPE (empty)"`, `"ACS 204"`...
    pub log: Vec<String>,
    pub filter: Filter,
    pub on_cpe_event: CpeHandler,
    pub on_acs_event: AcsHandler,
    /// Park the ACS session as JSON between requests and resume it (HeMS scaling).
    pub park_acs: bool,
    pub max_parked_bytes: usize,
    messages: usize,
    redirects_seen: usize,
    /// When set, the first POST of each session is authenticated first, as a HeMS does.
    pub auth: Option<(Authenticator, ConnectionInfo)>,
}

pub fn inform_params() -> InformParams {
    InformParams {
        device_id: femtocwmp::DeviceIdStruct {
            manufacturer: "Acme".into(),
            oui: "00A0C6".into(),
            product_class: "FAP-LTE".into(),
            serial_number: "S0001".into(),
        },
        events: vec![femtocwmp::EventStruct::new(femtocwmp::EventCode::Boot)],
        parameter_list: vec![femtocwmp::ParameterValueStruct::new(
            "Device.ManagementServer.ConnectionRequestURL",
            "http://10.0.0.2:7547/cr",
        )],
        current_time: femtocwmp::DateTime::parse("2026-12-01T10:00:00Z").unwrap(),
        retry_count: 0,
    }
}

fn describe(who: &str, status: u16, body: &[u8]) -> String {
    if body.is_empty() {
        return if who == "CPE" {
            "CPE (empty)".into()
        } else {
            format!("ACS {status}")
        };
    }
    match decode(body) {
        Ok(env) => format!("{who} {}", env.body.method_name()),
        Err(_) => format!("{who} (undecodable)"),
    }
}

impl Pair {
    pub fn new(cpe_config: CpeConfig, acs_config: AcsConfig) -> Pair {
        Pair::with_inform(cpe_config, acs_config, inform_params())
    }

    pub fn with_inform(cpe_config: CpeConfig, acs_config: AcsConfig, inform: InformParams) -> Pair {
        let now = Timestamp(1_000);
        Pair {
            now,
            latency_ms: 5,
            cpe: CpeSession::new(cpe_config, inform, now),
            acs: None,
            acs_config: Arc::new(acs_config),
            cpe_events: Vec::new(),
            acs_events: Vec::new(),
            log: Vec::new(),
            filter: Box::new(|_, _, _| Link::Deliver),
            on_cpe_event: Box::new(|_, _, _| {}),
            on_acs_event: Box::new(|_, _, _| {}),
            park_acs: false,
            max_parked_bytes: 0,
            messages: 0,
            redirects_seen: 0,
            auth: None,
        }
    }

    /// Drains the CPE; returns its POST, if any.
    fn drain_cpe(&mut self) -> Option<HttpRequest> {
        let mut post = None;
        loop {
            match self.cpe.poll_output() {
                Output::Transmit(t) => {
                    assert!(post.is_none(), "the CPE sent two POSTs without an answer");
                    post = Some(t)
                }
                Output::Event(e) => {
                    (self.on_cpe_event)(&mut self.cpe, &e, self.now);
                    self.cpe_events.push(e);
                }
                Output::Timeout(_) | Output::Idle => return post,
            }
        }
    }

    fn drain_acs(&mut self) -> Option<HttpResponse> {
        let mut resp = None;
        let acs = self.acs.as_mut()?;
        loop {
            match acs.poll_output() {
                Output::Transmit(t) => {
                    assert!(resp.is_none(), "the ACS sent two responses to one POST");
                    resp = Some(t)
                }
                Output::Event(e) => {
                    (self.on_acs_event)(acs, &e, self.now);
                    self.acs_events.push(e);
                }
                Output::Timeout(_) | Output::Idle => return resp,
            }
        }
    }

    fn park(&mut self) {
        if !self.park_acs {
            return;
        }
        if let Some(acs) = self.acs.take() {
            let json = serde_json::to_vec(&acs).unwrap();
            self.max_parked_bytes = self.max_parked_bytes.max(json.len());
            let back: AcsSession = serde_json::from_slice(&json).unwrap();
            self.acs = Some(back.with_config(self.acs_config.clone()));
        }
    }

    /// Runs the conversation until the CPE has nothing to send (at most 200 messages).
    pub fn drive(&mut self) {
        for _ in 0..100 {
            let Some(post) = self.drain_cpe() else {
                // the CPE is done: it closes the connection
                if let Some(acs) = self.acs.as_mut() {
                    let _ = acs.handle_input(AcsInput::ConnectionClosed(self.now));
                }
                self.drain_acs();
                return;
            };
            let redirects = self
                .cpe_events
                .iter()
                .filter(|e| matches!(e, CpeEvent::Redirected { .. }))
                .count();
            if redirects > self.redirects_seen {
                // a redirect points at another server: a fresh HeMS session there
                self.redirects_seen = redirects;
                self.acs = None;
            }
            self.now = self.now.plus_ms(self.latency_ms);
            let mut wire = Wire {
                status: 0,
                headers: post.headers,
                body: post.body,
            };
            let n = self.messages;
            self.messages += 1;
            if let Link::Drop = (self.filter)(n, Dir::ToAcs, &mut wire) {
                self.log
                    .push(format!("{} (lost)", describe("CPE", 0, &wire.body)));
                let _ = self.cpe.handle_input(CpeInput::TransportFailed {
                    now: self.now,
                    reason: "connection lost",
                });
                if let Some(acs) = self.acs.as_mut() {
                    let _ = acs.handle_input(AcsInput::TransportFailed {
                        now: self.now,
                        reason: "connection lost",
                    });
                }
                self.drain_cpe();
                self.drain_acs();
                return;
            }
            self.log.push(describe("CPE", 0, &wire.body));
            let headers: Vec<(&str, &str)> = wire
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let ended = self.acs.as_ref().is_none_or(|a| a.is_ended());
            let refused = match (&mut self.auth, ended) {
                (Some((auth, info)), true) => {
                    let request = AuthRequest {
                        method: "POST",
                        target: Some("/cwmp"),
                        headers: &headers,
                        connection: info,
                    };
                    auth.authenticate(&request, self.now).err()
                }
                _ => None,
            };
            let resp = if let Some(refusal) = refused {
                self.acs = None;
                refusal.response
            } else {
                if ended {
                    match Acceptor::accept(&headers, &wire.body, self.now) {
                        Ok(accepted) => {
                            self.acs = Some(accepted.into_session(self.acs_config.clone()))
                        }
                        Err(e) => panic!("the ACS refused the first POST: {e}"),
                    }
                } else {
                    let _ = self
                        .acs
                        .as_mut()
                        .unwrap()
                        .handle_http_request(&headers, &wire.body, self.now);
                }
                let Some(resp) = self.drain_acs() else {
                    panic!(
                        "the ACS did not answer the POST (state: {:?})",
                        self.acs_events.last()
                    );
                };
                resp
            };
            self.park();
            self.now = self.now.plus_ms(self.latency_ms);
            let mut wire = Wire {
                status: resp.status,
                headers: resp.headers,
                body: resp.body,
            };
            let n = self.messages;
            self.messages += 1;
            if let Link::Drop = (self.filter)(n, Dir::ToCpe, &mut wire) {
                self.log.push(format!(
                    "{} (lost)",
                    describe("ACS", wire.status, &wire.body)
                ));
                let _ = self.cpe.handle_input(CpeInput::TransportFailed {
                    now: self.now,
                    reason: "connection lost",
                });
                if let Some(acs) = self.acs.as_mut() {
                    let _ = acs.handle_input(AcsInput::TransportFailed {
                        now: self.now,
                        reason: "connection lost",
                    });
                }
                self.drain_cpe();
                self.drain_acs();
                return;
            }
            self.log.push(describe("ACS", wire.status, &wire.body));
            let headers: Vec<(&str, &str)> = wire
                .headers
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            let _ = self
                .cpe
                .handle_http_response(wire.status, &headers, &wire.body, self.now);
        }
        panic!("more than 200 messages: {:?}", self.log);
    }

    pub fn cpe_outcome(&self) -> Option<&SessionOutcome> {
        self.cpe_events.iter().rev().find_map(|e| match e {
            CpeEvent::Ended(o) => Some(o),
            _ => None,
        })
    }

    pub fn acs_outcome(&self) -> Option<&AcsOutcome> {
        self.acs_events.iter().rev().find_map(|e| match e {
            AcsEvent::Ended(o) => Some(o),
            _ => None,
        })
    }

    pub fn acs_bodies(&self) -> Vec<&Body> {
        self.acs_events
            .iter()
            .filter_map(|e| match e {
                AcsEvent::CpeRequest { body, .. } => Some(body),
                _ => None,
            })
            .collect()
    }
}
