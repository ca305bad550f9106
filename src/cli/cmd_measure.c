/* SPDX-License-Identifier: Apache-2.0 */
/* enarx measure: the launch measurement a Keep of this binary would have on
 * a backend, computed without launching it (docs/kvm-keep.md for kvm). A
 * verifier compares it with the measurement in the Keep's evidence. Options
 * and help come from measure_table (opts.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/backend.h"
#include "backend/kvm.h"
#include "cli/cli.h"
#include "lib/err.h"

#define MEM_WANT "MiB, or 512M, 2G; at most 256G"

static const char *parse_mem(const char *s, void *value)
{
	size_t *out = value;
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	if (end == s || v == 0)
		return MEM_WANT;
	if (*end == 'G' || *end == 'g')
		v <<= 30, end++;
	else if (*end == 'M' || *end == 'm' || *end == 0)
		v <<= 20, end += *end != 0;
	if (*end || v > (256ULL << 30))
		return MEM_WANT;
	*out = (size_t)v;
	return NULL;
}

struct measure_opts {
	const char *backend;
	size_t mem;
	int json;
};

static const struct opt measure_table[] = {
    OPT_STRING(0, "backend", struct measure_opts, backend, "NAME",
               "kvm, the only backend with a software launch digest (default)"),
    OPT_CUSTOM(0, "mem", struct measure_opts, mem, "SIZE", parse_mem,
               "Keep memory (MiB, or 512M, 2G); part of the digest (default 1024M)"),
    OPT_FLAG(0, "json", struct measure_opts, json, "machine-readable output"),
    OPT_END(),
};

static int cmd_measure(int argc, char **argv);

const struct cli_cmd cli_cmd_measure = {
    .spec = {.path = "measure",
             .summary = "Print the launch measurement of a Keep (kvm)",
             .opts = measure_table,
             .about =
                 "Computes, without launching, the SHA-384 launch digest a Keep of this enarx\n"
                 "binary has on the backend: the chain over every page loaded before launch\n"
                 "(contents, guest physical address, page type; docs/kvm-keep.md). It is the\n"
                 "measurement SYS_GETATT reports inside the Keep.\n"},
    .fn = cmd_measure,
};

static int cmd_measure(int argc, char **argv)
{
	struct measure_opts opt = {.backend = "kvm"};
	struct opt_result r;
	int prc = cli_parse(&cli_cmd_measure, argc, argv, &opt, &r);

	if (prc != CLI_CONTINUE)
		return prc;
	if (strcmp(opt.backend, "kvm") != 0) {
		cli_error("no launch measurement for backend '%s' (kvm has one; nil has none; "
		          "sev, sgx and tdx are measured by their hardware)",
		          opt.backend);
		return CLI_EXIT_FAIL;
	}
	struct kvm_keep_opts o = {.keep_fd = -1, .mem_size = opt.mem ? opt.mem : KVM_DEFAULT_MEM};
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
	if (opt.json) {
		/* a reference value for `enarx deploy --reference` */
		json_t *j =
		    json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I}", "backend", "kvm", "version",
		              "enarx " ENARX_VERSION, "algorithm", "sha384", "measurement", hex,
		              "memory", (json_int_t)o.mem_size, "shim_bytes", (json_int_t)shim_len,
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
