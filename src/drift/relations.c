/*-------------------------------------------------------------------------
 *
 * relations.c
 *		Relations and their columns: pg_class, pg_attribute, pg_attrdef,
 *		pg_inherits, tables, views, composite types, sequences.
 *
 * Part of the schema snapshot behind drift detection; the design is in
 * drift_int.h and in docs/drift.md, "How the snapshot is built".
 *
 *-------------------------------------------------------------------------
 */
#include "drift_int.h"


void
sg_read_class(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);
	SnapNsp    *nsp = sg_included_nsp(s, c->relnamespace);
	SnapRel    *rel;
	bool		isnull;
	Datum		d;

	if (nsp == NULL)
		return;
	sg_stream_class(s, tup);
	/*
	 * With a worker the leader does not build indexes, and needs none of
	 * them: it only streams their columns' opclass options on (see
	 * sg_read_attribute), and looks up a replica identity index's name
	 * (sg_replident_name).  Indexes are two thirds of a typical pg_class.
	 */
	if (s->part == SG_PART_LEADER &&
		(c->relkind == RELKIND_INDEX || c->relkind == RELKIND_PARTITIONED_INDEX))
		return;
	rel = sg_new_rel(s, c->oid);
	rel->included = !sg_is_member(s, RelationRelationId, c->oid) &&
		!(c->relkind == RELKIND_COMPOSITE_TYPE &&
		  sg_is_member(s, TypeRelationId, c->reltype));
	rel->relkind = c->relkind;
	rel->relpersistence = c->relpersistence;
	rel->relreplident = c->relreplident;
	rel->relispartition = c->relispartition;
	rel->relrowsecurity = c->relrowsecurity;
	rel->relforcerowsecurity = c->relforcerowsecurity;
	rel->relowner = c->relowner;
	rel->relam = c->relam;
	rel->reltablespace = c->reltablespace;
	rel->nspname = nsp->name;
	rel->relname = sg_keep(s, NameStr(c->relname));
	rel->qualified = sg_keep_concat(s, nsp->quoted, ".", quote_identifier(rel->relname));
	rel->reloptions = NULL;
	d = (Datum) 0;
	isnull = heap_attisnull(tup, Anum_pg_class_reloptions, desc);
	if (!isnull)
		d = heap_getattr(tup, Anum_pg_class_reloptions, desc, &isnull);
	if (!isnull)
	{
		const char *opts = sg_reloptions_text(d);

		rel->reloptions = opts ? sg_keep(s, opts) : NULL;
	}
	rel->acl = sg_acl_attr(s, tup, Anum_pg_class_relacl, desc);
	rel->partbound = NULL;
	if (c->relispartition)
	{
		char	   *bound = sg_text_attr(tup, Anum_pg_class_relpartbound, desc);

		rel->partbound = bound ? sg_keep(s, bound) : NULL;
	}
	rel->natts = 0;
	rel->attrs = NULL;
	rel->attsig = NULL;
	rel->has_attoptions = false;
	rel->replident_index = InvalidOid;
	if (c->relkind == RELKIND_RELATION || c->relkind == RELKIND_PARTITIONED_TABLE ||
		c->relkind == RELKIND_FOREIGN_TABLE || c->relkind == RELKIND_COMPOSITE_TYPE ||
		c->relkind == RELKIND_MATVIEW || c->relkind == RELKIND_VIEW)
	{
		rel->natts = c->relnatts;
		rel->attrs = sg_alloc0(&s->arena, sizeof(SnapAttr) * Max(c->relnatts, 1));
	}
}


void
sg_fetch_rel_attrs(Snap *s, SnapRel *rel)
{
	sg_scan_key(s, AttributeRelationId, AttributeRelidNumIndexId,
				Anum_pg_attribute_attrelid, rel->relid, sg_read_attribute);
}

