//! `yiwang exchange …`: tools for the land exchange's trading rules and its
//! event log, all but `export` usable without a server or a database.
//!
//! - `simulate` dry-runs a scenario and prints the outcome;
//! - `log` runs a scenario the same way and writes the listing's event log
//!   as JSON lines, so that anyone can produce a log offline;
//! - `export` writes a real listing's event log from the database, as JSON
//!   lines in the same format, so that it can be published or archived;
//! - `verify` checks a log's hash chain and re-runs the listing from it,
//!   so that anyone holding a published log can check the outcome without
//!   trusting the exchange.
//!
//! The verdict of `verify` is the library's ([`yiwang_exchange::log::verify_jsonl`]);
//! this module only explains it in Chinese. Exit status: 0 the log
//! verifies, 1 the log is damaged or contradicts the rules (the first
//! problem is named by its entry's sequence number), 2 the input is not a
//! log at all (the line and field are named).

use clap::Subcommand;
use serde_json::{json, Value};
use std::io::{Read, Write};
use std::process::ExitCode;
use yiwang_core::{Money, Timestamp};
use yiwang_exchange::engine::{
    ApplyError, Decision, EngineError, FailReason, FollowOn, ListingRules, ListingState, Outcome,
    Phase, PriceBasis, QuantityUnit,
};
use yiwang_exchange::log::{
    self, BrokenLink, DecodeError, DecodeProblem, Derived, JsonlVerifyError, Rerun, Verified,
    VerifyError,
};
use yiwang_exchange::scenario::Scenario;

#[derive(Debug, Subcommand)]
pub enum ExchangeAction {
    /// Runs a scenario (spec/scenario-format.md) on a virtual clock and
    /// prints the outcome as JSON.
    Simulate {
        /// The scenario file.
        file: String,
    },
    /// Runs a scenario exactly as `simulate` does and writes the listing's
    /// event log as JSON lines to standard output.
    Log {
        /// The scenario file.
        file: String,
    },
    /// Writes a listing's event log from the database as JSON lines, the
    /// format `verify` reads, to standard output or to a file.
    Export {
        /// The listing's code (e.g. U20041) or id.
        listing: String,
        /// Write the log to this file instead of standard output.
        #[arg(long)]
        out: Option<String>,
        #[command(flatten)]
        db: crate::DbArgs,
    },
    /// Checks an event log (JSON lines) offline: its hash chain, then a
    /// re-run of every entry through the trading rules; prints the result.
    Verify {
        /// The log file, or `-` for standard input.
        file: String,
        /// Print the report as JSON.
        #[arg(long)]
        json: bool,
    },
}

