/* SPDX-License-Identifier: Apache-2.0 */
/*
 * enarx/wasm.h: public embedder API of the Enarx WebAssembly engine.
 *
 * The engine loads WebAssembly 2.0 core modules (no SIMD), validates them,
 * compiles every function once into a fast internal form, and runs them in
 * an interpreter. It has no OS dependency besides one small file that
 * reserves linear memory and turns guard-page faults into traps.
 *
 * Object model and ownership (wasmtime-like):
 *   ewasm_engine   configuration and limits; immutable; shared by modules and
 *                  stores. Must outlive everything made from it.
 *   ewasm_module   decoded + validated + compiled module; immutable. May be
 *                  freed while instances of it are alive (they keep a
 *                  reference internally).
 *   ewasm_store    owns every runtime object: instances, functions, memories,
 *                  tables, globals. All of them live until ewasm_store_free().
 *                  A store is used by one thread at a time, except
 *                  ewasm_store_interrupt(), which any thread may call.
 *   ewasm_linker   name -> extern map used to resolve imports; optional.
 *   ewasm_trap     result of a failed call; owned by the caller, freed with
 *                  ewasm_trap_free().
 *
 * Functions return 0 on success or a negative EWASM_ERR_* code.
 * Strings are UTF-8; names given as `const char *` are NUL-terminated.
 */
#ifndef ENARX_WASM_H
#define ENARX_WASM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- errors */

enum {
	EWASM_OK = 0,
	EWASM_ERR_NOMEM = -1,     /* allocation failed */
	EWASM_ERR_MALFORMED = -2, /* bytes are not a well-formed binary module */
	EWASM_ERR_INVALID = -3,   /* module is well-formed but fails validation */
	EWASM_ERR_LINK = -4,      /* an import is missing or has the wrong type */
	EWASM_ERR_TRAP = -5,      /* execution trapped (see ewasm_trap) */
	EWASM_ERR_NOTFOUND = -6,  /* no export / import / section of that name */
	EWASM_ERR_ARG = -7,       /* bad argument: wrong count, type, index */
	EWASM_ERR_LIMIT = -8,     /* a configured limit was exceeded */
	EWASM_ERR_RANGE = -9,     /* out-of-bounds memory/table access via API */
	EWASM_ERR_IMMUTABLE = -10 /* write to an immutable global */
};

/* Returns a static English message for an EWASM_ERR_* code. */
const char *ewasm_strerror(int code);

/*
 * Detail of a load/link error. `offset` is the byte offset in the module
 * where the problem was found (or UINT64_MAX if not applicable), and
 * `func_index` the function index (imports included) whose body is wrong
 * (or UINT32_MAX). `message` is always NUL-terminated, e.g.
 * "type mismatch: expected i32, found i64".
 */
typedef struct ewasm_error {
	int code;
	uint64_t offset;
	uint32_t func_index;
	char message[256];
} ewasm_error;

/* ----------------------------------------------------------------- values */

typedef enum ewasm_valtype {
	EWASM_I32 = 0x7f,
	EWASM_I64 = 0x7e,
	EWASM_F32 = 0x7d,
	EWASM_F64 = 0x7c,
	EWASM_V128 = 0x7b, /* decoded only; SIMD is not supported yet */
	EWASM_FUNCREF = 0x70,
	EWASM_EXTERNREF = 0x6f
} ewasm_valtype;

typedef struct ewasm_func ewasm_func;
typedef struct ewasm_memory ewasm_memory;
typedef struct ewasm_table ewasm_table;
typedef struct ewasm_global ewasm_global;
typedef struct ewasm_instance ewasm_instance;
typedef struct ewasm_module ewasm_module;
typedef struct ewasm_engine ewasm_engine;
typedef struct ewasm_store ewasm_store;
typedef struct ewasm_linker ewasm_linker;
typedef struct ewasm_trap ewasm_trap;
typedef struct ewasm_caller ewasm_caller;

/*
 * A typed value. Floats are carried as their exact bit patterns (`f32`,
 * `f64`), so NaN payloads survive every API boundary; use ewasm_val_f32() /
 * ewasm_val_f64() / ewasm_val_as_f32() / ewasm_val_as_f64() to convert.
 * `funcref` is NULL for ref.null func. `externref` is an opaque host word;
 * 0 is ref.null extern, any other value is a non-null reference that the
 * engine passes around unchanged.
 */
