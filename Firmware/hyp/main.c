// A teaching hypervisor, shaped like KVM's nVHE: it is entered at EL2 with
// E2H = 0 (on QEMU: -M virt,virtualization=on), turns on its own EL2 MMU,
// builds a stage 2 for one guest, loads the guest's ELF (appended to it at
// build time), sets the traps KVM sets, and ERETs to the guest at EL1.
// Then it only runs when the guest exits (exits.c).
//
//   entry.S  EL2 entry, exception vectors, the guest's ELF
//   mmu.c    EL2 stage 1 and the guest's stage 2
//   exits.c  one handler per ESR_EL2.EC; the exit log
//   psci.c   PSCI/SMCCC: forwarded to EL3 with SMC, or answered here
//   mmio.c   the emulated PL011
//   vgic.c   the GICv3: list registers, maintenance interrupt
//   uart.c   the hypervisor's console
#include "hyp.h"

// HCR_EL2 for the guest: KVM's HCR_GUEST_FLAGS (less TLOR, which needs
// ARMv8.1's LORegions), plus TVM, which KVM sets while it watches the guest
// turn its caches on.
#define HCR_VM (1ul << 0)       // stage 2 on
#define HCR_SWIO (1ul << 1)     // DC ISW acts as DC CISW
#define HCR_PTW (1ul << 2)      // stage-1 walks that hit Device memory at stage 2 fault
#define HCR_FMO (1ul << 3)      // physical FIQs, IRQs and SErrors come to EL2;
#define HCR_IMO (1ul << 4)      // the guest gets virtual ones (ICC_* at EL1 reach ICV_*)
#define HCR_AMO (1ul << 5)
#define HCR_FB (1ul << 9)       // TLB and I-cache maintenance broadcast
#define HCR_BSU_IS (1ul << 10)  // barriers at least inner shareable
#define HCR_TWI (1ul << 13)     // WFI exits
#define HCR_TWE (1ul << 14)     // WFE exits
#define HCR_TID3 (1ul << 18)    // ID register reads exit
#define HCR_TSC (1ul << 19)     // SMC exits
#define HCR_TIDCP (1ul << 20)   // IMPLEMENTATION DEFINED registers exit
#define HCR_TAC (1ul << 21)     // ACTLR_EL1 accesses exit
#define HCR_TSW (1ul << 22)     // cache maintenance by set/way exits
#define HCR_TVM (1ul << 26)     // writes to the virtual memory controls exit
#define HCR_RW (1ul << 31)      // EL1 is AArch64
#define HCR_GUEST (HCR_VM | HCR_SWIO | HCR_PTW | HCR_FMO | HCR_IMO | HCR_AMO | HCR_FB | HCR_BSU_IS | HCR_TWI \
                   | HCR_TWE | HCR_TID3 | HCR_TSC | HCR_TIDCP | HCR_TAC | HCR_TSW | HCR_TVM | HCR_RW)

extern const unsigned char guest_elf[], guest_elf_end[];

struct elf64_header {
    unsigned char ident[16];
    uint16_t type, machine;
    uint32_t version;
    uint64_t entry, phoff, shoff;
    uint32_t flags;
    uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
};
struct elf64_phdr { uint32_t type, flags; uint64_t offset, vaddr, paddr, filesz, memsz, align; };

// The hypervisor writes the guest's memory through its cacheable mapping;
// this cleans it to the point of coherency: the guest starts with its MMU
// and caches off and must see what is in memory.
static void clean_to_poc(uint64_t start, uint64_t size) {
    uint64_t line = 4ul << (read_sysreg(ctr_el0) >> 16 & 0xf);
    for (uint64_t a = start & ~(line - 1); a < start + size; a += line) __asm__ volatile("dc cvac, %0" ::"r"(a) : "memory");
    dsb(ish);
}

