// More pending interrupts than list registers: six self-SGIs queued while
// IRQs are masked. Four fit in the LRs; the hypervisor asks for the
// underflow maintenance interrupt (ICH_HCR_EL2.UIE) and adds the rest once
// the guest has drained the LRs. All six arrive, in INTID order.
#include "guest.h"
#include "gic.h"

#define N 6
static volatile uint64_t order[16], count;

static void took(uint64_t intid, uint64_t elr) {
    (void)elr;
    if (intid == SPURIOUS) return;
    if (count < 16) order[count] = intid;
    count++;
}

GIC_GUEST_EXCEPTION_HANDLER(took)

int main(void) {
    gic_init_distributor();
    gic_init_cpu(0);
    IRQ_MASK();
    for (unsigned i = 1; i <= N; i++) gic_send_sgi(0, i);
    check(count == 0, "masked: all six wait");
    IRQ_UNMASK();
    for (volatile int i = 0; i < 100; i++) {}
    check(count == N, "all six taken");
    int in_order = 1;
    for (unsigned i = 0; i < N; i++) if (order[i] != i + 1) in_order = 0;
    check(in_order, "in INTID order");
    check(last_exception.count == 0, "no unexpected exception");
    return failures;
}
