/* The binary interface between the aot host and the shared objects it compiles.
 *
 * This one header is read by both sides: the host includes it, and the code generator pastes it
 * verbatim into every generated module, so the two can never disagree. It must stay plain C.
 *
 * A compiled module exports exactly one symbol, `actr_glue_module` (an actr_glue_module_t); the
 * host never includes wasm2c's per-module headers. Every import of the module is a function
 * defined by the generated glue that reads its target from a host-filled slot. */
#ifndef ACTR_WASM_AOT_GLUE_ABI_H_
#define ACTR_WASM_AOT_GLUE_ABI_H_

#include <setjmp.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a layout below changes; also part of the cache key. */
#define ACTR_GLUE_ABI_VERSION 4u

/* Trap codes beyond wasm2c's wasm_rt_trap_t, raised by patched helpers and by the runtime. */
enum {
  ACTR_TRAP_TABLE_OOB = 100,
  ACTR_TRAP_UNINITIALIZED_ELEMENT = 101,
  ACTR_TRAP_INDIRECT_CALL_TYPE = 102,
  ACTR_TRAP_HOST = 103,
  ACTR_TRAP_DEADLINE = 104,
  ACTR_TRAP_MEMORY_LIMIT = 105,
  ACTR_TRAP_UNSUPPORTED_VALUE = 106,
  ACTR_TRAP_POISONED = 107,
  ACTR_TRAP_UNDEFINED_ELEMENT = 108
};

enum {
  ACTR_EXTERN_FUNC = 0,
  ACTR_EXTERN_TABLE = 1,
  ACTR_EXTERN_MEMORY = 2,
  ACTR_EXTERN_GLOBAL = 3,
  ACTR_EXTERN_TAG = 4
};

/* Where a throw lands: the innermost try of the thread's running guest code. The generated code
 * fills it at each try (_setjmp, and the call budget of the try's frame); the runtime's throw
 * restores the budget and longjmps there. Entries and host calls save and clear the thread's
 * target, so an exception never unwinds past the host. */
typedef struct actr_unwind_target {
  jmp_buf jmp;
  uint32_t call_budget;
} actr_unwind_target_t;

typedef void (*actr_generic_fn_t)(void);

/* Calls a function with its arguments in slots[0..params) and writes its results to
 * slots[0..results); the caller sizes `slots` for max(params, results). */
typedef void (*actr_trampoline_t)(void* instance, uint64_t* slots);

/* A host function called from guest code; args and results never alias. */
typedef void (*actr_host_call_t)(void* target, const uint64_t* args, uint64_t* results);

/* What one import resolves to. Functions: `typed` != NULL means another compiled function,
 * called directly as typed(target, args...); otherwise host(target, args, results). Memories,
 * tables and globals: `target` points at the wasm_rt_memory_t / table / global value; tags: at the
 * defining instance's registered tag id (a uint32_t). */
typedef struct actr_import_slot {
  void* target;
  actr_generic_fn_t typed;
  actr_host_call_t host;
} actr_import_slot_t;

/* One per distinct import module name. wasm2c passes a module's import functions either this
 * block or (for funcrefs built from element segments) the address of a field that holds a pointer
 * to it; `self` being first makes both read the same block. */
typedef struct actr_import_module {
  struct actr_import_module* self;
  actr_import_slot_t slots[];
} actr_import_module_t;

typedef struct actr_glue_import {
  uint32_t module_index; /* into the instantiate() array of import modules */
  uint32_t slot_index;   /* into that module's slots */
} actr_glue_import_t;

typedef struct actr_glue_export {
  uint32_t kind;                     /* ACTR_EXTERN_* */
  uint32_t index;                    /* in the index space of its kind (imports first) */
  actr_trampoline_t trampoline;      /* functions */
  actr_generic_fn_t typed;           /* functions: T f(void* instance, params...) */
  void* (*accessor)(void* instance); /* tables, memories, globals, tags */
} actr_glue_export_t;

/* What the module itself defines (exported or not): tables, memories, globals. */
typedef struct actr_glue_defined {
  uint32_t kind;                     /* ACTR_EXTERN_TABLE, _MEMORY or _GLOBAL */
  uint32_t index;                    /* in the index space of its kind (imports first) */
  void* (*accessor)(void* instance); /* the wasm_rt_memory_t / table / global value */
} actr_glue_defined_t;

typedef struct actr_glue_module {
  uint32_t abi_version;
  uint32_t instance_size;
  uint32_t instance_align;
  uint32_t import_count;
  const actr_glue_import_t* imports; /* in module import order */
  uint32_t import_module_count;
  const uint32_t* import_module_slot_counts;
  uint32_t export_count;
  const actr_glue_export_t* exports; /* in module export order */
  const char* cache_key;             /* the key the host compiled this object under */
  void (*init_module)(void);         /* once per loaded object, before any instantiate */
  void (*instantiate)(void* instance, actr_import_module_t* const* import_modules);
  void (*free_instance)(void* instance);
  uint32_t defined_count;
  const actr_glue_defined_t* defined; /* tables, then memories, then globals; in index order */
} actr_glue_module_t;

#ifdef __cplusplus
}
#endif

#endif /* ACTR_WASM_AOT_GLUE_ABI_H_ */
