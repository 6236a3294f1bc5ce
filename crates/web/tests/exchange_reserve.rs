//! The sealed reserve (rules §5, issue 3 item 9): officers set it before the
//! lock; its opening is kept so that a restarted desk decides with it; and
//! nothing — no page, API response, export, stored public text, event
//! payload, audit detail or log line — shows it to anyone but the officers
//! on their listing page.

mod common;

use std::io::Write;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use common::exchange::{app, bank, enterprise, listing, SECRET};
use common::{Answer, TestApp, CSRF};
use futures_util::StreamExt;
use tower::ServiceExt;
use uuid::Uuid;
use yiwang_core::{Money, Role, Timestamp};
use yiwang_exchange::engine::{Action, Event, FailReason, Outcome, Party, Verdict};
use yiwang_store::exchange::SecretKind;
use yiwang_web::exchange::desk::Desk;

/// The reserve the tests set, and every way it could be written.
const RESERVE: &str = "19876.54";
const RESERVE_FORMS: &[&str] = &["19876.54", "1987654", "19,876.54", "1.987654"];

// ---------------------------------------------------------------------------
// Log capture: one subscriber for the whole test binary, writing to a buffer.

#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Every log line written by any test of this binary, at every level.
fn captured_logs() -> &'static Captured {
    static LOGS: OnceLock<Captured> = OnceLock::new();
    LOGS.get_or_init(|| {
        let logs = Captured::default();
        let writer = logs.clone();
        tracing_subscriber::fmt()
            .with_max_level(tracing_subscriber::filter::LevelFilter::TRACE)
            .with_ansi(false)
            .with_writer(move || writer.clone())
            .try_init()
            .expect("the only subscriber of this test binary");
        logs
    })
}

fn logs_text() -> String {
    String::from_utf8_lossy(&captured_logs().0.lock().unwrap()).into_owned()
}

// ---------------------------------------------------------------------------
// Helpers

/// Where `text` shows the reserve in one of its forms, as a number of its
/// own (not a run of digits inside a longer number or a hex digest).
fn reserve_in(text: &str) -> Option<&'static str> {
    RESERVE_FORMS.iter().copied().find(|form| {
        text.match_indices(form).any(|(at, _)| {
            let before = text[..at].chars().next_back();
            let after = text[at + form.len()..].chars().next();
            let part_of_number = |c: Option<char>| {
                c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '.' || c == ',')
            };
            !part_of_number(before) && !part_of_number(after)
        })
    })
}

fn account_no(page: &str) -> String {
    let label = "保证金账号</dt><dd>";
    let at = page.find(label).expect("an account number on the page") + label.len();
    page[at..at + 20].to_owned()
}

async fn officer(app: &TestApp, name: &str) -> String {
    let user = app.user(name, Role::ExchangeOfficer).await;
    app.session_for(&user).await
}

async fn set_reserve(app: &TestApp, id: Uuid, amount: &str, session: &str) -> Answer {
    app.post_form(
        &format!("/exchange/admin/listings/{id}/reserve"),
        &[("reserve", amount)],
        Some(session),
    )
    .await
}

/// An enterprise applies, pays the whole deposit and qualifies; returns its
/// credit code and session.
async fn qualified(app: &TestApp, id: Uuid, name: &str, txn: &str) -> (String, String) {
    let (_, code, s) = enterprise(app, name).await;
    let applied = app
        .post_form(&format!("/exchange/listings/{id}/apply"), &[], Some(&s))
        .await;
    assert_eq!(applied.status, StatusCode::SEE_OTHER, "{}", applied.body);
    let account = account_no(&app.get(&format!("/exchange/my/{id}"), Some(&s)).await.body);
    let paid = bank(
        app,
        serde_json::json!({"txn_id": txn, "account_no": account, "amount": "2326300000",
            "payer_name": format!("{name} 有限公司"), "payer_account": "6222000011112222"}),
        0,
        SECRET,
    )
    .await;
    assert_eq!(paid.json()["outcome"], "credited", "{}", paid.body);
    (code, s)
}

// ---------------------------------------------------------------------------

