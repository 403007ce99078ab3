// Polled console input, as kvm-unit-tests' getchar reads it: the receive
// interrupt stays masked and the FIFO off; the guest prints a prompt, then
// reads UARTFR a byte at a time until RXFE clears and takes one byte from
// UARTDR. Polling is how it tells the line it listens.
#include "guest.h"

#define UART 0x09000000ul
#define FR (*(volatile uint8_t *)(UART + 0x18))
#define DR (*(volatile uint8_t *)(UART + 0x00))

int main(void) {
    print("press a key\n");
    while (FR & 0x10) {}                  // RXFE
    char key[2] = { (char)DR, 0 };
    print("key: ");
    print(key);
    print("\n");
    check((FR & 0x10) != 0, "the FIFO is empty after the one byte");
    return failures;
}
