//! A room's state and its rules, with no I/O: every action either changes the state and returns
//! the events it caused, or returns the error frame to send back. The engine assigns sequence
//! numbers, logs the events and broadcasts them.

use super::moderation::Matcher;
use crate::wire::protocol::{LotteryOpen, RoomError, RoomErrorCode as C};
use serde_json::{json, Value};
use std::collections::{HashMap, HashSet, VecDeque};

/// Chat messages kept for the snapshot.
pub const CHAT_HISTORY: usize = 50;
pub const MAX_CHAT_CHARS: usize = 120;
pub const MAX_QUESTION_CHARS: usize = 200;
pub const MAX_ANNOUNCEMENT_CHARS: usize = 300;
const MAX_QUESTIONS: usize = 200;
/// Per customer: a burst of this many messages, then one per `CHAT_REFILL_MS`.
const CHAT_BURST: f64 = 3.0;
const CHAT_REFILL_MS: f64 = 2000.0;

/// Who is acting in the room.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub account: Option<i64>,
    pub nickname: String,
    pub staff: bool,
    /// Host, controller, operator or admin: may run the room.
    pub can_control: bool,
}

/// Something that happened, to be logged (always) and broadcast (when `public`).
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    pub kind: &'static str,
    pub actor: Option<i64>,
    /// The poll, lottery, question or message this is about.
    pub ref_id: Option<i64>,
    /// A count (likes in a tick, a peak, mute minutes).
    pub amount: Option<i64>,
    /// What the room shows (and the log keeps).
    pub data: Value,
    pub public: bool,
    /// Written to the event log (derived aggregates are not).
    pub log: bool,
    /// Sent only to connections that run the room (instead of `public`).
    pub staff_only: bool,
}

impl Event {
    fn new(kind: &'static str, data: Value) -> Self {
        Self {
            kind,
            actor: None,
            ref_id: None,
            amount: None,
            data,
            public: true,
            log: true,
            staff_only: false,
        }
    }
    fn by(mut self, a: &Actor) -> Self {
        self.actor = a.account;
        self
    }
    fn about(mut self, id: i64) -> Self {
        self.ref_id = Some(id);
        self
    }
    fn private(mut self) -> Self {
        self.public = false;
        self
    }
}

#[derive(Debug, Clone)]
pub struct ChatLine {
    pub id: i64,
    pub account: Option<i64>,
    pub nick: String,
    pub text: String,
    pub staff: bool,
    pub at: i64,
}

impl ChatLine {
    pub fn json(&self) -> Value {
        json!({"id": self.id, "user": {"id": self.account, "nick": self.nick, "staff": self.staff}, "text": self.text, "at": self.at})
    }
}

#[derive(Debug, Clone)]
pub struct BagEntry {
    pub position: i64,
    pub product_id: i64,
    pub title: String,
    pub image: Option<String>,
    pub price_min_fen: i64,
    pub price_max_fen: i64,
    /// The lowest live price in this session, when it set any.
    pub live_price_min_fen: Option<i64>,
    pub stock: i64,
}

impl BagEntry {
    pub fn json(&self) -> Value {
        json!({"position": self.position, "product": self.product_id, "title": self.title, "image": self.image,
               "price_min_fen": self.price_min_fen, "price_max_fen": self.price_max_fen,
               "live_price_min_fen": self.live_price_min_fen, "stock": self.stock})
    }
}

#[derive(Debug, Clone)]
pub struct Poll {
    pub id: i64,
    pub question: String,
    pub options: Vec<String>,
    pub counts: Vec<u64>,
    pub voters: HashMap<i64, usize>,
    pub open: bool,
}

impl Poll {
    pub fn json(&self) -> Value {
        json!({"id": self.id, "question": self.question, "options": self.options, "counts": self.counts, "open": self.open})
    }
}

#[derive(Debug, Clone)]
pub struct Lottery {
    pub id: i64,
    pub title: String,
    pub prize: String,
    pub winners_wanted: u32,
    pub keyword: Option<String>,
    pub condition: Option<String>,
    /// In entry order: the draw's input.
    pub entrants: Vec<(i64, String)>,
    pub entered: HashSet<i64>,
    pub drawn: Option<Draw>,
}

#[derive(Debug, Clone)]
pub struct Draw {
    pub seed: u64,
    pub winners: Vec<(i64, String)>,
}

