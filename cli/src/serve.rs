//! `femtocwmp hems` and `femtocwmp henb`: the HeMS and simulated HeNBs of the demo, each on
//! its own, to test someone else's HeNB or HeMS (plain HTTP for now).

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use femtocwmp::hems::{Hems, HemsConfig, HemsEvent, HemsOutput, Procedure, Registration};
use femtocwmp::henb::{femtocell_model, Agent, AgentConfig, FemtocellInfo};
use femtocwmp::session::{
    AuthConfig, AuthPolicy, AuthScheme, CpeConfig, DeviceCredentials, DeviceTable, DigestAlgorithm,
};
use femtocwmp::DeviceIdStruct;
use tokio::sync::mpsc;

use crate::api::{serve_api, Api};
use crate::demo::{
    now, resolve_urls, run_henb, send_connection_request, serve_connection_requests, serve_hems,
    spawn_hems_timers, CrRoutes, HemsState, Scripted, SharedStats,
};
use crate::events::EventLog;
use crate::report::Trace;
use crate::shutdown::Shutdown;
use crate::store::{Store, StoreHealth, StoreWriter};

/// How `femtocwmp hems` runs.
pub struct HemsOptions {
    /// Address to listen on.
    pub listen: String,
    /// JSON list of `{"device": ..., "procedure": ...}`.
    pub script: Option<String>,
    /// Where the JSON-lines events go (stdout if None).
    pub events: Option<String>,
    /// When to stop (never if None).
    pub duration: Option<Duration>,
    /// Do not print every message.
    pub quiet: bool,
    /// How HeNBs authenticate, and their credentials.
    pub trust: Trust,
    /// Register only the devices the credentials list.
    pub listed_only: bool,
    /// The most devices registered.
    pub max_devices: usize,
    /// When the HeMS asks again, and when it gives up.
    pub retry: RetryOptions,
    /// A directory whose files the file server serves as `/files/NAME`.
    pub files: Option<String>,
    /// The file server's Basic credentials.
    pub file_auth: Option<(String, String)>,
    /// HTTPS: certificate chain and key (PEM files).
    pub tls: Option<(String, String)>,
    /// HTTPS: require client certificates signed by this CA (PEM).
    pub client_ca: Option<String>,
    /// Keep device records in this SQLite file (loaded at start, written through).
    pub store: Option<String>,
    /// Serve the admin API on this address, with this bearer token.
    pub api: Option<(String, String)>,
    /// What the HTTP server grants one client.
    pub limits: crate::limits::ServerLimits,
    /// On SIGTERM/SIGINT, how long sessions in progress may take to finish.
    pub shutdown_grace: Duration,
}

/// How `femtocwmp hems` authenticates HeNBs: the policy and the per-device credentials.
pub struct Trust {
    /// The policy (realm, nonce secret and limits at their defaults).
    pub auth: AuthConfig,
    /// Each device's credentials (`--devices`).
    pub devices: Option<DeviceTable>,
}

/// The command-line choices that decide [`Trust`].
pub struct TrustOptions<'a> {
    /// `--devices FILE`.
    pub devices: Option<&'a str>,
    /// `--auth`.
    pub auth: Option<&'a str>,
    /// `--username/--password`: one shared secret.
    pub shared: Option<(String, String)>,
    /// `--sha256`.
    pub sha256: bool,
    /// `--insecure-basic`.
    pub insecure_basic: bool,
    /// Whether the HeMS serves HTTPS.
    pub tls: bool,
    /// Whether it asks for client certificates.
    pub client_ca: bool,
}

/// Reads a `--devices` file: JSON, or TOML when it ends in `.toml`.
fn read_devices(path: &str) -> Result<DeviceTable, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let entries: std::collections::BTreeMap<String, DeviceCredentials> = if path.ends_with(".toml")
    {
        toml::from_str(&text).map_err(|e| format!("{path}: {e}"))?
    } else {
        serde_json::from_str(&text).map_err(|e| format!("{path}: {e}"))?
    };
    DeviceTable::new(entries).map_err(|e| format!("{path}: {e}"))
}

