/*-------------------------------------------------------------------------
 *
 * engine.c
 *		The rule table and the rule engine: which rules look at a
 *		statement, the effective level of each, and how a violation is
 *		built and reported.
 *
 * Adding a rule means one row in sg_rules, one check function (in the
 * rules_*.c file of its family), its tests and its page docs/rules/<rule>.md.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_class.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/elog.h"

#include "schemaguard.h"

const SGRule sg_rules[] = {
	/* lock and rewrite hazards */
	{"index_not_concurrent", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_IndexStmt},
		sg_check_index_not_concurrent,
	"CREATE INDEX without CONCURRENTLY blocks writes while the index builds"},
	{"invalid_index_left", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_IndexStmt},
		sg_check_invalid_index_left,
	"CREATE INDEX with the name of an INVALID index a failed CREATE INDEX CONCURRENTLY left"},
	{"drop_index_not_concurrent", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_DropStmt},
		sg_check_drop_index_not_concurrent,
	"DROP INDEX without CONCURRENTLY blocks reads and writes of the table"},
	{"reindex_not_concurrent", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_ReindexStmt},
		sg_check_reindex_not_concurrent,
	"REINDEX without CONCURRENTLY blocks writes while the index is rebuilt"},
	{"add_column_not_null_no_default", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_AlterTableStmt},
		sg_check_add_column_not_null_no_default,
	"ADD COLUMN ... NOT NULL without a default fails on a non-empty table after scanning it"},
	{"set_not_null", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_AlterTableStmt, T_AlterDomainStmt},
		sg_check_set_not_null,
	"SET NOT NULL, also implied by ADD PRIMARY KEY USING INDEX, scans the whole table under an ACCESS EXCLUSIVE lock (of a domain: every table using it, under SHARE)"},
	{"add_column_volatile_default", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_AlterTableStmt},
		sg_check_add_column_volatile_default,
	"ADD COLUMN with a volatile default rewrites the table"},
	{"alter_column_type", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_AlterTableStmt},
		sg_check_alter_column_type,
	"ALTER COLUMN ... TYPE that rewrites the table or rebuilds its indexes"},
	{"table_rewrite", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_AlterTableStmt, T_AlterTableMoveAllStmt},
		sg_check_table_rewrite,
	"any other full table rewrite: identity, serial or stored generated columns, SET LOGGED/UNLOGGED, SET ACCESS METHOD, SET TABLESPACE"},
	{"add_foreign_key_validated", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_AlterTableStmt},
		sg_check_add_foreign_key_validated,
	"ADD FOREIGN KEY without NOT VALID checks every row while blocking writes on both tables"},
	{"add_check_validated", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_AlterTableStmt, T_AlterDomainStmt},
		sg_check_add_check_validated,
	"ADD CHECK without NOT VALID scans every row under an ACCESS EXCLUSIVE lock (of a domain: every table using it, under SHARE)"},
	{"add_unique_constraint", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_AlterTableStmt},
		sg_check_add_unique_constraint,
	"ADD UNIQUE / PRIMARY KEY / EXCLUDE builds an index under an ACCESS EXCLUSIVE lock"},
	{"attach_partition_scan", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_AlterTableStmt},
		sg_check_attach_partition_scan,
	"ATTACH PARTITION scans a non-empty table when no validated CHECK implies the bound"},
	{"detach_partition_not_concurrent", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_AlterTableStmt},
		sg_check_detach_partition_not_concurrent,
	"DETACH PARTITION without CONCURRENTLY blocks every query on the partitioned table"},
	{"refresh_matview_not_concurrent", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_RefreshMatViewStmt},
		sg_check_refresh_matview_not_concurrent,
	"REFRESH MATERIALIZED VIEW without CONCURRENTLY blocks reads of a populated view"},
	{"vacuum_full", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_VacuumStmt},
		sg_check_vacuum_full,
	"VACUUM FULL rewrites the table under an ACCESS EXCLUSIVE lock"},
	{"cluster", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_SGRepackStmt},
		sg_check_cluster,
	"CLUSTER rewrites the table under an ACCESS EXCLUSIVE lock"},
	{"scan_while_locked", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_AlterTableStmt},
		sg_check_scan_while_locked,
	"VALIDATE CONSTRAINT scans a table while its transaction already holds a lock on it that blocks writes"},
	{"lock_table_no_timeout", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_LockStmt},
		sg_check_lock_table_no_timeout,
	"LOCK TABLE in SHARE mode or stronger with no lock timeout"},
	/* judged by the executor hook, not for utility statements */
	{"query_while_locked", SG_FAMILY_LOCK, SG_LEVEL_ERROR, {T_Query},
		NULL,
	"a query reads or writes a table while its transaction holds a lock on it that blocks writes, taken by earlier DDL"},
	{"missing_lock_timeout", SG_FAMILY_LOCK, SG_LEVEL_WARN, {T_Invalid},
		sg_check_missing_lock_timeout,
	"a statement takes a lock that blocks traffic while no lock timeout is set"},

	/* application compatibility */
	{"rename_column", SG_FAMILY_COMPAT, SG_LEVEL_ERROR, {T_RenameStmt},
		sg_check_rename_column,
	"renaming a column breaks running code that uses the old name"},
	{"rename_relation", SG_FAMILY_COMPAT, SG_LEVEL_ERROR, {T_RenameStmt},
		sg_check_rename_relation,
	"renaming a table, view, materialized view or foreign table breaks running code"},
	{"rename_schema", SG_FAMILY_COMPAT, SG_LEVEL_ERROR, {T_RenameStmt},
		sg_check_rename_schema,
	"renaming a schema breaks running code and search_path settings"},
	{"rename_enum_value", SG_FAMILY_COMPAT, SG_LEVEL_ERROR, {T_AlterEnumStmt},
		sg_check_rename_enum_value,
	"renaming an enum value breaks running code that uses the old label"},
	{"drop_view", SG_FAMILY_COMPAT, SG_LEVEL_WARN, {T_DropStmt},
		sg_check_drop_view,
	"dropping a view or materialized view (error when CASCADE drops objects that use it)"},
	{"drop_function", SG_FAMILY_COMPAT, SG_LEVEL_WARN, {T_DropStmt},
		sg_check_drop_function,
	"dropping a function or procedure (error when CASCADE drops objects that use it)"},
	{"drop_type", SG_FAMILY_COMPAT, SG_LEVEL_WARN, {T_DropStmt},
		sg_check_drop_type,
	"dropping a type or domain (error when CASCADE drops objects that use it)"},
	{"drop_trigger", SG_FAMILY_COMPAT, SG_LEVEL_WARN, {T_DropStmt},
		sg_check_drop_trigger,
	"dropping a trigger: writes silently stop doing what it did"},
	{"drop_default", SG_FAMILY_COMPAT, SG_LEVEL_WARN, {T_AlterTableStmt},
		sg_check_drop_default,
	"dropping a column default (error when the column is NOT NULL: inserts that omit it fail)"},
	{"drop_not_null", SG_FAMILY_COMPAT, SG_LEVEL_WARN, {T_AlterTableStmt},
		sg_check_drop_not_null,
	"dropping NOT NULL lets NULLs reach code that assumes a value"},
	{"drop_empty_table", SG_FAMILY_COMPAT, SG_LEVEL_WARN, {T_DropStmt},
		sg_check_drop_empty_table,
	"dropping an empty table (error when it was scanned within schemaguard.recent_scan_window, or CASCADE drops objects that use it)"},
	{"drop_empty_column", SG_FAMILY_COMPAT, SG_LEVEL_WARN, {T_AlterTableStmt},
		sg_check_drop_empty_column,
	"dropping a column of an empty table (error when CASCADE drops objects that use it)"},

	/* data loss */
	{"drop_table", SG_FAMILY_DATALOSS, SG_LEVEL_ERROR, {T_DropStmt},
		sg_check_drop_table,
	"dropping a non-empty table, directly or by DROP SCHEMA ... CASCADE"},
	{"drop_column", SG_FAMILY_DATALOSS, SG_LEVEL_ERROR, {T_AlterTableStmt},
		sg_check_drop_column,
	"dropping a column of a non-empty table"},
	{"drop_database", SG_FAMILY_DATALOSS, SG_LEVEL_ERROR, {T_DropdbStmt},
		sg_check_drop_database,
	"DROP DATABASE"},
	{"truncate", SG_FAMILY_DATALOSS, SG_LEVEL_WARN, {T_TruncateStmt},
		sg_check_truncate,
	"TRUNCATE of a non-empty table (error when CASCADE reaches other tables)"},

	/* type choices */
	{"prefer_bigint_pk", SG_FAMILY_ADVICE, SG_LEVEL_WARN, {T_CreateStmt},
		sg_check_prefer_bigint_pk,
	"an int, smallint or serial primary-key column in a new table"},
	{"prefer_timestamptz", SG_FAMILY_ADVICE, SG_LEVEL_WARN, {T_CreateStmt, T_AlterTableStmt},
		sg_check_prefer_timestamptz,
	"a timestamp without time zone column"},
	{"prefer_text", SG_FAMILY_ADVICE, SG_LEVEL_OFF, {T_CreateStmt, T_AlterTableStmt},
		sg_check_prefer_text,
	"a varchar(n) column"},
	{"ban_char", SG_FAMILY_ADVICE, SG_LEVEL_OFF, {T_CreateStmt, T_AlterTableStmt},
		sg_check_ban_char,
	"a char(n) column"},
	{"prefer_identity", SG_FAMILY_ADVICE, SG_LEVEL_OFF, {T_CreateStmt, T_AlterTableStmt},
		sg_check_prefer_identity,
	"a serial or bigserial column"},
	{"prefer_jsonb", SG_FAMILY_ADVICE, SG_LEVEL_WARN, {T_CreateStmt, T_AlterTableStmt},
		sg_check_prefer_jsonb,
	"a json column (or a domain over json)"},
	{"prefer_bigint_id", SG_FAMILY_ADVICE, SG_LEVEL_WARN, {T_CreateStmt, T_AlterTableStmt},
		sg_check_prefer_bigint_id,
	"an int or smallint column that references a wider key, or is named like an id"},

	/* other advice */
	{"foreign_key_without_index", SG_FAMILY_ADVICE, SG_LEVEL_WARN,
		{T_CreateStmt, T_AlterTableStmt, T_DropStmt},
		sg_check_foreign_key_without_index,
	"a foreign key whose columns no index starts with, when its transaction commits"},
	{"identifier_too_long", SG_FAMILY_ADVICE, SG_LEVEL_ERROR,
		{T_CreateStmt, T_CreateForeignTableStmt, T_CreateTableAsStmt, T_ViewStmt,
			T_IndexStmt, T_CreateSeqStmt, T_AlterTableStmt, T_RenameStmt,
			T_CreateSchemaStmt, T_CreateFunctionStmt, T_DefineStmt,
			T_CompositeTypeStmt, T_CreateEnumStmt, T_CreateRangeStmt,
			T_CreateDomainStmt, T_AlterDomainStmt, T_CreateTrigStmt,
			T_CreateEventTrigStmt, T_CreatePolicyStmt, T_RuleStmt,
		T_CreateStatsStmt},
		sg_check_identifier_too_long,
	"a name longer than 63 bytes, which the server truncates, in a statement that creates or renames an object"},
};

