/*-------------------------------------------------------------------------
 *
 * dropnet.c
 *		The data-loss rules judged on what the server actually drops.
 *
 * The parse-tree rules drop_table and drop_column see the objects a
 * statement names, and for DROP SCHEMA ... CASCADE the schema's tables.
 * The same data goes away through other statement forms: DROP OWNED BY,
 * DROP TYPE / DOMAIN / EXTENSION ... CASCADE (every column of that type),
 * ALTER TYPE ... DROP ATTRIBUTE ... CASCADE (the column of every typed
 * table), partitions whose parent lives elsewhere when their schema is
 * dropped, inheritance children that DROP TABLE ... CASCADE reaches.
 *
 * The server calls object_access_hook with OAT_DROP for every object it
 * deletes, just before deleting it (dependency.c, deleteOneObject), after
 * its own permission checks.  Here each table, and each column of a
 * table, that is about to go is judged by the same rule
 * as the parse-tree form: drop_table or drop_column, with their levels,
 * schemaguard.allow, warn mode, and the usual exemptions (created in this
 * transaction, temporary, no visible row).  An error ends the statement
 * before anything is deleted, since the deletion is one transaction.
 *
 * The compatibility rules (rules_compat_drop.c) are judged here the same
 * way for what the data-loss rules leave: an empty table or a column of
 * one (drop_empty_table, drop_empty_column), a view or materialized view
 * (drop_view), a function (drop_function), a type (drop_type).  Triggers
 * and column defaults (drop_trigger, drop_default) go with their table
 * more often than not, and the server drops them before it: the net notes
 * them, forgets them when their table or column goes too, and judges the
 * rest once the statement has run (sg_drop_finish), which then fails as a
 * whole if one is at level error.  So DROP SEQUENCE ... CASCADE, which
 * drops the column defaults that call nextval() on it, is judged, while
 * DROP TABLE does not report each of its triggers.
 *
 * Not judged: what the parse-tree rules already judged in this statement
 * (sg_drop_judged() notes them), materialized views (their rows can be
 * computed again, as the parse-tree rule holds), internal deletions (the transient heaps
 * of CLUSTER, VACUUM FULL and rewrites, PERFORM_DELETION_INTERNAL), TOAST
 * tables, indexes and sequences, an extension's own member relations, and
 * anything while an extension script runs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/objectaccess.h"
#include "catalog/pg_attrdef.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_trigger.h"
#include "catalog/pg_type.h"
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "commands/extension.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "schemaguard.h"

/* objects (a relation: attnum 0, or a column) the parse-tree rules judged in this statement */
typedef struct SGJudgedDrop
{
	Oid			classid;
	Oid			objid;
	AttrNumber	attnum;			/* of a relation, 0: the whole relation */
	SubTransactionId subid;		/* forgotten when it aborts */
} SGJudgedDrop;

static List *sg_judged_drops = NIL;

/* triggers and defaults dropped, judged when the statement has run (SGPendingDrop *) */
static List *sg_pending_drops = NIL;

/*
 * The utility statement running now: its drops are named after it.  The
 * source text belongs to the caller of ProcessUtility and lives as long as
 * the statement; it is cut only for a message.
 */
static SGDropStatement sg_drop_current = {NULL, NULL, -1, 0, 0, 0, InvalidSubTransactionId};

/* where the pending drops live, until the statement has run */
static MemoryContext sg_pending_cxt = NULL;

/* rules the net let through or warned about, for the changelog entry */
static List *sg_net_allowed = NIL;
static List *sg_net_warnings = NIL;

/* a new top-level statement, or the end of the transaction */
void
sg_drop_reset(void)
{
	list_free_deep(sg_judged_drops);
	sg_judged_drops = NIL;
	sg_drop_current.njudged = 0;
	/* the strings of the pending drops go with them */
	sg_pending_drops = NIL;
	if (sg_pending_cxt != NULL)
		MemoryContextReset(sg_pending_cxt);
	sg_drop_current.npending = 0;
	list_free(sg_net_allowed);
	list_free(sg_net_warnings);
	sg_net_allowed = NIL;
	sg_net_warnings = NIL;
	sg_drop_current.stmt = NULL;
	sg_drop_current.query = NULL;
}

