//! `femtocwmp hems --api-listen`: the admin API, on its own listener (never the CWMP port),
//! behind a bearer token. `POST /api/procedures` with `{"device": ..., "procedure": ...}`
//! answers `201 {"id": N}`; a body that is not a valid procedure gets 400 and why.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

use crate::demo::{now, resolve_urls, HemsState, Scripted, STORE_WAIT};

/// The largest request body the API reads.
const MAX_BODY: usize = 1 << 20;

/// What the API needs besides the HeMS.
#[derive(Clone)]
pub(crate) struct Api {
    /// The token every request must carry as `Authorization: Bearer TOKEN`.
    pub(crate) token: Arc<str>,
    /// The HeMS's own base URL, for download URLs given as a path (`/files/NAME`).
    pub(crate) base: Arc<str>,
    /// The most devices the HeMS holds (`--max-devices`): procedures for new ones beyond it
    /// are refused, as their Informs are.
    pub(crate) max_devices: usize,
}

fn token_ok(req: &Request<Incoming>, token: &str) -> bool {
    let given = req
        .headers()
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer")) // RFC 6750 2.1
        .map_or("", |(_, t)| t.trim());
    // compared in constant time
    given.len() == token.len()
        && given
            .bytes()
            .zip(token.bytes())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

fn json(status: u16, body: serde_json::Value) -> Response<Full<Bytes>> {
    let mut r = Response::builder()
        .status(status)
        .header("Content-Type", "application/json");
    if status == 401 {
        r = r.header("WWW-Authenticate", "Bearer realm=\"femtocwmp-api\"");
    }
    r.body(Full::new(Bytes::from(body.to_string())))
        .expect("response")
}

fn error(status: u16, message: impl Into<String>) -> Response<Full<Bytes>> {
    json(status, serde_json::json!({ "error": message.into() }))
}

async fn handle(
    state: Arc<Mutex<HemsState>>,
    api: Api,
    req: Request<Incoming>,
) -> Result<Response<Full<Bytes>>, hyper::Error> {
    if !token_ok(&req, &api.token) {
        return Ok(error(401, "a bearer token is required"));
    }
    if req.uri().path() != "/api/procedures" {
        return Ok(error(404, "no such endpoint (POST /api/procedures)"));
    }
    if req.method() != hyper::Method::POST {
        return Ok(error(405, "POST only"));
    }
    let body = match Limited::new(req.into_body(), MAX_BODY).collect().await {
        Ok(b) => b.to_bytes(),
        Err(_) => return Ok(error(413, format!("bodies up to {MAX_BODY} bytes"))),
    };
    let mut s: Scripted = match serde_json::from_slice(&body) {
        Ok(s) => s,
        Err(e) => return Ok(error(400, e.to_string())),
    };
    if s.delay_ms != 0 {
        return Ok(error(400, "delay_ms is for scripts"));
    }
    if let Err(e) = femtocwmp::hems::check_device_key(&s.device) {
        return Ok(error(400, e));
    }
    resolve_urls(&mut s.procedure, &api.base);
    if let Err(e) = s.procedure.check() {
        return Ok(error(400, e));
    }
    let (id, mut forwarded) = {
        let mut st = state.lock().expect("state");
        if st.hems.device(&s.device).is_none() && st.hems.device_count() >= api.max_devices {
            return Ok(error(
                503,
                format!(
                    "the device limit ({}) is reached: {} is not registered",
                    api.max_devices, s.device
                ),
            ));
        }
        let t = now(st.start);
        let id = match &s.key {
            Some(key) => st.hems.submit_keyed(&s.device, s.procedure, key, t),
            None => st.hems.submit(&s.device, s.procedure, t),
        };
        (id, st.forward())
    };
    // the id acknowledges the submission: it is stored first (with --store)
    if !forwarded.committed(STORE_WAIT).await {
        return Ok(error(
            503,
            "the store did not take the procedure; try again (with a key)",
        ));
    }
    Ok(json(201, serde_json::json!({ "id": id.0 })))
}

/// Serves the API on `listen` (a bare port means loopback); returns the address bound.
pub(crate) async fn serve_api(
    state: Arc<Mutex<HemsState>>,
    listen: &str,
    api: Api,
) -> std::io::Result<SocketAddr> {
    let listen = if listen.bytes().all(|b| b.is_ascii_digit()) {
        format!("127.0.0.1:{listen}")
    } else {
        listen.to_owned()
    };
    let listener = TcpListener::bind(&listen).await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        loop {
            let (tcp, _) = match listener.accept().await {
                Ok(c) => c,
                Err(e) => {
                    tracing::warn!("API: accept failed: {e}");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            };
            let (state, api) = (state.clone(), api.clone());
            tokio::spawn(async move {
                let svc = service_fn(move |req| handle(state.clone(), api.clone(), req));
                let _ = hyper::server::conn::http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), svc)
                    .await;
            });
        }
    });
    Ok(addr)
}
