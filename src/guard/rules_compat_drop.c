/*-------------------------------------------------------------------------
 *
 * rules_compat_drop.c
 *		Rule checks for drops that break running application code even
 *		when no data is lost: drop_view, drop_function, drop_type,
 *		drop_trigger, drop_default, drop_not_null, and drop_empty_table and
 *		drop_empty_column (the tables and columns that the data-loss rules
 *		leave alone because they hold no row).
 *
 * Design.  Dropping something that running code no longer uses is the
 * routine last step of every expand/contract migration, so these rules
 * are at level warn: the step never needs an exception.  A violation is
 * raised to level error (unless schemaguard.mode is warn) only on
 * positive evidence of use that only the server has:
 *
 *	- CASCADE would drop objects that use it: views, functions with
 *	  SQL-standard bodies, triggers, defaults, constraints, columns of its
 *	  type (pg_depend, dependencies of type normal, read before the
 *	  statement runs).  Without CASCADE the server refuses such a drop on
 *	  its own, so the rules leave it to the server's error;
 *	- on PostgreSQL 16 and later, an empty table that was scanned (a
 *	  sequential scan of it or of a partition, or a scan of one of their
 *	  indexes: last_seq_scan / last_idx_scan of pg_stat_all_tables) within
 *	  schemaguard.recent_scan_window.  15 records no such time;
 *	- drop_default of a NOT NULL column: inserts that omit it fail.
 *
 * What the catalog cannot show (calls from PL/pgSQL bodies and from
 * application code, reads through a view, which the statistics do not
 * count) stays a warning whose DETAIL says so.
 *
 * Objects are judged as they exist before this transaction: those created
 * in it are exempt (for relations the relcache knows; for functions, types,
 * triggers and defaults, the catalog row was inserted by this transaction
 * and not updated since), as are temporary objects and an extension's own.
 * The statement's own objects are judged here before it runs; what it
 * drops without naming it (CASCADE, DROP OWNED, DROP SCHEMA ... CASCADE,
 * DROP SEQUENCE ... CASCADE dropping a default) is judged by the drop net
 * (dropnet.c) with the functions at the end of this file.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "commands/trigger.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "parser/parse_type.h"
#include "pgstat.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "schemaguard.h"

/* ----------------------------------------------------------------
 * Evidence of use
 * ----------------------------------------------------------------
 */

/*
 * The catalog row of an object, or NULL.  pg_attrdef is looked up by its
 * own index: before 17 get_catalog_object_by_oid() does not know it.
 */
static HeapTuple
sg_catalog_row(Relation catalog, Oid objid)
{
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	if (RelationGetRelid(catalog) != AttrDefaultRelationId)
		return get_catalog_object_by_oid(catalog,
										 get_object_attnum_oid(RelationGetRelid(catalog)),
										 objid);
	ScanKeyInit(&key, Anum_pg_attrdef_oid, BTEqualStrategyNumber, F_OIDEQ,
				ObjectIdGetDatum(objid));
	scan = systable_beginscan(catalog, AttrDefaultOidIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
		tup = heap_copytuple(tup);
	systable_endscan(scan);
	return tup;
}

/*
 * Was this catalog row inserted by the current transaction and not updated
 * since?  An object created earlier and replaced in this transaction
 * (CREATE OR REPLACE, ALTER) has an updated row, and is judged.
 */
static bool
sg_catalog_row_created_in_xact(Oid classid, Oid objid)
{
	Relation	catalog = table_open(classid, AccessShareLock);
	HeapTuple	tup = sg_catalog_row(catalog, objid);
	bool		created = false;

	if (HeapTupleIsValid(tup))
		created = TransactionIdIsCurrentTransactionId(HeapTupleHeaderGetXmin(tup->t_data)) &&
			!(tup->t_data->t_infomask & HEAP_UPDATED);
	table_close(catalog, AccessShareLock);
	return created;
}

/* the relation an object belongs to: a rule's view, a trigger's table... */
static Oid
sg_owning_relation(const ObjectAddress *addr)
{
	AttrNumber	col;
	Relation	catalog;
	HeapTuple	tup;
	Oid			relid = InvalidOid;

	switch (addr->classId)
	{
		case RelationRelationId:
			return addr->objectId;
		case RewriteRelationId:
			col = Anum_pg_rewrite_ev_class;
			break;
		case TriggerRelationId:
			col = Anum_pg_trigger_tgrelid;
			break;
		case ConstraintRelationId:
			col = Anum_pg_constraint_conrelid;
			break;
		case AttrDefaultRelationId:
			col = Anum_pg_attrdef_adrelid;
			break;
		default:
			return InvalidOid;
	}
	catalog = table_open(addr->classId, AccessShareLock);
	tup = sg_catalog_row(catalog, addr->objectId);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, col, RelationGetDescr(catalog), &isnull);

		if (!isnull)
			relid = DatumGetObjectId(d);
	}
	table_close(catalog, AccessShareLock);
	return relid;
}

