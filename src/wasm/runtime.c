// SPDX-License-Identifier: Apache-2.0
/*
 * Runtime objects and the embedder API (include/enarx/wasm.h): engine,
 * module, store, functions (wasm and host), memories, tables, globals,
 * traps and calls. Instantiation and the linker are in instance.c.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/hset.h"
#include "lib/log.h"
#include "wasm/jit.h"
#include "wasm/mem.h"
#include "wasm/wasm_int.h"

#define MAX_NESTED_RUNS 256

const char *ewasm_strerror(int code)
{
	switch (code) {
	case EWASM_OK: return "ok";
	case EWASM_ERR_NOMEM: return "out of memory";
	case EWASM_ERR_MALFORMED: return "malformed module";
	case EWASM_ERR_INVALID: return "invalid module";
	case EWASM_ERR_LINK: return "unlinkable: import missing or of the wrong type";
	case EWASM_ERR_TRAP: return "trap";
	case EWASM_ERR_NOTFOUND: return "not found";
	case EWASM_ERR_ARG: return "bad argument";
	case EWASM_ERR_LIMIT: return "limit exceeded";
	case EWASM_ERR_RANGE: return "out of bounds";
	case EWASM_ERR_IMMUTABLE: return "global is immutable";
	}
	return "unknown error";
}

const char *ewasm_valtype_name(uint8_t type)
{
	switch (type) {
	case EWASM_I32: return "i32";
	case EWASM_I64: return "i64";
	case EWASM_F32: return "f32";
	case EWASM_F64: return "f64";
	case EWASM_V128: return "v128";
	case EWASM_FUNCREF: return "funcref";
	case EWASM_EXTERNREF: return "externref";
	}
	return "?";
}

/* ---------------------------------------------------------------- engine */

void ewasm_config_init(ewasm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_memory_pages = 65536;
	cfg->max_table_elems = 10000000;
	cfg->max_call_depth = 100000;
	cfg->max_value_slots = 4u << 20;
	/* why each default: include/enarx/wasm.h, struct ewasm_config */
	cfg->max_memory_bytes = (uint64_t)65536 * EWASM_PAGE_SIZE;
	cfg->max_memories = 10000;
	cfg->max_tables = 10000;
	cfg->max_table_elems_total = 10000000;
	cfg->max_functions = 1000000;
	cfg->max_exports = 1000000;
	cfg->max_locals = 50000;
	cfg->max_data_segments = 100000;
	cfg->max_elem_segments = 100000;
	const char *e = getenv("ENARX_WASM_ENGINE");
	if (e && strcmp(e, "jit") == 0)
		cfg->engine = EWASM_ENGINE_JIT;
}

ewasm_engine *ewasm_engine_new(const ewasm_config *cfg)
{
	ewasm_engine *e = xcalloc(1, sizeof(*e));
	if (!e)
		return NULL;
	if (cfg)
		e->cfg = *cfg;
	else
		ewasm_config_init(&e->cfg);
	if (e->cfg.max_memory_pages > 65536)
		e->cfg.max_memory_pages = 65536;
	if (e->cfg.max_call_depth < 1)
		e->cfg.max_call_depth = 1;
	if (e->cfg.max_value_slots < 1024)
		e->cfg.max_value_slots = 1024;
	e->use_guard = !e->cfg.force_bounds_checks && mem__guard_supported();
	return e;
}

void ewasm_engine_free(ewasm_engine *engine)
{
	xfree(engine);
}

/* ---------------------------------------------------------------- module */

