//! `femtocwmp demo`: a HeMS with its file server and N simulated HeNBs in one process, over
//! real HTTP on loopback (tokio + hyper), running registration and the three TS 32.593 CM
//! flows. Every message printed is one that crossed a socket.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use femtocwmp::configfile::ConfigFile;

use crate::report::{SummaryRow, Trace};
use femtocwmp::hems::{
    Hems, HemsConfig, HemsEvent, HemsOutput, Procedure, ProcedureId, ProcedureOutcome,
    Registration, PATH_HEADER,
};
use femtocwmp::henb::{femtocell_model, Agent, AgentConfig, AgentEvent, FemtocellInfo};
use femtocwmp::session::{
    AuthConfig, AuthPolicy, AuthScheme, ConnectionInfo, CpeConfig, DeviceCredentials, DeviceTable,
    EndReason, HttpRequest, Output, Timestamp,
};
use femtocwmp::trace::describe;
use femtocwmp::{decode, Body, DeviceIdStruct, FaultCode, ParameterValueStruct, Value};
use http_body_util::{BodyExt, Full, LengthLimitError, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio_rustls::TlsAcceptor;

use crate::limits::{Admitted, Connections, IdleTimeout, ServerLimits};
use crate::shutdown::Shutdown;
use crate::tls::{Dialer, Stream};
use tokio::sync::{mpsc, oneshot};

const RF: &str = "Device.Services.FAPService.1.CellConfig.LTE.RAN.RF.";
const FILE_USER: &str = "fap-dl";
const FILE_PASSWORD: &str = "demo-secret";

type Shared<T> = Arc<Mutex<T>>;

/// The demo's device key of HeNB `i`.
fn demo_key(i: usize) -> String {
    format!("00A0C6-FAP-LTE-B37-HeNB-{i}")
}

/// HeNB `i`'s password for the HeMS (its own: none is shared).
fn demo_password(i: usize) -> String {
    format!("henb-{i}-secret")
}

/// HeNB `i`'s Connection Request password.
fn demo_cr_password(i: usize) -> String {
    format!("henb-{i}-cr-secret")
}

/// The HeMS's table of the demo HeNBs' credentials.
fn demo_devices(henbs: usize) -> DeviceTable {
    let entries = (1..=henbs)
        .map(|i| {
            let credentials = DeviceCredentials {
                username: format!("HeNB-{i}"),
                password: Some(demo_password(i)),
                connection_request_password: Some(demo_cr_password(i)),
                ..DeviceCredentials::default()
            };
            (demo_key(i), credentials)
        })
        .collect();
    DeviceTable::new(entries).expect("the demo's table is valid")
}

/// Milliseconds since the demo started: the sans-IO clock.
pub(crate) fn now(start: Instant) -> Timestamp {
    Timestamp(start.elapsed().as_millis() as u64)
}

/// What the HeMS server shares between connections.
pub(crate) struct HemsState {
    pub(crate) hems: Hems,
    pub(crate) names: HashMap<String, String>,
    pub(crate) events: mpsc::UnboundedSender<HemsOutput>,
    pub(crate) start: Instant,
    pub(crate) files: HashMap<String, Vec<u8>>,
    /// The file server's Basic credentials (user, password); None: no authentication.
    pub(crate) file_auth: Option<(String, String)>,
    pub(crate) quiet: bool,
    /// Every message, by flow, for the `--html` report.
    pub(crate) trace: Trace,
    /// Whether the store takes writes (None: no store); while it does not, new sessions get
    /// 503 and the HeNBs come back later.
    pub(crate) store_healthy: Option<Arc<std::sync::atomic::AtomicBool>>,
    /// Shutting down: sessions in progress finish, new ones get 503.
    pub(crate) shutting_down: bool,
    /// The store's writer (`--store`): the HeMS then persists every change before it sends
    /// what acknowledges it.
    pub(crate) store: Option<crate::store::StoreWriter>,
    /// Scripted procedures not yet submitted, by device: (procedure, delay in ms, key). They
    /// go in when the device informs, in that very session.
    pub(crate) scripts: HashMap<String, Vec<(Procedure, u64, String)>>,
    /// This state itself, for the tasks that submit delayed scripted procedures.
    pub(crate) me: std::sync::Weak<Mutex<HemsState>>,
}

/// How long a response waits for the store to commit what it acknowledges before the HeMS
/// gives up on it (503: the HeNB comes back later).
pub(crate) const STORE_WAIT: Duration = Duration::from_secs(5);

/// What the HeMS produced for a caller: its responses, and the receipts of the store writes
/// that must be committed before any of them is sent (write before send).
#[must_use]
pub(crate) struct Forwarded {
    pub(crate) responses: Vec<HemsOutput>,
    writes: Vec<oneshot::Receiver<()>>,
}

impl Forwarded {
    /// Waits for the store to commit the writes, at most `limit`: whether it did.
    pub(crate) async fn committed(&mut self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        for write in self.writes.drain(..) {
            if !matches!(tokio::time::timeout_at(deadline, write).await, Ok(Ok(()))) {
                return false;
            }
        }
        true
    }
}

/// One procedure for a device, as scripts and the API give it.
#[derive(serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Scripted {
    /// `OUI-ProductClass-Serial`.
    pub(crate) device: String,
    /// What to run.
    pub(crate) procedure: Procedure,
    /// Submit it this long after the device first informs (0: in that very session; later,
    /// the HeMS reaches the device with a Connection Request). Scripts only.
    #[serde(default)]
    pub(crate) delay_ms: u64,
    /// The submitter's key: the same key again for a device is the same procedure (run
    /// once). A script entry without one gets its file's name and position.
    #[serde(default)]
    pub(crate) key: Option<String>,
}

/// A download URL given as a path (`/files/cfg.xml`) means this HeMS's own file server.
pub(crate) fn resolve_urls(p: &mut Procedure, base: &str) {
    if let Procedure::ConfigureByFileDownload { url, .. } | Procedure::FirmwareUpgrade { url, .. } =
        p
    {
        if url.starts_with('/') {
            *url = format!("{base}{url}");
        }
    }
}

