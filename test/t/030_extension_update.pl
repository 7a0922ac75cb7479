# test/t/030_extension_update.pl — ALTER EXTENSION schemaguard UPDATE from
# 0.1.0 to 0.2.0, and a library that meets a version it cannot write.
#
#   1. database "up": CREATE EXTENSION schemaguard VERSION '0.1.0', history
#      recorded (DDL, a baseline); the chain verifies; its list_rules()
#      (without the column doc) works;
#   2. a prepared transaction in a 0.1.0 database: its entries are skipped
#      with one WARNING that names ALTER EXTENSION schemaguard UPDATE TO
#      '0.2.0' (none for the second in the same session), and it blocks no
#      other schema change (0.1.0 has nowhere else to keep them);
#   3. ALTER EXTENSION schemaguard UPDATE: 0.2.0; the old chain still
#      verifies (inside and with test/verify_changelog.py), list_rules()
#      has the column doc, new entries
#      chain onto it, prepared transactions now use changelog_pending;
#   4. the updated database's objects equal those of a fresh 0.2.0 install
#      in database "fresh" with the same user objects: pg_dump
#      --binary-upgrade -s (which, unlike a plain dump, writes out every
#      member of the extension), with OIDs, xids, \restrict keys and
#      sequence values left out;
#   5. database "newer": an extversion the library does not know (set by
#      hand, as a newer script would): DDL commits, is not recorded, one
#      WARNING per session names what was skipped and the ALTER EXTENSION.
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

my $node = PostgreSQL::Test::Cluster->new('update');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
max_prepared_transactions = 10
});
$node->start;

sub chain_verifies
{
	my ($db, $what) = @_;
	is($node->safe_psql($db, q{SELECT count(*) FROM schemaguard.verify_changelog()}),
		'0', "$what: verify_changelog() finds nothing");
	my $query = `$python $verifier --print-query`;
	my $export = $node->safe_psql($db, $query);
	my ($out, $err) = ('', '');
	IPC::Run::run([ $python, $verifier ], '<', \$export, '>', \$out, '2>', \$err);
	is($? >> 8, 0, "$what: test/verify_changelog.py verifies the chain")
	  or diag("$out$err");
}

my $no_wait = "SET lock_timeout = '3s'; SET statement_timeout = '3s';";
my $history = q{
CREATE TABLE hist (id bigint PRIMARY KEY);
ALTER TABLE hist ADD COLUMN note text;
CREATE INDEX hist_note ON hist (note);
COMMENT ON TABLE hist IS 'recorded before the update';
};

# --- 1. 0.1.0 with history --------------------------------------------------------
$node->safe_psql('postgres', 'CREATE DATABASE up');
$node->safe_psql('up', q{CREATE EXTENSION schemaguard VERSION '0.1.0'});
is($node->safe_psql('up', q{SELECT extversion FROM pg_extension WHERE extname = 'schemaguard'}),
	'0.1.0', '1: 0.1.0 is installed');
$node->safe_psql('up', $history);
$node->safe_psql('up', q{SELECT schemaguard.take_baseline('before the update')});
is($node->safe_psql('up', 'SELECT count(*) FROM schemaguard.changelog'), '4',
	'1: 0.1.0 records the history');
chain_verifies('up', '1');
is($node->safe_psql('up', q{SELECT rule || ' ' || family FROM schemaguard.list_rules() WHERE rule = 'set_not_null'}),
	'set_not_null lock', '1: list_rules() of 0.1.0 (no column doc) works with this library');

# --- 2. a prepared transaction in a 0.1.0 database ---------------------------------
my ($ret, $out, $err) = $node->psql('up', q{
BEGIN;
CREATE TABLE prepared_010 (id int);
PREPARE TRANSACTION 'p1';
BEGIN;
CREATE TABLE prepared_010_b (id int);
PREPARE TRANSACTION 'p2';
});
is($ret, 0, '2: PREPARE TRANSACTION works in a 0.1.0 database') or diag($err);
like($err,
	qr/WARNING:  schemaguard: the schema changes of this prepared transaction are not recorded in schemaguard.changelog\nDETAIL:  1 changelog entry is skipped: database "up" has schemaguard 0\.1\.0, which can record a prepared transaction only by holding a lock that blocks every other schema change until COMMIT PREPARED\.\nHINT:  Run ALTER EXTENSION schemaguard UPDATE TO '0\.2\.0'; in this database\./,
	'2: one WARNING says what is skipped and which ALTER EXTENSION to run');
is(scalar(() = $err =~ /WARNING:  schemaguard: the schema changes of this prepared/g), 1,
	'2: once per session');
($ret, $out, $err) = $node->psql('up', "$no_wait CREATE TABLE while_prepared (id int);");
is($ret, 0, '2: other schema changes do not wait for the prepared transactions') or diag($err);
$node->safe_psql('up', q{COMMIT PREPARED 'p1'; COMMIT PREPARED 'p2'});
is($node->safe_psql('up',
		q{SELECT string_agg(statement, ',' ORDER BY id) FROM schemaguard.changelog WHERE id > 4}),
	'CREATE TABLE while_prepared (id int)', '2: the prepared transactions are not recorded');
chain_verifies('up', '2');

# --- 3. the update ---------------------------------------------------------------------
my $head_before = $node->safe_psql('up', q{SELECT id || ' ' || entry_hash FROM schemaguard.changelog_head()});
$node->safe_psql('up', 'ALTER EXTENSION schemaguard UPDATE');
is($node->safe_psql('up', q{SELECT extversion FROM pg_extension WHERE extname = 'schemaguard'}),
	'0.2.0', '3: ALTER EXTENSION schemaguard UPDATE reaches 0.2.0');
