//! Places (楼栋与房屋) for grid staff, and the public look-up by address.
//!
//! A building is registered under its standard address (road, door
//! number, building) in a grid: the grid holding its point when staff give
//! one (the same look-up as the public map), or the grid it is registered
//! from when they do not. Staff list a grid's buildings with search, open a
//! building to see its flats and who lives there (masked), register one
//! building at a time, or import many flats at once as CSV text.
//!
//! The public look-up reads an address as people type it
//! (`yiwang_grid::StandardAddress`) and answers with the grid of the
//! building, and its leader's name and official phone: never anything
//! about the people who live there.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;
use uuid::Uuid;
use yiwang_grid::address::{
    building_key, canonical_building, canonical_number, canonical_road, canonical_room,
    canonical_unit,
};
use yiwang_grid::{LngLat, StandardAddress};
use yiwang_store::residents::{
    BuildingQuery, BuildingRow, NewBuilding, NewHousehold, Placement, PlacesImport, ResidentQuery,
};
use yiwang_store::{Page, StoreError};

use super::pages::{entry, DirectoryRow};
use super::residents::{may_change, sight, ResidentLine, Sight, PAGE_SIZE};
use crate::auth::session::ClientAddr;
use crate::auth::Viewer;
use crate::error::{AppError, FieldError, PageError};
use crate::extract::Form;
use crate::pages::{pager, render, show_time, Chrome};
use crate::AppState;

/// Lines an import may hold at once.
pub const IMPORT_LINES: usize = 2_000;

/// What an address look-up found.
#[derive(Debug, Clone)]
pub enum AddressFound {
    /// The building (or every building behind the door number) is in one
    /// grid: the matched address and the grid's code.
    Grid { address: String, grid_code: String },
    /// The door number's buildings lie in several grids: each building's
    /// address and grid code, to choose from.
    Several(Vec<(String, String)>),
    /// No building matches.
    Nothing,
}

/// Finds the grid of an address; `Err` with the reason, in Chinese, when
/// the text is not an address.
pub async fn find_by_address(app: &AppState, text: &str) -> Result<AddressFound, AppError> {
    let address =
        StandardAddress::parse(text).map_err(|e| AppError::field("address", e.to_string()))?;
    let key = address.building_key();
    let exact = app.store.buildings_by_key(&key, 1).await?;
    if let Some(b) = exact.into_iter().find(|b| b.address_key == key) {
        return Ok(AddressFound::Grid {
            address: b.address(),
            grid_code: b.grid_code,
        });
    }
    // Every building behind the door number: one grid answers for the
    // compound; several grids are listed for the resident to choose.
    let door = address.door_key();
    let behind: Vec<BuildingRow> = app
        .store
        .buildings_by_key(&door, 50)
        .await?
        .into_iter()
        .filter(|b| {
            let rest = &b.address_key[door.len()..];
            rest.is_empty() || rest.starts_with(|c: char| c.is_ascii_digit())
        })
        .collect();
    let Some(first) = behind.first() else {
        return Ok(AddressFound::Nothing);
    };
    if behind.iter().all(|b| b.grid_code == first.grid_code) {
        return Ok(AddressFound::Grid {
            address: door,
            grid_code: first.grid_code.clone(),
        });
    }
    Ok(AddressFound::Several(
        behind
            .into_iter()
            .map(|b| (b.address(), b.grid_code))
            .collect(),
    ))
}

/// The buildings list's filters.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BuildingFilter {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub page: String,
}

/// One building as lists show it.
#[derive(Debug, Clone)]
pub struct BuildingLine {
    pub id: Uuid,
    pub address: String,
    pub placement: &'static str,
    pub point: String,
    pub households: i64,
    pub residents: i64,
    pub created: String,
}

impl BuildingLine {
    pub fn of(b: &BuildingRow) -> BuildingLine {
        BuildingLine {
            id: b.id,
            address: b.address(),
            placement: b.placement.label(),
            point: match (b.lng, b.lat) {
                (Some(lng), Some(lat)) => format!("{lng:.6}, {lat:.6}"),
                _ => "—".to_owned(),
            },
            households: b.households,
            residents: b.residents,
            created: show_time(Some(b.created_at)),
        }
    }
}

#[derive(Template)]
#[template(path = "grid/buildings.html")]
struct BuildingsPage {
    chrome: Chrome,
    grid: DirectoryRow,
    f: BuildingFilter,
    total: u64,
    rows: Vec<BuildingLine>,
    full: bool,
    pager: String,
    import: ImportForm,
    import_errors: Vec<String>,
    imported: Option<String>,
}

