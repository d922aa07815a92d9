use super::{HistoryEntry, Order, OrderLine, OrderState, Orders, Refund};
use crate::catalog::store::placeholders;
use crate::promo::json_col;
use crate::CommerceError;
use sellstream_core::{Page, PageRequest, Timestamp};
use sellstream_store::{AnyRow, Row, Tx};
use std::collections::HashMap;

/// What a move needs to know about an order.
#[derive(Debug, Clone)]
pub(crate) struct Head {
    pub id: i64,
    pub number: String,
    pub customer_id: i64,
    pub session_id: Option<i64>,
    pub channel: String,
    pub state: OrderState,
    pub before_refund: Option<OrderState>,
    pub total_fen: i64,
    pub refunded_fen: i64,
    pub coupon_id: Option<i64>,
    pub points_used: i64,
    pub flash_sale_id: Option<i64>,
}

/// Which orders a list shows. Every field narrows it.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    pub state: Option<OrderState>,
    pub session_id: Option<i64>,
    pub customer_id: Option<i64>,
    /// Order number (exact), or part of the customer's nickname or phone.
    pub q: Option<String>,
    pub from: Option<Timestamp>,
    pub until: Option<Timestamp>,
}

const HEAD: &str = "SELECT id, number, customer_id, session_id, channel, state, before_refund,
    total_fen, refunded_fen, coupon_id, points_used, flash_sale_id FROM orders";

fn state_col(r: &AnyRow, col: &str) -> Result<Option<OrderState>, CommerceError> {
    let s: Option<String> = r.try_get(col)?;
    s.map(|s| {
        OrderState::parse(&s).ok_or_else(|| CommerceError::Corrupt(format!("order state `{s}`")))
    })
    .transpose()
}

fn head_from_row(r: &AnyRow) -> Result<Head, CommerceError> {
    Ok(Head {
        id: r.try_get("id")?,
        number: r.try_get("number")?,
        customer_id: r.try_get("customer_id")?,
        session_id: r.try_get("session_id")?,
        channel: r.try_get("channel")?,
        state: state_col(r, "state")?
            .ok_or_else(|| CommerceError::Corrupt("order without state".into()))?,
        before_refund: state_col(r, "before_refund")?,
        total_fen: r.try_get("total_fen")?,
        refunded_fen: r.try_get("refunded_fen")?,
        coupon_id: r.try_get("coupon_id")?,
        points_used: r.try_get("points_used")?,
        flash_sale_id: r.try_get("flash_sale_id")?,
    })
}

fn ts(r: &AnyRow, col: &str) -> Result<Option<Timestamp>, CommerceError> {
    Ok(r.try_get::<Option<i64>, _>(col)?
        .map(Timestamp::from_millis))
}

impl Orders {
    pub(crate) async fn head_in(&self, tx: &mut Tx, id: i64) -> Result<Head, CommerceError> {
        let r = sqlx::query(&format!("{HEAD} WHERE id = $1"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CommerceError::NotFound("order", id))?;
        head_from_row(&r)
    }

    /// The whole order: lines, price lines, history and refunds.
    pub async fn get(&self, id: i64) -> Result<Order, CommerceError> {
        self.get_many(&[id])
            .await?
            .pop()
            .ok_or(CommerceError::NotFound("order", id))
    }

    /// Whole orders in the order of `ids` (missing ones left out): four queries for all of them.
    pub async fn get_many(&self, ids: &[i64]) -> Result<Vec<Order>, CommerceError> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(500) {
            out.extend(self.load(chunk).await?);
        }
        Ok(out)
    }

