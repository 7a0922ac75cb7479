# test/t/010_changelog_stress.pl — the changelog under concurrent DDL load.
#
# 8 pgbench clients × 500 script runs, each run two DDL transactions:
#   - one that rolls back (2 statements, must leave no row);
#   - one that commits 3 recorded statements (CREATE TABLE, ALTER TABLE
#     ADD COLUMN, DROP TABLE on a per-client table), with a rolled-back
#     subtransaction in the middle (must leave no row).
# So exactly 8 × 500 × 3 = 12000 rows, in 4000 transactions, must be written.
#
# Checks: pgbench processed every run with 0 failures; ids are exactly
# 1..12000 (no gap, no duplicate); every transaction's entries are
# consecutive and in statement order; prev_hash links every row to the
# previous one and verify_changelog() is empty; no rolled-back statement was
# recorded; the server log shows no deadlock, no error and no crashed
# backend.  Takes about 10-20 s on 2 cores.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $clients = 8;
my $runs = 500;
my $per_txn = 3;    # recorded statements per committed transaction
my $expected = $clients * $runs * $per_txn;

my $node = PostgreSQL::Test::Cluster->new('changelog_stress');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
max_connections = 30
log_lock_waits = on
deadlock_timeout = '100ms'
log_min_messages = warning
log_min_error_statement = error
# an autovacuum worker that the DDL's locks cancel logs an ERROR that is
# none of the test's business (seen when everything runs slowly, under valgrind)
autovacuum = off
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION schemaguard');

my $script = <<'EOS';
BEGIN;
CREATE TABLE rolled_back_:client_id (a int);
ALTER TABLE rolled_back_:client_id ADD COLUMN b text;
ROLLBACK;
BEGIN;
CREATE TABLE stress_:client_id (a int);
ALTER TABLE stress_:client_id ADD COLUMN b text;
SAVEPOINT s;
CREATE TABLE gone_:client_id (a int);
ROLLBACK TO SAVEPOINT s;
DROP TABLE stress_:client_id;
COMMIT;
EOS
my $script_file = $node->basedir . '/ddl_stress.sql';
append_to_file($script_file, $script);

my $log_offset = -s $node->logfile;
my $start = time();
my ($stdout, $stderr);
my $ok = IPC::Run::run(
	[
		'pgbench', '-n', '-r',
		'-h', $node->host, '-p', $node->port,
		'-c', $clients, '-j', 2, '-t', $runs,
		'-f', $script_file, 'postgres'
	],
	'>', \$stdout, '2>', \$stderr);
my $elapsed = time() - $start;
note(sprintf('pgbench took %.1f s', $elapsed));
note($stdout);

ok($ok, 'pgbench exits 0') or diag($stderr);
like(
	$stdout,
	qr/number of transactions actually processed: ${\($clients * $runs)}\/${\($clients * $runs)}/,
	'pgbench processed every script run');
like($stdout, qr/number of failed transactions: 0 /,
	'pgbench reports 0 failed transactions');
unlike($stderr, qr/ERROR|aborted/, 'no client got an error');

is( $node->safe_psql(
		'postgres',
		'SELECT count(*), min(id), max(id), count(DISTINCT id) FROM schemaguard.changelog'
	),
	"$expected|1|$expected|$expected",
	"exactly $expected rows, ids 1..$expected without gaps or duplicates");

is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM schemaguard.changelog
 WHERE statement LIKE '%rolled_back_%' OR statement LIKE '%gone_%'}),
	'0',
	'rolled-back transactions and subtransactions left no row');

# One transaction = 3 rows with consecutive ids, in statement order.
is( $node->safe_psql(
		'postgres', q{
SELECT count(*),
       count(*) FILTER (WHERE n = 3 AND max_id - min_id = 2
                          AND tags = '{CREATE TABLE,ALTER TABLE,DROP TABLE}'
                          AND tables = 1)
  FROM (SELECT xid, count(*) AS n, min(id) AS min_id, max(id) AS max_id,
               array_agg(command_tag ORDER BY id) AS tags,
               count(DISTINCT objects -> 0 ->> 'identity') AS tables
          FROM schemaguard.changelog GROUP BY xid) t}),
	($clients * $runs) . '|' . ($clients * $runs),
	'4000 transactions, each 3 consecutive rows in statement order');

# Commit order: within a client the transactions ran one after the other, so
# that client's rows must come in xid order too (xids are assigned in order
# within one session).
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM (
  SELECT objects -> 0 ->> 'identity' AS t, xid,
         lag(xid) OVER (PARTITION BY objects -> 0 ->> 'identity' ORDER BY id) AS prev_xid
    FROM schemaguard.changelog) s
 WHERE prev_xid > xid}),
	'0',
	'each client\'s transactions appear in the order it committed them');

is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM (
  SELECT prev_hash, lag(entry_hash) OVER (ORDER BY id) AS prev_entry, id
    FROM schemaguard.changelog) s
 WHERE id > 1 AND prev_hash IS DISTINCT FROM prev_entry}),
	'0',
	'every prev_hash is the previous row\'s entry_hash');

is($node->safe_psql('postgres', 'SELECT count(*) FROM schemaguard.verify_changelog()'),
	'0', 'verify_changelog() finds nothing');

is( $node->safe_psql(
		'postgres',
		'SELECT h.id = c.id AND h.entry_hash = c.entry_hash FROM schemaguard.changelog_head() h, '
		  . '(SELECT id, entry_hash FROM schemaguard.changelog ORDER BY id DESC LIMIT 1) c'),
	't',
	'changelog_head() is the last row');

# Readers never block writers: a long transaction reading the changelog
# while more DDL commits.
my $reader = $node->background_psql('postgres');
$reader->query_safe(
	'BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM schemaguard.changelog;');
$node->safe_psql('postgres',
	'CREATE TABLE after_stress (a int); ALTER TABLE after_stress ADD COLUMN b int;');
$reader->query_safe('COMMIT;');
$reader->quit;
is($node->safe_psql('postgres', 'SELECT max(id) FROM schemaguard.changelog'),
	$expected + 2, 'DDL commits while another session reads the changelog');

my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/deadlock detected/, 'no deadlock in the server log');
unlike($log, qr/terminated by signal|server process .* was terminated|PANIC:/,
	'no crashed backend');
unlike($log, qr/(ERROR|FATAL):/, 'no error in the server log')
  or diag(join("\n", grep { /ERROR|FATAL/ } split /\n/, $log));
# log_lock_waits reports waits longer than deadlock_timeout (100ms): the
# changelog lock is held from pre-commit to the end of the commit only.
my @long_waits = ($log =~ /still waiting for ShareRowExclusiveLock on relation/g);
note(scalar(@long_waits) . ' waits of more than 100ms for the changelog lock');

$node->stop;
done_testing();
