//! The public grid pages: the directory of grids and their leaders (with
//! its XLSX export), a grid's own page, its printable door sticker with a
//! QR code, and the look-up by a point on the map.
//!
//! Everything here is what the district publishes (the seed article: every
//! grid leader's name, official phone and grid area, so that residents can
//! find theirs): no page needs a login, and no page shows anything but
//! official contacts.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use yiwang_core::Role;
use yiwang_grid::{CommunityCode, GridCode, GridKind, LngLat, StreetCode};
use yiwang_store::grid::{DirectoryEntry, GridQuery, UnitLevel};
use yiwang_store::Page;

use super::data::{area_label, MapShape};
use super::map;
use super::places::{find_by_address, may_open, AddressFound};
use crate::auth::Viewer;
use crate::error::{AppError, PageError};
use crate::pages::{pager, render, show_time, Chrome};
use crate::AppState;

/// Rows per directory page.
pub const PAGE_SIZE: u32 = 50;

/// The directory's filters, as the form sends them (text, checked here).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct DirectoryFilter {
    /// Grid code or name, community, street or leader name.
    #[serde(default)]
    pub q: String,
    /// A street's 9-digit code.
    #[serde(default)]
    pub street: String,
    /// `comprehensive`, `specialised` or empty.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub page: String,
}

impl DirectoryFilter {
    /// The store query, or the reason the filters are wrong.
    pub fn query(&self) -> Result<GridQuery, AppError> {
        let street = match self.street.trim() {
            "" => None,
            code => Some(
                StreetCode::parse(code)
                    .map_err(|e| AppError::field("street", e.to_string()))?
                    .to_string(),
            ),
        };
        let kind = match self.kind.trim() {
            "" => None,
            k @ ("comprehensive" | "specialised") => Some(k.to_owned()),
            _ => return Err(AppError::field("kind", "网格类型应为综合网格或专属网格")),
        };
        let q = self.q.trim();
        Ok(GridQuery {
            search: (!q.is_empty()).then(|| q.chars().take(50).collect()),
            under: street,
            kind,
        })
    }

    /// The page number asked for; anything unreadable is page 1.
    pub fn page_number(&self) -> u32 {
        self.page.trim().parse::<u32>().unwrap_or(1).max(1)
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        vec![
            ("q", self.q.trim().to_owned()),
            ("street", self.street.trim().to_owned()),
            ("kind", self.kind.trim().to_owned()),
        ]
    }
}

/// One directory line as pages and exports show it.
#[derive(Debug, Clone)]
pub struct DirectoryRow {
    pub code: String,
    pub name: String,
    pub kind_label: String,
    pub street: String,
    pub community: String,
    pub leader: String,
    pub phone: String,
    pub area: String,
    pub area_centi: i64,
}

impl DirectoryRow {
    pub fn of(entry: &DirectoryEntry) -> DirectoryRow {
        let kind_label = GridKind::from_code(&entry.grid.kind)
            .map(|k| k.label())
            .unwrap_or_else(|| entry.grid.kind.clone());
        DirectoryRow {
            code: entry.grid.code.clone(),
            name: entry.grid.name.clone(),
            kind_label,
            street: entry.street_name.clone(),
            community: entry.community_name.clone(),
            leader: entry
                .leader
                .as_ref()
                .map_or_else(|| "（待配备）".to_owned(), |l| l.name.clone()),
            phone: entry
                .leader
                .as_ref()
                .map_or_else(String::new, |l| l.official_phone.clone()),
            area: area_label(entry.grid.area_centi),
            area_centi: entry.grid.area_centi,
        }
    }
}

#[derive(Template)]
#[template(path = "grid/directory.html")]
struct DirectoryPage {
    chrome: Chrome,
    f: DirectoryFilter,
    streets: Vec<(String, String)>,
    error: Option<String>,
    total: u64,
    rows: Vec<DirectoryRow>,
    qs: String,
    pager: String,
}

/// The streets, for the directory's filter: (code, name).
async fn streets(app: &AppState) -> Result<Vec<(String, String)>, AppError> {
    Ok(app
        .store
        .grid_units()
        .await?
        .into_iter()
        .filter(|u| u.level == UnitLevel::Street)
        .map(|u| (u.code, u.name))
        .collect())
}

