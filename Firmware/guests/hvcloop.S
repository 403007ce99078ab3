// The hypercall loop of Firmware/peers/qemu_hvc_loop.S, for el2emu: x1 HVCs
// (PSCI_VERSION) and no memory access, so that el2emu-bench compares the exit
// itself with QEMU's EL2 round trip on the same loop. Returns 0 when every
// HVC answered PSCI 1.x.
    .text
    .global main
main:
    mov     x9, x1
    mov     x10, #0
1:  cbz     x9, 2f
    mov     w0, #0x84000000         // PSCI_VERSION
    hvc     #0
    lsr     x11, x0, #16
    cmp     x11, #1
    cinc    x10, x10, ne            // count wrong answers
    sub     x9, x9, #1
    b       1b
2:  mov     x0, x10
    ret
