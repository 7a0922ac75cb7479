# test/t/021_check_ci.pl — schemaguard.check() in CI, exactly as docs/check.md
# documents it: the GRANT a CI role needs and the bash one-liner that prints
# FILE:LINE: level: rule: message lines.  Both are read from docs/check.md (the
# fenced block after each "<!-- test/t/021_check_ci.pl: ... -->" marker), so
# the documented text is the tested text.
#
#   1. without the grant, the one-liner fails (permission denied);
#   2. with it: a migration with an error-level statement prints one line
#      per finding, with the line where the statement starts, and exits 3;
#      warnings only: printed, exit 0; a clean file: nothing, exit 0;
#   3. a missing file, a syntax error: non-zero; a file name with a space
#      and a quote works; a file over 128 kB (more than one command-line
#      argument may hold) works.
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Path qw(make_path);
use File::Spec;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $page =
  (defined $ENV{TESTDIR} && -r "$ENV{TESTDIR}/docs/check.md")
  ? "$ENV{TESTDIR}/docs/check.md"
  : File::Spec->rel2abs(
	File::Spec->catfile(dirname(__FILE__), '..', '..', 'docs', 'check.md'));

# the fenced block after a marker in docs/check.md (a doctest marker of
# test/t/040_docs.pl may stand between the two)
sub doc_block
{
	my ($marker) = @_;
	my $text = slurp_file($page);
	$text =~ /<!-- test\/t\/021_check_ci\.pl: \Q$marker\E -->\n(?:<!-- doctest[^\n]*-->\n)?```\w*\n(.*?)\n```/s
	  or die "no block after marker '$marker' in $page";
	return $1;
}
my $grant = doc_block('grant');
my $oneliner = doc_block('one-liner');
like($oneliner, qr/^psql .*file=migrations\/042_add_status_index\.sql/,
	'the one-liner is read from docs/check.md');

my $node = PostgreSQL::Test::Cluster->new('check_ci');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
});
$node->start;
$node->safe_psql('postgres', q{
CREATE EXTENSION schemaguard;
CREATE TABLE orders (id bigint PRIMARY KEY, status text, note text);
INSERT INTO orders SELECT g, 'open', NULL FROM generate_series(1, 100) g;
CREATE ROLE ci LOGIN;
ALTER DATABASE postgres SET schemaguard.assume_large_tables = on;
});

my $work = PostgreSQL::Test::Utils::tempdir();
make_path("$work/migrations");
sub write_file
{
	my ($name, $text) = @_;
	open(my $fh, '>', "$work/$name") or die "$name: $!";
	print $fh $text;
	close($fh);
}

# run(FILE NAME): the documented one-liner for that file, as role ci, in $work
sub run_oneliner
{
	my ($file) = @_;
	my $line = $oneliner;
	if (defined $file)
	{
		# psql quotes the value of -v for the backquoted cat; give bash a
		# single-quoted word
		(my $q = $file) =~ s/'/'\\''/g;
		$line =~ s/file=migrations\/042_add_status_index\.sql/file='$q'/
		  or die 'no file name to replace';
	}
	my ($out, $err) = ('', '');
	local $ENV{PGHOST} = $node->host;
	local $ENV{PGPORT} = $node->port;
	local $ENV{PGUSER} = 'ci';
	local $ENV{PGDATABASE} = 'postgres';
	IPC::Run::run([ 'bash', '-c', "cd '$work' && $line" ],
		'<', \'', '>', \$out, '2>', \$err);
	return ($? >> 8, $out, $err);
}

# the documented migration: quotes and semicolons in literals; statement 4
# starts on line 4
my $migration = <<'SQL';
CREATE TABLE payments (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, note text DEFAULT 'it''s new; really', created timestamptz);
CREATE INDEX payments_created_idx ON payments (created);
UPDATE orders SET note = 'O''Brien: a;b' WHERE id = -1;
CREATE INDEX orders_status_idx ON orders (status);
ALTER TABLE orders ADD COLUMN region text DEFAULT 'eu';
SQL
write_file('migrations/042_add_status_index.sql', $migration);

