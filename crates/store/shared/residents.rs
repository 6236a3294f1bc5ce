// The ResidentStore implementation shared by both backends: `include!`d
// by `store-sqlite/src/residents.rs` and `store-postgres/src/residents.rs`
// after each has named its `Db`, `Backend` and read and write helpers, so
// the statements are written once and compiled for each backend.

async fn load_building(conn: &mut Conn, id: Uuid) -> StoreResult<Option<BuildingRow>> {
    let mut qb = QueryBuilder::<Db>::new(BUILDING_SELECT);
    qb.push(" WHERE b.id = ").push_bind(id.to_string());
    let row: Option<BuildingSqlRow> = qb
        .build_query_as()
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    row.map(BuildingRow::try_from).transpose()
}

pub(crate) async fn load_resident(conn: &mut Conn, id: Uuid) -> StoreResult<Option<ResidentRow>> {
    let mut qb = QueryBuilder::<Db>::new(RESIDENT_SELECT);
    qb.push(" WHERE r.id = ").push_bind(id.to_string());
    let row: Option<ResidentSqlRow> = qb
        .build_query_as()
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    let Some(row) = row else {
        return Ok(None);
    };
    let mut residents = vec![ResidentRow::try_from(row)?];
    load_tags(conn, &mut residents).await?;
    Ok(residents.pop())
}

/// Reads the tags of `residents` and puts them on their rows.
async fn load_tags(conn: &mut Conn, residents: &mut [ResidentRow]) -> StoreResult<()> {
    if residents.is_empty() {
        return Ok(());
    }
    let mut qb = QueryBuilder::<Db>::new(TAG_SELECT);
    qb.push(" WHERE resident_id IN (");
    let mut ids = qb.separated(", ");
    for r in residents.iter() {
        ids.push_bind(r.id.to_string());
    }
    qb.push(") ORDER BY resident_id, tag");
    let tags: Vec<TagSqlRow> = qb
        .build_query_as()
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    attach_tags(residents, tags);
    Ok(())
}

pub(crate) async fn grid_exists(conn: &mut Conn, grid_code: &str) -> StoreResult<bool> {
    let mut qb = QueryBuilder::<Db>::new("SELECT code FROM grids WHERE code = ");
    qb.push_bind(grid_code.to_owned());
    let found: Option<String> = qb
        .build_query_scalar()
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    Ok(found.is_some())
}

/// The flat's household, created (and audited) when the building has none
/// with that unit and room. `NotFound` for an unknown building.
pub(crate) async fn household_for(
    conn: &mut Conn,
    ctx: &AuditCtx,
    flat: &Flat,
) -> StoreResult<Uuid> {
    let building = load_building(conn, flat.building_id)
        .await?
        .ok_or(StoreError::NotFound)?;
    let mut qb = QueryBuilder::<Db>::new("SELECT id FROM grid_households WHERE building_id = ");
    qb.push_bind(flat.building_id.to_string())
        .push(" AND unit = ")
        .push_bind(flat.unit.clone())
        .push(" AND room = ")
        .push_bind(flat.room.clone());
    let found: Option<String> = qb
        .build_query_scalar()
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    if let Some(id) = found {
        return yiwang_store::sql_rows::parse_uuid("grid_households.id", &id);
    }
    let id = Uuid::now_v7();
    let mut qb = QueryBuilder::<Db>::new(HOUSEHOLD_INSERT);
    qb.push_values([flat], |mut b, f| {
        b.push_bind(id.to_string())
            .push_bind(f.building_id.to_string())
            .push_bind(f.unit.clone())
            .push_bind(f.room.clone())
            .push_bind(ctx.at);
    });
    qb.build()
        .execute(&mut *conn)
        .await
        .map_err(places_conflict)?;
    append_audit(
        conn,
        ctx,
        NewAudit::new("household.create", "household", id).with_detail(json!({
            "building_id": flat.building_id,
            "grid_code": building.grid_code,
            "address": format!("{}{}{}", building.address(), flat.unit, flat.room),
        })),
    )
    .await?;
    Ok(id)
}

