//! Demo data: a brand, one account per staff role, a customer, a catalog and sessions (one live),
//! so a new user has something real to look at.

use anyhow::Context;
use sellstream_accounts::{Accounts, AddressInput, NewCustomer, NewStaff, Role};
use sellstream_commerce::pricing::{CampaignRule, CouponKind, Scope, Tier};
use sellstream_commerce::promo::{CampaignInput, CouponInput, Promotions};
use sellstream_commerce::{Catalog, CategoryInput, Points, ProductInput, SkuInput};
use sellstream_core::Fen;
use sellstream_core::Timestamp;
use sellstream_live::{LivePrice, SessionInput, SessionState, Sessions, Theme};
use sellstream_ops::{Brand, BrandSettings};
use sellstream_store::Store;
use std::collections::BTreeMap;

/// The demo sign-ins. Printed on purpose: this is a demo.
pub const SIGN_INS: &[(&str, &str, &str, &[Role])] = &[
    ("admin", "admin-demo", "管理员 Admin", &[Role::Admin]),
    ("operator", "operator-demo", "运营小王", &[Role::Operator]),
    ("host", "host-demo", "主播小美", &[Role::Host]),
    ("host2", "host2-demo", "主播阿杰", &[Role::Host]),
    (
        "controller",
        "controller-demo",
        "场控小李",
        &[Role::Controller],
    ),
    ("analyst", "analyst-demo", "分析师老陈", &[Role::Analyst]),
    (
        "warehouse",
        "warehouse-demo",
        "仓管小周",
        &[Role::Warehouse],
    ),
    (
        "talent",
        "talent-demo",
        "招聘主管小赵",
        &[Role::TalentManager],
    ),
];
pub const CUSTOMER: (&str, &str, &str) = ("13800000001", "customer-demo", "顾客小张");

/// Whether this call seeded, or found data already there.
#[derive(Clone, Copy)]
pub enum Seeded {
    Now { live_session: i64 },
    Already,
}

