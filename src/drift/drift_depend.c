/*-------------------------------------------------------------------------
 *
 * drift_depend.c
 *		What a definition reads, for drift()'s "tracked": a change that
 *		shows only through a dependent object.
 *
 * A view's text names the tables and columns it reads; an index's, a
 * constraint's or a default's names columns, sequences and functions.
 * When one of those is renamed (or moved to another schema) the dependent
 * object's definition changes although no statement named it, and the
 * changelog entry that explains it is the one that renamed what it reads.
 *
 * So, for each object drift() reports as modified in this database, the
 * objects its definition reads are taken from pg_depend: its own normal
 * and automatic dependencies, and those of the catalog rows that hold a
 * part of its definition (a view's _RETURN rule in pg_rewrite, a column's
 * default or generation expression in pg_attrdef).  Each of them is looked
 * up by catalog address on both sides of the comparison; one whose
 * identity differs between the baseline and now was renamed or moved, and
 * the entries that name it, under either identity, explain the dependent
 * object.  Nothing else is attributed: a table that only gained a column
 * does not explain a view replaced behind schemaguard's back.
 *
 * pg_depend is read as it is now, which is what the live side describes
 * (the baseline side is matched by the same addresses, which stay the
 * same across a rename).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_depend.h"
#include "catalog/pg_rewrite.h"
#include "utils/fmgroids.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "drift_depend.h"

typedef struct SGDepKey
{
	Oid			classid;
	Oid			objid;
	int32		objsubid;
} SGDepKey;

/* an object some definition reads, as each side of the comparison has it */
typedef struct SGDepObject
{
	SGDepKey	key;
	SGObject   *base;
	SGObject   *live;
} SGDepObject;

/* a modified object and the objects its definition reads */
typedef struct SGDepender
{
	SGDepKey	key;
	List	   *reads;			/* of SGDepObject * */
} SGDepender;

struct SGDepends
{
	MemoryContext cxt;
	HTAB	   *dependers;		/* SGDepKey -> SGDepender */
	HTAB	   *objects;		/* SGDepKey -> SGDepObject */
};

static void
sg_dep_key(SGDepKey *key, Oid classid, Oid objid, int32 objsubid)
{
	memset(key, 0, sizeof(SGDepKey));
	key->classid = classid;
	key->objid = objid;
	key->objsubid = objsubid;
}

