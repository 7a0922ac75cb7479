/*-------------------------------------------------------------------------
 *
 * rules_advice_names.c
 *		identifier_too_long: a statement that creates or renames an object
 *		under a name longer than NAMEDATALEN - 1 (63) bytes.
 *
 * The server keeps the first 63 bytes of such a name (cut at a character
 * boundary of the database encoding) and says so only with a NOTICE, so the
 * object never has the name that was written.  The scanner truncates names
 * before any parse tree exists: the tree holds only the stored names.  So
 * the rule takes the names that the statement creates or renames from the
 * raw parse tree, and the names as written from the statement's text,
 * scanned again with the server's own scanner (sg_text_long_names); a
 * created name that is the truncation of a written one was cut.  A name
 * shorter than NAMEDATALEN - MAX_MULTIBYTE_CHAR_LEN bytes cannot be a
 * truncation, so most statements are never scanned.
 *
 * What counts as created: relations (tables, foreign tables, views,
 * materialized views, sequences, indexes, composite types) and their
 * columns, constraints of tables and domains, schemas, functions and
 * procedures, types (base, enum, range, domain), aggregates, collations,
 * text search objects, triggers, event triggers, policies, rules,
 * statistics objects, and the new name of any RENAME.  Names that the
 * server makes up itself (an index named after its table) are chosen to
 * fit, and are not the statement's.  Objects of temporary tables are
 * exempt, as for every rule.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "schemaguard.h"

typedef struct SGCreatedName
{
	const char *kind;			/* "table", "column", ... */
	const char *name;			/* as stored */
} SGCreatedName;

static void
sg_add_name(List **names, const char *kind, const char *name)
{
	SGCreatedName *n;

	/* a shorter name cannot be the result of a truncation */
	if (name == NULL || strlen(name) < NAMEDATALEN - MAX_MULTIBYTE_CHAR_LEN)
		return;
	n = palloc(sizeof(SGCreatedName));
	n->kind = kind;
	n->name = name;
	*names = lappend(*names, n);
}

static void
sg_add_last_name(List **names, const char *kind, List *qualified)
{
	if (qualified != NIL && IsA(llast(qualified), String))
		sg_add_name(names, kind, strVal(llast(qualified)));
}

/* A RangeVar that names a temporary relation, existing or to be created */
static bool
sg_rv_is_temp(RangeVar *rv)
{
	Oid			relid;

	if (rv == NULL)
		return false;
	if (rv->relpersistence == RELPERSISTENCE_TEMP ||
		(rv->schemaname != NULL && strcmp(rv->schemaname, "pg_temp") == 0))
		return true;
	relid = RangeVarGetRelid(rv, NoLock, true);
	return OidIsValid(relid) &&
		get_rel_persistence(relid) == RELPERSISTENCE_TEMP;
}

static void
sg_add_constraint_name(List **names, Node *node)
{
	if (node != NULL && IsA(node, Constraint))
		sg_add_name(names, "constraint", ((Constraint *) node)->conname);
}

static void
sg_add_column(List **names, ColumnDef *def)
{
	ListCell   *lc;

	sg_add_name(names, "column", def->colname);
	foreach(lc, def->constraints)
		sg_add_constraint_name(names, lfirst(lc));
}

static void
sg_add_elements(List **names, List *elts)
{
	ListCell   *lc;

	foreach(lc, elts)
	{
		if (IsA(lfirst(lc), ColumnDef))
			sg_add_column(names, (ColumnDef *) lfirst(lc));
		else
			sg_add_constraint_name(names, lfirst(lc));
	}
}

static void
sg_add_strings(List **names, const char *kind, List *strings)
{
	ListCell   *lc;

	foreach(lc, strings)
	{
		if (IsA(lfirst(lc), String))
			sg_add_name(names, kind, strVal(lfirst(lc)));
	}
}

