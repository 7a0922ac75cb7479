/*-------------------------------------------------------------------------
 *
 * sqltext.c
 *		Helpers that turn the user's own statement text into a safe recipe
 *		(e.g. the same CREATE INDEX with CONCURRENTLY), using the server's
 *		SQL scanner rather than string matching, and the wording of lock
 *		levels in messages.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/keywords.h"
#include "parser/scanner.h"
#include "parser/scansup.h"
#include "storage/lockdefs.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/memutils.h"

#include "schemaguard.h"

typedef struct SGToken
{
	int			token;
	int			start;			/* offset in the statement text */
} SGToken;

/*
 * How many characters of blanks and comments ("--" to the end of the line,
 * and C-style block comments, which nest) text starts with, looking at no
 * more than len characters.
 */
static int
sg_leading_noise(const char *text, int len)
{
	int			i = 0;

	while (i < len)
	{
		if (isspace((unsigned char) text[i]))
			i++;
		else if (i + 1 < len && text[i] == '-' && text[i + 1] == '-')
		{
			while (i < len && text[i] != '\n')
				i++;
		}
		else if (i + 1 < len && text[i] == '/' && text[i + 1] == '*')
		{
			int			depth = 1;
			int			j = i + 2;

			while (j < len && depth > 0)
			{
				if (j + 1 < len && text[j] == '/' && text[j + 1] == '*')
				{
					depth++;
					j += 2;
				}
				else if (j + 1 < len && text[j] == '*' && text[j + 1] == '/')
				{
					depth--;
					j += 2;
				}
				else
					j++;
			}
			if (depth > 0)
				break;			/* not a complete comment: keep it */
			i = j;
		}
		else
			break;
	}
	return i;
}

/*
 * Where the statement's own text starts in the source string: after the
 * blanks and comments before it.  (Where a statement of a multi-statement
 * string starts, comments before it count as its text up to PostgreSQL 17
 * and not from 18 on: without them, it is the same text on every version.)
 * *len is set to the length of the rest of the statement.
 */
static const char *
sg_statement_start(SGContext *ctx, int *len)
{
	const char *start = ctx->query;
	int			skip;

	if (ctx->stmt_location > 0)
		start += ctx->stmt_location;
	*len = (ctx->stmt_len > 0) ? ctx->stmt_len : (int) strlen(start);
	skip = sg_leading_noise(start, *len);
	*len -= skip;
	return start + skip;
}

/*
 * Where a statement of a script starts, as an offset in the script: its
 * first token, after the blanks and comments before it.  location and len
 * as in RawStmt (len 0: to the end of the script).
 */
int
sg_statement_first_token(const char *script, int location, int len)
{
	int			start = location > 0 ? location : 0;

	if (len <= 0)
		len = (int) strlen(script + start);
	return start + sg_leading_noise(script + start, len);
}

/*
 * The statement's own text, without surrounding blanks, comments before it
 * or the final semicolon.  NULL when the source text is not available.
 */
char *
sg_statement_text(SGContext *ctx)
{
	const char *start;
	int			len;

	if (ctx->query == NULL)
		return NULL;
	start = sg_statement_start(ctx, &len);
	while (len > 0 && (isspace((unsigned char) start[len - 1]) ||
					   start[len - 1] == ';'))
		len--;
	return pnstrdup(start, len);
}

/*
 * Split text into tokens with the server's own scanner, with string
 * literals read as standard-conforming or not.  False if the scanner
 * rejects the text.
 *
 * The scanner raises an ERROR on text it cannot read.  The text has been
 * parsed, but maybe under other settings: a multi-statement string is
 * parsed before its SET standard_conforming_strings runs.  So its errors
 * are caught here, without a subtransaction: the scanner takes no lock,
 * buffer or other resource, only memory, which lives in a context of its
 * own.  Only the scanner's own kinds of error (syntax errors, data
 * exceptions such as a bad escape, and Unicode escapes in a string that
 * does not conform) are caught; anything else, such as running out of
 * memory, is raised again.
 */
