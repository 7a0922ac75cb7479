/*-------------------------------------------------------------------------
 *
 * migration_id.c
 *		Migration ids without configuration: when a transaction that
 *		changed the schema also recorded a migration in a well-known
 *		tool's history table, its changelog rows carry that migration's id.
 *
 * Design.  The work happens only in the changelog's commit-time flush,
 * and only when one of the transaction's entries has no id of its own
 * (schemaguard.migration unset): a transaction that changes no schema
 * costs nothing.  For each history table of the list below that exists
 * (by the session's search_path, or the tool's fixed schema), is a plain
 * heap table and has the tool's columns with text or integer types, the
 * table is scanned for the row versions this transaction itself inserted:
 * xmin is the current transaction or one of its live subtransactions
 * (TransactionIdIsCurrentTransactionId), so rows of rolled-back
 * subtransactions and other sessions do not count.  Versions that this
 * transaction later replaced count too: Alembic running several revisions
 * in one transaction updates its one row once per revision.
 *
 * Each such row version has the command id that inserted it (cmin).  The
 * tools record a migration after running it, so a changelog entry gets the
 * id of the first history row inserted at or after its own command; when
 * no row follows it, the last one before it.  An id is the tool's own
 * spelling of the migration (Django "app.name", Liquibase
 * "file::id::author").
 *
 * The lookup must never fail a commit: the lock on a history table is
 * taken only if it is free at once (else the table is skipped) and given
 * back after the scan, temporary tables are not read (PREPARE would be
 * refused), the table's shape is verified before a row is read, values
 * are converted only from built-in types whose output cannot fail, under
 * an active snapshot (for values stored out of line), and the scan is kept
 * out of the table's statistics.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/builtins.h"
#include "utils/combocid.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "compat.h"
#include "schemaguard.h"

#define SG_HISTORY_MAX_COLS 3

/* a tool's history table: where it is and how its rows spell an id */
typedef struct SGHistoryTable
{
	const char *schema;			/* NULL: found by the search path */
	const char *table;
	const char *columns[SG_HISTORY_MAX_COLS];	/* the id, joined by sep */
	const char *sep;
	const char *also;			/* a further column the table must have */
} SGHistoryTable;

static const SGHistoryTable sg_history_tables[] = {
	/* Rails/ActiveRecord, Ecto, golang-migrate, dbmate */
	{NULL, "schema_migrations", {"version"}, NULL, NULL},
	/* Django */
	{NULL, "django_migrations", {"app", "name"}, ".", "applied"},
	/* Alembic */
	{NULL, "alembic_version", {"version_num"}, NULL, NULL},
	/* Flyway */
	{NULL, "flyway_schema_history", {"script"}, NULL, "installed_rank"},
	/* Liquibase */
	{NULL, "databasechangelog", {"filename", "id", "author"}, "::", NULL},
	/* Sqitch */
	{"sqitch", "changes", {"change"}, NULL, "change_id"},
	/* Prisma */
	{NULL, "_prisma_migrations", {"migration_name"}, NULL, NULL},
	/* knex */
	{NULL, "knex_migrations", {"name"}, NULL, "batch"},
	/* node-pg-migrate */
	{NULL, "pgmigrations", {"name"}, NULL, "run_on"},
	/* TypeORM */
	{NULL, "migrations", {"name"}, NULL, "timestamp"},
	/* Laravel */
	{NULL, "migrations", {"migration"}, NULL, "batch"},
	/* Sequelize */
	{NULL, "SequelizeMeta", {"name"}, NULL, NULL},
	/* Drizzle */
	{"drizzle", "__drizzle_migrations", {"hash"}, NULL, "created_at"},
	/* goose */
	{NULL, "goose_db_version", {"version_id"}, NULL, "is_applied"},
};

/* one history row version this transaction inserted */
typedef struct SGMigrationRow
{
	CommandId	cid;
	char	   *id;
} SGMigrationRow;

/*
 * Is the table one of the tools' history tables?  By name only (and the
 * schema, for tools that have their own): the advice rules leave these
 * alone, whatever their shape.
 */
