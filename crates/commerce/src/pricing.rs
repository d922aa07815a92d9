//! The pricing engine: what a cart costs under the live price, the customer's membership tier, one
//! full-reduction campaign (满减), one coupon, points and the shipping rule. Plain functions, no
//! I/O: the service gathers the facts (prices, the customer's usable coupons, their points
//! balance), this module prices them, and every order keeps the [`PriceLine`]s that explain its
//! total. The stacking order, rounding and splitting rules are in docs/pricing.md.

use sellstream_core::{Fen, Timestamp};
use serde::{Deserialize, Serialize};

/// Lines and quantities an order may carry.
pub const MAX_LINES: usize = 100;
pub const MAX_QUANTITY: u32 = 999;

/// One line of the cart as the catalog prices it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CartLine {
    pub sku_id: i64,
    pub product_id: i64,
    pub category_id: Option<i64>,
    /// The list price of one unit.
    pub list_price: Fen,
    /// The session's live price of one unit, when the order comes from a live room that set one.
    pub live_price: Option<Fen>,
    pub quantity: u32,
}

/// Which goods a coupon or campaign applies to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Scope {
    All,
    Products { ids: Vec<i64> },
    Categories { ids: Vec<i64> },
}

impl Scope {
    fn covers(&self, line: &CartLine) -> bool {
        match self {
            Scope::All => true,
            Scope::Products { ids } => ids.contains(&line.product_id),
            Scope::Categories { ids } => line.category_id.is_some_and(|c| ids.contains(&c)),
        }
    }
}

/// What a coupon takes off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CouponKind {
    /// A fixed amount off (无门槛券 when `min_spend` is zero).
    Fixed { off: Fen },
    /// A percentage off, in basis points (1,000 = 10 % off), at most `cap`.
    Percent { off_bp: u32, cap: Option<Fen> },
    /// 满X减Y: `off` once the goods in scope reach `min_spend`.
    Threshold { min_spend: Fen, off: Fen },
}

/// A coupon the customer holds and has not used. Whether they may still use it (per-customer and
/// total quantities) is the service's question; dates, scope and thresholds are checked here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Coupon {
    pub id: i64,
    pub name: String,
    pub kind: CouponKind,
    pub scope: Scope,
    pub valid_from: Timestamp,
    pub valid_until: Timestamp,
}

/// A full-reduction campaign (满减活动).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Campaign {
    pub id: i64,
    pub name: String,
    pub rule: CampaignRule,
    pub scope: Scope,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CampaignRule {
    /// Tiered 满减: the highest tier reached applies (满199减20, 满299减40 …).
    Tiered { tiers: Vec<Tier> },
    /// 每满X减Y: `off` for every full `every` in scope, at most `cap`.
    EveryFull {
        every: Fen,
        off: Fen,
        cap: Option<Fen>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tier {
    pub min_spend: Fen,
    pub off: Fen,
}

/// The customer's membership benefit: a percentage off every line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub tier: String,
    /// Basis points off (500 = 5 % off, i.e. 95折).
    pub off_bp: u32,
}

/// How points turn into money.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct PointsRule {
    /// Points worth one yuan (100 means 1 point = 1 fen).
    pub points_per_yuan: u32,
    /// Points may pay at most this share of the goods (basis points of the amount after discounts).
    pub max_share_bp: u32,
}

/// Shipping: a flat fee, waived from a threshold on the goods after discounts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShippingRule {
    pub fee: Fen,
    pub free_from: Option<Fen>,
}

/// What the customer asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum CouponChoice {
    /// The coupon that makes the order cheapest (none when none helps).
    #[default]
    Best,
    None,
    Use {
        id: i64,
    },
}

/// Everything the engine needs to price one cart.
#[derive(Debug, Clone)]
pub struct PriceInput<'a> {
    pub now: Timestamp,
    pub lines: &'a [CartLine],
    pub membership: Option<&'a Membership>,
    pub campaigns: &'a [Campaign],
    pub coupons: &'a [Coupon],
    pub coupon: CouponChoice,
    /// Points the customer wants to spend (at most the balance and the rule's ceiling).
    pub points: u64,
    pub points_balance: u64,
    pub points_rule: PointsRule,
    pub shipping: ShippingRule,
}

/// Kinds of price line, in the order they apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum LineKind {
    /// Goods at list price.
    Goods,
    /// The session's live price below list.
    LivePrice,
    Membership,
    Campaign,
    Coupon,
    Points,
    Shipping,
}

/// One line that explains the total: goods, then each discount (negative), then shipping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PriceLine {
    pub kind: LineKind,
    pub label: String,
    #[schema(value_type = i64)]
    pub amount: Fen,
    /// The coupon or campaign behind this line.
    pub ref_id: Option<i64>,
}

