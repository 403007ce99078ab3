// Stage-2 MMIO: every access width, signed and unsigned, loads and stores,
// every destination register including XZR, acquire/release, the user-space
// register of the test device, the PL031, and the accesses the hypervisor
// cannot emulate (load pair, pre-index writeback, an IPA with nothing behind
// it), which come back as external aborts.
#include "guest.h"

#define TESTDEV 0x0A000000ul
#define RTC 0x09010000ul

#define LD(insn, w, addr) ({ uint64_t _v; __asm__ volatile(insn " %" w "0, [%1]" : "=r"(_v) : "r"(addr) : "memory"); _v; })
#define ST(insn, w, v, addr) __asm__ volatile(insn " %" w "0, [%1]" :: "r"((uint64_t)(v)), "r"(addr) : "memory")

void mmio_load_every_register(uint64_t *out);
void mmio_store_every_register(void);

__asm__(
// x19-x30, which the loops below overwrite and the C caller expects kept.
"    .macro save_callee_saved\n"
"    stp x29, x30, [sp, #-96]!\n"
"    stp x19, x20, [sp, #16]\n"
"    stp x21, x22, [sp, #32]\n"
"    stp x23, x24, [sp, #48]\n"
"    stp x25, x26, [sp, #64]\n"
"    stp x27, x28, [sp, #80]\n"
"    .endm\n"
"    .macro restore_callee_saved\n"
"    ldp x19, x20, [sp, #16]\n"
"    ldp x21, x22, [sp, #32]\n"
"    ldp x23, x24, [sp, #48]\n"
"    ldp x25, x26, [sp, #64]\n"
"    ldp x27, x28, [sp, #80]\n"
"    ldp x29, x30, [sp], #96\n"
"    .endm\n"
"    .global mmio_load_every_register\n"
"mmio_load_every_register:\n"
"    save_callee_saved\n"
"    sub sp, sp, #256\n"
"    str x0, [sp, #248]\n"
"    movz x16, #0x0a00, lsl #16\n"
"    add x16, x16, #0x100\n"
"    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,18,19,20,21,22,23,24,25,26,27,28,29,30\n"
"    ldr x\\n, [x16]\n"
"    str x\\n, [sp, #8*\\n]\n"
"    .endr\n"
"    mov x17, x16\n"
"    ldr x16, [x17]\n"
"    str x16, [sp, #128]\n"
"    ldr x17, [x17]\n"
"    str x17, [sp, #136]\n"
"    movz x16, #0x0a00, lsl #16\n"
"    ldr xzr, [x16, #0x100]\n"
"    ldr x0, [sp, #248]\n"
"    mov x1, #0\n"
"1:  ldr x2, [sp, x1, lsl #3]\n"
"    str x2, [x0, x1, lsl #3]\n"
"    add x1, x1, #1\n"
"    cmp x1, #31\n"
"    b.ne 1b\n"
"    add sp, sp, #256\n"
"    restore_callee_saved\n"
"    ret\n"
"    .global mmio_store_every_register\n"
"mmio_store_every_register:\n"
"    save_callee_saved\n"
"    movz x16, #0x0a00, lsl #16\n"
"    add x16, x16, #0x200\n"
"    .irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,18,19,20,21,22,23,24,25,26,27,28,29,30\n"
"    mov x\\n, #(0x40 + \\n)\n"
"    str x\\n, [x16]\n"
"    .endr\n"
"    mov x17, x16\n"
"    mov x16, #(0x40 + 16)\n"
"    str x16, [x17]\n"
"    mov x16, x17\n"
"    mov x17, #(0x40 + 17)\n"
"    str x17, [x16]\n"
"    str xzr, [x16]\n"
"    restore_callee_saved\n"
"    ret\n");

static int external_abort_taken(uint64_t before) {
    uint64_t esr = last_exception.esr;
    return last_exception.count == before + 1 && (esr >> 26) == 0x25 && (esr & 0x3f) == 0x10;
}

