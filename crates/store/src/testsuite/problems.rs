//! Problem data's part of the suite: legacy records kept as given in the
//! intake, each detector's count and list, and each fix taking its record
//! off the list until every list is empty; merging and dismissing
//! look-alikes; overdue tags; the scope of grids; the audit records.
//!
//! The store does not check ID numbers: the intake records here carry the
//! problem codes the grid crate would have written.

use std::sync::Arc;

use uuid::Uuid;

use super::grid::district;
use super::{admin_ctx, assert_chain, detail, expect_conflict, expect_not_found, T0};
use crate::problems::{IntakeRecord, ProblemKind, ProblemScope};
use crate::residents::{
    Flat, NewBuilding, NewHousehold, NewResident, NewTag, Placement, PlacesImport, ResidentInput,
};
use crate::{AuditQuery, Page, Store};

const WEST: &str = "320612001001001";
const EAST: &str = "320612001001002";
const DAY: i64 = 86_400_000_000;
/// Valid numbers; A and B share a birth date (1980-02-02), C and D another
/// (1975-10-10).
const ID_A: &str = "320612198002020013";
const ID_B: &str = "320683198002020035";
const ID_C: &str = "320612197510100023";
const ID_D: &str = "320683197510100045";
const ID_E: &str = "320612199001011232";
const ID_F: &str = "320612196003030011";
/// ID_F with a wrong check character.
const ID_BAD: &str = "320612196003030012";

fn ctx() -> crate::AuditCtx {
    admin_ctx(T0)
}

fn building(grid: &str, number: &str) -> NewBuilding {
    NewBuilding {
        id: Uuid::now_v7(),
        grid_code: grid.to_owned(),
        road: "天熹路".to_owned(),
        number: number.to_owned(),
        building: "1幢".to_owned(),
        address_key: format!("天熹路{number}1幢"),
        lng: None,
        lat: None,
        placement: Placement::Assigned,
    }
}

fn person(household: Uuid, name: &str, id_number: &str, tags: Vec<NewTag>) -> NewResident {
    NewResident {
        id: Uuid::now_v7(),
        household_id: household,
        name: name.to_owned(),
        id_number: id_number.to_owned(),
        phone: None,
        note: String::new(),
        tags,
    }
}

fn intake(grid: &str, name: &str, id_number: &str, id_problem: &str, key: &str) -> IntakeRecord {
    IntakeRecord {
        grid_code: grid.to_owned(),
        name: name.to_owned(),
        id_number: id_number.to_owned(),
        id_problem: id_problem.to_owned(),
        phone: "13900000009".to_owned(),
        address: format!("{key}1单元101室"),
        address_key: key.to_owned(),
        unit: "1单元".to_owned(),
        room: "101室".to_owned(),
        note: "社区台账".to_owned(),
    }
}

/// One building in each of two grids (west 天熹路1号1幢, east 天熹路3号1幢),
/// a flat in each, and the given residents in the west flat.
async fn setup(
    store: &dyn Store,
    residents: Vec<(&str, &str, Vec<NewTag>)>,
) -> (NewBuilding, Vec<Uuid>) {
    store.import_grids(&ctx(), district()).await.unwrap();
    let west = building(WEST, "1号");
    let east = building(EAST, "3号");
    let flat = |b: &NewBuilding| NewHousehold {
        id: Uuid::now_v7(),
        building_id: b.id,
        unit: "1单元".to_owned(),
        room: "101室".to_owned(),
    };
    let households = vec![flat(&west), flat(&east)];
    let people: Vec<NewResident> = residents
        .into_iter()
        .map(|(name, id, tags)| person(households[0].id, name, id, tags))
        .collect();
    let ids = people.iter().map(|p| p.id).collect();
    store
        .import_places(
            &ctx(),
            PlacesImport {
                label: "test".to_owned(),
                buildings: vec![west.clone(), east],
                households,
                residents: people,
            },
        )
        .await
        .unwrap();
    (west, ids)
}

async fn listed(store: &dyn Store, kind: ProblemKind, scope: &ProblemScope) -> Vec<Uuid> {
    store
        .problems(kind, scope, T0, Page::number(1, 100))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|i| i.record_id)
        .collect()
}

async fn totals(store: &dyn Store) -> [u64; 6] {
    let mut sum = [0u64; 6];
    for grid in store
        .problem_counts(&ProblemScope::all(), T0)
        .await
        .unwrap()
    {
        for (s, n) in sum.iter_mut().zip(grid.counts) {
            *s += n;
        }
    }
    sum
}

