//! Importing a notice's tables: pasted from Excel, CSV, or an XLSX grid.
//!
//! Why import at all: officers draw up the tables in Excel, and retyping a
//! figure is how a notice ends up saying one price and the listing running
//! another. So the tables go in as they stand — the seed's own text, header
//! noise (`(M <sup>2</sup> )`) and all — and come out as draft [`Parcel`]s.
//!
//! Why all or nothing: a half-imported notice is worse than none. Every
//! cell is parsed, every problem is collected into one [`ImportError`] with
//! the table, the row (1-based, as the spreadsheet shows it), the column
//! (letter and header) and the value, with what was expected in Chinese;
//! parcels are produced only if there is no problem at all.
//!
//! # Input
//!
//! Everything works on a [`Grid`] of cells, so that the web layer can feed
//! cells read from an XLSX sheet ([`Grid::from_rows`]) as well as text:
//! tab-separated text as Excel copies it ([`TextFormat::Tsv`]; cells with
//! tabs, line breaks or quotes are quoted, as Excel does) or CSV
//! ([`TextFormat::Csv`]).
//!
//! A grid holds one or more tables separated by blank rows. A row with only
//! `表1`, `表2`… is a caption naming the next table; a row starting `注:`
//! (or `注：`) holds notes for the whole notice. Each table starts with its
//! header row; columns are recognised by header text (see [`ColumnKind`]),
//! ignoring spaces, HTML tags and the spelling of m² (`M <sup>2</sup>`,
//! `㎡`, `m2`, `平方米`). The seed's variants are all recognised: 第60号's
//! 表1 with 起挂牌价 and 竞买保证金, 第61号's 表1 without prices and 表2 with
//! 竞买规则, 起挂土地单价, 房屋最高备案指导均价 and 竞买保证金, and the windows
//! table.
//!
//! Tables are merged by parcel code. A field given by two tables must agree;
//! a parcel that one table lists and another table with codes omits is an
//! error.
//!
//! The notice's tables carry no increment (加价幅度); unless a table has an
//! 加价幅度 column, each parcel gets [`ImportOptions`]' default for its price
//! basis, which the officer sees in the preview and may change.

use super::notation::{IndicatorRange, Terms};
use super::parcel::{
    parse_location, parse_note, BiddingMode, BiddingRule, FollowOn, LandUse, Parcel, ParcelCode,
    PriceBasis, PriceCap, RuleFeatures, Windows,
};
use super::window::Window;
use serde::Serialize;
use std::collections::HashMap;
use std::fmt;
use yiwang_core::{Area, Money};

/// The increment given to unit-price parcels when the tables state none:
/// 10 元/M², the step of the exchange's worked example in
/// `spec/scenario-format.md`.
pub const DEFAULT_UNIT_INCREMENT: Money = Money::from_fen(1_000);

/// Choices the tables themselves do not make.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ImportOptions {
    /// The increment of unit-price parcels without an 加价幅度 column.
    pub default_unit_increment: Option<Money>,
    /// The increment of total-price parcels without an 加价幅度 column.
    pub default_total_increment: Option<Money>,
}

impl Default for ImportOptions {
    /// [`DEFAULT_UNIT_INCREMENT`] for unit prices; none for total prices
    /// (the officer must enter it before publication).
    fn default() -> Self {
        ImportOptions {
            default_unit_increment: Some(DEFAULT_UNIT_INCREMENT),
            default_total_increment: None,
        }
    }
}

/// The text formats an officer may paste or upload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TextFormat {
    /// Tab-separated, what Excel puts on the clipboard.
    Tsv,
    /// Comma-separated, with `"` quoting.
    Csv,
}

impl TextFormat {
    /// Tab-separated if the text has a tab anywhere, else CSV.
    pub fn detect(text: &str) -> TextFormat {
        if text.contains('\t') {
            TextFormat::Tsv
        } else {
            TextFormat::Csv
        }
    }

    fn delimiter(self) -> char {
        match self {
            TextFormat::Tsv => '\t',
            TextFormat::Csv => ',',
        }
    }
}

/// Rows of cells, numbered from 1 as a spreadsheet shows them.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct Grid {
    /// A name for messages, e.g. an XLSX sheet name.
    pub name: Option<String>,
    pub rows: Vec<Vec<String>>,
}

impl Grid {
    /// A grid from cells already read (an XLSX sheet, say); `rows[0]` is
    /// row 1. Cells should hold the text the spreadsheet displays.
    pub fn from_rows(rows: Vec<Vec<String>>) -> Grid {
        Grid { name: None, rows }
    }

    /// The same grid with a name used in messages.
    pub fn named(mut self, name: &str) -> Grid {
        self.name = Some(name.to_owned());
        self
    }

    /// Splits text into rows and cells. A leading BOM is dropped; line
    /// ends may be `\n`, `\r\n` or `\r`; a final line end does not make an
    /// empty row. A cell that starts with `"` is quoted until the next `"`
    /// not doubled; an unclosed quote is an error.
    pub fn parse_text(text: &str, format: TextFormat) -> Result<Grid, ImportError> {
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        let delimiter = format.delimiter();
        let mut rows: Vec<Vec<String>> = Vec::new();
        let mut row: Vec<String> = Vec::new();
        let mut cell = String::new();
        let mut chars = text.chars().peekable();
        let mut at_cell_start = true;
        let mut problems = Vec::new();
        while let Some(c) = chars.next() {
            if at_cell_start && c == '"' {
                at_cell_start = false;
                let quote_row = rows.len() + 1;
                let mut closed = false;
                while let Some(q) = chars.next() {
                    if q == '"' {
                        if chars.peek() == Some(&'"') {
                            chars.next();
                            cell.push('"');
                        } else {
                            closed = true;
                            break;
                        }
                    } else {
                        cell.push(q);
                    }
                }
                if !closed {
                    problems.push(CellProblem {
                        table: String::new(),
                        row: Some(quote_row),
                        column: Some(ColumnRef::at(row.len(), "")),
                        value: cell.chars().take(20).collect(),
                        expected: "引号没有闭合：以英文双引号开头的单元格必须以双引号结束，内容中的双引号要写成两个".to_owned(),
                    });
                }
                continue;
            }
            at_cell_start = false;
            if c == delimiter {
                row.push(std::mem::take(&mut cell));
                at_cell_start = true;
            } else if c == '\n' || c == '\r' {
                if c == '\r' && chars.peek() == Some(&'\n') {
                    chars.next();
                }
                row.push(std::mem::take(&mut cell));
                rows.push(std::mem::take(&mut row));
                at_cell_start = true;
            } else {
                cell.push(c);
            }
        }
        if !at_cell_start || !cell.is_empty() || !row.is_empty() {
            row.push(cell);
            rows.push(row);
        }
        if problems.is_empty() {
            Ok(Grid::from_rows(rows))
        } else {
            Err(ImportError { problems })
        }
    }
}

