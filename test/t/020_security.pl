# test/t/020_security.pl — what a role that is not a superuser cannot do
# through schemaguard, where it takes a new connection or a database of its
# own (sql/security.sql covers the rest, in one session):
#
#   1. settings given at connection time: PGOPTIONS, and ALTER ROLE /
#      ALTER DATABASE ... SET stored for the next login, by an ordinary role,
#      by a database owner and by a role granted SET on schemaguard.mode,
#      rules and changelog: the guard and the changelog stay on; a
#      migration role granted SET on schemaguard.allow cannot make an
#      exception outlast its transaction (PGOPTIONS, ALTER ROLE ... SET,
#      values stored for it), and schemaguard.allowable_rules stored for it
#      limits which rules it may allow;
#   2. CREATE EXTENSION schemaguard, run by a superuser in a database that a
#      hostile role owns (so it owns the public schema and sets the
#      database's search_path), with trojans named like the built-ins the
#      extension's SQL uses: the trojans never run, neither during CREATE
#      EXTENSION nor in the superuser's later DDL and schemaguard calls;
#      a schema "schemaguard" prepared by that role is refused;
#   3. a fake schemaguard.changelog, with a trigger, in a database where the
#      extension is not installed: the changelog writer (which runs as the
#      bootstrap superuser) never writes to it, so the trigger never runs.
#
# Every attempt is checked twice: the refusal itself, and that its effect
# (a setting, a trojan's marker row) is not there.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('security');
$node->init;
$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'schemaguard'
lc_messages = 'C'
});
$node->start;

$node->safe_psql('postgres', q{
CREATE ROLE sec_plain LOGIN;
CREATE ROLE sec_granted LOGIN;
CREATE ROLE sec_hostile LOGIN CREATEDB;
GRANT SET ON PARAMETER schemaguard.mode, schemaguard.rules,
    schemaguard.changelog TO sec_granted;
});

# psql_as(ROLE, DB, SQL, PGOPTIONS): exit status, stdout, stderr
sub psql_as
{
	my ($role, $db, $sql, $pgoptions) = @_;
	local $ENV{PGOPTIONS} = $pgoptions if defined $pgoptions;
	delete local $ENV{PGOPTIONS} unless defined $pgoptions;
	my ($stdout, $stderr);
	my $ret = $node->psql($db, $sql,
		stdout => \$stdout, stderr => \$stderr,
		extra_params => [ '-U', $role ]);
	return ($ret, $stdout, $stderr);
}

my ($ret, $out, $err);

# ---------------------------------------------------------------------------
# 1. settings at connection time
# ---------------------------------------------------------------------------
my $show = q{SELECT current_setting('schemaguard.mode') || ',' ||
	current_setting('schemaguard.changelog') || ',' ||
	current_setting('schemaguard.rules') || ',' ||
	current_setting('schemaguard.allow') || ',' ||
	current_setting('session_replication_role')};
my $defaults = 'enforce,on,,,origin';

