// Entry at EL2 (E2H = 0, MMU off, DAIF masked, x0 = the device tree) and the
// EL2 exception vectors: every exit from the guest comes in here.
    .section .text.boot, "ax"
    .global _start
_start:
    mov     x19, x0                 // the device tree, passed on to the guest
    ldr     x1, =__stack_top
    mov     sp, x1                  // SP_EL2: we run at EL2h
    ldr     x1, =hyp_vectors
    msr     vbar_el2, x1
    isb
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  mov     x0, x19
    bl      hyp_main                // never returns: it ends in guest_enter
3:  wfi
    b       3b

// guest_enter(x0): the first ERET into the guest, to ELR_EL2/SPSR_EL2, with
// x0 for the guest and no hypervisor values left in the other registers.
    .global guest_enter
guest_enter:
    .irp n, 1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30
    mov     x\n, xzr
    .endr
    eret

// An exit: save the guest's x0-x30 on the EL2 stack (its EL1 system
// registers stay in the CPU: there is no host kernel to switch to, unlike
// KVM's nVHE __guest_exit), call handle_exit(vector, regs), restore, ERET.
    .macro exit_vector index
    .balign 0x80
    sub     sp, sp, #256
    stp     x0, x1, [sp, #0]
    stp     x2, x3, [sp, #16]
    stp     x4, x5, [sp, #32]
    stp     x6, x7, [sp, #48]
    stp     x8, x9, [sp, #64]
    stp     x10, x11, [sp, #80]
    stp     x12, x13, [sp, #96]
    stp     x14, x15, [sp, #112]
    stp     x16, x17, [sp, #128]
    stp     x18, x19, [sp, #144]
    stp     x20, x21, [sp, #160]
    stp     x22, x23, [sp, #176]
    stp     x24, x25, [sp, #192]
    stp     x26, x27, [sp, #208]
    stp     x28, x29, [sp, #224]
    str     x30, [sp, #240]
    mov     x0, #\index
    b       exit_common
    .endm

// An exception taken from EL2 itself is a bug in the hypervisor.
    .macro hyp_vector index
    .balign 0x80
    mov     x0, #\index
    b       hyp_panic
    .endm

    .section .vectors, "ax"
    .balign 2048
    .global hyp_vectors
hyp_vectors:
    hyp_vector 0                    // current EL with SP_EL0: sync, IRQ, FIQ, SError
    hyp_vector 1
    hyp_vector 2
    hyp_vector 3
    hyp_vector 4                    // current EL with SP_EL2
    hyp_vector 5
    hyp_vector 6
    hyp_vector 7
    exit_vector 8                   // lower EL, AArch64: the guest's exits
    exit_vector 9
    exit_vector 10
    exit_vector 11
    hyp_vector 12                   // lower EL, AArch32: not offered to the guest
    hyp_vector 13
    hyp_vector 14
    hyp_vector 15

exit_common:
    mov     x1, sp
    bl      handle_exit
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x19, [sp, #144]
    ldp     x20, x21, [sp, #160]
    ldp     x22, x23, [sp, #176]
    ldp     x24, x25, [sp, #192]
    ldp     x26, x27, [sp, #208]
    ldp     x28, x29, [sp, #224]
    ldr     x30, [sp, #240]
    add     sp, sp, #256
    eret

// The guest's ELF image, appended to the hypervisor at build time
// (-DGUEST_ELF="path"); main.c loads its segments into guest RAM.
    .section .rodata.guest, "a"
    .balign 16
    .global guest_elf, guest_elf_end
guest_elf:
    .incbin GUEST_ELF
guest_elf_end:
