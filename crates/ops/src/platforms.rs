//! The platform-choice assistant (plan §3): platform profiles as editable data with their sources,
//! weighted criteria derived from a brand's answers, a ranking explained line by line, a
//! multi-platform mix where one platform leaves a weighted need uncovered, and the brand's own
//! measured results per platform beside the profiles. Rules and formulas: docs/platforms.md.

use crate::{OpsError, PLATFORMS};
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::Arc;
use tokio::sync::OnceCell;
use utoipa::ToSchema;

/// What a platform is scored on, 1 (poor) to 5 (strong).
pub const CRITERIA: [&str; 9] = [
    "user_base",
    "young_users",
    "mature_users",
    "shopping_intent",
    "supply_chain",
    "new_host_traffic",
    "interaction",
    "rules_ease",
    "data_access",
];

const STARTER: &str = include_str!("platform_profiles.json");

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Score {
    /// 1 (poor) to 5 (strong).
    pub score: i64,
    /// Why, in a sentence.
    #[serde(default)]
    pub note: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Source {
    pub title: String,
    #[serde(default)]
    pub url: Option<String>,
    #[serde(default)]
    pub note: String,
}

/// A platform's profile: a score on every criterion, and where the scores come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    pub platform: String,
    pub name: String,
    pub scores: BTreeMap<String, Score>,
    pub sources: Vec<Source>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Profile {
    #[serde(flatten)]
    pub profile: ProfileInput,
    pub updated_at: Timestamp,
}

/// A brand's answers.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Answers {
    /// young (18–30), mixed or mature (30+).
    pub audience: String,
    /// premium, value, entertaining or community.
    pub brand_style: String,
    /// The brand's own supply chain: weak, medium or strong.
    pub supply_chain: String,
    /// The hosts' experience: new, some or experienced.
    pub host_experience: String,
    /// Marketing budget: low, medium or high.
    pub budget: String,
    /// Extra weight per criterion (0–5), on top of what the answers give.
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
}

/// One criterion of one platform's score.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Line {
    pub criterion: String,
    pub score: i64,
    pub weight: f64,
    /// score × weight.
    pub points: f64,
    /// The profile's note on this score.
    pub note: String,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ranked {
    pub platform: String,
    pub name: String,
    /// Σ score × weight ÷ (5 × Σ weight) × 100: 100 is the best on every weighted criterion.
    pub total: f64,
    pub lines: Vec<Line>,
    /// What this brand measured on the platform's channels (absent until sessions have run).
    pub measured: Option<Measured>,
}

/// Why a criterion weighs what it does.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Weight {
    pub criterion: String,
    pub weight: f64,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Mix {
    pub platforms: Vec<String>,
    pub why: String,
}

#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct Measured {
    /// Ended sessions on the platform's channels.
    pub sessions: i64,
    pub uv: i64,
    pub paid_orders: i64,
    /// Paid GMV less refunds.
    pub gmv_fen: i64,
    pub gmv_per_session_fen: Option<i64>,
    /// Paying viewers ÷ UV.
    pub conversion: Option<f64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Assessment {
    pub weights: Vec<Weight>,
    /// Best first.
    pub ranking: Vec<Ranked>,
    /// Several platforms where they complement each other (plan §3, rule 5); one when one is enough.
    pub mix: Mix,
    /// Where the brand's own figures disagree with the profiles' order.
    pub measured_notes: Vec<String>,
}

#[derive(Clone)]
pub struct Platforms {
    store: Store,
    seeded: Arc<OnceCell<()>>,
}

impl Platforms {
    pub fn new(store: Store) -> Self {
        Self {
            store,
            seeded: Arc::new(OnceCell::new()),
        }
    }

    pub fn starter() -> Vec<ProfileInput> {
        serde_json::from_str(STARTER).expect("platform_profiles.json is valid")
    }

    async fn seed(&self) -> Result<(), OpsError> {
        self.seeded
            .get_or_try_init(|| async {
                for p in Self::starter() {
                    let p = validate(p)?;
                    sqlx::query(
                        "INSERT INTO platform_profiles (platform, name, scores, sources, updated_at)
                         VALUES ($1, $2, $3, $4, $5) ON CONFLICT (platform) DO NOTHING",
                    )
                    .bind(&p.platform)
                    .bind(&p.name)
                    .bind(serde_json::to_string(&p.scores).unwrap_or_default())
                    .bind(serde_json::to_string(&p.sources).unwrap_or_default())
                    .bind(Timestamp::now().millis())
                    .execute(self.store.pool())
                    .await?;
                }
                Ok::<(), OpsError>(())
            })
            .await?;
        Ok(())
    }