static bool
sg_scan(const char *text, bool conforming, int *ntokens, SGToken **tokens)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext scancxt = AllocSetContextCreate(caller, "schemaguard scan",
												  ALLOCSET_SMALL_SIZES);
	volatile int n = 0;
	volatile int cap = 32;
	SGToken    *volatile toks = MemoryContextAlloc(caller, sizeof(SGToken) * cap);
	volatile bool ok = true;
	int			save_client_min_messages = client_min_messages;

	/*
	 * The scanner truncates a name longer than NAMEDATALEN - 1 with a NOTICE,
	 * which the client saw when the statement was parsed: not again.
	 */
	if (client_min_messages < WARNING)
		client_min_messages = WARNING;
	MemoryContextSwitchTo(scancxt);
	PG_TRY();
	{
		core_yyscan_t scanner;
		core_yy_extra_type yyextra;
		core_YYSTYPE yylval;
		YYLTYPE		yylloc;

		scanner = scanner_init(text, &yyextra, &ScanKeywords, ScanKeywordTokens);
		SG_SCANNER_SET(&yyextra, conforming);
		for (;;)
		{
			int			tok = core_yylex(&yylval, &yylloc, scanner);

			if (tok == 0)
				break;
			if (n == cap)
			{
				cap *= 2;
				toks = repalloc(toks, sizeof(SGToken) * cap);
			}
			toks[n].token = tok;
			toks[n].start = yylloc;
			n++;
		}
		scanner_finish(scanner);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		client_min_messages = save_client_min_messages;
		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		if (edata->elevel != ERROR ||
			(ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION &&
			 ERRCODE_TO_CATEGORY(edata->sqlerrcode) != ERRCODE_DATA_EXCEPTION &&
			 edata->sqlerrcode != ERRCODE_FEATURE_NOT_SUPPORTED) ||
			edata->sqlerrcode == ERRCODE_INSUFFICIENT_PRIVILEGE)
			PG_RE_THROW();
		FlushErrorState();
		FreeErrorData(edata);
		ok = false;
	}
	PG_END_TRY();
	client_min_messages = save_client_min_messages;
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(scancxt);

	if (!ok)
	{
		pfree(toks);
		return false;
	}
	*ntokens = n;
	*tokens = toks;
	return true;
}

/*
 * The statement's tokens, read first as the session's settings say and
 * then, if the scanner rejects that, the other way.  False if neither way
 * reads the text: the callers then fall back to a generic recipe.
 */
static bool
sg_tokenize(const char *text, int *ntokens, SGToken **tokens)
{
	for (int i = 0; i < SG_SCANNER_SETTINGS; i++)
	{
		bool		conforming = (i == 0) == SG_CONFORMING_STRINGS;

		if (sg_scan(text, conforming, ntokens, tokens))
			return true;
	}
	return false;
}

static int
sg_keyword_token(const char *keyword)
{
	int			kwnum = ScanKeywordLookup(keyword, &ScanKeywords);

	return (kwnum >= 0) ? ScanKeywordTokens[kwnum] : -1;
}

/*
 * The statement with "insertion" placed right after the first occurrence
 * of the keyword, e.g. "CREATE INDEX" -> "CREATE INDEX CONCURRENTLY".
 * NULL when the text is unavailable or has no such keyword.
 */
char *
sg_insert_after_keyword(SGContext *ctx, const char *keyword,
						const char *insertion)
{
	char	   *text = sg_statement_text(ctx);
	int			want = sg_keyword_token(keyword);
	int			ntok;
	SGToken    *toks;
	int			i;

	if (text == NULL || want < 0 || !sg_tokenize(text, &ntok, &toks))
		return NULL;
	for (i = 0; i < ntok; i++)
	{
		if (toks[i].token == want)
		{
			int			end = toks[i].start + strlen(keyword);

			return psprintf("%.*s%s%s", end, text, insertion, text + end);
		}
	}
	return NULL;
}

static bool
sg_is_name_start(char c)
{
	return isalpha((unsigned char) c) || c == '_' || c == '"' ||
		IS_HIGHBIT_SET(c);
}

/*
 * Tokenize the statement and find the token that starts at "location" (an
 * offset in the whole source string).  Returns the token's index, or -1.
 */
static int
sg_token_at(SGContext *ctx, int location, char **text, int *ntok,
			SGToken **toks)
{
	int			len;
	int			offset;
	int			i;

	*text = sg_statement_text(ctx);
	if (*text == NULL || location < 0)
		return -1;

	offset = (ctx->query + location) - sg_statement_start(ctx, &len);
	if (offset < 0 || offset >= (int) strlen(*text))
		return -1;

	if (!sg_tokenize(*text, ntok, toks))
		return -1;
	for (i = 0; i < *ntok && (*toks)[i].start < offset; i++)
		;
	if (i >= *ntok || (*toks)[i].start != offset)
		return -1;
	return i;
}

