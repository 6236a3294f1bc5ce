//! The storage test suite every backend runs unchanged.
//!
//! Each public `async fn` here takes a fresh, migrated, empty store and
//! asserts one part of the contract of [`AccountStore`](crate::AccountStore),
//! [`AuditStore`](crate::AuditStore), [`ExchangeStore`](crate::ExchangeStore)
//! (in the `exchange` submodule, re-exported here),
//! [`GridStore`](crate::GridStore) (in the `grid` submodule),
//! [`CaseStore`](crate::CaseStore) (the `cases` submodule),
//! [`ResidentStore`](crate::ResidentStore) (the `residents` submodule) and [`Store`]. A backend
//! runs them all with one line in its `tests/suite.rs`:
//!
//! ```ignore
//! yiwang_store::store_tests!(yiwang_store_sqlite::testing::fresh());
//! ```
//!
//! [`store_tests!`](crate::store_tests) expands to one `#[tokio::test]` per
//! function, so a failure names the behaviour that broke. The argument is an
//! expression evaluated once per test that yields a future of
//! `(store, guard)`; the guard (a temporary directory, a throw-away
//! database) lives until the test ends. The backend crate needs `tokio`
//! (with `macros` and `rt-multi-thread`) among its dev-dependencies.
//!
//! The suite only uses the traits: whatever it checks, a caller can rely on
//! with either backend.
//!
//! [`concurrent_appends_from_several_nodes`] takes several stores on one
//! database rather than one; each backend calls it from a test of its own
//! with stores that share no connection pool, as two server processes
//! would. [`append_feed_crosses_stores`] does too, but only PostgreSQL
//! calls it: SQLite's change feed is heard within one process by design.

mod cases;
mod contracts;
mod duties;
mod exchange;
mod grid;
mod kpi;
mod lectures;
mod mediation;
mod problems;
mod requests;
mod residents;
mod subsidies;
mod visits;

pub use self::cases::*;
pub use self::contracts::*;
pub use self::duties::*;
pub use self::exchange::*;
pub use self::grid::*;
pub use self::kpi::*;
pub use self::lectures::*;
pub use self::mediation::*;
pub use self::problems::*;
pub use self::requests::*;
pub use self::residents::*;
pub use self::subsidies::*;
pub use self::visits::*;

use std::collections::BTreeSet;
use std::sync::Arc;

use serde_json::{json, Value};
use uuid::Uuid;
use yiwang_core::Role;

use crate::audit::{ChainVerifier, GENESIS_HASH};
use crate::{
    AuditCtx, AuditQuery, AuditRecord, LoginFailure, NewAudit, NewEnterprise, NewSession, NewUser,
    Page, Store, StoreError, UserQuery,
};

/// Expands to one `#[tokio::test]` per suite function, each calling
/// `$factory` for a fresh `(store, guard)`.
#[macro_export]
macro_rules! store_tests {
    ($factory:expr) => {
        $crate::store_tests!(@each $factory;
            migrate_is_idempotent_and_ping_answers,
            register_enterprise_stores_both_and_audits,
            register_enterprise_conflicts_roll_back,
            create_staff_stores_and_audits,
            create_staff_conflicts_on_username,
            create_staff_refuses_the_bidder_role,
            unknown_ids_find_nothing,
            count_users_counts_every_account,
            list_users_orders_newest_first_and_pages,
            list_users_filters,
            set_user_active_ends_sessions,
            change_password_ends_other_sessions,
            login_failed_counts_then_locks_and_restarts,
            login_failed_with_one_allowed_failure_locks_at_once,
            login_succeeded_clears_failures_and_opens_a_session,
            concurrent_login_failures_are_all_counted,
            session_expires_at_exactly_expires_at,
            touch_session_slides_expiry_but_cannot_revive,
            purge_sessions_deletes_only_expired,
            end_session_logs_out_once,
            missing_objects_are_not_found,
            audit_appends_linked_records,
            audit_query_filters_and_pages,
            audit_after_walks_in_order,
            failed_writes_leave_no_audit_record,
            audit_details_hold_no_secrets,
            chain_is_valid_after_every_kind_of_write,
            concurrent_audited_writes_have_no_gaps,
            concurrent_conflicting_writes_create_one,
            create_notice_stores_a_draft_and_audits,
            create_notice_conflicts_on_number,
            update_draft_notice_checks_version_and_status,
            publish_notice_creates_listings,
            publish_notice_is_all_or_nothing,
            supplements_and_termination_follow_publication,
            list_notices_filters_and_pages,
            list_listings_filters_and_pages,
            ineligible_list_is_in_force_half_open,
            list_ineligible_filters_and_pages,
            deposit_accounts_are_unique,
            bank_transactions_are_recorded_once,
            concurrent_bank_repeats_record_one,
            bank_transaction_outcomes_and_refunds,
            bank_transactions_filter_and_page,
            append_events_extends_the_log_and_the_listing,
            stale_appends_change_nothing,
            a_stale_listing_does_not_hold_back_the_batch,
            a_listing_may_appear_twice_in_a_batch,
            broken_chains_refuse_the_whole_batch,
            listings_of_enterprise_page,
            concurrent_appends_have_no_gaps,
            grouped_commits_keep_every_entry,
            a_large_batch_spans_many_listings,
            exchange_writes_keep_the_audit_chain,
            listing_secrets_are_kept_once_and_audited_without_the_opening,
            concurrent_secret_puts_keep_one,
            deposit_refunds_are_recorded_once_and_audited,
            concurrent_refund_records_keep_one,
            append_feed_announces_commits,
            idempotent_requests_keep_the_first_answer,
            racing_claims_claim_once,
            import_grids_stores_the_tree_and_audits,
            import_grids_refuses_bad_leadership_and_writes_nothing,
            grid_directory_searches_and_pages,
            grid_staff_rules_hold,
            grid_leaders_are_replaced_not_removed,
            boundary_filings_keep_every_version,
            concurrent_leader_assignments_keep_one_leader,
            create_case_numbers_per_prefix_and_audits,
            append_case_extends_the_log_and_the_summary,
            concurrent_case_appends_keep_one_order,
            list_cases_filters_for_work_lists,
            cases_due_lists_the_timer_work,
            open_cases_near_finds_candidates,
            import_places_stores_buildings_households_and_residents,
            import_places_is_all_or_nothing,
            buildings_are_found_by_address_key,
            residents_are_registered_edited_and_audited,
            resident_tags_are_set_replaced_and_removed,
            list_cases_keeps_to_a_scope_of_grids,
            import_cases_numbers_and_audits_once,
            case_counts_follow_the_kpi_definitions,
            monthly_rollup_sums_what_the_cases_sum,
            logins_of_staff_mark_their_days,
            grid_activity_shows_leaders_logins_and_reports,
            photos_are_kept_with_their_case,
            photos_held_for_their_reporter_pass_to_the_case,
            intake_records_are_listed_until_fixed,
            look_alikes_are_merged_or_dismissed,
            overdue_tags_leave_when_renewed_or_removed,
            duties_are_recorded_refused_and_audited,
            duties_are_counted_per_grid_day_and_subject,
            subsidies_are_claimed_once_a_year_and_decided_per_line,
            contracts_are_registered_listed_and_counted,
            requests_are_routed_answered_rated_and_audited,
            requests_are_listed_searched_and_counted,
            visits_are_planned_recorded_converted_and_audited,
            visits_are_listed_covered_and_counted,
            enterprise_staff_are_assigned_and_audited,
            mediations_move_through_their_states_and_are_audited,
            mediations_are_scoped_searched_and_counted,
            lectures_are_studied_completed_and_audited,
            lectures_are_counted_by_area_course_enterprise_and_month,
        );
    };
    (@each $factory:expr; $($name:ident),* $(,)?) => {
        $(
            #[::tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $name() {
                let (store, _guard) = $factory.await;
                $crate::testsuite::$name(::std::sync::Arc::new(store)).await;
            }
        )*
    };
}

