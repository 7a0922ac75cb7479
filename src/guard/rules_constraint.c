/*-------------------------------------------------------------------------
 *
 * rules_constraint.c
 *		Rule checks for constraints and partitions that validate or index a
 *		whole table while holding a lock that blocks traffic:
 *		add_foreign_key_validated, add_check_validated,
 *		add_unique_constraint, attach_partition_scan and
 *		detach_partition_not_concurrent.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "lib/stringinfo.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "parser/parse_node.h"
#include "parser/parse_type.h"
#include "parser/parse_utilcmd.h"
#include "partitioning/partbounds.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/partcache.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "access/heapam.h"
#include "access/tableam.h"
#include "catalog/pg_attribute.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "schemaguard.h"

/*
 * A constraint of an ALTER TABLE: a table constraint of ADD CONSTRAINT, or
 * a column constraint of ADD COLUMN (then "column" is set).
 */
typedef struct SGAddedConstraint
{
	Constraint *con;
	ColumnDef  *column;
} SGAddedConstraint;

static List *
sg_added_constraints(AlterTableStmt *ats, ConstrType contype)
{
	List	   *result = NIL;
	ListCell   *lc;
	Oid			relid = RangeVarGetRelid(ats->relation, NoLock, true);

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

		if (cmd->subtype == AT_AddConstraint && cmd->def != NULL &&
			IsA(cmd->def, Constraint) &&
			((Constraint *) cmd->def)->contype == contype)
		{
			SGAddedConstraint *ac = palloc0(sizeof(SGAddedConstraint));

			ac->con = (Constraint *) cmd->def;
			result = lappend(result, ac);
		}
		else if (cmd->subtype == AT_AddColumn && cmd->def != NULL &&
				 IsA(cmd->def, ColumnDef) && !sg_add_column_skipped(relid, cmd))
		{
			ColumnDef  *def = (ColumnDef *) cmd->def;
			ListCell   *lc2;

			foreach(lc2, def->constraints)
			{
				Constraint *con = lfirst_node(Constraint, lc2);
				ListCell   *lc3;
				bool		enforced = true;

				if (con->contype != contype)
					continue;
				/* a NOT ENFORCED attribute after it: nothing is checked (18+) */
				for_each_cell(lc3, def->constraints, lnext(def->constraints, lc2))
				{
					Constraint *attr = lfirst_node(Constraint, lc3);

					if (SG_CONSTR_IS_NOT_ENFORCED_ATTR(attr))
						enforced = false;
					else if (!SG_CONSTR_IS_ENFORCEMENT_ATTR(attr) &&
							 attr->contype != CONSTR_ATTR_DEFERRABLE &&
							 attr->contype != CONSTR_ATTR_NOT_DEFERRABLE &&
							 attr->contype != CONSTR_ATTR_DEFERRED &&
							 attr->contype != CONSTR_ATTR_IMMEDIATE)
						break;
				}
				if (enforced)
				{
					SGAddedConstraint *ac = palloc0(sizeof(SGAddedConstraint));

					ac->con = con;
					ac->column = def;
					result = lappend(result, ac);
				}
			}
		}
	}
	return result;
}

char *
sg_name_list(List *names, const char *sep, bool quote)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, names)
	{
		const char *name = strVal(lfirst(lc));

		if (buf.len > 0)
			appendStringInfoString(&buf, sep);
		appendStringInfoString(&buf, quote ? quote_identifier(name) : name);
	}
	return buf.data;
}

/* The constraint's own name, or one chosen for the recipe */
static char *
sg_constraint_name(SGRelInfo *ri, Constraint *con, const char *column,
				   const char *label)
{
	if (con->conname != NULL)
		return con->conname;
	return ChooseConstraintName(ri->relname, column, label,
								get_rel_namespace(ri->relid), NIL);
}

/*
 * "ALTER TABLE t ADD COLUMN <the column as written, without con>;" for the
 * recipe of a column constraint that moves to a statement of its own; the
 * constraint's own text is set in *con_text (NULL if it cannot be cut).
 * Without the statement's text, the column is written from the parse tree
 * when it has nothing but a type, and otherwise a comment says what to
 * keep.
 */
static char *
sg_add_column_without(SGContext *ctx, SGRelInfo *ri, ColumnDef *def,
					  Constraint *con, char **con_text)
{
	char	   *column;
	ListCell   *lc;
	bool		plain = def->collClause == NULL;

	if (sg_split_column_constraint(ctx, def, con, &column, con_text))
		return psprintf("ALTER TABLE %s ADD COLUMN %s;\n", ri->qualified, column);
	*con_text = NULL;
	foreach(lc, def->constraints)
	{
		Node	   *item = lfirst(lc);

		if (item != (Node *) con && IsA(item, Constraint) &&
			((Constraint *) item)->contype != CONSTR_ATTR_DEFERRABLE &&
			((Constraint *) item)->contype != CONSTR_ATTR_NOT_DEFERRABLE &&
			((Constraint *) item)->contype != CONSTR_ATTR_DEFERRED &&
			((Constraint *) item)->contype != CONSTR_ATTR_IMMEDIATE)
			plain = false;
	}
	return psprintf("ALTER TABLE %s ADD COLUMN %s %s;%s\n",
					ri->qualified, quote_identifier(def->colname),
					sg_coldef_type_text(def),
					plain ? "" : "  -- with the column's other clauses as in your statement");
}

