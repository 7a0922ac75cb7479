/*-------------------------------------------------------------------------
 *
 * snapshot.c
 *		The schema snapshot: every schema object of the database with a
 *		stable, normalised definition, read straight from the catalogs.
 *
 * Each catalog is read once, with one registered catalog snapshot so that
 * all catalogs agree; nothing runs a query per object.  Definitions are
 * built from the catalog rows here (columns, indexes, the common
 * constraints) or by the server's own deparser (views, functions,
 * triggers, rules, partition keys, statistics objects).  Stored
 * expressions (defaults, index predicates, CHECK constraints, policies)
 * are deparsed once per distinct expression: most schemas repeat the same
 * few defaults thousands of times.
 *
 * While the snapshot is taken search_path is "pg_catalog, pg_temp", so every
 * user object is schema-qualified and the caller's temporary objects, last
 * in the path, never hide a pg_catalog name (with pg_catalog alone the
 * temporary schema is searched first), and the settings that change how
 * constants print (DateStyle, IntervalStyle, TimeZone, extra_float_digits,
 * bytea_output, quote_all_identifiers) are pinned: the definitions do not
 * depend on the caller's settings.
 *
 *-------------------------------------------------------------------------
 */
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
#include "consistency.h"
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

static const char *const sg_facet_names[SG_NUM_FACETS] = {
	"owners", "privileges", "comments", "column_order", "storage"
};

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
	sgmap_hash *members;		/* (classid, objid) of extension members */
	HTAB	   *descriptions;
	sgmap_hash *typenames;		/* (type, typmod) -> TypeNameEntry */
	sgmap_hash *opclasses;		/* (opclass, key type) -> suffix */
	sgmap_hash *ams;			/* access method OID -> AmEntry */
	sgmap_hash *exprs;			/* expression hash -> ExprMemo chain */
	sgmap_hash *raw_exprs;		/* stored text hash -> RawExprMemo chain */
	struct RawExprMemo *recent_exprs[4];	/* the last ones used */
	int			next_recent_expr;
	sgmap_hash *kept_texts;		/* text hash -> KeptText chain (sg_keep_once) */
	struct KeptText *recent_kept[4];	/* the last ones kept */
	int			next_recent_kept;
	sgmap_hash *inherits;		/* child OID -> InhEntry */
	sgmap_hash *auto_arrays;	/* array type OID -> its element type */
	bool		arrays_known;	/* auto_arrays has all of pg_type's */
	List	   *pending_arrays; /* array types and their elements, till then */
	Oid			own_schema;		/* schemaguard's schema */
	Oid			last_relid;		/* last sg_rel() key and result */
	SnapRel    *last_rel;
	SGArena		arena;			/* where sg_keep() puts its strings */
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
	bool		indexes_read;	/* pg_index was scanned here */
	bool		rewrite_read;	/* pg_rewrite was scanned here */
	SGKeptRows	kept_indexes;	/* pg_index rows, in identity order */
	SGKeptRows	kept_constraints;	/* pg_constraint rows, the same */
	/*
	 * The views and materialized views, in pg_class order.  With a worker
	 * both processes build them: each takes the next one from a counter in
	 * shared memory (view_counter) until none are left (sg_build_views).
	 */
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
	bool		attrs_complete; /* the worker has all of the leader's columns */
	const char *found_relname;	/* sg_read_relname's result */
	/* fingerprint(): the worker sends its types' digests, not its objects */
	bool		fingerprint_only;
	/*
	 * Routines, triggers and types are the worker's when it sends its
	 * objects: the leader then has them, and drift()'s baseline, to read.
	 * For fingerprint() they are the leader's, which has less to do.
	 */
	bool		worker_routines;
	/*
	 * fingerprint() hashes the columns as they are built, in identity
	 * order, instead of keeping them (sg_stream_object): one stream per
	 * column type.
	 */
	struct SGTypeStream *streams;
	int			nstreams;
	SGTypeDigest *own_digests;
	int			nown_digests;
	SGTypeDigest *worker_digests;
	int			nworker_digests;
	SGTypeDigest *view_digests; /* both processes' views */
	int			nview_digests;
	bool		have_worker_digests;
} Snap;

/* does this process build objects of share "part"? */
static inline bool
sg_emits(Snap *s, int part)
{
	return (s->part & part) != 0;
}

/* ----------------------------------------------------------------
 * Facets
 * ----------------------------------------------------------------
 */

int
sg_parse_facet_datums(Datum *elems, bool *nulls, int nelems, const char *what)
{
	int			facets = 0;

	for (int i = 0; i < nelems; i++)
	{
		char	   *name;
		int			f;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", what)));
		name = TextDatumGetCString(elems[i]);
		for (f = 0; f < SG_NUM_FACETS; f++)
			if (strcmp(name, sg_facet_names[f]) == 0)
				break;
		if (f == SG_NUM_FACETS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown facet \"%s\"", name),
					 errhint("The facets are owners, privileges, comments, column_order and storage.")));
		facets |= 1 << f;
	}
	return facets;
}

int
sg_parse_facets(ArrayType *facets, const char *what)
{
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;

	if (ARR_NDIM(facets) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(facets, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &nelems);
	return sg_parse_facet_datums(elems, nulls, nelems, what);
}

ArrayType *
sg_facets_array(int facets)
{
	Datum		elems[SG_NUM_FACETS];
	int			n = 0;

	for (int f = 0; f < SG_NUM_FACETS; f++)
		if (facets & (1 << f))
			elems[n++] = CStringGetTextDatum(sg_facet_names[f]);
	return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
}

/* the facets as a comma-separated list, for messages and the fingerprint */
char *
sg_facets_text(int facets)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int f = 0; f < SG_NUM_FACETS; f++)
		if (facets & (1 << f))
			appendStringInfo(&buf, "%s%s", buf.len ? "," : "", sg_facet_names[f]);
	return buf.data;
}

/* ----------------------------------------------------------------
 * Checksums
 * ----------------------------------------------------------------
 */

/* "sha256:<hex>" of a digest */
static char *
sg_checksum_text(const uint8 *digest)
{
	char	   *out = palloc(7 + PG_SHA256_DIGEST_LENGTH * 2 + 1);

	memcpy(out, "sha256:", 7);
	hex_encode((const char *) digest, PG_SHA256_DIGEST_LENGTH, out + 7);
	out[7 + PG_SHA256_DIGEST_LENGTH * 2] = '\0';
	return out;
}

/* "sha256:<hex>" of the UTF-8 bytes of a server-encoded string */
char *
sg_sha256_of(const char *data, size_t len)
{
	pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	const char *utf8 = pg_server_to_any(data, len, PG_UTF8);

	if (utf8 != data)
		len = strlen(utf8);
	/* on error the context is released with the resource owner */
	if (pg_cryptohash_init(ctx) < 0 ||
		pg_cryptohash_update(ctx, (const uint8 *) utf8, len) < 0 ||
		pg_cryptohash_final(ctx, digest, sizeof(digest)) < 0)
		elog(ERROR, "schemaguard: could not compute SHA-256");
	pg_cryptohash_free(ctx);
	return sg_checksum_text(digest);
}

