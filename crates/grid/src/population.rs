//! Buildings, households and residents generated for a district, from a
//! seed number: the demo's place register and the benchmark's 1.26 million
//! residents.
//!
//! Each comprehensive grid is one residential compound (小区) behind one
//! door number on its community's road (`天熹路7号`), with as many buildings
//! (`1幢`, `2幢`, …) as its share of the residents needs: two units a
//! building, two flats a floor, up to six floors. Every building stands at a
//! point inside its grid and outside the specialised grids on top of it, so
//! the point look-up puts it in the grid it was generated for.
//!
//! People come in households of one to five: an adult head, often a
//! partner, then children or other adults. ID numbers are valid GB 11643
//! numbers, unique by construction (a counter per birth date and sex gives
//! the sequence digits), registered under 320683 (the old 通州市) before
//! 2009 and 320612 since. Names are made up, phones come from one obviously
//! sequential block (`199…`), and a small share of people carry tags with a
//! review date, some of them already past.
//!
//! [`populate`] yields one grid's buildings at a time, so a caller can
//! insert 1.26 million residents in batches without holding them all.

use std::collections::{HashMap, HashSet};

use yiwang_core::ResidentId;

use crate::code::GridCode;
use crate::generate::{GeneratedDistrict, Rng, GIVEN, SURNAMES};
use crate::geometry::{Boundary, LngLat};
use crate::people::PersonTag;

/// What to generate.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PopulationPlan {
    pub seed: u64,
    /// Residents in the whole district, spread over the comprehensive grids.
    pub residents: u64,
}

/// A generated building and its households.
#[derive(Debug, Clone)]
pub struct GeneratedBuilding {
    pub grid: GridCode,
    pub road: String,
    /// `7号`.
    pub number: String,
    /// `3幢`.
    pub building: String,
    pub point: LngLat,
    pub households: Vec<GeneratedHousehold>,
}

/// A flat and the people registered in it.
#[derive(Debug, Clone)]
pub struct GeneratedHousehold {
    /// `2单元`.
    pub unit: String,
    /// `301室`.
    pub room: String,
    pub people: Vec<GeneratedPerson>,
}

/// A generated resident.
#[derive(Debug, Clone)]
pub struct GeneratedPerson {
    pub name: String,
    pub id: ResidentId,
    /// Children under 12 have none.
    pub phone: Option<String>,
    /// Each tag with its review date, in days from the day of loading
    /// (negative: already past).
    pub tags: Vec<(PersonTag, i32)>,
}

/// Flats per building: 2 units × 6 floors × 2 flats.
const UNITS: u32 = 2;
const FLOORS: u32 = 6;
const FLATS_PER_FLOOR: u32 = 2;
const FLATS: usize = (UNITS * FLOORS * FLATS_PER_FLOOR) as usize;
/// Births are spread over the 90 years before this day (2026-01-01, in
/// days since 1970-01-01), so ages do not depend on when the demo loads.
const REFERENCE_DAY: i64 = 20_454;

/// The proleptic Gregorian date of a day count since 1970-01-01
/// (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// Hands out unique ID numbers: a counter per (birth day, sex) gives the
/// sequence digits, odd for men and even for women, as GB 11643 has them.
#[derive(Debug, Default)]
struct IdBook {
    used: HashMap<(i64, bool), u16>,
}

impl IdBook {
    fn issue(&mut self, mut birth_day: i64, female: bool) -> ResidentId {
        loop {
            let next = self.used.entry((birth_day, female)).or_default();
            if *next < 500 {
                let seq = u32::from(*next) * 2 + u32::from(!female);
                *next += 1;
                let (y, m, d) = civil_from_days(birth_day);
                let area = if y >= 2009 { "320612" } else { "320683" };
                return ResidentId::with_check_digit(&format!("{area}{y:04}{m:02}{d:02}{seq:03}"))
                    .expect("a generated body is 17 digits with a real date");
            }
            // 500 people of one sex born on one day: the next day.
            birth_day += 1;
        }
    }
}

/// State carried from one grid to the next.
struct People {
    rng: Rng,
    ids: IdBook,
    phones: u64,
}

impl People {
    fn name(&mut self, surname: Option<&str>) -> String {
        let mut name = surname
            .map(str::to_owned)
            .unwrap_or_else(|| self.rng.pick(SURNAMES).to_owned());
        let given = if self.rng.below(4) == 0 { 1 } else { 2 };
        for _ in 0..given {
            name.push_str(self.rng.pick(GIVEN));
        }
        name
    }

