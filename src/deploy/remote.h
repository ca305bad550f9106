/* SPDX-License-Identifier: Apache-2.0 */
/* The deploy transport to a host agent over HTTPS (remote.c). */
#ifndef ENARX_DEPLOY_REMOTE_H
#define ENARX_DEPLOY_REMOTE_H

#include <stddef.h>

#include "deploy/deploy.h"

struct client_conf; /* client/client.h */
struct deploy_remote;

/* Asks the agent at conf for a deploy-mode Keep on backend (NULL: the
 * agent's choice) and connects its relay. Returns 0 with *out and *t, or
 * an ENARX_E_* with err naming what failed (the HTTP status and problem
 * detail when the agent answered). */
int deploy_remote_new(const struct client_conf *conf, const char *backend,
                      const struct deploy_keep_req *req, struct deploy_remote **out,
                      struct deploy_transport *t, char *err, size_t errlen);
/* The Keep's id at the agent (borrowed). */
const char *deploy_remote_id(const struct deploy_remote *r);
/* Stops the Keep if it still runs, ends the stream, frees r (NULL is fine). */
void deploy_remote_free(struct deploy_remote *r);

#endif
