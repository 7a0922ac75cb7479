/*-------------------------------------------------------------------------
 *
 * changelog.c
 *		The schema changelog: every committed utility statement that
 *		changes the schema of this database becomes one row of
 *		schemaguard.changelog, with a SHA-256 checksum of its text and a
 *		hash chain over all rows.
 *
 * How a statement is captured:
 *	- the hook opens a "frame" around each utility statement that may
 *	  change the schema (sg_changelog_begin / _end);
 *	- the event triggers schemaguard_capture_ddl (ddl_command_end) and
 *	  schemaguard_capture_drop (sql_drop) add the objects the server
 *	  reports to the innermost frame (sg_capture_ddl);
 *	- when the statement succeeds and touched at least one non-temporary
 *	  object, the frame becomes a pending entry of the (sub)transaction;
 *	  subtransaction aborts discard their entries;
 *	- at pre-commit, the pending entries are written under a lock on the
 *	  changelog that serialises writers only from pre-commit to the end of
 *	  commit, so ids have no gaps and the chain follows commit order.
 *
 * Cluster-wide statements (roles, databases, tablespaces) fire no event
 * triggers, so they never reach the changelog, and neither do their
 * passwords.  String literals of statements that may carry credentials
 * (user mappings, foreign servers, subscriptions) are redacted.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/objectaccess.h"
#include "catalog/objectaddress.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/event_trigger.h"
#include "commands/extension.h"
#include "common/cryptohash.h"
#include "common/keywords.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "parser/scanner.h"
#include "storage/lmgr.h"
#include "tcop/cmdtag.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
#include "utils/inet.h"
#include "utils/xid8.h"

#include "schemaguard.h"

/* a committed-to-be entry */
typedef struct SGPendingEntry
{
	SubTransactionId subid;
	SGChainRow	row;			/* xid and client are filled in at commit */
	CommandId	cid;			/* command that recorded it (migration_id.c) */
} SGPendingEntry;

/* the event-trigger queries, planned once per backend */
static SPIPlanPtr sg_commands_plan = NULL;
static SPIPlanPtr sg_dropped_plan = NULL;

/* innermost statement frame, and the transaction's pending entries */
static SGStatementFrame *sg_frame = NULL;
static List *sg_pending = NIL;

/*
 * Statements that never change the schema: no frame for them.
 */
static bool
sg_may_change_schema(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_TransactionStmt:
		case T_VariableSetStmt:
		case T_VariableShowStmt:
		case T_DiscardStmt:
		case T_ListenStmt:
		case T_NotifyStmt:
		case T_UnlistenStmt:
		case T_PrepareStmt:
		case T_ExecuteStmt:
		case T_DeallocateStmt:
		case T_CheckPointStmt:
		case T_LoadStmt:
		case T_CopyStmt:
		case T_FetchStmt:
		case T_ClosePortalStmt:
		case T_DeclareCursorStmt:
		case T_LockStmt:
		case T_ConstraintsSetStmt:
		case T_VacuumStmt:
		case T_DoStmt:
		case T_CallStmt:
			return false;
		case T_ExplainStmt:
			{
				/* EXPLAIN ANALYZE CREATE TABLE AS / MATERIALIZED VIEW creates it */
				Node	   *query = ((ExplainStmt *) stmt)->query;

				return query != NULL && IsA(query, Query) &&
					((Query *) query)->utilityStmt != NULL &&
					IsA(((Query *) query)->utilityStmt, CreateTableAsStmt);
			}
		default:
			return true;
	}
}

bool
sg_changelog_begin(SGStatementFrame *frame, Node *stmt,
				   ProcessUtilityContext context)
{
	if (!sg_changelog_enabled || context == PROCESS_UTILITY_SUBCOMMAND)
		return false;
	if (!sg_may_change_schema(stmt))
		return false;
	if (!IsTransactionState() || RecoveryInProgress())
		return false;
	/* pg_upgrade restores the schema, then copies the changelog's files */
	if (IsBinaryUpgrade)
		return false;

	memset(frame, 0, sizeof(SGStatementFrame));
	frame->parent = sg_frame;
	frame->collect_created = IsA(stmt, ExplainStmt);
	frame->recorded_at = GetCurrentStatementStartTimestamp();
	/* survives the commits inside CREATE INDEX CONCURRENTLY and the like */
	frame->cxt = CurrentMemoryContext;
	sg_frame = frame;
	return true;
}

