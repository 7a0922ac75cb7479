/*-------------------------------------------------------------------------
 *
 * routines.c
 *		Functions and aggregates, triggers and event triggers, rules and
 *		views' queries, policies, extended statistics.
 *
 * Part of the schema snapshot behind drift detection; the design is in
 * drift_int.h and in docs/drift.md, "How the snapshot is built".
 *
 *-------------------------------------------------------------------------
 */
#include "drift_int.h"

/* ----------------------------------------------------------------
 * Functions, triggers, rules, policies, statistics objects
 * ----------------------------------------------------------------
 */

const char *
sg_proc_name(Oid procid)
{
	return OidIsValid(procid) ? format_procedure_qualified(procid) : "-";
}

static void
sg_aggregate_definition(Snap *s, StringInfo buf, Oid aggfnoid)
{
	HeapTuple	tup = SearchSysCache1(AGGFNOID, ObjectIdGetDatum(aggfnoid));
	Form_pg_aggregate agg;
	bool		isnull;
	Datum		init;

	if (!HeapTupleIsValid(tup))
		return;
	agg = (Form_pg_aggregate) GETSTRUCT(tup);
	appendStringInfo(buf, " (SFUNC = %s, STYPE = %s",
					 sg_proc_name(agg->aggtransfn),
					 sg_type_name(s, agg->aggtranstype, -1));
	if (OidIsValid(agg->aggfinalfn))
		appendStringInfo(buf, ", FINALFUNC = %s", sg_proc_name(agg->aggfinalfn));
	if (OidIsValid(agg->aggcombinefn))
		appendStringInfo(buf, ", COMBINEFUNC = %s", sg_proc_name(agg->aggcombinefn));
	if (OidIsValid(agg->aggserialfn))
		appendStringInfo(buf, ", SERIALFUNC = %s", sg_proc_name(agg->aggserialfn));
	if (OidIsValid(agg->aggdeserialfn))
		appendStringInfo(buf, ", DESERIALFUNC = %s", sg_proc_name(agg->aggdeserialfn));
	if (OidIsValid(agg->aggmtransfn))
		appendStringInfo(buf, ", MSFUNC = %s, MINVFUNC = %s, MSTYPE = %s",
						 sg_proc_name(agg->aggmtransfn),
						 sg_proc_name(agg->aggminvtransfn),
						 sg_type_name(s, agg->aggmtranstype, -1));
	if (OidIsValid(agg->aggsortop))
		appendStringInfo(buf, ", SORTOP = %s", format_operator_qualified(agg->aggsortop));
	init = SysCacheGetAttr(AGGFNOID, tup, Anum_pg_aggregate_agginitval, &isnull);
	if (!isnull)
		appendStringInfo(buf, ", INITCOND = %s",
						 quote_literal_cstr(TextDatumGetCString(init)));
	appendStringInfo(buf, ", KIND = %c)", agg->aggkind);
	ReleaseSysCache(tup);
}

void
sg_read_proc(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_proc proc = (Form_pg_proc) GETSTRUCT(tup);
	SnapNsp    *nsp = sg_included_nsp(s, proc->pronamespace);
	ObjectAddress addr;
	const char *type;
	const char *identity;
	char	   *def = NULL;
	StringInfo	buf;
	SGObject   *obj;
	FormData_pg_depend dep;

	if (nsp == NULL || sg_is_member(s, ProcedureRelationId, proc->oid))
		return;
	/*
	 * Functions the server makes for another object (the constructors of a
	 * range type) depend on it internally; they belong to that object.
	 * Only built-in-language functions can be such.
	 */
	if (proc->prolang == INTERNALlanguageId &&
		sg_find_dependency(s, ProcedureRelationId, proc->oid, DEPENDENCY_INTERNAL,
						   DEPENDENCY_INTERNAL, InvalidOid, &dep))
		return;
	ObjectAddressSet(addr, ProcedureRelationId, proc->oid);
	type = proc->prokind == PROKIND_PROCEDURE ? "procedure" :
		proc->prokind == PROKIND_AGGREGATE ? "aggregate" : "function";
	identity = sg_keep(s, getObjectIdentity(&addr, false));
	if (proc->prokind != PROKIND_AGGREGATE)
		def = TextDatumGetCString(DirectFunctionCall1(pg_get_functiondef,
													  ObjectIdGetDatum(proc->oid)));
	buf = sg_def_begin(s);
	if (def)
	{
		/* pg_get_functiondef ends with a newline */
		int			len = strlen(def);

		while (len > 0 && def[len - 1] == '\n')
			def[--len] = '\0';
		appendStringInfoString(buf, def);
	}
	else
	{
		appendStringInfo(buf, "CREATE AGGREGATE %s", identity);
		sg_aggregate_definition(s, buf, proc->oid);
	}
	sg_facet_owner(s, buf, proc->proowner);
	sg_facet_privileges(s, buf, OBJECT_FUNCTION, proc->proowner,
						sg_acl_attr(s, tup, Anum_pg_proc_proacl, desc));
	sg_facet_comment(s, buf, ProcedureRelationId, proc->oid, 0);
	obj = sg_add_object(s, type, nsp->name, identity, ProcedureRelationId,
						proc->oid, 0);
	sg_set_definition(s, obj, buf);
}

