/*-------------------------------------------------------------------------
 *
 * drift.h
 *		Comparing object lists, shared by drift() (drift.c) and the manifests
 *		(manifest.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_DRIFT_H
#define SCHEMAGUARD_DRIFT_H

#include "funcapi.h"
#include "utils/jsonb.h"

#include "snapshot.h"

#define SG_MANIFEST_FORMAT "schemaguard manifest"

/* one side of a comparison */
typedef struct SGSide
{
	SGObject   *objects;
	int			n;
	int			facets;
	int			server_version_num;	/* 0 if unknown */
} SGSide;

typedef struct SGTracking SGTracking;
typedef struct SGDiff SGDiff;
typedef SGTracking *(*SGTrackingFn) (void *arg, SGSide *base, SGSide *live,
									 SGDiff *diffs, int ndiffs);

/* drift.c */
extern int sg_facets_arg(FunctionCallInfo fcinfo, int argno);
extern int sg_major(int version_num);
extern SGSide sg_live_side(int facets, SGLeaderWork work, void *work_arg);
extern void sg_warn_versions(const char *what_a, int a, const char *what_b, int b);
extern void sg_diff(ReturnSetInfo *rsinfo, SGSide *base, SGSide *live,
		SGTrackingFn tracking_fn, void *arg);
extern void sg_check_unique(SGSide *side, const char *what);

/* manifest_jsonb.c */
extern Jsonb *sg_manifest_jsonb(SGSnapshot *snap, int facets, const char *dbname,
								 const char *exported_at);

#endif							/* SCHEMAGUARD_DRIFT_H */