pub async fn intake_records_are_listed_until_fixed(store: Arc<dyn Store>) {
    let (west_building, _) = setup(&*store, vec![("张建华", ID_A, Vec::new())]).await;
    let records = vec![
        // Invalid number, address of a registered building.
        (
            Uuid::now_v7(),
            intake(WEST, "李四", ID_BAD, "check_char", "天熹路1号1幢"),
        ),
        // Valid number, address of no building.
        (
            Uuid::now_v7(),
            intake(WEST, "王五", ID_E, "", "天熹路9号1幢"),
        ),
        // The registered 张建华 again.
        (
            Uuid::now_v7(),
            intake(WEST, "张建华", ID_A, "", "天熹路1号1幢"),
        ),
        // Clean: ready to enter.
        (
            Uuid::now_v7(),
            intake(WEST, "赵六", ID_C, "", "天熹路1号1幢"),
        ),
        // An unreadable address in the east grid.
        (Uuid::now_v7(), intake(EAST, "钱七", ID_D, "", "")),
    ];
    let ids: Vec<Uuid> = records.iter().map(|(id, _)| *id).collect();
    expect_not_found(
        store
            .import_intake(
                &ctx(),
                "bad",
                vec![(
                    Uuid::now_v7(),
                    intake("320612009009009", "某", ID_E, "", ""),
                )],
            )
            .await,
    );
    assert_eq!(
        store
            .import_intake(&ctx(), "台账.csv", records)
            .await
            .unwrap(),
        5
    );
    let all = ProblemScope::all();
    assert_eq!(
        listed(&*store, ProblemKind::InvalidId, &all).await,
        vec![ids[0]]
    );
    assert_eq!(
        listed(&*store, ProblemKind::NoBuilding, &all).await,
        vec![ids[1], ids[4]]
    );
    assert_eq!(
        listed(&*store, ProblemKind::DuplicateId, &all).await,
        vec![ids[2]]
    );
    assert_eq!(
        listed(&*store, ProblemKind::Ready, &all).await,
        vec![ids[3]]
    );
    // The scope keeps to its grids.
    let east = ProblemScope::grids(vec![EAST.to_owned()]);
    assert_eq!(
        listed(&*store, ProblemKind::NoBuilding, &east).await,
        vec![ids[4]]
    );
    assert!(listed(&*store, ProblemKind::InvalidId, &east)
        .await
        .is_empty());
    assert!(listed(
        &*store,
        ProblemKind::NoBuilding,
        &ProblemScope::grids(Vec::new())
    )
    .await
    .is_empty());
    let counts = store.problem_counts(&all, T0).await.unwrap();
    assert_eq!(
        counts
            .iter()
            .map(|c| (c.grid_code.as_str(), c.counts))
            .collect::<Vec<_>>(),
        vec![(WEST, [1, 1, 1, 0, 0, 1]), (EAST, [0, 1, 0, 0, 0, 0])]
    );
    // The duplicate's row names the registered resident.
    let dup = store
        .problems(ProblemKind::DuplicateId, &all, T0, Page::number(1, 10))
        .await
        .unwrap();
    assert_eq!(
        dup.items[0].other_id,
        store.intake(ids[2]).await.unwrap().unwrap().registered_as
    );
    assert!(dup.items[0].other_id.is_some());

    // Correcting the number takes the record off the invalid list…
    let row = store.intake(ids[0]).await.unwrap().unwrap();
    assert_eq!(row.building_id, Some(west_building.id));
    let mut fixed = row.record.clone();
    fixed.id_number = ID_F.to_owned();
    fixed.id_problem = String::new();
    expect_conflict(
        store
            .update_intake(&ctx(), ids[0], row.version + 1, fixed.clone())
            .await,
        "version",
    );
    let after = store
        .update_intake(&ctx(), ids[0], row.version, fixed)
        .await
        .unwrap();
    assert_eq!(after.version, row.version + 1);
    assert!(listed(&*store, ProblemKind::InvalidId, &all)
        .await
        .is_empty());
    // …registering the building takes 王五 off the unmatched list…
    store
        .create_building(&ctx(), building(WEST, "9号"))
        .await
        .unwrap();
    assert_eq!(
        listed(&*store, ProblemKind::NoBuilding, &all).await,
        vec![ids[4]]
    );
    // …and correcting the address takes 钱七 off it.
    let row = store.intake(ids[4]).await.unwrap().unwrap();
    let mut fixed = row.record.clone();
    fixed.address = "天熹路3号1幢".to_owned();
    fixed.address_key = "天熹路3号1幢".to_owned();
    store
        .update_intake(&ctx(), ids[4], row.version, fixed)
        .await
        .unwrap();
    assert!(listed(&*store, ProblemKind::NoBuilding, &all)
        .await
        .is_empty());
    // Deleting the repeat empties the duplicate list.
    store.delete_intake(&ctx(), ids[2]).await.unwrap();
    expect_not_found(store.delete_intake(&ctx(), ids[2]).await);
    assert!(listed(&*store, ProblemKind::DuplicateId, &all)
        .await
        .is_empty());
    // Everything left is ready; entering it empties the intake.
    let mut ready = listed(&*store, ProblemKind::Ready, &all).await;
    ready.sort();
    let mut expected = vec![ids[0], ids[1], ids[3], ids[4]];
    expected.sort();
    assert_eq!(ready, expected);
    for id in ready {
        let row = store.intake(id).await.unwrap().unwrap();
        let input = ResidentInput {
            flat: Flat {
                building_id: row.building_id.unwrap(),
                unit: row.record.unit.clone(),
                room: row.record.room.clone(),
            },
            name: row.record.name.clone(),
            id_number: row.record.id_number.clone(),
            phone: None,
            note: row.record.note.clone(),
        };
        let resident = Uuid::now_v7();
        let made = store
            .register_intake(&ctx(), id, row.version, resident, input)
            .await
            .unwrap();
        assert_eq!(made.id, resident);
        assert_eq!(made.grid_code, row.record.grid_code);
        assert!(store.intake(id).await.unwrap().is_none());
    }
    assert_eq!(totals(&*store).await, [0; 6]);
    assert_eq!(store.count_residents().await.unwrap(), 5);

    // A record repeating a number registered meanwhile is refused entry.
    let late = Uuid::now_v7();
    store
        .import_intake(
            &ctx(),
            "again",
            vec![(late, intake(WEST, "赵六", ID_C, "", "天熹路1号1幢"))],
        )
        .await
        .unwrap();
    assert_eq!(
        listed(&*store, ProblemKind::DuplicateId, &all).await,
        vec![late]
    );
    let row = store.intake(late).await.unwrap().unwrap();
    let input = ResidentInput {
        flat: Flat {
            building_id: west_building.id,
            unit: String::new(),
            room: String::new(),
        },
        name: "赵六".to_owned(),
        id_number: ID_C.to_owned(),
        phone: None,
        note: String::new(),
    };
    expect_conflict(
        store
            .register_intake(&ctx(), late, row.version, Uuid::now_v7(), input)
            .await,
        "id_number",
    );
    assert!(store.intake(late).await.unwrap().is_some());

    let records = assert_chain(&*store).await;
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    for action in [
        "intake.import",
        "intake.update",
        "intake.delete",
        "intake.register",
    ] {
        assert!(actions.contains(&action), "{action} missing");
    }
    for r in records.iter().filter(|r| r.action.starts_with("intake.")) {
        assert!(
            !r.detail.contains(ID_F) && !r.detail.contains(ID_A),
            "{}",
            r.detail
        );
    }
    let import = records
        .iter()
        .find(|r| r.action == "intake.import")
        .unwrap();
    assert_eq!(detail(import)["records"], 5);
}

