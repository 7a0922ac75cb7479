/*-------------------------------------------------------------------------
 *
 * consistency.c
 *		One consistent state of the schema for snapshot(), fingerprint(),
 *		drift(), take_baseline(), export_manifest() and compare(), while
 *		other sessions change it.
 *
 * The snapshot reads the catalogs under one registered snapshot, but the
 * server's deparsers (ruleutils, format_type, the syscache) read the
 * catalogs as they are when they are called, and take no locks or open a
 * relation that may have gone: "could not open relation with OID",
 * "cache lookup failed", or a definition from another moment.  So a
 * snapshot is taken as an attempt that is checked, and repeated.
 *
 * Two counters in shared memory, bumped by every backend (schemaguard is
 * in shared_preload_libraries):
 *
 *	 started  (S): +1 at pre-commit of a transaction that ran a statement
 *				   that may change the schema, before its changes become
 *				   visible (ProcArrayEndTransaction); COMMIT PREPARED bumps
 *				   it before it runs, in its own transaction.
 *	 finished (F): +1 when that transaction is over, committed or aborted,
 *				   after it has sent its invalidation messages: in the
 *				   resource-release callback after the locks are released.
 *
 * An attempt reads F, accepts pending invalidation messages, takes its
 * snapshot and builds everything, then reads S.  Every transaction counted
 * in F at the start was counted in S before, so S_end >= F_start; equality
 * means that every transaction that began to commit before the end had
 * finished before the start: no schema change became visible during the
 * attempt, and the syscache and relcache held nothing older than the
 * snapshot.  The attempt then describes the schema as it was at its start.
 * Otherwise, or when the attempt failed and the counters moved, it is
 * repeated after a short pause.  Each attempt runs in a subtransaction
 * that is rolled back when it is done, so that it keeps no lock (the
 * deparser locks the tables views read), and allocates in a memory
 * context of its own, which a failed attempt deletes.  An error while the counters did
 * not move is a real one and is raised.
 *
 * Under a stream of schema changes that never leaves a quiet moment, the
 * attempts after the first few alternate with locked ones: a heavyweight
 * lock (an advisory lock tag of schemaguard's own) that every statement
 * that may change the schema takes in share mode before it runs, and every
 * transaction that runs one holds until its end (also at pre-commit of the
 * transactions inside CREATE INDEX CONCURRENTLY and the like, and before
 * COMMIT PREPARED).  A locked attempt takes it in exclusive mode: it waits
 * for the transactions that changed the schema to end and keeps new ones
 * from starting a statement until the attempt is done.  A schema-changing
 * transaction takes the lock before any relation lock of its statement, so
 * the deparser's relation locks never wait for a transaction that waits
 * for the snapshot; the wait for the exclusive lock is bounded (one
 * second), so a long migration transaction holds the snapshot back, not
 * every other session's DDL.  A locked attempt that times out or ends in a
 * deadlock (the caller's own transaction holding a lock a migration waits
 * for) is repeated like the others.  There is no bound on the number of
 * attempts: each waits, and the statement can be cancelled.
 *
 * Without shared memory (schemaguard not preloaded) and on a standby (where
 * replay changes the catalogs and no counter moves) an attempt is repeated
 * only when it failed with an error a concurrent change causes, at most
 * SG_MAX_ERROR_RETRIES times.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/inval.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"

#include "compat.h"
#include "consistency.h"
#include "schemaguard.h"
#include "snapshot.h"

/* attempts checked by the counters before locked ones alternate with them */
#define SG_OPTIMISTIC_ATTEMPTS	5
/* without the counters: retries of an attempt that failed */
#define SG_MAX_ERROR_RETRIES	10
/* how long a locked attempt waits for the exclusive lock */
#define SG_LOCK_WAIT_MS			"1000"
/* field4 of schemaguard's advisory lock tag (1 and 2 are the SQL functions') */
#define SG_LOCKTAG_FIELD4		0x5347

