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
        if vcpu < latest.count, let t = latest[vcpu], t >= time { return }
        set(vcpu, time)
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
    func release(_ staged: TraceBuffer, _ pieces: inout [TracePiece], before: UInt64?, via ready: TraceBuffer,
                 write: (UnsafeBufferPointer<UInt8>) -> Void) {
        if releaseInOrder(staged, &pieces, before: before, write: write) { return }
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
        pieces = rest
        keptBytes = kept.count
    }

    /// `release` when the pieces already are in time order (one vCPU's
    /// run): the bytes before the first piece to keep are written from where
    /// they are, the rest moved to the front. False otherwise.
    private func releaseInOrder(_ staged: TraceBuffer, _ pieces: inout [TracePiece], before: UInt64?,
                                write: (UnsafeBufferPointer<UInt8>) -> Void) -> Bool {
        var keep = pieces.count
        for i in pieces.indices {
            if i > 0, (pieces[i - 1].time, pieces[i - 1].rank) > (pieces[i].time, pieces[i].rank) { return false }
            if keep == pieces.count, let before, pieces[i].time >= before { keep = i }
        }
        let end = keep < pieces.count ? pieces[keep].start : staged.count
        write(UnsafeBufferPointer(rebasing: staged.bytes[..<end]))
        staged.removeFirst(end)
        pieces.removeFirst(keep)
        for i in pieces.indices { pieces[i].start -= end }
        keptBytes = staged.count
        return true
    }
}
