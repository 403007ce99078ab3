// Memory tagging (FEAT_MTE3, `--mte`, QEMU's mte=on): two pages of Tagged
// memory (MAIR attribute 0xF0), their granules tagged with STG, and loads and
// stores through pointers whose tag (bits 59:56, TCR_EL1.TBI0) matches or
// does not, under SCTLR_EL1.TCF sync, async and asymm, as kvm-unit-tests'
// mte test does; then LDG, ADDG, IRG, GMI and hostile STGs.
#include "guest.h"
#include "mmu.h"

#define L1_TABLE 0x45000000ul
#define L2_TABLE 0x45001000ul
#define L3_TABLE 0x45002000ul
#define PAGE 0x46000000ul            // the Tagged pages: the first two of the 2 MiB the L3 table maps
#define TAGGED(p, t) ((uint64_t)(p) & ~(0xful << 56) | (uint64_t)(t) << 56)
#define SCTLR_ATA (1ul << 43)
#define TCF(m) ((uint64_t)(m) << 40)
#define MTE ".arch armv8.5-a+memtag\n"

static volatile int tag_faults;
static volatile uint64_t fault_esr, fault_far;

// A synchronous exception from a tag check (or a hostile STG): recorded, the access skipped.
uint64_t exception_handler(uint64_t kind, uint64_t esr, uint64_t elr, uint64_t *frame) {
    (void)frame;
    if ((esr >> 26) == 0x25) {
        tag_faults++;
        fault_esr = esr;
        fault_far = READ_SYSREG(far_el1);
        return elr + 4;
    }
    return default_exception(kind, esr, elr);
}

static void set_tcf(int mode) {
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) & ~TCF(3) | TCF(mode));
    WRITE_SYSREG(s3_0_c5_c6_0, 0);   // TFSR_EL1
    ISB();
}

static uint64_t take_tfsr(void) {
    __asm__ volatile("dsb nsh; isb" ::: "memory");
    uint64_t r = READ_SYSREG(s3_0_c5_c6_0);
    WRITE_SYSREG(s3_0_c5_c6_0, 0);
    return r;
}

static void stg(uint64_t p) { __asm__ volatile(MTE "stg %0, [%0]" :: "r"(p) : "memory"); }

// One 32-bit load and store each, so that a fault skips exactly the access.
static uint32_t load(uint64_t p, uint32_t before) {
    uint64_t v = before;
    __asm__ volatile("ldr %w0, [%1]" : "+r"(v) : "r"(p) : "memory");
    return (uint32_t)v;
}
static void store(uint64_t p, uint32_t v) { __asm__ volatile("str %w0, [%1]" :: "r"(v), "r"(p) : "memory"); }

static int dfsc_is_tag_check(int write) {
    return (fault_esr & 0x3f) == 0x11 && !!(fault_esr & (1 << 6)) == write && !(fault_esr & (1u << 24));
}