/* trim blanks at both ends of text[start, end) and copy it */
static char *
sg_trimmed(const char *text, int start, int end)
{
	while (start < end && isspace((unsigned char) text[start]))
		start++;
	while (end > start && isspace((unsigned char) text[end - 1]))
		end--;
	return pnstrdup(text + start, end - start);
}

static bool
sg_is_constraint_attr(Node *node)
{
	if (!IsA(node, Constraint))
		return false;
	switch (((Constraint *) node)->contype)
	{
		case CONSTR_ATTR_DEFERRABLE:
		case CONSTR_ATTR_NOT_DEFERRABLE:
		case CONSTR_ATTR_DEFERRED:
		case CONSTR_ATTR_IMMEDIATE:
			return true;
		default:
			return SG_CONSTR_IS_ENFORCEMENT_ATTR((Constraint *) node);
	}
}

/*
 * An ADD COLUMN's column definition split in two, both cut from the
 * statement's text at the locations the parser recorded: the column as
 * written without one of its constraints (and the DEFERRABLE / INITIALLY
 * clauses that follow that constraint), and the constraint's own text.
 * False if the text cannot be cut so.
 */
bool
sg_split_column_constraint(SGContext *ctx, ColumnDef *def, Constraint *con,
						   char **column, char **constraint)
{
	char	   *text;
	int			ntok;
	SGToken    *toks;
	int			i = sg_token_at(ctx, def->location, &text, &ntok, &toks);
	int			start;
	int			end;
	int			depth = 0;
	int			textstart;
	int			len;
	int			ms = -1;
	int			me;
	ListCell   *lc;
	bool		after = false;

	if (i < 0 || con->location < 0)
		return false;
	start = toks[i].start;
	/* the definition ends at the next comma outside parentheses and brackets */
	for (end = -1; i < ntok && end < 0; i++)
	{
		if (toks[i].token == '(' || toks[i].token == '[')
			depth++;
		else if (toks[i].token == ')' || toks[i].token == ']')
			depth--;
		else if (toks[i].token == ',' && depth == 0)
			end = toks[i].start;
	}
	if (end < 0)
		end = strlen(text);

	/* the constraint runs to the next clause that is not its attribute */
	textstart = sg_statement_start(ctx, &len) - ctx->query;
	me = end;
	foreach(lc, def->constraints)
	{
		Node	   *item = lfirst(lc);
		int			off;

		if (!IsA(item, Constraint) || ((Constraint *) item)->location < 0)
			return false;
		off = ((Constraint *) item)->location - textstart;
		if (off < start || off >= end)
			return false;
		if ((Constraint *) item == con)
		{
			ms = off;
			after = true;
		}
		else if (after && !sg_is_constraint_attr(item))
		{
			if (off > ms && off < me)
				me = off;
			after = false;
		}
	}
	if (def->collClause != NULL && def->collClause->location - textstart > ms &&
		def->collClause->location - textstart < me)
		me = def->collClause->location - textstart;
	if (ms < 0)
		return false;

	*constraint = sg_trimmed(text, ms, me);
	*column = psprintf("%s%s%s", sg_trimmed(text, start, ms),
					   me < end ? " " : "", me < end ? sg_trimmed(text, me, end) : "");
	return true;
}

/*
 * text with insertion placed before the first occurrence of the keyword
 * (e.g. "FOREIGN KEY (c) " before REFERENCES), or NULL.
 */
char *
sg_text_before_keyword(const char *text, const char *keyword,
					   const char *insertion)
{
	int			want = sg_keyword_token(keyword);
	int			ntok;
	SGToken    *toks;

	if (want < 0 || !sg_tokenize(text, &ntok, &toks))
		return NULL;
	for (int i = 0; i < ntok; i++)
	{
		if (toks[i].token == want)
			return psprintf("%.*s%s%s", toks[i].start, text, insertion,
							text + toks[i].start);
	}
	return NULL;
}

/*
 * The rest of the statement after a (possibly qualified) name that starts
 * at name_location in the source text, e.g. "USING btree (a, b)" after
 * "CREATE INDEX i ON public.t".  NULL if it cannot be found.
 */