/* the referenced table, schema-qualified when it exists */
static char *
sg_pktable_name(RangeVar *rv)
{
	Oid			relid;

	if (rv == NULL)
		return "?";
	relid = RangeVarGetRelid(rv, NoLock, true);
	if (OidIsValid(relid))
		return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
										  get_rel_name(relid));
	return rv->schemaname ? quote_qualified_identifier(rv->schemaname, rv->relname) :
		(char *) quote_identifier(rv->relname);
}

/* ----------------------------------------------------------------
 * ALTER CONSTRAINT ... ENFORCED: add_foreign_key_validated and
 * add_check_validated
 * ----------------------------------------------------------------
 */

/*
 * ALTER TABLE ... ALTER CONSTRAINT c ENFORCED of a NOT ENFORCED foreign
 * key (18+) or CHECK constraint (19+) marks it valid and has ALTER TABLE's
 * phase 3 check every row of every leaf table under the ACCESS EXCLUSIVE
 * lock of the command; a foreign key's triggers are created on the
 * referenced table under SHARE ROW EXCLUSIVE (tablecmds.c,
 * ATExecAlterFKConstrEnforceability, ATExecAlterCheckConstrEnforceability).
 * A constraint that is enforced already is left alone.  The grammar
 * refuses ENFORCED NOT VALID, so the recipe drops the constraint and adds
 * it back NOT VALID, then validates it: the same constraint, enforced and
 * valid, as the statement leaves it.
 */
#ifdef SG_HAVE_ALTER_CONSTRAINT_ENFORCED
static void
sg_check_enforce_constraint(SGContext *ctx, AlterTableStmt *ats, char contype)
{
	SGRelInfo  *ri = NULL;
	ListCell   *lc;

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		char	   *conname = SG_ALTER_CONSTRAINT_ENFORCED(cmd);
		Oid			conoid;
		HeapTuple	tup;
		Form_pg_constraint con;
		bool		judged;
		bool		inherited;
		Oid			confrelid;
		const char *qcon;
		char	   *def;
		char	   *recipe;
		char	   *detail;
		size_t		len;
		const char *suffix = " NOT ENFORCED";

		if (conname == NULL)
			continue;
		if (ri == NULL)
		{
			ri = sg_alter_table_target(ctx, ats);
			if (ri == NULL || !sg_rel_is_large(ctx, ri))
				return;
		}
		conoid = get_relation_constraint_oid(ri->relid, conname, true);
		if (!OidIsValid(conoid))
			continue;			/* the server reports it */
		tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
		if (!HeapTupleIsValid(tup))
			continue;
		con = (Form_pg_constraint) GETSTRUCT(tup);
		/* a partition's copy of a foreign key: the server refuses it */
		judged = con->contype == contype && !con->conenforced &&
			!OidIsValid(con->conparentid);
		inherited = con->coninhcount > 0;
		confrelid = con->confrelid;
		ReleaseSysCache(tup);
		if (!judged)
			continue;

		qcon = quote_identifier(conname);
		def = TextDatumGetCString(DirectFunctionCall1(pg_get_constraintdef,
													  ObjectIdGetDatum(conoid)));
		len = strlen(def);
		if (!inherited && len > strlen(suffix) &&
			strcmp(def + len - strlen(suffix), suffix) == 0)
		{
			def[len - strlen(suffix)] = '\0';
			recipe = psprintf("A constraint cannot be altered to NOT VALID: drop it and add it back NOT VALID in one short transaction (brief locks, no scan; it was not enforced before either), then validate it on its own (SHARE UPDATE EXCLUSIVE: reads and writes continue):\n"
							  "BEGIN; SET LOCAL lock_timeout = '5s';\n"
							  "ALTER TABLE %s DROP CONSTRAINT %s;\n"
							  "ALTER TABLE %s ADD CONSTRAINT %s %s NOT VALID;\n"
							  "COMMIT;\n"
							  "ALTER TABLE %s VALIDATE CONSTRAINT %s;",
							  ri->qualified, qcon, ri->qualified, qcon, def,
							  ri->qualified, qcon);
		}
		else
			recipe = psprintf("The constraint is inherited from a parent table, so it cannot be dropped and added back NOT VALID here: make the change when traffic is low, with a lock timeout:\n%s",
							  sg_recipe_allowed(ctx, NULL, true));

		if (contype == CONSTRAINT_FOREIGN)
			detail = psprintf("The foreign key's triggers are created on the referenced table %s, which is locked SHARE ROW EXCLUSIVE (writes blocked) while the check runs.",
							  quote_qualified_identifier(get_namespace_name(get_rel_namespace(confrelid)),
														 get_rel_name(confrelid)));
		else
			detail = "Every row is checked while the lock is held.";
		sg_report(ctx, ri, NULL, AlterTableGetLockLevel(ats->cmds),
				  psprintf("ALTER CONSTRAINT \"%s\" ENFORCED validates every row of table \"%s\" while blocking reads and writes",
						   conname, ri->display),
				  detail, recipe);
	}
}
#endif

