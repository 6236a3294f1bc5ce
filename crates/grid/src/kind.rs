//! The two kinds of grid.
//!
//! Comprehensive grids (综合网格) tile their community: every point of a
//! community lies in exactly one of them. Specialised grids (专属网格) cover
//! one place with its own management — a school, a hospital, a park, an
//! enterprise, a market — and sit inside a comprehensive grid, on top of it:
//! a point inside a school belongs to the school's grid first.
//!
//! A kind is stored as a stable code: `comprehensive`, or `specialised.` and
//! the subtype (`specialised.school`).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// What a specialised grid covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SpecialisedType {
    /// 学校 (schools and kindergartens).
    School,
    /// 医院 (hospitals and clinics).
    Hospital,
    /// 公园 (parks and squares).
    Park,
    /// 企业 (an enterprise's premises).
    Enterprise,
    /// 商贸市场 (markets and shopping centres).
    Market,
    /// 工业园区 (industrial parks).
    IndustrialPark,
    /// 机关事业单位 (government offices and public institutions).
    Institution,
    /// 交通场站 (stations and transport hubs).
    Transport,
}

impl SpecialisedType {
    pub const ALL: [SpecialisedType; 8] = [
        SpecialisedType::School,
        SpecialisedType::Hospital,
        SpecialisedType::Park,
        SpecialisedType::Enterprise,
        SpecialisedType::Market,
        SpecialisedType::IndustrialPark,
        SpecialisedType::Institution,
        SpecialisedType::Transport,
    ];

    /// The stable code (`school`, `hospital`, …).
    pub fn code(self) -> &'static str {
        match self {
            SpecialisedType::School => "school",
            SpecialisedType::Hospital => "hospital",
            SpecialisedType::Park => "park",
            SpecialisedType::Enterprise => "enterprise",
            SpecialisedType::Market => "market",
            SpecialisedType::IndustrialPark => "industrial_park",
            SpecialisedType::Institution => "institution",
            SpecialisedType::Transport => "transport",
        }
    }

    /// The Chinese name shown to users.
    pub fn label(self) -> &'static str {
        match self {
            SpecialisedType::School => "学校",
            SpecialisedType::Hospital => "医院",
            SpecialisedType::Park => "公园",
            SpecialisedType::Enterprise => "企业",
            SpecialisedType::Market => "商贸市场",
            SpecialisedType::IndustrialPark => "工业园区",
            SpecialisedType::Institution => "机关事业单位",
            SpecialisedType::Transport => "交通场站",
        }
    }

    pub fn from_code(code: &str) -> Option<SpecialisedType> {
        SpecialisedType::ALL.into_iter().find(|t| t.code() == code)
    }
}

/// A grid's kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum GridKind {
    /// 综合网格: part of the tiling of a community.
    Comprehensive,
    /// 专属网格: one place inside a community, on top of the tiling.
    Specialised(SpecialisedType),
}

impl GridKind {
    /// The stable code: `comprehensive` or `specialised.<type>`.
    pub fn code(self) -> String {
        match self {
            GridKind::Comprehensive => "comprehensive".to_owned(),
            GridKind::Specialised(t) => format!("specialised.{}", t.code()),
        }
    }

    pub fn from_code(code: &str) -> Option<GridKind> {
        if code == "comprehensive" {
            return Some(GridKind::Comprehensive);
        }
        code.strip_prefix("specialised.")
            .and_then(SpecialisedType::from_code)
            .map(GridKind::Specialised)
    }

    /// The Chinese name: 综合网格, or 专属网格（学校）.
    pub fn label(self) -> String {
        match self {
            GridKind::Comprehensive => "综合网格".to_owned(),
            GridKind::Specialised(t) => format!("专属网格（{}）", t.label()),
        }
    }

    pub fn is_comprehensive(self) -> bool {
        matches!(self, GridKind::Comprehensive)
    }
}

impl fmt::Display for GridKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.code())
    }
}

impl Serialize for GridKind {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.code())
    }
}

impl<'de> Deserialize<'de> for GridKind {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<GridKind, D::Error> {
        let code = String::deserialize(deserializer)?;
        GridKind::from_code(&code)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown grid kind {code:?}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        let mut kinds = vec![GridKind::Comprehensive];
        kinds.extend(SpecialisedType::ALL.map(GridKind::Specialised));
        for kind in kinds {
            assert_eq!(GridKind::from_code(&kind.code()), Some(kind));
        }
        assert_eq!(GridKind::from_code("specialised."), None);
        assert_eq!(GridKind::from_code("school"), None);
        assert_eq!(
            GridKind::Specialised(SpecialisedType::School).label(),
            "专属网格（学校）"
        );
    }
}
