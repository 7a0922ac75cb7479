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

#endif							/* SCHEMAGUARD_COMPAT_H */
