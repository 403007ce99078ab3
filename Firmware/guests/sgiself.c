// SGIs to itself: two queued while IRQs are masked are taken one after the
// other (the second on the handler's ERET), and one held off by the priority
// mask is taken right after the ICC_PMR_EL1 write that lets it through.
#include "guest.h"
#include "gic.h"

static volatile uint64_t order[8], count, elrs[8];
extern char after_unmask[], after_pmr[];

static void took(uint64_t intid, uint64_t elr) {
    if (intid == SPURIOUS) return;
    if (count < 8) { order[count] = intid; elrs[count] = elr; }
    count++;
}

GIC_GUEST_EXCEPTION_HANDLER(took)

int main(void) {
    gic_init_distributor();
    gic_init_cpu(0);
    IRQ_MASK();
    gic_send_sgi(0, 3);
    gic_send_sgi(0, 4);
    check(count == 0, "masked: both SGIs wait");
    check(READ_SYSREG(S3_0_C12_C12_2) == 3, "ICC_HPPIR1_EL1 shows SGI 3 first");
    __asm__ volatile("msr daifclr, #2\n.global after_unmask\nafter_unmask:\n nop" ::: "memory");
    check(count == 2, "both taken after the unmask");
    check(order[0] == 3 && order[1] == 4, "in INTID order");
    check(elrs[0] == (uint64_t)after_unmask && elrs[1] == (uint64_t)after_unmask, "the second on the first's ERET");

    WRITE_SYSREG(S3_0_C4_C6_0, 0x80);           // PMR: priority 0x80 is not above it
    ISB();
    gic_send_sgi(0, 5);
    check(count == 2, "ICC_PMR_EL1 0x80 holds off a priority 0x80 SGI");
    __asm__ volatile("msr S3_0_C4_C6_0, %0\n.global after_pmr\nafter_pmr:\n nop" :: "r"(0xffull) : "memory");
    check(count == 3 && order[2] == 5, "taken once PMR lets it through");
    check(elrs[2] == (uint64_t)after_pmr, "right after the ICC_PMR_EL1 write");

    // A disabled SGI stays pending in the distributor until it is enabled.
    uint64_t sgi_frame = GICR_BASE + 0x10000;
    *(volatile uint32_t *)(sgi_frame + 0x180) = 1u << 6;   // GICR_ICENABLER0: SGI 6
    gic_send_sgi(0, 6);
    check(count == 3, "a disabled SGI is not delivered");
    *(volatile uint32_t *)(sgi_frame + 0x100) = 1u << 6;   // GICR_ISENABLER0
    ISB();
    check(count == 4 && order[3] == 6, "delivered once GICR_ISENABLER0 enables it");
    check(last_exception.count == 0, "no unexpected exception");
    return failures;
}