# 1. without the grant
my ($rc, $out, $err) = run_oneliner();
isnt($rc, 0, 'without the grant: non-zero exit');
like($err, qr/permission denied for function check/, 'without the grant: the reason');

# 2. with the documented grant
$node->safe_psql('postgres', $grant);
($rc, $out, $err) = run_oneliner();
is($rc, 3, 'an error-level statement: exit status 3');
is($out,
	qq{migrations/042_add_status_index.sql:4: error: index_not_concurrent: CREATE INDEX on table "public.orders" blocks writes while the index builds\n},
	'an error-level statement: FILE:LINE: level: rule: message');
like($err, qr/ERROR:  1 statement\(s\) at level error/, 'an error-level statement: the reason');
is($out . $err, doc_block('output') . "\n",
	'an error-level statement: what docs/check.md shows');

# a statement spread over lines, after comments: the line of its first token
write_file('migrations/043_more.sql', <<'SQL');
-- 043: two more
CREATE TABLE audit (id int PRIMARY KEY,
                    at timestamp);

  /* the old way */   CREATE INDEX
    orders_note_idx ON orders (note);
SQL
($rc, $out, $err) = run_oneliner('migrations/043_more.sql');
is($rc, 3, 'several findings: exit status 3');
is($out, join('', map { "migrations/043_more.sql:$_\n" }
		'2: warn: prefer_bigint_pk: primary key column "id" of new table "public.audit" is integer',
		'2: warn: prefer_timestamptz: column "at" of table "public.audit" is timestamp without time zone',
		'5: error: index_not_concurrent: CREATE INDEX on table "public.orders" blocks writes while the index builds'),
	'several findings: one line each, at the line where the statement starts');

# warnings only: printed, exit 0
write_file('migrations/044_warn.sql', "CREATE TABLE t44 (id int PRIMARY KEY);\n");
($rc, $out, $err) = run_oneliner('migrations/044_warn.sql');
is($rc, 0, 'warnings only: exit 0') or diag($err);
like($out, qr/^migrations\/044_warn\.sql:1: warn: prefer_bigint_pk: /, 'warnings only: printed');

# a clean file: nothing, exit 0
write_file('migrations/045_clean.sql',
	"CREATE TABLE t45 (id bigint PRIMARY KEY);\nCREATE INDEX ON t45 (id);\n");
($rc, $out, $err) = run_oneliner('migrations/045_clean.sql');
is($rc, 0, 'a clean file: exit 0') or diag($err);
is($out, '', 'a clean file: no output');

# 3. failures that must not pass
($rc, $out, $err) = run_oneliner('migrations/no_such_file.sql');
is($rc, 3, 'a missing file: exit status 3');
like($err, qr/No such file or directory.*syntax error at or near "FILE"/s,
	'a missing file: the reason');
write_file('migrations/046_typo.sql', "CREATE TABLE t46 (id bigint);\nCREAT INDEX ON t46 (id);\n");
($rc, $out, $err) = run_oneliner('migrations/046_typo.sql');
isnt($rc, 0, 'a syntax error: non-zero exit');
like($err, qr/syntax error at or near "CREAT"/, 'a syntax error: the reason');

# an odd file name
write_file(q{migrations/it's a "test" $HOME.sql}, $migration);
($rc, $out, $err) = run_oneliner(q{migrations/it's a "test" $HOME.sql});
is($rc, 3, 'an odd file name: exit status 3');
like($out, qr/^migrations\/it's a "test" \$HOME\.sql:4: error: index_not_concurrent: /,
	'an odd file name: printed as given');

# a file larger than one command-line argument may be (128 kB)
write_file('migrations/047_big.sql',
	("UPDATE orders SET note = 'x' WHERE id = -1;\n" x 4000) . $migration);
($rc, $out, $err) = run_oneliner('migrations/047_big.sql');
is($rc, 3, 'a 180 kB file: exit status 3') or diag($err);
like($out, qr/^migrations\/047_big\.sql:4004: error: index_not_concurrent: /,
	'a 180 kB file: the line');

$node->stop;
done_testing();
