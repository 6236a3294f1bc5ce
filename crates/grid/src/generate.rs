//! A generated district, reproducible from a seed number, for demos,
//! tests and benchmarks.
//!
//! The district is a lng/lat rectangle cut into streets/towns, each street
//! into communities/villages, and each community into comprehensive grids
//! that tile it exactly (columns of random widths, each column cut into
//! cells of random heights: every edge is shared by the neighbours on both
//! sides, so the tiling has no gap and no overlap). Specialised grids are
//! small rectangles well inside a comprehensive grid, at most one per
//! comprehensive grid, so they overlap no other specialised grid. Each grid
//! has a leader with a generated name and an official phone; the same seed
//! gives the same district, byte for byte.
//!
//! [`DistrictPlan::tongzhou`] is the seed article's district: 1,030
//! comprehensive and 107 specialised grids, so 1,137 grid leaders, around
//! 通州区 (code 320612). Place names are those of real streets and towns;
//! community, grid and people's names are made up, and phone numbers are
//! drawn from one obviously sequential block.

use crate::code::{CommunityCode, DistrictCode, GridCode, StreetCode};
use crate::geometry::Boundary;
use crate::kind::{GridKind, SpecialisedType};

/// What to generate.
#[derive(Debug, Clone, PartialEq)]
pub struct DistrictPlan {
    pub seed: u64,
    pub district_code: DistrictCode,
    pub district_name: String,
    /// South-west corner and size of the district, in degrees.
    pub origin: (f64, f64),
    pub size: (f64, f64),
    pub streets: usize,
    pub communities_per_street: usize,
    pub comprehensive: usize,
    pub specialised: usize,
}

impl DistrictPlan {
    /// The seed article's district: 12 streets/towns of 10 communities,
    /// 1,030 comprehensive and 107 specialised grids.
    pub fn tongzhou(seed: u64) -> DistrictPlan {
        DistrictPlan {
            seed,
            district_code: DistrictCode::parse("320612").expect("a valid district code"),
            district_name: "通州区".to_owned(),
            origin: (120.90, 31.95),
            size: (0.40, 0.25),
            streets: 12,
            communities_per_street: 10,
            comprehensive: 1030,
            specialised: 107,
        }
    }

    /// A small district for tests: 2 streets of 2 communities, 12
    /// comprehensive and 3 specialised grids.
    pub fn small(seed: u64) -> DistrictPlan {
        DistrictPlan {
            streets: 2,
            communities_per_street: 2,
            comprehensive: 12,
            specialised: 3,
            size: (0.06, 0.04),
            ..DistrictPlan::tongzhou(seed)
        }
    }
}

/// A street or town.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedStreet {
    pub code: StreetCode,
    pub name: String,
}

/// A community or village with its outline.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedCommunity {
    pub code: CommunityCode,
    pub name: String,
    pub boundary: Boundary,
}

/// A grid with its leader.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedGrid {
    pub code: GridCode,
    pub kind: GridKind,
    pub name: String,
    pub boundary: Boundary,
    pub leader_name: String,
    pub leader_phone: String,
}

/// The generated district.
#[derive(Debug, Clone, PartialEq)]
pub struct GeneratedDistrict {
    pub code: DistrictCode,
    pub name: String,
    pub streets: Vec<GeneratedStreet>,
    pub communities: Vec<GeneratedCommunity>,
    /// In code order.
    pub grids: Vec<GeneratedGrid>,
}

