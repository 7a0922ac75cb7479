/*-------------------------------------------------------------------------
 *
 * drift_int.h
 *		The schema snapshot's internals, shared by the files of src/drift/.
 *
 * The snapshot is every schema object of the database with a stable,
 * normalised definition, read straight from the catalogs.  Each catalog is
 * read once, with one registered catalog snapshot so that all catalogs
 * agree; nothing runs a query per object.  Definitions are built from the
 * catalog rows (columns, indexes, the common constraints) or by the
 * server's own deparser (views, functions, triggers, rules, partition
 * keys, statistics objects).  Stored expressions (defaults, index
 * predicates, CHECK constraints, policies) are deparsed once per distinct
 * expression: most schemas repeat the same few defaults thousands of times.
 *
 * While the snapshot is taken search_path is "pg_catalog, pg_temp", so every
 * user object is schema-qualified and the caller's temporary objects, last
 * in the path, never hide a pg_catalog name (with pg_catalog alone the
 * temporary schema is searched first), and the settings that change how
 * constants print (DateStyle, IntervalStyle, TimeZone, extra_float_digits,
 * bytea_output, quote_all_identifiers) are pinned: the definitions do not
 * depend on the caller's settings.
 *
 * The files:
 *   snapshot.c     assembly: settings, the order catalogs are read in,
 *                  sorting, checksums and the fingerprint
 *   build.c        building blocks: the string arena, lookups (relations,
 *                  schemas, types, operator classes, access methods), the
 *                  expression memo, catalog scans, schemas, extension members
 *   facets.c       the optional facets (owners, privileges, comments, ...)
 *   relations.c    pg_class and pg_attribute: tables, columns, views,
 *                  composite types, sequences
 *   indexes.c      indexes (and the kept rows indexes and constraints share)
 *   constraints.c  constraints
 *   routines.c     functions, aggregates, triggers, event triggers, rules,
 *                  views' queries, policies, statistics objects
 *   types.c        types, extensions, collations
 *   worker.c       the parallel worker and its message protocol
 *   drift.c        the SQL functions: snapshot(), fingerprint(), baselines,
 *                  drift(), manifests and compare()
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_DRIFT_INT_H
#define SCHEMAGUARD_DRIFT_INT_H

#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/tableam.h"
#include "access/parallel.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/amapi.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_am.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_class.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_constraint.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_description.h"
#include "catalog/pg_enum.h"
#include "catalog/pg_event_trigger.h"
#include "catalog/pg_extension.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "catalog/pg_index.h"
#include "catalog/pg_inherits.h"
#include "catalog/pg_language.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_opclass.h"
#include "catalog/pg_policy.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_range.h"
#include "catalog/pg_rewrite.h"
#include "catalog/pg_sequence.h"
#include "catalog/pg_statistic_ext.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "commands/tablespace.h"
#include "commands/trigger.h"
#include "commands/extension.h"
#include "common/cryptohash.h"
#include "common/hashfn.h"
#include "common/sha2.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/cost.h"
#include "parser/parsetree.h"
#include "port/atomics.h"
#include "rewrite/rewriteSupport.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/shm_mq.h"
#include "storage/shm_toc.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/regproc.h"
#include "utils/rel.h"
#include "utils/ruleutils.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/wait_event.h"

#include "compat.h"
#include "snapshot.h"

/*
 * The snapshot's lookup tables: 64-bit key (an OID, or two OIDs) to a
 * pointer, in an open-addressing hash table (lib/simplehash.h).  They are
 * looked up for nearly every catalog row, hundreds of thousands of times
 * on a large schema, where dynahash's chained buckets cost several times
 * as much.  Values live elsewhere, so they never move when a table grows.
 */
typedef struct SGMapEntry
{
	uint64		key;
	void	   *value;
	char		status;
} SGMapEntry;

static inline uint32
sg_map_hash(uint64 key)
{
	return hash_combine(murmurhash32((uint32) key), murmurhash32((uint32) (key >> 32)));
}

#define SH_PREFIX		sgmap
#define SH_ELEMENT_TYPE	SGMapEntry
#define SH_KEY_TYPE		uint64
#define SH_KEY			key
#define SH_HASH_KEY(tb, k)	sg_map_hash(k)
#define SH_EQUAL(tb, a, b)	((a) == (b))
#define SH_SCOPE		static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