typedef struct SGConsistencyShared
{
	pg_atomic_uint64 started;
	pg_atomic_uint64 finished;
} SGConsistencyShared;

static SGConsistencyShared *sg_shared = NULL;
static shmem_request_hook_type sg_prev_shmem_request = NULL;
static shmem_startup_hook_type sg_prev_shmem_startup = NULL;

/* this backend's transaction */
static bool sg_xact_changes_schema = false;	/* ran such a statement */
static bool sg_xact_counted = false;	/* bumped started: bump finished */
/* inside a statement that commits transactions of its own */
static bool sg_multi_xact_statement = false;

static void
sg_lock_tag(LOCKTAG *tag)
{
	/* one lock for the cluster: roles and other shared objects show too */
	SET_LOCKTAG_ADVISORY(*tag, InvalidOid, 0x73636867, 0x64726966, SG_LOCKTAG_FIELD4);
}

static void
sg_shmem_request(void)
{
	if (sg_prev_shmem_request)
		sg_prev_shmem_request();
	RequestAddinShmemSpace(MAXALIGN(sizeof(SGConsistencyShared)));
}

static void
sg_shmem_startup(void)
{
	bool		found;

	if (sg_prev_shmem_startup)
		sg_prev_shmem_startup();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	sg_shared = ShmemInitStruct("schemaguard consistency", sizeof(SGConsistencyShared),
								&found);
	if (!found)
	{
		pg_atomic_init_u64(&sg_shared->started, 0);
		pg_atomic_init_u64(&sg_shared->finished, 0);
	}
	LWLockRelease(AddinShmemInitLock);
}

/* may a statement change what the snapshot shows, or lock a relation strongly? */
static bool
sg_statement_changes_schema(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_TransactionStmt:
		case T_VariableSetStmt:
		case T_VariableShowStmt:
		case T_DiscardStmt:
		case T_CopyStmt:
		case T_PrepareStmt:
		case T_ExecuteStmt:
		case T_DeallocateStmt:
		case T_DeclareCursorStmt:
		case T_FetchStmt:
		case T_ClosePortalStmt:
		case T_NotifyStmt:
		case T_ListenStmt:
		case T_UnlistenStmt:
		case T_CheckPointStmt:
		case T_LoadStmt:
		case T_VacuumStmt:
		case T_ConstraintsSetStmt:
			return false;
			/* what they run comes here statement by statement */
		case T_CallStmt:
		case T_DoStmt:
			return false;
		case T_ExplainStmt:
			{
				/* EXPLAIN ANALYZE CREATE TABLE AS, parsed or analysed */
				Node	   *query = ((ExplainStmt *) stmt)->query;

				if (query != NULL && IsA(query, Query) &&
					((Query *) query)->commandType == CMD_UTILITY)
					query = ((Query *) query)->utilityStmt;
				return query != NULL && IsA(query, CreateTableAsStmt);
			}
			/* only ACCESS EXCLUSIVE keeps the deparser from a table */
		case T_LockStmt:
			return ((LockStmt *) stmt)->mode >= AccessExclusiveLock;
		default:
			return true;
	}
}

/*
 * The share lock belongs to the top transaction, whatever runs the
 * statement (a cursor's portal, a subtransaction), so that PREPARE can
 * release it (sg_consistency_xact).
 */
static void
sg_take_share_lock(void)
{
	LOCKTAG		tag;
	ResourceOwner save = CurrentResourceOwner;

	sg_lock_tag(&tag);
	if (TopTransactionResourceOwner != NULL)
		CurrentResourceOwner = TopTransactionResourceOwner;
	PG_TRY();
	{
		(void) LockAcquire(&tag, ShareLock, false, false);
	}
	PG_FINALLY();
	{
		CurrentResourceOwner = save;
	}
	PG_END_TRY();
}

static void
sg_count_started(void)
{
	pg_atomic_fetch_add_u64(&sg_shared->started, 1);
	sg_xact_counted = true;
}

