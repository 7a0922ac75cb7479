/*-------------------------------------------------------------------------
 *
 * types.c
 *		Types (domains, enums, ranges, base types), extensions, collations.
 *
 * Part of the schema snapshot behind drift detection; the design is in
 * drift_int.h and in docs/drift.md, "How the snapshot is built".
 *
 *-------------------------------------------------------------------------
 */
#include "drift_int.h"

/* ----------------------------------------------------------------
 * Types, extensions, collations
 * ----------------------------------------------------------------
 */

static void
sg_range_definition(Snap *s, StringInfo buf, Oid typid)
{
	HeapTuple	tup = SearchSysCache1(RANGETYPE, ObjectIdGetDatum(typid));
	Form_pg_range rng;

	if (!HeapTupleIsValid(tup))
		return;
	rng = (Form_pg_range) GETSTRUCT(tup);
	appendStringInfo(buf, " AS RANGE (SUBTYPE = %s",
					 sg_type_name(s, rng->rngsubtype, -1));
	appendStringInfo(buf, ", SUBTYPE_OPCLASS = %s", generate_opclass_name(rng->rngsubopc));
	if (OidIsValid(rng->rngcollation))
		appendStringInfo(buf, ", COLLATION = %s", generate_collation_name(rng->rngcollation));
	if (OidIsValid(rng->rngcanonical))
		appendStringInfo(buf, ", CANONICAL = %s", sg_proc_name(rng->rngcanonical));
	if (OidIsValid(rng->rngsubdiff))
		appendStringInfo(buf, ", SUBTYPE_DIFF = %s", sg_proc_name(rng->rngsubdiff));
	if (OidIsValid(rng->rngmultitypid))
		appendStringInfo(buf, ", MULTIRANGE_TYPE_NAME = %s",
						 format_type_be_qualified(rng->rngmultitypid));
	appendStringInfoChar(buf, ')');
	ReleaseSysCache(tup);
}

/* enum labels in sort order */
static void
sg_enum_definition(Snap *s, StringInfo buf, Oid typid)
{
	Relation	rel = table_open(EnumRelationId, AccessShareLock);
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	bool		first = true;

	ScanKeyInit(&key, Anum_pg_enum_enumtypid, BTEqualStrategyNumber,
				F_OIDEQ, ObjectIdGetDatum(typid));
	/* the (enumtypid, enumsortorder) index returns labels in order */
	scan = systable_beginscan(rel, EnumTypIdSortOrderIndexId, true, s->snapshot,
							  1, &key);
	appendStringInfoString(buf, " AS ENUM (");
	while (HeapTupleIsValid(tup = systable_getnext(scan)))
	{
		Form_pg_enum e = (Form_pg_enum) GETSTRUCT(tup);

		appendStringInfo(buf, "%s%s", first ? "" : ", ",
						 quote_literal_cstr(NameStr(e->enumlabel)));
		first = false;
	}
	appendStringInfoChar(buf, ')');
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
}

static void
sg_base_type_definition(Snap *s, StringInfo buf, Form_pg_type typ,
						HeapTuple tup, TupleDesc desc)
{
	char	   *def = sg_text_attr(tup, Anum_pg_type_typdefault, desc);

	appendStringInfo(buf, " (INPUT = %s, OUTPUT = %s, RECEIVE = %s, SEND = %s"
					 ", TYPMOD_IN = %s, TYPMOD_OUT = %s, ANALYZE = %s"
					 ", SUBSCRIPT = %s, INTERNALLENGTH = %d%s, ALIGNMENT = %c"
					 ", STORAGE = %c, CATEGORY = %s, PREFERRED = %s"
					 ", DELIMITER = %s, COLLATABLE = %s",
					 sg_proc_name(typ->typinput), sg_proc_name(typ->typoutput),
					 sg_proc_name(typ->typreceive), sg_proc_name(typ->typsend),
					 sg_proc_name(typ->typmodin), sg_proc_name(typ->typmodout),
					 sg_proc_name(typ->typanalyze), sg_proc_name(typ->typsubscript),
					 typ->typlen, typ->typbyval ? ", PASSEDBYVALUE" : "",
					 typ->typalign, typ->typstorage,
					 quote_literal_cstr(psprintf("%c", typ->typcategory)),
					 typ->typispreferred ? "true" : "false",
					 quote_literal_cstr(psprintf("%c", typ->typdelim)),
					 OidIsValid(typ->typcollation) ? "true" : "false");
	if (OidIsValid(typ->typelem))
		appendStringInfo(buf, ", ELEMENT = %s", sg_type_name(s, typ->typelem, -1));
	if (def)
		appendStringInfo(buf, ", DEFAULT = %s", quote_literal_cstr(def));
	appendStringInfoChar(buf, ')');
}

