/* SPDX-License-Identifier: Apache-2.0 */
/* Binds every WASI function to the engine: one trampoline converts engine
 * values to the handlers' u64 parameters, gives them a view of the caller's
 * memory 0, and turns proc_exit into an engine exit. */
#include "lib/alloc.h"
#include "lib/err.h"
#include "wasi/wasi_int.h"

static int trampoline(ewasm_caller *caller, const ewasm_val *args, ewasm_val *results, void *user)
{
	const struct wasi_bind *b = user;
	const char *sig = b->e->sig;
	uint64_t a[10];
	size_t size = 0, i;
	struct wmem m;
	int r;

	m.base = ewasm_caller_memory(caller, &size);
	m.size = size;
	for (i = 0; sig[i]; i++)
		a[i] =
		    sig[i] == 'i' ? (uint64_t)(uint32_t)args[i].of.i32 : (uint64_t)args[i].of.i64;
	r = wasi__invoke(b->w, b->e, &m, a);
	if (r == W_EXIT)
		return ewasm_caller_exit(caller, (int)b->w->exit_code);
	if (r == W_LIMIT)
		return ewasm_caller_trap(caller, "%s", b->w->limit_msg);
	if (b->e->fn != wasi__proc_exit)
		results[0] = ewasm_val_i32(r);
	return 0;
}

int wasi_link(struct wasi *w, ewasm_linker *linker)
{
	static const uint8_t i32 = EWASM_I32;
	uint8_t params[10];
	ewasm_functype ft;
	size_t i, j;
	int rc;

	if (!w->binds) {
		w->binds = xcalloc(wasi__nentries, sizeof(*w->binds));
		if (!w->binds)
			return ENARX_E_NOMEM;
	}
	for (i = 0; i < wasi__nentries; i++) {
		w->binds[i].w = w;
		w->binds[i].e = &wasi__entries[i];
		for (j = 0; wasi__entries[i].sig[j]; j++)
			params[j] = wasi__entries[i].sig[j] == 'i' ? EWASM_I32 : EWASM_I64;
		ft.nparams = (uint32_t)j;
		ft.params = params;
		ft.nresults = wasi__entries[i].fn == wasi__proc_exit ? 0 : 1;
		ft.results = &i32;
		rc = ewasm_linker_define_func(linker, "wasi_snapshot_preview1",
		                              wasi__entries[i].name, &ft, trampoline, &w->binds[i]);
		if (rc)
			return rc == EWASM_ERR_NOMEM ? ENARX_E_NOMEM : ENARX_E_INTERNAL;
	}
	return 0;
}
