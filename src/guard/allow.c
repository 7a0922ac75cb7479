/*-------------------------------------------------------------------------
 *
 * allow.c
 *		Governed exceptions: schemaguard.allow, and the superuser's limit
 *		on it, schemaguard.allowable_rules.
 *
 * An exception a non-superuser makes lasts one transaction.  Each value of
 * schemaguard.allow carries, in its GUC "extra", whether a superuser (or
 * the server's own configuration) set it, and the local transaction id it
 * was set in.  A value counts when a rule is judged only if
 *
 *	- a superuser set it, or the current role is a superuser; or
 *	- it was set in the current transaction (SET LOCAL, a function's SET
 *	  clause, set_config(..., true) -- and set_config(..., false), whose
 *	  value outlives the transaction but is inert after it); or
 *	- it was set outside a transaction block, the statement being judged
 *	  cannot run in one (VACUUM FULL, DROP DATABASE, ...), and it is the
 *	  very next transaction of the session.  That is the only way to make
 *	  an exception for such a statement: "SET schemaguard.allow = 'rule';
 *	  <statement>; RESET schemaguard.allow;", which its hint prints.
 *
 * Routes by which a non-superuser could make an exception permanent are
 * refused where they are taken, with a message saying what to do instead:
 *
 *	- SET (without LOCAL) inside a transaction block: by the
 *	  ProcessUtility hook, which alone sees is_local;
 *	- ALTER ROLE / ALTER DATABASE ... SET: by the same hook (the check
 *	  hook sees them as PGC_S_TEST, as it sees a function's SET clause,
 *	  which must keep working);
 *	- PGOPTIONS (PGC_S_CLIENT): by the check hook, so the login fails;
 *	- values stored in pg_db_role_setting (by a superuser, or before this
 *	  release) applied at the login of a non-superuser: by the check hook,
 *	  with a WARNING at login, and the value is not applied.
 *
 * schemaguard.allowable_rules (superusers only; typically ALTER ROLE
 * migrator SET schemaguard.allowable_rules = 'index_not_concurrent,
 * drop_column') lists the rules a non-superuser may allow; default all.  A
 * value of schemaguard.allow naming another rule is refused when set, and
 * a rule outside the limit is never let through when judged either (the
 * limit may have changed since).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/parallel.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "nodes/parsenodes.h"
#include "schemaguard.h"
#include "storage/proc.h"
#include "utils/acl.h"
#include "utils/guc.h"

#if PG_VERSION_NUM >= 170000
#define SG_MY_LXID (MyProc->vxid.lxid)
#else
#define SG_MY_LXID (MyProc->lxid)
#endif

/* a parsed list of rules: schemaguard.allow or schemaguard.allowable_rules */
typedef struct SGRuleSet
{
	bool		all;
	bool		rule[SG_MAX_RULES];
	/* schemaguard.allow only: who set it, and when */
	bool		by_superuser;
	bool		outside_block;
	LocalTransactionId lxid;
} SGRuleSet;

char	   *sg_allow_string = NULL;
char	   *sg_allowable_string = NULL;

static SGRuleSet *sg_allow = NULL;
static SGRuleSet *sg_allowable = NULL;

/* parse a list of rule names or "all"; false with the error set */
static bool
sg_parse_rule_set(const char *value, const char *setting, SGRuleSet *set)
{
	List	   *items;
	ListCell   *lc;

	memset(set, 0, sizeof(SGRuleSet));
	if (!sg_split_list(value ? value : "", setting, &items))
		return false;
	foreach(lc, items)
	{
		char	   *item = lfirst(lc);
		int			idx;

		if (strcmp(item, "all") == 0)
		{
			set->all = true;
			continue;
		}
		idx = sg_rule_index(item);
		if (idx < 0)
		{
			GUC_check_errdetail("Unknown rule \"%s\".", item);
			GUC_check_errhint("List rule names separated by commas, or \"all\"; SELECT rule FROM schemaguard.list_rules() lists them.");
			return false;
		}
		set->rule[idx] = true;
	}
	return true;
}

static bool
sg_set_is_empty(const SGRuleSet *set)
{
	int			i;

	if (set->all)
		return false;
	for (i = 0; i < SG_MAX_RULES; i++)
		if (set->rule[i])
			return false;
	return true;
}

static bool
sg_set_has(const SGRuleSet *set, int rule_index)
{
	return set != NULL && (set->all || set->rule[rule_index]);
}

