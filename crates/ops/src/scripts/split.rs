//! A whole script pasted as text, split into segments. Teams write scripts in documents with a
//! heading per segment: `【开场】5分钟`, `一、产品讲解（20分钟）`, `## Opening (5 min)`,
//! `20:05-20:25 连衣裙讲解`. A heading starts a segment; its kind comes from its words, its length
//! from a duration or a time range; labelled lines below it (`人员：`, `道具：`, `优惠：`) fill
//! those fields and everything else is the script text. docs/scripts.md lists the forms.

use super::{Segment, SegmentKind, MAX_SCRIPT_CHARS, MAX_SEGMENTS};
use crate::OpsError;
use regex::Regex;
use serde::Serialize;
use std::sync::LazyLock;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Split {
    pub segments: Vec<Segment>,
    /// What the split had to guess (a segment without a length, text before the first heading).
    pub warnings: Vec<String>,
}

/// Minutes given to a segment whose heading names no length.
const DEFAULT_MINUTES: i64 = 5;
const MAX_HEADING_CHARS: usize = 60;

static MARKED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?x)^(?:
            【(?P<br>[^】]+)】(?P<br_rest>.*)
          | \#{1,6}\s+(?P<md>.+)
          | (?:第?[一二三四五六七八九十]+[、.．:：]|第[一二三四五六七八九十\d]+(?:部分|环节|段)[、.．:：]?|[(（][一二三四五六七八九十]+[)）])\s*(?P<num>.+)
          | (?:\d{1,2}[、.．)）]|[(（]\d{1,2}[)）])\s*(?P<dg>.+)
          | (?i-u:segment|part|step)\s*\d+\s*[:：.\-]?\s*(?P<en>.+)
        )$",
    )
    .expect("heading pattern")
});

static RANGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(\d{1,2})[:：](\d{2})\s*(?:-|–|—|~|～|至|到)\s*(\d{1,2})[:：](\d{2})\s*(.*)$")
        .expect("range pattern")
});

static DURATION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"[(（\[]?\s*(?:约|共|时长[:：]?\s*)?(\d{1,3}(?:\.\d+)?)\s*(小时|分钟|分|(?i-u:hours?|hrs?|h|minutes?|mins?|m)(?-u:\b))\s*[)）\]]?",
    )
    .expect("duration pattern")
});

static LABEL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^(人员|出镜|主播|道具|优惠|促销|福利|时长|(?i-u:people|cast|props?|promotion|offer|duration))\s*[:：]\s*(.*)$")
        .expect("label pattern")
});

/// Words that give a heading its kind, checked in this order.
const KIND_WORDS: &[(SegmentKind, &[&str])] = &[
    (
        SegmentKind::Opening,
        &[
            "开场", "暖场", "开播", "欢迎", "opening", "warm-up", "warm up", "welcome",
        ],
    ),
    (
        SegmentKind::Closing,
        &[
            "收尾", "结束", "下播", "结尾", "尾声", "总结", "closing", "wrap", "outro", "goodbye",
        ],
    ),
    (
        SegmentKind::Interaction,
        &[
            "互动",
            "抽奖",
            "问答",
            "游戏",
            "投票",
            "福袋",
            "interaction",
            "q&a",
            "lottery",
            "poll",
            "game",
            "giveaway",
        ],
    ),
    (
        SegmentKind::Promotion,
        &[
            "促销",
            "秒杀",
            "优惠",
            "福利",
            "逼单",
            "限时",
            "抢购",
            "满减",
            "发券",
            "promotion",
            "flash",
            "deal",
            "coupon",
            "discount",
        ],
    ),
    (
        SegmentKind::ProductIntro,
        &[
            "产品", "讲解", "介绍", "单品", "试穿", "试用", "展示", "上身", "product", "showcase",
            "demo", "introduc",
        ],
    ),
];

fn kind_of(title: &str) -> SegmentKind {
    let t = title.to_lowercase();
    KIND_WORDS
        .iter()
        .find(|(_, words)| words.iter().any(|w| t.contains(w)))
        .map_or(SegmentKind::Custom, |(k, _)| *k)
}

/// Minutes from a duration written in `s`, and `s` without it.
fn take_duration(s: &str) -> (Option<i64>, String) {
    let Some(c) = DURATION.captures(s) else {
        return (None, s.to_owned());
    };
    let n: f64 = c[1].parse().unwrap_or(0.0);
    let unit = c[2].to_lowercase();
    let minutes = if unit.starts_with('小') || unit.starts_with('h') {
        n * 60.0
    } else {
        n
    };
    let whole = c.get(0).expect("match");
    let rest = format!("{}{}", &s[..whole.start()], &s[whole.end()..]);
    (Some(minutes.round() as i64), rest)
}