/// Decides how HeNBs authenticate from the command line; refuses what would be insecure
/// without being asked for, and warns about what is weak.
pub fn trust(o: TrustOptions<'_>) -> Result<Trust, String> {
    let devices = o.devices.map(read_devices).transpose()?;
    let algorithm = if o.sha256 {
        DigestAlgorithm::Sha256
    } else {
        DigestAlgorithm::Md5
    };
    let policy = match (o.auth, &devices, o.shared) {
        (Some("none"), _, Some(_)) => {
            return Err("--auth none and --username/--password contradict each other".into())
        }
        (Some("none"), _, None) => {
            eprintln!(
                "warning: --auth none: any client may speak for any HeNB; use it on a lab network only"
            );
            AuthPolicy::None
        }
        (Some("cert"), _, _) if !o.client_ca => {
            return Err("--auth cert needs --client-ca (and --tls-cert/--tls-key)".into())
        }
        (Some("cert"), _, _) => AuthPolicy::Devices {
            scheme: AuthScheme::Certificate,
        },
        (scheme, Some(_), None) => AuthPolicy::Devices {
            scheme: if scheme == Some("basic") {
                AuthScheme::Basic
            } else {
                AuthScheme::Digest
            },
        },
        (scheme, None, Some((username, password))) => {
            eprintln!(
                "warning: --username/--password is one secret shared by every HeNB: whoever knows it may speak for any of them; prefer --devices"
            );
            if scheme == Some("basic") {
                AuthPolicy::Basic { username, password }
            } else {
                AuthPolicy::Digest {
                    username,
                    password,
                    algorithm,
                }
            }
        }
        (Some(s), None, None) => {
            return Err(format!(
                "--auth {s} needs credentials: --devices FILE (each HeNB its own) or --username/--password"
            ))
        }
        (None, None, None) => {
            return Err("choose how HeNBs authenticate: --devices FILE (each HeNB its own credentials), --auth cert (client certificates), --username/--password (one shared secret), or --auth none (a lab)".into())
        }
        (_, Some(_), Some(_)) => unreachable!("clap keeps --devices and --username apart"),
    };
    let basic = matches!(
        policy,
        AuthPolicy::Basic { .. }
            | AuthPolicy::Devices {
                scheme: AuthScheme::Basic
            }
    );
    if basic && !o.tls && !o.insecure_basic {
        return Err("Basic authentication sends passwords in clear: serve HTTPS (--tls-cert/--tls-key) or add --insecure-basic for a lab".into());
    }
    if basic && !o.tls {
        eprintln!("warning: --insecure-basic: HeNB passwords cross the network in clear");
    }
    let mut digest_algorithms = AuthConfig::default().digest_algorithms;
    if o.sha256 {
        digest_algorithms = vec![DigestAlgorithm::Sha256];
    }
    Ok(Trust {
        auth: AuthConfig {
            policy,
            nonce_secret: nonce_secret(),
            allow_basic_without_tls: o.insecure_basic,
            digest_algorithms,
            ..AuthConfig::default()
        },
        devices,
    })
}

/// Reads the API's bearer token: the file's first line, at least 16 characters.
pub fn read_token(path: &str) -> Result<String, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let token = text.lines().next().unwrap_or("").trim().to_owned();
    if token.len() < 16 {
        return Err(format!(
            "{path}: the API token must be at least 16 characters on the first line"
        ));
    }
    Ok(token)
}

/// Every regular file of `dir`, keyed by the path it is served under (`/files/NAME`). A
/// symbolic link is served only if it resolves to a file inside `dir`: nothing outside the
/// directory is ever served.
pub(crate) fn load_files(dir: &str) -> Result<HashMap<String, Vec<u8>>, String> {
    let mut files = HashMap::new();
    let root = std::fs::canonicalize(dir).map_err(|e| format!("cannot read {dir}: {e}"))?;
    let entries = std::fs::read_dir(dir).map_err(|e| format!("cannot read {dir}: {e}"))?;
    for entry in entries {
        let entry = entry.map_err(|e| format!("cannot read {dir}: {e}"))?;
        let path = entry.path();
        let inside = std::fs::canonicalize(&path).is_ok_and(|real| real.starts_with(&root));
        if !inside {
            tracing::warn!(
                "--files: {} points outside {dir}: not served",
                path.display()
            );
            continue;
        }
        if path.is_file() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let data =
                std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
            files.insert(format!("/files/{name}"), data);
        }
    }
    Ok(files)
}