fn push_resident_filters(qb: &mut QueryBuilder<'_, Db>, query: &ResidentQuery) {
    qb.push(" WHERE b.grid_code = ")
        .push_bind(query.grid_code.clone());
    if let Some(building) = query.building_id {
        qb.push(" AND b.id = ").push_bind(building.to_string());
    }
    if let Some(tag) = query.tag.as_ref().filter(|t| !t.is_empty()) {
        qb.push(
            " AND EXISTS (SELECT 1 FROM grid_resident_tags t WHERE t.resident_id = r.id AND t.tag = ",
        )
        .push_bind(tag.clone())
        .push(")");
    }
    if let Some(search) = query
        .search
        .as_ref()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        let pattern = format!("%{}%", escape_like(search));
        qb.push(" AND (r.name LIKE ")
            .push_bind(pattern.clone())
            .push(" ESCAPE '\\' OR b.road || b.number || b.building || h.unit || h.room LIKE ")
            .push_bind(pattern)
            .push(" ESCAPE '\\' OR r.id_number = ")
            .push_bind(search.to_uppercase())
            .push(" OR r.phone = ")
            .push_bind(search.to_owned())
            .push(")");
    }
}

fn push_building_filters(qb: &mut QueryBuilder<'_, Db>, query: &BuildingQuery) {
    qb.push(" WHERE 1 = 1");
    if let Some(grid) = &query.grid_code {
        qb.push(" AND b.grid_code = ").push_bind(grid.clone());
    }
    if let Some(search) = query
        .search
        .as_ref()
        .map(|s| s.trim())
        .filter(|s| !s.is_empty())
    {
        qb.push(" AND b.address_key LIKE ")
            .push_bind(format!("%{}%", escape_like(search)))
            .push(" ESCAPE '\\'");
    }
}

/// The multi-row insert of `buildings`, created at `at`.
fn insert_buildings<'a>(
    buildings: impl IntoIterator<Item = &'a NewBuilding>,
    at: i64,
) -> QueryBuilder<'a, Db> {
    let mut qb = QueryBuilder::<Db>::new(BUILDING_INSERT);
    qb.push_values(buildings, |mut b, n| {
        b.push_bind(n.id.to_string())
            .push_bind(n.grid_code.clone())
            .push_bind(n.road.clone())
            .push_bind(n.number.clone())
            .push_bind(n.building.clone())
            .push_bind(n.address_key.clone())
            .push_bind(n.lng)
            .push_bind(n.lat)
            .push_bind(n.placement.code())
            .push_bind(at)
            .push_bind(at);
    });
    qb
}

pub(crate) async fn insert_resident(
    conn: &mut Conn,
    ctx: &AuditCtx,
    id: Uuid,
    household: Uuid,
    input: &ResidentInput,
) -> StoreResult<()> {
    let mut qb = QueryBuilder::<Db>::new(RESIDENT_INSERT);
    qb.push_values([input], |mut b, r| {
        b.push_bind(id.to_string())
            .push_bind(household.to_string())
            .push_bind(r.name.clone())
            .push_bind(r.id_number.clone())
            .push_bind(r.phone.clone())
            .push_bind(r.note.clone())
            .push_bind(1_i64)
            .push_bind(ctx.at)
            .push_bind(ctx.at);
    });
    qb.build()
        .execute(&mut *conn)
        .await
        .map_err(places_conflict)?;
    Ok(())
}