fn tidy_title(s: &str) -> String {
    s.trim()
        .trim_matches(|c: char| c.is_whitespace() || "-–—:：,，、|｜()（）[]【】".contains(c))
        .to_owned()
}

struct Heading {
    title: String,
    minutes: Option<i64>,
}

fn heading(line: &str) -> Option<Heading> {
    if line.chars().count() > MAX_HEADING_CHARS {
        return None;
    }
    if let Some(c) = RANGE.captures(line) {
        let at =
            |h: &str, m: &str| h.parse::<i64>().unwrap_or(0) * 60 + m.parse::<i64>().unwrap_or(0);
        let (from, mut to) = (at(&c[1], &c[2]), at(&c[3], &c[4]));
        if to < from {
            to += 24 * 60; // past midnight
        }
        let (_, rest) = take_duration(&c[5]);
        return Some(Heading {
            title: tidy_title(&rest),
            minutes: Some(to - from),
        });
    }
    let c = MARKED.captures(line)?;
    let raw = ["br", "md", "num", "dg", "en"]
        .iter()
        .find_map(|g| c.name(g))
        .map(|m| m.as_str())?;
    // `1.` and `1、` also number points inside a segment: they open one only with a length.
    if c.name("dg").is_some() && take_duration(raw).0.is_none() {
        return None;
    }
    let rest = c.name("br_rest").map_or("", |m| m.as_str());
    let (minutes, title) = match take_duration(raw) {
        (Some(m), t) => (Some(m), t),
        (None, t) => {
            let (m, r) = take_duration(rest);
            // Words after 【…】 other than a length belong to the title: 【产品】连衣裙.
            (m, format!("{t} {}", tidy_title(&r)))
        }
    };
    Some(Heading {
        title: tidy_title(&title),
        minutes,
    })
}

fn blank(kind: SegmentKind, title: String, minutes: i64) -> Segment {
    Segment {
        kind,
        title,
        minutes,
        people: vec![],
        products: vec![],
        flash_sale_id: None,
        flash: None,
        promotion: String::new(),
        text: String::new(),
        props: String::new(),
    }
}

fn push_line(to: &mut String, line: &str) {
    if !to.is_empty() {
        to.push('\n');
    }
    to.push_str(line);
}

/// Splits a pasted script into segments.
pub fn split_script(text: &str) -> Result<Split, OpsError> {
    if text.chars().count() > MAX_SCRIPT_CHARS {
        return Err(OpsError::TooLarge(format!(
            "a script holds at most {MAX_SCRIPT_CHARS} characters"
        )));
    }
    let mut segments: Vec<Segment> = Vec::new();
    let mut guessed: Vec<bool> = Vec::new();
    let mut preface = String::new();
    let mut warnings = Vec::new();
    for raw in text.lines() {
        let line = raw.trim_end();
        let trimmed = line.trim();
        if let Some(h) = heading(trimmed) {
            let title = if h.title.is_empty() {
                format!("第{}段", segments.len() + 1)
            } else {
                h.title
            };
            let kind = kind_of(&title);
            guessed.push(h.minutes.is_none());
            segments.push(blank(
                kind,
                title.chars().take(80).collect(),
                h.minutes.unwrap_or(DEFAULT_MINUTES).clamp(1, 600),
            ));
            continue;
        }
        let Some(seg) = segments.last_mut() else {
            if !trimmed.is_empty() || !preface.is_empty() {
                push_line(&mut preface, line);
            }
            continue;
        };
        if let Some(c) = LABEL.captures(trimmed) {
            let value = c[2].trim();
            match c[1].to_lowercase().as_str() {
                "人员" | "出镜" | "主播" | "people" | "cast" => seg.people.extend(
                    value
                        .split(|ch: char| "、,，/;；".contains(ch))
                        .map(str::trim)
                        .filter(|p| !p.is_empty())
                        .map(str::to_owned),
                ),
                "道具" | "prop" | "props" => push_line(&mut seg.props, value),
                "时长" | "duration" => {
                    if let (Some(m), _) = take_duration(value) {
                        seg.minutes = m.clamp(1, 600);
                        *guessed.last_mut().expect("one per segment") = false;
                    }
                }
                _ => push_line(&mut seg.promotion, value),
            }
            continue;
        }
        if !trimmed.is_empty() || !seg.text.is_empty() {
            push_line(&mut seg.text, line);
        }
    }
    let preface = preface.trim_end().to_owned();
    if segments.is_empty() {
        if preface.is_empty() {
            return Err(OpsError::Invalid("the pasted script is empty".into()));
        }
        warnings.push(
            "no segment headings found (such as 【开场】5分钟 or 一、产品讲解（20分钟）): the whole text is one segment"
                .to_owned(),
        );
        let mut s = blank(SegmentKind::Custom, "整场".to_owned(), DEFAULT_MINUTES);
        s.text = preface;
        return Ok(Split {
            segments: vec![s],
            warnings,
        });
    }
    if !preface.is_empty() {
        warnings.push("text before the first heading was put at the start of segment 1".into());
        let first = &mut segments[0];
        first.text = if first.text.is_empty() {
            preface
        } else {
            format!("{preface}\n{}", first.text)
        };
    }
    for (i, s) in segments.iter_mut().enumerate() {
        s.text = s.text.trim_end().to_owned();
        if guessed[i] {
            warnings.push(format!(
                "segment {} ({}): no length found, set to {DEFAULT_MINUTES} minutes",
                i + 1,
                s.title
            ));
        }
    }
    if segments.len() > MAX_SEGMENTS {
        return Err(OpsError::TooLarge(format!(
            "{} segments found: a script has at most {MAX_SEGMENTS}",
            segments.len()
        )));
    }
    Ok(Split { segments, warnings })
}

