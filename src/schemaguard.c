/*-------------------------------------------------------------------------
 *
 * schemaguard.c
 *		Module entry point and the ProcessUtility hook that runs the guard
 *		before every utility statement, in every context: top level,
 *		PL/pgSQL and DO bodies, and subcommands the server generates.
 *
 * The hook never modifies the parse tree it is handed and always calls the
 * previous hook (or standard_ProcessUtility) exactly once, unless a rule
 * at level error ends the statement first.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/executor.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_type.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/tuplestore.h"

#include "schemaguard.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

/*
 * Schemas and types created by the current transaction.  The relcache
 * knows this for relations; for these the hook notes it after the CREATE
 * statement runs.  Lives in TopTransactionContext.
 */
static List *sg_created_objects = NIL;

static void sg_ProcessUtility(SG_PROCESS_UTILITY_ARGS);
static void sg_xact_callback(XactEvent event, void *arg);
static void sg_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
								SubTransactionId parentSubid, void *arg);

static object_access_hook_type sg_prev_object_access = NULL;
static ExecutorStart_hook_type sg_prev_ExecutorStart = NULL;

/*
 * A query is about to run: query_while_locked judges it when an earlier
 * statement of the transaction took a strong lock on a large table
 * (rules_xact.c).  Otherwise this is one comparison.
 */
static void
sg_ExecutorStart(QueryDesc *queryDesc, int eflags)
{
	if (sg_prev_ExecutorStart)
		sg_prev_ExecutorStart(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
	if (sg_xact_holds_noted_locks() && !(eflags & EXEC_FLAG_EXPLAIN_ONLY))
		sg_check_query_while_locked(queryDesc);
}

/*
 * The server is about to create, alter or drop an object: the changelog
 * notes relations created where no event trigger fires, and the data-loss
 * rules judge what is dropped (dropnet.c).
 */
static void
sg_object_access(ObjectAccessType access, Oid classId, Oid objectId,
				 int subId, void *arg)
{
	if (sg_prev_object_access)
		sg_prev_object_access(access, classId, objectId, subId, arg);
	sg_drop_object_access(access, classId, objectId, subId, arg);
	sg_changelog_object_access(access, classId, objectId, subId, arg);
}

void
_PG_init(void)
{
	sg_define_settings();

	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = sg_ProcessUtility;

	sg_prev_object_access = object_access_hook;
	object_access_hook = sg_object_access;

	sg_prev_ExecutorStart = ExecutorStart_hook;
	ExecutorStart_hook = sg_ExecutorStart;

	RegisterXactCallback(sg_xact_callback, NULL);
	RegisterSubXactCallback(sg_subxact_callback, NULL);
}

static void
sg_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			/* the list's memory goes away with TopTransactionContext */
			sg_created_objects = NIL;
			sg_rewrite_reset();
			sg_drop_reset();
			sg_xact_reset();
			break;
		default:
			break;
	}
	sg_changelog_xact(event);
}

static void
sg_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
					SubTransactionId parentSubid, void *arg)
{
	sg_changelog_subxact(event, mySubid, parentSubid);
	if (event == SUBXACT_EVENT_ABORT_SUB)
		sg_drop_subxact_abort(mySubid);
}

/*
 * Was this schema or type created in the current transaction?
 */
bool
sg_object_created_in_xact(Oid classid, Oid objid)
{
	ListCell   *lc;

	foreach(lc, sg_created_objects)
	{
		ObjectAddress *addr = lfirst(lc);

		if (addr->classId == classid && addr->objectId == objid)
			return true;
	}
	return false;
}

static void
sg_note_created(Oid classid, Oid objid)
{
	MemoryContext old;
	ObjectAddress *addr;

	if (!OidIsValid(objid))
		return;
	old = MemoryContextSwitchTo(TopTransactionContext);
	addr = palloc(sizeof(ObjectAddress));
	addr->classId = classid;
	addr->objectId = objid;
	addr->objectSubId = 0;
	sg_created_objects = lappend(sg_created_objects, addr);
	MemoryContextSwitchTo(old);
}

/*
 * After a CREATE SCHEMA or CREATE TYPE ... AS ENUM has run: remember the
 * new object, for the rename exemptions.
 */
