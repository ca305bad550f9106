/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_wasm_limits: every engine limit (ewasm_config, issue 19) reached from
 * generated modules, with an oracle. The input picks the counts of a valid
 * module (functions, exports, locals, tables and their sizes, a memory's
 * pages, data and element segments), how many instances share one store,
 * and what the first instance then does (recurse to a depth, grow its
 * memory and its table). The engine's limits are small; the target knows
 * which of them the module passes and checks the engine agrees: a load or an
 * instantiation fails with EWASM_ERR_LIMIT naming one of the limits passed
 * (and succeeds when none is), memory.grow and table.grow return -1 exactly
 * past a limit, deep recursion traps with EWASM_TRAP_STACK_EXHAUSTED past
 * max_call_depth or max_value_slots and only near them. The seeds in
 * corpus/wasm_limits pass each limit in turn.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <enarx/wasm.h>

#include "fuzz_wasm_buf.h"

enum {
	L_FUNCS = 50,
	L_EXPORTS = 40,
	L_LOCALS = 100,
	L_TABLES = 4,
	L_TABLE_ELEMS = 1000,
	L_TABLE_TOTAL = 1500,
	L_MEM_PAGES = 16,
	L_MEM_TOTAL = 20, /* pages of all memories of the store */
	L_MEMORIES = 3,
	L_DATA = 10,
	L_ELEM = 10,
	L_DEPTH = 64,
	L_SLOTS = 4096,
};

static ewasm_engine *engine(void)
{
	static ewasm_engine *eng;
	ewasm_config cfg;

	if (!eng) {
		ewasm_config_init(&cfg);
		cfg.max_functions = L_FUNCS;
		cfg.max_exports = L_EXPORTS;
		cfg.max_locals = L_LOCALS;
		cfg.max_tables = L_TABLES;
		cfg.max_table_elems = L_TABLE_ELEMS;
		cfg.max_table_elems_total = L_TABLE_TOTAL;
		cfg.max_memory_pages = L_MEM_PAGES;
		cfg.max_memory_bytes = (uint64_t)L_MEM_TOTAL * EWASM_PAGE_SIZE;
		cfg.max_memories = L_MEMORIES;
		cfg.max_data_segments = L_DATA;
		cfg.max_elem_segments = L_ELEM;
		cfg.max_call_depth = L_DEPTH;
		cfg.max_value_slots = L_SLOTS;
		cfg.consume_fuel = 1;
		eng = ewasm_engine_new(&cfg);
	}
	return eng;
}

/* What the input chose. */
struct shape {
	uint32_t nfuncs, nextra_exports, nlocals, ntables, table_min[8], mem_pages;
	uint32_t ndata, nelem, ninst, depth, grow, tgrow;
};

static uint32_t in_u8(const uint8_t *d, size_t n, size_t *pos)
{
	return *pos < n ? d[(*pos)++] : 0;
}

static uint32_t in_u16(const uint8_t *d, size_t n, size_t *pos)
{
	uint32_t lo = in_u8(d, n, pos);
	return lo | in_u8(d, n, pos) << 8;
}

static void choose(const uint8_t *d, size_t n, struct shape *s)
{
	size_t pos = 0;

	memset(s, 0, sizeof(*s));
	s->nfuncs = 3 + in_u8(d, n, &pos) % 60;
	s->nextra_exports = in_u8(d, n, &pos) % 48;
	s->nlocals = in_u8(d, n, &pos) % 120;
	s->ntables = in_u8(d, n, &pos) % 7;
	for (uint32_t i = 0; i < s->ntables; i++)
		s->table_min[i] = in_u16(d, n, &pos) % 1100;
	s->mem_pages = in_u8(d, n, &pos) % 20;
	s->ndata = in_u8(d, n, &pos) % 13;
	s->nelem = in_u8(d, n, &pos) % 13;
	s->ninst = 1 + in_u8(d, n, &pos) % 5;
	s->depth = in_u8(d, n, &pos) % 100;
	s->grow = in_u8(d, n, &pos) % 24;
	s->tgrow = in_u16(d, n, &pos) % 1200;
}

static void body(struct gbuf *code, const struct gbuf *b)
{
	gb_u32(code, (uint32_t)b->n);
	gb_bytes(code, b->p, b->n);
}

/* f0 "rec"(n): n ? rec(n - 1) + 1 : 0, with nlocals i32 locals; f1
 * "grow"(n): memory.grow n; f2 "tgrow"(n): table.grow 0 by n (or -1 with no
 * table); the other functions are [] -> [] and empty. */
