/*-------------------------------------------------------------------------
 *
 * rules_dataloss.c
 *		Rule checks for statements that lose data: drop_table (directly or
 *		through DROP SCHEMA ... CASCADE), drop_column, drop_database and
 *		truncate.  Empty relations are exempt (unless
 *		schemaguard.assume_large_tables is on): nothing is lost.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/heap.h"
#include "catalog/pg_database.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "commands/dbcommands.h"
#include "nodes/makefuncs.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "schemaguard.h"

/*
 * "non-empty " when schemaguard saw a row; nothing when the role may not
 * read the table, so that it was assumed to have rows (see sg_may_read).
 */
static const char *
sg_nonempty(SGRelInfo *ri)
{
	return ri->may_read ? "non-empty " : "";
}

#define SG_UNREAD_DETAIL(ri) \
	((ri)->may_read ? NULL : \
	 "This role may not read the table, so schemaguard did not look for rows and assumes it has some.")

static void
sg_report_drop_table(SGContext *ctx, SGRelInfo *ri, const char *via)
{
	sg_report(ctx, ri, NULL, AccessExclusiveLock,
			  psprintf("%sdropping %s%s \"%s\" loses its data",
					   via ? via : "", sg_nonempty(ri), sg_relkind_word(ri->relkind),
					   ri->display),
			  SG_UNREAD_DETAIL(ri),
			  psprintf("Make sure nothing uses it and keep a copy, then drop it deliberately:\n%s\n%s",
					   sg_recipe_dump_line(ri, false),
					   sg_recipe_allowed(ctx, NULL, false)));
}

static bool
sg_is_table_kind(char relkind)
{
	return relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE;
}

/* a table of the schema *arg, partitions counted with their parent */
static bool
sg_is_schema_table(Form_pg_class form, void *arg)
{
	return form->relnamespace == *(Oid *) arg &&
		sg_is_table_kind(form->relkind) && !form->relispartition;
}

/* ----------------------------------------------------------------
 * drop_table
 * ----------------------------------------------------------------
 */
/*
 * The existing tables a DROP statement drops, as SGDroppedTable: those
 * DROP TABLE names, and those in the schemas DROP SCHEMA ... CASCADE
 * drops (partitions counted with their parent), with the prefix of the
 * message that names the schema.  Each is noted for the drop net, which
 * leaves it to the parse-tree rules.  drop_table judges the non-empty
 * ones, drop_empty_table the others.
 */
List *
sg_drop_stmt_tables(SGContext *ctx, DropStmt *ds)
{
	List	   *tables = NIL;
	ListCell   *lc;

	if (ds->removeType == OBJECT_TABLE)
	{
		foreach(lc, ds->objects)
		{
			RangeVar   *rv = makeRangeVarFromNameList(castNode(List, lfirst(lc)));
			SGRelInfo  *ri = sg_relinfo_rv(ctx, rv);
			SGDroppedTable *t;

			if (ri == NULL)
				continue;
			sg_drop_judged(ctx, ri->relid, NULL);
			if (!sg_is_table_kind(ri->relkind))
				continue;
			t = palloc0(sizeof(SGDroppedTable));
			t->ri = ri;
			tables = lappend(tables, t);
		}
	}
	else if (ds->removeType == OBJECT_SCHEMA && ds->behavior == DROP_CASCADE)
	{
		foreach(lc, ds->objects)
		{
			const char *nspname = strVal(lfirst(lc));
			Oid			nspid = get_namespace_oid(nspname, true);
			ListCell   *lc2;

			if (!OidIsValid(nspid))
				continue;
			foreach(lc2, sg_relids_where(sg_is_schema_table, &nspid))
			{
				SGRelInfo  *ri = sg_relinfo_oid(ctx, lfirst_oid(lc2));
				SGDroppedTable *t;

				if (ri == NULL)
					continue;
				sg_drop_judged(ctx, ri->relid, NULL);
				t = palloc0(sizeof(SGDroppedTable));
				t->ri = ri;
				t->via = psprintf("DROP SCHEMA \"%s\" CASCADE: ", nspname);
				tables = lappend(tables, t);
			}
		}
	}
	return tables;
}

void
sg_check_drop_table(SGContext *ctx, Node *stmt)
{
	ListCell   *lc;

	foreach(lc, sg_drop_stmt_tables(ctx, castNode(DropStmt, stmt)))
	{
		SGDroppedTable *t = lfirst(lc);

		if (sg_rel_exempt(ctx, t->ri) || !sg_rel_has_rows(ctx, t->ri))
			continue;
		sg_report_drop_table(ctx, t->ri, t->via);
	}
}

/* ----------------------------------------------------------------
 * drop_column
 * ----------------------------------------------------------------
 */
void
sg_check_drop_column(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	SGRelInfo  *ri = NULL;
	ListCell   *lc;

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		if (cmd->subtype != AT_DropColumn || cmd->name == NULL)
			continue;
		if (ri == NULL)
		{
			ri = sg_alter_table_target(ctx, ats);
			if (ri == NULL)
				return;
		}
		sg_drop_judged(ctx, ri->relid, cmd->name);
		if (get_attnum(ri->relid, cmd->name) == InvalidAttrNumber)
			continue;			/* IF EXISTS, or the statement reports it */
		/* an empty table, or a column without a value: nothing is lost */
		if (ri->relkind == RELKIND_MATVIEW || !sg_column_has_values(ctx, ri, cmd->name))
			continue;

		sg_report(ctx, ri, cmd->name, AccessExclusiveLock,
				  psprintf("dropping column \"%s\" of %stable \"%s\" loses its data",
						   cmd->name, sg_nonempty(ri), ri->display),
				  "Running code that still reads or writes the column fails as soon as this commits.",
				  psprintf("Deploy code that no longer uses the column first, keep a copy of its values, then drop it deliberately:\n%s\n%s",
						   sg_recipe_copy_column_line(ri, cmd->name),
						   sg_recipe_allowed(ctx, NULL, false)));
	}
}