    fn person(
        &mut self,
        age: i64,
        female: bool,
        surname: Option<&str>,
        alone: bool,
    ) -> GeneratedPerson {
        let birth_day = REFERENCE_DAY - age * 365 - self.rng.below(365) as i64;
        let id = self.ids.issue(birth_day, female);
        let phone = (age >= 12).then(|| {
            self.phones += 1;
            format!("199{:08}", self.phones)
        });
        let mut tags = Vec::new();
        let mut tag = |rng: &mut Rng, tag: PersonTag, per_mille: usize| {
            if rng.below(1000) < per_mille {
                let period = tag.review_months() as usize * 30;
                // Some reviews are already late: problem data to clear.
                let review = rng.below(period + 60) as i32 - 60;
                tags.push((tag, review));
            }
        };
        if age >= 70 && alone {
            tag(&mut self.rng, PersonTag::LoneElderly, 600);
        }
        if age >= 18 {
            tag(&mut self.rng, PersonTag::Hardship, 25);
            tag(&mut self.rng, PersonTag::CommunityCorrection, 3);
            tag(&mut self.rng, PersonTag::InCrisis, 5);
        }
        tag(&mut self.rng, PersonTag::Disabled, 20);
        if age >= 22 && !female {
            tag(&mut self.rng, PersonTag::Veteran, 30);
        }
        if age < 14 {
            tag(&mut self.rng, PersonTag::LeftBehindChild, 50);
        }
        GeneratedPerson {
            name: self.name(surname),
            id,
            phone,
            tags,
        }
    }

    fn household(&mut self) -> Vec<GeneratedPerson> {
        // Sizes 1–5, weighted to a mean of about 2.6 people.
        let size = match self.rng.below(100) {
            0..=14 => 1,
            15..=44 => 2,
            45..=74 => 3,
            75..=91 => 4,
            _ => 5,
        };
        let head_age = if size == 1 {
            22 + self.rng.below(68) as i64
        } else {
            25 + self.rng.below(60) as i64
        };
        let head_female = self.rng.below(2) == 0;
        let head = self.person(head_age, head_female, None, size == 1);
        let surname: String = head.name.chars().take(1).collect();
        let mut people = vec![head];
        for i in 1..size {
            let person = if i == 1 {
                let age = (head_age + self.rng.below(7) as i64 - 3).max(20);
                self.person(age, !head_female, None, false)
            } else if head_age < 55 {
                let age = self.rng.below((head_age - 20).max(1) as usize) as i64;
                let female = self.rng.below(2) == 0;
                self.person(age, female, Some(&surname), false)
            } else {
                let age = 20 + self.rng.below((head_age - 40).max(1) as usize) as i64;
                let female = self.rng.below(2) == 0;
                self.person(age, female, Some(&surname), false)
            };
            people.push(person);
        }
        people
    }
}

/// A point inside `boundary` and outside every one of `holes`; the
/// boundary's interior point when a few random tries all miss.
fn point_in(rng: &mut Rng, boundary: &Boundary, holes: &[&Boundary]) -> LngLat {
    let bbox = boundary.bbox();
    for _ in 0..64 {
        let lng = rng.between(bbox.min().x, bbox.max().x);
        let lat = rng.between(bbox.min().y, bbox.max().y);
        let Ok(point) = LngLat::new(lng, lat) else {
            continue;
        };
        if boundary.contains(point) && !holes.iter().any(|h| h.covers(point)) {
            return point;
        }
    }
    boundary.interior_point()
}