/// A column of a table, named as the user sees it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ColumnRef {
    /// 0-based position.
    pub index: usize,
    /// The spreadsheet letter: A, B, …, Z, AA, …
    pub letter: String,
    /// The header text as given.
    pub header: String,
}

impl ColumnRef {
    fn at(index: usize, header: &str) -> ColumnRef {
        ColumnRef {
            index,
            letter: column_letter(index),
            header: header.to_owned(),
        }
    }
}

/// The spreadsheet letter of a 0-based column index.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut letters = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        letters.push(char::from(b'A' + rem as u8));
        n = (n - 1) / 26;
    }
    letters.iter().rev().collect()
}

/// One bad cell, or a problem with the input as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CellProblem {
    /// "表1", "第2个表格", or "" for the input as a whole; prefixed with the
    /// grid's name when it has one.
    pub table: String,
    /// 1-based row, `None` for the input as a whole.
    pub row: Option<usize>,
    pub column: Option<ColumnRef>,
    /// The cell's text as given (empty for a missing cell).
    pub value: String,
    /// What is wrong and what is expected, in Chinese.
    pub expected: String,
}

impl fmt::Display for CellProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut place = self.table.clone();
        if let Some(row) = self.row {
            place.push_str(&format!("第{row}行"));
        }
        if let Some(col) = &self.column {
            if col.header.is_empty() {
                place.push_str(&format!("{}列", col.letter));
            } else {
                place.push_str(&format!("{}列（{}）", col.letter, col.header));
            }
        }
        if !place.is_empty() {
            write!(f, "{place}：")?;
        }
        if !self.value.is_empty() {
            write!(f, "“{}”", self.value)?;
        }
        f.write_str(&self.expected)
    }
}

/// Every problem found; nothing was imported.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ImportError {
    pub problems: Vec<CellProblem>,
}

impl std::error::Error for ImportError {}

impl fmt::Display for ImportError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "表格有 {} 处问题，未导入任何地块：", self.problems.len())?;
        for p in &self.problems {
            writeln!(f, "{p}")?;
        }
        Ok(())
    }
}

/// What an import produces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Imported {
    /// Draft parcels, in the order of their first appearance.
    pub parcels: Vec<Parcel>,
    /// The notice's notes (`注:` rows), without the "注:".
    pub notes: Vec<String>,
}

/// The unit a money column is in, from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MoneyColumnUnit {
    /// 元/M²: a unit price.
    YuanPerM2,
    /// 元: a total.
    Yuan,
    /// 万元: a total.
    WanYuan,
}

impl MoneyColumnUnit {
    fn basis(self) -> PriceBasis {
        match self {
            MoneyColumnUnit::YuanPerM2 => PriceBasis::Unit,
            _ => PriceBasis::Total,
        }
    }

    fn parse(self, text: &str) -> Result<Money, String> {
        match self {
            MoneyColumnUnit::WanYuan => Money::parse_wan_yuan(text),
            _ => Money::parse_yuan(text),
        }
        .map_err(|e| e.to_string())
    }
}

/// What a column holds, recognised from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ColumnKind {
    /// 地块编号, 宗地编号.
    Code,
    /// 地块位置, 宗地位置, 土地位置.
    Location,
    /// 用地性质, 土地用途, 规划用途.
    LandUse,
    /// 土地面积, 出让面积, 用地面积 (m²).
    LandArea,
    /// 建筑面积, 计容建筑面积 (m²).
    FloorArea,
    /// 容积率.
    Far,
    /// 建筑密度 (%).
    Density,
    /// 绿地率 (%).
    GreenRatio,
    /// 出让年期, 出让年限 (年).
    Terms,
    /// 起挂牌价, 起挂土地单价, 起始价, 挂牌起始价, 起挂总价.
    StartPrice(MoneyColumnUnit),
    /// 加价幅度, 增价幅度.
    Increment(MoneyColumnUnit),
    /// 竞买保证金 (万元 or 元).
    Deposit(MoneyColumnUnit),
    /// 竞买规则.
    Rule,
    /// 房屋最高备案指导均价 (元/M²).
    HousingPriceCap,
    /// 最高限价.
    PriceCap(MoneyColumnUnit),
    /// 网上竞买申请和缴纳保证金时间.
    ApplicationAndDeposit,
    /// 网上竞买申请时间.
    Application,
    /// 缴纳保证金时间.
    DepositWindow,
    /// 网上挂牌出让时间, 挂牌时间.
    Listing,
    /// 备注.
    Notes,
}

impl ColumnKind {
    /// A key for "this column appears twice"; units do not matter.
    fn slot(self) -> u8 {
        match self {
            ColumnKind::Code => 0,
            ColumnKind::Location => 1,
            ColumnKind::LandUse => 2,
            ColumnKind::LandArea => 3,
            ColumnKind::FloorArea => 4,
            ColumnKind::Far => 5,
            ColumnKind::Density => 6,
            ColumnKind::GreenRatio => 7,
            ColumnKind::Terms => 8,
            ColumnKind::StartPrice(_) => 9,
            ColumnKind::Increment(_) => 10,
            ColumnKind::Deposit(_) => 11,
            ColumnKind::Rule => 12,
            ColumnKind::HousingPriceCap => 13,
            ColumnKind::PriceCap(_) => 14,
            ColumnKind::ApplicationAndDeposit | ColumnKind::Application => 15,
            ColumnKind::DepositWindow => 16,
            ColumnKind::Listing => 17,
            ColumnKind::Notes => 18,
        }
    }
}

