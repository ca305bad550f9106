/* SPDX-License-Identifier: Apache-2.0 */
/* The host side of the Keep's TLS for `enarx run`: the package files
 * Enarx.toml's TLS keys name, and the Keep's certificate made visible
 * (fingerprints printed, optionally written as PEM). */
#ifndef ENARX_CLI_RUN_TLS_H
#define ENARX_CLI_RUN_TLS_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct keep_file;

/* The files cfg's TLS keys name (tls_policy, client_ca, ca, cert, key),
 * each read once (at most KP_MAX_FILE bytes). On success *files (nfiles
 * entries) is new; free with run_tls_files_free (key bytes are wiped).
 * Returns 0, or -1 after printing an error naming the key and the file. */
int run_tls_files(const struct config *cfg, struct keep_file **files, size_t *nfiles);
void run_tls_files_free(struct keep_file *files, size_t nfiles);

/* Prints the SHA-256 fingerprint of the Keep's certificate (DER) and its
 * public-key pin on stderr; writes it as PEM to pem_path if not NULL. */
void run_tls_show_cert(const uint8_t *der, size_t len, const char *pem_path);

#endif
