//! Enterprise and worker services: the third and fourth systems of Yiwang.
//!
//! The bureau of industry and information technology (工信局) serves
//! enterprises through 政企通 (requests routed to the departments that
//! answer them) and 工信E通 (the service card and the lecture hall), and
//! visits them (千企询访). The trade unions and the human-resources bureau
//! serve workers: apprenticeship subsidies (新型学徒制), collective contracts
//! (集体合同, 工资专项集体协商) and online labour mediation (不见面维权).
//!
//! | module | service |
//! |---|---|
//! | [`subsidies`] | apprenticeship subsidies: levels, amounts by year, eligibility, review decisions |
//! | [`contracts`] | collective contracts: levels and kinds, terms, renewal, coverage counted once |
//! | [`requests`] | enterprise requests: kinds, routing to departments, time limits, indicators |
//! | [`visits`] | enterprise visits (千企询访): plans, records, findings turned into requests, the correction window, years |
//! | [`mediation`] | online labour mediation: kinds of dispute, the workflow from application to outcome, the fifteen-day limit |
//! | [`lectures`] | the lecture hall (工信E通 大讲堂): areas, lesson links, trainees' phones, hours, certificate numbers |
//!
//! Like the other domain crates this one knows nothing of HTTP or SQL:
//! each module holds a service's types, its validation and its rules, and
//! is tested on its own. Enterprise requests and mediation are worked as
//! cases but have their own small state machines (see each module for why
//! the grid's workflow of [`yiwang_cases`] does not fit them).

pub mod contracts;
pub mod lectures;
pub mod mediation;
pub mod requests;
pub mod subsidies;
pub mod visits;
