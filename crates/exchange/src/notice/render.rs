//! The notice in its official form: as plain text and as a view model.
//!
//! Why one renderer for both: the public page, the print view, the plain
//! text and the preview an officer checks before publishing must show the
//! same figures in the same words. [`NoticeView`] is that single source:
//! strings only, ready for an HTML template, and [`render_text`] prints it.
//!
//! The form follows the seed's two notices. A notice whose parcels all sell
//! to the highest price (第60号) has two tables: 表1 with the planning
//! conditions, the start price and the deposit, 表2 with the windows. A
//! notice with any other rule (第61号, 限房价竞地价) has three: 表1 planning,
//! 表2 rule, prices, price caps and deposit, 表3 windows. Every figure is
//! printed as the notice prints it: areas with two decimals (6651.11),
//! ranges in their own notation (≤5990), whole yuan without decimals (480),
//! deposits in 万元 (70), windows in words
//! ("2020年12月29日起,2021年1月6日上午11时止").
//!
//! The increment (加价幅度) is not part of the official tables (Nantong
//! prints it in the 出让须知); it is in each parcel's detail view.

use super::parcel::{format_yuan, Parcel, PriceBasis};
use super::{Notice, NoticeStatus};
use serde::Serialize;
use yiwang_core::{Money, Timestamp};

/// Which set of tables a notice is printed with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TableLayout {
    /// 表1 planning + price + deposit, 表2 windows (第60号).
    Combined,
    /// 表1 planning, 表2 rule + prices + deposit, 表3 windows (第61号).
    Separate,
}

impl TableLayout {
    /// [`Separate`](TableLayout::Separate) as soon as one parcel has a rule
    /// other than plain 价高者得, since the rule needs its own column.
    pub fn for_notice(notice: &Notice) -> TableLayout {
        if notice.parcels.iter().all(|p| p.rule.is_plain()) {
            TableLayout::Combined
        } else {
            TableLayout::Separate
        }
    }
}

/// Column headers, as the notice prints them (the seed's `M <sup>2</sup>`
/// is M²). [`import`](super::import) recognises all of them.
pub mod headers {
    pub const CODE: &str = "地块编号";
    pub const LOCATION: &str = "地块位置";
    pub const LAND_USE: &str = "用地性质";
    pub const LAND_AREA: &str = "土地面积(M²)";
    pub const FLOOR_AREA: &str = "建筑面积(M²)";
    pub const FAR: &str = "容积率";
    pub const DENSITY: &str = "建筑密度(%)";
    pub const GREEN_RATIO: &str = "绿地率(%)";
    pub const TERMS: &str = "出让年期(年)";
    pub const START_PRICE_UNIT: &str = "起挂牌价(元/M²)";
    pub const START_PRICE_TOTAL: &str = "起挂牌价(万元)";
    pub const START_LAND_UNIT_PRICE: &str = "起挂土地单价(元/M²)";
    pub const PRICE_CAP_UNIT: &str = "最高限价(元/M²)";
    pub const PRICE_CAP_TOTAL: &str = "最高限价(万元)";
    pub const HOUSING_PRICE_CAP: &str = "房屋最高备案指导均价(元/M²)";
    pub const DEPOSIT: &str = "竞买保证金(万元)";
    pub const RULE: &str = "竞买规则";
    pub const APPLICATION_AND_DEPOSIT: &str = "网上竞买申请和缴纳保证金时间";
    pub const APPLICATION: &str = "网上竞买申请时间";
    pub const DEPOSIT_WINDOW: &str = "缴纳保证金时间";
    pub const LISTING: &str = "网上挂牌出让时间";
    pub const NOTES: &str = "备注";
}

/// A table: caption ("表1"), header row and body rows, all as printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TableView {
    pub caption: String,
    pub header: Vec<String>,
    pub rows: Vec<Vec<String>>,
}

/// One labelled figure of a parcel's detail view.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LabeledValue {
    pub label: String,
    pub value: String,
}

/// A parcel's figures for its listing page, including those the official
/// tables leave to the 出让须知 (the increment, the total start price).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ParcelView {
    pub code: String,
    pub fields: Vec<LabeledValue>,
    /// RFC 3339 instants for countdowns; `None` in a draft without windows.
    pub application_deadline: Option<String>,
    pub deposit_deadline: Option<String>,
    pub listing_start: Option<String>,
    pub listing_end: Option<String>,
}

/// A supplementary notice as printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SupplementView {
    pub number: String,
    pub published_on: String,
    pub text: String,
}

/// Everything a page, a print view or the plain text needs, as strings.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct NoticeView {
    pub title: String,
    pub number: String,
    pub preamble: String,
    pub layout: TableLayout,
    pub tables: Vec<TableView>,
    /// The lines under the tables: "注:节假日不休息", or "注:" followed by
    /// numbered notes.
    pub note_lines: Vec<String>,
    pub issuer: String,
    /// "2020年12月9日"; `None` for a draft.
    pub published_on: Option<String>,
    pub status_code: String,
    pub status_label: String,
    pub supplements: Vec<SupplementView>,
    /// "本公告已于2020年12月21日终止。终止原因：…", for a terminated notice.
    pub termination: Option<String>,
    pub parcels: Vec<ParcelView>,
}

/// What a cell shows when a draft has no value yet.
pub const BLANK: &str = "—";

/// A date as notices print it: "2020年12月9日".
pub fn format_date_cn(t: Timestamp) -> String {
    let d = t.shanghai_date();
    format!("{}年{}月{}日", d.year(), u8::from(d.month()), d.day())
}

/// The opening paragraph of the seed's notices, for `issuer` and the layout
/// the notice will be printed with.
pub fn standard_preamble(issuer: &str, layout: TableLayout) -> String {
    let (what, tables) = match layout {
        TableLayout::Combined => ("", "表1、表2"),
        TableLayout::Separate => ("、挂牌价格和竞买规则", "表1、表2、表3"),
    };
    format!(
        "根据国家有关法律、法规,经南通市人民政府批准,{issuer}以网上挂牌方式,通过南通市国有建设用地使用权网上交易系统(http://www.landnt.com)出让下述宗地国有建设用地使用权。出让地块的基本情况和规划指标要求{what},以及网上竞买申请、缴纳保证金和挂牌出让时间详见下{tables}。"
    )
}

fn or_blank<T>(value: Option<T>, f: impl FnOnce(T) -> String) -> String {
    value.map_or_else(|| BLANK.to_owned(), f)
}

/// A price in the notice's unit for the table whose header is in `basis`:
/// "480" (元/M²) or "3000" (万元); a parcel in the other basis shows its
/// unit in the cell.
fn price_cell(parcel: &Parcel, price: Option<Money>, header_basis: PriceBasis) -> String {
    or_blank(price, |m| {
        let text = match parcel.price_basis {
            PriceBasis::Unit => format_yuan(m),
            PriceBasis::Total => m.to_wan_yuan_string(),
        };
        match (parcel.price_basis == header_basis, parcel.price_basis) {
            (true, _) => text,
            (false, PriceBasis::Unit) => format!("{text}元/M²"),
            (false, PriceBasis::Total) => format!("{text}万元"),
        }
    })
}

fn planning_cells(p: &Parcel) -> Vec<String> {
    vec![
        p.code.to_string(),
        p.location.clone(),
        p.land_use.to_string(),
        p.land_area.to_string(),
        or_blank(p.floor_area.as_ref(), ToString::to_string),
        or_blank(p.far.as_ref(), ToString::to_string),
        or_blank(p.density.as_ref(), ToString::to_string),
        or_blank(p.green_ratio.as_ref(), ToString::to_string),
        or_blank(p.terms.as_ref(), ToString::to_string),
    ]
}

fn planning_header() -> Vec<String> {
    use headers::*;
    [
        CODE,
        LOCATION,
        LAND_USE,
        LAND_AREA,
        FLOOR_AREA,
        FAR,
        DENSITY,
        GREEN_RATIO,
        TERMS,
    ]
    .map(str::to_owned)
    .to_vec()
}

fn deposit_cell(p: &Parcel) -> String {
    or_blank(p.deposit, Money::to_wan_yuan_string)
}

fn header_basis(notice: &Notice) -> PriceBasis {
    notice
        .parcels
        .first()
        .map_or(PriceBasis::Unit, |p| p.price_basis)
}

fn windows_table(notice: &Notice, caption: &str) -> TableView {
    use headers::*;
    let shared = notice
        .parcels
        .iter()
        .all(|p| p.windows.is_none_or(|w| w.shared_application_deposit()));
    let with_notes = notice.parcels.iter().any(|p| !p.notes.is_empty());
    let mut header = vec![CODE.to_owned()];
    if shared {
        header.push(APPLICATION_AND_DEPOSIT.to_owned());
    } else {
        header.push(APPLICATION.to_owned());
        header.push(DEPOSIT_WINDOW.to_owned());
    }
    header.push(LISTING.to_owned());
    if with_notes {
        header.push(NOTES.to_owned());
    }
    let rows = notice
        .parcels
        .iter()
        .map(|p| {
            let mut row = vec![p.code.to_string()];
            row.push(or_blank(p.windows, |w| w.application.format_cn()));
            if !shared {
                row.push(or_blank(p.windows, |w| w.deposit.format_cn()));
            }
            row.push(or_blank(p.windows, |w| w.listing.format_cn()));
            if with_notes {
                row.push(if p.notes.is_empty() {
                    BLANK.to_owned()
                } else {
                    p.notes.join("；")
                });
            }
            row
        })
        .collect();
    TableView {
        caption: caption.to_owned(),
        header,
        rows,
    }
}