/*
 * The objects that use this one, as "view public.v2", "function
 * public.f(integer)", "table column public.people.mood": every normal
 * dependency on it (on a relation, also on its columns) of an object that
 * is not part of it.  A view is named for its rewrite rule.  A table with
 * rows, or a column of one, is left out: CASCADE loses its data, and
 * drop_table or drop_column judges it as it goes (as an error).  subid 0 means
 * the whole object.  NIL when nothing in the catalog uses it.
 */
static List *
sg_dependents(SGContext *ctx, Oid classid, Oid objid, int32 subid)
{
	Relation	depRel;
	ScanKeyData key[3];
	int			nkeys = 2;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *names = NIL;

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	if (subid != 0)
	{
		ScanKeyInit(&key[2], Anum_pg_depend_refobjsubid, BTEqualStrategyNumber,
					F_INT4EQ, Int32GetDatum(subid));
		nkeys = 3;
	}
	depRel = table_open(DependRelationId, AccessShareLock);
	scan = systable_beginscan(depRel, DependReferenceIndexId, true, NULL,
							  nkeys, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);
		ObjectAddress addr;
		Oid			owner;
		char	   *type;
		char	   *identity;
		char	   *name;
		ListCell   *lc;
		bool		seen = false;

		if (dep->deptype != DEPENDENCY_NORMAL)
			continue;
		ObjectAddressSubSet(addr, dep->classid, dep->objid, dep->objsubid);
		owner = sg_owning_relation(&addr);
		/* a relation's own parts (on 15, a view's rule refers to the view) */
		if (classid == RelationRelationId && owner == objid)
			continue;
		if (addr.classId == RewriteRelationId && OidIsValid(owner))
			ObjectAddressSet(addr, RelationRelationId, owner);
		/* a table with rows, or a column of one: the data-loss rules judge it */
		if (addr.classId == RelationRelationId)
		{
			SGRelInfo  *ri = sg_relinfo_oid(ctx, addr.objectId);

			if (ri != NULL && (ri->relkind == RELKIND_RELATION ||
							   ri->relkind == RELKIND_PARTITIONED_TABLE) &&
				!sg_rel_exempt(ctx, ri) && sg_rel_has_rows(ctx, ri))
				continue;
		}
		type = getObjectTypeDescription(&addr, true);
		identity = getObjectIdentity(&addr, true);
		if (type == NULL || identity == NULL)
			continue;
		name = psprintf("%s %s", type, identity);
		foreach(lc, names)
			seen |= strcmp(lfirst(lc), name) == 0;
		if (!seen)
			names = lappend(names, name);
	}
	systable_endscan(scan);
	table_close(depRel, AccessShareLock);
	return names;
}

static char *
sg_cstring_list(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
		appendStringInfo(&buf, "%s%s", buf.len > 0 ? ", " : "", (char *) lfirst(lc));
	return buf.data;
}

/*
 * What the statistics say about reads of an empty table (16 and later):
 * a DETAIL sentence, and *recent when the table, one of its partitions or
 * one of their indexes was scanned within schemaguard.recent_scan_window.
 * NULL when the window is 0.
 */
static char *
sg_scan_evidence(Oid relid, bool *recent)
{
#if SG_HAVE_LAST_SCAN
	List	   *leaves;
	ListCell   *lc;
	TimestampTz last_seq = 0;
	TimestampTz last_idx = 0;
	TimestampTz last;
	TimestampTz reset = 0;
	PgStat_StatDBEntry *db;
	char	   *since;
	char	   *window;
#endif

	*recent = false;
	/* scans are no evidence: they are not described either */
	if (sg_recent_scan_window_s == 0)
		return NULL;
#if !SG_HAVE_LAST_SCAN
	return pstrdup("PostgreSQL 15 does not record when a table was last scanned (last_seq_scan and last_idx_scan are new in 16), "
				   "so schemaguard cannot tell whether running code still reads it.");
#else
	if (!pgstat_track_counts)
		return pstrdup("track_counts is off, so the server records no scans that could tell whether running code still reads it.");

	leaves = get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE ?
		find_all_inheritors(relid, NoLock, NULL) : list_make1_oid(relid);
	foreach(lc, leaves)
	{
		Relation	rel = try_relation_open(lfirst_oid(lc), AccessShareLock);
		ListCell   *ilc;

		if (rel == NULL)
			continue;
		last_seq = Max(last_seq, sg_rel_last_scan(RelationGetRelid(rel)));
		foreach(ilc, RelationGetIndexList(rel))
			last_idx = Max(last_idx, sg_rel_last_scan(lfirst_oid(ilc)));
		relation_close(rel, AccessShareLock);
	}
	last = Max(last_seq, last_idx);
	window = GetConfigOptionByName("schemaguard.recent_scan_window", NULL, false);
	*recent = sg_recent_scan_window_s > 0 && last != 0 &&
		GetCurrentTimestamp() - last <= (int64) sg_recent_scan_window_s * USECS_PER_SEC;

	db = pgstat_fetch_stat_dbentry(MyDatabaseId);
	if (db != NULL)
		reset = db->stat_reset_timestamp;
	since = reset != 0 ?
		psprintf("since the statistics were reset at %s", timestamptz_to_str(reset)) :
		pstrdup("since the statistics began");
	if (last == 0)
		return psprintf("The server's statistics record no scan of it %s, so it looks unused.", since);
	return psprintf("The server's statistics record %s and %s: %s.",
					last_seq != 0 ?
					psprintf("its last sequential scan at %s", timestamptz_to_str(last_seq)) :
					"no sequential scan",
					last_idx != 0 ?
					psprintf("its last index scan at %s", timestamptz_to_str(last_idx)) :
					"no index scan",
					*recent ?
					psprintf("that is within schemaguard.recent_scan_window (%s), so running code still reads it", window) :
					psprintf("not within schemaguard.recent_scan_window (%s)", window));
#endif
}

