/* SPDX-License-Identifier: Apache-2.0 */
/* TLS terminated inside the Keep for the workload's sockets (Enarx.toml
 * prot = "tls", docs/enarx-toml.md): the Keep's identity (key and
 * certificate), one TLS context per listen/connect entry built from the
 * TLSSock policy, and the sessions the workload reads and writes in plain
 * text through WASI (tls_stream.c, wasi_stream_ops). */
#ifndef ENARX_EXEC_TLS_H
#define ENARX_EXEC_TLS_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct config_file;
struct exec_workload;
struct exec_tls;
struct wasi_stream_ops;

/* The WASI side of a Keep TLS socket (tls_stream.c). */
extern const struct wasi_stream_ops exec_tls_ops;

/*
 * Prepares TLS for cfg if any entry says prot = "tls" (else *out = NULL and
 * 0): OpenSSL without its configuration file (the host's files are not
 * trusted), the policy (Enarx.toml `tls_policy`, else TLSSock's built-in
 * defaults), and, if a listener has no cert/key of its own, the Keep's key
 * and self-signed certificate. Files named by the config come from the
 * workload (wl->files). Returns 0 or ENARX_E_* with a message in err.
 */
int exec_tls_new(const struct config *cfg, const struct exec_workload *wl, struct exec_tls **out,
                 char *err, size_t errlen);
void exec_tls_free(struct exec_tls *t); /* accepts NULL */

/* DER of the Keep's certificate (borrowed), or NULL if it has none. */
const uint8_t *exec_tls_cert_der(const struct exec_tls *t, size_t *len);

/* For a listen entry: the object wasi_add_stream() takes (a server
 * context). NULL with a message in err. */
void *exec_tls_listener(struct exec_tls *t, const struct config_file *f, char *err, size_t errlen);

/* For a connect entry: runs the client handshake on the connected
 * socket fd (made non-blocking) with SNI and verification against the
 * entry's `ca`, bounded by a timeout. The session object, or NULL with a
 * message naming the entry and the reason in err. */
void *exec_tls_connect(struct exec_tls *t, const struct config_file *f, int fd, char *err,
                       size_t errlen);

#endif