/// Runs an action; `config_file` is the `--config` given, for `export`.
pub fn run(action: ExchangeAction, config_file: Option<&str>) -> anyhow::Result<ExitCode> {
    match action {
        ExchangeAction::Export { listing, out, db } => {
            let config = crate::load_config(config_file, Some(&db))?;
            tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()?
                .block_on(export(&config.database_url, &listing, out.as_deref()))
        }
        ExchangeAction::Simulate { file } => {
            let input = read_scenario(&file)?;
            match yiwang_exchange::scenario::simulate(&input) {
                Ok(outcome) => {
                    println!("{}", serde_json::to_string(&outcome)?);
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{file}: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        ExchangeAction::Log { file } => {
            let input = read_scenario(&file)?;
            let run = Scenario::parse(&input).and_then(|s| Ok((s.opened_at(), s.run()?)));
            match run {
                Ok((opened_at, run)) => {
                    write_stdout(&log::to_jsonl(&run.log(opened_at)))?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    eprintln!("{file}: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        ExchangeAction::Verify { file, json } => verify(&file, json),
    }
}

/// How many entries `export` reads from the store at a time.
const EXPORT_PAGE: u32 = 5000;

/// `export`: the listing's stored entries, in order, as `log::to_jsonl`
/// writes them. The stored rows are the entries exactly (the desk chains
/// them with the log's own hash), so nothing is recomputed here: a log
/// that was tampered with in the database exports as it is, and `verify`
/// catches it.
async fn export(database_url: &str, listing: &str, out: Option<&str>) -> anyhow::Result<ExitCode> {
    let store = crate::store::open_existing(database_url).await?;
    let row = match uuid::Uuid::try_parse(listing) {
        Ok(id) => store.listing(id).await?,
        Err(_) => store.listing_by_code(listing).await?,
    };
    let Some(row) = row else {
        eprintln!("错误：挂牌项目“{listing}”不存在（请给出地块编号，例如 U20041，或挂牌项目 ID）");
        return Ok(ExitCode::from(1));
    };
    let mut entries = Vec::new();
    let mut after = 0;
    loop {
        let batch = store.events(row.id, after, EXPORT_PAGE).await?;
        for event in &batch {
            let entry = yiwang_web::exchange::desk::from_row(&row.code, event).map_err(|e| {
                anyhow::anyhow!(
                    "挂牌项目 {} 的第 {} 条日志无法读取：{e}",
                    row.code,
                    event.seq
                )
            })?;
            entries.push(entry);
        }
        match batch.last() {
            Some(last) if batch.len() == EXPORT_PAGE as usize => after = last.seq,
            _ => break,
        }
    }
    if entries.is_empty() {
        eprintln!("错误：挂牌项目 {} 尚无交易日志", row.code);
        return Ok(ExitCode::from(1));
    }
    let text = log::to_jsonl(&entries);
    match out {
        Some(path) => {
            std::fs::write(path, text).map_err(|e| anyhow::anyhow!("无法写入文件 {path}：{e}"))?;
            eprintln!(
                "已导出挂牌项目 {} 的交易日志：{} 条，写入 {path}",
                row.code,
                entries.len()
            );
        }
        None => write_stdout(&text)?,
    }
    Ok(ExitCode::SUCCESS)
}

fn read_scenario(file: &str) -> anyhow::Result<String> {
    std::fs::read_to_string(file).map_err(|e| anyhow::anyhow!("无法读取场景文件 {file}：{e}"))
}

/// Writes to standard output; a reader that went away (`| head`) is not an
/// error.
fn write_stdout(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => {
            Err(anyhow::anyhow!("无法写出日志：{e}"))
        }
        _ => Ok(()),
    }
}

fn verify(file: &str, as_json: bool) -> anyhow::Result<ExitCode> {
    let text = if file == "-" {
        let mut text = String::new();
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| anyhow::anyhow!("无法从标准输入读取日志：{e}"))?;
        text
    } else {
        std::fs::read_to_string(file)
            .map_err(|e| anyhow::anyhow!("无法读取日志文件 {file}：{e}"))?
    };
    match log::verify_jsonl(&text) {
        Ok(verified) => {
            if as_json {
                println!(
                    "{}",
                    serde_json::to_string_pretty(&verified_json(&verified))?
                );
            } else {
                print!("{}", verified_text(&verified));
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(JsonlVerifyError::Decode(e)) => {
            let message = decode_zh(&e);
            eprintln!("错误：{file} {message}");
            if as_json {
                let report = json!({
                    "status": "malformed",
                    "line": e.line,
                    "field": e.field,
                    "message": message,
                    "error": e.to_string(),
                });
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            Ok(ExitCode::from(2))
        }
        Err(JsonlVerifyError::Verify(VerifyError::Empty)) => {
            let message = "中没有任何日志条目";
            eprintln!("错误：{file} {message}");
            if as_json {
                let report = json!({
                    "status": "malformed",
                    "line": null,
                    "field": null,
                    "message": message,
                    "error": VerifyError::Empty.to_string(),
                });
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            Ok(ExitCode::from(2))
        }
        Err(JsonlVerifyError::Verify(error)) => {
            // The lines decoded (the chain or the re-run failed), so the
            // entries can be read again to say what the file holds.
            let entries = log::from_jsonl(&text).unwrap_or_default();
            let problem = Problem::of(&error);
            let listing = entries.first().map(|e| e.listing.as_str());
            if as_json {
                let report = json!({
                    "status": "failed",
                    "entries": entries.len(),
                    "listing": listing,
                    "problem": {
                        "seq": problem.seq,
                        "kind": problem.kind,
                        "message": problem.message,
                    },
                    "error": error.to_string(),
                });
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("事件日志校验未通过");
                println!("  日志条目：{} 条", entries.len());
                if let Some(code) = listing {
                    println!("  挂牌编号：{code}");
                }
                println!("  首个问题：{}", problem.message);
                match (problem.kind, problem.seq) {
                    ("diverges" | "replay" | "engine", Some(seq)) => println!(
                        "  哈希链完整，但第 {seq} 条不是交易规则所能得出的，该日志所载结果不可信。"
                    ),
                    (_, Some(seq)) if seq > 1 => println!(
                        "  第 {} 条及之前的条目链接完整；自第 {seq} 条起日志不可信。",
                        seq - 1
                    ),
                    _ => println!("  该日志不可信。"),
                }
            }
            Ok(ExitCode::from(1))
        }
    }
}

// ---------------------------------------------------------------------------
// A log that verified.

fn verified_text(v: &Verified) -> String {
    let rules = &v.rules;
    let mut out = String::new();
    let mut line = |s: String| {
        out.push_str(&s);
        out.push('\n');
    };
    line("事件日志校验通过".to_owned());
    line(format!("  日志条目：{} 条", v.entries));
    line(format!(
        "  链头哈希：{}（须与交易所公布的链头哈希一致，方可排除日志被截短）",
        v.head
    ));
    line(format!("  挂牌编号：{}", rules.code));
    line(match &v.rerun {
        Rerun::Complete => "  重新演算：每一条记录都由交易规则重新得出，与日志一致".to_owned(),
        Rerun::StoppedAtSealed { seq, what } => format!(
            "  重新演算：演算至第 {seq} 条为止，该条需要尚未公开的{}（交易结束后公开，届时可完整核验）；\
             哈希链与状态累积已覆盖全部条目",
            sealed_zh(what)
        ),
    });
    match v.decision() {
        Some((at, decision)) => {
            for l in decision_lines(rules, &v.state, at, decision) {
                line(l);
            }
        }
        None => {
            line("  结果：尚未产生（交易仍在进行）".to_owned());
            for l in progress_lines(rules, &v.state) {
                line(l);
            }
        }
    }
    out
}

fn decision_lines(
    rules: &ListingRules,
    state: &ListingState,
    at: Timestamp,
    decision: &Decision,
) -> Vec<String> {
    let mut lines = Vec::new();
    match &decision.result {
        Outcome::Sold {
            winner,
            bidder,
            price,
            total_price,
            quantity,
        } => {
            lines.push("  结果：成交".to_owned());
            lines.push(format!("    竞得人：{winner}（竞买号 {bidder}）"));
            lines.push(format!("    成交价：{}", price_zh(rules, *price)));
            if rules.price_basis == PriceBasis::Unit {
                lines.push(format!("    成交总价：{} 元", total_price.format_grouped()));
            }
            if let Some(q) = quantity {
                lines.push(format!("    竞得数量：{q} {}", quantity_unit_zh(rules)));
            }
            lines.push(format!("    成交时间：{}（北京时间）", beijing(at)));
        }
        Outcome::Failed { reason } => {
            lines.push(format!("  结果：流拍（{}）", fail_reason_zh(*reason)));
            if let Some(high) = state.high_bid() {
                lines.push(format!(
                    "    最高报价：{}（竞买号 {}）",
                    price_zh(rules, high.price),
                    high.bidder
                ));
            }
            lines.push(format!("    流拍时间：{}（北京时间）", beijing(at)));
        }
    }
    lines.push(match decision.reserve.value {
        Some(reserve) => format!("    底价：{}（结果产生时公开）", price_zh(rules, reserve)),
        None => "    底价：未设".to_owned(),
    });
    lines
}

fn progress_lines(rules: &ListingRules, state: &ListingState) -> Vec<String> {
    let mut lines = vec![format!("    阶段：{}（北京时间）", phase_zh(state))];
    if let Some(reason) = state.suspension() {
        lines.push(format!("    交易已中止：{reason}"));
    }
    lines.push(format!(
        "    竞买申请 {} 份，取得竞买资格 {} 名",
        state.applications().len(),
        state.bidders().len()
    ));
    lines.push(match state.high_bid() {
        Some(high) => format!(
            "    当前最高报价：{}（竞买号 {}，报于北京时间 {}）",
            price_zh(rules, high.price),
            high.bidder,
            beijing(high.at)
        ),
        None => "    当前最高报价：无".to_owned(),
    });
    if !state.holders().is_empty() {
        lines.push(format!(
            "    持有最高限价的竞买人：{} 名",
            state.holders().len()
        ));
    }
    if let Some((bidder, quantity)) = state.top_quantity() {
        lines.push(format!(
            "    当前最高递增报价：{quantity} {}（竞买号 {bidder}）",
            quantity_unit_zh(rules)
        ));
    }
    if let Some(last) = state.last_at() {
        lines.push(format!("    最后一条记录：{}（北京时间）", beijing(last)));
    }
    lines
}

fn verified_json(v: &Verified) -> Value {
    let rules = &v.rules;
    let rerun = match &v.rerun {
        Rerun::Complete => json!({ "complete": true }),
        Rerun::StoppedAtSealed { seq, what } => {
            json!({ "complete": false, "stopped_at": seq, "needs": what })
        }
    };
    let (result, progress) = match v.decision() {
        Some((at, decision)) => (decision_json(rules, &v.state, at, decision), Value::Null),
        None => (Value::Null, progress_json(&v.state)),
    };
    json!({
        "status": "verified",
        "entries": v.entries,
        "head": v.head,
        "listing": rules.code,
        "price_basis": price_basis_code(rules),
        "rerun": rerun,
        "result": result,
        "progress": progress,
    })
}

fn decision_json(
    rules: &ListingRules,
    state: &ListingState,
    at: Timestamp,
    decision: &Decision,
) -> Value {
    let reserve = decision.reserve.value.map(Money::to_yuan_string);
    match &decision.result {
        Outcome::Sold {
            winner,
            bidder,
            price,
            total_price,
            quantity,
        } => json!({
            "outcome": "sold",
            "winner": winner.as_str(),
            "bidder": bidder.0,
            "price": price.to_yuan_string(),
            "total_price": total_price.to_yuan_string(),
            "quantity": quantity.map(|q| q.to_string()),
            "quantity_unit": quantity.and_then(|_| quantity_unit_code(rules)),
            "decided_at": at.to_rfc3339(),
            "reserve": reserve,
        }),
        Outcome::Failed { reason } => json!({
            "outcome": "failed",
            "reason": reason.code(),
            "high_bid": state.high_bid().map(|h| json!({
                "bidder": h.bidder.0,
                "price": h.price.to_yuan_string(),
                "at": h.at.to_rfc3339(),
            })),
            "decided_at": at.to_rfc3339(),
            "reserve": reserve,
        }),
    }
}

fn progress_json(state: &ListingState) -> Value {
    let (phase, ends) = match state.phase() {
        Phase::Listing => ("listing", Some(state.schedule().listing_end)),
        Phase::TimedRound { deadline } => ("timed_round", Some(deadline)),
        Phase::CapAcceptance { end, .. } => ("cap_acceptance", Some(end)),
        Phase::SealedWindow { end, .. } => ("sealed_window", Some(end)),
        Phase::Ascending { deadline } => ("ascending", Some(deadline)),
        Phase::Decided => ("decided", None),
    };
    json!({
        "phase": phase,
        "phase_ends_at": ends.map(Timestamp::to_rfc3339),
        "suspended": state.suspension(),
        "applications": state.applications().len(),
        "bidders": state.bidders().len(),
        "high_bid": state.high_bid().map(|h| json!({
            "bidder": h.bidder.0,
            "price": h.price.to_yuan_string(),
            "at": h.at.to_rfc3339(),
        })),
        "cap_holders": state.holders().len(),
        "top_quantity": state.top_quantity().map(|(b, q)| json!({
            "bidder": b.0,
            "quantity": q.to_string(),
        })),
        "last_entry_at": state.last_at().map(Timestamp::to_rfc3339),
    })
}

// ---------------------------------------------------------------------------
// Chinese wording.

/// Shanghai time as notices print it, with the fraction of a second when
/// there is one (timed-round deadlines can fall on any microsecond).
fn beijing(at: Timestamp) -> String {
    let fraction = at.micros().rem_euclid(1_000_000);
    let mut text = at.format_cn();
    if fraction != 0 {
        let digits = format!("{fraction:06}");
        text.push('.');
        text.push_str(digits.trim_end_matches('0'));
    }
    text
}

fn price_zh(rules: &ListingRules, price: Money) -> String {
    match rules.price_basis {
        PriceBasis::Unit => format!("{} 元/平方米", price.format_grouped()),
        PriceBasis::Total => format!("{} 元", price.format_grouped()),
    }
}

fn price_basis_code(rules: &ListingRules) -> &'static str {
    match rules.price_basis {
        PriceBasis::Unit => "unit",
        PriceBasis::Total => "total",
    }
}

fn ascending_unit(rules: &ListingRules) -> Option<QuantityUnit> {
    match rules.price_cap.as_ref().map(|cap| &cap.then) {
        Some(FollowOn::Ascending { unit, .. }) => Some(*unit),
        _ => None,
    }
}

fn quantity_unit_zh(rules: &ListingRules) -> &'static str {
    match ascending_unit(rules) {
        Some(QuantityUnit::Percent) => "%",
        _ => "平方米",
    }
}

fn quantity_unit_code(rules: &ListingRules) -> Option<&'static str> {
    ascending_unit(rules).map(|unit| match unit {
        QuantityUnit::M2 => "m2",
        QuantityUnit::Percent => "percent",
    })
}

fn fail_reason_zh(reason: FailReason) -> &'static str {
    match reason {
        FailReason::NoBids => "无人报价",
        FailReason::BelowReserve => "最高报价低于底价",
    }
}

fn phase_zh(state: &ListingState) -> String {
    match state.phase() {
        Phase::Listing => format!("挂牌期，挂牌截止 {}", beijing(state.schedule().listing_end)),
        Phase::TimedRound { deadline } => {
            format!("限时竞价，本轮倒计时截止 {}", beijing(deadline))
        }
        Phase::CapAcceptance { end, .. } => {
            format!("报价已达最高限价，接受最高限价截止 {}", beijing(end))
        }
        Phase::SealedWindow { end, .. } => format!("一次报价，密封报价截止 {}", beijing(end)),
        Phase::Ascending { deadline } => format!(
            "最高限价后的竞配建（竞自持）报价，倒计时截止 {}",
            beijing(deadline)
        ),
        Phase::Decided => "已产生结果".to_owned(),
    }
}

fn sealed_zh(what: &str) -> &'static str {
    match what {
        "reserve" => "底价",
        "sealed offer" => "密封报价",
        "lottery seed" => "摇号种子",
        _ => "密封数值",
    }
}

/// An event's stable name with its meaning in Chinese.
fn event_zh(name: &str) -> String {
    let meaning = match name {
        "listing_opened" => "挂牌开始，载明规则",
        "applied" => "竞买申请",
        "consented" => "联合竞买方确认",
        "deposit_credited" => "保证金到账",
        "deposit_refused" => "保证金不予接收",
        "qualified" => "取得竞买资格",
        "bid_accepted" => "报价有效",
        "cap_reached" => "报价达到最高限价",
        "timed_declared" => "申请参加限时竞价",
        "timed_round_started" => "限时竞价开始",
        "cap_accepted" => "接受最高限价",
        "lottery_drawn" => "摇号",
        "sealed_window_opened" => "一次报价开始",
        "sealed_offer_made" => "提交密封报价",
        "sealed_offers_opened" => "开启密封报价",
        "ascending_started" => "竞配建（竞自持）报价开始",
        "offer_accepted" => "竞配建（竞自持）报价有效",
        "reserve_set" => "设定底价",
        "increment_changed" => "调整加价幅度",
        "ineligible_set" => "调整不得竞买的名单",
        "suspended" => "中止交易",
        "resumed" => "恢复交易",
        "decided" => "交易结果",
        "action_refused" => "操作被拒绝",
        "the end of the log" => return "日志结尾（此后缺少条目）".to_owned(),
        _ => return name.to_owned(),
    };
    format!("{name}（{meaning}）")
}

fn derived_zh(derived: &Derived) -> String {
    match derived {
        Derived::Nothing => "没有这一条（规则不会产生它）".to_owned(),
        Derived::NoSuchBidder => "没有这一条（当时并无该竞买号的竞买人）".to_owned(),
        Derived::Fact { event, at, refusal } => match refusal {
            Some(reason) => format!(
                "{}，拒绝理由 {}，北京时间 {}",
                event_zh(event),
                reason.code(),
                beijing(*at)
            ),
            None => format!("{}，北京时间 {}", event_zh(event), beijing(*at)),
        },
        Derived::UnrevealedDeadline { what } => format!(
            "先有一个期限到期，而它所需的{}在日志中从未公开（公开它的记录缺失）",
            sealed_zh(what)
        ),
    }
}

fn apply_zh(error: &ApplyError) -> String {
    match error {
        ApplyError::Backwards { event, at } => {
            format!(
                "{} 的时间（北京时间 {}）早于前一条",
                event_zh(event),
                beijing(*at)
            )
        }
        ApplyError::Inconsistent { event, problem } => {
            format!("{} 不符合当时的状态（{problem}）", event_zh(event))
        }
        ApplyError::Reveal { event, what } => format!(
            "{} 公开的{}与此前公布的承诺值不符",
            event_zh(event),
            sealed_zh(what)
        ),
    }
}

fn engine_zh(error: &EngineError) -> String {
    match error {
        EngineError::ClockWentBack { at, last } => format!(
            "时间倒流：北京时间 {} 早于上一条事实的时间 {}",
            beijing(*at),
            beijing(*last)
        ),
        EngineError::SealedValueUnknown { what } => {
            format!("需要尚未公开的{}", sealed_zh(what))
        }
        EngineError::Apply(e) => apply_zh(e),
        EngineError::Inconsistent(detail) => format!("状态与规则相矛盾（{detail}）"),
    }
}

/// The first problem of a log that failed, for people and for `--json`.
struct Problem {
    seq: Option<u64>,
    kind: &'static str,
    message: String,
}

impl Problem {
    fn of(error: &VerifyError) -> Problem {
        let (seq, kind, message) = match error {
            VerifyError::Empty => (None, "empty", "日志中没有任何条目".to_owned()),
            VerifyError::Chain(BrokenLink::Gap { seq, expected, .. }) => (
                Some(*expected),
                "gap",
                format!(
                    "第 {expected} 条缺失或次序错乱：该位置上的条目序号为 {seq}（条目被删除、插入或调换）"
                ),
            ),
            VerifyError::Chain(BrokenLink::Listing {
                seq,
                found,
                expected,
            }) => (
                Some(*seq),
                "listing",
                format!("第 {seq} 条属于挂牌 {found}，而本日志是挂牌 {expected} 的"),
            ),
            VerifyError::Chain(BrokenLink::PrevHash { seq }) => (
                Some(*seq),
                "prev_hash",
                format!(
                    "第 {seq} 条的 prev_hash 与第 {} 条的哈希不符（其前的条目被删除、插入或替换）",
                    seq - 1
                ),
            ),
            VerifyError::Chain(BrokenLink::Hash { seq }) => (
                Some(*seq),
                "hash",
                format!("第 {seq} 条的哈希与其内容不符（该条内容被改动）"),
            ),
            VerifyError::NoRules => (
                Some(1),
                "no_rules",
                "第 1 条必须是载明本宗挂牌规则的 listing_opened".to_owned(),
            ),
            VerifyError::Rules(e) => (
                Some(1),
                "rules",
                format!("第 1 条载明的挂牌规则无效（{e}）"),
            ),
            VerifyError::Replay(e) => (
                Some(e.seq),
                "replay",
                format!("第 {} 条与此前的状态不符：{}", e.seq, apply_zh(&e.error)),
            ),
            VerifyError::Diverges {
                seq,
                logged,
                rerun,
            } => (
                Some(*seq),
                "diverges",
                format!(
                    "第 {seq} 条与交易规则不符：日志记为 {}，按规则重新演算应为 {}",
                    event_zh(logged),
                    derived_zh(rerun)
                ),
            ),
            VerifyError::Engine { seq, error } => (
                Some(*seq),
                "engine",
                format!("第 {seq} 条无法按规则重新演算：{}", engine_zh(error)),
            ),
            VerifyError::StateMismatch => (
                None,
                "state_mismatch",
                "由日志累积出的状态与按规则重新演算出的状态不一致".to_owned(),
            ),
        };
        Problem { seq, kind, message }
    }
}

fn decode_zh(e: &DecodeError) -> String {
    let detail = e.detail.as_deref().unwrap_or("");
    let problem = match e.problem {
        DecodeProblem::NotJson => format!("不是 JSON（{detail}）"),
        DecodeProblem::NotObject => "应为 JSON 对象".to_owned(),
        DecodeProblem::Missing => "缺失".to_owned(),
        DecodeProblem::Unknown => "不是日志条目的字段".to_owned(),
        DecodeProblem::NotString => "应为字符串".to_owned(),
        DecodeProblem::NotSeq => "应为非负整数".to_owned(),
        DecodeProblem::NotMicros => "应为自 1970 年起的微秒数（整数）".to_owned(),
        DecodeProblem::UnknownEvent => format!("不是已知的事件类型（{detail}）"),
        DecodeProblem::BadEvent => format!("不是有效的事件（{detail}）"),
    };
    match &e.field {
        Some(field) => format!("第 {} 行不是事件日志条目：字段 {field} {problem}", e.line),
        None => format!("第 {} 行不是事件日志条目：{problem}", e.line),
    }
}