/// Normalises a header: drops HTML tags and whitespace, makes brackets
/// ASCII and spells every square metre `M2`.
pub fn normalize_header(text: &str) -> String {
    let mut out = String::new();
    let mut in_tag = false;
    for c in text.chars() {
        match c {
            '<' => in_tag = true,
            '>' if in_tag => in_tag = false,
            _ if in_tag => {}
            c if c.is_whitespace() || c == '\u{3000}' => {}
            '（' => out.push('('),
            '）' => out.push(')'),
            '％' => out.push('%'),
            '／' => out.push('/'),
            '²' => out.push('2'),
            c => out.push(c.to_ascii_uppercase()),
        }
    }
    out.replace('㎡', "M2").replace("平方米", "M2")
}

/// Recognises a header; `Err` says what is wrong with it.
pub fn recognise_header(text: &str) -> Result<ColumnKind, String> {
    let norm = normalize_header(text);
    let (name, unit) = match norm.split_once('(') {
        Some((name, rest)) => (name.to_owned(), Some(rest.trim_end_matches(')').to_owned())),
        None => (norm.clone(), None),
    };
    let unit = unit.as_deref();
    let unit_is = |allowed: &[&str], example: &str| -> Result<(), String> {
        match unit {
            None => Ok(()),
            Some(u) if allowed.contains(&u) => Ok(()),
            Some(u) => Err(format!("单位“{u}”不受支持：应为 {example}")),
        }
    };
    let money_unit = |example: &str| -> Result<MoneyColumnUnit, String> {
        match unit {
            Some("元/M2") => Ok(MoneyColumnUnit::YuanPerM2),
            Some("元") => Ok(MoneyColumnUnit::Yuan),
            Some("万元") => Ok(MoneyColumnUnit::WanYuan),
            Some(u) => Err(format!(
                "金额单位“{u}”不受支持：应为 元/M²、元 或 万元，例如 {example}"
            )),
            None => Err(format!(
                "表头没有注明金额单位：请写明 元/M²、元 或 万元，例如 {example}"
            )),
        }
    };
    let kind = match name.as_str() {
        "地块编号" | "宗地编号" | "地块编码" | "编号" => ColumnKind::Code,
        "地块位置" | "宗地位置" | "土地位置" | "位置" | "坐落" => ColumnKind::Location,
        "用地性质" | "土地用途" | "规划用途" | "用途" => ColumnKind::LandUse,
        "土地面积" | "出让面积" | "用地面积" | "宗地面积" => {
            unit_is(&["M2"], "M²")?;
            ColumnKind::LandArea
        }
        "建筑面积" | "计容建筑面积" | "总建筑面积" => {
            unit_is(&["M2"], "M²")?;
            ColumnKind::FloorArea
        }
        "容积率" => ColumnKind::Far,
        "建筑密度" => {
            unit_is(&["%"], "%")?;
            ColumnKind::Density
        }
        "绿地率" => {
            unit_is(&["%"], "%")?;
            ColumnKind::GreenRatio
        }
        "出让年期" | "出让年限" | "使用年限" => {
            unit_is(&["年"], "年")?;
            ColumnKind::Terms
        }
        "起挂牌价" | "起挂土地单价" | "起始价" | "挂牌起始价" | "起挂价" | "起挂总价" | "起始单价" => {
            ColumnKind::StartPrice(money_unit("起挂牌价(元/M²)")?)
        }
        "加价幅度" | "增价幅度" => ColumnKind::Increment(money_unit("加价幅度(元/M²)")?),
        "竞买保证金" | "保证金" => {
            let unit = money_unit("竞买保证金(万元)")?;
            if unit == MoneyColumnUnit::YuanPerM2 {
                return Err("保证金是总额：单位应为 万元 或 元".to_owned());
            }
            ColumnKind::Deposit(unit)
        }
        "竞买规则" | "竞价规则" | "出让规则" => ColumnKind::Rule,
        "房屋最高备案指导均价" | "最高备案指导均价" | "房屋最高销售均价" => {
            unit_is(&["元/M2"], "元/M²")?;
            ColumnKind::HousingPriceCap
        }
        "最高限价" | "最高限价地价" | "地价上限" => ColumnKind::PriceCap(money_unit("最高限价(元/M²)")?),
        "网上竞买申请和缴纳保证金时间" | "竞买申请和缴纳保证金时间" | "申请和保证金时间" => {
            ColumnKind::ApplicationAndDeposit
        }
        "网上竞买申请时间" | "竞买申请时间" | "申请时间" => ColumnKind::Application,
        "缴纳保证金时间" | "保证金缴纳时间" | "保证金到账时间" | "缴纳保证金截止时间" => {
            ColumnKind::DepositWindow
        }
        "网上挂牌出让时间" | "挂牌出让时间" | "挂牌时间" | "网上挂牌时间" => ColumnKind::Listing,
        "备注" => ColumnKind::Notes,
        _ => {
            return Err("无法识别的表头：可识别的表头有 地块编号、地块位置、用地性质、土地面积(M²)、建筑面积(M²)、容积率、建筑密度(%)、绿地率(%)、出让年期(年)、起挂牌价(元/M²)、加价幅度、竞买保证金(万元)、竞买规则、房屋最高备案指导均价(元/M²)、最高限价、网上竞买申请和缴纳保证金时间、网上挂牌出让时间、备注".to_owned())
        }
    };
    Ok(kind)
}

/// Imports tables from pasted or uploaded text; `format` `None` detects
/// it ([`TextFormat::detect`]).
pub fn import_text(
    text: &str,
    format: Option<TextFormat>,
    options: &ImportOptions,
) -> Result<Imported, ImportError> {
    let format = format.unwrap_or_else(|| TextFormat::detect(text));
    let grid = Grid::parse_text(text, format)?;
    import_grids(&[grid], options)
}

/// Imports the tables of several grids (sheets, pastes) as one notice.
pub fn import_grids(grids: &[Grid], options: &ImportOptions) -> Result<Imported, ImportError> {
    let mut problems = Vec::new();
    let mut tables = Vec::new();
    let mut notes = Vec::new();
    for grid in grids {
        split_grid(grid, &mut tables, &mut notes, &mut problems);
    }
    let mut merger = Merger::default();
    for table in &tables {
        read_table(table, &mut merger, &mut problems);
    }
    check_coverage(&tables, &merger, &mut problems);
    let parcels = merger.finish(&tables, options, &mut problems);
    if problems.is_empty() {
        Ok(Imported { parcels, notes })
    } else {
        Err(ImportError { problems })
    }
}

