use super::{
    BagItem, Format, LivePrice, LiveSession, PublicSession, SessionInput, SessionState, Targets,
    Theme,
};
use crate::LiveError;
use sellstream_commerce::Catalog;
use sellstream_core::{Page, PageRequest, Timestamp};
use sellstream_store::{AnyRow, Row, Store, Tx};
use std::collections::HashMap;

/// Live sessions and their bags on the store.
#[derive(Clone)]
pub struct Sessions {
    store: Store,
    catalog: Catalog,
}

#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    pub state: Option<SessionState>,
    /// Case-insensitive substring of the title.
    pub q: Option<String>,
    /// Leave out private practice sessions (what viewers may list).
    pub public_only: bool,
}

const SELECT: &str = "SELECT s.id, s.title, s.theme, s.channel, s.host_id, a.nickname AS host_name,
    s.scheduled_start, s.scheduled_end, s.cover_url, s.state, s.started_at, s.ended_at,
    s.target_gmv_fen, s.target_viewers, s.target_orders, s.created_at, s.updated_at,
    s.format, s.festival, s.promotion_policy, s.practice_course_id,
    (SELECT COUNT(*) FROM session_bag b WHERE b.session_id = s.id) AS bag_count
    FROM live_sessions s LEFT JOIN accounts a ON a.id = s.host_id";

/// A session may be planned at most this far ahead, and last at most this long.
const MAX_AHEAD_MS: i64 = 2 * 365 * 24 * 3600 * 1000;
const MAX_LENGTH_MS: i64 = 24 * 3600 * 1000;

impl Sessions {
    pub fn new(store: Store, catalog: Catalog) -> Self {
        Self { store, catalog }
    }

    pub async fn create(&self, input: SessionInput) -> Result<LiveSession, LiveError> {
        self.insert(input, None).await
    }

    /// A private practice session of a training course (the caller checked the course).
    pub async fn create_practice(
        &self,
        input: SessionInput,
        course_id: i64,
    ) -> Result<LiveSession, LiveError> {
        self.insert(input, Some(course_id)).await
    }