    pub async fn list(&self) -> Result<Vec<Profile>, OpsError> {
        self.seed().await?;
        let rows = sqlx::query(
            "SELECT platform, name, scores, sources, updated_at FROM platform_profiles",
        )
        .fetch_all(self.store.pool())
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            out.push(Profile {
                profile: ProfileInput {
                    platform: r.try_get(0)?,
                    name: r.try_get(1)?,
                    scores: serde_json::from_str(&r.try_get::<String, _>(2)?).unwrap_or_default(),
                    sources: serde_json::from_str(&r.try_get::<String, _>(3)?).unwrap_or_default(),
                },
                updated_at: Timestamp::from_millis(r.try_get(4)?),
            });
        }
        out.sort_by_key(|p| PLATFORMS.iter().position(|x| *x == p.profile.platform));
        Ok(out)
    }

    /// Replaces a platform's profile.
    pub async fn save(&self, input: ProfileInput, by: i64) -> Result<Profile, OpsError> {
        self.seed().await?;
        let p = validate(input)?;
        sqlx::query(
            "UPDATE platform_profiles SET name = $1, scores = $2, sources = $3, updated_by = $4,
             updated_at = $5 WHERE platform = $6",
        )
        .bind(&p.name)
        .bind(serde_json::to_string(&p.scores).unwrap_or_default())
        .bind(serde_json::to_string(&p.sources).unwrap_or_default())
        .bind(by)
        .bind(Timestamp::now().millis())
        .bind(&p.platform)
        .execute(self.store.pool())
        .await?;
        self.list()
            .await?
            .into_iter()
            .find(|x| x.profile.platform == p.platform)
            .ok_or_else(|| OpsError::NotFound(format!("platform `{}`", p.platform)))
    }

    /// Ranks the platforms for a brand's answers.
    pub async fn assess(&self, answers: &Answers) -> Result<Assessment, OpsError> {
        let weights = weigh(answers)?;
        let profiles = self.list().await?;
        let measured = self.measured().await?;
        Ok(rank(&profiles, weights, &measured))
    }

    /// The brand's figures per platform, from ended sessions on its channels.
    pub async fn measured(&self) -> Result<BTreeMap<String, Measured>, OpsError> {
        let rows = sqlx::query(
            "SELECT c.platform, COUNT(*),
                    CAST(COALESCE(SUM(a.uv), 0) AS BIGINT), CAST(COALESCE(SUM(a.paid_uv), 0) AS BIGINT),
                    CAST(COALESCE(SUM(a.paid_orders), 0) AS BIGINT),
                    CAST(COALESCE(SUM(a.gmv_fen - a.refund_fen), 0) AS BIGINT)
             FROM live_sessions ls
             JOIN channels c ON c.code = ls.channel
             LEFT JOIN analytics_sessions a ON a.session_id = ls.id AND a.replay = 0
             WHERE ls.state = 'ended' AND ls.practice_course_id IS NULL
             GROUP BY c.platform",
        )
        .fetch_all(self.store.pool())
        .await?;
        let mut out = BTreeMap::new();
        for r in rows {
            let sessions: i64 = r.try_get(1)?;
            let uv: i64 = r.try_get(2)?;
            let payers: i64 = r.try_get(3)?;
            let gmv: i64 = r.try_get(5)?;
            out.insert(
                r.try_get(0)?,
                Measured {
                    sessions,
                    uv,
                    paid_orders: r.try_get(4)?,
                    gmv_fen: gmv,
                    gmv_per_session_fen: (sessions > 0).then(|| gmv / sessions),
                    conversion: (uv > 0).then(|| payers as f64 / uv as f64),
                },
            );
        }
        Ok(out)
    }
}