/// A table found in a grid.
struct Table {
    label: String,
    /// (1-based row number, cells); the first is the header.
    rows: Vec<(usize, Vec<String>)>,
}

fn trim_cell(s: &str) -> &str {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}')
}

/// The only non-empty cell of a row, if it has exactly one.
fn single_cell(row: &[String]) -> Option<&str> {
    let mut filled = row.iter().map(|c| trim_cell(c)).filter(|c| !c.is_empty());
    let first = filled.next()?;
    filled.next().is_none().then_some(first)
}

fn is_caption(cell: &str) -> bool {
    let rest = cell.strip_prefix('表').map(trim_cell).unwrap_or("");
    let digits = rest.chars().take_while(char::is_ascii_digit).count();
    digits > 0
        && rest[digits..].trim().chars().all(|c| !c.is_ascii_digit())
        && rest[digits..].chars().count() <= 30
}

/// The text of a notes row ("注:节假日不休息" → "节假日不休息"), if it is one.
fn notes_row(cell: &str) -> Option<&str> {
    let rest = cell.strip_prefix('注')?;
    let rest = rest.strip_prefix(':').or_else(|| rest.strip_prefix('：'))?;
    Some(trim_cell(rest))
}

/// Drops a note's numbering: "1.", "1、", "(1)", "（1）".
fn strip_numbering(note: &str) -> &str {
    let digits = note.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 {
        let rest = &note[digits..];
        for sep in ['.', '、', '．'] {
            if let Some(r) = rest.strip_prefix(sep) {
                return trim_cell(r);
            }
        }
    }
    for (open, close) in [('(', ')'), ('（', '）')] {
        if let Some(rest) = note.strip_prefix(open) {
            let digits = rest.chars().take_while(char::is_ascii_digit).count();
            if digits > 0 {
                if let Some(r) = rest[digits..].strip_prefix(close) {
                    return trim_cell(r);
                }
            }
        }
    }
    note
}

fn split_grid(
    grid: &Grid,
    tables: &mut Vec<Table>,
    notes: &mut Vec<String>,
    problems: &mut Vec<CellProblem>,
) {
    let prefix = grid
        .name
        .as_deref()
        .map(|n| format!("{n} "))
        .unwrap_or_default();
    let mut caption: Option<String> = None;
    let mut current: Option<Table> = None;
    let mut in_notes = false;
    let mut add_note =
        |text: &str, row: usize, problems: &mut Vec<CellProblem>| match parse_note(text) {
            Ok(note) => notes.push(note),
            Err(e) => problems.push(CellProblem {
                table: prefix.trim_end().to_owned(),
                row: Some(row),
                column: Some(ColumnRef::at(0, "")),
                value: text.to_owned(),
                expected: e.to_string(),
            }),
        };
    for (i, row) in grid.rows.iter().enumerate() {
        let number = i + 1;
        let blank = row.iter().all(|c| trim_cell(c).is_empty());
        if blank {
            tables.extend(current.take());
            in_notes = false;
            continue;
        }
        if let Some(cell) = single_cell(row) {
            if is_caption(cell) {
                tables.extend(current.take());
                in_notes = false;
                caption = Some(cell.to_owned());
                continue;
            }
            if let Some(text) = notes_row(cell) {
                tables.extend(current.take());
                in_notes = true;
                if !text.is_empty() {
                    add_note(strip_numbering(text), number, problems);
                }
                continue;
            }
            if in_notes {
                add_note(strip_numbering(cell), number, problems);
                continue;
            }
        }
        in_notes = false;
        match &mut current {
            Some(table) => table.rows.push((number, row.clone())),
            None => {
                let label = match caption.take() {
                    Some(c) => format!("{prefix}{c}"),
                    None => format!("{prefix}第{}个表格", tables.len() + 1),
                };
                current = Some(Table {
                    label,
                    rows: vec![(number, row.clone())],
                });
            }
        }
    }
    tables.extend(current);
}

/// Where a value came from, for messages about conflicts and cross-checks.
#[derive(Clone, Debug)]
struct CellAt {
    table: String,
    row: usize,
    column: ColumnRef,
    text: String,
}

impl CellAt {
    fn problem(&self, expected: String) -> CellProblem {
        CellProblem {
            table: self.table.clone(),
            row: Some(self.row),
            column: Some(self.column.clone()),
            value: self.text.clone(),
            expected,
        }
    }
}

/// A value and the cell it came from.
#[derive(Clone, Debug)]
struct Sourced<T> {
    value: T,
    at: CellAt,
}

/// Everything the tables say about one parcel.
#[derive(Default)]
struct Draft {
    location: Option<Sourced<String>>,
    land_use: Option<Sourced<LandUse>>,
    land_area: Option<Sourced<Area>>,
    floor_area: Option<Sourced<Option<IndicatorRange>>>,
    far: Option<Sourced<Option<IndicatorRange>>>,
    density: Option<Sourced<Option<IndicatorRange>>>,
    green_ratio: Option<Sourced<Option<IndicatorRange>>>,
    terms: Option<Sourced<Terms>>,
    start_price: Option<Sourced<(Money, PriceBasis)>>,
    increment: Option<Sourced<(Money, PriceBasis)>>,
    deposit: Option<Sourced<Money>>,
    rule: Option<Sourced<(String, RuleFeatures)>>,
    housing_price_cap: Option<Sourced<Option<Money>>>,
    price_cap: Option<Sourced<Option<(Money, PriceBasis)>>>,
    application: Option<Sourced<Window>>,
    deposit_window: Option<Sourced<Window>>,
    listing: Option<Sourced<Window>>,
    notes: Option<Sourced<Option<String>>>,
    /// The first cell naming this parcel's code.
    code_at: Option<CellAt>,
    /// Columns (by [`ColumnKind::slot`]) with a bad cell for this parcel,
    /// already reported: checks that need their value stay silent.
    bad: std::collections::HashSet<u8>,
}