static void module_destroy(ewasm_module *m)
{
	for (uint32_t i = 0; i < m->ntypes && m->types; i++)
		xfree(m->types[i].params);
	xfree(m->types);
	for (uint32_t i = 0; i < m->nimports && m->imports; i++) {
		xfree(m->imports[i].module);
		xfree(m->imports[i].name);
	}
	xfree(m->imports);
	xfree(m->func_type);
	xfree(m->func_declared);
	xfree(m->tables);
	xfree(m->mems);
	xfree(m->globals);
	hset_free(m->export_names);
	for (uint32_t i = 0; i < m->nexports && m->exports; i++)
		xfree(m->exports[i].name);
	xfree(m->exports);
	xfree(m->global_imports);
	for (uint32_t i = 0; i < m->nelems && m->elems; i++)
		xfree(m->elems[i].items);
	xfree(m->elems);
	xfree(m->datas);
	for (uint32_t i = 0; i < m->ncodes && m->codes; i++)
		wasm__code_free(&m->codes[i]);
	xfree(m->codes);
	for (uint32_t i = 0; i < m->ncustoms; i++)
		xfree(m->customs[i].name);
	xfree(m->customs);
	if (m->func_names)
		for (uint32_t i = 0; i < m->nfuncs; i++)
			xfree(m->func_names[i]);
	xfree(m->func_names);
	wasm__jit_free(m->jit);
	xfree(m->bytes);
	xfree(m);
}

int ewasm_module_new(ewasm_engine *engine, const uint8_t *bytes, size_t len, ewasm_module **out,
                     ewasm_error *err)
{
	int rc;
	ewasm_module *m;

	*out = NULL;
	if (len > UINT32_MAX)
		return wasm__err(err, EWASM_ERR_LIMIT, 0, UINT32_MAX, "module too large");
	m = xcalloc(1, sizeof(*m));
	if (!m)
		return wasm__err(err, EWASM_ERR_NOMEM, 0, UINT32_MAX, "out of memory");
	m->refs = 1;
	m->engine = engine;
	m->checked = !engine->use_guard;
	m->bytes = xmalloc(len ? len : 1);
	if (!m->bytes) {
		rc = wasm__err(err, EWASM_ERR_NOMEM, 0, UINT32_MAX, "out of memory");
		goto fail;
	}
	if (len)
		memcpy(m->bytes, bytes, len);
	m->len = len;
	rc = wasm__decode(m, err);
	if (rc)
		goto fail;
	rc = wasm__compile(m, err);
	if (rc)
		goto fail;
	if (engine->cfg.engine == EWASM_ENGINE_JIT) {
		char why[160];
		if (wasm__jit_compile(m, why, sizeof(why)))
			log_debug("wasm: module runs in the interpreter: %s", why);
		else
			log_debug("wasm: %u functions compiled to machine code", m->ncodes);
	}
	*out = m;
	return 0;
fail:
	module_destroy(m);
	return rc;
}

int ewasm_module_validate(ewasm_engine *engine, const uint8_t *bytes, size_t len, ewasm_error *err)
{
	ewasm_module *m;
	int rc = ewasm_module_new(engine, bytes, len, &m, err);
	ewasm_module_free(m);
	return rc;
}

void ewasm_module_free(ewasm_module *module)
{
	if (module && --module->refs == 0)
		module_destroy(module);
}

uint32_t ewasm_module_import_count(const ewasm_module *m)
{
	return m->nimports;
}

int ewasm_module_import(const ewasm_module *m, uint32_t index, const char **module_name,
                        const char **name, ewasm_externtype *type)
{
	if (index >= m->nimports)
		return EWASM_ERR_ARG;
	if (module_name)
		*module_name = m->imports[index].module;
	if (name)
		*name = m->imports[index].name;
	if (type)
		*type = m->imports[index].type;
	return 0;
}

uint32_t ewasm_module_export_count(const ewasm_module *m)
{
	return m->nexports;
}

int ewasm_module_export(const ewasm_module *m, uint32_t index, const char **name,
                        ewasm_externtype *type)
{
	if (index >= m->nexports)
		return EWASM_ERR_ARG;
	const struct wexport *e = &m->exports[index];
	if (name)
		*name = e->name;
	if (!type)
		return 0;
	type->kind = e->kind;
	switch (e->kind) {
	case EWASM_EXTERN_FUNC: type->of.func = m->types[m->func_type[e->index]].pub; break;
	case EWASM_EXTERN_TABLE: type->of.table = m->tables[e->index]; break;
	case EWASM_EXTERN_MEMORY: type->of.memory = m->mems[e->index]; break;
	case EWASM_EXTERN_GLOBAL: type->of.global = *wasm__global_type(m, e->index); break;
	}
	return 0;
}

