/*-------------------------------------------------------------------------
 *
 * rules_advice_fk.c
 *		foreign_key_without_index: a foreign key whose referencing columns
 *		no index starts with.
 *
 * Every DELETE of a referenced row, and every UPDATE of its key, makes the
 * server look up the referencing rows by the foreign key's columns.  With
 * no index that starts with those columns each lookup reads the whole
 * referencing table, while the referenced row stays locked: deletes slow
 * down as the table grows and pile up behind each other.
 *
 * A migration often adds the foreign key first and its index a statement
 * later, in the same transaction, so the rule judges what the server has
 * when the transaction commits, not the statement:
 *	- the object access hook notes every constraint the server creates
 *	  (OAT_POST_CREATE on pg_constraint), whatever the statement: ADD
 *	  FOREIGN KEY, CREATE TABLE ... REFERENCES, a foreign key re-created by
 *	  ALTER COLUMN ... TYPE;
 *	- DROP INDEX notes the foreign keys of its table that the index covers;
 *	- at XACT_EVENT_PRE_COMMIT (and PRE_PREPARE) each noted constraint that
 *	  still exists, is a foreign key and is not the copy of a partitioned
 *	  table's foreign key on a partition (conparentid) is judged from the
 *	  catalog.  Constraints of an aborted subtransaction no longer exist.
 *
 * Covered means: a valid, live index of the referencing table (for a
 * partitioned table, its partitioned index, which is valid only once every
 * partition has one) whose first n key columns are the n columns of the
 * foreign key, in any order; btree, or hash for one column; partial only if
 * its predicate follows from the columns being NOT NULL, as the lookup's
 * equality implies.  An INVALID index (a failed CREATE INDEX CONCURRENTLY)
 * serves no lookup and does not count; an index being built concurrently
 * cannot exist within the transaction that adds the key.
 *
 * DROP INDEX CONCURRENTLY commits inside the statement, so it is judged
 * before it runs, without the indexes it drops.
 *
 * check() sees a script, not a transaction: a foreign key the script adds
 * is covered by an index of the live table, by a PRIMARY KEY or UNIQUE
 * constraint of the same statement, or by a CREATE INDEX, ADD PRIMARY KEY
 * or ADD UNIQUE anywhere in the script on the same table (by name).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_index.h"
#include "commands/defrem.h"
#include "nodes/makefuncs.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "schemaguard.h"

#define SG_FK_RULE "foreign_key_without_index"

/* constraints created, or foreign keys uncovered, in this transaction */
static List *sg_fk_noted = NIL;

/* ----------------------------------------------------------------
 * Is a foreign key covered? (the catalog)
 * ----------------------------------------------------------------
 */

/*
 * Does the index (its pg_index tuple) start with exactly the columns
 * keys[0..n-1], in some order, and serve an equality lookup on them?
 */
static bool
sg_index_covers(Relation pg_index, HeapTuple itup, Oid relid,
				const int16 *keys, int n)
{
	Form_pg_index idx = (Form_pg_index) GETSTRUCT(itup);
	HeapTuple	ctup;
	Oid			relam;
	bool		isnull;
	Datum		d;

	if (!idx->indisvalid || !idx->indislive || idx->indnkeyatts < n)
		return false;
	for (int i = 0; i < n; i++)
	{
		bool		in_index = false;
		bool		in_key = false;

		for (int j = 0; j < n; j++)
		{
			in_key |= (idx->indkey.values[i] == keys[j]);
			in_index |= (idx->indkey.values[j] == keys[i]);
		}
		if (!in_key || !in_index)
			return false;
	}

	ctup = SearchSysCache1(RELOID, ObjectIdGetDatum(idx->indexrelid));
	if (!HeapTupleIsValid(ctup))
		return false;
	relam = ((Form_pg_class) GETSTRUCT(ctup))->relam;
	ReleaseSysCache(ctup);
	if (relam != BTREE_AM_OID && !(relam == HASH_AM_OID && n == 1))
		return false;

	/* a partial index serves the lookup when NOT NULL implies its predicate */
	d = heap_getattr(itup, Anum_pg_index_indpred, RelationGetDescr(pg_index), &isnull);
	if (!isnull)
	{
		List	   *pred = make_ands_implicit((Expr *) stringToNode(TextDatumGetCString(d)));
		List	   *notnull = NIL;

		for (int i = 0; i < n; i++)
		{
			Oid			typid;
			int32		typmod;
			Oid			collid;
			NullTest   *nt = makeNode(NullTest);

			get_atttypetypmodcoll(relid, keys[i], &typid, &typmod, &collid);
			nt->arg = (Expr *) makeVar(1, keys[i], typid, typmod, collid, 0);
			nt->nulltesttype = IS_NOT_NULL;
			nt->argisrow = false;
			nt->location = -1;
			notnull = lappend(notnull, nt);
		}
		if (!predicate_implied_by(pred, notnull, false))
			return false;
	}
	return true;
}

