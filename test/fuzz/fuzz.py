#!/usr/bin/python3
"""test/fuzz/fuzz.py — feed mutated and generated statements through
schemaguard's ProcessUtility hook and through schemaguard.check().

Run by test/fuzz/run.sh (`make fuzz`), which starts a throwaway cluster with
schemaguard preloaded and sets PGHOST/PGPORT/PGUSER. Standard library only.

Statements come from
  * a corpus: the statements of this repository's suites (sql/*.sql,
    specs/*.spec, test/pgtap/*.sql) and, with --pgsrc, PostgreSQL's core
    regression suite (src/test/regress/sql/*.sql);
  * token-level mutations of corpus statements (swap, delete, duplicate,
    replace identifiers/numbers/types/keywords/strings with others, splice,
    truncate, insert modifiers such as CONCURRENTLY or NOT VALID, retarget
    relation names to the seeded schema, nest in DO blocks or multi-statement
    strings, mutate dollar-quoted bodies);
  * a small grammar generator for the DDL forms the guard examines.

Each batch of statements is
  1. executed at top level, so the hook sees it: every statement between
     SAVEPOINT and ROLLBACK TO SAVEPOINT in one transaction that is rolled
     back, against the seeded database (test/fuzz/seed.sql); one batch in
     four instead runs in autocommit mode against a fresh copy of the seeded
     database, so commits, the changelog and the CONCURRENTLY paths run too;
  2. linted: `SELECT schemaguard.check(<statement>)` for every statement,
     then consecutive statements joined into scripts.
Statements reach psql through base64 and \\gexec, so psql never interprets
their text. Settings alternate between batches (mode enforce/warn,
assume_large_tables, table_size_threshold, rule overrides).

After each batch the server must still accept connections and its log must
show no "terminated by signal", "TRAP:" or "PANIC". A crashing batch is saved
and minimised to one statement (each statement re-run alone); the files go to
OUTDIR/crash-N/. Statements cancelled by statement_timeout are reported as
hangs (OUTDIR/hangs.sql). Deterministic for a given --seed and corpus.

Exit status: 0 no crash, 1 crash(es), 2 usage or setup error.
"""

import argparse
import base64
import glob
import os
import random
import re
import subprocess
import sys
import time

SEED_DB = "fz_seed"
CLONE_DB = "fz_clone"

# --------------------------------------------------------------------------
# lexing

_ident_start = re.compile(r"[A-Za-z_\u0080-\uffff]")
_ident_rest = re.compile(r"[A-Za-z_0-9$\u0080-\uffff]*")
_number = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_opchars = "+-*/<>=~!@#%^&|`?"
_dollar_tag = re.compile(r"\$([A-Za-z_][A-Za-z_0-9]*)?\$")


class Tok:
    __slots__ = ("kind", "text")

    def __init__(self, kind, text):
        self.kind = kind  # ident kw num str dstr qid op punct param var meta
        self.text = text

    def __repr__(self):
        return "%s:%r" % (self.kind, self.text)


def _quoted_end(text, q, quote, backslash_escapes):
    """Index after the literal or identifier whose opening quote is at q:
    a doubled quote stays inside, and so does a backslash-escaped character
    in an E'' string."""
    n = len(text)
    j = q + 1
    while j < n:
        if backslash_escapes and text[j] == "\\":
            j += 2
            continue
        if text[j] == quote:
            if text.startswith(quote, j + 1):
                j += 2
                continue
            return j + 1
        j += 1
    return n


def lex(text, keywords=frozenset()):
    """Tokens of text, without whitespace and comments. A psql meta-command
    (backslash to end of line) becomes one 'meta' token."""
    toks = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if c.isspace():
            i += 1
        elif text.startswith("--", i):
            j = text.find("\n", i)
            i = n if j < 0 else j + 1
        elif text.startswith("/*", i):
            depth, j = 1, i + 2
            while j < n and depth:
                if text.startswith("/*", j):
                    depth += 1
                    j += 2
                elif text.startswith("*/", j):
                    depth -= 1
                    j += 2
                else:
                    j += 1
            i = j
        elif c == "\\":
            j = text.find("\n", i)
            j = n if j < 0 else j
            toks.append(Tok("meta", text[i:j]))
            i = j
        elif c == "$" and _dollar_tag.match(text, i):
            tag = _dollar_tag.match(text, i).group(0)
            j = text.find(tag, i + len(tag))
            j = n if j < 0 else j + len(tag)
            toks.append(Tok("dstr", text[i:j]))
            i = j
        elif c == "$" and i + 1 < n and text[i + 1].isdigit():
            m = re.compile(r"\$\d+").match(text, i)
            toks.append(Tok("param", m.group(0)))
            i = m.end()
        elif c == "'" or (c in "EeBbXxNn" and text.startswith("'", i + 1)) or \
                (c in "Uu" and text.startswith("&'", i + 1)):
            j = _quoted_end(text, text.index("'", i), "'", c in "Ee")
            toks.append(Tok("str", text[i:j]))
            i = j
        elif c == '"' or (c in "Uu" and text.startswith('&"', i + 1)):
            j = _quoted_end(text, text.index('"', i), '"', False)
            toks.append(Tok("qid", text[i:j]))
            i = j
        elif c.isdigit() or (c == "." and i + 1 < n and text[i + 1].isdigit()):
            m = _number.match(text, i)
            toks.append(Tok("num", m.group(0)))
            i = m.end()
        elif _ident_start.match(c):
            m = _ident_rest.match(text, i + 1)
            word = text[i:m.end()]
            toks.append(Tok("kw" if word.lower() in keywords else "ident", word))
            i = m.end()
        elif c == ":" and text.startswith("::", i):
            toks.append(Tok("op", "::"))
            i += 2
        elif c == ":" and i + 1 < n and (text[i + 1] in "'\"" or _ident_start.match(text[i + 1])):
            m = re.compile(r":('[^']*'|\"[^\"]*\"|[A-Za-z_][A-Za-z_0-9]*)").match(text, i)
            if m:
                toks.append(Tok("var", m.group(0)))
                i = m.end()
            else:
                toks.append(Tok("punct", ":"))
                i += 1
        elif c in _opchars:
            j = i
            while j < n and text[j] in _opchars and not text.startswith("--", j) \
                    and not text.startswith("/*", j):
                j += 1
            j = max(j, i + 1)
            toks.append(Tok("op", text[i:j]))
            i = j
        else:
            toks.append(Tok("punct", c))
            i += 1
    return toks


def join(toks):
    out = []
    prev = None
    for t in toks:
        if prev is not None and not (t.text in (",", ")", ".", ";", "]") or
                                     prev.text in ("(", ".", "[")):
            out.append(" ")
        out.append(t.text)
        prev = t
    return "".join(out)


def split_statements(toks):
    """Lists of tokens, one per statement; psql meta-commands such as \\gset
    end a statement, others are dropped."""
    stmts, cur = [], []
    for t in toks:
        if t.kind == "meta":
            if cur and re.match(r"\\(g|gx|gset|gexec|crosstabview|watch)\b", t.text):
                stmts.append(cur)
                cur = []
            elif t.text.startswith("\\;"):
                cur.append(Tok("punct", ";"))
            continue
        if t.text == ";":
            if cur:
                stmts.append(cur)
            cur = []
        else:
            cur.append(t)
    if cur:
        stmts.append(cur)
    return stmts


def spec_statements(text, keywords):
    """The SQL inside the { } blocks of an isolation spec."""
    toks = lex(text, keywords)
    out, depth, cur = [], 0, []
    for t in toks:
        if t.text == "{":
            if depth:
                cur.append(t)
            depth += 1
        elif t.text == "}":
            depth -= 1
            if depth == 0:
                out.extend(split_statements(cur))
                cur = []
            elif depth > 0:
                cur.append(t)
            else:
                depth = 0
        elif depth:
            cur.append(t)
    return out


# --------------------------------------------------------------------------
# what the seeded schema offers (test/fuzz/seed.sql)

TABLES = ["app.accounts", "app.orders", "app.events", "app.events_2024",
          "app.events_2025", "app.events_default", "app.events_2026",
          "app.events_2027", "app.regions", "app.regions_eu", "app.hashed",
          "app.hashed_0", "public.t1", "t1", "t2", "empty1", "u1", "child1",
          "typed1", "app.nosuch", "newtab", "app.ft1", "tmp1",
          # relations of other kinds, and catalogs: the hook looks before
          # the server checks permissions and relkinds
          "pg_catalog.pg_class", "pg_toast.pg_toast_1255", "information_schema.tables",
          "schemaguard.changelog", "app.order_totals", "app.seq1",
          "app.orders_account_idx", "app.big_accounts", "app.events_at_idx"]
