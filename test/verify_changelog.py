#!/usr/bin/env python3
r"""Verify schemaguard's changelog hash chain outside the database.

Reads the whole schemaguard.changelog of one database, exported by psql as
JSON, on standard input, and recomputes with hashlib what
schemaguard.verify_changelog() checks inside the database:

  - ids run 1, 2, 3, ... without gaps;
  - each prev_hash is the entry_hash of the entry before it (the first one
    is "sha256:" followed by 64 zeros);
  - statement_sha256 is the SHA-256 of the statement;
  - entry_hash is the SHA-256 of the entry's canonical form, the same text
    as schemaguard.entry_canonical() builds.

It prints one line per problem, "<id><TAB><problem>", with the same ids and
problem texts as verify_changelog(), and exits 1 if there is any problem,
0 if the chain is intact, 2 if the input cannot be read.  With --anchor
ID:HASH (a changelog_head() kept outside the database) it also checks that
entry ID still has that entry_hash, which catches a rewrite that recomputed
every later hash.

Export (print it with --print-query; run psql with a UTF-8 client encoding):

  PGCLIENTENCODING=UTF8 psql -XAt -d DB \
      -c "$(python3 test/verify_changelog.py --print-query)" \
    | python3 test/verify_changelog.py

The query gives one JSON array of entries ordered by id, each entry an array
of the 16 columns as text, in table order, NULL as null:

  SELECT coalesce(json_agg(json_build_array(
           c.id::text,
           to_char(c.recorded_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
           c.xid::text, c.role_name::text, c.session_role::text,
           c.application_name, c.client_addr::text, c.command_tag,
           c.objects::text, c.statement, c.statement_sha256, c.migration,
           c.allowed_rules::text, c.warnings::text, c.prev_hash, c.entry_hash)
         ORDER BY c.id), '[]')
    FROM schemaguard.changelog c

Every value is the text form that entry_canonical() uses: recorded_at in
UTC as YYYY-MM-DDTHH:MI:SS.ffffffZ, the other columns cast to text.

The canonical form of an entry: the line "schemaguard-changelog-v1", then
for each of the 15 columns before entry_hash a newline and either "-" (NULL)
or "<length of the value in bytes>:<value>".  Lengths and hashes are taken
over UTF-8; in a database whose encoding is not UTF-8 the database itself
counts lengths in its own encoding, so only ASCII entries agree there.

Python 3 standard library only.
"""

import argparse
import hashlib
import json
import sys

# the export query, as written in the docstring above (one source of truth)
_lines = __doc__.splitlines()
_start = next(i for i, l in enumerate(_lines) if l.startswith("  SELECT coalesce(json_agg("))
_end = next(i for i, l in enumerate(_lines) if l == "    FROM schemaguard.changelog c")
EXPORT_QUERY = "\n".join(l[2:] for l in _lines[_start:_end + 1])

COLUMNS = (
    "id", "recorded_at", "xid", "role_name", "session_role",
    "application_name", "client_addr", "command_tag", "objects",
    "statement", "statement_sha256", "migration", "allowed_rules",
    "warnings", "prev_hash", "entry_hash",
)
# entry_hash covers every column before it
CANONICAL_COLUMNS = COLUMNS[:-1]
NOT_NULL = {
    "id", "recorded_at", "xid", "role_name", "session_role", "command_tag",
    "objects", "statement", "statement_sha256", "allowed_rules", "warnings",
    "prev_hash", "entry_hash",
}

VERSION_LINE = "schemaguard-changelog-v1"
GENESIS_HASH = "sha256:" + "0" * 64


class InputError(Exception):
    pass


