//! Connections: accepting, limiting, timing out, TLS.
//!
//! hyper (HTTP/1.1) on tokio does the parsing; this module bounds what one client, or many, can
//! cost before a request reaches a handler:
//!
//! | limit | where | answer |
//! |---|---|---|
//! | request head (start line + headers) ≤ [`Limits::max_header_bytes`] | hyper's read buffer | 431 |
//! | header count ≤ [`Limits::max_headers`] | hyper | 431 |
//! | URI ≤ [`Limits::max_uri`] | [`serve_conn`]'s service | 414 |
//! | body ≤ [`Limits::max_body`] | the handlers' reader (server.rs) | 413 |
//! | connections ≤ [`Limits::max_conns`], per address ≤ [`Limits::max_conns_per_addr`] | [`serve`] | 503, then closed (under TLS: closed) |
//! | a request head within [`Limits::read_timeout`] of its first byte; an idle connection at most [`Limits::idle_timeout`] | [`TimedIo`] | 408, then closed |
//! | a body within [`Limits::read_timeout`] | the handlers' reader | 408 |
//! | a TLS handshake within [`Limits::read_timeout`] | [`serve`] | closed |
//!
//! Everything here runs on the tokio runtime of the console's I/O; the control loop is a thread
//! of its own and never waits for any of it.
use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::collections::HashMap;
use std::future::Future;
use std::io;
use std::net::{IpAddr, SocketAddr};
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpListener;
use tokio::time::{Instant, Sleep};
use tower::ServiceExt;

/// What one client, and all together, may cost.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Request line and headers together, bytes.
    pub max_header_bytes: usize,
    pub max_headers: usize,
    /// Path and query, bytes.
    pub max_uri: usize,
    /// Request body, bytes (commands are tiny; user management is small).
    pub max_body: usize,
    /// Open connections, all clients together (WebSockets included).
    pub max_conns: usize,
    /// Open connections from one IP address.
    pub max_conns_per_addr: usize,
    /// A request head or body must arrive within this of its first byte.
    pub read_timeout: Duration,
    /// A connection with no request for this long is closed.
    pub idle_timeout: Duration,
    /// Largest WebSocket message or frame a viewer may send (viewers send nothing but
    /// control frames).
    pub ws_max_message: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            // A browser's requests here are under 2 KiB; hyper's smallest buffer is 8 KiB.
            max_header_bytes: 16 * 1024,
            max_headers: 64,
            max_uri: 4096,
            max_body: 64 * 1024,
            max_conns: 512,
            max_conns_per_addr: 64,
            read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(60),
            ws_max_message: 4096,
        }
    }
}

// ---------------------------------------------------------------- connection counting

/// Open connections, in total and by address.
#[derive(Default)]
pub struct ConnCount {
    total: AtomicUsize,
    by_addr: Mutex<HashMap<IpAddr, usize>>,
}

/// Held while a connection is open.
pub struct ConnGuard {
    count: Arc<ConnCount>,
    ip: IpAddr,
}

impl ConnCount {
    /// A slot for a connection from `ip`, or None when a limit is reached.
    pub fn acquire(self: &Arc<Self>, ip: IpAddr, l: &Limits) -> Option<ConnGuard> {
        let mut m = self.by_addr.lock().unwrap_or_else(|e| e.into_inner());
        let n = m.get(&ip).copied().unwrap_or(0);
        if n >= l.max_conns_per_addr || self.total.load(Ordering::Relaxed) >= l.max_conns {
            return None;
        }
        m.insert(ip, n + 1);
        self.total.fetch_add(1, Ordering::Relaxed);
        Some(ConnGuard {
            count: self.clone(),
            ip,
        })
    }
    pub fn total(&self) -> usize {
        self.total.load(Ordering::Relaxed)
    }
}

impl Drop for ConnGuard {
    fn drop(&mut self) {
        let mut m = self.count.by_addr.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(n) = m.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                m.remove(&self.ip);
            }
        }
        self.count.total.fetch_sub(1, Ordering::Relaxed);
    }
}

// ---------------------------------------------------------------- per-connection timing

/// What a connection is doing, shared by its I/O wrapper and its service.
pub struct ConnState {
    /// Requests being answered.
    busy: AtomicUsize,
    /// The connection became a WebSocket: its own rules apply from then on.
    pub upgraded: AtomicBool,
    /// ms (on this connection's clock) when the head now arriving sent its first byte; -1: none.
    head_started: AtomicI64,
    /// ms when the last request was answered (or the connection opened).
    last_done: AtomicI64,
    t0: Instant,
}