/// `GET /grid/directory`
pub async fn directory(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(f): Query<DirectoryFilter>,
) -> Result<Response, PageError> {
    let page = f.page_number();
    let (found, error) = match f.query() {
        Ok(q) => (
            Some(
                app.store
                    .grid_directory(&q, Page::number(page, PAGE_SIZE))
                    .await?,
            ),
            None,
        ),
        Err(AppError::Invalid(e)) => (None, e.first().map(|e| e.message.clone())),
        Err(e) => return Err(e.into()),
    };
    let total = found.as_ref().map_or(0, |p| p.total);
    let rows = found
        .map(|p| p.items)
        .unwrap_or_default()
        .iter()
        .map(DirectoryRow::of)
        .collect();
    let pairs = f.pairs();
    let qs = {
        let kept: Vec<_> = pairs.iter().filter(|(_, v)| !v.is_empty()).collect();
        if kept.is_empty() {
            String::new()
        } else {
            format!(
                "?{}",
                serde_urlencoded::to_string(&kept).unwrap_or_default()
            )
        }
    };
    render(&DirectoryPage {
        chrome: chrome.titled("网格长名录", "grid"),
        streets: streets(&app).await?,
        pager: pager("/grid/directory", &pairs, page, PAGE_SIZE, total),
        f,
        error,
        total,
        rows,
        qs,
    })
}

/// `GET /grid/directory.xlsx`: every line the filters match, one sheet.
pub async fn directory_xlsx(
    State(app): State<AppState>,
    Query(f): Query<DirectoryFilter>,
) -> Result<Response, PageError> {
    let query = f.query()?;
    let mut rows = Vec::new();
    let mut page = 1;
    loop {
        let found = app
            .store
            .grid_directory(&query, Page::number(page, Page::MAX_LIMIT))
            .await?;
        rows.extend(found.items.iter().map(DirectoryRow::of));
        if rows.len() as u64 >= found.total || found.items.is_empty() {
            break;
        }
        page += 1;
    }
    let bytes =
        directory_workbook(&rows).map_err(|e| AppError::Internal(anyhow::anyhow!("xlsx: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"grid-directory.xlsx\"",
            ),
        ],
        bytes,
    )
        .into_response())
}

/// The directory as an XLSX workbook: codes as text (they are 15 digits),
/// areas as numbers of square metres.
pub fn directory_workbook(rows: &[DirectoryRow]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let area = Format::new().set_num_format("#,##0.00");
    let sheet = book.add_worksheet();
    sheet.set_name("网格长名录")?;
    let headers = [
        "网格编码",
        "网格名称",
        "网格类型",
        "街道（镇）",
        "社区（村）",
        "网格长",
        "联系电话",
        "面积（平方米）",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, text) in [
            &row.code,
            &row.name,
            &row.kind_label,
            &row.street,
            &row.community,
            &row.leader,
            &row.phone,
        ]
        .into_iter()
        .enumerate()
        {
            sheet.write_string(r, c as u16, text)?;
        }
        sheet.write_number_with_format(r, 7, row.area_centi as f64 / 100.0, &area)?;
    }
    sheet.autofit();
    book.save_to_buffer()
}

/// A grid's directory entry, or `NotFound` for a code that names none.
pub async fn entry(app: &AppState, code: &str) -> Result<(GridCode, DirectoryEntry), AppError> {
    let code = GridCode::parse(code).map_err(|_| AppError::NotFound)?;
    let query = GridQuery {
        under: Some(code.to_string()),
        ..GridQuery::default()
    };
    let found = app.store.grid_directory(&query, Page::number(1, 1)).await?;
    let entry = found.items.into_iter().next().ok_or(AppError::NotFound)?;
    Ok((code, entry))
}

/// One member of a grid's staff on its page.
#[derive(Debug, Clone)]
struct StaffLine {
    role: &'static str,
    name: String,
    phone: String,
}

/// One version of the grid's boundary on its page.
#[derive(Debug, Clone)]
struct VersionLine {
    version: i64,
    status: &'static str,
    area: String,
    note: String,
    filed: String,
    decided: String,
}

#[derive(Template)]
#[template(path = "grid/grid.html")]
struct GridPage {
    chrome: Chrome,
    row: DirectoryRow,
    community_code: String,
    staff: Vec<StaffLine>,
    map_svg: String,
    geojson: String,
    versions: Vec<VersionLine>,
    /// The viewer may file a new boundary (this grid's leader, a supervisor).
    can_file: bool,
    /// The viewer decides filings.
    is_supervisor: bool,
    /// The viewer may open the grid's residents and buildings.
    staff_links: bool,
}

/// Roles that see a grid's filing history with its notes.
const GRID_OFFICIALS: &[Role] = &[
    Role::GridLeader,
    Role::GridWorker,
    Role::Supervisor,
    Role::Admin,
];

