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
 *    a) anything run while one of Citus's operations executes: needs_fmgr_hook
 *       and fmgr_hook keep a stack of the calls of the volatile C functions
 *       of the citus library, classed (and cached until pg_proc changes) as
 *       operations (sg_citus_operations: create_distributed_table(),
 *       citus_add_local_table_to_metadata() with its internal rename,
 *       undistribute_table(), shard moves, node activation ...) or appliers
 *       (every other one: worker_apply_shard_ddl_command(),
 *       citus_internal.* ..., which run the SQL they are handed, a user's
 *       DO block too);
 *    b) DDL on shards only (a table named as Citus names shard <shardid> of
 *       <table>, long names clipped and hashed, that pg_dist_shard lists
 *       for <table>), run by an applier, inside another statement (Citus's
 *       local execution of a shard command) or in a session Citus marks as
 *       its own (application_name "citus_internal gpid=..."; CREATE INDEX
 *       CONCURRENTLY reaches the shards that way, outside any transaction);
 *    c) in a session Citus marks as its own: anything, when the session
 *       user is a superuser (Citus syncs metadata so, sometimes under SET
 *       ROLE; a superuser could turn the guard off anyway); and, on a worker
 *       only (pg_dist_local_group's group is not 0), DDL on the shells of
 *       Citus tables (pg_dist_partition) and anything inside a transaction
 *       another node started: the distributed transaction id that node
 *       assigned, read from Citus's shared memory with
 *       get_current_transaction_id(), names another node group.  This is
 *       how shell DDL arrives.  On the coordinator, where the users' own
 *       sessions are, anyone may set application_name: there a
 *       non-superuser's session counts only for b).
 *    Sessions of run_command_on_workers() are not marked internal: what a
 *    user runs that way is judged and recorded, as are schema changes made
 *    directly on a worker.  A role that can log in to a worker directly
 *    could imitate c) there (application_name, assign_distributed_
 *    transaction_id()), as it could to call Citus's internal functions:
 *    keep application roles off the workers (pg_hba.conf).  While an
 *    object is dropped (object access), no size is asked over the network:
 *    a size known in the transaction is used, or the table counts as large.
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
#include "catalog/pg_inherits.h"
#include "catalog/namespace.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "common/hashfn.h"
#include "fmgr.h"
#include "funcapi.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/syscache.h"

#include "schemaguard.h"

/* how long a worker may take to accept a connection for a size question */
#define SG_CITUS_CONNECT_MS 2000

/* the citus library was loaded before us (shared_preload_libraries) */
static bool sg_citus_loaded = false;

/* schemaguard.citus_metadata_schema: for tests, see the header comment */
char	   *sg_citus_metadata_schema = NULL;

/*
 * Calls of Citus's C functions under way, innermost last, with their class
 * (SG_FN_*); and how many statements of Citus's own are running.
 */
#define SG_FN_NONE			0
#define SG_FN_OPERATION		1	/* what it runs is Citus's implementation */
#define SG_FN_APPLIER		2	/* runs the SQL it is given: shard DDL only */
#define SG_FN_STACK			64
static Oid	sg_citus_fn_oid[SG_FN_STACK];
static char sg_citus_fn_class[SG_FN_STACK];
static int	sg_citus_fn_depth = 0;	/* may exceed SG_FN_STACK */
static int	sg_citus_own_depth = 0;

/* the class of each function looked at, until pg_proc changes */
static HTAB *sg_citus_fn_cache = NULL;
typedef struct SGFnClass
{
	Oid			fn_oid;			/* hash key */
	char		fnclass;
} SGFnClass;

/* only the size Citus reported earlier in the transaction (object access) */
static bool sg_citus_cached_only = false;

/* this transaction is known to be another node's (sg_citus_remote_initiated) */
static bool sg_citus_remote_xact = false;

/*
 * Citus's operations, whose internal statements are its implementation of
 * what the user asked for (the user called the function, not a DDL
 * statement).  Citus's other volatile C functions run SQL they are given
 * (worker_apply_shard_ddl_command() runs any statement, also a DO block):
 * only the shard DDL they run is Citus's.
 */
