/*-------------------------------------------------------------------------
 *
 * check.c
 *		schemaguard.check(sql text): lint a migration script against the
 *		live catalog without executing anything.  Every statement of the
 *		script goes through the same rule engine as the hook; relations
 *		that the script creates before it uses them count as created in the
 *		same transaction.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "catalog/namespace.h"
#include "mb/pg_wchar.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

#include "schemaguard.h"

typedef struct SGCheckErrorState
{
	const char *script;
	int			statement;		/* 0 while parsing */
} SGCheckErrorState;

/*
 * Error context: a syntax error points into the script (as SPI does for
 * the queries it runs); other errors name the statement number.
 */
static void
sg_check_error_callback(void *arg)
{
	SGCheckErrorState *state = (SGCheckErrorState *) arg;
	int			pos = geterrposition();

	if (pos > 0)
	{
		errposition(0);
		internalerrposition(pos);
		internalerrquery(state->script);
	}
	if (state->statement > 0)
		errcontext("schemaguard.check(), statement %d of the script",
				   state->statement);
	else
		errcontext("schemaguard.check(), parsing the script");
}

/*
 * Line and column (from 1; the column in characters) of an offset in the
 * script.  Offsets come in increasing order, so the count goes on from
 * where the previous call left it.
 */
typedef struct SGLineCounter
{
	const char *script;
	int			offset;			/* counted up to here */
	int			line;
	int			line_start;		/* offset where that line starts */
} SGLineCounter;

static void
sg_line_column(SGLineCounter *lc, int offset, int *line, int *column)
{
	Assert(offset >= lc->offset);
	for (; lc->offset < offset; lc->offset++)
	{
		if (lc->script[lc->offset] == '\n')
		{
			lc->line++;
			lc->line_start = lc->offset + 1;
		}
	}
	*line = lc->line;
	*column = pg_mbstrlen_with_len(lc->script + lc->line_start,
								   offset - lc->line_start) + 1;
}

/* The relation a statement creates, if any */
static RangeVar *
sg_created_relation(Node *stmt)
{
	switch (nodeTag(stmt))
	{
		case T_CreateStmt:
			return ((CreateStmt *) stmt)->relation;
		case T_CreateTableAsStmt:
			return ((CreateTableAsStmt *) stmt)->into->rel;
		case T_ViewStmt:
			return ((ViewStmt *) stmt)->view;
		case T_CreateForeignTableStmt:
			return ((CreateForeignTableStmt *) stmt)->base.relation;
		default:
			return NULL;
	}
}

PG_FUNCTION_INFO_V1(sg_check);

Datum
sg_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *script;
	List	   *parsetrees;
	List	   *created = NIL;
	ListCell   *lc;
	SGCheckErrorState state;
	ErrorContextCallback errcallback;
	SGLineCounter lines;

	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("schemaguard.check() needs a script, not NULL")));
	script = text_to_cstring(PG_GETARG_TEXT_PP(0));

	InitMaterializedSRF(fcinfo, 0);

	state.script = script;
	state.statement = 0;
	errcallback.callback = sg_check_error_callback;
	errcallback.arg = &state;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	parsetrees = raw_parser(script, RAW_PARSE_DEFAULT);
	lines.script = script;
	lines.offset = 0;
	lines.line = 1;
	lines.line_start = 0;

	foreach(lc, parsetrees)
	{
		RawStmt    *raw = lfirst_node(RawStmt, lc);
		Node	   *stmt = raw->stmt;
		RangeVar   *rv;

		state.statement++;
		if (sg_statement_has_rules(stmt))
		{
			SGContext	ctx;
			ListCell   *vlc;
			int			line;
			int			column;

			sg_line_column(&lines,
						   sg_statement_first_token(script, raw->stmt_location,
													raw->stmt_len),
						   &line, &column);
			sg_context_init(&ctx, script, raw->stmt_location, raw->stmt_len,
							PROCESS_UTILITY_TOPLEVEL);
			ctx.dry_run = true;
			ctx.created_rels = created;
			ctx.script = parsetrees;
			sg_evaluate(&ctx, stmt);
			sg_drop_exempt(&ctx);

			foreach(vlc, ctx.violations)
			{
				SGViolation *v = lfirst(vlc);
				Datum		values[8];
				bool		nulls[8] = {false};

				values[0] = Int32GetDatum(state.statement);
				values[1] = CStringGetTextDatum(sg_rules[v->rule_index].name);
				values[2] = CStringGetTextDatum(v->allowed ? "allowed" :
												sg_level_name(v->level));
				values[3] = CStringGetTextDatum(v->object);
				values[4] = CStringGetTextDatum(v->message);
				if (v->hint)
					values[5] = CStringGetTextDatum(v->hint);
				else
					nulls[5] = true;
				values[6] = Int32GetDatum(line);
				values[7] = Int32GetDatum(column);
				tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc,
									 values, nulls);
			}
		}

		/* CREATE ... IF NOT EXISTS on an existing relation creates nothing */
		rv = sg_created_relation(stmt);
		if (rv != NULL &&
			!(IsA(stmt, CreateStmt) && ((CreateStmt *) stmt)->if_not_exists &&
			  OidIsValid(RangeVarGetRelid(rv, NoLock, true))))
			created = lappend(created, rv);
	}

	error_context_stack = errcallback.previous;
	return (Datum) 0;
}