/* the word for an object type, in "<kind> name ... is N bytes long" */
static const char *
sg_kind_word(ObjectType kind)
{
	switch (kind)
	{
		case OBJECT_AGGREGATE:
			return "aggregate";
		case OBJECT_COLLATION:
			return "collation";
		case OBJECT_TYPE:
		case OBJECT_DOMAIN:
			return "type";
		case OBJECT_COLUMN:
		case OBJECT_ATTRIBUTE:
			return "column";
		case OBJECT_TABCONSTRAINT:
		case OBJECT_DOMCONSTRAINT:
			return "constraint";
		case OBJECT_TABLE:
		case OBJECT_FOREIGN_TABLE:
			return "table";
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
			return "view";
		case OBJECT_INDEX:
			return "index";
		case OBJECT_SEQUENCE:
			return "sequence";
		case OBJECT_SCHEMA:
			return "schema";
		case OBJECT_FUNCTION:
		case OBJECT_PROCEDURE:
		case OBJECT_ROUTINE:
			return "function";
		case OBJECT_TRIGGER:
			return "trigger";
		case OBJECT_POLICY:
			return "policy";
		default:
			return "new";
	}
}

/*
 * The names (of at least NAMEDATALEN - MAX_MULTIBYTE_CHAR_LEN bytes) that
 * the statement gives to new objects, or the new name it gives to one.
 */
static List *
sg_created_names(Node *stmt)
{
	List	   *names = NIL;
	RangeVar   *rel = NULL;		/* the relation the names belong to */
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_CreateStmt:
		case T_CreateForeignTableStmt:
			{
				CreateStmt *cs = (CreateStmt *) stmt;

				rel = cs->relation;
				sg_add_name(&names, IsA(stmt, CreateStmt) ? "table" : "foreign table",
							cs->relation->relname);
				sg_add_elements(&names, cs->tableElts);
				sg_add_elements(&names, cs->constraints);
				break;
			}
		case T_CreateTableAsStmt:
			{
				CreateTableAsStmt *ct = (CreateTableAsStmt *) stmt;

				if (ct->into == NULL)
					break;
				rel = ct->into->rel;
				sg_add_name(&names, ct->objtype == OBJECT_MATVIEW ?
							"materialized view" : "table", ct->into->rel->relname);
				sg_add_strings(&names, "column", ct->into->colNames);
				break;
			}
		case T_ViewStmt:
			{
				ViewStmt   *vs = (ViewStmt *) stmt;

				rel = vs->view;
				sg_add_name(&names, "view", vs->view->relname);
				sg_add_strings(&names, "column", vs->aliases);
				break;
			}
		case T_IndexStmt:
			rel = ((IndexStmt *) stmt)->relation;
			sg_add_name(&names, "index", ((IndexStmt *) stmt)->idxname);
			break;
		case T_CreateSeqStmt:
			rel = ((CreateSeqStmt *) stmt)->sequence;
			sg_add_name(&names, "sequence", rel->relname);
			break;
		case T_AlterTableStmt:
			{
				AlterTableStmt *ats = (AlterTableStmt *) stmt;

				rel = ats->relation;
				foreach(lc, ats->cmds)
				{
					AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

					if (cmd->subtype == AT_AddColumn && cmd->def != NULL &&
						IsA(cmd->def, ColumnDef))
						sg_add_column(&names, (ColumnDef *) cmd->def);
					else if (cmd->subtype == AT_AddConstraint)
						sg_add_constraint_name(&names, cmd->def);
				}
				break;
			}
		case T_RenameStmt:
			{
				RenameStmt *rs = (RenameStmt *) stmt;

				rel = rs->relation;
				sg_add_name(&names, sg_kind_word(rs->renameType), rs->newname);
				break;
			}
		case T_CreateSchemaStmt:
			sg_add_name(&names, "schema", ((CreateSchemaStmt *) stmt)->schemaname);
			break;
		case T_CreateFunctionStmt:
			sg_add_last_name(&names, ((CreateFunctionStmt *) stmt)->is_procedure ?
							 "procedure" : "function",
							 ((CreateFunctionStmt *) stmt)->funcname);
			break;
		case T_DefineStmt:
			{
				DefineStmt *ds = (DefineStmt *) stmt;

				/* an operator's name is made of symbols, never truncated */
				if (ds->kind != OBJECT_OPERATOR)
					sg_add_last_name(&names, sg_kind_word(ds->kind), ds->defnames);
				break;
			}
		case T_CompositeTypeStmt:
			sg_add_name(&names, "type", ((CompositeTypeStmt *) stmt)->typevar->relname);
			sg_add_elements(&names, ((CompositeTypeStmt *) stmt)->coldeflist);
			break;
		case T_CreateEnumStmt:
			sg_add_last_name(&names, "type", ((CreateEnumStmt *) stmt)->typeName);
			break;
		case T_CreateRangeStmt:
			sg_add_last_name(&names, "type", ((CreateRangeStmt *) stmt)->typeName);
			break;
		case T_CreateDomainStmt:
			sg_add_last_name(&names, "domain", ((CreateDomainStmt *) stmt)->domainname);
			sg_add_elements(&names, ((CreateDomainStmt *) stmt)->constraints);
			break;
		case T_AlterDomainStmt:
			if (((AlterDomainStmt *) stmt)->subtype == 'C')
				sg_add_constraint_name(&names, ((AlterDomainStmt *) stmt)->def);
			break;
		case T_CreateTrigStmt:
			rel = ((CreateTrigStmt *) stmt)->relation;
			sg_add_name(&names, "trigger", ((CreateTrigStmt *) stmt)->trigname);
			break;
		case T_CreateEventTrigStmt:
			sg_add_name(&names, "event trigger", ((CreateEventTrigStmt *) stmt)->trigname);
			break;
		case T_CreatePolicyStmt:
			rel = ((CreatePolicyStmt *) stmt)->table;
			sg_add_name(&names, "policy", ((CreatePolicyStmt *) stmt)->policy_name);
			break;
		case T_RuleStmt:
			rel = ((RuleStmt *) stmt)->relation;
			sg_add_name(&names, "rule", ((RuleStmt *) stmt)->rulename);
			break;
		case T_CreateStatsStmt:
			sg_add_last_name(&names, "statistics object",
							 ((CreateStatsStmt *) stmt)->defnames);
			break;
		default:
			break;
	}
	/* the objects of a temporary relation are exempt, as for every rule */
	if (names != NIL && sg_rv_is_temp(rel))
		return NIL;
	return names;
}

