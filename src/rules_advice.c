/*-------------------------------------------------------------------------
 *
 * rules_advice.c
 *		Advice on type choices for new columns: prefer_bigint_pk,
 *		prefer_timestamptz, prefer_text, ban_char and prefer_identity.
 *		These rules look at the columns a statement defines (CREATE TABLE,
 *		ALTER TABLE ADD COLUMN / ALTER COLUMN TYPE), so the exemption for
 *		relations created in the current transaction does not apply to
 *		them; temporary tables are exempt.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "schemaguard.h"

/* A column definition together with the table it belongs to */
typedef struct SGColumn
{
	ColumnDef  *def;
	bool		in_create;		/* part of CREATE TABLE */
	bool		primary_key;	/* the (single-column) primary key */
	bool		type_change;	/* ALTER COLUMN ... TYPE */
} SGColumn;

typedef struct SGTableTarget
{
	char	   *schema;			/* may be NULL when not resolvable */
	char	   *table;
	char	   *display;
	char	   *qualified;
} SGTableTarget;

static bool
sg_advice_target(SGContext *ctx, RangeVar *rv, SGTableTarget *t)
{
	Oid			nspid;

	if (rv == NULL || rv->relpersistence == RELPERSISTENCE_TEMP)
		return false;
	if (rv->schemaname != NULL)
		t->schema = rv->schemaname;
	else
	{
		nspid = RangeVarGetCreationNamespace(rv);
		if (isAnyTempNamespace(nspid))
			return false;
		t->schema = get_namespace_name(nspid);
	}
	if (strcmp(t->schema, "pg_temp") == 0)
		return false;
	t->table = rv->relname;
	t->display = t->schema ? psprintf("%s.%s", t->schema, t->table) : pstrdup(t->table);
	t->qualified = quote_qualified_identifier(t->schema, t->table);
	return true;
}

/*
 * The column definitions a statement introduces, and the table.
 */
static List *
sg_defined_columns(SGContext *ctx, Node *stmt, SGTableTarget *t)
{
	List	   *cols = NIL;
	ListCell   *lc;

	if (IsA(stmt, CreateStmt))
	{
		CreateStmt *cs = (CreateStmt *) stmt;
		List	   *pkcols = NIL;

		if (!sg_advice_target(ctx, cs->relation, t))
			return NIL;
		/* IF NOT EXISTS on an existing table creates nothing */
		if (cs->if_not_exists && OidIsValid(RangeVarGetRelid(cs->relation, NoLock, true)))
			return NIL;
		/* table constraints: in the raw parse tree they sit in tableElts */
		foreach(lc, list_concat(list_copy(cs->constraints), cs->tableElts))
		{
			Constraint *con;

			if (!IsA(lfirst(lc), Constraint))
				continue;
			con = (Constraint *) lfirst(lc);
			/* a composite key does not run out with one of its columns */
			if (con->contype == CONSTR_PRIMARY && list_length(con->keys) == 1)
				pkcols = list_concat(pkcols, list_copy(con->keys));
		}
		foreach(lc, cs->tableElts)
		{
			SGColumn   *c;
			ListCell   *lc2;

			if (!IsA(lfirst(lc), ColumnDef))
				continue;
			c = palloc0(sizeof(SGColumn));
			c->def = lfirst_node(ColumnDef, lc);
			c->in_create = true;
			if (sg_coldef_constraint(c->def, CONSTR_PRIMARY) != NULL)
				c->primary_key = true;
			foreach(lc2, pkcols)
				if (strcmp(strVal(lfirst(lc2)), c->def->colname) == 0)
					c->primary_key = true;
			cols = lappend(cols, c);
		}
	}
	else if (IsA(stmt, AlterTableStmt))
	{
		AlterTableStmt *ats = (AlterTableStmt *) stmt;
		SGRelInfo  *ri;

		if (ats->objtype != OBJECT_TABLE)
			return NIL;
		ri = sg_relinfo_rv(ctx, ats->relation);
		if (ri == NULL || ri->relpersistence == RELPERSISTENCE_TEMP)
			return NIL;
		t->schema = ri->nspname;
		t->table = ri->relname;
		t->display = ri->display;
		t->qualified = ri->qualified;
		foreach(lc, ats->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
			SGColumn   *c;

			if ((cmd->subtype != AT_AddColumn && cmd->subtype != AT_AlterColumnType) ||
				cmd->def == NULL || !IsA(cmd->def, ColumnDef) ||
				sg_add_column_skipped(ri->relid, cmd))
				continue;
			c = palloc0(sizeof(SGColumn));
			c->def = (ColumnDef *) cmd->def;
			/* ALTER COLUMN TYPE carries the column name on the command */
			if (cmd->subtype == AT_AlterColumnType)
			{
				c->def = copyObject(c->def);
				c->def->colname = cmd->name;
				c->type_change = true;
			}
			cols = lappend(cols, c);
		}
	}
	return cols;
}

