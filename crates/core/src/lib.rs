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
//! | [`calendar`] | [`WorkingCalendar`]: holidays, 调休, deadlines in working days and hours |
//! | [`credit_code`] | [`CreditCode`], the unified social credit code |
//! | [`resident_id`] | [`ResidentId`], the citizen identity number, masked by default |
//! | [`role`] | the [`Role`] an account holds |
//!
//! Every parser is total (it never panics) and its error type displays, in
//! Chinese, what was wrong and what is expected, ready to show to a user.
//!
//! ```
//! use yiwang_core::{Area, Money, Timestamp, WorkingCalendar, WorkingHours};
//!
//! let start = Money::parse_wan_yuan("232630")?;
//! assert_eq!(start.format_grouped(), "2,326,300,000.00");
//!
//! let unit_price = Money::parse_yuan("18470")?;
//! let area = Area::parse("125949.79")?;
//! let total = Money::unit_total(unit_price, area).expect("fits");
//! assert_eq!(total.to_yuan_string(), "2326292621.30");
//!
//! let opened = Timestamp::parse_rfc3339("2026-09-30T16:00:00+08:00")?;
//! let calendar = WorkingCalendar::shipped();
//! let due = calendar.add_working_hours(opened, 9, WorkingHours::default());
//! assert_eq!(due.format_cn(), "2026年10月09日 10:00:00");
//!
//! assert_eq!(
//!     Money::parse_yuan("1,000").unwrap_err().to_string(),
//!     "金额不能含千分位逗号：请直接填写以元为单位的数字，例如 18470.50"
//! );
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod decimal;

pub mod area;
pub mod calendar;
pub mod credit_code;
pub mod money;
pub mod ratio;
pub mod resident_id;
pub mod role;
pub mod time;

pub use crate::area::{Area, AreaError};
pub use crate::calendar::{CalendarError, WorkingCalendar, WorkingHours};
pub use crate::credit_code::{CreditCode, CreditCodeError};
pub use crate::money::{Money, MoneyError, MoneyUnit};
pub use crate::ratio::{Ratio, RatioError};
pub use crate::resident_id::{ResidentId, ResidentIdError};
pub use crate::role::Role;
pub use crate::time::{Clock, ManualClock, SystemClock, TimeError, Timestamp};
