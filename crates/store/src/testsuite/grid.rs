//! Grid governance's part of the suite: importing a district, the public
//! directory, staff assignments and their rules, and boundary filings with
//! every version kept.
//!
//! Boundaries here are opaque GeoJSON text to the store; the tests use
//! small literal polygons and made-up areas.

use std::sync::Arc;

use uuid::Uuid;

use super::{admin_ctx, assert_chain, audit_total, detail, expect_conflict, expect_not_found, T0};
use crate::grid::{
    FilingStatus, GridImport, GridQuery, NewFiling, NewGrid, NewStaff, NewUnit, StaffRole,
    UnitLevel,
};
use crate::{AuditQuery, Page, Store};

const DISTRICT: &str = "320612";
const STREET: &str = "320612001";
const C1: &str = "320612001001";
const C2: &str = "320612001002";

fn square(x: f64) -> String {
    format!(
        "{{\"type\":\"Polygon\",\"coordinates\":[[[{x},32.0],[{},32.0],[{},32.01],[{x},32.01],[{x},32.0]]]}}",
        x + 0.01,
        x + 0.01
    )
}

fn unit(code: &str, level: UnitLevel, name: &str, parent: Option<&str>) -> NewUnit {
    NewUnit {
        code: code.to_owned(),
        level,
        name: name.to_owned(),
        parent_code: parent.map(str::to_owned),
        boundary_json: (level == UnitLevel::Community).then(|| square(120.0)),
    }
}

fn grid(code: &str, kind: &str, name: &str, x: f64) -> NewGrid {
    NewGrid {
        code: code.to_owned(),
        kind: kind.to_owned(),
        name: name.to_owned(),
        community_code: code[..12].to_owned(),
        boundary_json: square(x),
        area_centi: 100_000_000 + (x * 1000.0) as i64,
    }
}

fn person(name: &str, phone: &str) -> NewStaff {
    NewStaff {
        id: Uuid::now_v7(),
        name: name.to_owned(),
        official_phone: phone.to_owned(),
        user_id: None,
    }
}

/// A street with two communities: 天熹社区 (two comprehensive grids and a
/// school) and 安康社区 (one comprehensive grid); four leaders, and the
/// first leader also works in the school's grid.
pub(super) fn district() -> GridImport {
    let staff = vec![
        person("李雪", "0513-86100001"),
        person("王芳", "0513-86100002"),
        person("陈刚", "0513-86100003"),
        person("赵敏", "0513-86100004"),
    ];
    let assignments = vec![
        ("320612001001001".to_owned(), staff[0].id, StaffRole::Leader),
        ("320612001001002".to_owned(), staff[1].id, StaffRole::Leader),
        ("320612001001003".to_owned(), staff[2].id, StaffRole::Leader),
        ("320612001001003".to_owned(), staff[0].id, StaffRole::Worker),
        ("320612001002001".to_owned(), staff[3].id, StaffRole::Leader),
    ];
    GridImport {
        district_code: DISTRICT.to_owned(),
        units: vec![
            unit(DISTRICT, UnitLevel::District, "通州区", None),
            unit(STREET, UnitLevel::Street, "金沙街道", Some(DISTRICT)),
            unit(C1, UnitLevel::Community, "天熹社区", Some(STREET)),
            unit(C2, UnitLevel::Community, "安康社区", Some(STREET)),
        ],
        grids: vec![
            grid("320612001001001", "comprehensive", "天熹一网格", 120.0),
            grid("320612001001002", "comprehensive", "天熹二网格", 120.01),
            grid(
                "320612001001003",
                "specialised.school",
                "金沙小学网格",
                120.002,
            ),
            grid("320612001002001", "comprehensive", "安康一网格", 120.02),
        ],
        staff,
        assignments,
    }
}

fn ctx() -> crate::AuditCtx {
    admin_ctx(T0)
}