/*
 * The advice's recipe: the statement with the column's type replaced
 * (the type and what follows it on its own, "replacement"), or, when the
 * statement's text cannot be cut so, the column written as advised.
 */
static char *
sg_advice_recipe(SGContext *ctx, SGColumn *c, const char *advice,
				 const char *replacement)
{
	char	   *text = NULL;

	if (c->def->typeName != NULL && c->def->typeName->location >= 0)
		text = sg_text_with_type(ctx, c->def->typeName->location, replacement);
	if (text != NULL)
		return psprintf("%s:\n%s;", advice, text);
	return psprintf("%s: %s %s", advice, quote_identifier(c->def->colname),
					replacement);
}

static void
sg_report_column(SGContext *ctx, SGTableTarget *t, const char *column,
				 const char *what, const char *detail, const char *recipe)
{
	sg_report_column_object(ctx, t->schema, t->table, column,
							psprintf("%s.%s", t->display, column),
							what, detail, recipe);
}

/* The column's type, resolved; false if it is a serial or unknown */
static bool
sg_column_type(ColumnDef *def, Oid *typid, int32 *typmod)
{
	if (def->typeName == NULL || sg_coldef_is_serial(def))
		return false;
	return sg_coldef_type(def, typid, typmod);
}

void
sg_check_prefer_bigint_pk(SGContext *ctx, Node *stmt)
{
	SGTableTarget t;
	List	   *cols;
	ListCell   *lc;

	if (!IsA(stmt, CreateStmt))
		return;
	cols = sg_defined_columns(ctx, stmt, &t);
	foreach(lc, cols)
	{
		SGColumn   *c = lfirst(lc);
		Oid			typid;
		int32		typmod;
		const char *tname = NULL;
		const char *better = "bigint";

		if (!c->primary_key)
			continue;
		if (sg_coldef_is_serial(c->def))
		{
			const char *n = strVal(llast(c->def->typeName->names));

			if (strcmp(n, "bigserial") == 0 || strcmp(n, "serial8") == 0)
				continue;
			tname = n;
			better = "bigint GENERATED BY DEFAULT AS IDENTITY";
		}
		else if (sg_column_type(c->def, &typid, &typmod) &&
				 (typid == INT4OID || typid == INT2OID))
			tname = format_type_be(typid);
		if (tname == NULL)
			continue;

		sg_report_column(ctx, &t, c->def->colname,
						 psprintf("primary key column \"%s\" of new table \"%s\" is %s",
								  c->def->colname, t.display, tname),
						 psprintf("A primary key of type %s runs out at %s values; changing the type of a primary key later rewrites the table and every referencing table.",
								  tname, strcmp(tname, "smallint") == 0 || strcmp(tname, "smallserial") == 0 ||
								  strcmp(tname, "serial2") == 0 ? "32,767" : "2,147,483,647"),
						 sg_advice_recipe(ctx, c, "Use bigint from the start", better));
	}
}