/// Seeds an empty store; leaves a store with any staff account alone.
pub async fn seed(store: &Store) -> anyhow::Result<Seeded> {
    let accounts = Accounts::new(store.clone());
    if accounts.count_staff().await? > 0 {
        return Ok(Seeded::Already);
    }
    BrandSettings::new(store.clone())
        .set(Brand {
            name: "拾光优选 Shiguang Select".into(),
            logo_url: Some("/demo/logo.svg".into()),
            time_zone: "Asia/Shanghai".into(),
            currency: "CNY".into(),
        })
        .await?;
    let mut host_ids = Vec::new();
    let mut staff_ids = BTreeMap::new();
    for (username, password, nickname, roles) in SIGN_INS {
        let a = accounts
            .create_staff(NewStaff {
                username: (*username).into(),
                nickname: (*nickname).into(),
                password: (*password).into(),
                roles: roles.to_vec(),
            })
            .await
            .with_context(|| format!("while creating demo account {username}"))?;
        if roles.contains(&Role::Host) {
            host_ids.push(a.id);
        }
        staff_ids.insert(*username, a.id);
    }
    let customer = accounts
        .register_customer(NewCustomer {
            phone: Some(CUSTOMER.0.into()),
            email: None,
            nickname: CUSTOMER.2.into(),
            password: CUSTOMER.1.into(),
        })
        .await?;
    accounts
        .add_address(
            customer.id,
            &AddressInput {
                recipient: "张小姐".into(),
                phone: CUSTOMER.0.into(),
                region: "浙江省 杭州市 西湖区".into(),
                detail: "文三路 478 号 华星时代广场 A 座 1203".into(),
                is_default: true,
            },
        )
        .await?;

    let catalog = Catalog::new(store.clone());
    let category = |name: &str, parent_id: Option<i64>| CategoryInput {
        name: name.into(),
        parent_id,
        position: 0,
    };
    let beauty = catalog
        .create_category(category("美妆 Beauty", None))
        .await?
        .id;
    let lips = catalog
        .create_category(category("口红 Lipstick", Some(beauty)))
        .await?
        .id;
    let skin = catalog
        .create_category(category("护肤 Skincare", Some(beauty)))
        .await?
        .id;
    let apparel = catalog
        .create_category(category("服饰 Apparel", None))
        .await?
        .id;
    let food = catalog
        .create_category(category("食品 Food", None))
        .await?
        .id;
    let digital = catalog
        .create_category(category("数码 Digital", None))
        .await?
        .id;
    // (category, per-customer limit) for each demo product, in order.
    let filed = [
        (lips, Some(2)),
        (skin, Some(3)),
        (apparel, None),
        (apparel, None),
        (food, None),
        (digital, Some(1)),
    ];
    let mut ids = Vec::new();
    for (mut p, (category_id, limit)) in products().into_iter().zip(filed) {
        p.category_id = Some(category_id);
        p.purchase_limit = limit;
        ids.push(catalog.create(p).await?.id);
    }
    let [lipstick, serum, tee, sneakers, tea, headphones] = ids[..] else {
        unreachable!("six demo products")
    };

    let sessions = Sessions::new(store.clone(), catalog.clone());
    let now = Timestamp::now();
    let hour = 3600;
    let plan = |title: &str, theme, host, start: Timestamp, hours: i64, cover: &str| SessionInput {
        title: title.into(),
        theme,
        format: sellstream_live::Format::Showcase,
        festival: None,
        promotion_policy: String::new(),
        channel: "own".into(),
        host_id: Some(host),
        scheduled_start: start,
        scheduled_end: start.plus_seconds(hours * hour),
        cover_url: Some(format!("/demo/{cover}.svg")),
        target_gmv_fen: None,
        target_viewers: None,
        target_orders: None,
    };
    let live = sessions
        .create(SessionInput {
            target_gmv_fen: Some(5_000_000),
            target_viewers: Some(2_000),
            target_orders: Some(300),
            festival: Some("双11".into()),
            promotion_policy: "满 299 减 50；前 100 单送同款小样".into(),
            ..plan(
                "双11返场 · 美妆个护专场",
                Theme::FestivalSale,
                host_ids[0],
                now.plus_seconds(-20 * 60),
                3,
                "cover-1",
            )
        })
        .await?;
    for p in [lipstick, serum, headphones] {
        sessions.add_to_bag(live.id, p).await?;
    }
    // Live prices (直播价): every lipstick shade at ¥99, the small serum at ¥169.
    let live_price = |product: &sellstream_commerce::Product, pick: usize, yuan: i64| LivePrice {
        sku_id: product.skus[pick].id,
        price_fen: yuan * 100,
    };
    let lip = catalog.get(lipstick).await?;
    let lip_prices: Vec<LivePrice> = (0..lip.skus.len())
        .map(|i| live_price(&lip, i, 99))
        .collect();
    sessions
        .set_live_prices(live.id, lipstick, &lip_prices)
        .await?;
    let ser = catalog.get(serum).await?;
    sessions
        .set_live_prices(live.id, serum, &[live_price(&ser, 0, 169)])
        .await?;
    sessions.transition(live.id, SessionState::Live).await?;
    promotions(store, customer.id, now).await?;

    let launch = sessions
        .create(plan(
            "春季新品首发 · 轻运动穿搭",
            Theme::NewLaunch,
            host_ids[1],
            next_evening(now, 1),
            2,
            "cover-2",
        ))
        .await?;
    for p in [tee, sneakers] {
        sessions.add_to_bag(launch.id, p).await?;
    }
    // The same launch on Douyin, planned with the same host at an overlapping time: the calendar
    // flags it for the planners to settle.
    sellstream_ops::Channels::new(store.clone())
        .create(sellstream_ops::NewChannel {
            code: "douyin-official".into(),
            platform: "douyin".into(),
            name: "抖音 · 拾光优选官方".into(),
            account: "shiguang_select".into(),
            notes: "25–35 岁女性为主，晚 8 点后活跃".into(),
        })
        .await?;
    let mirror = sessions
        .create(SessionInput {
            channel: "douyin-official".into(),
            promotion_policy: "抖音专享券 20 元".into(),
            ..plan(
                "抖音同步 · 春季新品",
                Theme::NewLaunch,
                host_ids[1],
                next_evening(now, 1).plus_seconds(hour),
                2,
                "cover-2",
            )
        })
        .await?;
    sessions.add_to_bag(mirror.id, sneakers).await?;
    // 300 + 200 pairs planned, 410 in stock: flagged too.
    let planner = sellstream_ops::Planner::new(store.clone());
    planner
        .set_planned_units(launch.id, sneakers, Some(300))
        .await?;
    planner
        .set_planned_units(mirror.id, sneakers, Some(200))
        .await?;
    let tea_class = sessions
        .create(SessionInput {
            format: sellstream_live::Format::Tutorial,
            ..plan(
                "明前龙井品鉴会 · 茶文化互动",
                Theme::InteractiveGame,
                host_ids[0],
                next_evening(now, 3),
                2,
                "cover-3",
            )
        })
        .await?;
    sessions.add_to_bag(tea_class.id, tea).await?;

    let past = sessions
        .create(plan(
            "周末限时秒杀",
            Theme::LimitedDiscount,
            host_ids[1],
            now.plus_seconds(-26 * hour),
            2,
            "cover-2",
        ))
        .await?;
    for p in [headphones, sneakers, tee] {
        sessions.add_to_bag(past.id, p).await?;
    }
    let demo_sessions = crate::demo_scripts::DemoSessions {
        live: live.id,
        launch: launch.id,
        past: past.id,
        products: [lipstick, serum, headphones, tee, sneakers],
        host: host_ids[1],
    };
    crate::demo_scripts::plan_past(store, &demo_sessions).await?;
    sessions.transition(past.id, SessionState::Live).await?;
    sessions.transition(past.id, SessionState::Ended).await?;
    let prices = catalog_prices(store, &[headphones, sneakers, tee]).await?;
    past_history(store, past.id, &prices).await?;
    crate::demo_scripts::past_runs(store, past.id, past.scheduled_start).await?;
    review(store, past.id, host_ids[1], next_evening(now, 1)).await?;
    crate::demo_scripts::seed(store, demo_sessions).await?;
    crate::demo_talent::seed(
        store,
        staff_ids["talent"],
        [staff_ids["operator"], staff_ids["controller"]],
        [host_ids[0], host_ids[1]],
    )
    .await?;
    // The launch is announced: links for a WeChat group and Xiaohongshu, and the demo customer
    // asked to be reminded through the first.
    let announce = sellstream_ops::Announcements::new(store.clone());
    let wechat = announce.add_link(launch.id, "微信群", host_ids[1]).await?;
    announce.add_link(launch.id, "小红书", host_ids[1]).await?;
    for _ in 0..3 {
        announce.click(&wechat.code).await?;
    }
    announce
        .remind(launch.id, customer.id, Some(&wechat.code))
        .await?;
    Ok(Seeded::Now {
        live_session: live.id,
    })
}