const char *
sg_object_checksum(SGObject *obj)
{
	if (obj->checksum == NULL)
		obj->checksum = sg_sha256_of(obj->definition, strlen(obj->definition));
	return obj->checksum;
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

static void
sg_hasher_begin(SGHasher *h)
{
	int			encoding = GetDatabaseEncoding();

	h->ctx = pg_cryptohash_create(PG_SHA256);
	if (pg_cryptohash_init(h->ctx) < 0)
		elog(ERROR, "schemaguard: could not compute SHA-256");
	initStringInfo(&h->buf);
	h->utf8_server = encoding == PG_UTF8 || encoding == PG_SQL_ASCII;
}

static void
sg_hasher_flush(SGHasher *h)
{
	if (pg_cryptohash_update(h->ctx, (const uint8 *) h->buf.data, h->buf.len) < 0)
		elog(ERROR, "schemaguard: could not compute SHA-256");
	resetStringInfo(&h->buf);
}

static void
sg_hasher_field(SGHasher *h, const char *value)
{
	StringInfo	buf = &h->buf;
	const char *utf8 = value;
	size_t		len;

	if (value == NULL)
		appendBinaryStringInfo(buf, "-\n", 2);
	else
	{
		len = strlen(value);
		if (!h->utf8_server)
		{
			utf8 = pg_server_to_any(value, len, PG_UTF8);
			len = strlen(utf8);
		}
		/* "<len>:<value>\n", without going through a format string */
		enlargeStringInfo(buf, len + 24);
		buf->len += pg_ulltoa_n((uint64) len, buf->data + buf->len);
		buf->data[buf->len++] = ':';
		memcpy(buf->data + buf->len, utf8, len);
		buf->len += len;
		buf->data[buf->len++] = '\n';
		buf->data[buf->len] = '\0';
	}
	if (buf->len >= 65536)
		sg_hasher_flush(h);
}

/* a field that is the concatenation of a, b and c */
static void
sg_hasher_field3(SGHasher *h, const char *a, const char *b, const char *c)
{
	StringInfo	buf = &h->buf;
	size_t		la = strlen(a);
	size_t		lb = strlen(b);
	size_t		lc = strlen(c);

	if (!h->utf8_server)
	{
		sg_hasher_field(h, psprintf("%s%s%s", a, b, c));
		return;
	}
	enlargeStringInfo(buf, la + lb + lc + 24);
	buf->len += pg_ulltoa_n((uint64) (la + lb + lc), buf->data + buf->len);
	buf->data[buf->len++] = ':';
	memcpy(buf->data + buf->len, a, la);
	memcpy(buf->data + buf->len + la, b, lb);
	memcpy(buf->data + buf->len + la + lb, c, lc);
	buf->len += la + lb + lc;
	buf->data[buf->len++] = '\n';
	buf->data[buf->len] = '\0';
	if (buf->len >= 65536)
		sg_hasher_flush(h);
}

static void
sg_hasher_end(SGHasher *h, uint8 *digest)
{
	sg_hasher_flush(h);
	if (pg_cryptohash_final(h->ctx, digest, PG_SHA256_DIGEST_LENGTH) < 0)
		elog(ERROR, "schemaguard: could not compute SHA-256");
	pg_cryptohash_free(h->ctx);
	pfree(h->buf.data);
}

/*
 * The digest of each object type: SHA-256 over the type's objects in
 * identity order, each as its identity and definition.  "sorted" is in
 * (type, identity) order; returns the types in that order.
 */
static SGTypeDigest *
sg_type_digests(SGObject **sorted, int n, int *ntypes)
{
	int			max = 16;
	SGTypeDigest *d = palloc(sizeof(SGTypeDigest) * max);
	int			nd = 0;
	int			j;

	for (int i = 0; i < n; i = j)
	{
		const char *type = sorted[i]->type;
		SGHasher	h;

		if (nd == max)
		{
			max *= 2;
			d = repalloc(d, sizeof(SGTypeDigest) * max);
		}

		sg_hasher_begin(&h);
		for (j = i; j < n && (sorted[j]->type == type ||
							  strcmp(sorted[j]->type, type) == 0); j++)
		{
			sg_hasher_field(&h, sorted[j]->identity);
			sg_hasher_field(&h, sorted[j]->definition);
		}
		d[nd].type = type;
		d[nd].count = j - i;
		sg_hasher_end(&h, d[nd].digest);
		nd++;
	}
	*ntypes = nd;
	return d;
}

/*
 * The fingerprint: SHA-256 over a version line, the facets and, for each
 * object type in order, its name, its number of objects and its digest
 * (sg_type_digests), each field written as "<length>:<text>\n" in UTF-8.
 * Two schemas have the same fingerprint exactly when their snapshots have
 * the same objects with the same definitions.  Hashing each type on its
 * own lets the parallel worker hash the types it builds.
 */
static char *
sg_fingerprint_of_digests(SGTypeDigest *d, int nd, int facets)
{
	SGHasher	h;
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	char		hex[PG_SHA256_DIGEST_LENGTH * 2 + 1];
	char		count[32];

	sg_hasher_begin(&h);
	appendStringInfo(&h.buf, "schemaguard fingerprint %d\n", SG_SNAPSHOT_FORMAT);
	sg_hasher_field(&h, sg_facets_text(facets));
	for (int i = 0; i < nd; i++)
	{
		hex_encode((const char *) d[i].digest, PG_SHA256_DIGEST_LENGTH, hex);
		hex[PG_SHA256_DIGEST_LENGTH * 2] = '\0';
		pg_ltoa(d[i].count, count);
		sg_hasher_field(&h, d[i].type);
		sg_hasher_field(&h, count);
		sg_hasher_field(&h, hex);
	}
	sg_hasher_end(&h, digest);
	return psprintf("%s%s", SG_FINGERPRINT_PREFIX,
					sg_checksum_text(digest) + strlen("sha256:"));
}

/* the fingerprint of objects sorted by (type, identity) */
char *
sg_fingerprint_of(SGObject *objects, int n, int facets)
{
	SGObject  **sorted = palloc_extended(sizeof(SGObject *) * Max(n, 1),
										 MCXT_ALLOC_HUGE);
	SGTypeDigest *d;
	int			nd;
	char	   *result;

	for (int i = 0; i < n; i++)
		sorted[i] = &objects[i];
	d = sg_type_digests(sorted, n, &nd);
	result = sg_fingerprint_of_digests(d, nd, facets);
	pfree(d);
	pfree(sorted);
	return result;
}

int
sg_object_cmp(const SGObject *a, const SGObject *b)
{
	/* type names are kept once per snapshot or baseline: mostly the same */
	int			c = a->type == b->type ? 0 : strcmp(a->type, b->type);

	if (c != 0)
		return c;
	return strcmp(a->identity, b->identity);
}

static int
sg_object_ptr_cmp(const void *a, const void *b)
{
	return sg_object_cmp(*(SGObject *const *) a, *(SGObject *const *) b);
}

#define SG_MAX_TYPES 64

/*
 * A string to sort and what it belongs to, with 8 of its bytes as a key
 * (sg_sort_strings).
 */
typedef struct SGSortItem
{
	uint64		key;
	const char *str;
	void	   *ptr;
} SGSortItem;

/*
 * Sort items by key: a least significant digit radix sort, a byte at a
 * time, skipping the bytes all keys share.  tmp has room for n items.
 */
static pg_noinline void
sg_radix_sort_items(SGSortItem *items, SGSortItem *tmp, int n)
{
	int			counts[8][256];
	SGSortItem *src = items;
	SGSortItem *dst = tmp;

	memset(counts, 0, sizeof(counts));
	for (int i = 0; i < n; i++)
		for (int b = 0; b < 8; b++)
			counts[b][(items[i].key >> (8 * b)) & 0xFF]++;
	for (int b = 0; b < 8; b++)
	{
		int			offset = 0;
		SGSortItem *swap;

		if (counts[b][(items[0].key >> (8 * b)) & 0xFF] == n)
			continue;
		for (int d = 0; d < 256; d++)
		{
			int			c = counts[b][d];

			counts[b][d] = offset;
			offset += c;
		}
		for (int i = 0; i < n; i++)
			dst[counts[b][(src[i].key >> (8 * b)) & 0xFF]++] = src[i];
		swap = src;
		src = dst;
		dst = swap;
	}
	if (src != items)
		memcpy(items, src, sizeof(SGSortItem) * n);
}

/*
 * Sort items by their strings, as strcmp() orders them; all strings share
 * their first "offset" bytes, and tmp has room for n items.  Identities
 * share long prefixes ("public.t"), so the strings are sorted on the 8
 * bytes after their common prefix, as a big-endian key (unsigned bytes, 0
 * after the end of the string, which keeps strcmp()'s order), and each run
 * of equal keys on the next 8 bytes, and so on.
 */
static void
sg_sort_strings(SGSortItem *items, SGSortItem *tmp, int n, size_t offset)
{
	const char *first;
	size_t		prefix;

	if (n < 2)
		return;
	/* one level per 8 bytes of the longest shared prefix */
	check_stack_depth();
	CHECK_FOR_INTERRUPTS();
	if (n < 16)
	{
		/* few: an insertion sort on the rest of the strings */
		for (int i = 1; i < n; i++)
		{
			SGSortItem	item = items[i];
			int			j = i;

			for (; j > 0 && strcmp(items[j - 1].str + offset, item.str + offset) > 0; j--)
				items[j] = items[j - 1];
			items[j] = item;
		}
		return;
	}
	first = items[0].str + offset;
	prefix = strlen(first);
	for (int i = 1; i < n && prefix > 0; i++)
	{
		const char *str = items[i].str + offset;
		size_t		k = 0;

		while (k < prefix && str[k] == first[k])
			k++;
		prefix = k;
	}
	offset += prefix;
	for (int i = 0; i < n; i++)
	{
		const unsigned char *p = (const unsigned char *) items[i].str + offset;
		uint64		key = 0;

		for (int k = 0; k < 8 && p[k] != '\0'; k++)
			key |= (uint64) p[k] << (8 * (7 - k));
		items[i].key = key;
	}
	sg_radix_sort_items(items, tmp, n);
	/* equal keys without the end of their strings: by the next bytes */
	for (int i = 0, j; i < n; i = j)
	{
		for (j = i + 1; j < n && items[j].key == items[i].key; j++)
			;
		if (j - i > 1 && (items[i].key & 0xFF) != 0)
			sg_sort_strings(items + i, tmp + i, j - i, offset + 8);
	}
}

/*
 * Sort objects of one type by identity, as strcmp() orders them.  Already
 * sorted input (most types) is left as it is.
 */
static void
sg_sort_by_identity(SGObject **objs, int n)
{
	SGSortItem *items;

	for (int i = 1; i < n; i++)
	{
		if (strcmp(objs[i - 1]->identity, objs[i]->identity) > 0)
		{
			items = palloc_extended(sizeof(SGSortItem) * n * 2, MCXT_ALLOC_HUGE);
			for (int k = 0; k < n; k++)
			{
				items[k].str = objs[k]->identity;
				items[k].ptr = objs[k];
			}
			sg_sort_strings(items, items + n, n, 0);
			for (int k = 0; k < n; k++)
				objs[k] = items[k].ptr;
			pfree(items);
			return;
		}
	}
}

/* which objects sg_sorted_pointers() returns */
typedef enum SGTypeFilter
{
	SG_TYPES_ALL,
	SG_TYPES_VIEWS,				/* views and materialized views */
	SG_TYPES_NOT_VIEWS			/* all others */
} SGTypeFilter;

/* the object types both processes build (sg_build_views) */
static bool
sg_is_view_type(const char *type)
{
	return strcmp(type, "view") == 0 || strcmp(type, "materialized view") == 0;
}

/*
 * Pointers to the objects of the types that filter selects (*nsorted of
 * them), sorted by (type, identity): a counting sort on the few object
 * types, then each type's objects by identity (sg_sort_by_identity, which
 * leaves types already in order alone).
 */
static SGObject **
sg_sorted_pointers(SGObject *objects, int n, SGTypeFilter filter, int *nsorted)
{
	const char *types[SG_MAX_TYPES];
	int			ntypes = 0;
	int		   *rank;
	int			start[SG_MAX_TYPES + 1];
	int			fill[SG_MAX_TYPES];
	bool		keep[SG_MAX_TYPES];
	SGObject  **sorted;

	sorted = palloc_extended(sizeof(SGObject *) * Max(n, 1), MCXT_ALLOC_HUGE);
	rank = palloc_extended(sizeof(int) * Max(n, 1), MCXT_ALLOC_HUGE);
	for (int i = 0; i < n; i++)
	{
		int			t;

		for (t = 0; t < ntypes; t++)
			if (types[t] == objects[i].type || strcmp(types[t], objects[i].type) == 0)
				break;
		if (t == ntypes)
		{
			if (ntypes == SG_MAX_TYPES)
			{
				/* not a snapshot's objects: plain sort */
				int			m = 0;

				pfree(rank);
				for (int k = 0; k < n; k++)
					if (filter == SG_TYPES_ALL ||
						sg_is_view_type(objects[k].type) == (filter == SG_TYPES_VIEWS))
						sorted[m++] = &objects[k];
				qsort(sorted, m, sizeof(SGObject *), sg_object_ptr_cmp);
				*nsorted = m;
				return sorted;
			}
			keep[ntypes] = filter == SG_TYPES_ALL ||
				sg_is_view_type(objects[i].type) == (filter == SG_TYPES_VIEWS);
			types[ntypes++] = objects[i].type;
		}
		rank[i] = t;
	}
	/* order the types themselves */
	{
		int			order[SG_MAX_TYPES];
		int			pos[SG_MAX_TYPES];
		bool		kept[SG_MAX_TYPES];

		for (int t = 0; t < ntypes; t++)
			order[t] = t;
		for (int a = 1; a < ntypes; a++)
			for (int b = a; b > 0 && strcmp(types[order[b - 1]], types[order[b]]) > 0; b--)
			{
				int			tmp = order[b];

				order[b] = order[b - 1];
				order[b - 1] = tmp;
			}
		for (int t = 0; t < ntypes; t++)
			pos[order[t]] = t;
		for (int i = 0; i < n; i++)
			rank[i] = pos[rank[i]];
		for (int t = 0; t < ntypes; t++)
			kept[pos[t]] = keep[t];
		memcpy(keep, kept, sizeof(bool) * ntypes);
	}
	memset(start, 0, sizeof(start));
	for (int i = 0; i < n; i++)
		if (keep[rank[i]])
			start[rank[i] + 1]++;
	for (int t = 0; t < ntypes; t++)
		start[t + 1] += start[t];
	memcpy(fill, start, sizeof(int) * ntypes);
	for (int i = 0; i < n; i++)
		if (keep[rank[i]])
			sorted[fill[rank[i]]++] = &objects[i];
	pfree(rank);
	for (int t = 0; t < ntypes; t++)
		sg_sort_by_identity(sorted + start[t], start[t + 1] - start[t]);
	*nsorted = start[ntypes];
	return sorted;
}

/*
 * Sort objects by (type, identity): the pointers are sorted, then the
 * objects are moved to their places in one pass, along the cycles of the
 * permutation.
 */
void
sg_snapshot_sort(SGObject *objects, int n)
{
	SGObject  **sorted;
	int		   *rank;
	int			nsorted;

	if (n < 2)
		return;
	sorted = sg_sorted_pointers(objects, n, SG_TYPES_ALL, &nsorted);
	rank = palloc_extended(sizeof(int) * n, MCXT_ALLOC_HUGE);
	/* position i gets the object now at rank[i] */
	for (int i = 0; i < n; i++)
		rank[i] = sorted[i] - objects;
	pfree(sorted);
	for (int i = 0; i < n; i++)
	{
		SGObject	tmp;
		int			j = i;

		if (rank[i] == i)
			continue;
		tmp = objects[i];
		for (;;)
		{
			int			from = rank[j];

			rank[j] = j;
			if (from == i)
			{
				objects[j] = tmp;
				break;
			}
			objects[j] = objects[from];
			j = from;
		}
	}
	pfree(rank);
}

/* ----------------------------------------------------------------
 * Building blocks
 * ----------------------------------------------------------------
 */

/*
 * quote_identifier(), without its keyword lookup for the names that need
 * none: only lower-case letters, digits and underscores, not starting with
 * a digit, and with a digit in them.  No SQL keyword has a digit
 * (sql/drift.sql checks pg_get_keywords()), and most generated names do
 * (t1, c2, t1_pkey).  The same result, the same pointer when unquoted.
 */
static const char *
sg_quote_ident(const char *ident)
{
	bool		digit = false;

	if (quote_all_identifiers || !((ident[0] >= 'a' && ident[0] <= 'z') || ident[0] == '_'))
		return quote_identifier(ident);
	for (const char *p = ident; *p; p++)
	{
		if (*p >= '0' && *p <= '9')
			digit = true;
		else if (!((*p >= 'a' && *p <= 'z') || *p == '_'))
			return quote_identifier(ident);
	}
	return digit ? ident : quote_identifier(ident);
}

static HTAB *
sg_hash_create(const char *name, Size keysize, Size entrysize, long nelem)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, nelem, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* start building a definition in the shared buffer */
static StringInfo
sg_def_begin(Snap *s)
{
	resetStringInfo(&s->buf);
	return &s->buf;
}

#define SG_ARENA_BLOCK (256 * 1024)

char *
sg_arena_alloc(SGArena *a, Size len)
{
	char	   *p;

	if (len > a->left)
	{
		Size		size = Max(len, SG_ARENA_BLOCK);

		a->next = MemoryContextAllocHuge(a->cxt, size);
		a->left = size;
	}
	p = a->next;
	a->next += len;
	a->left -= len;
	return p;
}

/*
 * MAXALIGNed memory from the snapshot's arena, for the small arrays of each
 * relation and the rows kept: a memory context would round each up to a
 * power of two and add a chunk header.
 */
static void *
sg_alloc_aligned(SGArena *a, Size size)
{
	Size		pad = MAXALIGN((uintptr_t) a->next) - (uintptr_t) a->next;

	if (a->next != NULL && pad + size <= a->left)
	{
		a->next += pad;
		a->left -= pad;
	}
	else
		a->left = 0;			/* a new block, which is MAXALIGNed */
	return sg_arena_alloc(a, size);
}

/* the same, zeroed */
static void *
sg_alloc0(SGArena *a, Size size)
{
	void	   *p = sg_alloc_aligned(a, size);

	memset(p, 0, size);
	return p;
}

/* a NUL-terminated copy of len bytes of data */
const char *
sg_arena_copy(SGArena *a, const char *data, Size len)
{
	char	   *p = sg_arena_alloc(a, len + 1);

	memcpy(p, data, len);
	p[len] = '\0';
	return p;
}

/* the same, one copy for each distinct text (for the few type names) */
const char *
sg_arena_intern(SGArena *a, const char *data, Size len)
{
	const char *str;

	/*
	 * Rows of one type come together: the last two found first (a row's
	 * type and its parent's type take turns).
	 */
	for (int k = 0; k < 2; k++)
	{
		int			i = a->last_interned[k];

		if (i < a->ninterned && strncmp(a->interned[i], data, len) == 0 &&
			a->interned[i][len] == '\0')
			return a->interned[i];
	}
	for (int i = 0; i < a->ninterned; i++)
		if (strncmp(a->interned[i], data, len) == 0 && a->interned[i][len] == '\0')
		{
			a->last_interned[1] = a->last_interned[0];
			a->last_interned[0] = i;
			return a->interned[i];
		}
	str = sg_arena_copy(a, data, len);
	if (a->ninterned < lengthof(a->interned))
		a->interned[a->ninterned++] = str;
	return str;
}

/* a copy of len bytes of str, NUL-terminated, that lives as long as the snapshot */
static const char *
sg_keep_n(Snap *s, const char *str, Size len)
{
	return sg_arena_copy(&s->arena, str, len);
}

static const char *
sg_keep(Snap *s, const char *str)
{
	return sg_keep_n(s, str, strlen(str));
}

/* "<a><sep><b>", kept */
static const char *
sg_keep_concat(Snap *s, const char *a, const char *sep, const char *b)
{
	Size		la = strlen(a);
	Size		ls = strlen(sep);
	Size		lb = strlen(b);
	char	   *p = sg_arena_alloc(&s->arena, la + ls + lb + 1);

	memcpy(p, a, la);
	memcpy(p + la, sep, ls);
	memcpy(p + la + ls, b, lb + 1);
	return p;
}

/* one kept copy of each distinct text (sg_keep_once) */
typedef struct KeptText
{
	struct KeptText *next;
	const char *str;
	Size		len;
} KeptText;

/*
 * Keep a text once however often it comes: the same default on many
 * tables, the same column names on many tables.  Equal texts then have
 * equal pointers.
 */
static const char *
sg_keep_once(Snap *s, const char *data, Size len)
{
	uint64		hash;
	SGMapEntry *e;
	KeptText   *k;

	/* the last few first: the same texts come table after table */
	for (int i = 0; i < lengthof(s->recent_kept); i++)
	{
		k = s->recent_kept[i];
		if (k != NULL && k->len == len && memcmp(k->str, data, len) == 0)
			return k->str;
	}
	hash = hash_bytes_extended((const unsigned char *) data, len, 0);
	e = sg_map_enter(s->kept_texts, hash);
	for (k = e->value; k; k = k->next)
		if (k->len == len && memcmp(k->str, data, len) == 0)
			goto found;
	k = MemoryContextAlloc(s->cxt, sizeof(KeptText));
	k->str = sg_keep_n(s, data, len);
	k->len = len;
	k->next = e->value;
	e->value = k;
found:
	s->recent_kept[s->next_recent_kept] = k;
	s->next_recent_kept = (s->next_recent_kept + 1) % lengthof(s->recent_kept);
	return k->str;
}

static SGObject *
sg_add_object(Snap *s, const char *type, const char *schema,
			  const char *identity, Oid classid, Oid objid, int32 objsubid)
{
	SGSnapshot *r = s->result;
	SGObject   *obj;

	if (r->nobjects == r->maxobjects)
	{
		r->maxobjects *= 2;
		r->objects = repalloc_huge(r->objects, sizeof(SGObject) * r->maxobjects);
	}
	obj = &r->objects[r->nobjects++];
	memset(obj, 0, sizeof(SGObject));
	obj->type = type;
	obj->schema = schema;
	obj->identity = identity;
	obj->classid = classid;
	obj->objid = objid;
	obj->objsubid = objsubid;
	return obj;
}

/* give an object its definition, from the definition buffer */
static void
sg_set_definition(Snap *s, SGObject *obj, StringInfo buf)
{
	obj->definition = sg_keep_n(s, buf->data, buf->len);
}

static SnapRel *
sg_rel(Snap *s, Oid relid)
{
	Assert(s->rels_indexed);
	/* catalog rows of one relation come together: remember the last one */
	if (relid != s->last_relid || !OidIsValid(relid))
	{
		s->last_relid = relid;
		if (s->rel_index != NULL)
			s->last_rel = (relid >= s->rel_lo && relid <= s->rel_hi) ?
				s->rel_index[relid - s->rel_lo] : NULL;
		else
			s->last_rel = (SnapRel *) sg_map_get(s->rels, relid);
	}
	return s->last_rel;
}

/* a new, zeroed SnapRel for pg_class row relid */
static SnapRel *
sg_new_rel(Snap *s, Oid relid)
{
	SnapRel    *rel;

	Assert(!s->rels_indexed);
	/* SnapRels are allocated in batches: there is one per relation */
	if (s->nrels % 256 == 0)
		s->rel_batch = MemoryContextAllocHuge(s->cxt, sizeof(SnapRel) * 256);
	rel = &s->rel_batch[s->nrels % 256];
	memset(rel, 0, sizeof(SnapRel));
	rel->relid = relid;
	if (s->nrels == s->maxrels)
	{
		s->maxrels *= 2;
		s->rel_list = repalloc_huge(s->rel_list, sizeof(SnapRel *) * s->maxrels);
	}
	s->rel_list[s->nrels++] = rel;
	if (s->nrels == 1 || relid < s->rel_lo)
		s->rel_lo = relid;
	if (s->nrels == 1 || relid > s->rel_hi)
		s->rel_hi = relid;
	return rel;
}

/*
 * Once pg_class is read: the OID -> SnapRel lookup.  Relation OIDs are
 * usually handed out close together, and the other catalogs' rows come
 * mostly in OID order, so an array indexed by OID is both smaller than a
 * hash table and read in order, where a hash table's lookups each miss the
 * CPU cache.  When the OIDs are spread thinly (after OID wraparound, say),
 * a hash table it is.
 */
static void
sg_index_rels(Snap *s)
{
	uint64		span = s->nrels > 0 ? (uint64) s->rel_hi - s->rel_lo + 1 : 0;

	if (s->nrels > 0 && span <= (uint64) s->nrels * 8 + 1024)
	{
		s->rel_index = MemoryContextAllocHuge(s->cxt, sizeof(SnapRel *) * span);
		memset(s->rel_index, 0, sizeof(SnapRel *) * span);
		for (int i = 0; i < s->nrels; i++)
			s->rel_index[s->rel_list[i]->relid - s->rel_lo] = s->rel_list[i];
	}
	else
	{
		s->rels = sgmap_create(s->cxt, Max(s->nrels, 16), NULL);
		for (int i = 0; i < s->nrels; i++)
			sg_map_enter(s->rels, s->rel_list[i]->relid)->value = s->rel_list[i];
	}
	s->rels_indexed = true;
	s->last_relid = InvalidOid;
	s->last_rel = NULL;

	/* the views, which both processes take turns to build */
	s->views = palloc(sizeof(SnapRel *) * Max(s->nrels, 1));
	for (int i = 0; i < s->nrels; i++)
	{
		SnapRel    *rel = s->rel_list[i];

		if (rel->included && rel->attrs != NULL &&
			(rel->relkind == RELKIND_VIEW || rel->relkind == RELKIND_MATVIEW))
			s->views[s->nviews++] = rel;
	}
}

/* an included relation, or NULL */
static SnapRel *
sg_included_rel(Snap *s, Oid relid)
{
	SnapRel    *rel = sg_rel(s, relid);

	return (rel && rel->included) ? rel : NULL;
}

/* a relation's quoted qualified name, also outside the included schemas */
static const char *
sg_rel_qualified(Snap *s, Oid relid)
{
	SnapRel    *rel = sg_rel(s, relid);
	char	   *relname;
	char	   *nspname;

	if (rel)
		return rel->qualified;
	relname = get_rel_name(relid);
	nspname = get_namespace_name(get_rel_namespace(relid));
	if (relname == NULL || nspname == NULL)
		return psprintf("relation %u", relid);
	return quote_qualified_identifier(nspname, relname);
}

static SnapNsp *
sg_included_nsp(Snap *s, Oid nspid)
{
	SnapNsp    *nsp = sg_map_get(s->nsps, nspid);

	return (nsp && nsp->included) ? nsp : NULL;
}

static bool
sg_is_member(Snap *s, Oid classid, Oid objid)
{
	return sgmap_lookup(s->members, SG_KEY2(classid, objid)) != NULL;
}

/* the name of column attnum of rel, also when the snapshot did not keep it */
static const char *
sg_attname(SnapRel *rel, AttrNumber attnum)
{
	if (rel->attrs && attnum > 0 && attnum <= rel->natts &&
		rel->attrs[attnum - 1].present)
		return rel->attrs[attnum - 1].name;
	return get_attname(rel->relid, attnum, false);
}

/* a type's name, schema-qualified when not in pg_catalog, with typmod */
static TypeNameEntry *
sg_type_entry(Snap *s, Oid typid, int32 typmod)
{
	uint64		key = SG_KEY2(typid, typmod);
	TypeNameEntry *e = sg_map_get(s->typenames, key);

	if (e == NULL)
	{
		e = MemoryContextAlloc(s->cxt, sizeof(TypeNameEntry));
		e->key.typid = typid;
		e->key.typmod = typmod;
		e->name = sg_keep(s, format_type_with_typemod(typid, typmod));
		e->typcollation = get_typcollation(typid);
		sg_map_enter(s->typenames, key)->value = e;
	}
	return e;
}

static const char *
sg_type_name(Snap *s, Oid typid, int32 typmod)
{
	return sg_type_entry(s, typid, typmod)->name;
}

static AmEntry *
sg_am(Snap *s, Oid amoid)
{
	AmEntry    *e = sg_map_get(s->ams, amoid);

	if (e == NULL)
	{
		char	   *name = get_am_name(amoid);
		HeapTuple	tup = SearchSysCache1(AMOID, ObjectIdGetDatum(amoid));

		e = MemoryContextAlloc(s->cxt, sizeof(AmEntry));
		e->amoid = amoid;
		e->name = sg_keep(s, name ? sg_quote_ident(name) : "-");
		e->canorder = false;
		if (HeapTupleIsValid(tup))
		{
			Form_pg_am am = (Form_pg_am) GETSTRUCT(tup);

			if (am->amtype == AMTYPE_INDEX)
				e->canorder = GetIndexAmRoutine(am->amhandler)->amcanorder;
			ReleaseSysCache(tup);
		}
		sg_map_enter(s->ams, amoid)->value = e;
	}
	return e;
}

/* " opclass" after an index column, or "" when it is the type's default */
static const char *
sg_opclass_suffix(Snap *s, Oid opclass, Oid keytype)
{
	uint64		key = SG_KEY2(opclass, keytype);
	OpclassEntry *e = sg_map_get(s->opclasses, key);

	if (e == NULL)
	{
		HeapTuple	tup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclass));
		Oid			opcmethod = InvalidOid;

		e = MemoryContextAlloc(s->cxt, sizeof(OpclassEntry));
		e->key.a = opclass;
		e->key.b = keytype;

		if (HeapTupleIsValid(tup))
		{
			opcmethod = ((Form_pg_opclass) GETSTRUCT(tup))->opcmethod;
			ReleaseSysCache(tup);
		}
		if (OidIsValid(keytype) && OidIsValid(opcmethod) &&
			GetDefaultOpClass(keytype, opcmethod) == opclass)
			e->suffix = "";
		else
			e->suffix = sg_keep(s, psprintf(" %s", generate_opclass_name(opclass)));
		sg_map_enter(s->opclasses, key)->value = e;
	}
	return e->suffix;
}

