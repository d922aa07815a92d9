//! The advertising-law (广告法) check of everything a brand says: script text, product copy,
//! announcements and coupons. Rules are data (`compliance_rules`): a regular expression over the
//! normalised text, phrases in which a match is fine, the article it breaks, why, and a rewrite.
//! A starter set ships with the binary (`compliance_starter.json`); admins edit, disable, add and
//! import rules, and every rule carries an example it must flag, checked whenever it is saved.

use crate::OpsError;
use regex::Regex;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, RwLock};
use tokio::sync::OnceCell;
use utoipa::ToSchema;

pub const CATEGORIES: [&str; 10] = [
    "absolute",
    "endorsement",
    "medical",
    "cosmetics",
    "efficacy",
    "urgency",
    "price",
    "superstition",
    "discrimination",
    "custom",
];
/// Kinds of goods a rule may be limited to.
pub const GOODS: [&str; 5] = ["ordinary", "cosmetics", "food", "health_food", "apparel"];
pub const SEVERITIES: [&str; 2] = ["block", "warn"];
/// The longest text one check reads (a long script is about 20,000 characters).
pub const MAX_TEXT_CHARS: usize = 100_000;
const MAX_PATTERN_CHARS: usize = 1_000;
const MAX_RULES_PER_IMPORT: usize = 1_000;

const STARTER: &str = include_str!("compliance_starter.json");

/// A rule as stored and as imported or exported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// Stable id: 1–40 of a-z, 0-9 and `-`.
    pub code: String,
    /// absolute, endorsement, medical, cosmetics, efficacy, urgency, price, superstition,
    /// discrimination or custom.
    pub category: String,
    /// A regular expression (Rust `regex` syntax) over the normalised text: lower-case, full-width
    /// letters, digits and signs made half-width, spaces and zero-width characters removed.
    pub pattern: String,
    /// Phrases in which a match is fine (e.g. 第一次 for 第一).
    #[serde(default)]
    pub allow: Vec<String>,
    /// The law and article, e.g. 《广告法》第九条第（三）项.
    pub article: String,
    /// Why it is a problem, in the words shown to the writer.
    pub message: String,
    /// How to say it instead.
    pub suggestion: String,
    /// Direct rewrites of particular matched terms (normalised term → replacement).
    #[serde(default)]
    pub replacements: BTreeMap<String, String>,
    /// `block` (must change) or `warn` (check it is true).
    pub severity: String,
    /// Goods the rule is limited to (ordinary, cosmetics, food, health_food, apparel); empty: all.
    #[serde(default)]
    pub goods: Vec<String>,
    /// A text the rule must flag: checked whenever the rule is saved.
    pub example: String,
    /// A text the rule must not flag (optional), checked the same way.
    #[serde(default)]
    pub clean_example: String,
    #[serde(default = "yes")]
    pub enabled: bool,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Rule {
    #[serde(flatten)]
    pub rule: RuleInput,
    /// Shipped with sellstream: it can be edited or disabled, not deleted.
    pub starter: bool,
    pub updated_at: Timestamp,
}

/// One finding in a text.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Hit {
    pub rule: String,
    pub category: String,
    pub severity: String,
    /// Where it is, in UTF-16 code units (as JavaScript strings count): `text[start..end]`.
    pub start: usize,
    pub end: usize,
    /// The words as written.
    pub text: String,
    pub article: String,
    pub message: String,
    pub suggestion: String,
    /// A direct rewrite of these words, when the rule has one.
    pub replacement: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CheckResult {
    /// No hit of severity `block`.
    pub passed: bool,
    pub hits: Vec<Hit>,
    /// The text with every hit that has a direct rewrite rewritten.
    pub suggested_text: String,
}

struct Compiled {
    rule: RuleInput,
    re: Regex,
    allow: Vec<String>,
}

/// The enabled rules, compiled, and what they were compiled from.
struct RuleSet {
    version: (i64, i64),
    rules: Vec<Compiled>,
}

