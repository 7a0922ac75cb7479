/*-------------------------------------------------------------------------
 *
 * guc.c
 *		schemaguard's settings: definitions, validation of the rule lists
 *		in schemaguard.rules and schemaguard.allow, and lookups of the
 *		effective level of a rule.
 *
 * schemaguard.rules is parsed once, in its check hook, into a small array
 * indexed by rule; the assign hook installs it.  Evaluating a rule
 * therefore never parses a string.  schemaguard.allow and
 * schemaguard.allowable_rules, defined here, are checked in allow.c.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>
#include <limits.h>

#include "access/parallel.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "schemaguard.h"
#include "utils/guc.h"

int			sg_mode = SG_MODE_ENFORCE;
int			sg_lock_timeout_ms = 5000;
bool		sg_changelog_enabled = true;
char	   *sg_migration = NULL;
int			sg_table_size_threshold_kb = 1024;
bool		sg_assume_large_tables = false;
int			sg_recent_scan_window_s = 0;
bool		sg_message_details = false;
char	   *sg_docs_url = NULL;

static char *sg_rules_string = NULL;

/* parsed schemaguard.rules: per rule, -1 (no override) or an SGLevel */
typedef struct SGRuleLevels
{
	signed char level[SG_MAX_RULES];
} SGRuleLevels;

static SGRuleLevels *sg_rule_levels = NULL;

static const struct config_enum_entry sg_mode_options[] = {
	{"enforce", SG_MODE_ENFORCE, false},
	{"warn", SG_MODE_WARN, false},
	{"off", SG_MODE_OFF, false},
	{NULL, 0, false}
};

static const char *const sg_level_names[] = {"off", "warn", "error"};

/*
 * A role that has been granted SET on schemaguard.mode, schemaguard.rules
 * or schemaguard.changelog may still not weaken them: a non-superuser can
 * never turn the guard or the changelog off.  Checked where the role that
 * asks is the current role: SET and set_config() in a session (including
 * a function's SET clause), options in the startup packet (PGOPTIONS), and
 * the validation of ALTER ROLE / ALTER DATABASE ... SET and CREATE
 * FUNCTION ... SET (PGC_S_TEST).  Values stored in pg_db_role_setting are
 * applied at login without a check: only a superuser could store them.
 */
static bool
sg_weakening_refused(GucSource source, const char *setting)
{
	if (source != PGC_S_SESSION && source != PGC_S_CLIENT &&
		source != PGC_S_TEST)
		return false;
	if (!IsTransactionState() || superuser())
		return false;
	/* a parallel worker takes over the leader's settings, checked there */
	if (InitializingParallelWorker || IsParallelWorker())
		return false;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("only superusers can weaken %s", setting);
	GUC_check_errdetail("A non-superuser can never turn schemaguard's guard or changelog off, even with SET privilege on the parameter.");
	return true;
}

static bool
sg_check_mode(int *newval, void **extra, GucSource source)
{
	if (*newval != SG_MODE_ENFORCE &&
		sg_weakening_refused(source, "schemaguard.mode"))
		return false;
	return true;
}

static bool
sg_check_changelog(bool *newval, void **extra, GucSource source)
{
	if (!*newval && sg_weakening_refused(source, "schemaguard.changelog"))
		return false;
	return true;
}

const char *
sg_level_name(SGLevel level)
{
	return sg_level_names[level];
}

/*
 * Split a comma-separated list into trimmed, lower-cased items.  Returns
 * false (with GUC_check_errdetail set) on an empty item.
 */
bool
sg_split_list(const char *value, const char *setting, List **items)
{
	char	   *copy = pstrdup(value);
	char	   *p = copy;

	*items = NIL;

	/* an empty or all-blank string is an empty list */
	while (isspace((unsigned char) *p))
		p++;
	if (*p == '\0')
		return true;

	for (;;)
	{
		char	   *start = p;
		char	   *end;
		char	   *c;

		while (*p != '\0' && *p != ',')
			p++;
		end = p;
		while (start < end && isspace((unsigned char) *start))
			start++;
		while (end > start && isspace((unsigned char) end[-1]))
			end--;
		if (start == end)
		{
			GUC_check_errdetail("%s contains an empty list item.", setting);
			return false;
		}
		for (c = start; c < end; c++)
			*c = pg_tolower((unsigned char) *c);
		*items = lappend(*items, pnstrdup(start, end - start));
		if (*p == '\0')
			break;
		p++;
	}
	return true;
}