is($node->safe_psql('up', q{SELECT id || ' ' || entry_hash FROM schemaguard.changelog WHERE id = 5}),
	$head_before, '3: the old entries are untouched');
chain_verifies('up', '3, after the update');
is($node->safe_psql('up', q{SELECT doc FROM schemaguard.list_rules() WHERE rule = 'set_not_null'}),
	'docs/rules/set_not_null.md', '3: list_rules() has the column doc');
$node->safe_psql('up', 'ALTER TABLE hist ADD COLUMN after_update int');
is($node->safe_psql('up', q{
SELECT c.statement || ' | ' || (c.prev_hash = p.entry_hash)
  FROM schemaguard.changelog c JOIN schemaguard.changelog p ON p.id = c.id - 1
 ORDER BY c.id DESC LIMIT 1}),
	'ALTER TABLE hist ADD COLUMN after_update int | true',
	'3: a new entry chains onto the old chain');
($ret, $out, $err) = $node->psql('up', q{
BEGIN;
CREATE TABLE prepared_020 (id int);
PREPARE TRANSACTION 'p3';
});
unlike($err, qr/not recorded/, '3: PREPARE TRANSACTION in 0.2.0: nothing skipped');
$node->safe_psql('up', q{COMMIT PREPARED 'p3'});
is($node->safe_psql('up', q{SELECT statement FROM schemaguard.changelog ORDER BY id DESC LIMIT 1}),
	'CREATE TABLE prepared_020 (id int)', '3: and its entry is chained at COMMIT PREPARED');
is($node->safe_psql('up', q{SELECT count(*) FROM schemaguard.baselines}), '1',
	'3: the baseline is kept');
chain_verifies('up', '3, after new entries');

# --- 4. the same objects as a fresh install ------------------------------------------------
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION schemaguard');
$node->safe_psql('fresh', $history . q{
CREATE TABLE prepared_010 (id int);
CREATE TABLE prepared_010_b (id int);
CREATE TABLE while_prepared (id int);
ALTER TABLE hist ADD COLUMN after_update int;
CREATE TABLE prepared_020 (id int);
});

# the schema of DB, extension members included, without OIDs and xids
sub member_dump
{
	my ($db) = @_;
	my ($stdout, $stderr) = ('', '');
	IPC::Run::run([ $node->installed_command('pg_dump'), '--binary-upgrade', '-s',
			'-d', $node->connstr($db) ], '>', \$stdout, '2>', \$stderr)
	  or die "pg_dump $db: $stderr";
	# (pg_dump's \restrict keys are random; sequence values are data)
	my @lines =
	  grep { !/binary_upgrade_set_next|relfrozenxid|relminmxid|^--|^\\(un)?restrict |pg_catalog\.setval/ }
	  split /\n/, $stdout;
	s/\b\d{4,}\b/N/g for @lines;
	return join("\n", grep { $_ ne '' } @lines);
}
my $dump_up = member_dump('up');
my $dump_fresh = member_dump('fresh');
like($dump_fresh, qr/CREATE TABLE schemaguard\.changelog_pending/,
	'4: the dump has the extension\'s members');
ok($dump_up eq $dump_fresh, '4: the updated database\'s objects equal a fresh 0.2.0 install')
  or do
{
	my $dir = PostgreSQL::Test::Utils::tempdir;
	PostgreSQL::Test::Utils::append_to_file("$dir/up.sql", $dump_up);
	PostgreSQL::Test::Utils::append_to_file("$dir/fresh.sql", $dump_fresh);
	diag(`diff -u $dir/fresh.sql $dir/up.sql`);
};

# --- 5. a version the library does not know ---------------------------------------------------
$node->safe_psql('postgres', 'CREATE DATABASE newer');
$node->safe_psql('newer', q{
CREATE EXTENSION schemaguard;
CREATE TABLE t (id int);
UPDATE pg_extension SET extversion = '9.9.9' WHERE extname = 'schemaguard';
});
($ret, $out, $err) = $node->psql('newer', q{
CREATE TABLE t2 (id int);
ALTER TABLE t2 ADD COLUMN b int;
});
is($ret, 0, '5: DDL commits in a database with an unknown version') or diag($err);
like($err,
	qr/WARNING:  schemaguard: this schema change is not recorded in schemaguard.changelog\nDETAIL:  Database "newer" has schemaguard 9\.9\.9 installed, and this server's schemaguard library writes the tables of versions 0\.1\.0 and 0\.2\.0\.\nHINT:  Install the schemaguard library that matches version 9\.9\.9, or run ALTER EXTENSION schemaguard UPDATE TO '0\.2\.0'; in this database if that version can be reached\./,
	'5: the WARNING names the version, what is skipped, and what to do');
is(scalar(() = $err =~ /WARNING:  schemaguard: this schema change is not recorded/g), 1,
	'5: once per session');
is($node->safe_psql('newer', 'SELECT count(*) FROM schemaguard.changelog'), '1',
	'5: nothing was recorded');
like(slurp_file($node->logfile), qr/LOG:  schemaguard: this schema change is not recorded/,
	'5: later skips are logged');
$node->safe_psql('newer', q{UPDATE pg_extension SET extversion = '0.2.0' WHERE extname = 'schemaguard'});
$node->safe_psql('newer', 'CREATE TABLE t3 (id int)');
is($node->safe_psql('newer', 'SELECT count(*) FROM schemaguard.changelog'), '2',
	'5: back at 0.2.0, the next change is recorded');

$node->stop;
unlike(slurp_file($node->logfile), qr/terminated by signal|server process .* was terminated|PANIC:|TRAP:/,
	'no crashed backend');

done_testing();