COLUMNS = ["id", "email", "name", "created", "balance", "mood", "flags",
           "account_id", "amount", "note", "placed_at", "qty", "total", "kind",
           "at", "payload", "code", "v", "a", "b", "c", "d", "e", "x", "y",
           "t1_id", "nosuch", "newcol"]
INDEXES = ["app.orders_account_idx", "app.orders_lower_note", "app.orders_note_uq",
           "app.events_at_idx", "app.events_kind_idx", "app.accounts_pkey",
           "app.accounts_email_key", "t1_b_idx", "t1_a_brin", "t2_pkey",
           "app.order_totals_account", "app.events_2024_at_idx", "nosuch_idx"]
CONSTRAINTS = ["orders_qty_chk", "orders_account_fk2", "accounts_name_nn",
               "orders_amount_check", "accounts_pkey", "events_2026_at_chk",
               "orders_account_id_fkey", "nosuch_con", "newcon"]
VIEWS = ["app.big_accounts", "v1"]
MATVIEWS = ["app.order_totals", "app.unpopulated"]
TYPES = ["int", "integer", "smallint", "bigint", "serial", "bigserial", "text",
         "varchar(10)", "varchar(200)", "varchar", "char(3)", "char(10)",
         "character varying(50)", "numeric", "numeric(8,2)", "numeric(20,4)",
         "timestamp", "timestamptz", "timestamp(3) without time zone", "date",
         "boolean", "jsonb", "json", "bytea", "uuid", "real", "double precision",
         "int[]", "text[]", "app.mood", "app.pair", "app.posint", "app.email",
         "inet", "interval", "oid", "name", '"char"', "tsvector", "int4range"]
DEFAULTS = ["0", "1", "now()", "random()", "clock_timestamp()", "'x'", "NULL",
            "app.vol()", "app.imm()", "gen_random_uuid()", "nextval('app.seq1')",
            "current_timestamp", "1 + 1", "'sad'::app.mood", "(SELECT 1)",
            "ARRAY[1,2]", "'{}'::jsonb", "timeofday()::timestamp"]
EXPRS = ["id > 0", "id IS NOT NULL", "amount >= 0", "qty > 0", "b < 100",
         "a <> ''", "name IS NOT NULL", "v IS NOT NULL", "at >= '2026-01-01' AND at < '2027-01-01'",
         "length(a) < 10", "id = app.imm()", "random() > 0.5", "true", "false",
         "nosuch > 0", "(id, id) > (1, 1)", "id IN (1, 2, 3)"]
RULES = ["index_not_concurrent", "drop_index_not_concurrent", "reindex_not_concurrent",
         "add_column_not_null_no_default", "set_not_null", "add_column_volatile_default",
         "alter_column_type", "table_rewrite", "add_foreign_key_validated",
         "add_check_validated", "add_unique_constraint", "attach_partition_scan",
         "detach_partition_not_concurrent", "refresh_matview_not_concurrent",
         "vacuum_full", "cluster", "missing_lock_timeout", "rename_column",
         "rename_relation", "rename_schema", "rename_enum_value", "drop_table",
         "drop_column", "drop_database", "truncate", "prefer_bigint_pk",
         "prefer_timestamptz", "prefer_text", "ban_char", "prefer_identity"]
SEED_NAMES = sorted({x.split(".")[-1] for x in TABLES + COLUMNS + INDEXES +
                     CONSTRAINTS + VIEWS + MATVIEWS} | {"app", "public", "mood", "pair",
                                                        "posint", "seq1", "schemaguard"})
MODIFIERS = ["CONCURRENTLY", "IF EXISTS", "IF NOT EXISTS", "ONLY", "CASCADE",
             "RESTRICT", "NOT VALID", "USING btree", "USING gin", "USING brin",
             "USING hash", "NOT NULL", "NULL", "DEFAULT now()", "DEFAULT random()",
             "COLLATE \"C\"", "WITH NO DATA", "WITH DATA", "FINALIZE", "TEMP",
             "UNLOGGED", "UNIQUE", "PRIMARY KEY", "DEFERRABLE", "INITIALLY DEFERRED",
             "NOT DEFERRABLE", "NO INHERIT", "STORED", "VERBOSE", "FULL", "FREEZE",
             "PARTITION BY RANGE (id)", "INCLUDE (id)", "WHERE id > 0", "NULLS NOT DISTINCT",
             "GENERATED ALWAYS AS IDENTITY", "ALL", "TABLESPACE pg_default",
             "ON COMMIT DROP", "WITH (fillfactor = 50)", "OWNER TO postgres",
             "SET LOGGED", "SET UNLOGGED", "RENAME TO renamed", "ADD COLUMN z int",
             "DROP COLUMN IF EXISTS z", "ALTER COLUMN id TYPE bigint", "(", ")", ",", ";"]
NUMBERS = ["0", "1", "-1", "2", "10", "100", "2147483647", "-2147483648",
           "2147483648", "9223372036854775807", "99999999999999999999999",
           "1e308", "1e-308", "0.5", "-0.0", "65535", "32768", "1600", "1601"]
STRINGS = ["''", "'x'", "'2024-01-01'", "'de'", "'sad'", "'{}'", "'NaN'",
           "'infinity'", "'index_not_concurrent'", "'all'", "'off'", "'warn'",
           "'drop_column=warn, prefer_text=error'", "'" + "a" * 300 + "'",
           "E'\\\\x00'", "'\u00e9\u4e2d'", "'public.t1'", "'app.accounts'"]

# --------------------------------------------------------------------------
# statement filters: never execute what would leave the sandbox, change how
# psql or the driver works, or crash the server by design (C functions,
# catalog writes) rather than through schemaguard.

_TXN_FIRST = {"begin", "start", "commit", "end", "rollback", "abort",
              "savepoint", "release"}
_BANNED_SUBSTR = [
    "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf",
    "pg_rotate_logfile", "pg_promote", "lo_import", "lo_export", "pg_read_file",
    "pg_read_binary_file", "pg_ls_", "pg_stat_file", "pg_file_", "pg_sleep",
    "dblink", "pg_switch_wal", "replication_slot", "replication_origin",
    "pg_logical_emit", "pg_log_backend", "allow_system_table_mods",
    "zero_damaged_pages", "ignore_system_indexes", "ignore_checksum",
    "ignore_invalid_pages", "client_encoding",
    "without function", "pg_create_restore_point", "pg_backup_",
    "pg_import_system_collations", "pg_wal_replay", "lo_unlink", "set_config",
    "pg_advisory", "pg_try_advisory", "post_auth_delay", "pre_auth_delay",
    "exit_on_error", "debug_discard", "log_min_messages", "log_statement",
    "log_min_error", "statement_timeout", "lock_timeout", "idle_",
    "session_preload", "local_preload", "pg_stat_reset", "pg_current_logfile",
    "pg_create_", "pg_drop_replication", "pg_replication", "stdin", "program",
    "set names",
]
# In autocommit mode a statement's effects last: nothing that changes the
# session for the rest of the batch or reaches beyond the database copy.
_AUTOCOMMIT_BANNED = re.compile(
    r"(^|;|\bbegin\b|\bthen\b|\belse\b|\bloop\b|\$)\s*"
    r"(set(?!\s+local\b)|reset|discard|listen|prepare|declare|load|execute)\b|"
    r"\b(alter|drop|create|rename)\s+(system|role|user|group|database|tablespace|"
    r"subscription|publication|server|foreign\s+data\s+wrapper)\b|"
    r"\bcreate\s+extension\b|"
    r"\bwith\s+hold\b|\bsession\b")
_C_LANGUAGE = re.compile(r"language\s+('|\")?(c|internal)\b('|\")?|\bsupport\b|"
                         r"\bload\b|\bcopy\b|\bcreate\s+(or\s+replace\s+)?language\b|"
                         r"\bcheckpoint\b")
_DML = {"insert", "update", "delete", "merge", "truncate"}


def allowed(stmt, autocommit):
    low = stmt.lower()
    if "\x00" in stmt:
        return False
    # how the client quotes: only for the statement's own transaction
    if "standard_conforming" in low and (
            autocommit or re.search(r"standard_conforming", re.sub(
                r"set\s+local\s+standard_conforming_strings", "", low))):
        return False
    for s in _BANNED_SUBSTR:
        if s in low:
            return False
    if _C_LANGUAGE.search(low):
        return False
    if autocommit and _AUTOCOMMIT_BANNED.search(low):
        return False
    # transaction control as any statement of a multi-statement string
    words = re.findall(r"[a-z_][a-z_0-9$]*|;", low)
    first = True
    prev = None
    seen = set(words)
    for w in words:
        if w == ";":
            first = True
            continue
        if first:
            if w in _TXN_FIRST:
                return False
            first = False
        if prev == "prepare" and w == "transaction":
            return False
        if prev in ("commit", "rollback") and w == "prepared":
            return False
        prev = w
    if seen & _DML and re.search(r"\bpg_[a-z_]+", low):
        return False
    return True