void
sg_read_attribute(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_attribute a = (Form_pg_attribute) GETSTRUCT(tup);
	SnapRel    *rel;
	SnapAttr   *att;

	if (a->attnum <= 0 || a->attisdropped)
		return;
	rel = sg_rel(s, a->attrelid);
	if (rel == NULL || rel->attrs == NULL)
	{
		/*
		 * An index column: only its opclass options matter.  The leader
		 * does not keep indexes (sg_read_class), so it passes on the
		 * options of any relation it does not know; the worker ignores
		 * those that are not its indexes.
		 */
		if ((rel != NULL || s->part == SG_PART_LEADER) &&
			!heap_attisnull(tup, Anum_pg_attribute_attoptions, desc))
		{
			if (rel != NULL)
				rel->has_attoptions = true;
			sg_stream_attr(s, a->attrelid, 0, InvalidOid, InvalidOid, NULL);
		}
		return;
	}
	if (a->attnum > rel->natts)
		return;
	if (rel->relkind != RELKIND_VIEW && rel->relkind != RELKIND_COMPOSITE_TYPE)
		sg_stream_attr(s, rel->relid, a->attnum, a->atttypid, a->attcollation,
					   NameStr(a->attname));
	att = &rel->attrs[a->attnum - 1];
	att->present = true;
	att->name = sg_keep(s, NameStr(a->attname));
	att->typid = a->atttypid;
	att->typmod = a->atttypmod;
	att->collation = a->attcollation;
	att->notnull = a->attnotnull;
	att->identity = a->attidentity;
	att->generated = a->attgenerated;
	att->storage = a->attstorage;
	att->compression = a->attcompression;
	att->stattarget = SG_ATTSTATTARGET(tup, desc);
	att->acl = sg_acl_attr(s, tup, Anum_pg_attribute_attacl, desc);
}

void
sg_read_attrdef(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_attrdef d = (Form_pg_attrdef) GETSTRUCT(tup);
	SnapRel    *rel = sg_included_rel(s, d->adrelid);
	bool		isnull;
	Datum		datum;
	text	   *bin;

	if (rel == NULL || rel->attrs == NULL || d->adnum <= 0 || d->adnum > rel->natts ||
		heap_attisnull(tup, Anum_pg_attrdef_adbin, desc))
		return;
	datum = heap_getattr(tup, Anum_pg_attrdef_adbin, desc, &isnull);
	if (isnull)
		return;
	/* the same default on many tables is kept once, not per column */
	bin = DatumGetTextPP(datum);
	rel->attrs[d->adnum - 1].defbin = sg_keep_once(s, VARDATA_ANY(bin),
												   VARSIZE_ANY_EXHDR(bin));
}

void
sg_read_inherits(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_inherits inh = (Form_pg_inherits) GETSTRUCT(tup);
	SGMapEntry *me;
	InhEntry   *e;
	MemoryContext old;

	if (sg_included_rel(s, inh->inhrelid) == NULL)
		return;
	me = sg_map_enter(s->cat.inherits, inh->inhrelid);
	if (me->value == NULL)
	{
		e = MemoryContextAlloc(s->cxt, sizeof(InhEntry));
		e->child = inh->inhrelid;
		e->parents = NIL;
		e->seqnos = NIL;
		me->value = e;
	}
	e = me->value;
	old = MemoryContextSwitchTo(s->cxt);
	/* keep inhseqno order */
	{
		int			pos = 0;
		ListCell   *lc;

		foreach(lc, e->seqnos)
		{
			if (lfirst_int(lc) > inh->inhseqno)
				break;
			pos++;
		}
		e->seqnos = list_insert_nth_int(e->seqnos, pos, inh->inhseqno);
		e->parents = list_insert_nth_oid(e->parents, pos, inh->inhparent);
	}
	MemoryContextSwitchTo(old);
}

void
sg_read_description(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_description d = (Form_pg_description) GETSTRUCT(tup);
	DescKey		key;
	DescEntry  *e;
	char	   *text = sg_text_attr(tup, Anum_pg_description_description, desc);

	if (text == NULL)
		return;
	memset(&key, 0, sizeof(key));
	key.objoid = d->objoid;
	key.classoid = d->classoid;
	key.objsubid = d->objsubid;
	e = hash_search(s->cat.descriptions, &key, HASH_ENTER, NULL);
	e->text = sg_keep(s, text);
}

/*
 * A relation's column names, for the expression memo: built when an
 * expression of the relation is first deparsed (most relations have none).
 */