/// The notice's tables in its [`TableLayout`].
pub fn tables(notice: &Notice) -> Vec<TableView> {
    use headers::*;
    let basis = header_basis(notice);
    match TableLayout::for_notice(notice) {
        TableLayout::Combined => {
            let mut header = planning_header();
            header.push(
                match basis {
                    PriceBasis::Unit => START_PRICE_UNIT,
                    PriceBasis::Total => START_PRICE_TOTAL,
                }
                .to_owned(),
            );
            header.push(DEPOSIT.to_owned());
            let rows = notice
                .parcels
                .iter()
                .map(|p| {
                    let mut row = planning_cells(p);
                    row.push(price_cell(p, p.start_price, basis));
                    row.push(deposit_cell(p));
                    row
                })
                .collect();
            vec![
                TableView {
                    caption: "表1".to_owned(),
                    header,
                    rows,
                },
                windows_table(notice, "表2"),
            ]
        }
        TableLayout::Separate => {
            let planning = TableView {
                caption: "表1".to_owned(),
                header: planning_header(),
                rows: notice.parcels.iter().map(planning_cells).collect(),
            };
            let any_cap = notice.parcels.iter().any(|p| p.rule.price_cap.is_some());
            let any_housing = notice
                .parcels
                .iter()
                .any(|p| p.rule.housing_price_cap().is_some());
            let mut header = vec![CODE.to_owned(), RULE.to_owned()];
            header.push(
                match basis {
                    PriceBasis::Unit => START_LAND_UNIT_PRICE,
                    PriceBasis::Total => START_PRICE_TOTAL,
                }
                .to_owned(),
            );
            if any_cap {
                header.push(
                    match basis {
                        PriceBasis::Unit => PRICE_CAP_UNIT,
                        PriceBasis::Total => PRICE_CAP_TOTAL,
                    }
                    .to_owned(),
                );
            }
            if any_housing {
                header.push(HOUSING_PRICE_CAP.to_owned());
            }
            header.push(DEPOSIT.to_owned());
            let rows = notice
                .parcels
                .iter()
                .map(|p| {
                    let mut row = vec![p.code.to_string(), p.rule.describe()];
                    row.push(price_cell(p, p.start_price, basis));
                    if any_cap {
                        row.push(price_cell(
                            p,
                            p.rule.price_cap.as_ref().map(|c| c.max_price),
                            basis,
                        ));
                    }
                    if any_housing {
                        row.push(or_blank(p.rule.housing_price_cap(), format_yuan));
                    }
                    row.push(deposit_cell(p));
                    row
                })
                .collect();
            vec![
                planning,
                TableView {
                    caption: "表2".to_owned(),
                    header,
                    rows,
                },
                windows_table(notice, "表3"),
            ]
        }
    }
}

