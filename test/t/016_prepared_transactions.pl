# test/t/016_prepared_transactions.pl — prepared transactions hold nothing
# that other schema changes wait for, and their entries are chained once
# they commit (src/changelog/changelog_prepared.c).
#
# A cluster with max_prepared_transactions = 10.  Every DDL that must not
# wait runs with lock_timeout and statement_timeout = 3s, so a regression
# fails instead of hanging.  After each step the chain verifies, inside
# (verify_changelog()) and outside (test/verify_changelog.py).
#   1. the issue's reproduction: an unprivileged role prepares a transaction
#      that created a table; other sessions' DDL commits complete; its entry
#      is not in the changelog (nor visible in changelog_pending) until
#      COMMIT PREPARED, run by another session, chains it right away;
#   2. ROLLBACK PREPARED leaves nothing;
#   3. two schema-changing transactions both prepared before either commits
#      (as a distributed coordinator does): the second PREPARE completes at
#      once; committed in the other order, they are chained in that order;
#   4. a crash (immediate stop) between PREPARE and COMMIT PREPARED: the
#      prepared transaction survives, DDL after the restart does not wait,
#      COMMIT PREPARED chains its entries;
#   5. COMMIT PREPARED in a session that records nothing
#      (schemaguard.changelog = off): the entries wait, verify_changelog()
#      says so, and the next schema change chains them before its own; the
#      same with schemaguard.chain_pending(), which only a superuser may run;
#   6. a prepared transaction with several statements and a rolled-back
#      subtransaction: exactly its surviving statements, in order;
#   7. COMMIT PREPARED of a transaction that changed no schema takes no lock
#      on the changelog.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Spec;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $verifier =
  (defined $ENV{SG_REPO} && $ENV{SG_REPO} ne '')
  ? File::Spec->catfile($ENV{SG_REPO}, 'test', 'verify_changelog.py')
  : File::Spec->rel2abs(
	File::Spec->catfile(dirname(__FILE__), '..', 'verify_changelog.py'));
my $python = $ENV{PYTHON} || 'python3';

my $node = PostgreSQL::Test::Cluster->new('prepared');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
max_prepared_transactions = 10
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION schemaguard;
CREATE ROLE alice LOGIN;
GRANT CREATE ON SCHEMA public TO alice;
CREATE TABLE base (id int);
});

my $no_wait = "SET lock_timeout = '3s'; SET statement_timeout = '3s';";

# the chain verifies inside and outside the database
sub chain_verifies
{
	my ($what) = @_;
	is($node->safe_psql('postgres',
			q{SELECT count(*) FROM schemaguard.verify_changelog()}),
		'0', "$what: verify_changelog() finds nothing");
	my $query = `$python $verifier --print-query`;
	my $export = $node->safe_psql('postgres', $query);
	my ($out, $err) = ('', '');
	IPC::Run::run([ $python, $verifier ], '<', \$export, '>', \$out, '2>', \$err);
	is($? >> 8, 0, "$what: test/verify_changelog.py verifies the chain")
	  or diag("$out$err");
}

# the statements of the last N entries, oldest first
sub last_statements
{
	my ($n) = @_;
	return $node->safe_psql('postgres', qq{
SELECT string_agg(statement, E'\\n' ORDER BY id)
  FROM (SELECT id, statement FROM schemaguard.changelog ORDER BY id DESC LIMIT $n) s});
}

my $pending_visible = q{SELECT count(*) FROM schemaguard.changelog_pending};

# --- 1. the unprivileged reproduction ----------------------------------------
$node->safe_psql('postgres', q{
BEGIN;
CREATE TABLE public.alice_tmp ();
PREPARE TRANSACTION 'alice';
}, extra_params => [ '-U', 'alice' ]);
is($node->safe_psql('postgres',
		q{SELECT owner::regrole FROM pg_prepared_xacts WHERE gid = 'alice'}),
	'alice', '1: alice\'s transaction is prepared');
is($node->safe_psql('postgres', q{
SELECT count(*) FROM pg_locks
 WHERE relation = 'schemaguard.changelog'::regclass AND pid IS NULL}),
	'0', '1: the prepared transaction holds no lock on the changelog');

my $t0 = time;
my ($ret, $out, $err) = $node->psql('postgres', qq{$no_wait
CREATE TABLE other_1 (id int);
ALTER TABLE base ADD COLUMN a int;
});
is($ret, 0, '1: another session\'s DDL commits while alice\'s transaction is prepared')
  or diag($err);
