//! Importing the notice's tables: the seed's own text, CSV, grids, and
//! every kind of bad cell.

use yiwang_core::Money;
use yiwang_exchange::notice::import::{ColumnKind, DEFAULT_UNIT_INCREMENT};
use yiwang_exchange::notice::render::tables;
use yiwang_exchange::notice::{
    import_grids, import_text, seed, BiddingMode, CellProblem, Grid, ImportError, ImportOptions,
    Imported, Notice, PriceBasis, TextFormat,
};

const SEED_60: &str = include_str!("data/seed_notice_60_tables.tsv");
const SEED_61: &str = include_str!("data/seed_notice_61_tables.tsv");
const SEED_61_TABLE3: &str = include_str!("data/seed_notice_61_table3_completed.tsv");
const SEED_61_TRUNCATED: &str = include_str!("data/seed_notice_61_truncated.tsv");
const SEED_61_CSV: &str = include_str!("data/seed_notice_61.csv");

fn import(text: &str) -> Result<Imported, ImportError> {
    import_text(text, None, &ImportOptions::default())
}

fn problems(text: &str) -> Vec<CellProblem> {
    match import(text) {
        Ok(imported) => panic!("expected problems, imported {imported:?}"),
        Err(e) => e.problems,
    }
}

#[test]
fn seed_60_imports_as_it_stands() {
    let imported = import(SEED_60).unwrap();
    assert_eq!(imported.parcels, seed::notice_60().parcels);
    assert_eq!(imported.notes, vec!["节假日不休息".to_owned()]);
    let p = &imported.parcels[0];
    assert_eq!(p.code.as_str(), "U20041");
    assert_eq!(p.land_area.to_string(), "6651.11");
    assert_eq!(p.start_price, Money::from_yuan(480));
    assert_eq!(p.deposit, Money::from_yuan(700_000));
    assert_eq!(p.increment, Some(DEFAULT_UNIT_INCREMENT));
    assert!(p.rule.is_plain());
    let w = p.windows.unwrap();
    assert_eq!(w.application.end.to_rfc3339(), "2021-01-06T11:00:00+08:00");
    assert_eq!(w.deposit, w.application);
    assert_eq!(w.listing.end.to_rfc3339(), "2021-01-08T11:00:00+08:00");
}

#[test]
fn seed_61_imports_with_its_completed_table_3() {
    let text = format!("{SEED_61}\n{SEED_61_TABLE3}");
    let imported = import(&text).unwrap();
    assert_eq!(imported.parcels, seed::notice_61().parcels);
    assert!(imported.notes.is_empty());
    let p = &imported.parcels[0];
    assert_eq!(
        p.rule.mode,
        BiddingMode::LimitedHousingPrice {
            housing_price_cap: Money::from_yuan(21_500)
        }
    );
    assert_eq!(
        p.rule.text.as_deref(),
        Some("本地块竞买实行限房价竞地价不摇号")
    );
    assert_eq!(p.rule.price_cap, None);
    assert_eq!(p.deposit.unwrap().format_grouped(), "2,326,300,000.00");
    assert_eq!(p.terms.as_ref().unwrap().to_string(), "居住70,商业40");
}

#[test]
fn seed_61_without_table_3_is_a_draft_without_windows() {
    let imported = import(SEED_61).unwrap();
    assert_eq!(imported.parcels[0].windows, None);
}

#[test]
fn the_truncated_table_3_of_the_seed_is_reported() {
    let problems = problems(SEED_61_TRUNCATED);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    // Row 13 of the file is the cut-off header "地块".
    assert!(
        problems
            .iter()
            .all(|p| p.table == "表3" && p.row == Some(13)),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.contains("无法识别的表头")),
        "{text:?}"
    );
    assert!(
        text.iter().any(|t| t.contains("缺少“地块编号”列")),
        "{text:?}"
    );
    assert_eq!(problems[0].column.as_ref().unwrap().letter, "A");
    assert_eq!(problems[0].column.as_ref().unwrap().header, "地块");
}

