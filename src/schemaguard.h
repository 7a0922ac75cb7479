/*-------------------------------------------------------------------------
 *
 * schemaguard.h
 *		Shared declarations of schemaguard: settings, the rule table, the
 *		evaluation context that rule checks work in, and relation facts.
 *
 *-------------------------------------------------------------------------
 */
#ifndef SCHEMAGUARD_H
#define SCHEMAGUARD_H

#include "postgres.h"

#include "compat.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "catalog/objectaccess.h"
#include "datatype/timestamp.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "storage/lockdefs.h"
#include "tcop/utility.h"
#include "utils/guc.h"
#include "utils/relcache.h"

/* SQLSTATEs of violations: SG001 blocks, SG002 warns */
#define ERRCODE_SCHEMAGUARD_VIOLATION	MAKE_SQLSTATE('S','G','0','0','1')
#define ERRCODE_SCHEMAGUARD_WARNING		MAKE_SQLSTATE('S','G','0','0','2')

/* ----------------------------------------------------------------
 * Settings (guc.c)
 * ----------------------------------------------------------------
 */
typedef enum SGMode
{
	SG_MODE_ENFORCE,
	SG_MODE_WARN,
	SG_MODE_OFF
} SGMode;

typedef enum SGLevel
{
	SG_LEVEL_OFF = 0,
	SG_LEVEL_WARN,
	SG_LEVEL_ERROR
} SGLevel;

extern int	sg_mode;
extern int	sg_lock_timeout_ms;
extern bool sg_changelog_enabled;
extern char *sg_migration;
extern char *sg_exempt_string;
extern char *sg_disposable_databases;
extern bool sg_message_details;
extern char *sg_docs_url;
extern int	sg_table_size_threshold_kb;
extern bool sg_assume_large_tables;
extern int	sg_recent_scan_window_s;

extern void sg_define_settings(void);
extern SGLevel sg_rule_level(int rule_index);
extern bool sg_split_list(const char *value, const char *setting, List **items);

/* governed exceptions: schemaguard.allow and allowable_rules (allow.c) */
#define SG_MAX_RULES 64
extern char *sg_allow_string;
extern char *sg_allowable_string;
extern bool sg_check_allow(char **newval, void **extra, GucSource source);
extern void sg_assign_allow(const char *newval, void *extra);
extern bool sg_check_allowable(char **newval, void **extra, GucSource source);
extern void sg_assign_allowable(const char *newval, void *extra);
extern bool sg_rule_allowed(int rule_index, bool no_xact_block);
extern const char *sg_allow_ignored(int rule_index, bool no_xact_block);
extern void sg_allow_check_utility(Node *stmt);
extern const char *sg_level_name(SGLevel level);

/* ----------------------------------------------------------------
 * Relation facts (relinfo.c)
 * ----------------------------------------------------------------
 */
typedef struct SGRelInfo
{
	Oid			relid;
	char	   *nspname;
	char	   *relname;
	char	   *display;		/* "schema.name", for messages */
	char	   *qualified;		/* quoted schema.name, for recipes */
	char		relkind;
	char		relpersistence;
	bool		created_in_xact;	/* created in the current transaction */
	bool		size_known;		/* bytes/reltuples have been measured */
	int64		bytes;			/* heap size (sum of partitions) */
	double		reltuples;		/* row estimate, -1 if never estimated */
	int			npartitions;	/* leaf partitions measured, if partitioned */
	int			has_rows;		/* -1 unknown, 0 empty, 1 has visible rows */
	bool		may_read;		/* the current role may see its rows */
	char		citus_kind;		/* SG_CITUS_*: a Citus table (citus.c) */
	const char *citus_size_unknown; /* why Citus could not tell its size */
} SGRelInfo;

/* what kind of Citus table a relation is (citus.c) */
#define SG_CITUS_NONE			'\0'
#define SG_CITUS_DISTRIBUTED	'd'
#define SG_CITUS_REFERENCE		'r'
#define SG_CITUS_LOCAL			'l'

/* ----------------------------------------------------------------
 * Evaluation context (engine.c)
 * ----------------------------------------------------------------
 */
typedef struct SGRule SGRule;

typedef struct SGViolation
{
	int			rule_index;
	SGLevel		level;			/* effective level, after mode */
	bool		allowed;		/* let through by schemaguard.allow */
	char	   *object;			/* display name of the object */
	char	   *message;		/* primary message, with prefix */
	char	   *detail;
	char	   *hint;
	char	   *schema_name;	/* for errtable/errtablecol, may be NULL */
	char	   *table_name;
	char	   *column_name;
	char	   *datatype_name;
} SGViolation;