typedef struct ewasm_val {
	uint8_t type; /* ewasm_valtype */
	union {
		int32_t i32;
		int64_t i64;
		uint32_t f32;
		uint64_t f64;
		ewasm_func *funcref;
		uintptr_t externref;
	} of;
} ewasm_val;

static inline ewasm_val ewasm_val_i32(int32_t v)
{
	ewasm_val r;
	r.type = EWASM_I32;
	r.of.i64 = 0;
	r.of.i32 = v;
	return r;
}
static inline ewasm_val ewasm_val_i64(int64_t v)
{
	ewasm_val r;
	r.type = EWASM_I64;
	r.of.i64 = v;
	return r;
}
static inline ewasm_val ewasm_val_f32_bits(uint32_t bits)
{
	ewasm_val r;
	r.type = EWASM_F32;
	r.of.i64 = 0;
	r.of.f32 = bits;
	return r;
}
static inline ewasm_val ewasm_val_f64_bits(uint64_t bits)
{
	ewasm_val r;
	r.type = EWASM_F64;
	r.of.f64 = bits;
	return r;
}
static inline ewasm_val ewasm_val_f32(float f)
{
	union {
		float f;
		uint32_t u;
	} c;
	c.f = f;
	return ewasm_val_f32_bits(c.u);
}
static inline ewasm_val ewasm_val_f64(double d)
{
	union {
		double d;
		uint64_t u;
	} c;
	c.d = d;
	return ewasm_val_f64_bits(c.u);
}
static inline float ewasm_val_as_f32(const ewasm_val *v)
{
	union {
		float f;
		uint32_t u;
	} c;
	c.u = v->of.f32;
	return c.f;
}
static inline double ewasm_val_as_f64(const ewasm_val *v)
{
	union {
		double d;
		uint64_t u;
	} c;
	c.u = v->of.f64;
	return c.d;
}
static inline ewasm_val ewasm_val_funcref(ewasm_func *f)
{
	ewasm_val r;
	r.type = EWASM_FUNCREF;
	r.of.i64 = 0;
	r.of.funcref = f;
	return r;
}
static inline ewasm_val ewasm_val_externref(uintptr_t x)
{
	ewasm_val r;
	r.type = EWASM_EXTERNREF;
	r.of.i64 = 0;
	r.of.externref = x;
	return r;
}

/* Name of a value type ("i32", "funcref", ...); "?" if unknown. */
const char *ewasm_valtype_name(uint8_t type);

/* ------------------------------------------------------------------ types */

/* A function signature. Arrays are borrowed; see each function's lifetime. */
typedef struct ewasm_functype {
	uint32_t nparams;
	uint32_t nresults;
	const uint8_t *params;  /* ewasm_valtype each */
	const uint8_t *results; /* ewasm_valtype each */
} ewasm_functype;

typedef struct ewasm_limits {
	uint32_t min;
	uint32_t max; /* meaningful only if has_max */
	uint8_t has_max;
} ewasm_limits;

typedef struct ewasm_tabletype {
	uint8_t elem; /* EWASM_FUNCREF or EWASM_EXTERNREF */
	ewasm_limits limits;
} ewasm_tabletype;

typedef struct ewasm_memtype {
	ewasm_limits limits; /* in 64 KiB pages */
} ewasm_memtype;

typedef struct ewasm_globaltype {
	uint8_t type; /* ewasm_valtype */
	uint8_t mutable_;
} ewasm_globaltype;

typedef enum ewasm_extern_kind {
	EWASM_EXTERN_FUNC = 0,
	EWASM_EXTERN_TABLE = 1,
	EWASM_EXTERN_MEMORY = 2,
	EWASM_EXTERN_GLOBAL = 3
} ewasm_extern_kind;

/* A reference to a store object of any kind (borrowed; the store owns it). */
typedef struct ewasm_extern {
	ewasm_extern_kind kind;
	union {
		ewasm_func *func;
		ewasm_table *table;
		ewasm_memory *memory;
		ewasm_global *global;
	} of;
} ewasm_extern;