impl HemsState {
    /// Takes the HeMS's outputs: responses for the caller, store writes to the writer (their
    /// receipts for the caller to wait on), the rest to the main loop.
    pub(crate) fn forward(&mut self) -> Forwarded {
        let mut mine = Forwarded {
            responses: Vec::new(),
            writes: Vec::new(),
        };
        loop {
            match self.hems.poll_output() {
                o @ HemsOutput::Respond { .. } => mine.responses.push(o),
                HemsOutput::Persist {
                    device,
                    change,
                    events,
                } => {
                    self.on_events(&events);
                    match &self.store {
                        Some(store) => {
                            let lines = events
                                .iter()
                                .map(|e| serde_json::to_string(e).expect("events serialize"))
                                .collect();
                            let next = self.hems.next_procedure_id();
                            mine.writes.push(store.persist(device, change, lines, next));
                        }
                        None => {
                            for e in events {
                                let _ = self.events.send(HemsOutput::Event(e));
                            }
                        }
                    }
                }
                HemsOutput::Timeout(_) | HemsOutput::Idle => return mine,
                HemsOutput::Event(e) => {
                    self.on_events(std::slice::from_ref(&e));
                    let _ = self.events.send(HemsOutput::Event(e));
                }
                other => {
                    let _ = self.events.send(other);
                }
            }
        }
    }

    /// A device informed: its scripted procedures go in now, while its session is open
    /// (keyed: one an earlier process submitted is not submitted again). Their outputs are
    /// drained by the `forward` that saw the Inform.
    fn on_events(&mut self, events: &[HemsEvent]) {
        for e in events {
            if let HemsEvent::Informed { device, .. } = e {
                self.submit_scripted(device);
            }
        }
    }

    /// Submits the scripted procedures of `device` (those with a delay, later).
    pub(crate) fn submit_scripted(&mut self, device: &str) {
        let t = now(self.start);
        for (p, delay, key) in self.scripts.remove(device).unwrap_or_default() {
            if delay == 0 {
                self.hems.submit_keyed(device, p, &key, t);
                continue;
            }
            let me = self.me.clone();
            let device = device.to_owned();
            tokio::spawn(async move {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                let Some(state) = me.upgrade() else { return };
                let mut s = state.lock().expect("state");
                let t = now(s.start);
                s.hems.submit_keyed(&device, p, &key, t);
                drop(s.forward()); // its store write goes on; nobody waits for an answer
            });
        }
    }
}

fn basic_ok(req: &Request<Incoming>, auth: &Option<(String, String)>) -> bool {
    let Some((user, password)) = auth else {
        return true;
    };
    let want = femtocwmp::session::authorization_for(
        &["Basic realm=\"files\""],
        user,
        password,
        "GET",
        "/",
        "",
    );
    req.headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        == want.as_deref()
}

async fn hems_request(
    state: Shared<HemsState>,
    conn: u64,
    req: Request<Incoming>,
    limits: ServerLimits,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    if method == hyper::Method::GET {
        // the file server of Figure 5-1
        let mut st = state.lock().expect("state");
        let ok = basic_ok(&req, &st.file_auth);
        let (status, body) = match (ok, st.files.get(&path)) {
            (false, _) => (401, Vec::new()),
            (true, Some(f)) => (200, f.clone()),
            (true, None) => (404, Vec::new()),
        };
        let (from, label) = (st.trace.current_device(), format!("GET {path}"));
        st.trace.record(&from, "file server", &label);
        st.trace
            .record("file server", &from, &format!("HTTP {status}"));
        if !st.quiet {
            println!("    file server: GET {path} -> {status}");
        }
        let mut r = Response::builder().status(status);
        if status == 401 {
            r = r.header("WWW-Authenticate", "Basic realm=\"files\"");
        }
        return Ok(r.body(Full::new(Bytes::from(body))).expect("response"));
    }
    // the request target, for Digest's uri check
    let mut headers: Vec<(String, String)> = vec![(PATH_HEADER.to_owned(), req.uri().to_string())];
    headers.extend(
        req.headers()
            .iter()
            .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())),
    );
    // the body within its bounds: a declared length is checked before reading, a chunked
    // one while it arrives
    let declared = req
        .headers()
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limits.max_body_bytes as u64) {
        return Ok(status_response(413));
    }
    // a request that would open a session is authenticated on its head: the body of an
    // unauthenticated client is never read
    {
        let mut st = state.lock().expect("state");
        let store_down = st
            .store_healthy
            .as_ref()
            .is_some_and(|ok| !ok.load(std::sync::atomic::Ordering::SeqCst));
        if (store_down || st.shutting_down) && !st.hems.has_session(conn) {
            // nothing new is taken on while it could not be kept, or while this process
            // stops: the HeNB retries later
            return Ok(status_response(503));
        }
        let t = now(st.start);
        let h: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        if !st.hems.handle_request_head(conn, &h, t) {
            let refusal = st.forward().responses.into_iter().find_map(|o| match o {
                HemsOutput::Respond { conn: c, response } if c == conn => Some(response),
                _ => None,
            });
            let r = refusal.expect("a refused head is answered");
            let mut b = Response::builder().status(r.status);
            for (k, v) in &r.headers {
                b = b.header(k, v);
            }
            return Ok(b.body(Full::new(Bytes::from(r.body))).expect("response"));
        }
    }
    let reading = Limited::new(req.into_body(), limits.max_body_bytes).collect();
    let body = match tokio::time::timeout(limits.body_timeout, reading).await {
        Ok(Ok(b)) => b.to_bytes(),
        Ok(Err(e)) if e.is::<LengthLimitError>() => return Ok(status_response(413)),
        Ok(Err(_)) => return Ok(status_response(400)),
        Err(_) => return Ok(status_response(408)),
    };
    // the state's lock is held within this block only: never across an await
    let (r, mut forwarded, name, observed) = {
        let mut st = state.lock().expect("state");
        if st.shutting_down && !st.hems.has_session(conn) {
            // the process began to stop while the body arrived: no new session now
            return Ok(status_response(503));
        }
        let t = now(st.start);
        let h: Vec<(&str, &str)> = headers
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        // describing the messages costs decodes: only when someone looks
        let observed = !st.quiet || st.trace.is_recording();
        let mut name = String::new();
        if observed {
            let who = decode(&body).ok().and_then(|e| match e.body {
                Body::Inform(i) => Some(i.device_id.serial_number),
                _ => None,
            });
            if let Some(serial) = who {
                st.names.insert(conn.to_string(), serial);
            }
            name = st
                .names
                .get(&conn.to_string())
                .cloned()
                .unwrap_or_else(|| format!("conn {conn}"));
            let what = describe(&body);
            st.trace.record(&name, "HeMS", &what);
            if !st.quiet {
                println!("    {name:<10} -> HeMS        {what}");
            }
        }
        tracing::trace!(conn, bytes = body.len(), "HTTP request");
        st.hems.handle_http_request(conn, &h, &body, t);
        let mut forwarded = st.forward();
        let mut response = None;
        for o in forwarded.responses.drain(..) {
            if let HemsOutput::Respond {
                conn: c,
                response: r,
            } = o
            {
                if c == conn {
                    response = Some(r);
                }
            }
        }
        let r = response.expect("the HeMS answers every request");
        (r, forwarded, name, observed)
    };
    // write before send: what the response acknowledges is committed first; if the store
    // cannot take it, the response is not sent (the HeNB comes back later)
    if !forwarded.committed(STORE_WAIT).await {
        tracing::warn!(
            conn,
            "the store did not commit in time: 503 instead of the response"
        );
        let mut busy = status_response(503);
        busy.headers_mut().insert(
            hyper::header::CONNECTION,
            hyper::header::HeaderValue::from_static("close"),
        );
        return Ok(busy);
    }
    if observed {
        let mut st = state.lock().expect("state");
        let what = if r.body.is_empty() {
            format!("HTTP {}", r.status)
        } else {
            describe(&r.body)
        };
        st.trace.record("HeMS", &name, &what);
        if !st.quiet {
            println!("    HeMS       -> {name:<10} {what}");
        }
    }
    let mut b = Response::builder().status(r.status);
    for (k, v) in &r.headers {
        b = b.header(k, v);
    }
    Ok(b.body(Full::new(Bytes::from(r.body))).expect("response"))
}

