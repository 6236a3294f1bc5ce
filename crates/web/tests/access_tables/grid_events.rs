//! Grid events: the report forms, the work lists and the case pages, and
//! Open311 GeoReport v2 (public; posting checks an API key in the handler).

use super::Who;
use yiwang_core::Role;

const EVENT_STAFF: &[Role] = &[
    Role::GridLeader,
    Role::GridWorker,
    Role::DeptHandler,
    Role::Supervisor,
];
const FIELD_STAFF: &[Role] = &[Role::GridLeader, Role::GridWorker];

pub const ROUTES: &[(&str, &str, Who)] = &[
    ("GET", "/grid/events", Who::Only(EVENT_STAFF)),
    ("GET", "/grid/events/new", Who::Only(FIELD_STAFF)),
    ("POST", "/grid/events/new", Who::Only(FIELD_STAFF)),
    ("GET", "/grid/events/{id}", Who::Only(EVENT_STAFF)),
    ("POST", "/grid/events/{id}/act", Who::Only(EVENT_STAFF)),
    ("GET", "/grid/photos/{id}", Who::Only(EVENT_STAFF)),
    ("GET", "/grid/report", Who::Anyone),
    ("POST", "/grid/report", Who::Anyone),
    ("GET", "/open311/v2/{file}", Who::Anyone),
    ("POST", "/open311/v2/{file}", Who::Anyone),
    ("GET", "/open311/v2/services/{file}", Who::Anyone),
    ("GET", "/open311/v2/requests/{file}", Who::Anyone),
];
