// The EL2 vectors of the small monitors at EL2 (el2monitor.c, el2traps.c):
// each entry saves x0-x18, x30 and calls el2_exit(kind, esr, elr, frame), the
// monitor's; its return value becomes ELR_EL2. Header-only: one guest file includes it.
#ifndef EL2VECTORS_H
#define EL2VECTORS_H
#include "guest.h"

// Trapped accesses go through x0: the vectors save x0-x18 only.
#define X0_READ(name) ({ uint64_t _v; __asm__ volatile("mrs x0, " #name "\n mov %0, x0" : "=r"(_v) :: "x0"); _v; })
#define X0_WRITE(name, v) __asm__ volatile("mov x0, %0\n msr " #name ", x0" :: "r"((uint64_t)(v)) : "x0", "memory")
extern char el2_vectors[], __stack_top[];
uint64_t el2_exit(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame);

__asm__(
    ".macro el2_vector kind\n"
    "    .balign 0x80\n"
    "    sub sp, sp, #256\n"
    "    stp x0, x1, [sp, #0]\n"
    "    stp x2, x3, [sp, #16]\n"
    "    stp x4, x5, [sp, #32]\n"
    "    stp x6, x7, [sp, #48]\n"
    "    stp x8, x9, [sp, #64]\n"
    "    stp x10, x11, [sp, #80]\n"
    "    stp x12, x13, [sp, #96]\n"
    "    stp x14, x15, [sp, #112]\n"
    "    stp x16, x17, [sp, #128]\n"
    "    stp x18, x30, [sp, #144]\n"
    "    mov x0, #\\kind\n"
    "    b el2_common\n"
    ".endm\n"
    ".section .text.el2, \"ax\"\n"
    ".balign 2048\n"
    ".global el2_vectors\n"
    "el2_vectors:\n"
    "    el2_vector 0\n el2_vector 1\n el2_vector 2\n el2_vector 3\n"
    "    el2_vector 4\n el2_vector 5\n el2_vector 6\n el2_vector 7\n"
    "    el2_vector 8\n el2_vector 9\n el2_vector 10\n el2_vector 11\n"
    "    el2_vector 12\n el2_vector 13\n el2_vector 14\n el2_vector 15\n"
    "el2_common:\n"
    "    mrs x1, esr_el2\n"
    "    mrs x2, elr_el2\n"
    "    mov x3, sp\n"
    "    bl el2_exit\n"
    "    msr elr_el2, x0\n"
    "    ldp x0, x1, [sp, #0]\n"
    "    ldp x2, x3, [sp, #16]\n"
    "    ldp x4, x5, [sp, #32]\n"
    "    ldp x6, x7, [sp, #48]\n"
    "    ldp x8, x9, [sp, #64]\n"
    "    ldp x10, x11, [sp, #80]\n"
    "    ldp x12, x13, [sp, #96]\n"
    "    ldp x14, x15, [sp, #112]\n"
    "    ldp x16, x17, [sp, #128]\n"
    "    ldp x18, x30, [sp, #144]\n"
    "    add sp, sp, #256\n"
    "    eret\n"
    ".text\n");


// T0SZ 25 (39-bit VA, level-1 start), WB caches, inner shareable, 4K, PS 40 bits, RES1 bits 31 and 23.
#ifndef EL2_TCR   // el2vhe.c gives TCR_EL2 in EL1's format (E2H)
#define EL2_TCR (25 | 1 << 8 | 1 << 10 | 3 << 12 | 2 << 16 | 1u << 23 | 1u << 31)
#endif

// VBAR_EL2 and EL2's own stage 1, an identity map: 0-1 GiB Device-nGnRnE
// (UART, GIC), 1-2 GiB Normal write-back (RAM); SCTLR_EL2.M, C, I.
static void el2_setup(uint64_t *tables) {
    WRITE_SYSREG(vbar_el2, (uint64_t)el2_vectors);
    tables[0] = 0x0 | 1u << 10 | 0 << 2 | 1;
    tables[1] = 0x40000000 | 1u << 10 | 3u << 8 | 1 << 2 | 1;
    WRITE_SYSREG(mair_el2, 0xff00);
    WRITE_SYSREG(tcr_el2, EL2_TCR);
    WRITE_SYSREG(ttbr0_el2, (uint64_t)tables);
    __asm__ volatile("dsb ish; tlbi alle2; dsb ish; isb" ::: "memory");
    WRITE_SYSREG(sctlr_el2, READ_SYSREG(sctlr_el2) | 1 << 0 | 1 << 2 | 1 << 12);
    ISB();
}
#endif
