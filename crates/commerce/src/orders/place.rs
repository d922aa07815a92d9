use super::query::Head;
use super::{record, Actor, Order, OrderState, Orders};
use crate::checkout::CheckoutItem;
use crate::flash::ledger::{Buy, Placed};
use crate::flash::FlashSale;
use crate::points::{self, Change};
use crate::pricing::{self, CouponChoice, PriceInput, Quote};
use crate::promo::Promotions;
use crate::{CommerceError, CommerceSettings};
use sellstream_core::Timestamp;
use sellstream_store::{unique_violation, Row};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::sync::Arc;
use utoipa::ToSchema;

/// What the flash-sale hot path reads once a second.
pub(crate) struct HotSale {
    sale: FlashSale,
    /// The session's channel, which the order counts for.
    channel: String,
    settings: CommerceSettings,
    sku_code: String,
    attributes: String,
    image: Option<String>,
}

/// What a customer orders. Prices and totals are never read from the client: a body carrying
/// them is refused as unknown fields.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OrderRequest {
    /// The live session the order comes from: its live prices apply and the order counts for it.
    pub session_id: Option<i64>,
    pub items: Vec<CheckoutItem>,
    /// `{"kind":"best"}` (default), `{"kind":"none"}` or `{"kind":"use","id":…}` (a wallet coupon).
    #[serde(default)]
    #[schema(value_type = Object)]
    pub coupon: CouponChoice,
    /// Points to spend.
    #[serde(default)]
    pub points: u64,
    /// One of the customer's addresses; previews may leave it out.
    pub address_id: Option<i64>,
    /// A note to the seller, up to 200 characters.
    #[serde(default)]
    pub note: String,
    /// Buy in this flash sale: one item, its SKU, at the flash price (no coupons or points).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flash_sale_id: Option<i64>,
}

/// Where an order comes from: the session (with its live prices) or the shop.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    pub session_id: Option<i64>,
    pub channel: String,
    /// SKU id → live price in fen.
    pub live_prices: HashMap<i64, i64>,
}

/// A placed order, and whether this call placed it or found it by its idempotency key.
#[derive(Debug)]
pub struct PlaceOutcome {
    pub order: Order,
    pub replayed: bool,
}

/// Keys are kept this long; after that the same key places a new order.
pub const IDEMPOTENCY_TTL_MS: i64 = 24 * 3600 * 1000;

impl Orders {
    /// Prices a cart for a customer with everything they hold: membership, live campaigns,
    /// their coupons and points balance, the brand's shipping and points rules.
    pub async fn quote(
        &self,
        customer_id: i64,
        req: &OrderRequest,
        origin: &Origin,
    ) -> Result<(Quote, CommerceSettings), CommerceError> {
        if let Some(sale_id) = req.flash_sale_id {
            let sale = self.flash.get(sale_id).await?;
            // The preview says now what the ledger would say about the customer's limit.
            let had: i64 = sqlx::query(
                "SELECT CAST(COALESCE(SUM(quantity), 0) AS BIGINT) FROM flash_buyers
                 WHERE sale_id = $1 AND customer_id = $2",
            )
            .bind(sale_id)
            .bind(customer_id)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
            let wanted: i64 = req.items.iter().map(|i| i64::from(i.quantity)).sum();
            if had + wanted > sale.per_customer {
                return Err(CommerceError::Invalid(format!(
                    "quantity: this flash sale allows {} per customer and you have {had}",
                    sale.per_customer
                )));
            }
            return self.flash_quote(customer_id, req, &sale).await;
        }
        let settings = CommerceSettings::load(&self.store).await?;
        let now = Timestamp::now();
        let lines = self
            .catalog
            .cart_lines(&req.items, &origin.live_prices)
            .await?;
        let membership = self.memberships.benefit(customer_id, now).await?;
        let campaigns = self.promotions.live_campaigns(now).await?;
        let coupons = self.promotions.usable(customer_id).await?;
        let balance = self.points.balance(customer_id).await?;
        let quote = pricing::quote(&PriceInput {
            now,
            lines: &lines,
            membership: membership.as_ref(),
            campaigns: &campaigns,
            coupons: &coupons,
            coupon: req.coupon,
            points: req.points,
            points_balance: balance.max(0) as u64,
            points_rule: settings.points_rule(),
            shipping: settings.shipping_rule(),
        })
        .map_err(|e| CommerceError::Invalid(e.to_string()))?;
        Ok((quote, settings))
    }