int ewasm_module_export_name(const ewasm_module *m, uint32_t index, const char **name, size_t *len)
{
	if (index >= m->nexports)
		return EWASM_ERR_ARG;
	*name = m->exports[index].name;
	*len = m->exports[index].name_len;
	return 0;
}

int ewasm_module_custom_section(const ewasm_module *m, const char *name, uint32_t nth,
                                const uint8_t **data, size_t *len)
{
	for (uint32_t i = 0; i < m->ncustoms; i++) {
		if (strcmp(m->customs[i].name, name))
			continue;
		if (nth--)
			continue;
		*data = m->customs[i].data;
		*len = m->customs[i].len;
		return 0;
	}
	return EWASM_ERR_NOTFOUND;
}

const char *ewasm_module_func_name(const ewasm_module *m, uint32_t func_index)
{
	if (!m->func_names || func_index >= m->nfuncs)
		return NULL;
	return m->func_names[func_index];
}

/* ----------------------------------------------------------------- store */

int wasm__store_add(ewasm_store *s, int kind, void *p)
{
	if (s->nobjs == s->capobjs) {
		size_t n = s->capobjs ? s->capobjs * 2 : 64;
		struct wobj *o = xreallocarray(s->objs, n, sizeof(struct wobj));
		if (!o)
			return EWASM_ERR_NOMEM;
		s->objs = o;
		s->capobjs = n;
	}
	struct wobj *o = s->objs;
	o[s->nobjs].kind = (uint8_t)kind;
	o[s->nobjs].p = p;
	s->nobjs++;
	return 0;
}

ewasm_store *ewasm_store_new(ewasm_engine *engine)
{
	ewasm_store *s = xcalloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->engine = engine;
	atomic_init(&s->interrupt, 0);
	s->max_frames = engine->cfg.max_call_depth;
	return s;
}

/* The value stack and frame array, allocated on first use. */
static int store_ready(ewasm_store *s)
{
	if (s->stack)
		return 0;
	size_t n = s->engine->cfg.max_value_slots;
	s->stack = xcalloc(n, sizeof(slot));
	s->frames = xcalloc((size_t)s->max_frames + 1, sizeof(struct frame));
	if (!s->stack || !s->frames) {
		xfree(s->stack);
		xfree(s->frames);
		s->stack = NULL;
		s->frames = NULL;
		return EWASM_ERR_NOMEM;
	}
	s->stack_end = s->stack + n;
	s->stack_top = s->stack;
	return 0;
}

void ewasm_store_free(ewasm_store *s)
{
	if (!s)
		return;
	struct wobj *o = s->objs;
	for (size_t i = 0; i < s->nobjs; i++) {
		switch (o[i].kind) {
		case OBJ_FUNC: {
			ewasm_func *f = o[i].p;
			if (f->user_free)
				f->user_free(f->user);
			xfree(f->own_type.params);
			xfree(f);
			break;
		}
		case OBJ_MEM:
			mem__free(o[i].p);
			xfree(o[i].p);
			break;
		case OBJ_TABLE:
			xfree(((ewasm_table *)o[i].p)->elems);
			xfree(o[i].p);
			break;
		case OBJ_GLOBAL: xfree(o[i].p); break;
		case OBJ_INST: wasm__instance_free(o[i].p); break;
		}
	}
	xfree(s->objs);
	xfree(s->stack);
	xfree(s->frames);
	ewasm_trap_free(s->pending);
	xfree(s);
}

int ewasm_store_set_fuel(ewasm_store *s, uint64_t fuel)
{
	if (!s->engine->cfg.consume_fuel)
		return EWASM_ERR_ARG;
	s->fuel = fuel;
	return 0;
}

uint64_t ewasm_store_get_fuel(const ewasm_store *s)
{
	return s->fuel;
}

void ewasm_store_interrupt(ewasm_store *s)
{
	atomic_store(&s->interrupt, 1);
}

void ewasm_store_clear_interrupt(ewasm_store *s)
{
	atomic_store(&s->interrupt, 0);
}

void ewasm_store_set_data(ewasm_store *s, void *data)
{
	s->data = data;
}

void *ewasm_store_get_data(const ewasm_store *s)
{
	return s->data;
}

