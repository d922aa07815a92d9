//! One viewer's connection after the HTTP upgrade: reads and decodes client frames, hands
//! messages to the room, and writes the frames the room queues — the shared batch bytes as they
//! are. One task per connection; the read buffer starts small and grows only to the frame limit.

use super::engine::Connection;
use crate::wire::protocol::{decode, error_json, RoomError, RoomErrorCode as C, MAX_CLIENT_FRAME};
use crate::wire::ws::{self, Assembler, Message};
use bytes::BytesMut;
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::time::Instant;

/// A connection that sends nothing (not even a pong) for this long is closed.
const IDLE: Duration = Duration::from_secs(75);
/// Messages a connection may send per second before they are refused.
const MESSAGES_PER_SECOND: u32 = 20;

/// Serves `conn` over `io` until either side closes.
pub async fn serve<T: AsyncRead + AsyncWrite + Unpin>(mut io: T, mut conn: Connection) {
    let mut buf = BytesMut::with_capacity(512);
    let mut asm = Assembler::default();
    let mut deadline = Instant::now() + IDLE;
    let (mut window, mut in_window) = (Instant::now(), 0u32);
    let close = 'outer: loop {
        tokio::select! {
            biased;
            frame = conn.frames.recv() => match frame {
                Some(bytes) => {
                    if io.write_all(&bytes).await.is_err() {
                        break None;
                    }
                }
                None => break Some((ws::CLOSE_GOING_AWAY, "the room has closed")),
            },
            read = io.read_buf(&mut buf) => {
                match read {
                    Ok(0) | Err(_) => break None,
                    Ok(_) => {}
                }
                deadline = Instant::now() + IDLE;
                loop {
                    let frame = match ws::decode_client_frame(&mut buf, MAX_CLIENT_FRAME) {
                        Ok(Some(f)) => f,
                        Ok(None) => break,
                        Err(e) => {
                            let code = if matches!(e, ws::WireError::TooLarge { .. }) { C::TooLarge } else { C::BadFrame };
                            let _ = io.write_all(&ws::text_frame(&error_json(&RoomError::new(code, e.to_string()), None))).await;
                            break 'outer Some((e.close_code(), "bad frame"));
                        }
                    };
                    let msg = match asm.push(frame, MAX_CLIENT_FRAME) {
                        Ok(Some(m)) => m,
                        Ok(None) => continue,
                        Err(e) => {
                            let code = if matches!(e, ws::WireError::TooLarge { .. }) { C::TooLarge } else { C::BadFrame };
                            let _ = io.write_all(&ws::text_frame(&error_json(&RoomError::new(code, e.to_string()), None))).await;
                            break 'outer Some((e.close_code(), "bad message"));
                        }
                    };
                    match msg {
                        Message::Text(text) => {
                            if window.elapsed() >= Duration::from_secs(1) {
                                (window, in_window) = (Instant::now(), 0);
                            }
                            in_window += 1;
                            let text = std::str::from_utf8(&text).unwrap_or_default();
                            let reply = match decode(text) {
                                Ok(incoming) if in_window > MESSAGES_PER_SECOND => Some(error_json(
                                    &RoomError::new(C::RateLimited, "too many messages; slow down"),
                                    incoming.r#ref.as_ref(),
                                )),
                                Ok(incoming) => {
                                    if !conn.send(incoming).await {
                                        break 'outer Some((ws::CLOSE_GOING_AWAY, "the room has closed"));
                                    }
                                    None
                                }
                                Err((e, r)) => Some(error_json(&e, r.as_ref())),
                            };
                            if let Some(reply) = reply {
                                if io.write_all(&ws::text_frame(&reply)).await.is_err() {
                                    break 'outer None;
                                }
                            }
                        }
                        Message::Binary(_) => {
                            let e = RoomError::new(C::BadFrame, "frames are JSON text");
                            if io.write_all(&ws::text_frame(&error_json(&e, None))).await.is_err() {
                                break 'outer None;
                            }
                        }
                        Message::Ping(p) => {
                            if io.write_all(&ws::encode_frame(ws::OP_PONG, &p)).await.is_err() {
                                break 'outer None;
                            }
                        }
                        Message::Pong => {}
                        Message::Close(_) => break 'outer Some((ws::CLOSE_NORMAL, "")),
                    }
                }
                // Keep memory per idle connection small once a burst has been read.
                if buf.is_empty() && buf.capacity() > 8 * 1024 {
                    buf = BytesMut::with_capacity(512);
                }
            },
            _ = tokio::time::sleep_until(deadline) => break Some((ws::CLOSE_GOING_AWAY, "idle")),
        }
    };
    conn.leave();
    if let Some((code, reason)) = close {
        let _ = io.write_all(&ws::close_frame(code, reason)).await;
    }
    let _ = io.shutdown().await;
}
