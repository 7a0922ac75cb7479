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
#include "catalog/pg_class.h"
#include "catalog/pg_inherits.h"
#include "commands/extension.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "schemaguard.h"

/* (relid, attnum) pairs the parse-tree rules judged in this statement */
typedef struct SGJudgedDrop
{
	Oid			relid;
	AttrNumber	attnum;			/* 0: the whole relation */
	SubTransactionId subid;		/* forgotten when it aborts */
} SGJudgedDrop;

static List *sg_judged_drops = NIL;

/*
 * The utility statement running now: its drops are named after it.  The
 * source text belongs to the caller of ProcessUtility and lives as long as
 * the statement; it is cut only for a message.
 */
static SGDropStatement sg_drop_current = {NULL, NULL, -1, 0, 0, InvalidSubTransactionId};

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
	if (sg_drop_current.subid == subid)
	{
		sg_drop_current.stmt = NULL;
		sg_drop_current.query = NULL;
		sg_drop_current.njudged = list_length(sg_judged_drops);
	}
}

static void
sg_note_judged(Oid relid, AttrNumber attnum)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	SGJudgedDrop *j = palloc(sizeof(SGJudgedDrop));

	j->relid = relid;
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
		sg_note_judged(rel, attnum);
	}
}

static bool
sg_was_judged(Oid relid, AttrNumber attnum)
{
	ListCell   *lc;

	foreach(lc, sg_judged_drops)
	{
		SGJudgedDrop *j = lfirst(lc);

		if (j->relid == relid && (j->attnum == 0 || j->attnum == attnum))
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

void
sg_drop_object_access(ObjectAccessType access, Oid classId, Oid objectId,
					  int subId, void *arg)
{
	ObjectAccessDrop *drop = (ObjectAccessDrop *) arg;
	char		relkind;
	const char *rulename;
	int			rule;
	SGContext	ctx;
	SGRelInfo  *ri;
	char	   *column = NULL;
	const char *via;
	MemoryContext cxt;
	MemoryContext old;
	ListCell   *lc;

	if (access != OAT_DROP || classId != RelationRelationId || subId < 0)
		return;
	if (drop != NULL && (drop->dropflags & PERFORM_DELETION_INTERNAL))
		return;
	if (!sg_guard_active() || sg_was_judged(objectId, (AttrNumber) subId))
		return;
	relkind = get_rel_relkind(objectId);
	/* a materialized view's rows can be computed again, as for DROP */
	if (relkind != RELKIND_RELATION)
		return;
	rulename = subId == 0 ? "drop_table" : "drop_column";
	rule = sg_rule_index(rulename);
	if (rule < 0 || sg_rule_level(rule) == SG_LEVEL_OFF)
		return;
	if (OidIsValid(getExtensionOfObject(RelationRelationId, objectId)))
		return;
	if (subId > 0 && (column = get_attname(objectId, (AttrNumber) subId, true)) == NULL)
		return;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "schemaguard drop",
								ALLOCSET_SMALL_SIZES);
	old = MemoryContextSwitchTo(cxt);

	sg_context_init(&ctx, sg_drop_current.query, sg_drop_current.location,
					sg_drop_current.len, PROCESS_UTILITY_QUERY);
	/* the server has checked the statement's permissions */
	ctx.privileges_checked = true;
	ri = sg_relinfo_oid(&ctx, objectId);
	if (ri != NULL && !sg_rel_exempt(&ctx, ri) && sg_rel_has_rows(&ctx, ri))
	{
		/* judged once, even if the server reaches it again */
		sg_note_judged(objectId, (AttrNumber) subId);
		via = sg_drop_current.stmt ?
			GetCommandTagName(CreateCommandTag(sg_drop_current.stmt)) : "the statement";
		ctx.rule = &sg_rules[rule];
		ctx.rule_index = rule;
		if (column == NULL)
			sg_report(&ctx, ri, NULL, AccessExclusiveLock,
					  psprintf("%s drops %s%s \"%s\", which loses its data",
							   via, ri->may_read ? "non-empty " : "",
							   sg_relkind_word(ri->relkind), ri->display),
					  psprintf("The statement does not name it: it goes with an object it depends on.%s",
							   ri->may_read ? "" : " This role may not read it, so schemaguard did not look for rows and assumes it has some."),
					  psprintf("Find everything the statement would drop, keep a copy of the data, then run it deliberately:\n%s\n%s",
							   sg_recipe_dump_line(ri, false),
							   sg_recipe_allowed(&ctx, NULL, false)));
		else
			sg_report(&ctx, ri, column, AccessExclusiveLock,
					  psprintf("%s drops column \"%s\" of %stable \"%s\", which loses its data",
							   via, column, ri->may_read ? "non-empty " : "", ri->display),
					  "The statement does not name the column: it goes with an object it depends on, such as its type.",
					  psprintf("Move the data out of the column first, or keep a copy of its values, then run the statement deliberately:\n%s\n%s",
							   sg_recipe_copy_column_line(ri, column),
							   sg_recipe_allowed(&ctx, NULL, false)));
		sg_raise_violations(&ctx);

		/* not an error: note what the changelog entry records */
		MemoryContextSwitchTo(TopMemoryContext);
		foreach(lc, ctx.violations)
		{
			SGViolation *v = lfirst(lc);

			if (v->allowed)
				sg_net_allowed = list_append_unique_ptr(sg_net_allowed,
														(void *) sg_rules[v->rule_index].name);
			else if (v->level == SG_LEVEL_WARN)
				sg_net_warnings = list_append_unique_ptr(sg_net_warnings,
														 (void *) sg_rules[v->rule_index].name);
		}
	}
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}
