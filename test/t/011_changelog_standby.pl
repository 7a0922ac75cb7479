# test/t/011_changelog_standby.pl — the changelog on a streaming standby,
# and read-only transactions on the primary.
#
#   1. primary with schemaguard preloaded, CREATE EXTENSION, some DDL;
#   2. standby from a base backup, streaming; more DDL on the primary after
#      the standby is up, so those rows arrive by streaming, not in the backup;
#   3. on the standby: the changelog rows are there and equal the primary's
#      row by row, verify_changelog() is empty, changelog_head() equals the
#      primary's; check() of a migration script gives the same findings as
#      on the primary, row by row, and list_rules() the same rules;
#   4. DDL on the standby fails with PostgreSQL's own read-only error
#      (SQLSTATE 25006), never with a schemaguard error (SG001/SG002 or any
#      message naming schemaguard) — also for statements the guard would
#      refuse on the primary (CREATE INDEX on a large table, DROP TABLE, ...),
#      in warn mode, and from a DO block;
#   5. a read-only transaction on the primary (default_transaction_read_only)
#      doing SELECTs, including of the changelog functions, gets no
#      schemaguard error, and DDL in it gets the normal read-only error;
#   6. promotion: in a session opened on the standby before it was promoted,
#      the guard now refuses CREATE INDEX on the large table (SG001), and a
#      DDL is recorded as the next entry, linked to the replicated head;
#   7. no crash in either server log.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
});
$primary->start;

$primary->safe_psql('postgres', q{
CREATE EXTENSION schemaguard;
});
# Separate statements, one transaction each; one multi-statement
# transaction; a table above schemaguard.table_size_threshold (1MB) so that
# the guard's size-aware rules would fire on it; a materialized view.
$primary->safe_psql('postgres', q{
CREATE TABLE big (a int, b text);
INSERT INTO big SELECT g, repeat('x', 60) FROM generate_series(1, 30000) g;
});
$primary->safe_psql('postgres', q{
SET schemaguard.migration = 'V1';
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
CREATE INDEX big_a ON big (a);
CREATE VIEW big_v AS SELECT a FROM big;
COMMENT ON VIEW big_v IS 'before the backup';
COMMIT;
});
$primary->safe_psql('postgres',
	'CREATE MATERIALIZED VIEW big_mv AS SELECT count(*) AS n FROM big');

$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

# DDL after the backup: these rows reach the standby by streaming.
$primary->safe_psql('postgres', q{
SET schemaguard.migration = 'V2';
CREATE TABLE after_backup (id bigint GENERATED ALWAYS AS IDENTITY, note text);
ALTER TABLE after_backup ADD COLUMN created timestamptz;
CREATE FUNCTION after_fn() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$;
});
$primary->safe_psql('postgres', q{
BEGIN;
CREATE TYPE mood AS ENUM ('ok', 'not ok');
SAVEPOINT s;
CREATE TABLE rolled_back (a int);
ROLLBACK TO SAVEPOINT s;
COMMIT;
});
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

# --- 3. the changelog on the standby ----------------------------------------
my $all_rows = 'COPY (SELECT * FROM schemaguard.changelog ORDER BY id) TO STDOUT';
my $on_primary = $primary->safe_psql('postgres', $all_rows);
my $on_standby = $standby->safe_psql('postgres', $all_rows);
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');
is($primary->safe_psql('postgres', 'SELECT count(*) FROM schemaguard.changelog'),
	'9', 'the primary has 9 changelog rows');
is($on_standby, $on_primary,
	'the standby has the same changelog rows, column by column');
is( $standby->safe_psql(
		'postgres',
		q{SELECT string_agg(statement, ' | ' ORDER BY id) FROM schemaguard.changelog WHERE id > 5}
	),
	'CREATE TABLE after_backup (id bigint GENERATED ALWAYS AS IDENTITY, note text) | '
	  . 'ALTER TABLE after_backup ADD COLUMN created timestamptz | '
	  . 'CREATE FUNCTION after_fn() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$ | '
	  . q{CREATE TYPE mood AS ENUM ('ok', 'not ok')},
	'rows written after the backup arrived by streaming');

my ($ret, $stdout, $stderr) =
  $standby->psql('postgres', 'SELECT * FROM schemaguard.verify_changelog()');
is($ret, 0, 'verify_changelog() runs on the standby') or diag($stderr);
is($stdout, '', 'verify_changelog() finds nothing on the standby');
is($stderr, '', 'verify_changelog() on the standby: no message');

my $head_primary =
  $primary->safe_psql('postgres', 'SELECT * FROM schemaguard.changelog_head()');
($ret, $stdout, $stderr) =
  $standby->psql('postgres', 'SELECT * FROM schemaguard.changelog_head()');