/*
 * A utility statement starts; the caller keeps the outer statement and
 * gives it back to sg_drop_leave() when this one has run (after an error,
 * the next reset forgets both).
 */
void
sg_drop_enter(Node *stmt, const char *query, int location, int len,
			  SGDropStatement *saved)
{
	*saved = sg_drop_current;
	sg_drop_current.stmt = stmt;
	sg_drop_current.query = query;
	sg_drop_current.location = location;
	sg_drop_current.len = len;
	sg_drop_current.njudged = list_length(sg_judged_drops);
	sg_drop_current.npending = list_length(sg_pending_drops);
	sg_drop_current.subid = GetCurrentSubTransactionId();
}

/* the statement has run: what its rules judged is done with */
void
sg_drop_leave(SGDropStatement *saved)
{
	while (list_length(sg_judged_drops) > sg_drop_current.njudged)
	{
		pfree(llast(sg_judged_drops));
		sg_judged_drops = list_delete_last(sg_judged_drops);
	}
	sg_drop_current = *saved;
}

/*
 * A subtransaction aborted: what was judged in it did not happen, and a
 * statement that started in it is gone (its text with it).
 */
void
sg_drop_subxact_abort(SubTransactionId subid)
{
	ListCell   *lc;

	foreach(lc, sg_judged_drops)
	{
		SGJudgedDrop *j = lfirst(lc);

		if (j->subid == subid)
		{
			pfree(j);
			sg_judged_drops = foreach_delete_current(sg_judged_drops, lc);
		}
	}
	foreach(lc, sg_pending_drops)
	{
		if (((SGPendingDrop *) lfirst(lc))->subid == subid)
			sg_pending_drops = foreach_delete_current(sg_pending_drops, lc);
	}
	if (sg_drop_current.subid == subid)
	{
		sg_drop_current.stmt = NULL;
		sg_drop_current.query = NULL;
		sg_drop_current.njudged = list_length(sg_judged_drops);
		sg_drop_current.npending = list_length(sg_pending_drops);
	}
}

static void
sg_note_judged(Oid classid, Oid objid, AttrNumber attnum)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	SGJudgedDrop *j = palloc(sizeof(SGJudgedDrop));

	j->classid = classid;
	j->objid = objid;
	j->attnum = attnum;
	j->subid = GetCurrentSubTransactionId();
	sg_judged_drops = lappend(sg_judged_drops, j);
	MemoryContextSwitchTo(old);
}

/*
 * A parse-tree rule judged dropping this relation (attnum 0) or this
 * column of it: the net leaves it, and the same in each partition of a
 * partitioned table, whose rows the rule counted.  Inheritance children
 * that a plain table's drop reaches were not looked at: the net judges
 * them.
 */
void
sg_drop_judged(SGContext *ctx, Oid relid, const char *column)
{
	List	   *rels;
	ListCell   *lc;

	/* check() only lints: nothing of it will be dropped */
	if (ctx->dry_run)
		return;
	rels = get_rel_relkind(relid) == RELKIND_PARTITIONED_TABLE ?
		find_all_inheritors(relid, NoLock, NULL) : list_make1_oid(relid);

	foreach(lc, rels)
	{
		Oid			rel = lfirst_oid(lc);
		AttrNumber	attnum = 0;

		if (column != NULL &&
			(attnum = get_attnum(rel, column)) == InvalidAttrNumber)
			continue;
		sg_note_judged(RelationRelationId, rel, attnum);
	}
}

/* a parse-tree rule judged dropping this object (not a relation) */
void
sg_drop_judged_object(SGContext *ctx, Oid classid, Oid objid)
{
	if (!ctx->dry_run)
		sg_note_judged(classid, objid, 0);
}

