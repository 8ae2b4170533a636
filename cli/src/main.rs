//! `femtocwmp`: the command line — the codec on the command line (`decode`, `encode`) and
//! `demo`, the HeMS and HeNBs on loopback HTTP (tokio + hyper).

use std::io::{Read, Write};
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// A HeMS serving thousands of sessions allocates and frees small buffers all the time;
/// mimalloc does that with less work than the system allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

mod api;
mod demo;
mod events;
mod limits;
mod report;
mod serve;
mod shutdown;
mod store;
mod tls;
use serde_json::Value as Json;

#[derive(Parser)]
#[command(
    name = "femtocwmp",
    version,
    about = "TR-069 (CWMP) for femtocell management"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Log level of the diagnostics on standard error: error, warn, info, debug, trace
    /// (or a tracing filter such as "femtocwmp=debug"; the FEMTOCWMP_LOG variable also works).
    #[arg(long, global = true, default_value = "warn")]
    log: String,
}

#[derive(Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once per process; boxing buys nothing
enum Command {
    /// Decode a CWMP message (XML) to JSON, or to a readable tree with --pretty.
    Decode {
        /// The message file, or `-` for standard input.
        file: String,
        /// Print a readable tree instead of JSON.
        #[arg(long)]
        pretty: bool,
    },
    /// Encode a CWMP message given in JSON form to XML.
    Encode {
        /// The JSON file, or `-` for standard input.
        file: String,
    },
    /// A HeMS on an address of yours: the CWMP endpoint (POST /cwmp), Connection Requests to
    /// the devices, procedures from a script, events as JSON lines.
    Hems {
        /// Address to listen on, e.g. 0.0.0.0:7547.
        #[arg(long)]
        listen: String,
        /// Procedures to run: a JSON list of {"device": "OUI-ProductClass-Serial",
        /// "procedure": {...}, "delay_ms": 0}, or a .toml file of [[procedure]] tables; each
        /// is submitted when its device first informs (or delay_ms later). A download URL that
        /// is a path ("/files/cfg.xml") names this HeMS's own file server.
        #[arg(long)]
        script: Option<String>,
        /// Where to write the events (JSON lines); standard output by default.
        #[arg(long)]
        events: Option<String>,
        /// Stop after this many seconds (default: run until killed).
        #[arg(long)]
        duration: Option<u64>,
        /// Do not print every message.
        #[arg(long)]
        quiet: bool,
        /// Each HeNB's own credentials: a JSON object (or a .toml file of tables) keyed by
        /// device key, e.g. {"00A0C6-FAP-S1": {"username": "s1", "password": "..."}}, each
        /// with username, password or ha1, and optionally certificate_identity,
        /// connection_request_username, connection_request_password. A HeNB may then speak
        /// for its own device only.
        #[arg(long)]
        devices: Option<String>,
        /// How HeNBs authenticate: digest, basic (TLS only), cert (a client certificate
        /// naming the device) or none. Digest by default with --devices or --username; one of
        /// these must be chosen.
        #[arg(long, value_parser = ["digest", "basic", "cert", "none"])]
        auth: Option<String>,
        /// Accept Basic authentication over plain HTTP (passwords in clear: a lab only).
        #[arg(long)]
        insecure_basic: bool,
        /// Accept only the devices --devices lists (and those already in the store).
        #[arg(long, requires = "devices")]
        listed_only: bool,
        /// The most devices the HeMS registers; Informs of new devices beyond it get 503.
        #[arg(long, default_value_t = 100_000)]
        max_devices: usize,
        /// A procedure that went out in this many failed sessions ends Failed.
        #[arg(long, default_value_t = 3)]
        procedure_attempts: u32,
        /// Seconds a procedure waits for its device before it ends Failed.
        #[arg(long, default_value_t = 86_400)]
        procedure_deadline: u64,
        /// Seconds before the HeMS asks a device again after a failed session (doubled after
        /// each further failure, up to 600).
        #[arg(long, default_value_t = 5.0)]
        session_retry_base: f64,
        /// Connection Requests per second for all devices together.
        #[arg(long, default_value_t = 100)]
        connection_request_rate: u32,
        /// One user name shared by every HeNB (HTTP Digest, TR-069 3.4.4): whoever knows it
        /// may speak for any device. Prefer --devices.
        #[arg(long, requires = "password", conflicts_with = "devices")]
        username: Option<String>,
        /// The shared password (with --username).
        #[arg(long, requires = "username")]
        password: Option<String>,
        /// Offer SHA-256 instead of MD5 in the Digest challenge.
        #[arg(long)]
        sha256: bool,
        /// Serve the files of this directory as http://ADDR/files/NAME (configuration files,
        /// firmware); a script's download URL "/files/NAME" points here.
        #[arg(long)]
        files: Option<String>,
        /// Require HTTP Basic authentication on the file server with this user name.
        #[arg(long, requires = "file_password", requires = "files")]
        file_username: Option<String>,
        /// The file server's password (with --file-username).
        #[arg(long, requires = "file_username")]
        file_password: Option<String>,
        /// Serve HTTPS with this certificate chain (PEM file; with --tls-key).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<String>,
        /// The private key of --tls-cert (PEM file).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<String>,
        /// Require client certificates signed by this CA (PEM file; with --tls-cert).
        #[arg(long, requires = "tls_cert")]
        client_ca: Option<String>,
        /// Keep device records (queued procedures, downloads awaiting TransferComplete) in
        /// this SQLite file, so that a restart loses nothing.
        #[arg(long)]
        store: Option<String>,
        /// Serve the admin API on this address (a bare port means loopback), never on the
        /// CWMP port: POST /api/procedures with {"device": ..., "procedure": ...} answers
        /// 201 {"id": N}. Needs --api-token-file.
        #[arg(long, requires = "api_token_file")]
        api_listen: Option<String>,
        /// A file whose first line is the API's bearer token (`Authorization: Bearer TOKEN`).
        #[arg(long, requires = "api_listen")]
        api_token_file: Option<String>,
        /// Open connections at most; beyond, new ones get 503 with Retry-After.
        #[arg(long, default_value_t = 10_000)]
        max_connections: usize,
        /// Open connections from one address at most.
        #[arg(long, default_value_t = 1_000)]
        max_connections_per_address: usize,
        /// Seconds a request header may take to arrive (slow headers are cut off).
        #[arg(long, default_value_t = 10.0)]
        header_timeout: f64,
        /// Seconds a connection may stay silent in both directions before it is closed.
        #[arg(long, default_value_t = 60.0)]
        idle_timeout: f64,
        /// Seconds a request body may take to arrive.
        #[arg(long, default_value_t = 30.0)]
        body_timeout: f64,
        /// Seconds a TLS handshake may take.
        #[arg(long, default_value_t = 10.0)]
        tls_handshake_timeout: f64,
        /// The largest request body in bytes (413 beyond; default: the decoder's limit, 16 MiB).
        #[arg(long, default_value_t = femtocwmp::DecodeLimits::default().max_total_bytes)]
        max_body_bytes: usize,
        /// On SIGTERM or SIGINT: seconds the sessions in progress may take to finish (new
        /// ones get 503) before the store is flushed and the process exits.
        #[arg(long, default_value_t = 10.0)]
        shutdown_grace: f64,
    },
    /// Simulated HeNBs (TR-196 LTE femtocell data model) against a HeMS.
    Henb {
        /// The HeMS URL, e.g. http://127.0.0.1:7547/cwmp.
        #[arg(long)]
        hems: String,
        /// How many HeNBs.
        #[arg(long, default_value_t = 1)]
        count: usize,
        /// Serial numbers are this prefix and a number.
        #[arg(long, default_value = "SIM")]
        serial_prefix: String,
        /// Stop after this many seconds (default: run until killed).
        #[arg(long)]
        duration: Option<u64>,
        /// User name for the HeMS's HTTP authentication (default: each HeNB's serial number).
        #[arg(long)]
        username: Option<String>,
        /// Password for the HeMS's HTTP authentication.
        #[arg(long)]
        password: Option<String>,
        /// The HeNBs' Connection Request password (Digest; empty by default, as a lab's).
        #[arg(long, default_value = "")]
        cr_password: String,
        /// For an https:// HeMS: the CA certificate (PEM file) its certificate must chain to.
        #[arg(long)]
        ca: Option<String>,
        /// For an https:// HeMS that wants client certificates: the HeNBs' certificate (PEM).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<String>,
        /// The private key of --tls-cert (PEM file).
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<String>,
        /// Changes to the femtocell data model of every HeNB, as JSON:
        /// {"Device.ManagementServer.PeriodicInformInterval": "60",
        ///  "Device.X_Vendor.New": {"type": "string", "value": "x", "writable": true}}.
        #[arg(long)]
        data_model: Option<String>,
        /// Boot the HeNBs spread over this many seconds instead of all at once.
        #[arg(long)]
        ramp: Option<f64>,
        /// Stop once this many sessions have ended (a load run).
        #[arg(long)]
        stop_after_sessions: Option<usize>,
        /// Print session statistics at the end (count, rate, p50/p99 session time).
        #[arg(long)]
        stats: bool,
        /// Listen for Connection Requests on one port for all HeNBs (a path each) instead of
        /// a port each: for load runs of thousands.
        #[arg(long)]
        shared_cr_port: bool,
        /// Seconds each session may wait for the HeMS (connect, then every response) before
        /// it fails and the TR-069 retry wait begins.
        #[arg(long, default_value_t = 30.0)]
        session_timeout: f64,
        /// Keep each HeNB's state in this directory (one file per HeNB, written before each
        /// POST that acknowledges a change): after a crash, the same command line resumes
        /// them, and nothing they acknowledged is lost or done twice.
        #[arg(long)]
        state_dir: Option<String>,
    },
    /// A HeMS, its file server and N simulated HeNBs on loopback HTTP: registration and
    /// the three TS 32.593 configuration-management flows, each message as it crosses the
    /// wire, then a summary. Exits non-zero if a procedure failed.
    Demo {
        /// How many HeNBs.
        #[arg(long, default_value_t = 3)]
        henbs: usize,
        /// Print only the summary, not every message.
        #[arg(long)]
        quiet: bool,
        /// Also write a report (summary and a sequence diagram of every flow) to this file.
        #[arg(long)]
        html: Option<String>,
    },
}

