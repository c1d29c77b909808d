import Foundation

/// Sizes in bytes as people type and read them.
///
/// Units follow the SI/IEC convention: `K`, `M`, `G`, `T` (with or without `B`) are powers of 1000;
/// `Ki`, `Mi`, `Gi`, `Ti` (with or without `B`) are powers of 1024; `B` or no unit is bytes. Unit letters
/// are case-insensitive. A decimal number is allowed when the result is a whole number of bytes
/// (`1.5GiB`).
public enum ByteSize {
    private static let units: [String: Int64] = [
        "": 1, "b": 1,
        "k": 1_000, "kb": 1_000, "ki": 1 << 10, "kib": 1 << 10,
        "m": 1_000_000, "mb": 1_000_000, "mi": 1 << 20, "mib": 1 << 20,
        "g": 1_000_000_000, "gb": 1_000_000_000, "gi": 1 << 30, "gib": 1 << 30,
        "t": 1_000_000_000_000, "tb": 1_000_000_000_000, "ti": 1 << 40, "tib": 1 << 40,
    ]

    /// Parses `512MiB`, `1GiB`, `2G`, `1.5GiB`, `1048576`.
    ///
    /// - Throws: ``InvalidInput`` for an empty text, a negative or malformed number, an unknown unit,
    ///   a fraction of a byte, or a size beyond `Int64.max`.
    public static func parse(_ text: String) throws -> Int64 {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let numberPart = trimmed.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unitPart = trimmed[numberPart.endIndex...].trimmingCharacters(in: .whitespaces).lowercased()
        let pieces = numberPart.split(separator: ".", omittingEmptySubsequences: false)
        guard !numberPart.isEmpty, pieces.count <= 2, pieces.contains(where: { !$0.isEmpty }) else {
            throw InvalidInput("invalid size '\(text)': expected a number with an optional unit, e.g. 512MiB, 1GiB, 2G")
        }
        guard let multiplier = units[unitPart] else {
            throw InvalidInput("invalid size '\(text)': unknown unit '\(unitPart)' (use B, K, M, G, T or Ki, Mi, Gi, Ti)")
        }
        let integerDigits = pieces[0]
        let fractionDigits = pieces.count == 2 ? pieces[1] : ""
        guard fractionDigits.count <= 12 else {
            throw InvalidInput("invalid size '\(text)': too many decimal places")
        }
        let tooLarge = InvalidInput("invalid size '\(text)': too large")
        guard let integer = integerDigits.isEmpty ? 0 : Int64(integerDigits) else { throw tooLarge }
        let (whole, overflow) = integer.multipliedReportingOverflow(by: multiplier)
        guard !overflow else { throw tooLarge }
        var total = whole
        if !fractionDigits.isEmpty {
            guard let fraction = Int64(fractionDigits) else { throw tooLarge }
            var scale: Int64 = 1
            for _ in 0..<fractionDigits.count { scale *= 10 }
            let (scaled, fractionOverflow) = fraction.multipliedReportingOverflow(by: multiplier)
            guard !fractionOverflow else { throw tooLarge }
            guard scaled % scale == 0 else {
                throw InvalidInput("invalid size '\(text)': not a whole number of bytes")
            }
            let (sum, sumOverflow) = total.addingReportingOverflow(scaled / scale)
            guard !sumOverflow else { throw tooLarge }
            total = sum
        }
        return total
    }

    /// Formats with the largest IEC unit the size reaches: `512MiB`, `1.5GiB`, `100B`.
    /// Whole multiples have no decimals; others have one.
    public static func format(_ bytes: Int64) -> String {
        let steps: [(String, Int64)] = [("TiB", 1 << 40), ("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)]
        let magnitude = bytes.magnitude
        for (unit, size) in steps where magnitude >= UInt64(size) {
            if bytes % size == 0 { return "\(bytes / size)\(unit)" }
            return String(format: "%.1f", Double(bytes) / Double(size)) + unit
        }
        return "\(bytes)B"
    }
}
