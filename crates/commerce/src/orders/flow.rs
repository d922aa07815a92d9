use super::query::Head;
use super::{record, Action, Actor, Order, OrderState, Orders};
use crate::payment::{Callback, PayMethod, PayRequest, PayStart, RefundRequest};
use crate::points::{self, Change};
use crate::promo::Promotions;
use crate::{CommerceError, CommerceSettings};
use sellstream_core::Timestamp;
use sellstream_store::{unique_violation, Row, Tx};
use serde::Serialize;
use utoipa::ToSchema;

const DAY_MS: i64 = 24 * 3600 * 1000;

/// A payment attempt as the pay page shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentInfo {
    pub trade_no: String,
    pub order_id: i64,
    pub order_number: String,
    pub amount_fen: i64,
    /// `pending`, `succeeded`, `refunded_late` or `superseded`.
    pub state: String,
    pub method: Option<String>,
    pub pay_deadline: Timestamp,
    pub order_state: OrderState,
}

/// A payment started for an order.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct PaymentStarted {
    pub trade_no: String,
    pub amount_fen: i64,
    #[serde(flatten)]
    pub start: PayStart,
    pub pay_deadline: Timestamp,
}

/// What a callback did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallbackOutcome {
    /// The order is paid.
    Paid,
    /// The payment was already recorded; nothing changed.
    Duplicate,
    /// The order had been cancelled (or paid by another attempt): the money went back at once.
    RefundedLate,
    /// The provider reports a failed or closed attempt; the order waits for another.
    NotPaid,
}

impl Orders {
    /// Starts a payment of a pending order the customer owns. A new attempt supersedes the
    /// customer's earlier unpaid ones.
    pub async fn start_payment(
        &self,
        customer_id: i64,
        order_id: i64,
        method: PayMethod,
    ) -> Result<PaymentStarted, CommerceError> {
        let order = self.get_for(customer_id, order_id).await?;
        order
            .state
            .next(Action::Pay, None)
            .map_err(CommerceError::IllegalTransition)?;
        let now = Timestamp::now();
        if now >= order.pay_deadline {
            return Err(CommerceError::IllegalTransition(
                "the payment window has ended; the order is being cancelled".into(),
            ));
        }
        let trade_no = format!("{}{:03}", order.number, rand::random_range(0..1000u32));
        let start = self
            .provider
            .start(PayRequest {
                trade_no: &trade_no,
                order_number: &order.number,
                amount_fen: order.total_fen,
                method,
                subject: order.lines.first().map_or("", |l| l.title.as_str()),
                expires_at: order.pay_deadline,
            })
            .await?;
        let mut tx = self.store.begin_write().await?;
        sqlx::query(
            "UPDATE payments SET state = 'superseded' WHERE order_id = $1 AND state = 'pending'",
        )
        .bind(order_id)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO payments (order_id, provider, trade_no, method, amount_fen, state, created_at)
             VALUES ($1, $2, $3, $4, $5, 'pending', $6)",
        )
        .bind(order_id)
        .bind(self.provider.name())
        .bind(&trade_no)
        .bind(method.as_str())
        .bind(order.total_fen)
        .bind(now.millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(PaymentStarted {
            trade_no,
            amount_fen: order.total_fen,
            start,
            pay_deadline: order.pay_deadline,
        })
    }

    /// A payment attempt for the pay page.
    pub async fn payment(&self, trade_no: &str) -> Result<PaymentInfo, CommerceError> {
        let r = sqlx::query(
            "SELECT p.trade_no, p.order_id, p.amount_fen, p.state, p.method, o.number, o.pay_deadline,
                    o.state AS order_state
             FROM payments p JOIN orders o ON o.id = p.order_id WHERE p.trade_no = $1",
        )
        .bind(trade_no)
        .fetch_optional(self.store.pool())
        .await?
        .ok_or(CommerceError::NotFound("payment", 0))?;
        let order_state: String = r.try_get("order_state")?;
        Ok(PaymentInfo {
            trade_no: r.try_get("trade_no")?,
            order_id: r.try_get("order_id")?,
            order_number: r.try_get("number")?,
            amount_fen: r.try_get("amount_fen")?,
            state: r.try_get("state")?,
            method: r.try_get("method")?,
            pay_deadline: Timestamp::from_millis(r.try_get("pay_deadline")?),
            order_state: OrderState::parse(&order_state)
                .ok_or_else(|| CommerceError::Corrupt(format!("order state {order_state}")))?,
        })
    }