const int	sg_num_rules = lengthof(sg_rules);

static const char *const sg_family_names[] = {
	"lock", "compatibility", "data_loss", "advice"
};

const char *
sg_family_name(SGFamily family)
{
	return sg_family_names[family];
}

int
sg_rule_index(const char *name)
{
	int			i;

	for (i = 0; i < sg_num_rules; i++)
	{
		if (strcmp(sg_rules[i].name, name) == 0)
			return i;
	}
	return -1;
}

/*
 * Judge with the named rule from now on (the drop net, which picks the rule
 * by what is dropped); false when the rule is off.
 */
bool
sg_context_use_rule(SGContext *ctx, const char *name)
{
	int			i = sg_rule_index(name);

	if (i < 0 || sg_rule_level(i) == SG_LEVEL_OFF)
		return false;
	ctx->rule = &sg_rules[i];
	ctx->rule_index = i;
	return true;
}

/*
 * Does the rule examine statements of this node type?
 */
static bool
sg_rule_examines_tag(const SGRule *rule, NodeTag tag)
{
	int			i;

	if (rule->check == NULL)
		return false;
	if (rule->tags[0] == T_Invalid)
		return sg_tag_may_lock(tag);
	for (i = 0; i < SG_MAX_RULE_TAGS && rule->tags[i] != T_Invalid; i++)
	{
		if (rule->tags[i] == tag)
			return true;
	}
	return false;
}

