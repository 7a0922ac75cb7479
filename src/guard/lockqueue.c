/*-------------------------------------------------------------------------
 *
 * lockqueue.c
 *		The lock queue answered: when a guarded statement gives up waiting
 *		for a lock, say who is in the way; retry it when that is safe
 *		(schemaguard.lock_retries); and when a CONCURRENTLY form fails, say
 *		how to clean up what it left behind.
 *
 * Design.  A lock timeout (schemaguard's or the session's) ends the wait
 * with an ERROR, and the server takes the backend out of the lock's wait
 * queue (LockErrorCleanup) before it raises it, so by the time the hook's
 * PG_CATCH runs, the lock manager no longer says which lock was awaited.
 * The hook knows which lock the statement asks for on which relation
 * (sg_statement_lock, the one that blocks traffic); if the transaction
 * does not hold it after the failure, that is the lock it waited for.  The
 * lock manager's table (GetLockStatusData, as pg_locks) then gives the
 * sessions in the way, with the test of pg_blocking_pids(): they hold a
 * mode that conflicts, or wait for one since before the attempt began
 * (the queue is first come, first served).  When the transaction does hold
 * that lock, the statement waited for something else and the DETAIL says
 * nothing rather than guess.  CREATE INDEX CONCURRENTLY and REINDEX ...
 * CONCURRENTLY wait instead for the transactions that hold locks
 * conflicting with SHARE on the table; they are named as such.  Each
 * session is
 * described from the backend status table as pg_stat_activity would show
 * it to the current role: pid, role and application to everyone; client,
 * state, transaction age and the start of the query only to members of the
 * session's role or of pg_read_all_stats.
 *
 * Nothing here runs outside an error path: a statement that gets its lock
 * pays nothing.  Everything that reads shared state or the catalog inside
 * a PG_CATCH is itself wrapped in PG_TRY, so a failure while describing
 * the queue only loses the description, never the user's original error.
 *
 * Retries.  With schemaguard.lock_retries > 0 the hook runs a statement
 * that can wait for a lock in an internal subtransaction.  When the
 * statement gives up on a lock it waited for, the subtransaction is rolled
 * back (which releases what the attempt locked), the retry is logged with
 * the sessions in the way, the backend sleeps (schemaguard.lock_retry_delay,
 * doubling each time, at most 30 s) and runs the statement again.  It
 * retries only when the rest of the transaction holds no lock that blocks
 * other sessions' writes (SHARE or stronger on a relation): otherwise the
 * pause would keep them waiting behind locks already taken.  Statements
 * that commit internally cannot run in a subtransaction and are not
 * retried.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "common/ip.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/backend_status.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "schemaguard.h"

/* schemaguard.lock_retries and schemaguard.lock_retry_delay */
int			sg_lock_retries = 0;
int			sg_lock_retry_delay_ms = 500;

/* longest pause between two attempts */
#define SG_MAX_RETRY_PAUSE_MS	30000

/* how much of a blocking session's query the DETAIL shows */
#define SG_QUERY_PREVIEW_CHARS	80

/* "12 ms", "3.4 s", "5 min 12 s", "2 h 05 min" */
static char *
sg_format_duration(int64 ms)
{
	if (ms < 1000)
		return psprintf("%d ms", (int) ms);
	if (ms < 60 * 1000)
		return psprintf("%.1f s", ms / 1000.0);
	if (ms < 3600 * 1000)
		return psprintf("%d min %02d s", (int) (ms / 60000), (int) (ms / 1000 % 60));
	return psprintf("%d h %02d min", (int) (ms / 3600000), (int) (ms / 60000 % 60));
}

static const char *
sg_backend_state_name(BackendState state)
{
	switch (state)
	{
		case STATE_IDLE:
			return "idle";
		case STATE_RUNNING:
			return "active";
		case STATE_IDLEINTRANSACTION:
			return "idle in transaction";
		case STATE_FASTPATH:
			return "fastpath function call";
		case STATE_IDLEINTRANSACTION_ABORTED:
			return "idle in transaction (aborted)";
		case STATE_DISABLED:
			return "disabled";
		default:
			return NULL;
	}
}

/* the backend status entry of a pid, from this transaction's snapshot */
static PgBackendStatus *
sg_backend_status(int pid)
{
	int			n = pgstat_fetch_stat_numbackends();

	for (int i = 1; i <= n; i++)
	{
		LocalPgBackendStatus *local = SG_LOCAL_BEENTRY(i);

		if (local != NULL && local->backendStatus.st_procpid == pid)
			return &local->backendStatus;
	}
	return NULL;
}