/// One cart line after pricing, with its share of every discount: refunds of part of an order
/// give back exactly this line's `payable`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct PricedLine {
    pub sku_id: i64,
    pub quantity: u32,
    #[schema(value_type = i64)]
    pub unit_price: Fen,
    /// `unit_price × quantity`.
    #[schema(value_type = i64)]
    pub amount: Fen,
    #[schema(value_type = i64)]
    pub membership: Fen,
    #[schema(value_type = i64)]
    pub campaign: Fen,
    #[schema(value_type = i64)]
    pub coupon: Fen,
    #[schema(value_type = i64)]
    pub points: Fen,
    /// What the customer pays for this line (before shipping).
    #[schema(value_type = i64)]
    pub payable: Fen,
}

/// Whether a held coupon could be used on this cart, and what it would save.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CouponOption {
    pub id: i64,
    pub name: String,
    pub usable: bool,
    /// Why not, when not.
    pub reason: Option<String>,
    /// The order total with this coupon (and the best campaign), when usable.
    #[schema(value_type = Option<i64>)]
    pub total: Option<Fen>,
}

/// A priced cart.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Quote {
    pub lines: Vec<PricedLine>,
    pub price_lines: Vec<PriceLine>,
    /// Goods after every discount and points, before shipping.
    #[schema(value_type = i64)]
    pub goods_payable: Fen,
    #[schema(value_type = i64)]
    pub shipping: Fen,
    #[schema(value_type = i64)]
    pub total: Fen,
    pub coupon_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub points_used: u64,
    pub coupon_options: Vec<CouponOption>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PriceError {
    #[error("the cart is empty")]
    Empty,
    #[error("an order has at most {MAX_LINES} lines")]
    TooManyLines,
    #[error("quantity must be between 1 and {MAX_QUANTITY}")]
    BadQuantity,
    #[error("a price is negative or above the limit")]
    BadPrice,
    #[error("coupon {0} cannot be used on this order: {1}")]
    CouponNotUsable(i64, String),
    #[error("you hold no coupon {0}")]
    UnknownCoupon(i64),
    #[error("you have {balance} points, not {wanted}")]
    NotEnoughPoints { balance: u64, wanted: u64 },
}

/// Prices a cart: validates it, tries every usable coupon with the best campaign, and returns the
/// customer's choice (the cheapest by default) with the lines that explain it.
pub fn quote(input: &PriceInput<'_>) -> Result<Quote, PriceError> {
    validate(input)?;
    if input.points > input.points_balance {
        return Err(PriceError::NotEnoughPoints {
            balance: input.points_balance,
            wanted: input.points,
        });
    }
    let base = Priced::start(input);
    let options: Vec<CouponOption> = input
        .coupons
        .iter()
        .map(|c| match coupon_blocker(c, &base, input.now) {
            Some(reason) => CouponOption {
                id: c.id,
                name: c.name.clone(),
                usable: false,
                reason: Some(reason),
                total: None,
            },
            None => CouponOption {
                id: c.id,
                name: c.name.clone(),
                usable: true,
                reason: None,
                total: Some(finish(input, Some(c)).total),
            },
        })
        .collect();
    let chosen = match input.coupon {
        CouponChoice::None => None,
        CouponChoice::Use { id } => {
            let c = input
                .coupons
                .iter()
                .find(|c| c.id == id)
                .ok_or(PriceError::UnknownCoupon(id))?;
            if let Some(reason) = coupon_blocker(c, &base, input.now) {
                return Err(PriceError::CouponNotUsable(id, reason));
            }
            Some(c)
        }
        CouponChoice::Best => {
            let none = finish(input, None).total;
            // The cheapest total wins; on a tie keep the coupon for later (none), then the
            // coupon that expires first.
            options
                .iter()
                .filter_map(|o| Some((o.total?, o.id)))
                .filter(|(total, _)| *total < none)
                .filter_map(|(total, id)| {
                    let c = input.coupons.iter().find(|c| c.id == id)?;
                    Some((total, c.valid_until, c.id, c))
                })
                .min_by_key(|(total, until, id, _)| (*total, *until, *id))
                .map(|(_, _, _, c)| c)
        }
    };
    let mut q = finish(input, chosen);
    q.coupon_options = options;
    Ok(q)
}

fn validate(input: &PriceInput<'_>) -> Result<(), PriceError> {
    if input.lines.is_empty() {
        return Err(PriceError::Empty);
    }
    if input.lines.len() > MAX_LINES {
        return Err(PriceError::TooManyLines);
    }
    for l in input.lines {
        if l.quantity == 0 || l.quantity > MAX_QUANTITY {
            return Err(PriceError::BadQuantity);
        }
        let ok = |p: Fen| p >= Fen::ZERO && p <= Fen::MAX_PRICE;
        if !ok(l.list_price) || !l.live_price.is_none_or(ok) {
            return Err(PriceError::BadPrice);
        }
    }
    Ok(())
}

