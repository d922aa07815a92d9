//! The JSON spoken over `/ws/rooms/{id}` (docs/protocol.md). Every frame is a JSON object with `t`
//! (its type) and `v` (the protocol version). Clients may add `ref`, echoed in the answer's
//! error so a page can tell which of its actions failed.

use serde::{Deserialize, Serialize};

/// The version this server speaks. Additive changes (new fields, new event kinds, new message
/// types) keep the number; pages ignore what they do not know.
pub const VERSION: u32 = 1;

/// Client frames are at most this many bytes.
pub const MAX_CLIENT_FRAME: usize = 4096;

/// Stable error codes of the room protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RoomErrorCode {
    /// Not valid JSON, not an object, or not valid WebSocket framing.
    BadFrame,
    /// Over 4 KiB.
    TooLarge,
    /// `t` names no message type this server knows.
    UnknownType,
    /// The message's fields are missing or of the wrong type.
    BadMessage,
    /// A newer protocol version than this server speaks.
    UnsupportedVersion,
    /// This needs a signed-in customer.
    Unauthenticated,
    /// This needs the host, controller or operator role.
    Forbidden,
    /// No such live session.
    RoomNotFound,
    /// The session has ended or was cancelled.
    RoomClosed,
    /// Chat text was refused by moderation (the message says why).
    Rejected,
    /// Empty, or longer than the limit.
    BadText,
    /// Sending faster than the room allows.
    RateLimited,
    /// Muted by the controller until the time in the message.
    Muted,
    /// Banned from chat.
    Banned,
    /// The poll, lottery, question, message or product does not exist.
    NotFound,
    /// Already voted in this poll.
    AlreadyVoted,
    /// Already entered this lottery.
    AlreadyEntered,
    /// The poll or lottery is closed.
    Closed,
    /// The lottery's entry condition is not met.
    ConditionNotMet,
    /// Another poll or lottery is already open.
    AlreadyOpen,
    /// Something failed on the server.
    Internal,
}

/// An error frame's content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoomError {
    pub code: RoomErrorCode,
    pub message: String,
}

impl RoomError {
    pub fn new(code: RoomErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for RoomError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}: {}", self.code, self.message)
    }
}

/// What a client may send: `t` names the variant, its fields sit beside it.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "t", rename_all = "snake_case")]
pub enum ClientMsg {
    Ping,
    Chat {
        text: String,
    },
    /// Taps since the last send (1–50; more are counted as 50).
    Like {
        #[serde(default = "one")]
        n: u32,
    },
    Follow,
    Vote {
        poll: i64,
        option: usize,
    },
    Enter {
        lottery: i64,
    },
    Ask {
        text: String,
    },
    Upvote {
        question: i64,
    },
    // The host's and controller's actions.
    Pin {
        product: i64,
    },
    Unpin,
    Announce {
        text: String,
    },
    PollOpen {
        question: String,
        options: Vec<String>,
    },
    PollClose {
        poll: i64,
    },
    LotteryOpen(LotteryOpen),
    LotteryDraw {
        lottery: i64,
    },
    Answer {
        question: i64,
        answer: String,
    },
    PinQuestion {
        question: i64,
    },
    DeleteChat {
        id: i64,
    },
    Mute {
        account: i64,
        minutes: u32,
    },
    Ban {
        account: i64,
    },
    Unban {
        account: i64,
    },
}

fn one() -> u32 {
    1
}

/// Every `t` a client may send, in the order of [`ClientMsg`].
pub const MESSAGE_TYPES: &[&str] = &[
    "ping",
    "chat",
    "like",
    "follow",
    "vote",
    "enter",
    "ask",
    "upvote",
    "pin",
    "unpin",
    "announce",
    "poll_open",
    "poll_close",
    "lottery_open",
    "lottery_draw",
    "answer",
    "pin_question",
    "delete_chat",
    "mute",
    "ban",
    "unban",
];