# --------------------------------------------------------------------------
# grammar generator


class Gen:
    def __init__(self, rnd):
        self.r = rnd

    def c(self, seq):
        return self.r.choice(seq)

    def maybe(self, s, p=0.3):
        return s if self.r.random() < p else ""

    def coldef(self):
        parts = ["%s %s" % (self.c(COLUMNS + ["z", "z2"]), self.c(TYPES))]
        for _ in range(self.r.randint(0, 3)):
            parts.append(self.c([
                "NOT NULL", "NULL", "DEFAULT " + self.c(DEFAULTS), "UNIQUE",
                "PRIMARY KEY", "CHECK (%s)" % self.c(EXPRS),
                "REFERENCES app.accounts (id)", "REFERENCES %s" % self.c(TABLES),
                "GENERATED ALWAYS AS IDENTITY", "GENERATED BY DEFAULT AS IDENTITY",
                "GENERATED ALWAYS AS (id * 2) STORED", "COLLATE \"C\"",
                "REFERENCES app.accounts (id) NOT VALID", "DEFERRABLE"]))
        return " ".join(parts)

    def subcmd(self):
        col = self.c(COLUMNS)
        r = self.r.randint(0, 38)
        if r < 5:
            return "ADD %s%s %s" % (self.maybe("COLUMN "), self.maybe("IF NOT EXISTS "),
                                    self.coldef())
        if r < 7:
            return "DROP %s%s%s%s" % (self.maybe("COLUMN "), self.maybe("IF EXISTS "),
                                      col, self.maybe(" " + self.c(["CASCADE", "RESTRICT"])))
        if r < 10:
            return "ALTER %s%s %sTYPE %s%s%s" % (
                self.maybe("COLUMN "), col, self.maybe("SET DATA "), self.c(TYPES),
                self.maybe(" COLLATE \"C\"", 0.1),
                self.maybe(" USING %s::%s" % (col, self.c(TYPES))))
        if r < 12:
            return "ALTER COLUMN %s %s NOT NULL" % (col, self.c(["SET", "DROP"]))
        if r < 14:
            return "ALTER COLUMN %s %s" % (col, self.c([
                "SET DEFAULT " + self.c(DEFAULTS), "DROP DEFAULT",
                "SET STATISTICS 100", "SET STORAGE EXTERNAL", "SET (n_distinct = 1)",
                "ADD GENERATED ALWAYS AS IDENTITY", "DROP IDENTITY IF EXISTS",
                "SET COMPRESSION pglz", "DROP EXPRESSION", "SET GENERATED ALWAYS",
                "RESTART WITH 10"]))
        if r < 17:
            return "ADD %sCHECK (%s)%s" % (self.maybe("CONSTRAINT %s " % self.c(CONSTRAINTS)),
                                          self.c(EXPRS), self.maybe(" NOT VALID", 0.5))
        if r < 19:
            return "ADD %sFOREIGN KEY (%s) REFERENCES %s%s%s" % (
                self.maybe("CONSTRAINT %s " % self.c(CONSTRAINTS)), col,
                self.c(TABLES), self.maybe(" (id)", 0.7), self.maybe(" NOT VALID", 0.5))
        if r < 21:
            return "ADD %s%s (%s)%s" % (
                self.maybe("CONSTRAINT %s " % self.c(CONSTRAINTS)),
                self.c(["UNIQUE", "PRIMARY KEY", "UNIQUE NULLS NOT DISTINCT",
                        "EXCLUDE USING btree"]),
                col if self.r.random() < 0.8 else "%s WITH =" % col,
                self.maybe(" INCLUDE (id)", 0.1) + self.maybe(" DEFERRABLE", 0.1))
        if r < 22:
            return "ADD CONSTRAINT %s %s USING INDEX %s" % (
                self.c(CONSTRAINTS), self.c(["UNIQUE", "PRIMARY KEY"]),
                self.c(INDEXES).split(".")[-1])
        if r < 24:
            return "VALIDATE CONSTRAINT %s" % self.c(CONSTRAINTS)
        if r < 25:
            return "DROP CONSTRAINT %s%s%s" % (self.maybe("IF EXISTS "), self.c(CONSTRAINTS),
                                               self.maybe(" CASCADE"))
        if r < 26:
            return "ALTER CONSTRAINT %s %s" % (self.c(CONSTRAINTS),
                                               self.c(["DEFERRABLE", "NOT DEFERRABLE"]))
        return self.c([
            "SET LOGGED", "SET UNLOGGED", "SET TABLESPACE pg_default",
            "SET ACCESS METHOD heap", "SET (fillfactor = 70)", "RESET (fillfactor)",
            "CLUSTER ON %s" % self.c(INDEXES).split(".")[-1], "SET WITHOUT CLUSTER",
            "ENABLE TRIGGER ALL", "DISABLE TRIGGER accounts_touch",
            "ENABLE ALWAYS TRIGGER accounts_touch", "ENABLE ROW LEVEL SECURITY",
            "FORCE ROW LEVEL SECURITY", "REPLICA IDENTITY FULL",
            "REPLICA IDENTITY USING INDEX %s" % self.c(INDEXES).split(".")[-1],
            "OWNER TO postgres", "INHERIT empty1", "NO INHERIT empty1",
            "OF app.pair", "NOT OF", "SET WITHOUT OIDS", "ENABLE RULE r1",
            "ALTER COLUMN %s SET (n_distinct_inherited = 2)" % col,
            "DISABLE ROW LEVEL SECURITY", "SET (autovacuum_enabled = false)",
        ])

    def relation_ddl(self):
        t = self.c(TABLES)
        r = self.r.randint(0, 20)
        if r < 8:
            n = self.r.choice([1, 1, 1, 2, 3, 5])
            return "ALTER TABLE %s%s%s %s" % (
                self.maybe("IF EXISTS ", 0.2), self.maybe("ONLY ", 0.2), t,
                ", ".join(self.subcmd() for _ in range(n)))
        if r < 10:
            return "ALTER TABLE %s%s RENAME %s" % (
                self.maybe("IF EXISTS ", 0.2), t, self.c([
                    "TO renamed", "COLUMN %s TO %s" % (self.c(COLUMNS), self.c(COLUMNS)),
                    "%s TO new_name" % self.c(COLUMNS),
                    "CONSTRAINT %s TO c_new" % self.c(CONSTRAINTS)]))
        if r < 12:
            part = self.c(["app.events_2026", "app.events_2027", "empty1", "t1",
                           "app.events_2024", "newtab"])
            return "ALTER TABLE %s ATTACH PARTITION %s %s" % (
                self.c(["app.events", "app.regions", "app.hashed", "t1"]), part, self.c([
                    "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
                    "FOR VALUES FROM ('2027-01-01') TO ('2028-01-01')",
                    "FOR VALUES FROM (MINVALUE) TO (MAXVALUE)",
                    "FOR VALUES IN ('it')", "DEFAULT",
                    "FOR VALUES WITH (MODULUS 4, REMAINDER 3)"]))
        if r < 13:
            return "ALTER TABLE %s DETACH PARTITION %s%s" % (
                self.c(["app.events", "app.regions", "app.hashed"]),
                self.c(["app.events_2024", "app.events_default", "app.regions_us",
                        "app.hashed_0", "t1"]),
                self.c(["", " CONCURRENTLY", " FINALIZE"]))
        if r < 14:
            return "ALTER TABLE %s SET SCHEMA %s" % (t, self.c(["app", "public", "nosuch"]))
        if r < 16:
            return "ALTER %s %s%s %s" % (
                self.c(["VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE", "SEQUENCE", "INDEX"]),
                self.maybe("IF EXISTS "), self.c(VIEWS + MATVIEWS + ["app.seq1"] + INDEXES),
                self.c(["RENAME TO renamed", "RENAME COLUMN %s TO z" % self.c(COLUMNS),
                        "SET SCHEMA public", "OWNER TO postgres", "SET (fillfactor = 80)",
                        "ALTER COLUMN id SET DEFAULT 1", "RESTART", "SET TABLESPACE pg_default",
                        "ATTACH PARTITION %s" % self.c(INDEXES), "DEPENDS ON EXTENSION schemaguard",
                        "CLUSTER ON order_totals_account", "SET ACCESS METHOD heap"]))
        if r < 18:
            return "%s %s%s%s" % (
                self.c(["DROP TABLE", "DROP VIEW", "DROP MATERIALIZED VIEW",
                        "DROP SEQUENCE", "DROP FOREIGN TABLE", "DROP TABLE"]),
                self.maybe("IF EXISTS "), ", ".join(self.r.sample(TABLES + VIEWS + MATVIEWS,
                                                                   self.r.randint(1, 3))),
                self.maybe(" CASCADE"))
        if r < 19:
            return "TRUNCATE %s%s%s%s" % (
                self.maybe("ONLY "), ", ".join(self.r.sample(TABLES, self.r.randint(1, 3))),
                self.maybe(" RESTART IDENTITY"), self.maybe(" CASCADE"))
        return "LOCK TABLE %s IN %s MODE%s" % (t, self.c([
            "ACCESS EXCLUSIVE", "SHARE", "ROW EXCLUSIVE", "ACCESS SHARE"]), self.maybe(" NOWAIT"))

    def index_ddl(self):
        r = self.r.randint(0, 8)
        if r < 5:
            t = self.c(TABLES + MATVIEWS)
            cols = ", ".join(self.r.sample(COLUMNS, self.r.randint(1, 3)))
            if self.r.random() < 0.2:
                cols = self.c(["lower(a)", "(b + 1)", "md5(a)", "(payload->>'x')",
                               "app.imm()", "app.vol()", "id DESC NULLS LAST",
                               "note text_pattern_ops", "a COLLATE \"C\""])
            return "CREATE %sINDEX %s%s%s ON %s%s%s (%s)%s%s%s" % (
                self.maybe("UNIQUE ", 0.2), self.maybe("CONCURRENTLY ", 0.4),
                self.maybe("IF NOT EXISTS ", 0.2),
                self.maybe(self.c(["idx_new", "orders_account_idx", "t1_b_idx"]) + " ", 0.4),
                self.maybe("ONLY ", 0.2), t,
                self.maybe(" USING " + self.c(["btree", "hash", "gin", "brin", "gist",
                                               "spgist", "nosuch"]), 0.2),
                cols, self.maybe(" INCLUDE (id)", 0.1),
                self.maybe(" WITH (fillfactor = 70)", 0.1),
                self.maybe(" WHERE " + self.c(EXPRS), 0.2))
        if r < 6:
            return "DROP INDEX %s%s%s%s" % (
                self.maybe("CONCURRENTLY ", 0.4), self.maybe("IF EXISTS ", 0.3),
                ", ".join(self.r.sample(INDEXES, self.r.randint(1, 2))), self.maybe(" CASCADE"))
        if r < 7:
            return "REINDEX %s%s %s%s" % (
                self.maybe("(VERBOSE) ", 0.2),
                self.c(["INDEX", "TABLE", "SCHEMA", "DATABASE", "SYSTEM"]),
                self.maybe("CONCURRENTLY ", 0.4),
                self.c(INDEXES + TABLES + ["app", "fz_seed", "public"]))
        return "%s %s%s" % (self.c(["CLUSTER", "CLUSTER VERBOSE", "VACUUM", "VACUUM FULL",
                                    "VACUUM (FULL, ANALYZE)", "ANALYZE", "VACUUM ANALYZE"]),
                            self.c(TABLES + MATVIEWS),
                            self.maybe(" USING %s" % self.c(INDEXES).split(".")[-1]))

    def type_ddl(self):
        return self.c([
            "ALTER TYPE app.mood ADD VALUE %s'%s'%s" % (
                self.maybe("IF NOT EXISTS "), self.c(["meh", "ok", "sad"]),
                self.maybe(" %s 'ok'" % self.c(["BEFORE", "AFTER"]))),
            "ALTER TYPE app.mood RENAME VALUE '%s' TO '%s'" % (
                self.c(["sad", "ok", "nosuch"]), self.c(["glum", "happy"])),
            "ALTER TYPE app.pair %s" % self.c([
                "ADD ATTRIBUTE z int", "DROP ATTRIBUTE IF EXISTS y CASCADE",
                "ALTER ATTRIBUTE x TYPE bigint CASCADE", "RENAME ATTRIBUTE x TO xx",
                "RENAME TO pair2", "OWNER TO postgres", "SET SCHEMA public"]),
            "CREATE TYPE %s AS %s" % (self.c(["app.t_new", "app.mood"]), self.c([
                "ENUM ('a', 'b')", "(a int, b %s)" % self.c(TYPES), "RANGE (subtype = int)"])),
            "CREATE DOMAIN app.d_new AS %s%s" % (self.c(TYPES), self.maybe(" CHECK (VALUE IS NOT NULL)")),
            "ALTER DOMAIN %s %s" % (self.c(["app.posint", "app.email", "nosuch"]), self.c([
                "ADD CONSTRAINT d_chk CHECK (VALUE > 1) NOT VALID",
                "ADD CHECK (VALUE IS NOT NULL)", "VALIDATE CONSTRAINT d_chk",
                "SET NOT NULL", "DROP NOT NULL", "SET DEFAULT 1", "DROP DEFAULT",
                "DROP CONSTRAINT IF EXISTS posint_check", "RENAME TO d2",
                "RENAME CONSTRAINT posint_check TO c2"])),
            "DROP %s %s%s%s" % (self.c(["TYPE", "DOMAIN"]), self.maybe("IF EXISTS "),
                                self.c(["app.mood", "app.pair", "app.posint", "app.email"]),
                                self.maybe(" CASCADE")),
            "ALTER SCHEMA %s %s" % (self.c(["app", "public", "schemaguard"]),
                                    self.c(["RENAME TO app2", "OWNER TO postgres"])),
            "DROP SCHEMA %s%s%s" % (self.maybe("IF EXISTS "), self.c(["app", "public", "nosuch"]),
                                    self.maybe(" CASCADE", 0.6)),
            "CREATE SCHEMA %s%s" % (self.c(["s_new", "app"]), self.maybe(
                " CREATE TABLE t (id int PRIMARY KEY, v varchar(5)) CREATE INDEX ON t (v)"
                " CREATE VIEW w AS SELECT * FROM t", 0.5)),
            "ALTER SEQUENCE app.seq1 %s" % self.c(["RESTART", "AS smallint", "OWNED BY t1.id",
                                                   "RENAME TO s2", "INCREMENT 5"]),
            "REFRESH MATERIALIZED VIEW %s%s%s" % (self.maybe("CONCURRENTLY "), self.c(MATVIEWS),
                                                  self.maybe(" WITH NO DATA")),
            "DROP EXTENSION schemaguard%s" % self.maybe(" CASCADE"),
            "ALTER EXTENSION schemaguard UPDATE",
            "DROP EVENT TRIGGER %sfuzz_ddl" % self.maybe("IF EXISTS "),
            "ALTER EVENT TRIGGER fuzz_ddl %s" % self.c(["DISABLE", "ENABLE ALWAYS", "RENAME TO e2"]),
            "CREATE EVENT TRIGGER e_new ON %s EXECUTE FUNCTION app.on_ddl()" % self.c(
                ["ddl_command_start", "sql_drop", "table_rewrite"]),
            "COMMENT ON %s IS %s" % (self.c(["TABLE app.accounts", "COLUMN t1.a",
                                             "INDEX t1_b_idx", "SCHEMA app",
                                             "CONSTRAINT orders_qty_chk ON app.orders"]),
                                     self.c(["'x'", "NULL"])),
            "GRANT %s ON %s TO PUBLIC" % (self.c(["SELECT", "ALL", "INSERT, UPDATE"]),
                                          self.c(TABLES + ["ALL TABLES IN SCHEMA app"])),
            "REVOKE ALL ON %s FROM PUBLIC" % self.c(TABLES),
            "CREATE TRIGGER tr_new BEFORE INSERT ON %s FOR EACH ROW EXECUTE FUNCTION app.touch()"
            % self.c(TABLES),
            "CREATE POLICY p_new ON %s USING (%s)" % (self.c(TABLES), self.c(EXPRS)),
            "CREATE RULE r1 AS ON INSERT TO %s DO INSTEAD NOTHING" % self.c(TABLES),
            "CREATE STATISTICS st_new ON a, b FROM %s" % self.c(TABLES),
            "CREATE %sTABLE %snewtab (%s)%s" % (
                self.c(["", "", "TEMP ", "UNLOGGED "]), self.maybe("IF NOT EXISTS "),
                ", ".join(self.coldef() for _ in range(self.r.randint(1, 4))),
                self.maybe(self.c([" PARTITION BY RANGE (id)", " INHERITS (empty1)",
                                   " WITH (fillfactor = 60)", " ON COMMIT DROP"]))),
            "CREATE TABLE newtab PARTITION OF %s %s" % (
                self.c(["app.events", "app.regions", "app.hashed", "t1"]), self.c([
                    "FOR VALUES FROM ('2030-01-01') TO ('2031-01-01')", "DEFAULT",
                    "FOR VALUES IN ('it')", "FOR VALUES WITH (MODULUS 4, REMAINDER 1)"])),
            "CREATE TABLE newtab (LIKE %s INCLUDING ALL)" % self.c(TABLES),
            "CREATE TABLE newtab AS SELECT * FROM %s%s" % (self.c(TABLES), self.maybe(" WITH NO DATA")),
            "CREATE %sVIEW %s AS SELECT * FROM %s" % (
                self.c(["", "OR REPLACE ", "MATERIALIZED ", "RECURSIVE "]),
                self.c(VIEWS + ["v_new"]), self.c(TABLES)),
            "SELECT * INTO newtab FROM %s" % self.c(TABLES),
            "DROP DATABASE %s%s" % (self.maybe("IF EXISTS "), self.c(["nosuch_db", "fz_other"])),
            "SET LOCAL schemaguard.allow = '%s'" % self.c(RULES + ["all", "nosuch"]),
            "SET schemaguard.rules = '%s=%s'" % (self.c(RULES), self.c(["warn", "error", "off"])),
            "SET schemaguard.mode = %s" % self.c(["off", "warn", "enforce"]),
            "SET schemaguard.assume_large_tables = %s" % self.c(["on", "off"]),
            "RESET schemaguard.allow", "RESET ALL",
        ])

    def api_call(self):
        """schemaguard's SQL functions, with odd arguments."""
        return self.c([
            "SELECT * FROM schemaguard.check(%s)" % quote_literal(
                ";\n".join(self.statement() for _ in range(self.r.randint(1, 5)))),
            "SELECT * FROM schemaguard.check(%s)" % self.c(
                ["NULL", "''", "';;;'", "'SELECT'", "' '", "'CREATE INDEX ON'",
                 "'/* unterminated'", "$$'$$", "'CREATE TABLE x (); ALTER TABLE x ADD y int'"]),
            "SELECT count(*) FROM schemaguard.snapshot(%s)" % self.c(
                ["", "'{}'", "'{owners,privileges,comments,column_order,storage}'",
                 "'{nosuch}'", "NULL", "'{NULL}'"]),
            "SELECT schemaguard.fingerprint()", "SELECT * FROM schemaguard.verify_changelog()",
            "SELECT * FROM schemaguard.changelog_head()", "SELECT * FROM schemaguard.list_rules()",
            "SELECT schemaguard.take_baseline(%s)" % self.c(["'b1'", "NULL", "''"]),
            "SELECT count(*) FROM schemaguard.drift(%s)" % self.c(["", "'b1'", "NULL", "'nosuch'"]),
            "SELECT count(*) FROM schemaguard.compare(%s)" % self.c([
                "schemaguard.export_manifest()", "'{}'", "'[]'", "'null'", "NULL",
                "'{\"objects\": [{\"type\": \"table\"}]}'",
                "'{\"format\": \"schemaguard manifest\", \"format_version\": 1, \"objects\": 5}'",
                "schemaguard.export_manifest(), '{\"objects\": [null]}'"]),
        ])

    def deep(self):
        """Deeply nested expressions and blocks (stack depth)."""
        d = self.c([10, 100, 1000, 3000])
        t = self.c(TABLES[:12])
        return self.c([
            "ALTER TABLE %s ADD COLUMN z int DEFAULT %s1%s" % (t, "(" * d, ")" * d),
            "ALTER TABLE %s ADD CHECK (%strue) NOT VALID" % (t, "NOT " * d),
            "ALTER TABLE %s ALTER COLUMN id TYPE bigint USING %sid%s" % (
                t, "abs(" * d, ")" * d),
            "CREATE INDEX ON %s ((%sid%s))" % (t, "(" * d, " + 1)" * d),
            "ALTER TABLE %s ADD COLUMN z int DEFAULT %s" % (
                t, "+".join(["app.vol()"] * min(d, 500))),
            self.nested(self.nested(self.nested(self.statement()))),
        ])

    def effect_ddl(self):
        """Statements whose effect their form hides: drops through
        dependencies, renames through another relation kind, moves of
        whole tablespaces, statements that fire no event trigger, text
        parsed under other settings, expressions the guard must not run."""
        t = self.c(TABLES)
        return self.c([
            "DROP OWNED BY fz_owner%s" % self.maybe(" CASCADE"),
            "REASSIGN OWNED BY fz_owner TO postgres",
            "DROP SCHEMA fz_parts%s" % self.maybe(" CASCADE", 0.8),
            "DROP TABLE public.t2%s" % self.maybe(" CASCADE", 0.8),
            "DROP TYPE app.pair CASCADE", "DROP DOMAIN app.posint CASCADE",
            "DROP TYPE app.mood CASCADE", "DROP EXTENSION citext%s" % self.maybe(" CASCADE", 0.8),
            "ALTER TYPE app.pair %s ATTRIBUTE %s CASCADE" % (
                self.c(["DROP", "DROP IF EXISTS"]), self.c(["x", "y", "z"])),
            "ALTER TYPE app.pair RENAME ATTRIBUTE %s TO %s%s" % (
                self.c(["x", "y"]), self.c(["xx", "yy"]), self.maybe(" CASCADE", 0.8)),
            "ALTER %s %s RENAME TO renamed" % (
                self.c(["INDEX", "SEQUENCE", "VIEW", "MATERIALIZED VIEW", "FOREIGN TABLE"]),
                self.c(TABLES + INDEXES + VIEWS + MATVIEWS)),
            "ALTER %s ALL IN TABLESPACE pg_default%s SET TABLESPACE %s%s" % (
                self.c(["TABLE", "INDEX", "MATERIALIZED VIEW"]),
                self.maybe(" OWNED BY %s" % self.c(["fz_owner", "postgres", "nosuch"])),
                self.c(["pg_default", "pg_global", "nosuch_ts"]), self.maybe(" NOWAIT")),
            "EXPLAIN (ANALYZE%s) CREATE %s newtab AS SELECT * FROM %s" % (
                self.maybe(", BUFFERS OFF"), self.c(["TABLE", "MATERIALIZED VIEW",
                                                     "TABLE IF NOT EXISTS"]), t),
            "SET LOCAL transaction_read_only = on; %s" % self.relation_ddl(),
            "REPACK%s %s%s" % (self.maybe(" (CONCURRENTLY)"), t,
                               self.maybe(" USING INDEX %s" % self.c(INDEXES).split(".")[-1])),
            "ALTER TABLE %s ADD COLUMN IF NOT EXISTS %s int DEFAULT %s" % (
                t, self.c(COLUMNS), self.c(["app.vol()", "random()::int", "app.imm()"])),
            "ALTER TABLE app.events ATTACH PARTITION app.events_2027 FOR VALUES FROM (%s) TO ('2028-01-01')"
            % self.c(["app.imm()::text::date", "(now())::date", "'2027-01-01'::date",
                      "app.vol()::text::date"]),
            "CREATE TABLE newtab PARTITION OF app.events FOR VALUES FROM (%s) TO (MAXVALUE)"
            % self.c(["(app.vol() || '')::date", "current_date"]),
            "SET LOCAL standard_conforming_strings = off; CREATE INDEX ON %s (id) WHERE %s <> 'a\\'"
            % (t, self.c(COLUMNS)),
            "SET LOCAL standard_conforming_strings = off; CREATE SERVER fz_s2 FOREIGN DATA WRAPPER fz_fdw "
            "OPTIONS (host 'a\\', dbname 'x')",
            "ALTER TABLE %s ADD COLUMN %s bigint REFERENCES app.accounts (id) ON DELETE %s%s" % (
                t, self.c(["z", "z2"]), self.c(["SET NULL", "CASCADE", "RESTRICT"]),
                self.maybe(" DEFERRABLE INITIALLY DEFERRED")),
        ])

    def statement(self):
        r = self.r.random()
        if r < 0.01:
            return self.deep()
        if r < 0.40:
            return self.relation_ddl()
        if r < 0.58:
            return self.index_ddl()
        if r < 0.70:
            return self.effect_ddl()
        if r < 0.95:
            return self.type_ddl()
        if r < 0.985:
            return self.dml()
        return self.api_call()

    def dml(self):
        """Queries and LOCK, which query_while_locked and lock_table_no_timeout
        judge, most of all after DDL in the same transaction."""
        t = self.c(TABLES)
        return self.c([
            "SELECT count(*) FROM %s" % t,
            "UPDATE %s SET id = id WHERE %s" % (t, self.c(["false", "true", "id < 3"])),
            "DELETE FROM %s WHERE false" % t,
            "INSERT INTO %s SELECT * FROM %s LIMIT 0" % (t, t),
            "EXPLAIN %sSELECT * FROM %s" % (self.maybe("ANALYZE "), t),
            "LOCK TABLE %s IN %s MODE%s" % (
                t, self.c(["ACCESS EXCLUSIVE", "SHARE", "ROW EXCLUSIVE"]), self.maybe(" NOWAIT")),
            "DO $fz$BEGIN PERFORM count(*) FROM %s; END$fz$" % t,
            "SELECT * FROM %s FOR KEY SHARE" % t,
        ])

    def nested(self, stmt):
        r = self.r.randint(0, 6)
        if r == 0:
            return "DO $fz$BEGIN EXECUTE %s; END$fz$" % quote_literal(stmt)
        if r == 1:
            return "DO $fz$BEGIN %s; EXCEPTION WHEN others THEN NULL; END$fz$" % stmt
        if r == 2:
            return ("CREATE FUNCTION pg_temp.fz() RETURNS void LANGUAGE plpgsql AS "
                    "$fz$BEGIN %s; END$fz$; SELECT pg_temp.fz()" % stmt)
        if r == 3:
            return "SET LOCAL schemaguard.allow = '%s'; %s" % (self.c(RULES + ["all"]), stmt)
        if r == 4:
            return "CREATE %sTABLE %s (id int, v text); %s" % (
                self.c(["", "TEMP "]), self.c(["newtab", "tmp1"]),
                stmt.replace(self.c(TABLES), "newtab", 1))
        return "%s; %s" % (stmt, self.statement())


