/*-------------------------------------------------------------------------
 *
 * schemaguard.c
 *		Module entry point and the ProcessUtility hook that runs the guard
 *		before every utility statement, in every context: top level,
 *		PL/pgSQL and DO bodies, and subcommands the server generates.
 *
 * The hook never modifies the parse tree it is handed and always calls the
 * previous hook (or standard_ProcessUtility) exactly once, unless a rule
 * at level error ends the statement first.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "access/xlog.h"
#include "commands/extension.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "schemaguard.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

static ProcessUtility_hook_type prev_ProcessUtility = NULL;

static void sg_ProcessUtility(SG_PROCESS_UTILITY_ARGS);

void
_PG_init(void)
{
	sg_define_settings();

	prev_ProcessUtility = ProcessUtility_hook;
	ProcessUtility_hook = sg_ProcessUtility;
}

/*
 * Should the guard look at statements right now at all?
 */
static bool
sg_guard_active(void)
{
	if (sg_mode == SG_MODE_OFF)
		return false;
	/* statements of CREATE/ALTER EXTENSION scripts, and pg_upgrade */
	if (creating_extension || IsBinaryUpgrade)
		return false;
	/* catalog lookups need a live transaction; a standby runs no DDL */
	if (!IsTransactionState() || RecoveryInProgress())
		return false;
	return true;
}

static void
sg_guard_statement(PlannedStmt *pstmt, const char *queryString,
				   ProcessUtilityContext context)
{
	SGContext	ctx;
	MemoryContext guard_cxt;
	MemoryContext old_cxt;

	/* everything the rules allocate goes away with this context */
	guard_cxt = AllocSetContextCreate(CurrentMemoryContext,
									  "schemaguard",
									  ALLOCSET_SMALL_SIZES);
	old_cxt = MemoryContextSwitchTo(guard_cxt);

	sg_context_init(&ctx, queryString, pstmt->stmt_location,
					pstmt->stmt_len, context);
	sg_evaluate(&ctx, pstmt->utilityStmt);

	/* an ERROR here releases guard_cxt with its parent */
	sg_raise_violations(&ctx);

	MemoryContextSwitchTo(old_cxt);
	MemoryContextDelete(guard_cxt);
}

static void
sg_ProcessUtility(SG_PROCESS_UTILITY_ARGS)
{
	if (sg_statement_has_rules(pstmt->utilityStmt) && sg_guard_active())
		sg_guard_statement(pstmt, queryString, context);

	if (prev_ProcessUtility)
		prev_ProcessUtility(SG_PROCESS_UTILITY_CALL_ARGS);
	else
		standard_ProcessUtility(SG_PROCESS_UTILITY_CALL_ARGS);
}

/*
 * schemaguard.list_rules(): every rule with its family, default level,
 * effective level (after schemaguard.rules) and description.
 */
PG_FUNCTION_INFO_V1(sg_list_rules);

Datum
sg_list_rules(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			i;

	InitMaterializedSRF(fcinfo, 0);

	for (i = 0; i < sg_num_rules; i++)
	{
		Datum		values[5];
		bool		nulls[5] = {false};

		values[0] = CStringGetTextDatum(sg_rules[i].name);
		values[1] = CStringGetTextDatum(sg_family_name(sg_rules[i].family));
		values[2] = CStringGetTextDatum(sg_level_name(sg_rules[i].default_level));
		values[3] = CStringGetTextDatum(sg_level_name(sg_rule_level(i)));
		values[4] = CStringGetTextDatum(sg_rules[i].description);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
