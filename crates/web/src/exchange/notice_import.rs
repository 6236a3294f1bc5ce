//! What an officer pastes or uploads, turned into grids for
//! [`import_grids`](yiwang_exchange::notice::import_grids).
//!
//! Pasted text is what Excel puts on the clipboard (tab-separated) or CSV.
//! An uploaded file is an XLSX workbook (every sheet is read, each cell as
//! the text the sheet displays) or a CSV/TSV text file in UTF-8 or, as
//! Excel saves CSV on Chinese Windows, GB18030.
//!
//! "As the sheet displays it" means: numbers with the decimals their number
//! format shows ("480.00" stays "480.00", a General 6651.11 is "6651.11"),
//! percentages with their sign, dates in Chinese ("2020年12月29日"), text as
//! written. Thousands separators are left out, since amounts are parsed
//! without grouping; everything else is passed through and judged by the
//! import, which names the cell when it is wrong.

use std::io::Cursor;

use axum::body::Body;
use axum::http::{header, HeaderMap};
use calamine::{Data, Reader, Xlsx};
use yiwang_exchange::notice::{CellProblem, Grid, TextFormat};

use crate::error::AppError;

/// The largest upload read, in bytes.
pub const MAX_UPLOAD_BYTES: usize = 4 * 1024 * 1024;

/// An import request's input.
#[derive(Debug, Default)]
pub struct ImportInput {
    /// The form's `version` field.
    pub version: Option<i64>,
    /// Pasted text.
    pub text: String,
    /// An uploaded file: its name and bytes.
    pub file: Option<(String, Vec<u8>)>,
}

/// Reads a `multipart/form-data` body: `version`, `text` and `file`.
pub async fn read_multipart(headers: &HeaderMap, body: Body) -> Result<ImportInput, AppError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    let boundary = multer::parse_boundary(content_type)
        .map_err(|_| AppError::BadRequest("上传的表单格式不正确".to_owned()))?;
    let constraints = multer::Constraints::new()
        .allowed_fields(vec!["_csrf", "version", "text", "file"])
        .size_limit(multer::SizeLimit::new().whole_stream(MAX_UPLOAD_BYTES as u64 + 64 * 1024));
    let mut form =
        multer::Multipart::with_constraints(body.into_data_stream(), boundary, constraints);
    let mut input = ImportInput::default();
    let too_big = |e: multer::Error| match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            AppError::field(
                "file",
                format!("文件过大：最大 {} MB", MAX_UPLOAD_BYTES / (1024 * 1024)),
            )
        }
        multer::Error::UnknownField { .. } => {
            AppError::BadRequest("上传的表单含有未知字段".to_owned())
        }
        other => AppError::BadRequest(format!("上传的表单无法读取：{other}")),
    };
    while let Some(field) = form.next_field().await.map_err(too_big)? {
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "file" => {
                let file_name = field.file_name().unwrap_or("").to_owned();
                let bytes = field.bytes().await.map_err(too_big)?;
                if !bytes.is_empty() {
                    input.file = Some((file_name, bytes.to_vec()));
                }
            }
            "version" => {
                let text = field.text().await.map_err(too_big)?;
                input.version = text.trim().parse().ok();
            }
            "text" => input.text = field.text().await.map_err(too_big)?,
            _ => {
                let _ = field.bytes().await.map_err(too_big)?;
            }
        }
    }
    Ok(input)
}

/// Why an upload could not be read at all (before any cell is judged).
fn whole(expected: String) -> Vec<CellProblem> {
    vec![CellProblem {
        table: String::new(),
        row: None,
        column: None,
        value: String::new(),
        expected,
    }]
}

/// The grids of an uploaded file, by its content (and name, for messages).
pub fn file_grids(name: &str, bytes: &[u8]) -> Result<Vec<Grid>, Vec<CellProblem>> {
    if bytes.starts_with(b"PK\x03\x04") {
        return xlsx_grids(bytes);
    }
    if bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0]) {
        return Err(whole(format!(
            "“{name}”是旧版 Excel（.xls）文件：请在 Excel 中另存为 .xlsx 或 CSV 后上传"
        )));
    }
    let text = decode_text(bytes).ok_or_else(|| {
        whole(format!(
            "“{name}”不是 XLSX 表格，也不是 UTF-8 或 GB18030 编码的文本：请上传 .xlsx 或 .csv 文件"
        ))
    })?;
    text_grids(&text)
}