static bool
sg_rule_examines(const SGRule *rule, Node *parsetree)
{
	return sg_rule_examines_tag(rule, nodeTag(parsetree));
}

/*
 * Is there any rule that examines this kind of statement?  This is the
 * fast path of the hook, taken by every utility statement (BEGIN and
 * COMMIT of every transaction among them): the answer depends on the
 * node type alone, so it is worked out once per type and kept.
 */
#define SG_TAG_CACHE_SIZE 1024

bool
sg_statement_has_rules(Node *parsetree)
{
	static uint8 cache[SG_TAG_CACHE_SIZE];	/* 0 unknown, 1 no, 2 yes */
	NodeTag		tag;
	int			i;
	bool		result = false;

	if (parsetree == NULL)
		return false;
	tag = nodeTag(parsetree);
	if ((int) tag >= 0 && (int) tag < SG_TAG_CACHE_SIZE && cache[tag] != 0)
		return cache[tag] == 2;
	for (i = 0; i < sg_num_rules && !result; i++)
		result = sg_rule_examines_tag(&sg_rules[i], tag);
	if ((int) tag >= 0 && (int) tag < SG_TAG_CACHE_SIZE)
		cache[tag] = result ? 2 : 1;
	return result;
}

void
sg_context_init(SGContext *ctx, const char *query, int stmt_location,
				int stmt_len, ProcessUtilityContext putil_context)
{
	memset(ctx, 0, sizeof(SGContext));
	ctx->query = query;
	ctx->stmt_location = stmt_location;
	ctx->stmt_len = stmt_len;
	ctx->putil_context = putil_context;
	ctx->rule_index = -1;
}