#define SG_KEY2(a, b)	(((uint64) (a) << 32) | (uint64) (uint32) (b))

/* the value stored under key, or NULL */
static inline void *
sg_map_get(sgmap_hash *map, uint64 key)
{
	SGMapEntry *e = sgmap_lookup(map, key);

	return e ? e->value : NULL;
}

/* the entry for key, created with a NULL value when new */
static inline SGMapEntry *
sg_map_enter(sgmap_hash *map, uint64 key)
{
	bool		found;
	SGMapEntry *e = sgmap_insert(map, key, &found);

	if (!found)
		e->value = NULL;
	return e;
}


/* one column (or composite type attribute) */
typedef struct SnapAttr
{
	const char *name;
	const char *defbin;			/* pg_attrdef.adbin, NULL if none */
	Acl		   *acl;
	Oid			typid;
	int32		typmod;
	Oid			collation;
	int			stattarget;
	bool		present;		/* false: dropped or not seen */
	bool		notnull;
	char		identity;
	char		generated;
	char		storage;
	char		compression;
} SnapAttr;

/* one pg_class row of an included schema */
typedef struct SnapRel
{
	Oid			relid;			/* hash key */
	bool		included;		/* not an extension member */
	char		relkind;
	char		relpersistence;
	char		relreplident;
	bool		relispartition;
	bool		relrowsecurity;
	bool		relforcerowsecurity;
	Oid			relowner;
	Oid			relam;
	Oid			reltablespace;
	const char *nspname;
	const char *relname;
	const char *qualified;		/* quoted schema.name */
	const char *reloptions;		/* "a=1, b=2" or NULL */
	Acl		   *acl;
	const char *partbound;		/* relpartbound node string */
	int			natts;
	SnapAttr   *attrs;			/* [natts], for tables, views, types */
	const char *attsig;			/* column names, for the expression memo */
	bool		has_attoptions; /* an index column has opclass options */
	Oid			replident_index;
	/* an index, for its PRIMARY KEY or UNIQUE constraint (sg_build_index) */
	bool		index_read;
	bool		nulls_not_distinct;
	const char *include_columns;	/* "a, b" or NULL */
	HeapTuple	view_rule;		/* a view's _RETURN rule (sg_read_rewrite) */
	const char *viewdef;		/* its query, deparsed (sg_read_view_rule) */
} SnapRel;

/*
 * A pg_index or pg_constraint row kept as it was read, with what the
 * object it makes is called: these rows are read before the columns are
 * there and built in identity order after (sg_keep_index_row,
 * sg_build_kept_rows).
 */
typedef struct SGKeptRow
{
	HeapTuple	tup;			/* a copy in the arena */
	const char *type;
	const char *schema;
	const char *identity;
	const char *parent_type;
	const char *parent_identity;
	SnapRel    *rel;			/* the table, or NULL for a domain's */
} SGKeptRow;

typedef struct SGKeptRows
{
	SGKeptRow  *rows;
	int			n;
	int			max;
} SGKeptRows;

/* one object type's share of the fingerprint (sg_type_digests) */
typedef struct SGTypeDigest
{
	const char *type;
	int			count;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
} SGTypeDigest;

typedef struct SnapNsp
{
	Oid			nspid;			/* hash key */
	bool		included;
	const char *name;
	const char *quoted;			/* quote_identifier(name) */
} SnapNsp;

typedef struct OidKey2
{
	Oid			a;
	Oid			b;
} OidKey2;

typedef struct DescKey
{
	Oid			objoid;
	Oid			classoid;
	int32		objsubid;
} DescKey;

typedef struct DescEntry
{
	DescKey		key;
	const char *text;
} DescEntry;

typedef struct TypeNameKey
{
	Oid			typid;
	int32		typmod;
} TypeNameKey;

typedef struct TypeNameEntry
{
	TypeNameKey key;
	const char *name;
	Oid			typcollation;
} TypeNameEntry;

typedef struct OpclassEntry
{
	OidKey2		key;			/* opclass, key column type */
	const char *suffix;			/* " name" or "" when the default */
} OpclassEntry;

