/*-------------------------------------------------------------------------
 *
 * recipe.c
 *		The lines that recipes share.
 *
 * A recipe is the part of a violation's HINT between its first line (what
 * to do, in words) and "To allow it deliberately: ..." (followed only by
 * the line naming the rule's page, "See docs/rules/<rule>.md.").  Every
 * line of it is SQL that can be pasted as it is, or a comment: a step that
 * happens outside the database (deploying code, a pg_dump or pg_repack run
 * in a shell, a copy taken with psql's \copy) is a comment saying exactly
 * what to run, with the real names filled in.  Run in order, the lines
 * leave the schema the statement as written would have left; the
 * regression suite "recipes" checks this for every rule.
 *
 * The helpers here write the lines several rules use: the statement run
 * deliberately, a copy of a table or column kept outside the database, and
 * a backfill in batches that commit one by one.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_index.h"
#include "commands/dbcommands.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"

#include "schemaguard.h"

/* how many heap blocks one batch of a backfill updates */
#define SG_BACKFILL_BLOCKS 1000

/*
 * s as one word for a POSIX shell: as it is when it holds only characters
 * the shell leaves alone, else in single quotes.
 */
char *
sg_shell_word(const char *s)
{
	StringInfoData buf;
	const char *p;

	for (p = s; *p; p++)
	{
		if (!isalnum((unsigned char) *p) && strchr("_.-/=:@%+,", *p) == NULL)
			break;
	}
	if (*p == '\0' && p != s)
		return pstrdup(s);

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '\'');
	for (p = s; *p; p++)
	{
		if (*p == '\'')
			appendStringInfoString(&buf, "'\\''");
		else
			appendStringInfoChar(&buf, *p);
	}
	appendStringInfoChar(&buf, '\'');
	return buf.data;
}

/*
 * The statement run deliberately: "BEGIN; SET LOCAL schemaguard.allow =
 * '<rule>'; <sql>; COMMIT;", or for a statement that cannot run in a
 * transaction block, SET and RESET around it on lines of their own.  sql
 * NULL means the statement as the user wrote it.  brief: the statement
 * takes its lock only for a moment, and a lock timeout keeps it from
 * queueing the table's traffic behind it while it waits.
 */
char *
sg_recipe_allowed(SGContext *ctx, const char *sql, bool brief)
{
	return sg_recipe_allowed_with(ctx, NULL, sql, brief);
}

/*
 * The same, allowing another rule too (also, may be NULL): for recipes
 * whose last step also drops a helper object an earlier step created.
 */
char *
sg_recipe_allowed_with(SGContext *ctx, const char *also, const char *sql,
					   bool brief)
{
	const char *rule = ctx->rule ? ctx->rule->name : "all";

	if (also != NULL)
		rule = psprintf("%s, %s", rule, also);

	if (sql == NULL)
		sql = sg_statement_text(ctx);
	if (sql == NULL)
		sql = "<the statement>";
	if (ctx->no_xact_block)
		return psprintf("%sSET schemaguard.allow = '%s';\n%s;\nRESET schemaguard.allow;%s",
						brief ? "SET lock_timeout = '5s';\n" : "", rule, sql,
						brief ? "\nRESET lock_timeout;" : "");
	return psprintf("BEGIN; %sSET LOCAL schemaguard.allow = '%s'; %s; COMMIT;",
					brief ? "SET LOCAL lock_timeout = '5s'; " : "", rule, sql);
}

/* the current database's name, as a shell word */
char *
sg_database_word(void)
{
	char	   *db = get_database_name(MyDatabaseId);

	return sg_shell_word(db ? db : "<database>");
}

/*
 * A comment line: keep a copy of the relation (its data only, or the table
 * with its data) with pg_dump, in a shell.
 */
char *
sg_recipe_dump_line(SGRelInfo *ri, bool data_only)
{
	/* pg_dump would keep a Citus table's empty shell: read it through Citus */
	if (sg_rel_is_citus(ri))
		return psprintf("-- keep a copy first, in psql: \\copy (SELECT * FROM %s) TO %s WITH (FORMAT csv, HEADER)",
						ri->qualified,
						sg_shell_word(psprintf("%s.csv", ri->relname)));
	return psprintf("-- keep a copy first, in a shell: pg_dump --table=%s%s --format=custom --file=%s %s",
					sg_shell_word(ri->qualified),
					data_only ? " --data-only" : "",
					sg_shell_word(psprintf("%s.dump", ri->relname)),
					sg_database_word());
}

/*
 * A comment line: keep a copy of a column's values, with the primary key
 * to match them to their rows again (the whole row when there is none),
 * with psql's \copy.
 */