/* ----------------------------------------------------------------- traps */

ewasm_trap_kind ewasm_trap_get_kind(const ewasm_trap *t)
{
	return t->kind;
}

const char *ewasm_trap_message(const ewasm_trap *t)
{
	return t->message ? t->message : "trap";
}

int ewasm_trap_exit_code(const ewasm_trap *t)
{
	return t->exit_code;
}

size_t ewasm_trap_frame_count(const ewasm_trap *t)
{
	return t->nframes;
}

int ewasm_trap_frame(const ewasm_trap *t, size_t i, ewasm_frame *out)
{
	if (i >= t->nframes)
		return EWASM_ERR_ARG;
	*out = t->frames[i];
	return 0;
}

void ewasm_trap_free(ewasm_trap *t)
{
	if (!t)
		return;
	xfree(t->message);
	xfree(t->frames);
	xfree(t);
}

/* A trap without wasm frames (host function called directly, OOM). */
static void simple_trap(ewasm_store *s)
{
	ewasm_trap *t = xcalloc(1, sizeof(*t));
	if (!t)
		return;
	t->kind = s->trap_kind;
	t->exit_code = s->trap_kind == EWASM_TRAP_EXIT ? s->exit_code : 0;
	t->message = xstrdup(s->trap_kind == EWASM_TRAP_HOST   ? s->trap_msg
	                     : s->trap_kind == EWASM_TRAP_EXIT ? "exit"
	                                                       : "out of memory");
	ewasm_trap_free(s->pending);
	s->pending = t;
}

/* --------------------------------------------------------- functions */

bool wasm__type_eq(const struct wtype *a, const struct wtype *b)
{
	return a->nparams == b->nparams && a->nresults == b->nresults &&
	       !memcmp(a->params, b->params, a->nparams) &&
	       !memcmp(a->results, b->results, a->nresults);
}

static void slot_to_val(const slot *sl, uint8_t type, ewasm_val *v)
{
	v->type = type;
	v->of.i64 = 0;
	switch (type) {
	case EWASM_I32: v->of.i32 = sl->i32; break;
	case EWASM_F32: v->of.f32 = sl->u32; break;
	case EWASM_FUNCREF: v->of.funcref = sl->ref; break;
	case EWASM_EXTERNREF: v->of.externref = sl->uref; break;
	default: v->of.i64 = sl->i64; break;
	}
}

static void val_to_slot(const ewasm_val *v, slot *sl)
{
	sl->u64 = 0;
	switch (v->type) {
	case EWASM_I32: sl->u32 = (uint32_t)v->of.i32; break;
	case EWASM_F32: sl->u32 = v->of.f32; break;
	case EWASM_FUNCREF: sl->ref = v->of.funcref; break;
	case EWASM_EXTERNREF: sl->uref = v->of.externref; break;
	default: sl->i64 = v->of.i64; break;
	}
}

#define SMALL 16

int wasm__call_host(ewasm_store *s, ewasm_func *fn, slot *args, ewasm_instance *caller)
{
	const struct wtype *t = fn->type;
	ewasm_val small[2 * SMALL], *av = small, *rv;
	int rc;

	if (t->nparams > SMALL || t->nresults > SMALL) {
		av = xcalloc((size_t)t->nparams + t->nresults + 1, sizeof(ewasm_val));
		if (!av) {
			s->trap_kind = EWASM_TRAP_OOM;
			s->trap_detail = NULL;
			return EWASM_ERR_TRAP;
		}
		rv = av + t->nparams;
	} else {
		rv = small + SMALL;
	}
	for (uint32_t i = 0; i < t->nparams; i++)
		slot_to_val(&args[i], t->params[i], &av[i]);
	for (uint32_t i = 0; i < t->nresults; i++) {
		rv[i].type = t->results[i];
		rv[i].of.i64 = 0;
	}
	struct ewasm_caller c = {s, caller};
	s->host_trap_set = false;
	rc = fn->host(&c, av, rv, fn->user);
	if (rc) {
		if (!s->host_trap_set) {
			s->trap_kind = EWASM_TRAP_HOST;
			snprintf(s->trap_msg, sizeof(s->trap_msg), "host function failed (%d)", rc);
		}
		s->trap_detail = NULL;
		rc = EWASM_ERR_TRAP;
	} else {
		for (uint32_t i = 0; i < t->nresults; i++) {
			rv[i].type = t->results[i];
			val_to_slot(&rv[i], &args[i]);
		}
	}
	if (av != small)
		xfree(av);
	return rc;
}