static bool
sg_parse_level(const char *name, SGLevel *level)
{
	int			i;

	for (i = 0; i < lengthof(sg_level_names); i++)
	{
		if (strcmp(name, sg_level_names[i]) == 0)
		{
			*level = (SGLevel) i;
			return true;
		}
	}
	return false;
}

static bool
sg_check_rules(char **newval, void **extra, GucSource source)
{
	SGRuleLevels parsed;
	List	   *items;
	ListCell   *lc;
	int			i;

	memset(parsed.level, -1, sizeof(parsed.level));

	if (!sg_split_list(*newval ? *newval : "", "schemaguard.rules", &items))
		return false;


	foreach(lc, items)
	{
		char	   *item = lfirst(lc);
		char	   *eq = strchr(item, '=');
		char	   *name;
		char	   *levelname;
		int			idx;
		SGLevel		level;

		if (eq == NULL)
		{
			GUC_check_errdetail("Entry \"%s\" is not of the form rule=level.", item);
			return false;
		}
		name = pnstrdup(item, eq - item);
		levelname = eq + 1;
		/* trim around '=' */
		while (*name && isspace((unsigned char) name[strlen(name) - 1]))
			name[strlen(name) - 1] = '\0';
		while (isspace((unsigned char) *levelname))
			levelname++;

		idx = sg_rule_index(name);
		if (idx < 0)
		{
			GUC_check_errdetail("Unknown rule \"%s\".", name);
			GUC_check_errhint("SELECT rule FROM schemaguard.list_rules() lists the rule names.");
			return false;
		}
		if (!sg_parse_level(levelname, &level))
		{
			GUC_check_errdetail("Unknown level \"%s\" for rule \"%s\".",
								levelname, name);
			GUC_check_errhint("Levels are error, warn and off.");
			return false;
		}
		parsed.level[idx] = (signed char) level;
	}

	/* lowering a rule below its default level weakens the guard */
	for (i = 0; i < sg_num_rules; i++)
	{
		if (parsed.level[i] >= 0 && parsed.level[i] < (int) sg_rules[i].default_level &&
			sg_weakening_refused(source, "schemaguard.rules"))
			return false;
	}

	*extra = sg_guc_malloc(sizeof(SGRuleLevels));
	if (*extra == NULL)
		return false;
	memcpy(*extra, &parsed, sizeof(SGRuleLevels));
	return true;
}

static void
sg_assign_rules(const char *newval, void *extra)
{
	sg_rule_levels = (SGRuleLevels *) extra;
}

/*
 * Effective level of a rule: its override in schemaguard.rules, else its
 * default.  schemaguard.mode is applied by the engine.
 */
SGLevel
sg_rule_level(int rule_index)
{
	Assert(rule_index >= 0 && rule_index < sg_num_rules);
	if (sg_rule_levels != NULL && sg_rule_levels->level[rule_index] >= 0)
		return (SGLevel) sg_rule_levels->level[rule_index];
	return sg_rules[rule_index].default_level;
}

