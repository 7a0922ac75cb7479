/*-------------------------------------------------------------------------
 *
 * lifecycle.c
 *		What the library needs to know about the extension's life in a
 *		database: which version of schemaguard's tables it writes to, and
 *		which rows logical replication brings in.
 *
 * Versions.  The library is installed once per server, the extension's
 * tables once per database, and ALTER EXTENSION schemaguard UPDATE is run
 * database by database.  So before it writes, the library reads the
 * extversion of this database's pg_extension row (one index lookup, done
 * only by a transaction that records something, at its commit, next to
 * the lookup of the changelog relation that has always been done there; no
 * cache that an ALTER EXTENSION in another session could leave stale):
 *	- 0.2.0 (this release): everything is written;
 *	- 0.1.0: the changelog has the same columns and is written; a prepared
 *	  transaction's entries are not, because 0.1.0 has nowhere to keep them
 *	  but the chain itself, whose lock would then be held until COMMIT
 *	  PREPARED and block every other schema change;
 *	- any other version (a newer script installed with an older library):
 *	  nothing is written.
 * What is skipped never fails the user's statement or commit: the first
 * skip in a session is a WARNING that names the ALTER EXTENSION to run,
 * every skip a LOG line.
 *
 * Logical replication.  A FOR ALL TABLES publication includes
 * schemaguard's tables, and a subscriber has its own chain: a replicated
 * changelog row would collide with it on id.  Each table has a BEFORE ROW
 * trigger, enabled as ENABLE REPLICA TRIGGER, that returns NULL in a
 * logical replication worker (apply and initial table sync), so a
 * subscriber keeps its own history and the publisher's rows are skipped.
 * In any other session with session_replication_role = replica the
 * trigger lets the row through.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/dependency.h"
#include "catalog/indexing.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/dbcommands.h"
#include "commands/trigger.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "replication/logicalworker.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "schemaguard.h"

/* the version this library's full script installs */
#define SG_CURRENT_VERSION "0.2.0"

/* the first skip of each kind in this session was a WARNING */
static bool sg_warned_version = false;
static bool sg_warned_prepared = false;

/*
 * A relation of schemaguard's schema that belongs to the extension.  Rows
 * are written as the bootstrap superuser, so a table of that name that
 * does not belong to the extension (one a database owner created where the
 * extension is not installed) is never written.
 */
static Oid
sg_extension_relid(const char *relname, Oid extid)
{
	Oid			nspid = get_namespace_oid("schemaguard", true);
	Oid			relid;

	if (!OidIsValid(nspid))
		return InvalidOid;
	relid = get_relname_relid(relname, nspid);
	if (!OidIsValid(relid) ||
		getExtensionOfObject(RelationRelationId, relid) != extid)
		return InvalidOid;
	return relid;
}

/* the oid and extversion of this database's schemaguard, if installed */
static Oid
sg_extension_version(char **version)
{
	Relation	rel;
	ScanKeyData key;
	SysScanDesc scan;
	HeapTuple	tup;
	Oid			extid = InvalidOid;

	*version = NULL;
	rel = table_open(ExtensionRelationId, AccessShareLock);
	ScanKeyInit(&key, Anum_pg_extension_extname, BTEqualStrategyNumber,
				F_NAMEEQ, CStringGetDatum("schemaguard"));
	scan = systable_beginscan(rel, ExtensionNameIndexId, true, NULL, 1, &key);
	tup = systable_getnext(scan);
	if (HeapTupleIsValid(tup))
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, Anum_pg_extension_extversion,
									 RelationGetDescr(rel), &isnull);

		extid = ((Form_pg_extension) GETSTRUCT(tup))->oid;
		if (!isnull)
			*version = TextDatumGetCString(d);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	return extid;
}

/*
 * Where this database's changelog is and what its version holds.  False
 * when there is nothing to write to: no extension, or a version this
 * library cannot write (said once per session, and logged each time).
 */
bool
sg_changelog_target(SGTarget *target)
{
	char	   *version;
	Oid			extid = sg_extension_version(&version);

	memset(target, 0, sizeof(SGTarget));
	if (!OidIsValid(extid) || version == NULL)
		return false;
	target->extversion = version;
	if (strcmp(version, "0.1.0") == 0)
		target->version = SG_EXT_0_1_0;
	else if (strcmp(version, SG_CURRENT_VERSION) == 0)
		target->version = SG_EXT_0_2_0;
	else
	{
		ereport(sg_warned_version ? LOG : WARNING,
				(errmsg("schemaguard: this schema change is not recorded in schemaguard.changelog"),
				 errdetail("Database \"%s\" has schemaguard %s installed, and this server's schemaguard library writes the tables of versions 0.1.0 and %s.",
						   get_database_name(MyDatabaseId), version,
						   SG_CURRENT_VERSION),
				 errhint("Install the schemaguard library that matches version %s, or run ALTER EXTENSION schemaguard UPDATE TO '%s'; in this database if that version can be reached.",
						 version, SG_CURRENT_VERSION)));
		sg_warned_version = true;
		return false;
	}
	target->changelog_relid = sg_extension_relid("changelog", extid);
	if (!OidIsValid(target->changelog_relid))
		return false;
	if (target->version != SG_EXT_0_1_0)
		target->pending_relid = sg_extension_relid("changelog_pending", extid);
	return true;
}

/* a prepared transaction in a database whose version cannot keep its entries */
void
sg_warn_prepared_not_recorded(const SGTarget *target, int entries)
{
	ereport(sg_warned_prepared ? LOG : WARNING,
			(errmsg("schemaguard: the schema changes of this prepared transaction are not recorded in schemaguard.changelog"),
			 errdetail_plural("%d changelog entry is skipped: database \"%s\" has schemaguard %s, which can record a prepared transaction only by holding a lock that blocks every other schema change until COMMIT PREPARED.",
							  "%d changelog entries are skipped: database \"%s\" has schemaguard %s, which can record a prepared transaction only by holding a lock that blocks every other schema change until COMMIT PREPARED.",
							  entries, entries, get_database_name(MyDatabaseId),
							  target->extversion),
			 errhint("Run ALTER EXTENSION schemaguard UPDATE TO '%s'; in this database.",
					 SG_CURRENT_VERSION)));
	sg_warned_prepared = true;
}

/*
 * schemaguard.skip_replicated_row(): the BEFORE ROW trigger on
 * schemaguard's tables, enabled as ENABLE REPLICA TRIGGER.  A logical
 * replication worker's row is skipped; any other session's row passes.
 */
PG_FUNCTION_INFO_V1(sg_skip_replicated_row);

Datum
sg_skip_replicated_row(PG_FUNCTION_ARGS)
{
	TriggerData *trigdata = (TriggerData *) fcinfo->context;

	if (!CALLED_AS_TRIGGER(fcinfo) ||
		!TRIGGER_FIRED_BEFORE(trigdata->tg_event) ||
		!TRIGGER_FIRED_FOR_ROW(trigdata->tg_event))
		ereport(ERROR,
				(errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
				 errmsg("schemaguard.skip_replicated_row() must be called as a BEFORE ROW trigger")));
	if (IsLogicalWorker())
		return PointerGetDatum(NULL);
	if (TRIGGER_FIRED_BY_UPDATE(trigdata->tg_event))
		return PointerGetDatum(trigdata->tg_newtuple);
	return PointerGetDatum(trigdata->tg_trigtuple);
}