/* ----------------------------------------------------------------
 * add_foreign_key_validated
 * ----------------------------------------------------------------
 */
void
sg_check_add_foreign_key_validated(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	List	   *cons = sg_added_constraints(ats, CONSTR_FOREIGN);
	SGRelInfo  *ri;
	ListCell   *lc;

#ifdef SG_HAVE_ALTER_CONSTRAINT_ENFORCED
	sg_check_enforce_constraint(ctx, ats, CONSTRAINT_FOREIGN);
#endif
	if (cons == NIL)
		return;
	ri = sg_alter_table_target(ctx, ats);
	if (ri == NULL || !sg_rel_is_large(ctx, ri))
		return;

	foreach(lc, cons)
	{
		SGAddedConstraint *ac = lfirst(lc);
		Constraint *con = ac->con;
		char	   *conname;
		char	   *qcon;
		char	   *pktable;
		StringInfoData recipe;
		LOCKMODE	lockmode;

		if (con->skip_validation)
			continue;			/* NOT VALID */

		pktable = sg_pktable_name(con->pktable);
		conname = sg_constraint_name(ri, con,
									 ac->column ? ac->column->colname :
									 (con->fk_attrs ? sg_name_list(con->fk_attrs, "_", false) : NULL),
									 "fkey");
		qcon = (char *) quote_identifier(conname);

		initStringInfo(&recipe);
		appendStringInfoString(&recipe,
							   "Add the constraint NOT VALID (brief lock, no scan), then validate it in its own transaction (SHARE UPDATE EXCLUSIVE: reads and writes continue):\n");
		if (ac->column != NULL)
		{
			char	   *con_text;
			char	   *table_form;

			appendStringInfoString(&recipe,
								   sg_add_column_without(ctx, ri, ac->column, con, &con_text));
			/* "[CONSTRAINT n] REFERENCES ..." -> "... FOREIGN KEY (c) REFERENCES ..." */
			table_form = con_text == NULL ? NULL :
				sg_text_before_keyword(con_text, "references",
									   psprintf("FOREIGN KEY (%s) ",
												quote_identifier(ac->column->colname)));
			if (table_form != NULL)
				appendStringInfo(&recipe, "ALTER TABLE %s ADD %s%s NOT VALID;\n",
								 ri->qualified,
								 con->conname ? "" : psprintf("CONSTRAINT %s ", qcon),
								 table_form);
			else
				appendStringInfo(&recipe,
								 "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s%s%s%s NOT VALID;\n",
								 ri->qualified, qcon, quote_identifier(ac->column->colname),
								 pktable,
								 con->pk_attrs ? " (" : "",
								 con->pk_attrs ? sg_name_list(con->pk_attrs, ", ", true) : "",
								 con->pk_attrs ? ")" : "");
		}
		else
		{
			char	   *clause = sg_text_clause(ctx, con->location);

			if (clause != NULL)
				appendStringInfo(&recipe, "ALTER TABLE %s ADD %s%s%s NOT VALID;\n",
								 ri->qualified,
								 con->conname ? "" : "CONSTRAINT ",
								 con->conname ? "" : psprintf("%s ", qcon),
								 clause);
			else
				appendStringInfo(&recipe,
								 "ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s (%s) NOT VALID;\n",
								 ri->qualified, qcon,
								 sg_name_list(con->fk_attrs, ", ", true), pktable,
								 sg_name_list(con->pk_attrs, ", ", true));
		}
		appendStringInfo(&recipe, "ALTER TABLE %s VALIDATE CONSTRAINT %s;",
						 ri->qualified, qcon);

		/* the lock of the whole statement: ADD COLUMN takes ACCESS EXCLUSIVE */
		lockmode = AlterTableGetLockLevel(ats->cmds);
		sg_report(ctx, ri, ac->column ? ac->column->colname : NULL,
				  lockmode,
				  psprintf("adding foreign key \"%s\" to table \"%s\" validates every row while blocking %s",
						   conname, ri->display,
						   lockmode >= AccessExclusiveLock ? "reads and writes" : "writes"),
				  lockmode == ShareRowExclusiveLock ?
				  psprintf("The referenced table %s is locked the same way while the check runs.", pktable) :
				  psprintf("The referenced table %s is locked in SHARE ROW EXCLUSIVE mode (writes blocked) while the check runs.", pktable),
				  recipe.data);
	}
}

/* ----------------------------------------------------------------
 * add_check_validated
 * ----------------------------------------------------------------
 */

/* ----------------------------------------------------------------
 * ALTER DOMAIN: add_check_validated and set_not_null
 * ----------------------------------------------------------------
 */