/// Pasted or uploaded text as a grid (tab-separated if it has a tab).
pub fn text_grids(text: &str) -> Result<Vec<Grid>, Vec<CellProblem>> {
    Grid::parse_text(text, TextFormat::detect(text))
        .map(|g| vec![g])
        .map_err(|e| e.problems)
}

/// UTF-8 (with or without BOM), else GB18030 when it decodes cleanly.
fn decode_text(bytes: &[u8]) -> Option<String> {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Some(s.to_owned());
    }
    let (text, _, had_errors) = encoding_rs::GB18030.decode(bytes);
    (!had_errors).then(|| text.into_owned())
}

/// Every sheet of an XLSX workbook, each cell as displayed.
pub fn xlsx_grids(bytes: &[u8]) -> Result<Vec<Grid>, Vec<CellProblem>> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes.to_vec())).map_err(|e| {
        whole(format!(
            "无法读取 XLSX 文件（{e}）：请确认文件未加密、未损坏，或另存为 CSV 后上传"
        ))
    })?;
    let is_1904 = book.has_1904_epoch();
    let mut grids = Vec::new();
    for name in book.sheet_names() {
        let range = book
            .worksheet_range(&name)
            .map_err(|e| whole(format!("无法读取工作表“{name}”：{e}")))?;
        if range.is_empty() {
            continue;
        }
        let styles = book.worksheet_style(&name).ok();
        let (row0, col0) = range.start().unwrap_or((0, 0));
        let mut rows: Vec<Vec<String>> = vec![Vec::new(); row0 as usize];
        for (i, row) in range.rows().enumerate() {
            let mut cells = vec![String::new(); col0 as usize];
            for (j, cell) in row.iter().enumerate() {
                let at = (row0 + i as u32, col0 + j as u32);
                let format = styles
                    .as_ref()
                    .and_then(|s| s.get(at))
                    .and_then(|s| s.number_format.as_ref())
                    .map(|f| f.format_code.as_str());
                cells.push(display(cell, format, is_1904));
            }
            rows.push(cells);
        }
        grids.push(Grid::from_rows(rows).named(&format!("工作表“{name}”")));
    }
    if grids.is_empty() {
        return Err(whole("XLSX 文件中没有任何数据".to_owned()));
    }
    Ok(grids)
}

/// A cell as the sheet shows it.
pub fn display(cell: &Data, format: Option<&str>, is_1904: bool) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) => s.clone(),
        Data::Int(i) => format_number(*i as f64, format),
        Data::Float(f) => format_number(*f, format),
        Data::Bool(b) => if *b { "TRUE" } else { "FALSE" }.to_owned(),
        Data::DateTime(d) => format_serial_date(d.as_f64(), is_1904),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => e.to_string(),
    }
}

/// The digits a number format shows after the point, and whether it is a
/// percentage; `None` for General (or a format without digit placeholders).
fn number_format_shape(format: &str) -> Option<(usize, bool)> {
    // The first section applies to positive numbers; quoted text and
    // bracketed colours or conditions are not placeholders.
    let section = format.split(';').next().unwrap_or("");
    let mut plain = String::new();
    let mut in_quote = false;
    let mut in_bracket = false;
    let mut escaped = false;
    for c in section.chars() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' => escaped = true,
            '"' => in_quote = !in_quote,
            '[' if !in_quote => in_bracket = true,
            ']' if !in_quote => in_bracket = false,
            _ if in_quote || in_bracket => {}
            c => plain.push(c),
        }
    }
    if !plain.contains(['0', '#', '?']) {
        return None;
    }
    let decimals = plain.split_once('.').map_or(0, |(_, frac)| {
        frac.chars()
            .take_while(|c| matches!(c, '0' | '#' | '?'))
            .count()
    });
    Some((decimals, plain.contains('%')))
}