const char *
sg_attsig(Snap *s, SnapRel *rel)
{
	if (rel->attsig == NULL && rel->attrs != NULL)
	{
		StringInfoData buf;
		MemoryContext old = MemoryContextSwitchTo(s->rowcxt);

		initStringInfo(&buf);
		for (int i = 0; i < rel->natts; i++)
		{
			if (rel->attrs[i].present)
				appendStringInfoString(&buf, rel->attrs[i].name);
			appendStringInfoChar(&buf, '\x02');
		}
		MemoryContextSwitchTo(old);
		rel->attsig = sg_keep_once(s, buf.data, buf.len);
		pfree(buf.data);
	}
	return rel->attsig ? rel->attsig : "";
}

/* ----------------------------------------------------------------
 * Relations and their columns
 * ----------------------------------------------------------------
 */

const char *
sg_relkind_type(char relkind)
{
	switch (relkind)
	{
		case RELKIND_RELATION:
		case RELKIND_PARTITIONED_TABLE:
			return "table";
		case RELKIND_FOREIGN_TABLE:
			return "foreign table";
		case RELKIND_VIEW:
			return "view";
		case RELKIND_MATVIEW:
			return "materialized view";
		case RELKIND_SEQUENCE:
			return "sequence";
		case RELKIND_COMPOSITE_TYPE:
			return "composite type";
		case RELKIND_INDEX:
		case RELKIND_PARTITIONED_INDEX:
			return "index";
	}
	return NULL;
}

static void
sg_column_definition(Snap *s, StringInfo buf, SnapRel *rel, SnapAttr *att,
					 const char *qname)
{
	TypeNameEntry *t = sg_type_entry(s, att->typid, att->typmod);

	/* the most frequent definition of all: no format strings */
	appendStringInfoString(buf, qname);
	appendStringInfoChar(buf, ' ');
	appendStringInfoString(buf, t->name);
	if (OidIsValid(att->collation) && att->collation != t->typcollation)
		appendStringInfo(buf, " COLLATE %s", generate_collation_name(att->collation));
	if (att->notnull)
		appendStringInfoString(buf, " NOT NULL");
	if (att->defbin)
	{
		ExprMemo   *m = sg_expr(s, att->defbin, rel);

		if (att->generated == ATTRIBUTE_GENERATED_STORED)
		{
			appendStringInfoString(buf, " GENERATED ALWAYS AS (");
			appendStringInfoString(buf, m->text);
			appendStringInfoString(buf, ") STORED");
		}
		else
		{
			appendStringInfoString(buf, " DEFAULT ");
			appendStringInfoString(buf, m->text);
		}
	}
	if (att->identity == ATTRIBUTE_IDENTITY_ALWAYS)
		appendStringInfoString(buf, " GENERATED ALWAYS AS IDENTITY");
	else if (att->identity == ATTRIBUTE_IDENTITY_BY_DEFAULT)
		appendStringInfoString(buf, " GENERATED BY DEFAULT AS IDENTITY");
}

/*
 * fingerprint() needs of the most numerous objects, columns, indexes and
 * constraints, only their type's digest (sg_type_digests): SHA-256 over
 * their identities and definitions in identity order.  They are built in
 * that order (tables in sg_sort_rels order, each one's columns in name
 * order; kept rows sorted, sg_sort_kept_rows), so they are hashed as they
 * are built, and never kept.  The order is checked.
 */
typedef struct SGTypeStream
{
	const char *type;
	int			count;
	SGHasher	hasher;
	/*
	 * The last identity hashed: its relation's and its own name, or with
	 * no name the whole identity.
	 */
	const char *last_prefix;
	const char *last_name;
} SGTypeStream;

/* strcmp() of "<a>." and "<b>." (see sg_sort_rels) */
static int
sg_dot_cmp(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *) a;
	const unsigned char *y = (const unsigned char *) b;

	while (*x != '\0' && *x == *y)
	{
		x++;
		y++;
	}
	if (*x == *y)
		return 0;
	if ((*x ? *x : '.') != (*y ? *y : '.'))
		return (int) (*x ? *x : '.') - (int) (*y ? *y : '.');
	/* one ended where the other has a dot: "a." starts "a.b." */
	return *x ? 1 : -1;
}

#define SG_MAX_STREAMS 8

/* the last identity hashed in ts against "<prefix>.<name>" (or prefix) */
static int
sg_stream_cmp(SGTypeStream *ts, const char *prefix, const char *name)
{
	/* a type's objects are all hashed one way: a mix is out of order */
	if (name == NULL || ts->last_name == NULL)
		return (name == NULL && ts->last_name == NULL) ?
			strcmp(ts->last_prefix, prefix) : 1;
	if (prefix == ts->last_prefix)
		return strcmp(ts->last_name, name);
	return sg_dot_cmp(ts->last_prefix, prefix);
}

