# test/t/014_crash_restart.pl — kill -9 of the postmaster in the middle of a
# concurrent DDL workload, then crash recovery.
#
#   1. 4 psql clients, each running its own script of DDL steps in a loop:
#        "created i": BEGIN; CREATE TABLE t_<c>_<i>; ALTER TABLE ... ADD
#                     COLUMN b; CREATE INDEX t_<c>_<i>_a; for odd i >= 3
#                     also DROP TABLE t_<c>_<i-2>; COMMIT  (3 or 4 entries)
#        "altered i": ALTER TABLE t_<c>_<i> ADD COLUMN c int  (every 3rd i)
#        "dropidx i": DROP INDEX t_<c>_<i>_a                   (every 4th i)
#      and, every 5th i, a transaction that rolls back (CREATE TABLE
#      rb_<c>_<i>).  After each step that committed, the client echoes the
#      step: the client-side log of what it saw commit;
#   2. after at least 800 changelog rows (some hundreds of commits), SIGKILL
#      the postmaster; every server process it started must then exit by
#      itself (backends notice the postmaster's death), and every client
#      must have lost its connection in the middle of its script;
#   3. restart: crash recovery ran; verify_changelog() is empty; ids are
#      1..n without gaps; every DDL transaction's entries are consecutive and
#      complete; for each client, the changelog holds exactly the first k
#      steps of its script, where k is the number of steps the client saw
#      commit, or one more (the step whose COMMIT was in flight at the kill:
#      it may have committed without the client hearing of it); the tables,
#      indexes and "c" columns in the catalog are exactly those the
#      changelog's CREATE/ALTER/DROP entries leave; nothing rolled back is
#      recorded;
#   4. the first DDL after the restart is the next id, linked to the head
#      found after recovery, and the chain still verifies.
#
# fsync: PostgreSQL::Test::Cluster sets fsync = off.  That is fine here:
# only the postmaster and its children are killed, not the operating system,
# so every WAL write() a backend made before it died is in the OS page cache
# and is read back by crash recovery; fsync only matters when the machine
# itself goes down.  synchronous_commit stays on (the default): a COMMIT is
# acknowledged to the client only after its WAL has been written out of
# PostgreSQL's own buffers (which die with the server).  With
# synchronous_commit = off, acknowledged commits are lost and step 3 fails.
# log_statement = none: the clients' thousands of statements would only
# slow the test down.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(usleep);

my $clients = 4;
my $steps_per_client = 400;    # iterations; far more than run before the kill
my $kill_after_rows = 800;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
synchronous_commit = on
log_statement = none
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION schemaguard');

# --- 1. the clients' scripts --------------------------------------------------
# @{$steps[$c]}: the steps of client $c in script order, as "created 7" etc.
my @steps;
my $basedir = $node->basedir;
for my $c (1 .. $clients)
{
	my $sql = '';
	for my $i (1 .. $steps_per_client)
	{
		my $t = "t_${c}_$i";
		$sql .= "BEGIN;\nCREATE TABLE $t (a int);\n"
		  . "ALTER TABLE $t ADD COLUMN b text;\n"
		  . "CREATE INDEX ${t}_a ON $t (a);\n";
		$sql .= "DROP TABLE t_${c}_" . ($i - 2) . ";\n"
		  if $i >= 3 && $i % 2 == 1;
		$sql .= "COMMIT;\n\\echo created $i\n";
		push @{ $steps[$c] }, "created $i";
		if ($i % 3 == 0)
		{
			$sql .= "ALTER TABLE $t ADD COLUMN c int;\n\\echo altered $i\n";
			push @{ $steps[$c] }, "altered $i";
		}
		if ($i % 4 == 0)
		{
			$sql .= "DROP INDEX ${t}_a;\n\\echo dropidx $i\n";
			push @{ $steps[$c] }, "dropidx $i";
		}
		$sql .= "BEGIN;\nCREATE TABLE rb_${c}_$i (a int);\nROLLBACK;\n"
		  if $i % 5 == 0;
	}
	append_to_file("$basedir/client_$c.sql", $sql);
}

# children_of(PID): the pids whose parent is PID (Linux /proc)
sub children_of
{
	my $ppid = shift;
	my @pids;
	opendir(my $dh, '/proc') or die "cannot read /proc: $!";
	for my $pid (grep { /^\d+$/ } readdir($dh))
	{
		open(my $fh, '<', "/proc/$pid/stat") or next;
		my $stat = <$fh>;
		close($fh);
		push @pids, $pid
		  if defined $stat && $stat =~ /^\d+ \(.*\) \S (\d+) / && $1 == $ppid;
	}
	closedir($dh);
	return @pids;
}

# gone(PID): no such process, not even a zombie waiting to be reaped (a new
# postmaster takes a zombie that still holds the pid file's pid for a
# running server)
sub gone
{
	return !-e '/proc/' . shift;
}

