use super::{check_name, check_scope};
use crate::pricing::{Coupon, CouponKind, Scope};
use crate::CommerceError;
use sellstream_core::{Fen, Page, PageRequest, Timestamp};
use sellstream_store::{AnyRow, Row, Store, Tx};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A coupon as staff define it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CouponRecord {
    pub id: i64,
    pub name: String,
    /// `{"kind":"fixed","off":500}`, `{"kind":"percent","off_bp":1000,"cap":3000}` or
    /// `{"kind":"threshold","min_spend":19900,"off":3000}` (fen; basis points).
    #[schema(value_type = Object)]
    pub rule: CouponKind,
    /// `{"kind":"all"}`, `{"kind":"products","ids":[…]}` or `{"kind":"categories","ids":[…]}`.
    #[schema(value_type = Object)]
    pub scope: Scope,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    /// Coupons that may be handed out in all (none: no limit).
    pub total_quantity: Option<i64>,
    /// How many one customer may hold over time.
    pub per_customer: i64,
    /// Handed out so far (issued and claimed).
    pub granted: i64,
    pub used: i64,
    /// Viewers may claim it themselves (in a live room).
    pub claimable: bool,
    pub active: bool,
    pub created_at: Timestamp,
}

#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CouponInput {
    pub name: String,
    #[schema(value_type = Object)]
    pub rule: CouponKind,
    #[serde(default = "all")]
    #[schema(value_type = Object)]
    pub scope: Scope,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    pub total_quantity: Option<i64>,
    #[serde(default = "one")]
    pub per_customer: i64,
    #[serde(default)]
    pub claimable: bool,
    #[serde(default = "yes")]
    pub active: bool,
}

fn all() -> Scope {
    Scope::All
}
fn one() -> i64 {
    1
}
fn yes() -> bool {
    true
}

/// Where a held coupon stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum HeldState {
    Available,
    Used,
    Expired,
    NotYetValid,
}

/// A coupon in a customer's wallet. `id` is what checkout's coupon choice names.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HeldCoupon {
    pub id: i64,
    pub coupon_id: i64,
    pub name: String,
    #[schema(value_type = Object)]
    pub rule: CouponKind,
    #[schema(value_type = Object)]
    pub scope: Scope,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
    pub state: HeldState,
    /// `issued` by staff or `claimed` in a room.
    pub source: String,
    pub session_id: Option<i64>,
    pub order_id: Option<i64>,
    pub granted_at: Timestamp,
}

/// What handing a coupon to one customer did.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct GrantOutcome {
    /// None when the phone named no customer.
    pub customer_id: Option<i64>,
    /// The phone it was asked for, when asked by phone.
    pub phone: Option<String>,
    /// The wallet entry, when granted.
    pub held_id: Option<i64>,
    /// Why not, when not.
    pub reason: Option<String>,
}

/// Coupons and campaigns on the store.
#[derive(Clone)]
pub struct Promotions {
    pub(super) store: Store,
}

const COUPON_COLUMNS: &str = "c.id, c.name, c.rule, c.scope, c.valid_from, c.valid_until,
    c.total_quantity, c.per_customer, c.granted, c.claimable, c.active, c.created_at,
    (SELECT COUNT(*) FROM customer_coupons u WHERE u.coupon_id = c.id AND u.used_at IS NOT NULL) AS used";

fn coupon_from_row(r: &AnyRow) -> Result<CouponRecord, CommerceError> {
    Ok(CouponRecord {
        id: r.try_get("id")?,
        name: r.try_get("name")?,
        rule: json_col(r, "rule")?,
        scope: json_col(r, "scope")?,
        valid_from: Timestamp::from_millis(r.try_get("valid_from")?),
        valid_until: Timestamp::from_millis(r.try_get("valid_until")?),
        total_quantity: r.try_get("total_quantity")?,
        per_customer: r.try_get("per_customer")?,
        granted: r.try_get("granted")?,
        used: r.try_get("used")?,
        claimable: sellstream_store::get_flag(r, "claimable")?,
        active: sellstream_store::get_flag(r, "active")?,
        created_at: Timestamp::from_millis(r.try_get("created_at")?),
    })
}

pub(crate) fn json_col<T: serde::de::DeserializeOwned>(
    r: &AnyRow,
    col: &str,
) -> Result<T, CommerceError> {
    let s: String = r.try_get(col)?;
    serde_json::from_str(&s)
        .map_err(|e| CommerceError::Corrupt(format!("{col} is not what it should be: {e}")))
}