/* Description of one import or export of a module (borrowed from module). */
typedef struct ewasm_externtype {
	ewasm_extern_kind kind;
	union {
		ewasm_functype func;
		ewasm_tabletype table;
		ewasm_memtype memory;
		ewasm_globaltype global;
	} of;
} ewasm_externtype;

/* ----------------------------------------------------------------- engine */

/* How functions run (ewasm_config.engine). */
typedef enum ewasm_engine_mode {
	/* The interpreter: the reference implementation. */
	EWASM_ENGINE_INTERP = 0,
	/* The baseline compiler: each function compiled to machine code at
	 * load (x86-64 only). A module it cannot compile (an unsupported op,
	 * no executable memory in this sandbox, another architecture) runs in
	 * the interpreter, with the reason logged at debug level; results,
	 * traps, code offsets and limits are the interpreter's either way. */
	EWASM_ENGINE_JIT = 1
} ewasm_engine_mode;

typedef struct ewasm_config {
	/*
	 * Limits. A workload must not be able to take more of the host than
	 * its owner allows, so every resource a module can ask for is
	 * capped, the way wasmtime's StoreLimits/ResourceLimiter and
	 * wasmparser's limits do. Contract:
	 *  - Module limits (max_functions, max_exports, max_locals,
	 *    max_data_segments, max_elem_segments, and max_tables for the
	 *    tables a module declares) are checked by ewasm_module_new():
	 *    EWASM_ERR_LIMIT, with a message naming the limit, e.g.
	 *    "export limit: the module has 200,001 exports, more than the
	 *    200,000 allowed (max_exports)".
	 *  - Store limits (memories, tables, their sizes) are checked when an
	 *    object is created: ewasm_instance_new() fails with
	 *    EWASM_ERR_LIMIT and a message naming the limit, e.g. "table
	 *    limit: 50 tables of 500,000,000 elements in all exceed the
	 *    10,000,000-element total (max_table_elems_total)";
	 *    ewasm_memory_new()/ewasm_table_new() return NULL.
	 *  - Growing past a limit is a failed grow, not a trap:
	 *    memory.grow and table.grow return -1 (as the spec allows),
	 *    ewasm_memory_grow()/ewasm_table_grow() return EWASM_ERR_LIMIT.
	 * Defaults are generous enough for every real program we know of
	 * (clang/wasi-libc output, the spec suite) and small enough that a
	 * hostile module cannot multiply its own size into gigabytes.
	 * Always start from ewasm_config_init(): fields are taken literally
	 * (0 means nothing of that kind is allowed).
	 */

	/* Upper bound on any memory's size in pages, applied on top of the
	 * module's own maximum (default 65536 = 4 GiB, the wasm32 maximum). */
	uint32_t max_memory_pages;
	/* Upper bound on any table's size in elements (default 10,000,000:
	 * 80 MB of references; larger tables are not seen in practice). */
	uint32_t max_table_elems;
	/* Maximum nesting of wasm calls; deeper calls trap with
	 * EWASM_TRAP_STACK_EXHAUSTED (default 100,000). */
	uint32_t max_call_depth;
	/* Size of the value stack in 8-byte slots, which holds every frame's
	 * locals and operands; overflow traps with EWASM_TRAP_STACK_EXHAUSTED
	 * (default 4 Mi slots = 32 MiB, allocated lazily by the OS). */
	uint32_t max_value_slots;
	/* 1: count fuel (see ewasm_store_set_fuel); 0: no fuel (default). */
	uint8_t consume_fuel;
	/* 1: always use explicit bounds checks on memory accesses instead of
	 * guard pages (default 0: guard pages where the platform allows). */
	uint8_t force_bounds_checks;
	/* 1: compile every instruction on its own, without the fused
	 * superinstructions and immediate forms (slower; the engine's tests
	 * use it as a reference for the fused code). Default 0. */
	uint8_t no_fusion;

	/* Store: bytes of all linear memories of one store together, at
	 * creation and after every grow (default 4 GiB: one full wasm32
	 * memory, what a program built for wasm32 can address). */
	uint64_t max_memory_bytes;
	/* Store: linear memories created in one store (default 10,000; each
	 * reserves 8 GiB of address space in guard-page mode). */
	uint32_t max_memories;
	/* Store: tables created in one store; module: tables a module
	 * imports and defines (default 10,000). */
	uint32_t max_tables;
	/* Store: elements of all tables of one store together, at creation
	 * and after every grow (default 10,000,000 = 80 MB, the same as one
	 * largest table, so many tables cannot multiply it). */
	uint64_t max_table_elems_total;
	/* Module: functions, imported ones included (default 1,000,000). */
	uint32_t max_functions;
	/* Module: exports (default 1,000,000; names are checked for
	 * duplicates in linear time). */
	uint32_t max_exports;
	/* Module: locals of one function, parameters included (default
	 * 50,000, as wasmparser; each takes a value-stack slot per call). */
	uint32_t max_locals;
	/* Module: data segments and element segments (default 100,000 each,
	 * as wasmparser). */
	uint32_t max_data_segments;
	uint32_t max_elem_segments;
	/* An ewasm_engine_mode (default EWASM_ENGINE_INTERP, or what the
	 * environment variable ENARX_WASM_ENGINE says: "jit" or "interp"). */
	uint8_t engine;
} ewasm_config;

