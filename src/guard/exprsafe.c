/*-------------------------------------------------------------------------
 *
 * exprsafe.c
 *		Questions about expressions, answered without evaluating anything.
 *
 * The rules ask whether a column default is volatile, whether a type
 * change's transformation comes down to the old column, and whether
 * validated CHECK constraints imply a NOT NULL or a partition bound.  The
 * server answers these on planned expressions: expression_planner() and
 * eval_const_expressions() fold constant subexpressions by running the
 * functions in them (a user's IMMUTABLE function with constant arguments,
 * the body of a SQL function, a domain's checks), and transformPartitionBound()
 * evaluates a partition bound.  schemaguard asks before the server's own
 * permission checks, and schemaguard.check() asks about scripts that never
 * run, so it must not run any of that.  This file does the part of the
 * planner's work that the answers depend on, and nothing that executes:
 *
 *	- sg_expr_simplify(): bottom-up, nested RelabelTypes collapse and each
 *	  function call is offered to its support function
 *	  (SupportRequestSimplify), as simplify_function() does: that is how
 *	  varchar(10) -> varchar(20) becomes a RelabelType of the old column.
 *	  Support functions are C functions that only a superuser can attach;
 *	  they look at the call and evaluate nothing.
 *	- sg_expr_volatile(): contain_volatile_functions() of the expression
 *	  as the planner would leave it, where a call of a VOLATILE-declared
 *	  SQL function whose body the planner would inline (the conditions of
 *	  clauses.c, inline_function()) counts by its body's volatility.  The
 *	  body is parsed and analyzed, never run.
 *	- sg_constraint_implied(): tablecmds.c's ConstraintImpliedByRelConstraint
 *	  and PartConstraintImpliedByRelConstraint, with the CHECK expressions
 *	  simplified as above instead of folded.  predicate_implied_by() may
 *	  compare two constants with a btree operator family's comparison
 *	  function; operator families can only be made by a superuser.
 *
 * Constant folding is left out, so an expression that the server would
 * fold away (CASE WHEN false THEN random() END) counts as volatile here,
 * and an implication that needs folding is not found: both are the safe
 * side, a violation reported rather than a hazard missed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/tupdesc.h"
#include "catalog/pg_language.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "executor/functions.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/supportnodes.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "parser/analyze.h"
#include "parser/parse_node.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"

#include "schemaguard.h"

/* how deep SQL functions calling SQL functions are followed */
#define SG_INLINE_DEPTH 8

static Node *
sg_simplify_mutator(Node *node, void *context)
{
	if (node == NULL)
		return NULL;
	check_stack_depth();
	node = expression_tree_mutator(node, sg_simplify_mutator, context);

	if (IsA(node, RelabelType))
	{
		RelabelType *r = (RelabelType *) node;

		while (r->arg != NULL && IsA(r->arg, RelabelType))
			r->arg = ((RelabelType *) r->arg)->arg;
	}
	else if (IsA(node, FuncExpr))
	{
		FuncExpr   *f = (FuncExpr *) node;
		Oid			support = get_func_support(f->funcid);

		if (OidIsValid(support))
		{
			SupportRequestSimplify req;
			Node	   *simpler;

			req.type = T_SupportRequestSimplify;
			req.root = NULL;
			req.fcall = f;
			simpler = (Node *) DatumGetPointer(OidFunctionCall1(support,
																PointerGetDatum(&req)));
			if (simpler != NULL)
				return simpler;
		}
	}
	return node;
}

/*
 * The expression (a copy) as the planner's simplification would leave it,
 * without folding constants: see the top of the file.
 */
Node *
sg_expr_simplify(Node *expr)
{
	return sg_simplify_mutator(copyObject(expr), NULL);
}

static bool sg_volatile_walker(Node *node, void *context);

/* how often the body uses each of the function's parameters */
typedef struct SGParamUses
{
	int			nargs;
	int		   *uses;
} SGParamUses;

static bool
sg_param_uses_walker(Node *node, SGParamUses *pu)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param))
	{
		Param	   *p = (Param *) node;

		if (p->paramkind == PARAM_EXTERN && p->paramid >= 1 && p->paramid <= pu->nargs)
			pu->uses[p->paramid - 1]++;
		return false;
	}
	return expression_tree_walker(node, sg_param_uses_walker, (void *) pu);
}

