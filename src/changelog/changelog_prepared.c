/*-------------------------------------------------------------------------
 *
 * changelog_prepared.c
 *		The changelog entries of prepared transactions: written without
 *		the chain's lock at PREPARE TRANSACTION, chained once committed.
 *
 * A transaction that commits writes its entries at pre-commit under a
 * SHARE ROW EXCLUSIVE lock on schemaguard.changelog, held to the end of
 * the commit (changelog.c): that serialises writers for an instant.  A
 * prepared transaction would hold that lock until COMMIT PREPARED, which
 * may be never, or after a second PREPARE of the same global transaction
 * that waits for it; so at PREPARE TRANSACTION its entries go instead to
 * schemaguard.changelog_pending, keyed by (xid, seq), with no lock beyond
 * the ROW EXCLUSIVE of the INSERT, which conflicts with no other writer.
 *
 * The pending rows are the prepared transaction's own: ROLLBACK PREPARED
 * removes them with it, COMMIT PREPARED makes them visible, and a crash in
 * between keeps them with the prepared transaction.  So the rows visible
 * to a fresh snapshot are exactly the entries of committed prepared
 * transactions not chained yet.  Whoever holds the chain's lock chains
 * them (the rows are deleted from changelog_pending and appended to the
 * changelog in the same transaction, with a snapshot taken after the lock,
 * so two chainers never see the same rows):
 *	- the hook, right after COMMIT PREPARED, in the same session, database
 *	  and implicit transaction (in a subtransaction: an error there becomes
 *	  a WARNING, for the prepared transaction has committed already), only
 *	  if there is something to chain, so COMMIT PREPARED of transactions
 *	  that changed no schema takes no lock;
 *	- every commit that writes its own entries (before them);
 *	- schemaguard.chain_pending(), for a DBA.
 * verify_changelog() says when committed entries wait to be chained.
 *
 * Order: a prepared transaction's entries are chained at the first
 * chaining after its COMMIT PREPARED, normally that of COMMIT PREPARED
 * itself; entries found together (after a crash, or from a session without
 * schemaguard loaded) go in the order of their PREPARE, then xid.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/xid8.h"

#include "schemaguard.h"

#define SG_PENDING_ARGS 14

/*
 * PREPARE TRANSACTION: write the transaction's rows (SGChainRow *) to
 * schemaguard.changelog_pending.  Runs inside sg_writer_begin().
 */
void
sg_prepared_write(List *rows)
{
	Oid			argtypes[SG_PENDING_ARGS] = {
		XID8OID, INT4OID, TIMESTAMPTZOID, TIMESTAMPTZOID, NAMEOID, NAMEOID,
		TEXTOID, INETOID, TEXTOID, JSONBOID, TEXTOID, TEXTOID, TEXTARRAYOID,
		TEXTARRAYOID
	};
	TimestampTz prepared_at = GetCurrentTimestamp();
	int			seq = 0;
	ListCell   *lc;

	foreach(lc, rows)
	{
		SGChainRow *row = lfirst(lc);
		Datum		values[SG_PENDING_ARGS];
		char		nulls[SG_PENDING_ARGS];

		memset(nulls, ' ', sizeof(nulls));
		values[0] = FullTransactionIdGetDatum(row->fxid);
		values[1] = Int32GetDatum(++seq);
		values[2] = TimestampTzGetDatum(prepared_at);
		values[3] = TimestampTzGetDatum(row->recorded_at);
		values[4] = DirectFunctionCall1(namein, CStringGetDatum(row->role_name));
		values[5] = DirectFunctionCall1(namein, CStringGetDatum(row->session_role));
		if (row->application_name)
			values[6] = CStringGetTextDatum(row->application_name);
		else
			nulls[6] = 'n';
		if (row->have_addr)
			values[7] = row->client_addr;
		else
			nulls[7] = 'n';
		values[8] = CStringGetTextDatum(row->command_tag);
		values[9] = DirectFunctionCall1(jsonb_in, CStringGetDatum(row->objects));
		values[10] = CStringGetTextDatum(row->statement);
		if (row->migration)
			values[11] = CStringGetTextDatum(row->migration);
		else
			nulls[11] = 'n';
		values[12] = OidInputFunctionCall(F_ARRAY_IN, (char *) row->allowed_rules, TEXTOID, -1);
		values[13] = OidInputFunctionCall(F_ARRAY_IN, (char *) row->warnings, TEXTOID, -1);

		if (SPI_execute_with_args(
				"INSERT INTO schemaguard.changelog_pending (xid, seq, prepared_at, "
				"  recorded_at, role_name, session_role, application_name, "
				"  client_addr, command_tag, objects, statement, migration, "
				"  allowed_rules, warnings) "
				"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
				SG_PENDING_ARGS, argtypes, values, nulls, false, 0) != SPI_OK_INSERT ||
			SPI_processed != 1)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("schemaguard: could not record the schema change in schemaguard.changelog_pending"),
					 errdetail("The INSERT into schemaguard.changelog_pending stored " UINT64_FORMAT " rows instead of 1, so the transaction is not prepared.",
							   SPI_processed),
					 errhint("Drop the rule or trigger on schemaguard.changelog_pending that keeps the row from being stored.")));
	}
}