static const char *const sg_citus_operations[] = {
	"create_distributed_table", "create_distributed_table_concurrently",
	"create_reference_table", "citus_add_local_table_to_metadata",
	"undistribute_table", "alter_distributed_table",
	"alter_table_set_access_method", "update_distributed_table_colocation",
	"citus_move_shard_placement", "citus_copy_shard_placement",
	"master_move_shard_placement", "master_copy_shard_placement",
	"citus_split_shard_by_split_points", "isolate_tenant_to_new_shard",
	"rebalance_table_shards", "replicate_table_shards", "citus_drain_node",
	"citus_schema_distribute", "citus_schema_undistribute", "citus_schema_move",
	"citus_add_node", "master_add_node", "citus_activate_node",
	"master_activate_node", "start_metadata_sync_to_node",
	"start_metadata_sync_to_all_nodes", "citus_finish_citus_upgrade",
	"fix_partition_shard_index_names", "fix_all_partition_shard_index_names",
	"worker_fix_partition_shard_index_names", "replicate_reference_tables",
	"citus_cleanup_orphaned_resources", "citus_set_coordinator_host",
};

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

static void
sg_citus_fn_cache_reset(Datum arg, int cacheid, uint32 hashvalue)
{
	if (sg_citus_fn_cache != NULL)
	{
		hash_destroy(sg_citus_fn_cache);
		sg_citus_fn_cache = NULL;
	}
}

/*
 * The class of a function: a volatile C function of the citus library is an
 * SG_FN_OPERATION when it is one of sg_citus_operations, an SG_FN_APPLIER
 * otherwise; anything else (Citus's immutable helpers, type I/O, aggregate
 * support, which run per row, and every other function) is SG_FN_NONE.
 */
static char
sg_citus_fn_classify(Oid fn_oid)
{
	HeapTuple	tup;
	Form_pg_proc proc;
	char		fnclass = SG_FN_NONE;
	SGFnClass  *entry;
	bool		found;

	if (sg_citus_fn_cache == NULL)
	{
		HASHCTL		ctl;

		ctl.keysize = sizeof(Oid);
		ctl.entrysize = sizeof(SGFnClass);
		sg_citus_fn_cache = hash_create("schemaguard Citus functions", 64, &ctl,
										HASH_ELEM | HASH_BLOBS);
	}
	entry = hash_search(sg_citus_fn_cache, &fn_oid, HASH_FIND, NULL);
	if (entry != NULL)
		return entry->fnclass;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	if (!HeapTupleIsValid(tup))
		return SG_FN_NONE;
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
			if (strcmp(base, "citus") == 0 || strcmp(base, "citus.so") == 0)
			{
				fnclass = SG_FN_APPLIER;
				for (int i = 0; i < lengthof(sg_citus_operations); i++)
					if (strcmp(NameStr(proc->proname), sg_citus_operations[i]) == 0)
						fnclass = SG_FN_OPERATION;
			}
			pfree(lib);
		}
	}
	ReleaseSysCache(tup);

	/* the cache may have been reset by an invalidation meanwhile */
	if (sg_citus_fn_cache != NULL)
	{
		entry = hash_search(sg_citus_fn_cache, &fn_oid, HASH_ENTER, &found);
		entry->fnclass = fnclass;
	}
	return fnclass;
}

static bool
sg_citus_needs_fmgr_hook(Oid fn_oid)
{
	if (sg_prev_needs_fmgr_hook && sg_prev_needs_fmgr_hook(fn_oid))
		return true;
	return sg_citus_fn_classify(fn_oid) != SG_FN_NONE;
}

/*
 * A hooked function starts, ends or fails.  Only the start looks the
 * function up (its class is cached); the end and an abort pop what the
 * start pushed, with no catalog access (an abort runs in ErrorContext).
 */
