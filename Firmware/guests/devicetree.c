// Finds its platform through the device tree in x0, as kvm-unit-tests does:
// the PSCI conduit, the PL011, the GIC and the timer's PPIs, then uses them.
#include "guest.h"

static uint32_t be32(const void *p) {
    const uint8_t *b = p;
    return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static int streq(const char *a, const char *b) {
    while (*a && *a == *b) { a++; b++; }
    return *a == *b;
}

static int has_prefix(const char *s, const char *p) {
    while (*p) if (*s++ != *p++) return 0;
    return 1;
}

struct found {
    const char *psci_method;
    uint64_t uart, gicd, gicr;
    uint32_t vtimer_ppi;
    int cpus;
    const char *bootargs;
};

// Walks the structure block, remembering the current node's name.
static int parse(const uint8_t *fdt, struct found *f) {
    if (be32(fdt) != 0xd00dfeed) return 0;
    const uint8_t *st = fdt + be32(fdt + 8);
    const char *strings = (const char *)fdt + be32(fdt + 12);
    const char *node[8] = { 0 };
    int depth = -1;
    for (;;) {
        uint32_t token = be32(st);
        st += 4;
        if (token == 1) {
            const char *name = (const char *)st;
            if (depth < 7) node[++depth] = name;
            if (has_prefix(name, "cpu@")) f->cpus++;
            while (*st) st++;
            st = (const uint8_t *)(((uint64_t)st + 4) & ~3ul);
        } else if (token == 2) {
            depth--;
        } else if (token == 3) {
            uint32_t len = be32(st), off = be32(st + 4);
            const uint8_t *val = st + 8;
            const char *prop = strings + off;
            const char *n = depth >= 0 ? node[depth] : "";
            if (streq(n, "psci") && streq(prop, "method")) f->psci_method = (const char *)val;
            if (has_prefix(n, "pl011@") && streq(prop, "reg")) f->uart = (uint64_t)be32(val) << 32 | be32(val + 4);
            if (has_prefix(n, "intc@") && streq(prop, "reg") && len >= 32) {
                f->gicd = (uint64_t)be32(val) << 32 | be32(val + 4);
                f->gicr = (uint64_t)be32(val + 16) << 32 | be32(val + 20);
            }
            if (streq(n, "timer") && streq(prop, "interrupts") && len >= 36) f->vtimer_ppi = be32(val + 28) + 16;
            if (streq(n, "chosen") && streq(prop, "bootargs")) f->bootargs = (const char *)val;
            st = val + ((len + 3) & ~3u);
        } else if (token == 4) {
            continue;
        } else {
            return token == 9;
        }
    }
}

int main(uint64_t dtb) {
    struct found f = { 0 };
    check(dtb != 0 && parse((const uint8_t *)dtb, &f), "device tree in x0 parses");
    check(f.psci_method && streq(f.psci_method, "hvc"), "PSCI conduit is hvc");
    check(f.uart == 0x09000000, "PL011 at 0x09000000");
    check(f.gicd == 0x08000000 && f.gicr == 0x080a0000, "GICv3 distributor and redistributors");
    check(f.vtimer_ppi == 27, "virtual timer PPI 27");
    print("cpus in tree: "); print_dec(f.cpus); print("\n");
    if (f.bootargs) { print("bootargs: "); print(f.bootargs); print("\n"); }
    uart_puts("hello through the UART the tree names\n");
    struct hvc_result r = hvc_call(PSCI_VERSION, 0, 0, 0);
    check(r.x0 == 0x10000, "PSCI answers over the conduit the tree names");
    // kvm-unit-tests style: (code << 1) | 1, with code from bootargs "status=N" (default 0).
    const char *status = "1";
    for (const char *p = f.bootargs; p && *p; p++) if (has_prefix(p, "status=")) status = p + 7;
    if (failures == 0) { uart_puts("EXIT: STATUS="); uart_puts(status); uart_puts("\n"); }
    hvc_call(PSCI_SYSTEM_OFF, 0, 0, 0);
    return 1;
}
