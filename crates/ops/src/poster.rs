//! The pre-announcement poster: a 750 × 1334 SVG (a phone screen, the size WeChat Moments and
//! Weibo take) with the session, its time in Beijing, its host, up to three products and a QR
//! code of the link to share. The console turns it into a PNG in the browser.

use qrcode::render::svg;
use qrcode::{EcLevel, QrCode};
use sellstream_core::Timestamp;

pub struct PosterInput<'a> {
    pub brand: &'a str,
    pub title: &'a str,
    pub start: Timestamp,
    pub host: Option<&'a str>,
    /// (title, lowest price in fen)
    pub products: &'a [(String, i64)],
    /// The absolute URL the QR code opens.
    pub url: &'a str,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Splits text into lines of at most `width` columns, a CJK character counting two.
pub fn wrap(text: &str, width: usize, max_lines: usize) -> Vec<String> {
    let mut lines = vec![String::new()];
    let mut cols = 0;
    for c in text.chars() {
        let w = if c.is_ascii() { 1 } else { 2 };
        if cols + w > width {
            if lines.len() == max_lines {
                let last = lines.last_mut().expect("one line");
                last.pop();
                last.push('…');
                return lines;
            }
            lines.push(String::new());
            cols = 0;
        }
        lines.last_mut().expect("one line").push(c);
        cols += w;
    }
    lines
}

fn when(t: Timestamp) -> String {
    let d = time::OffsetDateTime::from_unix_timestamp_nanos(t.millis() as i128 * 1_000_000)
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH)
        .to_offset(time::macros::offset!(+8));
    let weekday =
        ["一", "二", "三", "四", "五", "六", "日"][d.weekday().number_days_from_monday() as usize];
    format!(
        "{}月{}日 周{weekday} {:02}:{:02} 开播",
        d.month() as u8,
        d.day(),
        d.hour(),
        d.minute()
    )
}

fn yuan(fen: i64) -> String {
    if fen % 100 == 0 {
        format!("¥{}", fen / 100)
    } else {
        format!("¥{}.{:02}", fen / 100, fen % 100)
    }
}

/// The QR code's own `<svg>`, without its XML declaration, placed at (x, y) in a `size` square:
/// its width and height are replaced (an attribute twice makes the whole poster ill-formed).
fn nest(svg: &str, x: u32, y: u32, size: u32) -> String {
    let svg = svg.find("<svg").map_or(svg, |i| &svg[i..]);
    let end = svg.find('>').unwrap_or(svg.len());
    let (open, rest) = svg.split_at(end);
    let mut attrs = String::new();
    for w in open.trim_start_matches("<svg").split_whitespace() {
        if !(w.starts_with("width=") || w.starts_with("height=")) {
            attrs.push(' ');
            attrs.push_str(w);
        }
    }
    format!("<svg x=\"{x}\" y=\"{y}\" width=\"{size}\" height=\"{size}\"{attrs}{rest}")
}

