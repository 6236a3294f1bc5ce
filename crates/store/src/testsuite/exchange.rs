//! The exchange's part of the suite: notices and listings, the ineligible
//! list, deposits and bank transactions, and the per-listing event log.
//!
//! The event log's entries are chained here with a plain SHA-256 over the
//! previous hash and the entry's fields: the store never recomputes a hash,
//! so any chain the caller computes will do, and a simple one lets the
//! tests verify what they read back.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use serde_json::json;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::{
    admin_ctx, assert_chain, audit_total, detail, expect_conflict, expect_not_found, public_ctx,
    run_concurrently, MINUTE, T0,
};
use crate::audit::GENESIS_HASH;
use crate::exchange::NewDepositRefund;
use crate::exchange::{AppendFeed, AppendNotice, RequestClaim};
use crate::exchange::{
    AppendOutcome, BankTxn, BankTxnOutcome, BankTxnQuery, EventRow, IneligibleKind,
    IneligibleQuery, ListingAppend, ListingQuery, ListingRow, LogHead, NewDepositAccount,
    NewIneligible, NewListing, NewNotice, NewSupplement, NoticeEdit, NoticeQuery, NoticeRow,
    NoticeStatus, Participant, Recorded,
};
use crate::exchange::{NewListingSecret, SecretKind, SecretPut};
use crate::{AuditCtx, Page, Store, StoreError};

const DAY: i64 = 24 * 60 * MINUTE;

fn officer_ctx(at: i64) -> AuditCtx {
    AuditCtx {
        actor_id: Some(Uuid::now_v7()),
        actor_name: "officer".to_owned(),
        client_addr: Some("10.0.0.2".to_owned()),
        at,
    }
}

fn bank_ctx(at: i64) -> AuditCtx {
    AuditCtx::system("bank", at)
}

fn new_notice(number: &str, title: &str) -> NewNotice {
    NewNotice {
        number: number.to_owned(),
        title: title.to_owned(),
        body_json: json!({"number": number, "parcels": []}).to_string(),
    }
}

/// A listing over `[start, end)`; the application window closes a day
/// before it ends.
fn new_listing(
    code: &str,
    land_use: &str,
    district: &str,
    start_price_fen: i64,
    start: i64,
    end: i64,
) -> NewListing {
    NewListing {
        code: code.to_owned(),
        location: format!("{district}{code}地块"),
        land_use: land_use.to_owned(),
        district: district.to_owned(),
        start_price_fen,
        listing_start: start,
        listing_end: end,
        application_start: start - 10 * DAY,
        application_deadline: end - DAY,
        rules_json: json!({"code": code, "increment_fen": 10_000}).to_string(),
        summary_json: json!({"status": "announced", "bids": 0}).to_string(),
        status: "announced".to_owned(),
    }
}

/// Creates and publishes a notice with the given listings.
async fn publish(
    store: &dyn Store,
    number: &str,
    published_at: i64,
    listings: Vec<NewListing>,
) -> (NoticeRow, Vec<ListingRow>) {
    let draft = store
        .create_notice(&officer_ctx(published_at), new_notice(number, "出让公告"))
        .await
        .unwrap_or_else(|e| panic!("create_notice {number}: {e}"));
    store
        .publish_notice(
            &officer_ctx(published_at),
            draft.id,
            draft.version,
            published_at,
            listings,
        )
        .await
        .unwrap_or_else(|e| panic!("publish_notice {number}: {e}"))
}

/// One published listing with the given code.
async fn one_listing(store: &dyn Store, code: &str) -> ListingRow {
    let (_, mut listings) = publish(
        store,
        &format!("通自然资规告出网(2026)第{code}号"),
        T0,
        vec![new_listing(
            code,
            "居住",
            "崇川区",
            1_847_000,
            T0 + 20 * DAY,
            T0 + 30 * DAY,
        )],
    )
    .await;
    listings.remove(0)
}

/// The hash the tests chain entries with.
fn link_hash(prev_hash: &str, seq: i64, at: i64, kind: &str, payload: &str) -> String {
    let text = format!("{prev_hash}|{seq}|{at}|{kind}|{payload}");
    hex::encode(Sha256::digest(text.as_bytes()))
}

/// `payloads.len()` entries following `head`, chained.
fn entries_after(head: &LogHead, payloads: &[String]) -> Vec<EventRow> {
    let mut prev = head.hash.clone();
    payloads
        .iter()
        .enumerate()
        .map(|(i, payload)| {
            let seq = head.seq + 1 + i as i64;
            let at = T0 + seq;
            let kind = "bid_accepted".to_owned();
            let hash = link_hash(&prev, seq, at, &kind, payload);
            EventRow {
                seq,
                at,
                kind,
                payload: payload.clone(),
                prev_hash: std::mem::replace(&mut prev, hash.clone()),
                hash,
            }
        })
        .collect()
}

fn bids(from: i64, n: i64) -> Vec<String> {
    (from..from + n)
        .map(|i| json!({"bidder": i % 7, "price_fen": 1_847_000 + i * 10_000}).to_string())
        .collect()
}

fn head_of(entries: &[EventRow]) -> LogHead {
    entries.last().map_or_else(LogHead::empty, |last| LogHead {
        seq: last.seq,
        hash: last.hash.clone(),
    })
}

/// Every entry of a listing's log, read in pages of `page`.
async fn all_events(store: &dyn Store, listing_id: Uuid, page: u32) -> Vec<EventRow> {
    let mut all: Vec<EventRow> = Vec::new();
    loop {
        let after = all.last().map_or(0, |e| e.seq);
        let batch = store.events(listing_id, after, page).await.unwrap();
        if batch.is_empty() {
            return all;
        }
        all.extend(batch);
    }
}

/// Asserts the log is `1..=N` with every link and hash intact, and that the
/// head names its end; returns it.
async fn assert_log(store: &dyn Store, listing_id: Uuid) -> Vec<EventRow> {
    let events = all_events(store, listing_id, 500).await;
    let mut prev = GENESIS_HASH.to_owned();
    for (i, e) in events.iter().enumerate() {
        assert_eq!(e.seq, i as i64 + 1, "the log has a gap or a duplicate");
        assert_eq!(e.prev_hash, prev, "entry {} does not link", e.seq);
        assert_eq!(
            e.hash,
            link_hash(&e.prev_hash, e.seq, e.at, &e.kind, &e.payload),
            "entry {} was altered",
            e.seq
        );
        prev = e.hash.clone();
    }
    assert_eq!(
        store.head(listing_id).await.unwrap(),
        Some(head_of(&events)),
        "the head is not the log's end"
    );
    events
}

async fn append_one(store: &dyn Store, part: ListingAppend) -> AppendOutcome {
    let outcomes = store.append_events(vec![part]).await.unwrap();
    assert_eq!(outcomes.len(), 1);
    outcomes[0]
}

fn expect_corrupt<T: std::fmt::Debug>(result: Result<T, StoreError>) {
    match result {
        Err(StoreError::Corrupt(_)) => {}
        other => panic!("expected Corrupt, got {other:?}"),
    }
}

fn codes(rows: &[ListingRow]) -> Vec<&str> {
    rows.iter().map(|l| l.code.as_str()).collect()
}

// ---------------------------------------------------------------------------
// Notices and listings