/* ----------------------------------------------------------------
 * drop_database
 * ----------------------------------------------------------------
 */
void
sg_check_drop_database(SGContext *ctx, Node *stmt)
{
	DropdbStmt *dd = castNode(DropdbStmt, stmt);

	if (dd->dbname == NULL || !OidIsValid(get_database_oid(dd->dbname, true)))
		return;
	/* a test runner's database, named in its role's setting */
	if (sg_name_in_patterns(sg_disposable_databases, dd->dbname))
		return;

	sg_report_object(ctx, dd->dbname,
					 psprintf("DROP DATABASE \"%s\" loses every object and row in it",
							  dd->dbname),
					 "A dropped database cannot be recovered except from a backup.",
					 psprintf("Keep a copy first, then drop it deliberately:\n"
							  "-- in a shell: pg_dump --format=custom --file=%s %s\n%s",
							  sg_shell_word(psprintf("%s.dump", dd->dbname)),
							  sg_shell_word(dd->dbname),
							  sg_recipe_allowed(ctx, NULL, false)));
}

/* ----------------------------------------------------------------
 * truncate
 * ----------------------------------------------------------------
 */
/*
 * The TRUNCATE that empties what "TRUNCATE ... CASCADE" does, naming every
 * table: those named, as they were named (ONLY kept), and those the
 * cascade reaches.
 */
static char *
sg_truncate_named(SGContext *ctx, TruncateStmt *ts, List *reached)
{
	StringInfoData buf;
	ListCell   *lc;
	int			i = 0;

	initStringInfo(&buf);
	appendStringInfoString(&buf, "TRUNCATE ");
	foreach(lc, ts->relations)
	{
		RangeVar   *rv = lfirst_node(RangeVar, lc);
		Oid			relid = RangeVarGetRelid(rv, NoLock, true);

		if (!OidIsValid(relid))
			continue;
		appendStringInfo(&buf, "%s%s%s", i++ > 0 ? ", " : "",
						 rv->inh ? "" : "ONLY ",
						 quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
													get_rel_name(relid)));
	}
	foreach(lc, reached)
	{
		SGRelInfo  *ri = sg_relinfo_oid(ctx, lfirst_oid(lc));

		if (ri != NULL)
			appendStringInfo(&buf, "%s%s", i++ > 0 ? ", " : "", ri->qualified);
	}
	if (ts->restart_seqs)
		appendStringInfoString(&buf, " RESTART IDENTITY");
	return buf.data;
}

void
sg_check_truncate(SGContext *ctx, Node *stmt)
{
	TruncateStmt *ts = castNode(TruncateStmt, stmt);
	List	   *relids = NIL;
	List	   *reached = NIL;
	ListCell   *lc;

	foreach(lc, ts->relations)
	{
		SGRelInfo  *ri = sg_relinfo_rv(ctx, lfirst_node(RangeVar, lc));

		if (ri != NULL)
			relids = lappend_oid(relids, ri->relid);
	}

	/* CASCADE: every table that references the listed ones, transitively */
	if (ts->behavior == DROP_CASCADE && relids != NIL)
	{
		List	   *all = list_copy(relids);

		for (;;)
		{
			List	   *refs = heap_truncate_find_FKs(all);
			bool		added = false;

			foreach(lc, refs)
			{
				if (!list_member_oid(all, lfirst_oid(lc)))
				{
					all = lappend_oid(all, lfirst_oid(lc));
					reached = lappend_oid(reached, lfirst_oid(lc));
					added = true;
				}
			}
			if (!added)
				break;
		}
	}

	foreach(lc, list_concat(list_copy(relids), reached))
	{
		SGRelInfo  *ri = sg_relinfo_oid(ctx, lfirst_oid(lc));
		bool		via_cascade = list_member_oid(reached, lfirst_oid(lc));

		if (ri == NULL || sg_rel_exempt(ctx, ri) || !sg_rel_has_rows(ctx, ri))
			continue;
		if (via_cascade)
			sg_report_escalated(ctx, ri, NULL, AccessExclusiveLock,
								psprintf("TRUNCATE ... CASCADE reaches %stable \"%s\", which was not named, and empties it",
										 sg_nonempty(ri), ri->display),
								"CASCADE follows foreign keys to every referencing table.",
								psprintf("Name every table you mean to empty, without CASCADE, so that nothing else is emptied by accident:\n%s",
										 sg_recipe_allowed(ctx, sg_truncate_named(ctx, ts, reached), false)));
		else
			sg_report(ctx, ri, NULL, AccessExclusiveLock,
					  psprintf("TRUNCATE empties %stable \"%s\"", sg_nonempty(ri), ri->display),
					  SG_UNREAD_DETAIL(ri),
					  psprintf("If the rows are still needed, keep a copy first, then empty it deliberately:\n%s\n%s",
							   sg_recipe_dump_line(ri, true),
							   sg_recipe_allowed(ctx, NULL, false)));
	}
}