/// 2026-01-01T00:00:00Z in µs: a plausible "now" for the tests.
const T0: i64 = 1_767_225_600_000_000;
const MINUTE: i64 = 60_000_000;

fn admin_ctx(at: i64) -> AuditCtx {
    AuditCtx {
        actor_id: Some(Uuid::now_v7()),
        actor_name: "admin".to_owned(),
        client_addr: Some("10.0.0.1".to_owned()),
        at,
    }
}

fn public_ctx(at: i64) -> AuditCtx {
    AuditCtx {
        actor_id: None,
        actor_name: "public".to_owned(),
        client_addr: Some("203.0.113.7".to_owned()),
        at,
    }
}

fn password_hash(tag: &str) -> String {
    format!("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ${tag}SECRETHASH")
}

fn new_user(username: &str, display_name: &str, role: Role) -> NewUser {
    NewUser {
        username: username.to_owned(),
        display_name: display_name.to_owned(),
        role,
        phone: Some("13800000000".to_owned()),
        password_hash: password_hash(username),
    }
}

fn new_enterprise(name: &str, credit_code: &str) -> NewEnterprise {
    NewEnterprise {
        name: name.to_owned(),
        credit_code: credit_code.to_owned(),
        legal_rep: "张三".to_owned(),
        contact_name: "李四".to_owned(),
        contact_phone: "0513-85000000".to_owned(),
    }
}

fn new_session(id_hash: &str, user_id: Uuid, expires_at: i64) -> NewSession {
    NewSession {
        id_hash: id_hash.to_owned(),
        user_id,
        expires_at,
        user_agent: Some("Mozilla/5.0 (test)".to_owned()),
    }
}

async fn staff(store: &dyn Store, username: &str, role: Role, at: i64) -> crate::User {
    store
        .create_staff(&admin_ctx(at), new_user(username, username, role))
        .await
        .unwrap_or_else(|e| panic!("create_staff {username}: {e}"))
}

async fn login(store: &dyn Store, user_id: Uuid, id_hash: &str, at: i64, expires_at: i64) {
    store
        .login_succeeded(&public_ctx(at), new_session(id_hash, user_id, expires_at))
        .await
        .unwrap_or_else(|e| panic!("login_succeeded {id_hash}: {e}"));
}

/// Every audit record, oldest first, read in small batches so that
/// `audit_after`'s paging is exercised too.
async fn all_audit(store: &dyn Store) -> Vec<AuditRecord> {
    let mut all = Vec::new();
    loop {
        let after = all.last().map_or(0, |r: &AuditRecord| r.seq);
        let batch = store.audit_after(after, 7).await.unwrap();
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

/// Walks the whole chain, asserting seq is 1..=N and every link holds;
/// returns the records.
async fn assert_chain(store: &dyn Store) -> Vec<AuditRecord> {
    let records = all_audit(store).await;
    let mut verifier = ChainVerifier::default();
    for record in &records {
        verifier
            .check(record)
            .unwrap_or_else(|broken| panic!("the audit chain is broken: {broken}"));
    }
    assert_eq!(verifier.checked(), records.len() as i64);
    let seqs: Vec<i64> = records.iter().map(|r| r.seq).collect();
    assert_eq!(seqs, (1..=records.len() as i64).collect::<Vec<_>>());
    records
}

async fn audit_total(store: &dyn Store) -> u64 {
    store
        .audit_query(&AuditQuery::default(), Page::number(1, 1))
        .await
        .unwrap()
        .total
}

fn detail(record: &AuditRecord) -> Value {
    serde_json::from_str(&record.detail).unwrap()
}

fn expect_conflict<T: std::fmt::Debug>(result: Result<T, StoreError>, field: &str) {
    match result {
        Err(StoreError::Conflict { field: got }) => assert_eq!(got, field),
        other => panic!("expected a conflict on {field}, got {other:?}"),
    }
}

fn expect_not_found<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::NotFound) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------
// The store itself

/// `migrate` can run again on a migrated database, the data stays, and
/// `ping` answers.
pub async fn migrate_is_idempotent_and_ping_answers(store: Arc<dyn Store>) {
    assert!(matches!(store.backend(), "sqlite" | "postgres"));
    staff(&*store, "keeper", Role::Admin, T0).await;
    store.migrate().await.unwrap();
    store.migrate().await.unwrap();
    store.ping().await.unwrap();
    assert_eq!(store.count_users().await.unwrap(), 1);
    assert!(store.credentials("keeper").await.unwrap().is_some());
}

// ---------------------------------------------------------------------------
// Accounts

/// Registration stores the enterprise and its bidder account together and
/// audits it once.
pub async fn register_enterprise_stores_both_and_audits(store: Arc<dyn Store>) {
    let ctx = public_ctx(T0);
    // The role asked for is ignored: an enterprise's account is a bidder.
    let (enterprise, user) = store
        .register_enterprise(
            &ctx,
            new_enterprise("南通某置业有限公司", "91320600MA1XXXXX0A"),
            new_user("nantong_realty", "南通某置业", Role::Admin),
        )
        .await
        .unwrap();
    assert_eq!(enterprise.name, "南通某置业有限公司");
    assert_eq!(enterprise.credit_code, "91320600MA1XXXXX0A");
    assert_eq!(enterprise.created_at, T0);
    assert_eq!(enterprise.id.get_version_num(), 7, "ids are UUIDv7");
    assert_eq!(user.role, Role::Bidder);
    assert_eq!(user.enterprise_id, Some(enterprise.id));
    assert!(user.active);
    assert_eq!(user.failed_logins, 0);
    assert_eq!(user.locked_until, None);
    assert_eq!(user.last_login_at, None);
    assert_eq!(user.created_at, T0);
    assert_eq!(user.phone.as_deref(), Some("13800000000"));
    assert_eq!(user.id.get_version_num(), 7);

    assert_eq!(
        store.enterprise(enterprise.id).await.unwrap(),
        Some(enterprise.clone())
    );
    assert_eq!(
        store
            .enterprise_by_credit_code("91320600MA1XXXXX0A")
            .await
            .unwrap(),
        Some(enterprise.clone())
    );
    assert_eq!(store.user(user.id).await.unwrap(), Some(user.clone()));
    let creds = store.credentials("nantong_realty").await.unwrap().unwrap();
    assert_eq!(creds.user, user);
    assert_eq!(creds.password_hash, password_hash("nantong_realty"));

    let records = assert_chain(&*store).await;
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.action, "account.register_enterprise");
    assert_eq!(r.object_kind, "enterprise");
    assert_eq!(r.object_id, enterprise.id.to_string());
    assert_eq!(r.at, T0);
    assert_eq!(r.actor_id, None);
    assert_eq!(r.actor_name, "public");
    assert_eq!(r.client_addr.as_deref(), Some("203.0.113.7"));
    let d = detail(r);
    assert_eq!(d["credit_code"], "91320600MA1XXXXX0A");
    assert_eq!(d["username"], "nantong_realty");
    assert_eq!(d["user_id"], user.id.to_string());
}

