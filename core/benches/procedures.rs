//! 10,000 HeNB agents driven through registration and the three TS 32.593 flows
//! (configuration by file download, by SetParameterValues, IPsec address change) against one
//! Hems in one process, every message encoded and decoded. Prints procedures/s, time per
//! flow and the size of a device record as stored (JSON). The reference measured in the same
//! run is the codec alone encoding and decoding the same messages of one flow.

use std::collections::HashMap;
use std::hint::black_box;
use std::time::Instant;

use femtocwmp::configfile::ConfigFile;
use femtocwmp::hems::*;
use femtocwmp::henb::*;
use femtocwmp::session::{HttpRequest, Output, Timestamp};
use femtocwmp::*;

const RF: &str = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.";

struct Net {
    hems: Hems,
    now: Timestamp,
    conn: u64,
    file: Vec<u8>,
    wire: Vec<Vec<u8>>,
    record_wire: bool,
}

impl Net {
    /// Runs one HeNB until it and the HeMS are quiet.
    fn settle(&mut self, henb: &mut Agent) {
        loop {
            let mut post: Option<HttpRequest> = None;
            loop {
                match henb.poll_output() {
                    Output::Transmit(t) => post = Some(t),
                    Output::Event(AgentEvent::DownloadRequested { command_key, .. }) => {
                        henb.download_finished(&command_key, Ok(self.file.clone()), self.now)
                    }
                    Output::Event(_) => {}
                    Output::Timeout(t) if t <= self.now => henb.handle_timeout(self.now),
                    Output::Timeout(_) | Output::Idle => break,
                }
            }
            let mut cr = false;
            if let Some(post) = post {
                if self.record_wire {
                    self.wire.push(post.body.clone());
                }
                let headers: Vec<(&str, &str)> = post
                    .headers
                    .iter()
                    .map(|(k, v)| (k.as_str(), v.as_str()))
                    .collect();
                self.hems
                    .handle_http_request(self.conn, &headers, &post.body, self.now);
            }
            let mut answered = false;
            loop {
                match self.hems.poll_output() {
                    HemsOutput::Respond { response, .. } => {
                        if self.record_wire {
                            self.wire.push(response.body.clone());
                        }
                        let headers: Vec<(&str, &str)> = response
                            .headers
                            .iter()
                            .map(|(k, v)| (k.as_str(), v.as_str()))
                            .collect();
                        henb.handle_http_response(
                            response.status,
                            &headers,
                            &response.body,
                            self.now,
                        );
                        answered = true;
                    }
                    HemsOutput::ConnectionRequest { .. } => cr = true,
                    HemsOutput::Event(_) => {}
                    _ => break,
                }
            }
            if !henb.in_session() {
                self.hems.handle_connection_closed(self.conn, self.now);
                self.conn += 1;
            }
            if cr {
                henb.connection_request(self.now);
                continue;
            }
            if !answered && !henb.in_session() {
                return;
            }
        }
    }
}

fn agent(i: usize) -> Agent {
    let id = DeviceIdStruct {
        manufacturer: "Acme".into(),
        oui: "00A0C6".into(),
        product_class: "FAP-LTE".into(),
        serial_number: format!("S{i:06}"),
    };
    let info = FemtocellInfo {
        device_id: id.clone(),
        acs_url: "http://hems/cwmp".into(),
        connection_request_url: format!("http://10.1.{}.{}:7547/cr", i / 250, i % 250),
        software_version: "4.3.7".into(),
        ipsec_address: "172.16.0.10".into(),
        ..FemtocellInfo::default()
    };
    let config = AgentConfig {
        device_id: id,
        rng_seed: i as u64,
        ..AgentConfig::default()
    };
    Agent::new(config, femtocell_model(&info), Timestamp(0))
}