fn check_coupon(input: &CouponInput) -> Result<CouponInput, CommerceError> {
    let bad = |m: &str| Err(CommerceError::Invalid(m.into()));
    let money = |f: Fen| f.0 > 0 && f <= Fen::MAX_PRICE;
    match &input.rule {
        CouponKind::Fixed { off } if !money(*off) => return bad("rule.off: more than 0 fen"),
        CouponKind::Percent { off_bp, .. } if !(1..=9_900).contains(off_bp) => {
            return bad("rule.off_bp: 1 to 9900 basis points (0.01 % to 99 % off)")
        }
        CouponKind::Percent { cap: Some(c), .. } if !money(*c) => {
            return bad("rule.cap: more than 0 fen")
        }
        CouponKind::Threshold { min_spend, off } if !money(*off) || !money(*min_spend) => {
            return bad("rule: min_spend and off must be more than 0 fen")
        }
        CouponKind::Threshold { min_spend, off } if off >= min_spend => {
            return bad("rule.off: must be less than min_spend")
        }
        _ => {}
    }
    if input.valid_until <= input.valid_from {
        return bad("valid_until: must be after valid_from");
    }
    if input
        .total_quantity
        .is_some_and(|q| !(1..=10_000_000).contains(&q))
    {
        return bad("total_quantity: 1 to 10000000, or none for no limit");
    }
    if !(1..=100).contains(&input.per_customer) {
        return bad("per_customer: 1 to 100");
    }
    Ok(CouponInput {
        name: check_name(&input.name)?,
        ..input.clone()
    })
}

impl Promotions {
    pub fn new(store: Store) -> Self {
        Self { store }
    }

    pub async fn create_coupon(&self, input: CouponInput) -> Result<CouponRecord, CommerceError> {
        let c = check_coupon(&input)?;
        check_scope(&self.store, &c.scope).await?;
        let now = Timestamp::now().millis();
        let id: i64 = sqlx::query(
            "INSERT INTO coupons (name, rule, scope, valid_from, valid_until, total_quantity,
                per_customer, claimable, active, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id",
        )
        .bind(&c.name)
        .bind(serde_json::to_string(&c.rule).unwrap_or_default())
        .bind(serde_json::to_string(&c.scope).unwrap_or_default())
        .bind(c.valid_from.millis())
        .bind(c.valid_until.millis())
        .bind(c.total_quantity)
        .bind(c.per_customer)
        .bind(c.claimable)
        .bind(c.active)
        .bind(now)
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        self.coupon(id).await
    }

    /// Changes a coupon. Its rule and scope are fixed once any has been handed out (holders were
    /// promised what they got); names, dates, quantities and switches may change.
    pub async fn update_coupon(
        &self,
        id: i64,
        input: CouponInput,
    ) -> Result<CouponRecord, CommerceError> {
        let c = check_coupon(&input)?;
        check_scope(&self.store, &c.scope).await?;
        let current = self.coupon(id).await?;
        if current.granted > 0 && (current.rule != c.rule || current.scope != c.scope) {
            return Err(CommerceError::Conflict(format!(
                "coupon {id} has been handed out {} times: its rule and scope can no longer change",
                current.granted
            )));
        }
        if c.total_quantity.is_some_and(|q| q < current.granted) {
            return Err(CommerceError::Invalid(format!(
                "total_quantity: {} have already been handed out",
                current.granted
            )));
        }
        sqlx::query(
            "UPDATE coupons SET name = $1, rule = $2, scope = $3, valid_from = $4, valid_until = $5,
                total_quantity = $6, per_customer = $7, claimable = $8, active = $9, updated_at = $10
             WHERE id = $11",
        )
        .bind(&c.name)
        .bind(serde_json::to_string(&c.rule).unwrap_or_default())
        .bind(serde_json::to_string(&c.scope).unwrap_or_default())
        .bind(c.valid_from.millis())
        .bind(c.valid_until.millis())
        .bind(c.total_quantity)
        .bind(c.per_customer)
        .bind(c.claimable)
        .bind(c.active)
        .bind(Timestamp::now().millis())
        .bind(id)
        .execute(self.store.pool())
        .await?;
        self.coupon(id).await
    }