typedef struct AmEntry
{
	Oid			amoid;
	bool		canorder;
	const char *name;
} AmEntry;

typedef struct ExprMemo
{
	struct ExprMemo *next;
	char	   *key;
	const char *text;
	Oid			type;
	Oid			collation;
	bool		funclike;		/* a bare function call, no parentheses */
} ExprMemo;

/* the same stored text again: its memo without stripping and hashing it */
typedef struct RawExprMemo
{
	struct RawExprMemo *next;
	const char *raw;			/* the pg_node_tree text as stored */
	Size		len;			/* its length */
	bool		has_vars;		/* then only for the same column names: */
	const char *attsig;			/* sg_attsig(), kept once, compared as a pointer */
	ExprMemo   *memo;
} RawExprMemo;

typedef struct InhEntry
{
	Oid			child;			/* hash key */
	List	   *parents;		/* Oids, in inhseqno order */
	List	   *seqnos;
} InhEntry;

/*
 * Who builds which objects.  With a parallel worker, the worker builds the
 * rules, indexes and constraints, the leader everything else but views,
 * which both build (sg_snapshot_collect, sg_build_views); alone, the leader
 * builds all.  Each object type but views has one builder, which the
 * fingerprint's per-type digests rely on; views are hashed by the leader
 * once it has the worker's.
 */
#define SG_PART_LEADER	0x01
#define SG_PART_WORKER	0x02
#define SG_PART_ALL		(SG_PART_LEADER | SG_PART_WORKER)

/*
 * The lookup tables built from the catalogs as they are read: what the
 * definitions refer to (schemas, relations, types, operator classes,
 * access methods, comments, inheritance, extension members).
 */
typedef struct SnapLookups
{
	sgmap_hash *nsps;			/* namespace OID -> SnapNsp */
	SnapRel   **rel_list;		/* the SnapRels, in pg_class order */
	/*
	 * pg_class OID -> SnapRel (sg_index_rels): an array indexed by OID -
	 * rel_lo when the OIDs are dense enough, else a hash table
	 */
	SnapRel   **rel_index;
	sgmap_hash *rels;
	Oid			rel_lo;
	Oid			rel_hi;
	bool		rels_indexed;
	SnapRel    *rel_batch;		/* where the next SnapRels are allocated */
	int			nrels;
	int			maxrels;
	Oid			last_relid;		/* last sg_rel() key and result */
	SnapRel    *last_rel;
	const char *found_relname;	/* sg_read_relname's result */
	sgmap_hash *members;		/* (classid, objid) of extension members */
	HTAB	   *descriptions;
	sgmap_hash *typenames;		/* (type, typmod) -> TypeNameEntry */
	sgmap_hash *opclasses;		/* (opclass, key type) -> suffix */
	sgmap_hash *ams;			/* access method OID -> AmEntry */
	sgmap_hash *inherits;		/* child OID -> InhEntry */
	sgmap_hash *auto_arrays;	/* array type OID -> its element type */
	bool		arrays_known;	/* auto_arrays has all of pg_type's */
	List	   *pending_arrays; /* array types and their elements, till then */
	Oid			own_schema;		/* schemaguard's schema */
} SnapLookups;

/*
 * Strings deparsed or kept once: stored expressions by their text, and
 * repeated strings (sg_keep_once), each with the last few used.
 */
typedef struct SnapMemo
{
	sgmap_hash *exprs;			/* expression hash -> ExprMemo chain */
	sgmap_hash *raw_exprs;		/* stored text hash -> RawExprMemo chain */
	struct RawExprMemo *recent_exprs[4];	/* the last ones used */
	int			next_recent_expr;
	sgmap_hash *kept_texts;		/* text hash -> KeptText chain (sg_keep_once) */
	struct KeptText *recent_kept[4];	/* the last ones kept */
	int			next_recent_kept;
} SnapMemo;

/*
 * pg_index and pg_constraint rows, kept as read and built in identity
 * order once the columns are known (indexes.c).
 */
typedef struct SnapKept
{
	bool		indexes_read;	/* pg_index was scanned here */
	bool		rewrite_read;	/* pg_rewrite was scanned here */
	SGKeptRows	kept_indexes;	/* pg_index rows, in identity order */
	SGKeptRows	kept_constraints;	/* pg_constraint rows, the same */
} SnapKept;