/* Fills `cfg` with the defaults above (src/wasm/README.md, "Limits",
 * has the same list) and the engine mode
 * (reads ENARX_WASM_ENGINE). */
void ewasm_config_init(ewasm_config *cfg);

/*
 * Creates an engine. `cfg` may be NULL for defaults; it is copied.
 * Returns NULL on allocation failure. Free with ewasm_engine_free() after
 * every module and store made from it.
 */
ewasm_engine *ewasm_engine_new(const ewasm_config *cfg);
void ewasm_engine_free(ewasm_engine *engine); /* accepts NULL */

/* ----------------------------------------------------------------- module */

/*
 * Decodes, validates and compiles `len` bytes of a binary module. The bytes
 * are copied as needed; the caller keeps ownership of `bytes`.
 * On success stores a new module in *out and returns 0. On failure returns
 * EWASM_ERR_MALFORMED, EWASM_ERR_INVALID, EWASM_ERR_LIMIT or
 * EWASM_ERR_NOMEM, and fills *err if `err` is not NULL.
 */
int ewasm_module_new(ewasm_engine *engine, const uint8_t *bytes, size_t len, ewasm_module **out,
                     ewasm_error *err);

/* Like ewasm_module_new() without keeping the result. */
int ewasm_module_validate(ewasm_engine *engine, const uint8_t *bytes, size_t len, ewasm_error *err);

/* Drops the caller's reference; accepts NULL. */
void ewasm_module_free(ewasm_module *module);

/*
 * Imports and exports, in module order. Names and types are borrowed and
 * live as long as the module. Return 0 or EWASM_ERR_ARG for a bad index.
 */
uint32_t ewasm_module_import_count(const ewasm_module *module);
int ewasm_module_import(const ewasm_module *module, uint32_t index, const char **module_name,
                        const char **name, ewasm_externtype *type);
uint32_t ewasm_module_export_count(const ewasm_module *module);
int ewasm_module_export(const ewasm_module *module, uint32_t index, const char **name,
                        ewasm_externtype *type);

/* Export name with its length in bytes (names may contain NUL bytes). */
int ewasm_module_export_name(const ewasm_module *module, uint32_t index, const char **name,
                             size_t *len);

/*
 * Finds the `nth` (0-based) custom section called `name`. On success sets
 * *data and *len to its payload (borrowed, lives as long as the module).
 * Returns EWASM_ERR_NOTFOUND if there is no such section.
 */
int ewasm_module_custom_section(const ewasm_module *module, const char *name, uint32_t nth,
                                const uint8_t **data, size_t *len);

/* Name of function `func_index` from the `name` section, or NULL. */
const char *ewasm_module_func_name(const ewasm_module *module, uint32_t func_index);

/* ------------------------------------------------------------------ store */

/* Creates a store for `engine`; NULL on allocation failure. */
ewasm_store *ewasm_store_new(ewasm_engine *engine);
/* Frees the store and every object in it; accepts NULL. */
void ewasm_store_free(ewasm_store *store);

