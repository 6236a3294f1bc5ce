//! Residents (居民) for grid staff: a grid's residents with search, tags and
//! pages of 50, a resident's page, registration and editing forms, tag
//! management, the XLSX export, and the JSON registration API.
//!
//! # Who sees what
//!
//! Residents' ID numbers and phones are personal information (个人信息保护法).
//! [`sight`] decides, per grid, what a viewer gets:
//!
//! - a grid leader or worker sees the residents of the grids they are
//!   assigned to in full, and may register and edit them; any other grid's
//!   residents are refused (403);
//! - a supervisor of the command centre oversees every grid, masked; in the
//!   grids they are assigned to, they see and change them in full like the
//!   grid's own staff;
//! - every other role has no access (the routes refuse them).
//!
//! Lists always show ID numbers and phones masked, whoever reads them: a
//! list is what a screen shows over a shoulder, and the whole number is one
//! click away for those allowed. A resident's page, the edit form and the
//! export show full numbers only to viewers with full sight, and each such
//! view writes an audit record (`resident.view`, `resident.export`) before
//! the data leaves the server: if the record cannot be written, nothing is
//! shown. Such responses are marked `Cache-Control: no-store, private`.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;
use uuid::Uuid;
use yiwang_core::{ResidentId, Role, Timestamp};
use yiwang_grid::address::{canonical_room, canonical_unit};
use yiwang_grid::{mask_phone, parse_phone, GridCode, PersonTag};
use yiwang_store::grid::StaffRole;
use yiwang_store::residents::{
    masked_id_number, BuildingQuery, BuildingRow, Flat, NewTag, ResidentInput, ResidentQuery,
    ResidentRow,
};
use yiwang_store::{NewAudit, Page, StoreError};

use super::pages::{entry, DirectoryRow};
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{ApiError, AppError, FieldError, PageError};
use crate::extract::Form;
use crate::pages::{pager, render, show_time, Chrome};
use crate::AppState;

/// Who may open residents' pages at all; [`sight`] decides per grid.
pub const RESIDENT_STAFF: &[Role] = &[Role::GridLeader, Role::GridWorker, Role::Supervisor];

/// Rows per page of a list.
pub const PAGE_SIZE: u32 = 50;

/// What a viewer may see of a grid's residents.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sight {
    /// ID numbers and phones in full (audited); may register and edit.
    Full,
    /// Masked, read only: a supervisor outside their own grids.
    Masked,
}

/// The grids a signed-in viewer is assigned to as staff.
pub(crate) async fn assigned_grids(
    app: &AppState,
    viewer: &Viewer,
) -> Result<Vec<String>, AppError> {
    let user = viewer.require()?;
    let Some(staff) = app.store.staff_for_user(user.user.id).await? else {
        return Ok(Vec::new());
    };
    Ok(app
        .store
        .staff_assignments(staff.id)
        .await?
        .into_iter()
        .filter(|a| matches!(a.role, StaffRole::Leader | StaffRole::Worker))
        .map(|a| a.grid_code)
        .collect())
}

/// What `viewer` may see of the residents of `grid`, or `Forbidden`.
pub async fn sight(app: &AppState, viewer: &Viewer, grid: &str) -> Result<Sight, AppError> {
    let role = viewer.require()?.user.role;
    if !RESIDENT_STAFF.contains(&role) {
        return Err(AppError::Forbidden);
    }
    let assigned = assigned_grids(app, viewer).await?.iter().any(|g| g == grid);
    match (role, assigned) {
        (_, true) => Ok(Sight::Full),
        (Role::Supervisor, false) => Ok(Sight::Masked),
        _ => Err(AppError::Forbidden),
    }
}

/// Refuses a change by a viewer without full sight of the grid.
pub async fn may_change(app: &AppState, viewer: &Viewer, grid: &str) -> Result<(), AppError> {
    match sight(app, viewer, grid).await? {
        Sight::Full => Ok(()),
        Sight::Masked => Err(AppError::Forbidden),
    }
}

/// Writes the audit record of a view of unmasked personal data: `kind` and
/// `object` name what was seen (a resident, or a grid for an export).
async fn audit_view(
    app: &AppState,
    viewer: &Viewer,
    addr: &ClientAddr,
    action: &str,
    (kind, object): (&str, String),
    detail: serde_json::Value,
) -> Result<(), AppError> {
    let ctx = app.audit_ctx(viewer, addr);
    app.store
        .audit(
            &ctx,
            NewAudit::new(action, kind, object).with_detail(detail),
        )
        .await?;
    Ok(())
}