/* ", client 10.0.0.5" or ", client local", or nothing */
static void
sg_append_client(StringInfo buf, PgBackendStatus *be)
{
	char		host[NI_MAXHOST];

	if (be->st_clientaddr.addr.ss_family == AF_UNIX)
	{
		appendStringInfoString(buf, ", client local");
		return;
	}
	if (be->st_clientaddr.addr.ss_family != AF_INET &&
		be->st_clientaddr.addr.ss_family != AF_INET6)
		return;
	if (pg_getnameinfo_all(&be->st_clientaddr.addr, be->st_clientaddr.salen,
						   host, sizeof(host), NULL, 0,
						   NI_NUMERICHOST | NI_NUMERICSERV) == 0)
		appendStringInfo(buf, ", client %s", host);
}

/* the start of a query, on one line */
static void
sg_append_query_preview(StringInfo buf, const char *raw)
{
	char	   *query = pgstat_clip_activity(raw);
	int			chars = 0;
	bool		space = false;
	const char *p;

	appendStringInfoString(buf, ", query: ");
	for (p = query; *p != '\0'; p += pg_mblen(p))
	{
		if (isspace((unsigned char) *p))
		{
			space = true;
			continue;
		}
		if (chars >= SG_QUERY_PREVIEW_CHARS)
		{
			appendStringInfoString(buf, "...");
			break;
		}
		if (space && chars > 0)
		{
			appendStringInfoChar(buf, ' ');
			chars++;
		}
		space = false;
		appendBinaryStringInfo(buf, p, pg_mblen(p));
		chars++;
	}
	pfree(query);
}

/*
 * One line for a session in the way: "pid N holds MODE: role ..., ...".
 * What pg_stat_activity shows only to members of the session's role or of
 * pg_read_all_stats is shown only to them here.
 */
static void
sg_append_blocker(StringInfo buf, int pid, LOCKMASK held, LOCKMODE awaited)
{
	PgBackendStatus *be;
	bool		first = true;

	appendStringInfoString(buf, "\n");
	if (pid == 0)
		appendStringInfoString(buf, "a prepared transaction (see pg_prepared_xacts)");
	else
		appendStringInfo(buf, "pid %d", pid);

	if (held != 0)
	{
		appendStringInfoString(buf, " holds ");
		for (LOCKMODE m = MaxLockMode; m > NoLock; m--)
		{
			if (held & LOCKBIT_ON(m))
			{
				appendStringInfo(buf, "%s%s", first ? "" : " and ", sg_lock_name(m));
				first = false;
			}
		}
	}
	else
		appendStringInfo(buf, " waits ahead for %s", sg_lock_name(awaited));

	if (pid == 0 || (be = sg_backend_status(pid)) == NULL)
		return;

	if (be->st_backendType != B_BACKEND)
		appendStringInfo(buf, ": %s", GetBackendTypeDesc(be->st_backendType));
	else
	{
		char	   *role = OidIsValid(be->st_userid) ?
			GetUserNameFromId(be->st_userid, true) : NULL;

		appendStringInfo(buf, ": role %s", role ? quote_identifier(role) : "(unknown)");
	}
	if (be->st_appname != NULL && be->st_appname[0] != '\0')
		appendStringInfo(buf, ", application %s", quote_literal_cstr(be->st_appname));

	if (!(has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS) ||
		  has_privs_of_role(GetUserId(), be->st_userid)))
	{
		appendStringInfoString(buf, " (its client, state and query are visible only to members of its role and of pg_read_all_stats)");
		return;
	}

	sg_append_client(buf, be);
	if (sg_backend_state_name(be->st_state) != NULL)
		appendStringInfo(buf, ", %s", sg_backend_state_name(be->st_state));
	if (be->st_xact_start_timestamp != 0)
		appendStringInfo(buf, ", transaction open for %s",
						 sg_format_duration((GetCurrentTimestamp() -
											 be->st_xact_start_timestamp) / 1000));
	if (be->st_activity_raw != NULL && be->st_activity_raw[0] != '\0')
		sg_append_query_preview(buf, be->st_activity_raw);
}

