/*-------------------------------------------------------------------------
 *
 * rules_xact.c
 *		Rules about the transaction a statement runs in rather than the
 *		statement alone: scan_while_locked, query_while_locked and
 *		lock_table_no_timeout.
 *
 * A statement that is safe on its own is not safe after a statement that
 * took a strong lock in the same transaction: the lock is held until the
 * transaction ends, so whatever runs after it runs with every reader or
 * writer of the table waiting.  The classic case is ADD CONSTRAINT ... NOT
 * VALID followed by VALIDATE CONSTRAINT in one BEGIN ... COMMIT: the
 * VALIDATE takes only SHARE UPDATE EXCLUSIVE itself, but the ADD's lock
 * blocks the table for the whole scan.
 *
 * Only the running transaction knows which locks it holds, so
 * scan_while_locked and query_while_locked ask the lock manager
 * (LockHeldByMe), and none of these rules judges anything in check(), which
 * sees a script, not a transaction; lock_table_no_timeout judges LOCK TABLE
 * itself, which holds its lock to the end of the transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_constraint.h"
#include "executor/execdesc.h"
#include "nodes/plannodes.h"
#include "storage/proc.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/syscache.h"

#include "schemaguard.h"

/*
 * The validated flag and the referenced table (for a foreign key) of a
 * relation's constraint; false if there is no such constraint.
 */
static bool
sg_constraint_facts(Oid relid, const char *name, bool *validated,
					Oid *confrelid)
{
	Oid			conoid = get_relation_constraint_oid(relid, name, true);
	HeapTuple	tup;

	if (!OidIsValid(conoid))
		return false;
	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	if (!HeapTupleIsValid(tup))
		return false;
	*validated = ((Form_pg_constraint) GETSTRUCT(tup))->convalidated;
	*confrelid = ((Form_pg_constraint) GETSTRUCT(tup))->confrelid;
	ReleaseSysCache(tup);
	return true;
}

static void
sg_report_scan_while_locked(SGContext *ctx, SGRelInfo *ri, LOCKMODE held,
							const char *conname, const char *scanned)
{
	char	   *text = sg_statement_text(ctx);

	sg_report(ctx, ri, NULL, held,
			  psprintf("VALIDATE CONSTRAINT \"%s\" scans table \"%s\" while this transaction holds %s %s lock on \"%s\"",
					   conname, scanned,
					   (held == AccessExclusiveLock || held == ExclusiveLock) ? "an" : "a",
					   sg_lock_name(held), ri->display),
			  "An earlier statement of this transaction took the lock, and it is held until the transaction ends, "
			  "so it is held for the whole scan; VALIDATE CONSTRAINT on its own takes only SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.",
			  psprintf("End the transaction that took the lock first, then validate in a transaction of its own:\n"
					   "COMMIT;\n"
					   "-- (with a migration tool: put the VALIDATE in a migration of its own)\n"
					   "%s;",
					   text ? text : "ALTER TABLE ... VALIDATE CONSTRAINT ..."));
}

/* ----------------------------------------------------------------
 * scan_while_locked
 * ----------------------------------------------------------------
 */
void
sg_check_scan_while_locked(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	SGRelInfo  *ri = NULL;
	ListCell   *lc;

	/* a script is not a transaction: nothing is held while linting it */
	if (ctx->dry_run)
		return;

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		bool		validated;
		Oid			confrelid;
		LOCKMODE	held;

		if (cmd->subtype != AT_ValidateConstraint || cmd->name == NULL)
			continue;
		if (ri == NULL)
		{
			ri = sg_alter_table_target(ctx, ats);
			if (ri == NULL)
				return;
		}
		/* no such constraint: the server says so; validated: nothing to scan */
		if (!sg_constraint_facts(ri->relid, cmd->name, &validated, &confrelid) ||
			validated)
			continue;

		held = sg_strong_lock_held(ri->relid);
		if (held != NoLock && sg_rel_is_large(ctx, ri))
		{
			sg_report_scan_while_locked(ctx, ri, held, cmd->name, ri->display);
			continue;
		}

		/* a foreign key's check reads the referenced table as well */
		if (OidIsValid(confrelid))
		{
			SGRelInfo  *pk = sg_relinfo_oid(ctx, confrelid);

			if (pk == NULL || sg_rel_exempt(ctx, pk))
				continue;
			held = sg_strong_lock_held(confrelid);
			if (held != NoLock && sg_rel_is_large(ctx, ri))
				sg_report_scan_while_locked(ctx, pk, held, cmd->name, ri->display);
		}
	}
}

