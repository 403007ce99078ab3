// A guest booted as a raw Linux arm64 Image (Documentation/arch/arm64/booting.rst):
// the 64-byte header comes first (.text.head), its first word branches to
// _start, and FirmwareBuilder.buildImage turns the ELF into a flat binary.
    .section .text.head, "ax"
    .global _head
_head:
    b       _start                  // code0: execution starts at the first byte
    .long   0                       // code1
    .quad   0x80000                 // text_offset: load at RAM base + 0x80000
    .quad   __end - _head           // image_size: the loaded image, .bss and stacks
    .quad   0xa                     // flags: little-endian, 4K pages, anywhere
    .quad   0, 0, 0                 // res2..res4
    .ascii  "ARM\x64"               // magic
    .long   0                       // res5

    .text
    .global main
main:
    stp     x29, x30, [sp, #-16]!
    adr     x0, hello
    bl      print
    // The header's own first word is where the loader entered.
    adr     x0, _head
    ldr     x1, =0x40080000
    cmp     x0, x1
    cset    w0, eq
    adr     x1, at_text_offset
    bl      check
    mrs     x0, CurrentEL
    cmp     x0, #4                  // EL1
    cset    w0, eq
    adr     x1, at_el1
    bl      check
    adrp    x0, failures
    ldr     w0, [x0, :lo12:failures]
    ldp     x29, x30, [sp], #16
    ret

    .section .rodata
hello:          .asciz "Hello from a raw arm64 Image\n"
at_text_offset: .asciz "loaded at RAM base + text_offset"
at_el1:         .asciz "runs at EL1"