/// A new notice is a draft at version 1, found by id and by number, and
/// its creation is audited.
pub async fn create_notice_stores_a_draft_and_audits(store: Arc<dyn Store>) {
    let ctx = officer_ctx(T0);
    let notice = store
        .create_notice(
            &ctx,
            new_notice(
                "通自然资规告出网(2020)第60号",
                "南通市市区国有建设用地使用权出让公告",
            ),
        )
        .await
        .unwrap();
    assert_eq!(notice.id.get_version_num(), 7);
    assert_eq!(notice.number, "通自然资规告出网(2020)第60号");
    assert_eq!(notice.title, "南通市市区国有建设用地使用权出让公告");
    assert_eq!(notice.status, NoticeStatus::Draft);
    assert_eq!(notice.version, 1);
    assert_eq!(notice.created_by, ctx.actor_id);
    assert_eq!((notice.created_at, notice.updated_at), (T0, T0));
    assert_eq!(notice.published_at, None);
    assert_eq!(notice.terminated_at, None);
    assert_eq!(notice.termination_reason, None);
    let body: serde_json::Value = serde_json::from_str(&notice.body_json).unwrap();
    assert_eq!(body["number"], "通自然资规告出网(2020)第60号");

    assert_eq!(store.notice(notice.id).await.unwrap(), Some(notice.clone()));
    assert_eq!(
        store
            .notice_by_number("通自然资规告出网(2020)第60号")
            .await
            .unwrap(),
        Some(notice.clone())
    );
    assert_eq!(store.notice(Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(store.notice_by_number("第60号").await.unwrap(), None);
    assert!(store.supplements(notice.id).await.unwrap().is_empty());

    let records = assert_chain(&*store).await;
    assert_eq!(records.len(), 1);
    assert_eq!(records[0].action, "notice.create");
    assert_eq!(records[0].object_kind, "notice");
    assert_eq!(records[0].object_id, notice.id.to_string());
    assert_eq!(
        detail(&records[0])["number"],
        "通自然资规告出网(2020)第60号"
    );
}

/// A number in use is a conflict, and the refused notice leaves nothing.
pub async fn create_notice_conflicts_on_number(store: Arc<dyn Store>) {
    let first = store
        .create_notice(&officer_ctx(T0), new_notice("第1号", "甲"))
        .await
        .unwrap();
    expect_conflict(
        store
            .create_notice(&officer_ctx(T0 + 1), new_notice("第1号", "乙"))
            .await,
        "number",
    );
    assert_eq!(store.notice_by_number("第1号").await.unwrap(), Some(first));
    let all = store
        .list_notices(&NoticeQuery::default(), Page::number(1, 10))
        .await
        .unwrap();
    assert_eq!(all.total, 1);
    assert_eq!(audit_total(&*store).await, 1);
}

/// Drafts change only against the version the officer saw, and only while
/// they are drafts.
pub async fn update_draft_notice_checks_version_and_status(store: Arc<dyn Store>) {
    let draft = store
        .create_notice(&officer_ctx(T0), new_notice("第2号", "初稿"))
        .await
        .unwrap();
    let edit = |title: &str, expected_version: i64| NoticeEdit {
        title: title.to_owned(),
        body_json: json!({"title": title}).to_string(),
        expected_version,
    };
    let edited = store
        .update_draft_notice(&officer_ctx(T0 + 5), draft.id, edit("二稿", 1))
        .await
        .unwrap();
    assert_eq!(edited.version, 2);
    assert_eq!(edited.title, "二稿");
    assert_eq!(edited.body_json, json!({"title": "二稿"}).to_string());
    assert_eq!(edited.updated_at, T0 + 5);
    assert_eq!(edited.created_at, T0);
    assert_eq!(store.notice(draft.id).await.unwrap(), Some(edited.clone()));

    // A second officer still holding version 1 is refused; nothing changes.
    expect_conflict(
        store
            .update_draft_notice(&officer_ctx(T0 + 6), draft.id, edit("另一稿", 1))
            .await,
        "version",
    );
    expect_conflict(
        store
            .update_draft_notice(&officer_ctx(T0 + 6), draft.id, edit("未来稿", 3))
            .await,
        "version",
    );
    assert_eq!(store.notice(draft.id).await.unwrap(), Some(edited.clone()));
    expect_not_found(
        store
            .update_draft_notice(&officer_ctx(T0 + 6), Uuid::now_v7(), edit("x", 1))
            .await,
    );

    // Publishing is also made against a version.
    expect_conflict(
        store
            .publish_notice(&officer_ctx(T0 + 7), draft.id, 1, T0 + 7, vec![])
            .await,
        "version",
    );
    let (published, _) = store
        .publish_notice(&officer_ctx(T0 + 7), draft.id, 2, T0 + 7, vec![])
        .await
        .unwrap();
    assert_eq!(published.version, 3);
    // A published notice is no longer editable, whatever version is named.
    for version in [2, 3] {
        expect_conflict(
            store
                .update_draft_notice(&officer_ctx(T0 + 8), draft.id, edit("改", version))
                .await,
            "status",
        );
    }
    assert_eq!(store.notice(draft.id).await.unwrap(), Some(published));

    let records = assert_chain(&*store).await;
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["notice.create", "notice.update", "notice.publish"]
    );
    assert_eq!(detail(&records[1])["version"], 2);
}

/// Publishing makes the notice public and creates one listing per parcel,
/// each with an empty log, in one audited step.
pub async fn publish_notice_creates_listings(store: Arc<dyn Store>) {
    let draft = store
        .create_notice(&officer_ctx(T0), new_notice("第60号", "出让公告"))
        .await
        .unwrap();
    let listings = vec![
        new_listing(
            "U20041",
            "公用设施",
            "崇川区",
            500_000,
            T0 + 20 * DAY,
            T0 + 30 * DAY,
        ),
        new_listing(
            "R20042",
            "居住",
            "通州区",
            1_847_000,
            T0 + 21 * DAY,
            T0 + 31 * DAY,
        ),
    ];
    let (notice, created) = store
        .publish_notice(
            &officer_ctx(T0 + MINUTE),
            draft.id,
            1,
            T0 + DAY,
            listings.clone(),
        )
        .await
        .unwrap();
    assert_eq!(notice.status, NoticeStatus::Published);
    assert_eq!(notice.published_at, Some(T0 + DAY));
    assert_eq!(notice.version, 2);
    assert_eq!(notice.updated_at, T0 + MINUTE);
    assert_eq!(store.notice(draft.id).await.unwrap(), Some(notice.clone()));

    assert_eq!(codes(&created), ["U20041", "R20042"]);
    for (row, new) in created.iter().zip(&listings) {
        assert_eq!(row.id.get_version_num(), 7);
        assert_eq!(row.notice_id, notice.id);
        assert_eq!(row.code, new.code);
        assert_eq!(row.location, new.location);
        assert_eq!(row.land_use, new.land_use);
        assert_eq!(row.district, new.district);
        assert_eq!(row.start_price_fen, new.start_price_fen);
        assert_eq!(row.listing_start, new.listing_start);
        assert_eq!(row.listing_end, new.listing_end);
        assert_eq!(row.application_start, new.application_start);
        assert_eq!(row.application_deadline, new.application_deadline);
        assert_eq!(row.rules_json, new.rules_json);
        assert_eq!(row.summary_json, new.summary_json);
        assert_eq!(row.status, "announced");
        assert_eq!(row.decided_at, None);
        assert_eq!(row.created_at, T0 + MINUTE);
        assert_eq!(store.listing(row.id).await.unwrap().as_ref(), Some(row));
        assert_eq!(
            store.listing_by_code(&row.code).await.unwrap().as_ref(),
            Some(row)
        );
        assert_eq!(store.head(row.id).await.unwrap(), Some(LogHead::empty()));
        assert!(store.events(row.id, 0, 10).await.unwrap().is_empty());
    }
    assert_eq!(store.listing(Uuid::now_v7()).await.unwrap(), None);
    assert_eq!(store.listing_by_code("r20042").await.unwrap(), None);
    assert_eq!(store.head(Uuid::now_v7()).await.unwrap(), None);

    let records = assert_chain(&*store).await;
    assert_eq!(records.len(), 2);
    let published = &records[1];
    assert_eq!(published.action, "notice.publish");
    assert_eq!(published.at, T0 + MINUTE);
    let d = detail(published);
    assert_eq!(d["published_at"], T0 + DAY);
    assert_eq!(d["listings"][1]["code"], "R20042");
    assert_eq!(d["listings"][1]["id"], created[1].id.to_string());
}

/// A listing code that is taken refuses the whole publication: the notice
/// stays a draft at its version, no listing of it exists, nothing is
/// audited. Publishing twice is refused.
pub async fn publish_notice_is_all_or_nothing(store: Arc<dyn Store>) {
    one_listing(&*store, "R20042").await;
    let draft = store
        .create_notice(&officer_ctx(T0), new_notice("第61号", "出让公告"))
        .await
        .unwrap();
    let audited = audit_total(&*store).await;
    let listing = |code: &str| new_listing(code, "居住", "崇川区", 1, T0, T0 + DAY);

    // The taken code comes second: the first listing must be undone.
    expect_conflict(
        store
            .publish_notice(
                &officer_ctx(T0 + 1),
                draft.id,
                1,
                T0 + 1,
                vec![listing("U20043"), listing("R20042")],
            )
            .await,
        "code",
    );
    // Two parcels of one notice with one code.
    expect_conflict(
        store
            .publish_notice(
                &officer_ctx(T0 + 1),
                draft.id,
                1,
                T0 + 1,
                vec![listing("U20043"), listing("U20043")],
            )
            .await,
        "code",
    );
    assert_eq!(store.notice(draft.id).await.unwrap(), Some(draft.clone()));
    assert_eq!(store.listing_by_code("U20043").await.unwrap(), None);
    let of_notice = ListingQuery {
        notice_id: Some(draft.id),
        ..ListingQuery::default()
    };
    assert_eq!(
        store
            .list_listings(&of_notice, Page::number(1, 10))
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(audit_total(&*store).await, audited);
    expect_not_found(
        store
            .publish_notice(&officer_ctx(T0), Uuid::now_v7(), 1, T0, vec![])
            .await,
    );

    let (_, created) = store
        .publish_notice(
            &officer_ctx(T0 + 2),
            draft.id,
            1,
            T0 + 2,
            vec![listing("U20043")],
        )
        .await
        .unwrap();
    assert_eq!(codes(&created), ["U20043"]);
    expect_conflict(
        store
            .publish_notice(
                &officer_ctx(T0 + 3),
                draft.id,
                2,
                T0 + 3,
                vec![listing("U20044")],
            )
            .await,
        "status",
    );
    assert_eq!(store.listing_by_code("U20044").await.unwrap(), None);
    assert_eq!(audit_total(&*store).await, audited + 1);
    assert_chain(&*store).await;
}

/// Supplements and termination apply to published notices only;
/// termination ends the listings that have no result yet.
pub async fn supplements_and_termination_follow_publication(store: Arc<dyn Store>) {
    let draft = store
        .create_notice(&officer_ctx(T0), new_notice("第62号", "出让公告"))
        .await
        .unwrap();
    let supplement = |number: &str, at: i64| NewSupplement {
        number: number.to_owned(),
        text: format!("{number}：挂牌截止时间调整。"),
        published_at: at,
    };
    expect_conflict(
        store
            .add_supplement(&officer_ctx(T0), draft.id, supplement("补充公告一", T0))
            .await,
        "status",
    );
    expect_conflict(
        store
            .terminate_notice(&officer_ctx(T0), draft.id, "撤回")
            .await,
        "status",
    );
    expect_not_found(
        store
            .add_supplement(&officer_ctx(T0), Uuid::now_v7(), supplement("x", T0))
            .await,
    );
    expect_not_found(
        store
            .terminate_notice(&officer_ctx(T0), Uuid::now_v7(), "x")
            .await,
    );

    let (notice, listings) = store
        .publish_notice(
            &officer_ctx(T0 + 1),
            draft.id,
            1,
            T0 + 1,
            vec![
                new_listing("R30001", "居住", "崇川区", 1, T0 + DAY, T0 + 2 * DAY),
                new_listing("R30002", "居住", "崇川区", 1, T0 + DAY, T0 + 2 * DAY),
            ],
        )
        .await
        .unwrap();
    let second = store
        .add_supplement(
            &officer_ctx(T0 + 3),
            notice.id,
            supplement("补充公告二", T0 + 30),
        )
        .await
        .unwrap();
    let first = store
        .add_supplement(
            &officer_ctx(T0 + 2),
            notice.id,
            supplement("补充公告一", T0 + 20),
        )
        .await
        .unwrap();
    assert_eq!(first.notice_id, notice.id);
    assert_eq!(first.number, "补充公告一");
    assert_eq!(first.text, "补充公告一：挂牌截止时间调整。");
    assert_eq!((first.published_at, first.created_at), (T0 + 20, T0 + 2));
    expect_conflict(
        store
            .add_supplement(
                &officer_ctx(T0 + 4),
                notice.id,
                supplement("补充公告一", T0 + 40),
            )
            .await,
        "supplement_number",
    );
    // In publication order.
    assert_eq!(
        store.supplements(notice.id).await.unwrap(),
        vec![first.clone(), second.clone()]
    );
    let amended = store.notice(notice.id).await.unwrap().unwrap();
    assert_eq!(amended.status, NoticeStatus::Published);
    assert_eq!(amended.version, notice.version + 2);

    // The first listing has a result; termination leaves it as it is.
    let decided = ListingAppend {
        summary_json: Some(json!({"status": "sold"}).to_string()),
        status: Some("sold".to_owned()),
        decided_at: Some(T0 + 2 * DAY),
        ..ListingAppend::entries(
            listings[0].id,
            0,
            entries_after(&LogHead::empty(), &bids(0, 1)),
        )
    };
    assert_eq!(
        append_one(&*store, decided).await,
        AppendOutcome::Appended { head_seq: 1 }
    );
    let terminated = store
        .terminate_notice(&officer_ctx(T0 + 5), notice.id, "规划条件调整")
        .await
        .unwrap();
    assert_eq!(terminated.status, NoticeStatus::Terminated);
    assert_eq!(terminated.terminated_at, Some(T0 + 5));
    assert_eq!(
        terminated.termination_reason.as_deref(),
        Some("规划条件调整")
    );
    assert_eq!(terminated.published_at, Some(T0 + 1));
    assert_eq!(store.notice(notice.id).await.unwrap(), Some(terminated));
    let sold = store.listing(listings[0].id).await.unwrap().unwrap();
    assert_eq!(sold.status, "sold");
    let ended = store.listing(listings[1].id).await.unwrap().unwrap();
    assert_eq!(ended.status, "terminated");
    assert_eq!(ended.decided_at, None);

    expect_conflict(
        store
            .add_supplement(
                &officer_ctx(T0 + 6),
                notice.id,
                supplement("补充公告三", T0 + 60),
            )
            .await,
        "status",
    );
    expect_conflict(
        store
            .terminate_notice(&officer_ctx(T0 + 6), notice.id, "再次终止")
            .await,
        "status",
    );
    assert_eq!(store.supplements(notice.id).await.unwrap().len(), 2);

    let records = assert_chain(&*store).await;
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "notice.create",
            "notice.publish",
            "notice.supplement",
            "notice.supplement",
            "notice.terminate",
        ]
    );
    let d = detail(&records[4]);
    assert_eq!(d["reason"], "规划条件调整");
    assert_eq!(d["listings_terminated"], 1);
}

/// Notices come newest first (by publication, drafts by creation) and
/// filter by status, text and publication window.
pub async fn list_notices_filters_and_pages(store: Arc<dyn Store>) {
    store
        .create_notice(
            &officer_ctx(T0),
            new_notice("通告(2026)第1号", "工业用地出让公告"),
        )
        .await
        .unwrap();
    publish(&*store, "通告(2026)第2号", T0 + DAY, vec![]).await;
    publish(&*store, "通告(2026)第3号", T0 + 3 * DAY, vec![]).await;
    let (second, _) = publish(&*store, "通告(2026)第4号", T0 + 2 * DAY, vec![]).await;
    store
        .terminate_notice(&officer_ctx(T0 + 4 * DAY), second.id, "终止")
        .await
        .unwrap();

    let numbers = |query: NoticeQuery, page: Page| {
        let store = store.clone();
        async move {
            let found = store.list_notices(&query, page).await.unwrap();
            let numbers: Vec<String> = found.items.iter().map(|n| n.number.clone()).collect();
            (numbers, found.total)
        }
    };
    let all = Page::number(1, 50);
    let q = NoticeQuery::default;
    assert_eq!(
        numbers(q(), all).await,
        (
            vec![
                "通告(2026)第3号".to_owned(),
                "通告(2026)第4号".to_owned(),
                "通告(2026)第2号".to_owned(),
                "通告(2026)第1号".to_owned(),
            ],
            4
        )
    );
    let status = |status| NoticeQuery {
        status: Some(status),
        ..q()
    };
    assert_eq!(
        numbers(status(NoticeStatus::Published), all).await.0,
        ["通告(2026)第3号", "通告(2026)第2号"]
    );
    assert_eq!(
        numbers(status(NoticeStatus::Terminated), all).await.0,
        ["通告(2026)第4号"]
    );
    assert_eq!(
        numbers(status(NoticeStatus::Draft), all).await.0,
        ["通告(2026)第1号"]
    );

    let search = |text: &str| NoticeQuery {
        search: Some(text.to_owned()),
        ..q()
    };
    assert_eq!(numbers(search("工业"), all).await.0, ["通告(2026)第1号"]);
    assert_eq!(numbers(search("第4号"), all).await.0, ["通告(2026)第4号"]);
    assert_eq!(numbers(search("出让公告"), all).await.1, 4);
    // Wildcards are text.
    assert_eq!(numbers(search("%"), all).await.1, 0);
    assert_eq!(numbers(search("第_号"), all).await.1, 0);

    // [from, to) on the publication time; drafts have none.
    let window = NoticeQuery {
        published_from: Some(T0 + DAY),
        published_to: Some(T0 + 3 * DAY),
        ..q()
    };
    assert_eq!(
        numbers(window, all).await.0,
        ["通告(2026)第4号", "通告(2026)第2号"]
    );
    let since = NoticeQuery {
        published_from: Some(T0 + 2 * DAY + 1),
        ..q()
    };
    assert_eq!(numbers(since, all).await.0, ["通告(2026)第3号"]);

    let (page, total) = numbers(q(), Page::number(2, 3)).await;
    assert_eq!((page, total), (vec!["通告(2026)第1号".to_owned()], 4));
    let (page, total) = numbers(q(), Page::number(3, 3)).await;
    assert_eq!((page.len(), total), (0, 4));
}

