// The same hypercall loop for QEMU -M virt,virtualization=on, which starts
// the guest at EL2: a minimal EL2 handler of our own (HVC in, ERET out),
// then ITERATIONS HVCs from EL1 and a semihosting exit.
    .section .text.boot, "ax"
    .global _start
_start:
    ldr     x0, =el2_vectors
    msr     vbar_el2, x0
    mov     x0, #(1 << 31)          // HCR_EL2.RW: EL1 is AArch64
    msr     hcr_el2, x0
    mov     x0, #0x3c5              // EL1h, DAIF masked
    msr     spsr_el2, x0
    ldr     x0, =el1_entry
    msr     elr_el2, x0
    ldr     x0, =__stack_top
    msr     sp_el1, x0
    isb
    eret

el1_entry:
    ldr     x19, =ITERATIONS
1:  cbz     x19, 2f
    hvc     #0
    sub     x19, x19, #1
    b       1b
2:  ldr     x1, =exit_block
    mov     x0, #0x18               // SYS_EXIT
    hlt     #0xf000
3:  b       3b

    .balign 2048
el2_vectors:
    .skip 0x400
    eret                            // synchronous from a lower EL (AArch64): HVC in, ERET out

    .section .data
    .balign 8
exit_block:
    .quad 0x20026, 0