void
sg_changelog_abandon(SGStatementFrame *frame)
{
	sg_frame = frame->parent;
}

/*
 * Statements whose string literals may hold credentials.
 */
static bool
sg_may_hold_credentials(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_CreateUserMappingStmt:
		case T_AlterUserMappingStmt:
		case T_CreateForeignServerStmt:
		case T_AlterForeignServerStmt:
		case T_CreateSubscriptionStmt:
		case T_AlterSubscriptionStmt:
			return true;
		default:
			return false;
	}
}

/* "{a,b}" for a list of C strings, quoting each element */
static char *
sg_text_array_literal(List *names)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	foreach(lc, names)
	{
		const char *p;

		if (buf.len > 1)
			appendStringInfoChar(&buf, ',');
		appendStringInfoChar(&buf, '"');
		for (p = lfirst(lc); *p; p++)
		{
			if (*p == '"' || *p == '\\')
				appendStringInfoChar(&buf, '\\');
			appendStringInfoChar(&buf, *p);
		}
		appendStringInfoChar(&buf, '"');
	}
	appendStringInfoChar(&buf, '}');
	return buf.data;
}

static char *
sg_name_of(Oid roleid)
{
	char	   *name = GetUserNameFromId(roleid, true);

	return name ? name : psprintf("%u", roleid);
}

/* add one {type, identity, schema} object to a statement's frame */
static void
sg_frame_add_object(SGStatementFrame *frame, const char *type,
					const char *identity, const char *schema)
{
	MemoryContext old = MemoryContextSwitchTo(frame->cxt);

	if (frame->objects == NULL)
		frame->objects = makeStringInfo();
	else
		appendStringInfoString(frame->objects, ", ");
	appendStringInfoString(frame->objects, "{\"type\": ");
	escape_json(frame->objects, type);
	appendStringInfoString(frame->objects, ", \"identity\": ");
	if (identity != NULL)
		escape_json(frame->objects, identity);
	else
		appendStringInfoString(frame->objects, "null");
	appendStringInfoString(frame->objects, ", \"schema\": ");
	if (schema != NULL)
		escape_json(frame->objects, schema);
	else
		appendStringInfoString(frame->objects, "null");
	appendStringInfoChar(frame->objects, '}');
	MemoryContextSwitchTo(old);
}

/*
 * The name of the event trigger an event-trigger statement works on, or
 * NULL.  Event triggers do not fire for these statements, so their object
 * comes from the parse tree.
 */
static const char *
sg_event_trigger_name(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_CreateEventTrigStmt:
			return ((CreateEventTrigStmt *) stmt)->trigname;
		case T_AlterEventTrigStmt:
			return ((AlterEventTrigStmt *) stmt)->trigname;
		case T_RenameStmt:
			if (((RenameStmt *) stmt)->renameType == OBJECT_EVENT_TRIGGER)
				return ((RenameStmt *) stmt)->newname;
			break;
		case T_AlterOwnerStmt:
			if (((AlterOwnerStmt *) stmt)->objectType == OBJECT_EVENT_TRIGGER)
				return strVal(((AlterOwnerStmt *) stmt)->object);
			break;
		case T_DropStmt:
			if (((DropStmt *) stmt)->removeType == OBJECT_EVENT_TRIGGER &&
				list_length(((DropStmt *) stmt)->objects) == 1)
				return strVal(linitial(((DropStmt *) stmt)->objects));
			break;
		case T_CommentStmt:
			if (((CommentStmt *) stmt)->objtype == OBJECT_EVENT_TRIGGER)
				return strVal(((CommentStmt *) stmt)->object);
			break;
		default:
			break;
	}
	return NULL;
}

