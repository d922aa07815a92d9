//! Prometheus figures an operator pages on, served at `/metrics`.

use crate::AppState;
use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;
use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, EncodeLabelSet, EncodeMetric};
use prometheus_client::metrics::counter::ConstCounter;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::ConstGauge;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::metrics::info::Info;
use prometheus_client::registry::Registry;
use std::sync::atomic::Ordering;
use std::time::Instant;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct KindLabels {
    pub kind: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    in_flight: Gauge,
    pub db_connections: Gauge,
    pub db_idle_connections: Gauge,
    /// Orders placed, paid, cancelled and refunded on this node.
    pub orders: Family<KindLabels, Counter>,
    /// Payment callbacks by outcome (paid, duplicate, refunded_late, not_paid, or the error code).
    pub payment_callbacks: Family<KindLabels, Counter>,
    /// The media server's publish callbacks by outcome.
    pub media_publishes: Family<KindLabels, Counter>,
}

/// The flash-sale ledger's figures per sale, read at each scrape.
struct FlashCollector(sellstream_commerce::flash::ledger::Ledger);

impl std::fmt::Debug for FlashCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FlashCollector")
    }
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SaleLabels {
    sale: String,
}

impl Collector for FlashCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        use sellstream_commerce::flash::ledger::SaleFigures;
        let figures = self.0.figures();
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        type Pick = fn(&SaleFigures) -> &std::sync::atomic::AtomicU64;
        let gauges: [(&str, &str, Pick); 2] = [
            (
                "flash_queue_depth",
                "Buys waiting for the sale's ledger writer",
                |f| &f.queue_depth,
            ),
            (
                "flash_last_batch",
                "Buys in the sale's last committed batch",
                |f| &f.last_batch,
            ),
        ];
        for (name, help, pick) in gauges {
            let mut family = encoder.encode_descriptor(
                name,
                help,
                None,
                prometheus_client::metrics::MetricType::Gauge,
            )?;
            for (sale, f) in &figures {
                let g = ConstGauge::new(get(pick(f)) as i64);
                g.encode(family.encode_family(&SaleLabels {
                    sale: sale.to_string(),
                })?)?;
            }
        }
        let counters: [(&str, &str, Pick); 4] = [
            (
                "flash_orders",
                "Orders the sale's ledger wrote (rate: orders per second)",
                |f| &f.orders,
            ),
            (
                "flash_batches",
                "Batches the sale's ledger committed",
                |f| &f.batches,
            ),
            (
                "flash_batched_buys",
                "Buys decided in committed batches (÷ batches: mean batch size)",
                |f| &f.batched_buys,
            ),
            (
                "flash_gmv_fen",
                "Order value the sale's ledger wrote, in fen",
                |f| &f.gmv_fen,
            ),
        ];
        for (name, help, pick) in counters {
            let mut family = encoder.encode_descriptor(
                name,
                help,
                None,
                prometheus_client::metrics::MetricType::Counter,
            )?;
            for (sale, f) in &figures {
                let c = ConstCounter::new(get(pick(f)));
                c.encode(family.encode_family(&SaleLabels {
                    sale: sale.to_string(),
                })?)?;
            }
        }
        let mut family = encoder.encode_descriptor(
            "flash_commit_seconds",
            "Time spent committing batches (÷ batches: mean commit latency)",
            None,
            prometheus_client::metrics::MetricType::Counter,
        )?;
        for (sale, f) in &figures {
            let c = ConstCounter::new(get(&f.commit_us) as f64 / 1e6);
            c.encode(family.encode_family(&SaleLabels {
                sale: sale.to_string(),
            })?)?;
        }
        Ok(())
    }
}

/// The room engine's figures, read at each scrape.
struct RoomCollector(sellstream_live::Rooms);

impl std::fmt::Debug for RoomCollector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RoomCollector")
    }
}

