/*-------------------------------------------------------------------------
 *
 * drift.c
 *		The drift-detection SQL functions snapshot(), fingerprint(),
 *		take_baseline() and drift(), and the comparison of two object lists
 *		that drift() and compare() (manifest.c) share.
 *
 * All of them work on the snapshot of snapshot.c.  Two object lists are
 * compared by merging them in (type, identity) order; an object whose
 * definition differs is "modified".  drift() also says which changelog
 * entries recorded since the baseline explain each difference: an entry
 * explains an object when it names the object itself or the object it
 * belongs to (the table of a column, index, constraint, trigger, rule or
 * policy; the domain of a domain constraint), also under the name the
 * object had on the other side of a rename, or an object its definition
 * reads that was renamed since (drift_depend.c).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/heapam.h"
#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "compat.h"
#include "drift.h"
#include "drift_depend.h"

PG_FUNCTION_INFO_V1(sg_snapshot);
PG_FUNCTION_INFO_V1(sg_fingerprint);
PG_FUNCTION_INFO_V1(sg_take_baseline);
PG_FUNCTION_INFO_V1(sg_drift);



/* ----------------------------------------------------------------
 * Arguments
 * ----------------------------------------------------------------
 */

int
sg_facets_arg(FunctionCallInfo fcinfo, int argno)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("facets must not be NULL"),
				 errhint("Pass '{}' for no facets.")));
	return sg_parse_facets(PG_GETARG_ARRAYTYPE_P(argno), "facets");
}

int
sg_major(int version_num)
{
	return version_num / 10000;
}

/* the live schema as one side of a comparison */
SGSide
sg_live_side(int facets, SGLeaderWork work, void *work_arg)
{
	SGSnapshot *snap = sg_snapshot_take(facets, work, work_arg);
	SGSide		live;

	live.objects = snap->objects;
	live.n = snap->nobjects;
	live.facets = facets;
	live.server_version_num = PG_VERSION_NUM;
	return live;
}

void
sg_warn_versions(const char *what_a, int a, const char *what_b, int b)
{
	if (sg_major(a) != sg_major(b))
		ereport(WARNING,
				(errmsg("%s comes from PostgreSQL %d, %s from PostgreSQL %d",
						what_a, sg_major(a), what_b, sg_major(b)),
				 errdetail("Definitions that the two versions deparse differently show as modified.")));
}

/* ----------------------------------------------------------------
 * snapshot() and fingerprint()
 * ----------------------------------------------------------------
 */