impl Lottery {
    pub fn json(&self) -> Value {
        json!({"id": self.id, "title": self.title, "prize": self.prize, "winners_wanted": self.winners_wanted,
               "keyword": self.keyword, "condition": self.condition, "entries": self.entrants.len(),
               "open": self.drawn.is_none(),
               "winners": self.drawn.as_ref().map(|d| d.winners.iter().map(|(id, nick)| json!({"id": id, "nick": nick})).collect::<Vec<_>>()),
               "seed": self.drawn.as_ref().map(|d| d.seed.to_string())})
    }
}

#[derive(Debug, Clone)]
pub struct Question {
    pub id: i64,
    pub account: i64,
    pub nick: String,
    pub text: String,
    pub upvoters: HashSet<i64>,
    pub answer: Option<String>,
    pub pinned: bool,
    pub at: i64,
}

impl Question {
    pub fn json(&self) -> Value {
        json!({"id": self.id, "user": {"id": self.account, "nick": self.nick}, "text": self.text,
               "upvotes": self.upvoters.len(), "answer": self.answer, "pinned": self.pinned, "at": self.at})
    }
}

/// Everything a room knows.
#[derive(Debug, Default)]
pub struct RoomState {
    pub likes: u64,
    pub pending_likes: u64,
    pub chat: VecDeque<ChatLine>,
    pub bag: Vec<BagEntry>,
    pub pinned: Option<i64>,
    pub announcement: Option<(String, i64)>,
    /// The coupon on offer (viewers claim it over HTTP).
    pub coupon: Option<Value>,
    /// Flash sales counting down or selling, as the room shows them.
    pub flash: Vec<Value>,
    /// Flash sales whose remaining units changed this tick (sent once per tick).
    pub flash_dirty: Vec<i64>,
    /// What the room plays: the live stream, the demo clip, or nothing (the cover).
    pub video: Value,
    /// The offered coupon's count left changed this tick.
    pub coupon_dirty: bool,
    pub poll: Option<Poll>,
    pub lottery: Option<Lottery>,
    pub questions: Vec<Question>,
    pub muted: HashMap<i64, i64>,
    pub banned: HashSet<i64>,
    pub followers: HashSet<i64>,
    pub commenters: HashSet<i64>,
    chat_tokens: HashMap<i64, (f64, i64)>,
    /// Polls, lotteries and questions changed this tick (tallies are sent once per tick).
    pub poll_dirty: bool,
    pub lottery_dirty: bool,
}

fn err(code: C, msg: impl Into<String>) -> RoomError {
    RoomError::new(code, msg)
}

fn customer(a: &Actor) -> Result<i64, RoomError> {
    a.account
        .ok_or_else(|| err(C::Unauthenticated, "sign in to take part"))
}

fn clean_text(text: &str, max: usize, what: &str) -> Result<String, RoomError> {
    let t: String = text.trim().chars().filter(|c| !c.is_control()).collect();
    if t.is_empty() {
        return Err(err(C::BadText, format!("{what} is empty")));
    }
    if t.chars().count() > max {
        return Err(err(
            C::BadText,
            format!("{what} is longer than {max} characters"),
        ));
    }
    Ok(t)
}

/// A flash sale's card with its phase as of now: it counts down from `upcoming` to `running`
/// by the clock, not by an event.
fn flash_now(sale: &Value) -> Value {
    let mut sale = sale.clone();
    let now = sellstream_core::Timestamp::now();
    let at = |k: &str| sale[k].as_str().and_then(sellstream_core::Timestamp::parse);
    if let (Some(start), Some(end)) = (at("starts_at"), at("ends_at")) {
        let phase = if now >= end {
            "ended"
        } else if now < start {
            "upcoming"
        } else if sale["remaining"] == 0 {
            "sold_out"
        } else {
            "running"
        };
        sale["phase"] = json!(phase);
    }
    sale
}

impl RoomState {
    /// The state every joining client gets.
    pub fn snapshot(&self) -> Value {
        json!({
            "likes": self.likes + self.pending_likes,
            "chat": self.chat.iter().map(ChatLine::json).collect::<Vec<_>>(),
            "bag": self.bag.iter().map(BagEntry::json).collect::<Vec<_>>(),
            "pinned": self.pinned_json(),
            "announcement": self.announcement.as_ref().map(|(t, at)| json!({"text": t, "at": at})),
            "coupon": self.coupon,
            "flash_sales": self.flash.iter().map(flash_now).collect::<Vec<_>>(),
            "video": self.video,
            "poll": self.poll.as_ref().map(Poll::json),
            "lottery": self.lottery.as_ref().map(Lottery::json),
            "questions": self.questions.iter().map(Question::json).collect::<Vec<_>>(),
        })
    }

