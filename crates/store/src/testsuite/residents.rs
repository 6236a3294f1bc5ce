//! Residents and places' part of the suite: importing buildings, households
//! and residents; registering, editing and tagging a resident; the address
//! key look-up; and the audit records every change writes.
//!
//! ID numbers here are valid GB 11643 numbers written out by hand; the
//! store does not check them, but audit details must never carry them
//! whole.

use std::sync::Arc;

use uuid::Uuid;

use super::grid::district;
use super::{admin_ctx, assert_chain, audit_total, detail, expect_conflict, expect_not_found, T0};
use crate::residents::{
    BuildingQuery, Flat, NewBuilding, NewHousehold, NewResident, NewTag, Placement, PlacesImport,
    ResidentInput, ResidentQuery,
};
use crate::{AuditQuery, Page, Store};

const WEST: &str = "320612001001001";
const EAST: &str = "320612001001002";
/// Valid numbers (check characters computed by GB 11643).
const ID_A: &str = "11010519491231002X";
const ID_B: &str = "320612199001011232";
const ID_C: &str = "320683195005050017";

fn ctx() -> crate::AuditCtx {
    admin_ctx(T0)
}

fn building(grid: &str, road: &str, number: &str, building: &str) -> NewBuilding {
    NewBuilding {
        id: Uuid::now_v7(),
        grid_code: grid.to_owned(),
        road: road.to_owned(),
        number: number.to_owned(),
        building: building.to_owned(),
        address_key: format!("{road}{number}{building}"),
        lng: Some(121.005),
        lat: Some(32.005),
        placement: Placement::Point,
    }
}

fn resident(household: Uuid, name: &str, id_number: &str, tags: Vec<NewTag>) -> NewResident {
    NewResident {
        id: Uuid::now_v7(),
        household_id: household,
        name: name.to_owned(),
        id_number: id_number.to_owned(),
        phone: Some("13900000001".to_owned()),
        note: String::new(),
        tags,
    }
}

fn tag(code: &str, review_on: i64) -> NewTag {
    NewTag {
        tag: code.to_owned(),
        review_on,
        note: "核实".to_owned(),
    }
}

/// Two buildings in the west grid (one with two flats), one in the east;
/// three residents, one of them tagged.
pub(super) async fn places(store: &dyn Store) -> (PlacesImport, Vec<Uuid>) {
    store.import_grids(&ctx(), district()).await.unwrap();
    let b1 = building(WEST, "天熹路", "1号", "1幢");
    let b2 = building(WEST, "天熹路", "1号", "2幢");
    let b3 = building(EAST, "天熹路", "3号", "");
    let flat = |b: &NewBuilding, unit: &str, room: &str| NewHousehold {
        id: Uuid::now_v7(),
        building_id: b.id,
        unit: unit.to_owned(),
        room: room.to_owned(),
    };
    let households = vec![
        flat(&b1, "1单元", "101室"),
        flat(&b1, "1单元", "102室"),
        flat(&b3, "", ""),
    ];
    let residents = vec![
        resident(
            households[0].id,
            "张建华",
            ID_A,
            vec![tag("lone_elderly", T0)],
        ),
        resident(households[1].id, "李静", ID_B, Vec::new()),
        resident(households[2].id, "王海", ID_C, Vec::new()),
    ];
    let ids = residents.iter().map(|r| r.id).collect();
    let import = PlacesImport {
        label: WEST.to_owned(),
        buildings: vec![b1, b2, b3],
        households,
        residents,
    };
    let counts = store.import_places(&ctx(), import.clone()).await.unwrap();
    assert_eq!(
        (
            counts.buildings,
            counts.households,
            counts.residents,
            counts.tags
        ),
        (3, 3, 3, 1)
    );
    (import, ids)
}

