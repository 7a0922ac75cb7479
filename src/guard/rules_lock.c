/*-------------------------------------------------------------------------
 *
 * rules_lock.c
 *		Rule checks for lock and rewrite hazards: statements that hold a
 *		lock blocking reads or writes for as long as it takes to scan,
 *		rewrite or index a table.  All of them are size-aware: they fire
 *		only for relations that are large (schemaguard.table_size_threshold)
 *		or counted as large (schemaguard.assume_large_tables).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/heapam.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/catalog.h"
#include "catalog/dependency.h"
#include "catalog/heap.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "optimizer/clauses.h"
#include "optimizer/prep.h"
#include "parser/parse_node.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "schemaguard.h"

/* how many partitions a partitioned-index recipe spells out */
#define SG_RECIPE_MAX_PARTITIONS 3

const char *
sg_relkind_word(char relkind)
{
	switch (relkind)
	{
		case RELKIND_MATVIEW:
			return "materialized view";
		case RELKIND_PARTITIONED_TABLE:
			return "partitioned table";
		case RELKIND_FOREIGN_TABLE:
			return "foreign table";
		case RELKIND_VIEW:
			return "view";
		default:
			return "table";
	}
}

/* ----------------------------------------------------------------
 * index_not_concurrent
 * ----------------------------------------------------------------
 */

/*
 * Recipe for a partitioned table: an invalid index on the parent only,
 * concurrent builds on the partitions, and ATTACH PARTITION for each, after
 * which the parent index becomes valid by itself.
 */
char *
sg_partitioned_index_recipe(SGContext *ctx, IndexStmt *is, SGRelInfo *ri,
							const char *rest)
{
	StringInfoData buf;
	char	   *idxname;
	char	   *qidx;
	List	   *children;
	ListCell   *lc;
	int			shown = 0;
	bool		nested = false;
	Oid			nspid = get_rel_namespace(ri->relid);
	IndexElem  *first = linitial_node(IndexElem, is->indexParams);

	if (is->idxname)
		idxname = is->idxname;
	else
		idxname = ChooseRelationName(ri->relname, first->name, "idx",
									 nspid, false);
	qidx = quote_qualified_identifier(ri->nspname, idxname);

	initStringInfo(&buf);
	appendStringInfo(&buf,
					 "Build the index partition by partition, outside a transaction block:\n"
					 "CREATE %sINDEX %s ON ONLY %s %s;\n",
					 is->unique ? "UNIQUE " : "", quote_identifier(idxname),
					 ri->qualified, rest);

	children = find_inheritance_children(ri->relid, NoLock);
	foreach(lc, children)
	{
		Oid			child = lfirst_oid(lc);
		char	   *cname = get_rel_name(child);
		char	   *cnsp;
		char	   *cidx;

		if (cname == NULL)
			continue;
		if (get_rel_relkind(child) == RELKIND_PARTITIONED_TABLE)
			nested = true;
		if (shown == SG_RECIPE_MAX_PARTITIONS)
		{
			int			rest = list_length(children) - shown;

			appendStringInfo(&buf,
							 "-- and the same two statements for the other %d partition%s\n",
							 rest, rest == 1 ? "" : "s");
			break;
		}
		cnsp = get_namespace_name(get_rel_namespace(child));
		cidx = ChooseRelationName(cname, first->name, "idx",
								  get_rel_namespace(child), false);
		appendStringInfo(&buf,
						 "CREATE %sINDEX CONCURRENTLY %s ON %s %s;\n"
						 "ALTER INDEX %s ATTACH PARTITION %s;\n",
						 is->unique ? "UNIQUE " : "",
						 quote_identifier(cidx),
						 quote_qualified_identifier(cnsp, cname), rest,
						 qidx, quote_qualified_identifier(cnsp, cidx));
		shown++;
	}
	if (nested)
		appendStringInfoString(&buf,
							   "(A partition that is itself partitioned gets the same treatment, one level down.)");
	else
		buf.data[--buf.len] = '\0';	/* drop the last newline */
	return buf.data;
}