/*
 * The dependents CASCADE would drop with an object, for the DETAIL, or
 * NULL.  *refused: the statement is RESTRICT and something uses the
 * object, so the server refuses it with its own error listing them.
 */
static List *
sg_cascade_victims(SGContext *ctx, DropBehavior behavior, Oid classid,
				   Oid objid, int32 subid, bool *refused)
{
	List	   *deps = sg_dependents(ctx, classid, objid, subid);

	*refused = deps != NIL && behavior != DROP_CASCADE;
	return deps;
}

static char *
sg_victims_detail(List *deps)
{
	return psprintf("CASCADE also drops what uses it: %s.", sg_cstring_list(deps));
}

static char *
sg_victims_recipe_line(List *deps)
{
	return psprintf("-- first move what uses it off it, or drop each deliberately: %s\n",
					sg_cstring_list(deps));
}

static char *
sg_join_sentences(const char *a, const char *b)
{
	if (a == NULL)
		return b ? pstrdup(b) : NULL;
	if (b == NULL)
		return pstrdup(a);
	return psprintf("%s %s", a, b);
}

/* an object in a temporary schema, or one an extension owns */
static bool
sg_object_exempt(Oid classid, Oid objid, Oid nspid)
{
	return isAnyTempNamespace(nspid) ||
		OidIsValid(getExtensionOfObject(classid, objid)) ||
		sg_catalog_row_created_in_xact(classid, objid);
}

/* ----------------------------------------------------------------
 * drop_view
 * ----------------------------------------------------------------
 */
#define SG_VIEW_UNSEEN \
	"The server keeps no statistics of reads through a view, so schemaguard cannot tell whether running code still uses it."

static void
sg_report_view(SGContext *ctx, SGRelInfo *ri, const char *via, List *deps)
{
	sg_report(ctx, ri, NULL, AccessExclusiveLock,
			  psprintf("%sdropping %s \"%s\" breaks running code that reads it",
					   via ? via : "", sg_relkind_word(ri->relkind), ri->display),
			  sg_join_sentences("No data is lost, but queries that use it fail as soon as this commits. " SG_VIEW_UNSEEN,
								deps ? sg_victims_detail(deps) : NULL),
			  psprintf("Deploy code that no longer uses %s first, then drop it:\n%s%s",
					   ri->qualified, deps ? sg_victims_recipe_line(deps) : "",
					   sg_recipe_allowed(ctx, NULL, true)));
	if (deps != NIL)
		sg_escalate_last(ctx);
}

void
sg_check_drop_view(SGContext *ctx, Node *stmt)
{
	DropStmt   *ds = castNode(DropStmt, stmt);
	ListCell   *lc;

	if (ds->removeType != OBJECT_VIEW && ds->removeType != OBJECT_MATVIEW)
		return;
	foreach(lc, ds->objects)
	{
		RangeVar   *rv = makeRangeVarFromNameList(castNode(List, lfirst(lc)));
		SGRelInfo  *ri = sg_relinfo_rv(ctx, rv);
		List	   *deps;
		bool		refused;

		if (ri == NULL)
			continue;			/* IF EXISTS of a missing view */
		sg_drop_judged(ctx, ri->relid, NULL);
		if (sg_rel_exempt(ctx, ri) ||
			(ri->relkind != RELKIND_VIEW && ri->relkind != RELKIND_MATVIEW))
			continue;
		deps = sg_cascade_victims(ctx, ds->behavior, RelationRelationId, ri->relid, 0, &refused);
		if (refused)
			continue;
		sg_report_view(ctx, ri, NULL, deps);
	}
}

/* ----------------------------------------------------------------
 * drop_function
 * ----------------------------------------------------------------
 */
/*
 * The function a DROP FUNCTION / PROCEDURE / ROUTINE names, or InvalidOid
 * (missing, ambiguous, of another kind: the server reports those).  A name
 * without arguments is looked up only when it is unique, since the lookup
 * raises an error otherwise.
 */
