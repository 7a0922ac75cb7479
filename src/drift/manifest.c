/*-------------------------------------------------------------------------
 *
 * manifest.c
 *		Portable manifests: export_manifest(), and compare() of a manifest
 *		with the live schema or with another manifest.
 *
 * A manifest is a jsonb document: format, format_version, server version,
 * facets, fingerprint, object_count and every object with its checksum and
 * definition.  compare() reads one back into an object list (checking it
 * against its own fingerprint) and compares lists as drift() does (drift.c).
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

PG_FUNCTION_INFO_V1(sg_export_manifest);
PG_FUNCTION_INFO_V1(sg_compare_live);
PG_FUNCTION_INFO_V1(sg_compare_manifests);

/* ----------------------------------------------------------------
 * Manifests
 * ----------------------------------------------------------------
 */

/*
 * The snapshot is taken in a memory context of its own, deleted once the
 * manifest is written (manifest_jsonb.c): what stays is the jsonb alone.
 */
Datum
sg_export_manifest(PG_FUNCTION_ARGS)
{
	int			facets = sg_facets_arg(fcinfo, 0);
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "schemaguard manifest",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(cxt);
	SGSnapshot *snap = sg_snapshot_take(facets, NULL, NULL);
	char	   *dbname = get_database_name(MyDatabaseId);
	const char *exported_at = timestamptz_to_str(GetCurrentTransactionStartTimestamp());
	Jsonb	   *result;

	MemoryContextSwitchTo(oldcxt);
	result = sg_manifest_jsonb(snap, facets, dbname, exported_at);
	MemoryContextDelete(cxt);
	PG_RETURN_JSONB_P(result);
}

static void
sg_bad_manifest(const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s is not a valid schemaguard manifest", what),
			 errdetail_internal("%s", detail),
			 errhint("Manifests are made by schemaguard.export_manifest().")));
}

static const char *
sg_jsonb_type_name(JsonbValue *v)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			return "a string";
		case jbvNumeric:
			return "a number";
		case jbvBool:
			return "a boolean";
		default:
			return "an array or object";
	}
}

/*
 * A string member of an object into *v; false when JSON null and allowed.
 * The object is "where", or when that is NULL element objno of "objects"
 * (the text is made only for an error).
 */
static bool
sg_manifest_value(JsonbContainer *c, const char *key, bool null_ok,
				  const char *what, const char *where, int objno, JsonbValue *v)
{
	if (getKeyJsonValueFromContainer(c, key, strlen(key), v) == NULL)
		sg_bad_manifest(what, psprintf("There is no \"%s\" in %s.", key,
									   where ? where : psprintf("object %d", objno)));
	if (v->type == jbvNull && null_ok)
		return false;
	if (v->type != jbvString)
		sg_bad_manifest(what, psprintf("In %s, \"%s\" is %s, not a string.",
									   where ? where : psprintf("object %d", objno),
									   key, sg_jsonb_type_name(v)));
	return true;
}

/* a string member of the manifest itself */
static char *
sg_manifest_string(JsonbContainer *c, const char *key, const char *what)
{
	JsonbValue	v;

	sg_manifest_value(c, key, false, what, "the manifest", 0, &v);
	return pnstrdup(v.val.string.val, v.val.string.len);
}

/*
 * A string member of element objno of "objects", NUL-terminated in the
 * arena (NULL when JSON null and allowed); intern: one copy per distinct
 * text, for the few type names.
 */
static const char *
sg_manifest_field(JsonbContainer *c, const char *key, bool null_ok,
				  const char *what, int objno, SGArena *arena, bool intern)
{
	JsonbValue	v;

	if (!sg_manifest_value(c, key, null_ok, what, NULL, objno, &v))
		return NULL;
	if (intern)
		return sg_arena_intern(arena, v.val.string.val, v.val.string.len);
	return sg_arena_copy(arena, v.val.string.val, v.val.string.len);
}

