/*-------------------------------------------------------------------------
 *
 * constraints.c
 *		Constraints: primary keys, unique, foreign keys, CHECK, exclusion,
 *		NOT NULL on domains.
 *
 * Part of the schema snapshot behind drift detection; the design is in
 * drift_int.h and in docs/drift.md, "How the snapshot is built".
 *
 *-------------------------------------------------------------------------
 */
#include "drift_int.h"

/* ----------------------------------------------------------------
 * Constraints
 * ----------------------------------------------------------------
 */

/* the columns of an int2[] column of a pg_constraint row, deformed */
static void
sg_column_list(StringInfo buf, SnapRel *rel, Datum *values, bool *nulls, int attnum)
{
	ArrayType  *arr;
	int16	   *keys;
	int			n;

	if (nulls[attnum - 1])
		return;
	arr = DatumGetArrayTypeP(values[attnum - 1]);
	if (ARR_NDIM(arr) != 1 || ARR_HASNULL(arr) || ARR_ELEMTYPE(arr) != INT2OID)
		elog(ERROR, "schemaguard: column %d of pg_constraint is not a one-dimensional smallint array",
			 attnum);
	n = ARR_DIMS(arr)[0];
	keys = (int16 *) ARR_DATA_PTR(arr);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		appendStringInfoString(buf, quote_identifier(sg_attname(rel, keys[i])));
	}
}

static const char *
sg_fk_action(char action)
{
	switch (action)
	{
		case FKCONSTR_ACTION_RESTRICT:
			return "RESTRICT";
		case FKCONSTR_ACTION_CASCADE:
			return "CASCADE";
		case FKCONSTR_ACTION_SETNULL:
			return "SET NULL";
		case FKCONSTR_ACTION_SETDEFAULT:
			return "SET DEFAULT";
	}
	return NULL;
}

/*
 * A constraint definition built from the catalog row for the common kinds;
 * NULL for the others, which the server's deparser handles.
 */
static bool
sg_constraint_def(Snap *s, StringInfo buf, Form_pg_constraint con,
				  Datum *values, bool *nulls, SnapRel *rel)
{
	switch (con->contype)
	{
		case CONSTRAINT_PRIMARY:
		case CONSTRAINT_UNIQUE:
			{
				SnapRel    *irel = sg_rel(s, con->conindid);

				/* the index was read before: its row has the rest */
				if (rel == NULL || irel == NULL || irel->has_attoptions ||
					!irel->index_read || SG_CONSTRAINT_HAS_PERIOD(con))
					return false;
				/* as pg_get_constraintdef() spells it */
				appendStringInfoString(buf, con->contype == CONSTRAINT_PRIMARY ?
									   "PRIMARY KEY " : "UNIQUE ");
				if (irel->nulls_not_distinct)
					appendStringInfoString(buf, "NULLS NOT DISTINCT ");
				appendStringInfoChar(buf, '(');
				sg_column_list(buf, rel, values, nulls, Anum_pg_constraint_conkey);
				appendStringInfoChar(buf, ')');
				if (irel->include_columns)
				{
					appendStringInfoString(buf, " INCLUDE (");
					appendStringInfoString(buf, irel->include_columns);
					appendStringInfoChar(buf, ')');
				}
				if (irel->reloptions)
					appendStringInfo(buf, " WITH (%s)", irel->reloptions);
				break;
			}
		case CONSTRAINT_FOREIGN:
			{
				SnapRel    *frel = sg_rel(s, con->confrelid);
				const char *act;

				if (rel == NULL || SG_CONSTRAINT_HAS_PERIOD(con))
					return false;
				appendStringInfoString(buf, "FOREIGN KEY (");
				sg_column_list(buf, rel, values, nulls, Anum_pg_constraint_conkey);
				appendStringInfo(buf, ") REFERENCES %s(",
								 sg_rel_qualified(s, con->confrelid));
				if (frel && frel->attrs)
					sg_column_list(buf, frel, values, nulls, Anum_pg_constraint_confkey);
				else
					return false;
				appendStringInfoChar(buf, ')');
				if (con->confmatchtype == FKCONSTR_MATCH_FULL)
					appendStringInfoString(buf, " MATCH FULL");
				else if (con->confmatchtype == FKCONSTR_MATCH_PARTIAL)
					appendStringInfoString(buf, " MATCH PARTIAL");
				act = sg_fk_action(con->confupdtype);
				if (act)
					appendStringInfo(buf, " ON UPDATE %s", act);
				act = sg_fk_action(con->confdeltype);
				if (act)
				{
					appendStringInfo(buf, " ON DELETE %s", act);
					if (!nulls[Anum_pg_constraint_confdelsetcols - 1])
					{
						appendStringInfoString(buf, " (");
						sg_column_list(buf, rel, values, nulls, Anum_pg_constraint_confdelsetcols);
						appendStringInfoChar(buf, ')');
					}
				}
				break;
			}
		case CONSTRAINT_CHECK:
			{
				char	   *bin;

				if (nulls[Anum_pg_constraint_conbin - 1])
					return false;
				bin = TextDatumGetCString(values[Anum_pg_constraint_conbin - 1]);
				appendStringInfo(buf, "CHECK (%s)%s", sg_expr(s, bin, rel)->text,
								 con->connoinherit ? " NO INHERIT" : "");
				break;
			}
		default:
			return false;
	}
	if (con->condeferrable)
		appendStringInfoString(buf, " DEFERRABLE");
	if (con->condeferred)
		appendStringInfoString(buf, " INITIALLY DEFERRED");
	if (!con->convalidated)
		appendStringInfoString(buf, " NOT VALID");
	return true;
}

