/* SPDX-License-Identifier: Apache-2.0 */
/*
 * Internal data structures of the WebAssembly engine, shared by the decoder
 * (decode.c), the validating compiler (compile.c), the interpreter
 * (interp.c), the runtime objects (runtime.c) and the memory layer (mem.h).
 * Nothing here is public; the embedder sees only include/enarx/wasm.h.
 */
#ifndef ENARX_WASM_INT_H
#define ENARX_WASM_INT_H

#include <enarx/wasm.h>
#include <setjmp.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct hset;

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* One value slot of a frame: every wasm value takes 8 bytes. */
typedef union slot {
	int32_t i32;
	uint32_t u32;
	int64_t i64;
	uint64_t u64;
	float f32;
	double f64;
	void *ref;
	uintptr_t uref;
} slot;

/* One word of compiled code: a handler address or packed operands. */
typedef union cword {
	const void *h;
	uint64_t u64;
	int64_t i64;
	struct {
		uint32_t a, b;
	} s;
} cword;

/* Internal operations (see ops.def). */
enum wop {
#define X(n) OP_##n,
#include "wasm/ops.def"
#undef X
	OP__COUNT
};

/* ---------------------------------------------------------------- module */

struct wtype {
	uint32_t nparams, nresults;
	uint8_t *params, *results; /* point into one allocation */
	ewasm_functype pub;
};

enum cexpr_op { CE_I32, CE_I64, CE_F32, CE_F64, CE_REFNULL, CE_REFFUNC, CE_GLOBAL };

/* A constant expression: in Wasm 2.0 always exactly one instruction. */
struct cexpr {
	uint8_t op;   /* enum cexpr_op */
	uint8_t type; /* value type produced */
	uint64_t val; /* constant bits, function index or global index */
};

struct wimport {
	char *module, *name;
	ewasm_externtype type;
	uint32_t typeidx; /* for functions */
};

struct wexport {
	char *name;
	uint32_t name_len; /* names may contain NUL bytes */
	ewasm_extern_kind kind;
	uint32_t index;
};

struct wglobal {
	ewasm_globaltype type;
	struct cexpr init;
};

enum seg_mode { SEG_ACTIVE, SEG_PASSIVE, SEG_DECLARATIVE };

struct welem {
	uint8_t mode, type;
	uint32_t table;
	struct cexpr offset;
	uint32_t count;
	struct cexpr *items;
};

struct wdata {
	uint8_t mode;
	uint32_t mem;
	struct cexpr offset;
	const uint8_t *bytes; /* into module->bytes */
	uint32_t len;
};

struct wcustom {
	char *name;
	const uint8_t *data;
	size_t len;
};

/* Code-offset map entry for backtraces: code word index -> module offset. */
struct pcmap {
	uint32_t pc;
	uint32_t off;
};

/* A compiled function body. */
struct wcode {
	uint32_t body_off, body_len; /* in module bytes */
	uint32_t nlocals;            /* declared locals (not params) */
	uint8_t *local_types;        /* params + locals */
	uint32_t nparams;
	uint32_t nconsts;     /* const slots after params+locals */
	uint32_t frame_slots; /* whole frame, incl. operand stack */
	uint64_t *consts;
	uint64_t *init; /* nlocals zeros, then the constants */
	uint32_t ninit;
	cword *code;
	uint32_t ncode;
	struct pcmap *pcmap;
	uint32_t npcmap;
	const void *native; /* machine code (jit.h), or NULL: interpreted */
};

struct ewasm_module {
	int refs;
	ewasm_engine *engine;
	uint8_t *bytes;
	size_t len;