void
sg_consistency_utility(Node *stmt)
{
	if (sg_shared == NULL || stmt == NULL || IsParallelWorker() ||
		RecoveryInProgress())
		return;
	if (IsA(stmt, TransactionStmt))
	{
		TransactionStmt *ts = (TransactionStmt *) stmt;

		/*
		 * What a prepared transaction changed becomes visible now, in this
		 * statement's own transaction, which ends after it.
		 */
		if (ts->kind == TRANS_STMT_COMMIT_PREPARED && !sg_xact_counted)
		{
			sg_take_share_lock();
			sg_count_started();
		}
		return;
	}
	if (!sg_statement_changes_schema(stmt))
		return;
	/* before the statement takes any relation lock */
	sg_take_share_lock();
	sg_xact_changes_schema = true;
	if (sg_statement_commits_internally(stmt))
		sg_multi_xact_statement = true;
}

static void
sg_consistency_xact(XactEvent event, void *arg)
{
	if (sg_shared == NULL)
		return;
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			if ((sg_xact_changes_schema || sg_multi_xact_statement) && !sg_xact_counted)
			{
				/* a transaction inside a statement took no lock yet */
				sg_take_share_lock();
				sg_count_started();
			}
			break;
		case XACT_EVENT_PRE_PREPARE:
			{
				LOCKTAG		tag;

				ResourceOwner save = CurrentResourceOwner;

				/* its changes show at COMMIT PREPARED, which counts them */
				sg_lock_tag(&tag);
				if (TopTransactionResourceOwner != NULL)
					CurrentResourceOwner = TopTransactionResourceOwner;
				while (SG_LOCK_HELD_BY_ME(&tag, ShareLock) &&
					   LockRelease(&tag, ShareLock, false))
					;
				CurrentResourceOwner = save;
				sg_xact_changes_schema = false;
			}
			break;
		default:
			break;
	}
}

static void
sg_consistency_release(ResourceReleasePhase phase, bool isCommit,
					   bool isTopLevel, void *arg)
{
	if (phase != RESOURCE_RELEASE_AFTER_LOCKS || !isTopLevel)
		return;
	/* after AtEOXact_Inval: the invalidation messages are sent */
	if (sg_xact_counted && sg_shared != NULL)
		pg_atomic_fetch_add_u64(&sg_shared->finished, 1);
	sg_xact_counted = false;
	sg_xact_changes_schema = false;
	/* a statement that commits transactions of its own failed */
	if (!isCommit)
		sg_multi_xact_statement = false;
}

void
sg_consistency_utility_done(void)
{
	/*
	 * A statement that committed transactions of its own is over; its last
	 * transaction commits after the hook returns.
	 */
	if (sg_multi_xact_statement)
	{
		sg_multi_xact_statement = false;
		sg_xact_changes_schema = true;
	}
}

void
sg_consistency_init(void)
{
	if (process_shared_preload_libraries_in_progress)
	{
		sg_prev_shmem_request = shmem_request_hook;
		shmem_request_hook = sg_shmem_request;
		sg_prev_shmem_startup = shmem_startup_hook;
		shmem_startup_hook = sg_shmem_startup;
	}
	RegisterXactCallback(sg_consistency_xact, NULL);
	RegisterResourceReleaseCallback(sg_consistency_release, NULL);
}

/* ----------------------------------------------------------------
 * Attempts
 * ----------------------------------------------------------------
 */

static emit_log_hook_type sg_prev_emit_log_hook = NULL;

/*
 * In the snapshot's parallel worker: an error goes to the leader, which
 * takes the snapshot again when a concurrent change caused it, and else
 * raises it and logs it; the worker does not log it as well.
 */
static void
sg_worker_emit_log(ErrorData *edata)
{
	if (edata->elevel == ERROR)
		edata->output_to_server = false;
	if (sg_prev_emit_log_hook)
		sg_prev_emit_log_hook(edata);
}

