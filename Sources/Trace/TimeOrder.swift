import Hypervisor

/// One trace event's bytes in a staging buffer, from `start` to the next
/// piece's start, with where it goes in time: by `time`, then `rank`
/// (Chrome: an end before a begin before the longer slice), then as written.
struct TracePiece {
    var time: UInt64
    var rank: UInt64
    var start: Int
}

/// Puts a trace's events in time order. Events do not come in it: each vCPU
/// runs ahead on its own clock for a slice, and a woken vCPU's wait and WFI
/// exit are told when it wakes. Each vCPU's own events come in order, so an
/// event earlier than every vCPU's latest can no longer be overtaken: those
/// are released, sorted; the rest wait for the next release.
final class TimeOrder {
    /// Each vCPU's latest own time (a virtual interrupt is stamped with its sender's: not counted).
    private var latest: [UInt64?] = []
    private let kept = TraceBuffer()
    /// The bytes still staged after the last release.
    private(set) var keptBytes = 0
    /// Beyond this, everything is released, in order within what was staged.
    static let maxKeptBytes = 1 << 26

    @inline(__always)
    func note(vcpu: Int, time: UInt64) {
        guard vcpu >= 0 else { return }
        guard vcpu < latest.count else { return set(vcpu, time) }
        if let t = latest[vcpu], t >= time { return }
        latest[vcpu] = time
    }

    private func set(_ vcpu: Int, _ time: UInt64?) {
        if vcpu >= latest.count { latest += Array(repeating: nil, count: vcpu + 1 - latest.count) }
        latest[vcpu] = time
    }

    /// PSCI turned a vCPU on (its events start at the caller's time) or off (it has no more).
    func power(_ change: PowerChange, at time: UInt64) {
        switch change {
        case .on(let v): set(v, min((v < latest.count ? latest[v] : nil) ?? time, time))
        case .off(let v): set(v, nil)
        }
    }

    /// No event yet to come is earlier than this.
    var horizon: UInt64 { latest.compactMap { $0 }.min() ?? 0 }

    /// Moves the bytes before the first piece, and the pieces earlier than
    /// `before` (every piece when nil) sorted, from `staged` to `ready`.
    /// The pieces' indices by time, then rank, then as written. They come
    /// nearly in order (a vCPU's events in time, an instant before the slice
    /// it ends): an insertion sort, unless that moves more than a few per piece.
    static func timeOrder(_ pieces: [TracePiece]) -> [Int] {
        var order = Array(pieces.indices)
        var moves = 0
        let sorted = pieces.withUnsafeBufferPointer { pieces in
            order.withUnsafeMutableBufferPointer { order in
                for i in order.indices.dropFirst() {
                    let p = pieces[i]
                    var j = i
                    while j > 0, (pieces[order[j - 1]].time, pieces[order[j - 1]].rank) > (p.time, p.rank) {
                        order[j] = order[j - 1]
                        j -= 1
                    }
                    order[j] = i
                    moves += i - j
                    if moves > 8 * pieces.count { return false }
                }
                return true
            }
        }
        guard !sorted else { return order }
        return pieces.indices.sorted {
            let (a, b) = (pieces[$0], pieces[$1])
            return (a.time, a.rank, $0) < (b.time, b.rank, $1)
        }
    }

    /// (`ready`: where sorted pieces are gathered for `write`.)
    func release(_ encoder: TraceEncoder, before: UInt64?, via ready: TraceBuffer, write: (UnsafeBufferPointer<UInt8>) -> Void) {
        if encoder.piecesInOrder { return releaseInOrder(encoder, before: before, write: write) }
        let staged = encoder.out, pieces = encoder.pieces
        let bytes = staged.bytes
        func end(_ i: Int) -> Int { i + 1 < pieces.count ? pieces[i + 1].start : bytes.count }
        ready.append(UnsafeBufferPointer(rebasing: bytes[0..<(pieces.first?.start ?? bytes.count)]))
        let order = Self.timeOrder(pieces)
        var left: [Int] = []
        // Pieces next to each other in both orders go in one copy.
        var run = 0..<0
        pieces.withUnsafeBufferPointer { pieces in
            for i in order {
                if let before, pieces[i].time >= before { left.append(i); continue }
                if run.upperBound == pieces[i].start && !run.isEmpty {
                    run = run.lowerBound..<end(i)
                } else {
                    ready.append(UnsafeBufferPointer(rebasing: bytes[run]))
                    run = pieces[i].start..<end(i)
                }
            }
        }
        ready.append(UnsafeBufferPointer(rebasing: bytes[run]))
        write(ready.bytes)
        ready.removeAll()
        kept.removeAll()
        var rest: [TracePiece] = []
        for i in left.sorted() {
            rest.append(TracePiece(time: pieces[i].time, rank: pieces[i].rank, start: kept.count))
            kept.append(UnsafeBufferPointer(rebasing: bytes[pieces[i].start..<end(i)]))
        }
        staged.removeAll()
        staged.append(kept.bytes)
        encoder.pieces = rest
        encoder.piecesInOrder = !zip(rest, rest.dropFirst()).contains { ($0.time, $0.rank) > ($1.time, $1.rank) }
        keptBytes = kept.count
    }

    /// `release` when the pieces already are in time order (one vCPU's
    /// run): those to keep are the last ones; the bytes before them are
    /// written from where they are, the rest moved to the front.
    private func releaseInOrder(_ encoder: TraceEncoder, before: UInt64?, write: (UnsafeBufferPointer<UInt8>) -> Void) {
        let staged = encoder.out
        var keep = encoder.pieces.count
        if let before {
            while keep > 0 && encoder.pieces[keep - 1].time >= before { keep -= 1 }
        }
        let end = keep < encoder.pieces.count ? encoder.pieces[keep].start : staged.count
        write(UnsafeBufferPointer(rebasing: staged.bytes[..<end]))
        staged.removeFirst(end)
        encoder.pieces.removeFirst(keep)
        for i in encoder.pieces.indices { encoder.pieces[i].start -= end }
        keptBytes = staged.count
    }
}