is($ret, 0, 'changelog_head() runs on the standby') or diag($stderr);
like($stdout, qr/^9\|sha256:[0-9a-f]{64}$/, 'changelog_head() on the standby is entry 9');
is($stdout, $head_primary, 'changelog_head() on the standby equals the primary\'s');

($ret, $stdout, $stderr) = $standby->psql('postgres',
	q{SELECT rule FROM schemaguard.check('CREATE INDEX big_b ON big (b)')});
is($ret, 0, 'check() runs on the standby') or diag($stderr);
like($stdout, qr/index_not_concurrent/,
	'check() on the standby sees the real table size');
($ret, $stdout, $stderr) = $standby->psql('postgres',
	'SELECT count(*) > 0 FROM schemaguard.list_rules()');
is($stdout, 't', 'list_rules() runs on the standby');
my $all_rules = 'COPY (SELECT * FROM schemaguard.list_rules() ORDER BY 1) TO STDOUT';
is($standby->safe_psql('postgres', $all_rules),
	$primary->safe_psql('postgres', $all_rules),
	'list_rules() on the standby equals the primary\'s');

# A migration script with findings of several rules: every column of every
# finding is the same on both.
my $findings = q{COPY (SELECT * FROM schemaguard.check($$
CREATE INDEX big_b ON big (b);
ALTER TABLE big ADD COLUMN c int NOT NULL;
ALTER TABLE big ALTER COLUMN a TYPE bigint;
ALTER TABLE big RENAME COLUMN a TO a2;
DROP INDEX big_a;
DROP TABLE big;
CREATE TABLE n (id int PRIMARY KEY, t timestamp);
$$)) TO STDOUT};
my $findings_primary = $primary->safe_psql('postgres', $findings);
($ret, $stdout, $stderr) = $standby->psql('postgres', $findings);
is($ret, 0, 'check() of a migration script runs on the standby') or diag($stderr);
is($stdout, $findings_primary,
	'check() on the standby gives the same findings as on the primary, column by column');
my %rules = map { (split /\t/)[1] => 1 } split /\n/, $findings_primary;
is( join(',', sort keys %rules),
	'add_column_not_null_no_default,alter_column_type,drop_index_not_concurrent,'
	  . 'drop_table,index_not_concurrent,prefer_bigint_pk,prefer_timestamptz,'
	  . 'rename_column',
	'the findings cover the rules of every statement in the script');

# --- 4. DDL on the standby ------------------------------------------------
# Each statement alone, with the SQLSTATE in the message.
my @ddl = (
	'CREATE TABLE t_new (a int)',
	'CREATE INDEX big_b ON big (b)',
	'CREATE INDEX CONCURRENTLY big_b ON big (b)',
	'DROP INDEX big_a',
	'DROP INDEX CONCURRENTLY big_a',
	'REINDEX TABLE big',
	'ALTER TABLE big ADD COLUMN c int NOT NULL',
	'ALTER TABLE big ADD COLUMN d timestamptz DEFAULT clock_timestamp()',
	'ALTER TABLE big ALTER COLUMN a TYPE bigint',
	'ALTER TABLE big ALTER COLUMN a SET NOT NULL',
	'ALTER TABLE big ADD CONSTRAINT big_a_pos CHECK (a > 0)',
	'ALTER TABLE big ADD PRIMARY KEY (a)',
	'ALTER TABLE big RENAME COLUMN a TO a2',
	'ALTER TABLE big RENAME TO big2',
	'DROP TABLE big',
	'TRUNCATE big',
	'VACUUM FULL big',
	'CLUSTER big USING big_a',
	'REFRESH MATERIALIZED VIEW big_mv',
	q{COMMENT ON TABLE big IS 'x'},
	'CREATE TEMP TABLE tmp (a int)',
	# warn mode: the guard would warn on the primary, but stays silent here
	"SET schemaguard.mode = warn; CREATE INDEX big_b ON big (b)",
	"SET schemaguard.assume_large_tables = on; ALTER TABLE big ALTER COLUMN a SET NOT NULL",
	# from a DO block: the hook sees the statement nested
	q{DO $$BEGIN EXECUTE 'CREATE INDEX big_b ON big (b)'; END$$},
);
for my $sql (@ddl)
{
	($ret, $stdout, $stderr) = $standby->psql('postgres',
		"\\set VERBOSITY verbose\n$sql");
	isnt($ret, 0, "standby: '$sql' fails");
	unlike($stderr, qr/WARNING/, "standby: '$sql' gets no warning");
	like(
		$stderr,
		qr/ERROR:\s+25006: cannot execute .* (during recovery|in a read-only transaction)/,
		"standby: '$sql' fails with the read-only error (25006)");
	unlike($stderr, qr/schemaguard|SG00\d/i,
		"standby: '$sql' gets no schemaguard message");
}