def quote_literal(s):
    return "'" + s.replace("'", "''") + "'"


# --------------------------------------------------------------------------
# mutator


class Mutator:
    def __init__(self, rnd, corpus, keywords):
        self.r = rnd
        self.corpus = corpus
        self.keywords = keywords
        idents, nums, strs, kws = set(), set(), set(), set()
        for st in corpus:
            for t in st["toks"]:
                if t.kind == "ident" and len(t.text) < 40:
                    idents.add(t.text)
                elif t.kind == "num":
                    nums.add(t.text)
                elif t.kind == "str" and len(t.text) < 60:
                    strs.add(t.text)
                elif t.kind == "kw":
                    kws.add(t.text.upper())
        self.idents = sorted(idents) or ["x"]
        self.nums = sorted(nums) + NUMBERS
        self.strs = sorted(strs) + STRINGS
        self.kws = sorted(kws) or ["TABLE"]
        self.gen = Gen(rnd)
        self.own = [st for st in corpus if st["own"]]

    def ident(self):
        if self.r.random() < 0.6:
            return self.r.choice(SEED_NAMES + TABLES)
        return self.r.choice(self.idents)

    def mutate_once(self, toks):
        r = self.r
        n = len(toks)
        if n == 0:
            return toks
        op = r.randint(0, 15)
        i = r.randrange(n)
        if op == 0 and n > 1:  # swap
            j = r.randrange(n)
            toks[i], toks[j] = toks[j], toks[i]
        elif op == 1 and n > 1:  # delete a run
            del toks[i:i + r.randint(1, 3)]
        elif op == 2:  # duplicate a run
            k = r.randint(1, 4)
            toks[i:i] = toks[i:i + k]
        elif op == 3:  # replace identifiers
            for k, t in enumerate(toks):
                if t.kind in ("ident", "qid", "var") and r.random() < 0.5:
                    toks[k] = Tok("ident", self.ident())
        elif op == 4:  # numbers
            for k, t in enumerate(toks):
                if t.kind == "num" and r.random() < 0.7:
                    toks[k] = Tok("num", r.choice(self.nums))
        elif op == 5:  # keyword
            ks = [k for k, t in enumerate(toks) if t.kind == "kw"]
            if ks:
                toks[r.choice(ks)] = Tok("kw", r.choice(self.kws))
        elif op == 6:  # type after :: or a column name
            ks = [k for k, t in enumerate(toks) if t.text == "::" or t.kind == "ident"]
            if ks:
                k = r.choice(ks)
                if k + 1 < n:
                    toks[k + 1] = Tok("ident", r.choice(TYPES))
        elif op == 7:  # splice with another statement
            other = r.choice(self.corpus)["toks"]
            if other:
                j = r.randrange(len(other))
                toks = toks[:i] + list(other[j:])
        elif op == 8:  # truncate
            toks = toks[:max(1, i)]
        elif op in (9, 10):  # insert a modifier
            toks[i:i] = lex(r.choice(MODIFIERS), self.keywords)
        elif op == 11:  # strings
            for k, t in enumerate(toks):
                if t.kind == "str" and r.random() < 0.5:
                    toks[k] = Tok("str", r.choice(self.strs))
        elif op == 12:  # retarget relation names to the seeded schema
            for k in range(1, n):
                if toks[k - 1].text.upper() in ("TABLE", "ON", "INDEX", "VIEW", "FROM",
                                                 "INTO", "REFERENCES", "ONLY", "EXISTS",
                                                 "PARTITION", "OF", "TRUNCATE") \
                        and toks[k].kind in ("ident", "qid"):
                    toks[k] = Tok("ident", r.choice(TABLES))
        elif op == 13:  # mutate inside a dollar-quoted body
            ks = [k for k, t in enumerate(toks) if t.kind == "dstr"]
            if ks:
                k = r.choice(ks)
                m = _dollar_tag.match(toks[k].text)
                tag = m.group(0)
                body = toks[k].text[len(tag):]
                if body.endswith(tag):
                    body = body[:-len(tag)]
                inner = lex(body, self.keywords)
                for _ in range(r.randint(1, 3)):
                    inner = self.mutate_once(inner)
                toks[k] = Tok("dstr", tag + join(inner) + tag)
        elif op == 14:  # wrap a part in parentheses
            j = min(n, i + r.randint(1, 5))
            toks = toks[:i] + [Tok("punct", "(")] + toks[i:j] + [Tok("punct", ")")] + toks[j:]
        else:  # a random token from another statement
            other = r.choice(self.corpus)["toks"]
            if other:
                toks.insert(i, r.choice(other))
        return toks

    def pick(self):
        """A corpus statement; half of the time one of this repository's
        suites, whose statements aim at the rules."""
        if self.own and self.r.random() < 0.5:
            return self.r.choice(self.own)
        return self.r.choice(self.corpus)

    def mutant(self):
        st = self.pick()
        toks = list(st["toks"])
        for _ in range(self.r.choice([1, 1, 1, 2, 2, 3, 4, 6])):
            toks = self.mutate_once(toks)
        text = join(toks)
        if self.r.random() < 0.1:
            text = self.gen.nested(text)
        return text