void
sg_check_index_not_concurrent(SGContext *ctx, Node *stmt)
{
	IndexStmt  *is = castNode(IndexStmt, stmt);
	SGRelInfo  *ri;
	char	   *recipe = NULL;
	char	   *rest = NULL;

	if (is->concurrent)
		return;
	ri = sg_relinfo_rv(ctx, is->relation);
	if (ri == NULL || sg_rel_exempt(ctx, ri))
		return;
	/* only tables and materialized views can be indexed; the server says so */
	if (ri->relkind != RELKIND_RELATION && ri->relkind != RELKIND_MATVIEW &&
		ri->relkind != RELKIND_PARTITIONED_TABLE)
		return;
	/* IF NOT EXISTS on an existing name does nothing but a NOTICE */
	if (is->if_not_exists && is->idxname != NULL &&
		OidIsValid(get_relname_relid(is->idxname, get_rel_namespace(ri->relid))))
		return;
	/* CREATE INDEX ON ONLY a partitioned table only writes the catalog */
	if (ri->relkind == RELKIND_PARTITIONED_TABLE && !is->relation->inh)
		return;
	if (!sg_rel_is_large(ctx, ri))
		return;

	if (ctx->putil_context != PROCESS_UTILITY_SUBCOMMAND)
		rest = sg_text_after_name(ctx, is->relation->location);

	if (ri->relkind == RELKIND_PARTITIONED_TABLE)
	{
		if (rest != NULL)
			recipe = sg_partitioned_index_recipe(ctx, is, ri, rest);
	}
	else if (ctx->putil_context != PROCESS_UTILITY_SUBCOMMAND)
	{
		char	   *text = sg_insert_after_keyword(ctx, "index", " CONCURRENTLY");

		if (text != NULL)
			recipe = psprintf("Build it without blocking writes, outside a transaction block:\n%s;", text);
	}
	if (recipe == NULL)
		recipe = psprintf("Build it without blocking writes, outside a transaction block: "
						  "CREATE INDEX CONCURRENTLY ... ON %s ...;", ri->qualified);

	sg_report(ctx, ri, NULL, ShareLock,
			  psprintf("CREATE INDEX on %s \"%s\" blocks writes while the index builds",
					   sg_relkind_word(ri->relkind), ri->display),
			  NULL, recipe);
}

/* ----------------------------------------------------------------
 * invalid_index_left
 * ----------------------------------------------------------------
 */
/*
 * CREATE INDEX with the name of an INVALID index that a failed CREATE
 * INDEX CONCURRENTLY left behind: with IF NOT EXISTS the server skips the
 * statement with a NOTICE and the table keeps no usable index; without it,
 * the statement fails.  Either way the INVALID index has to go first.
 */
void
sg_check_invalid_index_left(SGContext *ctx, Node *stmt)
{
	IndexStmt  *is = castNode(IndexStmt, stmt);
	SGRelInfo  *ri;
	Oid			existing;
	SGRelInfo  *idx;
	char	   *text;

	if (is->idxname == NULL)
		return;
	ri = sg_relinfo_rv(ctx, is->relation);
	if (ri == NULL || sg_rel_exempt(ctx, ri))
		return;
	existing = get_relname_relid(is->idxname, get_rel_namespace(ri->relid));
	if (!OidIsValid(existing) || get_rel_relkind(existing) != RELKIND_INDEX ||
		IndexGetRelation(existing, true) != ri->relid ||
		get_index_isvalid(existing))
		return;
	idx = sg_relinfo_oid(ctx, existing);
	if (idx == NULL)
		return;

	text = sg_statement_text(ctx);
	sg_report(ctx, ri, NULL, NoLock,
			  psprintf("index \"%s\" on table \"%s\" already exists but is INVALID, left by a CREATE INDEX CONCURRENTLY that failed",
					   idx->display, ri->display),
			  is->if_not_exists ?
			  "With IF NOT EXISTS the server skips this statement with a NOTICE, and the table stays without a usable index: "
			  "an INVALID index is kept up to date by every write but never used by a query." :
			  "The server refuses the name; the INVALID index is kept up to date by every write but never used by a query.",
			  psprintf("Drop the INVALID index without blocking the table, then build it again%s:\n"
					   "DROP INDEX CONCURRENTLY IF EXISTS %s;\n"
					   "%s;",
					   is->concurrent ? ", outside a transaction block" : "",
					   idx->qualified,
					   text ? text : "CREATE INDEX ..."));
}

/* ----------------------------------------------------------------
 * drop_index_not_concurrent
 * ----------------------------------------------------------------
 */
void
sg_check_drop_index_not_concurrent(SGContext *ctx, Node *stmt)
{
	DropStmt   *ds = castNode(DropStmt, stmt);
	ListCell   *lc;

	if (ds->removeType != OBJECT_INDEX || ds->concurrent)
		return;

	foreach(lc, ds->objects)
	{
		RangeVar   *rv = makeRangeVarFromNameList(castNode(List, lfirst(lc)));
		SGRelInfo  *idx = sg_relinfo_rv(ctx, rv);
		SGRelInfo  *tbl;
		Oid			tableid;
		char	   *recipe;

		if (idx == NULL || sg_rel_exempt(ctx, idx))
			continue;
		if (idx->relkind != RELKIND_INDEX &&
			idx->relkind != RELKIND_PARTITIONED_INDEX)
			continue;			/* DROP INDEX will complain itself */
		tableid = IndexGetRelation(idx->relid, true);
		if (!OidIsValid(tableid))
			continue;
		/* an index behind a constraint cannot be dropped; the server says so */
		if (OidIsValid(get_index_constraint(idx->relid)))
			continue;
		tbl = sg_relinfo_oid(ctx, tableid);
		if (tbl == NULL || sg_rel_exempt(ctx, tbl) || !sg_rel_is_large(ctx, tbl))
			continue;

		if (idx->relkind == RELKIND_PARTITIONED_INDEX)
			recipe = psprintf("DROP INDEX CONCURRENTLY does not support partitioned indexes. "
							  "Drop it when traffic is low, with a short lock_timeout so that it does not queue behind long transactions:\n"
							  "BEGIN; SET LOCAL lock_timeout = '2s'; SET LOCAL schemaguard.allow = 'drop_index_not_concurrent'; DROP INDEX %s; COMMIT;",
							  idx->qualified);
		else
			recipe = psprintf("Drop it without blocking the table, outside a transaction block%s:\n"
							  "DROP INDEX CONCURRENTLY IF EXISTS %s;",
							  ds->behavior == DROP_CASCADE ? " (CONCURRENTLY does not support CASCADE: drop dependent objects first)" : "",
							  idx->qualified);

		sg_report(ctx, tbl, NULL, AccessExclusiveLock,
				  psprintf("DROP INDEX \"%s\" blocks reads and writes of %s \"%s\"",
						   idx->display, sg_relkind_word(tbl->relkind),
						   tbl->display),
				  NULL, recipe);
	}
}