/*
 * Fuel (only if the engine was made with consume_fuel = 1): each function
 * entry and each loop iteration consumes one unit; at zero, execution traps
 * with EWASM_TRAP_OUT_OF_FUEL. set_fuel returns EWASM_ERR_ARG if fuel is
 * not enabled.
 */
int ewasm_store_set_fuel(ewasm_store *store, uint64_t fuel);
uint64_t ewasm_store_get_fuel(const ewasm_store *store);

/*
 * Asks running code in `store` to stop: it traps with
 * EWASM_TRAP_INTERRUPTED at the next function entry or loop iteration.
 * Safe to call from any thread or a signal handler. The flag stays set
 * (later calls trap at once) until ewasm_store_clear_interrupt().
 */
void ewasm_store_interrupt(ewasm_store *store);
void ewasm_store_clear_interrupt(ewasm_store *store);

/* An embedder pointer attached to the store, given back to host functions
 * via ewasm_caller_store(); not owned. */
void ewasm_store_set_data(ewasm_store *store, void *data);
void *ewasm_store_get_data(const ewasm_store *store);

/* --------------------------------------------------------- host functions */

/*
 * A host function. `args` holds the parameters, `results` room for the
 * results (the callee must set each one, with the right type tag, which the
 * engine pre-fills). Return 0 on success, or the value of
 * ewasm_caller_trap() / ewasm_caller_exit() to stop the guest.
 * A host function may call back into wasm (ewasm_func_call) in the same
 * store; the call depth limit covers the nesting.
 */
typedef int (*ewasm_host_fn)(ewasm_caller *caller, const ewasm_val *args, ewasm_val *results,
                             void *user);

/*
 * Creates a host function in `store` with signature `type` (copied).
 * `user` is passed to `fn`; `user_free` (may be NULL) is called on it when
 * the store is freed. Returns NULL on allocation failure.
 */
ewasm_func *ewasm_func_new_host(ewasm_store *store, const ewasm_functype *type, ewasm_host_fn fn,
                                void *user, void (*user_free)(void *));

/* Store and instance of the wasm code that called the host function
 * (instance is NULL when called directly through ewasm_func_call). */
ewasm_store *ewasm_caller_store(ewasm_caller *caller);
ewasm_instance *ewasm_caller_instance(ewasm_caller *caller);

/*
 * Memory 0 of the calling instance: returns its base and sets *size to its
 * length in bytes, or returns NULL (size 0) if it has none. The pointer is
 * valid until the guest's memory grows (any call back into wasm).
 */
uint8_t *ewasm_caller_memory(ewasm_caller *caller, size_t *size);

/* Checked guest range: pointer to [addr, addr+len) in the caller's memory 0,
 * or NULL if any byte is out of bounds (or there is no memory). */
void *ewasm_caller_ptr(ewasm_caller *caller, uint64_t addr, uint64_t len);

/* Makes the call trap with EWASM_TRAP_HOST and a printf-style message.
 * Returns the value the host function must return. */