pub async fn import_grids_stores_the_tree_and_audits(store: Arc<dyn Store>) {
    let import = district();
    let counts = store.import_grids(&ctx(), import.clone()).await.unwrap();
    assert_eq!(
        (counts.units, counts.grids, counts.staff, counts.assignments),
        (4, 4, 4, 5)
    );
    let units = store.grid_units().await.unwrap();
    assert_eq!(
        units.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(),
        vec![DISTRICT, STREET, C1, C2]
    );
    assert_eq!(units[2].level, UnitLevel::Community);
    assert_eq!(units[2].parent_code.as_deref(), Some(STREET));
    assert_eq!(units[2].boundary_json, Some(square(120.0)));
    assert_eq!(units[0].boundary_json, None);

    let row = store.grid("320612001001003").await.unwrap().unwrap();
    assert_eq!(row.kind, "specialised.school");
    assert_eq!(row.name, "金沙小学网格");
    assert_eq!(row.community_code, C1);
    assert_eq!(row.boundary_version, 1);
    assert_eq!(row.boundary_json, square(120.002));
    assert_eq!(row.area_centi, import.grids[2].area_centi);
    assert_eq!((row.created_at, row.updated_at), (T0, T0));
    assert!(store.grid("320612001001009").await.unwrap().is_none());

    let shapes = store.grid_shapes().await.unwrap();
    assert_eq!(shapes.len(), 4);
    assert_eq!(shapes[3].code, "320612001002001");
    assert_eq!(store.grid_stamp().await.unwrap(), (4, 4));
    assert_eq!(store.count_grids().await.unwrap(), 4);

    // Version 1 of every boundary is on file, approved.
    let versions = store.boundary_versions("320612001001001").await.unwrap();
    assert_eq!(versions.len(), 1);
    assert_eq!(versions[0].status, FilingStatus::Approved);
    assert_eq!(versions[0].version, 1);

    let staff = store.grid_staff("320612001001003").await.unwrap();
    assert_eq!(
        staff
            .iter()
            .map(|a| (a.staff.name.as_str(), a.role))
            .collect::<Vec<_>>(),
        vec![("陈刚", StaffRole::Leader), ("李雪", StaffRole::Worker)]
    );
    let li = store.staff_assignments(import.staff[0].id).await.unwrap();
    assert_eq!(
        li.iter()
            .map(|a| (a.grid_code.as_str(), a.role))
            .collect::<Vec<_>>(),
        vec![
            ("320612001001001", StaffRole::Leader),
            ("320612001001003", StaffRole::Worker)
        ]
    );

    let records = assert_chain(&*store).await;
    let last = records.last().unwrap();
    assert_eq!(last.action, "grid.import");
    assert_eq!(last.object_id, DISTRICT);
    assert_eq!(detail(last)["grids"], 4);
    assert_eq!(detail(last)["assignments"], 5);
}

pub async fn import_grids_refuses_bad_leadership_and_writes_nothing(store: Arc<dyn Store>) {
    let before = audit_total(&*store).await;

    let mut no_leader = district();
    no_leader.assignments.remove(4);
    expect_conflict(store.import_grids(&ctx(), no_leader).await, "leader");

    let mut two_leaders = district();
    let extra = two_leaders.staff[1].id;
    two_leaders
        .assignments
        .push(("320612001002001".to_owned(), extra, StaffRole::Leader));
    expect_conflict(store.import_grids(&ctx(), two_leaders).await, "leader");

    let mut leads_two = district();
    leads_two.assignments[4].1 = leads_two.staff[0].id;
    expect_conflict(store.import_grids(&ctx(), leads_two).await, "leader");

    let mut stranger = district();
    stranger.assignments.push((
        "320612001002001".to_owned(),
        Uuid::now_v7(),
        StaffRole::Worker,
    ));
    expect_not_found(store.import_grids(&ctx(), stranger).await);

    assert_eq!(store.count_grids().await.unwrap(), 0);
    assert_eq!(audit_total(&*store).await, before);

    // A second import of the same codes conflicts and leaves the first.
    store.import_grids(&ctx(), district()).await.unwrap();
    let after_first = audit_total(&*store).await;
    expect_conflict(store.import_grids(&ctx(), district()).await, "code");
    let mut only_grids = district();
    only_grids.units.clear();
    expect_conflict(store.import_grids(&ctx(), only_grids).await, "code");
    assert_eq!(store.count_grids().await.unwrap(), 4);
    assert_eq!(store.grid_units().await.unwrap().len(), 4);
    assert_eq!(audit_total(&*store).await, after_first);
}