($ret, $out, $err) = $node->psql('postgres', "$no_wait CREATE INDEX ON other_1 (id);");
is($ret, 0, '1: and a third one') or diag($err);
cmp_ok(time - $t0, '<', 3, '1: without waiting');
is(last_statements(3),
	"CREATE TABLE other_1 (id int)\nALTER TABLE base ADD COLUMN a int\nCREATE INDEX ON other_1 (id)",
	'1: they are recorded');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM schemaguard.changelog WHERE statement LIKE '%alice_tmp%'}),
	'0', '1: the prepared transaction\'s entry is not in the changelog yet');
is($node->safe_psql('postgres', $pending_visible), '0',
	'1: nor visible in changelog_pending (it is not committed)');
chain_verifies('1, while prepared');

# COMMIT PREPARED by another session (the superuser's)
$node->safe_psql('postgres', q{COMMIT PREPARED 'alice'});
is(last_statements(1), 'CREATE TABLE public.alice_tmp ()',
	'1: COMMIT PREPARED chains the entry at once');
is($node->safe_psql('postgres', q{
SELECT role_name || ' ' || session_role || ' ' || command_tag FROM schemaguard.changelog
 ORDER BY id DESC LIMIT 1}),
	'alice alice CREATE TABLE', '1: with alice as its role');
is($node->safe_psql('postgres', $pending_visible), '0', '1: nothing waits');
chain_verifies('1, after COMMIT PREPARED');

# --- 2. ROLLBACK PREPARED ---------------------------------------------------------
my $count = q{SELECT count(*) FROM schemaguard.changelog};
my $before = $node->safe_psql('postgres', $count);
$node->safe_psql('postgres', q{
BEGIN;
CREATE TABLE rolled_back (id int);
PREPARE TRANSACTION 'rb';
});
($ret, $out, $err) = $node->psql('postgres', "$no_wait CREATE TABLE other_2 (id int);");
is($ret, 0, '2: DDL commits while the transaction is prepared') or diag($err);
$node->safe_psql('postgres', q{ROLLBACK PREPARED 'rb'});
is($node->safe_psql('postgres', $count), $before + 1,
	'2: ROLLBACK PREPARED: only the other session\'s entry was added');
is($node->safe_psql('postgres',
		q{SELECT count(*) FROM schemaguard.changelog WHERE statement LIKE '%rolled_back%'}),
	'0', '2: nothing of the rolled-back transaction');
is($node->safe_psql('postgres', $pending_visible), '0', '2: nothing waits');
chain_verifies('2, after ROLLBACK PREPARED');

# --- 3. two prepared before either commits ------------------------------------------
$node->safe_psql('postgres', q{
BEGIN;
CREATE TABLE two_a (id int);
PREPARE TRANSACTION 'two_a';
});
$t0 = time;
($ret, $out, $err) = $node->psql('postgres', qq{$no_wait
BEGIN;
CREATE TABLE two_b (id int);
PREPARE TRANSACTION 'two_b';
});
is($ret, 0, '3: the second PREPARE completes while the first is prepared') or diag($err);
cmp_ok(time - $t0, '<', 3, '3: at once');
is($node->safe_psql('postgres', q{SELECT string_agg(gid, ',' ORDER BY gid) FROM pg_prepared_xacts}),
	'two_a,two_b', '3: both are prepared');
$node->safe_psql('postgres', q{COMMIT PREPARED 'two_b'});
$node->safe_psql('postgres', q{COMMIT PREPARED 'two_a'});
is(last_statements(2), "CREATE TABLE two_b (id int)\nCREATE TABLE two_a (id int)",
	'3: chained in the order of COMMIT PREPARED');
chain_verifies('3');

# --- 4. a crash between PREPARE and COMMIT PREPARED --------------------------------
$node->safe_psql('postgres', q{
BEGIN;
CREATE TABLE crash_t (id int);
COMMENT ON TABLE crash_t IS 'prepared before the crash';
PREPARE TRANSACTION 'crash';
});
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', q{SELECT gid FROM pg_prepared_xacts}),
	'crash', '4: the prepared transaction survived the crash');
($ret, $out, $err) = $node->psql('postgres', "$no_wait CREATE TABLE after_crash (id int);");
is($ret, 0, '4: DDL after the restart does not wait for it') or diag($err);
chain_verifies('4, after the restart');
$node->safe_psql('postgres', q{COMMIT PREPARED 'crash'});
is(last_statements(3),
	"CREATE TABLE after_crash (id int)\nCREATE TABLE crash_t (id int)\nCOMMENT ON TABLE crash_t IS 'prepared before the crash'",
	'4: COMMIT PREPARED after the restart chains both entries');
