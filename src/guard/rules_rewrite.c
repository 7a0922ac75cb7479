/*-------------------------------------------------------------------------
 *
 * rules_rewrite.c
 *		Rule checks for statements that rewrite a whole table (or rebuild
 *		its indexes) under an ACCESS EXCLUSIVE lock: alter_column_type and
 *		table_rewrite, plus the table_rewrite safety net, an event trigger
 *		function that stops a rewrite the static checks did not foresee
 *		before it starts.
 *
 * Whether ALTER COLUMN TYPE rewrites is decided the way the server decides
 * it (tablecmds.c, ATExecAlterColumnType and ATColumnChangeRequiresRewrite;
 * indexcmds.c, CheckIndexCompatible).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/dependency.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablespace.h"
#include "miscadmin.h"
#include "commands/event_trigger.h"
#include "commands/tablecmds.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_coerce.h"
#include "parser/parse_collate.h"
#include "parser/parse_expr.h"
#include "parser/parse_node.h"
#include "parser/parse_relation.h"
#include "parser/parse_type.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"

#include "schemaguard.h"

/*
 * Relations whose rewrite the static checks of the current statement
 * already judged (whether they fired, were exempt or allowed): the safety
 * net leaves those alone.
 */
static List *sg_judged_rewrites = NIL;

void
sg_rewrite_reset(void)
{
	list_free(sg_judged_rewrites);
	sg_judged_rewrites = NIL;
}

static void
sg_rewrite_judged(Oid relid)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);

	sg_judged_rewrites = list_append_unique_oid(sg_judged_rewrites, relid);
	MemoryContextSwitchTo(old);
}

/*
 * Note the relations whose possible rewrite by this ALTER TABLE the static
 * rules judge (add_column_volatile_default, alter_column_type,
 * table_rewrite), whatever their level: the safety net is for the rest.
 * For a partitioned table the rewrites happen on its partitions.
 */
void
sg_rewrite_predict(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats;
	ListCell   *lc;
	Oid			relid;

	if (!IsA(stmt, AlterTableStmt))
		return;
	ats = (AlterTableStmt *) stmt;
	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		switch (cmd->subtype)
		{
			case AT_AddColumn:
			case AT_AlterColumnType:
			case AT_SetLogged:
			case AT_SetUnLogged:
			case AT_SetAccessMethod:
			case AT_SetTableSpace:
				break;
			default:
				continue;
		}
		relid = RangeVarGetRelid(ats->relation, NoLock, true);
		if (!OidIsValid(relid))
			return;
		if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
		{
			ListCell   *lc2;

			foreach(lc2, find_all_inheritors(relid, NoLock, NULL))
				sg_rewrite_judged(lfirst_oid(lc2));
		}
		else
			sg_rewrite_judged(relid);
		return;
	}
}

/* ----------------------------------------------------------------
 * alter_column_type
 * ----------------------------------------------------------------
 */

/* tablecmds.c, ATColumnChangeRequiresRewrite */
static bool
sg_change_requires_rewrite(Node *expr, AttrNumber varattno)
{
	for (;;)
	{
		if (IsA(expr, Var) && ((Var *) expr)->varattno == varattno)
			return false;
		else if (IsA(expr, RelabelType))
			expr = (Node *) ((RelabelType *) expr)->arg;
		else if (IsA(expr, CoerceToDomain))
		{
			CoerceToDomain *d = (CoerceToDomain *) expr;

			if (SG_DOMAIN_HAS_CONSTRAINTS(d->resulttype))
				return true;
			expr = (Node *) d->arg;
		}
		else if (IsA(expr, FuncExpr))
		{
			FuncExpr   *f = (FuncExpr *) expr;

			if ((f->funcid == F_TIMESTAMPTZ_TIMESTAMP ||
				 f->funcid == F_TIMESTAMP_TIMESTAMPTZ) &&
				!TimestampTimestampTzRequiresRewrite())
				expr = linitial(f->args);
			else
				return true;
		}
		else
			return true;
	}
}

/*
 * Would the change rewrite the table?  Builds the same transformation
 * expression as the server (the USING expression, or a coercion of the
 * old column), plans it, and inspects it.
 */
static bool
sg_type_change_rewrites(Relation rel, AttrNumber attnum, ColumnDef *def,
						Oid newtype, int32 newtypmod, char **conversion)
{
	Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), attnum - 1);
	ParseState *pstate = make_parsestate(NULL);
	Node	   *transform;

	if (def->raw_default != NULL)
	{
		ParseNamespaceItem *nsitem;

		nsitem = addRangeTableEntryForRelation(pstate, rel, AccessShareLock,
											   NULL, false, true);
		addNSItemToQuery(pstate, nsitem, false, true, true);
		transform = transformExpr(pstate, copyObject(def->raw_default),
								  EXPR_KIND_ALTER_COL_TRANSFORM);
	}
	else
		transform = (Node *) makeVar(1, attnum, att->atttypid, att->atttypmod,
									 att->attcollation, 0);

	transform = coerce_to_target_type(pstate, transform, exprType(transform),
									  newtype, newtypmod,
									  COERCION_ASSIGNMENT, COERCE_IMPLICIT_CAST,
									  -1);
	if (transform == NULL)
		return true;			/* the statement will fail on its own */
	assign_expr_collations(pstate, transform);
	/* the old value converted, as an expression over the table's columns */
	*conversion = deparse_expression(transform,
									 deparse_context_for(RelationGetRelationName(rel),
														 RelationGetRelid(rel)),
									 false, false);
	transform = sg_expr_simplify(transform);
	free_parsestate(pstate);

	return sg_change_requires_rewrite(transform, attnum);
}