/// An officer sets the reserve; bad amounts and the lock are refused in
/// Chinese; a desk that starts afresh from the database (a restart, or
/// another server) still knows the reserve and decides `below_reserve`.
#[tokio::test]
async fn officers_set_the_reserve_and_a_restarted_desk_decides_with_it() {
    captured_logs();
    let app = app().await;
    let id = listing(&app).await;
    let officer1 = app.user("officer1", Role::ExchangeOfficer).await;
    let o = app.session_for(&officer1).await;

    // The listing opened without a reserve, and that opening is kept.
    let page = app
        .get(&format!("/exchange/admin/listings/{id}"), Some(&o))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("不设底价") && page.body.contains("设置底价"));
    assert!(page.body.contains("2026年12月10日 10:30"), "the lock time");
    let kept = app.store.listing_secrets(id).await.unwrap();
    assert_eq!(kept.len(), 1);
    assert_eq!(kept[0].kind, SecretKind::Reserve);

    for (bad, message) in [
        ("1.234", "最多 2 位小数"),
        ("-5", "正负号"),
        ("19,876.54", "千分位"),
        ("abc", "无效"),
    ] {
        let refused = set_reserve(&app, id, bad, &o).await;
        assert_eq!(refused.status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(
            refused.body.contains("底价有误") && refused.body.contains(message),
            "{bad}: {}",
            refused.body
        );
    }
    assert_eq!(app.store.listing_secrets(id).await.unwrap().len(), 1);

    let set = set_reserve(&app, id, RESERVE, &o).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    assert_eq!(
        set.location(),
        Some(format!("/exchange/admin/listings/{id}#reserve").as_str())
    );
    let page = app
        .get(&format!("/exchange/admin/listings/{id}"), Some(&o))
        .await;
    assert!(page.body.contains("19,876.54 元/平方米"), "{}", page.body);

    // Kept under the new commitment, audited without the amount.
    let kept = app.store.listing_secrets(id).await.unwrap();
    assert_eq!(kept.len(), 2);
    let commitment = app
        .state
        .desk
        .view(id, |l| l.state().reserve().commitment().to_hex())
        .await
        .unwrap();
    let new = kept
        .iter()
        .find(|k| k.key == commitment)
        .expect("kept under its commitment");
    assert!(new.created_by.is_some());
    let audit = app
        .store
        .audit_query(
            &yiwang_store::AuditQuery {
                action: Some("listing.secret_kept".into()),
                ..Default::default()
            },
            yiwang_store::Page::number(1, 10),
        )
        .await
        .unwrap();
    assert_eq!(audit.total, 2);
    assert!(audit.items[0].detail.contains(&commitment));
    assert_eq!(audit.items[0].actor_name, "officer1");

    // A bidder qualifies and bids below the reserve.
    let (code, _) = qualified(&app, id, "jianghai", "T1").await;
    let bid = app
        .state
        .desk
        .act(
            id,
            &Action::Bid {
                party: Party::parse(&code).unwrap(),
                price: Money::parse_yuan("19000").unwrap(),
            },
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(bid.verdict, Verdict::Accepted);

    // At the lock the form is gone and a change is refused.
    app.clock
        .set(Timestamp::parse_rfc3339("2026-12-10T10:30:00+08:00").unwrap());
    // Sessions last an hour: a new one.
    let o = app.session_for(&officer1).await;
    let locked = set_reserve(&app, id, "100", &o).await;
    assert_eq!(locked.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        locked.body.contains("已过底价调整截止时间"),
        "{}",
        locked.body
    );
    let page = app
        .get(&format!("/exchange/admin/listings/{id}"), Some(&o))
        .await;
    assert!(page.body.contains("底价已锁定") && !page.body.contains("<input name=\"reserve\""));
    assert!(page.body.contains("19,876.54 元/平方米"));
    assert_eq!(app.store.listing_secrets(id).await.unwrap().len(), 2);

    // A desk that knows nothing but the database decides the result.
    app.clock
        .set(Timestamp::parse_rfc3339("2026-12-11T11:00:00+08:00").unwrap());
    let restarted = Desk::new(app.store.clone(), Arc::new(app.clock.clone()));
    let mut written = restarted.tick(id).await.unwrap();
    app.clock.advance_secs(24 * 3600);
    written.extend(restarted.tick(id).await.unwrap());
    let decided = written
        .iter()
        .find_map(|e| match &e.payload {
            Event::Decided(d) => Some(d.clone()),
            _ => None,
        })
        .expect("the result is decided");
    assert_eq!(
        decided.result,
        Outcome::Failed {
            reason: FailReason::BelowReserve
        }
    );
    assert_eq!(decided.reserve.value, Some(Money::from_fen(1_987_654)));
    // The first desk catches up from the log.
    let outcome = app
        .state
        .desk
        .view(id, |l| l.decision().map(|(_, d)| d.result.clone()))
        .await
        .unwrap();
    assert_eq!(
        outcome,
        Some(Outcome::Failed {
            reason: FailReason::BelowReserve
        })
    );
    let o = app.session_for(&officer1).await;
    let closed = set_reserve(&app, id, "100", &o).await;
    assert!(closed.body.contains("本宗地交易已结束"), "{}", closed.body);
}

/// A desk refuses a kept opening that does not open its commitment.
#[tokio::test]
async fn a_desk_refuses_an_opening_that_does_not_match() {
    captured_logs();
    let app = app().await;
    let id = listing(&app).await;
    let o = officer(&app, "officer1").await;
    assert_eq!(
        set_reserve(&app, id, RESERVE, &o).await.status,
        StatusCode::SEE_OTHER
    );
    let mut kept = app
        .store
        .listing_secrets(id)
        .await
        .unwrap()
        .into_iter()
        .find(|k| k.opening_json.contains(RESERVE))
        .unwrap();
    let listing = yiwang_exchange::Listing::new(
        yiwang_exchange::scenario::Scenario::parse(common::exchange::RULES)
            .unwrap()
            .rules
            .without_secrets(),
    )
    .unwrap();
    // The rules' own reserve is not the one in force: nothing to open.
    kept.opening_json = kept.opening_json.replace("19876.54", "19876.55");
    let mut engine = listing.clone();
    yiwang_web::exchange::desk::reattach(&mut engine, &[kept.clone()]).unwrap();
    // Filed under the rules' commitment, a wrong opening is refused.
    kept.key = listing.state().reserve().commitment().to_hex();
    let mut engine = listing;
    let err = yiwang_web::exchange::desk::reattach(&mut engine, &[kept])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("does not open") && reserve_in(&err).is_none(),
        "{err}"
    );
}