fn read_input(file: &str) -> Result<Vec<u8>, String> {
    if file == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
        Ok(buf)
    } else {
        std::fs::read(file).map_err(|e| format!("cannot read {file}: {e}"))
    }
}

/// Prints a JSON value as an indented tree; parameter structs fit on one line.
fn tree(out: &mut String, key: &str, v: &Json, depth: usize) {
    let pad = "  ".repeat(depth);
    match v {
        Json::Object(m) if m.contains_key("name") && m.contains_key("value") && m.len() <= 3 => {
            let ty = m.get("type").and_then(Json::as_str).unwrap_or("string");
            out.push_str(&format!(
                "{pad}{} = {} ({ty})\n",
                m["name"].as_str().unwrap_or(""),
                m["value"]
            ));
        }
        Json::Object(m) => {
            if !key.is_empty() {
                out.push_str(&format!("{pad}{key}:\n"));
            }
            for (k, v) in m {
                tree(out, k, v, depth + usize::from(!key.is_empty()));
            }
        }
        Json::Array(a) if a.is_empty() => out.push_str(&format!("{pad}{key}: []\n")),
        Json::Array(a) => {
            out.push_str(&format!("{pad}{key}: [{}]\n", a.len()));
            for (i, v) in a.iter().enumerate() {
                tree(out, &format!("[{i}]"), v, depth + 1);
            }
        }
        other => out.push_str(&format!("{pad}{key}: {other}\n")),
    }
}

