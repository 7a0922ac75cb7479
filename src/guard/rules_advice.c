/*-------------------------------------------------------------------------
 *
 * rules_advice.c
 *		Advice on type choices for new columns: prefer_bigint_pk,
 *		prefer_timestamptz, prefer_text, ban_char, prefer_identity,
 *		prefer_jsonb and prefer_bigint_id.
 *		These rules look at the columns a statement defines (CREATE TABLE,
 *		ALTER TABLE ADD COLUMN / ALTER COLUMN TYPE), so the exemption for
 *		relations created in the current transaction does not apply to
 *		them; temporary tables are exempt.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

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

/* ----------------------------------------------------------------
 * prefer_jsonb
 * ----------------------------------------------------------------
 */
void
sg_check_prefer_jsonb(SGContext *ctx, Node *stmt)
{
	SGTableTarget t;
	List	   *cols = sg_defined_columns(ctx, stmt, &t);
	ListCell   *lc;

	foreach(lc, cols)
	{
		SGColumn   *c = lfirst(lc);
		Oid			typid;
		int32		typmod;
		Oid			elem;
		Oid			scalar;
		const char *better;
		char	   *what;

		if (!sg_column_type(c->def, &typid, &typmod))
			continue;
		elem = get_element_type(typid);
		scalar = OidIsValid(elem) ? elem : typid;
		if (getBaseType(scalar) != JSONOID)
			continue;
		better = OidIsValid(elem) ? "jsonb[]" : "jsonb";
		if (scalar == JSONOID)
			what = psprintf("column \"%s\" of table \"%s\" is %s",
							c->def->colname, t.display, format_type_be(typid));
		else
			what = psprintf("column \"%s\" of table \"%s\" is %s, a domain over json",
							c->def->colname, t.display, format_type_be(typid));
		sg_report_column(ctx, &t, c->def->colname, what,
						 "json keeps the text as written and parses it again on every access; "
						 "jsonb is stored parsed, is faster to query, can be indexed (GIN) and has an equality operator, "
						 "which json lacks (DISTINCT, GROUP BY, UNION and unique constraints on a json column fail).",
						 sg_advice_recipe(ctx, c,
										  scalar == JSONOID ? "Use jsonb" :
										  psprintf("Use jsonb (or a domain over jsonb with the constraints of %s)",
												   format_type_be(scalar)),
										  better));
	}
}

/* ----------------------------------------------------------------
 * prefer_bigint_id
 * ----------------------------------------------------------------
 */

/* bytes of an integer type, 0 for any other type */
static int
sg_int_width(Oid typid)
{
	switch (getBaseType(typid))
	{
		case INT2OID:
			return 2;
		case INT4OID:
			return 4;
		case INT8OID:
			return 8;
		default:
			return 0;
	}
}

/* bytes of a column definition's integer type (serials included), or 0 */
static int
sg_coldef_int_width(ColumnDef *def)
{
	Oid			typid;
	int32		typmod;

	if (sg_coldef_is_serial(def))
	{
		const char *n = strVal(llast(def->typeName->names));

		if (strcmp(n, "smallserial") == 0 || strcmp(n, "serial2") == 0)
			return 2;
		if (strcmp(n, "serial") == 0 || strcmp(n, "serial4") == 0)
			return 4;
		return 8;
	}
	if (!sg_coldef_type(def, &typid, &typmod))
		return 0;
	return sg_int_width(typid);
}

/* the definition of a column in a CREATE TABLE, or NULL */
static ColumnDef *
sg_create_column(CreateStmt *cs, const char *name)
{
	ListCell   *lc;

	foreach(lc, cs->tableElts)
	{
		if (IsA(lfirst(lc), ColumnDef) &&
			strcmp(((ColumnDef *) lfirst(lc))->colname, name) == 0)
			return (ColumnDef *) lfirst(lc);
	}
	return NULL;
}

