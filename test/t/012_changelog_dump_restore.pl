# test/t/012_changelog_dump_restore.pl — pg_dump and restore of a database
# with changelog rows, into a server with schemaguard preloaded.
#
# The documented procedure (docs/changelog.md, "Restoring a dump of a
# database that has a changelog"): restore as a
# superuser with
#     PGOPTIONS='-c schemaguard.changelog=off -c schemaguard.mode=off'
# so that the restore's own DDL is neither recorded (its entries would take
# ids 1..n and the dumped rows would then collide with them on the primary
# key) nor refused by the guard (ADD PRIMARY KEY / CREATE INDEX on restored
# tables larger than schemaguard.table_size_threshold).  With
# --single-transaction, schemaguard.changelog=off alone is enough (every
# relation is then created in the restoring transaction, which the guard
# exempts).
#
# Each target database is made with createdb.  For each way of restoring
# (pg_restore, pg_restore -j 2 of a custom and of a directory-format dump,
# psql of a plain dump, pg_restore --single-transaction), the restored
# changelog must equal the original row by row and column by column,
# verify_changelog() must be empty, changelog_head() must equal the
# original's, the data must be there, the next DDL in the restored database
# must continue the chain, and the baseline taken before the dump must come
# along: drift() against it is empty after the restore, and then shows
# exactly the next DDL, tracked by its new entry.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump_restore');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
listen_addresses = '127.0.0.1'
});
$node->start;

my @conn = ('-h', $node->host, '-p', $node->port);
my $restore_options = '-c schemaguard.changelog=off -c schemaguard.mode=off';

# run_env(PGOPTIONS, CMD...): exit status, stdout, stderr
sub run_env
{
	my ($pgoptions, @cmd) = @_;
	my ($stdout, $stderr) = ('', '');
	local $ENV{PGOPTIONS} = $pgoptions if defined $pgoptions;
	delete local $ENV{PGOPTIONS} unless defined $pgoptions;
	IPC::Run::run(\@cmd, '>', \$stdout, '2>', \$stderr);
	return ($? >> 8, $stdout, $stderr);
}

# --- a database with a varied history ---------------------------------------
$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', 'CREATE EXTENSION schemaguard');
# prefer_timestamptz warns: recorded in "warnings"
$node->safe_psql('src',
	'CREATE TABLE orders (id bigint PRIMARY KEY, note text, created timestamp)');
$node->safe_psql('src',
	q{INSERT INTO orders SELECT g, repeat('n', 80), now() FROM generate_series(1, 20000) g});
# migration label and a deliberately allowed rule: "migration", "allowed_rules"
$node->safe_psql('src', q{
SET schemaguard.migration = 'V2__index';
BEGIN;
SET LOCAL schemaguard.allow = 'index_not_concurrent';
CREATE INDEX orders_note ON orders (note);
COMMIT;
});
# a statement that commits internally
$node->safe_psql('src', 'CREATE INDEX CONCURRENTLY orders_created ON orders (created)');
# a multi-statement string, non-ASCII text, a dollar-quoted body with tabs
$node->safe_psql('src',
	qq{CREATE VIEW v AS SELECT id FROM orders; COMMENT ON VIEW v IS 'ünïcödé ✓ "quoted" \\\\ back';});
$node->safe_psql('src', qq{
CREATE FUNCTION f(x int) RETURNS int LANGUAGE plpgsql AS \$body\$
BEGIN
\tRETURN x + 1;\t-- tab
END
\$body\$;
});
$node->safe_psql('src', q{
CREATE SCHEMA app;
CREATE TYPE app.mood AS ENUM ('ok', 'not ok');
CREATE SEQUENCE app.seq;
CREATE TABLE app.scratch (a int);
DROP TABLE app.scratch;
});
# over TCP with an application_name: "client_addr", "application_name"
my ($rc, $out, $err) = run_env(undef, 'psql', '-X', '-v', 'ON_ERROR_STOP=1',
	'-d', 'host=127.0.0.1 port=' . $node->port . ' dbname=src application_name=migrator',
	'-c', 'ALTER TABLE orders ADD COLUMN c int');
is($rc, 0, 'DDL over TCP') or diag($err);