/* run one query with a snapshot taken now (after the chain's lock) */
static void
sg_pending_query(const char *sql, bool read_only)
{
	Snapshot	snapshot = RegisterSnapshot(GetLatestSnapshot());
	int			rc;

	rc = SPI_execute_snapshot(SPI_prepare(sql, 0, NULL), NULL, NULL,
							  snapshot, InvalidSnapshot, read_only, false, 0);
	UnregisterSnapshot(snapshot);
	if (rc < 0)
		elog(ERROR, "schemaguard: could not read schemaguard.changelog_pending");
}

/*
 * Chain the entries of committed prepared transactions.  Runs inside
 * sg_writer_begin() with the chain locked (sg_chain_lock()); returns how
 * many entries it chained.
 */
int64
sg_prepared_chain(SGChain *chain)
{
	SPITupleTable *tuptable;
	uint64		n;
	uint64		i;

	sg_pending_query(
		"WITH d AS (DELETE FROM schemaguard.changelog_pending RETURNING *) "
		"SELECT xid, recorded_at, role_name::text, session_role::text, "
		"  application_name, client_addr, command_tag, objects::text, "
		"  statement, migration, allowed_rules::text, warnings::text "
		"FROM d ORDER BY prepared_at, xid, seq", false);
	/* sg_chain_append() runs queries of its own: keep this result */
	tuptable = SPI_tuptable;
	n = SPI_processed;
	for (i = 0; i < n; i++)
	{
		HeapTuple	tup = tuptable->vals[i];
		TupleDesc	desc = tuptable->tupdesc;
		SGChainRow	row;
		bool		isnull;

		row.fxid = DatumGetFullTransactionId(SPI_getbinval(tup, desc, 1, &isnull));
		row.recorded_at = DatumGetTimestampTz(SPI_getbinval(tup, desc, 2, &isnull));
		row.role_name = SPI_getvalue(tup, desc, 3);
		row.session_role = SPI_getvalue(tup, desc, 4);
		row.application_name = SPI_getvalue(tup, desc, 5);
		row.client_addr = SPI_getbinval(tup, desc, 6, &isnull);
		row.have_addr = !isnull;
		row.command_tag = SPI_getvalue(tup, desc, 7);
		row.objects = SPI_getvalue(tup, desc, 8);
		row.statement = SPI_getvalue(tup, desc, 9);
		row.migration = SPI_getvalue(tup, desc, 10);
		row.allowed_rules = SPI_getvalue(tup, desc, 11);
		row.warnings = SPI_getvalue(tup, desc, 12);
		if (row.role_name == NULL || row.session_role == NULL ||
			row.command_tag == NULL || row.objects == NULL ||
			row.statement == NULL || row.allowed_rules == NULL ||
			row.warnings == NULL)
			elog(ERROR, "schemaguard: schemaguard.changelog_pending has a row with a NULL where none belongs");
		sg_chain_append(chain, &row);
	}
	return (int64) n;
}

/*
 * Chain what committed prepared transactions left, if anything: looked at
 * without the lock first, so that nothing is locked when nothing waits.
 * Unless wait, a chain lock that is not free at once leaves the entries to
 * the next chaining: COMMIT PREPARED has committed already, and must not
 * hang behind whoever holds the changelog (a DBA's open transaction that
 * called chain_pending(), a VACUUM FULL of the changelog).
 */
static int64
sg_prepared_chain_now(bool wait)
{
	SGTarget	target;
	SGWriter	w;
	SGChain		chain;
	int64		n = 0;

	if (!sg_changelog_target(&target) || !OidIsValid(target.pending_relid))
		return 0;
	sg_writer_begin(&w);
	sg_pending_query("SELECT FROM schemaguard.changelog_pending LIMIT 1", true);
	if (SPI_processed > 0 &&
		sg_chain_lock(&chain, target.changelog_relid, wait))
		n = sg_prepared_chain(&chain);
	sg_writer_end(&w);
	return n;
}

/*
 * After COMMIT PREPARED, in its implicit transaction.  The prepared
 * transaction has committed: whatever goes wrong here is a WARNING, and
 * its entries wait in changelog_pending for the next chaining.
 */
void
sg_prepared_after_commit_prepared(void)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;

	if (!sg_changelog_enabled || !IsTransactionState() || RecoveryInProgress())
		return;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		(void) sg_prepared_chain_now(false);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		sg_writer_after_error();
		ereport(WARNING,
				(errmsg("schemaguard: the committed transaction's schema changes are not chained into schemaguard.changelog yet"),
				 errdetail("Chaining failed: %s.  They wait in schemaguard.changelog_pending; the next schema change chains them, or SELECT schemaguard.chain_pending().",
						   edata->message)));
		FreeErrorData(edata);
	}
	PG_END_TRY();
}

/*
 * schemaguard.chain_pending(): chain the entries of committed prepared
 * transactions now; returns how many.
 */
PG_FUNCTION_INFO_V1(sg_chain_pending);

Datum
sg_chain_pending(PG_FUNCTION_ARGS)
{
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("schemaguard.chain_pending() cannot run during recovery")));
	PG_RETURN_INT64(sg_prepared_chain_now(true));
}
