/*-------------------------------------------------------------------------
 *
 * build.c
 *		Building blocks shared by the catalog families: the string arena,
 *		object and relation lookups, type and operator class names, the
 *		expression memo, catalog scans, schemas and extension members.
 *
 * Part of the schema snapshot behind drift detection; the design is in
 * drift_int.h and in docs/drift.md, "How the snapshot is built".
 *
 *-------------------------------------------------------------------------
 */
#include "drift_int.h"

/* ----------------------------------------------------------------
 * Building blocks
 * ----------------------------------------------------------------
 */

HTAB *
sg_hash_create(const char *name, Size keysize, Size entrysize, long nelem)
{
	HASHCTL		ctl;

	ctl.keysize = keysize;
	ctl.entrysize = entrysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, nelem, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* start building a definition in the shared buffer */
StringInfo
sg_def_begin(Snap *s)
{
	resetStringInfo(&s->buf);
	return &s->buf;
}

#define SG_ARENA_BLOCK (256 * 1024)

char *
sg_arena_alloc(SGArena *a, Size len)
{
	char	   *p;

	if (len > a->left)
	{
		Size		size = Max(len, SG_ARENA_BLOCK);

		a->next = MemoryContextAllocHuge(a->cxt, size);
		a->left = size;
	}
	p = a->next;
	a->next += len;
	a->left -= len;
	return p;
}

/*
 * MAXALIGNed memory from the snapshot's arena, for the small arrays of each
 * relation and the rows kept: a memory context would round each up to a
 * power of two and add a chunk header.
 */
void *
sg_alloc_aligned(SGArena *a, Size size)
{
	Size		pad = MAXALIGN((uintptr_t) a->next) - (uintptr_t) a->next;

	if (a->next != NULL && pad + size <= a->left)
	{
		a->next += pad;
		a->left -= pad;
	}
	else
		a->left = 0;			/* a new block, which is MAXALIGNed */
	return sg_arena_alloc(a, size);
}

/* the same, zeroed */
void *
sg_alloc0(SGArena *a, Size size)
{
	void	   *p = sg_alloc_aligned(a, size);

	memset(p, 0, size);
	return p;
}

/* a NUL-terminated copy of len bytes of data */
const char *
sg_arena_copy(SGArena *a, const char *data, Size len)
{
	char	   *p = sg_arena_alloc(a, len + 1);

	memcpy(p, data, len);
	p[len] = '\0';
	return p;
}

/* the same, one copy for each distinct text (for the few type names) */
const char *
sg_arena_intern(SGArena *a, const char *data, Size len)
{
	const char *str;

	/*
	 * Rows of one type come together: the last two found first (a row's
	 * type and its parent's type take turns).
	 */
	for (int k = 0; k < 2; k++)
	{
		int			i = a->last_interned[k];

		if (i < a->ninterned && strncmp(a->interned[i], data, len) == 0 &&
			a->interned[i][len] == '\0')
			return a->interned[i];
	}
	for (int i = 0; i < a->ninterned; i++)
		if (strncmp(a->interned[i], data, len) == 0 && a->interned[i][len] == '\0')
		{
			a->last_interned[1] = a->last_interned[0];
			a->last_interned[0] = i;
			return a->interned[i];
		}
	str = sg_arena_copy(a, data, len);
	if (a->ninterned < lengthof(a->interned))
		a->interned[a->ninterned++] = str;
	return str;
}

/* a copy of len bytes of str, NUL-terminated, that lives as long as the snapshot */
const char *
sg_keep_n(Snap *s, const char *str, Size len)
{
	return sg_arena_copy(&s->arena, str, len);
}

const char *
sg_keep(Snap *s, const char *str)
{
	return sg_keep_n(s, str, strlen(str));
}

/* "<a><sep><b>", kept */
const char *
sg_keep_concat(Snap *s, const char *a, const char *sep, const char *b)
{
	Size		la = strlen(a);
	Size		ls = strlen(sep);
	Size		lb = strlen(b);
	char	   *p = sg_arena_alloc(&s->arena, la + ls + lb + 1);

	memcpy(p, a, la);
	memcpy(p + la, sep, ls);
	memcpy(p + la + ls, b, lb + 1);
	return p;
}

/* one kept copy of each distinct text (sg_keep_once) */
typedef struct KeptText
{
	struct KeptText *next;
	const char *str;
	Size		len;
} KeptText;

/*
 * Keep a text once however often it comes: the same default on many
 * tables, the same column names on many tables.  Equal texts then have
 * equal pointers.
 */
const char *
sg_keep_once(Snap *s, const char *data, Size len)
{
	uint64		hash;
	SGMapEntry *e;
	KeptText   *k;

	/* the last few first: the same texts come table after table */
	for (int i = 0; i < lengthof(s->memo.recent_kept); i++)
	{
		k = s->memo.recent_kept[i];
		if (k != NULL && k->len == len && memcmp(k->str, data, len) == 0)
			return k->str;
	}
	hash = hash_bytes_extended((const unsigned char *) data, len, 0);
	e = sg_map_enter(s->memo.kept_texts, hash);
	for (k = e->value; k; k = k->next)
		if (k->len == len && memcmp(k->str, data, len) == 0)
			goto found;
	k = MemoryContextAlloc(s->cxt, sizeof(KeptText));
	k->str = sg_keep_n(s, data, len);
	k->len = len;
	k->next = e->value;
	e->value = k;
found:
	s->memo.recent_kept[s->memo.next_recent_kept] = k;
	s->memo.next_recent_kept = (s->memo.next_recent_kept + 1) % lengthof(s->memo.recent_kept);
	return k->str;
}

SGObject *
sg_add_object(Snap *s, const char *type, const char *schema,
			  const char *identity, Oid classid, Oid objid, int32 objsubid)
{
	SGSnapshot *r = s->result;
	SGObject   *obj;

	if (r->nobjects == r->maxobjects)
	{
		r->maxobjects *= 2;
		r->objects = repalloc_huge(r->objects, sizeof(SGObject) * r->maxobjects);
	}
	obj = &r->objects[r->nobjects++];
	memset(obj, 0, sizeof(SGObject));
	obj->type = type;
	obj->schema = schema;
	obj->identity = identity;
	obj->classid = classid;
	obj->objid = objid;
	obj->objsubid = objsubid;
	return obj;
}

/* give an object its definition, from the definition buffer */
void
sg_set_definition(Snap *s, SGObject *obj, StringInfo buf)
{
	obj->definition = sg_keep_n(s, buf->data, buf->len);
}

SnapRel *
sg_rel(Snap *s, Oid relid)
{
	Assert(s->cat.rels_indexed);
	/* catalog rows of one relation come together: remember the last one */
	if (relid != s->cat.last_relid || !OidIsValid(relid))
	{
		s->cat.last_relid = relid;
		if (s->cat.rel_index != NULL)
			s->cat.last_rel = (relid >= s->cat.rel_lo && relid <= s->cat.rel_hi) ?
				s->cat.rel_index[relid - s->cat.rel_lo] : NULL;
		else
			s->cat.last_rel = (SnapRel *) sg_map_get(s->cat.rels, relid);
	}
	return s->cat.last_rel;
}

/* a new, zeroed SnapRel for pg_class row relid */
SnapRel *
sg_new_rel(Snap *s, Oid relid)
{
	SnapRel    *rel;

	Assert(!s->cat.rels_indexed);
	/* SnapRels are allocated in batches: there is one per relation */
	if (s->cat.nrels % 256 == 0)
		s->cat.rel_batch = MemoryContextAllocHuge(s->cxt, sizeof(SnapRel) * 256);
	rel = &s->cat.rel_batch[s->cat.nrels % 256];
	memset(rel, 0, sizeof(SnapRel));
	rel->relid = relid;
	if (s->cat.nrels == s->cat.maxrels)
	{
		s->cat.maxrels *= 2;
		s->cat.rel_list = repalloc_huge(s->cat.rel_list, sizeof(SnapRel *) * s->cat.maxrels);
	}
	s->cat.rel_list[s->cat.nrels++] = rel;
	if (s->cat.nrels == 1 || relid < s->cat.rel_lo)
		s->cat.rel_lo = relid;
	if (s->cat.nrels == 1 || relid > s->cat.rel_hi)
		s->cat.rel_hi = relid;
	return rel;
}

/*
 * Once pg_class is read: the OID -> SnapRel lookup.  Relation OIDs are
 * usually handed out close together, and the other catalogs' rows come
 * mostly in OID order, so an array indexed by OID is both smaller than a
 * hash table and read in order, where a hash table's lookups each miss the
 * CPU cache.  When the OIDs are spread thinly (after OID wraparound, say),
 * a hash table it is.
 */
void
sg_index_rels(Snap *s)
{
	uint64		span = s->cat.nrels > 0 ? (uint64) s->cat.rel_hi - s->cat.rel_lo + 1 : 0;

	if (s->cat.nrels > 0 && span <= (uint64) s->cat.nrels * 8 + 1024)
	{
		s->cat.rel_index = MemoryContextAllocHuge(s->cxt, sizeof(SnapRel *) * span);
		memset(s->cat.rel_index, 0, sizeof(SnapRel *) * span);
		for (int i = 0; i < s->cat.nrels; i++)
			s->cat.rel_index[s->cat.rel_list[i]->relid - s->cat.rel_lo] = s->cat.rel_list[i];
	}
	else
	{
		s->cat.rels = sgmap_create(s->cxt, Max(s->cat.nrels, 16), NULL);
		for (int i = 0; i < s->cat.nrels; i++)
			sg_map_enter(s->cat.rels, s->cat.rel_list[i]->relid)->value = s->cat.rel_list[i];
	}
	s->cat.rels_indexed = true;
	s->cat.last_relid = InvalidOid;
	s->cat.last_rel = NULL;

	/* the views, which both processes take turns to build */
	s->views.views = palloc(sizeof(SnapRel *) * Max(s->cat.nrels, 1));
	for (int i = 0; i < s->cat.nrels; i++)
	{
		SnapRel    *rel = s->cat.rel_list[i];

		if (rel->included && rel->attrs != NULL &&
			(rel->relkind == RELKIND_VIEW || rel->relkind == RELKIND_MATVIEW))
			s->views.views[s->views.nviews++] = rel;
	}
}

/* an included relation, or NULL */
SnapRel *
sg_included_rel(Snap *s, Oid relid)
{
	SnapRel    *rel = sg_rel(s, relid);

	return (rel && rel->included) ? rel : NULL;
}

/* a relation's quoted qualified name, also outside the included schemas */
const char *
sg_rel_qualified(Snap *s, Oid relid)
{
	SnapRel    *rel = sg_rel(s, relid);
	char	   *relname;
	char	   *nspname;

	if (rel)
		return rel->qualified;
	relname = get_rel_name(relid);
	nspname = get_namespace_name(get_rel_namespace(relid));
	if (relname == NULL || nspname == NULL)
		return psprintf("relation %u", relid);
	return quote_qualified_identifier(nspname, relname);
}

SnapNsp *
sg_included_nsp(Snap *s, Oid nspid)
{
	SnapNsp    *nsp = sg_map_get(s->cat.nsps, nspid);

	return (nsp && nsp->included) ? nsp : NULL;
}

bool
sg_is_member(Snap *s, Oid classid, Oid objid)
{
	return sgmap_lookup(s->cat.members, SG_KEY2(classid, objid)) != NULL;
}

/* the name of column attnum of rel, also when the snapshot did not keep it */
const char *
sg_attname(SnapRel *rel, AttrNumber attnum)
{
	if (rel->attrs && attnum > 0 && attnum <= rel->natts &&
		rel->attrs[attnum - 1].present)
		return rel->attrs[attnum - 1].name;
	return get_attname(rel->relid, attnum, false);
}

/* a type's name, schema-qualified when not in pg_catalog, with typmod */
TypeNameEntry *
sg_type_entry(Snap *s, Oid typid, int32 typmod)
{
	uint64		key = SG_KEY2(typid, typmod);
	TypeNameEntry *e = sg_map_get(s->cat.typenames, key);

	if (e == NULL)
	{
		e = MemoryContextAlloc(s->cxt, sizeof(TypeNameEntry));
		e->key.typid = typid;
		e->key.typmod = typmod;
		e->name = sg_keep(s, format_type_with_typemod(typid, typmod));
		e->typcollation = get_typcollation(typid);
		sg_map_enter(s->cat.typenames, key)->value = e;
	}
	return e;
}

const char *
sg_type_name(Snap *s, Oid typid, int32 typmod)
{
	return sg_type_entry(s, typid, typmod)->name;
}

AmEntry *
sg_am(Snap *s, Oid amoid)
{
	AmEntry    *e = sg_map_get(s->cat.ams, amoid);

	if (e == NULL)
	{
		char	   *name = get_am_name(amoid);
		HeapTuple	tup = SearchSysCache1(AMOID, ObjectIdGetDatum(amoid));

		e = MemoryContextAlloc(s->cxt, sizeof(AmEntry));
		e->amoid = amoid;
		e->name = sg_keep(s, name ? quote_identifier(name) : "-");
		e->canorder = false;
		if (HeapTupleIsValid(tup))
		{
			Form_pg_am am = (Form_pg_am) GETSTRUCT(tup);

			if (am->amtype == AMTYPE_INDEX)
				e->canorder = GetIndexAmRoutine(am->amhandler)->amcanorder;
			ReleaseSysCache(tup);
		}
		sg_map_enter(s->cat.ams, amoid)->value = e;
	}
	return e;
}

/* " opclass" after an index column, or "" when it is the type's default */
const char *
sg_opclass_suffix(Snap *s, Oid opclass, Oid keytype)
{
	uint64		key = SG_KEY2(opclass, keytype);
	OpclassEntry *e = sg_map_get(s->cat.opclasses, key);

	if (e == NULL)
	{
		HeapTuple	tup = SearchSysCache1(CLAOID, ObjectIdGetDatum(opclass));
		Oid			opcmethod = InvalidOid;

		e = MemoryContextAlloc(s->cxt, sizeof(OpclassEntry));
		e->key.a = opclass;
		e->key.b = keytype;

		if (HeapTupleIsValid(tup))
		{
			opcmethod = ((Form_pg_opclass) GETSTRUCT(tup))->opcmethod;
			ReleaseSysCache(tup);
		}
		if (OidIsValid(keytype) && OidIsValid(opcmethod) &&
			GetDefaultOpClass(keytype, opcmethod) == opclass)
			e->suffix = "";
		else
			e->suffix = sg_keep(s, psprintf(" %s", generate_opclass_name(opclass)));
		sg_map_enter(s->cat.opclasses, key)->value = e;
	}
	return e->suffix;
}

/* node string without its ":location N" fields, which never change output */
static char *
sg_strip_locations(const char *nodestr)
{
	StringInfoData out;
	const char *p = nodestr;

	initStringInfo(&out);
	while (*p)
	{
		const char *loc = strstr(p, " :location ");

		if (loc == NULL)
		{
			appendStringInfoString(&out, p);
			break;
		}
		appendBinaryStringInfo(&out, p, loc - p);
		p = loc + strlen(" :location ");
		if (*p == '-')
			p++;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return out.data;
}

/*
 * Deparse a stored expression (pg_node_tree text) of relation "rel" (NULL
 * when it cannot reference columns).  Memoised on the expression without
 * its locations plus, when it has Vars, the relation's column names: the
 * output depends on nothing else while the snapshot is taken.
 */

static ExprMemo *sg_expr_memo(Snap *s, const char *nodestr, SnapRel *rel,
							  bool *has_vars);

/*
 * Most stored expressions repeat as stored, locations and all (the same
 * default on many tables): look the text up as it is first, and strip and
 * memoise it (sg_expr_memo) only when it is new.
 */
ExprMemo *
sg_expr(Snap *s, const char *nodestr, SnapRel *rel)
{
	Size		len = strlen(nodestr);
	uint64		hash;
	uint64		vars_hash;
	SGMapEntry *e;
	RawExprMemo *r;
	ExprMemo   *m;
	bool		has_vars;
	const char *attsig;

	/*
	 * A text with Vars is filed under the text and the relation's column
	 * names, which are all its deparsed form depends on besides the text (a
	 * whole-row Var, printed with the table's name, has the table's row type
	 * in the text).
	 */
	attsig = rel ? sg_attsig(s, rel) : NULL;

	/* the same default or predicate often comes table after table */
	for (int i = 0; i < lengthof(s->memo.recent_exprs); i++)
	{
		r = s->memo.recent_exprs[i];
		if (r != NULL && r->len == len && (!r->has_vars || r->attsig == attsig) &&
			memcmp(r->raw, nodestr, len) == 0)
			return r->memo;
	}

	hash = hash_bytes_extended((const unsigned char *) nodestr, len, 0);
	vars_hash = attsig ?
		hash_combine64(hash, hash_bytes_extended((const unsigned char *) &attsig,
												 sizeof(attsig), 0)) : hash;
	for (r = sg_map_get(s->memo.raw_exprs, hash); r; r = r->next)
		if ((!r->has_vars || r->attsig == attsig) && strcmp(r->raw, nodestr) == 0)
			goto found;
	if (attsig)
		for (r = sg_map_get(s->memo.raw_exprs, vars_hash); r; r = r->next)
			if (r->has_vars && r->attsig == attsig && strcmp(r->raw, nodestr) == 0)
				goto found;
	m = sg_expr_memo(s, nodestr, rel, &has_vars);
	r = MemoryContextAlloc(s->cxt, sizeof(RawExprMemo));
	r->raw = sg_keep_n(s, nodestr, len);
	r->len = len;
	r->has_vars = has_vars;
	r->attsig = attsig;
	r->memo = m;
	e = sg_map_enter(s->memo.raw_exprs, (has_vars && attsig) ? vars_hash : hash);
	r->next = e->value;
	e->value = r;

found:
	s->memo.recent_exprs[s->memo.next_recent_expr] = r;
	s->memo.next_recent_expr = (s->memo.next_recent_expr + 1) % lengthof(s->memo.recent_exprs);
	return r->memo;
}

static ExprMemo *
sg_expr_memo(Snap *s, const char *nodestr, SnapRel *rel, bool *has_vars_out)
{
	MemoryContext old = MemoryContextSwitchTo(s->scratch);
	char	   *key = sg_strip_locations(nodestr);
	bool		has_vars = strstr(key, "{VAR ") != NULL;
	uint64		hash;
	SGMapEntry *e;
	ExprMemo   *m;

	*has_vars_out = has_vars;
	if (has_vars && rel != NULL)
		key = psprintf("%s\x01%s", key, sg_attsig(s, rel));
	hash = hash_bytes_extended((const unsigned char *) key, strlen(key), 0);
	MemoryContextSwitchTo(old);

	for (m = sg_map_get(s->memo.exprs, hash); m; m = m->next)
		if (strcmp(m->key, key) == 0)
		{
			MemoryContextReset(s->scratch);
			return m;
		}

	/* deparse it */
	old = MemoryContextSwitchTo(s->scratch);
	{
		Node	   *node = (Node *) stringToNode(nodestr);
		List	   *context = NIL;
		char	   *text;
		Oid			type = InvalidOid;
		Oid			coll = InvalidOid;
		bool		funclike = false;

		if (rel != NULL)
			context = deparse_context_for(rel->relname, rel->relid);
		text = deparse_expression(node, context, false, false);

		if (!IsA(node, List) && !IsA(node, PartitionBoundSpec))
		{
			type = exprType(node);
			coll = exprCollation(node);
			/* as ruleutils' looks_like_function() */
			funclike = (IsA(node, FuncExpr) &&
						((FuncExpr *) node)->funcformat == COERCE_EXPLICIT_CALL) ||
				IsA(node, CoalesceExpr) || IsA(node, MinMaxExpr) ||
				IsA(node, SQLValueFunction) || IsA(node, XmlExpr);
		}
		MemoryContextSwitchTo(s->cxt);
		m = palloc(sizeof(ExprMemo));
		m->key = pstrdup(key);
		m->text = pstrdup(text);
		m->type = type;
		m->collation = coll;
		m->funclike = funclike;
		e = sg_map_enter(s->memo.exprs, hash);
		m->next = e->value;
		e->value = m;
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(s->scratch);
	return m;
}

/* schemaguard's own schema, which the snapshot leaves out */
void
sg_read_own_schema(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_extension ext = (Form_pg_extension) GETSTRUCT(tup);

	if (strcmp(NameStr(ext->extname), "schemaguard") == 0)
		s->cat.own_schema = ext->extnamespace;
}

/* the role's name, or a placeholder for a dropped role */
const char *
sg_role(Oid roleid)
{
	char	   *name;

	if (roleid == InvalidOid)
		return "PUBLIC";
	name = GetUserNameFromId(roleid, true);
	return name ? quote_identifier(name) : psprintf("role %u", roleid);
}

int
sg_cstring_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

/* aclitems as sorted text, joined by commas */
char *
sg_acl_text(Acl *acl)
{
	int			n = ACL_NUM(acl);
	AclItem    *items = ACL_DAT(acl);
	char	  **texts = palloc(sizeof(char *) * Max(n, 1));
	StringInfoData buf;

	for (int i = 0; i < n; i++)
		texts[i] = DatumGetCString(DirectFunctionCall1(aclitemout,
													   PointerGetDatum(&items[i])));
	qsort(texts, n, sizeof(char *), sg_cstring_cmp);
	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
		appendStringInfo(&buf, "%s%s", i ? "," : "", texts[i]);
	return buf.data;
}

/* ----------------------------------------------------------------
 * Catalog scans
 * ----------------------------------------------------------------
 */


void
sg_scan(Snap *s, Oid catalog, SnapRowFn fn)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	TableScanDesc scan = table_beginscan_strat(rel, s->snapshot, 0, NULL,
											   true, false);
	HeapTuple	tup;

	while (HeapTupleIsValid(tup = heap_getnext(scan, ForwardScanDirection)))
	{
		MemoryContext old;

		CHECK_FOR_INTERRUPTS();
		/* what a row keeps goes to s->cxt explicitly; the rest is freed */
		old = MemoryContextSwitchTo(s->rowcxt);
		fn(s, tup, RelationGetDescr(rel));
		MemoryContextSwitchTo(old);
		MemoryContextReset(s->rowcxt);
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
}

/* the rows of a catalog whose OID column keyatt is key, through an index */
void
sg_scan_key(Snap *s, Oid catalog, Oid indexid, AttrNumber keyatt, Oid key,
			SnapRowFn fn)
{
	Relation	rel = table_open(catalog, AccessShareLock);
	ScanKeyData skey;
	SysScanDesc scan;
	HeapTuple	tup;

	ScanKeyInit(&skey, keyatt, BTEqualStrategyNumber, F_OIDEQ, ObjectIdGetDatum(key));
	scan = systable_beginscan(rel, indexid, true, s->snapshot, 1, &skey);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
		fn(s, tup, RelationGetDescr(rel));
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

char *
sg_text_attr(HeapTuple tup, int attnum, TupleDesc desc)
{
	bool		isnull;
	Datum		d;

	/* the null bitmap first: heap_getattr() walks the row to a later column */
	if (heap_attisnull(tup, attnum, desc))
		return NULL;
	d = heap_getattr(tup, attnum, desc, &isnull);

	return isnull ? NULL : TextDatumGetCString(d);
}

Acl *
sg_acl_attr(Snap *s, HeapTuple tup, int attnum, TupleDesc desc)
{
	bool		isnull;
	Datum		d;
	MemoryContext old;
	Acl		   *acl;

	/* as in sg_text_attr() */
	if (heap_attisnull(tup, attnum, desc))
		return NULL;
	d = heap_getattr(tup, attnum, desc, &isnull);
	if (isnull)
		return NULL;
	old = MemoryContextSwitchTo(s->cxt);
	acl = DatumGetAclPCopy(d);
	MemoryContextSwitchTo(old);
	return acl;
}

/* extension members: pg_depend rows with deptype 'e' */
void
sg_read_members(Snap *s)
{
	Relation	rel = table_open(DependRelationId, AccessShareLock);
	SysScanDesc scan;
	HeapTuple	tup;
	ScanKeyData key;

	/* all dependencies on any extension, through the referenced index */
	ScanKeyInit(&key, Anum_pg_depend_refclassid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(ExtensionRelationId));
	scan = systable_beginscan(rel, DependReferenceIndexId, true, s->snapshot,
							  1, &key);
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_depend dep = (Form_pg_depend) GETSTRUCT(tup);

		if (dep->deptype != DEPENDENCY_EXTENSION)
			continue;
		sg_map_enter(s->cat.members, SG_KEY2(dep->classid, dep->objid))->value = s;
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

void
sg_read_namespace(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_namespace nsp = (Form_pg_namespace) GETSTRUCT(tup);
	const char *name = NameStr(nsp->nspname);
	SnapNsp    *e;
	bool		system;

	system = strncmp(name, "pg_", 3) == 0 ||
		strcmp(name, "information_schema") == 0 ||
		IsToastNamespace(nsp->oid) || isAnyTempNamespace(nsp->oid);

	e = MemoryContextAlloc(s->cxt, sizeof(SnapNsp));
	e->nspid = nsp->oid;
	sg_map_enter(s->cat.nsps, nsp->oid)->value = e;
	e->name = sg_keep(s, name);
	e->quoted = sg_keep(s, quote_identifier(name));
	e->included = !system && nsp->oid != s->cat.own_schema &&
		!sg_is_member(s, NamespaceRelationId, nsp->oid);
	if (!e->included || !sg_emits(s, SG_PART_LEADER))
		return;

	{
		StringInfo	buf = sg_def_begin(s);
		const char *ident = sg_keep(s, quote_identifier(name));
		SGObject   *obj;

		appendStringInfo(buf, "CREATE SCHEMA %s", ident);
		sg_facet_owner(s, buf, nsp->nspowner);
		sg_facet_privileges(s, buf, OBJECT_SCHEMA, nsp->nspowner,
							sg_acl_attr(s, tup, Anum_pg_namespace_nspacl, desc));
		sg_facet_comment(s, buf, NamespaceRelationId, nsp->oid, 0);
		obj = sg_add_object(s, "schema", NULL, ident, NamespaceRelationId,
							nsp->oid, 0);
		obj->schema = e->name;
		sg_set_definition(s, obj, buf);
	}
}