chain_verifies('4, after COMMIT PREPARED');

# --- 5. entries that wait ------------------------------------------------------------
$node->safe_psql('postgres', q{
BEGIN;
CREATE TABLE waits_1 (id int);
PREPARE TRANSACTION 'waits_1';
});
$node->safe_psql('postgres', q{SET schemaguard.changelog = off; COMMIT PREPARED 'waits_1'});
is($node->safe_psql('postgres', $pending_visible), '1',
	'5: COMMIT PREPARED in a session that records nothing: the entry waits');
like($node->safe_psql('postgres', q{SELECT coalesce(id::text, 'null') || ' ' || problem FROM schemaguard.verify_changelog()}),
	qr/^null 1 entries of 1 committed prepared transactions wait to be chained after entry \d+: the next schema change chains them, or SELECT schemaguard.chain_pending\(\)$/,
	'5: verify_changelog() says that it waits');
$node->safe_psql('postgres', q{CREATE TABLE waits_next (id int)});
is(last_statements(2), "CREATE TABLE waits_1 (id int)\nCREATE TABLE waits_next (id int)",
	'5: the next schema change chains it before its own entry');
is($node->safe_psql('postgres', $pending_visible), '0', '5: nothing waits');
chain_verifies('5, after the next schema change');

$node->safe_psql('postgres', q{
BEGIN;
CREATE TABLE waits_2 (id int);
PREPARE TRANSACTION 'waits_2';
SET schemaguard.changelog = off;
COMMIT PREPARED 'waits_2';
});
($ret, $out, $err) = $node->psql('postgres', q{SELECT schemaguard.chain_pending()},
	extra_params => [ '-U', 'alice' ]);
like($err, qr/permission denied for function chain_pending/,
	'5: chain_pending() is not for everyone');
is($node->safe_psql('postgres', q{SELECT schemaguard.chain_pending()}), '1',
	'5: chain_pending() chains the waiting entry');
is($node->safe_psql('postgres', q{SELECT schemaguard.chain_pending()}), '0',
	'5: and then finds nothing');
is(last_statements(1), 'CREATE TABLE waits_2 (id int)', '5: it is the head');
chain_verifies('5, after chain_pending()');

# --- 6. several statements and a rolled-back subtransaction ---------------------------
$node->safe_psql('postgres', q{
BEGIN;
CREATE TABLE multi (id int);
SAVEPOINT s;
CREATE TABLE multi_gone (id int);
ROLLBACK TO SAVEPOINT s;
ALTER TABLE multi ADD COLUMN b text;
CREATE INDEX multi_id ON multi (id);
PREPARE TRANSACTION 'multi';
});
$node->safe_psql('postgres', q{COMMIT PREPARED 'multi'});
is(last_statements(3),
	"CREATE TABLE multi (id int)\nALTER TABLE multi ADD COLUMN b text\nCREATE INDEX multi_id ON multi (id)",
	'6: the surviving statements, in order');
is($node->safe_psql('postgres', q{
SELECT count(DISTINCT xid) FROM (SELECT xid FROM schemaguard.changelog ORDER BY id DESC LIMIT 3) s}),
	'1', '6: with one xid');
is($node->safe_psql('postgres', q{
SELECT (SELECT xid FROM schemaguard.changelog ORDER BY id DESC LIMIT 1) <>
       (SELECT xid FROM schemaguard.changelog ORDER BY id DESC OFFSET 3 LIMIT 1)}),
	't', '6: that of the prepared transaction, not the previous entry\'s');
chain_verifies('6');

# --- 7. a prepared transaction that changed no schema ------------------------------------
$node->safe_psql('postgres', q{
BEGIN;
INSERT INTO base VALUES (1);
PREPARE TRANSACTION 'data_only';
});
# a session holding the chain's lock would make a COMMIT PREPARED that takes it wait
my $holder = $node->background_psql('postgres');
$holder->query_safe(q{BEGIN; LOCK TABLE schemaguard.changelog IN SHARE ROW EXCLUSIVE MODE});
($ret, $out, $err) = $node->psql('postgres', qq{$no_wait COMMIT PREPARED 'data_only';});
is($ret, 0, '7: COMMIT PREPARED of a data-only transaction takes no changelog lock')
  or diag($err);
$holder->query_safe('ROLLBACK');
$holder->quit;
chain_verifies('7');

$node->stop;
my $log = slurp_file($node->logfile);
unlike($log, qr/terminated by signal|server process .* was terminated|PANIC:|TRAP:/,
	'no crashed backend');

done_testing();
