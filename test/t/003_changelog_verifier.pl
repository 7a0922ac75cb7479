# test/t/003_changelog_verifier.pl — the outside verifier of the changelog.
#
# test/verify_changelog.py recomputes statement_sha256, entry_hash and the
# hash chain of schemaguard.changelog with Python's hashlib, from the JSON
# export it documents (--print-query).  Here, on a fresh cluster with some
# DDL recorded:
#   1. the intact chain: the verifier exits 0 and agrees with
#      verify_changelog() (no problems), and with changelog_head();
#   2. after each kind of superuser edit (a statement, another column, a
#      deleted row, two swapped ids, a forged row) it exits 1 and prints
#      exactly what verify_changelog() returns, "<id><TAB><problem>";
#   3. an edit that recomputes every later hash passes both checks, and is
#      caught by --anchor with a changelog_head() taken before;
#   4. input that is not an export gives exit 2.
#
# Where the verifier is: $SG_REPO/test/verify_changelog.py when SG_REPO is
# set, else ../verify_changelog.py next to this file's directory (t/).
# test/run.sh copies test/t to a postgres-owned directory, so it must copy
# test/verify_changelog.py next to that t/ (or set SG_REPO to a directory
# the postgres OS user can read).  Needs python3 (or $PYTHON) in PATH.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Spec;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $verifier =
  (defined $ENV{SG_REPO} && $ENV{SG_REPO} ne '')
  ? File::Spec->catfile($ENV{SG_REPO}, 'test', 'verify_changelog.py')
  : File::Spec->rel2abs(
	File::Spec->catfile(dirname(__FILE__), '..', 'verify_changelog.py'));
my $python = $ENV{PYTHON} || 'python3';

# run_verifier(STDIN, ARGS...): (exit code, stdout, stderr)
sub run_verifier
{
	my ($in, @args) = @_;
	my ($out, $err) = ('', '');
	IPC::Run::run([ $python, $verifier, @args ], '<', \$in, '>', \$out,
		'2>', \$err);
	return ($? >> 8, $out, $err);
}

my ($rc, $out, $err);
eval { ($rc, $out, $err) = run_verifier('', '--print-query'); 1 }
  or plan skip_all => "cannot run $python: $@";
ok(-f $verifier, "the verifier is at $verifier")
  or BAIL_OUT('set SG_REPO or copy test/verify_changelog.py next to t/');
is($rc, 0, '--print-query works') or diag($err);
my $export = $out;
like($export, qr/FROM schemaguard\.changelog/, 'the export query reads the changelog');

my $node = PostgreSQL::Test::Cluster->new('changelog_verifier');
$node->init(extra => [ '--encoding=UTF8', '--locale=C' ]);
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
});
$node->start;
$ENV{PGCLIENTENCODING} = 'UTF8';

$node->safe_psql('postgres', 'CREATE EXTENSION schemaguard');
# some history: several statements, a label, non-ASCII text, a NULL
# application_name, allowed rules and warnings, functions and drops
$node->safe_psql('postgres', q{
SET application_name = 'migrator';
SET schemaguard.migration = 'V1__init';
CREATE TABLE accounts (id bigint PRIMARY KEY, name text NOT NULL);
CREATE INDEX accounts_name_idx ON accounts (name);
COMMENT ON TABLE accounts IS 'Kundenkonten — «straße» ✓';
RESET schemaguard.migration;
SET application_name = '';
CREATE TABLE events (id bigint, at timestamp);
CREATE FUNCTION make_table(n text) RETURNS void LANGUAGE plpgsql
    AS $$ BEGIN EXECUTE format('CREATE TABLE %I (a int)', n); END $$;
SELECT make_table('tëst');
INSERT INTO accounts VALUES (1, 'one');
BEGIN;
SET LOCAL schemaguard.allow = 'drop_column';
ALTER TABLE accounts DROP COLUMN name;
COMMIT;
DROP TABLE events;
});
my $n_entries = $node->safe_psql('postgres',
	'SELECT count(*) FROM schemaguard.changelog');
cmp_ok($n_entries, '>=', 8, "the DDL was recorded ($n_entries entries)");
is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM schemaguard.changelog
		 WHERE allowed_rules <> '{}' OR warnings <> '{}' OR migration IS NOT NULL
		    OR application_name IS NULL OR statement ~ '[^\x01-\x7e]'}) > 0
	  ? 1 : 0,
	1, 'the history has labels, rules, warnings, NULLs and non-ASCII text');

# what verify_changelog() says, in the verifier's format
sub in_database
{
	my $r = $node->safe_psql('postgres',
		q{SELECT id || E'\t' || problem FROM schemaguard.verify_changelog()});
	return $r eq '' ? '' : "$r\n";
}

sub export_changelog
{
	return $node->safe_psql('postgres', $export);
}

# 1. intact
($rc, $out, $err) = run_verifier(export_changelog());
is($rc, 0, 'intact chain: the verifier exits 0') or diag($out . $err);
is($out, '', 'intact chain: no problems printed');
is(in_database(), '', 'intact chain: verify_changelog() agrees');
my $head = $node->safe_psql('postgres',
	q{SELECT id || ' ' || entry_hash FROM schemaguard.changelog_head()});
like($err, qr/\Q$n_entries entries, chain intact, head $head\E/,
	'the verifier reports the same head as changelog_head()');
