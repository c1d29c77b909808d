/// Host-order integer encoding and decoding for netlink messages, and their 4-byte alignment. Pure.
enum NetlinkBytes {
    /// The bytes of `value` in the host's byte order.
    static func native<T: FixedWidthInteger>(_ value: T) -> [UInt8] {
        withUnsafeBytes(of: value) { Array($0) }
    }

    /// Reads a host-order integer starting at `index` of `bytes` (an index of the collection: absolute for a
    /// slice); bytes past the end read as zero.
    static func load<T: FixedWidthInteger, C: RandomAccessCollection<UInt8>>(_ type: T.Type, _ bytes: C, at index: Int) -> T
    where C.Index == Int {
        var value = T.zero
        withUnsafeMutableBytes(of: &value) { target in
            for offset in 0..<MemoryLayout<T>.size where index + offset < bytes.endIndex { target[offset] = bytes[index + offset] }
        }
        return value
    }

    /// Bytes to add after `length` to reach the next multiple of 4 (NLMSG_ALIGN, RTA_ALIGN).
    static func padding(_ length: Int) -> Int { (4 - length % 4) % 4 }
}
