//! Yiwang's shared vocabulary.
//!
//! Every other crate speaks in these types: [`Money`] is integer fen and never a
//! float, times are microseconds since the Unix epoch shown in Asia/Shanghai,
//! and codes such as the unified social credit code are parsed once at the edge
//! so that nothing inside ever handles a raw, unchecked string.
//!
//! | module | what it holds |
//! |---|---|
//! | [`money`] | [`Money`] in fen; yuan and 万元 parsing and printing |
//! | [`area`] | [`Area`] in hundredths of a square metre |
//! | [`ratio`] | [`Ratio`], exact decimals that print back as written |
//! | [`mod@time`] | [`Timestamp`] in microseconds, Shanghai time, [`Clock`] |
//! | [`role`] | the [`Role`] an account holds |
//!
//! Every parser is total (it never panics) and its error type displays, in
//! Chinese, what was wrong and what is expected, ready to show to a user.

mod decimal;

pub mod area;
pub mod money;
pub mod ratio;
pub mod role;
pub mod time;

pub use crate::area::{Area, AreaError};
pub use crate::money::{Money, MoneyError, MoneyUnit};
pub use crate::ratio::{Ratio, RatioError};
pub use crate::role::Role;
pub use crate::time::{Clock, ManualClock, SystemClock, TimeError, Timestamp};
