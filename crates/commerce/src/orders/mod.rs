//! Orders: placing one (priced by the engine, stock reserved, coupon and points taken, all in one
//! transaction, idempotent by key), its life through [`OrderState`], payment by a
//! [`crate::payment::PaymentProvider`], refunds, and the history and event log every move leaves.

mod flow;
mod place;
mod query;
mod state;

pub use flow::{CallbackOutcome, PaymentInfo, PaymentStarted};
pub(crate) use place::{address_json, order_number};
pub use place::{OrderRequest, Origin, PlaceOutcome, IDEMPOTENCY_TTL_MS};
pub use query::OrderFilter;
pub use state::{Action, OrderState};

use crate::flash::ledger::Ledger;
use crate::flash::FlashSales;
use crate::payment::PaymentProvider;
use crate::pricing::PriceLine;
use crate::promo::Promotions;
use crate::{Catalog, CommerceError, Memberships, Points};
use sellstream_core::Timestamp;
use sellstream_store::{Store, Tx};
use serde::Serialize;
use std::sync::Arc;
use tokio::sync::broadcast;
use utoipa::ToSchema;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct OrderLine {
    pub line_no: i64,
    pub sku_id: i64,
    pub product_id: i64,
    pub title: String,
    pub sku_code: String,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    pub image: Option<String>,
    pub quantity: i64,
    pub unit_price: i64,
    pub amount: i64,
    pub membership: i64,
    pub campaign: i64,
    pub coupon: i64,
    /// The points' share of this line, in fen.
    pub points_fen: i64,
    /// What this line cost the customer; a refund of the line gives back exactly this.
    pub payable: i64,
    pub refunded: bool,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct HistoryEntry {
    pub from_state: Option<OrderState>,
    pub to_state: OrderState,
    /// `customer`, `staff`, `system` or `provider`.
    pub actor: String,
    pub actor_id: Option<i64>,
    pub note: String,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Refund {
    pub id: i64,
    pub amount_fen: i64,
    pub line_nos: Vec<i64>,
    pub reason: String,
    pub state: String,
    pub provider_ref: Option<String>,
    pub at: Timestamp,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Order {
    pub id: i64,
    /// The number shown to people (订单号).
    pub number: String,
    pub customer_id: i64,
    pub customer_name: String,
    pub session_id: Option<i64>,
    pub channel: String,
    pub state: OrderState,
    pub goods_fen: i64,
    pub shipping_fen: i64,
    pub total_fen: i64,
    pub refunded_fen: i64,
    /// The wallet coupon used.
    pub coupon_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub points_used: i64,
    /// The flash sale it was bought in.
    pub flash_sale_id: Option<i64>,
    pub membership_tier: Option<String>,
    #[schema(value_type = Object)]
    pub address: serde_json::Value,
    pub note: String,
    /// The lines that explain the total.
    pub price_lines: Vec<PriceLine>,
    pub lines: Vec<OrderLine>,
    /// An unpaid order is cancelled at this time.
    pub pay_deadline: Timestamp,
    pub tracking_no: Option<String>,
    pub cancel_reason: Option<String>,
    pub paid_at: Option<Timestamp>,
    pub shipped_at: Option<Timestamp>,
    pub delivered_at: Option<Timestamp>,
    pub completed_at: Option<Timestamp>,
    pub created_at: Timestamp,
    pub history: Vec<HistoryEntry>,
    pub refunds: Vec<Refund>,
}

/// Who moves an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Actor {
    Customer(i64),
    Staff(i64),
    System,
    Provider,
}

impl Actor {
    fn kind(self) -> &'static str {
        match self {
            Self::Customer(_) => "customer",
            Self::Staff(_) => "staff",
            Self::System => "system",
            Self::Provider => "provider",
        }
    }

    fn id(self) -> Option<i64> {
        match self {
            Self::Customer(id) | Self::Staff(id) => Some(id),
            _ => None,
        }
    }
}

/// Something that happened to an order, for whoever listens (the live room's ticker and stock).
#[derive(Debug, Clone)]
pub struct OrderNotice {
    pub kind: &'static str,
    pub order_id: i64,
    pub session_id: Option<i64>,
    pub customer_name: String,
    /// (product id, title, quantity) per line.
    pub items: Vec<(i64, String, i64)>,
    /// Bought in this flash sale (its units come from the sale's quota, not the shelf).
    pub flash_sale_id: Option<i64>,
}

/// Sale id → when read, and what was read.
type HotSales = std::collections::HashMap<i64, (std::time::Instant, Arc<place::HotSale>)>;

/// The order service. Cheap to clone.
#[derive(Clone)]
pub struct Orders {
    store: Store,
    catalog: Catalog,
    promotions: Promotions,
    points: Points,
    memberships: Memberships,
    provider: Arc<dyn PaymentProvider>,
    notices: broadcast::Sender<OrderNotice>,
    flash: FlashSales,
    ledger: Ledger,
    /// Sales being bought, with their SKU's facts and the rules, for a second at a time.
    hot: Arc<std::sync::Mutex<HotSales>>,
}

impl Orders {
    /// `redis_url` serves only the bench's `redis_lua` baseline strategy.
    pub fn new(
        store: Store,
        provider: Arc<dyn PaymentProvider>,
        redis_url: Option<String>,
    ) -> Self {
        let notices = broadcast::channel(4096).0;
        Self {
            flash: FlashSales::new(store.clone()),
            ledger: Ledger::new(store.clone(), notices.clone(), redis_url),
            hot: Arc::default(),
            catalog: Catalog::new(store.clone()),
            promotions: Promotions::new(store.clone()),
            points: Points::new(store.clone()),
            memberships: Memberships::new(store.clone()),
            provider,
            notices,
            store,
        }
    }

    pub fn flash_sales(&self) -> &FlashSales {
        &self.flash
    }

    /// The flash-sale stock ledger of this node.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }

    /// Order events as they happen (placed, paid, cancelled, refunded).
    pub fn subscribe(&self) -> broadcast::Receiver<OrderNotice> {
        self.notices.subscribe()
    }

    fn notify(&self, kind: &'static str, order: &Order) {
        let _ = self.notices.send(OrderNotice {
            kind,
            order_id: order.id,
            session_id: order.session_id,
            customer_name: order.customer_name.clone(),
            items: order
                .lines
                .iter()
                .map(|l| (l.product_id, l.title.clone(), l.quantity))
                .collect(),
            flash_sale_id: order.flash_sale_id,
        });
    }
}

/// Appends a move to the order's history and to the orders' event log.
#[allow(clippy::too_many_arguments)]
async fn record(
    tx: &mut Tx,
    order: &query::Head,
    from: Option<OrderState>,
    to: OrderState,
    actor: Actor,
    note: &str,
    event: Option<(&str, i64, serde_json::Value)>,
    now: i64,
) -> Result<(), CommerceError> {
    sqlx::query(
        "INSERT INTO order_history (order_id, from_state, to_state, actor, actor_id, note, at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(order.id)
    .bind(from.map(OrderState::as_str))
    .bind(to.as_str())
    .bind(actor.kind())
    .bind(actor.id())
    .bind(note)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    if let Some((kind, amount, payload)) = event {
        sqlx::query(
            "INSERT INTO order_events (kind, order_id, session_id, channel, customer_id, amount, payload, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(kind)
        .bind(order.id)
        .bind(order.session_id)
        .bind(&order.channel)
        .bind(order.customer_id)
        .bind(amount)
        .bind(payload.to_string())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}