void
sg_consistency_worker_start(void)
{
	sg_prev_emit_log_hook = emit_log_hook;
	emit_log_hook = sg_worker_emit_log;
}

typedef enum SGAttemptMode
{
	SG_ATTEMPT_COUNTED,			/* checked by the counters */
	SG_ATTEMPT_LOCKED,			/* under the exclusive lock */
	SG_ATTEMPT_ERRORS,			/* no counters: repeated on an error only */
} SGAttemptMode;

/* an error that a concurrent schema change causes */
static bool
sg_concurrent_error(int sqlerrcode)
{
	return sqlerrcode == ERRCODE_INTERNAL_ERROR ||
		sqlerrcode == ERRCODE_UNDEFINED_TABLE ||
		sqlerrcode == ERRCODE_UNDEFINED_OBJECT ||
		sqlerrcode == ERRCODE_UNDEFINED_FUNCTION ||
		sqlerrcode == ERRCODE_UNDEFINED_COLUMN ||
		sqlerrcode == ERRCODE_UNDEFINED_SCHEMA ||
		sqlerrcode == ERRCODE_WRONG_OBJECT_TYPE;
}

static void
sg_take_exclusive_lock(void)
{
	LOCKTAG		tag;
	int			nestlevel = NewGUCNestLevel();

	(void) set_config_option("lock_timeout", SG_LOCK_WAIT_MS, PGC_SUSET,
							 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	sg_lock_tag(&tag);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);
	AtEOXact_GUC(true, nestlevel);
}

static void
sg_pause(int attempt)
{
	long		us = 1000L << Min(attempt, 7);	/* 2 ms .. 128 ms */

	CHECK_FOR_INTERRUPTS();
	pg_usleep(us);
	CHECK_FOR_INTERRUPTS();
}

static SGAttemptMode
sg_attempt_mode(int attempt)
{
	if (sg_shared == NULL || RecoveryInProgress())
		return SG_ATTEMPT_ERRORS;
	if (attempt <= SG_OPTIMISTIC_ATTEMPTS || attempt % 2 == 1)
		return SG_ATTEMPT_COUNTED;
	return SG_ATTEMPT_LOCKED;
}

/* what one attempt found */
typedef struct SGAttempt
{
	SGAttemptMode mode;
	bool		serial;			/* without a parallel worker */
	uint64		finished_at_start;
	uint64		started_at_end;
	bool		locked;			/* it held the exclusive lock */
	void	   *result;
} SGAttempt;

/*
 * One attempt, in a subtransaction that is rolled back when it is done;
 * NULL, or the error it failed with.
 */
static ErrorData *
sg_attempt(void *(*fn) (void *arg), void *arg, SGAttempt *a, MemoryContext acxt)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(acxt);
	PG_TRY();
	{
		/*
		 * A parallel worker that meets a concurrent change logs its error
		 * itself: repeated attempts that may meet one go without.
		 */
		if (a->serial)
			(void) set_config_option("max_parallel_workers_per_gather", "0",
									 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
									 true, 0, false);
		if (a->mode == SG_ATTEMPT_LOCKED)
		{
			sg_take_exclusive_lock();
			a->locked = true;
		}
		if (sg_shared != NULL)
		{
			a->finished_at_start = pg_atomic_read_u64(&sg_shared->finished);
			pg_memory_barrier();
		}
		/* no cache entry older than the start, no older catalog snapshot */
		AcceptInvalidationMessages();
		InvalidateCatalogSnapshot();
		a->result = fn(arg);
		if (sg_shared != NULL)
		{
			pg_memory_barrier();
			a->started_at_end = pg_atomic_read_u64(&sg_shared->started);
		}
		/*
		 * Rolled back also when it succeeded: it wrote nothing, and its
		 * result is in acxt, but the relation locks the deparser took must
		 * not outlive it (the next attempt may wait for the exclusive lock,
		 * for a transaction that waits for one of them), nor the lock.
		 */
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
	}
	PG_END_TRY();
	return edata;
}

