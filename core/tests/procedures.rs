//! The TS 32.593 configuration-management flows end to end: a HeMS (`hems::Hems`) and
//! HeNB agents (`henb::Agent`) driven together in memory, with a file server, a lossy link
//! and restarts.

use std::collections::HashMap;

use femtocwmp::configfile::ConfigFile;
use femtocwmp::hems::*;
use femtocwmp::henb::*;
use femtocwmp::session::{CpeConfig, Output, Timestamp};
use femtocwmp::*;

const RF: &str = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.";
const FILE_URL: &str = "http://files.hems.example.net/henb/S1/config.xml";

fn device_id(serial: &str) -> DeviceIdStruct {
    DeviceIdStruct {
        manufacturer: "Acme".into(),
        oui: "00A0C6".into(),
        product_class: "FAP-LTE".into(),
        serial_number: serial.into(),
    }
}

fn agent(serial: &str, now: Timestamp) -> Agent {
    let info = FemtocellInfo {
        device_id: device_id(serial),
        acs_url: "http://hems.example.net/cwmp".into(),
        connection_request_url: format!("http://10.0.0.2:7547/cr/{serial}"),
        software_version: "4.3.7".into(),
        ipsec_address: "172.16.0.10".into(),
        ..FemtocellInfo::default()
    };
    let config = AgentConfig {
        device_id: device_id(serial),
        session: CpeConfig::default(),
        rng_seed: 11,
        ..AgentConfig::default()
    };
    Agent::new(config, femtocell_model(&info), now)
}

fn config_file(params: &[(&str, &str)]) -> Vec<u8> {
    ConfigFile {
        file_format_version: "32.594 V14.0.0".into(),
        vendor_name: "Acme".into(),
        parameters: params
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect(),
        ..ConfigFile::default()
    }
    .to_xml()
}

/// One HeMS, one HeNB, a file server and a link that can lose messages.
struct World {
    now: Timestamp,
    hems: Hems,
    henb: Agent,
    files: HashMap<String, (String, Vec<u8>)>,
    conn: u64,
    /// "HeNB Inform", "HeMS Download", "HeMS 204", "file GET"...
    log: Vec<String>,
    hems_events: Vec<HemsEvent>,
    agent_events: Vec<AgentEvent>,
    messages: usize,
    /// A second HeMS (the serving one) and its URL.
    serving: Option<(String, Hems)>,
    on_serving: bool,
    serving_events: Vec<HemsEvent>,
    /// The device store, for a HeMS with `external_store`.
    store: HashMap<String, DeviceRecord>,
    drop_message: Option<usize>,
    restart_at_message: Option<usize>,
    restarts: usize,
    /// Every session on one kept-alive connection that the HeNB never closes.
    keep_alive: bool,
    /// DownloadRequested is noted but the file is not fetched (a fetch under way).
    hold_fetch: bool,
    /// How the HeMS is made (again, after a crash).
    hems_config: HemsConfig,
    /// What the HeMS persisted (`persist_changes`), through JSON as a store keeps it.
    persisted: HashMap<String, DeviceRecord>,
    /// HeMS outputs handled so far.
    hems_outputs: usize,
    /// The HeMS process dies when it is about to act on this output (counted from 0): the
    /// output is lost, and so is everything it kept in memory.
    crash_hems_at: Option<usize>,
    /// Every request of the HeMS (an RPC, not an InformResponse or a final response) is lost
    /// with its connection: a device whose sessions always fail.
    lose_hems_requests: bool,
    /// The HeNB never answers a Connection Request (unreachable).
    ignore_connection_requests: bool,
    /// Connection Requests the HeNB was sent.
    connection_requests: usize,
    /// What the HeNB persisted (`persist_state`), through JSON as its flash keeps it.
    henb_persisted: Option<AgentSnapshot>,
    /// HeNB outputs handled so far.
    henb_outputs: usize,
    /// The HeNB loses power when it is about to act on this output (counted from 0): it
    /// comes back from what it persisted.
    crash_henb_at: Option<usize>,
    /// Files applied by the HeNB (DownloadRequested served and reported).
    files_applied: usize,
}

fn describe(who: &str, status: u16, body: &[u8]) -> String {
    if body.is_empty() {
        return if status == 0 {
            format!("{who} (empty)")
        } else {
            format!("{who} {status}")
        };
    }
    match decode(body) {
        Ok(env) => match &env.body {
            Body::Inform(i) => {
                let ev: Vec<&str> = i.event.iter().map(|e| e.event_code.as_str()).collect();
                format!("{who} Inform [{}]", ev.join(", "))
            }
            b => format!("{who} {}", b.method_name()),
        },
        Err(_) => format!("{who} ?"),
    }
}

impl World {
    fn new() -> World {
        let now = Timestamp(1_000);
        World {
            now,
            hems: Hems::new(HemsConfig::default()),
            henb: agent("S1", now),
            files: HashMap::new(),
            conn: 1,
            log: Vec::new(),
            hems_events: Vec::new(),
            agent_events: Vec::new(),
            messages: 0,
            serving: None,
            on_serving: false,
            serving_events: Vec::new(),
            store: HashMap::new(),
            drop_message: None,
            restart_at_message: None,
            restarts: 0,
            keep_alive: false,
            hold_fetch: false,
            hems_config: HemsConfig::default(),
            persisted: HashMap::new(),
            hems_outputs: 0,
            crash_hems_at: None,
            lose_hems_requests: false,
            ignore_connection_requests: false,
            connection_requests: 0,
            henb_persisted: None,
            henb_outputs: 0,
            crash_henb_at: None,
            files_applied: 0,
        }
    }

    /// The HeNB loses power: it comes back from what it persisted (or as new), rebooted;
    /// its connection is gone.
    fn crash_henb(&mut self) {
        self.log.push("HeNB crash".into());
        self.henb = match self.henb_persisted.clone() {
            Some(snapshot) => Agent::restore(snapshot, true, self.now),
            None => Agent::new(
                AgentConfig {
                    persist_state: true,
                    ..self.henb.config().clone()
                },
                self.henb.model().clone(),
                self.now,
            ),
        };
        self.hems.handle_connection_closed(self.conn, self.now);
        self.conn += 1;
    }

    /// A registered world whose HeMS runs with `config`.
    fn registered_with(config: HemsConfig) -> World {
        let mut w = World {
            hems: Hems::new(config.clone()),
            hems_config: config,
            ..World::new()
        };
        w.run_until(w.now.plus_ms(1_000));
        w.log.clear();
        w
    }

    /// A world whose HeMS persists every change before it sends what acknowledges it.
    fn persisting() -> World {
        let config = HemsConfig {
            persist_changes: true,
            ..HemsConfig::default()
        };
        World {
            hems: Hems::new(config.clone()),
            hems_config: config,
            ..World::new()
        }
    }

    /// A `Persist`: the change and its events in one write, through JSON as a store keeps
    /// them; the events are published once written.
    fn persist(&mut self, device: String, change: DeviceChange, events: Vec<HemsEvent>) {
        let json = serde_json::to_string(&change).unwrap();
        let change: DeviceChange = serde_json::from_str(&json).unwrap();
        let kept = self.persisted.entry(device).or_default();
        let mut parameters = std::mem::take(&mut kept.parameters);
        parameters.extend(change.parameters);
        *kept = change.record;
        kept.parameters = parameters;
        self.hems_events.extend(events);
    }

    /// The HeMS process dies: a new one starts from what was persisted; the HeNB's
    /// connection breaks.
    fn crash_hems(&mut self) {
        self.log.push("HeMS crash".into());
        let mut hems = Hems::new(self.hems_config.clone());
        for (key, record) in &self.persisted {
            hems.import_device_as(key, record.clone());
        }
        self.hems = hems;
        if self.henb.in_session() {
            self.henb
                .handle_transport_failed("connection reset", self.now);
        }
        self.conn += 1;
    }

    fn key(&self) -> String {
        device_id("S1").device_key()
    }