typedef struct SGContext
{
	const char *query;			/* source text holding the statement */
	int			stmt_location;	/* statement start in query, bytes */
	int			stmt_len;		/* statement length, 0 = rest of string */
	ProcessUtilityContext putil_context;
	bool		dry_run;		/* from check(): nothing will execute */
	bool		no_xact_block;	/* statement cannot run in a transaction
								 * block: allow with SET, not SET LOCAL */
	List	   *created_rels;	/* check(): RangeVars created by the script */
	List	   *script;			/* check(): every RawStmt of the script */
	AclMode		acl_any;		/* besides ownership, any of these privileges
								 * lets the statement act on a relation */
	bool		privileges_checked; /* the server has checked them already */

	/* private to the engine */
	const SGRule *rule;			/* rule being evaluated */
	int			rule_index;
	List	   *violations;		/* SGViolation * */
	List	   *relcache;		/* SGRelInfo *, measured this statement */
} SGContext;

typedef enum SGFamily
{
	SG_FAMILY_LOCK,				/* lock and rewrite hazards, size-aware */
	SG_FAMILY_COMPAT,			/* breaks running application code */
	SG_FAMILY_DATALOSS,			/* loses data */
	SG_FAMILY_ADVICE			/* type choices */
} SGFamily;

typedef void (*SGCheckFn) (SGContext *ctx, Node *stmt);

#define SG_MAX_RULE_TAGS 24

/*
 * A guard rule.  Rules are data: one row in sg_rules (engine.c) with its
 * check function.  The engine calls the check only for statements whose
 * node tag matches and only when the rule's level is not "off".
 */
struct SGRule
{
	const char *name;
	SGFamily	family;
	SGLevel		default_level;
	NodeTag		tags[SG_MAX_RULE_TAGS];	/* statement node types the check
										 * examines; {T_Invalid}: every
										 * statement that takes a lock */
	SGCheckFn	check;			/* NULL: judged outside the utility hook */
	const char *description;
};

extern const SGRule sg_rules[];
extern const int sg_num_rules;

extern int	sg_rule_index(const char *name);
extern const char *sg_family_name(SGFamily family);
extern char *sg_rule_doc(const SGRule *rule);
extern bool sg_statement_has_rules(Node *parsetree);
extern void sg_context_init(SGContext *ctx, const char *query,
							int stmt_location, int stmt_len,
							ProcessUtilityContext putil_context);
extern void sg_evaluate(SGContext *ctx, Node *parsetree);
extern bool sg_context_set_rule(SGContext *ctx, const char *name);
extern void sg_raise_violations(SGContext *ctx);

/*
 * Reporting a violation from a rule check.  "what" is the primary message
 * after the "schemaguard: <rule>: " prefix; "lockmode" the lock the
 * statement takes on "ri" (NoLock to leave it out); "extra_detail" and
 * "recipe" may be NULL.
 */
extern void sg_report(SGContext *ctx, SGRelInfo *ri, const char *column,
					  LOCKMODE lockmode, const char *what,
					  const char *extra_detail, const char *recipe);
extern void sg_report_object(SGContext *ctx, const char *object,
							 const char *what, const char *detail,
							 const char *recipe);
extern void sg_report_column_object(SGContext *ctx, const char *schema,
									const char *table, const char *column,
									const char *object, const char *what,
									const char *detail, const char *recipe);
extern SGViolation *sg_last_violation(SGContext *ctx);
extern void sg_escalate_last(SGContext *ctx);
extern bool sg_context_use_rule(SGContext *ctx, const char *name);
extern void sg_report_escalated(SGContext *ctx, SGRelInfo *ri,
								const char *column, LOCKMODE lockmode,
								const char *what, const char *extra_detail,
								const char *recipe);

/* relation facts (relinfo.c) */
extern SGRelInfo *sg_relinfo_rv(SGContext *ctx, RangeVar *rv);
extern SGRelInfo *sg_relinfo_oid(SGContext *ctx, Oid relid);
extern bool sg_rel_exempt(SGContext *ctx, SGRelInfo *ri);
extern bool sg_rel_is_large(SGContext *ctx, SGRelInfo *ri);
extern bool sg_rel_has_rows(SGContext *ctx, SGRelInfo *ri);
extern bool sg_column_has_values(SGContext *ctx, SGRelInfo *ri, const char *column);
extern bool sg_add_column_skipped(Oid relid, AlterTableCmd *cmd);
extern List *sg_move_all_relids(AlterTableMoveAllStmt *stmt);
extern List *sg_relids_where(bool (*pred) (Form_pg_class form, void *arg), void *arg);
extern SGRelInfo *sg_largest_large_rel(SGContext *ctx, List *relids,
									   int *nconsidered);