/// Drives the HeMS's timers (session timeouts, procedure deadlines, Connection Request
/// retries) every 100 ms; what they produce goes out through `HemsState::forward`.
pub(crate) fn spawn_hems_timers(state: Arc<Mutex<HemsState>>) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(Duration::from_millis(100)).await;
            let mut s = state.lock().expect("state");
            let t = now(s.start);
            s.hems.handle_timeout(t);
            drop(s.forward()); // the store writes go on without anyone waiting
        }
    });
}

/// A response with only a status (and `Retry-After` for 503).
fn status_response(status: u16) -> Response<Full<Bytes>> {
    let mut r = Response::builder().status(status);
    if status == 503 {
        r = r.header("Retry-After", "10");
    }
    r.body(Full::new(Bytes::new())).expect("response")
}

/// Serves the HeMS (and its file server) on `listen` within `limits`: every accept error is
/// survived (descriptors exhausted, connection aborted...: logged, a short backoff, go on),
/// connections beyond the caps get 503 and are closed, and each connection is held only as
/// long as its timeouts allow.
///
/// Once `shutdown` is asked, the listener closes, idle connections are closed, and a
/// connection whose session is in progress is served until that session ends or the grace
/// period is over. The returned [`Connections`] tell how many are still open.
pub(crate) async fn serve_hems(
    state: Shared<HemsState>,
    listen: &str,
    tls: Option<TlsAcceptor>,
    limits: ServerLimits,
    shutdown: Shutdown,
) -> std::io::Result<(SocketAddr, Arc<Connections>)> {
    let listener = crate::limits::bind_listener(listen).await?;
    let addr = listener.local_addr()?;
    let connections = Arc::new(Connections::default());
    let open = connections.clone();
    tokio::spawn(async move {
        let mut next = 1u64;
        let mut backoff = Duration::from_millis(10);
        let mut stop = shutdown.clone();
        loop {
            let accepted = tokio::select! {
                a = listener.accept() => a,
                _ = stop.requested() => break, // the listener closes here
            };
            let (tcp, peer) = match accepted {
                Ok(c) => {
                    backoff = Duration::from_millis(10);
                    c
                }
                Err(e) => {
                    // EMFILE/ENFILE (descriptors exhausted), ECONNABORTED...: the listener
                    // is fine; wait a little for descriptors to come back
                    tracing::warn!("accept failed: {e}; retrying in {backoff:?}");
                    tokio::time::sleep(backoff).await;
                    backoff = (backoff * 2).min(Duration::from_secs(1));
                    continue;
                }
            };
            let admitted = match connections.admit(peer.ip(), &limits) {
                Ok(a) => a,
                Err(why) => {
                    tracing::warn!(%peer, "refused a connection: {why}");
                    if tls.is_none() {
                        // plain HTTP: say so (a fresh socket's buffer takes it at once); on
                        // TLS the handshake alone would cost more than the refusal is worth
                        let busy = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 10\r\n\
                                     Content-Length: 0\r\nConnection: close\r\n\r\n";
                        let _ = tcp.try_write(busy);
                    }
                    continue;
                }
            };
            let conn = next;
            next += 1;
            tokio::spawn(serve_connection(
                state.clone(),
                conn,
                tcp,
                tls.clone(),
                limits,
                shutdown.clone(),
                admitted,
            ));
        }
    });
    Ok((addr, open))
}