	uint32_t ntypes;
	struct wtype *types;
	uint32_t nimports;
	struct wimport *imports;
	uint32_t nfuncs, nfunc_imports; /* nfuncs includes imports */
	uint32_t *func_type;            /* type index per function */
	uint32_t ntables, ntable_imports;
	ewasm_tabletype *tables;
	uint32_t nmems, nmem_imports;
	ewasm_memtype *mems;
	uint32_t nglobals, nglobal_imports;
	struct wglobal *globals;
	uint32_t nexports;
	struct wexport *exports;
	struct hset *export_names; /* name -> export index */
	uint32_t *global_imports;  /* import index of each imported global */
	int64_t start;             /* -1 if none */
	uint32_t nelems;
	struct welem *elems;
	bool has_datacount;
	uint32_t datacount;
	uint32_t ndatas;
	struct wdata *datas;
	uint32_t ncodes;
	struct wcode *codes;
	uint32_t ncustoms;
	struct wcustom *customs;
	char **func_names;    /* nfuncs entries, may be NULL */
	bool *func_declared;  /* function referenced outside code (ref.func ok) */
	bool checked;         /* compiled for explicit bounds checks */
	struct wasm_jit *jit; /* machine code of every function, or NULL */
};

/* --------------------------------------------------------------- runtime */

struct ewasm_engine {
	ewasm_config cfg;
	bool use_guard; /* memories use guard-page reservations */
};

struct ewasm_func {
	const struct wtype *type;
	ewasm_instance *inst; /* NULL for host functions */
	const struct wcode *code;
	uint32_t index; /* in its module */
	ewasm_host_fn host;
	void *user;
	void (*user_free)(void *);
	struct wtype own_type; /* host functions: copy of the signature */
	ewasm_store *store;
	struct ewasm_func *next_host;
};

struct ewasm_memory {
	uint8_t *base;
	uint64_t size; /* bytes */
	uint32_t pages;
	uint32_t max_pages; /* effective maximum */
	ewasm_memtype type;
	uint64_t reserved; /* bytes reserved (guard mode), 0 if malloc'ed */
	ewasm_store *store;
};

struct ewasm_table {
	uintptr_t *elems;
	uint32_t size;
	uint32_t max;
	ewasm_tabletype type;
	ewasm_store *store;
};

struct ewasm_global {
	slot v;
	ewasm_globaltype type;
	ewasm_store *store;
};

struct ewasm_instance {
	ewasm_module *module;
	ewasm_store *store;
	ewasm_func **funcs;
	ewasm_table **tables;
	ewasm_memory **mems;
	ewasm_global **globals;
	slot **gvals; /* &globals[i]->v, for the interpreter */
	const struct wtype **types;
	uint32_t *data_len;    /* per data segment; 0 once dropped */
	uint32_t *elem_len;    /* per elem segment; 0 once dropped */
	uintptr_t **elem_vals; /* resolved references per elem segment */
};

/* A call frame record: where to resume when the callee returns. */
struct frame {
	const cword *ret_pc; /* caller's pc (NULL: return to C) */
	slot *fp;            /* caller's frame */
	ewasm_func *fn;      /* caller */
};

struct ewasm_caller {
	ewasm_store *store;
	ewasm_instance *inst;
};

struct ewasm_trap {
	ewasm_trap_kind kind;
	int exit_code;
	char *message;
	size_t nframes;
	ewasm_frame *frames;
};

enum wobj_kind { OBJ_FUNC, OBJ_MEM, OBJ_TABLE, OBJ_GLOBAL, OBJ_INST };

struct wobj {
	uint8_t kind;
	void *p;
};

struct ewasm_store {
	ewasm_engine *engine;
	void *data;
	atomic_int interrupt;
	uint64_t fuel;

	slot *stack; /* value stack */
	slot *stack_end;
	slot *stack_top; /* first free slot for a nested run */
	struct frame *frames;
	uint32_t nframes, max_frames;

	uint32_t run_depth; /* nested wasm__run()s (host -> wasm) */
	bool host_trap_set; /* ewasm_caller_trap/exit was called */

	/* objects owned by the store */
	struct wobj *objs;
	size_t nobjs, capobjs;
	/* what they use, against the store limits of ewasm_config */
	uint64_t mem_bytes, table_elems;
	uint32_t nmems, ntables;

	/* trap being raised */
	ewasm_trap_kind trap_kind;
	int exit_code;
	char trap_msg[256];      /* host trap message */
	const char *trap_detail; /* overrides the kind's message */
	ewasm_trap *pending;     /* trap built by the last failed run */
	const cword *trap_pc;
	uintptr_t jit_stack_limit; /* compiled code traps below this sp */
};

