/// Slicing-by-8 lookup tables for reflected CRCs: 8 tables of 256 entries,
/// flattened (table k at offset 256*k). Table 0 is the classic byte table;
/// table k advances a byte through k further zero bytes.
func makeSlicingTables<T: FixedWidthInteger & UnsignedInteger>(reflectedPoly poly: T) -> [T] {
    var tables = [T](repeating: 0, count: 8 * 256)
    for n in 0..<256 {
        var c = T(n)
        for _ in 0..<8 { c = (c & 1) != 0 ? (c >> 1) ^ poly : c >> 1 }
        tables[n] = c
    }
    for k in 1..<8 {
        for n in 0..<256 {
            let prev = tables[256 * (k - 1) + n]
            tables[256 * k + n] = (prev >> 8) ^ tables[Int(truncatingIfNeeded: prev & 0xFF)]
        }
    }
    return tables
}