/* ----------------------------------------------------------------
 * reindex_not_concurrent
 * ----------------------------------------------------------------
 */
/*
 * For REINDEX SCHEMA / DATABASE: the largest non-exempt table that the
 * command would reindex, or NULL when none is large.
 */
SGRelInfo *
sg_largest_table_in(SGContext *ctx, Oid nspid, int *ntables)
{
	Relation	classrel;
	TableScanDesc scan;
	HeapTuple	tup;
	List	   *relids = NIL;

	classrel = table_open(RelationRelationId, AccessShareLock);
	scan = table_beginscan_catalog(classrel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_class form = (Form_pg_class) GETSTRUCT(tup);

		if (form->relkind != RELKIND_RELATION && form->relkind != RELKIND_MATVIEW)
			continue;
		if (OidIsValid(nspid) ? form->relnamespace != nspid :
			(IsCatalogNamespace(form->relnamespace) ||
			 IsToastNamespace(form->relnamespace) ||
			 isAnyTempNamespace(form->relnamespace)))
			continue;
		relids = lappend_oid(relids, form->oid);
	}
	table_endscan(scan);
	table_close(classrel, AccessShareLock);

	return sg_largest_large_rel(ctx, relids, ntables);
}

void
sg_check_reindex_not_concurrent(SGContext *ctx, Node *stmt)
{
	ReindexStmt *rs = castNode(ReindexStmt, stmt);
	SGRelInfo  *ri;

	if (sg_option_is_true(rs->params, "concurrently"))
		return;

	switch (rs->kind)
	{
		case REINDEX_OBJECT_INDEX:
			{
				SGRelInfo  *idx = sg_relinfo_rv(ctx, rs->relation);
				Oid			tableid;

				if (idx == NULL || sg_rel_exempt(ctx, idx))
					return;
				tableid = IndexGetRelation(idx->relid, true);
				if (!OidIsValid(tableid))
					return;
				ri = sg_relinfo_oid(ctx, tableid);
				if (ri == NULL || sg_rel_exempt(ctx, ri) || !sg_rel_is_large(ctx, ri))
					return;
				sg_report(ctx, ri, NULL, ShareLock,
						  psprintf("REINDEX INDEX \"%s\" blocks writes to %s \"%s\" while the index is rebuilt",
								   idx->display, sg_relkind_word(ri->relkind), ri->display),
						  psprintf("The index itself is locked ACCESS EXCLUSIVE, so queries that would use it wait as well."),
						  psprintf("Rebuild it without blocking, outside a transaction block:\n"
								   "REINDEX INDEX CONCURRENTLY %s;", idx->qualified));
				break;
			}
		case REINDEX_OBJECT_TABLE:
			ri = sg_relinfo_rv(ctx, rs->relation);
			if (ri == NULL || sg_rel_exempt(ctx, ri) || !sg_rel_is_large(ctx, ri))
				return;
			sg_report(ctx, ri, NULL, ShareLock,
					  psprintf("REINDEX TABLE on %s \"%s\" blocks writes while its indexes are rebuilt",
							   sg_relkind_word(ri->relkind), ri->display),
					  psprintf("Each index is locked ACCESS EXCLUSIVE while it is rebuilt, so queries that would use it wait as well."),
					  psprintf("Rebuild the indexes without blocking, outside a transaction block:\n"
							   "REINDEX TABLE CONCURRENTLY %s;", ri->qualified));
			break;
		case REINDEX_OBJECT_SCHEMA:
		case REINDEX_OBJECT_DATABASE:
			{
				bool		schema = (rs->kind == REINDEX_OBJECT_SCHEMA);
				Oid			nspid = InvalidOid;
				int			ntables;
				const char *name = rs->name;

				if (schema)
				{
					nspid = get_namespace_oid(rs->name, true);
					if (!OidIsValid(nspid))
						return;
				}
				else if (name == NULL)
					name = get_database_name(MyDatabaseId);
				ri = sg_largest_table_in(ctx, nspid, &ntables);
				if (ri == NULL)
					return;
				sg_report_object(ctx, name,
								 psprintf("REINDEX %s \"%s\" blocks writes to each of its tables while their indexes are rebuilt",
										  schema ? "SCHEMA" : "DATABASE", name),
								 psprintf("Each of its %d table%s is locked SHARE (blocking INSERT, UPDATE and DELETE) while its indexes are rebuilt; "
										  "the largest, \"%s\", is %s.",
										  ntables, ntables == 1 ? "" : "s", ri->display, sg_rel_size_text(ctx, ri)),
								 psprintf("Rebuild without blocking, outside a transaction block:\n"
										  "REINDEX %s CONCURRENTLY %s;",
										  schema ? "SCHEMA" : "DATABASE",
										  quote_identifier(name)));
				if (schema)
					sg_last_violation(ctx)->schema_name = pstrdup(name);
				break;
			}
		case REINDEX_OBJECT_SYSTEM:
			/* system catalogs cannot be reindexed concurrently at all */
			break;
	}
}