# --------------------------------------------------------------------------
# running


class Runner:
    def __init__(self, args):
        self.args = args
        self.psql = args.psql
        self.log_path = args.server_log
        self.log_pos = os.path.getsize(self.log_path) if self.log_path and \
            os.path.exists(self.log_path) else 0

    def psql_run(self, script, db, options="", timeout=None, stderr_path=None):
        env = dict(os.environ)
        env["PGOPTIONS"] = options
        env["PGDATABASE"] = db
        env.pop("PSQLRC", None)
        err = open(stderr_path, "w") if stderr_path else subprocess.DEVNULL
        try:
            p = subprocess.run([self.psql, "-X", "-q", "-v", "ON_ERROR_STOP=0",
                                "-v", "VERBOSITY=verbose", "-v", "ECHO=errors"],
                               input=script.encode(), stdout=subprocess.DEVNULL,
                               stderr=err, env=env, timeout=timeout)
            return p.returncode
        except subprocess.TimeoutExpired:
            return "timeout"
        finally:
            if stderr_path:
                err.close()

    def psql_query(self, sql, db="postgres"):
        env = dict(os.environ)
        env["PGDATABASE"] = db
        # the driver's own DROP DATABASE must not be stopped by the guard
        env["PGOPTIONS"] = "-c schemaguard.mode=off"
        p = subprocess.run([self.psql, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql],
                           capture_output=True, env=env, timeout=120)
        if p.returncode != 0:
            raise RuntimeError("psql failed: %s\n%s" % (sql, p.stderr.decode(errors="replace")))
        return p.stdout.decode()

    def server_up(self, wait=60):
        deadline = time.time() + wait
        while time.time() < deadline:
            try:
                if self.psql_query("SELECT 1").strip() == "1":
                    return True
            except Exception:
                pass
            time.sleep(0.5)
        return False

    def new_log_crash_lines(self):
        if not self.log_path or not os.path.exists(self.log_path):
            return []
        with open(self.log_path, "rb") as f:
            f.seek(self.log_pos)
            data = f.read()
            self.log_pos = f.tell()
        out = []
        for line in data.decode(errors="replace").splitlines():
            if "terminated by signal" in line or line.startswith("TRAP:") or \
                    "PANIC:" in line or "was terminated by exception" in line:
                out.append(line)
        return out


