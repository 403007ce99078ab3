// Exception entry to EL2 and ERET, seen from the guest. The EL2 software of
// EL2Tests/ExceptionReturnTests answers HVC #1 by setting SPSR_EL2.Z, x0 =
// 0x600d and ELR_EL2 one instruction further; HVC #2 reports x0 and x1 (NZCV).
    .text
    .global main
main:
    msr     nzcv, xzr
    mov     x0, #0
    hvc     #1
    mov     x0, #0xbad              // skipped when ERET uses the new ELR_EL2
    mrs     x1, nzcv
    hvc     #2
1:  b       1b
