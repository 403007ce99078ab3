// The GICv3 ITS: the guest gives the ITS its tables and command queue, maps
// device 0's events 0 and 1 to LPIs 8192 and 8193 in collection 0, which
// targets this vCPU's redistributor (MAPD, MAPC, MAPTI), and makes them
// pending with the INT command and with a write of the EventID to
// GITS_TRANSLATER; each reaches the vCPU as an LPI. The configuration table
// decides: an LPI disabled there stays pending until INV enables it again,
// CLEAR drops a pending one, and unmapped events (DISCARD, MAPD V=0) reach nothing.
// With vCPU 1 online: MOVI moves an event (and its pending LPI) to a
// collection on vCPU 1, MOVALL moves vCPU 1's LPIs back, MAPC retargets a collection.
// Entered at EL2 (`--entry-el 2`) it runs init_el first and the ITS is the
// hardware's: the LPIs reach each PE's physical CPU interface.
#include "guest.h"
#include "gic.h"
#include "el2.h"

#define GITS 0x08080000ul
#define GITS_CTLR (GITS + 0x0)
#define GITS_TYPER (GITS + 0x8)
#define GITS_CBASER (GITS + 0x80)
#define GITS_CWRITER (GITS + 0x88)
#define GITS_CREADR (GITS + 0x90)
#define GITS_BASER(n) (GITS + 0x100 + 8 * (n))
#define GITS_TRANSLATER (GITS + 0x10040)
#define GICD_TYPER (GICD_BASE + 0x4)
#define GICR_CTLR (GICR_BASE + 0x0)
#define GICR_TYPER (GICR_BASE + 0x8)
#define GICR_PROPBASER (GICR_BASE + 0x70)
#define GICR_PENDBASER (GICR_BASE + 0x78)

// The tables, in RAM past the image (64 KiB aligned, zero at boot).
#define PROP 0x44000000ul         // LPI configuration: a byte per LPI from 8192
#define PEND 0x44010000ul         // vCPU 0's pending table (vCPU 1's: PEND1)
#define PEND1 0x44060000ul
#define DEVICES 0x44020000ul
#define COLLECTIONS 0x44030000ul
#define QUEUE 0x44040000ul        // one 4 KiB page: 128 commands
#define ITT 0x44050000ul

#define LPI0 8192
#define ENABLED 0xa3              // priority 0xa0, RES1, Enable
#define DISABLED 0xa2
#define VALID (1ull << 63)

static inline void w64(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }
static inline uint64_t r64(uint64_t a) { return *(volatile uint64_t *)a; }

static volatile uint8_t *const prop = (volatile uint8_t *)PROP;
static volatile uint64_t taken, last, taken1, last1, online1;
static unsigned next;
extern char secondary_entry[];

static void took(uint64_t intid, uint64_t elr) {
    (void)elr;
    if (intid == SPURIOUS) return;
    if (READ_SYSREG(MPIDR_EL1) & 0xff) {
        taken1++;
        last1 = intid;
    } else {
        taken++;
        last = intid;
    }
}

GIC_GUEST_EXCEPTION_HANDLER(took)

// vCPU 1: its redistributor with LPIs on, then interrupts taken in WFI.
void secondary_main(uint64_t id) {
    (void)id;
    init_el();
    gic_init_cpu(1);
    w64(GICR_BASE + GICR_STRIDE + 0x78, PEND1);   // GICR_PENDBASER
    w32(GICR_BASE + GICR_STRIDE, 1);              // GICR_CTLR.EnableLPIs
    online1 = 1;
    for (;;) wait_for_change(&taken1, taken1);
}

// Waits a while for vCPU 1 to take an LPI: true if its count moved past `old`.
static int vcpu1_took(uint64_t old) {
    for (int i = 0; i < 20000 && taken1 == old; i++) __asm__ volatile("yield");
    return taken1 != old;
}

// Writes a command at CWRITER, moves CWRITER past it and waits for CREADR.
static void command4(uint64_t w0, uint64_t w1, uint64_t w2, uint64_t w3) {
    volatile uint64_t *c = (volatile uint64_t *)(QUEUE + 32 * next);
    c[0] = w0;
    c[1] = w1;
    c[2] = w2;
    c[3] = w3;
    next = (next + 1) % 128;
    __asm__ volatile("dsb st" ::: "memory");
    w64(GITS_CWRITER, 32 * next);
    while (r64(GITS_CREADR) != 32 * next) {}
}

static void command(uint64_t w0, uint64_t w1, uint64_t w2) { command4(w0, w1, w2, 0); }

static void mapd(uint32_t dev, int valid) { command(0x08 | (uint64_t)dev << 32, 4 - 1, ITT | (valid ? VALID : 0)); }
static void mapc(uint16_t col, unsigned pe) { command(0x09, 0, col | (uint64_t)pe << 16 | VALID); }
static void mapti(uint32_t dev, uint32_t event, uint32_t lpi, uint16_t col) {
    command(0x0a | (uint64_t)dev << 32, event | (uint64_t)lpi << 32, col);
}
static void event_command(uint64_t cmd, uint32_t dev, uint32_t event) { command(cmd | (uint64_t)dev << 32, event, 0); }
#define INT 0x03
#define CLEAR 0x04
#define INV 0x0c
#define DISCARD 0x0f
#define MOVI 0x01

// Opens IRQs for a moment: whatever is pending in the list registers is taken.
static void window(void) {
    IRQ_UNMASK();
    ISB();
    IRQ_MASK();
}

