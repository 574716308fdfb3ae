internal import CAlsa
public import Logging
import Synchronization
import SystemSupport
#if canImport(Glibc)
import Glibc
#endif

/// Speaks the verdicts (SPEC §6) on a thread of its own, through ALSA.
///
/// ``say(_:requestedAt:)`` only stores the request and wakes the thread: it never blocks, never waits for the
/// device, and is safe to call from the scan path. The newest request wins: requests that arrive while a prompt
/// plays replace each other, and the playing prompt is cut short (`snd_pcm_drop`) so a burst of scans never
/// queues minutes of speech. A missing, busy or broken device, or a missing prompt file, costs a warning in the
/// log, once per kind of problem, and silence; the device is opened again at a prompt 30 s after a failure.
public final class VoicePlayer: Sendable {
    /// What the player needs from `[voice]`.
    public struct Settings: Sendable, Equatable {
        public var pcm: String
        public var volume: Int
        public var promptsDirectory: String

        public init(pcm: String, volume: Int, promptsDirectory: String) {
            self.pcm = pcm
            self.volume = volume
            self.promptsDirectory = promptsDirectory
        }
    }

    /// Counters since start, for tests and the benchmark.
    public struct Statistics: Sendable, Equatable {
        /// Prompts played to their end.
        public var played = 0
        /// Prompts cut short by a newer one.
        public var cut = 0
        /// Requests replaced by a newer one before they started.
        public var superseded = 0
        /// Requests not played: no device, or no prompt file.
        public var dropped = 0
        /// For the latest prompts (up to 1,024): nanoseconds from the request (the commit) to the return of the
        /// first `snd_pcm_writei` that took its samples.
        public var startLatencies: [Int64] = []
    }

    /// How long after a failed open or a failure the device is tried again (at the next prompt): 30 s.
    public static let defaultRetryInterval: Int64 = 30_000_000_000
    private let retryInterval: Int64

    /// How far (in nanoseconds of sound) the player writes ahead of the clock: 60 ms of the device's ~100 ms buffer,
    /// which leaves 60 ms to spare for a late thread and lets a cut prompt leave at most that much unheard behind.
    static let paceAhead: Int64 = 60_000_000

    /// How long a device may take no samples before it counts as failed (nanoseconds).
    static let stallLimit: Int64 = 2_000_000_000

    private enum Ending {
        /// Played to the end.
        case end
        /// A newer request (or stop) came.
        case cut
        case failed(String)
    }

    private struct Request: Sendable {
        let prompt: Prompt
        let requestedAt: Int64
    }

    private struct State: Sendable {
        var settings: Settings
        var sounds: [Prompt: PromptSound]
        var promptProblems: [Prompt: String]
        var pending: Request?
        var reopen = false
        var device: VoiceDeviceState = .notOpened
        /// Kinds of device problem already logged since the device last worked.
        var warned: Set<String> = []
        var statistics = Statistics()
    }

    private let logger: Logger
    private let state: Mutex<State>
    private let wakeup = Wakeup()
    /// Bumped by every request and by stop: the playing thread compares it between writes to cut a prompt short.
    private let generation = Atomic<UInt64>(0)
    private let stopping = Atomic<Bool>(false)
    private let thread = Mutex<pthread_t?>(nil)

    /// Loads the prompts (warning about any that cannot be used) and starts the playing thread, which opens the
    /// device.
    /// - Parameter retryInterval: nanoseconds; shorter only in tests.
    public init(settings: Settings, logger: Logger, retryInterval: Int64 = VoicePlayer.defaultRetryInterval) {
        self.logger = logger
        self.retryInterval = retryInterval
        let (sounds, problems) = Self.loadPrompts(settings)
        state = Mutex(State(settings: settings, sounds: sounds, promptProblems: problems))
        Self.warnAboutPrompts(problems, settings: settings, logger: logger)
        switch startThread(detached: false, { [self] in self.loop() }) {
        case .success(let handle):
            thread.withLock { $0 = handle }
        case .failure(let error):
            logger.error("voice: cannot start the playing thread (\(error)): the verdicts are not spoken")
        }
    }

