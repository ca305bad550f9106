/* SPDX-License-Identifier: Apache-2.0 */
/* enarx host serve: the host agent (src/host/host.h, docs/host-api.md). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "cli/cli.h"
#include "cli/limit_opts.h"
#include "host/host.h"
#include "lib/err.h"

struct serve_opts {
	const char *listen, *state, *token_file, *client_ca, *cert, *key;
	int insecure, no_sandbox;
	long long max_keeps, max_records, keep_mem, total_mem, default_mem, max_body, log_max,
	    grace_ms, request_ms, io_ms;
	struct keep_limits max_lim;
};

static const struct opt serve_table[] = {
    OPT_STRING(0, "listen", struct serve_opts, listen, "ADDR:PORT",
               "address to serve on [127.0.0.1:8443]; unix:/path for a\n"
               "Unix socket (plain HTTP, mode 0600)"),
    OPT_STRING(0, "state", struct serve_opts, state, "DIR",
               "state directory: host.db, host-cert.pem and host-key.pem\n"
               "(generated at first start)"),
    OPT_STRING(0, "token-file", struct serve_opts, token_file, "FILE",
               "accept Authorization: Bearer <first line of FILE>"),
    OPT_STRING(0, "client-ca", struct serve_opts, client_ca, "FILE",
               "accept client certificates issued by these CAs (mTLS)"),
    OPT_STRING(0, "cert", struct serve_opts, cert, "FILE", "own certificate chain (PEM)"),
    OPT_STRING(0, "key", struct serve_opts, key, "FILE", "its key (PEM, mode 0600)"),
    OPT_FLAG(0, "insecure", struct serve_opts, insecure,
             "serve plain HTTP on TCP (a warning is logged)"),
    OPT_INT(0, "max-keeps", struct serve_opts, max_keeps, "N", 1, 100000,
            "Keeps running at once [64]"),
    OPT_INT(0, "max-records", struct serve_opts, max_records, "N", 1, 10000000,
            "Keeps listed, running or finished [10000]"),
    OPT_INT(0, "max-keep-memory", struct serve_opts, keep_mem, "BYTES", 1, 1LL << 40,
            "memory one Keep may ask for [4 GiB]"),
    OPT_INT(0, "max-total-memory", struct serve_opts, total_mem, "BYTES", 1, 1LL << 50,
            "memory of all running Keeps [64 GiB]"),
    OPT_INT(0, "default-memory", struct serve_opts, default_mem, "BYTES", 1, 1LL << 40,
            "memory of a Keep whose request names none [1 GiB]"),
    OPT_INT(0, "max-body", struct serve_opts, max_body, "BYTES", 1024, 1LL << 30,
            "request body size [16 MiB]"),
    OPT_INT(0, "log-max", struct serve_opts, log_max, "BYTES", 0, 1LL << 30,
            "stdout and stderr bytes kept per Keep [1 MiB]"),
    OPT_INT(0, "grace-ms", struct serve_opts, grace_ms, "MS", 1, 3600000,
            "SIGTERM: time for requests in flight [10000]"),
    OPT_INT(0, "io-ms", struct serve_opts, io_ms, "MS", 100, 3600000,
            "longest stall of a read or write (follows and waits excepted) [30000]"),
    OPT_INT(0, "request-ms", struct serve_opts, request_ms, "MS", 100, 3600000,
            "deadline for a whole request, headers and body [30000]"),
    OPT_CUSTOM(0, "max-fuel", struct serve_opts, max_lim.fuel, "N", cli_opt_limit_fuel,
               "most fuel a Keep may ask for (and its fuel when it asks none)"),
    OPT_CUSTOM(0, "max-timeout", struct serve_opts, max_lim.wall_ms, "DURATION",
               cli_opt_limit_timeout, "longest wall time of a Keep (likewise)"),
    OPT_CUSTOM(0, "max-fds", struct serve_opts, max_lim.fds, "N", cli_opt_limit_fds,
               "most descriptors a Keep may hold (likewise)"),
    OPT_CUSTOM(0, "max-output", struct serve_opts, max_lim.output, "SIZE", cli_opt_limit_output,
               "most stdout+stderr bytes of a Keep (likewise)"),
    OPT_FLAG(0, "no-sandbox", struct serve_opts, no_sandbox,
             "do not install the seccomp filters (debugging)"),
    OPT_END(),
};

static int host_serve_main(int argc, char **argv);

static const struct cli_cmd cli_cmd_host_serve = {
    .spec = {.path = "host serve",
             .summary = "Run the host agent: Keeps behind an HTTPS API",
             .opts = serve_table,
             .about = "Serves the host agent API (docs/host-api.md) until SIGTERM. The\n"
                      "certificate is DIR/host-cert.pem (made at first start, fingerprint\n"
                      "printed). Requests authenticate with --token-file or --client-ca.\n"
                      "Keeps run in a launcher process; finished Keeps stay listed in\n"
                      "DIR/host.db across restarts.\n",
             .footer = "Exit status: 0 after SIGTERM; 1 if it cannot start; 2 for usage errors.\n"},
    .fn = host_serve_main,
};

const struct cli_cmd cli_cmd_host = {
    .spec = {.path = "host", .summary = "Run the host agent (Keeps as a service)"},
    .subs = (const struct cli_cmd *const[]){&cli_cmd_host_serve, NULL},
};

static void on_ready(uint16_t port, const char *fp, const char *cert)
{
	printf("enarx host: listening on port %u\n", port);
	if (cert && *cert)
		printf("enarx host: certificate %s\nenarx host: SHA-256 fingerprint %s\n", cert,
		       fp);
	fflush(stdout);
}

static int host_serve_main(int argc, char **argv)
{
	struct serve_opts o = {0};
	struct opt_result r;
	struct host_conf c = {0};
	int rc = cli_parse(&cli_cmd_host_serve, argc, argv, &o, &r);

	if (rc != CLI_CONTINUE)
		return rc;
	if (!o.state)
		return cli_usage_error("host serve", "--state DIR is required");
	if (mkdir(o.state, 0700) != 0 && errno != EEXIST) {
		cli_error("cannot create the state directory %s", o.state);
		return CLI_EXIT_FAIL;
	}
	c.listen = o.listen;
	c.state_dir = o.state;
	c.token_file = o.token_file;
	c.client_ca = o.client_ca;
	c.cert = o.cert;
	c.key = o.key;
	c.insecure_plain = o.insecure;
	c.no_sandbox = o.no_sandbox;
	c.max_keeps = (unsigned)o.max_keeps;
	c.max_records = (unsigned)o.max_records;
	c.max_keep_mem = (uint64_t)o.keep_mem;
	c.max_total_mem = (uint64_t)o.total_mem;
	c.default_mem = (uint64_t)o.default_mem;
	c.max_body = (size_t)o.max_body;
	c.log_max = (size_t)o.log_max;
	c.grace_ms = (unsigned)o.grace_ms;
	c.request_ms = (unsigned)o.request_ms;
	c.io_ms = (unsigned)o.io_ms;
	c.max_limits = o.max_lim;
	c.on_ready = on_ready;
	return host_serve(&c) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}