/// A taken credit code or username fails with a conflict naming it, and the
/// failed registration leaves nothing behind: no enterprise, no user, no
/// audit record.
pub async fn register_enterprise_conflicts_roll_back(store: Arc<dyn Store>) {
    let ctx = public_ctx(T0);
    store
        .register_enterprise(
            &ctx,
            new_enterprise("甲公司", "91320600000000001A"),
            new_user("jia", "甲", Role::Bidder),
        )
        .await
        .unwrap();
    staff(&*store, "officer", Role::ExchangeOfficer, T0).await;
    let audited = audit_total(&*store).await;

    expect_conflict(
        store
            .register_enterprise(
                &ctx,
                new_enterprise("甲公司二号", "91320600000000001A"),
                new_user("jia2", "甲二", Role::Bidder),
            )
            .await,
        "credit_code",
    );
    // The enterprise row goes in first; a username conflict must undo it.
    expect_conflict(
        store
            .register_enterprise(
                &ctx,
                new_enterprise("乙公司", "91320600000000002B"),
                new_user("jia", "乙", Role::Bidder),
            )
            .await,
        "username",
    );
    expect_conflict(
        store
            .register_enterprise(
                &ctx,
                new_enterprise("丙公司", "91320600000000003C"),
                new_user("officer", "丙", Role::Bidder),
            )
            .await,
        "username",
    );
    assert_eq!(store.count_users().await.unwrap(), 2);
    assert_eq!(audit_total(&*store).await, audited);
    assert!(store.credentials("jia2").await.unwrap().is_none());

    // Had 乙's enterprise row survived, its credit code would now conflict.
    let (yi, _) = store
        .register_enterprise(
            &ctx,
            new_enterprise("乙公司", "91320600000000002B"),
            new_user("yi", "乙", Role::Bidder),
        )
        .await
        .unwrap();
    assert_eq!(yi.credit_code, "91320600000000002B");
    assert_eq!(audit_total(&*store).await, audited + 1);
    assert_chain(&*store).await;
}

/// Staff accounts are stored with their role, unattached to an enterprise.
pub async fn create_staff_stores_and_audits(store: Arc<dyn Store>) {
    let ctx = admin_ctx(T0 + 5);
    let user = store
        .create_staff(&ctx, new_user("gridlead01", "王网格长", Role::GridLeader))
        .await
        .unwrap();
    assert_eq!(user.username, "gridlead01");
    assert_eq!(user.display_name, "王网格长");
    assert_eq!(user.role, Role::GridLeader);
    assert_eq!(user.enterprise_id, None);
    assert!(user.active);
    assert_eq!(user.created_at, T0 + 5);
    assert_eq!(store.user(user.id).await.unwrap(), Some(user.clone()));

    let records = assert_chain(&*store).await;
    assert_eq!(records.len(), 1);
    let r = &records[0];
    assert_eq!(r.action, "account.create_staff");
    assert_eq!(r.object_kind, "user");
    assert_eq!(r.object_id, user.id.to_string());
    assert_eq!(r.actor_id, ctx.actor_id);
    assert_eq!(r.actor_name, "admin");
    assert_eq!(detail(r)["role"], "grid_leader");
    assert_eq!(detail(r)["username"], "gridlead01");
}

/// Usernames are unique across staff and enterprise accounts.
pub async fn create_staff_conflicts_on_username(store: Arc<dyn Store>) {
    staff(&*store, "zhou", Role::Supervisor, T0).await;
    store
        .register_enterprise(
            &public_ctx(T0),
            new_enterprise("丁公司", "91320600000000004D"),
            new_user("ding", "丁", Role::Bidder),
        )
        .await
        .unwrap();
    let audited = audit_total(&*store).await;
    expect_conflict(
        store
            .create_staff(&admin_ctx(T0), new_user("zhou", "周二", Role::Admin))
            .await,
        "username",
    );
    expect_conflict(
        store
            .create_staff(&admin_ctx(T0), new_user("ding", "丁", Role::ServiceStaff))
            .await,
        "username",
    );
    assert_eq!(store.count_users().await.unwrap(), 2);
    assert_eq!(audit_total(&*store).await, audited);
    // The first account is untouched.
    let zhou = store.credentials("zhou").await.unwrap().unwrap();
    assert_eq!(zhou.user.role, Role::Supervisor);
}

/// Bidders register through their enterprise; `create_staff` refuses them.
pub async fn create_staff_refuses_the_bidder_role(store: Arc<dyn Store>) {
    let result = store
        .create_staff(&admin_ctx(T0), new_user("sneaky", "x", Role::Bidder))
        .await;
    assert!(result.is_err(), "a bidder was created as staff: {result:?}");
    assert!(!matches!(result, Err(StoreError::Conflict { .. })));
    assert_eq!(store.count_users().await.unwrap(), 0);
    assert_eq!(audit_total(&*store).await, 0);
}

