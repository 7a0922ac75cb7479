/*-------------------------------------------------------------------------
 *
 * relinfo.c
 *		Facts about the relations a statement touches, as the live server
 *		knows them: whether the relation was created in this transaction
 *		(from the relcache), whether it is temporary, its real size from the
 *		storage manager (summed over partitions) and whether it has rows.
 *
 * Relations are opened with ACCESS SHARE only for as long as it takes to
 * read these facts, and the lock is released again: holding it until the
 * statement upgrades to its own, stronger lock could deadlock two sessions
 * that run the same migration.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "executor/tuptable.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/rls.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"

#include "schemaguard.h"

/*
 * Was a relation of this name created earlier in the script that check()
 * is linting?
 */
static bool
sg_created_by_script(SGContext *ctx, RangeVar *rv, SGRelInfo *ri)
{
	ListCell   *lc;

	foreach(lc, ctx->created_rels)
	{
		RangeVar   *c = lfirst(lc);
		char	   *cschema;

		if (strcmp(c->relname, rv->relname) != 0)
			continue;
		/* a temporary table shadows the others of its name */
		if (c->relpersistence == RELPERSISTENCE_TEMP ||
			(c->schemaname != NULL && strcmp(c->schemaname, "pg_temp") == 0))
		{
			if (rv->schemaname == NULL || strcmp(rv->schemaname, "pg_temp") == 0)
				return true;
			continue;
		}
		/* the schema the script created it in, as the server would choose */
		if (c->schemaname != NULL)
			cschema = c->schemaname;
		else
		{
			Oid			nspid = RangeVarGetCreationNamespace(c);

			cschema = get_namespace_name(nspid);
		}
		/* the same relation the statement names now? */
		if (cschema != NULL && strcmp(cschema, ri->nspname) == 0)
			return true;
	}
	return false;
}

/*
 * Facts about the relation a RangeVar names, or NULL when it does not
 * exist (the statement will then fail on its own, or create it).
 */
SGRelInfo *
sg_relinfo_rv(SGContext *ctx, RangeVar *rv)
{
	Oid			relid;
	SGRelInfo  *ri;

	if (rv == NULL)
		return NULL;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (!OidIsValid(relid))
		return NULL;
	ri = sg_relinfo_oid(ctx, relid);
	if (ri != NULL && ctx->dry_run && sg_created_by_script(ctx, rv, ri))
		ri->created_in_xact = true;
	return ri;
}

/*
 * May the current role run the statement on this relation, as far as the
 * server's permission checks on it go: does it own the relation, or hold
 * one of the privileges that the statement accepts instead?  A role that
 * may not gets the server's own error: the guard does not judge (or lock,
 * or measure, or scan) the relation for it.  check() judges every relation
 * a script names: only the roles granted EXECUTE on it may call it.
 */
static bool
sg_may_act_on(SGContext *ctx, Oid relid)
{
	HeapTuple	tup;
	Oid			owner;

	if (ctx->dry_run || ctx->privileges_checked)
		return true;
	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	if (!HeapTupleIsValid(tup))
		return false;
	owner = ((Form_pg_class) GETSTRUCT(tup))->relowner;
	ReleaseSysCache(tup);
	if (has_privs_of_role(GetUserId(), owner))
		return true;
	return ctx->acl_any != 0 &&
		pg_class_aclmask(relid, GetUserId(), ctx->acl_any, ACLMASK_ANY) != 0;
}

/*
 * May the current role see the relation's rows: does it own it or hold a
 * privilege that shows them or their number (SELECT, UPDATE, DELETE), with
 * no row-level security policy applying to it?  If not, the guard does not
 * look for rows, and assumes there are some.
 */
static bool
sg_may_read(SGContext *ctx, Oid relid)
{
	if (ctx->dry_run || superuser())
		return true;
	if (pg_class_aclmask(relid, GetUserId(), ACL_SELECT | ACL_UPDATE | ACL_DELETE,
						 ACLMASK_ANY) == 0)
		return false;
	return check_enable_rls(relid, InvalidOid, true) != RLS_ENABLED;
}

