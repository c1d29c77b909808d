/// The sampled flag of a W3C `traceparent` header (docs/decisions/0022-tracing-and-logs.md), read without the
/// tracer: `version-traceid-parentid-flags`, lowercase hex, version `00` exactly 55 characters, a later version at
/// least that with a `-` after the flags; an all-zero trace or parent id, version `ff`, or anything else malformed
/// is no traceparent at all (nil), as the W3C rules say.
public enum TraceParent {
    /// Whether the caller recorded its trace (flag bit 0); nil when `header` is not a valid traceparent.
    public static func sampled(_ header: String) -> Bool? {
        let bytes = Array(header.utf8)
        guard bytes.count >= 55 else { return nil }
        let dash = UInt8(ascii: "-")
        guard bytes[2] == dash, bytes[35] == dash, bytes[52] == dash else { return nil }
        guard let version = hexByte(bytes[0], bytes[1]), version != 0xff else { return nil }
        if version == 0 {
            guard bytes.count == 55 else { return nil }
        } else if bytes.count > 55 && bytes[55] != dash {
            return nil
        }
        let trace = bytes[3..<35]
        let parent = bytes[36..<52]
        guard trace.allSatisfy(isHex), parent.allSatisfy(isHex) else { return nil }
        let zero = UInt8(ascii: "0")
        guard trace.contains(where: { $0 != zero }), parent.contains(where: { $0 != zero }) else { return nil }
        guard let flags = hexByte(bytes[53], bytes[54]) else { return nil }
        return flags & 1 == 1
    }

    private static func isHex(_ byte: UInt8) -> Bool {
        (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
    }

    private static func hexByte(_ high: UInt8, _ low: UInt8) -> UInt8? {
        guard let h = nibble(high), let l = nibble(low) else { return nil }
        return h << 4 | l
    }

    private static func nibble(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        default: return nil
        }
    }
}