/* ------------------------------------------------------------ internals */

/* decode.c: parse module structure; function bodies only located. */
int wasm__decode(ewasm_module *m, ewasm_error *err);
/* Type of global `i` of the module (imports first). */
const ewasm_globaltype *wasm__global_type(const ewasm_module *m, uint32_t i);
/* compile.c: validate and compile every function body. */
int wasm__compile(ewasm_module *m, ewasm_error *err);
void wasm__code_free(struct wcode *c);
/* Sets the error detail; returns code. */
int wasm__err(ewasm_error *err, int code, uint64_t off, uint32_t fn, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* interp.c */
/* Handler table of the interpreter (checked = explicit bounds checks). */
const void *const *wasm__handlers(bool checked);
/* Runs `fn` with arguments already in `fp[0..]`; results end in fp[0..].
 * Returns 0 or EWASM_ERR_TRAP (details in store->trap_*). */
int wasm__run(ewasm_store *s, ewasm_func *fn, slot *fp);
#ifdef WASM_PROFILE
/* Development aid (never built by meson): the profiler a developer links
 * in counts executed op pairs; interp_body.inc calls it per dispatch. */
void wasm__prof(const void *h, const ewasm_func *f);
#endif
/* The interpreter alone, inside a run's recovery point (a compiled
 * function calling an interpreted one). Returns 0 or EWASM_ERR_TRAP. */
int wasm__interp(ewasm_store *s, ewasm_func *fn, slot *fp);

/* runtime.c */
bool wasm__type_eq(const struct wtype *a, const struct wtype *b);
int wasm__call_host(ewasm_store *s, ewasm_func *fn, slot *args, ewasm_instance *caller);
int wasm__memory_grow(ewasm_memory *m, uint32_t delta);
int wasm__table_grow(ewasm_table *t, uint32_t delta, uintptr_t init);
int wasm__store_add(ewasm_store *s, int kind, void *p);
/* Create a memory/table in `s` within the store limits; EWASM_ERR_LIMIT
 * (detail in *err if not NULL) or EWASM_ERR_NOMEM. */
int wasm__memory_make(ewasm_store *s, const ewasm_memtype *type, ewasm_memory **out,
                      ewasm_error *err);
int wasm__table_make(ewasm_store *s, const ewasm_tabletype *type, uintptr_t init, ewasm_table **out,
                     ewasm_error *err);
/* `v` with thousands separators ("10,000,000") in buf; returns buf. */
const char *wasm__count(uint64_t v, char *buf, size_t size);
/* instance.c */
void wasm__instance_free(ewasm_instance *inst);

/* ------------------------------------------------------------- reader */

#include "lib/cursor.h"

/* A cursor over module bytes whose errors unwind (longjmp) to the decoder's
 * or compiler's single exit, which frees what was built. This keeps the
 * many small reads of the binary format free of error plumbing. */
struct rd {
	struct cursor c;
	jmp_buf *jb;
	ewasm_error *err;
	uint32_t fn; /* function index being compiled, or UINT32_MAX */
};

_Noreturn void wasm__fail(struct rd *r, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
uint8_t wasm__u8(struct rd *r);
uint32_t wasm__u32(struct rd *r);
int32_t wasm__s32(struct rd *r);
int64_t wasm__s33(struct rd *r);
int64_t wasm__s64(struct rd *r);
uint32_t wasm__f32(struct rd *r);
uint64_t wasm__f64(struct rd *r);
uint8_t wasm__valtype(struct rd *r);
/* Reads a constant expression (through `end`); validation of its type and
 * references is done by the caller. */
void wasm__cexpr(struct rd *r, const ewasm_module *m, struct cexpr *e, uint32_t nglobals_visible);
/* True for the opcodes Wasm 2.0 (without SIMD) defines. */
bool wasm__opcode_known(uint8_t op);
#define RD_OFF(r) ((uint64_t)cursor_offset(&(r)->c))

#endif