SGRelInfo *
sg_relinfo_oid(SGContext *ctx, Oid relid)
{
	ListCell   *lc;
	Relation	rel;
	SGRelInfo  *ri;

	foreach(lc, ctx->relcache)
	{
		ri = lfirst(lc);
		if (ri->relid == relid)
			return ri;
	}

	if (!sg_may_act_on(ctx, relid))
		return NULL;
	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		return NULL;

	ri = palloc0(sizeof(SGRelInfo));
	ri->relid = relid;
	ri->nspname = get_namespace_name(RelationGetNamespace(rel));
	ri->relname = pstrdup(RelationGetRelationName(rel));
	ri->display = psprintf("%s.%s", ri->nspname, ri->relname);
	ri->qualified = quote_qualified_identifier(ri->nspname, ri->relname);
	ri->relkind = rel->rd_rel->relkind;
	ri->relpersistence = rel->rd_rel->relpersistence;
	ri->created_in_xact = (rel->rd_createSubid != InvalidSubTransactionId);
	ri->reltuples = -1;
	ri->has_rows = -1;
	ri->may_read = sg_may_read(ctx, relid);

	relation_close(rel, AccessShareLock);

	ctx->relcache = lappend(ctx->relcache, ri);
	return ri;
}

/*
 * The general exemptions that hold for every rule: the relation was
 * created in the current transaction, or is temporary.
 */
bool
sg_rel_exempt(SGContext *ctx, SGRelInfo *ri)
{
	return ri->created_in_xact || ri->relpersistence == RELPERSISTENCE_TEMP;
}

/*
 * Add the heap size and row estimate of one relation with storage.
 */
static void
sg_measure_one(SGRelInfo *ri, Relation rel)
{
	if (!RELKIND_HAS_STORAGE(rel->rd_rel->relkind))
		return;
	ri->bytes += (int64) RelationGetNumberOfBlocks(rel) * BLCKSZ;
	if (rel->rd_rel->reltuples >= 0)
	{
		if (ri->reltuples < 0)
			ri->reltuples = 0;
		ri->reltuples += rel->rd_rel->reltuples;
	}
}

static void
sg_measure(SGRelInfo *ri)
{
	Relation	rel;

	if (ri->size_known)
		return;
	ri->size_known = true;

	/* a Citus table's rows are in its shards, on other nodes (citus.c) */
	if (sg_citus_measure(ri))
		return;

	rel = try_relation_open(ri->relid, AccessShareLock);
	if (rel == NULL)
		return;

	if (rel->rd_rel->relkind == RELKIND_PARTITIONED_TABLE ||
		rel->rd_rel->relkind == RELKIND_PARTITIONED_INDEX)
	{
		List	   *children = find_all_inheritors(ri->relid, NoLock, NULL);
		ListCell   *lc;

		foreach(lc, children)
		{
			Oid			child = lfirst_oid(lc);
			Relation	crel;

			if (child == ri->relid)
				continue;
			crel = try_relation_open(child, AccessShareLock);
			if (crel == NULL)
				continue;
			if (RELKIND_HAS_STORAGE(crel->rd_rel->relkind))
			{
				sg_measure_one(ri, crel);
				ri->npartitions++;
			}
			relation_close(crel, AccessShareLock);
		}
	}
	else
		sg_measure_one(ri, rel);

	relation_close(rel, AccessShareLock);
}

/*
 * Is the relation large enough for the lock-duration rules?  Relations
 * that existed before this transaction count as large when
 * schemaguard.assume_large_tables is on.
 */
bool
sg_rel_is_large(SGContext *ctx, SGRelInfo *ri)
{
	if (sg_assume_large_tables && !ri->created_in_xact)
		return true;
	sg_measure(ri);
	if (ri->citus_size_unknown != NULL)
		return true;
	if (sg_table_size_threshold_kb == 0)
		return sg_rel_has_rows(ctx, ri);
	return ri->bytes >= (int64) sg_table_size_threshold_kb * 1024;
}

/*
 * Does the relation have at least one row visible to this transaction
 * (attnum 0), or one whose column attnum is not null?  Scans until the
 * first such row with the latest snapshot; an empty heap costs nothing.
 */