#[derive(Clone)]
pub struct Compliance {
    store: Store,
    seeded: Arc<OnceCell<()>>,
    cache: Arc<RwLock<Option<Arc<RuleSet>>>>,
}

/// The text made comparable: lower-case ASCII, full-width forms half-width, without whitespace and
/// zero-width characters. `spans[i]` is the byte range in the original of the i-th kept char.
struct Normalised {
    text: String,
    /// (byte offset in `text`, original byte start, original byte end)
    spans: Vec<(usize, usize, usize)>,
}

fn normalise(original: &str) -> Normalised {
    let mut text = String::with_capacity(original.len());
    let mut spans = Vec::with_capacity(original.len());
    for (at, c) in original.char_indices() {
        let end = at + c.len_utf8();
        if c.is_whitespace() || matches!(c, '\u{200B}'..='\u{200D}' | '\u{2060}' | '\u{FEFF}') {
            continue;
        }
        let c = match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            _ => c,
        };
        spans.push((text.len(), at, end));
        text.push(c.to_ascii_lowercase());
    }
    Normalised { text, spans }
}

fn normalise_str(s: &str) -> String {
    normalise(s).text
}

impl Normalised {
    /// The original byte range of normalised bytes `a..b`.
    fn original(&self, a: usize, b: usize) -> (usize, usize) {
        let first = self.spans.partition_point(|s| s.0 < a);
        let last = self.spans.partition_point(|s| s.0 < b);
        let start = self.spans.get(first).map_or(0, |s| s.1);
        let end = last
            .checked_sub(1)
            .and_then(|i| self.spans.get(i))
            .map_or(start, |s| s.2);
        (start, end)
    }
}

