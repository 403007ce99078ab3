// The C shim: Unicorn's variadic uc_hook_add/uc_ctl and its macros cannot be
// called from Swift, so each use gets a fixed-signature wrapper here.
#ifndef CUNICORN_H
#define CUNICORN_H
#include <unicorn/unicorn.h>
#include <stdint.h>

uc_err el2_hook_add(uc_engine *uc, uc_hook *hh, int type, void *callback,
                    void *user_data, uint64_t begin, uint64_t end);
uc_err el2_hook_add_insn(uc_engine *uc, uc_hook *hh, void *callback,
                         void *user_data, uint64_t begin, uint64_t end,
                         int insn);
uc_err el2_ctl_set_cpu_model(uc_engine *uc, int model);
uc_err el2_ctl_remove_cache(uc_engine *uc, uint64_t begin, uint64_t end);
uc_err el2_ctl_flush_tb(uc_engine *uc);
// QEMU's softmmu TLB (2.1); UC_ERR_ARG on 2.0.1, which lacks the control.
uc_err el2_ctl_flush_tlb(uc_engine *uc);
// VAs translated by the TLB-fill hook (1) or by QEMU's own walk (0); 2.1 only
// (UC_ERR_ARG on 2.0.1). The hook returns 0 to fault, else the page's PA and
// UC_PROT_* permissions.
typedef int (*el2_tlb_fill_cb)(void *user, uint64_t va, int type, uint64_t *pa, uint32_t *perms);
uc_err el2_ctl_tlb_by_hook(uc_engine *uc, int on);
uc_err el2_hook_add_tlb_fill(uc_engine *uc, uc_hook *hh, el2_tlb_fill_cb cb, void *user);
// Sizes are size_t in 2.0 and uint64_t in 2.1: one signature for Swift.
uc_err el2_mem_map_ptr(uc_engine *uc, uint64_t address, uint64_t size, uint32_t perms, void *ptr);
uc_err el2_mem_unmap(uc_engine *uc, uint64_t address, uint64_t size);
uc_err el2_mem_protect(uc_engine *uc, uint64_t address, uint64_t size, uint32_t perms);
uc_err el2_mem_read(uc_engine *uc, uint64_t address, void *bytes, uint64_t size);
uc_err el2_mem_write(uc_engine *uc, uint64_t address, const void *bytes, uint64_t size);
uc_err el2_mmio_map(uc_engine *uc, uint64_t address, uint64_t size,
                    uc_cb_mmio_read_t read_cb, void *user_data_read,
                    uc_cb_mmio_write_t write_cb, void *user_data_write);
uc_err el2_emu_start(uc_engine *uc, uint64_t begin, uint64_t until, uint64_t timeout, uint64_t count);
// An empty UC_HOOK_MEM_READ|WRITE hook: its only effect is that Unicorn keeps
// the PC exact at every load/store it covers (see Engine.syncPCOnMemoryAccess).
uc_err el2_hook_add_pc_sync(uc_engine *uc, uc_hook *hh, uint64_t begin, uint64_t end);
// A hook's address range, read and moved in place (see FaultHookRanges.swift).
void el2_hook_range(uc_hook hh, uint64_t *begin, uint64_t *end);
void el2_hook_set_range(uc_hook hh, uint64_t begin, uint64_t end);
// The physical address (IPA) an instruction fetch from `address` reaches now;
// UC_ERR_ARG before Unicorn 2.1.4, which has no uc_vmem_translate.
uc_err el2_vmem_translate(uc_engine *uc, uint64_t address, uint64_t *paddress);

// The MRS, MSR and SYS hooks' common case, in C: a table per kind, indexed
// by the encoding (op0:op1:CRn:CRm:op2), says whether Unicorn performs the
// access with nothing for the model to do (0), whether the model must see it
// (EL2_SYS_MODEL), or else which HCR_EL2 bit (entry - 1) traps it: the model
// sees it while `hcr` has that bit. `all`: the model sees every access.
#define EL2_SYS_MODEL 0xFF
enum { EL2_SYS_MRS, EL2_SYS_MSR, EL2_SYS_SYS, EL2_SYS_KINDS };
typedef uint32_t (*el2_sys_hook_cb)(uc_engine *uc, uc_arm64_reg rt, const uc_arm64_cp_reg *cp, void *user);
typedef struct el2_sys_filter {
    uint64_t hcr;       // HCR_EL2 as the guest runs under it
    uint32_t all;
    const uint8_t *table[EL2_SYS_KINDS];
    el2_sys_hook_cb slow[EL2_SYS_KINDS];
    void *user[EL2_SYS_KINDS];
} el2_sys_filter;
// Hooks `kind`'s instructions: the ones the model must see go to `slow`.
uc_err el2_hook_add_sys_filter(uc_engine *uc, uc_hook *hh, el2_sys_filter *f, int kind,
                               el2_sys_hook_cb slow, void *user);