    /// Places an order: prices it, then in one transaction records the key, checks the
    /// per-customer limits against earlier orders, reserves the stock (never below zero), uses
    /// the coupon and points, and writes the order with its lines, history and event.
    pub async fn place(
        &self,
        customer_id: i64,
        req: &OrderRequest,
        origin: &Origin,
        idempotency_key: Option<&str>,
    ) -> Result<PlaceOutcome, CommerceError> {
        let hash = request_hash(req);
        if let Some(sale_id) = req.flash_sale_id {
            return self
                .place_flash(customer_id, req, idempotency_key, hash, sale_id)
                .await;
        }
        if let Some(key) = idempotency_key {
            check_key(key)?;
            if let Some(order) = self.replay(customer_id, key, &hash).await? {
                return Ok(PlaceOutcome {
                    order,
                    replayed: true,
                });
            }
        }
        let note = req.note.trim();
        if note.chars().count() > 200 || note.chars().any(|c| c.is_control() && c != '\n') {
            return Err(CommerceError::Invalid(
                "note: at most 200 characters".into(),
            ));
        }
        let address_id = req
            .address_id
            .ok_or_else(|| CommerceError::Invalid("address_id: where should it go?".into()))?;
        let address = self.address(customer_id, address_id).await?;
        let (quote, settings) = self.quote(customer_id, req, origin).await?;
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin_write().await?;
        if let Some(key) = idempotency_key {
            // Expired keys make room for a new order under the same key.
            sqlx::query(
                "DELETE FROM idempotency_keys WHERE customer_id = $1 AND key = $2 AND expires_at <= $3",
            )
            .bind(customer_id)
            .bind(key)
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        let skus = self.sku_facts(&mut tx, &quote).await?;
        self.check_limits(&mut tx, customer_id, &skus).await?;
        for (line, sku) in quote.lines.iter().zip(&skus) {
            let n = sqlx::query(
                "UPDATE skus SET stock = stock - $1, updated_at = $2 WHERE id = $3 AND stock >= $1",
            )
            .bind(i64::from(line.quantity))
            .bind(now)
            .bind(line.sku_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if n == 0 {
                return Err(CommerceError::OutOfStock(format!(
                    "{} ({}) has sold out or has fewer than {} left",
                    sku.title, sku.code, line.quantity
                )));
            }
        }
        let number = order_number(now);
        let inserted = sqlx::query(
            "INSERT INTO orders (number, customer_id, session_id, channel, state, goods_fen,
                shipping_fen, total_fen, coupon_id, campaign_id, points_used, points_per_yuan,
                membership_tier, address, note, price_lines, pay_deadline, created_at, updated_at)
             VALUES ($1, $2, $3, $4, 'pending_payment', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14,
                $15, $16, $17, $17) RETURNING id",
        )
        .bind(&number)
        .bind(customer_id)
        .bind(origin.session_id)
        .bind(&origin.channel)
        .bind(quote.goods_payable.0)
        .bind(quote.shipping.0)
        .bind(quote.total.0)
        .bind(quote.coupon_id)
        .bind(quote.campaign_id)
        .bind(quote.points_used as i64)
        .bind(i64::from(settings.points_per_yuan))
        .bind(
            quote
                .price_lines
                .iter()
                .find(|l| l.kind == pricing::LineKind::Membership)
                .map(|l| l.label.clone()),
        )
        .bind(address.to_string())
        .bind(note)
        .bind(serde_json::to_string(&quote.price_lines).unwrap_or_default())
        .bind(now + settings.payment_window_secs * 1000)
        .bind(now)
        .fetch_one(&mut *tx)
        .await;
        let order_id: i64 = match inserted {
            Ok(r) => r.try_get(0)?,
            // Another order took this number this very second: nothing is kept, try again.
            Err(e) if unique_violation(&e).is_some() => {
                drop(tx);
                return Box::pin(self.place(customer_id, req, origin, idempotency_key)).await;
            }
            Err(e) => return Err(e.into()),
        };
        for (i, (line, sku)) in quote.lines.iter().zip(&skus).enumerate() {
            sqlx::query(
                "INSERT INTO order_lines (order_id, line_no, sku_id, product_id, title, sku_code,
                    attributes, image, quantity, unit_price, amount, membership, campaign, coupon,
                    points_fen, payable)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
            )
            .bind(order_id)
            .bind(i as i64 + 1)
            .bind(line.sku_id)
            .bind(sku.product_id)
            .bind(&sku.title)
            .bind(&sku.code)
            .bind(&sku.attributes)
            .bind(&sku.image)
            .bind(i64::from(line.quantity))
            .bind(line.unit_price.0)
            .bind(line.amount.0)
            .bind(line.membership.0)
            .bind(line.campaign.0)
            .bind(line.coupon.0)
            .bind(line.points.0)
            .bind(line.payable.0)
            .execute(&mut *tx)
            .await?;
        }
        if let Some(held) = quote.coupon_id {
            Promotions::use_in(&mut tx, held, customer_id, order_id, now).await?;
        }
        if quote.points_used > 0 {
            points::apply(
                &mut tx,
                Change {
                    customer_id,
                    delta: -(quote.points_used as i64),
                    reason: "spend",
                    order_id: Some(order_id),
                    expires_at: None,
                    note: &number,
                    now,
                },
            )
            .await?;
        }
        if let Some(key) = idempotency_key {
            let inserted = sqlx::query(
                "INSERT INTO idempotency_keys (customer_id, key, request_hash, order_id, expires_at)
                 VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(customer_id)
            .bind(key)
            .bind(&hash)
            .bind(order_id)
            .bind(now + IDEMPOTENCY_TTL_MS)
            .execute(&mut *tx)
            .await;
            if let Err(e) = inserted {
                // Another request with this key won the race: answer as it was answered.
                if unique_violation(&e).is_some() {
                    drop(tx);
                    return match self.replay(customer_id, key, &hash).await? {
                        Some(order) => Ok(PlaceOutcome {
                            order,
                            replayed: true,
                        }),
                        None => Err(CommerceError::IdempotencyKeyReused),
                    };
                }
                return Err(e.into());
            }
        }
        let head = Head {
            id: order_id,
            customer_id,
            session_id: origin.session_id,
            channel: origin.channel.clone(),
            state: OrderState::PendingPayment,
            before_refund: None,
            total_fen: quote.total.0,
            refunded_fen: 0,
            coupon_id: quote.coupon_id,
            points_used: quote.points_used as i64,
            flash_sale_id: None,
            number: number.clone(),
        };
        record(
            &mut tx,
            &head,
            None,
            OrderState::PendingPayment,
            Actor::Customer(customer_id),
            "",
            Some((
                "order.placed",
                quote.total.0,
                serde_json::json!({
                    "number": number,
                    "items": quote.lines.iter().zip(&skus).map(|(l, s)| serde_json::json!({
                        "sku_id": l.sku_id, "product_id": s.product_id, "quantity": l.quantity,
                        "payable": l.payable.0,
                    })).collect::<Vec<_>>(),
                    "coupon_id": quote.coupon_id,
                    "campaign_id": quote.campaign_id,
                    "points_used": quote.points_used,
                }),
            )),
            now,
        )
        .await?;
        tx.commit().await?;
        let order = self.get(order_id).await?;
        self.notify("placed", &order);
        Ok(PlaceOutcome {
            order,
            replayed: false,
        })
    }

    /// A flash-sale order is priced at the flash price alone: no coupons, campaigns, membership
    /// discount or points (docs/pricing.md), shipping as usual.
    async fn flash_quote(
        &self,
        customer_id: i64,
        req: &OrderRequest,
        sale: &FlashSale,
    ) -> Result<(Quote, CommerceSettings), CommerceError> {
        let settings = CommerceSettings::load(&self.store).await?;
        self.flash_quote_with(customer_id, req, sale, &settings)
            .await
    }

    async fn flash_quote_with(
        &self,
        customer_id: i64,
        req: &OrderRequest,
        sale: &FlashSale,
        settings: &CommerceSettings,
    ) -> Result<(Quote, CommerceSettings), CommerceError> {
        let item = match req.items.as_slice() {
            [item] if item.sku_id == sale.sku_id => *item,
            _ => {
                return Err(CommerceError::Invalid(format!(
                    "items: a flash-sale order is one item, SKU {}",
                    sale.sku_id
                )))
            }
        };
        if !(1..=sale.per_customer).contains(&i64::from(item.quantity)) {
            return Err(CommerceError::Invalid(format!(
                "items[0].quantity: 1 to {} in this flash sale",
                sale.per_customer
            )));
        }
        if matches!(req.coupon, CouponChoice::Use { .. }) {
            return Err(CommerceError::Invalid(
                "coupon: flash-sale prices take no coupons".into(),
            ));
        }
        if req.points > 0 {
            return Err(CommerceError::Invalid(
                "points: flash-sale prices take no points".into(),
            ));
        }
        if sale.members_only
            && self
                .memberships
                .benefit(customer_id, Timestamp::now())
                .await?
                .is_none()
        {
            return Err(CommerceError::Invalid(
                "flash_sale_id: this flash sale is for members only".into(),
            ));
        }
        let settings = settings.clone();
        let line = pricing::CartLine {
            sku_id: sale.sku_id,
            product_id: sale.product_id,
            category_id: None,
            list_price: sellstream_core::Fen(sale.list_price_fen),
            live_price: Some(sellstream_core::Fen(sale.price_fen)),
            quantity: item.quantity,
        };
        let mut quote = pricing::quote(&PriceInput {
            now: Timestamp::now(),
            lines: std::slice::from_ref(&line),
            membership: None,
            campaigns: &[],
            coupons: &[],
            coupon: CouponChoice::None,
            points: 0,
            points_balance: 0,
            points_rule: settings.points_rule(),
            shipping: settings.shipping_rule(),
        })
        .map_err(|e| CommerceError::Invalid(e.to_string()))?;
        for l in &mut quote.price_lines {
            if l.kind == pricing::LineKind::LivePrice {
                l.label = "秒杀价 flash price".into();
                l.ref_id = Some(sale.id);
            }
        }
        Ok((quote, settings))
    }

    /// Places a flash-sale order through the sale's stock ledger: everything that needs no
    /// decision (price, address, the SKU's facts) is prepared here — the sale, its SKU and the
    /// selling rules from a cache at most a second old —, and the writer decides and writes it
    /// with the rest of its batch. The answer is built from what was written, without reading
    /// it back.
    async fn place_flash(
        &self,
        customer_id: i64,
        req: &OrderRequest,
        key: Option<&str>,
        hash: String,
        sale_id: i64,
    ) -> Result<PlaceOutcome, CommerceError> {
        if let Some(key) = key {
            check_key(key)?;
        }
        let hot = self.hot_sale(sale_id).await?;
        let sale = &hot.sale;
        if req.session_id.is_some_and(|s| s != sale.session_id) {
            return Err(CommerceError::Invalid(
                "session_id: the flash sale belongs to another session".into(),
            ));
        }
        let note = req.note.trim();
        if note.chars().count() > 200 {
            return Err(CommerceError::Invalid(
                "note: at most 200 characters".into(),
            ));
        }
        let address_id = req
            .address_id
            .ok_or_else(|| CommerceError::Invalid("address_id: where should it go?".into()))?;
        // The ledger's writer reads the batch's addresses in one query; the other designs read
        // them here, one buy at a time, as they would.
        let (address, name) = if sale.strategy == crate::flash::Strategy::Ledger {
            (String::new(), String::new())
        } else {
            let r = sqlx::query(
                "SELECT d.recipient, d.phone, d.region, d.detail, a.nickname FROM addresses d
                 JOIN accounts a ON a.id = d.account_id WHERE d.id = $1 AND d.account_id = $2",
            )
            .bind(address_id)
            .bind(customer_id)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(CommerceError::NotFound("address", address_id))?;
            (address_json(&r)?.to_string(), r.try_get("nickname")?)
        };
        let (quote, settings) = self
            .flash_quote_with(customer_id, req, sale, &hot.settings)
            .await?;
        let now = Timestamp::now().millis();
        let line = &quote.lines[0];
        let buy = Buy {
            customer_id,
            address_id,
            customer_name: name,
            key: key.map(str::to_owned),
            request_hash: hash,
            quantity: i64::from(line.quantity),
            channel: hot.channel.clone(),
            address,
            note: note.to_owned(),
            price_lines: quote.price_lines.clone(),
            unit_price: line.unit_price.0,
            goods_fen: quote.goods_payable.0,
            shipping_fen: quote.shipping.0,
            total_fen: quote.total.0,
            points_per_yuan: i64::from(settings.points_per_yuan),
            pay_deadline: now + settings.payment_window_secs * 1000,
            sku_code: hot.sku_code.clone(),
            attributes: hot.attributes.clone(),
            image: hot.image.clone(),
        };
        let kept = buy.clone();
        match self.ledger.buy(sale, buy).await? {
            Placed::New {
                id,
                number,
                address,
                customer_name,
            } => {
                let filled = Buy {
                    address,
                    customer_name,
                    ..kept
                };
                Ok(PlaceOutcome {
                    order: written_order(sale, &filled, &quote, id, number),
                    replayed: false,
                })
            }
            Placed::Replayed(id) => Ok(PlaceOutcome {
                order: self.get(id).await?,
                replayed: true,
            }),
            Placed::Queued(number) => Ok(PlaceOutcome {
                order: written_order(sale, &kept, &quote, 0, number),
                replayed: false,
            }),
        }
    }

    /// A sale, its SKU's facts and the selling rules, at most a second old: the hot path of a
    /// flash sale reads them once a second, not once a buy. (The writer judges the sale's state
    /// against the database itself.)
    async fn hot_sale(&self, sale_id: i64) -> Result<Arc<HotSale>, CommerceError> {
        if let Some((at, hot)) = self
            .hot
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&sale_id)
        {
            if at.elapsed() < std::time::Duration::from_secs(1) {
                return Ok(hot.clone());
            }
        }
        let sale = self.flash.get(sale_id).await?;
        let facts = sqlx::query(
            "SELECT s.code, s.attributes, p.images FROM skus s JOIN products p ON p.id = s.product_id
             WHERE s.id = $1",
        )
        .bind(sale.sku_id)
        .fetch_one(self.store.pool())
        .await?;
        let images: Vec<String> =
            serde_json::from_str(&facts.try_get::<String, _>("images")?).unwrap_or_default();
        let channel: String = sqlx::query("SELECT channel FROM live_sessions WHERE id = $1")
            .bind(sale.session_id)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
        let hot = Arc::new(HotSale {
            channel,
            settings: CommerceSettings::load(&self.store).await?,
            sku_code: facts.try_get("code")?,
            attributes: facts.try_get("attributes")?,
            image: images.into_iter().next(),
            sale,
        });
        let mut map = self.hot.lock().unwrap_or_else(|e| e.into_inner());
        if map.len() > 1_000 {
            map.clear();
        }
        map.insert(sale_id, (std::time::Instant::now(), hot.clone()));
        Ok(hot)
    }

