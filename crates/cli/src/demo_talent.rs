//! The demo's recruiting and training: candidates at every round (one with both interviewers'
//! sheets, ready for a decision), a course with the hosts enrolled, a live-practice course with a
//! practice show set up, and last month's assessments with their coaching items.

use sellstream_core::Timestamp;
use sellstream_ops::talent::{CandidateInput, InterviewInput, Reader, ScoreInput};
use sellstream_ops::training::{AssessmentInput, AttendanceInput, CourseInput, Material};
use sellstream_store::Store;
use std::collections::BTreeMap;

fn scores(v: [i64; 5]) -> BTreeMap<String, i64> {
    sellstream_ops::talent::CRITERIA
        .iter()
        .map(|c| c.to_string())
        .zip(v)
        .collect()
}

fn candidate(name: &str, phone: &str, categories: &[&str], source: &str) -> CandidateInput {
    CandidateInput {
        name: name.into(),
        phone: Some(phone.into()),
        email: None,
        cv_url: Some("https://example.com/cv.pdf".into()),
        video_url: Some("https://example.com/demo-reel.mp4".into()),
        categories: categories.iter().map(|c| c.to_string()).collect(),
        source: source.into(),
        consent: true,
    }
}

/// `manager`: the talent manager; `interviewers`: two staff who interview; `hosts`: the hosts.
pub async fn seed(
    store: &Store,
    manager: i64,
    interviewers: [i64; 2],
    hosts: [i64; 2],
) -> anyhow::Result<()> {
    let talent = sellstream_ops::Talent::new(store.clone());
    let training = sellstream_ops::Training::new(store.clone());
    let as_manager = Reader {
        account: manager,
        manager: true,
    };
    talent
        .create(
            candidate("苏晴", "13911110001", &["美妆"], "招聘网站"),
            manager,
        )
        .await?;
    talent
        .create(candidate("高远", "13911110002", &["数码"], "内推"), manager)
        .await?;
    // In the second round, both interviewers have scored: a decision is waiting.
    let ready = talent
        .create(
            candidate("林小满", "13911110003", &["服饰", "美妆"], "MCN 机构"),
            manager,
        )
        .await?;
    talent
        .score(
            ready,
            ScoreInput {
                scores: scores([8, 7, 7, 6, 8]),
                notes: "镜头感好，讲解略快".into(),
            },
            as_manager,
        )
        .await?;
    talent
        .decide(
            ready,
            sellstream_ops::talent::DecisionInput {
                decision: "advance".into(),
                reason: "初试：形象与表达俱佳".into(),
            },
            manager,
            None,
        )
        .await?;
    let tomorrow = Timestamp::now().plus_seconds(86_400);
    for (i, who) in interviewers.iter().enumerate() {
        let start = tomorrow.plus_seconds(i as i64 * 3600);
        talent
            .schedule(
                ready,
                InterviewInput {
                    interviewer_id: *who,
                    starts_at: start,
                    ends_at: start.plus_seconds(45 * 60),
                    place: "3 楼直播间".into(),
                },
                manager,
            )
            .await?;
        talent
            .score(
                ready,
                ScoreInput {
                    scores: scores([8, 8, 7, 7, 8]),
                    notes: "试播十分钟，控场稳定".into(),
                },
                Reader {
                    account: *who,
                    manager: false,
                },
            )
            .await?;
    }

    let course = training
        .save_course(
            None,
            CourseInput {
                title: "直播话术与控场".into(),
                topic: "communication".into(),
                delivery: "classroom".into(),
                description: "开场、互动、逼单话术，和冷场时怎么救".into(),
                materials: vec![
                    Material {
                        kind: "text".into(),
                        title: "话术清单".into(),
                        content: "欢迎语 · 互动引导 · 限时提醒 · 下播预告".into(),
                    },
                    Material {
                        kind: "link".into(),
                        title: "示范录像".into(),
                        content: "https://example.com/training/demo".into(),
                    },
                ],
                starts_at: Some(tomorrow),
                ends_at: Some(tomorrow.plus_seconds(2 * 3600)),
            },
            manager,
        )
        .await?;
    training.enrol(course.id, &hosts).await?;
    training
        .attend(
            course.id,
            hosts[0],
            AttendanceInput {
                attended: true,
                completed: true,
            },
        )
        .await?;
    // A live-practice course, and the newer host's practice show set up for tomorrow afternoon
    // in a private room with a product to present.
    let practice = training
        .save_course(
            None,
            CourseInput {
                title: "带播实操".into(),
                topic: "live_skills".into(),
                delivery: "live_practice".into(),
                description: "在私密直播间里完整带一场：开场、讲品、互动、应对突发，同事扮演观众"
                    .into(),
                materials: vec![Material {
                    kind: "text".into(),
                    title: "评分表说明".into(),
                    content: "开场 · 讲品 · 互动 · 节奏控场 · 突发应对，各 1–10 分".into(),
                }],
                starts_at: None,
                ends_at: None,
            },
            manager,
        )
        .await?;
    training.enrol(practice.id, &hosts[1..]).await?;
    let sessions = sellstream_live::Sessions::new(
        store.clone(),
        sellstream_commerce::Catalog::new(store.clone()),
    );
    // 14:00 Beijing (06:00 UTC) the next day: clear of the evening shows, whatever the hour now.
    let day_ms = 86_400_000;
    let start = Timestamp::from_millis(
        Timestamp::now().millis() / day_ms * day_ms + day_ms + 6 * 3_600_000,
    );
    let show = sessions
        .create_practice(
            sellstream_live::SessionInput {
                title: "带播实操：口红试色".into(),
                theme: sellstream_live::Theme::Custom,
                format: Default::default(),
                festival: None,
                promotion_policy: String::new(),
                channel: "own".into(),
                host_id: Some(hosts[1]),
                scheduled_start: start,
                scheduled_end: start.plus_seconds(3600),
                cover_url: None,
                target_gmv_fen: None,
                target_viewers: None,
                target_orders: None,
            },
            practice.id,
        )
        .await?;
    let first: Option<i64> = sqlx::query_scalar("SELECT MIN(id) FROM products")
        .fetch_one(store.pool())
        .await?;
    if let Some(product) = first {
        sessions.add_to_bag(show.id, product).await?;
    }
    let weights = talent.config().await?.weights;
    for (host, v) in [(hosts[0], [8, 8, 7, 8, 9]), (hosts[1], [7, 5, 6, 7, 5])] {
        training
            .assess(
                host,
                AssessmentInput {
                    period: "2026-10".into(),
                    scores: scores(v),
                    notes: String::new(),
                },
                &weights,
                manager,
            )
            .await?;
    }
    Ok(())
}