static int64
sg_manifest_int(JsonbContainer *c, const char *key, const char *what)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(c, key, strlen(key), &v) == NULL)
		sg_bad_manifest(what, psprintf("The manifest has no \"%s\".", key));
	if (v.type != jbvNumeric)
		sg_bad_manifest(what, psprintf("\"%s\" is %s, not a number.", key,
									   sg_jsonb_type_name(&v)));
	return DatumGetInt64(DirectFunctionCall1(numeric_int8,
											 NumericGetDatum(v.val.numeric)));
}

/* the array member "key" of an object, as a container */
static JsonbContainer *
sg_manifest_array(JsonbContainer *c, const char *key, const char *what)
{
	JsonbValue	v;

	if (getKeyJsonValueFromContainer(c, key, strlen(key), &v) == NULL)
		sg_bad_manifest(what, psprintf("The manifest has no \"%s\".", key));
	if (v.type != jbvBinary || !JsonContainerIsArray(v.val.binary.data))
		sg_bad_manifest(what, psprintf("\"%s\" is not an array.", key));
	return v.val.binary.data;
}

/* read and check a manifest: format, facets, every object, the fingerprint */
static void
sg_read_manifest(Jsonb *jb, const char *what, SGSide *side)
{
	JsonbContainer *root = &jb->root;
	JsonbContainer *arr;
	char	   *format;
	int64		version;
	char	   *fingerprint;
	int			nelems;
	JsonbIterator *it;
	JsonbValue	v;
	JsonbIteratorToken tok;
	int			i = 0;
	SGArena		arena = {0};	/* the objects' strings */

	if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
		sg_bad_manifest(what, "It is not a JSON object.");
	format = sg_manifest_string(root, "format", what);
	if (strcmp(format, SG_MANIFEST_FORMAT) != 0)
		sg_bad_manifest(what, psprintf("Its format is \"%s\".", format));
	version = sg_manifest_int(root, "format_version", what);
	if (version != SG_SNAPSHOT_FORMAT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("%s has manifest format version " INT64_FORMAT ", this schemaguard reads version %d",
						what, version, SG_SNAPSHOT_FORMAT),
				 errhint("Export both manifests with the same schemaguard version.")));
	side->server_version_num = (int) sg_manifest_int(root, "server_version_num", what);

	/* facets */
	arr = sg_manifest_array(root, "facets", what);
	nelems = JsonContainerSize(arr);
	{
		Datum	   *elems = palloc(sizeof(Datum) * Max(nelems, 1));
		bool	   *nulls = palloc0(sizeof(bool) * Max(nelems, 1));
		int			n = 0;

		it = JsonbIteratorInit(arr);
		while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
		{
			if (tok != WJB_ELEM)
				continue;
			if (v.type != jbvString)
				sg_bad_manifest(what, "\"facets\" must hold strings.");
			elems[n++] = PointerGetDatum(cstring_to_text_with_len(v.val.string.val,
																  v.val.string.len));
		}
		side->facets = sg_parse_facet_datums(elems, nulls, n, "manifest facets");
	}

	/* objects */
	arena.cxt = CurrentMemoryContext;
	arr = sg_manifest_array(root, "objects", what);
	nelems = JsonContainerSize(arr);
	side->objects = palloc_extended(sizeof(SGObject) * Max(nelems, 1), MCXT_ALLOC_HUGE);
	it = JsonbIteratorInit(arr);
	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		SGObject   *obj;
		JsonbContainer *o;
		JsonbValue	checksum;
		char		computed[SG_CHECKSUM_LEN + 1];

		if (tok != WJB_ELEM)
			continue;
		if (i % 1024 == 0)
			CHECK_FOR_INTERRUPTS();
		if (v.type != jbvBinary || !JsonContainerIsObject(v.val.binary.data))
			sg_bad_manifest(what, psprintf("Element %d of \"objects\" is not a JSON object.", i + 1));
		o = v.val.binary.data;
		obj = &side->objects[i];
		memset(obj, 0, sizeof(SGObject));
		obj->type = sg_manifest_field(o, "type", false, what, i + 1, &arena, true);
		obj->schema = sg_manifest_field(o, "schema", true, what, i + 1, &arena, false);
		obj->identity = sg_manifest_field(o, "identity", false, what, i + 1, &arena, false);
		obj->definition = sg_manifest_field(o, "definition", false, what, i + 1, &arena, false);
		sg_manifest_value(o, "checksum", false, what, NULL, i + 1, &checksum);
		sg_checksum_into(obj->definition, strlen(obj->definition), computed);
		if (checksum.val.string.len != SG_CHECKSUM_LEN ||
			memcmp(checksum.val.string.val, computed, SG_CHECKSUM_LEN) != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("%s has been altered: the checksum of %s \"%s\" does not match its definition",
							what, obj->type, obj->identity)));
		obj->checksum = sg_arena_copy(&arena, computed, SG_CHECKSUM_LEN);
		i++;
	}
	side->n = i;
	sg_snapshot_sort(side->objects, side->n);
	sg_check_unique(side, what);

	/* a manifest with objects cut off or added no longer matches */
	fingerprint = sg_manifest_string(root, "fingerprint", what);
	if (strcmp(fingerprint, sg_fingerprint_of(side->objects, side->n, side->facets)) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("%s is incomplete or has been altered: its objects do not match its fingerprint",
						what),
				 errdetail("The manifest holds %d objects.", side->n)));
}