static Oid
sg_dropped_function(ObjectType type, ObjectWithArgs *owa)
{
	Oid			funcid;
	char		prokind;

	if (owa->args_unspecified)
	{
		FuncCandidateList c = SG_FUNCNAME_CANDIDATES(owa->objname);

		if (c == NULL || c->next != NULL)
			return InvalidOid;
	}
	/*
	 * The server looks the name up the same way right after (an ambiguous
	 * name is an error even with missing_ok), so the lookup raises nothing
	 * the statement would not raise itself, with the same words.
	 */
	funcid = LookupFuncWithArgs(type, owa, true);
	if (!OidIsValid(funcid))
		return InvalidOid;
	prokind = get_func_prokind(funcid);
	if ((type == OBJECT_FUNCTION && prokind != PROKIND_FUNCTION &&
		 prokind != PROKIND_WINDOW) ||
		(type == OBJECT_PROCEDURE && prokind != PROKIND_PROCEDURE) ||
		prokind == PROKIND_AGGREGATE)
		return InvalidOid;
	return funcid;
}

static void
sg_report_function(SGContext *ctx, Oid funcid, const char *via, List *deps)
{
	char	   *name = format_procedure_qualified(funcid);
	const char *kind = get_func_prokind(funcid) == PROKIND_PROCEDURE ? "procedure" : "function";

	sg_report_object(ctx, name,
					 psprintf("%sdropping %s \"%s\" breaks running code that calls it",
							  via ? via : "", kind, name),
					 sg_join_sentences("Code that calls it fails as soon as this commits. "
									   "Calls from application code and from PL/pgSQL bodies are not recorded in the catalog, so schemaguard cannot tell whether running code still calls it.",
									   deps ? sg_victims_detail(deps) : NULL),
					 psprintf("Deploy code that no longer calls %s first, then drop it (to change what it does, CREATE OR REPLACE %s keeps it in place):\n%s%s",
							  name, get_func_prokind(funcid) == PROKIND_PROCEDURE ? "PROCEDURE" : "FUNCTION", deps ? sg_victims_recipe_line(deps) : "",
							  sg_recipe_allowed(ctx, NULL, true)));
	sg_last_violation(ctx)->schema_name = get_namespace_name(get_func_namespace(funcid));
	if (deps != NIL)
		sg_escalate_last(ctx);
}

void
sg_check_drop_function(SGContext *ctx, Node *stmt)
{
	DropStmt   *ds = castNode(DropStmt, stmt);
	ListCell   *lc;

	if (ds->removeType != OBJECT_FUNCTION && ds->removeType != OBJECT_PROCEDURE &&
		ds->removeType != OBJECT_ROUTINE)
		return;
	foreach(lc, ds->objects)
	{
		Oid			funcid = sg_dropped_function(ds->removeType,
												 castNode(ObjectWithArgs, lfirst(lc)));
		List	   *deps;
		bool		refused;

		if (!OidIsValid(funcid))
			continue;
		sg_drop_judged_object(ctx, ProcedureRelationId, funcid);
		if (sg_object_exempt(ProcedureRelationId, funcid, get_func_namespace(funcid)))
			continue;
		deps = sg_cascade_victims(ctx, ds->behavior, ProcedureRelationId, funcid, 0, &refused);
		if (refused)
			continue;
		sg_report_function(ctx, funcid, NULL, deps);
	}
}

/* ----------------------------------------------------------------
 * drop_type
 * ----------------------------------------------------------------
 */
/*
 * A type that is dropped on its own: not an array, multirange or a
 * relation's row type (they go with their element, range or relation).
 */
static bool
sg_type_judged(Oid typid, Oid *nspid, char *typtype)
{
	HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	Form_pg_type form;
	bool		judged;

	if (!HeapTupleIsValid(tup))
		return false;
	form = (Form_pg_type) GETSTRUCT(tup);
	*nspid = form->typnamespace;
	*typtype = form->typtype;
	judged = !IsTrueArrayType(form) && form->typtype != TYPTYPE_MULTIRANGE &&
		!(OidIsValid(form->typrelid) &&
		  get_rel_relkind(form->typrelid) != RELKIND_COMPOSITE_TYPE);
	ReleaseSysCache(tup);
	return judged;
}

static void
sg_report_type(SGContext *ctx, Oid typid, const char *via, List *deps)
{
	char	   *name = format_type_be_qualified(typid);
	const char *kind = get_typtype(typid) == TYPTYPE_DOMAIN ? "domain" : "type";
	HeapTuple	tup;

	sg_report_object(ctx, name,
					 psprintf("%sdropping %s \"%s\" breaks running code that uses it",
							  via ? via : "", kind, name),
					 sg_join_sentences("Code that casts to it or declares it fails as soon as this commits; "
									   "uses in application code and PL/pgSQL bodies are not recorded in the catalog.",
									   deps ? sg_victims_detail(deps) : NULL),
					 psprintf("Deploy code that no longer uses %s first, then drop it:\n%s%s",
							  name, deps ? sg_victims_recipe_line(deps) : "",
							  sg_recipe_allowed(ctx, NULL, true)));
	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
	if (HeapTupleIsValid(tup))
	{
		Form_pg_type form = (Form_pg_type) GETSTRUCT(tup);

		sg_last_violation(ctx)->schema_name = get_namespace_name(form->typnamespace);
		sg_last_violation(ctx)->datatype_name = pstrdup(NameStr(form->typname));
		ReleaseSysCache(tup);
	}
	if (deps != NIL)
		sg_escalate_last(ctx);
}