/*
 * Besides owning it, the privileges of which any one lets this statement
 * act on a relation, as the server checks them: TRUNCATE and CREATE TRIGGER
 * take a privilege of their own, LOCK any of several, and the maintenance
 * statements MAINTAIN (from 17 on); all other DDL needs ownership.
 */
static AclMode
sg_statement_acl(Node *parsetree)
{
	switch (nodeTag(parsetree))
	{
		case T_TruncateStmt:
			return ACL_TRUNCATE;
		case T_CreateTrigStmt:
			return ACL_TRIGGER;
		case T_LockStmt:
			return ACL_SELECT | ACL_UPDATE | ACL_DELETE | ACL_TRUNCATE | SG_ACL_MAINTAIN;
		case T_VacuumStmt:
		case T_SGRepackStmt:
		case T_ReindexStmt:
		case T_RefreshMatViewStmt:
			return SG_ACL_MAINTAIN;
		default:
			return 0;
	}
}

/*
 * Run every active rule that examines this statement; violations collect
 * in ctx->violations.
 */
void
sg_evaluate(SGContext *ctx, Node *parsetree)
{
	int			i;

	if (sg_mode == SG_MODE_OFF)
		return;

	/* allowing such a statement takes SET, not SET LOCAL */
	ctx->no_xact_block = sg_statement_commits_internally(parsetree) ||
		IsA(parsetree, DropdbStmt);
	ctx->acl_any = sg_statement_acl(parsetree);

	for (i = 0; i < sg_num_rules; i++)
	{
		const SGRule *rule = &sg_rules[i];

		if (sg_rule_level(i) == SG_LEVEL_OFF || !sg_rule_examines(rule, parsetree))
			continue;
		ctx->rule = rule;
		ctx->rule_index = i;
		rule->check(ctx, parsetree);
	}
	ctx->rule = NULL;
	ctx->rule_index = -1;
}

/*
 * Prepare a context for reporting a rule's violations outside
 * sg_evaluate (the judgments made when a transaction commits).  False
 * when the rule is off, or schemaguard.mode is.
 */
bool
sg_context_set_rule(SGContext *ctx, const char *name)
{
	int			i = sg_rule_index(name);

	if (i < 0 || sg_mode == SG_MODE_OFF || sg_rule_level(i) == SG_LEVEL_OFF)
		return false;
	ctx->rule = &sg_rules[i];
	ctx->rule_index = i;
	return true;
}

static SGViolation *
sg_new_violation(SGContext *ctx, const char *object, const char *what)
{
	SGViolation *v = palloc0(sizeof(SGViolation));
	SGLevel		level = sg_rule_level(ctx->rule_index);

	Assert(ctx->rule != NULL);
	if (sg_mode == SG_MODE_WARN && level == SG_LEVEL_ERROR)
		level = SG_LEVEL_WARN;
	v->rule_index = ctx->rule_index;
	v->level = level;
	v->allowed = sg_rule_allowed(ctx->rule_index, ctx->no_xact_block);
	v->object = pstrdup(object);
	v->message = psprintf("schemaguard: %s: %s", ctx->rule->name, what);
	ctx->violations = lappend(ctx->violations, v);
	return v;
}