/* node string without its ":location N" fields, which never change output */
static char *
sg_strip_locations(const char *nodestr)
{
	StringInfoData out;
	const char *p = nodestr;

	initStringInfo(&out);
	while (*p)
	{
		const char *loc = strstr(p, " :location ");

		if (loc == NULL)
		{
			appendStringInfoString(&out, p);
			break;
		}
		appendBinaryStringInfo(&out, p, loc - p);
		p = loc + strlen(" :location ");
		if (*p == '-')
			p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return out.data;
}

/*
 * Deparse a stored expression (pg_node_tree text) of relation "rel" (NULL
 * when it cannot reference columns).  Memoised on the expression without
 * its locations plus, when it has Vars, the relation's column names: the
 * output depends on nothing else while the snapshot is taken.
 */
static const char *sg_attsig(Snap *s, SnapRel *rel);

static ExprMemo *sg_expr_memo(Snap *s, const char *nodestr, SnapRel *rel,
							  bool *has_vars);

/*
 * Most stored expressions repeat as stored, locations and all (the same
 * default on many tables): look the text up as it is first, and strip and
 * memoise it (sg_expr_memo) only when it is new.
 */
static ExprMemo *
sg_expr(Snap *s, const char *nodestr, SnapRel *rel)
{
	Size		len = strlen(nodestr);
	uint64		hash;
	uint64		vars_hash;
	SGMapEntry *e;
	RawExprMemo *r;
	ExprMemo   *m;
	bool		has_vars;
	const char *attsig;

	/*
	 * A text with Vars is filed under the text and the relation's column
	 * names, which are all its deparsed form depends on besides the text (a
	 * whole-row Var, printed with the table's name, has the table's row type
	 * in the text).
	 */
	attsig = rel ? sg_attsig(s, rel) : NULL;

	/* the same default or predicate often comes table after table */
	for (int i = 0; i < lengthof(s->recent_exprs); i++)
	{
		r = s->recent_exprs[i];
		if (r != NULL && r->len == len && (!r->has_vars || r->attsig == attsig) &&
			memcmp(r->raw, nodestr, len) == 0)
			return r->memo;
	}

	hash = hash_bytes_extended((const unsigned char *) nodestr, len, 0);
	vars_hash = attsig ?
		hash_combine64(hash, hash_bytes_extended((const unsigned char *) &attsig,
												 sizeof(attsig), 0)) : hash;
	for (r = sg_map_get(s->raw_exprs, hash); r; r = r->next)
		if ((!r->has_vars || r->attsig == attsig) && strcmp(r->raw, nodestr) == 0)
			goto found;
	if (attsig)
		for (r = sg_map_get(s->raw_exprs, vars_hash); r; r = r->next)
			if (r->has_vars && r->attsig == attsig && strcmp(r->raw, nodestr) == 0)
				goto found;
	m = sg_expr_memo(s, nodestr, rel, &has_vars);
	r = MemoryContextAlloc(s->cxt, sizeof(RawExprMemo));
	r->raw = sg_keep_n(s, nodestr, len);
	r->len = len;
	r->has_vars = has_vars;
	r->attsig = attsig;
	r->memo = m;
	e = sg_map_enter(s->raw_exprs, (has_vars && attsig) ? vars_hash : hash);
	r->next = e->value;
	e->value = r;

found:
	s->recent_exprs[s->next_recent_expr] = r;
	s->next_recent_expr = (s->next_recent_expr + 1) % lengthof(s->recent_exprs);
	return r->memo;
}

static ExprMemo *
sg_expr_memo(Snap *s, const char *nodestr, SnapRel *rel, bool *has_vars_out)
{
	MemoryContext old = MemoryContextSwitchTo(s->scratch);
	char	   *key = sg_strip_locations(nodestr);
	bool		has_vars = strstr(key, "{VAR ") != NULL;
	uint64		hash;
	SGMapEntry *e;
	ExprMemo   *m;

	*has_vars_out = has_vars;
	if (has_vars && rel != NULL)
		key = psprintf("%s\x01%s", key, sg_attsig(s, rel));
	hash = hash_bytes_extended((const unsigned char *) key, strlen(key), 0);
	MemoryContextSwitchTo(old);

	for (m = sg_map_get(s->exprs, hash); m; m = m->next)
		if (strcmp(m->key, key) == 0)
		{
			MemoryContextReset(s->scratch);
			return m;
		}

	/* deparse it */
	old = MemoryContextSwitchTo(s->scratch);
	{
		Node	   *node = (Node *) stringToNode(nodestr);
		List	   *context = NIL;
		char	   *text;
		Oid			type = InvalidOid;
		Oid			coll = InvalidOid;
		bool		funclike = false;

		if (rel != NULL)
			context = deparse_context_for(rel->relname, rel->relid);
		text = deparse_expression(node, context, false, false);

		if (!IsA(node, List) && !IsA(node, PartitionBoundSpec))
		{
			type = exprType(node);
			coll = exprCollation(node);
			/* as ruleutils' looks_like_function() */
			funclike = (IsA(node, FuncExpr) &&
						((FuncExpr *) node)->funcformat == COERCE_EXPLICIT_CALL) ||
				IsA(node, CoalesceExpr) || IsA(node, MinMaxExpr) ||
				IsA(node, SQLValueFunction) || IsA(node, XmlExpr);
		}
		MemoryContextSwitchTo(s->cxt);
		m = palloc(sizeof(ExprMemo));
		m->key = pstrdup(key);
		m->text = pstrdup(text);
		m->type = type;
		m->collation = coll;
		m->funclike = funclike;
		e = sg_map_enter(s->exprs, hash);
		m->next = e->value;
		e->value = m;
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(s->scratch);
	return m;
}

/* schemaguard's own schema, which the snapshot leaves out */
static void
sg_read_own_schema(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_extension ext = (Form_pg_extension) GETSTRUCT(tup);

	if (strcmp(NameStr(ext->extname), "schemaguard") == 0)
		s->own_schema = ext->extnamespace;
}

/* the role's name, or a placeholder for a dropped role */
static const char *
sg_role(Oid roleid)
{
	char	   *name;

	if (roleid == InvalidOid)
		return "PUBLIC";
	name = GetUserNameFromId(roleid, true);
	return name ? sg_quote_ident(name) : psprintf("role %u", roleid);
}

static int
sg_cstring_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* aclitems as sorted text, joined by commas */
static char *
sg_acl_text(Acl *acl)
{
	int			n = ACL_NUM(acl);
	AclItem    *items = ACL_DAT(acl);
	char	  **texts = palloc(sizeof(char *) * Max(n, 1));
	StringInfoData buf;

	for (int i = 0; i < n; i++)
		texts[i] = DatumGetCString(DirectFunctionCall1(aclitemout,
													   PointerGetDatum(&items[i])));
	qsort(texts, n, sizeof(char *), sg_cstring_cmp);
	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i ? "," : "", texts[i]);
	return buf.data;
}

/* ----------------------------------------------------------------
 * Facet lines
 * ----------------------------------------------------------------
 */

static void
sg_facet_owner(Snap *s, StringInfo buf, Oid owner)
{
	if (s->facets & SG_FACET_OWNERS)
		appendStringInfo(buf, "\nOWNER %s", sg_role(owner));
}

/* the object type whose default ACL an object has (acldefault() knows) */
static ObjectType
sg_acl_objtype(ObjectType objtype)
{
	switch (objtype)
	{
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_FOREIGN_TABLE:
			/* all relations but sequences have a table's privileges */
			return OBJECT_TABLE;
		default:
			return objtype;
	}
}

/*
 * Privileges: NULL (never granted or revoked) and an ACL equal to the
 * default for the owner both print as "default", so the two compare equal.
 */
static void
sg_facet_privileges(Snap *s, StringInfo buf, ObjectType objtype, Oid owner,
					Acl *acl)
{
	char	   *text;

	if (!(s->facets & SG_FACET_PRIVILEGES))
		return;
	if (acl == NULL)
		text = "default";
	else
	{
		MemoryContext old = MemoryContextSwitchTo(s->scratch);

		text = sg_acl_text(acl);
		if (objtype != OBJECT_COLUMN &&
			strcmp(text, sg_acl_text(acldefault(sg_acl_objtype(objtype), owner))) == 0)
			text = "default";
		else if (objtype == OBJECT_COLUMN && ACL_NUM(acl) == 0)
			text = "default";
		MemoryContextSwitchTo(old);
	}
	appendStringInfo(buf, "\nPRIVILEGES %s", text);
	MemoryContextReset(s->scratch);
}

static void
sg_facet_comment(Snap *s, StringInfo buf, Oid classoid, Oid objoid, int32 subid)
{
	DescKey		key;
	DescEntry  *e;

	if (!(s->facets & SG_FACET_COMMENTS))
		return;
	memset(&key, 0, sizeof(key));
	key.objoid = objoid;
	key.classoid = classoid;
	key.objsubid = subid;
	e = hash_search(s->descriptions, &key, HASH_FIND, NULL);
	if (e)
		appendStringInfo(buf, "\nCOMMENT %s", quote_literal_cstr(e->text));
}

static const char *
sg_tablespace(Snap *s, Oid spcid)
{
	char	   *name;

	if (!OidIsValid(spcid))
		return "DEFAULT";
	name = get_tablespace_name(spcid);
	return name ? sg_quote_ident(name) : psprintf("%u", spcid);
}

/* reloptions text[] as "a=1, b=2", NULL when there are none */
static const char *
sg_reloptions_text(Datum reloptions)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	StringInfoData buf;

	deconstruct_array(DatumGetArrayTypeP(reloptions), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		return NULL;
	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
	{
		char	   *opt = TextDatumGetCString(elems[i]);
		char	   *eq = strchr(opt, '=');

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		if (eq)
		{
			*eq = '\0';
			appendStringInfo(&buf, "%s=%s", sg_quote_ident(opt),
							 quote_literal_cstr(eq + 1));
		}
		else
			appendStringInfoString(&buf, sg_quote_ident(opt));
	}
	return buf.data;
}

/* ----------------------------------------------------------------
 * Catalog scans
 * ----------------------------------------------------------------
 */

typedef void (*SnapRowFn) (Snap *s, HeapTuple tup, TupleDesc desc);

static void
sg_scan(Snap *s, Oid catalog, SnapRowFn fn)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	TableScanDesc scan = table_beginscan_strat(rel, s->snapshot, 0, NULL,
											   true, false);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
	{
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		/* what a row keeps goes to s->cxt explicitly; the rest is freed */
		old = MemoryContextSwitchTo(s->rowcxt);
		fn(s, tup, RelationGetDescr(rel));
		MemoryContextSwitchTo(old);
		MemoryContextReset(s->rowcxt);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* the rows of a catalog whose OID column keyatt is key, through an index */
static void
sg_scan_key(Snap *s, Oid catalog, Oid indexid, AttrNumber keyatt, Oid key,
			SnapRowFn fn)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	ScanKeyData skey;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&skey, keyatt, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(key));
	scan = systable_beginscan(rel, indexid, true, s->snapshot, 1, &skey);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		fn(s, tup, RelationGetDescr(rel));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static char *
sg_text_attr(HeapTuple tup, int attnum, TupleDesc desc)
{
	bool		isnull;
	Datum		d;

	/* the null bitmap first: heap_getattr() walks the row to a later column */
	if (heap_attisnull(tup, attnum, desc))
		return NULL;
	d = heap_getattr(tup, attnum, desc, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

static Acl *
sg_acl_attr(Snap *s, HeapTuple tup, int attnum, TupleDesc desc)
{
	bool		isnull;
	Datum		d;
	MemoryContext old;
	Acl		   *acl;

	/* as in sg_text_attr() */
	if (heap_attisnull(tup, attnum, desc))
		return NULL;
	d = heap_getattr(tup, attnum, desc, &isnull);
	if (isnull)
		return NULL;
	old = MemoryContextSwitchTo(s->cxt);
	acl = DatumGetAclPCopy(d);
	MemoryContextSwitchTo(old);
	return acl;
}

/* extension members: pg_depend rows with deptype 'e' */
static void
sg_read_members(Snap *s)
{
	Relation	rel = table_open(DependRelationId, AccessShareLock);
	SysScanDesc scan;
	HeapTuple	tup;
	ScanKeyData key;

	/* all dependencies on any extension, through the referenced index */
	ScanKeyInit(&key, Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ExtensionRelationId));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, s->snapshot,
							  1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);

		if (dep->deptype != DEPENDENCY_EXTENSION)
			continue;
		sg_map_enter(s->members, SG_KEY2(dep->classid, dep->objid))->value = s;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
sg_read_namespace(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_namespace nsp = (Form_pg_namespace) GETSTRUCT(tup);
	const char *name = NameStr(nsp->nspname);
	SnapNsp    *e;
	bool		system;

	system = strncmp(name, "pg_", 3) == 0 ||
		strcmp(name, "information_schema") == 0 ||
		IsToastNamespace(nsp->oid) || isAnyTempNamespace(nsp->oid);

	e = MemoryContextAlloc(s->cxt, sizeof(SnapNsp));
	e->nspid = nsp->oid;
	sg_map_enter(s->nsps, nsp->oid)->value = e;
	e->name = sg_keep(s, name);
	e->quoted = sg_keep(s, sg_quote_ident(name));
	e->included = !system && nsp->oid != s->own_schema &&
		!sg_is_member(s, NamespaceRelationId, nsp->oid);
	if (!e->included || !sg_emits(s, SG_PART_LEADER))
		return;

	{
		StringInfo	buf = sg_def_begin(s);
		const char *ident = sg_keep(s, sg_quote_ident(name));
		SGObject   *obj;

		appendStringInfo(buf, "CREATE SCHEMA %s", ident);
		sg_facet_owner(s, buf, nsp->nspowner);
		sg_facet_privileges(s, buf, OBJECT_SCHEMA, nsp->nspowner,
							sg_acl_attr(s, tup, Anum_pg_namespace_nspacl, desc));
		sg_facet_comment(s, buf, NamespaceRelationId, nsp->oid, 0);
		obj = sg_add_object(s, "schema", NULL, ident, NamespaceRelationId,
							nsp->oid, 0);
		obj->schema = e->name;
		sg_set_definition(s, obj, buf);
	}
}

static void sg_stream_class(Snap *s, HeapTuple tup);

static void
sg_read_class(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);
	SnapNsp    *nsp = sg_included_nsp(s, c->relnamespace);
	SnapRel    *rel;
	bool		isnull;
	Datum		d;

	if (nsp == NULL)
		return;
	sg_stream_class(s, tup);
	/*
	 * With a worker the leader does not build indexes, and needs none of
	 * them: it only streams their columns' opclass options on (see
	 * sg_read_attribute), and looks up a replica identity index's name
	 * (sg_replident_name).  Indexes are two thirds of a typical pg_class.
	 */
	if (s->part == SG_PART_LEADER &&
		(c->relkind == RELKIND_INDEX || c->relkind == RELKIND_PARTITIONED_INDEX))
		return;
	rel = sg_new_rel(s, c->oid);
	rel->included = !sg_is_member(s, RelationRelationId, c->oid) &&
		!(c->relkind == RELKIND_COMPOSITE_TYPE &&
		  sg_is_member(s, TypeRelationId, c->reltype));
	rel->relkind = c->relkind;
	rel->relpersistence = c->relpersistence;
	rel->relreplident = c->relreplident;
	rel->relispartition = c->relispartition;
	rel->relrowsecurity = c->relrowsecurity;
	rel->relforcerowsecurity = c->relforcerowsecurity;
	rel->relowner = c->relowner;
	rel->relam = c->relam;
	rel->reltablespace = c->reltablespace;
	rel->nspname = nsp->name;
	rel->relname = sg_keep(s, NameStr(c->relname));
	rel->qualified = sg_keep_concat(s, nsp->quoted, ".", sg_quote_ident(rel->relname));
	rel->reloptions = NULL;
	d = (Datum) 0;
	isnull = heap_attisnull(tup, Anum_pg_class_reloptions, desc);
	if (!isnull)
		d = heap_getattr(tup, Anum_pg_class_reloptions, desc, &isnull);
	if (!isnull)
	{
		const char *opts = sg_reloptions_text(d);

		rel->reloptions = opts ? sg_keep(s, opts) : NULL;
	}
	rel->acl = sg_acl_attr(s, tup, Anum_pg_class_relacl, desc);
	rel->partbound = NULL;
	if (c->relispartition)
	{
		char	   *bound = sg_text_attr(tup, Anum_pg_class_relpartbound, desc);

		rel->partbound = bound ? sg_keep(s, bound) : NULL;
	}
	rel->natts = 0;
	rel->attrs = NULL;
	rel->attsig = NULL;
	rel->has_attoptions = false;
	rel->replident_index = InvalidOid;
	if (c->relkind == RELKIND_RELATION || c->relkind == RELKIND_PARTITIONED_TABLE ||
		c->relkind == RELKIND_FOREIGN_TABLE || c->relkind == RELKIND_COMPOSITE_TYPE ||
		c->relkind == RELKIND_MATVIEW || c->relkind == RELKIND_VIEW)
	{
		rel->natts = c->relnatts;
		rel->attrs = sg_alloc0(&s->arena, sizeof(SnapAttr) * Max(c->relnatts, 1));
	}
}

/*
 * The catalog stream, leader to worker, in batches of about 64kB: the
 * pg_class rows of the schemas snapshotted ('C' batches, then 'K'), which
 * the worker reads as if it had scanned pg_class; then what the worker's
 * indexes and constraints need of each column (name, type, collation) and
 * which indexes have opclass options (attnum 0) ('A' batches, then 'E').
 * The leader never waits for the worker to take them: what does not fit in
 * the queue waits in attr_pending (sg_flush_attrs).
 */
typedef struct SGAttrRecord
{
	Oid			relid;
	Oid			typid;
	Oid			collation;
	int16		attnum;
	uint16		namelen;
} SGAttrRecord;

#define SG_ATTR_BATCH_SIZE	(64 * 1024)

/* send what is pending, without waiting */
static void
sg_flush_attrs(Snap *s)
{
	while (s->attr_pending != NIL && s->attr_mqh != NULL)
	{
		StringInfo	batch = linitial(s->attr_pending);
		shm_mq_result res = shm_mq_send(s->attr_mqh, batch->len, batch->data,
										true, true);

		if (res == SHM_MQ_WOULD_BLOCK)
			return;
		if (res != SHM_MQ_SUCCESS)
		{
			/* the worker is gone: its error, if any, comes at the end */
			s->attr_mqh = NULL;
			s->attr_pending = NIL;
			return;
		}
		s->attr_pending = list_delete_first(s->attr_pending);
		pfree(batch->data);
		pfree(batch);
	}
}

static void
sg_queue_attr_batch(Snap *s)
{
	MemoryContext old = MemoryContextSwitchTo(s->cxt);

	s->attr_pending = lappend(s->attr_pending, s->attr_batch);
	s->attr_batch = NULL;
	MemoryContextSwitchTo(old);
	sg_flush_attrs(s);
}

/*
 * The batch to add records of the given kind to ('C' or 'A'); NULL if
 * this process does not stream (only the leader sends).
 */
static StringInfo
sg_stream_batch(Snap *s, char kind)
{
	MemoryContext old;

	if (s->attr_mqh == NULL || s->from_leader)
		return NULL;
	if (s->attr_batch != NULL && s->attr_batch->data[0] == kind)
		return s->attr_batch;
	if (s->attr_batch != NULL)
		sg_queue_attr_batch(s);
	old = MemoryContextSwitchTo(s->cxt);
	s->attr_batch = makeStringInfo();
	enlargeStringInfo(s->attr_batch, SG_ATTR_BATCH_SIZE + 256);
	appendStringInfoChar(s->attr_batch, kind);
	MemoryContextSwitchTo(old);
	return s->attr_batch;
}

/* a one-byte message: the end of pg_class ('K') or of the stream ('E') */
static void
sg_stream_mark(Snap *s, char mark)
{
	MemoryContext old;

	if (s->attr_mqh == NULL || s->from_leader)
		return;
	if (s->attr_batch != NULL)
		sg_queue_attr_batch(s);
	old = MemoryContextSwitchTo(s->cxt);
	s->attr_batch = makeStringInfo();
	appendStringInfoChar(s->attr_batch, mark);
	MemoryContextSwitchTo(old);
	sg_queue_attr_batch(s);
}

/* a pg_class row for the worker: its length, then the row */
static void
sg_stream_class(Snap *s, HeapTuple tup)
{
	StringInfo	batch = sg_stream_batch(s, 'C');
	uint32		len = tup->t_len;

	if (batch == NULL)
		return;
	appendBinaryStringInfo(batch, (const char *) &len, sizeof(len));
	appendBinaryStringInfo(batch, (const char *) tup->t_data, len);
	if (batch->len >= SG_ATTR_BATCH_SIZE)
		sg_queue_attr_batch(s);
}

static void
sg_stream_attr(Snap *s, Oid relid, int16 attnum, Oid typid, Oid collation,
			   const char *name)
{
	SGAttrRecord rec;
	StringInfo	batch = sg_stream_batch(s, 'A');

	if (batch == NULL)
		return;
	rec.relid = relid;
	rec.typid = typid;
	rec.collation = collation;
	rec.attnum = attnum;
	rec.namelen = name ? strlen(name) : 0;
	appendBinaryStringInfo(batch, (const char *) &rec, sizeof(rec));
	if (name)
		appendBinaryStringInfo(batch, name, rec.namelen);
	if (batch->len >= SG_ATTR_BATCH_SIZE)
		sg_queue_attr_batch(s);
}

/* after the pg_attribute scan: the last batch and the end marker */

static void
sg_malformed_attrs(void)
{
	elog(ERROR, "schemaguard: malformed column message from the snapshot leader");
}

/*
 * In the worker: the next message of the catalog stream, in [*p, *end)
 * after its kind, which is returned; 0 without wait when none is there.
 * A one-byte message is a marker, expected is the kind of the others.
 */
static char
sg_receive_stream(Snap *s, bool wait, char marker, char expected,
				  const char **p, const char **end)
{
	Size		len;
	void	   *data;
	shm_mq_result res = shm_mq_receive(s->attr_mqh, &len, &data, !wait);

	if (res == SHM_MQ_WOULD_BLOCK)
		return 0;
	if (res != SHM_MQ_SUCCESS)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("schemaguard: the snapshot leader went away")));
	*p = (const char *) data + 1;
	*end = (const char *) data + len;
	if (len == 1 && ((char *) data)[0] == marker)
		return marker;
	if (len < 1 || ((char *) data)[0] != expected)
		sg_malformed_attrs();
	return expected;
}

/*
 * In the worker: the pg_class rows the leader read, until its 'K', each
 * read as sg_scan() would have.
 */
static void
sg_receive_class(Snap *s)
{
	Relation	pg_class = table_open(RelationRelationId, AccessShareLock);
	TupleDesc	desc = RelationGetDescr(pg_class);
	char	   *row = NULL;
	uint32		rowsize = 0;
	const char *p;
	const char *end;

	while (sg_receive_stream(s, true, 'K', 'C', &p, &end) == 'C')
	{
		while (p < end)
		{
			HeapTupleData tup;
			uint32		tuplen;
			MemoryContext old;

			if (end - p < (long) sizeof(tuplen))
				sg_malformed_attrs();
			memcpy(&tuplen, p, sizeof(tuplen));
			p += sizeof(tuplen);
			if (end - p < (long) tuplen || tuplen < SizeofHeapTupleHeader)
				sg_malformed_attrs();
			/* a MAXALIGNed copy, as heap_getattr() expects */
			if (tuplen > rowsize)
			{
				rowsize = Max(tuplen, 1024);
				row = row ? repalloc(row, rowsize) : MemoryContextAlloc(s->cxt, rowsize);
			}
			memcpy(row, p, tuplen);
			p += tuplen;
			tup.t_len = tuplen;
			tup.t_data = (HeapTupleHeader) row;
			ItemPointerSetInvalid(&tup.t_self);
			tup.t_tableOid = RelationRelationId;
			old = MemoryContextSwitchTo(s->rowcxt);
			sg_read_class(s, &tup, desc);
			MemoryContextSwitchTo(old);
			MemoryContextReset(s->rowcxt);
		}
		CHECK_FOR_INTERRUPTS();
	}
	if (row)
		pfree(row);
	table_close(pg_class, AccessShareLock);
}

/*
 * In the worker: the columns the leader read, until its end marker, or
 * without wait only the batches already there.  True once the end marker
 * has come.
 */
static bool
sg_receive_attrs(Snap *s, bool wait)
{
	while (!s->attrs_complete)
	{
		const char *p;
		const char *end;
		char		kind = sg_receive_stream(s, wait, 'E', 'A', &p, &end);

		if (kind == 0)
			return false;
		if (kind == 'E')
		{
			s->attrs_complete = true;
			break;
		}
		while (p < end)
		{
			SGAttrRecord rec;
			SnapRel    *rel;

			if (end - p < (long) sizeof(rec))
				sg_malformed_attrs();
			memcpy(&rec, p, sizeof(rec));
			p += sizeof(rec);
			if (end - p < (long) rec.namelen)
				sg_malformed_attrs();
			rel = sg_rel(s, rec.relid);
			if (rel != NULL && rec.attnum == 0 && rel->attrs == NULL)
				rel->has_attoptions = true;
			else if (rel != NULL && rel->attrs != NULL && rec.attnum > 0 &&
					 rec.attnum <= rel->natts)
			{
				SnapAttr   *att = &rel->attrs[rec.attnum - 1];

				att->present = true;
				att->name = sg_keep_n(s, p, rec.namelen);
				att->typid = rec.typid;
				att->collation = rec.collation;
			}
			p += rec.namelen;
		}
		CHECK_FOR_INTERRUPTS();
	}
	return true;
}

/*
 * In the worker, which does not scan pg_attribute: a view's columns,
 * through pg_attribute's index, for its query's column names.
 */
static void sg_read_attribute(Snap *s, HeapTuple tup, TupleDesc desc);

static void
sg_fetch_rel_attrs(Snap *s, SnapRel *rel)
{
	sg_scan_key(s, AttributeRelationId, AttributeRelidNumIndexId,
				Anum_pg_attribute_attrelid, rel->relid, sg_read_attribute);
}

