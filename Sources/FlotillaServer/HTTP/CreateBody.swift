import Crypto
import FlotillaAPI
import FlotillaCluster
import FlotillaCore
import Foundation
import Hummingbird
import NIOFoundationCompat

extension Request {
    /// A create's body: collected (413 past the limit), decoded (VALIDATION_ERROR with the JSON path that
    /// failed), and its `Idempotency-Key` as digests, scoped per surface so that two surfaces never replay
    /// each other's creates.
    func createBody<T: Decodable>(_ type: T.Type, context: FlotillaRequestContext, scope: String) async throws -> (
        T, IdempotencyToken?
    ) {
        let body = try await collectLimitedBody(context: context)
        let wire: T
        do {
            wire = try WireJSON.decoder().decode(T.self, from: Data(buffer: body))
        } catch let error as DecodingError {
            throw FlotillaError.validation(Request.describe(error), field: Request.path(of: error))
        }
        let token = headers[.idempotencyKey].map { key in
            IdempotencyToken(
                keyDigest: Authenticator.digest(scope + ":" + key),
                requestDigest: APIKeyHasher.hex(SHA256.hash(data: Data(buffer: body))))
        }
        return (wire, token)
    }
}