#[cfg(test)]
mod tests {
    use super::*;
    use SegmentKind::*;

    fn summary(s: &Split) -> Vec<(SegmentKind, &str, i64)> {
        s.segments
            .iter()
            .map(|x| (x.kind, x.title.as_str(), x.minutes))
            .collect()
    }

    #[test]
    fn chinese_script_with_brackets_and_numbers() {
        let text = "今晚主题：秋季上新\n\
            【开场】5分钟\n大家好，欢迎来到直播间！\n人员：主播小美、助播阿杰\n\
            一、产品讲解：羊毛大衣（20分钟）\n面料是 100% 羊毛\n\n版型宽松\n道具：衣架、面料小样\n\
            二、福利抽奖 10分钟\n扣 1 参与抽奖\n\
            三、限时秒杀（15分钟）\n优惠：前 100 件直降 200 元\n\
            【结束】\n感谢大家，下期见";
        let s = split_script(text).unwrap();
        assert_eq!(
            summary(&s),
            vec![
                (Opening, "开场", 5),
                (ProductIntro, "产品讲解：羊毛大衣", 20),
                (Interaction, "福利抽奖", 10),
                (Promotion, "限时秒杀", 15),
                (Closing, "结束", 5),
            ]
        );
        assert_eq!(s.segments[0].people, vec!["主播小美", "助播阿杰"]);
        assert!(s.segments[0].text.starts_with("今晚主题：秋季上新\n大家好"));
        assert_eq!(s.segments[1].text, "面料是 100% 羊毛\n\n版型宽松");
        assert_eq!(s.segments[1].props, "衣架、面料小样");
        assert_eq!(s.segments[3].promotion, "前 100 件直降 200 元");
        assert_eq!(s.warnings.len(), 2, "{:?}", s.warnings); // preface, and 结束 without a length
    }

    #[test]
    fn time_ranges_and_markdown() {
        let text = "20:00-20:05 暖场\nhi\n20:05-20:35 单品讲解 连衣裙\n23:50-00:10 尾声\n\
            ## Q&A (10 min)\n## Closing 1h\n";
        let s = split_script(text).unwrap();
        assert_eq!(
            summary(&s),
            vec![
                (Opening, "暖场", 5),
                (ProductIntro, "单品讲解 连衣裙", 30),
                (Closing, "尾声", 20),
                (Interaction, "Q&A", 10),
                (Closing, "Closing", 60),
            ]
        );
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        // A letter after the number is a word, not a unit.
        let s = split_script("## Top 5 makeup looks\n## Opening 5 mins").unwrap();
        assert_eq!(
            summary(&s),
            vec![(Custom, "Top 5 makeup looks", 5), (Opening, "Opening", 5)]
        );
        assert_eq!(s.warnings.len(), 1);
    }

    #[test]
    fn no_headings_is_one_segment_with_a_warning() {
        let s = split_script("just talk\nabout things").unwrap();
        assert_eq!(s.segments.len(), 1);
        assert_eq!(s.segments[0].text, "just talk\nabout things");
        assert_eq!(s.warnings.len(), 1);
        assert!(split_script("  \n ").is_err());
    }

    #[test]
    fn long_lines_are_text_not_headings() {
        let long = format!("一、{}", "很长的一句话".repeat(20));
        let s = split_script(&format!(
            "【开场】3分钟\n{long}\n1. 面料\n2. 版型\n#秋季上新#\n3. 互动 5分钟"
        ))
        .unwrap();
        assert_eq!(s.segments.len(), 2);
        assert_eq!(
            s.segments[0].text,
            format!("{long}\n1. 面料\n2. 版型\n#秋季上新#")
        );
        assert_eq!(
            (s.segments[1].kind, s.segments[1].minutes),
            (Interaction, 5)
        );
    }

    #[test]
    fn oversized_input_is_refused_before_parsing() {
        let big = "字".repeat(MAX_SCRIPT_CHARS + 1);
        assert!(matches!(split_script(&big), Err(OpsError::TooLarge(_))));
    }
}