/// A script: a JSON list of procedures, or a TOML file of `[[procedure]]` tables.
fn parse_script(path: &str, text: &str) -> Result<Vec<Scripted>, String> {
    if path.ends_with(".toml") {
        #[derive(serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        struct TomlScript {
            #[serde(default)]
            procedure: Vec<Scripted>,
        }
        let s: TomlScript = toml::from_str(text).map_err(|e| format!("script {path}: {e}"))?;
        Ok(s.procedure)
    } else {
        serde_json::from_str(text).map_err(|e| format!("script {path}: {e}"))
    }
}

/// Runs a HeMS until `duration` (forever if None); scripted procedures start when their
/// device first informs; events go as JSON lines.
pub async fn hems(options: HemsOptions) -> Result<(), String> {
    let HemsOptions {
        listen,
        script,
        events,
        duration,
        quiet,
        trust,
        listed_only,
        max_devices,
        retry,
        files,
        file_auth,
        tls,
        client_ca,
        store,
        api,
        limits,
        shutdown_grace,
    } = options;
    let start = Instant::now();
    crate::limits::raise_descriptor_limit(limits.max_connections);
    let store = match &store {
        Some(path) => Some(Store::open(path, crate::store::unix_ms_at(start))?),
        None => None,
    };
    let listen = listen.as_str();
    let acceptor = match &tls {
        Some((cert, key)) => Some(crate::tls::acceptor(cert, key, client_ca.as_deref())?),
        None => None,
    };
    let files = match &files {
        Some(dir) => load_files(dir)?,
        None => HashMap::new(),
    };
    let scripted: Vec<Scripted> = match &script {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| format!("cannot read script {path}: {e}"))?;
            parse_script(path, &text)?
        }
        None => Vec::new(),
    };
    for s in &scripted {
        femtocwmp::hems::check_device_key(&s.device).map_err(|e| format!("script: {e}"))?;
        let mut p = s.procedure.clone();
        resolve_urls(&mut p, "http://hems");
        p.check()
            .map_err(|e| format!("script: {}: {e}", s.device))?;
    }
    // each entry has a key (its own, or the script's name and its position), so that a
    // restart with the same command line submits nothing twice
    let script_name = script
        .as_deref()
        .map(|p| {
            std::path::Path::new(p)
                .file_name()
                .map_or(p.to_owned(), |n| n.to_string_lossy().into_owned())
        })
        .unwrap_or_default();
    let mut scripts: HashMap<String, Vec<(Procedure, u64, String)>> = HashMap::new();
    for (i, s) in scripted.into_iter().enumerate() {
        let key = s
            .key
            .unwrap_or_else(|| format!("script:{script_name}#{}", i + 1));
        scripts
            .entry(s.device)
            .or_default()
            .push((s.procedure, s.delay_ms, key));
    }
    let mut log = EventLog::open(events.as_deref())?;
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut hems = Hems::new(HemsConfig {
        auth: trust.auth,
        registration: if listed_only {
            Registration::ListedOnly
        } else {
            Registration::Open
        },
        max_devices,
        procedure_attempts: retry.procedure_attempts.max(1),
        procedure_deadline_ms: retry.procedure_deadline.as_millis() as u64,
        session_retry_base_ms: retry.session_retry_base.as_millis() as u64,
        connection_requests_per_second: retry.connection_request_rate.max(1),
        // write before send: every change is stored before what acknowledges it leaves
        persist_changes: store.is_some(),
        ..HemsConfig::default()
    });
    if let Some(table) = trust.devices {
        hems.set_credential_source(Box::new(table));
    }
    let state = Arc::new_cyclic(|me| {
        Mutex::new(HemsState {
            hems,
            names: HashMap::new(),
            events: tx,
            start,
            files,
            file_auth,
            quiet,
            trace: Trace::default(),
            store_healthy: None,
            shutting_down: false,
            store: None,
            scripts: HashMap::new(),
            me: me.clone(),
        })
    });
    let (health_tx, mut health) = mpsc::unbounded_channel();
    // committed events, numbered, from the store's outbox
    let (published_tx, mut published) = mpsc::unbounded_channel::<(i64, String)>();
    let writer = match store {
        Some(mut st) => {
            let n = st.load_into(&mut state.lock().expect("state").hems)?;
            if n > 0 {
                tracing::info!("{n} device records loaded from the store");
            }
            // what an earlier process committed and did not publish is published now
            for event in st.outbox_after(log.last_seq)? {
                let _ = published_tx.send(event);
            }
            st.published(log.last_seq)?;
            let writer = StoreWriter::spawn(st, health_tx, published_tx);
            let mut s = state.lock().expect("state");
            s.store_healthy = Some(writer.healthy());
            s.store = Some(writer.clone());
            Some(writer)
        }
        None => None,
    };
    let scheme = if acceptor.is_some() { "https" } else { "http" };
    let (trigger, shutdown) = Shutdown::new(shutdown_grace);
    let (addr, connections) = serve_hems(state.clone(), listen, acceptor, limits, shutdown)
        .await
        .map_err(|e| format!("cannot listen on {listen}: {e}"))?;
    let signal = crate::shutdown::signalled();
    tokio::pin!(signal);
    // once a signal came: when to give up waiting for the open connections
    let mut draining: Option<tokio::time::Instant> = None;
    eprintln!("HeMS listening on {scheme}://{addr}/cwmp");
    let base = format!("{scheme}://{addr}");
    if let Some((listen, token)) = api {
        let api = Api {
            token: token.into(),
            base: base.as_str().into(),
            max_devices,
        };
        let addr = serve_api(state.clone(), &listen, api)
            .await
            .map_err(|e| format!("cannot listen on {listen} (--api-listen): {e}"))?;
        eprintln!("API listening on http://{addr}/api/procedures");
    }
    for procs in scripts.values_mut() {
        for (p, _, _) in procs {
            resolve_urls(p, &base);
        }
    }
    {
        let mut st = state.lock().expect("state");
        st.scripts = scripts;
        // devices the store knows have informed already (perhaps just before a crash that
        // lost the submission their Inform set off): their scripted procedures go in now
        // (keyed: none twice)
        let known: Vec<String> = st
            .scripts
            .keys()
            .filter(|d| {
                st.hems
                    .device(d)
                    .is_some_and(|r| !r.device_id.serial_number.is_empty())
            })
            .cloned()
            .collect();
        for device in known {
            st.submit_scripted(&device);
        }
        drop(st.forward()); // the store writes go on; nobody waits for an answer
    }
    spawn_hems_timers(state.clone());
    let deadline = duration.map(|d| tokio::time::Instant::now() + d);
    let until_deadline = async move {
        match deadline {
            Some(d) => tokio::time::sleep_until(d).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(until_deadline);
    // the highest outbox number written to the events file and not yet reported as such
    let mut unreported: Option<i64> = None;
    // at the end, what was acknowledged reaches the store and its events the file (bounded:
    // a store that stays locked loses the race, and says so)
    let finish = |log: &mut EventLog,
                  published: &mut mpsc::UnboundedReceiver<(i64, String)>,
                  rx: &mut mpsc::UnboundedReceiver<HemsOutput>|
     -> Result<(), String> {
        while let Ok(o) = rx.try_recv() {
            if let HemsOutput::Event(e) = o {
                log.write(&serde_json::to_string(&e).expect("events serialize"), None)?;
            }
        }
        if let Some(w) = &writer {
            if !w.flush(Duration::from_secs(10)) {
                eprintln!("femtocwmp: the store did not take the last records within 10 s");
            }
            while let Ok((seq, line)) = published.try_recv() {
                log.write(&line, Some(seq))?;
            }
            log.flush()?;
            w.published(log.last_seq);
            w.flush(Duration::from_secs(1));
        }
        log.flush()
    };
    loop {
        // a burst is written at once; a quiet moment is flushed, then the store hears which
        // of its outbox events the file holds
        if rx.is_empty() && published.is_empty() {
            log.flush()?;
            if let (Some(seq), Some(w)) = (unreported.take(), &writer) {
                w.published(seq);
            }
        }
        let (event, seq) = tokio::select! {
            _ = &mut until_deadline => return finish(&mut log, &mut published, &mut rx),
            signal = &mut signal, if draining.is_none() => {
                let name = signal.map_err(|e| format!("cannot watch signals: {e}"))?;
                eprintln!(
                    "femtocwmp: {name}: shutting down ({} connections open, {} s grace)",
                    connections.open(),
                    shutdown_grace.as_secs_f64()
                );
                state.lock().expect("state").shutting_down = true;
                trigger.trigger();
                draining = Some(tokio::time::Instant::now() + shutdown_grace + Duration::from_secs(3));
                continue;
            }
            _ = tokio::time::sleep(Duration::from_millis(20)), if draining.is_some() => {
                let over = draining.is_some_and(|d| tokio::time::Instant::now() >= d);
                if connections.open() == 0 || over {
                    if over {
                        eprintln!(
                            "femtocwmp: {} connections still open at the end of the grace",
                            connections.open()
                        );
                    }
                    return finish(&mut log, &mut published, &mut rx);
                }
                continue;
            }
            Some(h) = health.recv() => {
                // the store's state, among the events
                let line = match h {
                    StoreHealth::Unavailable(error) => {
                        serde_json::json!({ "StoreUnavailable": { "error": error } })
                    }
                    StoreHealth::Recovered => serde_json::json!({ "StoreRecovered": {} }),
                };
                log.write(&line.to_string(), None)?;
                continue;
            }
            Some((seq, line)) = published.recv() => {
                match serde_json::from_str::<HemsEvent>(&line) {
                    Ok(e) => (e, Some((seq, line))),
                    Err(e) => {
                        tracing::warn!("the outbox holds an unreadable event ({e}): {line}");
                        continue;
                    }
                }
            }
            next = rx.recv() => match next {
                Some(HemsOutput::Event(e)) => (e, None),
                Some(HemsOutput::ConnectionRequest { device, .. }) if draining.is_some() => {
                    // the record keeps it due: the next process asks
                    tracing::debug!("Connection Request to {device} left to the next process");
                    continue;
                }
                Some(HemsOutput::ConnectionRequest {
                    device,
                    url,
                    username,
                    password,
                }) => {
                    tokio::spawn(async move {
                        if let Err(e) = send_connection_request(url, username, password).await {
                            tracing::warn!("Connection Request to {device} failed: {e}");
                        }
                    });
                    continue;
                }
                Some(_) => continue,
                None => return finish(&mut log, &mut published, &mut rx),
            },
        };
        trace_event(&event);
        match seq {
            Some((seq, line)) => {
                log.write(&line, Some(seq))?;
                unreported = Some(seq);
            }
            None => log.write(
                &serde_json::to_string(&event).expect("events serialize"),
                None,
            )?,
        }
    }
}

/// Diagnostics for an event, on standard error.
fn trace_event(e: &HemsEvent) {
    match e {
        HemsEvent::Refused {
            device,
            peer,
            status,
            reason,
        } => tracing::warn!(
            device = device.as_str(),
            peer = peer.as_deref().unwrap_or(""),
            status,
            "refused: {reason}"
        ),
        HemsEvent::ProcedureFinished {
            id,
            device,
            outcome,
        } => tracing::info!(
            device = device.as_str(),
            id = id.0,
            success = outcome.is_success(),
            "procedure finished"
        ),
        HemsEvent::SessionEnded { device, outcome } => tracing::debug!(
            device = device.as_str(),
            reason = ?outcome.reason,
            "session ended"
        ),
        _ => {}
    }
}

/// A Digest nonce key that differs from run to run (nonces of an earlier HeMS process
/// are then refused).
fn nonce_secret() -> String {
    crate::random_hex()
}

/// When the HeMS asks a device again, and when it gives up on a procedure.
pub struct RetryOptions {
    /// A procedure that went out in this many failed sessions ends Failed.
    pub procedure_attempts: u32,
    /// How long a procedure waits for its device.
    pub procedure_deadline: Duration,
    /// The wait after a failed session (doubled after each further one).
    pub session_retry_base: Duration,
    /// Connection Requests per second, for all devices.
    pub connection_request_rate: u32,
}

/// How `femtocwmp henb` runs.
pub struct HenbOptions {
    /// The HeMS URL (`http://` or `https://`).
    pub hems_url: String,
    /// How many HeNBs.
    pub count: usize,
    /// Serial numbers are this prefix and a number.
    pub serial_prefix: String,
    /// When to stop (never if None).
    pub duration: Option<Duration>,
    /// User name for the HeMS (default: each serial number).
    pub username: Option<String>,
    /// Password for the HeMS.
    pub password: Option<String>,
    /// The Connection Request password of every HeNB.
    pub cr_password: String,
    /// HTTPS: the CA certificate (PEM) the HeMS's certificate must chain to.
    pub ca: Option<String>,
    /// HTTPS: the HeNBs' client certificate and key (PEM files).
    pub client_cert: Option<(String, String)>,
    /// A JSON file of data model changes applied to every HeNB.
    pub data_model: Option<String>,
    /// Boot the HeNBs spread over this long instead of all at once.
    pub ramp: Option<Duration>,
    /// Stop once this many sessions have ended.
    pub stop_after_sessions: Option<usize>,
    /// Print session statistics at the end.
    pub show_stats: bool,
    /// One Connection Request port for all HeNBs (a path each) instead of one each.
    pub shared_cr_port: bool,
    /// How long a session waits for the HeMS.
    pub session_timeout: Duration,
    /// Where each HeNB keeps its state (`SERIAL.json`), if anywhere.
    pub state_dir: Option<std::path::PathBuf>,
}

/// One entry of a `--data-model` file: a new value for a parameter of the femtocell model,
/// or a parameter to add.
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum ModelEntry {
    Value(String),
    New {
        #[serde(rename = "type")]
        xsd_type: String,
        value: String,
        #[serde(default)]
        writable: bool,
    },
}

/// Reads a `--data-model` file: `{"Device.X.Y": "value", "Device.New": {"type":
/// "unsignedInt", "value": "5", "writable": true}}`, checked against the femtocell model.
fn read_data_model(path: &str) -> Result<Vec<(String, ModelEntry)>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let entries: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(&text).map_err(|e| format!("data model {path}: {e}"))?;
    entries
        .into_iter()
        .map(|(name, v)| {
            let entry: ModelEntry = serde_json::from_value(v).map_err(|_| {
                format!(
                    "data model {path}: {name} must be a value text or {{\"type\", \"value\", \"writable\"}}"
                )
            })?;
            Ok((name, entry))
        })
        .collect()
}