fn pretty(env: &femtocwmp::Envelope) -> String {
    let mut out = format!(
        "{} (CWMP {}, {}{})\n",
        env.body.method_name(),
        env.version,
        env.namespace.uri(),
        env.header
            .id
            .as_ref()
            .map(|id| format!(", cwmp:ID {id}"))
            .unwrap_or_default()
    );
    let mut body = serde_json::to_value(&env.body).expect("bodies serialize");
    if let Json::Object(m) = &mut body {
        m.remove("method");
    }
    tree(&mut out, "", &body, 1);
    for w in &env.warnings {
        out.push_str(&format!("  warning: {w}\n"));
    }
    out
}

fn run(cli: Cli) -> Result<(), String> {
    let stdout = &mut std::io::stdout().lock();
    let write = |out: &mut dyn Write, bytes: &[u8]| {
        out.write_all(bytes)
            .map_err(|e| format!("cannot write output: {e}"))
    };
    match cli.command {
        Command::Decode { file, pretty: p } => {
            let env = femtocwmp::decode(&read_input(&file)?).map_err(|e| format!("{file}: {e}"))?;
            let text = if p {
                pretty(&env)
            } else {
                serde_json::to_string_pretty(&env).expect("envelopes serialize") + "\n"
            };
            write(stdout, text.as_bytes())
        }
        Command::Encode { file } => {
            let input = read_input(&file)?;
            let env: femtocwmp::Envelope = serde_json::from_slice(&input)
                .map_err(|e| format!("{file}: not a CWMP message in JSON form: {e}"))?;
            for v in femtocwmp::check(&env) {
                eprintln!("warning: {file}: {v}");
            }
            write(stdout, &femtocwmp::encode(&env))
        }
        Command::Hems {
            listen,
            script,
            events,
            duration,
            quiet,
            devices,
            auth,
            insecure_basic,
            listed_only,
            max_devices,
            procedure_attempts,
            procedure_deadline,
            session_retry_base,
            connection_request_rate,
            username,
            password,
            sha256,
            files,
            file_username,
            file_password,
            tls_cert,
            tls_key,
            client_ca,
            store,
            api_listen,
            api_token_file,
            max_connections,
            max_connections_per_address,
            header_timeout,
            idle_timeout,
            body_timeout,
            tls_handshake_timeout,
            max_body_bytes,
            shutdown_grace,
        } => {
            let seconds = |name: &str, s: f64| {
                if s.is_finite() && s > 0.0 {
                    Ok(std::time::Duration::from_secs_f64(s))
                } else {
                    Err(format!("--{name} must be a number of seconds above 0"))
                }
            };
            let limits = limits::ServerLimits {
                max_connections,
                max_per_address: max_connections_per_address,
                header_timeout: seconds("header-timeout", header_timeout)?,
                idle_timeout: seconds("idle-timeout", idle_timeout)?,
                body_timeout: seconds("body-timeout", body_timeout)?,
                tls_handshake_timeout: seconds("tls-handshake-timeout", tls_handshake_timeout)?,
                max_body_bytes,
                ..limits::ServerLimits::default()
            };
            let trust = serve::trust(serve::TrustOptions {
                devices: devices.as_deref(),
                auth: auth.as_deref(),
                shared: username.zip(password),
                sha256,
                insecure_basic,
                tls: tls_cert.is_some(),
                client_ca: client_ca.is_some(),
            })?;
            let api_token = match &api_token_file {
                Some(path) => Some(serve::read_token(path)?),
                None => None,
            };
            runtime()?.block_on(serve::hems(serve::HemsOptions {
                listen,
                script,
                events,
                duration: duration.map(std::time::Duration::from_secs),
                quiet,
                trust,
                listed_only,
                max_devices,
                retry: serve::RetryOptions {
                    procedure_attempts,
                    procedure_deadline: std::time::Duration::from_secs(procedure_deadline),
                    session_retry_base: seconds("session-retry-base", session_retry_base)?,
                    connection_request_rate,
                },
                files,
                file_auth: file_username.zip(file_password),
                tls: tls_cert.zip(tls_key),
                client_ca,
                store,
                api: api_listen.zip(api_token),
                limits,
                shutdown_grace: seconds("shutdown-grace", shutdown_grace)?,
            }))
        }
        Command::Henb {
            hems,
            count,
            serial_prefix,
            duration,
            username,
            password,
            cr_password,
            ca,
            tls_cert,
            tls_key,
            data_model,
            ramp,
            stop_after_sessions,
            stats,
            shared_cr_port,
            session_timeout,
            state_dir,
        } => {
            if !(session_timeout.is_finite() && session_timeout > 0.0) {
                return Err("--session-timeout must be a number of seconds above 0".into());
            }
            if count == 0 {
                return Err("--count must be at least 1".into());
            }
            if ramp.is_some_and(|r| !(r.is_finite() && r >= 0.0)) {
                return Err("--ramp must be a number of seconds, 0 or more".into());
            }
            runtime()?.block_on(serve::henb(serve::HenbOptions {
                hems_url: hems,
                count,
                serial_prefix,
                duration: duration.map(std::time::Duration::from_secs),
                username,
                password,
                cr_password,
                ca,
                client_cert: tls_cert.zip(tls_key),
                data_model,
                ramp: ramp.map(std::time::Duration::from_secs_f64),
                stop_after_sessions,
                show_stats: stats,
                shared_cr_port,
                session_timeout: std::time::Duration::from_secs_f64(session_timeout),
                state_dir: state_dir.map(std::path::PathBuf::from),
            }))
        }
        Command::Demo { henbs, quiet, html } => {
            if henbs == 0 {
                return Err("--henbs must be at least 1".into());
            }
            match runtime()?.block_on(demo::run(henbs, quiet, html.as_deref()))? {
                true => Ok(()),
                false => Err("some procedures failed".into()),
            }
        }
    }
}

