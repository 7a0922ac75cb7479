/*-------------------------------------------------------------------------
 *
 * facets.c
 *		The optional facets: parsing the facets argument, and the owner,
 *		privileges and comment lines they add to definitions.
 *
 * Part of the schema snapshot behind drift detection; the design is in
 * drift_int.h and in docs/drift.md, "How the snapshot is built".
 *
 *-------------------------------------------------------------------------
 */
#include "drift_int.h"

static const char *const sg_facet_names[SG_NUM_FACETS] = {
	"owners", "privileges", "comments", "column_order", "storage"
};

/* ----------------------------------------------------------------
 * Facets
 * ----------------------------------------------------------------
 */

int
sg_parse_facet_datums(Datum *elems, bool *nulls, int nelems, const char *what)
{
	int			facets = 0;

	for (int i = 0; i < nelems; i++)
	{
		char	   *name;
		int			f;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", what)));
		name = TextDatumGetCString(elems[i]);
		for (f = 0; f < SG_NUM_FACETS; f++)
			if (strcmp(name, sg_facet_names[f]) == 0)
				break;
		if (f == SG_NUM_FACETS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown facet \"%s\"", name),
					 errhint("The facets are owners, privileges, comments, column_order and storage.")));
		facets |= 1 << f;
	}
	return facets;
}

int
sg_parse_facets(ArrayType *facets, const char *what)
{
	Datum	   *elems;
	bool	   *nulls;
	int			nelems;

	if (ARR_NDIM(facets) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("%s must be a one-dimensional array", what)));
	deconstruct_array(facets, TEXTOID, -1, false, TYPALIGN_INT,
					  &elems, &nulls, &nelems);
	return sg_parse_facet_datums(elems, nulls, nelems, what);
}

ArrayType *
sg_facets_array(int facets)
{
	Datum		elems[SG_NUM_FACETS];
	int			n = 0;

	for (int f = 0; f < SG_NUM_FACETS; f++)
		if (facets & (1 << f))
			elems[n++] = CStringGetTextDatum(sg_facet_names[f]);
	return construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
}

/* the facets as a comma-separated list, for messages and the fingerprint */
char *
sg_facets_text(int facets)
{
	StringInfoData buf;

	initStringInfo(&buf);
	for (int f = 0; f < SG_NUM_FACETS; f++)
		if (facets & (1 << f))
			appendStringInfo(&buf, "%s%s", buf.len ? "," : "", sg_facet_names[f]);
	return buf.data;
}

/* ----------------------------------------------------------------
 * Facet lines
 * ----------------------------------------------------------------
 */

void
sg_facet_owner(Snap *s, StringInfo buf, Oid owner)
{
	if (s->facets & SG_FACET_OWNERS)
		appendStringInfo(buf, "\nOWNER %s", sg_role(owner));
}

/* the object type whose default ACL an object has (acldefault() knows) */
static ObjectType
sg_acl_objtype(ObjectType objtype)
{
	switch (objtype)
	{
		case OBJECT_VIEW:
		case OBJECT_MATVIEW:
		case OBJECT_FOREIGN_TABLE:
			/* all relations but sequences have a table's privileges */
			return OBJECT_TABLE;
		default:
			return objtype;
	}
}

/*
 * Privileges: NULL (never granted or revoked) and an ACL equal to the
 * default for the owner both print as "default", so the two compare equal.
 */
void
sg_facet_privileges(Snap *s, StringInfo buf, ObjectType objtype, Oid owner,
					Acl *acl)
{
	char	   *text;

	if (!(s->facets & SG_FACET_PRIVILEGES))
		return;
	if (acl == NULL)
		text = "default";
	else
	{
		MemoryContext old = MemoryContextSwitchTo(s->scratch);

		text = sg_acl_text(acl);
		if (objtype != OBJECT_COLUMN &&
			strcmp(text, sg_acl_text(acldefault(sg_acl_objtype(objtype), owner))) == 0)
			text = "default";
		else if (objtype == OBJECT_COLUMN && ACL_NUM(acl) == 0)
			text = "default";
		MemoryContextSwitchTo(old);
	}
	appendStringInfo(buf, "\nPRIVILEGES %s", text);
	MemoryContextReset(s->scratch);
}

void
sg_facet_comment(Snap *s, StringInfo buf, Oid classoid, Oid objoid, int32 subid)
{
	DescKey		key;
	DescEntry  *e;

	if (!(s->facets & SG_FACET_COMMENTS))
		return;
	memset(&key, 0, sizeof(key));
	key.objoid = objoid;
	key.classoid = classoid;
	key.objsubid = subid;
	e = hash_search(s->cat.descriptions, &key, HASH_FIND, NULL);
	if (e)
		appendStringInfo(buf, "\nCOMMENT %s", quote_literal_cstr(e->text));
}

const char *
sg_tablespace(Snap *s, Oid spcid)
{
	char	   *name;

	if (!OidIsValid(spcid))
		return "DEFAULT";
	name = get_tablespace_name(spcid);
	return name ? quote_identifier(name) : psprintf("%u", spcid);
}

/* reloptions text[] as "a=1, b=2", NULL when there are none */
const char *
sg_reloptions_text(Datum reloptions)
{
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	StringInfoData buf;

	deconstruct_array(DatumGetArrayTypeP(reloptions), TEXTOID, -1, false,
					  TYPALIGN_INT, &elems, &nulls, &n);
	if (n == 0)
		return NULL;
	initStringInfo(&buf);
	for (int i = 0; i < n; i++)
	{
		char	   *opt = TextDatumGetCString(elems[i]);
		char	   *eq = strchr(opt, '=');

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		if (eq)
		{
			*eq = '\0';
			appendStringInfo(&buf, "%s=%s", quote_identifier(opt),
							 quote_literal_cstr(eq + 1));
		}
		else
			appendStringInfoString(&buf, quote_identifier(opt));
	}
	return buf.data;
}