/// Marks a response holding unmasked personal data as not to be stored by
/// browsers or proxies.
fn private(mut response: Response) -> Response {
    response.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store, private"),
    );
    response
}

/// A review date (Shanghai) as the pages show it.
fn show_date(at: i64) -> String {
    Timestamp::from_micros(at).format_cn_date()
}

/// The tag's Chinese name, or its code for one no longer in the list.
fn tag_label(code: &str) -> String {
    PersonTag::from_code(code).map_or_else(|| code.to_owned(), |t| t.label().to_owned())
}

/// One tag as pages show it.
#[derive(Debug, Clone)]
pub struct TagLine {
    pub code: String,
    pub label: String,
    pub review: String,
    pub review_input: String,
    pub overdue: bool,
    pub note: String,
    pub set: String,
}

/// One resident as pages and exports show them.
#[derive(Debug, Clone)]
pub struct ResidentLine {
    pub id: Uuid,
    pub name: String,
    pub id_number: String,
    pub phone: String,
    pub address: String,
    pub building_id: Uuid,
    pub sex: &'static str,
    pub birth: String,
    pub note: String,
    pub tags: Vec<TagLine>,
    pub updated: String,
}

impl ResidentLine {
    /// The resident as shown: masked unless `full`.
    pub fn of(row: &ResidentRow, full: bool, today: i64) -> ResidentLine {
        let parsed = ResidentId::parse(&row.id_number).ok();
        let id_number = match (&parsed, full) {
            (Some(id), true) => id.expose().to_owned(),
            (Some(id), false) => id.masked(),
            (None, _) => masked_id_number(&row.id_number),
        };
        let phone = match (&row.phone, full) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => mask_phone(p),
            (None, _) => String::new(),
        };
        let fmt = time::macros::format_description!("[year]-[month]-[day]");
        ResidentLine {
            id: row.id,
            name: row.name.clone(),
            id_number,
            phone,
            address: row.address(),
            building_id: row.building_id,
            sex: match &parsed {
                Some(id) if id.is_female() => "女",
                Some(_) => "男",
                None => "—",
            },
            birth: match (&parsed, full) {
                (Some(id), true) => {
                    let d = id.birth_date();
                    format!("{}年{:02}月", d.year(), u8::from(d.month()))
                }
                (Some(id), false) => format!("{}年", id.birth_date().year()),
                (None, _) => "—".to_owned(),
            },
            note: row.note.clone(),
            tags: row
                .tags
                .iter()
                .map(|t| TagLine {
                    code: t.tag.clone(),
                    label: tag_label(&t.tag),
                    review: show_date(t.review_on),
                    review_input: Timestamp::from_micros(t.review_on)
                        .shanghai_date()
                        .format(&fmt)
                        .unwrap_or_default(),
                    overdue: t.review_on < today,
                    note: t.note.clone(),
                    set: format!("{} {}", show_time(Some(t.set_at)), t.set_by_name),
                })
                .collect(),
            updated: show_time(Some(row.updated_at)),
        }
    }

    /// The tags' names, joined.
    pub fn tag_names(&self) -> String {
        self.tags
            .iter()
            .map(|t| t.label.as_str())
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// The Shanghai midnight that starts today, µs.
fn today(app: &AppState) -> i64 {
    let now = app.clock.now();
    Timestamp::from_shanghai(now.shanghai_date(), 0, 0, 0).micros()
}

/// A grid's code from the path, or `NotFound`.
async fn grid_of(app: &AppState, id: &str) -> Result<(GridCode, DirectoryRow), AppError> {
    let (code, entry) = entry(app, id).await?;
    Ok((code, DirectoryRow::of(&entry)))
}

/// Every building of a grid (for the forms' building list), in address
/// order.
pub async fn grid_buildings(app: &AppState, grid: &str) -> Result<Vec<BuildingRow>, AppError> {
    let mut out = Vec::new();
    let query = BuildingQuery {
        grid_code: Some(grid.to_owned()),
        search: None,
    };
    let mut page = 1;
    loop {
        let found = app
            .store
            .buildings(&query, Page::number(page, Page::MAX_LIMIT))
            .await?;
        let n = found.items.len();
        out.extend(found.items);
        if n == 0 || out.len() as u64 >= found.total {
            return Ok(out);
        }
        page += 1;
    }
}

/// The list's filters, as the form sends them.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResidentFilter {
    /// Name or address fragment, or a whole ID number or phone.
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub tag: String,
    /// A building's id.
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub page: String,
}