ewasm_func *ewasm_func_new_host(ewasm_store *s, const ewasm_functype *type, ewasm_host_fn fn,
                                void *user, void (*user_free)(void *))
{
	ewasm_func *f = xcalloc(1, sizeof(*f));
	if (!f)
		return NULL;
	uint8_t *buf = xmalloc((size_t)type->nparams + type->nresults + 1);
	if (!buf || wasm__store_add(s, OBJ_FUNC, f)) {
		xfree(buf);
		xfree(f);
		return NULL;
	}
	if (type->nparams)
		memcpy(buf, type->params, type->nparams);
	if (type->nresults)
		memcpy(buf + type->nparams, type->results, type->nresults);
	f->own_type.params = buf;
	f->own_type.results = buf + type->nparams;
	f->own_type.nparams = type->nparams;
	f->own_type.nresults = type->nresults;
	f->own_type.pub.params = buf;
	f->own_type.pub.results = buf + type->nparams;
	f->own_type.pub.nparams = type->nparams;
	f->own_type.pub.nresults = type->nresults;
	f->type = &f->own_type;
	f->host = fn;
	f->user = user;
	f->user_free = user_free;
	f->store = s;
	f->index = UINT32_MAX;
	return f;
}

const ewasm_functype *ewasm_func_type(const ewasm_func *func)
{
	return &func->type->pub;
}

ewasm_store *ewasm_caller_store(ewasm_caller *c)
{
	return c->store;
}

ewasm_instance *ewasm_caller_instance(ewasm_caller *c)
{
	return c->inst;
}

uint8_t *ewasm_caller_memory(ewasm_caller *c, size_t *size)
{
	if (!c->inst || !c->inst->mems) {
		*size = 0;
		return NULL;
	}
	*size = (size_t)c->inst->mems[0]->size;
	return c->inst->mems[0]->base;
}

void *ewasm_caller_ptr(ewasm_caller *c, uint64_t addr, uint64_t len)
{
	size_t size;
	uint8_t *base = ewasm_caller_memory(c, &size);
	if (!base || addr > size || len > size - addr)
		return NULL;
	return base + addr;
}

int ewasm_caller_trap(ewasm_caller *c, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->store->trap_msg, sizeof(c->store->trap_msg), fmt, ap);
	va_end(ap);
	c->store->trap_kind = EWASM_TRAP_HOST;
	c->store->host_trap_set = true;
	return EWASM_ERR_TRAP;
}

int ewasm_caller_exit(ewasm_caller *c, int code)
{
	c->store->trap_kind = EWASM_TRAP_EXIT;
	c->store->exit_code = code;
	c->store->host_trap_set = true;
	return EWASM_ERR_TRAP;
}

int ewasm_func_call(ewasm_func *f, const ewasm_val *args, size_t nargs, ewasm_val *results,
                    size_t nresults, ewasm_trap **trap)
{
	ewasm_store *s = f->store;
	const struct wtype *t = f->type;
	int rc;

	if (trap)
		*trap = NULL;
	if (nargs != t->nparams || nresults != t->nresults)
		return EWASM_ERR_ARG;
	for (size_t i = 0; i < nargs; i++)
		if (args[i].type != t->params[i])
			return EWASM_ERR_ARG;
	rc = store_ready(s);
	if (rc)
		return rc;
	if (s->run_depth >= MAX_NESTED_RUNS) {
		s->trap_kind = EWASM_TRAP_STACK_EXHAUSTED;
		simple_trap(s);
		goto trapped;
	}
	slot *fp = s->stack_top;
	size_t need = (size_t)(nargs > nresults ? nargs : nresults);
	if ((size_t)(s->stack_end - fp) < need + 1) {
		s->trap_kind = EWASM_TRAP_STACK_EXHAUSTED;
		simple_trap(s);
		goto trapped;
	}
	for (size_t i = 0; i < nargs; i++)
		val_to_slot(&args[i], &fp[i]);
	s->run_depth++;
	if (f->host) {
		slot *saved = s->stack_top;
		s->stack_top = fp + need + 1;
		rc = wasm__call_host(s, f, fp, NULL);
		s->stack_top = saved;
		if (rc)
			simple_trap(s);
	} else {
		rc = wasm__run(s, f, fp);
	}
	s->run_depth--;
	if (rc)
		goto trapped;
	for (size_t i = 0; i < nresults; i++)
		slot_to_val(&fp[i], t->results[i], &results[i]);
	return 0;
trapped:
	if (trap) {
		*trap = s->pending;
		s->pending = NULL;
	}
	return EWASM_ERR_TRAP;
}