/// `GET /grid/grids/{id}/buildings`
pub async fn list(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(f): Query<BuildingFilter>,
) -> Result<Response, PageError> {
    let (code, entry) = entry(&app, &id).await?;
    let sight = sight(&app, &viewer, &code.to_string()).await?;
    buildings_page(
        &app,
        chrome,
        DirectoryRow::of(&entry),
        sight,
        f,
        ImportForm::default(),
        Vec::new(),
        None,
    )
    .await
}

#[allow(clippy::too_many_arguments)]
async fn buildings_page(
    app: &AppState,
    chrome: Chrome,
    grid: DirectoryRow,
    sight: Sight,
    f: BuildingFilter,
    import: ImportForm,
    import_errors: Vec<String>,
    imported: Option<String>,
) -> Result<Response, PageError> {
    let page = f.page.trim().parse::<u32>().unwrap_or(1).max(1);
    let q = f.q.trim();
    let query = BuildingQuery {
        grid_code: Some(grid.code.clone()),
        search: (!q.is_empty()).then(|| q.chars().take(50).collect()),
    };
    let found = app
        .store
        .buildings(&query, Page::number(page, PAGE_SIZE))
        .await?;
    let status = if import_errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let mut response = render(&BuildingsPage {
        chrome: chrome.titled(format!("{} · 楼栋", grid.name), "grid"),
        pager: pager(
            &format!("/grid/grids/{}/buildings", grid.code),
            &[("q", q.to_owned())],
            page,
            PAGE_SIZE,
            found.total,
        ),
        total: found.total,
        rows: found.items.iter().map(BuildingLine::of).collect(),
        full: sight == Sight::Full,
        grid,
        f,
        import,
        import_errors,
        imported,
    })?;
    *response.status_mut() = status;
    Ok(response)
}

/// The building form, as sent.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct BuildingForm {
    #[serde(default)]
    pub road: String,
    #[serde(default)]
    pub number: String,
    #[serde(default)]
    pub building: String,
    #[serde(default)]
    pub lng: String,
    #[serde(default)]
    pub lat: String,
}

#[derive(Template)]
#[template(path = "grid/building_form.html")]
struct BuildingFormPage {
    chrome: Chrome,
    grid: DirectoryRow,
    form: BuildingForm,
    errors: Vec<FieldError>,
}

/// `GET /grid/grids/{id}/buildings/new`
pub async fn new_form(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (code, entry) = entry(&app, &id).await?;
    may_change(&app, &viewer, &code.to_string()).await?;
    let grid = DirectoryRow::of(&entry);
    render(&BuildingFormPage {
        chrome: chrome.titled(format!("登记楼栋 · {}", grid.name), "grid"),
        grid,
        form: BuildingForm::default(),
        errors: Vec::new(),
    })
}

/// Checks one building's parts and point against `grid`: the point, when
/// given, must lie in the grid. Returns the new building or the problems.
async fn check_building(
    app: &AppState,
    grid: &str,
    road: &str,
    number: &str,
    building: &str,
    lng: &str,
    lat: &str,
) -> Result<NewBuilding, Vec<FieldError>> {
    let mut errors = Vec::new();
    let road = canonical_road(road);
    if road.is_none() {
        errors.push(FieldError::new(
            "road",
            "请填写路、街、巷或村组名称（不超过 30 个字，不含门牌号），例如“人民路”",
        ));
    }
    let number = canonical_number(number);
    if number.is_none() {
        errors.push(FieldError::new(
            "number",
            "门牌号应为数字，例如“18”或“18号”，可带分号如“18-2”",
        ));
    }
    let building = canonical_building(building);
    if building.is_none() {
        errors.push(FieldError::new(
            "building",
            "楼栋应为数字，例如“3”或“3幢”；一个门牌号只有一栋楼时请留空",
        ));
    }
    let mut point = None;
    match (lng.trim(), lat.trim()) {
        ("", "") => {}
        (lng, lat) => match LngLat::parse(lng, lat) {
            Ok(p) => point = Some(p),
            Err(e) => errors.push(FieldError::new("lng", e.to_string())),
        },
    }
    let placement = match point {
        None => Placement::Assigned,
        Some(p) => {
            let map = app
                .grid_map
                .get(&*app.store)
                .await
                .map_err(|_| vec![FieldError::new("lng", "网格地图暂不可用，请稍后再试")])?;
            match map.index.lookup(p) {
                Some(hit) if hit.code.to_string() == grid => Placement::Point,
                Some(hit) => {
                    errors.push(FieldError::new(
                        "lng",
                        format!(
                            "该坐标位于网格 {}，不在本网格内：请核对坐标，或由该网格登记",
                            hit.code
                        ),
                    ));
                    Placement::Point
                }
                None => {
                    errors.push(FieldError::new(
                        "lng",
                        "该坐标不在任何网格内：请核对坐标，或留空坐标登记在本网格",
                    ));
                    Placement::Point
                }
            }
        }
    };
    match (road, number, building) {
        (Some(road), Some(number), Some(building)) if errors.is_empty() => Ok(NewBuilding {
            id: Uuid::now_v7(),
            grid_code: grid.to_owned(),
            address_key: building_key(&road, &number, &building),
            road,
            number,
            building,
            lng: point.map(|p| p.lng),
            lat: point.map(|p| p.lat),
            placement,
        }),
        _ => Err(errors),
    }
}