/*
 * Where a rule is documented: "docs/rules/<rule>.md", the page in the
 * repository and in every copy of it, or "<docs_url>/rules/<rule>.md" when
 * schemaguard.docs_url is set (one trailing slash of it dropped).  Every
 * violation's HINT ends with it, and schemaguard.list_rules() shows it.
 */
char *
sg_rule_doc(const SGRule *rule)
{
	const char *url = sg_docs_url;
	int			len;

	if (url == NULL || url[0] == '\0')
		return psprintf("docs/rules/%s.md", rule->name);
	len = strlen(url);
	if (url[len - 1] == '/')
		len--;
	return psprintf("%.*s/rules/%s.md", len, url, rule->name);
}

/*
 * The HINT of a violation: the recipe, a word on a schemaguard.allow that
 * does not apply here, how to allow the statement deliberately, and as the
 * last line where the rule is documented.  Every violation's HINT is made
 * here, for the hook, the commit-time judgments and check() alike.
 */
static char *
sg_finish_hint(SGContext *ctx, const char *recipe)
{
	StringInfoData buf;
	const char *ignored = sg_allow_ignored(ctx->rule_index, ctx->no_xact_block);

	initStringInfo(&buf);
	if (recipe != NULL)
		appendStringInfo(&buf, "%s\n", recipe);
	if (ignored != NULL)
		appendStringInfo(&buf, "%s\n", ignored);
	if (ctx->no_xact_block)
		appendStringInfo(&buf,
						 "To allow it deliberately (this statement cannot run in a transaction block): "
						 "SET schemaguard.allow = '%s'; run the statement; RESET schemaguard.allow;",
						 ctx->rule->name);
	else
		appendStringInfo(&buf,
						 "To allow it deliberately: SET LOCAL schemaguard.allow = '%s';",
						 ctx->rule->name);
	appendStringInfo(&buf, "\nSee %s.", sg_rule_doc(ctx->rule));
	return buf.data;
}

/*
 * Report a violation on a relation.  The DETAIL names the lock the
 * statement takes and the relation's real size; the HINT carries the
 * recipe and how to allow the statement deliberately.
 */
void
sg_report(SGContext *ctx, SGRelInfo *ri, const char *column,
		  LOCKMODE lockmode, const char *what, const char *extra_detail,
		  const char *recipe)
{
	SGViolation *v;
	StringInfoData detail;

	v = sg_new_violation(ctx, ri->display, what);

	initStringInfo(&detail);
	if (lockmode != NoLock)
		appendStringInfo(&detail, "Lock: %s on \"%s\", which blocks %s.",
						 sg_lock_name(lockmode), ri->display,
						 sg_lock_blocks(lockmode));
	/* the size is shown only to roles that may read the relation */
	if ((RELKIND_HAS_STORAGE(ri->relkind) ||
		 ri->relkind == RELKIND_PARTITIONED_TABLE) &&
		pg_class_aclcheck(ri->relid, GetUserId(), ACL_SELECT) == ACLCHECK_OK)
		appendStringInfo(&detail, "%sSize: %s.", detail.len > 0 ? " " : "",
						 sg_rel_size_text(ctx, ri));
	if (extra_detail != NULL)
		appendStringInfo(&detail, "%s%s", detail.len > 0 ? " " : "", extra_detail);

	v->detail = detail.data;
	v->hint = sg_finish_hint(ctx, recipe);
	v->schema_name = pstrdup(ri->nspname);
	v->table_name = pstrdup(ri->relname);
	v->column_name = column ? pstrdup(column) : NULL;
}

/*
 * Report a violation on an object that is not a relation (a schema, a
 * type).
 */
void
sg_report_object(SGContext *ctx, const char *object, const char *what,
				 const char *detail, const char *recipe)
{
	SGViolation *v = sg_new_violation(ctx, object, what);

	v->detail = detail ? pstrdup(detail) : NULL;
	v->hint = sg_finish_hint(ctx, recipe);
}

/*
 * Report a violation on a column of a table that may not exist yet (the
 * advice rules look at CREATE TABLE).
 */