my $all_rows = 'COPY (SELECT * FROM schemaguard.changelog ORDER BY id) TO STDOUT';
my $src_rows = $node->safe_psql('src', $all_rows);
my $src_head = $node->safe_psql('src', 'SELECT * FROM schemaguard.changelog_head()');
my $n = $node->safe_psql('src', 'SELECT count(*) FROM schemaguard.changelog');
is($n, '12', 'the source database has 12 changelog rows');
is( $node->safe_psql(
		'src', q{
SELECT count(*) FILTER (WHERE warnings <> '{}'),
       count(*) FILTER (WHERE allowed_rules <> '{}'),
       count(*) FILTER (WHERE migration IS NOT NULL),
       count(*) FILTER (WHERE client_addr IS NOT NULL),
       count(*) FILTER (WHERE application_name = 'migrator')
  FROM schemaguard.changelog}),
	# warnings: prefer_timestamptz (CREATE TABLE orders) and
	# drop_empty_table (DROP TABLE app.scratch, which psql runs in a
	# transaction of its own)
	'2|1|1|1|1',
	'the history has warnings, an allowed rule, migrations, a client address, an application name');
is($node->safe_psql('src', 'SELECT count(*) FROM schemaguard.verify_changelog()'),
	'0', 'the source chain is intact');
# A baseline: schemaguard.baselines and baseline_objects are dumped too.
$node->safe_psql('src', q{SELECT schemaguard.take_baseline('before_dump')});
is($node->safe_psql('src', 'SELECT count(*) FROM schemaguard.changelog'),
	$n, 'take_baseline() adds no changelog row');

my $basedir = $node->basedir;
($rc, $out, $err) = run_env(undef, 'pg_dump', @conn, '-Fc', '-f', "$basedir/src.dump", 'src');
is($rc, 0, 'pg_dump -Fc') or diag($err);
($rc, $out, $err) = run_env(undef, 'pg_dump', @conn, '-Fp', '-f', "$basedir/src.sql", 'src');
is($rc, 0, 'pg_dump -Fp') or diag($err);
($rc, $out, $err) = run_env(undef, 'pg_dump', @conn, '-Fd', '-j', '2', '-f', "$basedir/src.dir", 'src');
is($rc, 0, 'pg_dump -Fd -j 2') or diag($err);
like(slurp_file("$basedir/src.sql"), qr/^COPY schemaguard\.changelog /m,
	'the dump has the changelog rows');

# check_restored(DB, HOW): the restored database equals the source
sub check_restored
{
	my ($db, $how) = @_;
	is($node->safe_psql($db, $all_rows), $src_rows,
		"$how: the changelog equals the original row by row");
	is($node->safe_psql($db, 'SELECT count(*) FROM schemaguard.verify_changelog()'),
		'0', "$how: verify_changelog() finds nothing");
	is($node->safe_psql($db, 'SELECT * FROM schemaguard.changelog_head()'),
		$src_head, "$how: changelog_head() equals the original's");
	is( $node->safe_psql(
			$db,
			q{SELECT count(*) FROM orders WHERE note IS NOT NULL}
			  . q{ UNION ALL SELECT count(*) FROM pg_indexes WHERE indexname IN ('orders_pkey', 'orders_note', 'orders_created')}
			  . q{ UNION ALL SELECT f(1)}),
		"20000\n3\n2",
		"$how: data, indexes and functions are restored");
	is($node->safe_psql($db, q{SELECT count(*) FROM schemaguard.drift('before_dump')}),
		'0', "$how: the restored baseline shows no drift");

	# The next schema change continues the restored chain.
	$node->safe_psql($db, 'CREATE TABLE after_restore (a int)');
	is( $node->safe_psql(
			$db, q{
SELECT c.id, c.prev_hash = h.entry_hash
  FROM schemaguard.changelog c,
       (SELECT entry_hash FROM schemaguard.changelog WHERE id = } . $n . q{) h
 WHERE c.id > } . $n),
		($n + 1) . '|t',
		"$how: the next DDL is entry " . ($n + 1) . ', linked to the restored head');
	is($node->safe_psql($db, 'SELECT count(*) FROM schemaguard.verify_changelog()'),
		'0', "$how: the chain is still intact");
	is( $node->safe_psql(
			$db, q{
SELECT format('%s|%s|%s|%s|%s', object_type, identity, change, tracked, changelog_ids)
  FROM schemaguard.drift('before_dump') ORDER BY object_type, identity}),
		'table|public.after_restore|added|t|{' . ($n + 1) . "}\n"
		  . 'table column|public.after_restore.a|added|t|{' . ($n + 1) . '}',
		"$how: drift() shows the new table and its column, tracked by entry " . ($n + 1));

	# The baselines' id sequence came along: the next baseline is id 2.
	my ($rc, $out, $err) = $node->psql(
		$db, q{
SELECT schemaguard.take_baseline('after_restore') IS NOT NULL;
SELECT string_agg(id || ':' || label, ',' ORDER BY id) FROM schemaguard.baselines});
	is($out, "t\n1:before_dump,2:after_restore",
		"$how: take_baseline() works and continues the ids")
	  or diag($err);
}

