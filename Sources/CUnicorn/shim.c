#include "CUnicorn.h"
#include <stdlib.h>
#include <string.h>

uc_err el2_hook_add(uc_engine *uc, uc_hook *hh, int type, void *callback,
                    void *user_data, uint64_t begin, uint64_t end) {
    return uc_hook_add(uc, hh, type, callback, user_data, begin, end);
}

uc_err el2_hook_add_insn(uc_engine *uc, uc_hook *hh, void *callback,
                         void *user_data, uint64_t begin, uint64_t end,
                         int insn) {
    return uc_hook_add(uc, hh, UC_HOOK_INSN, callback, user_data, begin, end,
                       insn);
}

static inline uint32_t el2_sys_filtered(el2_sys_filter *f, int kind, uc_engine *uc,
                                        uc_arm64_reg rt, const uc_arm64_cp_reg *cp) {
    uint8_t e = f->table[kind][(cp->op0 & 3) << 14 | (cp->op1 & 7) << 11 | (cp->crn & 15) << 7 | (cp->crm & 15) << 3 | (cp->op2 & 7)];
    if (!f->all && (e == 0 || (e != EL2_SYS_MODEL && ((f->hcr >> (e - 1)) & 1) == 0))) return 0;
    return f->slow[kind](uc, rt, cp, f->user[kind]);
}

static uint32_t el2_mrs_hook(uc_engine *uc, uc_arm64_reg rt, const uc_arm64_cp_reg *cp, void *f) {
    return el2_sys_filtered(f, EL2_SYS_MRS, uc, rt, cp);
}

static uint32_t el2_msr_hook(uc_engine *uc, uc_arm64_reg rt, const uc_arm64_cp_reg *cp, void *f) {
    return el2_sys_filtered(f, EL2_SYS_MSR, uc, rt, cp);
}

static uint32_t el2_sys_hook(uc_engine *uc, uc_arm64_reg rt, const uc_arm64_cp_reg *cp, void *f) {
    return el2_sys_filtered(f, EL2_SYS_SYS, uc, rt, cp);
}

uc_err el2_hook_add_sys_filter(uc_engine *uc, uc_hook *hh, el2_sys_filter *f, int kind,
                               el2_sys_hook_cb slow, void *user) {
    static const int insn[EL2_SYS_KINDS] = { UC_ARM64_INS_MRS, UC_ARM64_INS_MSR, UC_ARM64_INS_SYS };
    static el2_sys_hook_cb const hook[EL2_SYS_KINDS] = { el2_mrs_hook, el2_msr_hook, el2_sys_hook };
    if (kind < 0 || kind >= EL2_SYS_KINDS) return UC_ERR_ARG;
    f->slow[kind] = slow;
    f->user[kind] = user;
    return uc_hook_add(uc, hh, UC_HOOK_INSN, (void *)hook[kind], f, 1, 0, insn[kind]);
}

uc_err el2_ctl_set_cpu_model(uc_engine *uc, int model) {
    return uc_ctl_set_cpu_model(uc, model);
}

uc_err el2_ctl_remove_cache(uc_engine *uc, uint64_t begin, uint64_t end) {
    return uc_ctl_remove_cache(uc, begin, end);
}

static void el2_pc_sync(uc_engine *uc, uc_mem_type type, uint64_t address,
                        int size, int64_t value, void *user_data) {
    (void)uc; (void)type; (void)address; (void)size; (void)value; (void)user_data;
}

uc_err el2_hook_add_pc_sync(uc_engine *uc, uc_hook *hh, uint64_t begin, uint64_t end) {
    return uc_hook_add(uc, hh, UC_HOOK_MEM_READ | UC_HOOK_MEM_WRITE, (void *)el2_pc_sync,
                       NULL, begin, end);
}

uc_err el2_ctl_flush_tb(uc_engine *uc) {
    return uc_ctl(uc, UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0));
}

uc_err el2_ctl_flush_tlb(uc_engine *uc) {
#if UC_API_MAJOR > 2 || (UC_API_MAJOR == 2 && UC_API_MINOR >= 1)
    return uc_ctl(uc, UC_CTL_WRITE(UC_CTL_TLB_FLUSH, 0));
#else
    // Unicorn 2.0.1 has no TLB flush control: its uc_ctl_flush_tlb flushes the
    // translation blocks, which crashes from inside a hook (nor does 2.0 run
    // guests whose VA != IPA, the ones that need this).
    (void)uc;
    return UC_ERR_ARG;
#endif
}