/* the domain and every domain defined over it, transitively */
static List *
sg_domain_family(Oid typid)
{
	List	   *family = list_make1_oid(typid);
	bool		added = true;

	while (added)
	{
		Relation	rel = table_open(TypeRelationId, AccessShareLock);
		TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
		HeapTuple	tup;

		added = false;
		while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
		{
			Form_pg_type form = (Form_pg_type) GETSTRUCT(tup);

			if (form->typtype == TYPTYPE_DOMAIN &&
				list_member_oid(family, form->typbasetype) &&
				!list_member_oid(family, form->oid))
			{
				family = lappend_oid(family, form->oid);
				added = true;
			}
		}
		table_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	return family;
}

/* the tables and materialized views with a column of one of these types */
static List *
sg_relids_with_column_of(List *typids)
{
	Relation	rel = table_open(AttributeRelationId, AccessShareLock);
	TableScanDesc scan = table_beginscan_catalog(rel, 0, NULL);
	HeapTuple	tup;
	List	   *relids = NIL;

	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_attribute att = (Form_pg_attribute) GETSTRUCT(tup);
		char		relkind;

		if (att->attnum <= 0 || att->attisdropped ||
			!list_member_oid(typids, att->atttypid))
			continue;
		relkind = get_rel_relkind(att->attrelid);
		if (relkind == RELKIND_RELATION || relkind == RELKIND_MATVIEW)
			relids = list_append_unique_oid(relids, att->attrelid);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	list_sort(relids, list_oid_cmp);
	return relids;
}

/*
 * ALTER DOMAIN ... ADD CONSTRAINT (a CHECK, or from 18 on a NOT NULL,
 * without NOT VALID) and ALTER DOMAIN ... SET NOT NULL check every column
 * of the domain, and of the domains over it, in every table, holding SHARE
 * on each (typecmds.c, validateDomainCheckConstraint and
 * validateDomainNotNullConstraint).  not_null: judge the NOT NULL forms
 * (set_not_null), else the CHECK form (add_check_validated).  The tables
 * are judged when the role owns the domain, as the statement requires.
 */
void
sg_check_alter_domain(SGContext *ctx, AlterDomainStmt *ads, bool not_null)
{
	Constraint *con = (ads->def != NULL && IsA(ads->def, Constraint)) ?
		(Constraint *) ads->def : NULL;
	bool		is_not_null;
	Oid			typid;
	char	   *typname;
	SGRelInfo  *largest;
	int			ntables;
	char	   *text;

	if (ads->subtype == 'O')
		is_not_null = true;
	else if (ads->subtype == 'C' && con != NULL && !con->skip_validation &&
			 (con->contype == CONSTR_CHECK || con->contype == CONSTR_NOTNULL))
		is_not_null = (con->contype == CONSTR_NOTNULL);
	else
		return;
	if (is_not_null != not_null)
		return;

	typid = LookupTypeNameOid(NULL, makeTypeNameFromNameList(ads->typeName), true);
	if (!OidIsValid(typid) || get_typtype(typid) != TYPTYPE_DOMAIN ||
		!SG_TYPE_OWNERCHECK(typid, GetUserId()))
		return;					/* the server reports it */
	/* the statement scans these tables whoever owns them */
	ctx->privileges_checked = true;
	largest = sg_largest_large_rel(ctx, sg_relids_with_column_of(sg_domain_family(typid)),
								   &ntables);
	if (largest == NULL)
		return;

	typname = format_type_be_qualified(typid);
	text = sg_statement_text(ctx);
	if (!is_not_null)
	{
		HeapTuple	tup = SearchSysCache1(TYPEOID, ObjectIdGetDatum(typid));
		char	   *conname = con->conname;

		/* the name the server gives it (typecmds.c, domainAddCheckConstraint) */
		if (conname == NULL && HeapTupleIsValid(tup))
			conname = ChooseConstraintName(NameStr(((Form_pg_type) GETSTRUCT(tup))->typname),
										   NULL, "check",
										   ((Form_pg_type) GETSTRUCT(tup))->typnamespace, NIL);
		if (HeapTupleIsValid(tup))
			ReleaseSysCache(tup);
		if (conname == NULL)
			return;

		sg_report(ctx, largest, NULL, ShareLock,
				  psprintf("adding CHECK constraint \"%s\" to domain \"%s\" checks every value of the domain in %d table%s; the largest is \"%s\"",
						   conname, typname, ntables, ntables == 1 ? "" : "s",
						   largest->display),
				  "Each table is locked SHARE, which blocks INSERT, UPDATE and DELETE, while its columns of the domain are read.",
				  text == NULL ? NULL :
				  psprintf("Add it NOT VALID (new values are checked at once, no scan), and validate it when traffic is low: "
						   "VALIDATE still blocks writes to each table while it reads it:\n"
						   "%s NOT VALID;\n"
						   "ALTER DOMAIN %s VALIDATE CONSTRAINT %s;",
						   text, typname, quote_identifier(conname)));
	}
	else
		sg_report(ctx, largest, NULL, ShareLock,
				  psprintf("making domain \"%s\" NOT NULL checks every value of the domain in %d table%s; the largest is \"%s\"",
						   typname, ntables, ntables == 1 ? "" : "s", largest->display),
				  "Each table is locked SHARE, which blocks INSERT, UPDATE and DELETE, while its columns of the domain are read.",
				  psprintf("There is no way to check a domain's values without the lock: make the change when traffic is low, with a lock timeout so that it does not queue behind long transactions:\n%s",
						   sg_recipe_allowed(ctx, NULL, true)));
}


static bool
sg_column_names_walker(Node *node, List **names)
{
	if (node == NULL)
		return false;
	if (IsA(node, ColumnRef))
	{
		Node	   *last = llast(((ColumnRef *) node)->fields);

		if (IsA(last, String))
			*names = list_append_unique(*names, last);
		return false;
	}
	return raw_expression_tree_walker(node, sg_column_names_walker,
									  (void *) names);
}

/*
 * The column a CHECK expression names, if it names exactly one: the
 * server builds the name of an unnamed CHECK constraint from it.
 */
static char *
sg_first_column(Node *raw_expr)
{
	List	   *names = NIL;

	(void) sg_column_names_walker(raw_expr, &names);
	return list_length(names) == 1 ? strVal(linitial(names)) : NULL;
}

void
sg_check_add_check_validated(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats;
	List	   *cons;
	SGRelInfo  *ri;
	ListCell   *lc;

	if (IsA(stmt, AlterDomainStmt))
	{
		sg_check_alter_domain(ctx, (AlterDomainStmt *) stmt, false);
		return;
	}
	ats = castNode(AlterTableStmt, stmt);
#ifdef SG_CAN_ENFORCE_CHECK
	sg_check_enforce_constraint(ctx, ats, CONSTRAINT_CHECK);
#endif
	cons = sg_added_constraints(ats, CONSTR_CHECK);
	if (cons == NIL)
		return;
	ri = sg_alter_table_target(ctx, ats);
	if (ri == NULL || !sg_rel_is_large(ctx, ri))
		return;

	foreach(lc, cons)
	{
		SGAddedConstraint *ac = lfirst(lc);
		Constraint *con = ac->con;
		char	   *conname;
		const char *qcon;
		char	   *clause;
		StringInfoData recipe;

		if (con->skip_validation)
			continue;			/* NOT VALID */

		conname = sg_constraint_name(ri, con,
									 ac->column ? ac->column->colname :
									 sg_first_column(con->raw_expr),
									 "check");
		qcon = quote_identifier(conname);
		initStringInfo(&recipe);
		appendStringInfoString(&recipe,
							   "Add the constraint NOT VALID (brief lock, no scan), then validate it in its own transaction (SHARE UPDATE EXCLUSIVE: reads and writes continue):\n");
		if (ac->column != NULL)
			appendStringInfoString(&recipe,
								   sg_add_column_without(ctx, ri, ac->column, con, &clause));
		else
			clause = sg_text_clause(ctx, con->location);
		if (clause != NULL)
			appendStringInfo(&recipe, "ALTER TABLE %s ADD %s%s%s NOT VALID;\n",
							 ri->qualified,
							 con->conname ? "" : "CONSTRAINT ",
							 con->conname ? "" : psprintf("%s ", qcon),
							 clause);
		else
			appendStringInfo(&recipe, "ALTER TABLE %s ADD CONSTRAINT %s CHECK (...) NOT VALID;\n",
							 ri->qualified, qcon);
		appendStringInfo(&recipe, "ALTER TABLE %s VALIDATE CONSTRAINT %s;",
						 ri->qualified, qcon);

		sg_report(ctx, ri, ac->column ? ac->column->colname : NULL,
				  AccessExclusiveLock,
				  psprintf("adding CHECK constraint \"%s\" to table \"%s\" scans every row under an ACCESS EXCLUSIVE lock",
						   conname, ri->display),
				  NULL, recipe.data);
	}
}

/* ----------------------------------------------------------------
 * add_unique_constraint
 * ----------------------------------------------------------------
 */
void
sg_check_add_unique_constraint(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	List	   *cons;
	SGRelInfo  *ri;
	ListCell   *lc;

	cons = list_concat(sg_added_constraints(ats, CONSTR_UNIQUE),
					   sg_added_constraints(ats, CONSTR_PRIMARY));
	cons = list_concat(cons, sg_added_constraints(ats, CONSTR_EXCLUSION));
	if (cons == NIL)
		return;
	ri = sg_alter_table_target(ctx, ats);
	if (ri == NULL || !sg_rel_is_large(ctx, ri))
		return;

	foreach(lc, cons)
	{
		SGAddedConstraint *ac = lfirst(lc);
		Constraint *con = ac->con;
		const char *kind;
		char	   *idxname;
		const char *qidx;
		char	   *cols;
		StringInfoData recipe;
		ListCell   *lc2;

		if (con->indexname != NULL)
			continue;			/* USING INDEX: the index exists already */

		kind = con->contype == CONSTR_PRIMARY ? "PRIMARY KEY" :
			con->contype == CONSTR_UNIQUE ? "UNIQUE" : "EXCLUDE";
		if (ac->column != NULL)
			cols = (char *) quote_identifier(ac->column->colname);
		else
			cols = sg_name_list(con->keys, ", ", true);
		if (con->conname != NULL)
			idxname = con->conname;
		else if (con->contype == CONSTR_PRIMARY)
			idxname = ChooseRelationName(ri->relname, NULL, "pkey",
										 get_rel_namespace(ri->relid), true);
		else
			idxname = ChooseRelationName(ri->relname,
										 ac->column ? ac->column->colname :
										 sg_name_list(con->keys, "_", false),
										 con->contype == CONSTR_UNIQUE ? "key" : "excl",
										 get_rel_namespace(ri->relid), true);
		qidx = quote_identifier(idxname);

		initStringInfo(&recipe);
		if (con->contype == CONSTR_EXCLUSION)
			appendStringInfoString(&recipe,
								   "An exclusion constraint cannot be attached from an index built concurrently. "
								   "Add it when traffic is low, with a short lock_timeout, or enforce the rule another way.");
		else if (ri->relkind == RELKIND_PARTITIONED_TABLE)
			appendStringInfoString(&recipe,
								   "On a partitioned table, give every partition the constraint first: CREATE UNIQUE INDEX CONCURRENTLY on the partition, "
								   "then ALTER TABLE <partition> ADD CONSTRAINT ... USING INDEX. Adding the constraint to the parent afterwards builds no index; "
								   "allow it deliberately.");
		else
		{
			appendStringInfoString(&recipe,
								   "Build the index without blocking writes (outside a transaction block), then attach it to the constraint:\n");
			if (ac->column != NULL)
			{
				char	   *con_text;

				appendStringInfoString(&recipe,
									   sg_add_column_without(ctx, ri, ac->column, con, &con_text));
			}
			/* a primary key needs NOT NULL columns: prove them first */
			if (con->contype == CONSTR_PRIMARY && ac->column == NULL)
			{
				foreach(lc2, con->keys)
				{
					const char *col = strVal(lfirst(lc2));
					HeapTuple	tup = SearchSysCacheAttName(ri->relid, col);
					bool		notnull = true;

					if (HeapTupleIsValid(tup))
					{
						notnull = ((Form_pg_attribute) GETSTRUCT(tup))->attnotnull;
						ReleaseSysCache(tup);
					}
					if (!notnull)
					{
						sg_append_not_null_recipe(&recipe, ri, col);
						appendStringInfoChar(&recipe, '\n');
					}
				}
			}
			appendStringInfo(&recipe,
							 "CREATE UNIQUE INDEX CONCURRENTLY %s ON %s (%s)%s%s%s%s;\n"
							 "ALTER TABLE %s ADD CONSTRAINT %s %s USING INDEX %s%s;",
							 qidx, ri->qualified, cols,
							 con->including ? " INCLUDE (" : "",
							 con->including ? sg_name_list(con->including, ", ", true) : "",
							 con->including ? ")" : "",
							 con->nulls_not_distinct ? " NULLS NOT DISTINCT" : "",
							 ri->qualified, qidx, kind, qidx,
							 con->deferrable ? (con->initdeferred ? " DEFERRABLE INITIALLY DEFERRED" : " DEFERRABLE") : "");
		}

		sg_report(ctx, ri, ac->column ? ac->column->colname : NULL,
				  AccessExclusiveLock,
				  psprintf("adding %s constraint on table \"%s\" builds its index under an ACCESS EXCLUSIVE lock",
						   kind, ri->display),
				  NULL, recipe.data);
	}
}

/* ----------------------------------------------------------------
 * attach_partition_scan
 * ----------------------------------------------------------------
 */

/* a type with no domain or composite anywhere in it (arrays followed) */
static bool
sg_type_is_plain(Oid typid)
{
	char		typtype = get_typtype(typid);
	Oid			elem;

	if (typtype != TYPTYPE_BASE && typtype != TYPTYPE_ENUM && typtype != TYPTYPE_PSEUDO)
		return false;
	elem = get_element_type(typid);
	return !OidIsValid(elem) || sg_type_is_plain(elem);
}

/*
 * Can transformPartitionBound() read this bound without running anything
 * of the user's?  Every value must be MINVALUE / MAXVALUE or a literal:
 * a quoted string (read by the key type's input function, which only a
 * superuser can write), or a number or boolean, or a literal cast to a
 * built-in type, when every key type is built-in (a user's cast could
 * convert it otherwise).  No key type may have a domain or composite in
 * it, whose checks the coercion would run.
 */
static bool
sg_bound_is_literal(Relation parent, PartitionBoundSpec *bound)
{
	PartitionKey key = RelationGetPartitionKey(parent);
	List	   *values = list_concat(list_concat(list_copy(bound->listdatums),
												 bound->lowerdatums),
									 bound->upperdatums);
	bool		builtin_keys = true;
	ListCell   *lc;

	if (key == NULL)
		return false;
	for (int i = 0; i < key->partnatts; i++)
	{
		if (!sg_type_is_plain(key->parttypid[i]))
			return false;
		if (key->parttypid[i] >= FirstNormalObjectId)
			builtin_keys = false;
	}
	foreach(lc, values)
	{
		Node	   *v = lfirst(lc);

		if (IsA(v, ColumnRef))
			continue;
		if (IsA(v, A_Const))
		{
			A_Const    *c = (A_Const *) v;

			if (c->isnull || IsA(&c->val, String) || builtin_keys)
				continue;
			return false;
		}
		if (IsA(v, TypeCast) && IsA(((TypeCast *) v)->arg, A_Const) && builtin_keys)
		{
			Type		typ = LookupTypeName(NULL, ((TypeCast *) v)->typeName, NULL, true);
			Oid			target;

			if (typ == NULL)
				return false;
			target = ((Form_pg_type) GETSTRUCT(typ))->oid;
			ReleaseSysCache(typ);
			if (target < FirstNormalObjectId && sg_type_is_plain(target))
				continue;
		}
		return false;
	}
	return true;
}

/*
 * Would the server scan the partition to check its bound?  If so, the
 * constraint it checks, in terms of the partition's own columns, is set in
 * *constraint; it stays NULL when the bound is made of expressions, which
 * are not evaluated here (then whether a CHECK implies it is not known,
 * and a scan is assumed).  tablecmds.c, ATExecAttachPartition and
 * QueuePartitionConstraintValidation, with constants not folded.
 */
static bool
sg_attach_needs_scan(Oid parentid, Oid partid, PartitionBoundSpec *bound,
					 char **constraint_text)
{
	Relation	parent;
	Relation	part;
	ParseState *pstate;
	PartitionBoundSpec *spec;
	List	   *constraint;
	bool		scan = false;

	*constraint_text = NULL;
	parent = try_relation_open(parentid, AccessShareLock);
	if (parent == NULL)
		return false;
	part = try_relation_open(partid, AccessShareLock);
	if (part == NULL)
	{
		relation_close(parent, AccessShareLock);
		return false;
	}

	if (parent->rd_rel->relkind == RELKIND_PARTITIONED_TABLE)
	{
		if (!bound->is_default && !sg_bound_is_literal(parent, bound))
			scan = true;
		else
		{
			pstate = make_parsestate(NULL);
			spec = transformPartitionBound(pstate, parent, copyObject(bound));
			free_parsestate(pstate);

			constraint = list_concat(get_qual_from_partbound(parent, spec),
									 RelationGetPartitionQual(parent));
			if (constraint != NIL)
			{
				constraint = (List *) sg_expr_simplify((Node *) constraint);
				constraint = list_make1(make_ands_explicit(constraint));
				constraint = map_partition_varattnos(constraint, 1, part, parent);
				if (!sg_constraint_implied(part, constraint, true))
				{
					scan = true;
					*constraint_text =
						deparse_expression(linitial(constraint),
										   deparse_context_for(RelationGetRelationName(part),
															   partid),
										   false, false);
				}
			}
		}
	}

	relation_close(part, AccessShareLock);
	relation_close(parent, AccessShareLock);
	return scan;
}

void
sg_check_attach_partition_scan(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	ListCell   *lc;

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		PartitionCmd *pc;
		SGRelInfo  *parent;
		SGRelInfo  *part;
		char	   *constraint;
		char	   *conname;
		const char *qcon;
		char	   *text;

		if (cmd->subtype != AT_AttachPartition || cmd->def == NULL ||
			!IsA(cmd->def, PartitionCmd))
			continue;
		pc = (PartitionCmd *) cmd->def;
		if (pc->bound == NULL)
			continue;			/* ATTACH PARTITION of an index */
		parent = sg_relinfo_rv(ctx, ats->relation);
		part = sg_relinfo_rv(ctx, pc->name);
		if (parent == NULL || part == NULL || sg_rel_exempt(ctx, part))
			continue;
		if (!sg_rel_is_large(ctx, part) || !sg_rel_has_rows(ctx, part))
			continue;
		if (!sg_attach_needs_scan(parent->relid, part->relid, pc->bound, &constraint))
			continue;
		if (constraint == NULL)
		{
			sg_report(ctx, part, NULL, AccessExclusiveLock,
					  psprintf("ATTACH PARTITION of table \"%s\" to \"%s\" scans it to check the partition bound",
							   part->display, parent->display),
					  "The bound is given by expressions, which schemaguard does not evaluate, so it cannot tell whether a validated CHECK constraint implies it; the server scans every row while the lock is held unless one does.",
					  "Give the bound as literal values, so that schemaguard can check it and name the CHECK constraint that lets the attach skip its scan, or add and validate such a constraint first (ADD CONSTRAINT ... CHECK (...) NOT VALID, then VALIDATE CONSTRAINT), then allow this statement.");
			continue;
		}

		conname = ChooseConstraintName(part->relname, NULL, "partition_check",
									   get_rel_namespace(part->relid), NIL);
		qcon = quote_identifier(conname);
		text = sg_statement_text(ctx);
		sg_report(ctx, part, NULL, AccessExclusiveLock,
				  psprintf("ATTACH PARTITION of table \"%s\" to \"%s\" scans it to check the partition bound",
						   part->display, parent->display),
				  psprintf("No validated CHECK constraint implies the partition constraint %s, so every row is read while the lock is held.",
						   constraint),
				  psprintf("Prove the bound with a validated CHECK first; the attach then skips its scan:\n"
						   "ALTER TABLE %s ADD CONSTRAINT %s CHECK (%s) NOT VALID;\n"
						   "ALTER TABLE %s VALIDATE CONSTRAINT %s;\n"
						   "%s;\n"
						   "ALTER TABLE %s DROP CONSTRAINT %s;",
						   part->qualified, qcon, constraint,
						   part->qualified, qcon,
						   text && list_length(ats->cmds) == 1 ? text :
						   psprintf("ALTER TABLE %s ATTACH PARTITION %s ...", parent->qualified, part->qualified),
						   part->qualified, qcon));
	}
}