def sha256_text(text):
    """schemaguard.sha256_text(): "sha256:" and the hex digest of the UTF-8 bytes."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def entry_canonical(entry):
    """schemaguard.entry_canonical() of one entry (a dict of column texts)."""
    parts = [VERSION_LINE]
    for name in CANONICAL_COLUMNS:
        value = entry[name]
        if value is None:
            parts.append("-")
        else:
            parts.append("%d:%s" % (len(value.encode("utf-8")), value))
    return "\n".join(parts)


def parse_entries(text):
    """The exported JSON as a list of dicts, column name -> text or None."""
    text = text.strip()
    if text == "":
        return []  # psql prints nothing for a NULL json_agg
    try:
        data = json.loads(text)
    except ValueError as e:
        raise InputError("input is not JSON: %s" % e)
    if not isinstance(data, list):
        raise InputError("input is not a JSON array of entries")
    entries = []
    for i, row in enumerate(data, 1):
        if not isinstance(row, list) or len(row) != len(COLUMNS):
            raise InputError("entry %d is not an array of %d values" % (i, len(COLUMNS)))
        entry = {}
        for name, value in zip(COLUMNS, row):
            if value is not None and not isinstance(value, str):
                raise InputError("entry %d: %s is not a string (export every column as text)"
                                 % (i, name))
            if value is None and name in NOT_NULL:
                raise InputError("entry %d: %s is null" % (i, name))
            entry[name] = value
        try:
            entry["id_int"] = int(entry["id"])
        except ValueError:
            raise InputError("entry %d: id %r is not an integer" % (i, entry["id"]))
        entries.append(entry)
    return entries


def verify(entries):
    """(id, problem) pairs, in the order verify_changelog() reports them."""
    problems = []
    expected_prev = GENESIS_HASH
    last_id = 0
    for e in sorted(entries, key=lambda e: e["id_int"]):
        eid = e["id_int"]
        if eid != last_id + 1:
            if eid > last_id + 1:
                problems.append((eid, "entries %d to %d are missing (deleted)"
                                 % (last_id + 1, eid - 1)))
            else:
                problems.append((eid, "id %d does not follow %d" % (eid, last_id)))
        if e["prev_hash"] != expected_prev:
            problems.append((eid, "prev_hash does not match the entry_hash of entry %d: "
                             "an entry was inserted, deleted or reordered" % last_id))
        if e["statement_sha256"] != sha256_text(e["statement"]):
            problems.append((eid, "statement_sha256 does not match the statement: "
                             "the statement was edited"))
        if e["entry_hash"] != sha256_text(entry_canonical(e)):
            problems.append((eid, "entry_hash does not match the entry's contents: "
                             "the entry was edited"))
        expected_prev = e["entry_hash"]
        last_id = eid
    return problems


def check_anchor(entries, anchor):
    """Problems with an anchor "ID:HASH" taken from changelog_head() earlier."""
    aid, sep, ahash = anchor.partition(":")
    try:
        aid = int(aid)
    except ValueError:
        raise InputError("--anchor must be ID:HASH, e.g. 42:sha256:...")
    if not sep or not ahash:
        raise InputError("--anchor must be ID:HASH, e.g. 42:sha256:...")
    for e in entries:
        if e["id_int"] == aid:
            if e["entry_hash"] != ahash:
                return [(aid, "entry_hash differs from the anchor: "
                         "the history up to this entry was rewritten")]
            return []
    return [(aid, "the anchored entry is missing")]


def main(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--print-query", action="store_true",
                        help="print the psql export query and exit")
    parser.add_argument("--anchor", metavar="ID:HASH", action="append", default=[],
                        help="an earlier changelog_head() (id and entry_hash): "
                             "that entry must still have that hash; may be repeated")
    parser.add_argument("--quiet", action="store_true",
                        help="print nothing when the chain is intact")
    args = parser.parse_args(argv)

    if args.print_query:
        print(EXPORT_QUERY)
        return 0

    try:
        raw = sys.stdin.buffer.read()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise InputError("input is not UTF-8 (set PGCLIENTENCODING=UTF8): %s" % e)
        entries = parse_entries(text)
        problems = verify(entries)
        for anchor in args.anchor:
            problems.extend(check_anchor(entries, anchor))
    except InputError as e:
        print("verify_changelog.py: %s" % e, file=sys.stderr)
        return 2

    for eid, problem in problems:
        print("%d\t%s" % (eid, problem))
    if problems:
        return 1
    if not args.quiet:
        print("ok: %d entries, chain intact%s" % (
            len(entries),
            ", head %s %s" % (entries[-1]["id"], entries[-1]["entry_hash"]) if entries else ""),
            file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
