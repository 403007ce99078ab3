/// "Did you mean": the known name nearest a mistyped one (Levenshtein
/// distance at most 2, and less than the word's length), if one is.
public func nearestName(to word: String, among names: [String]) -> String? {
    func distance(_ a: [Character], _ b: [Character]) -> Int {
        var row = Array(0...b.count)
        for (i, x) in a.enumerated() {
            var previous = row[0]
            row[0] = i + 1
            for (j, y) in b.enumerated() {
                let replaced = previous + (x == y ? 0 : 1)
                previous = row[j + 1]
                row[j + 1] = min(replaced, row[j] + 1, row[j + 1] + 1)
            }
        }
        return row[b.count]
    }
    let w = Array(word.lowercased())
    let scored = names.map { ($0, distance(w, Array($0.lowercased()))) }.filter { $0.1 <= 2 && $0.1 < w.count }
    return scored.min { $0.1 < $1.1 }?.0
}