static void code_section(struct gbuf *m, const struct shape *s)
{
	static const uint8_t rec[] = {0x20, 0x00, 0x45, 0x04, 0x7f, 0x41, 0x00, 0x05, 0x20, 0x00,
	                              0x41, 0x01, 0x6b, 0x10, 0x00, 0x41, 0x01, 0x6a, 0x0b, 0x0b};
	static const uint8_t grow[] = {0x00, 0x20, 0x00, 0x40, 0x00, 0x0b};
	static const uint8_t tgrow[] = {0x00, 0xd0, 0x70, 0x20, 0x00, 0xfc, 0x0f, 0x00, 0x0b};
	static const uint8_t none[] = {0x00, 0x41, 0x7f, 0x0b};
	static const uint8_t empty[] = {0x00, 0x0b};
	struct gbuf sec = {0}, b = {0};

	gb_u32(&sec, s->nfuncs);
	if (s->nlocals) {
		gb_u32(&b, 1);
		gb_u32(&b, s->nlocals);
		gb_byte(&b, 0x7f); /* i32 */
	} else {
		gb_u32(&b, 0);
	}
	gb_bytes(&b, rec, sizeof(rec));
	body(&sec, &b);
	b.n = 0;
	gb_bytes(&b, grow, sizeof(grow));
	body(&sec, &b);
	b.n = 0;
	if (s->ntables)
		gb_bytes(&b, tgrow, sizeof(tgrow));
	else
		gb_bytes(&b, none, sizeof(none));
	body(&sec, &b);
	b.n = 0;
	gb_bytes(&b, empty, sizeof(empty));
	for (uint32_t i = 3; i < s->nfuncs; i++)
		body(&sec, &b);
	gb_section(m, 10, &sec);
	free(sec.p);
	free(b.p);
}

static void build(const struct shape *s, struct gbuf *m)
{
	struct gbuf sec = {0};
	char name[16];

	gb_bytes(m, "\0asm\1\0\0\0", 8);
	/* types: 0 = [i32] -> [i32], 1 = [] -> [] */
	gb_bytes(&sec, "\x02\x60\x01\x7f\x01\x7f\x60\x00\x00", 9);
	gb_section(m, 1, &sec);
	gb_u32(&sec, s->nfuncs);
	for (uint32_t i = 0; i < s->nfuncs; i++)
		gb_byte(&sec, i < 3 ? 0 : 1);
	gb_section(m, 3, &sec);
	gb_u32(&sec, s->ntables);
	for (uint32_t i = 0; i < s->ntables; i++) {
		gb_byte(&sec, 0x70);
		gb_byte(&sec, 0);
		gb_u32(&sec, s->table_min[i]);
	}
	gb_section(m, 4, &sec);
	gb_bytes(&sec, "\x01\x00", 2);
	gb_u32(&sec, s->mem_pages);
	gb_section(m, 5, &sec);
	gb_u32(&sec, 3 + s->nextra_exports);
	for (uint32_t i = 0; i < 3 + s->nextra_exports; i++) {
		if (i < 3) {
			gb_name(&sec, i == 0 ? "rec" : i == 1 ? "grow" : "tgrow");
		} else {
			snprintf(name, sizeof(name), "x%u", i);
			gb_name(&sec, name);
		}
		gb_byte(&sec, 0);
		gb_u32(&sec, i < 3 ? i : i % s->nfuncs);
	}
	gb_section(m, 7, &sec);
	/* passive element segments, empty */
	gb_u32(&sec, s->nelem);
	for (uint32_t i = 0; i < s->nelem; i++)
		gb_bytes(&sec, "\x01\x00\x00", 3);
	gb_section(m, 9, &sec);
	code_section(m, s);
	/* passive data segments, empty */
	gb_u32(&sec, s->ndata);
	for (uint32_t i = 0; i < s->ndata; i++)
		gb_bytes(&sec, "\x01\x00", 2);
	gb_section(m, 11, &sec);
	free(sec.p);
}

/* 1 if msg names one of the limits whose bit is set in passed. */
static int names_passed(const char *msg, unsigned passed, const char *const *names, size_t n)
{
	char want[48];

	for (size_t i = 0; i < n; i++) {
		snprintf(want, sizeof(want), "(%s)", names[i]);
		if ((passed & (1u << i)) && strstr(msg, want))
			return 1;
	}
	return 0;
}

static void check_load(const struct shape *s, int rc, const ewasm_error *e)
{
	static const char *const names[] = {"max_functions",     "max_exports",
	                                    "max_locals",        "max_tables",
	                                    "max_elem_segments", "max_data_segments"};
	unsigned passed = (s->nfuncs > L_FUNCS) | (3 + s->nextra_exports > L_EXPORTS) << 1 |
	                  (1 + s->nlocals > L_LOCALS) << 2 | (s->ntables > L_TABLES) << 3 |
	                  (s->nelem > L_ELEM) << 4 | (s->ndata > L_DATA) << 5;

	if (!passed && rc != 0)
		abort(); /* a valid module within every limit must load */
	if (passed && (rc != EWASM_ERR_LIMIT || !names_passed(e->message, passed, names, 6)))
		abort();
}

/* Store totals of the instances made so far. */
struct totals {
	uint32_t tables, elems, memories, pages;
};