impl ConnState {
    fn new() -> Arc<ConnState> {
        Arc::new(ConnState {
            busy: AtomicUsize::new(0),
            upgraded: AtomicBool::new(false),
            head_started: AtomicI64::new(-1),
            last_done: AtomicI64::new(0),
            t0: Instant::now(),
        })
    }
    fn now_ms(&self) -> i64 {
        self.t0.elapsed().as_millis() as i64
    }
    fn begin(&self) {
        self.head_started.store(-1, Ordering::Relaxed);
        self.busy.fetch_add(1, Ordering::Relaxed);
    }
    fn end(&self) {
        self.last_done.store(self.now_ms(), Ordering::Relaxed);
        self.busy.fetch_sub(1, Ordering::Relaxed);
    }
    /// When this connection times out if nothing changes; None while a request is answered or
    /// after an upgrade.
    fn deadline(&self, l: &Limits) -> Option<Instant> {
        if self.busy.load(Ordering::Relaxed) > 0 || self.upgraded.load(Ordering::Relaxed) {
            return None;
        }
        let h = self.head_started.load(Ordering::Relaxed);
        let ms = if h >= 0 {
            h + l.read_timeout.as_millis() as i64
        } else {
            self.last_done.load(Ordering::Relaxed) + l.idle_timeout.as_millis() as i64
        };
        Some(self.t0 + Duration::from_millis(ms.max(0) as u64))
    }
}

const TIMEOUT_408: &[u8] = b"HTTP/1.1 408 Request Timeout\r\nContent-Type: application/json\r\n\
Connection: close\r\nContent-Length: 59\r\n\r\n{\"error\":\"request not received in time\",\"field\":\"request\"}";

/// A connection's byte stream with the head and idle deadlines of [`ConnState`]: when one
/// passes, a 408 is written (if the socket takes it at once) and reading fails, which ends the
/// connection.
pub struct TimedIo<S> {
    inner: S,
    state: Arc<ConnState>,
    limits: Limits,
    sleep: Pin<Box<Sleep>>,
    armed: Option<Instant>,
    timed_out: bool,
}