extern char *sg_rel_size_text(SGContext *ctx, SGRelInfo *ri);
extern bool sg_object_created_in_xact(Oid classid, Oid objid);

/* expressions judged without evaluating them (exprsafe.c) */
extern Node *sg_expr_simplify(Node *expr);
extern bool sg_expr_volatile(Node *expr);
extern bool sg_constraint_implied(Relation rel, List *test, bool with_not_null);

/* statement text helpers (sqltext.c) */
extern int	sg_statement_first_token(const char *script, int location, int len);
extern char *sg_statement_text(SGContext *ctx);
extern char *sg_insert_after_keyword(SGContext *ctx, const char *keyword,
									 const char *insertion);
extern char *sg_text_after_name(SGContext *ctx, int name_location);
extern char *sg_text_clause(SGContext *ctx, int location);
extern bool sg_split_column_constraint(SGContext *ctx, ColumnDef *def,
									   Constraint *con, char **column,
									   char **constraint);
extern char *sg_text_before_keyword(const char *text, const char *keyword,
									const char *insertion);
extern char *sg_redact_string_literals(const char *text);
extern char *sg_text_with_type(SGContext *ctx, int type_location,
							   const char *replacement);
extern char *sg_check_def_on_column(const char *def, const char *col,
									 const char *newcol);
extern char *sg_index_def_on_column(const char *def, const char *col,
									 const char *newcol, const char *newindex);
extern char *sg_cut_statement(const char *query, int location, int len);
typedef struct SGLongName
{
	char	   *written;		/* the name as written, folded */
	char	   *stored;			/* truncated, as the server stores it */
} SGLongName;
extern char *sg_text_long_names(SGContext *ctx, List **names);
extern const char *sg_lock_name(LOCKMODE mode);
extern const char *sg_lock_blocks(LOCKMODE mode);

/* lines that recipes share (recipe.c) */
extern char *sg_shell_word(const char *s);
extern char *sg_database_word(void);
extern char *sg_recipe_allowed(SGContext *ctx, const char *sql, bool brief);
extern char *sg_recipe_allowed_with(SGContext *ctx, const char *also,
									const char *sql, bool brief);
extern char *sg_recipe_dump_line(SGRelInfo *ri, bool data_only);
extern char *sg_recipe_copy_column_line(SGRelInfo *ri, const char *column);
extern char *sg_column_list(Oid relid);
extern void sg_append_backfill(StringInfo buf, SGRelInfo *ri, const char *column,
							   const char *set_clause, const char *where_clause);

/* helpers shared by the rule checks (rules_lock.c) */
extern const char *sg_relkind_word(char relkind);
extern Constraint *sg_coldef_constraint(ColumnDef *def, ConstrType type);
extern bool sg_coldef_is_serial(ColumnDef *def);
extern Node *sg_coldef_raw_default(ColumnDef *def);
extern bool sg_coldef_type(ColumnDef *def, Oid *typid, int32 *typmod);
extern char *sg_coldef_type_text(ColumnDef *def);
extern void sg_append_not_null_recipe(StringInfo buf, SGRelInfo *ri,
									  const char *column);
extern SGRelInfo *sg_alter_table_target(SGContext *ctx, AlterTableStmt *ats);
extern char *sg_name_list(List *names, const char *sep, bool quote);
extern char *sg_partitioned_index_recipe(SGContext *ctx, IndexStmt *is,
										 SGRelInfo *ri, const char *rest);
extern SGRelInfo *sg_largest_table_in(SGContext *ctx, Oid nspid, int *ntables);

/* lock levels and schemaguard.lock_timeout (locks.c) */
typedef struct SGStatementLock
{
	LOCKMODE	mode;			/* strongest lock on an existing relation */
	SGRelInfo  *rel;			/* that relation, NULL if none */
} SGStatementLock;

extern bool sg_option_is_true(List *options, const char *name);
extern LOCKMODE sg_strong_lock_held(Oid relid);
extern bool sg_tag_may_lock(NodeTag tag);
extern bool sg_statement_may_lock(Node *stmt);
extern SGStatementLock sg_statement_lock(SGContext *ctx, Node *stmt);
extern bool sg_lock_blocks_traffic(LOCKMODE mode);
extern bool sg_statement_commits_internally(Node *stmt);
extern int	sg_apply_lock_timeout(SGContext *ctx, Node *stmt);