/* ----------------------------------------------------------------
 * ADD COLUMN helpers
 * ----------------------------------------------------------------
 */

/* The column's constraint of the given type, if any */
Constraint *
sg_coldef_constraint(ColumnDef *def, ConstrType type)
{
	ListCell   *lc;

	foreach(lc, def->constraints)
	{
		Constraint *c = lfirst_node(Constraint, lc);

		if (c->contype == type)
			return c;
	}
	return NULL;
}

bool
sg_coldef_is_serial(ColumnDef *def)
{
	const char *tname;

	if (def->typeName == NULL || def->typeName->names == NIL ||
		list_length(def->typeName->names) != 1)
		return false;
	tname = strVal(linitial(def->typeName->names));
	return (strcmp(tname, "serial") == 0 || strcmp(tname, "serial4") == 0 ||
			strcmp(tname, "bigserial") == 0 || strcmp(tname, "serial8") == 0 ||
			strcmp(tname, "smallserial") == 0 || strcmp(tname, "serial2") == 0);
}

/* The raw default expression of a column definition, if any */
Node *
sg_coldef_raw_default(ColumnDef *def)
{
	Constraint *c;

	if (def->raw_default)
		return def->raw_default;
	c = sg_coldef_constraint(def, CONSTR_DEFAULT);
	return c ? c->raw_expr : NULL;
}

/*
 * Resolve the column's type; false if it does not exist (yet).
 */
bool
sg_coldef_type(ColumnDef *def, Oid *typid, int32 *typmod)
{
	Type		tup;

	if (def->typeName == NULL)
		return false;
	tup = LookupTypeName(NULL, def->typeName, typmod, true);
	if (tup == NULL)
		return false;
	*typid = ((Form_pg_type) GETSTRUCT(tup))->oid;
	ReleaseSysCache(tup);
	return true;
}

char *
sg_coldef_type_text(ColumnDef *def)
{
	Oid			typid;
	int32		typmod;

	if (sg_coldef_type(def, &typid, &typmod))
		return format_type_with_typemod(typid, typmod);
	return TypeNameToString(def->typeName);
}

/*
 * The words before sg_append_not_null_recipe's statements for "what" (the
 * column, each key column); "rest" says what the statement as written then
 * does (before 18, that it skips its scan).
 */
#ifdef SG_HAVE_NOT_NULL_NOT_VALID
#define SG_NOT_NULL_RECIPE_LEAD(what, rest) \
	"Add the NOT NULL constraint of " what " NOT VALID (brief lock, no scan), then validate it (SHARE UPDATE EXCLUSIVE: reads and writes continue):\n"
#else
#define SG_NOT_NULL_RECIPE_LEAD(what, rest) \
	"Prove " what " non-null with a validated CHECK first; " rest ":\n"
#endif

/*
 * The statements that make a column NOT NULL without a long lock.  From 18
 * on: its NOT NULL constraint added NOT VALID (catalog only), then
 * validated (SHARE UPDATE EXCLUSIVE only), with the name SET NOT NULL
 * would give it.  Before 18: a NOT VALID check, its validation, then SET
 * NOT NULL, which the validated check lets skip its scan, and the check
 * dropped.
 */
void
sg_append_not_null_recipe(StringInfo buf, SGRelInfo *ri, const char *column)
{
	char	   *conname;
	const char *qcol = quote_identifier(column);

#ifdef SG_HAVE_NOT_NULL_NOT_VALID
	conname = ChooseConstraintName(ri->relname, column, "not_null",
								   get_rel_namespace(ri->relid), NIL);
	appendStringInfo(buf,
					 "ALTER TABLE %s ADD CONSTRAINT %s NOT NULL %s NOT VALID;\n"
					 "ALTER TABLE %s VALIDATE CONSTRAINT %s;",
					 ri->qualified, quote_identifier(conname), qcol,
					 ri->qualified, quote_identifier(conname));
#else
	conname = ChooseConstraintName(ri->relname, column, "not_null_check",
								   get_rel_namespace(ri->relid), NIL);
	appendStringInfo(buf,
					 "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;\n"
					 "ALTER TABLE %s VALIDATE CONSTRAINT %s;\n"
					 "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n"
					 "ALTER TABLE %s DROP CONSTRAINT %s;",
					 ri->qualified, quote_identifier(conname), qcol,
					 ri->qualified, quote_identifier(conname),
					 ri->qualified, qcol,
					 ri->qualified, quote_identifier(conname));
#endif
}

