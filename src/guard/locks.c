/*-------------------------------------------------------------------------
 *
 * locks.c
 *		Which lock a utility statement takes on an existing relation, and
 *		schemaguard.lock_timeout: a lock timeout applied for one statement
 *		when the session has none, so that a DDL statement never waits in
 *		the lock queue behind a long transaction while every other query
 *		on the table waits behind it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/namespace.h"
#include "catalog/partition.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "commands/tablecmds.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "schemaguard.h"

/* remember the first non-exempt relation and the strongest lock */
static void
sg_note_lock(SGContext *ctx, SGStatementLock *sl, SGRelInfo *ri, LOCKMODE mode)
{
	if (ri == NULL || sg_rel_exempt(ctx, ri) || mode == NoLock)
		return;
	if (sl->rel == NULL || mode > sl->mode)
	{
		sl->rel = ri;
		sl->mode = mode;
	}
}

static void
sg_note_lock_rv(SGContext *ctx, SGStatementLock *sl, RangeVar *rv, LOCKMODE mode)
{
	if (rv != NULL)
		sg_note_lock(ctx, sl, sg_relinfo_rv(ctx, rv), mode);
}

/*
 * A new partition of a partitioned table changes the constraint of its
 * default partition, which is then locked ACCESS EXCLUSIVE (and scanned).
 */
static void
sg_note_default_partition(SGContext *ctx, SGStatementLock *sl, RangeVar *parent)
{
	SGRelInfo  *ri = sg_relinfo_rv(ctx, parent);

	if (ri != NULL && ri->relkind == RELKIND_PARTITIONED_TABLE)
	{
		Oid			def = get_default_partition_oid(ri->relid);

		if (OidIsValid(def))
			sg_note_lock(ctx, sl, sg_relinfo_oid(ctx, def), AccessExclusiveLock);
	}
}

/*
 * Is the boolean option "name" of a statement's option list (VACUUM,
 * REINDEX, ...) given and true?
 */
bool
sg_option_is_true(List *options, const char *name)
{
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *opt = lfirst_node(DefElem, lc);

		if (strcmp(opt->defname, name) == 0)
			return defGetBoolean(opt);
	}
	return false;
}

/*
 * Does this kind of statement lock relations in a way sg_statement_lock()
 * knows about?  Used by the hook's fast path.
 */
bool
sg_statement_may_lock(Node *stmt)
{
	return sg_tag_may_lock(nodeTag(stmt));
}

/* the same, by the statement's node type alone */
bool
sg_tag_may_lock(NodeTag tag)
{
	switch (tag)
	{
		case T_AlterTableStmt:
		case T_IndexStmt:
		case T_DropStmt:
		case T_RenameStmt:
		case T_TruncateStmt:
		case T_ReindexStmt:
		case T_SGRepackStmt:
		case T_VacuumStmt:
		case T_RefreshMatViewStmt:
		case T_CreateTrigStmt:
		case T_CreatePolicyStmt:
		case T_AlterPolicyStmt:
		case T_RuleStmt:
		case T_CreateStmt:
		case T_LockStmt:
		case T_AlterTableMoveAllStmt:
			return true;
		default:
			return false;
	}
}

/*
 * The strongest lock the statement takes on a relation that existed before
 * this transaction (and is not temporary), and that relation.
 */
