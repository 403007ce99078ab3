/// Unicorn 2.1 sends every guest store to a RAM page through QEMU's slow
/// path (`notdirty_write`: a memory-map lookup and a self-modifying-code
/// check per store) for as long as the range of any memory hook holds the
/// page (`uc_mem_hook_installed`). One invalid-memory hook over the whole
/// address space kept all of RAM there: ~45% of a Linux boot's host time.
///
/// So the invalid-memory hook is `count` hooks with one callback whose
/// ranges, between them, cover everything but the longest runs mapped with
/// every permission, where no access can miss or lack a permission. Maps and
/// unmaps move the ranges (in place: Unicorn has no call for it). The ranges
/// never overlap, so one fault reaches one hook.
///
/// That slow path was also what noticed stores to translated code through
/// another VA (Linux patches its text through a fixmap alias): Unicorn 2.1
/// keeps only the code's own VA slow. So memory that holds translated code,
/// by `codeGranule`, stays covered (`Engine.codeTranslated`).
struct FaultHookRanges {
    static let count = 8
    /// A hook parked on an address no access has (PAs are at most 52 bits).
    static let parked = (begin: UInt64.max, end: UInt64.max)
    static let codeGranule: UInt64 = 1 << 16

    /// Memory mapped with every permission, [begin, end): sorted, disjoint,
    /// touching runs joined.
    private(set) var runs = Runs()
    /// Memory that holds translated code, by granule.
    private(set) var code = Runs()

    mutating func add(_ begin: UInt64, _ end: UInt64) { runs.add(begin, end) }
    mutating func remove(_ begin: UInt64, _ end: UInt64) { runs.remove(begin, end) }
    mutating func addCode(at address: UInt64) {
        let b = address & ~(FaultHookRanges.codeGranule - 1)
        code.add(b, b &+ FaultHookRanges.codeGranule)
    }

    /// Each hook's range, [begin, end] inclusive: the gaps around the
    /// `count - 1` longest runs with no code, the hooks left over parked.
    func hookRanges() -> [(begin: UInt64, end: UInt64)] {
        var fast = runs
        for c in code.list { fast.remove(c.begin, c.end) }
        return fast.gaps(around: FaultHookRanges.count - 1, padTo: FaultHookRanges.count)
    }
}

/// Sorted, disjoint runs [begin, end), touching runs joined.
struct Runs {
    private(set) var list: [(begin: UInt64, end: UInt64)] = []

    /// The first run that ends at or after `address`.
    private func index(endingAtOrAfter address: UInt64) -> Int {
        var lo = 0, hi = list.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if list[mid].end < address { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    func contains(_ address: UInt64) -> Bool {
        let i = index(endingAtOrAfter: address &+ 1)
        return i < list.count && list[i].begin <= address
    }

    mutating func add(_ begin: UInt64, _ end: UInt64) {
        guard begin < end else { return }
        let i = index(endingAtOrAfter: begin)
        var j = i, b = begin, e = end
        while j < list.count && list[j].begin <= e {
            b = min(b, list[j].begin); e = max(e, list[j].end)
            j += 1
        }
        list.replaceSubrange(i..<j, with: [(b, e)])
    }

    mutating func remove(_ begin: UInt64, _ end: UInt64) {
        guard begin < end else { return }
        let i = index(endingAtOrAfter: begin &+ 1)
        var j = i
        var kept: [(begin: UInt64, end: UInt64)] = []
        while j < list.count && list[j].begin < end {
            if list[j].begin < begin { kept.append((list[j].begin, begin)) }
            if list[j].end > end { kept.append((end, list[j].end)) }
            j += 1
        }
        list.replaceSubrange(i..<j, with: kept)
    }

    /// [begin, end] inclusive: the gaps around the `runs` longest runs, then
    /// parked ranges up to `padTo`.
    func gaps(around runs: Int, padTo: Int) -> [(begin: UInt64, end: UInt64)] {
        var longest: [(begin: UInt64, end: UInt64)] = []
        for r in list {
            if longest.count < runs {
                longest.append(r)
            } else if let k = longest.indices.min(by: { longest[$0].end - longest[$0].begin < longest[$1].end - longest[$1].begin }),
                      r.end - r.begin > longest[k].end - longest[k].begin {
                longest[k] = r
            }
        }
        longest.sort { $0.begin < $1.begin }
        var ranges: [(begin: UInt64, end: UInt64)] = []
        var from: UInt64 = 0
        for r in longest {
            if r.begin > from { ranges.append((from, r.begin - 1)) }
            from = r.end
        }
        if from < UInt64.max - 1 { ranges.append((from, UInt64.max - 1)) }
        while ranges.count < padTo { ranges.append(FaultHookRanges.parked) }
        return ranges
    }
}
