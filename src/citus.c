/*-------------------------------------------------------------------------
 *
 * citus.c
 *		schemaguard on a Citus cluster.  Everything Citus-specific is here;
 *		without Citus none of it does anything (see "Inert" below).
 *
 * Citus keeps the PostgreSQL interface: a distributed table is an empty
 * "shell" relation on the coordinator whose rows live in shards, ordinary
 * tables named <table>_<shardid> on the workers.  DDL on the shell is
 * passed on by Citus's own ProcessUtility hook: to the workers' shells and,
 * through worker_apply_shard_ddl_command(), to every shard.  schemaguard's
 * hook runs before Citus's (Citus insists on being first in
 * shared_preload_libraries, so its hook is installed first and ours wraps
 * it).  Three things follow, and this file handles each:
 *
 * 1. The coordinator would judge the empty shell.  sg_citus_measure() gives
 *    relinfo.c the distributed table's real size instead: the sum over its
 *    shards from citus_relation_size(), which asks the workers over
 *    connections.  That call runs in a subtransaction with
 *    citus.node_connection_timeout bounded to SG_CITUS_CONNECT_MS; if a
 *    worker cannot answer (or Citus refuses, e.g. after a multi-shard
 *    modification in the same transaction block), the size is unknown, the
 *    table counts as large, and DETAIL says why.  A query cancel is never
 *    swallowed.  Sizes are kept for the rest of the transaction, so a
 *    migration's later statements do not ask again (and still know the size
 *    after Citus stops answering size questions in that transaction).
 *    Emptiness follows from the size: no heap page on any shard means no
 *    rows; any page counts as rows (only a scan could say more).
 *
 * 2. The workers would judge and record Citus's own statements a second
 *    time: the shard DDL, the shell DDL, shard creation, moves, metadata
 *    sync.  The coordinator judged the statement the user ran; statements
 *    Citus runs on its behalf are neither judged nor recorded
 *    (sg_citus_own_statement()).  They are recognised by what Citus itself
 *    knows, never by application_name alone:
 *    a) utility statements run while one of Citus's C functions executes:
 *       needs_fmgr_hook/fmgr_hook count calls of the volatile C functions of
 *       the citus library (worker_apply_shard_ddl_command(),
 *       create_distributed_table(), citus_add_local_table_to_metadata(),
 *       citus_move_shard_placement(), citus_internal.* ...).  This also
 *       covers Citus's own operations on the coordinator, such as the
 *       internal rename of citus_add_local_table_to_metadata();
 *    b) DDL on shards only (a table <table>_<shardid> that pg_dist_shard
 *       lists for <table>), run inside another statement (Citus's local
 *       execution of a shard command) or in a session Citus marks as its
 *       own (application_name "citus_internal gpid=..."; CREATE INDEX
 *       CONCURRENTLY reaches the shards that way, outside any transaction);
 *    c) in a session Citus marks as its own: anything, when the session
 *       user is a superuser (Citus syncs metadata so, sometimes under SET
 *       ROLE; a superuser could turn the guard off anyway); DDL on the
 *       shells of Citus tables (pg_dist_partition); and anything inside a
 *       transaction another node started: the distributed transaction id
 *       that node assigned, read from Citus's shared memory with
 *       get_current_transaction_id(), names another node group than
 *       pg_dist_local_group's.  This is how shell DDL arrives.
 *    Sessions of run_command_on_workers() are not marked internal: what a
 *    user runs that way is judged and recorded, as are schema changes made
 *    directly on a worker.  A role that can log in to a worker directly
 *    could imitate b) and c) (application_name, assign_distributed_
 *    transaction_id()), as it could to call Citus's internal functions:
 *    keep application roles off the workers (pg_hba.conf).
 *
 * 3. Exceptions set on the coordinator (schemaguard.allow) do not travel:
 *    they need not, by 2.
 *
 * Inert: sg_citus_init() looks for the citus library at load time (a
 * defined, not placeholder, citus.* setting); without it no hook is
 * installed and every entry point returns at its first test.  For tests
 * there is one seam: the hidden superuser setting
 * schemaguard.citus_metadata_schema names a schema whose pg_dist_partition,
 * pg_dist_shard, pg_dist_local_group tables and citus_relation_size(regclass),
 * get_current_transaction_id() functions stand in for Citus's, so the size,
 * identity and remote-session logic runs (in CI, without Citus) exactly as
 * it does against Citus's catalog in pg_catalog.
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
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "schemaguard.h"

/* how long a worker may take to accept a connection for a size question */
#define SG_CITUS_CONNECT_MS "2000"