/// A number as a format shows it (thousands separators left out).
pub fn format_number(value: f64, format: Option<&str>) -> String {
    if !value.is_finite() {
        return value.to_string();
    }
    match format.and_then(number_format_shape) {
        Some((decimals, percent)) => {
            let v = if percent { value * 100.0 } else { value };
            let text = format!("{v:.decimals$}");
            let text =
                if text.starts_with('-') && text.trim_start_matches(['-', '0', '.']).is_empty() {
                    text[1..].to_owned()
                } else {
                    text
                };
            if percent {
                format!("{text}%")
            } else {
                text
            }
        }
        None => format_general(value),
    }
}

/// Excel's General format: up to 11 significant digits, no trailing zeros.
fn format_general(value: f64) -> String {
    if value == value.trunc() && value.abs() < 1e15 {
        return format!("{}", value as i64);
    }
    let magnitude = value.abs().log10().floor() as i32 + 1;
    let decimals = (11 - magnitude.max(1)).clamp(0, 15) as usize;
    let text = format!("{value:.decimals$}");
    let text = if text.contains('.') {
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        text
    };
    if text == "-0" {
        "0".to_owned()
    } else {
        text
    }
}

/// An Excel date serial as "2020年12月29日", with the time of day when it
/// has one ("2021年1月6日 11:00").
fn format_serial_date(serial: f64, is_1904: bool) -> String {
    if !serial.is_finite() || !(0.0..3_000_000.0).contains(&serial) {
        return serial.to_string();
    }
    let base = if is_1904 {
        time::macros::date!(1904 - 01 - 01)
    } else {
        // Serial 1 is 1900-01-01, and Excel counts a 29 February 1900
        // that never was; from serial 61 on, day 0 is 1899-12-30.
        if serial < 61.0 {
            time::macros::date!(1899 - 12 - 31)
        } else {
            time::macros::date!(1899 - 12 - 30)
        }
    };
    let days = serial.floor() as i64;
    let seconds = ((serial - serial.floor()) * 86_400.0).round() as i64;
    let (days, seconds) = if seconds >= 86_400 {
        (days + 1, seconds - 86_400)
    } else {
        (days, seconds)
    };
    let Some(date) = base.checked_add(time::Duration::days(days)) else {
        return serial.to_string();
    };
    let day = format!(
        "{}年{}月{}日",
        date.year(),
        u8::from(date.month()),
        date.day()
    );
    if seconds == 0 {
        day
    } else {
        format!("{day} {:02}:{:02}", seconds / 3600, seconds / 60 % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_as_their_format_shows_them() {
        assert_eq!(format_number(6651.11, None), "6651.11");
        assert_eq!(format_number(6651.11, Some("General")), "6651.11");
        assert_eq!(format_number(480.0, Some("General")), "480");
        assert_eq!(format_number(480.0, Some("0.00")), "480.00");
        assert_eq!(format_number(1234567.5, Some("#,##0.00")), "1234567.50");
        assert_eq!(format_number(0.3, Some("0%")), "30%");
        assert_eq!(format_number(0.1 + 0.2, None), "0.3");
        assert_eq!(
            format_number(125949.79, Some("0.00_);[Red](0.00)")),
            "125949.79"
        );
        assert_eq!(format_number(70.0, Some("\"¥\"#,##0")), "70");
        assert_eq!(format_number(232630.0, Some("@")), "232630");
        assert_eq!(format_number(-0.001, Some("0.00")), "0.00");
    }

    #[test]
    fn dates_in_chinese() {
        assert_eq!(format_serial_date(44194.0, false), "2020年12月29日");
        assert_eq!(
            format_serial_date(44202.0 + 11.0 / 24.0, false),
            "2021年1月6日 11:00"
        );
        assert_eq!(format_serial_date(1.0, false), "1900年1月1日");
    }

    #[test]
    fn text_is_utf8_or_gb18030() {
        assert_eq!(decode_text("表1".as_bytes()).as_deref(), Some("表1"));
        let (gbk, _, _) = encoding_rs::GB18030.encode("地块编号,地块位置");
        assert_eq!(decode_text(&gbk).as_deref(), Some("地块编号,地块位置"));
        assert!(file_grids("x.bin", &[0xD0, 0xCF, 0x11, 0xE0, 0, 0]).is_err());
    }
}
