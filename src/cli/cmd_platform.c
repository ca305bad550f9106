/* SPDX-License-Identifier: Apache-2.0 */
/* `enarx platform info [--json]`: what this host offers each backend; the
 * options and help come from the tables below (opts.h). */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backend/platform.h"
#include "cli/cli.h"
#include "config.h"

struct info_opts {
	int json;
};

static const struct opt info_table[] = {
    OPT_FLAG(0, "json", struct info_opts, json,
             "machine-readable output (format: docs/platform-info.md)"),
    OPT_END(),
};

static int platform_info(int argc, char **argv);

static const struct cli_cmd cli_cmd_platform_info = {
    .spec = {.path = "platform info",
             .summary = "Check each backend against this host; name the default",
             .opts = info_table,
             .about = "Checks, for each backend (sgx, sev, tdx, kvm, nil), what this host has and\n"
                      "lacks, each line with the reason, and shows the backend `enarx run` picks\n"
                      "by default (the first usable of sgx, sev, tdx, kvm, nil).\n",
             .footer = "Exit status: 0 if the report was made.\n"},
    .fn = platform_info,
};

const struct cli_cmd cli_cmd_platform = {
    .spec = {.path = "platform", .summary = "Show what this host offers each Keep backend"},
    .subs = (const struct cli_cmd *const[]){&cli_cmd_platform_info, NULL},
};

static void print_text(const struct platform_report *r)
{
	const struct platform_backend *def = platform_default(r);

	printf("Host: %s, %s, Linux %s\n", r->cpu_vendor, r->cpu_model[0] ? r->cpu_model : "?",
	       r->kernel);
	for (int i = 0; i < PLATFORM_NBACKENDS; i++) {
		const struct platform_backend *b = &r->backends[i];

		printf("\nBackend %s: %s\n", b->name, b->usable ? "usable" : "not usable");
		if (b->note[0])
			printf("  note: %s\n", b->note);
		for (size_t j = 0; j < b->nchecks; j++) {
			const struct platform_check *c = &b->checks[j];

			printf("  [%s] %s: %s\n", c->ok ? "ok" : "--", c->title, c->detail);
		}
	}
	printf("\nDefault backend: %s\n", def->name);
}

static json_t *check_json(const struct platform_check *c)
{
	return json_pack("{s:s, s:s, s:b, s:s}", "name", c->name, "title", c->title, "ok", c->ok,
	                 "detail", c->detail);
}

static json_t *backend_json(const struct platform_backend *b)
{
	json_t *checks = json_array();

	for (size_t j = 0; j < b->nchecks; j++)
		json_array_append_new(checks, check_json(&b->checks[j]));
	return json_pack("{s:s, s:b, s:b, s:s, s:o}", "name", b->name, "usable", b->usable,
	                 "auto_select", b->auto_select, "note", b->note, "checks", checks);
}

static int print_json(const struct platform_report *r)
{
	json_t *backends = json_array();
	json_t *root;
	char *text;

	for (int i = 0; i < PLATFORM_NBACKENDS; i++)
		json_array_append_new(backends, backend_json(&r->backends[i]));
	root = json_pack("{s:i, s:s, s:{s:s, s:s, s:s}, s:s, s:o}", "format", 1, "enarx_version",
	                 ENARX_VERSION, "host", "cpu_vendor", r->cpu_vendor, "cpu_model",
	                 r->cpu_model, "kernel", r->kernel, "default_backend",
	                 platform_default(r)->name, "backends", backends);
	if (!root)
		return CLI_EXIT_FAIL;
	text = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!text)
		return CLI_EXIT_FAIL;
	puts(text);
	free(text);
	return CLI_EXIT_OK;
}

static int platform_info(int argc, char **argv)
{
	struct platform_report r;
	struct info_opts o = {0};
	struct opt_result res;
	int rc = cli_parse(&cli_cmd_platform_info, argc, argv, &o, &res);

	if (rc != CLI_CONTINUE)
		return rc;
	platform_probe(&r);
	if (o.json)
		return print_json(&r);
	print_text(&r);
	return CLI_EXIT_OK;
}