def b64(s):
    return base64.b64encode(s.encode()).decode()


def exec_script(items, autocommit):
    """psql input that executes each item at top level via \\gexec."""
    # The SELECT needs to return rows in order; ordinality keeps it.  A chunk
    # holds whole items, so that each SELECT runs outside any failed
    # subtransaction.
    lines = [] if autocommit else ["BEGIN;"]
    chunk = 100
    for k in range(0, len(items), chunk):
        rows = []
        for s in items[k:k + chunk]:
            if autocommit:
                rows.append(s)
            else:
                rows.extend(["SAVEPOINT fz", s, "ROLLBACK TO SAVEPOINT fz"])
        arr = ",".join("'%s'" % b64(x) for x in rows)
        lines.append("SELECT convert_from(decode(b, 'base64'), 'UTF8') FROM "
                     "unnest(ARRAY[%s]) WITH ORDINALITY AS u(b, n) ORDER BY n \\gexec" % arr)
    if not autocommit:
        lines.append("ROLLBACK;")
    return "\n".join(lines) + "\n"


def check_script(items, scripts):
    lines = []
    for s in items + scripts:
        lines.append("SELECT count(*) FROM schemaguard.check(convert_from(decode('%s', "
                     "'base64'), 'UTF8'));" % b64(s))
    return "\n".join(lines) + "\n"