/*
 * An index that the type change forces to be rebuilt, or InvalidOid.
 * Mirrors CheckIndexCompatible: an index is kept when it has no
 * expressions or predicate, is valid, and its operator class and
 * collation for the column stay the same.
 */
static Oid
sg_type_change_rebuilds_index(Relation rel, AttrNumber attnum, Oid newtype,
							  Oid newcoll)
{
	List	   *indexes = RelationGetIndexList(rel);
	ListCell   *lc;
	Oid			result = InvalidOid;

	foreach(lc, indexes)
	{
		Oid			indexoid = lfirst_oid(lc);
		HeapTuple	tup;
		Form_pg_index index;
		bool		uses = false;
		bool		compatible = true;
		int			i;
		Datum		d;
		bool		isnull;
		oidvector  *indclass;
		oidvector  *indcoll;
		Oid			amoid;

		tup = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(indexoid));
		if (!HeapTupleIsValid(tup))
			continue;
		index = (Form_pg_index) GETSTRUCT(tup);

		for (i = 0; i < index->indnatts; i++)
			if (index->indkey.values[i] == attnum)
				uses = true;
		if (!heap_attisnull(tup, Anum_pg_index_indexprs, NULL) ||
			!heap_attisnull(tup, Anum_pg_index_indpred, NULL))
		{
			/* does an expression or the predicate use the column? */
			Bitmapset  *attrs = NULL;
			Node	   *node;
			char	   *str;

			d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indexprs, &isnull);
			if (!isnull)
			{
				str = TextDatumGetCString(d);
				node = stringToNode(str);
				pull_varattnos(node, 1, &attrs);
			}
			d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indpred, &isnull);
			if (!isnull)
			{
				str = TextDatumGetCString(d);
				node = stringToNode(str);
				pull_varattnos(node, 1, &attrs);
			}
			if (bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs))
				uses = true;
			if (uses)
				compatible = false;
		}
		if (!uses)
		{
			ReleaseSysCache(tup);
			continue;
		}
		if (!index->indisvalid)
			compatible = false;

		{
			HeapTuple	reltup = SearchSysCache1(RELOID, ObjectIdGetDatum(indexoid));

			if (!HeapTupleIsValid(reltup))
			{
				ReleaseSysCache(tup);
				continue;
			}
			amoid = ((Form_pg_class) GETSTRUCT(reltup))->relam;
			ReleaseSysCache(reltup);
		}
		d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indclass, &isnull);
		indclass = (oidvector *) DatumGetPointer(d);
		d = SysCacheGetAttr(INDEXRELID, tup, Anum_pg_index_indcollation, &isnull);
		indcoll = (oidvector *) DatumGetPointer(d);

		for (i = 0; compatible && i < index->indnkeyatts; i++)
		{
			Oid			opclass = indclass->values[i];
			Oid			opcintype;
			Oid			newopclass;

			if (index->indkey.values[i] != attnum)
				continue;
			opcintype = get_opclass_input_type(opclass);
			if (IsPolymorphicType(opcintype))
				compatible = false;
			else if (GetDefaultOpClass(opcintype, amoid) == opclass)
				newopclass = GetDefaultOpClass(newtype, amoid);
			else
				newopclass = IsBinaryCoercible(newtype, opcintype) ? opclass : InvalidOid;
			if (compatible && newopclass != opclass)
				compatible = false;
			if (indcoll->values[i] != newcoll)
				compatible = false;
		}
		ReleaseSysCache(tup);
		if (!compatible)
		{
			result = indexoid;
			break;
		}
	}
	list_free(indexes);
	return result;
}

/*
 * A validated CHECK constraint that uses the column: the server re-adds
 * and re-validates it, reading the whole table.
 */
static char *
sg_type_change_rechecks(Relation rel, AttrNumber attnum)
{
	TupleConstr *constr = RelationGetDescr(rel)->constr;
	int			i;

	if (constr == NULL)
		return NULL;
	for (i = 0; i < constr->num_check; i++)
	{
		Bitmapset  *attrs = NULL;

		if (!constr->check[i].ccvalid)
			continue;
		pull_varattnos(stringToNode(constr->check[i].ccbin), 1, &attrs);
		if (bms_is_member(attnum - FirstLowInvalidHeapAttributeNumber, attrs))
			return pstrdup(constr->check[i].ccname);
	}
	return NULL;
}

/* a constraint's type, or '\0' */
static char
sg_constraint_type(Oid conoid)
{
	HeapTuple	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	char		result = '\0';

	if (HeapTupleIsValid(tup))
	{
		result = ((Form_pg_constraint) GETSTRUCT(tup))->contype;
		ReleaseSysCache(tup);
	}
	return result;
}

/*
 * What a column's type change cannot carry over to a new column: the
 * description of the first object that depends on the column other than
 * its default, its NOT NULL constraint (a catalog row from 18 on), CHECK
 * constraints (added to *checks) and indexes that belong to no constraint
 * (added to *indexes), or NULL.
 */