    /// Asks for `prompt` to be spoken; returns at once. A request not yet started is replaced, a prompt playing is
    /// cut short.
    /// - Parameter requestedAt: when the verdict was given (``monotonicNanos()``; default now), for the latency.
    public func say(_ prompt: Prompt, requestedAt: Int64? = nil) {
        let request = Request(prompt: prompt, requestedAt: requestedAt ?? monotonicNanos())
        state.withLock { state in
            if state.pending != nil { state.statistics.superseded += 1 }
            state.pending = request
            // Under the lock with the request, so the thread reads a generation that matches what it takes.
            generation.add(1, ordering: .releasing)
        }
        wakeup.post()
    }

    /// New settings (SIGHUP): the prompts are loaded again now, the device is reopened when `pcm` changed.
    public func reconfigure(_ settings: Settings) {
        let (sounds, problems) = Self.loadPrompts(settings)
        let changedDevice = state.withLock { state -> Bool in
            let changed = state.settings.pcm != settings.pcm
            state.settings = settings
            state.sounds = sounds
            state.promptProblems = problems
            if changed {
                state.reopen = true
                state.warned = []
            }
            return changed
        }
        Self.warnAboutPrompts(problems, settings: settings, logger: logger)
        if changedDevice { wakeup.post() }
    }

    /// The device's and the prompts' state.
    public var status: VoiceStatus {
        state.withLock {
            VoiceStatus(pcm: $0.settings.pcm, promptsDirectory: $0.settings.promptsDirectory, device: $0.device, promptProblems: $0.promptProblems)
        }
    }

    public var statistics: Statistics { state.withLock { $0.statistics } }

    /// Stops the thread (a prompt playing is cut short) and closes the device. Idempotent.
    public func stop() {
        guard !stopping.exchange(true, ordering: .acquiringAndReleasing) else { return }
        generation.add(1, ordering: .releasing)
        wakeup.post()
        if let handle = thread.withLock({ current -> pthread_t? in
            defer { current = nil }
            return current
        }) {
            pthread_join(handle, nil)
        }
    }

    /// The state a player with `settings` would find, without starting one: the prompts read and checked, the
    /// device opened (non-blocking) and closed again. For `doctor`.
    public static func probe(_ settings: Settings) -> VoiceStatus {
        let (_, problems) = loadPrompts(settings)
        _ = Alsa.silenceErrors
        var handle: OpaquePointer?
        let result = snd_pcm_open(&handle, settings.pcm, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)
        let device: VoiceDeviceState
        if result >= 0, let handle {
            snd_pcm_close(handle)
            device = .ready
        } else {
            device = Alsa.state(forOpenError: result)
        }
        return VoiceStatus(pcm: settings.pcm, promptsDirectory: settings.promptsDirectory, device: device, promptProblems: problems)
    }

    // MARK: Prompts

    static func loadPrompts(_ settings: Settings) -> ([Prompt: PromptSound], [Prompt: String]) {
        var sounds: [Prompt: PromptSound] = [:]
        var problems: [Prompt: String] = [:]
        for prompt in Prompt.allCases {
            do {
                sounds[prompt] = try WAVReader.read(settings.promptsDirectory + "/" + prompt.fileName).scaled(volume: settings.volume)
            } catch {
                problems[prompt] = error.reason
            }
        }
        return (sounds, problems)
    }

    private static func warnAboutPrompts(_ problems: [Prompt: String], settings: Settings, logger: Logger) {
        let status = VoiceStatus(pcm: settings.pcm, promptsDirectory: settings.promptsDirectory, device: .notOpened, promptProblems: problems)
        if let problem = status.promptProblem { logger.warning("voice: \(problem.what): \(problem.fix)") }
    }

    // MARK: The playing thread

