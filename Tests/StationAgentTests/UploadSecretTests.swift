import StationAgent
import StationTestSupport
import StoreClient
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `secret_file` (issue #12 item 4): the agent refuses a secret others can read or change, or that is not its own
/// or root's, and the secret never appears in what it says.
@Suite("Upload secret file")
struct UploadSecretTests {
    static let secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

    func make(_ directory: TemporaryDirectory, _ name: String, _ text: String, mode: mode_t) throws -> String {
        let path = directory.path + "/" + name
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        try #require(fd >= 0)
        _ = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        close(fd)
        chmod(path, mode)
        return path
    }

    func refusal(_ path: String, owner: UInt32? = nil) -> UploadSetupError? {
        #expect(throws: UploadSetupError.self) { _ = try UploadSetup.readSecret(path, owner: owner) }
    }

    @Test("a 0600 or 0640 file of the agent's user gives the secret without its newline; it never prints")
    func accepted() throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        for mode: mode_t in [0o600, 0o400, 0o640] {
            let path = try make(directory, "secret-\(mode)", Self.secret + "\n", mode: mode)
            let secret = try UploadSetup.readSecret(path)
            #expect(secret.value == Self.secret)
            #expect("\(secret)" == "<secret>" && String(reflecting: secret) == "<secret>")
        }
    }

    @Test("readable or writable by others, writable by the group, another user's, a link, empty, two lines: refused in words, no secret in them",
          arguments: ["others", "group-write", "owner", "link", "empty", "lines", "missing", "directory"])
    func refused(_ case_: String) throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let good = try make(directory, "good", Self.secret, mode: 0o600)
        var path = good
        var owner: UInt32?
        var words = ""
        switch case_ {
        case "others": path = try make(directory, "s", Self.secret, mode: 0o604); words = "other users can read"
        case "group-write": path = try make(directory, "s", Self.secret, mode: 0o620); words = "other users can change"
        case "owner": owner = geteuid() == 0 ? 65_534 : geteuid() + 1; words = geteuid() == 0 ? "" : "belongs to uid"
        case "link":
            path = directory.path + "/link"
            symlink(good, path)
            words = "symbolic link"
        case "empty": path = try make(directory, "s", "\n", mode: 0o600); words = "is empty"
        case "lines": path = try make(directory, "s", Self.secret + "\nsecond\n", mode: 0o600); words = "more than one line"
        case "missing": path = directory.path + "/none"; words = "does not exist"
        default: path = directory.path; words = "not a regular file"
        }
        if case_ == "owner" && geteuid() == 0 {
            // Root may own the file: a file root owns is accepted for any agent user.
            #expect(try UploadSetup.readSecret(path, owner: owner).value == Self.secret)
            return
        }
        let error = refusal(path, owner: owner)
        #expect(error?.message.description.contains(words) == true, "\(String(describing: error))")
        #expect(error?.description.contains(Self.secret) == false)
        #expect(error?.description.contains("second") == false)
        #expect(error?.fix.description.isEmpty == false)
    }
}
