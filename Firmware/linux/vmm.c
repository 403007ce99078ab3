// vmm: a minimal KVM VMM, the QEMU/KVM run loop of the course notes.
//
//   vmm IMAGE
//
// Runs the flat AArch64 image IMAGE (a firmware guest from Firmware/guests,
// linked at 0x4008_0000) as a one-vCPU VM under /dev/kvm. The VM has RAM at
// 0x4000_0000 and one device, the data register of a PL011 at 0x0900_0000:
// the guest's accesses there are not backed by RAM, so KVM returns them to
// us as KVM_EXIT_MMIO, and we print the bytes written. PSCI is KVM's own
// (feature KVM_ARM_VCPU_PSCI_0_2): the guest's SYSTEM_OFF comes back as
// KVM_EXIT_SYSTEM_EVENT and ends the run. There is no interrupt controller:
// the guest takes no interrupts, and KVM runs a VM without a vGIC (a
// "userspace irqchip" VM). Anything else KVM returns is printed and stops us.
// At the end it prints KVM's own exit counters of the vCPU (KVM_GET_STATS_FD).
//
// Built with Debian's aarch64-linux-gnu-gcc -static -O2 (scripts/linux.sh).
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define RAM_BASE 0x40000000ul
#define RAM_SIZE 0x200000ul   // 2 MiB: the image, its stacks and .bss
#define LOAD_ADDR 0x40080000ul // where Firmware/common/link.ld links a guest
#define UART_BASE 0x09000000ul // PL011: DR at +0x00, FR at +0x18
#define UART_SIZE 0x1000ul

// A core register's id for KVM_{GET,SET}_ONE_REG: 64-bit, in struct kvm_regs.
#define CORE_REG(field) (KVM_REG_ARM64 | KVM_REG_SIZE_U64 | KVM_REG_ARM_CORE | \
                         (offsetof(struct kvm_regs, field) / sizeof(uint32_t)))

static void die(const char *what) {
    fprintf(stderr, "vmm: %s: %s\n", what, strerror(errno));
    exit(1);
}

static void set_reg(int vcpu, uint64_t id, uint64_t value) {
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)&value };
    if (ioctl(vcpu, KVM_SET_ONE_REG, &reg) < 0) die("KVM_SET_ONE_REG");
}

static uint64_t get_reg(int vcpu, uint64_t id) {
    uint64_t value = 0;
    struct kvm_one_reg reg = { .id = id, .addr = (uint64_t)&value };
    if (ioctl(vcpu, KVM_GET_ONE_REG, &reg) < 0) die("KVM_GET_ONE_REG");
    return value;
}

// Reads IMAGE into guest RAM at LOAD_ADDR; returns its size.
static size_t load_image(const char *path, uint8_t *ram) {
    int fd = open(path, O_RDONLY);
    if (fd < 0) die(path);
    size_t room = RAM_SIZE - (LOAD_ADDR - RAM_BASE), size = 0;
    ssize_t n;
    while ((n = read(fd, ram + (LOAD_ADDR - RAM_BASE) + size, room - size)) > 0) size += (size_t)n;
    if (n < 0) die(path);
    if (size == room) { fprintf(stderr, "vmm: %s does not fit in %lu bytes\n", path, room); exit(1); }
    close(fd);
    return size;
}

// The guest's UART: a write to DR prints its byte; every register reads 0
// (FR = 0: transmit FIFO not full). Returns 0 for an access outside it.
static int uart_access(struct kvm_run *run) {
    uint64_t offset = run->mmio.phys_addr - UART_BASE;
    if (run->mmio.phys_addr < UART_BASE || offset >= UART_SIZE) return 0;
    if (!run->mmio.is_write) memset(run->mmio.data, 0, sizeof run->mmio.data);
    else if (offset == 0) {
        putchar(run->mmio.data[0]);
        if (run->mmio.data[0] == '\n') fflush(stdout);
    }
    return 1;
}

// Prints KVM's exit counters of the vCPU (the binary statistics of
// KVM_GET_STATS_FD, the same as debugfs's kvm/*/vcpu*/): each non-zero one
// whose name says "exit".
static void print_exit_stats(int vcpu) {
    int fd = ioctl(vcpu, KVM_GET_STATS_FD, NULL);
    if (fd < 0) { fprintf(stderr, "vmm: KVM_GET_STATS_FD: %s\n", strerror(errno)); return; }
    struct kvm_stats_header h;
    if (pread(fd, &h, sizeof h, 0) != sizeof h) { close(fd); return; }
    size_t desc_size = sizeof(struct kvm_stats_desc) + h.name_size;
    uint8_t *descs = malloc(desc_size * h.num_desc);
    if (descs && pread(fd, descs, desc_size * h.num_desc, h.desc_offset) == (ssize_t)(desc_size * h.num_desc)) {
        printf("vmm: KVM's exit counters of vCPU 0:");
        for (uint32_t i = 0; i < h.num_desc; i++) {
            struct kvm_stats_desc *d = (struct kvm_stats_desc *)(descs + i * desc_size);
            uint64_t value = 0;
            if (!strstr(d->name, "exit") || d->size != 1) continue;
            if (pread(fd, &value, sizeof value, h.data_offset + d->offset) == sizeof value && value)
                printf(" %s=%llu", d->name, (unsigned long long)value);
        }
        printf("\n");
    }
    free(descs);
    close(fd);
}

