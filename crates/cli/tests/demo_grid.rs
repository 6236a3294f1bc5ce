//! `yiwang demo` loads the seed article's district: 1,030 comprehensive and
//! 107 specialised grids, 1,137 leaders, the demo grid accounts attached,
//! clean lines, its 30,000 residents, the same district every time, and only
//! once; `yiwang grid generate` writes a population of any size in batches.

use std::process::Command;
use std::sync::Arc;

use yiwang_grid::generate::{generate, DistrictPlan};
use yiwang_grid::{
    check_topology, Boundary, CommunityCode, GridCode, GridKind, DEFAULT_TOLERANCE_M2,
};
use yiwang_store::grid::{GridQuery, StaffRole, UnitLevel};
use yiwang_store::residents::{BuildingQuery, ResidentQuery};
use yiwang_store::{Page, Store};

fn yiwang() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_yiwang"));
    for (k, _) in std::env::vars() {
        if k.starts_with("YIWANG_") {
            c.env_remove(k);
        }
    }
    c.env("YIWANG_AUTH__ARGON2_MEMORY_KIB", "64");
    c.env("YIWANG_AUTH__ARGON2_ITERATIONS", "1");
    c
}

#[tokio::test]
async fn demo_loads_the_seed_district_once() {
    let dir = std::env::temp_dir().join(format!(
        "yiwang-demo-grid-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("y.db").display());
    for _ in 0..2 {
        let out = yiwang()
            .args(["demo", "--database-url", &url])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let store: Arc<dyn Store> =
        Arc::new(yiwang_store_sqlite::SqliteStore::open(&url).await.unwrap());

    let all = store
        .grid_directory(&GridQuery::default(), Page::number(1, 1))
        .await
        .unwrap();
    assert_eq!(all.total, 1137, "loaded once");
    let specialised = GridQuery {
        kind: Some("specialised".to_owned()),
        ..GridQuery::default()
    };
    assert_eq!(
        store
            .grid_directory(&specialised, Page::number(1, 1))
            .await
            .unwrap()
            .total,
        107
    );

    // The generated district, as the seed number makes it.
    let district = generate(&DistrictPlan::tongzhou(2020));
    let shapes = store.grid_shapes().await.unwrap();
    assert_eq!(
        shapes.iter().map(|s| s.code.clone()).collect::<Vec<_>>(),
        district
            .grids
            .iter()
            .map(|g| g.code.to_string())
            .collect::<Vec<_>>()
    );

    // Clean lines as stored.
    let units = store.grid_units().await.unwrap();
    let communities: Vec<(CommunityCode, Boundary)> = units
        .iter()
        .filter(|u| u.level == UnitLevel::Community)
        .map(|u| {
            (
                CommunityCode::parse(&u.code).unwrap(),
                Boundary::from_geojson_text(u.boundary_json.as_deref().unwrap()).unwrap(),
            )
        })
        .collect();
    assert_eq!(communities.len(), 120);
    let grids: Vec<(GridCode, GridKind, Boundary)> = shapes
        .iter()
        .map(|s| {
            (
                GridCode::parse(&s.code).unwrap(),
                GridKind::from_code(&s.kind).unwrap(),
                Boundary::from_geojson_text(&s.boundary_json).unwrap(),
            )
        })
        .collect();
    let c: Vec<_> = communities.iter().map(|(c, b)| (*c, b)).collect();
    let g: Vec<_> = grids.iter().map(|(c, k, b)| (*c, *k, b)).collect();
    assert_eq!(check_topology(&c, &g, DEFAULT_TOLERANCE_M2), vec![]);

    // Every grid has a leader; the demo accounts are grid staff.
    let mut page = 1;
    loop {
        let found = store
            .grid_directory(&GridQuery::default(), Page::number(page, 500))
            .await
            .unwrap();
        assert!(found.items.iter().all(|e| e.leader.is_some()));
        if found.items.len() < 500 {
            break;
        }
        page += 1;
    }
    let account = |name: &'static str| {
        let store = store.clone();
        async move {
            let user = store.credentials(name).await.unwrap().unwrap().user;
            let staff = store.staff_for_user(user.id).await.unwrap().unwrap();
            store
                .staff_assignments(staff.id)
                .await
                .unwrap()
                .into_iter()
                .map(|a| (a.grid_code, a.role))
                .collect::<Vec<_>>()
        }
    };
    let first = district.grids[0].code.to_string();
    let second = district.grids[1].code.to_string();
    assert_eq!(
        account("gridleader").await,
        vec![(first.clone(), StaffRole::Leader)]
    );
    assert_eq!(
        account("gridworker").await,
        vec![(first, StaffRole::Worker), (second, StaffRole::Worker)]
    );
    let supervisor = account("supervisor").await;
    assert_eq!(supervisor.len(), 1);
    assert!(
        GridKind::from_code(&store.grid(&supervisor[0].0).await.unwrap().unwrap().kind)
            .is_some_and(|k| !k.is_comprehensive())
    );

    // The import is one audited act.
    let imports = store
        .audit_query(
            &yiwang_store::AuditQuery {
                action: Some("grid.import".to_owned()),
                ..Default::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(imports.total, 1);

    // Its residents: 30,000 of them, once, in buildings placed in their
    // grids, with valid ID numbers; and the four look-alikes the demo
    // registers a second time so that the problem-data lists have work
    // (`demo_problems::LOOK_ALIKES`).
    assert_eq!(store.count_residents().await.unwrap(), 30_000 + 4);
    let first = district.grids[0].code.to_string();
    let residents = store
        .residents(
            &ResidentQuery {
                grid_code: first.clone(),
                ..ResidentQuery::default()
            },
            Page::number(1, 500),
        )
        .await
        .unwrap();
    assert!(residents.total > 10, "{}", residents.total);
    for r in &residents.items {
        assert!(yiwang_core::ResidentId::parse(&r.id_number).is_ok());
        assert_eq!(r.grid_code, first);
    }
    let buildings = store
        .buildings(
            &BuildingQuery {
                grid_code: Some(first.clone()),
                search: None,
            },
            Page::number(1, 50),
        )
        .await
        .unwrap();
    let index = yiwang_grid::GridIndex::new(grids.iter().cloned());
    for b in &buildings.items {
        let point = yiwang_grid::LngLat::new(b.lng.unwrap(), b.lat.unwrap()).unwrap();
        assert_eq!(
            index.lookup(point).map(|h| h.code.to_string()),
            Some(first.clone())
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn grid_generate_writes_residents_in_batches_and_refuses_to_repeat() {
    let dir = std::env::temp_dir().join(format!(
        "yiwang-grid-generate-{}",
        uuid::Uuid::now_v7().simple()
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("y.db").display());
    let out = yiwang()
        .args([
            "grid",
            "generate",
            "--residents",
            "45000",
            "--database-url",
            &url,
        ])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("居民 45000 人"), "{stdout}");
    // Three batches of at most 20,000 residents, each reported.
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("已写入居民").count(), 3, "{stderr}");
    let again = yiwang()
        .args([
            "grid",
            "generate",
            "--residents",
            "10",
            "--database-url",
            &url,
        ])
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("已有 45000 名居民"));
    let _ = std::fs::remove_dir_all(&dir);
}