/* "table "public.orders"", or the lock manager's own words */
static char *
sg_locktag_text(const LOCKTAG *tag)
{
	StringInfoData buf;

	if (tag->locktag_type == LOCKTAG_RELATION &&
		tag->locktag_field1 == MyDatabaseId)
	{
		Oid			relid = tag->locktag_field2;
		char	   *name = get_rel_name(relid);

		if (name != NULL)
			return psprintf("%s \"%s.%s\"",
							get_rel_relkind(relid) == RELKIND_INDEX ||
							get_rel_relkind(relid) == RELKIND_PARTITIONED_INDEX ?
							"index" : "relation",
							get_namespace_name(get_rel_namespace(relid)), name);
	}
	initStringInfo(&buf);
	DescribeLockTag(&buf, tag);
	return buf.data;
}

/*
 * Build the description of the sessions in the way of "mode" on relation
 * "relid" (see the design above).  Returns NULL when this transaction holds
 * that lock after all: then the statement waited for something else, and
 * guessing would mislead.
 */
static char *
sg_describe_queue(Oid relid, LOCKMODE mode, TimestampTz since, bool waits_for_lockers)
{
	LOCKTAG		tag;
	LockData   *locks;
	LOCKMASK	conflicts;
	StringInfoData buf;
	int			nblockers = 0;
	int			leader = MyProc->lockGroupLeader ? MyProc->lockGroupLeader->pid : MyProcPid;

	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);
	if (!waits_for_lockers && SG_LOCK_HELD_BY_ME(&tag, mode))
		return NULL;

	/* what other sessions do right now, not when this transaction began */
	pgstat_clear_backend_activity_snapshot();

	conflicts = GetLockTagsMethodTable(&tag)->conflictTab[mode];
	locks = GetLockStatusData();
	initStringInfo(&buf);
	if (waits_for_lockers)
		appendStringInfo(&buf, "It waited for the transactions of these sessions, which hold locks on %s that conflict with %s:",
						 sg_locktag_text(&tag), sg_lock_name(mode));
	else
		appendStringInfo(&buf, "It waited for %s on %s behind:",
						 sg_lock_name(mode), sg_locktag_text(&tag));

	for (int i = 0; i < locks->nelements; i++)
	{
		LockInstanceData *l = &locks->locks[i];

		if (memcmp(&l->locktag, &tag, sizeof(LOCKTAG)) != 0 ||
			l->pid == MyProcPid || l->leaderPid == leader)
			continue;
		if (conflicts & l->holdMask)
			sg_append_blocker(&buf, l->leaderPid, l->holdMask & conflicts, NoLock);
		else if (!waits_for_lockers && l->waitLockMode != NoLock &&
				 (conflicts & LOCKBIT_ON(l->waitLockMode)) &&
				 l->waitStart != 0 && l->waitStart < since)
			sg_append_blocker(&buf, l->leaderPid, 0, l->waitLockMode);
		else
			continue;
		nblockers++;
	}
	if (nblockers == 0)
		return NULL;
	return buf.data;
}

/*
 * An error while describing a failure for the user's error message: drop
 * it (the user's error is what matters) but leave a trace at DEBUG1.
 */
static void
sg_swallow_error(MemoryContext cxt, const char *what)
{
	ErrorData  *edata;

	MemoryContextSwitchTo(cxt);
	edata = CopyErrorData();
	FlushErrorState();
	elog(DEBUG1, "schemaguard: could not describe %s: %s", what, edata->message);
	FreeErrorData(edata);
}

/*
 * The description of the lock queue for the DETAIL of a lock timeout, in
 * the current memory context, or NULL.  Never throws: this runs in a
 * PG_CATCH while another error is being handled.
 */
char *
sg_lock_queue_detail(Oid relid, LOCKMODE mode, TimestampTz since,
					 bool waits_for_lockers)
{
	MemoryContext cxt = CurrentMemoryContext;
	char	   *detail = NULL;

	if (!OidIsValid(relid) || mode == NoLock)
		return NULL;
	PG_TRY();
	{
		detail = sg_describe_queue(relid, mode, since, waits_for_lockers);
	}
	PG_CATCH();
	{
		sg_swallow_error(cxt, "the sessions in the way");
		detail = NULL;
	}
	PG_END_TRY();
	return detail;
}

/*
 * The first lock this transaction holds on a relation that blocks other
 * sessions' writes (SHARE or stronger), described for a message, or NULL;
 * relations only this transaction can see do not count.
 * Only called after a failed attempt, so reading the whole lock table is
 * affordable.
 */