    fn pinned_json(&self) -> Value {
        self.pinned
            .and_then(|p| self.bag.iter().find(|b| b.product_id == p))
            .map_or(Value::Null, BagEntry::json)
    }

    /// Whether `account` may chat now; `Err` says why not.
    fn may_speak(&self, account: i64, now: i64) -> Result<(), RoomError> {
        if self.banned.contains(&account) {
            return Err(err(C::Banned, "you are banned from chat"));
        }
        if let Some(until) = self.muted.get(&account).filter(|u| **u > now) {
            let mins = ((until - now) + 59_999) / 60_000;
            return Err(err(
                C::Muted,
                format!("you are muted for {mins} more minute(s)"),
            ));
        }
        Ok(())
    }

    fn take_chat_token(&mut self, account: i64, now: i64) -> Result<(), RoomError> {
        let (tokens, last) = self.chat_tokens.entry(account).or_insert((CHAT_BURST, now));
        let refill = (now - *last).max(0) as f64 / CHAT_REFILL_MS;
        *tokens = (*tokens + refill).min(CHAT_BURST);
        *last = now;
        if *tokens < 1.0 {
            return Err(err(C::RateLimited, "you are sending messages too fast"));
        }
        *tokens -= 1.0;
        Ok(())
    }

    /// What chat and questions both pass: a signed-in customer who is not muted or banned, clean
    /// text within `max` characters, and — when `moderate` — the word list and the rate limit.
    #[allow(clippy::too_many_arguments)]
    fn admit(
        &mut self,
        a: &Actor,
        text: &str,
        max: usize,
        what: &str,
        moderate: bool,
        now: i64,
        words: &Matcher,
    ) -> Result<(i64, String), RoomError> {
        let account = customer(a)?;
        self.may_speak(account, now)?;
        let text = clean_text(text, max, what)?;
        if moderate {
            if let Err(refusal) = words.check(&text) {
                return Err(err(C::Rejected, refusal.message()));
            }
            self.take_chat_token(account, now)?;
        }
        Ok((account, text))
    }

    /// A viewer's chat message. `id` is the event's sequence number, given by the engine.
    pub fn chat(
        &mut self,
        a: &Actor,
        text: &str,
        id: i64,
        now: i64,
        words: &Matcher,
    ) -> Result<Vec<Event>, RoomError> {
        let (account, text) =
            self.admit(a, text, MAX_CHAT_CHARS, "the message", !a.staff, now, words)?;
        let line = ChatLine {
            id,
            account: Some(account),
            nick: a.nickname.clone(),
            text: text.clone(),
            staff: a.staff,
            at: now,
        };
        let mut events = vec![Event::new("chat", line.json()).by(a).about(id)];
        self.chat.push_back(line);
        while self.chat.len() > CHAT_HISTORY {
            self.chat.pop_front();
        }
        self.commenters.insert(account);
        // Commenting the keyword enters the open lottery.
        let keyword_hit = self.lottery.as_ref().is_some_and(|l| {
            l.drawn.is_none()
                && l.keyword
                    .as_deref()
                    .is_some_and(|k| !k.is_empty() && text.contains(k))
        });
        if keyword_hit {
            let lottery = self.lottery.as_ref().map(|l| l.id).unwrap_or_default();
            if let Ok(mut e) = self.enter(a, lottery) {
                events.append(&mut e);
            }
        }
        Ok(events)
    }

    pub fn like(&mut self, n: u32) {
        self.pending_likes += u64::from(n);
    }

    /// Folds this tick's likes into the count: one event for the tick, not one per tap.
    pub fn flush_likes(&mut self) -> Option<Event> {
        if self.pending_likes == 0 {
            return None;
        }
        let n = std::mem::take(&mut self.pending_likes);
        self.likes += n;
        let mut e = Event::new("like", json!({"n": n})).private();
        e.amount = Some(n as i64);
        Some(e)
    }

    pub fn follow(&mut self, a: &Actor) -> Result<Vec<Event>, RoomError> {
        let account = customer(a)?;
        if !self.followers.insert(account) {
            return Ok(vec![]);
        }
        Ok(vec![Event::new(
            "follow",
            json!({"user": {"id": account, "nick": a.nickname}}),
        )
        .by(a)])
    }