/*
 * Would inline_function() substitute these arguments into this body?  It
 * gives up on a STRICT function whose body is not strict or leaves a
 * parameter unused, and on an argument that is used more than once unless
 * it is cheap (here: only a constant, parameter or column counts as that).
 */
static bool
sg_substitution_ok(Form_pg_proc proc, List *args, Node *body)
{
	SGParamUses pu;
	ListCell   *lc;
	int			i = 0;

	if (proc->proisstrict && contain_nonstrict_functions(body))
		return false;
	pu.nargs = list_length(args);
	pu.uses = palloc0(sizeof(int) * Max(pu.nargs, 1));
	(void) sg_param_uses_walker(body, &pu);
	foreach(lc, args)
	{
		Node	   *arg = lfirst(lc);

		if (pu.uses[i] == 0 && proc->proisstrict)
			return false;
		if (pu.uses[i] > 1 && !IsA(arg, Const) && !IsA(arg, Param) && !IsA(arg, Var))
			return false;
		/* a volatile argument (a default among them) leaves the call volatile */
		if (sg_expr_volatile(arg))
			return false;
		i++;
	}
	return true;
}

/*
 * The single expression a SQL function's body returns, if the planner
 * could inline the call (clauses.c, inline_function()), or NULL.  The body
 * is parsed and analyzed only when its raw form already is a plain
 * SELECT of one expression with no FROM, so that nothing is locked.
 */
static Node *
sg_inlinable_body(FuncExpr *fexpr)
{
	HeapTuple	tup;
	Form_pg_proc proc;
	Datum		d;
	bool		isnull;
	Query	   *query = NULL;
	Node	   *result = NULL;
	ListCell   *lc;
	bool		expand;

	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fexpr->funcid));
	if (!HeapTupleIsValid(tup))
		return NULL;
	proc = (Form_pg_proc) GETSTRUCT(tup);

	/*
	 * Named arguments and defaults: the planner puts the arguments in the
	 * function's order first (simplify_function), and so does this, on a
	 * copy; the defaults are expressions from pg_proc, not evaluated.
	 */
	expand = list_length(fexpr->args) < proc->pronargs;
	foreach(lc, fexpr->args)
		expand |= IsA(lfirst(lc), NamedArgExpr);
	if (expand)
	{
		fexpr = copyObject(fexpr);
		fexpr->args = expand_function_arguments(fexpr->args, false,
												fexpr->funcresulttype, tup);
	}
	if (proc->prolang != SQLlanguageId ||
		proc->prokind != PROKIND_FUNCTION ||
		proc->prosecdef || proc->proretset ||
		proc->prorettype == RECORDOID ||
		!heap_attisnull(tup, Anum_pg_proc_proconfig, NULL) ||
		proc->pronargs != list_length(fexpr->args) ||
		object_aclcheck_compat(fexpr->funcid) != ACLCHECK_OK ||
		FmgrHookIsNeeded(fexpr->funcid))
	{
		ReleaseSysCache(tup);
		return NULL;
	}

	d = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosqlbody, &isnull);
	if (!isnull)
	{
		/* BEGIN ATOMIC: stored analyzed */
		Node	   *n = stringToNode(TextDatumGetCString(d));
		List	   *queries = IsA(n, List) ? linitial_node(List, castNode(List, n)) : list_make1(n);

		if (list_length(queries) == 1 && IsA(linitial(queries), Query))
			query = linitial(queries);
	}
	else
	{
		char	   *src;
		List	   *raws;
		SelectStmt *sel;

		d = SysCacheGetAttr(PROCOID, tup, Anum_pg_proc_prosrc, &isnull);
		if (isnull)
		{
			ReleaseSysCache(tup);
			return NULL;
		}
		src = TextDatumGetCString(d);
		raws = pg_parse_query(src);
		sel = (list_length(raws) == 1) ?
			(SelectStmt *) linitial_node(RawStmt, raws)->stmt : NULL;
		if (sel != NULL && IsA(sel, SelectStmt) &&
			sel->op == SETOP_NONE && sel->fromClause == NIL &&
			sel->whereClause == NULL && sel->groupClause == NIL &&
			sel->havingClause == NULL && sel->windowClause == NIL &&
			sel->valuesLists == NIL && sel->sortClause == NIL &&
			sel->limitCount == NULL && sel->limitOffset == NULL &&
			sel->lockingClause == NIL && sel->withClause == NULL &&
			sel->distinctClause == NIL && sel->intoClause == NULL &&
			list_length(sel->targetList) == 1)
		{
			SQLFunctionParseInfoPtr pinfo;
			ParseState *pstate;

			pinfo = prepare_sql_fn_parse_info(tup, (Node *) fexpr, fexpr->inputcollid);
			pstate = make_parsestate(NULL);
			pstate->p_sourcetext = src;
			sql_fn_parser_setup(pstate, pinfo);
			query = transformTopLevelStmt(pstate, linitial_node(RawStmt, raws));
			free_parsestate(pstate);
		}
	}
	if (query != NULL && query->commandType == CMD_SELECT &&
		!query->hasAggs && !query->hasWindowFuncs && !query->hasTargetSRFs &&
		!query->hasSubLinks && query->cteList == NIL && query->rtable == NIL &&
		query->jointree != NULL && query->jointree->fromlist == NIL &&
		query->jointree->quals == NULL && query->groupClause == NIL &&
		query->groupingSets == NIL && query->havingQual == NULL &&
		query->windowClause == NIL && query->distinctClause == NIL &&
		query->sortClause == NIL && query->limitOffset == NULL &&
		query->limitCount == NULL && query->setOperations == NULL &&
		list_length(query->targetList) == 1)
	{
		result = (Node *) linitial_node(TargetEntry, query->targetList)->expr;
		if (!sg_substitution_ok(proc, fexpr->args, result))
			result = NULL;
	}
	ReleaseSysCache(tup);
	return result;
}

