//! Grid fixtures: a small hand-drawn district whose lines the tests know
//! exactly, and the generated district of the seed article.
//!
//! The hand-drawn one, 金沙街道 (320612001):
//!
//! ```text
//! 32.01 +----------+----------+----------+
//!       | 001001   | 001002   | 002001   |
//!       |  [003]   |          |          |
//! 32.00 +----------+----------+----------+
//!     121.00     121.01     121.02     121.03
//! ```
//!
//! 天熹社区 (001) is 121.00–121.02 with grids 001 (west) and 002 (east) and
//! the school's specialised grid 003 at 121.002–121.004 × 32.002–32.004;
//! 安康社区 (002) is 121.02–121.03 with grid 001.

use uuid::Uuid;
use yiwang_grid::generate::{generate, DistrictPlan};
use yiwang_grid::Boundary;
use yiwang_store::grid::{GridImport, NewGrid, NewStaff, NewUnit, StaffRole, UnitLevel};
use yiwang_store::AuditCtx;
use yiwang_web::grid::data::{area_centi, import_of};

use super::TestApp;

pub const WEST: &str = "320612001001001";
pub const EAST: &str = "320612001001002";
pub const SCHOOL: &str = "320612001001003";
pub const ANKANG: &str = "320612001002001";

pub fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Boundary {
    Boundary::from_ring(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)]).unwrap()
}

fn unit(
    code: &str,
    level: UnitLevel,
    name: &str,
    parent: Option<&str>,
    b: Option<Boundary>,
) -> NewUnit {
    NewUnit {
        code: code.to_owned(),
        level,
        name: name.to_owned(),
        parent_code: parent.map(str::to_owned),
        boundary_json: b.map(|b| b.to_geojson_text()),
    }
}

/// The hand-drawn district as an import.
pub fn small_import() -> GridImport {
    let grids = [
        (
            WEST,
            "comprehensive",
            "天熹一网格",
            rect(121.00, 32.00, 121.01, 32.01),
            "李雪",
            "0513-86100001",
        ),
        (
            EAST,
            "comprehensive",
            "天熹二网格",
            rect(121.01, 32.00, 121.02, 32.01),
            "王芳",
            "0513-86100002",
        ),
        (
            SCHOOL,
            "specialised.school",
            "金沙小学网格",
            rect(121.002, 32.002, 121.004, 32.004),
            "陈刚",
            "0513-86100003",
        ),
        (
            ANKANG,
            "comprehensive",
            "安康一网格",
            rect(121.02, 32.00, 121.03, 32.01),
            "赵敏",
            "0513-86100004",
        ),
    ];
    let mut import = GridImport {
        district_code: "320612".to_owned(),
        units: vec![
            unit("320612", UnitLevel::District, "通州区", None, None),
            unit(
                "320612001",
                UnitLevel::Street,
                "金沙街道",
                Some("320612"),
                None,
            ),
            unit(
                "320612001001",
                UnitLevel::Community,
                "天熹社区",
                Some("320612001"),
                Some(rect(121.00, 32.00, 121.02, 32.01)),
            ),
            unit(
                "320612001002",
                UnitLevel::Community,
                "安康社区",
                Some("320612001"),
                Some(rect(121.02, 32.00, 121.03, 32.01)),
            ),
        ],
        ..GridImport::default()
    };
    for (code, kind, name, boundary, leader, phone) in grids {
        let id = Uuid::now_v7();
        import.grids.push(NewGrid {
            code: code.to_owned(),
            kind: kind.to_owned(),
            name: name.to_owned(),
            community_code: code[..12].to_owned(),
            boundary_json: boundary.to_geojson_text(),
            area_centi: area_centi(&boundary),
        });
        import.staff.push(NewStaff {
            id,
            name: leader.to_owned(),
            official_phone: phone.to_owned(),
            user_id: None,
        });
        import
            .assignments
            .push((code.to_owned(), id, StaffRole::Leader));
    }
    import
}

fn ctx(app: &TestApp) -> AuditCtx {
    AuditCtx::system("test", yiwang_core::Clock::now(&app.clock).micros())
}

/// Loads the hand-drawn district.
pub async fn load_small(app: &TestApp) {
    app.store
        .import_grids(&ctx(app), small_import())
        .await
        .unwrap();
}

/// Loads the hand-drawn district with accounts among its staff: each
/// `(grid, account, role)` makes the account the grid's leader (in place
/// of the drawn one) or one of its workers.
pub async fn load_small_with_staff(
    app: &TestApp,
    staff: &[(&str, &yiwang_store::User, StaffRole)],
) {
    let mut import = small_import();
    for (grid, user, role) in staff {
        let existing = import
            .staff
            .iter()
            .find(|s| s.user_id == Some(user.id))
            .map(|s| s.id);
        match role {
            StaffRole::Leader => {
                let leader = import
                    .assignments
                    .iter()
                    .find(|(g, _, r)| g == grid && *r == StaffRole::Leader)
                    .map(|(_, id, _)| *id)
                    .unwrap();
                let person = import.staff.iter_mut().find(|s| s.id == leader).unwrap();
                person.user_id = Some(user.id);
                person.name = user.display_name.clone();
            }
            StaffRole::Worker => {
                let id = existing.unwrap_or_else(|| {
                    let id = Uuid::now_v7();
                    import.staff.push(NewStaff {
                        id,
                        name: user.display_name.clone(),
                        official_phone: "0513-86109999".to_owned(),
                        user_id: Some(user.id),
                    });
                    id
                });
                import
                    .assignments
                    .push(((*grid).to_owned(), id, StaffRole::Worker));
            }
        }
    }
    app.store.import_grids(&ctx(app), import).await.unwrap();
}

/// Loads the seed article's generated district (1,137 grids).
pub async fn load_tongzhou(app: &TestApp) -> yiwang_grid::generate::GeneratedDistrict {
    let district = generate(&DistrictPlan::tongzhou(2020));
    app.store
        .import_grids(&ctx(app), import_of(&district))
        .await
        .unwrap();
    district
}

/// A query string from pairs, percent-encoded.
pub fn qs(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap()
}
