//! The demo's run-of-show scripts: two templates, the live session's script running its first
//! segment with keyword auto-replies, the next launch planned from a template and edited once, and
//! the ended session's script with the times each segment actually ran.

use sellstream_core::Timestamp;
use sellstream_ops::scripts::{AdvanceInput, ScriptInput, Segment, SegmentKind, TemplateInput};
use sellstream_store::Store;

fn seg(kind: SegmentKind, title: &str, minutes: i64, products: &[i64], text: &str) -> Segment {
    Segment {
        kind,
        title: title.into(),
        minutes,
        people: vec!["主播".into(), "助播".into()],
        products: products.to_vec(),
        flash_sale_id: None,
        flash: None,
        promotion: String::new(),
        text: text.into(),
        props: String::new(),
    }
}

pub struct DemoSessions {
    pub live: i64,
    pub launch: i64,
    pub past: i64,
    /// lipstick, serum, headphones, tee, sneakers
    pub products: [i64; 5],
    pub host: i64,
}

pub async fn seed(store: &Store, d: DemoSessions) -> anyhow::Result<()> {
    use SegmentKind::*;
    let scripts = sellstream_ops::Scripts::new(
        store.clone(),
        sellstream_ops::Compliance::new(store.clone()),
    );
    let [lipstick, serum, headphones, tee, sneakers] = d.products;
    scripts
        .save_template(
            None,
            TemplateInput {
                name: "标准带货 · 2 小时".into(),
                description: "开场暖场、两段单品讲解、互动抽奖、限时秒杀、收尾预告".into(),
                segments: vec![
                    seg(
                        Opening,
                        "开场暖场",
                        10,
                        &[],
                        "欢迎新进直播间的朋友！点个关注不迷路，今天的福利一个比一个大。",
                    ),
                    seg(
                        ProductIntro,
                        "主推单品讲解",
                        30,
                        &[],
                        "痛点 → 卖点 → 试用展示 → 价格对比 → 下单引导。",
                    ),
                    seg(
                        Interaction,
                        "福利抽奖",
                        10,
                        &[],
                        "评论区扣“想要”参与抽奖，3 分钟后开奖。",
                    ),
                    seg(ProductIntro, "次推单品讲解", 30, &[], ""),
                    seg(
                        Promotion,
                        "限时秒杀",
                        20,
                        &[],
                        "倒计时 3、2、1，上链接！库存有限，拍下即锁价。",
                    ),
                    seg(
                        Closing,
                        "收尾与下场预告",
                        10,
                        &[],
                        "感谢陪伴，下一场周五晚 8 点，点“提醒我”不错过。",
                    ),
                ],
            },
            d.host,
        )
        .await?;
    scripts
        .save_template(
            None,
            TemplateInput {
                name: "新品首发 · 1 小时".into(),
                description: "新品故事、上身/试用展示、问答、首发价".into(),
                segments: vec![
                    seg(Opening, "开场：新品故事", 10, &[], "这一季我们想做的是……"),
                    seg(
                        ProductIntro,
                        "上身展示",
                        25,
                        &[],
                        "三种身材上身对比，讲面料和版型。",
                    ),
                    seg(
                        Interaction,
                        "尺码问答",
                        10,
                        &[],
                        "把身高体重打在公屏，帮你选码。",
                    ),
                    seg(Promotion, "首发价", 10, &[], "首发前 500 件立减。"),
                    seg(Closing, "收尾", 5, &[], ""),
                ],
            },
            d.host,
        )
        .await?;

    // The live session follows its script; the opening runs now.
    let mut live = vec![
        seg(
            Opening,
            "开场暖场",
            10,
            &[],
            "欢迎来到双11返场！今晚口红、精华、耳机三重福利。",
        ),
        seg(
            ProductIntro,
            "口红试色",
            30,
            &[lipstick],
            "三个色号上嘴对比：#999 正红、#520 豆沙、#888 橘棕。",
        ),
        seg(
            Interaction,
            "福利抽奖",
            15,
            &[],
            "扣“想要”参与抽奖，抽 5 位送小样。",
        ),
        seg(
            ProductIntro,
            "精华讲解",
            30,
            &[serum],
            "成分、质地、上脸吸收速度，敏感肌也能用。",
        ),
        seg(
            Promotion,
            "耳机限时秒杀",
            20,
            &[headphones],
            "倒计时后上链接，直播价限量。",
        ),
        seg(
            Closing,
            "收尾与下场预告",
            10,
            &[],
            "下一场春季新品首发，点“提醒我”。",
        ),
    ];
    live[4].promotion = "前 50 单直播价 ¥299".into();
    let headphones_sku: i64 = sellstream_store::Row::try_get(
        &sqlx::query("SELECT id FROM skus WHERE product_id = $1 ORDER BY id LIMIT 1")
            .bind(headphones)
            .fetch_one(store.pool())
            .await?,
        0,
    )?;
    live[4].flash = Some(sellstream_ops::scripts::FlashPlan {
        sku_id: headphones_sku,
        quota: 50,
        price_fen: 29_900,
        per_customer: 1,
        members_only: false,
        countdown_secs: 10,
        duration_secs: 600,
    });
    live[1].props = "色卡、镜子".into();
    scripts
        .save(
            d.live,
            ScriptInput {
                segments: live,
                base_version: None,
                note: "运营初稿".into(),
            },
            d.host,
        )
        .await?;
    scripts
        .advance(d.live, AdvanceInput::default(), d.host)
        .await?;
    sellstream_live::autoreply::replace(
        store,
        d.live,
        vec![
            reply(
                &["色号", "试色"],
                "今晚三个色号：#999 正红、#520 豆沙、#888 橘棕，黄皮选 #520。",
            ),
            reply(&["发货", "快递"], "下单后 48 小时内发货，顺丰包邮。"),
            reply(&["优惠", "券"], "关注主播领 20 元券，直播价上还能再用。"),
        ],
    )
    .await?;

    // The launch: from the template, then the host adds the products and shortens the Q&A.
    let first = scripts
        .apply_template(
            d.launch,
            template_id(&scripts, "新品首发 · 1 小时").await?,
            None,
            d.host,
        )
        .await?;
    let mut edited = first.segments.clone();
    edited[1].products = vec![tee, sneakers];
    edited[1]
        .text
        .push_str("\nT恤 S/M/L/XL 四个码，运动鞋 36–44 码。");
    edited[2].minutes = 8;
    scripts
        .save(
            d.launch,
            ScriptInput {
                segments: edited,
                base_version: Some(first.version),
                note: "加上商品，问答缩短".into(),
            },
            d.host,
        )
        .await?;
    Ok(())
}

