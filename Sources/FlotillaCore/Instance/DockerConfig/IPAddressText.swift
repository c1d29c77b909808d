/// Checks of IP address text, as Go's `net.ParseIP` (which Docker uses) accepts it.
enum IPAddressText {
    /// Four decimal octets 0-255, without leading zeros.
    static func isIPv4(_ text: Substring) -> Bool {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4
            && octets.allSatisfy { octet in
                guard (1...3).contains(octet.count), octet.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int(octet) else {
                    return false
                }
                return value <= 255 && (octet.count == 1 || octet.first != "0")
            }
    }

    /// Eight groups of 1-4 hex digits separated by `:`, one `::` standing for one or more zero groups, the last
    /// two groups optionally written as an IPv4 address. No zone (`%eth0`).
    static func isIPv6(_ text: Substring) -> Bool {
        var body = text
        var groups = 8
        if let lastColon = text.lastIndex(of: ":"), text[text.index(after: lastColon)...].contains(".") {
            guard isIPv4(text[text.index(after: lastColon)...]) else { return false }
            groups = 6
            body = text[...lastColon]
            if !body.hasSuffix("::") { body = body.dropLast() }
        }
        func count(_ part: Substring) -> Int? {
            if part.isEmpty { return 0 }
            let fields = part.split(separator: ":", omittingEmptySubsequences: false)
            let valid = fields.allSatisfy { (1...4).contains($0.count) && $0.allSatisfy { $0.isASCII && $0.isHexDigit } }
            return valid ? fields.count : nil
        }
        guard let gap = body.firstRange(of: "::") else { return count(body) == groups }
        let head = body[..<gap.lowerBound]
        let tail = body[gap.upperBound...]
        guard !tail.contains("::"), let before = count(head), let after = count(tail) else { return false }
        return before + after < groups
    }
}
