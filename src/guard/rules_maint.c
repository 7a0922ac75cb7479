/*-------------------------------------------------------------------------
 *
 * rules_maint.c
 *		Rule checks for maintenance commands that hold exclusive locks for
 *		as long as they rewrite or recompute a relation
 *		(refresh_matview_not_concurrent, vacuum_full, cluster), and
 *		missing_lock_timeout, which looks at every statement that takes a
 *		lock blocking traffic.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/relation.h"
#include "access/xlog.h"
#include "catalog/catalog.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "commands/defrem.h"
#include "replication/logicalrelation.h"
#include "replication/slot.h"
#include "storage/proc.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "schemaguard.h"

/* ----------------------------------------------------------------
 * refresh_matview_not_concurrent
 * ----------------------------------------------------------------
 */

/* Does the materialized view have an index REFRESH CONCURRENTLY can use? */
static bool
sg_matview_has_unique_index(Oid relid)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);
	List	   *indexes;
	ListCell   *lc;
	bool		found = false;

	if (rel == NULL)
		return false;
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));

		if (!HeapTupleIsValid(tup))
			continue;
		if (((Form_pg_index) GETSTRUCT(tup))->indisunique &&
			((Form_pg_index) GETSTRUCT(tup))->indisvalid &&
			heap_attisnull(tup, Anum_pg_index_indexprs, NULL) &&
			heap_attisnull(tup, Anum_pg_index_indpred, NULL))
			found = true;
		ReleaseSysCache(tup);
	}
	relation_close(rel, AccessShareLock);
	return found;
}

static bool
sg_matview_is_populated(Oid relid)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(relid));
	bool		populated;

	if (!HeapTupleIsValid(tup))
		return false;
	populated = ((Form_pg_class) GETSTRUCT(tup))->relispopulated;
	ReleaseSysCache(tup);
	return populated;
}

void
sg_check_refresh_matview_not_concurrent(SGContext *ctx, Node *stmt)
{
	RefreshMatViewStmt *rm = castNode(RefreshMatViewStmt, stmt);
	SGRelInfo  *ri;
	char	   *recipe;

	if (rm->concurrent || rm->skipData)
		return;
	ri = sg_relinfo_rv(ctx, rm->relation);
	if (ri == NULL || ri->relkind != RELKIND_MATVIEW || sg_rel_exempt(ctx, ri))
		return;
	/* nobody can read an unpopulated view, and CONCURRENTLY needs data */
	if (!sg_matview_is_populated(ri->relid) || !sg_rel_is_large(ctx, ri))
		return;

	if (sg_matview_has_unique_index(ri->relid))
		recipe = psprintf("Refresh it without blocking readers:\n"
						  "REFRESH MATERIALIZED VIEW CONCURRENTLY %s;", ri->qualified);
	else
		recipe = psprintf("REFRESH ... CONCURRENTLY needs a unique index on plain columns; create one first (on the columns that identify a row: all of them work when no two rows are equal), then refresh without blocking readers:\n"
						  "CREATE UNIQUE INDEX CONCURRENTLY ON %s (%s);\n"
						  "REFRESH MATERIALIZED VIEW CONCURRENTLY %s;",
						  ri->qualified, sg_column_list(ri->relid), ri->qualified);

	sg_report(ctx, ri, NULL, AccessExclusiveLock,
			  psprintf("REFRESH MATERIALIZED VIEW \"%s\" blocks every read of the view until the query finishes",
					   ri->display),
			  NULL, recipe);
}

/* ----------------------------------------------------------------
 * REPACK (CONCURRENTLY), the recipe of vacuum_full and cluster on 19+
 * ----------------------------------------------------------------
 */
#ifdef SG_HAVE_REPACK_CONCURRENTLY
/*
 * Why REPACK (CONCURRENTLY) would refuse the relation, in words, or NULL
 * if it takes it: the checks of repack.c (check_concurrent_repack_requirements,
 * and ExecRepack for partitioned tables); it decodes the changes made
 * meanwhile from the WAL in a slot of its own, and applies them by the
 * replica identity index.
 */
static const char *
sg_repack_concurrently_refusal(SGRelInfo *ri)
{
	Relation	rel;
	const char *why = NULL;

	if (ri->relkind == RELKIND_PARTITIONED_TABLE)
		return "it does not take a partitioned table, only its partitions one by one";
	if (wal_level < WAL_LEVEL_REPLICA)
		return "it needs wal_level replica or higher";
	if (max_repack_replication_slots <= 0)
		return "it needs a replication slot, and max_repack_replication_slots is 0";
	rel = try_relation_open(ri->relid, AccessShareLock);
	if (rel == NULL)
		return "the table is gone";
	if (IsCatalogRelation(rel) || IsToastRelation(rel))
		why = "it does not take system catalogs";
	else if (rel->rd_rel->relpersistence != RELPERSISTENCE_PERMANENT)
		why = "it takes only permanent tables, and this one is unlogged";
	else if (rel->rd_rel->relreplident == REPLICA_IDENTITY_NOTHING)
		why = "it does not take a table with REPLICA IDENTITY NOTHING";
	else if (rel->rd_rel->relreplident == REPLICA_IDENTITY_FULL)
		why = "it does not take a table with REPLICA IDENTITY FULL";
	else if (!OidIsValid(GetRelationIdentityOrPK(rel)))
		/* rd_pkindex is filled in by the index list that looked */
		why = OidIsValid(rel->rd_pkindex) && rel->rd_ispkdeferrable ?
			"its primary key is deferrable, and it has no replica identity index" :
			"the table has no primary key and no replica identity index";
	relation_close(rel, AccessShareLock);
	return why;
}
#endif