    private func loop() {
        _ = station_alsa_set_thread_name("voice")
        let output = Output()
        defer { output.close() }
        attemptOpen(output, now: monotonicNanos())
        while !stopping.load(ordering: .acquiring) {
            wakeup.wait()
            if stopping.load(ordering: .acquiring) { break }
            let (request, sound, reopen, observed) = state.withLock { state -> (Request?, PromptSound?, Bool, UInt64) in
                defer {
                    state.pending = nil
                    state.reopen = false
                }
                return (
                    state.pending, state.pending.flatMap { state.sounds[$0.prompt] }, state.reopen,
                    generation.load(ordering: .acquiring)
                )
            }
            let now = monotonicNanos()
            if reopen {
                output.close()
                attemptOpen(output, now: now)
            }
            guard let request else { continue }
            guard let sound else {
                // Warned about when the prompts were loaded.
                state.withLock { $0.statistics.dropped += 1 }
                continue
            }
            if output.pcm == nil, let failed = output.failedAt, now - failed >= retryInterval {
                attemptOpen(output, now: now)
            }
            guard output.pcm != nil else {
                state.withLock { $0.statistics.dropped += 1 }
                logger.debug("voice: '\(request.prompt.rawValue)' not spoken: no sound device")
                continue
            }
            play(sound, request, output: output, generation: observed)
        }
    }

    /// `snd_pcm_open` in non-blocking mode (a busy device fails at once, and no write can hang the thread).
    private func attemptOpen(_ output: Output, now: Int64) {
        let pcmName = state.withLock { $0.settings.pcm }
        _ = Alsa.silenceErrors
        var handle: OpaquePointer?
        let result = snd_pcm_open(&handle, pcmName, SND_PCM_STREAM_PLAYBACK, SND_PCM_NONBLOCK)
        guard result >= 0, let handle else {
            output.failedAt = now
            report(Alsa.state(forOpenError: result), pcm: pcmName)
            return
        }
        output.pcm = handle
        output.rate = nil
        output.failedAt = nil
        report(.ready, pcm: pcmName)
    }

    /// Records the device's state; logs a problem once per kind until the device works again.
    private func report(_ device: VoiceDeviceState, pcm: String) {
        let (firstOfKind, recovered) = state.withLock { state -> (Bool, Bool) in
            state.device = device
            if device == .ready {
                defer { state.warned = [] }
                return (false, !state.warned.isEmpty)
            }
            return (state.warned.insert(device.kind).inserted, false)
        }
        if recovered { logger.notice("voice: sound device '\(pcm)' works again") }
        if firstOfKind, let problem = device.problem(pcm: pcm) {
            logger.warning(
                "voice: \(problem.what): \(problem.fix); scans are recorded as always, the verdicts are not spoken (the device is tried again every 30 s)")
        }
    }

    private func fail(_ output: Output, _ reason: String) {
        output.close()
        output.failedAt = monotonicNanos()
        report(.failed(reason: reason), pcm: state.withLock { $0.settings.pcm })
    }

