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

// The block hook's fast path, in C: count the block's instructions and only
// call the Swift slow path for a block not seen recently, at the instruction
// threshold (limits, timer deadlines, time slices) or when a stop is pending.
typedef struct el2_block_gate {
    uint64_t instructions;
    uint64_t threshold;
    uint64_t block_end;   // address + size of the block that runs now
    uint64_t memory_accesses;   // loads and stores of the blocks counted
    uint32_t stop;
    void (*slow)(uc_engine *uc, uint64_t address, uint32_t size, void *user);
    void *user;
    uint64_t recent[4096];
    uint8_t recent_memory[4096];   // each recent block's loads and stores
} el2_block_gate;
uc_err el2_hook_add_block_gate(uc_engine *uc, uc_hook *hh, el2_block_gate *gate);

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