/// Sets a field, or reports a conflict with the value already set.
fn set<T: PartialEq>(
    slot: &mut Option<Sourced<T>>,
    value: T,
    at: CellAt,
    problems: &mut Vec<CellProblem>,
) {
    match slot {
        Some(existing) if existing.value != value => problems.push(at.problem(format!(
            "与{}第{}行的“{}”不一致：同一地块在各表中的数值必须相同",
            existing.at.table, existing.at.row, existing.at.text
        ))),
        Some(_) => {}
        None => *slot = Some(Sourced { value, at }),
    }
}

#[derive(Default)]
struct Merger {
    order: Vec<ParcelCode>,
    drafts: HashMap<ParcelCode, Draft>,
    /// For each table (by index), the codes it lists.
    codes_by_table: Vec<Option<Vec<ParcelCode>>>,
    /// The columns (by [`ColumnKind::slot`]) some table has.
    seen_slots: std::collections::HashSet<u8>,
}

/// Cells that mean "no value" in an optional column.
fn is_blank_marker(text: &str) -> bool {
    matches!(text, "" | "—" | "-" | "/" | "／" | "无" | "——" | "－")
}

fn read_table(table: &Table, merger: &mut Merger, problems: &mut Vec<CellProblem>) {
    let (header_row, header) = &table.rows[0];
    let problem =
        |row: usize, index: usize, header: &str, value: &str, expected: String| CellProblem {
            table: table.label.clone(),
            row: Some(row),
            column: Some(ColumnRef::at(index, header)),
            value: value.to_owned(),
            expected,
        };
    let mut columns: Vec<Option<ColumnKind>> = Vec::new();
    let mut seen: HashMap<u8, usize> = HashMap::new();
    for (index, text) in header.iter().enumerate() {
        let text = trim_cell(text);
        if text.is_empty() {
            columns.push(None);
            continue;
        }
        match recognise_header(text) {
            Ok(kind) => {
                merger.seen_slots.insert(kind.slot());
                if let Some(first) = seen.insert(kind.slot(), index) {
                    problems.push(problem(
                        *header_row,
                        index,
                        text,
                        "",
                        format!("与{}列重复：同一表格中每项只能有一列", column_letter(first)),
                    ));
                    columns.push(None);
                } else {
                    columns.push(Some(kind));
                }
            }
            Err(expected) => {
                problems.push(problem(*header_row, index, text, "", expected));
                columns.push(None);
            }
        }
    }
    let Some(code_index) = columns.iter().position(|k| *k == Some(ColumnKind::Code)) else {
        problems.push(CellProblem {
            table: table.label.clone(),
            row: Some(*header_row),
            column: None,
            value: String::new(),
            expected:
                "表格缺少“地块编号”列：每个表格的表头都要有地块编号，用来把各表的同一地块对应起来"
                    .to_owned(),
        });
        merger.codes_by_table.push(None);
        return;
    };
    if table.rows.len() < 2 {
        problems.push(CellProblem {
            table: table.label.clone(),
            row: Some(*header_row),
            column: None,
            value: String::new(),
            expected: "表格只有表头，没有数据行".to_owned(),
        });
    }
    let mut codes = Vec::new();
    let mut rows_of_code: HashMap<ParcelCode, usize> = HashMap::new();
    for (row_number, cells) in &table.rows[1..] {
        let row_number = *row_number;
        // Cells beyond the header, or under a header that was not
        // recognised, must be empty.
        for (index, cell) in cells.iter().enumerate() {
            let text = trim_cell(cell);
            let unlabelled = index >= header.len() || trim_cell(&header[index]).is_empty();
            if !text.is_empty() && unlabelled {
                problems.push(problem(
                    row_number,
                    index,
                    "",
                    text,
                    "所在列没有表头：请删除这个单元格，或补上表头".to_owned(),
                ));
            }
        }
        let cell_text = |index: usize| -> &str { cells.get(index).map_or("", |c| trim_cell(c)) };
        let code_text = cell_text(code_index);
        let code = match ParcelCode::parse(code_text) {
            Ok(code) => Some(code),
            Err(e) => {
                problems.push(problem(
                    row_number,
                    code_index,
                    trim_cell(&header[code_index]),
                    code_text,
                    e.to_string(),
                ));
                None
            }
        };
        if let Some(code) = &code {
            if let Some(first) = rows_of_code.insert(code.clone(), row_number) {
                problems.push(problem(
                    row_number,
                    code_index,
                    trim_cell(&header[code_index]),
                    code_text,
                    format!("与第{first}行的地块编号重复：同一表格中每宗地块只能有一行"),
                ));
                continue;
            }
            codes.push(code.clone());
        }
        let mut fields: Vec<(ColumnKind, CellAt)> = Vec::new();
        for (index, kind) in columns.iter().enumerate() {
            let Some(kind) = kind else { continue };
            if *kind == ColumnKind::Code {
                continue;
            }
            fields.push((
                *kind,
                CellAt {
                    table: table.label.clone(),
                    row: row_number,
                    column: ColumnRef::at(index, trim_cell(&header[index])),
                    text: cell_text(index).to_owned(),
                },
            ));
        }
        let draft = code.as_ref().map(|code| {
            if !merger.drafts.contains_key(code) {
                merger.order.push(code.clone());
            }
            let draft = merger.drafts.entry(code.clone()).or_default();
            if draft.code_at.is_none() {
                draft.code_at = Some(CellAt {
                    table: table.label.clone(),
                    row: row_number,
                    column: ColumnRef::at(code_index, trim_cell(&header[code_index])),
                    text: code_text.to_owned(),
                });
            }
            draft
        });
        let mut scratch = Draft::default();
        let draft = draft.unwrap_or(&mut scratch);
        for (kind, at) in fields {
            read_cell(kind, at, draft, problems);
        }
    }
    merger.codes_by_table.push(Some(codes));
}