pub async fn grid_directory_searches_and_pages(store: Arc<dyn Store>) {
    store.import_grids(&ctx(), district()).await.unwrap();
    async fn codes(store: &dyn Store, query: GridQuery, page: Page) -> (Vec<String>, u64) {
        let paged = store.grid_directory(&query, page).await.unwrap();
        (
            paged.items.into_iter().map(|e| e.grid.code).collect(),
            paged.total,
        )
    }
    let all = store
        .grid_directory(&GridQuery::default(), Page::number(1, 50))
        .await
        .unwrap();
    assert_eq!(all.total, 4);
    let first = &all.items[0];
    assert_eq!(first.grid.code, "320612001001001");
    assert_eq!(first.community_name, "天熹社区");
    assert_eq!(
        (first.street_code.as_str(), first.street_name.as_str()),
        (STREET, "金沙街道")
    );
    let leader = first.leader.as_ref().unwrap();
    assert_eq!(
        (leader.name.as_str(), leader.official_phone.as_str()),
        ("李雪", "0513-86100001")
    );

    let search = |text: &str| GridQuery {
        search: Some(text.to_owned()),
        ..GridQuery::default()
    };
    let s = &*store;
    assert_eq!(
        codes(s, search("安康"), Page::number(1, 50)).await,
        (vec!["320612001002001".to_owned()], 1),
        "by community name"
    );
    assert_eq!(
        codes(s, search("陈刚"), Page::number(1, 50)).await,
        (vec!["320612001001003".to_owned()], 1),
        "by leader: 李雪 only works in the school's grid, 陈刚 leads it"
    );
    assert_eq!(codes(s, search("李雪"), Page::number(1, 50)).await.1, 1);
    assert_eq!(
        codes(s, search("001001002"), Page::number(1, 50)).await.1,
        1
    );
    assert_eq!(codes(s, search("小学"), Page::number(1, 50)).await.1, 1);
    assert_eq!(codes(s, search("金沙街道"), Page::number(1, 50)).await.1, 4);
    assert_eq!(
        codes(s, search("%"), Page::number(1, 50)).await.1,
        0,
        "LIKE wildcards are literal"
    );
    assert_eq!(
        codes(s, search("  "), Page::number(1, 50)).await.1,
        4,
        "blank searches match all"
    );
    let under = GridQuery {
        under: Some(C1.to_owned()),
        ..GridQuery::default()
    };
    assert_eq!(codes(s, under, Page::number(1, 50)).await.1, 3);
    let specialised = GridQuery {
        kind: Some("specialised".to_owned()),
        ..GridQuery::default()
    };
    assert_eq!(
        codes(s, specialised, Page::number(1, 50)).await.0,
        vec!["320612001001003".to_owned()]
    );
    let comprehensive = GridQuery {
        kind: Some("comprehensive".to_owned()),
        ..GridQuery::default()
    };
    assert_eq!(codes(s, comprehensive, Page::number(1, 50)).await.1, 3);

    let (page2, total) = codes(s, GridQuery::default(), Page::number(2, 3)).await;
    assert_eq!((page2, total), (vec!["320612001002001".to_owned()], 4));
    let (page3, _) = codes(s, GridQuery::default(), Page::number(3, 3)).await;
    assert!(page3.is_empty());
}

pub async fn grid_staff_rules_hold(store: Arc<dyn Store>) {
    let import = district();
    let staff: Vec<Uuid> = import.staff.iter().map(|s| s.id).collect();
    store.import_grids(&ctx(), import).await.unwrap();
    let at = |m: i64| admin_ctx(T0 + m * super::MINUTE);

    // 王芳 leads grid 002: she cannot also lead grid 001.
    expect_conflict(
        store
            .assign_staff(&at(1), "320612001001001", staff[1], StaffRole::Leader)
            .await,
        "leader",
    );
    // But she may work in it, and in the school's grid.
    store
        .assign_staff(&at(2), "320612001001001", staff[1], StaffRole::Worker)
        .await
        .unwrap();
    // A leader cannot be demoted to a worker of their own grid.
    expect_conflict(
        store
            .assign_staff(&at(3), "320612001001002", staff[1], StaffRole::Worker)
            .await,
        "leader",
    );
    // Nor removed: a grid always has a leader.
    expect_conflict(
        store
            .unassign_staff(&at(3), "320612001001002", staff[1])
            .await,
        "leader",
    );
    // Unknown people and grids are not found.
    expect_not_found(
        store
            .assign_staff(&at(4), "320612001001001", Uuid::now_v7(), StaffRole::Leader)
            .await,
    );
    expect_not_found(
        store
            .assign_staff(&at(4), "320612001009001", staff[0], StaffRole::Worker)
            .await,
    );
    // 赵敏 leads 002001 and 李雪 leads 001001: neither may take over the
    // school's grid, though 李雪 works there.
    for person in [staff[3], staff[0]] {
        expect_conflict(
            store
                .assign_staff(&at(4), "320612001001003", person, StaffRole::Leader)
                .await,
            "leader",
        );
    }
    // Assigning a worker again changes nothing but is still recorded.
    let before = audit_total(&*store).await;
    store
        .assign_staff(&at(5), "320612001001001", staff[1], StaffRole::Worker)
        .await
        .unwrap();
    assert_eq!(audit_total(&*store).await, before + 1);
    assert_eq!(store.grid_staff("320612001001001").await.unwrap().len(), 2);

    // Unassigning a worker works once.
    store
        .unassign_staff(&at(6), "320612001001001", staff[1])
        .await
        .unwrap();
    expect_not_found(
        store
            .unassign_staff(&at(6), "320612001001001", staff[1])
            .await,
    );
    let records = assert_chain(&*store).await;
    let last = records.last().unwrap();
    assert_eq!(last.action, "grid.staff.unassign");
    assert_eq!(last.object_id, "320612001001001");
}

