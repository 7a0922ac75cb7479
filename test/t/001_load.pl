# test/t/001_load.pl — schemaguard guards DDL without shared_preload_libraries.
#
# A DBA may load schemaguard per session instead of at server start:
#   1. not loaded at all: nothing is enforced (control case);
#   2. LOAD 'schemaguard' in a session: the settings exist and an unsafe
#      CREATE INDEX fails with SQLSTATE SG001;
#   3. session_preload_libraries = 'schemaguard': the same, in a new session,
#      without LOAD;
#   4. schemaguard.mode = off in postgresql.conf: the statement goes through.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('load');
$node->init;
$node->append_conf('postgresql.conf', "lc_messages = 'C'");
$node->start;

# A table with rows, committed before the guarded statements run, so the
# "created in the current transaction" exemption does not apply.
$node->safe_psql('postgres',
	'CREATE TABLE t (id bigint); INSERT INTO t SELECT generate_series(1, 1000)'
);

# Every non-empty table counts as large once the threshold is 0.
my $unsafe_index = q{
\set VERBOSITY verbose
SET schemaguard.table_size_threshold = 0;
CREATE INDEX t_id_idx ON t (id);
};
my $blocked = qr/ERROR:\s+SG001:\s+schemaguard: index_not_concurrent/;

my ($ret, $stdout, $stderr);

# 1. Not loaded: the settings do not exist and nothing is guarded.
($ret, $stdout, $stderr) = $node->psql('postgres', 'SHOW schemaguard.mode');
isnt($ret, 0, 'not loaded: SHOW schemaguard.mode fails');
like($stderr, qr/unrecognized configuration parameter/,
	'not loaded: schemaguard.mode is unknown');
($ret, $stdout, $stderr) = $node->psql('postgres',
	'CREATE INDEX t_plain_idx ON t (id); DROP INDEX t_plain_idx');
is($ret, 0, 'not loaded: CREATE INDEX is not guarded');

# 2. LOAD in the session.
($ret, $stdout, $stderr) =
  $node->psql('postgres', "LOAD 'schemaguard'; SHOW schemaguard.mode");
is($ret, 0, 'LOAD: SHOW schemaguard.mode works');
is($stdout, 'enforce', 'LOAD: default mode is enforce');

($ret, $stdout, $stderr) =
  $node->psql('postgres', "LOAD 'schemaguard';" . $unsafe_index);
isnt($ret, 0, 'LOAD: CREATE INDEX on a large table fails');
like($stderr, $blocked, 'LOAD: error is index_not_concurrent with SG001');

($ret, $stdout, $stderr) = $node->psql('postgres',
	"LOAD 'schemaguard'; SET schemaguard.table_size_threshold = 0; "
	  . 'CREATE INDEX CONCURRENTLY t_id_idx ON t (id)');
is($ret, 0, 'LOAD: CREATE INDEX CONCURRENTLY is allowed')
  or diag($stderr);
$node->safe_psql('postgres', 'DROP INDEX t_id_idx');

# 3. session_preload_libraries: new sessions load it without LOAD.
$node->append_conf('postgresql.conf',
	"session_preload_libraries = 'schemaguard'");
$node->restart;

($ret, $stdout, $stderr) = $node->psql('postgres', 'SHOW schemaguard.mode');
is($stdout, 'enforce', 'session_preload_libraries: schemaguard.mode is set');

($ret, $stdout, $stderr) = $node->psql('postgres', $unsafe_index);
isnt($ret, 0, 'session_preload_libraries: CREATE INDEX fails');
like($stderr, $blocked,
	'session_preload_libraries: error is index_not_concurrent with SG001');

# 4. schemaguard.mode = off in the configuration lets it through.
$node->append_conf('postgresql.conf', 'schemaguard.mode = off');
$node->restart;

($ret, $stdout, $stderr) = $node->psql('postgres', 'SHOW schemaguard.mode');
is($stdout, 'off', 'mode = off: picked up from postgresql.conf');

($ret, $stdout, $stderr) = $node->psql('postgres', $unsafe_index);
is($ret, 0, 'mode = off: CREATE INDEX goes through') or diag($stderr);
unlike($stderr, qr/schemaguard/, 'mode = off: no error or warning');

$node->stop;
done_testing();
