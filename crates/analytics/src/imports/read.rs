//! A platform export's bytes to a grid of cells: CSV or tab-separated text in UTF-8 (with or
//! without BOM), UTF-16 (Excel's "Unicode text") or GBK/GB18030 (what Chinese Excel saves), or
//! an XLSX/XLS workbook's first sheet. Formulas are kept as such so the import can refuse them.

use calamine::{Data, Reader};

/// What the reader found in a file.
#[derive(Debug, Clone, PartialEq)]
pub struct Grid {
    /// csv, tsv or xlsx (any workbook).
    pub format: &'static str,
    /// utf-8, utf-8-bom, utf-16le, utf-16be, gb18030; "binary" for workbooks.
    pub encoding: &'static str,
    pub sheet: Option<String>,
    pub rows: Vec<Vec<Cell>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Cell {
    pub text: String,
    /// An Excel date/time serial, for date cells of a workbook.
    pub serial: Option<f64>,
    /// The formula, when the cell computes its value (`=SUM(…)`).
    pub formula: Option<String>,
}

impl Cell {
    fn text(s: impl Into<String>) -> Self {
        Self {
            text: s.into(),
            serial: None,
            formula: None,
        }
    }
}

/// At most this many rows in one file.
pub const MAX_ROWS: usize = 200_000;

fn decode(bytes: &[u8]) -> Result<(String, &'static str), String> {
    if let Some(rest) = bytes.strip_prefix(&[0xEF, 0xBB, 0xBF]) {
        return std::str::from_utf8(rest)
            .map(|s| (s.to_owned(), "utf-8-bom"))
            .map_err(|_| "the file says UTF-8 but is not valid UTF-8".to_owned());
    }
    for (bom, enc, name) in [
        (&[0xFF, 0xFE][..], encoding_rs::UTF_16LE, "utf-16le"),
        (&[0xFE, 0xFF][..], encoding_rs::UTF_16BE, "utf-16be"),
    ] {
        if bytes.starts_with(bom) {
            let (text, _, bad) = enc.decode(bytes);
            if bad {
                return Err(format!("the file says {name} but is not valid {name}"));
            }
            return Ok((text.into_owned(), name));
        }
    }
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_owned(), "utf-8"));
    }
    let (text, _, bad) = encoding_rs::GB18030.decode(bytes);
    if bad || text.contains('\u{0}') {
        return Err(
            "the text is neither UTF-8 nor GBK/GB18030: save it again as CSV (UTF-8) or XLSX"
                .into(),
        );
    }
    Ok((text.into_owned(), "gb18030"))
}

fn delimiter(text: &str) -> u8 {
    let first = text.lines().next().unwrap_or("");
    let (tabs, commas, semis) = (
        first.matches('\t').count(),
        first.matches(',').count(),
        first.matches(';').count(),
    );
    if tabs > commas && tabs >= semis {
        b'\t'
    } else if semis > commas {
        b';'
    } else {
        b','
    }
}

fn read_text(bytes: &[u8]) -> Result<Grid, String> {
    let (text, encoding) = decode(bytes)?;
    let delim = delimiter(&text);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(delim)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    for (i, rec) in reader.records().enumerate() {
        let rec = rec.map_err(|e| format!("line {}: {e}", i + 1))?;
        if rows.len() >= MAX_ROWS {
            return Err(format!("more than {MAX_ROWS} rows: split the file"));
        }
        rows.push(rec.iter().map(|c| Cell::text(c.trim())).collect());
    }
    Ok(Grid {
        format: if delim == b'\t' { "tsv" } else { "csv" },
        encoding,
        sheet: None,
        rows,
    })
}

fn read_workbook(bytes: &[u8]) -> Result<Grid, String> {
    let mut book = calamine::open_workbook_auto_from_rs(std::io::Cursor::new(bytes.to_vec()))
        .map_err(|e| format!("the workbook cannot be read: {e}"))?;
    let sheet = book
        .sheet_names()
        .into_iter()
        .next()
        .ok_or("the workbook has no sheet")?;
    let range = book
        .worksheet_range(&sheet)
        .map_err(|e| format!("sheet {sheet}: {e}"))?;
    let formulas = book.worksheet_formula(&sheet).ok();
    if range.height() > MAX_ROWS {
        return Err(format!("more than {MAX_ROWS} rows: split the file"));
    }
    let (r0, c0) = range.start().unwrap_or((0, 0));
    let mut rows = Vec::with_capacity(range.height());
    for (r, row) in range.rows().enumerate() {
        let mut cells = Vec::with_capacity(row.len());
        for (c, v) in row.iter().enumerate() {
            let mut cell = match v {
                Data::Empty => Cell::text(""),
                Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => {
                    Cell::text(s.trim())
                }
                Data::Int(i) => Cell::text(i.to_string()),
                Data::Float(f) => Cell::text(f.to_string()),
                Data::Bool(b) => Cell::text(b.to_string()),
                Data::DateTime(d) => Cell {
                    text: d.as_f64().to_string(),
                    serial: Some(d.as_f64()),
                    formula: None,
                },
                Data::Error(e) => Cell::text(format!("#{e:?}")),
            };
            let at = (r0 + r as u32, c0 + c as u32);
            if let Some(f) = formulas
                .as_ref()
                .and_then(|f| f.get_value(at))
                .filter(|f| !f.is_empty())
            {
                cell.formula = Some(format!("={f}"));
            }
            cells.push(cell);
        }
        rows.push(cells);
    }
    Ok(Grid {
        format: "xlsx",
        encoding: "binary",
        sheet: Some(sheet),
        rows,
    })
}

/// Reads a file: a workbook by its signature (ZIP or OLE), text otherwise.
pub fn read(bytes: &[u8]) -> Result<Grid, String> {
    if bytes.is_empty() {
        return Err("the file is empty".into());
    }
    let zip = bytes.starts_with(b"PK\x03\x04");
    let ole = bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]);
    if zip || ole {
        read_workbook(bytes)
    } else {
        read_text(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings_are_told_apart() {
        let csv = "开播时间,观看人数\n2026-11-20 20:00,1.2万\n";
        let g = read(csv.as_bytes()).unwrap();
        assert_eq!((g.format, g.encoding), ("csv", "utf-8"));
        assert_eq!(g.rows[1][1].text, "1.2万");
        let mut bom = vec![0xEF, 0xBB, 0xBF];
        bom.extend_from_slice(csv.as_bytes());
        assert_eq!(read(&bom).unwrap().encoding, "utf-8-bom");
        assert_eq!(read(&bom).unwrap().rows[0][0].text, "开播时间");
        let (gbk, _, _) = encoding_rs::GBK.encode(csv);
        let g = read(&gbk).unwrap();
        assert_eq!(
            (g.encoding, g.rows[0][0].text.as_str()),
            ("gb18030", "开播时间")
        );
        let tsv = "开播时间\t观看人数\n2026-11-20 20:00\t100\n";
        let mut utf16 = vec![0xFF, 0xFE];
        for u in tsv.encode_utf16() {
            utf16.extend_from_slice(&u.to_le_bytes());
        }
        let g = read(&utf16).unwrap();
        assert_eq!(
            (g.format, g.encoding, g.rows[1][1].text.as_str()),
            ("tsv", "utf-16le", "100")
        );
        assert!(read(&[0xFF, 0xFF, 0x00, 0x81, 0x30]).is_err());
        assert!(read(b"").is_err());
        assert!(read(b"PK\x03\x04 not really a zip").is_err());
    }
}
