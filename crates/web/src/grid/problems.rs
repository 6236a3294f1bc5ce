//! Problem data (问题数据) for grid staff and the command centre: the count
//! per detector and per grid, each detector's work list with links to the
//! records, the XLSX export of the lists, the intake of legacy records
//! (import, a record's page where it is corrected and entered into the
//! register, deletion), and the fixes of look-alike residents (merge, or
//! "two people").
//!
//! The rules are `yiwang_grid::problems`'s (its module docs say where bad
//! records come from and what fixes each); the store counts and lists
//! them. A record leaves its list as soon as it is fixed, so each list
//! reaches zero.
//!
//! # Who sees what
//!
//! Grid leaders and workers see the lists of the grids they are assigned
//! to; supervisors see every grid. Lists and the workbook show ID numbers
//! masked for everyone (a list is what a screen shows over a shoulder);
//! an intake record's page shows its number in full to the grid's own
//! staff (audited, `intake.view`), who alone may change it, as on a
//! resident's page. Exports are audited (`problems.export`).

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use serde_json::json;
use uuid::Uuid;
use yiwang_core::Role;
use yiwang_grid::problems::{id_problem, normalise_id, read_address, Detector, IdProblem};
use yiwang_grid::{mask_phone, parse_phone};
use yiwang_store::problems::{
    GridProblemCounts, IntakeRecord, IntakeRow, ProblemItem, ProblemKind, ProblemScope,
};
use yiwang_store::residents::{masked_id_number, Flat, ResidentInput};
use yiwang_store::{Page, StoreError};

use super::pages::{entry, DirectoryRow};
use super::residents::{
    assigned_grids, audit_view, may_change, private, show_date, sight, tag_label, today, Sight,
    PAGE_SIZE, RESIDENT_STAFF,
};
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::Form;
use crate::pages::{pager, render, show_time, Chrome};
use crate::AppState;

/// Who may open the problem-data pages; the grids are decided per viewer.
pub const PROBLEM_READERS: &[Role] = RESIDENT_STAFF;

/// Lines per intake import.
pub const IMPORT_LINES: usize = 2_000;

fn kind_of(detector: Detector) -> ProblemKind {
    match detector {
        Detector::InvalidId => ProblemKind::InvalidId,
        Detector::NoBuilding => ProblemKind::NoBuilding,
        Detector::DuplicateId => ProblemKind::DuplicateId,
        Detector::PossibleDuplicate => ProblemKind::PossibleDuplicate,
        Detector::TagOverdue => ProblemKind::TagOverdue,
        Detector::Ready => ProblemKind::Ready,
    }
}

/// The grids the viewer's lists cover, narrowed to `grid` when one is
/// asked for (refused when the viewer may not see it).
async fn scope(app: &AppState, viewer: &Viewer, grid: &str) -> Result<ProblemScope, AppError> {
    let role = viewer.require()?.user.role;
    let grid = grid.trim();
    if !grid.is_empty() {
        let (code, _) = entry(app, grid).await?;
        sight(app, viewer, &code.to_string()).await?;
        return Ok(ProblemScope::grids(vec![code.to_string()]));
    }
    if role == Role::Supervisor {
        return Ok(ProblemScope::all());
    }
    Ok(ProblemScope::grids(assigned_grids(app, viewer).await?))
}

/// The filters of the pages, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ProblemFilter {
    /// One grid's code, or empty for every grid the viewer sees.
    #[serde(default)]
    pub grid: String,
    #[serde(default)]
    pub page: String,
}

impl ProblemFilter {
    fn page_number(&self) -> u32 {
        self.page.trim().parse::<u32>().unwrap_or(1).max(1)
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![("grid", self.grid.trim().to_owned())]
    }

    fn qs(&self) -> String {
        match self.grid.trim() {
            "" => String::new(),
            g => format!("?grid={g}"),
        }
    }
}