/// SplitMix64: tiny, and the same sequence on every platform and version
/// (a library generator may change its stream between releases).
#[derive(Debug, Clone)]
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (n > 0).
    pub(crate) fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// Uniform in `[lo, hi)`.
    pub(crate) fn between(&mut self, lo: f64, hi: f64) -> f64 {
        lo + (hi - lo) * ((self.next() >> 11) as f64 / (1u64 << 53) as f64)
    }

    pub(crate) fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const STREETS: &[&str] = &[
    "金沙街道",
    "先锋街道",
    "西亭镇",
    "二甲镇",
    "东社镇",
    "三余镇",
    "十总镇",
    "兴仁镇",
    "平潮镇",
    "石港镇",
    "刘桥镇",
    "川姜镇",
    "五接镇",
    "张芝山镇",
    "姜灶镇",
    "兴东街道",
];
const PLACE_FIRST: &[&str] = &[
    "天", "安", "和", "兴", "新", "永", "长", "福", "瑞", "春", "金", "银", "清", "东", "西", "南",
    "北", "德", "仁", "同", "乐", "平", "丰", "盛", "华", "晨", "星", "江", "海", "港",
];
const PLACE_SECOND: &[&str] = &[
    "熹", "康", "平", "乐", "苑", "园", "湾", "桥", "河", "庄", "林", "泽", "光", "阳", "悦", "宁",
    "祥", "源", "丰", "湖", "港", "华", "景", "秀",
];
pub(crate) const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "周", "吴", "徐", "孙", "朱", "马", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "顾", "缪", "季", "陆", "施", "瞿", "范", "姜",
];
pub(crate) const GIVEN: &[&str] = &[
    "建", "华", "文", "静", "海", "燕", "红", "军", "梅", "丽", "强", "勇", "霞", "峰", "磊", "娟",
    "敏", "杰", "涛", "玲", "晓", "雪", "云", "鹏", "慧", "婷", "明", "平", "志", "秀", "春", "兰",
    "国", "庆", "卫", "东", "亚", "琴", "芳", "斌",
];
const SPECIAL_NAMES: &[(SpecialisedType, &[&str])] = &[
    (
        SpecialisedType::School,
        &["小学", "初级中学", "幼儿园", "实验学校"],
    ),
    (
        SpecialisedType::Hospital,
        &["卫生院", "社区卫生服务中心", "医院"],
    ),
    (SpecialisedType::Park, &["公园", "文体广场", "湿地公园"]),
    (
        SpecialisedType::Enterprise,
        &["纺织有限公司", "机械制造有限公司", "家纺有限公司"],
    ),
    (SpecialisedType::Market, &["农贸市场", "商贸城", "建材市场"]),
    (
        SpecialisedType::IndustrialPark,
        &["工业集中区", "科技产业园"],
    ),
    (SpecialisedType::Institution, &["便民服务中心", "派出所"]),
    (SpecialisedType::Transport, &["客运站", "公交首末站"]),
];

/// `n` cut positions in `[0, 1]` (0 and 1 included) at random proportions.
fn cuts(rng: &mut Rng, n: usize) -> Vec<f64> {
    let weights: Vec<f64> = (0..n).map(|_| rng.between(0.7, 1.3)).collect();
    let total: f64 = weights.iter().sum();
    let mut at = vec![0.0];
    let mut sum = 0.0;
    for w in &weights[..n - 1] {
        sum += w;
        at.push(sum / total);
    }
    at.push(1.0);
    at
}

fn rect(x0: f64, y0: f64, x1: f64, y1: f64) -> Boundary {
    Boundary::from_ring(&[(x0, y0), (x1, y0), (x1, y1), (x0, y1)])
        .expect("generated rectangles are valid")
}

/// Shares `total` among `parts` as evenly as possible, the remainder to
/// parts chosen at random.
fn share(rng: &mut Rng, total: usize, parts: usize) -> Vec<usize> {
    let mut counts = vec![total / parts; parts];
    for _ in 0..total % parts {
        let i = rng.below(parts);
        counts[i] += 1;
    }
    counts
}

