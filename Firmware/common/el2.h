// Starting at EL2 (`--entry-el 2`): kvm-unit-tests' init_el for guests.
// With ID_AA64MMFR1_EL1.VH it makes a VHE host (HCR_EL2 = E2H|TGE|RW) that
// stays at EL2; without, it ERETs to EL1 (then EL1h on the same stack).
// At EL1 already it does nothing. Header-only: one guest file includes it.
#ifndef EL2_H
#define EL2_H

void init_el(void);
__asm__(
    ".global init_el\n"
    "init_el:\n"
    "    mrs x9, CurrentEL\n"
    "    cmp x9, #8\n"
    "    b.ne 2f\n"
    "    mrs x9, mpidr_el1\n"
    "    msr vmpidr_el2, x9\n"
    "    mrs x9, midr_el1\n"
    "    msr vpidr_el2, x9\n"
    "    mrs x9, id_aa64mmfr1_el1\n"
    "    ubfx x9, x9, #8, #4\n"
    "    cbz x9, 1f\n"
    "    ldr x9, =0x488000000\n"      // TGE | E2H | RW
    "    msr hcr_el2, x9\n"
    "    isb\n"
    "    b 2f\n"
    "1:  mov x9, #0\n"
    "    msr cptr_el2, x9\n"
    "    mov x9, #0x80000000\n"       // RW
    "    msr hcr_el2, x9\n"
    "    mov x9, #4\n"                // EL1t
    "    msr spsr_el2, x9\n"
    "    adr x9, 3f\n"
    "    msr elr_el2, x9\n"
    "    mov x10, sp\n"
    "    eret\n"
    "3:  msr spsel, #1\n"            // EL1h on the stack the EL2 code used
    "    mov sp, x10\n"
    "2:  ret\n");

#endif