/*
 * Hash an object of type "type" built in identity order: its identity is
 * "<prefix>.<name>" (a column), or with name NULL prefix itself.
 */
void
sg_stream_object(Snap *s, const char *type, const char *prefix, const char *name,
				 StringInfo definition)
{
	SGTypeStream *ts = NULL;

	for (int i = 0; i < s->fp.nstreams; i++)
		if (s->fp.streams[i].type == type)
			ts = &s->fp.streams[i];
	if (ts == NULL)
	{
		MemoryContext old = MemoryContextSwitchTo(s->cxt);

		if (s->fp.streams == NULL)
			s->fp.streams = palloc(sizeof(SGTypeStream) * SG_MAX_STREAMS);
		if (s->fp.nstreams == SG_MAX_STREAMS)
			elog(ERROR, "schemaguard: too many object types hashed as built");
		ts = &s->fp.streams[s->fp.nstreams++];
		ts->type = type;
		ts->count = 0;
		sg_hasher_begin(&ts->hasher);
		MemoryContextSwitchTo(old);
	}
	/* after the last one, whose identity is still there */
	if (ts->count > 0 && sg_stream_cmp(ts, prefix, name) >= 0)
		elog(ERROR, "schemaguard: %s \"%s%s%s\" is out of identity order",
			 type, prefix, name ? "." : "", name ? name : "");
	if (name == NULL)
		sg_hasher_field(&ts->hasher, prefix);
	else
		sg_hasher_field3(&ts->hasher, prefix, ".", name);
	sg_hasher_field(&ts->hasher, definition->data);
	ts->count++;
	ts->last_prefix = prefix;
	ts->last_name = name;
}

/* the streamed types' digests, added to the process's own */
void
sg_end_streams(Snap *s)
{
	if (s->fp.nstreams == 0)
		return;
	s->fp.own_digests = repalloc(s->fp.own_digests,
							  sizeof(SGTypeDigest) * (s->fp.nown_digests + s->fp.nstreams));
	for (int i = 0; i < s->fp.nstreams; i++)
	{
		SGTypeDigest *d = &s->fp.own_digests[s->fp.nown_digests++];

		d->type = s->fp.streams[i].type;
		d->count = s->fp.streams[i].count;
		sg_hasher_end(&s->fp.streams[i].hasher, d->digest);
	}
	s->fp.nstreams = 0;
}

typedef struct SnapColumn
{
	const char *qname;			/* quoted column name */
	int			attno;
	int			position;		/* among the live columns */
} SnapColumn;

static int
sg_column_name_cmp(const void *a, const void *b)
{
	return strcmp(((const SnapColumn *) a)->qname, ((const SnapColumn *) b)->qname);
}

static void
sg_emit_columns(Snap *s, SnapRel *rel, const char *reltype)
{
	const char *coltype = rel->relkind == RELKIND_FOREIGN_TABLE ?
		"foreign table column" : "table column";
	SnapColumn *cols = palloc(sizeof(SnapColumn) * Max(rel->natts, 1));
	int			ncols = 0;

	for (int i = 0; i < rel->natts; i++)
	{
		if (!rel->attrs[i].present)
			continue;
		cols[ncols].qname = quote_identifier(rel->attrs[i].name);
		cols[ncols].attno = i + 1;
		cols[ncols].position = ncols + 1;
		ncols++;
	}
	qsort(cols, ncols, sizeof(SnapColumn), sg_column_name_cmp);

	for (int c = 0; c < ncols; c++)
	{
		int			i = cols[c].attno - 1;
		int			position = cols[c].position;
		SnapAttr   *att = &rel->attrs[i];
		StringInfo	buf;
		SGObject   *obj;

		buf = sg_def_begin(s);
		sg_column_definition(s, buf, rel, att, cols[c].qname);
		if (s->facets & SG_FACET_COLUMN_ORDER)
			appendStringInfo(buf, "\nPOSITION %d", position);
		if (s->facets & SG_FACET_STORAGE)
		{
			appendStringInfo(buf, "\nSTORAGE %s",
							 att->storage == TYPSTORAGE_PLAIN ? "PLAIN" :
							 att->storage == TYPSTORAGE_EXTERNAL ? "EXTERNAL" :
							 att->storage == TYPSTORAGE_MAIN ? "MAIN" : "EXTENDED");
			if (att->compression)
				appendStringInfo(buf, " COMPRESSION %s",
								 att->compression == 'p' ? "pglz" :
								 att->compression == 'l' ? "lz4" : "?");
			if (att->stattarget >= 0)
				appendStringInfo(buf, " STATISTICS %d", att->stattarget);
		}
		sg_facet_privileges(s, buf, OBJECT_COLUMN, rel->relowner, att->acl);
		sg_facet_comment(s, buf, RelationRelationId, rel->relid, i + 1);

		if (s->fp.fingerprint_only)
		{
			sg_stream_object(s, coltype, rel->qualified, cols[c].qname, buf);
			continue;
		}
		obj = sg_add_object(s, coltype, rel->nspname,
							sg_keep_concat(s, rel->qualified, ".", cols[c].qname),
							RelationRelationId, rel->relid, i + 1);
		sg_set_definition(s, obj, buf);
		obj->parent_type = reltype;
		obj->parent_identity = rel->qualified;
	}
	pfree(cols);
}