impl ResidentFilter {
    fn query(&self, grid: &str) -> ResidentQuery {
        let q = self.q.trim();
        ResidentQuery {
            grid_code: grid.to_owned(),
            search: (!q.is_empty()).then(|| q.chars().take(50).collect()),
            tag: PersonTag::from_code(self.tag.trim()).map(|t| t.code().to_owned()),
            building_id: Uuid::parse_str(self.building.trim()).ok(),
        }
    }

    fn page_number(&self) -> u32 {
        self.page.trim().parse::<u32>().unwrap_or(1).max(1)
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.trim().to_owned()),
            ("tag", self.tag.trim().to_owned()),
            ("building", self.building.trim().to_owned()),
        ]
    }
}

/// The tag choices of the forms: (code, name).
fn tag_choices() -> Vec<(&'static str, &'static str)> {
    PersonTag::ALL
        .iter()
        .map(|t| (t.code(), t.label()))
        .collect()
}

#[derive(Template)]
#[template(path = "grid/residents.html")]
struct ResidentsPage {
    chrome: Chrome,
    grid: DirectoryRow,
    f: ResidentFilter,
    tags: Vec<(&'static str, &'static str)>,
    total: u64,
    rows: Vec<ResidentLine>,
    full: bool,
    qs: String,
    pager: String,
}

/// `GET /grid/grids/{id}/residents`
pub async fn list(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(f): Query<ResidentFilter>,
) -> Result<Response, PageError> {
    let (code, grid) = grid_of(&app, &id).await?;
    let sight = sight(&app, &viewer, &code.to_string()).await?;
    let page = f.page_number();
    let found = app
        .store
        .residents(&f.query(&code.to_string()), Page::number(page, PAGE_SIZE))
        .await?;
    let today = today(&app);
    let rows = found
        .items
        .iter()
        .map(|r| ResidentLine::of(r, false, today))
        .collect();
    let pairs = f.pairs();
    let kept: Vec<_> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
    let qs = if kept.is_empty() {
        String::new()
    } else {
        format!(
            "?{}",
            serde_urlencoded::to_string(&kept).unwrap_or_default()
        )
    };
    render(&ResidentsPage {
        chrome: chrome.titled(format!("{} · 居民", grid.name), "grid"),
        pager: pager(
            &format!("/grid/grids/{code}/residents"),
            &pairs,
            page,
            PAGE_SIZE,
            found.total,
        ),
        total: found.total,
        tags: tag_choices(),
        full: sight == Sight::Full,
        grid,
        f,
        rows,
        qs,
    })
}

/// `GET /grid/grids/{id}/residents.xlsx`: every resident the filters match,
/// in full, for staff with full sight of the grid (audited).
pub async fn export(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Query(f): Query<ResidentFilter>,
) -> Result<Response, PageError> {
    let (code, _) = grid_of(&app, &id).await?;
    may_change(&app, &viewer, &code.to_string()).await?;
    let query = f.query(&code.to_string());
    let today = today(&app);
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        let found = app
            .store
            .residents(&query, Page::number(page, Page::MAX_LIMIT))
            .await?;
        let n = found.items.len();
        rows.extend(found.items.iter().map(|r| ResidentLine::of(r, true, today)));
        if n == 0 || rows.len() as u64 >= found.total {
            break;
        }
        page += 1;
    }
    audit_view(
        &app,
        &viewer,
        &addr,
        "resident.export",
        ("grid", code.to_string()),
        json!({
            "grid_code": code.to_string(),
            "residents": rows.len(),
            "search": query.search,
            "tag": query.tag,
        }),
    )
    .await?;
    let bytes = workbook(&rows).map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"residents-{code}.xlsx\""),
            ),
            (header::CACHE_CONTROL, "no-store, private".to_owned()),
        ],
        bytes,
    )
        .into_response())
}

