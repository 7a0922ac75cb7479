/*-------------------------------------------------------------------------
 *
 * drift_depend.h
 *		What a definition reads, from pg_depend, for drift()'s "tracked"
 *		(drift_depend.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_DRIFT_DEPEND_H
#define SCHEMAGUARD_DRIFT_DEPEND_H

#include "nodes/pg_list.h"

#include "snapshot.h"

typedef struct SGDepends SGDepends;

extern SGDepends *sg_depends_create(MemoryContext cxt);
/* read from pg_depend what obj's definition reads (obj: a live object) */
extern void sg_depends_add(SGDepends *d, const SGObject *obj);
/* find what was read among one side's objects */
extern void sg_depends_match(SGDepends *d, SGObject *objects, int n, bool base);
/*
 * Append to result, in pairs (baseline object, live object), what obj's
 * definition reads that has another identity now than in the baseline.
 */
extern List *sg_depends_renamed(SGDepends *d, const SGObject *obj, List *result);

#endif							/* SCHEMAGUARD_DRIFT_DEPEND_H */
