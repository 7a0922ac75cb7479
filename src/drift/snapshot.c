/*-------------------------------------------------------------------------
 *
 * snapshot.c
 *		The snapshot's assembly and hashing: pinning the settings, reading
 *		the catalogs in order, sorting the objects, checksums and the fingerprint.
 *
 * Part of the schema snapshot behind drift detection; the design is in
 * drift_int.h and in docs/drift.md, "How the snapshot is built".
 *
 *-------------------------------------------------------------------------
 */
#include "drift_int.h"

/* ----------------------------------------------------------------
 * Checksums
 * ----------------------------------------------------------------
 */

/* "sha256:<hex>" of a digest */
/* "sha256:<hex>" of a digest, into out[SG_CHECKSUM_LEN + 1] */
static void
sg_checksum_write(const uint8 *digest, char *out)
{
	memcpy(out, "sha256:", 7);
	hex_encode((const char *) digest, PG_SHA256_DIGEST_LENGTH, out + 7);
	out[SG_CHECKSUM_LEN] = '\0';
}

static char *
sg_checksum_text(const uint8 *digest)
{
	char	   *out = palloc(SG_CHECKSUM_LEN + 1);

	sg_checksum_write(digest, out);
	return out;
}

/*
 * "sha256:<hex>" of the UTF-8 bytes of a server-encoded string, into
 * out[SG_CHECKSUM_LEN + 1]
 */
void
sg_checksum_into(const char *data, size_t len, char *out)
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
	if (utf8 != data)
		pfree((char *) utf8);
	sg_checksum_write(digest, out);
}

/* the same, palloc'd */
char *
sg_sha256_of(const char *data, size_t len)
{
	char	   *out = palloc(SG_CHECKSUM_LEN + 1);

	sg_checksum_into(data, len, out);
	return out;
}

const char *
sg_object_checksum(SGObject *obj)
{
	if (obj->checksum == NULL)
		obj->checksum = sg_sha256_of(obj->definition, strlen(obj->definition));
	return obj->checksum;
}


void
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

void
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
void
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

void
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
SGTypeDigest *
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

/*
 * Strings to sort share long prefixes ("public.t"): each item's key is the
 * 8 bytes after the prefix all share, big-endian, so that most comparisons
 * are one integer comparison (the server's abbreviated keys, in short).
 */
static int
sg_sort_item_cmp(const void *a, const void *b)
{
	const SGSortItem *x = a;
	const SGSortItem *y = b;
	int			c;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	c = strcmp(x->str, y->str);
	if (c != 0)
		return c;
	/* equal strings keep their order */
	return (x->pos > y->pos) - (x->pos < y->pos);
}

/* Sort items by their strings, as strcmp() orders them. */
void
sg_sort_strings(SGSortItem *items, int n)
{
	size_t		prefix;

	if (n < 2)
		return;
	prefix = strlen(items[0].str);
	for (int i = 1; i < n && prefix > 0; i++)
	{
		size_t		k = 0;

		while (k < prefix && items[i].str[k] == items[0].str[k])
			k++;
		prefix = k;
	}
	for (int i = 0; i < n; i++)
	{
		const unsigned char *p = (const unsigned char *) items[i].str + prefix;
		uint64		key = 0;

		/* unsigned bytes, 0 after the end: strcmp()'s order */
		for (int k = 0; k < 8 && p[k] != '\0'; k++)
			key |= (uint64) p[k] << (8 * (7 - k));
		items[i].key = key;
		items[i].pos = i;
	}
	qsort(items, n, sizeof(SGSortItem), sg_sort_item_cmp);
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
			items = palloc_extended(sizeof(SGSortItem) * n, MCXT_ALLOC_HUGE);
			for (int k = 0; k < n; k++)
			{
				items[k].str = objs[k]->identity;
				items[k].ptr = objs[k];
			}
			sg_sort_strings(items, n);
			for (int k = 0; k < n; k++)
				objs[k] = items[k].ptr;
			pfree(items);
			return;
		}
	}
}


/* the object types both processes build (sg_build_views) */
bool
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
SGObject **
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
void
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

	s->cat.nsps = sgmap_create(CurrentMemoryContext, 64, NULL);
	s->cat.maxrels = 1024;
	s->cat.rel_list = palloc(sizeof(SnapRel *) * s->cat.maxrels);
	s->cat.members = sgmap_create(CurrentMemoryContext, 1024, NULL);
	s->cat.descriptions = sg_hash_create("schemaguard comments", sizeof(DescKey),
									 sizeof(DescEntry), 256);
	s->cat.typenames = sgmap_create(CurrentMemoryContext, 256, NULL);
	s->cat.opclasses = sgmap_create(CurrentMemoryContext, 64, NULL);
	s->cat.ams = sgmap_create(CurrentMemoryContext, 16, NULL);
	s->memo.exprs = sgmap_create(CurrentMemoryContext, 256, NULL);
	s->memo.raw_exprs = sgmap_create(CurrentMemoryContext, 256, NULL);
	s->memo.kept_texts = sgmap_create(CurrentMemoryContext, 256, NULL);
	s->cat.inherits = sgmap_create(CurrentMemoryContext, 64, NULL);
	s->cat.auto_arrays = sgmap_create(CurrentMemoryContext, 1024, NULL);
}