    /// Runs until nothing is due before `until` (time jumps to the next deadline).
    fn run_until(&mut self, until: Timestamp) {
        for _ in 0..10_000 {
            let mut progressed = false;
            // the HeNB
            loop {
                let output = self.henb.poll_output();
                if !matches!(output, Output::Timeout(_) | Output::Idle) {
                    self.henb_outputs += 1;
                    if self.crash_henb_at == Some(self.henb_outputs - 1) {
                        self.crash_henb();
                        progressed = true;
                        break;
                    }
                }
                match output {
                    Output::Transmit(post) => {
                        progressed = true;
                        self.deliver_post(post);
                    }
                    Output::Event(e) => {
                        progressed = true;
                        self.on_agent_event(e);
                    }
                    Output::Timeout(t) if t <= self.now => {
                        self.henb.handle_timeout(self.now);
                        progressed = true;
                    }
                    Output::Timeout(_) | Output::Idle => break,
                }
            }
            // the HeMS
            loop {
                let output = self.hems.poll_output();
                if !matches!(output, HemsOutput::Timeout(_) | HemsOutput::Idle) {
                    self.hems_outputs += 1;
                    if self.crash_hems_at == Some(self.hems_outputs - 1) {
                        self.crash_hems();
                        progressed = true;
                        break;
                    }
                }
                match output {
                    HemsOutput::Persist {
                        device,
                        change,
                        events,
                    } => {
                        progressed = true;
                        self.persist(device, *change, events);
                    }
                    HemsOutput::Respond { conn, response } => {
                        progressed = true;
                        self.deliver_response(conn, *response);
                    }
                    HemsOutput::ConnectionRequest { .. } => {
                        progressed = true;
                        self.log.push("HeMS ConnectionRequest".into());
                        self.connection_requests += 1;
                        if !self.ignore_connection_requests {
                            self.henb.connection_request(self.now);
                        }
                    }
                    HemsOutput::Event(e) => {
                        progressed = true;
                        self.hems_events.push(e);
                    }
                    HemsOutput::Timeout(t) if t <= self.now => {
                        self.hems.handle_timeout(self.now);
                        progressed = true;
                    }
                    HemsOutput::LoadDevice { conn, device } => {
                        progressed = true;
                        let record = self.store.get(&device).cloned();
                        self.hems.provide_device(conn, record, self.now);
                    }
                    HemsOutput::StoreDevice { device, record } => {
                        progressed = true;
                        // through JSON, as a real store would keep it
                        let json = serde_json::to_string(&record).unwrap();
                        self.store
                            .insert(device, serde_json::from_str(&json).unwrap());
                    }
                    HemsOutput::Timeout(_) | HemsOutput::Idle => break,
                    other => panic!("unexpected {other:?}"),
                }
            }
            // the serving HeMS, if any
            let mut serving_out = Vec::new();
            if let Some((_, serving)) = self.serving.as_mut() {
                loop {
                    match serving.poll_output() {
                        HemsOutput::Timeout(t) if t <= self.now => serving.handle_timeout(self.now),
                        HemsOutput::Timeout(_) | HemsOutput::Idle => break,
                        other => serving_out.push(other),
                    }
                }
            }
            for out in serving_out {
                progressed = true;
                match out {
                    HemsOutput::Respond { conn, response } => {
                        self.deliver_response(conn, *response)
                    }
                    HemsOutput::Event(e) => self.serving_events.push(e),
                    _ => {}
                }
            }
            if progressed {
                continue;
            }
            let next = [self.henb_deadline(), self.hems_deadline()]
                .into_iter()
                .flatten()
                .min();
            match next {
                Some(t) if t <= until => self.now = t.max(self.now),
                _ => return,
            }
        }
        panic!("the world does not settle: {:?}", self.log);
    }

    fn henb_deadline(&mut self) -> Option<Timestamp> {
        match self.henb.poll_output() {
            Output::Timeout(t) => Some(t),
            Output::Idle => None,
            other => panic!("undrained output {other:?}"),
        }
    }

    fn hems_deadline(&mut self) -> Option<Timestamp> {
        match self.hems.poll_output() {
            HemsOutput::Timeout(t) => Some(t),
            HemsOutput::Idle => None,
            other => panic!("undrained output {other:?}"),
        }
    }

    fn lose(&mut self) -> bool {
        let n = self.messages;
        self.messages += 1;
        if self.restart_at_message == Some(n) {
            // the HeNB loses power right here; what it stored survives
            self.log.push("HeNB restart".into());
            let snap = self.henb.snapshot();
            let json = serde_json::to_string(&snap).unwrap();
            let back: AgentSnapshot = serde_json::from_str(&json).unwrap();
            self.henb = Agent::restore(back, true, self.now);
            self.restarts += 1;
            self.hems.handle_connection_closed(self.conn, self.now);
            self.conn += 1;
            return true;
        }
        if self.drop_message == Some(n) {
            self.log.push("(connection lost)".into());
            self.henb
                .handle_transport_failed("connection lost", self.now);
            self.hems.handle_connection_closed(self.conn, self.now);
            self.conn += 1;
            return true;
        }
        false
    }

    fn deliver_post(&mut self, post: femtocwmp::session::HttpRequest) {
        self.now = self.now.plus_ms(2);
        let text = describe("HeNB", 0, &post.body);
        if text.starts_with("HeNB Inform") && !self.keep_alive {
            // each session on a connection of its own
            self.conn += 1;
        }
        if self.lose() {
            return;
        }
        self.log.push(text);
        let headers: Vec<(&str, &str)> = post
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.on_serving = self
            .serving
            .as_ref()
            .is_some_and(|(url, _)| *url == post.url);
        let hems = match self.serving.as_mut() {
            Some((_, h)) if self.on_serving => h,
            _ => &mut self.hems,
        };
        hems.handle_http_request(self.conn, &headers, &post.body, self.now);
        if self.henb.in_session() || self.keep_alive {
            return;
        }
        hems.handle_connection_closed(self.conn, self.now);
    }

    fn deliver_response(&mut self, conn: u64, response: femtocwmp::session::HttpResponse) {
        self.now = self.now.plus_ms(2);
        if conn != self.conn {
            return; // a connection that is gone
        }
        if self.lose() {
            return;
        }
        let text = describe("HeMS", response.status, &response.body);
        if self.lose_hems_requests
            && !response.body.is_empty()
            && !text.ends_with("InformResponse")
            && !text.ends_with("TransferCompleteResponse")
        {
            self.log.push(format!("{text} (connection lost)"));
            self.henb
                .handle_transport_failed("connection lost", self.now);
            self.hems.handle_connection_closed(conn, self.now);
            self.conn += 1;
            return;
        }
        self.log.push(text);
        let headers: Vec<(&str, &str)> = response
            .headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        self.henb
            .handle_http_response(response.status, &headers, &response.body, self.now);
        if !self.henb.in_session() && !self.keep_alive {
            match self.serving.as_mut() {
                Some((_, h)) if self.on_serving => h.handle_connection_closed(conn, self.now),
                _ => self.hems.handle_connection_closed(conn, self.now),
            }
        }
    }

    fn on_agent_event(&mut self, e: AgentEvent) {
        match &e {
            AgentEvent::PersistState { snapshot } => {
                let json = serde_json::to_string(snapshot).unwrap();
                self.henb_persisted = Some(serde_json::from_str(&json).unwrap());
            }
            AgentEvent::DownloadRequested {
                command_key,
                url,
                username,
                password,
                ..
            } if !self.hold_fetch => {
                self.log.push("file GET".into());
                let result = match self.files.get(url) {
                    None => Err((FaultCode::FileServerUnreachable, "404".into())),
                    Some((pass, _)) if pass != password || username != "fap-dl" => {
                        Err((FaultCode::FileTransferAuthenticationFailure, "401".into()))
                    }
                    Some((_, bytes)) => Ok(bytes.clone()),
                };
                if result.is_ok() {
                    self.files_applied += 1;
                }
                self.henb.download_finished(command_key, result, self.now);
            }
            AgentEvent::RebootRequested { .. } => {
                self.log.push("HeNB reboot".into());
                self.henb = Agent::restore(self.henb.snapshot(), true, self.now);
            }
            _ => {}
        }
        self.agent_events.push(e);
    }

    fn finished(&self, id: ProcedureId) -> Vec<&ProcedureOutcome> {
        self.hems_events
            .iter()
            .filter_map(|e| match e {
                HemsEvent::ProcedureFinished { id: i, outcome, .. } if *i == id => Some(outcome),
                _ => None,
            })
            .collect()
    }

    /// The HeNB registers (BOOTSTRAP/BOOT), then everything settles.
    fn registered() -> World {
        let mut w = World::new();
        w.run_until(w.now.plus_ms(1_000));
        assert_eq!(
            w.log,
            [
                "HeNB Inform [0 BOOTSTRAP, 1 BOOT]",
                "HeMS InformResponse",
                "HeNB (empty)",
                "HeMS 204"
            ]
        );
        assert!(matches!(
            &w.hems_events[0],
            HemsEvent::Informed {
                bootstrap: true,
                ..
            }
        ));
        w.log.clear();
        w
    }
}

fn download(w: &mut World) -> ProcedureId {
    let key = w.key();
    w.hems.submit(
        &key,
        Procedure::ConfigureByFileDownload {
            url: FILE_URL.into(),
            username: "fap-dl".into(),
            password: "s3cret".into(),
            file_size: 0,
            target_file_name: String::new(),
            delay_seconds: 0,
            timeout_ms: 3_600_000,
        },
        w.now,
    )
}

#[test]
fn figure_5_1_configuration_by_file_download() {
    let mut w = World::registered();
    let file = config_file(&[
        (&format!("{RF}EARFCNDL"), "1350"),
        (
            "Device.Services.FAPService.1.FAPControl.LTE.AdminState",
            "1",
        ),
    ]);
    w.files.insert(FILE_URL.into(), ("s3cret".into(), file));
    let id = download(&mut w);
    w.run_until(w.now.plus_ms(60_000));
    assert_eq!(
        w.log,
        [
            "HeMS ConnectionRequest",
            "HeNB Inform [6 CONNECTION REQUEST]",
            "HeMS InformResponse",
            "HeNB (empty)",
            "HeMS Download",
            "file GET",
            "HeNB DownloadResponse",
            "HeMS 204",
            // applied, then reported in the same session (TS 32.593 5.1.2 step 5)
            "HeNB TransferComplete",
            "HeMS TransferCompleteResponse",
            "HeNB (empty)",
            "HeMS 204",
        ]
    );
    assert_eq!(w.henb.model().value(&format!("{RF}EARFCNDL")), Some("1350"));
    assert_eq!(
        w.henb
            .model()
            .value("Device.Services.FAPService.1.FAPControl.LTE.AdminState"),
        Some("1")
    );
    let outcomes = w.finished(id);
    assert_eq!(outcomes.len(), 1);
    let ProcedureOutcome::Success {
        transfer: Some(tc), ..
    } = outcomes[0]
    else {
        panic!("{outcomes:?}")
    };
    assert!(tc.fault_struct.is_success());
    assert!(w.agent_events.iter().any(|e| matches!(
        e,
        AgentEvent::ParametersChanged {
            reboot_required: true,
            ..
        }
    )));
}

