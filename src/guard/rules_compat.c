/*-------------------------------------------------------------------------
 *
 * rules_compat.c
 *		Rule checks for in-place changes that break running application
 *		code: renames of columns, relations, schemas and enum values.  The
 *		lock they take is brief; the harm is that every client still using
 *		the old name fails the moment the change commits.  They are not
 *		size-aware: an empty table is renamed under its readers just the
 *		same.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "parser/parse_type.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "schemaguard.h"

static const char *
sg_relation_word(char relkind)
{
	switch (relkind)
	{
		case RELKIND_VIEW:
			return "view";
		case RELKIND_MATVIEW:
			return "materialized view";
		case RELKIND_FOREIGN_TABLE:
			return "foreign table";
		default:
			return "table";
	}
}

static bool
sg_is_renamable_relation(char relkind)
{
	return relkind == RELKIND_RELATION || relkind == RELKIND_PARTITIONED_TABLE ||
		relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW ||
		relkind == RELKIND_FOREIGN_TABLE;
}

#define SG_BREAKS_CLIENTS \
	"The lock is brief, but code that still uses the old name fails as soon as this commits."

/* ----------------------------------------------------------------
 * rename_column
 * ----------------------------------------------------------------
 */
/*
 * Renaming column oldname of a relation to newname; via names the statement
 * when it does not name the relation (ALTER TYPE ... RENAME ATTRIBUTE ...
 * CASCADE renames the column of every typed table).
 */
static void
sg_rename_column_of(SGContext *ctx, SGRelInfo *ri, const char *oldname,
					const char *newname, const char *via)
{
	if (ri == NULL || sg_rel_exempt(ctx, ri) ||
		!sg_is_renamable_relation(ri->relkind))
		return;
	if (get_attnum(ri->relid, oldname) == InvalidAttrNumber)
		return;					/* the statement will report it */

	sg_report(ctx, ri, oldname, AccessExclusiveLock,
			  psprintf("%srenaming column \"%s\" of %s \"%s\" to \"%s\" breaks running code that uses the old name",
					   via ? via : "", oldname, sg_relation_word(ri->relkind), ri->display,
					   newname),
			  SG_BREAKS_CLIENTS,
			  psprintf("Deploy code that no longer depends on the old name first (code that reads the column under either name, "
					   "or a view that offers both: SELECT *, %s AS %s), then rename it in one short transaction:\n"
					   "-- once no running code needs the name %s:\n%s",
					   quote_identifier(oldname), quote_identifier(newname),
					   quote_identifier(oldname), sg_recipe_allowed(ctx, NULL, true)));
}

/* a typed table of the composite type *arg */
static bool
sg_is_typed_table_of(Form_pg_class form, void *arg)
{
	return form->reloftype == *(Oid *) arg;
}

void
sg_check_rename_column(SGContext *ctx, Node *stmt)
{
	RenameStmt *rs = castNode(RenameStmt, stmt);

	if (rs->subname == NULL || rs->newname == NULL)
		return;
	if (rs->renameType == OBJECT_COLUMN)
		sg_rename_column_of(ctx, sg_relinfo_rv(ctx, rs->relation),
							rs->subname, rs->newname, NULL);
	else if (rs->renameType == OBJECT_ATTRIBUTE && rs->behavior == DROP_CASCADE)
	{
		/* the tables of the composite type (tablecmds.c, find_typed_table_dependencies) */
		Oid			typrelid = RangeVarGetRelid(rs->relation, NoLock, true);
		Oid			typid = OidIsValid(typrelid) ? get_rel_type_id(typrelid) : InvalidOid;
		ListCell   *lc;

		if (!OidIsValid(typid))
			return;
		foreach(lc, sg_relids_where(sg_is_typed_table_of, &typid))
			sg_rename_column_of(ctx, sg_relinfo_oid(ctx, lfirst_oid(lc)),
								rs->subname, rs->newname,
								psprintf("ALTER TYPE %s RENAME ATTRIBUTE ... CASCADE: ",
										 quote_identifier(get_rel_name(typrelid))));
	}
}

