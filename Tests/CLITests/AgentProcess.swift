import Foundation

/// Runs the built `station-agent` (or another product) and captures what it printed.
struct AgentProcess {
    struct Result {
        let status: Int32
        let standardOutput: String
        let standardError: String
    }

    /// The products directory: where SwiftPM put the test bundle, and `station-agent` beside it.
    static var productsDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    }

    static var agentPath: String { productsDirectory.appendingPathComponent("station-agent").path }

    /// Runs `executable` with `arguments`, killing it after `timeout` seconds.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], removing: [String] = [],
        timeout: Double = 30
    ) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in removing { env.removeValue(forKey: key) }
        env.merge(environment) { $1 }
        process.environment = env
        let output = Pipe()
        let error = Pipe()
        process.standardOutput = output
        process.standardError = error
        try process.run()
        // Read both pipes while the process runs, so a chatty child never blocks on a full pipe.
        nonisolated(unsafe) var outData = Data()
        nonisolated(unsafe) var errData = Data()
        let group = DispatchGroup()
        group.enter()
        DispatchQueue.global().async {
            outData = output.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        group.enter()
        DispatchQueue.global().async {
            errData = error.fileHandleForReading.readDataToEndOfFile()
            group.leave()
        }
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning {
            process.terminate()
            usleep(200_000)
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        }
        process.waitUntilExit()
        // A grandchild (the agent under umockdev-run) that outlives its parent keeps the pipes open: bounded.
        guard group.wait(timeout: .now() + 10) == .success else {
            return Result(
                status: process.terminationStatus, standardOutput: "",
                standardError: "(\(executable) ended but a child of it kept its output open for 10 s more)")
        }
        return Result(
            status: process.terminationStatus, standardOutput: String(decoding: outData, as: UTF8.self),
            standardError: String(decoding: errData, as: UTF8.self))
    }

    /// The variables that put a child in this process's umockdev test bed; removed for one that must see the
    /// real system (mount, dd) or sets up its own (umockdev-run).
    static let testbedVariables = ["LD_PRELOAD", "UMOCKDEV_DIR"]

    /// Runs the agent. It joins the umockdev test bed only when `inTestbed` is set (the caller holds
    /// it through `TestbedLock`): a child of another test that inherited `$UMOCKDEV_DIR` would see
    /// that test's devices and register its own uevent listener there.
    static func agent(
        _ arguments: [String], environment: [String: String] = [:], inTestbed: Bool = false, timeout: Double = 30
    ) throws -> Result {
        try run(
            agentPath, arguments, environment: environment, removing: inTestbed ? [] : testbedVariables,
            timeout: timeout)
    }

    /// Runs the agent under `umockdev-run` with fixture devices (a fresh emulated /sys and /dev).
    static func agentUnderUmockdevRun(fixtures: [String], _ arguments: [String], environment: [String: String] = [:]) throws -> Result {
        var umockdevArguments: [String] = []
        for fixture in fixtures { umockdevArguments += ["--device", fixture] }
        // umockdev-run sets up its own preload and test bed; drop any inherited ones.
        return try run(
            "/usr/bin/umockdev-run", umockdevArguments + ["--", agentPath] + arguments, environment: environment,
            removing: testbedVariables)
    }

    static func json(_ text: String) throws -> Any {
        try JSONSerialization.jsonObject(with: Data(text.utf8))
    }
}

/// A fresh, empty directory under the temporary directory for one test, named after it and this process
/// (the caller removes it, usually with `defer`).
func scratchDirectory(_ name: String) throws -> URL {
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(getpid())")
    try? FileManager.default.removeItem(at: directory)
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    return directory
}

/// Runs blocking work (child processes, pipes) on a thread of its own and awaits it, so a long test never holds one
/// of Swift's cooperative threads (two on a two-core box), which the other tests' waits run on. `body` must not
/// record issues (`#expect`): it returns what the test then checks.
func offThePool<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try body() }) }
    }
}