/// Residents as an XLSX workbook; ID numbers and phones as text.
pub fn workbook(rows: &[ResidentLine]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name("居民")?;
    let headers = [
        "姓名",
        "公民身份号码",
        "性别",
        "出生年月",
        "联系电话",
        "住址",
        "标签",
        "备注",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        let tags = row.tag_names();
        for (c, text) in [
            row.name.as_str(),
            &row.id_number,
            row.sex,
            &row.birth,
            &row.phone,
            &row.address,
            &tags,
            &row.note,
        ]
        .into_iter()
        .enumerate()
        {
            sheet.write_string(r, c as u16, text)?;
        }
    }
    sheet.autofit();
    book.save_to_buffer()
}

#[derive(Template)]
#[template(path = "grid/resident.html")]
struct ResidentPage {
    chrome: Chrome,
    grid: DirectoryRow,
    r: ResidentLine,
    full: bool,
    tags: Vec<(&'static str, &'static str)>,
    tag_form: TagForm,
    errors: Vec<FieldError>,
}

/// A resident and the viewer's sight of their grid, or `NotFound` /
/// `Forbidden`.
async fn resident_for(
    app: &AppState,
    viewer: &Viewer,
    id: &str,
) -> Result<(ResidentRow, Sight), AppError> {
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    let row = app.store.resident(id).await?.ok_or(AppError::NotFound)?;
    let sight = sight(app, viewer, &row.grid_code).await?;
    Ok((row, sight))
}

#[allow(clippy::too_many_arguments)]
async fn show_resident(
    app: &AppState,
    chrome: Chrome,
    viewer: &Viewer,
    addr: &ClientAddr,
    row: &ResidentRow,
    sight: Sight,
    tag_form: TagForm,
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let full = sight == Sight::Full;
    if full {
        audit_view(
            app,
            viewer,
            addr,
            "resident.view",
            ("resident", row.id.to_string()),
            json!({ "grid_code": row.grid_code, "fields": ["id_number", "phone"] }),
        )
        .await?;
    }
    let (_, grid) = grid_of(app, &row.grid_code).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&ResidentPage {
        chrome: chrome.titled(format!("{} · 居民", row.name), "grid"),
        r: ResidentLine::of(row, full, today(app)),
        tags: tag_choices(),
        grid,
        full,
        tag_form,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(if full { private(page) } else { page })
}

/// `GET /grid/residents/{id}`
pub async fn show(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (row, sight) = resident_for(&app, &viewer, &id).await?;
    show_resident(
        &app,
        chrome,
        &viewer,
        &addr,
        &row,
        sight,
        TagForm::default(),
        Vec::new(),
    )
    .await
}

/// The registration and edit form, as sent (text, checked here).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ResidentForm {
    /// A building id of the grid.
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub note: String,
    /// The version the edit was made on.
    #[serde(default)]
    pub version: String,
}

impl ResidentForm {
    /// The form as a store input, or every problem with it, in Chinese.
    pub fn check(&self, buildings: &[BuildingRow]) -> Result<ResidentInput, Vec<FieldError>> {
        let mut errors = Vec::new();
        let building = Uuid::parse_str(self.building.trim())
            .ok()
            .filter(|id| buildings.iter().any(|b| b.id == *id));
        if building.is_none() {
            errors.push(FieldError::new(
                "building",
                "请选择本网格内的楼栋；楼栋不在列表中时，请先在“楼栋”页面登记",
            ));
        }
        let unit = canonical_unit(&self.unit);
        if unit.is_none() {
            errors.push(FieldError::new(
                "unit",
                "单元应为数字，例如“2”或“2单元”；没有单元的楼栋请留空",
            ));
        }
        let room = canonical_room(&self.room);
        if room.is_none() {
            errors.push(FieldError::new(
                "room",
                "室号应为数字，例如“301”或“301室”；平房或独栋请留空",
            ));
        }
        let name = self.name.trim();
        if name.is_empty() {
            errors.push(FieldError::new("name", "请填写居民姓名"));
        } else if name.chars().count() > 30 {
            errors.push(FieldError::new("name", "姓名不超过 30 个字"));
        }
        let id_number = match ResidentId::parse(&self.id_number) {
            Ok(id) => Some(id),
            Err(e) => {
                errors.push(FieldError::new("id_number", e.to_string()));
                None
            }
        };
        let phone = match self.phone.trim() {
            "" => Some(None),
            p => match parse_phone(p) {
                Ok(p) => Some(Some(p)),
                Err(e) => {
                    errors.push(FieldError::new("phone", e.to_string()));
                    None
                }
            },
        };
        let note = self.note.trim();
        if note.chars().count() > 200 {
            errors.push(FieldError::new("note", "备注不超过 200 个字"));
        }
        match (building, unit, room, id_number, phone) {
            (Some(building_id), Some(unit), Some(room), Some(id), Some(phone))
                if errors.is_empty() =>
            {
                Ok(ResidentInput {
                    flat: Flat {
                        building_id,
                        unit,
                        room,
                    },
                    name: name.to_owned(),
                    id_number: id.expose().to_owned(),
                    phone,
                    note: note.to_owned(),
                })
            }
            _ => Err(errors),
        }
    }
}