#[async_trait]
impl ResidentStore for Backend {
    async fn import_places(
        &self,
        ctx: &AuditCtx,
        import: PlacesImport,
    ) -> StoreResult<PlacesCounts> {
        let mut tx = self.write().await?;
        for chunk in import.buildings.chunks(CHUNK) {
            insert_buildings(chunk, ctx.at)
                .build()
                .execute(&mut *tx)
                .await
                .map_err(places_conflict)?;
        }
        for chunk in import.households.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(HOUSEHOLD_INSERT);
            qb.push_values(chunk, |mut b, h| {
                b.push_bind(h.id.to_string())
                    .push_bind(h.building_id.to_string())
                    .push_bind(h.unit.clone())
                    .push_bind(h.room.clone())
                    .push_bind(ctx.at);
            });
            qb.build()
                .execute(&mut *tx)
                .await
                .map_err(places_conflict)?;
        }
        let mut tags = 0u64;
        for chunk in import.residents.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Db>::new(RESIDENT_INSERT);
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.id.to_string())
                    .push_bind(r.household_id.to_string())
                    .push_bind(r.name.clone())
                    .push_bind(r.id_number.clone())
                    .push_bind(r.phone.clone())
                    .push_bind(r.note.clone())
                    .push_bind(1_i64)
                    .push_bind(ctx.at)
                    .push_bind(ctx.at);
            });
            qb.build()
                .execute(&mut *tx)
                .await
                .map_err(places_conflict)?;
            let chunk_tags: Vec<(Uuid, &NewTag)> = chunk
                .iter()
                .flat_map(|r| r.tags.iter().map(move |t| (r.id, t)))
                .collect();
            for tag_chunk in chunk_tags.chunks(CHUNK) {
                let mut qb = QueryBuilder::<Db>::new(TAG_INSERT);
                qb.push_values(tag_chunk, |mut b, (id, t)| {
                    b.push_bind(id.to_string())
                        .push_bind(t.tag.clone())
                        .push_bind(t.review_on)
                        .push_bind(t.note.clone())
                        .push_bind(ctx.at)
                        .push_bind(ctx.actor_name.clone());
                });
                qb.build()
                    .execute(&mut *tx)
                    .await
                    .map_err(places_conflict)?;
            }
            tags += chunk_tags.len() as u64;
        }
        let counts = PlacesCounts {
            buildings: import.buildings.len() as u64,
            households: import.households.len() as u64,
            residents: import.residents.len() as u64,
            tags,
        };
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("places.import", "places", &import.label).with_detail(json!(counts)),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(counts)
    }

    async fn create_building(
        &self,
        ctx: &AuditCtx,
        building: NewBuilding,
    ) -> StoreResult<BuildingRow> {
        let mut tx = self.write().await?;
        if !grid_exists(&mut tx, &building.grid_code).await? {
            return Err(StoreError::NotFound);
        }
        insert_buildings([&building], ctx.at)
            .build()
            .execute(&mut *tx)
            .await
            .map_err(places_conflict)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("building.create", "building", building.id).with_detail(json!({
                "grid_code": building.grid_code,
                "address": format!("{}{}{}", building.road, building.number, building.building),
                "placement": building.placement.code(),
                "lng": building.lng,
                "lat": building.lat,
            })),
        )
        .await?;
        let row = load_building(&mut tx, building.id)
            .await?
            .ok_or(StoreError::NotFound)?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn building(&self, id: Uuid) -> StoreResult<Option<BuildingRow>> {
        let mut tx = self.places_read().await?;
        let row = load_building(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn buildings(
        &self,
        query: &BuildingQuery,
        page: Page,
    ) -> StoreResult<Paged<BuildingRow>> {
        let page = clamp(page);
        let mut tx = self.places_read().await?;
        let mut count = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM grid_buildings b");
        push_building_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select = QueryBuilder::<Db>::new(BUILDING_SELECT);
        push_building_filters(&mut select, query);
        select
            .push(" ORDER BY b.address_key LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let rows: Vec<BuildingSqlRow> = select
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(Paged {
            items: convert_all(rows)?,
            total: total as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }

    async fn buildings_by_key(&self, prefix: &str, limit: u32) -> StoreResult<Vec<BuildingRow>> {
        if prefix.is_empty() {
            return Ok(Vec::new());
        }
        let mut tx = self.places_read().await?;
        let mut qb = QueryBuilder::<Db>::new(BUILDING_SELECT);
        qb.push(" WHERE b.address_key >= ")
            .push_bind(prefix.to_owned());
        if let Some(next) = prefix_successor(prefix) {
            qb.push(" AND b.address_key < ").push_bind(next);
        }
        qb.push(" ORDER BY b.address_key LIMIT ")
            .push_bind(i64::from(limit.min(Page::MAX_LIMIT)));
        let rows: Vec<BuildingSqlRow> =
            qb.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        convert_all(rows)
    }

    async fn households(&self, building_id: Uuid) -> StoreResult<Vec<HouseholdRow>> {
        let mut tx = self.places_read().await?;
        let mut qb = QueryBuilder::<Db>::new(HOUSEHOLD_SELECT);
        qb.push(" WHERE h.building_id = ")
            .push_bind(building_id.to_string())
            .push(" ORDER BY h.unit, h.room, h.id");
        let rows: Vec<HouseholdSqlRow> =
            qb.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        convert_all(rows)
    }

    async fn create_resident(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        input: ResidentInput,
    ) -> StoreResult<ResidentRow> {
        let mut tx = self.write().await?;
        let household = household_for(&mut tx, ctx, &input.flat).await?;
        insert_resident(&mut tx, ctx, id, household, &input).await?;
        let row = load_resident(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("resident.create", "resident", id).with_detail(json!({
                "grid_code": row.grid_code,
                "household_id": household,
                "id_number": masked_id_number(&row.id_number),
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn update_resident(
        &self,
        ctx: &AuditCtx,
        id: Uuid,
        version: i64,
        input: ResidentInput,
    ) -> StoreResult<ResidentRow> {
        let mut tx = self.write().await?;
        let before = load_resident(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        if before.version != version {
            return Err(StoreError::Conflict { field: "version" });
        }
        let household = household_for(&mut tx, ctx, &input.flat).await?;
        let mut qb = QueryBuilder::<Db>::new("UPDATE grid_residents SET household_id = ");
        qb.push_bind(household.to_string())
            .push(", name = ")
            .push_bind(input.name.clone())
            .push(", id_number = ")
            .push_bind(input.id_number.clone())
            .push(", phone = ")
            .push_bind(input.phone.clone())
            .push(", note = ")
            .push_bind(input.note.clone())
            .push(", version = version + 1, updated_at = ")
            .push_bind(ctx.at)
            .push(" WHERE id = ")
            .push_bind(id.to_string())
            .push(" AND version = ")
            .push_bind(version);
        let changed = qb
            .build()
            .execute(&mut *tx)
            .await
            .map_err(places_conflict)?
            .rows_affected();
        if changed != 1 {
            return Err(StoreError::Conflict { field: "version" });
        }
        let after = load_resident(&mut tx, id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut fields = Vec::new();
        if before.name != after.name {
            fields.push("name");
        }
        if before.id_number != after.id_number {
            fields.push("id_number");
        }
        if before.phone != after.phone {
            fields.push("phone");
        }
        if before.note != after.note {
            fields.push("note");
        }
        if before.household_id != after.household_id {
            fields.push("household");
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("resident.update", "resident", id).with_detail(json!({
                "grid_code": after.grid_code,
                "previous_grid_code": before.grid_code,
                "version": after.version,
                "changed": fields,
                "id_number": masked_id_number(&after.id_number),
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(after)
    }

    async fn resident(&self, id: Uuid) -> StoreResult<Option<ResidentRow>> {
        let mut tx = self.places_read().await?;
        let row = load_resident(&mut tx, id).await?;
        tx.commit().await.map_err(db)?;
        Ok(row)
    }

    async fn residents(
        &self,
        query: &ResidentQuery,
        page: Page,
    ) -> StoreResult<Paged<ResidentRow>> {
        let page = clamp(page);
        let mut tx = self.places_read().await?;
        let mut count = QueryBuilder::<Db>::new(
            "SELECT COUNT(*) FROM grid_residents r \
             JOIN grid_households h ON h.id = r.household_id \
             JOIN grid_buildings b ON b.id = h.building_id",
        );
        push_resident_filters(&mut count, query);
        let total: i64 = count
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        let mut select = QueryBuilder::<Db>::new(RESIDENT_SELECT);
        push_resident_filters(&mut select, query);
        select
            .push(RESIDENT_ORDER)
            .push(" LIMIT ")
            .push_bind(i64::from(page.limit))
            .push(" OFFSET ")
            .push_bind(i64::from(page.offset));
        let rows: Vec<ResidentSqlRow> = select
            .build_query_as()
            .fetch_all(&mut *tx)
            .await
            .map_err(db)?;
        let mut items: Vec<ResidentRow> = convert_all(rows)?;
        load_tags(&mut tx, &mut items).await?;
        tx.commit().await.map_err(db)?;
        Ok(Paged {
            items,
            total: total as u64,
            offset: page.offset,
            limit: page.limit,
        })
    }

    async fn set_tag(&self, ctx: &AuditCtx, resident_id: Uuid, tag: NewTag) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let resident = load_resident(&mut tx, resident_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let previous = resident.tags.iter().find(|t| t.tag == tag.tag).cloned();
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM grid_resident_tags WHERE resident_id = ");
        qb.push_bind(resident_id.to_string())
            .push(" AND tag = ")
            .push_bind(tag.tag.clone());
        qb.build().execute(&mut *tx).await.map_err(db)?;
        let mut qb = QueryBuilder::<Db>::new(TAG_INSERT);
        qb.push_values([&tag], |mut b, t| {
            b.push_bind(resident_id.to_string())
                .push_bind(t.tag.clone())
                .push_bind(t.review_on)
                .push_bind(t.note.clone())
                .push_bind(ctx.at)
                .push_bind(ctx.actor_name.clone());
        });
        qb.build()
            .execute(&mut *tx)
            .await
            .map_err(places_conflict)?;
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("resident.tag.set", "resident", resident_id).with_detail(json!({
                "grid_code": resident.grid_code,
                "tag": tag.tag,
                "review_on": tag.review_on,
                "previous_review_on": previous.map(|p| p.review_on),
            })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn remove_tag(&self, ctx: &AuditCtx, resident_id: Uuid, tag: &str) -> StoreResult<()> {
        let mut tx = self.write().await?;
        let resident = load_resident(&mut tx, resident_id)
            .await?
            .ok_or(StoreError::NotFound)?;
        let mut qb = QueryBuilder::<Db>::new("DELETE FROM grid_resident_tags WHERE resident_id = ");
        qb.push_bind(resident_id.to_string())
            .push(" AND tag = ")
            .push_bind(tag.to_owned());
        let removed = qb
            .build()
            .execute(&mut *tx)
            .await
            .map_err(db)?
            .rows_affected();
        if removed == 0 {
            return Err(StoreError::NotFound);
        }
        append_audit(
            &mut tx,
            ctx,
            NewAudit::new("resident.tag.remove", "resident", resident_id)
                .with_detail(json!({ "grid_code": resident.grid_code, "tag": tag })),
        )
        .await?;
        tx.commit().await.map_err(db)?;
        Ok(())
    }

    async fn count_residents(&self) -> StoreResult<u64> {
        let mut tx = self.places_read().await?;
        let n: i64 = QueryBuilder::<Db>::new("SELECT COUNT(*) FROM grid_residents")
            .build_query_scalar()
            .fetch_one(&mut *tx)
            .await
            .map_err(db)?;
        tx.commit().await.map_err(db)?;
        Ok(n as u64)
    }
    async fn placed_buildings(&self) -> StoreResult<Vec<PlacedBuilding>> {
        let mut tx = self.places_read().await?;
        let mut qb = QueryBuilder::<Db>::new(
            "SELECT id, grid_code, road || number || building, lng, lat FROM grid_buildings \
             WHERE placement = ",
        );
        qb.push_bind(Placement::Point.code())
            .push(" AND lng IS NOT NULL AND lat IS NOT NULL ORDER BY address_key");
        let rows: Vec<(String, String, String, f64, f64)> =
            qb.build_query_as().fetch_all(&mut *tx).await.map_err(db)?;
        tx.commit().await.map_err(db)?;
        rows.into_iter()
            .map(|(id, grid_code, address, lng, lat)| {
                Ok(PlacedBuilding {
                    id: Uuid::parse_str(&id).map_err(|e| {
                        StoreError::Backend(format!("grid_buildings.id: {e}").into())
                    })?,
                    grid_code,
                    address,
                    lng,
                    lat,
                })
            })
            .collect()
    }

    async fn move_buildings(&self, ctx: &AuditCtx, moves: &[BuildingMove]) -> StoreResult<u64> {
        if moves.is_empty() {
            return Ok(0);
        }
        let mut tx = self.write().await?;
        let mut moved = 0;
        for m in moves {
            let mut qb = QueryBuilder::<Db>::new("UPDATE grid_buildings SET grid_code = ");
            qb.push_bind(m.to.clone())
                .push(", updated_at = ")
                .push_bind(ctx.at)
                .push(" WHERE id = ")
                .push_bind(m.building_id.to_string())
                .push(" AND grid_code = ")
                .push_bind(m.from.clone());
            let done = qb.build().execute(&mut *tx).await.map_err(conflict_or_db)?;
            if done.rows_affected() == 1 {
                moved += 1;
                append_audit(
                    &mut tx,
                    ctx,
                    NewAudit::new("grid.building.move", "building", m.building_id)
                        .with_detail(json!({ "from": m.from, "to": m.to })),
                )
                .await?;
            }
        }
        tx.commit().await.map_err(db)?;
        Ok(moved)
    }
}