/*
 * Add an object that belongs to a relation, named "<name> on <relation>"
 * (a trigger, rule or policy), with the definition in buf.
 */
static void
sg_add_relation_member(Snap *s, const char *type, SnapRel *rel,
					   const char *name, Oid classid, Oid objid, StringInfo buf)
{
	SGObject   *obj;

	obj = sg_add_object(s, type, rel->nspname,
						sg_keep_concat(s, quote_identifier(name), " on ", rel->qualified),
						classid, objid, 0);
	sg_set_definition(s, obj, buf);
	obj->parent_type = sg_relkind_type(rel->relkind);
	obj->parent_identity = rel->qualified;
}

static const char *
sg_enabled_word(char enabled)
{
	switch (enabled)
	{
		case TRIGGER_FIRES_ON_ORIGIN:
			return "ENABLED";
		case TRIGGER_DISABLED:
			return "DISABLED";
		case TRIGGER_FIRES_ON_REPLICA:
			return "ENABLED REPLICA";
		case TRIGGER_FIRES_ALWAYS:
			return "ENABLED ALWAYS";
	}
	return "?";
}

void
sg_read_trigger(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_trigger trg = (Form_pg_trigger) GETSTRUCT(tup);
	SnapRel    *rel;
	char	   *def;
	StringInfo	buf;

	if (trg->tgisinternal)
		return;
	rel = sg_included_rel(s, trg->tgrelid);
	if (rel == NULL)
		return;
	def = TextDatumGetCString(DirectFunctionCall1(pg_get_triggerdef,
												  ObjectIdGetDatum(trg->oid)));
	buf = sg_def_begin(s);
	appendStringInfo(buf, "%s\n%s", def, sg_enabled_word(trg->tgenabled));
	sg_facet_comment(s, buf, TriggerRelationId, trg->oid, 0);
	sg_add_relation_member(s, "trigger", rel, NameStr(trg->tgname),
						   TriggerRelationId, trg->oid, buf);
}

/* a function's qualified name, without arguments */
static const char *
sg_function_name(Oid funcid)
{
	char	   *name = get_func_name(funcid);
	char	   *nsp = get_namespace_name(get_func_namespace(funcid));

	if (name == NULL || nsp == NULL)
		return psprintf("function %u", funcid);
	return quote_qualified_identifier(nsp, name);
}

void
sg_read_event_trigger(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_event_trigger evt = (Form_pg_event_trigger) GETSTRUCT(tup);
	StringInfo	buf;
	SGObject   *obj;
	bool		isnull;
	Datum		tags;

	if (sg_is_member(s, EventTriggerRelationId, evt->oid))
		return;
	buf = sg_def_begin(s);
	appendStringInfo(buf, "CREATE EVENT TRIGGER %s ON %s",
					 quote_identifier(NameStr(evt->evtname)),
					 quote_identifier(NameStr(evt->evtevent)));
	tags = heap_getattr(tup, Anum_pg_event_trigger_evttags, desc, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		int			n;

		deconstruct_array(DatumGetArrayTypeP(tags), TEXTOID, -1, false,
						  TYPALIGN_INT, &elems, NULL, &n);
		appendStringInfoString(buf, " WHEN TAG IN (");
		for (int i = 0; i < n; i++)
			appendStringInfo(buf, "%s%s", i ? ", " : "",
							 quote_literal_cstr(TextDatumGetCString(elems[i])));
		appendStringInfoChar(buf, ')');
	}
	appendStringInfo(buf, " EXECUTE FUNCTION %s()\n%s",
					 sg_function_name(evt->evtfoid),
					 sg_enabled_word(evt->evtenabled));
	sg_facet_owner(s, buf, evt->evtowner);
	sg_facet_comment(s, buf, EventTriggerRelationId, evt->oid, 0);
	obj = sg_add_object(s, "event trigger", NULL,
						sg_keep(s, quote_identifier(NameStr(evt->evtname))),
						EventTriggerRelationId, evt->oid, 0);
	sg_set_definition(s, obj, buf);
}