/* the column names of a CREATE TABLE's primary key, in key order */
static List *
sg_create_primary_key(CreateStmt *cs)
{
	ListCell   *lc;

	foreach(lc, list_concat(list_copy(cs->constraints), cs->tableElts))
	{
		Node	   *n = lfirst(lc);

		if (IsA(n, Constraint) && ((Constraint *) n)->contype == CONSTR_PRIMARY)
			return ((Constraint *) n)->keys;
		if (IsA(n, ColumnDef) &&
			sg_coldef_constraint((ColumnDef *) n, CONSTR_PRIMARY) != NULL)
			return list_make1(makeString(((ColumnDef *) n)->colname));
	}
	return NIL;
}

/*
 * The CREATE TABLE of a relation the statement itself creates (a table
 * that references itself) or, in check(), any statement of the script
 * creates; NULL if none.
 */
static CreateStmt *
sg_script_create(SGContext *ctx, Node *stmt, RangeVar *rv)
{
	ListCell   *lc;

	if (IsA(stmt, CreateStmt) &&
		strcmp(((CreateStmt *) stmt)->relation->relname, rv->relname) == 0)
		return (CreateStmt *) stmt;
	foreach(lc, ctx->script)
	{
		Node	   *n = lfirst_node(RawStmt, lc)->stmt;

		if (IsA(n, CreateStmt) &&
			strcmp(((CreateStmt *) n)->relation->relname, rv->relname) == 0)
			return (CreateStmt *) n;
	}
	return NULL;
}

/*
 * Width of the key column at position pos that a foreign key references,
 * and its "schema.table.column" in *what; 0 when it is not an integer or
 * cannot be known.  An existing table is read from the catalog (its
 * primary key when the foreign key names no columns); one created by the
 * statement or the script from its definition.
 */
static int
sg_referenced_width(SGContext *ctx, Node *stmt, Constraint *fk, int pos,
					char **what)
{
	Oid			relid = RangeVarGetRelid(fk->pktable, NoLock, true);
	CreateStmt *cs;
	ColumnDef  *def;
	List	   *keys = fk->pk_attrs;

	if (OidIsValid(relid))
	{
		AttrNumber	attnum = InvalidAttrNumber;
		char	   *name;

		if (keys != NIL)
		{
			if (pos >= list_length(keys))
				return 0;
			attnum = get_attnum(relid, strVal(list_nth(keys, pos)));
		}
		else
		{
			Oid			conoid;
			HeapTuple	tup;

			(void) get_primary_key_attnos(relid, false, &conoid);
			tup = OidIsValid(conoid) ?
				SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid)) : NULL;
			if (HeapTupleIsValid(tup))
			{
				bool		isnull;
				Datum		d = SysCacheGetAttr(CONSTROID, tup,
												Anum_pg_constraint_conkey, &isnull);

				if (!isnull)
				{
					ArrayType  *arr = DatumGetArrayTypeP(d);

					if (pos < ARR_DIMS(arr)[0])
						attnum = ((int16 *) ARR_DATA_PTR(arr))[pos];
				}
				ReleaseSysCache(tup);
			}
		}
		if (attnum <= 0 || (name = get_attname(relid, attnum, true)) == NULL)
			return 0;
		*what = psprintf("%s.%s.%s",
						 get_namespace_name(get_rel_namespace(relid)),
						 get_rel_name(relid), name);
		return sg_int_width(get_atttype(relid, attnum));
	}

	cs = sg_script_create(ctx, stmt, fk->pktable);
	if (cs == NULL)
		return 0;
	if (keys == NIL)
		keys = sg_create_primary_key(cs);
	if (pos >= list_length(keys) ||
		(def = sg_create_column(cs, strVal(list_nth(keys, pos)))) == NULL)
		return 0;
	*what = psprintf("%s.%s", cs->relation->relname, def->colname);
	return sg_coldef_int_width(def);
}

/*
 * The foreign key of the statement that the column belongs to, and the
 * column's position in it: a REFERENCES clause of the column itself, or a
 * FOREIGN KEY (...) of the same CREATE TABLE or ALTER TABLE.
 */