/* the citus library was loaded before us (shared_preload_libraries) */
static bool sg_citus_loaded = false;

/* schemaguard.citus_metadata_schema: for tests, see the header comment */
char	   *sg_citus_metadata_schema = NULL;

/* calls of Citus's C functions under way, and Citus's statements running */
static int	sg_citus_fn_depth = 0;
static int	sg_citus_own_depth = 0;

static needs_fmgr_hook_type sg_prev_needs_fmgr_hook = NULL;
static fmgr_hook_type sg_prev_fmgr_hook = NULL;

/* sizes measured in this transaction (TopTransactionContext) */
typedef struct SGCitusSize
{
	Oid			relid;
	int64		bytes;			/* -1: unknown */
	char	   *why_unknown;
} SGCitusSize;
static List *sg_citus_sizes = NIL;

/* Is a setting of this name defined by a loaded library? */
static bool
sg_setting_defined(const char *name)
{
	return GetConfigOption(name, true, false) != NULL &&
		(GetConfigOptionFlags(name, true) & GUC_CUSTOM_PLACEHOLDER) == 0;
}

/*
 * The namespace of Citus's metadata, or InvalidOid when Citus's paths are
 * off: no citus library and no test schema.
 */
static Oid
sg_citus_namespace(void)
{
	if (sg_citus_metadata_schema != NULL && sg_citus_metadata_schema[0] != '\0')
		return get_namespace_oid(sg_citus_metadata_schema, true);
	return sg_citus_loaded ? PG_CATALOG_NAMESPACE : InvalidOid;
}

/* a function of Citus's metadata namespace, by name and argument types */
static Oid
sg_citus_function(Oid nsp, const char *name, int nargs, Oid *argtypes)
{
	List	   *qname = list_make2(makeString(get_namespace_name(nsp)),
								   makeString(pstrdup(name)));

	return LookupFuncName(qname, nargs, argtypes, true);
}

/*
 * Is fn_oid one of Citus's operations: a volatile C function of the citus
 * library?  (Its immutable helpers, type I/O and aggregate support, which
 * run per row, are left alone.)
 */
static bool
sg_citus_is_operation(Oid fn_oid)
{
	HeapTuple	tup;
	Form_pg_proc proc;
	bool		result = false;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tup))
		return false;
	proc = (Form_pg_proc) GETSTRUCT(tup);
	if (proc->prolang == ClanguageId && proc->provolatile == PROVOLATILE_VOLATILE)
	{
		bool		isnull;
		Datum		probin = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_probin, &isnull);

		if (!isnull)
		{
			char	   *lib = TextDatumGetCString(probin);
			char	   *base = strrchr(lib, '/');

			base = base ? base + 1 : lib;
			result = strcmp(base, "citus") == 0 || strcmp(base, "citus.so") == 0;
			pfree(lib);
		}
	}
	ReleaseSysCache(tup);
	return result;
}

static bool
sg_citus_needs_fmgr_hook(Oid fn_oid)
{
	if (sg_prev_needs_fmgr_hook && sg_prev_needs_fmgr_hook(fn_oid))
		return true;
	return sg_citus_is_operation(fn_oid);
}

static void
sg_citus_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo, Datum *private)
{
	if (sg_prev_fmgr_hook)
		sg_prev_fmgr_hook(event, flinfo, private);
	if (!sg_citus_is_operation(flinfo->fn_oid))
		return;
	if (event == FHET_START)
		sg_citus_fn_depth++;
	else if (sg_citus_fn_depth > 0)
		sg_citus_fn_depth--;
}

/*
 * At load time: is Citus there?  Citus must come first in
 * shared_preload_libraries, so it is loaded by now if it is used at all.
 */
void
sg_citus_init(void)
{
	if (!sg_setting_defined("citus.node_conninfo"))
		return;
	sg_citus_loaded = true;
	sg_prev_needs_fmgr_hook = needs_fmgr_hook;
	needs_fmgr_hook = sg_citus_needs_fmgr_hook;
	sg_prev_fmgr_hook = fmgr_hook;
	fmgr_hook = sg_citus_fmgr_hook;
}