    async fn load(&self, ids: &[i64]) -> Result<Vec<Order>, CommerceError> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let pool = self.store.pool();
        let list = placeholders(1, ids.len());
        let fetch = |sql: String| {
            let ids = ids.to_vec();
            async move {
                let mut q = sqlx::query(&sql);
                for id in &ids {
                    q = q.bind(*id);
                }
                q.fetch_all(pool).await
            }
        };
        let mut lines: HashMap<i64, Vec<OrderLine>> = HashMap::new();
        for l in fetch(format!(
            "SELECT * FROM order_lines WHERE order_id IN ({list}) ORDER BY order_id, line_no"
        ))
        .await?
        {
            lines
                .entry(l.try_get("order_id")?)
                .or_default()
                .push(OrderLine {
                    line_no: l.try_get("line_no")?,
                    sku_id: l.try_get("sku_id")?,
                    product_id: l.try_get("product_id")?,
                    title: l.try_get("title")?,
                    sku_code: l.try_get("sku_code")?,
                    attributes: json_col(&l, "attributes")?,
                    image: l.try_get("image")?,
                    quantity: l.try_get("quantity")?,
                    unit_price: l.try_get("unit_price")?,
                    amount: l.try_get("amount")?,
                    membership: l.try_get("membership")?,
                    campaign: l.try_get("campaign")?,
                    coupon: l.try_get("coupon")?,
                    points_fen: l.try_get("points_fen")?,
                    payable: l.try_get("payable")?,
                    refunded: sellstream_store::get_flag(&l, "refunded")?,
                });
        }
        let mut history: HashMap<i64, Vec<HistoryEntry>> = HashMap::new();
        for h in fetch(format!(
            "SELECT order_id, from_state, to_state, actor, actor_id, note, at FROM order_history
             WHERE order_id IN ({list}) ORDER BY id"
        ))
        .await?
        {
            history
                .entry(h.try_get("order_id")?)
                .or_default()
                .push(HistoryEntry {
                    from_state: state_col(&h, "from_state")?,
                    to_state: state_col(&h, "to_state")?
                        .ok_or_else(|| CommerceError::Corrupt("history without state".into()))?,
                    actor: h.try_get("actor")?,
                    actor_id: h.try_get("actor_id")?,
                    note: h.try_get("note")?,
                    at: Timestamp::from_millis(h.try_get("at")?),
                });
        }
        let mut refunds: HashMap<i64, Vec<Refund>> = HashMap::new();
        for f in fetch(format!(
            "SELECT order_id, id, amount_fen, lines, reason, state, provider_ref, created_at
             FROM refunds WHERE order_id IN ({list}) ORDER BY id"
        ))
        .await?
        {
            refunds
                .entry(f.try_get("order_id")?)
                .or_default()
                .push(Refund {
                    id: f.try_get("id")?,
                    amount_fen: f.try_get("amount_fen")?,
                    line_nos: json_col(&f, "lines")?,
                    reason: f.try_get("reason")?,
                    state: f.try_get("state")?,
                    provider_ref: f.try_get("provider_ref")?,
                    at: Timestamp::from_millis(f.try_get("created_at")?),
                });
        }
        let mut orders: HashMap<i64, Order> = HashMap::new();
        for r in fetch(format!(
            "SELECT o.*, a.nickname FROM orders o JOIN accounts a ON a.id = o.customer_id
             WHERE o.id IN ({list})"
        ))
        .await?
        {
            let head = head_from_row(&r)?;
            let id = head.id;
            orders.insert(
                id,
                Order {
                    id,
                    number: head.number,
                    customer_id: head.customer_id,
                    customer_name: r.try_get("nickname")?,
                    session_id: head.session_id,
                    channel: head.channel,
                    state: head.state,
                    goods_fen: r.try_get("goods_fen")?,
                    shipping_fen: r.try_get("shipping_fen")?,
                    total_fen: head.total_fen,
                    refunded_fen: head.refunded_fen,
                    coupon_id: head.coupon_id,
                    campaign_id: r.try_get("campaign_id")?,
                    points_used: head.points_used,
                    flash_sale_id: head.flash_sale_id,
                    membership_tier: r.try_get("membership_tier")?,
                    address: json_col(&r, "address")?,
                    note: r.try_get("note")?,
                    price_lines: json_col(&r, "price_lines")?,
                    lines: lines.remove(&id).unwrap_or_default(),
                    pay_deadline: Timestamp::from_millis(r.try_get("pay_deadline")?),
                    tracking_no: r.try_get("tracking_no")?,
                    cancel_reason: r.try_get("cancel_reason")?,
                    paid_at: ts(&r, "paid_at")?,
                    shipped_at: ts(&r, "shipped_at")?,
                    delivered_at: ts(&r, "delivered_at")?,
                    completed_at: ts(&r, "completed_at")?,
                    created_at: Timestamp::from_millis(r.try_get("created_at")?),
                    history: history.remove(&id).unwrap_or_default(),
                    refunds: refunds.remove(&id).unwrap_or_default(),
                },
            );
        }
        Ok(ids.iter().filter_map(|id| orders.remove(id)).collect())
    }

    /// A customer's own order; someone else's is not found.
    pub async fn get_for(&self, customer_id: i64, id: i64) -> Result<Order, CommerceError> {
        let order = self.get(id).await?;
        if order.customer_id != customer_id {
            return Err(CommerceError::NotFound("order", id));
        }
        Ok(order)
    }

    /// Orders matching `filter`, newest first, whole.
    pub async fn list(
        &self,
        filter: &OrderFilter,
        page: PageRequest,
    ) -> Result<Page<Order>, CommerceError> {
        let (ids, total) = self.ids(filter, Some(page)).await?;
        Ok(Page::new(self.get_many(&ids).await?, page, total))
    }

    /// The ids of matching orders, newest first (all of them without a page: for exports).
    pub async fn ids(
        &self,
        filter: &OrderFilter,
        page: Option<PageRequest>,
    ) -> Result<(Vec<i64>, i64), CommerceError> {
        let mut cond = vec!["1 = 1".to_owned()];
        let mut args: Vec<Arg> = Vec::new();
        let mut push = |c: &str, a: Arg, cond: &mut Vec<String>| {
            args.push(a);
            cond.push(c.replace('?', &format!("${}", args.len())));
        };
        if let Some(s) = filter.state {
            push("o.state = ?", Arg::Text(s.as_str().into()), &mut cond);
        }
        if let Some(s) = filter.session_id {
            push("o.session_id = ?", Arg::Int(s), &mut cond);
        }
        if let Some(c) = filter.customer_id {
            push("o.customer_id = ?", Arg::Int(c), &mut cond);
        }
        if let Some(f) = filter.from {
            push("o.created_at >= ?", Arg::Int(f.millis()), &mut cond);
        }
        if let Some(u) = filter.until {
            push("o.created_at < ?", Arg::Int(u.millis()), &mut cond);
        }
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let like = format!("%{}%", q.to_lowercase().replace(['%', '_'], ""));
            args.push(Arg::Text(q.into()));
            let n = args.len();
            args.push(Arg::Text(like));
            let m = args.len();
            cond.push(format!(
                "(o.number = ${n} OR LOWER(a.nickname) LIKE ${m} OR a.phone LIKE ${m})"
            ));
        }
        let from = format!(
            "FROM orders o JOIN accounts a ON a.id = o.customer_id WHERE {}",
            cond.join(" AND ")
        );
        let count_sql = format!("SELECT COUNT(*) {from}");
        let total: i64 = bound(&count_sql, &args)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
        let (limit, offset) = page.map_or((100_000, 0), |p| (p.limit(), p.offset()));
        let ids_sql =
            format!("SELECT o.id {from} ORDER BY o.id DESC LIMIT {limit} OFFSET {offset}");
        let ids = bound(&ids_sql, &args)
            .fetch_all(self.store.pool())
            .await?
            .iter()
            .map(|r| r.try_get(0))
            .collect::<Result<Vec<i64>, _>>()?;
        Ok((ids, total))
    }
}

fn bound<'q>(
    sql: &'q str,
    args: &'q [Arg],
) -> sqlx::query::Query<'q, sellstream_store::Any, sqlx::any::AnyArguments<'q>> {
    let mut q = sqlx::query(sql);
    for a in args {
        q = match a {
            Arg::Int(i) => q.bind(*i),
            Arg::Text(t) => q.bind(t.as_str()),
        };
    }
    q
}

enum Arg {
    Int(i64),
    Text(String),
}