#[test]
fn csv_with_quotes_imports_the_same() {
    let imported = import(SEED_61_CSV).unwrap();
    assert_eq!(imported.parcels, seed::notice_61().parcels);
    let explicit = import_text(
        SEED_61_CSV,
        Some(TextFormat::Csv),
        &ImportOptions::default(),
    )
    .unwrap();
    assert_eq!(explicit, imported);
}

#[test]
fn grids_from_a_spreadsheet_import_the_same() {
    // As an XLSX reader would hand over two sheets: cells as displayed.
    let grid = |text: &str, name: &str| {
        let rows = text
            .lines()
            .map(|l| l.split('\t').map(str::to_owned).collect())
            .collect();
        Grid::from_rows(rows).named(name)
    };
    let sheets = [grid(SEED_61, "Sheet1"), grid(SEED_61_TABLE3, "Sheet2")];
    let imported = import_grids(&sheets, &ImportOptions::default()).unwrap();
    assert_eq!(imported.parcels, seed::notice_61().parcels);

    // Problems name the sheet.
    let mut bad = sheets.clone();
    bad[1].rows[3][2] = "2021年1月8日".to_owned();
    let e = import_grids(&bad, &ImportOptions::default()).unwrap_err();
    assert_eq!(e.problems.len(), 1);
    assert_eq!(e.problems[0].table, "Sheet2 表3");
    assert_eq!(e.problems[0].row, Some(4));
    assert_eq!(e.problems[0].column.as_ref().unwrap().letter, "C");
}

#[test]
fn every_bad_cell_is_reported_and_nothing_is_imported() {
    let text = "地块编号\t地块位置\t用地性质\t土地面积(M²)\t建筑面积(M²)\t容积率\t建筑密度(%)\t绿地率(%)\t出让年期(年)\t起挂牌价(元/M²)\t竞买保证金(万元)\n\
                U20041\t\t消防设施用地\t6651.111\t≤abc\t0.45-0.3\t≤30%\t≥20\t80\t-480\t70万\n\
                U2\t苏十二河西\t消防设施用地\t6651.11\t≤5990\t≥0.45\t≤30\t≥20\t50\t480\t70\n";
    let problems = problems(text);
    let at: Vec<(usize, String)> = problems
        .iter()
        .map(|p| (p.row.unwrap(), p.column.as_ref().unwrap().letter.clone()))
        .collect();
    assert_eq!(
        at,
        [
            (2, "B"),
            (2, "D"),
            (2, "E"),
            (2, "F"),
            (2, "G"),
            (2, "I"),
            (2, "J"),
            (2, "K"),
            (3, "A"),
        ]
        .map(|(r, c)| (r, c.to_owned()))
    );
    let by_col = |letter: &str| {
        problems
            .iter()
            .find(|p| p.column.as_ref().unwrap().letter == letter)
            .unwrap()
    };
    assert_eq!(by_col("D").value, "6651.111");
    assert!(by_col("D").expected.contains("最多 2 位小数"));
    assert_eq!(by_col("E").column.as_ref().unwrap().header, "建筑面积(M²)");
    assert!(by_col("F").expected.contains("下限 0.45 大于上限 0.3"));
    assert!(by_col("I").expected.contains("1 至 70 年"));
    assert!(by_col("J").expected.contains("正负号"));
    assert!(by_col("A").expected.contains("例如 U20041"));
    assert_eq!(
        by_col("B").to_string(),
        "第1个表格第2行B列（地块位置）：地块位置为空：请照公告填写，例如 苏十二河西、通七河北"
    );
    assert_eq!(
        by_col("K").to_string(),
        "第1个表格第2行K列（竞买保证金(万元)）：“70万”金额第 3 个字符“万”无效：只能包含数字和一个小数点，例如 232630"
    );
    let report = ImportError { problems }.to_string();
    assert!(
        report.starts_with("表格有 9 处问题，未导入任何地块："),
        "{report}"
    );
}

