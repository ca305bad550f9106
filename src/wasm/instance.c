// SPDX-License-Identifier: Apache-2.0
/*
 * Instantiation (import checks, allocation of functions, tables, memories
 * and globals, element and data segments, start function), export lookup,
 * and the linker that resolves imports by (module, name).
 */
#include <stdio.h>
#include <string.h>

#include "lib/alloc.h"
#include "lib/hset.h"
#include "wasm/wasm_int.h"

void wasm__instance_free(ewasm_instance *inst)
{
	if (!inst)
		return;
	if (inst->elem_vals)
		for (uint32_t i = 0; i < inst->module->nelems; i++)
			xfree(inst->elem_vals[i]);
	xfree(inst->elem_vals);
	xfree(inst->elem_len);
	xfree(inst->data_len);
	xfree(inst->funcs);
	xfree(inst->tables);
	xfree(inst->mems);
	xfree(inst->globals);
	xfree(inst->gvals);
	xfree(inst->types);
	ewasm_module_free(inst->module);
	xfree(inst);
}

static bool limits_match(const ewasm_limits *have, const ewasm_limits *want)
{
	if (have->min < want->min)
		return false;
	if (want->has_max && (!have->has_max || have->max > want->max))
		return false;
	return true;
}

static const char *kind_name(ewasm_extern_kind k)
{
	static const char *const n[] = {"function", "table", "memory", "global"};
	return n[k];
}

static int check_import(const ewasm_module *m, uint32_t i, const ewasm_extern *x, ewasm_error *err)
{
	const struct wimport *im = &m->imports[i];
	if (x->kind != im->type.kind)
		return wasm__err(err, EWASM_ERR_LINK, UINT64_MAX, UINT32_MAX,
		                 "incompatible import type: %s.%s is a %s, a %s was given",
		                 im->module, im->name, kind_name(im->type.kind),
		                 kind_name(x->kind));
	bool ok = true;
	switch (x->kind) {
	case EWASM_EXTERN_FUNC:
		ok = x->of.func && wasm__type_eq(x->of.func->type, &m->types[im->typeidx]);
		break;
	case EWASM_EXTERN_TABLE: {
		if (!x->of.table)
			return EWASM_ERR_ARG;
		ewasm_tabletype t = ewasm_table_type(x->of.table);
		ok = t.elem == im->type.of.table.elem &&
		     limits_match(&t.limits, &im->type.of.table.limits);
		break;
	}
	case EWASM_EXTERN_MEMORY: {
		if (!x->of.memory)
			return EWASM_ERR_ARG;
		ewasm_memtype t = ewasm_memory_type(x->of.memory);
		ok = limits_match(&t.limits, &im->type.of.memory.limits);
		break;
	}
	case EWASM_EXTERN_GLOBAL:
		ok = x->of.global && x->of.global->type.type == im->type.of.global.type &&
		     x->of.global->type.mutable_ == im->type.of.global.mutable_;
		break;
	}
	if (!ok)
		return wasm__err(err, EWASM_ERR_LINK, UINT64_MAX, UINT32_MAX,
		                 "incompatible import type for %s.%s", im->module, im->name);
	return 0;
}

/*
 * The module's own tables and memories against the store limits, all at
 * once, so the message can say what the module asks for in all (the
 * objects are checked one by one again when they are made).
 */
