//! WebSocket frames: decoding what clients send (always masked), encoding what the server sends
//! (never masked), reassembling fragmented messages, and the opening handshake's accept key.

use base64::Engine;
use bytes::{Buf, Bytes, BytesMut};
use sha1::{Digest, Sha1};

pub const OP_CONTINUATION: u8 = 0x0;
pub const OP_TEXT: u8 = 0x1;
pub const OP_BINARY: u8 = 0x2;
pub const OP_CLOSE: u8 = 0x8;
pub const OP_PING: u8 = 0x9;
pub const OP_PONG: u8 = 0xA;

/// Close codes (RFC 6455 §7.4.1).
pub const CLOSE_NORMAL: u16 = 1000;
pub const CLOSE_GOING_AWAY: u16 = 1001;
pub const CLOSE_PROTOCOL_ERROR: u16 = 1002;
pub const CLOSE_INVALID_DATA: u16 = 1007;
pub const CLOSE_TOO_BIG: u16 = 1009;

/// One frame as received, payload unmasked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    pub fin: bool,
    pub opcode: u8,
    pub payload: Bytes,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("reserved bits set")]
    ReservedBits,
    #[error("unknown opcode {0:#x}")]
    UnknownOpcode(u8),
    #[error("client frames must be masked")]
    Unmasked,
    #[error("control frames must be final and at most 125 bytes")]
    BadControlFrame,
    #[error("message of {len} bytes is over the limit of {limit}")]
    TooLarge { len: u64, limit: usize },
    #[error("continuation without a message to continue, or a new message inside one")]
    BadFragmentation,
    #[error("text is not valid UTF-8")]
    InvalidUtf8,
}

impl WireError {
    /// The close code to answer with.
    pub fn close_code(&self) -> u16 {
        match self {
            Self::TooLarge { .. } => CLOSE_TOO_BIG,
            Self::InvalidUtf8 => CLOSE_INVALID_DATA,
            _ => CLOSE_PROTOCOL_ERROR,
        }
    }
}

/// Takes one complete client frame off the front of `buf`; `Ok(None)` when more bytes are needed.
/// Frames whose payload exceeds `limit` are refused from the header alone, before any payload is
/// buffered.
pub fn decode_client_frame(buf: &mut BytesMut, limit: usize) -> Result<Option<Frame>, WireError> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let b0 = buf[0];
    let b1 = buf[1];
    let fin = b0 & 0x80 != 0;
    if b0 & 0x70 != 0 {
        return Err(WireError::ReservedBits);
    }
    let opcode = b0 & 0x0F;
    if !matches!(
        opcode,
        OP_CONTINUATION | OP_TEXT | OP_BINARY | OP_CLOSE | OP_PING | OP_PONG
    ) {
        return Err(WireError::UnknownOpcode(opcode));
    }
    if b1 & 0x80 == 0 {
        return Err(WireError::Unmasked);
    }
    let Some((len, header)) = payload_len(buf) else {
        return Ok(None);
    };
    let is_control = opcode >= OP_CLOSE;
    if is_control && (!fin || len > 125) {
        return Err(WireError::BadControlFrame);
    }
    if len > limit as u64 {
        return Err(WireError::TooLarge { len, limit });
    }
    let len = len as usize;
    let total = header + 4 + len;
    if buf.len() < total {
        buf.reserve(total - buf.len());
        return Ok(None);
    }
    let mask = [
        buf[header],
        buf[header + 1],
        buf[header + 2],
        buf[header + 3],
    ];
    buf.advance(header + 4);
    let mut payload = buf.split_to(len);
    for (i, b) in payload.iter_mut().enumerate() {
        *b ^= mask[i & 3];
    }
    Ok(Some(Frame {
        fin,
        opcode,
        payload: payload.freeze(),
    }))
}

