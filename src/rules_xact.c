/*-------------------------------------------------------------------------
 *
 * rules_xact.c
 *		Rules about the transaction a statement runs in rather than the
 *		statement alone: scan_while_locked.
 *
 * A statement that is safe on its own is not safe after a statement that
 * took a strong lock in the same transaction: the lock is held until the
 * transaction ends, so whatever runs after it runs with every reader or
 * writer of the table waiting.  The classic case is ADD CONSTRAINT ... NOT
 * VALID followed by VALIDATE CONSTRAINT in one BEGIN ... COMMIT: the
 * VALIDATE takes only SHARE UPDATE EXCLUSIVE itself, but the ADD's lock
 * blocks the table for the whole scan.
 *
 * Only the running transaction knows which locks it holds, so these rules
 * ask the lock manager (LockHeldByMe) and judge nothing in check(), which
 * sees a script, not a transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_constraint.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "schemaguard.h"

/*
 * The validated flag and the referenced table (for a foreign key) of a
 * relation's constraint; false if there is no such constraint.
 */
static bool
sg_constraint_facts(Oid relid, const char *name, bool *validated,
					Oid *confrelid)
{
	Oid			conoid = get_relation_constraint_oid(relid, name, true);
	HeapTuple	tup;

	if (!OidIsValid(conoid))
		return false;
	tup = SearchSysCache1(CONSTROID, ObjectIdGetDatum(conoid));
	if (!HeapTupleIsValid(tup))
		return false;
	*validated = ((Form_pg_constraint) GETSTRUCT(tup))->convalidated;
	*confrelid = ((Form_pg_constraint) GETSTRUCT(tup))->confrelid;
	ReleaseSysCache(tup);
	return true;
}

static void
sg_report_scan_while_locked(SGContext *ctx, SGRelInfo *ri, LOCKMODE held,
							const char *conname, const char *scanned)
{
	char	   *text = sg_statement_text(ctx);

	sg_report(ctx, ri, NULL, held,
			  psprintf("VALIDATE CONSTRAINT \"%s\" scans table \"%s\" while this transaction holds %s %s lock on \"%s\"",
					   conname, scanned,
					   (held == AccessExclusiveLock || held == ExclusiveLock) ? "an" : "a",
					   sg_lock_name(held), ri->display),
			  "An earlier statement of this transaction took the lock, and it is held until the transaction ends, "
			  "so it is held for the whole scan; VALIDATE CONSTRAINT on its own takes only SHARE UPDATE EXCLUSIVE, which lets reads and writes go on.",
			  psprintf("End the transaction that took the lock first, then validate in a transaction of its own:\n"
					   "COMMIT;\n"
					   "-- (with a migration tool: put the VALIDATE in a migration of its own)\n"
					   "%s;",
					   text ? text : "ALTER TABLE ... VALIDATE CONSTRAINT ..."));
}

/* ----------------------------------------------------------------
 * scan_while_locked
 * ----------------------------------------------------------------
 */
void
sg_check_scan_while_locked(SGContext *ctx, Node *stmt)
{
	AlterTableStmt *ats = castNode(AlterTableStmt, stmt);
	SGRelInfo  *ri = NULL;
	ListCell   *lc;

	/* a script is not a transaction: nothing is held while linting it */
	if (ctx->dry_run)
		return;

	foreach(lc, ats->cmds)
	{
		AlterTableCmd *cmd = lfirst_node(AlterTableCmd, lc);
		bool		validated;
		Oid			confrelid;
		LOCKMODE	held;

		if (cmd->subtype != AT_ValidateConstraint || cmd->name == NULL)
			continue;
		if (ri == NULL)
		{
			ri = sg_alter_table_target(ctx, ats);
			if (ri == NULL)
				return;
		}
		/* no such constraint: the server says so; validated: nothing to scan */
		if (!sg_constraint_facts(ri->relid, cmd->name, &validated, &confrelid) ||
			validated)
			continue;

		held = sg_strong_lock_held(ri->relid);
		if (held != NoLock && sg_rel_is_large(ctx, ri))
		{
			sg_report_scan_while_locked(ctx, ri, held, cmd->name, ri->display);
			continue;
		}

		/* a foreign key's check reads the referenced table as well */
		if (OidIsValid(confrelid))
		{
			SGRelInfo  *pk = sg_relinfo_oid(ctx, confrelid);

			if (pk == NULL || sg_rel_exempt(ctx, pk))
				continue;
			held = sg_strong_lock_held(confrelid);
			if (held != NoLock && sg_rel_is_large(ctx, ri))
				sg_report_scan_while_locked(ctx, pk, held, cmd->name, ri->display);
		}
	}
}