/// `GET /grid/grids/{id}` (the id is the grid's code)
pub async fn grid_page(
    State(app): State<AppState>,
    chrome: Chrome,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (code, entry) = entry(&app, &id).await?;
    let assignments = app.store.grid_staff(&entry.grid.code).await?;
    let is_supervisor = viewer.role() == Some(Role::Supervisor);
    let leads = viewer.user().is_some_and(|u| {
        assignments.iter().any(|a| {
            a.role == yiwang_store::grid::StaffRole::Leader && a.staff.user_id == Some(u.user.id)
        })
    });
    let staff = assignments
        .into_iter()
        .map(|a| StaffLine {
            role: a.role.label(),
            name: a.staff.name,
            phone: a.staff.official_phone,
        })
        .collect();
    let grid_map = app.grid_map.get(&*app.store).await?;
    let community = code.community();
    let neighbours: Vec<&MapShape> = grid_map
        .shapes
        .iter()
        .filter(|s| s.code.community() == community)
        .collect();
    let map_svg = map::render(&neighbours, Some(code), None, |s| {
        format!("/grid/grids/{}", s.code)
    });
    let versions = if viewer.role().is_some_and(|r| GRID_OFFICIALS.contains(&r)) {
        app.store
            .boundary_versions(&entry.grid.code)
            .await?
            .into_iter()
            .map(|v| VersionLine {
                version: v.version,
                status: v.status.label(),
                area: area_label(v.area_centi),
                note: v.note,
                filed: format!("{} {}", show_time(Some(v.filed_at)), v.filed_by_name),
                decided: match (v.decided_at, v.decided_by_name) {
                    (Some(at), Some(by)) => format!(
                        "{} {}{}",
                        show_time(Some(at)),
                        by,
                        v.decision_note
                            .filter(|n| !n.is_empty())
                            .map(|n| format!("：{n}"))
                            .unwrap_or_default()
                    ),
                    _ => "—".to_owned(),
                },
            })
            .collect()
    } else {
        Vec::new()
    };
    let row = DirectoryRow::of(&entry);
    render(&GridPage {
        chrome: chrome.titled(format!("{} · 网格", row.name), "grid"),
        community_code: community.to_string(),
        geojson: entry.grid.boundary_json.clone(),
        row,
        staff,
        map_svg,
        versions,
        can_file: is_supervisor || leads,
        is_supervisor,
        staff_links: may_open(&app, &viewer, &code.to_string()).await,
    })
}

#[derive(Template)]
#[template(path = "grid/sticker.html")]
struct StickerPage {
    chrome: Chrome,
    row: DirectoryRow,
    url: String,
    qr_svg: String,
}

/// The QR code of `text` as inline SVG (no XML declaration).
pub fn qr_svg(text: &str) -> Result<String, AppError> {
    use qrcode::render::svg;
    use qrcode::{EcLevel, QrCode};
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| AppError::Internal(anyhow::anyhow!("qr code: {e}")))?;
    let image = code
        .render::<svg::Color>()
        .min_dimensions(240, 240)
        .quiet_zone(true)
        .build();
    Ok(match image.find("<svg") {
        Some(at) => image[at..].to_owned(),
        None => image,
    })
}

/// `GET /grid/grids/{id}/sticker`: the door sticker, to print.
pub async fn sticker(
    State(app): State<AppState>,
    chrome: Chrome,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let (code, entry) = entry(&app, &id).await?;
    let url = format!(
        "{}/grid/grids/{code}",
        app.config.public_url.trim_end_matches('/')
    );
    let row = DirectoryRow::of(&entry);
    render(&StickerPage {
        chrome: chrome.titled(format!("{} · 网格门牌", row.name), "grid"),
        qr_svg: qr_svg(&url)?,
        url,
        row,
    })
}

/// The look-up form, as sent (text, checked here).
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LookupForm {
    /// A standard address (人民路18号3幢); looked up instead of a point.
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub lng: String,
    #[serde(default)]
    pub lat: String,
    /// A street or community code: the map shows only its grids.
    #[serde(default)]
    pub under: String,
}

#[derive(Template)]
#[template(path = "grid/lookup.html")]
struct LookupPage {
    chrome: Chrome,
    form: LookupForm,
    error: Option<String>,
    asked: bool,
    found: Option<DirectoryRow>,
    /// What was wrong with the address, or that nothing matched it.
    address_error: Option<String>,
    /// The registered address that matched, with its grid.
    address_found: Option<(String, DirectoryRow)>,
    /// A door number whose buildings lie in several grids: each building's
    /// address and grid.
    address_choices: Vec<(String, DirectoryRow)>,
    on_boundary: bool,
    map_title: String,
    zoom_out: Vec<(String, String)>,
    map_svg: String,
}