/// The cart while discounts are applied: per line, what is left to pay.
#[derive(Clone)]
struct Priced<'a> {
    lines: &'a [CartLine],
    left: Vec<i64>,
    out: Vec<PricedLine>,
    price_lines: Vec<PriceLine>,
}

impl<'a> Priced<'a> {
    /// Goods at the unit price (live price when lower than list), then the membership discount.
    fn start(input: &PriceInput<'a>) -> Self {
        let lines = input.lines;
        let mut out = Vec::with_capacity(lines.len());
        let (mut list_total, mut unit_total) = (0i64, 0i64);
        for l in lines {
            let unit = l.live_price.map_or(l.list_price, |p| p.min(l.list_price));
            let amount = unit.0 * i64::from(l.quantity);
            list_total += l.list_price.0 * i64::from(l.quantity);
            unit_total += amount;
            out.push(PricedLine {
                sku_id: l.sku_id,
                quantity: l.quantity,
                unit_price: unit,
                amount: Fen(amount),
                membership: Fen::ZERO,
                campaign: Fen::ZERO,
                coupon: Fen::ZERO,
                points: Fen::ZERO,
                payable: Fen(amount),
            });
        }
        let mut p = Priced {
            lines,
            left: out.iter().map(|l| l.amount.0).collect(),
            out,
            price_lines: vec![PriceLine {
                kind: LineKind::Goods,
                label: "商品金额 goods".into(),
                amount: Fen(list_total),
                ref_id: None,
            }],
        };
        if unit_total < list_total {
            p.price_lines.push(PriceLine {
                kind: LineKind::LivePrice,
                label: "直播价 live price".into(),
                amount: Fen(unit_total - list_total),
                ref_id: None,
            });
        }
        if let Some(m) = input.membership.filter(|m| m.off_bp > 0) {
            // Per line, rounded down: the member never loses a fen to rounding across lines.
            let mut total = 0;
            for (i, line) in p.out.iter_mut().enumerate() {
                let off = percent_of(p.left[i], m.off_bp);
                line.membership = Fen(off);
                p.left[i] -= off;
                total += off;
            }
            if total > 0 {
                p.price_lines.push(PriceLine {
                    kind: LineKind::Membership,
                    label: format!("会员 {} member discount", m.tier),
                    amount: Fen(-total),
                    ref_id: None,
                });
            }
        }
        p
    }

    fn in_scope(&self, scope: &Scope) -> i64 {
        self.lines
            .iter()
            .zip(&self.left)
            .filter(|(l, _)| scope.covers(l))
            .map(|(_, left)| *left)
            .sum()
    }

    /// Takes `off` from the lines in `scope`, split in proportion to what each has left.
    fn take(&mut self, scope: &Scope, off: i64, field: fn(&mut PricedLine) -> &mut Fen) -> i64 {
        let idx: Vec<usize> = (0..self.lines.len())
            .filter(|i| scope.covers(&self.lines[*i]))
            .collect();
        let weights: Vec<i64> = idx.iter().map(|i| self.left[*i]).collect();
        let off = off.min(weights.iter().sum());
        for (share, i) in split(off, &weights).into_iter().zip(idx) {
            self.left[i] -= share;
            *field(&mut self.out[i]) = Fen(field(&mut self.out[i]).0 + share);
        }
        off
    }
}

/// `amount × bp / 10,000`, rounded down.
fn percent_of(amount: i64, bp: u32) -> i64 {
    (i128::from(amount) * i128::from(bp.min(10_000)) / 10_000) as i64
}

/// Splits `total` over `weights` in proportion, by largest remainder: the shares sum to `total`
/// exactly, no share exceeds its weight, and equal weights differ by at most one fen (earlier
/// lines first).
pub fn split(total: i64, weights: &[i64]) -> Vec<i64> {
    let sum: i128 = weights.iter().map(|w| i128::from((*w).max(0))).sum();
    if sum == 0 || total <= 0 {
        return vec![0; weights.len()];
    }
    let total = i128::from(total).min(sum);
    let mut shares: Vec<i64> = Vec::with_capacity(weights.len());
    let mut rems: Vec<(i128, usize)> = Vec::with_capacity(weights.len());
    for (i, w) in weights.iter().enumerate() {
        let exact = total * i128::from((*w).max(0));
        shares.push((exact / sum) as i64);
        rems.push((exact % sum, i));
    }
    let mut left = (total - shares.iter().map(|s| i128::from(*s)).sum::<i128>()) as i64;
    rems.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    for (_, i) in rems {
        if left == 0 {
            break;
        }
        if shares[i] < weights[i] {
            shares[i] += 1;
            left -= 1;
        }
    }
    shares
}

fn campaign_off(c: &Campaign, base: i64) -> i64 {
    match &c.rule {
        CampaignRule::Tiered { tiers } => tiers
            .iter()
            .filter(|t| base >= t.min_spend.0)
            .map(|t| t.off.0)
            .max()
            .unwrap_or(0),
        CampaignRule::EveryFull { every, off, cap } => {
            if every.0 <= 0 {
                return 0;
            }
            let n = base / every.0;
            let total = n.saturating_mul(off.0);
            cap.map_or(total, |cap| total.min(cap.0))
        }
    }
    .clamp(0, base)
}