static Constraint *
sg_column_foreign_key(Node *stmt, ColumnDef *def, int *pos)
{
	Constraint *con = sg_coldef_constraint(def, CONSTR_FOREIGN);
	List	   *elts = NIL;
	ListCell   *lc;

	*pos = 0;
	if (con != NULL)
		return con;
	if (IsA(stmt, CreateStmt))
		elts = list_concat(list_copy(((CreateStmt *) stmt)->constraints),
						   ((CreateStmt *) stmt)->tableElts);
	else if (IsA(stmt, AlterTableStmt))
	{
		foreach(lc, ((AlterTableStmt *) stmt)->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

			if (cmd->subtype == AT_AddConstraint && cmd->def != NULL)
				elts = lappend(elts, cmd->def);
		}
	}
	foreach(lc, elts)
	{
		Constraint *c = (Constraint *) lfirst(lc);
		ListCell   *lc2;

		if (!IsA(c, Constraint) || c->contype != CONSTR_FOREIGN)
			continue;
		*pos = 0;
		foreach(lc2, c->fk_attrs)
		{
			if (strcmp(strVal(lfirst(lc2)), def->colname) == 0)
				return c;
			(*pos)++;
		}
	}
	return NULL;
}

/* a column named "id" or "..._id" */
static bool
sg_id_like_name(const char *name)
{
	size_t		len = strlen(name);

	return pg_strcasecmp(name, "id") == 0 ||
		(len > 3 && pg_strcasecmp(name + len - 3, "_id") == 0);
}

void
sg_check_prefer_bigint_id(SGContext *ctx, Node *stmt)
{
	SGTableTarget t;
	List	   *cols = sg_defined_columns(ctx, stmt, &t);
	ListCell   *lc;

	foreach(lc, cols)
	{
		SGColumn   *c = lfirst(lc);
		int			width = sg_coldef_int_width(c->def);
		int			pos;
		Constraint *fk;
		int			refwidth = 0;
		char	   *refwhat = NULL;
		const char *tname;
		const char *limit;

		/* a single-column primary key is prefer_bigint_pk's */
		if (c->primary_key || width == 0 || width == 8)
			continue;
		fk = sg_column_foreign_key(stmt, c->def, &pos);
		if (fk != NULL)
			refwidth = sg_referenced_width(ctx, stmt, fk, pos, &refwhat);
		/* a reference to a key no wider runs out no earlier than the key */
		if (refwidth != 0 && refwidth <= width)
			continue;
		if (refwidth == 0 && !sg_id_like_name(c->def->colname))
			continue;

		tname = sg_coldef_is_serial(c->def) ?
			strVal(llast(c->def->typeName->names)) : sg_coldef_type_text(c->def);
		limit = width == 2 ? "32,767" : "2,147,483,647";
		if (refwidth != 0)
			sg_report_column(ctx, &t, c->def->colname,
							 psprintf("column \"%s\" of table \"%s\" is %s but references \"%s\", which is %s",
									  c->def->colname, t.display, tname, refwhat,
									  refwidth == 8 ? "bigint" : "integer"),
							 psprintf("The column cannot hold every key it references: rows that reference a key above %s cannot be stored, "
									  "long before the referenced key runs out. Widening the column later rewrites the table.",
									  limit),
							 sg_advice_recipe(ctx, c, "Use the referenced key's type",
											  refwidth == 8 ? "bigint" : "integer"));
		else
			sg_report_column(ctx, &t, c->def->colname,
							 psprintf("column \"%s\" of table \"%s\" is %s, and its name says it holds ids",
									  c->def->colname, t.display, tname),
							 psprintf("Ids usually come from a sequence or another table's key: a column of type %s runs out at %s values, "
									  "and widening it later rewrites the table and its indexes.",
									  tname, limit),
							 sg_advice_recipe(ctx, c, "Use bigint", "bigint"));
	}
}