/* The parallel worker's queues, seen from either process (worker.c). */
typedef struct SnapParallel
{
	shm_mq_handle *mqh;			/* the worker's queue to the leader */
	shm_mq_handle *worker_mqh;	/* in the leader: its end of that queue */
	bool		worker_complete;	/* the worker's 'E' has come */
	int			nsent;			/* objects already sent to the leader */
	bool		leader_gone;
	/*
	 * With a worker, the leader reads pg_class and pg_attribute and streams
	 * what the worker needs of them (attr_mqh: the leader's sending end, or
	 * the worker's receiving end); attr_pending are batches not sent yet.
	 */
	shm_mq_handle *attr_mqh;
	StringInfo	attr_batch;
	List	   *attr_pending;
	bool		from_leader;	/* in the worker: pg_class and pg_attribute
								 * come from the leader */
	bool		attrs_complete; /* the worker has all of the leader's columns */
	/*
	 * Routines, triggers and types are the worker's when it sends its
	 * objects: the leader then has them, and drift()'s baseline, to read.
	 * For fingerprint() they are the leader's, which has less to do.
	 */
	bool		worker_routines;
} SnapParallel;

/*
 * The views and materialized views, in pg_class order.  With a worker both
 * processes build them: each takes the next one from a counter in shared
 * memory (view_counter) until none are left (sg_build_views).
 */
typedef struct SnapViews
{
	SnapRel   **views;
	int			nviews;
	int			next_view;		/* without a worker */
	pg_atomic_uint32 *view_counter;
	/*
	 * The worker leaves the last views to the leader when it would take
	 * the leader alone no longer than the worker takes to end
	 * (sg_worker_leaves_views).
	 */
	pg_atomic_uint32 *leader_on_views;	/* the leader builds views now */
	int64		end_cost_us;	/* the worker's estimate of its end */
	int64		views_us;		/* time this process spent on views */
	int			views_built;
} SnapViews;

/*
 * fingerprint(): the worker sends its types' digests, not its objects, and
 * the columns are hashed as they are built, in identity order, instead of
 * kept (sg_stream_object): one stream per column type.
 */
typedef struct SnapDigests
{
	bool		fingerprint_only;
	struct SGTypeStream *streams;
	int			nstreams;
	SGTypeDigest *own_digests;
	int			nown_digests;
	SGTypeDigest *worker_digests;
	int			nworker_digests;
	SGTypeDigest *view_digests; /* both processes' views */
	int			nview_digests;
	bool		have_worker_digests;
} SnapDigests;

/* One snapshot being taken, in the leader or in the worker. */
typedef struct Snap
{
	SGSnapshot *result;
	int			facets;
	int			part;			/* SG_PART_*: the objects this process builds */
	Snapshot	snapshot;
	MemoryContext cxt;			/* the snapshot's memory */
	MemoryContext scratch;		/* reset after each expression */
	MemoryContext rowcxt;		/* reset after each catalog row */
	StringInfoData buf;
	SGArena		arena;			/* where sg_keep() puts its strings */
	SnapLookups cat;
	SnapMemo	memo;
	SnapKept	kept;
	SnapViews	views;
	SnapParallel par;
	SnapDigests fp;
} Snap;

/* does this process build objects of share "part"? */
static inline bool
sg_emits(Snap *s, int part)
{
	return (s->part & part) != 0;
}

/*
 * SHA-256 over fields written as "<length>:<text>\n" in UTF-8 ("-\n" for
 * NULL), fed to the hash in batches of about 64kB.
 */
typedef struct SGHasher
{
	pg_cryptohash_ctx *ctx;
	StringInfoData buf;
	bool		utf8_server;
} SGHasher;

#define SG_MAX_TYPES 64

/* a string to sort and what it belongs to (sg_sort_strings) */
typedef struct SGSortItem
{
	uint64		key;			/* 8 bytes of str (sg_sort_strings) */
	const char *str;
	void	   *ptr;
	int			pos;			/* its place before sorting */
} SGSortItem;