int main(void) {
    volatile uint64_t *neg = (volatile uint64_t *)(TESTDEV + 0x100);
    *neg = 0x8899AABBCCDDEEFFull;
    uint64_t a = TESTDEV + 0x100;
    check(LD("ldrb", "w", a) == 0xFF, "ldrb (1 byte, unsigned)");
    check(LD("ldrh", "w", a) == 0xEEFF, "ldrh (2 bytes, unsigned)");
    check(LD("ldr", "w", a) == 0xCCDDEEFF, "ldr w (4 bytes)");
    check(LD("ldr", "x", a) == 0x8899AABBCCDDEEFFull, "ldr x (8 bytes)");
    check(LD("ldrsb", "w", a) == 0xFFFFFFFFull, "ldrsb w: sign-extended to 32 bits");
    check(LD("ldrsb", "x", a) == 0xFFFFFFFFFFFFFFFFull, "ldrsb x: sign-extended to 64 bits");
    check(LD("ldrsh", "w", a) == 0xFFFFEEFFull, "ldrsh w");
    check(LD("ldrsh", "x", a) == 0xFFFFFFFFFFFFEEFFull, "ldrsh x");
    check(LD("ldrsw", "x", a) == 0xFFFFFFFFCCDDEEFFull, "ldrsw x");
    check(LD("ldar", "w", a) == 0xCCDDEEFF, "ldar w (acquire)");
    check(LD("ldar", "x", a) == 0x8899AABBCCDDEEFFull, "ldar x (acquire)");

    uint64_t p = TESTDEV + 0x180;
    *(volatile uint64_t *)p = 0x1122334455667718ull;
    check(LD("ldrsb", "x", p) == 0x18, "ldrsb x of a positive byte");
    check(LD("ldrsh", "x", p) == 0x7718, "ldrsh x of a positive halfword");
    check(LD("ldrsw", "x", p) == 0x55667718, "ldrsw x of a positive word");

    uint64_t s = TESTDEV + 0x1C0;
    ST("str", "x", 0, s);
    ST("strb", "w", 0x5A, s);
    ST("strh", "w", 0xA55A, s + 2);
    ST("str", "w", 0x01020304, s + 4);
    check(LD("ldr", "x", s) == 0x01020304A55A005Aull, "strb/strh/str w store 1, 2 and 4 bytes");
    ST("stlr", "x", 0xDEADBEEFCAFEF00Dull, s);
    check(LD("ldr", "x", s) == 0xDEADBEEFCAFEF00Dull, "stlr x (release) stores 8 bytes");

    uint64_t out[31];
    for (int i = 0; i < 31; i++) out[i] = 0;
    mmio_load_every_register(out);
    int all = 1;
    for (int i = 0; i < 31; i++) all &= out[i] == 0x8899AABBCCDDEEFFull;
    check(all, "MMIO load into every register x0-x30");
    mmio_store_every_register();
    check(LD("ldr", "x", TESTDEV + 0x200) == 0, "the last store, from XZR, wrote zero");

    // The user-space register.
    ST("str", "x", 0x0123456789ABCDEFull, TESTDEV + 0x08);
    check(LD("ldr", "x", TESTDEV + 0x08) == 0x0123456789ABCDEFull, "user-space register reads back");

    // PL031 on virtual time.
    check(LD("ldr", "w", RTC + 0xFE0) == 0x31, "PL031 PeriphID0");
    check(LD("ldr", "w", RTC + 0xFE8) == 0x14, "PL031 PeriphID2: revision 1 (kvm-unit-tests' pl031 checks it)");
    ST("str", "w", 1000, RTC + 0x08);
    uint64_t t = LD("ldr", "w", RTC);
    check(t >= 1000 && t < 1010, "PL031 RTCDR counts from the loaded value");

    // Accesses the hypervisor cannot emulate: external aborts in the guest.
    uint64_t before = last_exception.count;
    uint64_t x1 = 1, x2 = 2;
    __asm__ volatile("ldp %0, %1, [%2]" : "+r"(x1), "+r"(x2) : "r"(a) : "memory");
    check(external_abort_taken(before), "load pair on MMIO: external abort (ISV=0)");
    check(x1 == 1 && x2 == 2, "load pair on MMIO: registers unchanged");
    before = last_exception.count;
    uint64_t base = a;
    __asm__ volatile("str %1, [%0, #8]!" : "+r"(base) : "r"(x1) : "memory");
    check(external_abort_taken(before), "pre-index store on MMIO: external abort (ISV=0)");
    check(base == a, "pre-index store on MMIO: no writeback");
    before = last_exception.count;
    uint64_t v = LD("ldr", "w", 0x0b000000ul);
    (void)v;
    check(external_abort_taken(before), "load from an IPA with no RAM or device: external abort");
    before = last_exception.count;
    ST("str", "w", 7, 0x0b000010ul);
    check(external_abort_taken(before), "store to an IPA with no RAM or device: external abort");
    return failures;
}