Datum
sg_snapshot(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			facets = sg_facets_arg(fcinfo, 0);
	SGSnapshot *snap;

	InitMaterializedSRF(fcinfo, 0);
	snap = sg_snapshot_take(facets, NULL, NULL);
	for (int i = 0; i < snap->nobjects; i++)
	{
		SGObject   *obj = &snap->objects[i];
		Datum		values[5];
		bool		nulls[5] = {false, false, false, false, false};

		values[0] = CStringGetTextDatum(obj->type);
		if (obj->schema)
			values[1] = CStringGetTextDatum(obj->schema);
		else
			nulls[1] = true;
		values[2] = CStringGetTextDatum(obj->identity);
		values[3] = CStringGetTextDatum(obj->definition);
		values[4] = CStringGetTextDatum(sg_object_checksum(obj));
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

Datum
sg_fingerprint(PG_FUNCTION_ARGS)
{
	int			facets = sg_facets_arg(fcinfo, 0);

	PG_RETURN_TEXT_P(cstring_to_text(sg_snapshot_fingerprint(facets)));
}

/* ----------------------------------------------------------------
 * Comparing two object lists
 * ----------------------------------------------------------------
 */

/* what drift() knows to say which changelog entries explain a change */
typedef struct SGTracking
{
	int			nentries;
	struct SGLogObject *entries;	/* sorted by type, identity, id */
	bool		same_database;	/* baseline oids are valid here */
	HTAB	   *base_by_oid;	/* added object's address -> baseline object */
	HTAB	   *live_by_oid;	/* removed object's address -> live object */
	SGDepends  *depends;		/* what modified objects read (drift_depend.c) */
} SGTracking;

typedef struct SGLogObject
{
	const char *type;
	const char *identity;
	int64		id;
} SGLogObject;

typedef struct SGOidKey
{
	Oid			classid;
	Oid			objid;
	int32		objsubid;
} SGOidKey;

typedef struct SGOidEntry
{
	SGOidKey	key;
	SGObject   *obj;
} SGOidEntry;

static int
sg_logobject_cmp(const void *a, const void *b)
{
	const SGLogObject *x = a;
	const SGLogObject *y = b;
	int			c = strcmp(x->type, y->type);

	if (c == 0)
		c = strcmp(x->identity, y->identity);
	if (c == 0)
		c = (x->id > y->id) - (x->id < y->id);
	return c;
}

/* add the ids of the changelog entries that name (type, identity) */
static List *
sg_ids_for(SGTracking *t, const char *type, const char *identity, List *ids)
{
	int			lo = 0;
	int			hi = t->nentries;

	if (type == NULL || identity == NULL)
		return ids;
	/* first entry >= (type, identity) */
	while (lo < hi)
	{
		int			mid = (lo + hi) / 2;
		int			c = strcmp(t->entries[mid].type, type);

		if (c == 0)
			c = strcmp(t->entries[mid].identity, identity);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < t->nentries; lo++)
	{
		if (strcmp(t->entries[lo].type, type) != 0 ||
			strcmp(t->entries[lo].identity, identity) != 0)
			break;
		ids = lappend(ids, &t->entries[lo].id);
	}
	return ids;
}

static List *
sg_ids_for_object(SGTracking *t, SGObject *obj, List *ids)
{
	if (obj == NULL)
		return ids;
	ids = sg_ids_for(t, obj->type, obj->identity, ids);
	ids = sg_ids_for(t, obj->parent_type, obj->parent_identity, ids);
	return ids;
}

static void
sg_oid_key(const SGObject *obj, SGOidKey *key)
{
	memset(key, 0, sizeof(SGOidKey));
	key->classid = obj->classid;
	key->objid = obj->objid;
	key->objsubid = obj->objsubid;
}

static SGObject *
sg_by_oid(HTAB *map, SGObject *obj)
{
	SGOidKey	key;
	SGOidEntry *e;

	if (map == NULL || obj == NULL || !OidIsValid(obj->objid))
		return NULL;
	sg_oid_key(obj, &key);
	e = hash_search(map, &key, HASH_FIND, NULL);
	return e ? e->obj : NULL;
}

static int
sg_int64_cmp(const ListCell *a, const ListCell *b)
{
	int64		x = *(int64 *) lfirst(a);
	int64		y = *(int64 *) lfirst(b);

	return (x > y) - (x < y);
}

/* changelog ids that explain a difference ('{}' when none do), and how many */
static Datum
sg_changelog_ids(SGTracking *t, SGObject *base, SGObject *live, int *count)
{
	List	   *ids = NIL;
	Datum	   *elems;
	int			n = 0;
	int64		last = -1;
	ListCell   *lc;

	ids = sg_ids_for_object(t, base, ids);
	ids = sg_ids_for_object(t, live, ids);
	if (t->same_database)
	{
		/* the same object under another name on the other side */
		if (base && !live)
			ids = sg_ids_for_object(t, sg_by_oid(t->live_by_oid, base), ids);
		if (live && !base)
			ids = sg_ids_for_object(t, sg_by_oid(t->base_by_oid, live), ids);
		/* what its definition reads, renamed since the baseline */
		if (live && base)
		{
			List	   *renamed = sg_depends_renamed(t->depends, live, NIL);

			foreach(lc, renamed)
				ids = sg_ids_for(t, ((SGObject *) lfirst(lc))->type,
								 ((SGObject *) lfirst(lc))->identity, ids);
			list_free(renamed);
		}
	}
	list_sort(ids, sg_int64_cmp);
	elems = palloc(sizeof(Datum) * Max(list_length(ids), 1));
	foreach(lc, ids)
	{
		int64		id = *(int64 *) lfirst(lc);

		if (id != last)
			elems[n++] = Int64GetDatum(id);
		last = id;
	}
	*count = n;
	return PointerGetDatum(construct_array(elems, n, INT8OID, 8, FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

static void
sg_put_row(ReturnSetInfo *rsinfo, SGTracking *t, const char *change,
		   SGObject *base, SGObject *live)
{
	SGObject   *obj = base ? base : live;
	Datum		values[7];
	bool		nulls[7] = {false, false, false, false, false, false, false};

	values[0] = CStringGetTextDatum(obj->type);
	values[1] = CStringGetTextDatum(obj->identity);
	values[2] = CStringGetTextDatum(change);
	if (t)
	{
		int			count;

		values[4] = sg_changelog_ids(t, base, live, &count);
		values[3] = BoolGetDatum(count > 0);
	}
	else
	{
		/* compare(): another database's changelog says nothing here */
		nulls[3] = true;
		nulls[4] = true;
	}
	if (base)
		values[5] = CStringGetTextDatum(base->definition);
	else
		nulls[5] = true;
	if (live)
		values[6] = CStringGetTextDatum(live->definition);
	else
		nulls[6] = true;
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
}

/* one difference between two sorted object lists */
typedef struct SGDiff
{
	const char *change;
	SGObject   *base;			/* NULL when added */
	SGObject   *live;			/* NULL when removed */
} SGDiff;

/*
 * Merge two sorted lists.  The tracking callback is called only when there
 * is a difference to explain, with all the differences.
 */
void
sg_diff(ReturnSetInfo *rsinfo, SGSide *base, SGSide *live,
		SGTrackingFn tracking_fn, void *arg)
{
	int			i = 0;
	int			j = 0;
	SGTracking *t = NULL;
	SGDiff	   *diffs = NULL;
	int			ndiffs = 0;
	int			maxdiffs = 0;

	/* first the differences, then what explains them, then the rows */
	while (i < base->n || j < live->n)
	{
		SGObject   *b = i < base->n ? &base->objects[i] : NULL;
		SGObject   *l = j < live->n ? &live->objects[j] : NULL;
		int			c;
		const char *change;

		if ((i + j) % 1024 == 0)
			CHECK_FOR_INTERRUPTS();
		if (b && l)
			c = sg_object_cmp(b, l);
		else
			c = b ? -1 : 1;
		if (c == 0)
		{
			i++;
			j++;
			if (strcmp(b->definition, l->definition) == 0)
				continue;
			change = "modified";
		}
		else if (c < 0)
		{
			i++;
			l = NULL;
			change = "removed";
		}
		else
		{
			j++;
			b = NULL;
			change = "added";
		}
		if (ndiffs == maxdiffs)
		{
			maxdiffs = Max(maxdiffs * 2, 64);
			diffs = diffs ? repalloc_huge(diffs, sizeof(SGDiff) * maxdiffs) :
				palloc_extended(sizeof(SGDiff) * maxdiffs, MCXT_ALLOC_HUGE);
		}
		diffs[ndiffs].change = change;
		diffs[ndiffs].base = b;
		diffs[ndiffs].live = l;
		ndiffs++;
	}
	if (ndiffs > 0 && tracking_fn != NULL)
		t = tracking_fn(arg, base, live, diffs, ndiffs);
	for (int k = 0; k < ndiffs; k++)
	{
		if (k % 1024 == 0)
			CHECK_FOR_INTERRUPTS();
		sg_put_row(rsinfo, t, diffs[k].change, diffs[k].base, diffs[k].live);
	}
}

/* objects must be sorted and unique for the merge */
void
sg_check_unique(SGSide *side, const char *what)
{
	for (int i = 1; i < side->n; i++)
		if (sg_object_cmp(&side->objects[i - 1], &side->objects[i]) == 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s lists %s \"%s\" twice", what,
							side->objects[i].type, side->objects[i].identity)));
}

/* ----------------------------------------------------------------
 * Baselines
 * ----------------------------------------------------------------
 */

static char *
sg_system_identifier(void)
{
	return psprintf(UINT64_FORMAT, GetSystemIdentifier());
}

static Datum
sg_text_array(char **texts, bool *nulls, int n)
{
	Datum	   *elems = palloc(sizeof(Datum) * Max(n, 1));
	int			dims[1];
	int			lbs[1];

	for (int i = 0; i < n; i++)
		elems[i] = (nulls && nulls[i]) ? (Datum) 0 : CStringGetTextDatum(texts[i]);
	dims[0] = n;
	lbs[0] = 1;
	return PointerGetDatum(construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID,
											  -1, false, TYPALIGN_INT));
}

static Datum
sg_int_array(Datum *values, Oid type, int n)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_array(values, n, type, typlen, typbyval, typalign));
}