pub async fn look_alikes_are_merged_or_dismissed(store: Arc<dyn Store>) {
    let old = T0 - 10 * DAY;
    let later = T0 + 100 * DAY;
    let (_, ids) = setup(
        &*store,
        vec![
            (
                "张建华",
                ID_A,
                vec![NewTag {
                    tag: "hardship".to_owned(),
                    review_on: old,
                    note: "旧".to_owned(),
                }],
            ),
            (
                "张建华",
                ID_B,
                vec![
                    NewTag {
                        tag: "hardship".to_owned(),
                        review_on: later,
                        note: "新".to_owned(),
                    },
                    NewTag {
                        tag: "veteran".to_owned(),
                        review_on: later,
                        note: String::new(),
                    },
                ],
            ),
            ("李静", ID_C, Vec::new()),
            ("李静", ID_D, Vec::new()),
            ("王海", ID_E, Vec::new()),
        ],
    )
    .await;
    let all = ProblemScope::all();
    let mut found = listed(&*store, ProblemKind::PossibleDuplicate, &all).await;
    found.sort();
    let mut expected = ids[..4].to_vec();
    expected.sort();
    assert_eq!(found, expected);
    let items = store
        .problems(
            ProblemKind::PossibleDuplicate,
            &all,
            T0,
            Page::number(1, 10),
        )
        .await
        .unwrap()
        .items;
    let a = items.iter().find(|i| i.record_id == ids[0]).unwrap();
    assert_eq!(a.other_id, Some(ids[1]));
    assert_eq!(
        listed(&*store, ProblemKind::TagOverdue, &all).await,
        vec![ids[0]]
    );
    assert!(listed(
        &*store,
        ProblemKind::PossibleDuplicate,
        &ProblemScope::grids(vec![EAST.to_owned()])
    )
    .await
    .is_empty());

    // Merging A into B: B keeps its later review, A is gone with its tags.
    expect_conflict(
        store.merge_residents(&ctx(), ids[0], ids[0]).await,
        "resident",
    );
    let merged = store.merge_residents(&ctx(), ids[0], ids[1]).await.unwrap();
    assert_eq!(merged.id, ids[1]);
    let tags: Vec<(&str, i64)> = merged
        .tags
        .iter()
        .map(|t| (t.tag.as_str(), t.review_on))
        .collect();
    assert_eq!(tags, vec![("hardship", later), ("veteran", later)]);
    assert_eq!(merged.version, 2);
    assert!(store.resident(ids[0]).await.unwrap().is_none());
    expect_not_found(store.merge_residents(&ctx(), ids[0], ids[1]).await);
    // The overdue tag went with the merged record.
    assert!(listed(&*store, ProblemKind::TagOverdue, &all)
        .await
        .is_empty());

    // 李静 twice are two people.
    store
        .dismiss_duplicate(&ctx(), ids[3], ids[2])
        .await
        .unwrap();
    store
        .dismiss_duplicate(&ctx(), ids[2], ids[3])
        .await
        .unwrap();
    expect_not_found(store.dismiss_duplicate(&ctx(), ids[2], ids[0]).await);
    assert!(listed(&*store, ProblemKind::PossibleDuplicate, &all)
        .await
        .is_empty());
    assert_eq!(totals(&*store).await, [0; 6]);

    let records = assert_chain(&*store).await;
    let merge = records
        .iter()
        .find(|r| r.action == "resident.merge")
        .unwrap();
    assert_eq!(detail(merge)["from"], ids[0].to_string());
    assert!(!merge.detail.contains(ID_A) && !merge.detail.contains(ID_B));
    let dismissals = store
        .audit_query(
            &AuditQuery {
                action: Some("resident.duplicate.dismiss".to_owned()),
                ..AuditQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(dismissals.total, 1, "a repeated dismissal writes nothing");
}

pub async fn overdue_tags_leave_when_renewed_or_removed(store: Arc<dyn Store>) {
    let tag = |code: &str, review_on: i64| NewTag {
        tag: code.to_owned(),
        review_on,
        note: String::new(),
    };
    let (_, ids) = setup(
        &*store,
        vec![
            (
                "张建华",
                ID_A,
                vec![tag("hardship", T0 - DAY), tag("veteran", T0)],
            ),
            ("王海", ID_E, vec![tag("lone_elderly", T0 - 1)]),
        ],
    )
    .await;
    let all = ProblemScope::all();
    let items = store
        .problems(ProblemKind::TagOverdue, &all, T0, Page::number(1, 10))
        .await
        .unwrap();
    assert_eq!(items.total, 2, "a review date of today is not overdue");
    let seen: Vec<(Uuid, &str)> = items
        .items
        .iter()
        .map(|i| (i.record_id, i.detail.as_str()))
        .collect();
    assert_eq!(seen, vec![(ids[0], "hardship"), (ids[1], "lone_elderly")]);
    assert_eq!(items.items[0].at, T0 - DAY);
    // Pages.
    let second = store
        .problems(ProblemKind::TagOverdue, &all, T0, Page::number(2, 1))
        .await
        .unwrap();
    assert_eq!((second.total, second.items[0].record_id), (2, ids[1]));
    store
        .set_tag(&ctx(), ids[0], tag("hardship", T0 + 180 * DAY))
        .await
        .unwrap();
    store
        .remove_tag(&ctx(), ids[1], "lone_elderly")
        .await
        .unwrap();
    assert!(listed(&*store, ProblemKind::TagOverdue, &all)
        .await
        .is_empty());
    // The next day, the tag due today is overdue.
    let tomorrow = store
        .problems(ProblemKind::TagOverdue, &all, T0 + DAY, Page::number(1, 10))
        .await
        .unwrap();
    assert_eq!(tomorrow.items.len(), 1);
    assert_eq!(tomorrow.items[0].detail, "veteran");
}