/* ----------------------------------------------------------------
 * rename_relation
 * ----------------------------------------------------------------
 */
void
sg_check_rename_relation(SGContext *ctx, Node *stmt)
{
	RenameStmt *rs = castNode(RenameStmt, stmt);
	SGRelInfo  *ri;
	const char *qnew;

	/*
	 * The server renames any relation with any of these forms (ALTER INDEX
	 * ... RENAME renames a table too): the relation's kind decides.
	 */
	if (rs->renameType != OBJECT_TABLE && rs->renameType != OBJECT_VIEW &&
		rs->renameType != OBJECT_MATVIEW &&
		rs->renameType != OBJECT_FOREIGN_TABLE &&
		rs->renameType != OBJECT_INDEX && rs->renameType != OBJECT_SEQUENCE)
		return;
	if (rs->newname == NULL)
		return;
	ri = sg_relinfo_rv(ctx, rs->relation);
	if (ri == NULL || sg_rel_exempt(ctx, ri) ||
		!sg_is_renamable_relation(ri->relkind))
		return;

	qnew = quote_qualified_identifier(ri->nspname, rs->newname);
	sg_report(ctx, ri, NULL, AccessExclusiveLock,
			  psprintf("renaming %s \"%s\" to \"%s\" breaks running code that uses the old name",
					   sg_relation_word(ri->relkind), ri->display, rs->newname),
			  SG_BREAKS_CLIENTS,
			  psprintf("Expand and contract: make the new name available first, move clients, and rename only when nothing uses the old name:\n"
					   "CREATE VIEW %s AS SELECT * FROM %s;\n"
					   "-- deploy code that uses %s%s; once nothing uses %s:\n%s",
					   qnew, ri->qualified, qnew,
					   ri->relkind == RELKIND_RELATION || ri->relkind == RELKIND_PARTITIONED_TABLE ?
					   " (a simple view is updatable)" : "",
					   ri->qualified,
					   sg_recipe_allowed_with(ctx, "drop_view",
											  psprintf("DROP VIEW %s; %s", qnew,
													   sg_statement_text(ctx) ? sg_statement_text(ctx) : "<the statement>"),
											  true)));
}

/* ----------------------------------------------------------------
 * rename_schema
 * ----------------------------------------------------------------
 */
static int
sg_compare_names(const ListCell *a, const ListCell *b)
{
	return strcmp(lfirst(a), lfirst(b));
}

/* a relation of the schema *arg that clients may name (partitions go with their parent) */
static bool
sg_is_schema_relation(Form_pg_class form, void *arg)
{
	return form->relnamespace == *(Oid *) arg &&
		sg_is_renamable_relation(form->relkind) && !form->relispartition;
}

