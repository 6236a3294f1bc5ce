//! Golden test: the seed's two notices, entered as data, render with every
//! figure the newspaper page shows.

use yiwang_core::Timestamp;
use yiwang_exchange::notice::import::normalize_header;
use yiwang_exchange::notice::render::{standard_preamble, TableLayout};
use yiwang_exchange::notice::{
    render_text, seed, Notice, NoticeNumber, NoticeView, Supplement, DEFAULT_ISSUER, DEFAULT_TITLE,
};

/// Lines 127–165 of `shared/seed/nantong-daily-2020-12.txt`, verbatim.
const SEED: &str = include_str!("data/seed_notices_60_61.txt");

/// One notice as the seed prints it.
struct SeedNotice {
    title: String,
    number: String,
    preamble: String,
    /// (caption, rows of cells) in order; rows include the header.
    tables: Vec<(String, Vec<Vec<String>>)>,
    notes: Vec<String>,
}

fn seed_notices() -> Vec<SeedNotice> {
    let mut out = Vec::new();
    for section in SEED.split("# ").filter(|s| !s.trim().is_empty()) {
        let lines: Vec<&str> = section.lines().collect();
        let title = lines[0].trim().to_owned();
        let body: Vec<&str> = lines[1..]
            .iter()
            .copied()
            .filter(|l| !l.trim().is_empty())
            .collect();
        // The number is printed on two lines, the first ending in a
        // Markdown line break.
        let number = format!("{}{}", body[0].trim(), body[1].trim());
        // The page's Markdown turned the URL into an autolink.
        let preamble = body[2].replace(['<', '>'], "");
        let mut tables: Vec<(String, Vec<Vec<String>>)> = Vec::new();
        let mut notes = Vec::new();
        for line in &body[3..] {
            if line.starts_with('表') && !line.contains('\t') {
                tables.push((line.trim().to_owned(), Vec::new()));
            } else if let Some(note) = line.strip_prefix("注:") {
                notes.push(note.to_owned());
            } else if line.trim() == "----" {
                break;
            } else if let Some((_, rows)) = tables.last_mut() {
                rows.push(line.split('\t').map(str::to_owned).collect());
            }
        }
        out.push(SeedNotice {
            title,
            number,
            preamble,
            tables,
            notes,
        });
    }
    out
}

#[test]
fn the_seed_is_read_as_expected() {
    let seeds = seed_notices();
    assert_eq!(seeds.len(), 2);
    assert_eq!(seeds[0].tables.len(), 2);
    // 第61号's 表3 is cut off after its first header word.
    assert_eq!(seeds[1].tables.len(), 3);
    assert_eq!(seeds[1].tables[2].1, vec![vec!["地块".to_owned()]]);
}

fn compare(notice: &Notice, seed: &SeedNotice) {
    let view = NoticeView::of(notice);
    assert_eq!(view.title, seed.title);
    assert_eq!(view.title, DEFAULT_TITLE);
    assert_eq!(
        view.number,
        NoticeNumber::parse(&seed.number).unwrap().to_string()
    );
    assert_eq!(view.number, seed.number.replace(' ', ""));
    assert_eq!(view.preamble, seed.preamble);
    let note_lines: Vec<String> = seed.notes.iter().map(|n| format!("注:{n}")).collect();
    assert_eq!(view.note_lines, note_lines);
    assert_eq!(view.tables.len(), seed.tables.len());

    let text = render_text(notice);
    for (table, (caption, rows)) in view.tables.iter().zip(&seed.tables) {
        assert_eq!(&table.caption, caption);
        let complete = rows.len() > 1;
        if !complete {
            // The cut-off 表3: what survives is a prefix of our header.
            assert!(table.header[0].starts_with(&rows[0][0]));
            continue;
        }
        // Headers agree up to the page's `M <sup>2</sup>` markup.
        let seed_header: Vec<String> = rows[0].iter().map(|h| normalize_header(h)).collect();
        let header: Vec<String> = table.header.iter().map(|h| normalize_header(h)).collect();
        assert_eq!(header, seed_header, "{caption}");
        // Every figure, cell by cell, exactly.
        assert_eq!(table.rows.len(), rows.len() - 1, "{caption}");
        for (got, want) in table.rows.iter().zip(&rows[1..]) {
            assert_eq!(got, want, "{caption}");
            // The plain text carries the row as the page prints it.
            assert!(text.contains(&want.join("\t")), "{caption}: {text}");
        }
    }
}