static void
sg_read_attribute(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_attribute a = (Form_pg_attribute) GETSTRUCT(tup);
	SnapRel    *rel;
	SnapAttr   *att;

	if (a->attnum <= 0 || a->attisdropped)
		return;
	rel = sg_rel(s, a->attrelid);
	if (rel == NULL || rel->attrs == NULL)
	{
		/*
		 * An index column: only its opclass options matter.  The leader
		 * does not keep indexes (sg_read_class), so it passes on the
		 * options of any relation it does not know; the worker ignores
		 * those that are not its indexes.
		 */
		if ((rel != NULL || s->part == SG_PART_LEADER) &&
			!heap_attisnull(tup, Anum_pg_attribute_attoptions, desc))
		{
			if (rel != NULL)
				rel->has_attoptions = true;
			sg_stream_attr(s, a->attrelid, 0, InvalidOid, InvalidOid, NULL);
		}
		return;
	}
	if (a->attnum > rel->natts)
		return;
	if (rel->relkind != RELKIND_VIEW && rel->relkind != RELKIND_COMPOSITE_TYPE)
		sg_stream_attr(s, rel->relid, a->attnum, a->atttypid, a->attcollation,
					   NameStr(a->attname));
	att = &rel->attrs[a->attnum - 1];
	att->present = true;
	att->name = sg_keep(s, NameStr(a->attname));
	att->typid = a->atttypid;
	att->typmod = a->atttypmod;
	att->collation = a->attcollation;
	att->notnull = a->attnotnull;
	att->identity = a->attidentity;
	att->generated = a->attgenerated;
	att->storage = a->attstorage;
	att->compression = a->attcompression;
	att->stattarget = SG_ATTSTATTARGET(tup, desc);
	att->acl = sg_acl_attr(s, tup, Anum_pg_attribute_attacl, desc);
}

static void
sg_read_attrdef(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_attrdef d = (Form_pg_attrdef) GETSTRUCT(tup);
	SnapRel    *rel = sg_included_rel(s, d->adrelid);
	bool		isnull;
	Datum		datum;
	text	   *bin;

	if (rel == NULL || rel->attrs == NULL || d->adnum <= 0 || d->adnum > rel->natts ||
		heap_attisnull(tup, Anum_pg_attrdef_adbin, desc))
		return;
	datum = heap_getattr(tup, Anum_pg_attrdef_adbin, desc, &isnull);
	if (isnull)
		return;
	/* the same default on many tables is kept once, not per column */
	bin = DatumGetTextPP(datum);
	rel->attrs[d->adnum - 1].defbin = sg_keep_once(s, VARDATA_ANY(bin),
												   VARSIZE_ANY_EXHDR(bin));
}

static void
sg_read_inherits(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_inherits inh = (Form_pg_inherits) GETSTRUCT(tup);
	SGMapEntry *me;
	InhEntry   *e;
	MemoryContext old;

	if (sg_included_rel(s, inh->inhrelid) == NULL)
		return;
	me = sg_map_enter(s->inherits, inh->inhrelid);
	if (me->value == NULL)
	{
		e = MemoryContextAlloc(s->cxt, sizeof(InhEntry));
		e->child = inh->inhrelid;
		e->parents = NIL;
		e->seqnos = NIL;
		me->value = e;
	}
	e = me->value;
	old = MemoryContextSwitchTo(s->cxt);
	/* keep inhseqno order */
	{
		int			pos = 0;
		ListCell   *lc;

		foreach(lc, e->seqnos)
		{
			if (lfirst_int(lc) > inh->inhseqno)
				break;
			pos++;
		}
		e->seqnos = list_insert_nth_int(e->seqnos, pos, inh->inhseqno);
		e->parents = list_insert_nth_oid(e->parents, pos, inh->inhparent);
	}
	MemoryContextSwitchTo(old);
}

static void
sg_read_description(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_description d = (Form_pg_description) GETSTRUCT(tup);
	DescKey		key;
	DescEntry  *e;
	char	   *text = sg_text_attr(tup, Anum_pg_description_description, desc);

	if (text == NULL)
		return;
	memset(&key, 0, sizeof(key));
	key.objoid = d->objoid;
	key.classoid = d->classoid;
	key.objsubid = d->objsubid;
	e = hash_search(s->descriptions, &key, HASH_ENTER, NULL);
	e->text = sg_keep(s, text);
}

/*
 * A relation's column names, for the expression memo: built when an
 * expression of the relation is first deparsed (most relations have none).
 */
static const char *
sg_attsig(Snap *s, SnapRel *rel)
{
	if (rel->attsig == NULL && rel->attrs != NULL)
	{
		StringInfoData buf;
		MemoryContext old = MemoryContextSwitchTo(s->rowcxt);

		initStringInfo(&buf);
		for (int i = 0; i < rel->natts; i++)
		{
			if (rel->attrs[i].present)
				appendStringInfoString(&buf, rel->attrs[i].name);
			appendStringInfoChar(&buf, '\x02');
		}
		MemoryContextSwitchTo(old);
		rel->attsig = sg_keep_once(s, buf.data, buf.len);
		pfree(buf.data);
	}
	return rel->attsig ? rel->attsig : "";
}

/* ----------------------------------------------------------------
 * Relations and their columns
 * ----------------------------------------------------------------
 */

static const char *
sg_relkind_type(char relkind)
{
	switch (relkind)
	{
		case RELKIND_RELATION:
		case RELKIND_PARTITIONED_TABLE:
			return "table";
		case RELKIND_FOREIGN_TABLE:
			return "foreign table";
		case RELKIND_VIEW:
			return "view";
		case RELKIND_MATVIEW:
			return "materialized view";
		case RELKIND_SEQUENCE:
			return "sequence";
		case RELKIND_COMPOSITE_TYPE:
			return "composite type";
		case RELKIND_INDEX:
		case RELKIND_PARTITIONED_INDEX:
			return "index";
	}
	return NULL;
}

static void
sg_column_definition(Snap *s, StringInfo buf, SnapRel *rel, SnapAttr *att,
					 const char *qname)
{
	TypeNameEntry *t = sg_type_entry(s, att->typid, att->typmod);

	/* the most frequent definition of all: no format strings */
	appendStringInfoString(buf, qname);
	appendStringInfoChar(buf, ' ');
	appendStringInfoString(buf, t->name);
	if (OidIsValid(att->collation) && att->collation != t->typcollation)
		appendStringInfo(buf, " COLLATE %s", generate_collation_name(att->collation));
	if (att->notnull)
		appendStringInfoString(buf, " NOT NULL");
	if (att->defbin)
	{
		ExprMemo   *m = sg_expr(s, att->defbin, rel);

		if (att->generated == ATTRIBUTE_GENERATED_STORED)
		{
			appendStringInfoString(buf, " GENERATED ALWAYS AS (");
			appendStringInfoString(buf, m->text);
			appendStringInfoString(buf, ") STORED");
		}
		else
		{
			appendStringInfoString(buf, " DEFAULT ");
			appendStringInfoString(buf, m->text);
		}
	}
	if (att->identity == ATTRIBUTE_IDENTITY_ALWAYS)
		appendStringInfoString(buf, " GENERATED ALWAYS AS IDENTITY");
	else if (att->identity == ATTRIBUTE_IDENTITY_BY_DEFAULT)
		appendStringInfoString(buf, " GENERATED BY DEFAULT AS IDENTITY");
}

/*
 * fingerprint() needs of the most numerous objects, columns, indexes and
 * constraints, only their type's digest (sg_type_digests): SHA-256 over
 * their identities and definitions in identity order.  They are built in
 * that order (tables in sg_sort_rels order, each one's columns in name
 * order; kept rows sorted, sg_sort_kept_rows), so they are hashed as they
 * are built, and never kept.  The order is checked.
 */
typedef struct SGTypeStream
{
	const char *type;
	int			count;
	SGHasher	hasher;
	/*
	 * The last identity hashed: its relation's and its own name, or with
	 * no name the whole identity.
	 */
	const char *last_prefix;
	const char *last_name;
} SGTypeStream;

/* strcmp() of "<a>." and "<b>." (see sg_sort_rels) */
static int
sg_dot_cmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *) a;
	const unsigned char *y = (const unsigned char *) b;

	while (*x != '\0' && *x == *y)
	{
		x++;
		y++;
	}
	if (*x == *y)
		return 0;
	if ((*x ? *x : '.') != (*y ? *y : '.'))
		return (int) (*x ? *x : '.') - (int) (*y ? *y : '.');
	/* one ended where the other has a dot: "a." starts "a.b." */
	return *x ? 1 : -1;
}

#define SG_MAX_STREAMS 8

/* the last identity hashed in ts against "<prefix>.<name>" (or prefix) */
static int
sg_stream_cmp(SGTypeStream *ts, const char *prefix, const char *name)
{
	/* a type's objects are all hashed one way: a mix is out of order */
	if (name == NULL || ts->last_name == NULL)
		return (name == NULL && ts->last_name == NULL) ?
			strcmp(ts->last_prefix, prefix) : 1;
	if (prefix == ts->last_prefix)
		return strcmp(ts->last_name, name);
	return sg_dot_cmp(ts->last_prefix, prefix);
}

/*
 * Hash an object of type "type" built in identity order: its identity is
 * "<prefix>.<name>" (a column), or with name NULL prefix itself.
 */
static void
sg_stream_object(Snap *s, const char *type, const char *prefix, const char *name,
				 StringInfo definition)
{
	SGTypeStream *ts = NULL;

	for (int i = 0; i < s->nstreams; i++)
		if (s->streams[i].type == type)
			ts = &s->streams[i];
	if (ts == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(s->cxt);

		if (s->streams == NULL)
			s->streams = palloc(sizeof(SGTypeStream) * SG_MAX_STREAMS);
		if (s->nstreams == SG_MAX_STREAMS)
			elog(ERROR, "schemaguard: too many object types hashed as built");
		ts = &s->streams[s->nstreams++];
		ts->type = type;
		ts->count = 0;
		sg_hasher_begin(&ts->hasher);
		MemoryContextSwitchTo(old);
	}
	/* after the last one, whose identity is still there */
	if (ts->count > 0 && sg_stream_cmp(ts, prefix, name) >= 0)
		elog(ERROR, "schemaguard: %s \"%s%s%s\" is out of identity order",
			 type, prefix, name ? "." : "", name ? name : "");
	if (name == NULL)
		sg_hasher_field(&ts->hasher, prefix);
	else
		sg_hasher_field3(&ts->hasher, prefix, ".", name);
	sg_hasher_field(&ts->hasher, definition->data);
	ts->count++;
	ts->last_prefix = prefix;
	ts->last_name = name;
}

/* the streamed types' digests, added to the process's own */
static void
sg_end_streams(Snap *s)
{
	if (s->nstreams == 0)
		return;
	s->own_digests = repalloc(s->own_digests,
							  sizeof(SGTypeDigest) * (s->nown_digests + s->nstreams));
	for (int i = 0; i < s->nstreams; i++)
	{
		SGTypeDigest *d = &s->own_digests[s->nown_digests++];

		d->type = s->streams[i].type;
		d->count = s->streams[i].count;
		sg_hasher_end(&s->streams[i].hasher, d->digest);
	}
	s->nstreams = 0;
}

typedef struct SnapColumn
{
	const char *qname;			/* quoted column name */
	int			attno;
	int			position;		/* among the live columns */
} SnapColumn;

static int
sg_column_name_cmp(const void *a, const void *b)
{
	return strcmp(((const SnapColumn *) a)->qname, ((const SnapColumn *) b)->qname);
}

static void
sg_emit_columns(Snap *s, SnapRel *rel, const char *reltype)
{
	const char *coltype = rel->relkind == RELKIND_FOREIGN_TABLE ?
		"foreign table column" : "table column";
	SnapColumn *cols = palloc(sizeof(SnapColumn) * Max(rel->natts, 1));
	int			ncols = 0;

	for (int i = 0; i < rel->natts; i++)
	{
		if (!rel->attrs[i].present)
			continue;
		cols[ncols].qname = sg_quote_ident(rel->attrs[i].name);
		cols[ncols].attno = i + 1;
		cols[ncols].position = ncols + 1;
		ncols++;
	}
	qsort(cols, ncols, sizeof(SnapColumn), sg_column_name_cmp);

	for (int c = 0; c < ncols; c++)
	{
		int			i = cols[c].attno - 1;
		int			position = cols[c].position;
		SnapAttr   *att = &rel->attrs[i];
		StringInfo	buf;
		SGObject   *obj;

		buf = sg_def_begin(s);
		sg_column_definition(s, buf, rel, att, cols[c].qname);
		if (s->facets & SG_FACET_COLUMN_ORDER)
			appendStringInfo(buf, "\nPOSITION %d", position);
		if (s->facets & SG_FACET_STORAGE)
		{
			appendStringInfo(buf, "\nSTORAGE %s",
							 att->storage == TYPSTORAGE_PLAIN ? "PLAIN" :
							 att->storage == TYPSTORAGE_EXTERNAL ? "EXTERNAL" :
							 att->storage == TYPSTORAGE_MAIN ? "MAIN" : "EXTENDED");
			if (att->compression)
				appendStringInfo(buf, " COMPRESSION %s",
								 att->compression == 'p' ? "pglz" :
								 att->compression == 'l' ? "lz4" : "?");
			if (att->stattarget >= 0)
				appendStringInfo(buf, " STATISTICS %d", att->stattarget);
		}
		sg_facet_privileges(s, buf, OBJECT_COLUMN, rel->relowner, att->acl);
		sg_facet_comment(s, buf, RelationRelationId, rel->relid, i + 1);

		if (s->fingerprint_only)
		{
			sg_stream_object(s, coltype, rel->qualified, cols[c].qname, buf);
			continue;
		}
		obj = sg_add_object(s, coltype, rel->nspname,
							sg_keep_concat(s, rel->qualified, ".", cols[c].qname),
							RelationRelationId, rel->relid, i + 1);
		sg_set_definition(s, obj, buf);
		obj->parent_type = reltype;
		obj->parent_identity = rel->qualified;
	}
	pfree(cols);
}

/* the rest of a table's definition: storage facet, owner, grants, comment */
static void
sg_relation_facets(Snap *s, StringInfo buf, SnapRel *rel, ObjectType objtype)
{
	if ((s->facets & SG_FACET_STORAGE) && rel->relkind != RELKIND_VIEW &&
		rel->relkind != RELKIND_COMPOSITE_TYPE && rel->relkind != RELKIND_FOREIGN_TABLE)
	{
		appendStringInfoString(buf, "\nSTORAGE");
		if (OidIsValid(rel->relam))
			appendStringInfo(buf, " ACCESS METHOD %s", sg_am(s, rel->relam)->name);
		appendStringInfo(buf, " TABLESPACE %s", sg_tablespace(s, rel->reltablespace));
		if (rel->reloptions && rel->relkind != RELKIND_INDEX &&
			rel->relkind != RELKIND_PARTITIONED_INDEX)
			appendStringInfo(buf, " WITH (%s)", rel->reloptions);
	}
	if (objtype != OBJECT_INDEX)
	{
		sg_facet_owner(s, buf, rel->relowner);
		sg_facet_privileges(s, buf, objtype, rel->relowner, rel->acl);
	}
	sg_facet_comment(s, buf, RelationRelationId, rel->relid, 0);
}

/*
 * The index of a table with REPLICA IDENTITY USING INDEX, when this process
 * did not scan pg_index (the worker builds the indexes): through
 * pg_index's index on indrelid.
 */
static void
sg_read_replident(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
	SnapRel    *rel = sg_rel(s, idx->indrelid);

	if (idx->indisreplident && rel != NULL)
		rel->replident_index = idx->indexrelid;
}

static void
sg_read_relname(Snap *s, HeapTuple tup, TupleDesc desc)
{
	s->found_relname = sg_keep(s, NameStr(((Form_pg_class) GETSTRUCT(tup))->relname));
}

/* the name of a table's REPLICA IDENTITY USING INDEX index, or NULL */
static const char *
sg_replident_name(Snap *s, SnapRel *rel)
{
	SnapRel    *idx;

	if (!s->indexes_read)
		sg_scan_key(s, IndexRelationId, IndexIndrelidIndexId, Anum_pg_index_indrelid,
					rel->relid, sg_read_replident);
	if (!OidIsValid(rel->replident_index))
		return NULL;
	idx = sg_rel(s, rel->replident_index);
	if (idx != NULL)
		return idx->relname;
	/* the leader keeps no indexes (sg_read_class): from pg_class */
	s->found_relname = NULL;
	sg_scan_key(s, RelationRelationId, ClassOidIndexId, Anum_pg_class_oid,
				rel->replident_index, sg_read_relname);
	return s->found_relname;
}

static void
sg_emit_table(Snap *s, SnapRel *rel)
{
	StringInfo	buf = sg_def_begin(s);
	const char *type = sg_relkind_type(rel->relkind);
	InhEntry   *inh = sg_map_get(s->inherits, rel->relid);
	SGObject   *obj;
	const char *parent_type = NULL;
	const char *parent_identity = NULL;

	if (rel->relkind == RELKIND_FOREIGN_TABLE)
		appendStringInfo(buf, "CREATE FOREIGN TABLE %s", rel->qualified);
	else
		appendStringInfo(buf, "CREATE %sTABLE %s",
						 rel->relpersistence == RELPERSISTENCE_UNLOGGED ? "UNLOGGED " : "",
						 rel->qualified);

	if (inh && rel->relispartition && inh->parents != NIL)
	{
		Oid			parent = linitial_oid(inh->parents);
		const char *pname = sg_rel_qualified(s, parent);

		appendStringInfo(buf, " PARTITION OF %s", pname);
		if (rel->partbound)
			appendStringInfo(buf, " %s", sg_expr(s, rel->partbound, rel)->text);
		parent_type = "table";
		parent_identity = sg_keep(s, pname);
	}
	else if (inh && inh->parents != NIL)
	{
		ListCell   *lc;

		appendStringInfoString(buf, " INHERITS (");
		foreach(lc, inh->parents)
		{
			if (lc != list_head(inh->parents))
				appendStringInfoString(buf, ", ");
			appendStringInfoString(buf, sg_rel_qualified(s, lfirst_oid(lc)));
		}
		appendStringInfoChar(buf, ')');
	}
	if (rel->relkind == RELKIND_PARTITIONED_TABLE)
	{
		Datum		key = DirectFunctionCall1(pg_get_partkeydef,
											  ObjectIdGetDatum(rel->relid));

		appendStringInfo(buf, " PARTITION BY %s", TextDatumGetCString(key));
	}
	if (rel->relkind == RELKIND_FOREIGN_TABLE)
	{
		HeapTuple	tup = SearchSysCache1(FOREIGNTABLEREL, ObjectIdGetDatum(rel->relid));

		if (HeapTupleIsValid(tup))
		{
			Form_pg_foreign_table ft = (Form_pg_foreign_table) GETSTRUCT(tup);
			bool		isnull;
			Datum		opts;
			HeapTuple	stup = SearchSysCache1(FOREIGNSERVEROID,
											   ObjectIdGetDatum(ft->ftserver));

			if (HeapTupleIsValid(stup))
			{
				appendStringInfo(buf, " SERVER %s",
								 sg_quote_ident(NameStr(((Form_pg_foreign_server) GETSTRUCT(stup))->srvname)));
				ReleaseSysCache(stup);
			}
			opts = SysCacheGetAttr(FOREIGNTABLEREL, tup,
								   Anum_pg_foreign_table_ftoptions, &isnull);
			if (!isnull)
			{
				const char *o = sg_reloptions_text(opts);

				if (o)
					appendStringInfo(buf, " OPTIONS (%s)", o);
			}
			ReleaseSysCache(tup);
		}
	}
	if (rel->relrowsecurity)
		appendStringInfo(buf, "\nALTER TABLE %s ENABLE ROW LEVEL SECURITY", rel->qualified);
	if (rel->relforcerowsecurity)
		appendStringInfo(buf, "\nALTER TABLE %s FORCE ROW LEVEL SECURITY", rel->qualified);
	if (rel->relreplident == REPLICA_IDENTITY_NOTHING)
		appendStringInfo(buf, "\nALTER TABLE %s REPLICA IDENTITY NOTHING", rel->qualified);
	else if (rel->relreplident == REPLICA_IDENTITY_FULL)
		appendStringInfo(buf, "\nALTER TABLE %s REPLICA IDENTITY FULL", rel->qualified);
	else if (rel->relreplident == REPLICA_IDENTITY_INDEX)
	{
		const char *idxname = sg_replident_name(s, rel);

		appendStringInfo(buf, "\nALTER TABLE %s REPLICA IDENTITY USING INDEX %s",
						 rel->qualified,
						 idxname ? sg_quote_ident(idxname) : "?");
	}
	sg_relation_facets(s, buf, rel,
					   rel->relkind == RELKIND_FOREIGN_TABLE ? OBJECT_FOREIGN_TABLE : OBJECT_TABLE);

	obj = sg_add_object(s, type, rel->nspname, rel->qualified,
						RelationRelationId, rel->relid, 0);
	sg_set_definition(s, obj, buf);
	obj->parent_type = parent_type;
	obj->parent_identity = parent_identity;
	sg_emit_columns(s, rel, type);
}

static void
sg_emit_view(Snap *s, SnapRel *rel)
{
	StringInfo	buf;
	SGObject   *obj;
	char	   *def;

	/* the deparser may run queries of its own: build the text first */
	if (rel->viewdef)
		def = pstrdup(rel->viewdef);
	else
		def = TextDatumGetCString(DirectFunctionCall1(pg_get_viewdef,
													  ObjectIdGetDatum(rel->relid)));
	buf = sg_def_begin(s);
	appendStringInfo(buf, "CREATE %s %s",
					 rel->relkind == RELKIND_VIEW ? "VIEW" : "MATERIALIZED VIEW",
					 rel->qualified);
	if (rel->reloptions && rel->relkind == RELKIND_VIEW)
		appendStringInfo(buf, " WITH (%s)", rel->reloptions);
	appendStringInfo(buf, " AS\n%s", def);
	sg_relation_facets(s, buf, rel,
					   rel->relkind == RELKIND_VIEW ? OBJECT_VIEW : OBJECT_MATVIEW);
	obj = sg_add_object(s, sg_relkind_type(rel->relkind), rel->nspname,
						rel->qualified, RelationRelationId, rel->relid, 0);
	sg_set_definition(s, obj, buf);
	pfree(def);
}