int main(void) {
    // PSCI is the hypervisor's over HVC, or with the guest owning EL2 the firmware's over SMC.
    int own_el2 = READ_SYSREG(CurrentEL) == 8;
    init_el();
    IRQ_MASK();   // init_el's ERET to EL1 unmasks them
    gic_init_distributor();
    gic_init_cpu(0);
    check(r32(GICD_TYPER) & (1u << 17), "GICD_TYPER.LPIS: the distributor supports LPIs");
    check(r64(GICR_TYPER) & 1, "GICR_TYPER.PLPIS: the redistributor supports LPIs");
    uint64_t typer = r64(GITS_TYPER);
    check((typer & 1) && ((typer >> 4) & 15) == 7, "GITS_TYPER: physical LPIs, 8-byte ITT entries");
    check(((r64(GITS_BASER(0)) >> 56) & 7) == 1 && ((r64(GITS_BASER(1)) >> 56) & 7) == 4,
          "GITS_BASER0 is the device table, GITS_BASER1 the collection table");

    prop[0] = ENABLED;
    prop[1] = ENABLED;
    w64(GICR_PROPBASER, PROP | (14 - 1));   // 14 ID bits: LPIs below 16384
    w64(GICR_PENDBASER, PEND);
    w32(GICR_CTLR, 1);                      // EnableLPIs
    check(r32(GICR_CTLR) & 1, "GICR_CTLR.EnableLPIs set");
    w64(GITS_BASER(0), r64(GITS_BASER(0)) | DEVICES | VALID);
    w64(GITS_BASER(1), r64(GITS_BASER(1)) | COLLECTIONS | VALID);
    w64(GITS_CBASER, QUEUE | VALID);
    w64(GITS_CWRITER, 0);
    w32(GITS_CTLR, 1);
    check((r32(GITS_CTLR) & 1) != 0, "GITS_CTLR.Enabled");

    mapd(0, 1);
    mapc(0, 0);
    mapti(0, 0, LPI0, 0);
    mapti(0, 1, LPI0 + 1, 0);
    event_command(INT, 0, 0);
    check(taken == 0, "IRQs masked: LPI 8192 waits");
    window();
    check(taken == 1 && last == LPI0, "INT: device 0 event 0 -> LPI 8192 taken");

    w32(GITS_TRANSLATER, 1);
    window();
    check(taken == 2 && last == LPI0 + 1, "GITS_TRANSLATER write of EventID 1 -> LPI 8193 taken");

    prop[1] = DISABLED;
    event_command(INV, 0, 1);
    w32(GITS_TRANSLATER, 1);
    window();
    check(taken == 2, "disabled in the configuration table (INV): LPI 8193 not taken");
    prop[1] = ENABLED;
    event_command(INV, 0, 1);
    window();
    check(taken == 3 && last == LPI0 + 1, "enabled again (INV): the pending LPI 8193 taken");

    prop[1] = DISABLED;
    event_command(INV, 0, 1);
    event_command(INT, 0, 1);
    event_command(CLEAR, 0, 1);
    prop[1] = ENABLED;
    event_command(INV, 0, 1);
    window();
    check(taken == 3, "CLEAR: the pending LPI 8193 dropped");

    event_command(DISCARD, 0, 1);
    w32(GITS_TRANSLATER, 1);
    window();
    check(taken == 3, "DISCARD: event 1 reaches nothing");

    mapd(0, 0);
    event_command(INT, 0, 0);
    window();
    check(taken == 3, "MAPD V=0: device 0's events reach nothing");
    mapd(0, 1);
    mapti(0, 0, LPI0, 0);

    uint64_t on = own_el2 ? smc_call(PSCI_CPU_ON, 1, (uint64_t)secondary_entry, 1).x0
                          : hvc_call(PSCI_CPU_ON, 1, (uint64_t)secondary_entry, 1).x0;
    if (on != 0) {
        check(0, "vCPU 1 started (run with --cpus 2)");
        return failures;
    }
    while (!online1) {}
    prop[2] = ENABLED;
    mapc(1, 1);
    mapti(0, 2, LPI0 + 2, 0);
    command(MOVI, 2, 1);                         // device 0, event 2 -> collection 1
    event_command(INT, 0, 2);
    check(vcpu1_took(0) && last1 == LPI0 + 2, "MOVI to collection 1: event 2 -> LPI 8194 taken by vCPU 1");
    window();
    check(taken == 3, "MOVI: LPI 8194 not taken by vCPU 0");

    prop[2] = DISABLED;
    event_command(INV, 0, 2);
    event_command(INT, 0, 2);
    command(MOVI, 2, 0);                         // back to collection 0, pending
    prop[2] = ENABLED;
    event_command(INV, 0, 2);
    window();
    check(taken == 4 && last == LPI0 + 2 && !vcpu1_took(1), "MOVI moves the pending LPI 8194 with it (to vCPU 0)");

    command(MOVI, 2, 1);
    command4(0x0e, 0, 1ull << 16, 0);            // MOVALL: vCPU 1's LPIs to vCPU 0
    event_command(INT, 0, 2);
    window();
    check(taken == 5 && last == LPI0 + 2 && !vcpu1_took(1), "MOVALL: LPI 8194 now goes to vCPU 0");

    mapc(0, 1);                                  // collection 0 now on vCPU 1
    event_command(INT, 0, 0);                    // event 0 (LPI 8192) is in collection 0
    check(vcpu1_took(1) && last1 == LPI0, "MAPC retargets collection 0: LPI 8192 taken by vCPU 1");
    window();
    check(taken == 5, "MAPC: LPI 8192 not taken by vCPU 0");
    check(last_exception.count == 0, "no unexpected exception");
    return failures;
}