/* the first rule of want that limit does not hold, or NULL */
static const char *
sg_set_outside(const SGRuleSet *want, const SGRuleSet *limit)
{
	int			i;

	if (limit == NULL || limit->all)
		return NULL;
	if (want->all)
		return "all";
	for (i = 0; i < sg_num_rules; i++)
		if (want->rule[i] && !limit->rule[i])
			return sg_rules[i].name;
	return NULL;
}

static void *
sg_copy_extra(const SGRuleSet *set)
{
	void	   *extra = sg_guc_malloc(sizeof(SGRuleSet));

	if (extra != NULL)
		memcpy(extra, set, sizeof(SGRuleSet));
	return extra;
}

/* may the role that sets a value now be asked, and is it a superuser? */
static bool
sg_setter_known(bool *is_superuser)
{
	/* a parallel worker takes over the leader's settings, checked there */
	if (InitializingParallelWorker || IsParallelWorker())
	{
		*is_superuser = true;
		return false;
	}
	if (!IsTransactionState())
	{
		*is_superuser = false;
		return false;
	}
	*is_superuser = superuser();
	return true;
}

bool
sg_check_allow(char **newval, void **extra, GucSource source)
{
	SGRuleSet	parsed;
	bool		su;
	bool		known;
	const char *outside;

	if (!sg_parse_rule_set(*newval, "schemaguard.allow", &parsed))
		return false;

	switch (source)
	{
		case PGC_S_DEFAULT:
		case PGC_S_DYNAMIC_DEFAULT:
		case PGC_S_ENV_VAR:
		case PGC_S_FILE:
		case PGC_S_ARGV:
		case PGC_S_OVERRIDE:
			/* the server's own configuration: a superuser's */
			parsed.by_superuser = true;
			return (*extra = sg_copy_extra(&parsed)) != NULL;
		default:
			break;
	}

	known = sg_setter_known(&su);
	parsed.by_superuser = su;
	parsed.lxid = MyProc != NULL ? SG_MY_LXID : InvalidLocalTransactionId;
	parsed.outside_block = !IsTransactionBlock();

	if (known && !su && !sg_set_is_empty(&parsed))
	{
		switch (source)
		{
			case PGC_S_CLIENT:
				GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
				GUC_check_errmsg("schemaguard.allow cannot be set in the connection options of a non-superuser");
				GUC_check_errdetail("An exception made by a non-superuser lasts one transaction.");
				GUC_check_errhint("Set it with SET LOCAL inside the transaction that needs it.");
				return false;
			case PGC_S_GLOBAL:
			case PGC_S_DATABASE:
			case PGC_S_USER:
			case PGC_S_DATABASE_USER:
				GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
				GUC_check_errmsg("schemaguard.allow stored for a role or database is ignored for a non-superuser");
				GUC_check_errdetail("An exception made by a non-superuser lasts one transaction.");
				GUC_check_errhint("Remove it with ALTER ROLE ... RESET schemaguard.allow or ALTER DATABASE ... RESET schemaguard.allow, and set it with SET LOCAL inside the transaction that needs it.");
				return false;
			case PGC_S_SESSION:
				outside = sg_set_outside(&parsed, sg_allowable);
				if (outside != NULL)
				{
					GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
					GUC_check_errmsg("role \"%s\" may not allow %s%s",
									 GetUserNameFromId(GetUserId(), false),
									 strcmp(outside, "all") == 0 ? "" : "rule ",
									 strcmp(outside, "all") == 0 ? "every rule" : outside);
					GUC_check_errdetail("schemaguard.allowable_rules is \"%s\".",
										sg_allowable_string ? sg_allowable_string : "");
					GUC_check_errhint("Allow only the rules listed there, or ask a superuser to add the rule with ALTER ROLE ... SET schemaguard.allowable_rules.");
					return false;
				}
				break;
			default:
				/* PGC_S_TEST: a function's SET clause is checked when it runs */
				break;
		}
	}

	return (*extra = sg_copy_extra(&parsed)) != NULL;
}

void
sg_assign_allow(const char *newval, void *extra)
{
	sg_allow = (SGRuleSet *) extra;
}

