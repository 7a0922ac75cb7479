# test/t/013_drift_standby.pl — drift detection on a streaming standby.
#
#   1. primary with schemaguard preloaded, CREATE EXTENSION, a small schema
#      (tables, an index, a foreign key, a view, a function, an enum), a
#      baseline 'before', then two changes: one recorded in the changelog
#      (ADD COLUMN on an empty table) and one made with
#      schemaguard.changelog = off (SET DEFAULT 42);
#   2. standby from a base backup, streaming; the changes are made after the
#      backup, so they reach the standby by streaming;
#   3. on the standby: fingerprint() (default facets and with owners,
#      privileges, comments) equals the primary's; drift('before') equals
#      the primary's and holds exactly the two changes, tracked true and
#      false; drift() (latest baseline) equals drift('before'); compare()
#      with the primary's manifest and compare() of the two manifests are
#      empty; snapshot(), with and without every facet, equals the
#      primary's row by row; take_baseline()
#      fails with "cannot take a baseline during recovery";
#   4. one more change on the primary: compare() on the standby with the
#      manifest the standby exported before it names exactly that object;
#   5. no crash in either server log.
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

# --- 1. schema and baseline on the primary ----------------------------------
$primary->safe_psql('postgres', q{
CREATE EXTENSION schemaguard;
});
$primary->safe_psql('postgres', q{
CREATE SCHEMA app;
CREATE TYPE app.status AS ENUM ('new', 'active', 'closed');
CREATE TABLE app.customers (
    id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email  text NOT NULL,
    status app.status NOT NULL DEFAULT 'new'
);
CREATE UNIQUE INDEX customers_email ON app.customers (lower(email));
CREATE TABLE app.orders (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    customer_id bigint NOT NULL REFERENCES app.customers,
    amount      numeric(12,2) NOT NULL CHECK (amount >= 0),
    qty         int
);
CREATE INDEX orders_customer ON app.orders (customer_id);
CREATE TABLE app.notes (id bigint PRIMARY KEY, body text);
CREATE VIEW app.customer_totals AS
    SELECT c.id, c.email, sum(o.amount) AS total
    FROM app.customers c LEFT JOIN app.orders o ON o.customer_id = c.id
    GROUP BY c.id, c.email;
CREATE FUNCTION app.order_total(p_customer bigint) RETURNS numeric
    LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(amount), 0) FROM app.orders WHERE customer_id = p_customer
$$;
COMMENT ON TABLE app.orders IS 'one row per order';
});
my $baseline_fp = $primary->safe_psql('postgres',
	q{SELECT schemaguard.take_baseline('before')});
like($baseline_fp, qr/\S/, 'take_baseline(\'before\') on the primary returns a fingerprint');

$primary->backup('bk');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'bk', has_streaming => 1);
$standby->start;

# Two changes after the backup: one the changelog records, one made behind
# schemaguard's back.
$primary->safe_psql('postgres',
	'ALTER TABLE app.notes ADD COLUMN created timestamptz');
$primary->safe_psql('postgres', q{
SET schemaguard.changelog = off;
ALTER TABLE app.orders ALTER COLUMN qty SET DEFAULT 42;
});

# --- 2. catch up ------------------------------------------------------------
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
is($standby->safe_psql('postgres', 'SELECT pg_is_in_recovery()'),
	't', 'the standby is in recovery');

# --- 3. drift functions on the standby --------------------------------------
my $fp_primary = $primary->safe_psql('postgres', 'SELECT schemaguard.fingerprint()');
my $fp_standby = $standby->safe_psql('postgres', 'SELECT schemaguard.fingerprint()');
like($fp_standby, qr/\S/, 'fingerprint() runs on the standby');
is($fp_standby, $fp_primary, 'fingerprint() on the standby equals the primary\'s');
isnt($fp_primary, $baseline_fp, 'the fingerprint changed since the baseline');

my $fp_facets_sql =
  q{SELECT schemaguard.fingerprint('{owners,privileges,comments}')};
my $fpf_primary = $primary->safe_psql('postgres', $fp_facets_sql);
my $fpf_standby = $standby->safe_psql('postgres', $fp_facets_sql);
like($fpf_standby, qr/\S/,
	'fingerprint(\'{owners,privileges,comments}\') runs on the standby');
is($fpf_standby, $fpf_primary,
	'fingerprint(\'{owners,privileges,comments}\') on the standby equals the primary\'s');
isnt($fpf_primary, $fp_primary, 'the optional facets change the fingerprint');

my $drift_sql = sub {
	my $arg = shift;
	return qq{SELECT string_agg(format('%s|%s|%s|%s|%s', object_type, identity,
	                                   change, tracked, changelog_ids),
	                            E'\\n' ORDER BY object_type, identity)
	          FROM schemaguard.drift($arg)};
};
my $drift_primary = $primary->safe_psql('postgres', $drift_sql->(q{'before'}));
my ($ret, $stdout, $stderr) =
  $standby->psql('postgres', $drift_sql->(q{'before'}));
is($ret, 0, 'drift(\'before\') runs on the standby') or diag($stderr);
is($stderr, '', 'drift(\'before\') on the standby: no message');
my $drift_standby = $stdout;
is($drift_standby, $drift_primary,
	'drift(\'before\') on the standby equals the primary\'s');
note("drift('before'):\n$drift_standby");

