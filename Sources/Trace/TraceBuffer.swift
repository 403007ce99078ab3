/// Trace output as UTF-8 bytes, written in place: strings are copied whole
/// (a JSON string byte by byte only where it needs an escape), numbers are
/// formatted by hand. Building `String`s or `JSONValue` trees per event cost
/// more than the exit being traced.
///
/// Counts and offsets add without overflow checks (`&+`): they are bounded by the memory held.
final class TraceBuffer {
    private var storage: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    private(set) var count = 0
    /// A comma is due before the next JSON key (a value was written in the open object).
    var comma = false

    init(capacity: Int = 1 << 17) {
        self.capacity = capacity
        storage = .allocate(capacity: capacity)
        storage.initialize(repeating: 0, count: capacity)
    }

    deinit { storage.deallocate() }

    /// The bytes written (valid until the next write).
    var bytes: UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: storage, count: count) }

    func removeAll() { count = 0 }

    /// Drops the first `n` bytes, moving the rest to the front.
    func removeFirst(_ n: Int) {
        UnsafeMutableRawPointer(storage).copyMemory(from: storage + n, byteCount: count - n)   // a memmove
        count -= n
    }

    /// Room for `n` more bytes, and 32 more past them: the bytes written can
    /// always be read 32 at a time (`put(words:)`), never past the storage.
    @inline(__always) func reserve(_ n: Int) {
        guard count &+ n &+ 32 > capacity else { return }
        grow(n)
    }

    private func grow(_ n: Int) {
        let c = max(count + n + 32, capacity * 2)
        let s = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        s.initialize(repeating: 0, count: c)
        s.update(from: storage, count: count)
        storage.deallocate()
        (storage, capacity) = (s, c)
    }

    // MARK: Writing in place, past `reserve`: a cursor moved along, then `end(at:)`

    /// Where the next byte goes.
    @inline(__always) var cursor: UnsafeMutablePointer<UInt8> { storage + count }

    /// The bytes up to `cursor` (from `self.cursor`, after a `reserve` for them) are written.
    @inline(__always) func end(at cursor: UnsafeMutablePointer<UInt8>) { count = cursor - storage }

    /// The offset `cursor` stands at.
    @inline(__always) func offset(_ cursor: UnsafeMutablePointer<UInt8>) -> Int { cursor - storage }

    /// Copies `n` bytes from `src`, 32 at a time: `src` readable (`words` of a
    /// `TraceBuffer`) and the destination reserved up to 32 bytes past `n`. The new cursor.
    @inline(__always)
    static func put(words src: UnsafeRawPointer, _ n: Int, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        var i = 0
        while i < n {
            _ = put(32, src + i, 32, at: p + i)
            i &+= 32
        }
        return p + n
    }

    /// Copies `n` bytes from `src` as `size` (8, 16, 32 or 64) bytes, in a few
    /// stores: `src` readable and the destination reserved that far. The new cursor.
    @inline(__always)
    static func put(_ size: Int, _ src: UnsafeRawPointer, _ n: Int, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let d = UnsafeMutableRawPointer(p)
        for i in stride(from: 0, to: size, by: 8) {
            d.storeBytes(of: src.loadUnaligned(fromByteOffset: i, as: UInt64.self), toByteOffset: i, as: UInt64.self)
        }
        return p + n
    }

    /// `bytes` readable 32 at a time (up to 32 past their end: see `reserve`).
    @inline(__always) var words: UnsafeRawPointer { UnsafeRawPointer(storage) }

    /// `String(v)` at `p`; the new cursor (room for 20 digits needed).
    @inline(__always)
    static func put(decimal v: UInt64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let end = p + decimalDigits(v)
        putDigits(v, endingAt: end)
        return end
    }

    /// `v` thousandths as "12.345" at `p`; the new cursor (room for 24 bytes needed).
    @inline(__always)
    static func put(thousandths v: UInt64, at p: UnsafeMutablePointer<UInt8>) -> UnsafeMutablePointer<UInt8> {
        let whole = v / 1000, n = decimalDigits(whole)
        putDigits(whole, endingAt: p + n)
        // "1fff", its leading 1 then overwritten by the point: the fraction zero-padded.
        putDigits(1000 &+ v % 1000, endingAt: p + (n &+ 4))
        p[n] = 0x2E
        return p + (n &+ 4)
    }

    @inline(__always)
    func append(byte: UInt8) {
        reserve(1)
        storage[count] = byte
        count &+= 1
    }

    @inline(__always)
    func append(_ p: UnsafeBufferPointer<UInt8>) {
        guard let a = p.baseAddress, p.count > 0 else { return }
        reserve(p.count)
        copy(a, p.count, to: count)
        count &+= p.count
    }

    /// Most pieces are a few bytes: copied in line, not by a call to memcpy.
    @inline(__always) private func copy(_ a: UnsafePointer<UInt8>, _ n: Int, to i: Int) {
        if n <= 12 {
            for j in 0..<n { storage[i &+ j] = a[j] }
        } else {
            (storage + i).update(from: a, count: n)
        }
    }

    @inline(__always)
    func append(_ s: StaticString) {
        append(UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// (Named apart from `append(_: StaticString)`, which literals are to take.)
    func append(string s: String) {
        var s = s
        s.withUTF8 { append($0) }
    }

    func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBufferPointer { append($0) }
    }

    func append(spaces n: Int) {
        guard n > 0 else { return }
        reserve(n)
        (storage + count).initialize(repeating: 0x20, count: n)
        count &+= n
    }

    /// `String(v)`.
    @inline(__always)
    func append(decimal v: UInt64) {
        let n = Self.decimalDigits(v)
        reserve(n)
        writeDigits(v, endingAt: count &+ n)
        count &+= n
    }

    /// `String(v)` right-aligned in 12 columns (as many as it needs past that).
    @inline(__always)
    func append(decimal12 v: UInt64) {
        guard v < 1_000_000_000_000 else { return append(decimal: v) }
        reserve(16)
        // Sixteen spaces in two stores, the digits then over the end of the twelve.
        let p = UnsafeMutableRawPointer(storage + count), spaces: UInt64 = 0x2020_2020_2020_2020
        p.storeBytes(of: spaces, as: UInt64.self)
        p.storeBytes(of: spaces, toByteOffset: 8, as: UInt64.self)
        writeDigits(v, endingAt: count &+ 12)
        count &+= 12
    }

    /// `v` thousandths as a decimal with three places: 12345 -> "12.345".
    @inline(__always)
    func append(thousandths v: UInt64) {
        reserve(24)
        end(at: Self.put(thousandths: v, at: cursor))
    }

    /// "00" to "99": two digits per division.
    private static let digitPairs: StaticString = "00010203040506070809101112131415161718192021222324252627282930313233343536373839404142434445464748495051525354555657585960616263646566676869707172737475767778798081828384858687888990919293949596979899"

    /// The decimal digits of `v`, the last just before `end`.
    @inline(__always) private func writeDigits(_ v: UInt64, endingAt end: Int) {
        Self.putDigits(v, endingAt: storage + end)
    }

    @inline(__always) private static func putDigits(_ v: UInt64, endingAt end: UnsafeMutablePointer<UInt8>) {
        let pairs = UnsafeRawPointer(Self.digitPairs.utf8Start)
        // Two digits a store, through a local pointer (not `storage` reloaded after each store).
        var v = v, at = UnsafeMutableRawPointer(end)
        while v >= 100 {
            let r = Int(truncatingIfNeeded: v % 100) &* 2
            v /= 100
            at -= 2
            at.storeBytes(of: pairs.loadUnaligned(fromByteOffset: r, as: UInt16.self), as: UInt16.self)
        }
        if v >= 10 {
            at.storeBytes(of: pairs.loadUnaligned(fromByteOffset: Int(truncatingIfNeeded: v) &* 2, as: UInt16.self), toByteOffset: -2, as: UInt16.self)
        } else {
            at.storeBytes(of: UInt8(truncatingIfNeeded: v) &+ 0x30, toByteOffset: -1, as: UInt8.self)
        }
    }

    /// `String(v)` for a signed value.
    @inline(__always)
    func append(decimal v: Int64) {
        if v < 0 { append(byte: 0x2D) }
        append(decimal: v.magnitude)
    }

    /// The number of digits `String(v)` has.
    @inline(__always)
    static func decimalDigits(_ v: UInt64) -> Int {
        var n = 1, v = v
        while v >= 10_000 {
            v /= 10_000
            n &+= 4
        }
        return v >= 100 ? (v >= 1000 ? n &+ 3 : n &+ 2) : (v >= 10 ? n &+ 1 : n)
    }

    /// `"0x" + String(v, radix: 16)`.
    func append(hex v: UInt64) {
        let nibbles = v == 0 ? 1 : (67 - v.leadingZeroBitCount) / 4
        reserve(2 + nibbles)
        storage[count] = 0x30
        storage[count &+ 1] = 0x78
        var v = v, i = count &+ 2 &+ nibbles
        repeat {
            i -= 1
            let d = UInt8(truncatingIfNeeded: v & 0xF)
            storage[i] = d < 10 ? 0x30 &+ d : 0x57 &+ d
            v >>= 4
        } while v != 0
        count &+= 2 &+ nibbles
    }

    // MARK: JSON, written as `JSONValue` serializes it (compact, keys in order)

    @inline(__always)
    func beginObject() {
        append(byte: 0x7B)
        comma = false
    }

    @inline(__always)
    func endObject() {
        append(byte: 0x7D)
        comma = true
    }

    /// `"key":`, after a comma if a value came before it in this object.
    @inline(__always)
    func key(_ k: StaticString) {
        key(UnsafeBufferPointer(start: k.utf8Start, count: k.utf8CodeUnitCount))
    }

    /// `"key":` for a key known only at run time, as UTF-8 (plain ASCII: no escapes).
    func key(_ k: [UInt8]) {
        k.withUnsafeBufferPointer { key($0) }
    }

    @inline(__always)
    private func key(_ k: UnsafeBufferPointer<UInt8>) {
        reserve(k.count &+ 4)
        var i = count
        if comma {
            storage[i] = 0x2C
            i &+= 1
        }
        storage[i] = 0x22
        if let a = k.baseAddress { copy(a, k.count, to: i &+ 1) }
        i &+= 1 &+ k.count
        storage[i] = 0x22
        storage[i &+ 1] = 0x3A
        count = i &+ 2
        comma = true
    }

    /// A JSON string as `JSONValue.quote` writes it: `"`, `\`, and control
    /// characters escaped, everything else copied (UTF-8 as it is).
    func append(jsonString s: String) {
        var s = s
        s.withUTF8 { append(jsonUTF8: $0) }
    }

    @inline(__always)
    func append(jsonString s: StaticString) {
        append(jsonUTF8: UnsafeBufferPointer(start: s.utf8Start, count: s.utf8CodeUnitCount))
    }

    /// A JSON string of UTF-8 bytes.
    func append(jsonUTF8 utf8: UnsafeBufferPointer<UInt8>) {
        append(byte: 0x22)
        // The fast path: nothing to escape, one copy.
        if utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || $0 == 0x7F }) {
            appendEscaped(utf8)
        } else {
            append(utf8)
        }
        append(byte: 0x22)
    }

    private func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        for b in utf8 {
            switch b {
            case 0x22: append("\\\"")
            case 0x5C: append("\\\\")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case _ where b < 0x20 || b == 0x7F:
                append("\\u00")
                append(byte: b >> 4 < 10 ? 0x30 &+ b >> 4 : 0x57 &+ b >> 4)
                append(byte: b & 0xF < 10 ? 0x30 &+ b & 0xF : 0x57 &+ b & 0xF)
            default: append(byte: b)
            }
        }
    }

    func append(json v: Bool) { v ? append("true") : append("false") }

    /// `JSONValue.hex`: a "0x..." string.
    @inline(__always)
    func append(jsonHex v: UInt64) {
        append(byte: 0x22)
        append(hex: v)
        append(byte: 0x22)
    }
}