/* the transaction is over */
void
sg_citus_xact_end(void)
{
	sg_citus_sizes = NIL;
	sg_citus_fn_depth = 0;
	sg_citus_own_depth = 0;
}

/* a statement Citus runs is under way: the guard looks at nothing */
bool
sg_citus_in_own_statement(void)
{
	return sg_citus_fn_depth > 0 || sg_citus_own_depth > 0;
}

/* the int4 column "name" of a metadata row, or -1 */
static int64
sg_row_int(HeapTuple tup, TupleDesc desc, const char *name)
{
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);
		bool		isnull;
		Datum		d;

		if (att->attisdropped || strcmp(NameStr(att->attname), name) != 0)
			continue;
		d = heap_getattr(tup, i + 1, desc, &isnull);
		if (isnull)
			return -1;
		switch (att->atttypid)
		{
			case INT2OID:
				return DatumGetInt16(d);
			case INT4OID:
				return DatumGetInt32(d);
			case INT8OID:
				return DatumGetInt64(d);
			case OIDOID:
			case REGCLASSOID:
				return DatumGetObjectId(d);
			case CHAROID:
				return (unsigned char) DatumGetChar(d);
			default:
				return -1;
		}
	}
	return -1;
}

/*
 * Scan a metadata table of Citus's namespace: each row's "key" column is
 * compared with key (any row when key is -1); returns the number of
 * matching rows and, in *out (if not NULL), the "want" column of the first.
 */
static int
sg_citus_scan(Oid nsp, const char *table, const char *keycol, int64 key,
			  const char *want, int64 *out)
{
	Oid			relid = get_relname_relid(table, nsp);
	Relation	rel;
	SysScanDesc scan;
	HeapTuple	tup;
	int			n = 0;

	if (!OidIsValid(relid))
		return 0;
	rel = table_open(relid, AccessShareLock);
	scan = systable_beginscan(rel, InvalidOid, false, NULL, 0, NULL);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		if (keycol != NULL && sg_row_int(tup, RelationGetDescr(rel), keycol) != key)
			continue;
		if (n++ == 0 && out != NULL)
			*out = sg_row_int(tup, RelationGetDescr(rel), want);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return n;
}

/*
 * The Citus kind of a relation: SG_CITUS_DISTRIBUTED, SG_CITUS_REFERENCE,
 * SG_CITUS_LOCAL (a Citus-managed local or single-shard table), or
 * SG_CITUS_NONE.
 */
static char
sg_citus_kind(Oid nsp, Oid relid)
{
	int64		partmethod = -1;
	int64		repmodel = -1;

	if (sg_citus_scan(nsp, "pg_dist_partition", "logicalrelid", relid,
					  "partmethod", &partmethod) == 0)
		return SG_CITUS_NONE;
	(void) sg_citus_scan(nsp, "pg_dist_partition", "logicalrelid", relid,
						 "repmodel", &repmodel);
	if (partmethod != 'n')
		return SG_CITUS_DISTRIBUTED;
	if (repmodel == 't')
		return SG_CITUS_REFERENCE;
	return SG_CITUS_LOCAL;
}

/*
 * Ask Citus for the size of the relation's shards (heap main fork, summed),
 * in a subtransaction; returns -1 and sets *why when it cannot tell.
 */
static int64
sg_citus_ask_size(Oid nsp, Oid relid, char **why)
{
	Oid			argtype = REGCLASSOID;
	Oid			fn = sg_citus_function(nsp, "citus_relation_size", 1, &argtype);
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile int64 bytes = -1;
	int			nestlevel;

	if (!OidIsValid(fn))
	{
		*why = "citus_relation_size() was not found";
		return -1;
	}
	if (IsInParallelMode())
	{
		*why = "it cannot be asked in parallel mode";
		return -1;
	}

	nestlevel = NewGUCNestLevel();
	if (sg_setting_defined("citus.node_connection_timeout"))
		(void) set_config_option("citus.node_connection_timeout", SG_CITUS_CONNECT_MS,
								 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
								 true, 0, false);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		bytes = DatumGetInt64(OidFunctionCall1(fn, ObjectIdGetDatum(relid)));
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
		/* a cancel or a shutdown is meant for the whole statement */
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
			edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY)
			ReThrowError(edata);
		*why = pstrdup(edata->message);
		FreeErrorData(edata);
		bytes = -1;
	}
	PG_END_TRY();
	AtEOXact_GUC(false, nestlevel);
	if (bytes < 0 && *why == NULL)
		*why = "Citus returned no size";
	return bytes;
}

