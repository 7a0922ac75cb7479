# Makefile for schemaguard (PGXS)
#
# Everyday use:
#   make test    install what is needed, build, run every suite, print a summary
#                (PG=17, 18 or 19: against that version: 17 and 19 from their
#                Debian release's packages in a chroot, test/chroot.sh; 18 an
#                assertion-enabled build of Debian's source package,
#                test/build-postgres.sh; or PG_CONFIG=...)
#   make demo    install what is needed, build, start a throwaway cluster, show it
#   make test-valgrind   every suite with the servers under valgrind (PG=18 default)
#   make fuzz    install what is needed, build, fuzz the hook and check() on a
#                throwaway cluster (FUZZ_STATEMENTS=100000, FUZZ_SEED=1)
#   make test-core   PostgreSQL's own regression suite with schemaguard loaded
#   make test-upgrade    pg_upgrade from PostgreSQL 15 to 18 keeps the changelog
#                verifying (test/upgrade.sh; builds 18 once, like PG=18)
#   make test-tools    the real migration tools (Django, Alembic, Rails, Sqitch,
#                knex, node-pg-migrate) against schemaguard on 15 (test/tools.sh)
#   make / make install    plain PGXS build against $(PG_CONFIG)

EXTENSION = schemaguard
MODULE_big = schemaguard
OBJS = \
	src/schemaguard.o \
	src/guc.o \
	src/citus.o \
	src/guard/allow.o \
	src/guard/engine.o \
	src/guard/relinfo.o \
	src/guard/sqltext.o \
	src/guard/recipe.o \
	src/guard/exprsafe.o \
	src/guard/dropnet.o \
	src/guard/rules_lock.o \
	src/guard/rules_compat.o \
	src/guard/rules_compat_drop.o \
	src/guard/rules_rewrite.o \
	src/guard/rules_constraint.o \
	src/guard/rules_maint.o \
	src/guard/rules_xact.o \
	src/guard/rules_dataloss.o \
	src/guard/rules_advice.o \
	src/guard/rules_advice_fk.o \
	src/guard/rules_advice_names.o \
	src/guard/locks.o \
	src/guard/lockqueue.o \
	src/guard/check.o \
	src/guard/exempt.o \
	src/changelog/changelog.o \
	src/changelog/changelog_prepared.o \
	src/changelog/lifecycle.o \
	src/changelog/migration_id.o \
	src/drift/build.o \
	src/drift/facets.o \
	src/drift/relations.o \
	src/drift/indexes.o \
	src/drift/constraints.o \
	src/drift/routines.o \
	src/drift/types.o \
	src/drift/snapshot.o \
	src/drift/worker.o \
	src/drift/drift.o \
	src/drift/manifest.o \
	src/drift/manifest_jsonb.o \
	src/drift/drift_depend.o \
	src/drift/consistency.o

DATA = sql/schemaguard--0.1.0.sql sql/schemaguard--0.2.0.sql \
	sql/schemaguard--0.1.0--0.2.0.sql
PGFILEDESC = "schemaguard - safe schema changes for PostgreSQL"

# pg_regress suites: sql/<name>.sql, expected/<name>.out
REGRESS = setup settings guard_index guard_notnull guard_default \
	guard_compat_drop \
	guard_rename odd_statements guard_rewrite guard_constraint guard_maint \
	guard_dataloss guard_advice guard_fk_index guard_xact no_execution recipes check changelog changelog_tamper drift \
	drift_manifest security allow tools citus
REGRESS_OPTS = --load-extension=schemaguard

# pg_isolation_regress suites: specs/<name>.spec, expected/<name>.out
ISOLATION = changelog_concurrency changelog_prepared

PG_CPPFLAGS = -I$(srcdir)/src -I$(srcdir)/src/drift
PG_CFLAGS = -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	-Wno-sign-compare $(if $(STRICT),-Werror)

# Prefer the Debian PostgreSQL 15 server packages unless told otherwise.
PG_CONFIG ?= $(firstword $(wildcard /usr/lib/postgresql/15/bin/pg_config) pg_config)
PGXS := $(shell $(PG_CONFIG) --pgxs 2>/dev/null)

# statements that only newer servers have get suites of their own
PG_MAJOR := $(shell $(PG_CONFIG) --version 2>/dev/null | sed -E 's/^PostgreSQL ([0-9]+).*/\1/')
ifeq ($(shell [ "0$(PG_MAJOR)" -ge 16 ] && echo yes),yes)
REGRESS += guard_pg16
else
REGRESS += guard_pg15
endif
ifeq ($(shell [ "0$(PG_MAJOR)" -ge 18 ] && echo yes),yes)
REGRESS += guard_pg18
endif
ifeq ($(shell [ "0$(PG_MAJOR)" -ge 19 ] && echo yes),yes)
REGRESS += guard_repack guard_pg19
endif
ifneq ($(PGXS),)
include $(PGXS)
# every object is rebuilt when a header changes (PGXS tracks no headers)
$(OBJS): $(wildcard $(srcdir)/src/*.h $(srcdir)/src/*/*.h)
else
all install:
	@echo "pg_config not found: run 'make test' or 'make demo' (they install PostgreSQL), or set PG_CONFIG" >&2
	@exit 1
endif

.PHONY: deps test test-core test-upgrade test-tools test-valgrind demo bench fuzz

deps:
	bash test/deps.sh

test: deps
	bash test/run.sh

test-core: deps
	bash test/core.sh

test-upgrade: deps
	bash test/upgrade.sh

# the real migration tools (Django, knex, ...) against schemaguard, on PostgreSQL 15
test-tools: deps
	bash test/tools.sh

demo: deps
	bash test/demo.sh

bench: deps
	bash bench/run.sh

# every suite with the servers under valgrind (PG=18 by default; slow)
test-valgrind: deps
	bash test/valgrind.sh

# test/fuzz/run.sh reads FUZZ_STATEMENTS, FUZZ_SEED, FUZZ_PGSRC, FUZZ_OUT
fuzz: deps
	PG_CONFIG="$(PG_CONFIG)" bash test/fuzz/run.sh

# used by test/run.sh
print-%:
	@echo $($*)