/*
 * Relations created by a statement that fires no event trigger (EXPLAIN
 * ANALYZE CREATE TABLE AS): noted by the object access hook while the
 * statement runs, added to its frame once it has ended, when their catalog
 * rows are visible.  Temporary ones are left out, as the event trigger
 * leaves them out.
 */
static void
sg_frame_add_created(SGStatementFrame *frame)
{
	ListCell   *lc;

	foreach(lc, frame->created_relids)
	{
		Oid			relid = lfirst_oid(lc);
		char		relkind = get_rel_relkind(relid);
		ObjectAddress addr;
		char	   *identity;

		if ((relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW) ||
			get_rel_persistence(relid) == RELPERSISTENCE_TEMP)
			continue;
		ObjectAddressSet(addr, RelationRelationId, relid);
		identity = getObjectIdentity(&addr, true);
		if (identity == NULL)
			continue;
		sg_frame_add_object(frame, getObjectTypeDescription(&addr, false), identity,
							get_namespace_name(get_rel_namespace(relid)));
	}
}

/* called by schemaguard.c's object access hook */
void
sg_changelog_object_access(ObjectAccessType access, Oid classId, Oid objectId,
						   int subId, void *arg)
{
	if (access == OAT_POST_CREATE && classId == RelationRelationId &&
		subId == 0 && sg_frame != NULL && sg_frame->collect_created)
	{
		MemoryContext old = MemoryContextSwitchTo(sg_frame->cxt);

		sg_frame->created_relids = lappend_oid(sg_frame->created_relids, objectId);
		MemoryContextSwitchTo(old);
	}
}

/*
 * The statement ran to completion: if it touched non-temporary objects of
 * this database, it becomes a pending entry of the current subtransaction.
 */
void
sg_changelog_end(SGStatementFrame *frame, PlannedStmt *pstmt,
				 const char *queryString, List *allowed_rules,
				 List *warnings)
{
	SGPendingEntry *e;
	MemoryContext old;
	char	   *statement;

	sg_frame = frame->parent;

	if (frame->objects == NULL && !creating_extension)
	{
		const char *evtname = sg_event_trigger_name(pstmt->utilityStmt);

		if (evtname != NULL)
			sg_frame_add_object(frame, "event trigger", quote_identifier(evtname), NULL);
	}

	if (frame->created_relids != NIL && !creating_extension)
		sg_frame_add_created(frame);

	/* the statements of an extension script belong to CREATE EXTENSION */
	if (frame->objects == NULL || creating_extension)
		return;

	statement = sg_cut_statement(queryString, pstmt->stmt_location,
								 pstmt->stmt_len);
	if (statement != NULL && sg_may_hold_credentials(pstmt->utilityStmt))
		statement = sg_redact_string_literals(statement);
	if (statement == NULL)
		statement = pstrdup(GetCommandTagName(CreateCommandTag(pstmt->utilityStmt)));

	old = MemoryContextSwitchTo(TopTransactionContext);
	e = palloc0(sizeof(SGPendingEntry));
	e->subid = GetCurrentSubTransactionId();
	e->row.recorded_at = frame->recorded_at;
	e->row.role_name = sg_name_of(GetUserId());
	e->row.session_role = sg_name_of(GetSessionUserId());
	e->row.application_name = (application_name && application_name[0]) ?
		pstrdup(application_name) : NULL;
	e->row.command_tag = pstrdup(GetCommandTagName(CreateCommandTag(pstmt->utilityStmt)));
	e->row.objects = psprintf("[%s]", frame->objects->data);
	e->row.statement = pstrdup(statement);
	e->row.migration = (sg_migration && sg_migration[0]) ? pstrdup(sg_migration) : NULL;
	e->row.allowed_rules = sg_text_array_literal(allowed_rules);
	e->row.warnings = sg_text_array_literal(warnings);
	e->cid = GetCurrentCommandId(false);
	sg_pending = lappend(sg_pending, e);
	MemoryContextSwitchTo(old);
}

