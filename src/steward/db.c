/* SPDX-License-Identifier: Apache-2.0 */
/* Steward's state and audit log: SQLite by default (one file in the state
 * folder), PostgreSQL through libpq for replicas behind a load balancer.
 * Both run the same SQL ($1-style parameters, text values, RETURNING,
 * ON CONFLICT); only the schema's key column differs. */
#include <libpq-fe.h>
#include <openssl/crypto.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lib/alloc.h"
#include "lib/err.h"
#include "lib/hex.h"
#include "lib/log.h"
#include "steward/steward.h"

struct steward_db {
	sqlite3 *lite;
	PGconn *pg;
	char replica[64];
};

#define DB__AUDIT                                                                             \
	"CREATE TABLE IF NOT EXISTS audit ("                                                  \
	" id %s,"                                                                             \
	" ts TEXT NOT NULL, at TEXT NOT NULL, fixed INTEGER NOT NULL, replica TEXT NOT NULL," \
	" peer TEXT NOT NULL, action TEXT NOT NULL, evidence TEXT, tee TEXT, claims TEXT,"    \
	" verdict TEXT NOT NULL, reason TEXT, serial TEXT, secret TEXT)"

static const char *const db__schema[] = {
    "CREATE TABLE IF NOT EXISTS secrets ("
    " name TEXT PRIMARY KEY, value TEXT NOT NULL, policy TEXT NOT NULL,"
    " owner TEXT NOT NULL, created TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS nonces ("
    " nonce TEXT PRIMARY KEY, expires BIGINT NOT NULL, used INTEGER NOT NULL)",
};

/* Runs sql with n text parameters ($1..$n; NULL = SQL NULL). Rows (if
 * rows != NULL) become a JSON array of arrays of strings or nulls. */
static int db__exec(struct steward_db *db, const char *sql, int n, const char *const *params,
                    json_t **rows, char *err, size_t errlen)
{
	json_t *out = rows ? json_array() : NULL;

	if (rows != NULL && out == NULL)
		return ENARX_E_NOMEM;
	if (db->pg != NULL) {
		PGresult *r = PQexecParams(db->pg, sql, n, NULL, params, NULL, NULL, 0);
		ExecStatusType st = PQresultStatus(r);
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
			snprintf(err, errlen, "PostgreSQL: %s", PQresultErrorMessage(r));
			PQclear(r);
			json_decref(out);
			return ENARX_E_IO;
		}
		for (int i = 0; out && i < PQntuples(r); i++) {
			json_t *row = json_array();
			for (int j = 0; j < PQnfields(r); j++)
				json_array_append_new(row, PQgetisnull(r, i, j)
				                               ? json_null()
				                               : json_string(PQgetvalue(r, i, j)));
			json_array_append_new(out, row);
		}
		PQclear(r);
	} else {
		sqlite3_stmt *s = NULL;
		int rc = sqlite3_prepare_v2(db->lite, sql, -1, &s, NULL);
		for (int i = 0; rc == SQLITE_OK && i < n; i++) {
			char name[8];
			snprintf(name, sizeof(name), "$%d", i + 1);
			int idx = sqlite3_bind_parameter_index(s, name);
			rc = idx == 0
			         ? SQLITE_RANGE
			         : (params[i]
			                ? sqlite3_bind_text(s, idx, params[i], -1, SQLITE_TRANSIENT)
			                : sqlite3_bind_null(s, idx));
		}
		while (rc == SQLITE_OK || rc == SQLITE_ROW) {
			rc = sqlite3_step(s);
			if (rc != SQLITE_ROW || out == NULL)
				continue;
			json_t *row = json_array();
			for (int j = 0; j < sqlite3_column_count(s); j++) {
				const unsigned char *t = sqlite3_column_text(s, j);
				json_array_append_new(row, t ? json_string((const char *)t)
				                             : json_null());
			}
			json_array_append_new(out, row);
		}
		if (rc != SQLITE_DONE) {
			snprintf(err, errlen, "SQLite: %s", sqlite3_errmsg(db->lite));
			sqlite3_finalize(s);
			json_decref(out);
			return ENARX_E_IO;
		}
		sqlite3_finalize(s);
	}
	if (rows)
		*rows = out;
	return 0;
}

static bool db__is_pg(const char *url)
{
	return strncmp(url, "postgresql://", 13) == 0 || strncmp(url, "postgres://", 11) == 0 ||
	       strstr(url, "dbname=") != NULL || strstr(url, "host=") != NULL;
}