static void
sg_citus_fmgr_hook(FmgrHookEventType event, FmgrInfo *flinfo, Datum *private)
{
	if (sg_prev_fmgr_hook)
		sg_prev_fmgr_hook(event, flinfo, private);
	if (event == FHET_START)
	{
		char		fnclass = sg_citus_fn_classify(flinfo->fn_oid);

		if (fnclass == SG_FN_NONE)
			return;
		if (sg_citus_fn_depth < SG_FN_STACK)
		{
			sg_citus_fn_oid[sg_citus_fn_depth] = flinfo->fn_oid;
			sg_citus_fn_class[sg_citus_fn_depth] = fnclass;
		}
		sg_citus_fn_depth++;
	}
	else if (sg_citus_fn_depth > 0 &&
			 (sg_citus_fn_depth > SG_FN_STACK ||
			  sg_citus_fn_oid[sg_citus_fn_depth - 1] == flinfo->fn_oid))
		sg_citus_fn_depth--;
}

/* the innermost Citus function running, or SG_FN_NONE */
static char
sg_citus_fn_current(void)
{
	if (sg_citus_fn_depth == 0)
		return SG_FN_NONE;
	if (sg_citus_fn_depth > SG_FN_STACK)
		return SG_FN_APPLIER;
	return sg_citus_fn_class[sg_citus_fn_depth - 1];
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
	CacheRegisterSyscacheCallback(PROCOID, sg_citus_fn_cache_reset, (Datum) 0);
}

/*
 * The transaction is over: the sizes go with it.  (The counts of running
 * functions and statements are not reset: a Citus operation may commit
 * inside itself and go on; an error unwinds them through FHET_ABORT and
 * sg_run_citus_own()'s PG_FINALLY.)
 */
void
sg_citus_xact_end(void)
{
	sg_citus_sizes = NIL;
	sg_citus_remote_xact = false;
}

/* Are Citus's paths on: the citus library, or the test seam? */
bool
sg_citus_active(void)
{
	return sg_citus_loaded ||
		(sg_citus_metadata_schema != NULL && sg_citus_metadata_schema[0] != '\0');
}

/* a statement of Citus's own is under way: the guard looks at nothing */
bool
sg_citus_in_own_statement(void)
{
	return sg_citus_own_depth > 0 || sg_citus_fn_current() == SG_FN_OPERATION;
}

/* while an object is dropped: no question to the workers, only what is known */
void
sg_citus_set_cached_only(bool on)
{
	sg_citus_cached_only = on;
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
 * Call fn (with no argument, or with arg) in a subtransaction: true and its
 * *result, or false and the error's message in *why.  A cancel, a shutdown
 * or running out of memory is meant for the whole statement: rethrown.
 */
static bool
sg_citus_try_call(Oid fn, int nargs, Datum arg, Datum *result, char **why)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	volatile bool ok = false;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		*result = nargs == 0 ? OidFunctionCall0(fn) : OidFunctionCall1(fn, arg);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		ok = true;
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
			edata->sqlerrcode == ERRCODE_ADMIN_SHUTDOWN ||
			edata->sqlerrcode == ERRCODE_OUT_OF_MEMORY)
			ReThrowError(edata);
		*why = pstrdup(edata->message);
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return ok;
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
	Datum		result;
	int64		bytes = -1;
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

	/* a connection that does not come at once is not waited for long */
	nestlevel = NewGUCNestLevel();
	if (sg_setting_defined("citus.node_connection_timeout"))
	{
		const char *now = GetConfigOption("citus.node_connection_timeout", true, false);
		int			ms = 0;

		if (now == NULL || !parse_int(now, &ms, GUC_UNIT_MS, NULL) ||
			ms <= 0 || ms > SG_CITUS_CONNECT_MS)
			(void) set_config_option("citus.node_connection_timeout",
									 CppAsString2(SG_CITUS_CONNECT_MS),
									 PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE,
									 true, 0, false);
	}
	if (sg_citus_try_call(fn, 1, ObjectIdGetDatum(relid), &result, why))
		bytes = DatumGetInt64(result);
	AtEOXact_GUC(false, nestlevel);
	if (bytes < 0 && *why == NULL)
		*why = "Citus returned no size";
	return bytes;
}

/*
 * The size of one Citus table's shards: from earlier in the transaction, or
 * asked now (not while an object is being dropped); -1 and *why when it is
 * not known.
 */