/// Serves one admitted connection until it ends. Until its first byte arrives, it costs its
/// socket and this task only (hyper's buffers and the TLS state come with that byte), so that
/// thousands of idle connections cost little. Once shutdown is asked, the session it carries
/// may finish within the grace period, then it closes after the response in flight.
async fn serve_connection(
    st: Shared<HemsState>,
    conn: femtocwmp::hems::ConnectionId,
    tcp: TcpStream,
    tls: Option<TlsAcceptor>,
    limits: ServerLimits,
    shutdown: Shutdown,
    admitted: Admitted,
) {
    let _admitted = admitted; // the place is given back when the task ends
    let peer = match tcp.peer_addr() {
        Ok(a) => a,
        Err(_) => return,
    };
    let mut stop = shutdown.clone();
    // nothing said yet: a silent client waits within the header (or TLS handshake) timeout
    let first_byte_within = match tls {
        None => limits.header_timeout.min(limits.idle_timeout),
        Some(_) => limits.tls_handshake_timeout,
    };
    let mut first = [0u8; 1];
    tokio::select! {
        r = tokio::time::timeout(first_byte_within, tcp.peek(&mut first)) => {
            if !matches!(r, Ok(Ok(1))) {
                return; // silent past the timeout, closed, or failed
            }
        }
        _ = stop.requested() => return,
    }
    let mut info = ConnectionInfo {
        peer: Some(peer.ip().to_string()),
        tls: tls.is_some(),
        client_certificate: None,
    };
    let stream: Box<dyn Stream> = match tls {
        None => Box::new(IdleTimeout::new(tcp, limits.idle_timeout)),
        Some(acceptor) => {
            let handshake =
                tokio::time::timeout(limits.tls_handshake_timeout, acceptor.accept(tcp));
            match handshake.await {
                Ok(Ok(s)) => {
                    // the certificate rustls verified: its names, for the device binding
                    info.client_certificate = s
                        .get_ref()
                        .1
                        .peer_certificates()
                        .and_then(|c| c.first())
                        .and_then(|c| crate::tls::certificate_identity(c));
                    Box::new(IdleTimeout::new(s, limits.idle_timeout))
                }
                Ok(Err(e)) => {
                    tracing::warn!(%peer, "TLS handshake with {peer} failed: {e}");
                    return;
                }
                Err(_) => {
                    tracing::warn!(%peer, "TLS handshake with {peer} timed out");
                    return;
                }
            }
        }
    };
    st.lock().expect("state").hems.connection_opened(conn, info);
    let svc = service_fn(|req| hems_request(st.clone(), conn, req, limits));
    let mut served = Box::pin(
        hyper::server::conn::http1::Builder::new()
            .timer(hyper_util::rt::TokioTimer::new())
            .header_read_timeout(limits.header_timeout)
            .max_buf_size(limits.max_header_bytes.max(8192))
            .serve_connection(TokioIo::new(stream), svc),
    );
    let finished = tokio::select! {
        _ = served.as_mut() => true,
        _ = stop.requested() => false,
    };
    if !finished {
        // shutting down: the session in progress may finish within the grace, then the
        // connection closes after the response in flight
        let deadline = tokio::time::Instant::now() + shutdown.grace;
        let mut open = true;
        while open
            && tokio::time::Instant::now() < deadline
            && st.lock().expect("state").hems.has_session(conn)
        {
            tokio::select! {
                _ = served.as_mut() => open = false,
                _ = tokio::time::sleep(Duration::from_millis(20)) => {}
            }
        }
        if open {
            served.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(Duration::from_secs(2), served).await;
        }
    }
    let mut s = st.lock().expect("state");
    let t = now(s.start);
    s.hems.handle_connection_closed(conn, t);
    drop(s.forward());
}

/// Commands to a HeNB task.
pub(crate) enum HenbCommand {
    /// The inner IPsec address changed (TS 32.593 5.1.4).
    SetIpsec(String),
    /// A Connection Request arrived on the HeNB's listener; answer with its status.
    ConnectionRequest {
        headers: Vec<(String, String)>,
        reply: oneshot::Sender<(u16, Vec<(String, String)>)>,
    },
}

/// Where Connection Requests go: URL path -> the HeNB task that answers it.
pub(crate) type CrRoutes = Arc<Mutex<HashMap<String, mpsc::UnboundedSender<HenbCommand>>>>;

/// A Connection Request listener (TR-069 3.2.2) for one or many simulated HeNBs, each at its
/// own path: each GET goes to that HeNB's agent, which checks it and answers at once; an
/// unknown path gets 404.
pub(crate) async fn serve_connection_requests(routes: CrRoutes) -> std::io::Result<SocketAddr> {
    let listener = TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            let routes = routes.clone();
            tokio::spawn(async move {
                let svc = service_fn(move |req: Request<Incoming>| {
                    let henb = routes
                        .lock()
                        .expect("routes")
                        .get(req.uri().path())
                        .cloned();
                    async move {
                        let headers = req
                            .headers()
                            .iter()
                            .map(|(k, v)| {
                                (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned())
                            })
                            .collect();
                        let (status, headers) = match henb {
                            Some(commands) => {
                                let (tx, rx) = oneshot::channel();
                                let _ = commands
                                    .send(HenbCommand::ConnectionRequest { headers, reply: tx });
                                rx.await.unwrap_or((503, Vec::new()))
                            }
                            None => (404, Vec::new()),
                        };
                        let mut b = Response::builder().status(status);
                        for (k, v) in headers {
                            b = b.header(k, v);
                        }
                        Ok::<_, hyper::Error>(b.body(Full::new(Bytes::new())).expect("response"))
                    }
                });
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(stream), svc)
                    .await;
            });
        }
    });
    Ok(addr)
}

/// Sends a Connection Request (HTTP GET, answering a Digest challenge) to a HeNB.
pub(crate) async fn send_connection_request(
    url: String,
    username: String,
    password: String,
) -> Result<u16, String> {
    let authority = url
        .split_once("://")
        .map(|(_, r)| r.split('/').next().unwrap_or(""))
        .unwrap_or("")
        .to_owned();
    let addr: SocketAddr = authority
        .parse()
        .map_err(|_| format!("bad Connection Request URL {url}"))?;
    let mut authorization: Option<String> = None;
    for _ in 0..2 {
        let stream = TcpStream::connect(addr)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
            .await
            .map_err(|e| e.to_string())?;
        tokio::spawn(conn);
        let mut b = Request::get(url.as_str()).header("Host", authority.as_str());
        if let Some(a) = &authorization {
            b = b.header("Authorization", a);
        }
        let resp = sender
            .send_request(b.body(Full::new(Bytes::new())).map_err(|e| e.to_string())?)
            .await
            .map_err(|e| e.to_string())?;
        let status = resp.status().as_u16();
        if status != 401 {
            return Ok(status);
        }
        let challenge: Vec<String> = resp
            .headers()
            .get_all("www-authenticate")
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        let refs: Vec<&str> = challenge.iter().map(String::as_str).collect();
        authorization = femtocwmp::session::authorization_for(
            &refs,
            &username,
            &password,
            "GET",
            &url,
            &crate::random_hex(),
        );
        // TR-069 3.2.2: Connection Requests are Digest; a device (or whoever holds its
        // address) asking for Basic would get the password in clear
        if authorization
            .as_deref()
            .is_some_and(|a| a.starts_with("Basic "))
        {
            return Err(format!(
                "{url} asks for Basic authentication: refused (Connection Requests use Digest)"
            ));
        }
    }
    Ok(401)
}

