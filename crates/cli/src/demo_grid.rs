//! Grid governance demo data: the seed article's district, generated.
//!
//! 通州区 as [`DistrictPlan::tongzhou`] describes it — 12 streets and towns,
//! 120 communities and villages, 1,030 comprehensive grids tiling them and
//! 107 specialised grids inside them, each grid with its leader, so 1,137
//! leaders — generated from [`DEMO_GRID_SEED`]: every demo run has the same
//! district, codes, lines and names. It is loaded in one transaction.
//!
//! The demo accounts take part: `gridleader` leads the first grid (its
//! generated leader makes way), `gridworker` works in the first two grids of
//! that community, and `supervisor` works in the first specialised grid, so
//! each of them finds their grids when they log in.
//!
//! The district's places and people come next ([`load_population`]): each
//! comprehensive grid a residential compound of numbered buildings with
//! flats and households, [`DEMO_RESIDENTS`] residents in all, with valid ID
//! numbers and a few tags — enough to work with, few enough that `serve
//! --demo` starts at once. The same code generates the benchmark's 1.26
//! million residents (`yiwang grid generate --residents 1260000`), in
//! batches, each its own transaction, so memory holds one batch at a time.
//!
//! Loading is idempotent: a database that has grids keeps them, and one
//! that has residents keeps them.

use std::time::Instant;

use uuid::Uuid;
use yiwang_core::Timestamp;
use yiwang_grid::generate::{generate, DistrictPlan, GeneratedDistrict};
use yiwang_grid::population::{populate, GeneratedBuilding, PopulationPlan};
use yiwang_store::grid::{NewStaff, StaffRole};
use yiwang_store::residents::{
    NewBuilding, NewHousehold, NewResident, NewTag, Placement, PlacesCounts, PlacesImport,
};
use yiwang_store::{AuditCtx, Store};
use yiwang_web::grid::data::import_of;
use yiwang_web::AppState;

/// The seed the demo district is generated from.
pub const DEMO_GRID_SEED: u64 = 2020;

/// Residents of the demo district.
pub const DEMO_RESIDENTS: u64 = 30_000;

/// Residents per transaction when loading a population.
pub const BATCH_RESIDENTS: usize = 20_000;

/// One day in µs.
const DAY_US: i64 = 86_400_000_000;

/// A demo account's name without the role note: "陈建华（网格长）" → "陈建华".
fn plain_name(display_name: &str) -> String {
    display_name
        .split('（')
        .next()
        .unwrap_or(display_name)
        .to_owned()
}

/// Loads the demo district unless grids exist, then its places and
/// [`DEMO_RESIDENTS`] residents unless residents exist; whether the
/// district was loaded.
pub async fn load(app: &AppState) -> anyhow::Result<bool> {
    let district = generate(&DistrictPlan::tongzhou(DEMO_GRID_SEED));
    let loaded = load_district(app, &district).await?;
    let store = &*app.store;
    let ours = match district.grids.first() {
        Some(g) => store.grid(&g.code.to_string()).await?.is_some(),
        None => false,
    };
    if ours && store.count_residents().await? == 0 {
        load_population(app, &district, DEMO_GRID_SEED, DEMO_RESIDENTS, |_| {}).await?;
        let grids: Vec<String> = district.grids.iter().map(|g| g.code.to_string()).collect();
        crate::demo_problems::load(app, &grids).await?;
    }
    Ok(loaded)
}

/// The demo district's grids and leaders, unless grids exist.
pub async fn load_district(app: &AppState, district: &GeneratedDistrict) -> anyhow::Result<bool> {
    let store = &*app.store;
    if store.count_grids().await? > 0 {
        return Ok(false);
    }
    let mut import = import_of(district);
    let first = district.grids[0].code.to_string();
    let second = district.grids[1].code.to_string();
    let specialised = district
        .grids
        .iter()
        .find(|g| !g.kind.is_comprehensive())
        .map(|g| g.code.to_string());

    // The demo accounts as grid staff.
    let account = |username: &'static str| async move {
        store.credentials(username).await.map(|c| c.map(|c| c.user))
    };
    if let Some(user) = account("gridleader").await? {
        // The first grid's generated leader makes way for the account.
        let generated = import
            .assignments
            .iter()
            .position(|(grid, _, role)| *grid == first && *role == StaffRole::Leader)
            .expect("every generated grid has a leader");
        let (_, generated_id, _) = import.assignments.remove(generated);
        import.staff.retain(|s| s.id != generated_id);
        let id = Uuid::now_v7();
        import.staff.push(NewStaff {
            id,
            name: plain_name(&user.display_name),
            official_phone: user.phone.clone().unwrap_or_default(),
            user_id: Some(user.id),
        });
        import
            .assignments
            .push((first.clone(), id, StaffRole::Leader));
    }
    let mut workers = vec![("gridworker", vec![first.clone(), second])];
    if let Some(code) = specialised {
        workers.push(("supervisor", vec![code]));
    }
    for (username, grids) in workers {
        if let Some(user) = account(username).await? {
            let id = Uuid::now_v7();
            import.staff.push(NewStaff {
                id,
                name: plain_name(&user.display_name),
                official_phone: user.phone.clone().unwrap_or_default(),
                user_id: Some(user.id),
            });
            for grid in grids {
                import.assignments.push((grid, id, StaffRole::Worker));
            }
        }
    }
    let ctx = AuditCtx::system("demo", app.clock.now().micros());
    store.import_grids(&ctx, import).await?;
    Ok(true)
}

