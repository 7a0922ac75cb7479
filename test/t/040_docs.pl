# test/t/040_docs.pl — the SQL examples of the documentation run as written.
#
# Reads README.md and every docs/**/*.md (from $TESTDIR, where test/run.sh
# copies them; the repository's when TESTDIR is unset or has no README.md).
# Environment SG_DOCS: a space-separated list of globs relative to the
# repository (`*` within a directory, `**` across directories), e.g.
#   SG_DOCS='docs/rules/set_not_null.md docs/settings.md' SG_TAP=040_docs bash test/run.sh tap
# runs only the files it matches, and leaves out the check that rule pages
# and rules match (4. below), which needs the whole set.
#
# The convention (docs/testing.md describes it for writers), in each file,
# in document order, outside fenced blocks:
#   - `<!-- doctest-setup` ... `-->`: the comment's body is SQL, run in a
#     session of its own; it must succeed.  psql variable DBNAME holds the
#     page's database (ALTER DATABASE :"DBNAME" SET ... reaches every later
#     block, each a new session);
#   - `<!-- doctest -->` on the line right before a ```sql fenced block:
#     the block must succeed;
#   - `<!-- doctest: error TEXT -->`: the block must fail, and psql's output
#     contain TEXT (statements before the failing one run as usual);
#   - `<!-- doctest: warns TEXT -->`: the block must succeed and its output
#     (stdout and stderr, where WARNINGs go) contain TEXT.
# Unmarked blocks do not run.
#
#   1. one cluster (schemaguard preloaded, lc_messages C, autovacuum off,
#      max_prepared_transactions 10); per file with markers a fresh database
#      named after the file, with CREATE EXTENSION schemaguard and the
#      server's default settings, dropped after the file;
#   2. each setup and each block: psql -X -v ON_ERROR_STOP=1 -v DBNAME=<db>
#      -f - (the block's text as the script, autocommit, its own session),
#      one assertion named FILE:LINE and what was expected; on failure a diag
#      with the block and psql's whole output;
#   3. a line that starts like a marker but is none of the above, a marker
#      not on the line right before a ```sql block, an unterminated setup
#      comment and an unterminated fence (it would hide the markers after
#      it) each fail, named FILE:LINE;
#   4. every rule of schemaguard.list_rules() has docs/rules/<rule>.md, and
#      every docs/rules/*.md but README.md is a rule (one assertion each,
#      listing the names missing).
use strict;
use warnings;
use File::Basename qw(dirname);
use File::Find;
use File::Spec;
use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root =
  (defined $ENV{TESTDIR} && -r "$ENV{TESTDIR}/README.md")
  ? $ENV{TESTDIR}
  : File::Spec->rel2abs(File::Spec->catdir(dirname(__FILE__), '..', '..'));

# --- the files ------------------------------------------------------------------
my @all = ('README.md');
if (-d "$root/docs")
{
	find(
		{
			no_chdir => 1,
			wanted => sub {
				return unless -f $_ && /\.md\z/;
				push @all, File::Spec->abs2rel($_, $root);
			}
		},
		"$root/docs");
}
@all = ('README.md', sort grep { $_ ne 'README.md' } @all);

# a glob (`*`, `?`, `**`) as a regular expression over relative paths
sub glob_re
{
	my ($glob) = @_;
	my $re = '';
	while ($glob =~ /\G(\*\*\/|\*\*|\*|\?|[^*?]+)/gc)
	{
		my $t = $1;
		$re .=
		    $t eq '**/' ? '(?:.*/)?'
		  : $t eq '**' ? '.*'
		  : $t eq '*' ? '[^/]*'
		  : $t eq '?' ? '[^/]'
		  : quotemeta($t);
	}
	return qr/\A$re\z/;
}

my $restricted = defined $ENV{SG_DOCS} && $ENV{SG_DOCS} =~ /\S/;
my @files = @all;
if ($restricted)
{
	my @res = map { glob_re($_) } split ' ', $ENV{SG_DOCS};
	@files = grep {
		my $f = $_;
		grep { $f =~ $_ } @res
	} @all;
	ok(@files > 0, "SG_DOCS='$ENV{SG_DOCS}' matches files")
	  or diag("files: @all");
}