void
sg_check_drop_type(SGContext *ctx, Node *stmt)
{
	DropStmt   *ds = castNode(DropStmt, stmt);
	ListCell   *lc;

	if (ds->removeType != OBJECT_TYPE && ds->removeType != OBJECT_DOMAIN)
		return;
	foreach(lc, ds->objects)
	{
		Oid			typid = LookupTypeNameOid(NULL, castNode(TypeName, lfirst(lc)), true);
		Oid			nspid;
		char		typtype;
		List	   *deps;
		bool		refused;

		if (!OidIsValid(typid) || !sg_type_judged(typid, &nspid, &typtype))
			continue;
		if ((ds->removeType == OBJECT_DOMAIN) != (typtype == TYPTYPE_DOMAIN))
			continue;			/* the server refuses it */
		sg_drop_judged_object(ctx, TypeRelationId, typid);
		if (sg_object_exempt(TypeRelationId, typid, nspid) ||
			sg_object_created_in_xact(TypeRelationId, typid))
			continue;
		deps = sg_cascade_victims(ctx, ds->behavior, TypeRelationId, typid, 0, &refused);
		if (refused)
			continue;
		sg_report_type(ctx, typid, NULL, deps);
	}
}

/* ----------------------------------------------------------------
 * drop_trigger
 * ----------------------------------------------------------------
 */
/*
 * The table and function of a trigger made by CREATE TRIGGER; false for a
 * trigger the server made (foreign keys, deferred unique checks).
 */
static bool
sg_trigger_facts(Oid trigid, Oid *relid, Oid *funcid, char **name)
{
	Relation	catalog = table_open(TriggerRelationId, AccessShareLock);
	HeapTuple	tup = sg_catalog_row(catalog, trigid);
	bool		found = false;

	if (HeapTupleIsValid(tup) && !((Form_pg_trigger) GETSTRUCT(tup))->tgisinternal)
	{
		if (relid != NULL)
			*relid = ((Form_pg_trigger) GETSTRUCT(tup))->tgrelid;
		*funcid = ((Form_pg_trigger) GETSTRUCT(tup))->tgfoid;
		if (name != NULL)
			*name = pstrdup(NameStr(((Form_pg_trigger) GETSTRUCT(tup))->tgname));
		found = true;
	}
	table_close(catalog, AccessShareLock);
	return found;
}

static void
sg_report_trigger(SGContext *ctx, SGRelInfo *ri, const char *trigname,
				  const char *funcname, const char *via)
{
	sg_report(ctx, ri, NULL, AccessExclusiveLock,
			  psprintf("%sdropping trigger \"%s\" on %s \"%s\" silently changes what writes to it do",
					   via ? via : "", trigname, sg_relkind_word(ri->relkind), ri->display),
			  psprintf("Writes no longer run %s: code that relies on what it does (an audit row, a timestamp, a check) stops getting it, without any error.",
					   funcname),
			  psprintf("Deploy code that no longer relies on it first, then drop it. To stop it reversibly instead, disable it:\n"
					   "ALTER TABLE %s DISABLE TRIGGER %s;\n"
					   "-- once nothing relies on it:\n%s",
					   ri->qualified, quote_identifier(trigname),
					   sg_recipe_allowed(ctx, NULL, true)));
}

void
sg_check_drop_trigger(SGContext *ctx, Node *stmt)
{
	DropStmt   *ds = castNode(DropStmt, stmt);
	ListCell   *lc;

	if (ds->removeType != OBJECT_TRIGGER)
		return;
	foreach(lc, ds->objects)
	{
		List	   *names = castNode(List, lfirst(lc));
		const char *trigname;
		SGRelInfo  *ri;
		Oid			trigid;
		Oid			funcid;

		/* trigger ON [[catalog.]schema.]table: the server reports other shapes */
		if (list_length(names) < 2 || list_length(names) > 4)
			continue;
		trigname = strVal(llast(names));
		ri = sg_relinfo_rv(ctx, makeRangeVarFromNameList(list_truncate(list_copy(names),
																	   list_length(names) - 1)));
		if (ri == NULL || !OidIsValid(trigid = get_trigger_oid(ri->relid, trigname, true)))
			continue;
		sg_drop_judged_object(ctx, TriggerRelationId, trigid);
		if (sg_rel_exempt(ctx, ri) ||
			OidIsValid(getExtensionOfObject(RelationRelationId, ri->relid)) ||
			sg_catalog_row_created_in_xact(TriggerRelationId, trigid))
			continue;
		if (!sg_trigger_facts(trigid, NULL, &funcid, NULL))
			continue;
		sg_report_trigger(ctx, ri, trigname, format_procedure_qualified(funcid), NULL);
	}
}

