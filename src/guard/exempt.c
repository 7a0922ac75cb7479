/*-------------------------------------------------------------------------
 *
 * exempt.c
 *		Objects that the advice rules leave alone: the migration tools'
 *		own tables, and the objects a user names in schemaguard.exempt;
 *		and name patterns (schemaguard.exempt,
 *		schemaguard.disposable_databases).
 *
 * Design.  An exemption silences a warning, never an error: it applies
 * only to rules whose level (schemaguard.rules, else the default) is
 * warn, so that schemaguard.exempt can be an ordinary setting that a
 * migration role, a database owner (ALTER DATABASE ... SET) or a session
 * sets without a superuser, and still never lets an unsafe statement
 * through; a blocking rule is let through only by schemaguard.allow.
 * A warning silenced here is dropped from the statement's violations
 * before they are raised, so it reaches neither the client, nor the
 * changelog's warnings, nor check().
 *
 * schemaguard.exempt is a list of "rule:pattern" items; rule may be "*"
 * (every warn-level rule), and an item without "rule:" means "*:".  A
 * pattern with a dot is matched against "schema.table", one without a dot
 * against the table name in any schema; "*" matches any run of
 * characters, "?" any one.  The tools' history and bookkeeping tables
 * (sg_is_tool_table) are exempt without any setting.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/guc.h"
#include "utils/varlena.h"

#include "schemaguard.h"

char	   *sg_exempt_string = NULL;
char	   *sg_disposable_databases = NULL;

/*
 * Bookkeeping tables of the tools besides their history tables
 * (migration_id.c): lock tables, Rails' metadata, Sqitch's registry, and
 * the tables of Django's bundled applications, which a project cannot
 * change.
 */
static const char *const sg_tool_tables[] = {
	"ar_internal_metadata",
	"knex_migrations_lock",
	"SequelizeData",
	"typeorm_metadata",
	"migrations_lock",
	"databasechangeloglock",
	"django_content_type",
	"django_admin_log",
	"django_session",
	"django_site",
	"auth_permission",
	"auth_group",
	"auth_group_permissions",
	"auth_user",
	"auth_user_groups",
	"auth_user_user_permissions",
};

static bool
sg_is_tool_table(const char *schema, const char *table)
{
	int			i;

	if (table == NULL)
		return false;
	if (schema != NULL && strcmp(schema, "sqitch") == 0)
		return true;
	for (i = 0; i < lengthof(sg_tool_tables); i++)
		if (strcmp(sg_tool_tables[i], table) == 0)
			return true;
	return sg_is_tool_history_table(schema, table);
}

/* shell-style match: '*' any run, '?' any one character */
bool
sg_name_matches(const char *pattern, const char *name)
{
	while (*pattern != '\0')
	{
		if (*pattern == '*')
		{
			while (*pattern == '*')
				pattern++;
			if (*pattern == '\0')
				return true;
			for (; *name != '\0'; name++)
				if (sg_name_matches(pattern, name))
					return true;
			return false;
		}
		if (*name == '\0' || (*pattern != '?' && *pattern != *name))
			return false;
		pattern++;
		name++;
	}
	return *name == '\0';
}

/* does any pattern of a comma-separated list match the name? */
bool
sg_name_in_patterns(const char *patterns, const char *name)
{
	char	   *copy;
	List	   *items;
	ListCell   *lc;

	if (patterns == NULL || patterns[0] == '\0' || name == NULL)
		return false;
	copy = pstrdup(patterns);
	if (!SplitGUCList(copy, ',', &items))
		return false;
	foreach(lc, items)
		if (sg_name_matches(lfirst(lc), name))
			return true;
	return false;
}

/* split "rule:pattern" in place; rule "*" when there is no colon */
static void
sg_split_item(char *item, char **rule, char **pattern)
{
	char	   *colon = strchr(item, ':');

	if (colon == NULL)
	{
		*rule = "*";
		*pattern = item;
		return;
	}
	*colon = '\0';
	*rule = item;
	*pattern = colon + 1;
}

bool
sg_check_exempt(char **newval, void **extra, GucSource source)
{
	char	   *copy;
	List	   *items;
	ListCell   *lc;

	if (*newval == NULL)
		return true;
	copy = pstrdup(*newval);
	if (!SplitGUCList(copy, ',', &items))
	{
		GUC_check_errdetail("List syntax is invalid.");
		return false;
	}
	foreach(lc, items)
	{
		char	   *rule;
		char	   *pattern;
		int			idx;

		sg_split_item(lfirst(lc), &rule, &pattern);
		if (pattern[0] == '\0')
		{
			GUC_check_errdetail("Item \"%s:\" has no name pattern.", rule);
			GUC_check_errhint("Write rule:pattern, e.g. prefer_timestamptz:legacy.*");
			return false;
		}
		if (strcmp(rule, "*") == 0)
			continue;
		idx = sg_rule_index(rule);
		if (idx < 0)
		{
			GUC_check_errdetail("Unknown rule \"%s\".", rule);
			GUC_check_errhint("SELECT rule FROM schemaguard.list_rules() lists them.");
			return false;
		}
	}
	return true;
}

static bool
sg_pattern_matches(const char *pattern, SGViolation *v)
{
	if (v->table_name == NULL)
		return strchr(pattern, '.') == NULL && sg_name_matches(pattern, v->object);
	if (strchr(pattern, '.') == NULL)
		return sg_name_matches(pattern, v->table_name);
	if (v->schema_name == NULL)
		return false;
	return sg_name_matches(pattern, psprintf("%s.%s", v->schema_name, v->table_name));
}

/* is the violation a warning that is exempt? */
static bool
sg_violation_exempt(SGViolation *v)
{
	const char *rule = sg_rules[v->rule_index].name;
	char	   *copy;
	List	   *items;
	ListCell   *lc;

	if (sg_rule_level(v->rule_index) != SG_LEVEL_WARN ||
		v->level != SG_LEVEL_WARN)
		return false;
	if (sg_is_tool_table(v->schema_name, v->table_name))
		return true;
	if (sg_exempt_string == NULL || sg_exempt_string[0] == '\0')
		return false;

	copy = pstrdup(sg_exempt_string);
	if (!SplitGUCList(copy, ',', &items))
		return false;
	foreach(lc, items)
	{
		char	   *item_rule;
		char	   *pattern;

		sg_split_item(lfirst(lc), &item_rule, &pattern);
		if ((strcmp(item_rule, "*") == 0 || strcmp(item_rule, rule) == 0) &&
			sg_pattern_matches(pattern, v))
			return true;
	}
	return false;
}

/* drop the exempt warnings from a statement's violations */
void
sg_drop_exempt(SGContext *ctx)
{
	List	   *kept = NIL;
	ListCell   *lc;

	foreach(lc, ctx->violations)
	{
		SGViolation *v = lfirst(lc);

		if (!sg_violation_exempt(v))
			kept = lappend(kept, v);
	}
	ctx->violations = kept;
}