/// 128 bits in hex that differ from call to call and from run to run (Digest cnonces and
/// nonce keys), from the std hasher's per-process random keys, a counter and the clock.
pub(crate) fn random_hex() -> String {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static CALLS: AtomicU64 = AtomicU64::new(0);
    let keys = std::collections::hash_map::RandomState::new();
    let half = |salt: u64| {
        let mut h = keys.build_hasher();
        h.write_u64(salt);
        h.write_u64(CALLS.fetch_add(1, Ordering::Relaxed));
        h.write_u128(
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos())
                .unwrap_or(0),
        );
        h.finish()
    };
    format!("{:016x}{:016x}", half(1), half(2))
}

fn runtime() -> Result<tokio::runtime::Runtime, String> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the runtime: {e}"))
}

/// Diagnostics through `tracing`, to standard error (the product output stays on stdout).
fn init_logging(level: &str) -> Result<(), String> {
    let filter = match std::env::var("FEMTOCWMP_LOG") {
        Ok(f) if !f.is_empty() => f,
        _ => level.to_owned(),
    };
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .map_err(|e| format!("--log {filter}: {e}"))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_target(false)
        .init();
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if let Err(e) = init_logging(&cli.log) {
        eprintln!("femtocwmp: {e}");
        return ExitCode::FAILURE;
    }
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("femtocwmp: {e}");
            ExitCode::FAILURE
        }
    }
}