    /// The order a key placed, when the key is live and the request the same; 409 when not.
    async fn replay(
        &self,
        customer_id: i64,
        key: &str,
        hash: &str,
    ) -> Result<Option<Order>, CommerceError> {
        let found = sqlx::query(
            "SELECT request_hash, order_id FROM idempotency_keys
             WHERE customer_id = $1 AND key = $2 AND expires_at > $3",
        )
        .bind(customer_id)
        .bind(key)
        .bind(Timestamp::now().millis())
        .fetch_optional(self.store.pool())
        .await?;
        let Some(r) = found else { return Ok(None) };
        if r.try_get::<String, _>("request_hash")? != hash {
            return Err(CommerceError::IdempotencyKeyReused);
        }
        Ok(Some(self.get(r.try_get("order_id")?).await?))
    }

    /// The customer's own address, copied into the order as it is now.
    async fn address(
        &self,
        customer_id: i64,
        address_id: i64,
    ) -> Result<serde_json::Value, CommerceError> {
        let r = sqlx::query(
            "SELECT recipient, phone, region, detail FROM addresses WHERE id = $1 AND account_id = $2",
        )
        .bind(address_id)
        .bind(customer_id)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or(CommerceError::NotFound("address", address_id))?;
        Ok(address_json(&r)?)
    }

