/*-------------------------------------------------------------------------
 *
 * snapshot.h
 *		The schema snapshot behind drift detection: one entry per schema
 *		object with a normalised definition (snapshot.c), and the
 *		comparisons built on it (drift.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_SNAPSHOT_H
#define SCHEMAGUARD_SNAPSHOT_H

#include "postgres.h"

#include "utils/array.h"

/* Optional facets: each adds to the definitions only when asked for. */
#define SG_FACET_OWNERS			0x01
#define SG_FACET_PRIVILEGES		0x02
#define SG_FACET_COMMENTS		0x04
#define SG_FACET_COLUMN_ORDER	0x08
#define SG_FACET_STORAGE		0x10
#define SG_NUM_FACETS			5

/* Version of the definition format and of the fingerprint. */
#define SG_SNAPSHOT_FORMAT		1
#define SG_FINGERPRINT_PREFIX	"v1:sha256:"

/* an object's checksum: "sha256:" and 64 hex digits */
#define SG_CHECKSUM_LEN			(7 + 2 * 32)

typedef struct SGObject
{
	const char *type;			/* as getObjectTypeDescription() says */
	const char *schema;			/* schema name, NULL if not in a schema */
	const char *identity;		/* as getObjectIdentity() says */
	const char *definition;		/* normalised definition, with facets */
	const char *parent_type;	/* owning object, for changelog matching */
	const char *parent_identity;
	Oid			classid;		/* catalog address, for rename matching */
	Oid			objid;
	int32		objsubid;
	const char *checksum;		/* "sha256:...", computed on demand */
} SGObject;

typedef struct SGSnapshot
{
	int			facets;
	int			nobjects;
	int			maxobjects;
	SGObject   *objects;		/* sorted by (type, identity) when done */
} SGSnapshot;

/*
 * Strings that live as long as a memory context, carved from large blocks:
 * hundreds of thousands of small strings need neither a chunk header each
 * nor rounding up to a power of two.  The few object type names are kept
 * once each (sg_arena_intern), so that they can be compared as pointers.
 */
typedef struct SGArena
{
	MemoryContext cxt;
	char	   *next;
	Size		left;
	const char *interned[32];
	int			ninterned;
	int			last_interned[2];	/* where the last lookups found their names */
} SGArena;

/* snapshot.c */
extern char *sg_arena_alloc(SGArena *a, Size len);
extern const char *sg_arena_copy(SGArena *a, const char *data, Size len);
extern const char *sg_arena_intern(SGArena *a, const char *data, Size len);
extern int	sg_parse_facets(ArrayType *facets, const char *what);
extern int	sg_parse_facet_datums(Datum *elems, bool *nulls, int nelems,
								  const char *what);
extern ArrayType *sg_facets_array(int facets);
extern char *sg_facets_text(int facets);
typedef void (*SGPollFn) (void *poll_arg);
typedef void (*SGLeaderWork) (void *arg, SGPollFn poll, void *poll_arg);
extern SGSnapshot *sg_snapshot_take_once(int facets, SGLeaderWork work,
										 void *work_arg);
extern char *sg_snapshot_fingerprint_once(int facets);
/* consistency.c: the same, describing one state of the schema */
extern SGSnapshot *sg_snapshot_take(int facets, SGLeaderWork work, void *work_arg);
extern char *sg_snapshot_fingerprint(int facets);
extern int	sg_object_cmp(const SGObject *a, const SGObject *b);
extern void sg_snapshot_sort(SGObject *objects, int n);
extern const char *sg_object_checksum(SGObject *obj);
extern char *sg_sha256_of(const char *data, size_t len);
extern void sg_checksum_into(const char *data, size_t len, char *out);
extern char *sg_fingerprint_of(SGObject *objects, int n, int facets);

#endif							/* SCHEMAGUARD_SNAPSHOT_H */