impl ClientMsg {
    /// Whether only staff running the room may send it.
    pub fn is_control(&self) -> bool {
        !matches!(
            self,
            Self::Ping
                | Self::Chat { .. }
                | Self::Like { .. }
                | Self::Follow
                | Self::Vote { .. }
                | Self::Enter { .. }
                | Self::Ask { .. }
                | Self::Upvote { .. }
        )
    }
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct LotteryOpen {
    pub title: String,
    #[serde(default)]
    pub prize: String,
    pub winners: u32,
    /// Commenting this keyword enters the lottery (as well as the button).
    #[serde(default)]
    pub keyword: Option<String>,
    /// `followed` requires following the host before entering.
    #[serde(default)]
    pub condition: Option<String>,
}

#[derive(Deserialize)]
struct Head {
    t: String,
    #[serde(default)]
    v: Option<u32>,
    #[serde(default, rename = "ref")]
    r#ref: Option<serde_json::Value>,
}

/// A decoded client frame: the message and the client's `ref`, if any.
#[derive(Debug)]
pub struct Incoming {
    pub msg: ClientMsg,
    pub r#ref: Option<serde_json::Value>,
}

/// Decodes one client text frame. Never panics, whatever the input.
pub fn decode(text: &str) -> Result<Incoming, (RoomError, Option<serde_json::Value>)> {
    let head: Head = serde_json::from_str(text).map_err(|e| {
        (
            RoomError::new(
                RoomErrorCode::BadFrame,
                format!("a frame is a JSON object with a `t` field: {e}"),
            ),
            None,
        )
    })?;
    let r = head.r#ref;
    if head.v.is_some_and(|v| v > VERSION) {
        return Err((
            RoomError::new(
                RoomErrorCode::UnsupportedVersion,
                format!("this server speaks version {VERSION}"),
            ),
            r,
        ));
    }
    if !MESSAGE_TYPES.contains(&head.t.as_str()) {
        let t: String = head.t.chars().take(40).collect();
        return Err((
            RoomError::new(
                RoomErrorCode::UnknownType,
                format!("unknown message type `{t}`"),
            ),
            r,
        ));
    }
    let mut msg: ClientMsg = serde_json::from_str(text).map_err(|e| {
        (
            RoomError::new(RoomErrorCode::BadMessage, format!("`{}`: {e}", head.t)),
            r.clone(),
        )
    })?;
    if let ClientMsg::Like { n } = &mut msg {
        *n = (*n).clamp(1, 50);
    }
    Ok(Incoming { msg, r#ref: r })
}

/// An error frame.
pub fn error_json(e: &RoomError, r: Option<&serde_json::Value>) -> String {
    serde_json::json!({"v": VERSION, "t": "error", "code": e.code, "message": e.message, "ref": r})
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn decodes_known_messages_and_names_bad_ones() {
        let m = decode(r#"{"t":"chat","text":"你好","ref":7}"#).unwrap();
        assert_eq!(
            m.msg,
            ClientMsg::Chat {
                text: "你好".into()
            }
        );
        assert_eq!(m.r#ref, Some(serde_json::json!(7)));
        assert_eq!(
            decode(r#"{"t":"like"}"#).unwrap().msg,
            ClientMsg::Like { n: 1 }
        );
        assert_eq!(
            decode(r#"{"t":"like","n":1000}"#).unwrap().msg,
            ClientMsg::Like { n: 50 }
        );
        let (e, r) = decode(r#"{"t":"dance","ref":"a"}"#).unwrap_err();
        assert_eq!(e.code, RoomErrorCode::UnknownType);
        assert_eq!(r, Some(serde_json::json!("a")));
        assert_eq!(
            decode(r#"{"t":"vote","poll":"x"}"#).unwrap_err().0.code,
            RoomErrorCode::BadMessage
        );
        assert_eq!(
            decode("not json").unwrap_err().0.code,
            RoomErrorCode::BadFrame
        );
        assert_eq!(decode("[1,2]").unwrap_err().0.code, RoomErrorCode::BadFrame);
        assert_eq!(
            decode(r#"{"t":"ping","v":99}"#).unwrap_err().0.code,
            RoomErrorCode::UnsupportedVersion
        );
        assert!(decode(r#"{"t":"pin","product":3}"#)
            .unwrap()
            .msg
            .is_control());
        assert!(!decode(r#"{"t":"ask","text":"?"}"#)
            .unwrap()
            .msg
            .is_control());
        assert_eq!(
            decode(r#"{"t":"like","n":0}"#).unwrap().msg,
            ClientMsg::Like { n: 1 }
        );
        assert_eq!(
            decode(r#"{"t":"lottery_open","title":"福袋","winners":3}"#)
                .unwrap()
                .msg,
            ClientMsg::LotteryOpen(LotteryOpen {
                title: "福袋".into(),
                prize: String::new(),
                winners: 3,
                keyword: None,
                condition: None
            })
        );
    }

    #[test]
    fn every_listed_type_is_a_message() {
        // A type without its fields is `bad_message` (known), never `unknown_type`.
        for t in MESSAGE_TYPES {
            let got = decode(&format!(r#"{{"t":"{t}"}}"#));
            let known = got
                .as_ref()
                .map_or_else(|(e, _)| e.code == RoomErrorCode::BadMessage, |_| true);
            assert!(known, "{t}: {got:?}");
        }
    }

    proptest! {
        #[test]
        fn any_text_decodes_or_errors_without_panicking(s in "\\PC{0,300}") {
            let _ = decode(&s);
        }

        #[test]
        fn json_shaped_input_never_panics(t in "[a-z_]{0,12}", k in "[a-z]{0,8}", v in any::<i64>()) {
            let _ = decode(&format!(r#"{{"t":"{t}","{k}":{v}}}"#));
        }
    }
}