/* Relations whose ALTER TABLE can scan or rewrite data */
SGRelInfo *
sg_alter_table_target(SGContext *ctx, AlterTableStmt *ats)
{
	SGRelInfo  *ri;

	if (ats->objtype != OBJECT_TABLE && ats->objtype != OBJECT_MATVIEW)
		return NULL;
	ri = sg_relinfo_rv(ctx, ats->relation);
	if (ri == NULL || sg_rel_exempt(ctx, ri))
		return NULL;
	if (ri->relkind != RELKIND_RELATION &&
		ri->relkind != RELKIND_PARTITIONED_TABLE &&
		ri->relkind != RELKIND_MATVIEW)
		return NULL;
	return ri;
}

/* ----------------------------------------------------------------
 * add_column_not_null_no_default
 * ----------------------------------------------------------------
 */
void
sg_check_add_column_not_null_no_default(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	SGRelInfo  *ri = NULL;
	ListCell   *lc;

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		ColumnDef  *def;
		StringInfoData recipe;
		char	   *type;
		const char *qcol;
		const char *later;
		Oid			typid;
		int32		typmod;

		if (cmd->subtype != AT_AddColumn || cmd->def == NULL ||
			!IsA(cmd->def, ColumnDef))
			continue;
		def = (ColumnDef *) cmd->def;
		if (!def->is_not_null &&
			sg_coldef_constraint(def, CONSTR_NOTNULL) == NULL &&
			sg_coldef_constraint(def, CONSTR_PRIMARY) == NULL)
			continue;
		/* a default, identity, generation or serial fills existing rows */
		/* a type that does not exist: the server reports it */
		if (!sg_coldef_type(def, &typid, &typmod))
			continue;
		if (sg_coldef_raw_default(def) != NULL || def->identity ||
			sg_coldef_constraint(def, CONSTR_IDENTITY) != NULL ||
			sg_coldef_constraint(def, CONSTR_GENERATED) != NULL ||
			sg_coldef_is_serial(def))
			continue;

		if (ri == NULL)
		{
			ri = sg_alter_table_target(ctx, ats);
			if (ri == NULL || !sg_rel_is_large(ctx, ri) ||
				!sg_rel_has_rows(ctx, ri))
				return;
		}
		if (sg_add_column_skipped(ri->relid, cmd))
			continue;

		type = sg_coldef_type_text(def);
		qcol = quote_identifier(def->colname);
#ifdef SG_HAVE_NOT_NULL_NOT_VALID
		{
			const char *qcon = quote_identifier(ChooseConstraintName(ri->relname, def->colname, "not_null",
																	 get_rel_namespace(ri->relid), NIL));

			later = psprintf("add its NOT NULL constraint NOT VALID, then validate it: ADD CONSTRAINT %s NOT NULL %s NOT VALID, then VALIDATE CONSTRAINT %s",
							 qcon, qcol, qcon);
		}
#else
		later = "prove it non-null with a validated CHECK before SET NOT NULL";
#endif
		initStringInfo(&recipe);
		appendStringInfo(&recipe,
						 "Every existing row needs a value, which only you can choose: as written, the statement fails on this table. "
						 "Give the column that value as a non-volatile default (no rewrite, no scan), then drop the default if new rows must always supply one:\n"
						 "ALTER TABLE %s ADD COLUMN %s %s NOT NULL DEFAULT <value>;\n"
						 "-- once all running code writes %s (until then its inserts rely on the default; see drop_default):\n"
						 "BEGIN; SET LOCAL lock_timeout = '5s'; SET LOCAL schemaguard.allow = 'drop_default'; ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT; COMMIT;\n"
						 "-- or, if rows need different values: add the column without NOT NULL, backfill it, and %s",
						 ri->qualified, qcol, type, qcol, ri->qualified, qcol, later);

		sg_report(ctx, ri, def->colname, AccessExclusiveLock,
				  psprintf("ADD COLUMN \"%s\" NOT NULL without a default on non-empty table \"%s\"",
						   def->colname, ri->display),
				  "Existing rows would get NULL in the new column, so the statement scans the table under the lock and then fails.",
				  recipe.data);
	}
}

/* ----------------------------------------------------------------
 * set_not_null
 * ----------------------------------------------------------------
 */

/*
 * Do the relation's validated CHECK constraints prove the column NOT
 * NULL?  The same proof the server makes before it skips the scan
 * (tablecmds.c, NotNullImpliedByRelConstraints).
 */