static int check_store_limits(ewasm_store *s, const ewasm_module *m, ewasm_error *err)
{
	const ewasm_config *cfg = &s->engine->cfg;
	uint32_t nt = m->ntables - m->ntable_imports, nm = m->nmems - m->nmem_imports;
	uint64_t elems = 0, bytes = 0;
	char a[32], b[32], c[32], d[32];

	for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
		elems += m->tables[i].limits.min;
		if (m->tables[i].limits.min > cfg->max_table_elems)
			return wasm__err(err, EWASM_ERR_LIMIT, UINT64_MAX, UINT32_MAX,
			                 "table limit: table %u of %s elements exceeds the "
			                 "%s-element maximum (max_table_elems)",
			                 i, wasm__count(m->tables[i].limits.min, a, sizeof(a)),
			                 wasm__count(cfg->max_table_elems, b, sizeof(b)));
	}
	for (uint32_t i = m->nmem_imports; i < m->nmems; i++)
		bytes += (uint64_t)m->mems[i].limits.min * EWASM_PAGE_SIZE;
	if (nt > cfg->max_tables - s->ntables)
		return wasm__err(err, EWASM_ERR_LIMIT, UINT64_MAX, UINT32_MAX,
		                 "table limit: %s new tables and the store's %s exceed the %s "
		                 "allowed (max_tables)",
		                 wasm__count(nt, a, sizeof(a)),
		                 wasm__count(s->ntables, b, sizeof(b)),
		                 wasm__count(cfg->max_tables, c, sizeof(c)));
	if (elems > cfg->max_table_elems_total - s->table_elems)
		return wasm__err(err, EWASM_ERR_LIMIT, UINT64_MAX, UINT32_MAX,
		                 "table limit: %s tables of %s elements in all (the store holds %s "
		                 "already) exceed the %s-element total (max_table_elems_total)",
		                 wasm__count(nt, a, sizeof(a)), wasm__count(elems, b, sizeof(b)),
		                 wasm__count(s->table_elems, c, sizeof(c)),
		                 wasm__count(cfg->max_table_elems_total, d, sizeof(d)));
	if (nm > cfg->max_memories - s->nmems)
		return wasm__err(err, EWASM_ERR_LIMIT, UINT64_MAX, UINT32_MAX,
		                 "memory limit: %s new memories and the store's %s exceed the %s "
		                 "allowed (max_memories)",
		                 wasm__count(nm, a, sizeof(a)), wasm__count(s->nmems, b, sizeof(b)),
		                 wasm__count(cfg->max_memories, c, sizeof(c)));
	if (bytes > cfg->max_memory_bytes - s->mem_bytes)
		return wasm__err(
		    err, EWASM_ERR_LIMIT, UINT64_MAX, UINT32_MAX,
		    "memory limit: the module's memory of %s bytes (the store holds %s "
		    "already) exceeds the %s-byte total (max_memory_bytes)",
		    wasm__count(bytes, a, sizeof(a)), wasm__count(s->mem_bytes, b, sizeof(b)),
		    wasm__count(cfg->max_memory_bytes, c, sizeof(c)));
	return 0;
}

static uint64_t eval_cexpr(const ewasm_instance *inst, const struct cexpr *e)
{
	switch (e->op) {
	case CE_REFFUNC: return (uintptr_t)inst->funcs[e->val];
	case CE_GLOBAL: return inst->globals[e->val]->v.u64;
	case CE_I32: return (uint32_t)e->val;
	default: return e->val;
	}
}

static int alloc_arrays(ewasm_instance *inst, const ewasm_module *m)
{
	inst->funcs = xcalloc(m->nfuncs + 1, sizeof(*inst->funcs));
	inst->tables = m->ntables ? xcalloc(m->ntables, sizeof(*inst->tables)) : NULL;
	inst->mems = m->nmems ? xcalloc(m->nmems, sizeof(*inst->mems)) : NULL;
	inst->globals = xcalloc(m->nglobals + 1, sizeof(*inst->globals));
	inst->gvals = xcalloc(m->nglobals + 1, sizeof(*inst->gvals));
	inst->types = xcalloc(m->ntypes + 1, sizeof(*inst->types));
	inst->data_len = xcalloc(m->ndatas + 1, sizeof(uint32_t));
	inst->elem_len = xcalloc(m->nelems + 1, sizeof(uint32_t));
	inst->elem_vals = xcalloc(m->nelems + 1, sizeof(uintptr_t *));
	if (!inst->funcs || (m->ntables && !inst->tables) || (m->nmems && !inst->mems) ||
	    !inst->globals || !inst->gvals || !inst->types || !inst->data_len || !inst->elem_len ||
	    !inst->elem_vals)
		return EWASM_ERR_NOMEM;
	for (uint32_t i = 0; i < m->ntypes; i++)
		inst->types[i] = &m->types[i];
	return 0;
}