/*
 * Give the output columns of a view's query (and of every leaf of its set
 * operations) the view's column names, as pg_get_viewdef() does through
 * the view's tuple descriptor: they differ after ALTER VIEW ... RENAME
 * COLUMN.  False if a name is not known.
 */
static bool
sg_view_column_names(Query *query, SnapRel *view)
{
	int			colno = 0;
	ListCell   *lc;

	foreach(lc, query->targetList)
	{
		TargetEntry *tle = (TargetEntry *) lfirst(lc);

		if (tle->resjunk)
			continue;
		colno++;
		if (colno > view->natts)
			break;
		if (!view->attrs[colno - 1].present)
			return false;
		tle->resname = (char *) view->attrs[colno - 1].name;
	}
	if (query->setOperations)
	{
		List	   *pending = list_make1(query->setOperations);

		while (pending != NIL)
		{
			Node	   *op = linitial(pending);

			pending = list_delete_first(pending);
			if (IsA(op, SetOperationStmt))
			{
				pending = lappend(pending, ((SetOperationStmt *) op)->larg);
				pending = lappend(pending, ((SetOperationStmt *) op)->rarg);
			}
			else if (IsA(op, RangeTblRef))
			{
				RangeTblEntry *rte = rt_fetch(((RangeTblRef *) op)->rtindex,
											  query->rtable);

				if (rte->subquery == NULL ||
					!sg_view_column_names(rte->subquery, view))
					return false;
			}
			else
				return false;
		}
	}
	return true;
}

#if PG_VERSION_NUM < 160000

/*
 * Before PostgreSQL 16 a view's rule query starts its range table with two
 * entries for the view itself, OLD and NEW.  The deparser never prints
 * them, but it opens every relation of the range table: for these two
 * that builds the view's relation cache entry, which parses the rule once
 * more.  Turn them into entries that are not opened (RTE_RESULT) and keep
 * everything the deparser looks at: their place and count (columns are
 * prefixed with table names when there is more than one entry), and their
 * names "old" and "new" (another entry with such a name gets "_1").  A
 * VALUES view is left alone: the deparser prints it as a bare VALUES list
 * only when the other entries are relations.
 */
static void
sg_view_skip_old_new(Query *query, Oid viewid)
{
	RangeTblEntry *old_rte;
	RangeTblEntry *new_rte;
	ListCell   *lc;

	if (list_length(query->rtable) < 2)
		return;
	old_rte = linitial_node(RangeTblEntry, query->rtable);
	new_rte = lsecond_node(RangeTblEntry, query->rtable);
	if (old_rte->rtekind != RTE_RELATION || old_rte->relid != viewid ||
		old_rte->inFromCl || old_rte->alias == NULL ||
		strcmp(old_rte->alias->aliasname, "old") != 0 ||
		new_rte->rtekind != RTE_RELATION || new_rte->relid != viewid ||
		new_rte->inFromCl || new_rte->alias == NULL ||
		strcmp(new_rte->alias->aliasname, "new") != 0)
		return;
	foreach(lc, query->rtable)
	{
		if (lfirst_node(RangeTblEntry, lc)->rtekind == RTE_VALUES)
			return;
	}
	old_rte->rtekind = RTE_RESULT;
	old_rte->relid = InvalidOid;
	new_rte->rtekind = RTE_RESULT;
	new_rte->relid = InvalidOid;
}

#endif

/*
 * A view's query as pg_get_viewdef() prints it, from its _RETURN rule's
 * row: without pg_get_viewdef()'s SPI query and opening of the view.
 */