static bool
sg_heap_scan_for(Oid relid, AttrNumber attnum)
{
	Relation	rel;
	volatile bool found = false;

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		return false;

	if (RELKIND_HAS_STORAGE(rel->rd_rel->relkind) &&
		RelationGetNumberOfBlocks(rel) > 0 &&
		rel->rd_rel->relkind != RELKIND_INDEX)
	{
		Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
		struct PgStat_TableStatus *pgstat_info = rel->pgstat_info;
		bool		pgstat_enabled = rel->pgstat_enabled;

		/*
		 * schemaguard's look is not a read by running code: keep it out of
		 * the statistics, whose last_seq_scan tells drop_empty_table that a
		 * table is in use.
		 */
		rel->pgstat_info = NULL;
		rel->pgstat_enabled = false;
		PG_TRY();
		{
			TableScanDesc scan = SG_TABLE_BEGINSCAN(rel, snapshot, 0, NULL);
			TupleTableSlot *slot = table_slot_create(rel, NULL);

			while (table_scan_getnextslot(scan, ForwardScanDirection, slot))
			{
				bool		isnull;

				if (attnum <= 0)
				{
					found = true;
					break;
				}
				(void) slot_getattr(slot, attnum, &isnull);
				if (!isnull)
				{
					found = true;
					break;
				}
				CHECK_FOR_INTERRUPTS();
			}

			ExecDropSingleTupleTableSlot(slot);
			table_endscan(scan);
		}
		PG_FINALLY();
		{
			rel->pgstat_info = pgstat_info;
			rel->pgstat_enabled = pgstat_enabled;
		}
		PG_END_TRY();
		UnregisterSnapshot(snapshot);
	}

	relation_close(rel, AccessShareLock);
	return found;
}

static bool
sg_heap_has_rows(Oid relid)
{
	return sg_heap_scan_for(relid, 0);
}

/*
 * Does the column hold a value?  False only when that is certain: the
 * table has no row, or it is no larger than
 * schemaguard.table_size_threshold and a scan finds no row where the
 * column is not null (on every partition).  A larger table is assumed to
 * hold values: only a scan of all of it could tell.
 */
bool
sg_column_has_values(SGContext *ctx, SGRelInfo *ri, const char *column)
{
	List	   *leaves;
	ListCell   *lc;

	if (!sg_rel_has_rows(ctx, ri))
		return false;
	if ((sg_assume_large_tables && !ri->created_in_xact) || !ri->may_read)
		return true;
	sg_measure(ri);
	/* the shell of a Citus table has no rows to scan */
	if (ri->bytes > (int64) sg_table_size_threshold_kb * 1024 ||
		ri->citus_kind != SG_CITUS_NONE)
		return true;

	if (ri->relkind == RELKIND_PARTITIONED_TABLE)
		leaves = find_all_inheritors(ri->relid, NoLock, NULL);
	else
		leaves = list_make1_oid(ri->relid);
	foreach(lc, leaves)
	{
		Oid			relid = lfirst_oid(lc);
		AttrNumber	attnum;

		if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
			continue;
		attnum = get_attnum(relid, column);
		if (attnum == InvalidAttrNumber)
			return true;		/* not a plain column of the table */
		if (sg_heap_scan_for(relid, attnum))
			return true;
	}
	return false;
}

bool
sg_rel_has_rows(SGContext *ctx, SGRelInfo *ri)
{
	if (sg_assume_large_tables && !ri->created_in_xact)
		return true;
	if (ri->has_rows >= 0)
		return ri->has_rows == 1;
	if (!ri->may_read)
	{
		ri->has_rows = 1;
		return true;
	}

	/* a Citus table has rows if any shard has a heap page (citus.c) */
	if (sg_citus_active())
		sg_measure(ri);
	if (ri->citus_kind != SG_CITUS_NONE)
	{
		ri->has_rows = (ri->bytes > 0 || ri->citus_size_unknown != NULL) ? 1 : 0;
		return ri->has_rows == 1;
	}

	ri->has_rows = 0;
	if (ri->relkind == RELKIND_PARTITIONED_TABLE)
	{
		List	   *children = find_all_inheritors(ri->relid, NoLock, NULL);
		ListCell   *lc;

		foreach(lc, children)
		{
			if (lfirst_oid(lc) != ri->relid && sg_heap_has_rows(lfirst_oid(lc)))
			{
				ri->has_rows = 1;
				break;
			}
		}
	}
	else if (sg_heap_has_rows(ri->relid))
		ri->has_rows = 1;

	return ri->has_rows == 1;
}