    pub fn vote(&mut self, a: &Actor, poll: i64, option: usize) -> Result<Vec<Event>, RoomError> {
        let account = customer(a)?;
        let p = self
            .poll
            .as_mut()
            .filter(|p| p.id == poll)
            .ok_or_else(|| err(C::NotFound, format!("no poll {poll}")))?;
        if !p.open {
            return Err(err(C::Closed, "this poll is closed"));
        }
        if option >= p.options.len() {
            return Err(err(
                C::BadMessage,
                format!("option: 0 to {}", p.options.len() - 1),
            ));
        }
        if p.voters.contains_key(&account) {
            return Err(err(C::AlreadyVoted, "you have already voted in this poll"));
        }
        p.voters.insert(account, option);
        p.counts[option] += 1;
        self.poll_dirty = true;
        let mut e = Event::new("vote", json!({"option": option}))
            .by(a)
            .about(poll)
            .private();
        e.amount = Some(option as i64);
        Ok(vec![e])
    }

    pub fn enter(&mut self, a: &Actor, lottery: i64) -> Result<Vec<Event>, RoomError> {
        let account = customer(a)?;
        let followed = self.followers.contains(&account);
        let commented = self.commenters.contains(&account);
        let l = self
            .lottery
            .as_mut()
            .filter(|l| l.id == lottery)
            .ok_or_else(|| err(C::NotFound, format!("no lottery {lottery}")))?;
        if l.drawn.is_some() {
            return Err(err(C::Closed, "this lottery has been drawn"));
        }
        match l.condition.as_deref() {
            Some("followed") if !followed => {
                return Err(err(C::ConditionNotMet, "follow the host to enter"))
            }
            Some("commented") if !commented => {
                return Err(err(C::ConditionNotMet, "comment in the room to enter"))
            }
            _ => {}
        }
        if !l.entered.insert(account) {
            return Err(err(C::AlreadyEntered, "you have already entered"));
        }
        l.entrants.push((account, a.nickname.clone()));
        self.lottery_dirty = true;
        Ok(vec![Event::new(
            "lottery_entry",
            json!({"nick": a.nickname}),
        )
        .by(a)
        .about(lottery)
        .private()])
    }

    pub fn ask(
        &mut self,
        a: &Actor,
        text: &str,
        id: i64,
        now: i64,
        words: &Matcher,
    ) -> Result<Vec<Event>, RoomError> {
        let (account, text) = self.admit(
            a,
            text,
            MAX_QUESTION_CHARS,
            "the question",
            true,
            now,
            words,
        )?;
        let q = Question {
            id,
            account,
            nick: a.nickname.clone(),
            text,
            upvoters: HashSet::new(),
            answer: None,
            pinned: false,
            at: now,
        };
        let e = Event::new("question", q.json()).by(a).about(id);
        self.questions.push(q);
        if self.questions.len() > MAX_QUESTIONS {
            self.questions.remove(0);
        }
        Ok(vec![e])
    }

    pub fn upvote(&mut self, a: &Actor, question: i64) -> Result<Vec<Event>, RoomError> {
        let account = customer(a)?;
        let q = self.question_mut(question)?;
        if !q.upvoters.insert(account) {
            return Ok(vec![]);
        }
        let mut e = Event::new("question_updated", q.json())
            .by(a)
            .about(question);
        e.amount = Some(1);
        Ok(vec![e])
    }

    fn question_mut(&mut self, id: i64) -> Result<&mut Question, RoomError> {
        self.questions
            .iter_mut()
            .find(|q| q.id == id)
            .ok_or_else(|| err(C::NotFound, format!("no question {id}")))
    }

    // --- the controller's actions ---

    pub fn pin(&mut self, a: &Actor, product: i64) -> Result<Vec<Event>, RoomError> {
        let entry = self
            .bag
            .iter()
            .find(|b| b.product_id == product)
            .ok_or_else(|| err(C::NotFound, format!("product {product} is not in the bag")))?;
        self.pinned = Some(product);
        Ok(vec![Event::new("pin", entry.json()).by(a).about(product)])
    }

    pub fn unpin(&mut self, a: &Actor) -> Result<Vec<Event>, RoomError> {
        self.pinned = None;
        Ok(vec![Event::new("unpin", json!({})).by(a)])
    }

    /// The host's prepared answer to a viewer's keyword, as a chat line under the host's name. It
    /// carries no actor, so it is not counted as anyone's comment.
    pub fn auto_reply(
        &mut self,
        host_nick: &str,
        to: &str,
        answer: &str,
        id: i64,
        now: i64,
    ) -> Vec<Event> {
        let line = ChatLine {
            id,
            account: None,
            nick: host_nick.to_owned(),
            text: format!("@{to} {answer}"),
            staff: true,
            at: now,
        };
        let mut data = line.json();
        data["auto"] = json!(true);
        self.chat.push_back(line);
        while self.chat.len() > CHAT_HISTORY {
            self.chat.pop_front();
        }
        vec![Event::new("chat", data).about(id)]
    }