/// One HTTP/1.1 connection to the HeMS, kept for a session.
struct Link {
    sender: hyper::client::conn::http1::SendRequest<Full<Bytes>>,
}

async fn connect(dialer: &Dialer) -> Result<Link, String> {
    let stream = dialer.dial().await?;
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| e.to_string())?;
    tokio::spawn(conn);
    Ok(Link { sender })
}

/// An error and its causes, e.g. "connection error: received fatal alert: CertificateRequired".
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
        cause = c.source();
    }
    text
}

async fn post(
    link: &mut Link,
    p: &HttpRequest,
) -> Result<(u16, Vec<(String, String)>, Vec<u8>), String> {
    let mut b = Request::post(p.url.as_str()).header("Host", "hems");
    for (k, v) in &p.headers {
        b = b.header(k, v);
    }
    let req = b
        .body(Full::new(Bytes::from(p.body.clone())))
        .map_err(|e| e.to_string())?;
    let resp = link
        .sender
        .send_request(req)
        .await
        .map_err(|e| error_chain(&e))?;
    let status = resp.status().as_u16();
    let headers = resp
        .headers()
        .iter()
        .map(|(k, v)| (k.as_str().to_owned(), v.to_str().unwrap_or("").to_owned()))
        .collect();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| e.to_string())?
        .to_bytes()
        .to_vec();
    Ok((status, headers, body))
}

/// Where a Download's file is: the HeMS's own address (then with its TLS) or another host.
async fn file_server(hems: &Dialer, url: &str) -> Result<Dialer, (FaultCode, String)> {
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err((
            FaultCode::UnsupportedTransferProtocol,
            format!("{url} is not a URL"),
        ));
    };
    let https = scheme.eq_ignore_ascii_case("https");
    let authority = rest.split('/').next().unwrap_or("");
    let (host, lookup) = match authority.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => (h, authority.to_owned()),
        _ => (
            authority,
            format!("{authority}:{}", if https { 443 } else { 80 }),
        ),
    };
    let addr = tokio::net::lookup_host(lookup.as_str())
        .await
        .ok()
        .and_then(|mut a| a.next())
        .ok_or_else(|| {
            (
                FaultCode::FileServerUnreachable,
                format!("cannot resolve {authority}"),
            )
        })?;
    if addr == hems.addr && https == hems.tls.is_some() {
        return Ok(hems.clone());
    }
    let tls = if https {
        let Some((connector, _)) = &hems.tls else {
            return Err((
                FaultCode::UnsupportedTransferProtocol,
                format!("{url}: https needs the HeNBs' --ca"),
            ));
        };
        let name =
            crate::tls::server_name(host).map_err(|e| (FaultCode::FileServerUnreachable, e))?;
        Some((connector.clone(), name))
    } else {
        None
    };
    Ok(Dialer { addr, tls })
}

async fn fetch(
    server: &Dialer,
    url: &str,
    username: &str,
    password: &str,
) -> Result<Vec<u8>, (FaultCode, String)> {
    let path = url
        .split_once("://")
        .and_then(|(_, r)| r.find('/').map(|i| r[i..].to_owned()))
        .unwrap_or_else(|| "/".into());
    let stream = server
        .dial()
        .await
        .map_err(|e| (FaultCode::FileServerUnreachable, e))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| (FaultCode::FileServerUnreachable, e.to_string()))?;
    tokio::spawn(conn);
    let auth = femtocwmp::session::authorization_for(
        &["Basic realm=\"files\""],
        username,
        password,
        "GET",
        &path,
        "",
    )
    .unwrap_or_default();
    let req = Request::get(path.as_str())
        .header("Host", "files")
        .header("Authorization", auth)
        .body(Full::new(Bytes::new()))
        .map_err(|e| (FaultCode::InternalError, e.to_string()))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| (FaultCode::DownloadIncomplete, e.to_string()))?;
    match resp.status().as_u16() {
        200 => Ok(resp
            .into_body()
            .collect()
            .await
            .map_err(|e| (FaultCode::DownloadIncomplete, e.to_string()))?
            .to_bytes()
            .to_vec()),
        401 => Err((
            FaultCode::FileTransferAuthenticationFailure,
            "the file server refused the credentials".into(),
        )),
        s => Err((FaultCode::FileAccessFailure, format!("HTTP {s}"))),
    }
}

/// Session times of simulated HeNBs, for `henb --stats` and the load bench.
#[derive(Default)]
pub(crate) struct Stats {
    /// Each completed session's duration.
    pub durations_ms: Vec<u64>,
    /// Sessions that ended otherwise.
    pub failed: usize,
    /// When the first session started and the last one ended.
    pub span: Option<(Instant, Instant)>,
}

/// Stats shared by the HeNB tasks of one process.
pub(crate) type SharedStats = Arc<Mutex<Stats>>;

impl Stats {
    fn started(&mut self, at: Instant) {
        let (first, last) = self.span.get_or_insert((at, at));
        *first = (*first).min(at);
        *last = (*last).max(at);
    }

    fn ended(&mut self, started: Instant, completed: bool) {
        let end = Instant::now();
        if completed {
            self.durations_ms
                .push(end.duration_since(started).as_millis() as u64);
        } else {
            self.failed += 1;
        }
        self.started(end);
    }

    /// One line: sessions, rate over the span, p50/p99 session time.
    pub(crate) fn summary(&self) -> String {
        let mut d = self.durations_ms.clone();
        d.sort_unstable();
        let pct = |p: f64| {
            d.get(((d.len() as f64 - 1.0) * p).round() as usize)
                .copied()
                .unwrap_or(0)
        };
        let secs = self
            .span
            .map_or(0.0, |(a, b)| b.duration_since(a).as_secs_f64())
            .max(1e-9);
        format!(
            "sessions: {} completed, {} failed, {:.0} /s, p50 {} ms, p99 {} ms",
            d.len(),
            self.failed,
            d.len() as f64 / secs,
            pct(0.5),
            pct(0.99)
        )
    }
}

