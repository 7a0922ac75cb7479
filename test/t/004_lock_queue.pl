# test/t/004_lock_queue.pl — the lock queue answered.
#
# With real blocking sessions:
#   1. a statement that gives up on schemaguard's lock timeout names, in its
#      DETAIL, the session that holds a conflicting lock: pid, role,
#      application, client, state, transaction age and query;
#   2. the same when the session's own lock_timeout expires, and a session
#      waiting ahead in the queue is named as such;
#   3. a role that may not see the blocker in pg_stat_activity sees only
#      its pid, role and application;
#   4. schemaguard.lock_retries: a retry succeeds once the blocker commits,
#      each retry is logged, and the changelog records the statement once;
#      retries give up after the last one; no retry while the transaction
#      already holds a strong lock;
#   5. a CREATE INDEX CONCURRENTLY that gives up leaves an INVALID index,
#      and the HINT gives the statement that drops it;
#   6. ATTACH PARTITION is bounded by schemaguard's timeout, also on the
#      default partition;
#   7. DETACH ... CONCURRENTLY and 8. DROP INDEX CONCURRENTLY that give up:
#      the HINT says how to finish.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('lock_queue');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
schemaguard.lock_timeout = '1s'
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION schemaguard;
CREATE TABLE t (id bigint); INSERT INTO t SELECT generate_series(1, 100);
CREATE ROLE alice LOGIN;
CREATE TABLE a (id bigint); ALTER TABLE a OWNER TO alice;
GRANT SELECT ON t TO alice;
});

# The holder: ACCESS SHARE on t and a, in an open transaction.
my $holder = $node->background_psql('postgres');
$holder->query_safe(q{SET application_name = 'report job'});
my $holder_pid = $holder->query_safe('SELECT pg_backend_pid()');
chomp $holder_pid;
# (query_until sends the text as it is: query_safe would add an empty query
# that becomes the session's last query)
$holder->query_until(qr/held/,
	"BEGIN; SELECT count(*) FROM t; SELECT count(*) FROM a;\n\\echo held\n");

# 1. schemaguard's timeout.
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	'ALTER TABLE t ADD COLUMN c int;', on_error_stop => 0);
like($stderr, qr/canceling statement due to lock timeout/,
	'1: ADD COLUMN gives up on the lock');
like($stderr, qr/schemaguard applied lock_timeout = 1000ms/,
	'1: the DETAIL still says schemaguard applied the timeout');
like($stderr,
	qr/It waited for ACCESS EXCLUSIVE on relation "public\.t" behind:\npid $holder_pid holds ACCESS SHARE: role postgres, application 'report job', client local, idle in transaction, transaction open for [0-9.]+ (ms|s), query: SELECT count\(\*\) FROM a;/,
	'1: the DETAIL names the holder: pid, role, application, client, state, age, query');
like($stderr, qr/HINT:.*Retry the statement.*\nSET schemaguard\.lock_retries = 3;/s,
	'1: the HINT mentions schemaguard.lock_retries');

# 2. The session's own lock_timeout; a waiter ahead in the queue.
my $holder2 = $node->background_psql('postgres');
$holder2->query_safe(q{SET application_name = 'batch'});
my $holder2_pid = $holder2->query_safe('SELECT pg_backend_pid()');
chomp $holder2_pid;
$holder2->query_until(qr/held/,
	"BEGIN; UPDATE t SET id = id WHERE id = 1;\n\\echo held\n");
my $waiter = $node->background_psql('postgres');
$waiter->query_safe(q{SET application_name = 'waiter'; SET schemaguard.mode = off});
my $waiter_pid = $waiter->query_safe('SELECT pg_backend_pid()');
chomp $waiter_pid;
# SHARE conflicts with the UPDATE's ROW EXCLUSIVE: the waiter queues
$waiter->query_until(qr/waiting/, "\\echo waiting\nBEGIN; LOCK TABLE t IN SHARE MODE;\n");
$node->poll_query_until('postgres',
	"SELECT count(*) > 0 FROM pg_locks WHERE pid = $waiter_pid AND NOT granted")
  or die 'the waiter never queued';

($ret, $stdout, $stderr) = $node->psql('postgres', q{
SET lock_timeout = '500ms';
ALTER TABLE t ADD COLUMN c int;
}, on_error_stop => 0);
like($stderr, qr/canceling statement due to lock timeout/,
	"2: the session's lock_timeout expires");
unlike($stderr, qr/schemaguard applied/,
	'2: schemaguard does not claim a timeout it did not apply');
like($stderr, qr/pid $holder_pid holds ACCESS SHARE: role postgres/,
	'2: the first holder is named');
like($stderr, qr/pid $holder2_pid holds ROW EXCLUSIVE: role postgres, application 'batch', client local, idle in transaction, transaction open for [0-9.]+ (ms|s), query: UPDATE t SET id = id WHERE id = 1;/,
	'2: the second holder is named with its mode');
like($stderr, qr/pid $waiter_pid waits ahead for SHARE: role postgres, application 'waiter'/,
	'2: the session waiting ahead is named as such');
