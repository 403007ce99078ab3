// The micro-benchmark guest, measured as kvm-unit-tests' micro-bench does:
// each benchmark runs ITERATIONS times between two CNTVCT reads (with
// dsb ish; isb), so the guest itself sees the cost on virtual time.
// x0 at entry selects one benchmark (0 = all), x1 the iterations (0 = 1024): 1 hypercall, 2 I/O kernel,
// 3 I/O user, 4 virtual IPI, 5 virtual EOI.
#include "guest.h"

#define DEFAULT_ITERATIONS 1024
static uint64_t iterations = DEFAULT_ITERATIONS;
#define TESTDEV_KERNEL 0x0A000000ul   // a register served in the hypervisor
#define TESTDEV_USER   0x0A000008ul   // a register served by the user-space model

static uint64_t counter(void) {
    uint64_t v;
    __asm__ volatile("dsb ish; isb; mrs %0, cntvct_el0; isb" : "=r"(v) :: "memory");
    return v;
}

static void hypercall(void) { hvc_call(PSCI_VERSION, 0, 0, 0); }
static void io_kernel(void) { (void)*(volatile uint32_t *)TESTDEV_KERNEL; }
static void io_user(void) { (void)*(volatile uint32_t *)TESTDEV_USER; }

static void run(const char *name, void (*op)(void)) {
    op();   // warm up: translate the code, fill the stage-2 "TLB"
    uint64_t t0 = counter();
    for (uint64_t i = 0; i < iterations; i++) op();
    uint64_t t1 = counter();
    print(name); print(" ticks/op="); print_dec((t1 - t0) / iterations); print("\n");
}

int main(uint64_t which, uint64_t count) {
    if (which >= 16) which = 0;   // a device tree address: run everything
    if (count) iterations = count;
    if (which == 0 || which == 1) run("hypercall", hypercall);
    if (which == 0 || which == 2) run("io_kernel", io_kernel);
    if (which == 0 || which == 3) run("io_user", io_user);
    if (which == 4 || which == 5) {
        print("benchmark not built into this guest yet\n");
        return 2;
    }
    return 0;
}
