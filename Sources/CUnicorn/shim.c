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