fn apply_data_model(
    model: &mut femtocwmp::henb::DataModel,
    entries: &[(String, ModelEntry)],
    path: &str,
) -> Result<(), String> {
    use femtocwmp::henb::Param;
    for (name, entry) in entries {
        match entry {
            ModelEntry::Value(v) => {
                let p = model.get(name).ok_or_else(|| {
                    format!("data model {path}: {name} is not in the femtocell model (give its type to add it)")
                })?;
                p.check_value(v).map_err(|f| {
                    format!("data model {path}: {name} = {v:?}: {}", f.description())
                })?;
                model.set_internal(name, v);
            }
            ModelEntry::New {
                xsd_type,
                value,
                writable,
            } => {
                let t = femtocwmp::XsdType::from_type_name(xsd_type)
                    .ok_or_else(|| format!("data model {path}: {name}: unknown type {xsd_type}"))?;
                femtocwmp::Value::new(t, value.clone())
                    .map_err(|e| format!("data model {path}: {name}: {e}"))?;
                let param = if *writable {
                    Param::writable(t, value.clone())
                } else {
                    Param::read_only(t, value.clone())
                };
                model.insert(name.clone(), param);
            }
        }
    }
    Ok(())
}

/// A HeNB's state as `--state-dir` keeps it (None: not there yet).
fn read_state(path: &std::path::Path) -> Result<Option<femtocwmp::henb::AgentSnapshot>, String> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| format!("{}: unreadable state: {e}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(format!("{}: {e}", path.display())),
    }
}

