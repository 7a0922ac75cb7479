/*-------------------------------------------------------------------------
 *
 * manifest_jsonb.c
 *		export_manifest()'s jsonb, written straight into its final buffer.
 *
 * The server's way to make a jsonb (pushJsonbValue, then
 * JsonbValueToJsonb) first builds a tree of JsonbValues: on the
 * 10,000-table benchmark schema, 162,000 objects of five pairs each, about
 * 130 MB for a 35 MB manifest, and then serializes it into a StringInfo
 * that doubles as it grows (64 MB kept for the 36 MB result).  With the
 * snapshot itself that made export_manifest() peak at 402 MB of backend
 * memory (docs/drift.md, "Memory").  The manifest's shape is fixed, so it is
 * written here directly in jsonb's binary format (utils/jsonb.h), the same
 * bytes convertToJsonb() would produce:
 *
 *   - a container is padded to a 4-byte boundary (from the start of the
 *     datum), then a header (count | JB_FOBJECT or JB_FARRAY), then one
 *     JEntry per element, or per key and then per value of an object, then
 *     the children's data in the same order;
 *   - a JEntry holds its child's type and length, or every
 *     JB_OFFSET_STRIDE'th one the end offset of the child within the
 *     container's data (JENTRY_HAS_OFF); a container's length counts its
 *     padding, a numeric's the padding before it;
 *   - an object's keys are sorted by length, then bytewise (the order
 *     uniqueifyJsonbObject() gives): the tables below are in that order.
 *
 * The buffer is allocated once, from an upper bound of the size (padding
 * at most 3 bytes per container or numeric).  The regression tests and
 * the byte-for-byte comparison of export_manifest() before and after this
 * writer check that the result reads back the same.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "drift.h"

/* the buffer: the datum being written, varlena header included */
typedef struct SGJbBuf
{
	char	   *data;
	Size		len;
	Size		max;
} SGJbBuf;

/* a container being written */
typedef struct SGJbContainer
{
	Size		start;			/* where it begins, before its padding */
	Size		jentries;		/* where its JEntry array is */
	int			next;			/* the next JEntry to fill */
	uint32		totallen;		/* its children's lengths so far */
} SGJbContainer;

static char *
sg_jb_reserve(SGJbBuf *b, Size n)
{
	char	   *p;

	if (b->len + n > b->max)
	{
		/* only if the bound was wrong: grow, never fail */
		b->max = Max(b->max * 2, b->len + n);
		b->data = repalloc_huge(b->data, b->max);
	}
	p = b->data + b->len;
	b->len += n;
	return p;
}

static uint32
sg_jb_pad(SGJbBuf *b)
{
	uint32		padlen = INTALIGN(b->len) - b->len;

	if (padlen > 0)
		memset(sg_jb_reserve(b, padlen), 0, padlen);
	return padlen;
}

/* the next JEntry of c: a child of type "type" and length len */
static void
sg_jb_entry(SGJbBuf *b, SGJbContainer *c, uint32 type, uint32 len)
{
	JEntry		meta;

	c->totallen += len;
	if (c->totallen > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the manifest exceeds jsonb's maximum of %d bytes",
						JENTRY_OFFLENMASK)));
	if (c->next % JB_OFFSET_STRIDE == 0)
		meta = type | c->totallen | JENTRY_HAS_OFF;
	else
		meta = type | len;
	memcpy(b->data + c->jentries + sizeof(JEntry) * c->next, &meta, sizeof(JEntry));
	c->next++;
}

/* begin an array of n elements, or an object of n pairs */
static void
sg_jb_begin(SGJbBuf *b, SGJbContainer *c, uint32 flag, int n)
{
	uint32		header = (uint32) n | flag;
	int			nentries = (flag == JB_FOBJECT) ? 2 * n : n;

	c->start = b->len;
	sg_jb_pad(b);
	memcpy(sg_jb_reserve(b, sizeof(uint32)), &header, sizeof(uint32));
	c->jentries = b->len;
	sg_jb_reserve(b, sizeof(JEntry) * nentries);
	c->next = 0;
	c->totallen = 0;
}

/* end c, a child of parent (NULL for the root) */
static void
sg_jb_end(SGJbBuf *b, SGJbContainer *c, SGJbContainer *parent)
{
	if (b->len - c->start > JENTRY_OFFLENMASK)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the manifest exceeds jsonb's maximum of %d bytes",
						JENTRY_OFFLENMASK)));
	if (parent)
		sg_jb_entry(b, parent, JENTRY_ISCONTAINER, (uint32) (b->len - c->start));
}

static void
sg_jb_string(SGJbBuf *b, SGJbContainer *c, const char *s, Size len)
{
	memcpy(sg_jb_reserve(b, len), s, len);
	sg_jb_entry(b, c, JENTRY_ISSTRING, (uint32) len);
}

/* a string, or null when s is NULL */
static void
sg_jb_text(SGJbBuf *b, SGJbContainer *c, const char *s)
{
	if (s == NULL)
		sg_jb_entry(b, c, JENTRY_ISNULL, 0);
	else
		sg_jb_string(b, c, s, strlen(s));
}

static void
sg_jb_int(SGJbBuf *b, SGJbContainer *c, int64 value)
{
	Numeric		num = int64_to_numeric(value);
	uint32		padlen = sg_jb_pad(b);
	Size		numlen = VARSIZE_ANY(num);

	memcpy(sg_jb_reserve(b, numlen), num, numlen);
	sg_jb_entry(b, c, JENTRY_ISNUMERIC, padlen + (uint32) numlen);
	pfree(num);
}