    pub fn announce(&mut self, a: &Actor, text: &str, now: i64) -> Result<Vec<Event>, RoomError> {
        let text = clean_text(text, MAX_ANNOUNCEMENT_CHARS, "the announcement")?;
        self.announcement = Some((text.clone(), now));
        Ok(vec![Event::new(
            "announcement",
            json!({"text": text, "at": now}),
        )
        .by(a)])
    }

    pub fn open_poll(
        &mut self,
        a: &Actor,
        id: i64,
        question: &str,
        options: &[String],
    ) -> Result<Vec<Event>, RoomError> {
        if self.poll.as_ref().is_some_and(|p| p.open) {
            return Err(err(C::AlreadyOpen, "close the open poll first"));
        }
        let question = clean_text(question, 100, "the question")?;
        if !(2..=6).contains(&options.len()) {
            return Err(err(C::BadMessage, "a poll has 2 to 6 options"));
        }
        let options = options
            .iter()
            .map(|o| clean_text(o, 40, "an option"))
            .collect::<Result<Vec<_>, _>>()?;
        let p = Poll {
            id,
            question,
            counts: vec![0; options.len()],
            options,
            voters: HashMap::new(),
            open: true,
        };
        let e = Event::new("poll_opened", p.json()).by(a).about(id);
        self.poll = Some(p);
        Ok(vec![e])
    }

    pub fn close_poll(&mut self, a: &Actor, poll: i64) -> Result<Vec<Event>, RoomError> {
        let p = self
            .poll
            .as_mut()
            .filter(|p| p.id == poll)
            .ok_or_else(|| err(C::NotFound, format!("no poll {poll}")))?;
        if !p.open {
            return Err(err(C::Closed, "this poll is already closed"));
        }
        p.open = false;
        self.poll_dirty = false;
        Ok(vec![Event::new("poll_closed", p.json()).by(a).about(poll)])
    }

    pub fn open_lottery(
        &mut self,
        a: &Actor,
        id: i64,
        spec: &LotteryOpen,
    ) -> Result<Vec<Event>, RoomError> {
        if self.lottery.as_ref().is_some_and(|l| l.drawn.is_none()) {
            return Err(err(C::AlreadyOpen, "draw the open lottery first"));
        }
        let title = clean_text(&spec.title, 60, "the title")?;
        if !(1..=100).contains(&spec.winners) {
            return Err(err(C::BadMessage, "winners: 1 to 100"));
        }
        if let Some(c) = spec.condition.as_deref().filter(|c| !c.is_empty()) {
            if !matches!(c, "followed" | "commented") {
                return Err(err(
                    C::BadMessage,
                    "condition: `followed`, `commented` or none",
                ));
            }
        }
        let l = Lottery {
            id,
            title,
            prize: spec.prize.trim().chars().take(60).collect(),
            winners_wanted: spec.winners,
            keyword: spec
                .keyword
                .as_deref()
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(|k| k.chars().take(20).collect()),
            condition: spec.condition.clone().filter(|c| !c.is_empty()),
            entrants: Vec::new(),
            entered: HashSet::new(),
            drawn: None,
        };
        let e = Event::new("lottery_opened", l.json()).by(a).about(id);
        self.lottery = Some(l);
        Ok(vec![e])
    }

    /// Draws with `seed`; the winners follow from the seed and the entrant list alone
    /// ([`draw_winners`]), so anyone with both can check the draw.
    pub fn draw_lottery(
        &mut self,
        a: &Actor,
        lottery: i64,
        seed: u64,
    ) -> Result<Vec<Event>, RoomError> {
        let l = self
            .lottery
            .as_mut()
            .filter(|l| l.id == lottery)
            .ok_or_else(|| err(C::NotFound, format!("no lottery {lottery}")))?;
        if l.drawn.is_some() {
            return Err(err(C::Closed, "this lottery has been drawn"));
        }
        let ids: Vec<i64> = l.entrants.iter().map(|(id, _)| *id).collect();
        let picked = draw_winners(&ids, l.winners_wanted as usize, seed);
        let winners = picked.into_iter().map(|i| l.entrants[i].clone()).collect();
        l.drawn = Some(Draw { seed, winners });
        self.lottery_dirty = false;
        let mut e = Event::new("lottery_drawn", l.json()).by(a).about(lottery);
        e.data["entrants"] = json!(ids);
        Ok(vec![e])
    }