/// A simulated HeNB: its agent and the I/O around it.
pub(crate) async fn run_henb(
    mut agent: Agent,
    hems: Dialer,
    mut commands: mpsc::UnboundedReceiver<HenbCommand>,
    start: Instant,
    stats: Option<SharedStats>,
    state: Option<std::path::PathBuf>,
) {
    let mut session_start = Instant::now();
    let mut link: Option<Link> = None;
    let mut reported = false; // the first failure to connect is worth a line, not every retry
    loop {
        let mut wait = None;
        loop {
            match agent.poll_output() {
                Output::Transmit(p) => {
                    // the session timeout bounds the wait for the HeMS too (connect, then
                    // each response); past it the session fails and the TR-069 retry follows
                    let limit = Duration::from_millis(agent.config().session.session_timeout_ms);
                    if link.is_none() {
                        let connected = tokio::time::timeout(limit, connect(&hems))
                            .await
                            .unwrap_or_else(|_| {
                                Err("no connection within the session timeout".into())
                            });
                        match connected {
                            Ok(l) => link = Some(l),
                            Err(e) => {
                                if !reported {
                                    let serial =
                                        agent.model().value("Device.DeviceInfo.SerialNumber");
                                    tracing::warn!("HeNB {}: {e}", serial.unwrap_or("?"));
                                    reported = true;
                                }
                                agent.handle_transport_failed(&e, now(start));
                                continue;
                            }
                        }
                    }
                    let answered =
                        tokio::time::timeout(limit, post(link.as_mut().expect("connected"), &p))
                            .await
                            .unwrap_or_else(|_| {
                                Err("no answer within the session timeout".to_owned())
                            });
                    match answered {
                        Ok((status, headers, body)) => {
                            let h: Vec<(&str, &str)> = headers
                                .iter()
                                .map(|(k, v)| (k.as_str(), v.as_str()))
                                .collect();
                            agent.handle_http_response(status, &h, &body, now(start));
                        }
                        Err(e) => {
                            link = None;
                            if !reported {
                                let serial = agent.model().value("Device.DeviceInfo.SerialNumber");
                                tracing::warn!(
                                    "HeNB {}: the HeMS did not answer: {e}",
                                    serial.unwrap_or("?")
                                );
                                reported = true;
                            }
                            agent.handle_transport_failed(&e, now(start));
                        }
                    }
                    if !agent.in_session() {
                        link = None; // the session is over: close the connection
                    }
                }
                Output::Event(AgentEvent::DownloadRequested {
                    command_key,
                    url,
                    username,
                    password,
                    ..
                }) => {
                    let result = match file_server(&hems, &url).await {
                        Ok(server) => fetch(&server, &url, &username, &password).await,
                        Err(fault) => Err(fault),
                    };
                    agent.download_finished(&command_key, result, now(start));
                }
                Output::Event(AgentEvent::PersistState { snapshot }) => {
                    // write before send: on disk before whatever follows it
                    if let Some(path) = &state {
                        if let Err(e) = write_state(path, &snapshot) {
                            tracing::warn!("{}: cannot keep the HeNB's state: {e}", path.display());
                        }
                    }
                }
                Output::Event(AgentEvent::SessionStarted { .. }) => {
                    session_start = Instant::now();
                    if let Some(s) = &stats {
                        s.lock().expect("stats").started(session_start);
                    }
                }
                Output::Event(AgentEvent::SessionEnded(outcome)) => {
                    tracing::debug!(
                        serial = agent.model().value("Device.DeviceInfo.SerialNumber"),
                        reason = ?outcome.reason,
                        "HeNB session ended"
                    );
                    if let Some(s) = &stats {
                        let completed = matches!(outcome.reason, EndReason::Completed);
                        s.lock().expect("stats").ended(session_start, completed);
                    }
                }
                Output::Event(_) => {}
                Output::Timeout(t) => {
                    wait = Some(t);
                    break;
                }
                Output::Idle => break,
            }
        }
        let sleep = match wait {
            Some(t) => Duration::from_millis(t.0.saturating_sub(now(start).0)),
            None => Duration::from_secs(3600),
        };
        tokio::select! {
            _ = tokio::time::sleep(sleep) => agent.handle_timeout(now(start)),
            cmd = commands.recv() => match cmd {
                Some(HenbCommand::SetIpsec(a)) => agent.set_ipsec_address(&a, now(start)),
                Some(HenbCommand::ConnectionRequest { headers, reply }) => {
                    let h: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
                    let r = agent.handle_connection_request("GET", &h, now(start));
                    let _ = reply.send((r.status, r.headers));
                }
                None => return,
            },
        }
    }
}

/// Writes a HeNB's state file whole or not at all (a new file, synced, renamed over the old).
fn write_state(
    path: &std::path::Path,
    snapshot: &femtocwmp::henb::AgentSnapshot,
) -> std::io::Result<()> {
    use std::io::Write;
    let bytes = serde_json::to_vec(snapshot).expect("snapshots serialize");
    let fresh = path.with_extension("json.new");
    let mut file = std::fs::File::create(&fresh)?;
    file.write_all(&bytes)?;
    file.sync_data()?;
    std::fs::rename(&fresh, path)
}

/// The progress line of a long (or quiet) demo, on standard error: rewritten in place on a
/// terminal, one line per tenth of the work otherwise.
struct Progress {
    total: usize,
    done: usize,
    failed: usize,
    on: bool,
    terminal: bool,
    started: Instant,
}

impl Progress {
    fn new(total: usize, on: bool) -> Progress {
        Progress {
            total,
            done: 0,
            failed: 0,
            on,
            terminal: std::io::IsTerminal::is_terminal(&std::io::stderr()),
            started: Instant::now(),
        }
    }

    fn tick(&mut self, ok: bool) {
        self.done += 1;
        self.failed += usize::from(!ok);
        if !self.on {
            return;
        }
        let line = format!(
            "progress: {}/{} procedures, {} failed, {:.1} s",
            self.done,
            self.total,
            self.failed,
            self.started.elapsed().as_secs_f64()
        );
        if self.terminal {
            eprint!("\r{line}");
        } else if self.done * 10 / self.total != (self.done - 1) * 10 / self.total {
            eprintln!("{line}");
        }
    }

    fn finish(&self) {
        if self.on && self.terminal {
            eprintln!();
        }
    }
}