/*
 * Does the identity of a rule, trigger or policy ("<name> on <table>") name
 * a table in pg_temp?  Only text outside double quotes counts: a quoted
 * name may itself contain " on pg_temp.", and such an object on a
 * permanent table must still be recorded.
 */
static bool
sg_identity_on_temp(const char *identity)
{
	bool		quoted = false;
	const char *p;

	for (p = identity; *p != '\0'; p++)
	{
		if (*p == '"')
			quoted = !quoted;
		else if (!quoted && strncmp(p, " on pg_temp.", 12) == 0)
			return true;
	}
	return false;
}

/*
 * schemaguard.capture_ddl(): the event trigger on ddl_command_end and
 * sql_drop that adds the objects the server reports to the innermost
 * statement frame.
 */
PG_FUNCTION_INFO_V1(sg_capture_ddl);

Datum
sg_capture_ddl(PG_FUNCTION_ARGS)
{
	EventTriggerData *trigdata;
	bool		drop;
	SPIPlanPtr *plan;
	SGStatementFrame *frame = sg_frame;
	uint64		i;

	if (!CALLED_AS_EVENT_TRIGGER(fcinfo))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_EVENT_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("schemaguard.capture_ddl() must be called as an event trigger")));
	if (frame == NULL || creating_extension)
		PG_RETURN_VOID();

	trigdata = (EventTriggerData *) fcinfo->context;
	drop = (strcmp(trigdata->event, "sql_drop") == 0);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "schemaguard: SPI_connect failed");
	plan = drop ? &sg_dropped_plan : &sg_commands_plan;
	if (*plan == NULL)
	{
		SPIPlanPtr	p = SPI_prepare(drop ?
									"SELECT object_type, schema_name, object_identity "
									"FROM pg_catalog.pg_event_trigger_dropped_objects() "
									"WHERE (original OR normal) AND NOT is_temporary" :
									"SELECT object_type, schema_name, object_identity "
									"FROM pg_catalog.pg_event_trigger_ddl_commands() "
									"WHERE NOT in_extension",
									0, NULL);

		if (p == NULL || SPI_keepplan(p) != 0)
			elog(ERROR, "schemaguard: could not prepare the event trigger query");
		*plan = p;
	}
	if (SPI_execute_plan(*plan, NULL, NULL, true, 0) != SPI_OK_SELECT)
		elog(ERROR, "schemaguard: could not read event trigger data");

	for (i = 0; i < SPI_processed; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		char	   *type = SPI_getvalue(tup, desc, 1);
		char	   *schema = SPI_getvalue(tup, desc, 2);
		char	   *identity = SPI_getvalue(tup, desc, 3);

		/* temporary objects are not part of the schema */
		if (schema != NULL)
		{
			Oid			nspid = get_namespace_oid(schema, true);

			if (strcmp(schema, "pg_temp") == 0 ||
				strncmp(schema, "pg_temp_", 8) == 0 ||
				strncmp(schema, "pg_toast_temp_", 14) == 0 ||
				(OidIsValid(nspid) && isAnyTempNamespace(nspid)))
				continue;
		}
		if (type == NULL)
			continue;
		/* rules, triggers and policies of temporary tables have no schema */
		if (identity != NULL &&
			(strncmp(identity, "pg_temp.", 8) == 0 ||
			 sg_identity_on_temp(identity)))
			continue;

		sg_frame_add_object(frame, type, identity, schema);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/*
 * Subtransactions: an aborted one takes its entries along; a committed
 * one hands them to its parent.
 */
void
sg_changelog_subxact(SubXactEvent event, SubTransactionId mySubid,
					 SubTransactionId parentSubid)
{
	ListCell   *lc;

	if (sg_pending == NIL)
		return;
	if (event == SUBXACT_EVENT_ABORT_SUB)
	{
		foreach(lc, sg_pending)
		{
			SGPendingEntry *e = lfirst(lc);

			if (e->subid == mySubid)
				sg_pending = foreach_delete_current(sg_pending, lc);
		}
	}
	else if (event == SUBXACT_EVENT_COMMIT_SUB)
	{
		foreach(lc, sg_pending)
		{
			SGPendingEntry *e = lfirst(lc);

			if (e->subid == mySubid)
				e->subid = parentSubid;
		}
	}
}

#define SG_GENESIS_HASH "sha256:0000000000000000000000000000000000000000000000000000000000000000"

static char *
sg_sha256_text(const char *text)
{
	pg_cryptohash_ctx *ctx;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char		hex[PG_SHA256_DIGEST_LENGTH * 2 + 1];

	/* the checksum covers the UTF-8 bytes, whatever the database encoding */
	text = pg_server_to_any(text, strlen(text), PG_UTF8);
	ctx = pg_cryptohash_create(PG_SHA256);

	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) text, strlen(text)) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
	{
		pg_cryptohash_free(ctx);
		elog(ERROR, "schemaguard: could not compute SHA-256");
	}
	pg_cryptohash_free(ctx);
	hex_encode((const char *) digest, sizeof(digest), hex);
	hex[sizeof(hex) - 1] = '\0';
	return psprintf("sha256:%s", hex);
}