#[test]
fn tables_must_agree_and_cover_the_same_parcels() {
    // 表2 gives a different deposit and a parcel 表1 does not have.
    let text = "表1\n地块编号\t地块位置\t用地性质\t土地面积(M²)\t竞买保证金(万元)\n\
                R20042\t龙腾路东\t居住用地\t125949.79\t232630\n\
                \n表2\n地块编号\t竞买保证金(万元)\n\
                R20042\t232631\n\
                R20043\t10\n";
    let problems = problems(text);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert_eq!(problems.len(), 2, "{text:?}");
    assert_eq!(
        text[0],
        "表2第7行B列（竞买保证金(万元)）：“232631”与表1第3行的“232630”不一致：同一地块在各表中的数值必须相同"
    );
    assert_eq!(problems[1].table, "表1");
    assert!(text[1].contains("缺少地块 R20043 的行"), "{text:?}");
}

#[test]
fn rule_and_cap_columns_must_fit_together() {
    let head = "地块编号\t地块位置\t用地性质\t土地面积(M²)\t竞买规则\t起挂土地单价(元/M²)\t最高限价(元/M²)\t房屋最高备案指导均价(元/M²)\t竞买保证金(万元)\n";
    // 限房价 without its cap; a cap with no follow-on in the text; a
    // lottery with no cap; a rule nobody understands.
    let rows =
        "R20042\t龙腾路东\t居住用地\t100\t本地块竞买实行限房价竞地价不摇号\t18470\t\t\t100\n\
                R20043\t龙腾路东\t居住用地\t100\t价高者得\t18470\t20000\t\t100\n\
                R20044\t龙腾路东\t居住用地\t100\t达到最高限价后摇号\t18470\t—\t\t100\n\
                R20045\t龙腾路东\t居住用地\t100\t随便\t18470\t\t\t100\n\
                R20046\t龙腾路东\t居住用地\t100\t价高者得\t18470\t\t21500\t100\n";
    let problems = problems(&format!("{head}{rows}"));
    let got: Vec<(usize, &str)> = problems
        .iter()
        .map(|p| (p.row.unwrap(), p.column.as_ref().unwrap().letter.as_str()))
        .collect();
    assert_eq!(got, [(5, "E"), (2, "E"), (3, "G"), (4, "E"), (6, "H")]);
    assert!(problems[1].expected.contains("没有房屋最高备案指导均价"));
    assert!(problems[2]
        .expected
        .contains("没有写明达到最高限价后的方式"));
    assert!(problems[3]
        .expected
        .contains("达到最高限价后摇号，但没有填写最高限价"));
    assert!(problems[4].expected.contains("竞买规则不是限房价竞地价"));

    // With everything in place, the cap and its follow-on are typed.
    let ok = "R20042\t龙腾路东\t居住用地\t100\t本地块竞买实行限房价竞地价,达到最高限价后摇号\t18470\t21000\t21500\t100\n";
    let imported = import(&format!("{head}{ok}")).unwrap();
    let rule = &imported.parcels[0].rule;
    assert_eq!(rule.housing_price_cap(), Money::from_yuan(21_500));
    let cap = rule.price_cap.as_ref().unwrap();
    assert_eq!(cap.max_price, Money::from_yuan(21_000).unwrap());
    assert_eq!(cap.follow_on.kind().label_cn(), "摇号");
}