static void
sg_emit_composite(Snap *s, SnapRel *rel)
{
	StringInfo	buf = sg_def_begin(s);
	SGObject   *obj;
	bool		first = true;

	appendStringInfo(buf, "CREATE TYPE %s AS (", rel->qualified);
	for (int i = 0; i < rel->natts; i++)
	{
		SnapAttr   *att = &rel->attrs[i];
		TypeNameEntry *t;

		if (!att->present)
			continue;
		t = sg_type_entry(s, att->typid, att->typmod);
		appendStringInfo(buf, "%s%s %s", first ? "" : ", ",
						 sg_quote_ident(att->name), t->name);
		if (OidIsValid(att->collation) && att->collation != t->typcollation)
			appendStringInfo(buf, " COLLATE %s", generate_collation_name(att->collation));
		first = false;
	}
	appendStringInfoChar(buf, ')');
	sg_facet_owner(s, buf, rel->relowner);
	sg_facet_comment(s, buf, RelationRelationId, rel->relid, 0);
	obj = sg_add_object(s, "composite type", rel->nspname, rel->qualified,
						RelationRelationId, rel->relid, 0);
	sg_set_definition(s, obj, buf);
}

/*
 * The first dependency of an object with deptype "deptype" (or
 * "deptype2") on an object of catalog "refclassid" (InvalidOid: any), read
 * through the depender index.
 */
static bool
sg_find_dependency(Snap *s, Oid classid, Oid objid, char deptype,
				   char deptype2, Oid refclassid, FormData_pg_depend *found)
{
	Relation	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	bool		result = false;

	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(rel, DependDependerIndexId, true, s->snapshot,
							  2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);

		if ((dep->deptype == deptype || dep->deptype == deptype2) &&
			(!OidIsValid(refclassid) || dep->refclassid == refclassid))
		{
			*found = *dep;
			result = true;
			break;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

static void
sg_read_sequence(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_sequence seq = (Form_pg_sequence) GETSTRUCT(tup);
	SnapRel    *rel = sg_included_rel(s, seq->seqrelid);
	StringInfo	buf;
	SGObject   *obj;
	FormData_pg_depend dep;
	SnapRel    *orel = NULL;
	const char *owned_by = NULL;

	if (rel == NULL || rel->relkind != RELKIND_SEQUENCE)
		return;
	/* OWNED BY and identity columns: an auto or internal column dependency */
	if (sg_find_dependency(s, RelationRelationId, seq->seqrelid, DEPENDENCY_AUTO,
						   DEPENDENCY_INTERNAL, RelationRelationId, &dep) &&
		dep.refobjsubid > 0)
	{
		orel = sg_rel(s, dep.refobjid);
		if (orel && orel->attrs && dep.refobjsubid <= orel->natts &&
			orel->attrs[dep.refobjsubid - 1].present)
			owned_by = psprintf("%s.%s", orel->qualified,
								sg_quote_ident(orel->attrs[dep.refobjsubid - 1].name));
	}
	buf = sg_def_begin(s);
	appendStringInfo(buf, "CREATE %sSEQUENCE %s AS %s INCREMENT BY " INT64_FORMAT
					 " MINVALUE " INT64_FORMAT " MAXVALUE " INT64_FORMAT
					 " START WITH " INT64_FORMAT " CACHE " INT64_FORMAT "%s",
					 rel->relpersistence == RELPERSISTENCE_UNLOGGED ? "UNLOGGED " : "",
					 rel->qualified, sg_type_name(s, seq->seqtypid, -1),
					 seq->seqincrement, seq->seqmin, seq->seqmax, seq->seqstart,
					 seq->seqcache, seq->seqcycle ? " CYCLE" : " NO CYCLE");
	if (owned_by)
		appendStringInfo(buf, " OWNED BY %s", owned_by);
	sg_relation_facets(s, buf, rel, OBJECT_SEQUENCE);
	obj = sg_add_object(s, "sequence", rel->nspname, rel->qualified,
						RelationRelationId, rel->relid, 0);
	sg_set_definition(s, obj, buf);
	if (orel)
	{
		obj->parent_type = sg_relkind_type(orel->relkind);
		obj->parent_identity = orel->qualified;
	}
}

/*
 * Relations in the order of "<qualified>.", the common prefix of the
 * identities of a relation's columns.  No relation's prefix starts
 * another's (a name with a dot in it is quoted), so the columns of the
 * relations in this order, each relation's in name order, are in identity
 * order, which sg_stream_object relies on.
 */
static void
sg_sort_rels(SnapRel **rels, int n)
{
	SGSortItem *items;
	char	   *names;
	Size		len = 0;

	if (n < 2)
		return;
	for (int i = 0; i < n; i++)
		len += strlen(rels[i]->qualified) + 2;
	names = palloc_extended(len, MCXT_ALLOC_HUGE);
	items = palloc_extended(sizeof(SGSortItem) * n * 2, MCXT_ALLOC_HUGE);
	len = 0;
	for (int i = 0; i < n; i++)
	{
		size_t		l = strlen(rels[i]->qualified);

		items[i].str = names + len;
		items[i].ptr = rels[i];
		memcpy(names + len, rels[i]->qualified, l);
		names[len + l] = '.';
		names[len + l + 1] = '\0';
		len += l + 2;
	}
	sg_sort_strings(items, items + n, n, 0);
	for (int i = 0; i < n; i++)
		rels[i] = items[i].ptr;
	pfree(items);
	pfree(names);
}

static void
sg_emit_relations(Snap *s)
{
	SnapRel    *rel;
	SnapRel   **rels;
	int			n = 0;

	/* in name order: most objects come out sorted already (sg_sort_rels) */
	rels = palloc(sizeof(SnapRel *) * Max(s->nrels, 1));
	for (int r = 0; r < s->nrels; r++)
		if (s->rel_list[r]->included && s->rel_list[r]->attrs != NULL)
			rels[n++] = s->rel_list[r];
	sg_sort_rels(rels, n);
	for (int i = 0; i < n; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(s->rowcxt);

		rel = rels[i];
		CHECK_FOR_INTERRUPTS();
		/* column batches still waiting, for the worker's indexes */
		if ((i & 255) == 255)
			sg_flush_attrs(s);
		switch (rel->relkind)
		{
			case RELKIND_RELATION:
			case RELKIND_PARTITIONED_TABLE:
			case RELKIND_FOREIGN_TABLE:
				if (sg_emits(s, SG_PART_LEADER))
					sg_emit_table(s, rel);
				break;
			case RELKIND_COMPOSITE_TYPE:
				if (sg_emits(s, SG_PART_LEADER))
					sg_emit_composite(s, rel);
				break;
			default:
				/* views: sg_build_views; sequences and indexes: their catalogs */
				break;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(s->rowcxt);
	}
	pfree(rels);
}

/* ----------------------------------------------------------------
 * Indexes
 * ----------------------------------------------------------------
 */

/* the column list of an index, as pg_get_indexdef prints it */
static void
sg_index_columns(Snap *s, StringInfo buf, Form_pg_index idx, HeapTuple tup,
				 TupleDesc desc, SnapRel *table, SnapRel *irel, bool keys_only)
{
	Datum		values[Natts_pg_index];
	bool		nulls[Natts_pg_index];
	oidvector  *indcollation;
	oidvector  *indclass;
	int2vector *indoption;
	char	   *exprs = sg_text_attr(tup, Anum_pg_index_indexprs, desc);
	List	   *exprlist = NIL;
	int			nexpr = 0;
	AmEntry    *am = sg_am(s, irel->relam);
	const char *sep = "";

	/* one pass over the row: heap_getattr() would walk it for each vector */
	heap_deform_tuple(tup, desc, values, nulls);
	indcollation = (oidvector *) DatumGetPointer(values[Anum_pg_index_indcollation - 1]);
	indclass = (oidvector *) DatumGetPointer(values[Anum_pg_index_indclass - 1]);
	indoption = (int2vector *) DatumGetPointer(values[Anum_pg_index_indoption - 1]);

	if (exprs)
	{
		/* split the expression list; each element is deparsed on its own */
		List	   *l = (List *) stringToNode(exprs);
		ListCell   *lc;

		foreach(lc, l)
			exprlist = lappend(exprlist, nodeToString(lfirst(lc)));
	}

	for (int keyno = 0; keyno < idx->indnatts; keyno++)
	{
		AttrNumber	attnum = idx->indkey.values[keyno];
		Oid			keytype;
		Oid			keycoll;

		if (keys_only && keyno >= idx->indnkeyatts)
			break;
		if (keyno == idx->indnkeyatts)
		{
			appendStringInfoString(buf, ") INCLUDE (");
			sep = "";
		}
		appendStringInfoString(buf, sep);
		sep = ", ";
		if (attnum != 0)
		{
			SnapAttr   *att = (attnum > 0 && attnum <= table->natts) ?
				&table->attrs[attnum - 1] : NULL;

			if (att == NULL || !att->present)
			{
				appendStringInfo(buf, "%s", sg_quote_ident(get_attname(table->relid, attnum, false)));
				keytype = get_atttype(table->relid, attnum);
				keycoll = InvalidOid;
			}
			else
			{
				appendStringInfoString(buf, sg_quote_ident(att->name));
				keytype = att->typid;
				keycoll = att->collation;
			}
		}
		else
		{
			ExprMemo   *m;
			const char *text;

			if (nexpr >= list_length(exprlist))
				elog(ERROR, "schemaguard: too few entries in indexprs of index %s",
					 irel->qualified);
			m = sg_expr(s, list_nth(exprlist, nexpr++), table);
			text = m->text;
			/* a bare function call needs no parentheses */
			if (m->funclike)
				appendStringInfoString(buf, text);
			else
				appendStringInfo(buf, "(%s)", text);
			keytype = m->type;
			keycoll = m->collation;
		}
		if (keyno < idx->indnkeyatts)
		{
			int16		opt = indoption->values[keyno];
			Oid			coll = indcollation->values[keyno];

			if (OidIsValid(coll) && coll != keycoll)
				appendStringInfo(buf, " COLLATE %s", generate_collation_name(coll));
			appendStringInfoString(buf, sg_opclass_suffix(s, indclass->values[keyno], keytype));
			if (am->canorder)
			{
				if (opt & INDOPTION_DESC)
				{
					appendStringInfoString(buf, " DESC");
					if (!(opt & INDOPTION_NULLS_FIRST))
						appendStringInfoString(buf, " NULLS LAST");
				}
				else if (opt & INDOPTION_NULLS_FIRST)
					appendStringInfoString(buf, " NULLS FIRST");
			}
		}
	}
}

/* a new kept row for a copy of tup, in the arena */
static SGKeptRow *
sg_keep_row(Snap *s, SGKeptRows *kept, HeapTuple tup)
{
	SGKeptRow  *row;
	HeapTuple	copy;

	/* in the worker, take the columns that have come: the queue is small */
	if (s->from_leader && (kept->n & 1023) == 1023)
		(void) sg_receive_attrs(s, false);
	if (kept->n == kept->max)
	{
		kept->max = Max(kept->max * 2, 1024);
		kept->rows = kept->rows ?
			repalloc_huge(kept->rows, sizeof(SGKeptRow) * kept->max) :
			MemoryContextAllocHuge(s->cxt, sizeof(SGKeptRow) * kept->max);
	}
	row = &kept->rows[kept->n++];
	memset(row, 0, sizeof(SGKeptRow));
	/* as heap_copytuple() lays it out */
	copy = sg_alloc_aligned(&s->arena, HEAPTUPLESIZE + tup->t_len);
	copy->t_len = tup->t_len;
	copy->t_self = tup->t_self;
	copy->t_tableOid = tup->t_tableOid;
	copy->t_data = (HeapTupleHeader) ((char *) copy + HEAPTUPLESIZE);
	memcpy(copy->t_data, tup->t_data, tup->t_len);
	row->tup = copy;
	return row;
}

/* kept rows in identity order (strcmp), as sg_stream_object() takes them */
static void
sg_sort_kept_rows(Snap *s, SGKeptRows *kept)
{
	SGSortItem *items;
	SGKeptRow  *sorted;

	if (kept->n < 2)
		return;
	items = palloc_extended(sizeof(SGSortItem) * kept->n * 2, MCXT_ALLOC_HUGE);
	for (int i = 0; i < kept->n; i++)
	{
		items[i].str = kept->rows[i].identity;
		items[i].ptr = &kept->rows[i];
	}
	sg_sort_strings(items, items + kept->n, kept->n, 0);
	sorted = MemoryContextAllocHuge(s->cxt, sizeof(SGKeptRow) * kept->max);
	for (int i = 0; i < kept->n; i++)
		sorted[i] = *(SGKeptRow *) items[i].ptr;
	pfree(items);
	pfree(kept->rows);
	kept->rows = sorted;
}

/*
 * Build each kept row's object with build, in identity order, and let the
 * rows go.
 */
static void
sg_build_kept_rows(Snap *s, SGKeptRows *kept, Oid catalog,
				   void (*build) (Snap *s, SGKeptRow *row, TupleDesc desc))
{
	Relation	rel = table_open(catalog, AccessShareLock);

	for (int i = 0; i < kept->n; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(s->rowcxt);

		CHECK_FOR_INTERRUPTS();
		build(s, &kept->rows[i], RelationGetDescr(rel));
		MemoryContextSwitchTo(old);
		MemoryContextReset(s->rowcxt);
	}
	table_close(rel, AccessShareLock);
	if (kept->rows)
		pfree(kept->rows);
	kept->rows = NULL;
	kept->n = kept->max = 0;
}

/* a kept row's object: hashed as built for fingerprint(), or kept */
static void
sg_add_kept_object(Snap *s, SGKeptRow *row, Oid classid, Oid objid,
				   StringInfo buf)
{
	SGObject   *obj;

	if (s->fingerprint_only)
	{
		sg_stream_object(s, row->type, row->identity, NULL, buf);
		return;
	}
	obj = sg_add_object(s, row->type, row->schema, row->identity, classid, objid, 0);
	sg_set_definition(s, obj, buf);
	obj->parent_type = row->parent_type;
	obj->parent_identity = row->parent_identity;
}

/* a pg_index row, kept for sg_build_index() */
static void
sg_keep_index_row(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
	SnapRel    *table = sg_included_rel(s, idx->indrelid);
	SnapRel    *irel;
	SGKeptRow  *row;

	if (table == NULL)
		return;
	irel = sg_rel(s, idx->indexrelid);
	if (irel == NULL)
		return;
	if (idx->indisreplident)
		table->replident_index = idx->indexrelid;
	row = sg_keep_row(s, &s->kept_indexes, tup);
	row->type = "index";
	row->schema = irel->nspname;
	row->identity = irel->qualified;
	row->parent_type = sg_relkind_type(table->relkind);
	row->parent_identity = table->qualified;
	row->rel = table;
}

static void
sg_build_index(Snap *s, SGKeptRow *row, TupleDesc desc)
{
	HeapTuple	tup = row->tup;
	Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
	SnapRel    *table = row->rel;
	SnapRel    *irel = sg_rel(s, idx->indexrelid);
	StringInfo	buf;
	char	   *pred;
	char	   *def = NULL;

	/* what the index's constraint, if any, needs */
	irel->index_read = true;
	irel->nulls_not_distinct = idx->indnullsnotdistinct;
	if (idx->indnatts > idx->indnkeyatts)
	{
		StringInfoData cols;

		initStringInfo(&cols);
		for (int k = idx->indnkeyatts; k < idx->indnatts; k++)
		{
			if (k > idx->indnkeyatts)
				appendStringInfoString(&cols, ", ");
			appendStringInfoString(&cols, sg_quote_ident(sg_attname(table, idx->indkey.values[k])));
		}
		irel->include_columns = sg_keep(s, cols.data);
	}
	if (table->attrs == NULL || irel->has_attoptions)
	{
		/* unusual: let the server's deparser do it */
		def = TextDatumGetCString(DirectFunctionCall1(pg_get_indexdef,
													  ObjectIdGetDatum(idx->indexrelid)));
	}

	buf = sg_def_begin(s);
	if (def)
		appendStringInfoString(buf, def);
	else
	{
		/* "CREATE [UNIQUE ]INDEX name ON [ONLY ]table USING am (" */
		appendStringInfoString(buf, idx->indisunique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
		appendStringInfoString(buf, sg_quote_ident(irel->relname));
		appendStringInfoString(buf, irel->relkind == RELKIND_PARTITIONED_INDEX ? " ON ONLY " : " ON ");
		appendStringInfoString(buf, table->qualified);
		appendStringInfoString(buf, " USING ");
		appendStringInfoString(buf, sg_am(s, irel->relam)->name);
		appendStringInfoString(buf, " (");
		sg_index_columns(s, buf, idx, tup, desc, table, irel, false);
		appendStringInfoChar(buf, ')');
		if (idx->indnullsnotdistinct)
			appendStringInfoString(buf, " NULLS NOT DISTINCT");
		if (irel->reloptions)
			appendStringInfo(buf, " WITH (%s)", irel->reloptions);
		pred = sg_text_attr(tup, Anum_pg_index_indpred, desc);
		if (pred)
		{
			appendStringInfoString(buf, " WHERE ");
			appendStringInfoString(buf, sg_expr(s, pred, table)->text);
		}
	}
	if (!idx->indisvalid)
		appendStringInfoString(buf, "\nINVALID");
	sg_relation_facets(s, buf, irel, OBJECT_INDEX);
	sg_add_kept_object(s, row, RelationRelationId, irel->relid, buf);
}

/* ----------------------------------------------------------------
 * Constraints
 * ----------------------------------------------------------------
 */

/* the columns of an int2[] column of a pg_constraint row, deformed */
static void
sg_column_list(StringInfo buf, SnapRel *rel, Datum *values, bool *nulls, int attnum)
{
	ArrayType  *arr;
	int16	   *keys;
	int			n;

	if (nulls[attnum - 1])
		return;
	arr = DatumGetArrayTypeP(values[attnum - 1]);
	if (ARR_NDIM(arr) != 1 || ARR_HASNULL(arr) || ARR_ELEMTYPE(arr) != INT2OID)
		elog(ERROR, "schemaguard: column %d of pg_constraint is not a one-dimensional smallint array",
			 attnum);
	n = ARR_DIMS(arr)[0];
	keys = (int16 *) ARR_DATA_PTR(arr);
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			appendStringInfoString(buf, ", ");
		appendStringInfoString(buf, sg_quote_ident(sg_attname(rel, keys[i])));
	}
}

static const char *
sg_fk_action(char action)
{
	switch (action)
	{
		case FKCONSTR_ACTION_RESTRICT:
			return "RESTRICT";
		case FKCONSTR_ACTION_CASCADE:
			return "CASCADE";
		case FKCONSTR_ACTION_SETNULL:
			return "SET NULL";
		case FKCONSTR_ACTION_SETDEFAULT:
			return "SET DEFAULT";
	}
	return NULL;
}

/*
 * A constraint definition built from the catalog row for the common kinds;
 * NULL for the others, which the server's deparser handles.
 */
static bool
sg_constraint_def(Snap *s, StringInfo buf, Form_pg_constraint con,
				  Datum *values, bool *nulls, SnapRel *rel)
{
	switch (con->contype)
	{
		case CONSTRAINT_PRIMARY:
		case CONSTRAINT_UNIQUE:
			{
				SnapRel    *irel = sg_rel(s, con->conindid);

				/* the index was read before: its row has the rest */
				if (rel == NULL || irel == NULL || irel->has_attoptions ||
					!irel->index_read || SG_CONSTRAINT_HAS_PERIOD(con))
					return false;
				/* as pg_get_constraintdef() spells it */
				appendStringInfoString(buf, con->contype == CONSTRAINT_PRIMARY ?
									   "PRIMARY KEY " : "UNIQUE ");
				if (irel->nulls_not_distinct)
					appendStringInfoString(buf, "NULLS NOT DISTINCT ");
				appendStringInfoChar(buf, '(');
				sg_column_list(buf, rel, values, nulls, Anum_pg_constraint_conkey);
				appendStringInfoChar(buf, ')');
				if (irel->include_columns)
				{
					appendStringInfoString(buf, " INCLUDE (");
					appendStringInfoString(buf, irel->include_columns);
					appendStringInfoChar(buf, ')');
				}
				if (irel->reloptions)
					appendStringInfo(buf, " WITH (%s)", irel->reloptions);
				break;
			}
		case CONSTRAINT_FOREIGN:
			{
				SnapRel    *frel = sg_rel(s, con->confrelid);
				const char *act;

				if (rel == NULL || SG_CONSTRAINT_HAS_PERIOD(con))
					return false;
				appendStringInfoString(buf, "FOREIGN KEY (");
				sg_column_list(buf, rel, values, nulls, Anum_pg_constraint_conkey);
				appendStringInfo(buf, ") REFERENCES %s(",
								 sg_rel_qualified(s, con->confrelid));
				if (frel && frel->attrs)
					sg_column_list(buf, frel, values, nulls, Anum_pg_constraint_confkey);
				else
					return false;
				appendStringInfoChar(buf, ')');
				if (con->confmatchtype == FKCONSTR_MATCH_FULL)
					appendStringInfoString(buf, " MATCH FULL");
				else if (con->confmatchtype == FKCONSTR_MATCH_PARTIAL)
					appendStringInfoString(buf, " MATCH PARTIAL");
				act = sg_fk_action(con->confupdtype);
				if (act)
					appendStringInfo(buf, " ON UPDATE %s", act);
				act = sg_fk_action(con->confdeltype);
				if (act)
				{
					appendStringInfo(buf, " ON DELETE %s", act);
					if (!nulls[Anum_pg_constraint_confdelsetcols - 1])
					{
						appendStringInfoString(buf, " (");
						sg_column_list(buf, rel, values, nulls, Anum_pg_constraint_confdelsetcols);
						appendStringInfoChar(buf, ')');
					}
				}
				break;
			}
		case CONSTRAINT_CHECK:
			{
				char	   *bin;

				if (nulls[Anum_pg_constraint_conbin - 1])
					return false;
				bin = TextDatumGetCString(values[Anum_pg_constraint_conbin - 1]);
				appendStringInfo(buf, "CHECK (%s)%s", sg_expr(s, bin, rel)->text,
								 con->connoinherit ? " NO INHERIT" : "");
				break;
			}
		default:
			return false;
	}
	if (con->condeferrable)
		appendStringInfoString(buf, " DEFERRABLE");
	if (con->condeferred)
		appendStringInfoString(buf, " INITIALLY DEFERRED");
	if (!con->convalidated)
		appendStringInfoString(buf, " NOT VALID");
	return true;
}

/* a pg_constraint row, kept for sg_build_constraint() */
static void
sg_keep_constraint_row(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
	SnapRel    *rel = NULL;
	const char *type;
	const char *owner_ident;
	const char *owner_type;
	const char *schema;
	SGKeptRow  *row;

	if (con->contype == CONSTRAINT_TRIGGER || SG_CONSTRAINT_IS_NOTNULL(con))
		return;
	if (OidIsValid(con->conrelid))
	{
		rel = sg_included_rel(s, con->conrelid);
		if (rel == NULL)
			return;
		type = "table constraint";
		owner_ident = rel->qualified;
		owner_type = sg_relkind_type(rel->relkind);
		schema = rel->nspname;
	}
	else if (OidIsValid(con->contypid))
	{
		SnapNsp    *nsp = sg_included_nsp(s, con->connamespace);

		if (nsp == NULL || sg_is_member(s, TypeRelationId, con->contypid))
			return;
		type = "domain constraint";
		owner_ident = sg_keep(s, format_type_be_qualified(con->contypid));
		owner_type = "type";
		schema = nsp->name;
	}
	else
		return;
	row = sg_keep_row(s, &s->kept_constraints, tup);
	row->type = type;
	row->schema = schema;
	row->identity = sg_keep_concat(s, sg_quote_ident(NameStr(con->conname)),
								   " on ", owner_ident);
	row->parent_type = owner_type;
	row->parent_identity = owner_ident;
	row->rel = rel;
}

static void
sg_build_constraint(Snap *s, SGKeptRow *row, TupleDesc desc)
{
	HeapTuple	tup = row->tup;
	Form_pg_constraint con = (Form_pg_constraint) GETSTRUCT(tup);
	StringInfo	buf;
	Datum		values[Natts_pg_constraint];
	bool		nulls[Natts_pg_constraint];

	/* one pass over the row: heap_getattr() would walk it for each array */
	heap_deform_tuple(tup, desc, values, nulls);
	buf = sg_def_begin(s);
	if (!sg_constraint_def(s, buf, con, values, nulls, row->rel))
	{
		char	   *def;

		def = TextDatumGetCString(DirectFunctionCall1(pg_get_constraintdef,
													  ObjectIdGetDatum(con->oid)));
		buf = sg_def_begin(s);
		appendStringInfoString(buf, def);
	}
	sg_facet_comment(s, buf, ConstraintRelationId, con->oid, 0);
	sg_add_kept_object(s, row, ConstraintRelationId, con->oid, buf);
}

/* ----------------------------------------------------------------
 * Functions, triggers, rules, policies, statistics objects
 * ----------------------------------------------------------------
 */

static const char *
sg_proc_name(Oid procid)
{
	return OidIsValid(procid) ? format_procedure_qualified(procid) : "-";
}

static void
sg_aggregate_definition(Snap *s, StringInfo buf, Oid aggfnoid)
{
	HeapTuple	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggfnoid));
	Form_pg_aggregate agg;
	bool		isnull;
	Datum		init;

	if (!HeapTupleIsValid(tup))
		return;
	agg = (Form_pg_aggregate) GETSTRUCT(tup);
	appendStringInfo(buf, " (SFUNC = %s, STYPE = %s",
					 sg_proc_name(agg->aggtransfn),
					 sg_type_name(s, agg->aggtranstype, -1));
	if (OidIsValid(agg->aggfinalfn))
		appendStringInfo(buf, ", FINALFUNC = %s", sg_proc_name(agg->aggfinalfn));
	if (OidIsValid(agg->aggcombinefn))
		appendStringInfo(buf, ", COMBINEFUNC = %s", sg_proc_name(agg->aggcombinefn));
	if (OidIsValid(agg->aggserialfn))
		appendStringInfo(buf, ", SERIALFUNC = %s", sg_proc_name(agg->aggserialfn));
	if (OidIsValid(agg->aggdeserialfn))
		appendStringInfo(buf, ", DESERIALFUNC = %s", sg_proc_name(agg->aggdeserialfn));
	if (OidIsValid(agg->aggmtransfn))
		appendStringInfo(buf, ", MSFUNC = %s, MINVFUNC = %s, MSTYPE = %s",
						 sg_proc_name(agg->aggmtransfn),
						 sg_proc_name(agg->aggminvtransfn),
						 sg_type_name(s, agg->aggmtranstype, -1));
	if (OidIsValid(agg->aggsortop))
		appendStringInfo(buf, ", SORTOP = %s", format_operator_qualified(agg->aggsortop));
	init = SysCacheGetAttr(AGGFNOID, tup, Anum_pg_aggregate_agginitval, &isnull);
	if (!isnull)
		appendStringInfo(buf, ", INITCOND = %s",
						 quote_literal_cstr(TextDatumGetCString(init)));
	appendStringInfo(buf, ", KIND = %c)", agg->aggkind);
	ReleaseSysCache(tup);
}

static void
sg_read_proc(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tup);
	SnapNsp    *nsp = sg_included_nsp(s, proc->pronamespace);
	ObjectAddress addr;
	const char *type;
	const char *identity;
	char	   *def = NULL;
	StringInfo	buf;
	SGObject   *obj;
	FormData_pg_depend dep;

	if (nsp == NULL || sg_is_member(s, ProcedureRelationId, proc->oid))
		return;
	/*
	 * Functions the server makes for another object (the constructors of a
	 * range type) depend on it internally; they belong to that object.
	 * Only built-in-language functions can be such.
	 */
	if (proc->prolang == INTERNALlanguageId &&
		sg_find_dependency(s, ProcedureRelationId, proc->oid, DEPENDENCY_INTERNAL,
						   DEPENDENCY_INTERNAL, InvalidOid, &dep))
		return;
	ObjectAddressSet(addr, ProcedureRelationId, proc->oid);
	type = proc->prokind == PROKIND_PROCEDURE ? "procedure" :
		proc->prokind == PROKIND_AGGREGATE ? "aggregate" : "function";
	identity = sg_keep(s, getObjectIdentity(&addr, false));
	if (proc->prokind != PROKIND_AGGREGATE)
		def = TextDatumGetCString(DirectFunctionCall1(pg_get_functiondef,
													  ObjectIdGetDatum(proc->oid)));
	buf = sg_def_begin(s);
	if (def)
	{
		/* pg_get_functiondef ends with a newline */
		int			len = strlen(def);

		while (len > 0 && def[len - 1] == '\n')
			def[--len] = '\0';
		appendStringInfoString(buf, def);
	}
	else
	{
		appendStringInfo(buf, "CREATE AGGREGATE %s", identity);
		sg_aggregate_definition(s, buf, proc->oid);
	}
	sg_facet_owner(s, buf, proc->proowner);
	sg_facet_privileges(s, buf, OBJECT_FUNCTION, proc->proowner,
						sg_acl_attr(s, tup, Anum_pg_proc_proacl, desc));
	sg_facet_comment(s, buf, ProcedureRelationId, proc->oid, 0);
	obj = sg_add_object(s, type, nsp->name, identity, ProcedureRelationId,
						proc->oid, 0);
	sg_set_definition(s, obj, buf);
}

