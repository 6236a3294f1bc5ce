//! Enterprise and worker services on the web (the `yiwang_services` crate's
//! pages).
//!
//! | module | what |
//! |---|---|
//! | [`requests`] | enterprise requests (政企通 诉求): submit, route to departments, answer, rate; the matching board, the escalation list, the departments' indicators |

pub mod requests;

use crate::auth::access::Routes;

/// The services' routes.
pub fn routes(r: Routes) -> Routes {
    requests::routes(r)
}
