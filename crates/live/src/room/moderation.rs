//! Chat moderation before anyone sees a message: banned words (admin-edited, starter list in the
//! migration) found by one Aho-Corasick pass, plus the contact details live rooms block — phone
//! numbers and other long digit runs, also written in Chinese numerals.

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, MatchKind};

/// Why a word is banned; shown to the sender.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WordCategory {
    Abuse,
    Contact,
    Trading,
    Custom,
}

impl WordCategory {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Abuse => "abuse",
            Self::Contact => "contact",
            Self::Trading => "trading",
            Self::Custom => "custom",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Abuse, Self::Contact, Self::Trading, Self::Custom]
            .into_iter()
            .find(|c| c.as_str() == s)
    }

    fn reason(self) -> &'static str {
        match self {
            Self::Abuse => "abusive language is not allowed",
            Self::Contact => "sharing contact details is not allowed",
            Self::Trading => "trading off the platform is not allowed",
            Self::Custom => "this word is not allowed in this room",
        }
    }
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub category: WordCategory,
    /// The word or pattern that matched, as the room shows it to the sender.
    pub matched: String,
}

impl Refusal {
    pub fn message(&self) -> String {
        format!("{} ({})", self.category.reason(), self.matched)
    }
}

/// A compiled word list. Build once per change, share by `Arc`.
pub struct Matcher {
    automaton: Option<AhoCorasick>,
    words: Vec<(String, WordCategory)>,
}

/// Digit runs at least this long (after dropping separators) look like a phone number, QQ or
/// bank account.
const MIN_DIGIT_RUN: usize = 7;

impl Matcher {
    pub fn new(words: impl IntoIterator<Item = (String, WordCategory)>) -> Self {
        let words: Vec<(String, WordCategory)> = words
            .into_iter()
            .map(|(w, c)| (normalise(&w), c))
            .filter(|(w, _)| !w.is_empty())
            .collect();
        let automaton = (!words.is_empty()).then(|| {
            AhoCorasickBuilder::new()
                .match_kind(MatchKind::LeftmostLongest)
                .build(words.iter().map(|(w, _)| w.as_str()))
                .expect("plain string patterns always build")
        });
        Self { automaton, words }
    }

    pub fn len(&self) -> usize {
        self.words.len()
    }

    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// `Err` with the reason when `text` may not be shown.
    pub fn check(&self, text: &str) -> Result<(), Refusal> {
        let norm = normalise(text);
        if let Some(ac) = &self.automaton {
            if let Some(m) = ac.find(&norm) {
                let (word, category) = &self.words[m.pattern().as_usize()];
                return Err(Refusal {
                    category: *category,
                    matched: word.clone(),
                });
            }
        }
        if let Some(run) = digit_run(&norm) {
            return Err(Refusal {
                category: WordCategory::Contact,
                matched: format!("{}…", &run[..run.len().min(3)]),
            });
        }
        Ok(())
    }
}

/// Lower case, full-width to ASCII, and no spaces or punctuation, so `加 微 信` and `ＶＸ` match.
fn normalise(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            _ => c,
        })
        .flat_map(char::to_lowercase)
        .filter(|c| {
            !(c.is_whitespace()
                || c.is_ascii_punctuation()
                || "，。、！？·—…～「」『』（）【】《》“”‘’".contains(*c))
        })
        .collect()
}

/// The first run of digits (ASCII or Chinese numerals) of at least [`MIN_DIGIT_RUN`].
fn digit_run(norm: &str) -> Option<String> {
    let mut run = String::new();
    for c in norm.chars() {
        let d = match c {
            '0'..='9' => Some(c),
            '零' | '〇' | '○' => Some('0'),
            '一' | '幺' | '壹' => Some('1'),
            '二' | '两' | '贰' => Some('2'),
            '三' | '叁' => Some('3'),
            '四' | '肆' => Some('4'),
            '五' | '伍' => Some('5'),
            '六' | '陆' => Some('6'),
            '七' | '柒' => Some('7'),
            '八' | '捌' => Some('8'),
            '九' | '玖' => Some('9'),
            _ => None,
        };
        match d {
            Some(d) => {
                run.push(d);
                if run.len() >= MIN_DIGIT_RUN {
                    return Some(run);
                }
            }
            None => run.clear(),
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matcher() -> Matcher {
        Matcher::new([
            ("傻逼".to_owned(), WordCategory::Abuse),
            ("加微信".to_owned(), WordCategory::Contact),
            ("vx".to_owned(), WordCategory::Contact),
            ("私下交易".to_owned(), WordCategory::Trading),
        ])
    }

    #[test]
    fn passes_ordinary_chat() {
        let m = matcher();
        for ok in [
            "主播好美！",
            "3号链接还有吗",
            "199 太划算了",
            "M码偏大吗",
            "Nice lipstick 😍",
        ] {
            assert!(m.check(ok).is_ok(), "{ok}");
        }
    }

    #[test]
    fn refuses_banned_words_even_when_spaced_or_full_width() {
        let m = matcher();
        let r = m.check("有事 加 微 信 吧").unwrap_err();
        assert_eq!(r.category, WordCategory::Contact);
        assert_eq!(r.matched, "加微信");
        assert!(m.check("ＶＸ：abc123").is_err());
        assert_eq!(
            m.check("你个傻逼").unwrap_err().category,
            WordCategory::Abuse
        );
        assert!(m
            .check("可以私下交易吗")
            .unwrap_err()
            .message()
            .contains("off the platform"));
    }

    #[test]
    fn refuses_phone_numbers_in_digits_or_numerals() {
        let m = Matcher::new([]);
        assert!(m.check("call 138-0013-8000").is_err());
        assert!(m.check("幺三八零零一三八零零零").is_err());
        assert!(
            m.check("一二三四五").is_ok(),
            "five numerals are not a number to call"
        );
        assert!(m.check("2026年11月26日").is_ok());
    }
}