    async fn sku_facts(
        &self,
        tx: &mut sellstream_store::Tx,
        quote: &Quote,
    ) -> Result<Vec<SkuFacts>, CommerceError> {
        let mut out = Vec::with_capacity(quote.lines.len());
        for l in &quote.lines {
            let r = sqlx::query(
                "SELECT s.code, s.attributes, s.product_id, p.title, p.images, p.purchase_limit
                 FROM skus s JOIN products p ON p.id = s.product_id WHERE s.id = $1",
            )
            .bind(l.sku_id)
            .fetch_optional(&mut **tx)
            .await?
            .ok_or(CommerceError::NotFound("SKU", l.sku_id))?;
            let images: Vec<String> =
                serde_json::from_str(&r.try_get::<String, _>("images")?).unwrap_or_default();
            out.push(SkuFacts {
                code: r.try_get("code")?,
                attributes: r.try_get("attributes")?,
                product_id: r.try_get("product_id")?,
                title: r.try_get("title")?,
                image: images.into_iter().next(),
                limit: r.try_get("purchase_limit")?,
                quantity: i64::from(l.quantity),
            });
        }
        Ok(out)
    }

    /// Per-customer purchase limits count this order and the customer's earlier orders that
    /// were not cancelled or refunded.
    async fn check_limits(
        &self,
        tx: &mut sellstream_store::Tx,
        customer_id: i64,
        skus: &[SkuFacts],
    ) -> Result<(), CommerceError> {
        let mut per_product: HashMap<i64, (i64, Option<i64>, &str)> = HashMap::new();
        for s in skus {
            let e = per_product
                .entry(s.product_id)
                .or_insert((0, s.limit, &s.title));
            e.0 += s.quantity;
        }
        for (product_id, (qty, limit, title)) in per_product {
            let Some(limit) = limit else { continue };
            let before: i64 = sqlx::query(
                "SELECT CAST(COALESCE(SUM(l.quantity), 0) AS BIGINT) FROM order_lines l JOIN orders o ON o.id = l.order_id
                 WHERE o.customer_id = $1 AND l.product_id = $2 AND l.refunded = $3
                   AND o.state NOT IN ('cancelled', 'refunded')",
            )
            .bind(customer_id)
            .bind(product_id)
            .bind(false)
            .fetch_one(&mut **tx)
            .await?
            .try_get(0)?;
            if before + qty > limit {
                return Err(CommerceError::Invalid(format!(
                    "items: {title} is limited to {limit} per customer and you have already ordered {before}"
                )));
            }
        }
        Ok(())
    }
}

