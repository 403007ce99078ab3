// Two vCPUs: PSCI CPU_ON (its errors, the context id in x0), AFFINITY_INFO,
// CPU_OFF, and SGIs ping-ponged between the vCPUs as virtual IPIs
// (ICC_SGI1R_EL1 traps to the hypervisor, which injects into the target).
#include "guest.h"
#include "gic.h"

#define ROUNDS 8
#define PSCI_INVALID_PARAMETERS (-2)
#define PSCI_ALREADY_ON (-4)
#define PSCI_INVALID_ADDRESS (-9)

static volatile uint64_t received[2], online[2], context_seen, wrong_intid;
extern char secondary_entry[];

static unsigned cpu_index(void) { return (unsigned)(READ_SYSREG(MPIDR_EL1) & 0xff); }

uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)esr; (void)frame;
    if (kind == 5) {
        uint64_t intid = gic_ack();
        unsigned cpu = cpu_index();
        if (intid == 1 + cpu) received[cpu & 1]++; else wrong_intid++;
        if (intid != SPURIOUS) gic_eoi(intid);
        return elr;
    }
    last_exception.count++;
    return (kind & 3) == 0 ? elr + 4 : elr;
}

// vCPU 1: answer every SGI 2 with an SGI 1 back to vCPU 0 (SGI n goes to vCPU n-1).
void secondary_main(uint64_t id) {
    context_seen = id;
    gic_init_cpu(1);
    online[1] = 1;
    for (uint64_t i = 0; i < ROUNDS; i++) {
        wait_for_change(&received[1], i);
        gic_send_sgi(0, 1);
    }
    hvc_call(PSCI_CPU_OFF, 0, 0, 0);
    online[1] = 99;   // never reached: CPU_OFF does not return
}

static int64_t cpu_on(uint64_t mpidr, uint64_t entry, uint64_t ctx) {
    return (int64_t)hvc_call(PSCI_CPU_ON, mpidr, entry, ctx).x0;
}

static int64_t affinity(uint64_t mpidr) { return (int64_t)hvc_call(PSCI_AFFINITY_INFO, mpidr, 0, 0).x0; }

int main(void) {
    gic_init_distributor();
    gic_init_cpu(0);
    online[0] = 1;
    check(cpu_index() == 0, "boot vCPU has MPIDR Aff0 0");
    uint64_t typer0 = *(volatile uint64_t *)(GICR_BASE + 0x8), typer1 = *(volatile uint64_t *)(GICR_BASE + GICR_STRIDE + 0x8);
    check((typer0 >> 32) == 0 && !(typer0 & 0x10), "GICR_TYPER of vCPU 0: affinity 0, not Last");
    check((typer1 >> 32) == 1 && (typer1 & 0x10), "GICR_TYPER of vCPU 1: affinity 1, Last");
    check((*(volatile uint32_t *)(GICD_BASE + 0x8) & 0xfff) == 0x43b, "GICD_IIDR: Arm implementer");
    check(((*(volatile uint32_t *)(GICD_BASE + 0x4) >> 19) & 0x1f) >= 9, "GICD_TYPER: at least 10 INTID bits");
    check((*(volatile uint32_t *)(GICD_BASE + 0xffe8) >> 4) == 3, "GICD_PIDR2: GICv3");
    check((*(volatile uint32_t *)(GICR_BASE + 0x10000 + 0x100) & (1u << 27)) != 0, "GICR_ISENABLER0: PPI 27 enabled");
    *(volatile uint32_t *)(GICD_BASE + 0x104) = 1u << 1;   // SPI 33 (the UART)
    check((*(volatile uint32_t *)(GICD_BASE + 0x104) & 2u) != 0, "GICD_ISENABLER1: SPI 33 enabled");
    *(volatile uint32_t *)(GICD_BASE + 0x184) = 1u << 1;
    check((*(volatile uint32_t *)(GICD_BASE + 0x104) & 2u) == 0, "GICD_ICENABLER1: SPI 33 disabled");
    check(cpu_on(5, (uint64_t)secondary_entry, 5) == PSCI_INVALID_PARAMETERS, "CPU_ON of a vCPU that does not exist: INVALID_PARAMETERS");
    check(cpu_on(1, 0x1000, 1) == PSCI_INVALID_ADDRESS, "CPU_ON with an entry outside RAM: INVALID_ADDRESS");
    check(affinity(1) == 1, "AFFINITY_INFO: vCPU 1 starts OFF");
    check(cpu_on(1, (uint64_t)secondary_entry, 1) == 0, "CPU_ON vCPU 1: SUCCESS");
    check(cpu_on(1, (uint64_t)secondary_entry, 1) == PSCI_ALREADY_ON, "CPU_ON twice: ALREADY_ON");
    while (!online[1]) {}
    check(context_seen == 1, "the secondary got its context id in x0");
    check(affinity(1) == 0, "AFFINITY_INFO: vCPU 1 is ON");

    for (uint64_t i = 0; i < ROUNDS; i++) {
        gic_send_sgi(1, 2);
        wait_for_change(&received[0], i);
    }
    check(received[0] == ROUNDS && received[1] == ROUNDS, "SGI ping-pong: every IPI arrived");
    check(wrong_intid == 0, "no interrupt with a wrong INTID");

    int off = 0;
    for (int i = 0; i < 100 && !off; i++) off = affinity(1) == 1;
    check(off, "CPU_OFF: AFFINITY_INFO reports vCPU 1 OFF");
    check(online[1] == 1, "CPU_OFF did not return");
    check(last_exception.count == 0, "no unexpected exception");
    print("IPIs: "); print_dec(received[0] + received[1]); print("\n");
    return failures;
}
