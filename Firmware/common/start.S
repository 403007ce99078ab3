// Entry at EL1h, DAIF masked, x0 = DTB address (or 0). Sets up a stack and
// the EL1 vector table, clears .bss and calls main(x0, x1); main's return value
// is the semihosting exit status.
    .section .text.boot, "ax"
    .global _start
_start:
    mov     x19, x0
    mov     x20, x1
    ldr     x1, =__stack_top
    mov     sp, x1
    ldr     x1, =vectors
    msr     vbar_el1, x1
    isb
    ldr     x1, =__bss_start
    ldr     x2, =__bss_end
1:  cmp     x1, x2
    b.hs    2f
    str     xzr, [x1], #8
    b       1b
2:  mov     x0, x19
    mov     x1, x20
    bl      main
    bl      guest_exit
3:  b       3b

// Secondary CPUs (PSCI CPU_ON) enter here with x0 = context id = CPU index.
    .global secondary_entry
secondary_entry:
    ldr     x1, =__stack_top
    add     x2, x0, #1
    lsl     x2, x2, #16
    add     x1, x1, x2
    mov     sp, x1
    ldr     x1, =vectors
    msr     vbar_el1, x1
    isb
    bl      secondary_main
4:  wfi
    b       4b

// Each exception saves the caller-saved registers and calls
// exception_handler(kind, esr, elr, frame); its return value becomes ELR_EL1.
    .macro vector kind
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
    stp     x18, x30, [sp, #144]
    mov     x0, #\kind
    b       vector_common
    .endm

    .section .vectors, "ax"
    .balign 2048
    .global vectors
vectors:
    vector 0
    vector 1
    vector 2
    vector 3
    vector 4
    vector 5
    vector 6
    vector 7
    vector 8
    vector 9
    vector 10
    vector 11
    vector 12
    vector 13
    vector 14
    vector 15

vector_common:
    mrs     x1, esr_el1
    mrs     x2, elr_el1
    mov     x3, sp
    bl      exception_handler
    msr     elr_el1, x0
    ldp     x0, x1, [sp, #0]
    ldp     x2, x3, [sp, #16]
    ldp     x4, x5, [sp, #32]
    ldp     x6, x7, [sp, #48]
    ldp     x8, x9, [sp, #64]
    ldp     x10, x11, [sp, #80]
    ldp     x12, x13, [sp, #96]
    ldp     x14, x15, [sp, #112]
    ldp     x16, x17, [sp, #128]
    ldp     x18, x30, [sp, #144]
    add     sp, sp, #256
    eret