#define SG_INSERT_ARGS 16

/* plans kept across transactions, for the changelog of relation sg_plans_relid */
static Oid	sg_plans_relid = InvalidOid;
static SPIPlanPtr sg_insert_plan = NULL;

static void
sg_forget_plans(void)
{
	if (sg_insert_plan != NULL)
		SPI_freeplan(sg_insert_plan);
	sg_insert_plan = NULL;
	sg_plans_relid = InvalidOid;
}

static void
sg_prepare_plans(Oid relid)
{
	Oid			argtypes[SG_INSERT_ARGS] = {
		INT8OID, TIMESTAMPTZOID, XID8OID, NAMEOID, NAMEOID, TEXTOID, INETOID,
		TEXTOID, JSONBOID, TEXTOID, TEXTOID, TEXTOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTOID, TEXTOID
	};

	if (sg_plans_relid == relid && sg_insert_plan != NULL)
		return;
	sg_forget_plans();

	sg_insert_plan = SPI_prepare(
		"INSERT INTO schemaguard.changelog (id, recorded_at, xid, role_name, "
		"  session_role, application_name, client_addr, command_tag, objects, "
		"  statement, statement_sha256, migration, allowed_rules, warnings, "
		"  prev_hash, entry_hash) "
		"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
		SG_INSERT_ARGS, argtypes);
	if (sg_insert_plan == NULL || SPI_keepplan(sg_insert_plan) != 0)
		elog(ERROR, "schemaguard: could not prepare the changelog insert");
	sg_plans_relid = relid;
}

/*
 * The last entry (id and entry_hash), read backwards through the primary
 * key with the latest snapshot: the head as committed by now, whatever
 * this transaction's snapshot, at a cost that does not grow with the
 * history.  Returns false for an empty changelog.
 */
static bool
sg_changelog_head(Oid relid, int64 *id, char **hash)
{
	Relation	rel = table_open(relid, AccessShareLock);
	Oid			pkid = SG_PRIMARY_KEY_INDEX(rel);
	Relation	idx;
	Snapshot	snapshot;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		found = false;

	if (!OidIsValid(pkid))
		elog(ERROR, "schemaguard: schemaguard.changelog has no primary key");
	idx = index_open(pkid, AccessShareLock);
	snapshot = RegisterSnapshot(GetLatestSnapshot());
	scan = systable_beginscan_ordered(rel, idx, snapshot, 0, NULL);
	tup = systable_getnext_ordered(scan, BackwardScanDirection);
	if (HeapTupleIsValid(tup))
	{
		TupleDesc	desc = RelationGetDescr(rel);
		bool		isnull;
		Datum		d;

		d = heap_getattr(tup, get_attnum(relid, "id"), desc, &isnull);
		*id = DatumGetInt64(d);
		d = heap_getattr(tup, get_attnum(relid, "entry_hash"), desc, &isnull);
		*hash = TextDatumGetCString(d);
		found = true;
	}
	systable_endscan_ordered(scan);
	UnregisterSnapshot(snapshot);
	index_close(idx, AccessShareLock);
	table_close(rel, AccessShareLock);
	return found;
}