/*
 * Add an object that belongs to a relation, named "<name> on <relation>"
 * (a trigger, rule or policy), with the definition in buf.
 */
static void
sg_add_relation_member(Snap *s, const char *type, SnapRel *rel,
					   const char *name, Oid classid, Oid objid, StringInfo buf)
{
	SGObject   *obj;

	obj = sg_add_object(s, type, rel->nspname,
						sg_keep_concat(s, sg_quote_ident(name), " on ", rel->qualified),
						classid, objid, 0);
	sg_set_definition(s, obj, buf);
	obj->parent_type = sg_relkind_type(rel->relkind);
	obj->parent_identity = rel->qualified;
}

static const char *
sg_enabled_word(char enabled)
{
	switch (enabled)
	{
		case TRIGGER_FIRES_ON_ORIGIN:
			return "ENABLED";
		case TRIGGER_DISABLED:
			return "DISABLED";
		case TRIGGER_FIRES_ON_REPLICA:
			return "ENABLED REPLICA";
		case TRIGGER_FIRES_ALWAYS:
			return "ENABLED ALWAYS";
	}
	return "?";
}

static void
sg_read_trigger(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_trigger trg = (Form_pg_trigger) GETSTRUCT(tup);
	SnapRel    *rel;
	char	   *def;
	StringInfo	buf;

	if (trg->tgisinternal)
		return;
	rel = sg_included_rel(s, trg->tgrelid);
	if (rel == NULL)
		return;
	def = TextDatumGetCString(DirectFunctionCall1(pg_get_triggerdef,
												  ObjectIdGetDatum(trg->oid)));
	buf = sg_def_begin(s);
	appendStringInfo(buf, "%s\n%s", def, sg_enabled_word(trg->tgenabled));
	sg_facet_comment(s, buf, TriggerRelationId, trg->oid, 0);
	sg_add_relation_member(s, "trigger", rel, NameStr(trg->tgname),
						   TriggerRelationId, trg->oid, buf);
}

/* a function's qualified name, without arguments */
static const char *
sg_function_name(Oid funcid)
{
	char	   *name = get_func_name(funcid);
	char	   *nsp = get_namespace_name(get_func_namespace(funcid));

	if (name == NULL || nsp == NULL)
		return psprintf("function %u", funcid);
	return quote_qualified_identifier(nsp, name);
}

static void
sg_read_event_trigger(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_event_trigger evt = (Form_pg_event_trigger) GETSTRUCT(tup);
	StringInfo	buf;
	SGObject   *obj;
	bool		isnull;
	Datum		tags;

	if (sg_is_member(s, EventTriggerRelationId, evt->oid))
		return;
	buf = sg_def_begin(s);
	appendStringInfo(buf, "CREATE EVENT TRIGGER %s ON %s",
					 sg_quote_ident(NameStr(evt->evtname)),
					 sg_quote_ident(NameStr(evt->evtevent)));
	tags = heap_getattr(tup, Anum_pg_event_trigger_evttags, desc, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(tags), TEXTOID, -1, false,
						  TYPALIGN_INT, &elems, NULL, &n);
		appendStringInfoString(buf, " WHEN TAG IN (");
		for (int i = 0; i < n; i++)
			appendStringInfo(buf, "%s%s", i ? ", " : "",
							 quote_literal_cstr(TextDatumGetCString(elems[i])));
		appendStringInfoChar(buf, ')');
	}
	appendStringInfo(buf, " EXECUTE FUNCTION %s()\n%s",
					 sg_function_name(evt->evtfoid),
					 sg_enabled_word(evt->evtenabled));
	sg_facet_owner(s, buf, evt->evtowner);
	sg_facet_comment(s, buf, EventTriggerRelationId, evt->oid, 0);
	obj = sg_add_object(s, "event trigger", NULL,
						sg_keep(s, sg_quote_ident(NameStr(evt->evtname))),
						EventTriggerRelationId, evt->oid, 0);
	sg_set_definition(s, obj, buf);
}

/*
 * Give the output columns of a view's query (and of every leaf of its set
 * operations) the view's column names, as pg_get_viewdef() does through
 * the view's tuple descriptor: they differ after ALTER VIEW ... RENAME
 * COLUMN.  False if a name is not known.
 */
static bool
sg_view_column_names(Query *query, SnapRel *view)
{
	int			colno = 0;
	ListCell   *lc;

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);

		if (tle->resjunk)
			continue;
		colno++;
		if (colno > view->natts)
			break;
		if (!view->attrs[colno - 1].present)
			return false;
		tle->resname = (char *) view->attrs[colno - 1].name;
	}
	if (query->setOperations)
	{
		List	   *pending = list_make1(query->setOperations);

		while (pending != NIL)
		{
			Node	   *op = linitial(pending);

			pending = list_delete_first(pending);
			if (IsA(op, SetOperationStmt))
			{
				pending = lappend(pending, ((SetOperationStmt *) op)->larg);
				pending = lappend(pending, ((SetOperationStmt *) op)->rarg);
			}
			else if (IsA(op, RangeTblRef))
			{
				RangeTblEntry *rte = rt_fetch(((RangeTblRef *) op)->rtindex,
											  query->rtable);

				if (rte->subquery == NULL ||
					!sg_view_column_names(rte->subquery, view))
					return false;
			}
			else
				return false;
		}
	}
	return true;
}

#if PG_VERSION_NUM < 160000

/*
 * Before PostgreSQL 16 a view's rule query starts its range table with two
 * entries for the view itself, OLD and NEW.  The deparser never prints
 * them, but it opens every relation of the range table: for these two
 * that builds the view's relation cache entry, which parses the rule once
 * more.  Turn them into entries that are not opened (RTE_RESULT) and keep
 * everything the deparser looks at: their place and count (columns are
 * prefixed with table names when there is more than one entry), and their
 * names "old" and "new" (another entry with such a name gets "_1").  A
 * VALUES view is left alone: the deparser prints it as a bare VALUES list
 * only when the other entries are relations.
 */
static void
sg_view_skip_old_new(Query *query, Oid viewid)
{
	RangeTblEntry *old_rte;
	RangeTblEntry *new_rte;
	ListCell   *lc;

	if (list_length(query->rtable) < 2)
		return;
	old_rte = linitial_node(RangeTblEntry, query->rtable);
	new_rte = lsecond_node(RangeTblEntry, query->rtable);
	if (old_rte->rtekind != RTE_RELATION || old_rte->relid != viewid ||
		old_rte->inFromCl || old_rte->alias == NULL ||
		strcmp(old_rte->alias->aliasname, "old") != 0 ||
		new_rte->rtekind != RTE_RELATION || new_rte->relid != viewid ||
		new_rte->inFromCl || new_rte->alias == NULL ||
		strcmp(new_rte->alias->aliasname, "new") != 0)
		return;
	foreach(lc, query->rtable)
	{
		if (lfirst_node(RangeTblEntry, lc)->rtekind == RTE_VALUES)
			return;
	}
	old_rte->rtekind = RTE_RESULT;
	old_rte->relid = InvalidOid;
	new_rte->rtekind = RTE_RESULT;
	new_rte->relid = InvalidOid;
}

#endif

/*
 * A view's query as pg_get_viewdef() prints it, from its _RETURN rule's
 * row: without pg_get_viewdef()'s SPI query and opening of the view.
 */
static void
sg_read_view_rule(Snap *s, SnapRel *rel, HeapTuple tup, TupleDesc desc)
{
	Form_pg_rewrite rw = (Form_pg_rewrite) GETSTRUCT(tup);
	char	   *qual;
	char	   *action;
	List	   *actions;
	Query	   *query;

	if (s->from_leader)
		sg_fetch_rel_attrs(s, rel);
	qual = sg_text_attr(tup, Anum_pg_rewrite_ev_qual, desc);
	action = sg_text_attr(tup, Anum_pg_rewrite_ev_action, desc);
	/* anything unusual is left to pg_get_viewdef() */
	if (rw->ev_type != '0' + CMD_SELECT || !rw->is_instead || qual == NULL ||
		strcmp(qual, "<>") != 0 || action == NULL)
		return;
	actions = (List *) stringToNode(action);
	if (list_length(actions) != 1)
		return;
	query = linitial_node(Query, actions);
	if (query->commandType != CMD_SELECT || !sg_view_column_names(query, rel))
		return;
#if PG_VERSION_NUM < 160000
	sg_view_skip_old_new(query, rw->ev_class);
#endif
	rel->viewdef = sg_keep(s, psprintf("%s;", pg_get_querydef(query, false)));
}

static void
sg_read_rewrite(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_rewrite rw = (Form_pg_rewrite) GETSTRUCT(tup);
	SnapRel    *rel;
	char	   *def;
	StringInfo	buf;

	rel = sg_included_rel(s, rw->ev_class);
	if (rel == NULL)
		return;
	if (strcmp(NameStr(rw->rulename), ViewSelectRuleName) == 0)
	{
		/* kept for whichever process builds the view (sg_build_views) */
		if (rel->attrs != NULL &&
			(rel->relkind == RELKIND_VIEW || rel->relkind == RELKIND_MATVIEW))
		{
			MemoryContext old = MemoryContextSwitchTo(s->cxt);

			rel->view_rule = heap_copytuple(tup);
			MemoryContextSwitchTo(old);
		}
		return;
	}
	/* the rules themselves are the worker's */
	if (!sg_emits(s, SG_PART_WORKER))
		return;
	def = TextDatumGetCString(DirectFunctionCall1(pg_get_ruledef,
												  ObjectIdGetDatum(rw->oid)));
	buf = sg_def_begin(s);
	appendStringInfo(buf, "%s\n%s", def, sg_enabled_word(rw->ev_enabled));
	sg_facet_comment(s, buf, RewriteRelationId, rw->oid, 0);
	sg_add_relation_member(s, "rule", rel, NameStr(rw->rulename),
						   RewriteRelationId, rw->oid, buf);
}

/*
 * The next view to build, or NULL when none is left.  With a worker the two
 * processes take turns through the counter in shared memory: whichever is
 * free builds the next one, so that they finish at about the same time
 * whatever the share of views in the schema.
 */
static SnapRel *
sg_next_view(Snap *s)
{
	uint32		i;

	if (s->view_counter != NULL)
		i = pg_atomic_fetch_add_u32(s->view_counter, 1);
	else
		i = s->next_view++;
	return i < (uint32) s->nviews ? s->views[i] : NULL;
}

/*
 * In the worker, once the leader builds views too: leave the rest to the
 * leader when the leader alone would build them in about the time the
 * worker takes to end (it frees its memory and unmaps what it mapped), so
 * that the two overlap instead of the leader waiting for the worker's end
 * after the last view.  The worker's own time per view measures the rest;
 * its time to start, its end.
 */
static bool
sg_worker_leaves_views(Snap *s)
{
	uint32		next;

	/* not while it waits for columns: it would only wait */
	if (s->leader_on_views == NULL || s->views_built == 0 || !s->attrs_complete ||
		pg_atomic_read_u32(s->leader_on_views) == 0)
		return false;
	next = pg_atomic_read_u32(s->view_counter);
	if (next >= (uint32) s->nviews)
		return true;
	return (s->nviews - next) * (s->views_us / s->views_built) <= s->end_cost_us;
}

static void sg_poll_worker(Snap *s);

/*
 * Build views until none is left or, with until_attrs, until all of the
 * leader's columns have come: the worker builds views while it waits for
 * the columns its indexes need.  Deparsing a view's query opens the
 * relations it reads, most of the cost of a view.
 */
static void
sg_build_views(Snap *s, bool until_attrs)
{
	Relation	rewrite = table_open(RewriteRelationId, AccessShareLock);
	SnapRel    *rel;

	while (!(until_attrs && sg_receive_attrs(s, false)) &&
		   !(s->part == SG_PART_WORKER && sg_worker_leaves_views(s)) &&
		   (rel = sg_next_view(s)) != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(s->rowcxt);
		TimestampTz start = GetCurrentTimestamp();

		CHECK_FOR_INTERRUPTS();
		/* the leader, with a worker, reads only the rules of its views */
		if (!s->rewrite_read)
			sg_scan_key(s, RewriteRelationId, RewriteRelRulenameIndexId,
						Anum_pg_rewrite_ev_class, rel->relid, sg_read_rewrite);
		if (rel->view_rule != NULL)
			sg_read_view_rule(s, rel, rel->view_rule, RelationGetDescr(rewrite));
		sg_emit_view(s, rel);
		MemoryContextSwitchTo(old);
		MemoryContextReset(s->rowcxt);
		s->views_us += GetCurrentTimestamp() - start;
		s->views_built++;
		sg_poll_worker(s);
	}
	table_close(rewrite, AccessShareLock);
}