    pub fn answer(
        &mut self,
        a: &Actor,
        question: i64,
        answer: &str,
    ) -> Result<Vec<Event>, RoomError> {
        let answer = clean_text(answer, MAX_QUESTION_CHARS, "the answer")?;
        let q = self.question_mut(question)?;
        q.answer = Some(answer);
        Ok(vec![Event::new("question_updated", q.json())
            .by(a)
            .about(question)])
    }

    pub fn pin_question(&mut self, a: &Actor, question: i64) -> Result<Vec<Event>, RoomError> {
        self.question_mut(question)?;
        let mut events = Vec::new();
        for q in &mut self.questions {
            let pin = q.id == question;
            if q.pinned != pin {
                q.pinned = pin;
                events.push(Event::new("question_updated", q.json()).by(a).about(q.id));
            }
        }
        Ok(events)
    }

    pub fn delete_chat(&mut self, a: &Actor, id: i64) -> Result<Vec<Event>, RoomError> {
        let before = self.chat.len();
        self.chat.retain(|c| c.id != id);
        if self.chat.len() == before {
            return Err(err(C::NotFound, format!("no recent message {id}")));
        }
        Ok(vec![Event::new("chat_deleted", json!({"id": id}))
            .by(a)
            .about(id)])
    }

    pub fn mute(
        &mut self,
        a: &Actor,
        account: i64,
        minutes: u32,
        now: i64,
    ) -> Result<Vec<Event>, RoomError> {
        if !(1..=7 * 24 * 60).contains(&minutes) {
            return Err(err(C::BadMessage, "minutes: 1 to 10080"));
        }
        let until = now + i64::from(minutes) * 60_000;
        self.muted.insert(account, until);
        let mut e = Event::new("muted", json!({"account": account, "until": until}))
            .by(a)
            .about(account);
        e.amount = Some(until);
        Ok(vec![e])
    }

    pub fn ban(&mut self, a: &Actor, account: i64) -> Result<Vec<Event>, RoomError> {
        self.banned.insert(account);
        let before = self.chat.len();
        self.chat.retain(|c| c.account != Some(account));
        let mut events = vec![Event::new("banned", json!({"account": account}))
            .by(a)
            .about(account)];
        if self.chat.len() != before {
            events.push(
                Event::new("chat_purged", json!({"account": account}))
                    .by(a)
                    .about(account),
            );
        }
        Ok(events)
    }

    pub fn unban(&mut self, a: &Actor, account: i64) -> Result<Vec<Event>, RoomError> {
        self.banned.remove(&account);
        self.muted.remove(&account);
        Ok(vec![Event::new("unbanned", json!({"account": account}))
            .by(a)
            .about(account)])
    }

    /// This tick's aggregate updates: poll tallies and lottery entry counts, once per tick.
    pub fn flush_tallies(&mut self) -> Vec<Event> {
        let mut out = Vec::new();
        if std::mem::take(&mut self.poll_dirty) {
            if let Some(p) = &self.poll {
                out.push(
                    Event::new("poll_tally", json!({"id": p.id, "counts": p.counts})).about(p.id),
                );
            }
        }
        if std::mem::take(&mut self.lottery_dirty) {
            if let Some(l) = &self.lottery {
                out.push(
                    Event::new(
                        "lottery_entries",
                        json!({"id": l.id, "entries": l.entrants.len()}),
                    )
                    .about(l.id),
                );
            }
        }
        if std::mem::take(&mut self.coupon_dirty) {
            if let Some(c) = &self.coupon {
                out.push(Event::new("coupon", json!({"coupon": c})));
            }
        }
        for id in std::mem::take(&mut self.flash_dirty) {
            if let Some(f) = self.flash.iter().find(|f| f["id"] == id) {
                out.push(
                    Event::new(
                        "flash_stock",
                        json!({"id": id, "remaining": f["remaining"], "sold_out": f["remaining"] == 0}),
                    )
                    .about(id),
                );
            }
        }
        // Aggregates are derived from logged votes and entries; they need no log row of their own.
        for e in &mut out {
            e.log = false;
        }
        out
    }
}

/// Picks `n` distinct indexes of `entrants` uniformly at random from `seed` (a partial
/// Fisher–Yates shuffle driven by SplitMix64). Pure: the same seed and list give the same winners.
pub fn draw_winners(entrants: &[i64], n: usize, seed: u64) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..entrants.len()).collect();
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    };
    let n = n.min(idx.len());
    for i in 0..n {
        let span = (idx.len() - i) as u64;
        // Rejection sampling keeps every index equally likely.
        let zone = u64::MAX - u64::MAX % span;
        let r = loop {
            let r = next();
            if r < zone {
                break r % span;
            }
        };
        idx.swap(i, i + r as usize);
    }
    idx.truncate(n);
    idx
}