/* ----------------------------------------------------------------
 * drop_default
 * ----------------------------------------------------------------
 */
/*
 * A column's default that DROP DEFAULT removes (not a generated column's
 * expression, not an identity): its text and whether the column is NOT
 * NULL.  False when there is none.
 */
static bool
sg_column_default(Oid relid, AttrNumber attnum, char **expr, bool *notnull)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);
	TupleDesc	desc;
	Form_pg_attribute att;
	bool		found = false;
	int			i;

	if (rel == NULL)
		return false;
	desc = RelationGetDescr(rel);
	if (attnum <= 0 || attnum > desc->natts)
	{
		relation_close(rel, AccessShareLock);
		return false;
	}
	att = TupleDescAttr(desc, attnum - 1);
	if (att->atthasdef && !att->attisdropped && att->attgenerated == '\0' &&
		att->attidentity == '\0' && desc->constr != NULL)
	{
		for (i = 0; i < desc->constr->num_defval; i++)
		{
			Node	   *node;

			if (desc->constr->defval[i].adnum != attnum)
				continue;
			node = stringToNode(desc->constr->defval[i].adbin);
			if (IsA(node, CoerceToDomain))
				node = (Node *) ((CoerceToDomain *) node)->arg;
			/* DEFAULT NULL: inserts that omit the column store NULL either way */
			if (IsA(node, Const) && ((Const *) node)->constisnull)
				break;
			*expr = deparse_expression(stringToNode(desc->constr->defval[i].adbin),
									   deparse_context_for(RelationGetRelationName(rel), relid),
									   false, false);
			*notnull = att->attnotnull;
			found = true;
			break;
		}
	}
	relation_close(rel, AccessShareLock);
	return found;
}

static void
sg_report_default(SGContext *ctx, SGRelInfo *ri, const char *column,
				  const char *expr, bool notnull, const char *via)
{
	const char *qcol = quote_identifier(column);

	sg_report(ctx, ri, column, AccessExclusiveLock,
			  psprintf("%sdropping the default of column \"%s\" of %s \"%s\" changes what inserts that omit it do",
					   via ? via : "", column, sg_relkind_word(ri->relkind), ri->display),
			  notnull ?
			  psprintf("The column is NOT NULL: inserts that omit it fail from now on, instead of storing %s.", expr) :
			  psprintf("Inserts that omit it store NULL from now on, instead of %s.", expr),
			  psprintf("Deploy code that writes %s explicitly first, then drop the default "
					   "(to change it instead, SET DEFAULT replaces it in one step: ALTER TABLE %s ALTER COLUMN %s SET DEFAULT <new default>):\n%s",
					   qcol, ri->qualified, qcol, sg_recipe_allowed(ctx, NULL, true)));
	if (notnull)
		sg_escalate_last(ctx);
}

/* the default of this column, in the relation and (inh) its inheritors, is judged */
static void
sg_default_judged(SGContext *ctx, Oid relid, const char *column, bool inh)
{
	List	   *rels = inh ? find_all_inheritors(relid, NoLock, NULL) : list_make1_oid(relid);
	ListCell   *lc;

	foreach(lc, rels)
	{
		AttrNumber	attnum = get_attnum(lfirst_oid(lc), column);
		Oid			defid;

		if (attnum != InvalidAttrNumber &&
			OidIsValid(defid = GetAttrDefaultOid(lfirst_oid(lc), attnum)))
			sg_drop_judged_object(ctx, AttrDefaultRelationId, defid);
	}
}

void
sg_check_drop_default(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	SGRelInfo  *ri = NULL;
	ListCell   *lc;

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		AttrNumber	attnum;
		Oid			defid;
		char	   *expr;
		bool		notnull;

		if (cmd->subtype != AT_ColumnDefault || cmd->def != NULL || cmd->name == NULL)
			continue;
		if (ri == NULL && (ri = sg_relinfo_rv(ctx, ats->relation)) == NULL)
			return;
		if ((attnum = get_attnum(ri->relid, cmd->name)) == InvalidAttrNumber)
			continue;
		sg_default_judged(ctx, ri->relid, cmd->name, ats->relation->inh);
		if (sg_rel_exempt(ctx, ri) ||
			!OidIsValid(defid = GetAttrDefaultOid(ri->relid, attnum)) ||
			sg_catalog_row_created_in_xact(AttrDefaultRelationId, defid) ||
			!sg_column_default(ri->relid, attnum, &expr, &notnull))
			continue;
		sg_report_default(ctx, ri, cmd->name, expr, notnull, NULL);
	}
}

/* ----------------------------------------------------------------
 * drop_not_null
 * ----------------------------------------------------------------
 */
