//! The numbers of platform exports as people type them: `1.2万`, `3.5%`, `¥1,234.50`, `128元`,
//! `1小时2分`, `01:02:03`, `2026/11/20 20:00`, `2026年11月20日 20:00`. Each parser says what was
//! wrong rather than guessing.

/// Beijing time: the platforms' back-ends export local times without a zone.
const CST_MS: i64 = 8 * 3_600_000;

fn clean(s: &str) -> String {
    s.trim()
        .chars()
        .filter(|c| !matches!(c, ',' | '，' | ' ' | '\u{a0}' | '\u{3000}' | '"'))
        .collect()
}

/// Empty, `-`, `--`, `/` and `N/A` mean "not given".
pub fn is_blank(s: &str) -> bool {
    matches!(
        clean(s).as_str(),
        "" | "-" | "--" | "—" | "/" | "N/A" | "n/a" | "NA" | "null"
    )
}

/// A plain amount with an optional 万 (×10⁴), 亿 (×10⁸), w/W (×10⁴) or k/K (×10³) suffix.
pub fn number(s: &str) -> Result<f64, String> {
    let c = clean(s);
    let (body, mult) = if let Some(b) = c.strip_suffix('亿') {
        (b, 1e8)
    } else if let Some(b) = c.strip_suffix('万').or_else(|| c.strip_suffix(['w', 'W'])) {
        (b, 1e4)
    } else if let Some(b) = c.strip_suffix(['k', 'K']) {
        (b, 1e3)
    } else {
        (c.as_str(), 1.0)
    };
    let body = body
        .strip_suffix(['人', '次', '个', '单', '笔'])
        .unwrap_or(body);
    if body.is_empty() || body.starts_with(['=', '+', '@']) {
        return Err(format!("`{}` is not a number", s.trim()));
    }
    let v: f64 = body
        .parse()
        .map_err(|_| format!("`{}` is not a number", s.trim()))?;
    if !v.is_finite() {
        return Err(format!("`{}` is not a number", s.trim()));
    }
    Ok(v * mult)
}

/// A whole count (viewers, orders); `1.2万` is 12000.
pub fn count(s: &str) -> Result<i64, String> {
    let v = number(s)?;
    if v < 0.0 {
        return Err(format!("`{}`: a count cannot be negative", s.trim()));
    }
    if v > 1e12 {
        return Err(format!("`{}`: too large to be a count", s.trim()));
    }
    Ok(v.round() as i64)
}

/// Money in yuan (¥, ￥, 元, RMB, 万元) to fen.
pub fn money_fen(s: &str) -> Result<i64, String> {
    let c = clean(s);
    let c = c
        .trim_start_matches(['¥', '￥'])
        .trim_start_matches("RMB")
        .trim_end_matches("元")
        .to_owned();
    let v = number(&c).map_err(|_| format!("`{}` is not an amount of money", s.trim()))?;
    if v.abs() > 1e12 {
        return Err(format!("`{}`: too large to be an amount", s.trim()));
    }
    Ok((v * 100.0).round() as i64)
}

/// A rate: `3.5%` is 0.035; a bare number up to 1 is taken as a fraction, above 1 as percent.
pub fn rate(s: &str) -> Result<f64, String> {
    let c = clean(s);
    let v = if let Some(p) = c.strip_suffix(['%', '％']) {
        number(p).map_err(|_| format!("`{}` is not a rate", s.trim()))? / 100.0
    } else {
        let v = number(&c).map_err(|_| format!("`{}` is not a rate", s.trim()))?;
        if v > 1.0 {
            v / 100.0
        } else {
            v
        }
    };
    if !(0.0..=1.0).contains(&v) {
        return Err(format!("`{}`: a rate is between 0 and 100%", s.trim()));
    }
    Ok(v)
}

