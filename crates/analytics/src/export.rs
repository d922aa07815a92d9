//! Spreadsheets for staff: CSV (UTF-8 with a BOM so Excel reads Chinese text) and XLSX, and the
//! post-live review as both.

use crate::report::Report;
use crate::AnalyticsError;

/// One cell: text, a whole number, a decimal, or money in fen (written as yuan with two decimals).
pub enum Cell {
    Text(String),
    Int(i64),
    /// A ratio or average, written with four decimals in CSV.
    Num(f64),
    Money(i64),
}

pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", fen.abs() / 100, fen.abs() % 100)
}

/// RFC 4180: quote fields that need it; cells starting with a formula character get a leading
/// apostrophe so a spreadsheet never runs them.
pub fn csv(columns: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    fn field(out: &mut String, s: &str) {
        let s = if s.starts_with(['=', '+', '-', '@']) && s.parse::<f64>().is_err() {
            format!("'{s}")
        } else {
            s.to_owned()
        };
        if s.contains([',', '"', '\n', '\r']) {
            out.push('"');
            out.push_str(&s.replace('"', "\"\""));
            out.push('"');
        } else {
            out.push_str(&s);
        }
    }
    let mut out = String::from("\u{feff}");
    for (i, c) in columns.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        field(&mut out, c);
    }
    out.push_str("\r\n");
    for row in rows {
        for (i, c) in row.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            match c {
                Cell::Text(s) => field(&mut out, s),
                Cell::Int(n) => out.push_str(&n.to_string()),
                Cell::Num(x) => out.push_str(&format!("{x:.4}")),
                Cell::Money(f) => out.push_str(&yuan(*f)),
            }
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

/// One worksheet of a workbook.
pub struct Sheet {
    pub name: String,
    pub columns: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// A workbook of one sheet.
pub fn xlsx(columns: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, AnalyticsError> {
    xlsx_book(&[SheetRef {
        name: "Sheet1",
        columns,
        rows,
    }])
}

pub struct SheetRef<'a> {
    pub name: &'a str,
    pub columns: &'a [&'a str],
    pub rows: &'a [Vec<Cell>],
}

/// A workbook with a sheet each: bold frozen header, money as yuan with two decimals.
pub fn xlsx_book(sheets: &[SheetRef<'_>]) -> Result<Vec<u8>, AnalyticsError> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AnalyticsError::Export(e.to_string());
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    for s in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(s.name).map_err(fail)?;
        for (c, name) in s.columns.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, *name, &bold)
                .map_err(fail)?;
        }
        for (r, row) in s.rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, cell) in row.iter().enumerate() {
                let c = c as u16;
                match cell {
                    Cell::Text(s) => sheet.write_string(r, c, s),
                    Cell::Int(n) => sheet.write_number(r, c, *n as f64),
                    Cell::Num(x) => sheet.write_number(r, c, *x),
                    Cell::Money(f) => {
                        sheet.write_number_with_format(r, c, *f as f64 / 100.0, &money)
                    }
                }
                .map_err(fail)?;
            }
        }
        sheet.set_freeze_panes(1, 0).map_err(fail)?;
    }
    book.save_to_buffer().map_err(fail)
}