my @rows = split /\n/, $drift_standby;
is(scalar(@rows), 2, 'drift(\'before\') has exactly two rows');
my $changelog_id = $primary->safe_psql('postgres',
	q{SELECT max(id) FROM schemaguard.changelog
	  WHERE statement = 'ALTER TABLE app.notes ADD COLUMN created timestamptz'});
like($changelog_id, qr/^\d+$/, 'the ADD COLUMN is in the changelog');
is( $drift_standby,
	"table column|app.notes.created|added|t|{$changelog_id}\n"
	  . 'table column|app.orders.qty|modified|f|{}',
	'drift(\'before\'): the ADD COLUMN, tracked by its changelog entry, and '
	  . 'the SET DEFAULT made with the changelog off, untracked');

is($standby->safe_psql('postgres', $drift_sql->('NULL')),
	$drift_standby, 'drift(NULL) on the standby equals drift(\'before\')');
is($standby->safe_psql('postgres', $drift_sql->('')),
	$drift_standby, 'drift() on the standby equals drift(\'before\')');

# Full rows, definitions included, are equal too.
my $drift_full = q{COPY (SELECT * FROM schemaguard.drift('before')
                         ORDER BY object_type, identity) TO STDOUT};
is($standby->safe_psql('postgres', $drift_full),
	$primary->safe_psql('postgres', $drift_full),
	'drift(\'before\') on the standby equals the primary\'s, every column');

# Manifests.
my $manifest_primary =
  $primary->safe_psql('postgres', 'SELECT schemaguard.export_manifest()');
my $manifest_standby =
  $standby->safe_psql('postgres', 'SELECT schemaguard.export_manifest()');
like($manifest_standby, qr/^\{/, 'export_manifest() runs on the standby');
# As SQL literals, dollar-quoted.
sub dollar_quote
{
	my $text = shift;
	die 'text contains $sgm$' if index($text, '$sgm$') >= 0;
	return '$sgm$' . $text . '$sgm$';
}
my $q_primary = dollar_quote($manifest_primary);
my $q_standby = dollar_quote($manifest_standby);

($ret, $stdout, $stderr) = $standby->psql('postgres',
	"SELECT count(*) FROM schemaguard.compare(${q_primary}::jsonb)");
is($ret, 0, 'compare(primary manifest) runs on the standby') or diag($stderr);
is($stdout, '0', 'compare(primary manifest) on the standby: no rows');
($ret, $stdout, $stderr) = $standby->psql('postgres',
	"SELECT count(*) FROM schemaguard.compare(${q_primary}::jsonb, ${q_standby}::jsonb)");
is($ret, 0, 'compare(primary manifest, standby manifest) runs on the standby')
  or diag($stderr);
is($stdout, '0', 'compare(primary manifest, standby manifest): no rows');

my $snap_count = 'SELECT count(*) FROM schemaguard.snapshot()';
my $snap_primary = $primary->safe_psql('postgres', $snap_count);
cmp_ok($snap_primary, '>', 10, 'snapshot() on the primary has rows');
is($standby->safe_psql('postgres', $snap_count),
	$snap_primary, 'snapshot() on the standby has as many rows as on the primary');
for my $facets ('{}', '{owners,privileges,comments,column_order,storage}')
{
	my $snap_rows = "COPY (SELECT * FROM schemaguard.snapshot('$facets')
	                       ORDER BY object_type, identity) TO STDOUT";
	is($standby->safe_psql('postgres', $snap_rows),
		$primary->safe_psql('postgres', $snap_rows),
		"snapshot('$facets') on the standby equals the primary's, every column");
}

($ret, $stdout, $stderr) = $standby->psql('postgres',
	q{SELECT schemaguard.take_baseline('x')});
isnt($ret, 0, 'take_baseline() fails on the standby');
like($stderr, qr/cannot take a baseline during recovery/,
	'take_baseline() on the standby: "cannot take a baseline during recovery"');
is( $standby->safe_psql('postgres',
		'SELECT string_agg(label, \',\' ORDER BY label) FROM schemaguard.baselines'),
	'before', 'the standby still has only the baseline \'before\'');

# --- 4. one more change on the primary --------------------------------------
$primary->safe_psql('postgres',
	'CREATE INDEX CONCURRENTLY notes_created ON app.notes (created)');
$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

($ret, $stdout, $stderr) = $standby->psql('postgres',
	"SELECT format('%s|%s|%s|%s|%s', object_type, identity, change, tracked, changelog_ids)
	 FROM schemaguard.compare(${q_standby}::jsonb) ORDER BY object_type, identity");
is($ret, 0, 'compare(earlier standby manifest) runs on the standby') or diag($stderr);
note("compare(earlier standby manifest):\n$stdout");
my @changed = split /\n/, $stdout;
is(scalar(@changed), 1, 'compare(earlier standby manifest): exactly one row');
is($stdout, 'index|app.notes_created|added||',
	'compare(earlier standby manifest): the new index, added, tracked and changelog_ids NULL');
isnt($standby->safe_psql('postgres', 'SELECT schemaguard.fingerprint()'),
	$fp_standby, 'the fingerprint on the standby changed');
is($standby->safe_psql('postgres', 'SELECT schemaguard.fingerprint()'),
	$primary->safe_psql('postgres', 'SELECT schemaguard.fingerprint()'),
	'and equals the primary\'s again');

$standby->stop;
$primary->stop;

# --- 5. no crash ------------------------------------------------------------
for my $node ($primary, $standby)
{
	my $log = slurp_file($node->logfile);
	unlike($log, qr/terminated by signal|server process .* was terminated|PANIC:/,
		$node->name . ': no crashed backend');
}

done_testing();