/// Look-ups of things that do not exist return `None`, not errors.
pub async fn unknown_ids_find_nothing(store: Arc<dyn Store>) {
    staff(&*store, "someone", Role::Admin, T0).await;
    assert_eq!(store.user(Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(store.enterprise(Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(
        store
            .enterprise_by_credit_code("91320600000000000X")
            .await
            .unwrap(),
        None
    );
    assert!(store.credentials("nobody").await.unwrap().is_none());
    // Usernames match exactly.
    assert!(store.credentials("someone ").await.unwrap().is_none());
    assert!(store
        .session("no-such-session", T0)
        .await
        .unwrap()
        .is_none());
}

pub async fn count_users_counts_every_account(store: Arc<dyn Store>) {
    assert_eq!(store.count_users().await.unwrap(), 0);
    staff(&*store, "a", Role::Admin, T0).await;
    store
        .register_enterprise(
            &public_ctx(T0),
            new_enterprise("戊公司", "91320600000000005E"),
            new_user("wu", "戊", Role::Bidder),
        )
        .await
        .unwrap();
    let b = staff(&*store, "b", Role::DeptHandler, T0).await;
    store
        .set_user_active(&admin_ctx(T0), b.id, false)
        .await
        .unwrap();
    // Disabled accounts still count: they exist.
    assert_eq!(store.count_users().await.unwrap(), 3);
}

/// Users come newest first; pages split them without overlap and carry the
/// total.
pub async fn list_users_orders_newest_first_and_pages(store: Arc<dyn Store>) {
    let mut created = Vec::new();
    for i in 0..7 {
        created.push(
            staff(
                &*store,
                &format!("user{i}"),
                Role::GridWorker,
                T0 + i * MINUTE,
            )
            .await,
        );
    }
    let newest_first: Vec<Uuid> = created.iter().rev().map(|u| u.id).collect();

    let all = store
        .list_users(&UserQuery::default(), Page::number(1, 50))
        .await
        .unwrap();
    assert_eq!(all.total, 7);
    assert_eq!(
        all.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        newest_first
    );
    assert_eq!(all.items[0], created[6]);

    let mut paged = Vec::new();
    for number in 1..=3 {
        let page = store
            .list_users(&UserQuery::default(), Page::number(number, 3))
            .await
            .unwrap();
        assert_eq!(page.total, 7);
        assert_eq!(page.offset, (number - 1) * 3);
        assert_eq!(page.limit, 3);
        assert_eq!(page.items.len(), if number < 3 { 3 } else { 1 });
        paged.extend(page.items.iter().map(|u| u.id));
    }
    assert_eq!(paged, newest_first);

    let beyond = store
        .list_users(&UserQuery::default(), Page::number(9, 3))
        .await
        .unwrap();
    assert!(beyond.items.is_empty());
    assert_eq!(beyond.total, 7);

    let odd = store
        .list_users(
            &UserQuery::default(),
            Page {
                offset: 2,
                limit: 2,
            },
        )
        .await
        .unwrap();
    assert_eq!(
        odd.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        newest_first[2..4]
    );
}

/// Every filter of [`UserQuery`], alone and combined; `total` counts the
/// matches, not the page.
pub async fn list_users_filters(store: Arc<dyn Store>) {
    let zhang = store
        .create_staff(
            &admin_ctx(T0),
            new_user("zhang.san", "张三", Role::GridWorker),
        )
        .await
        .unwrap();
    let li = store
        .create_staff(
            &admin_ctx(T0 + 1),
            new_user("li_si", "李四", Role::GridWorker),
        )
        .await
        .unwrap();
    let wang = store
        .create_staff(
            &admin_ctx(T0 + 2),
            new_user("WANG5", "王五 100%", Role::Supervisor),
        )
        .await
        .unwrap();
    let (_, bidder) = store
        .register_enterprise(
            &public_ctx(T0 + 3),
            new_enterprise("张氏置业", "91320600000000006F"),
            new_user("zhangshi", "张氏置业", Role::Bidder),
        )
        .await
        .unwrap();
    store
        .set_user_active(&admin_ctx(T0 + 4), li.id, false)
        .await
        .unwrap();

    async fn ids(store: &dyn Store, query: UserQuery) -> (Vec<Uuid>, u64) {
        let page = store.list_users(&query, Page::number(1, 2)).await.unwrap();
        let ids = page.items.iter().map(|u| u.id).collect();
        (ids, page.total)
    }

    let role = |role| UserQuery {
        role: Some(role),
        ..UserQuery::default()
    };
    let search = |text: &str| UserQuery {
        search: Some(text.to_owned()),
        ..UserQuery::default()
    };

    assert_eq!(
        ids(&*store, role(Role::GridWorker)).await,
        (vec![li.id, zhang.id], 2)
    );
    assert_eq!(ids(&*store, role(Role::Bidder)).await, (vec![bidder.id], 1));
    assert_eq!(ids(&*store, role(Role::Admin)).await, (vec![], 0));

    let active = |active| UserQuery {
        active: Some(active),
        ..UserQuery::default()
    };
    assert_eq!(ids(&*store, active(false)).await, (vec![li.id], 1));
    // Page of 2, total of 3.
    assert_eq!(
        ids(&*store, active(true)).await,
        (vec![bidder.id, wang.id], 3)
    );

    // Username, case-insensitively.
    assert_eq!(
        ids(&*store, search("ZHANG")).await,
        (vec![bidder.id, zhang.id], 2)
    );
    assert_eq!(ids(&*store, search("wang")).await, (vec![wang.id], 1));
    // Display name.
    assert_eq!(ids(&*store, search("李")).await, (vec![li.id], 1));
    assert_eq!(
        ids(&*store, search("张")).await,
        (vec![bidder.id, zhang.id], 2)
    );
    // LIKE wildcards in the search text are literal characters.
    assert_eq!(ids(&*store, search("_")).await, (vec![li.id], 1));
    assert_eq!(ids(&*store, search("%")).await, (vec![wang.id], 1));
    assert_eq!(ids(&*store, search("g.s")).await, (vec![zhang.id], 1));
    assert_eq!(ids(&*store, search("nobody")).await, (vec![], 0));

    let combined = UserQuery {
        role: Some(Role::GridWorker),
        search: Some("i".to_owned()),
        active: Some(true),
    };
    // "zhang.san" has no "i"; "li_si" has, but is disabled.
    assert_eq!(ids(&*store, combined).await, (vec![], 0));
    let combined = UserQuery {
        role: Some(Role::GridWorker),
        search: Some("s".to_owned()),
        active: Some(true),
    };
    assert_eq!(ids(&*store, combined).await, (vec![zhang.id], 1));
}

/// Disabling an account ends every one of its sessions for good; other
/// users' sessions stay.
pub async fn set_user_active_ends_sessions(store: Arc<dyn Store>) {
    let user = staff(&*store, "worker", Role::GridWorker, T0).await;
    let other = staff(&*store, "other", Role::GridWorker, T0).await;
    let expires = T0 + 60 * MINUTE;
    login(&*store, user.id, "hash-a", T0 + 1, expires).await;
    login(&*store, user.id, "hash-b", T0 + 2, expires).await;
    login(&*store, other.id, "hash-c", T0 + 3, expires).await;
    assert!(store.session("hash-a", T0 + 10).await.unwrap().is_some());

    let ctx = admin_ctx(T0 + 10);
    store.set_user_active(&ctx, user.id, false).await.unwrap();
    let stored = store.user(user.id).await.unwrap().unwrap();
    assert!(!stored.active);
    assert!(store.session("hash-a", T0 + 11).await.unwrap().is_none());
    assert!(store.session("hash-b", T0 + 11).await.unwrap().is_none());
    assert!(store.session("hash-c", T0 + 11).await.unwrap().is_some());
    // The login page still finds the account, and sees it is disabled.
    let creds = store.credentials("worker").await.unwrap().unwrap();
    assert!(!creds.user.active);

    let records = assert_chain(&*store).await;
    let r = records.last().unwrap();
    assert_eq!(r.action, "account.set_active");
    assert_eq!(r.object_kind, "user");
    assert_eq!(r.object_id, user.id.to_string());
    assert_eq!(r.actor_id, ctx.actor_id);
    assert_eq!(detail(r)["active"], false);
    assert_eq!(detail(r)["sessions_ended"], 2);

    // Enabling again does not bring the old sessions back: they are gone.
    store
        .set_user_active(&admin_ctx(T0 + 20), user.id, true)
        .await
        .unwrap();
    assert!(store.user(user.id).await.unwrap().unwrap().active);
    assert!(store.session("hash-a", T0 + 21).await.unwrap().is_none());
    assert!(store.session("hash-b", T0 + 21).await.unwrap().is_none());
    let r = assert_chain(&*store).await.pop().unwrap();
    assert_eq!(detail(&r)["active"], true);
    assert_eq!(detail(&r)["sessions_ended"], 0);
    // And a new login works.
    login(&*store, user.id, "hash-d", T0 + 30, expires).await;
    let (session, u) = store.session("hash-d", T0 + 31).await.unwrap().unwrap();
    assert_eq!(session.user_id, user.id);
    assert!(u.active);
}

/// A password change replaces the hash and ends the user's other sessions,
/// keeping the one that made the change; with no session to keep, it ends
/// them all.
pub async fn change_password_ends_other_sessions(store: Arc<dyn Store>) {
    let user = staff(&*store, "officer", Role::ExchangeOfficer, T0).await;
    let other = staff(&*store, "bystander", Role::ExchangeOfficer, T0).await;
    let expires = T0 + 60 * MINUTE;
    for (hash, at) in [("s-keep", 1), ("s-two", 2), ("s-three", 3)] {
        login(&*store, user.id, hash, T0 + at, expires).await;
    }
    login(&*store, other.id, "s-other", T0 + 4, expires).await;

    let new_hash = password_hash("changed");
    store
        .change_password(&admin_ctx(T0 + 10), user.id, &new_hash, Some("s-keep"))
        .await
        .unwrap();
    let creds = store.credentials("officer").await.unwrap().unwrap();
    assert_eq!(creds.password_hash, new_hash);
    assert!(store.session("s-keep", T0 + 11).await.unwrap().is_some());
    assert!(store.session("s-two", T0 + 11).await.unwrap().is_none());
    assert!(store.session("s-three", T0 + 11).await.unwrap().is_none());
    assert!(store.session("s-other", T0 + 11).await.unwrap().is_some());
    let r = assert_chain(&*store).await.pop().unwrap();
    assert_eq!(r.action, "account.change_password");
    assert_eq!(r.object_id, user.id.to_string());
    assert_eq!(detail(&r)["sessions_ended"], 2);

    let newer_hash = password_hash("changed-again");
    store
        .change_password(&admin_ctx(T0 + 20), user.id, &newer_hash, None)
        .await
        .unwrap();
    assert_eq!(
        store
            .credentials("officer")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        newer_hash
    );
    assert!(store.session("s-keep", T0 + 21).await.unwrap().is_none());
    assert!(store.session("s-other", T0 + 21).await.unwrap().is_some());
    let r = assert_chain(&*store).await.pop().unwrap();
    assert_eq!(detail(&r)["sessions_ended"], 1);
    // The other account's password is untouched.
    assert_eq!(
        store
            .credentials("bystander")
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        password_hash("bystander")
    );
}

/// Failures count up; the one that reaches the maximum locks the account
/// until `at + lock_for_us` and restarts the count; later failures count
/// again from one without moving the lock.
pub async fn login_failed_counts_then_locks_and_restarts(store: Arc<dyn Store>) {
    let user = staff(&*store, "clumsy", Role::ServiceStaff, T0).await;
    let lock = 15 * MINUTE;

    let f1 = store
        .login_failed(&public_ctx(T0 + 1), user.id, 3, lock)
        .await
        .unwrap();
    assert_eq!(
        f1,
        LoginFailure {
            failed_logins: 1,
            locked_until: None
        }
    );
    let stored = store.user(user.id).await.unwrap().unwrap();
    assert_eq!((stored.failed_logins, stored.locked_until), (1, None));

    let f2 = store
        .login_failed(&public_ctx(T0 + 2), user.id, 3, lock)
        .await
        .unwrap();
    assert_eq!(
        f2,
        LoginFailure {
            failed_logins: 2,
            locked_until: None
        }
    );

    let f3 = store
        .login_failed(&public_ctx(T0 + 3), user.id, 3, lock)
        .await
        .unwrap();
    // The locking failure reports the count it reached.
    assert_eq!(
        f3,
        LoginFailure {
            failed_logins: 3,
            locked_until: Some(T0 + 3 + lock)
        }
    );
    let stored = store.user(user.id).await.unwrap().unwrap();
    assert_eq!(stored.failed_logins, 0, "the count restarts at the lock");
    assert_eq!(stored.locked_until, Some(T0 + 3 + lock));

    let f4 = store
        .login_failed(&public_ctx(T0 + 4), user.id, 3, lock)
        .await
        .unwrap();
    assert_eq!(
        f4,
        LoginFailure {
            failed_logins: 1,
            locked_until: None
        }
    );
    let stored = store.user(user.id).await.unwrap().unwrap();
    assert_eq!(stored.failed_logins, 1);
    assert_eq!(stored.locked_until, Some(T0 + 3 + lock), "the lock stands");

    let records = assert_chain(&*store).await;
    let failures: Vec<&AuditRecord> = records
        .iter()
        .filter(|r| r.action == "session.login_failed")
        .collect();
    assert_eq!(failures.len(), 4);
    let summary: Vec<(i64, bool)> = failures
        .iter()
        .map(|r| {
            assert_eq!(r.object_kind, "user");
            assert_eq!(r.object_id, user.id.to_string());
            let d = detail(r);
            (
                d["failed_logins"].as_i64().unwrap(),
                d["locked"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(summary, vec![(1, false), (2, false), (3, true), (1, false)]);
    assert_eq!(failures[2].at, T0 + 3);
    assert_eq!(
        detail(failures[2])["locked_until"].as_i64(),
        Some(T0 + 3 + lock)
    );
}

pub async fn login_failed_with_one_allowed_failure_locks_at_once(store: Arc<dyn Store>) {
    let user = staff(&*store, "strict", Role::Admin, T0).await;
    for i in 1..=2 {
        let f = store
            .login_failed(&public_ctx(T0 + i), user.id, 1, MINUTE)
            .await
            .unwrap();
        assert_eq!(
            f,
            LoginFailure {
                failed_logins: 1,
                locked_until: Some(T0 + i + MINUTE)
            }
        );
        let stored = store.user(user.id).await.unwrap().unwrap();
        assert_eq!(stored.locked_until, Some(T0 + i + MINUTE));
        assert_eq!(stored.failed_logins, 0);
    }
}

/// A successful login clears failures and the lock, stamps
/// `last_login_at`, opens the session, and is audited without the session
/// id.
pub async fn login_succeeded_clears_failures_and_opens_a_session(store: Arc<dyn Store>) {
    let user = staff(&*store, "returning", Role::Supervisor, T0).await;
    store
        .login_failed(&public_ctx(T0 + 1), user.id, 5, MINUTE)
        .await
        .unwrap();
    store
        .login_failed(&public_ctx(T0 + 2), user.id, 2, MINUTE)
        .await
        .unwrap();
    let locked = store.user(user.id).await.unwrap().unwrap();
    assert_eq!(locked.locked_until, Some(T0 + 2 + MINUTE));
    store
        .login_failed(&public_ctx(T0 + 3), user.id, 5, MINUTE)
        .await
        .unwrap();

    let at = T0 + 2 * MINUTE;
    let ctx = public_ctx(at);
    store
        .login_succeeded(&ctx, new_session("sess-hash-1", user.id, at + 30 * MINUTE))
        .await
        .unwrap();
    let stored = store.user(user.id).await.unwrap().unwrap();
    assert_eq!(stored.failed_logins, 0);
    assert_eq!(stored.locked_until, None);
    assert_eq!(stored.last_login_at, Some(at));

    let (session, session_user) = store.session("sess-hash-1", at + 1).await.unwrap().unwrap();
    assert_eq!(session.id_hash, "sess-hash-1");
    assert_eq!(session.user_id, user.id);
    assert_eq!(session.created_at, at);
    assert_eq!(session.last_seen_at, at);
    assert_eq!(session.expires_at, at + 30 * MINUTE);
    assert_eq!(session.client_addr.as_deref(), Some("203.0.113.7"));
    assert_eq!(session.user_agent.as_deref(), Some("Mozilla/5.0 (test)"));
    assert_eq!(session_user, stored);

    let r = assert_chain(&*store).await.pop().unwrap();
    assert_eq!(r.action, "session.login");
    assert_eq!(r.object_kind, "user");
    assert_eq!(r.object_id, user.id.to_string());
    assert_eq!(r.at, at);
    assert!(!r.detail.contains("sess-hash-1"));
}

/// Concurrent failures on one account are each counted exactly once: the
/// counts they report are all different, and the locks fall exactly every
/// `max_failures`.
pub async fn concurrent_login_failures_are_all_counted(store: Arc<dyn Store>) {
    let user = staff(&*store, "hammered", Role::Admin, T0).await;
    let results = run_concurrently(20, {
        let store = store.clone();
        move |i| {
            let store = store.clone();
            async move {
                store
                    .login_failed(&public_ctx(T0 + i as i64), user.id, 1000, MINUTE)
                    .await
                    .unwrap()
            }
        }
    })
    .await;
    let counts: BTreeSet<i32> = results.iter().map(|f| f.failed_logins).collect();
    assert_eq!(counts, (1..=20).collect::<BTreeSet<_>>());
    assert!(results.iter().all(|f| f.locked_until.is_none()));
    assert_eq!(
        store.user(user.id).await.unwrap().unwrap().failed_logins,
        20
    );

    let other = staff(&*store, "hammered2", Role::Admin, T0).await;
    let results = run_concurrently(20, {
        let store = store.clone();
        move |i| {
            let store = store.clone();
            async move {
                store
                    .login_failed(&public_ctx(T0 + i as i64), other.id, 5, MINUTE)
                    .await
                    .unwrap()
            }
        }
    })
    .await;
    let locks = results.iter().filter(|f| f.locked_until.is_some()).count();
    assert_eq!(locks, 4);
    let mut unlocked: Vec<i32> = results
        .iter()
        .filter(|f| f.locked_until.is_none())
        .map(|f| f.failed_logins)
        .collect();
    unlocked.sort();
    assert_eq!(unlocked, [1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4]);
    let stored = store.user(other.id).await.unwrap().unwrap();
    assert_eq!(stored.failed_logins, 0);
    assert!(stored.locked_until.is_some());
    assert_chain(&*store).await;
}

// ---------------------------------------------------------------------------
// Sessions

/// A session is live before `expires_at` and gone from `expires_at` on
/// (half-open).
pub async fn session_expires_at_exactly_expires_at(store: Arc<dyn Store>) {
    let user = staff(&*store, "timely", Role::GridWorker, T0).await;
    let expires = T0 + 30 * MINUTE;
    login(&*store, user.id, "exp-hash", T0, expires).await;
    assert!(store.session("exp-hash", T0).await.unwrap().is_some());
    assert!(store
        .session("exp-hash", expires - 1)
        .await
        .unwrap()
        .is_some());
    assert!(store.session("exp-hash", expires).await.unwrap().is_none());
    assert!(store
        .session("exp-hash", expires + 1)
        .await
        .unwrap()
        .is_none());
}

/// Touching moves `last_seen_at` and `expires_at`; a session already
/// expired stays expired, and touching an unknown session is harmless.
pub async fn touch_session_slides_expiry_but_cannot_revive(store: Arc<dyn Store>) {
    let user = staff(&*store, "active", Role::GridWorker, T0).await;
    login(&*store, user.id, "slide", T0, T0 + 100).await;
    let audited = audit_total(&*store).await;

    store
        .touch_session("slide", T0 + 50, T0 + 200)
        .await
        .unwrap();
    let (session, _) = store.session("slide", T0 + 150).await.unwrap().unwrap();
    assert_eq!(session.last_seen_at, T0 + 50);
    assert_eq!(session.expires_at, T0 + 200);
    assert_eq!(session.created_at, T0);
    assert!(store.session("slide", T0 + 200).await.unwrap().is_none());

    // At T0 + 200 it has expired: touching it then changes nothing.
    store
        .touch_session("slide", T0 + 200, T0 + 400)
        .await
        .unwrap();
    assert!(store.session("slide", T0 + 300).await.unwrap().is_none());
    assert!(store.session("slide", T0 + 199).await.unwrap().is_some());

    store
        .touch_session("never-issued", T0, T0 + 100)
        .await
        .unwrap();
    assert!(store
        .session("never-issued", T0 + 1)
        .await
        .unwrap()
        .is_none());
    // Bookkeeping, not audited.
    assert_eq!(audit_total(&*store).await, audited);
}

/// Purging deletes exactly the sessions expired at `now` and counts them.
pub async fn purge_sessions_deletes_only_expired(store: Arc<dyn Store>) {
    let user = staff(&*store, "sessions", Role::GridWorker, T0).await;
    login(&*store, user.id, "p-100", T0, T0 + 100).await;
    login(&*store, user.id, "p-200", T0, T0 + 200).await;
    login(&*store, user.id, "p-300", T0, T0 + 300).await;
    assert_eq!(store.purge_sessions(T0 + 99).await.unwrap(), 0);
    assert_eq!(store.purge_sessions(T0 + 200).await.unwrap(), 2);
    assert!(store.session("p-300", T0 + 250).await.unwrap().is_some());
    // The purged ones are really gone: touching cannot bring them back.
    store.touch_session("p-200", T0, T0 + 1000).await.unwrap();
    assert!(store.session("p-200", T0 + 1).await.unwrap().is_none());
    assert_eq!(store.purge_sessions(T0 + 200).await.unwrap(), 0);
    assert_eq!(store.purge_sessions(T0 + 1000).await.unwrap(), 1);
    assert!(store.session("p-300", T0 + 1).await.unwrap().is_none());
}

/// Logging out ends that session only, is audited once, and a second
/// logout of the same session is a harmless no-op.
pub async fn end_session_logs_out_once(store: Arc<dyn Store>) {
    let user = staff(&*store, "leaving", Role::DeptHandler, T0).await;
    login(&*store, user.id, "out-1", T0, T0 + 60 * MINUTE).await;
    login(&*store, user.id, "out-2", T0, T0 + 60 * MINUTE).await;
    let ctx = AuditCtx {
        actor_id: Some(user.id),
        actor_name: "leaving".to_owned(),
        client_addr: Some("198.51.100.2".to_owned()),
        at: T0 + MINUTE,
    };
    store.end_session(&ctx, "out-1").await.unwrap();
    assert!(store.session("out-1", T0 + MINUTE).await.unwrap().is_none());
    assert!(store.session("out-2", T0 + MINUTE).await.unwrap().is_some());

    let records = assert_chain(&*store).await;
    let r = records.last().unwrap();
    assert_eq!(r.action, "session.logout");
    assert_eq!(r.object_kind, "user");
    assert_eq!(r.object_id, user.id.to_string());
    assert_eq!(r.actor_id, Some(user.id));
    assert_eq!(r.client_addr.as_deref(), Some("198.51.100.2"));
    assert!(!r.detail.contains("out-1"));

    store.end_session(&ctx, "out-1").await.unwrap();
    store.end_session(&ctx, "never-issued").await.unwrap();
    assert_eq!(all_audit(&*store).await.len(), records.len());
}

/// Writes naming an account that does not exist fail with `NotFound`.
pub async fn missing_objects_are_not_found(store: Arc<dyn Store>) {
    let ghost = Uuid::now_v7();
    let ctx = admin_ctx(T0);
    expect_not_found(store.set_user_active(&ctx, ghost, false).await);
    expect_not_found(store.set_user_active(&ctx, ghost, true).await);
    expect_not_found(
        store
            .change_password(&ctx, ghost, &password_hash("x"), None)
            .await,
    );
    expect_not_found(store.login_failed(&ctx, ghost, 5, MINUTE).await);
    expect_not_found(
        store
            .login_succeeded(&ctx, new_session("ghost-session", ghost, T0 + MINUTE))
            .await,
    );
    assert!(store.session("ghost-session", T0).await.unwrap().is_none());
    assert_eq!(audit_total(&*store).await, 0);
}

// ---------------------------------------------------------------------------
// The audit log

/// `audit` appends a record linked to the one before, with the context's
/// who/when/where and the detail as JSON text.
pub async fn audit_appends_linked_records(store: Arc<dyn Store>) {
    let ctx = admin_ctx(T0 + 7);
    let detail_value = json!({"fields": ["phone", "id_number"], "reason": "核实身份"});
    let first = store
        .audit(
            &ctx,
            NewAudit::new("personal_data.view", "user", "u-1").with_detail(detail_value.clone()),
        )
        .await
        .unwrap();
    assert_eq!(first.seq, 1);
    assert_eq!(first.prev_hash, GENESIS_HASH);
    assert_eq!(first.hash, first.expected_hash());
    assert_eq!(first.hash.len(), 64);
    assert_eq!(first.at, T0 + 7);
    assert_eq!(first.actor_id, ctx.actor_id);
    assert_eq!(first.actor_name, "admin");
    assert_eq!(first.client_addr.as_deref(), Some("10.0.0.1"));
    assert_eq!(first.action, "personal_data.view");
    assert_eq!(first.object_kind, "user");
    assert_eq!(first.object_id, "u-1");
    assert_eq!(first.detail, serde_json::to_string(&detail_value).unwrap());

    let second = store
        .audit(
            &AuditCtx::system("cli", T0 + 8),
            NewAudit::new("export.run", "export", "e-1"),
        )
        .await
        .unwrap();
    assert_eq!(second.seq, 2);
    assert_eq!(second.prev_hash, first.hash);
    assert_eq!(second.detail, "null");
    assert_eq!(second.actor_id, None);
    assert_eq!(second.client_addr, None);
    assert_ne!(second.hash, first.hash);

    // What the store returned is what it keeps.
    assert_eq!(assert_chain(&*store).await, vec![first, second]);
}

/// Every filter of [`AuditQuery`], newest first, with totals and pages.
pub async fn audit_query_filters_and_pages(store: Arc<dyn Store>) {
    let entries = [
        // (at offset, actor, action, kind, id)
        (0, "Alice Admin", "account.create_staff", "user", "u1"),
        (10, "bob", "account.set_active", "user", "u1"),
        (20, "system", "accounting.close", "ledger", "l1"),
        (30, "alice", "account", "user", "u2"),
        (40, "bob", "notice.publish", "notice", "n1"),
        (50, "bob_50%", "account.set_active", "user", "u2"),
    ];
    for (at, actor, action, kind, id) in entries {
        let ctx = AuditCtx {
            actor_id: None,
            actor_name: actor.to_owned(),
            client_addr: None,
            at: T0 + at,
        };
        store
            .audit(&ctx, NewAudit::new(action, kind, id))
            .await
            .unwrap();
    }

    async fn seqs(store: &dyn Store, query: AuditQuery, page: Page) -> (Vec<i64>, u64) {
        let found = store.audit_query(&query, page).await.unwrap();
        assert_eq!((found.offset, found.limit), (page.offset, page.limit));
        (found.items.iter().map(|r| r.seq).collect(), found.total)
    }
    let all = Page::number(1, 100);
    let q = AuditQuery::default;

    assert_eq!(seqs(&*store, q(), all).await, (vec![6, 5, 4, 3, 2, 1], 6));
    assert_eq!(
        seqs(&*store, q(), Page::number(2, 4)).await,
        (vec![2, 1], 6)
    );
    assert_eq!(
        seqs(
            &*store,
            q(),
            Page {
                offset: 1,
                limit: 2
            }
        )
        .await,
        (vec![5, 4], 6)
    );

    let actor = |a: &str| AuditQuery {
        actor: Some(a.to_owned()),
        ..q()
    };
    // Substring, ignoring case.
    assert_eq!(seqs(&*store, actor("alice"), all).await, (vec![4, 1], 2));
    assert_eq!(seqs(&*store, actor("ADMIN"), all).await, (vec![1], 1));
    assert_eq!(seqs(&*store, actor("ob"), all).await, (vec![6, 5, 2], 3));
    // Wildcards are literal.
    assert_eq!(seqs(&*store, actor("_"), all).await, (vec![6], 1));
    assert_eq!(seqs(&*store, actor("%"), all).await, (vec![6], 1));

    let action = |a: &str| AuditQuery {
        action: Some(a.to_owned()),
        ..q()
    };
    // A prefix: `account.` is every account action, but neither the bare
    // `account` nor `accounting.…`.
    assert_eq!(
        seqs(&*store, action("account."), all).await,
        (vec![6, 2, 1], 3)
    );
    assert_eq!(
        seqs(&*store, action("account"), all).await,
        (vec![6, 4, 3, 2, 1], 5)
    );
    assert_eq!(
        seqs(&*store, action("account.set_active"), all).await,
        (vec![6, 2], 2)
    );
    // Case matters in action codes, and wildcards mean nothing.
    assert_eq!(seqs(&*store, action("Account."), all).await, (vec![], 0));
    assert_eq!(seqs(&*store, action("acc%"), all).await, (vec![], 0));
    assert_eq!(seqs(&*store, action("notice"), all).await, (vec![5], 1));

    let object = AuditQuery {
        object_kind: Some("user".to_owned()),
        ..q()
    };
    assert_eq!(seqs(&*store, object, all).await, (vec![6, 4, 2, 1], 4));
    let object = AuditQuery {
        object_kind: Some("user".to_owned()),
        object_id: Some("u1".to_owned()),
        ..q()
    };
    assert_eq!(seqs(&*store, object, all).await, (vec![2, 1], 2));
    let object = AuditQuery {
        object_id: Some("u2".to_owned()),
        ..q()
    };
    assert_eq!(seqs(&*store, object, all).await, (vec![6, 4], 2));

    // [from, to) is half-open.
    let window = AuditQuery {
        from: Some(T0 + 10),
        to: Some(T0 + 30),
        ..q()
    };
    assert_eq!(seqs(&*store, window, all).await, (vec![3, 2], 2));
    let since = AuditQuery {
        from: Some(T0 + 40),
        ..q()
    };
    assert_eq!(seqs(&*store, since, all).await, (vec![6, 5], 2));
    let until = AuditQuery {
        to: Some(T0 + 10),
        ..q()
    };
    assert_eq!(seqs(&*store, until, all).await, (vec![1], 1));

    let everything = AuditQuery {
        actor: Some("bob".to_owned()),
        action: Some("account.".to_owned()),
        object_kind: Some("user".to_owned()),
        object_id: Some("u2".to_owned()),
        from: Some(T0 + 50),
        to: Some(T0 + 51),
    };
    assert_eq!(seqs(&*store, everything.clone(), all).await, (vec![6], 1));
    let none = AuditQuery {
        to: Some(T0 + 50),
        ..everything
    };
    assert_eq!(seqs(&*store, none, all).await, (vec![], 0));

    // Pages of a filtered query: the total counts every match.
    assert_eq!(
        seqs(&*store, action("account"), Page::number(2, 2)).await,
        (vec![3, 2], 5)
    );
}

/// `audit_after` returns records after a sequence number, oldest first, at
/// most `limit` of them.
pub async fn audit_after_walks_in_order(store: Arc<dyn Store>) {
    for i in 0..5 {
        store
            .audit(
                &AuditCtx::system("test", T0 + i),
                NewAudit::new("test.step", "step", i),
            )
            .await
            .unwrap();
    }
    let seqs = |records: Vec<AuditRecord>| records.iter().map(|r| r.seq).collect::<Vec<_>>();
    assert_eq!(
        seqs(store.audit_after(0, 100).await.unwrap()),
        [1, 2, 3, 4, 5]
    );
    assert_eq!(seqs(store.audit_after(0, 2).await.unwrap()), [1, 2]);
    assert_eq!(seqs(store.audit_after(2, 2).await.unwrap()), [3, 4]);
    assert_eq!(seqs(store.audit_after(4, 2).await.unwrap()), [5]);
    assert!(store.audit_after(5, 2).await.unwrap().is_empty());
    assert!(store.audit_after(0, 0).await.unwrap().is_empty());
    let third = &store.audit_after(2, 1).await.unwrap()[0];
    assert_eq!(third.object_id, "2");
    assert_eq!(third.at, T0 + 2);
}

/// A write that fails (conflict, missing object, refused role) rolls back
/// its audit record with it: the chain has no record of it and no gap.
pub async fn failed_writes_leave_no_audit_record(store: Arc<dyn Store>) {
    let ctx = admin_ctx(T0);
    let (_, bidder) = store
        .register_enterprise(
            &public_ctx(T0),
            new_enterprise("己公司", "91320600000000007G"),
            new_user("ji", "己", Role::Bidder),
        )
        .await
        .unwrap();
    let staffer = staff(&*store, "geng", Role::Admin, T0).await;
    login(&*store, staffer.id, "dup-session", T0, T0 + MINUTE).await;
    let before = assert_chain(&*store).await;

    expect_conflict(
        store
            .register_enterprise(
                &public_ctx(T0),
                new_enterprise("己公司", "91320600000000007G"),
                new_user("ji-2", "己", Role::Bidder),
            )
            .await,
        "credit_code",
    );
    expect_conflict(
        store
            .register_enterprise(
                &public_ctx(T0),
                new_enterprise("庚公司", "91320600000000008H"),
                new_user("geng", "庚", Role::Bidder),
            )
            .await,
        "username",
    );
    expect_conflict(
        store
            .create_staff(&ctx, new_user("ji", "己", Role::Admin))
            .await,
        "username",
    );
    assert!(store
        .create_staff(&ctx, new_user("bidder-as-staff", "x", Role::Bidder))
        .await
        .is_err());
    // A session id that is already in use is refused, and the failed login
    // leaves the account as it was.
    expect_conflict(
        store
            .login_succeeded(
                &public_ctx(T0 + 5),
                new_session("dup-session", bidder.id, T0 + MINUTE),
            )
            .await,
        "session",
    );
    assert_eq!(
        store.user(bidder.id).await.unwrap().unwrap().last_login_at,
        None
    );
    let (session, _) = store.session("dup-session", T0 + 1).await.unwrap().unwrap();
    assert_eq!(session.user_id, staffer.id);
    let ghost = Uuid::now_v7();
    assert!(store.set_user_active(&ctx, ghost, false).await.is_err());
    assert!(store.change_password(&ctx, ghost, "h", None).await.is_err());
    assert!(store.login_failed(&ctx, ghost, 3, MINUTE).await.is_err());
    store.end_session(&ctx, "no-such-session").await.unwrap();

    assert_eq!(assert_chain(&*store).await, before);
    // The next write continues the chain right after the last good record.
    let next = store
        .audit(&ctx, NewAudit::new("test.after_failures", "thing", "1"))
        .await
        .unwrap();
    assert_eq!(next.seq, before.len() as i64 + 1);
    assert_eq!(next.prev_hash, before.last().unwrap().hash);
}

/// Password hashes and session ids never reach the audit log, whichever
/// action is recorded.
pub async fn audit_details_hold_no_secrets(store: Arc<dyn Store>) {
    let (_, bidder) = store
        .register_enterprise(
            &public_ctx(T0),
            new_enterprise("辛公司", "91320600000000009J"),
            new_user("xin", "辛", Role::Bidder),
        )
        .await
        .unwrap();
    let officer = staff(&*store, "ren", Role::ExchangeOfficer, T0).await;
    login(&*store, bidder.id, "secret-session-a", T0, T0 + MINUTE).await;
    login(&*store, bidder.id, "secret-session-b", T0, T0 + MINUTE).await;
    store
        .login_failed(&public_ctx(T0), officer.id, 1, MINUTE)
        .await
        .unwrap();
    let new_hash = password_hash("rotated");
    store
        .change_password(
            &public_ctx(T0 + 1),
            bidder.id,
            &new_hash,
            Some("secret-session-a"),
        )
        .await
        .unwrap();
    store
        .end_session(&public_ctx(T0 + 2), "secret-session-a")
        .await
        .unwrap();
    store
        .set_user_active(&admin_ctx(T0 + 3), officer.id, false)
        .await
        .unwrap();

    let records = assert_chain(&*store).await;
    let actions: BTreeSet<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        BTreeSet::from([
            "account.register_enterprise",
            "account.create_staff",
            "session.login",
            "session.login_failed",
            "account.change_password",
            "session.logout",
            "account.set_active",
        ])
    );
    let secrets = [
        password_hash("xin"),
        password_hash("ren"),
        new_hash,
        "SECRETHASH".to_owned(),
        "$argon2".to_owned(),
        "secret-session".to_owned(),
    ];
    for record in &records {
        let text = serde_json::to_string(record).unwrap();
        for secret in &secrets {
            assert!(
                !text.contains(secret.as_str()),
                "record {} ({}) contains {secret}",
                record.seq,
                record.action
            );
        }
    }
}

/// After a mix of every audited write, `ChainVerifier` accepts the whole
/// chain, and every stored hash is what the fields hash to.
pub async fn chain_is_valid_after_every_kind_of_write(store: Arc<dyn Store>) {
    let (_, bidder) = store
        .register_enterprise(
            &public_ctx(T0),
            new_enterprise("壬公司", "91320600000000010K"),
            new_user("renco", "壬", Role::Bidder),
        )
        .await
        .unwrap();
    let staffer = staff(&*store, "gui", Role::Supervisor, T0 + 1).await;
    store
        .login_failed(&public_ctx(T0 + 2), staffer.id, 2, MINUTE)
        .await
        .unwrap();
    login(&*store, staffer.id, "chain-s", T0 + 3, T0 + MINUTE).await;
    store
        .change_password(&admin_ctx(T0 + 4), staffer.id, "new", Some("chain-s"))
        .await
        .unwrap();
    store
        .end_session(&public_ctx(T0 + 5), "chain-s")
        .await
        .unwrap();
    store
        .set_user_active(&admin_ctx(T0 + 6), bidder.id, false)
        .await
        .unwrap();
    store
        .audit(
            &admin_ctx(T0 + 7),
            NewAudit::new("personal_data.view", "user", bidder.id)
                .with_detail(json!({"引用": "\"quoted\" \\ 中文"})),
        )
        .await
        .unwrap();

    let records = assert_chain(&*store).await;
    assert_eq!(records.len(), 8);
    for window in records.windows(2) {
        assert_eq!(window[1].prev_hash, window[0].hash);
    }
    let hashes: BTreeSet<&str> = records.iter().map(|r| r.hash.as_str()).collect();
    assert_eq!(hashes.len(), records.len());
    // `audit_query` returns the same records as `audit_after`.
    let newest_first = store
        .audit_query(&AuditQuery::default(), Page::number(1, 100))
        .await
        .unwrap();
    let mut oldest_first = newest_first.items;
    oldest_first.reverse();
    assert_eq!(oldest_first, records);
}

/// Twenty tasks writing at once, through every kind of audited write,
/// produce records 1..=N with no gap and a valid chain.
pub async fn concurrent_audited_writes_have_no_gaps(store: Arc<dyn Store>) {
    let target = staff(&*store, "target", Role::Admin, T0).await;
    let results = run_concurrently(20, {
        let store = store.clone();
        move |i| {
            let store = store.clone();
            async move {
                let ctx = admin_ctx(T0 + 1 + i as i64);
                match i % 5 {
                    0 => {
                        store
                            .create_staff(&ctx, new_user(&format!("c{i}"), "c", Role::GridWorker))
                            .await
                            .unwrap();
                        "account.create_staff"
                    }
                    1 => {
                        store
                            .register_enterprise(
                                &ctx,
                                new_enterprise("并发公司", &format!("9132060000000{i:04}X")),
                                new_user(&format!("e{i}"), "e", Role::Bidder),
                            )
                            .await
                            .unwrap();
                        "account.register_enterprise"
                    }
                    2 => {
                        store
                            .login_failed(&ctx, target.id, 1000, MINUTE)
                            .await
                            .unwrap();
                        "session.login_failed"
                    }
                    3 => {
                        store
                            .login_succeeded(
                                &ctx,
                                new_session(&format!("conc-{i}"), target.id, T0 + MINUTE),
                            )
                            .await
                            .unwrap();
                        "session.login"
                    }
                    _ => {
                        let record = store
                            .audit(&ctx, NewAudit::new("test.concurrent", "task", i))
                            .await
                            .unwrap();
                        assert_eq!(record.hash, record.expected_hash());
                        "test.concurrent"
                    }
                }
            }
        }
    })
    .await;
    let records = assert_chain(&*store).await;
    assert_eq!(records.len(), 21);
    let mut expected: Vec<&str> = results;
    expected.push("account.create_staff");
    expected.sort();
    let mut actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    actions.sort();
    assert_eq!(actions, expected);
    assert_eq!(store.count_users().await.unwrap(), 1 + 4 + 4);
    for i in (0..20).filter(|i| i % 5 == 3) {
        let id_hash = format!("conc-{i}");
        let (session, _) = store.session(&id_hash, T0 + 30).await.unwrap().unwrap();
        assert_eq!(session.user_id, target.id);
    }
    // Each failure either came after every login or was cleared by one.
    let failures = store.user(target.id).await.unwrap().unwrap().failed_logins;
    assert!((0..=4).contains(&failures), "{failures} failures counted");
}

/// Racing to take one username: exactly one wins, the rest get a conflict,
/// and only the winner is audited.
pub async fn concurrent_conflicting_writes_create_one(store: Arc<dyn Store>) {
    let results = run_concurrently(10, {
        let store = store.clone();
        move |i| {
            let store = store.clone();
            async move {
                store
                    .create_staff(
                        &admin_ctx(T0 + i as i64),
                        new_user("popular", &format!("racer {i}"), Role::GridWorker),
                    )
                    .await
            }
        }
    })
    .await;
    let winners = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(winners, 1);
    for result in results.into_iter().filter(|r| r.is_err()) {
        expect_conflict(result, "username");
    }
    assert_eq!(store.count_users().await.unwrap(), 1);
    let records = assert_chain(&*store).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].action, "account.create_staff");
}

/// Runs `n` copies of a task on the runtime's worker threads at once and
/// collects their results in task order.
async fn run_concurrently<F, Fut, T>(n: usize, task: F) -> Vec<T>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = T> + Send + 'static,
    T: Send + 'static,
{
    let barrier = Arc::new(tokio::sync::Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let barrier = barrier.clone();
            let fut = task(i);
            tokio::spawn(async move {
                // Start together, so the writes really overlap.
                barrier.wait().await;
                fut.await
            })
        })
        .collect();
    let mut results = Vec::with_capacity(n);
    for handle in handles {
        results.push(handle.await.expect("a concurrent task panicked"));
    }
    results
}