/*
 * A relation this transaction created, or a temporary one: no other
 * session can wait for its lock.  (The transaction holds a lock on it, so
 * the relcache entry stays.)
 */
static bool
sg_rel_private_to_xact(Oid relid)
{
	Relation	rel = RelationIdGetRelation(relid);
	bool		is_private;

	if (rel == NULL)
		return false;
	is_private = rel->rd_createSubid != InvalidSubTransactionId ||
		rel->rd_rel->relpersistence == RELPERSISTENCE_TEMP;
	RelationClose(rel);
	return is_private;
}

char *
sg_xact_strong_lock_text(void)
{
	LockData   *locks = GetLockStatusData();

	for (int i = 0; i < locks->nelements; i++)
	{
		LockInstanceData *l = &locks->locks[i];

		if (l->pid != MyProcPid || l->locktag.locktag_type != LOCKTAG_RELATION ||
			l->locktag.locktag_field1 != MyDatabaseId ||
			(l->holdMask >> ShareLock) == 0 ||	/* nothing SHARE or stronger */
			sg_rel_private_to_xact(l->locktag.locktag_field2))
			continue;
		for (LOCKMODE m = MaxLockMode; m >= ShareLock; m--)
			if (l->holdMask & LOCKBIT_ON(m))
				return psprintf("%s on %s", sg_lock_name(m),
								sg_locktag_text(&l->locktag));
	}
	return NULL;
}

/* the pause before retry number "retry" (1, 2, ...) */
int
sg_lock_retry_pause_ms(int retry)
{
	int64		pause = sg_lock_retry_delay_ms;

	for (int i = 1; i < retry && pause < SG_MAX_RETRY_PAUSE_MS; i++)
		pause *= 2;
	return (int) Min(pause, SG_MAX_RETRY_PAUSE_MS);
}

/* sleep, interruptibly: a cancel or statement_timeout ends the pause */
void
sg_lock_retry_sleep(int ms)
{
	TimestampTz end = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), ms);

	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), end);

		CHECK_FOR_INTERRUPTS();
		if (left <= 0)
			break;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 left, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * The OIDs of the indexes on a table (valid or not), from pg_index; for
 * telling which INVALID index a failed CONCURRENTLY build left behind.
 */
