//! A fault-injecting HTTP/1.1 proxy for the tests, on 127.0.0.1.
//!
//! It sits between `HttpPlatform` and the sandbox and handles one request at
//! a time per client connection, so a fault can be aimed at one request
//! even on a kept-alive connection. Faults are taken from a queue, one per
//! request; an empty queue passes requests through.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the proxy does with one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Forward the request and the response.
    Pass,
    /// Reset the client connection before forwarding anything.
    ResetBefore,
    /// Forward the request, let the server answer (it has committed), then
    /// reset the client connection without the answer.
    ResetAfter,
    /// Read the request and never answer.
    Stall,
    /// Forward, then send the answer one byte every `interval`.
    Drip(Duration),
    /// Forward, then send the head and half the body, then close.
    Truncate,
    /// Answer with this status and a problem+json body, and optional
    /// `Retry-After`, without forwarding.
    Status(u16, Option<String>),
    /// Answer 200 with this raw body (Content-Type: application/json) without forwarding.
    Body(String),
}

/// A running proxy.
pub struct FaultProxy {
    addr: SocketAddr,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    requests: Arc<AtomicUsize>,
    task: JoinHandle<()>,
}

impl FaultProxy {
    /// Starts a proxy to `upstream` on a free loopback port.
    pub async fn start(upstream: SocketAddr) -> FaultProxy {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind proxy");
        let addr = listener.local_addr().unwrap();
        let faults: Arc<Mutex<VecDeque<Fault>>> = Arc::default();
        let requests: Arc<AtomicUsize> = Arc::default();
        let (f, r) = (faults.clone(), requests.clone());
        let task = tokio::spawn(async move {
            loop {
                let Ok((client, _)) = listener.accept().await else {
                    return;
                };
                let (f, r) = (f.clone(), r.clone());
                tokio::spawn(async move {
                    let _ = serve(client, upstream, f, r).await;
                });
            }
        });
        FaultProxy {
            addr,
            faults,
            requests,
            task,
        }
    }

    /// The proxy's base URL.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queues faults for the next requests.
    pub fn push(&self, faults: impl IntoIterator<Item = Fault>) {
        self.faults.lock().unwrap().extend(faults);
    }

    /// Requests seen.
    pub fn requests(&self) -> usize {
        self.requests.load(Ordering::SeqCst)
    }

    /// Faults still queued.
    pub fn pending(&self) -> usize {
        self.faults.lock().unwrap().len()
    }
}

impl Drop for FaultProxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Reads one HTTP/1.1 message (head plus Content-Length body).
async fn read_message(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
) -> std::io::Result<Option<Vec<u8>>> {
    loop {
        if let Some(end) = find(buf, b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse::<usize>().ok())
                .unwrap_or(0);
            let total = end + 4 + len;
            while buf.len() < total {
                let mut chunk = [0u8; 8192];
                let n = stream.read(&mut chunk).await?;
                if n == 0 {
                    return Ok(None);
                }
                buf.extend_from_slice(&chunk[..n]);
            }
            let message = buf[..total].to_vec();
            buf.drain(..total);
            return Ok(Some(message));
        }
        let mut chunk = [0u8; 8192];
        let n = stream.read(&mut chunk).await?;
        if n == 0 {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

// SO_LINGER 0 turns the close into a reset; with a zero timeout the drop
// does not block, which is what the deprecation warns about.
#[allow(deprecated)]
fn reset(stream: TcpStream) {
    let _ = stream.set_linger(Some(Duration::ZERO));
    drop(stream);
}

async fn serve(
    mut client: TcpStream,
    upstream: SocketAddr,
    faults: Arc<Mutex<VecDeque<Fault>>>,
    requests: Arc<AtomicUsize>,
) -> std::io::Result<()> {
    let mut server: Option<TcpStream> = None;
    let mut cbuf = Vec::new();
    let mut sbuf = Vec::new();
    loop {
        let Some(request) = read_message(&mut client, &mut cbuf).await? else {
            return Ok(());
        };
        requests.fetch_add(1, Ordering::SeqCst);
        let fault = faults.lock().unwrap().pop_front().unwrap_or(Fault::Pass);
        match fault {
            Fault::ResetBefore => {
                reset(client);
                return Ok(());
            }
            Fault::Stall => {
                tokio::time::sleep(Duration::from_secs(3600)).await;
                return Ok(());
            }
            Fault::Status(status, retry_after) => {
                let body = format!(
                    r#"{{"type":"about:blank","title":"injected","status":{status},"code":"{}"}}"#,
                    match status {
                        429 => "rate_limited",
                        500 => "internal",
                        _ => "unavailable",
                    }
                );
                let retry = retry_after
                    .map(|r| format!("Retry-After: {r}\r\n"))
                    .unwrap_or_default();
                let response = format!(
                    "HTTP/1.1 {status} Injected\r\nContent-Type: application/problem+json\r\n{retry}Content-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                client.write_all(response.as_bytes()).await?;
                continue;
            }
            Fault::Body(body) => {
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
                    body.len()
                );
                client.write_all(response.as_bytes()).await?;
                continue;
            }
            _ => {}
        }
        if server.is_none() {
            server = Some(TcpStream::connect(upstream).await?);
        }
        let up = server.as_mut().unwrap();
        up.write_all(&request).await?;
        let Some(response) = read_message(up, &mut sbuf).await? else {
            return Ok(());
        };
        match fault {
            Fault::ResetAfter => {
                reset(client);
                return Ok(());
            }
            Fault::Drip(interval) => {
                for byte in response {
                    client.write_all(&[byte]).await?;
                    client.flush().await?;
                    tokio::time::sleep(interval).await;
                }
            }
            Fault::Truncate => {
                let end = find(&response, b"\r\n\r\n").map(|e| e + 4).unwrap_or(0);
                let cut = end + (response.len() - end) / 2;
                client.write_all(&response[..cut]).await?;
                client.flush().await?;
                return Ok(());
            }
            _ => client.write_all(&response).await?,
        }
    }
}
