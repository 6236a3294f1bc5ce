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
//! Loading is idempotent: a database that has grids is left as it is.

use uuid::Uuid;
use yiwang_grid::generate::{generate, DistrictPlan};
use yiwang_store::grid::{NewStaff, StaffRole};
use yiwang_store::AuditCtx;
use yiwang_web::grid::data::import_of;
use yiwang_web::AppState;

/// The seed the demo district is generated from.
pub const DEMO_GRID_SEED: u64 = 2020;

/// A demo account's name without the role note: "陈建华（网格长）" → "陈建华".
fn plain_name(display_name: &str) -> String {
    display_name
        .split('（')
        .next()
        .unwrap_or(display_name)
        .to_owned()
}

/// Loads the demo district unless grids exist; whether it loaded.
pub async fn load(app: &AppState) -> anyhow::Result<bool> {
    let store = &*app.store;
    if store.count_grids().await? > 0 {
        return Ok(false);
    }
    let district = generate(&DistrictPlan::tongzhou(DEMO_GRID_SEED));
    let mut import = import_of(&district);
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