static int make_objects(ewasm_store *s, ewasm_instance *inst, const ewasm_module *m,
                        ewasm_error *err)
{
	int rc;
	for (uint32_t i = m->nfunc_imports; i < m->nfuncs; i++) {
		ewasm_func *f = xcalloc(1, sizeof(*f));
		if (!f || wasm__store_add(s, OBJ_FUNC, f)) {
			xfree(f);
			return EWASM_ERR_NOMEM;
		}
		f->type = &m->types[m->func_type[i]];
		f->inst = inst;
		f->code = &m->codes[i - m->nfunc_imports];
		f->index = i;
		f->store = s;
		inst->funcs[i] = f;
	}
	for (uint32_t i = m->ntable_imports; i < m->ntables; i++) {
		rc = wasm__table_make(s, &m->tables[i], 0, &inst->tables[i], err);
		if (rc)
			return rc;
	}
	for (uint32_t i = m->nmem_imports; i < m->nmems; i++) {
		rc = wasm__memory_make(s, &m->mems[i], &inst->mems[i], err);
		if (rc)
			return rc;
	}
	for (uint32_t i = m->nglobal_imports; i < m->nglobals; i++) {
		const struct wglobal *wg = &m->globals[i - m->nglobal_imports];
		ewasm_global *g = xcalloc(1, sizeof(*g));
		if (!g || wasm__store_add(s, OBJ_GLOBAL, g)) {
			xfree(g);
			return EWASM_ERR_NOMEM;
		}
		g->type = wg->type;
		g->store = s;
		g->v.u64 = eval_cexpr(inst, &wg->init);
		inst->globals[i] = g;
		inst->gvals[i] = &g->v;
	}
	for (uint32_t i = 0; i < m->nelems; i++) {
		const struct welem *e = &m->elems[i];
		inst->elem_vals[i] = xcalloc(e->count + 1, sizeof(uintptr_t));
		if (!inst->elem_vals[i])
			return EWASM_ERR_NOMEM;
		for (uint32_t k = 0; k < e->count; k++)
			inst->elem_vals[i][k] = (uintptr_t)eval_cexpr(inst, &e->items[k]);
		inst->elem_len[i] = e->mode == SEG_PASSIVE ? e->count : 0;
	}
	for (uint32_t i = 0; i < m->ndatas; i++)
		inst->data_len[i] = m->datas[i].mode == SEG_PASSIVE ? m->datas[i].len : 0;
	return 0;
}

static int trap_now(ewasm_store *s, ewasm_trap_kind kind, ewasm_trap **trap)
{
	if (trap) {
		ewasm_trap *t = xcalloc(1, sizeof(*t));
		if (t) {
			t->kind = kind;
			t->message =
			    xstrdup(kind == EWASM_TRAP_OOB_TABLE ? "out of bounds table access"
			                                         : "out of bounds memory access");
		}
		*trap = t;
	}
	(void)s;
	return EWASM_ERR_TRAP;
}

/* Active element and data segments, in module order, then start. */
static int initialize(ewasm_store *s, ewasm_instance *inst, ewasm_trap **trap)
{
	const ewasm_module *m = inst->module;
	for (uint32_t i = 0; i < m->nelems; i++) {
		const struct welem *e = &m->elems[i];
		if (e->mode != SEG_ACTIVE)
			continue;
		ewasm_table *t = inst->tables[e->table];
		uint64_t off = (uint32_t)eval_cexpr(inst, &e->offset);
		if (off + e->count > t->size)
			return trap_now(s, EWASM_TRAP_OOB_TABLE, trap);
		if (e->count)
			memcpy(t->elems + off, inst->elem_vals[i], e->count * sizeof(uintptr_t));
	}
	for (uint32_t i = 0; i < m->ndatas; i++) {
		const struct wdata *d = &m->datas[i];
		if (d->mode != SEG_ACTIVE)
			continue;
		ewasm_memory *mem = inst->mems[d->mem];
		uint64_t off = (uint32_t)eval_cexpr(inst, &d->offset);
		if (off + d->len > mem->size)
			return trap_now(s, EWASM_TRAP_OOB_MEMORY, trap);
		if (d->len)
			memcpy(mem->base + off, d->bytes, d->len);
	}
	if (m->start >= 0) {
		int rc = ewasm_func_call(inst->funcs[m->start], NULL, 0, NULL, 0, trap);
		if (rc)
			return rc;
	}
	return 0;
}