/* the rest of a table's definition: storage facet, owner, grants, comment */
void
sg_relation_facets(Snap *s, StringInfo buf, SnapRel *rel, ObjectType objtype)
{
	if ((s->facets & SG_FACET_STORAGE) && rel->relkind != RELKIND_VIEW &&
		rel->relkind != RELKIND_COMPOSITE_TYPE && rel->relkind != RELKIND_FOREIGN_TABLE)
	{
		appendStringInfoString(buf, "\nSTORAGE");
		if (OidIsValid(rel->relam))
			appendStringInfo(buf, " ACCESS METHOD %s", sg_am(s, rel->relam)->name);
		appendStringInfo(buf, " TABLESPACE %s", sg_tablespace(s, rel->reltablespace));
		if (rel->reloptions && rel->relkind != RELKIND_INDEX &&
			rel->relkind != RELKIND_PARTITIONED_INDEX)
			appendStringInfo(buf, " WITH (%s)", rel->reloptions);
	}
	if (objtype != OBJECT_INDEX)
	{
		sg_facet_owner(s, buf, rel->relowner);
		sg_facet_privileges(s, buf, objtype, rel->relowner, rel->acl);
	}
	sg_facet_comment(s, buf, RelationRelationId, rel->relid, 0);
}

/*
 * The index of a table with REPLICA IDENTITY USING INDEX, when this process
 * did not scan pg_index (the worker builds the indexes): through
 * pg_index's index on indrelid.
 */
static void
sg_read_replident(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_index idx = (Form_pg_index) GETSTRUCT(tup);
	SnapRel    *rel = sg_rel(s, idx->indrelid);

	if (idx->indisreplident && rel != NULL)
		rel->replident_index = idx->indexrelid;
}

static void
sg_read_relname(Snap *s, HeapTuple tup, TupleDesc desc)
{
	s->cat.found_relname = sg_keep(s, NameStr(((Form_pg_class) GETSTRUCT(tup))->relname));
}

/* the name of a table's REPLICA IDENTITY USING INDEX index, or NULL */
static const char *
sg_replident_name(Snap *s, SnapRel *rel)
{
	SnapRel    *idx;

	if (!s->kept.indexes_read)
		sg_scan_key(s, IndexRelationId, IndexIndrelidIndexId, Anum_pg_index_indrelid,
					rel->relid, sg_read_replident);
	if (!OidIsValid(rel->replident_index))
		return NULL;
	idx = sg_rel(s, rel->replident_index);
	if (idx != NULL)
		return idx->relname;
	/* the leader keeps no indexes (sg_read_class): from pg_class */
	s->cat.found_relname = NULL;
	sg_scan_key(s, RelationRelationId, ClassOidIndexId, Anum_pg_class_oid,
				rel->replident_index, sg_read_relname);
	return s->cat.found_relname;
}