static char *
sg_column_dependent(Oid relid, AttrNumber attnum, List **indexes, List **checks)
{
	Relation	depRel = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[3];
	SysScanDesc scan;
	HeapTuple	tup;
	char	   *found = NULL;

	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(RelationRelationId));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	ScanKeyInit(&key[2], Anum_pg_depend_refobjsubid, BTEqualStrategyNumber,
				F_INT4EQ, Int32GetDatum((int32) attnum));
	scan = systable_beginscan(depRel, DependReferenceIndexId, true, NULL, 3, key);
	while (found == NULL && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);
		ObjectAddress obj = {dep->classid, dep->objid, dep->objsubid};
		char		contype = dep->classid == ConstraintRelationId ?
			sg_constraint_type(dep->objid) : '\0';

		if (dep->classid == AttrDefaultRelationId || contype == 'n')
			continue;
		if (contype == CONSTRAINT_CHECK)
		{
			*checks = list_append_unique_oid(*checks, dep->objid);
			continue;
		}
		if (dep->classid == RelationRelationId &&
			get_rel_relkind(dep->objid) == RELKIND_INDEX &&
			!OidIsValid(get_index_constraint(dep->objid)))
		{
			*indexes = list_append_unique_oid(*indexes, dep->objid);
			continue;
		}
		found = getObjectDescription(&obj, true);
		if (found == NULL)
			found = pstrdup("an object that depends on it");
	}
	systable_endscan(scan);
	table_close(depRel, AccessShareLock);
	return found;
}

/*
 * The recipe of a type change that rewrites the table: the data moves to a
 * new column, kept in step by a trigger and backfilled in batches, its
 * indexes are built CONCURRENTLY, and one short transaction switches the
 * columns.  The result differs from the statement's only in the column's
 * position, which moves to the end.  A column that other objects depend on
 * (constraints, views, policies, ...), an identity or generated column,
 * or one with column privileges cannot be moved so: the recipe says which
 * object is in the way and runs the statement in a quiet moment instead.
 */
