// The freestanding guest library: output, exits, hypercalls, sysregs.
#ifndef GUEST_H
#define GUEST_H
#include <stdint.h>

#define READ_SYSREG(name) ({ uint64_t _v; __asm__ volatile("mrs %0, " #name : "=r"(_v)); _v; })
#define WRITE_SYSREG(name, v) __asm__ volatile("msr " #name ", %0" :: "r"((uint64_t)(v)) : "memory")
#define ISB() __asm__ volatile("isb" ::: "memory")

void puts_semihost(const char *s);
void putc_semihost(char c);
void uart_puts(const char *s);
void print(const char *s);          // semihosting and UART both
void print_hex(uint64_t v);
void print_dec(uint64_t v);
void check(int ok, const char *what); // prints PASS/FAIL, counts failures
extern int failures;
__attribute__((noreturn)) void guest_exit(int status);

struct hvc_result { uint64_t x0, x1, x2, x3; };
struct hvc_result hvc_call(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3);
struct hvc_result smc_call(uint64_t x0, uint64_t x1, uint64_t x2, uint64_t x3);

// The last exception the guest's own vectors took (kind = vector index 0..15).
struct exception_record { uint64_t count, kind, esr, elr; };
extern volatile struct exception_record last_exception;
// What the default handler does: record the exception in last_exception and
// return where to resume (past a synchronous one). Handlers of their own call
// it for the exceptions they do not expect.
uint64_t default_exception(uint64_t kind, uint64_t esr, uint64_t elr);

#define PSCI_VERSION 0x84000000u
#define PSCI_CPU_OFF 0x84000002u
#define PSCI_CPU_ON 0xC4000003u
#define PSCI_AFFINITY_INFO 0xC4000004u
#define PSCI_MIGRATE_INFO_TYPE 0x84000006u
#define PSCI_SYSTEM_OFF 0x84000008u
#define PSCI_SYSTEM_RESET 0x84000009u
#define PSCI_FEATURES 0x8400000Au
#define SMCCC_VERSION 0x80000000u
#endif
