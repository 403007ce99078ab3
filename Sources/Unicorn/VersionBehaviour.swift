import CUnicorn

/// What el2emu relies on that differs between the Unicorn versions it runs
/// on (Debian's 2.0.1, upstream 2.1.x), read from the library at run time.
extension Engine {
    /// Unicorn 2.1 looks its memory map up by the physical address of an
    /// access (QEMU's stage-1 output: the guest's IPA here) and passes that to
    /// the invalid-memory hooks; 2.0 uses, and passes, the virtual address
    /// (the load/store/fetch helpers of `accel/tcg/cputlb.c`).
    public static let mapsPhysicalAddresses = atLeast2_1

    /// Unicorn 2.1 lets a hook translate VAs (UC_TLB_VIRTUAL, UC_HOOK_TLB_FILL):
    /// non-VHE EL2 code with its MMU on needs it (`Engine.translateByHook`).
    public static let hasTLBFillHook = atLeast2_1

    /// QEMU caches what it derives from PSTATE.EL and the system registers
    /// (`env->hflags`: the EL translated code is generated for, its MMU
    /// index). Its own exception entry and ERET rebuild the cache; a
    /// UC_ARM64_REG_PSTATE write does not, in any version. Unicorn 2.1 calls
    /// `arm_rebuild_hflags` after every UC_ARM64_REG_CP_REG write; 2.0 has
    /// no call that rebuilds it.
    public static let canRebuildCachedFlags = atLeast2_1

    /// Unicorn 2.1.4 moves the PC back to the faulting load/store (QEMU's
    /// `cpu_restore_state`) before it calls an unmapped or protection hook,
    /// unless a PC write has asked it not to (which `write` avoids). 2.0.1
    /// leaves the PC at the start of the translation block unless a
    /// UC_HOOK_MEM_READ/WRITE hook covers the instruction
    /// (`syncPCOnMemoryAccess`); any such hook sends every guest load and
    /// store through QEMU's slow path.
    public static let restoresPCForMemoryFaults = atLeast(2, 1, 4)

    private static let atLeast2_1 = atLeast(2, 1, 0)

    /// The one sentence every stop for a 2.0 limit ends with.
    public static var limitsOf2_0: String {
        let v = version
        return "Unicorn \(v.major).\(v.minor).\(v.patch) (UNICORN=2.0) runs no guest code at EL0 and no guest whose stage 1 maps VA != IPA (Linux among them): those need Unicorn 2.1 or newer, el2emu's default build"
    }

    private static func atLeast(_ major: Int, _ minor: Int, _ patch: Int) -> Bool {
        let v = version
        return (v.major, v.minor, v.patch) >= (major, minor, patch)
    }

    /// Makes QEMU recompute its cached flags from the state now (after a
    /// PSTATE write that changed the exception level): TPIDR_EL1 written back
    /// through UC_ARM64_REG_CP_REG, a register with no side effect on write.
    /// False where Unicorn cannot (2.0): the caller must not run on.
    public func rebuildCachedFlags() -> Bool {
        guard Engine.canRebuildCachedFlags else { return false }
        var cp = uc_arm64_cp_reg(crn: 13, crm: 0, op0: 3, op1: 0, op2: 4, val: read(Register(UC_ARM64_REG_TPIDR_EL1)))
        let err = withUnsafeMutablePointer(to: &cp) { uc_reg_write(uc, Int32(bitPattern: UC_ARM64_REG_CP_REG.rawValue), $0) }
        return err == UC_ERR_OK
    }
}