void
sg_define_settings(void)
{
	if (sg_num_rules > SG_MAX_RULES)
		elog(ERROR, "schemaguard: too many rules (%d)", sg_num_rules);

	DefineCustomEnumVariable("schemaguard.mode",
							 "Whether schemaguard blocks, warns about or ignores unsafe DDL.",
							 "enforce: rules at level error block the statement; "
							 "warn: every violation is a warning; off: no rule is evaluated.",
							 &sg_mode,
							 SG_MODE_ENFORCE,
							 sg_mode_options,
							 PGC_SUSET,
							 0,
							 sg_check_mode, NULL, NULL);

	DefineCustomStringVariable("schemaguard.rules",
							   "Per-rule level overrides, e.g. 'drop_column=warn, prefer_text=error'.",
							   "Levels are error, warn and off.",
							   &sg_rules_string,
							   "",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   sg_check_rules, sg_assign_rules, NULL);

	/*
	 * The limit first: a value of schemaguard.allow given before the
	 * library was loaded is checked against it when allow is defined.
	 */
	DefineCustomStringVariable("schemaguard.allowable_rules",
							   "Rules a non-superuser may let through with schemaguard.allow; 'all' (the default) means every rule.",
							   "Only superusers can set it, typically per role with ALTER ROLE ... SET.",
							   &sg_allowable_string,
							   "all",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   sg_check_allowable, sg_assign_allowable, NULL);

	DefineCustomStringVariable("schemaguard.allow",
							   "Rules to let through, meant for SET LOCAL; 'all' allows every rule.",
							   "Settable by superusers and by roles granted SET on this parameter; "
							   "a non-superuser's value counts only in the transaction it was set in.",
							   &sg_allow_string,
							   "",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   sg_check_allow, sg_assign_allow, NULL);

	DefineCustomIntVariable("schemaguard.table_size_threshold",
							"Lock-duration rules fire only for relations at least this large.",
							"0 means every non-empty relation.",
							&sg_table_size_threshold_kb,
							1024,
							0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("schemaguard.assume_large_tables",
							 "Treat every relation that existed before the current transaction as large and non-empty.",
							 "For CI and test databases whose tables are empty while their production copies are not.",
							 &sg_assume_large_tables,
							 false,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("schemaguard.recent_scan_window",
							"A table scanned this recently counts as in use: dropping it is an error (PostgreSQL 16 and later).",
							"0 (the default) means scans never count as evidence of use.",
							&sg_recent_scan_window_s,
							0,
							0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomIntVariable("schemaguard.lock_timeout",
							"Lock timeout applied to a guarded statement that would block traffic, when the session's lock_timeout is 0.",
							"0 turns this off.",
							&sg_lock_timeout_ms,
							5000,
							0, INT_MAX,
							PGC_SUSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("schemaguard.lock_retries",
							"How many times a guarded statement that gave up waiting for a lock is run again.",
							"Only when the rest of its transaction holds no lock that blocks writes; 0 turns this off.",
							&sg_lock_retries,
							0,
							0, 100,
							PGC_USERSET,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("schemaguard.lock_retry_delay",
							"Pause before the first retry of schemaguard.lock_retries; it doubles for each further retry, up to 30s.",
							NULL,
							&sg_lock_retry_delay_ms,
							500,
							0, 30000,
							PGC_USERSET,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("schemaguard.changelog",
							 "Record committed schema changes in schemaguard.changelog.",
							 NULL,
							 &sg_changelog_enabled,
							 true,
							 PGC_SUSET,
							 0,
							 sg_check_changelog, NULL, NULL);

	DefineCustomStringVariable("schemaguard.migration",
							   "Free-text label recorded with each changelog entry, e.g. a migration id.",
							   NULL,
							   &sg_migration,
							   "",
							   PGC_USERSET,
							   0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("schemaguard.exempt",
							   "Objects the warn-level rules leave alone, as 'rule:pattern' items, e.g. 'prefer_timestamptz:legacy.*'.",
							   "Rule * means every warn-level rule; a pattern with a dot matches schema.table. Never silences an error.",
							   &sg_exempt_string,
							   "",
							   PGC_USERSET,
							   GUC_LIST_INPUT,
							   sg_check_exempt, NULL, NULL);

	DefineCustomStringVariable("schemaguard.citus_metadata_schema",
							   "For tests only: a schema whose tables and functions stand in for Citus's metadata.",
							   "Empty (the default): Citus's own, when the citus library is loaded.",
							   &sg_citus_metadata_schema,
							   "",
							   PGC_SUSET,
							   GUC_NO_SHOW_ALL | GUC_NOT_IN_SAMPLE | GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("schemaguard.disposable_databases",
							   "Name patterns of databases that DROP DATABASE may drop without an exception, e.g. 'test_*'.",
							   "For test runners: set it on their role with ALTER ROLE ... SET.",
							   &sg_disposable_databases,
							   "",
							   PGC_SUSET,
							   GUC_LIST_INPUT,
							   NULL, NULL, NULL);

	DefineCustomBoolVariable("schemaguard.message_details",
							 "Put the lock, the size and the first line of the recipe into the primary error message.",
							 "For tools that show only the primary message of an error.",
							 &sg_message_details,
							 false,
							 PGC_USERSET,
							 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("schemaguard.docs_url",
							   "Where the rule pages are published: HINTs and schemaguard.list_rules() point to <docs_url>/rules/<rule>.md.",
							   "Empty (the default) points to docs/rules/<rule>.md in the schemaguard repository.",
							   &sg_docs_url,
							   "",
							   PGC_SUSET,
							   0,
							   NULL, NULL, NULL);

	MarkGUCPrefixReserved("schemaguard");
}