#[test]
fn headers_and_structure() {
    // Unknown and duplicate headers; a cell with no header; a table with no
    // data; an odd unit.
    let text = "地块编号\t地块位置\t用地性质\t土地面积(亩)\t价格\t地块位置\n\
                U20041\t苏十二河西\t消防设施用地\t10\t1\t苏十二河西\tstray\n\
                \n地块编号\t竞买保证金(万元)\n";
    let problems = problems(text);
    let text: Vec<String> = problems.iter().map(ToString::to_string).collect();
    assert!(
        text[0].contains("D列（土地面积(亩)）") && text[0].contains("单位“亩”"),
        "{text:?}"
    );
    assert!(
        text[1].contains("E列（价格）") && text[1].contains("无法识别的表头"),
        "{text:?}"
    );
    assert!(
        text[2].contains("F列（地块位置）") && text[2].contains("与B列重复"),
        "{text:?}"
    );
    assert!(
        text[3].contains("第2行G列") && text[3].contains("没有表头"),
        "{text:?}"
    );
    assert!(text.iter().any(|t| t.contains("只有表头")), "{text:?}");
    assert!(
        text.iter().any(|t| t.contains("缺少土地面积(M²)列")),
        "{text:?}"
    );
}

#[test]
fn empty_and_unclosed_input() {
    let e = problems("");
    assert_eq!(e.len(), 1);
    assert!(e[0].expected.contains("没有找到表格"));
    let e = problems("地块编号,地块位置\n\"U20041,苏十二河西\n");
    assert!(e[0].expected.contains("引号没有闭合"));
}

#[test]
fn notes_rows_are_collected() {
    let text = format!(
        "{}\n注:\n1.节假日不休息\n2.其他事项详见出让须知\n",
        SEED_61.trim_end()
    );
    let imported = import(&text).unwrap();
    assert_eq!(imported.notes, ["节假日不休息", "其他事项详见出让须知"]);
}

#[test]
fn increments_default_per_price_basis() {
    let unit = import(SEED_60).unwrap();
    assert_eq!(unit.parcels[0].increment, Some(DEFAULT_UNIT_INCREMENT));
    let options = ImportOptions {
        default_unit_increment: Money::from_yuan(20),
        default_total_increment: None,
    };
    let custom = import_text(SEED_60, None, &options).unwrap();
    assert_eq!(custom.parcels[0].increment, Money::from_yuan(20));

    let total = "地块编号\t地块位置\t用地性质\t土地面积(M²)\t起挂牌价(万元)\t竞买保证金(万元)\n\
                 M20001\t园区\t工业用地\t10000\t500\t100\n";
    let imported = import(total).unwrap();
    assert_eq!(imported.parcels[0].price_basis, PriceBasis::Total);
    assert_eq!(imported.parcels[0].start_price, Money::from_yuan(5_000_000));
    assert_eq!(imported.parcels[0].increment, None);

    let with_increment = "地块编号\t地块位置\t用地性质\t土地面积(M²)\t起挂牌价(元/M²)\t加价幅度(元/M²)\t竞买保证金(万元)\n\
                          M20001\t园区\t工业用地\t10000\t500\t5\t100\n";
    assert_eq!(
        import(with_increment).unwrap().parcels[0].increment,
        Money::from_yuan(5)
    );

    let mixed = "地块编号\t地块位置\t用地性质\t土地面积(M²)\t起挂牌价(元/M²)\t加价幅度(万元)\t竞买保证金(万元)\n\
                 M20001\t园区\t工业用地\t10000\t500\t5\t100\n";
    assert!(problems(mixed)[0].expected.contains("单价（元/M²）与总价"));
}

#[test]
fn rendered_tables_import_back() {
    for notice in seed::notices() {
        let text = render_tables_as_tsv(&notice);
        let imported = import(&text).unwrap();
        assert_eq!(imported.parcels, notice.parcels, "{}", notice.number);
    }
}

fn render_tables_as_tsv(notice: &Notice) -> String {
    let mut out = String::new();
    for table in tables(notice) {
        out.push_str(&table.caption);
        out.push_str("\n\n");
        for row in std::iter::once(&table.header).chain(&table.rows) {
            out.push_str(&row.join("\t"));
            out.push('\n');
        }
        out.push('\n');
    }
    out
}

#[test]
fn column_kinds_are_public_for_the_web_layer() {
    assert_eq!(
        yiwang_exchange::notice::import::recognise_header("地块编号"),
        Ok(ColumnKind::Code)
    );
}
