//! Problem data for the demo (问题数据): a few dozen records so that each
//! work list of `/grid/quality/data` has something on it.
//!
//! In each of the first [`GRIDS`] comprehensive grids with residents, a
//! community's legacy register (存量台账) brings three records into the
//! intake: one with a mistyped ID number, one whose address names no
//! building, and one repeating a registered resident. In the first
//! [`LOOK_ALIKES`] of those grids, a resident is registered a second time
//! under a number differing in its sequence digits (same name, same birth
//! date): a possible duplicate. The generated population already has tags
//! past their review date. Everything is derived from the registered
//! residents, so the same district gives the same problems.
//!
//! Loaded once, right after the residents (a database that has residents
//! keeps what it has).

use uuid::Uuid;
use yiwang_core::ResidentId;
use yiwang_grid::problems::{id_problem, read_address};
use yiwang_store::problems::IntakeRecord;
use yiwang_store::residents::{Flat, ResidentInput, ResidentQuery};
use yiwang_store::{AuditCtx, Page};
use yiwang_web::AppState;

/// Grids with legacy records.
pub const GRIDS: usize = 12;

/// Grids with a resident registered twice.
pub const LOOK_ALIKES: usize = 4;

/// An area code the generated population does not use (崇川区), so the
/// numbers made here repeat nobody by accident.
const AREA: &str = "320602";

/// Loads the demo's problem records; how many intake records.
pub async fn load(app: &AppState, grids: &[String]) -> anyhow::Result<usize> {
    let store = &*app.store;
    let mut records = Vec::new();
    let mut look_alikes = Vec::new();
    for grid in grids {
        if records.len() >= GRIDS * 3 {
            break;
        }
        let query = ResidentQuery {
            grid_code: grid.clone(),
            ..ResidentQuery::default()
        };
        let people = store.residents(&query, Page::number(1, 3)).await?.items;
        let [first, second, ..] = people.as_slice() else {
            continue;
        };
        let n = records.len() / 3;
        let building = first.building_address.clone();
        let record = |name: &str, id_number: String, address: String, note: &str| {
            let (address_key, unit, room) = read_address(&address).unwrap_or_default();
            IntakeRecord {
                grid_code: grid.clone(),
                name: name.to_owned(),
                id_problem: id_problem(&id_number)
                    .map(|p| p.code().to_owned())
                    .unwrap_or_default(),
                id_number,
                phone: String::new(),
                address,
                address_key,
                unit,
                room,
                note: note.to_owned(),
            }
        };
        // A mistyped number: the registered one with two digits swapped
        // (which the check character catches) or cut short.
        let mut typo: Vec<char> = second.id_number.chars().collect();
        if n % 2 == 0 && typo[15] != typo[16] {
            typo.swap(15, 16);
        } else {
            typo.truncate(15);
        }
        records.push(record(
            &format!("{}（旧）", second.name),
            typo.into_iter().collect(),
            format!("{building}1单元{}01室", n % 6 + 1),
            "社区存量台账：身份证号待核对",
        ));
        // An address that names no building.
        let unknown = ResidentId::with_check_digit(&format!("{AREA}19700101{:03}", 100 + n))?;
        records.push(record(
            "周桂兰",
            unknown.expose().to_owned(),
            format!("前进路98号{}幢", n + 1),
            "社区存量台账：住址待核实",
        ));
        // A registered resident again.
        records.push(record(
            &first.name,
            first.id_number.clone(),
            first.address(),
            "社区存量台账：与户籍登记重复",
        ));
        if look_alikes.len() < LOOK_ALIKES {
            look_alikes.push(first.clone());
        }
    }
    let ctx = AuditCtx::system("demo", app.clock.now().micros());
    let count = records.len();
    store
        .import_intake(
            &ctx,
            "demo",
            records.into_iter().map(|r| (Uuid::now_v7(), r)).collect(),
        )
        .await?;
    for (i, person) in look_alikes.iter().enumerate() {
        let birth = &person.id_number[6..14];
        let twin = ResidentId::with_check_digit(&format!("{AREA}{birth}{:03}", 900 + i))?;
        store
            .create_resident(
                &ctx,
                Uuid::now_v7(),
                ResidentInput {
                    flat: Flat {
                        building_id: person.building_id,
                        unit: person.unit.clone(),
                        room: person.room.clone(),
                    },
                    name: person.name.clone(),
                    id_number: twin.expose().to_owned(),
                    phone: None,
                    note: "户籍迁入时重复登记".to_owned(),
                },
            )
            .await?;
    }
    Ok(count)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use yiwang_core::{ManualClock, Timestamp};
    use yiwang_store::problems::{ProblemKind, ProblemScope};
    use yiwang_web::Config;

    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_demo_has_something_on_every_list() {
        let (store, _dir) = yiwang_store_sqlite::testing::fresh().await;
        let mut config = Config::default();
        config.auth.argon2_memory_kib = 64;
        config.auth.argon2_iterations = 1;
        config.demo.events_per_year = 0;
        let clock = ManualClock::new(Timestamp::from_micros(1_795_658_400_000_000));
        let app = AppState::new(Arc::new(store), config, Arc::new(clock)).unwrap();
        crate::demo_grid::load(&app).await.unwrap();
        let today = app.clock.now().micros();
        let mut totals = [0u64; 6];
        for grid in app
            .store
            .problem_counts(&ProblemScope::all(), today)
            .await
            .unwrap()
        {
            for (t, n) in totals.iter_mut().zip(grid.counts) {
                *t += n;
            }
        }
        let at = |k: ProblemKind| totals[k.index()];
        assert_eq!(at(ProblemKind::InvalidId), GRIDS as u64);
        assert_eq!(at(ProblemKind::NoBuilding), GRIDS as u64);
        assert_eq!(at(ProblemKind::DuplicateId), GRIDS as u64);
        assert!(at(ProblemKind::PossibleDuplicate) >= 2 * LOOK_ALIKES as u64);
        assert!(at(ProblemKind::TagOverdue) > 0);
        assert_eq!(at(ProblemKind::Ready), 0);
    }
}