#[cfg(test)]
mod tests {
    use super::*;

    fn viewer(id: i64) -> Actor {
        Actor {
            account: Some(id),
            nickname: format!("v{id}"),
            staff: false,
            can_control: false,
        }
    }

    fn guest() -> Actor {
        Actor {
            account: None,
            nickname: "guest".into(),
            staff: false,
            can_control: false,
        }
    }

    fn host() -> Actor {
        Actor {
            account: Some(1),
            nickname: "host".into(),
            staff: true,
            can_control: true,
        }
    }

    fn words() -> Matcher {
        Matcher::new([(
            "加微信".to_owned(),
            super::super::moderation::WordCategory::Contact,
        )])
    }

    #[test]
    fn chat_is_moderated_rate_limited_and_kept_short() {
        let mut s = RoomState::default();
        let w = words();
        assert_eq!(
            s.chat(&guest(), "hi", 1, 0, &w).unwrap_err().code,
            C::Unauthenticated
        );
        assert_eq!(
            s.chat(&viewer(2), "加 微信 聊", 1, 0, &w).unwrap_err().code,
            C::Rejected
        );
        assert_eq!(
            s.chat(&viewer(2), "   ", 1, 0, &w).unwrap_err().code,
            C::BadText
        );
        assert_eq!(
            s.chat(&viewer(2), &"长".repeat(121), 1, 0, &w)
                .unwrap_err()
                .code,
            C::BadText
        );
        for i in 0..3 {
            s.chat(&viewer(2), "好看", 10 + i, 0, &w).unwrap();
        }
        assert_eq!(
            s.chat(&viewer(2), "好看", 20, 100, &w).unwrap_err().code,
            C::RateLimited
        );
        assert!(
            s.chat(&viewer(2), "好看", 21, 2100, &w).is_ok(),
            "a token refills in 2 s"
        );
        for i in 0..100 {
            s.chat(&viewer(100 + i), "hi", 100 + i, 0, &w).unwrap();
        }
        assert_eq!(s.chat.len(), CHAT_HISTORY);
    }

    #[test]
    fn mute_ban_and_delete() {
        let mut s = RoomState::default();
        let w = words();
        s.chat(&viewer(5), "first", 1, 0, &w).unwrap();
        s.mute(&host(), 5, 10, 0).unwrap();
        assert_eq!(
            s.chat(&viewer(5), "again", 2, 1000, &w).unwrap_err().code,
            C::Muted
        );
        assert!(s.chat(&viewer(5), "later", 3, 11 * 60_000, &w).is_ok());
        s.delete_chat(&host(), 1).unwrap();
        assert!(s.chat.iter().all(|c| c.id != 1));
        assert_eq!(s.delete_chat(&host(), 1).unwrap_err().code, C::NotFound);
        let events = s.ban(&host(), 5).unwrap();
        assert!(events.iter().any(|e| e.kind == "chat_purged"));
        assert_eq!(
            s.chat(&viewer(5), "x", 4, 20 * 60_000, &w)
                .unwrap_err()
                .code,
            C::Banned
        );
    }

    #[test]
    fn likes_are_counted_once_per_tick() {
        let mut s = RoomState::default();
        for _ in 0..1000 {
            s.like(1);
        }
        let e = s.flush_likes().unwrap();
        assert_eq!(e.amount, Some(1000));
        assert_eq!(s.likes, 1000);
        assert!(s.flush_likes().is_none());
    }

    #[test]
    fn polls_take_one_vote_per_customer() {
        let mut s = RoomState::default();
        assert_eq!(
            s.open_poll(&host(), 7, "颜色?", &["红".into()])
                .unwrap_err()
                .code,
            C::BadMessage
        );
        s.open_poll(&host(), 7, "颜色?", &["红".into(), "黑".into()])
            .unwrap();
        assert_eq!(
            s.open_poll(&host(), 8, "x", &["a".into(), "b".into()])
                .unwrap_err()
                .code,
            C::AlreadyOpen
        );
        s.vote(&viewer(2), 7, 1).unwrap();
        assert_eq!(s.vote(&viewer(2), 7, 0).unwrap_err().code, C::AlreadyVoted);
        assert_eq!(s.vote(&viewer(3), 7, 5).unwrap_err().code, C::BadMessage);
        assert_eq!(s.vote(&viewer(3), 9, 0).unwrap_err().code, C::NotFound);
        let tally = s.flush_tallies();
        assert_eq!(tally[0].data["counts"], json!([0, 1]));
        s.close_poll(&host(), 7).unwrap();
        assert_eq!(s.vote(&viewer(3), 7, 0).unwrap_err().code, C::Closed);
    }

