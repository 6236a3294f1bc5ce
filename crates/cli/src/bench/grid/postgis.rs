//! The same look-ups in PostGIS, the reference a GIS team would reach for.
//!
//! A fresh database on the given server (named like the storage tests'
//! databases and dropped after the run), `CREATE EXTENSION postgis`, and
//! one table of the grids: the code, whether the grid is comprehensive, and
//! the polygon read from the very GeoJSON text the server stores
//! (`ST_GeomFromGeoJSON`, SRID 4326), under a GiST index. Two forms:
//!
//! - **one query per point** over one connection, a prepared statement with
//!   the longitude and latitude as binary `float8` parameters: what a
//!   server asking PostGIS for each request would do;
//! - **one join of every point**: the points loaded with `COPY` as hex
//!   EWKB (the load timed on its own), then one `SELECT DISTINCT ON`
//!   over the join, the best grid of each point.
//!
//! Both encode Yiwang's rule ([`RULE_ORDER`]): the grids whose closed
//! polygon holds the point (`ST_Intersects`, boundary included), a
//! specialised grid first, then one whose interior holds the point
//! (`ST_Contains` is false on the line), then the smaller code.
//! Coordinates are sent as their exact bits, so PostGIS and Yiwang judge
//! the same numbers.

use std::fmt::Write as _;
use std::time::Instant;

use sqlx::{ConnectOptions, Connection, PgConnection, Row as _};
use yiwang_grid::{GridCode, LngLat};
use yiwang_web::grid::data::GridMap;

use super::super::durable::BenchDatabase;
use super::super::grouped;
use super::Row;

/// The order that picks the answering grid among those whose closed
/// polygon holds the point `pt`, as `yiwang_grid::index` ranks them:
/// specialised before comprehensive (`false` sorts first), interior before
/// boundary line, then the smaller code.
pub const RULE_ORDER: &str = "g.comprehensive, ST_Contains(g.geom, pt) DESC, g.code";

/// One query per point: the answering grid of `($1, $2)`.
fn per_point_sql() -> String {
    format!(
        "SELECT g.code FROM grids g, \
         (SELECT ST_SetSRID(ST_MakePoint($1, $2), 4326) AS pt) p \
         WHERE ST_Intersects(g.geom, pt) ORDER BY {RULE_ORDER} LIMIT 1"
    )
}

/// Every point's answering grid; points outside every grid have no row.
fn join_sql() -> String {
    format!(
        "SELECT DISTINCT ON (p.id) p.id, g.code FROM \
         (SELECT id, geom AS pt FROM points) p JOIN grids g ON ST_Intersects(g.geom, pt) \
         ORDER BY p.id, {RULE_ORDER}"
    )
}

/// What PostGIS answered and how fast.
#[derive(Debug)]
pub(super) struct Measured {
    /// Per point, the load, the join.
    pub rows: Vec<Row>,
    pub notes: Vec<String>,
    pub per_point: Vec<Option<GridCode>>,
    pub join: Vec<Option<GridCode>>,
}

pub(super) async fn measure(
    url: &str,
    map: &GridMap,
    points: &[LngLat],
) -> anyhow::Result<Measured> {
    eprintln!("准备中：PostGIS，新建数据库……");
    let masked = yiwang_web::config::mask_url_password(url);
    let db = BenchDatabase::empty(url).await.map_err(|e| {
        anyhow::anyhow!(
            "无法在 {masked} 上新建数据库：{e:#}。请用 --postgres-url 指定可建库的用户，或用 --skip-postgis 跳过 PostGIS"
        )
    })?;
    let measured = async {
        let mut conn = db.options().connect().await?;
        let measured = measure_in(&mut conn, map, points).await;
        let _ = conn.close().await;
        measured
    }
    .await;
    let name = db.name.clone();
    db.drop_database().await;
    let mut measured = measured?;
    measured.notes.insert(
        0,
        format!("PostGIS：{masked} 上新建的数据库 {name}，测完即删除。"),
    );
    Ok(measured)
}