/// A store refusal of a registration or edit as the field it concerns.
fn refusal(e: StoreError) -> Result<FieldError, AppError> {
    match e {
        StoreError::Conflict { field: "id_number" } => Ok(FieldError::new(
            "id_number",
            "该公民身份号码已有登记：同一居民只能登记一次，请核对号码，或找到已有登记修改住址",
        )),
        StoreError::Conflict { field: "version" } => Ok(FieldError::new(
            "version",
            "该居民信息已被他人修改：请重新打开居民页面，核对后再修改",
        )),
        StoreError::Conflict { field: "flat" } => {
            Ok(FieldError::new("room", "该房屋刚被他人登记，请重新提交"))
        }
        other => Err(other.into()),
    }
}

#[derive(Template)]
#[template(path = "grid/resident_form.html")]
struct ResidentFormPage {
    chrome: Chrome,
    grid: DirectoryRow,
    /// `None` when registering.
    resident: Option<Uuid>,
    action: String,
    form: ResidentForm,
    buildings: Vec<(String, String)>,
    errors: Vec<FieldError>,
}

fn building_choices(buildings: &[BuildingRow]) -> Vec<(String, String)> {
    buildings
        .iter()
        .map(|b| (b.id.to_string(), b.address()))
        .collect()
}

fn form_page(
    chrome: Chrome,
    grid: DirectoryRow,
    resident: Option<Uuid>,
    form: ResidentForm,
    buildings: &[BuildingRow],
    errors: Vec<FieldError>,
) -> Result<Response, PageError> {
    let (title, action) = match resident {
        Some(id) => ("修改居民信息", format!("/grid/residents/{id}")),
        None => ("登记居民", format!("/grid/grids/{}/residents", grid.code)),
    };
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut page = render(&ResidentFormPage {
        chrome: chrome.titled(format!("{title} · {}", grid.name), "grid"),
        buildings: building_choices(buildings),
        grid,
        resident,
        action,
        form,
        errors,
    })?;
    *page.status_mut() = status;
    Ok(private(page))
}

/// Which building a new registration starts on.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct NewResidentQuery {
    #[serde(default)]
    pub building: String,
}

/// `GET /grid/grids/{id}/residents/new`
pub async fn new_form(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(q): Query<NewResidentQuery>,
) -> Result<Response, PageError> {
    let (code, grid) = grid_of(&app, &id).await?;
    may_change(&app, &viewer, &code.to_string()).await?;
    let buildings = grid_buildings(&app, &code.to_string()).await?;
    let form = ResidentForm {
        building: q.building,
        ..ResidentForm::default()
    };
    form_page(chrome, grid, None, form, &buildings, Vec::new())
}

/// `POST /grid/grids/{id}/residents`
pub async fn create(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<ResidentForm>,
) -> Result<Response, PageError> {
    let (code, grid) = grid_of(&app, &id).await?;
    may_change(&app, &viewer, &code.to_string()).await?;
    let buildings = grid_buildings(&app, &code.to_string()).await?;
    let errors = match form.check(&buildings) {
        Ok(input) => {
            let ctx = app.audit_ctx(&viewer, &addr);
            let id = Uuid::now_v7();
            match app.store.create_resident(&ctx, id, input).await {
                Ok(_) => return Ok(Redirect::to(&format!("/grid/residents/{id}")).into_response()),
                Err(e) => vec![refusal(e)?],
            }
        }
        Err(errors) => errors,
    };
    form_page(chrome, grid, None, form, &buildings, errors)
}