/// Listings come by listing start, latest first, and filter by every
/// field the public pages offer.
pub async fn list_listings_filters_and_pages(store: Arc<dyn Store>) {
    let (first, _) = publish(
        &*store,
        "第70号",
        T0,
        vec![
            new_listing(
                "R20042",
                "居住",
                "崇川区",
                1_847_000,
                T0 + 10 * DAY,
                T0 + 20 * DAY,
            ),
            new_listing(
                "U20041",
                "公用设施",
                "通州区",
                500_000,
                T0 + 12 * DAY,
                T0 + 22 * DAY,
            ),
            new_listing(
                "B21001",
                "商业,办公",
                "崇川区",
                3_000_000,
                T0 + 30 * DAY,
                T0 + 40 * DAY,
            ),
        ],
    )
    .await;
    let (second, _) = publish(
        &*store,
        "第71号",
        T0,
        vec![new_listing(
            "R21002",
            "居住,商业",
            "海门区",
            2_500_000,
            T0 + 5 * DAY,
            T0 + 15 * DAY,
        )],
    )
    .await;
    let listing = store.listing_by_code("R20042").await.unwrap().unwrap();
    let moved = ListingAppend {
        status: Some("listing".to_owned()),
        ..ListingAppend::entries(listing.id, 0, vec![])
    };
    assert_eq!(
        append_one(&*store, moved).await,
        AppendOutcome::Appended { head_seq: 0 }
    );

    let found = |query: ListingQuery, page: Page| {
        let store = store.clone();
        async move {
            let found = store.list_listings(&query, page).await.unwrap();
            let codes: Vec<String> = found.items.iter().map(|l| l.code.clone()).collect();
            (codes, found.total)
        }
    };
    let all = Page::number(1, 50);
    let q = ListingQuery::default;
    assert_eq!(
        found(q(), all).await,
        (
            vec![
                "B21001".to_owned(),
                "U20041".to_owned(),
                "R20042".to_owned(),
                "R21002".to_owned()
            ],
            4
        )
    );
    let land_use = ListingQuery {
        land_use: Some("居住".to_owned()),
        ..q()
    };
    assert_eq!(found(land_use, all).await.0, ["R20042", "R21002"]);
    let land_use = ListingQuery {
        land_use: Some("商业".to_owned()),
        ..q()
    };
    assert_eq!(found(land_use, all).await.0, ["B21001", "R21002"]);
    let district = ListingQuery {
        district: Some("崇川区".to_owned()),
        ..q()
    };
    assert_eq!(found(district, all).await.0, ["B21001", "R20042"]);
    let status = ListingQuery {
        status: Some("listing".to_owned()),
        ..q()
    };
    assert_eq!(found(status, all).await.0, ["R20042"]);
    let status = ListingQuery {
        status: Some("announced".to_owned()),
        ..q()
    };
    assert_eq!(found(status, all).await.1, 3);
    // Price bounds are inclusive.
    let cheap = ListingQuery {
        max_start_price_fen: Some(1_847_000),
        ..q()
    };
    assert_eq!(found(cheap, all).await.0, ["U20041", "R20042"]);
    let dear = ListingQuery {
        min_start_price_fen: Some(1_847_000),
        ..q()
    };
    assert_eq!(found(dear, all).await.0, ["B21001", "R20042", "R21002"]);
    let band = ListingQuery {
        min_start_price_fen: Some(1_847_001),
        max_start_price_fen: Some(2_500_000),
        ..q()
    };
    assert_eq!(found(band, all).await.0, ["R21002"]);
    // Windows overlap half-open: [10d, 20d) does not overlap [20d, 30d),
    // and [30d, 40d) does not either.
    let window = ListingQuery {
        listing_from: Some(T0 + 20 * DAY),
        listing_to: Some(T0 + 30 * DAY),
        ..q()
    };
    assert_eq!(found(window, all).await.0, ["U20041"]);
    let since = ListingQuery {
        listing_from: Some(T0 + 15 * DAY),
        ..q()
    };
    assert_eq!(found(since, all).await.0, ["B21001", "U20041", "R20042"]);
    let until = ListingQuery {
        listing_to: Some(T0 + 10 * DAY),
        ..q()
    };
    assert_eq!(found(until, all).await.0, ["R21002"]);
    // Code (in any case) or location.
    let search = |text: &str| ListingQuery {
        search: Some(text.to_owned()),
        ..q()
    };
    assert_eq!(found(search("r2"), all).await.0, ["R20042", "R21002"]);
    assert_eq!(found(search("通州区"), all).await.0, ["U20041"]);
    assert_eq!(found(search("%"), all).await.1, 0);
    let of_notice = |id| ListingQuery {
        notice_id: Some(id),
        ..q()
    };
    assert_eq!(found(of_notice(second.id), all).await.0, ["R21002"]);
    assert_eq!(found(of_notice(first.id), all).await.1, 3);
    let everything = ListingQuery {
        notice_id: Some(first.id),
        status: Some("announced".to_owned()),
        land_use: Some("商".to_owned()),
        district: Some("崇川区".to_owned()),
        min_start_price_fen: Some(1),
        max_start_price_fen: Some(3_000_000),
        listing_from: Some(T0),
        listing_to: Some(T0 + 31 * DAY),
        search: Some("B2".to_owned()),
    };
    assert_eq!(found(everything, all).await.0, ["B21001"]);

    assert_eq!(
        found(q(), Page::number(2, 3)).await,
        (vec!["R21002".to_owned()], 4)
    );
    let housing = ListingQuery {
        land_use: Some("居住".to_owned()),
        ..q()
    };
    assert_eq!(
        found(housing, Page::number(1, 1)).await,
        (vec!["R20042".to_owned()], 2)
    );
}

// ---------------------------------------------------------------------------
// The ineligible list

fn ineligible(
    code: &str,
    name: &str,
    kind: IneligibleKind,
    from: i64,
    until: Option<i64>,
) -> NewIneligible {
    NewIneligible {
        credit_code: code.to_owned(),
        name: name.to_owned(),
        kind,
        reason: format!("{name}：{}", kind.code()),
        listed_from: from,
        listed_until: until,
    }
}

/// Entries are in force over `[listed_from, listed_until)` and until they
/// are lifted; the codes in force at an instant come sorted, once each.
pub async fn ineligible_list_is_in_force_half_open(store: Arc<dyn Store>) {
    const A: &str = "91320600000000001A";
    const B: &str = "91320600000000002B";
    let arrears = store
        .add_ineligible(
            &officer_ctx(T0),
            ineligible(A, "甲公司", IneligibleKind::Arrears, T0, Some(T0 + 10)),
        )
        .await
        .unwrap();
    assert_eq!(arrears.id.get_version_num(), 7);
    assert_eq!(arrears.credit_code, A);
    assert_eq!(arrears.kind, IneligibleKind::Arrears);
    assert_eq!(arrears.reason, "甲公司：arrears");
    assert_eq!(
        (arrears.listed_from, arrears.listed_until),
        (T0, Some(T0 + 10))
    );
    assert_eq!((arrears.lifted_at, arrears.created_at), (None, T0));
    let blacklist = store
        .add_ineligible(
            &officer_ctx(T0 + 1),
            ineligible(B, "乙公司", IneligibleKind::Blacklist, T0 + 5, None),
        )
        .await
        .unwrap();
    store
        .add_ineligible(
            &officer_ctx(T0 + 2),
            ineligible(A, "甲公司", IneligibleKind::Default, T0 + 20, Some(T0 + 30)),
        )
        .await
        .unwrap();

    let at = |t: i64| {
        let store = store.clone();
        async move { store.ineligible_codes_at(t).await.unwrap() }
    };
    assert!(at(T0 - 1).await.is_empty());
    assert_eq!(at(T0).await, [A]);
    assert_eq!(at(T0 + 5).await, [A, B]);
    assert_eq!(at(T0 + 9).await, [A, B]);
    assert_eq!(at(T0 + 10).await, [B]);
    assert_eq!(at(T0 + 20).await, [A, B]);
    assert_eq!(at(T0 + 30).await, [B]);

    // Lifting ends the entry at that instant; the past stays as it was.
    let lifted = store
        .lift_ineligible(&officer_ctx(T0 + 25), blacklist.id)
        .await
        .unwrap();
    assert_eq!(lifted.lifted_at, Some(T0 + 25));
    assert_eq!(lifted.credit_code, B);
    assert_eq!(at(T0 + 24).await, [A, B]);
    assert_eq!(at(T0 + 25).await, [A]);
    assert!(at(T0 + 40).await.is_empty());
    expect_conflict(
        store
            .lift_ineligible(&officer_ctx(T0 + 26), blacklist.id)
            .await,
        "status",
    );
    expect_not_found(
        store
            .lift_ineligible(&officer_ctx(T0 + 26), Uuid::now_v7())
            .await,
    );

    // An end that is not after the start is refused, and leaves nothing.
    let audited = audit_total(&*store).await;
    assert!(store
        .add_ineligible(
            &officer_ctx(T0 + 27),
            ineligible(B, "乙公司", IneligibleKind::Arrears, T0 + 50, Some(T0 + 50)),
        )
        .await
        .is_err());
    assert_eq!(audit_total(&*store).await, audited);

    let records = assert_chain(&*store).await;
    let actions: Vec<&str> = records.iter().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "ineligible.add",
            "ineligible.add",
            "ineligible.add",
            "ineligible.lift"
        ]
    );
    assert_eq!(detail(&records[0])["credit_code"], A);
    assert_eq!(detail(&records[3])["credit_code"], B);
}