/// A detector's total, as the summary shows it.
#[derive(Debug, Clone)]
pub struct DetectorLine {
    pub code: &'static str,
    pub label: &'static str,
    pub fix: &'static str,
    pub total: u64,
}

/// A grid's counts, as the summary shows them.
#[derive(Debug, Clone)]
pub struct GridLine {
    pub code: String,
    pub name: String,
    pub counts: Vec<(&'static str, u64)>,
}

#[derive(Template)]
#[template(path = "grid/problems.html")]
struct SummaryPage {
    chrome: Chrome,
    f: ProblemFilter,
    qs: String,
    detectors: Vec<DetectorLine>,
    grids: Vec<GridLine>,
    grid_total: usize,
    /// The one grid asked for, when the viewer may import into it.
    import_grid: Option<DirectoryRow>,
    import: ImportForm,
    errors: Vec<String>,
    done: Option<String>,
    pager: String,
}

async fn grid_name(app: &AppState, code: &str) -> String {
    match entry(app, code).await {
        Ok((_, e)) => DirectoryRow::of(&e).name,
        Err(_) => code.to_owned(),
    }
}

#[allow(clippy::too_many_arguments)]
async fn summary(
    app: &AppState,
    chrome: Chrome,
    viewer: &Viewer,
    f: ProblemFilter,
    import: ImportForm,
    errors: Vec<String>,
    done: Option<String>,
) -> Result<Response, PageError> {
    let scope = scope(app, viewer, &f.grid).await?;
    let counts: Vec<GridProblemCounts> = app.store.problem_counts(&scope, today(app)).await?;
    let detectors = Detector::ALL
        .into_iter()
        .map(|d| DetectorLine {
            code: d.code(),
            label: d.label(),
            fix: d.fix(),
            total: counts.iter().map(|c| c.get(kind_of(d))).sum(),
        })
        .collect();
    let page = f.page_number();
    let start = ((page - 1) * PAGE_SIZE) as usize;
    let mut grids = Vec::new();
    for c in counts.iter().skip(start).take(PAGE_SIZE as usize) {
        grids.push(GridLine {
            name: grid_name(app, &c.grid_code).await,
            code: c.grid_code.clone(),
            counts: Detector::ALL
                .into_iter()
                .map(|d| (d.code(), c.get(kind_of(d))))
                .collect(),
        });
    }
    let import_grid = match f.grid.trim() {
        "" => None,
        g => match sight(app, viewer, g).await? {
            Sight::Full => Some(DirectoryRow::of(&entry(app, g).await?.1)),
            Sight::Masked => None,
        },
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = render(&SummaryPage {
        chrome: chrome.titled("问题数据", "grid"),
        pager: pager(
            "/grid/quality/data",
            &f.pairs(),
            page,
            PAGE_SIZE,
            counts.len() as u64,
        ),
        qs: f.qs(),
        grid_total: counts.len(),
        f,
        detectors,
        grids,
        import_grid,
        import,
        errors,
        done,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// `GET /grid/quality/data`: the count per detector and per grid.
pub async fn summary_page(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Query(f): Query<ProblemFilter>,
) -> Result<Response, PageError> {
    summary(
        &app,
        chrome,
        &viewer,
        f,
        ImportForm::default(),
        Vec::new(),
        None,
    )
    .await
}

/// One row of a work list, masked.
#[derive(Debug, Clone)]
pub struct ItemLine {
    pub grid_code: String,
    pub record_id: Uuid,
    pub name: String,
    pub id_number: String,
    pub address: String,
    pub problem: String,
    pub date: String,
    pub link: String,
    pub other_link: String,
    pub other_id: String,
    /// Whether the viewer may change the record (staff of its grid).
    pub mine: bool,
}

impl ItemLine {
    fn of(detector: Detector, item: &ProblemItem) -> ItemLine {
        let problem = match detector {
            Detector::InvalidId => IdProblem::from_code(&item.detail)
                .map_or("身份证号无效", IdProblem::label)
                .to_owned(),
            Detector::NoBuilding => "地址未匹配到本网格已登记的楼栋".to_owned(),
            Detector::DuplicateId if item.other_id.is_some() => "该身份证号已有登记".to_owned(),
            Detector::DuplicateId => "与其他待核实记录的身份证号相同".to_owned(),
            Detector::PossibleDuplicate => "同网格内有同名同出生日期的居民".to_owned(),
            Detector::TagOverdue => format!("{}已过复核日期", tag_label(&item.detail)),
            Detector::Ready => "核实无误，待入册".to_owned(),
        };
        let link = if detector.is_intake() {
            format!("/grid/intake/{}", item.record_id)
        } else {
            format!("/grid/residents/{}", item.record_id)
        };
        ItemLine {
            grid_code: item.grid_code.clone(),
            record_id: item.record_id,
            name: item.name.clone(),
            id_number: masked_id_number(&item.id_number),
            address: item.address.clone(),
            problem,
            date: match detector {
                Detector::TagOverdue => show_date(item.at),
                _ => show_time(Some(item.at)),
            },
            link,
            other_link: item
                .other_id
                .map(|id| format!("/grid/residents/{id}"))
                .unwrap_or_default(),
            other_id: item.other_id.map(|id| id.to_string()).unwrap_or_default(),
            mine: false,
        }
    }
}

#[derive(Template)]
#[template(path = "grid/problem_list.html")]
struct ListPage {
    chrome: Chrome,
    f: ProblemFilter,
    qs: String,
    code: &'static str,
    label: &'static str,
    fix: &'static str,
    merge: bool,
    total: u64,
    rows: Vec<ItemLine>,
    pager: String,
}

fn detector_of(code: &str) -> Result<Detector, AppError> {
    Detector::from_code(code.trim_end_matches(".xlsx")).ok_or(AppError::NotFound)
}

/// `GET /grid/quality/data/{kind}`: one detector's work list.
pub async fn list_page(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(kind): Path<String>,
    Query(f): Query<ProblemFilter>,
) -> Result<Response, PageError> {
    let detector = detector_of(&kind)?;
    let scope = scope(&app, &viewer, &f.grid).await?;
    let page = f.page_number();
    let found = app
        .store
        .problems(
            kind_of(detector),
            &scope,
            today(&app),
            Page::number(page, PAGE_SIZE),
        )
        .await?;
    let own = assigned_grids(&app, &viewer).await?;
    render(&ListPage {
        chrome: chrome.titled(format!("问题数据 · {}", detector.label()), "grid"),
        pager: pager(
            &format!("/grid/quality/data/{}", detector.code()),
            &f.pairs(),
            page,
            PAGE_SIZE,
            found.total,
        ),
        qs: f.qs(),
        code: detector.code(),
        label: detector.label(),
        fix: detector.fix(),
        merge: detector == Detector::PossibleDuplicate,
        total: found.total,
        rows: found
            .items
            .iter()
            .map(|i| ItemLine {
                mine: own.contains(&i.grid_code),
                ..ItemLine::of(detector, i)
            })
            .collect(),
        f,
    })
}

/// `GET /grid/quality/data.xlsx`: every list of the viewer's grids (or the
/// one asked for), one sheet each, masked (audited).
pub async fn export(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Query(f): Query<ProblemFilter>,
) -> Result<Response, PageError> {
    let scope = scope(&app, &viewer, &f.grid).await?;
    let today = today(&app);
    let mut sheets = Vec::new();
    for detector in Detector::ALL {
        let mut rows = Vec::new();
        let mut page = 1;
        loop {
            let found = app
                .store
                .problems(
                    kind_of(detector),
                    &scope,
                    today,
                    Page::number(page, Page::MAX_LIMIT),
                )
                .await?;
            let n = found.items.len();
            rows.extend(found.items.iter().map(|i| ItemLine::of(detector, i)));
            if n == 0 || rows.len() as u64 >= found.total {
                break;
            }
            page += 1;
        }
        sheets.push((detector, rows));
    }
    audit_view(
        &app,
        &viewer,
        &addr,
        "problems.export",
        ("grid", f.grid.trim().to_owned()),
        json!({
            "grids": scope.grids,
            "rows": sheets.iter().map(|(d, r)| (d.code(), r.len())).collect::<std::collections::BTreeMap<_, _>>(),
        }),
    )
    .await?;
    let bytes = workbook(&sheets).map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"problem-data.xlsx\"".to_owned(),
            ),
            (header::CACHE_CONTROL, "no-store, private".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// The work lists as a workbook, one sheet per detector.
pub fn workbook(
    sheets: &[(Detector, Vec<ItemLine>)],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    for (detector, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(detector.label())?;
        for (c, h) in ["网格", "姓名", "公民身份号码", "住址", "问题", "日期"]
            .iter()
            .enumerate()
        {
            sheet.write_string_with_format(0, c as u16, *h, &bold)?;
        }
        for (r, row) in rows.iter().enumerate() {
            let r = r as u32 + 1;
            for (c, text) in [
                &row.grid_code,
                &row.name,
                &row.id_number,
                &row.address,
                &row.problem,
                &row.date,
            ]
            .into_iter()
            .enumerate()
            {
                sheet.write_string(r, c as u16, text)?;
            }
        }
        sheet.autofit();
    }
    book.save_to_buffer()
}

/// The intake import form: CSV text.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    pub csv: String,
    /// What the lines are (a file name, a community's register).
    #[serde(default)]
    pub source: String,
}

/// The intake record form, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct IntakeForm {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub version: String,
    /// `register` to enter the record into the register after saving.
    #[serde(default)]
    pub action: String,
}

/// The fields as an intake record of `grid`, or what is too long. Nothing
/// else is refused: a legacy record is kept as given, and its problems are
/// the detectors' business.
fn intake_record(
    grid: &str,
    name: &str,
    id_number: &str,
    phone: &str,
    address: &str,
    note: &str,
) -> Result<IntakeRecord, Vec<FieldError>> {
    let mut errors = Vec::new();
    for (field, text, max, label) in [
        ("name", name, 30, "姓名"),
        ("id_number", id_number, 30, "身份证号"),
        ("phone", phone, 30, "联系电话"),
        ("address", address, 100, "住址"),
        ("note", note, 200, "备注"),
    ] {
        if text.trim().chars().count() > max {
            errors.push(FieldError::new(field, format!("{label}不超过 {max} 个字")));
        }
    }
    if name.trim().is_empty() {
        errors.push(FieldError::new("name", "请填写姓名"));
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let id_number = normalise_id(id_number);
    let (address_key, unit, room) = read_address(address).unwrap_or_default();
    Ok(IntakeRecord {
        grid_code: grid.to_owned(),
        name: name.trim().to_owned(),
        id_problem: id_problem(&id_number)
            .map(|p| p.code().to_owned())
            .unwrap_or_default(),
        id_number,
        phone: phone.trim().to_owned(),
        address: address.trim().to_owned(),
        address_key,
        unit,
        room,
        note: note.trim().to_owned(),
    })
}

/// `POST /grid/grids/{id}/intake/import`: legacy records, one a line
/// (`姓名,身份证号,联系电话,住址[,备注]`), kept as given; all lines or none.
pub async fn import(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<ImportForm>,
) -> Result<Response, PageError> {
    let (code, _) = entry(&app, &id).await?;
    let grid = code.to_string();
    may_change(&app, &viewer, &grid).await?;
    let lines: Vec<(usize, &str)> = form
        .csv
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with("姓名"))
        .collect();
    let mut errors = Vec::new();
    if lines.is_empty() {
        errors.push(
            "请粘贴要导入的存量台账，每行一人：姓名,身份证号,联系电话,住址[,备注]".to_owned(),
        );
    }
    if lines.len() > IMPORT_LINES {
        errors.push(format!(
            "一次最多导入 {IMPORT_LINES} 行，本次有 {} 行：请分批导入",
            lines.len()
        ));
    }
    let source = match form.source.trim() {
        "" => format!("{grid} 存量台账"),
        s => s.chars().take(60).collect(),
    };
    let mut records = Vec::new();
    if errors.is_empty() {
        for (n, line) in &lines {
            let cells: Vec<&str> = line.split([',', '，', '\t']).map(str::trim).collect();
            if !(4..=5).contains(&cells.len()) {
                errors.push(format!(
                    "第 {n} 行：应有 4 列（姓名,身份证号,联系电话,住址）或 5 列（再加备注），实际 {} 列",
                    cells.len()
                ));
                continue;
            }
            let note = cells.get(4).copied().unwrap_or("");
            match intake_record(&grid, cells[0], cells[1], cells[2], cells[3], note) {
                Ok(r) => records.push((Uuid::now_v7(), r)),
                Err(problems) => {
                    for p in problems {
                        errors.push(format!("第 {n} 行：{}", p.message));
                    }
                }
            }
        }
    }
    let f = ProblemFilter {
        grid: grid.clone(),
        page: String::new(),
    };
    if !errors.is_empty() {
        return summary(&app, chrome, &viewer, f, form, errors, None).await;
    }
    let ctx = app.audit_ctx(&viewer, &addr);
    let n = app.store.import_intake(&ctx, &source, records).await?;
    summary(
        &app,
        chrome,
        &viewer,
        f,
        ImportForm::default(),
        Vec::new(),
        Some(format!(
            "已导入 {n} 条存量记录到待核实名单：有问题的记录列在下方各清单中，核实无误的可逐条入册"
        )),
    )
    .await
}

#[derive(Template)]
#[template(path = "grid/intake.html")]
struct IntakePage {
    chrome: Chrome,
    grid: DirectoryRow,
    id: Uuid,
    full: bool,
    form: IntakeForm,
    problems: Vec<String>,
    ready: bool,
    registered_as: String,
    source: String,
    updated: String,
    errors: Vec<FieldError>,
}

/// An intake record and the viewer's sight of its grid.
async fn intake_for(
    app: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<(IntakeRow, Sight), AppError> {
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    let row = app.store.intake(id).await?.ok_or(AppError::NotFound)?;
    let sight = sight(app, viewer, &row.record.grid_code).await?;
    Ok((row, sight))
}

/// What is wrong with an intake record, in Chinese; empty when it may be
/// entered into the register.
fn intake_problems(row: &IntakeRow) -> Vec<String> {
    let mut out = Vec::new();
    let r = &row.record;
    if let Some(p) = IdProblem::from_code(&r.id_problem) {
        out.push(format!("身份证号无效：{}", p.label()));
    }
    if row.building_id.is_none() {
        out.push(if r.address_key.is_empty() {
            "住址不是标准地址：应写明路名、门牌号和楼栋，如“天熹路1号1幢2单元301室”".to_owned()
        } else {
            format!("住址中的楼栋“{}”未在本网格登记", r.address_key)
        });
    }
    if r.id_problem.is_empty() && row.registered_as.is_some() {
        out.push("该身份证号已有登记：核对后删除本记录，或更正号码".to_owned());
    }
    if r.id_problem.is_empty() && row.repeats > 0 {
        out.push(format!(
            "另有 {} 条待核实记录的身份证号与本记录相同",
            row.repeats
        ));
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn show_intake(
    app: &AppState,
    chrome: Chrome,
    viewer: &Viewer,
    addr: &ClientAddr,
    row: &IntakeRow,
    sight: Sight,
    form: Option<IntakeForm>,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let full = sight == Sight::Full;
    if full {
        audit_view(
            app,
            viewer,
            addr,
            "intake.view",
            ("intake", row.id.to_string()),
            json!({ "grid_code": row.record.grid_code, "fields": ["id_number", "phone"] }),
        )
        .await?;
    }
    let (_, entry) = entry(app, &row.record.grid_code).await?;
    let r = &row.record;
    let form = form.unwrap_or_else(|| IntakeForm {
        name: r.name.clone(),
        id_number: if full {
            r.id_number.clone()
        } else {
            masked_id_number(&r.id_number)
        },
        phone: if full {
            r.phone.clone()
        } else {
            mask_phone(&r.phone)
        },
        address: r.address.clone(),
        note: r.note.clone(),
        version: row.version.to_string(),
        action: String::new(),
    });
    let problems = intake_problems(row);
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&IntakePage {
        chrome: chrome.titled(format!("{} · 待核实记录", r.name), "grid"),
        grid: DirectoryRow::of(&entry),
        id: row.id,
        full,
        ready: problems.is_empty(),
        problems,
        registered_as: row
            .registered_as
            .map(|id| id.to_string())
            .unwrap_or_default(),
        source: row.source.clone(),
        updated: show_time(Some(row.updated_at)),
        form,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(if full { private(page) } else { page })
}

/// `GET /grid/intake/{id}`
pub async fn intake_page(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (row, sight) = intake_for(&app, &viewer, &id).await?;
    show_intake(&app, chrome, &viewer, &addr, &row, sight, None, Vec::new()).await
}

/// `POST /grid/intake/{id}`: saves the corrections; with
/// `action=register`, then enters the record into the register.
pub async fn intake_save(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<IntakeForm>,
) -> Result<Response, PageError> {
    let (row, sight) = intake_for(&app, &viewer, &id).await?;
    if sight != Sight::Full {
        return Err(AppError::Forbidden.into());
    }
    let Ok(version) = form.version.trim().parse::<i64>() else {
        let errors = vec![FieldError::new(
            "version",
            "表单缺少版本信息：请重新打开本页",
        )];
        return show_intake(
            &app,
            chrome,
            &viewer,
            &addr,
            &row,
            sight,
            Some(form),
            errors,
        )
        .await;
    };
    let record = match intake_record(
        &row.record.grid_code,
        &form.name,
        &form.id_number,
        &form.phone,
        &form.address,
        &form.note,
    ) {
        Ok(r) => r,
        Err(errors) => {
            return show_intake(
                &app,
                chrome,
                &viewer,
                &addr,
                &row,
                sight,
                Some(form),
                errors,
            )
            .await
        }
    };
    let ctx = app.audit_ctx(&viewer, &addr);
    let saved = if record == row.record && version == row.version {
        row.clone()
    } else {
        match app.store.update_intake(&ctx, row.id, version, record).await {
            Ok(saved) => saved,
            Err(StoreError::Conflict { field: "version" }) => {
                let errors = vec![FieldError::new(
                    "version",
                    "该记录已被他人修改：请重新打开本页，核对后再修改",
                )];
                return show_intake(
                    &app,
                    chrome,
                    &viewer,
                    &addr,
                    &row,
                    sight,
                    Some(form),
                    errors,
                )
                .await;
            }
            Err(e) => return Err(e.into()),
        }
    };
    if form.action != "register" {
        return Ok(Redirect::to(&format!("/grid/intake/{}", row.id)).into_response());
    }
    let mut errors: Vec<FieldError> = intake_problems(&saved)
        .into_iter()
        .map(|p| FieldError::new("record", p))
        .collect();
    let phone = match saved.record.phone.as_str() {
        "" => None,
        p => match parse_phone(p) {
            Ok(p) => Some(p),
            Err(e) => {
                errors.push(FieldError::new("phone", format!("{e}；入册前请更正或清空")));
                None
            }
        },
    };
    let fresh = IntakeForm {
        version: saved.version.to_string(),
        ..form
    };
    let Some(building_id) = saved.building_id.filter(|_| errors.is_empty()) else {
        return show_intake(
            &app,
            chrome,
            &viewer,
            &addr,
            &saved,
            sight,
            Some(fresh),
            errors,
        )
        .await;
    };
    let input = ResidentInput {
        flat: Flat {
            building_id,
            unit: saved.record.unit.clone(),
            room: saved.record.room.clone(),
        },
        name: saved.record.name.clone(),
        id_number: saved.record.id_number.clone(),
        phone,
        note: saved.record.note.clone(),
    };
    let resident = Uuid::now_v7();
    match app
        .store
        .register_intake(&ctx, saved.id, saved.version, resident, input)
        .await
    {
        Ok(_) => Ok(Redirect::to(&format!("/grid/residents/{resident}")).into_response()),
        Err(StoreError::Conflict { field }) => {
            let message = match field {
                "id_number" => "该身份证号刚被登记：请核对后删除本记录",
                _ => "该记录已被他人修改：请重新打开本页，核对后再入册",
            };
            let errors = vec![FieldError::new("record", message)];
            show_intake(
                &app,
                chrome,
                &viewer,
                &addr,
                &saved,
                sight,
                Some(fresh),
                errors,
            )
            .await
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /grid/intake/{id}/delete`
pub async fn intake_delete(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(_): Form<Empty>,
) -> Result<Response, PageError> {
    let (row, sight) = intake_for(&app, &viewer, &id).await?;
    if sight != Sight::Full {
        return Err(AppError::Forbidden.into());
    }
    let ctx = app.audit_ctx(&viewer, &addr);
    match app.store.delete_intake(&ctx, row.id).await {
        Ok(()) | Err(StoreError::NotFound) => Ok(Redirect::to(&format!(
            "/grid/quality/data?grid={}",
            row.record.grid_code
        ))
        .into_response()),
        Err(e) => Err(e.into()),
    }
}

/// A form with nothing but its CSRF token.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct Empty {}

/// The other resident of a merge or a dismissal.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct OtherForm {
    #[serde(default)]
    pub other: String,
}

/// Both residents, each in a grid the viewer may change.
async fn pair(
    app: &AppState,
    viewer: &Viewer,
    id: &str,
    other: &str,
) -> Result<(Uuid, Uuid), AppError> {
    let mut ids = Vec::new();
    for text in [id, other] {
        let id = Uuid::parse_str(text.trim()).map_err(|_| AppError::NotFound)?;
        let row = app.store.resident(id).await?.ok_or(AppError::NotFound)?;
        may_change(app, viewer, &row.grid_code).await?;
        ids.push(id);
    }
    Ok((ids[0], ids[1]))
}

/// `POST /grid/residents/{id}/merge`: merges resident `{id}` into `other`
/// (one person registered twice) and opens the one kept.
pub async fn merge(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<OtherForm>,
) -> Result<Response, PageError> {
    let (from, into) = pair(&app, &viewer, &id, &form.other).await?;
    let ctx = app.audit_ctx(&viewer, &addr);
    match app.store.merge_residents(&ctx, from, into).await {
        Ok(kept) => Ok(Redirect::to(&format!("/grid/residents/{}", kept.id)).into_response()),
        Err(StoreError::Conflict { .. }) => {
            Err(AppError::BadRequest("不能把居民合并到其本人：请选择另一条记录".to_owned()).into())
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /grid/residents/{id}/not-duplicate`: records that `{id}` and
/// `other` are two people.
pub async fn not_duplicate(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<OtherForm>,
) -> Result<Response, PageError> {
    let (a, b) = pair(&app, &viewer, &id, &form.other).await?;
    let grid = app
        .store
        .resident(a)
        .await?
        .map(|r| r.grid_code)
        .unwrap_or_default();
    let ctx = app.audit_ctx(&viewer, &addr);
    match app.store.dismiss_duplicate(&ctx, a, b).await {
        Ok(()) => Ok(Redirect::to(&format!(
            "/grid/quality/data/possible_duplicate?grid={grid}"
        ))
        .into_response()),
        Err(StoreError::Conflict { .. }) => {
            Err(AppError::BadRequest("请选择另一位居民".to_owned()).into())
        }
        Err(e) => Err(e.into()),
    }
}