/// `GET /grid/residents/{id}/edit`: the form holds the full ID number and
/// phone, so opening it is a view of them (audited).
pub async fn edit_form(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (row, sight) = resident_for(&app, &viewer, &id).await?;
    if sight != Sight::Full {
        return Err(AppError::Forbidden.into());
    }
    audit_view(
        &app,
        &viewer,
        &addr,
        "resident.view",
        ("resident", row.id.to_string()),
        json!({ "grid_code": row.grid_code, "fields": ["id_number", "phone"], "purpose": "edit" }),
    )
    .await?;
    let (_, grid) = grid_of(&app, &row.grid_code).await?;
    let buildings = grid_buildings(&app, &row.grid_code).await?;
    let form = ResidentForm {
        building: row.building_id.to_string(),
        unit: row.unit.clone(),
        room: row.room.clone(),
        name: row.name.clone(),
        id_number: row.id_number.clone(),
        phone: row.phone.clone().unwrap_or_default(),
        note: row.note.clone(),
        version: row.version.to_string(),
    };
    form_page(chrome, grid, Some(row.id), form, &buildings, Vec::new())
}

/// `POST /grid/residents/{id}`
pub async fn update(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<ResidentForm>,
) -> Result<Response, PageError> {
    let (row, sight) = resident_for(&app, &viewer, &id).await?;
    if sight != Sight::Full {
        return Err(AppError::Forbidden.into());
    }
    let (_, grid) = grid_of(&app, &row.grid_code).await?;
    let buildings = grid_buildings(&app, &row.grid_code).await?;
    let errors = match (form.check(&buildings), form.version.trim().parse::<i64>()) {
        (Ok(input), Ok(version)) => {
            let ctx = app.audit_ctx(&viewer, &addr);
            match app
                .store
                .update_resident(&ctx, row.id, version, input)
                .await
            {
                Ok(_) => {
                    return Ok(Redirect::to(&format!("/grid/residents/{}", row.id)).into_response())
                }
                Err(e) => vec![refusal(e)?],
            }
        }
        (Ok(_), Err(_)) => vec![FieldError::new(
            "version",
            "表单缺少版本信息：请重新打开修改页面",
        )],
        (Err(errors), _) => errors,
    };
    form_page(chrome, grid, Some(row.id), form, &buildings, errors)
}

/// The tag form, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct TagForm {
    #[serde(default)]
    pub tag: String,
    /// `YYYY-MM-DD`; empty: today plus the tag's review period.
    #[serde(default)]
    pub review_on: String,
    #[serde(default)]
    pub note: String,
    /// `remove` to take the tag off.
    #[serde(default)]
    pub action: String,
}

/// `POST /grid/residents/{id}/tags`: sets (or replaces) or removes a tag.
pub async fn tags(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<TagForm>,
) -> Result<Response, PageError> {
    let (row, sight) = resident_for(&app, &viewer, &id).await?;
    if sight != Sight::Full {
        return Err(AppError::Forbidden.into());
    }
    let mut errors = Vec::new();
    let tag = PersonTag::from_code(form.tag.trim());
    if tag.is_none() {
        errors.push(FieldError::new("tag", "请选择标签"));
    }
    let ctx = app.audit_ctx(&viewer, &addr);
    if let (Some(tag), true) = (tag, form.action == "remove") {
        match app.store.remove_tag(&ctx, row.id, tag.code()).await {
            Ok(()) | Err(StoreError::NotFound) => {
                return Ok(Redirect::to(&format!("/grid/residents/{}", row.id)).into_response())
            }
            Err(e) => return Err(e.into()),
        }
    }
    let today = Timestamp::from_micros(today(&app)).shanghai_date();
    let review = match (form.review_on.trim(), tag) {
        ("", Some(tag)) => Some(add_months(today, tag.review_months())),
        ("", None) => None,
        (text, _) => {
            let fmt = time::macros::format_description!("[year]-[month]-[day]");
            match time::Date::parse(text, &fmt) {
                Ok(d) if d < today => {
                    errors.push(FieldError::new("review_on", "复核日期不能早于今天"));
                    None
                }
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(FieldError::new(
                        "review_on",
                        "复核日期格式不正确：应为“年-月-日”，例如 2026-06-30",
                    ));
                    None
                }
            }
        }
    };
    let note = form.note.trim();
    if note.chars().count() > 200 {
        errors.push(FieldError::new("note", "说明不超过 200 个字"));
    }
    if let (Some(tag), Some(review), true) = (tag, review, errors.is_empty()) {
        app.store
            .set_tag(
                &ctx,
                row.id,
                NewTag {
                    tag: tag.code().to_owned(),
                    review_on: Timestamp::from_shanghai(review, 0, 0, 0).micros(),
                    note: note.to_owned(),
                },
            )
            .await?;
        return Ok(Redirect::to(&format!("/grid/residents/{}", row.id)).into_response());
    }
    show_resident(&app, chrome, &viewer, &addr, &row, sight, form, errors).await
}