/* one field of the canonical form: "<UTF-8 length>:<text>" or "-" */
static void
sg_canonical_field(StringInfo buf, const char *value)
{
	appendStringInfoChar(buf, '\n');
	if (value == NULL)
		appendStringInfoChar(buf, '-');
	else
		appendStringInfo(buf, "%zu:%s",
						 strlen(pg_server_to_any(value, strlen(value), PG_UTF8)),
						 value);
}

/* the client's address as inet, like inet_client_addr(); NULL over a socket */
static bool
sg_client_addr(Datum *addr)
{
	LOCAL_FCINFO(fcinfo, 0);

	InitFunctionCallInfoData(*fcinfo, NULL, 0, InvalidOid, NULL, NULL);
	*addr = inet_client_addr(fcinfo);
	return !fcinfo->isnull;
}

/* how many writers are between sg_writer_begin() and sg_writer_end() */
static int	sg_writers = 0;

/*
 * Write schemaguard's tables as the bootstrap superuser, with a safe
 * search_path, in a transaction that may have been made read-only after
 * its schema change, through SPI.  Everything here is undone by an error's
 * (sub)transaction abort, except the count of schemaguard's own queries:
 * see sg_writer_after_error().
 */
void
sg_writer_begin(SGWriter *w)
{
	GetUserIdAndSecContext(&w->save_userid, &w->save_sec_context);
	SetUserIdAndSecContext(BOOTSTRAP_SUPERUSERID,
						   w->save_sec_context | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	w->nestlevel = NewGUCNestLevel();
	(void) set_config_option("search_path", "pg_catalog, pg_temp",
							 PGC_SUSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);

	/*
	 * The schema change is already written; a transaction made read-only
	 * after it (SET transaction_read_only = on, or a REINDEX, which read-only
	 * transactions may run) still commits it, and so records it.  An error
	 * aborts the transaction, which resets the flag.
	 */
	w->save_read_only = XactReadOnly;
	XactReadOnly = false;
	/* schemaguard's own queries are not the transaction's (an error resets) */
	sg_utility_enter();
	sg_writers++;

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "schemaguard: SPI_connect failed");
	PushActiveSnapshot(GetTransactionSnapshot());
}

void
sg_writer_end(SGWriter *w)
{
	PopActiveSnapshot();
	SPI_finish();
	sg_writers--;
	sg_utility_leave();
	XactReadOnly = w->save_read_only;
	AtEOXact_GUC(true, w->nestlevel);
	SetUserIdAndSecContext(w->save_userid, w->save_sec_context);
}

/* after an error caught in a subtransaction that a writer was in */
void
sg_writer_after_error(void)
{
	for (; sg_writers > 0; sg_writers--)
		sg_utility_leave();
}

/*
 * Take the lock that serialises writers of the chain, from here to the end
 * of the transaction, and read the head.
 */
bool
sg_chain_lock(SGChain *chain, Oid relid, bool wait)
{
	if (wait)
		LockRelationOid(relid, ShareRowExclusiveLock);
	else if (!ConditionalLockRelationOid(relid, ShareRowExclusiveLock))
		return false;
	chain->relid = relid;
	sg_prepare_plans(relid);
	if (!sg_changelog_head(relid, &chain->id, &chain->prev_hash))
	{
		chain->id = 0;
		chain->prev_hash = pstrdup(SG_GENESIS_HASH);
	}
	return true;
}

/*
 * Append one row to the chain.  The canonical form and both checksums are
 * computed here, in C; the SQL function schemaguard.entry_canonical()
 * spells out the same form for verify_changelog() and outside verifiers.
 */
