/*-------------------------------------------------------------------------
 *
 * consistency.h
 *		One consistent state of the schema for the drift functions, while
 *		other sessions change it (consistency.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_CONSISTENCY_H
#define SCHEMAGUARD_CONSISTENCY_H

#include "nodes/nodes.h"

/* from _PG_init: shared memory (when preloaded) and callbacks */
extern void sg_consistency_init(void);
/* from the ProcessUtility hook, before and after each statement */
extern void sg_consistency_utility(Node *stmt);
extern void sg_consistency_utility_done(void);
/* in the snapshot's parallel worker, at its start */
extern void sg_consistency_worker_start(void);

#endif							/* SCHEMAGUARD_CONSISTENCY_H */