fn reply(keywords: &[&str], answer: &str) -> sellstream_live::autoreply::AutoReply {
    sellstream_live::autoreply::AutoReply {
        keywords: keywords.iter().map(|k| (*k).to_owned()).collect(),
        answer: answer.into(),
        enabled: true,
    }
}

async fn template_id(scripts: &sellstream_ops::Scripts, name: &str) -> anyhow::Result<i64> {
    scripts
        .templates()
        .await?
        .into_iter()
        .find(|t| t.name == name)
        .map(|t| t.id)
        .ok_or_else(|| anyhow::anyhow!("no demo template {name}"))
}

/// The ended session's script, saved before it went live, for [`past_runs`].
pub async fn plan_past(store: &Store, d: &DemoSessions) -> anyhow::Result<()> {
    use SegmentKind::*;
    let scripts = sellstream_ops::Scripts::new(
        store.clone(),
        sellstream_ops::Compliance::new(store.clone()),
    );
    let [_, _, headphones, tee, sneakers] = d.products;
    let mut segments = vec![
        seg(Opening, "开场", 5, &[], "周末限时秒杀开始了！"),
        seg(Promotion, "耳机秒杀", 20, &[headphones], "倒计时上链接。"),
        seg(
            ProductIntro,
            "运动鞋讲解",
            30,
            &[sneakers],
            "脚感、尺码、搭配。",
        ),
        seg(ProductIntro, "T恤讲解", 30, &[tee], "面料、版型、尺码。"),
        seg(Interaction, "福利抽奖", 10, &[], "扣 1 参与。"),
        seg(Closing, "收尾", 10, &[], ""),
    ];
    segments[1].promotion = "秒杀价 ¥199，限 100 件".into();
    scripts
        .save(
            d.past,
            ScriptInput {
                segments,
                base_version: None,
                note: String::new(),
            },
            d.host,
        )
        .await?;
    Ok(())
}

/// When each of the ended session's segments ran (the T恤 part ran 6 minutes over, as its review
/// notes say), from its start.
pub async fn past_runs(store: &Store, session: i64, start: Timestamp) -> anyhow::Result<()> {
    let ran = [
        (0, "opening", "开场", 5, 7),
        (1, "promotion", "耳机秒杀", 20, 21),
        (2, "product_intro", "运动鞋讲解", 30, 28),
        (3, "product_intro", "T恤讲解", 30, 36),
        (4, "interaction", "福利抽奖", 10, 12),
        (5, "closing", "收尾", 10, 16),
    ];
    let mut at = start.millis();
    for (position, kind, title, planned, actual) in ran {
        let end = at + actual * 60_000;
        sqlx::query(
            "INSERT INTO script_runs (session_id, position, kind, title, planned_minutes, started_at, ended_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(session)
        .bind(position)
        .bind(kind)
        .bind(title)
        .bind(planned)
        .bind(at)
        .bind(end)
        .execute(store.pool())
        .await?;
        at = end;
    }
    Ok(())
}
