//! Keyword auto-replies (自动回复): a viewer's chat or question that names a keyword (尺码, 发货,
//! 优惠…) gets the host's prepared answer posted in the room, addressed to them. Set per session;
//! each rule speaks at most once per [`COOLDOWN_MS`] so a burst of the same question gets one
//! answer, not a wall of them.

use crate::LiveError;
use sellstream_store::{get_flag, Row, Store};
use serde::{Deserialize, Serialize};
use std::collections::HashSet;
use utoipa::ToSchema;

pub const MAX_RULES: usize = 20;
const MAX_KEYWORDS: usize = 10;
const MAX_KEYWORD_CHARS: usize = 20;
const MAX_ANSWER_CHARS: usize = 200;
/// A rule answers again only after this long.
pub const COOLDOWN_MS: i64 = 30_000;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoReply {
    /// Any of these in a message (case aside) triggers the answer.
    pub keywords: Vec<String>,
    pub answer: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AutoReplyList {
    pub rules: Vec<AutoReply>,
}

/// Trims the rules and refuses empty, oversized or ambiguous ones (a keyword in two rules).
pub fn clean(rules: Vec<AutoReply>) -> Result<Vec<AutoReply>, LiveError> {
    if rules.len() > MAX_RULES {
        return Err(LiveError::Invalid(format!(
            "at most {MAX_RULES} auto-replies per session"
        )));
    }
    let mut seen = HashSet::new();
    let mut out = Vec::with_capacity(rules.len());
    for (i, r) in rules.into_iter().enumerate() {
        let keywords: Vec<String> = r
            .keywords
            .iter()
            .map(|k| k.trim().to_lowercase())
            .filter(|k| !k.is_empty())
            .collect();
        if keywords.is_empty() || keywords.len() > MAX_KEYWORDS {
            return Err(LiveError::Invalid(format!(
                "rules[{i}].keywords: 1 to {MAX_KEYWORDS} keywords"
            )));
        }
        for k in &keywords {
            if k.chars().count() > MAX_KEYWORD_CHARS {
                return Err(LiveError::Invalid(format!(
                    "rules[{i}].keywords: {k} is longer than {MAX_KEYWORD_CHARS} characters"
                )));
            }
            if !seen.insert(k.clone()) {
                return Err(LiveError::Invalid(format!(
                    "rules[{i}].keywords: {k} is already a keyword of another rule"
                )));
            }
        }
        let answer = r.answer.trim().to_owned();
        if answer.is_empty() || answer.chars().count() > MAX_ANSWER_CHARS {
            return Err(LiveError::Invalid(format!(
                "rules[{i}].answer: 1 to {MAX_ANSWER_CHARS} characters"
            )));
        }
        out.push(AutoReply {
            keywords,
            answer,
            enabled: r.enabled,
        });
    }
    Ok(out)
}

/// The enabled rules of a room and when each last spoke.
#[derive(Debug, Default)]
pub(crate) struct Replier {
    rules: Vec<(AutoReply, i64)>,
}

impl Replier {
    pub fn new(rules: Vec<AutoReply>) -> Self {
        Self {
            rules: rules
                .into_iter()
                .filter(|r| r.enabled)
                .map(|r| (r, i64::MIN / 2))
                .collect(),
        }
    }

    /// The answer for `text`, if a rule matches and is not cooling down.
    pub fn answer(&mut self, text: &str, now: i64) -> Option<String> {
        if self.rules.is_empty() {
            return None;
        }
        let text = text.to_lowercase();
        let (rule, last) = self
            .rules
            .iter_mut()
            .find(|(r, _)| r.keywords.iter().any(|k| text.contains(k.as_str())))?;
        if now - *last < COOLDOWN_MS {
            return None;
        }
        *last = now;
        Some(rule.answer.clone())
    }
}

pub async fn load(store: &Store, session: i64) -> Result<Vec<AutoReply>, LiveError> {
    let rows = sqlx::query(
        "SELECT keywords, answer, enabled FROM auto_replies WHERE session_id = $1 ORDER BY position",
    )
    .bind(session)
    .fetch_all(store.pool())
    .await?;
    rows.iter()
        .map(|r| {
            let keywords: String = r.try_get(0)?;
            Ok(AutoReply {
                keywords: serde_json::from_str(&keywords).unwrap_or_default(),
                answer: r.try_get(1)?,
                enabled: get_flag(r, "enabled")?,
            })
        })
        .collect()
}

/// Replaces a session's rules, all or nothing.
pub async fn replace(
    store: &Store,
    session: i64,
    rules: Vec<AutoReply>,
) -> Result<Vec<AutoReply>, LiveError> {
    let rules = clean(rules)?;
    let mut tx = store.begin_write().await?;
    sqlx::query("DELETE FROM auto_replies WHERE session_id = $1")
        .bind(session)
        .execute(&mut *tx)
        .await?;
    for (i, r) in rules.iter().enumerate() {
        sqlx::query(
            "INSERT INTO auto_replies (session_id, position, keywords, answer, enabled)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(session)
        .bind(i as i64)
        .bind(serde_json::to_string(&r.keywords).expect("keywords serialise"))
        .bind(&r.answer)
        .bind(r.enabled)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(rules)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(k: &[&str], a: &str) -> AutoReply {
        AutoReply {
            keywords: k.iter().map(|s| s.to_string()).collect(),
            answer: a.into(),
            enabled: true,
        }
    }

    #[test]
    fn a_keyword_answers_once_per_cooldown() {
        let mut r = Replier::new(clean(vec![rule(&["尺码", "Size"], "S/M/L 都有")]).unwrap());
        assert_eq!(r.answer("请问尺码怎么选", 0).as_deref(), Some("S/M/L 都有"));
        assert_eq!(r.answer("尺码？？", 1_000), None);
        assert_eq!(
            r.answer("what SIZE", COOLDOWN_MS).as_deref(),
            Some("S/M/L 都有")
        );
        assert_eq!(r.answer("好看", COOLDOWN_MS * 3), None);
    }

    #[test]
    fn disabled_rules_stay_quiet() {
        let mut off = rule(&["发货"], "48 小时内");
        off.enabled = false;
        let mut r = Replier::new(vec![off]);
        assert_eq!(r.answer("什么时候发货", 0), None);
    }

    #[test]
    fn bad_rules_are_refused_with_their_place() {
        let e = clean(vec![rule(&["优惠"], "a"), rule(&[" 优惠 "], "b")]).unwrap_err();
        assert!(e.to_string().contains("rules[1]"), "{e}");
        assert!(clean(vec![rule(&[], "a")]).is_err());
        assert!(clean(vec![rule(&["x"], " ")]).is_err());
        assert!(clean(vec![rule(&["x"], &"长".repeat(201))]).is_err());
        let many = (0..=MAX_RULES)
            .map(|i| rule(&[&i.to_string()], "a"))
            .collect();
        assert!(clean(many).is_err());
    }
}
