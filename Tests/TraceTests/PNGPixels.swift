import Foundation

/// The pixels of an 8-bit RGB or RGBA PNG (what headless Chromium's
/// --screenshot writes), so a test can see what a reader sees. zlib is
/// loaded from the system (Chromium and Foundation need it anyway).
struct PNGPixels {
    let width: Int, height: Int
    /// RGB triples, row by row.
    let rgb: [UInt8]

    struct Failure: Error, CustomStringConvertible { let description: String }

    init(contentsOf url: URL) throws {
        let d = [UInt8](try Data(contentsOf: url))
        guard d.count > 33, d[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) else { throw Failure(description: "not a PNG") }
        func be32(_ i: Int) -> Int { Int(d[i]) << 24 | Int(d[i + 1]) << 16 | Int(d[i + 2]) << 8 | Int(d[i + 3]) }
        var i = 8, idat: [UInt8] = [], header: ArraySlice<UInt8> = []
        while i + 8 <= d.count {
            let n = be32(i), type = String(decoding: d[i + 4..<i + 8], as: UTF8.self)
            guard i + 12 + n <= d.count else { throw Failure(description: "truncated \(type) chunk") }
            if type == "IHDR" { header = d[i + 8..<i + 8 + n] }
            if type == "IDAT" { idat += d[i + 8..<i + 8 + n] }
            i += 12 + n
        }
        guard header.count == 13 else { throw Failure(description: "no IHDR") }
        let h = Array(header)
        width = Int(h[0]) << 24 | Int(h[1]) << 16 | Int(h[2]) << 8 | Int(h[3])
        height = Int(h[4]) << 24 | Int(h[5]) << 16 | Int(h[6]) << 8 | Int(h[7])
        guard h[8] == 8, h[9] == 2 || h[9] == 6, h[12] == 0 else { throw Failure(description: "depth \(h[8]) colour type \(h[9]) interlace \(h[12]) not read here") }
        let channels = h[9] == 6 ? 4 : 3, stride = width * channels
        let raw = try PNGPixels.inflate(idat, size: height * (stride + 1))
        var out = [UInt8](repeating: 0, count: height * stride)
        for y in 0..<height {
            let filter = raw[y * (stride + 1)], row = y * (stride + 1) + 1
            for x in 0..<stride {
                let a = x >= channels ? Int(out[y * stride + x - channels]) : 0
                let b = y > 0 ? Int(out[(y - 1) * stride + x]) : 0
                let c = x >= channels && y > 0 ? Int(out[(y - 1) * stride + x - channels]) : 0
                let predicted: Int
                switch filter {
                case 0: predicted = 0
                case 1: predicted = a
                case 2: predicted = b
                case 3: predicted = (a + b) / 2
                case 4:
                    let p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c)
                    predicted = pa <= pb && pa <= pc ? a : pb <= pc ? b : c
                default: throw Failure(description: "filter \(filter)")
                }
                out[y * stride + x] = UInt8(truncatingIfNeeded: Int(raw[row + x]) + predicted)
            }
        }
        rgb = channels == 3 ? out : (0..<width * height).flatMap { Array(out[$0 * 4..<$0 * 4 + 3]) }
    }

    /// How many pixels have exactly this colour.
    func count(_ r: UInt8, _ g: UInt8, _ b: UInt8) -> Int {
        stride(from: 0, to: rgb.count, by: 3).reduce(0) { $0 + (rgb[$1] == r && rgb[$1 + 1] == g && rgb[$1 + 2] == b ? 1 : 0) }
    }

    static func inflate(_ data: [UInt8], size: Int) throws -> [UInt8] {
        typealias Uncompress = @convention(c) (UnsafeMutablePointer<UInt8>, UnsafeMutablePointer<UInt>, UnsafePointer<UInt8>, UInt) -> Int32
        guard let lib = dlopen("libz.so.1", RTLD_NOW), let sym = dlsym(lib, "uncompress") else { throw Failure(description: "libz.so.1 not found") }
        let uncompress = unsafeBitCast(sym, to: Uncompress.self)
        var out = [UInt8](repeating: 0, count: size)
        var n = UInt(size)
        let rc = out.withUnsafeMutableBufferPointer { o in data.withUnsafeBufferPointer { uncompress(o.baseAddress!, &n, $0.baseAddress!, UInt($0.count)) } }
        guard rc == 0, n == UInt(size) else { throw Failure(description: "zlib uncompress returned \(rc) with \(n) of \(size) bytes") }
        return out
    }
}
