# test/t/002_lock_timeout.pl — schemaguard.lock_timeout.
#
# While another session holds ACCESS SHARE on a table in an open
# transaction, ALTER TABLE ... ADD COLUMN on it must give up after about
# schemaguard.lock_timeout instead of queueing forever; with the session's
# own lock_timeout set, that value governs; the session's lock_timeout is
# unchanged afterwards.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $node = PostgreSQL::Test::Cluster->new('lock_timeout');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
schemaguard.lock_timeout = '1s'
});
$node->start;
$node->safe_psql('postgres',
	'CREATE TABLE t (id bigint); INSERT INTO t SELECT generate_series(1, 100)');

# Session A holds ACCESS SHARE on t inside an open transaction.
my $holder = $node->background_psql('postgres');
$holder->query_safe('BEGIN; SELECT count(*) FROM t;');

# 1. The session has no lock_timeout: schemaguard applies 1s.
my $start = time();
my ($ret, $stdout, $stderr) = $node->psql('postgres', q{
SET lock_timeout = 0;
ALTER TABLE t ADD COLUMN c int;
SHOW lock_timeout;
}, on_error_stop => 0);
my $elapsed = time() - $start;
like($stderr, qr/canceling statement due to lock timeout/,
	'ADD COLUMN gives up on the lock');
like($stderr, qr/schemaguard applied lock_timeout = 1000ms/,
	'the error says schemaguard applied its lock timeout');
like($stderr, qr/schemaguard\.lock_timeout/,
	'the error names the setting that controls it');
like($stderr, qr/HINT:\s+Retry the statement/, 'the error says how to retry');
ok($elapsed >= 0.9 && $elapsed < 10,
	"gave up after about schemaguard.lock_timeout ($elapsed s)");
is($stdout, '0', 'the session lock_timeout is still 0 afterwards');

# 2. The session's own lock_timeout governs and schemaguard stays out.
$start = time();
($ret, $stdout, $stderr) = $node->psql('postgres', q{
SET lock_timeout = '3s';
ALTER TABLE t ADD COLUMN c int;
SHOW lock_timeout;
}, on_error_stop => 0);
$elapsed = time() - $start;
like($stderr, qr/canceling statement due to lock timeout/,
	'with a session lock_timeout the statement still gives up');
unlike($stderr, qr/schemaguard applied/,
	'schemaguard does not claim a timeout it did not apply');
ok($elapsed >= 2.8, "the session's 3s governs ($elapsed s)");
is($stdout, '3s', 'the session lock_timeout is unchanged');

# 3. Inside a transaction block: the setting is restored after ROLLBACK.
($ret, $stdout, $stderr) = $node->psql('postgres', q{
BEGIN;
ALTER TABLE t ADD COLUMN c int;
ROLLBACK;
SHOW lock_timeout;
}, on_error_stop => 0);
like($stderr, qr/lock timeout/, 'times out inside a transaction block too');
is($stdout, '0', 'lock_timeout is 0 after the rolled-back transaction');

# 4. Once the other transaction ends, the statement succeeds and the
#    session setting is still 0.
$holder->query_safe('COMMIT;');
$holder->quit;
($ret, $stdout, $stderr) = $node->psql('postgres', q{
ALTER TABLE t ADD COLUMN c int;
SHOW lock_timeout;
});
is($ret, 0, 'ADD COLUMN succeeds when nothing holds the table');
is($stdout, '0', 'lock_timeout is 0 after the successful statement');

# 5. schemaguard.lock_timeout = 0 turns it off; missing_lock_timeout warns
#    (it is size-aware: every non-empty table counts with a threshold of 0).
($ret, $stdout, $stderr) = $node->psql('postgres', q{
SET schemaguard.lock_timeout = 0;
SET schemaguard.table_size_threshold = 0;
ALTER TABLE t ADD COLUMN d int;
});
like($stderr, qr/WARNING:\s+schemaguard: missing_lock_timeout/,
	'missing_lock_timeout warns when no timeout is set at all');

$node->stop;
done_testing();