/*
 * A pg_type row.  The array type the server made for a type is left out;
 * it is the one its element type names as its array, which pg_type may
 * say only after the array's own row: true array types wait in
 * pending_arrays until pg_type has been read (sg_read_types).
 */
static void
sg_read_type(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_type typ = (Form_pg_type) GETSTRUCT(tup);
	SnapNsp    *nsp = sg_included_nsp(s, typ->typnamespace);
	StringInfo	buf;
	SGObject   *obj;
	const char *ident;

	if (nsp == NULL)
		return;
	/* an array type always lives in its element type's schema */
	if (OidIsValid(typ->typarray) && !s->cat.arrays_known)
		sg_map_enter(s->cat.auto_arrays, SG_KEY2(typ->typarray, typ->oid))->value = s;
	if (sg_is_member(s, TypeRelationId, typ->oid) || !typ->typisdefined)
		return;
	/* composite types come from pg_class; multiranges with their range */
	if (typ->typtype == TYPTYPE_COMPOSITE || typ->typtype == TYPTYPE_MULTIRANGE ||
		typ->typtype == TYPTYPE_PSEUDO)
		return;
	/* the array type the server made for another type */
	if (OidIsValid(typ->typelem) && IsTrueArrayType(typ))
	{
		if (!s->cat.arrays_known)
		{
			MemoryContext old = MemoryContextSwitchTo(s->cxt);

			s->cat.pending_arrays = lappend_oid(s->cat.pending_arrays, typ->oid);
			s->cat.pending_arrays = lappend_oid(s->cat.pending_arrays, typ->typelem);
			MemoryContextSwitchTo(old);
			return;
		}
		if (sgmap_lookup(s->cat.auto_arrays, SG_KEY2(typ->oid, typ->typelem)) != NULL)
			return;
	}

	ident = sg_keep(s, quote_qualified_identifier(nsp->name, NameStr(typ->typname)));
	buf = sg_def_begin(s);
	switch (typ->typtype)
	{
		case TYPTYPE_ENUM:
			appendStringInfo(buf, "CREATE TYPE %s", ident);
			sg_enum_definition(s, buf, typ->oid);
			break;
		case TYPTYPE_RANGE:
			appendStringInfo(buf, "CREATE TYPE %s", ident);
			sg_range_definition(s, buf, typ->oid);
			break;
		case TYPTYPE_DOMAIN:
			{
				TypeNameEntry *base = sg_type_entry(s, typ->typbasetype, typ->typtypmod);
				char	   *defbin = sg_text_attr(tup, Anum_pg_type_typdefaultbin, desc);

				appendStringInfo(buf, "CREATE DOMAIN %s AS %s", ident, base->name);
				if (OidIsValid(typ->typcollation) && typ->typcollation != base->typcollation)
					appendStringInfo(buf, " COLLATE %s", generate_collation_name(typ->typcollation));
				if (defbin)
					appendStringInfo(buf, " DEFAULT %s", sg_expr(s, defbin, NULL)->text);
				if (typ->typnotnull)
					appendStringInfoString(buf, " NOT NULL");
				break;
			}
		default:
			appendStringInfo(buf, "CREATE TYPE %s", ident);
			sg_base_type_definition(s, buf, typ, tup, desc);
			break;
	}
	sg_facet_owner(s, buf, typ->typowner);
	sg_facet_privileges(s, buf,
						typ->typtype == TYPTYPE_DOMAIN ? OBJECT_DOMAIN : OBJECT_TYPE,
						typ->typowner, sg_acl_attr(s, tup, Anum_pg_type_typacl, desc));
	sg_facet_comment(s, buf, TypeRelationId, typ->oid, 0);
	/* a domain is a "type" to the server's object addresses, as here */
	obj = sg_add_object(s, "type", nsp->name, ident, TypeRelationId, typ->oid, 0);
	sg_set_definition(s, obj, buf);
}