static char *
sg_alter_type_recipe(SGContext *ctx, SGRelInfo *ri, const char *col,
					 AttrNumber attnum, const char *newtypename,
					 const char *conversion)
{
	StringInfoData buf;
	StringInfoData sw;
	HeapTuple	atttup = SearchSysCache2(ATTNUM, ObjectIdGetDatum(ri->relid),
										 Int16GetDatum(attnum));
	Form_pg_attribute att;
	bool		notnull;
	bool		special;
	bool		acl_null;
	List	   *indexes = NIL;
	List	   *index_new = NIL;	/* their definitions on the new column */
	List	   *checks = NIL;
	List	   *check_defs = NIL;	/* NULL where not validated */
	List	   *check_new = NIL;	/* their definitions on the new column */
	char	   *blocker;
	char	   *tmpcol;
	const char *qcol = quote_identifier(col);
	const char *qtmp;
	char	   *func;
	char	   *trig;
	char	   *defexpr = NULL;
	char	   *conname = NULL;
	ListCell   *lc;
	ListCell   *lc2;
	ListCell   *lc3;

	if (!HeapTupleIsValid(atttup))
		return NULL;
	att = (Form_pg_attribute) GETSTRUCT(atttup);
	notnull = att->attnotnull;
	special = att->attidentity != '\0' || att->attgenerated != '\0';
	(void) SysCacheGetAttr(ATTNUM, atttup, Anum_pg_attribute_attacl, &acl_null);
	ReleaseSysCache(atttup);

	blocker = sg_column_dependent(ri->relid, attnum, &indexes, &checks);
	if (blocker == NULL && special)
		blocker = psprintf("it is an identity or generated column");
	if (blocker == NULL && !acl_null)
		blocker = psprintf("it has column privileges");
	/* the trigger that keeps the new column in step would miss them */
	if (blocker == NULL && ri->relkind == RELKIND_RELATION && has_subclass(ri->relid))
		blocker = psprintf("the table has inheritance children");
	if (blocker == NULL && conversion == NULL)
		blocker = psprintf("its conversion cannot be written out");
	tmpcol = psprintf("%s_new", col);
	foreach(lc, checks)
	{
		char	   *def = TextDatumGetCString(DirectFunctionCall1(pg_get_constraintdef,
																  ObjectIdGetDatum(lfirst_oid(lc))));
		size_t		len = strlen(def);

		/* "... NOT VALID": the new one is not validated either */
		if (len > 10 && strcmp(def + len - 10, " NOT VALID") == 0)
		{
			def[len - 10] = '\0';
			check_defs = lappend(check_defs, NULL);
		}
		else
			check_defs = lappend(check_defs, def);
		def = sg_check_def_on_column(def, col, tmpcol);
		if (def == NULL && blocker == NULL)
			blocker = psprintf("constraint %s cannot be rewritten for the new column",
							   quote_identifier(get_constraint_name(lfirst_oid(lc))));
		check_new = lappend(check_new, def);
	}
	foreach(lc, indexes)
	{
		char	   *name = get_rel_name(lfirst_oid(lc));
		char	   *def = sg_index_def_on_column(pg_get_indexdef_string(lfirst_oid(lc)),
												 col, tmpcol, psprintf("%s_new", name));

		if (def == NULL && blocker == NULL)
			blocker = psprintf("index %s cannot be rewritten for the new column",
							   quote_identifier(name));
		index_new = lappend(index_new, def);
	}
	if (blocker != NULL)
		return psprintf("The column cannot be moved to a new one (%s), so the change needs the lock for the whole rewrite: "
						"make it when traffic is low, with a lock timeout so that it does not queue behind long transactions:\n%s",
						blocker, sg_recipe_allowed(ctx, NULL, true));

	qtmp = quote_identifier(tmpcol);
	func = quote_qualified_identifier(ri->nspname, psprintf("%s_%s_sync", ri->relname, tmpcol));
	trig = (char *) quote_identifier(psprintf("%s_%s_sync", ri->relname, tmpcol));
	{
		Relation	rel = try_relation_open(ri->relid, AccessShareLock);

		if (rel != NULL)
		{
			TupleConstr *constr = RelationGetDescr(rel)->constr;

			for (int i = 0; constr != NULL && i < constr->num_defval; i++)
			{
				if (constr->defval[i].adnum == attnum)
					defexpr = deparse_expression(stringToNode(constr->defval[i].adbin),
												 deparse_context_for(ri->relname, ri->relid),
												 false, false);
			}
			relation_close(rel, AccessShareLock);
		}
	}

	initStringInfo(&buf);
	appendStringInfo(&buf,
					 "Move the data to a new column kept in step by a trigger, then switch the columns in one short transaction (the column moves to the end of the table):\n"
					 "ALTER TABLE %s ADD COLUMN %s %s;\n"
					 "CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $sg$ BEGIN NEW.%s := (SELECT %s FROM (SELECT NEW.*) AS %s); RETURN NEW; END $sg$;\n"
					 "%sCREATE TRIGGER %s BEFORE INSERT OR UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION %s();\n%s",
					 ri->qualified, qtmp, newtypename,
					 func, qtmp, conversion, quote_identifier(ri->relname),
					 sg_rel_is_citus(ri) ?
					 "SET citus.enable_unsafe_triggers = on;  -- Citus: the trigger only sets a column of its own row\n" : "",
					 trig, ri->qualified, func,
					 sg_rel_is_citus(ri) ? "RESET citus.enable_unsafe_triggers;\n" : "");
	sg_append_backfill(&buf, ri, tmpcol, psprintf("%s = %s", qtmp, conversion), NULL);
	if (notnull)
	{
		conname = ChooseConstraintName(ri->relname, tmpcol, "not_null_check",
									   get_rel_namespace(ri->relid), NIL);
		appendStringInfo(&buf,
						 "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s IS NOT NULL) NOT VALID;\n"
						 "ALTER TABLE %s VALIDATE CONSTRAINT %s;\n",
						 ri->qualified, quote_identifier(conname), qtmp,
						 ri->qualified, quote_identifier(conname));
	}

	initStringInfo(&sw);
	appendStringInfo(&sw,
					 "BEGIN; SET LOCAL lock_timeout = '5s'; SET LOCAL schemaguard.allow = 'drop_column, rename_column, drop_trigger, drop_function';\n"
					 "%sDROP TRIGGER %s ON %s; DROP FUNCTION %s();\n"
					 "ALTER TABLE %s DROP COLUMN %s;\n"
					 "ALTER TABLE %s RENAME COLUMN %s TO %s;\n",
	/* Citus drops a function only over one connection per node */
					 sg_rel_is_citus(ri) ?
					 "SET LOCAL citus.multi_shard_modify_mode = 'sequential';\n" : "",
					 trig, ri->qualified, func,
					 ri->qualified, qcol,
					 ri->qualified, qtmp, qcol);
	forthree(lc, checks, lc2, check_defs, lc3, check_new)
	{
		char	   *name = get_constraint_name(lfirst_oid(lc));
		const char *qtmpname = quote_identifier(psprintf("%s_new", name));

		appendStringInfo(&buf, "ALTER TABLE %s ADD CONSTRAINT %s %s NOT VALID;\n",
						 ri->qualified, qtmpname, (char *) lfirst(lc3));
		if (lfirst(lc2) != NULL)
			appendStringInfo(&buf, "ALTER TABLE %s VALIDATE CONSTRAINT %s;\n",
							 ri->qualified, qtmpname);
		appendStringInfo(&sw, "ALTER TABLE %s RENAME CONSTRAINT %s TO %s;\n",
						 ri->qualified, qtmpname, quote_identifier(name));
	}
	forboth(lc, indexes, lc2, index_new)
	{
		char	   *name = get_rel_name(lfirst_oid(lc));

		appendStringInfo(&buf, "%s;\n", (char *) lfirst(lc2));
		appendStringInfo(&sw, "ALTER INDEX %s RENAME TO %s;\n",
						 quote_qualified_identifier(ri->nspname, psprintf("%s_new", name)),
						 quote_identifier(name));
	}
	if (defexpr != NULL)
		appendStringInfo(&sw, "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT %s;\n",
						 ri->qualified, qcol, defexpr);
	if (notnull)
		appendStringInfo(&sw,
						 "ALTER TABLE %s ALTER COLUMN %s SET NOT NULL;\n"
						 "ALTER TABLE %s DROP CONSTRAINT %s;\n",
						 ri->qualified, qcol, ri->qualified, quote_identifier(conname));
	appendStringInfoString(&sw, "COMMIT;");
	appendStringInfoString(&buf, sw.data);
	return buf.data;
}