/* is the column NOT NULL, and may DROP NOT NULL make it nullable? */
static bool
sg_not_null_droppable(Oid relid, AttrNumber attnum)
{
	Relation	rel = try_relation_open(relid, AccessShareLock);
	Form_pg_attribute att;
	bool		droppable;

	if (rel == NULL)
		return false;
	att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	/* the server refuses identity and primary-key columns */
	droppable = att->attnotnull && att->attidentity == '\0' &&
		!bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber,
					   RelationGetIndexAttrBitmap(rel, INDEX_ATTR_BITMAP_PRIMARY_KEY));
	relation_close(rel, AccessShareLock);
	return droppable;
}

void
sg_check_drop_not_null(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	SGRelInfo  *ri = NULL;
	ListCell   *lc;

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		AttrNumber	attnum;

		if (cmd->subtype != AT_DropNotNull || cmd->name == NULL)
			continue;
		if (ri == NULL && (ri = sg_relinfo_rv(ctx, ats->relation)) == NULL)
			return;
		if (sg_rel_exempt(ctx, ri) ||
			(attnum = get_attnum(ri->relid, cmd->name)) <= 0 ||
			!sg_not_null_droppable(ri->relid, attnum))
			continue;
		sg_report(ctx, ri, cmd->name, AccessExclusiveLock,
				  psprintf("dropping NOT NULL of column \"%s\" of %s \"%s\" lets NULLs reach code that assumes a value",
						   cmd->name, sg_relkind_word(ri->relkind), ri->display),
				  "Existing rows keep their values, but once code writes NULL, running code that reads the column and assumes a value breaks.",
				  psprintf("This is the usual first step of retiring a column: deploy readers that handle NULL in %s (or no longer read it) before any code writes NULL there:\n%s",
						   quote_identifier(cmd->name), sg_recipe_allowed(ctx, NULL, true)));
	}
}

/* ----------------------------------------------------------------
 * drop_empty_table
 * ----------------------------------------------------------------
 */
static void
sg_report_empty_table(SGContext *ctx, SGRelInfo *ri, const char *via, List *deps)
{
	bool		recent;
	char	   *scans = sg_scan_evidence(ri->relid, &recent);

	sg_report(ctx, ri, NULL, AccessExclusiveLock,
			  psprintf("%sdropping empty %s \"%s\" breaks running code that uses it",
					   via ? via : "", sg_relkind_word(ri->relkind), ri->display),
			  sg_join_sentences(sg_join_sentences("No data is lost, but queries that use it fail as soon as this commits.", scans),
								deps ? sg_victims_detail(deps) : NULL),
			  psprintf("Deploy code that no longer uses %s first, then drop it:\n%s%s",
					   ri->qualified, deps ? sg_victims_recipe_line(deps) : "",
					   sg_recipe_allowed(ctx, NULL, true)));
	if (recent || deps != NIL)
		sg_escalate_last(ctx);
}

void
sg_check_drop_empty_table(SGContext *ctx, Node *stmt)
{
	DropStmt   *ds = castNode(DropStmt, stmt);
	ListCell   *lc;

	foreach(lc, sg_drop_stmt_tables(ctx, ds))
	{
		SGDroppedTable *t = lfirst(lc);
		List	   *deps = NIL;
		bool		refused = false;

		if (sg_rel_exempt(ctx, t->ri) || sg_rel_has_rows(ctx, t->ri))
			continue;			/* a table with rows is drop_table's */
		/* DROP SCHEMA ... CASCADE drops the schema's other objects anyway */
		if (t->via == NULL)
			deps = sg_cascade_victims(ctx, ds->behavior, RelationRelationId, t->ri->relid, 0, &refused);
		if (refused)
			continue;
		sg_report_empty_table(ctx, t->ri, t->via, deps);
	}
}

/* ----------------------------------------------------------------
 * drop_empty_column
 * ----------------------------------------------------------------
 */
static void
sg_report_empty_column(SGContext *ctx, SGRelInfo *ri, const char *column,
					   const char *via, List *deps)
{
	sg_report(ctx, ri, column, AccessExclusiveLock,
			  via == NULL && sg_rel_has_rows(ctx, ri) ?
			  psprintf("dropping column \"%s\" of %s \"%s\", which holds no value in any row, breaks running code that uses it",
					   column, sg_relkind_word(ri->relkind), ri->display) :
			  psprintf("%sdropping column \"%s\" of empty %s \"%s\" breaks running code that uses it",
					   via ? via : "", column, sg_relkind_word(ri->relkind), ri->display),
			  sg_join_sentences("No data is lost, but code that still reads or writes the column fails as soon as this commits.",
								deps ? sg_victims_detail(deps) : NULL),
			  psprintf("Deploy code that no longer uses %s first, then drop it:\n%s%s",
					   quote_identifier(column), deps ? sg_victims_recipe_line(deps) : "",
					   sg_recipe_allowed(ctx, NULL, true)));
	if (deps != NIL)
		sg_escalate_last(ctx);
}