/// The review as sheets: summary (each metric with its value), funnel, minutes, products, watch
/// time. The CSV holds the same tables one after another.
pub fn report_sheets(r: &Report) -> Vec<Sheet> {
    let m = &r.metrics;
    let money = |v: Option<i64>| v.map_or(Cell::Text(String::new()), Cell::Money);
    let ratio = |v: Option<f64>| v.map_or(Cell::Text(String::new()), Cell::Num);
    let int = Cell::Int;
    let summary: Vec<(&str, Cell)> = vec![
        (
            "场次 session",
            Cell::Text(format!("{} {}", r.session.id, r.session.title)),
        ),
        ("渠道 channel", Cell::Text(r.session.channel.clone())),
        (
            "主播 host",
            Cell::Text(
                r.session
                    .host
                    .as_ref()
                    .map(|h| h.name.clone())
                    .unwrap_or_default(),
            ),
        ),
        (
            "时长(分) duration min",
            Cell::Num(m.duration_ms as f64 / 60_000.0),
        ),
        ("UV (≥3s)", int(m.uv)),
        ("PV (≥3s)", int(m.pv)),
        ("进入次数 entries", int(m.entries)),
        ("进入人数 UV all", int(m.uv_all)),
        ("PCU 最高在线", int(m.pcu)),
        ("ACU 平均在线", ratio(m.acu)),
        (
            "人均观看(秒) avg watch s",
            m.avg_watch_ms
                .map_or(Cell::Text(String::new()), |v| Cell::Num(v as f64 / 1000.0)),
        ),
        ("评论 comments", int(m.comments)),
        ("点赞 likes", int(m.likes)),
        ("分享 shares", int(m.shares)),
        ("新增关注 follows", int(m.follows)),
        ("互动率 interaction rate", ratio(m.interaction_rate)),
        ("涨粉率 follower conversion", ratio(m.follower_conversion)),
        ("商品曝光 product exposures", int(m.product_exposures)),
        ("商品点击 product clicks", int(m.product_clicks)),
        ("下单数 orders", int(m.orders)),
        ("下单人数 buyers", int(m.buyers)),
        ("支付订单 paid orders", int(m.paid_orders)),
        ("支付人数 paying buyers", int(m.paid_buyers)),
        ("支付金额 paid", Cell::Money(m.paid_fen)),
        ("退款 refunds", int(m.refunds)),
        ("退款金额 refunded", Cell::Money(m.refund_fen)),
        ("GMV (退款后 net of refunds)", Cell::Money(m.gmv_fen)),
        ("客单价 AOV", money(m.aov_fen)),
        ("UV价值 UV value", money(m.uv_value_fen)),
        ("GPM", money(m.gpm_fen)),
        ("转化率 conversion", ratio(m.conversion)),
        ("退款率 refund rate", ratio(m.refund_rate)),
    ];
    let mut sheets = vec![Sheet {
        name: "summary".into(),
        columns: vec!["指标 metric".into(), "值 value".into()],
        rows: summary
            .into_iter()
            .map(|(k, v)| vec![Cell::Text(k.into()), v])
            .collect(),
    }];
    for t in &r.targets {
        sheets[0].rows.push(vec![
            Cell::Text(format!("目标 target {}", t.metric)),
            Cell::Text(format!("{} / {}", t.actual, t.target)),
        ]);
    }
    sheets.push(Sheet {
        name: "funnel".into(),
        columns: [
            "步骤 step",
            "人数 viewers",
            "环节转化 step rate",
            "整体转化 overall",
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .funnel
            .iter()
            .map(|f| {
                vec![
                    Cell::Text(f.step.into()),
                    int(f.viewers),
                    ratio(f.rate),
                    ratio(f.overall),
                ]
            })
            .collect(),
    });
    sheets.push(Sheet {
        name: "minutes".into(),
        columns: [
            "分钟 minute (UTC ms)",
            "最高在线 online max",
            "进入 entries",
            "观看 views",
            "评论 comments",
            "点赞 likes",
            "点击 clicks",
            "下单 orders",
            "支付订单 paid orders",
            "GMV",
            "退款 refunded",
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .minutes
            .iter()
            .map(|x| {
                vec![
                    int(x.minute),
                    int(x.online_max),
                    int(x.entries),
                    int(x.views),
                    int(x.comments),
                    int(x.likes),
                    int(x.clicks),
                    int(x.orders),
                    int(x.paid_orders),
                    Cell::Money(x.gmv_fen),
                    Cell::Money(x.refund_fen),
                ]
            })
            .collect(),
    });
    sheets.push(Sheet {
        name: "products".into(),
        columns: [
            "商品 product",
            "名称 title",
            "曝光 exposures",
            "点击 clicks",
            "点击率 CTR",
            "加购 carts",
            "下单 orders",
            "件数 units",
            "支付订单 paid orders",
            "GMV",
            "退款 refunded",
            "讲解(秒) explained s",
        ]
        .map(String::from)
        .to_vec(),
        rows: r
            .products
            .iter()
            .map(|x| {
                vec![
                    int(x.product_id),
                    Cell::Text(x.title.clone()),
                    int(x.exposures),
                    int(x.clicks),
                    ratio(x.ctr),
                    int(x.carts),
                    int(x.orders),
                    int(x.units),
                    int(x.paid_orders),
                    Cell::Money(x.gmv_fen),
                    Cell::Money(x.refund_fen),
                    Cell::Num(x.explained_ms as f64 / 1000.0),
                ]
            })
            .collect(),
    });
    sheets.push(Sheet {
        name: "watch_time".into(),
        columns: ["观看时长 watch time", "人数 viewers"]
            .map(String::from)
            .to_vec(),
        rows: r
            .watch_distribution
            .iter()
            .map(|w| vec![Cell::Text(w.label.into()), int(w.viewers)])
            .collect(),
    });
    sheets
}

/// The review as one CSV: each table under a line naming it.
pub fn report_csv(r: &Report) -> Vec<u8> {
    let mut out: Vec<u8> = Vec::new();
    for (i, s) in report_sheets(r).iter().enumerate() {
        let cols: Vec<&str> = s.columns.iter().map(String::as_str).collect();
        let mut part = csv(&cols, &s.rows);
        if i > 0 {
            // One BOM, at the very start.
            part.drain(..3);
            out.extend_from_slice(b"\r\n");
        }
        let title = format!("# {}\r\n", s.name);
        if i == 0 {
            out.extend_from_slice(&part[..3]);
            out.extend_from_slice(title.as_bytes());
            out.extend_from_slice(&part[3..]);
        } else {
            out.extend_from_slice(title.as_bytes());
            out.extend_from_slice(&part);
        }
    }
    out
}

pub fn report_xlsx(r: &Report) -> Result<Vec<u8>, AnalyticsError> {
    let sheets = report_sheets(r);
    let cols: Vec<Vec<&str>> = sheets
        .iter()
        .map(|s| s.columns.iter().map(String::as_str).collect())
        .collect();
    let refs: Vec<SheetRef<'_>> = sheets
        .iter()
        .zip(&cols)
        .map(|(s, c)| SheetRef {
            name: &s.name,
            columns: c,
            rows: &s.rows,
        })
        .collect();
    xlsx_book(&refs)
}
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_what_needs_it_and_defuses_formulas() {
        let out = csv(
            &["a", "b"],
            &[
                vec![
                    Cell::Text("x,\"y\"".into()),
                    Cell::Text("=HYPERLINK(1)".into()),
                ],
                vec![Cell::Money(-1205), Cell::Int(3)],
            ],
        );
        let s = String::from_utf8(out).unwrap();
        assert_eq!(
            s,
            "\u{feff}a,b\r\n\"x,\"\"y\"\"\",'=HYPERLINK(1)\r\n-12.05,3\r\n"
        );
    }

    #[test]
    fn xlsx_is_a_zip_file() {
        let out = xlsx(&["a"], &[vec![Cell::Money(100)]]).unwrap();
        assert_eq!(&out[..2], b"PK");
    }
}