static void
sg_emit_table(Snap *s, SnapRel *rel)
{
	StringInfo	buf = sg_def_begin(s);
	const char *type = sg_relkind_type(rel->relkind);
	InhEntry   *inh = sg_map_get(s->cat.inherits, rel->relid);
	SGObject   *obj;
	const char *parent_type = NULL;
	const char *parent_identity = NULL;

	if (rel->relkind == RELKIND_FOREIGN_TABLE)
		appendStringInfo(buf, "CREATE FOREIGN TABLE %s", rel->qualified);
	else
		appendStringInfo(buf, "CREATE %sTABLE %s",
						 rel->relpersistence == RELPERSISTENCE_UNLOGGED ? "UNLOGGED " : "",
						 rel->qualified);

	if (inh && rel->relispartition && inh->parents != NIL)
	{
		Oid			parent = linitial_oid(inh->parents);
		const char *pname = sg_rel_qualified(s, parent);

		appendStringInfo(buf, " PARTITION OF %s", pname);
		if (rel->partbound)
			appendStringInfo(buf, " %s", sg_expr(s, rel->partbound, rel)->text);
		parent_type = "table";
		parent_identity = sg_keep(s, pname);
	}
	else if (inh && inh->parents != NIL)
	{
		ListCell   *lc;

		appendStringInfoString(buf, " INHERITS (");
		foreach(lc, inh->parents)
		{
			if (lc != list_head(inh->parents))
				appendStringInfoString(buf, ", ");
			appendStringInfoString(buf, sg_rel_qualified(s, lfirst_oid(lc)));
		}
		appendStringInfoChar(buf, ')');
	}
	if (rel->relkind == RELKIND_PARTITIONED_TABLE)
	{
		Datum		key = DirectFunctionCall1(pg_get_partkeydef,
											  ObjectIdGetDatum(rel->relid));

		appendStringInfo(buf, " PARTITION BY %s", TextDatumGetCString(key));
	}
	if (rel->relkind == RELKIND_FOREIGN_TABLE)
	{
		HeapTuple	tup = SearchSysCache1(FOREIGNTABLEREL, ObjectIdGetDatum(rel->relid));

		if (HeapTupleIsValid(tup))
		{
			Form_pg_foreign_table ft = (Form_pg_foreign_table) GETSTRUCT(tup);
			bool		isnull;
			Datum		opts;
			HeapTuple	stup = SearchSysCache1(FOREIGNSERVEROID,
											   ObjectIdGetDatum(ft->ftserver));

			if (HeapTupleIsValid(stup))
			{
				appendStringInfo(buf, " SERVER %s",
								 quote_identifier(NameStr(((Form_pg_foreign_server) GETSTRUCT(stup))->srvname)));
				ReleaseSysCache(stup);
			}
			opts = SysCacheGetAttr(FOREIGNTABLEREL, tup,
								   Anum_pg_foreign_table_ftoptions, &isnull);
			if (!isnull)
			{
				const char *o = sg_reloptions_text(opts);

				if (o)
					appendStringInfo(buf, " OPTIONS (%s)", o);
			}
			ReleaseSysCache(tup);
		}
	}
	if (rel->relrowsecurity)
		appendStringInfo(buf, "\nALTER TABLE %s ENABLE ROW LEVEL SECURITY", rel->qualified);
	if (rel->relforcerowsecurity)
		appendStringInfo(buf, "\nALTER TABLE %s FORCE ROW LEVEL SECURITY", rel->qualified);
	if (rel->relreplident == REPLICA_IDENTITY_NOTHING)
		appendStringInfo(buf, "\nALTER TABLE %s REPLICA IDENTITY NOTHING", rel->qualified);
	else if (rel->relreplident == REPLICA_IDENTITY_FULL)
		appendStringInfo(buf, "\nALTER TABLE %s REPLICA IDENTITY FULL", rel->qualified);
	else if (rel->relreplident == REPLICA_IDENTITY_INDEX)
	{
		const char *idxname = sg_replident_name(s, rel);

		appendStringInfo(buf, "\nALTER TABLE %s REPLICA IDENTITY USING INDEX %s",
						 rel->qualified,
						 idxname ? quote_identifier(idxname) : "?");
	}
	sg_relation_facets(s, buf, rel,
					   rel->relkind == RELKIND_FOREIGN_TABLE ? OBJECT_FOREIGN_TABLE : OBJECT_TABLE);

	obj = sg_add_object(s, type, rel->nspname, rel->qualified,
						RelationRelationId, rel->relid, 0);
	sg_set_definition(s, obj, buf);
	obj->parent_type = parent_type;
	obj->parent_identity = parent_identity;
	sg_emit_columns(s, rel, type);
}

