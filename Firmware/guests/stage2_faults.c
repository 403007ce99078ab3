// Stage-2 faults with the guest's own MMU on (identity-mapped stage 1):
// a write to a page the hypervisor made read-only, a fetch from an
// execute-never page, a stage-2 fault on a stage-1 table walk (S1PTW), a
// stage-1 fault of the guest's own, MMIO through both stages, and a page
// remapped at stage 2 that the guest sees only after the TLBI.
// The hypervisor's side is the test hypercall service (0xC600_00xx).
#include "guest.h"
#include "mmu.h"

#define TEST_PROTECT 0xC6000001u   // x1 IPA, x2 writable, x3 executable
#define TEST_REMAP   0xC6000002u   // x1 IPA, x2 fill byte of the new page, x3 invalidate
#define TEST_FLUSH   0xC6000003u   // x1 IPA: TLBI IPAS2E1IS + VMALLE1IS
#define TEST_UNMAP   0xC6000004u   // x1 IPA: remove the page at stage 2, with TLBI
#define TEST_VMID    0xC6000005u   // x1 the VM's new VMID, no TLBI
#define TEST_AF      0xC6000006u   // x1 IPA: clear the stage-2 access flag

#define PAGE_REMAP  0x44000000ul
#define PAGE_REMAP2 0x44001000ul
#define PAGE_S1PTW  0x44002000ul
#define PAGE_REMAP3 0x44003000ul
#define PAGE_AF     0x44004000ul
#define PAGE_RO     0x44100000ul
#define PAGE_XN     0x44200000ul
#define L1_TABLE    0x45000000ul
#define L2_TABLE    0x45001000ul
#define L3_TABLE    0x45002000ul   // maps 0x4400_0000 - 0x441F_FFFF
#define TESTDEV     0x0A000000ul

static volatile uint64_t *const l1 = (volatile uint64_t *)L1_TABLE;
static volatile uint64_t *const l2 = (volatile uint64_t *)L2_TABLE;
static volatile uint64_t *const l3 = (volatile uint64_t *)L3_TABLE;

static void mmu_on(void) {
    mmu_identity_tables(l1, l2, l3);                           // devices, and RAM in 2 MiB blocks ...
    l2[(PAGE_REMAP - 0x40000000ul) >> 21] = L3_TABLE | 3;      // ... and one 2 MiB range in pages
    for (uint64_t i = 0; i < 512; i++) l3[i] = (PAGE_REMAP + (i << 12)) | ATTR(0) | SH_INNER | AF | 3;
    mmu_enable(L1_TABLE);
}

static void flush_stage1(void) { __asm__ volatile("dsb ish; tlbi vmalle1; dsb ish; isb" ::: "memory"); }

static uint64_t rd(uint64_t a) { return *(volatile uint64_t *)a; }
static void wr(uint64_t a, uint64_t v) { *(volatile uint64_t *)a = v; }

int main(void) {
    mmu_on();
    check((READ_SYSREG(sctlr_el1) & 1) == 1, "stage-1 MMU on");

    // MMIO through both stages.
    wr(TESTDEV + 0x100, 0x1122334455667788ull);
    check(rd(TESTDEV + 0x100) == 0x1122334455667788ull, "MMIO with the MMU on");

    // A write to a page stage 2 makes read-only: the hypervisor sees it and restores the page.
    wr(PAGE_RO, 1);
    hvc_call(TEST_PROTECT, PAGE_RO, 0, 1);
    wr(PAGE_RO + 0x18, 0x1234);
    check(rd(PAGE_RO + 0x18) == 0x1234, "write to a stage-2 read-only page completes after the fault");

    // A fetch from an execute-never page.
    volatile uint32_t *code = (volatile uint32_t *)PAGE_XN;
    code[0] = 0xD2800540;   // mov x0, #42
    code[1] = 0xD65F03C0;   // ret
    __asm__ volatile("dsb ish; ic iallu; dsb ish; isb" ::: "memory");
    hvc_call(TEST_PROTECT, PAGE_XN, 1, 0);
    uint64_t (*fn)(void) = (uint64_t (*)(void))PAGE_XN;
    check(fn() == 42, "code on a stage-2 execute-never page runs after the fault");

    // A stage-2 fault on the stage-1 walk: the L3 table's page is unmapped at stage 2.
    wr(PAGE_S1PTW + 0x10, 0x5151);
    hvc_call(TEST_UNMAP, L3_TABLE, 0, 0);
    flush_stage1();
    check(rd(PAGE_S1PTW + 0x10) == 0x5151, "access whose stage-1 walk faulted at stage 2 completes");

    // A stage-2 access flag fault.
    wr(PAGE_AF + 0x20, 0xAF);
    hvc_call(TEST_AF, PAGE_AF, 0, 0);
    check(rd(PAGE_AF + 0x20) == 0xAF, "read of a page with its stage-2 access flag clear completes");

    // The guest's own stage-1 translation fault (level 1: L1[2] is invalid).
    uint64_t before = last_exception.count;
    (void)rd(0x80000000ul);
    check(last_exception.count == before + 1 && (last_exception.esr >> 26) == 0x25 && (last_exception.esr & 0x3f) == 0x05,
          "stage-1 translation fault level 1 goes to the guest");

    // Remap at stage 2 without TLBI: the old page stays visible until the TLBI.
    wr(PAGE_REMAP, 0x1111);
    check(rd(PAGE_REMAP) == 0x1111, "page before the remap");
    hvc_call(TEST_REMAP, PAGE_REMAP, 0xAB, 0);
    check(rd(PAGE_REMAP) == 0x1111, "remapped without TLBI: the old page is still seen");
    hvc_call(TEST_FLUSH, PAGE_REMAP, 0, 0);
    check(rd(PAGE_REMAP) == 0xABABABABABABABABull, "after TLBI IPAS2E1IS: the new page is seen");
    // ... and with the TLBI done by the hypervisor at once.
    wr(PAGE_REMAP2, 0x2222);
    check(rd(PAGE_REMAP2) == 0x2222, "second page before the remap");
    hvc_call(TEST_REMAP, PAGE_REMAP2, 0xCD, 1);
    check(rd(PAGE_REMAP2) == 0xCDCDCDCDCDCDCDCDull, "remapped with TLBI: the new page at once");
    // ... and a new VMID instead of the TLBI: the old VMID's entries do not apply.
    wr(PAGE_REMAP3, 0x3333);
    hvc_call(TEST_REMAP, PAGE_REMAP3, 0xEF, 0);
    check(rd(PAGE_REMAP3) == 0x3333, "third page remapped without TLBI: old page");
    hvc_call(TEST_VMID, 2, 0, 0);
    check(rd(PAGE_REMAP3) == 0xEFEFEFEFEFEFEFEFull, "after a VMID change: the new page");
    return failures;
}
