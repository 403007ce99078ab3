#include "guest.h"

int failures;
volatile struct exception_record last_exception;

static uint64_t semihost(uint64_t op, uint64_t arg) {
    register uint64_t x0 __asm__("x0") = op;
    register uint64_t x1 __asm__("x1") = arg;
    __asm__ volatile("hlt #0xf000" : "+r"(x0) : "r"(x1) : "memory");
    return x0;
}

void puts_semihost(const char *s) { semihost(0x04, (uint64_t)s); }
void putc_semihost(char c) { semihost(0x03, (uint64_t)&c); }

#define UART_BASE 0x09000000ul
void uart_puts(const char *s) {
    volatile uint32_t *dr = (volatile uint32_t *)UART_BASE;
    volatile uint32_t *fr = (volatile uint32_t *)(UART_BASE + 0x18);
    for (; *s; s++) {
        while (*fr & (1u << 5)) {}
        *dr = (uint32_t)*s;
    }
}

void print(const char *s) { puts_semihost(s); }

void print_hex(uint64_t v) {
    char b[19]; b[0] = '0'; b[1] = 'x';
    for (int i = 0; i < 16; i++) b[2 + i] = "0123456789abcdef"[(v >> (60 - 4 * i)) & 0xf];
    b[18] = 0;
    print(b);
}

void print_dec(uint64_t v) {
    char b[21]; int i = 20; b[i] = 0;
    do { b[--i] = (char)('0' + v % 10); v /= 10; } while (v);
    print(&b[i]);
}

void check(int ok, const char *what) {
    print(ok ? "PASS " : "FAIL ");
    print(what);
    print("\n");
    if (!ok) failures++;
}

void guest_exit(int status) {
    uint64_t block[2] = { 0x20026, (uint64_t)status };
    semihost(0x18, (uint64_t)block);
    for (;;) __asm__ volatile("wfi");
}

struct hvc_result hvc_call(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
    register uint64_t x0 __asm__("x0") = a0, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;
    __asm__ volatile("hvc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    return (struct hvc_result){ x0, x1, x2, x3 };
}

struct hvc_result smc_call(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3) {
    register uint64_t x0 __asm__("x0") = a0, x1 __asm__("x1") = a1, x2 __asm__("x2") = a2, x3 __asm__("x3") = a3;
    __asm__ volatile("smc #0" : "+r"(x0), "+r"(x1), "+r"(x2), "+r"(x3) :: "memory");
    return (struct hvc_result){ x0, x1, x2, x3 };
}

uint64_t default_exception(uint64_t kind, uint64_t esr, uint64_t elr) {
    last_exception.count++;
    last_exception.kind = kind;
    last_exception.esr = esr;
    last_exception.elr = elr;
    if ((kind & 3) == 0) return elr + 4;
    return elr;
}

// Default handler: record the exception and step over a synchronous one.
__attribute__((weak)) uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)frame;
    return default_exception(kind, esr, elr);
}

__attribute__((weak)) void secondary_main(uint64_t id) { (void)id; }