int ewasm_instance_new(ewasm_store *s, ewasm_module *m, const ewasm_extern *imports,
                       size_t nimports, ewasm_instance **out, ewasm_trap **trap, ewasm_error *err)
{
	int rc;
	ewasm_instance *inst;

	*out = NULL;
	if (trap)
		*trap = NULL;
	if (m->engine != s->engine)
		return wasm__err(err, EWASM_ERR_ARG, UINT64_MAX, UINT32_MAX,
		                 "module and store belong to different engines");
	if (nimports != m->nimports)
		return wasm__err(err, EWASM_ERR_LINK, UINT64_MAX, UINT32_MAX,
		                 "module needs %u imports, %zu given", m->nimports, nimports);
	for (uint32_t i = 0; i < m->nimports; i++) {
		rc = check_import(m, i, &imports[i], err);
		if (rc)
			return rc;
	}
	rc = check_store_limits(s, m, err);
	if (rc)
		return rc;
	inst = xcalloc(1, sizeof(*inst));
	if (!inst || wasm__store_add(s, OBJ_INST, inst)) {
		xfree(inst);
		return wasm__err(err, EWASM_ERR_NOMEM, UINT64_MAX, UINT32_MAX, "out of memory");
	}
	m->refs++;
	inst->module = m;
	inst->store = s;
	rc = alloc_arrays(inst, m);
	if (rc)
		return wasm__err(err, rc, UINT64_MAX, UINT32_MAX, "out of memory");
	uint32_t nf = 0, nt = 0, nm = 0, ng = 0;
	for (uint32_t i = 0; i < m->nimports; i++) {
		const ewasm_extern *x = &imports[i];
		switch (x->kind) {
		case EWASM_EXTERN_FUNC: inst->funcs[nf++] = x->of.func; break;
		case EWASM_EXTERN_TABLE: inst->tables[nt++] = x->of.table; break;
		case EWASM_EXTERN_MEMORY: inst->mems[nm++] = x->of.memory; break;
		case EWASM_EXTERN_GLOBAL:
			inst->globals[ng] = x->of.global;
			inst->gvals[ng] = &x->of.global->v;
			ng++;
			break;
		}
	}
	rc = make_objects(s, inst, m, err);
	if (rc)
		return rc == EWASM_ERR_NOMEM
		           ? wasm__err(err, rc, UINT64_MAX, UINT32_MAX, "out of memory")
		           : rc;
	rc = initialize(s, inst, trap);
	if (rc) {
		wasm__err(err, rc, UINT64_MAX, UINT32_MAX, "trap during instantiation: %s",
		          trap && *trap ? ewasm_trap_message(*trap) : "?");
		return rc;
	}
	*out = inst;
	return 0;
}

static void export_extern(const ewasm_instance *inst, const struct wexport *e, ewasm_extern *out)
{
	out->kind = e->kind;
	switch (e->kind) {
	case EWASM_EXTERN_FUNC: out->of.func = inst->funcs[e->index]; break;
	case EWASM_EXTERN_TABLE: out->of.table = inst->tables[e->index]; break;
	case EWASM_EXTERN_MEMORY: out->of.memory = inst->mems[e->index]; break;
	case EWASM_EXTERN_GLOBAL: out->of.global = inst->globals[e->index]; break;
	}
}

int ewasm_instance_export(const ewasm_instance *inst, const char *name, ewasm_extern *out)
{
	return ewasm_instance_export_n(inst, name, strlen(name), out);
}

int ewasm_instance_export_n(const ewasm_instance *inst, const char *name, size_t len,
                            ewasm_extern *out)
{
	const ewasm_module *m = inst->module;
	uint32_t i;
	if (!m->export_names || hset_find(m->export_names, name, len, &i))
		return EWASM_ERR_NOTFOUND;
	export_extern(inst, &m->exports[i], out);
	return 0;
}

uint32_t ewasm_instance_export_count(const ewasm_instance *inst)
{
	return inst->module->nexports;
}

int ewasm_instance_export_at(const ewasm_instance *inst, uint32_t index, const char **name,
                             ewasm_extern *out)
{
	if (index >= inst->module->nexports)
		return EWASM_ERR_ARG;
	if (name)
		*name = inst->module->exports[index].name;
	export_extern(inst, &inst->module->exports[index], out);
	return 0;
}

const ewasm_module *ewasm_instance_module(const ewasm_instance *inst)
{
	return inst->module;
}

static void *export_of(const ewasm_instance *inst, const char *name, ewasm_extern_kind k)
{
	ewasm_extern x;
	if (ewasm_instance_export(inst, name, &x) || x.kind != k)
		return NULL;
	return x.of.func; /* every member of the union is a pointer */
}

ewasm_func *ewasm_instance_func(const ewasm_instance *inst, const char *name)
{
	return export_of(inst, name, EWASM_EXTERN_FUNC);
}

ewasm_memory *ewasm_instance_memory(const ewasm_instance *inst, const char *name)
{
	ewasm_extern x;
	if (ewasm_instance_export(inst, name, &x) || x.kind != EWASM_EXTERN_MEMORY)
		return NULL;
	return x.of.memory;
}

ewasm_table *ewasm_instance_table(const ewasm_instance *inst, const char *name)
{
	ewasm_extern x;
	if (ewasm_instance_export(inst, name, &x) || x.kind != EWASM_EXTERN_TABLE)
		return NULL;
	return x.of.table;
}

ewasm_global *ewasm_instance_global(const ewasm_instance *inst, const char *name)
{
	ewasm_extern x;
	if (ewasm_instance_export(inst, name, &x) || x.kind != EWASM_EXTERN_GLOBAL)
		return NULL;
	return x.of.global;
}

/* ---------------------------------------------------------------- linker */

/* A definition's module and name live in one buffer, "module\0name", which
 * is also its key in the linker's hash set (so defining and resolving n
 * names costs O(n), whatever the names: issue 19). */
