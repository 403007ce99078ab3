// The loop guest's loop (Firmware/guests/loop.c as clang builds it: madd,
// add, cmp, b.ne) for QEMU -M virt, which starts it at EL1: ITERATIONS
// turns, then a semihosting exit.
    .section .text.boot, "ax"
    .global _start
_start:
    ldr     x10, =ITERATIONS
    ldr     x11, =6364136223846793005
    mov     x9, xzr
    mov     x8, xzr
    cbz     x10, 2f
1:  madd    x8, x8, x11, x9
    add     x9, x9, #1
    cmp     x10, x9
    b.ne    1b
2:  ldr     x1, =exit_block
    mov     x0, #0x18               // SYS_EXIT
    hlt     #0xf000
3:  b       3b

    .section .data
    .balign 8
exit_block:
    .quad 0x20026, 0