SGStatementLock
sg_statement_lock(SGContext *ctx, Node *stmt)
{
	SGStatementLock sl = {NoLock, NULL};
	ListCell   *lc;

	switch (nodeTag(stmt))
	{
		case T_AlterTableStmt:
			{
				AlterTableStmt *ats = (AlterTableStmt *) stmt;

				sg_note_lock_rv(ctx, &sl, ats->relation,
								AlterTableGetLockLevel(ats->cmds));
				/* the partition being attached or detached is locked too */
				foreach(lc, ats->cmds)
				{
					AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

					if ((cmd->subtype == AT_AttachPartition ||
						 cmd->subtype == AT_DetachPartition) &&
						cmd->def != NULL && IsA(cmd->def, PartitionCmd) &&
						!((PartitionCmd *) cmd->def)->concurrent)
						sg_note_lock_rv(ctx, &sl, ((PartitionCmd *) cmd->def)->name,
										AccessExclusiveLock);
					/* attaching changes the default partition's constraint */
					if (cmd->subtype == AT_AttachPartition)
						sg_note_default_partition(ctx, &sl, ats->relation);
				}
				break;
			}
		case T_IndexStmt:
			if (!((IndexStmt *) stmt)->concurrent)
				sg_note_lock_rv(ctx, &sl, ((IndexStmt *) stmt)->relation, ShareLock);
			break;
		case T_DropStmt:
			{
				DropStmt   *ds = (DropStmt *) stmt;

				if (ds->concurrent)
					break;
				if (ds->removeType != OBJECT_TABLE && ds->removeType != OBJECT_INDEX &&
					ds->removeType != OBJECT_VIEW && ds->removeType != OBJECT_MATVIEW &&
					ds->removeType != OBJECT_FOREIGN_TABLE)
					break;
				foreach(lc, ds->objects)
					sg_note_lock_rv(ctx, &sl,
									makeRangeVarFromNameList(castNode(List, lfirst(lc))),
									AccessExclusiveLock);
				break;
			}
		case T_RenameStmt:
			{
				RenameStmt *rs = (RenameStmt *) stmt;
				SGRelInfo  *ri;

				/*
				 * ACCESS EXCLUSIVE, but SHARE UPDATE EXCLUSIVE for ALTER INDEX
				 * ... RENAME of an index (tablecmds.c, RenameRelation: the
				 * statement's form does not decide, the relation's kind does).
				 */
				if (rs->relation == NULL || (ri = sg_relinfo_rv(ctx, rs->relation)) == NULL)
					break;
				if (rs->renameType == OBJECT_INDEX &&
					(ri->relkind == RELKIND_INDEX || ri->relkind == RELKIND_PARTITIONED_INDEX))
					break;
				sg_note_lock(ctx, &sl, ri, AccessExclusiveLock);
				break;
			}
		case T_TruncateStmt:
			foreach(lc, ((TruncateStmt *) stmt)->relations)
				sg_note_lock_rv(ctx, &sl, lfirst_node(RangeVar, lc), AccessExclusiveLock);
			break;
		case T_ReindexStmt:
			{
				ReindexStmt *rs = (ReindexStmt *) stmt;

				if ((rs->kind == REINDEX_OBJECT_TABLE || rs->kind == REINDEX_OBJECT_INDEX) &&
					!sg_option_is_true(rs->params, "concurrently"))
					sg_note_lock_rv(ctx, &sl, rs->relation,
									rs->kind == REINDEX_OBJECT_TABLE ? ShareLock : AccessExclusiveLock);
				break;
			}
		case T_SGRepackStmt:
			{
				SGRepackStmt *rs = (SGRepackStmt *) stmt;

				/* REPACK (CONCURRENTLY) locks out traffic only to swap files */
				if (!sg_option_is_true(SG_REPACK_PARAMS(rs), "concurrently"))
					sg_note_lock_rv(ctx, &sl, SG_REPACK_RELATION(rs), AccessExclusiveLock);
				break;
			}
		case T_VacuumStmt:
			{
				VacuumStmt *vs = (VacuumStmt *) stmt;

				if (!vs->is_vacuumcmd || !sg_option_is_true(vs->options, "full"))
					break;
				foreach(lc, vs->rels)
					sg_note_lock_rv(ctx, &sl, lfirst_node(VacuumRelation, lc)->relation,
									AccessExclusiveLock);
				break;
			}
		case T_RefreshMatViewStmt:
			{
				RefreshMatViewStmt *rm = (RefreshMatViewStmt *) stmt;

				sg_note_lock_rv(ctx, &sl, rm->relation,
								rm->concurrent ? ExclusiveLock : AccessExclusiveLock);
				break;
			}
		case T_CreateTrigStmt:
			sg_note_lock_rv(ctx, &sl, ((CreateTrigStmt *) stmt)->relation, ShareRowExclusiveLock);
			break;
		case T_CreatePolicyStmt:
			sg_note_lock_rv(ctx, &sl, ((CreatePolicyStmt *) stmt)->table, AccessExclusiveLock);
			break;
		case T_AlterPolicyStmt:
			sg_note_lock_rv(ctx, &sl, ((AlterPolicyStmt *) stmt)->table, AccessExclusiveLock);
			break;
		case T_RuleStmt:
			sg_note_lock_rv(ctx, &sl, ((RuleStmt *) stmt)->relation, AccessExclusiveLock);
			break;
		case T_AlterTableMoveAllStmt:
			if (!((AlterTableMoveAllStmt *) stmt)->nowait)
				foreach(lc, sg_move_all_relids((AlterTableMoveAllStmt *) stmt))
					sg_note_lock(ctx, &sl, sg_relinfo_oid(ctx, lfirst_oid(lc)),
								 AccessExclusiveLock);
			break;
		case T_LockStmt:
			{
				LockStmt   *ls = (LockStmt *) stmt;

				/* LOCK ... NOWAIT does not queue */
				if (ls->nowait)
					break;
				foreach(lc, ls->relations)
					sg_note_lock_rv(ctx, &sl, lfirst_node(RangeVar, lc), ls->mode);
				break;
			}
		case T_CreateStmt:
			{
				CreateStmt *cs = (CreateStmt *) stmt;

				/*
				 * CREATE TABLE ... PARTITION OF locks the parent exclusively,
				 * and its default partition
				 */
				if (cs->partbound != NULL && cs->inhRelations != NIL)
				{
					sg_note_lock_rv(ctx, &sl, linitial_node(RangeVar, cs->inhRelations),
									AccessExclusiveLock);
					sg_note_default_partition(ctx, &sl,
											  linitial_node(RangeVar, cs->inhRelations));
				}
				break;
			}
		default:
			break;
	}
	return sl;
}