/* insert the objects of a baseline, all in one statement */
static void
sg_store_baseline_objects(int32 baseline_id, SGSnapshot *snap)
{
	int			n = snap->nobjects;
	char	  **types = palloc(sizeof(char *) * Max(n, 1));
	char	  **schemas = palloc(sizeof(char *) * Max(n, 1));
	bool	   *schema_nulls = palloc(sizeof(bool) * Max(n, 1));
	char	  **identities = palloc(sizeof(char *) * Max(n, 1));
	char	  **definitions = palloc(sizeof(char *) * Max(n, 1));
	char	  **checksums = palloc(sizeof(char *) * Max(n, 1));
	char	  **ptypes = palloc(sizeof(char *) * Max(n, 1));
	bool	   *ptype_nulls = palloc(sizeof(bool) * Max(n, 1));
	char	  **pidents = palloc(sizeof(char *) * Max(n, 1));
	bool	   *pident_nulls = palloc(sizeof(bool) * Max(n, 1));
	Datum	   *classids = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *objids = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *subids = palloc(sizeof(Datum) * Max(n, 1));
	Oid			argtypes[12] = {INT4OID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
		TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID, OIDARRAYOID,
	OIDARRAYOID, INT4ARRAYOID};
	Datum		args[11];
	int			rc;

	for (int i = 0; i < n; i++)
	{
		SGObject   *obj = &snap->objects[i];

		types[i] = (char *) obj->type;
		schemas[i] = (char *) obj->schema;
		schema_nulls[i] = obj->schema == NULL;
		identities[i] = (char *) obj->identity;
		definitions[i] = (char *) obj->definition;
		checksums[i] = (char *) sg_object_checksum(obj);
		ptypes[i] = (char *) obj->parent_type;
		ptype_nulls[i] = obj->parent_type == NULL;
		pidents[i] = (char *) obj->parent_identity;
		pident_nulls[i] = obj->parent_identity == NULL;
		classids[i] = ObjectIdGetDatum(obj->classid);
		objids[i] = ObjectIdGetDatum(obj->objid);
		subids[i] = Int32GetDatum(obj->objsubid);
	}
	args[0] = Int32GetDatum(baseline_id);
	args[1] = sg_text_array(types, NULL, n);
	args[2] = sg_text_array(schemas, schema_nulls, n);
	args[3] = sg_text_array(identities, NULL, n);
	args[4] = sg_text_array(definitions, NULL, n);
	args[5] = sg_text_array(checksums, NULL, n);
	args[6] = sg_text_array(ptypes, ptype_nulls, n);
	args[7] = sg_text_array(pidents, pident_nulls, n);
	args[8] = sg_int_array(classids, OIDOID, n);
	args[9] = sg_int_array(objids, OIDOID, n);
	args[10] = sg_int_array(subids, INT4OID, n);

	rc = SPI_execute_with_args(
							   "INSERT INTO schemaguard.baseline_objects (baseline_id, object_type,"
							   " schema_name, identity, definition, checksum, parent_type,"
							   " parent_identity, classid, objid, objsubid)"
							   " SELECT $1, u.* FROM ROWS FROM (pg_catalog.unnest($2),"
							   " pg_catalog.unnest($3), pg_catalog.unnest($4),"
							   " pg_catalog.unnest($5), pg_catalog.unnest($6),"
							   " pg_catalog.unnest($7), pg_catalog.unnest($8),"
							   " pg_catalog.unnest($9), pg_catalog.unnest($10),"
							   " pg_catalog.unnest($11)) AS u",
							   11, argtypes, args, NULL, false, 0);
	if (rc != SPI_OK_INSERT)
		elog(ERROR, "schemaguard: could not store the baseline's objects: %s",
			 SPI_result_code_string(rc));
}

