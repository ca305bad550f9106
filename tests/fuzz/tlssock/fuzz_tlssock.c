/* SPDX-License-Identifier: Apache-2.0 */
/* Fuzz target for everything TLSSock parses itself.  The first input byte
 * picks the parser: 0 policy file, 1 algorithm name list, 2 ALPN option
 * string, 3 a setsockopt(IPPROTO_TLS) option buffer (second byte = option
 * name) on a real IPPROTO_TLS socket. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "tlssock/internal.h"
#include "tlssock/policy.h"
#include <enarx/tlssock.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_setopt(const uint8_t *d, size_t n)
{
	static int fd = -1;
	int name;

	if (n < 1)
		return;
	if (fd < 0)
		fd = tlssock_socket(AF_INET, SOCK_STREAM, IPPROTO_TLS);
	if (fd < 0)
		return;
	name = d[0] % 32;
	if (name == TLS_HANDSHAKE)
		return; /* would need a peer */
	tlssock_setsockopt(fd, IPPROTO_TLS, name, n > 1 ? d + 1 : NULL, (socklen_t)(n - 1));
	if (name == 0) { /* now and then start again from a fresh socket */
		tlssock_close(fd);
		fd = -1;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ts_policy p;
	struct ts_list l;
	unsigned char wire[1024];
	char err[200];

	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		ts_policy_defaults(&p);
		ts_policy_parse(&p, (const char *)data + 1, size - 1, err, sizeof(err));
		break;
	case 1:
		if (ts_list_parse(&l, (const char *)data + 1, size - 1, err, sizeof(err)) == 0) {
			char out[TS_LIST_MAX * TS_NAME_MAX];

			ts_list_join(&l, out, sizeof(out));
			ts_list_has(&l, "P-256");
		}
		break;
	case 2: ts__alpn_parse((const char *)data + 1, size - 1, wire, sizeof(wire)); break;
	default: fuzz_setopt(data + 1, size - 1); break;
	}
	return 0;
}