/// The district's buildings, households and residents, one comprehensive
/// grid at a time (in code order). The same district and plan give the
/// same output.
pub fn populate<'a>(
    district: &'a GeneratedDistrict,
    plan: PopulationPlan,
) -> impl Iterator<Item = Vec<GeneratedBuilding>> + 'a {
    let comprehensive: Vec<_> = district
        .grids
        .iter()
        .filter(|g| g.kind.is_comprehensive())
        .collect();
    let specialised: Vec<_> = district
        .grids
        .iter()
        .filter(|g| !g.kind.is_comprehensive())
        .collect();
    // One road per community, named after it, unique in the district.
    let mut used = HashSet::new();
    let roads: HashMap<_, String> = district
        .communities
        .iter()
        .map(|c| {
            let base = c
                .name
                .trim_end_matches("社区")
                .trim_end_matches('村')
                .to_owned();
            let road = ["路", "大道", "街", "东路", "西路", "南路", "北路"]
                .iter()
                .map(|suffix| format!("{base}{suffix}"))
                .find(|r| used.insert(r.clone()))
                .unwrap_or_else(|| format!("{}路", c.code));
            (c.code, road)
        })
        .collect();
    let grids = comprehensive.len().max(1) as u64;
    let mut people = People {
        rng: Rng(plan.seed ^ 0x0050_4F50_554C_4154),
        ids: IdBook::default(),
        phones: 0,
    };
    let mut door_numbers: HashMap<_, u32> = HashMap::new();
    comprehensive.into_iter().enumerate().map(move |(i, grid)| {
        let share = plan.residents / grids + u64::from((i as u64) < plan.residents % grids);
        let community = grid.code.community();
        let door = door_numbers.entry(community).or_insert(0);
        *door += 1;
        let number = format!("{}号", *door * 2 - 1);
        let road = roads
            .get(&community)
            .cloned()
            .unwrap_or_else(|| format!("{community}路"));
        let holes: Vec<&Boundary> = specialised
            .iter()
            .filter(|s| s.code.community() == community)
            .map(|s| &s.boundary)
            .collect();
        let mut buildings = Vec::new();
        let mut placed = 0u64;
        let mut flat = 0usize;
        while placed < share {
            let b = flat / FLATS;
            if flat.is_multiple_of(FLATS) {
                buildings.push(GeneratedBuilding {
                    grid: grid.code,
                    road: road.clone(),
                    number: number.clone(),
                    building: format!("{}幢", b + 1),
                    point: point_in(&mut people.rng, &grid.boundary, &holes),
                    households: Vec::new(),
                });
            }
            let within = (flat % FLATS) as u32;
            let unit = within / (FLOORS * FLATS_PER_FLOOR) + 1;
            let floor = (within % (FLOORS * FLATS_PER_FLOOR)) / FLATS_PER_FLOOR + 1;
            let room = floor * 100 + within % FLATS_PER_FLOOR + 1;
            let mut members = people.household();
            members.truncate((share - placed) as usize);
            placed += members.len() as u64;
            buildings
                .last_mut()
                .expect("a building was pushed")
                .households
                .push(GeneratedHousehold {
                    unit: format!("{unit}单元"),
                    room: format!("{room}室"),
                    people: members,
                });
            flat += 1;
        }
        buildings
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::generate::{generate, DistrictPlan};
    use crate::index::GridIndex;

    #[test]
    fn dates_are_civil() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(REFERENCE_DAY), (2026, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
        assert_eq!(civil_from_days(11_016), (2000, 2, 29));
    }

    #[test]
    fn residents_are_as_many_as_asked_unique_and_placed_in_their_grid() {
        let district = generate(&DistrictPlan::small(7));
        let plan = PopulationPlan {
            seed: 7,
            residents: 2_000,
        };
        let index = GridIndex::new(
            district
                .grids
                .iter()
                .map(|g| (g.code, g.kind, g.boundary.clone())),
        );
        let mut ids = HashSet::new();
        let mut keys = HashSet::new();
        let mut total = 0;
        let mut tagged = 0;
        for grid in populate(&district, plan) {
            for b in grid {
                assert_eq!(index.lookup(b.point).map(|h| h.code), Some(b.grid));
                assert!(keys.insert(format!("{}{}{}", b.road, b.number, b.building)));
                let mut flats = HashSet::new();
                for h in &b.households {
                    assert!(flats.insert((h.unit.clone(), h.room.clone())));
                    assert!(!h.people.is_empty());
                    for p in &h.people {
                        assert!(ids.insert(p.id.expose().to_owned()));
                        assert_eq!(ResidentId::parse(p.id.expose()), Ok(p.id.clone()));
                        total += 1;
                        tagged += usize::from(!p.tags.is_empty());
                    }
                }
            }
        }
        assert_eq!(total, 2_000);
        assert!(tagged > 20 && tagged < 600, "{tagged}");
    }

    #[test]
    fn the_same_seed_gives_the_same_people() {
        let district = generate(&DistrictPlan::small(3));
        let plan = PopulationPlan {
            seed: 3,
            residents: 300,
        };
        let names = |p: PopulationPlan| -> Vec<String> {
            populate(&district, p)
                .flatten()
                .flat_map(|b| b.households)
                .flat_map(|h| h.people)
                .map(|p| format!("{}{}", p.name, p.id.expose()))
                .collect()
        };
        assert_eq!(names(plan), names(plan));
        assert_ne!(names(plan), names(PopulationPlan { seed: 4, ..plan }));
    }
}