static void
sg_read_policy(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_policy pol = (Form_pg_policy) GETSTRUCT(tup);
	SnapRel    *rel = sg_included_rel(s, pol->polrelid);
	StringInfo	buf;
	bool		isnull;
	Datum		roles;
	char	   *qual;
	char	   *check;
	const char *cmd;

	if (rel == NULL)
		return;
	switch (pol->polcmd)
	{
		case ACL_SELECT_CHR:
			cmd = "SELECT";
			break;
		case ACL_INSERT_CHR:
			cmd = "INSERT";
			break;
		case ACL_UPDATE_CHR:
			cmd = "UPDATE";
			break;
		case ACL_DELETE_CHR:
			cmd = "DELETE";
			break;
		default:
			cmd = "ALL";
			break;
	}
	qual = sg_text_attr(tup, Anum_pg_policy_polqual, desc);
	check = sg_text_attr(tup, Anum_pg_policy_polwithcheck, desc);
	buf = sg_def_begin(s);
	appendStringInfo(buf, "CREATE POLICY %s ON %s AS %s FOR %s TO ",
					 sg_quote_ident(NameStr(pol->polname)), rel->qualified,
					 pol->polpermissive ? "PERMISSIVE" : "RESTRICTIVE", cmd);
	roles = heap_getattr(tup, Anum_pg_policy_polroles, desc, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		int			n;
		char	  **names;

		deconstruct_array(DatumGetArrayTypeP(roles), OIDOID, sizeof(Oid), true,
						  TYPALIGN_INT, &elems, NULL, &n);
		names = palloc(sizeof(char *) * Max(n, 1));
		for (int i = 0; i < n; i++)
			names[i] = (char *) sg_role(DatumGetObjectId(elems[i]));
		qsort(names, n, sizeof(char *), sg_cstring_cmp);
		for (int i = 0; i < n; i++)
			appendStringInfo(buf, "%s%s", i ? ", " : "", names[i]);
	}
	if (qual)
		appendStringInfo(buf, " USING (%s)", sg_expr(s, qual, rel)->text);
	if (check)
		appendStringInfo(buf, " WITH CHECK (%s)", sg_expr(s, check, rel)->text);
	sg_facet_comment(s, buf, PolicyRelationId, pol->oid, 0);
	sg_add_relation_member(s, "policy", rel, NameStr(pol->polname),
						   PolicyRelationId, pol->oid, buf);
}

static void
sg_read_statistic_ext(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_statistic_ext st = (Form_pg_statistic_ext) GETSTRUCT(tup);
	SnapNsp    *nsp = sg_included_nsp(s, st->stxnamespace);
	SnapRel    *rel;
	StringInfo	buf;
	SGObject   *obj;
	char	   *def;
	const char *ident;
	int			target;

	if (nsp == NULL || sg_is_member(s, StatisticExtRelationId, st->oid))
		return;
	rel = sg_rel(s, st->stxrelid);
	def = pg_get_statisticsobjdef_string(st->oid);
	buf = sg_def_begin(s);
	appendStringInfoString(buf, def);
	target = SG_STXSTATTARGET(tup, desc);
	if (target >= 0)
		appendStringInfo(buf, "\nSTATISTICS %d", target);
	sg_facet_owner(s, buf, st->stxowner);
	sg_facet_comment(s, buf, StatisticExtRelationId, st->oid, 0);
	ident = sg_keep(s, quote_qualified_identifier(nsp->name, NameStr(st->stxname)));
	obj = sg_add_object(s, "statistics object", nsp->name, ident,
						StatisticExtRelationId, st->oid, 0);
	sg_set_definition(s, obj, buf);
	if (rel)
	{
		obj->parent_type = sg_relkind_type(rel->relkind);
		obj->parent_identity = rel->qualified;
	}
}

/* ----------------------------------------------------------------
 * Types, extensions, collations
 * ----------------------------------------------------------------
 */

static void
sg_range_definition(Snap *s, StringInfo buf, Oid typid)
{
	HeapTuple	tup = SearchSysCache1(RANGETYPE, ObjectIdGetDatum(typid));
	Form_pg_range rng;

	if (!HeapTupleIsValid(tup))
		return;
	rng = (Form_pg_range) GETSTRUCT(tup);
	appendStringInfo(buf, " AS RANGE (SUBTYPE = %s",
					 sg_type_name(s, rng->rngsubtype, -1));
	appendStringInfo(buf, ", SUBTYPE_OPCLASS = %s", generate_opclass_name(rng->rngsubopc));
	if (OidIsValid(rng->rngcollation))
		appendStringInfo(buf, ", COLLATION = %s", generate_collation_name(rng->rngcollation));
	if (OidIsValid(rng->rngcanonical))
		appendStringInfo(buf, ", CANONICAL = %s", sg_proc_name(rng->rngcanonical));
	if (OidIsValid(rng->rngsubdiff))
		appendStringInfo(buf, ", SUBTYPE_DIFF = %s", sg_proc_name(rng->rngsubdiff));
	if (OidIsValid(rng->rngmultitypid))
		appendStringInfo(buf, ", MULTIRANGE_TYPE_NAME = %s",
						 format_type_be_qualified(rng->rngmultitypid));
	appendStringInfoChar(buf, ')');
	ReleaseSysCache(tup);
}

/* enum labels in sort order */
static void
sg_enum_definition(Snap *s, StringInfo buf, Oid typid)
{
	Relation	rel = table_open(EnumRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		first = true;

	ScanKeyInit(&key, Anum_pg_enum_enumtypid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(typid));
	/* the (enumtypid, enumsortorder) index returns labels in order */
	scan = systable_beginscan(rel, EnumTypIdSortOrderIndexId, true, s->snapshot,
							  1, &key);
	appendStringInfoString(buf, " AS ENUM (");
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_enum e = (Form_pg_enum) GETSTRUCT(tup);

		appendStringInfo(buf, "%s%s", first ? "" : ", ",
						 quote_literal_cstr(NameStr(e->enumlabel)));
		first = false;
	}
	appendStringInfoChar(buf, ')');
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
sg_base_type_definition(Snap *s, StringInfo buf, Form_pg_type typ,
						HeapTuple tup, TupleDesc desc)
{
	char	   *def = sg_text_attr(tup, Anum_pg_type_typdefault, desc);

	appendStringInfo(buf, " (INPUT = %s, OUTPUT = %s, RECEIVE = %s, SEND = %s"
					 ", TYPMOD_IN = %s, TYPMOD_OUT = %s, ANALYZE = %s"
					 ", SUBSCRIPT = %s, INTERNALLENGTH = %d%s, ALIGNMENT = %c"
					 ", STORAGE = %c, CATEGORY = %s, PREFERRED = %s"
					 ", DELIMITER = %s, COLLATABLE = %s",
					 sg_proc_name(typ->typinput), sg_proc_name(typ->typoutput),
					 sg_proc_name(typ->typreceive), sg_proc_name(typ->typsend),
					 sg_proc_name(typ->typmodin), sg_proc_name(typ->typmodout),
					 sg_proc_name(typ->typanalyze), sg_proc_name(typ->typsubscript),
					 typ->typlen, typ->typbyval ? ", PASSEDBYVALUE" : "",
					 typ->typalign, typ->typstorage,
					 quote_literal_cstr(psprintf("%c", typ->typcategory)),
					 typ->typispreferred ? "true" : "false",
					 quote_literal_cstr(psprintf("%c", typ->typdelim)),
					 OidIsValid(typ->typcollation) ? "true" : "false");
	if (OidIsValid(typ->typelem))
		appendStringInfo(buf, ", ELEMENT = %s", sg_type_name(s, typ->typelem, -1));
	if (def)
		appendStringInfo(buf, ", DEFAULT = %s", quote_literal_cstr(def));
	appendStringInfoChar(buf, ')');
}

/*
 * A pg_type row.  The array type the server made for a type is left out;
 * it is the one its element type names as its array, which pg_type may
 * say only after the array's own row: true array types wait in
 * pending_arrays until pg_type has been read (sg_read_types).
 */
static void
sg_read_type(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_type typ = (Form_pg_type) GETSTRUCT(tup);
	SnapNsp    *nsp = sg_included_nsp(s, typ->typnamespace);
	StringInfo	buf;
	SGObject   *obj;
	const char *ident;

	if (nsp == NULL)
		return;
	/* an array type always lives in its element type's schema */
	if (OidIsValid(typ->typarray) && !s->arrays_known)
		sg_map_enter(s->auto_arrays, SG_KEY2(typ->typarray, typ->oid))->value = s;
	if (sg_is_member(s, TypeRelationId, typ->oid) || !typ->typisdefined)
		return;
	/* composite types come from pg_class; multiranges with their range */
	if (typ->typtype == TYPTYPE_COMPOSITE || typ->typtype == TYPTYPE_MULTIRANGE ||
		typ->typtype == TYPTYPE_PSEUDO)
		return;
	/* the array type the server made for another type */
	if (OidIsValid(typ->typelem) && IsTrueArrayType(typ))
	{
		if (!s->arrays_known)
		{
			MemoryContext old = MemoryContextSwitchTo(s->cxt);

			s->pending_arrays = lappend_oid(s->pending_arrays, typ->oid);
			s->pending_arrays = lappend_oid(s->pending_arrays, typ->typelem);
			MemoryContextSwitchTo(old);
			return;
		}
		if (sgmap_lookup(s->auto_arrays, SG_KEY2(typ->oid, typ->typelem)) != NULL)
			return;
	}

	ident = sg_keep(s, quote_qualified_identifier(nsp->name, NameStr(typ->typname)));
	buf = sg_def_begin(s);
	switch (typ->typtype)
	{
		case TYPTYPE_ENUM:
			appendStringInfo(buf, "CREATE TYPE %s", ident);
			sg_enum_definition(s, buf, typ->oid);
			break;
		case TYPTYPE_RANGE:
			appendStringInfo(buf, "CREATE TYPE %s", ident);
			sg_range_definition(s, buf, typ->oid);
			break;
		case TYPTYPE_DOMAIN:
			{
				TypeNameEntry *base = sg_type_entry(s, typ->typbasetype, typ->typtypmod);
				char	   *defbin = sg_text_attr(tup, Anum_pg_type_typdefaultbin, desc);

				appendStringInfo(buf, "CREATE DOMAIN %s AS %s", ident, base->name);
				if (OidIsValid(typ->typcollation) && typ->typcollation != base->typcollation)
					appendStringInfo(buf, " COLLATE %s", generate_collation_name(typ->typcollation));
				if (defbin)
					appendStringInfo(buf, " DEFAULT %s", sg_expr(s, defbin, NULL)->text);
				if (typ->typnotnull)
					appendStringInfoString(buf, " NOT NULL");
				break;
			}
		default:
			appendStringInfo(buf, "CREATE TYPE %s", ident);
			sg_base_type_definition(s, buf, typ, tup, desc);
			break;
	}
	sg_facet_owner(s, buf, typ->typowner);
	sg_facet_privileges(s, buf,
						typ->typtype == TYPTYPE_DOMAIN ? OBJECT_DOMAIN : OBJECT_TYPE,
						typ->typowner, sg_acl_attr(s, tup, Anum_pg_type_typacl, desc));
	sg_facet_comment(s, buf, TypeRelationId, typ->oid, 0);
	/* a domain is a "type" to the server's object addresses, as here */
	obj = sg_add_object(s, "type", nsp->name, ident, TypeRelationId, typ->oid, 0);
	sg_set_definition(s, obj, buf);
}

/* pg_type, then the array types that waited for the rest of it */
static void
sg_read_types(Snap *s)
{
	List	   *pending;

	sg_scan(s, TypeRelationId, sg_read_type);
	s->arrays_known = true;
	pending = s->pending_arrays;
	s->pending_arrays = NIL;
	for (int i = 0; i + 1 < list_length(pending); i += 2)
	{
		Oid			oid = list_nth_oid(pending, i);
		Oid			elem = list_nth_oid(pending, i + 1);

		/* most are: every table's row type has one */
		if (sgmap_lookup(s->auto_arrays, SG_KEY2(oid, elem)) == NULL)
			sg_scan_key(s, TypeRelationId, TypeOidIndexId, Anum_pg_type_oid,
						oid, sg_read_type);
	}
	list_free(pending);
}

static void
sg_read_extension(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_extension ext = (Form_pg_extension) GETSTRUCT(tup);
	SnapNsp    *nsp = sg_map_get(s->nsps, ext->extnamespace);
	char	   *version = sg_text_attr(tup, Anum_pg_extension_extversion, desc);
	StringInfo	buf = sg_def_begin(s);
	SGObject   *obj;

	appendStringInfo(buf, "CREATE EXTENSION %s VERSION %s SCHEMA %s",
					 sg_quote_ident(NameStr(ext->extname)),
					 quote_literal_cstr(version ? version : ""),
					 nsp ? sg_quote_ident(nsp->name) : "?");
	sg_facet_owner(s, buf, ext->extowner);
	sg_facet_comment(s, buf, ExtensionRelationId, ext->oid, 0);
	obj = sg_add_object(s, "extension", NULL,
						sg_keep(s, sg_quote_ident(NameStr(ext->extname))),
						ExtensionRelationId, ext->oid, 0);
	sg_set_definition(s, obj, buf);
}

static void
sg_read_collation(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_collation coll = (Form_pg_collation) GETSTRUCT(tup);
	SnapNsp    *nsp = sg_included_nsp(s, coll->collnamespace);
	StringInfo	buf;
	SGObject   *obj;
	const char *ident;
	char	   *collate;
	char	   *ctype;
	char	   *locale;

	if (nsp == NULL || sg_is_member(s, CollationRelationId, coll->oid))
		return;
	ident = sg_keep(s, quote_qualified_identifier(nsp->name, NameStr(coll->collname)));
	collate = sg_text_attr(tup, Anum_pg_collation_collcollate, desc);
	ctype = sg_text_attr(tup, Anum_pg_collation_collctype, desc);
	locale = sg_text_attr(tup, SG_ANUM_COLLATION_LOCALE, desc);
	buf = sg_def_begin(s);
	appendStringInfo(buf, "CREATE COLLATION %s (PROVIDER = %s", ident,
					 coll->collprovider == COLLPROVIDER_ICU ? "icu" :
					 coll->collprovider == COLLPROVIDER_LIBC ? "libc" : "default");
	if (collate)
		appendStringInfo(buf, ", LC_COLLATE = %s", quote_literal_cstr(collate));
	if (ctype)
		appendStringInfo(buf, ", LC_CTYPE = %s", quote_literal_cstr(ctype));
	if (locale)
		appendStringInfo(buf, ", LOCALE = %s", quote_literal_cstr(locale));
	appendStringInfo(buf, ", DETERMINISTIC = %s)",
					 coll->collisdeterministic ? "true" : "false");
	sg_facet_owner(s, buf, coll->collowner);
	sg_facet_comment(s, buf, CollationRelationId, coll->oid, 0);
	obj = sg_add_object(s, "collation", nsp->name, ident, CollationRelationId,
						coll->oid, 0);
	sg_set_definition(s, obj, buf);
}

/* ----------------------------------------------------------------
 * Taking the snapshot
 * ----------------------------------------------------------------
 */

/* settings that change how definitions print, pinned for the snapshot */
static const char *const sg_pinned_settings[][2] = {
	{"search_path", "pg_catalog, pg_temp"},
	{"DateStyle", "ISO, YMD"},
	{"IntervalStyle", "postgres"},
	{"TimeZone", "UTC"},
	{"extra_float_digits", "1"},
	{"bytea_output", "hex"},
	{"quote_all_identifiers", "off"},
	{"lc_monetary", "C"},
};

static int
sg_pin_settings(void)
{
	int			nestlevel = NewGUCNestLevel();

	for (int i = 0; i < lengthof(sg_pinned_settings); i++)
		(void) set_config_option(sg_pinned_settings[i][0], sg_pinned_settings[i][1],
								 superuser() ? PGC_SUSET : PGC_USERSET,
								 PGC_S_SESSION, GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/* the snapshot's state, before any catalog is read */
static void
sg_snap_init(Snap *s, int facets, int part)
{
	memset(s, 0, sizeof(Snap));
	s->facets = facets;
	s->part = part;
	s->cxt = CurrentMemoryContext;
	s->arena.cxt = s->cxt;
	s->scratch = AllocSetContextCreate(CurrentMemoryContext, "schemaguard snapshot scratch",
									   ALLOCSET_DEFAULT_SIZES);
	s->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "schemaguard snapshot row",
									  ALLOCSET_DEFAULT_SIZES);
	s->result = palloc0(sizeof(SGSnapshot));
	s->result->facets = facets;
	s->result->maxobjects = 1024;
	s->result->objects = palloc(sizeof(SGObject) * s->result->maxobjects);
	initStringInfo(&s->buf);

	s->nsps = sgmap_create(CurrentMemoryContext, 64, NULL);
	s->maxrels = 1024;
	s->rel_list = palloc(sizeof(SnapRel *) * s->maxrels);
	s->members = sgmap_create(CurrentMemoryContext, 1024, NULL);
	s->descriptions = sg_hash_create("schemaguard comments", sizeof(DescKey),
									 sizeof(DescEntry), 256);
	s->typenames = sgmap_create(CurrentMemoryContext, 256, NULL);
	s->opclasses = sgmap_create(CurrentMemoryContext, 64, NULL);
	s->ams = sgmap_create(CurrentMemoryContext, 16, NULL);
	s->exprs = sgmap_create(CurrentMemoryContext, 256, NULL);
	s->raw_exprs = sgmap_create(CurrentMemoryContext, 256, NULL);
	s->kept_texts = sgmap_create(CurrentMemoryContext, 256, NULL);
	s->inherits = sgmap_create(CurrentMemoryContext, 64, NULL);
	s->auto_arrays = sgmap_create(CurrentMemoryContext, 1024, NULL);
}

/* the lookup tables, no longer needed once the objects are built */
static void
sg_snap_free(Snap *s)
{
	sgmap_destroy(s->nsps);
	sgmap_destroy(s->members);
	hash_destroy(s->descriptions);
	sgmap_destroy(s->typenames);
	sgmap_destroy(s->opclasses);
	sgmap_destroy(s->ams);
	sgmap_destroy(s->exprs);
	sgmap_destroy(s->raw_exprs);
	sgmap_destroy(s->kept_texts);
	sgmap_destroy(s->inherits);
	sgmap_destroy(s->auto_arrays);
	if (s->rels)
		sgmap_destroy(s->rels);
	if (s->rel_index)
		pfree(s->rel_index);
	MemoryContextDelete(s->scratch);
	MemoryContextDelete(s->rowcxt);
	pfree(s->buf.data);
}


/* functions and procedures, triggers, types */
static void
sg_read_routines(Snap *s)
{
	sg_scan(s, ProcedureRelationId, sg_read_proc);
	sg_scan(s, TriggerRelationId, sg_read_trigger);
	sg_read_types(s);
}

/*
 * Read the catalogs and build this participant's objects (s->part): the
 * leader's or the worker's share, or all of them, except the views that
 * are left when it returns (sg_build_views).  With a worker the leader
 * builds schemas, tables and their columns, sequences and the rest; the
 * worker builds rules, indexes and constraints; routines, triggers and
 * types are the worker's when it sends its objects (worker_routines), else
 * the leader's; both build views, taking turns.  Both read the schemas;
 * only the leader scans pg_class and pg_attribute, and streams the worker
 * their rows and the columns it needs (sg_stream_class, sg_stream_attr),
 * while the worker reads and sorts the pg_index and pg_constraint rows it
 * will build from (sg_keep_row) and builds views, for which it reads each
 * view's columns through pg_attribute's index.
 */

static void
sg_snapshot_collect(Snap *s)
{
	bool		leader = sg_emits(s, SG_PART_LEADER);
	bool		worker = sg_emits(s, SG_PART_WORKER);

	sg_read_members(s);
	sg_scan(s, ExtensionRelationId, sg_read_own_schema);
	if (s->facets & SG_FACET_COMMENTS)
		sg_scan(s, DescriptionRelationId, sg_read_description);
	sg_scan(s, NamespaceRelationId, sg_read_namespace);
	if (s->from_leader)
		sg_receive_class(s);
	else
		sg_scan(s, RelationRelationId, sg_read_class);
	sg_stream_mark(s, 'K');
	sg_index_rels(s);
	if (!s->from_leader)
		sg_scan(s, AttributeRelationId, sg_read_attribute);
	sg_stream_mark(s, 'E');
	if (leader)
	{
		sg_scan(s, AttrDefaultRelationId, sg_read_attrdef);
		sg_scan(s, InheritsRelationId, sg_read_inherits);
		sg_flush_attrs(s);
	}
	if (worker)
	{
		/* rules, and each view's rule for its query */
		sg_scan(s, RewriteRelationId, sg_read_rewrite);
		s->rewrite_read = true;
		/*
		 * Indexes and constraints need the columns: read their rows now,
		 * in identity order, and build them once the columns are there.
		 */
		sg_scan(s, IndexRelationId, sg_keep_index_row);
		s->indexes_read = true;
		sg_sort_kept_rows(s, &s->kept_indexes);
		sg_scan(s, ConstraintRelationId, sg_keep_constraint_row);
		sg_sort_kept_rows(s, &s->kept_constraints);
		if (s->from_leader)
		{
			/* views while the leader streams the columns */
			sg_build_views(s, true);
			sg_receive_attrs(s, true);
		}
		/* constraints after their indexes, whose rows they read */
		sg_build_kept_rows(s, &s->kept_indexes, IndexRelationId, sg_build_index);
		sg_build_kept_rows(s, &s->kept_constraints, ConstraintRelationId,
						   sg_build_constraint);
		if (s->worker_routines)
			sg_read_routines(s);
	}
	if (leader)
	{
		sg_emit_relations(s);
		sg_flush_attrs(s);
		if (!s->worker_routines)
			sg_read_routines(s);
		sg_flush_attrs(s);
		sg_scan(s, SequenceRelationId, sg_read_sequence);
		sg_scan(s, EventTriggerRelationId, sg_read_event_trigger);
		sg_scan(s, PolicyRelationId, sg_read_policy);
		sg_scan(s, StatisticExtRelationId, sg_read_statistic_ext);
		sg_scan(s, ExtensionRelationId, sg_read_extension);
		sg_scan(s, CollationRelationId, sg_read_collation);
		sg_flush_attrs(s);
	}
}


/* ----------------------------------------------------------------
 * The parallel worker
 *
 * On a large schema most of the time goes into building definitions.
 * When a parallel worker is free, it builds the rules, indexes and
 * constraints (and, unless for fingerprint(), routines, triggers and types)
 * from the same catalog snapshot while the leader builds the rest (tables,
 * columns, ...); both build views, from a counter in shared memory.  The
 * worker sends its objects over a shared memory queue at its end; a second
 * queue brings it the pg_class rows and the columns the leader reads
 * (sg_stream_class, sg_stream_attr).  For fingerprint() the worker hashes
 * its own types and sends only their digests (sg_type_digests,
 * sg_stream_object), with its views as objects, and the leader combines
 * them with its own.  The result does not depend on
 * whether a worker ran: the same code builds each object either way.
 * ----------------------------------------------------------------
 */

#define SG_PKEY_SHARED		UINT64CONST(0x5347000000000001)
#define SG_PKEY_SNAPSHOT	UINT64CONST(0x5347000000000002)
#define SG_PKEY_QUEUE		UINT64CONST(0x5347000000000003)
#define SG_PKEY_ATTR_QUEUE	UINT64CONST(0x5347000000000004)
#define SG_QUEUE_SIZE		(1024 * 1024)
#define SG_ATTR_QUEUE_SIZE	(1024 * 1024)
#define SG_BATCH_SIZE		(64 * 1024)

typedef struct SGParallelShared
{
	int			facets;
	bool		fingerprint_only;
	bool		worker_routines;	/* Snap.worker_routines */
	pg_atomic_uint32 next_view; /* the next view to build (sg_next_view) */
	pg_atomic_uint32 leader_on_views;	/* sg_worker_leaves_views */
	TimestampTz launched;		/* when the leader launched the worker */
} SGParallelShared;

PGDLLEXPORT void sg_snapshot_worker_main(dsm_segment *seg, shm_toc *toc);

static void
sg_put_string(StringInfo buf, const char *str)
{
	int32		len = str ? (int32) strlen(str) : -1;

	appendBinaryStringInfo(buf, (const char *) &len, sizeof(len));
	if (str)
		appendBinaryStringInfo(buf, str, len);
}

static void
sg_put_object(StringInfo buf, const SGObject *obj)
{
	uint32		ids[3];

	ids[0] = obj->classid;
	ids[1] = obj->objid;
	ids[2] = (uint32) obj->objsubid;
	appendBinaryStringInfo(buf, (const char *) ids, sizeof(ids));
	sg_put_string(buf, obj->type);
	sg_put_string(buf, obj->schema);
	sg_put_string(buf, obj->identity);
	sg_put_string(buf, obj->definition);
	sg_put_string(buf, obj->parent_type);
	sg_put_string(buf, obj->parent_identity);
}

static bool
sg_send(shm_mq_handle *mqh, const char *data, Size len)
{
	/* the leader gone means it failed: stop quietly, it reports why */
	return shm_mq_send(mqh, len, data, false, true) == SHM_MQ_SUCCESS;
}

/*
 * In the worker, at its end: send its objects (only those of the view types
 * with views_only), in batches, which the leader takes as they come.
 */
static void
sg_send_objects(Snap *s, bool views_only)
{
	StringInfoData buf;

	if (s->mqh == NULL || s->leader_gone || s->nsent == s->result->nobjects)
		return;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, 'O');
	for (; s->nsent < s->result->nobjects; s->nsent++)
	{
		SGObject   *obj = &s->result->objects[s->nsent];

		if (views_only && !sg_is_view_type(obj->type))
			continue;
		sg_put_object(&buf, obj);
		if (buf.len >= SG_BATCH_SIZE)
		{
			if (!sg_send(s->mqh, buf.data, buf.len))
			{
				s->leader_gone = true;
				break;
			}
			resetStringInfo(&buf);
			appendStringInfoChar(&buf, 'O');
		}
	}
	if (buf.len > 1 && !s->leader_gone && !sg_send(s->mqh, buf.data, buf.len))
		s->leader_gone = true;
	pfree(buf.data);
}

/* the digests of the object types filter selects, in type order */
static SGTypeDigest *
sg_own_digests(Snap *s, SGTypeFilter filter, int *ntypes)
{
	int			n;
	SGObject  **sorted = sg_sorted_pointers(s->result->objects, s->result->nobjects,
											filter, &n);
	SGTypeDigest *d = sg_type_digests(sorted, n, ntypes);

	pfree(sorted);
	return d;
}

/*
 * In the worker, for fingerprint(): 'D' and the digests of its types (the
 * views it built are sent as objects, sg_send_objects).
 */
static void
sg_send_digests(Snap *s)
{
	StringInfoData buf;
	int			nd;
	SGTypeDigest *d;

	/* the types kept as objects, and those hashed as built */
	s->own_digests = sg_own_digests(s, SG_TYPES_NOT_VIEWS, &s->nown_digests);
	sg_end_streams(s);
	d = s->own_digests;
	nd = s->nown_digests;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, 'D');
	for (int i = 0; i < nd; i++)
	{
		int32		count = d[i].count;

		sg_put_string(&buf, d[i].type);
		appendBinaryStringInfo(&buf, (const char *) &count, sizeof(count));
		appendBinaryStringInfo(&buf, (const char *) d[i].digest, PG_SHA256_DIGEST_LENGTH);
	}
	if (!sg_send(s->mqh, buf.data, buf.len))
		s->leader_gone = true;
	pfree(buf.data);
}