Datum
sg_take_baseline(PG_FUNCTION_ARGS)
{
	text	   *label_t;
	char	   *label;
	int			facets;
	SGSnapshot *snap;
	char	   *fingerprint;
	int64		head;
	int32		baseline_id;
	bool		isnull;
	int			rc;
	MemoryContext outer = CurrentMemoryContext;
	text	   *result;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("baseline label must not be NULL")));
	label_t = PG_GETARG_TEXT_PP(0);
	label = text_to_cstring(label_t);
	if (label[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("baseline label must not be empty")));
	facets = sg_facets_arg(fcinfo, 1);
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot take a baseline during recovery"),
				 errdetail("A baseline is stored in the database, and a standby is read-only."),
				 errhint("Take the baseline on the primary; it reaches the standby by replication.")));

	SPI_connect();
	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1];

		args[0] = CStringGetTextDatum(label);
		rc = SPI_execute_with_args("SELECT 1 FROM schemaguard.baselines WHERE label = $1",
								   1, argtypes, args, NULL, true, 1);
		if (rc != SPI_OK_SELECT)
			elog(ERROR, "schemaguard: could not read the baselines: %s",
				 SPI_result_code_string(rc));
		if (SPI_processed > 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNIQUE_VIOLATION),
					 errmsg("baseline \"%s\" already exists", label),
					 errhint("Choose another label, or delete the old baseline from schemaguard.baselines as a superuser.")));
	}

	/*
	 * The changelog head first, then the catalogs: a change that commits in
	 * between is in the baseline and its entry merely explains nothing.
	 */
	rc = SPI_execute("SELECT coalesce(max(id), 0) FROM schemaguard.changelog", true, 1);
	if (rc != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "schemaguard: could not read the changelog head");
	head = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));

	snap = sg_snapshot_take(facets, NULL, NULL);
	fingerprint = sg_fingerprint_of(snap->objects, snap->nobjects, facets);

	{
		Oid			argtypes[9] = {TEXTOID, TEXTOID, TEXTARRAYOID, INT4OID, INT8OID,
		TEXTOID, OIDOID, INT4OID, NAMEOID};
		Datum		args[9];

		args[0] = CStringGetTextDatum(label);
		args[1] = CStringGetTextDatum(fingerprint);
		args[2] = PointerGetDatum(sg_facets_array(facets));
		args[3] = Int32GetDatum(PG_VERSION_NUM);
		args[4] = Int64GetDatum(head);
		args[5] = CStringGetTextDatum(sg_system_identifier());
		args[6] = ObjectIdGetDatum(MyDatabaseId);
		args[7] = Int32GetDatum(snap->nobjects);
		args[8] = DirectFunctionCall1(namein,
									  CStringGetDatum(GetUserNameFromId(GetSessionUserId(), false)));
		rc = SPI_execute_with_args(
								   "INSERT INTO schemaguard.baselines (label, taken_at, taken_by,"
								   " fingerprint, facets, server_version_num, changelog_id,"
								   " system_identifier, database_oid, object_count)"
								   " VALUES ($1, pg_catalog.now(), $9, $2, $3, $4, $5, $6, $7, $8)"
								   " RETURNING id",
								   9, argtypes, args, NULL, false, 1);
		if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
			elog(ERROR, "schemaguard: could not store the baseline: %s",
				 SPI_result_code_string(rc));
		baseline_id = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0],
												  SPI_tuptable->tupdesc, 1, &isnull));
	}
	sg_store_baseline_objects(baseline_id, snap);

	/* the result must outlive SPI_finish(), which frees SPI's memory */
	{
		MemoryContext old = MemoryContextSwitchTo(outer);

		result = cstring_to_text(fingerprint);
		MemoryContextSwitchTo(old);
	}
	SPI_finish();
	PG_RETURN_TEXT_P(result);
}