# PGOPTIONS
foreach my $case (
	[ 'sec_plain', '-c schemaguard.mode=off', qr/permission denied to set parameter "schemaguard.mode"/ ],
	[ 'sec_plain', '-c schemaguard.changelog=off', qr/permission denied to set parameter "schemaguard.changelog"/ ],
	[ 'sec_plain', '-c schemaguard.rules=drop_table=off', qr/permission denied to set parameter "schemaguard.rules"/ ],
	[ 'sec_plain', '-c schemaguard.allow=all', qr/permission denied to set parameter "schemaguard.allow"/ ],
	[ 'sec_plain', '-c session_replication_role=replica', qr/permission denied to set parameter "session_replication_role"/ ],
	[ 'sec_granted', '-c schemaguard.mode=off', qr/only superusers can weaken schemaguard.mode/ ],
	[ 'sec_granted', '-c schemaguard.mode=warn', qr/only superusers can weaken schemaguard.mode/ ],
	[ 'sec_granted', '-c schemaguard.changelog=off', qr/only superusers can weaken schemaguard.changelog/ ],
	[ 'sec_granted', '-c schemaguard.rules=drop_table=warn', qr/only superusers can weaken schemaguard.rules/ ],
	[ 'sec_granted', '-c schemaguard.allow=all', qr/permission denied to set parameter "schemaguard.allow"/ ])
{
	my ($role, $opts, $expected) = @$case;
	($ret, $out, $err) = psql_as($role, 'postgres', $show, $opts);
	isnt($ret, 0, "PGOPTIONS '$opts' as $role: connection refused");
	like($err, $expected, "PGOPTIONS '$opts' as $role: the reason");
	is($out // '', '', "PGOPTIONS '$opts' as $role: no session");
}
# what it may set, it may: stricter values
($ret, $out, $err) = psql_as('sec_granted', 'postgres', $show,
	'-c schemaguard.mode=enforce -c schemaguard.rules=prefer_text=error');
is($ret, 0, 'PGOPTIONS with stricter values as sec_granted: connects')
  or diag($err);
is($out, 'enforce,on,prefer_text=error,,origin',
	'PGOPTIONS with stricter values as sec_granted: applied');

# ALTER ROLE / ALTER DATABASE ... SET, for the next login
$node->safe_psql('postgres', 'CREATE DATABASE sec_owned OWNER sec_hostile');
foreach my $case (
	[ 'sec_plain', 'ALTER ROLE sec_plain SET schemaguard.mode = off', qr/permission denied to set parameter/ ],
	[ 'sec_plain', 'ALTER ROLE sec_plain SET schemaguard.changelog = off', qr/permission denied to set parameter/ ],
	[ 'sec_hostile', 'ALTER DATABASE sec_owned SET schemaguard.mode = off', qr/permission denied to set parameter/ ],
	[ 'sec_hostile', 'ALTER DATABASE sec_owned SET schemaguard.changelog = off', qr/permission denied to set parameter/ ],
	[ 'sec_hostile', q{ALTER DATABASE sec_owned SET schemaguard.allow = 'all'}, qr/permission denied to set parameter/ ],
	[ 'sec_hostile', 'ALTER DATABASE sec_owned SET session_replication_role = replica', qr/permission denied to set parameter/ ],
	[ 'sec_hostile', 'ALTER ROLE sec_hostile IN DATABASE sec_owned SET schemaguard.rules = \'drop_table=off\'', qr/permission denied to set parameter/ ],
	[ 'sec_granted', 'ALTER ROLE sec_granted SET schemaguard.mode = off', qr/only superusers can weaken schemaguard.mode/ ],
	[ 'sec_granted', 'ALTER ROLE sec_granted SET schemaguard.changelog = off', qr/only superusers can weaken schemaguard.changelog/ ],
	[ 'sec_granted', 'ALTER ROLE sec_granted IN DATABASE sec_owned SET schemaguard.rules = \'drop_table=warn\'', qr/only superusers can weaken schemaguard.rules/ ])
{
	my ($role, $sql, $expected) = @$case;
	($ret, $out, $err) = psql_as($role, 'sec_owned', $sql);
	isnt($ret, 0, "$role: $sql: refused");
	like($err, $expected, "$role: $sql: the reason");
}
is($node->safe_psql('postgres', 'SELECT count(*) FROM pg_db_role_setting'),
	'0', 'no setting was stored');
foreach my $role ('sec_plain', 'sec_granted', 'sec_hostile')
{
	($ret, $out, $err) = psql_as($role, 'sec_owned', $show);
	is($out, $defaults, "$role logs in with the guard and changelog on");
}
# the control case: a superuser may store them
$node->safe_psql('postgres',
	'ALTER ROLE sec_granted IN DATABASE sec_owned SET schemaguard.mode = warn');
($ret, $out, $err) = psql_as('sec_granted', 'sec_owned', $show);
is($out, 'warn,on,,,origin', 'a setting stored by a superuser applies at login');
$node->safe_psql('postgres',
	'ALTER ROLE sec_granted IN DATABASE sec_owned RESET schemaguard.mode');

# ---------------------------------------------------------------------------
# 1b. governed exceptions: a migration role granted SET on schemaguard.allow
#     cannot make an exception outlast its transaction through a login
# ---------------------------------------------------------------------------
$node->safe_psql('postgres', q{
CREATE ROLE sec_mig LOGIN;
GRANT SET ON PARAMETER schemaguard.allow TO sec_mig;
});
my $allow = q{SELECT current_setting('schemaguard.allow')};
($ret, $out, $err) = psql_as('sec_mig', 'sec_owned', $allow,
	'-c schemaguard.allow=all');
isnt($ret, 0, 'PGOPTIONS schemaguard.allow=all as sec_mig: connection refused');
like($err, qr/schemaguard.allow cannot be set in the connection options of a non-superuser/,
	'PGOPTIONS schemaguard.allow=all as sec_mig: the reason');
is($out // '', '', 'PGOPTIONS schemaguard.allow=all as sec_mig: no session');
($ret, $out, $err) = psql_as('sec_mig', 'sec_owned',
	q{ALTER ROLE sec_mig SET schemaguard.allow = 'all'});
isnt($ret, 0, 'sec_mig: ALTER ROLE ... SET schemaguard.allow: refused');
like($err, qr/only superusers can set schemaguard.allow for a role/,
	'sec_mig: ALTER ROLE ... SET schemaguard.allow: the reason');
# values stored anyway (by a superuser, or before 0.2.0) are not applied to
# a non-superuser's login; a superuser's login applies them
$node->safe_psql('postgres', q{
ALTER ROLE sec_mig IN DATABASE sec_owned SET schemaguard.allow = 'all';
ALTER DATABASE sec_owned SET schemaguard.allow = 'index_not_concurrent';
});
($ret, $out, $err) = psql_as('sec_mig', 'sec_owned', $allow);
is($ret, 0, 'sec_mig logs in despite stored schemaguard.allow values') or diag($err);
is($out, '', 'stored schemaguard.allow values are not applied to sec_mig');
like($err, qr/WARNING:  schemaguard.allow stored for a role or database is ignored for a non-superuser/,
	'sec_mig is told at login');
is($node->safe_psql('sec_owned', $allow), 'index_not_concurrent',
	'a superuser\'s login applies the stored value');
$node->safe_psql('postgres', q{
ALTER ROLE sec_mig IN DATABASE sec_owned RESET schemaguard.allow;
ALTER DATABASE sec_owned RESET schemaguard.allow;
});
# schemaguard.allowable_rules stored for the role limits what it may allow
$node->safe_psql('postgres', q{
ALTER ROLE sec_mig SET schemaguard.allowable_rules = 'index_not_concurrent';
});
($ret, $out, $err) = psql_as('sec_mig', 'sec_owned',
	q{BEGIN; SET LOCAL schemaguard.allow = 'drop_table'; COMMIT;});
like($err, qr/role "sec_mig" may not allow rule drop_table/,
	'allowable_rules from ALTER ROLE: another rule is refused');
($ret, $out, $err) = psql_as('sec_mig', 'sec_owned',
	q{BEGIN; SET LOCAL schemaguard.allow = 'index_not_concurrent'; SELECT current_setting('schemaguard.allow'); COMMIT;});
is($ret, 0, 'allowable_rules from ALTER ROLE: a listed rule may be allowed') or diag($err);
is($out, 'index_not_concurrent', 'allowable_rules from ALTER ROLE: the value is set');
($ret, $out, $err) = psql_as('sec_mig', 'sec_owned',
	q{RESET schemaguard.allowable_rules});
like($err, qr/permission denied to set parameter "schemaguard.allowable_rules"/,
	'the role cannot reset its limit');
($ret, $out, $err) = psql_as('sec_mig', 'sec_owned', q{SHOW schemaguard.allowable_rules},
	'-c schemaguard.allowable_rules=all');
isnt($ret, 0, 'nor widen it with PGOPTIONS');
$node->safe_psql('postgres', q{
ALTER ROLE sec_mig RESET schemaguard.allowable_rules;
REVOKE SET ON PARAMETER schemaguard.allow FROM sec_mig;
DROP ROLE sec_mig;
});

# ---------------------------------------------------------------------------
# 2. CREATE EXTENSION among a hostile role's objects
# ---------------------------------------------------------------------------
# The database is sec_hostile's: it owns the public schema and sets the
# search_path of every session, the superuser's included.
my $trojans = q{
CREATE TABLE public.marker (fired text, by_role name, superuser boolean);
GRANT INSERT, SELECT ON public.marker TO PUBLIC;
CREATE FUNCTION public.trojan(what text) RETURNS boolean
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.marker
    SELECT what, current_user, (SELECT rolsuper FROM pg_catalog.pg_roles r
                                 WHERE r.rolname OPERATOR(pg_catalog.=) current_user);
    RETURN true;
END
$$;
CREATE FUNCTION public.sha256(bytea) RETURNS bytea LANGUAGE sql
AS $$ SELECT pg_catalog.sha256($1) WHERE public.trojan('sha256') $$;
CREATE FUNCTION public.encode(bytea, text) RETURNS text LANGUAGE sql
AS $$ SELECT pg_catalog.encode($1, $2) WHERE public.trojan('encode') $$;
CREATE FUNCTION public.convert_to(text, text) RETURNS bytea LANGUAGE sql
AS $$ SELECT pg_catalog.convert_to($1, $2) WHERE public.trojan('convert_to') $$;
CREATE FUNCTION public.octet_length(bytea) RETURNS integer LANGUAGE sql
AS $$ SELECT pg_catalog.octet_length($1) WHERE public.trojan('octet_length') $$;
CREATE FUNCTION public.repeat(text, bigint) RETURNS text LANGUAGE sql
AS $$ SELECT pg_catalog.repeat($1, $2::int) WHERE public.trojan('repeat') $$;
CREATE FUNCTION public.format(text, bigint, bigint) RETURNS text LANGUAGE sql
AS $$ SELECT pg_catalog.format($1, $2, $3) WHERE public.trojan('format') $$;
CREATE FUNCTION public.to_char(timestamp, text) RETURNS text LANGUAGE sql
AS $$ SELECT pg_catalog.to_char($1, $2) WHERE public.trojan('to_char') $$;
CREATE FUNCTION public.unnest(text[]) RETURNS SETOF text LANGUAGE sql
AS $$ SELECT pg_catalog.unnest($1) WHERE public.trojan('unnest') $$;
CREATE FUNCTION public.now() RETURNS timestamptz LANGUAGE sql
AS $$ SELECT pg_catalog.now() WHERE public.trojan('now') $$;
CREATE FUNCTION public.pg_extension_config_dump(text, text) RETURNS void LANGUAGE sql
AS $$ SELECT WHERE public.trojan('pg_extension_config_dump') $$;
CREATE FUNCTION public.pg_event_trigger_ddl_commands() RETURNS SETOF record LANGUAGE sql
AS $$ SELECT WHERE public.trojan('pg_event_trigger_ddl_commands') $$;
CREATE FUNCTION public.text_eq(text, text) RETURNS boolean LANGUAGE sql
AS $$ SELECT pg_catalog.texteq($1, $2) AND public.trojan('=') $$;
CREATE FUNCTION public.text_ne(text, text) RETURNS boolean LANGUAGE sql
AS $$ SELECT pg_catalog.textne($1, $2) AND public.trojan('<>') $$;
CREATE FUNCTION public.text_concat(text, text) RETURNS text LANGUAGE sql
AS $$ SELECT pg_catalog.textcat($1, $2) WHERE public.trojan('||') $$;
CREATE FUNCTION public.int8_ne(bigint, bigint) RETURNS boolean LANGUAGE sql
AS $$ SELECT pg_catalog.int8ne($1, $2) AND public.trojan('<>int8') $$;
CREATE FUNCTION public.int8_plus(bigint, integer) RETURNS bigint LANGUAGE sql
AS $$ SELECT pg_catalog.int84pl($1, $2) WHERE public.trojan('+') $$;
CREATE OPERATOR public.= (LEFTARG = text, RIGHTARG = text, FUNCTION = public.text_eq);
CREATE OPERATOR public.<> (LEFTARG = text, RIGHTARG = text, FUNCTION = public.text_ne);
CREATE OPERATOR public.|| (LEFTARG = text, RIGHTARG = text, FUNCTION = public.text_concat);
CREATE OPERATOR public.<> (LEFTARG = bigint, RIGHTARG = bigint, FUNCTION = public.int8_ne);
CREATE OPERATOR public.+ (LEFTARG = bigint, RIGHTARG = integer, FUNCTION = public.int8_plus);
ALTER DATABASE sec_owned SET search_path = public, pg_catalog;
};
($ret, $out, $err) = psql_as('sec_hostile', 'sec_owned', $trojans);
is($ret, 0, 'the hostile owner places its trojans') or diag($err);
is( $node->safe_psql('sec_owned',
		q{SELECT concat_ws(',', pg_get_userbyid(d.datdba), current_setting('search_path'))
		    FROM pg_database d WHERE d.datname OPERATOR(pg_catalog.=) current_database()}),
	'sec_hostile,public, pg_catalog',
	'the superuser\'s session has the hostile search_path');

my $fired = q{SELECT count(*) FROM public.marker};

# a schema "schemaguard" prepared by the hostile role is refused
($ret, $out, $err) = psql_as('sec_hostile', 'sec_owned', q{
CREATE SCHEMA schemaguard;
CREATE FUNCTION schemaguard.sha256_text(t text) RETURNS text LANGUAGE sql
AS $$ SELECT 'forged' WHERE public.trojan('schemaguard.sha256_text') $$;
});
is($ret, 0, 'the hostile owner prepares a schema "schemaguard"') or diag($err);
($ret, $out, $err) = $node->psql('sec_owned', 'CREATE EXTENSION schemaguard');
isnt($ret, 0, 'CREATE EXTENSION in a schema a non-superuser owns: refused');
like($err, qr/schema "schemaguard" is owned by a role that is not a superuser/,
	'CREATE EXTENSION in a schema a non-superuser owns: the reason');
is($node->safe_psql('sec_owned',
		q{SELECT count(*) FROM pg_extension WHERE extname OPERATOR(pg_catalog.=) 'schemaguard'}),
	'0', 'the extension was not created');
psql_as('sec_hostile', 'sec_owned', 'DROP SCHEMA schemaguard CASCADE');

# the real thing, with the trojans in place
($ret, $out, $err) = $node->psql('sec_owned', 'CREATE EXTENSION schemaguard');
is($ret, 0, 'CREATE EXTENSION among the trojans') or diag($err);
is($node->safe_psql('sec_owned', $fired), '0',
	'CREATE EXTENSION ran no trojan');
is( $node->safe_psql('sec_owned',
		q{SELECT pg_get_userbyid(nspowner) FROM pg_namespace
		   WHERE nspname OPERATOR(pg_catalog.=) 'schemaguard'}),
	'postgres', 'the schema is the superuser\'s');

# the superuser works in the database, with the hostile search_path
($ret, $out, $err) = $node->psql('sec_owned', q{
CREATE TABLE su_t (id bigint PRIMARY KEY, note text);
ALTER TABLE su_t ADD COLUMN c int;
ALTER TABLE su_t ALTER COLUMN note TYPE varchar(20);
COMMENT ON TABLE su_t IS 'x';
DROP TABLE su_t;
SELECT count(*) FROM schemaguard.verify_changelog();
SELECT count(*) FROM schemaguard.changelog_head();
SELECT schemaguard.take_baseline('b1') IS NOT NULL;
SELECT count(*) FROM schemaguard.drift('b1');
SELECT count(*) FROM schemaguard.snapshot('{owners,privileges,comments}');
SELECT schemaguard.fingerprint() IS NOT NULL;
SELECT schemaguard.export_manifest() IS NOT NULL;
SELECT count(*) FROM schemaguard.compare(schemaguard.export_manifest());
SELECT count(*) FROM schemaguard.check('CREATE INDEX ON public.marker (fired)');
SELECT count(*) FROM schemaguard.list_rules();
});
is($ret, 0, 'the superuser\'s DDL and schemaguard calls') or diag($err);
is($node->safe_psql('sec_owned', $fired), '0',
	'no trojan ran in the superuser\'s DDL, event triggers, changelog writer or schemaguard calls');
is($node->safe_psql('sec_owned', 'SELECT count(*) FROM schemaguard.verify_changelog()'),
	'0', 'the chain is intact');
is( $node->safe_psql('sec_owned',
		q{SELECT string_agg(command_tag, ',' ORDER BY id) FROM schemaguard.changelog}),
	'CREATE TABLE,ALTER TABLE,ALTER TABLE,COMMENT,DROP TABLE',
	'the superuser\'s DDL is recorded');

# the hostile role's own DDL: the writer runs as the bootstrap superuser
($ret, $out, $err) = psql_as('sec_hostile', 'sec_owned', q{
CREATE TABLE public.h_t (a int);
DROP TABLE public.h_t;
SELECT count(*) FROM schemaguard.verify_changelog();
SELECT count(*) FROM schemaguard.changelog_head();
SELECT count(*) FROM schemaguard.snapshot();
});
is($ret, 0, 'the hostile role\'s DDL and schemaguard calls') or diag($err);
is($node->safe_psql('sec_owned', $fired), '0',
	'no trojan ran in the hostile role\'s DDL or schemaguard calls either');

# the control case: the trojans do work when called directly
($ret, $out, $err) = psql_as('sec_hostile', 'sec_owned',
	q{SELECT 'a'::text || 'b'::text});
is($out, 'ab', 'control: the hostile role calls a trojan');
is( $node->safe_psql('sec_owned',
		q{SELECT concat_ws(',', fired, by_role, superuser) FROM public.marker}),
	'||,sec_hostile,f', 'control: the trojan recorded itself');

# ---------------------------------------------------------------------------
# 3. a fake changelog where the extension is not installed
# ---------------------------------------------------------------------------
$node->safe_psql('postgres', 'CREATE DATABASE sec_fake OWNER sec_hostile');
($ret, $out, $err) = psql_as('sec_hostile', 'sec_fake', q{
CREATE SCHEMA schemaguard;
CREATE TABLE schemaguard.changelog (
    id bigint PRIMARY KEY, recorded_at timestamptz, xid xid8,
    role_name name, session_role name, application_name text,
    client_addr inet, command_tag text, objects jsonb, statement text,
    statement_sha256 text, migration text, allowed_rules text[],
    warnings text[], prev_hash text, entry_hash text);
CREATE TABLE public.marker (fired text, by_role name, superuser boolean);
GRANT INSERT, SELECT ON public.marker TO PUBLIC;
CREATE FUNCTION public.escalate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO public.marker SELECT 'escalate', current_user,
        (SELECT rolsuper FROM pg_roles WHERE rolname = current_user);
    RETURN NEW;
END
$$;
CREATE TRIGGER escalate BEFORE INSERT ON schemaguard.changelog
    FOR EACH ROW EXECUTE FUNCTION public.escalate();
});
is($ret, 0, 'the hostile owner creates a fake schemaguard.changelog') or diag($err);
# event-trigger statements are recorded from the parse tree, without the
# extension's event triggers: the statements that reach the writer here
($ret, $out, $err) = $node->psql('sec_fake', q{
CREATE FUNCTION public.noop() RETURNS event_trigger LANGUAGE plpgsql AS 'BEGIN END';
CREATE EVENT TRIGGER noop ON ddl_command_end EXECUTE FUNCTION public.noop();
COMMENT ON EVENT TRIGGER noop IS 'x';
ALTER EVENT TRIGGER noop DISABLE;
DROP EVENT TRIGGER noop;
});
is($ret, 0, 'the superuser\'s event-trigger statements') or diag($err);
is($node->safe_psql('sec_fake', 'SELECT count(*) FROM public.marker'),
	'0', 'the fake changelog\'s trigger never ran');
is($node->safe_psql('sec_fake', 'SELECT count(*) FROM schemaguard.changelog'),
	'0', 'nothing was written to the fake changelog');
is($node->safe_psql('postgres',
		q{SELECT rolsuper FROM pg_roles WHERE rolname = 'sec_hostile'}),
	'f', 'the hostile role is still not a superuser');

$node->stop;
done_testing();
