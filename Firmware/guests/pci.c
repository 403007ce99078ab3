// The PCIe host bridge and QEMU's pci-testdev, as kvm-unit-tests' pci-test
// drives them: probe bus 0 through ECAM, size the BARs with all-ones, place
// them in the windows, enable decoding, then run each BAR's test protocol.
// Also what a careless guest does: BARs over RAM and the UART, odd widths.
#include "guest.h"

#define ECAM 0x3f000000ul
#define IO_WINDOW 0x3eff0000ul
#define MEM_WINDOW 0x10000000ul
#define CFG(devfn, reg) (ECAM + ((uint64_t)(devfn) << 12) + (reg))
#define TESTDEV 0x08                     // 00:01.0
#define BAR(n) (0x10 + 4 * (n))

static inline uint8_t r8(uint64_t a) { return *(volatile uint8_t *)a; }
static inline uint16_t r16(uint64_t a) { return *(volatile uint16_t *)a; }
static inline uint32_t r32(uint64_t a) { return *(volatile uint32_t *)a; }
static inline uint64_t r64(uint64_t a) { return *(volatile uint64_t *)a; }
static inline void w8(uint64_t a, uint8_t v) { *(volatile uint8_t *)a = v; }
static inline void w16(uint64_t a, uint16_t v) { *(volatile uint16_t *)a = v; }
static inline void w32(uint64_t a, uint32_t v) { *(volatile uint32_t *)a = v; }

static int streq(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}

static uint32_t bar_sizing(int n) {
    uint32_t old = r32(CFG(TESTDEV, BAR(n)));
    w32(CFG(TESTDEV, BAR(n)), ~0u);
    uint32_t v = r32(CFG(TESTDEV, BAR(n)));
    w32(CFG(TESTDEV, BAR(n)), old);
    return v;
}

// Runs tests 0.. of one BAR as kvm-unit-tests' pci_testdev_one does (the
// header: u8 test, width; u32 offset at 4, data at 8, count at 12; name at 16)
// and prints each name with the writes it counted. Returns how many of the
// three are named as QEMU's and counted all 16 writes, or none where QEMU's
// ioeventfd takes them (any test but no-eventfd).
static int run_tests(uint64_t base, const char *const names[3]) {
    int passed = 0;
    for (int i = 0;; i++) {
        w8(base, (uint8_t)i);
        uint32_t count = r32(base + 12);
        uint8_t width = r8(base + 1);
        if (count != 0 || width != 1) break;
        uint32_t sig = r32(base + 8), off = r32(base + 4);
        for (int k = 0; k < 16; k++) w8(base + off, (uint8_t)sig);
        char name[32];
        for (int k = 0; k < 31; k++) name[k] = (char)r8(base + 16 + k);
        name[31] = 0;
        count = r32(base + 12);
        if (i < 3 && streq(name, names[i]) && (count == 16 || (count == 0 && i > 0))) passed++;
        print("  "); print(name); print(": "); print_dec(count); print(" writes counted\n");
    }
    return passed;
}

static uint8_t page[4096] __attribute__((aligned(4096)));

int main(void) {
    int found = 0;
    for (int devfn = 0; devfn < 256; devfn++) if (r16(CFG(devfn, 0)) != 0xffff) found++;
    check(found == 2, "bus 0 holds two functions");
    check(r32(CFG(0, 0)) == 0x00081b36 && r32(CFG(0, 8)) >> 8 == 0x060000, "00:00.0 is the host bridge 1b36:0008, class 0600");
    check(r32(CFG(TESTDEV, 0)) == 0x00051b36 && r32(CFG(TESTDEV, 8)) >> 8 == 0x00ff00, "00:01.0 is pci-testdev 1b36:0005, class 00ff");
    check(r32(ECAM + (1ul << 20)) == ~0u && r32(CFG(TESTDEV, 0x100)) == ~0u, "bus 1 and extended config space read all-ones");
    check(r64(CFG(TESTDEV, 0)) == 0x0000000000051b36ul, "a 64-bit config read: IDs, COMMAND and STATUS 0");
    check(r8(CFG(TESTDEV, 1)) == 0x1b && r16(CFG(TESTDEV, 2)) == 0x0005, "byte and halfword config reads");
    w32(CFG(TESTDEV, 0), 0);
    check(r32(CFG(TESTDEV, 0)) == 0x00051b36, "the IDs are read-only");

    check(bar_sizing(0) == 0xfffff000u, "BAR0 sizes as 4 KiB of 32-bit memory");
    check(bar_sizing(1) == 0xffffff01u, "BAR1 sizes as 256 bytes of I/O");
    check(bar_sizing(2) == 0 && bar_sizing(5) == 0, "BAR2-5 are not implemented");

    w32(CFG(TESTDEV, BAR(0)), MEM_WINDOW);
    w32(CFG(TESTDEV, BAR(1)), 0x100);
    check(r32(MEM_WINDOW) == ~0u, "memory space disabled: the BAR decodes nothing (all-ones)");
    w16(CFG(TESTDEV, 4), 3);             // COMMAND: I/O and memory space
    check(r16(CFG(TESTDEV, 4)) == 3, "COMMAND enables I/O and memory space");

    static const char *const mmio[3] = { "mmio-no-eventfd", "mmio-wildcard-eventfd", "mmio-datamatch-eventfd" };
    static const char *const pio[3] = { "portio-no-eventfd", "portio-wildcard-eventfd", "portio-datamatch-eventfd" };
    check(run_tests(MEM_WINDOW, mmio) == 3, "BAR0 (memory): the 3 tests of QEMU's pci-testdev");
    check(run_tests(IO_WINDOW + 0x100, pio) == 3, "BAR1 (I/O at 0x100): the 3 tests of QEMU's pci-testdev");

    // Halfword writes: the device takes them a byte at a time (on QEMU no
    // ioeventfd, which wants one byte, takes them first).
    uint64_t m = MEM_WINDOW;
    w8(m, 2);                            // mmio-datamatch-eventfd: only the signature counts
    w16(m + r32(m + 4), 0x12);
    w16(m + r32(m + 4), 0xfa);           // 0xfa at the offset, 0 past it
    check(r32(m + 12) == 1, "datamatch counts only the signature, a halfword as its bytes");
    uint64_t io = IO_WINDOW + 0x100;     // portio-wildcard-eventfd at 0x84 (halfword-aligned)
    w8(io, 1);
    w16(io + r32(io + 4), 0x12);
    check(r32(io + 12) == 1, "wildcard counts any value");
    w8(m, 7);
    check(r32(m) == 0 && r8(m + 1) == 0, "no test 7: the header reads 0");

    // A BAR over the guest's own RAM or over the UART changes neither.
    page[0] = 0x5a;
    w32(CFG(TESTDEV, BAR(0)), (uint32_t)(uint64_t)page);
    check(r8((uint64_t)page) == 0x5a, "BAR0 over RAM: RAM stays RAM");
    w32(CFG(TESTDEV, BAR(0)), 0x09000000);
    check(r32(0x09000fe0) == 0x11, "BAR0 over the PL011: the UART stays the UART");
    check(r32(MEM_WINDOW) == ~0u, "and the window decodes nothing");
    w16(CFG(TESTDEV, 4), 0);
    return failures;
}