/*
 * Does the statement run in several transactions of its own (and so cannot
 * carry a statement-scoped setting)?
 */
bool
sg_statement_commits_internally(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_VacuumStmt:
			return true;
		case T_SGRepackStmt:
			{
				SGRepackStmt *rs = (SGRepackStmt *) stmt;
				RangeVar   *rv = SG_REPACK_RELATION(rs);
				Oid			relid;

				/*
				 * Without a table, or on a partitioned one: one table at a
				 * time; REPACK (CONCURRENTLY) commits before its last step.
				 */
				if (rv == NULL || sg_option_is_true(SG_REPACK_PARAMS(rs), "concurrently"))
					return true;
				relid = RangeVarGetRelid(rv, NoLock, true);
				return OidIsValid(relid) &&
					get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE;
			}
		case T_ReindexStmt:
			{
				ReindexStmt *rs = (ReindexStmt *) stmt;
				Oid			relid;
				char		relkind;

				if (sg_option_is_true(rs->params, "concurrently"))
					return true;
				if (rs->kind != REINDEX_OBJECT_INDEX && rs->kind != REINDEX_OBJECT_TABLE)
					return true;	/* SCHEMA, DATABASE, SYSTEM: one table at a time */
				/* a partitioned table or index is done partition by partition */
				relid = RangeVarGetRelid(rs->relation, NoLock, true);
				relkind = OidIsValid(relid) ? get_rel_relkind(relid) : RELKIND_RELATION;
				return relkind == RELKIND_PARTITIONED_TABLE ||
					relkind == RELKIND_PARTITIONED_INDEX;
			}
		case T_IndexStmt:
			return ((IndexStmt *) stmt)->concurrent;
		case T_DropStmt:
			return ((DropStmt *) stmt)->concurrent;
		case T_AlterTableStmt:
			{
				ListCell   *lc;

				foreach(lc, ((AlterTableStmt *) stmt)->cmds)
				{
					AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);

					if (cmd->subtype == AT_DetachPartition &&
						cmd->def != NULL && IsA(cmd->def, PartitionCmd) &&
						((PartitionCmd *) cmd->def)->concurrent)
						return true;
				}
				return false;
			}
		default:
			return false;
	}
}

/*
 * Does a lock of this mode block ordinary reads or writes?
 */
bool
sg_lock_blocks_traffic(LOCKMODE mode)
{
	return mode >= ShareLock;
}

/*
 * Apply schemaguard.lock_timeout for this statement if it takes a lock
 * that blocks traffic on an existing relation and the session has no
 * lock_timeout.  Returns the GUC nest level to close after the statement,
 * or -1 when nothing was applied.
 */
int
sg_apply_lock_timeout(SGContext *ctx, Node *stmt)
{
	SGStatementLock sl;
	int			nestlevel;
	char		value[32];

	/* cheap tests first: most sessions never get this far */
	if (sg_lock_timeout_ms <= 0 || LockTimeout != 0)
		return -1;
	/*
	 * Not for LOCK: applications take explicit locks to wait for each
	 * other on purpose, and a timeout would break them.
	 */
	if (sg_statement_commits_internally(stmt) || IsA(stmt, LockStmt))
		return -1;
	sl = sg_statement_lock(ctx, stmt);
	if (sl.rel == NULL || !sg_lock_blocks_traffic(sl.mode))
		return -1;

	nestlevel = NewGUCNestLevel();
	snprintf(value, sizeof(value), "%d", sg_lock_timeout_ms);
	(void) set_config_option("lock_timeout", value,
							 PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return nestlevel;
}

/*
 * The strongest lock that blocks traffic (SHARE or stronger) this
 * transaction already holds on a relation, or NoLock.
 */
LOCKMODE
sg_strong_lock_held(Oid relid)
{
	static const LOCKMODE modes[] = {
		AccessExclusiveLock, ExclusiveLock, ShareRowExclusiveLock, ShareLock
	};
	LOCKTAG		tag;

	SET_LOCKTAG_RELATION(tag, MyDatabaseId, relid);

	for (int i = 0; i < lengthof(modes); i++)
	{
		if (SG_LOCK_HELD_BY_ME(&tag, modes[i]))
			return modes[i];
	}
	return NoLock;
}
