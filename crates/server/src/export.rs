//! Spreadsheets for staff: CSV (UTF-8 with a BOM so Excel reads Chinese text) and XLSX.

use crate::ApiError;
use sellstream_commerce::orders::OrderLine;
use sellstream_commerce::Order;
use sellstream_core::ErrorCode;

/// One cell: text, a whole number, or money in fen (written as yuan with two decimals).
pub enum Cell {
    Text(String),
    Int(i64),
    Money(i64),
}

pub const ORDER_COLUMNS: &[&str] = &[
    "订单号 order",
    "下单时间 placed at",
    "状态 state",
    "客户 customer",
    "场次 session",
    "渠道 channel",
    "行 line",
    "商品 product",
    "SKU",
    "数量 qty",
    "单价 unit price",
    "优惠 discounts",
    "实付 paid for line",
    "已退款 refunded",
    "订单实付 order total",
    "订单已退 order refunded",
    "收货人 recipient",
    "地区 region",
    "运单号 tracking",
];

pub fn order_row(o: &Order, l: &OrderLine) -> Vec<Cell> {
    let addr = |k: &str| {
        o.address
            .get(k)
            .and_then(|v| v.as_str())
            .unwrap_or("")
            .to_owned()
    };
    vec![
        Cell::Text(o.number.clone()),
        Cell::Text(o.created_at.to_string()),
        Cell::Text(o.state.as_str().to_owned()),
        Cell::Text(o.customer_name.clone()),
        Cell::Text(o.session_id.map(|s| s.to_string()).unwrap_or_default()),
        Cell::Text(o.channel.clone()),
        Cell::Int(l.line_no),
        Cell::Text(l.title.clone()),
        Cell::Text(l.sku_code.clone()),
        Cell::Int(l.quantity),
        Cell::Money(l.unit_price),
        Cell::Money(l.membership + l.campaign + l.coupon + l.points_fen),
        Cell::Money(l.payable),
        Cell::Text(if l.refunded { "yes" } else { "" }.to_owned()),
        Cell::Money(o.total_fen),
        Cell::Money(o.refunded_fen),
        Cell::Text(addr("recipient")),
        Cell::Text(addr("region")),
        Cell::Text(o.tracking_no.clone().unwrap_or_default()),
    ]
}

fn yuan(fen: i64) -> String {
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
                Cell::Money(f) => out.push_str(&yuan(*f)),
            }
        }
        out.push_str("\r\n");
    }
    out.into_bytes()
}

pub fn xlsx(columns: &[&str], rows: &[Vec<Cell>]) -> Result<Vec<u8>, ApiError> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| {
        tracing::error!(error = %e, "xlsx export failed");
        ApiError::new(ErrorCode::Internal, "the spreadsheet could not be written")
    };
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("#,##0.00");
    for (c, name) in columns.iter().enumerate() {
        sheet
            .write_string_with_format(0, c as u16, *name, &bold)
            .map_err(fail)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Cell::Text(s) => sheet.write_string(r, c, s),
                Cell::Int(n) => sheet.write_number(r, c, *n as f64),
                Cell::Money(f) => sheet.write_number_with_format(r, c, *f as f64 / 100.0, &money),
            }
            .map_err(fail)?;
        }
    }
    sheet.set_freeze_panes(1, 0).map_err(fail)?;
    book.save_to_buffer().map_err(fail)
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