static bool
sg_not_null_proven(Oid relid, AttrNumber attnum)
{
	Relation	rel;
	Form_pg_attribute attr;
	NullTest   *ntest;
	bool		proven;

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		return false;
	attr = TupleDescAttr(RelationGetDescr(rel), attnum - 1);

	ntest = makeNode(NullTest);
	ntest->arg = (Expr *) makeVar(1, attnum, attr->atttypid,
								  attr->atttypmod, attr->attcollation, 0);
	ntest->nulltesttype = IS_NOT_NULL;
	ntest->argisrow = false;
	ntest->location = -1;
	proven = sg_constraint_implied(rel, list_make1(ntest), false);

	relation_close(rel, AccessShareLock);
	return proven;
}

/*
 * The name of the column's NOT NULL constraint if it is NOT VALID, else
 * NULL.  From 18 on NOT NULL is a constraint that can be added NOT VALID,
 * and attnotnull is set for it all the same; before 18 there is none.
 */
static char *
sg_unvalidated_not_null(Oid relid, AttrNumber attnum)
{
#if PG_VERSION_NUM >= 180000
	HeapTuple	tup = findNotNullConstraintAttnum(relid, attnum);
	char	   *name = NULL;

	if (HeapTupleIsValid(tup))
	{
		Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);

		if (!con->convalidated)
			name = pstrdup(NameStr(con->conname));
		heap_freetuple(tup);
	}
	return name;
#else
	return NULL;
#endif
}

/*
 * ADD PRIMARY KEY USING INDEX builds no index, but makes every key column
 * NOT NULL, which scans the table under the ACCESS EXCLUSIVE lock unless a
 * validated CHECK proves the column non-null (the same proof as SET NOT
 * NULL).
 */
static void
sg_check_primary_key_using_index(SGContext *ctx, SGRelInfo *ri, Constraint *con)
{
	Oid			indexoid = get_relname_relid(con->indexname,
											 get_rel_namespace(ri->relid));
	HeapTuple	tup;
	Form_pg_index idx;
	StringInfoData recipe;
	StringInfoData cols;
	char	   *text;

	if (!OidIsValid(indexoid) || IndexGetRelation(indexoid, true) != ri->relid)
		return;					/* the server reports it */
	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
	if (!HeapTupleIsValid(tup))
		return;
	idx = (Form_pg_index) GETSTRUCT(tup);
	initStringInfo(&recipe);
	initStringInfo(&cols);
	appendStringInfoString(&recipe, SG_NOT_NULL_RECIPE_LEAD("each key column", "the primary key then skips the scan"));
	for (int i = 0; i < idx->indnkeyatts; i++)
	{
		AttrNumber	attnum = idx->indkey.values[i];
		HeapTuple	atttup;
		bool		notnull;
		char	   *name;

		if (attnum <= 0)
			continue;			/* an expression: the server refuses it */
		atttup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(ri->relid),
								 Int16GetDatum(attnum));
		if (!HeapTupleIsValid(atttup))
			continue;
		notnull = ((Form_pg_attribute) GETSTRUCT(atttup))->attnotnull;
		name = pstrdup(NameStr(((Form_pg_attribute) GETSTRUCT(atttup))->attname));
		ReleaseSysCache(atttup);
		if (notnull || sg_not_null_proven(ri->relid, attnum))
			continue;
		appendStringInfo(&cols, "%s\"%s\"", cols.len > 0 ? ", " : "", name);
		sg_append_not_null_recipe(&recipe, ri, name);
		appendStringInfoChar(&recipe, '\n');
	}
	ReleaseSysCache(tup);
	if (cols.len == 0)
		return;

	text = sg_statement_text(ctx);
	appendStringInfo(&recipe, "%s;", text ? text : "ALTER TABLE ... ADD PRIMARY KEY USING INDEX ...");
	sg_report(ctx, ri, NULL, AccessExclusiveLock,
			  psprintf("ADD PRIMARY KEY USING INDEX \"%s\" makes column%s %s of table \"%s\" NOT NULL, which scans the whole table under an ACCESS EXCLUSIVE lock",
					   con->indexname, strchr(cols.data, ',') ? "s" : "", cols.data, ri->display),
			  "The index exists already, but no validated CHECK constraint proves the key columns non-null, so every row is read while the lock is held.",
			  recipe.data);
}

#ifdef SG_HAVE_NOT_NULL_NOT_VALID
/*
 * ADD CONSTRAINT ... NOT NULL col without NOT VALID (18+) is SET NOT NULL
 * with a name of one's own: a new constraint scans the table (and each
 * child) under the ACCESS EXCLUSIVE lock unless a validated CHECK proves
 * the column non-null (tablecmds.c, set_attnotnull).  An existing valid
 * constraint absorbs it; an existing NOT VALID one makes the server refuse
 * it (pg_constraint.c, AdjustNotNullInheritance).
 */