pub async fn import_places_stores_buildings_households_and_residents(store: Arc<dyn Store>) {
    let (import, ids) = places(&*store).await;
    assert_eq!(store.count_residents().await.unwrap(), 3);
    let west = BuildingQuery {
        grid_code: Some(WEST.to_owned()),
        search: None,
    };
    let found = store.buildings(&west, Page::number(1, 50)).await.unwrap();
    assert_eq!(found.total, 2);
    assert_eq!(found.items[0].address(), "天熹路1号1幢");
    assert_eq!(
        (found.items[0].households, found.items[0].residents),
        (2, 2)
    );
    assert_eq!(
        (found.items[1].households, found.items[1].residents),
        (0, 0)
    );
    assert_eq!(found.items[0].placement, Placement::Point);
    assert_eq!(found.items[0].lng, Some(121.005));
    let searched = store
        .buildings(
            &BuildingQuery {
                grid_code: None,
                search: Some("3号".to_owned()),
            },
            Page::number(1, 50),
        )
        .await
        .unwrap();
    assert_eq!(searched.total, 1);
    assert_eq!(searched.items[0].grid_code, EAST);

    let flats = store.households(import.buildings[0].id).await.unwrap();
    assert_eq!(flats.len(), 2);
    assert_eq!((flats[0].room.as_str(), flats[0].residents), ("101室", 1));

    let one = store.resident(ids[0]).await.unwrap().unwrap();
    assert_eq!(one.name, "张建华");
    assert_eq!(one.id_number, ID_A);
    assert_eq!(one.grid_code, WEST);
    assert_eq!(one.address(), "天熹路1号1幢1单元101室");
    assert_eq!(one.version, 1);
    assert_eq!(one.tags.len(), 1);
    assert_eq!(one.tags[0].tag, "lone_elderly");
    assert_eq!(one.tags[0].set_by_name, "admin");
    assert!(store.resident(Uuid::now_v7()).await.unwrap().is_none());

    let query = |search: Option<&str>, tag: Option<&str>| ResidentQuery {
        grid_code: WEST.to_owned(),
        search: search.map(str::to_owned),
        tag: tag.map(str::to_owned),
        building_id: None,
    };
    let page = store
        .residents(&query(None, None), Page::number(1, 50))
        .await
        .unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(
        page.items
            .iter()
            .map(|r| r.name.as_str())
            .collect::<Vec<_>>(),
        vec!["张建华", "李静"]
    );
    assert_eq!(page.items[0].tags.len(), 1);
    for (search, tag, expect) in [
        (Some("静"), None, vec!["李静"]),
        (Some(ID_B), None, vec!["李静"]),
        (Some(&ID_A.to_lowercase()[..]), None, vec!["张建华"]),
        (Some("102室"), None, vec!["李静"]),
        (Some("13900000001"), None, vec!["张建华", "李静"]),
        (None, Some("lone_elderly"), vec!["张建华"]),
        (Some("王海"), None, vec![]),
        (Some("%"), None, vec![]),
    ] {
        let found = store
            .residents(&query(search, tag), Page::number(1, 50))
            .await
            .unwrap();
        let names: Vec<&str> = found.items.iter().map(|r| r.name.as_str()).collect();
        assert_eq!(names, expect, "{search:?} {tag:?}");
        assert_eq!(found.total as usize, expect.len());
    }
    let second = store
        .residents(&query(None, None), Page::number(2, 1))
        .await
        .unwrap();
    assert_eq!((second.total, second.items.len()), (2, 1));
    assert_eq!(second.items[0].name, "李静");

    let record = &store
        .audit_query(
            &AuditQuery {
                action: Some("places.import".to_owned()),
                ..AuditQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap()
        .items[0];
    assert_eq!(record.object_id, WEST);
    assert_eq!(detail(record)["residents"], 3);
    assert_chain(&*store).await;
}

pub async fn import_places_is_all_or_nothing(store: Arc<dyn Store>) {
    let (_, _) = places(&*store).await;
    let before = audit_total(&*store).await;
    // A building whose key is taken.
    let import = PlacesImport {
        label: "again".to_owned(),
        buildings: vec![
            building(WEST, "新桥路", "2号", ""),
            building(WEST, "天熹路", "1号", "1幢"),
        ],
        ..PlacesImport::default()
    };
    expect_conflict(store.import_places(&ctx(), import).await, "address");
    // A person registered twice.
    let b = building(WEST, "新桥路", "4号", "");
    let h = NewHousehold {
        id: Uuid::now_v7(),
        building_id: b.id,
        unit: String::new(),
        room: String::new(),
    };
    let import = PlacesImport {
        label: "again".to_owned(),
        residents: vec![resident(h.id, "重复", ID_B, Vec::new())],
        buildings: vec![b],
        households: vec![h],
    };
    expect_conflict(store.import_places(&ctx(), import).await, "id_number");
    assert_eq!(audit_total(&*store).await, before);
    assert_eq!(store.count_residents().await.unwrap(), 3);
    let all = store
        .buildings(&BuildingQuery::default(), Page::number(1, 50))
        .await
        .unwrap();
    assert_eq!(all.total, 3);
}

pub async fn buildings_are_found_by_address_key(store: Arc<dyn Store>) {
    let (_, _) = places(&*store).await;
    let keys = |rows: Vec<crate::residents::BuildingRow>| -> Vec<String> {
        rows.into_iter().map(|b| b.address_key).collect()
    };
    assert_eq!(
        keys(store.buildings_by_key("天熹路1号", 10).await.unwrap()),
        vec!["天熹路1号1幢", "天熹路1号2幢"]
    );
    assert_eq!(
        keys(store.buildings_by_key("天熹路1号2幢", 10).await.unwrap()),
        vec!["天熹路1号2幢"]
    );
    assert_eq!(
        keys(store.buildings_by_key("天熹路", 1).await.unwrap()),
        vec!["天熹路1号1幢"]
    );
    assert!(store
        .buildings_by_key("人民路", 10)
        .await
        .unwrap()
        .is_empty());
    assert!(store.buildings_by_key("", 10).await.unwrap().is_empty());

    let created = store
        .create_building(&ctx(), building(EAST, "新桥路", "8号", "1幢"))
        .await
        .unwrap();
    assert_eq!(created.address(), "新桥路8号1幢");
    assert_eq!((created.households, created.residents), (0, 0));
    assert_eq!(created.created_at, T0);
    assert_eq!(
        store.building(created.id).await.unwrap().unwrap().grid_code,
        EAST
    );
    let before = audit_total(&*store).await;
    expect_conflict(
        store
            .create_building(&ctx(), building(EAST, "新桥路", "8号", "1幢"))
            .await,
        "address",
    );
    expect_not_found(
        store
            .create_building(&ctx(), building("320612001009009", "新桥路", "9号", ""))
            .await,
    );
    assert_eq!(audit_total(&*store).await, before);
    let record = &store
        .audit_query(
            &AuditQuery {
                action: Some("building.create".to_owned()),
                ..AuditQuery::default()
            },
            Page::number(1, 10),
        )
        .await
        .unwrap()
        .items[0];
    assert_eq!(record.object_id, created.id.to_string());
    assert_eq!(detail(record)["address"], "新桥路8号1幢");
}

pub async fn residents_are_registered_edited_and_audited(store: Arc<dyn Store>) {
    let (import, ids) = places(&*store).await;
    let b2 = import.buildings[1].id;
    let input = |name: &str, id_number: &str, unit: &str, room: &str| ResidentInput {
        flat: Flat {
            building_id: b2,
            unit: unit.to_owned(),
            room: room.to_owned(),
        },
        name: name.to_owned(),
        id_number: id_number.to_owned(),
        phone: Some("13900000009".to_owned()),
        note: "新登记".to_owned(),
    };
    let id = Uuid::now_v7();
    let created = store
        .create_resident(
            &ctx(),
            id,
            input("陈刚", "320612200001011238", "2单元", "201室"),
        )
        .await
        .unwrap();
    assert_eq!(created.address(), "天熹路1号2幢2单元201室");
    assert_eq!((created.version, created.created_at), (1, T0));
    // The flat was created with the resident: one household, two records.
    let flats = store.households(b2).await.unwrap();
    assert_eq!(flats.len(), 1);
    let records = store
        .audit_query(&AuditQuery::default(), Page::number(1, 2))
        .await
        .unwrap()
        .items;
    assert_eq!(records[0].action, "resident.create");
    assert_eq!(records[1].action, "household.create");
    assert_eq!(detail(&records[0])["id_number"], "320612********1238");
    for r in &records {
        assert!(!r.detail.contains("320612200001011238"), "{}", r.detail);
    }

    // A second person in the same flat joins the household.
    store
        .create_resident(
            &ctx(),
            Uuid::now_v7(),
            input("陈小刚", "320612201501011239", "2单元", "201室"),
        )
        .await
        .unwrap();
    assert_eq!(store.households(b2).await.unwrap()[0].residents, 2);

    // One registration per ID number; nothing written when refused.
    let before = audit_total(&*store).await;
    expect_conflict(
        store
            .create_resident(&ctx(), Uuid::now_v7(), input("冒名", ID_A, "", ""))
            .await,
        "id_number",
    );
    expect_not_found(
        store
            .create_resident(
                &ctx(),
                Uuid::now_v7(),
                ResidentInput {
                    flat: Flat {
                        building_id: Uuid::now_v7(),
                        unit: String::new(),
                        room: String::new(),
                    },
                    ..input("无楼", "320612198001011238", "", "")
                },
            )
            .await,
    );
    assert_eq!(audit_total(&*store).await, before);
    assert_eq!(store.households(b2).await.unwrap().len(), 1);

    // An edit moves the resident and raises the version; a stale one fails.
    let moved = store
        .update_resident(
            &admin_ctx(T0 + 1),
            id,
            1,
            ResidentInput {
                phone: None,
                ..input("陈刚", "320612200001011238", "1单元", "101室")
            },
        )
        .await
        .unwrap();
    assert_eq!(moved.version, 2);
    assert_eq!(moved.phone, None);
    assert_eq!(moved.address(), "天熹路1号2幢1单元101室");
    assert_eq!(moved.updated_at, T0 + 1);
    let record = &store
        .audit_query(
            &AuditQuery {
                action: Some("resident.update".to_owned()),
                ..AuditQuery::default()
            },
            Page::number(1, 1),
        )
        .await
        .unwrap()
        .items[0];
    assert_eq!(
        detail(record)["changed"],
        serde_json::json!(["phone", "household"])
    );
    let before = audit_total(&*store).await;
    expect_conflict(
        store
            .update_resident(&ctx(), id, 1, input("陈刚", "320612200001011238", "", ""))
            .await,
        "version",
    );
    expect_conflict(
        store
            .update_resident(&ctx(), id, 2, input("陈刚", ID_B, "", ""))
            .await,
        "id_number",
    );
    expect_not_found(
        store
            .update_resident(&ctx(), Uuid::now_v7(), 1, input("无人", ID_C, "", ""))
            .await,
    );
    assert_eq!(audit_total(&*store).await, before);
    assert_eq!(store.resident(id).await.unwrap().unwrap().version, 2);
    assert_eq!(store.resident(ids[1]).await.unwrap().unwrap().name, "李静");
    assert_chain(&*store).await;
}

pub async fn resident_tags_are_set_replaced_and_removed(store: Arc<dyn Store>) {
    let (_, ids) = places(&*store).await;
    let id = ids[1];
    store
        .set_tag(&ctx(), id, tag("hardship", T0 + 10))
        .await
        .unwrap();
    store
        .set_tag(&ctx(), id, tag("disabled", T0 + 20))
        .await
        .unwrap();
    store
        .set_tag(
            &admin_ctx(T0 + 5),
            id,
            NewTag {
                note: "复核后延期".to_owned(),
                ..tag("hardship", T0 + 30)
            },
        )
        .await
        .unwrap();
    let row = store.resident(id).await.unwrap().unwrap();
    assert_eq!(
        row.tags
            .iter()
            .map(|t| (t.tag.as_str(), t.review_on))
            .collect::<Vec<_>>(),
        vec![("disabled", T0 + 20), ("hardship", T0 + 30)]
    );
    assert_eq!(row.tags[1].note, "复核后延期");
    assert_eq!(row.tags[1].set_at, T0 + 5);
    let record = &store
        .audit_query(&AuditQuery::default(), Page::number(1, 1))
        .await
        .unwrap()
        .items[0];
    assert_eq!(record.action, "resident.tag.set");
    assert_eq!(detail(record)["previous_review_on"], T0 + 10);

    store.remove_tag(&ctx(), id, "disabled").await.unwrap();
    let before = audit_total(&*store).await;
    expect_not_found(store.remove_tag(&ctx(), id, "disabled").await);
    expect_not_found(
        store
            .set_tag(&ctx(), Uuid::now_v7(), tag("hardship", T0))
            .await,
    );
    assert_eq!(audit_total(&*store).await, before);
    let row = store.resident(id).await.unwrap().unwrap();
    assert_eq!(row.tags.len(), 1);
    assert_eq!(row.version, 1, "tags do not change the resident's version");
    assert_chain(&*store).await;
}