#if UC_API_MAJOR > 2 || (UC_API_MAJOR == 2 && UC_API_MINOR >= 1)
uc_err el2_ctl_tlb_by_hook(uc_engine *uc, int on) {
    return uc_ctl(uc, UC_CTL_WRITE(UC_CTL_TLB_TYPE, 1), on ? UC_TLB_VIRTUAL : UC_TLB_CPU);
}

struct el2_tlb_fill { el2_tlb_fill_cb cb; void *user; };

static bool el2_tlb_fill_hook(uc_engine *uc, uint64_t va, uc_mem_type type, uc_tlb_entry *e, void *user) {
    struct el2_tlb_fill *f = user;
    uint64_t pa = 0;
    uint32_t perms = 0;
    (void)uc;
    if (!f->cb(f->user, va, (int)type, &pa, &perms)) return false;
    e->paddr = pa;
    e->perms = (uc_prot)perms;
    return true;
}

uc_err el2_hook_add_tlb_fill(uc_engine *uc, uc_hook *hh, el2_tlb_fill_cb cb, void *user) {
    struct el2_tlb_fill *f = malloc(sizeof *f);   // lives as long as the engine's hooks
    if (!f) return UC_ERR_NOMEM;
    f->cb = cb;
    f->user = user;
    return uc_hook_add(uc, hh, UC_HOOK_TLB_FILL, (void *)el2_tlb_fill_hook, f, 1, 0);
}
#else
uc_err el2_ctl_tlb_by_hook(uc_engine *uc, int on) { (void)uc; (void)on; return UC_ERR_ARG; }
uc_err el2_hook_add_tlb_fill(uc_engine *uc, uc_hook *hh, el2_tlb_fill_cb cb, void *user) {
    (void)uc; (void)hh; (void)cb; (void)user;
    return UC_ERR_ARG;
}
#endif

uc_err el2_mem_map_ptr(uc_engine *uc, uint64_t address, uint64_t size, uint32_t perms, void *ptr) {
    return uc_mem_map_ptr(uc, address, size, perms, ptr);
}

uc_err el2_mem_unmap(uc_engine *uc, uint64_t address, uint64_t size) {
    return uc_mem_unmap(uc, address, size);
}

uc_err el2_mem_protect(uc_engine *uc, uint64_t address, uint64_t size, uint32_t perms) {
    return uc_mem_protect(uc, address, size, perms);
}

uc_err el2_mem_read(uc_engine *uc, uint64_t address, void *bytes, uint64_t size) {
    return uc_mem_read(uc, address, bytes, size);
}

uc_err el2_mem_write(uc_engine *uc, uint64_t address, const void *bytes, uint64_t size) {
    return uc_mem_write(uc, address, bytes, size);
}

uc_err el2_mmio_map(uc_engine *uc, uint64_t address, uint64_t size,
                    uc_cb_mmio_read_t read_cb, void *user_data_read,
                    uc_cb_mmio_write_t write_cb, void *user_data_write) {
    return uc_mmio_map(uc, address, size, read_cb, user_data_read, write_cb, user_data_write);
}

uc_err el2_emu_start(uc_engine *uc, uint64_t begin, uint64_t until, uint64_t timeout, uint64_t count) {
    return uc_emu_start(uc, begin, until, timeout, count);
}

// EL2_GATE_ANY in `translated` stands for the engine's first block, whose
// translation Unicorn reports to no hook.
static int el2_block_gate_pending(const el2_block_gate *g, uint64_t address) {
    for (uint32_t i = 0; i < g->fresh; i++) {
        if (g->translated[i] == address || g->translated[i] == EL2_GATE_ANY) return 1;
    }
    return 0;
}

// Sets the count; with Unicorn's budget, the budget too: a block that stays
// below fast_limit takes its size off it, any other calls the gate.
static void el2_block_gate_fill(el2_block_gate *g, uint64_t bytes) {
#ifdef UC_BLOCK_BUDGET
    uint64_t b = g->fast_limit > bytes ? g->fast_limit - bytes - 1 : 0;
    if (b > INT32_MAX) b = INT32_MAX;
    *g->budget = (int32_t)b;
    g->instruction_bytes = bytes + b;
#else
    g->instruction_bytes = bytes;
#endif
}