/*
 * The worker: restores the leader's catalog snapshot, builds its share of
 * the objects and sends them in batches ('O' and objects) as it goes, then
 * 'E'.
 */
void
sg_snapshot_worker_main(dsm_segment *seg, shm_toc *toc)
{
	SGParallelShared *shared = shm_toc_lookup(toc, SG_PKEY_SHARED, false);
	char	   *snapspace = shm_toc_lookup(toc, SG_PKEY_SNAPSHOT, false);
	shm_mq	   *mq = shm_toc_lookup(toc, SG_PKEY_QUEUE, false);
	shm_mq	   *attr_mq = shm_toc_lookup(toc, SG_PKEY_ATTR_QUEUE, false);
	shm_mq_handle *mqh;
	Snap		s;

	/* its errors are the leader's to log (consistency.c) */
	sg_consistency_worker_start();

	shm_mq_set_sender(mq, MyProc);
	mqh = shm_mq_attach(mq, seg, NULL);
	shm_mq_set_receiver(attr_mq, MyProc);

	/* the settings were pinned by the leader and came with the worker */
	sg_snap_init(&s, shared->facets, SG_PART_WORKER);
	s.fingerprint_only = shared->fingerprint_only;
	s.worker_routines = shared->worker_routines;
	s.snapshot = RegisterSnapshot(RestoreSnapshot(snapspace));
	s.mqh = mqh;
	s.from_leader = true;
	s.attr_mqh = shm_mq_attach(attr_mq, seg, NULL);
	s.view_counter = &shared->next_view;
	s.leader_on_views = &shared->leader_on_views;
	/* about as long as it took to start */
	s.end_cost_us = Min(Max(GetCurrentTimestamp() - shared->launched, 0), 100000);
	sg_snapshot_collect(&s);
	if (s.fingerprint_only)
		sg_send_digests(&s);
	/* then views, with the leader, until none is left */
	sg_build_views(&s, false);
	sg_send_objects(&s, s.fingerprint_only);
	UnregisterSnapshot(s.snapshot);
	if (!s.leader_gone && sg_send(mqh, "E", 1))
		shm_mq_detach(mqh);
}

static void
sg_malformed_message(void)
{
	elog(ERROR, "schemaguard: malformed message from the snapshot worker");
}

/* one string of a worker's message, kept (NULL stays NULL) */
static const char *
sg_get_string(Snap *s, const char **p, const char *end, bool intern)
{
	int32		len;
	const char *str;

	if (end - *p < (long) sizeof(len))
		sg_malformed_message();
	memcpy(&len, *p, sizeof(len));
	*p += sizeof(len);
	if (len == -1)
		return NULL;
	if (len < 0 || end - *p < len)
		sg_malformed_message();
	/* type names repeat: one copy each, as in the leader's objects */
	str = intern ? sg_arena_intern(&s->arena, *p, len) : sg_keep_n(s, *p, len);
	*p += len;
	return str;
}

/* the objects of one 'O' message */
static void
sg_receive_objects(Snap *s, const char *data, Size len)
{
	const char *p = data + 1;
	const char *end = data + len;

	while (p < end)
	{
		uint32		ids[3];
		const char *type;
		const char *schema;
		const char *identity;
		SGObject   *obj;

		if (end - p < (long) sizeof(ids))
			sg_malformed_message();
		memcpy(ids, p, sizeof(ids));
		p += sizeof(ids);
		type = sg_get_string(s, &p, end, true);
		schema = sg_get_string(s, &p, end, false);
		identity = sg_get_string(s, &p, end, false);
		if (type == NULL || identity == NULL)
			sg_malformed_message();
		obj = sg_add_object(s, type, schema, identity, ids[0], ids[1], (int32) ids[2]);
		obj->definition = sg_get_string(s, &p, end, false);
		obj->parent_type = sg_get_string(s, &p, end, true);
		obj->parent_identity = sg_get_string(s, &p, end, false);
		if (obj->definition == NULL)
			sg_malformed_message();
	}
}

/* the worker's 'D' message: its object types' digests */
static void
sg_receive_digests(Snap *s, const char *data, Size len)
{
	const char *p = data + 1;
	const char *end = data + len;
	int			max = 16;

	if (s->have_worker_digests)
		sg_malformed_message();
	s->have_worker_digests = true;
	s->worker_digests = palloc(sizeof(SGTypeDigest) * max);
	while (p < end)
	{
		SGTypeDigest *d;
		int32		count;

		if (s->nworker_digests == max)
		{
			max *= 2;
			s->worker_digests = repalloc(s->worker_digests, sizeof(SGTypeDigest) * max);
		}
		d = &s->worker_digests[s->nworker_digests++];
		d->type = sg_get_string(s, &p, end, true);
		if (d->type == NULL || end - p < (long) (sizeof(count) + PG_SHA256_DIGEST_LENGTH))
			sg_malformed_message();
		memcpy(&count, p, sizeof(count));
		p += sizeof(count);
		if (count <= 0)
			sg_malformed_message();
		d->count = count;
		memcpy(d->digest, p, PG_SHA256_DIGEST_LENGTH);
		p += PG_SHA256_DIGEST_LENGTH;
	}
}

/*
 * Start a worker for the worker's share, if parallel query may use one
 * (max_parallel_workers_per_gather > 0) and one is free.  Returns NULL, and
 * leaves s->part alone, when the leader is to build everything.
 */
static ParallelContext *
sg_parallel_begin(Snap *s, shm_mq_handle **mqh)
{
	ParallelContext *pcxt;
	SGParallelShared *shared;
	Size		snapsize;
	char	   *snapspace;
	shm_mq	   *mq;
	shm_mq	   *attr_mq;
	Size		queue_size;

	if (max_parallel_workers_per_gather <= 0 || IsInParallelMode() ||
		!IsUnderPostmaster)
		return NULL;

	EnterParallelMode();
	pcxt = CreateParallelContext("schemaguard", "sg_snapshot_worker_main", 1);
	snapsize = EstimateSnapshotSpace(s->snapshot);
	shm_toc_estimate_chunk(&pcxt->estimator, sizeof(SGParallelShared));
	shm_toc_estimate_chunk(&pcxt->estimator, snapsize);
	/* the segment is allocated in full when created: no bigger than needed */
	queue_size = SG_QUEUE_SIZE;
	shm_toc_estimate_chunk(&pcxt->estimator, queue_size);
	shm_toc_estimate_chunk(&pcxt->estimator, SG_ATTR_QUEUE_SIZE);
	shm_toc_estimate_keys(&pcxt->estimator, 4);
	InitializeParallelDSM(pcxt);

	shared = shm_toc_allocate(pcxt->toc, sizeof(SGParallelShared));
	shared->facets = s->facets;
	shared->fingerprint_only = s->fingerprint_only;
	shared->worker_routines = !s->fingerprint_only;
	pg_atomic_init_u32(&shared->next_view, 0);
	pg_atomic_init_u32(&shared->leader_on_views, 0);
	shm_toc_insert(pcxt->toc, SG_PKEY_SHARED, shared);
	snapspace = shm_toc_allocate(pcxt->toc, snapsize);
	SerializeSnapshot(s->snapshot, snapspace);
	shm_toc_insert(pcxt->toc, SG_PKEY_SNAPSHOT, snapspace);
	mq = shm_mq_create(shm_toc_allocate(pcxt->toc, queue_size), queue_size);
	shm_toc_insert(pcxt->toc, SG_PKEY_QUEUE, mq);
	shm_mq_set_receiver(mq, MyProc);
	attr_mq = shm_mq_create(shm_toc_allocate(pcxt->toc, SG_ATTR_QUEUE_SIZE),
							SG_ATTR_QUEUE_SIZE);
	shm_toc_insert(pcxt->toc, SG_PKEY_ATTR_QUEUE, attr_mq);
	shm_mq_set_sender(attr_mq, MyProc);

	shared->launched = GetCurrentTimestamp();
	LaunchParallelWorkers(pcxt);
	if (pcxt->nworkers_launched == 0)
	{
		DestroyParallelContext(pcxt);
		ExitParallelMode();
		return NULL;
	}
	*mqh = shm_mq_attach(mq, pcxt->seg, pcxt->worker[0].bgwhandle);
	s->attr_mqh = shm_mq_attach(attr_mq, pcxt->seg, pcxt->worker[0].bgwhandle);
	s->part = SG_PART_LEADER;
	s->worker_routines = shared->worker_routines;
	s->view_counter = &shared->next_view;
	s->leader_on_views = &shared->leader_on_views;
	elog(DEBUG1, "schemaguard: the snapshot is built with a parallel worker");
	return pcxt;
}

/*
 * One message from the worker: 1 when one was taken, 0 when nowait and
 * none is there, -1 when the worker has detached (after its 'E').
 */
static int
sg_receive_worker(Snap *s, bool nowait)
{
	Size		len;
	void	   *data;
	shm_mq_result res = shm_mq_receive(s->worker_mqh, &len, &data, nowait);

	if (res == SHM_MQ_WOULD_BLOCK)
		return 0;
	if (res != SHM_MQ_SUCCESS)
		return -1;
	if (len >= 1 && ((char *) data)[0] == 'O')
		sg_receive_objects(s, data, len);
	else if (len >= 1 && ((char *) data)[0] == 'D' && s->fingerprint_only)
		sg_receive_digests(s, data, len);
	else if (len == 1 && ((char *) data)[0] == 'E')
		s->worker_complete = true;
	else
		sg_malformed_message();
	return 1;
}

/*
 * In the leader: send the column batches still waiting, and take what the
 * worker has sent, without waiting on either queue: neither needs to hold
 * all of it.
 */
static void
sg_poll_worker(Snap *s)
{
	sg_flush_attrs(s);
	if (s->worker_mqh != NULL)
		while (sg_receive_worker(s, true) > 0)
			;
}

/* take the worker's objects, and its error if it failed */
static void
sg_parallel_end(Snap *s, ParallelContext *pcxt, shm_mq_handle *mqh)
{
	for (;;)
	{
		int			res;

		/*
		 * While column batches wait for room in their queue, do not block
		 * on either queue: the worker may be waiting for us to take its
		 * objects before it reads the columns.
		 */
		sg_flush_attrs(s);
		res = sg_receive_worker(s, s->attr_pending != NIL);
		if (res == 0)
		{
			(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_EXIT_ON_PM_DEATH, -1,
							 PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
			CHECK_FOR_INTERRUPTS();
			continue;
		}
		if (res < 0)
			break;
	}
	/* raises the worker's error, if it had one */
	WaitForParallelWorkersToFinish(pcxt);
	if (!s->worker_complete || (s->fingerprint_only && !s->have_worker_digests))
		elog(ERROR, "schemaguard: the snapshot worker ended without sending its objects");
	s->worker_mqh = NULL;
	shm_mq_detach(mqh);
	if (s->attr_mqh)
		shm_mq_detach(s->attr_mqh);
	s->attr_mqh = NULL;
	s->view_counter = NULL;
	s->leader_on_views = NULL;
	DestroyParallelContext(pcxt);
	ExitParallelMode();
}

/* sg_poll_worker() for the caller's work (SGLeaderWork) */
static void
sg_poll_worker_cb(void *poll_arg)
{
	sg_poll_worker((Snap *) poll_arg);
}

/*
 * Read the catalogs into s, with a parallel worker if one is free: all
 * objects, or for fingerprint() this process's objects and the digests of
 * the worker's object types.
 */
static void
sg_snapshot_build(Snap *s, int facets, bool fingerprint_only,
				  SGLeaderWork work, void *work_arg)
{
	int			nestlevel;
	ParallelContext *pcxt;
	shm_mq_handle *mqh = NULL;

	sg_snap_init(s, facets, SG_PART_ALL);
	s->fingerprint_only = fingerprint_only;
	/* before parallel mode: a worker inherits the settings */
	nestlevel = sg_pin_settings();

	/* one catalog snapshot for every catalog read, the worker's too */
	s->snapshot = RegisterSnapshot(GetCatalogSnapshot(RelationRelationId));

	pcxt = sg_parallel_begin(s, &mqh);
	s->worker_mqh = mqh;
	sg_snapshot_collect(s);
	/* the caller's work while the worker is busy: it takes more views */
	if (work)
	{
		sg_poll_worker(s);
		work(work_arg, sg_poll_worker_cb, s);
	}
	if (s->leader_on_views)
		pg_atomic_write_u32(s->leader_on_views, 1);
	if (fingerprint_only && pcxt)
	{
		sg_build_views(s, false);
		/* the leader's digests while the worker ends */
		s->own_digests = sg_own_digests(s, SG_TYPES_NOT_VIEWS, &s->nown_digests);
		sg_end_streams(s);
		sg_parallel_end(s, pcxt, mqh);
		/* the views: the leader's and the worker's */
		s->view_digests = sg_own_digests(s, SG_TYPES_VIEWS, &s->nview_digests);
	}
	else
	{
		sg_build_views(s, false);
		if (pcxt)
			sg_parallel_end(s, pcxt, mqh);
		if (fingerprint_only)
		{
			s->own_digests = sg_own_digests(s, SG_TYPES_ALL, &s->nown_digests);
			sg_end_streams(s);
		}
	}

	UnregisterSnapshot(s->snapshot);
	AtEOXact_GUC(true, nestlevel);
}

/*
 * All objects, sorted.  work, if not NULL, is called while a worker builds
 * its share, after the catalogs are read.  One attempt: consistency.c
 * repeats it until it describes one state of the schema.
 */
SGSnapshot *
sg_snapshot_take_once(int facets, SGLeaderWork work, void *work_arg)
{
	Snap		s;
	SGSnapshot *result;

	sg_snapshot_build(&s, facets, false, work, work_arg);
	result = s.result;
	sg_snapshot_sort(result->objects, result->nobjects);
	sg_snap_free(&s);
	return result;
}

static int
sg_type_digest_cmp(const void *a, const void *b)
{
	return strcmp(((const SGTypeDigest *) a)->type, ((const SGTypeDigest *) b)->type);
}

/*
 * fingerprint(): the same value as sg_fingerprint_of() on the snapshot's
 * objects, but a worker sorts and hashes the object types it builds and
 * sends only their digests (and the views it built, which the leader hashes
 * with its own).
 */
char *
sg_snapshot_fingerprint_once(int facets)
{
	Snap		s;
	SGTypeDigest *all;
	int			nall;
	char	   *result;

	sg_snapshot_build(&s, facets, true, NULL, NULL);
	nall = s.nown_digests + s.nworker_digests + s.nview_digests;
	all = palloc(sizeof(SGTypeDigest) * Max(nall, 1));
	if (s.nown_digests > 0)
		memcpy(all, s.own_digests, sizeof(SGTypeDigest) * s.nown_digests);
	if (s.nworker_digests > 0)
		memcpy(all + s.nown_digests, s.worker_digests,
			   sizeof(SGTypeDigest) * s.nworker_digests);
	if (s.nview_digests > 0)
		memcpy(all + s.nown_digests + s.nworker_digests, s.view_digests,
			   sizeof(SGTypeDigest) * s.nview_digests);
	/* in type order; each type's digest comes from one list only */
	qsort(all, nall, sizeof(SGTypeDigest), sg_type_digest_cmp);
	for (int i = 1; i < nall; i++)
		if (strcmp(all[i - 1].type, all[i].type) == 0)
			elog(ERROR, "schemaguard: objects of type \"%s\" were hashed twice",
				 all[i].type);
	result = sg_fingerprint_of_digests(all, nall, facets);
	sg_snap_free(&s);
	return result;
}