// Loads the guest's ELF like QEMU's -kernel: each PT_LOAD segment at its
// physical address, which must be guest RAM. Returns the entry point and
// the lowest address loaded.
static uint64_t load_guest(uint64_t *lowest) {
    struct elf64_header h;
    uint64_t size = (uint64_t)(guest_elf_end - guest_elf);
    if (size < sizeof h) hyp_stop("the guest image is not an ELF file");
    memcpy(&h, guest_elf, sizeof h);
    if (h.ident[0] != 0x7f || h.ident[1] != 'E' || h.ident[2] != 'L' || h.ident[3] != 'F' || h.ident[4] != 2 || h.machine != 183)
        hyp_stop("the guest image is not an ELF64 AArch64 file");
    *lowest = HYP_BASE;
    for (unsigned i = 0; i < h.phnum; i++) {
        struct elf64_phdr p;
        uint64_t at = h.phoff + (uint64_t)i * h.phentsize;
        if (at + sizeof p > size) hyp_stop("the guest's program headers run past its image");
        memcpy(&p, guest_elf + at, sizeof p);
        if (p.type != 1) continue;                                     // PT_LOAD
        if (p.filesz > p.memsz || p.offset + p.filesz > size || p.paddr < RAM_BASE || p.memsz > HYP_BASE - p.paddr)
            hyp_stop("a guest segment lies outside the guest's RAM");
        memcpy((void *)p.paddr, guest_elf + p.offset, p.filesz);
        memset((void *)(p.paddr + p.filesz), 0, p.memsz - p.filesz);
        clean_to_poc(p.paddr, p.memsz);
        if (p.paddr < *lowest) *lowest = p.paddr;
        puts("hyp: guest segment "); put_hex(p.paddr, 8); puts(" + "); put_hex(p.memsz, 6); puts("\n");
    }
    __asm__ volatile("ic iallu" ::: "memory");
    dsb(ish);
    isb();
    return h.entry;
}

static uint32_t be32(const unsigned char *b) { return (uint32_t)b[0] << 24 | b[1] << 16 | b[2] << 8 | b[3]; }

// The device tree for the guest (0 if there is none): where the hypervisor
// got it (x0; QEMU puts it at the start of RAM for an ELF, without x0) if
// that is guest RAM, else copied to the start of guest RAM, below the
// guest's image: the hypervisor's own memory is not in the guest's stage 2.
static uint64_t guest_device_tree(uint64_t dtb, uint64_t lowest) {
    if (dtb == 0) dtb = RAM_BASE;
    const unsigned char *b = (const unsigned char *)dtb;
    if (dtb < RAM_BASE || dtb >= RAM_BASE + (1ul << 30) || be32(b) != 0xd00dfeed) return 0;
    if (dtb < HYP_BASE) return dtb;
    uint64_t size = be32(b + 4);
    if (size > lowest - RAM_BASE) return 0;
    memcpy((void *)RAM_BASE, b, size);
    clean_to_poc(RAM_BASE, size);
    return RAM_BASE;
}

// The guest's EL1 starts as out of reset: MMU and caches off (SCTLR_EL1's
// RES1 bits only), FP/SIMD not trapped.
static void reset_el1(void) {
    write_sysreg(sctlr_el1, 0x30D00800ul);
    write_sysreg(cpacr_el1, 3ul << 20);
    write_sysreg(cntv_ctl_el0, 0);
    write_sysreg(cntkctl_el1, 0);
}

// EL2's controls for running the guest: the traps, the virtual IDs it
// reads for MIDR/MPIDR, its counters and timers.
static void configure_el2(void) {
    write_sysreg(vpidr_el2, read_sysreg(midr_el1));
    write_sysreg(vmpidr_el2, read_sysreg(mpidr_el1));
    write_sysreg(cptr_el2, 0x33ff);        // RES1 bits only: FP/SIMD does not exit
    write_sysreg(hstr_el2, 0);
    write_sysreg(cnthctl_el2, 3);          // EL1PCTEN, EL1PCEN: the physical counter and timer too
    write_sysreg(cntvoff_el2, 0);
    write_sysreg(hcr_el2, HCR_GUEST);
    isb();
}

void hyp_main(uint64_t dtb) {
    puts("hyp: teaching hypervisor at EL");
    put_dec(read_sysreg(CurrentEL) >> 2);
    puts("\n");
    if ((read_sysreg(CurrentEL) >> 2) != 2) hyp_stop("not entered at EL2");
    el2_mmu_enable();
    stage2_enable();
    gic_init();
    uint64_t lowest, entry = load_guest(&lowest);
    uint64_t guest_dtb = guest_device_tree(dtb, lowest);
    reset_el1();
    configure_el2();
    puts("hyp: entering the guest at "); put_hex(entry, 8); puts(" with x0 = "); put_hex(guest_dtb, 8); puts("\n");
    write_sysreg(elr_el2, entry);
    write_sysreg(spsr_el2, 0x3c5);         // EL1h, DAIF masked
    guest_enter(guest_dtb);
}
