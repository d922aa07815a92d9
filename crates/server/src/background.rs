//! Work that runs beside the requests: the room hears about orders (stock and the "someone just
//! bought" ticker), and the order clock (unpaid orders cancelled when their window ends,
//! delivered ones completed, points expired, old idempotency keys dropped).

use crate::AppState;
use sellstream_commerce::orders::OrderNotice;
use sellstream_core::Timestamp;
use sellstream_store::Row;
use std::time::Duration;
use tokio::sync::broadcast::error::RecvError;

/// Passes flash sales' remaining units to their rooms (the room sends the latest once per tick).
pub(crate) fn relay_flash_stock_to_rooms(state: AppState) {
    let mut rx = state.orders.ledger().subscribe();
    tokio::spawn(async move {
        loop {
            match rx.recv().await {
                Ok(n) => {
                    state
                        .rooms
                        .flash_stock(n.session_id, n.sale_id, n.remaining)
                        .await
                }
                Err(RecvError::Lagged(_)) => continue,
                Err(RecvError::Closed) => return,
            }
        }
    });
}

/// Passes order events to the live rooms they came from.
pub(crate) fn relay_orders_to_rooms(state: AppState) {
    let mut rx = state.orders.subscribe();
    tokio::spawn(async move {
        loop {
            let notice = match rx.recv().await {
                Ok(n) => n,
                Err(RecvError::Lagged(n)) => {
                    tracing::warn!(skipped = n, "room relay fell behind the order events");
                    continue;
                }
                Err(RecvError::Closed) => return,
            };
            crate::Metrics::count(&state.metrics.orders, notice.kind);
            if let Err(e) = relay(&state, &notice).await {
                tracing::warn!(error = %e, "could not tell the room about an order");
            }
        }
    });
}

async fn relay(state: &AppState, n: &OrderNotice) -> Result<(), sellstream_store::Sqlx> {
    let Some(session) = n.session_id else {
        return Ok(());
    };
    let mut products: Vec<i64> = n.items.iter().map(|i| i.0).collect();
    products.dedup();
    if n.kind != "paid" && n.flash_sale_id.is_none() {
        // Placed, cancelled and refunded orders move the shelf's stock; paid ones do not, and
        // flash-sale orders move the sale's quota, which the ledger reports itself.
        for p in products {
            let stock: i64 = sqlx::query(
                "SELECT CAST(COALESCE(SUM(stock), 0) AS BIGINT) FROM skus WHERE product_id = $1",
            )
            .bind(p)
            .fetch_one(state.store.pool())
            .await?
            .try_get(0)?;
            state.rooms.stock_changed(session, p, stock).await;
        }
    } else if let Some((product, title, quantity)) = n.items.first() {
        state
            .rooms
            .purchase(
                session,
                *product,
                title.clone(),
                mask(&n.customer_name),
                *quantity,
            )
            .await;
    }
    Ok(())
}

/// `小米粥` → `小**`: the ticker shows that someone bought, not who.
pub(crate) fn mask(name: &str) -> String {
    let first: String = name.chars().take(1).collect();
    format!("{first}**")
}

/// The order clock. Each chore logs and carries on when the database hiccups.
pub fn spawn_order_clock(state: AppState) {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(5));
        let mut n: u64 = 0;
        loop {
            tick.tick().await;
            let now = Timestamp::now();
            match state.orders.expire_unpaid(now).await {
                Ok(0) => {}
                Ok(k) => tracing::info!(cancelled = k, "unpaid orders past their window cancelled"),
                Err(e) => tracing::warn!(error = %e, "could not cancel unpaid orders"),
            }
            match state.orders.flash_sales().end_due(now).await {
                Ok(ended) => {
                    for sale in ended {
                        tracing::info!(
                            sale = sale.id,
                            returned = sale.returned,
                            "flash sale ended"
                        );
                        state
                            .rooms
                            .flash_sale(sale.session_id, sale.room_json())
                            .await;
                        state.rooms.bag_changed(sale.session_id).await;
                    }
                }
                Err(e) => tracing::warn!(error = %e, "could not end flash sales"),
            }
            // Every ten minutes: completions, points expiry and old keys.
            if n.is_multiple_of(120) {
                if let Err(e) = state.orders.auto_complete(now).await {
                    tracing::warn!(error = %e, "could not complete delivered orders");
                }
                match state.points.expire_due(now).await {
                    Ok(0) => {}
                    Ok(p) => tracing::info!(points = p, "points expired"),
                    Err(e) => tracing::warn!(error = %e, "could not expire points"),
                }
                if let Err(e) = sqlx::query("DELETE FROM idempotency_keys WHERE expires_at <= $1")
                    .bind(now.millis())
                    .execute(state.store.pool())
                    .await
                {
                    tracing::warn!(error = %e, "could not drop expired idempotency keys");
                }
            }
            n += 1;
        }
    });
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_masked_after_the_first_character() {
        assert_eq!(super::mask("小米粥"), "小**");
        assert_eq!(super::mask("amy"), "a**");
        assert_eq!(super::mask(""), "**");
    }
}

/// Recomputes the customer value tiers once a day (docs/customer-value.md), checking hourly so a
/// restart does not skip or repeat a day.
pub(crate) fn recompute_values_daily(state: AppState) {
    const DAY_MS: i64 = 86_400_000;
    tokio::spawn(async move {
        // The first look an hour after start: a starting server has other things to do.
        let hour = Duration::from_secs(3_600);
        let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + hour, hour);
        loop {
            tick.tick().await;
            let due = match state.analytics.last_value_run().await {
                Ok(last) => last.is_none_or(|at| Timestamp::now().millis() - at >= DAY_MS),
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the last customer value run");
                    continue;
                }
            };
            if due {
                if let Err(e) = state.analytics.recompute_values("schedule", None).await {
                    tracing::error!(error = %e, "scheduled customer value recomputation failed");
                }
            }
        }
    });
}