void
sg_check_alter_column_type(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	SGRelInfo  *ri = NULL;
	ListCell   *lc;

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		ColumnDef  *def;
		Relation	rel;
		AttrNumber	attnum;
		Oid			newtype;
		int32		newtypmod;
		Oid			newcoll;
		Type		typtup;
		bool		rewrites;
		Oid			rebuilt = InvalidOid;
		char	   *rechecked = NULL;
		char	   *conversion = NULL;
		char	   *oldtype;
		char	   *newtypename;
		char	   *what;
		char	   *recipe;

		if (cmd->subtype != AT_AlterColumnType || cmd->name == NULL ||
			cmd->def == NULL || !IsA(cmd->def, ColumnDef))
			continue;
		def = (ColumnDef *) cmd->def;
		if (ri == NULL)
		{
			ri = sg_alter_table_target(ctx, ats);
			if (ri == NULL || ri->relkind == RELKIND_MATVIEW)
				return;
			if (!sg_rel_is_large(ctx, ri))
				return;
		}
		typtup = LookupTypeName(NULL, def->typeName, &newtypmod, true);
		if (typtup == NULL)
			continue;
		newtype = ((Form_pg_type) GETSTRUCT(typtup))->oid;
		ReleaseSysCache(typtup);

		rel = try_relation_open(ri->relid, AccessShareLock);
		if (rel == NULL)
			return;
		attnum = get_attnum(ri->relid, cmd->name);
		if (attnum <= 0)
		{
			relation_close(rel, AccessShareLock);
			continue;
		}
		oldtype = format_type_with_typemod(TupleDescAttr(rel->rd_att, attnum - 1)->atttypid,
										   TupleDescAttr(rel->rd_att, attnum - 1)->atttypmod);
		if (def->collClause != NULL)
			newcoll = get_collation_oid(def->collClause->collname, false);
		else
			newcoll = get_typcollation(newtype);

		rewrites = sg_type_change_rewrites(rel, attnum, def, newtype, newtypmod,
										   &conversion);
		if (!rewrites)
		{
			rebuilt = sg_type_change_rebuilds_index(rel, attnum, newtype, newcoll);
			rechecked = sg_type_change_rechecks(rel, attnum);
		}
		relation_close(rel, AccessShareLock);

		if (!rewrites && !OidIsValid(rebuilt) && rechecked == NULL)
			continue;

		newtypename = format_type_with_typemod(newtype, newtypmod);
		if (def->collClause != NULL)
			newtypename = psprintf("%s COLLATE %s", newtypename,
								   NameListToQuotedString(def->collClause->collname));
		if (rewrites)
			what = psprintf("changing column \"%s\" of table \"%s\" from %s to %s rewrites the table and its indexes",
							cmd->name, ri->display, oldtype, newtypename);
		else if (OidIsValid(rebuilt))
			what = psprintf("changing column \"%s\" of table \"%s\" from %s to %s rebuilds index \"%s\"",
							cmd->name, ri->display, oldtype, newtypename,
							get_rel_name(rebuilt));
		else
			what = psprintf("changing column \"%s\" of table \"%s\" from %s to %s re-validates CHECK constraint \"%s\" with a full scan",
							cmd->name, ri->display, oldtype, newtypename, rechecked);

		recipe = sg_alter_type_recipe(ctx, ri, cmd->name, attnum, newtypename,
									  conversion);

		sg_report(ctx, ri, cmd->name, AccessExclusiveLock, what,
				  rewrites ? (def->raw_default != NULL ?
							  "The USING expression is computed for every row, so the whole table is rewritten while the lock is held." :
							  "The new type is not binary-coercible from the old one, so every row is rewritten while the lock is held.") :
				  "The table is not rewritten, but the work above reads all of it while the lock is held.",
				  recipe);
	}
}

/* ----------------------------------------------------------------
 * table_rewrite
 * ----------------------------------------------------------------
 */
static bool
sg_type_is_constrained_domain(TypeName *typname)
{
	Oid			typid;
	int32		typmod;
	Type		tup = LookupTypeName(NULL, typname, &typmod, true);

	if (tup == NULL)
		return false;
	typid = ((Form_pg_type) GETSTRUCT(tup))->oid;
	ReleaseSysCache(tup);
	return get_typtype(typid) == TYPTYPE_DOMAIN && SG_DOMAIN_HAS_CONSTRAINTS(typid);
}

/* which recipe fits a rewrite */
typedef enum SGRewriteKind
{
	SG_REWRITE_GENERIC,
	SG_REWRITE_SEQUENCE,		/* identity or serial column */
	SG_REWRITE_GENERATED,		/* stored generated column */
	SG_REWRITE_DOMAIN,			/* domain with constraints */
	SG_REWRITE_PERSISTENCE,		/* SET LOGGED / UNLOGGED */
	SG_REWRITE_TABLESPACE		/* SET TABLESPACE */
} SGRewriteKind;

/*
 * What in this subcommand rewrites the table, or NULL.
 */
static const char *
sg_cmd_rewrite_reason(AlterTableCmd *cmd, SGRewriteKind *recipe_kind)
{
	*recipe_kind = SG_REWRITE_GENERIC;
	switch (cmd->subtype)
	{
		case AT_AddColumn:
			{
				ColumnDef  *def = (ColumnDef *) cmd->def;
				Constraint *c;
				ListCell   *lc;

				if (def == NULL || !IsA(def, ColumnDef))
					return NULL;
				if (def->identity)
					return "adding an identity column";
				foreach(lc, def->constraints)
				{
					c = lfirst_node(Constraint, lc);
					if (c->contype == CONSTR_IDENTITY)
					{
						*recipe_kind = SG_REWRITE_SEQUENCE;
						return "adding an identity column";
					}
					if (c->contype == CONSTR_GENERATED)
					{
						/* a virtual one is computed when read */
						if (SG_CONSTR_IS_VIRTUAL_GENERATED(c))
							return NULL;
						*recipe_kind = SG_REWRITE_GENERATED;
						return "adding a stored generated column";
					}
				}
				if (sg_coldef_is_serial(def))
				{
					*recipe_kind = SG_REWRITE_SEQUENCE;
					return "adding a serial column";
				}
				/* the server checks the domain's constraints row by row */
				if (def->typeName != NULL &&
					sg_type_is_constrained_domain(def->typeName))
				{
					*recipe_kind = SG_REWRITE_DOMAIN;
					return "adding a column of a domain type with constraints";
				}
				return NULL;
			}
		case AT_SetLogged:
			*recipe_kind = SG_REWRITE_PERSISTENCE;
			return "SET LOGGED";
		case AT_SetUnLogged:
			*recipe_kind = SG_REWRITE_PERSISTENCE;
			return "SET UNLOGGED";
		case AT_SetAccessMethod:
			return "SET ACCESS METHOD";
		case AT_SetTableSpace:
			*recipe_kind = SG_REWRITE_TABLESPACE;
			return "SET TABLESPACE";
#ifdef SG_HAVE_SET_EXPRESSION
		case AT_SetExpression:
			/* only a stored column is computed again for every row */
			*recipe_kind = SG_REWRITE_GENERATED;
			return "SET EXPRESSION of a stored generated column";
#endif
		default:
			return NULL;
	}
}

