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
// An empty UC_HOOK_MEM_READ|WRITE hook: its only effect is that Unicorn keeps
// the PC exact at every load/store it covers (see Engine.syncPCOnMemoryAccess).
uc_err el2_hook_add_pc_sync(uc_engine *uc, uc_hook *hh, uint64_t begin, uint64_t end);
#endif