/* the words before a REPACK (CONCURRENTLY) recipe */
#define SG_REPACK_CONCURRENTLY_LEAD \
	"holds the ACCESS EXCLUSIVE lock only to swap the files at the end (run it outside a transaction block)"

/* ----------------------------------------------------------------
 * vacuum_full
 * ----------------------------------------------------------------
 */

/*
 * Plain VACUUM instead, and an online repack tool for the space; "why" is
 * what comes first (REPACK (CONCURRENTLY) refusing the table), or "".
 */
static char *
sg_plain_vacuum_recipe(SGRelInfo *ri, const char *why)
{
	return psprintf("%sPlain VACUUM makes the space reusable without blocking:\n"
					"VACUUM (ANALYZE) %s;\n"
					"-- to give the space back to the operating system online, use an online repack tool, e.g. in a shell: pg_repack --table=%s --dbname=%s",
					why, ri->qualified, sg_shell_word(ri->qualified),
					sg_database_word());
}

/*
 * "REPACK (CONCURRENTLY) cannot ...: <why>. " where it exists and refuses
 * the table, or "" where it does not exist; NULL where it takes the table.
 */
static const char *
sg_repack_refusal_words(SGRelInfo *ri)
{
#ifdef SG_HAVE_REPACK_CONCURRENTLY
	const char *why = sg_repack_concurrently_refusal(ri);

	return why ? psprintf("REPACK (CONCURRENTLY) cannot rebuild table \"%s\": %s. ", ri->display, why) : NULL;
#else
	return "";
#endif
}

static void
sg_report_vacuum_full(SGContext *ctx, SGRelInfo *ri, const char *extra,
					  bool analyze)
{
	const char *refusal = sg_repack_refusal_words(ri);

	sg_report(ctx, ri, NULL, AccessExclusiveLock,
			  psprintf("VACUUM FULL rewrites table \"%s\" and blocks every read and write until it finishes",
					   ri->display),
			  extra,
			  refusal ? sg_plain_vacuum_recipe(ri, refusal) :
			  psprintf("REPACK (CONCURRENTLY) rewrites the table as VACUUM FULL does, and " SG_REPACK_CONCURRENTLY_LEAD ":\n"
					   "REPACK (CONCURRENTLY%s) %s;",
					   analyze ? ", ANALYZE" : "", ri->qualified));
}

void
sg_check_vacuum_full(SGContext *ctx, Node *stmt)
{
	VacuumStmt *vs = castNode(VacuumStmt, stmt);
	ListCell   *lc;
	bool		analyze;

	if (!vs->is_vacuumcmd || !sg_option_is_true(vs->options, "full"))
		return;
	analyze = sg_option_is_true(vs->options, "analyze");

	if (vs->rels == NIL)
	{
		int			ntables;
		SGRelInfo  *largest = sg_largest_table_in(ctx, InvalidOid, &ntables);

		if (largest != NULL)
			sg_report_vacuum_full(ctx, largest,
								  psprintf("VACUUM FULL without a table list rewrites all %d tables of the database, one after another; this is the largest.",
										   ntables), analyze);
		return;
	}

	foreach(lc, vs->rels)
	{
		VacuumRelation *vr = lfirst_node(VacuumRelation, lc);
		SGRelInfo  *ri = sg_relinfo_rv(ctx, vr->relation);

		if (ri == NULL || sg_rel_exempt(ctx, ri) || !sg_rel_is_large(ctx, ri))
			continue;
		sg_report_vacuum_full(ctx, ri, NULL, analyze);
	}
}

/* ----------------------------------------------------------------
 * cluster
 * ----------------------------------------------------------------
 */
/*
 * The largest non-exempt, large table with an index marked clustered:
 * what CLUSTER without a table name would rewrite.
 */
static SGRelInfo *
sg_largest_clustered_table(SGContext *ctx)
{
	Relation	indexrel;
	TableScanDesc scan;
	HeapTuple	tup;
	List	   *relids = NIL;

	indexrel = table_open(IndexRelationId, AccessShareLock);
	scan = table_beginscan_catalog(indexrel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_index form = (Form_pg_index) GETSTRUCT(tup);

		if (form->indisclustered)
			relids = list_append_unique_oid(relids, form->indrelid);
	}
	table_endscan(scan);
	table_close(indexrel, AccessShareLock);

	return sg_largest_large_rel(ctx, relids, NULL);
}

/*
 * CLUSTER, and from 19 on REPACK: both rewrite the table under an ACCESS
 * EXCLUSIVE lock unless REPACK is given CONCURRENTLY.
 */
