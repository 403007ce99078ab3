// The hypervisor's console: the real PL011, which its stage-1 tables map at
// EL2 (the guest's PL011 is emulated, mmio.c). Also the stops.
#include "hyp.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define FR_TXFF (1u << 5)

static void putc(char c) {
    volatile uint32_t *uart = (volatile uint32_t *)UART_BASE;
    while (uart[UART_FR / 4] & FR_TXFF) {}
    uart[UART_DR / 4] = (uint32_t)(unsigned char)c;
}

void puts(const char *s) {
    for (; *s; s++) putc(*s);
}

void put_hex(uint64_t v, int digits) {
    puts("0x");
    for (int i = digits - 1; i >= 0; i--) putc("0123456789abcdef"[(v >> (4 * i)) & 0xf]);
}

void put_dec(uint64_t v) {
    char b[21];
    int i = 20;
    b[i] = 0;
    do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    puts(&b[i]);
}

// Ends the run: semihosting SYS_EXIT with status 1 where a debugger or an
// emulator serves it (QEMU -semihosting, el2emu), else PSCI SYSTEM_OFF
// (where nothing serves it, the HLT is UNDEFINED and comes back here).
void hyp_stop(const char *why) {
    static int stopping;
    puts("hyp: stop: ");
    puts(why);
    puts("\n");
    if (!stopping++) {
        uint64_t block[2] = { 0x20026, 1 }; // ADP_Stopped_ApplicationExit, status 1
        register uint64_t x0 __asm__("x0") = 0x18;
        register uint64_t x1 __asm__("x1") = (uint64_t)block;
        __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    }
    smc_to_firmware(0x84000008u, 0, 0, 0);
    for (;;) __asm__ volatile("wfi");
}

// An exception taken at EL2 itself (vectors 0-7, 12-15): a hypervisor bug.
void hyp_panic(uint64_t vector) {
    puts("hyp: panic: vector "); put_dec(vector);
    puts(" ESR_EL2="); put_hex(read_sysreg(esr_el2), 8);
    puts(" ELR_EL2="); put_hex(read_sysreg(elr_el2), 16);
    puts(" FAR_EL2="); put_hex(read_sysreg(far_el2), 16);
    puts("\n");
    hyp_stop("exception at EL2");
}

void *memcpy(void *d, const void *s, size_t n) {
    unsigned char *dp = d;
    const unsigned char *sp = s;
    while (n--) *dp++ = *sp++;
    return d;
}

void *memset(void *d, int c, size_t n) {
    unsigned char *dp = d;
    while (n--) *dp++ = (unsigned char)c;
    return d;
}