/* the lock queue answered (lockqueue.c) */
extern int	sg_lock_retries;
extern int	sg_lock_retry_delay_ms;
extern char *sg_lock_queue_detail(Oid relid, LOCKMODE mode, TimestampTz since,
								  bool waits_for_lockers);
extern char *sg_xact_strong_lock_text(void);
extern int	sg_lock_retry_pause_ms(int retry);
extern void sg_lock_retry_sleep(int ms);
typedef struct SGLeftovers
{
	Oid			table;			/* CREATE INDEX / REINDEX ... CONCURRENTLY */
	List	   *indexes_before; /* the table's indexes before it ran */
	List	   *dropped;		/* DROP INDEX CONCURRENTLY: the indexes */
	Oid			parent;			/* DETACH PARTITION ... CONCURRENTLY */
	Oid			partition;
} SGLeftovers;

extern Oid	sg_concurrent_leftovers_init(SGLeftovers *lo, Node *stmt);
extern char *sg_concurrent_leftovers_hint(SGLeftovers *lo);

/* table rewrites (rules_rewrite.c) */
extern void sg_rewrite_reset(void);
extern void sg_rewrite_predict(SGContext *ctx, Node *stmt);

/* the changelog (changelog.c) */
typedef struct SGStatementFrame
{
	struct SGStatementFrame *parent;
	TimestampTz recorded_at;	/* statement start */
	StringInfo	objects;		/* JSON objects, comma-separated */
	MemoryContext cxt;			/* lives as long as the statement */
	bool		collect_created;	/* no event trigger fires: note creations */
	List	   *created_relids; /* relations the statement created */
} SGStatementFrame;

extern void sg_changelog_object_access(ObjectAccessType access, Oid classId,
									   Oid objectId, int subId, void *arg);

/* the data-loss rules on what the server drops (dropnet.c) */
typedef struct SGDropStatement
{
	Node	   *stmt;			/* the statement (its command tag, when needed) */
	const char *query;			/* source text holding the statement */
	int			location;
	int			len;
	int			njudged;		/* judged drops before it started */
	int			npending;		/* pending drops before it started */
	SubTransactionId subid;		/* where it started */
} SGDropStatement;

extern void sg_drop_reset(void);
extern void sg_drop_enter(Node *stmt, const char *query, int location,
						  int len, SGDropStatement *saved);
extern void sg_drop_leave(SGDropStatement *saved);
extern void sg_drop_judged(SGContext *ctx, Oid relid, const char *column);
extern void sg_drop_judged_object(SGContext *ctx, Oid classid, Oid objid);
extern void sg_drop_finish(void);
extern void sg_drop_subxact_abort(SubTransactionId subid);
extern void sg_drop_take_results(List **allowed, List **warnings);
extern void sg_drop_object_access(ObjectAccessType access, Oid classId,
								  Oid objectId, int subId, void *arg);

extern bool sg_changelog_begin(SGStatementFrame *frame, Node *stmt,
							   ProcessUtilityContext context);
extern void sg_changelog_abandon(SGStatementFrame *frame);
extern void sg_changelog_end(SGStatementFrame *frame, PlannedStmt *pstmt,
							 const char *queryString, List *allowed_rules,
							 List *warnings);
extern void sg_changelog_subxact(SubXactEvent event, SubTransactionId mySubid,
								 SubTransactionId parentSubid);
extern void sg_changelog_xact(XactEvent event);

/* one changelog row before it is chained (changelog.c) */
typedef struct SGChainRow
{
	TimestampTz recorded_at;	/* statement start */
	FullTransactionId fxid;		/* the top transaction */
	const char *role_name;
	const char *session_role;
	const char *application_name;	/* or NULL */
	Datum		client_addr;	/* inet, if have_addr */
	bool		have_addr;
	const char *command_tag;
	const char *objects;		/* jsonb text */
	const char *statement;
	const char *migration;		/* or NULL */
	const char *allowed_rules;	/* text[] literal */
	const char *warnings;		/* text[] literal */
} SGChainRow;

/* writing schemaguard's tables as the bootstrap superuser (changelog.c) */
typedef struct SGWriter
{
	Oid			save_userid;
	int			save_sec_context;
	int			nestlevel;
	bool		save_read_only;
} SGWriter;