/// The address an order copies, from a row with `recipient`, `phone`, `region` and `detail`.
pub(crate) fn address_json(r: &sellstream_store::AnyRow) -> Result<serde_json::Value, sqlx::Error> {
    Ok(serde_json::json!({
        "recipient": r.try_get::<String, _>("recipient")?,
        "phone": r.try_get::<String, _>("phone")?,
        "region": r.try_get::<String, _>("region")?,
        "detail": r.try_get::<String, _>("detail")?,
    }))
}

struct SkuFacts {
    code: String,
    attributes: String,
    product_id: i64,
    title: String,
    image: Option<String>,
    limit: Option<i64>,
    quantity: i64,
}

fn check_key(key: &str) -> Result<(), CommerceError> {
    if key.is_empty() || key.len() > 128 || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(CommerceError::Invalid(
            "Idempotency-Key: 1 to 128 visible ASCII characters".into(),
        ));
    }
    Ok(())
}

/// The request as its canonical JSON (fields in declaration order), hashed.
fn request_hash(req: &OrderRequest) -> String {
    let body = serde_json::to_vec(req).unwrap_or_default();
    Sha256::digest(&body)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// `yyMMddHHmmss` (Beijing time), a three-digit tag drawn once per process, and a five-digit
/// counter: unique within a node up to 100,000 orders a second, sortable by time, and not
/// guessable from another's. Two nodes that drew the same tag can clash; the unique index
/// catches that and the order is numbered again.
pub(crate) fn order_number(now: i64) -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::sync::OnceLock;
    static TAG: OnceLock<u32> = OnceLock::new();
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let tag = *TAG.get_or_init(|| rand::random_range(0..1000));
    let n = COUNTER.fetch_add(1, Ordering::Relaxed) % 100_000;
    let t = Timestamp::from_millis(now)
        .to_datetime()
        .to_offset(time::macros::offset!(+8));
    format!(
        "{:02}{:02}{:02}{:02}{:02}{:02}{tag:03}{n:05}",
        t.year() % 100,
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
    )
}