/// The ended session's 复盘: notes and two action items, one of them already done.
async fn review(store: &Store, session: i64, host: i64, tonight: Timestamp) -> anyhow::Result<()> {
    use sellstream_ops::reviews::{ActionInput, NotesInput};
    let reviews = sellstream_ops::Reviews::new(store.clone());
    reviews
        .set_notes(
            session,
            NotesInput {
                went_well: "耳机秒杀开场 10 分钟内售罄，在线人数峰值出现在秒杀倒计时。".into(),
                to_improve: "T恤讲解超时 6 分钟，尺码问题反复被问；结尾没有预告下一场。".into(),
            },
            host,
        )
        .await?;
    // The day in Beijing: eight hours on, then the date part of the UTC form.
    let day = |t: Timestamp| t.plus_seconds(8 * 3600).to_string()[..10].to_owned();
    for (text, due, done) in [
        ("准备尺码表贴片，开播前放进直播间公告", day(tonight), false),
        (
            "结尾预留 3 分钟预告下一场并引导点“提醒我”",
            day(tonight.plus_seconds(-86_400)),
            true,
        ),
    ] {
        reviews
            .add_action(
                session,
                ActionInput {
                    text: text.into(),
                    owner_id: host,
                    due_on: due,
                    done,
                },
            )
            .await?;
    }
    Ok(())
}