/*
 * relinfo.c measures a relation: when it is a Citus table, fill in its
 * real size over all shards and return true.
 */
bool
sg_citus_measure(SGRelInfo *ri)
{
	Oid			nsp = sg_citus_namespace();
	char		kind;
	ListCell   *lc;
	SGCitusSize *s;
	MemoryContext old;
	char	   *why = NULL;
	int64		bytes;

	if (!OidIsValid(nsp))
		return false;
	kind = sg_citus_kind(nsp, ri->relid);
	if (kind == SG_CITUS_NONE)
		return false;

	ri->citus_kind = kind;
	ri->npartitions = sg_citus_scan(nsp, "pg_dist_shard", "logicalrelid", ri->relid,
									NULL, NULL);
	ri->reltuples = -1;

	foreach(lc, sg_citus_sizes)
	{
		s = lfirst(lc);
		if (s->relid == ri->relid)
		{
			ri->bytes = s->bytes;
			ri->citus_size_unknown = s->why_unknown;
			return true;
		}
	}

	bytes = sg_citus_ask_size(nsp, ri->relid, &why);
	old = MemoryContextSwitchTo(TopTransactionContext);
	s = palloc0(sizeof(SGCitusSize));
	s->relid = ri->relid;
	s->bytes = bytes;
	s->why_unknown = why ? pstrdup(why) : NULL;
	sg_citus_sizes = lappend(sg_citus_sizes, s);
	MemoryContextSwitchTo(old);

	ri->bytes = bytes < 0 ? 0 : bytes;
	ri->citus_size_unknown = s->why_unknown;
	return true;
}

/* "distributed table", for messages */
const char *
sg_citus_kind_name(char kind)
{
	switch (kind)
	{
		case SG_CITUS_DISTRIBUTED:
			return "distributed table";
		case SG_CITUS_REFERENCE:
			return "reference table";
		default:
			return "Citus local table";
	}
}

/*
 * Is this session one that Citus opened from another node, and its
 * transaction one that another node started?  See the header comment, 2b.
 */
static bool
sg_citus_remote_initiated(Oid nsp)
{
	Oid			fn;
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile int64 initiator = -1;
	volatile int64 txnumber = 0;
	int64		local_group = -1;

	fn = sg_citus_function(nsp, "get_current_transaction_id", 0, NULL);
	if (!OidIsValid(fn) || IsInParallelMode() ||
		sg_citus_scan(nsp, "pg_dist_local_group", NULL, -1, "groupid",
					  &local_group) == 0)
		return false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		HeapTupleHeader td = DatumGetHeapTupleHeader(OidFunctionCall0(fn));
		bool		isnull;
		Datum		d;

		d = GetAttributeByName(td, "initiator_node_identifier", &isnull);
		if (!isnull)
			initiator = DatumGetInt32(d);
		d = GetAttributeByName(td, "transaction_number", &isnull);
		if (!isnull)
			txnumber = DatumGetInt64(d);
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
		if (edata->sqlerrcode == ERRCODE_QUERY_CANCELED ||
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN)
			ReThrowError(edata);
		FreeErrorData(edata);
		txnumber = 0;
	}
	PG_END_TRY();

	return txnumber != 0 && initiator >= 0 && initiator != local_group;
}

/*
 * Is relid (or the table of an index relid) a shard: a table named
 * <table>_<shardid> in the schema of <table>, whose pg_dist_shard row says
 * so?  With shell set, a Citus table's own (shell) relation counts too.
 */