/* ---------------------------------------------------------------- memory */

int wasm__memory_grow(ewasm_memory *m, uint32_t delta)
{
	uint64_t n = (uint64_t)m->pages + delta;
	uint64_t bytes = (uint64_t)delta * EWASM_PAGE_SIZE;
	ewasm_store *s = m->store;
	if (n > m->max_pages || bytes > s->engine->cfg.max_memory_bytes - s->mem_bytes)
		return -1;
	if (delta == 0)
		return 0;
	if (mem__resize(m, (uint32_t)n))
		return -1;
	s->mem_bytes += bytes;
	return 0;
}

/* The store limits a new memory of `pages` pages must fit in. */
static int memory_limits(ewasm_store *s, uint32_t pages, uint32_t max, ewasm_error *err)
{
	const ewasm_config *cfg = &s->engine->cfg;
	uint64_t bytes = (uint64_t)pages * EWASM_PAGE_SIZE;
	char a[32], b[32], c[32];
	if (s->nmems >= cfg->max_memories)
		return wasm__err(err, EWASM_ERR_LIMIT, UINT64_MAX, UINT32_MAX,
		                 "memory limit: the store already has %s memories, the most "
		                 "allowed (max_memories)",
		                 wasm__count(s->nmems, a, sizeof(a)));
	if (pages > max)
		return wasm__err(err, EWASM_ERR_LIMIT, UINT64_MAX, UINT32_MAX,
		                 "memory limit: a memory of %s pages exceeds the %s-page maximum "
		                 "(max_memory_pages)",
		                 wasm__count(pages, a, sizeof(a)), wasm__count(max, b, sizeof(b)));
	if (bytes > cfg->max_memory_bytes - s->mem_bytes)
		return wasm__err(
		    err, EWASM_ERR_LIMIT, UINT64_MAX, UINT32_MAX,
		    "memory limit: a memory of %s bytes, with the %s bytes the store's "
		    "memories already hold, exceeds the %s-byte total "
		    "(max_memory_bytes)",
		    wasm__count(bytes, a, sizeof(a)), wasm__count(s->mem_bytes, b, sizeof(b)),
		    wasm__count(cfg->max_memory_bytes, c, sizeof(c)));
	return 0;
}

int wasm__memory_make(ewasm_store *s, const ewasm_memtype *type, ewasm_memory **out,
                      ewasm_error *err)
{
	const ewasm_config *cfg = &s->engine->cfg;
	uint32_t max = type->limits.has_max ? type->limits.max : 65536;
	if (max > cfg->max_memory_pages)
		max = cfg->max_memory_pages;
	int rc = memory_limits(s, type->limits.min, cfg->max_memory_pages, err);
	if (rc)
		return rc;
	ewasm_memory *m = xcalloc(1, sizeof(*m));
	if (!m)
		return wasm__err(err, EWASM_ERR_NOMEM, UINT64_MAX, UINT32_MAX, "out of memory");
	m->type = *type;
	m->max_pages = max;
	m->store = s;
	rc = mem__alloc(m, type->limits.min, s->engine->use_guard);
	if (rc || (rc = wasm__store_add(s, OBJ_MEM, m))) {
		mem__free(m);
		xfree(m);
		return wasm__err(err, rc, UINT64_MAX, UINT32_MAX, "out of memory");
	}
	s->nmems++;
	s->mem_bytes += (uint64_t)type->limits.min * EWASM_PAGE_SIZE;
	*out = m;
	return 0;
}