async fn measure_in(
    conn: &mut PgConnection,
    map: &GridMap,
    points: &[LngLat],
) -> anyhow::Result<Measured> {
    sqlx::query("CREATE EXTENSION IF NOT EXISTS postgis")
        .execute(&mut *conn)
        .await
        .map_err(|e| {
            anyhow::anyhow!(
                "无法启用 PostGIS（{e}）。请安装，例如 apt-get install postgresql-15-postgis-3（15 换成服务器的主版本），或用 --skip-postgis 跳过"
            )
        })?;
    let version: String = sqlx::query_scalar("SELECT postgis_full_version()")
        .fetch_one(&mut *conn)
        .await?;
    sqlx::query(
        "CREATE TABLE grids (code TEXT PRIMARY KEY, comprehensive BOOLEAN NOT NULL, \
         geom geometry(Polygon, 4326) NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    for shape in &map.shapes {
        sqlx::query(
            "INSERT INTO grids (code, comprehensive, geom) VALUES ($1, $2, ST_GeomFromGeoJSON($3))",
        )
        .bind(shape.code.to_string())
        .bind(shape.kind.is_comprehensive())
        .bind(shape.boundary.to_geojson_text())
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("CREATE INDEX grids_geom_idx ON grids USING gist (geom)")
        .execute(&mut *conn)
        .await?;
    sqlx::query("ANALYZE grids").execute(&mut *conn).await?;

    // One query per point.
    eprintln!(
        "测量中：PostGIS 逐点查询，{} 个点……",
        grouped(points.len() as u64)
    );
    let sql = per_point_sql();
    // Prepared once, before the clock starts.
    if let Some(p) = points.first() {
        sqlx::query(&sql)
            .bind(p.lng)
            .bind(p.lat)
            .fetch_optional(&mut *conn)
            .await?;
    }
    let mut per_point = Vec::with_capacity(points.len());
    let mut latencies = Vec::with_capacity(points.len());
    let started = Instant::now();
    for p in points {
        let t = Instant::now();
        let row = sqlx::query(&sql)
            .bind(p.lng)
            .bind(p.lat)
            .fetch_optional(&mut *conn)
            .await?;
        latencies.push(t.elapsed().as_nanos() as f64);
        per_point.push(match row {
            Some(row) => Some(code(&row.try_get::<String, _>(0)?)?),
            None => None,
        });
    }
    let seconds = started.elapsed().as_secs_f64();
    let per_point_row = Row::new(
        "postgis_per_point",
        "PostGIS 逐点查询（预编译语句，1 个连接）",
        1,
        points.len() as u64,
        seconds,
    )
    .with_spread(&mut latencies);

    // Every point at once.
    eprintln!("测量中：PostGIS 集合连接，载入点……");
    sqlx::query(
        "CREATE TABLE points (id INTEGER PRIMARY KEY, geom geometry(Point, 4326) NOT NULL)",
    )
    .execute(&mut *conn)
    .await?;
    let started = Instant::now();
    let mut copy = conn
        .copy_in_raw("COPY points (id, geom) FROM STDIN")
        .await?;
    let mut chunk = String::with_capacity(1 << 20);
    for (i, p) in points.iter().enumerate() {
        writeln!(chunk, "{i}\t{}", ewkb_point(*p)).expect("writing to a string");
        if chunk.len() >= 1 << 20 {
            copy.send(chunk.as_bytes()).await?;
            chunk.clear();
        }
    }
    if !chunk.is_empty() {
        copy.send(chunk.as_bytes()).await?;
    }
    copy.finish().await?;
    sqlx::query("ANALYZE points").execute(&mut *conn).await?;
    let load_row = Row::new(
        "postgis_load",
        "PostGIS 载入点（COPY，含 ANALYZE）",
        1,
        points.len() as u64,
        started.elapsed().as_secs_f64(),
    );
    eprintln!("测量中：PostGIS 集合连接……");
    let started = Instant::now();
    let rows = sqlx::query(&join_sql()).fetch_all(&mut *conn).await?;
    let seconds = started.elapsed().as_secs_f64();
    let mut join = vec![None; points.len()];
    for row in rows {
        let id: i32 = row.try_get(0)?;
        let slot = usize::try_from(id)
            .ok()
            .and_then(|i| join.get_mut(i))
            .ok_or_else(|| anyhow::anyhow!("PostGIS 回答了不存在的点 {id}"))?;
        *slot = Some(code(&row.try_get::<String, _>(1)?)?);
    }
    let join_row = Row::new(
        "postgis_join",
        "PostGIS 集合连接（一条查询）",
        1,
        points.len() as u64,
        seconds,
    );
    let plan: Vec<String> = sqlx::query_scalar(&format!("EXPLAIN {}", join_sql()))
        .fetch_all(&mut *conn)
        .await?;
    let uses_index = plan.iter().any(|l| l.contains("grids_geom_idx"));
    let parallel = plan
        .iter()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Workers Planned: ")
                .map(str::to_owned)
        })
        .unwrap_or_else(|| "0".to_owned());

    Ok(Measured {
        rows: vec![per_point_row, load_row, join_row],
        notes: vec![
            format!("PostGIS 版本：{version}"),
            format!(
                "PostGIS 的答案规则与 Yiwang 相同：ST_Intersects（含边线）的网格中，按 {RULE_ORDER} 取第一个。"
            ),
            format!(
                "逐点查询的时延含往返；集合连接的用时含把全部结果读回客户端，不含载入点（单列一行）。集合连接的查询计划{}使用网格的 GiST 索引，计划并行工作进程 {parallel} 个。",
                if uses_index { "" } else { "未" }
            ),
        ],
        per_point,
        join,
    })
}

fn code(text: &str) -> anyhow::Result<GridCode> {
    GridCode::parse(text).map_err(|e| anyhow::anyhow!("PostGIS 回答的网格编码 {text:?} 无效：{e}"))
}

/// A point as PostGIS's text form of a geometry: hex EWKB, little-endian,
/// with SRID 4326, carrying the coordinates' exact bits.
fn ewkb_point(p: LngLat) -> String {
    let mut bytes = Vec::with_capacity(25);
    bytes.push(1u8);
    bytes.extend_from_slice(&0x2000_0001u32.to_le_bytes());
    bytes.extend_from_slice(&4326u32.to_le_bytes());
    bytes.extend_from_slice(&p.lng.to_le_bytes());
    bytes.extend_from_slice(&p.lat.to_le_bytes());
    let mut out = String::with_capacity(50);
    for b in bytes {
        write!(out, "{b:02X}").expect("writing to a string");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_travel_as_exact_ewkb() {
        // SELECT ST_AsEWKB('SRID=4326;POINT(1 2)'::geometry)
        assert_eq!(
            ewkb_point(LngLat { lng: 1.0, lat: 2.0 }),
            "0101000020E6100000000000000000F03F0000000000000040"
        );
        assert!(join_sql().contains("ST_Intersects") && per_point_sql().contains(RULE_ORDER));
    }
}