/* the chain, locked, and its head */
typedef struct SGChain
{
	Oid			relid;
	int64		id;				/* of the head; 0 when empty */
	char	   *prev_hash;		/* entry_hash of the head */
} SGChain;

extern void sg_writer_begin(SGWriter *w);
extern void sg_writer_end(SGWriter *w);
extern void sg_writer_after_error(void);
extern bool sg_chain_lock(SGChain *chain, Oid relid, bool wait);
extern void sg_chain_append(SGChain *chain, const SGChainRow *row);

/* the extension's version in this database (lifecycle.c) */
typedef enum SGExtVersion
{
	SG_EXT_0_1_0,
	SG_EXT_0_2_0
} SGExtVersion;

typedef struct SGTarget
{
	SGExtVersion version;
	const char *extversion;
	Oid			changelog_relid;
	Oid			pending_relid;	/* from 0.2.0 on; else InvalidOid */
} SGTarget;

extern bool sg_changelog_target(SGTarget *target);
extern void sg_warn_prepared_not_recorded(const SGTarget *target, int entries);

/* prepared transactions' entries (changelog_prepared.c) */
extern void sg_prepared_write(List *rows);
extern int64 sg_prepared_chain(SGChain *chain);
extern void sg_prepared_after_commit_prepared(void);

/* migration ids from the tools' history tables (migration_id.c) */
extern List *sg_migration_rows(void);
extern const char *sg_migration_id_at(List *rows, CommandId cid);
extern bool sg_is_tool_history_table(const char *schema, const char *table);

/* exemptions of warnings and name patterns (exempt.c) */
extern bool sg_check_exempt(char **newval, void **extra, GucSource source);
extern bool sg_name_matches(const char *pattern, const char *name);
extern bool sg_name_in_patterns(const char *patterns, const char *name);
extern void sg_drop_exempt(SGContext *ctx);

/* the hook (schemaguard.c) */
extern bool sg_guard_active(void);

/* schemaguard on Citus (citus.c) */
extern char *sg_citus_metadata_schema;
extern void sg_citus_init(void);
extern void sg_citus_xact_end(void);
extern bool sg_citus_in_own_statement(void);
extern bool sg_citus_active(void);
extern void sg_citus_set_cached_only(bool on);
extern bool sg_citus_own_statement(Node *stmt, ProcessUtilityContext context);
extern void sg_citus_own_enter(void);
extern void sg_citus_own_leave(void);
extern bool sg_citus_measure(SGRelInfo *ri);
extern const char *sg_citus_kind_name(char kind);
extern bool sg_rel_is_citus(SGRelInfo *ri);

/* rule checks: lock and rewrite hazards (rules_lock.c, rules_rewrite.c,
 * rules_constraint.c, rules_maint.c) */
extern void sg_check_index_not_concurrent(SGContext *ctx, Node *stmt);
extern void sg_check_invalid_index_left(SGContext *ctx, Node *stmt);
extern void sg_check_scan_while_locked(SGContext *ctx, Node *stmt);
extern void sg_check_alter_domain(SGContext *ctx, AlterDomainStmt *ads, bool not_null);
extern void sg_check_lock_table_no_timeout(SGContext *ctx, Node *stmt);

/* the transaction's locks and the executor-side rule (rules_xact.c) */
struct QueryDesc;
extern void sg_xact_note_lock(Oid relid, const char *taken_by);
extern void sg_xact_reset(void);
extern bool sg_utility_runs_own_queries(Node *stmt);
extern void sg_utility_enter(void);
extern void sg_utility_leave(void);
extern bool sg_xact_holds_noted_locks(void);
extern void sg_check_query_while_locked(struct QueryDesc *qd);
extern void sg_check_drop_index_not_concurrent(SGContext *ctx, Node *stmt);
extern void sg_check_reindex_not_concurrent(SGContext *ctx, Node *stmt);
extern void sg_check_add_column_not_null_no_default(SGContext *ctx, Node *stmt);
extern void sg_check_set_not_null(SGContext *ctx, Node *stmt);
extern void sg_check_add_column_volatile_default(SGContext *ctx, Node *stmt);
extern void sg_check_alter_column_type(SGContext *ctx, Node *stmt);
extern void sg_check_table_rewrite(SGContext *ctx, Node *stmt);
extern void sg_check_add_foreign_key_validated(SGContext *ctx, Node *stmt);
extern void sg_check_add_check_validated(SGContext *ctx, Node *stmt);
extern void sg_check_add_unique_constraint(SGContext *ctx, Node *stmt);
extern void sg_check_attach_partition_scan(SGContext *ctx, Node *stmt);
extern void sg_check_detach_partition_not_concurrent(SGContext *ctx, Node *stmt);
extern void sg_check_refresh_matview_not_concurrent(SGContext *ctx, Node *stmt);
extern void sg_check_vacuum_full(SGContext *ctx, Node *stmt);
extern void sg_check_cluster(SGContext *ctx, Node *stmt);
extern void sg_check_missing_lock_timeout(SGContext *ctx, Node *stmt);