char *
sg_text_after_name(SGContext *ctx, int name_location)
{
	char	   *text;
	int			ntok;
	SGToken    *toks;
	int			i = sg_token_at(ctx, name_location, &text, &ntok, &toks);

	if (i < 0)
		return NULL;

	/* name ( '.' name )* */
	for (;;)
	{
		if (i >= ntok || !sg_is_name_start(text[toks[i].start]))
			return NULL;
		i++;
		if (i < ntok && toks[i].token == '.')
			i++;
		else
			break;
	}
	if (i >= ntok)
		return pstrdup("");
	return pstrdup(text + toks[i].start);
}

const char *
sg_lock_name(LOCKMODE mode)
{
	switch (mode)
	{
		case AccessShareLock:
			return "ACCESS SHARE";
		case RowShareLock:
			return "ROW SHARE";
		case RowExclusiveLock:
			return "ROW EXCLUSIVE";
		case ShareUpdateExclusiveLock:
			return "SHARE UPDATE EXCLUSIVE";
		case ShareLock:
			return "SHARE";
		case ShareRowExclusiveLock:
			return "SHARE ROW EXCLUSIVE";
		case ExclusiveLock:
			return "EXCLUSIVE";
		case AccessExclusiveLock:
			return "ACCESS EXCLUSIVE";
	}
	return "unknown";
}

/*
 * What other sessions cannot do while the lock is held.
 */
const char *
sg_lock_blocks(LOCKMODE mode)
{
	switch (mode)
	{
		case ShareUpdateExclusiveLock:
			return "other schema changes, VACUUM and ANALYZE";
		case ShareLock:
		case ShareRowExclusiveLock:
			return "INSERT, UPDATE and DELETE";
		case ExclusiveLock:
			return "every write; only plain reads continue";
		case AccessExclusiveLock:
			return "every read and write";
		default:
			return "conflicting statements";
	}
}

/*
 * The text of one clause of the statement starting at "location" (in the
 * whole source string) up to the next comma outside parentheses, or the
 * end of the statement: e.g. one "ADD CONSTRAINT ..." of an ALTER TABLE.
 * NULL if it cannot be found.
 */
char *
sg_text_clause(SGContext *ctx, int location)
{
	char	   *text;
	int			ntok;
	SGToken    *toks;
	int			depth = 0;
	int			offset;
	int			i = sg_token_at(ctx, location, &text, &ntok, &toks);

	if (i < 0)
		return NULL;
	offset = toks[i].start;
	for (; i < ntok; i++)
	{
		if (toks[i].token == '(')
			depth++;
		else if (toks[i].token == ')')
			depth--;
		else if (toks[i].token == ',' && depth == 0)
		{
			int			end = toks[i].start;

			while (end > offset && isspace((unsigned char) text[end - 1]))
				end--;
			return pnstrdup(text + offset, end - offset);
		}
	}
	return pstrdup(text + offset);
}

/*
 * The text with every string literal (quoted, E'', U&'' or dollar-quoted)
 * replaced by '<redacted>', for statements that may carry credentials.
 * The text is read both with standard-conforming strings and without
 * (where the server still has both), and whatever is inside a literal in
 * either reading is redacted: which one the server parsed with is not
 * known here.  NULL if the scanner reads it neither way; the caller then
 * records no text at all.
 */
char *
sg_redact_string_literals(const char *text)
{
	StringInfoData buf;
	int			len = strlen(text);
	bool	   *secret = palloc0(len + 1);
	bool		scanned = false;
	int			i;

	for (int setting = 0; setting < SG_SCANNER_SETTINGS; setting++)
	{
		int			ntok;
		SGToken    *toks;

		if (!sg_scan(text, setting == 0, &ntok, &toks))
			continue;
		scanned = true;
		for (i = 0; i < ntok; i++)
		{
			const char *t = text + toks[i].start;
			int			end;

			if (!(t[0] == '\'' ||
				  ((t[0] == 'E' || t[0] == 'e' || t[0] == 'B' || t[0] == 'b' ||
					t[0] == 'X' || t[0] == 'x' || t[0] == 'N' || t[0] == 'n') && t[1] == '\'') ||
				  ((t[0] == 'U' || t[0] == 'u') && t[1] == '&' && t[2] == '\'') ||
				  (t[0] == '$' && !isdigit((unsigned char) t[1]))))
				continue;
			end = (i + 1 < ntok) ? toks[i + 1].start : len;
			while (end > toks[i].start && isspace((unsigned char) text[end - 1]))
				end--;
			memset(secret + toks[i].start, true, end - toks[i].start);
		}
		pfree(toks);
	}
	if (!scanned)
		return NULL;

	initStringInfo(&buf);
	for (i = 0; i < len;)
	{
		if (!secret[i])
			appendStringInfoChar(&buf, text[i++]);
		else
		{
			appendStringInfoString(&buf, "'<redacted>'");
			while (i < len && secret[i])
				i++;
		}
	}
	pfree(secret);
	return buf.data;
}