void
sg_emit_view(Snap *s, SnapRel *rel)
{
	StringInfo	buf;
	SGObject   *obj;
	char	   *def;

	/* the deparser may run queries of its own: build the text first */
	if (rel->viewdef)
		def = pstrdup(rel->viewdef);
	else
		def = TextDatumGetCString(DirectFunctionCall1(pg_get_viewdef,
													  ObjectIdGetDatum(rel->relid)));
	buf = sg_def_begin(s);
	appendStringInfo(buf, "CREATE %s %s",
					 rel->relkind == RELKIND_VIEW ? "VIEW" : "MATERIALIZED VIEW",
					 rel->qualified);
	if (rel->reloptions && rel->relkind == RELKIND_VIEW)
		appendStringInfo(buf, " WITH (%s)", rel->reloptions);
	appendStringInfo(buf, " AS\n%s", def);
	sg_relation_facets(s, buf, rel,
					   rel->relkind == RELKIND_VIEW ? OBJECT_VIEW : OBJECT_MATVIEW);
	obj = sg_add_object(s, sg_relkind_type(rel->relkind), rel->nspname,
						rel->qualified, RelationRelationId, rel->relid, 0);
	sg_set_definition(s, obj, buf);
	pfree(def);
}

static void
sg_emit_composite(Snap *s, SnapRel *rel)
{
	StringInfo	buf = sg_def_begin(s);
	SGObject   *obj;
	bool		first = true;

	appendStringInfo(buf, "CREATE TYPE %s AS (", rel->qualified);
	for (int i = 0; i < rel->natts; i++)
	{
		SnapAttr   *att = &rel->attrs[i];
		TypeNameEntry *t;

		if (!att->present)
			continue;
		t = sg_type_entry(s, att->typid, att->typmod);
		appendStringInfo(buf, "%s%s %s", first ? "" : ", ",
						 quote_identifier(att->name), t->name);
		if (OidIsValid(att->collation) && att->collation != t->typcollation)
			appendStringInfo(buf, " COLLATE %s", generate_collation_name(att->collation));
		first = false;
	}
	appendStringInfoChar(buf, ')');
	sg_facet_owner(s, buf, rel->relowner);
	sg_facet_comment(s, buf, RelationRelationId, rel->relid, 0);
	obj = sg_add_object(s, "composite type", rel->nspname, rel->qualified,
						RelationRelationId, rel->relid, 0);
	sg_set_definition(s, obj, buf);
}

/*
 * The first dependency of an object with deptype "deptype" (or
 * "deptype2") on an object of catalog "refclassid" (InvalidOid: any), read
 * through the depender index.
 */
bool
sg_find_dependency(Snap *s, Oid classid, Oid objid, char deptype,
				   char deptype2, Oid refclassid, FormData_pg_depend *found)
{
	Relation	rel = table_open(DependRelationId, AccessShareLock);
	ScanKeyData key[2];
	SysScanDesc scan;
	HeapTuple	tup;
	bool		result = false;

	ScanKeyInit(&key[0], Anum_pg_depend_classid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(classid));
	ScanKeyInit(&key[1], Anum_pg_depend_objid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(objid));
	scan = systable_beginscan(rel, DependDependerIndexId, true, s->snapshot,
							  2, key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);

		if ((dep->deptype == deptype || dep->deptype == deptype2) &&
			(!OidIsValid(refclassid) || dep->refclassid == refclassid))
		{
			*found = *dep;
			result = true;
			break;
		}
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return result;
}