/* rule checks: application compatibility (rules_compat.c) */
extern void sg_check_rename_column(SGContext *ctx, Node *stmt);
extern void sg_check_rename_relation(SGContext *ctx, Node *stmt);
extern void sg_check_rename_schema(SGContext *ctx, Node *stmt);
extern void sg_check_rename_enum_value(SGContext *ctx, Node *stmt);

/* rule checks: dropping what running code uses (rules_compat_drop.c) */
extern void sg_check_drop_view(SGContext *ctx, Node *stmt);
extern void sg_check_drop_function(SGContext *ctx, Node *stmt);
extern void sg_check_drop_type(SGContext *ctx, Node *stmt);
extern void sg_check_drop_trigger(SGContext *ctx, Node *stmt);
extern void sg_check_drop_default(SGContext *ctx, Node *stmt);
extern void sg_check_drop_not_null(SGContext *ctx, Node *stmt);
extern void sg_check_drop_empty_table(SGContext *ctx, Node *stmt);
extern void sg_check_drop_empty_column(SGContext *ctx, Node *stmt);

/* a trigger or default the drop net judges once the statement has run */
typedef struct SGPendingDrop
{
	Oid			classid;		/* pg_trigger or pg_attrdef */
	Oid			objid;
	Oid			relid;			/* its table */
	AttrNumber	attnum;			/* a default's column */
	char	   *name;			/* the trigger, or the default's column */
	char	   *extra;			/* the trigger's function, or the default */
	bool		notnull;		/* a default's column is NOT NULL */
	SubTransactionId subid;		/* forgotten when it aborts */
} SGPendingDrop;

extern void sg_compat_net_relation(SGContext *ctx, SGRelInfo *ri,
								   const char *column, const char *tag);
extern void sg_compat_net_object(SGContext *ctx, Oid classId, Oid objectId,
								 const char *tag);
extern bool sg_compat_net_capture(Oid classId, Oid objectId, SGPendingDrop *p);
extern void sg_compat_net_pending(SGContext *ctx, SGPendingDrop *p,
								  const char *tag);

/* rule checks: data loss (rules_dataloss.c) */
extern void sg_check_drop_table(SGContext *ctx, Node *stmt);

typedef struct SGDroppedTable
{
	SGRelInfo  *ri;
	const char *via;			/* message prefix naming the schema, or NULL */
} SGDroppedTable;

extern List *sg_drop_stmt_tables(SGContext *ctx, DropStmt *ds);
extern void sg_check_drop_column(SGContext *ctx, Node *stmt);
extern void sg_check_drop_database(SGContext *ctx, Node *stmt);
extern void sg_check_truncate(SGContext *ctx, Node *stmt);

/* rule checks: type choices (rules_advice.c) */
extern void sg_check_prefer_bigint_pk(SGContext *ctx, Node *stmt);
extern void sg_check_prefer_timestamptz(SGContext *ctx, Node *stmt);
extern void sg_check_prefer_text(SGContext *ctx, Node *stmt);
extern void sg_check_ban_char(SGContext *ctx, Node *stmt);
extern void sg_check_prefer_identity(SGContext *ctx, Node *stmt);
extern void sg_check_prefer_jsonb(SGContext *ctx, Node *stmt);
extern void sg_check_prefer_bigint_id(SGContext *ctx, Node *stmt);

/* identifiers the server truncates (rules_advice_names.c) */
extern void sg_check_identifier_too_long(SGContext *ctx, Node *stmt);

/* foreign keys without an index, judged at pre-commit (rules_advice_fk.c) */
extern void sg_check_foreign_key_without_index(SGContext *ctx, Node *stmt);
extern void sg_fk_object_access(ObjectAccessType access, Oid classId,
								Oid objectId, int subId, void *arg);
extern void sg_fk_xact(XactEvent event);

#endif							/* SCHEMAGUARD_H */
