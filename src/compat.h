/*-------------------------------------------------------------------------
 *
 * compat.h
 *		Every difference between the supported PostgreSQL major versions
 *		(15, 16, 17, 18, 19) lives here, so that the rest of schemaguard reads
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

/*
 * NOT NULL is a pg_constraint row from 18 on, and can be added NOT VALID
 * and validated later (attnotnull is set for it all the same).
 */
#if PG_VERSION_NUM < 180000
#define SG_CONSTRAINT_IS_NOTNULL(con) false
#else
#define SG_CONSTRAINT_IS_NOTNULL(con) ((con)->contype == CONSTRAINT_NOTNULL)
#define SG_HAVE_NOT_NULL_NOT_VALID 1
#endif

/* temporal keys (WITHOUT OVERLAPS, PERIOD) are new in 18 */
#if PG_VERSION_NUM < 180000
#define SG_CONSTRAINT_HAS_PERIOD(con) false
#else
#define SG_CONSTRAINT_HAS_PERIOD(con) ((con)->conperiod)
#endif

/*
 * 19 gave table_beginscan() a flags argument, and DomainHasConstraints() an
 * output argument that says whether a constraint is volatile.
 */
#if PG_VERSION_NUM < 190000
#define SG_TABLE_BEGINSCAN(rel, snap, nkeys, key) \
	table_beginscan((rel), (snap), (nkeys), (key))
#define SG_DOMAIN_HAS_CONSTRAINTS(typid) DomainHasConstraints(typid)
#else
#define SG_TABLE_BEGINSCAN(rel, snap, nkeys, key) \
	table_beginscan((rel), (snap), (nkeys), (key), SO_NONE)
#define SG_DOMAIN_HAS_CONSTRAINTS(typid) DomainHasConstraints((typid), NULL)
#endif

/*
 * Privilege checks on functions became object_aclcheck() in 16; a valid
 * NOT NULL constraint is told by the compact attribute from 18 on (an
 * invalid one also sets attnotnull).
 */
#if PG_VERSION_NUM < 160000
#define object_aclcheck_compat(funcid) \
	pg_proc_aclcheck((funcid), GetUserId(), ACL_EXECUTE)
#else
#define object_aclcheck_compat(funcid) \
	object_aclcheck(ProcedureRelationId, (funcid), GetUserId(), ACL_EXECUTE)
#endif
/* the MAINTAIN privilege (VACUUM, CLUSTER, REINDEX, REFRESH, LOCK) is new in 17 */
#if PG_VERSION_NUM < 170000
#define SG_ACL_MAINTAIN 0
#else
#define SG_ACL_MAINTAIN ACL_MAINTAIN
#endif
#if PG_VERSION_NUM < 180000
#define SG_ATT_NOT_NULL_VALID(desc, attnum) \
	(TupleDescAttr((desc), (attnum) - 1)->attnotnull)
#else
#define SG_ATT_NOT_NULL_VALID(desc, attnum) \
	(TupleDescCompactAttr((desc), (attnum) - 1)->attnullability == ATTNULLABLE_VALID)
#endif

/*
 * ENFORCED / NOT ENFORCED constraint attributes are new in 18: in the raw
 * parse tree of a column constraint they follow it as nodes of their own.
 */
#if PG_VERSION_NUM < 180000
#define SG_CONSTR_IS_ENFORCEMENT_ATTR(con) false
#define SG_CONSTR_IS_NOT_ENFORCED_ATTR(con) false
#else
#define SG_CONSTR_IS_ENFORCEMENT_ATTR(con) \
	((con)->contype == CONSTR_ATTR_ENFORCED || (con)->contype == CONSTR_ATTR_NOT_ENFORCED)
#define SG_CONSTR_IS_NOT_ENFORCED_ATTR(con) ((con)->contype == CONSTR_ATTR_NOT_ENFORCED)
#endif

/*
 * ALTER TABLE ... ALTER CONSTRAINT c ENFORCED (18+) turns a NOT ENFORCED
 * constraint into a validated one: a foreign key from 18 on, a CHECK
 * constraint from 19 on (18 refuses it).  Its AlterTableCmd's def is an
 * ATAlterConstraint from 18 on; SG_ALTER_CONSTRAINT_ENFORCED gives the
 * constraint's name when the command sets ENFORCED, else NULL.
 */
#if PG_VERSION_NUM >= 180000
#define SG_HAVE_ALTER_CONSTRAINT_ENFORCED 1
#define SG_ALTER_CONSTRAINT_ENFORCED(cmd) \
	((cmd)->subtype == AT_AlterConstraint && (cmd)->def != NULL && \
	 IsA((cmd)->def, ATAlterConstraint) && \
	 ((ATAlterConstraint *) (cmd)->def)->alterEnforceability && \
	 ((ATAlterConstraint *) (cmd)->def)->is_enforced ? \
	 ((ATAlterConstraint *) (cmd)->def)->conname : (char *) NULL)
#endif
#if PG_VERSION_NUM >= 190000
#define SG_CAN_ENFORCE_CHECK 1
#endif

/*
 * CLUSTER is one form of the REPACK statement from 19 on: RepackStmt has
 * CLUSTER, REPACK [USING INDEX] and REPACK (CONCURRENTLY), which holds its
 * ACCESS EXCLUSIVE lock only to swap the files.  Before 19 there is only
 * CLUSTER, which always orders by an index and is never concurrent.
 */
