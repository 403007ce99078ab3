/// ELF64 little-endian AArch64 executables: PT_LOAD segments and e_entry
/// (System V gABI; AArch64 ELF ABI, EM_AARCH64 = 183).
enum ELFImage {
    /// `read(offset, count)` gives bytes of the file (of `size` bytes): only
    /// the header, the program headers and the PT_LOAD segments are read, and
    /// a segment only once its size is known to fit in `ramSize`.
    static func parse(size: UInt64, read: (UInt64, Int) throws -> [UInt8], name: String, ramSize: UInt64) throws -> GuestImage {
        func fail(_ s: String) -> GuestImage.LoadError { GuestImage.LoadError(description: "\(name): \(s)") }
        let b = try read(0, Int(min(size, 64)))
        guard b.starts(with: [0x7F, 0x45, 0x4C, 0x46]) else { throw fail("not an ELF file (no \\x7fELF magic); use --format image or binary, or let el2emu detect the format") }
        guard size >= 64 else { throw fail("truncated ELF header (\(size) bytes)") }
        guard b[4] == 2 else { throw fail("ELF class \(b[4]) is not ELFCLASS64 (a 32-bit ELF?)") }
        guard b[5] == 1 else { throw fail("ELF data encoding \(b[5]) is not little-endian") }
        let type = u16(b, 16), machine = u16(b, 18)
        guard machine == 183 else { throw fail("ELF machine \(machine) is not AArch64 (183)") }
        guard type == 2 || type == 3 else { throw fail("ELF type \(type) is not an executable") }
        let entry = u64(b, 24), phoff = u64(b, 32)
        let phentsize = Int(u16(b, 54)), phnum = Int(u16(b, 56))
        guard phnum > 0, phentsize >= 56 else { throw fail("no program headers") }
        let (tableEnd, o) = phoff.addingReportingOverflow(UInt64(phnum * phentsize))
        guard !o, tableEnd <= size else { throw fail("program header table runs past the end of the file") }
        let table = try read(phoff, phnum * phentsize)
        var segments: [GuestImage.Segment] = []
        for i in 0..<phnum {
            let h = i * phentsize
            guard u32(table, h) == 1 else { continue }   // PT_LOAD
            let offset = u64(table, h + 8), paddr = u64(table, h + 24), filesz = u64(table, h + 32), memsz = u64(table, h + 40)
            let (fileEnd, o1) = offset.addingReportingOverflow(filesz)
            guard !o1, fileEnd <= size else {
                throw fail("segment \(i) (file offset 0x\(String(offset, radix: 16)), 0x\(String(filesz, radix: 16)) bytes) is truncated: the file has \(size) bytes")
            }
            guard memsz >= filesz, memsz <= 1 << 34 else { throw fail("segment \(i) has a memory size 0x\(String(memsz, radix: 16)) smaller than its file size or too large") }
            guard filesz <= ramSize else {
                throw fail("segment \(i) has 0x\(String(filesz, radix: 16)) bytes, more than guest RAM (\(ramSize >> 20) MiB; try a larger --mem)")
            }
            if memsz == 0 { continue }
            segments.append(.init(address: paddr, bytes: try read(offset, Int(filesz)), memorySize: memsz))
        }
        guard !segments.isEmpty else { throw fail("no PT_LOAD segment") }
        return GuestImage(format: .elf, segments: segments, entry: entry)
    }

    static func u16(_ b: [UInt8], _ o: Int) -> UInt16 { UInt16(b[o]) | UInt16(b[o + 1]) << 8 }
    static func u32(_ b: [UInt8], _ o: Int) -> UInt32 { (0..<4).reduce(UInt32(0)) { $0 | UInt32(b[o + $1]) << (8 * UInt32($1)) } }
    static func u64(_ b: [UInt8], _ o: Int) -> UInt64 { (0..<8).reduce(UInt64(0)) { $0 | UInt64(b[o + $1]) << (8 * UInt64($1)) } }
}