    async fn insert(
        &self,
        input: SessionInput,
        practice: Option<i64>,
    ) -> Result<LiveSession, LiveError> {
        let input = self.check(input).await?;
        let now = Timestamp::now().millis();
        let id: i64 = sqlx::query(
            "INSERT INTO live_sessions (title, theme, channel, host_id, scheduled_start, scheduled_end,
             cover_url, state, created_at, updated_at, target_gmv_fen, target_viewers, target_orders,
             format, festival, promotion_policy, practice_course_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'scheduled', $8, $8, $9, $10, $11, $12, $13, $14, $15)
             RETURNING id",
        )
        .bind(&input.title)
        .bind(input.theme.as_str())
        .bind(&input.channel)
        .bind(input.host_id)
        .bind(input.scheduled_start.millis())
        .bind(input.scheduled_end.millis())
        .bind(&input.cover_url)
        .bind(now)
        .bind(input.target_gmv_fen)
        .bind(input.target_viewers)
        .bind(input.target_orders)
        .bind(input.format.as_str())
        .bind(&input.festival)
        .bind(&input.promotion_policy)
        .bind(practice)
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        self.get(id).await
    }

    pub async fn update(&self, id: i64, input: SessionInput) -> Result<LiveSession, LiveError> {
        let current = self.get(id).await?;
        if !current.state.is_open() {
            return Err(LiveError::Closed(current.state));
        }
        let input = self.check(input).await?;
        let n = sqlx::query(
            "UPDATE live_sessions SET title = $1, theme = $2, channel = $3, host_id = $4,
             scheduled_start = $5, scheduled_end = $6, cover_url = $7, updated_at = $8,
             target_gmv_fen = $10, target_viewers = $11, target_orders = $12, format = $13,
             festival = $14, promotion_policy = $15
             WHERE id = $9 AND state IN ('scheduled', 'live')",
        )
        .bind(&input.title)
        .bind(input.theme.as_str())
        .bind(&input.channel)
        .bind(input.host_id)
        .bind(input.scheduled_start.millis())
        .bind(input.scheduled_end.millis())
        .bind(&input.cover_url)
        .bind(Timestamp::now().millis())
        .bind(id)
        .bind(input.target_gmv_fen)
        .bind(input.target_viewers)
        .bind(input.target_orders)
        .bind(input.format.as_str())
        .bind(&input.festival)
        .bind(&input.promotion_policy)
        .execute(self.store.pool())
        .await?
        .rows_affected();
        if n == 0 {
            let now = self.get(id).await?;
            return Err(LiveError::Closed(now.state));
        }
        self.get(id).await
    }

    /// Moves a session to `to`. The update is conditional on the state it was read in, so two
    /// nodes racing cannot both apply a move.
    pub async fn transition(&self, id: i64, to: SessionState) -> Result<LiveSession, LiveError> {
        let current = self.get(id).await?;
        current.state.transition(to)?;
        let now = Timestamp::now().millis();
        let (started, ended) = match to {
            SessionState::Live => (Some(now), None),
            SessionState::Ended => (None, Some(now)),
            _ => (None, None),
        };
        let n = sqlx::query(
            "UPDATE live_sessions SET state = $1, started_at = COALESCE($2, started_at),
             ended_at = COALESCE($3, ended_at), updated_at = $4 WHERE id = $5 AND state = $6",
        )
        .bind(to.as_str())
        .bind(started)
        .bind(ended)
        .bind(now)
        .bind(id)
        .bind(current.state.as_str())
        .execute(self.store.pool())
        .await?
        .rows_affected();
        if n == 0 {
            let raced = self.get(id).await?;
            return Err(LiveError::IllegalTransition {
                from: raced.state,
                to,
            });
        }
        tracing::info!(session = id, from = %current.state, %to, "session state changed");
        self.get(id).await
    }

    pub async fn get(&self, id: i64) -> Result<LiveSession, LiveError> {
        let row = sqlx::query(&format!("{SELECT} WHERE s.id = $1"))
            .bind(id)
            .fetch_optional(self.store.pool())
            .await?
            .ok_or(LiveError::SessionNotFound(id))?;
        session_from_row(&row)
    }

    pub async fn list(
        &self,
        filter: &SessionFilter,
        page: PageRequest,
    ) -> Result<Page<LiveSession>, LiveError> {
        let state = filter.state.map(SessionState::as_str).unwrap_or("");
        let pattern = format!(
            "%{}%",
            filter.q.as_deref().unwrap_or("").trim().to_lowercase()
        );
        let cond = if filter.public_only {
            "($1 = '' OR s.state = $1) AND LOWER(s.title) LIKE $2 AND s.practice_course_id IS NULL"
        } else {
            "($1 = '' OR s.state = $1) AND LOWER(s.title) LIKE $2"
        };
        let total: i64 = sqlx::query(&format!(
            "SELECT COUNT(*) FROM live_sessions s WHERE {cond}"
        ))
        .bind(state)
        .bind(&pattern)
        .fetch_one(self.store.pool())
        .await?
        .try_get(0)?;
        // Live first, then the soonest scheduled, then the most recent past.
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE {cond}
             ORDER BY CASE s.state WHEN 'live' THEN 0 WHEN 'scheduled' THEN 1 ELSE 2 END,
                      CASE WHEN s.state = 'scheduled' THEN s.scheduled_start ELSE -s.scheduled_start END,
                      s.id DESC
             LIMIT $3 OFFSET $4"
        ))
        .bind(state)
        .bind(&pattern)
        .bind(page.limit())
        .bind(page.offset())
        .fetch_all(self.store.pool())
        .await?;
        let items = rows
            .iter()
            .map(session_from_row)
            .collect::<Result<_, _>>()?;
        Ok(Page::new(items, page, total))
    }

    /// Sessions starting within `[from, to)` or live now.
    pub async fn between(
        &self,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<LiveSession>, LiveError> {
        let rows = sqlx::query(&format!(
            "{SELECT} WHERE s.state = 'live' OR (s.scheduled_start >= $1 AND s.scheduled_start < $2)
             ORDER BY s.scheduled_start"
        ))
        .bind(from.millis())
        .bind(to.millis())
        .fetch_all(self.store.pool())
        .await?;
        rows.iter().map(session_from_row).collect()
    }

    pub async fn count_in_state(&self, state: SessionState) -> Result<i64, LiveError> {
        Ok(
            sqlx::query("SELECT COUNT(*) FROM live_sessions WHERE state = $1")
                .bind(state.as_str())
                .fetch_one(self.store.pool())
                .await?
                .try_get(0)?,
        )
    }

    /// A session as viewers see it: not cancelled, not a practice session, with the on-shelf part
    /// of the bag.
    pub async fn public(&self, id: i64) -> Result<PublicSession, LiveError> {
        self.public_for(id, false).await
    }

    /// [`Self::public`], where `staff` may also open a practice session (to play its viewers).
    pub async fn public_for(&self, id: i64, staff: bool) -> Result<PublicSession, LiveError> {
        let session = self.get(id).await?.for_viewers();
        if session.state == SessionState::Cancelled
            || (session.practice_course_id.is_some() && !staff)
        {
            return Err(LiveError::SessionNotFound(id));
        }
        let ended = session.state == SessionState::Ended;
        let bag = self
            .bag(id)
            .await?
            .into_iter()
            .filter(|i| i.product.on_shelf)
            .map(|mut i| {
                // After the show (its replay) everything sells at list price.
                if ended {
                    i.live_prices.clear();
                }
                i
            })
            .collect();
        Ok(PublicSession { session, bag })
    }

    pub async fn bag(&self, id: i64) -> Result<Vec<BagItem>, LiveError> {
        let rows = sqlx::query(
            "SELECT product_id, position FROM session_bag WHERE session_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?;
        let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
        let products = self.catalog.get_many(&ids).await?;
        let prices: Vec<(i64, LivePrice)> = sqlx::query(
            "SELECT s.product_id, p.sku_id, p.price_fen FROM session_prices p
             JOIN skus s ON s.id = p.sku_id WHERE p.session_id = $1 ORDER BY p.sku_id",
        )
        .bind(id)
        .fetch_all(self.store.pool())
        .await?
        .iter()
        .map(|r| {
            let price = LivePrice {
                sku_id: r.get(1),
                price_fen: r.get(2),
            };
            (r.get(0), price)
        })
        .collect();
        Ok(rows
            .iter()
            .zip(products)
            .map(|(r, product)| BagItem {
                position: r.get(1),
                live_prices: prices
                    .iter()
                    .filter(|(p, _)| *p == product.id)
                    .map(|(_, price)| *price)
                    .collect(),
                product,
            })
            .collect())
    }

    /// The session an order placed now comes from, with the live prices (SKU id → fen) that
    /// apply: the session must be live.
    pub async fn prices_now(&self, id: i64) -> Result<(LiveSession, HashMap<i64, i64>), LiveError> {
        let session = self.get(id).await?;
        if session.practice_course_id.is_some() {
            return Err(LiveError::Invalid(format!(
                "session_id: session {id} is a practice session and takes no orders"
            )));
        }
        match session.state {
            SessionState::Live => {}
            // Bought from the replay: the order counts for the session, at list prices (live
            // prices were for the show).
            SessionState::Ended => return Ok((session, HashMap::new())),
            _ => {
                return Err(LiveError::Invalid(format!(
                    "session_id: session {id} is not live"
                )))
            }
        }
        let prices =
            sqlx::query("SELECT sku_id, price_fen FROM session_prices WHERE session_id = $1")
                .bind(id)
                .fetch_all(self.store.pool())
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
        Ok((session, prices))
    }

    /// Sets the live prices of a product in the bag (replacing its earlier ones; an empty list
    /// puts it back at list price). Each price is for a SKU of that product, at most its list
    /// price.
    pub async fn set_live_prices(
        &self,
        id: i64,
        product_id: i64,
        prices: &[LivePrice],
    ) -> Result<Vec<BagItem>, LiveError> {
        let mut tx = self.open_for_edit(id).await?;
        let in_bag =
            sqlx::query("SELECT 1 FROM session_bag WHERE session_id = $1 AND product_id = $2")
                .bind(id)
                .bind(product_id)
                .fetch_optional(&mut *tx)
                .await?;
        if in_bag.is_none() {
            return Err(LiveError::ProductNotFound(product_id));
        }
        let skus: Vec<(i64, i64)> =
            sqlx::query("SELECT id, price_fen FROM skus WHERE product_id = $1")
                .bind(product_id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
        for (i, p) in prices.iter().enumerate() {
            let Some((_, list)) = skus.iter().find(|(s, _)| *s == p.sku_id) else {
                return Err(LiveError::Invalid(format!(
                    "prices[{i}].sku_id: SKU {} is not a SKU of product {product_id}",
                    p.sku_id
                )));
            };
            if !(0..=*list).contains(&p.price_fen) {
                return Err(LiveError::Invalid(format!(
                    "prices[{i}].price_fen: a live price is between 0 and the list price ({})",
                    sellstream_core::Fen(*list)
                )));
            }
            if prices[..i].iter().any(|q| q.sku_id == p.sku_id) {
                return Err(LiveError::Invalid(format!(
                    "prices[{i}].sku_id: SKU {} is listed twice",
                    p.sku_id
                )));
            }
        }
        sqlx::query(
            "DELETE FROM session_prices WHERE session_id = $1
             AND sku_id IN (SELECT id FROM skus WHERE product_id = $2)",
        )
        .bind(id)
        .bind(product_id)
        .execute(&mut *tx)
        .await?;
        for p in prices {
            sqlx::query(
                "INSERT INTO session_prices (session_id, sku_id, price_fen) VALUES ($1, $2, $3)",
            )
            .bind(id)
            .bind(p.sku_id)
            .bind(p.price_fen)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        self.bag(id).await
    }

    /// Puts a product at the end of the bag.
    pub async fn add_to_bag(&self, id: i64, product_id: i64) -> Result<Vec<BagItem>, LiveError> {
        let mut tx = self.open_for_edit(id).await?;
        let exists: Option<i64> = sqlx::query("SELECT id FROM products WHERE id = $1")
            .bind(product_id)
            .fetch_optional(&mut *tx)
            .await?
            .map(|r| r.get(0));
        if exists.is_none() {
            return Err(LiveError::ProductNotFound(product_id));
        }
        let already: i64 = sqlx::query(
            "SELECT COUNT(*) FROM session_bag WHERE session_id = $1 AND product_id = $2",
        )
        .bind(id)
        .bind(product_id)
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
        if already > 0 {
            return Err(LiveError::AlreadyInBag(product_id));
        }
        sqlx::query(
            "INSERT INTO session_bag (session_id, product_id, position, added_at)
             VALUES ($1, $2, (SELECT COALESCE(MAX(position), 0) + 1 FROM session_bag WHERE session_id = $1), $3)",
        )
        .bind(id)
        .bind(product_id)
        .bind(Timestamp::now().millis())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        self.bag(id).await
    }

    /// Takes a product out of the bag; the rest close up so numbers stay 1…N.
    pub async fn remove_from_bag(
        &self,
        id: i64,
        product_id: i64,
    ) -> Result<Vec<BagItem>, LiveError> {
        let mut tx = self.open_for_edit(id).await?;
        let n = sqlx::query("DELETE FROM session_bag WHERE session_id = $1 AND product_id = $2")
            .bind(id)
            .bind(product_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
        if n == 0 {
            return Err(LiveError::ProductNotFound(product_id));
        }
        let rest: Vec<i64> = sqlx::query(
            "SELECT product_id FROM session_bag WHERE session_id = $1 ORDER BY position",
        )
        .bind(id)
        .fetch_all(&mut *tx)
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
        renumber(&mut tx, id, &rest).await?;
        tx.commit().await?;
        self.bag(id).await
    }

    /// Sets the bag's order; `product_ids` must list exactly the products in the bag.
    pub async fn reorder_bag(
        &self,
        id: i64,
        product_ids: &[i64],
    ) -> Result<Vec<BagItem>, LiveError> {
        let mut tx = self.open_for_edit(id).await?;
        let mut current: Vec<i64> =
            sqlx::query("SELECT product_id FROM session_bag WHERE session_id = $1")
                .bind(id)
                .fetch_all(&mut *tx)
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
        let mut wanted = product_ids.to_vec();
        current.sort_unstable();
        wanted.sort_unstable();
        if current != wanted {
            return Err(LiveError::Invalid(
                "product_ids: must list each product in the bag exactly once".into(),
            ));
        }
        renumber(&mut tx, id, product_ids).await?;
        tx.commit().await?;
        self.bag(id).await
    }

    /// Starts a transaction on a session that is still open, locking its row on PostgreSQL.
    async fn open_for_edit(&self, id: i64) -> Result<Tx, LiveError> {
        let mut tx = self.store.begin().await?;
        // `UPDATE … RETURNING` takes the row lock on PostgreSQL and the write lock on SQLite, so
        // concurrent bag edits of one session run one after another.
        let state: Option<String> =
            sqlx::query("UPDATE live_sessions SET updated_at = $1 WHERE id = $2 RETURNING state")
                .bind(Timestamp::now().millis())
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?
                .map(|r| r.get(0));
        let state = state
            .and_then(|s| SessionState::parse(&s))
            .ok_or(LiveError::SessionNotFound(id))?;
        if !state.is_open() {
            return Err(LiveError::Closed(state));
        }
        Ok(tx)
    }

    async fn check(&self, mut input: SessionInput) -> Result<SessionInput, LiveError> {
        input.title = input.title.trim().to_owned();
        if !(1..=100).contains(&input.title.chars().count()) {
            return Err(LiveError::Invalid("title: 1–100 characters".into()));
        }
        let (start, end) = (input.scheduled_start.millis(), input.scheduled_end.millis());
        if end <= start {
            return Err(LiveError::Invalid(
                "scheduled_end: must be after scheduled_start".into(),
            ));
        }
        if end - start > MAX_LENGTH_MS {
            return Err(LiveError::Invalid(
                "a session lasts at most 24 hours".into(),
            ));
        }
        if start > Timestamp::now().millis() + MAX_AHEAD_MS {
            return Err(LiveError::Invalid(
                "scheduled_start: at most two years ahead".into(),
            ));
        }
        let t = input.targets();
        for (field, value, max) in [
            // Up to ¥10 billion, 100 million viewers, 10 million orders: beyond is a typo.
            ("target_gmv_fen", t.target_gmv_fen, 1_000_000_000_000),
            ("target_viewers", t.target_viewers, 100_000_000),
            ("target_orders", t.target_orders, 10_000_000),
        ] {
            if let Some(v) = value {
                if !(1..=max).contains(&v) {
                    return Err(LiveError::Invalid(format!(
                        "{field}: a whole number from 1 to {max}, or left out"
                    )));
                }
            }
        }
        input.festival = input
            .festival
            .map(|f| f.trim().to_owned())
            .filter(|f| !f.is_empty());
        if input
            .festival
            .as_ref()
            .is_some_and(|f| f.chars().count() > 20)
        {
            return Err(LiveError::Invalid("festival: at most 20 characters".into()));
        }
        input.promotion_policy = input.promotion_policy.trim().to_owned();
        if input.promotion_policy.chars().count() > 500 {
            return Err(LiveError::Invalid(
                "promotion_policy: at most 500 characters".into(),
            ));
        }
        input.cover_url = input
            .cover_url
            .map(|u| u.trim().to_owned())
            .filter(|u| !u.is_empty());
        if let Some(url) = &input.cover_url {
            if !sellstream_core::url::is_asset_url(url) {
                return Err(LiveError::Invalid(
                    "cover_url: an http(s) URL or a path starting with /".into(),
                ));
            }
        }
        let channel: i64 = sqlx::query("SELECT COUNT(*) FROM channels WHERE code = $1")
            .bind(&input.channel)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
        if channel == 0 {
            return Err(LiveError::Invalid(format!(
                "channel: no channel `{}`",
                input.channel
            )));
        }
        if let Some(host) = input.host_id {
            let is_host: i64 = sqlx::query(
                "SELECT COUNT(*) FROM account_roles WHERE account_id = $1 AND role = 'host'",
            )
            .bind(host)
            .fetch_one(self.store.pool())
            .await?
            .try_get(0)?;
            if is_host == 0 {
                return Err(LiveError::Invalid(format!(
                    "host_id: account {host} is not a host"
                )));
            }
        }
        Ok(input)
    }
}

async fn renumber(tx: &mut Tx, session_id: i64, product_ids: &[i64]) -> Result<(), LiveError> {
    for (i, product_id) in product_ids.iter().enumerate() {
        sqlx::query(
            "UPDATE session_bag SET position = $1 WHERE session_id = $2 AND product_id = $3",
        )
        .bind(i as i64 + 1)
        .bind(session_id)
        .bind(product_id)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

fn session_from_row(r: &AnyRow) -> Result<LiveSession, LiveError> {
    let theme: String = r.try_get("theme")?;
    let state: String = r.try_get("state")?;
    let ts = |col: &str| -> Result<Option<Timestamp>, sqlx::Error> {
        Ok(r.try_get::<Option<i64>, _>(col)?
            .map(Timestamp::from_millis))
    };
    Ok(LiveSession {
        id: r.try_get("id")?,
        title: r.try_get("title")?,
        theme: Theme::parse(&theme).unwrap_or(Theme::Custom),
        format: Format::parse(&r.try_get::<String, _>("format")?).unwrap_or_default(),
        festival: r.try_get("festival")?,
        promotion_policy: r.try_get("promotion_policy")?,
        channel: r.try_get("channel")?,
        host_id: r.try_get("host_id")?,
        host_name: r.try_get("host_name")?,
        scheduled_start: Timestamp::from_millis(r.try_get("scheduled_start")?),
        scheduled_end: Timestamp::from_millis(r.try_get("scheduled_end")?),
        cover_url: r.try_get("cover_url")?,
        targets: Targets {
            target_gmv_fen: r.try_get("target_gmv_fen")?,
            target_viewers: r.try_get("target_viewers")?,
            target_orders: r.try_get("target_orders")?,
        },
        state: SessionState::parse(&state)
            .ok_or_else(|| LiveError::Invalid(format!("unknown state {state}")))?,
        started_at: ts("started_at")?,
        ended_at: ts("ended_at")?,
        practice_course_id: r.try_get("practice_course_id")?,
        bag_count: r.try_get("bag_count")?,
        created_at: Timestamp::from_millis(r.try_get("created_at")?),
        updated_at: Timestamp::from_millis(r.try_get("updated_at")?),
    })
}
