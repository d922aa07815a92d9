//! One viewer's connection after the HTTP upgrade: reads and decodes client frames and hands
//! messages to the room. Frames to the viewer mostly never pass through here: the room writes them
//! into the socket itself ([`super::outbox`]); this task writes only what the socket did not take
//! at once, and its own replies. The read buffer starts small and grows only to the frame limit.

use super::engine::Connection;
use crate::wire::protocol::{decode, error_json, RoomError, RoomErrorCode as C, MAX_CLIENT_FRAME};
use crate::wire::ws::{self, Assembler, Message};
use bytes::{Bytes, BytesMut};
use std::sync::Arc;
use std::time::Duration;
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;
use tokio::time::Instant;

/// A connection that sends nothing (not even a pong) for this long is closed.
const IDLE: Duration = Duration::from_secs(75);
/// Messages a connection may send per second before they are refused.
const MESSAGES_PER_SECOND: u32 = 20;
/// How long a closing connection may take to write what is still queued (its close frame).
const LINGER: Duration = Duration::from_secs(2);

type Close = (u16, &'static str);

/// What the client has sent, decoded frame by frame.
struct Input {
    buf: BytesMut,
    asm: Assembler,
    window: Instant,
    in_window: u32,
}

/// Serves `conn` over `sock` until either side closes; `early` holds bytes the client sent right
/// behind its upgrade request.
pub async fn serve(sock: TcpStream, early: Bytes, conn: Connection) {
    // TCP_NODELAY is set by the listener when it accepts.
    let _ = socket2::SockRef::from(&sock).set_send_buffer_size(conn.send_buffer);
    let sock = Arc::new(sock);
    conn.outbox.attach(sock.clone());
    let mut input = Input {
        buf: BytesMut::with_capacity(early.len().max(512)),
        asm: Assembler::default(),
        window: Instant::now(),
        in_window: 0,
    };
    input.buf.extend_from_slice(&early);
    // `early` is a view into the HTTP server's read buffer (8 KiB or more): let it go.
    drop(early);
    let idle = tokio::time::sleep(IDLE);
    tokio::pin!(idle);
    let mut close = input.handle(&conn).await.err();
    while close.is_none() {
        if conn.outbox.finished() {
            // The room said goodbye and its close frame has gone out.
            break;
        }
        let pending = conn.outbox.pending();
        tokio::select! {
            biased;
            ready = sock.writable(), if pending => {
                if ready.is_err() || conn.outbox.write_queued(&sock).is_err() {
                    break;
                }
            }
            _ = conn.outbox.changed(), if !pending => {}
            ready = sock.readable() => {
                if ready.is_err() {
                    break;
                }
                match sock.try_read_buf(&mut input.buf) {
                    Ok(0) => break,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
                    Err(_) => break,
                }
                idle.as_mut().reset(Instant::now() + IDLE);
                close = input.handle(&conn).await.err();
                // Keep memory per idle connection small once a burst has been read.
                if input.buf.is_empty() && input.buf.capacity() > 8 * 1024 {
                    input.buf = BytesMut::with_capacity(512);
                }
            }
            _ = &mut idle => close = Some((ws::CLOSE_GOING_AWAY, "idle")),
        }
    }
    conn.leave();
    if let Some((code, reason)) = close {
        conn.outbox.end(&ws::close_frame(code, reason));
    }
    let _ = tokio::time::timeout(LINGER, async {
        while conn.outbox.pending() {
            if sock.writable().await.is_err() || conn.outbox.write_queued(&sock).is_err() {
                break;
            }
        }
    })
    .await;
    // The outbox lets go of the socket so that it can be shut down cleanly (FIN, not RST).
    conn.outbox.detach();
    if let Ok(mut sock) = Arc::try_unwrap(sock) {
        let _ = sock.shutdown().await;
    }
}

impl Input {
    /// Handles every complete frame in the buffer; `Err` closes the connection with that code.
    async fn handle(&mut self, conn: &Connection) -> Result<(), Close> {
        let reply = |json: String| {
            conn.outbox.push(&ws::text_frame(&json));
        };
        loop {
            let frame = match ws::decode_client_frame(&mut self.buf, MAX_CLIENT_FRAME) {
                Ok(Some(f)) => f,
                Ok(None) => return Ok(()),
                Err(e) => {
                    reply(error_json(&wire_error(&e), None));
                    return Err((e.close_code(), "bad frame"));
                }
            };
            let msg = match self.asm.push(frame, MAX_CLIENT_FRAME) {
                Ok(Some(m)) => m,
                Ok(None) => continue,
                Err(e) => {
                    reply(error_json(&wire_error(&e), None));
                    return Err((e.close_code(), "bad message"));
                }
            };
            match msg {
                Message::Text(text) => {
                    if self.window.elapsed() >= Duration::from_secs(1) {
                        (self.window, self.in_window) = (Instant::now(), 0);
                    }
                    self.in_window += 1;
                    let text = std::str::from_utf8(&text).unwrap_or_default();
                    match decode(text) {
                        Ok(incoming) if self.in_window > MESSAGES_PER_SECOND => reply(error_json(
                            &RoomError::new(C::RateLimited, "too many messages; slow down"),
                            incoming.r#ref.as_ref(),
                        )),
                        Ok(incoming) => {
                            if !conn.send(incoming).await {
                                return Err((ws::CLOSE_GOING_AWAY, "the room has closed"));
                            }
                        }
                        Err((e, r)) => reply(error_json(&e, r.as_ref())),
                    }
                }
                Message::Binary(_) => reply(error_json(
                    &RoomError::new(C::BadFrame, "frames are JSON text"),
                    None,
                )),
                Message::Ping(p) => {
                    conn.outbox.push(&ws::encode_frame(ws::OP_PONG, &p));
                }
                Message::Pong => {}
                Message::Close(_) => return Err((ws::CLOSE_NORMAL, "")),
            }
        }
    }
}

fn wire_error(e: &ws::WireError) -> RoomError {
    let code = if matches!(e, ws::WireError::TooLarge { .. }) {
        C::TooLarge
    } else {
        C::BadFrame
    };
    RoomError::new(code, e.to_string())
}