fn validate(mut p: ProfileInput) -> Result<ProfileInput, OpsError> {
    if !PLATFORMS.contains(&p.platform.as_str()) {
        return Err(OpsError::NotFound(format!("platform `{}`", p.platform)));
    }
    p.name = p.name.trim().to_owned();
    if p.name.is_empty() || p.name.chars().count() > 60 {
        return Err(OpsError::Invalid("name: 1 to 60 characters".into()));
    }
    for c in CRITERIA {
        match p.scores.get(c) {
            None => return Err(OpsError::Invalid(format!("scores: `{c}` is missing"))),
            Some(s) if !(1..=5).contains(&s.score) => {
                return Err(OpsError::Invalid(format!("scores.{c}: 1 to 5")))
            }
            Some(s) if s.note.chars().count() > 200 => {
                return Err(OpsError::Invalid(format!(
                    "scores.{c}.note: at most 200 characters"
                )))
            }
            _ => {}
        }
    }
    if let Some(k) = p.scores.keys().find(|k| !CRITERIA.contains(&k.as_str())) {
        return Err(OpsError::Invalid(format!(
            "scores: `{k}` is not a criterion ({})",
            CRITERIA.join(", ")
        )));
    }
    if p.sources.is_empty() || p.sources.len() > 20 {
        return Err(OpsError::Invalid(
            "sources: 1 to 20 (say where the scores come from)".into(),
        ));
    }
    for s in &p.sources {
        if s.title.trim().is_empty()
            || s.title.chars().count() > 200
            || s.note.chars().count() > 500
        {
            return Err(OpsError::Invalid(
                "sources: a title of 1 to 200 characters and a note of at most 500".into(),
            ));
        }
        if let Some(u) = &s.url {
            if !(u.starts_with("https://") || u.starts_with("http://")) || u.len() > 500 {
                return Err(OpsError::Invalid("sources: url must be http(s)".into()));
            }
        }
    }
    Ok(p)
}

fn pick<'a>(field: &str, value: &'a str, allowed: &[&str]) -> Result<&'a str, OpsError> {
    if allowed.contains(&value) {
        Ok(value)
    } else {
        Err(OpsError::Invalid(format!(
            "{field}: one of {}",
            allowed.join(", ")
        )))
    }
}

/// The weight of each criterion from the answers, with the reason for every change.
pub fn weigh(a: &Answers) -> Result<Vec<Weight>, OpsError> {
    let mut w: BTreeMap<&str, (f64, Vec<String>)> = CRITERIA
        .iter()
        .map(|c| (*c, (1.0, vec!["base weight 1".to_owned()])))
        .collect();
    let mut add = |c: &'static str, by: f64, why: &str| {
        let e = w.get_mut(c).expect("criterion");
        e.0 += by;
        e.1.push(format!("{by:+} {why}"));
    };
    match pick("audience", &a.audience, &["young", "mixed", "mature"])? {
        "young" => add("young_users", 2.0, "your audience is young"),
        "mature" => add("mature_users", 2.0, "your audience is 30+"),
        _ => {
            add("young_users", 1.0, "your audience is mixed");
            add("mature_users", 1.0, "your audience is mixed");
        }
    }
    match pick(
        "brand_style",
        &a.brand_style,
        &["premium", "value", "entertaining", "community"],
    )? {
        "premium" => {
            add(
                "shopping_intent",
                1.0,
                "a premium brand sells to people who came to buy",
            );
            add(
                "mature_users",
                1.0,
                "a premium brand needs buyers with spending power",
            );
        }
        "value" => {
            add("user_base", 1.0, "a value brand lives on volume");
            add("shopping_intent", 1.0, "a value brand lives on volume");
        }
        "entertaining" => {
            add(
                "young_users",
                1.0,
                "an entertaining style suits young viewers",
            );
            add(
                "interaction",
                1.0,
                "an entertaining style needs an audience that joins in",
            );
        }
        _ => add(
            "interaction",
            2.0,
            "a community brand grows through interaction",
        ),
    }
    match pick(
        "supply_chain",
        &a.supply_chain,
        &["weak", "medium", "strong"],
    )? {
        "weak" => add(
            "supply_chain",
            2.0,
            "your own supply chain is weak: lean on the platform's",
        ),
        "strong" => add("supply_chain", -0.5, "your own supply chain is strong"),
        _ => {}
    }
    match pick(
        "host_experience",
        &a.host_experience,
        &["new", "some", "experienced"],
    )? {
        "new" => {
            add(
                "new_host_traffic",
                2.0,
                "new hosts need the platform to give them traffic",
            );
            add(
                "rules_ease",
                1.0,
                "new hosts break strict rules more easily",
            );
        }
        "experienced" => add(
            "new_host_traffic",
            -0.5,
            "experienced hosts bring their own audience",
        ),
        _ => {}
    }
    match pick("budget", &a.budget, &["low", "medium", "high"])? {
        "low" => {
            add("new_host_traffic", 1.0, "a low budget cannot buy traffic");
            add(
                "data_access",
                1.0,
                "a low budget needs its own audience data to re-use",
            );
        }
        "high" => add(
            "user_base",
            1.0,
            "a high budget can buy reach where the users are",
        ),
        _ => {}
    }
    for (c, extra) in &a.weights {
        let Some(c) = CRITERIA.iter().find(|x| **x == c.as_str()) else {
            return Err(OpsError::Invalid(format!(
                "weights: `{c}` is not a criterion ({})",
                CRITERIA.join(", ")
            )));
        };
        if !(0.0..=5.0).contains(extra) {
            return Err(OpsError::Invalid(format!("weights.{c}: 0 to 5")));
        }
        if *extra > 0.0 {
            add(c, *extra, "you weighted it");
        }
    }
    Ok(CRITERIA
        .iter()
        .map(|c| {
            let (weight, reasons) = w.remove(c).expect("criterion");
            Weight {
                criterion: (*c).to_owned(),
                weight,
                reasons,
            }
        })
        .collect())
}