like($stderr, qr/HINT:\s+Retry the statement when the sessions in its way have finished/,
	'2: the HINT says when to retry');

$holder2->query_safe('ROLLBACK');
$holder2->quit;
$waiter->query_until(qr/released/, "\\echo released\n");
$waiter->query_safe('ROLLBACK');
$waiter->quit;

# 3. A role without the right to see the holder's activity.
($ret, $stdout, $stderr) = $node->psql('postgres',
	'ALTER TABLE a ADD COLUMN c int;', on_error_stop => 0,
	extra_params => [ '-U', 'alice' ]);
like($stderr,
	qr/pid $holder_pid holds ACCESS SHARE: role postgres, application 'report job' \(its client, state and query are visible only to members of its role and of pg_read_all_stats\)/,
	'3: alice sees pid, role and application only');
unlike($stderr, qr/SELECT count/, '3: ... not the query');

# 4a. A retry succeeds once the holder commits.
my $migrator = $node->background_psql('postgres', on_error_stop => 0);
# (LOG messages reach this client too: query_safe would take them for errors)
$migrator->query(q{
SET client_min_messages = log;
SET schemaguard.lock_retries = 5;
SET schemaguard.lock_retry_delay = '200ms';
SET schemaguard.migration = 'retry test';
});
$migrator->query_until(qr/started/,
	"\\echo started\nALTER TABLE t ADD COLUMN r int;\n\\echo finished\n");
# let at least one attempt time out (1s), then end the holder's transaction
$node->wait_for_log(qr/retry 1 of 5/, 0);
$holder->query_safe('COMMIT');
$migrator->query_until(qr/finished/, '');
is($node->safe_psql('postgres',
	q{SELECT count(*) FROM pg_attribute WHERE attrelid = 't'::regclass AND attname = 'r'}),
	'1', '4a: the retried ALTER TABLE succeeded');
like(slurp_file($node->logfile),
	qr/schemaguard: ALTER TABLE gave up waiting for a lock; retry 1 of 5 in 200 ms\n.*DETAIL:\s+It waited for ACCESS EXCLUSIVE on relation "public\.t" behind:/,
	'4a: the server log has the retry with the sessions in the way');
is($node->safe_psql('postgres',
	q{SELECT count(*) FROM schemaguard.changelog WHERE migration = 'retry test'}),
	'1', '4a: the changelog records the statement once');
$migrator->quit;

# 4b. Retries give up after the last one, with a growing pause.
$holder->query_safe('BEGIN; SELECT count(*) FROM t;');
($ret, $stdout, $stderr) = $node->psql('postgres', q{
SET client_min_messages = log;
SET schemaguard.lock_retries = 2;
SET schemaguard.lock_retry_delay = '100ms';
ALTER TABLE t ADD COLUMN c int;
}, on_error_stop => 0);
like($stderr, qr/retry 1 of 2 in 100 ms.*retry 2 of 2 in 200 ms/s,
	'4b: two retries, the pause doubles');
like($stderr, qr/ERROR:\s+canceling statement due to lock timeout/,
	'4b: then the statement fails');
like($stderr, qr/schemaguard ran the statement again 2 times \(schemaguard\.lock_retries = 2\)/,
	'4b: the DETAIL says how often it was retried');

# 4c. No retry while the transaction holds a strong lock already.
$node->safe_psql('postgres', 'CREATE TABLE u (id int); INSERT INTO u VALUES (1)');
($ret, $stdout, $stderr) = $node->psql('postgres', q{
SET client_min_messages = log;
SET schemaguard.lock_retries = 2;
BEGIN;
LOCK TABLE u IN SHARE MODE NOWAIT;
ALTER TABLE t ADD COLUMN c int;
ROLLBACK;
}, on_error_stop => 0);
unlike($stderr, qr/retry 1 of 2/, '4c: no retry');
like($stderr,
	qr/schemaguard\.lock_retries did not retry: this transaction already holds SHARE on relation "public\.u"/,
	'4c: the HINT says why not');

# 4e. A table the transaction created blocks nobody: the retry happens.
($ret, $stdout, $stderr) = $node->psql('postgres', q{
SET client_min_messages = log;
SET schemaguard.lock_retries = 1;
SET schemaguard.lock_retry_delay = '100ms';
BEGIN;
CREATE TABLE fresh (id bigint);
ALTER TABLE t ADD COLUMN c int;
ROLLBACK;
}, on_error_stop => 0);
like($stderr, qr/retry 1 of 1 in 100 ms/,
	'4e: a lock on a table created in the transaction does not prevent the retry');

# 4d. NOWAIT asked not to wait: no retry.
($ret, $stdout, $stderr) = $node->psql('postgres', q{
SET client_min_messages = log;
SET schemaguard.lock_retries = 2;
BEGIN;
LOCK TABLE t IN ACCESS EXCLUSIVE MODE NOWAIT;
ROLLBACK;
}, on_error_stop => 0);
like($stderr, qr/could not obtain lock on relation "t"/, '4d: LOCK ... NOWAIT fails');
unlike($stderr, qr/retry 1 of 2/, '4d: and is not retried');