static void
sg_note_statement_creations(Node *stmt)
{
	if (IsA(stmt, CreateSchemaStmt))
	{
		CreateSchemaStmt *cs = (CreateSchemaStmt *) stmt;

		if (cs->schemaname != NULL)
			sg_note_created(NamespaceRelationId,
							get_namespace_oid(cs->schemaname, true));
	}
	else if (IsA(stmt, CreateEnumStmt))
	{
		CreateEnumStmt *ce = (CreateEnumStmt *) stmt;

		sg_note_created(TypeRelationId,
						LookupTypeNameOid(NULL, makeTypeNameFromNameList(ce->typeName), true));
	}
}

/*
 * Should the guard look at statements right now at all?
 */
bool
sg_guard_active(void)
{
	if (sg_mode == SG_MODE_OFF)
		return false;
	/* statements of CREATE/ALTER EXTENSION scripts, and pg_upgrade */
	if (creating_extension || IsBinaryUpgrade)
		return false;
	/* catalog lookups need a live transaction; a standby runs no DDL */
	if (!IsTransactionState() || RecoveryInProgress())
		return false;
	return true;
}

/* what the guard decided about a statement */
typedef struct SGGuardResult
{
	int			nestlevel;		/* of an applied lock_timeout, or -1 */
	List	   *allowed;		/* rule names let through by allow */
	List	   *warnings;		/* rule names reported at level warn */
	Oid			locked_relid;	/* a large table it locks SHARE or stronger */
} SGGuardResult;

/*
 * Evaluate the rules for one statement; raises the violation at level
 * error, if any.  Fills in what the changelog records and the GUC nest
 * level of an applied schemaguard.lock_timeout.
 */
static void
sg_guard_statement(PlannedStmt *pstmt, const char *queryString,
				   ProcessUtilityContext context, SGGuardResult *result)
{
	SGContext	ctx;
	MemoryContext guard_cxt;
	MemoryContext old_cxt;
	ListCell   *lc;

	/* everything the rules allocate goes away with this context */
	guard_cxt = AllocSetContextCreate(CurrentMemoryContext,
									  "schemaguard",
									  ALLOCSET_SMALL_SIZES);
	old_cxt = MemoryContextSwitchTo(guard_cxt);

	if (context != PROCESS_UTILITY_SUBCOMMAND)
		sg_rewrite_reset();

	sg_context_init(&ctx, queryString, pstmt->stmt_location,
					pstmt->stmt_len, context);
	sg_rewrite_predict(&ctx, pstmt->utilityStmt);
	sg_evaluate(&ctx, pstmt->utilityStmt);

	/* an ERROR here releases guard_cxt with its parent */
	sg_raise_violations(&ctx);

	result->nestlevel = sg_apply_lock_timeout(&ctx, pstmt->utilityStmt);

	/* a lock held to the end of the transaction, for query_while_locked */
	if (sg_rule_level(sg_rule_index("query_while_locked")) != SG_LEVEL_OFF &&
		!sg_statement_commits_internally(pstmt->utilityStmt))
	{
		SGStatementLock sl = sg_statement_lock(&ctx, pstmt->utilityStmt);

		if (sl.rel != NULL && sg_lock_blocks_traffic(sl.mode) &&
			sg_rel_is_large(&ctx, sl.rel))
			result->locked_relid = sl.rel->relid;
	}

	MemoryContextSwitchTo(old_cxt);
	foreach(lc, ctx.violations)
	{
		SGViolation *v = lfirst(lc);
		const char *name = sg_rules[v->rule_index].name;

		if (v->allowed)
			result->allowed = list_append_unique_ptr(result->allowed, (void *) name);
		else if (v->level == SG_LEVEL_WARN)
			result->warnings = list_append_unique_ptr(result->warnings, (void *) name);
	}
	MemoryContextDelete(guard_cxt);
}

static void
sg_call_next(SG_PROCESS_UTILITY_ARGS)
{
	if (prev_ProcessUtility)
		prev_ProcessUtility(SG_PROCESS_UTILITY_CALL_ARGS);
	else
		standard_ProcessUtility(SG_PROCESS_UTILITY_CALL_ARGS);
}