char *
sg_recipe_copy_column_line(SGRelInfo *ri, const char *column)
{
	Relation	rel = try_relation_open(ri->relid, AccessShareLock);
	StringInfoData cols;
	char	   *file = sg_shell_word(psprintf("%s_%s.csv", ri->relname, column));
	ListCell   *lc;

	initStringInfo(&cols);
	if (rel != NULL)
	{
		foreach(lc, RelationGetIndexList(rel))
		{
			HeapTuple	tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
			Form_pg_index idx;

			if (!HeapTupleIsValid(tup))
				continue;
			idx = (Form_pg_index) GETSTRUCT(tup);
			for (int i = 0; idx->indisprimary && i < idx->indnkeyatts; i++)
			{
				char	   *name = get_attname(ri->relid, idx->indkey.values[i], true);

				if (name != NULL && strcmp(name, column) != 0)
					appendStringInfo(&cols, "%s, ", quote_identifier(name));
			}
			ReleaseSysCache(tup);
		}
		relation_close(rel, AccessShareLock);
	}
	if (cols.len == 0)
		return psprintf("-- keep a copy of the rows first, e.g. in psql: \\copy %s TO %s WITH (FORMAT csv, HEADER)",
						ri->qualified, file);
	return psprintf("-- keep a copy of its values first, e.g. in psql: \\copy (SELECT %s%s FROM %s) TO %s WITH (FORMAT csv, HEADER)",
					cols.data, quote_identifier(column), ri->qualified, file);
}

/* a dollar-quote tag that does not occur in text */
static char *
sg_dollar_tag(const char *text)
{
	char	   *tag = pstrdup("$sg$");

	for (int i = 1; strstr(text, tag) != NULL; i++)
		tag = psprintf("$sg%d$", i);
	return tag;
}

/* text with each % doubled, except the first "%%s" made from "%s" */
static char *
sg_escape_percent(const char *text)
{
	StringInfoData buf;
	bool		placeholder = false;

	initStringInfo(&buf);
	for (const char *p = text; *p; p++)
	{
		if (*p == '%' && p[1] == 's' && !placeholder)
		{
			appendStringInfoString(&buf, "%s");
			placeholder = true;
			p++;
			continue;
		}
		if (*p == '%')
			appendStringInfoChar(&buf, '%');
		appendStringInfoChar(&buf, *p);
	}
	return buf.data;
}

/*
 * Lines that update every existing row of ri in batches of heap blocks,
 * each batch committed on its own (a DO block run outside a transaction
 * block may COMMIT): "UPDATE <ri> SET <set_clause>" for the rows in each
 * range of blocks, and only those matching where_clause if it is not NULL;
 * column is the column it sets, which may not exist yet.
 * Rows written meanwhile are left to a default or a trigger.
 */
void
sg_append_backfill(StringInfo buf, SGRelInfo *ri, const char *column,
				   const char *set_clause, const char *where_clause)
{
	char	   *var = pstrdup("b");
	char	   *update;
	char	   *tag;

	/*
	 * Citus runs no volatile function in a multi-shard UPDATE, and a shard's
	 * blocks are not the shell's: each shard is updated on its own node, in
	 * a transaction of its own.
	 */
	if (sg_rel_is_citus(ri))
	{
		update = psprintf("UPDATE %%s SET %s%s%s", set_clause,
						  where_clause ? " WHERE " : "",
						  where_clause ? where_clause : "");
		/* run_command_on_shards() puts each shard's name in place of %s */
		update = sg_escape_percent(update);
		tag = sg_dollar_tag(update);
		appendStringInfo(buf,
						 "-- backfill the existing rows shard by shard (Citus runs the UPDATE on each shard, each in a transaction of its own):\n"
						 "SELECT run_command_on_shards(%s, %s%s%s);\n",
						 quote_literal_cstr(ri->qualified), tag, update, tag);
		return;
	}

	/* the loop variable: a name no column of the table has, nor the new one */
	for (int i = 1; get_attnum(ri->relid, var) != InvalidAttrNumber ||
		 strcmp(var, column) == 0; i++)
		var = psprintf("b%d", i);
	update = psprintf("UPDATE %s SET %s\n"
					  "         WHERE ctid >= format('(%%s,0)', %s)::tid AND ctid < format('(%%s,0)', %s + %d)::tid%s%s;",
					  ri->qualified, set_clause, var, var, SG_BACKFILL_BLOCKS,
					  where_clause ? " AND " : "",
					  where_clause ? where_clause : "");
	tag = sg_dollar_tag(update);
	appendStringInfo(buf,
					 "-- backfill the existing rows in batches, outside a transaction block (each batch commits):\n"
					 "DO %s BEGIN\n"
					 "    FOR %s IN 0 .. pg_relation_size(%s) / current_setting('block_size')::int BY %d LOOP\n"
					 "        %s\n"
					 "        COMMIT;\n"
					 "    END LOOP;\n"
					 "END %s;\n",
					 tag, var, quote_literal_cstr(ri->qualified), SG_BACKFILL_BLOCKS,
					 update, tag);
}

/* the relation's columns, quoted, in order: "a, b, c" */
char *
sg_column_list(Oid relid)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);
	StringInfoData buf;

	initStringInfo(&buf);
	if (rel == NULL)
		return buf.data;
	for (int i = 0; i < RelationGetDescr(rel)->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), i);

		if (!att->attisdropped)
			appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "",
							 quote_identifier(NameStr(att->attname)));
	}
	relation_close(rel, AccessShareLock);
	return buf.data;
}
