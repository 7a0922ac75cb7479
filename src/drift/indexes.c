/*-------------------------------------------------------------------------
 *
 * indexes.c
 *		Indexes, and the kept catalog rows that indexes and constraints
 *		are built from in identity order.
 *
 * Part of the schema snapshot behind drift detection; the design is in
 * drift_int.h and in docs/drift.md, "How the snapshot is built".
 *
 *-------------------------------------------------------------------------
 */
#include "drift_int.h"

/* ----------------------------------------------------------------
 * Indexes
 * ----------------------------------------------------------------
 */

/* the column list of an index, as pg_get_indexdef prints it */
static void
sg_index_columns(Snap *s, StringInfo buf, Form_pg_index idx, HeapTuple tup,
				 TupleDesc desc, SnapRel *table, SnapRel *irel, bool keys_only)
{
	Datum		values[Natts_pg_index];
	bool		nulls[Natts_pg_index];
	oidvector  *indcollation;
	oidvector  *indclass;
	int2vector *indoption;
	char	   *exprs = sg_text_attr(tup, Anum_pg_index_indexprs, desc);
	List	   *exprlist = NIL;
	int			nexpr = 0;
	AmEntry    *am = sg_am(s, irel->relam);
	const char *sep = "";

	/* one pass over the row: heap_getattr() would walk it for each vector */
	heap_deform_tuple(tup, desc, values, nulls);
	indcollation = (oidvector *) DatumGetPointer(values[Anum_pg_index_indcollation - 1]);
	indclass = (oidvector *) DatumGetPointer(values[Anum_pg_index_indclass - 1]);
	indoption = (int2vector *) DatumGetPointer(values[Anum_pg_index_indoption - 1]);

	if (exprs)
	{
		/* split the expression list; each element is deparsed on its own */
		List	   *l = (List *) stringToNode(exprs);
		ListCell   *lc;

		foreach(lc, l)
			exprlist = lappend(exprlist, nodeToString(lfirst(lc)));
	}

	for (int keyno = 0; keyno < idx->indnatts; keyno++)
	{
		AttrNumber	attnum = idx->indkey.values[keyno];
		Oid			keytype;
		Oid			keycoll;

		if (keys_only && keyno >= idx->indnkeyatts)
			break;
		if (keyno == idx->indnkeyatts)
		{
			appendStringInfoString(buf, ") INCLUDE (");
			sep = "";
		}
		appendStringInfoString(buf, sep);
		sep = ", ";
		if (attnum != 0)
		{
			SnapAttr   *att = (attnum > 0 && attnum <= table->natts) ?
				&table->attrs[attnum - 1] : NULL;

			if (att == NULL || !att->present)
			{
				appendStringInfo(buf, "%s", quote_identifier(get_attname(table->relid, attnum, false)));
				keytype = get_atttype(table->relid, attnum);
				keycoll = InvalidOid;
			}
			else
			{
				appendStringInfoString(buf, quote_identifier(att->name));
				keytype = att->typid;
				keycoll = att->collation;
			}
		}
		else
		{
			ExprMemo   *m;
			const char *text;

			if (nexpr >= list_length(exprlist))
				elog(ERROR, "schemaguard: too few entries in indexprs of index %s",
					 irel->qualified);
			m = sg_expr(s, list_nth(exprlist, nexpr++), table);
			text = m->text;
			/* a bare function call needs no parentheses */
			if (m->funclike)
				appendStringInfoString(buf, text);
			else
				appendStringInfo(buf, "(%s)", text);
			keytype = m->type;
			keycoll = m->collation;
		}
		if (keyno < idx->indnkeyatts)
		{
			int16		opt = indoption->values[keyno];
			Oid			coll = indcollation->values[keyno];

			if (OidIsValid(coll) && coll != keycoll)
				appendStringInfo(buf, " COLLATE %s", generate_collation_name(coll));
			appendStringInfoString(buf, sg_opclass_suffix(s, indclass->values[keyno], keytype));
			if (am->canorder)
			{
				if (opt & INDOPTION_DESC)
				{
					appendStringInfoString(buf, " DESC");
					if (!(opt & INDOPTION_NULLS_FIRST))
						appendStringInfoString(buf, " NULLS LAST");
				}
				else if (opt & INDOPTION_NULLS_FIRST)
					appendStringInfoString(buf, " NULLS FIRST");
			}
		}
	}
}

/* a new kept row for a copy of tup, in the arena */
SGKeptRow *
sg_keep_row(Snap *s, SGKeptRows *kept, HeapTuple tup)
{
	SGKeptRow  *row;
	HeapTuple	copy;

	/* in the worker, take the columns that have come: the queue is small */
	if (s->par.from_leader && (kept->n & 1023) == 1023)
		(void) sg_receive_attrs(s, false);
	if (kept->n == kept->max)
	{
		kept->max = Max(kept->max * 2, 1024);
		kept->rows = kept->rows ?
			repalloc_huge(kept->rows, sizeof(SGKeptRow) * kept->max) :
			MemoryContextAllocHuge(s->cxt, sizeof(SGKeptRow) * kept->max);
	}
	row = &kept->rows[kept->n++];
	memset(row, 0, sizeof(SGKeptRow));
	/* as heap_copytuple() lays it out */
	copy = sg_alloc_aligned(&s->arena, HEAPTUPLESIZE + tup->t_len);
	copy->t_len = tup->t_len;
	copy->t_self = tup->t_self;
	copy->t_tableOid = tup->t_tableOid;
	copy->t_data = (HeapTupleHeader) ((char *) copy + HEAPTUPLESIZE);
	memcpy(copy->t_data, tup->t_data, tup->t_len);
	row->tup = copy;
	return row;
}