static HTAB *
sg_dep_hash(const char *name, Size entrysize, MemoryContext cxt)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(SGDepKey);
	ctl.entrysize = entrysize;
	ctl.hcxt = cxt;
	return hash_create(name, 64, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

SGDepends *
sg_depends_create(MemoryContext cxt)
{
	SGDepends  *d = MemoryContextAllocZero(cxt, sizeof(SGDepends));

	d->cxt = cxt;
	d->dependers = sg_dep_hash("schemaguard dependers", sizeof(SGDepender), cxt);
	d->objects = sg_dep_hash("schemaguard dependencies", sizeof(SGDepObject), cxt);
	return d;
}

/* note that dep's definition reads the object at (classid, objid, objsubid) */
static void
sg_depends_note(SGDepends *d, SGDepender *dep, Oid classid, Oid objid,
				int32 objsubid)
{
	SGDepKey	key;
	SGDepObject *obj;
	bool		found;

	/* what a definition reads is never the object itself */
	if (classid == dep->key.classid && objid == dep->key.objid)
		return;
	sg_dep_key(&key, classid, objid, objsubid);
	obj = hash_search(d->objects, &key, HASH_ENTER, &found);
	if (!found)
	{
		obj->base = NULL;
		obj->live = NULL;
	}
	if (!list_member_ptr(dep->reads, obj))
	{
		MemoryContext old = MemoryContextSwitchTo(d->cxt);

		dep->reads = lappend(dep->reads, obj);
		MemoryContextSwitchTo(old);
	}
}

/*
 * The normal and automatic dependencies of (classid, objid, objsubid) into
 * dep; with subparts, also those of the pg_rewrite and pg_attrdef rows that
 * hold part of its definition.
 */
static void
sg_depends_scan(SGDepends *d, SGDepender *dep, Relation depRel, Oid classid,
				Oid objid, int32 objsubid, bool subparts)
{
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	List	   *parts = NIL;
	ListCell   *lc;

	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(depRel, DependDependerIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend row = (Form_pg_depend) GETSTRUCT(tup);

		if (row->objsubid != objsubid ||
			(row->deptype != DEPENDENCY_NORMAL && row->deptype != DEPENDENCY_AUTO))
			continue;
		sg_depends_note(d, dep, row->refclassid, row->refobjid, row->refobjsubid);
		/*
		 * pg_depend keeps only the column when a definition reads a table
		 * and its columns; the table's own rename shows in its name.
		 */
		if (row->refobjsubid != 0)
			sg_depends_note(d, dep, row->refclassid, row->refobjid, 0);
	}
	systable_endscan(scan);
	if (!subparts)
		return;

	/* a view's _RETURN rule, a column's default: parts of the definition */
	ScanKeyInit(&key[0], Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_refobjid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(depRel, DependReferenceIndexId, true, NULL, 2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend row = (Form_pg_depend) GETSTRUCT(tup);

		if (row->refobjsubid != objsubid)
			continue;
		if ((row->classid == RewriteRelationId && row->deptype == DEPENDENCY_INTERNAL) ||
			(row->classid == AttrDefaultRelationId && row->deptype == DEPENDENCY_AUTO))
			parts = lappend_oid(lappend_oid(parts, row->classid), row->objid);
	}
	systable_endscan(scan);
	for (lc = list_head(parts); lc != NULL; lc = lnext(parts, lnext(parts, lc)))
		sg_depends_scan(d, dep, depRel, lfirst_oid(lc), lfirst_oid(lnext(parts, lc)),
						0, false);
	list_free(parts);
}

void
sg_depends_add(SGDepends *d, const SGObject *obj)
{
	SGDepKey	key;
	SGDepender *dep;
	bool		found;
	Relation	depRel;

	if (obj == NULL || !OidIsValid(obj->classid) || !OidIsValid(obj->objid))
		return;
	sg_dep_key(&key, obj->classid, obj->objid, obj->objsubid);
	dep = hash_search(d->dependers, &key, HASH_ENTER, &found);
	if (found)
		return;
	dep->reads = NIL;
	depRel = table_open(DependRelationId, AccessShareLock);
	sg_depends_scan(d, dep, depRel, obj->classid, obj->objid, obj->objsubid, true);
	table_close(depRel, AccessShareLock);
}

void
sg_depends_match(SGDepends *d, SGObject *objects, int n, bool base)
{
	if (hash_get_num_entries(d->objects) == 0)
		return;
	for (int i = 0; i < n; i++)
	{
		SGDepKey	key;
		SGDepObject *obj;

		if (!OidIsValid(objects[i].objid))
			continue;
		sg_dep_key(&key, objects[i].classid, objects[i].objid, objects[i].objsubid);
		obj = hash_search(d->objects, &key, HASH_FIND, NULL);
		if (obj == NULL)
			continue;
		if (base)
			obj->base = &objects[i];
		else
			obj->live = &objects[i];
	}
}

List *
sg_depends_renamed(SGDepends *d, const SGObject *obj, List *result)
{
	SGDepKey	key;
	SGDepender *dep;
	ListCell   *lc;

	if (d == NULL || obj == NULL || !OidIsValid(obj->objid))
		return result;
	sg_dep_key(&key, obj->classid, obj->objid, obj->objsubid);
	dep = hash_search(d->dependers, &key, HASH_FIND, NULL);
	if (dep == NULL)
		return result;
	foreach(lc, dep->reads)
	{
		SGDepObject *read = lfirst(lc);

		if (read->base && read->live &&
			(strcmp(read->base->identity, read->live->identity) != 0 ||
			 strcmp(read->base->type, read->live->type) != 0))
		{
			result = lappend(result, read->base);
			result = lappend(result, read->live);
		}
	}
	return result;
}