/* ----------------------------------------------------------------
 * detach_partition_not_concurrent
 * ----------------------------------------------------------------
 */
/*
 * Before 19, DETACH ... CONCURRENTLY leaves the partition's bound behind
 * as a CHECK constraint on the table, unless a constraint already implies
 * it (tablecmds.c, DetachAddConstraintIfNeeded), named as the server names
 * a CHECK constraint it is given without a name (heap.c,
 * AddRelationNewConstraints).  The recipe line that drops it, or "".  The
 * line says IF EXISTS and is the same on every version: from 19 on there
 * is nothing to drop, and no other constraint has that name.
 */
static char *
sg_detach_constraint_line(SGRelInfo *part)
{
	Relation	rel = try_relation_open(part->relid, AccessShareLock);
	List	   *qual;
	List	   *vars;
	char	   *colname = NULL;
	char	   *conname;

	if (rel == NULL)
		return "";
	qual = (List *) sg_expr_simplify((Node *) RelationGetPartitionQual(rel));
	if (qual == NIL || sg_constraint_implied(rel, qual, true))
	{
		relation_close(rel, AccessShareLock);
		return "";
	}
	vars = list_union(NIL, pull_var_clause((Node *) make_ands_explicit(qual), 0));
	if (list_length(vars) == 1)
		colname = get_attname(part->relid, ((Var *) linitial(vars))->varattno, true);
	conname = ChooseConstraintName(part->relname, colname, "check",
								   RelationGetNamespace(rel), NIL);
	relation_close(rel, AccessShareLock);
	return psprintf("\n-- before PostgreSQL 19 it leaves the bound behind as a CHECK constraint on the table; drop it unless the table is to be attached again:\n"
					"ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s;",
					part->qualified, quote_identifier(conname));
}