my ($head_id, $head_hash) = split / /, $head;
($rc, $out, $err) = run_verifier(export_changelog(), '--anchor', "$head_id:$head_hash");
is($rc, 0, 'the head anchors the chain') or diag($out . $err);

# keep the original rows, without recording the copy
$node->safe_psql('postgres', q{
SET schemaguard.changelog = off;
CREATE TABLE public.changelog_copy AS TABLE schemaguard.changelog;
});
sub restore
{
	$node->safe_psql('postgres', q{
DELETE FROM schemaguard.changelog;
INSERT INTO schemaguard.changelog SELECT * FROM public.changelog_copy;
});
}

# 2. each kind of superuser edit
my @cases = (
	[ 'an edited statement',
	  q{UPDATE schemaguard.changelog SET statement = 'CREATE TABLE accounts (id int)' WHERE id = 1},
	  qr/^1\tstatement_sha256 does not match.*\n1\tentry_hash does not match/ ],
	[ 'an edited statement with its checksum recomputed',
	  q{UPDATE schemaguard.changelog SET statement = 'DROP TABLE x',
	        statement_sha256 = schemaguard.sha256_text('DROP TABLE x') WHERE id = 3},
	  qr/^3\tentry_hash does not match[^\n]*\n\z/ ],
	[ 'an edited role_name',
	  q{UPDATE schemaguard.changelog SET role_name = 'mallory' WHERE id = 2},
	  qr/^2\tentry_hash does not match[^\n]*\n\z/ ],
	[ 'an edited application_name (to NULL)',
	  q{UPDATE schemaguard.changelog SET application_name = NULL WHERE id = 1},
	  qr/^1\tentry_hash does not match[^\n]*\n\z/ ],
	[ 'a deleted row in the middle',
	  q{DELETE FROM schemaguard.changelog WHERE id = 4},
	  qr/^5\tentries 4 to 4 are missing \(deleted\)\n5\tprev_hash does not match the entry_hash of entry 3/ ],
	[ 'two rows with swapped ids',
	  q{UPDATE schemaguard.changelog SET id = -id WHERE id IN (2, 3);
	    UPDATE schemaguard.changelog SET id = CASE id WHEN -2 THEN 3 ELSE 2 END WHERE id < 0},
	  qr/^2\tprev_hash does not match/ ],
	[ 'a forged row at the end',
	  q{INSERT INTO schemaguard.changelog
	    SELECT id + 1, recorded_at, xid, role_name, session_role, application_name,
	           client_addr, 'DROP TABLE', '[]', 'DROP TABLE accounts',
	           schemaguard.sha256_text('DROP TABLE accounts'), migration, '{}', '{}',
	           entry_hash, 'sha256:' || repeat('0', 64)
	      FROM schemaguard.changelog ORDER BY id DESC LIMIT 1},
	  qr/^\d+\tentry_hash does not match[^\n]*\n\z/ ],
);
for my $case (@cases)
{
	my ($name, $sql, $expected) = @$case;
	$node->safe_psql('postgres', $sql);
	my $db = in_database();
	($rc, $out, $err) = run_verifier(export_changelog());
	is($rc, 1, "$name: the verifier exits 1") or diag($err);
	like($out, $expected, "$name: the verifier names the entry and the problem");
	is($out, $db, "$name: the verifier agrees with verify_changelog()");
	restore();
	is(in_database(), '', "$name: restored");
}

# 3. an edit with every later hash recomputed
$node->safe_psql('postgres', q{
UPDATE schemaguard.changelog SET statement = 'CREATE TABLE accounts (id int)',
       statement_sha256 = schemaguard.sha256_text('CREATE TABLE accounts (id int)')
 WHERE id = 1;
DO $$
DECLARE
    e record;
    prev text := 'sha256:' || repeat('0', 64);
BEGIN
    FOR e IN SELECT * FROM schemaguard.changelog ORDER BY id LOOP
        e.prev_hash := prev;
        prev := schemaguard.sha256_text(schemaguard.entry_canonical(
            e.id, e.recorded_at, e.xid, e.role_name, e.session_role,
            e.application_name, e.client_addr, e.command_tag, e.objects,
            e.statement, e.statement_sha256, e.migration, e.allowed_rules,
            e.warnings, e.prev_hash));
        UPDATE schemaguard.changelog SET prev_hash = e.prev_hash, entry_hash = prev
         WHERE id = e.id;
    END LOOP;
END
$$;
});
($rc, $out, $err) = run_verifier(export_changelog());
is($rc, 0, 'rewritten chain: the verifier alone cannot tell') or diag($out);
is(in_database(), '', 'rewritten chain: neither can verify_changelog()');
($rc, $out, $err) = run_verifier(export_changelog(), '--anchor', "$head_id:$head_hash");
is($rc, 1, 'rewritten chain: the earlier head as --anchor catches it');
is($out,
	"$head_id\tentry_hash differs from the anchor: the history up to this entry was rewritten\n",
	'rewritten chain: the anchored entry is named');
restore();
($rc, $out, $err) = run_verifier(export_changelog(), '--anchor', "$head_id:$head_hash");
is($rc, 0, 'restored: the anchor matches again') or diag($out . $err);

# 4. bad input
($rc, $out, $err) = run_verifier('[["1", "2"]]');
is($rc, 2, 'an entry with the wrong number of columns: exit 2');
like($err, qr/not an array of 16 values/, 'and says why');
($rc, $out, $err) = run_verifier('not json');
is($rc, 2, 'input that is not JSON: exit 2');

$node->stop;
done_testing();