# --- 2. run, and kill the postmaster ------------------------------------------
# The clients name themselves, so that the backends counted below are
# theirs and not, say, that of a poll query still exiting.
my $connstr = $node->connstr('postgres') . ' application_name=sg_crash_client';
my @runs;
for my $c (1 .. $clients)
{
	push @runs,
	  IPC::Run::start(
		[
			'psql', '-X', '-q', '-v', 'ON_ERROR_STOP=1',
			'-d', $connstr, '-f', "$basedir/client_$c.sql"
		],
		'>', "$basedir/client_$c.out",
		'2>', "$basedir/client_$c.err");
}

$node->poll_query_until('postgres',
	"SELECT count(*) >= $kill_after_rows FROM schemaguard.changelog")
  or die "the workload did not reach $kill_after_rows changelog rows";

my @backends = split /\n/, $node->safe_psql('postgres', q{
SELECT pid FROM pg_stat_activity
 WHERE backend_type = 'client backend' AND application_name = 'sg_crash_client'});
my $postmaster = $node->{_pid};
my @server_pids = children_of($postmaster);
my $log_offset = -s $node->logfile;
$node->kill9;
note('killed the postmaster ' . $postmaster . ' with '
	  . scalar(@server_pids) . ' child processes');
my %is_child = map { $_ => 1 } @server_pids;
is(scalar(grep { $is_child{$_} } @backends), $clients,
	'the postmaster had a backend for every client when it was killed');

# Backends and auxiliary processes exit by themselves when the postmaster
# dies (at their next wait); none may be left to interfere with the restart.
my @left = ($postmaster, @server_pids);
for (my $waited = 0; @left && $waited < 30_000; $waited += 100)
{
	usleep(100_000);
	@left = grep { !gone($_) } @left;
}
is(scalar(@left), 0,
	'the postmaster and every process it started are gone')
  or diag("still there: @left");
kill 'KILL', @left if @left;

$_->finish for @runs;
my (@acked, $client_errors);
for my $c (1 .. $clients)
{
	my @lines = split /\n/, slurp_file("$basedir/client_$c.out");
	$acked[$c] = \@lines;
	my $err = slurp_file("$basedir/client_$c.err");
	like($err,
		qr/server closed the connection unexpectedly|connection to server was lost|unexpected postmaster exit/,
		"client $c lost its connection in the middle of its script");
	cmp_ok(scalar(@lines), '<', scalar(@{ $steps[$c] }),
		"client $c had not finished its script");
	$client_errors .= $err if $err =~ /ERROR:/;
}
is($client_errors, undef, 'no client got an ERROR before the kill');

# --- 3. restart ---------------------------------------------------------------
$node->start;
like(slurp_file($node->logfile, $log_offset),
	qr/database system was not properly shut down; automatic recovery in progress/,
	'the restart ran crash recovery');

is($node->safe_psql('postgres', 'SELECT count(*) FROM schemaguard.verify_changelog()'),
	'0', 'verify_changelog() finds nothing after crash recovery');
my $n = $node->safe_psql('postgres', 'SELECT count(*) FROM schemaguard.changelog');
cmp_ok($n, '>=', $kill_after_rows,
	"the changelog kept at least the $kill_after_rows rows seen before the kill");
is( $node->safe_psql(
		'postgres',
		'SELECT min(id), max(id), count(DISTINCT id) FROM schemaguard.changelog'),
	"1|$n|$n",
	"ids are 1..$n without gaps or duplicates");

# Each committed transaction is whole: a "created" step is 3 or 4
# consecutive entries, every other step one entry.
is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM (
  SELECT xid, max(id) - min(id) + 1 = count(*) AS consecutive,
         array_agg(command_tag ORDER BY id) AS tags
    FROM schemaguard.changelog GROUP BY xid) t
 WHERE NOT consecutive
    OR tags NOT IN ('{CREATE TABLE,ALTER TABLE,CREATE INDEX}',
                    '{CREATE TABLE,ALTER TABLE,CREATE INDEX,DROP TABLE}',
                    '{ALTER TABLE}', '{DROP INDEX}')}),
	'0',
	'every transaction\'s entries are consecutive and complete');

is( $node->safe_psql(
		'postgres', q{
SELECT count(*) FROM schemaguard.changelog WHERE statement LIKE '%rb\_%'}),
	'0', 'rolled-back transactions left no row');
is( $node->safe_psql(
		'postgres', q{SELECT count(*) FROM pg_class WHERE relname LIKE 'rb\_%'}),
	'0', 'and no table');