impl Compliance {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            seeded: Arc::new(OnceCell::new()),
            cache: Arc::new(RwLock::new(None)),
        }
    }

    /// The starter rules as shipped.
    pub fn starter() -> Vec<RuleInput> {
        serde_json::from_str(STARTER).expect("compliance_starter.json is valid")
    }

    /// Adds the starter rules that are not there yet (an edited or disabled one is left alone).
    async fn seed(&self) -> Result<(), OpsError> {
        self.seeded
            .get_or_try_init(|| async {
                for r in Self::starter() {
                    write(self.store.pool(), &validate(r)?, Write::Seed).await?;
                }
                Ok::<(), OpsError>(())
            })
            .await?;
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<Rule>, OpsError> {
        self.seed().await?;
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS}, starter, updated_at FROM compliance_rules ORDER BY starter DESC, category, code"
        ))
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(rule_from_row).collect()
    }

    pub async fn get(&self, code: &str) -> Result<Rule, OpsError> {
        self.seed().await?;
        let row = sqlx::query(&format!(
            "SELECT {COLUMNS}, starter, updated_at FROM compliance_rules WHERE code = $1"
        ))
        .bind(code)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or_else(|| OpsError::NotFound(format!("compliance rule `{code}`")))?;
        rule_from_row(&row)
    }

    /// Adds a rule (`create`) or replaces one (`!create`), after checking it flags its example.
    pub async fn save(&self, rule: RuleInput, create: bool, by: i64) -> Result<Rule, OpsError> {
        self.seed().await?;
        let rule = validate(rule)?;
        let mut tx = self.store.pool().begin().await?;
        let exists: i64 = sqlx::query("SELECT COUNT(*) FROM compliance_rules WHERE code = $1")
            .bind(&rule.code)
            .fetch_one(&mut *tx)
            .await?
            .try_get(0)?;
        if create && exists > 0 {
            return Err(OpsError::AlreadyExists(format!(
                "code: `{}` is already a rule",
                rule.code
            )));
        }
        if !create && exists == 0 {
            return Err(OpsError::NotFound(format!(
                "compliance rule `{}`",
                rule.code
            )));
        }
        write(&mut *tx, &rule, Write::By(by)).await?;
        tx.commit().await?;
        self.forget();
        self.get(&rule.code).await
    }

    /// Replaces or adds every rule of an import, all or nothing.
    pub async fn import(&self, rules: Vec<RuleInput>, by: i64) -> Result<usize, OpsError> {
        self.seed().await?;
        if rules.is_empty() || rules.len() > MAX_RULES_PER_IMPORT {
            return Err(OpsError::Invalid(format!(
                "an import holds 1 to {MAX_RULES_PER_IMPORT} rules"
            )));
        }
        let mut seen = std::collections::HashSet::new();
        let mut checked = Vec::with_capacity(rules.len());
        for (i, r) in rules.into_iter().enumerate() {
            if !seen.insert(r.code.trim().to_owned()) {
                return Err(OpsError::Invalid(format!(
                    "rule {}: code `{}` appears twice in the import",
                    i + 1,
                    r.code.trim()
                )));
            }
            checked.push(validate(r).map_err(|e| match e {
                OpsError::Invalid(m) => OpsError::Invalid(format!("rule {}: {m}", i + 1)),
                other => other,
            })?);
        }
        let mut tx = self.store.pool().begin().await?;
        for r in &checked {
            write(&mut *tx, r, Write::By(by)).await?;
        }
        tx.commit().await?;
        self.forget();
        Ok(checked.len())
    }

    /// Deletes a rule the brand added; a starter rule can only be disabled.
    pub async fn delete(&self, code: &str) -> Result<(), OpsError> {
        let rule = self.get(code).await?;
        if rule.starter {
            return Err(OpsError::Conflict(format!(
                "`{code}` ships with sellstream: disable it instead"
            )));
        }
        sqlx::query("DELETE FROM compliance_rules WHERE code = $1")
            .bind(code)
            .execute(self.store.pool())
            .await?;
        self.forget();
        Ok(())
    }

    fn forget(&self) {
        *self.cache.write().unwrap_or_else(|e| e.into_inner()) = None;
    }

    /// The enabled rules, compiled once per change (another node's change is seen by the version).
    async fn rules(&self) -> Result<Arc<RuleSet>, OpsError> {
        self.seed().await?;
        let row = sqlx::query(
            "SELECT COUNT(*), COALESCE(MAX(updated_at), 0) FROM compliance_rules WHERE enabled = $1",
        )
        .bind(true)
        .fetch_one(self.store.pool())
        .await?;
        let version: (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
        if let Some(set) = self
            .cache
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .as_ref()
            .filter(|s| s.version == version)
        {
            return Ok(set.clone());
        }
        let mut rules = Vec::new();
        for r in self.list().await? {
            if !r.rule.enabled {
                continue;
            }
            match compile(r.rule) {
                Ok(c) => rules.push(c),
                // Stored rules were checked when saved; one that no longer compiles is skipped.
                Err(e) => tracing::warn!(error = %e, "compliance rule skipped"),
            }
        }
        let set = Arc::new(RuleSet { version, rules });
        *self.cache.write().unwrap_or_else(|e| e.into_inner()) = Some(set.clone());
        Ok(set)
    }

    /// Checks a text against the enabled rules (those limited to other goods are skipped when
    /// `goods` is given).
    pub async fn check(&self, text: &str, goods: Option<&str>) -> Result<CheckResult, OpsError> {
        self.checker(goods).await?.check(text)
    }

    /// The enabled rules for `goods`, read once for many texts (a scan).
    pub async fn checker(&self, goods: Option<&str>) -> Result<Checker, OpsError> {
        if let Some(g) = goods {
            if !GOODS.contains(&g) {
                return Err(OpsError::Invalid(format!(
                    "goods: one of {}",
                    GOODS.join(", ")
                )));
            }
        }
        Ok(Checker {
            set: self.rules().await?,
            goods: goods.map(str::to_owned),
        })
    }
}

/// The rules that apply to one kind of goods (or all), ready to check texts.
pub struct Checker {
    set: Arc<RuleSet>,
    goods: Option<String>,
}