# Read-only work on the standby: no schemaguard message at all.
($ret, $stdout, $stderr) = $standby->psql('postgres', q{
BEGIN;
SELECT count(*) FROM big;
SELECT count(*) FROM schemaguard.changelog;
SET LOCAL schemaguard.migration = 'on the standby';
SHOW schemaguard.mode;
EXPLAIN SELECT * FROM big WHERE a = 1;
COMMIT;
});
is($ret, 0, 'standby: a read-only transaction with SET/SHOW/EXPLAIN works');
is($stderr, '', 'standby: no message at all');

# --- 5. read-only transaction on the primary -------------------------------
my $ro = "SET default_transaction_read_only = on;\n";
($ret, $stdout, $stderr) = $primary->psql('postgres', $ro . q{
BEGIN;
SELECT count(*) FROM big;
SELECT count(*) FROM schemaguard.changelog;
SELECT count(*) FROM schemaguard.verify_changelog();
SELECT id FROM schemaguard.changelog_head();
SELECT count(*) > 0 FROM schemaguard.check('CREATE INDEX big_b ON big (b)');
SET LOCAL schemaguard.migration = 'read-only';
COMMIT;
SELECT 1;
});
is($ret, 0, 'primary, read-only: SELECTs and changelog functions work')
  or diag($stderr);
is($stdout, "30000\n9\n0\n9\nt\n1", 'primary, read-only: the expected results');
is($stderr, '', 'primary, read-only: no message at all');

for my $sql ('CREATE TABLE t_ro (a int)', q{COMMENT ON TABLE big IS 'ro'},
	'CREATE INDEX CONCURRENTLY big_b ON big (b)')
{
	($ret, $stdout, $stderr) = $primary->psql('postgres',
		$ro . "\\set VERBOSITY verbose\n$sql");
	like($stderr, qr/ERROR:\s+25006: cannot execute .* in a read-only transaction/,
		"primary, read-only: '$sql' gets the read-only error");
	unlike($stderr, qr/schemaguard|SG00\d/i,
		"primary, read-only: '$sql' gets no schemaguard message");
}

# Nothing was recorded by any of it, and the primary still records.
$primary->safe_psql('postgres', 'CREATE TABLE last_one (a int)');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is( $standby->safe_psql(
		'postgres',
		'SELECT max(id), count(*) FROM schemaguard.changelog'),
	'10|10',
	'only the new primary DDL was added (entry 10), and it reached the standby');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM schemaguard.verify_changelog()'),
	'0', 'verify_changelog() still finds nothing on the standby');
is( $standby->safe_psql('postgres', 'SELECT * FROM schemaguard.changelog_head()'),
	$primary->safe_psql('postgres', 'SELECT * FROM schemaguard.changelog_head()'),
	'the heads are equal again');

# --- 6. promotion -----------------------------------------------------------
# A session opened while the node was a standby, used before and after.
my $session = $standby->background_psql('postgres', on_error_stop => 0);
is($session->query_safe('SELECT pg_is_in_recovery()'), 't',
	'a session on the standby, before the promotion');
my $head = $standby->safe_psql('postgres', 'SELECT * FROM schemaguard.changelog_head()');
$standby->promote;
$standby->poll_query_until('postgres', 'SELECT NOT pg_is_in_recovery()')
  or die 'the standby was not promoted';

$session->query("\\set VERBOSITY verbose\nCREATE INDEX big_b ON big (b);");
like($session->{stderr}, qr/ERROR:\s+SG001: schemaguard: index_not_concurrent/,
	'promoted, same session: the guard refuses CREATE INDEX on the large table');
$session->{stderr} = '';
$session->query_safe('CREATE TABLE after_promotion (a int);');
$session->quit;
is( $standby->safe_psql(
		'postgres', q{
SELECT id || '|' || prev_hash || '|' || statement FROM schemaguard.changelog
 WHERE id > } . (split /\|/, $head)[0]),
	'11|' . (split /\|/, $head)[1] . '|CREATE TABLE after_promotion (a int)',
	'promoted: the DDL is entry 11, linked to the replicated head; the refused one left no row');
is($standby->safe_psql('postgres', 'SELECT count(*) FROM schemaguard.verify_changelog()'),
	'0', 'promoted: verify_changelog() finds nothing');

$standby->stop;
$primary->stop;

# --- 7. no crash ------------------------------------------------------------
for my $node ($primary, $standby)
{
	my $log = slurp_file($node->logfile);
	unlike($log, qr/terminated by signal|server process .* was terminated|PANIC:/,
		$node->name . ': no crashed backend');
}

done_testing();
