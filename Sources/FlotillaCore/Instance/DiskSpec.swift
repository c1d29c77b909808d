import Foundation

/// An additional disk of a VM (docs/decisions/0026-vm-disks.md): a copy-on-write overlay of a catalog disk
/// image, or an empty disk of a given size. Attached as a virtio-blk device after the root disk, in order.
public struct DiskSpec: Sendable, Codable, Equatable, Hashable {
    /// A name unique among the instance's disks (Flintlock's volume id); also the drive's serial number.
    public var id: String
    /// A catalog image holding a disk (``ImageArtifacts/rootDiskPath``), copied on write per instance.
    public var image: String?
    /// The size of an empty disk, or the size to grow an image's overlay to; bytes.
    public var sizeBytes: Int64?
    /// The guest sees the disk read-only (and the host opens it read-only).
    public var readOnly: Bool

    public init(id: String, image: String? = nil, sizeBytes: Int64? = nil, readOnly: Bool = false) {
        self.id = id
        self.image = image
        self.sizeBytes = sizeBytes
        self.readOnly = readOnly
    }

    /// Disk ids: 1-20 bytes of letters, digits, `-` and `_` (QEMU's drive serial holds 20).
    public static func isValidId(_ id: String) -> Bool {
        (1...20).contains(id.utf8.count)
            && id.unicodeScalars.allSatisfy { $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }
    }
}
