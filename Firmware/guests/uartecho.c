// The PL011's receive side: the guest turns its FIFO on and unmasks the
// receive interrupts (input starts to arrive then), polls UARTFR.RXFE, reads
// one line from UARTDR and prints it back; the raw receive interrupt (RIS)
// is set while data waits and clear once the FIFO is empty.
#include "guest.h"

#define UART 0x09000000ul
#define REG(o) (*(volatile uint32_t *)(UART + (o)))

int main(void) {
    REG(0x2C) = 1 << 4 | 3 << 5;          // UARTLCR_H: FIFOs on, 8 bits
    REG(0x38) = 1 << 4 | 1 << 6;          // UARTIMSC: RXIM, RTIM
    char line[64];
    int n = 0, sawRIS = 0;
    while (n < 63) {
        while (REG(0x18) & 0x10) {}       // RXFE
        sawRIS |= (REG(0x3C) & 0x50) == 0x50 && (REG(0x40) & 0x50) == 0x50;
        char c = (char)REG(0x00);
        if (c == '\n') break;
        line[n++] = c;
    }
    line[n] = 0;
    print("got: ");
    print(line);
    print("\n");
    check(sawRIS, "RIS and MIS show the receive interrupts while data waits");
    check((REG(0x3C) & 0x50) == 0 || !(REG(0x18) & 0x10), "RIS clears with the FIFO");
    return failures;
}