/// One grid's generated buildings added to a store import.
fn add_to(import: &mut PlacesImport, buildings: Vec<GeneratedBuilding>, today: i64) -> usize {
    let mut residents = 0;
    for b in buildings {
        let building = NewBuilding {
            id: Uuid::now_v7(),
            grid_code: b.grid.to_string(),
            address_key: yiwang_grid::address::building_key(&b.road, &b.number, &b.building),
            road: b.road,
            number: b.number,
            building: b.building,
            lng: Some(b.point.lng),
            lat: Some(b.point.lat),
            placement: Placement::Point,
        };
        for h in b.households {
            let household = NewHousehold {
                id: Uuid::now_v7(),
                building_id: building.id,
                unit: h.unit,
                room: h.room,
            };
            for p in h.people {
                residents += 1;
                import.residents.push(NewResident {
                    id: Uuid::now_v7(),
                    household_id: household.id,
                    name: p.name,
                    id_number: p.id.expose().to_owned(),
                    phone: p.phone,
                    note: String::new(),
                    tags: p
                        .tags
                        .into_iter()
                        .map(|(tag, days)| NewTag {
                            tag: tag.code().to_owned(),
                            review_on: today + i64::from(days) * DAY_US,
                            note: String::new(),
                        })
                        .collect(),
                });
            }
            import.households.push(household);
        }
        import.buildings.push(building);
    }
    residents
}

/// Generates `residents` residents (with their buildings and households)
/// for the district and inserts them in batches of about
/// [`BATCH_RESIDENTS`], each batch one transaction with its audit record.
/// `progress` is told the running counts after each batch.
pub async fn load_population(
    app: &AppState,
    district: &GeneratedDistrict,
    seed: u64,
    residents: u64,
    mut progress: impl FnMut(&PlacesCounts),
) -> anyhow::Result<PlacesCounts> {
    let store: &dyn Store = &*app.store;
    let now = app.clock.now();
    let today = Timestamp::from_shanghai(now.shanghai_date(), 0, 0, 0).micros();
    let mut total = PlacesCounts::default();
    let mut batch = PlacesImport::default();
    let mut in_batch = 0;
    let mut batches = 0;
    let plan = PopulationPlan { seed, residents };
    let mut grids = populate(district, plan).peekable();
    while let Some(buildings) = grids.next() {
        in_batch += add_to(&mut batch, buildings, today);
        if in_batch >= BATCH_RESIDENTS || grids.peek().is_none() {
            batches += 1;
            batch.label = format!("demo:{seed}:{batches}");
            let ctx = AuditCtx::system("demo", app.clock.now().micros());
            let counts = store
                .import_places(&ctx, std::mem::take(&mut batch))
                .await?;
            total.buildings += counts.buildings;
            total.households += counts.households;
            total.residents += counts.residents;
            total.tags += counts.tags;
            progress(&total);
            in_batch = 0;
        }
    }
    Ok(total)
}

/// `yiwang grid generate`: the demo district (unless grids exist) and
/// `residents` residents for it (refused when residents exist), with the
/// time taken.
pub async fn generate_population(app: &AppState, seed: u64, residents: u64) -> anyhow::Result<()> {
    let started = Instant::now();
    let district = generate(&DistrictPlan::tongzhou(DEMO_GRID_SEED));
    if load_district(app, &district).await? {
        eprintln!("已导入网格：{} 个", district.grids.len());
    }
    let first = district.grids.first().map(|g| g.code.to_string());
    match first {
        Some(code) if app.store.grid(&code).await?.is_some() => {}
        _ => anyhow::bail!("数据库中的网格不是演示区县的网格：无法为其生成居民"),
    }
    let existing = app.store.count_residents().await?;
    if existing > 0 {
        anyhow::bail!("数据库中已有 {existing} 名居民：请使用新的数据库生成");
    }
    let counts = load_population(app, &district, seed, residents, |c| {
        eprintln!(
            "已写入居民 {} 人（楼栋 {}，房屋 {}），用时 {:.1} 秒",
            c.residents,
            c.buildings,
            c.households,
            started.elapsed().as_secs_f64()
        );
    })
    .await?;
    println!(
        "生成完成：居民 {} 人，楼栋 {} 栋，房屋 {} 户，标签 {} 个，用时 {:.1} 秒",
        counts.residents,
        counts.buildings,
        counts.households,
        counts.tags,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