    /// Plays `sound` until its end or a newer request (or stop) bumps the generation past `expected`.
    private func play(_ sound: PromptSound, _ request: Request, output: Output, generation expected: UInt64) {
        guard let pcm = output.pcm else { return }
        func superseded() -> Bool { generation.load(ordering: .acquiring) != expected }
        if output.rate != sound.sampleRate {
            // Soft resampling (plug) for a device that lacks the rate; a buffer of about 100 ms.
            _ = snd_pcm_drop(pcm)
            let result = snd_pcm_set_params(pcm, SND_PCM_FORMAT_S16_LE, SND_PCM_ACCESS_RW_INTERLEAVED, 1, UInt32(sound.sampleRate), 1, 100_000)
            guard result >= 0 else {
                fail(output, "it does not take 16-bit mono sound at \(sound.sampleRate) Hz: \(Alsa.describe(result))")
                return
            }
            output.rate = sound.sampleRate
        }
        let prepared = snd_pcm_prepare(pcm)
        guard prepared >= 0 else {
            fail(output, Alsa.describe(prepared))
            return
        }
        let frames = sound.samples.count
        let chunk = max(64, sound.sampleRate / 50)
        let rate = Int64(sound.sampleRate)
        var offset = 0
        var startedAt: Int64?
        var ending = Ending.end
        var progressAt = monotonicNanos()
        sound.samples.withUnsafeBufferPointer { samples in
            while offset < frames {
                if superseded() {
                    ending = .cut
                    return
                }
                let count = min(chunk, frames - offset)
                let written = snd_pcm_writei(pcm, samples.baseAddress! + offset, snd_pcm_uframes_t(count))
                if written == -Int(EAGAIN) {
                    // A device that stops taking samples (a USB speaker pulled out mid-prompt) is given up, not waited
                    // on for ever.
                    if monotonicNanos() - progressAt > Self.stallLimit {
                        ending = .failed("it stopped taking sound for \(Self.stallLimit / 1_000_000_000) s")
                        return
                    }
                    _ = snd_pcm_wait(pcm, 20)
                    continue
                }
                if written < 0 {
                    let recovered = snd_pcm_recover(pcm, Int32(written), 1)
                    if recovered < 0 {
                        ending = .failed(Alsa.describe(recovered))
                        return
                    }
                    continue
                }
                let now = monotonicNanos()
                progressAt = now
                if startedAt == nil {
                    startedAt = now
                    let latency = now - request.requestedAt
                    state.withLock { state in
                        state.statistics.startLatencies.append(latency)
                        if state.statistics.startLatencies.count > 1_024 { state.statistics.startLatencies.removeFirst() }
                    }
                    logger.debug("voice: '\(request.prompt.rawValue)' started \(latency / 1_000) µs after the verdict")
                }
                offset += written
                // Never more than `paceAhead` ahead of the clock: a device that takes samples faster than it plays
                // them (ALSA's null and file plugins, a large hardware buffer) would otherwise swallow a whole prompt
                // at once, and a newer verdict could no longer cut it short.
                while let startedAt, !superseded() {
                    let ahead = Int64(offset) * 1_000_000_000 / rate - (monotonicNanos() - startedAt)
                    if ahead <= Self.paceAhead { break }
                    usleep(UInt32(min(ahead - Self.paceAhead, 10_000_000) / 1_000) + 1)
                }
            }
        }
        switch ending {
        case .failed(let reason):
            fail(output, reason)
            return
        case .cut:
            _ = snd_pcm_drop(pcm)
            state.withLock { $0.statistics.cut += 1 }
            return
        case .end:
            break
        }
        // Let the device play what it holds, unless a newer verdict comes first.
        if snd_pcm_drain(pcm) == -EAGAIN {
            let drainStarted = monotonicNanos()
            while snd_pcm_state(pcm) == SND_PCM_STATE_DRAINING {
                if superseded() || monotonicNanos() - drainStarted > Self.stallLimit {
                    _ = snd_pcm_drop(pcm)
                    state.withLock { $0.statistics.cut += 1 }
                    return
                }
                usleep(5_000)
            }
        }
        state.withLock { $0.statistics.played += 1 }
    }
}

/// The thread's own hold on the device (only the playing thread touches it).
private final class Output {
    var pcm: OpaquePointer?
    /// The rate the device is set to.
    var rate: Int?
    /// When the last open failed, or the device last failed (for the retry).
    var failedAt: Int64?

    func close() {
        if let pcm { _ = snd_pcm_close(pcm) }
        pcm = nil
        rate = nil
    }
}

enum Alsa {
    /// alsa-lib's own messages to stderr are turned off once: the player says what is wrong itself, once.
    static let silenceErrors: Void = station_alsa_silence_errors()

    /// What a failed `snd_pcm_open` means.
    static func state(forOpenError result: Int32) -> VoiceDeviceState {
        let reason = describe(result)
        switch -result {
        case EBUSY, EAGAIN: return .busy
        case EACCES, EPERM: return .noPermission(reason: reason)
        default: return .missing(reason: reason)
        }
    }

    static func describe(_ code: Int32) -> String {
        guard let text = snd_strerror(code) else { return "error \(code)" }
        return String(cString: text)
    }
}

/// CLOCK_MONOTONIC in nanoseconds: the clock ``VoicePlayer/say(_:requestedAt:)`` measures latency on.
public func monotonicNanos() -> Int64 {
    var time = timespec()
    clock_gettime(CLOCK_MONOTONIC, &time)
    return Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec)
}