fn main() {
    let n: usize = std::env::args()
        .find_map(|a| a.strip_prefix("--henbs=").map(|v| v.parse().unwrap()))
        .unwrap_or(10_000);
    let file = ConfigFile {
        file_format_version: "32.594 V14.0.0".into(),
        parameters: vec![
            (format!("{RF}EARFCNDL"), "1350".into()),
            (format!("{RF}PhyCellID"), "77".into()),
        ],
        ..ConfigFile::default()
    }
    .to_xml();
    let mut net = Net {
        hems: Hems::new(HemsConfig::default()),
        now: Timestamp(1),
        conn: 1,
        file,
        wire: Vec::new(),
        record_wire: false,
    };
    let mut henbs: Vec<Agent> = (0..n).map(agent).collect();
    let mut times = HashMap::new();
    let mut timed = |name: &'static str, f: &mut dyn FnMut(&mut Net, &mut Agent, usize)| {
        let t = Instant::now();
        for (i, h) in henbs.iter_mut().enumerate() {
            f(&mut net, h, i);
        }
        times.insert(name, t.elapsed());
    };
    timed("registration", &mut |net, h, _| net.settle(h));
    timed("file download (5.1.2)", &mut |net, h, _| {
        let key = format!(
            "00A0C6-FAP-LTE-{}",
            h.model().value("Device.DeviceInfo.SerialNumber").unwrap()
        );
        net.hems.submit(
            &key,
            Procedure::ConfigureByFileDownload {
                url: "http://files/cfg.xml".into(),
                username: String::new(),
                password: String::new(),
                file_size: 0,
                target_file_name: String::new(),
                delay_seconds: 0,
                timeout_ms: 3_600_000,
            },
            net.now,
        );
        net.settle(h);
    });
    timed("SetParameterValues (5.1.3)", &mut |net, h, _| {
        let key = format!(
            "00A0C6-FAP-LTE-{}",
            h.model().value("Device.DeviceInfo.SerialNumber").unwrap()
        );
        let params = vec![ParameterValueStruct::new(
            format!("{RF}ReferenceSignalPower"),
            Value::int(-10),
        )];
        net.hems.submit(
            &key,
            Procedure::ConfigureBySetParameterValues {
                params,
                parameter_key: "p".into(),
            },
            net.now,
        );
        net.settle(h);
    });
    timed("IPsec address change (5.1.4)", &mut |net, h, i| {
        h.set_ipsec_address(&format!("172.16.{}.{}", i / 250, i % 250), net.now);
        net.settle(h);
    });
    // check the work was done
    let done = henbs
        .iter()
        .filter(|h| h.model().value(&format!("{RF}EARFCNDL")) == Some("1350"))
        .count();
    assert_eq!(done, n, "every HeNB applied its file");
    let key = "00A0C6-FAP-LTE-S000000";
    let record = serde_json::to_vec(&net.hems.export_device(key).unwrap()).unwrap();
    let snapshot = serde_json::to_vec(&henbs[0].snapshot()).unwrap();
    // reference: the codec alone on one flow's messages
    let mut one = Net {
        hems: Hems::new(HemsConfig::default()),
        now: Timestamp(1),
        conn: 1,
        file: net.file.clone(),
        wire: Vec::new(),
        record_wire: true,
    };
    let mut h = agent(0);
    one.settle(&mut h);
    let wire = std::mem::take(&mut one.wire);
    let t = Instant::now();
    let reps = 2000;
    for _ in 0..reps {
        for m in &wire {
            if !m.is_empty() {
                black_box(encode(&decode(black_box(m)).unwrap()));
            }
        }
    }
    let codec_per_flow = t.elapsed() / reps;

    let total: std::time::Duration = times.values().sum();
    println!("{n} HeNBs against one Hems, one process, one core:");
    for name in [
        "registration",
        "file download (5.1.2)",
        "SetParameterValues (5.1.3)",
        "IPsec address change (5.1.4)",
    ] {
        let d = times[name];
        println!(
            "  {name:<32} {:>8.1} us per HeNB  ({:>7.0} /s)",
            d.as_secs_f64() * 1e6 / n as f64,
            n as f64 / d.as_secs_f64()
        );
    }
    println!(
        "  all flows: {:.0} procedures/s",
        (4 * n) as f64 / total.as_secs_f64()
    );
    println!(
        "  registration vs the codec alone on its messages: {:.2}x ({:.1} us codec)",
        times["registration"].as_secs_f64() / n as f64 / codec_per_flow.as_secs_f64(),
        codec_per_flow.as_secs_f64() * 1e6
    );
    println!(
        "  device record as stored (JSON): {} bytes; HeNB agent snapshot: {} bytes",
        record.len(),
        snapshot.len()
    );
}