/*
 * Of the given relations, the largest that is not exempt and is large, or
 * NULL; *nconsidered (if not NULL) counts the non-exempt ones.  For the
 * statements that work through many tables (REINDEX SCHEMA, VACUUM FULL
 * and CLUSTER without a table).
 */
SGRelInfo *
sg_largest_large_rel(SGContext *ctx, List *relids, int *nconsidered)
{
	SGRelInfo  *largest = NULL;
	ListCell   *lc;

	if (nconsidered != NULL)
		*nconsidered = 0;
	foreach(lc, relids)
	{
		SGRelInfo  *ri = sg_relinfo_oid(ctx, lfirst_oid(lc));

		if (ri == NULL || sg_rel_exempt(ctx, ri))
			continue;
		if (nconsidered != NULL)
			(*nconsidered)++;
		if (!sg_rel_is_large(ctx, ri))
			continue;
		if (largest == NULL || ri->bytes > largest->bytes)
			largest = ri;
	}
	return largest;
}

/* Is the relation a Citus table (distributed, reference or Citus local)? */
bool
sg_rel_is_citus(SGRelInfo *ri)
{
	if (!sg_citus_active())
		return false;
	sg_measure(ri);
	return ri->citus_kind != SG_CITUS_NONE;
}

/*
 * "40 kB (about 1000 rows)", for DETAIL lines.
 */
char *
sg_rel_size_text(SGContext *ctx, SGRelInfo *ri)
{
	char	   *size;
	char	   *rows;
	char	   *parts = "";

	sg_measure(ri);
	size = text_to_cstring(DatumGetTextPP(DirectFunctionCall1(pg_size_pretty,
															  Int64GetDatum(ri->bytes))));
	if (ri->relkind == RELKIND_PARTITIONED_TABLE ||
		ri->relkind == RELKIND_PARTITIONED_INDEX)
		parts = psprintf(" in %d partition%s", ri->npartitions,
						 ri->npartitions == 1 ? "" : "s");
	if (ri->reltuples >= 0)
		rows = psprintf("about %.0f row%s", ri->reltuples,
						ri->reltuples == 1 ? "" : "s");
	else
		rows = "row count not yet estimated";

	if (ri->citus_kind != SG_CITUS_NONE)
	{
		if (ri->citus_size_unknown != NULL)
			return psprintf("not known (%s of %d shard%s; Citus could not tell: %s), counted as large",
							sg_citus_kind_name(ri->citus_kind), ri->npartitions,
							ri->npartitions == 1 ? "" : "s", ri->citus_size_unknown);
		return psprintf("%s in %d shard%s of the %s, from the workers",
						size, ri->npartitions, ri->npartitions == 1 ? "" : "s",
						sg_citus_kind_name(ri->citus_kind));
	}
	if (sg_assume_large_tables && !ri->created_in_xact)
		return psprintf("%s%s (%s), counted as large because schemaguard.assume_large_tables is on",
						size, parts, rows);
	return psprintf("%s%s (%s)", size, parts, rows);
}

/*
 * ADD COLUMN IF NOT EXISTS of a column the relation already has: the
 * server skips it with a NOTICE, so no rule judges it.
 */
bool
sg_add_column_skipped(Oid relid, AlterTableCmd *cmd)
{
	return cmd->subtype == AT_AddColumn && cmd->missing_ok &&
		cmd->def != NULL && IsA(cmd->def, ColumnDef) && OidIsValid(relid) &&
		get_attnum(relid, ((ColumnDef *) cmd->def)->colname) != InvalidAttrNumber;
}

/*
 * The OIDs of the relations in pg_class for which pred(form, arg) holds,
 * by a scan of pg_class (for the few statements that reach relations no
 * index leads to: the tables of a schema, the tables of a composite type).
 */
List *
sg_relids_where(bool (*pred) (Form_pg_class form, void *arg), void *arg)
{
	Relation	classrel = table_open(RelationRelationId, AccessShareLock);
	TableScanDesc scan = table_beginscan_catalog(classrel, 0, NULL);
	HeapTuple	tup;
	List	   *relids = NIL;

	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tup);

		if (pred(form, arg))
			relids = lappend_oid(relids, form->oid);
	}
	table_endscan(scan);
	table_close(classrel, AccessShareLock);
	/* in OID order, not the order the catalog happens to store them in */
	list_sort(relids, list_oid_cmp);
	return relids;
}
