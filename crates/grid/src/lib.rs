//! Grid governance (网格化服务管理 "一张网"): the domain of grids.
//!
//! A district is divided into streets and towns (街道/镇), each into
//! communities and villages (社区/村), and each community into grids (网格),
//! the smallest unit a grid leader (网格长) answers for. The tree is spelt out
//! in the grids' standard codes ([`code`]): district 6 + street 3 +
//! community 3 + grid 3 digits.
//!
//! | module | what it holds |
//! |---|---|
//! | [`code`] | [`GridCode`] and the codes of the units above it |
//! | [`address`] | [`StandardAddress`]: road, door number, building, unit, room |
//! | [`people`] | [`PersonTag`] (the tags grid duties depend on), residents' phones |
//! | [`kind`] | [`GridKind`]: comprehensive (综合网格) or specialised (专属网格) |
//! | [`geometry`] | [`Boundary`] polygons in WGS84, areas in m², GeoJSON in and out |
//! | [`index`] | [`GridIndex`]: which grid holds a point |
//! | [`topology`] | overlaps, gaps and grids outside their community |
//! | [`generate`] | a district generated from a seed, for demos and tests |
//! | [`population`] | buildings, households and residents generated for a district |
//! | [`duties`] | the staff's patrols and visits: their windows, and what is done, open or overdue |
//! | [`pay`] | floating performance pay: leaders' indicators to shares of a bonus pool, to the fen |
//! | [`quality`] | the zombie-grid rules |
//! | [`problems`] | the problem-data detectors: invalid ID numbers, unmatched addresses, duplicates, overdue tags |
//!
//! The crate knows nothing of storage or HTTP; geometry is geo's (robust
//! predicates, geodesic areas, polygon boolean operations), not hand-made.
//!
//! ```
//! use yiwang_grid::{Boundary, GridCode, GridIndex, GridKind, LngLat};
//!
//! let code = GridCode::parse("320612001001001")?;
//! let boundary = Boundary::from_ring(&[(120.86, 32.06), (120.87, 32.06), (120.87, 32.07), (120.86, 32.07)])
//!     .expect("a valid square");
//! let index = GridIndex::new([(code, GridKind::Comprehensive, boundary)]);
//! let hit = index.lookup(LngLat::parse("120.865", "32.065").expect("numbers")).expect("inside");
//! assert_eq!(hit.code, code);
//! # Ok::<(), yiwang_grid::CodeError>(())
//! ```

pub mod address;
pub mod code;
pub mod duties;
pub mod generate;
pub mod geometry;
pub mod index;
pub mod kind;
pub mod pay;
pub mod people;
pub mod population;
pub mod problems;
pub mod quality;
pub mod topology;

pub use crate::address::{AddressError, StandardAddress};
pub use crate::code::{CodeError, CommunityCode, DistrictCode, GridCode, StreetCode};
pub use crate::geometry::{
    feature_collection, parse_feature_collection, Boundary, BoundaryError, ImportError,
    ImportedGrid, LngLat, PointError,
};
pub use crate::index::{GridIndex, Hit};
pub use crate::kind::{GridKind, SpecialisedType};
pub use crate::people::{mask_phone, parse_phone, PersonTag, PhoneError};
pub use crate::topology::{check as check_topology, Issue, DEFAULT_TOLERANCE_M2};