/// One row of the summary.
struct Row {
    device: String,
    procedure: &'static str,
    outcome: String,
    ok: bool,
    took: Duration,
}

/// Runs the demo; returns whether every procedure succeeded; with `html`, writes the report.
pub async fn run(henbs: usize, quiet: bool, html: Option<&str>) -> Result<bool, String> {
    // open the report first: a path that cannot be written fails before the run, not after
    let mut report = html
        .map(|path| {
            std::fs::File::create(path)
                .map(|f| (path, f))
                .map_err(|e| format!("cannot write {path}: {e}"))
        })
        .transpose()?;
    let start = Instant::now();
    let (events_tx, mut events) = mpsc::unbounded_channel();
    let cfg = ConfigFile {
        file_format_version: "32.594 V14.0.0".into(),
        vendor_name: "femtocwmp demo".into(),
        parameters: vec![
            (format!("{RF}EARFCNDL"), "1350".into()),
            (format!("{RF}EARFCNUL"), "19350".into()),
            (
                "Device.Services.FAPService.1.FAPControl.LTE.AdminState".into(),
                "1".into(),
            ),
        ],
        ..ConfigFile::default()
    };
    let mut files = HashMap::new();
    files.insert("/files/henb-config.xml".to_owned(), cfg.to_xml());
    // each demo HeNB authenticates with its own Digest credentials and may speak for its
    // own device only (the HeMS's device table); the same table gives the HeMS each HeNB's
    // Connection Request password
    let mut hems = Hems::new(HemsConfig {
        auth: AuthConfig {
            policy: AuthPolicy::Devices {
                scheme: AuthScheme::Digest,
            },
            nonce_secret: format!("demo-{}", std::process::id()),
            ..AuthConfig::default()
        },
        registration: Registration::ListedOnly,
        ..HemsConfig::default()
    });
    hems.set_credential_source(Box::new(demo_devices(henbs)));
    let state = Arc::new_cyclic(|me| {
        Mutex::new(HemsState {
            hems,
            names: HashMap::new(),
            events: events_tx,
            start,
            files,
            file_auth: Some((FILE_USER.into(), FILE_PASSWORD.into())),
            quiet,
            trace: if html.is_some() {
                Trace::recording()
            } else {
                Trace::default()
            },
            store_healthy: None,
            shutting_down: false,
            store: None,
            scripts: HashMap::new(),
            me: me.clone(),
        })
    });
    let (addr, _) = serve_hems(
        state.clone(),
        "127.0.0.1:0",
        None,
        ServerLimits::default(),
        Shutdown::never(),
    )
    .await
    .map_err(|e| format!("cannot listen on loopback: {e}"))?;
    let hems_url = format!("http://{addr}/cwmp");
    println!("HeMS and file server listening on http://{addr} ({henbs} HeNBs)\n");

    spawn_hems_timers(state.clone());

    let mut henb_tx = Vec::new();
    let mut keys = Vec::new();
    let mut serials = Vec::new();
    for i in 1..=henbs {
        let id = DeviceIdStruct {
            manufacturer: "Acme Small Cells".into(),
            oui: "00A0C6".into(),
            product_class: "FAP-LTE-B37".into(),
            serial_number: format!("HeNB-{i}"),
        };
        keys.push(id.device_key());
        serials.push(id.serial_number.clone());
        let (tx, rx) = mpsc::unbounded_channel();
        // each demo HeNB listens on its own port, as real ones do
        let routes = CrRoutes::default();
        routes
            .lock()
            .expect("routes")
            .insert("/cr".into(), tx.clone());
        let cr = serve_connection_requests(routes)
            .await
            .map_err(|e| format!("cannot listen on loopback: {e}"))?;
        let info = FemtocellInfo {
            device_id: id.clone(),
            acs_url: hems_url.clone(),
            connection_request_url: format!("http://{cr}/cr"),
            software_version: "BC_4.3.7".into(),
            ipsec_address: format!("172.16.0.{}", 10 + i),
            password: Some(demo_password(i)),
            connection_request_password: Some(demo_cr_password(i)),
            ..FemtocellInfo::default()
        };
        let config = AgentConfig {
            device_id: id,
            session: CpeConfig::default(),
            rng_seed: i as u64,
            ..AgentConfig::default()
        };
        let agent = Agent::new(config, femtocell_model(&info), now(start));
        henb_tx.push(tx);
        tokio::spawn(run_henb(agent, Dialer::plain(addr), rx, start, None, None));
    }

    let begin = |title: &str, device: Option<&str>| {
        state.lock().expect("state").trace.begin(title, device);
    };
    begin(
        "Registration: each HeNB's first session (0 BOOTSTRAP, 1 BOOT)",
        None,
    );
    println!("== Registration: each HeNB's first session (0 BOOTSTRAP, 1 BOOT)");
    let mut registered = 0;
    let deadline = Instant::now() + Duration::from_secs(30);
    while registered < henbs {
        match tokio::time::timeout_at(deadline.into(), events.recv()).await {
            Ok(Some(HemsOutput::Event(HemsEvent::SessionEnded { outcome, .. })))
                if outcome.is_success() =>
            {
                registered += 1
            }
            Ok(Some(_)) => {}
            _ => {
                return Err(format!(
                    "only {registered} of {henbs} HeNBs registered within 30 s"
                ))
            }
        }
    }
    let mut rows = Vec::new();
    let mut progress = Progress::new(2 * keys.len() + 1, quiet || keys.len() >= 10);
    let submit_and_wait = |procedure: Procedure, key: &str, label: &'static str| {
        let id = {
            let mut s = state.lock().expect("state");
            let t = now(start);
            s.hems.submit(key, procedure, t)
        };
        (id, key.to_owned(), label)
    };
    for (i, key) in keys.iter().enumerate() {
        for (label, procedure) in [
            (
                "5.1.2 configuration by file download",
                Procedure::ConfigureByFileDownload {
                    url: format!("http://{addr}/files/henb-config.xml"),
                    username: FILE_USER.into(),
                    password: FILE_PASSWORD.into(),
                    file_size: 0,
                    target_file_name: "config.xml".into(),
                    delay_seconds: 0,
                    timeout_ms: 60_000,
                },
            ),
            (
                "5.1.3 configuration by SetParameterValues",
                Procedure::ConfigureBySetParameterValues {
                    params: vec![
                        ParameterValueStruct::new(
                            format!("{RF}ReferenceSignalPower"),
                            Value::int(-15),
                        ),
                        ParameterValueStruct::new(
                            format!("{RF}PhyCellID"),
                            Value::unsigned_int(100 + i as u32),
                        ),
                    ],
                    parameter_key: format!("demo-{}", i + 1),
                },
            ),
        ] {
            println!("\n== TS 32.593 {label}: {key}");
            begin(&format!("TS 32.593 {label}: {key}"), Some(&serials[i]));
            let t0 = Instant::now();
            let (id, device, label) = submit_and_wait(procedure, key, label);
            let row = wait_for(&mut events, &state, id, &device, label, t0).await?;
            progress.tick(row.ok);
            rows.push(row);
        }
    }
    // Figure 5-3 on the first HeNB
    let key = keys[0].clone();
    println!("\n== TS 32.593 5.1.4 IPsec tunnel address change: {key}");
    begin(
        &format!("TS 32.593 5.1.4 IPsec tunnel address change: {key}"),
        Some(&serials[0]),
    );
    let t0 = Instant::now();
    let new_address = "172.16.1.200".to_owned();
    henb_tx[0]
        .send(HenbCommand::SetIpsec(new_address.clone()))
        .map_err(|_| "the HeNB task stopped".to_owned())?;
    let deadline = Instant::now() + Duration::from_secs(30);
    let row = loop {
        match tokio::time::timeout_at(deadline.into(), events.recv()).await {
            Ok(Some(HemsOutput::Event(HemsEvent::IpsecAddressChanged { device, old, new })))
                if device == key =>
            {
                let ok = new == new_address;
                break Row {
                    device,
                    procedure: "5.1.4 IPsec address change",
                    outcome: match old {
                        Some(old) => format!("HeMS updated {old} -> {new}"),
                        None => format!("HeMS learnt {new} (no earlier address on record)"),
                    },
                    ok,
                    took: t0.elapsed(),
                };
            }
            Ok(Some(_)) => {}
            _ => {
                break Row {
                    device: key.clone(),
                    procedure: "5.1.4 IPsec address change",
                    outcome: "no Inform within 30 s".into(),
                    ok: false,
                    took: t0.elapsed(),
                }
            }
        }
    };
    progress.tick(row.ok);
    rows.push(row);
    progress.finish();
    tokio::time::sleep(Duration::from_millis(50)).await;

    println!(
        "\n{:<28} {:<44} {:<8} {:>8}  detail",
        "device", "procedure", "outcome", "time"
    );
    let mut all_ok = true;
    for r in &rows {
        all_ok &= r.ok;
        println!(
            "{:<28} {:<44} {:<8} {:>6.1}ms  {}",
            r.device,
            r.procedure,
            if r.ok { "success" } else { "FAILED" },
            r.took.as_secs_f64() * 1000.0,
            r.outcome
        );
    }
    println!(
        "\n{} procedures, {} failed.",
        rows.len(),
        rows.iter().filter(|r| !r.ok).count()
    );
    if let Some((path, file)) = report.as_mut() {
        let summary: Vec<SummaryRow> = rows
            .iter()
            .map(|r| SummaryRow {
                device: &r.device,
                procedure: r.procedure,
                ok: r.ok,
                millis: r.took.as_secs_f64() * 1000.0,
                detail: &r.outcome,
            })
            .collect();
        let page = state.lock().expect("state").trace.html(&summary);
        std::io::Write::write_all(file, page.as_bytes())
            .map_err(|e| format!("cannot write {path}: {e}"))?;
        println!("report with the sequence diagrams: {path}");
    }
    Ok(all_ok)
}