impl Checker {
    pub fn check(&self, text: &str) -> Result<CheckResult, OpsError> {
        if text.chars().count() > MAX_TEXT_CHARS {
            return Err(OpsError::TooLarge(format!(
                "a check reads at most {MAX_TEXT_CHARS} characters"
            )));
        }
        let rules: Vec<&Compiled> = self
            .set
            .rules
            .iter()
            .filter(|c| {
                self.goods
                    .as_ref()
                    .is_none_or(|g| c.rule.goods.is_empty() || c.rule.goods.contains(g))
            })
            .collect();
        Ok(run(&rules, text))
    }
}

/// Every hit of `rules` in `text`, in order of position.
fn run(rules: &[&Compiled], text: &str) -> CheckResult {
    let n = normalise(text);
    let mut found: Vec<(usize, usize, &Compiled, String)> = Vec::new();
    for c in rules {
        'matches: for m in c.re.find_iter(&n.text) {
            if m.start() == m.end() {
                continue;
            }
            for phrase in &c.allow {
                for (at, p) in n.text.match_indices(phrase.as_str()) {
                    if at <= m.start() && m.end() <= at + p.len() {
                        continue 'matches;
                    }
                }
            }
            let (a, b) = n.original(m.start(), m.end());
            found.push((a, b, c, m.as_str().to_owned()));
        }
    }
    found.sort_by_key(|f| (f.0, std::cmp::Reverse(f.1)));
    let utf16 = |byte: usize| text[..byte].encode_utf16().count();
    let mut hits = Vec::with_capacity(found.len());
    // Rewrites apply left to right, skipping any that overlaps one already applied.
    let mut suggested = String::with_capacity(text.len());
    let mut copied = 0;
    for (a, b, c, matched) in found {
        let replacement = c.rule.replacements.get(&matched).cloned();
        if let Some(r) = &replacement {
            if a >= copied {
                suggested.push_str(&text[copied..a]);
                suggested.push_str(r);
                copied = b;
            }
        }
        hits.push(Hit {
            rule: c.rule.code.clone(),
            category: c.rule.category.clone(),
            severity: c.rule.severity.clone(),
            start: utf16(a),
            end: utf16(b),
            text: text[a..b].to_owned(),
            article: c.rule.article.clone(),
            message: c.rule.message.clone(),
            suggestion: c.rule.suggestion.clone(),
            replacement,
        });
    }
    suggested.push_str(&text[copied..]);
    CheckResult {
        passed: !hits.iter().any(|h| h.severity == "block"),
        hits,
        suggested_text: suggested,
    }
}

fn compile(rule: RuleInput) -> Result<Compiled, OpsError> {
    let re = regex::RegexBuilder::new(&rule.pattern)
        .size_limit(1 << 20)
        .build()
        .map_err(|e| OpsError::Invalid(format!("pattern: {e}")))?;
    let allow = rule.allow.iter().map(|a| normalise_str(a)).collect();
    Ok(Compiled { rule, re, allow })
}

