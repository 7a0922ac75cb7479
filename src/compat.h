/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Every difference between the supported PostgreSQL major versions
 *		(15, 16, 17, 18) lives here, so that the rest of schemaguard reads
 *		as if there were only one server version.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_COMPAT_H
#define SCHEMAGUARD_COMPAT_H

#include "postgres.h"

#if PG_VERSION_NUM < 150000
#error "schemaguard requires PostgreSQL 15 or later"
#endif

/*
 * The ProcessUtility_hook signature has been stable since PostgreSQL 14;
 * keep the parameter list in one place anyway.
 */
#define SG_PROCESS_UTILITY_ARGS \
	PlannedStmt *pstmt, const char *queryString, bool readOnlyTree, \
	ProcessUtilityContext context, ParamListInfo params, \
	QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc

#define SG_PROCESS_UTILITY_CALL_ARGS \
	pstmt, queryString, readOnlyTree, context, params, queryEnv, dest, qc

/*
 * GUC check hooks hand back "extra" data that the GUC machinery frees.
 * Before 16 it is plain malloc'd memory; from 16 on guc_malloc is exported
 * and must be used.
 */
#if PG_VERSION_NUM < 160000
#define sg_guc_malloc(size) malloc(size)
#else
#include "utils/guc.h"
#define sg_guc_malloc(size) guc_malloc(LOG, (size))
#endif

/*
 * Catalog columns the drift snapshot reads.  attstattarget and
 * stxstattarget became nullable int2 in 17 (NULL = default); the ICU
 * locale column of pg_collation was renamed in 17; NOT NULL became a
 * pg_constraint row in 18 (the snapshot shows it on the column).
 */
#if PG_VERSION_NUM < 170000
#define SG_ATTSTATTARGET(tup, desc) \
	(((Form_pg_attribute) GETSTRUCT(tup))->attstattarget)
#define SG_STXSTATTARGET(tup, desc) \
	(((Form_pg_statistic_ext) GETSTRUCT(tup))->stxstattarget)
#define SG_ANUM_COLLATION_LOCALE Anum_pg_collation_colliculocale
#else
#define SG_ATTSTATTARGET(tup, desc) \
	sg_nullable_int2((tup), Anum_pg_attribute_attstattarget, (desc))
#define SG_STXSTATTARGET(tup, desc) \
	sg_nullable_int2((tup), Anum_pg_statistic_ext_stxstattarget, (desc))
#define SG_ANUM_COLLATION_LOCALE Anum_pg_collation_colllocale
#include "access/htup_details.h"
static inline int
sg_nullable_int2(HeapTuple tup, int attnum, TupleDesc desc)
{
	bool		isnull;
	Datum		d = heap_getattr(tup, attnum, desc, &isnull);

	return isnull ? -1 : DatumGetInt16(d);
}
#endif

/*
 * RelationGetPrimaryKeyIndex() gained a deferrable_ok argument in 18; the
 * changelog's primary key is never deferrable.
 */
#if PG_VERSION_NUM < 180000
#define SG_PRIMARY_KEY_INDEX(rel) RelationGetPrimaryKeyIndex(rel)
#else
#define SG_PRIMARY_KEY_INDEX(rel) RelationGetPrimaryKeyIndex((rel), false)
#endif

#if PG_VERSION_NUM < 180000
#define SG_CONSTRAINT_IS_NOTNULL(con) false
#else
#define SG_CONSTRAINT_IS_NOTNULL(con) ((con)->contype == CONSTRAINT_NOTNULL)
#endif

/* temporal keys (WITHOUT OVERLAPS, PERIOD) are new in 18 */
#if PG_VERSION_NUM < 180000
#define SG_CONSTRAINT_HAS_PERIOD(con) false
#else
#define SG_CONSTRAINT_HAS_PERIOD(con) ((con)->conperiod)
#endif

#endif							/* SCHEMAGUARD_COMPAT_H */