async fn wait_for(
    events: &mut mpsc::UnboundedReceiver<HemsOutput>,
    state: &Mutex<HemsState>,
    id: ProcedureId,
    device: &str,
    label: &'static str,
    t0: Instant,
) -> Result<Row, String> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match tokio::time::timeout_at(deadline.into(), events.recv()).await {
            Ok(Some(HemsOutput::ConnectionRequest {
                device: d,
                url,
                username,
                password,
            })) => {
                println!("    HeMS       -> {d} Connection Request: GET {url}");
                {
                    let mut st = state.lock().expect("state");
                    let to = st.trace.current_device();
                    st.trace
                        .record("HeMS", &to, "Connection Request (HTTP GET)");
                }
                tokio::spawn(async move {
                    match send_connection_request(url, username, password).await {
                        Ok(200) | Ok(204) => {}
                        Ok(s) => tracing::warn!("Connection Request to {d} answered {s}"),
                        Err(e) => tracing::warn!("Connection Request to {d} failed: {e}"),
                    }
                });
            }
            Ok(Some(HemsOutput::Event(HemsEvent::ProcedureFinished {
                id: i, outcome, ..
            }))) if i == id => {
                let (ok, text) = match &outcome {
                    ProcedureOutcome::Success {
                        transfer: Some(tc), ..
                    } => (
                        true,
                        format!("TransferComplete FaultCode {}", tc.fault_struct.fault_code),
                    ),
                    ProcedureOutcome::Success { response, .. } => {
                        (true, response.method_name().to_owned())
                    }
                    ProcedureOutcome::Fault(f) => {
                        (false, format!("fault {} {}", f.fault_code, f.fault_string))
                    }
                    ProcedureOutcome::TransferFailed(tc) => (
                        false,
                        format!(
                            "TransferComplete fault {} {}",
                            tc.fault_struct.fault_code, tc.fault_struct.fault_string
                        ),
                    ),
                    ProcedureOutcome::TimedOut => (false, "no TransferComplete in time".into()),
                    _ => (false, "?".into()),
                };
                return Ok(Row {
                    device: device.to_owned(),
                    procedure: label,
                    outcome: text,
                    ok,
                    took: t0.elapsed(),
                });
            }
            Ok(Some(_)) => {}
            Ok(None) => return Err("the HeMS stopped".into()),
            Err(_) => {
                return Ok(Row {
                    device: device.to_owned(),
                    procedure: label,
                    outcome: "timed out".into(),
                    ok: false,
                    took: t0.elapsed(),
                })
            }
        }
    }
}