/// `POST /grid/grids/{id}/buildings`
pub async fn create(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<BuildingForm>,
) -> Result<Response, PageError> {
    let (code, entry) = entry(&app, &id).await?;
    let grid_code = code.to_string();
    may_change(&app, &viewer, &grid_code).await?;
    let checked = check_building(
        &app,
        &grid_code,
        &form.road,
        &form.number,
        &form.building,
        &form.lng,
        &form.lat,
    )
    .await;
    let errors = match checked {
        Ok(building) => {
            let ctx = app.audit_ctx(&viewer, &addr);
            match app.store.create_building(&ctx, building).await {
                Ok(row) => {
                    return Ok(Redirect::to(&format!("/grid/buildings/{}", row.id)).into_response())
                }
                Err(StoreError::Conflict { field: "address" }) => vec![FieldError::new(
                    "building",
                    "该地址的楼栋已经登记：请在楼栋列表中查找，不要重复登记",
                )],
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => errors,
    };
    let grid = DirectoryRow::of(&entry);
    let mut page = render(&BuildingFormPage {
        chrome: chrome.titled(format!("登记楼栋 · {}", grid.name), "grid"),
        grid,
        form,
        errors,
    })?;
    *page.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    Ok(page)
}

/// The import form: CSV text, one flat a line.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    pub csv: String,
}

/// `POST /grid/grids/{id}/buildings/import`: lines of `路名,门牌号,楼栋,
/// 单元,室[,经度,纬度]`. Buildings that are not registered yet are
/// created in this grid; flats that exist are left as they are. Either
/// every line is good and all are imported in one transaction, or nothing
/// is and each bad line is named.
pub async fn import(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    addr: axum::Extension<ClientAddr>,
    Path(id): Path<String>,
    Form(form): Form<ImportForm>,
) -> Result<Response, PageError> {
    let (code, entry) = entry(&app, &id).await?;
    let grid_code = code.to_string();
    may_change(&app, &viewer, &grid_code).await?;
    let mut errors = Vec::new();
    let lines: Vec<(usize, &str)> = form
        .csv
        .lines()
        .enumerate()
        .map(|(i, l)| (i + 1, l.trim()))
        .filter(|(_, l)| !l.is_empty() && !l.starts_with("路名"))
        .collect();
    if lines.is_empty() {
        errors
            .push("请粘贴要导入的房屋，每行一户：路名,门牌号,楼栋,单元,室[,经度,纬度]".to_owned());
    }
    if lines.len() > IMPORT_LINES {
        errors.push(format!(
            "一次最多导入 {IMPORT_LINES} 行，本次有 {} 行：请分批导入",
            lines.len()
        ));
    }
    let mut import = PlacesImport {
        label: grid_code.clone(),
        ..PlacesImport::default()
    };
    // Buildings by key: registered ones (and their flats), then new ones.
    let mut buildings: std::collections::HashMap<String, (Uuid, bool)> = Default::default();
    let mut flats: std::collections::HashSet<(Uuid, String, String)> = Default::default();
    if errors.is_empty() {
        for (n, line) in &lines {
            let cells: Vec<&str> = line.split([',', '，', '\t']).map(str::trim).collect();
            if !(5..=7).contains(&cells.len()) || cells.len() == 6 {
                errors.push(format!(
                    "第 {n} 行：应有 5 列（路名,门牌号,楼栋,单元,室）或 7 列（再加经度,纬度），实际 {} 列",
                    cells.len()
                ));
                continue;
            }
            let (lng, lat) = if cells.len() == 7 {
                (cells[5], cells[6])
            } else {
                ("", "")
            };
            let building = match check_building(
                &app, &grid_code, cells[0], cells[1], cells[2], lng, lat,
            )
            .await
            {
                Ok(b) => b,
                Err(problems) => {
                    for p in problems {
                        errors.push(format!("第 {n} 行：{}", p.message));
                    }
                    continue;
                }
            };
            let (Some(unit), Some(room)) = (canonical_unit(cells[3]), canonical_room(cells[4]))
            else {
                errors.push(format!(
                    "第 {n} 行：单元和室号应为数字（如“2”“301”），没有时留空"
                ));
                continue;
            };
            let key = building.address_key.clone();
            let building_id = match buildings.get(&key) {
                Some((id, _)) => *id,
                None => {
                    let existing = app
                        .store
                        .buildings_by_key(&key, 1)
                        .await?
                        .into_iter()
                        .find(|b| b.address_key == key);
                    match existing {
                        Some(b) if b.grid_code != grid_code => {
                            errors.push(format!(
                                "第 {n} 行：{} 已登记在网格 {}，不能导入到本网格",
                                b.address(),
                                b.grid_code
                            ));
                            continue;
                        }
                        Some(b) => {
                            for h in app.store.households(b.id).await? {
                                flats.insert((b.id, h.unit, h.room));
                            }
                            buildings.insert(key, (b.id, false));
                            b.id
                        }
                        None => {
                            let id = building.id;
                            buildings.insert(key, (id, true));
                            import.buildings.push(building);
                            id
                        }
                    }
                }
            };
            if flats.insert((building_id, unit.clone(), room.clone())) {
                import.households.push(NewHousehold {
                    id: Uuid::now_v7(),
                    building_id,
                    unit,
                    room,
                });
            }
        }
    }
    let grid = DirectoryRow::of(&entry);
    let sight = Sight::Full;
    if !errors.is_empty() {
        return buildings_page(
            &app,
            chrome,
            grid,
            sight,
            BuildingFilter::default(),
            form,
            errors,
            None,
        )
        .await;
    }
    let ctx = app.audit_ctx(&viewer, &addr);
    let counts = app.store.import_places(&ctx, import).await?;
    buildings_page(
        &app,
        chrome,
        grid,
        sight,
        BuildingFilter::default(),
        ImportForm::default(),
        Vec::new(),
        Some(format!(
            "已导入：新楼栋 {} 栋，新房屋 {} 户（已登记的房屋不重复导入）",
            counts.buildings, counts.households
        )),
    )
    .await
}

/// One flat on a building's page, with its residents.
#[derive(Debug, Clone)]
struct FlatLine {
    label: String,
    residents: Vec<ResidentLine>,
}

#[derive(Template)]
#[template(path = "grid/building.html")]
struct BuildingPage {
    chrome: Chrome,
    grid: DirectoryRow,
    b: BuildingLine,
    flats: Vec<FlatLine>,
    full: bool,
}

/// `GET /grid/buildings/{id}`: the building, its flats and who lives in
/// each (masked, as every list).
pub async fn show(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let id = Uuid::parse_str(id.trim()).map_err(|_| AppError::NotFound)?;
    let building = app.store.building(id).await?.ok_or(AppError::NotFound)?;
    let sight = sight(&app, &viewer, &building.grid_code).await?;
    let (_, entry) = entry(&app, &building.grid_code).await?;
    let households = app.store.households(id).await?;
    let query = ResidentQuery {
        grid_code: building.grid_code.clone(),
        building_id: Some(id),
        ..ResidentQuery::default()
    };
    let mut residents = Vec::new();
    let mut page = 1;
    loop {
        let found = app
            .store
            .residents(&query, Page::number(page, Page::MAX_LIMIT))
            .await?;
        let n = found.items.len();
        residents.extend(found.items);
        if n == 0 || residents.len() as u64 >= found.total {
            break;
        }
        page += 1;
    }
    let today = app.clock.now().micros();
    let flats = households
        .iter()
        .map(|h| FlatLine {
            label: match format!("{}{}", h.unit, h.room).as_str() {
                "" => "（整栋）".to_owned(),
                label => label.to_owned(),
            },
            residents: residents
                .iter()
                .filter(|r| r.household_id == h.id)
                .map(|r| ResidentLine::of(r, false, today))
                .collect(),
        })
        .collect();
    let b = BuildingLine::of(&building);
    render(&BuildingPage {
        chrome: chrome.titled(format!("{} · 楼栋", b.address), "grid"),
        grid: DirectoryRow::of(&entry),
        full: sight == Sight::Full,
        b,
        flats,
    })
}

/// Whether the viewer may open the residents and buildings of `grid` (the
/// grid page links to them only then).
pub async fn may_open(app: &AppState, viewer: &Viewer, grid: &str) -> bool {
    viewer.user().is_some() && sight(app, viewer, grid).await.is_ok()
}