/// What `c` takes off `base` (the covered goods after the campaign); a threshold coupon's minimum
/// is checked against the covered goods before the campaign (`before_campaign`).
fn coupon_off(c: &Coupon, base: i64, before_campaign: i64) -> i64 {
    match &c.kind {
        CouponKind::Fixed { off } => off.0,
        CouponKind::Percent { off_bp, cap } => {
            let off = percent_of(base, *off_bp);
            cap.map_or(off, |cap| off.min(cap.0))
        }
        CouponKind::Threshold { min_spend, off } if before_campaign >= min_spend.0 => off.0,
        CouponKind::Threshold { .. } => 0,
    }
    .clamp(0, base)
}

/// Why `c` cannot be used on this cart (after the best campaign), or `None`.
fn coupon_blocker(c: &Coupon, base: &Priced<'_>, now: Timestamp) -> Option<String> {
    if now < c.valid_from {
        return Some(format!("valid from {}", c.valid_from));
    }
    if now > c.valid_until {
        return Some(format!("expired at {}", c.valid_until));
    }
    let in_scope = base.in_scope(&c.scope);
    if in_scope == 0 {
        return Some("no goods in this order are covered by the coupon".into());
    }
    if let CouponKind::Threshold { min_spend, .. } = c.kind {
        // The threshold is checked before the campaign: see docs/pricing.md.
        if in_scope < min_spend.0 {
            return Some(format!(
                "needs {} more of covered goods",
                Fen(min_spend.0 - in_scope)
            ));
        }
    }
    None
}

/// Applies the best campaign, then `coupon`, points and shipping to the cart.
fn finish(input: &PriceInput<'_>, coupon: Option<&Coupon>) -> Quote {
    let start = Priced::start(input);
    // The coupon's threshold was checked before any campaign; its amount is taken from what is
    // left after the campaign. The campaign that leaves the lowest total wins.
    let live = |c: &&Campaign| c.starts_at <= input.now && input.now <= c.ends_at;
    let mut best: Option<(Quote, i64)> = None;
    for campaign in std::iter::once(None).chain(input.campaigns.iter().filter(live).map(Some)) {
        let q = finish_with(input, start.clone(), campaign, coupon);
        let key = q.total.0;
        if best.as_ref().is_none_or(|(_, k)| key < *k) {
            best = Some((q, key));
        }
    }
    best.expect("at least the no-campaign quote").0
}