SETTINGS = [
    "-c schemaguard.mode=enforce",
    "-c schemaguard.mode=warn",
    "-c schemaguard.mode=enforce -c schemaguard.assume_large_tables=on",
    "-c schemaguard.mode=warn -c schemaguard.assume_large_tables=on",
    "-c schemaguard.mode=enforce -c schemaguard.table_size_threshold=0",
    "-c schemaguard.mode=warn -c schemaguard.table_size_threshold=0 "
    "-c schemaguard.rules=prefer_text=warn,ban_char=warn,prefer_identity=warn,missing_lock_timeout=error",
    "-c schemaguard.mode=enforce -c schemaguard.assume_large_tables=on "
    "-c schemaguard.allow=index_not_concurrent,drop_column,set_not_null",
    "-c schemaguard.mode=warn -c schemaguard.lock_timeout=0 -c schemaguard.migration=fuzz",
]


def load_corpus(args, keywords):
    files = []
    repo = args.repo
    files += sorted(glob.glob(os.path.join(repo, "sql", "*.sql")))
    files += sorted(glob.glob(os.path.join(repo, "test", "pgtap", "*.sql")))
    specs = sorted(glob.glob(os.path.join(repo, "specs", "*.spec")))
    if args.pgsrc:
        files += sorted(glob.glob(os.path.join(args.pgsrc, "src", "test", "regress", "sql",
                                               "*.sql")))
    corpus = []
    nfiles = 0
    for path in files + specs:
        with open(path, encoding="utf-8", errors="replace") as f:
            text = f.read()
        nfiles += 1
        if path.endswith(".spec"):
            stmts = spec_statements(text, keywords)
        else:
            stmts = split_statements(lex(text, keywords))
        for toks in stmts:
            if toks and len(toks) < 400:
                corpus.append({"toks": toks, "file": os.path.basename(path),
                               "own": not path.startswith(args.pgsrc or "\0")})
    return corpus, nfiles


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--statements", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--batch", type=int, default=500)
    ap.add_argument("--out", required=True)
    ap.add_argument("--repo", default=os.path.dirname(os.path.dirname(
        os.path.dirname(os.path.abspath(__file__)))))
    ap.add_argument("--pgsrc", default="")
    ap.add_argument("--psql", default="psql")
    ap.add_argument("--server-log", default="")
    ap.add_argument("--max-crashes", type=int, default=3)
    ap.add_argument("--statement-timeout", default="5s")
    ap.add_argument("--batch-timeout", type=int, default=900)
    ap.add_argument("--inject", default="",
                    help="a statement to add to the second batch (to test the crash handling)")
    args = ap.parse_args()

    os.makedirs(args.out, exist_ok=True)
    run = Runner(args)
    t0 = time.time()
    if not run.server_up(30):
        print("fuzz: the server does not accept connections", file=sys.stderr)
        return 2

    keywords = frozenset(run.psql_query("SELECT word FROM pg_get_keywords()").split())
    corpus, nfiles = load_corpus(args, keywords)
    if not corpus:
        print("fuzz: empty corpus", file=sys.stderr)
        return 2
    print("fuzz: corpus %d statements from %d files%s" % (
        len(corpus), nfiles, "" if args.pgsrc else " (no PostgreSQL regression suite)"))

    # the seeded database
    run.psql_query("DROP DATABASE IF EXISTS %s WITH (FORCE)" % SEED_DB)
    run.psql_query("CREATE DATABASE %s" % SEED_DB)
    run.psql_query("CREATE EXTENSION schemaguard", SEED_DB)
    seed_sql = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "seed.sql")).read()
    rc = run.psql_run("\\set ON_ERROR_STOP 1\n" + seed_sql, SEED_DB,
                      stderr_path=os.path.join(args.out, "seed.log"))
    if rc != 0:
        print("fuzz: seeding failed, see %s/seed.log" % args.out, file=sys.stderr)
        return 2

    seed_id = int(run.psql_query("SELECT coalesce(max(id), 0) FROM schemaguard.changelog",
                                 SEED_DB))
    rnd = random.Random(args.seed)
    mut = Mutator(rnd, corpus, keywords)
    gen = Gen(rnd)

    total = hook = checked = scripts_n = script_stmts = syntax = filtered = 0
    sg_errors = sg_warnings = changelog_rows = 0
    rules_seen = {}
    internal = []
    crashes = []
    hangs = []
    batch_no = 0
    base_opts = ("-c statement_timeout=%s "
                 "-c client_connection_check_interval=1s" % args.statement_timeout)
    while total < args.statements:
        batch_no += 1
        autocommit = batch_no % 4 == 0
        want = min(args.batch if not autocommit else max(1, args.batch // 2),
                   args.statements - total)
        items = []
        while len(items) < want:
            r = rnd.random()
            if r < 0.08:
                s = join(mut.pick()["toks"])
            elif r < 0.55:
                s = mut.mutant()
            else:
                s = gen.statement()
                if rnd.random() < 0.15:
                    s = gen.nested(s)
            if allowed(s, autocommit):
                items.append(s)
            else:
                filtered += 1
        if args.inject and batch_no == 2:
            items.insert(rnd.randrange(len(items) + 1), args.inject)
        # scripts for check(): consecutive corpus statements, and runs of items
        scripts = []
        for _ in range(max(1, want // 25)):
            k = rnd.randrange(len(corpus))
            scripts.append(";\n".join(join(st["toks"]) for st in corpus[k:k + rnd.randint(2, 30)]))
            k = rnd.randrange(len(items))
            scripts.append(";\n".join(items[k:k + rnd.randint(2, 20)]))
        opts = base_opts + " " + SETTINGS[batch_no % len(SETTINGS)]

        db = SEED_DB
        if autocommit:
            run.psql_query("DROP DATABASE IF EXISTS %s WITH (FORCE)" % CLONE_DB)
            run.psql_query("CREATE DATABASE %s TEMPLATE %s" % (CLONE_DB, SEED_DB))
            db = CLONE_DB
        errpath = os.path.join(args.out, "exec.stderr")
        rc1 = run.psql_run(exec_script(items, autocommit), db, opts,
                           timeout=args.batch_timeout, stderr_path=errpath)
        stats = scan_stderr(errpath, items)
        syntax += stats["syntax"]
        sg_errors += stats["errors"]
        sg_warnings += stats["warnings"]
        for rule in stats["rules"]:
            rules_seen[rule] = rules_seen.get(rule, 0) + 1
        hangs += [(batch_no, s) for s in stats["timeouts"]]
        internal += stats["internal"]
        errpath = os.path.join(args.out, "check.stderr")
        rc2 = run.psql_run(check_script(items, scripts), db, opts,
                           timeout=args.batch_timeout, stderr_path=errpath)
        stats = scan_stderr(errpath, items + scripts)
        hangs += [(batch_no, s) for s in stats["timeouts"]]
        internal += stats["internal"]

        for rc, what in ((rc1, "execution"), (rc2, "check()")):
            if rc == "timeout":
                # psql was killed; the backend notices the lost client
                # (client_connection_check_interval) and stops
                print("fuzz: batch %d: %s took over %d s, saved as a hang" % (
                    batch_no, what, args.batch_timeout))
                hangs.append((batch_no, "-- the whole batch (%s):\n" % what +
                              ";\n".join(items)))
        lines = run.new_log_crash_lines()
        crashed = bool(lines) or rc1 not in (0, 1, "timeout") or rc2 not in (0, 1, "timeout")
        if crashed:
            up = run.server_up(120)
            lines += run.new_log_crash_lines()
            print("fuzz: batch %d: CRASH (exec rc %s, check rc %s)" % (batch_no, rc1, rc2))
            for ln in lines:
                print("  " + ln)
            crashes.append(save_crash(run, args, len(crashes) + 1, batch_no, items, scripts,
                                      autocommit, opts, db, lines, rc1, rc2))
            run.new_log_crash_lines()
            if not up or len(crashes) >= args.max_crashes:
                total += len(items)
                break
        total += len(items)
        hook += len(items)
        checked += len(items)
        scripts_n += len(scripts)
        script_stmts += sum(s.count(";\n") + 1 for s in scripts)
        if batch_no % 10 == 0:
            print("fuzz: %d statements, %d crashes, %.0f s" % (total, len(crashes), time.time() - t0),
                  flush=True)
        if autocommit:
            try:
                changelog_rows += int(run.psql_query(
                    "SELECT count(*) FROM schemaguard.changelog WHERE id > %d" % seed_id,
                    CLONE_DB))
            except (RuntimeError, ValueError):
                pass  # the batch dropped the extension
            run.psql_query("DROP DATABASE IF EXISTS %s WITH (FORCE)" % CLONE_DB)

    if hangs:
        with open(os.path.join(args.out, "hangs.sql"), "w") as f:
            for b, s in hangs:
                f.write("-- batch %d: cancelled by statement_timeout (%s)\n%s;\n\n" % (
                    b, args.statement_timeout, s))
    kinds = {}
    for sqlstate, msg, loc, stmt in internal:
        key = (sqlstate, re.sub(r'"[^"]*"|\d+', "?", msg), loc.split(",")[0])
        kinds.setdefault(key, []).append(stmt)
    if kinds:
        with open(os.path.join(args.out, "internal_errors.txt"), "w") as f:
            for (sqlstate, msg, func), stmts in sorted(kinds.items()):
                f.write("%s %s (%s), %d times; first statement:\n%s\n\n" % (
                    sqlstate, msg, func, len(stmts), stmts[0]))
    elapsed = time.time() - t0
    print("fuzz: %d generated statements filtered out before running (sandbox); of the "
          "executed ones %d were syntax errors, %d stopped by a schemaguard rule, %d warned "
          "about; %d changelog rows committed in autocommit batches; %d scripts (%d "
          "statements) through check(); %d cancelled after %s (hangs.sql); %d internal "
          "errors of %d kinds (internal_errors.txt)" % (
              filtered, syntax, sg_errors, sg_warnings, changelog_rows, scripts_n,
              script_stmts, len(hangs), args.statement_timeout, len(internal), len(kinds)))
    summary = ("fuzz: %d statements (%d through the hook, %d through check()), %d crashes, "
               "seed %d, %.0f s" % (total, hook, checked, len(crashes), args.seed, elapsed))
    print(summary)
    with open(os.path.join(args.out, "summary.txt"), "w") as f:
        f.write(summary + "\n\nrules that fired while executing (errors and warnings):\n")
        for rule in sorted(rules_seen, key=lambda k: -rules_seen[k]):
            f.write("  %-32s %d\n" % (rule, rules_seen[rule]))
        f.write("  (%d of %d rules)\n" % (len(rules_seen), len(RULES)))
    for c in crashes:
        print("fuzz: crash reproducer: %s" % c)
    return 1 if crashes else 0


_MSG_HEAD = re.compile(r"^(ERROR|WARNING|NOTICE|INFO|FATAL|PANIC|LOG|DEBUG):  ", re.M)
_ERR = re.compile(r"^ERROR:  ([0-9A-Z]{5}): (.*)")


def scan_stderr(path, items):
    """What psql printed (VERBOSITY=verbose, ECHO=errors): each message with
    its SQLSTATE, its LOCATION and, for errors, the failing STATEMENT."""
    stats = {"syntax": 0, "timeouts": [], "errors": 0, "warnings": 0, "rules": [],
             "internal": []}
    try:
        text = open(path, encoding="utf-8", errors="replace").read()
    except OSError:
        return stats
    heads = [m.start() for m in _MSG_HEAD.finditer(text)] + [len(text)]
    for a, b in zip(heads, heads[1:]):
        block = text[a:b]
        first = block.split("\n", 1)[0]
        rule = re.match(r"(ERROR|WARNING):  SG00[12]: schemaguard: ([a-z_]+):", first)
        if rule:
            stats["errors" if rule.group(1) == "ERROR" else "warnings"] += 1
            stats["rules"].append(rule.group(2))
            continue
        m = _ERR.match(first)
        if not m:
            continue
        sqlstate, msg = m.groups()
        k = block.find("\nSTATEMENT:  ")
        stmt = block[k + len("\nSTATEMENT:  "):].rstrip("\n") if k >= 0 else ""
        loc = re.search(r"^LOCATION:  (.*)$", block, re.M)
        loc = loc.group(1) if loc else ""
        if sqlstate == "42601":
            stats["syntax"] += 1
        elif sqlstate == "57014" and "statement timeout" in msg:
            stats["timeouts"].append(stmt)
        elif sqlstate.startswith("XX"):
            # internal errors (the LOCATION says whether schemaguard, an sg_
            # function, raised it): worth a look
            stats["internal"].append((sqlstate, msg, loc, stmt))
    return stats


def save_crash(run, args, n, batch_no, items, scripts, autocommit, opts, db, lines, rc1, rc2):
    d = os.path.join(args.out, "crash-%d" % n)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "batch.sql"), "w") as f:
        f.write("-- batch %d, %s mode, PGOPTIONS=%s\n" % (
            batch_no, "autocommit" if autocommit else "savepoint", opts))
        for i, s in enumerate(items):
            f.write("-- item %d\n%s;\n" % (i, s))
        for i, s in enumerate(scripts):
            f.write("-- check() script %d\n%s;\n" % (i, s))
    with open(os.path.join(d, "server.log.lines"), "w") as f:
        f.write("\n".join(lines) + "\n")
    # minimise: every statement alone, first through the hook, then through check()
    found = []
    for path, cands in (("hook", items), ("check", items + scripts)):
        for s in cands:
            if path == "hook":
                script = exec_script([s], False)
                if autocommit:
                    script = exec_script([s], True)
                    run.psql_query("DROP DATABASE IF EXISTS %s WITH (FORCE)" % CLONE_DB)
                    run.psql_query("CREATE DATABASE %s TEMPLATE %s" % (CLONE_DB, SEED_DB))
            else:
                script = check_script([s], [])
            rc = run.psql_run(script, db, opts, timeout=60)
            crash = run.new_log_crash_lines()
            if crash or rc not in (0, 1):
                found.append((path, s, crash))
                run.server_up(120)
                run.new_log_crash_lines()
                break
        if found:
            break
    with open(os.path.join(d, "minimal.sql"), "w") as f:
        if found:
            path, s, crash = found[0]
            f.write("-- crashes the server through %s\n" % (
                "the hook (executed %s)" % ("in autocommit mode" if autocommit else
                                            "in a transaction")
                if path == "hook" else "schemaguard.check()"))
            f.write("-- %s\n" % " | ".join(crash))
            for name, value in re.findall(r"-c ([a-z_.]+)=(\S+)", opts):
                f.write("SET %s = %s;\n" % (name, quote_literal(value)))
            if path == "hook":
                f.write("%s%s;\n%s" % ("" if autocommit else "BEGIN;\n", s,
                                       "" if autocommit else "ROLLBACK;\n"))
            else:
                f.write("SELECT * FROM schemaguard.check(%s);\n" % quote_literal(s))
        else:
            f.write("-- no single statement crashes alone; the whole batch is in batch.sql\n")
    print("fuzz: crash %d: %s" % (n, "minimised to %s/minimal.sql" % d if found else
                                  "not reproducible statement by statement, see %s" % d))
    return d


if __name__ == "__main__":
    sys.exit(main())
