//! Who sees which cases.
//!
//! | account | sees |
//! |---|---|
//! | 网格长, 网格员 | cases in the grids they are assigned to (`grid_assignments`, as leader or worker), and the cases they reported themselves |
//! | 职能部门经办人 | cases with the department [`EventsConfig::handler_departments`](super::EventsConfig) names for their username |
//! | 指挥中心督办员 | every case |
//!
//! Work lists apply the scope as a filter ([`Scope::restrict`]); the case
//! page, its actions and its photos refuse a case outside it with 403
//! ([`Scope::allows`]). A grid worker or leader reports only into their own
//! grids, so that what they report stays in their sight.

use yiwang_core::Role;
use yiwang_store::cases::{CaseQuery, CaseRow};
use yiwang_store::User;

use crate::error::AppError;
use crate::AppState;

/// The cases an account may see.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    /// Every case (the command centre).
    All,
    /// The cases of these grids, and the viewer's own reports.
    Grids { codes: Vec<String>, user_id: String },
    /// The cases with this department (none when the handler's username
    /// names no department).
    Department(Option<String>),
    /// No case.
    Nothing,
}

impl Scope {
    /// The scope of an account.
    pub async fn of(app: &AppState, user: &User) -> Result<Scope, AppError> {
        Ok(match user.role {
            Role::Supervisor => Scope::All,
            Role::GridLeader | Role::GridWorker => Scope::Grids {
                codes: assigned_grids(app, user).await?,
                user_id: user.id.to_string(),
            },
            Role::DeptHandler => Scope::Department(
                app.config
                    .grid_events
                    .handler_departments
                    .get(&user.username)
                    .cloned(),
            ),
            _ => Scope::Nothing,
        })
    }

    /// Whether the scope holds `row`.
    pub fn allows(&self, row: &CaseRow) -> bool {
        match self {
            Scope::All => true,
            Scope::Grids { codes, user_id } => {
                codes.contains(&row.grid_code) || row.reporter_id.as_deref() == Some(user_id)
            }
            Scope::Department(d) => d.is_some() && row.department == *d,
            Scope::Nothing => false,
        }
    }

    /// `query` kept to the scope. A query on the viewer's own reports
    /// (`reporter_id` set to the viewer) needs nothing more for grid staff.
    pub fn restrict(&self, mut query: CaseQuery) -> CaseQuery {
        match self {
            Scope::All => {}
            Scope::Grids { codes, user_id } => {
                if query.reporter_id.as_deref() != Some(user_id) {
                    query.grid_codes = Some(codes.clone());
                }
            }
            Scope::Department(d) => match d {
                Some(d) => query.department = Some(d.clone()),
                None => query.grid_codes = Some(vec![]),
            },
            Scope::Nothing => query.grid_codes = Some(vec![]),
        }
        query
    }

    /// Refuses a case outside the scope.
    pub fn check(&self, row: &CaseRow) -> Result<(), AppError> {
        if self.allows(row) {
            Ok(())
        } else {
            Err(AppError::Forbidden)
        }
    }
}

/// The codes of the grids an account's member of staff works in, the one
/// they lead first; none when the account is not grid staff.
pub async fn assigned_grids(app: &AppState, user: &User) -> Result<Vec<String>, AppError> {
    let Some(staff) = app.store.staff_for_user(user.id).await? else {
        return Ok(vec![]);
    };
    Ok(app
        .store
        .staff_assignments(staff.id)
        .await?
        .into_iter()
        .map(|a| a.grid_code)
        .collect())
}