void
sg_report_column_object(SGContext *ctx, const char *schema, const char *table,
						const char *column, const char *object,
						const char *what, const char *detail,
						const char *recipe)
{
	SGViolation *v = sg_new_violation(ctx, object, what);

	v->detail = detail ? pstrdup(detail) : NULL;
	v->hint = sg_finish_hint(ctx, recipe);
	v->schema_name = schema ? pstrdup(schema) : NULL;
	v->table_name = table ? pstrdup(table) : NULL;
	v->column_name = column ? pstrdup(column) : NULL;
}

SGViolation *
sg_last_violation(SGContext *ctx)
{
	return (SGViolation *) llast(ctx->violations);
}

/*
 * Like sg_report, for the graver form of a rule whose default level is
 * warn (TRUNCATE ... CASCADE reaching other tables): reported at level
 * error unless schemaguard.mode is warn.
 */
void
sg_report_escalated(SGContext *ctx, SGRelInfo *ri, const char *column,
					LOCKMODE lockmode, const char *what,
					const char *extra_detail, const char *recipe)
{
	sg_report(ctx, ri, column, lockmode, what, extra_detail, recipe);
	sg_escalate_last(ctx);
}

/*
 * The violation just reported is at level error, whatever its rule's
 * level, unless schemaguard.mode is warn: for the graver form of a rule
 * whose default level is warn.
 */
void
sg_escalate_last(SGContext *ctx)
{
	SGViolation *v = llast(ctx->violations);

	v->level = (sg_mode == SG_MODE_WARN) ? SG_LEVEL_WARN : SG_LEVEL_ERROR;
}

/*
 * The primary message with schemaguard.message_details: the DETAIL and the
 * first line of the HINT follow the message, for tools that show nothing
 * else.
 */
static char *
sg_message_with_details(SGViolation *v)
{
	StringInfoData buf;
	const char *hint = v->hint;
	const char *eol;

	initStringInfo(&buf);
	appendStringInfoString(&buf, v->message);
	if (v->detail != NULL)
		appendStringInfo(&buf, " [%s]", v->detail);
	if (hint != NULL && hint[0] != '\0')
	{
		/* the first line, and the statement it introduces ("...:") */
		eol = strchr(hint, '\n');
		if (eol != NULL && eol > hint && eol[-1] == ':')
			eol = strchr(eol + 1, '\n');
		appendStringInfo(&buf, " Recipe: %.*s", eol ? (int) (eol - hint) : (int) strlen(hint), hint);
	}
	return buf.data;
}

static void
sg_emit(SGViolation *v, int elevel)
{
	ereport(elevel,
			(errcode(elevel == ERROR ? ERRCODE_SCHEMAGUARD_VIOLATION :
					 ERRCODE_SCHEMAGUARD_WARNING),
			 errmsg_internal("%s", sg_message_details ? sg_message_with_details(v) : v->message),
			 v->detail ? errdetail_internal("%s", v->detail) : 0,
			 errhint("%s", v->hint),
			 v->schema_name ? err_generic_string(PG_DIAG_SCHEMA_NAME, v->schema_name) : 0,
			 v->table_name ? err_generic_string(PG_DIAG_TABLE_NAME, v->table_name) : 0,
			 v->column_name ? err_generic_string(PG_DIAG_COLUMN_NAME, v->column_name) : 0,
			 v->datatype_name ? err_generic_string(PG_DIAG_DATATYPE_NAME, v->datatype_name) : 0));
}

/*
 * Turn collected violations into messages: allowed ones go to the server
 * log, warnings to the client, and the first violation at level error
 * ends the statement before it takes its locks.
 */
void
sg_raise_violations(SGContext *ctx)
{
	ListCell   *lc;
	SGViolation *first_error = NULL;

	sg_drop_exempt(ctx);
	foreach(lc, ctx->violations)
	{
		SGViolation *v = lfirst(lc);

		if (v->allowed)
		{
			ereport(LOG,
					(errmsg("schemaguard: %s allowed by schemaguard.allow on \"%s\"",
							sg_rules[v->rule_index].name, v->object)));
			continue;
		}
		if (v->level == SG_LEVEL_WARN)
			sg_emit(v, WARNING);
		else if (v->level == SG_LEVEL_ERROR && first_error == NULL)
			first_error = v;
	}

	if (first_error != NULL)
		sg_emit(first_error, ERROR);
}