bool
sg_is_tool_history_table(const char *schema, const char *table)
{
	int			i;

	if (table == NULL)
		return false;
	for (i = 0; i < lengthof(sg_history_tables); i++)
	{
		const SGHistoryTable *h = &sg_history_tables[i];

		if (strcmp(h->table, table) != 0)
			continue;
		if (h->schema == NULL || schema == NULL || strcmp(h->schema, schema) == 0)
			return true;
	}
	return false;
}

/* types whose output function cannot fail */
static bool
sg_id_type_ok(Oid typid)
{
	switch (typid)
	{
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case NAMEOID:
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case UUIDOID:
			return true;
		default:
			return false;
	}
}

static List *sg_history_scan(const SGHistoryTable *h, Relation rel,
							 AttrNumber *attnums, int ncols, List *rows);
static List *sg_history_rows_locked(const SGHistoryTable *h, Oid relid,
									List *rows, bool *read);

/* attribute number of a live column, or 0 */
static AttrNumber
sg_column_attnum(TupleDesc desc, const char *name, bool need_id_type)
{
	int			i;

	for (i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (att->attisdropped || strcmp(NameStr(att->attname), name) != 0)
			continue;
		if (need_id_type && !sg_id_type_ok(att->atttypid))
			return 0;
		return att->attnum;
	}
	return 0;
}

static Oid
sg_history_relid(const SGHistoryTable *h)
{
	if (h->schema == NULL)
		return RelnameGetRelid(h->table);
	else
	{
		Oid			nspid = get_namespace_oid(h->schema, true);

		return OidIsValid(nspid) ? get_relname_relid(h->table, nspid) : InvalidOid;
	}
}

/*
 * The rows of one history table this transaction inserted.  The lock is
 * taken only if it is free at once, and given back when this transaction
 * did not hold it before: PREPARE TRANSACTION would keep it until COMMIT
 * PREPARED, holding back schema changes of the table.
 */
static List *
sg_history_rows(const SGHistoryTable *h, Oid relid, List *rows, bool *read)
{
	LOCKTAG		tag;
	bool		held;

	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	held = SG_LOCK_HELD_BY_ME(&tag, AccessShareLock);
	if (!held && !ConditionalLockRelationOid(relid, AccessShareLock))
		return rows;
	rows = sg_history_rows_locked(h, relid, rows, read);
	if (!held)
		UnlockRelationOid(relid, AccessShareLock);
	return rows;
}

/* sg_history_rows(), the table locked */
static List *
sg_history_rows_locked(const SGHistoryTable *h, Oid relid, List *rows, bool *read)
{
	Relation	rel;
	TupleDesc	desc;
	AttrNumber	attnums[SG_HISTORY_MAX_COLS] = {0};
	volatile int ncols = 0;
	struct PgStat_TableStatus *pgstat_info;
	bool		pgstat_enabled;

	rel = try_relation_open(relid, NoLock);
	if (rel == NULL)
		return rows;
	if (rel->rd_rel->relkind != RELKIND_RELATION ||
		rel->rd_rel->relam != HEAP_TABLE_AM_OID)
	{
		relation_close(rel, NoLock);
		return rows;
	}

	desc = RelationGetDescr(rel);
	for (ncols = 0; ncols < SG_HISTORY_MAX_COLS && h->columns[ncols]; ncols++)
	{
		attnums[ncols] = sg_column_attnum(desc, h->columns[ncols], true);
		if (attnums[ncols] == 0)
			break;
	}
	if ((ncols < SG_HISTORY_MAX_COLS && h->columns[ncols] != NULL) ||
		(h->also != NULL && sg_column_attnum(desc, h->also, false) == 0))
	{
		relation_close(rel, NoLock);
		return rows;
	}
	*read = true;

	/*
	 * schemaguard's look is not a read by running code.  The fields are
	 * put back whatever happens: the relation's pending statistics entry
	 * still points at it.
	 */
	pgstat_info = rel->pgstat_info;
	pgstat_enabled = rel->pgstat_enabled;
	rel->pgstat_info = NULL;
	rel->pgstat_enabled = false;
	PG_TRY();
	{
		rows = sg_history_scan(h, rel, attnums, ncols, rows);
	}
	PG_FINALLY();
	{
		rel->pgstat_info = pgstat_info;
		rel->pgstat_enabled = pgstat_enabled;
	}
	PG_END_TRY();
	relation_close(rel, NoLock);
	return rows;
}