/*
 * Does an index of relid, other than those in "excluded" (or only "only",
 * when it is valid), cover the columns?
 */
static bool
sg_fk_covered(Oid relid, const int16 *keys, int n, List *excluded, Oid only)
{
	Relation	rel = table_open(IndexRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		covered = false;

	ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, IndexIndrelidIndexId, true, NULL, 1, &key);
	while (!covered && HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Oid			indexoid = ((Form_pg_index) GETSTRUCT(tup))->indexrelid;

		if (list_member_oid(excluded, indexoid) ||
			(OidIsValid(only) && indexoid != only))
			continue;
		covered = sg_index_covers(rel, tup, relid, keys, n);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return covered;
}

/* A foreign key's facts, from its pg_constraint row */
typedef struct SGForeignKey
{
	Oid			conoid;
	char	   *conname;
	Oid			relid;			/* referencing table */
	Oid			confrelid;		/* referenced table */
	int			nkeys;
	int16	   *keys;
} SGForeignKey;

static bool
sg_fk_read(HeapTuple tup, SGForeignKey *fk)
{
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
	bool		isnull;
	Datum		d;
	ArrayType  *arr;

	if (con->contype != CONSTRAINT_FOREIGN || OidIsValid(con->conparentid))
		return false;
	d = SysCacheGetAttr(CONSTROID, tup, Anum_pg_constraint_conkey, &isnull);
	if (isnull)
		return false;
	arr = DatumGetArrayTypeP(d);
	fk->conoid = con->oid;
	fk->conname = pstrdup(NameStr(con->conname));
	fk->relid = con->conrelid;
	fk->confrelid = con->confrelid;
	fk->nkeys = ARR_DIMS(arr)[0];
	fk->keys = palloc(sizeof(int16) * fk->nkeys);
	memcpy(fk->keys, ARR_DATA_PTR(arr), sizeof(int16) * fk->nkeys);
	return true;
}

/* The foreign keys of a table (not the copies of a parent's) */
static List *
sg_table_foreign_keys(Oid relid)
{
	Relation	rel = table_open(ConstraintRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *fks = NIL;

	ScanKeyInit(&key, Anum_pg_constraint_conrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, ConstraintRelidTypidNameIndexId, true,
							  NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		SGForeignKey *fk = palloc0(sizeof(SGForeignKey));

		if (sg_fk_read(tup, fk))
			fks = lappend(fks, fk);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return fks;
}

/* ----------------------------------------------------------------
 * The report and its recipe
 * ----------------------------------------------------------------
 */

/*
 * The index to build: in the transaction when the table is new (a plain
 * CREATE INDEX on an empty table is quick), otherwise CONCURRENTLY, which
 * cannot run inside a transaction block; partition by partition for a
 * partitioned table that exists.
 */
static char *
sg_fk_recipe(SGContext *ctx, SGRelInfo *ri, const char *nspname,
			 const char *relname, Oid nspid, List *cols, bool new_table)
{
	char	   *idxname = ChooseRelationName(relname, sg_name_list(cols, "_", false),
											 "idx", nspid, false);
	char	   *colstext = sg_name_list(cols, ", ", true);
	char	   *qualified = quote_qualified_identifier(nspname, relname);

	if (new_table)
		return psprintf("The table is new: index the columns in the same transaction, before it commits:\n"
						"CREATE INDEX %s ON %s (%s);",
						quote_identifier(idxname), qualified, colstext);
	if (ri != NULL && ri->relkind == RELKIND_PARTITIONED_TABLE)
	{
		IndexStmt  *is = makeNode(IndexStmt);
		IndexElem  *first = makeNode(IndexElem);

		first->name = strVal(linitial(cols));
		is->indexParams = list_make1(first);
		is->idxname = idxname;
		return sg_partitioned_index_recipe(ctx, is, ri, psprintf("(%s)", colstext));
	}
	return psprintf("Build the index without blocking writes, in a statement of its own outside a transaction block "
					"(CREATE INDEX CONCURRENTLY cannot run inside one; with a migration tool, a migration of its own "
					"that runs without a transaction):\n"
					"CREATE INDEX CONCURRENTLY %s ON %s (%s);",
					quote_identifier(idxname), qualified, colstext);
}

static char *
sg_fk_detail(const char *refdisplay, const char *display, List *cols)
{
	return psprintf("Every DELETE of a row of \"%s\", and every UPDATE of its key, looks up the referencing rows of \"%s\" by (%s): "
					"with no index that starts with those columns, each lookup reads the whole table while the referenced row stays locked, "
					"so deletes slow down as the table grows and pile up behind each other.",
					refdisplay ? refdisplay : "the referenced table", display,
					sg_name_list(cols, ", ", false));
}

static char *
sg_rel_display(Oid relid)
{
	char	   *name = get_rel_name(relid);

	if (name == NULL)
		return NULL;
	return psprintf("%s.%s", get_namespace_name(get_rel_namespace(relid)), name);
}

/* Report an uncovered foreign key of an existing table */
static void
sg_fk_report(SGContext *ctx, SGForeignKey *fk, const char *why)
{
	SGRelInfo  *ri = sg_relinfo_oid(ctx, fk->relid);
	List	   *cols = NIL;

	if (ri == NULL || ri->relpersistence == RELPERSISTENCE_TEMP ||
		(ri->relkind != RELKIND_RELATION && ri->relkind != RELKIND_PARTITIONED_TABLE))
		return;
	for (int i = 0; i < fk->nkeys; i++)
	{
		char	   *att = get_attname(fk->relid, fk->keys[i], true);

		if (att == NULL)
			return;
		cols = lappend(cols, makeString(att));
	}
	sg_report(ctx, ri, list_length(cols) == 1 ? strVal(linitial(cols)) : NULL,
			  NoLock,
			  psprintf("foreign key \"%s\" of table \"%s\" (%s) has no index that starts with its columns%s",
					   fk->conname, ri->display, sg_name_list(cols, ", ", false), why),
			  sg_fk_detail(sg_rel_display(fk->confrelid), ri->display, cols),
			  sg_fk_recipe(ctx, ri, ri->nspname, ri->relname,
						   get_rel_namespace(ri->relid), cols,
						   ri->created_in_xact && !ctx->dry_run));
}

/* ----------------------------------------------------------------
 * The transaction: noting and judging
 * ----------------------------------------------------------------
 */
static void
sg_fk_note(Oid conoid)
{
	MemoryContext old = MemoryContextSwitchTo(TopTransactionContext);

	sg_fk_noted = list_append_unique_oid(sg_fk_noted, conoid);
	MemoryContextSwitchTo(old);
}

/*
 * The server has created a constraint: note it, to be judged at commit.
 * Nothing else is done here; most constraints are not foreign keys.
 */
void
sg_fk_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					int subId, void *arg)
{
	if (access != OAT_POST_CREATE || classId != ConstraintRelationId ||
		!sg_guard_active() ||
		sg_rule_level(sg_rule_index(SG_FK_RULE)) == SG_LEVEL_OFF)
		return;
	sg_fk_note(objectId);
}

static void
sg_fk_judge_noted(List *noted)
{
	SGContext	ctx;
	MemoryContext cxt;
	MemoryContext old;
	ListCell   *lc;

	if (!sg_guard_active())
		return;
	cxt = AllocSetContextCreate(CurrentMemoryContext, "schemaguard foreign keys",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	sg_context_init(&ctx, NULL, -1, 0, PROCESS_UTILITY_TOPLEVEL);
	/* the server created the keys or dropped the indexes: it checked */
	ctx.privileges_checked = true;
	if (sg_context_set_rule(&ctx, SG_FK_RULE))
	{
		foreach(lc, noted)
		{
			HeapTuple	tup = SearchSysCache1(CONSTROID,
											  ObjectIdGetDatum(lfirst_oid(lc)));
			SGForeignKey fk;
			bool		isfk;

			if (!HeapTupleIsValid(tup))
				continue;		/* dropped again, or rolled back */
			isfk = sg_fk_read(tup, &fk);
			ReleaseSysCache(tup);
			if (isfk && !sg_fk_covered(fk.relid, fk.keys, fk.nkeys, NIL, InvalidOid))
				sg_fk_report(&ctx, &fk, ", as this transaction commits");
		}
		/* an ERROR here aborts the transaction instead of committing it */
		sg_raise_violations(&ctx);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

void
sg_fk_xact(XactEvent event)
{
	List	   *noted = sg_fk_noted;

	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
		case XACT_EVENT_PRE_PREPARE:
			sg_fk_noted = NIL;
			if (noted != NIL)
				sg_fk_judge_noted(noted);
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/* the memory goes away with TopTransactionContext */
			sg_fk_noted = NIL;
			break;
		default:
			break;
	}
}

/* ----------------------------------------------------------------
 * DROP INDEX
 * ----------------------------------------------------------------
 */

/* The existing indexes a DROP INDEX names */
static List *
sg_dropped_indexes(DropStmt *ds)
{
	List	   *oids = NIL;
	ListCell   *lc;

	foreach(lc, ds->objects)
	{
		Oid			indexoid;

		if (!IsA(lfirst(lc), List))
			continue;
		indexoid = RangeVarGetRelid(makeRangeVarFromNameList((List *) lfirst(lc)),
									NoLock, true);
		if (OidIsValid(indexoid) &&
			(get_rel_relkind(indexoid) == RELKIND_INDEX ||
			 get_rel_relkind(indexoid) == RELKIND_PARTITIONED_INDEX))
			oids = lappend_oid(oids, indexoid);
	}
	return oids;
}

/*
 * Does a CREATE INDEX, PRIMARY KEY or UNIQUE of the script cover the
 * columns of the named table?  (check() only.)
 */
static bool sg_script_covers(SGContext *ctx, RangeVar *rv, List *cols);

static void
sg_check_drop_index(SGContext *ctx, DropStmt *ds)
{
	List	   *dropped = sg_dropped_indexes(ds);
	ListCell   *lc;

	foreach(lc, dropped)
	{
		Oid			indexoid = lfirst_oid(lc);
		Oid			relid = IndexGetRelation(indexoid, true);
		ListCell   *lc2;

		if (!OidIsValid(relid) || get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
			continue;
		foreach(lc2, sg_table_foreign_keys(relid))
		{
			SGForeignKey *fk = lfirst(lc2);
			List	   *cols = NIL;
			RangeVar   *rv;

			/* only the keys this index covers now */
			if (!sg_fk_covered(relid, fk->keys, fk->nkeys, NIL, indexoid))
				continue;
			/* judged when the transaction commits: a new index may follow */
			if (!ds->concurrent && !ctx->dry_run)
			{
				sg_fk_note(fk->conoid);
				continue;
			}
			if (sg_fk_covered(relid, fk->keys, fk->nkeys, dropped, InvalidOid))
				continue;
			for (int i = 0; i < fk->nkeys; i++)
				cols = lappend(cols, makeString(get_attname(relid, fk->keys[i], false)));
			rv = makeRangeVar(get_namespace_name(get_rel_namespace(relid)),
							  get_rel_name(relid), -1);
			if (ctx->dry_run && sg_script_covers(ctx, rv, cols))
				continue;
			sg_fk_report(ctx, fk, psprintf(" once index \"%s\" is dropped",
										   get_rel_name(indexoid)));
		}
	}
}

/* ----------------------------------------------------------------
 * check(): the script
 * ----------------------------------------------------------------
 */

/* Do two RangeVars of a script name the same table? (schemas if both say) */
static bool
sg_same_table(RangeVar *a, RangeVar *b)
{
	if (a == NULL || b == NULL || strcmp(a->relname, b->relname) != 0)
		return false;
	return a->schemaname == NULL || b->schemaname == NULL ||
		strcmp(a->schemaname, b->schemaname) == 0;
}

/* do the first names of "keys" (String nodes) make up the set "cols"? */
static bool
sg_keys_lead_with(List *keys, List *cols)
{
	int			n = list_length(cols);
	ListCell   *lc;

	if (list_length(keys) < n)
		return false;
	foreach(lc, cols)
	{
		bool		found = false;

		for (int i = 0; i < n; i++)
		{
			Node	   *k = list_nth(keys, i);

			if (k != NULL && IsA(k, String) &&
				strcmp(strVal(k), strVal(lfirst(lc))) == 0)
				found = true;
		}
		if (!found)
			return false;
	}
	return true;
}

/* the columns of an index's leading plain-column elements, as String nodes */
static List *
sg_index_elem_names(List *params)
{
	List	   *names = NIL;
	ListCell   *lc;

	foreach(lc, params)
	{
		IndexElem  *e = lfirst_node(IndexElem, lc);

		/* an expression ends the plain columns a lookup can use */
		if (e->name == NULL)
			break;
		names = lappend(names, makeString(e->name));
	}
	return names;
}

/*
 * The constraints of a CREATE TABLE's elements (or of column definitions),
 * those of a column written as table constraints: a column's PRIMARY KEY
 * or UNIQUE with the column as its key, its REFERENCES with the column as
 * the referencing one.
 */
static List *
sg_element_constraints(List *elts)
{
	List	   *result = NIL;
	ListCell   *lc;

	foreach(lc, elts)
	{
		Node	   *n = lfirst(lc);
		ListCell   *lc2;

		if (n == NULL)
			continue;
		if (!IsA(n, ColumnDef))
		{
			if (IsA(n, Constraint))
				result = lappend(result, n);
			continue;
		}
		foreach(lc2, ((ColumnDef *) n)->constraints)
		{
			Constraint *con = copyObject(lfirst_node(Constraint, lc2));
			List	   *col = list_make1(makeString(((ColumnDef *) n)->colname));

			if (con->contype == CONSTR_FOREIGN)
				con->fk_attrs = col;
			else
				con->keys = col;
			result = lappend(result, con);
		}
	}
	return result;
}

/* a PRIMARY KEY or UNIQUE constraint among the elements covering cols */
static bool
sg_elements_cover(List *elts, List *cols)
{
	ListCell   *lc;

	foreach(lc, sg_element_constraints(elts))
	{
		Constraint *con = lfirst(lc);

		if ((con->contype == CONSTR_PRIMARY || con->contype == CONSTR_UNIQUE) &&
			sg_keys_lead_with(con->keys, cols))
			return true;
	}
	return false;
}

static bool
sg_statement_covers(Node *stmt, RangeVar *rv, List *cols)
{
	if (IsA(stmt, IndexStmt))
	{
		IndexStmt  *is = (IndexStmt *) stmt;
		const char *am = is->accessMethod ? is->accessMethod : "btree";

		return sg_same_table(is->relation, rv) && is->whereClause == NULL &&
			(strcmp(am, "btree") == 0 ||
			 (strcmp(am, "hash") == 0 && list_length(cols) == 1)) &&
			sg_keys_lead_with(sg_index_elem_names(is->indexParams), cols);
	}
	if (IsA(stmt, CreateStmt))
	{
		CreateStmt *cs = (CreateStmt *) stmt;

		return sg_same_table(cs->relation, rv) &&
			(sg_elements_cover(cs->tableElts, cols) ||
			 sg_elements_cover(cs->constraints, cols));
	}
	if (IsA(stmt, AlterTableStmt))
	{
		AlterTableStmt *ats = (AlterTableStmt *) stmt;
		ListCell   *lc;

		if (!sg_same_table(ats->relation, rv))
			return false;
		foreach(lc, ats->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

			if ((cmd->subtype == AT_AddConstraint || cmd->subtype == AT_AddColumn) &&
				sg_elements_cover(list_make1(cmd->def), cols))
				return true;
		}
	}
	return false;
}

static bool
sg_script_covers(SGContext *ctx, RangeVar *rv, List *cols)
{
	ListCell   *lc;

	foreach(lc, ctx->script)
	{
		if (sg_statement_covers(lfirst_node(RawStmt, lc)->stmt, rv, cols))
			return true;
	}
	return false;
}

/* The foreign keys among the elements, with their referencing columns */
static List *
sg_element_fks(List *elts)
{
	List	   *fks = NIL;
	ListCell   *lc;

	foreach(lc, sg_element_constraints(elts))
	{
		if (((Constraint *) lfirst(lc))->contype == CONSTR_FOREIGN)
			fks = lappend(fks, lfirst(lc));
	}
	return fks;
}

/* the live table's attribute numbers of the columns; false if one is missing */
static bool
sg_attnums(Oid relid, List *cols, int16 *keys)
{
	ListCell   *lc;

	foreach(lc, cols)
	{
		AttrNumber	a = get_attnum(relid, strVal(lfirst(lc)));

		if (a <= 0)
			return false;
		keys[foreach_current_index(lc)] = a;
	}
	return true;
}

static void
sg_check_script_fks(SGContext *ctx, Node *stmt)
{
	RangeVar   *rv;
	List	   *fks = NIL;
	Oid			relid;
	ListCell   *lc;

	if (IsA(stmt, CreateStmt))
	{
		CreateStmt *cs = (CreateStmt *) stmt;

		rv = cs->relation;
		fks = sg_element_fks(list_concat(list_copy(cs->tableElts), cs->constraints));
	}
	else
	{
		AlterTableStmt *ats = (AlterTableStmt *) stmt;

		if (ats->objtype != OBJECT_TABLE)
			return;
		rv = ats->relation;
		foreach(lc, ats->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

			if (cmd->subtype == AT_AddConstraint || cmd->subtype == AT_AddColumn)
				fks = list_concat(fks, sg_element_fks(list_make1(cmd->def)));
		}
	}
	if (fks == NIL || rv == NULL || rv->relpersistence == RELPERSISTENCE_TEMP ||
		(rv->schemaname != NULL && strcmp(rv->schemaname, "pg_temp") == 0))
		return;
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (OidIsValid(relid) && get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
		return;
	/* CREATE TABLE IF NOT EXISTS of an existing table adds nothing */
	if (IsA(stmt, CreateStmt) && ((CreateStmt *) stmt)->if_not_exists &&
		OidIsValid(relid))
		return;

	foreach(lc, fks)
	{
		Constraint *con = lfirst(lc);
		List	   *cols = con->fk_attrs;
		int16	   *keys = palloc(sizeof(int16) * Max(list_length(cols), 1));
		char	   *nspname;
		Oid			nspid;
		Oid			refid;
		char	   *display;
		char	   *conname;
		bool		new_table = IsA(stmt, CreateStmt);

		if (cols == NIL || sg_statement_covers(stmt, rv, cols) ||
			sg_script_covers(ctx, rv, cols))
			continue;
		if (!new_table && OidIsValid(relid) && sg_attnums(relid, cols, keys) &&
			sg_fk_covered(relid, keys, list_length(cols), NIL, InvalidOid))
			continue;

		if (!new_table && OidIsValid(relid))
		{
			nspid = get_rel_namespace(relid);
			nspname = get_namespace_name(nspid);
		}
		else if (rv->schemaname != NULL)
		{
			nspname = rv->schemaname;
			nspid = get_namespace_oid(nspname, true);
		}
		else
		{
			nspid = RangeVarGetCreationNamespace(rv);
			nspname = get_namespace_name(nspid);
		}
		display = psprintf("%s.%s", nspname, rv->relname);
		refid = RangeVarGetRelid(con->pktable, NoLock, true);
		/* the name the server will choose, when the statement gives none */
		conname = con->conname ? con->conname :
			ChooseConstraintName(rv->relname, sg_name_list(cols, "_", false),
								 "fkey", nspid, NIL);
		sg_report_column_object(ctx, nspname, rv->relname,
								list_length(cols) == 1 ? strVal(linitial(cols)) : NULL,
								display,
								psprintf("foreign key \"%s\" of table \"%s\" (%s) has no index that starts with its columns",
										 conname, display, sg_name_list(cols, ", ", false)),
								sg_fk_detail(OidIsValid(refid) ? sg_rel_display(refid) : con->pktable->relname,
											 display, cols),
								sg_fk_recipe(ctx, OidIsValid(relid) ? sg_relinfo_oid(ctx, relid) : NULL,
											 nspname, rv->relname, nspid, cols,
											 new_table || !OidIsValid(relid)));
	}
}

/* ----------------------------------------------------------------
 * The rule's statement check
 * ----------------------------------------------------------------
 */
void
sg_check_foreign_key_without_index(SGContext *ctx, Node *stmt)
{
	if (IsA(stmt, DropStmt))
	{
		DropStmt   *ds = (DropStmt *) stmt;

		if (ds->removeType == OBJECT_INDEX)
			sg_check_drop_index(ctx, ds);
		return;
	}
	/* the guard judges what the server creates, when the transaction commits */
	if (!ctx->dry_run)
		return;
	sg_check_script_fks(ctx, stmt);
}