bool
sg_check_allowable(char **newval, void **extra, GucSource source)
{
	SGRuleSet	parsed;
	bool		su;

	if (!sg_parse_rule_set(*newval, "schemaguard.allowable_rules", &parsed))
		return false;

	/*
	 * Only a superuser may change the limit, even with SET privilege on it:
	 * in a session, in PGOPTIONS, in ALTER ROLE / ALTER DATABASE ... SET or
	 * a function's SET clause.
	 */
	if ((source == PGC_S_SESSION || source == PGC_S_CLIENT ||
		 source == PGC_S_TEST) &&
		sg_setter_known(&su) && !su)
	{
		GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
		GUC_check_errmsg("only superusers can set schemaguard.allowable_rules");
		return false;
	}
	return (*extra = sg_copy_extra(&parsed)) != NULL;
}

void
sg_assign_allowable(const char *newval, void *extra)
{
	sg_allowable = (SGRuleSet *) extra;
}

/*
 * Does schemaguard.allow let this rule through now?  no_xact_block: the
 * statement judged cannot run in a transaction block.  See the top of the
 * file.  why, when not NULL, receives why a value naming the rule does not
 * count (NULL when it counts or does not name the rule).
 */
static bool
sg_allow_counts(int rule_index, bool no_xact_block, const char **why)
{
	LocalTransactionId now;

	if (why)
		*why = NULL;
	if (!sg_set_has(sg_allow, rule_index))
		return false;
	if (sg_allow->by_superuser || superuser())
		return true;
	if (sg_allowable != NULL && !sg_set_has(sg_allowable, rule_index))
	{
		if (why)
			*why = psprintf("schemaguard.allowable_rules (\"%s\") does not let this role allow %s.",
							sg_allowable_string ? sg_allowable_string : "",
							sg_rules[rule_index].name);
		return false;
	}
	now = SG_MY_LXID;
	if (sg_allow->lxid == now)
		return true;
	if (no_xact_block && sg_allow->outside_block && sg_allow->lxid + 1 == now)
		return true;
	if (why)
		*why = no_xact_block ?
			"schemaguard.allow lists this rule but does not count here: a non-superuser's exception lasts only the transaction it was set in, or, when set with SET outside a transaction block, the one statement after it." :
			"schemaguard.allow lists this rule but does not count here: a non-superuser's exception lasts only the transaction it was set in.";
	return false;
}

bool
sg_rule_allowed(int rule_index, bool no_xact_block)
{
	return sg_allow_counts(rule_index, no_xact_block, NULL);
}

/* why a value of schemaguard.allow naming the rule does not count, or NULL */
const char *
sg_allow_ignored(int rule_index, bool no_xact_block)
{
	const char *why;

	(void) sg_allow_counts(rule_index, no_xact_block, &why);
	return why;
}

/*
 * The ProcessUtility hook's part: refuse the statements by which a
 * non-superuser would make schemaguard.allow outlast its transaction.
 * Cheap for every other statement.
 */
void
sg_allow_check_utility(Node *stmt)
{
	VariableSetStmt *set = NULL;
	const char *where = NULL;

	switch (nodeTag(stmt))
	{
		case T_VariableSetStmt:
			set = (VariableSetStmt *) stmt;
			if (set->is_local || !IsTransactionBlock())
				return;
			where = "session";
			break;
		case T_AlterRoleSetStmt:
			set = ((AlterRoleSetStmt *) stmt)->setstmt;
			where = "role";
			break;
		case T_AlterDatabaseSetStmt:
			set = ((AlterDatabaseSetStmt *) stmt)->setstmt;
			where = "database";
			break;
		default:
			return;
	}
	if (set == NULL || set->name == NULL ||
		(set->kind != VAR_SET_VALUE && set->kind != VAR_SET_CURRENT) ||
		pg_strcasecmp(set->name, "schemaguard.allow") != 0 || superuser())
		return;
	/* a role without SET on the parameter gets the server's own refusal */
	if (pg_parameter_aclcheck("schemaguard.allow", GetUserId(), ACL_SET) != ACLCHECK_OK)
		return;

	if (strcmp(where, "session") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("schemaguard.allow can be set only with SET LOCAL in a transaction block"),
				 errdetail("An exception made by a non-superuser lasts one transaction; SET without LOCAL would outlast it."),
				 errhint("Use SET LOCAL schemaguard.allow = '...'; in this transaction.")));
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("only superusers can set schemaguard.allow for a %s", where),
			 errdetail("An exception made by a non-superuser lasts one transaction."),
			 errhint("Set it with SET LOCAL inside the transaction that needs it, or in the SET clause of a function that runs the change.")));
}