/* may a failed attempt be taken again? */
static bool
sg_attempt_again(SGAttempt *a, ErrorData *edata, int attempt)
{
	int			category = ERRCODE_TO_CATEGORY(edata->sqlerrcode);

	/*
	 * A cancel or statement_timeout (its interrupt is spent), a shutdown,
	 * or a lack of resources is never retried.
	 */
	if (category == ERRCODE_OPERATOR_INTERVENTION ||
		category == ERRCODE_INSUFFICIENT_RESOURCES ||
		category == ERRCODE_PROGRAM_LIMIT_EXCEEDED)
		return false;
	switch (a->mode)
	{
		case SG_ATTEMPT_COUNTED:
			/* unless nothing changed: then the error is a real one */
			return pg_atomic_read_u64(&sg_shared->started) != a->finished_at_start;
		case SG_ATTEMPT_LOCKED:
			return edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE ||
				edata->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED ||
				(!a->locked && sg_concurrent_error(edata->sqlerrcode));
		case SG_ATTEMPT_ERRORS:
			break;
	}
	return attempt <= SG_MAX_ERROR_RETRIES && sg_concurrent_error(edata->sqlerrcode);
}

/*
 * Run fn(arg) until it describes one state of the schema; its result and
 * everything it allocated are in a memory context under the caller's.
 */
static void *
sg_consistent_run(void *(*fn) (void *arg), void *arg)
{
#if PG_VERSION_NUM < 170000

	/*
	 * Called inside a parallel query (the functions are parallel
	 * restricted: in the leader), 15 and 16 start no subtransaction: one
	 * attempt, as before 0.2.0, without the guarantee.
	 */
	if (IsInParallelMode())
		return fn(arg);
#endif
	for (int attempt = 1;; attempt++)
	{
		SGAttempt	a = {0};
		MemoryContext acxt;
		ErrorData  *edata;

		a.mode = sg_attempt_mode(attempt);
		a.serial = attempt > 1 && a.mode != SG_ATTEMPT_LOCKED;
		acxt = AllocSetContextCreate(CurrentMemoryContext, "schemaguard snapshot attempt",
									 ALLOCSET_DEFAULT_SIZES);
		edata = sg_attempt(fn, arg, &a, acxt);
		if (edata == NULL)
		{
			if (a.mode != SG_ATTEMPT_COUNTED || a.started_at_end == a.finished_at_start)
				return a.result;
			elog(DEBUG1, "schemaguard: the schema changed during snapshot attempt %d; taking it again",
				 attempt);
		}
		else
		{
			if (!sg_attempt_again(&a, edata, attempt))
			{
				MemoryContextDelete(acxt);
				ReThrowError(edata);
			}
			elog(DEBUG1, "schemaguard: snapshot attempt %d failed: %s; taking it again",
				 attempt, edata->message);
			FreeErrorData(edata);
		}
		MemoryContextDelete(acxt);
		sg_pause(attempt);
	}
}

typedef struct SGTakeArgs
{
	int			facets;
	SGLeaderWork work;
	void	   *work_arg;
} SGTakeArgs;

static void *
sg_take_attempt(void *arg)
{
	SGTakeArgs *a = arg;

	return sg_snapshot_take_once(a->facets, a->work, a->work_arg);
}

static void *
sg_fingerprint_attempt(void *arg)
{
	return sg_snapshot_fingerprint_once(*(int *) arg);
}

SGSnapshot *
sg_snapshot_take(int facets, SGLeaderWork work, void *work_arg)
{
	SGTakeArgs	a = {facets, work, work_arg};

	return sg_consistent_run(sg_take_attempt, &a);
}

char *
sg_snapshot_fingerprint(int facets)
{
	return sg_consistent_run(sg_fingerprint_attempt, &facets);
}
