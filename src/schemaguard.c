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
#include "storage/proc.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/tuplestore.h"

#include "consistency.h"
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

/* no question to Citus's workers in the middle of a deletion (citus.c) */
static void
sg_drop_object_access_citus(Oid classId, Oid objectId, int subId, void *arg)
{
	sg_citus_set_cached_only(true);
	PG_TRY();
	{
		sg_drop_object_access(OAT_DROP, classId, objectId, subId, arg);
	}
	PG_FINALLY();
	{
		sg_citus_set_cached_only(false);
	}
	PG_END_TRY();
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
	if (access == OAT_DROP && sg_citus_active())
		sg_drop_object_access_citus(classId, objectId, subId, arg);
	else
		sg_drop_object_access(access, classId, objectId, subId, arg);
	sg_fk_object_access(access, classId, objectId, subId, arg);
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

	/* drift functions: one state of the schema while it changes */
	sg_consistency_init();

	/* on a Citus node: Citus's own statements (citus.c) */
	sg_citus_init();
}

static void
sg_xact_callback(XactEvent event, void *arg)
{
	/* foreign keys are judged at pre-commit, before the changelog records */
	sg_fk_xact(event);
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
			sg_citus_xact_end();
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
	/* a statement Citus runs for one judged elsewhere (citus.c) */
	if (sg_citus_in_own_statement())
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
	Oid			wait_relid;		/* the relation whose lock it may wait for */
	LOCKMODE	wait_mode;		/* and the mode */
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

	if (sg_statement_may_lock(pstmt->utilityStmt) &&
		!sg_statement_commits_internally(pstmt->utilityStmt))
	{
		SGStatementLock sl = sg_statement_lock(&ctx, pstmt->utilityStmt);

		/* the lock it may wait for, to name who is in the way */
		if (sl.rel != NULL)
		{
			result->wait_relid = sl.rel->relid;
			result->wait_mode = sl.mode;
		}
		/* a lock held to the end of the transaction, for query_while_locked */
		if (sl.rel != NULL && sg_lock_blocks_traffic(sl.mode) &&
			sg_rule_level(sg_rule_index("query_while_locked")) != SG_LEVEL_OFF &&
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

/* what the hook does around a statement that may wait for a lock */
typedef struct SGLockRun
{
	bool		watch;			/* it may wait for a lock: describe failures */
	bool		retryable;		/* it could be retried (see below) */
	bool		retry;			/* run in a subtransaction, retry a timeout */
	bool		concurrent;		/* a CONCURRENTLY form that may leave things behind */
	int			retries;		/* retries done */
	TimestampTz since;			/* when the current attempt began */
	const char *held;			/* a strong lock that prevented a retry */
	SGLeftovers leftovers;		/* CONCURRENTLY forms: what they work on */
} SGLockRun;

static void
sg_append_line(StringInfo buf, const char *text)
{
	if (text == NULL)
		return;
	if (buf->len > 0)
		appendStringInfoChar(buf, '\n');
	appendStringInfoString(buf, text);
}

/*
 * A watched statement failed (edata, already taken off the error stack).
 * For a lock it gave up waiting for, say who was in the way ("queue") and
 * whether schemaguard applied the timeout or retried; for a CONCURRENTLY
 * form, say what it left behind.  Then rethrow.
 */
static void
sg_rethrow(ErrorData *edata, Node *stmt, SGGuardResult *guard,
		   SGLockRun *run, const char *queue)
{
	StringInfoData detail;
	StringInfoData hint;

	initStringInfo(&detail);
	initStringInfo(&hint);
	sg_append_line(&detail, edata->detail);
	sg_append_line(&hint, edata->hint);
	if (run->concurrent)
		sg_append_line(&hint, sg_concurrent_leftovers_hint(&run->leftovers));

	if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
		(guard->nestlevel >= 0 || queue != NULL))
	{
		if (guard->nestlevel >= 0)
			sg_append_line(&detail,
						   psprintf("schemaguard applied lock_timeout = %dms to this statement because the session's lock_timeout is 0; "
									"the statement gave up instead of queueing behind another transaction while every query on the table waited behind it.",
									sg_lock_timeout_ms));
		sg_append_line(&detail, queue);
		if (run->retries > 0)
			sg_append_line(&detail,
						   psprintf("schemaguard ran the statement again %d time%s (schemaguard.lock_retries = %d); each attempt gave up the same way.",
									run->retries, run->retries == 1 ? "" : "s", sg_lock_retries));
		if (run->held != NULL)
			sg_append_line(&hint,
						   psprintf("schemaguard.lock_retries did not retry: this transaction already holds %s, and every retry would keep other sessions waiting behind that lock. "
									"Run this statement in a transaction of its own, or first.", run->held));
		sg_append_line(&hint,
					   guard->nestlevel >= 0 ?
					   "Retry the statement, ideally when no long transaction holds the table. "
					   "To wait longer, SET lock_timeout for the session (it then takes precedence), "
					   "or change schemaguard.lock_timeout." :
					   "Retry the statement when the sessions in its way have finished.");
		if (sg_lock_retries == 0 && run->retryable)
			sg_append_line(&hint, "SET schemaguard.lock_retries = 3; makes schemaguard retry it for you, with a growing pause.");
	}

	edata->detail = detail.len > 0 ? detail.data : NULL;
	edata->hint = hint.len > 0 ? hint.data : NULL;
	ReThrowError(edata);
}

/* the server's lock timeout error (by its untranslated message) */
static bool
sg_is_lock_timeout(ErrorData *edata)
{
	return edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE &&
		edata->message_id != NULL &&
		strcmp(edata->message_id, "canceling statement due to lock timeout") == 0;
}

static bool
sg_is_concurrent_form(Node *stmt)
{
	return sg_statement_commits_internally(stmt) &&
		(IsA(stmt, IndexStmt) || IsA(stmt, ReindexStmt) ||
		 IsA(stmt, DropStmt) || IsA(stmt, AlterTableStmt));
}

/* a statement of Citus's own: run it with the guard and changelog out */
static void
sg_run_citus_own(SG_PROCESS_UTILITY_ARGS)
{
	sg_consistency_utility(pstmt->utilityStmt);
	sg_citus_own_enter();
	PG_TRY();
	{
		sg_call_next(SG_PROCESS_UTILITY_CALL_ARGS);
	}
	PG_FINALLY();
	{
		sg_citus_own_leave();
	}
	PG_END_TRY();
	sg_consistency_utility_done();
}

static void
sg_ProcessUtility(SG_PROCESS_UTILITY_ARGS)
{
	Node	   *stmt = pstmt->utilityStmt;
	SGGuardResult guard = {-1, NIL, NIL, InvalidOid, InvalidOid, NoLock};
	bool		internal = sg_utility_runs_own_queries(stmt);
	SGStatementFrame frame;
	volatile bool framed = false;	/* read after a longjmp */
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	SGDropStatement outer;
	SGLockRun	run = {0};

	/* a non-superuser's exception may not outlast its transaction */
	sg_allow_check_utility(stmt);

	/*
	 * A statement Citus runs on behalf of one judged and recorded on the
	 * node that received it: neither judged nor recorded here (citus.c).
	 */
	if (!IsA(stmt, TransactionStmt) && sg_citus_own_statement(stmt, context))
	{
		sg_run_citus_own(SG_PROCESS_UTILITY_CALL_ARGS);
		return;
	}

	/* before the statement takes a lock (consistency.c) */
	sg_consistency_utility(stmt);

	/* what the parse-tree rules judged in an earlier statement is done */
	if (context == PROCESS_UTILITY_TOPLEVEL)
		sg_drop_reset();
	sg_drop_enter(stmt, queryString, pstmt->stmt_location, pstmt->stmt_len,
				  &outer);

	if (sg_statement_may_lock(stmt) && sg_guard_active())
	{
		run.watch = true;
		run.concurrent = sg_is_concurrent_form(stmt);
		if (run.concurrent)
		{
			/* index builds wait for the transactions that write to the table */
			guard.wait_relid = sg_concurrent_leftovers_init(&run.leftovers, stmt);
			guard.wait_mode = ShareLock;
		}
	}
	if ((run.watch || sg_statement_has_rules(stmt)) && sg_guard_active())
		sg_guard_statement(pstmt, queryString, context, &guard);

	/*
	 * A retry runs the statement again from scratch, so an attempt must be
	 * undone first: in a subtransaction, which statements that commit
	 * internally refuse.  A retried attempt gets a read-only tree, which
	 * the server copies before it changes anything.
	 */
	run.retryable = run.watch && context != PROCESS_UTILITY_SUBCOMMAND &&
		!sg_statement_commits_internally(stmt);
	run.retry = run.retryable && sg_lock_retries > 0 && LockTimeout > 0 &&
		!IsInParallelMode();

	for (;;)
	{
		ErrorData  *edata = NULL;
		char	   *queue;
		int			pause;

		framed = sg_changelog_begin(&frame, stmt, context);
		if (run.watch)
			run.since = GetCurrentTimestamp();

		if (!framed && guard.nestlevel < 0 && !internal && !run.watch)
		{
			sg_call_next(SG_PROCESS_UTILITY_CALL_ARGS);
			break;
		}

		if (internal)
			sg_utility_enter();
		if (run.retry)
		{
			BeginInternalSubTransaction(NULL);
			MemoryContextSwitchTo(cxt);
		}
		PG_TRY();
		{
			sg_call_next(pstmt, queryString, readOnlyTree || run.retry, context,
						 params, queryEnv, dest, qc);
			if (run.retry)
			{
				ReleaseCurrentSubTransaction();
				MemoryContextSwitchTo(cxt);
				CurrentResourceOwner = owner;
			}
		}
		PG_CATCH();
		{
			if (internal)
				sg_utility_leave();
			if (framed)
				sg_changelog_abandon(&frame);
			/* the error is rethrown as it is unless it needs more words */
			if (!run.retry && !run.concurrent &&
				geterrcode() != ERRCODE_LOCK_NOT_AVAILABLE)
				PG_RE_THROW();
			MemoryContextSwitchTo(cxt);
			edata = CopyErrorData();
			FlushErrorState();
		}
		PG_END_TRY();

		if (edata == NULL)
		{
			if (internal)
				sg_utility_leave();
			break;
		}

		/* before the rollback releases what the attempt locked */
		queue = edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ?
			sg_lock_queue_detail(guard.wait_relid, guard.wait_mode, run.since,
								 run.concurrent) : NULL;
		if (run.retry)
		{
			RollbackAndReleaseCurrentSubTransaction();
			MemoryContextSwitchTo(cxt);
			CurrentResourceOwner = owner;
		}
		/*
		 * Retry only a lock timeout (a NOWAIT failure asked not to wait);
		 * otherwise rethrow, and the transaction's abort restores
		 * lock_timeout.
		 */
		if (!run.retry || !sg_is_lock_timeout(edata) ||
			run.retries >= sg_lock_retries ||
			(run.held = sg_xact_strong_lock_text()) != NULL)
			sg_rethrow(edata, stmt, &guard, &run, queue);

		run.retries++;
		pause = sg_lock_retry_pause_ms(run.retries);
		ereport(LOG,
				(errmsg("schemaguard: %s gave up waiting for a lock; retry %d of %d in %d ms",
						GetCommandTagName(CreateCommandTag(stmt)),
						run.retries, sg_lock_retries, pause),
				 queue ? errdetail_internal("%s", queue) : 0));
		FreeErrorData(edata);
		sg_lock_retry_sleep(pause);
	}

	if (guard.nestlevel >= 0)
		AtEOXact_GUC(true, guard.nestlevel);
	/* an error here abandons the changelog frame with the transaction */
	sg_drop_finish();
	/* what the drop rules let through is recorded with the statement */
	sg_drop_take_results(&guard.allowed, &guard.warnings);
	if (framed)
		sg_changelog_end(&frame, pstmt, queryString, guard.allowed,
						 guard.warnings);

	sg_drop_leave(&outer);

	if (OidIsValid(guard.locked_relid))
		sg_xact_note_lock(guard.locked_relid,
						  GetCommandTagName(CreateCommandTag(stmt)));

	if (IsA(stmt, CreateSchemaStmt) || IsA(stmt, CreateEnumStmt))
		sg_note_statement_creations(stmt);
	sg_consistency_utility_done();

	/* the prepared transaction's entries are chained now */
	if (IsA(stmt, TransactionStmt) &&
		((TransactionStmt *) stmt)->kind == TRANS_STMT_COMMIT_PREPARED)
		sg_prepared_after_commit_prepared();
}

/*
 * schemaguard.list_rules(): every rule with its family, default level,
 * effective level (after schemaguard.rules), description and where it is
 * documented (0.2.0 on; the function of a 0.1.0 install has five columns).
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
		Datum		values[6];
		bool		nulls[6] = {false};

		values[0] = CStringGetTextDatum(sg_rules[i].name);
		values[1] = CStringGetTextDatum(sg_family_name(sg_rules[i].family));
		values[2] = CStringGetTextDatum(sg_level_name(sg_rules[i].default_level));
		values[3] = CStringGetTextDatum(sg_level_name(sg_rule_level(i)));
		values[4] = CStringGetTextDatum(sg_rules[i].description);
		/* 0.1.0's list_rules() has no doc column */
		if (rsinfo->setDesc->natts > 5)
			values[5] = CStringGetTextDatum(sg_rule_doc(&sg_rules[i]));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