// ---------------------------------------------------------------------------
// The leak test

const SEED_60: &str = include_str!("../../exchange/tests/data/seed_notice_60_tables.tsv");

/// 第60号 with its windows in December 2026, published through the
/// officer's pages (real rules and summaries in the listing row).
async fn publish_seed_60(app: &TestApp, s: &str) -> Uuid {
    let tables = SEED_60.replace(
        "2020年12月29日起,2021年1月6日上午11时止",
        "2026年12月16日起,2026年12月29日上午11时止",
    );
    let tables = tables.replace(
        "2020年12月29日起,2021年1月8日上午11时止",
        "2026年12月16日起,2026年12月31日上午11时止",
    );
    let created = app
        .post_form(
            "/exchange/officer/notices",
            &[
                ("number", "通自然资规告出网(2020)第60号"),
                ("title", "南通市市区国有建设用地使用权出让公告"),
                ("issuer", "南通市自然资源和规划局"),
                ("preamble", ""),
            ],
            Some(s),
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let id: Uuid = created
        .location()
        .unwrap()
        .trim_start_matches("/exchange/officer/notices/")
        .split(['?', '/'])
        .next()
        .unwrap()
        .parse()
        .unwrap();
    for path in ["import", "publish"] {
        let version = app.store.notice(id).await.unwrap().unwrap().version;
        let mut fields = vec![("version", version.to_string())];
        if path == "import" {
            fields.push(("text", tables.clone()));
        }
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let a = app
            .post_form(
                &format!("/exchange/officer/notices/{id}/{path}"),
                &fields,
                Some(s),
            )
            .await;
        assert_eq!(a.status, StatusCode::SEE_OTHER, "{path}: {}", a.body);
    }
    id
}

/// GETs `path` and reads the body for at most a moment (event streams
/// never end).
async fn get_bounded(app: &TestApp, path: &str, session: Option<&str>) -> Answer {
    let cookies = match session {
        Some(s) => format!("yiwang_csrf={CSRF}; yiwang_session={s}"),
        None => format!("yiwang_csrf={CSRF}"),
    };
    let req = Request::get(path)
        .header(header::COOKIE, cookies)
        .body(Body::empty())
        .unwrap();
    let resp = app.router.clone().oneshot(req).await.unwrap();
    let status = resp.status();
    let headers = resp.headers().clone();
    let mut stream = resp.into_body().into_data_stream();
    let mut bytes = Vec::new();
    while let Ok(Some(chunk)) =
        tokio::time::timeout(Duration::from_millis(150), stream.next()).await
    {
        match chunk {
            Ok(chunk) => bytes.extend_from_slice(&chunk),
            Err(_) => break,
        }
    }
    let xlsx = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("spreadsheetml"));
    let body = if xlsx {
        xlsx_text(&bytes)
    } else {
        String::from_utf8_lossy(&bytes).into_owned()
    };
    Answer {
        status,
        headers,
        body,
    }
}