void
sg_read_sequence(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_sequence seq = (Form_pg_sequence) GETSTRUCT(tup);
	SnapRel    *rel = sg_included_rel(s, seq->seqrelid);
	StringInfo	buf;
	SGObject   *obj;
	FormData_pg_depend dep;
	SnapRel    *orel = NULL;
	const char *owned_by = NULL;

	if (rel == NULL || rel->relkind != RELKIND_SEQUENCE)
		return;
	/* OWNED BY and identity columns: an auto or internal column dependency */
	if (sg_find_dependency(s, RelationRelationId, seq->seqrelid, DEPENDENCY_AUTO,
						   DEPENDENCY_INTERNAL, RelationRelationId, &dep) &&
		dep.refobjsubid > 0)
	{
		orel = sg_rel(s, dep.refobjid);
		if (orel && orel->attrs && dep.refobjsubid <= orel->natts &&
			orel->attrs[dep.refobjsubid - 1].present)
			owned_by = psprintf("%s.%s", orel->qualified,
								quote_identifier(orel->attrs[dep.refobjsubid - 1].name));
	}
	buf = sg_def_begin(s);
	appendStringInfo(buf, "CREATE %sSEQUENCE %s AS %s INCREMENT BY " INT64_FORMAT
					 " MINVALUE " INT64_FORMAT " MAXVALUE " INT64_FORMAT
					 " START WITH " INT64_FORMAT " CACHE " INT64_FORMAT "%s",
					 rel->relpersistence == RELPERSISTENCE_UNLOGGED ? "UNLOGGED " : "",
					 rel->qualified, sg_type_name(s, seq->seqtypid, -1),
					 seq->seqincrement, seq->seqmin, seq->seqmax, seq->seqstart,
					 seq->seqcache, seq->seqcycle ? " CYCLE" : " NO CYCLE");
	if (owned_by)
		appendStringInfo(buf, " OWNED BY %s", owned_by);
	sg_relation_facets(s, buf, rel, OBJECT_SEQUENCE);
	obj = sg_add_object(s, "sequence", rel->nspname, rel->qualified,
						RelationRelationId, rel->relid, 0);
	sg_set_definition(s, obj, buf);
	if (orel)
	{
		obj->parent_type = sg_relkind_type(orel->relkind);
		obj->parent_identity = orel->qualified;
	}
}

/*
 * Relations in the order of "<qualified>.", the common prefix of the
 * identities of a relation's columns.  No relation's prefix starts
 * another's (a name with a dot in it is quoted), so the columns of the
 * relations in this order, each relation's in name order, are in identity
 * order, which sg_stream_object relies on.
 */
static void
sg_sort_rels(SnapRel **rels, int n)
{
	SGSortItem *items;
	char	   *names;
	Size		len = 0;

	if (n < 2)
		return;
	for (int i = 0; i < n; i++)
		len += strlen(rels[i]->qualified) + 2;
	names = palloc_extended(len, MCXT_ALLOC_HUGE);
	items = palloc_extended(sizeof(SGSortItem) * n, MCXT_ALLOC_HUGE);
	len = 0;
	for (int i = 0; i < n; i++)
	{
		size_t		l = strlen(rels[i]->qualified);

		items[i].str = names + len;
		items[i].ptr = rels[i];
		memcpy(names + len, rels[i]->qualified, l);
		names[len + l] = '.';
		names[len + l + 1] = '\0';
		len += l + 2;
	}
	sg_sort_strings(items, n);
	for (int i = 0; i < n; i++)
		rels[i] = items[i].ptr;
	pfree(items);
	pfree(names);
}

void
sg_emit_relations(Snap *s)
{
	SnapRel    *rel;
	SnapRel   **rels;
	int			n = 0;

	/* in name order: most objects come out sorted already (sg_sort_rels) */
	rels = palloc(sizeof(SnapRel *) * Max(s->cat.nrels, 1));
	for (int r = 0; r < s->cat.nrels; r++)
		if (s->cat.rel_list[r]->included && s->cat.rel_list[r]->attrs != NULL)
			rels[n++] = s->cat.rel_list[r];
	sg_sort_rels(rels, n);
	for (int i = 0; i < n; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(s->rowcxt);

		rel = rels[i];
		CHECK_FOR_INTERRUPTS();
		/* column batches still waiting, for the worker's indexes */
		if ((i & 255) == 255)
			sg_flush_attrs(s);
		switch (rel->relkind)
		{
			case RELKIND_RELATION:
			case RELKIND_PARTITIONED_TABLE:
			case RELKIND_FOREIGN_TABLE:
				if (sg_emits(s, SG_PART_LEADER))
					sg_emit_table(s, rel);
				break;
			case RELKIND_COMPOSITE_TYPE:
				if (sg_emits(s, SG_PART_LEADER))
					sg_emit_composite(s, rel);
				break;
			default:
				/* views: sg_build_views; sequences and indexes: their catalogs */
				break;
		}
		MemoryContextSwitchTo(old);
		MemoryContextReset(s->rowcxt);
	}
	pfree(rels);
}