/// A flash-sale order as the ledger wrote it (or, with id 0, as the Redis baseline will write
/// it after answering).
fn written_order(
    sale: &FlashSale,
    b: &Buy,
    quote: &Quote,
    id: i64,
    number: String,
) -> super::Order {
    let now = Timestamp::now();
    let line = &quote.lines[0];
    super::Order {
        id,
        number,
        customer_id: b.customer_id,
        customer_name: b.customer_name.clone(),
        session_id: Some(sale.session_id),
        channel: b.channel.clone(),
        state: OrderState::PendingPayment,
        goods_fen: b.goods_fen,
        shipping_fen: b.shipping_fen,
        total_fen: b.total_fen,
        refunded_fen: 0,
        coupon_id: None,
        campaign_id: None,
        points_used: 0,
        flash_sale_id: Some(sale.id),
        membership_tier: None,
        address: serde_json::from_str(&b.address).unwrap_or_default(),
        note: b.note.clone(),
        price_lines: quote.price_lines.clone(),
        lines: vec![super::OrderLine {
            line_no: 1,
            sku_id: sale.sku_id,
            product_id: sale.product_id,
            title: sale.title.clone(),
            sku_code: b.sku_code.clone(),
            attributes: serde_json::from_str(&b.attributes).unwrap_or_default(),
            image: b.image.clone(),
            quantity: b.quantity,
            unit_price: b.unit_price,
            amount: line.amount.0,
            membership: 0,
            campaign: 0,
            coupon: 0,
            points_fen: 0,
            payable: b.goods_fen,
            refunded: false,
        }],
        pay_deadline: Timestamp::from_millis(b.pay_deadline),
        tracking_no: None,
        cancel_reason: None,
        paid_at: None,
        shipped_at: None,
        delivered_at: None,
        completed_at: None,
        created_at: now,
        history: vec![super::HistoryEntry {
            from_state: None,
            to_state: OrderState::PendingPayment,
            actor: "customer".into(),
            actor_id: Some(b.customer_id),
            note: format!("flash sale {}", sale.id),
            at: now,
        }],
        refunds: Vec::new(),
    }
}
