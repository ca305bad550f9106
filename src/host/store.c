/* SPDX-License-Identifier: Apache-2.0 */
/* SQLite records of Keeps (store.h): one table, prepared statements,
 * WAL journal so a kill -9 leaves a consistent file. */
#include "host/store.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/log.h"

struct store {
	sqlite3 *db;
	sqlite3_stmt *put, *del;
};

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=NORMAL;"
    "CREATE TABLE IF NOT EXISTS keeps ("
    " id TEXT PRIMARY KEY, backend TEXT NOT NULL, mode TEXT NOT NULL,"
    " state TEXT NOT NULL, result TEXT, text TEXT, memory INTEGER NOT NULL,"
    " created_ms INTEGER NOT NULL, ended_ms INTEGER NOT NULL,"
    " exit_code INTEGER NOT NULL, status INTEGER NOT NULL,"
    " stdout BLOB, stderr BLOB);"
    "UPDATE keeps SET state = 'lost', result = 'no-result',"
    " text = 'the host agent stopped while the Keep ran' "
    " WHERE state IN ('starting', 'running');";

/* The "extra" column (limits, TEE, measurement, usage as JSON) came after
 * the first version: add it to a database that lacks it. */
static int add_extra(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int found = 0;

	if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info('keeps')", -1, &st, NULL))
		return 1;
	while (sqlite3_step(st) == SQLITE_ROW)
		if (strcmp((const char *)sqlite3_column_text(st, 0), "extra") == 0)
			found = 1;
	sqlite3_finalize(st);
	return found ? 0
	             : sqlite3_exec(db, "ALTER TABLE keeps ADD COLUMN extra TEXT", NULL, NULL,
	                            NULL) != SQLITE_OK;
}

int store_open(const char *dir, struct store **out, char *err, size_t errlen)
{
	struct store *s = xcalloc(1, sizeof(*s));
	char path[4096];
	char *msg = NULL;

	*out = NULL;
	if (!s)
		return ENARX_E_NOMEM;
	snprintf(path, sizeof(path), "%s/host.db", dir);
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) ||
	    sqlite3_exec(s->db, schema, NULL, NULL, &msg) || add_extra(s->db) ||
	    sqlite3_prepare_v2(s->db,
	                       "INSERT OR REPLACE INTO keeps (id, backend, mode, state, result, "
	                       "text, memory, created_ms, ended_ms, exit_code, status, stdout, "
	                       "stderr, extra) VALUES "
	                       "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14)",
	                       -1, &s->put, NULL) ||
	    sqlite3_prepare_v2(s->db, "DELETE FROM keeps WHERE id = ?1", -1, &s->del, NULL)) {
		snprintf(err, errlen, "%s: %s", path, msg ? msg : sqlite3_errmsg(s->db));
		sqlite3_free(msg);
		store_free(s);
		return ENARX_E_IO;
	}
	sqlite3_busy_timeout(s->db, 2000);
	*out = s;
	return 0;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

int store_put(struct store *s, const struct store_rec *r)
{
	sqlite3_stmt *st = s->put;
	int rc;

	bind_text(st, 1, r->id);
	bind_text(st, 2, r->backend);
	bind_text(st, 3, r->mode);
	bind_text(st, 4, r->state);
	bind_text(st, 5, r->result);
	bind_text(st, 6, r->text);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)r->memory);
	sqlite3_bind_int64(st, 8, r->created_ms);
	sqlite3_bind_int64(st, 9, r->ended_ms);
	sqlite3_bind_int64(st, 10, r->exit_code);
	sqlite3_bind_int64(st, 11, r->status);
	sqlite3_bind_blob(st, 12, r->out ? r->out : "", (int)r->outlen, SQLITE_STATIC);
	sqlite3_bind_blob(st, 13, r->err ? r->err : "", (int)r->errlen, SQLITE_STATIC);
	bind_text(st, 14, r->extra);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc != SQLITE_DONE) {
		log_error("host: state: cannot record Keep %s: %s", r->id, sqlite3_errmsg(s->db));
		return ENARX_E_IO;
	}
	return 0;
}

int store_del(struct store *s, const char *id)
{
	int rc;

	sqlite3_bind_text(s->del, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->del);
	sqlite3_reset(s->del);
	if (rc != SQLITE_DONE) {
		log_error("host: state: cannot delete Keep %s: %s", id, sqlite3_errmsg(s->db));
		return ENARX_E_IO;
	}
	return 0;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

int store_load(struct store *s, int (*fn)(const struct store_rec *r, void *arg), void *arg)
{
	sqlite3_stmt *st = NULL;
	int rc = 0, step;

	if (sqlite3_prepare_v2(s->db,
	                       "SELECT id, backend, mode, state, result, text, memory, "
	                       "created_ms, ended_ms, exit_code, status, stdout, stderr, extra "
	                       "FROM keeps ORDER BY created_ms, id",
	                       -1, &st, NULL))
		return ENARX_E_IO;
	while (!rc && (step = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_rec r = {
		    .id = col_text(st, 0),
		    .backend = col_text(st, 1),
		    .mode = col_text(st, 2),
		    .state = col_text(st, 3),
		    .result = col_text(st, 4),
		    .text = col_text(st, 5),
		    .memory = (uint64_t)sqlite3_column_int64(st, 6),
		    .created_ms = sqlite3_column_int64(st, 7),
		    .ended_ms = sqlite3_column_int64(st, 8),
		    .exit_code = sqlite3_column_int64(st, 9),
		    .status = sqlite3_column_int64(st, 10),
		    .out = sqlite3_column_blob(st, 11),
		    .outlen = (size_t)sqlite3_column_bytes(st, 11),
		    .err = sqlite3_column_blob(st, 12),
		    .errlen = (size_t)sqlite3_column_bytes(st, 12),
		    .extra = col_text(st, 13),
		};

		if (r.id && r.backend && r.mode && r.state)
			rc = fn(&r, arg);
	}
	sqlite3_finalize(st);
	return rc;
}

void store_free(struct store *s)
{
	if (!s)
		return;
	sqlite3_finalize(s->put);
	sqlite3_finalize(s->del);
	sqlite3_close(s->db);
	xfree(s);
}