    pub async fn coupon(&self, id: i64) -> Result<CouponRecord, CommerceError> {
        let r = sqlx::query(&format!(
            "SELECT {COUPON_COLUMNS} FROM coupons c WHERE c.id = $1"
        ))
        .bind(id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or(CommerceError::NotFound("coupon", id))?;
        coupon_from_row(&r)
    }

    pub async fn coupons(&self, page: PageRequest) -> Result<Page<CouponRecord>, CommerceError> {
        let total: i64 = sqlx::query("SELECT COUNT(*) FROM coupons")
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
        let rows = sqlx::query(&format!(
            "SELECT {COUPON_COLUMNS} FROM coupons c ORDER BY c.id DESC LIMIT $1 OFFSET $2"
        ))
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.store.pool())
        .await?;
        let items = rows.iter().map(coupon_from_row).collect::<Result<_, _>>()?;
        Ok(Page::new(items, page, total))
    }

    /// Hands one coupon to one customer inside `tx`: the coupon is active and not over, the
    /// customer holds fewer than `per_customer`, and the total is not reached (checked by the
    /// database, so two grants at once cannot both take the last one).
    async fn grant_in(
        tx: &mut Tx,
        coupon: &CouponRecord,
        customer_id: i64,
        source: &str,
        session_id: Option<i64>,
        now: i64,
    ) -> Result<Result<i64, String>, CommerceError> {
        if !coupon.active {
            return Ok(Err("the coupon is switched off".into()));
        }
        if now > coupon.valid_until.millis() {
            return Ok(Err(format!("the coupon expired at {}", coupon.valid_until)));
        }
        let customer = sqlx::query("SELECT kind FROM accounts WHERE id = $1")
            .bind(customer_id)
            .fetch_optional(&mut **tx)
            .await?;
        match customer {
            Some(r) if r.try_get::<String, _>("kind")? == "customer" => {}
            _ => return Ok(Err(format!("no customer {customer_id}"))),
        }
        let held: i64 = sqlx::query(
            "SELECT COUNT(*) FROM customer_coupons WHERE coupon_id = $1 AND customer_id = $2",
        )
        .bind(coupon.id)
        .bind(customer_id)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        if held >= coupon.per_customer {
            return Ok(Err(format!(
                "already holds {held} of this coupon (at most {} per customer)",
                coupon.per_customer
            )));
        }
        let taken = sqlx::query(
            "UPDATE coupons SET granted = granted + 1
             WHERE id = $1 AND (total_quantity IS NULL OR granted < total_quantity)",
        )
        .bind(coupon.id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if taken == 0 {
            return Ok(Err("all of this coupon have been handed out".into()));
        }
        let id: i64 = sqlx::query(
            "INSERT INTO customer_coupons (coupon_id, customer_id, source, session_id, created_at)
             VALUES ($1, $2, $3, $4, $5) RETURNING id",
        )
        .bind(coupon.id)
        .bind(customer_id)
        .bind(source)
        .bind(session_id)
        .bind(now)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        Ok(Ok(id))
    }

    /// Staff issue a coupon to customers; each gets it or a reason why not.
    pub async fn issue(
        &self,
        coupon_id: i64,
        customers: &[i64],
    ) -> Result<Vec<GrantOutcome>, CommerceError> {
        if customers.is_empty() || customers.len() > 1_000 {
            return Err(CommerceError::Invalid(
                "customer_ids: 1 to 1000 customers".into(),
            ));
        }
        let coupon = self.coupon(coupon_id).await?;
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin_write().await?;
        let mut out = Vec::with_capacity(customers.len());
        for &customer_id in customers {
            let r = Self::grant_in(&mut tx, &coupon, customer_id, "issued", None, now).await?;
            out.push(GrantOutcome {
                customer_id: Some(customer_id),
                phone: None,
                held_id: r.as_ref().ok().copied(),
                reason: r.err(),
            });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// A viewer claims a claimable coupon (in a live room when `session_id` is given).
    pub async fn claim(
        &self,
        coupon_id: i64,
        customer_id: i64,
        session_id: Option<i64>,
    ) -> Result<HeldCoupon, CommerceError> {
        let coupon = self.coupon(coupon_id).await?;
        if !coupon.claimable {
            return Err(CommerceError::NotFound("coupon", coupon_id));
        }
        let now = Timestamp::now().millis();
        if now < coupon.valid_from.millis() - 7 * 24 * 3600 * 1000 {
            return Err(CommerceError::Conflict(
                "this coupon cannot be claimed yet".into(),
            ));
        }
        let mut tx = self.store.begin_write().await?;
        let held = match Self::grant_in(&mut tx, &coupon, customer_id, "claimed", session_id, now)
            .await?
        {
            Ok(id) => id,
            Err(reason) => return Err(CommerceError::Conflict(reason)),
        };
        tx.commit().await?;
        self.wallet(customer_id)
            .await?
            .into_iter()
            .find(|h| h.id == held)
            .ok_or(CommerceError::NotFound("coupon", coupon_id))
    }

    /// Everything a customer holds, newest first.
    pub async fn wallet(&self, customer_id: i64) -> Result<Vec<HeldCoupon>, CommerceError> {
        let now = Timestamp::now();
        let rows = sqlx::query(
            "SELECT h.id, h.coupon_id, h.source, h.session_id, h.order_id, h.created_at, h.used_at,
                    c.name, c.rule, c.scope, c.valid_from, c.valid_until
             FROM customer_coupons h JOIN coupons c ON c.id = h.coupon_id
             WHERE h.customer_id = $1 ORDER BY h.id DESC LIMIT 500",
        )
        .bind(customer_id)
        .fetch_all(self.store.pool())
        .await?;
        rows.iter()
            .map(|r| {
                let valid_from = Timestamp::from_millis(r.try_get("valid_from")?);
                let valid_until = Timestamp::from_millis(r.try_get("valid_until")?);
                let used: Option<i64> = r.try_get("used_at")?;
                let state = if used.is_some() {
                    HeldState::Used
                } else if now > valid_until {
                    HeldState::Expired
                } else if now < valid_from {
                    HeldState::NotYetValid
                } else {
                    HeldState::Available
                };
                Ok(HeldCoupon {
                    id: r.try_get("id")?,
                    coupon_id: r.try_get("coupon_id")?,
                    name: r.try_get("name")?,
                    rule: json_col(r, "rule")?,
                    scope: json_col(r, "scope")?,
                    valid_from,
                    valid_until,
                    state,
                    source: r.try_get("source")?,
                    session_id: r.try_get("session_id")?,
                    order_id: r.try_get("order_id")?,
                    granted_at: Timestamp::from_millis(r.try_get("created_at")?),
                })
            })
            .collect()
    }

    /// The unused coupons a customer holds, as the pricing engine sees them (it checks dates,
    /// scope and thresholds itself and says why one cannot be used). Coupons that expired in the
    /// last week stay listed, so the chooser can say why they no longer apply.
    pub async fn usable(&self, customer_id: i64) -> Result<Vec<Coupon>, CommerceError> {
        let recently = Timestamp::now().plus_seconds(-7 * 24 * 3600);
        Ok(self
            .wallet(customer_id)
            .await?
            .into_iter()
            .filter(|h| match h.state {
                HeldState::Available | HeldState::NotYetValid => true,
                HeldState::Expired => h.valid_until > recently,
                HeldState::Used => false,
            })
            .map(|h| Coupon {
                id: h.id,
                name: h.name,
                kind: h.rule,
                scope: h.scope,
                valid_from: h.valid_from,
                valid_until: h.valid_until,
            })
            .collect())
    }

    /// Marks a held coupon used by `order_id`; fails when it was used meanwhile.
    pub(crate) async fn use_in(
        tx: &mut Tx,
        held_id: i64,
        customer_id: i64,
        order_id: i64,
        now: i64,
    ) -> Result<(), CommerceError> {
        let n = sqlx::query(
            "UPDATE customer_coupons SET order_id = $1, used_at = $2
             WHERE id = $3 AND customer_id = $4 AND used_at IS NULL",
        )
        .bind(order_id)
        .bind(now)
        .bind(held_id)
        .bind(customer_id)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(CommerceError::Conflict(format!(
                "coupon {held_id} was used by another order meanwhile"
            )));
        }
        Ok(())
    }

    /// Gives a coupon back to its holder (order cancelled or fully refunded).
    pub(crate) async fn give_back_in(
        tx: &mut Tx,
        held_id: i64,
        order_id: i64,
    ) -> Result<(), CommerceError> {
        sqlx::query(
            "UPDATE customer_coupons SET order_id = NULL, used_at = NULL
             WHERE id = $1 AND order_id = $2",
        )
        .bind(held_id)
        .bind(order_id)
        .execute(&mut **tx)
        .await?;
        Ok(())
    }
}