/*
 * The statement at (location, len) of a source string, trimmed; the whole
 * string when the location is unknown.
 */
char *
sg_cut_statement(const char *query, int location, int len)
{
	SGContext	ctx;

	sg_context_init(&ctx, query, location, len, PROCESS_UTILITY_TOPLEVEL);
	return sg_statement_text(&ctx);
}

/* the token's text, without the blanks before the next token */
static char *
sg_token_text(const char *text, SGToken *toks, int ntok, int i)
{
	int			end = (i + 1 < ntok) ? toks[i + 1].start : (int) strlen(text);

	return sg_trimmed(text, toks[i].start, end);
}

/* the name a word token stands for: unquoted, or folded to lower case */
static char *
sg_word_name(const char *word)
{
	StringInfoData buf;

	if (word[0] != '"')
		return downcase_identifier(word, strlen(word), false, false);
	initStringInfo(&buf);
	for (const char *p = word + 1; *p; p++)
	{
		if (*p == '"' && p[1] == '"')
			p++;
		else if (*p == '"')
			break;
		appendStringInfoChar(&buf, *p);
	}
	return buf.data;
}

/*
 * Append def, from its token "first" on, with the words that stand for
 * column col replaced by newcol: names that are not qualified or
 * qualifying, not function names, and not an access method, a collation,
 * a type, a tablespace or a storage parameter.  With need_using, only
 * words after USING (the index's access method) count.
 */
static void
sg_append_on_column(StringInfo buf, const char *def, SGToken *toks, int ntok,
					int first, bool need_using, const char *col,
					const char *newcol)
{
	int			copied = toks[first].start;
	bool		counting = !need_using;

	for (int i = first; i < ntok; i++)
	{
		char	   *word = sg_token_text(def, toks, ntok, i);
		char	   *prev = i > 0 ? sg_token_text(def, toks, ntok, i - 1) : "";
		char	   *next = i + 1 < ntok ? sg_token_text(def, toks, ntok, i + 1) : "";

		if (pg_strcasecmp(word, "using") == 0)
			counting = true;
		if (!counting || !sg_is_name_start(word[0]))
			continue;
		if (strcmp(prev, ".") == 0 || strcmp(prev, "::") == 0 ||
			strcmp(next, ".") == 0 || strcmp(next, "(") == 0 ||
			strcmp(next, "=") == 0 ||
			pg_strcasecmp(prev, "using") == 0 ||
			pg_strcasecmp(prev, "collate") == 0 ||
			pg_strcasecmp(prev, "tablespace") == 0)
			continue;
		if (strcmp(sg_word_name(word), col) != 0)
			continue;
		appendBinaryStringInfo(buf, def + copied, toks[i].start - copied);
		appendStringInfoString(buf, quote_identifier(newcol));
		copied = toks[i].start + strlen(word);
	}
	appendStringInfoString(buf, def + copied);
}

/*
 * An index definition as pg_get_indexdef() writes it ("CREATE [UNIQUE]
 * INDEX name ON schema.table USING am (...) ..."), made into the same
 * index built CONCURRENTLY under the name newindex, on column newcol in
 * place of column col.  NULL if the definition cannot be read so.
 */
char *
sg_index_def_on_column(const char *def, const char *col, const char *newcol,
					   const char *newindex)
{
	int			ntok;
	SGToken    *toks;
	StringInfoData buf;
	int			name = -1;

	if (!sg_tokenize(def, &ntok, &toks))
		return NULL;
	for (int i = 0; i < ntok && name < 0; i++)
	{
		if (pg_strcasecmp(sg_token_text(def, toks, ntok, i), "index") == 0)
			name = i + 1;
	}
	if (name <= 0 || name + 1 >= ntok)
		return NULL;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, def, toks[name].start);
	appendStringInfo(&buf, "CONCURRENTLY %s ", quote_identifier(newindex));
	sg_append_on_column(&buf, def, toks, ntok, name + 1, true, col, newcol);
	return buf.data;
}