    #[test]
    fn lotteries_enter_by_button_or_keyword_and_draw_reproducibly() {
        let mut s = RoomState::default();
        let w = words();
        let spec = LotteryOpen {
            title: "福袋".into(),
            prize: "口红".into(),
            winners: 2,
            keyword: Some("想要".into()),
            condition: Some("followed".into()),
        };
        s.open_lottery(&host(), 3, &spec).unwrap();
        assert_eq!(s.enter(&viewer(2), 3).unwrap_err().code, C::ConditionNotMet);
        for v in 2..12 {
            s.follow(&viewer(v)).unwrap();
        }
        s.enter(&viewer(2), 3).unwrap();
        assert_eq!(s.enter(&viewer(2), 3).unwrap_err().code, C::AlreadyEntered);
        let events = s.chat(&viewer(3), "我想要！", 50, 0, &w).unwrap();
        assert!(
            events.iter().any(|e| e.kind == "lottery_entry"),
            "the keyword enters"
        );
        for v in 4..12 {
            s.enter(&viewer(v), 3).unwrap();
        }
        let drawn = s.draw_lottery(&host(), 3, 42).unwrap();
        let winners = drawn[0].data["winners"].as_array().unwrap().clone();
        assert_eq!(winners.len(), 2);
        // Anyone can re-run the draw from the recorded seed and entrants.
        let entrants: Vec<i64> = serde_json::from_value(drawn[0].data["entrants"].clone()).unwrap();
        let again: Vec<i64> = draw_winners(&entrants, 2, 42)
            .into_iter()
            .map(|i| entrants[i])
            .collect();
        let recorded: Vec<i64> = winners.iter().map(|w| w["id"].as_i64().unwrap()).collect();
        assert_eq!(again, recorded);
        assert_eq!(s.enter(&viewer(12), 3).unwrap_err().code, C::Closed);
        assert_eq!(s.draw_lottery(&host(), 3, 1).unwrap_err().code, C::Closed);
    }

    #[test]
    fn draws_are_uniform_enough() {
        let entrants: Vec<i64> = (0..10).collect();
        let mut hits = [0u32; 10];
        for seed in 0..20_000u64 {
            for i in draw_winners(&entrants, 1, seed) {
                hits[i] += 1;
            }
        }
        for h in hits {
            assert!((1_700..2_300).contains(&h), "{hits:?}");
        }
        assert_eq!(
            draw_winners(&entrants, 50, 1).len(),
            10,
            "never more winners than entrants"
        );
        let mut w = draw_winners(&entrants, 10, 9);
        w.sort_unstable();
        assert_eq!(w, (0..10).collect::<Vec<_>>(), "winners are distinct");
    }

    #[test]
    fn questions_queue_upvote_answer_and_pin() {
        let mut s = RoomState::default();
        let w = words();
        s.ask(&viewer(2), "M码偏大吗？", 10, 0, &w).unwrap();
        s.ask(&viewer(3), "有赠品吗？", 11, 0, &w).unwrap();
        s.upvote(&viewer(4), 10).unwrap();
        assert!(
            s.upvote(&viewer(4), 10).unwrap().is_empty(),
            "one upvote per customer"
        );
        s.answer(&host(), 10, "偏大半码").unwrap();
        s.pin_question(&host(), 11).unwrap();
        let snap = s.snapshot();
        assert_eq!(snap["questions"][0]["upvotes"], 1);
        assert_eq!(snap["questions"][0]["answer"], "偏大半码");
        assert_eq!(snap["questions"][1]["pinned"], true);
        assert_eq!(s.upvote(&viewer(4), 99).unwrap_err().code, C::NotFound);
    }

    #[test]
    fn pins_only_what_is_in_the_bag() {
        let mut s = RoomState::default();
        s.bag = vec![BagEntry {
            position: 1,
            product_id: 9,
            title: "口红".into(),
            image: None,
            price_min_fen: 100,
            price_max_fen: 100,
            live_price_min_fen: None,
            stock: 5,
        }];
        assert_eq!(s.pin(&host(), 3).unwrap_err().code, C::NotFound);
        s.pin(&host(), 9).unwrap();
        assert_eq!(s.snapshot()["pinned"]["position"], 1);
    }
}