/// Parses one cell into the draft, or reports it.
fn read_cell(kind: ColumnKind, at: CellAt, d: &mut Draft, problems: &mut Vec<CellProblem>) {
    let text = at.text.clone();
    let text = text.as_str();
    let required = |what: &str| format!("为空：请填写{what}");
    macro_rules! bad {
        ($msg:expr) => {{
            d.bad.insert(kind.slot());
            problems.push(at.problem($msg));
            return;
        }};
    }
    let range = |text: &str| -> Result<Option<IndicatorRange>, String> {
        if is_blank_marker(text) {
            Ok(None)
        } else {
            IndicatorRange::parse(text)
                .map(Some)
                .map_err(|e| e.to_string())
        }
    };
    let positive = |m: Money, what: &str| -> Result<Money, String> {
        if m.is_positive() {
            Ok(m)
        } else {
            Err(format!("{what}必须大于 0"))
        }
    };
    match kind {
        ColumnKind::Code => {}
        ColumnKind::Location => match parse_location(text) {
            Ok(v) => set(&mut d.location, v, at, problems),
            Err(e) => bad!(e.to_string()),
        },
        ColumnKind::LandUse => match LandUse::parse(text) {
            Ok(v) => set(&mut d.land_use, v, at, problems),
            Err(e) => bad!(e.to_string()),
        },
        ColumnKind::LandArea => match Area::parse(text) {
            Ok(v) if v.is_positive() => set(&mut d.land_area, v, at, problems),
            Ok(_) => bad!("土地面积必须大于 0".to_owned()),
            Err(e) => bad!(e.to_string()),
        },
        ColumnKind::FloorArea | ColumnKind::Density | ColumnKind::GreenRatio => {
            let slot = match kind {
                ColumnKind::FloorArea => &mut d.floor_area,
                ColumnKind::Density => &mut d.density,
                _ => &mut d.green_ratio,
            };
            match range(text) {
                Ok(v) => set(slot, v, at, problems),
                Err(e) => bad!(e),
            }
        }
        ColumnKind::Far => {
            if text.is_empty() {
                bad!(required("容积率，例如 ≥0.45且<0.91"));
            }
            match range(text) {
                Ok(v) => set(&mut d.far, v, at, problems),
                Err(e) => bad!(e),
            }
        }
        ColumnKind::Terms => match Terms::parse(text) {
            Ok(v) => set(&mut d.terms, v, at, problems),
            Err(e) => bad!(e.to_string()),
        },
        ColumnKind::StartPrice(unit) | ColumnKind::Increment(unit) => {
            let what = if matches!(kind, ColumnKind::StartPrice(_)) {
                "起挂牌价"
            } else {
                "加价幅度"
            };
            match unit.parse(text).and_then(|m| positive(m, what)) {
                Ok(m) => {
                    let slot = if matches!(kind, ColumnKind::StartPrice(_)) {
                        &mut d.start_price
                    } else {
                        &mut d.increment
                    };
                    set(slot, (m, unit.basis()), at, problems);
                }
                Err(e) => bad!(e),
            }
        }
        ColumnKind::Deposit(unit) => match unit.parse(text).and_then(|m| positive(m, "竞买保证金"))
        {
            Ok(m) => set(&mut d.deposit, m, at, problems),
            Err(e) => bad!(e),
        },
        ColumnKind::Rule => {
            if text.is_empty() {
                bad!(required("竞买规则，例如 本地块竞买实行限房价竞地价不摇号"));
            }
            if text.chars().any(char::is_control) {
                bad!("竞买规则含有换行、制表符等控制字符：请写成一行".to_owned());
            }
            let features = RuleFeatures::of(text);
            if !features.is_recognised() {
                bad!("无法识别的竞买规则：应写明 价高者得 或 限房价竞地价，设最高限价时写明达到最高限价后的方式（摇号、一次报价、竞配建或竞自持），例如 本地块竞买实行限房价竞地价不摇号".to_owned());
            }
            if features.conflicting_follow_ons {
                bad!("竞买规则写了多种达到最高限价后的方式：只能是摇号、一次报价、竞配建、竞自持中的一种".to_owned());
            }
            set(&mut d.rule, (text.to_owned(), features), at, problems);
        }
        ColumnKind::HousingPriceCap => {
            let v = if is_blank_marker(text) {
                Ok(None)
            } else {
                Money::parse_yuan(text)
                    .map_err(|e| e.to_string())
                    .and_then(|m| positive(m, "房屋最高备案指导均价"))
                    .map(Some)
            };
            match v {
                Ok(v) => set(&mut d.housing_price_cap, v, at, problems),
                Err(e) => bad!(e),
            }
        }
        ColumnKind::PriceCap(unit) => {
            let v = if is_blank_marker(text) {
                Ok(None)
            } else {
                unit.parse(text)
                    .and_then(|m| positive(m, "最高限价"))
                    .map(|m| Some((m, unit.basis())))
            };
            match v {
                Ok(v) => set(&mut d.price_cap, v, at, problems),
                Err(e) => bad!(e),
            }
        }
        ColumnKind::ApplicationAndDeposit
        | ColumnKind::Application
        | ColumnKind::DepositWindow
        | ColumnKind::Listing => match Window::parse_cn(text) {
            Ok(w) => match kind {
                ColumnKind::ApplicationAndDeposit => {
                    set(&mut d.application, w, at.clone(), problems);
                    set(&mut d.deposit_window, w, at, problems);
                }
                ColumnKind::Application => set(&mut d.application, w, at, problems),
                ColumnKind::DepositWindow => set(&mut d.deposit_window, w, at, problems),
                _ => set(&mut d.listing, w, at, problems),
            },
            Err(e) => bad!(e.to_string()),
        },
        ColumnKind::Notes => {
            if is_blank_marker(text) {
                set(&mut d.notes, None, at, problems);
            } else {
                match parse_note(text) {
                    Ok(v) => set(&mut d.notes, Some(v), at, problems),
                    Err(e) => bad!(e.to_string()),
                }
            }
        }
    }
}

/// Every table with codes must list every parcel.
fn check_coverage(tables: &[Table], merger: &Merger, problems: &mut Vec<CellProblem>) {
    for (table, codes) in tables.iter().zip(&merger.codes_by_table) {
        let Some(codes) = codes else { continue };
        for code in &merger.order {
            if !codes.contains(code) {
                problems.push(CellProblem {
                    table: table.label.clone(),
                    row: Some(table.rows[0].0),
                    column: None,
                    value: String::new(),
                    expected: format!(
                        "缺少地块 {code} 的行：其他表格列出了该地块，每个表格都应有它的一行"
                    ),
                });
            }
        }
    }
}