void
sg_check_identifier_too_long(SGContext *ctx, Node *stmt)
{
	List	   *created = sg_created_names(stmt);
	List	   *written;
	List	   *reported = NIL;
	char	   *recipe_text;
	ListCell   *lc;

	if (created == NIL)
		return;
	recipe_text = sg_text_long_names(ctx, &written);
	foreach(lc, created)
	{
		SGCreatedName *cn = lfirst(lc);
		ListCell   *lc2;

		foreach(lc2, written)
		{
			SGLongName *ln = lfirst(lc2);

			if (strcmp(ln->stored, cn->name) != 0 ||
				list_member(reported, makeString(ln->written)))
				continue;
			reported = lappend(reported, makeString(ln->written));
			sg_report_object(ctx, ln->stored,
							 psprintf("%s name \"%s\" is %d bytes long; the server truncates it to \"%s\"",
									  cn->kind, ln->written, (int) strlen(ln->written),
									  ln->stored),
							 psprintf("A name keeps at most %d bytes (NAMEDATALEN - 1), and the server drops the rest with only a NOTICE. "
									  "The object is created as \"%s\": a migration tool or a later statement that looks for the name as written "
									  "in the catalog does not find it, and another name with the same first %d bytes is the same name.",
									  NAMEDATALEN - 1, ln->stored, NAMEDATALEN - 1),
							 psprintf("Choose a name of at most %d bytes, or write the name the server would store:\n%s;",
									  NAMEDATALEN - 1, recipe_text));
			break;
		}
	}
}