# 5. CREATE INDEX CONCURRENTLY gives up waiting for the holder's
#    transaction (the session's lock_timeout applies to its waits).
$holder->query_safe('COMMIT; BEGIN; UPDATE t SET id = id WHERE id = 2;');
($ret, $stdout, $stderr) = $node->psql('postgres', q{
SET lock_timeout = '500ms';
CREATE INDEX CONCURRENTLY t_id_idx ON t (id);
}, on_error_stop => 0);
like($stderr, qr/canceling statement due to lock timeout/,
	'5: CREATE INDEX CONCURRENTLY gives up');
like($stderr,
	qr/HINT:.*left an INVALID index.*\nDROP INDEX CONCURRENTLY IF EXISTS public\.t_id_idx;/s,
	'5: the HINT gives the DROP INDEX CONCURRENTLY of the INVALID index');
is($node->safe_psql('postgres',
	q{SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.t_id_idx'::regclass}),
	'f', '5: the index is indeed INVALID');
$holder->query_safe('COMMIT');
$node->safe_psql('postgres', 'DROP INDEX CONCURRENTLY IF EXISTS public.t_id_idx');

# 6. ATTACH PARTITION waits for ACCESS EXCLUSIVE on the table it attaches
#    and on the default partition: schemaguard's timeout bounds both.
$node->safe_psql('postgres', q{
CREATE TABLE p (id int) PARTITION BY RANGE (id);
CREATE TABLE p_def PARTITION OF p DEFAULT;
CREATE TABLE p1 (id int);
CREATE TABLE p2 (id int);
});
$holder->query_until(qr/held/, "BEGIN; SELECT count(*) FROM p1;\n\\echo held\n");
($ret, $stdout, $stderr) = $node->psql('postgres',
	'ALTER TABLE p ATTACH PARTITION p1 FOR VALUES FROM (0) TO (10);',
	on_error_stop => 0);
like($stderr, qr/schemaguard applied lock_timeout = 1000ms.*\nIt waited for ACCESS EXCLUSIVE on relation "public\.p1" behind:\npid $holder_pid holds ACCESS SHARE/s,
	'6: ATTACH PARTITION gives up on the table it attaches, and says who holds it');
$holder->query_safe('COMMIT');
$holder->query_until(qr/held/, "BEGIN; SELECT count(*) FROM p_def;\n\\echo held\n");
($ret, $stdout, $stderr) = $node->psql('postgres',
	'ALTER TABLE p ATTACH PARTITION p2 FOR VALUES FROM (10) TO (20);',
	on_error_stop => 0);
like($stderr, qr/canceling statement due to lock timeout\nDETAIL:\s+schemaguard applied lock_timeout = 1000ms/,
	'6: ... and on the default partition');
$holder->query_safe('COMMIT');

# 7. DETACH PARTITION ... CONCURRENTLY that gives up in its second
#    transaction leaves the partition pending detach: the HINT finishes it.
#    (There is no CONCURRENTLY with a default partition.)
$node->safe_psql('postgres', q{
CREATE TABLE q (id int) PARTITION BY RANGE (id);
CREATE TABLE q1 PARTITION OF q FOR VALUES FROM (0) TO (10);
});
$holder->query_until(qr/held/, "BEGIN; SELECT count(*) FROM q1;\n\\echo held\n");
($ret, $stdout, $stderr) = $node->psql('postgres', q{
SET lock_timeout = '500ms';
ALTER TABLE q DETACH PARTITION q1 CONCURRENTLY;
}, on_error_stop => 0);
like($stderr, qr/HINT:.*The partition public\.q1 is left pending detach.*\nALTER TABLE public\.q DETACH PARTITION public\.q1 FINALIZE;/s,
	'7: the HINT gives the FINALIZE step');
$holder->query_safe('COMMIT');
($ret, $stdout, $stderr) = $node->psql('postgres',
	'ALTER TABLE public.q DETACH PARTITION public.q1 FINALIZE;');
is($ret, 0, '7: the FINALIZE step from the HINT runs');

# 8. DROP INDEX CONCURRENTLY that gives up leaves the index INVALID.
$node->safe_psql('postgres', 'CREATE INDEX t_id_idx ON t (id)');
$holder->query_until(qr/held/, "BEGIN; SELECT count(*) FROM t;\n\\echo held\n");
($ret, $stdout, $stderr) = $node->psql('postgres', q{
SET lock_timeout = '500ms';
DROP INDEX CONCURRENTLY t_id_idx;
}, on_error_stop => 0);
like($stderr, qr/HINT:.*The index public\.t_id_idx is now INVALID.*\nDROP INDEX CONCURRENTLY IF EXISTS public\.t_id_idx;/s,
	'8: the HINT says to run the drop again');
$holder->query_safe('COMMIT');

$holder->quit;
$node->stop;
done_testing();