#[test]
fn notice_60_renders_every_seed_figure() {
    let seeds = seed_notices();
    let notice = seed::notice_60();
    compare(&notice, &seeds[0]);
    let view = NoticeView::of(&notice);
    assert_eq!(view.layout, TableLayout::Combined);
    assert_eq!(
        view.tables[0].rows[0],
        [
            "U20041",
            "苏十二河西、通七河北",
            "消防设施用地",
            "6651.11",
            "≤5990",
            "≥0.45且<0.91",
            "≤30",
            "≥20",
            "50",
            "480",
            "70"
        ]
    );
    assert_eq!(
        view.tables[1].rows[0],
        [
            "U20041",
            "2020年12月29日起,2021年1月6日上午11时止",
            "2020年12月29日起,2021年1月8日上午11时止"
        ]
    );
}

#[test]
fn notice_61_renders_every_seed_figure() {
    let seeds = seed_notices();
    let notice = seed::notice_61();
    compare(&notice, &seeds[1]);
    let view = NoticeView::of(&notice);
    assert_eq!(view.layout, TableLayout::Separate);
    assert_eq!(
        view.tables[1].rows[0],
        [
            "R20042",
            "本地块竞买实行限房价竞地价不摇号",
            "18470",
            "21500",
            "232630"
        ]
    );
    // The windows the seed cuts off, as documented in `seed`.
    assert_eq!(
        view.tables[2].header,
        [
            "地块编号",
            "网上竞买申请和缴纳保证金时间",
            "网上挂牌出让时间"
        ]
    );
    assert_eq!(
        view.tables[2].rows[0],
        [
            "R20042",
            "2020年12月29日起,2021年1月6日上午11时止",
            "2020年12月29日起,2021年1月8日上午11时止"
        ]
    );
}

#[test]
fn standard_preambles_are_the_seeds() {
    let seeds = seed_notices();
    assert_eq!(
        standard_preamble(DEFAULT_ISSUER, TableLayout::Combined),
        seeds[0].preamble
    );
    assert_eq!(
        standard_preamble(DEFAULT_ISSUER, TableLayout::Separate),
        seeds[1].preamble
    );
}

