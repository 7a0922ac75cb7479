# test/t/017_drift_concurrent.pl — drift functions while the schema changes.
#
# Three DDL clients (pgbench, as fast as they go) each cycle one set of
# objects through three states, one committed transaction each:
#   absent  -> created (table, index on it, view over it, function)
#           -> altered (ADD COLUMN, the view replaced to read it, the
#              function replaced, the index's fillfactor)
#           -> absent (all dropped)
# so the schema is always one of 3^3 = 27 known states.  Before the load,
# each state is built in turn and its fingerprint(), snapshot() (as an md5
# of its rows) and drift() against a baseline of the empty state (as an md5
# of its rows, without tracked) are recorded.
#
# Under the load, for at least 30 seconds, one session runs fingerprint(),
# snapshot() and drift() in turn, and a second one (pgbench) runs
# fingerprint(): every call succeeds and every result is the one of a
# known state.  The DDL clients see no failure either; afterwards the
# quiesced database has the empty state's fingerprint, and no server log
# shows an error from the drift functions or a crashed backend.
#
# Then: a prepared DDL transaction holds no schemaguard lock and is not
# seen until COMMIT PREPARED; and without shared_preload_libraries (no
# shared memory) fingerprint() still works.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);

my $clients = 3;
my $duration = 32;    # seconds of checked calls under load

my $node = PostgreSQL::Test::Cluster->new('drift_concurrent');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
max_connections = 30
max_parallel_workers_per_gather = 2
max_prepared_transactions = 2
autovacuum = off
log_min_messages = warning
log_min_error_statement = error
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION schemaguard;
CREATE SCHEMA churn;
CREATE TABLE churn.stays (id int PRIMARY KEY, note text);
CREATE VIEW churn.stays_v AS SELECT id, note FROM churn.stays;
});

# the SQL that moves client $c from one state to the next
sub step_sql
{
	my ($c, $to) = @_;
	return qq{
CREATE TABLE churn.t_$c (id int, v text);
CREATE INDEX iv_$c ON churn.t_$c (v);
CREATE VIEW churn.v_$c AS SELECT id, v FROM churn.t_$c;
CREATE FUNCTION churn.f_$c(int) RETURNS int LANGUAGE sql AS 'SELECT \$1 + $c';
} if $to == 1;
	return qq{
ALTER TABLE churn.t_$c ADD COLUMN w int;
CREATE OR REPLACE VIEW churn.v_$c AS SELECT id, v, w FROM churn.t_$c;
CREATE OR REPLACE FUNCTION churn.f_$c(int) RETURNS int LANGUAGE sql AS 'SELECT \$1 * $c';
ALTER INDEX churn.iv_$c SET (fillfactor = 70);
} if $to == 2;
	return qq{
DROP VIEW churn.v_$c;
DROP TABLE churn.t_$c;
DROP FUNCTION churn.f_$c(int);
};
}

my $session = "SET schemaguard.mode = off;\n";
my $fp_sql = 'SELECT schemaguard.fingerprint()';
my $snap_sql = q{SELECT count(*) || ':' || md5(string_agg(object_type || '|' || identity || '|' || definition, E'\n' ORDER BY object_type, identity)) FROM schemaguard.snapshot()};
my $drift_sql = q{SELECT count(*) || ':' || coalesce(md5(string_agg(object_type || '|' || identity || '|' || change || '|' || coalesce(current_definition, ''), E'\n' ORDER BY object_type, identity)), '') FROM schemaguard.drift('empty')};

$node->safe_psql('postgres', "SELECT schemaguard.take_baseline('empty')");

# --- the known states ----------------------------------------------------------
my (%fps, %snaps, %drifts);
my @state = (0) x $clients;
for my $n (0 .. 3**$clients - 1)
{
	my @want = map { int($n / 3**$_) % 3 } 0 .. $clients - 1;
	my $sql = $session;
	for my $c (0 .. $clients - 1)
	{
		# from the current state to the wanted one, through the cycle
		while ($state[$c] != $want[$c])
		{
			$state[$c] = ($state[$c] + 1) % 3;
			$sql .= step_sql($c, $state[$c]);
		}
	}
	$node->safe_psql('postgres', $sql);
	my $key = join('', @want);
	$fps{ $node->safe_psql('postgres', $fp_sql) } = $key;
	$snaps{ $node->safe_psql('postgres', $snap_sql) } = $key;
	$drifts{ $node->safe_psql('postgres', $drift_sql) } = $key;
}
# back to the empty state
my $sql = $session;
for my $c (0 .. $clients - 1)
{
	while ($state[$c] != 0)
	{
		$state[$c] = ($state[$c] + 1) % 3;
		$sql .= step_sql($c, $state[$c]);
	}
}
$node->safe_psql('postgres', $sql);
my $empty_fp = $node->safe_psql('postgres', $fp_sql);
is(scalar(keys %fps), 3**$clients, 'the 27 states have 27 different fingerprints');
is($fps{$empty_fp}, '0' x $clients, 'the empty state is back');

# the snapshot is built with a parallel worker here
my ($ret, $stdout, $stderr) = $node->psql('postgres',
	"SET client_min_messages = debug1; $fp_sql");
like($stderr, qr/built with a parallel worker/, 'the snapshot uses a parallel worker');