/* pg_type, then the array types that waited for the rest of it */
void
sg_read_types(Snap *s)
{
	List	   *pending;

	sg_scan(s, TypeRelationId, sg_read_type);
	s->cat.arrays_known = true;
	pending = s->cat.pending_arrays;
	s->cat.pending_arrays = NIL;
	for (int i = 0; i + 1 < list_length(pending); i += 2)
	{
		Oid			oid = list_nth_oid(pending, i);
		Oid			elem = list_nth_oid(pending, i + 1);

		/* most are: every table's row type has one */
		if (sgmap_lookup(s->cat.auto_arrays, SG_KEY2(oid, elem)) == NULL)
			sg_scan_key(s, TypeRelationId, TypeOidIndexId, Anum_pg_type_oid,
						oid, sg_read_type);
	}
	list_free(pending);
}

void
sg_read_extension(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_extension ext = (Form_pg_extension) GETSTRUCT(tup);
	SnapNsp    *nsp = sg_map_get(s->cat.nsps, ext->extnamespace);
	char	   *version = sg_text_attr(tup, Anum_pg_extension_extversion, desc);
	StringInfo	buf = sg_def_begin(s);
	SGObject   *obj;

	appendStringInfo(buf, "CREATE EXTENSION %s VERSION %s SCHEMA %s",
					 quote_identifier(NameStr(ext->extname)),
					 quote_literal_cstr(version ? version : ""),
					 nsp ? quote_identifier(nsp->name) : "?");
	sg_facet_owner(s, buf, ext->extowner);
	sg_facet_comment(s, buf, ExtensionRelationId, ext->oid, 0);
	obj = sg_add_object(s, "extension", NULL,
						sg_keep(s, quote_identifier(NameStr(ext->extname))),
						ExtensionRelationId, ext->oid, 0);
	sg_set_definition(s, obj, buf);
}

void
sg_read_collation(Snap *s, HeapTuple tup, TupleDesc desc)
{
	Form_pg_collation coll = (Form_pg_collation) GETSTRUCT(tup);
	SnapNsp    *nsp = sg_included_nsp(s, coll->collnamespace);
	StringInfo	buf;
	SGObject   *obj;
	const char *ident;
	char	   *collate;
	char	   *ctype;
	char	   *locale;

	if (nsp == NULL || sg_is_member(s, CollationRelationId, coll->oid))
		return;
	ident = sg_keep(s, quote_qualified_identifier(nsp->name, NameStr(coll->collname)));
	collate = sg_text_attr(tup, Anum_pg_collation_collcollate, desc);
	ctype = sg_text_attr(tup, Anum_pg_collation_collctype, desc);
	locale = sg_text_attr(tup, SG_ANUM_COLLATION_LOCALE, desc);
	buf = sg_def_begin(s);
	appendStringInfo(buf, "CREATE COLLATION %s (PROVIDER = %s", ident,
					 coll->collprovider == COLLPROVIDER_ICU ? "icu" :
					 coll->collprovider == COLLPROVIDER_LIBC ? "libc" : "default");
	if (collate)
		appendStringInfo(buf, ", LC_COLLATE = %s", quote_literal_cstr(collate));
	if (ctype)
		appendStringInfo(buf, ", LC_CTYPE = %s", quote_literal_cstr(ctype));
	if (locale)
		appendStringInfo(buf, ", LOCALE = %s", quote_literal_cstr(locale));
	appendStringInfo(buf, ", DETERMINISTIC = %s)",
					 coll->collisdeterministic ? "true" : "false");
	sg_facet_owner(s, buf, coll->collowner);
	sg_facet_comment(s, buf, CollationRelationId, coll->oid, 0);
	obj = sg_add_object(s, "collation", nsp->name, ident, CollationRelationId,
						coll->oid, 0);
	sg_set_definition(s, obj, buf);
}
