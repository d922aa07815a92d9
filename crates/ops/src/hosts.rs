//! Host profiles beside their staff accounts: real-name verification (recorded, not automated),
//! categories, contract dates with expiry warnings; and the compliance side of a host's record.

use crate::compliance::Compliance;
use crate::scripts::Segment;
use crate::OpsError;
use sellstream_core::Timestamp;
use sellstream_store::{Row, Store};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use utoipa::ToSchema;

/// A contract ending within this many days is flagged.
pub const EXPIRY_WARNING_DAYS: i64 = 30;
pub const VERIFICATION: [&str; 4] = ["unverified", "submitted", "verified", "rejected"];

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileInput {
    #[serde(default)]
    pub real_name: String,
    /// unverified, submitted (documents handed in), verified or rejected.
    pub verification: String,
    /// What was checked, or why it was refused (required to reject).
    #[serde(default)]
    pub verification_note: String,
    #[serde(default)]
    pub categories: Vec<String>,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub contract_start: Option<String>,
    #[serde(default)]
    pub contract_end: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HostProfile {
    pub account_id: i64,
    pub username: String,
    pub nickname: String,
    /// Personal data: talent managers only (null for others).
    pub real_name: Option<String>,
    pub verification: String,
    pub verification_note: String,
    pub verified_by: Option<String>,
    pub verified_at: Option<Timestamp>,
    pub categories: Vec<String>,
    pub contract_start: Option<String>,
    pub contract_end: Option<String>,
    /// none, active, expiring (within 30 days) or expired — by Beijing date.
    pub contract_status: String,
    pub days_left: Option<i64>,
    pub candidate_id: Option<i64>,
    pub disabled: bool,
}

#[derive(Clone)]
pub struct Hosts {
    store: Store,
    compliance: Compliance,
}

fn today() -> time::Date {
    time::OffsetDateTime::now_utc()
        .to_offset(time::macros::offset!(+8))
        .date()
}

fn parse_day(field: &str, s: &str) -> Result<time::Date, OpsError> {
    time::Date::parse(s, time::macros::format_description!("[year]-[month]-[day]"))
        .map_err(|_| OpsError::Invalid(format!("{field}: a date as YYYY-MM-DD")))
}

/// The contract's standing on `today`: status and days left.
pub fn contract_status(end: Option<&str>, today: time::Date) -> (String, Option<i64>) {
    let Some(end) = end.and_then(|e| parse_day("contract_end", e).ok()) else {
        return ("none".into(), None);
    };
    let left = (end - today).whole_days();
    let status = if left < 0 {
        "expired"
    } else if left <= EXPIRY_WARNING_DAYS {
        "expiring"
    } else {
        "active"
    };
    (status.into(), Some(left))
}

impl Hosts {
    pub fn new(store: Store, compliance: Compliance) -> Self {
        Self { store, compliance }
    }

    /// Every staff account with the host role, with its profile (an empty one when none was
    /// written). `personal`: include real names.
    pub async fn list(&self, personal: bool) -> Result<Vec<HostProfile>, OpsError> {
        let rows = sqlx::query(
            "SELECT a.id, a.username, a.nickname, p.real_name, COALESCE(p.verification, 'unverified'),
             COALESCE(p.verification_note, ''), COALESCE(v.nickname, v.username), p.verified_at,
             COALESCE(p.categories, '[]'), p.contract_start, p.contract_end, p.candidate_id, a.disabled
             FROM accounts a JOIN account_roles r ON r.account_id = a.id AND r.role = 'host'
             LEFT JOIN host_profiles p ON p.account_id = a.id
             LEFT JOIN accounts v ON v.id = p.verified_by
             WHERE a.kind = 'staff' ORDER BY a.nickname, a.id",
        )
        .fetch_all(self.store.pool())
        .await?;
        let today = today();
        rows.iter()
            .map(|r| {
                let end: Option<String> = r.try_get(10)?;
                let (status, left) = contract_status(end.as_deref(), today);
                Ok(HostProfile {
                    account_id: r.try_get(0)?,
                    username: r.try_get(1)?,
                    nickname: r.try_get(2)?,
                    real_name: if personal {
                        Some(r.try_get::<Option<String>, _>(3)?.unwrap_or_default())
                    } else {
                        None
                    },
                    verification: r.try_get(4)?,
                    verification_note: r.try_get(5)?,
                    verified_by: r.try_get(6)?,
                    verified_at: r.try_get::<Option<i64>, _>(7)?.map(Timestamp::from_millis),
                    categories: serde_json::from_str(&r.try_get::<String, _>(8)?)
                        .unwrap_or_default(),
                    contract_start: r.try_get(9)?,
                    contract_end: end,
                    contract_status: status,
                    days_left: left,
                    candidate_id: r.try_get(11)?,
                    disabled: sellstream_store::get_flag(r, "disabled")?,
                })
            })
            .collect()
    }

    pub async fn get(&self, account: i64, personal: bool) -> Result<HostProfile, OpsError> {
        self.list(personal)
            .await?
            .into_iter()
            .find(|h| h.account_id == account)
            .ok_or_else(|| OpsError::NotFound(format!("host {account}")))
    }

    /// Writes a host's profile. Marking them verified records who and when.
    pub async fn save(
        &self,
        account: i64,
        input: ProfileInput,
        by: i64,
    ) -> Result<HostProfile, OpsError> {
        let current = self.get(account, true).await?;
        if !VERIFICATION.contains(&input.verification.as_str()) {
            return Err(OpsError::Invalid(format!(
                "verification: one of {}",
                VERIFICATION.join(", ")
            )));
        }
        let note = input.verification_note.trim().to_owned();
        if input.verification == "rejected" && note.is_empty() {
            return Err(OpsError::Invalid(
                "verification_note: say why the verification was refused".into(),
            ));
        }
        let real_name = input.real_name.trim().to_owned();
        if input.verification == "verified" && real_name.is_empty() {
            return Err(OpsError::Invalid(
                "real_name: a verified host has their real name on record".into(),
            ));
        }
        if real_name.chars().count() > 40 || note.chars().count() > 500 {
            return Err(OpsError::Invalid(
                "real_name: at most 40 characters; verification_note: at most 500".into(),
            ));
        }
        let start = input
            .contract_start
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| parse_day("contract_start", s))
            .transpose()?;
        let end = input
            .contract_end
            .as_deref()
            .filter(|s| !s.is_empty())
            .map(|s| parse_day("contract_end", s))
            .transpose()?;
        if let (Some(s), Some(e)) = (start, end) {
            if e < s {
                return Err(OpsError::Invalid(
                    "contract_end: on or after contract_start".into(),
                ));
            }
        }
        let categories: Vec<String> = input
            .categories
            .iter()
            .map(|c| c.trim().to_owned())
            .filter(|c| !c.is_empty())
            .collect();
        if categories.len() > 10 {
            return Err(OpsError::Invalid("categories: at most 10".into()));
        }
        let newly_verified = input.verification == "verified" && current.verification != "verified";
        let now = Timestamp::now().millis();
        sqlx::query(
            "INSERT INTO host_profiles (account_id, real_name, verification, verification_note,
             verified_by, verified_at, categories, contract_start, contract_end, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (account_id) DO UPDATE SET real_name = excluded.real_name,
                 verification = excluded.verification,
                 verification_note = excluded.verification_note,
                 verified_by = CASE WHEN $11 = 1 THEN excluded.verified_by
                                    WHEN excluded.verification = 'verified' THEN host_profiles.verified_by
                                    ELSE NULL END,
                 verified_at = CASE WHEN $11 = 1 THEN excluded.verified_at
                                    WHEN excluded.verification = 'verified' THEN host_profiles.verified_at
                                    ELSE NULL END,
                 categories = excluded.categories, contract_start = excluded.contract_start,
                 contract_end = excluded.contract_end, updated_at = excluded.updated_at",
        )
        .bind(account)
        .bind(&real_name)
        .bind(&input.verification)
        .bind(&note)
        .bind(newly_verified.then_some(by))
        .bind(newly_verified.then_some(now))
        .bind(serde_json::to_string(&categories).expect("categories"))
        .bind(start.map(|d| d.to_string()))
        .bind(end.map(|d| d.to_string()))
        .bind(now)
        .bind(i64::from(newly_verified))
        .execute(self.store.pool())
        .await?;
        self.get(account, true).await
    }

    /// A hired candidate's first profile: their name and categories carried over.
    pub async fn from_candidate(&self, account: i64, candidate: i64) -> Result<(), OpsError> {
        sqlx::query(
            "INSERT INTO host_profiles (account_id, real_name, categories, candidate_id, updated_at)
             SELECT $1, c.name, c.categories, c.id, $3 FROM candidates c WHERE c.id = $2
             ON CONFLICT (account_id) DO NOTHING",
        )
        .bind(account)
        .bind(candidate)
        .bind(Timestamp::now().millis())
        .execute(self.store.pool())
        .await?;
        Ok(())
    }

    /// Advertising-law hits in the latest scripts of each host's sessions starting in
    /// `[from, to)`: host → (hits, sessions with a script).
    pub async fn compliance_hits(
        &self,
        from: i64,
        to: i64,
    ) -> Result<HashMap<i64, (i64, i64)>, OpsError> {
        let rows = sqlx::query(
            "SELECT s.host_id, v.segments FROM live_sessions s JOIN script_versions v
             ON v.session_id = s.id AND v.version =
                (SELECT MAX(w.version) FROM script_versions w WHERE w.session_id = s.id)
             WHERE s.host_id IS NOT NULL AND s.scheduled_start >= $1 AND s.scheduled_start < $2
             AND s.state <> 'cancelled' AND s.practice_course_id IS NULL",
        )
        .bind(from)
        .bind(to)
        .fetch_all(self.store.pool())
        .await?;
        let checker = self.compliance.checker(None).await?;
        let mut out: HashMap<i64, (i64, i64)> = HashMap::new();
        for r in rows {
            let host: i64 = r.try_get(0)?;
            let segments: Vec<Segment> =
                serde_json::from_str(&r.try_get::<String, _>(1)?).unwrap_or_default();
            let mut hits = 0;
            for s in &segments {
                for text in [&s.title, &s.text, &s.promotion] {
                    if !text.is_empty() {
                        hits += checker.check(text)?.hits.len() as i64;
                    }
                }
            }
            let e = out.entry(host).or_default();
            e.0 += hits;
            e.1 += 1;
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contracts_warn_thirty_days_ahead() {
        let today = time::macros::date!(2026 - 11 - 27);
        assert_eq!(contract_status(None, today), ("none".into(), None));
        assert_eq!(
            contract_status(Some("2026-12-27"), today),
            ("expiring".into(), Some(30))
        );
        assert_eq!(
            contract_status(Some("2026-12-28"), today),
            ("active".into(), Some(31))
        );
        assert_eq!(
            contract_status(Some("2026-11-26"), today),
            ("expired".into(), Some(-1))
        );
    }
}