#[test]
fn a_download_waits_its_delay_seconds() {
    // TR-069 A.4.1.5: DelaySeconds before the transfer starts
    let mut w = World::registered();
    let file = config_file(&[(&format!("{RF}EARFCNDL"), "1400")]);
    w.files.insert(FILE_URL.into(), ("s3cret".into(), file));
    let key = w.key();
    let id = w.hems.submit(
        &key,
        Procedure::ConfigureByFileDownload {
            url: FILE_URL.into(),
            username: "fap-dl".into(),
            password: "s3cret".into(),
            file_size: 0,
            target_file_name: String::new(),
            delay_seconds: 30,
            timeout_ms: 3_600_000,
        },
        w.now,
    );
    let asked = w.now;
    w.run_until(asked.plus_ms(29_000));
    assert!(w.log.contains(&"HeMS Download".to_owned()), "{:?}", w.log);
    assert!(
        !w.log.contains(&"file GET".to_owned()),
        "fetched too early: {:?}",
        w.log
    );
    assert!(w.finished(id).is_empty());
    w.run_until(asked.plus_ms(120_000));
    assert!(w.log.contains(&"file GET".to_owned()), "{:?}", w.log);
    assert!(w.finished(id)[0].is_success(), "{:?}", w.finished(id));
    assert_eq!(w.henb.model().value(&format!("{RF}EARFCNDL")), Some("1400"));
}

#[test]
fn a_restart_during_the_fetch_reports_the_transfer_failed() {
    let mut w = World::registered();
    w.hold_fetch = true;
    let id = download(&mut w);
    w.run_until(w.now.plus_ms(10_000));
    assert!(w.finished(id).is_empty(), "waits for the TransferComplete");
    // the HeNB restarts while fetching: the fetch is gone, and the HeMS must hear so
    w.henb = Agent::restore(w.henb.snapshot(), true, w.now);
    w.hold_fetch = false;
    w.run_until(w.now.plus_ms(60_000));
    let ProcedureOutcome::TransferFailed(tc) = w.finished(id)[0] else {
        panic!("{:?}", w.finished(id))
    };
    assert_eq!(tc.fault_struct.fault_code, FaultCode::FileTransferFailure);
}

#[test]
fn figure_5_1_transfer_complete_in_a_later_session() {
    let mut w = World::registered();
    // the file server answers only after the session ended
    let id = download(&mut w);
    w.run_until(w.now.plus_ms(60_000));
    assert!(w.finished(id).is_empty() || !w.finished(id)[0].is_success());
    // nothing was served: 9015 reported in the same session
    let outcome = w.finished(id);
    let ProcedureOutcome::TransferFailed(tc) = outcome[0] else {
        panic!("{outcome:?}")
    };
    assert_eq!(tc.fault_struct.fault_code, FaultCode::FileServerUnreachable);
}

#[test]
fn a_bad_config_file_changes_nothing_and_says_why() {
    for (what, file) in [
        (
            "malformed XML",
            b"<configDataFile><configData><Device>".to_vec(),
        ),
        (
            "a DTD",
            b"<!DOCTYPE x [<!ENTITY e \"1\">]><configDataFile/>".to_vec(),
        ),
        (
            "an unknown parameter",
            config_file(&[(&format!("{RF}EARFCNDL"), "1350"), ("Device.Nope.X", "1")]),
        ),
        (
            "a wrong type",
            config_file(&[(&format!("{RF}EARFCNDL"), "lots")]),
        ),
        (
            "an invalid value",
            config_file(&[(&format!("{RF}DLBandwidth"), "7")]),
        ),
    ] {
        let mut w = World::registered();
        let before = w.henb.model().clone();
        w.files.insert(FILE_URL.into(), ("s3cret".into(), file));
        let id = download(&mut w);
        w.run_until(w.now.plus_ms(60_000));
        assert_eq!(w.henb.model(), &before, "{what}: data model unchanged");
        let outcome = w.finished(id);
        let ProcedureOutcome::TransferFailed(tc) = outcome[0] else {
            panic!("{what}: {outcome:?}")
        };
        assert!(
            matches!(
                tc.fault_struct.fault_code,
                FaultCode::FileCorrupted | FaultCode::InternalError
            ),
            "{what}: {:?}",
            tc.fault_struct
        );
        assert!(!tc.fault_struct.fault_string.is_empty());
    }
}

#[test]
fn wrong_file_server_credentials_are_9012() {
    let mut w = World::registered();
    w.files
        .insert(FILE_URL.into(), ("other".into(), config_file(&[])));
    let id = download(&mut w);
    w.run_until(w.now.plus_ms(60_000));
    let ProcedureOutcome::TransferFailed(tc) = w.finished(id)[0] else {
        panic!()
    };
    assert_eq!(
        tc.fault_struct.fault_code,
        FaultCode::FileTransferAuthenticationFailure
    );
}

fn spv(w: &mut World, params: Vec<ParameterValueStruct>) -> ProcedureId {
    let key = w.key();
    w.hems.submit(
        &key,
        Procedure::ConfigureBySetParameterValues {
            params,
            parameter_key: "cfg-7".into(),
        },
        w.now,
    )
}

#[test]
fn figure_5_2_configuration_by_set_parameter_values() {
    let mut w = World::registered();
    let id = spv(
        &mut w,
        vec![ParameterValueStruct::new(
            format!("{RF}PhyCellID"),
            Value::unsigned_int(42),
        )],
    );
    w.run_until(w.now.plus_ms(60_000));
    assert_eq!(
        w.log,
        [
            "HeMS ConnectionRequest",
            "HeNB Inform [6 CONNECTION REQUEST]",
            "HeMS InformResponse",
            "HeNB (empty)",
            "HeMS SetParameterValues",
            "HeNB SetParameterValuesResponse",
            "HeMS 204"
        ]
    );
    let ProcedureOutcome::Success {
        response: Body::SetParameterValuesResponse(r),
        ..
    } = w.finished(id)[0]
    else {
        panic!()
    };
    assert_eq!(r.status, 0);
    assert_eq!(w.henb.model().value(&format!("{RF}PhyCellID")), Some("42"));
    assert_eq!(w.henb.model().value(PARAMETER_KEY), Some("cfg-7"));
}

#[test]
fn figure_5_2_faults_name_every_parameter() {
    let mut w = World::registered();
    let id = spv(
        &mut w,
        vec![
            ParameterValueStruct::new(format!("{RF}PhyCellID"), Value::unsigned_int(999)),
            ParameterValueStruct::new("Device.DeviceInfo.SerialNumber", "x"),
        ],
    );
    w.run_until(w.now.plus_ms(60_000));
    let ProcedureOutcome::Fault(f) = w.finished(id)[0] else {
        panic!()
    };
    assert_eq!(f.fault_code, FaultCode::InvalidArguments);
    let codes: Vec<u32> = f
        .set_parameter_values_fault
        .iter()
        .map(|p| p.fault_code.code())
        .collect();
    assert_eq!(codes, [9007, 9008]);
    assert_eq!(
        w.henb.model().value(&format!("{RF}PhyCellID")),
        Some("137"),
        "nothing applied"
    );
}