/// Generates the district a plan describes. Panics when the plan cannot be
/// coded (more than 999 streets, communities or grids per unit).
pub fn generate(plan: &DistrictPlan) -> GeneratedDistrict {
    assert!(plan.streets >= 1 && plan.communities_per_street >= 1);
    let mut rng = Rng(plan.seed);
    let (x0, y0) = plan.origin;
    let (w, h) = plan.size;
    let street_cols = (plan.streets as f64).sqrt().ceil() as usize;
    let street_rows = plan.streets.div_ceil(street_cols);
    let communities = plan.streets * plan.communities_per_street;
    let per_community = share(&mut rng, plan.comprehensive, communities);

    let mut used_names = std::collections::HashSet::new();
    let mut place_name = |rng: &mut Rng, suffix: &str| loop {
        let name = format!(
            "{}{}{suffix}",
            rng.pick(PLACE_FIRST),
            rng.pick(PLACE_SECOND)
        );
        if used_names.insert(name.clone()) {
            return name;
        }
    };
    let mut people = std::collections::HashSet::new();
    let mut person = |rng: &mut Rng| loop {
        let given_len = if rng.below(4) == 0 { 1 } else { 2 };
        let mut name = rng.pick(SURNAMES).to_owned();
        for _ in 0..given_len {
            name.push_str(rng.pick(GIVEN));
        }
        // Names repeat in a real district; within one demo they are kept
        // distinct so that a search by leader finds one grid.
        if people.insert(name.clone()) {
            return name;
        }
    };

    let mut district = GeneratedDistrict {
        code: plan.district_code,
        name: plan.district_name.clone(),
        streets: Vec::new(),
        communities: Vec::new(),
        grids: Vec::new(),
    };
    let mut community_index = 0;
    for s in 0..plan.streets {
        let street_code = plan
            .district_code
            .street(s as u16 + 1)
            .expect("at most 999 streets");
        district.streets.push(GeneratedStreet {
            code: street_code,
            name: STREETS
                .get(s)
                .map(|n| (*n).to_owned())
                .unwrap_or_else(|| format!("第{}街道", s + 1)),
        });
        let (sc, sr) = (s % street_cols, s / street_cols);
        let sw = w / street_cols as f64;
        let sh = h / street_rows as f64;
        let (sx, sy) = (x0 + sc as f64 * sw, y0 + sr as f64 * sh);
        let c_cols = (plan.communities_per_street as f64).sqrt().ceil() as usize;
        let c_rows = plan.communities_per_street.div_ceil(c_cols);
        let town = district.streets[s].name.ends_with('镇');
        for c in 0..plan.communities_per_street {
            let community_code = street_code
                .community(c as u16 + 1)
                .expect("at most 999 communities");
            // The last row of communities may be short: its cells widen to
            // fill the street.
            let row = c / c_cols;
            let in_row = if row == c_rows - 1 {
                plan.communities_per_street - row * c_cols
            } else {
                c_cols
            };
            let cw = sw / in_row as f64;
            let ch = sh / c_rows as f64;
            let cx0 = sx + (c % c_cols) as f64 * cw;
            let cy0 = sy + row as f64 * ch;
            let (cx1, cy1) = (cx0 + cw, cy0 + ch);
            let village = town && rng.below(3) > 0;
            let name = place_name(&mut rng, if village { "村" } else { "社区" });
            district.communities.push(GeneratedCommunity {
                code: community_code,
                name: name.clone(),
                boundary: rect(cx0, cy0, cx1, cy1),
            });
            // Tile the community: columns, then cells in each column.
            let k = per_community[community_index].max(1);
            community_index += 1;
            let cols = ((k as f64).sqrt().round() as usize).clamp(1, k);
            let rows_per_col = share(&mut rng, k, cols);
            let xs = cuts(&mut rng, cols);
            let mut n = 0u16;
            for (col, rows) in rows_per_col.iter().enumerate() {
                let ys = cuts(&mut rng, *rows);
                for r in 0..*rows {
                    n += 1;
                    let gx0 = cx0 + cw * xs[col];
                    let gx1 = if col + 1 == cols {
                        cx1
                    } else {
                        cx0 + cw * xs[col + 1]
                    };
                    let gy0 = cy0 + ch * ys[r];
                    let gy1 = if r + 1 == *rows {
                        cy1
                    } else {
                        cy0 + ch * ys[r + 1]
                    };
                    let grid_name = format!("{name}第{n}网格");
                    district.grids.push(GeneratedGrid {
                        code: community_code.grid(n).expect("at most 999 grids"),
                        kind: GridKind::Comprehensive,
                        name: grid_name,
                        boundary: rect(gx0, gy0, gx1, gy1),
                        leader_name: String::new(),
                        leader_phone: String::new(),
                    });
                }
            }
        }
    }

    // Specialised grids: inside distinct comprehensive grids chosen at
    // random, numbered after their community's comprehensive grids.
    let mut hosts: Vec<usize> = (0..district.grids.len()).collect();
    for i in (1..hosts.len()).rev() {
        let j = rng.below(i + 1);
        hosts.swap(i, j);
    }
    let mut chosen: Vec<usize> = hosts.into_iter().take(plan.specialised).collect();
    chosen.sort_unstable();
    let mut specialised = Vec::with_capacity(chosen.len());
    let mut next_number = std::collections::HashMap::new();
    for &host in &chosen {
        let host_grid = &district.grids[host];
        let community = host_grid.code.community();
        let number = next_number.entry(community).or_insert_with(|| {
            district
                .grids
                .iter()
                .filter(|g| g.code.community() == community)
                .count() as u16
        });
        *number += 1;
        let bbox = host_grid.boundary.bbox();
        let (bw, bh) = (bbox.width(), bbox.height());
        let (fw, fh) = (rng.between(0.2, 0.4), rng.between(0.2, 0.4));
        let gx0 = bbox.min().x + bw * rng.between(0.15, 0.85 - fw);
        let gy0 = bbox.min().y + bh * rng.between(0.15, 0.85 - fh);
        let (kind, suffixes) = SPECIAL_NAMES[rng.below(SPECIAL_NAMES.len())];
        let place = host_grid.name.split("第").next().unwrap_or_default();
        let stem = place.trim_end_matches("社区").trim_end_matches('村');
        specialised.push(GeneratedGrid {
            code: community.grid(*number).expect("at most 999 grids"),
            kind: GridKind::Specialised(kind),
            name: format!("{stem}{}网格", rng.pick(suffixes)),
            boundary: rect(gx0, gy0, gx0 + bw * fw, gy0 + bh * fh),
            leader_name: String::new(),
            leader_phone: String::new(),
        });
    }
    district.grids.extend(specialised);
    district.grids.sort_by_key(|g| g.code);
    for (i, grid) in district.grids.iter_mut().enumerate() {
        grid.leader_name = person(&mut rng);
        grid.leader_phone = format!("1390613{:04}", i + 1);
    }
    district
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::GridIndex;
    use crate::topology::{check, DEFAULT_TOLERANCE_M2};

    #[test]
    fn the_seed_district_has_the_article_s_figures_and_clean_lines() {
        let district = generate(&DistrictPlan::tongzhou(2020));
        let comprehensive = district
            .grids
            .iter()
            .filter(|g| g.kind.is_comprehensive())
            .count();
        assert_eq!(comprehensive, 1030);
        assert_eq!(district.grids.len() - comprehensive, 107);
        let mut leaders: Vec<&str> = district
            .grids
            .iter()
            .map(|g| g.leader_name.as_str())
            .collect();
        leaders.sort_unstable();
        leaders.dedup();
        assert_eq!(leaders.len(), 1137, "one distinct leader per grid");
        let mut codes: Vec<GridCode> = district.grids.iter().map(|g| g.code).collect();
        codes.dedup();
        assert_eq!(codes.len(), 1137);
        assert_eq!(district.communities.len(), 120);

        let communities: Vec<_> = district
            .communities
            .iter()
            .map(|c| (c.code, &c.boundary))
            .collect();
        let grids: Vec<_> = district
            .grids
            .iter()
            .map(|g| (g.code, g.kind, &g.boundary))
            .collect();
        assert_eq!(check(&communities, &grids, DEFAULT_TOLERANCE_M2), vec![]);

        // Every specialised grid answers for its own centre.
        let index = GridIndex::new(
            district
                .grids
                .iter()
                .map(|g| (g.code, g.kind, g.boundary.clone())),
        );
        for grid in district.grids.iter().filter(|g| !g.kind.is_comprehensive()) {
            let b = grid.boundary.bbox();
            let centre = crate::LngLat {
                lng: b.center().x,
                lat: b.center().y,
            };
            assert_eq!(index.lookup(centre).unwrap().code, grid.code);
        }
    }

    #[test]
    fn the_same_seed_gives_the_same_district() {
        let a = generate(&DistrictPlan::small(7));
        assert_eq!(a, generate(&DistrictPlan::small(7)));
        assert_ne!(a, generate(&DistrictPlan::small(8)));
        assert_eq!(a.grids.len(), 15);
    }
}