static bool
sg_citus_is_shard(Oid nsp, Oid relid, bool shell)
{
	char	   *name;
	char	   *sep;
	char	   *end;
	int64		shardid;
	int64		logical = -1;

	if (get_rel_relkind(relid) == RELKIND_INDEX ||
		get_rel_relkind(relid) == RELKIND_PARTITIONED_INDEX)
		relid = IndexGetRelation(relid, true);
	if (!OidIsValid(relid))
		return false;
	if (shell && sg_citus_kind(nsp, relid) != SG_CITUS_NONE)
		return true;
	name = get_rel_name(relid);
	if (name == NULL || (sep = strrchr(name, '_')) == NULL || sep[1] == '\0')
		return false;
	errno = 0;
	shardid = strtoi64(sep + 1, &end, 10);
	if (errno != 0 || *end != '\0' || shardid <= 0)
		return false;
	if (sg_citus_scan(nsp, "pg_dist_shard", "shardid", shardid, "logicalrelid",
					  &logical) == 0 || logical <= 0)
		return false;
	*sep = '\0';
	return get_rel_namespace((Oid) logical) == get_rel_namespace(relid) &&
		strcmp(get_rel_name((Oid) logical), name) == 0;
}

/*
 * Does the statement work on shards (or, with shell, also on Citus tables'
 * shells), and on nothing else?  Index, table, reindex and drop statements
 * name their relations; other statements say nothing here.
 */
static bool
sg_citus_on_shards(Oid nsp, Node *stmt, bool shell)
{
	List	   *rvs = NIL;
	ListCell   *lc;

	if (IsA(stmt, IndexStmt))
		rvs = list_make1(((IndexStmt *) stmt)->relation);
	else if (IsA(stmt, AlterTableStmt))
		rvs = list_make1(((AlterTableStmt *) stmt)->relation);
	else if (IsA(stmt, ReindexStmt) && ((ReindexStmt *) stmt)->relation != NULL)
		rvs = list_make1(((ReindexStmt *) stmt)->relation);
	else if (IsA(stmt, RenameStmt) && ((RenameStmt *) stmt)->relation != NULL)
		rvs = list_make1(((RenameStmt *) stmt)->relation);
	else if (IsA(stmt, DropStmt) &&
			 (((DropStmt *) stmt)->removeType == OBJECT_TABLE ||
			  ((DropStmt *) stmt)->removeType == OBJECT_INDEX))
	{
		foreach(lc, ((DropStmt *) stmt)->objects)
			rvs = lappend(rvs, makeRangeVarFromNameList(lfirst(lc)));
	}
	if (rvs == NIL)
		return false;
	foreach(lc, rvs)
	{
		RangeVar   *rv = lfirst(lc);
		Oid			relid = rv ? RangeVarGetRelid(rv, NoLock, true) : InvalidOid;

		if (!OidIsValid(relid) || !sg_citus_is_shard(nsp, relid, shell))
			return false;
	}
	return true;
}

/*
 * Is the statement about to run one that Citus runs on behalf of a
 * statement judged elsewhere?  Then it is neither judged nor recorded.
 * See the header comment, 2.
 */
bool
sg_citus_own_statement(Node *stmt, ProcessUtilityContext context)
{
	Oid			nsp;
	bool		internal;

	if (sg_citus_fn_depth > 0 || sg_citus_own_depth > 0)
		return true;
	if (!IsTransactionState())
		return false;
	nsp = sg_citus_namespace();
	if (!OidIsValid(nsp))
		return false;

	/* Citus marks the sessions it opens (the test its own functions use) */
	internal = application_name != NULL &&
		(strncmp(application_name, "citus_internal gpid=", 20) == 0 ||
		 strncmp(application_name, "citus_rebalancer gpid=", 22) == 0);

	/* a shard's DDL that Citus runs inside a statement or sends over */
	if ((context != PROCESS_UTILITY_TOPLEVEL || internal) &&
		sg_citus_on_shards(nsp, stmt, false))
		return true;
	if (!internal)
		return false;
	/*
	 * Citus syncs metadata in a superuser's session (sometimes under SET
	 * ROLE), and a superuser could turn the guard off anyway.
	 */
	if (superuser_arg(GetSessionUserId()))
		return true;
	/* CREATE INDEX CONCURRENTLY and the like reach the shells untransacted */
	if (sg_citus_on_shards(nsp, stmt, true))
		return true;
	return sg_citus_remote_initiated(nsp);
}

/* run a statement of Citus's: the guard and the changelog stay out */
void
sg_citus_own_enter(void)
{
	sg_citus_own_depth++;
}

void
sg_citus_own_leave(void)
{
	if (sg_citus_own_depth > 0)
		sg_citus_own_depth--;
}