/// A duration to milliseconds: `1小时2分3秒`, `62分钟`, `35.5秒`, `01:02:03`, `02:03`,
/// `1h2m`, or a bare number of seconds.
pub fn duration_ms(s: &str) -> Result<i64, String> {
    let c = clean(s).to_lowercase();
    let bad = || format!("`{}` is not a duration", s.trim());
    if c.is_empty() {
        return Err(bad());
    }
    if c.contains(':') {
        let parts: Vec<&str> = c.split(':').collect();
        if parts.len() > 3 || parts.iter().any(|p| p.is_empty()) {
            return Err(bad());
        }
        let mut total = 0.0;
        for p in &parts {
            let v: f64 = p.parse().map_err(|_| bad())?;
            if v < 0.0 {
                return Err(bad());
            }
            total = total * 60.0 + v;
        }
        return Ok((total * 1000.0).round() as i64);
    }
    if let Ok(v) = c.parse::<f64>() {
        if !(0.0..1e9).contains(&v) {
            return Err(bad());
        }
        return Ok((v * 1000.0).round() as i64);
    }
    let units: [(&str, f64); 10] = [
        ("小时", 3_600_000.0),
        ("时", 3_600_000.0),
        ("分钟", 60_000.0),
        ("分", 60_000.0),
        ("秒钟", 1000.0),
        ("秒", 1000.0),
        ("hours", 3_600_000.0),
        ("h", 3_600_000.0),
        ("min", 60_000.0),
        ("m", 60_000.0),
    ];
    let mut rest = c.as_str();
    let mut total = 0.0;
    let mut any = false;
    while !rest.is_empty() {
        let end = rest
            .find(|ch: char| !(ch.is_ascii_digit() || ch == '.'))
            .ok_or_else(bad)?;
        if end == 0 {
            return Err(bad());
        }
        let v: f64 = rest[..end].parse().map_err(|_| bad())?;
        rest = &rest[end..];
        let (unit, ms) = units
            .iter()
            .chain([("s", 1000.0)].iter())
            .find(|(u, _)| rest.starts_with(u))
            .ok_or_else(bad)?;
        total += v * ms;
        rest = &rest[unit.len()..];
        any = true;
    }
    if !any {
        return Err(bad());
    }
    Ok(total.round() as i64)
}

fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
    // Howard Hinnant's algorithm: days since 1970-01-01.
    let y = if m <= 2 { y - 1 } else { y };
    let era = if y >= 0 { y } else { y - 399 } / 400;
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// An Excel date serial (days since 1899-12-30, in local time) to epoch ms.
pub fn excel_serial_ms(serial: f64) -> Result<i64, String> {
    if !(1.0..200_000.0).contains(&serial) {
        return Err(format!("`{serial}` is not a date"));
    }
    let ms = ((serial - 25_569.0) * 86_400_000.0).round() as i64;
    Ok(ms - CST_MS)
}