/// Checks a rule's fields, and that it flags its example and not its clean example.
pub fn validate(mut r: RuleInput) -> Result<RuleInput, OpsError> {
    let invalid = |m: String| Err(OpsError::Invalid(m));
    r.code = r.code.trim().to_owned();
    if r.code.is_empty()
        || r.code.len() > 40
        || !r
            .code
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return invalid("code: 1 to 40 of a-z, 0-9 and -".into());
    }
    if !CATEGORIES.contains(&r.category.as_str()) {
        return invalid(format!("category: one of {}", CATEGORIES.join(", ")));
    }
    if !SEVERITIES.contains(&r.severity.as_str()) {
        return invalid("severity: block or warn".into());
    }
    if let Some(g) = r.goods.iter().find(|g| !GOODS.contains(&g.as_str())) {
        return invalid(format!("goods: `{g}` is not one of {}", GOODS.join(", ")));
    }
    let text = |name: &str, v: &str, max: usize| -> Result<(), OpsError> {
        let n = v.trim().chars().count();
        if n == 0 || n > max {
            return Err(OpsError::Invalid(format!("{name}: 1 to {max} characters")));
        }
        Ok(())
    };
    text("pattern", &r.pattern, MAX_PATTERN_CHARS)?;
    text("article", &r.article, 100)?;
    text("message", &r.message, 300)?;
    text("suggestion", &r.suggestion, 300)?;
    text("example", &r.example, 300)?;
    if r.clean_example.chars().count() > 300 {
        return invalid("clean_example: at most 300 characters".into());
    }
    if r.allow.len() > 100
        || r.allow
            .iter()
            .any(|a| a.trim().is_empty() || a.chars().count() > 40)
    {
        return invalid("allow: at most 100 phrases of 1 to 40 characters".into());
    }
    if r.replacements.len() > 100
        || r.replacements
            .iter()
            .any(|(k, v)| k.is_empty() || k.chars().count() > 40 || v.chars().count() > 80)
    {
        return invalid(
            "replacements: at most 100, terms up to 40 and rewrites up to 80 characters".into(),
        );
    }
    // Terms are looked up as matched in the normalised text.
    r.replacements = r
        .replacements
        .into_iter()
        .map(|(k, v)| (normalise_str(&k), v))
        .collect();
    let c = compile(r.clone())?;
    if c.re.is_match("") {
        return invalid("pattern: matches an empty text, so it would flag everything".into());
    }
    if run(&[&c], &r.example).hits.is_empty() {
        return invalid(format!(
            "example: the rule does not flag its own example “{}”",
            r.example
        ));
    }
    if !r.clean_example.is_empty() && !run(&[&c], &r.clean_example).hits.is_empty() {
        return invalid(format!(
            "clean_example: the rule flags “{}”, which it should not",
            r.clean_example
        ));
    }
    Ok(r)
}

const COLUMNS: &str =
    "code, category, pattern, allow, article, message, suggestion, replacements, \
     severity, goods, example, clean_example, enabled";

/// How a rule is written: a starter rule only where its code is missing, or a staff member's
/// rule added or replaced.
enum Write {
    Seed,
    By(i64),
}

async fn write<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    ex: E,
    r: &RuleInput,
    how: Write,
) -> Result<(), OpsError> {
    let (starter, by, conflict) = match how {
        Write::Seed => (true, None, "DO NOTHING"),
        Write::By(by) => (
            false,
            Some(by),
            "DO UPDATE SET category = excluded.category, pattern = excluded.pattern,
             allow = excluded.allow, article = excluded.article, message = excluded.message,
             suggestion = excluded.suggestion, replacements = excluded.replacements,
             severity = excluded.severity, goods = excluded.goods, example = excluded.example,
             clean_example = excluded.clean_example, enabled = excluded.enabled,
             updated_by = excluded.updated_by, updated_at = excluded.updated_at",
        ),
    };
    sqlx::query(&format!(
        "INSERT INTO compliance_rules ({COLUMNS}, starter, updated_by, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)
         ON CONFLICT (code) {conflict}"
    ))
    .bind(&r.code)
    .bind(&r.category)
    .bind(&r.pattern)
    .bind(serde_json::to_string(&r.allow).unwrap_or_default())
    .bind(&r.article)
    .bind(&r.message)
    .bind(&r.suggestion)
    .bind(serde_json::to_string(&r.replacements).unwrap_or_default())
    .bind(&r.severity)
    .bind(serde_json::to_string(&r.goods).unwrap_or_default())
    .bind(&r.example)
    .bind(&r.clean_example)
    .bind(r.enabled)
    .bind(starter)
    .bind(by)
    .bind(Timestamp::now().millis())
    .execute(ex)
    .await?;
    Ok(())
}