/* the lookup tables, no longer needed once the objects are built */
static void
sg_snap_free(Snap *s)
{
	sgmap_destroy(s->cat.nsps);
	sgmap_destroy(s->cat.members);
	hash_destroy(s->cat.descriptions);
	sgmap_destroy(s->cat.typenames);
	sgmap_destroy(s->cat.opclasses);
	sgmap_destroy(s->cat.ams);
	sgmap_destroy(s->memo.exprs);
	sgmap_destroy(s->memo.raw_exprs);
	sgmap_destroy(s->memo.kept_texts);
	sgmap_destroy(s->cat.inherits);
	sgmap_destroy(s->cat.auto_arrays);
	if (s->cat.rels)
		sgmap_destroy(s->cat.rels);
	if (s->cat.rel_index)
		pfree(s->cat.rel_index);
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

void
sg_snapshot_collect(Snap *s)
{
	bool		leader = sg_emits(s, SG_PART_LEADER);
	bool		worker = sg_emits(s, SG_PART_WORKER);

	sg_read_members(s);
	sg_scan(s, ExtensionRelationId, sg_read_own_schema);
	if (s->facets & SG_FACET_COMMENTS)
		sg_scan(s, DescriptionRelationId, sg_read_description);
	sg_scan(s, NamespaceRelationId, sg_read_namespace);
	if (s->par.from_leader)
		sg_receive_class(s);
	else
		sg_scan(s, RelationRelationId, sg_read_class);
	sg_stream_mark(s, 'K');
	sg_index_rels(s);
	if (!s->par.from_leader)
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
		s->kept.rewrite_read = true;
		/*
		 * Indexes and constraints need the columns: read their rows now,
		 * in identity order, and build them once the columns are there.
		 */
		sg_scan(s, IndexRelationId, sg_keep_index_row);
		s->kept.indexes_read = true;
		sg_sort_kept_rows(s, &s->kept.kept_indexes);
		sg_scan(s, ConstraintRelationId, sg_keep_constraint_row);
		sg_sort_kept_rows(s, &s->kept.kept_constraints);
		if (s->par.from_leader)
		{
			/* views while the leader streams the columns */
			sg_build_views(s, true);
			sg_receive_attrs(s, true);
		}
		/* constraints after their indexes, whose rows they read */
		sg_build_kept_rows(s, &s->kept.kept_indexes, IndexRelationId, sg_build_index);
		sg_build_kept_rows(s, &s->kept.kept_constraints, ConstraintRelationId,
						   sg_build_constraint);
		if (s->par.worker_routines)
			sg_read_routines(s);
	}
	if (leader)
	{
		sg_emit_relations(s);
		sg_flush_attrs(s);
		if (!s->par.worker_routines)
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
	s->fp.fingerprint_only = fingerprint_only;
	/* before parallel mode: a worker inherits the settings */
	nestlevel = sg_pin_settings();

	/* one catalog snapshot for every catalog read, the worker's too */
	s->snapshot = RegisterSnapshot(GetCatalogSnapshot(RelationRelationId));

	pcxt = sg_parallel_begin(s, &mqh);
	s->par.worker_mqh = mqh;
	sg_snapshot_collect(s);
	/* the caller's work while the worker is busy: it takes more views */
	if (work)
	{
		sg_poll_worker(s);
		work(work_arg, sg_poll_worker_cb, s);
	}
	if (s->views.leader_on_views)
		pg_atomic_write_u32(s->views.leader_on_views, 1);
	if (fingerprint_only && pcxt)
	{
		sg_build_views(s, false);
		/* the leader's digests while the worker ends */
		s->fp.own_digests = sg_own_digests(s, SG_TYPES_NOT_VIEWS, &s->fp.nown_digests);
		sg_end_streams(s);
		sg_parallel_end(s, pcxt, mqh);
		/* the views: the leader's and the worker's */
		s->fp.view_digests = sg_own_digests(s, SG_TYPES_VIEWS, &s->fp.nview_digests);
	}
	else
	{
		sg_build_views(s, false);
		if (pcxt)
			sg_parallel_end(s, pcxt, mqh);
		if (fingerprint_only)
		{
			s->fp.own_digests = sg_own_digests(s, SG_TYPES_ALL, &s->fp.nown_digests);
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
	nall = s.fp.nown_digests + s.fp.nworker_digests + s.fp.nview_digests;
	all = palloc(sizeof(SGTypeDigest) * Max(nall, 1));
	if (s.fp.nown_digests > 0)
		memcpy(all, s.fp.own_digests, sizeof(SGTypeDigest) * s.fp.nown_digests);
	if (s.fp.nworker_digests > 0)
		memcpy(all + s.fp.nown_digests, s.fp.worker_digests,
			   sizeof(SGTypeDigest) * s.fp.nworker_digests);
	if (s.fp.nview_digests > 0)
		memcpy(all + s.fp.nown_digests + s.fp.nworker_digests, s.fp.view_digests,
			   sizeof(SGTypeDigest) * s.fp.nview_digests);
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