int ewasm_caller_trap(ewasm_caller *caller, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* Requests exit (for WASI proc_exit): the outermost call fails with a trap
 * of kind EWASM_TRAP_EXIT carrying `code`. Returns the value the host
 * function must return. */
int ewasm_caller_exit(ewasm_caller *caller, int code);

/* ------------------------------------------------------------- functions */

/* Signature of `func` (borrowed; lives as long as the store). */
const ewasm_functype *ewasm_func_type(const ewasm_func *func);

/*
 * Calls `func` with `nargs` arguments, writing `nresults` results.
 * Counts and types must match the signature exactly, else EWASM_ERR_ARG.
 * On a trap returns EWASM_ERR_TRAP and, if `trap` is not NULL, stores a new
 * ewasm_trap in *trap (caller frees it); results are then undefined.
 */
int ewasm_func_call(ewasm_func *func, const ewasm_val *args, size_t nargs, ewasm_val *results,
                    size_t nresults, ewasm_trap **trap);

/* ------------------------------------------------------------------ traps */

typedef enum ewasm_trap_kind {
	EWASM_TRAP_UNREACHABLE = 1,
	EWASM_TRAP_DIV_BY_ZERO,        /* integer divide by zero */
	EWASM_TRAP_INT_OVERFLOW,       /* integer overflow */
	EWASM_TRAP_INVALID_CONVERSION, /* invalid conversion to integer */
	EWASM_TRAP_OOB_MEMORY,         /* out of bounds memory access */
	EWASM_TRAP_OOB_TABLE,          /* out of bounds table access,
					    undefined element */
	EWASM_TRAP_INDIRECT_MISMATCH,  /* indirect call type mismatch */
	EWASM_TRAP_NULL_REF,           /* uninitialized element, null ref */
	EWASM_TRAP_STACK_EXHAUSTED,    /* call stack exhausted */
	EWASM_TRAP_INTERRUPTED,        /* ewasm_store_interrupt() */
	EWASM_TRAP_OUT_OF_FUEL,        /* fuel ran out */
	EWASM_TRAP_HOST,               /* ewasm_caller_trap() */
	EWASM_TRAP_EXIT,               /* ewasm_caller_exit() */
	EWASM_TRAP_OOM                 /* engine ran out of memory mid-call */
} ewasm_trap_kind;

/* One wasm frame of a trap backtrace, innermost first. */
typedef struct ewasm_frame {
	uint32_t func_index;   /* in its module's function index space */
	const char *func_name; /* from the name section, or NULL */
	uint32_t code_offset;  /* byte offset in the module of the instruction
				  executing (callers: the call), or 0 if
				  unknown */
} ewasm_frame;

ewasm_trap_kind ewasm_trap_get_kind(const ewasm_trap *trap);
/* Message: the spec's wording for engine traps ("integer divide by zero",
 * "out of bounds memory access", ...), the host's text for host traps. */
const char *ewasm_trap_message(const ewasm_trap *trap);
/* Exit code for EWASM_TRAP_EXIT, 0 otherwise. */
int ewasm_trap_exit_code(const ewasm_trap *trap);
size_t ewasm_trap_frame_count(const ewasm_trap *trap);
/* Frame `i` (0 = innermost); EWASM_ERR_ARG if out of range. Strings are
 * borrowed from the trap. */
int ewasm_trap_frame(const ewasm_trap *trap, size_t i, ewasm_frame *out);
void ewasm_trap_free(ewasm_trap *trap); /* accepts NULL */

/* -------------------------------------------------------------- instances */

/*
 * Instantiates `module` in `store` with `imports` given in the module's
 * import order (ewasm_module_import). Checks each import's kind and type
 * (EWASM_ERR_LINK with a message in *err), allocates memories, tables and
 * globals, applies element and data segments and runs the start function.
 * A trap while doing so (out-of-bounds segment, trapping start function)
 * returns EWASM_ERR_TRAP and sets *trap if not NULL; objects already
 * created stay in the store (as the spec says). The instance is owned by
 * the store.
 */
int ewasm_instance_new(ewasm_store *store, ewasm_module *module, const ewasm_extern *imports,
                       size_t nimports, ewasm_instance **out, ewasm_trap **trap, ewasm_error *err);

/* Looks up export `name`: 0 and *out set, or EWASM_ERR_NOTFOUND. */
int ewasm_instance_export(const ewasm_instance *inst, const char *name, ewasm_extern *out);
/* Same for a name of `len` bytes that may contain NUL bytes. */
int ewasm_instance_export_n(const ewasm_instance *inst, const char *name, size_t len,
                            ewasm_extern *out);
uint32_t ewasm_instance_export_count(const ewasm_instance *inst);
/* Export by index; *name is borrowed from the module. */
int ewasm_instance_export_at(const ewasm_instance *inst, uint32_t index, const char **name,
                             ewasm_extern *out);
const ewasm_module *ewasm_instance_module(const ewasm_instance *inst);

/* Typed shortcuts: NULL if absent or of another kind. */
ewasm_func *ewasm_instance_func(const ewasm_instance *inst, const char *name);
ewasm_memory *ewasm_instance_memory(const ewasm_instance *inst, const char *name);
ewasm_table *ewasm_instance_table(const ewasm_instance *inst, const char *name);
ewasm_global *ewasm_instance_global(const ewasm_instance *inst, const char *name);

/* ----------------------------------------------------------------- linker */

/* A linker resolves imports by (module, name) for one store. */
ewasm_linker *ewasm_linker_new(ewasm_store *store);
void ewasm_linker_free(ewasm_linker *linker); /* accepts NULL */

/* Defines (module, name) -> ext; a later definition replaces an earlier
 * one. Names are copied. */
int ewasm_linker_define(ewasm_linker *linker, const char *module, const char *name,
                        const ewasm_extern *ext);

/* Shortcut: ewasm_func_new_host() + ewasm_linker_define(). */
int ewasm_linker_define_func(ewasm_linker *linker, const char *module, const char *name,
                             const ewasm_functype *type, ewasm_host_fn fn, void *user);

/* Defines every export of `inst` under module name `module` (the spec's
 * `register`). */
int ewasm_linker_define_instance(ewasm_linker *linker, const char *module, ewasm_instance *inst);

/* Resolves the module's imports in the linker (EWASM_ERR_LINK naming the
 * first missing import) and calls ewasm_instance_new(). */
int ewasm_linker_instantiate(ewasm_linker *linker, ewasm_module *module, ewasm_instance **out,
                             ewasm_trap **trap, ewasm_error *err);

/* ----------------------------------------------------------------- memory */

#define EWASM_PAGE_SIZE 65536u

/* Creates a standalone memory (e.g. to import); NULL on failure (no
 * memory, or a store limit: max_memories, max_memory_pages,
 * max_memory_bytes). */
ewasm_memory *ewasm_memory_new(ewasm_store *store, const ewasm_memtype *type);
/* Base address (valid until the next grow) and size in bytes / pages. */
uint8_t *ewasm_memory_data(ewasm_memory *mem);
size_t ewasm_memory_size(const ewasm_memory *mem);
uint32_t ewasm_memory_pages(const ewasm_memory *mem);
ewasm_memtype ewasm_memory_type(const ewasm_memory *mem);
/* Grows by `delta` pages; *old_pages (may be NULL) gets the old size.
 * EWASM_ERR_LIMIT if it would pass the maximum or max_memory_bytes. */
int ewasm_memory_grow(ewasm_memory *mem, uint32_t delta, uint32_t *old_pages);
/* Copy out of / into memory; EWASM_ERR_RANGE if out of bounds. */
int ewasm_memory_read(const ewasm_memory *mem, uint64_t offset, void *dst, size_t len);
int ewasm_memory_write(ewasm_memory *mem, uint64_t offset, const void *src, size_t len);

/* ------------------------------------------------------------------ table */

/* Creates a table filled with `init` (of the table's element type); NULL
 * on failure (no memory, a wrong `init`, or a store limit: max_tables,
 * max_table_elems, max_table_elems_total). */
ewasm_table *ewasm_table_new(ewasm_store *store, const ewasm_tabletype *type, ewasm_val init);
uint32_t ewasm_table_size(const ewasm_table *table);
ewasm_tabletype ewasm_table_type(const ewasm_table *table);
/* Element access; EWASM_ERR_RANGE out of bounds, EWASM_ERR_ARG wrong type. */
int ewasm_table_get(const ewasm_table *table, uint32_t index, ewasm_val *out);
int ewasm_table_set(ewasm_table *table, uint32_t index, ewasm_val val);
/* Grows by `delta` filled with `init`; EWASM_ERR_LIMIT past the maximum
 * or max_table_elems_total. */
int ewasm_table_grow(ewasm_table *table, uint32_t delta, ewasm_val init, uint32_t *old_size);

/* ----------------------------------------------------------------- global */

/* Creates a global holding `val` (its type must match). */
ewasm_global *ewasm_global_new(ewasm_store *store, const ewasm_globaltype *type, ewasm_val val);
ewasm_globaltype ewasm_global_type(const ewasm_global *global);
void ewasm_global_get(const ewasm_global *global, ewasm_val *out);
/* EWASM_ERR_IMMUTABLE for a const global, EWASM_ERR_ARG for a wrong type. */
int ewasm_global_set(ewasm_global *global, ewasm_val val);

#ifdef __cplusplus
}
#endif

#endif /* ENARX_WASM_H */