static bool
sg_was_judged(Oid classid, Oid objid, AttrNumber attnum)
{
	ListCell   *lc;

	foreach(lc, sg_judged_drops)
	{
		SGJudgedDrop *j = lfirst(lc);

		if (j->classid == classid && j->objid == objid &&
			(j->attnum == 0 || j->attnum == attnum))
			return true;
	}
	return false;
}

/* the rules the net let through and warned about since the last call */
void
sg_drop_take_results(List **allowed, List **warnings)
{
	ListCell   *lc;

	foreach(lc, sg_net_allowed)
		*allowed = list_append_unique_ptr(*allowed, lfirst(lc));
	foreach(lc, sg_net_warnings)
		*warnings = list_append_unique_ptr(*warnings, lfirst(lc));
	list_free(sg_net_allowed);
	list_free(sg_net_warnings);
	sg_net_allowed = NIL;
	sg_net_warnings = NIL;
}

/* the statement's command tag, to name it in messages */
static const char *
sg_drop_tag(void)
{
	return sg_drop_current.stmt ?
		GetCommandTagName(CreateCommandTag(sg_drop_current.stmt)) : "the statement";
}

/*
 * A context to judge one dropped object in, for the statement running now;
 * the server has checked the statement's permissions.
 */
static MemoryContext
sg_net_begin(SGContext *ctx)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "schemaguard drop",
											  ALLOCSET_SMALL_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	sg_context_init(ctx, sg_drop_current.query, sg_drop_current.location,
					sg_drop_current.len, PROCESS_UTILITY_QUERY);
	ctx->privileges_checked = true;
	return old;
}

/*
 * Raise what was found (an error ends the statement), note for the
 * changelog entry what was let through or warned about, and free the
 * context.
 */