# --- parsing ----------------------------------------------------------------------
# parse(TEXT): the steps of a file, in order, each a hash:
#   {kind => 'setup'|'ok'|'error'|'warns', line, text, sql}
#   {kind => 'bad', line, why}
sub parse
{
	my ($content) = @_;
	my @lines = split /\n/, $content, -1;
	my @steps;
	my $i = 0;
	while ($i < @lines)
	{
		my $l = $lines[$i];
		my $n = $i + 1;

		# a fenced block that no marker introduced: skipped, markers in it too
		if ($l =~ /^\s{0,3}(`{3,}|~{3,})/)
		{
			my $fence = $1;
			my $close = _close_line(\@lines, $i, $fence);
			if (!defined $close)
			{
				push @steps,
				  {
					kind => 'bad',
					line => $n,
					why => 'fenced block never closed (markers after it would be hidden)'
				  };
				last;
			}
			$i = $close + 1;
			next;
		}

		if ($l =~ /^\s*<!--\s*doctest/i)
		{
			if ($l =~ /^\s*<!-- doctest-setup\b(.*)$/)
			{
				my $rest = $1;
				my @body;
				if ($rest =~ /^(.*?)-->\s*$/)
				{
					push @body, $1;
				}
				else
				{
					push @body, $rest;
					my $j = $i + 1;
					while ($j < @lines && $lines[$j] !~ /-->|<!--/)
					{
						push @body, $lines[$j];
						$j++;
					}
					# another comment opens first: this one is not closed
					$j = @lines if $j < @lines && $lines[$j] =~ /<!--/;
					if ($j >= @lines)
					{
						push @steps,
						  {
							kind => 'bad',
							line => $n,
							why => 'doctest-setup comment not closed with --> before the next <!-- or the end of the file'
						  };
						last;
					}
					my ($before, $after) = $lines[$j] =~ /^(.*?)-->(.*)$/;
					push @body, $before;
					if ($after =~ /\S/)
					{
						push @steps,
						  {
							kind => 'bad',
							line => $j + 1,
							why => 'text after the --> that ends doctest-setup'
						  };
					}
					$i = $j;
				}
				push @steps,
				  {
					kind => 'setup',
					line => $n,
					text => 'setup succeeds',
					sql => join("\n", @body) . "\n"
				  };
				$i++;
				next;
			}

			my ($kind, $text);
			if ($l =~ /^\s*<!-- doctest -->\s*$/)
			{
				($kind, $text) = ('ok', undef);
			}
			elsif ($l =~ /^\s*<!-- doctest: (error|warns) (.*?\S)\s*-->\s*$/)
			{
				($kind, $text) = ($1, $2);
			}
			else
			{
				push @steps,
				  {
					kind => 'bad',
					line => $n,
					why => "not a doctest marker: $l"
				  };
				$i++;
				next;
			}

			my $next = $lines[ $i + 1 ];
			if (!defined $next || $next !~ /^(\s*)(`{3,}|~{3,})\s*sql\s*$/)
			{
				push @steps,
				  {
					kind => 'bad',
					line => $n,
					why => 'marker not on the line right before a ```sql block'
				  };
				$i++;
				next;
			}
			my ($indent, $fence) = (length($1), $2);
			my $close = _close_line(\@lines, $i + 1, $fence);
			if (!defined $close)
			{
				push @steps,
				  {
					kind => 'bad',
					line => $n + 1,
					why => 'the marked ```sql block is never closed'
				  };
				last;
			}
			my @body = map { s/^ {0,$indent}//r } @lines[ $i + 2 .. $close - 1 ];
			push @steps,
			  {
				kind => $kind,
				line => $n,
				text => $text,
				sql => join("\n", @body) . "\n"
			  };
			$i = $close + 1;
			next;
		}
		$i++;
	}
	return @steps;
}

# the index of the line that closes the fence opened at line index $open
sub _close_line
{
	my ($lines, $open, $fence) = @_;
	my $ch = substr($fence, 0, 1);
	my $len = length($fence);
	for my $j ($open + 1 .. $#$lines)
	{
		return $j if $lines->[$j] =~ /^\s{0,3}(\Q$ch\E{$len,})\s*$/;
	}
	return undef;
}

# --- the cluster --------------------------------------------------------------------
my $node = PostgreSQL::Test::Cluster->new('docs');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
autovacuum = off
max_prepared_transactions = 10
});
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION schemaguard');

