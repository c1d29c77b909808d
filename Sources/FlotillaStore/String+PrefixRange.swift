extension String {
    /// The smallest string greater than every string that starts with `self`, or nil when there is none
    /// (the empty prefix, or a prefix made only of U+10FFFF).
    ///
    /// SQLite compares TEXT with memcmp on UTF-8 bytes, and UTF-8 byte order is code point order, so
    /// `key >= prefix AND key < prefixUpperBound` selects exactly the keys that start with `prefix`, uses the
    /// primary key index, and is immune to `%` and `_` (unlike LIKE).
    var prefixUpperBound: String? {
        var scalars = Array(unicodeScalars)
        while let last = scalars.popLast() {
            var next = last.value + 1
            if next == 0xD800 { next = 0xE000 }  // skip the surrogate range, which has no scalars
            if let scalar = Unicode.Scalar(next) {
                scalars.append(scalar)
                var result = String.UnicodeScalarView()
                result.append(contentsOf: scalars)
                return String(result)
            }
        }
        return nil
    }
}