/* Instantiates once more; returns the instance, or NULL after a failure
 * the oracle expected. */
static ewasm_instance *instantiate(ewasm_store *st, ewasm_module *m, const struct shape *s,
                                   struct totals *t)
{
	static const char *const names[] = {"max_table_elems", "max_table_elems_total",
	                                    "max_tables",      "max_memory_pages",
	                                    "max_memories",    "max_memory_bytes"};
	uint32_t elems = 0, big = 0;
	ewasm_instance *inst = NULL;
	ewasm_error e;
	unsigned passed;
	int rc;

	for (uint32_t i = 0; i < s->ntables; i++) {
		elems += s->table_min[i];
		big |= s->table_min[i] > L_TABLE_ELEMS;
	}
	passed = big | (t->elems + elems > L_TABLE_TOTAL) << 1 |
	         (t->tables + s->ntables > L_TABLES) << 2 | (s->mem_pages > L_MEM_PAGES) << 3 |
	         (t->memories + 1 > L_MEMORIES) << 4 | (t->pages + s->mem_pages > L_MEM_TOTAL) << 5;
	memset(&e, 0, sizeof(e));
	rc = ewasm_instance_new(st, m, NULL, 0, &inst, NULL, &e);
	if (!passed && rc != 0)
		abort();
	if (passed && (rc != EWASM_ERR_LIMIT || !names_passed(e.message, passed, names, 6)))
		abort();
	if (rc)
		return NULL;
	t->tables += s->ntables;
	t->elems += elems;
	t->memories++;
	t->pages += s->mem_pages;
	return inst;
}

static int32_t call1(ewasm_instance *inst, const char *name, int32_t arg, ewasm_trap **trap)
{
	ewasm_func *f = ewasm_instance_func(inst, name);
	ewasm_val a = ewasm_val_i32(arg), r;

	if (!f)
		abort();
	*trap = NULL;
	if (ewasm_func_call(f, &a, 1, &r, 1, trap) != 0)
		return INT32_MIN;
	return r.of.i32;
}

/* The first instance recurses and grows; totals are the store's. */
static void run(ewasm_store *st, ewasm_instance *inst, const struct shape *s,
                const struct totals *t)
{
	/* slots a frame of rec takes: its locals and a few operands */
	uint64_t frame = 1 + s->nlocals + 8, frames = (uint64_t)s->depth + 1;
	int must_ok = frames + 1 < L_DEPTH && (frames + 1) * frame * 2 <= L_SLOTS;
	int must_trap = frames > L_DEPTH + 1;
	int32_t got, want;
	ewasm_trap *trap;

	ewasm_store_set_fuel(st, 1000000);
	got = call1(inst, "rec", (int32_t)s->depth, &trap);
	if (trap && ewasm_trap_get_kind(trap) != EWASM_TRAP_STACK_EXHAUSTED)
		abort();
	if ((must_ok && (trap || got != (int32_t)s->depth)) || (must_trap && !trap))
		abort();
	ewasm_trap_free(trap);
	/* memory.grow: -1 exactly past max_memory_pages or max_memory_bytes */
	want = s->mem_pages + s->grow > L_MEM_PAGES || t->pages + s->grow > L_MEM_TOTAL
	           ? -1
	           : (int32_t)s->mem_pages;
	got = call1(inst, "grow", (int32_t)s->grow, &trap);
	if (trap || got != want)
		abort();
	if (!s->ntables)
		return;
	want = s->table_min[0] + s->tgrow > L_TABLE_ELEMS || t->elems + s->tgrow > L_TABLE_TOTAL
	           ? -1
	           : (int32_t)s->table_min[0];
	got = call1(inst, "tgrow", (int32_t)s->tgrow, &trap);
	if (trap || got != want)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ewasm_engine *eng = engine();
	ewasm_instance *first = NULL, *inst;
	ewasm_module *m = NULL;
	struct gbuf mod = {0};
	struct totals t = {0};
	struct shape s;
	ewasm_error e;
	ewasm_store *st;
	int rc;

	if (!eng)
		return 0;
	choose(data, size, &s);
	build(&s, &mod);
	if (mod.oom) {
		free(mod.p);
		return 0;
	}
	memset(&e, 0, sizeof(e));
	rc = ewasm_module_new(eng, mod.p, mod.n, &m, &e);
	check_load(&s, rc, &e);
	free(mod.p);
	if (rc)
		return 0;
	st = ewasm_store_new(eng);
	if (!st) {
		ewasm_module_free(m);
		return 0;
	}
	for (uint32_t i = 0; i < s.ninst; i++) {
		inst = instantiate(st, m, &s, &t);
		if (!inst)
			break; /* a failed one may leave parts in the store */
		if (!first)
			first = inst;
	}
	if (first && t.memories == s.ninst)
		run(st, first, &s, &t);
	ewasm_store_free(st);
	ewasm_module_free(m);
	return 0;
}
