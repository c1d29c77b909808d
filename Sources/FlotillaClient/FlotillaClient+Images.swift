import FlotillaAPI

/// Surface C, `/api/v1/images`: reading needs a reader key, importing, replacing and deleting an admin key.
extension FlotillaClient {
    static let imagesPath = ["api", "v1", "images"]

    /// `GET /api/v1/images`.
    public func listImages() async throws -> VMs.ImageList {
        try await send(.get, RequestTarget(Self.imagesPath)).value
    }

    /// `GET /api/v1/images/{id}`.
    public func image(id: String) async throws -> VMs.Image {
        try await send(.get, RequestTarget(Self.imagesPath + [id])).value
    }

    /// `POST /api/v1/images` (admin): imports a new image with what each backend needs to run it
    /// (409 when the id is taken).
    public func importImage(_ request: VMs.ImageCreateRequest) async throws -> VMs.Image {
        try await send(.post, RequestTarget(Self.imagesPath), body: request).value
    }

    /// `PUT /api/v1/images/{id}` (admin): creates or replaces the image `request.id`.
    public func putImage(_ request: VMs.ImageCreateRequest) async throws -> VMs.Image {
        try await send(.put, RequestTarget(Self.imagesPath + [request.id]), body: request).value
    }

    /// `DELETE /api/v1/images/{id}` (admin): the deleted image.
    public func deleteImage(id: String) async throws -> VMs.Image {
        try await send(.delete, RequestTarget(Self.imagesPath + [id])).value
    }
}
