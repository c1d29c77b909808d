import FlotillaServer
import Testing

@Suite("Cluster credential")
struct ClusterCredentialTests {
    @Test("the token is derived from the secret: stable for one secret, different for another, never the secret")
    func derivation() {
        let a = ClusterCredential(secret: "s3cret")
        #expect(a.token == ClusterCredential(secret: "s3cret").token)
        #expect(a.token != ClusterCredential(secret: "s3cret2").token)
        #expect(a.token.count == 64)
        #expect(!a.token.contains("s3cret"))
    }
}