/* ----------------------------------------------------------------
 * query_while_locked
 * ----------------------------------------------------------------
 *
 * The utility hook notes each large, existing table on which a guarded
 * statement of this transaction took a lock of mode SHARE or stronger
 * (sg_xact_note_lock); the executor hook then judges every query that
 * reads or writes one of them while the lock is still held.  The list
 * lives in TopTransactionContext and is empty in almost every transaction,
 * so a query costs one comparison.  A lock given back by a rolled-back
 * subtransaction stays on the list: the lock manager is asked before
 * anything is reported.
 */
typedef struct SGLockedRel
{
	Oid			relid;
	const char *taken_by;		/* command tag of the statement (static) */
} SGLockedRel;

static List *sg_locked_rels = NIL;

/* utility statements running now whose queries are their own business */
static int	sg_utility_depth = 0;

void
sg_xact_note_lock(Oid relid, const char *taken_by)
{
	MemoryContext old;
	SGLockedRel *lr;
	ListCell   *lc;

	foreach(lc, sg_locked_rels)
	{
		if (((SGLockedRel *) lfirst(lc))->relid == relid)
			return;
	}
	old = MemoryContextSwitchTo(TopTransactionContext);
	lr = palloc(sizeof(SGLockedRel));
	lr->relid = relid;
	lr->taken_by = taken_by;
	sg_locked_rels = lappend(sg_locked_rels, lr);
	MemoryContextSwitchTo(old);
}

/* the end of the transaction: its locks are gone */
void
sg_xact_reset(void)
{
	sg_locked_rels = NIL;
	sg_utility_depth = 0;
}

/*
 * Utility statements whose own work runs queries (a foreign key's check,
 * REFRESH MATERIALIZED VIEW, CREATE TABLE AS) are judged as statements;
 * DO, CALL, EXPLAIN, EXECUTE and DECLARE run the user's queries, which are
 * judged one by one, and BEGIN, COMMIT, SET and SHOW run none.
 */
bool
sg_utility_runs_own_queries(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_TransactionStmt:
		case T_VariableSetStmt:
		case T_VariableShowStmt:
		case T_DoStmt:
		case T_CallStmt:
		case T_ExplainStmt:
		case T_ExecuteStmt:
		case T_DeclareCursorStmt:
		case T_PrepareStmt:
		case T_FetchStmt:
			return false;
		default:
			return true;
	}
}

void
sg_utility_enter(void)
{
	sg_utility_depth++;
}

void
sg_utility_leave(void)
{
	if (sg_utility_depth > 0)
		sg_utility_depth--;
}

bool
sg_xact_holds_noted_locks(void)
{
	return sg_locked_rels != NIL && sg_utility_depth == 0;
}

/*
 * A foreign key's own check: SELECT ... FOR KEY SHARE, which the server
 * runs for each row written to a referencing table.  It reads one row and
 * is judged with the statement that writes.
 */
static bool
sg_is_key_share_lookup(PlannedStmt *pstmt)
{
	ListCell   *lc;

	if (pstmt->commandType != CMD_SELECT || pstmt->rowMarks == NIL)
		return false;
	foreach(lc, pstmt->rowMarks)
	{
		if (((PlanRowMark *) lfirst(lc))->strength != LCS_FORKEYSHARE)
			return false;
	}
	return true;
}

/*
 * After ExecutorStart (so the server has checked the query's privileges):
 * does the query read or write a table this transaction holds a lock of
 * mode SHARE or stronger on, taken by an earlier guarded statement?
 */