static void
sg_check_add_not_null_constraint(SGContext *ctx, SGRelInfo *ri, Constraint *con)
{
	const char *column;
	AttrNumber	attnum;
	HeapTuple	tup;
	char	   *conname;
	const char *qcon;
	char	   *clause;

	if (con->skip_validation || list_length(con->keys) != 1 ||
		!IsA(linitial(con->keys), String))
		return;
	column = strVal(linitial(con->keys));
	attnum = get_attnum(ri->relid, column);
	if (attnum <= 0)
		return;					/* the server reports it */
	tup = findNotNullConstraintAttnum(ri->relid, attnum);
	if (HeapTupleIsValid(tup))
	{
		heap_freetuple(tup);
		return;
	}
	if (sg_not_null_proven(ri->relid, attnum))
		return;

	conname = con->conname ? con->conname :
		ChooseConstraintName(ri->relname, column, "not_null",
							 get_rel_namespace(ri->relid), NIL);
	qcon = quote_identifier(conname);
	clause = sg_text_clause(ctx, con->location);
	sg_report(ctx, ri, column, AccessExclusiveLock,
			  psprintf("adding NOT NULL constraint \"%s\" to column \"%s\" of table \"%s\" scans the whole table under an ACCESS EXCLUSIVE lock",
					   conname, column, ri->display),
			  "No validated CHECK constraint proves the column non-null, so every row is read while the lock is held.",
			  psprintf("Add the constraint NOT VALID (brief lock, no scan), then validate it in its own transaction (SHARE UPDATE EXCLUSIVE: reads and writes continue):\n"
					   "ALTER TABLE %s ADD %s%s NOT VALID;\n"
					   "ALTER TABLE %s VALIDATE CONSTRAINT %s;",
					   ri->qualified,
					   clause && con->conname ? "" : psprintf("CONSTRAINT %s ", qcon),
					   clause ? clause : psprintf("NOT NULL %s", quote_identifier(column)),
					   ri->qualified, qcon));
}
#endif

void
sg_check_set_not_null(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats;
	SGRelInfo  *ri = NULL;
	ListCell   *lc;

	if (IsA(stmt, AlterDomainStmt))
	{
		sg_check_alter_domain(ctx, (AlterDomainStmt *) stmt, true);
		return;
	}
	ats = castNode(AlterTableStmt, stmt);

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		AttrNumber	attnum;
		HeapTuple	atttup;
		bool		notnull;
		char	   *unvalidated;
		StringInfoData recipe;

		if (cmd->subtype == AT_AddConstraint && cmd->def != NULL &&
			IsA(cmd->def, Constraint) &&
			((Constraint *) cmd->def)->contype == CONSTR_PRIMARY &&
			((Constraint *) cmd->def)->indexname != NULL)
		{
			if (ri == NULL)
			{
				ri = sg_alter_table_target(ctx, ats);
				if (ri == NULL || !sg_rel_is_large(ctx, ri))
					return;
			}
			sg_check_primary_key_using_index(ctx, ri, (Constraint *) cmd->def);
			continue;
		}
#ifdef SG_HAVE_NOT_NULL_NOT_VALID
		if (cmd->subtype == AT_AddConstraint && cmd->def != NULL &&
			IsA(cmd->def, Constraint) &&
			((Constraint *) cmd->def)->contype == CONSTR_NOTNULL)
		{
			if (ri == NULL)
			{
				ri = sg_alter_table_target(ctx, ats);
				if (ri == NULL || !sg_rel_is_large(ctx, ri))
					return;
			}
			sg_check_add_not_null_constraint(ctx, ri, (Constraint *) cmd->def);
			continue;
		}
#endif

		if (cmd->subtype != AT_SetNotNull || cmd->name == NULL)
			continue;
		if (ri == NULL)
		{
			ri = sg_alter_table_target(ctx, ats);
			if (ri == NULL || !sg_rel_is_large(ctx, ri))
				return;
		}

		atttup = SearchSysCacheAttName(ri->relid, cmd->name);
		if (!HeapTupleIsValid(atttup))
			continue;			/* the statement will report it */
		attnum = ((Form_pg_attribute) GETSTRUCT(atttup))->attnum;
		notnull = ((Form_pg_attribute) GETSTRUCT(atttup))->attnotnull;
		ReleaseSysCache(atttup);

		if (attnum <= 0)
			continue;
		/* a NOT VALID NOT NULL constraint (18+): SET NOT NULL validates it */
		unvalidated = notnull ? sg_unvalidated_not_null(ri->relid, attnum) : NULL;
		/* already NOT NULL: nothing to scan */
		if (notnull && unvalidated == NULL)
			continue;
		if (sg_not_null_proven(ri->relid, attnum))
			continue;
		if (unvalidated != NULL)
		{
			sg_report(ctx, ri, cmd->name, AccessExclusiveLock,
					  psprintf("SET NOT NULL on column \"%s\" of table \"%s\" validates NOT NULL constraint \"%s\" with a scan of the whole table under an ACCESS EXCLUSIVE lock",
							   cmd->name, ri->display, unvalidated),
					  "The column has a NOT VALID NOT NULL constraint; SET NOT NULL validates it while holding its own lock.",
					  psprintf("Validate the constraint on its own instead (SHARE UPDATE EXCLUSIVE: reads and writes continue):\n"
							   "ALTER TABLE %s VALIDATE CONSTRAINT %s;",
							   ri->qualified, quote_identifier(unvalidated)));
			continue;
		}

		initStringInfo(&recipe);
		appendStringInfoString(&recipe, SG_NOT_NULL_RECIPE_LEAD("the column", "SET NOT NULL then skips its scan"));
		sg_append_not_null_recipe(&recipe, ri, cmd->name);

		sg_report(ctx, ri, cmd->name, AccessExclusiveLock,
				  psprintf("SET NOT NULL on column \"%s\" of table \"%s\" scans the whole table under an ACCESS EXCLUSIVE lock",
						   cmd->name, ri->display),
				  "No validated CHECK constraint proves the column non-null, so every row is read while the lock is held.",
				  recipe.data);
	}
}