static void
sg_manifest_not_null(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
}

/* a manifest argument, detoasted */
static Jsonb *
sg_manifest_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	sg_manifest_not_null(fcinfo, argno, name);
	return PG_GETARG_JSONB_P(argno);
}

Datum
sg_compare_live(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *jb = sg_manifest_arg(fcinfo, 0, "manifest");
	SGSide		ref;
	SGSide		live;

	InitMaterializedSRF(fcinfo, 0);
	sg_read_manifest(jb, "the manifest", &ref);
	/* the objects hold copies: the detoasted manifest can go */
	PG_FREE_IF_COPY(jb, 0);
	/* the live side is taken with the manifest's facets */
	live = sg_live_side(ref.facets, NULL, NULL);
	sg_warn_versions("the manifest", ref.server_version_num,
					 "this server", PG_VERSION_NUM);
	sg_diff(rsinfo, &ref, &live, NULL, NULL);
	return (Datum) 0;
}

Datum
sg_compare_manifests(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Jsonb	   *ja;
	Jsonb	   *jbb;
	SGSide		a;
	SGSide		b;

	sg_manifest_not_null(fcinfo, 0, "manifest a");
	sg_manifest_not_null(fcinfo, 1, "manifest b");
	InitMaterializedSRF(fcinfo, 0);
	/*
	 * The objects hold copies: each manifest is detoasted only when it is
	 * read, and freed once read.
	 */
	ja = sg_manifest_arg(fcinfo, 0, "manifest a");
	sg_read_manifest(ja, "manifest a", &a);
	PG_FREE_IF_COPY(ja, 0);
	jbb = sg_manifest_arg(fcinfo, 1, "manifest b");
	sg_read_manifest(jbb, "manifest b", &b);
	PG_FREE_IF_COPY(jbb, 1);
	if (a.facets != b.facets)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the manifests were exported with different facets"),
				 errdetail("Manifest a has facets {%s}, manifest b has {%s}.",
						   sg_facets_text(a.facets), sg_facets_text(b.facets)),
				 errhint("Export both with the same facets, e.g. schemaguard.export_manifest('{%s}').",
						 sg_facets_text(a.facets))));
	sg_warn_versions("manifest a", a.server_version_num,
					 "manifest b", b.server_version_num);
	sg_diff(rsinfo, &a, &b, NULL, NULL);
	return (Datum) 0;
}