/* which objects sg_sorted_pointers() returns */
typedef enum SGTypeFilter
{
	SG_TYPES_ALL,
	SG_TYPES_VIEWS,				/* views and materialized views */
	SG_TYPES_NOT_VIEWS			/* all others */
} SGTypeFilter;

typedef void (*SnapRowFn) (Snap *s, HeapTuple tup, TupleDesc desc);


/* facets.c */
extern void sg_facet_owner(Snap *s, StringInfo buf, Oid owner);
extern void sg_facet_privileges(Snap *s, StringInfo buf, ObjectType objtype, Oid owner,
					Acl *acl);
extern void sg_facet_comment(Snap *s, StringInfo buf, Oid classoid, Oid objoid, int32 subid);
extern const char *sg_tablespace(Snap *s, Oid spcid);
extern const char *sg_reloptions_text(Datum reloptions);

/* snapshot.c */
extern void sg_hasher_begin(SGHasher *h);
extern void sg_hasher_field(SGHasher *h, const char *value);
extern void sg_hasher_field3(SGHasher *h, const char *a, const char *b, const char *c);
extern void sg_hasher_end(SGHasher *h, uint8 *digest);
extern SGTypeDigest *sg_type_digests(SGObject **sorted, int n, int *ntypes);
extern void sg_sort_strings(SGSortItem *items, int n);
extern bool sg_is_view_type(const char *type);
extern SGObject **sg_sorted_pointers(SGObject *objects, int n, SGTypeFilter filter, int *nsorted);
extern void sg_snap_init(Snap *s, int facets, int part);
extern void sg_snapshot_collect(Snap *s);

/* build.c */
extern HTAB *sg_hash_create(const char *name, Size keysize, Size entrysize, long nelem);
extern StringInfo sg_def_begin(Snap *s);
extern void *sg_alloc_aligned(SGArena *a, Size size);
extern void *sg_alloc0(SGArena *a, Size size);
extern const char *sg_keep_n(Snap *s, const char *str, Size len);
extern const char *sg_keep(Snap *s, const char *str);
extern const char *sg_keep_concat(Snap *s, const char *a, const char *sep, const char *b);
extern const char *sg_keep_once(Snap *s, const char *data, Size len);
extern SGObject *sg_add_object(Snap *s, const char *type, const char *schema,
			  const char *identity, Oid classid, Oid objid, int32 objsubid);
extern void sg_set_definition(Snap *s, SGObject *obj, StringInfo buf);
extern SnapRel *sg_rel(Snap *s, Oid relid);
extern SnapRel *sg_new_rel(Snap *s, Oid relid);
extern void sg_index_rels(Snap *s);
extern SnapRel *sg_included_rel(Snap *s, Oid relid);
extern const char *sg_rel_qualified(Snap *s, Oid relid);
extern SnapNsp *sg_included_nsp(Snap *s, Oid nspid);
extern bool sg_is_member(Snap *s, Oid classid, Oid objid);
extern const char *sg_attname(SnapRel *rel, AttrNumber attnum);
extern TypeNameEntry *sg_type_entry(Snap *s, Oid typid, int32 typmod);
extern const char *sg_type_name(Snap *s, Oid typid, int32 typmod);
extern AmEntry *sg_am(Snap *s, Oid amoid);
extern const char *sg_opclass_suffix(Snap *s, Oid opclass, Oid keytype);
extern ExprMemo *sg_expr(Snap *s, const char *nodestr, SnapRel *rel);
extern void sg_read_own_schema(Snap *s, HeapTuple tup, TupleDesc desc);
extern const char *sg_role(Oid roleid);
extern int sg_cstring_cmp(const void *a, const void *b);
extern char *sg_acl_text(Acl *acl);
extern void sg_scan(Snap *s, Oid catalog, SnapRowFn fn);
extern void sg_scan_key(Snap *s, Oid catalog, Oid indexid, AttrNumber keyatt, Oid key,
			SnapRowFn fn);
extern char *sg_text_attr(HeapTuple tup, int attnum, TupleDesc desc);
extern Acl *sg_acl_attr(Snap *s, HeapTuple tup, int attnum, TupleDesc desc);
extern void sg_read_members(Snap *s);
extern void sg_read_namespace(Snap *s, HeapTuple tup, TupleDesc desc);