/// The same day `months` later (the month's last day when it is shorter).
fn add_months(date: time::Date, months: u32) -> time::Date {
    let index = date.year() * 12 + i32::from(u8::from(date.month())) - 1 + months as i32;
    let (year, month) = (index.div_euclid(12), index.rem_euclid(12) as u8 + 1);
    let Ok(month) = time::Month::try_from(month) else {
        return date;
    };
    (28..=date.day().max(28))
        .rev()
        .find_map(|day| time::Date::from_calendar_date(year, month, day.min(date.day())).ok())
        .unwrap_or(date)
}

/// A resident to register, as API clients send it.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
pub struct ResidentRequest {
    /// The grid (15 digits); the building must be one of its buildings.
    #[serde(default)]
    pub grid_code: String,
    /// The building's id.
    #[serde(default)]
    pub building_id: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub room: String,
    #[serde(default)]
    pub name: String,
    /// GB 11643, 18 characters.
    #[serde(default)]
    pub id_number: String,
    #[serde(default)]
    pub phone: String,
    #[serde(default)]
    pub note: String,
}

/// A registered resident, masked.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ResidentCreated {
    /// The resident's id (UUID).
    pub id: String,
    pub grid_code: String,
    pub address: String,
    pub name: String,
    /// Masked: `320612********123X`.
    pub id_number: String,
}

/// `POST /api/v1/grid/residents`
#[utoipa::path(post, path = "/api/v1/grid/residents", tag = "grid_staff", request_body = ResidentRequest,
    responses((status = 201, body = ResidentCreated),
        (status = 422, description = "invalid_input: fields name what is wrong, in Chinese (id_number: the GB 11643 check)", body = crate::api::ErrorBody),
        (status = 403, description = "forbidden: not a grid the caller works in", body = crate::api::ErrorBody),
        (status = 409, description = "conflict: the ID number is registered", body = crate::api::ErrorBody)))]
pub async fn api_create(
    State(app): State<AppState>,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    crate::extract::Json(req): crate::extract::Json<ResidentRequest>,
) -> Result<(StatusCode, Json<ResidentCreated>), ApiError> {
    let grid = GridCode::parse(req.grid_code.trim())
        .map_err(|e| AppError::field("grid_code", e.to_string()))?
        .to_string();
    if app.store.grid(&grid).await?.is_none() {
        return Err(AppError::field("grid_code", "没有这个网格").into());
    }
    may_change(&app, &viewer, &grid).await?;
    let buildings = grid_buildings(&app, &grid).await?;
    let form = ResidentForm {
        building: req.building_id,
        unit: req.unit,
        room: req.room,
        name: req.name,
        id_number: req.id_number,
        phone: req.phone,
        note: req.note,
        version: String::new(),
    };
    let input = form.check(&buildings).map_err(|mut errors| {
        for e in &mut errors {
            if e.field == "building" {
                e.field = "building_id".to_owned();
            }
        }
        AppError::Invalid(errors)
    })?;
    let ctx = app.audit_ctx(&viewer, &addr);
    let id = Uuid::now_v7();
    let row = match app.store.create_resident(&ctx, id, input).await {
        Ok(row) => row,
        Err(StoreError::Conflict { field: "id_number" }) => {
            return Err(AppError::Conflict {
                field: "id_number".to_owned(),
                message: "该公民身份号码已有登记".to_owned(),
            }
            .into())
        }
        Err(e) => return Err(e.into()),
    };
    Ok((
        StatusCode::CREATED,
        Json(ResidentCreated {
            id: row.id.to_string(),
            address: row.address(),
            id_number: masked_id_number(&row.id_number),
            grid_code: row.grid_code,
            name: row.name,
        }),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn review_periods_end_on_the_same_day_or_the_month_s_last() {
        assert_eq!(add_months(date!(2026 - 01 - 15), 6), date!(2026 - 07 - 15));
        assert_eq!(add_months(date!(2026 - 08 - 31), 6), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2026 - 11 - 30), 3), date!(2027 - 02 - 28));
        assert_eq!(add_months(date!(2027 - 11 - 29), 3), date!(2028 - 02 - 29));
        assert_eq!(add_months(date!(2026 - 12 - 01), 12), date!(2027 - 12 - 01));
    }
}