typedef struct SGBaseline
{
	int32		id;
	char	   *label;
	int			facets;
	int			server_version_num;
	int64		changelog_id;
	bool		same_database;
	int32		object_count;
	int64		all_objects;	/* of all baselines */
} SGBaseline;

static char *
sg_spi_text(HeapTuple tup, TupleDesc desc, int col, MemoryContext cxt)
{
	bool		isnull;
	Datum		d = SPI_getbinval(tup, desc, col, &isnull);
	MemoryContext old;
	char	   *result;

	if (isnull)
		return NULL;
	old = MemoryContextSwitchTo(cxt);
	result = TextDatumGetCString(d);
	MemoryContextSwitchTo(old);
	return result;
}

/* under SPI: find a baseline by label, NULL = the latest */
static SGBaseline *
sg_find_baseline(const char *label, MemoryContext cxt)
{
	SGBaseline *b;
	int			rc;
	HeapTuple	tup;
	TupleDesc	desc;
	bool		isnull;
	char	   *sysid;
	const char *cols = "SELECT id, label, facets, server_version_num, changelog_id,"
		" system_identifier, database_oid, object_count,"
		" (SELECT sum(object_count) FROM schemaguard.baselines)::bigint"
		" FROM schemaguard.baselines";

	if (label)
	{
		Oid			argtypes[1] = {TEXTOID};
		Datum		args[1];

		args[0] = CStringGetTextDatum(label);
		rc = SPI_execute_with_args(psprintf("%s WHERE label = $1", cols),
								   1, argtypes, args, NULL, true, 1);
	}
	else
		rc = SPI_execute(psprintf("%s ORDER BY id DESC LIMIT 1", cols), true, 1);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "schemaguard: could not read the baselines: %s",
			 SPI_result_code_string(rc));
	if (SPI_processed == 0)
	{
		if (label)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_OBJECT),
					 errmsg("baseline \"%s\" does not exist", label),
					 errhint("The baselines are listed in schemaguard.baselines.")));
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("no baseline has been taken in this database"),
				 errhint("Take one with SELECT schemaguard.take_baseline('label').")));
	}
	tup = SPI_tuptable->vals[0];
	desc = SPI_tuptable->tupdesc;
	b = MemoryContextAllocZero(cxt, sizeof(SGBaseline));
	b->id = DatumGetInt32(SPI_getbinval(tup, desc, 1, &isnull));
	b->label = sg_spi_text(tup, desc, 2, cxt);
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		b->facets = sg_parse_facets(DatumGetArrayTypeP(SPI_getbinval(tup, desc, 3, &isnull)),
									"baseline facets");
		MemoryContextSwitchTo(old);
	}
	b->server_version_num = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
	b->changelog_id = DatumGetInt64(SPI_getbinval(tup, desc, 5, &isnull));
	sysid = sg_spi_text(tup, desc, 6, cxt);
	b->same_database = strcmp(sysid, sg_system_identifier()) == 0 &&
		DatumGetObjectId(SPI_getbinval(tup, desc, 7, &isnull)) == MyDatabaseId;
	b->object_count = DatumGetInt32(SPI_getbinval(tup, desc, 8, &isnull));
	b->all_objects = DatumGetInt64(SPI_getbinval(tup, desc, 9, &isnull));
	return b;
}