void el2_block_gate_set_count(el2_block_gate *g, uint64_t bytes) {
    el2_block_gate_fill(g, bytes);
}

void el2_block_gate_refresh(el2_block_gate *g) {
    // A threshold past 2^62 wraps lower: more blocks take the slow path, which compares exactly.
    g->fast_limit = g->stop || g->fresh || g->count_memory ? 0 : g->threshold * 4;
    el2_block_gate_fill(g, g->instruction_bytes - *g->budget);
}

uint64_t el2_block_gate_end(const el2_block_gate *g, uint64_t pc) {
#ifdef UC_BLOCK_BUDGET
    // The block holds pc, so its end is less than 2^32 past it.
    return pc + (uint32_t)(*g->block_end - (uint32_t)pc);
#else
    (void)pc;
    return g->block_start + g->block_size;
#endif
}

// Unicorn calls it before every block (an inline call while it is the only
// block hook): the common case is the first test. With Unicorn's budget,
// only for a block the budget does not cover (the count is as it was
// before the block).
static void el2_block_gate_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    el2_block_gate *g = user;
    uint64_t n = g->instruction_bytes - *g->budget + size;
#ifndef UC_BLOCK_BUDGET
    g->block_start = address;
    g->block_size = size;
#endif
    if (n < g->fast_limit) {
        el2_block_gate_fill(g, n);
        return;
    }
    if (!g->stop && n / 4 < g->threshold && (g->fresh == 0 || !el2_block_gate_pending(g, address))) {
        if (!g->count_memory) {
            el2_block_gate_fill(g, n);
            return;
        }
        uint32_t i = (address >> 2) & (EL2_GATE_MEMORY - 1);
        if (g->memory_block[i] == address) {
            el2_block_gate_fill(g, n);
            g->memory_accesses += g->memory_count[i];
            return;
        }
    }
    g->slow(uc, address, size, g->user);
}

// Does nothing: what Unicorn's call of a block hook costs by itself.
static void el2_empty_block_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    (void)uc; (void)address; (void)size; (void)user;
}

uc_err el2_hook_add_empty_block(uc_engine *uc, uc_hook *hh) {
    return uc_hook_add(uc, hh, UC_HOOK_BLOCK, (void *)el2_empty_block_hook, NULL, 1, 0);
}

// A block was just translated: its first run takes the slow path. Unicorn
// may translate a block and not run it yet (an exit request), so the gate
// keeps a few; past that every block takes the slow path (`stop`) from then
// on.
static void el2_block_gate_translated(uc_engine *uc, uc_tb *cur, uc_tb *prev, void *user) {
    el2_block_gate *g = user;
    (void)uc; (void)prev;
    for (uint32_t i = 0; i < g->fresh; i++) {
        if (g->translated[i] == cur->pc) return;
    }
    if (g->fresh < EL2_GATE_TRANSLATED) g->translated[g->fresh++] = cur->pc;
    else g->overflowed = 1;
    g->fast_limit = 0;
    el2_block_gate_fill(g, g->instruction_bytes - *g->budget);
}

void el2_block_gate_seen(el2_block_gate *g, uint64_t address) {
    for (uint32_t i = 0; i < g->fresh; ) {
        if (g->translated[i] == address || g->translated[i] == EL2_GATE_ANY) {
            g->translated[i] = g->translated[--g->fresh];
        } else {
            i++;
        }
    }
    el2_block_gate_refresh(g);
}

void el2_block_gate_init(el2_block_gate *g) {
    memset(g, 0, sizeof *g);
    g->budget = &g->no_budget;
    memset(g->memory_block, 0xFF, sizeof g->memory_block);
}

uc_err el2_hook_add_block_gate(uc_engine *uc, uc_hook *hh, el2_block_gate *gate) {
    uint64_t count = gate->instruction_bytes - *gate->budget;
    gate->translated[0] = EL2_GATE_ANY;
    gate->fresh = 1;
    uc_hook translated;
    uc_err err = uc_hook_add(uc, &translated, UC_HOOK_EDGE_GENERATED, (void *)el2_block_gate_translated, gate, 1, 0);
    if (err != UC_ERR_OK) return err;
#ifdef UC_BLOCK_BUDGET
    *hh = translated;
    err = uc_block_budget(uc, el2_block_gate_hook, gate, &gate->budget, &gate->block_end);
#else
    err = uc_hook_add(uc, hh, UC_HOOK_BLOCK, (void *)el2_block_gate_hook, gate, 1, 0);
#endif
    if (err != UC_ERR_OK) return err;
    gate->instruction_bytes = count + *gate->budget;
    el2_block_gate_refresh(gate);
    return UC_ERR_OK;
}