/// Runs simulated HeNBs against the HeMS until `duration`.
pub async fn henb(options: HenbOptions) -> Result<(), String> {
    let HenbOptions {
        hems_url,
        count,
        serial_prefix,
        duration,
        username,
        password,
        cr_password,
        ca,
        client_cert,
        data_model,
        ramp,
        stop_after_sessions,
        show_stats,
        shared_cr_port,
        session_timeout,
        state_dir,
    } = options;
    if let Some(dir) = &state_dir {
        std::fs::create_dir_all(dir).map_err(|e| format!("--state-dir {}: {e}", dir.display()))?;
    }
    let overrides = match &data_model {
        Some(path) => read_data_model(path)?,
        None => Vec::new(),
    };
    let (hems_url, username, password) =
        (hems_url.as_str(), username.as_deref(), password.as_deref());
    let start = Instant::now();
    // many HeNBs, a connection (and perhaps a Connection Request port) each
    if let Err(e) = rlimit::increase_nofile_limit(u64::MAX) {
        tracing::warn!("cannot raise the descriptor limit: {e}");
    }
    let (https, rest) = match hems_url.split_once("://") {
        Some(("http", rest)) => (false, rest),
        Some(("https", rest)) => (true, rest),
        _ => {
            return Err(format!(
                "{hems_url}: the HeMS URL must start with http:// or https://"
            ))
        }
    };
    let authority = rest.split('/').next().unwrap_or("").to_owned();
    let host = match authority.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h.to_owned(),
        _ => authority.clone(),
    };
    let lookup = if authority.contains(':') {
        authority.clone()
    } else {
        format!("{authority}:{}", if https { 443 } else { 80 })
    };
    let tls = match (https, &ca) {
        (true, Some(ca)) => {
            let client = client_cert.as_ref().map(|(c, k)| (c.as_str(), k.as_str()));
            Some((crate::tls::connector(ca, client)?, crate::tls::server_name(&host)?))
        }
        (true, None) => {
            return Err(format!(
                "{hems_url}: https needs --ca FILE, the CA certificate the HeMS's certificate chains to"
            ))
        }
        (false, _) if ca.is_some() || client_cert.is_some() => {
            return Err("--ca and --tls-cert/--tls-key are for https:// HeMS URLs".into())
        }
        (false, _) => None,
    };
    let addr: SocketAddr = tokio::net::lookup_host(lookup.as_str())
        .await
        .map_err(|e| format!("cannot resolve {authority}: {e}"))?
        .next()
        .ok_or_else(|| format!("cannot resolve {authority}"))?;
    let dialer = crate::tls::Dialer { addr, tls };
    // the --data-model file must fit before any HeNB starts
    let path = data_model.as_deref().unwrap_or("");
    apply_data_model(
        &mut femtocell_model(&femtocell_info(&serial_prefix, 1, hems_url, "")),
        &overrides,
        path,
    )?;
    let overrides = Arc::new(overrides);
    let cr_password: Arc<str> = cr_password.into();
    let stats: SharedStats = Arc::default();
    // with --shared-cr-port, one Connection Request listener for all, a path each (a port
    // each costs a descriptor and a bind per HeNB: what a load run of thousands avoids)
    let routes = CrRoutes::default();
    let shared = if shared_cr_port {
        let addr = serve_connection_requests(routes.clone())
            .await
            .map_err(|e| format!("cannot listen for Connection Requests: {e}"))?;
        Some(addr)
    } else {
        None
    };
    let (senders_tx, mut senders_rx) = mpsc::unbounded_channel();
    for i in 1..=count {
        // HeNB i boots at i/count of the ramp (all at once without --ramp)
        let boot = ramp.map_or(Duration::ZERO, |r| r.mul_f64((i - 1) as f64 / count as f64));
        let (dialer, overrides, stats) = (dialer.clone(), overrides.clone(), stats.clone());
        let cr_password = cr_password.clone();
        let routes = routes.clone();
        let (hems_url, prefix, senders_tx) = (
            hems_url.to_owned(),
            serial_prefix.clone(),
            senders_tx.clone(),
        );
        let (username, password) = (username.map(str::to_owned), password.map(str::to_owned));
        let state_dir = state_dir.clone();
        tokio::spawn(async move {
            tokio::time::sleep(boot).await;
            let (tx, rx) = mpsc::unbounded_channel();
            let (cr, path) = match shared {
                Some(addr) => (addr, format!("/cr/{prefix}{i}")),
                None => {
                    // its own port, as a real HeNB
                    let own = CrRoutes::default();
                    match serve_connection_requests(own.clone()).await {
                        Ok(addr) => {
                            own.lock().expect("routes").insert("/cr".into(), tx.clone());
                            (addr, "/cr".to_owned())
                        }
                        Err(e) => {
                            tracing::warn!("HeNB {prefix}{i}: cannot listen: {e}");
                            return;
                        }
                    }
                }
            };
            if shared.is_some() {
                routes
                    .lock()
                    .expect("routes")
                    .insert(path.clone(), tx.clone());
            }
            let mut info = femtocell_info(&prefix, i, &hems_url, &format!("http://{cr}{path}"));
            info.connection_request_password = Some(cr_password.to_string());
            let config = AgentConfig {
                device_id: info.device_id.clone(),
                session: CpeConfig {
                    session_timeout_ms: session_timeout.as_millis() as u64,
                    ..CpeConfig::default()
                },
                rng_seed: i as u64,
                persist_state: state_dir.is_some(),
                ..AgentConfig::default()
            };
            let state = state_dir
                .as_ref()
                .map(|d| d.join(format!("{}.json", info.device_id.serial_number)));
            let mut model = femtocell_model(&info);
            let _ = apply_data_model(&mut model, &overrides, "");
            if let Some(u) = &username {
                model.set_internal("Device.ManagementServer.Username", u);
            }
            if let Some(p) = &password {
                model.set_internal("Device.ManagementServer.Password", p);
            }
            let agent = match state.as_deref().map(read_state) {
                // resumed from its last state, as after a power cut: "1 BOOT", and its
                // Connection Request URL is this run's
                Some(Ok(Some(snapshot))) => {
                    let mut agent = Agent::restore(snapshot, true, now(start));
                    agent.parameter_changed_internally(
                        "Device.ManagementServer.ConnectionRequestURL",
                        &info.connection_request_url,
                        now(start),
                    );
                    agent
                }
                Some(Err(e)) => {
                    tracing::warn!("HeNB {prefix}{i}: {e}; starting afresh");
                    Agent::new(config, model, now(start))
                }
                _ => Agent::new(config, model, now(start)),
            };
            let _ = senders_tx.send(tx); // kept by the main task: dropping them stops the HeNBs
            run_henb(agent, dialer, rx, start, Some(stats), state).await;
        });
    }
    drop(senders_tx);
    eprintln!("{count} HeNBs talking to {hems_url}");
    let deadline = duration.map(|d| tokio::time::Instant::now() + d);
    let mut senders = Vec::new();
    loop {
        let done = {
            let s = stats.lock().expect("stats");
            stop_after_sessions.is_some_and(|n| s.durations_ms.len() + s.failed >= n)
        };
        if done || deadline.is_some_and(|d| tokio::time::Instant::now() >= d) {
            break;
        }
        tokio::select! {
            Some(tx) = senders_rx.recv() => senders.push(tx),
            _ = tokio::time::sleep(Duration::from_millis(20)) => {}
        }
    }
    if show_stats {
        println!("{}", stats.lock().expect("stats").summary());
    }
    drop(senders);
    Ok(())
}

/// The femtocell description of simulated HeNB number `i`.
fn femtocell_info(prefix: &str, i: usize, hems_url: &str, cr_url: &str) -> FemtocellInfo {
    FemtocellInfo {
        device_id: DeviceIdStruct {
            manufacturer: "femtocwmp".into(),
            oui: "00A0C6".into(),
            product_class: "FAP-LTE".into(),
            serial_number: format!("{prefix}{i}"),
        },
        acs_url: hems_url.to_owned(),
        connection_request_url: cr_url.to_owned(),
        software_version: "1.0".into(),
        ipsec_address: format!("172.16.{}.{}", (i / 250) % 256, i % 250 + 1),
        ..FemtocellInfo::default()
    }
}