/// A date and time to epoch ms. Local (Beijing) unless it carries a zone: `2026-11-20 20:00:00`,
/// `2026/11/20 20:00`, `2026-11-20T20:00:00+08:00`, `2026年11月20日 20:00`, `2026-11-20`,
/// `20261120 2000`. Two-digit years and day-first orders are refused: they are ambiguous.
pub fn datetime_ms(s: &str) -> Result<i64, String> {
    let t = s.trim();
    let bad = || {
        format!("`{t}` is not a date and time (use 2026-11-20 20:00, 2026/11/20 20:00 or 2026年11月20日 20:00)")
    };
    if let Ok(v) = time::OffsetDateTime::parse(t, &time::format_description::well_known::Rfc3339) {
        return Ok((v.unix_timestamp_nanos() / 1_000_000) as i64);
    }
    let norm: String = t
        .replace(['年', '月', '/', '.'], "-")
        .replace(['日', 'T'], " ");
    let mut parts = norm.split_whitespace();
    let date = parts.next().ok_or_else(bad)?;
    let clock = parts.next().unwrap_or("0:0");
    if parts.next().is_some() {
        return Err(bad());
    }
    let (y, m, d) = if date.contains('-') {
        let v: Vec<&str> = date.split('-').filter(|p| !p.is_empty()).collect();
        if v.len() != 3 || v[0].len() != 4 {
            return Err(bad());
        }
        (
            v[0].parse::<i64>().map_err(|_| bad())?,
            v[1].parse::<i64>().map_err(|_| bad())?,
            v[2].parse::<i64>().map_err(|_| bad())?,
        )
    } else if date.len() == 8 && date.chars().all(|c| c.is_ascii_digit()) {
        (
            date[..4].parse().map_err(|_| bad())?,
            date[4..6].parse().map_err(|_| bad())?,
            date[6..].parse().map_err(|_| bad())?,
        )
    } else {
        return Err(bad());
    };
    let days_in = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        2 => 28,
        _ => return Err(bad()),
    };
    if !(2000..=2100).contains(&y) || d < 1 || d > days_in {
        return Err(bad());
    }
    let clock = clock
        .replace(['时', '点'], ":")
        .replace('分', ":")
        .replace('秒', "");
    let hm: Vec<&str> = if clock.contains(':') {
        clock.split(':').filter(|p| !p.is_empty()).collect()
    } else if clock.len() == 4 && clock.chars().all(|c| c.is_ascii_digit()) {
        vec![&clock[..2], &clock[2..]]
    } else {
        return Err(bad());
    };
    let num = |i: usize, max: i64| -> Result<i64, String> {
        match hm.get(i) {
            None => Ok(0),
            Some(p) => {
                let v: f64 = p.parse().map_err(|_| bad())?;
                if v < 0.0 || v >= max as f64 {
                    return Err(bad());
                }
                Ok(v as i64)
            }
        }
    };
    if hm.len() > 3 {
        return Err(bad());
    }
    let (h, mi, se) = (num(0, 24)?, num(1, 60)?, num(2, 61)?);
    let local = days_from_civil(y, m, d) * 86_400_000 + (h * 3600 + mi * 60 + se) * 1000;
    Ok(local - CST_MS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_exports_write_them() {
        assert_eq!(count("1.2万").unwrap(), 12_000);
        assert_eq!(count("3.4w").unwrap(), 34_000);
        assert_eq!(count(" 12,345 ").unwrap(), 12_345);
        assert_eq!(count("1,024人").unwrap(), 1_024);
        assert_eq!(count("0.5亿").unwrap(), 50_000_000);
        assert!(count("-3").is_err());
        assert!(count("abc").is_err());
        assert!(count("=SUM(A1:A3)").is_err());
        assert_eq!(money_fen("¥1,234.50").unwrap(), 123_450);
        assert_eq!(money_fen("￥88.8").unwrap(), 8_880);
        assert_eq!(money_fen("128元").unwrap(), 12_800);
        assert_eq!(money_fen("1.5万").unwrap(), 1_500_000);
        assert_eq!(money_fen("1.5万元").unwrap(), 1_500_000);
        assert!(money_fen("about 100").is_err());
        assert!((rate("3.5%").unwrap() - 0.035).abs() < 1e-12);
        assert!((rate("0.035").unwrap() - 0.035).abs() < 1e-12);
        assert!((rate("3.5").unwrap() - 0.035).abs() < 1e-12);
        assert!(rate("150%").is_err());
        assert!(is_blank(" -- ") && is_blank("") && !is_blank("0"));
    }

    #[test]
    fn durations_in_every_spelling() {
        assert_eq!(duration_ms("1小时2分").unwrap(), 3_720_000);
        assert_eq!(duration_ms("1小时2分3秒").unwrap(), 3_723_000);
        assert_eq!(duration_ms("62分钟").unwrap(), 3_720_000);
        assert_eq!(duration_ms("35.5秒").unwrap(), 35_500);
        assert_eq!(duration_ms("01:02:03").unwrap(), 3_723_000);
        assert_eq!(duration_ms("02:03").unwrap(), 123_000);
        assert_eq!(duration_ms("1h2m").unwrap(), 3_720_000);
        assert_eq!(duration_ms("90").unwrap(), 90_000);
        for bad in ["", "abc", "1小时x", "::", "-5", "分钟"] {
            assert!(duration_ms(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn dates_in_several_formats_are_beijing_time() {
        let want = datetime_ms("2026-11-20T12:00:00Z").unwrap();
        for s in [
            "2026-11-20 20:00:00",
            "2026/11/20 20:00",
            "2026年11月20日 20:00",
            "2026.11.20 20:00",
            "20261120 2000",
            "2026-11-20T20:00:00+08:00",
            "2026年11月20日 20时00分",
        ] {
            assert_eq!(datetime_ms(s).unwrap(), want, "{s}");
        }
        assert_eq!(
            datetime_ms("2026-11-20").unwrap(),
            want - 20 * 3_600_000,
            "a date alone is its midnight"
        );
        for bad in [
            "20/11/2026 20:00",
            "26-11-20",
            "2026-02-30",
            "2026-11-20 25:00",
            "soon",
        ] {
            assert!(datetime_ms(bad).is_err(), "{bad}");
        }
        // Excel's serial for 2026-11-20 20:00 local.
        let serial = 46_346.0 + 20.0 / 24.0;
        assert_eq!(excel_serial_ms(serial).unwrap(), want);
    }
}