static void
sg_read_view_rule(Snap *s, SnapRel *rel, HeapTuple tup, TupleDesc desc)
{
	Form_pg_rewrite rw = (Form_pg_rewrite) GETSTRUCT(tup);
	char	   *qual;
	char	   *action;
	List	   *actions;
	Query	   *query;

	if (s->par.from_leader)
		sg_fetch_rel_attrs(s, rel);
	qual = sg_text_attr(tup, Anum_pg_rewrite_ev_qual, desc);
	action = sg_text_attr(tup, Anum_pg_rewrite_ev_action, desc);
	/* anything unusual is left to pg_get_viewdef() */
	if (rw->ev_type != '0' + CMD_SELECT || !rw->is_instead || qual == NULL ||
		strcmp(qual, "<>") != 0 || action == NULL)
		return;
	actions = (List *) stringToNode(action);
	if (list_length(actions) != 1)
		return;
	query = linitial_node(Query, actions);
	if (query->commandType != CMD_SELECT || !sg_view_column_names(query, rel))
		return;
#if PG_VERSION_NUM < 160000
	sg_view_skip_old_new(query, rw->ev_class);
#endif
	rel->viewdef = sg_keep(s, psprintf("%s;", pg_get_querydef(query, false)));
}

void
sg_read_rewrite(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_rewrite rw = (Form_pg_rewrite) GETSTRUCT(tup);
	SnapRel    *rel;
	char	   *def;
	StringInfo	buf;

	rel = sg_included_rel(s, rw->ev_class);
	if (rel == NULL)
		return;
	if (strcmp(NameStr(rw->rulename), ViewSelectRuleName) == 0)
	{
		/* kept for whichever process builds the view (sg_build_views) */
		if (rel->attrs != NULL &&
			(rel->relkind == RELKIND_VIEW || rel->relkind == RELKIND_MATVIEW))
		{
			MemoryContext old = MemoryContextSwitchTo(s->cxt);

			rel->view_rule = heap_copytuple(tup);
			MemoryContextSwitchTo(old);
		}
		return;
	}
	/* the rules themselves are the worker's */
	if (!sg_emits(s, SG_PART_WORKER))
		return;
	def = TextDatumGetCString(DirectFunctionCall1(pg_get_ruledef,
												  ObjectIdGetDatum(rw->oid)));
	buf = sg_def_begin(s);
	appendStringInfo(buf, "%s\n%s", def, sg_enabled_word(rw->ev_enabled));
	sg_facet_comment(s, buf, RewriteRelationId, rw->oid, 0);
	sg_add_relation_member(s, "rule", rel, NameStr(rw->rulename),
						   RewriteRelationId, rw->oid, buf);
}

/*
 * The next view to build, or NULL when none is left.  With a worker the two
 * processes take turns through the counter in shared memory: whichever is
 * free builds the next one, so that they finish at about the same time
 * whatever the share of views in the schema.
 */
SnapRel *
sg_next_view(Snap *s)
{
	uint32		i;

	if (s->views.view_counter != NULL)
		i = pg_atomic_fetch_add_u32(s->views.view_counter, 1);
	else
		i = s->views.next_view++;
	return i < (uint32) s->views.nviews ? s->views.views[i] : NULL;
}

/*
 * In the worker, once the leader builds views too: leave the rest to the
 * leader when the leader alone would build them in about the time the
 * worker takes to end (it frees its memory and unmaps what it mapped), so
 * that the two overlap instead of the leader waiting for the worker's end
 * after the last view.  The worker's own time per view measures the rest;
 * its time to start, its end.
 */
bool
sg_worker_leaves_views(Snap *s)
{
	uint32		next;

	/* not while it waits for columns: it would only wait */
	if (s->views.leader_on_views == NULL || s->views.views_built == 0 || !s->par.attrs_complete ||
		pg_atomic_read_u32(s->views.leader_on_views) == 0)
		return false;
	next = pg_atomic_read_u32(s->views.view_counter);
	if (next >= (uint32) s->views.nviews)
		return true;
	return (s->views.nviews - next) * (s->views.views_us / s->views.views_built) <= s->views.end_cost_us;
}


/*
 * Build views until none is left or, with until_attrs, until all of the
 * leader's columns have come: the worker builds views while it waits for
 * the columns its indexes need.  Deparsing a view's query opens the
 * relations it reads, most of the cost of a view.
 */
void
sg_build_views(Snap *s, bool until_attrs)
{
	Relation	rewrite = table_open(RewriteRelationId, AccessShareLock);
	SnapRel    *rel;

	while (!(until_attrs && sg_receive_attrs(s, false)) &&
		   !(s->part == SG_PART_WORKER && sg_worker_leaves_views(s)) &&
		   (rel = sg_next_view(s)) != NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(s->rowcxt);
		TimestampTz start = GetCurrentTimestamp();

		CHECK_FOR_INTERRUPTS();
		/* the leader, with a worker, reads only the rules of its views */
		if (!s->kept.rewrite_read)
			sg_scan_key(s, RewriteRelationId, RewriteRelRulenameIndexId,
						Anum_pg_rewrite_ev_class, rel->relid, sg_read_rewrite);
		if (rel->view_rule != NULL)
			sg_read_view_rule(s, rel, rel->view_rule, RelationGetDescr(rewrite));
		sg_emit_view(s, rel);
		MemoryContextSwitchTo(old);
		MemoryContextReset(s->rowcxt);
		s->views.views_us += GetCurrentTimestamp() - start;
		s->views.views_built++;
		sg_poll_worker(s);
	}
	table_close(rewrite, AccessShareLock);
}

