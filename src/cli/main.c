/* SPDX-License-Identifier: Apache-2.0 */
/* enarx: entry point and subcommand table. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "config.h"

static const struct cli_cmd commands[] = {
    {"run", cmd_run, "Run a WebAssembly module in a Keep",
     "Usage: enarx run [--backend nil|kvm|...] [--wasmcfgfile Enarx.toml]\n"
     "                 [--engine jit|interp] MODULE.wasm [-- ARGS...]\n"
     "\n"
     "Runs MODULE.wasm (wasm32-wasi, WASI preview1) in a Keep. A module in the text\n"
     "format (.wat; anything not starting with the \\0asm magic) is converted to\n"
     "binary on the host first; a syntax error is reported as FILE:LINE:COL. argv[0]\n"
     "is \"main.wasm\",\n"
     "then the `args` of Enarx.toml, then ARGS. Without --wasmcfgfile the workload\n"
     "gets stdin, stdout and stderr (fds 0-2) and no environment.\n"
     "\n"
     "  --backend NAME       nil (no TEE), kvm, ... (env ENARX_BACKEND; default: the\n"
     "                       first usable of sgx, sev, tdx, kvm, nil)\n"
     "  --wasmcfgfile FILE   Enarx.toml (env ENARX_WASMCFGFILE; docs/enarx-toml.md)\n"
     "  --engine NAME        interp (default) or jit: functions compiled to machine\n"
     "                       code, the interpreter where that cannot be done (env\n"
     "                       ENARX_WASM_ENGINE; docs/jit.md)\n"
     "\n"
     "Exit status: the workload's exit code; 134 after a trap (message and wasm\n"
     "backtrace on stderr); 1 if the Keep could not run it; 2 for usage errors.\n"},
    {"config", cmd_config, "Write or check an Enarx.toml",
     "Usage: enarx config init\n"
     "       enarx config check FILE\n"
     "\n"
     "init writes a commented Enarx.toml template in the current directory (it\n"
     "refuses to overwrite one); check parses FILE and reports the first error\n"
     "with its line and key.\n"},
    {"attest", cmd_attest, "Verify TEE evidence (SNP, SGX, TDX, CSR) against a policy",
     "Usage: enarx attest verify EVIDENCE [--certs FILE]... [--crl FILE]... [--collateral "
     "FILE]...\n"
     "                          [--policy FILE] [--at TIME] [--json] [--allow-trailing-data]\n"
     "                          [--bind-key PUBKEY [--nonce HEX]]\n"
     "\n"
     "Verifies an SEV-SNP report, an SGX/TDX quote or an Enarx CSR with evidence\n"
     "against the pinned AMD/Intel roots, prints the claims and the policy verdict.\n"
     "Supporting files (VCEK/VLEK, PEM/DER certificates, CRLs, Intel TCB info and\n"
     "QE identity JSON, QuoteCollateralV3 JSON) are detected by content.\n"
     "\n"
     "  --policy FILE  TOML policy (docs/attestation.md); default: production policy\n"
     "  --at TIME      verification time, YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ (default now)\n"
     "  --json         claims and verdict as JSON\n"
     "  --bind-key F   require REPORT_DATA to bind this public key (Enarx rule:\n"
     "                 SHA-384 (SNP) or SHA-256 of SPKI DER || nonce, zero-padded)\n"
     "\n"
     "Exit status: 0 if the evidence verifies and the policy accepts it, 1 if not,\n"
     "2 on usage errors.\n"},
    {"measure", cmd_measure, "Print the launch measurement of a Keep (kvm)",
     "Usage: enarx measure [--backend kvm] [--mem SIZE] [--json]\n"
     "\n"
     "Computes, without launching, the SHA-384 launch digest a Keep of this enarx\n"
     "binary has on the backend: the chain over every page loaded before launch\n"
     "(contents, guest physical address, page type; docs/kvm-keep.md). It is the\n"
     "measurement SYS_GETATT reports inside the Keep.\n"
     "\n"
     "  --backend kvm   the only backend with a software launch digest (default)\n"
     "  --mem SIZE      Keep memory (MiB, or 512M, 2G); part of the digest (default 1024M)\n"
     "  --json          machine-readable output\n"},
    {"platform", cmd_platform, "Show what this host offers each Keep backend",
     "Usage: enarx platform info [--json]\n"
     "\n"
     "Checks, for each backend (sgx, sev, tdx, kvm, nil), what this host has and\n"
     "lacks, each line with the reason, and shows the backend `enarx run` picks\n"
     "by default (the first usable of sgx, sev, tdx, kvm, nil).\n"
     "\n"
     "  --json   machine-readable output (format: docs/platform-info.md)\n"
     "\n"
     "Exit status: 0 if the report was made.\n"},
    {"version", cmd_version, "Print the version",
     "Usage: enarx version\n\nPrints the enarx version (same as enarx --version).\n"},
    {"help", cmd_help, "Show help for a command",
     "Usage: enarx help [COMMAND]\n\nShows the list of commands, or the help of COMMAND.\n"},
};

#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static const struct cli_cmd *find(const char *name)
{
	for (size_t i = 0; i < NCOMMANDS; i++) {
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	}
	return NULL;
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("enarx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("enarx: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'enarx help %s'.\n", cmd);
	return CLI_EXIT_USAGE;
}

int cli_print_usage(FILE *f, const char *name)
{
	const struct cli_cmd *c = find(name);

	if (!c)
		return -1;
	fputs(c->usage, f);
	return 0;
}

void cli_print_main_help(FILE *f)
{
	fprintf(f, "enarx %s: run WebAssembly workloads in attested Keeps\n\n", ENARX_VERSION);
	fputs("Usage: enarx [--help] [--version] COMMAND [ARGS...]\n\nCommands:\n", f);
	for (size_t i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'enarx help COMMAND' for the options of a command.\n"
	      "Environment: ENARX_LOG=error|warn|info|debug|trace sets the log level.\n",
	      f);
}

int main(int argc, char **argv)
{
	const struct cli_cmd *c;

	if (argc < 2) {
		cli_print_main_help(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_print_main_help(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0)
		return cmd_version(1, argv + 1);
	c = find(argv[1]);
	if (!c) {
		cli_error("unknown command '%s'", argv[1]);
		fputs("Run 'enarx --help' for the list of commands.\n", stderr);
		return CLI_EXIT_USAGE;
	}
	if (argc == 3 && (strcmp(argv[2], "--help") == 0 || strcmp(argv[2], "-h") == 0)) {
		fputs(c->usage, stdout);
		return CLI_EXIT_OK;
	}
	return c->fn(argc - 1, argv + 1);
}