static void
sg_net_end(SGContext *ctx, MemoryContext old)
{
	MemoryContext cxt = CurrentMemoryContext;
	ListCell   *lc;

	sg_raise_violations(ctx);
	MemoryContextSwitchTo(TopMemoryContext);
	foreach(lc, ctx->violations)
	{
		SGViolation *v = lfirst(lc);

		if (v->allowed)
			sg_net_allowed = list_append_unique_ptr(sg_net_allowed,
													(void *) sg_rules[v->rule_index].name);
		else if (v->level == SG_LEVEL_WARN)
			sg_net_warnings = list_append_unique_ptr(sg_net_warnings,
													 (void *) sg_rules[v->rule_index].name);
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

/* a table, a column of a table, or a view about to be dropped */
static void
sg_drop_relation(Oid relid, int subId)
{
	char		relkind = get_rel_relkind(relid);
	char	   *column = NULL;
	SGContext	ctx;
	MemoryContext old;
	SGRelInfo  *ri;

	/* a materialized view's rows can be computed again, as for DROP */
	if (relkind != RELKIND_RELATION &&
		!(subId == 0 && (relkind == RELKIND_VIEW || relkind == RELKIND_MATVIEW)))
		return;
	if (OidIsValid(getExtensionOfObject(RelationRelationId, relid)))
		return;
	if (subId > 0 && (column = get_attname(relid, (AttrNumber) subId, true)) == NULL)
		return;

	old = sg_net_begin(&ctx);
	ri = sg_relinfo_oid(&ctx, relid);
	if (ri != NULL && !sg_rel_exempt(&ctx, ri))
	{
		/* judged once, even if the server reaches it again */
		sg_note_judged(RelationRelationId, relid, (AttrNumber) subId);
		if (relkind != RELKIND_RELATION || !sg_rel_has_rows(&ctx, ri))
			sg_compat_net_relation(&ctx, ri, column, sg_drop_tag());
		else if (column == NULL && sg_context_use_rule(&ctx, "drop_table"))
			sg_report(&ctx, ri, NULL, AccessExclusiveLock,
					  psprintf("%s drops %s%s \"%s\", which loses its data",
							   sg_drop_tag(), ri->may_read ? "non-empty " : "",
							   sg_relkind_word(ri->relkind), ri->display),
					  psprintf("The statement does not name it: it goes with an object it depends on.%s",
							   ri->may_read ? "" : " This role may not read it, so schemaguard did not look for rows and assumes it has some."),
					  psprintf("Find everything the statement would drop, keep a copy of the data, then run it deliberately:\n%s\n%s",
							   sg_recipe_dump_line(ri, false),
							   sg_recipe_allowed(&ctx, NULL, false)));
		else if (column != NULL && sg_context_use_rule(&ctx, "drop_column"))
			sg_report(&ctx, ri, column, AccessExclusiveLock,
					  psprintf("%s drops column \"%s\" of %stable \"%s\", which loses its data",
							   sg_drop_tag(), column, ri->may_read ? "non-empty " : "", ri->display),
					  "The statement does not name the column: it goes with an object it depends on, such as its type.",
					  psprintf("Move the data out of the column first, or keep a copy of its values, then run the statement deliberately:\n%s\n%s",
							   sg_recipe_copy_column_line(ri, column),
							   sg_recipe_allowed(&ctx, NULL, false)));
	}
	sg_net_end(&ctx, old);
}

/*
 * A relation or a column of it goes: its triggers and defaults, noted
 * before, go with it and are not judged on their own.
 */
static void
sg_forget_pending(Oid relid, int subId)
{
	ListCell   *lc;

	foreach(lc, sg_pending_drops)
	{
		SGPendingDrop *p = lfirst(lc);

		if (p->relid == relid && (subId == 0 || p->attnum == subId))
			sg_pending_drops = foreach_delete_current(sg_pending_drops, lc);
	}
}

static void
sg_note_pending(Oid classId, Oid objectId)
{
	MemoryContext old;
	SGPendingDrop p;
	SGPendingDrop *copy;

	if (sg_pending_cxt == NULL)
		sg_pending_cxt = AllocSetContextCreate(TopMemoryContext, "schemaguard pending drops",
											   ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(sg_pending_cxt);
	if (sg_compat_net_capture(classId, objectId, &p) &&
		!sg_was_judged(RelationRelationId, p.relid, 0))
	{
		copy = palloc(sizeof(SGPendingDrop));
		*copy = p;
		copy->subid = GetCurrentSubTransactionId();
		sg_pending_drops = lappend(sg_pending_drops, copy);
	}
	MemoryContextSwitchTo(old);
}

/*
 * The statement running now has dropped what it drops: judge the triggers
 * and defaults it dropped while their tables stay.
 */
void
sg_drop_finish(void)
{
	while (list_length(sg_pending_drops) > sg_drop_current.npending)
	{
		SGPendingDrop *p = llast(sg_pending_drops);
		SGContext	ctx;
		MemoryContext old;

		sg_pending_drops = list_delete_last(sg_pending_drops);
		if (!sg_guard_active())
			continue;
		old = sg_net_begin(&ctx);
		sg_compat_net_pending(&ctx, p, sg_drop_tag());
		sg_net_end(&ctx, old);
	}
}

void
sg_drop_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					  int subId, void *arg)
{
	ObjectAccessDrop *drop = (ObjectAccessDrop *) arg;

	if (access != OAT_DROP || subId < 0)
		return;
	if (drop != NULL && (drop->dropflags & PERFORM_DELETION_INTERNAL))
		return;
	if (!sg_guard_active())
		return;
	if (classId == RelationRelationId)
		sg_forget_pending(objectId, subId);
	if (sg_was_judged(classId, objectId, (AttrNumber) subId))
		return;

	if (classId == RelationRelationId)
		sg_drop_relation(objectId, subId);
	else if (classId == ProcedureRelationId || classId == TypeRelationId)
	{
		SGContext	ctx;
		MemoryContext old;

		if (OidIsValid(getExtensionOfObject(classId, objectId)))
			return;
		old = sg_net_begin(&ctx);
		sg_note_judged(classId, objectId, 0);
		sg_compat_net_object(&ctx, classId, objectId, sg_drop_tag());
		sg_net_end(&ctx, old);
	}
	else if (classId == TriggerRelationId || classId == AttrDefaultRelationId)
		sg_note_pending(classId, objectId);
}
