//! A realistic synthetic history for the benchmark and the demo: viewers arrive over the show
//! (more in the middle), watch for a long-tailed time, chat, follow, vote, see and click products,
//! buy, pay, and some ask for refunds; the room's likes come as per-tick counts. Deterministic for
//! a seed.

use crate::model::{Event, Kind, FLAG_FIRST_LINE};
use crate::service::{PageBatch, PageEvent};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// One session's history, split as the server receives it: pages' batches (with the signed-in
/// customer, if any) and the rows the room's and orders' logs yield.
#[derive(Default)]
pub struct History {
    pub pages: Vec<(Option<i64>, PageBatch)>,
    pub server: Vec<Event>,
}

impl History {
    pub fn len(&self) -> usize {
        self.server.len()
            + self
                .pages
                .iter()
                .map(|(_, b)| b.events.len())
                .sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

pub struct Plan<'a> {
    pub session_id: i64,
    pub start: i64,
    pub duration_ms: i64,
    /// (product id, price in fen)
    pub products: &'a [(i64, i64)],
    /// Customers' ids are `customer_base + n`; three viewers in five are signed in.
    pub customer_base: i64,
    pub customers: i64,
    /// Stop once the history has about this many events.
    pub events: usize,
    /// Order ids start here (one order per purchase).
    pub next_order: i64,
    pub seed: u64,
}

fn normal(rng: &mut StdRng) -> f64 {
    // Box–Muller.
    let u1: f64 = rng.random_range(f64::EPSILON..1.0);
    let u2: f64 = rng.random();
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Generates one session's history; returns it and the next free order id.
pub fn session(plan: &Plan<'_>) -> (History, i64) {
    let mut rng = StdRng::seed_from_u64(plan.seed);
    let mut h = History::default();
    let mut order = plan.next_order;
    let end = plan.start + plan.duration_ms;
    let mut n = 0i64;
    let mut count = 0usize;
    // Likes: the room's per-tick counts, about one row every few seconds.
    let mut t = plan.start;
    while t < end {
        let mut e = Event::new(plan.session_id, Kind::Like, 0, t);
        e.value = rng.random_range(1..60);
        h.server.push(e);
        count += 1;
        t += rng.random_range(2_000..8_000);
    }
    while count < plan.events {
        n += 1;
        let signed_in = n % 5 < 3 && plan.customers > 0;
        let customer = signed_in.then(|| plan.customer_base + rng.random_range(0..plan.customers));
        let device = format!("dev-{}-{n:08}", plan.session_id);
        let viewer = crate::model::viewer_of(customer, Some(&device));
        // Arrivals bunch in the middle of the show.
        let pos: f64 = (rng.random::<f64>() + rng.random::<f64>()) / 2.0;
        let arrive = plan.start + (pos * plan.duration_ms as f64) as i64;
        let watch = ((90_000f64).ln() + 1.3 * normal(&mut rng)).exp() as i64;
        let watch = watch.clamp(500, (end - arrive).max(500));
        let leave = arrive + watch;
        let mut page: Vec<PageEvent> = Vec::new();
        let mut seq = 0;
        let mut pe = |kind: Kind, at: i64, product: Option<i64>, quantity: Option<i64>| {
            seq += 1;
            PageEvent {
                seq,
                kind: kind.name().into(),
                session: plan.session_id,
                product,
                replay: false,
                ms: None,
                quantity,
                channel: None,
                at,
            }
        };
        if rng.random_bool(0.7) {
            page.push(pe(Kind::Impression, arrive - 2_000, None, None));
        }
        let ev = |kind: Kind, at: i64| Event::new(plan.session_id, kind, viewer, at);
        h.server.push(ev(Kind::Enter, arrive));
        if watch >= 3_000 {
            h.server.push(ev(Kind::View, arrive + 3_000));
        }
        let mut l = ev(Kind::Leave, leave);
        l.value = watch;
        h.server.push(l);
        let minutes = watch as f64 / 60_000.0;
        let chats = (minutes * 0.15 * rng.random::<f64>() * 2.0).round() as i64;
        for _ in 0..chats.min(20) {
            h.server
                .push(ev(Kind::Chat, rng.random_range(arrive..=leave)));
        }
        if customer.is_some() && rng.random_bool(0.03) {
            h.server
                .push(ev(Kind::Follow, rng.random_range(arrive..=leave)));
        }
        if customer.is_some() && rng.random_bool(0.05) {
            h.server
                .push(ev(Kind::Interact, rng.random_range(arrive..=leave)));
        }
        if rng.random_bool(0.02) {
            page.push(pe(
                Kind::Share,
                rng.random_range(arrive..=leave),
                None,
                None,
            ));
        }
        if rng.random_bool(0.2) {
            page.push(pe(
                Kind::BagOpen,
                rng.random_range(arrive..=leave),
                None,
                None,
            ));
        }
        let seen = (1 + (minutes as usize)).min(plan.products.len()).min(6);
        for _ in 0..seen {
            let (product, price) = plan.products[rng.random_range(0..plan.products.len())];
            let at = rng.random_range(arrive..=leave);
            page.push(pe(Kind::Exposure, at, Some(product), None));
            if !rng.random_bool(0.15) {
                continue;
            }
            page.push(pe(Kind::Click, at + 1_000, Some(product), None));
            if !rng.random_bool(0.35) {
                continue;
            }
            let qty = rng.random_range(1..=2);
            page.push(pe(Kind::Cart, at + 5_000, Some(product), Some(qty)));
            let Some(c) = customer else { continue };
            if !rng.random_bool(0.6) {
                continue;
            }
            order += 1;
            let line = |kind: Kind, at: i64, value: i64| {
                let mut e = Event::new(plan.session_id, kind, c, at);
                e.product_id = Some(product);
                e.ref_id = Some(order);
                e.units = qty;
                e.value = value;
                e.flags = FLAG_FIRST_LINE;
                e
            };
            let total = price * qty;
            h.server.push(line(Kind::OrderPlaced, at + 8_000, total));
            if rng.random_bool(0.9) {
                h.server.push(line(Kind::OrderPaid, at + 30_000, total));
                if rng.random_bool(0.08) {
                    h.server
                        .push(line(Kind::OrderRefunded, at + 3_600_000, total));
                }
            } else {
                h.server.push(line(Kind::OrderCancelled, at + 900_000, 0));
            }
        }
        count += 3 + chats.min(20) as usize + page.len();
        if !page.is_empty() {
            h.pages.push((
                customer,
                PageBatch {
                    source: format!("src-{}-{n:08}", plan.session_id),
                    device: Some(device),
                    events: page,
                },
            ));
        }
    }
    h.server.sort_by_key(|e| e.at);
    (h, order)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_history_has_about_the_events_asked_and_is_reproducible() {
        let products = [(1, 9_900), (2, 19_900)];
        let plan = Plan {
            session_id: 7,
            start: 1_000_000,
            duration_ms: 3_600_000,
            products: &products,
            customer_base: 100,
            customers: 50,
            events: 5_000,
            next_order: 0,
            seed: 42,
        };
        let (h, orders) = session(&plan);
        assert!(h.len() >= 5_000 && h.len() < 5_200, "{}", h.len());
        assert!(orders > 0);
        let (h2, _) = session(&plan);
        assert_eq!(h.server, h2.server);
        assert!(h.server.windows(2).all(|w| w[0].at <= w[1].at));
    }
}
