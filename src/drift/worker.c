/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The parallel worker and its message protocol.
 *
 * With a free parallel worker, the snapshot is built by two processes from
 * one catalog snapshot (the leader's, restored in the worker): the worker
 * builds rules, indexes and constraints (and, except for fingerprint(),
 * routines, triggers and types), the leader everything else; both build
 * views, taking the next one from a counter in shared memory.  Who builds
 * what is Snap.part (SG_PART_*, drift_int.h); the same code builds an
 * object in either process, so the result does not depend on whether a
 * worker ran.
 *
 * Shared memory (a DSM segment, shm_toc keys SG_PKEY_*):
 *   SGParallelShared   facets, fingerprint_only, worker_routines, the view
 *                      counter, leader_on_views, the launch time
 *   the serialized catalog snapshot
 *   two shm_mq queues of 1MB each
 *
 * Queue 1, leader -> worker, "the catalog stream" (attr_mqh), batches of
 * about 64kB that the leader never waits to send (attr_pending):
 *   'C' + pg_class tuples   (length-prefixed HeapTuple data), then
 *   'K'                     the end of pg_class;
 *   'A' + SGAttrRecord's    (relid, type, collation, attnum, name) of the
 *                           columns indexes and constraints need (attnum 0:
 *                           the index has opclass options), then
 *   'E'                     the end of the stream.
 * The worker reads pg_class and pg_attribute only from this stream.
 *
 * Queue 2, worker -> leader (mqh / worker_mqh):
 *   'O' + objects           a batch of SGObjects (classid, objid, subid,
 *                           then type, schema, identity, definition,
 *                           parent type and identity as int32-length-
 *                           prefixed strings, -1 for NULL);
 *   'D' + digests           fingerprint() only: the per-type digests of the
 *                           worker's object types (it sends views as 'O');
 *   'E'                     the worker is done.
 *
 * The leader takes what is on queue 2 after each view it builds, while the
 * caller's own work runs (drift() reading the baseline; sg_poll_worker),
 * and then until the worker's 'E' (sg_parallel_end).
 *
 * Part of the schema snapshot behind drift detection; the design is in
 * drift_int.h and in docs/drift.md, "How the snapshot is built".
 *
 *-------------------------------------------------------------------------
 */
#include "drift_int.h"
#include "consistency.h"

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
void
sg_flush_attrs(Snap *s)
{
	while (s->par.attr_pending != NIL && s->par.attr_mqh != NULL)
	{
		StringInfo	batch = linitial(s->par.attr_pending);
		shm_mq_result res = shm_mq_send(s->par.attr_mqh, batch->len, batch->data,
										true, true);

		if (res == SHM_MQ_WOULD_BLOCK)
			return;
		if (res != SHM_MQ_SUCCESS)
		{
			/* the worker is gone: its error, if any, comes at the end */
			s->par.attr_mqh = NULL;
			s->par.attr_pending = NIL;
			return;
		}
		s->par.attr_pending = list_delete_first(s->par.attr_pending);
		pfree(batch->data);
		pfree(batch);
	}
}

static void
sg_queue_attr_batch(Snap *s)
{
	MemoryContext old = MemoryContextSwitchTo(s->cxt);

	s->par.attr_pending = lappend(s->par.attr_pending, s->par.attr_batch);
	s->par.attr_batch = NULL;
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

	if (s->par.attr_mqh == NULL || s->par.from_leader)
		return NULL;
	if (s->par.attr_batch != NULL && s->par.attr_batch->data[0] == kind)
		return s->par.attr_batch;
	if (s->par.attr_batch != NULL)
		sg_queue_attr_batch(s);
	old = MemoryContextSwitchTo(s->cxt);
	s->par.attr_batch = makeStringInfo();
	enlargeStringInfo(s->par.attr_batch, SG_ATTR_BATCH_SIZE + 256);
	appendStringInfoChar(s->par.attr_batch, kind);
	MemoryContextSwitchTo(old);
	return s->par.attr_batch;
}

/* a one-byte message: the end of pg_class ('K') or of the stream ('E') */
void
sg_stream_mark(Snap *s, char mark)
{
	MemoryContext old;

	if (s->par.attr_mqh == NULL || s->par.from_leader)
		return;
	if (s->par.attr_batch != NULL)
		sg_queue_attr_batch(s);
	old = MemoryContextSwitchTo(s->cxt);
	s->par.attr_batch = makeStringInfo();
	appendStringInfoChar(s->par.attr_batch, mark);
	MemoryContextSwitchTo(old);
	sg_queue_attr_batch(s);
}

/* a pg_class row for the worker: its length, then the row */
void
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

void
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
	shm_mq_result res = shm_mq_receive(s->par.attr_mqh, &len, &data, !wait);

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
void
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
bool
sg_receive_attrs(Snap *s, bool wait)
{
	while (!s->par.attrs_complete)
	{
		const char *p;
		const char *end;
		char		kind = sg_receive_stream(s, wait, 'E', 'A', &p, &end);

		if (kind == 0)
			return false;
		if (kind == 'E')
		{
			s->par.attrs_complete = true;
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

	if (s->par.mqh == NULL || s->par.leader_gone || s->par.nsent == s->result->nobjects)
		return;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, 'O');
	for (; s->par.nsent < s->result->nobjects; s->par.nsent++)
	{
		SGObject   *obj = &s->result->objects[s->par.nsent];

		if (views_only && !sg_is_view_type(obj->type))
			continue;
		sg_put_object(&buf, obj);
		if (buf.len >= SG_BATCH_SIZE)
		{
			if (!sg_send(s->par.mqh, buf.data, buf.len))
			{
				s->par.leader_gone = true;
				break;
			}
			resetStringInfo(&buf);
			appendStringInfoChar(&buf, 'O');
		}
	}
	if (buf.len > 1 && !s->par.leader_gone && !sg_send(s->par.mqh, buf.data, buf.len))
		s->par.leader_gone = true;
	pfree(buf.data);
}

/* the digests of the object types filter selects, in type order */
SGTypeDigest *
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
	s->fp.own_digests = sg_own_digests(s, SG_TYPES_NOT_VIEWS, &s->fp.nown_digests);
	sg_end_streams(s);
	d = s->fp.own_digests;
	nd = s->fp.nown_digests;
	initStringInfo(&buf);
	appendStringInfoChar(&buf, 'D');
	for (int i = 0; i < nd; i++)
	{
		int32		count = d[i].count;

		sg_put_string(&buf, d[i].type);
		appendBinaryStringInfo(&buf, (const char *) &count, sizeof(count));
		appendBinaryStringInfo(&buf, (const char *) d[i].digest, PG_SHA256_DIGEST_LENGTH);
	}
	if (!sg_send(s->par.mqh, buf.data, buf.len))
		s->par.leader_gone = true;
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
	s.fp.fingerprint_only = shared->fingerprint_only;
	s.par.worker_routines = shared->worker_routines;
	s.snapshot = RegisterSnapshot(RestoreSnapshot(snapspace));
	s.par.mqh = mqh;
	s.par.from_leader = true;
	s.par.attr_mqh = shm_mq_attach(attr_mq, seg, NULL);
	s.views.view_counter = &shared->next_view;
	s.views.leader_on_views = &shared->leader_on_views;
	/* about as long as it took to start */
	s.views.end_cost_us = Min(Max(GetCurrentTimestamp() - shared->launched, 0), 100000);
	sg_snapshot_collect(&s);
	if (s.fp.fingerprint_only)
		sg_send_digests(&s);
	/* then views, with the leader, until none is left */
	sg_build_views(&s, false);
	sg_send_objects(&s, s.fp.fingerprint_only);
	UnregisterSnapshot(s.snapshot);
	if (!s.par.leader_gone && sg_send(mqh, "E", 1))
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

	if (s->fp.have_worker_digests)
		sg_malformed_message();
	s->fp.have_worker_digests = true;
	s->fp.worker_digests = palloc(sizeof(SGTypeDigest) * max);
	while (p < end)
	{
		SGTypeDigest *d;
		int32		count;

		if (s->fp.nworker_digests == max)
		{
			max *= 2;
			s->fp.worker_digests = repalloc(s->fp.worker_digests, sizeof(SGTypeDigest) * max);
		}
		d = &s->fp.worker_digests[s->fp.nworker_digests++];
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
ParallelContext *
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
	shared->fingerprint_only = s->fp.fingerprint_only;
	shared->worker_routines = !s->fp.fingerprint_only;
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
	s->par.attr_mqh = shm_mq_attach(attr_mq, pcxt->seg, pcxt->worker[0].bgwhandle);
	s->part = SG_PART_LEADER;
	s->par.worker_routines = shared->worker_routines;
	s->views.view_counter = &shared->next_view;
	s->views.leader_on_views = &shared->leader_on_views;
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
	shm_mq_result res = shm_mq_receive(s->par.worker_mqh, &len, &data, nowait);

	if (res == SHM_MQ_WOULD_BLOCK)
		return 0;
	if (res != SHM_MQ_SUCCESS)
		return -1;
	if (len >= 1 && ((char *) data)[0] == 'O')
		sg_receive_objects(s, data, len);
	else if (len >= 1 && ((char *) data)[0] == 'D' && s->fp.fingerprint_only)
		sg_receive_digests(s, data, len);
	else if (len == 1 && ((char *) data)[0] == 'E')
		s->par.worker_complete = true;
	else
		sg_malformed_message();
	return 1;
}

/*
 * In the leader: send the column batches still waiting, and take what the
 * worker has sent, without waiting on either queue: neither needs to hold
 * all of it.
 */
void
sg_poll_worker(Snap *s)
{
	sg_flush_attrs(s);
	if (s->par.worker_mqh != NULL)
		while (sg_receive_worker(s, true) > 0)
			;
}

/* take the worker's objects, and its error if it failed */
void
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
		res = sg_receive_worker(s, s->par.attr_pending != NIL);
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
	if (!s->par.worker_complete || (s->fp.fingerprint_only && !s->fp.have_worker_digests))
		elog(ERROR, "schemaguard: the snapshot worker ended without sending its objects");
	s->par.worker_mqh = NULL;
	shm_mq_detach(mqh);
	if (s->par.attr_mqh)
		shm_mq_detach(s->par.attr_mqh);
	s->par.attr_mqh = NULL;
	s->views.view_counter = NULL;
	s->views.leader_on_views = NULL;
	DestroyParallelContext(pcxt);
	ExitParallelMode();
}

/* sg_poll_worker() for the caller's work (SGLeaderWork) */