struct ldef {
	char *key; /* "module\0name" */
	size_t klen;
	ewasm_extern ext;
};

struct ewasm_linker {
	ewasm_store *store;
	struct ldef *defs;
	size_t n, cap;
	struct hset *index; /* key -> index in defs */
};

ewasm_linker *ewasm_linker_new(ewasm_store *store)
{
	ewasm_linker *l = xcalloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->store = store;
	l->index = hset_new(64);
	if (!l->index) {
		xfree(l);
		return NULL;
	}
	return l;
}

void ewasm_linker_free(ewasm_linker *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		xfree(l->defs[i].key);
	xfree(l->defs);
	hset_free(l->index);
	xfree(l);
}

/* "module\0name" in a new buffer (*len bytes), or NULL. */
static char *make_key(const char *module, const char *name, size_t *len)
{
	size_t m = strlen(module), n = strlen(name);
	char *k = xmalloc(m + n + 2);
	if (!k)
		return NULL;
	memcpy(k, module, m + 1);
	memcpy(k + m + 1, name, n + 1);
	*len = m + 1 + n;
	return k;
}

/* The definition of module.name, or NULL (also when out of memory: the
 * caller then reports the import as unknown). */
static struct ldef *lookup(ewasm_linker *l, const char *module, const char *name)
{
	size_t len;
	uint32_t i;
	char *k = make_key(module, name, &len);
	int rc = k ? hset_find(l->index, k, len, &i) : -1;
	xfree(k);
	return rc == 0 ? &l->defs[i] : NULL;
}

int ewasm_linker_define(ewasm_linker *l, const char *module, const char *name,
                        const ewasm_extern *ext)
{
	struct ldef *d = lookup(l, module, name);
	if (d) {
		d->ext = *ext;
		return 0;
	}
	if (l->n >= UINT32_MAX)
		return EWASM_ERR_LIMIT;
	if (l->n == l->cap) {
		size_t n = l->cap ? l->cap * 2 : 16;
		struct ldef *p = xreallocarray(l->defs, n, sizeof(*p));
		if (!p)
			return EWASM_ERR_NOMEM;
		l->defs = p;
		l->cap = n;
	}
	d = &l->defs[l->n];
	d->key = make_key(module, name, &d->klen);
	/* the set borrows d->key, which stays put when defs moves */
	if (!d->key || hset_add(l->index, d->key, d->klen, (uint32_t)l->n, NULL) != 1) {
		xfree(d->key);
		return EWASM_ERR_NOMEM;
	}
	d->ext = *ext;
	l->n++;
	return 0;
}

int ewasm_linker_define_func(ewasm_linker *l, const char *module, const char *name,
                             const ewasm_functype *type, ewasm_host_fn fn, void *user)
{
	ewasm_extern x;
	x.kind = EWASM_EXTERN_FUNC;
	x.of.func = ewasm_func_new_host(l->store, type, fn, user, NULL);
	if (!x.of.func)
		return EWASM_ERR_NOMEM;
	return ewasm_linker_define(l, module, name, &x);
}

int ewasm_linker_define_instance(ewasm_linker *l, const char *module, ewasm_instance *inst)
{
	for (uint32_t i = 0; i < inst->module->nexports; i++) {
		ewasm_extern x;
		export_extern(inst, &inst->module->exports[i], &x);
		int rc = ewasm_linker_define(l, module, inst->module->exports[i].name, &x);
		if (rc)
			return rc;
	}
	return 0;
}

int ewasm_linker_instantiate(ewasm_linker *l, ewasm_module *m, ewasm_instance **out,
                             ewasm_trap **trap, ewasm_error *err)
{
	ewasm_extern *imp = xcalloc(m->nimports + 1, sizeof(*imp));
	int rc;
	*out = NULL;
	if (trap)
		*trap = NULL;
	if (!imp)
		return wasm__err(err, EWASM_ERR_NOMEM, UINT64_MAX, UINT32_MAX, "out of memory");
	for (uint32_t i = 0; i < m->nimports; i++) {
		struct ldef *d = lookup(l, m->imports[i].module, m->imports[i].name);
		if (!d) {
			rc = wasm__err(err, EWASM_ERR_LINK, UINT64_MAX, UINT32_MAX,
			               "unknown import: %s.%s", m->imports[i].module,
			               m->imports[i].name);
			goto out;
		}
		imp[i] = d->ext;
	}
	rc = ewasm_instance_new(l->store, m, imp, m->nimports, out, trap, err);
out:
	xfree(imp);
	return rc;
}