/// Ranks the profiles under the weights; suggests a mix where the best leaves a need uncovered.
pub fn rank(
    profiles: &[Profile],
    weights: Vec<Weight>,
    measured: &BTreeMap<String, Measured>,
) -> Assessment {
    let total_weight: f64 = weights
        .iter()
        .map(|w| w.weight)
        .sum::<f64>()
        .max(f64::EPSILON);
    let mut ranking: Vec<Ranked> = profiles
        .iter()
        .map(|p| {
            let lines: Vec<Line> = weights
                .iter()
                .map(|w| {
                    let s = p.profile.scores.get(&w.criterion);
                    let score = s.map_or(0, |s| s.score);
                    Line {
                        criterion: w.criterion.clone(),
                        score,
                        weight: w.weight,
                        points: score as f64 * w.weight,
                        note: s.map(|s| s.note.clone()).unwrap_or_default(),
                    }
                })
                .collect();
            let points: f64 = lines.iter().map(|l| l.points).sum();
            Ranked {
                platform: p.profile.platform.clone(),
                name: p.profile.name.clone(),
                total: (points / (5.0 * total_weight) * 1000.0).round() / 10.0,
                lines,
                measured: measured.get(&p.profile.platform).cloned(),
            }
        })
        .collect();
    ranking.sort_by(|a, b| {
        b.total
            .total_cmp(&a.total)
            .then(a.platform.cmp(&b.platform))
    });

    // Plan §3 rule 5: several platforms complement each other. The heaviest criteria (weight
    // ≥ 2) where the first scores 3 or less are its gaps; the platform scoring best on them joins.
    let mix = match ranking.first() {
        None => Mix {
            platforms: vec![],
            why: "no platform profiles".into(),
        },
        Some(first) => {
            let gaps: Vec<&Line> = first
                .lines
                .iter()
                .filter(|l| l.weight >= 2.0 && l.score <= 3)
                .collect();
            let partner = ranking[1..]
                .iter()
                .map(|r| {
                    let cover: f64 = gaps
                        .iter()
                        .map(|g| {
                            let s = r
                                .lines
                                .iter()
                                .find(|l| l.criterion == g.criterion)
                                .map_or(0, |l| l.score);
                            (s - g.score).max(0) as f64 * g.weight
                        })
                        .sum();
                    (r, cover)
                })
                .filter(|(_, cover)| *cover > 0.0)
                .max_by(|a, b| {
                    a.1.total_cmp(&b.1)
                        .then(b.0.total.total_cmp(&a.0.total).reverse())
                });
            match partner {
                Some((p, _)) => {
                    let covered: Vec<String> = gaps
                        .iter()
                        .filter(|g| {
                            p.lines
                                .iter()
                                .any(|l| l.criterion == g.criterion && l.score > g.score)
                        })
                        .map(|g| g.criterion.clone())
                        .collect();
                    Mix {
                        platforms: vec![first.platform.clone(), p.platform.clone()],
                        why: format!(
                            "{} ranks first but scores 3 or less on {}, which weigh heavily for you; {} is stronger there, so run both.",
                            first.name,
                            covered.join(", "),
                            p.name
                        ),
                    }
                }
                None => Mix {
                    platforms: vec![first.platform.clone()],
                    why: format!(
                        "{} covers every criterion that weighs heavily for you; start there and add a second platform as the team grows.",
                        first.name
                    ),
                },
            }
        }
    };

    // Where the brand's own results order the platforms differently from the profiles.
    let mut measured_notes = Vec::new();
    let with_results: Vec<&Ranked> = ranking
        .iter()
        .filter(|r| r.measured.as_ref().is_some_and(|m| m.sessions > 0))
        .collect();
    for (i, a) in with_results.iter().enumerate() {
        for b in &with_results[i + 1..] {
            let (ga, gb) = (
                a.measured
                    .as_ref()
                    .and_then(|m| m.gmv_per_session_fen)
                    .unwrap_or(0),
                b.measured
                    .as_ref()
                    .and_then(|m| m.gmv_per_session_fen)
                    .unwrap_or(0),
            );
            if gb > ga {
                measured_notes.push(format!(
                    "The profiles rank {} above {}, but your sessions on {} made more GMV per session ({} vs {} fen over {} and {} sessions).",
                    a.name,
                    b.name,
                    b.name,
                    gb,
                    ga,
                    b.measured.as_ref().map_or(0, |m| m.sessions),
                    a.measured.as_ref().map_or(0, |m| m.sessions),
                ));
            }
        }
    }
    Assessment {
        weights,
        ranking,
        mix,
        measured_notes,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn profiles() -> Vec<Profile> {
        Platforms::starter()
            .into_iter()
            .map(|p| Profile {
                profile: validate(p).unwrap(),
                updated_at: Timestamp::from_millis(0),
            })
            .collect()
    }

    fn answers(audience: &str, style: &str, chain: &str, hosts: &str, budget: &str) -> Answers {
        Answers {
            audience: audience.into(),
            brand_style: style.into(),
            supply_chain: chain.into(),
            host_experience: hosts.into(),
            budget: budget.into(),
            weights: BTreeMap::new(),
        }
    }

    #[test]
    fn a_young_brand_with_new_hosts_goes_to_douyin_and_a_premium_mature_one_to_taobao() {
        let young = rank(
            &profiles(),
            weigh(&answers("young", "entertaining", "medium", "new", "low")).unwrap(),
            &BTreeMap::new(),
        );
        assert_eq!(
            young.ranking[0].platform,
            "douyin",
            "{:?}",
            young
                .ranking
                .iter()
                .map(|r| (&r.platform, r.total))
                .collect::<Vec<_>>()
        );
        let premium = rank(
            &profiles(),
            weigh(&answers("mature", "premium", "weak", "experienced", "high")).unwrap(),
            &BTreeMap::new(),
        );
        assert_eq!(premium.ranking[0].platform, "taobao");
    }

    #[test]
    fn every_score_is_explained_and_adds_up() {
        let a = rank(
            &profiles(),
            weigh(&answers("mixed", "community", "weak", "new", "medium")).unwrap(),
            &BTreeMap::new(),
        );
        let w: f64 = a.weights.iter().map(|w| w.weight).sum();
        for r in &a.ranking {
            assert_eq!(r.lines.len(), CRITERIA.len());
            let points: f64 = r.lines.iter().map(|l| l.points).sum();
            assert!(
                (r.total - (points / (5.0 * w) * 100.0)).abs() < 0.06,
                "{}",
                r.platform
            );
            assert!(r.lines.iter().all(|l| !l.note.is_empty()));
        }
        // Weak supply chain: +2 on the platform's supply chain, said so.
        let sc = a
            .weights
            .iter()
            .find(|w| w.criterion == "supply_chain")
            .unwrap();
        assert_eq!(sc.weight, 3.0);
        assert!(sc.reasons.iter().any(|r| r.contains("weak")));
        // A community brand weighs interaction 3, where Taobao (first or not) scores 3: a mix.
        assert!(!a.mix.why.is_empty());
    }

    #[test]
    fn a_gap_in_the_first_brings_in_a_partner() {
        // Young entertaining audience with a weak supply chain: Douyin leads, its supply chain
        // (3) is a heavy gap, and Taobao (5) covers it.
        let a = rank(
            &profiles(),
            weigh(&answers("young", "entertaining", "weak", "new", "low")).unwrap(),
            &BTreeMap::new(),
        );
        assert_eq!(a.mix.platforms.first().map(String::as_str), Some("douyin"));
        assert_eq!(
            a.mix.platforms.get(1).map(String::as_str),
            Some("taobao"),
            "{}",
            a.mix.why
        );
        assert!(a.mix.why.contains("supply_chain"), "{}", a.mix.why);
    }

    #[test]
    fn bad_answers_and_profiles_are_refused() {
        assert!(weigh(&answers("teen", "value", "weak", "new", "low")).is_err());
        let mut a = answers("young", "value", "weak", "new", "low");
        a.weights.insert("vibes".into(), 1.0);
        assert!(weigh(&a).is_err());
        let mut p = Platforms::starter().remove(0);
        p.scores.get_mut("user_base").unwrap().score = 6;
        assert!(validate(p.clone()).is_err());
        p.scores.remove("user_base");
        assert!(validate(p.clone()).is_err());
        let mut q = Platforms::starter().remove(0);
        q.sources.clear();
        assert!(validate(q).is_err());
    }
}
