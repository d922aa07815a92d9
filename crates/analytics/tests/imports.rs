//! Platform exports as they arrive: each platform's headers, encodings, workbooks with merged
//! title rows and formulas, and the bad files — then arbitrary bytes, which must never panic.

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rust_xlsxwriter::{Format, Workbook};
use sellstream_analytics::imports::{parse_file, starter};

const DOUYIN: &str = "抖音号,直播标题,开播时间,直播时长,累计观看人数,最高在线人数,人均停留时长,评论次数,直播间成交金额(元),成交订单数,成交人数,成交转化率
shiguang_official,秋冬新品首发,2026/11/20 20:00,2小时5分,1.2万,1860,1分35秒,3408,\"￥128,500.50\",1021,962,8.02%
shiguang_official,宠粉秒杀夜,2026-11-22 19:30:00,01:58:00,9876,1203,72,2011,9.8万,820,800,8.1%
合计,,,,,,,,,,,
";

fn columns(platform: &str) -> std::collections::BTreeMap<String, Vec<String>> {
    starter(platform, "sessions")
}

#[test]
fn a_douyin_export_in_gbk_maps_and_normalises() {
    let (gbk, _, _) = encoding_rs::GBK.encode(DOUYIN);
    let (p, rows) = parse_file(&gbk, &columns("douyin"), None).unwrap();
    assert_eq!(
        (p.encoding.as_str(), p.format.as_str(), p.header_row),
        ("gb18030", "csv", 1)
    );
    assert_eq!(
        (p.rows, p.valid, p.skipped_totals),
        (2, 2, 1),
        "{:?}",
        p.rejected
    );
    assert_eq!(p.mapping["gmv_fen"], "直播间成交金额(元)");
    let a = &rows[0];
    assert_eq!(a.room, "shiguang_official");
    assert_eq!(a.uv, Some(12_000));
    assert_eq!(a.duration_ms, Some(7_500_000));
    assert_eq!(a.avg_watch_ms, Some(95_000));
    assert_eq!(a.gmv_fen, Some(12_850_050));
    assert!((a.conversion.unwrap() - 0.0802).abs() < 1e-12);
    // 2026-11-20 20:00 in Beijing is 12:00 UTC.
    assert_eq!(a.started_at, 1_795_176_000_000);
    assert_eq!(rows[1].gmv_fen, Some(9_800_000));
    assert_eq!(rows[1].avg_watch_ms, Some(72_000));
}

#[test]
fn a_taobao_workbook_with_a_merged_title_row_and_a_formula() {
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    sheet
        .merge_range(0, 0, 0, 5, "生意参谋 · 直播数据 2026年11月", &Format::new())
        .unwrap();
    let header = [
        "主播昵称",
        "直播开始时间",
        "直播时长",
        "观看人数",
        "成交金额",
        "成交笔数",
    ];
    for (c, h) in header.iter().enumerate() {
        sheet.write_string(1, c as u16, *h).unwrap();
    }
    let rows: [(&str, &str, &str, f64, f64, f64); 2] = [
        (
            "拾光优选",
            "2026-11-20 20:00",
            "1小时30分",
            5000.0,
            23_456.7,
            300.0,
        ),
        (
            "拾光优选",
            "2026-11-21 20:00",
            "2小时",
            6000.0,
            30_000.0,
            310.0,
        ),
    ];
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 2;
        sheet.write_string(r, 0, row.0).unwrap();
        sheet.write_string(r, 1, row.1).unwrap();
        sheet.write_string(r, 2, row.2).unwrap();
        sheet.write_number(r, 3, row.3).unwrap();
        sheet.write_number(r, 4, row.4).unwrap();
        sheet.write_number(r, 5, row.5).unwrap();
    }
    // A row whose GMV is computed: refused with its formula named.
    sheet.write_string(4, 0, "拾光优选").unwrap();
    sheet.write_string(4, 1, "2026-11-22 20:00").unwrap();
    sheet.write_number(4, 3, 100.0).unwrap();
    sheet.write_formula(4, 4, "=E3+E4").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let (p, got) = parse_file(&bytes, &columns("taobao"), None).unwrap();
    assert_eq!((p.format.as_str(), p.header_row), ("xlsx", 2));
    assert_eq!((p.valid, p.rejected.len()), (2, 1));
    assert_eq!(p.rejected[0].row, 5);
    assert!(
        p.rejected[0].errors[0].contains("formula"),
        "{:?}",
        p.rejected
    );
    assert_eq!(got[0].gmv_fen, Some(2_345_670));
    assert_eq!(got[0].duration_ms, Some(5_400_000));
    assert_eq!(got[1].orders, Some(310));
}