/* ----------------------------------------------------------------
 * add_column_volatile_default
 * ----------------------------------------------------------------
 */
/* constraints of a column definition besides DEFAULT, NULL and NOT NULL */
static bool
sg_coldef_other_constraints(ColumnDef *def)
{
	ListCell   *lc;

	foreach(lc, def->constraints)
	{
		Constraint *con = lfirst(lc);

		if (IsA(con, Constraint) && con->contype != CONSTR_DEFAULT &&
			con->contype != CONSTR_NULL && con->contype != CONSTR_NOTNULL)
			return true;
	}
	return false;
}

void
sg_check_add_column_volatile_default(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	SGRelInfo  *ri = NULL;
	ListCell   *lc;

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		ColumnDef  *def;
		Node	   *raw;
		Node	   *cooked;
		Oid			typid;
		int32		typmod;
		ParseState *pstate;
		char	   *exprtext;
		char	   *type;
		const char *qcol;
		StringInfoData recipe;

		if (cmd->subtype != AT_AddColumn || cmd->def == NULL ||
			!IsA(cmd->def, ColumnDef))
			continue;
		def = (ColumnDef *) cmd->def;
		raw = sg_coldef_raw_default(def);
		if (sg_coldef_constraint(def, CONSTR_GENERATED) != NULL ||
			sg_coldef_constraint(def, CONSTR_IDENTITY) != NULL || def->identity)
			continue;
		if (!sg_coldef_type(def, &typid, &typmod))
			continue;
		/* no default of its own: a domain's default applies */
		if (raw == NULL && get_typtype(typid) != TYPTYPE_DOMAIN)
			continue;

		if (ri == NULL)
		{
			ri = sg_alter_table_target(ctx, ats);
			if (ri == NULL || ri->relkind == RELKIND_MATVIEW ||
				!sg_rel_is_large(ctx, ri))
				return;
		}
		if (sg_add_column_skipped(ri->relid, cmd))
			continue;

		/*
		 * Decide on the cooked expression, as the server does before it
		 * chooses between a stored "missing" value and a rewrite (heap.c,
		 * StoreAttrDefault).  Work on a copy: the parse tree is not ours.
		 */
		if (raw != NULL)
		{
			pstate = make_parsestate(NULL);
			pstate->p_sourcetext = ctx->query;
			cooked = cookDefault(pstate, copyObject(raw), typid, typmod,
								 def->colname, '\0');
			free_parsestate(pstate);
		}
		else
			cooked = get_typdefault(typid);
		if (cooked == NULL || !sg_expr_volatile(cooked))
			continue;

		exprtext = deparse_expression(cooked, NIL, false, false);
		type = format_type_with_typemod(typid, typmod);
		qcol = quote_identifier(def->colname);

		if (def->collClause != NULL)
			type = psprintf("%s COLLATE %s", type,
							NameListToQuotedString(def->collClause->collname));
		initStringInfo(&recipe);
		appendStringInfo(&recipe,
						 "Add the column without a default, set the default for new rows, then backfill existing rows in batches:\n"
						 "ALTER TABLE %s ADD COLUMN %s %s%s;\n"
						 "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;\n",
						 ri->qualified, qcol, type,
						 raw == NULL ? " DEFAULT NULL" : "",
						 ri->qualified, qcol, exprtext);
		sg_append_backfill(&recipe, ri, def->colname, psprintf("%s = DEFAULT", qcol),
						   psprintf("%s IS NULL", qcol));
		/* the domain's own default applies again */
		if (raw == NULL)
			appendStringInfo(&recipe, "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;\n",
							 ri->qualified, qcol);
		if (def->is_not_null || sg_coldef_constraint(def, CONSTR_NOTNULL) != NULL)
			sg_append_not_null_recipe(&recipe, ri, def->colname);
		else
			recipe.data[--recipe.len] = '\0';	/* the last newline */
		if (sg_coldef_other_constraints(def))
			appendStringInfoString(&recipe,
								   "\n-- then add the column's other constraints as statements of their own, each the way its rule's recipe shows");

		sg_report(ctx, ri, def->colname, AccessExclusiveLock,
				  psprintf("ADD COLUMN \"%s\" with volatile default %s rewrites table \"%s\"",
						   def->colname, exprtext, ri->display),
				  "A volatile default must be computed for every existing row, so the whole table is rewritten while the lock is held.",
				  recipe.data);
	}
}