/* kept rows in identity order (strcmp), as sg_stream_object() takes them */
void
sg_sort_kept_rows(Snap *s, SGKeptRows *kept)
{
	SGSortItem *items;
	SGKeptRow  *sorted;

	if (kept->n < 2)
		return;
	items = palloc_extended(sizeof(SGSortItem) * kept->n, MCXT_ALLOC_HUGE);
	for (int i = 0; i < kept->n; i++)
	{
		items[i].str = kept->rows[i].identity;
		items[i].ptr = &kept->rows[i];
	}
	sg_sort_strings(items, kept->n);
	sorted = MemoryContextAllocHuge(s->cxt, sizeof(SGKeptRow) * kept->max);
	for (int i = 0; i < kept->n; i++)
		sorted[i] = *(SGKeptRow *) items[i].ptr;
	pfree(items);
	pfree(kept->rows);
	kept->rows = sorted;
}

/*
 * Build each kept row's object with build, in identity order, and let the
 * rows go.
 */
void
sg_build_kept_rows(Snap *s, SGKeptRows *kept, Oid catalog,
				   void (*build) (Snap *s, SGKeptRow *row, TupleDesc desc))
{
	Relation	rel = table_open(catalog, AccessShareLock);

	for (int i = 0; i < kept->n; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(s->rowcxt);

		CHECK_FOR_INTERRUPTS();
		build(s, &kept->rows[i], RelationGetDescr(rel));
		MemoryContextSwitchTo(old);
		MemoryContextReset(s->rowcxt);
	}
	table_close(rel, AccessShareLock);
	if (kept->rows)
		pfree(kept->rows);
	kept->rows = NULL;
	kept->n = kept->max = 0;
}

/* a kept row's object: hashed as built for fingerprint(), or kept */
void
sg_add_kept_object(Snap *s, SGKeptRow *row, Oid classid, Oid objid,
				   StringInfo buf)
{
	SGObject   *obj;

	if (s->fp.fingerprint_only)
	{
		sg_stream_object(s, row->type, row->identity, NULL, buf);
		return;
	}
	obj = sg_add_object(s, row->type, row->schema, row->identity, classid, objid, 0);
	sg_set_definition(s, obj, buf);
	obj->parent_type = row->parent_type;
	obj->parent_identity = row->parent_identity;
}

/* a pg_index row, kept for sg_build_index() */
void
sg_keep_index_row(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
	SnapRel    *table = sg_included_rel(s, idx->indrelid);
	SnapRel    *irel;
	SGKeptRow  *row;

	if (table == NULL)
		return;
	irel = sg_rel(s, idx->indexrelid);
	if (irel == NULL)
		return;
	if (idx->indisreplident)
		table->replident_index = idx->indexrelid;
	row = sg_keep_row(s, &s->kept.kept_indexes, tup);
	row->type = "index";
	row->schema = irel->nspname;
	row->identity = irel->qualified;
	row->parent_type = sg_relkind_type(table->relkind);
	row->parent_identity = table->qualified;
	row->rel = table;
}

void
sg_build_index(Snap *s, SGKeptRow *row, TupleDesc desc)
{
	HeapTuple	tup = row->tup;
	Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
	SnapRel    *table = row->rel;
	SnapRel    *irel = sg_rel(s, idx->indexrelid);
	StringInfo	buf;
	char	   *pred;
	char	   *def = NULL;

	/* what the index's constraint, if any, needs */
	irel->index_read = true;
	irel->nulls_not_distinct = idx->indnullsnotdistinct;
	if (idx->indnatts > idx->indnkeyatts)
	{
		StringInfoData cols;

		initStringInfo(&cols);
		for (int k = idx->indnkeyatts; k < idx->indnatts; k++)
		{
			if (k > idx->indnkeyatts)
				appendStringInfoString(&cols, ", ");
			appendStringInfoString(&cols, quote_identifier(sg_attname(table, idx->indkey.values[k])));
		}
		irel->include_columns = sg_keep(s, cols.data);
	}
	if (table->attrs == NULL || irel->has_attoptions)
	{
		/* unusual: let the server's deparser do it */
		def = TextDatumGetCString(DirectFunctionCall1(pg_get_indexdef,
													  ObjectIdGetDatum(idx->indexrelid)));
	}

	buf = sg_def_begin(s);
	if (def)
		appendStringInfoString(buf, def);
	else
	{
		/* "CREATE [UNIQUE ]INDEX name ON [ONLY ]table USING am (" */
		appendStringInfoString(buf, idx->indisunique ? "CREATE UNIQUE INDEX " : "CREATE INDEX ");
		appendStringInfoString(buf, quote_identifier(irel->relname));
		appendStringInfoString(buf, irel->relkind == RELKIND_PARTITIONED_INDEX ? " ON ONLY " : " ON ");
		appendStringInfoString(buf, table->qualified);
		appendStringInfoString(buf, " USING ");
		appendStringInfoString(buf, sg_am(s, irel->relam)->name);
		appendStringInfoString(buf, " (");
		sg_index_columns(s, buf, idx, tup, desc, table, irel, false);
		appendStringInfoChar(buf, ')');
		if (idx->indnullsnotdistinct)
			appendStringInfoString(buf, " NULLS NOT DISTINCT");
		if (irel->reloptions)
			appendStringInfo(buf, " WITH (%s)", irel->reloptions);
		pred = sg_text_attr(tup, Anum_pg_index_indpred, desc);
		if (pred)
		{
			appendStringInfoString(buf, " WHERE ");
			appendStringInfoString(buf, sg_expr(s, pred, table)->text);
		}
	}
	if (!idx->indisvalid)
		appendStringInfoString(buf, "\nINVALID");
	sg_relation_facets(s, buf, irel, OBJECT_INDEX);
	sg_add_kept_object(s, row, RelationRelationId, irel->relid, buf);
}