pub fn poster(p: &PosterInput<'_>) -> Result<String, String> {
    let qr = QrCode::with_error_correction_level(p.url.as_bytes(), EcLevel::M)
        .map_err(|e| format!("the link does not fit a QR code: {e}"))?;
    let qr_svg = qr
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .dark_color(svg::Color("#1f1f1f"))
        .light_color(svg::Color("#ffffff"))
        .build();
    let qr_body = nest(&qr_svg, 255, 1000, 240);
    let mut out = String::with_capacity(8 * 1024 + qr_body.len());
    out.push_str(
        r##"<svg xmlns="http://www.w3.org/2000/svg" width="750" height="1334" viewBox="0 0 750 1334">
<defs><linearGradient id="bg" x1="0" y1="0" x2="0" y2="1"><stop offset="0" stop-color="#ff3d68"/><stop offset="1" stop-color="#ff8a3d"/></linearGradient></defs>
<rect width="750" height="1334" fill="url(#bg)"/>
<rect x="40" y="300" width="670" height="990" rx="28" fill="#ffffff"/>
<g font-family="'PingFang SC','Noto Sans CJK SC','Microsoft YaHei',sans-serif">
"##,
    );
    out.push_str(&format!(
        "<text x=\"60\" y=\"110\" font-size=\"34\" fill=\"#ffffff\" opacity=\"0.9\">{}</text>\n",
        esc(p.brand)
    ));
    out.push_str("<text x=\"60\" y=\"190\" font-size=\"64\" font-weight=\"700\" fill=\"#ffffff\">直播预告</text>\n");
    out.push_str(&format!(
        "<text x=\"60\" y=\"255\" font-size=\"34\" fill=\"#ffffff\">{}</text>\n",
        esc(&when(p.start))
    ));
    let mut y = 380;
    for line in wrap(p.title, 28, 2) {
        out.push_str(&format!(
            "<text x=\"80\" y=\"{y}\" font-size=\"44\" font-weight=\"700\" fill=\"#1f1f1f\">{}</text>\n",
            esc(&line)
        ));
        y += 60;
    }
    if let Some(h) = p.host {
        out.push_str(&format!(
            "<text x=\"80\" y=\"{}\" font-size=\"30\" fill=\"#8c8c8c\">主播 {}</text>\n",
            y + 10,
            esc(h)
        ));
    }
    let mut y = 600;
    for (title, price) in p.products.iter().take(3) {
        out.push_str(&format!(
            "<rect x=\"80\" y=\"{}\" width=\"590\" height=\"96\" rx=\"16\" fill=\"#fff3f5\"/>\n",
            y - 62
        ));
        let t = wrap(title, 30, 1).remove(0);
        out.push_str(&format!(
            "<text x=\"104\" y=\"{}\" font-size=\"30\" fill=\"#1f1f1f\">{}</text>\n",
            y - 4,
            esc(&t)
        ));
        out.push_str(&format!(
            "<text x=\"646\" y=\"{}\" font-size=\"32\" font-weight=\"700\" fill=\"#ff3d68\" text-anchor=\"end\">{}</text>\n",
            y - 4,
            esc(&yuan(*price))
        ));
        y += 120;
    }
    out.push_str(&qr_body);
    out.push('\n');
    out.push_str("<text x=\"375\" y=\"1270\" font-size=\"28\" fill=\"#595959\" text-anchor=\"middle\">扫码预约 · 开播提醒</text>\n");
    out.push_str("</g>\n</svg>\n");
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wrapping_counts_cjk_as_two_columns_and_ellipsises() {
        assert_eq!(wrap("abcd", 2, 3), vec!["ab", "cd"]);
        assert_eq!(wrap("春季新品", 4, 3), vec!["春季", "新品"]);
        assert_eq!(wrap("春季新品首发", 4, 2), vec!["春季", "新…"]);
    }

    #[test]
    fn the_poster_is_one_svg_with_its_words_escaped_and_a_qr_code() {
        let products = vec![("口红 <限定>".to_owned(), 9900), ("精华".to_owned(), 16950)];
        let svg = poster(&PosterInput {
            brand: "拾光 & 优选",
            title: "双11返场",
            start: Timestamp::from_millis(1_764_331_200_000), // 2025-11-28 12:00 UTC
            host: Some("美美"),
            products: &products,
            url: "https://shop.example.com/p/abcd2345",
        })
        .unwrap();
        assert_eq!(svg.matches("<svg").count(), 2, "the poster and its QR code");
        // Every opening tag names each attribute once.
        for tag in svg.split('<').skip(1) {
            let tag = tag.split('>').next().unwrap();
            let mut names: Vec<&str> = tag
                .split_whitespace()
                .skip(1)
                .filter_map(|a| a.split_once('=').map(|(n, _)| n))
                .collect();
            let n = names.len();
            names.sort_unstable();
            names.dedup();
            assert_eq!(names.len(), n, "an attribute twice in <{tag}>");
        }
        assert!(!svg.contains("<?xml"));
        assert!(svg.contains("拾光 &amp; 优选"));
        assert!(svg.contains("口红 &lt;限定&gt;"));
        assert!(svg.contains("¥99<") && svg.contains("¥169.50<"));
        assert!(svg.contains("11月28日 周五 20:00 开播"), "{svg}");
    }
}
