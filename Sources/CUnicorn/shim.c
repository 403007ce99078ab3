#include "CUnicorn.h"

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

static void el2_block_gate_hook(uc_engine *uc, uint64_t address, uint32_t size, void *user) {
    el2_block_gate *g = user;
    uint64_t n = g->instructions + (size >> 2);
    if (!g->stop && n < g->threshold && g->recent[(address >> 2) & 4095] == address) {
        g->instructions = n;
        return;
    }
    g->slow(uc, address, size, g->user);
}

uc_err el2_hook_add_block_gate(uc_engine *uc, uc_hook *hh, el2_block_gate *gate) {
    return uc_hook_add(uc, hh, UC_HOOK_BLOCK, (void *)el2_block_gate_hook, gate, 1, 0);
}