int main(void) {
    uint64_t pfr1 = READ_SYSREG(id_aa64pfr1_el1);
    check(((pfr1 >> 8) & 0xf) >= 3, "ID_AA64PFR1_EL1.MTE: FEAT_MTE3");
    if (((pfr1 >> 8) & 0xf) < 3) return failures;

    // Identity tables; the two pages at PAGE Tagged (MAIR attr2 = 0xF0), the rest of their 2 MiB Normal.
    volatile uint64_t *l2 = (volatile uint64_t *)L2_TABLE, *l3 = (volatile uint64_t *)L3_TABLE;
    mmu_identity_tables((volatile uint64_t *)L1_TABLE, l2, l3);
    for (uint64_t i = 0; i < 512; i++) l3[i] = (PAGE + (i << 12)) | ATTR(0) | SH_INNER | AF | 3;
    l3[0] = PAGE | ATTR(2) | SH_INNER | AF | 3;
    l3[1] = (PAGE + 4096) | ATTR(2) | SH_INNER | AF | 3;
    l2[(PAGE - 0x40000000ul) >> 21] = L3_TABLE | 3;
    mmu_enable(L1_TABLE);
    WRITE_SYSREG(mair_el1, 0xf004ffull);
    WRITE_SYSREG(tcr_el1, READ_SYSREG(tcr_el1) | (1ul << 37));   // TBI0: the tag is not part of the address
    __asm__ volatile("dsb ish; tlbi vmalle1; dsb ish; isb" ::: "memory");
    WRITE_SYSREG(sctlr_el1, READ_SYSREG(sctlr_el1) & ~TCF(3) | SCTLR_ATA);
    ISB();

    // Tag the first page's granules 3, the second's 5, then fill both through matching pointers.
    for (uint64_t g = PAGE; g < PAGE + 8192; g += 16) stg(TAGGED(g, g < PAGE + 4096 ? 3 : 5));
    uint64_t t0 = PAGE + 4080, t1 = PAGE + 4096;
    __asm__ volatile(MTE "ldg %0, [%0]\n ldg %1, [%1]" : "+r"(t0), "+r"(t1));
    check(t0 == TAGGED(PAGE + 4080, 3) && t1 == TAGGED(PAGE + 4096, 5), "STG sets a granule's tag, LDG reads it back");
    for (uint64_t i = 0; i < 1024; i++) ((volatile uint32_t *)TAGGED(PAGE, 3))[i] = 0xffffffff;
    for (uint64_t i = 0; i < 1024; i++) ((volatile uint32_t *)TAGGED(PAGE + 4096, 5))[i] = 0xffffffff;
    check(tag_faults == 0, "TCF = 0: no checks");

    uint64_t good = TAGGED(PAGE, 3), bad = TAGGED(PAGE, 2);
    set_tcf(1);
    check(load(good, 0) == 0xffffffff && tag_faults == 0, "sync: a load through the matching tag");
    uint32_t v = load(bad, 0x1234);
    check(tag_faults == 1 && dfsc_is_tag_check(0) && v == 0x1234, "sync: a mismatching load faults (DFSC 0x11, ISV 0), nothing loaded");
    check((fault_far & ~(0xful << 60)) == bad, "sync: FAR holds the tagged address");
    store(TAGGED(PAGE, 4), 0xbbbbbbbb);
    check(tag_faults == 2 && dfsc_is_tag_check(1) && *(volatile uint32_t *)good == 0xffffffff,
          "sync: a mismatching store faults (WnR), memory unchanged");
    uint64_t a = 1, b = 2;
    __asm__ volatile("ldp %0, %1, [%2]" : "+r"(a), "+r"(b) : "r"(good + 4088) : "memory");
    check(tag_faults == 3 && dfsc_is_tag_check(0) && a == 1 && b == 2, "sync: a pair reaching into the next page's granule (tag 5) faults");
    __asm__ volatile("stp %0, %1, [%2]" :: "r"(0x1111111111111111ul), "r"(0x2222222222222222ul), "r"(TAGGED(PAGE + 4064, 3)) : "memory");
    check(tag_faults == 3 && ((volatile uint64_t *)good)[509] == 0x2222222222222222ul, "sync: a matching pair is performed");
    check(take_tfsr() == 0, "sync: TFSR_EL1 stays 0");

    set_tcf(2);
    check(load(bad, 0) == 0xffffffff && tag_faults == 3, "async: a mismatching load is performed");
    check(take_tfsr() == 1, "async: TFSR_EL1.TF0 set");
    store(TAGGED(PAGE, 5), 0xcccccccc);
    check(*(volatile uint32_t *)good == 0xcccccccc && take_tfsr() == 1, "async: a mismatching store is performed, TF0 set");

    set_tcf(3);
    v = load(bad, 0x1234);
    check(tag_faults == 4 && dfsc_is_tag_check(0) && v == 0x1234 && take_tfsr() == 0, "asymm: a mismatching load faults");
    store(TAGGED(PAGE, 6), 0xaaaaaaaa);
    check(tag_faults == 4 && *(volatile uint32_t *)good == 0xaaaaaaaa && take_tfsr() == 1,
          "asymm: a mismatching store is performed, TF0 set");
    set_tcf(0);

    // Tag arithmetic: ADDG steps the tag past GCR_EL1.Exclude, IRG picks one it allows, GMI sets a mask bit.
    WRITE_SYSREG(s3_0_c1_c0_6, 0x10);   // GCR_EL1.Exclude: tag 4
    uint64_t r, m;
    __asm__ volatile(MTE "addg %0, %1, #32, #1" : "=r"(r) : "r"(TAGGED(PAGE, 3)));
    check(r == TAGGED(PAGE + 32, 5), "ADDG: address + 32, tag 3 + 1 past the excluded 4");
    __asm__ volatile(MTE "irg %0, %1, %2" : "=r"(r) : "r"(PAGE), "r"(0xff7ful));
    check(r == TAGGED(PAGE, 7), "IRG: the only tag GCR_EL1 and Xm leave is 7");
    __asm__ volatile(MTE "gmi %0, %1, %2" : "=r"(m) : "r"(TAGGED(PAGE, 9)), "r"(1ul));
    check(m == ((1ul << 9) | 1), "GMI: bit 9 added to the mask");

    // Hostile STGs: misaligned, and at a VA nothing maps.
    int before = tag_faults;
    stg(TAGGED(PAGE + 8, 1));
    check(tag_faults == before + 1 && (fault_esr & 0x3f) == 0x21, "STG to an unaligned address: alignment fault");
    stg(TAGGED(0x1000000000ul, 1));
    check(tag_faults == before + 2 && (fault_esr & 0x3c) == 0x04, "STG to an unmapped VA: translation fault");
    return failures;
}
