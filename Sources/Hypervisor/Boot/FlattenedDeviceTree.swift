/// A flattened device tree blob (Devicetree Specification v0.4, ch. 5):
/// header, empty memory reservation map, structure block, strings block,
/// all big-endian, version 17.
public struct FlattenedDeviceTree {
    public indirect enum Value {
        case cells([UInt32])
        case strings([String])
        case empty
        case bytes([UInt8])

        public static func string(_ s: String) -> Value { .strings([s]) }
        /// A 64-bit address or size as two cells.
        public static func u64(_ vs: [UInt64]) -> Value { .cells(vs.flatMap { [UInt32($0 >> 32), UInt32(truncatingIfNeeded: $0)] }) }

        var encoded: [UInt8] {
            switch self {
            case .cells(let c): return c.flatMap { FlattenedDeviceTree.be32($0) }
            case .strings(let s): return s.flatMap { Array($0.utf8) + [0] }
            case .empty: return []
            case .bytes(let b): return b
            }
        }
    }

    public final class Node {
        public let name: String
        public var properties: [(String, Value)] = []
        public var children: [Node] = []
        public init(_ name: String) { self.name = name }

        @discardableResult
        public func set(_ name: String, _ value: Value) -> Node {
            properties.append((name, value))
            return self
        }

        @discardableResult
        public func add(_ child: Node) -> Node {
            children.append(child)
            return child
        }
    }

    public let root = Node("")
    public var bootCPU: UInt32 = 0

    public init() {}

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }

    /// The blob.
    public func encode() -> [UInt8] {
        var strings: [UInt8] = []
        var stringOffsets: [String: Int] = [:]
        var structure: [UInt8] = []
        func pad() { while structure.count % 4 != 0 { structure.append(0) } }
        func emit(_ n: Node) {
            structure += FlattenedDeviceTree.be32(1)                       // FDT_BEGIN_NODE
            structure += Array(n.name.utf8) + [0]
            pad()
            for (name, value) in n.properties {
                let off: Int
                if let o = stringOffsets[name] { off = o } else {
                    off = strings.count
                    stringOffsets[name] = off
                    strings += Array(name.utf8) + [0]
                }
                let data = value.encoded
                structure += FlattenedDeviceTree.be32(3)                   // FDT_PROP
                structure += FlattenedDeviceTree.be32(UInt32(data.count))
                structure += FlattenedDeviceTree.be32(UInt32(off))
                structure += data
                pad()
            }
            for c in n.children { emit(c) }
            structure += FlattenedDeviceTree.be32(2)                       // FDT_END_NODE
        }
        emit(root)
        structure += FlattenedDeviceTree.be32(9)                           // FDT_END

        let headerSize = 40, reserveMap = 16
        let offStruct = headerSize + reserveMap
        let offStrings = offStruct + structure.count
        let total = offStrings + strings.count
        var blob: [UInt8] = []
        for v in [0xD00D_FEED, UInt32(total), UInt32(offStruct), UInt32(offStrings), UInt32(headerSize),
                  17, 16, bootCPU, UInt32(strings.count), UInt32(structure.count)] as [UInt32] {
            blob += FlattenedDeviceTree.be32(v)
        }
        blob += [UInt8](repeating: 0, count: reserveMap)
        blob += structure
        blob += strings
        return blob
    }
}