/// A prefix code the map may zoom to: a street (9 digits) or community (12).
fn zoom_code(text: &str) -> Option<String> {
    let text = text.trim();
    match text.len() {
        9 => StreetCode::parse(text).ok().map(|c| c.to_string()),
        12 => CommunityCode::parse(text).ok().map(|c| c.to_string()),
        _ => None,
    }
}

/// `GET /grid/lookup`: a point (typed, or clicked on the map) and its grid.
pub async fn lookup(
    State(app): State<AppState>,
    chrome: Chrome,
    Query(form): Query<LookupForm>,
) -> Result<Response, PageError> {
    let grid_map = app.grid_map.get(&*app.store).await?;
    let mut address_error = None;
    let mut address_found = None;
    let mut address_choices = Vec::new();
    if !form.address.trim().is_empty() {
        match find_by_address(&app, &form.address).await {
            Ok(AddressFound::Grid { address, grid_code }) => {
                address_found =
                    Some((address, DirectoryRow::of(&entry(&app, &grid_code).await?.1)));
            }
            Ok(AddressFound::Several(buildings)) => {
                for (address, grid_code) in buildings.into_iter().take(20) {
                    address_choices
                        .push((address, DirectoryRow::of(&entry(&app, &grid_code).await?.1)));
                }
            }
            Ok(AddressFound::Nothing) => {
                address_error = Some(
                    "没有找到该地址的楼栋：请核对路名和门牌号，或在下方地图上点选您的位置"
                        .to_owned(),
                );
            }
            Err(AppError::Invalid(fields)) => {
                address_error = fields.into_iter().next().map(|f| f.message);
            }
            Err(e) => return Err(e.into()),
        }
    }
    let asked = !form.lng.trim().is_empty() || !form.lat.trim().is_empty();
    let mut error = None;
    let mut point = None;
    let mut hit = None;
    if asked {
        match LngLat::parse(&form.lng, &form.lat) {
            Ok(p) => {
                point = Some(p);
                hit = grid_map.index.lookup(p);
            }
            Err(e) => error = Some(e.to_string()),
        }
    }
    let found = match hit {
        Some(h) => Some(DirectoryRow::of(&entry(&app, &h.code.to_string()).await?.1)),
        None => None,
    };
    // Zoom: as asked, else to the found grid's community, else everything.
    let zoom = zoom_code(&form.under)
        .or_else(|| hit.map(|h| h.code.community().to_string()))
        .or_else(|| address_found.as_ref().map(|(_, g)| g.code[..12].to_owned()));
    let highlight = hit.map(|h| h.code).or_else(|| {
        address_found
            .as_ref()
            .and_then(|(_, g)| GridCode::parse(&g.code).ok())
    });
    let shapes: Vec<&MapShape> = grid_map
        .shapes
        .iter()
        .filter(|s| {
            zoom.as_deref()
                .is_none_or(|z| s.code.to_string().starts_with(z))
        })
        .collect();
    let units = app.store.grid_units().await?;
    let unit_name = |code: &str| {
        units
            .iter()
            .find(|u| u.code == code)
            .map(|u| u.name.clone())
            .unwrap_or_else(|| code.to_owned())
    };
    let (map_title, zoom_out) = match &zoom {
        Some(z) if z.len() == 12 => {
            let street = &z[..9];
            (
                format!("{} · {}", unit_name(street), unit_name(z)),
                vec![
                    (
                        format!("/grid/lookup?under={street}"),
                        format!("查看{}", unit_name(street)),
                    ),
                    ("/grid/lookup".to_owned(), "查看全区".to_owned()),
                ],
            )
        }
        Some(z) => (
            unit_name(z),
            vec![("/grid/lookup".to_owned(), "查看全区".to_owned())],
        ),
        None => (
            units
                .iter()
                .find(|u| u.level == UnitLevel::District)
                .map_or_else(|| "全区".to_owned(), |u| u.name.clone()),
            Vec::new(),
        ),
    };
    let map_svg = map::render(&shapes, highlight, point, |s| {
        format!(
            "/grid/lookup?lng={:.6}&lat={:.6}",
            s.anchor.lng, s.anchor.lat
        )
    });
    render(&LookupPage {
        chrome: chrome.titled("查找我的网格", "grid"),
        on_boundary: hit.is_some_and(|h| h.on_boundary),
        form,
        error,
        asked,
        found,
        address_error,
        address_found,
        address_choices,
        map_title,
        zoom_out,
        map_svg,
    })
}