/// 20:00 Beijing time (12:00 UTC), `days` days from now.
fn next_evening(now: Timestamp, days: i64) -> Timestamp {
    let day_ms = 24 * 3600 * 1000;
    let midnight_utc = now.millis() - now.millis().rem_euclid(day_ms);
    Timestamp::from_millis(midnight_utc + days * day_ms + 12 * 3600 * 1000)
}

fn sku(code: &str, attrs: &[(&str, &str)], yuan: i64, stock: i64) -> SkuInput {
    SkuInput {
        id: None,
        code: code.into(),
        attributes: attrs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect::<BTreeMap<_, _>>(),
        price_fen: yuan * 100,
        stock,
    }
}

fn product(title: &str, description: &str, image: &str, skus: Vec<SkuInput>) -> ProductInput {
    ProductInput {
        title: title.into(),
        description: description.into(),
        images: vec![format!("/demo/{image}.svg")],
        on_shelf: true,
        category_id: None,
        purchase_limit: None,
        skus,
    }
}

fn products() -> Vec<ProductInput> {
    vec![
        product(
            "丝绒哑光口红 Velvet Matte Lipstick",
            "轻薄丝绒质地，一抹显色，持妆 8 小时。",
            "lipstick",
            vec![
                sku("LS-01-RED", &[("色号", "01 正红")], 129, 500),
                sku("LS-02-ROSE", &[("色号", "02 豆沙")], 129, 420),
                sku("LS-03-MAPLE", &[("色号", "03 枫叶")], 129, 300),
            ],
        ),
        product(
            "玻尿酸保湿精华 Hyaluronic Serum",
            "三重玻尿酸，深层补水，敏感肌可用。",
            "serum",
            vec![
                sku("SR-30ML", &[("规格", "30ml")], 199, 800),
                sku("SR-50ML", &[("规格", "50ml")], 299, 600),
            ],
        ),
        product(
            "新疆长绒棉短袖T恤 Cotton Tee",
            "240g 重磅长绒棉，不易变形。",
            "tshirt",
            vec![
                sku("TEE-WHT-M", &[("颜色", "白"), ("尺码", "M")], 79, 300),
                sku("TEE-WHT-L", &[("颜色", "白"), ("尺码", "L")], 79, 300),
                sku("TEE-BLK-M", &[("颜色", "黑"), ("尺码", "M")], 79, 250),
                sku("TEE-BLK-L", &[("颜色", "黑"), ("尺码", "L")], 79, 250),
            ],
        ),
        product(
            "轻跑运动鞋 Light Runner",
            "回弹中底，单只仅 210g。",
            "sneakers",
            vec![
                sku("RUN-39", &[("尺码", "39")], 399, 80),
                sku("RUN-40", &[("尺码", "40")], 399, 120),
                sku("RUN-41", &[("尺码", "41")], 399, 120),
                sku("RUN-42", &[("尺码", "42")], 399, 90),
            ],
        ),
        product(
            "明前龙井 West Lake Longjing",
            "西湖产区明前头采，豆香浓郁。",
            "tea",
            vec![
                sku("TEA-100G", &[("规格", "100g 罐装")], 168, 200),
                sku("TEA-250G", &[("规格", "250g 礼盒")], 388, 120),
            ],
        ),
        product(
            "主动降噪蓝牙耳机 ANC Headphones",
            "40dB 深度降噪，续航 30 小时。",
            "headphones",
            vec![
                sku("ANC-BLK", &[("颜色", "曜石黑")], 599, 150),
                sku("ANC-WHT", &[("颜色", "云母白")], 599, 150),
            ],
        ),
    ]
}

async fn catalog_prices(store: &Store, products: &[i64]) -> anyhow::Result<Vec<(i64, i64)>> {
    let mut out = Vec::new();
    for p in products {
        let price: i64 =
            sqlx::query_scalar("SELECT MIN(price_fen) FROM skus WHERE product_id = $1")
                .bind(p)
                .fetch_one(store.pool())
                .await?;
        out.push((*p, price));
    }
    Ok(out)
}