ewasm_memory *ewasm_memory_new(ewasm_store *s, const ewasm_memtype *type)
{
	ewasm_memory *m = NULL;
	if (type->limits.min > 65536 ||
	    (type->limits.has_max && type->limits.max < type->limits.min))
		return NULL;
	wasm__memory_make(s, type, &m, NULL);
	return m;
}

uint8_t *ewasm_memory_data(ewasm_memory *m)
{
	return m->base;
}

size_t ewasm_memory_size(const ewasm_memory *m)
{
	return (size_t)m->size;
}

uint32_t ewasm_memory_pages(const ewasm_memory *m)
{
	return m->pages;
}

ewasm_memtype ewasm_memory_type(const ewasm_memory *m)
{
	ewasm_memtype t = m->type;
	t.limits.min = m->pages;
	return t;
}

int ewasm_memory_grow(ewasm_memory *m, uint32_t delta, uint32_t *old_pages)
{
	uint32_t old = m->pages;
	if (wasm__memory_grow(m, delta) < 0)
		return EWASM_ERR_LIMIT;
	if (old_pages)
		*old_pages = old;
	return 0;
}

int ewasm_memory_read(const ewasm_memory *m, uint64_t off, void *dst, size_t len)
{
	if (off > m->size || len > m->size - off)
		return EWASM_ERR_RANGE;
	if (len)
		memcpy(dst, m->base + off, len);
	return 0;
}

int ewasm_memory_write(ewasm_memory *m, uint64_t off, const void *src, size_t len)
{
	if (off > m->size || len > m->size - off)
		return EWASM_ERR_RANGE;
	if (len)
		memcpy(m->base + off, src, len);
	return 0;
}

/* ----------------------------------------------------------------- table */

int wasm__table_grow(ewasm_table *t, uint32_t delta, uintptr_t init)
{
	uint64_t n = (uint64_t)t->size + delta;
	ewasm_store *s = t->store;
	if (n > t->max || delta > s->engine->cfg.max_table_elems_total - s->table_elems)
		return -1;
	if (delta == 0)
		return 0;
	uintptr_t *e = xreallocarray(t->elems, n ? n : 1, sizeof(uintptr_t));
	if (!e)
		return -1;
	for (uint64_t i = t->size; i < n; i++)
		e[i] = init;
	t->elems = e;
	t->size = (uint32_t)n;
	s->table_elems += delta;
	return 0;
}

/* The store limits a new table of `elems` elements must fit in. */
static int table_limits(ewasm_store *s, uint32_t elems, ewasm_error *err)
{
	const ewasm_config *cfg = &s->engine->cfg;
	char a[32], b[32], c[32];
	if (s->ntables >= cfg->max_tables)
		return wasm__err(err, EWASM_ERR_LIMIT, UINT64_MAX, UINT32_MAX,
		                 "table limit: the store already has %s tables, the most allowed "
		                 "(max_tables)",
		                 wasm__count(s->ntables, a, sizeof(a)));
	if (elems > cfg->max_table_elems)
		return wasm__err(err, EWASM_ERR_LIMIT, UINT64_MAX, UINT32_MAX,
		                 "table limit: a table of %s elements exceeds the %s-element "
		                 "maximum (max_table_elems)",
		                 wasm__count(elems, a, sizeof(a)),
		                 wasm__count(cfg->max_table_elems, b, sizeof(b)));
	if (elems > cfg->max_table_elems_total - s->table_elems)
		return wasm__err(err, EWASM_ERR_LIMIT, UINT64_MAX, UINT32_MAX,
		                 "table limit: a table of %s elements, with the %s elements the "
		                 "store's tables already hold, exceeds the %s-element total "
		                 "(max_table_elems_total)",
		                 wasm__count(elems, a, sizeof(a)),
		                 wasm__count(s->table_elems, b, sizeof(b)),
		                 wasm__count(cfg->max_table_elems_total, c, sizeof(c)));
	return 0;
}