# The steps the changelog records, per client, in changelog order.
my %logged;
for my $row (
	split /\n/,
	$node->safe_psql(
		'postgres', q{
SELECT CASE WHEN command_tag = 'CREATE TABLE'
            THEN 'created ' || (regexp_match(statement, '^CREATE TABLE t_(\d+)_(\d+) '))[1]
                 || ' ' || (regexp_match(statement, '^CREATE TABLE t_(\d+)_(\d+) '))[2]
            WHEN statement ~ 'ADD COLUMN c int'
            THEN 'altered ' || (regexp_match(statement, '^ALTER TABLE t_(\d+)_(\d+) '))[1]
                 || ' ' || (regexp_match(statement, '^ALTER TABLE t_(\d+)_(\d+) '))[2]
            ELSE 'dropidx ' || (regexp_match(statement, '^DROP INDEX t_(\d+)_(\d+)_a'))[1]
                 || ' ' || (regexp_match(statement, '^DROP INDEX t_(\d+)_(\d+)_a'))[2]
       END
  FROM schemaguard.changelog
 WHERE command_tag IN ('CREATE TABLE', 'DROP INDEX') OR statement ~ 'ADD COLUMN c int'
 ORDER BY id}))
{
	my ($what, $c, $i) = split / /, $row;
	push @{ $logged{$c} }, "$what $i";
}

my $in_doubt = 0;
for my $c (1 .. $clients)
{
	my @got = @{ $logged{$c} // [] };
	my $k = scalar(@{ $acked[$c] });
	is_deeply($acked[$c], [ @{ $steps[$c] }[ 0 .. $k - 1 ] ],
		"client $c saw its steps commit in script order");
	my $expected_k = scalar(@got) == $k + 1 ? $k + 1 : $k;
	$in_doubt++ if $expected_k > $k;
	is_deeply(\@got, [ @{ $steps[$c] }[ 0 .. $expected_k - 1 ] ],
		"client $c: the changelog holds exactly the $k steps it saw commit"
		  . ($expected_k > $k ? ' and the one in flight' : ''));
}
note("$in_doubt clients' last step committed without the client hearing of it");

# The catalog is exactly what the changelog says.
my $tables_changelog = q{
  SELECT objects -> 0 ->> 'identity' FROM schemaguard.changelog WHERE command_tag = 'CREATE TABLE'
  EXCEPT
  SELECT objects -> 0 ->> 'identity' FROM schemaguard.changelog WHERE command_tag = 'DROP TABLE'};
my %checks = (
	'tables' => [
		$tables_changelog,
		q{SELECT 'public.' || tablename FROM pg_tables
		   WHERE schemaname = 'public' AND tablename LIKE 't\_%'}
	],
	'indexes' => [
		qq{SELECT identity FROM (
		     SELECT objects -> 0 ->> 'identity' AS identity FROM schemaguard.changelog
		      WHERE command_tag = 'CREATE INDEX'
		     EXCEPT
		     SELECT objects -> 0 ->> 'identity' FROM schemaguard.changelog
		      WHERE command_tag = 'DROP INDEX') i
		   WHERE regexp_replace(identity, '_a\$', '') IN ($tables_changelog)},
		q{SELECT 'public.' || indexname FROM pg_indexes
		   WHERE schemaname = 'public' AND tablename LIKE 't\_%'}
	],
	'"c" columns' => [
		qq{SELECT objects -> 0 ->> 'identity' FROM schemaguard.changelog
		    WHERE statement ~ 'ADD COLUMN c int'
		   INTERSECT ($tables_changelog)},
		q{SELECT attrelid::regclass::text FROM pg_attribute
		   WHERE attname = 'c' AND NOT attisdropped
		     AND attrelid::regclass::text LIKE 't\_%'}
	]);
for my $what (sort keys %checks)
{
	my ($from_changelog, $from_catalog) = @{ $checks{$what} };
	my @a = sort split /\n/,
	  $node->safe_psql('postgres', $from_changelog);
	my @b = sort split /\n/, $node->safe_psql('postgres', $from_catalog);
	# pg_attribute's regclass text has no schema (public is on the path)
	@b = map { /\./ ? $_ : "public.$_" } @b;
	cmp_ok(scalar(@b), '>', 10, "the catalog has $what of the workload");
	is_deeply(\@b, \@a, "the $what in the catalog are exactly those the changelog leaves");
}

# --- 4. the chain continues -----------------------------------------------------
my $head = $node->safe_psql('postgres', 'SELECT * FROM schemaguard.changelog_head()');
like($head, qr/^$n\|sha256:[0-9a-f]{64}$/, "changelog_head() is entry $n");
$node->safe_psql('postgres', 'CREATE TABLE after_restart (a int)');
is( $node->safe_psql(
		'postgres', q{
SELECT id || '|' || prev_hash FROM schemaguard.changelog
 WHERE statement = 'CREATE TABLE after_restart (a int)'}),
	($n + 1) . '|' . (split /\|/, $head)[1],
	'the first DDL after the restart is the next id, linked to the old head');
is($node->safe_psql('postgres', 'SELECT count(*) FROM schemaguard.verify_changelog()'),
	'0', 'verify_changelog() still finds nothing');

$node->stop;
my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/PANIC:|TRAP:|terminated by signal/,
	'no panic, assertion failure or crashed backend after the restart');

done_testing();
