/* SPDX-License-Identifier: Apache-2.0 */
/* Between the Keep's TLS contexts (tls.c) and its sessions (tls_stream.c). */
#ifndef ENARX_EXEC_TLS_INT_H
#define ENARX_EXEC_TLS_INT_H

#include <openssl/ssl.h>

/* The objects behind exec_tls_ops start with their kind. */
enum tls_obj_kind { TLS_OBJ_LISTENER = 0x4c53544e, TLS_OBJ_STREAM = 0x5354524d };

/* A TLS listener: accepted connections become server sessions. */
struct tls_listener {
	enum tls_obj_kind kind;
	SSL_CTX *ctx;   /* owned reference */
	char label[64]; /* the entry's name, for log lines */
};

struct tls_stream;

/* A session on the non-blocking connected socket fd (not owned) with a
 * new reference to ctx. NULL on allocation failure. */
struct tls_stream *tls__stream_new(SSL_CTX *ctx, int fd, int server, const char *label);
SSL *tls__stream_ssl(struct tls_stream *s);

/* Drives the handshake to its end, waiting up to timeout_ms in total.
 * 0, or -1 with the reason (verification result included) in err. */
int tls__stream_handshake(struct tls_stream *s, int timeout_ms, char *err, size_t errlen);

/* Frees a listener or a stream (exec_tls_ops.free). */
void tls__obj_free(void *obj);

#endif