impl Collector for RoomCollector {
    fn encode(&self, mut encoder: DescriptorEncoder) -> Result<(), std::fmt::Error> {
        let c = self.0.counters();
        let get = |a: &std::sync::atomic::AtomicU64| a.load(Ordering::Relaxed);
        for (name, help, value) in [
            ("rooms", "Live rooms running on this node", get(&c.rooms)),
            (
                "room_connections",
                "Room WebSocket connections",
                get(&c.connections),
            ),
            (
                "room_lagging_connections",
                "Room connections skipping batches until their queue drains",
                get(&c.lagging),
            ),
        ] {
            let g = ConstGauge::new(value as i64);
            g.encode(encoder.encode_descriptor(name, help, None, g.metric_type())?)?;
        }
        for (name, help, value) in [
            (
                "room_frames",
                "Batch and snapshot frames sent or queued to connections",
                get(&c.frames),
            ),
            (
                "room_frames_skipped",
                "Batches skipped for connections that fell behind (they get a snapshot)",
                get(&c.skips),
            ),
            (
                "room_events",
                "Room events appended to the event log",
                get(&c.events),
            ),
            (
                "room_chat_sampled_out",
                "Chat messages left out of viewers' batches by sampling",
                get(&c.chat_sampled_out),
            ),
        ] {
            let k = ConstCounter::new(value);
            k.encode(encoder.encode_descriptor(name, help, None, k.metric_type())?)?;
        }
        let ticks = ConstCounter::new(get(&c.ticks));
        ticks.encode(encoder.encode_descriptor(
            "room_ticks",
            "Room ticks run",
            None,
            ticks.metric_type(),
        )?)?;
        let secs = ConstCounter::new(get(&c.tick_micros) as f64 / 1e6);
        secs.encode(encoder.encode_descriptor(
            "room_tick_seconds",
            "Time spent in room ticks (divide by room_ticks for the mean)",
            None,
            secs.metric_type(),
        )?)?;
        Ok(())
    }
}

impl Metrics {
    pub fn new(
        backend: &str,
        rooms: sellstream_live::Rooms,
        ledger: sellstream_commerce::flash::ledger::Ledger,
    ) -> Self {
        let mut registry = Registry::with_prefix("sellstream");
        registry.register_collector(Box::new(RoomCollector(rooms)));
        registry.register_collector(Box::new(FlashCollector(ledger)));
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            Histogram::new([
                0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ])
        });
        let in_flight = Gauge::default();
        let db_connections = Gauge::default();
        let db_idle_connections = Gauge::default();
        registry.register("http_requests", "HTTP requests answered", requests.clone());
        registry.register(
            "http_request_duration_seconds",
            "Time to answer an HTTP request",
            latency.clone(),
        );
        registry.register(
            "http_requests_in_flight",
            "HTTP requests being answered",
            in_flight.clone(),
        );
        registry.register(
            "db_connections",
            "Open database connections",
            db_connections.clone(),
        );
        registry.register(
            "db_idle_connections",
            "Idle database connections",
            db_idle_connections.clone(),
        );
        let orders = Family::<KindLabels, Counter>::default();
        registry.register(
            "orders",
            "Order events on this node by kind (placed, paid, cancelled, refunded)",
            orders.clone(),
        );
        let payment_callbacks = Family::<KindLabels, Counter>::default();
        registry.register(
            "payment_callbacks",
            "Payment provider callbacks by outcome; invalid_signature counts forgeries and replays",
            payment_callbacks.clone(),
        );
        let media_publishes = Family::<KindLabels, Counter>::default();
        registry.register(
            "media_publishes",
            "Publish callbacks from the media server by outcome (accepted, bad_key, session_closed, busy, bad_secret, stopped)",
            media_publishes.clone(),
        );
        registry.register(
            "build",
            "Version and database backend",
            Info::new(vec![
                ("version".to_owned(), env!("CARGO_PKG_VERSION").to_owned()),
                ("backend".to_owned(), backend.to_owned()),
            ]),
        );
        Self {
            registry,
            requests,
            latency,
            in_flight,
            db_connections,
            db_idle_connections,
            orders,
            payment_callbacks,
            media_publishes,
        }
    }

    pub fn count(family: &Family<KindLabels, Counter>, kind: &str) {
        family
            .get_or_create(&KindLabels {
                kind: kind.to_owned(),
            })
            .inc();
    }

    pub fn render(&self) -> String {
        let mut out = String::new();
        prometheus_client::encoding::text::encode(&mut out, &self.registry)
            .expect("writing to a String");
        out
    }
}

/// Counts and times every request by its route template (not the raw path, which would explode
/// the label set).
pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| {
            if req.uri().path().starts_with("/api/") {
                "unmatched_api".into()
            } else {
                "ui".into()
            }
        });
    let method = req.method().to_string();
    let m = &state.metrics;
    m.in_flight.inc();
    let started = Instant::now();
    let res = next.run(req).await;
    m.in_flight.dec();
    m.latency
        .get_or_create(&RouteLabels {
            route: route.clone(),
        })
        .observe(started.elapsed().as_secs_f64());
    m.requests
        .get_or_create(&RequestLabels {
            method,
            route,
            status: res.status().as_u16(),
        })
        .inc();
    res
}