pub async fn grid_leaders_are_replaced_not_removed(store: Arc<dyn Store>) {
    let mut import = district();
    let newcomer = person("孙玉", "0513-86100009");
    let newcomer_id = newcomer.id;
    import.staff.push(newcomer);
    let li = import.staff[0].id;
    store.import_grids(&ctx(), import).await.unwrap();

    // The newcomer, who leads nothing, takes over grid 001 from 李雪.
    store
        .assign_staff(
            &admin_ctx(T0 + 1),
            "320612001001001",
            newcomer_id,
            StaffRole::Leader,
        )
        .await
        .unwrap();
    let staff = store.grid_staff("320612001001001").await.unwrap();
    assert_eq!(staff.len(), 1);
    assert_eq!(staff[0].staff.id, newcomer_id);
    assert_eq!(staff[0].role, StaffRole::Leader);
    assert_eq!(staff[0].since, T0 + 1);
    let records = assert_chain(&*store).await;
    let last = records.last().unwrap();
    assert_eq!(last.action, "grid.staff.assign");
    assert_eq!(detail(last)["previous_leader"], li.to_string());

    // 李雪 now leads nothing and may lead the school, where she works: her
    // worker row becomes the leader's row and 陈刚's assignment ends.
    store
        .assign_staff(&admin_ctx(T0 + 2), "320612001001003", li, StaffRole::Leader)
        .await
        .unwrap();
    let school = store.grid_staff("320612001001003").await.unwrap();
    assert_eq!(
        school
            .iter()
            .map(|a| (a.staff.name.as_str(), a.role))
            .collect::<Vec<_>>(),
        vec![("李雪", StaffRole::Leader)]
    );
    // Every grid still has exactly one leader in the directory.
    let all = store
        .grid_directory(&GridQuery::default(), Page::number(1, 50))
        .await
        .unwrap();
    assert!(all.items.iter().all(|e| e.leader.is_some()));
    assert_eq!(all.total, 4);

    // The account link.
    assert!(store
        .staff_for_user(Uuid::now_v7())
        .await
        .unwrap()
        .is_none());
}

