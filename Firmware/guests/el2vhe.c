// el2monitor.c as a VHE host (`--entry-el 2 --mode vhe`, or QEMU -M virt,virtualization=on
// -cpu max): it turns HCR_EL2.E2H and TGE on after its first non-VHE EL2 write, as Linux's
// __finalise_el2 does, and runs its guest with E2H and TGE clear, as KVM's VHE world switch
// does: the guest's EL1 registers through *_EL12, its own stage 2 (VTTBR/VTCR_EL2). The
// same exits as el2monitor's, logged the same way.
#define VHE 1
#include "el2monitor.c"