/// The ended session gets a past: two hours yesterday with about 40,000 viewer events (synthetic:
/// its orders exist in the figures, not in the order desk), so the review and trends have
/// something to show on the first start.
async fn past_history(store: &Store, session: i64, products: &[(i64, i64)]) -> anyhow::Result<()> {
    let row = sqlx::query("SELECT scheduled_start FROM live_sessions WHERE id = $1")
        .bind(session)
        .fetch_one(store.pool())
        .await?;
    let start: i64 = sellstream_store::Row::try_get(&row, 0)?;
    let duration = 2 * 3_600_000;
    sqlx::query("UPDATE live_sessions SET started_at = $1, ended_at = $2, target_gmv_fen = $3, target_viewers = 3000, target_orders = 150 WHERE id = $4")
        .bind(start)
        .bind(start + duration)
        .bind(5_000_000i64)
        .bind(session)
        .execute(store.pool())
        .await?;
    let (history, _) = sellstream_analytics::gen::session(&sellstream_analytics::gen::Plan {
        session_id: session,
        start,
        duration_ms: duration,
        products,
        customer_base: 1_000_000,
        customers: 5_000,
        events: 40_000,
        next_order: 0,
        seed: 2026,
    });
    sellstream_analytics::backfill(store, history).await?;
    Ok(())
}

pub fn print_sign_ins(seeded: Seeded, base: Option<&str>) {
    match seeded {
        Seeded::Now { live_session } => {
            println!("demo data seeded (演示数据已生成)");
            if let Some(base) = base {
                println!("  live now    {base}/live/{live_session}");
            }
        }
        Seeded::Already => println!("the store already has data; demo data was not added again"),
    }
    println!("demo sign-ins (演示账号) — console at /console/:");
    for (username, password, nickname, roles) in SIGN_INS {
        let roles: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        println!(
            "  {username:<11} / {password:<16} {} ({nickname})",
            roles.join(",")
        );
    }
    println!(
        "customer sign-in (顾客) — live room at /login:\n  {:<11} / {:<16} ({})",
        CUSTOMER.0, CUSTOMER.1, CUSTOMER.2
    );
}

/// A 满减 campaign for the season, a coupon the live room offers, and one already in the demo
/// customer's wallet.
async fn promotions(store: &Store, customer: i64, now: Timestamp) -> anyhow::Result<()> {
    let promos = Promotions::new(store.clone());
    let month = 30 * 24 * 3600;
    promos
        .create_campaign(CampaignInput {
            name: "冬季好物节 满299减30 / 满599减80".into(),
            rule: CampaignRule::Tiered {
                tiers: vec![
                    Tier {
                        min_spend: Fen(29_900),
                        off: Fen(3_000),
                    },
                    Tier {
                        min_spend: Fen(59_900),
                        off: Fen(8_000),
                    },
                ],
            },
            scope: Scope::All,
            starts_at: now.plus_seconds(-month),
            ends_at: now.plus_seconds(month),
            active: true,
        })
        .await?;
    promos
        .create_coupon(CouponInput {
            name: "直播间专享 满150减20".into(),
            rule: CouponKind::Threshold {
                min_spend: Fen(15_000),
                off: Fen(2_000),
            },
            scope: Scope::All,
            valid_from: now.plus_seconds(-3600),
            valid_until: now.plus_seconds(7 * 24 * 3600),
            total_quantity: Some(500),
            per_customer: 1,
            claimable: true,
            active: true,
        })
        .await?;
    let welcome = promos
        .create_coupon(CouponInput {
            name: "新人礼 无门槛10元".into(),
            rule: CouponKind::Fixed { off: Fen(1_000) },
            scope: Scope::All,
            valid_from: now.plus_seconds(-3600),
            valid_until: now.plus_seconds(month),
            total_quantity: None,
            per_customer: 1,
            claimable: false,
            active: true,
        })
        .await?;
    promos.issue(welcome.id, &[customer]).await?;
    Points::new(store.clone())
        .adjust(customer, 1_000, "新人礼积分 welcome points", 365)
        .await?;
    Ok(())
}