static int64
sg_citus_size(Oid nsp, Oid relid, const char **why)
{
	ListCell   *lc;
	SGCitusSize *s;
	MemoryContext old;
	char	   *reason = NULL;
	int64		bytes;

	foreach(lc, sg_citus_sizes)
	{
		s = lfirst(lc);
		if (s->relid == relid)
		{
			*why = s->why_unknown;
			return s->bytes;
		}
	}
	if (sg_citus_cached_only)
	{
		*why = "it is not asked while objects are being dropped";
		return -1;
	}

	bytes = sg_citus_ask_size(nsp, relid, &reason);
	old = MemoryContextSwitchTo(TopTransactionContext);
	s = palloc0(sizeof(SGCitusSize));
	s->relid = relid;
	s->bytes = bytes;
	s->why_unknown = reason ? pstrdup(reason) : NULL;
	sg_citus_sizes = lappend(sg_citus_sizes, s);
	MemoryContextSwitchTo(old);
	*why = s->why_unknown;
	return bytes;
}

/*
 * relinfo.c measures a relation: when it is a Citus table, fill in its
 * real size over all shards (over all shards of all partitions, for a
 * partitioned one: Citus measures a partitioned shard's own, empty, heap)
 * and return true.
 */
bool
sg_citus_measure(SGRelInfo *ri)
{
	Oid			nsp = sg_citus_namespace();
	char		kind;
	List	   *leaves;
	ListCell   *lc;

	if (!OidIsValid(nsp))
		return false;
	kind = sg_citus_kind(nsp, ri->relid);
	if (kind == SG_CITUS_NONE)
		return false;

	ri->citus_kind = kind;
	ri->reltuples = -1;
	ri->bytes = 0;
	ri->npartitions = 0;
	ri->citus_size_unknown = NULL;
	if (ri->relkind == RELKIND_PARTITIONED_TABLE)
		leaves = find_all_inheritors(ri->relid, NoLock, NULL);
	else
		leaves = list_make1_oid(ri->relid);
	foreach(lc, leaves)
	{
		Oid			relid = lfirst_oid(lc);
		const char *why = NULL;
		int64		bytes;

		if (get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE)
			continue;
		ri->npartitions += sg_citus_scan(nsp, "pg_dist_shard", "logicalrelid", relid,
										 NULL, NULL);
		bytes = sg_citus_size(nsp, relid, &why);
		if (bytes < 0)
		{
			ri->citus_size_unknown = why ? why : "Citus returned no size";
			break;
		}
		ri->bytes += bytes;
	}
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
 * transaction one that another node started?  See the header comment, 2c.
 */
static bool
sg_citus_remote_initiated(Oid nsp, int64 local_group)
{
	Oid			fn;
	Datum		result;
	char	   *why = NULL;
	HeapTupleHeader td;
	bool		isnull;
	Datum		initiator;
	Datum		txnumber;

	/* once another node's, the transaction stays so */
	if (sg_citus_remote_xact)
		return true;
	fn = sg_citus_function(nsp, "get_current_transaction_id", 0, NULL);
	if (!OidIsValid(fn) || IsInParallelMode() ||
		!sg_citus_try_call(fn, 0, (Datum) 0, &result, &why))
		return false;
	td = DatumGetHeapTupleHeader(result);
	txnumber = GetAttributeByName(td, "transaction_number", &isnull);
	if (isnull || DatumGetInt64(txnumber) == 0)
		return false;
	initiator = GetAttributeByName(td, "initiator_node_identifier", &isnull);
	if (isnull || DatumGetInt32(initiator) < 0 ||
		DatumGetInt32(initiator) == local_group)
		return false;
	sg_citus_remote_xact = true;
	return true;
}

/*
 * The name Citus gives the shard shardid of a relation named name: "_" and
 * the shard id appended, or, when that would not fit, the name clipped with
 * a hash of it in between (Citus's AppendShardIdToName(), which uses the
 * server's hash_any() and pg_mbcliplen()).
 */
static void
sg_citus_shard_name(const char *name, int64 shardid, char *out)
{
	char		suffix[32];
	int			len = strlen(name);
	int			slen;

	snprintf(suffix, sizeof(suffix), "_" INT64_FORMAT, shardid);
	slen = strlen(suffix);
	if (len < NAMEDATALEN - slen)
		snprintf(out, NAMEDATALEN, "%s%s", name, suffix);
	else
	{
		uint32		hash = DatumGetUInt32(hash_any((const unsigned char *) name, len));
		int			clip = pg_mbcliplen(name, len, NAMEDATALEN - slen - 10);

		snprintf(out, NAMEDATALEN, "%.*s_%.8x%s", clip, name, hash, suffix);
	}
}

/*
 * Is relid (or the table of an index relid) a shard: a table whose name is
 * the one Citus gives shard <shardid> of <table> in the same schema, where
 * pg_dist_shard lists <shardid> for <table>?  With shell set, a Citus
 * table's own (shell) relation counts too.
 */
static bool
sg_citus_is_shard(Oid nsp, Oid relid, bool shell)
{
	char	   *name;
	char	   *logical_name;
	char	   *sep;
	int64		shardid = 0;
	int64		logical = -1;
	char		expected[NAMEDATALEN];

	if (get_rel_relkind(relid) == RELKIND_INDEX ||
		get_rel_relkind(relid) == RELKIND_PARTITIONED_INDEX)
		relid = IndexGetRelation(relid, true);
	if (!OidIsValid(relid))
		return false;
	if (shell && sg_citus_kind(nsp, relid) != SG_CITUS_NONE)
		return true;
	name = get_rel_name(relid);
	if (name == NULL || (sep = strrchr(name, '_')) == NULL)
		return false;
	/* digits only, no leading zero, no overflow */
	if (sep[1] < '1' || sep[1] > '9' || strlen(sep + 1) > 18)
		return false;
	for (char *p = sep + 1; *p; p++)
	{
		if (*p < '0' || *p > '9')
			return false;
		shardid = shardid * 10 + (*p - '0');
	}
	if (sg_citus_scan(nsp, "pg_dist_shard", "shardid", shardid, "logicalrelid",
					  &logical) == 0 || logical <= 0)
		return false;
	logical_name = get_rel_name((Oid) logical);
	if (logical_name == NULL ||
		get_rel_namespace((Oid) logical) != get_rel_namespace(relid))
		return false;
	sg_citus_shard_name(logical_name, shardid, expected);
	return strcmp(expected, name) == 0;
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
	char		fnclass;
	int64		local_group = -1;

	if (sg_citus_own_depth > 0)
		return true;
	fnclass = sg_citus_fn_current();
	if (fnclass == SG_FN_OPERATION)
		return true;
	/* settings change no schema: judged or not, the same happens */
	if (!IsTransactionState() || IsA(stmt, VariableSetStmt) ||
		IsA(stmt, VariableShowStmt))
		return false;
	nsp = sg_citus_namespace();
	if (!OidIsValid(nsp))
		return false;

	/* Citus marks the sessions it opens (the test its own functions use) */
	internal = application_name != NULL &&
		(strncmp(application_name, "citus_internal gpid=", 20) == 0 ||
		 strncmp(application_name, "citus_rebalancer gpid=", 22) == 0);

	/*
	 * DDL on shards only, that Citus runs: through one of its functions,
	 * inside another statement (its local execution of a shard command), or
	 * sent over in a session of its own (CREATE INDEX CONCURRENTLY is).
	 */
	if ((fnclass == SG_FN_APPLIER || context == PROCESS_UTILITY_QUERY || internal) &&
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
	/*
	 * Anyone may set application_name: on the coordinator (group 0), where
	 * the users' own sessions are, that is all a non-superuser's session
	 * may count for.
	 */
	if (sg_citus_scan(nsp, "pg_dist_local_group", NULL, -1, "groupid",
					  &local_group) == 0 || local_group <= 0)
		return false;
	/* on a worker: the shells' DDL, and what another node's transaction runs */
	if (sg_citus_on_shards(nsp, stmt, true))
		return true;
	return sg_citus_remote_initiated(nsp, local_group);
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
