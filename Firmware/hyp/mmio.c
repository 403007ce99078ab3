// The devices this hypervisor emulates, reached through stage-2 data aborts
// (exits.c decodes them): here only the PL011, as QEMU's user-space device
// model behind KVM_EXIT_MMIO. The guest's UART output is collected line by
// line and printed whole on the real UART, between the exit lines.
#include "hyp.h"

#define UART_DR 0x00
#define UART_FR 0x18
#define FR_RXFE (1u << 4)                  // receive FIFO empty: no input
#define FR_TXFE (1u << 7)                  // transmit FIFO empty: ready

static char line[128];
static unsigned line_length;

static void pl011_write(uint64_t offset, uint64_t value) {
    if (offset != UART_DR) return;         // control registers: accepted, no effect
    char c = (char)value;
    if (c != '\n' && line_length < sizeof line - 1) { line[line_length++] = c; return; }
    line[line_length] = 0;
    puts(line);
    puts("\n");
    line_length = 0;
}

static uint64_t pl011_read(uint64_t offset) {
    return offset == UART_FR ? FR_TXFE | FR_RXFE : 0;
}

// Is there an emulated device at `ipa`?
int mmio_device(uint64_t ipa) {
    return ipa >= UART_BASE && ipa < UART_BASE + 0x1000;
}

// Performs a guest access of `size` bytes at `ipa`, a device's.
void mmio_access(uint64_t ipa, int is_write, int size, uint64_t *value) {
    (void)size;
    if (is_write) pl011_write(ipa - UART_BASE, *value);
    else *value = pl011_read(ipa - UART_BASE);
}