/*
 * A CHECK constraint's definition as pg_get_constraintdef() writes it, on
 * column newcol in place of column col.  NULL if it cannot be read.
 */
char *
sg_check_def_on_column(const char *def, const char *col, const char *newcol)
{
	int			ntok;
	SGToken    *toks;
	StringInfoData buf;

	if (!sg_tokenize(def, &ntok, &toks) || ntok == 0)
		return NULL;
	initStringInfo(&buf);
	sg_append_on_column(&buf, def, toks, ntok, 0, false, col, newcol);
	return buf.data;
}

/*
 * The statement with the type of one column, written at type_location,
 * replaced by "replacement".  The type's text ends where its column
 * definition goes on: at a comma or closing parenthesis outside its own
 * parentheses and brackets, at a constraint, COLLATE or USING keyword, or
 * at the end of the statement.  NULL if it cannot be found.
 */
char *
sg_text_with_type(SGContext *ctx, int type_location, const char *replacement)
{
	static const char *const stops[] = {
		"constraint", "not", "null", "default", "primary", "unique", "check",
		"references", "collate", "generated", "storage", "compression",
		"deferrable", "initially", "using", NULL
	};
	char	   *text;
	int			ntok;
	SGToken    *toks;
	int			i = sg_token_at(ctx, type_location, &text, &ntok, &toks);
	int			start;
	int			end = -1;
	int			depth = 0;

	if (i < 0)
		return NULL;
	start = toks[i].start;
	for (i++; i < ntok && end < 0; i++)
	{
		char	   *word = sg_token_text(text, toks, ntok, i);

		if (toks[i].token == '(' || toks[i].token == '[')
			depth++;
		else if ((toks[i].token == ')' || toks[i].token == ']') && depth > 0)
			depth--;
		else if (depth == 0 && (toks[i].token == ',' || toks[i].token == ')'))
			end = toks[i].start;
		else if (depth == 0)
		{
			for (int k = 0; stops[k] != NULL; k++)
			{
				if (pg_strcasecmp(word, stops[k]) == 0)
					end = toks[i].start;
			}
		}
	}
	if (end < 0)
		end = strlen(text);
	while (end > start && isspace((unsigned char) text[end - 1]))
		end--;
	return psprintf("%.*s%s%s", start, text, replacement, text + end);
}

/*
 * The names written in the statement that the scanner truncated to
 * NAMEDATALEN - 1 bytes (cut at a character boundary of the database
 * encoding), as SGLongName entries in *names, and the statement's text
 * with each of them written as the server stores it.  NULL, and no names,
 * when the text is not available or cannot be read.  A Unicode-escaped
 * name (U&"...") is not looked at.
 */
char *
sg_text_long_names(SGContext *ctx, List **names)
{
	char	   *text = sg_statement_text(ctx);
	int			ntok;
	SGToken    *toks;
	StringInfoData buf;
	int			copied = 0;

	*names = NIL;
	if (text == NULL || !sg_tokenize(text, &ntok, &toks))
		return NULL;
	initStringInfo(&buf);
	for (int i = 0; i < ntok; i++)
	{
		char	   *word = sg_token_text(text, toks, ntok, i);
		char	   *name;
		int			len;
		SGLongName *ln;

		if (!sg_is_name_start(word[0]) ||
			((word[0] == 'u' || word[0] == 'U') && word[1] == '&'))
			continue;
		/* an unquoted word ends at the first character that is not a name's */
		if (word[0] != '"')
		{
			int			n = 0;

			while (word[n] != '\0' && (sg_is_name_start(word[n]) ||
									   isdigit((unsigned char) word[n]) ||
									   word[n] == '$'))
				n++;
			word[n] = '\0';
		}
		name = sg_word_name(word);
		len = strlen(name);
		if (len < NAMEDATALEN)
			continue;
		ln = palloc(sizeof(SGLongName));
		ln->written = name;
		ln->stored = pnstrdup(name, pg_mbcliplen(name, len, NAMEDATALEN - 1));
		*names = lappend(*names, ln);
		appendBinaryStringInfo(&buf, text + copied, toks[i].start - copied);
		appendStringInfoString(&buf, quote_identifier(ln->stored));
		copied = toks[i].start + strlen(word);
	}
	appendStringInfoString(&buf, text + copied);
	return buf.data;
}