#include "nodes/parsenodes.h"
#if PG_VERSION_NUM < 190000
#define T_SGRepackStmt T_ClusterStmt
typedef ClusterStmt SGRepackStmt;
#define SG_REPACK_RELATION(s) ((s)->relation)
#define SG_REPACK_IS_CLUSTER(s) true
#define SG_REPACK_BY_INDEX(s) true
#define SG_REPACK_PARAMS(s) ((s)->params)
#else
#define T_SGRepackStmt T_RepackStmt
typedef RepackStmt SGRepackStmt;
#define SG_REPACK_RELATION(s) ((s)->relation ? (s)->relation->relation : NULL)
#define SG_REPACK_IS_CLUSTER(s) ((s)->command == REPACK_COMMAND_CLUSTER)
#define SG_REPACK_BY_INDEX(s) \
	((s)->command == REPACK_COMMAND_CLUSTER || (s)->usingindex)
#define SG_REPACK_PARAMS(s) ((s)->params)
#define SG_HAVE_REPACK_CONCURRENTLY 1
#endif

/*
 * The SQL scanner's per-scan settings: from 19 on, string literals always
 * conform to the standard and there is no warning about escapes in them.
 */
#if PG_VERSION_NUM < 190000
#include "parser/parser.h"
#define SG_SCANNER_SETTINGS 2
#define SG_CONFORMING_STRINGS standard_conforming_strings
#define SG_SCANNER_SET(extra, conforming) \
	((extra)->standard_conforming_strings = (conforming), \
	 (extra)->escape_string_warning = false)
#else
#define SG_SCANNER_SETTINGS 1
#define SG_CONFORMING_STRINGS true
#define SG_SCANNER_SET(extra, conforming) ((void) (conforming))
#endif

/*
 * pushJsonbValue() builds into a JsonbInState from 19 on (the finished
 * value in its result field); before, into a JsonbParseState stack, and
 * the finished value is what the last call returns.
 */
#include "utils/jsonb.h"
#if PG_VERSION_NUM < 190000
typedef struct SGJsonbState
{
	JsonbParseState *parse;
	JsonbValue *result;
} SGJsonbState;

static inline void
sg_jsonb_push(SGJsonbState *state, JsonbIteratorToken tok, JsonbValue *v)
{
	state->result = pushJsonbValue(&state->parse, tok, v);
}
#else
typedef JsonbInState SGJsonbState;
#define sg_jsonb_push(state, tok, v) pushJsonbValue((state), (tok), (v))
#endif

/*
 * LockHeldByMe gained an "or stronger" argument in 17.
 */
#if PG_VERSION_NUM < 170000
#define SG_LOCK_HELD_BY_ME(tag, mode) LockHeldByMe((tag), (mode))
#else
#define SG_LOCK_HELD_BY_ME(tag, mode) LockHeldByMe((tag), (mode), false)
#endif

/*
 * 18 has virtual generated columns, the default when neither VIRTUAL nor
 * STORED is written: computed when read, so adding one rewrites nothing.
 * 17 added ALTER COLUMN ... SET EXPRESSION.
 */
#if PG_VERSION_NUM >= 180000
#define SG_CONSTR_IS_VIRTUAL_GENERATED(c) \
	((c)->generated_kind == ATTRIBUTE_GENERATED_VIRTUAL)
#else
#define SG_CONSTR_IS_VIRTUAL_GENERATED(c) false
#endif
#if PG_VERSION_NUM >= 170000
#define SG_HAVE_SET_EXPRESSION 1
#endif

/*
 * The ownership checks became object_ownercheck() in 16.
 */
#if PG_VERSION_NUM < 160000
#define SG_TYPE_OWNERCHECK(typid, roleid) pg_type_ownercheck((typid), (roleid))
#else
#define SG_TYPE_OWNERCHECK(typid, roleid) \
	object_ownercheck(TypeRelationId, (typid), (roleid))
#endif

/*
 * The backend status snapshot's entries by position (1-based) were
 * fetched with pgstat_fetch_stat_local_beentry() before 17.
 */
#if PG_VERSION_NUM < 170000
#define SG_LOCAL_BEENTRY(idx) pgstat_fetch_stat_local_beentry(idx)
#else
#define SG_LOCAL_BEENTRY(idx) pgstat_get_local_beentry_by_index(idx)
#endif

/*
 * FuncnameGetCandidates() reports what it did not find through an output
 * argument from 19 on.
 */
#include "catalog/namespace.h"
#if PG_VERSION_NUM < 190000
#define SG_FUNCNAME_CANDIDATES(names) \
	FuncnameGetCandidates((names), -1, NIL, false, false, false, true)
#else
static inline FuncCandidateList
sg_funcname_candidates(List *names)
{
	int			flags;

	return FuncnameGetCandidates(names, -1, NIL, false, false, false, true, &flags);
}
#define SG_FUNCNAME_CANDIDATES(names) sg_funcname_candidates(names)
#endif

/*
 * The cumulative statistics record when a relation was last scanned from
 * 16 on (pg_stat_all_tables.last_seq_scan; of an index, last_idx_scan):
 * the transaction end of the last scan, 0 when none was recorded.  15
 * records no time.
 */
#if PG_VERSION_NUM >= 160000
#define SG_HAVE_LAST_SCAN 1
#include "pgstat.h"
static inline TimestampTz
sg_rel_last_scan(Oid relid)
{
	PgStat_StatTabEntry *entry = pgstat_fetch_stat_tabentry(relid);

	return entry != NULL ? entry->lastscan : 0;
}
#else
#define SG_HAVE_LAST_SCAN 0
#define sg_rel_last_scan(relid) ((TimestampTz) 0)
#endif

#endif							/* SCHEMAGUARD_COMPAT_H */