int steward_db_open(const char *url, struct steward_db **out, char *err, size_t errlen)
{
	struct steward_db *db = xcalloc(1, sizeof(*db));
	char sql[1024];
	int rc = 0;

	*out = NULL;
	if (db == NULL)
		return ENARX_E_NOMEM;
	snprintf(db->replica, sizeof(db->replica), "pid %d", (int)getpid());
	if (db__is_pg(url)) {
		db->pg = PQconnectdb(url);
		if (PQstatus(db->pg) != CONNECTION_OK) {
			snprintf(err, errlen, "cannot connect to PostgreSQL: %s",
			         PQerrorMessage(db->pg));
			rc = ENARX_E_IO;
		}
		/* Replicas may start together: create the schema under a lock. */
		if (rc == 0)
			rc = db__exec(db, "SELECT pg_advisory_lock(1497909075)", 0, NULL, NULL, err,
			              errlen);
	} else {
		if (sqlite3_open_v2(url, &db->lite,
		                    SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
		                        SQLITE_OPEN_NOMUTEX,
		                    NULL) != SQLITE_OK) {
			snprintf(err, errlen, "cannot open SQLite database %s: %s", url,
			         db->lite ? sqlite3_errmsg(db->lite) : "out of memory");
			rc = ENARX_E_IO;
		} else {
			sqlite3_busy_timeout(db->lite, 10000);
			rc = db__exec(db, "PRAGMA journal_mode=WAL", 0, NULL, NULL, err, errlen);
			if (rc == 0)
				rc = db__exec(db, "PRAGMA synchronous=NORMAL", 0, NULL, NULL, err,
				              errlen);
		}
	}
	snprintf(sql, sizeof(sql), DB__AUDIT,
	         db->pg ? "BIGSERIAL PRIMARY KEY" : "INTEGER PRIMARY KEY AUTOINCREMENT");
	if (rc == 0)
		rc = db__exec(db, sql, 0, NULL, NULL, err, errlen);
	for (size_t i = 0; rc == 0 && i < sizeof(db__schema) / sizeof(db__schema[0]); i++)
		rc = db__exec(db, db__schema[i], 0, NULL, NULL, err, errlen);
	if (rc == 0 && db->pg)
		rc = db__exec(db, "SELECT pg_advisory_unlock(1497909075)", 0, NULL, NULL, err,
		              errlen);
	if (rc != 0) {
		steward_db_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

void steward_db_close(struct steward_db *db)
{
	if (db == NULL)
		return;
	if (db->pg)
		PQfinish(db->pg);
	if (db->lite)
		sqlite3_close(db->lite);
	free(db);
}

const char *steward_db_kind(const struct steward_db *db)
{
	return db->pg ? "postgresql" : "sqlite";
}

int steward_db_audit(struct steward_db *db, const struct steward_audit *a, int64_t *id)
{
	char ts[32], err[512];
	json_t *rows = NULL;
	const char *p[13] = {
	    ts,     a->at,     a->fixed ? "1" : "0", db->replica, a->peer,   a->action, a->evidence,
	    a->tee, a->claims, a->verdict,           a->reason,   a->serial, a->secret};
	int rc;

	steward_time_text(time(NULL), ts);
	rc = db__exec(
	    db,
	    "INSERT INTO audit (ts, at, fixed, replica, peer, action, evidence, tee, claims,"
	    " verdict, reason, serial, secret) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9,"
	    " $10, $11, $12, $13) RETURNING id",
	    13, p, &rows, err, sizeof(err));
	if (rc != 0) {
		log_error("steward: audit log: %s", err);
		return rc;
	}
	if (id != NULL) {
		const char *v = json_string_value(json_array_get(json_array_get(rows, 0), 0));
		*id = v ? strtoll(v, NULL, 10) : 0;
	}
	json_decref(rows);
	return 0;
}

int steward_db_secret_put(struct steward_db *db, const char *name, const uint8_t *val, size_t n,
                          const char *policy, const char *owner, char *err, size_t errlen)
{
	char ts[32], *hx = xmalloc(2 * n + 1);
	int rc;

	if (hx == NULL)
		return ENARX_E_NOMEM;
	hex_encode(val, n, hx);
	steward_time_text(time(NULL), ts);
	const char *p[5] = {name, hx, policy, owner, ts};
	rc = db__exec(
	    db,
	    "INSERT INTO secrets (name, value, policy, owner, created) VALUES ($1, $2, $3,"
	    " $4, $5) ON CONFLICT (name) DO UPDATE SET value = excluded.value,"
	    " policy = excluded.policy, owner = excluded.owner, created = excluded.created",
	    5, p, NULL, err, errlen);
	OPENSSL_cleanse(hx, 2 * n);
	free(hx);
	return rc;
}

int steward_db_secret_get(struct steward_db *db, const char *name, uint8_t **val, size_t *n,
                          char **policy)
{
	char err[512];
	json_t *rows = NULL, *row;
	const char *hx, *pol;
	int rc = db__exec(db, "SELECT value, policy FROM secrets WHERE name = $1", 1, &name, &rows,
	                  err, sizeof(err));

	*val = NULL;
	*policy = NULL;
	if (rc != 0) {
		log_error("steward: %s", err);
		return rc;
	}
	row = json_array_get(rows, 0);
	hx = json_string_value(json_array_get(row, 0));
	pol = json_string_value(json_array_get(row, 1));
	if (hx == NULL || pol == NULL) {
		json_decref(rows);
		return ENARX_E_NOTFOUND;
	}
	*n = strlen(hx) / 2;
	*val = xmalloc(*n + 1);
	*policy = xstrdup(pol);
	if (*val == NULL || *policy == NULL || hex_decode(hx, strlen(hx), *val, *n) != 0) {
		free(*val);
		free(*policy);
		*val = NULL;
		*policy = NULL;
		rc = ENARX_E_MALFORMED;
	}
	OPENSSL_cleanse((void *)hx, strlen(hx));
	json_decref(rows);
	return rc;
}

int steward_db_secret_rm(struct steward_db *db, const char *name)
{
	char err[512];
	json_t *rows = NULL;
	int rc = db__exec(db, "DELETE FROM secrets WHERE name = $1 RETURNING name", 1, &name, &rows,
	                  err, sizeof(err));

	if (rc != 0) {
		log_error("steward: %s", err);
		return rc;
	}
	rc = json_array_size(rows) == 1 ? 0 : ENARX_E_NOTFOUND;
	json_decref(rows);
	return rc;
}

int steward_db_secret_list(struct steward_db *db, json_t **out)
{
	char err[512];
	json_t *rows = NULL, *row;
	size_t i;
	int rc = db__exec(db, "SELECT name, policy, owner, created FROM secrets ORDER BY name", 0,
	                  NULL, &rows, err, sizeof(err));

	*out = NULL;
	if (rc != 0) {
		log_error("steward: %s", err);
		return rc;
	}
	*out = json_array();
	json_array_foreach(rows, i, row)
	{
		json_t *pol = json_loads(json_string_value(json_array_get(row, 1)), 0, NULL);
		json_array_append_new(
		    *out, json_pack("{s:O, s:o, s:O, s:O}", "name", json_array_get(row, 0),
		                    "policy", pol ? pol : json_null(), "owner",
		                    json_array_get(row, 2), "created", json_array_get(row, 3)));
	}
	json_decref(rows);
	return 0;
}

int steward_db_nonce_put(struct steward_db *db, const char *hex, int64_t expires)
{
	char err[512], exp[24];
	const char *p[2] = {hex, exp};

	snprintf(exp, sizeof(exp), "%lld", (long long)expires);
	int rc = db__exec(db, "INSERT INTO nonces (nonce, expires, used) VALUES ($1, $2, 0)", 2, p,
	                  NULL, err, sizeof(err));
	if (rc != 0)
		log_error("steward: %s", err);
	/* Old nonces go; nobody can use them anyway. */
	snprintf(exp, sizeof(exp), "%lld", (long long)(expires - 86400));
	db__exec(db, "DELETE FROM nonces WHERE expires < $1", 1, (const char *const[]){exp}, NULL,
	         err, sizeof(err));
	return rc;
}

int steward_db_nonce_take(struct steward_db *db, const char *hex, int64_t now)
{
	char err[512], ts[24];
	json_t *rows = NULL;
	const char *p[2] = {hex, ts};
	int rc;

	snprintf(ts, sizeof(ts), "%lld", (long long)now);
	rc = db__exec(db,
	              "UPDATE nonces SET used = 1 WHERE nonce = $1 AND used = 0 AND expires >= $2"
	              " RETURNING nonce",
	              2, p, &rows, err, sizeof(err));
	if (rc != 0) {
		log_error("steward: %s", err);
		return rc;
	}
	rc = json_array_size(rows) == 1 ? 0 : ENARX_E_NOTFOUND;
	json_decref(rows);
	return rc;
}

int steward_db_audit_count(struct steward_db *db, const char *action, const char *verdict,
                           int64_t *n)
{
	char err[512];
	json_t *rows = NULL;
	const char *p[2] = {action, verdict};
	int rc = db__exec(
	    db,
	    "SELECT COUNT(*) FROM audit WHERE (CAST($1 AS TEXT) IS NULL OR action = $1) AND"
	    " (CAST($2 AS TEXT) IS NULL OR verdict = $2)",
	    2, p, &rows, err, sizeof(err));

	if (rc != 0)
		return rc;
	const char *v = json_string_value(json_array_get(json_array_get(rows, 0), 0));
	*n = v ? strtoll(v, NULL, 10) : 0;
	json_decref(rows);
	return 0;
}