void
sg_check_cluster(SGContext *ctx, Node *stmt)
{
	SGRepackStmt *rs = castNode(SGRepackStmt, stmt);
	RangeVar   *rv = SG_REPACK_RELATION(rs);
	const char *word = SG_REPACK_IS_CLUSTER(rs) ? "CLUSTER" : "REPACK";
	SGRelInfo  *ri;
	char	   *extra = NULL;
	char	   *recipe;
	const char *refusal;

	/* REPACK (CONCURRENTLY) holds ACCESS EXCLUSIVE only to swap the files */
	if (sg_option_is_true(SG_REPACK_PARAMS(rs), "concurrently"))
		return;

	if (rv != NULL)
	{
		ri = sg_relinfo_rv(ctx, rv);
		if (ri == NULL || sg_rel_exempt(ctx, ri) || !sg_rel_is_large(ctx, ri))
			return;
	}
	else if (SG_REPACK_BY_INDEX(rs))
	{
		ri = sg_largest_clustered_table(ctx);
		if (ri == NULL)
			return;
		extra = psprintf("%s without a table name re-clusters every table that was clustered before; this is the largest of them.",
						 SG_REPACK_IS_CLUSTER(rs) ? "CLUSTER" : "REPACK USING INDEX");
	}
	else
	{
		int			ntables;

		ri = sg_largest_table_in(ctx, InvalidOid, &ntables);
		if (ri == NULL)
			return;
		extra = psprintf("REPACK without a table name rewrites all %d tables of the database, one after another; this is the largest.",
						 ntables);
	}

	refusal = sg_repack_refusal_words(ri);
	if (refusal == NULL)
		recipe = psprintf("REPACK (CONCURRENTLY) " SG_REPACK_CONCURRENTLY_LEAD ":\n"
						  "REPACK (CONCURRENTLY) %s%s%s;",
						  ri->qualified,
						  SG_REPACK_BY_INDEX(rs) ? " USING INDEX" : "",
						  rv != NULL && rs->indexname != NULL ?
						  psprintf(" %s", quote_identifier(rs->indexname)) : "");
	else if (!SG_REPACK_BY_INDEX(rs))
		recipe = sg_plain_vacuum_recipe(ri, refusal);
	else
	{
		/* CLUSTER ... USING marks the index clustered; pg_repack orders by it */
		recipe = psprintf("%sReorder the table online with a repack tool instead: mark the index (a brief SHARE UPDATE EXCLUSIVE lock, no rewrite), then repack:\n"
						  "%s"
						  "-- in a shell: pg_repack --table=%s --dbname=%s (it orders the rows by the clustered index)",
						  refusal,
						  rv != NULL && rs->indexname != NULL ?
						  psprintf("ALTER TABLE %s CLUSTER ON %s;\n", ri->qualified,
								   quote_identifier(rs->indexname)) : "",
						  sg_shell_word(ri->qualified),
						  sg_database_word());
	}

	sg_report(ctx, ri, NULL, AccessExclusiveLock,
			  psprintf("%s rewrites table \"%s\" and blocks every read and write until it finishes",
					   word, ri->display),
			  extra, recipe);
}

/* ----------------------------------------------------------------
 * missing_lock_timeout
 * ----------------------------------------------------------------
 */
void
sg_check_missing_lock_timeout(SGContext *ctx, Node *stmt)
{
	SGStatementLock sl;

	/*
	 * A session lock_timeout, or schemaguard's own: an installation that
	 * sets schemaguard.lock_timeout has chosen it, also where it cannot
	 * apply (statements that commit internally, LOCK).  Not size-aware: the
	 * lock queue forms behind a statement on a tiny table just as well.
	 */
	if (LockTimeout != 0 || sg_lock_timeout_ms > 0)
		return;
	/* lock_table_no_timeout judges LOCK, at level error */
	if (IsA(stmt, LockStmt) &&
		sg_rule_level(sg_rule_index("lock_table_no_timeout")) != SG_LEVEL_OFF)
		return;
	sl = sg_statement_lock(ctx, stmt);
	if (sl.rel == NULL || !sg_lock_blocks_traffic(sl.mode))
		return;

	sg_report(ctx, sl.rel, NULL, sl.mode,
			  psprintf("%s takes %s %s lock on \"%s\" with no lock timeout",
					   GetCommandTagName(CreateCommandTag(stmt)),
					   (sl.mode == AccessExclusiveLock || sl.mode == ExclusiveLock) ? "an" : "a",
					   sg_lock_name(sl.mode), sl.rel->display),
			  "If a long transaction holds any lock on the relation, this statement waits in the lock queue, and every query on the relation waits behind it.",
			  psprintf("Set a lock timeout, and retry on failure:\n"
					   "SET lock_timeout = '5s';\n"
					   "%s;\n"
					   "RESET lock_timeout;\n"
					   "-- or let schemaguard apply one to every statement: ALTER SYSTEM SET schemaguard.lock_timeout = '5s'; SELECT pg_reload_conf();",
					   sg_statement_text(ctx) ? sg_statement_text(ctx) : "<the statement>"));
}