/// Every cell of every sheet of a workbook, as text.
fn xlsx_text(bytes: &[u8]) -> String {
    use calamine::{Reader, Xlsx};
    let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
    let mut out = String::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).unwrap();
        for row in range.rows() {
            for cell in row {
                out.push_str(&cell.to_string());
                out.push('\t');
            }
            out.push('\n');
        }
    }
    out
}

/// Sets a distinctive reserve on two listings (one published through the
/// officer's pages, one with applications and deposits), then renders
/// every GET route of the application with every id as every role and
/// anonymously, and reads every stored public text, event payload, audit
/// detail and log line: the reserve appears only on the officers' listing
/// page, to exchange officers.
#[tokio::test]
async fn the_reserve_never_leaks() {
    captured_logs();
    let app = app().await;
    let o = officer(&app, "officer1").await;

    // Listing 1: applications, deposits, a refund, a bid.
    let taking_part = listing(&app).await;
    let (code, applicant) = qualified(&app, taking_part, "jianghai", "T1").await;
    let (_, _, late) = enterprise(&app, "haohe").await;
    app.post_form(
        &format!("/exchange/listings/{taking_part}/apply"),
        &[],
        Some(&late),
    )
    .await;
    let account = account_no(
        &app.get(&format!("/exchange/my/{taking_part}"), Some(&late))
            .await
            .body,
    );
    let short = bank(
        &app,
        serde_json::json!({"txn_id": "T2", "account_no": account, "amount": "100",
            "payer_name": "haohe 有限公司", "payer_account": "1"}),
        0,
        SECRET,
    )
    .await;
    assert_eq!(short.status, StatusCode::OK, "{}", short.body);
    let taking_part_notice = app
        .store
        .listing(taking_part)
        .await
        .unwrap()
        .unwrap()
        .notice_id;

    // Listing 2: published through the pages.
    let seed_notice = publish_seed_60(&app, &o).await;
    let seed_listing = app
        .store
        .listing_by_code("U20041")
        .await
        .unwrap()
        .unwrap()
        .id;

    for id in [taking_part, seed_listing] {
        let set = set_reserve(&app, id, RESERVE, &o).await;
        assert_eq!(set.status, StatusCode::SEE_OTHER, "{}", set.body);
    }
    // Changed once more on one listing: both values stay secret.
    let set = set_reserve(&app, seed_listing, "100", &o).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    let set = set_reserve(&app, seed_listing, RESERVE, &o).await;
    assert_eq!(set.status, StatusCode::SEE_OTHER);
    let bid = app
        .state
        .desk
        .act(
            taking_part,
            &Action::Bid {
                party: Party::parse(&code).unwrap(),
                price: Money::parse_yuan("18480").unwrap(),
            },
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(bid.verdict, Verdict::Accepted);

    // Every role, and nobody.
    let mut viewers: Vec<(String, Option<Role>, Option<String>)> =
        vec![("anonymous".into(), None, None)];
    for (i, role) in Role::ALL.into_iter().enumerate() {
        let user = app.user(&format!("viewer{i}"), role).await;
        let session = app.session_for(&user).await;
        viewers.push((format!("{role:?}"), Some(role), Some(session)));
    }
    // The bidder who applied sees its own pages too.
    viewers.push(("applicant".into(), Some(Role::Bidder), Some(applicant)));

    let (_, specs) = yiwang_web::routes(app.state.clone()).into_parts();
    let ids = [taking_part, seed_listing, taking_part_notice, seed_notice];
    let mut paths = Vec::new();
    for spec in specs.iter().filter(|s| s.method.as_str() == "GET") {
        let pattern = spec.path;
        if pattern.contains("{id}") {
            for id in ids {
                paths.push((pattern, pattern.replace("{id}", &id.to_string())));
            }
        } else {
            paths.push((pattern, pattern.replace("{*path}", "app.css")));
        }
    }
    assert!(paths.len() > 40, "{} paths", paths.len());

    let mut seen_by_officer = 0;
    let mut rendered = 0;
    let mut ok = 0;
    let mut failures = Vec::new();
    for (pattern, path) in &paths {
        for (who, role, session) in &viewers {
            let answer = get_bounded(&app, path, session.as_deref()).await;
            rendered += 1;
            if answer.status == StatusCode::OK {
                ok += 1;
            }
            let allowed_here = pattern == &"/exchange/admin/listings/{id}"
                && *role == Some(Role::ExchangeOfficer)
                && answer.status == StatusCode::OK;
            match reserve_in(&answer.body) {
                Some(_) if allowed_here => seen_by_officer += 1,
                Some(form) => failures.push(format!("{path} as {who}: {form}")),
                None => {}
            }
            for (name, value) in &answer.headers {
                if let Some(form) = reserve_in(value.to_str().unwrap_or_default()) {
                    failures.push(format!("{path} as {who}: header {name}: {form}"));
                }
            }
        }
    }
    // The officer page shows it, for both listings: the check can see it.
    assert_eq!(seen_by_officer, 2, "the officer page shows the reserve");
    assert!(
        failures.is_empty(),
        "the reserve leaked:\n{}",
        failures.join("\n")
    );
    assert!(rendered > 300 && ok > 100, "{rendered} responses, {ok} OK");

    // Stored public texts and the event log.
    for id in [taking_part, seed_listing] {
        let row = app.store.listing(id).await.unwrap().unwrap();
        for (what, text) in [
            ("rules_json", &row.rules_json),
            ("summary_json", &row.summary_json),
        ] {
            assert!(reserve_in(text).is_none(), "{what}: {text}");
        }
        let events = app.store.events(id, 0, 10_000).await.unwrap();
        assert!(events.iter().any(|e| e.kind == "reserve_set"));
        for e in &events {
            assert!(
                reserve_in(&e.payload).is_none(),
                "event {}: {}",
                e.seq,
                e.payload
            );
        }
    }
    // The audit log, every field.
    let records = app.store.audit_after(0, 100_000).await.unwrap();
    assert!(records.iter().any(|r| r.action == "listing.secret_kept"));
    for r in &records {
        let text = format!("{r:?}");
        assert!(reserve_in(&text).is_none(), "audit {}: {text}", r.seq);
    }
    // Every log line, at every level.
    let logs = logs_text();
    assert!(!logs.is_empty(), "the log capture works");
    for line in logs.lines() {
        assert!(reserve_in(line).is_none(), "log line: {line}");
    }

    // After the result the reserve is public: the decided event reveals it.
    app.clock
        .set(Timestamp::parse_rfc3339("2026-12-12T11:00:00+08:00").unwrap());
    app.state.desk.tick(taking_part).await.unwrap();
    app.clock.advance_secs(24 * 3600);
    app.state.desk.tick(taking_part).await.unwrap();
    let events = app.store.events(taking_part, 0, 10_000).await.unwrap();
    let decided = events.iter().find(|e| e.kind == "decided").unwrap();
    assert!(
        reserve_in(&decided.payload).is_some(),
        "{}",
        decided.payload
    );
}