impl<S> TimedIo<S> {
    fn new(inner: S, state: Arc<ConnState>, limits: Limits) -> Self {
        TimedIo {
            inner,
            state,
            limits,
            sleep: Box::pin(tokio::time::sleep(Duration::from_secs(3600))),
            armed: None,
            timed_out: false,
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncRead for TimedIo<S> {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let me = &mut *self;
        if me.timed_out {
            return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
        }
        if let Some(d) = me.state.deadline(&me.limits) {
            if me.armed != Some(d) {
                me.sleep.as_mut().reset(d);
                me.armed = Some(d);
            }
            if me.sleep.as_mut().poll(cx).is_ready() {
                me.timed_out = true;
                // Best effort: the socket's buffer takes these few bytes at once, or the client
                // is not reading either and learns it by the close.
                let _ = Pin::new(&mut me.inner).poll_write(cx, TIMEOUT_408);
                let _ = Pin::new(&mut me.inner).poll_flush(cx);
                return Poll::Ready(Err(io::ErrorKind::TimedOut.into()));
            }
        } else {
            me.armed = None;
        }
        let before = buf.filled().len();
        let r = Pin::new(&mut me.inner).poll_read(cx, buf);
        if let Poll::Ready(Ok(())) = r
            && buf.filled().len() > before
            && me.state.busy.load(Ordering::Relaxed) == 0
            && me.state.head_started.load(Ordering::Relaxed) < 0
        {
            let now = me.state.now_ms();
            me.state.head_started.store(now, Ordering::Relaxed);
        }
        r
    }
}

impl<S: AsyncWrite + Unpin> AsyncWrite for TimedIo<S> {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }
}

// ---------------------------------------------------------------- serving

fn canned(status: &str, msg: &str) -> Vec<u8> {
    let body = format!("{{\"error\":\"{msg}\",\"field\":\"connection\"}}");
    format!(
        "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nConnection: close\r\nRetry-After: 1\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

/// Accept connections until `shutdown` turns true.
pub async fn serve(
    listener: TcpListener,
    tls: Option<tokio_rustls::TlsAcceptor>,
    app: Router,
    limits: Limits,
    count: Arc<ConnCount>,
    mut shutdown: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            r = listener.accept() => r,
            _ = shutdown.changed() => return,
        };
        let (stream, peer) = match accepted {
            Ok(x) => x,
            Err(_) => {
                // Out of file descriptors or similar: wait a moment instead of spinning.
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let _ = stream.set_nodelay(true);
        let Some(guard) = count.acquire(peer.ip(), &limits) else {
            if tls.is_none() {
                tokio::spawn(async move {
                    let mut s = stream;
                    let msg = canned("503 Service Unavailable", "too many connections; try again");
                    let _ = tokio::time::timeout(Duration::from_secs(1), s.write_all(&msg)).await;
                    // A lingering close: closing with the client's request still unread makes
                    // the kernel answer with a reset, and the client may lose the 503 it was
                    // sent. Half-close, then drain a bounded amount for at most a second.
                    let _ = s.shutdown().await;
                    let mut sink = [0u8; 4096];
                    let deadline = Instant::now() + Duration::from_secs(1);
                    let mut drained = 0usize;
                    while drained < 64 * 1024 {
                        match tokio::time::timeout_at(deadline, s.read(&mut sink)).await {
                            Ok(Ok(n)) if n > 0 => drained += n,
                            _ => break,
                        }
                    }
                });
            }
            continue;
        };
        let (app, tls) = (app.clone(), tls.clone());
        tokio::spawn(async move {
            let _guard = guard;
            match tls {
                None => serve_conn(stream, peer, app, limits).await,
                Some(acc) => {
                    if let Ok(Ok(s)) =
                        tokio::time::timeout(limits.read_timeout, acc.accept(stream)).await
                    {
                        serve_conn(s, peer, app, limits).await
                    }
                }
            }
        });
    }
}

/// One connection: HTTP/1.1 with keep-alive and upgrades, under the limits.
async fn serve_conn<S>(io: S, peer: SocketAddr, app: Router, limits: Limits)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let state = ConnState::new();
    let io = TimedIo::new(io, state.clone(), limits);
    let svc = hyper::service::service_fn(move |mut req: hyper::Request<Incoming>| {
        let (app, state) = (app.clone(), state.clone());
        async move {
            state.begin();
            let too_long = req
                .uri()
                .path_and_query()
                .is_some_and(|pq| pq.as_str().len() > limits.max_uri);
            let resp = if too_long {
                crate::server::error(
                    414,
                    "uri",
                    &format!("the address is longer than {} bytes", limits.max_uri),
                )
            } else {
                req.extensions_mut().insert(ConnectInfo(peer));
                req.extensions_mut().insert(state.clone());
                match app.oneshot(req.map(Body::new)).await {
                    Ok(r) => r,
                    Err(e) => match e {},
                }
            };
            state.end();
            Ok::<_, std::convert::Infallible>(resp)
        }
    });
    let mut b = hyper::server::conn::http1::Builder::new();
    b.timer(TokioTimer::new())
        .header_read_timeout(None)
        .max_buf_size(limits.max_header_bytes.max(8192))
        .max_headers(limits.max_headers)
        .keep_alive(true);
    let _ = b
        .serve_connection(TokioIo::new(io), svc)
        .with_upgrades()
        .await;
}

// ---------------------------------------------------------------- TLS

/// A rustls server configuration from PEM files (read through the bounded reader).
pub fn tls_config(
    cert: &Path,
    key: &Path,
) -> Result<Arc<tokio_rustls::rustls::ServerConfig>, String> {
    use rustls_pki_types::pem::PemObject;
    use rustls_pki_types::{CertificateDer, PrivateKeyDer};
    let cert_pem = input::read::read_bytes(cert, input::read::KEY).map_err(|e| e.to_string())?;
    let key_pem = input::read::read_bytes(key, input::read::KEY).map_err(|e| e.to_string())?;
    let certs: Vec<CertificateDer<'static>> = CertificateDer::pem_slice_iter(&cert_pem)
        .collect::<Result<_, _>>()
        .map_err(|e| format!("{}: not a PEM certificate chain: {e}", cert.display()))?;
    if certs.is_empty() {
        return Err(format!("{}: no certificate in it", cert.display()));
    }
    let key_der = PrivateKeyDer::from_pem_slice(&key_pem)
        .map_err(|e| format!("{}: not a PEM private key: {e}", key.display()))?;
    let provider = Arc::new(tokio_rustls::rustls::crypto::ring::default_provider());
    let cfg = tokio_rustls::rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| format!("TLS: {e}"))?
        .with_no_client_auth()
        .with_single_cert(certs, key_der)
        .map_err(|e| {
            format!(
                "{} and {}: certificate and key do not make a TLS identity: {e}",
                cert.display(),
                key.display()
            )
        })?;
    Ok(Arc::new(cfg))
}

/// `--self-signed DIR`: the certificate and key in DIR (cert.pem, key.pem), made now with
/// rcgen if absent, for `localhost`, 127.0.0.1, ::1 and `extra_names`. For a bench setup: a
/// browser warns until the certificate is trusted. Returns (cert, key, made now).
pub fn self_signed(dir: &Path, extra_names: &[String]) -> Result<(PathBuf, PathBuf, bool), String> {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    if cert.exists() && key.exists() {
        return Ok((cert, key, false));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("creating {}: {e}", dir.display()))?;
    let mut names = vec!["localhost".to_string(), "127.0.0.1".into(), "::1".into()];
    names.extend(extra_names.iter().cloned());
    let ck = rcgen::generate_simple_self_signed(names)
        .map_err(|e| format!("making a self-signed certificate: {e}"))?;
    let _ = std::fs::remove_file(&key);
    write_private(&key, ck.signing_key.serialize_pem().as_bytes())?;
    std::fs::write(&cert, ck.cert.pem()).map_err(|e| format!("writing {}: {e}", cert.display()))?;
    Ok((cert, key, true))
}

/// Write a secret readable by its owner only.
fn write_private(path: &Path, data: &[u8]) -> Result<(), String> {
    use std::io::Write;
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o
        .open(path)
        .map_err(|e| format!("creating {}: {e}", path.display()))?;
    f.write_all(data)
        .map_err(|e| format!("writing {}: {e}", path.display()))
}
