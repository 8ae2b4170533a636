//! What the HeMS's HTTP server grants one client, so that slow, idle, greedy or numerous
//! clients cannot take it from the HeNBs: connection caps (total and per address), timeouts
//! (TLS handshake, request header, idle keep-alive, request body) and a body size bound
//! checked while reading.

use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::IpAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::time::{Instant, Sleep};

/// The server's limits; every one has a default and a command-line option.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ServerLimits {
    /// Open connections at most; beyond, a new one gets 503 with Retry-After and is closed.
    pub(crate) max_connections: usize,
    /// Open connections from one address at most (HeNBs behind one NAT share an address).
    pub(crate) max_per_address: usize,
    /// A TLS handshake must finish within this.
    pub(crate) tls_handshake_timeout: Duration,
    /// A request's header must arrive whole within this (slow headers: slowloris).
    pub(crate) header_timeout: Duration,
    /// A connection with no byte in either direction for this long is closed.
    pub(crate) idle_timeout: Duration,
    /// A request's body must arrive whole within this.
    pub(crate) body_timeout: Duration,
    /// The largest request header, in bytes.
    pub(crate) max_header_bytes: usize,
    /// The largest request body, in bytes (the decoder's own limit by default): a larger
    /// Content-Length is refused before reading, a chunked body as soon as it passes it.
    pub(crate) max_body_bytes: usize,
}

impl Default for ServerLimits {
    fn default() -> Self {
        ServerLimits {
            max_connections: 10_000,
            max_per_address: 1_000,
            tls_handshake_timeout: Duration::from_secs(10),
            header_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            body_timeout: Duration::from_secs(30),
            max_header_bytes: 16 * 1024,
            max_body_bytes: femtocwmp::DecodeLimits::default().max_total_bytes,
        }
    }
}

/// How many connections the kernel queues before the HeMS accepts them (capped by the
/// system's `somaxconn`): a boot storm is queued, not dropped into SYN retransmissions.
const ACCEPT_BACKLOG: u32 = 4096;

/// Listens on `listen` (`host:port`) with a deep accept queue.
pub(crate) async fn bind_listener(listen: &str) -> io::Result<tokio::net::TcpListener> {
    let mut last = None;
    for addr in tokio::net::lookup_host(listen).await? {
        let socket = if addr.is_ipv4() {
            tokio::net::TcpSocket::new_v4()?
        } else {
            tokio::net::TcpSocket::new_v6()?
        };
        socket.set_reuseaddr(true)?;
        match socket
            .bind(addr)
            .and_then(|()| socket.listen(ACCEPT_BACKLOG))
        {
            Ok(listener) => return Ok(listener),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "no address")))
}

/// Raises this process's descriptor limit to its hard maximum (each connection costs one)
/// and warns when `max_connections` would still not fit in it; returns the limit.
pub(crate) fn raise_descriptor_limit(max_connections: usize) -> u64 {
    let limit = match rlimit::increase_nofile_limit(u64::MAX) {
        Ok(n) => n,
        Err(e) => {
            tracing::warn!("cannot raise the descriptor limit: {e}");
            rlimit::getrlimit(rlimit::Resource::NOFILE).map_or(0, |(soft, _)| soft)
        }
    };
    // the listener, the store, the log, the API and a margin for Connection Requests
    let reserve = 64;
    if (max_connections as u64).saturating_add(reserve) > limit {
        tracing::warn!(
            "--max-connections {max_connections} does not fit in {limit} descriptors: past \
             about {} connections, accepts fail (and are retried) until some close",
            limit.saturating_sub(reserve)
        );
    }
    limit
}

/// Open connections, in all and per address.
#[derive(Debug, Default)]
pub(crate) struct Connections {
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
}

/// One admitted connection; dropping it gives its place back.
pub(crate) struct Admitted {
    connections: Arc<Connections>,
    peer: IpAddr,
}

impl Connections {
    /// Admits a connection from `peer` within `limits`, or says why not.
    pub(crate) fn admit(
        self: &Arc<Self>,
        peer: IpAddr,
        limits: &ServerLimits,
    ) -> Result<Admitted, &'static str> {
        let mut open = self.open.lock().expect("connections");
        if open.0 >= limits.max_connections {
            return Err("the connection limit is reached");
        }
        let from_peer = open.1.entry(peer).or_default();
        if *from_peer >= limits.max_per_address {
            return Err("the per-address connection limit is reached");
        }
        *from_peer += 1;
        open.0 += 1;
        Ok(Admitted {
            connections: self.clone(),
            peer,
        })
    }

    /// How many connections are open.
    pub(crate) fn open(&self) -> usize {
        self.open.lock().expect("connections").0
    }
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.connections.open.lock().expect("connections");
        open.0 = open.0.saturating_sub(1);
        if let Some(n) = open.1.get_mut(&self.peer) {
            *n -= 1;
            if *n == 0 {
                open.1.remove(&self.peer);
            }
        }
    }
}

/// A stream that fails with `TimedOut` once no byte went either way for `idle`.
pub(crate) struct IdleTimeout<S> {
    inner: S,
    idle: Duration,
    deadline: Pin<Box<Sleep>>,
}

impl<S> IdleTimeout<S> {
    pub(crate) fn new(inner: S, idle: Duration) -> IdleTimeout<S> {
        IdleTimeout {
            inner,
            idle,
            deadline: Box::pin(tokio::time::sleep(idle)),
        }
    }

    fn active(&mut self) {
        let next = Instant::now() + self.idle;
        self.deadline.as_mut().reset(next);
    }

    fn expired(&mut self, cx: &mut Context<'_>) -> bool {
        self.deadline.as_mut().poll(cx).is_ready()
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for IdleTimeout<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        match Pin::new(&mut self.inner).poll_read(cx, buf) {
            Poll::Ready(r) => {
                if buf.filled().len() > before {
                    self.active();
                }
                Poll::Ready(r)
            }
            Poll::Pending if self.expired(cx) => Poll::Ready(Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "idle connection closed",
            ))),
            Poll::Pending => Poll::Pending,
        }
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for IdleTimeout<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        let r = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(r, Poll::Ready(Ok(n)) if n > 0) {
            self.active();
        }
        r
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn connections_are_counted_in_all_and_per_address() {
        let limits = ServerLimits {
            max_connections: 3,
            max_per_address: 2,
            ..ServerLimits::default()
        };
        let c = Arc::new(Connections::default());
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let first = c.admit(a, &limits).unwrap();
        let _second = c.admit(a, &limits).unwrap();
        assert!(c.admit(a, &limits).is_err(), "per address");
        let _third = c.admit(b, &limits).unwrap();
        assert!(c.admit(b, &limits).is_err(), "in all");
        drop(first);
        assert_eq!(c.open(), 2);
        assert!(c.admit(a, &limits).is_ok(), "its place was given back");
    }
}