/// The list pages newest first and filters by code, kind, instant and
/// text.
pub async fn list_ineligible_filters_and_pages(store: Arc<dyn Store>) {
    let mut ids = Vec::new();
    for (i, (code, name, kind, from, until)) in [
        (
            "91320600000000001A",
            "甲置业",
            IneligibleKind::Arrears,
            T0,
            Some(T0 + 10),
        ),
        (
            "91320600000000002B",
            "乙地产",
            IneligibleKind::Blacklist,
            T0 + 5,
            None,
        ),
        (
            "91320600000000001A",
            "甲置业",
            IneligibleKind::Default,
            T0 + 20,
            None,
        ),
        (
            "91320600000000003C",
            "丙建设",
            IneligibleKind::Arrears,
            T0 + 8,
            Some(T0 + 9),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let row = store
            .add_ineligible(
                &officer_ctx(T0 + i as i64),
                ineligible(code, name, kind, from, until),
            )
            .await
            .unwrap();
        ids.push(row.id);
    }
    store
        .lift_ineligible(&officer_ctx(T0 + 7), ids[1])
        .await
        .unwrap();

    let found = |query: IneligibleQuery, page: Page| {
        let store = store.clone();
        async move {
            let found = store.list_ineligible(&query, page).await.unwrap();
            let ids: Vec<Uuid> = found.items.iter().map(|r| r.id).collect();
            (ids, found.total)
        }
    };
    let all = Page::number(1, 50);
    let q = IneligibleQuery::default;
    assert_eq!(
        found(q(), all).await,
        (vec![ids[3], ids[2], ids[1], ids[0]], 4)
    );
    let code = IneligibleQuery {
        credit_code: Some("91320600000000001A".to_owned()),
        ..q()
    };
    assert_eq!(found(code, all).await.0, [ids[2], ids[0]]);
    let kind = IneligibleQuery {
        kind: Some(IneligibleKind::Arrears),
        ..q()
    };
    assert_eq!(found(kind, all).await.0, [ids[3], ids[0]]);
    let in_force = |t: i64| IneligibleQuery {
        in_force_at: Some(t),
        ..q()
    };
    assert_eq!(found(in_force(T0 + 6), all).await.0, [ids[1], ids[0]]);
    // Lifted at T0 + 7.
    assert_eq!(found(in_force(T0 + 7), all).await.0, [ids[0]]);
    assert_eq!(found(in_force(T0 + 8), all).await.0, [ids[3], ids[0]]);
    assert_eq!(found(in_force(T0 + 20), all).await.0, [ids[2]]);
    let search = |text: &str| IneligibleQuery {
        search: Some(text.to_owned()),
        ..q()
    };
    assert_eq!(found(search("地产"), all).await.0, [ids[1]]);
    assert_eq!(found(search("0003C"), all).await.0, [ids[3]]);
    assert_eq!(found(search("_"), all).await.1, 0);
    assert_eq!(found(q(), Page::number(2, 3)).await, (vec![ids[0]], 4));
}

// ---------------------------------------------------------------------------
// Deposits and bank transactions

fn deposit_account(account_no: &str, listing_id: Uuid, application_ref: &str) -> NewDepositAccount {
    NewDepositAccount {
        account_no: account_no.to_owned(),
        listing_id,
        application_ref: application_ref.to_owned(),
        enterprise_id: Uuid::now_v7(),
    }
}

fn bank_txn(id: &str, account_no: &str, amount_fen: i64, received_at: i64) -> BankTxn {
    BankTxn {
        bank_txn_id: id.to_owned(),
        account_no: account_no.to_owned(),
        amount_fen,
        payer_name: "南通某置业有限公司".to_owned(),
        payer_account: "6222020000000000001".to_owned(),
        received_at,
        raw_body: json!({
            "txn_id": id,
            "account": account_no,
            "amount": amount_fen,
        })
        .to_string(),
    }
}

/// One account per number and per application; the listing must exist.
pub async fn deposit_accounts_are_unique(store: Arc<dyn Store>) {
    let listing = one_listing(&*store, "R20042").await;
    let other = one_listing(&*store, "U20041").await;
    let new = deposit_account("3206000001", listing.id, "app-1");
    let account = store
        .create_deposit_account(&officer_ctx(T0 + 1), new.clone())
        .await
        .unwrap();
    assert_eq!(account.account_no, "3206000001");
    assert_eq!(account.listing_id, listing.id);
    assert_eq!(account.application_ref, "app-1");
    assert_eq!(account.enterprise_id, new.enterprise_id);
    assert_eq!(account.created_at, T0 + 1);
    assert_eq!(
        store.deposit_account("3206000001").await.unwrap(),
        Some(account.clone())
    );
    assert_eq!(store.deposit_account("3206000002").await.unwrap(), None);
    let audited = audit_total(&*store).await;

    expect_conflict(
        store
            .create_deposit_account(
                &officer_ctx(T0 + 2),
                deposit_account("3206000001", other.id, "app-9"),
            )
            .await,
        "account_no",
    );
    expect_conflict(
        store
            .create_deposit_account(
                &officer_ctx(T0 + 2),
                deposit_account("3206000002", listing.id, "app-1"),
            )
            .await,
        "application_ref",
    );
    expect_not_found(
        store
            .create_deposit_account(
                &officer_ctx(T0 + 2),
                deposit_account("3206000003", Uuid::now_v7(), "app-3"),
            )
            .await,
    );
    assert_eq!(audit_total(&*store).await, audited);
    assert_eq!(store.deposit_account("3206000002").await.unwrap(), None);

    // The same application reference on another listing is another
    // application.
    let second = store
        .create_deposit_account(
            &officer_ctx(T0 + 3),
            deposit_account("3206000004", other.id, "app-1"),
        )
        .await
        .unwrap();
    let third = store
        .create_deposit_account(
            &officer_ctx(T0 + 4),
            deposit_account("3206000005", listing.id, "app-2"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.deposit_accounts(listing.id).await.unwrap(),
        vec![account.clone(), third]
    );
    assert_eq!(
        store.deposit_accounts(other.id).await.unwrap(),
        vec![second]
    );
    assert!(store
        .deposit_accounts(Uuid::now_v7())
        .await
        .unwrap()
        .is_empty());

    let records = assert_chain(&*store).await;
    let opened: Vec<_> = records
        .iter()
        .filter(|r| r.action == "deposit.open_account")
        .collect();
    assert_eq!(opened.len(), 3);
    assert_eq!(opened[0].object_id, listing.id.to_string());
    assert_eq!(detail(opened[0])["account_no"], "3206000001");
}

/// An arrival is recorded once: a repeat returns the first record and
/// changes nothing; a repeat that differs is refused. Arrivals for unknown
/// accounts are kept too.
pub async fn bank_transactions_are_recorded_once(store: Arc<dyn Store>) {
    let listing = one_listing(&*store, "R20042").await;
    let account = store
        .create_deposit_account(
            &officer_ctx(T0),
            deposit_account("3206000001", listing.id, "app-1"),
        )
        .await
        .unwrap();
    let audited = audit_total(&*store).await;

    let txn = bank_txn("BK-0001", "3206000001", 5_000_000_000, T0 + MINUTE);
    let Recorded::New(first) = store
        .record_bank_transaction(&bank_ctx(T0 + MINUTE + 3), txn.clone())
        .await
        .unwrap()
    else {
        panic!("the first report was not new");
    };
    assert_eq!(first.bank_txn_id, "BK-0001");
    assert_eq!(first.account_no, "3206000001");
    assert_eq!(first.listing_id, Some(listing.id));
    assert_eq!(first.enterprise_id, Some(account.enterprise_id));
    assert_eq!(first.amount_fen, 5_000_000_000);
    assert_eq!(first.payer_name, txn.payer_name);
    assert_eq!(first.payer_account, txn.payer_account);
    assert_eq!(first.received_at, T0 + MINUTE);
    assert_eq!(first.raw_body, txn.raw_body);
    assert_eq!(first.recorded_at, T0 + MINUTE + 3);
    assert_eq!(
        (first.outcome, first.refund_due_at, first.refunded_at),
        (None, None, None)
    );
    assert!(first.same_arrival(&txn));
    assert_eq!(
        store.bank_transaction("BK-0001").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(audit_total(&*store).await, audited + 1);

    // The same report again, and a retry with a new timestamp and body.
    let repeat = store
        .record_bank_transaction(&bank_ctx(T0 + 2 * MINUTE), txn.clone())
        .await
        .unwrap();
    assert_eq!(repeat, Recorded::Duplicate(first.clone()));
    let retried = BankTxn {
        received_at: T0 + 5 * MINUTE,
        raw_body: format!("{} ", txn.raw_body),
        ..txn.clone()
    };
    assert_eq!(
        store
            .record_bank_transaction(&bank_ctx(T0 + 5 * MINUTE), retried)
            .await
            .unwrap()
            .row(),
        &first
    );
    // The same id with another amount, account or payer is not a repeat.
    for different in [
        BankTxn {
            amount_fen: 1,
            ..txn.clone()
        },
        BankTxn {
            account_no: "3206000009".to_owned(),
            ..txn.clone()
        },
        BankTxn {
            payer_name: "别的公司".to_owned(),
            ..txn.clone()
        },
        BankTxn {
            payer_account: "6222".to_owned(),
            ..txn.clone()
        },
    ] {
        expect_conflict(
            store
                .record_bank_transaction(&bank_ctx(T0 + 6 * MINUTE), different)
                .await,
            "bank_txn_id",
        );
    }
    assert_eq!(
        store.bank_transaction("BK-0001").await.unwrap(),
        Some(first.clone())
    );
    assert_eq!(audit_total(&*store).await, audited + 1);

    // Money paid into an account that does not exist is kept.
    let stray = store
        .record_bank_transaction(
            &bank_ctx(T0 + 7 * MINUTE),
            bank_txn("BK-0002", "9999999999", 100, T0 + 7 * MINUTE),
        )
        .await
        .unwrap();
    let Recorded::New(stray) = stray else {
        panic!("the stray report was not new");
    };
    assert_eq!(stray.account_no, "9999999999");
    assert_eq!((stray.listing_id, stray.enterprise_id), (None, None));
    assert_eq!(store.bank_transaction("BK-9999").await.unwrap(), None);

    let records = assert_chain(&*store).await;
    let received: Vec<_> = records
        .iter()
        .filter(|r| r.action == "deposit.bank_received")
        .collect();
    assert_eq!(received.len(), 2);
    assert_eq!(received[0].object_id, "BK-0001");
    assert_eq!(received[0].actor_name, "bank");
    assert_eq!(detail(received[0])["known_account"], true);
    assert_eq!(detail(received[1])["known_account"], false);
}

/// Ten reports of one transaction at once: one is recorded, nine are
/// duplicates of it, one audit record.
pub async fn concurrent_bank_repeats_record_one(store: Arc<dyn Store>) {
    let listing = one_listing(&*store, "R20042").await;
    store
        .create_deposit_account(
            &officer_ctx(T0),
            deposit_account("3206000001", listing.id, "app-1"),
        )
        .await
        .unwrap();
    let audited = audit_total(&*store).await;
    let results = run_concurrently(10, {
        let store = store.clone();
        move |i| {
            let store = store.clone();
            async move {
                store
                    .record_bank_transaction(
                        &bank_ctx(T0 + MINUTE + i as i64),
                        bank_txn("BK-RACE", "3206000001", 5_000_000, T0 + MINUTE + i as i64),
                    )
                    .await
                    .unwrap()
            }
        }
    })
    .await;
    let new: Vec<_> = results
        .iter()
        .filter(|r| matches!(r, Recorded::New(_)))
        .collect();
    assert_eq!(new.len(), 1);
    let first = new[0].row().clone();
    for result in &results {
        assert_eq!(result.row(), &first);
    }
    assert_eq!(
        store.bank_transaction("BK-RACE").await.unwrap(),
        Some(first)
    );
    assert_eq!(audit_total(&*store).await, audited + 1);
    assert_chain(&*store).await;
}

/// Outcomes are set and reset until the money is refunded; a refund needs
/// a due date and happens once.
pub async fn bank_transaction_outcomes_and_refunds(store: Arc<dyn Store>) {
    let listing = one_listing(&*store, "R20042").await;
    store
        .create_deposit_account(
            &officer_ctx(T0),
            deposit_account("3206000001", listing.id, "app-1"),
        )
        .await
        .unwrap();
    for (id, at) in [("BK-1", T0 + 1), ("BK-2", T0 + 2)] {
        store
            .record_bank_transaction(&bank_ctx(at), bank_txn(id, "3206000001", 100, at))
            .await
            .unwrap();
    }
    let credited = store
        .set_bank_transaction_outcome(&officer_ctx(T0 + 3), "BK-1", BankTxnOutcome::Credited, None)
        .await
        .unwrap();
    assert_eq!(credited.outcome, Some(BankTxnOutcome::Credited));
    assert_eq!(credited.refund_due_at, None);
    assert_eq!(
        store.bank_transaction("BK-1").await.unwrap(),
        Some(credited.clone())
    );
    // No refund is due: it cannot be refunded.
    expect_conflict(
        store
            .mark_refunded(&officer_ctx(T0 + 4), "BK-1", T0 + 4)
            .await,
        "status",
    );
    // The listing's result makes a credited deposit due for refund.
    let due = store
        .set_bank_transaction_outcome(
            &officer_ctx(T0 + 5),
            "BK-1",
            BankTxnOutcome::Credited,
            Some(T0 + 5 * DAY),
        )
        .await
        .unwrap();
    assert_eq!(due.refund_due_at, Some(T0 + 5 * DAY));
    let late = store
        .set_bank_transaction_outcome(
            &officer_ctx(T0 + 6),
            "BK-2",
            BankTxnOutcome::Late,
            Some(T0 + 6 * DAY),
        )
        .await
        .unwrap();
    assert_eq!(late.outcome, Some(BankTxnOutcome::Late));

    let refunded = store
        .mark_refunded(&officer_ctx(T0 + 7), "BK-2", T0 + 2 * DAY)
        .await
        .unwrap();
    assert_eq!(refunded.refunded_at, Some(T0 + 2 * DAY));
    assert_eq!(refunded.outcome, Some(BankTxnOutcome::Late));
    assert_eq!(
        store.bank_transaction("BK-2").await.unwrap(),
        Some(refunded.clone())
    );
    expect_conflict(
        store
            .mark_refunded(&officer_ctx(T0 + 8), "BK-2", T0 + 3 * DAY)
            .await,
        "status",
    );
    expect_conflict(
        store
            .set_bank_transaction_outcome(
                &officer_ctx(T0 + 8),
                "BK-2",
                BankTxnOutcome::Credited,
                None,
            )
            .await,
        "status",
    );
    assert_eq!(
        store.bank_transaction("BK-2").await.unwrap(),
        Some(refunded)
    );
    expect_not_found(
        store
            .set_bank_transaction_outcome(&officer_ctx(T0 + 9), "BK-X", BankTxnOutcome::Short, None)
            .await,
    );
    expect_not_found(store.mark_refunded(&officer_ctx(T0 + 9), "BK-X", T0).await);

    let records = assert_chain(&*store).await;
    let actions: Vec<&str> = records
        .iter()
        .map(|r| r.action.as_str())
        .filter(|a| a.starts_with("deposit."))
        .collect();
    assert_eq!(
        actions,
        [
            "deposit.open_account",
            "deposit.bank_received",
            "deposit.bank_received",
            "deposit.outcome",
            "deposit.outcome",
            "deposit.outcome",
            "deposit.refunded",
        ]
    );
    let last = records.last().unwrap();
    assert_eq!(last.object_id, "BK-2");
    assert_eq!(detail(last)["refunded_at"], T0 + 2 * DAY);
}

/// Bank transactions page latest arrival first and filter by listing,
/// account, outcome and pending refund.
pub async fn bank_transactions_filter_and_page(store: Arc<dyn Store>) {
    let first = one_listing(&*store, "R20042").await;
    let second = one_listing(&*store, "U20041").await;
    for (account_no, listing, application) in [
        ("A1", first.id, "app-1"),
        ("A2", first.id, "app-2"),
        ("B1", second.id, "app-1"),
    ] {
        store
            .create_deposit_account(
                &officer_ctx(T0),
                deposit_account(account_no, listing, application),
            )
            .await
            .unwrap();
    }
    for (id, account_no, at) in [
        ("T1", "A1", T0 + 1),
        ("T2", "A2", T0 + 2),
        ("T3", "B1", T0 + 3),
        ("T4", "A1", T0 + 4),
        ("T5", "ZZ", T0 + 5),
    ] {
        store
            .record_bank_transaction(&bank_ctx(at), bank_txn(id, account_no, 100, at))
            .await
            .unwrap();
    }
    let ctx = officer_ctx(T0 + 10);
    store
        .set_bank_transaction_outcome(&ctx, "T1", BankTxnOutcome::Credited, None)
        .await
        .unwrap();
    store
        .set_bank_transaction_outcome(&ctx, "T2", BankTxnOutcome::Credited, Some(T0 + DAY))
        .await
        .unwrap();
    store
        .set_bank_transaction_outcome(&ctx, "T4", BankTxnOutcome::Short, Some(T0 + DAY))
        .await
        .unwrap();
    store
        .set_bank_transaction_outcome(&ctx, "T5", BankTxnOutcome::UnknownAccount, Some(T0 + DAY))
        .await
        .unwrap();
    store.mark_refunded(&ctx, "T4", T0 + 11).await.unwrap();

    let found = |query: BankTxnQuery, page: Page| {
        let store = store.clone();
        async move {
            let found = store.bank_transactions(&query, page).await.unwrap();
            let ids: Vec<String> = found.items.iter().map(|t| t.bank_txn_id.clone()).collect();
            (ids, found.total)
        }
    };
    let all = Page::number(1, 50);
    let q = BankTxnQuery::default;
    assert_eq!(found(q(), all).await.0, ["T5", "T4", "T3", "T2", "T1"]);
    let of_listing = BankTxnQuery {
        listing_id: Some(first.id),
        ..q()
    };
    assert_eq!(found(of_listing, all).await.0, ["T4", "T2", "T1"]);
    let of_account = BankTxnQuery {
        account_no: Some("A1".to_owned()),
        ..q()
    };
    assert_eq!(found(of_account, all).await.0, ["T4", "T1"]);
    let credited = BankTxnQuery {
        outcome: Some(BankTxnOutcome::Credited),
        ..q()
    };
    assert_eq!(found(credited, all).await.0, ["T2", "T1"]);
    let pending = BankTxnQuery {
        refund_pending: Some(true),
        ..q()
    };
    assert_eq!(found(pending, all).await.0, ["T5", "T2"]);
    let settled = BankTxnQuery {
        refund_pending: Some(false),
        ..q()
    };
    assert_eq!(found(settled, all).await.0, ["T4", "T3", "T1"]);
    let pending_here = BankTxnQuery {
        listing_id: Some(first.id),
        refund_pending: Some(true),
        ..q()
    };
    assert_eq!(found(pending_here, all).await.0, ["T2"]);
    assert_eq!(
        found(q(), Page::number(2, 2)).await,
        (vec!["T3".to_owned(), "T2".to_owned()], 5)
    );
}

// ---------------------------------------------------------------------------
// The event log

/// Appends extend the log and move the listing's head, summary, status and
/// participants together; entries read back byte for byte, in order, and
/// appends write no audit record.
pub async fn append_events_extends_the_log_and_the_listing(store: Arc<dyn Store>) {
    let listing = one_listing(&*store, "R20042").await;
    let audited = audit_total(&*store).await;
    let lead = Uuid::now_v7();
    let partner = Uuid::now_v7();
    let mut payloads = bids(0, 2);
    // Odd but valid JSON text: kept exactly as written.
    payloads.push(
        "{ \"价格\" : \"18470.00\", \"note\": \"a\\\"b\\\\c\\n\\u0001\", \"actor\": \"bidder-7\", \"client_addr\": \"203.0.113.7\" }"
            .to_owned(),
    );
    let first = entries_after(&LogHead::empty(), &payloads);
    let outcome = append_one(
        &*store,
        ListingAppend {
            summary_json: Some(json!({"status": "listing", "bids": 3}).to_string()),
            status: Some("listing".to_owned()),
            participants: vec![
                Participant {
                    enterprise_id: lead,
                    role: "lead".to_owned(),
                },
                Participant {
                    enterprise_id: partner,
                    role: "partner".to_owned(),
                },
            ],
            ..ListingAppend::entries(listing.id, 0, first.clone())
        },
    )
    .await;
    assert_eq!(outcome, AppendOutcome::Appended { head_seq: 3 });
    assert_eq!(store.head(listing.id).await.unwrap(), Some(head_of(&first)));
    assert_eq!(store.events(listing.id, 0, 100).await.unwrap(), first);
    assert_eq!(store.events(listing.id, 1, 1).await.unwrap(), first[1..2]);
    assert_eq!(store.events(listing.id, 1, 100).await.unwrap(), first[1..]);
    assert!(store.events(listing.id, 3, 100).await.unwrap().is_empty());
    assert!(store.events(listing.id, 0, 0).await.unwrap().is_empty());
    assert!(store
        .events(Uuid::now_v7(), 0, 10)
        .await
        .unwrap()
        .is_empty());
    let row = store.listing(listing.id).await.unwrap().unwrap();
    assert_eq!(
        row.summary_json,
        json!({"status": "listing", "bids": 3}).to_string()
    );
    assert_eq!(row.status, "listing");
    assert_eq!(row.decided_at, None);
    // Everything else about the listing is as published.
    assert_eq!(
        ListingRow {
            summary_json: listing.summary_json.clone(),
            status: listing.status.clone(),
            ..row
        },
        listing
    );

    // Without a summary or status the listing keeps its own; a participant
    // named again is not doubled.
    let second = entries_after(&head_of(&first), &bids(3, 2));
    let outcome = append_one(
        &*store,
        ListingAppend {
            participants: vec![Participant {
                enterprise_id: lead,
                role: "lead".to_owned(),
            }],
            ..ListingAppend::entries(listing.id, 3, second.clone())
        },
    )
    .await;
    assert_eq!(outcome, AppendOutcome::Appended { head_seq: 5 });
    let row = store.listing(listing.id).await.unwrap().unwrap();
    assert_eq!(row.status, "listing");
    assert_eq!(
        row.summary_json,
        json!({"status": "listing", "bids": 3}).to_string()
    );

    // The result: status, summary and decision time move with the log.
    let third = entries_after(&head_of(&second), &bids(5, 1));
    let outcome = append_one(
        &*store,
        ListingAppend {
            summary_json: Some(json!({"status": "sold"}).to_string()),
            status: Some("sold".to_owned()),
            decided_at: Some(T0 + 30 * DAY),
            participants: vec![Participant {
                enterprise_id: lead,
                role: "winner".to_owned(),
            }],
            ..ListingAppend::entries(listing.id, 5, third)
        },
    )
    .await;
    assert_eq!(outcome, AppendOutcome::Appended { head_seq: 6 });
    let row = store.listing(listing.id).await.unwrap().unwrap();
    assert_eq!(
        (row.status.as_str(), row.decided_at),
        ("sold", Some(T0 + 30 * DAY))
    );

    let events = assert_log(&*store, listing.id).await;
    assert_eq!(events.len(), 6);
    assert_eq!(events[2].payload, payloads[2]);
    assert_eq!(events[..3], first[..]);

    let mine = store
        .listings_of_enterprise(lead, Page::number(1, 10))
        .await
        .unwrap();
    assert_eq!(mine.total, 1);
    assert_eq!(mine.items[0].listing.id, listing.id);
    assert_eq!(mine.items[0].listing.status, "sold");
    assert_eq!(mine.items[0].roles, ["lead", "winner"]);
    let theirs = store
        .listings_of_enterprise(partner, Page::number(1, 10))
        .await
        .unwrap();
    assert_eq!(theirs.items[0].roles, ["partner"]);
    let nobody = store
        .listings_of_enterprise(Uuid::now_v7(), Page::number(1, 10))
        .await
        .unwrap();
    assert_eq!((nobody.items.len(), nobody.total), (0, 0));

    // The log is its own record: no audit record per append.
    assert_eq!(audit_total(&*store).await, audited);
    assert_eq!(store.append_events(vec![]).await.unwrap(), vec![]);
}

/// A part whose head has moved (behind or ahead) writes nothing: no entry,
/// no summary, no status, no decision, no participant.
pub async fn stale_appends_change_nothing(store: Arc<dyn Store>) {
    let listing = one_listing(&*store, "R20042").await;
    let first = entries_after(&LogHead::empty(), &bids(0, 3));
    append_one(
        &*store,
        ListingAppend {
            summary_json: Some("{\"bids\":3}".to_owned()),
            status: Some("listing".to_owned()),
            ..ListingAppend::entries(listing.id, 0, first.clone())
        },
    )
    .await;
    let before = store.listing(listing.id).await.unwrap().unwrap();
    let intruder = Uuid::now_v7();
    for expected_seq in [0, 2, 4] {
        let stale_head = LogHead {
            seq: expected_seq,
            hash: if expected_seq == 0 {
                GENESIS_HASH.to_owned()
            } else {
                "f".repeat(64)
            },
        };
        let outcome = append_one(
            &*store,
            ListingAppend {
                summary_json: Some("{\"bids\":99}".to_owned()),
                status: Some("sold".to_owned()),
                decided_at: Some(T0),
                participants: vec![Participant {
                    enterprise_id: intruder,
                    role: "winner".to_owned(),
                }],
                ..ListingAppend::entries(
                    listing.id,
                    expected_seq,
                    entries_after(&stale_head, &bids(100, 2)),
                )
            },
        )
        .await;
        assert_eq!(outcome, AppendOutcome::Stale { head_seq: 3 });
    }
    // Stale without entries: the summary alone is not written either.
    let outcome = append_one(
        &*store,
        ListingAppend {
            summary_json: Some("{\"bids\":98}".to_owned()),
            ..ListingAppend::entries(listing.id, 1, vec![])
        },
    )
    .await;
    assert_eq!(outcome, AppendOutcome::Stale { head_seq: 3 });

    assert_eq!(store.listing(listing.id).await.unwrap(), Some(before));
    assert_eq!(assert_log(&*store, listing.id).await, first);
    let none = store
        .listings_of_enterprise(intruder, Page::number(1, 10))
        .await
        .unwrap();
    assert_eq!(none.total, 0);
}

/// In a batch over several listings, a stale part is skipped and the
/// others are written, each outcome in its place.
pub async fn a_stale_listing_does_not_hold_back_the_batch(store: Arc<dyn Store>) {
    let a = one_listing(&*store, "R20042").await;
    let b = one_listing(&*store, "U20041").await;
    let c = one_listing(&*store, "B20043").await;
    let a1 = entries_after(&LogHead::empty(), &bids(0, 2));
    append_one(&*store, ListingAppend::entries(a.id, 0, a1.clone())).await;

    let empty = LogHead::empty();
    let b1 = entries_after(&empty, &bids(10, 3));
    let c1 = entries_after(&empty, &bids(20, 1));
    let outcomes = store
        .append_events(vec![
            ListingAppend {
                status: Some("listing".to_owned()),
                ..ListingAppend::entries(b.id, 0, b1.clone())
            },
            // Written against an old head of `a`.
            ListingAppend {
                status: Some("sold".to_owned()),
                ..ListingAppend::entries(a.id, 0, entries_after(&empty, &bids(30, 1)))
            },
            ListingAppend::entries(c.id, 0, c1.clone()),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            AppendOutcome::Appended { head_seq: 3 },
            AppendOutcome::Stale { head_seq: 2 },
            AppendOutcome::Appended { head_seq: 1 },
        ]
    );
    assert_eq!(assert_log(&*store, a.id).await, a1);
    assert_eq!(assert_log(&*store, b.id).await, b1);
    assert_eq!(assert_log(&*store, c.id).await, c1);
    assert_eq!(
        store.listing(a.id).await.unwrap().unwrap().status,
        "announced"
    );
    assert_eq!(
        store.listing(b.id).await.unwrap().unwrap().status,
        "listing"
    );
}

/// A listing may appear twice in a batch: the second part follows the
/// first, or is stale when it was decided against the same head.
pub async fn a_listing_may_appear_twice_in_a_batch(store: Arc<dyn Store>) {
    let listing = one_listing(&*store, "R20042").await;
    let empty = LogHead::empty();
    let first = entries_after(&empty, &bids(0, 2));
    let second = entries_after(&head_of(&first), &bids(2, 1));
    let outcomes = store
        .append_events(vec![
            ListingAppend {
                status: Some("one".to_owned()),
                summary_json: Some("{\"n\":1}".to_owned()),
                ..ListingAppend::entries(listing.id, 0, first.clone())
            },
            ListingAppend {
                status: Some("two".to_owned()),
                ..ListingAppend::entries(listing.id, 2, second.clone())
            },
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            AppendOutcome::Appended { head_seq: 2 },
            AppendOutcome::Appended { head_seq: 3 },
        ]
    );
    let row = store.listing(listing.id).await.unwrap().unwrap();
    assert_eq!(
        (row.status.as_str(), row.summary_json.as_str()),
        ("two", "{\"n\":1}")
    );

    // Two writers that both decided against seq 3: the first wins.
    let head = head_of(&second);
    let winner = entries_after(&head, &bids(10, 1));
    let loser = entries_after(&head, &bids(20, 1));
    let outcomes = store
        .append_events(vec![
            ListingAppend::entries(listing.id, 3, winner.clone()),
            ListingAppend::entries(listing.id, 3, loser),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            AppendOutcome::Appended { head_seq: 4 },
            AppendOutcome::Stale { head_seq: 4 },
        ]
    );
    let log = assert_log(&*store, listing.id).await;
    assert_eq!(log.len(), 4);
    assert_eq!(log[3], winner[0]);
}

/// Entries that do not run on from `expected_seq`, do not link to each
/// other or to the head (or, first in a log, to the genesis hash), or name
/// an unknown listing refuse the whole batch: nothing of any listing in it
/// is written.
pub async fn broken_chains_refuse_the_whole_batch(store: Arc<dyn Store>) {
    let a = one_listing(&*store, "R20042").await;
    let b = one_listing(&*store, "U20041").await;
    let a1 = entries_after(&LogHead::empty(), &bids(0, 2));
    append_one(&*store, ListingAppend::entries(a.id, 0, a1.clone())).await;
    let b_empty = LogHead::empty();
    let good_b = || ListingAppend {
        status: Some("listing".to_owned()),
        ..ListingAppend::entries(b.id, 0, entries_after(&b_empty, &bids(10, 2)))
    };
    let good_a = || ListingAppend::entries(a.id, 2, entries_after(&head_of(&a1), &bids(2, 2)));

    // A gap in seq.
    let mut gap = good_a();
    gap.entries[1].seq = 5;
    expect_corrupt(store.append_events(vec![good_b(), gap]).await);
    // A seq that does not follow expected_seq.
    let mut off = good_a();
    off.expected_seq = 1;
    expect_corrupt(store.append_events(vec![good_b(), off]).await);
    // An entry that does not link to the one before it.
    let mut unlinked = good_a();
    unlinked.entries[1].prev_hash = "e".repeat(64);
    expect_corrupt(store.append_events(vec![good_b(), unlinked]).await);
    // A first entry that does not link to the head.
    let forked = ListingAppend::entries(
        a.id,
        2,
        entries_after(
            &LogHead {
                seq: 2,
                hash: "d".repeat(64),
            },
            &bids(2, 1),
        ),
    );
    expect_corrupt(store.append_events(vec![good_b(), forked]).await);
    // A log's first entry that does not link to the genesis hash.
    let rootless = ListingAppend::entries(
        b.id,
        0,
        entries_after(
            &LogHead {
                seq: 0,
                hash: "c".repeat(64),
            },
            &bids(10, 1),
        ),
    );
    expect_corrupt(store.append_events(vec![good_a(), rootless]).await);
    // An unknown listing.
    let ghost = ListingAppend::entries(Uuid::now_v7(), 0, entries_after(&b_empty, &bids(0, 1)));
    expect_not_found(store.append_events(vec![good_b(), good_a(), ghost]).await);

    assert_eq!(assert_log(&*store, a.id).await, a1);
    assert!(assert_log(&*store, b.id).await.is_empty());
    assert_eq!(
        store.listing(b.id).await.unwrap().unwrap().status,
        "announced"
    );

    // The same parts, well formed, go in.
    let outcomes = store.append_events(vec![good_b(), good_a()]).await.unwrap();
    assert_eq!(
        outcomes,
        [
            AppendOutcome::Appended { head_seq: 2 },
            AppendOutcome::Appended { head_seq: 4 },
        ]
    );
    assert_eq!(assert_log(&*store, a.id).await.len(), 4);
    assert_eq!(assert_log(&*store, b.id).await.len(), 2);
}

/// "My listings": an enterprise's listings, latest first, in pages.
pub async fn listings_of_enterprise_page(store: Arc<dyn Store>) {
    let (_, listings) = publish(
        &*store,
        "第80号",
        T0,
        (0..5)
            .map(|i| {
                new_listing(
                    &format!("R3000{i}"),
                    "居住",
                    "崇川区",
                    1,
                    T0 + i * DAY,
                    T0 + (i + 10) * DAY,
                )
            })
            .collect(),
    )
    .await;
    let me = Uuid::now_v7();
    let someone = Uuid::now_v7();
    let batch: Vec<ListingAppend> = listings
        .iter()
        .enumerate()
        .map(|(i, listing)| ListingAppend {
            participants: if i == 2 {
                vec![Participant {
                    enterprise_id: someone,
                    role: "lead".to_owned(),
                }]
            } else {
                vec![
                    Participant {
                        enterprise_id: me,
                        role: if i % 2 == 0 { "lead" } else { "partner" }.to_owned(),
                    },
                    Participant {
                        enterprise_id: someone,
                        role: "partner".to_owned(),
                    },
                ]
            },
            ..ListingAppend::entries(listing.id, 0, vec![])
        })
        .collect();
    store.append_events(batch).await.unwrap();

    let page = |number| {
        let store = store.clone();
        async move {
            let found = store
                .listings_of_enterprise(me, Page::number(number, 3))
                .await
                .unwrap();
            let items: Vec<(String, Vec<String>)> = found
                .items
                .into_iter()
                .map(|item| (item.listing.code, item.roles))
                .collect();
            (items, found.total)
        }
    };
    let entry = |code: &str, role: &str| (code.to_owned(), vec![role.to_owned()]);
    assert_eq!(
        page(1).await,
        (
            vec![
                entry("R30004", "lead"),
                entry("R30003", "partner"),
                entry("R30001", "partner"),
            ],
            4
        )
    );
    assert_eq!(page(2).await, (vec![entry("R30000", "lead")], 4));
    let theirs = store
        .listings_of_enterprise(someone, Page::number(1, 10))
        .await
        .unwrap();
    assert_eq!(theirs.total, 5);
}

/// Eight tasks race to append to one listing, each reloading and retrying
/// when it finds its head stale: the log is `1..=N` with no gap and no
/// duplicate, the chain holds, and the summary is the last writer's.
pub async fn concurrent_appends_have_no_gaps(store: Arc<dyn Store>) {
    concurrent_appends_from_several_nodes(vec![store]).await;
}

/// [`concurrent_appends_have_no_gaps`] with the tasks spread over several
/// stores on one database, as several server processes would be. A
/// backend's own tests call it with stores that share no pool.
pub async fn concurrent_appends_from_several_nodes(stores: Vec<Arc<dyn Store>>) {
    const TASKS: usize = 8;
    const APPENDS_PER_TASK: usize = 12;
    const MAX_ATTEMPTS: usize = 10_000;
    let listing = one_listing(&*stores[0], "R20042").await;
    let results = run_concurrently(TASKS, {
        let stores = stores.clone();
        move |task| {
            let store = stores[task % stores.len()].clone();
            async move {
                let mut attempts = 0;
                let mut written = Vec::new();
                for n in 0..APPENDS_PER_TASK {
                    // Tasks append one to three entries at a time.
                    let size = 1 + (task + n) % 3;
                    loop {
                        attempts += 1;
                        assert!(attempts < MAX_ATTEMPTS, "task {task} never got through");
                        let head = store.head(listing.id).await.unwrap().unwrap();
                        let payloads: Vec<String> = (0..size)
                            .map(|k| json!({"task": task, "n": n, "k": k}).to_string())
                            .collect();
                        let entries = entries_after(&head, &payloads);
                        let last = entries.last().unwrap().seq;
                        let part = ListingAppend {
                            summary_json: Some(json!({"head": last}).to_string()),
                            participants: vec![Participant {
                                enterprise_id: Uuid::from_u128(task as u128 + 1),
                                role: "lead".to_owned(),
                            }],
                            ..ListingAppend::entries(listing.id, head.seq, entries)
                        };
                        match store.append_events(vec![part]).await.unwrap()[..] {
                            [AppendOutcome::Appended { head_seq }] => {
                                assert_eq!(head_seq, last);
                                written.extend(payloads);
                                break;
                            }
                            [AppendOutcome::Stale { head_seq }] => {
                                assert!(head_seq > head.seq, "stale against an older head");
                                tokio::task::yield_now().await;
                            }
                            ref other => panic!("unexpected outcomes {other:?}"),
                        }
                    }
                }
                written
            }
        }
    })
    .await;

    let events = assert_log(&*stores[0], listing.id).await;
    let expected: usize = (0..TASKS)
        .flat_map(|task| (0..APPENDS_PER_TASK).map(move |n| 1 + (task + n) % 3))
        .sum();
    assert_eq!(events.len(), expected);
    // Every acknowledged entry is in the log exactly once, and nothing else.
    let mut acknowledged: Vec<String> = results.into_iter().flatten().collect();
    acknowledged.sort();
    let mut logged: Vec<String> = events.iter().map(|e| e.payload.clone()).collect();
    logged.sort();
    assert_eq!(logged, acknowledged);
    // Each part's entries are contiguous: a task's k-th entry follows its
    // (k-1)-th.
    for pair in events.windows(2) {
        let next: serde_json::Value = serde_json::from_str(&pair[1].payload).unwrap();
        if next["k"] != 0 {
            let prev: serde_json::Value = serde_json::from_str(&pair[0].payload).unwrap();
            assert_eq!(prev["task"], next["task"]);
            assert_eq!(prev["n"], next["n"]);
        }
    }
    for store in &stores {
        let row = store.listing(listing.id).await.unwrap().unwrap();
        assert_eq!(row.summary_json, json!({"head": expected}).to_string());
        assert_eq!(
            store.head(listing.id).await.unwrap(),
            Some(head_of(&events))
        );
    }
    for task in 0..TASKS {
        let mine = stores[0]
            .listings_of_enterprise(Uuid::from_u128(task as u128 + 1), Page::number(1, 10))
            .await
            .unwrap();
        assert_eq!(mine.total, 1);
    }
}

/// 1,000 batches of 50 entries, each batch over ten listings, as a server
/// grouping commits would write them: every entry is kept, in order, with
/// the chain intact. (A check of correctness at volume, not of speed.)
pub async fn grouped_commits_keep_every_entry(store: Arc<dyn Store>) {
    const BATCHES: i64 = 1_000;
    const LISTINGS: i64 = 10;
    const PER_LISTING: i64 = 5;
    let (_, listings) = publish(
        &*store,
        "第90号",
        T0,
        (0..LISTINGS)
            .map(|i| new_listing(&format!("R4000{i}"), "居住", "崇川区", 1, T0, T0 + DAY))
            .collect(),
    )
    .await;
    let mut heads: BTreeMap<Uuid, LogHead> =
        listings.iter().map(|l| (l.id, LogHead::empty())).collect();
    for batch_no in 0..BATCHES {
        let batch: Vec<ListingAppend> = heads
            .iter()
            .map(|(id, head)| {
                let payloads: Vec<String> = (0..PER_LISTING)
                    .map(|k| json!({"listing": id, "batch": batch_no, "k": k}).to_string())
                    .collect();
                let entries = entries_after(head, &payloads);
                ListingAppend {
                    summary_json: Some(json!({"batch": batch_no}).to_string()),
                    ..ListingAppend::entries(*id, head.seq, entries)
                }
            })
            .collect();
        assert_eq!(
            batch.iter().map(|p| p.entries.len()).sum::<usize>(),
            (LISTINGS * PER_LISTING) as usize
        );
        let new_heads: Vec<(Uuid, LogHead)> = batch
            .iter()
            .map(|p| (p.listing_id, head_of(&p.entries)))
            .collect();
        let outcomes = store.append_events(batch).await.unwrap();
        for ((id, head), outcome) in new_heads.into_iter().zip(outcomes) {
            assert_eq!(outcome, AppendOutcome::Appended { head_seq: head.seq });
            heads.insert(id, head);
        }
    }
    let mut hashes = BTreeSet::new();
    for listing in &listings {
        let events = assert_log(&*store, listing.id).await;
        assert_eq!(events.len() as i64, BATCHES * PER_LISTING);
        hashes.extend(events.into_iter().map(|e| e.hash));
        let row = store.listing(listing.id).await.unwrap().unwrap();
        assert_eq!(row.summary_json, json!({"batch": BATCHES - 1}).to_string());
    }
    assert_eq!(hashes.len() as i64, BATCHES * LISTINGS * PER_LISTING);
    // No audit record per append.
    assert_eq!(audit_total(&*store).await, 2);
}

/// One batch over many listings, larger than any statement a backend
/// might split it into: every part lands, with its summary and
/// participants.
pub async fn a_large_batch_spans_many_listings(store: Arc<dyn Store>) {
    const LISTINGS: i64 = 150;
    let (_, listings) = publish(
        &*store,
        "第95号",
        T0,
        (0..LISTINGS)
            .map(|i| new_listing(&format!("R5{i:04}"), "居住", "崇川区", 1, T0, T0 + DAY))
            .collect(),
    )
    .await;
    let bidder = Uuid::now_v7();
    let batch: Vec<ListingAppend> = listings
        .iter()
        .enumerate()
        .map(|(i, listing)| {
            let payloads: Vec<String> = (0..=(i % 4))
                .map(|k| json!({"listing": listing.code, "k": k}).to_string())
                .collect();
            ListingAppend {
                summary_json: Some(json!({"code": listing.code}).to_string()),
                participants: vec![Participant {
                    enterprise_id: bidder,
                    role: "lead".to_owned(),
                }],
                ..ListingAppend::entries(listing.id, 0, entries_after(&LogHead::empty(), &payloads))
            }
        })
        .collect();
    let outcomes = store.append_events(batch).await.unwrap();
    for (i, (listing, outcome)) in listings.iter().zip(outcomes).enumerate() {
        let expected = i as i64 % 4 + 1;
        assert_eq!(outcome, AppendOutcome::Appended { head_seq: expected });
        assert_eq!(assert_log(&*store, listing.id).await.len() as i64, expected);
        let row = store.listing(listing.id).await.unwrap().unwrap();
        assert_eq!(row.summary_json, json!({"code": listing.code}).to_string());
    }
    let mine = store
        .listings_of_enterprise(bidder, Page::number(1, 500))
        .await
        .unwrap();
    assert_eq!(mine.total, LISTINGS as u64);
}

/// The exchange's audited writes join the one audit chain, and no audit
/// record carries an event payload.
pub async fn exchange_writes_keep_the_audit_chain(store: Arc<dyn Store>) {
    let listing = one_listing(&*store, "R20042").await;
    store
        .add_ineligible(
            &officer_ctx(T0 + 1),
            ineligible(
                "91320600000000001A",
                "甲",
                IneligibleKind::Default,
                T0,
                None,
            ),
        )
        .await
        .unwrap();
    store
        .create_deposit_account(
            &public_ctx(T0 + 2),
            deposit_account("3206000001", listing.id, "app-1"),
        )
        .await
        .unwrap();
    let secret_payload = json!({"reserve": {"commitment": "SEALED-COMMITMENT-TEXT"}}).to_string();
    append_one(
        &*store,
        ListingAppend::entries(
            listing.id,
            0,
            entries_after(&LogHead::empty(), &[secret_payload]),
        ),
    )
    .await;
    store
        .record_bank_transaction(
            &bank_ctx(T0 + 3),
            bank_txn("BK-1", "3206000001", 100, T0 + 3),
        )
        .await
        .unwrap();
    store
        .audit(
            &admin_ctx(T0 + 4),
            crate::NewAudit::new("test.after_exchange", "thing", "1"),
        )
        .await
        .unwrap();
    let records = assert_chain(&*store).await;
    assert_eq!(records.len(), 6);
    for record in &records {
        assert!(!record.detail.contains("SEALED-COMMITMENT-TEXT"));
    }
    let listing_row = store.listing(listing.id).await.unwrap().unwrap();
    assert!(!listing_row.rules_json.contains("SEALED-COMMITMENT-TEXT"));
    assert!(!listing_row.summary_json.contains("SEALED-COMMITMENT-TEXT"));
}

fn secret(listing_id: Uuid, kind: SecretKind, key: &str, opening: &str) -> NewListingSecret {
    NewListingSecret {
        listing_id,
        kind,
        key: key.to_owned(),
        opening_json: opening.to_owned(),
    }
}

/// A listing's secrets are kept once per key, read back oldest first,
/// refused for an unknown listing or a second opening under one key, and
/// audited with their kind and key only, never the opening. The table is
/// write-once.
pub async fn listing_secrets_are_kept_once_and_audited_without_the_opening(store: Arc<dyn Store>) {
    let listing = one_listing(&*store, "R20042").await;
    let other = one_listing(&*store, "U20041").await;
    let key = "ab".repeat(32);
    let opening = r#"{"value":1987654,"nonce":"0707"}"#;
    let officer = officer_ctx(T0 + 5);
    let put = store
        .put_listing_secret(
            &officer,
            secret(listing.id, SecretKind::Reserve, &key, opening),
        )
        .await
        .unwrap();
    let SecretPut::New(row) = put else {
        panic!("expected a new secret, got {put:?}");
    };
    assert_eq!(row.listing_id, listing.id);
    assert_eq!(row.kind, SecretKind::Reserve);
    assert_eq!(row.key, key);
    assert_eq!(row.opening_json, opening);
    assert_eq!(row.created_at, T0 + 5);
    assert_eq!(row.created_by, officer.actor_id);
    // Printing a secret shows what it opens, not the opening.
    assert!(!format!("{row:?}").contains("1987654"));
    let audited = audit_total(&*store).await;

    // The same opening again: nothing changes.
    let again = store
        .put_listing_secret(
            &officer_ctx(T0 + 6),
            secret(listing.id, SecretKind::Reserve, &key, opening),
        )
        .await
        .unwrap();
    assert_eq!(again, SecretPut::Same(row.clone()));
    expect_conflict(
        store
            .put_listing_secret(
                &officer_ctx(T0 + 6),
                secret(listing.id, SecretKind::Reserve, &key, "{}"),
            )
            .await,
        "key",
    );
    expect_not_found(
        store
            .put_listing_secret(
                &officer_ctx(T0 + 6),
                secret(Uuid::now_v7(), SecretKind::Reserve, &key, opening),
            )
            .await,
    );
    assert_eq!(audit_total(&*store).await, audited);

    // Another kind under the same key, another listing, and the system.
    let seed = store
        .put_listing_secret(
            &officer_ctx(T0 + 7),
            secret(listing.id, SecretKind::LotterySeed, &key, r#""6e61""#),
        )
        .await
        .unwrap();
    let offer_key = "cd".repeat(32);
    let offer = store
        .put_listing_secret(
            &AuditCtx::system("system", T0 + 8),
            secret(
                listing.id,
                SecretKind::SealedOffer,
                &offer_key,
                r#"{"value":5,"nonce":"00"}"#,
            ),
        )
        .await
        .unwrap();
    assert_eq!(offer.row().created_by, None);
    let elsewhere = store
        .put_listing_secret(
            &officer_ctx(T0 + 9),
            secret(other.id, SecretKind::Reserve, &key, "{}"),
        )
        .await
        .unwrap();
    assert_eq!(
        store.listing_secrets(listing.id).await.unwrap(),
        vec![row, seed.row().clone(), offer.row().clone()]
    );
    assert_eq!(
        store.listing_secrets(other.id).await.unwrap(),
        vec![elsewhere.row().clone()]
    );
    assert!(store
        .listing_secrets(Uuid::now_v7())
        .await
        .unwrap()
        .is_empty());

    let records = assert_chain(&*store).await;
    let kept: Vec<_> = records
        .iter()
        .filter(|r| r.action == "listing.secret_kept")
        .collect();
    assert_eq!(kept.len(), 4);
    assert_eq!(kept[0].object_kind, "listing");
    assert_eq!(kept[0].object_id, listing.id.to_string());
    assert_eq!(kept[0].actor_id, officer.actor_id);
    assert_eq!(detail(kept[0]), json!({"kind": "reserve", "key": key}));
    assert_eq!(detail(kept[1])["kind"], "lottery_seed");
    assert_eq!(detail(kept[2])["kind"], "sealed_offer");
    for record in &records {
        assert!(
            !record.detail.contains("1987654") && !record.detail.contains("6e61"),
            "{}: {}",
            record.action,
            record.detail
        );
    }
}

/// Writers keeping the same opening at once keep one row, write one audit
/// record, and all succeed.
pub async fn concurrent_secret_puts_keep_one(store: Arc<dyn Store>) {
    let listing = one_listing(&*store, "R20042").await;
    let key = "ef".repeat(32);
    let audited = audit_total(&*store).await;
    let results = run_concurrently(8, |i| {
        let store = store.clone();
        let key = key.clone();
        async move {
            store
                .put_listing_secret(
                    &officer_ctx(T0 + 10 + i as i64),
                    secret(listing.id, SecretKind::Reserve, &key, r#"{"value":null}"#),
                )
                .await
        }
    })
    .await;
    let new = results
        .iter()
        .filter(|r| matches!(r, Ok(SecretPut::New(_))))
        .count();
    assert_eq!(new, 1, "{results:?}");
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_eq!(store.listing_secrets(listing.id).await.unwrap().len(), 1);
    assert_eq!(audit_total(&*store).await, audited + 1);
}

// ---------------------------------------------------------------------------
// Deposit refunds (results)

fn refund(bank_txn_id: &str, due_at: i64, bank_ref: &str, paid_at: i64) -> NewDepositRefund {
    NewDepositRefund {
        bank_txn_id: bank_txn_id.to_owned(),
        due_at,
        bank_ref: bank_ref.to_owned(),
        paid_at,
    }
}

/// A refund is recorded once, with the bank's reference, against a judged
/// arrival; the arrival shows it refunded; the record is audited with the
/// amount, the reference and both dates; listing by listing, refunds come
/// by payment time.
pub async fn deposit_refunds_are_recorded_once_and_audited(store: Arc<dyn Store>) {
    let listing = one_listing(&*store, "R20042").await;
    let other = one_listing(&*store, "U20041").await;
    for (account_no, listing_id, app) in [
        ("3206000001", listing.id, "app-1"),
        ("3206000002", listing.id, "app-2"),
        ("3206000003", other.id, "app-3"),
    ] {
        store
            .create_deposit_account(
                &officer_ctx(T0),
                deposit_account(account_no, listing_id, app),
            )
            .await
            .unwrap();
    }
    for (id, account_no, amount) in [
        ("BK-1", "3206000001", 232_630_000_000),
        ("BK-2", "3206000002", 100),
        ("BK-3", "3206000003", 5_000),
        ("BK-4", "3206000001", 7),
    ] {
        store
            .record_bank_transaction(&bank_ctx(T0 + 1), bank_txn(id, account_no, amount, T0 + 1))
            .await
            .unwrap();
    }
    for (id, outcome, due) in [
        ("BK-1", BankTxnOutcome::Credited, None),
        ("BK-2", BankTxnOutcome::Late, Some(T0 + 7 * DAY)),
        ("BK-3", BankTxnOutcome::Credited, None),
    ] {
        store
            .set_bank_transaction_outcome(&bank_ctx(T0 + 2), id, outcome, due)
            .await
            .unwrap();
    }
    let before = audit_total(&*store).await;

    // Not judged yet: nothing to pay back.
    expect_conflict(
        store
            .record_deposit_refund(&officer_ctx(T0 + 3), refund("BK-4", T0, "R-0", T0 + 3))
            .await,
        "status",
    );
    expect_not_found(
        store
            .record_deposit_refund(&officer_ctx(T0 + 3), refund("BK-X", T0, "R-0", T0 + 3))
            .await,
    );
    assert_eq!(audit_total(&*store).await, before);

    // A credited deposit, due after the result: its due date is kept.
    let ctx = officer_ctx(T0 + 10 * DAY);
    let paid = store
        .record_deposit_refund(
            &ctx,
            refund("BK-1", T0 + 9 * DAY, "退款流水 0001", T0 + 8 * DAY),
        )
        .await
        .unwrap();
    assert_eq!(paid.bank_txn_id, "BK-1");
    assert_eq!(paid.listing_id, Some(listing.id));
    assert_eq!(paid.amount_fen, 232_630_000_000);
    assert_eq!(paid.due_at, T0 + 9 * DAY);
    assert_eq!(paid.bank_ref, "退款流水 0001");
    assert_eq!(paid.paid_at, T0 + 8 * DAY);
    assert_eq!(paid.recorded_by, ctx.actor_id);
    assert_eq!(paid.recorded_at, T0 + 10 * DAY);
    let txn = store.bank_transaction("BK-1").await.unwrap().unwrap();
    assert_eq!(txn.refunded_at, Some(T0 + 8 * DAY));
    assert_eq!(txn.refund_due_at, Some(T0 + 9 * DAY));
    assert_eq!(txn.outcome, Some(BankTxnOutcome::Credited));

    // A late arrival keeps the due date the bank's callback set.
    let late = store
        .record_deposit_refund(
            &officer_ctx(T0 + 11 * DAY),
            refund("BK-2", T0 + 99 * DAY, "R-2", T0 + 5 * DAY),
        )
        .await
        .unwrap();
    assert_eq!(
        late.due_at,
        T0 + 99 * DAY,
        "the record keeps what was named"
    );
    let txn = store.bank_transaction("BK-2").await.unwrap().unwrap();
    assert_eq!(txn.refund_due_at, Some(T0 + 7 * DAY));
    assert_eq!(txn.refunded_at, Some(T0 + 5 * DAY));

    // Once only, whichever way it was recorded.
    expect_conflict(
        store
            .record_deposit_refund(&officer_ctx(T0 + 12 * DAY), refund("BK-1", T0, "R-9", T0))
            .await,
        "status",
    );
    expect_conflict(
        store
            .mark_refunded(&officer_ctx(T0 + 12 * DAY), "BK-1", T0 + 12 * DAY)
            .await,
        "status",
    );
    assert_eq!(
        store
            .bank_transaction("BK-1")
            .await
            .unwrap()
            .unwrap()
            .refunded_at,
        Some(T0 + 8 * DAY)
    );

    // By listing, by payment time.
    let rows = store.deposit_refunds(listing.id).await.unwrap();
    assert_eq!(rows, vec![late.clone(), paid.clone()]);
    assert!(store.deposit_refunds(other.id).await.unwrap().is_empty());
    assert!(store
        .deposit_refunds(Uuid::now_v7())
        .await
        .unwrap()
        .is_empty());

    let records = assert_chain(&*store).await;
    let refunded: Vec<_> = records
        .iter()
        .filter(|r| r.action == "deposit.refunded")
        .collect();
    assert_eq!(refunded.len(), 2);
    assert_eq!(audit_total(&*store).await, before + 2);
    let first = refunded[0];
    assert_eq!(first.object_kind, "bank_transaction");
    assert_eq!(first.object_id, "BK-1");
    assert_eq!(first.actor_id, ctx.actor_id);
    let d = detail(first);
    assert_eq!(d["amount_fen"], 232_630_000_000i64);
    assert_eq!(d["bank_ref"], "退款流水 0001");
    assert_eq!(d["due_at"], T0 + 9 * DAY);
    assert_eq!(d["refunded_at"], T0 + 8 * DAY);
    assert_eq!(d["listing_id"], listing.id.to_string());
}

/// Two officers recording the same refund at once: one record, one audit.
pub async fn concurrent_refund_records_keep_one(store: Arc<dyn Store>) {
    let listing = one_listing(&*store, "R20042").await;
    store
        .create_deposit_account(
            &officer_ctx(T0),
            deposit_account("3206000001", listing.id, "app-1"),
        )
        .await
        .unwrap();
    store
        .record_bank_transaction(
            &bank_ctx(T0 + 1),
            bank_txn("BK-1", "3206000001", 500, T0 + 1),
        )
        .await
        .unwrap();
    store
        .set_bank_transaction_outcome(&bank_ctx(T0 + 2), "BK-1", BankTxnOutcome::Credited, None)
        .await
        .unwrap();
    let before = audit_total(&*store).await;
    let results = run_concurrently(8, |i| {
        let store = store.clone();
        async move {
            store
                .record_deposit_refund(
                    &officer_ctx(T0 + 3),
                    refund("BK-1", T0 + DAY, &format!("R-{i}"), T0 + 3),
                )
                .await
        }
    })
    .await;
    let ok: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(ok.len(), 1, "{results:?}");
    for r in &results {
        if let Err(e) = r {
            assert!(
                matches!(e, StoreError::Conflict { field: "status" }),
                "{e:?}"
            );
        }
    }
    assert_eq!(
        store.deposit_refunds(listing.id).await.unwrap(),
        vec![ok[0].clone()]
    );
    assert_eq!(audit_total(&*store).await, before + 1);
    assert_chain(&*store).await;
}

// ---------------------------------------------------------------------------
// The change feed

/// How long a test waits for a notice that must come.
const NOTICE_WAIT: std::time::Duration = std::time::Duration::from_secs(10);

/// The next notice of `feed`, failing the test when none comes in time.
async fn next_notice(feed: &mut Box<dyn AppendFeed>) -> AppendNotice {
    tokio::time::timeout(NOTICE_WAIT, feed.next())
        .await
        .expect("no append notice came")
        .expect("the append feed failed")
}

/// A subscriber hears `Appended { listing, head_seq }` once a batch that
/// grows a log commits — the entries are readable by then — and nothing
/// for a refused batch, a stale part or a part without entries. Every
/// subscription hears every commit.
pub async fn append_feed_announces_commits(store: Arc<dyn Store>) {
    let a = one_listing(&*store, "R20042").await;
    let b = one_listing(&*store, "U20041").await;
    let mut feed = store.subscribe_appends().await.unwrap();
    let mut second = store.subscribe_appends().await.unwrap();

    let a1 = entries_after(&LogHead::empty(), &bids(0, 3));
    append_one(&*store, ListingAppend::entries(a.id, 0, a1.clone())).await;
    let notice = next_notice(&mut feed).await;
    assert_eq!(
        notice,
        AppendNotice::Appended {
            listing_id: a.id,
            head_seq: 3
        }
    );
    assert_eq!(next_notice(&mut second).await, notice);
    // On the notice, the entries are there to read.
    assert_eq!(store.events(a.id, 0, 100).await.unwrap(), a1);

    // Refused batches, a stale part and a part with no entries announce
    // nothing: the next notice is the good append that follows them.
    let mut broken = ListingAppend::entries(a.id, 3, entries_after(&head_of(&a1), &bids(3, 2)));
    broken.entries[1].prev_hash = "e".repeat(64);
    let b_first = || ListingAppend::entries(b.id, 0, entries_after(&LogHead::empty(), &bids(9, 1)));
    expect_corrupt(store.append_events(vec![b_first(), broken]).await);
    let ghost = ListingAppend::entries(
        Uuid::now_v7(),
        0,
        entries_after(&LogHead::empty(), &bids(0, 1)),
    );
    expect_not_found(store.append_events(vec![b_first(), ghost]).await);
    let stale = ListingAppend::entries(a.id, 1, entries_after(&head_of(&a1[..1]), &bids(5, 1)));
    assert_eq!(
        append_one(&*store, stale).await,
        AppendOutcome::Stale { head_seq: 3 }
    );
    let summary_only = ListingAppend {
        summary_json: Some("{\"bids\":3}".to_owned()),
        ..ListingAppend::entries(a.id, 3, vec![])
    };
    assert_eq!(
        append_one(&*store, summary_only).await,
        AppendOutcome::Appended { head_seq: 3 }
    );
    append_one(
        &*store,
        ListingAppend::entries(b.id, 0, entries_after(&LogHead::empty(), &bids(20, 2))),
    )
    .await;
    let expected = AppendNotice::Appended {
        listing_id: b.id,
        head_seq: 2,
    };
    assert_eq!(next_notice(&mut feed).await, expected);
    assert_eq!(next_notice(&mut second).await, expected);

    // A batch over two listings announces each; a part that is stale in
    // it announces nothing.
    let a2 = entries_after(&head_of(&a1), &bids(30, 2));
    let b_head = store.head(b.id).await.unwrap().unwrap();
    let outcomes = store
        .append_events(vec![
            ListingAppend::entries(a.id, 3, a2),
            ListingAppend::entries(b.id, b_head.seq, entries_after(&b_head, &bids(40, 4))),
            ListingAppend::entries(b.id, 0, entries_after(&LogHead::empty(), &bids(50, 1))),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            AppendOutcome::Appended { head_seq: 5 },
            AppendOutcome::Appended { head_seq: 6 },
            AppendOutcome::Stale { head_seq: 6 },
        ]
    );
    let heard: BTreeSet<(Uuid, i64)> = [next_notice(&mut feed).await, next_notice(&mut feed).await]
        .into_iter()
        .map(|notice| match notice {
            AppendNotice::Appended {
                listing_id,
                head_seq,
            } => (listing_id, head_seq),
            AppendNotice::Lost => panic!("a notice was lost"),
        })
        .collect();
    assert_eq!(heard, BTreeSet::from([(a.id, 5), (b.id, 6)]));

    // A subscription made after a commit does not hear it.
    let mut late = store.subscribe_appends().await.unwrap();
    append_one(
        &*store,
        ListingAppend::entries(
            a.id,
            5,
            entries_after(&store.head(a.id).await.unwrap().unwrap(), &bids(60, 1)),
        ),
    )
    .await;
    assert_eq!(
        next_notice(&mut late).await,
        AppendNotice::Appended {
            listing_id: a.id,
            head_seq: 6
        }
    );
}

/// Two stores on one database, as two server processes have: a
/// subscriber on each hears the appends committed through the other. Only
/// backends whose feed crosses processes (PostgreSQL) call this.
pub async fn append_feed_crosses_stores(stores: Vec<Arc<dyn Store>>) {
    assert!(stores.len() >= 2, "needs at least two stores");
    let listing = one_listing(&*stores[0], "R20042").await;
    let mut feeds = Vec::new();
    for store in &stores {
        feeds.push(store.subscribe_appends().await.unwrap());
    }
    let mut head = LogHead::empty();
    for (i, writer) in stores.iter().enumerate() {
        let entries = entries_after(&head, &bids(10 * i as i64, 2));
        let part = ListingAppend::entries(listing.id, head.seq, entries.clone());
        assert_eq!(
            append_one(&**writer, part).await,
            AppendOutcome::Appended {
                head_seq: head.seq + 2
            }
        );
        head = head_of(&entries);
        for (j, feed) in feeds.iter_mut().enumerate() {
            assert_eq!(
                next_notice(feed).await,
                AppendNotice::Appended {
                    listing_id: listing.id,
                    head_seq: head.seq
                },
                "store {j} did not hear store {i}'s append"
            );
            // The reader finds the entries on its own store.
            let read = stores[j]
                .events(listing.id, head.seq - 2, 10)
                .await
                .unwrap();
            assert_eq!(read, entries);
        }
    }
    // A refused batch on one store announces nothing anywhere.
    let mut broken =
        ListingAppend::entries(listing.id, head.seq, entries_after(&head, &bids(90, 2)));
    broken.entries[1].prev_hash = "e".repeat(64);
    expect_corrupt(stores[1].append_events(vec![broken]).await);
    let entries = entries_after(&head, &bids(100, 1));
    append_one(
        &*stores[0],
        ListingAppend::entries(listing.id, head.seq, entries),
    )
    .await;
    for feed in &mut feeds {
        assert_eq!(
            next_notice(feed).await,
            AppendNotice::Appended {
                listing_id: listing.id,
                head_seq: head.seq + 1
            }
        );
    }
}

// ---------------------------------------------------------------------------
// Idempotent requests

/// A bidder account, for the idempotency keys' owner.
async fn bidder_account(store: &dyn Store, credit_code: &str, username: &str) -> Uuid {
    let (_, user) = store
        .register_enterprise(
            &public_ctx(T0),
            super::new_enterprise("幂等公司", credit_code),
            super::new_user(username, username, yiwang_core::Role::Bidder),
        )
        .await
        .unwrap();
    user.id
}

/// Claim, wait, answer, release, expire and purge: the life of a key. None
/// of it is audited.
pub async fn idempotent_requests_keep_the_first_answer(store: Arc<dyn Store>) {
    let alice = bidder_account(&*store, "91320600000000011L", "alice").await;
    let bob = bidder_account(&*store, "91320600000000012M", "bob").await;
    let audited = audit_total(&*store).await;
    let until = T0 + 10 * MINUTE;

    // Claimed once; while unanswered, a repeat is pending.
    assert_eq!(
        store.claim_request(alice, "k1", T0, until).await.unwrap(),
        RequestClaim::Claimed
    );
    assert_eq!(
        store
            .claim_request(alice, "k1", T0 + 1, until)
            .await
            .unwrap(),
        RequestClaim::Pending
    );
    // Keys belong to an account: bob's k1 is another key.
    assert_eq!(
        store.claim_request(bob, "k1", T0 + 1, until).await.unwrap(),
        RequestClaim::Claimed
    );
    // Answered: every later claim gets the first answer, and a second
    // answer is refused.
    store
        .answer_request(alice, "k1", "{\"seq\":7}", T0 + 2, until)
        .await
        .unwrap();
    for at in [T0 + 3, T0 + 4] {
        assert_eq!(
            store.claim_request(alice, "k1", at, until).await.unwrap(),
            RequestClaim::Answered("{\"seq\":7}".to_owned())
        );
    }
    expect_conflict(
        store
            .answer_request(alice, "k1", "{\"seq\":8}", T0 + 5, until)
            .await,
        "key",
    );
    // Releasing an answered key leaves it answered.
    store.release_request(alice, "k1").await.unwrap();
    assert_eq!(
        store
            .claim_request(alice, "k1", T0 + 6, until)
            .await
            .unwrap(),
        RequestClaim::Answered("{\"seq\":7}".to_owned())
    );
    // Answering a key nobody claimed is refused.
    expect_conflict(
        store
            .answer_request(alice, "never", "{}", T0 + 6, until)
            .await,
        "key",
    );

    // Released without an answer: the next request acts.
    assert_eq!(
        store.claim_request(alice, "k2", T0, until).await.unwrap(),
        RequestClaim::Claimed
    );
    store.release_request(alice, "k2").await.unwrap();
    expect_conflict(
        store.answer_request(alice, "k2", "{}", T0 + 1, until).await,
        "key",
    );
    assert_eq!(
        store
            .claim_request(alice, "k2", T0 + 2, until)
            .await
            .unwrap(),
        RequestClaim::Claimed
    );

    // An expired claim is free again at `expires_at` exactly, not before,
    // answered or not.
    assert_eq!(
        store
            .claim_request(alice, "k3", T0, T0 + MINUTE)
            .await
            .unwrap(),
        RequestClaim::Claimed
    );
    assert_eq!(
        store
            .claim_request(alice, "k3", T0 + MINUTE - 1, until)
            .await
            .unwrap(),
        RequestClaim::Pending
    );
    assert_eq!(
        store
            .claim_request(alice, "k3", T0 + MINUTE, until)
            .await
            .unwrap(),
        RequestClaim::Claimed
    );
    assert_eq!(
        store
            .claim_request(bob, "k4", T0, T0 + MINUTE)
            .await
            .unwrap(),
        RequestClaim::Claimed
    );
    store
        .answer_request(bob, "k4", "old", T0 + 1, T0 + MINUTE)
        .await
        .unwrap();
    assert_eq!(
        store
            .claim_request(bob, "k4", T0 + MINUTE, until)
            .await
            .unwrap(),
        RequestClaim::Claimed
    );
    store
        .answer_request(bob, "k4", "new", T0 + MINUTE, until)
        .await
        .unwrap();
    assert_eq!(
        store
            .claim_request(bob, "k4", T0 + MINUTE + 1, until)
            .await
            .unwrap(),
        RequestClaim::Answered("new".to_owned())
    );

    // A claim held for a short lease — the request may never be answered
    // if its process dies — while its answer is kept as long as the
    // answer says: the answer moves the expiry.
    assert_eq!(
        store
            .claim_request(bob, "k5", T0, T0 + MINUTE)
            .await
            .unwrap(),
        RequestClaim::Claimed
    );
    store
        .answer_request(bob, "k5", "kept", T0 + 1, until)
        .await
        .unwrap();
    assert_eq!(
        store
            .claim_request(bob, "k5", T0 + MINUTE, until)
            .await
            .unwrap(),
        RequestClaim::Answered("kept".to_owned())
    );

    // Purge: keys expiring at or before `now` go, answered or not; the
    // rest stay. Expiries now: alice k1, k2, k3 and bob k1, k4, k5 at `until`;
    // five keys expiring at T0 + 2 minutes join them.
    for i in 0..5 {
        let key = format!("short-{i}");
        assert_eq!(
            store
                .claim_request(alice, &key, T0, T0 + 2 * MINUTE)
                .await
                .unwrap(),
            RequestClaim::Claimed
        );
        if i % 2 == 0 {
            store
                .answer_request(alice, &key, "done", T0 + 1, T0 + 2 * MINUTE)
                .await
                .unwrap();
        }
    }
    assert_eq!(store.purge_requests(T0 + 2 * MINUTE - 1).await.unwrap(), 0);
    assert_eq!(store.purge_requests(T0 + 2 * MINUTE).await.unwrap(), 5);
    assert_eq!(store.purge_requests(T0 + 2 * MINUTE).await.unwrap(), 0);
    assert_eq!(
        store
            .claim_request(alice, "short-0", T0 + 2 * MINUTE, until)
            .await
            .unwrap(),
        RequestClaim::Claimed
    );
    assert_eq!(
        store
            .claim_request(alice, "k1", T0 + 2 * MINUTE, until)
            .await
            .unwrap(),
        RequestClaim::Answered("{\"seq\":7}".to_owned())
    );
    assert_eq!(store.purge_requests(until).await.unwrap(), 7);
    // A purged answer is gone: the key acts again, and answering the old
    // claim is refused.
    expect_conflict(
        store
            .answer_request(alice, "k3", "{}", until, until + MINUTE)
            .await,
        "key",
    );
    assert_eq!(
        store
            .claim_request(alice, "k1", until, until + MINUTE)
            .await
            .unwrap(),
        RequestClaim::Claimed
    );

    assert_eq!(
        audit_total(&*store).await,
        audited,
        "bookkeeping was audited"
    );
}

/// Twenty requests with one key racing: exactly one is claimed, the others
/// wait; once it is answered, twenty more all get that answer.
pub async fn racing_claims_claim_once(store: Arc<dyn Store>) {
    let alice = bidder_account(&*store, "91320600000000013N", "racer").await;
    let until = T0 + 10 * MINUTE;
    let claim_all = |at: i64, until: i64| {
        run_concurrently(20, {
            let store = store.clone();
            move |_| {
                let store = store.clone();
                async move {
                    store
                        .claim_request(alice, "the-key", at, until)
                        .await
                        .unwrap()
                }
            }
        })
    };
    let claims = claim_all(T0, until).await;
    let claimed = claims
        .iter()
        .filter(|c| **c == RequestClaim::Claimed)
        .count();
    assert_eq!(claimed, 1, "claims: {claims:?}");
    assert!(claims
        .iter()
        .all(|c| matches!(c, RequestClaim::Claimed | RequestClaim::Pending)));
    store
        .answer_request(alice, "the-key", "first", T0 + 1, until)
        .await
        .unwrap();
    let claims = claim_all(T0 + 2, until).await;
    assert!(
        claims
            .iter()
            .all(|c| *c == RequestClaim::Answered("first".to_owned())),
        "claims: {claims:?}"
    );
    // After expiry the race starts afresh, and again one wins.
    let claims = claim_all(until, until + 10 * MINUTE).await;
    assert_eq!(
        claims
            .iter()
            .filter(|c| **c == RequestClaim::Claimed)
            .count(),
        1,
        "claims: {claims:?}"
    );
}