static bool
sg_volatile_checker(Oid func_id, void *context)
{
	return func_volatile(func_id) == PROVOLATILE_VOLATILE;
}

static bool
sg_volatile_walker(Node *node, void *context)
{
	int		   *depth = (int *) context;

	if (node == NULL)
		return false;
	check_stack_depth();
	if (IsA(node, FuncExpr))
	{
		FuncExpr   *f = (FuncExpr *) node;

		if (func_volatile(f->funcid) == PROVOLATILE_VOLATILE)
		{
			Node	   *body;
			bool		volatile_body;

			/* the planner inlines the call: its body decides */
			if (*depth >= SG_INLINE_DEPTH ||
				(body = sg_inlinable_body(f)) == NULL)
				return true;
			(*depth)++;
			volatile_body = sg_volatile_walker(body, context);
			(*depth)--;
			if (volatile_body)
				return true;
		}
		return expression_tree_walker(node, sg_volatile_walker, context);
	}
	if (check_functions_in_node(node, sg_volatile_checker, context))
		return true;
	if (IsA(node, NextValueExpr))
		return true;
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, sg_volatile_walker, context, 0);
	return expression_tree_walker(node, sg_volatile_walker, context);
}

/*
 * Would the planned expression contain a volatile function?  See the top
 * of the file.
 */
bool
sg_expr_volatile(Node *expr)
{
	int			depth = 0;

	return sg_volatile_walker(expr, &depth);
}

/*
 * Do the relation's validated CHECK constraints (and, with
 * with_not_null, its validated NOT NULL columns) imply every clause of
 * test?  tablecmds.c, PartConstraintImpliedByRelConstraint.
 */
bool
sg_constraint_implied(Relation rel, List *test, bool with_not_null)
{
	TupleDesc	desc = RelationGetDescr(rel);
	TupleConstr *constr = desc->constr;
	List	   *exist = NIL;
	int			i;

	if (constr == NULL)
		return false;
	if (with_not_null && constr->has_not_null)
	{
		for (i = 1; i <= desc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(desc, i - 1);
			NullTest   *ntest;

			if (!SG_ATT_NOT_NULL_VALID(desc, i) || att->attisdropped)
				continue;
			ntest = makeNode(NullTest);
			ntest->arg = (Expr *) makeVar(1, i, att->atttypid, att->atttypmod,
										  att->attcollation, 0);
			ntest->nulltesttype = IS_NOT_NULL;
			ntest->argisrow = false;
			ntest->location = -1;
			exist = lappend(exist, ntest);
		}
	}
	for (i = 0; i < constr->num_check; i++)
	{
		Node	   *cexpr;

		if (!constr->check[i].ccvalid)
			continue;
		cexpr = sg_expr_simplify(stringToNode(constr->check[i].ccbin));
		cexpr = (Node *) canonicalize_qual((Expr *) cexpr, true);
		exist = list_concat(exist, make_ands_implicit((Expr *) cexpr));
	}
	if (exist == NIL)
		return false;
	return predicate_implied_by(test, exist, true);
}
