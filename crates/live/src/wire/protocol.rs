//! The JSON spoken over `/ws/rooms/{id}` (docs/protocol.md). Every frame is a JSON object with `t`
//! (its type) and `v` (the protocol version). Clients may add `ref`, echoed in the answer's
//! error so a page can tell which of its actions failed.

use serde::de::DeserializeOwned;
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

/// What a client may send.
#[derive(Debug, Clone, PartialEq)]
pub enum ClientMsg {
    Ping,
    Chat {
        text: String,
    },
    Like {
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

fn fields<T: DeserializeOwned>(text: &str, t: &str) -> Result<T, RoomError> {
    serde_json::from_str(text)
        .map_err(|e| RoomError::new(RoomErrorCode::BadMessage, format!("`{t}`: {e}")))
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
    let r = head.r#ref.clone();
    let fail = |e| (e, r.clone());
    if head.v.is_some_and(|v| v > VERSION) {
        return Err(fail(RoomError::new(
            RoomErrorCode::UnsupportedVersion,
            format!("this server speaks version {VERSION}"),
        )));
    }
    #[derive(Deserialize)]
    struct Text {
        text: String,
    }
    #[derive(Deserialize)]
    struct Like {
        #[serde(default)]
        n: Option<u32>,
    }
    #[derive(Deserialize)]
    struct Vote {
        poll: i64,
        option: usize,
    }
    #[derive(Deserialize)]
    struct Lottery {
        lottery: i64,
    }
    #[derive(Deserialize)]
    struct Question {
        question: i64,
    }
    #[derive(Deserialize)]
    struct Product {
        product: i64,
    }
    #[derive(Deserialize)]
    struct Poll {
        poll: i64,
    }
    #[derive(Deserialize)]
    struct PollOpen {
        question: String,
        options: Vec<String>,
    }
    #[derive(Deserialize)]
    struct Answer {
        question: i64,
        answer: String,
    }
    #[derive(Deserialize)]
    struct Id {
        id: i64,
    }
    #[derive(Deserialize)]
    struct Account {
        account: i64,
    }
    #[derive(Deserialize)]
    struct Mute {
        account: i64,
        minutes: u32,
    }
    let t = head.t.as_str();
    let msg = match t {
        "ping" => ClientMsg::Ping,
        "chat" => ClientMsg::Chat {
            text: fields::<Text>(text, t).map_err(fail)?.text,
        },
        "like" => ClientMsg::Like {
            n: fields::<Like>(text, t)
                .map_err(fail)?
                .n
                .unwrap_or(1)
                .clamp(1, 50),
        },
        "follow" => ClientMsg::Follow,
        "vote" => {
            let v: Vote = fields(text, t).map_err(fail)?;
            ClientMsg::Vote {
                poll: v.poll,
                option: v.option,
            }
        }
        "enter" => ClientMsg::Enter {
            lottery: fields::<Lottery>(text, t).map_err(fail)?.lottery,
        },
        "ask" => ClientMsg::Ask {
            text: fields::<Text>(text, t).map_err(fail)?.text,
        },
        "upvote" => ClientMsg::Upvote {
            question: fields::<Question>(text, t).map_err(fail)?.question,
        },
        "pin" => ClientMsg::Pin {
            product: fields::<Product>(text, t).map_err(fail)?.product,
        },
        "unpin" => ClientMsg::Unpin,
        "announce" => ClientMsg::Announce {
            text: fields::<Text>(text, t).map_err(fail)?.text,
        },
        "poll_open" => {
            let p: PollOpen = fields(text, t).map_err(fail)?;
            ClientMsg::PollOpen {
                question: p.question,
                options: p.options,
            }
        }
        "poll_close" => ClientMsg::PollClose {
            poll: fields::<Poll>(text, t).map_err(fail)?.poll,
        },
        "lottery_open" => ClientMsg::LotteryOpen(fields(text, t).map_err(fail)?),
        "lottery_draw" => ClientMsg::LotteryDraw {
            lottery: fields::<Lottery>(text, t).map_err(fail)?.lottery,
        },
        "answer" => {
            let a: Answer = fields(text, t).map_err(fail)?;
            ClientMsg::Answer {
                question: a.question,
                answer: a.answer,
            }
        }
        "pin_question" => ClientMsg::PinQuestion {
            question: fields::<Question>(text, t).map_err(fail)?.question,
        },
        "delete_chat" => ClientMsg::DeleteChat {
            id: fields::<Id>(text, t).map_err(fail)?.id,
        },
        "mute" => {
            let m: Mute = fields(text, t).map_err(fail)?;
            ClientMsg::Mute {
                account: m.account,
                minutes: m.minutes,
            }
        }
        "ban" => ClientMsg::Ban {
            account: fields::<Account>(text, t).map_err(fail)?.account,
        },
        "unban" => ClientMsg::Unban {
            account: fields::<Account>(text, t).map_err(fail)?.account,
        },
        other => {
            return Err(fail(RoomError::new(
                RoomErrorCode::UnknownType,
                format!(
                    "unknown message type `{}`",
                    other.chars().take(40).collect::<String>()
                ),
            )))
        }
    };
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