void
sg_check_detach_partition_not_concurrent(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	ListCell   *lc;

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		PartitionCmd *pc;
		SGRelInfo  *parent;
		SGRelInfo  *part;
		char	   *recipe;

		if (cmd->subtype != AT_DetachPartition || cmd->def == NULL ||
			!IsA(cmd->def, PartitionCmd))
			continue;
		pc = (PartitionCmd *) cmd->def;
		if (pc->concurrent)
			continue;
		parent = sg_relinfo_rv(ctx, ats->relation);
		part = sg_relinfo_rv(ctx, pc->name);
		if (parent == NULL || part == NULL || sg_rel_exempt(ctx, parent) ||
			sg_rel_exempt(ctx, part))
			continue;
		if (!sg_rel_is_large(ctx, parent))
			continue;

		if (OidIsValid(get_default_partition_oid(parent->relid)))
			recipe = psprintf("DETACH PARTITION CONCURRENTLY is not possible while %s has a default partition. "
							  "Detach it when traffic is low, with a short lock_timeout:\n"
							  "BEGIN; SET LOCAL lock_timeout = '2s'; SET LOCAL schemaguard.allow = 'detach_partition_not_concurrent'; ALTER TABLE %s DETACH PARTITION %s; COMMIT;",
							  parent->qualified, parent->qualified, part->qualified);
		else
			recipe = psprintf("Detach it without blocking queries on the parent, outside a transaction block:\n"
							  "ALTER TABLE %s DETACH PARTITION %s CONCURRENTLY;%s",
							  parent->qualified, part->qualified,
							  sg_detach_constraint_line(part));

		sg_report(ctx, parent, NULL, AccessExclusiveLock,
				  psprintf("DETACH PARTITION \"%s\" blocks every query on partitioned table \"%s\"",
						   part->display, parent->display),
				  "The lock is held only briefly, but it waits for every running query on the table, and every new query waits behind it.",
				  recipe);
	}
}