void
sg_check_rename_schema(SGContext *ctx, Node *stmt)
{
	RenameStmt *rs = castNode(RenameStmt, stmt);
	Oid			nspid;
	const char *qold;
	const char *qnew;
	StringInfoData views;
	StringInfoData drops;
	List	   *names = NIL;
	ListCell   *lc;

	if (rs->renameType != OBJECT_SCHEMA || rs->subname == NULL ||
		rs->newname == NULL)
		return;
	nspid = get_namespace_oid(rs->subname, true);
	if (!OidIsValid(nspid) || isAnyTempNamespace(nspid))
		return;
	if (sg_object_created_in_xact(NamespaceRelationId, nspid))
		return;

	qold = quote_identifier(rs->subname);
	qnew = quote_identifier(rs->newname);
	initStringInfo(&views);
	initStringInfo(&drops);
	foreach(lc, sg_relids_where(sg_is_schema_relation, &nspid))
		names = lappend(names, get_rel_name(lfirst_oid(lc)));
	list_sort(names, sg_compare_names);
	foreach(lc, names)
	{
		const char *qrel = quote_identifier(lfirst(lc));

		appendStringInfo(&views, "CREATE VIEW %s.%s AS SELECT * FROM %s.%s;\n",
						 qnew, qrel, qold, qrel);
		appendStringInfo(&drops, "DROP VIEW %s.%s; ", qnew, qrel);
	}
	appendStringInfo(&drops, "DROP SCHEMA %s; %s", qnew,
					 sg_statement_text(ctx) ? sg_statement_text(ctx) : "<the statement>");
	sg_report_object(ctx, rs->subname,
					 psprintf("renaming schema \"%s\" to \"%s\" breaks running code that uses the old name",
							  rs->subname, rs->newname),
					 psprintf("Queries, functions and search_path settings that name schema \"%s\" fail as soon as this commits.",
							  rs->subname),
					 psprintf("Expand and contract: create the new schema with a view over each of its relations, move clients, and rename only when nothing uses the old name:\n"
							  "CREATE SCHEMA %s;\n%s"
							  "-- deploy code that uses %s; once nothing uses %s:\n%s",
							  qnew, views.data, qnew, qold,
							  sg_recipe_allowed_with(ctx, "drop_view", drops.data, true)));
	sg_last_violation(ctx)->schema_name = pstrdup(rs->subname);
}

/* ----------------------------------------------------------------
 * rename_enum_value
 * ----------------------------------------------------------------
 */
void
sg_check_rename_enum_value(SGContext *ctx, Node *stmt)
{
	AlterEnumStmt *aes = castNode(AlterEnumStmt, stmt);
	Oid			typid;
	Oid			typnamespace;
	char		typtype;
	char	   *typbasename;
	HeapTuple	tup;
	char	   *typname;

	if (aes->oldVal == NULL || aes->newVal == NULL)
		return;
	typid = LookupTypeNameOid(NULL, makeTypeNameFromNameList(aes->typeName), true);
	if (!OidIsValid(typid))
		return;
	if (sg_object_created_in_xact(TypeRelationId, typid))
		return;
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (!HeapTupleIsValid(tup))
		return;
	typnamespace = ((Form_pg_type) GETSTRUCT(tup))->typnamespace;
	typtype = ((Form_pg_type) GETSTRUCT(tup))->typtype;
	typbasename = pstrdup(NameStr(((Form_pg_type) GETSTRUCT(tup))->typname));
	ReleaseSysCache(tup);
	if (isAnyTempNamespace(typnamespace))
		return;
	/* not an enum, or no such label: the server reports it */
	if (typtype != TYPTYPE_ENUM)
		return;
	tup = SearchSysCache2(ENUMTYPOIDNAME, ObjectIdGetDatum(typid),
						  CStringGetDatum(aes->oldVal));
	if (!HeapTupleIsValid(tup))
		return;
	ReleaseSysCache(tup);

	typname = format_type_be_qualified(typid);
	sg_report_object(ctx, typname,
					 psprintf("renaming value %s of enum type \"%s\" to %s breaks running code that uses the old label",
							  quote_literal_cstr(aes->oldVal), typname,
							  quote_literal_cstr(aes->newVal)),
					 psprintf("Code that writes or compares %s fails or silently matches nothing as soon as this commits.",
							  quote_literal_cstr(aes->oldVal)),
					 psprintf("Deploy code that no longer writes or compares %s (and reads either label) first, then rename it in one short transaction:\n"
							  "-- once no running code writes or compares %s:\n%s",
							  quote_literal_cstr(aes->oldVal),
							  quote_literal_cstr(aes->oldVal),
							  sg_recipe_allowed(ctx, NULL, true)));
	sg_last_violation(ctx)->schema_name = get_namespace_name(typnamespace);
	sg_last_violation(ctx)->datatype_name = typbasename;
}