fn rule_from_row(r: &sellstream_store::AnyRow) -> Result<Rule, OpsError> {
    let json = |col: &str| -> Result<String, sqlx::Error> { r.try_get(col) };
    Ok(Rule {
        rule: RuleInput {
            code: r.try_get("code")?,
            category: r.try_get("category")?,
            pattern: r.try_get("pattern")?,
            allow: serde_json::from_str(&json("allow")?).unwrap_or_default(),
            article: r.try_get("article")?,
            message: r.try_get("message")?,
            suggestion: r.try_get("suggestion")?,
            replacements: serde_json::from_str(&json("replacements")?).unwrap_or_default(),
            severity: r.try_get("severity")?,
            goods: serde_json::from_str(&json("goods")?).unwrap_or_default(),
            example: r.try_get("example")?,
            clean_example: r.try_get("clean_example")?,
            enabled: sellstream_store::get_flag(r, "enabled")?,
        },
        starter: sellstream_store::get_flag(r, "starter")?,
        updated_at: Timestamp::from_millis(r.try_get("updated_at")?),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(rules: &[RuleInput], text: &str) -> CheckResult {
        let compiled: Vec<Compiled> = rules
            .iter()
            .cloned()
            .map(|r| compile(validate(r).unwrap()).unwrap())
            .collect();
        run(&compiled.iter().collect::<Vec<_>>(), text)
    }

    /// Every starter rule flags its example, passes its clean example, and is a valid rule.
    #[test]
    fn every_starter_rule_flags_its_example_and_only_that() {
        let starter = Compliance::starter();
        assert!(starter.len() >= 10);
        for r in &starter {
            let v = validate(r.clone()).unwrap_or_else(|e| panic!("{}: {e}", r.code));
            let hit = check(std::slice::from_ref(&v), &v.example);
            assert!(!hit.hits.is_empty(), "{} flags its example", r.code);
            assert!(hit.hits.iter().all(|h| h.rule == r.code));
            assert!(
                !r.clean_example.is_empty(),
                "{} has a clean example",
                r.code
            );
            assert!(
                check(&[v.clone()], &r.clean_example).hits.is_empty(),
                "{}",
                r.code
            );
        }
    }

    #[test]
    fn hits_are_placed_in_the_original_text_and_rewritten() {
        let starter = Compliance::starter();
        // Full-width letters and a space inside the word still match; positions are the original's.
        let text = "宝宝们，这是 全网最 低价！ＮＯ．１的品质";
        let r = check(&starter, text);
        let zui = r.hits.iter().find(|h| h.rule == "absolute-zui").unwrap();
        let utf16: Vec<u16> = text.encode_utf16().collect();
        assert_eq!(
            String::from_utf16(&utf16[zui.start..zui.end]).unwrap(),
            "最 低价"
        );
        assert_eq!(zui.text, "最 低价");
        assert_eq!(zui.replacement.as_deref(), Some("直播间专享价"));
        let first = r.hits.iter().find(|h| h.rule == "absolute-first").unwrap();
        assert_eq!(first.text, "ＮＯ．１");
        assert!(!r.passed);
        assert!(
            r.suggested_text.contains("直播间专享价"),
            "{}",
            r.suggested_text
        );
        assert!(
            r.suggested_text.contains("人气之选"),
            "{}",
            r.suggested_text
        );
        // Allowed phrases and honest composition pass.
        let ok = check(&starter, "第一次来的宝宝先关注，面料100%纯棉。");
        assert!(ok.hits.is_empty(), "{:?}", ok.hits);
        assert!(ok.passed);
        assert_eq!(ok.suggested_text, "第一次来的宝宝先关注，面料100%纯棉。");
    }

    #[test]
    fn a_rule_that_misses_its_example_or_matches_nothing_is_refused() {
        let mut r = Compliance::starter().remove(0);
        r.example = "普通的一句话".into();
        assert!(
            matches!(validate(r.clone()), Err(OpsError::Invalid(m)) if m.starts_with("example"))
        );
        r.example = "最好".into();
        r.pattern = "a*".into();
        assert!(matches!(validate(r.clone()), Err(OpsError::Invalid(m)) if m.contains("empty")));
        r.pattern = "(unclosed".into();
        assert!(matches!(validate(r), Err(OpsError::Invalid(m)) if m.starts_with("pattern")));
    }
}