impl Merger {
    fn finish(
        &mut self,
        tables: &[Table],
        options: &ImportOptions,
        problems: &mut Vec<CellProblem>,
    ) -> Vec<Parcel> {
        let whole = |expected: String| CellProblem {
            table: String::new(),
            row: None,
            column: None,
            value: String::new(),
            expected,
        };
        if tables.is_empty() {
            problems.push(whole(
                "没有找到表格：请粘贴含表头行的出让地块表格".to_owned(),
            ));
            return Vec::new();
        }
        let identity = [
            (ColumnKind::Location, "地块位置"),
            (ColumnKind::LandUse, "用地性质"),
            (ColumnKind::LandArea, "土地面积(M²)"),
        ];
        let missing: Vec<&str> = identity
            .iter()
            .filter(|(kind, _)| !self.seen_slots.contains(&kind.slot()))
            .map(|(_, name)| *name)
            .collect();
        if !missing.is_empty() && !self.order.is_empty() {
            problems.push(whole(format!(
                "表格中缺少{}列：出让地块表格（表1）必须有这些列",
                missing.join("、")
            )));
        }
        let mut parcels = Vec::new();
        for code in &self.order {
            let Some(d) = self.drafts.remove(code) else {
                continue;
            };
            let code_at = d.code_at.clone();
            let at_code = |expected: String| match &code_at {
                Some(at) => at.problem(expected),
                None => whole(expected),
            };
            let (Some(location), Some(land_use), Some(land_area)) =
                (&d.location, &d.land_use, &d.land_area)
            else {
                // The column is missing (reported once above) or its cell
                // was bad (reported with the cell).
                continue;
            };
            let mut parcel = Parcel::draft(
                code.clone(),
                location.value.clone(),
                land_use.value.clone(),
                land_area.value,
            );
            parcel.floor_area = d.floor_area.as_ref().and_then(|s| s.value.clone());
            parcel.far = d.far.as_ref().and_then(|s| s.value.clone());
            parcel.density = d.density.as_ref().and_then(|s| s.value.clone());
            parcel.green_ratio = d.green_ratio.as_ref().and_then(|s| s.value.clone());
            parcel.terms = d.terms.as_ref().map(|s| s.value.clone());
            parcel.deposit = d.deposit.as_ref().map(|s| s.value);
            parcel.notes = d
                .notes
                .as_ref()
                .and_then(|s| s.value.clone())
                .into_iter()
                .collect();

            // One price basis for the parcel's start price, increment and cap.
            let basis = d.start_price.as_ref().map(|s| s.value.1);
            parcel.price_basis = basis.unwrap_or_default();
            parcel.start_price = d.start_price.as_ref().map(|s| s.value.0);
            for other in [
                d.increment.as_ref().map(|s| (s.value.1, &s.at)),
                d.price_cap
                    .as_ref()
                    .and_then(|s| s.value.map(|v| (v.1, &s.at))),
            ]
            .into_iter()
            .flatten()
            {
                if basis.is_some_and(|b| b != other.0) {
                    problems.push(other.1.problem(
                        "单位与起挂牌价不一致：单价（元/M²）与总价（元、万元）不能混用".to_owned(),
                    ));
                }
            }
            parcel.increment = match &d.increment {
                Some(s) => Some(s.value.0),
                None => match parcel.price_basis {
                    PriceBasis::Unit => options.default_unit_increment,
                    PriceBasis::Total => options.default_total_increment,
                },
            };

            parcel.rule = build_rule(&d, problems);

            let windows = [&d.application, &d.deposit_window, &d.listing];
            if windows.iter().all(|w| w.is_some()) {
                if let (Some(a), Some(dep), Some(l)) =
                    (&d.application, &d.deposit_window, &d.listing)
                {
                    parcel.windows = Some(Windows {
                        application: a.value,
                        deposit: dep.value,
                        listing: l.value,
                    });
                }
            } else if windows.iter().any(|w| w.is_some())
                && ![
                    ColumnKind::Application,
                    ColumnKind::DepositWindow,
                    ColumnKind::Listing,
                ]
                .iter()
                .any(|k| d.bad.contains(&k.slot()))
            {
                let missing: Vec<&str> = [
                    (d.application.is_none(), "网上竞买申请时间"),
                    (d.deposit_window.is_none(), "缴纳保证金时间"),
                    (d.listing.is_none(), "网上挂牌出让时间"),
                ]
                .iter()
                .filter(|(m, _)| *m)
                .map(|(_, n)| *n)
                .collect();
                problems.push(at_code(format!(
                    "地块 {code} 的时间不完整：缺少{}",
                    missing.join("、")
                )));
            }
            parcels.push(parcel);
        }
        parcels
    }
}