int wasm__table_make(ewasm_store *s, const ewasm_tabletype *type, uintptr_t init, ewasm_table **out,
                     ewasm_error *err)
{
	uint32_t max = type->limits.has_max ? type->limits.max : UINT32_MAX;
	if (max > s->engine->cfg.max_table_elems)
		max = s->engine->cfg.max_table_elems;
	int rc = table_limits(s, type->limits.min, err);
	if (rc)
		return rc;
	ewasm_table *t = xcalloc(1, sizeof(*t));
	if (!t)
		return wasm__err(err, EWASM_ERR_NOMEM, UINT64_MAX, UINT32_MAX, "out of memory");
	t->type = *type;
	t->max = max;
	t->store = s;
	t->elems = xcalloc(type->limits.min ? type->limits.min : 1, sizeof(uintptr_t));
	if (!t->elems || wasm__store_add(s, OBJ_TABLE, t)) {
		xfree(t->elems);
		xfree(t);
		return wasm__err(err, EWASM_ERR_NOMEM, UINT64_MAX, UINT32_MAX, "out of memory");
	}
	t->size = type->limits.min;
	for (uint32_t i = 0; i < t->size; i++)
		t->elems[i] = init;
	s->ntables++;
	s->table_elems += t->size;
	*out = t;
	return 0;
}

static uintptr_t ref_bits(ewasm_val v)
{
	return v.type == EWASM_FUNCREF ? (uintptr_t)v.of.funcref : v.of.externref;
}

ewasm_table *ewasm_table_new(ewasm_store *s, const ewasm_tabletype *type, ewasm_val init)
{
	ewasm_table *t = NULL;
	if (init.type != type->elem)
		return NULL;
	wasm__table_make(s, type, ref_bits(init), &t, NULL);
	return t;
}

uint32_t ewasm_table_size(const ewasm_table *t)
{
	return t->size;
}

ewasm_tabletype ewasm_table_type(const ewasm_table *t)
{
	ewasm_tabletype ty = t->type;
	ty.limits.min = t->size;
	return ty;
}

int ewasm_table_get(const ewasm_table *t, uint32_t index, ewasm_val *out)
{
	if (index >= t->size)
		return EWASM_ERR_RANGE;
	out->type = t->type.elem;
	out->of.i64 = 0;
	if (t->type.elem == EWASM_FUNCREF)
		out->of.funcref = (ewasm_func *)t->elems[index];
	else
		out->of.externref = t->elems[index];
	return 0;
}

int ewasm_table_set(ewasm_table *t, uint32_t index, ewasm_val val)
{
	if (val.type != t->type.elem)
		return EWASM_ERR_ARG;
	if (index >= t->size)
		return EWASM_ERR_RANGE;
	t->elems[index] = ref_bits(val);
	return 0;
}

int ewasm_table_grow(ewasm_table *t, uint32_t delta, ewasm_val init, uint32_t *old_size)
{
	if (init.type != t->type.elem)
		return EWASM_ERR_ARG;
	uint32_t old = t->size;
	if (wasm__table_grow(t, delta, ref_bits(init)) < 0)
		return EWASM_ERR_LIMIT;
	if (old_size)
		*old_size = old;
	return 0;
}

/* ---------------------------------------------------------------- global */

ewasm_global *ewasm_global_new(ewasm_store *s, const ewasm_globaltype *type, ewasm_val val)
{
	if (val.type != type->type)
		return NULL;
	ewasm_global *g = xcalloc(1, sizeof(*g));
	if (!g)
		return NULL;
	if (wasm__store_add(s, OBJ_GLOBAL, g)) {
		xfree(g);
		return NULL;
	}
	g->type = *type;
	g->store = s;
	val_to_slot(&val, &g->v);
	return g;
}

ewasm_globaltype ewasm_global_type(const ewasm_global *g)
{
	return g->type;
}

void ewasm_global_get(const ewasm_global *g, ewasm_val *out)
{
	slot_to_val(&g->v, g->type.type, out);
}

int ewasm_global_set(ewasm_global *g, ewasm_val val)
{
	if (!g->type.mutable_)
		return EWASM_ERR_IMMUTABLE;
	if (val.type != g->type.type)
		return EWASM_ERR_ARG;
	val_to_slot(&val, &g->v);
	return 0;
}