/* relations.c */
extern void sg_read_class(Snap *s, HeapTuple tup, TupleDesc desc);
extern void sg_fetch_rel_attrs(Snap *s, SnapRel *rel);
extern void sg_read_attribute(Snap *s, HeapTuple tup, TupleDesc desc);
extern void sg_read_attrdef(Snap *s, HeapTuple tup, TupleDesc desc);
extern void sg_read_inherits(Snap *s, HeapTuple tup, TupleDesc desc);
extern void sg_read_description(Snap *s, HeapTuple tup, TupleDesc desc);
extern const char *sg_attsig(Snap *s, SnapRel *rel);
extern const char *sg_relkind_type(char relkind);
extern void sg_stream_object(Snap *s, const char *type, const char *prefix, const char *name,
				 StringInfo definition);
extern void sg_end_streams(Snap *s);
extern void sg_relation_facets(Snap *s, StringInfo buf, SnapRel *rel, ObjectType objtype);
extern void sg_emit_view(Snap *s, SnapRel *rel);
extern bool sg_find_dependency(Snap *s, Oid classid, Oid objid, char deptype,
				   char deptype2, Oid refclassid, FormData_pg_depend *found);
extern void sg_read_sequence(Snap *s, HeapTuple tup, TupleDesc desc);
extern void sg_emit_relations(Snap *s);

/* worker.c */
extern void sg_flush_attrs(Snap *s);
extern void sg_stream_mark(Snap *s, char mark);
extern void sg_stream_class(Snap *s, HeapTuple tup);
extern void sg_stream_attr(Snap *s, Oid relid, int16 attnum, Oid typid, Oid collation,
			   const char *name);
extern void sg_receive_class(Snap *s);
extern bool sg_receive_attrs(Snap *s, bool wait);
extern SGTypeDigest *sg_own_digests(Snap *s, SGTypeFilter filter, int *ntypes);
extern ParallelContext *sg_parallel_begin(Snap *s, shm_mq_handle **mqh);
extern void sg_poll_worker(Snap *s);
extern void sg_parallel_end(Snap *s, ParallelContext *pcxt, shm_mq_handle *mqh);

/* indexes.c */
extern SGKeptRow *sg_keep_row(Snap *s, SGKeptRows *kept, HeapTuple tup);
extern void sg_sort_kept_rows(Snap *s, SGKeptRows *kept);
extern void sg_build_kept_rows(Snap *s, SGKeptRows *kept, Oid catalog,
				   void (*build) (Snap *s, SGKeptRow *row, TupleDesc desc));
extern void sg_add_kept_object(Snap *s, SGKeptRow *row, Oid classid, Oid objid,
				   StringInfo buf);
extern void sg_keep_index_row(Snap *s, HeapTuple tup, TupleDesc desc);
extern void sg_build_index(Snap *s, SGKeptRow *row, TupleDesc desc);

/* constraints.c */
extern void sg_keep_constraint_row(Snap *s, HeapTuple tup, TupleDesc desc);
extern void sg_build_constraint(Snap *s, SGKeptRow *row, TupleDesc desc);

/* routines.c */
extern const char *sg_proc_name(Oid procid);
extern void sg_read_proc(Snap *s, HeapTuple tup, TupleDesc desc);
extern void sg_read_trigger(Snap *s, HeapTuple tup, TupleDesc desc);
extern void sg_read_event_trigger(Snap *s, HeapTuple tup, TupleDesc desc);
extern void sg_read_rewrite(Snap *s, HeapTuple tup, TupleDesc desc);
extern SnapRel *sg_next_view(Snap *s);
extern bool sg_worker_leaves_views(Snap *s);
extern void sg_build_views(Snap *s, bool until_attrs);
extern void sg_read_policy(Snap *s, HeapTuple tup, TupleDesc desc);
extern void sg_read_statistic_ext(Snap *s, HeapTuple tup, TupleDesc desc);

/* types.c */
extern void sg_read_types(Snap *s);
extern void sg_read_extension(Snap *s, HeapTuple tup, TupleDesc desc);
extern void sg_read_collation(Snap *s, HeapTuple tup, TupleDesc desc);

#endif							/* SCHEMAGUARD_DRIFT_INT_H */