void
sg_check_prefer_timestamptz(SGContext *ctx, Node *stmt)
{
	SGTableTarget t;
	List	   *cols = sg_defined_columns(ctx, stmt, &t);
	ListCell   *lc;

	foreach(lc, cols)
	{
		SGColumn   *c = lfirst(lc);
		Oid			typid;
		int32		typmod;

		if (!sg_column_type(c->def, &typid, &typmod) || typid != TIMESTAMPOID)
			continue;
		sg_report_column(ctx, &t, c->def->colname,
						 psprintf("column \"%s\" of table \"%s\" is timestamp without time zone",
								  c->def->colname, t.display),
						 "timestamp without time zone stores wall-clock readings with no zone: values from sessions in different time zones, or across daylight-saving changes, cannot be compared.",
						 sg_advice_recipe(ctx, c, "Use timestamptz",
										  format_type_with_typemod(TIMESTAMPTZOID, typmod)));
	}
}

void
sg_check_prefer_text(SGContext *ctx, Node *stmt)
{
	SGTableTarget t;
	List	   *cols = sg_defined_columns(ctx, stmt, &t);
	ListCell   *lc;

	foreach(lc, cols)
	{
		SGColumn   *c = lfirst(lc);
		Oid			typid;
		int32		typmod;
		const char *qcol;

		if (!sg_column_type(c->def, &typid, &typmod) || typid != VARCHAROID ||
			typmod < 0)
			continue;
		qcol = quote_identifier(c->def->colname);
		sg_report_column(ctx, &t, c->def->colname,
						 psprintf("column \"%s\" of table \"%s\" is %s",
								  c->def->colname, t.display,
								  format_type_with_typemod(typid, typmod)),
						 "varchar(n) is stored exactly like text; the length limit only adds a check, and raising it later is a schema change.",
						 sg_advice_recipe(ctx, c, "Use text, with a CHECK constraint if the length matters",
										  c->type_change ? "text" :
										  psprintf("text CHECK (length(%s) <= %d)",
												   qcol, typmod - VARHDRSZ)));
	}
}

void
sg_check_ban_char(SGContext *ctx, Node *stmt)
{
	SGTableTarget t;
	List	   *cols = sg_defined_columns(ctx, stmt, &t);
	ListCell   *lc;

	foreach(lc, cols)
	{
		SGColumn   *c = lfirst(lc);
		Oid			typid;
		int32		typmod;

		if (!sg_column_type(c->def, &typid, &typmod) || typid != BPCHAROID)
			continue;
		sg_report_column(ctx, &t, c->def->colname,
						 psprintf("column \"%s\" of table \"%s\" is %s",
								  c->def->colname, t.display,
								  format_type_with_typemod(typid, typmod)),
						 "char(n) pads values with spaces, ignores trailing spaces in comparisons and is no faster than text.",
						 sg_advice_recipe(ctx, c, "Use text (with a CHECK constraint on the length if it matters)",
										  "text"));
	}
}

void
sg_check_prefer_identity(SGContext *ctx, Node *stmt)
{
	SGTableTarget t;
	List	   *cols = sg_defined_columns(ctx, stmt, &t);
	ListCell   *lc;

	foreach(lc, cols)
	{
		SGColumn   *c = lfirst(lc);
		const char *n;

		if (!sg_coldef_is_serial(c->def))
			continue;
		n = strVal(llast(c->def->typeName->names));
		sg_report_column(ctx, &t, c->def->colname,
						 psprintf("column \"%s\" of table \"%s\" is %s",
								  c->def->colname, t.display, n),
						 "serial creates a separately owned sequence with its own privileges; identity columns are the SQL-standard form and are easier to copy, dump and manage.",
						 sg_advice_recipe(ctx, c, "Use an identity column",
										  psprintf("%s GENERATED BY DEFAULT AS IDENTITY",
												   (strcmp(n, "smallserial") == 0 || strcmp(n, "serial2") == 0) ? "smallint" :
												   (strcmp(n, "serial") == 0 || strcmp(n, "serial4") == 0) ? "integer" : "bigint")));
	}
}