#[test]
fn bad_files_get_clear_errors() {
    let kuaishou = columns("kuaishou");
    // Missing the start-time column.
    let e = parse_file(
        "快手号,观看人数,成交金额\nx,1,2\n".as_bytes(),
        &kuaishou,
        None,
    )
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("no start time column") && e.contains("快手号"),
        "{e}"
    );
    // A renamed column is listed, not silently dropped.
    let f = "快手号,开播时间,观看人数,GMV(元),成交单量\nk1,2026-11-20 20:00,100,88,3\n";
    let (p, _) = parse_file(f.as_bytes(), &kuaishou, None).unwrap();
    assert_eq!(p.unmapped, vec!["成交单量".to_string()]);
    // Garbage numbers, dates in a day-first order, duplicates, an empty room: per row.
    let f = "快手号,开播时间,观看人数,成交金额\n\
             k1,2026-11-20 20:00,lots,88\n\
             k1,20/11/2026 20:00,5,88\n\
             k1,2026-11-21 20:00,5,88\n\
             k1,2026/11/21 20:00,6,90\n\
             ,2026-11-23 20:00,5,=1+1\n";
    let (p, rows) = parse_file(f.as_bytes(), &kuaishou, None).unwrap();
    assert_eq!(rows.len(), 1);
    let why: Vec<String> = p
        .rejected
        .iter()
        .map(|r| format!("{}: {}", r.row, r.errors.join("; ")))
        .collect();
    assert_eq!(p.rejected.len(), 4, "{why:?}");
    assert!(
        why[0].starts_with("2: 观看人数: `lots` is not a number"),
        "{why:?}"
    );
    assert!(why[1].starts_with("3: 开播时间"), "{why:?}");
    assert!(
        why[2].contains("the same room and start time as row 4"),
        "{why:?}"
    );
    assert!(why[3].contains("not an amount"), "{why:?}");
    // Not text at all.
    assert!(parse_file(&[0x81, 0x30, 0xFF, 0xFF, 0x00], &kuaishou, None).is_err());
    // Too large: refused before reading.
    let big = vec![b'a'; 20 * 1024 * 1024 + 1];
    assert!(parse_file(&big, &kuaishou, None)
        .unwrap_err()
        .to_string()
        .contains("larger than 20 MB"));
    // No room column: the caller names it.
    let f = "开播时间,观看人数,成交金额\n2026-11-20 20:00,100,88\n";
    assert!(parse_file(f.as_bytes(), &kuaishou, None).is_err());
    let (_, rows) = parse_file(f.as_bytes(), &kuaishou, Some("快手旗舰店")).unwrap();
    assert_eq!(rows[0].room, "快手旗舰店");
}

#[test]
fn arbitrary_bytes_never_panic() {
    let mut rng = StdRng::seed_from_u64(20261127);
    let cols = columns("douyin");
    let seeds: Vec<Vec<u8>> = vec![
        DOUYIN.as_bytes().to_vec(),
        encoding_rs::GBK.encode(DOUYIN).0.into_owned(),
        {
            let mut b = Workbook::new();
            b.add_worksheet().write_string(0, 0, "开播时间").unwrap();
            b.save_to_buffer().unwrap()
        },
    ];
    for i in 0..3_000 {
        let bytes: Vec<u8> = if i % 3 == 0 {
            (0..rng.random_range(0..400))
                .map(|_| rng.random())
                .collect()
        } else {
            // A real file, bit-flipped, cut short or spliced.
            let mut b = seeds[i % seeds.len()].clone();
            for _ in 0..rng.random_range(1..20) {
                let at = rng.random_range(0..b.len());
                b[at] ^= 1 << rng.random_range(0..8);
            }
            if rng.random_bool(0.3) {
                let cut = rng.random_range(0..b.len());
                b.truncate(cut);
            }
            b
        };
        let _ = parse_file(&bytes, &cols, if i % 2 == 0 { Some("room") } else { None });
    }
}