void
sg_check_drop_empty_column(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	SGRelInfo  *ri = NULL;
	ListCell   *lc;

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		AttrNumber	attnum;
		List	   *deps;
		bool		refused;

		if (cmd->subtype != AT_DropColumn || cmd->name == NULL)
			continue;
		if (ri == NULL && (ri = sg_alter_table_target(ctx, ats)) == NULL)
			return;
		sg_drop_judged(ctx, ri->relid, cmd->name);
		if ((attnum = get_attnum(ri->relid, cmd->name)) == InvalidAttrNumber)
			continue;			/* IF EXISTS, or the statement reports it */
		if (ri->relkind == RELKIND_MATVIEW || sg_column_has_values(ctx, ri, cmd->name))
			continue;			/* a column with values is drop_column's */
		deps = sg_cascade_victims(ctx, cmd->behavior, RelationRelationId, ri->relid, attnum, &refused);
		if (refused)
			continue;
		sg_report_empty_column(ctx, ri, cmd->name, NULL, deps);
	}
}

/* ----------------------------------------------------------------
 * The drop net (dropnet.c): what a statement drops without naming it
 * ----------------------------------------------------------------
 */
static char *
sg_net_via(const char *tag)
{
	return psprintf("%s, which does not name it: ", tag);
}

/*
 * A relation the statement drops without naming it, that the data-loss
 * rules leave: an empty table or a column of one, a view or materialized
 * view.  Judged on its own: what used it was dropped before it, and was
 * judged then.
 */
void
sg_compat_net_relation(SGContext *ctx, SGRelInfo *ri, const char *column,
					   const char *tag)
{
	if (ri->relkind == RELKIND_VIEW || ri->relkind == RELKIND_MATVIEW)
	{
		if (column == NULL && sg_context_use_rule(ctx, "drop_view"))
			sg_report_view(ctx, ri, sg_net_via(tag), NIL);
	}
	else if (column == NULL)
	{
		if (sg_context_use_rule(ctx, "drop_empty_table"))
			sg_report_empty_table(ctx, ri, sg_net_via(tag), NIL);
	}
	else if (sg_context_use_rule(ctx, "drop_empty_column"))
		sg_report_empty_column(ctx, ri, column, sg_net_via(tag), NIL);
}

/* a function or type the statement drops without naming it */
void
sg_compat_net_object(SGContext *ctx, Oid classId, Oid objectId, const char *tag)
{
	if (classId == ProcedureRelationId)
	{
		char		prokind = get_func_prokind(objectId);

		if (prokind == PROKIND_AGGREGATE || prokind == '\0' ||
			sg_object_exempt(classId, objectId, get_func_namespace(objectId)) ||
			!sg_context_use_rule(ctx, "drop_function"))
			return;
		sg_report_function(ctx, objectId, sg_net_via(tag), NIL);
	}
	else if (classId == TypeRelationId)
	{
		Oid			nspid;
		char		typtype;

		if (!sg_type_judged(objectId, &nspid, &typtype) ||
			sg_object_exempt(classId, objectId, nspid) ||
			sg_object_created_in_xact(classId, objectId) ||
			!sg_context_use_rule(ctx, "drop_type"))
			return;
		sg_report_type(ctx, objectId, sg_net_via(tag), NIL);
	}
}

/*
 * A trigger or column default is about to go: note what is needed to
 * judge it once the statement has run, unless its table goes too (the
 * net forgets it then).  False when it is not judged at all.
 */
bool
sg_compat_net_capture(Oid classId, Oid objectId, SGPendingDrop *p)
{
	memset(p, 0, sizeof(SGPendingDrop));
	p->classid = classId;
	p->objid = objectId;
	if (classId == TriggerRelationId)
	{
		Oid			funcid;

		if (!sg_trigger_facts(objectId, &p->relid, &funcid, &p->name))
			return false;
		p->extra = format_procedure_qualified(funcid);
	}
	else if (classId == AttrDefaultRelationId)
	{
		ObjectAddress col = GetAttrDefaultColumnAddress(objectId);

		if (!OidIsValid(col.objectId))
			return false;
		p->relid = col.objectId;
		p->attnum = (AttrNumber) col.objectSubId;
		p->name = get_attname(p->relid, p->attnum, true);
		if (p->name == NULL ||
			!sg_column_default(p->relid, p->attnum, &p->extra, &p->notnull))
			return false;
	}
	else
		return false;
	return !OidIsValid(getExtensionOfObject(RelationRelationId, p->relid)) &&
		!sg_catalog_row_created_in_xact(classId, objectId);
}

/* the statement has run and left the table of a captured drop in place */
void
sg_compat_net_pending(SGContext *ctx, SGPendingDrop *p, const char *tag)
{
	SGRelInfo  *ri = sg_relinfo_oid(ctx, p->relid);

	if (ri == NULL || sg_rel_exempt(ctx, ri))
		return;
	if (p->classid == TriggerRelationId)
	{
		if (sg_context_use_rule(ctx, "drop_trigger"))
			sg_report_trigger(ctx, ri, p->name, p->extra, sg_net_via(tag));
	}
	else if (sg_context_use_rule(ctx, "drop_default"))
		sg_report_default(ctx, ri, p->name, p->extra, p->notnull, sg_net_via(tag));
}