/* the scan of sg_history_rows() */
static List *
sg_history_scan(const SGHistoryTable *h, Relation rel, AttrNumber *attnums,
				int ncols, List *rows)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TableScanDesc scan;
	HeapTuple	tuple;

	scan = SG_TABLE_BEGINSCAN(rel, SnapshotAny, 0, NULL);
	while ((tuple = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		HeapTupleHeader htup = tuple->t_data;
		StringInfoData id;
		SGMigrationRow *row;
		int			i;

		if (HeapTupleHeaderXminInvalid(htup) ||
			!TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(htup)))
			continue;

		initStringInfo(&id);
		for (i = 0; i < ncols; i++)
		{
			bool		isnull;
			Datum		value = heap_getattr(tuple, attnums[i], desc, &isnull);
			Oid			typoutput;
			bool		typisvarlena;

			if (i > 0)
				appendStringInfoString(&id, h->sep);
			if (isnull)
				continue;
			getTypeOutputInfo(TupleDescAttr(desc, attnums[i] - 1)->atttypid,
							  &typoutput, &typisvarlena);
			appendStringInfoString(&id, OidOutputFunctionCall(typoutput, value));
		}
		if (id.len == 0)
			continue;
		row = palloc(sizeof(SGMigrationRow));
		row->cid = HeapTupleHeaderGetCmin(htup);
		row->id = id.data;
		rows = lappend(rows, row);
	}
	table_endscan(scan);
	return rows;
}

static int
sg_row_cmp(const ListCell *a, const ListCell *b)
{
	CommandId	ca = ((SGMigrationRow *) lfirst(a))->cid;
	CommandId	cb = ((SGMigrationRow *) lfirst(b))->cid;

	return (ca > cb) - (ca < cb);
}

/*
 * The history rows this transaction inserted into any known tool's
 * table, in command order; NIL when there are none.  Called by the
 * changelog flush, before it changes the search path.
 */
static List *
sg_migration_rows_read(void)
{
	List	   *rows = NIL;
	List	   *seen = NIL;
	int			i;

	for (i = 0; i < lengthof(sg_history_tables); i++)
	{
		Oid			relid = sg_history_relid(&sg_history_tables[i]);
		bool		read = false;

		/* TypeORM and Laravel share a name: read the table once */
		if (!OidIsValid(relid) || list_member_oid(seen, relid))
			continue;
		/* a temporary table is no tool's, and would forbid PREPARE */
		if (get_rel_persistence(relid) != RELPERSISTENCE_PERMANENT)
			continue;
		rows = sg_history_rows(&sg_history_tables[i], relid, rows, &read);
		if (read)
			seen = lappend_oid(seen, relid);
	}
	list_sort(rows, sg_row_cmp);
	return rows;
}

/*
 * The history rows this transaction inserted into any known tool's table,
 * in command order; NIL when there are none.  Called by the changelog at
 * pre-commit and pre-prepare, before it changes the search path, under an
 * active snapshot of its own (reading a value stored out of line needs
 * one).  No subtransaction: at pre-commit one cannot be rolled back (the
 * transaction block is already ending), so the lookup avoids what could
 * fail instead (see the top of the file).
 */
List *
sg_migration_rows(void)
{
	List	   *rows;

	PushActiveSnapshot(GetTransactionSnapshot());
	rows = sg_migration_rows_read();
	PopActiveSnapshot();
	return rows;
}

/*
 * The id for a changelog entry recorded at command cid: the first
 * history row inserted at or after it, else the last one before it.
 */
const char *
sg_migration_id_at(List *rows, CommandId cid)
{
	ListCell   *lc;

	foreach(lc, rows)
	{
		SGMigrationRow *row = lfirst(lc);

		if (row->cid >= cid)
			return row->id;
	}
	return rows != NIL ? ((SGMigrationRow *) llast(rows))->id : NULL;
}