fn parcel_view(p: &Parcel) -> ParcelView {
    let mut fields = Vec::new();
    let mut add = |label: &str, value: String| {
        fields.push(LabeledValue {
            label: label.to_owned(),
            value,
        });
    };
    let (price_unit, price_text): (&str, fn(Money) -> String) = match p.price_basis {
        PriceBasis::Unit => ("元/平方米", format_yuan),
        PriceBasis::Total => ("万元", Money::to_wan_yuan_string),
    };
    add("地块编号", p.code.to_string());
    add("地块位置", p.location.clone());
    add("用地性质", p.land_use.to_string());
    add("土地面积", format!("{} 平方米", p.land_area));
    add(
        "建筑面积",
        or_blank(p.floor_area.as_ref(), |r| format!("{r} 平方米")),
    );
    add("容积率", or_blank(p.far.as_ref(), ToString::to_string));
    add(
        "建筑密度",
        or_blank(p.density.as_ref(), |r| format!("{r} %")),
    );
    add(
        "绿地率",
        or_blank(p.green_ratio.as_ref(), |r| format!("{r} %")),
    );
    add(
        "出让年期",
        or_blank(p.terms.as_ref(), |t| format!("{t} 年")),
    );
    add("竞买规则", p.rule.describe());
    add(
        "起挂牌价",
        or_blank(p.start_price, |m| format!("{} {price_unit}", price_text(m))),
    );
    if p.price_basis == PriceBasis::Unit {
        add(
            "起始总价",
            or_blank(p.start_price.and_then(|m| p.total_price(m)), |m| {
                format!("{} 元", m.format_grouped())
            }),
        );
    }
    add(
        "加价幅度",
        or_blank(p.increment, |m| format!("{} {price_unit}", price_text(m))),
    );
    if let Some(cap) = &p.rule.price_cap {
        add(
            "最高限价",
            format!("{} {price_unit}", price_text(cap.max_price)),
        );
        add("达到最高限价后", cap.follow_on.kind().label_cn().to_owned());
    }
    if let Some(h) = p.rule.housing_price_cap() {
        add(
            "房屋最高备案指导均价",
            format!("{} 元/平方米", format_yuan(h)),
        );
    }
    add(
        "竞买保证金",
        or_blank(p.deposit, |m| format!("{} 万元", m.to_wan_yuan_string())),
    );
    if let Some(w) = p.windows {
        if w.shared_application_deposit() {
            add("网上竞买申请和缴纳保证金时间", w.application.format_cn());
        } else {
            add("网上竞买申请时间", w.application.format_cn());
            add("缴纳保证金时间", w.deposit.format_cn());
        }
        add("网上挂牌出让时间", w.listing.format_cn());
    } else {
        add("网上挂牌出让时间", BLANK.to_owned());
    }
    for note in &p.notes {
        add("备注", note.clone());
    }
    ParcelView {
        code: p.code.to_string(),
        fields,
        application_deadline: p.windows.map(|w| w.application.end.to_rfc3339()),
        deposit_deadline: p.windows.map(|w| w.deposit.end.to_rfc3339()),
        listing_start: p.windows.map(|w| w.listing.start.to_rfc3339()),
        listing_end: p.windows.map(|w| w.listing.end.to_rfc3339()),
    }
}

/// The lines printed for the notice's notes.
fn note_lines(notes: &[String]) -> Vec<String> {
    match notes {
        [] => Vec::new(),
        [one] => vec![format!("注:{one}")],
        many => std::iter::once("注:".to_owned())
            .chain(
                many.iter()
                    .enumerate()
                    .map(|(i, n)| format!("{}.{n}", i + 1)),
            )
            .collect(),
    }
}

impl NoticeView {
    /// Builds the view of `notice`.
    pub fn of(notice: &Notice) -> NoticeView {
        NoticeView {
            title: notice.title.clone(),
            number: notice.number.to_string(),
            preamble: notice.preamble.clone(),
            layout: TableLayout::for_notice(notice),
            tables: tables(notice),
            note_lines: note_lines(&notice.notes),
            issuer: notice.issuer.clone(),
            published_on: notice.published_at.map(format_date_cn),
            status_code: notice.status.code().to_owned(),
            status_label: notice.status.label_cn().to_owned(),
            supplements: notice
                .supplements
                .iter()
                .map(|s| SupplementView {
                    number: s.number.clone(),
                    published_on: format_date_cn(s.published_at),
                    text: s.text.clone(),
                })
                .collect(),
            termination: match &notice.status {
                NoticeStatus::Terminated { at, reason } => Some(format!(
                    "本公告已于{}终止。终止原因：{reason}",
                    format_date_cn(*at)
                )),
                _ => None,
            },
            parcels: notice.parcels.iter().map(parcel_view).collect(),
        }
    }

    /// The view as plain text; see [`render_text`].
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let mut para = |text: &str| {
            if !out.is_empty() {
                out.push_str("\n\n");
            }
            out.push_str(text);
        };
        para(&self.title);
        para(&self.number);
        para(&self.preamble);
        for table in &self.tables {
            para(&table.caption);
            let lines: Vec<String> = std::iter::once(&table.header)
                .chain(&table.rows)
                .map(|row| row.join("\t"))
                .collect();
            para(&lines.join("\n"));
        }
        if !self.note_lines.is_empty() {
            para(&self.note_lines.join("\n"));
        }
        match &self.published_on {
            Some(date) => para(&format!("{}\n{date}", self.issuer)),
            None => para(&self.issuer),
        }
        for s in &self.supplements {
            para(&format!(
                "补充公告 {}({})\n\n{}",
                s.number, s.published_on, s.text
            ));
        }
        if let Some(t) = &self.termination {
            para(t);
        }
        out.push('\n');
        out
    }
}

/// The notice as plain text in its official form: title, number, preamble,
/// the tables (tab-separated, as they paste into Excel), the notes, the
/// issuer and date, then any supplements and the termination.
pub fn render_text(notice: &Notice) -> String {
    NoticeView::of(notice).to_text()
}