static List *
sg_index_oids(Oid relid)
{
	List	   *result = NIL;
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;

	if (!OidIsValid(relid))
		return NIL;
	rel = table_open(IndexRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_index_indrelid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(relid));
	scan = systable_beginscan(rel, IndexIndrelidIndexId, true, NULL, 1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		result = lappend_oid(result, ((Form_pg_index) GETSTRUCT(tup))->indexrelid);
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

/*
 * Before a CONCURRENTLY form runs, note by OID what it works on (the
 * names are resolved now: when it fails, the search_path may be the
 * restricted one of an index build, and the names may resolve
 * differently).  The table it builds indexes on is returned, or InvalidOid.
 */
Oid
sg_concurrent_leftovers_init(SGLeftovers *lo, Node *stmt)
{
	ListCell   *lc;

	memset(lo, 0, sizeof(SGLeftovers));
	if (IsA(stmt, IndexStmt) && ((IndexStmt *) stmt)->concurrent)
		lo->table = RangeVarGetRelid(((IndexStmt *) stmt)->relation, NoLock, true);
	else if (IsA(stmt, ReindexStmt) &&
			 sg_option_is_true(((ReindexStmt *) stmt)->params, "concurrently") &&
			 ((ReindexStmt *) stmt)->relation != NULL)
	{
		ReindexStmt *rs = (ReindexStmt *) stmt;
		Oid			relid = RangeVarGetRelid(rs->relation, NoLock, true);

		if (rs->kind == REINDEX_OBJECT_INDEX && OidIsValid(relid))
			lo->table = IndexGetRelation(relid, true);
		else if (rs->kind == REINDEX_OBJECT_TABLE)
			lo->table = relid;
	}
	else if (IsA(stmt, DropStmt) && ((DropStmt *) stmt)->concurrent &&
			 ((DropStmt *) stmt)->removeType == OBJECT_INDEX)
	{
		foreach(lc, ((DropStmt *) stmt)->objects)
		{
			RangeVar   *rv = makeRangeVarFromNameList(castNode(List, lfirst(lc)));
			Oid			idx = RangeVarGetRelid(rv, NoLock, true);

			if (OidIsValid(idx))
				lo->dropped = lappend_oid(lo->dropped, idx);
		}
	}
	else if (IsA(stmt, AlterTableStmt))
	{
		AlterTableStmt *ats = (AlterTableStmt *) stmt;

		foreach(lc, ats->cmds)
		{
			AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
			PartitionCmd *pc = (PartitionCmd *) cmd->def;

			if (cmd->subtype == AT_DetachPartition && pc != NULL &&
				IsA(pc, PartitionCmd) && pc->concurrent)
			{
				lo->parent = RangeVarGetRelid(ats->relation, NoLock, true);
				lo->partition = RangeVarGetRelid(pc->name, NoLock, true);
			}
		}
	}
	lo->indexes_before = sg_index_oids(lo->table);
	return lo->table;
}

/* is this an index marked INVALID? */
static bool
sg_index_is_invalid(Oid indexoid)
{
	char		relkind = get_rel_relkind(indexoid);

	return (relkind == RELKIND_INDEX || relkind == RELKIND_PARTITIONED_INDEX) &&
		!get_index_isvalid(indexoid);
}

static char *
sg_qualified_relname(Oid relid)
{
	return quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
									  get_rel_name(relid));
}

/*
 * What a failed CONCURRENTLY form left behind, and the statements that
 * clean it up:
 * - CREATE INDEX CONCURRENTLY and REINDEX ... CONCURRENTLY: the INVALID
 *   indexes on the table that were not there before the statement,
 *   dropped with DROP INDEX CONCURRENTLY;
 * - DROP INDEX CONCURRENTLY: an index it marked INVALID, dropped by
 *   running the statement again;
 * - DETACH PARTITION ... CONCURRENTLY: a partition left pending detach,
 *   finished with ... DETACH PARTITION ... FINALIZE.
 */
static char *
sg_describe_leftovers(SGLeftovers *lo)
{
	StringInfoData buf;
	ListCell   *lc;
	int			n = 0;

	initStringInfo(&buf);
	foreach(lc, sg_index_oids(lo->table))
	{
		Oid			idx = lfirst_oid(lc);

		if (list_member_oid(lo->indexes_before, idx) || !sg_index_is_invalid(idx))
			continue;
		if (n++ == 0)
			appendStringInfoString(&buf, "The failed build left an INVALID index, which slows every write to the table and is never used by queries. Drop it:");
		appendStringInfo(&buf, "\nDROP INDEX CONCURRENTLY IF EXISTS %s;",
						 sg_qualified_relname(idx));
	}
	foreach(lc, lo->dropped)
	{
		Oid			idx = lfirst_oid(lc);

		if (!sg_index_is_invalid(idx))
			continue;
		appendStringInfo(&buf, "%sThe index %s is now INVALID: queries no longer use it, but writes still maintain it. Run the drop again:\nDROP INDEX CONCURRENTLY IF EXISTS %s;",
						 buf.len > 0 ? "\n" : "", sg_qualified_relname(idx),
						 sg_qualified_relname(idx));
	}
	if (OidIsValid(lo->parent) && OidIsValid(lo->partition) &&
		get_rel_name(lo->partition) != NULL &&
		has_superclass(lo->partition) && PartitionHasPendingDetach(lo->partition))
		appendStringInfo(&buf, "%sThe partition %s is left pending detach: it no longer receives rows from %s, but the detach is not finished. Finish it:\nALTER TABLE %s DETACH PARTITION %s FINALIZE;",
						 buf.len > 0 ? "\n" : "",
						 sg_qualified_relname(lo->partition), sg_qualified_relname(lo->parent),
						 sg_qualified_relname(lo->parent), sg_qualified_relname(lo->partition));
	return buf.len > 0 ? buf.data : NULL;
}

/*
 * The HINT for a failed CONCURRENTLY form, or NULL.  Never throws (runs in
 * a PG_CATCH, like sg_lock_queue_detail).
 */
char *
sg_concurrent_leftovers_hint(SGLeftovers *lo)
{
	MemoryContext cxt = CurrentMemoryContext;
	char	   *hint = NULL;

	PG_TRY();
	{
		hint = sg_describe_leftovers(lo);
	}
	PG_CATCH();
	{
		sg_swallow_error(cxt, "what the statement left behind");
		hint = NULL;
	}
	PG_END_TRY();
	return hint;
}