pub async fn boundary_filings_keep_every_version(store: Arc<dyn Store>) {
    store.import_grids(&ctx(), district()).await.unwrap();
    let code = "320612001001002";
    let leader = |m: i64| crate::AuditCtx {
        actor_id: Some(Uuid::now_v7()),
        actor_name: "gridleader".to_owned(),
        client_addr: None,
        at: T0 + m * super::MINUTE,
    };
    let supervisor = |m: i64| crate::AuditCtx {
        actor_name: "supervisor".to_owned(),
        ..admin_ctx(T0 + m * super::MINUTE)
    };
    let filing = |x: f64, note: &str| NewFiling {
        grid_code: code.to_owned(),
        boundary_json: square(x),
        area_centi: 7_000,
        note: note.to_owned(),
    };
    expect_not_found(
        store
            .file_boundary(
                &leader(1),
                NewFiling {
                    grid_code: "320612001001009".to_owned(),
                    ..filing(120.011, "x")
                },
            )
            .await,
    );
    let v2 = store
        .file_boundary(&leader(1), filing(120.011, "道路改线"))
        .await
        .unwrap();
    assert_eq!((v2.version, v2.status), (2, FilingStatus::Pending));
    assert_eq!(v2.filed_by_name, "gridleader");
    expect_conflict(
        store
            .file_boundary(&leader(2), filing(120.012, "再报"))
            .await,
        "pending_filing",
    );
    // Pending changes nothing public.
    assert_eq!(store.grid(code).await.unwrap().unwrap().boundary_version, 1);
    assert_eq!(store.grid_stamp().await.unwrap(), (4, 4));
    let pending = store.pending_filings(Page::number(1, 10)).await.unwrap();
    assert_eq!(pending.total, 1);
    assert_eq!(pending.items[0].note, "道路改线");

    let rejected = store
        .decide_filing(&supervisor(3), code, 2, false, "边界与相邻网格重叠")
        .await
        .unwrap();
    assert_eq!(rejected.status, FilingStatus::Rejected);
    assert_eq!(rejected.decided_by_name.as_deref(), Some("supervisor"));
    assert_eq!(
        rejected.decision_note.as_deref(),
        Some("边界与相邻网格重叠")
    );
    expect_conflict(
        store.decide_filing(&supervisor(3), code, 2, true, "").await,
        "status",
    );
    expect_not_found(store.decide_filing(&supervisor(3), code, 9, true, "").await);

    let v3 = store
        .file_boundary(&leader(4), filing(120.0105, "重新测绘"))
        .await
        .unwrap();
    assert_eq!(v3.version, 3);
    let approved = store
        .decide_filing(&supervisor(5), code, 3, true, "同意备案")
        .await
        .unwrap();
    assert_eq!(approved.status, FilingStatus::Approved);
    assert_eq!(approved.decided_at, Some(T0 + 5 * super::MINUTE));

    let now = store.grid(code).await.unwrap().unwrap();
    assert_eq!(now.boundary_version, 3);
    assert_eq!(now.boundary_json, square(120.0105));
    assert_eq!(now.area_centi, 7_000);
    assert_eq!(now.updated_at, T0 + 5 * super::MINUTE);
    assert_eq!(store.grid_stamp().await.unwrap(), (4, 6));
    let versions = store.boundary_versions(code).await.unwrap();
    assert_eq!(
        versions
            .iter()
            .map(|v| (v.version, v.status))
            .collect::<Vec<_>>(),
        vec![
            (3, FilingStatus::Approved),
            (2, FilingStatus::Rejected),
            (1, FilingStatus::Superseded)
        ]
    );
    assert_eq!(
        versions[2].boundary_json,
        square(120.01),
        "the old line is kept"
    );
    assert_eq!(
        store
            .pending_filings(Page::number(1, 10))
            .await
            .unwrap()
            .total,
        0
    );

    let records = assert_chain(&*store).await;
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        &actions[actions.len() - 4..],
        &[
            "grid.boundary.file",
            "grid.boundary.reject",
            "grid.boundary.file",
            "grid.boundary.approve"
        ]
    );
    let approve = records.last().unwrap();
    assert_eq!(detail(approve)["superseded"], 1);
    let found = store
        .audit_query(
            &AuditQuery {
                action: Some("grid.".to_owned()),
                object_id: Some(code.to_owned()),
                ..AuditQuery::default()
            },
            Page::number(1, 50),
        )
        .await
        .unwrap();
    assert_eq!(found.total, 4);
}

pub async fn concurrent_leader_assignments_keep_one_leader(store: Arc<dyn Store>) {
    let mut import = district();
    let newcomers: Vec<NewStaff> = (0..6)
        .map(|i| person(&format!("候选{i}"), &format!("0513-8620000{i}")))
        .collect();
    let ids: Vec<Uuid> = newcomers.iter().map(|s| s.id).collect();
    import.staff.extend(newcomers);
    store.import_grids(&ctx(), import).await.unwrap();
    // Six people race to lead two grids; each person may win at most one.
    let results = super::run_concurrently(12, {
        let store = store.clone();
        let ids = ids.clone();
        move |i| {
            let store = store.clone();
            let id = ids[i % 6];
            let grid = if i < 6 {
                "320612001001001"
            } else {
                "320612001001002"
            };
            async move {
                store
                    .assign_staff(&admin_ctx(T0 + i as i64), grid, id, StaffRole::Leader)
                    .await
            }
        }
    })
    .await;
    for result in &results {
        if let Err(e) = result {
            assert!(
                matches!(e, crate::StoreError::Conflict { field: "leader" }),
                "{e}"
            );
        }
    }
    let mut leaders = Vec::new();
    for grid in ["320612001001001", "320612001001002"] {
        let staff = store.grid_staff(grid).await.unwrap();
        let lead: Vec<_> = staff
            .iter()
            .filter(|a| a.role == StaffRole::Leader)
            .collect();
        assert_eq!(lead.len(), 1, "{grid}");
        leaders.push(lead[0].staff.id);
    }
    assert_ne!(leaders[0], leaders[1], "nobody leads both");
    assert_chain(&*store).await;
}