/// Encodes a server frame (final, unmasked). The result can be written to any number of
/// connections as it is.
pub fn encode_frame(opcode: u8, payload: &[u8]) -> Bytes {
    let len = payload.len();
    let mut out = BytesMut::with_capacity(len + 10);
    out.extend_from_slice(&[0x80 | opcode]);
    if len < 126 {
        out.extend_from_slice(&[len as u8]);
    } else if len <= u16::MAX as usize {
        out.extend_from_slice(&[126]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.extend_from_slice(&[127]);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(payload);
    out.freeze()
}

pub fn text_frame(text: &str) -> Bytes {
    encode_frame(OP_TEXT, text.as_bytes())
}

pub fn close_frame(code: u16, reason: &str) -> Bytes {
    let mut p = code.to_be_bytes().to_vec();
    p.extend_from_slice(&reason.as_bytes()[..reason.len().min(123)]);
    encode_frame(OP_CLOSE, &p)
}

/// Encodes a client frame (final, masked with `mask`), as a browser sends it. For load generators
/// and tests; the server never sends masked frames.
pub fn encode_client_frame(opcode: u8, payload: &[u8], mask: [u8; 4]) -> Bytes {
    let len = payload.len();
    let mut out = BytesMut::with_capacity(len + 14);
    out.extend_from_slice(&[0x80 | opcode]);
    if len < 126 {
        out.extend_from_slice(&[0x80 | len as u8]);
    } else if len <= u16::MAX as usize {
        out.extend_from_slice(&[0x80 | 126]);
        out.extend_from_slice(&(len as u16).to_be_bytes());
    } else {
        out.extend_from_slice(&[0x80 | 127]);
        out.extend_from_slice(&(len as u64).to_be_bytes());
    }
    out.extend_from_slice(&mask);
    out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
    out.freeze()
}

/// The payload length and header size (before any mask) of the frame at the front of `buf`, once
/// the header's length bytes have arrived.
fn payload_len(buf: &[u8]) -> Option<(u64, usize)> {
    match buf.get(1)? & 0x7F {
        126 => Some((
            u64::from(u16::from_be_bytes([*buf.get(2)?, *buf.get(3)?])),
            4,
        )),
        127 => {
            let b: [u8; 8] = buf.get(2..10)?.try_into().ok()?;
            Some((u64::from_be_bytes(b), 10))
        }
        n => Some((u64::from(n), 2)),
    }
}

/// Takes one server (unmasked) frame off the front of `buf`, for clients: `(opcode, payload)`.
pub fn decode_server_frame(
    buf: &mut BytesMut,
    limit: usize,
) -> Result<Option<(u8, Bytes)>, WireError> {
    if buf.len() < 2 {
        return Ok(None);
    }
    let opcode = buf[0] & 0x0F;
    if buf[1] & 0x80 != 0 {
        return Err(WireError::BadFragmentation);
    }
    let Some((len, header)) = payload_len(buf) else {
        return Ok(None);
    };
    if len > limit as u64 {
        return Err(WireError::TooLarge { len, limit });
    }
    let total = header + len as usize;
    if buf.len() < total {
        return Ok(None);
    }
    buf.advance(header);
    Ok(Some((opcode, buf.split_to(len as usize).freeze())))
}

/// A whole message after reassembly.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    Text(Bytes),
    Binary(Bytes),
    Ping(Bytes),
    Pong,
    Close(Option<u16>),
}

/// Joins fragments into messages, enforcing the message size limit across fragments.
#[derive(Default)]
pub struct Assembler {
    partial: Option<(u8, BytesMut)>,
}

impl Assembler {
    pub fn push(&mut self, frame: Frame, limit: usize) -> Result<Option<Message>, WireError> {
        match frame.opcode {
            OP_PING => return Ok(Some(Message::Ping(frame.payload))),
            OP_PONG => return Ok(Some(Message::Pong)),
            OP_CLOSE => {
                let code = (frame.payload.len() >= 2)
                    .then(|| u16::from_be_bytes([frame.payload[0], frame.payload[1]]));
                return Ok(Some(Message::Close(code)));
            }
            _ => {}
        }
        let (opcode, data) = match (frame.opcode, self.partial.take()) {
            (OP_CONTINUATION, Some((op, mut acc))) => {
                if acc.len() + frame.payload.len() > limit {
                    return Err(WireError::TooLarge {
                        len: (acc.len() + frame.payload.len()) as u64,
                        limit,
                    });
                }
                acc.extend_from_slice(&frame.payload);
                (op, acc)
            }
            (OP_CONTINUATION, None) => return Err(WireError::BadFragmentation),
            (_, Some(_)) => return Err(WireError::BadFragmentation),
            (op, None) => (op, BytesMut::from(&frame.payload[..])),
        };
        if !frame.fin {
            self.partial = Some((opcode, data));
            return Ok(None);
        }
        let data = data.freeze();
        Ok(Some(if opcode == OP_TEXT {
            std::str::from_utf8(&data).map_err(|_| WireError::InvalidUtf8)?;
            Message::Text(data)
        } else {
            Message::Binary(data)
        }))
    }
}

/// `Sec-WebSocket-Accept` for a client's `Sec-WebSocket-Key`.
pub fn accept_key(client_key: &str) -> String {
    let mut h = Sha1::new();
    h.update(client_key.trim().as_bytes());
    h.update(b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11");
    base64::engine::general_purpose::STANDARD.encode(h.finalize())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// A client frame as a browser would send it.
    fn client_frame(fin: bool, opcode: u8, payload: &[u8], mask: [u8; 4]) -> Vec<u8> {
        let mut out = vec![(if fin { 0x80 } else { 0 }) | opcode];
        let len = payload.len();
        if len < 126 {
            out.push(0x80 | len as u8);
        } else if len <= 65535 {
            out.push(0x80 | 126);
            out.extend_from_slice(&(len as u16).to_be_bytes());
        } else {
            out.push(0x80 | 127);
            out.extend_from_slice(&(len as u64).to_be_bytes());
        }
        out.extend_from_slice(&mask);
        out.extend(payload.iter().enumerate().map(|(i, b)| b ^ mask[i & 3]));
        out
    }

    #[test]
    fn accept_key_matches_the_rfc_example() {
        assert_eq!(
            accept_key("dGhlIHNhbXBsZSBub25jZQ=="),
            "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
        );
    }

    #[test]
    fn decodes_a_masked_text_frame_in_pieces() {
        let bytes = client_frame(true, OP_TEXT, b"hello", [1, 2, 3, 4]);
        let mut buf = BytesMut::new();
        for (i, b) in bytes.iter().enumerate() {
            buf.extend_from_slice(&[*b]);
            let got = decode_client_frame(&mut buf, 4096).unwrap();
            if i + 1 < bytes.len() {
                assert!(got.is_none());
            } else {
                let f = got.unwrap();
                assert_eq!(&f.payload[..], b"hello");
                assert!(f.fin);
            }
        }
        assert!(buf.is_empty());
    }

    #[test]
    fn refuses_unmasked_oversized_and_odd_frames() {
        let mut unmasked = BytesMut::from(&[0x81u8, 0x01, b'x'][..]);
        assert_eq!(
            decode_client_frame(&mut unmasked, 10),
            Err(WireError::Unmasked)
        );
        let mut big = BytesMut::from(&client_frame(true, OP_TEXT, &[b'a'; 5000], [0; 4])[..4]);
        assert!(matches!(
            decode_client_frame(&mut big, 4096),
            Err(WireError::TooLarge { .. })
        ));
        let mut rsv = BytesMut::from(&[0xC1u8, 0x80, 0, 0, 0, 0][..]);
        assert_eq!(
            decode_client_frame(&mut rsv, 10),
            Err(WireError::ReservedBits)
        );
        let mut op = BytesMut::from(&[0x83u8, 0x80, 0, 0, 0, 0][..]);
        assert_eq!(
            decode_client_frame(&mut op, 10),
            Err(WireError::UnknownOpcode(3))
        );
        let mut ping = BytesMut::from(&client_frame(false, OP_PING, b"", [0; 4])[..]);
        assert_eq!(
            decode_client_frame(&mut ping, 10),
            Err(WireError::BadControlFrame)
        );
    }

    #[test]
    fn reassembles_fragments_and_checks_utf8() {
        let mut a = Assembler::default();
        let f = |fin, opcode, p: &'static [u8]| Frame {
            fin,
            opcode,
            payload: Bytes::from_static(p),
        };
        assert_eq!(a.push(f(false, OP_TEXT, "你".as_bytes()), 100), Ok(None));
        assert_eq!(
            a.push(f(false, OP_PING, b"p"), 100),
            Ok(Some(Message::Ping(Bytes::from_static(b"p"))))
        );
        assert_eq!(
            a.push(f(true, OP_CONTINUATION, "好".as_bytes()), 100),
            Ok(Some(Message::Text(Bytes::from("你好".as_bytes()))))
        );
        assert_eq!(
            a.push(f(true, OP_CONTINUATION, b"x"), 100),
            Err(WireError::BadFragmentation)
        );
        assert_eq!(
            a.push(f(true, OP_TEXT, &[0xff, 0xfe]), 100),
            Err(WireError::InvalidUtf8)
        );
        let mut b = Assembler::default();
        assert_eq!(b.push(f(false, OP_TEXT, &[b'a'; 60]), 100), Ok(None));
        assert!(matches!(
            b.push(f(true, OP_CONTINUATION, &[b'a'; 60]), 100),
            Err(WireError::TooLarge { .. })
        ));
    }

    #[test]
    fn client_frames_round_trip_through_both_decoders() {
        for len in [0usize, 5, 200, 70_000] {
            let payload = vec![b'q'; len];
            let mut buf = BytesMut::from(&encode_client_frame(OP_TEXT, &payload, [9, 8, 7, 6])[..]);
            let f = decode_client_frame(&mut buf, 100_000).unwrap().unwrap();
            assert_eq!(&f.payload[..], &payload[..]);
            let mut buf = BytesMut::from(&encode_frame(OP_TEXT, &payload)[..]);
            let (op, p) = decode_server_frame(&mut buf, 100_000).unwrap().unwrap();
            assert_eq!((op, &p[..]), (OP_TEXT, &payload[..]));
        }
    }

    #[test]
    fn encodes_all_three_length_forms() {
        for len in [0usize, 125, 126, 65535, 65536] {
            let payload = vec![7u8; len];
            let f = encode_frame(OP_BINARY, &payload);
            assert_eq!(f[0], 0x82);
            assert_eq!(f[1] & 0x80, 0, "server frames are not masked");
            assert!(f.ends_with(&payload));
        }
    }

    proptest! {
        /// Arbitrary bytes never panic the decoder, never yield more payload than the limit, and
        /// what it consumes is exactly one frame.
        #[test]
        fn arbitrary_bytes_never_panic(data in proptest::collection::vec(any::<u8>(), 0..300), limit in 0usize..200) {
            let mut buf = BytesMut::from(&data[..]);
            let mut asm = Assembler::default();
            loop {
                let before = buf.len();
                match decode_client_frame(&mut buf, limit) {
                    Ok(Some(frame)) => {
                        prop_assert!(frame.payload.len() <= limit);
                        prop_assert!(buf.len() < before);
                        let _ = asm.push(frame, limit);
                    }
                    Ok(None) | Err(_) => break,
                }
            }
        }

        /// Whatever a client sends, fragmented any way, comes out as the same message.
        #[test]
        fn round_trips_fragmented_text(text in "\\PC{0,200}", cuts in proptest::collection::vec(0usize..200, 0..4), mask in any::<[u8; 4]>()) {
            let bytes = text.as_bytes();
            let mut points: Vec<usize> = cuts.into_iter().map(|c| c.min(bytes.len())).collect();
            points.sort_unstable();
            points.dedup();
            let mut wire = Vec::new();
            let mut start = 0;
            let mut pieces: Vec<&[u8]> = Vec::new();
            for p in points.into_iter().chain([bytes.len()]) {
                if p > start || pieces.is_empty() && p == bytes.len() {
                    pieces.push(&bytes[start..p]);
                    start = p;
                }
            }
            for (i, piece) in pieces.iter().enumerate() {
                let op = if i == 0 { OP_TEXT } else { OP_CONTINUATION };
                wire.extend(client_frame(i + 1 == pieces.len(), op, piece, mask));
            }
            let mut buf = BytesMut::from(&wire[..]);
            let mut asm = Assembler::default();
            let mut out = None;
            while let Some(frame) = decode_client_frame(&mut buf, 4096).unwrap() {
                if let Some(m) = asm.push(frame, 4096).unwrap() {
                    out = Some(m);
                }
            }
            prop_assert_eq!(out, Some(Message::Text(Bytes::copy_from_slice(bytes))));
        }
    }
}