/// Builds the bidding rule from the rule text and the cap columns, and
/// reports what does not fit together.
fn build_rule(d: &Draft, problems: &mut Vec<CellProblem>) -> BiddingRule {
    let mut rule = BiddingRule::default();
    let bad = |kind: ColumnKind| d.bad.contains(&kind.slot());
    if bad(ColumnKind::Rule)
        || bad(ColumnKind::HousingPriceCap)
        || bad(ColumnKind::PriceCap(MoneyColumnUnit::Yuan))
    {
        // The bad cell is reported; the rest cannot be judged without it.
        return rule;
    }
    let housing = d
        .housing_price_cap
        .as_ref()
        .and_then(|s| s.value.map(|v| (v, &s.at)));
    let cap = d
        .price_cap
        .as_ref()
        .and_then(|s| s.value.map(|v| (v.0, &s.at)));
    let Some(Sourced {
        value: (text, features),
        at: rule_at,
    }) = &d.rule
    else {
        if let Some((_, at)) = housing {
            problems.push(at.problem(
                "填写了房屋最高备案指导均价，但没有“竞买规则”列写明限房价竞地价".to_owned(),
            ));
        }
        if let Some((_, at)) = cap {
            problems.push(
                at.problem("填写了最高限价，但没有“竞买规则”列写明达到最高限价后的方式".to_owned()),
            );
        }
        return rule;
    };
    rule.text = Some(text.clone());
    if features.limited_housing_price {
        match housing {
            Some((value, _)) => {
                rule.mode = BiddingMode::LimitedHousingPrice {
                    housing_price_cap: Some(value),
                }
            }
            None => {
                let where_ = if d.housing_price_cap.is_some() {
                    "请在“房屋最高备案指导均价”列填写"
                } else {
                    "表格中缺少“房屋最高备案指导均价(元/M²)”列"
                };
                problems.push(rule_at.problem(format!(
                    "竞买规则为限房价竞地价，但没有房屋最高备案指导均价：{where_}"
                )));
            }
        }
    } else if let Some((_, at)) = housing {
        problems
            .push(at.problem("填写了房屋最高备案指导均价，但竞买规则不是限房价竞地价".to_owned()));
    }
    match (features.follow_on, cap) {
        (Some(kind), Some((max_price, _))) => {
            rule.price_cap = Some(PriceCap {
                max_price,
                follow_on: FollowOn::blank(kind),
            });
        }
        (Some(kind), None) => problems.push(rule_at.problem(format!(
            "竞买规则写明达到最高限价后{}，但没有填写最高限价：{}",
            kind.label_cn(),
            if d.price_cap.is_some() {
                "请在“最高限价”列填写"
            } else {
                "请增加“最高限价(元/M²)”列"
            }
        ))),
        (None, Some((_, at))) => problems.push(at.problem(
            "填写了最高限价，但竞买规则没有写明达到最高限价后的方式（摇号、一次报价、竞配建或竞自持）".to_owned(),
        )),
        (None, None) => {}
    }
    rule
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(27), "AB");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
    }

    #[test]
    fn headers_are_recognised_through_the_noise() {
        assert_eq!(
            normalize_header("土地面积(M <sup>2</sup> )"),
            "土地面积(M2)"
        );
        assert_eq!(
            recognise_header("土地面积(M <sup>2</sup> )"),
            Ok(ColumnKind::LandArea)
        );
        assert_eq!(recognise_header("土地面积（㎡）"), Ok(ColumnKind::LandArea));
        assert_eq!(
            recognise_header("土地面积(平方米)"),
            Ok(ColumnKind::LandArea)
        );
        assert_eq!(
            recognise_header("起挂牌价(元/M <sup>2</sup> )"),
            Ok(ColumnKind::StartPrice(MoneyColumnUnit::YuanPerM2))
        );
        assert_eq!(
            recognise_header("起挂土地单价(元/m²)"),
            Ok(ColumnKind::StartPrice(MoneyColumnUnit::YuanPerM2))
        );
        assert_eq!(
            recognise_header("竞买保证金(万元)"),
            Ok(ColumnKind::Deposit(MoneyColumnUnit::WanYuan))
        );
        assert!(recognise_header("竞买保证金")
            .unwrap_err()
            .contains("没有注明金额单位"));
        assert!(recognise_header("土地面积(亩)")
            .unwrap_err()
            .contains("单位“亩”"));
        assert!(recognise_header("价格")
            .unwrap_err()
            .contains("无法识别的表头"));
        assert_eq!(recognise_header("建筑密度(%)"), Ok(ColumnKind::Density));
        assert_eq!(recognise_header("出让年期(年)"), Ok(ColumnKind::Terms));
        assert_eq!(
            recognise_header("网上竞买申请和缴纳保证金时间"),
            Ok(ColumnKind::ApplicationAndDeposit)
        );
        assert_eq!(
            recognise_header("网上挂牌出让时间"),
            Ok(ColumnKind::Listing)
        );
        for header in [
            crate::notice::render::headers::CODE,
            crate::notice::render::headers::LAND_AREA,
            crate::notice::render::headers::FLOOR_AREA,
            crate::notice::render::headers::START_PRICE_UNIT,
            crate::notice::render::headers::START_PRICE_TOTAL,
            crate::notice::render::headers::START_LAND_UNIT_PRICE,
            crate::notice::render::headers::PRICE_CAP_UNIT,
            crate::notice::render::headers::PRICE_CAP_TOTAL,
            crate::notice::render::headers::HOUSING_PRICE_CAP,
            crate::notice::render::headers::DEPOSIT,
            crate::notice::render::headers::RULE,
            crate::notice::render::headers::APPLICATION_AND_DEPOSIT,
            crate::notice::render::headers::APPLICATION,
            crate::notice::render::headers::DEPOSIT_WINDOW,
            crate::notice::render::headers::LISTING,
            crate::notice::render::headers::NOTES,
        ] {
            assert!(recognise_header(header).is_ok(), "{header}");
        }
    }

    #[test]
    fn text_grids() {
        let g =
            Grid::parse_text("a\tb\r\n\"x\ty\"\t\"say \"\"hi\"\"\"\n\n", TextFormat::Tsv).unwrap();
        assert_eq!(
            g.rows,
            vec![
                vec!["a".to_owned(), "b".to_owned()],
                vec!["x\ty".to_owned(), "say \"hi\"".to_owned()],
                vec![String::new()],
            ]
        );
        let g = Grid::parse_text("\u{FEFF}a,\"b,c\"\n\"multi\nline\",d", TextFormat::Csv).unwrap();
        assert_eq!(
            g.rows,
            vec![
                vec!["a".to_owned(), "b,c".to_owned()],
                vec!["multi\nline".to_owned(), "d".to_owned()],
            ]
        );
        let e = Grid::parse_text("a,\"b\nc", TextFormat::Csv).unwrap_err();
        assert_eq!(e.problems.len(), 1);
        assert_eq!(e.problems[0].row, Some(1));
        assert_eq!(e.problems[0].column.as_ref().unwrap().letter, "B");
        assert_eq!(TextFormat::detect("a\tb"), TextFormat::Tsv);
        assert_eq!(TextFormat::detect("a,b"), TextFormat::Csv);
        assert!(Grid::parse_text("", TextFormat::Csv)
            .unwrap()
            .rows
            .is_empty());
    }

    #[test]
    fn captions_and_notes() {
        assert!(is_caption("表1"));
        assert!(is_caption("表 3"));
        assert!(is_caption("表2 挂牌价格和竞买规则"));
        assert!(!is_caption("表"));
        assert!(!is_caption("地块"));
        assert_eq!(notes_row("注:节假日不休息"), Some("节假日不休息"));
        assert_eq!(notes_row("注：节假日不休息"), Some("节假日不休息"));
        assert_eq!(notes_row("注意"), None);
        assert_eq!(strip_numbering("1.节假日不休息"), "节假日不休息");
        assert_eq!(strip_numbering("（2）其他"), "其他");
        assert_eq!(strip_numbering("2020年"), "2020年");
    }
}