# createdb(DB): as docs/changelog.md does it
sub createdb
{
	my $db = shift;
	my ($rc, $out, $err) = run_env(undef, 'createdb', @conn, $db);
	is($rc, 0, "createdb $db") or diag($err);
}

# --- 1. pg_restore ------------------------------------------------------
createdb('dst_custom');
($rc, $out, $err) = run_env($restore_options, 'pg_restore', @conn, '--exit-on-error',
	'-d', 'dst_custom', "$basedir/src.dump");
is($rc, 0, 'pg_restore with the documented PGOPTIONS') or diag($err);
is($err, '', 'pg_restore: no message');
check_restored('dst_custom', 'pg_restore');
# Deleting a baseline deletes its objects (a trigger: there is no foreign
# key, which would break pg_restore -j).
is( $node->safe_psql(
		'dst_custom', q{
DELETE FROM schemaguard.baselines WHERE label = 'before_dump';
SELECT count(DISTINCT baseline_id) || '|' || min(baseline_id) FROM schemaguard.baseline_objects}),
	'1|2', 'deleting a baseline deletes its objects, and only those');

# --- 2. pg_restore -j 2 (every worker connection gets PGOPTIONS) ----------
createdb('dst_parallel');
($rc, $out, $err) = run_env($restore_options, 'pg_restore', @conn, '--exit-on-error',
	'-j', '2', '-d', 'dst_parallel', "$basedir/src.dump");
is($rc, 0, 'pg_restore -j 2 with the documented PGOPTIONS') or diag($err);
check_restored('dst_parallel', 'pg_restore -j 2');

# --- 2b. directory format, pg_restore -j 2 -------------------------------
createdb('dst_directory');
($rc, $out, $err) = run_env($restore_options, 'pg_restore', @conn, '--exit-on-error',
	'-j', '2', '-d', 'dst_directory', "$basedir/src.dir");
is($rc, 0, 'pg_restore -j 2 of a directory-format dump with the documented PGOPTIONS')
  or diag($err);
check_restored('dst_directory', 'directory format, pg_restore -j 2');

# --- 3. psql of a plain dump ---------------------------------------------
createdb('dst_plain');
($rc, $out, $err) = run_env($restore_options, 'psql', @conn, '-X',
	'-v', 'ON_ERROR_STOP=1', '-d', 'dst_plain', '-f', "$basedir/src.sql");
is($rc, 0, 'psql -f of a plain dump with the documented PGOPTIONS') or diag($err);
is($err, '', 'psql: no message');
check_restored('dst_plain', 'plain dump');

# --- 4. pg_restore --single-transaction, changelog=off only ----------------
createdb('dst_single');
($rc, $out, $err) = run_env('-c schemaguard.changelog=off', 'pg_restore', @conn,
	'--exit-on-error', '--single-transaction', '-d', 'dst_single',
	"$basedir/src.dump");
is($rc, 0, 'pg_restore --single-transaction with schemaguard.changelog=off')
  or diag($err);
check_restored('dst_single', 'pg_restore --single-transaction');

# --- 5. without the procedure ---------------------------------------------
# What happens today: the restore's own DDL is recorded as entries 1..k, the
# COPY of the dumped rows then fails on the primary key (the history is
# lost), and the guard refuses ADD PRIMARY KEY and CREATE INDEX on the
# restored 2.5 MB table.  pg_restore exits 1 ("errors ignored on restore").
createdb('dst_naive');
($rc, $out, $err) = run_env(undef, 'pg_restore', @conn, '-d', 'dst_naive',
	"$basedir/src.dump");
note("pg_restore without the settings: exit $rc\n$err");
TODO:
{
	local $TODO =
	  'schemaguard does not recognise a restore: without the documented PGOPTIONS it fails';
	is($rc, 0, 'pg_restore without settings succeeds');
	is($node->safe_psql('dst_naive', $all_rows), $src_rows,
		'pg_restore without settings keeps the dumped history');
}

my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated|PANIC:/,
	'no crashed backend');

$node->stop;
done_testing();