void
sg_chain_append(SGChain *chain, const SGChainRow *row)
{
	Datum		values[SG_INSERT_ARGS];
	char		nulls[SG_INSERT_ARGS];
	struct pg_tm tm;
	fsec_t		fsec;
	char	   *statement_sha256 = sg_sha256_text(row->statement);
	StringInfoData canonical;
	char	   *entry_hash;
	int64		id = chain->id + 1;

	memset(nulls, ' ', sizeof(nulls));
	values[0] = Int64GetDatum(id);
	values[1] = TimestampTzGetDatum(row->recorded_at);
	values[2] = FullTransactionIdGetDatum(row->fxid);
	values[3] = DirectFunctionCall1(namein, CStringGetDatum(row->role_name));
	values[4] = DirectFunctionCall1(namein, CStringGetDatum(row->session_role));
	if (row->application_name)
		values[5] = CStringGetTextDatum(row->application_name);
	else
		nulls[5] = 'n';
	if (row->have_addr)
		values[6] = row->client_addr;
	else
		nulls[6] = 'n';
	values[7] = CStringGetTextDatum(row->command_tag);
	values[8] = DirectFunctionCall1(jsonb_in, CStringGetDatum(row->objects));
	values[9] = CStringGetTextDatum(row->statement);
	values[10] = CStringGetTextDatum(statement_sha256);
	if (row->migration)
		values[11] = CStringGetTextDatum(row->migration);
	else
		nulls[11] = 'n';
	values[12] = OidInputFunctionCall(F_ARRAY_IN, (char *) row->allowed_rules, TEXTOID, -1);
	values[13] = OidInputFunctionCall(F_ARRAY_IN, (char *) row->warnings, TEXTOID, -1);
	values[14] = CStringGetTextDatum(chain->prev_hash);

	/* the canonical form: see schemaguard.entry_canonical() */
	if (timestamp2tm(row->recorded_at, NULL, &tm, &fsec, NULL, NULL) != 0)
		elog(ERROR, "schemaguard: timestamp out of range");
	initStringInfo(&canonical);
	appendStringInfoString(&canonical, "schemaguard-changelog-v1");
	sg_canonical_field(&canonical, psprintf(INT64_FORMAT, id));
	sg_canonical_field(&canonical,
					   psprintf("%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
								tm.tm_year, tm.tm_mon, tm.tm_mday,
								tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec));
	sg_canonical_field(&canonical,
					   psprintf(UINT64_FORMAT, U64FromFullTransactionId(row->fxid)));
	sg_canonical_field(&canonical, row->role_name);
	sg_canonical_field(&canonical, row->session_role);
	sg_canonical_field(&canonical, row->application_name);
	/* as client_addr::text, with the netmask: what entry_canonical() sees */
	sg_canonical_field(&canonical, row->have_addr ?
					   TextDatumGetCString(DirectFunctionCall1(network_show, row->client_addr)) :
					   NULL);
	sg_canonical_field(&canonical, row->command_tag);
	sg_canonical_field(&canonical,
					   DatumGetCString(DirectFunctionCall1(jsonb_out, values[8])));
	sg_canonical_field(&canonical, row->statement);
	sg_canonical_field(&canonical, statement_sha256);
	sg_canonical_field(&canonical, row->migration);
	sg_canonical_field(&canonical, OidOutputFunctionCall(F_ARRAY_OUT, values[12]));
	sg_canonical_field(&canonical, OidOutputFunctionCall(F_ARRAY_OUT, values[13]));
	sg_canonical_field(&canonical, chain->prev_hash);
	entry_hash = sg_sha256_text(canonical.data);
	values[15] = CStringGetTextDatum(entry_hash);

	/*
	 * A superuser's rule or trigger on the changelog can turn the INSERT
	 * into something else or nothing.  Then the schema change cannot be
	 * recorded, and so it does not commit.  The plan is dropped: one that a
	 * DO INSTEAD NOTHING rule rewrote to nothing depends on no relation, so
	 * the rule's removal at the abort would not invalidate it.
	 */
	if (SPI_execute_plan(sg_insert_plan, values, nulls, false, 0) != SPI_OK_INSERT ||
		SPI_processed != 1)
	{
		uint64		stored = SPI_processed;

		sg_forget_plans();
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schemaguard: could not record the schema change in schemaguard.changelog"),
				 errdetail("The INSERT into schemaguard.changelog stored " UINT64_FORMAT " rows instead of 1, so the schema change is not committed.",
						   stored),
				 errhint("Drop the rule or trigger on schemaguard.changelog that keeps the row from being stored.")));
	}
	chain->id = id;
	chain->prev_hash = entry_hash;
}