void
sg_read_policy(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_policy pol = (Form_pg_policy) GETSTRUCT(tup);
	SnapRel    *rel = sg_included_rel(s, pol->polrelid);
	StringInfo	buf;
	bool		isnull;
	Datum		roles;
	char	   *qual;
	char	   *check;
	const char *cmd;

	if (rel == NULL)
		return;
	switch (pol->polcmd)
	{
		case ACL_SELECT_CHR:
			cmd = "SELECT";
			break;
		case ACL_INSERT_CHR:
			cmd = "INSERT";
			break;
		case ACL_UPDATE_CHR:
			cmd = "UPDATE";
			break;
		case ACL_DELETE_CHR:
			cmd = "DELETE";
			break;
		default:
			cmd = "ALL";
			break;
	}
	qual = sg_text_attr(tup, Anum_pg_policy_polqual, desc);
	check = sg_text_attr(tup, Anum_pg_policy_polwithcheck, desc);
	buf = sg_def_begin(s);
	appendStringInfo(buf, "CREATE POLICY %s ON %s AS %s FOR %s TO ",
					 quote_identifier(NameStr(pol->polname)), rel->qualified,
					 pol->polpermissive ? "PERMISSIVE" : "RESTRICTIVE", cmd);
	roles = heap_getattr(tup, Anum_pg_policy_polroles, desc, &isnull);
	if (!isnull)
	{
		Datum	   *elems;
		int			n;
		char	  **names;

		deconstruct_array(DatumGetArrayTypeP(roles), OIDOID, sizeof(Oid), true,
						  TYPALIGN_INT, &elems, NULL, &n);
		names = palloc(sizeof(char *) * Max(n, 1));
		for (int i = 0; i < n; i++)
			names[i] = (char *) sg_role(DatumGetObjectId(elems[i]));
		qsort(names, n, sizeof(char *), sg_cstring_cmp);
		for (int i = 0; i < n; i++)
			appendStringInfo(buf, "%s%s", i ? ", " : "", names[i]);
	}
	if (qual)
		appendStringInfo(buf, " USING (%s)", sg_expr(s, qual, rel)->text);
	if (check)
		appendStringInfo(buf, " WITH CHECK (%s)", sg_expr(s, check, rel)->text);
	sg_facet_comment(s, buf, PolicyRelationId, pol->oid, 0);
	sg_add_relation_member(s, "policy", rel, NameStr(pol->polname),
						   PolicyRelationId, pol->oid, buf);
}

void
sg_read_statistic_ext(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_statistic_ext st = (Form_pg_statistic_ext) GETSTRUCT(tup);
	SnapNsp    *nsp = sg_included_nsp(s, st->stxnamespace);
	SnapRel    *rel;
	StringInfo	buf;
	SGObject   *obj;
	char	   *def;
	const char *ident;
	int			target;

	if (nsp == NULL || sg_is_member(s, StatisticExtRelationId, st->oid))
		return;
	rel = sg_rel(s, st->stxrelid);
	def = pg_get_statisticsobjdef_string(st->oid);
	buf = sg_def_begin(s);
	appendStringInfoString(buf, def);
	target = SG_STXSTATTARGET(tup, desc);
	if (target >= 0)
		appendStringInfo(buf, "\nSTATISTICS %d", target);
	sg_facet_owner(s, buf, st->stxowner);
	sg_facet_comment(s, buf, StatisticExtRelationId, st->oid, 0);
	ident = sg_keep(s, quote_qualified_identifier(nsp->name, NameStr(st->stxname)));
	obj = sg_add_object(s, "statistics object", nsp->name, ident,
						StatisticExtRelationId, st->oid, 0);
	sg_set_definition(s, obj, buf);
	if (rel)
	{
		obj->parent_type = sg_relkind_type(rel->relkind);
		obj->parent_identity = rel->qualified;
	}
}