/* is the column a stored generated column? (SET EXPRESSION rewrites only those) */
static bool
sg_column_is_stored_generated(Oid relid, const char *column)
{
	HeapTuple	tup;
	bool		stored = false;

	if (column == NULL)
		return false;
	tup = SearchSysCacheAttName(relid, column);
	if (HeapTupleIsValid(tup))
	{
		stored = ((Form_pg_attribute) GETSTRUCT(tup))->attgenerated == ATTRIBUTE_GENERATED_STORED;
		ReleaseSysCache(tup);
	}
	return stored;
}

/*
 * SET LOGGED on a logged table, SET ACCESS METHOD to the current one and
 * SET TABLESPACE to the current one change nothing and copy nothing.
 */
static bool
sg_cmd_is_noop(AlterTableCmd *cmd, SGRelInfo *ri)
{
	HeapTuple	tup;
	Form_pg_class form;
	bool		noop = false;

	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(ri->relid));
	if (!HeapTupleIsValid(tup))
		return false;
	form = (Form_pg_class) GETSTRUCT(tup);
	switch (cmd->subtype)
	{
		case AT_AddColumn:
			noop = sg_add_column_skipped(ri->relid, cmd);
			break;
		case AT_SetLogged:
			noop = (form->relpersistence == RELPERSISTENCE_PERMANENT);
			break;
		case AT_SetUnLogged:
			noop = (form->relpersistence == RELPERSISTENCE_UNLOGGED);
			break;
		case AT_SetAccessMethod:
			noop = (cmd->name != NULL &&
					get_am_oid(cmd->name, true) == form->relam);
			break;
		case AT_SetTableSpace:
			{
				Oid			target = get_tablespace_oid(cmd->name, true);
				Oid			current = OidIsValid(form->reltablespace) ?
				form->reltablespace : MyDatabaseTableSpace;

				noop = (target == current);
				break;
			}
		default:
			break;
	}
	ReleaseSysCache(tup);
	return noop;
}

/* what ALTER ... ALL IN TABLESPACE moves (tablecmds.c, AlterTableMoveAll) */
typedef struct SGMoveAll
{
	AlterTableMoveAllStmt *stmt;
	Oid			orig;			/* reltablespace of the relations it moves */
	List	   *roles;			/* OWNED BY, or NIL */
} SGMoveAll;

static bool
sg_is_moved(Form_pg_class form, void *arg)
{
	SGMoveAll  *m = (SGMoveAll *) arg;
	ObjectType	objtype = m->stmt->objtype;

	if (form->reltablespace != m->orig || form->relisshared ||
		IsCatalogNamespace(form->relnamespace) ||
		IsToastNamespace(form->relnamespace) ||
		isAnyTempNamespace(form->relnamespace))
		return false;
	if ((objtype == OBJECT_TABLE && form->relkind != RELKIND_RELATION &&
		 form->relkind != RELKIND_PARTITIONED_TABLE) ||
		(objtype == OBJECT_INDEX && form->relkind != RELKIND_INDEX &&
		 form->relkind != RELKIND_PARTITIONED_INDEX) ||
		(objtype == OBJECT_MATVIEW && form->relkind != RELKIND_MATVIEW))
		return false;
	return m->roles == NIL || list_member_oid(m->roles, form->relowner);
}

/*
 * The relations ALTER TABLE | INDEX | MATERIALIZED VIEW ALL IN TABLESPACE
 * would move, each copied under an ACCESS EXCLUSIVE lock.
 */
List *
sg_move_all_relids(AlterTableMoveAllStmt *stmt)
{
	SGMoveAll	m;
	Oid			orig = get_tablespace_oid(stmt->orig_tablespacename, true);
	Oid			target = get_tablespace_oid(stmt->new_tablespacename, true);
	ListCell   *lc;

	if (!OidIsValid(orig) || !OidIsValid(target) || orig == target)
		return NIL;
	m.stmt = stmt;
	/* relations in the database's default tablespace say 0 */
	m.orig = (orig == MyDatabaseTableSpace) ? InvalidOid : orig;
	m.roles = NIL;
	foreach(lc, stmt->roles)
	{
		Oid			role = get_rolespec_oid(lfirst(lc), true);

		if (OidIsValid(role))
			m.roles = lappend_oid(m.roles, role);
	}
	if (stmt->roles != NIL && m.roles == NIL)
		return NIL;
	return sg_relids_where(sg_is_moved, &m);
}