#[test]
fn plain_text_of_notice_60() {
    let mut notice = seed::notice_60();
    notice.published_at = Some(Timestamp::parse_rfc3339("2020-12-09T09:00:00+08:00").unwrap());
    let expected = "南通市市区国有建设用地使用权出让公告

通自然资规告出网(2020)第60号

根据国家有关法律、法规,经南通市人民政府批准,南通市自然资源和规划局以网上挂牌方式,通过南通市国有建设用地使用权网上交易系统(http://www.landnt.com)出让下述宗地国有建设用地使用权。出让地块的基本情况和规划指标要求,以及网上竞买申请、缴纳保证金和挂牌出让时间详见下表1、表2。

表1

地块编号\t地块位置\t用地性质\t土地面积(M²)\t建筑面积(M²)\t容积率\t建筑密度(%)\t绿地率(%)\t出让年期(年)\t起挂牌价(元/M²)\t竞买保证金(万元)
U20041\t苏十二河西、通七河北\t消防设施用地\t6651.11\t≤5990\t≥0.45且<0.91\t≤30\t≥20\t50\t480\t70

表2

地块编号\t网上竞买申请和缴纳保证金时间\t网上挂牌出让时间
U20041\t2020年12月29日起,2021年1月6日上午11时止\t2020年12月29日起,2021年1月8日上午11时止

注:节假日不休息

南通市自然资源和规划局
2020年12月9日
";
    assert_eq!(render_text(&notice), expected);
}

#[test]
fn supplements_termination_and_details() {
    let mut notice = seed::notice_61();
    notice.status = yiwang_exchange::notice::NoticeStatus::Published;
    notice.published_at = Some(Timestamp::parse_rfc3339("2020-12-09T09:00:00+08:00").unwrap());
    notice
        .add_supplement(Supplement {
            number: "通自然资规告出网(2020)第61号补充公告".to_owned(),
            published_at: Timestamp::parse_rfc3339("2020-12-20T09:00:00+08:00").unwrap(),
            text: "R20042地块出让须知第五条更正如下。".to_owned(),
        })
        .unwrap();
    notice
        .terminate(
            Timestamp::parse_rfc3339("2020-12-21T09:00:00+08:00").unwrap(),
            "规划条件调整",
        )
        .unwrap();
    let view = NoticeView::of(&notice);
    assert_eq!(view.status_code, "terminated");
    assert_eq!(view.status_label, "已终止");
    assert_eq!(view.supplements[0].published_on, "2020年12月20日");
    assert_eq!(
        view.termination.as_deref(),
        Some("本公告已于2020年12月21日终止。终止原因：规划条件调整")
    );
    let text = view.to_text();
    assert!(text.contains("补充公告 通自然资规告出网(2020)第61号补充公告(2020年12月20日)\n\nR20042地块出让须知第五条更正如下。"));
    assert!(text.ends_with("本公告已于2020年12月21日终止。终止原因：规划条件调整\n"));

    let details = &view.parcels[0];
    assert_eq!(details.code, "R20042");
    let field = |label: &str| {
        details
            .fields
            .iter()
            .find(|f| f.label == label)
            .map(|f| f.value.as_str())
    };
    assert_eq!(field("土地面积"), Some("125949.79 平方米"));
    assert_eq!(field("起挂牌价"), Some("18470 元/平方米"));
    assert_eq!(field("起始总价"), Some("2,326,292,621.30 元"));
    assert_eq!(field("加价幅度"), Some("10 元/平方米"));
    assert_eq!(field("房屋最高备案指导均价"), Some("21500 元/平方米"));
    assert_eq!(field("竞买保证金"), Some("232630 万元"));
    assert_eq!(field("出让年期"), Some("居住70,商业40 年"));
    assert_eq!(
        details.listing_end.as_deref(),
        Some("2021-01-08T11:00:00+08:00")
    );
    assert_eq!(
        details.application_deadline.as_deref(),
        Some("2021-01-06T11:00:00+08:00")
    );
}

#[test]
fn drafts_show_blanks_and_other_layouts() {
    use yiwang_core::{Area, Money};
    use yiwang_exchange::notice::{
        FollowOn, FollowOnKind, LandUse, Parcel, ParcelCode, PriceBasis, PriceCap, Window, Windows,
    };
    let mut notice = seed::notice_61();
    let mut draft = Parcel::draft(
        ParcelCode::parse("B20050").unwrap(),
        "青年路南".to_owned(),
        LandUse::parse("商业用地").unwrap(),
        Area::parse("5000").unwrap(),
    );
    draft.price_basis = PriceBasis::Total;
    draft.start_price = Some(Money::parse_wan_yuan("3000").unwrap());
    draft.rule.price_cap = Some(PriceCap {
        max_price: Money::parse_wan_yuan("4500").unwrap(),
        follow_on: FollowOn::blank(FollowOnKind::SealedAverage),
    });
    let w = seed::seed_windows();
    draft.windows = Some(Windows {
        deposit: Window {
            start: w.application.start,
            end: w.application.end.add_secs(4 * 3600),
        },
        ..w
    });
    draft.notes = vec!["须配建公交首末站".to_owned()];
    notice.parcels.push(draft);
    let view = NoticeView::of(&notice);
    assert_eq!(
        view.tables[1].header,
        [
            "地块编号",
            "竞买规则",
            "起挂土地单价(元/M²)",
            "最高限价(元/M²)",
            "房屋最高备案指导均价(元/M²)",
            "竞买保证金(万元)"
        ]
    );
    assert_eq!(
        view.tables[1].rows[1],
        [
            "B20050",
            "本地块竞买实行价高者得,设最高限价,达到最高限价后一次报价",
            "3000万元",
            "4500万元",
            "—",
            "—"
        ]
    );
    assert_eq!(view.tables[1].rows[0][3], "—");
    assert_eq!(view.tables[0].rows[1][4..], ["—", "—", "—", "—", "—"]);
    assert_eq!(
        view.tables[2].header,
        [
            "地块编号",
            "网上竞买申请时间",
            "缴纳保证金时间",
            "网上挂牌出让时间",
            "备注"
        ]
    );
    assert_eq!(
        view.tables[2].rows[1][2],
        "2020年12月29日起,2021年1月6日下午3时止"
    );
    assert_eq!(view.tables[2].rows[1][4], "须配建公交首末站");
    assert_eq!(view.tables[2].rows[0][4], "—");
    assert_eq!(view.published_on, None);
}
