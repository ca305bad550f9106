/* SPDX-License-Identifier: Apache-2.0 */
/* enarx measure: the launch measurement a Keep of this binary would have on
 * a backend, computed without launching it (docs/kvm-keep.md for kvm). A
 * verifier compares it with the measurement in the Keep's evidence. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/kvm.h"
#include "cli/cli.h"
#include "lib/err.h"

static int parse_mem(const char *s, size_t *out)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || v == 0)
		return -1;
	if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	else if (*end == 'M' || *end == 'm' || *end == 0)
		v <<= 20, end += *end != 0;
	if (*end || v > (256ULL << 30))
		return -1;
	*out = (size_t)v;
	return 0;
}

int cmd_measure(int argc, char **argv)
{
	const char *backend = "kvm";
	size_t mem = 0;
	int json = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--backend") && i + 1 < argc)
			backend = argv[++i];
		else if (!strncmp(argv[i], "--backend=", 10))
			backend = argv[i] + 10;
		else if (!strcmp(argv[i], "--mem") && i + 1 < argc) {
			if (parse_mem(argv[++i], &mem))
				return cli_usage_error(
				    "measure", "bad --mem '%s' (MiB, or 512M, 2G)", argv[i]);
		} else if (!strcmp(argv[i], "--json"))
			json = 1;
		else
			return cli_usage_error("measure", "unknown argument '%s'", argv[i]);
	}
	if (strcmp(backend, "kvm") != 0) {
		cli_error("no launch measurement for backend '%s' (kvm has one; nil has none; "
		          "sev, sgx and tdx are measured by their hardware)",
		          backend);
		return CLI_EXIT_FAIL;
	}
	struct kvm_keep_opts o = {.keep_fd = -1, .mem_size = mem ? mem : KVM_DEFAULT_MEM};
	size_t shim_len;
	kvm_shim_image(&shim_len);
	o.exec = backend_exec_image(&o.exec_len);
	if (!o.exec || !o.exec_len) {
		cli_error("this enarx was built without the executor: nothing to measure");
		return CLI_EXIT_FAIL;
	}
	uint8_t d[KEEP_DIGEST_LEN];
	int rc = kvm_measure(&o, d);
	if (rc) {
		cli_error("cannot measure: %s", enarx_strerror(rc));
		return CLI_EXIT_FAIL;
	}
	char hex[2 * KEEP_DIGEST_LEN + 1];
	for (int i = 0; i < KEEP_DIGEST_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	if (json) {
		json_t *j = json_pack("{s:s, s:s, s:s, s:I, s:I, s:I}", "backend", "kvm",
		                      "algorithm", "sha384", "measurement", hex, "memory",
		                      (json_int_t)o.mem_size, "shim_bytes", (json_int_t)shim_len,
		                      "executor_bytes", (json_int_t)o.exec_len);
		char *s = j ? json_dumps(j, JSON_INDENT(2)) : NULL;
		if (!s) {
			json_decref(j);
			return CLI_EXIT_FAIL;
		}
		puts(s);
		free(s);
		json_decref(j);
		return CLI_EXIT_OK;
	}
	printf("backend      kvm (no hardware root of trust: evidence is insecure)\n");
	printf("memory       %zu MiB\n", o.mem_size >> 20);
	printf("shim         %zu bytes\n", shim_len);
	printf("executor     %zu bytes\n", o.exec_len);
	printf("measurement  sha384:%s\n", hex);
	return CLI_EXIT_OK;
}