// Gathers the selected entries' ids and value pointers; CP_REG entries get
// a copy of their encoding in `cp` (the batch itself is never written, so
// PEs on other threads may share it). A failed batch (an encoding this CPU
// lacks) is redone one register at a time, so one bad entry reads as 0 or
// is dropped without losing the others.
static int el2_reg_batch_gather(const el2_reg_batch *b, uint32_t mask, uint64_t *values,
                                int *ids, void **ptrs, int *index, uc_arm64_cp_reg *cp) {
    int n = 0;
    for (; mask != 0; mask &= mask - 1) {
        int i = __builtin_ctz(mask);
        if (i >= b->count) break;
        ids[n] = b->ids[i];
        if (b->ids[i] == UC_ARM64_REG_CP_REG) {
            cp[n] = b->cp[i];
            cp[n].val = values[i];
            ptrs[n] = &cp[n];
        } else {
            ptrs[n] = &values[i];
        }
        index[n++] = i;
    }
    return n;
}

void el2_reg_batch_read(uc_engine *uc, const el2_reg_batch *b, uint32_t mask, uint64_t *values) {
    int ids[32], index[32];
    void *ptrs[32];
    uc_arm64_cp_reg cp[32];
    for (uint32_t m = mask; m != 0; m &= m - 1) values[__builtin_ctz(m)] = 0;
    int n = el2_reg_batch_gather(b, mask, values, ids, ptrs, index, cp);
    if (n == 0) return;
    if (uc_reg_read_batch(uc, ids, ptrs, n) != UC_ERR_OK) {
        for (int k = 0; k < n; k++) {
            if (uc_reg_read(uc, ids[k], ptrs[k]) != UC_ERR_OK) {
                values[index[k]] = 0;
                cp[k].val = 0;
            }
        }
    }
    for (int k = 0; k < n; k++) {
        if (ids[k] == UC_ARM64_REG_CP_REG) values[index[k]] = cp[k].val;
    }
}

void el2_reg_batch_write(uc_engine *uc, const el2_reg_batch *b, uint32_t mask, const uint64_t *values) {
    int ids[32], index[32];
    void *ptrs[32];
    uc_arm64_cp_reg cp[32];
    // Unicorn only reads through the pointers of a write.
    int n = el2_reg_batch_gather(b, mask, (uint64_t *)values, ids, ptrs, index, cp);
    if (n == 0) return;
    if (uc_reg_write_batch(uc, ids, ptrs, n) != UC_ERR_OK) {
        for (int k = 0; k < n; k++) uc_reg_write(uc, ids[k], ptrs[k]);
    }
}

// Unicorn 2.x's `struct hook` (include/uc_priv.h, the same in 2.0.1 and
// 2.1.x) as far as the range an address hook fires in; a uc_hook points to
// it. Unicorn has no call to move a hook, and deleting one leaves it in all
// but one of its lists until the emulation stops.
struct el2_hook_head {
    int type, insn, refs, op, op_flags;
    bool to_delete;
    uint64_t begin, end;
};

void el2_hook_range(uc_hook hh, uint64_t *begin, uint64_t *end) {
    const struct el2_hook_head *h = (const struct el2_hook_head *)hh;
    *begin = h->begin;
    *end = h->end;
}

void el2_hook_set_range(uc_hook hh, uint64_t begin, uint64_t end) {
    struct el2_hook_head *h = (struct el2_hook_head *)hh;
    h->begin = begin;
    h->end = end;
}

uc_err el2_vmem_translate(uc_engine *uc, uint64_t address, uint64_t *paddress) {
#if UC_API_MAJOR > 2 || (UC_API_MAJOR == 2 && (UC_API_MINOR > 1 || (UC_API_MINOR == 1 && UC_API_PATCH >= 4)))
    return uc_vmem_translate(uc, address, UC_PROT_EXEC, paddress);
#else
    (void)uc; (void)address; (void)paddress;
    return UC_ERR_ARG;
#endif
}