#[test]
fn sessions_one_after_another_on_a_kept_alive_connection() {
    // HTTP clients such as libcurl keep the connection open after the 204: the next
    // session's Inform arrives on it while the HeMS still waits for the close.
    let mut w = World::registered();
    w.keep_alive = true;
    let pci = |n| {
        vec![ParameterValueStruct::new(
            format!("{RF}PhyCellID"),
            Value::unsigned_int(n),
        )]
    };
    let first = spv(&mut w, pci(77));
    w.run_until(w.now.plus_ms(60_000));
    assert!(w.finished(first)[0].is_success());
    // that session ended on a non-empty POST: the HeMS is in 3.7.1.4's Closing state, so a
    // new procedure reaches the device by a Connection Request
    w.log.clear();
    w.hems_events.clear();
    let second = spv(&mut w, pci(78));
    w.run_until(w.now.plus_ms(1_000)); // well before the Closing state times out
    assert_eq!(
        w.log[..2],
        [
            "HeMS ConnectionRequest",
            "HeNB Inform [6 CONNECTION REQUEST]"
        ]
    );
    assert!(w.finished(second)[0].is_success());
    assert_eq!(w.henb.model().value(&format!("{RF}PhyCellID")), Some("78"));
    // and a session the HeNB opens itself
    w.henb.set_ipsec_address("172.16.0.42", w.now);
    w.run_until(w.now.plus_ms(60_000));
    let ended: Vec<&femtocwmp::session::EndReason> = w
        .hems_events
        .iter()
        .filter_map(|e| match e {
            HemsEvent::SessionEnded { outcome, .. } => Some(&outcome.reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        ended,
        [&femtocwmp::session::EndReason::Completed; 3],
        "the first SPV session, the second, the VALUE CHANGE one: {:?}",
        w.log
    );
    assert_eq!(
        w.hems.device(&w.key()).unwrap().ipsec_address.as_deref(),
        Some("172.16.0.42")
    );
}

#[test]
fn figure_5_3_ipsec_inner_address_change() {
    let mut w = World::registered();
    w.henb.set_ipsec_address("172.16.0.99", w.now);
    w.run_until(w.now.plus_ms(60_000));
    assert_eq!(
        w.log,
        [
            "HeNB Inform [4 VALUE CHANGE]",
            "HeMS InformResponse",
            "HeNB (empty)",
            "HeMS 204"
        ]
    );
    let change = w.hems_events.iter().find_map(|e| match e {
        HemsEvent::IpsecAddressChanged { old, new, .. } => Some((old.clone(), new.clone())),
        _ => None,
    });
    assert_eq!(
        change,
        Some((None, "172.16.0.99".to_owned())),
        "first sight: no old address known"
    );
    assert_eq!(
        w.hems.device(&w.key()).unwrap().ipsec_address.as_deref(),
        Some("172.16.0.99")
    );
    // a second change: old and new, and several changes before delivery send the latest once
    w.log.clear();
    w.drop_message = Some(w.messages); // the first attempt is lost
    w.henb.set_ipsec_address("172.16.0.100", w.now);
    w.henb.set_ipsec_address("172.16.0.101", w.now);
    w.run_until(w.now.plus_ms(60_000));
    assert_eq!(
        w.log,
        [
            "(connection lost)",
            "HeNB Inform [4 VALUE CHANGE]",
            "HeMS InformResponse",
            "HeNB (empty)",
            "HeMS 204"
        ]
    );
    let changes: Vec<(Option<String>, String)> = w
        .hems_events
        .iter()
        .filter_map(|e| match e {
            HemsEvent::IpsecAddressChanged { old, new, .. } => Some((old.clone(), new.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        changes.last().unwrap(),
        &(Some("172.16.0.99".to_owned()), "172.16.0.101".to_owned())
    );
    assert!(w
        .agent_events
        .iter()
        .any(|e| matches!(e, AgentEvent::RetryScheduled { attempt: 1, .. })));
}

#[test]
fn the_inform_carries_device_id_and_the_new_address() {
    let mut w = World::registered();
    w.henb.set_ipsec_address("172.16.0.55", w.now);
    let post = loop {
        match w.henb.poll_output() {
            Output::Transmit(post) => break post,
            Output::Event(AgentEvent::SessionStarted { events }) => {
                assert_eq!(events, vec![EventStruct::new(EventCode::ValueChange)])
            }
            other => panic!("{other:?}"),
        }
    };
    let env = decode(&post.body).unwrap();
    let Body::Inform(i) = env.body else { panic!() };
    assert_eq!(i.device_id.serial_number, "S1");
    assert_eq!(
        i.parameter(IPSEC_ADDRESS).map(|v| v.as_str()),
        Some("172.16.0.55")
    );
    assert!(
        i.parameter("Device.ManagementServer.ConnectionRequestURL")
            .is_some(),
        "forced-inform parameters too"
    );
}

/// Drops (or restarts the HeNB at) message `n` of a flow, then lets retries run; the flow
/// must complete once, with nothing applied twice and no TransferComplete lost.
fn fault_matrix(flow: &str, restart: bool) {
    for n in 0..16 {
        let mut w = World::registered();
        let file = config_file(&[(&format!("{RF}EARFCNDL"), "1350")]);
        w.files.insert(FILE_URL.into(), ("s3cret".into(), file));
        let start = w.messages;
        if restart {
            w.restart_at_message = Some(start + n);
        } else {
            w.drop_message = Some(start + n);
        }
        let id = match flow {
            "download" => download(&mut w),
            "spv" => spv(
                &mut w,
                vec![ParameterValueStruct::new(
                    format!("{RF}PhyCellID"),
                    Value::unsigned_int(42),
                )],
            ),
            "ipsec" => {
                w.henb.set_ipsec_address("172.16.0.77", w.now);
                ProcedureId(0)
            }
            "firmware" => {
                w.files.insert(
                    "http://files/fw.bin".into(),
                    ("s3cret".into(), b"image".to_vec()),
                );
                let key = w.key();
                w.hems.submit(
                    &key,
                    Procedure::FirmwareUpgrade {
                        url: "http://files/fw.bin".into(),
                        username: "fap-dl".into(),
                        password: "s3cret".into(),
                        file_size: 5,
                        timeout_ms: 3_600_000,
                    },
                    w.now,
                )
            }
            _ => unreachable!(),
        };
        // a Connection Request lost with the connection is asked again by the operator
        w.run_until(w.now.plus_ms(600_000));
        if flow != "ipsec" && w.finished(id).is_empty() {
            let key = w.key();
            w.hems
                .submit(&key, Procedure::Rpc(Body::GetRPCMethods), w.now);
            w.run_until(w.now.plus_ms(600_000));
        }
        let what = format!(
            "{flow}, {} at message {n}: {:?}",
            if restart { "restart" } else { "loss" },
            w.log
        );
        if std::env::var("SHOW_FAULT_MATRIX").is_ok() {
            eprintln!("{what}");
        }
        match flow {
            "ipsec" => {
                let last = w.hems_events.iter().rev().find_map(|e| match e {
                    HemsEvent::IpsecAddressChanged { new, .. } => Some(new.clone()),
                    _ => None,
                });
                assert_eq!(last.as_deref(), Some("172.16.0.77"), "{what}");
            }
            _ => {
                let outcomes = w.finished(id);
                assert_eq!(outcomes.len(), 1, "finished exactly once: {what}");
                assert!(outcomes[0].is_success(), "{what}: {:?}", outcomes[0]);
            }
        }
        if flow == "download" {
            let gets = w.log.iter().filter(|l| *l == "file GET").count();
            assert!(gets >= 1, "{what}");
            assert_eq!(
                w.henb.model().value(&format!("{RF}EARFCNDL")),
                Some("1350"),
                "{what}"
            );
            let changed = w
                .agent_events
                .iter()
                .filter(|e| matches!(e, AgentEvent::ParametersChanged { .. }))
                .count();
            assert!(changed <= 1 || restart, "applied once: {what}");
        }
        if flow == "spv" {
            assert_eq!(
                w.henb.model().value(&format!("{RF}PhyCellID")),
                Some("42"),
                "{what}"
            );
        }
        // nothing left behind: no TransferComplete unacknowledged, no retained event
        let snap = w.henb.snapshot();
        assert!(snap.requests.is_empty(), "{what}: {:?}", snap.requests);
        assert!(snap.transfers.is_empty(), "{what}");
    }
}

#[test]
fn fault_matrix_file_download() {
    fault_matrix("download", false);
}

#[test]
fn fault_matrix_set_parameter_values() {
    fault_matrix("spv", false);
}

#[test]
fn fault_matrix_ipsec_change() {
    fault_matrix("ipsec", false);
}

#[test]
fn fault_matrix_firmware() {
    fault_matrix("firmware", false);
}

#[test]
fn restart_in_the_middle_of_each_flow() {
    for flow in ["download", "spv", "ipsec", "firmware"] {
        fault_matrix(flow, true);
    }
}

#[test]
fn firmware_upgrade_reboots_and_reports() {
    let mut w = World::registered();
    w.files.insert(
        "http://files/fw.bin".into(),
        ("s3cret".into(), b"image".to_vec()),
    );
    let key = w.key();
    let id = w.hems.submit(
        &key,
        Procedure::FirmwareUpgrade {
            url: "http://files/fw.bin".into(),
            username: "fap-dl".into(),
            password: "s3cret".into(),
            file_size: 5,
            timeout_ms: 3_600_000,
        },
        w.now,
    );
    w.run_until(w.now.plus_ms(60_000));
    assert!(w.log.contains(&"HeNB reboot".to_owned()), "{:?}", w.log);
    assert!(
        w.log.iter().any(|l| l.starts_with("HeNB Inform [")
            && l.contains("1 BOOT")
            && l.contains("7 TRANSFER COMPLETE")
            && l.contains("M Download")),
        "{:?}",
        w.log
    );
    assert!(w.finished(id)[0].is_success());
}

#[test]
fn hems_records_survive_export_and_import() {
    let mut w = World::registered();
    let id = spv(
        &mut w,
        vec![ParameterValueStruct::new(
            format!("{RF}PhyCellID"),
            Value::unsigned_int(7),
        )],
    );
    // the HeMS restarts before the device comes back: its record is reloaded from the store
    let record = w.hems.export_device(&w.key()).unwrap();
    let json = serde_json::to_string(&record).unwrap();
    let mut fresh = Hems::new(HemsConfig::default());
    fresh.import_device(serde_json::from_str(&json).unwrap());
    w.hems = fresh;
    w.henb.connection_request(w.now);
    w.run_until(w.now.plus_ms(60_000));
    assert!(w.finished(id)[0].is_success());
    assert_eq!(w.henb.model().value(&format!("{RF}PhyCellID")), Some("7"));
}

#[test]
fn registration_initial_then_serving_hems() {
    let mut w = World::registered();
    let serving = "http://serving-hems.example.net/cwmp".to_owned();
    w.serving = Some((serving.clone(), Hems::new(HemsConfig::default())));
    // the initial HeMS points the HeNB at the serving HeMS and SeGW (B.3.1)
    let gw = "Device.Services.FAPService.1.FAPControl.LTE.Gateway.SecGWServer1";
    spv(
        &mut w,
        vec![
            ParameterValueStruct::new(ACS_URL, serving.as_str()),
            ParameterValueStruct::new(gw, "segw.serving.example.net"),
        ],
    );
    w.run_until(w.now.plus_ms(60_000));
    assert_eq!(
        w.log,
        [
            "HeMS ConnectionRequest",
            "HeNB Inform [6 CONNECTION REQUEST]",
            "HeMS InformResponse",
            "HeNB (empty)",
            "HeMS SetParameterValues",
            "HeNB SetParameterValuesResponse",
            "HeMS 204",
            // the new HeMS: BOOTSTRAP (TR-069 3.7.1.5)
            "HeNB Inform [0 BOOTSTRAP]",
            "HeMS InformResponse",
            "HeNB (empty)",
            "HeMS 204",
        ]
    );
    assert!(matches!(
        &w.serving_events[0],
        HemsEvent::Informed {
            bootstrap: true,
            ..
        }
    ));
    assert_eq!(w.henb.model().value(gw), Some("segw.serving.example.net"));
}

#[test]
fn reboot_is_announced_with_m_reboot() {
    let mut w = World::registered();
    let key = w.key();
    let id = w.hems.submit(
        &key,
        Procedure::Rpc(Body::Reboot(Reboot {
            command_key: "rb-1".into(),
        })),
        w.now,
    );
    w.run_until(w.now.plus_ms(60_000));
    assert!(w.finished(id)[0].is_success());
    let after: Vec<&String> = w.log.iter().skip_while(|l| *l != "HeNB reboot").collect();
    assert_eq!(after[1], "HeNB Inform [1 BOOT, M Reboot]", "{:?}", w.log);
    let informed = w.hems_events.iter().rev().find_map(|e| match e {
        HemsEvent::Informed { events, .. } => Some(events.clone()),
        _ => None,
    });
    assert!(informed
        .unwrap()
        .contains(&EventStruct::with_command_key(EventCode::MReboot, "rb-1")));
}

#[test]
fn periodic_informs_follow_the_interval() {
    let mut w = World::registered();
    let interval = "Device.ManagementServer.PeriodicInformInterval";
    spv(
        &mut w,
        vec![ParameterValueStruct::new(interval, Value::unsigned_int(60))],
    );
    w.run_until(w.now.plus_ms(10_000));
    w.log.clear();
    // the interval in force is re-read at each session; two periods pass
    w.run_until(w.now.plus_ms(3_700_000));
    let periodic = w
        .log
        .iter()
        .filter(|l| *l == "HeNB Inform [2 PERIODIC]")
        .count();
    assert!(periodic >= 1, "{:?}", w.log);
}

#[test]
fn inventory_and_objects_through_rpc_procedures() {
    let mut w = World::registered();
    let key = w.key();
    let table = "Device.Services.FAPService.1.CellConfig.LTE.RAN.NeighborList.LTECell.";
    let add = w.hems.submit(
        &key,
        Procedure::Rpc(Body::AddObject(AddObject {
            object_name: table.into(),
            parameter_key: "n1".into(),
        })),
        w.now,
    );
    let gpn = w.hems.submit(
        &key,
        Procedure::Rpc(Body::GetParameterNames(GetParameterNames {
            parameter_path: table.into(),
            next_level: true,
        })),
        w.now,
    );
    let gpv = w.hems.submit(
        &key,
        Procedure::Rpc(Body::GetParameterValues(GetParameterValues {
            parameter_names: vec![format!("{table}1.")],
        })),
        w.now,
    );
    w.run_until(w.now.plus_ms(60_000));
    let ProcedureOutcome::Success {
        response: Body::AddObjectResponse(a),
        ..
    } = w.finished(add)[0]
    else {
        panic!()
    };
    assert_eq!(a.instance_number, 1);
    let ProcedureOutcome::Success {
        response: Body::GetParameterNamesResponse(n),
        ..
    } = w.finished(gpn)[0]
    else {
        panic!()
    };
    assert_eq!(
        n.parameter_list
            .iter()
            .map(|p| p.name.as_str())
            .collect::<Vec<_>>(),
        [format!("{table}1.")]
    );
    let ProcedureOutcome::Success {
        response: Body::GetParameterValuesResponse(v),
        ..
    } = w.finished(gpv)[0]
    else {
        panic!()
    };
    assert_eq!(v.parameter_list.len(), 5);
    // one session for all three, one request per HTTP response
    assert_eq!(
        w.log
            .iter()
            .filter(|l| l.starts_with("HeNB Inform"))
            .count(),
        1,
        "{:?}",
        w.log
    );
}

#[test]
fn connection_requests_are_authenticated_without_io() {
    let mut henb = agent("S9", Timestamp(0));
    while !matches!(henb.poll_output(), Output::Timeout(_) | Output::Idle) {}
    let uri = "http://10.0.0.2:7547/cr/S9";
    let answer = |challenge: &femtocwmp::session::HttpResponse, password: &str, uri: &str| {
        let www = challenge.headers[0].1.clone();
        femtocwmp::session::authorization_for(&[&www], "S9", password, "GET", uri, "c1").unwrap()
    };
    // TR-069 3.2.2: always Digest. Nobody configured a password: one derived from the
    // description, not an open door
    let derived = derived_connection_request_password(&FemtocellInfo {
        device_id: device_id("S9"),
        acs_url: "http://hems.example.net/cwmp".into(),
        connection_request_url: uri.into(),
        software_version: "4.3.7".into(),
        ipsec_address: "172.16.0.10".into(),
        ..FemtocellInfo::default()
    });
    assert_eq!(derived.len(), 16);
    let challenge = henb.handle_connection_request("GET", &[], Timestamp(1));
    assert_eq!(challenge.status, 401);
    let ok = answer(&challenge, &derived, uri);
    let r = henb.handle_connection_request("GET", &[("Authorization", ok.as_str())], Timestamp(1));
    assert_eq!(r.status, 200);
    // a password set by the HeMS: a challenge, then the right answer is accepted once, and
    // the wrong one, a replay, a wrong uri are refused
    henb.parameter_changed_internally(
        "Device.ManagementServer.ConnectionRequestPassword",
        "crpw",
        Timestamp(2),
    );
    let challenge = henb.handle_connection_request("GET", &[], Timestamp(3));
    assert_eq!(challenge.status, 401);
    let good = answer(&challenge, "crpw", uri);
    let bad = answer(&challenge, "nope", uri);
    let elsewhere = answer(&challenge, "crpw", "http://10.0.0.2:7547/other");
    let status = |henb: &mut Agent, a: &str, t| {
        henb.handle_connection_request("GET", &[("Authorization", a)], Timestamp(t))
            .status
    };
    assert_eq!(status(&mut henb, &bad, 4), 401);
    assert_eq!(
        status(&mut henb, &elsewhere, 4),
        401,
        "uri is not the request target"
    );
    assert_eq!(status(&mut henb, &good, 5), 200);
    assert_eq!(
        status(&mut henb, &good, 6),
        401,
        "a captured request replayed"
    );
    let no_qop = good.replace(", qop=auth", "").replace(", nc=00000001", "");
    assert_eq!(status(&mut henb, &no_qop, 6), 401, "qop=auth is required");
    // an empty password is still Digest
    henb.parameter_changed_internally(
        "Device.ManagementServer.ConnectionRequestPassword",
        "",
        Timestamp(7),
    );
    let challenge = henb.handle_connection_request("GET", &[], Timestamp(8));
    assert_eq!(challenge.status, 401);
    assert_eq!(status(&mut henb, &answer(&challenge, "", uri), 9), 200);
    assert_eq!(
        henb.handle_connection_request("POST", &[], Timestamp(10))
            .status,
        405
    );
    // guessing is throttled
    let challenge = henb.handle_connection_request("GET", &[], Timestamp(11));
    let guess = answer(&challenge, "guess", uri);
    let statuses: Vec<u16> = (0..12).map(|_| status(&mut henb, &guess, 12)).collect();
    assert_eq!(statuses.last(), Some(&429), "{statuses:?}");
}

#[test]
fn a_hems_with_an_external_store_survives_a_restart_mid_download() {
    let mut w = World::new();
    w.hems = Hems::new(HemsConfig {
        external_store: true,
        ..HemsConfig::default()
    });
    w.run_until(w.now.plus_ms(1_000));
    let key = w.key();
    assert!(
        w.hems.device(&key).is_none(),
        "handed to the store after the session"
    );
    assert!(w.store.contains_key(&key));
    // the operator submits through a HeMS process that loads the record first
    w.hems.import_device(w.store.remove(&key).unwrap());
    w.files.insert(
        FILE_URL.into(),
        (
            "s3cret".into(),
            config_file(&[(&format!("{RF}EARFCNDL"), "1350")]),
        ),
    );
    w.henb
        .parameter_changed_internally("Device.ManagementServer.PeriodicInformEnable", "0", w.now);
    let id = download(&mut w);
    // the HeNB's file server is slow: the TransferComplete comes in a later session...
    w.files.remove(FILE_URL);
    w.drop_message = Some(w.messages + 4); // lose the DownloadResponse: the session fails
    w.run_until(w.now.plus_ms(2_000));
    // ...and the HeMS process restarts meanwhile: only the store remembers
    let record = w.hems.export_device(&key);
    if let Some(r) = record {
        w.store.insert(key.clone(), r);
    }
    w.hems = Hems::new(HemsConfig {
        external_store: true,
        ..HemsConfig::default()
    });
    w.files.insert(
        FILE_URL.into(),
        (
            "s3cret".into(),
            config_file(&[(&format!("{RF}EARFCNDL"), "1350")]),
        ),
    );
    w.henb.connection_request(w.now);
    w.run_until(w.now.plus_ms(600_000));
    let finished: Vec<&ProcedureOutcome> = w.finished(id);
    assert_eq!(finished.len(), 1, "{:?}", w.log);
    let snap = w.henb.snapshot();
    assert!(
        snap.requests.is_empty() && snap.transfers.is_empty(),
        "{:?}",
        w.log
    );
    assert!(
        w.store.contains_key(&key),
        "stored again after the last session"
    );
}

#[test]
fn a_download_without_transfer_complete_times_out() {
    let mut w = World::registered();
    let key = w.key();
    // a HeNB that never reports: its transfer stays "under way"
    w.files
        .insert(FILE_URL.into(), ("s3cret".into(), config_file(&[])));
    let id = w.hems.submit(
        &key,
        Procedure::ConfigureByFileDownload {
            url: FILE_URL.into(),
            username: "fap-dl".into(),
            password: "s3cret".into(),
            file_size: 0,
            target_file_name: String::new(),
            delay_seconds: 0,
            timeout_ms: 5_000,
        },
        w.now,
    );
    w.files.clear();
    // the HeNB loses its file server reply forever: swallow the DownloadRequested
    let mut swallowed = false;
    for _ in 0..200 {
        match w.henb.poll_output() {
            Output::Event(AgentEvent::DownloadRequested { .. }) => swallowed = true,
            Output::Transmit(p) => w.deliver_post(p),
            Output::Event(_) => {}
            _ => {}
        }
        loop {
            match w.hems.poll_output() {
                HemsOutput::Respond { conn, response } => w.deliver_response(conn, *response),
                HemsOutput::ConnectionRequest { .. } => w.henb.connection_request(w.now),
                HemsOutput::Event(e) => w.hems_events.push(e),
                _ => break,
            }
        }
        if swallowed && !w.henb.in_session() {
            break;
        }
    }
    assert!(swallowed);
    w.now = w.now.plus_ms(6_000);
    w.hems.handle_timeout(w.now);
    while let HemsOutput::Event(e) = w.hems.poll_output() {
        w.hems_events.push(e);
    }
    assert_eq!(w.finished(id), vec![&ProcedureOutcome::TimedOut]);
}

#[test]
fn active_notification_set_by_the_hems_drives_value_change_informs() {
    let mut w = World::registered();
    let key = w.key();
    let name = "Device.Services.FAPService.1.FAPControl.LTE.OpState";
    let spa = Body::SetParameterAttributes(SetParameterAttributes {
        parameter_list: vec![SetParameterAttributesStruct {
            name: name.into(),
            notification_change: true,
            notification: 2,
            ..Default::default()
        }],
    });
    let id = w.hems.submit(&key, Procedure::Rpc(spa), w.now);
    w.run_until(w.now.plus_ms(60_000));
    assert!(w.finished(id)[0].is_success());
    w.log.clear();
    // the radio comes up: OpState changes inside the HeNB
    w.henb.parameter_changed_internally(name, "1", w.now);
    w.run_until(w.now.plus_ms(60_000));
    assert_eq!(w.log[0], "HeNB Inform [4 VALUE CHANGE]");
    assert_eq!(
        w.hems
            .device(&key)
            .unwrap()
            .parameters
            .get(name)
            .map(String::as_str),
        Some("1")
    );
}

/// A CPE with genieacs-sim's habits, written by hand: first contact is a "2 PERIODIC" Inform
/// (no BOOTSTRAP, no BOOT) carrying Basic credentials nobody asked for and a stale cookie;
/// the TransferComplete comes in a later session whose Inform lacks "7 TRANSFER COMPLETE".
#[test]
fn genieacs_sim_quirks_are_accepted() {
    let mut hems = Hems::new(HemsConfig::default());
    let now = Timestamp(0);
    let inform = |events: Vec<EventStruct>| {
        encode(&Envelope::with_id(
            CwmpVersion::V1_0,
            "1",
            Body::Inform(Inform {
                device_id: device_id("SIM1"),
                event: events,
                max_envelopes: 1,
                current_time: DateTime::unknown(),
                retry_count: 0,
                parameter_list: vec![ParameterValueStruct::new(
                    "InternetGatewayDevice.ManagementServer.ConnectionRequestURL",
                    "http://10.9.9.9:7547/",
                )],
            }),
        ))
    };
    let quirky = [
        ("Authorization", "Basic dXNlcjpwYXNz"),
        ("Cookie", "session=stale-from-yesterday"),
    ];
    let mut events = Vec::new();
    let post =
        |hems: &mut Hems, conn: u64, body: &[u8], events: &mut Vec<HemsEvent>| -> (u16, Vec<u8>) {
            hems.handle_http_request(conn, &quirky, body, now);
            let mut response = None;
            loop {
                match hems.poll_output() {
                    HemsOutput::Respond { response: r, .. } => response = Some((r.status, r.body)),
                    HemsOutput::Event(e) => events.push(e),
                    HemsOutput::Timeout(_) | HemsOutput::Idle => {
                        return response.expect("a response")
                    }
                    _ => {}
                }
            }
        };
    let (status, body) = post(
        &mut hems,
        1,
        &inform(vec![EventStruct::new(EventCode::Periodic)]),
        &mut events,
    );
    assert_eq!(status, 200);
    assert!(matches!(
        decode(&body).unwrap().body,
        Body::InformResponse(_)
    ));
    let key = device_id("SIM1").device_key();
    let id = download_for(&mut hems, &key, now);
    let (_, body) = post(&mut hems, 1, b"", &mut events);
    let Body::Download(d) = decode(&body).unwrap().body else {
        panic!("the Download goes out")
    };
    let response = encode(&Envelope::with_id(
        CwmpVersion::V1_0,
        decode(&body).unwrap().header.id.unwrap(),
        Body::DownloadResponse(DownloadResponse {
            status: 1,
            ..DownloadResponse::default()
        }),
    ));
    let (status, _) = post(&mut hems, 1, &response, &mut events);
    assert_eq!(status, 204);
    hems.handle_connection_closed(1, now);
    // a later session: no "7 TRANSFER COMPLETE" in the Inform, the TransferComplete anyway
    post(
        &mut hems,
        2,
        &inform(vec![EventStruct::new(EventCode::Periodic)]),
        &mut events,
    );
    let tc = encode(&Envelope::with_id(
        CwmpVersion::V1_0,
        "2",
        Body::TransferComplete(TransferComplete {
            command_key: d.command_key.clone(),
            fault_struct: FaultStruct::success(),
            ..TransferComplete::default()
        }),
    ));
    let (_, body) = post(&mut hems, 2, &tc, &mut events);
    assert_eq!(decode(&body).unwrap().body, Body::TransferCompleteResponse);
    let finished = events.iter().find_map(|e| match e {
        HemsEvent::ProcedureFinished { id: i, outcome, .. } if *i == id => Some(outcome.clone()),
        _ => None,
    });
    assert!(finished.is_some_and(|o| o.is_success()));
}

fn download_for(hems: &mut Hems, key: &str, now: Timestamp) -> ProcedureId {
    hems.submit(
        key,
        Procedure::ConfigureByFileDownload {
            url: FILE_URL.into(),
            username: String::new(),
            password: String::new(),
            file_size: 0,
            target_file_name: String::new(),
            delay_seconds: 0,
            timeout_ms: 3_600_000,
        },
        now,
    )
}

#[test]
fn many_stalled_sessions_time_out_one_by_one_in_deadline_order() {
    // sessions opened 10 ms apart that never go on: the HeMS's next deadline is always the
    // oldest one, and handle_timeout ends exactly the sessions that are due
    let mut hems = Hems::new(HemsConfig::default());
    let start = Timestamp(1_000);
    let n = 50u64;
    for i in 0..n {
        let now = start.plus_ms(i * 10);
        let mut a = agent(&format!("T{i}"), now);
        let inform = loop {
            match a.poll_output() {
                Output::Transmit(t) => break t,
                Output::Event(_) => {}
                other => panic!("no Inform: {other:?}"),
            }
        };
        hems.handle_http_request(i + 1, &[], &inform.body, now);
        while let HemsOutput::Respond { .. } | HemsOutput::Event(_) = hems.poll_output() {}
    }
    let mut ended = Vec::new();
    let mut last = Timestamp(0);
    for _ in 0..n {
        let HemsOutput::Timeout(t) = hems.poll_output() else {
            panic!("a deadline while sessions are open")
        };
        assert!(t >= last, "deadlines come in order");
        last = t;
        hems.handle_timeout(t);
        loop {
            match hems.poll_output() {
                HemsOutput::Event(HemsEvent::SessionEnded { device, outcome }) => {
                    assert_eq!(outcome.reason, femtocwmp::session::EndReason::Timeout);
                    ended.push(device);
                }
                HemsOutput::Timeout(_) | HemsOutput::Idle => break,
                _ => {}
            }
        }
    }
    let want: Vec<String> = (0..n)
        .map(|i| device_id(&format!("T{i}")).device_key())
        .collect();
    assert_eq!(ended, want, "each at its own deadline, oldest first");
    assert!(matches!(hems.poll_output(), HemsOutput::Idle));
}

#[test]
fn a_record_change_carries_only_the_parameters_that_changed() {
    let mut w = World::registered();
    let key = w.key();
    // the BOOTSTRAP Inform's parameters are all new
    let first = w.hems.take_device_change(&key).unwrap();
    let whole = w.hems.export_device(&key).unwrap();
    assert!(first.record.parameters.is_empty());
    assert_eq!(first.record, whole.without_parameters());
    let names: Vec<&str> = first.parameters.iter().map(|(n, _)| n.as_str()).collect();
    assert_eq!(names.len(), whole.parameters.len());
    assert!(names.iter().any(|n| n.ends_with("ConnectionRequestURL")));
    // taken once: nothing is new any more
    assert!(w
        .hems
        .take_device_change(&key)
        .unwrap()
        .parameters
        .is_empty());
    // the inner address changes: its Inform repeats the forced parameters unchanged, and
    // only the new address is a change
    w.henb.set_ipsec_address("172.16.0.99", w.now);
    w.run_until(w.now.plus_ms(60_000));
    let change = w.hems.take_device_change(&key).unwrap();
    assert_eq!(change.parameters.len(), 1, "{:?}", change.parameters);
    assert_eq!(change.parameters[0].1, "172.16.0.99");
    // an imported record is what the store already holds
    let mut fresh = Hems::new(HemsConfig::default());
    fresh.import_device(whole);
    assert!(fresh
        .take_device_change(&key)
        .unwrap()
        .parameters
        .is_empty());
    assert!(fresh.take_device_change("nobody").is_none());
}

/// Handles the outputs of a submission: its `Persist` (after which the submitter has its
/// id: the submission is acknowledged) and the Connection Request.
fn acknowledge_submission(w: &mut World) {
    let mut stored = false;
    loop {
        match w.hems.poll_output() {
            HemsOutput::Persist {
                device,
                change,
                events,
            } => {
                assert!(!change.record.queue.is_empty(), "the submission is stored");
                w.persist(device, *change, events);
                stored = true;
            }
            HemsOutput::ConnectionRequest { .. } => {
                w.log.push("HeMS ConnectionRequest".into());
                w.henb.connection_request(w.now);
            }
            HemsOutput::Timeout(_) | HemsOutput::Idle => break,
            other => panic!("unexpected {other:?}"),
        }
    }
    assert!(
        stored,
        "the submission is persisted before it is acknowledged"
    );
}

/// A persisting world after registration, with a configuration file on the file server and
/// a file download submitted (its `Persist` handled, as the submitter's acknowledgement).
fn persisting_download() -> (World, ProcedureId) {
    let mut w = World::persisting();
    w.run_until(w.now.plus_ms(1_000));
    w.log.clear();
    let file = config_file(&[(&format!("{RF}EARFCNDL"), "1350")]);
    w.files.insert(FILE_URL.into(), ("s3cret".into(), file));
    let id = download(&mut w);
    acknowledge_submission(&mut w);
    w.hems_outputs = 0;
    (w, id)
}

#[test]
fn a_hems_crash_at_any_output_loses_no_download_and_applies_none_twice() {
    // how many outputs a run without a crash takes
    let (mut clean, clean_id) = persisting_download();
    clean.run_until(clean.now.plus_ms(60_000));
    assert!(clean.finished(clean_id)[0].is_success());
    let outputs = clean.hems_outputs;
    assert!(outputs > 5, "{outputs}");
    for k in 0..outputs {
        let (mut w, id) = persisting_download();
        w.crash_hems_at = Some(k);
        w.run_until(w.now.plus_ms(4 * 3_600_000));
        let finished = w.finished(id);
        assert_eq!(
            finished.len(),
            1,
            "crash at output {k}: finished {finished:?}\n{:#?}",
            w.log
        );
        assert!(
            finished[0].is_success(),
            "crash at output {k}: {finished:?}"
        );
        let fetched = w.log.iter().filter(|l| *l == "file GET").count();
        assert_eq!(fetched, 1, "crash at output {k}: {:#?}", w.log);
        assert_eq!(
            w.henb.model().value(&format!("{RF}EARFCNDL")),
            Some("1350"),
            "crash at output {k}"
        );
        let stored = &w.persisted[&w.key()];
        assert!(
            stored.queue.is_empty() && stored.awaiting_transfer.is_empty(),
            "crash at output {k}: {stored:?}"
        );
    }
}

#[test]
fn a_hems_crash_at_any_output_finishes_a_set_parameter_values_once() {
    let run = |crash: Option<usize>| {
        let mut w = World::persisting();
        w.run_until(w.now.plus_ms(1_000));
        let id = spv(
            &mut w,
            vec![ParameterValueStruct::new(
                format!("{RF}PhyCellID"),
                Value::unsigned_int(42),
            )],
        );
        acknowledge_submission(&mut w);
        w.hems_outputs = 0;
        w.crash_hems_at = crash;
        w.run_until(w.now.plus_ms(4 * 3_600_000));
        (w, id)
    };
    let (clean, _) = run(None);
    for k in 0..clean.hems_outputs {
        let (w, id) = run(Some(k));
        let finished = w.finished(id);
        assert_eq!(finished.len(), 1, "crash at output {k}: {:#?}", w.log);
        assert!(
            finished[0].is_success(),
            "crash at output {k}: {finished:?}"
        );
        assert_eq!(w.henb.model().value(&format!("{RF}PhyCellID")), Some("42"));
    }
}

#[test]
fn a_keyed_submission_runs_once_however_often_it_is_made() {
    let mut w = World::registered();
    let key = w.key();
    let procedure = || Procedure::ConfigureBySetParameterValues {
        params: vec![ParameterValueStruct::new(
            format!("{RF}PhyCellID"),
            Value::unsigned_int(9),
        )],
        parameter_key: "k".into(),
    };
    let first = w.hems.submit_keyed(&key, procedure(), "script:1", w.now);
    // again while it waits: the same procedure
    assert_eq!(
        w.hems.submit_keyed(&key, procedure(), "script:1", w.now),
        first
    );
    assert_eq!(w.hems.export_device(&key).unwrap().queue.len(), 1);
    w.run_until(w.now.plus_ms(60_000));
    assert_eq!(w.finished(first).len(), 1);
    // again once it has finished (a restarted script): still the same, nothing runs
    w.log.clear();
    assert_eq!(
        w.hems.submit_keyed(&key, procedure(), "script:1", w.now),
        first
    );
    w.run_until(w.now.plus_ms(60_000));
    assert!(w.log.is_empty(), "{:?}", w.log);
    // another key is another procedure
    let second = w.hems.submit_keyed(&key, procedure(), "script:2", w.now);
    assert_ne!(second, first);
    // the record remembers the keys across a store
    let record = w.hems.export_device(&key).unwrap();
    let json = serde_json::to_string(&record).unwrap();
    let mut fresh = Hems::new(HemsConfig::default());
    fresh.import_device(serde_json::from_str(&json).unwrap());
    assert_eq!(
        fresh.submit_keyed(&key, procedure(), "script:1", w.now),
        first
    );
    // and ids are not reused: above every id the record holds
    assert!(fresh.submit(&key, procedure(), w.now).0 > second.0);
}

#[test]
fn a_device_not_seen_yet_keeps_its_procedures_under_its_key() {
    let mut hems = Hems::new(HemsConfig::default());
    let id = hems.submit("00A0C6-FAP-NEW1", Procedure::Rpc(Body::Empty), Timestamp(1));
    let record = hems.export_device("00A0C6-FAP-NEW1").unwrap();
    assert_eq!(record.device_id, DeviceIdStruct::default(), "not seen yet");
    let mut fresh = Hems::new(HemsConfig::default());
    fresh.import_device_as("00A0C6-FAP-NEW1", record);
    let back = fresh.export_device("00A0C6-FAP-NEW1").unwrap();
    assert_eq!(back.queue[0].id, id);
    fresh.reserve_procedure_ids(ProcedureId(100));
    assert_eq!(fresh.next_procedure_id(), ProcedureId(100));
    fresh.reserve_procedure_ids(ProcedureId(50));
    assert_eq!(fresh.next_procedure_id(), ProcedureId(100), "never back");
}

#[test]
fn a_device_whose_sessions_always_fail_is_asked_less_and_less_then_given_up_on() {
    let mut w = World::registered_with(HemsConfig::default());
    w.lose_hems_requests = true;
    let id = spv(
        &mut w,
        vec![ParameterValueStruct::new(
            format!("{RF}PhyCellID"),
            Value::unsigned_int(5),
        )],
    );
    w.run_until(w.now.plus_ms(3_600_000));
    // the third failed session ends it (HemsConfig::procedure_attempts), with the reason
    let finished = w.finished(id);
    assert_eq!(finished.len(), 1, "{:?}", w.log);
    let ProcedureOutcome::Failed { reason } = finished[0] else {
        panic!("{finished:?}")
    };
    assert!(reason.contains("3 sessions"), "{reason}");
    // asked once at submission, then after a 5 s and a 10 s backoff; not after each failure
    // at once (which made 3,000 sessions in 2.7 s)
    assert_eq!(w.connection_requests, 3, "{:#?}", w.log);
    let scheduled: Vec<u64> = w
        .hems_events
        .iter()
        .filter_map(|e| match e {
            HemsEvent::ConnectionRequestScheduled { in_ms, .. } => Some(*in_ms),
            _ => None,
        })
        .collect();
    assert_eq!(scheduled, [5_000, 10_000]);
    assert!(w.hems.export_device(&w.key()).unwrap().queue.is_empty());
}

#[test]
fn a_device_that_never_comes_fails_its_procedure_at_the_deadline() {
    let mut w = World::registered_with(HemsConfig {
        procedure_deadline_ms: 600_000,
        ..HemsConfig::default()
    });
    w.ignore_connection_requests = true;
    let submitted = w.now;
    let id = spv(
        &mut w,
        vec![ParameterValueStruct::new(
            format!("{RF}PhyCellID"),
            Value::unsigned_int(5),
        )],
    );
    w.run_until(submitted.plus_ms(599_000));
    assert!(w.finished(id).is_empty());
    w.run_until(submitted.plus_ms(601_000));
    let finished = w.finished(id);
    assert!(
        matches!(finished[..], [ProcedureOutcome::Failed { .. }]),
        "{finished:?}"
    );
    // the Connection Requests it was sent: bounded by connection_request_attempts
    assert!(w.connection_requests <= 5, "{}", w.connection_requests);
}

#[test]
fn connection_requests_keep_to_the_global_rate() {
    let mut hems = Hems::new(HemsConfig {
        connection_requests_per_second: 3,
        ..HemsConfig::default()
    });
    for i in 0..10 {
        let mut record = DeviceRecord {
            device_id: device_id(&format!("R{i}")),
            connection_request_url: Some(format!("http://10.0.0.{i}:7547/cr")),
            ..DeviceRecord::default()
        };
        record.parameters.clear();
        hems.import_device(record);
    }
    let mut asked = Vec::new();
    let mut scheduled = 0;
    let mut drain = |hems: &mut Hems, asked: &mut Vec<Timestamp>, now: Timestamp| loop {
        match hems.poll_output() {
            HemsOutput::ConnectionRequest { .. } => asked.push(now),
            HemsOutput::Event(HemsEvent::ConnectionRequestScheduled { .. }) => scheduled += 1,
            HemsOutput::Timeout(_) | HemsOutput::Idle => break,
            _ => {}
        }
    };
    let start = Timestamp(10_000);
    for i in 0..10 {
        let key = device_id(&format!("R{i}")).device_key();
        hems.submit(&key, Procedure::Rpc(Body::Empty), start);
    }
    drain(&mut hems, &mut asked, start);
    assert_eq!(asked.len(), 3, "one second's worth at once");
    for ms in (100..=3_000).step_by(100) {
        let now = start.plus_ms(ms);
        hems.handle_timeout(now);
        drain(&mut hems, &mut asked, now);
    }
    assert_eq!(asked.len(), 10, "the rest in their turn");
    // a burst of one second's worth, then 3 per second: never more than twice the rate
    // within any second, and the ten spread over at least (10 - 3) / 3 s
    for (i, t) in asked.iter().enumerate() {
        let within = asked[i..].iter().filter(|u| u.0 < t.0 + 1_000).count();
        assert!(within <= 2 * 3, "{asked:?}");
    }
    assert!(asked[9].0 - asked[0].0 >= 7_000 / 3, "{asked:?}");
    assert!(scheduled >= 7, "deferrals are visible: {scheduled}");
}

#[test]
fn a_transfer_complete_after_the_timeout_is_reported() {
    let mut w = World::registered();
    w.hold_fetch = true;
    let id = w.hems.submit(
        &w.key(),
        Procedure::ConfigureByFileDownload {
            url: FILE_URL.into(),
            username: "fap-dl".into(),
            password: "s3cret".into(),
            file_size: 0,
            target_file_name: String::new(),
            delay_seconds: 0,
            timeout_ms: 30_000,
        },
        w.now,
    );
    w.run_until(w.now.plus_ms(60_000));
    assert!(matches!(w.finished(id)[..], [ProcedureOutcome::TimedOut]));
    // the fetch completes after all: the HeNB applies the file and says so
    let key = w
        .agent_events
        .iter()
        .find_map(|e| match e {
            AgentEvent::DownloadRequested { command_key, .. } => Some(command_key.clone()),
            _ => None,
        })
        .unwrap();
    let file = config_file(&[(&format!("{RF}EARFCNDL"), "1500")]);
    w.henb.download_finished(&key, Ok(file), w.now);
    w.run_until(w.now.plus_ms(60_000));
    let late: Vec<_> = w
        .hems_events
        .iter()
        .filter_map(|e| match e {
            HemsEvent::LateTransferComplete {
                id: i, transfer, ..
            } => Some((*i, transfer.fault_struct.is_success())),
            _ => None,
        })
        .collect();
    assert_eq!(late, [(id, true)], "{:?}", w.log);
    assert_eq!(w.finished(id).len(), 1, "finished once, as TimedOut");
}

#[test]
fn a_restarted_hems_asks_for_the_devices_whose_procedures_wait() {
    // the record as an earlier process left it: a procedure waits, no Connection Request out
    let record = DeviceRecord {
        device_id: device_id("W1"),
        connection_request_url: Some("http://10.0.0.9:7547/cr".into()),
        queue: [ProcedureEntry {
            id: ProcedureId(4),
            procedure: Procedure::Rpc(Body::Empty),
            command_key: None,
            transfer_deadline: None,
            response: None,
            key: None,
            attempts: 0,
            deadline: None,
        }]
        .into(),
        ..DeviceRecord::default()
    };
    let mut hems = Hems::new(HemsConfig::default());
    hems.import_device(record);
    hems.handle_timeout(Timestamp(1));
    let mut asked = Vec::new();
    loop {
        match hems.poll_output() {
            HemsOutput::ConnectionRequest { device, .. } => asked.push(device),
            HemsOutput::Timeout(_) | HemsOutput::Idle => break,
            _ => {}
        }
    }
    assert_eq!(asked, [device_id("W1").device_key()]);
}

/// What a scripted HeMS sends: an envelope with this cwmp:ID and body.
fn hems_message(id: &str, body: Body) -> Vec<u8> {
    encode(&Envelope::with_id(CwmpVersion::V1_2, id, body))
}

/// The agent's next POST (draining events into `events`).
fn next_post(
    henb: &mut Agent,
    events: &mut Vec<AgentEvent>,
) -> Option<femtocwmp::session::HttpRequest> {
    loop {
        match henb.poll_output() {
            Output::Transmit(post) => return Some(post),
            Output::Event(e) => events.push(e),
            Output::Timeout(_) | Output::Idle => return None,
        }
    }
}

#[test]
fn a_transfer_complete_ready_during_the_empty_post_opens_a_new_session_at_once() {
    let mut now = Timestamp(1_000);
    let mut henb = agent("S1", now);
    let mut events = Vec::new();
    // session 1, against a scripted HeMS: Inform, a Download, 204
    let inform_response = hems_message(
        "1",
        Body::InformResponse(InformResponse { max_envelopes: 1 }),
    );
    assert!(
        next_post(&mut henb, &mut events).is_some(),
        "the boot Inform"
    );
    henb.handle_http_response(200, &[], &inform_response, now);
    let empty = next_post(&mut henb, &mut events).unwrap();
    assert!(empty.body.is_empty());
    let download = Download {
        command_key: "k1".into(),
        file_type: "3 Vendor Configuration File".into(),
        url: FILE_URL.into(),
        ..Download::default()
    };
    henb.handle_http_response(200, &[], &hems_message("2", Body::Download(download)), now);
    let answer = next_post(&mut henb, &mut events).unwrap();
    assert!(matches!(
        decode(&answer.body).unwrap().body,
        Body::DownloadResponse(_)
    ));
    henb.handle_http_response(204, &[], b"", now);
    assert!(
        next_post(&mut henb, &mut events).is_none(),
        "session 1 is over"
    );
    // session 2 (asked for): its empty POST is out when the download completes
    now = now.plus_ms(1_000);
    henb.connection_request(now);
    assert!(next_post(&mut henb, &mut events).is_some());
    henb.handle_http_response(200, &[], &inform_response, now);
    let empty = next_post(&mut henb, &mut events).unwrap();
    assert!(empty.body.is_empty());
    let file = config_file(&[(&format!("{RF}EARFCNDL"), "1350")]);
    henb.download_finished("k1", Ok(file), now);
    assert!(
        next_post(&mut henb, &mut events).is_none(),
        "nothing while the POST is out"
    );
    henb.handle_http_response(204, &[], b"", now);
    // the session is over; a new one opens at once, announcing the TransferComplete
    let post = next_post(&mut henb, &mut events).expect("a new session at once");
    let Body::Inform(inform) = decode(&post.body).unwrap().body else {
        panic!("a new session's Inform, not a POST into the ended one")
    };
    let codes: Vec<(String, String)> = inform
        .event
        .iter()
        .map(|e| (e.event_code.as_str().to_owned(), e.command_key.clone()))
        .collect();
    assert!(
        codes.contains(&("7 TRANSFER COMPLETE".into(), String::new())),
        "{codes:?}"
    );
    assert!(
        codes.contains(&("M Download".into(), "k1".into())),
        "{codes:?}"
    );
    henb.handle_http_response(200, &[], &inform_response, now);
    let tc = next_post(&mut henb, &mut events).unwrap();
    assert!(
        matches!(decode(&tc.body).unwrap().body, Body::TransferComplete(t) if t.command_key == "k1")
    );
}

#[test]
fn device_keys_and_download_urls_are_checked_up_front() {
    for good in ["00A0C6-S1", "00A0C6-FAP-LTE-S1", "00a0c6-X-Y-Z"] {
        assert!(check_device_key(good).is_ok(), "{good}");
    }
    let long = format!("00A0C6-{}", "x".repeat(200));
    for bad in [
        "",
        "nodash",
        "00A0C6-",
        "0A0C6-S1",
        "00A0C6-S 1",
        "00A0C6-S\u{7}",
        &long,
    ] {
        assert!(check_device_key(bad).is_err(), "{bad:?}");
    }
    // a Download given as a raw RPC is held to the same URL rule as the procedure
    let rpc = Procedure::Rpc(Body::Download(Download {
        command_key: "k".into(),
        file_type: "3 Vendor Configuration File".into(),
        url: "ftp://files.example.net/x".into(),
        ..Download::default()
    }));
    assert!(rpc.check().unwrap_err().contains("ftp://"));
}

#[test]
fn a_henb_crash_at_any_output_applies_a_download_at_most_once_and_reports_it_once() {
    let run = |crash: Option<usize>| {
        let mut w = World::persisting();
        // a HeNB that persists its state before each POST
        w.henb = Agent::new(
            AgentConfig {
                persist_state: true,
                ..w.henb.config().clone()
            },
            w.henb.model().clone(),
            w.now,
        );
        w.run_until(w.now.plus_ms(1_000));
        w.log.clear();
        let file = config_file(&[(&format!("{RF}EARFCNDL"), "1350")]);
        w.files.insert(FILE_URL.into(), ("s3cret".into(), file));
        let id = download(&mut w);
        acknowledge_submission(&mut w);
        w.henb_outputs = 0;
        w.crash_henb_at = crash;
        w.run_until(w.now.plus_ms(4 * 3_600_000));
        (w, id)
    };
    let (clean, clean_id) = run(None);
    assert!(clean.finished(clean_id)[0].is_success());
    assert_eq!(clean.files_applied, 1);
    let outputs = clean.henb_outputs;
    assert!(outputs > 5, "{outputs}");
    for k in 0..outputs {
        let (w, id) = run(Some(k));
        let finished = w.finished(id);
        // once: applied and reported, or failed by the crash (the fetch was lost) and
        // reported as such — never applied twice, never lost
        assert_eq!(finished.len(), 1, "crash at HeNB output {k}: {:#?}", w.log);
        assert!(
            w.files_applied <= 1,
            "crash at HeNB output {k}: {:#?}",
            w.log
        );
        if finished[0].is_success() {
            assert_eq!(w.henb.model().value(&format!("{RF}EARFCNDL")), Some("1350"));
        }
    }
}