fn finish_with(
    input: &PriceInput<'_>,
    mut p: Priced<'_>,
    campaign: Option<&Campaign>,
    coupon: Option<&Coupon>,
) -> Quote {
    let before_campaign = coupon.map_or(0, |c| p.in_scope(&c.scope));
    let mut campaign_id = None;
    if let Some(c) = campaign {
        let off = campaign_off(c, p.in_scope(&c.scope));
        let off = p.take(&c.scope, off, |l| &mut l.campaign);
        if off > 0 {
            campaign_id = Some(c.id);
            p.price_lines.push(PriceLine {
                kind: LineKind::Campaign,
                label: format!("满减 {}", c.name),
                amount: Fen(-off),
                ref_id: Some(c.id),
            });
        }
    }
    let mut coupon_id = None;
    if let Some(c) = coupon {
        let off = coupon_off(c, p.in_scope(&c.scope), before_campaign);
        let off = p.take(&c.scope, off, |l| &mut l.coupon);
        coupon_id = Some(c.id);
        p.price_lines.push(PriceLine {
            kind: LineKind::Coupon,
            label: format!("优惠券 {}", c.name),
            amount: Fen(-off),
            ref_id: Some(c.id),
        });
    }
    let after_discounts: i64 = p.left.iter().sum();
    let shipping = match input.shipping.free_from {
        Some(free) if after_discounts >= free.0 => 0,
        _ => input.shipping.fee.0.max(0),
    };
    // Points: at most the balance asked for, the rule's share of the goods, whole fen only.
    let rule = input.points_rule;
    let mut points_used = 0;
    if input.points > 0 && rule.points_per_yuan > 0 {
        let ceiling = percent_of(after_discounts, rule.max_share_bp);
        let per_yuan = i128::from(rule.points_per_yuan);
        // Points worth whole fen only: value = ⌊points × 100 ÷ rate⌋, and the points taken for
        // it are ⌈value × rate ÷ 100⌉ (never more than asked).
        let wanted_fen = (i128::from(input.points) * 100 / per_yuan).min(i128::from(i64::MAX));
        let value = (wanted_fen as i64).min(ceiling).max(0);
        let value = p.take(&Scope::All, value, |l| &mut l.points);
        points_used = ((i128::from(value) * per_yuan + 99) / 100) as u64;
        if value > 0 {
            p.price_lines.push(PriceLine {
                kind: LineKind::Points,
                label: format!("积分抵扣 {points_used} points"),
                amount: Fen(-value),
                ref_id: None,
            });
        }
    }
    p.price_lines.push(PriceLine {
        kind: LineKind::Shipping,
        label: "运费 shipping".into(),
        amount: Fen(shipping),
        ref_id: None,
    });
    for (line, left) in p.out.iter_mut().zip(&p.left) {
        line.payable = Fen(*left);
    }
    let goods_payable: i64 = p.left.iter().sum();
    Quote {
        lines: p.out,
        price_lines: p.price_lines,
        goods_payable: Fen(goods_payable),
        shipping: Fen(shipping),
        total: Fen(goods_payable + shipping),
        coupon_id,
        campaign_id,
        points_used,
        coupon_options: Vec::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DAY: i64 = 86_400_000;

    fn now() -> Timestamp {
        Timestamp::from_millis(1_780_000_000_000)
    }

    fn line(sku: i64, product: i64, category: i64, price: i64, qty: u32) -> CartLine {
        CartLine {
            sku_id: sku,
            product_id: product,
            category_id: Some(category),
            list_price: Fen(price),
            live_price: None,
            quantity: qty,
        }
    }

    fn coupon(id: i64, kind: CouponKind) -> Coupon {
        Coupon {
            id,
            name: format!("券{id}"),
            kind,
            scope: Scope::All,
            valid_from: Timestamp::from_millis(now().millis() - DAY),
            valid_until: Timestamp::from_millis(now().millis() + DAY),
        }
    }

    fn campaign(id: i64, rule: CampaignRule) -> Campaign {
        Campaign {
            id,
            name: format!("活动{id}"),
            rule,
            scope: Scope::All,
            starts_at: Timestamp::from_millis(now().millis() - DAY),
            ends_at: Timestamp::from_millis(now().millis() + DAY),
        }
    }

    struct Case {
        lines: Vec<CartLine>,
        membership: Option<Membership>,
        campaigns: Vec<Campaign>,
        coupons: Vec<Coupon>,
        choice: CouponChoice,
        points: u64,
        balance: u64,
        shipping: ShippingRule,
    }

    impl Case {
        fn new(lines: Vec<CartLine>) -> Self {
            Case {
                lines,
                membership: None,
                campaigns: vec![],
                coupons: vec![],
                choice: CouponChoice::Best,
                points: 0,
                balance: 0,
                shipping: ShippingRule {
                    fee: Fen(0),
                    free_from: None,
                },
            }
        }
        fn quote(&self) -> Result<Quote, PriceError> {
            quote(&PriceInput {
                now: now(),
                lines: &self.lines,
                membership: self.membership.as_ref(),
                campaigns: &self.campaigns,
                coupons: &self.coupons,
                coupon: self.choice,
                points: self.points,
                points_balance: self.balance,
                points_rule: PointsRule {
                    points_per_yuan: 100,
                    max_share_bp: 5_000,
                },
                shipping: self.shipping,
            })
        }
        fn total(&self) -> i64 {
            self.quote().unwrap().total.0
        }
    }

    fn amount(q: &Quote, kind: LineKind) -> i64 {
        q.price_lines
            .iter()
            .filter(|l| l.kind == kind)
            .map(|l| l.amount.0)
            .sum()
    }

    #[test]
    fn the_live_price_replaces_the_list_price_and_says_so() {
        let mut l = line(1, 1, 1, 12_900, 2);
        l.live_price = Some(Fen(9_900));
        let q = Case::new(vec![l]).quote().unwrap();
        assert_eq!(q.total, Fen(19_800));
        assert_eq!(amount(&q, LineKind::Goods), 25_800);
        assert_eq!(amount(&q, LineKind::LivePrice), -6_000);
    }

    #[test]
    fn a_live_price_above_list_is_never_charged() {
        let mut l = line(1, 1, 1, 10_000, 1);
        l.live_price = Some(Fen(12_000));
        assert_eq!(Case::new(vec![l]).total(), 10_000);
    }

    #[test]
    fn members_get_their_tier_discount_on_every_line_rounded_down() {
        let mut c = Case::new(vec![line(1, 1, 1, 999, 1), line(2, 2, 1, 1_999, 1)]);
        c.membership = Some(Membership {
            tier: "金卡".into(),
            off_bp: 500,
        });
        let q = c.quote().unwrap();
        // 5 % of 999 is 49.95 → 49; of 1,999 is 99.95 → 99.
        assert_eq!(amount(&q, LineKind::Membership), -148);
        assert_eq!(q.total, Fen(2_998 - 148));
    }

    #[test]
    fn tiered_full_reduction_takes_the_highest_tier_reached() {
        let tiers = vec![
            Tier {
                min_spend: Fen(19_900),
                off: Fen(2_000),
            },
            Tier {
                min_spend: Fen(29_900),
                off: Fen(4_000),
            },
        ];
        let mut c = Case::new(vec![line(1, 1, 1, 15_000, 2)]);
        c.campaigns = vec![campaign(7, CampaignRule::Tiered { tiers })];
        let q = c.quote().unwrap();
        assert_eq!(q.total, Fen(30_000 - 4_000));
        assert_eq!(q.campaign_id, Some(7));
        c.lines = vec![line(1, 1, 1, 15_000, 1)];
        let q = c.quote().unwrap();
        assert_eq!(
            q.total,
            Fen(15_000),
            "below the first tier nothing is taken"
        );
        assert_eq!(q.campaign_id, None);
    }

    #[test]
    fn every_full_reduction_repeats_up_to_its_cap() {
        let mut c = Case::new(vec![line(1, 1, 1, 35_000, 2)]);
        c.campaigns = vec![campaign(
            1,
            CampaignRule::EveryFull {
                every: Fen(30_000),
                off: Fen(3_000),
                cap: None,
            },
        )];
        assert_eq!(c.total(), 70_000 - 6_000, "每满300减30 twice on ¥700");
        c.campaigns[0].rule = CampaignRule::EveryFull {
            every: Fen(30_000),
            off: Fen(3_000),
            cap: Some(Fen(5_000)),
        };
        assert_eq!(c.total(), 70_000 - 5_000);
    }

    #[test]
    fn an_ended_campaign_does_not_apply() {
        let mut c = Case::new(vec![line(1, 1, 1, 30_000, 1)]);
        let mut old = campaign(
            1,
            CampaignRule::Tiered {
                tiers: vec![Tier {
                    min_spend: Fen(100),
                    off: Fen(1_000),
                }],
            },
        );
        old.ends_at = Timestamp::from_millis(now().millis() - 1);
        c.campaigns = vec![old];
        assert_eq!(c.total(), 30_000);
    }

    #[test]
    fn coupons_take_a_fixed_amount_a_capped_percentage_or_reach_a_threshold() {
        let mut c = Case::new(vec![line(1, 1, 1, 20_000, 1)]);
        c.choice = CouponChoice::Use { id: 1 };
        c.coupons = vec![coupon(1, CouponKind::Fixed { off: Fen(1_000) })];
        assert_eq!(c.total(), 19_000);
        c.coupons = vec![coupon(
            1,
            CouponKind::Percent {
                off_bp: 2_000,
                cap: Some(Fen(3_000)),
            },
        )];
        assert_eq!(c.total(), 17_000, "20 % of ¥200 is ¥40, capped at ¥30");
        c.coupons = vec![coupon(
            1,
            CouponKind::Threshold {
                min_spend: Fen(20_000),
                off: Fen(2_500),
            },
        )];
        assert_eq!(c.total(), 17_500, "满200减25 at exactly ¥200");
    }

    #[test]
    fn a_threshold_coupon_below_its_threshold_says_how_much_is_missing() {
        let mut c = Case::new(vec![line(1, 1, 1, 15_000, 1)]);
        c.coupons = vec![coupon(
            1,
            CouponKind::Threshold {
                min_spend: Fen(20_000),
                off: Fen(2_000),
            },
        )];
        let q = c.quote().unwrap();
        assert_eq!(q.coupon_id, None);
        let o = &q.coupon_options[0];
        assert!(!o.usable);
        assert_eq!(
            o.reason.as_deref(),
            Some("needs ¥50.00 more of covered goods")
        );
        c.choice = CouponChoice::Use { id: 1 };
        assert!(matches!(c.quote(), Err(PriceError::CouponNotUsable(1, _))));
    }

    #[test]
    fn a_coupon_applies_only_to_the_goods_in_its_scope() {
        let mut c = Case::new(vec![
            line(1, 10, 100, 10_000, 1),
            line(2, 20, 200, 10_000, 1),
        ]);
        let mut by_product = coupon(
            1,
            CouponKind::Percent {
                off_bp: 5_000,
                cap: None,
            },
        );
        by_product.scope = Scope::Products { ids: vec![10] };
        c.coupons = vec![by_product];
        let q = c.quote().unwrap();
        assert_eq!(q.total, Fen(15_000), "half off product 10 only");
        assert_eq!(q.lines[0].coupon, Fen(5_000));
        assert_eq!(q.lines[1].coupon, Fen(0));
        let mut by_category = coupon(2, CouponKind::Fixed { off: Fen(3_000) });
        by_category.scope = Scope::Categories { ids: vec![300] };
        c.coupons = vec![by_category];
        let q = c.quote().unwrap();
        assert!(!q.coupon_options[0].usable, "no goods of category 300");
    }

    #[test]
    fn expired_and_not_yet_valid_coupons_cannot_be_used() {
        let mut c = Case::new(vec![line(1, 1, 1, 10_000, 1)]);
        let mut expired = coupon(1, CouponKind::Fixed { off: Fen(500) });
        expired.valid_until = Timestamp::from_millis(now().millis() - 1);
        let mut early = coupon(2, CouponKind::Fixed { off: Fen(500) });
        early.valid_from = Timestamp::from_millis(now().millis() + 1);
        c.coupons = vec![expired, early];
        let q = c.quote().unwrap();
        assert_eq!(q.coupon_id, None);
        assert!(q.coupon_options[0]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("expired"));
        assert!(q.coupon_options[1]
            .reason
            .as_deref()
            .unwrap()
            .starts_with("valid from"));
    }

    #[test]
    fn the_best_coupon_is_chosen_unless_the_customer_picks_another_or_none() {
        let mut c = Case::new(vec![line(1, 1, 1, 30_000, 1)]);
        c.coupons = vec![
            coupon(1, CouponKind::Fixed { off: Fen(1_000) }),
            coupon(
                2,
                CouponKind::Percent {
                    off_bp: 1_000,
                    cap: None,
                },
            ),
            coupon(
                3,
                CouponKind::Threshold {
                    min_spend: Fen(50_000),
                    off: Fen(10_000),
                },
            ),
        ];
        let q = c.quote().unwrap();
        assert_eq!(q.coupon_id, Some(2), "10 % of ¥300 beats ¥10 off");
        assert_eq!(q.total, Fen(27_000));
        assert_eq!(q.coupon_options[0].total, Some(Fen(29_000)));
        c.choice = CouponChoice::Use { id: 1 };
        assert_eq!(c.quote().unwrap().coupon_id, Some(1));
        c.choice = CouponChoice::None;
        assert_eq!(c.quote().unwrap().total, Fen(30_000));
        c.choice = CouponChoice::Use { id: 99 };
        assert_eq!(c.quote(), Err(PriceError::UnknownCoupon(99)));
    }

    #[test]
    fn the_campaign_applies_before_the_coupon_whose_threshold_counts_goods_before_it() {
        let mut c = Case::new(vec![line(1, 1, 1, 20_000, 1)]);
        c.campaigns = vec![campaign(
            1,
            CampaignRule::Tiered {
                tiers: vec![Tier {
                    min_spend: Fen(20_000),
                    off: Fen(2_000),
                }],
            },
        )];
        c.coupons = vec![coupon(
            5,
            CouponKind::Threshold {
                min_spend: Fen(20_000),
                off: Fen(1_000),
            },
        )];
        let q = c.quote().unwrap();
        assert_eq!(q.total, Fen(17_000), "满200减20, then the 满200减10 coupon");
        assert_eq!(q.campaign_id, Some(1));
        assert_eq!(q.coupon_id, Some(5));
        let kinds: Vec<LineKind> = q.price_lines.iter().map(|l| l.kind).collect();
        assert_eq!(
            kinds,
            vec![
                LineKind::Goods,
                LineKind::Campaign,
                LineKind::Coupon,
                LineKind::Shipping
            ]
        );
    }

    #[test]
    fn points_pay_up_to_the_ceiling_and_never_more_than_asked() {
        let mut c = Case::new(vec![line(1, 1, 1, 10_000, 1)]);
        c.balance = 100_000;
        c.points = 2_000;
        let q = c.quote().unwrap();
        assert_eq!(q.points_used, 2_000);
        assert_eq!(
            q.total,
            Fen(8_000),
            "100 points a yuan: 2,000 points are ¥20"
        );
        c.points = 90_000;
        let q = c.quote().unwrap();
        assert_eq!(q.total, Fen(5_000), "points pay at most half");
        assert_eq!(q.points_used, 5_000);
        c.points = 150;
        assert_eq!(c.quote().unwrap().points_used, 150);
        c.points = 100_001;
        assert_eq!(
            c.quote(),
            Err(PriceError::NotEnoughPoints {
                balance: 100_000,
                wanted: 100_001
            })
        );
    }

    #[test]
    fn shipping_is_free_from_the_threshold_after_discounts() {
        let mut c = Case::new(vec![line(1, 1, 1, 9_900, 1)]);
        c.shipping = ShippingRule {
            fee: Fen(1_000),
            free_from: Some(Fen(9_900)),
        };
        assert_eq!(c.total(), 9_900);
        c.coupons = vec![coupon(1, CouponKind::Fixed { off: Fen(500) })];
        c.choice = CouponChoice::Use { id: 1 };
        assert_eq!(
            c.total(),
            9_400 + 1_000,
            "under the threshold after the coupon"
        );
    }

    #[test]
    fn bad_carts_are_refused() {
        assert_eq!(Case::new(vec![]).quote(), Err(PriceError::Empty));
        assert_eq!(
            Case::new(vec![line(1, 1, 1, 100, 0)]).quote(),
            Err(PriceError::BadQuantity)
        );
        assert_eq!(
            Case::new(vec![line(1, 1, 1, 100, 1_000)]).quote(),
            Err(PriceError::BadQuantity)
        );
        assert_eq!(
            Case::new(vec![line(1, 1, 1, -1, 1)]).quote(),
            Err(PriceError::BadPrice)
        );
        let many = (0..101).map(|i| line(i, i, 1, 100, 1)).collect();
        assert_eq!(Case::new(many).quote(), Err(PriceError::TooManyLines));
    }

    #[test]
    fn a_discount_is_split_in_proportion_and_sums_exactly() {
        assert_eq!(split(100, &[100, 100, 100]), vec![34, 33, 33]);
        assert_eq!(split(10, &[300, 100]), vec![8, 2]);
        assert_eq!(split(5, &[0, 10]), vec![0, 5]);
        assert_eq!(
            split(50, &[10, 10]),
            vec![10, 10],
            "never more than a line has"
        );
    }

    fn arb_kind() -> impl Strategy<Value = CouponKind> {
        prop_oneof![
            (0i64..50_000).prop_map(|off| CouponKind::Fixed { off: Fen(off) }),
            (0u32..10_000, proptest::option::of(0i64..50_000)).prop_map(|(bp, cap)| {
                CouponKind::Percent {
                    off_bp: bp,
                    cap: cap.map(Fen),
                }
            }),
            (0i64..200_000, 0i64..50_000).prop_map(|(m, off)| CouponKind::Threshold {
                min_spend: Fen(m),
                off: Fen(off)
            }),
        ]
    }

    proptest! {
        #[test]
        fn the_lines_always_sum_to_the_total(
            prices in proptest::collection::vec((1i64..2_000_000, 1u32..20, 1i64..4), 1..8),
            member_bp in 0u32..2_000,
            every in 1i64..100_000, off in 0i64..20_000,
            kinds in proptest::collection::vec(arb_kind(), 0..4),
            points in 0u64..1_000_000,
            fee in 0i64..2_000,
        ) {
            let lines: Vec<CartLine> = prices.iter().enumerate()
                .map(|(i, (p, q, cat))| line(i as i64, i as i64, *cat, *p, *q)).collect();
            let mut c = Case::new(lines);
            c.membership = Some(Membership { tier: "t".into(), off_bp: member_bp });
            c.campaigns = vec![campaign(1, CampaignRule::EveryFull { every: Fen(every), off: Fen(off), cap: None })];
            c.coupons = kinds.into_iter().enumerate().map(|(i, k)| {
                let mut cp = coupon(i as i64, k);
                if i % 2 == 1 { cp.scope = Scope::Categories { ids: vec![1, 2] }; }
                cp
            }).collect();
            c.points = points;
            c.balance = points;
            c.shipping = ShippingRule { fee: Fen(fee), free_from: Some(Fen(50_000)) };
            let q = c.quote().unwrap();
            let payable: i64 = q.lines.iter().map(|l| l.payable.0).sum();
            prop_assert_eq!(payable, q.goods_payable.0);
            prop_assert_eq!(q.total.0, q.goods_payable.0 + q.shipping.0);
            let explained: i64 = q.price_lines.iter().map(|l| l.amount.0).sum();
            prop_assert_eq!(explained, q.total.0, "the price lines explain the total");
            for l in &q.lines {
                prop_assert!(l.payable.0 >= 0);
                prop_assert_eq!(
                    l.amount.0 - l.membership.0 - l.campaign.0 - l.coupon.0 - l.points.0,
                    l.payable.0
                );
            }
            for (kind, col) in [
                (LineKind::Membership, q.lines.iter().map(|l| l.membership.0).sum::<i64>()),
                (LineKind::Campaign, q.lines.iter().map(|l| l.campaign.0).sum()),
                (LineKind::Coupon, q.lines.iter().map(|l| l.coupon.0).sum()),
                (LineKind::Points, q.lines.iter().map(|l| l.points.0).sum()),
            ] {
                prop_assert_eq!(-amount(&q, kind), col);
            }
            prop_assert!(q.points_used <= points);
            // The default is the cheapest choice among "no coupon" and every usable one.
            let mut none = Case { choice: CouponChoice::None, ..c };
            none.coupons = vec![];
            prop_assert!(q.total.0 <= none.total());
            for o in &q.coupon_options {
                if let Some(t) = o.total { prop_assert!(q.total <= t); }
            }
        }

        #[test]
        fn a_split_never_exceeds_a_weight_and_sums_exactly(
            total in 0i64..10_000_000,
            weights in proptest::collection::vec(0i64..1_000_000, 1..20),
        ) {
            let shares = split(total, &weights);
            let sum: i64 = weights.iter().sum();
            prop_assert_eq!(shares.iter().sum::<i64>(), total.min(sum));
            for (s, w) in shares.iter().zip(&weights) {
                prop_assert!(*s >= 0 && s <= w);
            }
        }
    }
}