/*
 * Add to a lock timeout error that schemaguard applied the timeout.
 */
static void
sg_rethrow_lock_timeout(MemoryContext cxt)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	if (edata->sqlerrcode != ERRCODE_LOCK_NOT_AVAILABLE)
	{
		FreeErrorData(edata);
		PG_RE_THROW();
	}
	FlushErrorState();
	edata->detail = psprintf("schemaguard applied lock_timeout = %dms to this statement because the session's lock_timeout is 0; "
							 "the statement gave up instead of queueing behind another transaction while every query on the table waited behind it.",
							 sg_lock_timeout_ms);
	edata->hint = pstrdup("Retry the statement, ideally when no long transaction holds the table. "
						  "To wait longer, SET lock_timeout for the session (it then takes precedence), "
						  "or change schemaguard.lock_timeout.");
	ReThrowError(edata);
}

static void
sg_ProcessUtility(SG_PROCESS_UTILITY_ARGS)
{
	Node	   *stmt = pstmt->utilityStmt;
	SGGuardResult guard = {-1, NIL, NIL, InvalidOid};
	bool		internal = sg_utility_runs_own_queries(stmt);
	SGStatementFrame frame;
	bool		framed;
	MemoryContext cxt = CurrentMemoryContext;
	SGDropStatement outer;

	/* what the parse-tree rules judged in an earlier statement is done */
	if (context == PROCESS_UTILITY_TOPLEVEL)
		sg_drop_reset();
	sg_drop_enter(stmt, queryString, pstmt->stmt_location, pstmt->stmt_len,
				  &outer);

	if (sg_statement_has_rules(stmt) && sg_guard_active())
		sg_guard_statement(pstmt, queryString, context, &guard);

	framed = sg_changelog_begin(&frame, stmt, context);

	if (!framed && guard.nestlevel < 0 && !internal)
	{
		sg_call_next(SG_PROCESS_UTILITY_CALL_ARGS);
		sg_drop_finish();
		/* nothing records what the drop rules let through here */
		sg_drop_take_results(&guard.allowed, &guard.warnings);
	}
	else
	{
		if (internal)
			sg_utility_enter();
		PG_TRY();
		{
			sg_call_next(SG_PROCESS_UTILITY_CALL_ARGS);
		}
		PG_CATCH();
		{
			if (internal)
				sg_utility_leave();
			if (framed)
				sg_changelog_abandon(&frame);
			/* the transaction's abort restores lock_timeout */
			if (guard.nestlevel >= 0)
				sg_rethrow_lock_timeout(cxt);
			PG_RE_THROW();
		}
		PG_END_TRY();
		if (internal)
			sg_utility_leave();
		if (guard.nestlevel >= 0)
			AtEOXact_GUC(true, guard.nestlevel);
		/* an error here abandons the changelog frame with the transaction */
		sg_drop_finish();
		sg_drop_take_results(&guard.allowed, &guard.warnings);
		if (framed)
			sg_changelog_end(&frame, pstmt, queryString, guard.allowed,
							 guard.warnings);
	}

	sg_drop_leave(&outer);

	if (OidIsValid(guard.locked_relid))
		sg_xact_note_lock(guard.locked_relid,
						  GetCommandTagName(CreateCommandTag(stmt)));

	if (IsA(stmt, CreateSchemaStmt) || IsA(stmt, CreateEnumStmt))
		sg_note_statement_creations(stmt);
}

/*
 * schemaguard.list_rules(): every rule with its family, default level,
 * effective level (after schemaguard.rules) and description.
 */
PG_FUNCTION_INFO_V1(sg_list_rules);

Datum
sg_list_rules(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);

	for (i = 0; i < sg_num_rules; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false};

		values[0] = CStringGetTextDatum(sg_rules[i].name);
		values[1] = CStringGetTextDatum(sg_family_name(sg_rules[i].family));
		values[2] = CStringGetTextDatum(sg_level_name(sg_rules[i].default_level));
		values[3] = CStringGetTextDatum(sg_level_name(sg_rule_level(i)));
		values[4] = CStringGetTextDatum(sg_rules[i].description);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