static void
sg_check_move_all(SGContext *ctx, AlterTableMoveAllStmt *stmt)
{
	int			n;
	SGRelInfo  *ri;

	/*
	 * With NOWAIT the statement fails at once on a relation another session
	 * holds; measuring the relations would wait for it instead.
	 */
	if (stmt->nowait)
		return;
	ri = sg_largest_large_rel(ctx, sg_move_all_relids(stmt), &n);
	if (ri == NULL)
		return;
	sg_report(ctx, ri, NULL, AccessExclusiveLock,
			  psprintf("ALL IN TABLESPACE \"%s\" moves %s \"%s\" to tablespace \"%s\", copying it",
					   stmt->orig_tablespacename, sg_relkind_word(ri->relkind),
					   ri->display, stmt->new_tablespacename),
			  psprintf("The statement moves %d relations one after another, each copied block by block under an ACCESS EXCLUSIVE lock held to the end of the transaction; this is the largest.",
					   n),
			  psprintf("Move the large relations online with a repack tool that supports tablespaces, then the rest when traffic is low, with a lock timeout so that the statement does not queue behind long transactions:\n"
					   "-- online, in a shell: pg_repack --table=%s --tablespace=%s --dbname=%s\n%s",
					   sg_shell_word(ri->qualified), sg_shell_word(stmt->new_tablespacename),
					   sg_database_word(),
					   sg_recipe_allowed(ctx, NULL, true)));
}

/*
 * The recipe for adding an identity or serial column: the column is added
 * without values, new rows get theirs from a sequence at once, existing
 * rows are backfilled in batches, and one short transaction makes it what
 * the statement makes it (NOT NULL proven by a validated CHECK first).  An
 * identity column gets its own sequence at the end, set past the values
 * handed out.  NULL when the column definition has more to it than the
 * recipe carries over (sequence options, other constraints).
 */
static char *
sg_sequence_column_recipe(SGRelInfo *ri, ColumnDef *def)
{
	Constraint *ident = sg_coldef_constraint(def, CONSTR_IDENTITY);
	StringInfoData buf;
	const char *qcol = quote_identifier(def->colname);
	char	   *type;
	char	   *seq;
	ListCell   *lc;

	foreach(lc, def->constraints)
	{
		Constraint *con = lfirst(lc);

		if (con != ident && con->contype != CONSTR_NOTNULL &&
			con->contype != CONSTR_NULL)
			return NULL;
	}
	if (def->identity || (ident != NULL && ident->options != NIL) ||
		def->collClause != NULL)
		return NULL;

	if (ident != NULL)
	{
		type = sg_coldef_type_text(def);
		seq = quote_qualified_identifier(ri->nspname,
										 ChooseRelationName(ri->relname, def->colname, "fill",
															get_rel_namespace(ri->relid), false));
	}
	else
	{
		const char *serial = strVal(llast(def->typeName->names));

		type = strcmp(serial, "smallserial") == 0 || strcmp(serial, "serial2") == 0 ? "smallint" :
			strcmp(serial, "serial") == 0 || strcmp(serial, "serial4") == 0 ? "integer" : "bigint";
		seq = quote_qualified_identifier(ri->nspname,
										 ChooseRelationName(ri->relname, def->colname, "seq",
															get_rel_namespace(ri->relid), false));
	}

	initStringInfo(&buf);
	appendStringInfo(&buf,
					 "Add the column without values, give new rows theirs from a sequence, backfill the existing rows in batches, then finish in one short transaction:\n"
					 "CREATE SEQUENCE %s AS %s;\n"
					 "ALTER TABLE %s ADD COLUMN %s %s;\n"
					 "ALTER TABLE %s ALTER COLUMN %s SET DEFAULT nextval(%s::regclass);\n",
					 seq, type, ri->qualified, qcol, type,
					 ri->qualified, qcol, quote_literal_cstr(seq));
	sg_append_backfill(&buf, ri, def->colname, psprintf("%s = DEFAULT", qcol),
					   psprintf("%s IS NULL", qcol));
	sg_append_not_null_recipe(&buf, ri, def->colname);
	appendStringInfoChar(&buf, '\n');
	if (ident != NULL)
		appendStringInfo(&buf,
						 "BEGIN; SET LOCAL lock_timeout = '5s'; SET LOCAL schemaguard.allow = 'drop_default';\n"
						 "ALTER TABLE %s ALTER COLUMN %s DROP DEFAULT;\n"
						 "ALTER TABLE %s ALTER COLUMN %s ADD GENERATED %s AS IDENTITY;\n"
						 "SELECT setval(pg_get_serial_sequence(%s, %s), nextval(%s), false);\n"
						 "DROP SEQUENCE %s;\n"
						 "COMMIT;",
						 ri->qualified, qcol,
						 ri->qualified, qcol,
						 ident->generated_when == ATTRIBUTE_IDENTITY_ALWAYS ? "ALWAYS" : "BY DEFAULT",
						 quote_literal_cstr(ri->qualified), quote_literal_cstr(def->colname),
						 quote_literal_cstr(seq), seq);
	else
		appendStringInfo(&buf, "ALTER SEQUENCE %s OWNED BY %s.%s;",
						 seq, ri->qualified, qcol);
	return buf.data;
}