int main(int argc, char **argv) {
    if (argc != 2) { fprintf(stderr, "usage: vmm IMAGE\n"); return 2; }
    setvbuf(stdout, NULL, _IOLBF, 0);

    int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
    if (kvm < 0) die("/dev/kvm");
    if (ioctl(kvm, KVM_GET_API_VERSION, NULL) != KVM_API_VERSION) { fprintf(stderr, "vmm: unexpected KVM API version\n"); return 1; }
    int vm = ioctl(kvm, KVM_CREATE_VM, 0); // type 0: the default 40-bit IPA space
    if (vm < 0) die("KVM_CREATE_VM");

    // Guest RAM: anonymous memory of ours, which KVM maps at RAM_BASE in
    // the VM's stage 2 as the guest first touches it.
    uint8_t *ram = mmap(NULL, RAM_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (ram == MAP_FAILED) die("mmap guest RAM");
    size_t size = load_image(argv[1], ram);
    struct kvm_userspace_memory_region region = {
        .slot = 0, .guest_phys_addr = RAM_BASE, .memory_size = RAM_SIZE, .userspace_addr = (uint64_t)ram,
    };
    if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) die("KVM_SET_USER_MEMORY_REGION");

    // One vCPU of the host's own kind, with PSCI 0.2+ handled by KVM.
    int vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
    if (vcpu < 0) die("KVM_CREATE_VCPU");
    struct kvm_vcpu_init init;
    if (ioctl(vm, KVM_ARM_PREFERRED_TARGET, &init) < 0) die("KVM_ARM_PREFERRED_TARGET");
    init.features[0] |= 1u << KVM_ARM_VCPU_PSCI_0_2;
    if (ioctl(vcpu, KVM_ARM_VCPU_INIT, &init) < 0) die("KVM_ARM_VCPU_INIT");
    // KVM_ARM_VCPU_INIT reset the vCPU to EL1h with DAIF masked and the MMU
    // off; the guest starts at its first instruction with x0 = 0 (no DTB).
    set_reg(vcpu, CORE_REG(regs.pc), LOAD_ADDR);
    set_reg(vcpu, CORE_REG(regs.regs[0]), 0);

    int run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, NULL);
    if (run_size < (int)sizeof(struct kvm_run)) die("KVM_GET_VCPU_MMAP_SIZE");
    struct kvm_run *run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
    if (run == MAP_FAILED) die("mmap kvm_run");
    printf("vmm: %s (%zu bytes) at %#lx, target %u, running\n", argv[1], size, LOAD_ADDR, init.target);

    // The run loop: KVM runs the guest until it needs us, we emulate, repeat.
    unsigned long mmio_exits = 0;
    for (;;) {
        if (ioctl(vcpu, KVM_RUN, NULL) < 0) {
            if (errno == EINTR || errno == EAGAIN) continue;
            die("KVM_RUN");
        }
        switch (run->exit_reason) {
        case KVM_EXIT_MMIO:
            mmio_exits++;
            if (uart_access(run)) continue;
            printf("vmm: %s of %u bytes at %#llx: no device there, stopping\n", run->mmio.is_write ? "write" : "read",
                   run->mmio.len, (unsigned long long)run->mmio.phys_addr);
            return 1;
        case KVM_EXIT_SYSTEM_EVENT:
            printf("vmm: guest %s (KVM_EXIT_SYSTEM_EVENT type %u) after %lu MMIO exits to the VMM\n",
                   run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN ? "powered off" :
                   run->system_event.type == KVM_SYSTEM_EVENT_RESET ? "reset" : "stopped",
                   run->system_event.type, mmio_exits);
            print_exit_stats(vcpu);
            return run->system_event.type == KVM_SYSTEM_EVENT_SHUTDOWN || run->system_event.type == KVM_SYSTEM_EVENT_RESET ? 0 : 1;
        case KVM_EXIT_FAIL_ENTRY:
            printf("vmm: KVM_EXIT_FAIL_ENTRY, hardware reason %#llx\n",
                   (unsigned long long)run->fail_entry.hardware_entry_failure_reason);
            return 1;
        case KVM_EXIT_INTERNAL_ERROR:
            printf("vmm: KVM_EXIT_INTERNAL_ERROR, suberror %u\n", run->internal.suberror);
            return 1;
        default:
            printf("vmm: unexpected exit reason %u at pc %#llx, stopping\n", run->exit_reason,
                   (unsigned long long)get_reg(vcpu, CORE_REG(regs.pc)));
            return 1;
        }
    }
}