/* a pg_constraint row, kept for sg_build_constraint() */
void
sg_keep_constraint_row(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
	SnapRel    *rel = NULL;
	const char *type;
	const char *owner_ident;
	const char *owner_type;
	const char *schema;
	SGKeptRow  *row;

	if (con->contype == CONSTRAINT_TRIGGER || SG_CONSTRAINT_IS_NOTNULL(con))
		return;
	if (OidIsValid(con->conrelid))
	{
		rel = sg_included_rel(s, con->conrelid);
		if (rel == NULL)
			return;
		type = "table constraint";
		owner_ident = rel->qualified;
		owner_type = sg_relkind_type(rel->relkind);
		schema = rel->nspname;
	}
	else if (OidIsValid(con->contypid))
	{
		SnapNsp    *nsp = sg_included_nsp(s, con->connamespace);

		if (nsp == NULL || sg_is_member(s, TypeRelationId, con->contypid))
			return;
		type = "domain constraint";
		owner_ident = sg_keep(s, format_type_be_qualified(con->contypid));
		owner_type = "type";
		schema = nsp->name;
	}
	else
		return;
	row = sg_keep_row(s, &s->kept.kept_constraints, tup);
	row->type = type;
	row->schema = schema;
	row->identity = sg_keep_concat(s, quote_identifier(NameStr(con->conname)),
								   " on ", owner_ident);
	row->parent_type = owner_type;
	row->parent_identity = owner_ident;
	row->rel = rel;
}

void
sg_build_constraint(Snap *s, SGKeptRow *row, TupleDesc desc)
{
	HeapTuple	tup = row->tup;
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
	StringInfo	buf;
	Datum		values[Natts_pg_constraint];
	bool		nulls[Natts_pg_constraint];

	/* one pass over the row: heap_getattr() would walk it for each array */
	heap_deform_tuple(tup, desc, values, nulls);
	buf = sg_def_begin(s);
	if (!sg_constraint_def(s, buf, con, values, nulls, row->rel))
	{
		char	   *def;

		def = TextDatumGetCString(DirectFunctionCall1(pg_get_constraintdef,
													  ObjectIdGetDatum(con->oid)));
		buf = sg_def_begin(s);
		appendStringInfoString(buf, def);
	}
	sg_facet_comment(s, buf, ConstraintRelationId, con->oid, 0);
	sg_add_kept_object(s, row, ConstraintRelationId, con->oid, buf);
}