/* a text column of a baseline_objects row, NULL stays NULL */
static const char *
sg_row_text(SGArena *arena, Datum *values, bool *nulls, int attnum, bool intern)
{
	text	   *t;

	if (attnum <= 0 || nulls[attnum - 1])
		return NULL;
	t = DatumGetTextPP(values[attnum - 1]);
	if (intern)
		return sg_arena_intern(arena, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
	return sg_arena_copy(arena, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

/*
 * The objects of a baseline, sorted.  Read from schemaguard.baseline_objects
 * through its baseline_id index, or all of it when the baseline has most of
 * its rows, one deform per row, each string copied once: a query through
 * SPI copied every row and then each field again.  drift() runs as the
 * extension's owner, who may read the table.
 */
static void
sg_load_baseline(SGBaseline *b, SGSide *side, Snapshot snapshot, MemoryContext cxt,
				 SGPollFn poll, void *poll_arg)
{
	Oid			relid = get_relname_relid("baseline_objects",
										  get_namespace_oid("schemaguard", false));
	Relation	rel;
	TupleDesc	desc;
	Oid			indexid = InvalidOid;
	ListCell   *lc;
	List	   *indexes;
	ScanKeyData key;
	SysScanDesc scan = NULL;
	TableScanDesc hscan = NULL;
	HeapTuple	tup;
	MemoryContext rowcxt;
	bool		sorted = true;
	SGArena		arena;
	Datum	   *values;
	bool	   *nulls;
	int			att[10];
	static const char *const names[10] = {"baseline_id", "object_type",
		"schema_name", "identity", "definition", "parent_type",
	"parent_identity", "classid", "objid", "objsubid"};
	/* room for the count the baseline was taken with, unless it is odd */
	int			max = (b->object_count > 1024 && b->object_count <= 10000000) ?
		b->object_count : 1024;

	if (!OidIsValid(relid))
		elog(ERROR, "schemaguard: table schemaguard.baseline_objects is missing");
	rel = table_open(relid, AccessShareLock);
	desc = RelationGetDescr(rel);
	for (int k = 0; k < lengthof(names); k++)
	{
		att[k] = 0;
		for (int a = 0; a < desc->natts; a++)
			if (!TupleDescAttr(desc, a)->attisdropped &&
				strcmp(NameStr(TupleDescAttr(desc, a)->attname), names[k]) == 0)
				att[k] = a + 1;
		if (att[k] == 0)
			elog(ERROR, "schemaguard: column %s of schemaguard.baseline_objects is missing",
				 names[k]);
	}
	/* the index on baseline_id, if it is there */
	indexes = RelationGetIndexList(rel);
	foreach(lc, indexes)
	{
		Relation	irel = index_open(lfirst_oid(lc), AccessShareLock);

		if (irel->rd_index->indisvalid && irel->rd_index->indnkeyatts >= 1 &&
			irel->rd_index->indkey.values[0] == att[0] &&
			irel->rd_rel->relam == BTREE_AM_OID && !OidIsValid(indexid))
			indexid = RelationGetRelid(irel);
		index_close(irel, AccessShareLock);
	}
	list_free(indexes);

	ScanKeyInit(&key, att[0], BTEqualStrategyNumber, F_INT4EQ, Int32GetDatum(b->id));
	/*
	 * A sequential scan reads a page at a time, the index a row at a time:
	 * the index only pays when the table holds many other baselines' rows.
	 */
	if (b->object_count >= b->all_objects / 2)
		indexid = InvalidOid;
	if (OidIsValid(indexid))
		scan = systable_beginscan(rel, indexid, true, snapshot, 1, &key);
	else
		hscan = table_beginscan_strat(rel, snapshot, 1, &key, true, false);
	rowcxt = AllocSetContextCreate(CurrentMemoryContext, "schemaguard baseline row",
								   ALLOCSET_DEFAULT_SIZES);
	memset(&arena, 0, sizeof(arena));
	arena.cxt = cxt;
	values = palloc(sizeof(Datum) * desc->natts);
	nulls = palloc(sizeof(bool) * desc->natts);
	side->n = 0;
	side->facets = b->facets;
	side->server_version_num = b->server_version_num;
	side->objects = MemoryContextAllocHuge(cxt, sizeof(SGObject) * max);
	while (HeapTupleIsValid(tup = scan ? systable_getnext(scan) :
							heap_getnext(hscan, ForwardScanDirection)))
	{
		MemoryContext old = MemoryContextSwitchTo(rowcxt);
		SGObject   *obj;

		if (side->n % 1024 == 0)
		{
			CHECK_FOR_INTERRUPTS();
			/* take the snapshot worker's objects: it waits for room */
			if (poll)
				poll(poll_arg);
		}
		if (side->n == max)
		{
			max *= 2;
			side->objects = repalloc_huge(side->objects, sizeof(SGObject) * max);
		}
		obj = &side->objects[side->n++];
		memset(obj, 0, sizeof(SGObject));
		heap_deform_tuple(tup, desc, values, nulls);
		obj->type = sg_row_text(&arena, values, nulls, att[1], true);
		obj->schema = sg_row_text(&arena, values, nulls, att[2], false);
		obj->identity = sg_row_text(&arena, values, nulls, att[3], false);
		obj->definition = sg_row_text(&arena, values, nulls, att[4], false);
		obj->parent_type = sg_row_text(&arena, values, nulls, att[5], true);
		obj->parent_identity = sg_row_text(&arena, values, nulls, att[6], false);
		if (obj->type == NULL || obj->identity == NULL || obj->definition == NULL ||
			nulls[att[7] - 1] || nulls[att[8] - 1] || nulls[att[9] - 1])
			elog(ERROR, "schemaguard: baseline \"%s\" has an incomplete object row",
				 b->label);
		obj->classid = DatumGetObjectId(values[att[7] - 1]);
		obj->objid = DatumGetObjectId(values[att[8] - 1]);
		obj->objsubid = DatumGetInt32(values[att[9] - 1]);
		/* take_baseline() stores them in order, so they mostly come so */
		if (sorted && side->n > 1 && sg_object_cmp(obj - 1, obj) >= 0)
			sorted = false;
		MemoryContextSwitchTo(old);
		MemoryContextReset(rowcxt);
	}
	if (scan)
		systable_endscan(scan);
	else
		table_endscan(hscan);
	table_close(rel, AccessShareLock);
	MemoryContextDelete(rowcxt);
	pfree(values);
	pfree(nulls);
	if (!sorted)
		sg_snapshot_sort(side->objects, side->n);
	sg_check_unique(side, "the baseline");
}

typedef struct SGLoadArg
{
	SGBaseline *baseline;
	SGSide	   *side;
	Snapshot	snapshot;
	MemoryContext cxt;
	bool		loaded;			/* by an earlier attempt (consistency.c) */
} SGLoadArg;

static void
sg_load_baseline_work(void *arg, SGPollFn poll, void *poll_arg)
{
	SGLoadArg  *load = arg;

	/* the baseline's rows do not change between attempts: read them once */
	if (load->loaded)
		return;
	sg_load_baseline(load->baseline, load->side, load->snapshot, load->cxt,
					 poll, poll_arg);
	load->loaded = true;
}

/*
 * For the objects that are only on one side (removed from the baseline
 * when "removed", else added), the object with the same catalog address on
 * the other side, if any: a map from their addresses, filled in one pass
 * over the other side.  Only the few differing objects are hashed.
 */
static HTAB *
sg_oid_matches(SGDiff *diffs, int ndiffs, bool removed, SGSide *other,
			   MemoryContext cxt)
{
	HASHCTL		ctl;
	HTAB	   *map;
	long		nkeys = 0;
	uint64		seen[64];		/* a filter on objid, before the hash */

	memset(seen, 0, sizeof(seen));
	ctl.keysize = sizeof(SGOidKey);
	ctl.entrysize = sizeof(SGOidEntry);
	ctl.hcxt = cxt;
	map = hash_create("schemaguard objects by oid", 64, &ctl,
					  HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	for (int i = 0; i < ndiffs; i++)
	{
		SGObject   *obj = removed ? diffs[i].base : diffs[i].live;
		SGOidKey	key;
		SGOidEntry *e;

		if (obj == NULL || (removed ? diffs[i].live : diffs[i].base) != NULL ||
			!OidIsValid(obj->objid))
			continue;
		sg_oid_key(obj, &key);
		e = hash_search(map, &key, HASH_ENTER, NULL);
		e->obj = NULL;
		seen[(obj->objid / 64) % 64] |= UINT64CONST(1) << (obj->objid % 64);
		nkeys++;
	}
	if (nkeys == 0)
		return map;
	for (int i = 0; i < other->n; i++)
	{
		SGObject   *obj = &other->objects[i];
		SGOidKey	key;
		SGOidEntry *e;

		if (!(seen[(obj->objid / 64) % 64] & (UINT64CONST(1) << (obj->objid % 64))))
			continue;
		sg_oid_key(obj, &key);
		e = hash_search(map, &key, HASH_FIND, NULL);
		if (e)
			e->obj = obj;
	}
	return map;
}

typedef struct SGDriftArg
{
	SGBaseline *baseline;
	MemoryContext cxt;
} SGDriftArg;

/* under SPI: the changelog entries recorded since the baseline */
static SGTracking *
sg_drift_tracking(void *arg, SGSide *base, SGSide *live, SGDiff *diffs,
				  int ndiffs)
{
	SGDriftArg *d = arg;
	SGTracking *t = MemoryContextAllocZero(d->cxt, sizeof(SGTracking));
	Oid			argtypes[1] = {INT8OID};
	Datum		args[1];
	int			rc;
	uint64		n;

	args[0] = Int64GetDatum(d->baseline->changelog_id);
	rc = SPI_execute_with_args("SELECT c.id, o.value->>'type', o.value->>'identity'"
							   " FROM schemaguard.changelog c,"
							   " pg_catalog.jsonb_array_elements(c.objects) AS o"
							   " WHERE c.id > $1"
							   " AND pg_catalog.jsonb_typeof(c.objects) = 'array'",
							   1, argtypes, args, NULL, true, 0);
	if (rc != SPI_OK_SELECT)
		elog(ERROR, "schemaguard: could not read the changelog: %s",
			 SPI_result_code_string(rc));
	n = SPI_processed;
	t->entries = MemoryContextAllocHuge(d->cxt, sizeof(SGLogObject) * Max(n, 1));
	for (uint64 i = 0; i < n; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *type = sg_spi_text(tup, desc, 2, d->cxt);
		char	   *identity = sg_spi_text(tup, desc, 3, d->cxt);

		if (type == NULL || identity == NULL)
			continue;
		t->entries[t->nentries].id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		t->entries[t->nentries].type = type;
		t->entries[t->nentries].identity = identity;
		t->nentries++;
	}
	SPI_freetuptable(SPI_tuptable);
	qsort(t->entries, t->nentries, sizeof(SGLogObject), sg_logobject_cmp);
	t->same_database = d->baseline->same_database;
	if (t->same_database)
	{
		t->live_by_oid = sg_oid_matches(diffs, ndiffs, true, live, d->cxt);
		t->base_by_oid = sg_oid_matches(diffs, ndiffs, false, base, d->cxt);
		t->depends = sg_depends_create(d->cxt);
		for (int i = 0; i < ndiffs; i++)
			if (diffs[i].base && diffs[i].live)
				sg_depends_add(t->depends, diffs[i].live);
		sg_depends_match(t->depends, base->objects, base->n, true);
		sg_depends_match(t->depends, live->objects, live->n, false);
	}
	return t;
}

Datum
sg_drift(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *label = PG_ARGISNULL(0) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(0));
	MemoryContext cxt = CurrentMemoryContext;
	SGBaseline *baseline;
	SGSide		base;
	SGSide		live;
	SGDriftArg	arg;

	InitMaterializedSRF(fcinfo, 0);
	SPI_connect();
	baseline = sg_find_baseline(label, cxt);

	{
		MemoryContext old = MemoryContextSwitchTo(cxt);
		SGLoadArg	load;

		/*
		 * The baseline is read while the snapshot's worker is busy, in
		 * parallel mode, where no new snapshot can be taken: the query's
		 * snapshot, as SPI would have used, taken now.
		 */
		load.baseline = baseline;
		load.side = &base;
		load.cxt = cxt;
		load.loaded = false;
		load.snapshot = RegisterSnapshot(ActiveSnapshotSet() ? GetActiveSnapshot() :
										 GetTransactionSnapshot());
		live = sg_live_side(baseline->facets, sg_load_baseline_work, &load);
		UnregisterSnapshot(load.snapshot);
		MemoryContextSwitchTo(old);
	}
	sg_warn_versions(psprintf("baseline \"%s\"", baseline->label),
					 baseline->server_version_num, "this server", PG_VERSION_NUM);

	arg.baseline = baseline;
	arg.cxt = cxt;
	sg_diff(rsinfo, &base, &live, sg_drift_tracking, &arg);
	SPI_finish();
	return (Datum) 0;
}