void
sg_check_table_rewrite(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats;
	SGRelInfo  *ri = NULL;
	ListCell   *lc;

	if (IsA(stmt, AlterTableMoveAllStmt))
	{
		sg_check_move_all(ctx, (AlterTableMoveAllStmt *) stmt);
		return;
	}
	ats = castNode(AlterTableStmt, stmt);

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		const char *reason;
		SGRewriteKind kind;
		char	   *recipe;
		const char *column = NULL;

		reason = sg_cmd_rewrite_reason(cmd, &kind);
		if (reason == NULL)
			continue;
		if (ri == NULL)
		{
			ri = sg_alter_table_target(ctx, ats);
			if (ri == NULL)
				return;
			if (!sg_rel_is_large(ctx, ri))
				return;
		}
		if (sg_cmd_is_noop(cmd, ri))
			continue;
		if (cmd->subtype != AT_AddColumn && kind == SG_REWRITE_GENERATED &&
			!sg_column_is_stored_generated(ri->relid, cmd->name))
			continue;
		if (cmd->subtype == AT_AddColumn)
			column = ((ColumnDef *) cmd->def)->colname;
		else if (kind == SG_REWRITE_GENERATED)
			column = cmd->name;		/* SET EXPRESSION */

		if (kind == SG_REWRITE_SEQUENCE)
			recipe = sg_sequence_column_recipe(ri, (ColumnDef *) cmd->def);
		else
			recipe = NULL;
		if (recipe == NULL)
			recipe = psprintf("%s%s",
							  kind == SG_REWRITE_GENERATED ?
							  "There is no way to compute a stored generated column for every row without holding the lock "
							  "(a plain column kept by a trigger and backfilled in batches avoids it, but is not a generated column); "
							  "make the change when traffic is low, with a lock timeout so that it does not queue behind long transactions:\n" :
							  kind == SG_REWRITE_TABLESPACE ?
							  "Moving a table copies every block under the lock: move it online with a repack tool that supports tablespaces, "
							  "or when traffic is low, with a lock timeout so that it does not queue behind long transactions:\n" :
							  "There is no way to make this change without copying the table under the lock: repack it online where a tool supports the change, "
							  "or make the change when traffic is low, with a lock timeout so that it does not queue behind long transactions:\n",
							  kind == SG_REWRITE_TABLESPACE && cmd->name != NULL ?
							  psprintf("-- online, in a shell: pg_repack --table=%s --tablespace=%s --dbname=%s\n%s",
									   sg_shell_word(ri->qualified), sg_shell_word(cmd->name),
									   sg_database_word(),
									   sg_recipe_allowed(ctx, NULL, true)) :
							  sg_recipe_allowed(ctx, NULL, true));

		sg_report(ctx, ri, column, AccessExclusiveLock,
				  psprintf("%s rewrites table \"%s\"", reason, ri->display),
				  "Every row is copied into a new file while the lock is held.",
				  recipe);
	}
}

static char *
sg_rewrite_reason_text(int reason)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (reason & AT_REWRITE_ALTER_PERSISTENCE)
		appendStringInfoString(&buf, "persistence change");
	if (reason & AT_REWRITE_DEFAULT_VAL)
		appendStringInfo(&buf, "%sdefault value", buf.len ? ", " : "");
	if (reason & AT_REWRITE_COLUMN_REWRITE)
		appendStringInfo(&buf, "%scolumn rewrite", buf.len ? ", " : "");
	if (reason & AT_REWRITE_ACCESS_METHOD)
		appendStringInfo(&buf, "%saccess method change", buf.len ? ", " : "");
	if (buf.len == 0)
		appendStringInfo(&buf, "%d", reason);
	return buf.data;
}

/*
 * The safety net: schemaguard.table_rewrite_guard(), an event trigger on
 * table_rewrite.  The server calls it right before it rewrites a table;
 * rewrites that the static checks already judged pass.
 */
PG_FUNCTION_INFO_V1(sg_table_rewrite_guard);

Datum
sg_table_rewrite_guard(PG_FUNCTION_ARGS)
{
	Oid			relid;
	int			reason;
	SGContext	ctx;
	SGRelInfo  *ri;
	int			rule = sg_rule_index("table_rewrite");

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("schemaguard.table_rewrite_guard() must be called as an event trigger")));

	if (!sg_guard_active() || sg_rule_level(rule) == SG_LEVEL_OFF)
		PG_RETURN_VOID();

	relid = DatumGetObjectId(OidFunctionCall0(F_PG_EVENT_TRIGGER_TABLE_REWRITE_OID));
	reason = DatumGetInt32(OidFunctionCall0(F_PG_EVENT_TRIGGER_TABLE_REWRITE_REASON));
	if (list_member_oid(sg_judged_rewrites, relid))
		PG_RETURN_VOID();

	sg_context_init(&ctx, NULL, -1, 0, PROCESS_UTILITY_SUBCOMMAND);
	ri = sg_relinfo_oid(&ctx, relid);
	if (ri == NULL || sg_rel_exempt(&ctx, ri) || !sg_rel_is_large(&ctx, ri))
		PG_RETURN_VOID();

	ctx.rule = &sg_rules[rule];
	ctx.rule_index = rule;
	sg_report(&ctx, ri, NULL, AccessExclusiveLock,
			  psprintf("%s is about to rewrite table \"%s\"",
					   GetCommandTagName(((EventTriggerData *) fcinfo->context)->tag),
					   ri->display),
			  psprintf("Every row is copied into a new file while the lock is held (the server's rewrite reason: %s).",
					   sg_rewrite_reason_text(reason)),
			  "Find a way to make the change without rewriting the table (see the rule's documentation), "
			  "or make it in a maintenance window.");
	sg_raise_violations(&ctx);
	PG_RETURN_VOID();
}