static void
sg_jb_keys(SGJbBuf *b, SGJbContainer *c, const char *const *keys, int n)
{
	for (int i = 0; i < n; i++)
		sg_jb_string(b, c, keys[i], strlen(keys[i]));
}

/* the keys of the manifest and of each object, in jsonb's order */
static const char *const sg_root_keys[] = {
	"facets", "format", "objects", "database", "exported_at", "fingerprint",
	"object_count", "server_major", "format_version", "server_version_num"
};
static const char *const sg_object_keys[] = {
	"type", "schema", "checksum", "identity", "definition"
};

/* an upper bound of the manifest's size */
static Size
sg_manifest_bound(SGSnapshot *snap, const char *dbname, const char *exported_at,
				  const char *fingerprint, char **facets, int nfacets)
{
	Size		size = 1024;	/* headers, keys, numbers, padding */

	size += (dbname ? strlen(dbname) : 0) + strlen(exported_at) + strlen(fingerprint);
	for (int i = 0; i < nfacets; i++)
		size += sizeof(JEntry) + strlen(facets[i]);
	size += 3 + sizeof(uint32) + sizeof(JEntry) * (Size) snap->nobjects;
	for (int i = 0; i < snap->nobjects; i++)
	{
		SGObject   *obj = &snap->objects[i];

		size += 3 + sizeof(uint32) + sizeof(JEntry) * 2 * lengthof(sg_object_keys) + 36;
		size += strlen(obj->type) + (obj->schema ? strlen(obj->schema) : 0) +
			strlen(obj->identity) + SG_CHECKSUM_LEN + strlen(obj->definition);
	}
	return size;
}

/*
 * The manifest of snap as a jsonb, in the current memory context: what
 * export_manifest() returns.
 */
Jsonb *
sg_manifest_jsonb(SGSnapshot *snap, int facets, const char *dbname,
				  const char *exported_at)
{
	const char *fingerprint = sg_fingerprint_of(snap->objects, snap->nobjects, facets);
	ArrayType  *arr = sg_facets_array(facets);
	Datum	   *elems;
	char	  **facet_names;
	int			nfacets;
	SGJbBuf		b;
	SGJbContainer root;
	SGJbContainer sub;

	StaticAssertStmt(lengthof(sg_root_keys) == 10, "root keys");
	deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, NULL, &nfacets);
	facet_names = palloc(sizeof(char *) * Max(nfacets, 1));
	for (int i = 0; i < nfacets; i++)
		facet_names[i] = TextDatumGetCString(elems[i]);

	b.max = sg_manifest_bound(snap, dbname, exported_at, fingerprint,
							  facet_names, nfacets);
	b.data = palloc_extended(b.max, MCXT_ALLOC_HUGE);
	b.len = 0;
	sg_jb_reserve(&b, VARHDRSZ);

	sg_jb_begin(&b, &root, JB_FOBJECT, lengthof(sg_root_keys));
	sg_jb_keys(&b, &root, sg_root_keys, lengthof(sg_root_keys));
	/* facets */
	sg_jb_begin(&b, &sub, JB_FARRAY, nfacets);
	for (int i = 0; i < nfacets; i++)
		sg_jb_text(&b, &sub, facet_names[i]);
	sg_jb_end(&b, &sub, &root);
	/* format */
	sg_jb_text(&b, &root, SG_MANIFEST_FORMAT);
	/* objects */
	sg_jb_begin(&b, &sub, JB_FARRAY, snap->nobjects);
	for (int i = 0; i < snap->nobjects; i++)
	{
		SGObject   *obj = &snap->objects[i];
		SGJbContainer o;
		char		checksum[SG_CHECKSUM_LEN + 1];

		if (i % 1024 == 0)
			CHECK_FOR_INTERRUPTS();
		if (obj->checksum)
			strlcpy(checksum, obj->checksum, sizeof(checksum));
		else
			sg_checksum_into(obj->definition, strlen(obj->definition), checksum);
		sg_jb_begin(&b, &o, JB_FOBJECT, lengthof(sg_object_keys));
		sg_jb_keys(&b, &o, sg_object_keys, lengthof(sg_object_keys));
		sg_jb_text(&b, &o, obj->type);
		sg_jb_text(&b, &o, obj->schema);
		sg_jb_string(&b, &o, checksum, SG_CHECKSUM_LEN);
		sg_jb_text(&b, &o, obj->identity);
		sg_jb_text(&b, &o, obj->definition);
		sg_jb_end(&b, &o, &sub);
	}
	sg_jb_end(&b, &sub, &root);
	sg_jb_text(&b, &root, dbname);
	sg_jb_text(&b, &root, exported_at);
	sg_jb_text(&b, &root, fingerprint);
	sg_jb_int(&b, &root, snap->nobjects);
	sg_jb_int(&b, &root, sg_major(PG_VERSION_NUM));
	sg_jb_int(&b, &root, SG_SNAPSHOT_FORMAT);
	sg_jb_int(&b, &root, PG_VERSION_NUM);
	sg_jb_end(&b, &root, NULL);

	SET_VARSIZE(b.data, b.len);
	return (Jsonb *) b.data;
}