// The block hook's fast path, in C: count the block's instructions and only
// call the Swift slow path for a block's first run after its translation
// (Unicorn's UC_HOOK_EDGE_GENERATED adds it to `translated`), at the
// instruction threshold (limits, timer deadlines, time slices) or when a
// stop is pending. `overflowed`: more translated blocks waited for their
// first run than `translated` holds (the owner then sends every block the
// slow way). While `count_memory` is set (a PMU counts), each block also
// adds its loads and stores (MEM_ACCESS), from a table the slow path fills:
// a block not in it takes the slow path.
// With our patched Unicorn (UC_BLOCK_BUDGET, scripts/unicorn-patches/0002)
// the commonest case runs in the generated code: each block takes its size
// off Unicorn's budget, which the gate sets to what the blocks below
// `fast_limit` may take (at most INT32_MAX bytes); only a block past it calls
// the gate (el2_block_gate_hook). Without it (Debian's 2.0), a block hook.
#define EL2_GATE_TRANSLATED 64
#define EL2_GATE_MEMORY 4096
#define EL2_GATE_ANY UINT64_MAX
typedef struct el2_block_gate {
    // Instructions retired, times 4 (an A64 block adds its size in bytes,
    // which saves the fast path a shift), plus the budget left: the count
    // is instruction_bytes - *budget.
    uint64_t instruction_bytes;
    int32_t *budget;            // Unicorn's budget (>= 0 between blocks), or no_budget (always 0): never null
    int32_t no_budget;
    uint32_t *block_end;        // with the budget: the running block's end (its low 32 bits, from Unicorn)
    // `threshold` (times 4) while no stop is pending, no translation waits
    // for its first run and memory accesses are not counted, else 0: a block
    // that stays below it only counts, one comparison (el2_block_gate_refresh
    // keeps it after any change to those fields).
    uint64_t fast_limit;
    uint64_t threshold;
    uint64_t block_start;       // without the budget: the block that runs now, its address and size (two
    uint32_t block_size;        // stores; their sum would cost the fast path one instruction more)
    uint64_t memory_accesses;   // loads and stores of the blocks counted (while count_memory)
    uint32_t stop;
    uint32_t fresh;
    uint32_t overflowed;
    uint32_t count_memory;
    void (*slow)(uc_engine *uc, uint64_t address, uint32_t size, void *user);
    void *user;
    uint64_t translated[EL2_GATE_TRANSLATED];
    uint64_t memory_block[EL2_GATE_MEMORY];   // the block each entry describes
    uint8_t memory_count[EL2_GATE_MEMORY];    // its loads and stores
} el2_block_gate;
// Initializes the memory at `g` (no threshold, no count).
void el2_block_gate_init(el2_block_gate *g);
// The slow path has seen the block at `address`: off `translated`.
void el2_block_gate_seen(el2_block_gate *g, uint64_t address);
// Sets the count (instructions times 4).
void el2_block_gate_set_count(el2_block_gate *g, uint64_t bytes);
// The end of the block that runs now, which holds `pc` (for a hook inside it).
uint64_t el2_block_gate_end(const el2_block_gate *g, uint64_t pc);
// Recomputes `fast_limit` after `threshold`, `stop` or `count_memory` changed.
void el2_block_gate_refresh(el2_block_gate *g);
uc_err el2_hook_add_block_gate(uc_engine *uc, uc_hook *hh, el2_block_gate *gate);
// A block hook in C that does nothing (the floor under any block hook).
uc_err el2_hook_add_empty_block(uc_engine *uc, uc_hook *hh);

// Up to 32 registers read or written together in one Unicorn call: a world
// switch's save/restore list. ids[i] is a uc_arm64_reg; an entry whose id is
// UC_ARM64_REG_CP_REG is reached by the encoding in cp[i]. `mask` selects the
// entries; values[i] holds entry i's value (a register Unicorn keeps in 32
// bits reads as zero-extended).
typedef struct el2_reg_batch {
    int count;
    int ids[32];
    uc_arm64_cp_reg cp[32];
} el2_reg_batch;
void el2_reg_batch_read(uc_engine *uc, const el2_reg_batch *b, uint32_t mask, uint64_t *values);
void el2_reg_batch_write(uc_engine *uc, const el2_reg_batch *b, uint32_t mask, const uint64_t *values);
#endif