# run(DB, SQL): psql's exit code and its whole output (stdout and stderr)
sub run_psql
{
	my ($db, $sql) = @_;
	my $out = '';
	my @cmd = (
		'psql', '-X', '-v', 'ON_ERROR_STOP=1', '-v', "DBNAME=$db",
		'-d', $node->connstr($db), '-f', '-');
	my $h = IPC::Run::start(\@cmd, '<', \$sql, '>&', \$out,
		IPC::Run::timeout($PostgreSQL::Test::Utils::timeout_default));
	my $rc = eval { $h->finish; $h->result(0) };
	if ($@)
	{
		$h->kill_kill;
		return (-1, "$out\n(timed out: $@)");
	}
	return ($rc, $out);
}

my %db_taken;
sub db_name
{
	my ($file) = @_;
	(my $slug = lc $file) =~ s/\.md\z//;
	$slug =~ s/[^a-z0-9]+/_/g;
	my $name = substr("doc_$slug", 0, 56);
	my $try = $name;
	for (my $k = 2; $db_taken{$try}; $k++)
	{
		$try = "${name}_$k";
	}
	$db_taken{$try} = 1;
	return $try;
}

for my $file (@files)
{
	my @steps = parse(slurp_file("$root/$file"));
	next unless @steps;

	# the database is made for the first step that runs
	my $db;
	for my $step (@steps)
	{
		if ($step->{kind} eq 'bad')
		{
			fail("$file:$step->{line}: $step->{why}");
			next;
		}
		if (!defined $db)
		{
			$db = db_name($file);
			my ($ret, $out, $err) = $node->psql('postgres',
				qq{CREATE DATABASE "$db"}, on_error_stop => 1);
			($ret, $out, $err) = $node->psql($db,
				'CREATE EXTENSION schemaguard', on_error_stop => 1)
			  if $ret == 0;
			if ($ret != 0)
			{
				fail("$file: database $db with schemaguard");
				diag($err);
				last;
			}
		}
		my ($rc, $output) = run_psql($db, $step->{sql});
		my $name = "$file:$step->{line}: ";
		my $good;
		if ($step->{kind} eq 'setup' || $step->{kind} eq 'ok')
		{
			$name .= $step->{kind} eq 'setup' ? 'setup succeeds' : 'succeeds';
			$good = $rc == 0;
		}
		elsif ($step->{kind} eq 'error')
		{
			$name .= "fails with \"$step->{text}\"";
			$good = $rc != 0 && $rc != -1 && index($output, $step->{text}) >= 0;
		}
		else
		{
			$name .= "succeeds and warns \"$step->{text}\"";
			$good = $rc == 0 && index($output, $step->{text}) >= 0;
		}
		ok($good, $name)
		  or diag("-- the block:\n$step->{sql}-- psql exited $rc, its output:\n$output");
	}

	# The page's settings and objects go with its database.
	$node->psql('postgres',
		qq{SET schemaguard.allow = 'drop_database';\nDROP DATABASE "$db" WITH (FORCE);})
	  if defined $db;
}

# --- rule pages and rules ----------------------------------------------------------
if (!$restricted)
{
	my @rules = split /\n/,
	  $node->safe_psql('postgres',
		'SELECT rule FROM schemaguard.list_rules() ORDER BY rule');
	my %page;
	if (opendir(my $dh, "$root/docs/rules"))
	{
		%page = map { s/\.md\z//r => 1 }
		  grep { /\.md\z/ && $_ ne 'README.md' && -f "$root/docs/rules/$_" }
		  readdir($dh);
		closedir($dh);
	}
	my %rule = map { $_ => 1 } @rules;
	my @no_page = grep { !$page{$_} } @rules;
	my @no_rule = sort grep { !$rule{$_} } keys %page;
	ok(!@no_page, 'every rule of list_rules() has docs/rules/<rule>.md')
	  or diag('no page: ' . join(' ', @no_page));
	ok(!@no_rule, 'every docs/rules/*.md but README.md is a rule')
	  or diag('not a rule: ' . join(' ', @no_rule));
}

$node->stop;
done_testing();