void
sg_check_query_while_locked(QueryDesc *qd)
{
	PlannedStmt *pstmt = qd->plannedstmt;
	int			rule = sg_rule_index("query_while_locked");
	SGContext	ctx;
	MemoryContext cxt;
	MemoryContext old;
	ListCell   *lc;

	if (pstmt == NULL || !sg_guard_active() || rule < 0 ||
		sg_rule_level(rule) == SG_LEVEL_OFF || sg_is_key_share_lookup(pstmt))
		return;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "schemaguard query",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);
	sg_context_init(&ctx, qd->sourceText, pstmt->stmt_location,
					pstmt->stmt_len, PROCESS_UTILITY_QUERY);
	ctx.privileges_checked = true;
	ctx.rule = &sg_rules[rule];
	ctx.rule_index = rule;

	foreach(lc, pstmt->rtable)
	{
		RangeTblEntry *rte = lfirst_node(RangeTblEntry, lc);
		SGLockedRel *lr = NULL;
		ListCell   *lc2;
		LOCKMODE	held;
		SGRelInfo  *ri;
		char	   *text;
		const char *tag;

		if (rte->rtekind != RTE_RELATION)
			continue;
		foreach(lc2, sg_locked_rels)
		{
			if (((SGLockedRel *) lfirst(lc2))->relid == rte->relid)
				lr = lfirst(lc2);
		}
		if (lr == NULL || (held = sg_strong_lock_held(lr->relid)) == NoLock)
			continue;
		/* measured now: after TRUNCATE the table is empty, and quick to read */
		ri = sg_relinfo_oid(&ctx, lr->relid);
		if (ri == NULL || sg_rel_exempt(&ctx, ri) || !sg_rel_is_large(&ctx, ri))
			continue;

		tag = GetCommandTagName(CreateCommandTag((Node *) pstmt));
		text = sg_statement_text(&ctx);
		sg_report(&ctx, ri, NULL, held,
				  psprintf("%s on table \"%s\" runs while this transaction holds %s %s lock on it",
						   tag, ri->display,
						   (held == AccessExclusiveLock || held == ExclusiveLock) ? "an" : "a",
						   sg_lock_name(held)),
				  psprintf("%s earlier in this transaction took the lock, and it is held until the transaction ends: every query on the table waits while this one runs.",
						   lr->taken_by),
				  psprintf("End the transaction that took the lock first, then run this on its own (a large UPDATE in batches that commit):\n"
						   "COMMIT;\n"
						   "-- (with a migration tool: move it to a migration of its own)\n"
						   "%s;",
						   text ? text : tag));
		break;
	}
	MemoryContextSwitchTo(old);
	sg_raise_violations(&ctx);
	MemoryContextDelete(cxt);
}

/* ----------------------------------------------------------------
 * lock_table_no_timeout
 * ----------------------------------------------------------------
 *
 * LOCK TABLE in a mode that blocks writes (SHARE or stronger), with no
 * lock timeout: it waits in the queue for as long as any transaction holds
 * a conflicting lock, every query on the table waits behind it, and once
 * granted the lock stays for the rest of the transaction.  schemaguard
 * never gives LOCK its own timeout (applications take explicit locks to
 * wait for each other on purpose), so only the session's lock_timeout
 * bounds the wait.
 */
void
sg_check_lock_table_no_timeout(SGContext *ctx, Node *stmt)
{
	LockStmt   *ls = castNode(LockStmt, stmt);
	char	   *text;
	ListCell   *lc;

	if (ls->nowait || LockTimeout != 0 || !sg_lock_blocks_traffic(ls->mode))
		return;

	text = sg_statement_text(ctx);
	foreach(lc, ls->relations)
	{
		SGRelInfo  *ri = sg_relinfo_rv(ctx, lfirst_node(RangeVar, lc));

		if (ri == NULL || sg_rel_exempt(ctx, ri) || !sg_rel_is_large(ctx, ri))
			continue;
		sg_report(ctx, ri, NULL, ls->mode,
				  psprintf("LOCK TABLE takes %s %s lock on \"%s\" with no lock timeout",
						   (ls->mode == AccessExclusiveLock || ls->mode == ExclusiveLock) ? "an" : "a",
						   sg_lock_name(ls->mode), ri->display),
				  "If a long transaction holds any lock on the table, this statement waits in the lock queue, and every query on the table waits behind it; "
				  "once granted, the lock stays until the transaction ends.",
				  psprintf("Give it a lock timeout in its transaction, and retry on failure:\n"
						   "SET LOCAL lock_timeout = '5s';\n"
						   "%s;",
						   text ? text : "LOCK TABLE ..."));
	}
}