/*
 * Entries without schemaguard.migration get the id of the migration that
 * a tool recorded in the same transaction, if any (migration_id.c).  Runs
 * as the session's user with its search_path, where the tools' history
 * tables are: before sg_writer_begin().
 */
static void
sg_fill_migration_ids(List *pending)
{
	List	   *rows = NIL;
	bool		looked = false;
	ListCell   *lc;

	foreach(lc, pending)
	{
		SGPendingEntry *e = lfirst(lc);
		const char *id;

		if (e->row.migration != NULL)
			continue;
		if (!looked)
		{
			rows = sg_migration_rows();
			looked = true;
		}
		if ((id = sg_migration_id_at(rows, e->cid)) != NULL)
			e->row.migration = MemoryContextStrdup(TopTransactionContext, id);
	}
}

/* the transaction's pending entries as rows, with its xid and client */
static List *
sg_pending_rows(void)
{
	List	   *rows = NIL;
	ListCell   *lc;
	Datum		addr;
	bool		have_addr = sg_client_addr(&addr);
	FullTransactionId fxid = GetTopFullTransactionId();

	sg_fill_migration_ids(sg_pending);
	foreach(lc, sg_pending)
	{
		SGPendingEntry *e = lfirst(lc);

		e->row.fxid = fxid;
		e->row.have_addr = have_addr;
		e->row.client_addr = have_addr ? addr : (Datum) 0;
		rows = lappend(rows, &e->row);
	}
	return rows;
}

/*
 * Write the transaction's pending entries.  Called at pre-commit, so the
 * lock that serialises writers is held only until the commit completes.
 * Entries of prepared transactions committed since the last chaining go
 * first (changelog_prepared.c).
 */
static void
sg_changelog_flush(void)
{
	SGTarget	target;
	SGWriter	w;
	SGChain		chain;
	List	   *rows;
	ListCell   *lc;

	if (RecoveryInProgress() || !sg_changelog_target(&target))
		return;
	rows = sg_pending_rows();
	sg_writer_begin(&w);
	(void) sg_chain_lock(&chain, target.changelog_relid, true);
	if (OidIsValid(target.pending_relid))
		(void) sg_prepared_chain(&chain);
	foreach(lc, rows)
		sg_chain_append(&chain, lfirst(lc));
	sg_writer_end(&w);
}

/*
 * PREPARE TRANSACTION: the entries go to schemaguard.changelog_pending,
 * without the chain's lock, and are chained once the transaction has
 * committed (changelog_prepared.c).
 */
static void
sg_changelog_prepare(void)
{
	SGTarget	target;
	SGWriter	w;
	List	   *rows;

	if (RecoveryInProgress() || !sg_changelog_target(&target))
		return;
	if (!OidIsValid(target.pending_relid))
	{
		sg_warn_prepared_not_recorded(&target, list_length(sg_pending));
		return;
	}
	rows = sg_pending_rows();
	sg_writer_begin(&w);
	sg_prepared_write(rows);
	sg_writer_end(&w);
}

void
sg_changelog_xact(XactEvent event)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			if (sg_pending != NIL)
				sg_changelog_flush();
			sg_pending = NIL;
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (sg_pending != NIL)
				sg_changelog_prepare();
			sg_pending = NIL;
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PREPARE:
		case XACT_EVENT_PARALLEL_COMMIT:

			/*
			 * The memory goes away with TopTransactionContext.  The frames
			 * stay: CREATE INDEX CONCURRENTLY and the like commit inside
			 * the statement, whose frame is still open.
			 */
			sg_pending = NIL;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			/* the hook has unwound its frames before the abort */
			sg_pending = NIL;
			sg_frame = NULL;
			sg_writers = 0;
			break;
		default:
			break;
	}
}
