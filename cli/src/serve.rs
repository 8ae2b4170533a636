//! `femtocwmp hems` and `femtocwmp henb`: the HeMS and simulated HeNBs of the demo, each on
//! its own, to test someone else's HeNB or HeMS (plain HTTP for now).

use std::collections::HashMap;
use std::io::Write;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use femtocwmp::hems::{Hems, HemsConfig, HemsEvent, HemsOutput, Procedure};
use femtocwmp::henb::{femtocell_model, Agent, AgentConfig, FemtocellInfo};
use femtocwmp::session::{AcsConfig, AuthPolicy, CpeConfig};
use femtocwmp::DeviceIdStruct;
use tokio::sync::mpsc;

use crate::demo::{
    now, run_henb, send_connection_request, serve_connection_requests, serve_hems,
    spawn_hems_timers, HemsState,
};
use crate::report::Trace;

/// One scripted procedure: run it when `device` first shows up.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct Scripted {
    device: String,
    procedure: Procedure,
}

/// Runs a HeMS on `listen` until `duration` (forever if None); `script` is a JSON list of
/// `{"device": ..., "procedure": ...}`; events go as JSON lines to `events` (or stdout).
pub async fn hems(
    listen: &str,
    script: Option<String>,
    events: Option<String>,
    duration: Option<Duration>,
    quiet: bool,
    auth: AuthPolicy,
) -> Result<(), String> {
    let start = Instant::now();
    let scripted: Vec<Scripted> = match &script {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read script {path}: {e}"))?;
            serde_json::from_str(&text).map_err(|e| format!("script {path}: {e}"))?
        }
        None => Vec::new(),
    };
    let mut pending: HashMap<String, Vec<Procedure>> = HashMap::new();
    for s in scripted {
        pending.entry(s.device).or_default().push(s.procedure);
    }
    let mut log: Box<dyn Write + Send> = match &events {
        Some(path) => {
            Box::new(std::fs::File::create(path).map_err(|e| format!("cannot write {path}: {e}"))?)
        }
        None => Box::new(std::io::stdout()),
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let state = Arc::new(Mutex::new(HemsState {
        hems: Hems::new(HemsConfig {
            session: AcsConfig {
                auth,
                nonce_secret: nonce_secret(),
                ..AcsConfig::default()
            },
            ..HemsConfig::default()
        }),
        names: HashMap::new(),
        events: tx,
        start,
        files: HashMap::new(),
        quiet,
        trace: Trace::default(),
    }));
    let addr = serve_hems(state.clone(), listen)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    eprintln!("HeMS listening on http://{addr}/cwmp");
    spawn_hems_timers(state.clone());
    let deadline = duration.map(|d| tokio::time::Instant::now() + d);
    loop {
        let next = match deadline {
            Some(d) => match tokio::time::timeout_at(d, rx.recv()).await {
                Ok(n) => n,
                Err(_) => return Ok(()),
            },
            None => rx.recv().await,
        };
        match next {
            Some(HemsOutput::Event(e)) => {
                if let HemsEvent::Informed { device, .. } = &e {
                    if let Some(procs) = pending.remove(device) {
                        let mut s = state.lock().expect("state");
                        let t = now(start);
                        for p in procs {
                            s.hems.submit(device, p, t);
                        }
                    }
                }
                let line = serde_json::to_string(&e).expect("events serialize");
                writeln!(log, "{line}").map_err(|e| format!("cannot write events: {e}"))?;
                log.flush()
                    .map_err(|e| format!("cannot write events: {e}"))?;
            }
            Some(HemsOutput::ConnectionRequest {
                device,
                url,
                username,
                password,
            }) => {
                tokio::spawn(async move {
                    if let Err(e) = send_connection_request(url, username, password).await {
                        eprintln!("Connection Request to {device} failed: {e}");
                    }
                });
            }
            Some(_) => {}
            None => return Ok(()),
        }
    }
}

/// A Digest nonce key that differs from run to run (nonces of an earlier HeMS process
/// are then refused), from the std hasher's per-process random keys and the clock.
fn nonce_secret() -> String {
    use std::hash::{BuildHasher, Hasher};
    let mut h = std::collections::hash_map::RandomState::new().build_hasher();
    h.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0),
    );
    format!("{:016x}", h.finish())
}

/// Runs `count` simulated HeNBs against the HeMS at `hems_url` until `duration`; they
/// authenticate as `username` (default: their serial number) with `password`.
pub async fn henb(
    hems_url: &str,
    count: usize,
    serial_prefix: &str,
    duration: Option<Duration>,
    username: Option<&str>,
    password: Option<&str>,
) -> Result<(), String> {
    let start = Instant::now();
    let authority = hems_url
        .strip_prefix("http://")
        .ok_or_else(|| format!("{hems_url}: only http:// HeMS URLs are supported for now"))?
        .split('/')
        .next()
        .unwrap_or("")
        .to_owned();
    let addr: SocketAddr = tokio::net::lookup_host(authority.as_str())
        .await
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("cannot resolve {authority}"))?;
    let mut senders = Vec::new();
    for i in 1..=count {
        let id = DeviceIdStruct {
            manufacturer: "femtocwmp".into(),
            oui: "00A0C6".into(),
            product_class: "FAP-LTE".into(),
            serial_number: format!("{serial_prefix}{i}"),
        };
        let (tx, rx) = mpsc::unbounded_channel();
        let cr = serve_connection_requests(tx.clone())
            .await
            .map_err(|e| format!("cannot listen: {e}"))?;
        let info = FemtocellInfo {
            device_id: id.clone(),
            acs_url: hems_url.to_owned(),
            connection_request_url: format!("http://{cr}/cr"),
            software_version: "1.0".into(),
            ipsec_address: format!("172.16.{}.{}", i / 250, i % 250 + 1),
        };
        let config = AgentConfig {
            device_id: id,
            session: CpeConfig::default(),
            rng_seed: i as u64,
            ..AgentConfig::default()
        };
        let mut model = femtocell_model(&info);
        if let Some(u) = username {
            model.set_internal("Device.ManagementServer.Username", u);
        }
        if let Some(p) = password {
            model.set_internal("Device.ManagementServer.Password", p);
        }
        let agent = Agent::new(config, model, now(start));
        senders.push(tx);
        tokio::spawn(run_henb(agent, addr, rx, start));
    }
    eprintln!("{count} HeNBs talking to {hems_url}");
    match duration {
        Some(d) => tokio::time::sleep(d).await,
        None => std::future::pending::<()>().await,
    }
    drop(senders);
    Ok(())
}