    /// A provider's server-to-server callback: verified, checked against replays, then applied
    /// once. Amount mismatches change nothing; a payment for an order that can no longer take it
    /// is refunded at once.
    pub async fn handle_callback(&self, cb: &Callback) -> Result<CallbackOutcome, CommerceError> {
        let now = Timestamp::now();
        let n = self.provider.verify(cb, now)?;
        let mut tx = self.store.begin_write().await?;
        let seen = sqlx::query(
            "INSERT INTO payment_callbacks (provider, nonce, trade_no, outcome, received_at)
             VALUES ($1, $2, $3, 'received', $4)",
        )
        .bind(self.provider.name())
        .bind(&n.nonce)
        .bind(&n.trade_no)
        .bind(now.millis())
        .execute(&mut *tx)
        .await;
        if let Err(e) = seen {
            if unique_violation(&e).is_some() {
                return Err(CommerceError::InvalidSignature(
                    "this callback was already received (replayed nonce)".into(),
                ));
            }
            return Err(e.into());
        }
        let name = self.provider.name();
        let outcome = |o: &'static str| CallbackMark {
            provider: name,
            nonce: n.nonce.clone(),
            outcome: o,
        };
        let p = sqlx::query(
            "SELECT id, order_id, amount_fen, state FROM payments WHERE trade_no = $1 AND provider = $2",
        )
        .bind(&n.trade_no)
        .bind(self.provider.name())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(p) = p else {
            outcome("unknown_trade").save(&mut tx).await?;
            tx.commit().await?;
            return Err(CommerceError::NotFound("payment", 0));
        };
        let payment_id: i64 = p.try_get("id")?;
        let order_id: i64 = p.try_get("order_id")?;
        let amount: i64 = p.try_get("amount_fen")?;
        let pstate: String = p.try_get("state")?;
        if pstate == "succeeded" || pstate == "refunded_late" {
            outcome("duplicate").save(&mut tx).await?;
            tx.commit().await?;
            return Ok(CallbackOutcome::Duplicate);
        }
        if !n.success {
            outcome("not_paid").save(&mut tx).await?;
            tx.commit().await?;
            return Ok(CallbackOutcome::NotPaid);
        }
        if n.amount_fen != amount {
            outcome("amount_mismatch").save(&mut tx).await?;
            tx.commit().await?;
            tracing::warn!(trade_no = %n.trade_no, expected = amount, got = n.amount_fen,
                "payment callback amount does not match; order left unchanged");
            return Err(CommerceError::Invalid(format!(
                "amount_fen: the callback says {} but the payment is for {amount}",
                n.amount_fen
            )));
        }
        let head = self.head_in(&mut tx, order_id).await?;
        if head.state == OrderState::PendingPayment {
            sqlx::query(
                "UPDATE payments SET state = 'succeeded', provider_txn = $1, method = $2, paid_at = $3
                 WHERE id = $4",
            )
            .bind(&n.provider_txn)
            .bind(&n.method)
            .bind(now.millis())
            .bind(payment_id)
            .execute(&mut *tx)
            .await?;
            self.move_to(&mut tx, &head, OrderState::Paid, "paid_at", now.millis())
                .await?;
            record(
                &mut tx,
                &head,
                Some(head.state),
                OrderState::Paid,
                Actor::Provider,
                &format!("{} {}", self.provider.name(), n.provider_txn),
                Some((
                    "order.paid",
                    amount,
                    serde_json::json!({"trade_no": n.trade_no, "method": n.method}),
                )),
                now.millis(),
            )
            .await?;
            outcome("paid").save(&mut tx).await?;
            tx.commit().await?;
            let order = self.get(order_id).await?;
            self.notify("paid", &order);
            return Ok(CallbackOutcome::Paid);
        }
        // Cancelled meanwhile, or paid by another attempt: the money goes straight back.
        sqlx::query(
            "UPDATE payments SET state = 'refunded_late', provider_txn = $1, method = $2, paid_at = $3
             WHERE id = $4",
        )
        .bind(&n.provider_txn)
        .bind(&n.method)
        .bind(now.millis())
        .bind(payment_id)
        .execute(&mut *tx)
        .await?;
        let refund_no = format!("{}L", n.trade_no);
        let reference = self
            .provider
            .refund(RefundRequest {
                trade_no: &n.trade_no,
                provider_txn: &n.provider_txn,
                refund_no: &refund_no,
                amount_fen: amount,
                reason: "paid after the order closed",
            })
            .await?;
        sqlx::query(
            "INSERT INTO refunds (order_id, payment_id, amount_fen, lines, reason, state, provider_ref,
                actor, created_at)
             VALUES ($1, $2, $3, '[]', $4, 'succeeded', $5, 'system', $6)",
        )
        .bind(order_id)
        .bind(payment_id)
        .bind(amount)
        .bind(format!(
            "payment arrived when the order was {}: refunded automatically",
            head.state.as_str()
        ))
        .bind(&reference)
        .bind(now.millis())
        .execute(&mut *tx)
        .await?;
        record(
            &mut tx,
            &head,
            Some(head.state),
            head.state,
            Actor::System,
            &format!(
                "late payment {} refunded automatically ({reference})",
                n.trade_no
            ),
            None,
            now.millis(),
        )
        .await?;
        outcome("refunded_late").save(&mut tx).await?;
        tx.commit().await?;
        Ok(CallbackOutcome::RefundedLate)
    }

    /// Moves `head` to `to` only if nobody moved it meanwhile; stamps `at_col` when given.
    async fn move_to(
        &self,
        tx: &mut Tx,
        head: &Head,
        to: OrderState,
        at_col: &str,
        now: i64,
    ) -> Result<(), CommerceError> {
        let stamp = if at_col.is_empty() {
            String::new()
        } else {
            format!(", {at_col} = $4")
        };
        let n = sqlx::query(&format!(
            "UPDATE orders SET state = $1, updated_at = $4{stamp} WHERE id = $2 AND state = $3"
        ))
        .bind(to.as_str())
        .bind(head.id)
        .bind(head.state.as_str())
        .bind(now)
        .execute(&mut **tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(CommerceError::Conflict(
                "the order changed meanwhile; reload it".into(),
            ));
        }
        Ok(())
    }

    /// Cancels an unpaid order and gives back its stock, coupon and points.
    pub async fn cancel(
        &self,
        order_id: i64,
        actor: Actor,
        reason: &str,
    ) -> Result<Order, CommerceError> {
        let reason = short_text("reason", reason, 0, 200)?;
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin_write().await?;
        let head = self.owned_head(&mut tx, order_id, actor).await?;
        head.state
            .next(Action::Cancel, None)
            .map_err(CommerceError::IllegalTransition)?;
        self.move_to(&mut tx, &head, OrderState::Cancelled, "closed_at", now)
            .await?;
        sqlx::query("UPDATE orders SET cancel_reason = $1 WHERE id = $2")
            .bind(&reason)
            .bind(order_id)
            .execute(&mut *tx)
            .await?;
        let lines = line_facts(&mut tx, order_id).await?;
        return_stock(&mut tx, &head, &lines, now).await?;
        if let Some(held) = head.coupon_id {
            Promotions::give_back_in(&mut tx, held, order_id).await?;
        }
        self.return_points(&mut tx, &head, head.points_used, now)
            .await?;
        record(
            &mut tx,
            &head,
            Some(head.state),
            OrderState::Cancelled,
            actor,
            &reason,
            Some((
                "order.cancelled",
                head.total_fen,
                serde_json::json!({"reason": reason}),
            )),
            now,
        )
        .await?;
        tx.commit().await?;
        let order = self.get(order_id).await?;
        self.notify("cancelled", &order);
        Ok(order)
    }

    /// Staff ship a paid order with its tracking number.
    pub async fn ship(
        &self,
        order_id: i64,
        staff_id: i64,
        tracking_no: &str,
    ) -> Result<Order, CommerceError> {
        let tracking = short_text("tracking_no", tracking_no, 4, 40)?;
        self.step(
            order_id,
            Actor::Staff(staff_id),
            Action::Ship,
            Step {
                stamp: "shipped_at",
                extra: Extra::Tracking(tracking.clone()),
                note: tracking.clone(),
                event: Some((
                    "order.shipped",
                    serde_json::json!({"tracking_no": tracking}),
                )),
            },
        )
        .await
    }

    /// The carrier delivered (recorded by staff, or a carrier feed later).
    pub async fn deliver(&self, order_id: i64, actor: Actor) -> Result<Order, CommerceError> {
        self.step(
            order_id,
            actor,
            Action::Deliver,
            Step {
                stamp: "delivered_at",
                extra: Extra::None,
                note: String::new(),
                event: Some(("order.delivered", serde_json::json!({}))),
            },
        )
        .await
    }

    /// The customer confirms receipt (or the system does after the configured days): the order
    /// completes and earns points on what was paid and not refunded.
    pub async fn complete(&self, order_id: i64, actor: Actor) -> Result<Order, CommerceError> {
        let settings = CommerceSettings::load(&self.store).await?;
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin_write().await?;
        let head = self.owned_head(&mut tx, order_id, actor).await?;
        head.state
            .next(Action::Complete, head.before_refund)
            .map_err(CommerceError::IllegalTransition)?;
        self.move_to(&mut tx, &head, OrderState::Completed, "completed_at", now)
            .await?;
        let paid = head.total_fen - head.refunded_fen;
        let earned = paid / 100 * i64::from(settings.points_earn_per_yuan);
        if earned > 0 {
            points::apply(
                &mut tx,
                Change {
                    customer_id: head.customer_id,
                    delta: earned,
                    reason: "earn",
                    order_id: Some(order_id),
                    expires_at: Some(points::expiry(now, settings.points_valid_days)),
                    note: &head.number,
                    now,
                },
            )
            .await?;
        }
        record(
            &mut tx,
            &head,
            Some(head.state),
            OrderState::Completed,
            actor,
            &format!("{earned} points earned"),
            Some((
                "order.completed",
                paid,
                serde_json::json!({"points_earned": earned}),
            )),
            now,
        )
        .await?;
        tx.commit().await?;
        self.get(order_id).await
    }

    /// The customer asks for their money back (after-sales, 申请退款).
    pub async fn request_refund(
        &self,
        order_id: i64,
        customer_id: i64,
        reason: &str,
    ) -> Result<Order, CommerceError> {
        let reason = short_text("reason", reason, 1, 200)?;
        self.step(
            order_id,
            Actor::Customer(customer_id),
            Action::RequestRefund,
            Step {
                stamp: "",
                extra: Extra::RememberState,
                note: reason.clone(),
                event: Some((
                    "order.refund_requested",
                    serde_json::json!({"reason": reason}),
                )),
            },
        )
        .await
    }

    /// Staff turn down a refund request; the order goes back where it was.
    pub async fn reject_refund(
        &self,
        order_id: i64,
        staff_id: i64,
        reason: &str,
    ) -> Result<Order, CommerceError> {
        let reason = short_text("reason", reason, 1, 200)?;
        self.step(
            order_id,
            Actor::Staff(staff_id),
            Action::RejectRefund,
            Step {
                stamp: "",
                extra: Extra::None,
                note: reason,
                event: None,
            },
        )
        .await
    }

    /// Refunds lines of a paid order (all that are left when `lines` is empty) through the
    /// provider. Each line gives back exactly its `payable`; the last refund also gives back
    /// shipping, the coupon and the rest of the points. Lines refunded before shipping return
    /// their stock.
    pub async fn refund(
        &self,
        order_id: i64,
        actor: Actor,
        lines: &[i64],
        reason: &str,
    ) -> Result<Order, CommerceError> {
        let reason = short_text("reason", reason, 1, 200)?;
        if lines.len() > crate::pricing::MAX_LINES {
            return Err(CommerceError::Invalid("lines: too many".into()));
        }
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin_write().await?;
        let head = self.head_in(&mut tx, order_id).await?;
        let all = line_facts(&mut tx, order_id).await?;
        let open: Vec<&LineFact> = all.iter().filter(|l| !l.refunded).collect();
        let chosen: Vec<&LineFact> = if lines.is_empty() {
            open.clone()
        } else {
            let mut v = Vec::new();
            for (i, no) in lines.iter().enumerate() {
                if lines[..i].contains(no) {
                    return Err(CommerceError::Invalid(format!(
                        "lines[{i}]: line {no} is listed twice"
                    )));
                }
                let l = all.iter().find(|l| l.line_no == *no).ok_or_else(|| {
                    CommerceError::Invalid(format!("lines[{i}]: no line {no} in this order"))
                })?;
                if l.refunded {
                    return Err(CommerceError::Invalid(format!(
                        "lines[{i}]: line {no} is already refunded"
                    )));
                }
                v.push(l);
            }
            v
        };
        let everything = chosen.len() == open.len();
        let action = if everything {
            Action::RefundAll
        } else {
            Action::RefundPart
        };
        let to = head
            .state
            .next(action, head.before_refund)
            .map_err(CommerceError::IllegalTransition)?;
        if chosen.is_empty() {
            return Err(CommerceError::Invalid(
                "lines: nothing left to refund".into(),
            ));
        }
        let goods: i64 = chosen.iter().map(|l| l.payable).sum();
        let shipping = if everything {
            let s: i64 = sqlx::query("SELECT shipping_fen FROM orders WHERE id = $1")
                .bind(order_id)
                .fetch_one(&mut *tx)
                .await?
                .try_get(0)?;
            s
        } else {
            0
        };
        let amount = goods + shipping;
        if amount > head.total_fen - head.refunded_fen {
            return Err(CommerceError::Invalid(format!(
                "amount: {amount} fen is more than the {} fen left to refund",
                head.total_fen - head.refunded_fen
            )));
        }
        let n = sqlx::query(
            "UPDATE orders SET state = $1, refunded_fen = refunded_fen + $2, updated_at = $3,
                closed_at = CASE WHEN $1 = 'refunded' THEN $3 ELSE closed_at END
             WHERE id = $4 AND state = $5 AND refunded_fen = $6",
        )
        .bind(to.as_str())
        .bind(amount)
        .bind(now)
        .bind(order_id)
        .bind(head.state.as_str())
        .bind(head.refunded_fen)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if n == 0 {
            return Err(CommerceError::Conflict(
                "the order changed meanwhile; reload it".into(),
            ));
        }
        for l in &chosen {
            sqlx::query(
                "UPDATE order_lines SET refunded = $1 WHERE order_id = $2 AND line_no = $3",
            )
            .bind(true)
            .bind(order_id)
            .bind(l.line_no)
            .execute(&mut *tx)
            .await?;
        }
        let unshipped = head.state == OrderState::Paid
            || (head.state == OrderState::RefundRequested
                && head.before_refund == Some(OrderState::Paid));
        if unshipped {
            let back: Vec<LineFact> = chosen.iter().map(|l| (*l).clone()).collect();
            return_stock(&mut tx, &head, &back, now).await?;
        }
        let points_back = if everything {
            head.points_used
        } else {
            let total_points_fen: i64 = all.iter().map(|l| l.points_fen).sum();
            let share: i64 = chosen.iter().map(|l| l.points_fen).sum();
            if total_points_fen == 0 {
                0
            } else {
                (i128::from(head.points_used) * i128::from(share) / i128::from(total_points_fen))
                    as i64
            }
        };
        self.return_points(&mut tx, &head, points_back, now).await?;
        if everything {
            if let Some(held) = head.coupon_id {
                Promotions::give_back_in(&mut tx, held, order_id).await?;
            }
        }
        let pay = sqlx::query(
            "SELECT id, trade_no, provider_txn FROM payments WHERE order_id = $1 AND state = 'succeeded'",
        )
        .bind(order_id)
        .fetch_optional(&mut *tx)
        .await?
        .ok_or_else(|| CommerceError::Corrupt(format!("paid order {order_id} has no payment")))?;
        let payment_id: i64 = pay.try_get("id")?;
        let trade_no: String = pay.try_get("trade_no")?;
        let txn: Option<String> = pay.try_get("provider_txn")?;
        let refund_id: i64 = sqlx::query(
            "INSERT INTO refunds (order_id, payment_id, amount_fen, lines, reason, state, actor,
                actor_id, created_at)
             VALUES ($1, $2, $3, $4, $5, 'succeeded', $6, $7, $8) RETURNING id",
        )
        .bind(order_id)
        .bind(payment_id)
        .bind(amount)
        .bind(
            serde_json::to_string(&chosen.iter().map(|l| l.line_no).collect::<Vec<_>>())
                .unwrap_or_default(),
        )
        .bind(&reason)
        .bind(actor.kind())
        .bind(actor.id())
        .bind(now)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        // The provider is asked last, inside the transaction: if it refuses, nothing above is
        // kept, and no second refund can start on this order while it answers.
        let reference = self
            .provider
            .refund(RefundRequest {
                trade_no: &trade_no,
                provider_txn: txn.as_deref().unwrap_or(""),
                refund_no: &format!("{trade_no}R{refund_id}"),
                amount_fen: amount,
                reason: &reason,
            })
            .await?;
        sqlx::query("UPDATE refunds SET provider_ref = $1 WHERE id = $2")
            .bind(&reference)
            .bind(refund_id)
            .execute(&mut *tx)
            .await?;
        let note = if everything {
            reason.clone()
        } else {
            format!(
                "部分退款 partial refund ¥{}.{:02}: {reason}",
                amount / 100,
                amount % 100
            )
        };
        record(
            &mut tx,
            &head,
            Some(head.state),
            to,
            actor,
            &note,
            Some((
                "order.refunded",
                amount,
                serde_json::json!({
                    "lines": chosen.iter().map(|l| l.line_no).collect::<Vec<_>>(),
                    "full": everything,
                    "points_returned": points_back,
                }),
            )),
            now,
        )
        .await?;
        tx.commit().await?;
        let order = self.get(order_id).await?;
        self.notify("refunded", &order);
        Ok(order)
    }

    /// Cancels every unpaid order whose payment window has ended; returns how many.
    pub async fn expire_unpaid(&self, now: Timestamp) -> Result<usize, CommerceError> {
        let ids: Vec<i64> = sqlx::query(
            "SELECT id FROM orders WHERE state = 'pending_payment' AND pay_deadline <= $1 ORDER BY id LIMIT 500",
        )
        .bind(now.millis())
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
        let mut n = 0;
        for id in ids {
            match self.cancel(id, Actor::System, "payment window ended").await {
                Ok(_) => n += 1,
                // Paid or cancelled in the meantime: nothing to do.
                Err(CommerceError::IllegalTransition(_) | CommerceError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// Completes delivered orders after the configured days; returns how many.
    pub async fn auto_complete(&self, now: Timestamp) -> Result<usize, CommerceError> {
        let settings = CommerceSettings::load(&self.store).await?;
        let before = now.millis() - i64::from(settings.auto_complete_days) * DAY_MS;
        let ids: Vec<i64> = sqlx::query(
            "SELECT id FROM orders WHERE state = 'delivered' AND delivered_at <= $1 ORDER BY id LIMIT 500",
        )
        .bind(before)
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| r.try_get(0))
        .collect::<Result<_, _>>()?;
        let mut n = 0;
        for id in ids {
            match self.complete(id, Actor::System).await {
                Ok(_) => n += 1,
                Err(CommerceError::IllegalTransition(_) | CommerceError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(n)
    }

    /// One move that needs nothing but itself: check it, make it, stamp its time, set what it
    /// sets, and record it — in one transaction.
    async fn step(
        &self,
        order_id: i64,
        actor: Actor,
        action: Action,
        step: Step,
    ) -> Result<Order, CommerceError> {
        let now = Timestamp::now().millis();
        let mut tx = self.store.begin_write().await?;
        let head = self.owned_head(&mut tx, order_id, actor).await?;
        let to = head
            .state
            .next(action, head.before_refund)
            .map_err(CommerceError::IllegalTransition)?;
        self.move_to(&mut tx, &head, to, step.stamp, now).await?;
        let (column, value) = match step.extra {
            Extra::None => ("", String::new()),
            Extra::Tracking(t) => ("tracking_no", t),
            Extra::RememberState => ("before_refund", head.state.as_str().to_owned()),
        };
        if !column.is_empty() {
            sqlx::query(&format!("UPDATE orders SET {column} = $1 WHERE id = $2"))
                .bind(value)
                .bind(order_id)
                .execute(&mut *tx)
                .await?;
        }
        let event = step.event.map(|(kind, payload)| (kind, 0, payload));
        record(
            &mut tx,
            &head,
            Some(head.state),
            to,
            actor,
            &step.note,
            event,
            now,
        )
        .await?;
        tx.commit().await?;
        self.get(order_id).await
    }

    /// The order's head; a customer only reaches their own.
    async fn owned_head(
        &self,
        tx: &mut Tx,
        order_id: i64,
        actor: Actor,
    ) -> Result<Head, CommerceError> {
        let head = self.head_in(tx, order_id).await?;
        if let Actor::Customer(c) = actor {
            if head.customer_id != c {
                return Err(CommerceError::NotFound("order", order_id));
            }
        }
        Ok(head)
    }

    /// Gives back up to `wanted` of the points the order spent, never more than it spent.
    async fn return_points(
        &self,
        tx: &mut Tx,
        head: &Head,
        wanted: i64,
        now: i64,
    ) -> Result<(), CommerceError> {
        if head.points_used == 0 || wanted <= 0 {
            return Ok(());
        }
        let returned: i64 = sqlx::query(
            "SELECT CAST(COALESCE(SUM(delta), 0) AS BIGINT) FROM points_ledger WHERE order_id = $1 AND reason = 'return'",
        )
        .bind(head.id)
        .fetch_one(&mut **tx)
        .await?
        .try_get(0)?;
        let back = wanted.min(head.points_used - returned);
        if back <= 0 {
            return Ok(());
        }
        let settings = CommerceSettings::load_in(tx).await?;
        points::apply(
            tx,
            Change {
                customer_id: head.customer_id,
                delta: back,
                reason: "return",
                order_id: Some(head.id),
                expires_at: Some(points::expiry(now, settings.points_valid_days)),
                note: &head.number,
                now,
            },
        )
        .await?;
        Ok(())
    }
}

/// A simple move's details (see `Orders::step`).
struct Step {
    /// The column that takes the time of the move, if any.
    stamp: &'static str,
    extra: Extra,
    note: String,
    event: Option<(&'static str, serde_json::Value)>,
}

/// What else a simple move sets on the order.
enum Extra {
    None,
    Tracking(String),
    /// Remember where a refund request came from.
    RememberState,
}

/// What became of a callback, kept with its nonce.
struct CallbackMark<'a> {
    provider: &'a str,
    nonce: String,
    outcome: &'static str,
}

impl CallbackMark<'_> {
    async fn save(self, tx: &mut Tx) -> Result<(), CommerceError> {
        sqlx::query("UPDATE payment_callbacks SET outcome = $1 WHERE provider = $2 AND nonce = $3")
            .bind(self.outcome)
            .bind(self.provider)
            .bind(&self.nonce)
            .execute(&mut **tx)
            .await?;
        Ok(())
    }
}

#[derive(Debug, Clone)]
struct LineFact {
    line_no: i64,
    sku_id: i64,
    quantity: i64,
    payable: i64,
    points_fen: i64,
    refunded: bool,
}

async fn line_facts(tx: &mut Tx, order_id: i64) -> Result<Vec<LineFact>, CommerceError> {
    sqlx::query(
        "SELECT line_no, sku_id, quantity, payable, points_fen, refunded FROM order_lines
         WHERE order_id = $1 ORDER BY line_no",
    )
    .bind(order_id)
    .fetch_all(&mut **tx)
    .await?
    .iter()
    .map(|r| {
        Ok(LineFact {
            line_no: r.try_get("line_no")?,
            sku_id: r.try_get("sku_id")?,
            quantity: r.try_get("quantity")?,
            payable: r.try_get("payable")?,
            points_fen: r.try_get("points_fen")?,
            refunded: sellstream_store::get_flag(r, "refunded")?,
        })
    })
    .collect()
}

/// Puts the lines' units back: into the flash sale they were bought in while it runs (and off
/// the buyer's count there), otherwise onto the SKU's shelf.
async fn return_stock(
    tx: &mut Tx,
    head: &Head,
    lines: &[LineFact],
    now: i64,
) -> Result<(), CommerceError> {
    for l in lines {
        if let Some(sale) = head.flash_sale_id {
            let back = sqlx::query(
                "UPDATE flash_sales SET remaining = remaining + $1 WHERE id = $2 AND ended_at IS NULL",
            )
            .bind(l.quantity)
            .bind(sale)
            .execute(&mut **tx)
            .await?
            .rows_affected();
            sqlx::query(
                "UPDATE flash_buyers SET quantity = quantity - $1
                 WHERE sale_id = $2 AND customer_id = $3 AND quantity >= $1",
            )
            .bind(l.quantity)
            .bind(sale)
            .bind(head.customer_id)
            .execute(&mut **tx)
            .await?;
            if back == 1 {
                continue;
            }
        }
        sqlx::query("UPDATE skus SET stock = stock + $1, updated_at = $2 WHERE id = $3")
            .bind(l.quantity)
            .bind(now)
            .bind(l.sku_id)
            .execute(&mut **tx)
            .await?;
    }
    Ok(())
}

fn short_text(field: &str, s: &str, min: usize, max: usize) -> Result<String, CommerceError> {
    let t = s.trim();
    let n = t.chars().count();
    if n < min || n > max || t.chars().any(char::is_control) {
        return Err(CommerceError::Invalid(format!(
            "{field}: {min} to {max} characters"
        )));
    }
    Ok(t.to_owned())
}
