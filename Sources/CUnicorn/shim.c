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

uc_err el2_ctl_flush_tb(uc_engine *uc) {
    return uc_ctl(uc, UC_CTL_WRITE(UC_CTL_TB_FLUSH, 0));
}