# --- the load ---------------------------------------------------------------------
my $ddl_file = $node->basedir . '/ddl.sql';
my $ddl = "SET schemaguard.mode = off;\n";
for my $to (1, 2, 0)
{
	$ddl .= "BEGIN;\n" . step_sql(':client_id', $to) . "COMMIT;\n";
}
append_to_file($ddl_file, $ddl);
my $reader_file = $node->basedir . '/reader.sql';
append_to_file($reader_file, "$fp_sql;\n");

my @pgbench = ('pgbench', '-n', '-h', $node->host, '-p', $node->port);
my ($ddl_out, $ddl_err, $rd_out, $rd_err) = ('', '', '', '');
my $log_offset = -s $node->logfile;
my $ddl_run = IPC::Run::start([ @pgbench, '-c', $clients, '-j', 1, '-T', $duration + 6,
	'-f', $ddl_file, 'postgres' ], '>', \$ddl_out, '2>', \$ddl_err);
my $reader_run = IPC::Run::start([ @pgbench, '-c', 1, '-T', $duration + 3,
	'-f', $reader_file, 'postgres' ], '>', \$rd_out, '2>', \$rd_err);
sleep 2;

my %calls = (fingerprint => 0, snapshot => 0, drift => 0);
my %unknown = (fingerprint => 0, snapshot => 0, drift => 0);
my %seen;
my @errors;
my $start = time();
while (time() - $start < $duration)
{
	for my $call ([ 'fingerprint', $fp_sql, \%fps ], [ 'snapshot', $snap_sql, \%snaps ],
		[ 'drift', $drift_sql, \%drifts ])
	{
		my ($name, $q, $known) = @$call;
		my ($rc, $out, $err) = $node->psql('postgres', $q);
		$calls{$name}++;
		if ($rc != 0 || $err ne '')
		{
			push @errors, "$name: $err";
			next;
		}
		if (defined $known->{$out}) { $seen{ $known->{$out} } = 1; }
		else { $unknown{$name}++; }
	}
}
my $elapsed = time() - $start;
$ddl_run->finish;
$reader_run->finish;
note(sprintf('%.1f s of calls: %d fingerprint, %d snapshot, %d drift; %d states seen',
	$elapsed, $calls{fingerprint}, $calls{snapshot}, $calls{drift}, scalar(keys %seen)));
note("DDL clients: $ddl_out");
note("reader: $rd_out");

cmp_ok($elapsed, '>=', 30, 'the calls ran for at least 30 seconds');
is(scalar(@errors), 0, 'no call failed') or diag(join("\n", @errors[0 .. ($#errors < 9 ? $#errors : 9)]));
is($unknown{fingerprint}, 0, "every fingerprint is a known state's ($calls{fingerprint} calls)");
is($unknown{snapshot}, 0, "every snapshot is a known state's ($calls{snapshot} calls)");
is($unknown{drift}, 0, "every drift() is a known state's ($calls{drift} calls)");
cmp_ok(scalar(keys %seen), '>', 1, 'the calls saw the schema in more than one state');

# (pgbench counts only retryable failures; any other error aborts a client)
ok($ddl_out =~ /number of failed transactions: 0 / && $ddl_err !~ /aborted|error/i,
	'no DDL transaction failed') or diag($ddl_err);
my ($ddl_done) = $ddl_out =~ /number of transactions actually processed: (\d+)/;
cmp_ok($ddl_done // 0, '>', 100, 'the DDL clients committed their cycles');
my ($rd_done) = $rd_out =~ /number of transactions actually processed: (\d+)/;
ok($rd_out =~ /number of failed transactions: 0 / && $rd_err !~ /aborted|error/i && ($rd_done // 0) > 30,
	"no fingerprint() of the second reader failed (@{[ $rd_done // 0 ]} calls)") or diag($rd_err);

is($node->safe_psql('postgres', $fp_sql), $empty_fp, 'the quiesced database has the empty state');

my $log = slurp_file($node->logfile, $log_offset);
unlike($log, qr/terminated by signal|was terminated|PANIC/, 'no crashed backend');
# (a parallel worker that meets a concurrent change logs its error itself;
# the leader catches it and takes the snapshot again)
unlike($log, qr/STATEMENT:\s+SELECT .*schemaguard\./, 'no drift function call failed');

# --- a prepared transaction ------------------------------------------------------
# PREPARE TRANSACTION lets schemaguard's lock go (else a locked attempt
# would wait for COMMIT PREPARED), without a warning; COMMIT PREPARED counts
($ret, $stdout, $stderr) = $node->psql('postgres',
	"${session}BEGIN; CREATE TABLE churn.prepared (a int); PREPARE TRANSACTION 'p1';");
is($stderr, '', 'PREPARE TRANSACTION of DDL: no warning');
is($node->safe_psql('postgres',
	"SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objsubid = 21319"),
	'0', 'the prepared transaction does not hold schemaguard\'s lock');
is($node->safe_psql('postgres', $fp_sql), $empty_fp, 'a prepared transaction is not seen');
$node->safe_psql('postgres', "COMMIT PREPARED 'p1'");
isnt($node->safe_psql('postgres', $fp_sql), $empty_fp, 'COMMIT PREPARED is seen');
$node->safe_psql('postgres', "${session}DROP TABLE churn.prepared");

# --- without shared_preload_libraries: no counters, the functions still work
$node->append_conf('postgresql.conf', "shared_preload_libraries = ''\n");
$node->restart;
is($node->safe_psql('postgres', $fp_sql), $empty_fp,
	'without shared_preload_libraries fingerprint() works');

$node->stop;
done_testing();
