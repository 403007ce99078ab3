// The micro-benchmark guest, measured as kvm-unit-tests' micro-bench does:
// each benchmark runs ITERATIONS times between two CNTVCT reads (with
// dsb ish; isb), so the guest itself sees the cost on virtual time.
// x0 at entry selects one benchmark (0 = all), x1 the iterations (0 = 1024): 1 hypercall, 2 I/O kernel,
// 3 I/O user, 4 virtual IPI, 5 virtual EOI.
#include "guest.h"
#include "gic.h"

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

// Virtual IPI (kvm-unit-tests' ipi): vCPU 0 sends SGI 1 to vCPU 1, whose IRQ
// handler acknowledges and ends it; vCPU 0 waits until it has.
static volatile uint64_t ipi_received, partner_ready;
extern char secondary_entry[];

uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)frame;
    if (kind == 5) {
        uint64_t intid = gic_ack();
        if (intid < 16) ipi_received = 1;
        if (intid != SPURIOUS) gic_eoi(intid);
        return elr;
    }
    last_exception.count++;
    last_exception.kind = kind;
    last_exception.esr = esr;
    last_exception.elr = elr;
    return (kind & 3) == 0 ? elr + 4 : elr;
}

void secondary_main(uint64_t id) {
    gic_init_cpu((unsigned)id);
    partner_ready = 1;
    IRQ_UNMASK();
    for (;;) __asm__ volatile("wfi" ::: "memory");
}

static int start_ipi_partner(void) {
    gic_init_distributor();
    gic_init_cpu(0);
    if (hvc_call(PSCI_CPU_ON, 1, (uint64_t)secondary_entry, 1).x0 != 0) return 0;
    while (!partner_ready) {}
    return 1;
}

static void ipi(void) {
    ipi_received = 0;
    gic_send_sgi(1, 1);
    while (!ipi_received) {}
}

// Virtual EOI (kvm-unit-tests' eoi): an EOI of the spurious INTID, served by
// the virtual CPU interface without an exit.
static void eoi(void) { WRITE_SYSREG(S3_0_C12_C12_1, SPURIOUS); }

int main(uint64_t which, uint64_t count) {
    if (which >= 16) which = 0;   // a device tree address: run everything
    if (count) iterations = count;
    if (which == 0 || which == 1) run("hypercall", hypercall);
    if (which == 0 || which == 2) run("io_kernel", io_kernel);
    if (which == 0 || which == 3) run("io_user", io_user);
    if (which == 4 && !start_ipi_partner()) {
        print("virtual IPI needs a second vCPU (--cpus 2)\n");
        return 2;
    }
    if (which == 4) run("ipi", ipi);
    if (which == 5) {
        gic_init_distributor();
        gic_init_cpu(0);
        run("eoi", eoi);
    }
    return 0;
}
